/*
 * source.h - where desired state comes from: a file, stdin or an https
 * URL (source_http.h).  Every source yields the bytes, bounded to VR_SPEC_MAX_BYTES,
 * and a revision string for status ("blob:<git blob id of the bytes>"), so
 * the same content always has the same revision whatever its source.
 */
#ifndef VR_SOURCE_H
#define VR_SOURCE_H

#include <stddef.h>

#include "../../schema/diag.h"
#include "../../schema/model.h"
#include "source_http.h"

/* Read and load `where` ("-" = stdin).  Problems in the file go to diags
 * (VR_EINVALID); I/O errors set vr_error_last().  *revision is malloc'd. */
int vr_source_load(struct vr_spec **out, char **revision,
    struct vr_diags *diags, const char *where);

/* The same, with options for a URL (`http` may be NULL: defaults, no
 * cache); *not_modified (may be NULL) is set when the server answered 304
 * and the cached copy was used. */
int vr_source_load_with(struct vr_spec **out, char **revision,
    struct vr_diags *diags, const char *where,
    const struct vr_http_options *http, bool *not_modified);

#endif
