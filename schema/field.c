/* field.c - the field table (field.h) and what each kind of value does. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/units.h"
#include "field.h"
#include "window.h"

/* ---- accessors: where each field sits in the model ---- */

static void
int_value(struct vr_value *out, bool has, int64_t x)
{
	memset(out, 0, sizeof(*out));
	if (has) {
		out->kind = VR_VALUE_INT;
		out->i = x;
	}
}

static void
cpu_get(const struct vr_vm_spec *s, struct vr_value *out)
{
	int_value(out, s->has_cpu_count, s->cpu_count);
}

static void
cpu_set(struct vr_vm_spec *s, const struct vr_value *v)
{
	s->has_cpu_count = v->kind == VR_VALUE_INT;
	s->cpu_count = (int)v->i;
}

static void
cpu_live(const struct vr_vm_live *l, struct vr_value *out)
{
	int_value(out, true, l->cpu_count);
}

static void
mem_get(const struct vr_vm_spec *s, struct vr_value *out)
{
	int_value(out, s->has_memory, s->memory_mb);
}

static void
mem_set(struct vr_vm_spec *s, const struct vr_value *v)
{
	s->has_memory = v->kind == VR_VALUE_INT;
	s->memory_mb = v->i;
}

static void
mem_live(const struct vr_vm_live *l, struct vr_value *out)
{
	int_value(out, true, l->memory_mb);
}

/* gpu: unmanaged is NONE, `gpu: none` a GPU value of count 0 */
static void
gpu_get(const struct vr_vm_spec *s, struct vr_value *out)
{
	memset(out, 0, sizeof(*out));
	if (s->gpu_want == VR_GPU_UNMANAGED)
		return;
	out->kind = VR_VALUE_GPU;
	if (s->gpu_want == VR_GPU_WANT)
		vr_gpu_copy(&out->gpu, &s->gpu);
}

static void
gpu_set(struct vr_vm_spec *s, const struct vr_value *v)
{
	vr_gpu_clear(&s->gpu);
	if (v->kind != VR_VALUE_GPU)
		s->gpu_want = VR_GPU_UNMANAGED;
	else if (v->gpu.count == 0)
		s->gpu_want = VR_GPU_NONE;
	else {
		s->gpu_want = VR_GPU_WANT;
		vr_gpu_copy(&s->gpu, &v->gpu);
	}
}

static void
gpu_live(const struct vr_vm_live *l, struct vr_value *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = VR_VALUE_GPU;
	out->unknown = l->gpu_unknown;
	vr_gpu_copy(&out->gpu, &l->gpu);
}

static const char *const policy_names[] = { "Never", "IfNeeded", NULL };

static void
policy_get(const struct vr_vm_spec *s, struct vr_value *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = VR_VALUE_ENUM;
	out->i = s->restart_policy;
}

static void
policy_set(struct vr_vm_spec *s, const struct vr_value *v)
{
	s->restart_policy = v->kind == VR_VALUE_ENUM &&
	    v->i == VR_RESTART_IFNEEDED ? VR_RESTART_IFNEEDED :
	    VR_RESTART_NEVER;
}

static void
windows_get(const struct vr_vm_spec *s, struct vr_value *out)
{
	memset(out, 0, sizeof(*out));
	if (s->nwindows == 0)
		return;
	out->kind = VR_VALUE_WINDOWS;
	out->windows.v = vr_calloc(s->nwindows, sizeof(*s->windows));
	memcpy(out->windows.v, s->windows, s->nwindows * sizeof(*s->windows));
	out->windows.n = s->nwindows;
}

static void
windows_set(struct vr_vm_spec *s, const struct vr_value *v)
{
	free(s->windows);
	s->windows = NULL;
	s->nwindows = 0;
	if (v->kind != VR_VALUE_WINDOWS || v->windows.n == 0)
		return;
	s->windows = vr_calloc(v->windows.n, sizeof(*s->windows));
	memcpy(s->windows, v->windows.v, v->windows.n * sizeof(*s->windows));
	s->nwindows = v->windows.n;
}

/* ---- the table ---- */

/* Accessors rather than offsets: a field is more than one member (has_x
 * and x; gpu_want and gpu), of different C types, and live GPU has its
 * own `unknown`.  Only the position is a plain member, so it is an
 * offset. */
