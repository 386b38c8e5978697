/*
 * load.c - desired-state YAML (vmrecon/v1) into a struct vr_spec, with
 * every problem reported as FILE:LINE:COL.
 *
 * ytree.h reads each document into a tree (strictly, bounded: its comment
 * says how and why) and calls doc_end when it ends; doc_end checks the tree
 * and fills the model, and the tree is freed: memory stays that of one
 * document, however many the file holds.  At most VR_SPEC_MAX_BYTES of
 * input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/fileio.h"
#include "field.h"
#include "load.h"
#include "suggest.h"
#include "window.h"
#include "ytree.h"

#define MAX_NAME 64
#define MAX_GPU_NAME 256

#define GPU_HINT "use 'gpu: none' to remove the GPU, or leave 'gpu' out " \
	"to leave it alone"

struct doc {
	const struct vr_ynode *root;
	struct vr_pos at;
};

static const char *const root_keys[] = {
	"apiVersion", "kind", "metadata", "spec", NULL };
static const char *const meta_keys[] = { "name", NULL };
static const char *const window_keys[] = {
	"days", "start", "duration", "timeZone", NULL };
static const char *const gpu_keys[] = {
	"name", "passthroughType", "count", NULL };
static const char *const gpu_types[] = {
	"DirectDeviceAssignment", "ParaVirtualization", NULL };

/* Words people write for a key, by the key they mean. */
static const struct vr_ysynonym synonyms[] = {
	{ "cpu", "cpuCount" }, { "cpus", "cpuCount" },
	{ "vcpus", "cpuCount" }, { "vcpu", "cpuCount" },
	{ "cores", "cpuCount" }, { "mem", "memoryInMB" },
	{ "memory", "memoryInMB" }, { "ram", "memoryInMB" },
	{ "memoryMB", "memoryInMB" }, { "type", "passthroughType" },
	{ "restart", "restartPolicy" }, { "gpus", "gpu" },
	{ "windows", "restartWindows" }, { "maintenanceWindows",
	"restartWindows" }, { "tz", "timeZone" }, { "zone", "timeZone" },
	{ "timezone", "timeZone" }, { "length", "duration" },
	{ "version", "apiVersion" }, { "api", "apiVersion" },
};

/* The VMs found so far: one per document that is not empty. */
struct vms {
	struct vr_vm_spec *v;
	size_t n, cap;
};

/* An unknown key at the top that belongs under spec or metadata. */
static const char *
top_home(const char *s, size_t len)
{
	if (vr_field_find(s, len))
		return "spec";
	if (strlen(meta_keys[0]) == len && memcmp(meta_keys[0], s, len) == 0)
		return "metadata";
	return NULL;
}

static bool check_doc(struct vr_yload *L, const struct doc *d,
    struct vr_vm_spec *vm);
static int list_items(struct vr_yload *L, const struct doc *d,
    const struct vr_ynode **items);


/* Check one document into the next VM. */
static void
check_next(struct vr_yload *L, const struct doc *d)
{
	struct vms *vms = L->ctx;

	if (vms->n == vms->cap) {
		vms->cap = vms->cap ? vms->cap * 2 : 4;
		vms->v = vr_realloc(vms->v, vms->cap * sizeof(*vms->v));
	}
	memset(&vms->v[vms->n], 0, sizeof(vms->v[vms->n]));
	if (check_doc(L, d, &vms->v[vms->n]))
		vms->n++;
}

/* A document ended: check it (or each item of a `kind: List`) into the
 * next VM. */
static void
doc_end(struct vr_yload *L, const struct vr_ynode *root, struct vr_pos at)
{
	struct doc d = { root, at };
	const struct vr_ynode *items;
	size_t j;

	switch (list_items(L, &d, &items)) {
	case 0:
		check_next(L, &d);
		break;
	case 1:
		for (j = 0; j < items->nkid; j++) {
			struct doc item = { items->kid[j],
			    items->kid[j]->at };

			check_next(L, &item);
		}
		break;
	default: /* reported */
		break;
	}
}


static void
check_vm_name(struct vr_yload *L, const struct vr_ynode *v,
    struct vr_vm_spec *vm)
{
	const struct vr_ynode *n = vr_yget_str(L, v, "metadata.name");
	char b[256];
	size_t i;

