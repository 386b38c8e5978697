/*
 * json.c - the strict JSON field readers of json.h: one lookup (absent,
 * null, present), one check per type, one message format naming the path.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"

char *
vr_json_path(const char *path, const char *key)
{
	if (!path || !path[0])
		return vr_strdup(key);
	return vr_asprintf("%s.%s", path, key);
}

int
vr_json_bad(const struct vr_json_at *at, const char *key, const char *fmt,
    ...)
{
	char what[512], *p = key ? vr_json_path(at->path, key) :
	    vr_strdup(at->path ? at->path : "");
	const char *src = at->src ? at->src : "";
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rc = vr_error_set(at->code, "%s%s%s%s%s", src, src[0] ? ": " : "", p,
	    p[0] ? ": " : "", what);
	free(p);
	return rc;
}

/* The value to check: 1 and *v when present, 0 when absent (or null
 * with VR_JSON_NULL_OK) and optional, else the error. */
static int
lookup(json_t **v, const struct vr_json_at *at, const json_t *obj,
    const char *key, unsigned flags)
{
	*v = key ? json_object_get(obj, key) : (json_t *)obj;
	if (*v && json_is_null(*v) && (flags & VR_JSON_NULL_OK))
		*v = NULL;
	if (*v)
		return 1;
	if (flags & VR_JSON_OPTIONAL)
		return 0;
	if (!key)
		return vr_json_bad(at, NULL, "missing");
	return vr_json_bad(at, NULL, "missing key '%s'", key);
}

int
vr_json_keys(const struct vr_json_at *at, const json_t *obj,
    const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		char list[256] = "";
		size_t used = 0;

		for (i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i])
			continue;
		for (i = 0; allowed[i] && used < sizeof(list); i++)
			used += (size_t)snprintf(list + used,
			    sizeof(list) - used, "%s%s", i ? ", " : "",
			    allowed[i]);
		return vr_json_bad(at, key, "unknown key (expected one of: "
		    "%s)", list);
	}
	return 0;
}

int
vr_json_int(int64_t *out, const struct vr_json_at *at, const json_t *obj,
    const char *key, int64_t min, int64_t max, unsigned flags)
{
	json_t *v;
	int rc = lookup(&v, at, obj, key, flags);
	json_int_t x;

	if (rc <= 0)
		return rc;
	if (!json_is_integer(v))
		return vr_json_bad(at, key, "expected an integer");
	x = json_integer_value(v);
	if (x < min || x > max)
		return vr_json_bad(at, key, "%lld is out of range (%lld to "
		    "%lld)", (long long)x, (long long)min, (long long)max);
	*out = x;
	return 1;
}

int
vr_json_str(const char **out, const struct vr_json_at *at,
    const json_t *obj, const char *key, size_t min_len, size_t max_len,
    enum vr_json_chars chars, unsigned flags)
{
	json_t *v;
	int rc = lookup(&v, at, obj, key, flags);
	const char *s;
	size_t n, i;

	if (rc <= 0)
		return rc;
	if (!json_is_string(v))
		return vr_json_bad(at, key, "expected a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n < min_len || n > max_len)
		return vr_json_bad(at, key, "expected %zu to %zu characters",
		    min_len, max_len);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (chars == VR_JSON_ANY && c == 0)
			return vr_json_bad(at, key, "contains a NUL byte");
		if (chars == VR_JSON_PRINT && (c < 0x20 || c == 0x7f))
			return vr_json_bad(at, key, "contains a control "
			    "character");
		if (chars == VR_JSON_HEX && !isxdigit(c))
			return vr_json_bad(at, key, "contains a character "
			    "that is not a hex digit");
		if (chars == VR_JSON_LOWER_HEX && !isdigit(c) &&
		    (c < 'a' || c > 'f'))
			return vr_json_bad(at, key, "contains a character "
			    "that is not a lower-case hex digit");
	}
	*out = s;
	return 1;
}

int
vr_json_bool(bool *out, const struct vr_json_at *at, const json_t *obj,
    const char *key, unsigned flags)
{
	json_t *v;
	int rc = lookup(&v, at, obj, key, flags);

	if (rc <= 0)
		return rc;
	if (!json_is_boolean(v))
		return vr_json_bad(at, key, "expected true or false");
	*out = json_is_true(v);
	return 1;
}

int
vr_json_value(json_t **out, const struct vr_json_at *at, const json_t *obj,
    const char *key, unsigned flags)
{
	json_t *v;
	int rc = lookup(&v, at, obj, key, flags);

	if (rc > 0)
		*out = v;
	return rc;
}

int
vr_json_object(json_t **out, const struct vr_json_at *at, const json_t *obj,
    const char *key, unsigned flags)
{
	json_t *v;
	int rc = lookup(&v, at, obj, key, flags);

	if (rc <= 0)
		return rc;
	if (!json_is_object(v))
		return vr_json_bad(at, key, "expected %san object",
		    flags & VR_JSON_NULL_OK ? "null or " : "");
	*out = v;
	return 1;
}

int
vr_json_array(json_t **out, const struct vr_json_at *at, const json_t *obj,
    const char *key, size_t min_n, size_t max_n, unsigned flags)
{
	json_t *v;
	int rc = lookup(&v, at, obj, key, flags);

	if (rc <= 0)
		return rc;
	if (!json_is_array(v))
		return vr_json_bad(at, key, "expected %san array",
		    flags & VR_JSON_NULL_OK ? "null or " : "");
	if (json_array_size(v) < min_n || json_array_size(v) > max_n)
		return vr_json_bad(at, key, "expected an array of %zu to %zu "
		    "elements", min_n, max_n);
	*out = v;
	return 1;
}