const struct vr_field_desc vr_fields[VR_FIELD__COUNT] = {
	[VR_FIELD_CPU_COUNT] = {
		.id = VR_FIELD_CPU_COUNT, .key = "cpuCount",
		.kind = VR_VALUE_INT, .unit = "", .min = 1, .max = 1024,
		.multiple = 1, .reconciled = true, .metric = "cpuCount",
		.get = cpu_get, .set = cpu_set, .live = cpu_live,
		.at = offsetof(struct vr_vm_spec, at_cpu_count),
	},
	[VR_FIELD_MEMORY] = {
		.id = VR_FIELD_MEMORY, .key = "memoryInMB",
		.kind = VR_VALUE_INT, .unit = "MB", .min = 1024,
		.max = 16777216, .multiple = 2, .reconciled = true,
		.metric = "memoryInMB",
		.get = mem_get, .set = mem_set, .live = mem_live,
		.at = offsetof(struct vr_vm_spec, at_memory),
	},
	[VR_FIELD_GPU] = {
		.id = VR_FIELD_GPU, .key = "gpu", .kind = VR_VALUE_GPU,
		.unit = "", .min = 1, .max = 64, .multiple = 1,
		.reconciled = true, .metric = "gpuCount",
		.get = gpu_get, .set = gpu_set, .live = gpu_live,
		.at = offsetof(struct vr_vm_spec, at_gpu),
	},
	[VR_FIELD_RESTART_POLICY] = {
		.id = VR_FIELD_RESTART_POLICY, .key = "restartPolicy",
		.kind = VR_VALUE_ENUM, .unit = "", .names = policy_names,
		.dflt = VR_RESTART_NEVER, .reconciled = false,
		.get = policy_get, .set = policy_set,
		.at = offsetof(struct vr_vm_spec, at_restart_policy),
	},
	/* min, max: a window's duration in seconds */
	[VR_FIELD_RESTART_WINDOWS] = {
		.id = VR_FIELD_RESTART_WINDOWS, .key = "restartWindows",
		.kind = VR_VALUE_WINDOWS, .unit = "s",
		.min = VR_WINDOW_MIN_MS / 1000,
		.max = VR_DURATION_MAX_MS / 1000, .multiple = 1,
		.max_items = VR_WINDOWS_MAX, .reconciled = false,
		.get = windows_get, .set = windows_set,
		.at = offsetof(struct vr_vm_spec, at_windows),
	},
};

_Static_assert(VR_FIELD__COUNT <= 32, "a set of fields is an unsigned");

char *
vr_fields_text(unsigned set)
{
	char *s = vr_strdup(""), *t;
	size_t i, n = 0, left;

	for (i = 0; i < VR_FIELD__COUNT; i++)
		n += (set & VR_FIELD_BIT(i)) != 0;
	if (n == 0) {
		free(s);
		return vr_strdup("none");
	}
	left = n;
	for (i = 0; i < VR_FIELD__COUNT; i++) {
		if (!(set & VR_FIELD_BIT(i)))
			continue;
		left--;
		t = vr_asprintf("%s%s%s", s, left + 1 == n ? "" :
		    left == 0 ? " and " : ", ", vr_fields[i].key);
		free(s);
		s = t;
	}
	return s;
}

const struct vr_field_desc *
vr_field_find(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < VR_FIELD__COUNT; i++)
		if (strlen(vr_fields[i].key) == len &&
		    memcmp(vr_fields[i].key, key, len) == 0)
			return &vr_fields[i];
	return NULL;
}

/* ---- values ---- */

void
vr_value_clear(struct vr_value *v)
{
	vr_gpu_clear(&v->gpu);
	free(v->list.v);
	free(v->windows.v);
	memset(v, 0, sizeof(*v));
}

void
vr_value_copy(struct vr_value *dst, const struct vr_value *src)
{
	*dst = *src;
	vr_gpu_copy(&dst->gpu, &src->gpu);
	dst->list.v = NULL;
	if (src->list.n) {
		dst->list.v = vr_calloc(src->list.n, sizeof(*dst->list.v));
		memcpy(dst->list.v, src->list.v,
		    src->list.n * sizeof(*dst->list.v));
	}
	dst->windows.v = NULL;
	if (src->windows.n) {
		dst->windows.v = vr_calloc(src->windows.n,
		    sizeof(*dst->windows.v));
		memcpy(dst->windows.v, src->windows.v,
		    src->windows.n * sizeof(*dst->windows.v));
	}
}

