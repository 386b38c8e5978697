/*
 * field.h - the spec fields, one descriptor row each: the key under
 * `spec:`, the kind of value, its bounds and default, whether the VM has
 * it (reconciled) or it only steers vmrecon (a policy), and how a value
 * compares, prints and travels as JSON.  The loader, plan, render, state
 * dir, metrics and `get` walk this table instead of naming fields.
 *
 * How to add a field (recipe; model.h points here):
 *  0. Build: every switch over enum vr_field has a case for each value and
 *     no `default:` (nor do those over the other enums that grow:
 *     vr_value_kind, vr_action, vr_mode, vr_result), so -Wswitch under the
 *     Makefile's -Werror names each place the new value must be handled;
 *     the steps below are what it cannot see.
 *  1. model.h: add an enum vr_field member (reconciled fields before
 *     VR_FIELD_RESTART_POLICY, policies after it) and its members in
 *     struct vr_vm_spec (has_x + value, and `struct vr_pos at_x`), and in
 *     struct vr_vm_live when it is reconciled (model.c: clear/copy if it
 *     owns memory), and for a reconciled field
 *     reconciler/engine/planfile.c's observed digest (left out of the
 *     table on purpose: its text is in every saved plan and golden file).
 *  2. field.c: one row in vr_fields[] (same order as the enum) and its
 *     get/set (and live, for a reconciled field) accessors.  The loader,
 *     plan, render (text and JSON), last-applied records, metrics and
 *     tests/tools/fielddump (what t0110 checks) follow from the row.
 *  3. schema/vmrecon.schema.json: the same key, type and bounds (t0110
 *     fails until both agree).
 *  4. Backends (backends/backend.h): what each supports is its driver
 *     table's `fields`.  A reconciled field starts supported by none: the
 *     reconciler refuses a spec that manages it, at its FILE:LINE:COL,
 *     before any classify or apply (reconciler/engine/plan.c), and the
 *     -Wswitch errors of step 0 are each driver's classify and apply
 *     returning vr_change_unsupported() for it.  A backend that supports it
 *     adds VR_FIELD_BIT(it) to `fields`, fills the live member in observe,
 *     and handles a vr_change of it in classify and apply (c->to has the
 *     kind of the row).
 *  5. Tests: a tests/good and tests/bad case for the loader, the row in
 *     tests/unit/test_field.c, a backend unit test per backend that
 *     supports it; tests/unit/test_fields.c checks every driver's
 *     `fields` against its classify and apply on its own.
 *
 * Worked example on paper: CPU pinning, `cpuPinning: [0, 2, 4]`, a list of
 * host CPU numbers (a second GPU would instead widen VR_VALUE_GPU into a
 * list of struct vr_gpu, touching the same files).
 *  - model.h: VR_FIELD_CPU_PINNING before VR_FIELD_RESTART_POLICY;
 *    vr_vm_spec gains `struct vr_int_list cpu_pinning` with has_ and at_;
 *    vr_vm_live gains `struct vr_int_list cpu_pinning`; model.c frees and
 *    copies them.
 *  - field.c: a row { "cpuPinning", VR_VALUE_INT_LIST, min 0, max 1023,
 *    max_items 1024, reconciled } and three accessors.  Comparing (same
 *    items in the same order), text ("[0, 2, 4]"), JSON (an array) and the
 *    loader's sequence check already exist for VR_VALUE_INT_LIST; "none"
 *    is the empty list, so removing all pinning is a delete.
 *  - vmrecon.schema.json: "cpuPinning": {"type": "array", "items":
 *    {"type": "integer", "minimum": 0, "maximum": 1023}, "maxItems": 1024}.
 *  - backends: libvirt (<cputune><vcpupin>) and qemu (QMP thread ids +
 *    sched_setaffinity) add it to `fields`, observe and apply it; eflow
 *    and sim leave it out, so a spec with cpuPinning is refused on them
 *    ("the eflow backend does not support cpuPinning") until they do.
 *  - tests: tests/good/cpu-pinning.yaml, tests/bad/ for an out-of-range
 *    item, test_field.c rows, test_libvirt.c/test_qemu.c cases.
 *  Source files touched: model.h, model.c, field.c, planfile.c, plan.c
 *  (a case in preflight's switch: a host limit to check, as for cpuCount,
 *  or none), vmrecon.schema.json and the four backends (a case in each
 *  classify and apply): 10, plus tests.  Tried: with the enum member
 *  alone, -Wswitch stops the build at 11 switches in 5 of them (plan.c
 *  and the four backends).  Before the table a reconciled field was named
 *  in 15: also load.c, plan.c, render.c, statedir.c, reconcile.c,
 *  cmd_get.c and metrics.c.
 */
