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

/* vr_file_read of an open descriptor (`shown` names it in messages). */
int vr_file_read_fd(char **out, size_t *len, int fd, const char *shown,
    size_t max);

/* Open `name` in directory `dirfd` without following a symbolic link
 * (O_NOFOLLOW, O_CLOEXEC) and only if it is a regular file owned by the
 * effective user; `shown` names it in messages, which never quote its
 * content.  Returns the fd, or VR_ENOTFOUND / VR_EINVALID / VR_ERROR. */
int vr_file_open_own(int dirfd, const char *name, const char *shown,
    int flags, mode_t mode);

/* vr_file_check_own's test on an open fd: a regular file of ours. */
int vr_file_check_own(int fd, const char *shown);

/* vr_file_read for a file of ours in `dirfd` (vr_file_open_own's rules). */
int vr_file_read_own(char **out, size_t *len, int dirfd, const char *name,
    const char *shown, size_t max);

/* Replace `name` in `dirfd` atomically: a temporary file created there with
 * O_EXCL | O_NOFOLLOW, fsync, renameat, fsync of the directory. */
int vr_file_write_at(int dirfd, const char *name, const char *shown,
    const void *buf, size_t len, mode_t mode);

/* Replace `path` atomically with `len` bytes of `buf`, created with `mode`. */
int vr_file_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode);

/* Remove what a writer killed between create and rename left of `name`
 * in `dirfd`: regular files of ours named NAME.tmp.XXXXXXXX.  Call it only
 * while holding the lock that guards `name`'s writers. */
void vr_file_sweep_tmp(int dirfd, const char *name);

/* mkdir -p with `mode` for every directory it creates. */
int vr_mkdir_p(const char *path, mode_t mode);

#endif
