/* elfnote.c - a note from an ELF object's program headers (elfnote.h). */
#include <elf.h>
#include <endian.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfnote.h"
#include "error.h"

#define PHDRS_MAX 256          /* program headers looked at */
#define NOTES_MAX (64 * 1024)  /* bytes of one PT_NOTE segment */

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif
#if __WORDSIZE == 64
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif

/* The note in the `n` bytes of one PT_NOTE segment, its entries aligned
 * to `align`: 0, VR_ENOTFOUND or VR_EINVALID (set by the caller). */
static int
find(const unsigned char *b, size_t n, size_t align, const char *owner,
    unsigned type, void *desc, size_t len, size_t *got)
{
	size_t off = 0, olen = strlen(owner) + 1;
	uint32_t hdr[3];

	while (n - off >= sizeof(hdr)) {
		size_t name_at, desc_at;

		memcpy(hdr, b + off, sizeof(hdr));
		off += sizeof(hdr);
		if (hdr[0] > n - off)
			break;
		name_at = off;
		off += hdr[0];
		off = (off + align - 1) & ~(align - 1);
		if (off > n || hdr[1] > n - off)
			break;
		desc_at = off;
		off += hdr[1];
		off = (off + align - 1) & ~(align - 1);
		if (hdr[2] == type && hdr[0] == olen &&
		    memcmp(b + name_at, owner, olen) == 0) {
			*got = hdr[1];
			if (hdr[1] != len)
				return VR_EINVALID;
			memcpy(desc, b + desc_at, len);
			return 0;
		}
		if (off > n)
			break;
	}
	return VR_ENOTFOUND;
}

int
vr_elf_note(int fd, const char *owner, unsigned type, void *desc,
    size_t len)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;
	unsigned char *buf;
	size_t i, got = 0;
	int rc;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return vr_error_set(VR_EINVALID, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != NATIVE_CLASS ||
	    eh.e_ident[EI_DATA] != NATIVE_DATA ||
	    eh.e_phentsize != sizeof(ph))
		return vr_error_set(VR_EINVALID, "not an ELF object of this "
		    "machine (%d-bit, %s endian)", __WORDSIZE,
		    NATIVE_DATA == ELFDATA2LSB ? "little" : "big");
	for (i = 0; i < eh.e_phnum && i < PHDRS_MAX; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
		    i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return vr_error_set(VR_EINVALID, "its program headers "
			    "are cut short");
		if (ph.p_type != PT_NOTE || ph.p_filesz == 0 ||
		    ph.p_filesz > NOTES_MAX)
			continue;
		buf = vr_malloc(ph.p_filesz);
		if (pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) !=
		    (ssize_t)ph.p_filesz) {
			free(buf);
			continue;
		}
		rc = find(buf, ph.p_filesz, ph.p_align == 8 ? 8 : 4, owner,
		    type, desc, len, &got);
		free(buf);
		if (rc == VR_EINVALID)
			return vr_error_set(rc, "its %s note has %zu bytes, "
			    "not %zu", owner, got, len);
		if (rc == 0)
			return 0;
	}
	return vr_error_set(VR_ENOTFOUND, "no %s note", owner);
}