	if (!n)
		return;
	vr_yshown(b, n->s, n->len, true); /* only ASCII is valid */
	if (n->len == 0) {
		vr_ybad(L, v->at, "'metadata.name' is empty");
		return;
	}
	if (n->len > MAX_NAME) {
		vr_ybad(L, v->at, "'metadata.name' is longer than %d "
		    "characters", MAX_NAME);
		return;
	}
	for (i = 0; i < n->len; i++) {
		if (!vr_name_char_ok(n->s[i], i)) {
			vr_ybad(L, v->at, "invalid VM name '%s': use letters, "
			    "digits, '.', '_' and '-', starting with a letter "
			    "or digit", b);
			return;
		}
	}
	vm->name = vr_strndup(n->s, n->len);
	vm->at_name = v->at;
}

static void
check_gpu_name(struct vr_yload *L, const struct vr_ynode *v, struct vr_gpu *gpu)
{
	const struct vr_ynode *n = vr_yget_str(L, v, "spec.gpu.name");
	size_t i, w;

	if (!n)
		return;
	if (n->len == 0) {
		vr_ybad(L, v->at, "'spec.gpu.name' is empty");
		return;
	}
	if (n->len > MAX_GPU_NAME) {
		vr_ybad(L, v->at, "'spec.gpu.name' is longer than %d bytes",
		    MAX_GPU_NAME);
		return;
	}
	for (i = 0; i < n->len; i += w) {
		uint32_t c = vr_utf8_next((const unsigned char *)n->s + i,
		    n->len - i, &w);

		if (vr_ysneaky(c)) {
			vr_ybad(L, v->at, "'spec.gpu.name' has a control "
			    "character (U+%04X)", (unsigned)c);
			return;
		}
	}
	gpu->name = vr_strndup(n->s, n->len);
}

static void
check_gpu(struct vr_yload *L, const struct vr_ynode *keyn,
    const struct vr_ynode *v, struct vr_vm_spec *vm)
{
	const struct vr_ynode *n = vr_yderef(v), *val[3], *key[3];
	enum { G_NAME, G_TYPE, G_COUNT };
	int64_t count = 1;
	int type = -1;
	char b[256];

	vm->at_gpu = v->at;
	if (n->kind == VR_Y_SCALAR) {
		enum vr_ytype t = vr_yresolve(L, n);

		if (t == VR_Y_NULL) {
			vr_ybad(L, v->at, "'spec.gpu' has no value; " GPU_HINT);
		} else if (n->len == 4 && memcmp(n->s, "none", 4) == 0) {
			vm->gpu_want = VR_GPU_NONE;
		} else {
			vr_yshown(b, n->s, n->len, false);
			vr_ybad(L, v->at, "'spec.gpu' must be a mapping or "
			    "'none', not '%s'%s", b,
			    vr_suggest_distance(n->s, n->len, "none") == 0 ?
			    "; did you mean 'none'?" : "");
		}
		return;
	}
	if (n->kind != VR_Y_MAP) {
		vr_ybad(L, v->at, "'spec.gpu' must be a mapping or 'none', "
		    "not %s", vr_ywhat(L, n));
		return;
	}
	vr_ycheck_keys(L, n, "spec.gpu", gpu_keys, val, key);
	vm->gpu_want = VR_GPU_WANT;
	if (!val[G_NAME])
		vr_ybad(L, keyn->at, "missing 'name' in 'spec.gpu'");
	else
		check_gpu_name(L, val[G_NAME], &vm->gpu);
	vm->at_gpu_name = val[G_NAME] ? val[G_NAME]->at : v->at;
	if (!val[G_TYPE])
		vr_ybad(L, keyn->at, "missing 'passthroughType' in 'spec.gpu'");
	else if (vr_yget_enum(L, val[G_TYPE], "spec.gpu.passthroughType",
	    gpu_types, &type))
		vm->gpu.type = type == 0 ? VR_GPU_DDA : VR_GPU_PV;
	vm->at_gpu_type = val[G_TYPE] ? val[G_TYPE]->at : v->at;
	vm->at_gpu_count = v->at; /* the default comes from the mapping */
	if (val[G_COUNT]) {
		vm->at_gpu_count = val[G_COUNT]->at;
		if (!vr_yget_int(L, val[G_COUNT], "spec.gpu.count",
		    vr_fields[VR_FIELD_GPU].min, vr_fields[VR_FIELD_GPU].max,
		    &count))
			return;
		if (count != 1 && vm->gpu.type == VR_GPU_PV)
			vr_ybad(L, val[G_COUNT]->at, "'spec.gpu.count' must "
			    "be 1 with 'ParaVirtualization', not %lld",
			    (long long)count);
	}
	vm->gpu.count = (int)count;
}