bool
vr_value_equal(const struct vr_value *a, const struct vr_value *b)
{
	if (a->kind != b->kind || a->unknown || b->unknown)
		return false;
	switch (a->kind) {
	case VR_VALUE_NONE:
		return true;
	case VR_VALUE_INT:
	case VR_VALUE_ENUM:
		return a->i == b->i;
	case VR_VALUE_GPU:
		return vr_gpu_equal(&a->gpu, &b->gpu);
	case VR_VALUE_INT_LIST:
		return a->list.n == b->list.n && (a->list.n == 0 ||
		    memcmp(a->list.v, b->list.v, a->list.n *
		    sizeof(*a->list.v)) == 0);
	case VR_VALUE_WINDOWS:
		return a->windows.n == b->windows.n && (a->windows.n == 0 ||
		    memcmp(a->windows.v, b->windows.v, a->windows.n *
		    sizeof(*a->windows.v)) == 0);
	}
	return false;
}

bool
vr_value_empty(const struct vr_value *v)
{
	return (v->kind == VR_VALUE_GPU && v->gpu.count == 0) ||
	    (v->kind == VR_VALUE_INT_LIST && v->list.n == 0);
}

static bool
in_range(const struct vr_field_desc *f, int64_t x)
{
	return x >= f->min && x <= f->max &&
	    (f->multiple <= 1 || x % f->multiple == 0);
}

bool
vr_field_ok(const struct vr_field_desc *f, const struct vr_value *v)
{
	size_t i, n = 0;

	if (v->kind != f->kind)
		return false;
	switch (v->kind) {
	case VR_VALUE_INT:
		return in_range(f, v->i);
	case VR_VALUE_ENUM:
		while (f->names[n])
			n++;
		return v->i >= 0 && (size_t)v->i < n;
	case VR_VALUE_GPU:
		return v->gpu.count == 0 || (in_range(f, v->gpu.count) &&
		    v->gpu.name && v->gpu.name[0] &&
		    vr_gpu_type_name(v->gpu.type));
	case VR_VALUE_INT_LIST:
		if (v->list.n > f->max_items)
			return false;
		for (i = 0; i < v->list.n; i++)
			if (!in_range(f, v->list.v[i]))
				return false;
		return true;
	case VR_VALUE_WINDOWS:
		if (v->windows.n == 0 || v->windows.n > f->max_items)
			return false;
		for (i = 0; i < v->windows.n; i++)
			if (!in_range(f, v->windows.v[i].duration_s) ||
			    v->windows.v[i].days == 0 ||
			    (v->windows.v[i].days & ~VR_WINDOW_ALL_DAYS) ||
			    v->windows.v[i].start_min < 0 ||
			    v->windows.v[i].start_min >= 24 * 60)
				return false;
		return true;
	case VR_VALUE_NONE:
		break;
	}
	return false;
}

/* "[Sat,Sun 22:00+5h Europe/Berlin, 03:15+1m30s UTC]" */
static char *
windows_text(const struct vr_window_list *l)
{
	char one[160], *s = vr_strdup("["), *t;
	size_t i;

	for (i = 0; i < l->n; i++) {
		t = vr_asprintf("%s%s%s", s, i ? ", " : "",
		    vr_window_describe(one, sizeof(one), &l->v[i]));
		free(s);
		s = t;
	}
	t = vr_asprintf("%s]", s);
	free(s);
	return t;
}

static const char *const day_words[7] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };

/* A window as a spec writes it; days Monday first, left out when every
 * day (the default). */
static json_t *
window_json(const struct vr_window *w)
{
	char start[32], dur[32];
	json_t *o, *d;
	int k;

	snprintf(start, sizeof(start), "%02d:%02d", w->start_min / 60,
	    w->start_min % 60);
	o = json_pack("{s:s, s:s, s:s}", "start", start, "duration",
	    vr_duration_format(dur, sizeof(dur), w->duration_s * 1000),
	    "timeZone", w->zone);
	if (w->days != VR_WINDOW_ALL_DAYS) {
		d = json_array();
		for (k = 1; k <= 7; k++)
			if (w->days & (1u << (k % 7)))
				json_array_append_new(d,
				    json_string(day_words[k % 7]));
		json_object_set_new(o, "days", d);
	}
	return o;
}

