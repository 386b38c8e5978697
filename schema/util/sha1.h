/* sha1.h - SHA-1 (FIPS 180-4), for Git's blob ids only: the core binary
 * names a desired-state file's revision the way Git does without linking
 * libcrypto or libgit2.  Not for anything that needs collision resistance. */
#ifndef VR_SHA1_H
#define VR_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct vr_sha1 {
	uint32_t h[5];
	uint64_t len;          /* bytes so far */
	unsigned char buf[64]; /* the block being filled */
};

void vr_sha1_init(struct vr_sha1 *c);
void vr_sha1_update(struct vr_sha1 *c, const void *data, size_t n);
void vr_sha1_final(struct vr_sha1 *c, unsigned char md[20]);

/* "blob:<hex>": Git's blob id of these bytes (malloc'd), the revision
 * of a desired-state file that is not a Git commit. */
char *vr_sha1_blob_id(const char *buf, size_t len);

#endif