/* A sequence of integers within f's bounds, for an INT_LIST field. */
static bool
get_int_list(struct vr_yload *L, const struct vr_ynode *v, const char *what_,
    const struct vr_field_desc *f, struct vr_value *out)
{
	const struct vr_ynode *n = vr_yderef(v);
	char item[128];
	size_t i;
	int64_t x;
	bool ok = true;

	if (n->kind != VR_Y_SEQ) {
		vr_ybad(L, v->at, "'%s' must be a sequence of integers, not %s",
		    what_, vr_ywhat(L, n));
		return false;
	}
	if (n->nkid > f->max_items) {
		vr_ybad(L, v->at, "'%s' has more than %zu items", what_,
		    f->max_items);
		return false;
	}
	out->kind = VR_VALUE_INT_LIST;
	out->list.v = vr_calloc(n->nkid + 1, sizeof(*out->list.v));
	for (i = 0; i < n->nkid; i++) {
		snprintf(item, sizeof(item), "%s[%zu]", what_, i);
		if (vr_yget_int(L, n->kid[i], item, f->min, f->max, &x))
			out->list.v[out->list.n++] = x;
		else
			ok = false;
	}
	return ok;
}

/* One of spec.restartWindows (window.h); false if it is not valid. */
static bool
check_window(struct vr_yload *L, const struct vr_ynode *v, size_t idx,
    struct vr_window *w)
{
	const struct vr_ynode *n, *val[4], *key[4], *d;
	enum { W_DAYS, W_START, W_DURATION, W_ZONE };
	char where[48], what_[64], quoted[72], *str;
	bool ok = true;
	size_t i;

	snprintf(where, sizeof(where), "spec.restartWindows[%zu]", idx);
	memset(w, 0, sizeof(*w));
	w->days = VR_WINDOW_ALL_DAYS;
	snprintf(w->zone, sizeof(w->zone), "UTC");
	if (!(n = vr_yget_map(L, v, where, "")))
		return false;
	vr_ycheck_keys(L, n, where, window_keys, val, key);
	if ((d = val[W_DAYS])) {
		const struct vr_ynode *seq = vr_yderef(d);

		snprintf(what_, sizeof(what_), "%s.days", where);
		if (seq->kind != VR_Y_SEQ || seq->nkid == 0) {
			vr_ybad(L, d->at, "'%s' must be a non-empty sequence "
			    "of days (e.g. [Sat, Sun]), not %s", what_,
			    seq->kind == VR_Y_SEQ ? "an empty one" :
			    vr_ywhat(L, seq));
			ok = false;
		} else {
			w->days = 0;
		}
		for (i = 0; seq->kind == VR_Y_SEQ && i < seq->nkid; i++) {
			unsigned bit;

			if (!(str = vr_yget_cstr(L, seq->kid[i], what_))) {
				ok = false;
				continue;
			}
			if (vr_window_parse_day(&bit, str) < 0) {
				vr_ybad(L, seq->kid[i]->at, "'%s': %s", what_,
				    vr_error_msg());
				ok = false;
			} else if (w->days & bit) {
				vr_ybad(L, seq->kid[i]->at, "'%s': '%s' is "
				    "given twice", what_, str);
				ok = false;
			}
			w->days |= bit;
			free(str);
		}
	}
	snprintf(what_, sizeof(what_), "%s.start", where);
	if (!val[W_START]) {
		vr_ybad(L, v->at, "missing 'start' in '%s' (HH:MM)", where);
		ok = false;
	} else if (!(str = vr_yget_cstr(L, val[W_START], what_))) {
		ok = false;
	} else {
		if (vr_window_parse_start(&w->start_min, str) < 0) {
			vr_ybad(L, val[W_START]->at, "'%s': %s", what_,
			    vr_error_msg());
			ok = false;
		}
		free(str);
	}
	snprintf(what_, sizeof(what_), "%s.duration", where);
	if (!val[W_DURATION]) {
		vr_ybad(L, v->at, "missing 'duration' in '%s' (e.g. 3h)",
		    where);
		ok = false;
	} else if (!(str = vr_yget_cstr(L, val[W_DURATION], what_))) {
		ok = false;
	} else {
		snprintf(quoted, sizeof(quoted), "'%s'", what_);
		if (vr_window_parse_duration(&w->duration_s, str,
		    quoted) < 0) {
			vr_ybad(L, val[W_DURATION]->at, "%s", vr_error_msg());
			ok = false;
		}
		free(str);
	}
	snprintf(what_, sizeof(what_), "%s.timeZone", where);
	if (val[W_ZONE]) {
		if (!(str = vr_yget_cstr(L, val[W_ZONE], what_))) {
			ok = false;
		} else {
			if (vr_window_parse_zone(w->zone, sizeof(w->zone),
			    str) < 0) {
				vr_ybad(L, val[W_ZONE]->at, "'%s': %s", what_,
				    vr_error_msg());
				ok = false;
			}
			free(str);
		}
	}
	return ok;
}

