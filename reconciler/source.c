/* source.c - reading desired state from a file, stdin or a URL, with a
 * revision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/error.h"
#include "../schema/fileio.h"
#include "../schema/load.h"
#include "../schema/sha1.h"
#include "source.h"

/* Git's blob id: SHA-1 of "blob <len>\0" and the bytes, computed here
 * (schema/sha1.c) so that reading a file loads neither libgit2 nor
 * libcrypto. */
char *
vr_source_revision(const char *buf, size_t len)
{
	struct vr_sha1 c;
	unsigned char md[20];
	char hdr[32], hex[41];
	int hl = snprintf(hdr, sizeof(hdr), "blob %zu", len), i;

	vr_sha1_init(&c);
	vr_sha1_update(&c, hdr, (size_t)hl + 1);
	vr_sha1_update(&c, buf, len);
	vr_sha1_final(&c, md);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return vr_asprintf("blob:%s", hex);
}

int
vr_source_load(struct vr_spec **out, char **revision, struct vr_diags *diags,
    const char *where)
{
	return vr_source_load_with(out, revision, diags, where, NULL, NULL);
}

int
vr_source_load_with(struct vr_spec **out, char **revision,
    struct vr_diags *diags, const char *where,
    const struct vr_http_options *http, bool *not_modified)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	*revision = NULL;
	if (not_modified)
		*not_modified = false;
	if (vr_http_is_url(where)) {
		rc = vr_source_http_fetch(&buf, &len, not_modified, where,
		    VR_SPEC_MAX_BYTES, http);
		if (rc < 0)
			return rc;
		goto parse;
	}
	rc = vr_file_read(&buf, &len, where, VR_SPEC_MAX_BYTES);
	if (rc == VR_EINVALID) {
		/* too big: a problem with the file, reported like the others */
		vr_diags_add(diags, where, 0, 0, "file is larger than %d bytes",
		    VR_SPEC_MAX_BYTES);
		return rc;
	}
	if (rc < 0)
		return rc;
parse:
	rc = vr_spec_load_buffer(out, diags, where, buf, len);
	if (rc == 0)
		*revision = vr_source_revision(buf, len);
	free(buf);
	return rc;
}
