/*
 * fileio.h - bounded reads and atomic writes, for every file vmrecon keeps
 * (the sim backend's file, the state dir).  A reader never sees a half
 * written file: writes go to a temporary file in the same directory, are
 * fsync'ed and renamed over the target, then the directory is fsync'ed.
 */
#ifndef VR_FILEIO_H
#define VR_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Read at most `max` bytes of `path` ("-" = stdin) into a NUL-terminated
 * buffer.  VR_ENOTFOUND if missing, VR_EINVALID if larger than max. */
int vr_file_read(char **out, size_t *len, const char *path, size_t max);

/* Replace `path` atomically with `len` bytes of `buf`, created with `mode`. */
int vr_file_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode);

/* mkdir -p with `mode` for every directory it creates. */
int vr_mkdir_p(const char *path, mode_t mode);

#endif