/* A WINDOWS field (spec.restartWindows): a sequence of windows into
 * *out; false if it is not valid. */
static bool
get_windows(struct vr_yload *L, const struct vr_ynode *v,
    const struct vr_field_desc *f, struct vr_value *out)
{
	const struct vr_ynode *seq = vr_yderef(v);
	struct vr_window *ws;
	size_t i, nok = 0;

	if (seq->kind != VR_Y_SEQ) {
		vr_ybad(L, v->at, "'spec.restartWindows' must be a sequence of "
		    "windows, not %s", vr_ywhat(L, seq));
		return false;
	}
	if (seq->nkid == 0) {
		vr_ybad(L, v->at, "'spec.restartWindows' is empty; leave it "
		    "out to allow restarts at any time");
		return false;
	}
	if (seq->nkid > f->max_items) {
		vr_ybad(L, v->at, "'spec.restartWindows' has %zu windows; at "
		    "most %zu", seq->nkid, f->max_items);
		return false;
	}
	ws = vr_calloc(seq->nkid, sizeof(*ws));
	for (i = 0; i < seq->nkid; i++)
		nok += check_window(L, seq->kid[i], i, &ws[i]);
	if (nok != seq->nkid) {
		free(ws);
		return false;
	}
	out->kind = VR_VALUE_WINDOWS;
	out->windows.v = ws;
	out->windows.n = seq->nkid;
	return true;
}

/* One value under `spec:`, checked against its row of the field table. */
static void
check_field(struct vr_yload *L, const struct vr_field_desc *f,
    const struct vr_ynode *keyn, const struct vr_ynode *v,
    struct vr_vm_spec *vm)
{
	struct vr_value val;
	char what_[96];
	int idx;

	memset(&val, 0, sizeof(val));
	snprintf(what_, sizeof(what_), "spec.%s", f->key);
	switch (f->kind) {
	case VR_VALUE_INT:
		if (!vr_yget_int(L, v, what_, f->min, f->max, &val.i))
			return;
		if (f->multiple > 1 && val.i % f->multiple != 0) {
			if (f->multiple == 2)
				vr_ybad(L, v->at, "'%s' must be even, not %lld",
				    what_, (long long)val.i);
			else
				vr_ybad(L, v->at, "'%s' must be a multiple of "
				    "%lld, not %lld", what_,
				    (long long)f->multiple, (long long)val.i);
			return;
		}
		val.kind = VR_VALUE_INT;
		break;
	case VR_VALUE_ENUM:
		if (!vr_yget_enum(L, v, what_, f->names, &idx))
			return;
		val.kind = VR_VALUE_ENUM;
		val.i = idx;
		break;
	case VR_VALUE_GPU:
		check_gpu(L, keyn, v, vm); /* its own mapping: name, type... */
		return;
	case VR_VALUE_INT_LIST:
		if (!get_int_list(L, v, what_, f, &val)) {
			vr_value_clear(&val);
			return;
		}
		break;
	case VR_VALUE_WINDOWS:
		if (!get_windows(L, v, f, &val))
			return;
		break;
	case VR_VALUE_NONE: /* no row is of no kind */
		return;
	}
	f->set(vm, &val);
	vr_value_clear(&val);
	*(struct vr_pos *)((char *)vm + f->at) = v->at;
}

