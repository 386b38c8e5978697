/* source.c - reading desired state from a file, stdin or a URL, with a
 * revision. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/error.h"
#include "../schema/fileio.h"
#include "../schema/load.h"
#include "source.h"

/*
 * Git's blob id: SHA-1 of "blob <len>\0" and the bytes.  Computed with
 * libcrypto rather than libgit2, so a command that never touches Git does
 * not pay for git_libgit2_init() (which loads a CA bundle here).
 */
char *
vr_source_revision(const char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hdr[32], hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int n = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int hl = snprintf(hdr, sizeof(hdr), "blob %zu", len);

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(ctx, hdr, (size_t)hl + 1) ||
	    !EVP_DigestUpdate(ctx, buf, len) ||
	    !EVP_DigestFinal_ex(ctx, md, &n)) {
		EVP_MD_CTX_free(ctx);
		return vr_strdup("blob:unknown");
	}
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < n; i++)
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