/* The form window_json writes, back; 0 or VR_EINVALID. */
static int
window_from_json(struct vr_window *w, const json_t *j)
{
	const json_t *d = json_object_get(j, "days"), *x;
	const char *zone = json_string_value(json_object_get(j, "timeZone"));
	size_t i;
	unsigned bit;

	memset(w, 0, sizeof(*w));
	if (!json_is_object(j) || vr_window_parse_start(&w->start_min,
	    json_string_value(json_object_get(j, "start"))) < 0 ||
	    vr_window_parse_duration(&w->duration_s, json_string_value(
	    json_object_get(j, "duration")), "duration") < 0 ||
	    vr_window_parse_zone(w->zone, sizeof(w->zone), zone ? zone :
	    "UTC") < 0)
		return VR_EINVALID;
	w->days = d ? 0 : VR_WINDOW_ALL_DAYS;
	if (d && (!json_is_array(d) || json_array_size(d) == 0))
		return VR_EINVALID;
	json_array_foreach(d, i, x) {
		if (vr_window_parse_day(&bit, json_string_value(x)) < 0)
			return VR_EINVALID;
		w->days |= bit;
	}
	return 0;
}

static char *
gpu_text(const struct vr_gpu *g)
{
	const char *t = vr_gpu_type_name(g->type);

	if (g->count == 0)
		return vr_strdup("none");
	if (!g->name)
		return vr_asprintf("%d GPU%s (name and type unknown)",
		    g->count, g->count == 1 ? "" : "s");
	return vr_asprintf("%s (%s, count %d)", g->name, t ? t : "type unknown",
	    g->count);
}

static char *
list_text(const struct vr_int_list *l)
{
	size_t i, len = 3;
	char *s;

	if (l->n == 0)
		return vr_strdup("none");
	len += l->n * 22;
	s = vr_calloc(1, len);
	strcpy(s, "[");
	for (i = 0; i < l->n; i++)
		snprintf(s + strlen(s), len - strlen(s), "%s%" PRId64,
		    i ? ", " : "", l->v[i]);
	strcat(s, "]");
	return s;
}

char *
vr_field_text(const struct vr_field_desc *f, const struct vr_value *v)
{
	switch (v->kind) {
	case VR_VALUE_INT:
		return vr_asprintf("%lld", (long long)v->i);
	case VR_VALUE_ENUM:
		return vr_strdup(vr_field_ok(f, v) ? f->names[v->i] : "?");
	case VR_VALUE_GPU:
		return gpu_text(&v->gpu);
	case VR_VALUE_INT_LIST:
		return list_text(&v->list);
	case VR_VALUE_WINDOWS:
		return windows_text(&v->windows);
	case VR_VALUE_NONE:
		break;
	}
	return vr_strdup("unset");
}

json_t *
vr_field_json(const struct vr_field_desc *f, const struct vr_value *v,
    enum vr_json_form form)
{
	const char *t;
	json_t *a;
	size_t i;

	switch (v->kind) {
	case VR_VALUE_INT:
		return json_integer(v->i);
	case VR_VALUE_ENUM:
		return vr_field_ok(f, v) ? json_string(f->names[v->i]) :
		    json_null();
	case VR_VALUE_GPU:
		if (v->gpu.count == 0)
			return form == VR_JSON_SPEC ? json_string("none") :
			    json_null();
		t = vr_gpu_type_name(v->gpu.type);
		return json_pack("{s:o, s:o, s:i}", "name", v->gpu.name ?
		    json_string(v->gpu.name) : json_null(), "passthroughType",
		    t ? json_string(t) : json_null(), "count", v->gpu.count);
	case VR_VALUE_INT_LIST:
		a = json_array();
		for (i = 0; i < v->list.n; i++)
			json_array_append_new(a, json_integer(v->list.v[i]));
		return a;
	case VR_VALUE_WINDOWS:
		a = json_array();
		for (i = 0; i < v->windows.n; i++)
			json_array_append_new(a, window_json(&v->windows.v[i]));
		return a;
	case VR_VALUE_NONE:
		break;
	}
	return json_null();
}