static void
check_spec(struct vr_yload *L, const struct vr_ynode *keyn,
    const struct vr_ynode *v, struct vr_vm_spec *vm)
{
	const struct vr_ynode *n, *val[VR_FIELD__COUNT], *key[VR_FIELD__COUNT];
	const char *keys[VR_FIELD__COUNT + 1];
	size_t i;

	(void)keyn;
	n = vr_yget_map(L, v, "spec", "; use 'spec: {}' to manage nothing");
	if (!n)
		return;
	for (i = 0; i < VR_FIELD__COUNT; i++)
		keys[i] = vr_fields[i].key;
	keys[i] = NULL;
	vr_ycheck_keys(L, n, "spec", keys, val, key);
	for (i = 0; i < VR_FIELD__COUNT; i++)
		if (val[i])
			check_field(L, &vr_fields[i], key[i], val[i], vm);
	/* Never restarts nothing: a restart window would never be used */
	i = VR_FIELD_RESTART_POLICY;
	if (val[VR_FIELD_RESTART_WINDOWS] &&
	    vm->restart_policy != VR_RESTART_IFNEEDED &&
	    (!val[i] || vm->at_restart_policy.line))
		vr_ybad(L, key[VR_FIELD_RESTART_WINDOWS]->at, "'spec."
		    "restartWindows' needs 'restartPolicy: IfNeeded' (with "
		    "Never, the default, no change ever restarts the VM, so "
		    "no window would be used)");
}

/* Does mapping m have the key `name`? */
static bool
has_key(const struct vr_ynode *m, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i + 1 < m->nkid; i += 2) {
		const struct vr_ynode *k = vr_yderef(m->kid[i]);

		if (k->kind == VR_Y_SCALAR && k->len == len &&
		    memcmp(k->s, name, len) == 0)
			return true;
	}
	return false;
}

/* Check one document; true if it counts as a VirtualMachine document
 * (anything but an empty one).  vm is filled as far as it is valid. */
static bool
check_doc(struct vr_yload *L, const struct doc *d, struct vr_vm_spec *vm)
{
	const struct vr_ynode *r = vr_yderef(d->root), *val[4], *key[4], *s;
	const struct vr_ynode *meta;
	const struct vr_ynode *mval[1], *mkey[1];
	enum { K_API, K_KIND, K_META, K_SPEC };
	char b[256];

	if (!r || (r->kind == VR_Y_SCALAR && vr_yresolve(L, r) == VR_Y_NULL))
		return false;
	vm->at_doc = d->root->at;
	if (r->kind != VR_Y_MAP) {
		vr_ybad(L, d->root->at, "a document must be a mapping, not %s",
		    vr_ywhat(L, r));
		return true;
	}
	/* a plan of diff -o json or --out (planfile.h): say what to do
	 * with it rather than call its keys unknown */
	if (has_key(r, "planDigest") || (has_key(r, "formatVersion") &&
	    has_key(r, "vms"))) {
		vr_ybad(L, d->root->at, "this is a saved plan (from diff "
		    "--out), not a desired state: use --plan (vmrecon apply "
		    "--plan %s)", L->path);
		return true;
	}
	vr_ycheck_keys(L, r, "", root_keys, val, key);
	if (!val[K_API]) {
		vr_ybad(L, d->root->at, "missing 'apiVersion'; want "
		    "'apiVersion: " VR_API_VERSION "'");
	} else if ((s = vr_yget_str(L, val[K_API], "apiVersion")) &&
	    (s->len != strlen(VR_API_VERSION) ||
	    memcmp(s->s, VR_API_VERSION, s->len) != 0)) {
		vr_ybad(L, val[K_API]->at, "'apiVersion' must be '"
		    VR_API_VERSION "', not '%s'", vr_yshown(b, s->s, s->len,
		    false));
	}
	if (!val[K_KIND]) {
		vr_ybad(L, d->root->at, "missing 'kind'; want 'kind: " VR_KIND
		    "'");
	} else if ((s = vr_yget_str(L, val[K_KIND], "kind")) &&
	    (s->len != strlen(VR_KIND) ||
	    memcmp(s->s, VR_KIND, s->len) != 0)) {
		vr_ybad(L, val[K_KIND]->at, "'kind' must be '" VR_KIND "', not "
		    "'%s'", vr_yshown(b, s->s, s->len, false));
	}
	if (!val[K_META]) {
		vr_ybad(L, d->root->at, "missing 'metadata'");
	} else if ((meta = vr_yget_map(L, val[K_META], "metadata", ""))) {
		vr_ycheck_keys(L, meta, "metadata", meta_keys, mval, mkey);
		if (!mval[0])
			vr_ybad(L, key[K_META]->at, "missing 'name' in "
			    "'metadata'");
		else
			check_vm_name(L, mval[0], vm);
	}
	if (!val[K_SPEC])
		vr_ybad(L, d->root->at, "missing 'spec'; use 'spec: {}' to "
		    "manage nothing");
	else
		check_spec(L, key[K_SPEC], val[K_SPEC], vm);
	return true;
}

