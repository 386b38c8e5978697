/* source.c - reading desired state from a file, stdin or a URL, with a
 * revision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/load.h"
#include "../../schema/util/sha1.h"
#include "source.h"

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
		*revision = vr_sha1_blob_id(buf, len);
	free(buf);
	return rc;
}