static int
int_from_json(const struct vr_field_desc *f, const json_t *j, int64_t *out,
    const char *where, const char *key)
{
	if (!json_is_integer(j) || !in_range(f, json_integer_value(j)))
		return vr_error_set(VR_EINVALID, "%s: '%s' is not an integer "
		    "in %lld..%lld%s", where, key, (long long)f->min,
		    (long long)f->max, f->multiple > 1 ? " (a multiple of "
		    "the unit step)" : "");
	*out = json_integer_value(j);
	return 0;
}

int
vr_field_from_json(const struct vr_field_desc *f, const json_t *j,
    struct vr_value *out, const char *where)
{
	int64_t x;
	size_t i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	switch (f->kind) {
	case VR_VALUE_INT:
		if ((rc = int_from_json(f, j, &out->i, where, f->key)) < 0)
			return rc;
		break;
	case VR_VALUE_ENUM:
		for (n = 0; json_is_string(j) && f->names[n]; n++)
			if (strcmp(f->names[n], json_string_value(j)) == 0)
				break;
		if (!json_is_string(j) || !f->names[n])
			return vr_error_set(VR_EINVALID, "%s: bad %s", where,
			    f->key);
		out->i = (int64_t)n;
		break;
	case VR_VALUE_GPU:
		out->kind = VR_VALUE_GPU;
		if (json_is_null(j))
			return 0;
		if (!json_is_object(j) ||
		    !json_is_string(json_object_get(j, "name")) ||
		    !json_is_string(json_object_get(j, "passthroughType")) ||
		    vr_gpu_type_parse(&out->gpu.type, json_string_value(
		    json_object_get(j, "passthroughType"))) ||
		    int_from_json(f, json_object_get(j, "count"), &x, where,
		    "count") < 0) {
			memset(out, 0, sizeof(*out));
			return vr_error_set(VR_EINVALID, "%s: bad %s", where,
			    f->key);
		}
		out->gpu.name = vr_strdup(json_string_value(
		    json_object_get(j, "name")));
		out->gpu.count = (int)x;
		break;
	case VR_VALUE_INT_LIST:
		if (!json_is_array(j) || json_array_size(j) > f->max_items)
			return vr_error_set(VR_EINVALID, "%s: bad %s", where,
			    f->key);
		n = json_array_size(j);
		out->list.v = n ? vr_calloc(n, sizeof(*out->list.v)) : NULL;
		for (i = 0; i < n; i++) {
			if ((rc = int_from_json(f, json_array_get(j, i),
			    &out->list.v[i], where, f->key)) < 0) {
				vr_value_clear(out);
				return rc;
			}
			out->list.n++;
		}
		break;
	case VR_VALUE_WINDOWS:
		n = json_array_size(j);
		if (!json_is_array(j) || n == 0 || n > f->max_items)
			return vr_error_set(VR_EINVALID, "%s: bad %s", where,
			    f->key);
		out->windows.v = vr_calloc(n, sizeof(*out->windows.v));
		for (i = 0; i < n; i++) {
			if (window_from_json(&out->windows.v[i],
			    json_array_get(j, i)) < 0) {
				vr_value_clear(out);
				return vr_error_set(VR_EINVALID, "%s: bad %s[%zu]",
				    where, f->key, i);
			}
			out->windows.n++;
		}
		break;
	case VR_VALUE_NONE:
		return vr_error_set(VR_EINVALID, "%s: bad %s", where, f->key);
	}
	out->kind = f->kind;
	return 0;
}

int64_t
vr_value_gauge(const struct vr_value *v)
{
	switch (v->kind) {
	case VR_VALUE_INT:
	case VR_VALUE_ENUM:
		return v->i;
	case VR_VALUE_GPU:
		return v->gpu.count;
	case VR_VALUE_INT_LIST:
		return (int64_t)v->list.n;
	case VR_VALUE_WINDOWS:
		return (int64_t)v->windows.n;
	case VR_VALUE_NONE:
		break;
	}
	return 0;
}