/* `kind: List` with `items` (what `get -o json` prints for several VMs,
 * as kubectl does): 1 and *items when d is one, 0 when it is not, -1 when
 * it is one without a sequence of items (reported). */
static int
list_items(struct vr_yload *L, const struct doc *d,
    const struct vr_ynode **items)
{
	const struct vr_ynode *r = vr_yderef(d->root), *k, *v;
	bool is_list = false;
	size_t i;

	*items = NULL;
	if (!r || r->kind != VR_Y_MAP)
		return 0;
	for (i = 0; i + 1 < r->nkid; i += 2) {
		k = vr_yderef(r->kid[i]);
		v = vr_yderef(r->kid[i + 1]);
		if (!k || !v || k->kind != VR_Y_SCALAR)
			continue;
		if (k->len == 4 && memcmp(k->s, "kind", 4) == 0 &&
		    v->kind == VR_Y_SCALAR && v->len == 4 &&
		    memcmp(v->s, "List", 4) == 0)
			is_list = true;
		else if (k->len == 5 && memcmp(k->s, "items", 5) == 0)
			*items = v;
	}
	if (!is_list)
		return 0;
	if (!*items || (*items)->kind != VR_Y_SEQ) {
		*items = NULL;
		vr_ybad(L, d->root->at, "a 'kind: List' needs 'items', a "
		    "sequence of VirtualMachine documents");
		return -1;
	}
	return 1;
}

struct nameref {
	const struct vr_vm_spec *vm;
	size_t i;
};

static int
nameref_cmp(const void *pa, const void *pb)
{
	const struct nameref *a = pa, *b = pb;
	int c = strcmp(a->vm->name, b->vm->name);

	if (c)
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

static void
check_names(struct vr_yload *L, const struct vr_vm_spec *vms, size_t n)
{
	struct nameref *ref = vr_calloc(n + 1, sizeof(*ref));
	size_t i, nref = 0, first = 0;

	for (i = 0; i < n; i++) {
		if (!vms[i].name)
			continue;
		ref[nref].vm = &vms[i];
		ref[nref].i = i;
		nref++;
	}
	qsort(ref, nref, sizeof(*ref), nameref_cmp);
	for (i = 1; i < nref; i++) {
		if (strcmp(ref[i].vm->name, ref[first].vm->name) != 0) {
			first = i;
			continue;
		}
		vr_ybad(L, ref[i].vm->at_name, "duplicate VM name '%s' (first "
		    "at line %d)", ref[i].vm->name,
		    ref[first].vm->at_name.line);
	}
	free(ref);
}

int
vr_spec_load_buffer(struct vr_spec **out, struct vr_diags *diags,
    const char *path, const char *buf, size_t len)
{
	struct vr_yload L;
	struct vms vms = { NULL, 0, 0 };
	struct vr_spec *spec;
	size_t i, before = diags->n;
	int rc = 0;

	*out = NULL;
	if ((rc = vr_yload_init(&L, diags, path, buf, len,
	    VR_SPEC_MAX_BYTES)) < 0)
		return rc;
	L.on_doc = doc_end;
	L.ctx = &vms;
	L.synonyms = synonyms;
	L.nsynonyms = sizeof(synonyms) / sizeof(synonyms[0]);
	L.top_home = top_home;
	vr_yload_parse(&L);
	L.checking = true;
	L.capped = L.cd.n > VR_YMAX_DIAGS;
	if (vms.n == 0 && !L.fatal)
		vr_ybad(&L, (struct vr_pos){ 0, 0 }, "no VirtualMachine "
		    "documents");
	check_names(&L, vms.v, vms.n);
	vr_yload_end(&L);
	if ((rc = vr_yload_verdict(&L, before)) < 0)
		goto out;
	spec = vr_calloc(1, sizeof(*spec));
	spec->path = vr_strdup(path);
	spec->vms = vms.v ? vms.v : vr_calloc(1, sizeof(*spec->vms));
	spec->nvms = vms.n;
	vms.v = NULL;
	vms.n = 0;
	*out = spec;
out:
	for (i = 0; i < vms.n; i++)
		vr_vm_spec_clear(&vms.v[i]);
	free(vms.v);
	vr_yload_free(&L);
	return rc;
}

int
vr_spec_load_file(struct vr_spec **out, struct vr_diags *diags,
    const char *path)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = vr_yload_read(&buf, &len, diags, path, -1,
	    VR_SPEC_MAX_BYTES)) < 0)
		return rc;
	rc = vr_spec_load_buffer(out, diags, path, buf, len);
	free(buf);
	return rc;
}
