/*
 * load.h - desired-state YAML (vmrecon/v1) into a struct vr_spec.
 *
 * Strict: unknown keys (with a "did you mean"), duplicate keys, wrong
 * types, out-of-range values, wrong apiVersion/kind, missing
 * metadata.name, duplicate VM names across documents, inputs over
 * VR_SPEC_MAX_BYTES and alias expansion past a small bound are all errors.
 * Every problem is added to `diags` as FILE:LINE:COL; nothing is returned
 * unless the whole file is valid.
 */
#ifndef VR_LOAD_H
#define VR_LOAD_H

#include <stddef.h>

#include "diag.h"
#include "model.h"

/* 4 MiB: room for a fleet file of 10,000 VMs (about 1.2 MB with
 * restartPolicy, twice that with every field) */
#define VR_SPEC_MAX_BYTES (4 * 1024 * 1024)

/* 0 and *out set, or VR_EINVALID with every problem in diags. */
int vr_spec_load_buffer(struct vr_spec **out, struct vr_diags *diags,
    const char *path, const char *buf, size_t len);

/* Reads `path` ("-" = stdin) and loads it.  I/O problems are VR_ENOTFOUND
 * or VR_ERROR with vr_error_last() set and nothing in diags. */
int vr_spec_load_file(struct vr_spec **out, struct vr_diags *diags,
    const char *path);

#endif