#ifndef VR_FIELD_H
#define VR_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model.h"

/* One spec field's descriptor. */
struct vr_field_desc {
	enum vr_field id;
	const char *key;          /* under `spec:`, in YAML, JSON and records */
	enum vr_value_kind kind;
	const char *unit;         /* for messages and the schema; "" if none */
	int64_t min, max;         /* INT and INT_LIST items; GPU: count */
	int64_t multiple;         /* INT: a multiple of it (1: any) */
	size_t max_items;         /* INT_LIST: the longest list */
	const char *const *names; /* ENUM: the words, NULL-ended */
	int64_t dflt;             /* ENUM: the index when the key is absent */
	bool reconciled;          /* observed on the VM and changed; else a
				   * policy: no live value, never a change */
	const char *metric;       /* its gauge's field label, or NULL */
	/* the value in a spec (kind NONE: unmanaged), and back (copies) */
	void (*get)(const struct vr_vm_spec *s, struct vr_value *out);
	void (*set)(struct vr_vm_spec *s, const struct vr_value *v);
	/* the live value (reconciled fields only) */
	void (*live)(const struct vr_vm_live *l, struct vr_value *out);
	size_t at; /* offsetof the struct vr_pos in vr_vm_spec */
};

/* The table, indexed by enum vr_field. */
extern const struct vr_field_desc vr_fields[VR_FIELD__COUNT];

/* The row of a key under `spec:` (len bytes, not NUL-ended), or NULL. */
const struct vr_field_desc *vr_field_find(const char *key, size_t len);

/* The keys of a set of fields (VR_FIELD_BIT), in table order, for
 * messages: "cpuCount, memoryInMB and gpu", "none"; owned by the caller. */
char *vr_fields_text(unsigned set);

/* Values.  A vr_value owns its GPU name and list. */
void vr_value_clear(struct vr_value *v);
void vr_value_copy(struct vr_value *dst, const struct vr_value *src);
/* Equal as the plan compares: an unknown value equals nothing. */
bool vr_value_equal(const struct vr_value *a, const struct vr_value *b);
/* "none": no GPU, the empty list. */
bool vr_value_empty(const struct vr_value *v);
/* Within the row's bounds (kind, range, multiple, items). */
bool vr_field_ok(const struct vr_field_desc *f, const struct vr_value *v);

/* The value as text ("4", "NVIDIA A2 (DirectDeviceAssignment, count 1)",
 * "none", "[0, 2]", "IfNeeded"); owned by the caller. */
char *vr_field_text(const struct vr_field_desc *f, const struct vr_value *v);

/* As JSON.  STATE: changes and last-applied records (no GPU = null);
 * SPEC: as a spec writes it (no GPU = "none"). */
enum vr_json_form { VR_JSON_STATE, VR_JSON_SPEC };
json_t *vr_field_json(const struct vr_field_desc *f, const struct vr_value *v,
    enum vr_json_form form);
/* The STATE form back, checked against the row's bounds; VR_EINVALID
 * (error set, naming `where`) if it is not one. */
int vr_field_from_json(const struct vr_field_desc *f, const json_t *j,
    struct vr_value *out, const char *where);

/* A number for a gauge: INT its value, GPU its count, INT_LIST its
 * length. */
int64_t vr_value_gauge(const struct vr_value *v);

#endif
