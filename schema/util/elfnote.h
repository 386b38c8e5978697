/*
 * elfnote.h - read a note (ELF's PT_NOTE, as the GNU build-id) from a
 * shared object or program with plain reads, so what a file declares about
 * itself is known before any of its code runs: dlopen() would run its
 * constructors first.  The modules carry their version this way
 * (module.h).
 */
#ifndef VR_ELFNOTE_H
#define VR_ELFNOTE_H

#include <stddef.h>

/* Find the note named `owner` of type `type` in the object open on `fd`
 * and copy its description, which must be exactly `len` bytes, to `desc`:
 * 0, VR_ENOTFOUND when it has no such note, VR_EINVALID when it is no ELF
 * object of this machine's class and byte order or the note has another
 * length.  Reads are bounded.  The message is about the file without
 * naming it ("not an ELF file"): the caller says which file. */
int vr_elf_note(int fd, const char *owner, unsigned type, void *desc,
    size_t len);

#endif
