/*
 * json.h - strict readers for fields of untrusted JSON (a host's observe
 * output, the sim file, a saved plan, watch.json, the state dir's files,
 * the git helper's requests and answers), over jansson.  Each
 * reader checks type and bounds and names the field's path in its error,
 * as "SRC: PATH.KEY: what" ("sim.json: vms.e.cpuCount: 0 is out of range
 * (1 to 1024)").  A caller takes a spec field's bounds from the field
 * table (schema/field.h) and any other quantity's from schema/bounds.h.
 *
 * Every reader takes `obj` and `key`: the member `key` of object `obj`,
 * at at->path; with key NULL, `obj` is the value itself and at->path its
 * path (an array element).  Each returns 1 when it read a value, 0 when
 * the member is absent (or null) and that is allowed, or at->code.
 */
#ifndef VR_JSON_H
#define VR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Where the fields are read from, for messages. */
struct vr_json_at {
	const char *src;  /* "sim.json", "the observe script's JSON"; or NULL */
	const char *path; /* the object's path: "" at the top, "vms.e" */
	int code;         /* VR_E* for bad input: VR_EINVALID, VR_EBACKEND */
};

/* flags */
#define VR_JSON_REQUIRED 0u
#define VR_JSON_OPTIONAL 1u /* absent is fine: *out untouched, returns 0 */
#define VR_JSON_NULL_OK 2u  /* null reads as absent (with _OPTIONAL) */

/* The characters a string may hold (a NUL byte never). */
enum vr_json_chars {
	VR_JSON_ANY,   /* any but NUL */
	VR_JSON_PRINT, /* no control character (below 0x20, 0x7f) */
	VR_JSON_HEX,   /* 0-9, a-f, A-F */
	VR_JSON_LOWER_HEX, /* 0-9, a-f: as Git writes an object id */
};

/* Report at->code with "SRC: PATH[.KEY]: what". */
int vr_json_bad(const struct vr_json_at *at, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "path.key" ("key" when path is ""); caller frees. */
char *vr_json_path(const char *path, const char *key);

/* Refuse a key of `obj` that is not in the NULL-terminated `allowed`. */
int vr_json_keys(const struct vr_json_at *at, const json_t *obj,
    const char *const *allowed);

/* An integer in [min, max] (a real such as 1.5 is refused). */
int vr_json_int(int64_t *out, const struct vr_json_at *at, const json_t *obj,
    const char *key, int64_t min, int64_t max, unsigned flags);

/* A string of min_len to max_len bytes of `chars`; *out points into obj. */
int vr_json_str(const char **out, const struct vr_json_at *at,
    const json_t *obj, const char *key, size_t min_len, size_t max_len,
    enum vr_json_chars chars, unsigned flags);

int vr_json_bool(bool *out, const struct vr_json_at *at, const json_t *obj,
    const char *key, unsigned flags);

/* A member of any JSON type (null included), for a value its caller
 * checks itself (a field's value: vr_field_from_json); *out is borrowed
 * from obj. */
int vr_json_value(json_t **out, const struct vr_json_at *at,
    const json_t *obj, const char *key, unsigned flags);

/* An object; *out is borrowed from obj. */
int vr_json_object(json_t **out, const struct vr_json_at *at,
    const json_t *obj, const char *key, unsigned flags);

/* An array of min_n to max_n elements; *out is borrowed from obj. */
int vr_json_array(json_t **out, const struct vr_json_at *at,
    const json_t *obj, const char *key, size_t min_n, size_t max_n,
    unsigned flags);

#endif
