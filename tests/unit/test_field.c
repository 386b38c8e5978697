/*
 * test_field.c - the field table (schema/field.c): each row sits at its
 * enum, keys resolve back, values compare, print as text and JSON, travel
 * through the STATE JSON form unchanged, and bounds hold at their edges;
 * the loader refuses what the table refuses.
 */
#include <stdlib.h>
#include <string.h>

#include "../../schema/field.h"
#include "../../schema/load.h"
#include "../../schema/util/error.h"
#include "unit.h"

static struct vr_value
int_v(int64_t x)
{
	struct vr_value v;

	memset(&v, 0, sizeof(v));
	v.kind = VR_VALUE_INT;
	v.i = x;
	return v;
}

/* a GPU value; the name is copied */
static struct vr_value
gpu_v(const char *name, enum vr_gpu_type t, int count)
{
	struct vr_value v;

	memset(&v, 0, sizeof(v));
	v.kind = VR_VALUE_GPU;
	v.gpu.name = name ? vr_strdup(name) : NULL;
	v.gpu.type = t;
	v.gpu.count = count;
	return v;
}

static struct vr_value
list_v(const int64_t *x, size_t n)
{
	struct vr_value v;

	memset(&v, 0, sizeof(v));
	v.kind = VR_VALUE_INT_LIST;
	v.list.v = vr_calloc(n + 1, sizeof(*v.list.v));
	memcpy(v.list.v, x, n * sizeof(*x));
	v.list.n = n;
	return v;
}

/* text of v in row f, checked and freed */
static void
check_text(const struct vr_field_desc *f, const struct vr_value *v,
    const char *want)
{
	char *s = vr_field_text(f, v);

	CHECK_STR(s, want);
	free(s);
}

static void
check_json(const struct vr_field_desc *f, const struct vr_value *v,
    enum vr_json_form form, const char *want)
{
	json_t *j = vr_field_json(f, v, form);
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	CHECK_STR(s, want);
	free(s);
	json_decref(j);
}

/* v -> STATE JSON -> value equals v */
static void
check_round_trip(const struct vr_field_desc *f, const struct vr_value *v)
{
	json_t *j = vr_field_json(f, v, VR_JSON_STATE);
	struct vr_value back;

	CHECK_INT(vr_field_from_json(f, j, &back, "t"), 0);
	CHECK(vr_value_equal(v, &back));
	vr_value_clear(&back);
	json_decref(j);
}

TEST(test_field__rows_match_enum_and_keys)
{
	size_t i;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		CHECK_INT(vr_fields[i].id, i);
		CHECK(vr_field_find(vr_fields[i].key,
		    strlen(vr_fields[i].key)) == &vr_fields[i]);
		CHECK_STR(vr_field_name(vr_fields[i].id), vr_fields[i].key);
		CHECK(vr_fields[i].get && vr_fields[i].set);
		CHECK(!vr_fields[i].reconciled || vr_fields[i].live);
	}
	CHECK(vr_field_find("cpuCoun", 7) == NULL);
	CHECK(vr_field_find("cpuCounts", 9) == NULL);
	/* the policy is never compared */
	CHECK(!vr_fields[VR_FIELD_RESTART_POLICY].reconciled);
	CHECK(vr_fields[VR_FIELD_RESTART_POLICY].live == NULL);
}

TEST(test_field__compare)
{
	struct vr_value a = int_v(4), b = int_v(4), c = int_v(5);
	struct vr_value g1 = gpu_v("NVIDIA A2", VR_GPU_DDA, 1);
	struct vr_value g2 = gpu_v("NVIDIA A2", VR_GPU_DDA, 1);
	struct vr_value g3 = gpu_v("NVIDIA A2", VR_GPU_DDA, 2);
	struct vr_value none = gpu_v(NULL, 0, 0), none2 = gpu_v(NULL, 0, 0);
	int64_t x[] = { 0, 2, 4 }, y[] = { 0, 2, 5 };
	struct vr_value l1 = list_v(x, 3), l2 = list_v(x, 3), l3 = list_v(y, 3);
	struct vr_value l4 = list_v(x, 2), empty = list_v(x, 0);

	CHECK(vr_value_equal(&a, &b));
	CHECK(!vr_value_equal(&a, &c));
	CHECK(!vr_value_equal(&a, &g1)); /* kinds differ */
	CHECK(vr_value_equal(&g1, &g2));
	CHECK(!vr_value_equal(&g1, &g3));
	CHECK(vr_value_equal(&none, &none2));
	none2.unknown = true; /* an unknown live GPU equals nothing */
	CHECK(!vr_value_equal(&none, &none2));
	CHECK(vr_value_empty(&none) && !vr_value_empty(&g1));
	CHECK(!vr_value_empty(&a));
	CHECK(vr_value_equal(&l1, &l2));
	CHECK(!vr_value_equal(&l1, &l3));
	CHECK(!vr_value_equal(&l1, &l4));
	CHECK(vr_value_empty(&empty));
	vr_value_clear(&g1);
	vr_value_clear(&g2);
	vr_value_clear(&g3);
	vr_value_clear(&l1);
	vr_value_clear(&l2);
	vr_value_clear(&l3);
	vr_value_clear(&l4);
	vr_value_clear(&empty);
}

TEST(test_field__print_text_and_json)
{
	const struct vr_field_desc *cpu = &vr_fields[VR_FIELD_CPU_COUNT];
	const struct vr_field_desc *gpu = &vr_fields[VR_FIELD_GPU];
	const struct vr_field_desc *pol = &vr_fields[VR_FIELD_RESTART_POLICY];
	struct vr_value v = int_v(8);
	struct vr_value g = gpu_v("NVIDIA A2", VR_GPU_DDA, 1);
	struct vr_value n = gpu_v(NULL, 0, 0), u = gpu_v(NULL, 0, 2);
	struct vr_value p;
	struct vr_field_desc pin = *cpu; /* a list row, as in field.h */
	int64_t x[] = { 0, 2 };
	struct vr_value l = list_v(x, 2);

	check_text(cpu, &v, "8");
	check_json(cpu, &v, VR_JSON_STATE, "8");
	check_text(gpu, &g, "NVIDIA A2 (DirectDeviceAssignment, count 1)");
	check_json(gpu, &g, VR_JSON_STATE, "{\"name\":\"NVIDIA A2\","
	    "\"passthroughType\":\"DirectDeviceAssignment\",\"count\":1}");
	check_text(gpu, &n, "none");
	check_json(gpu, &n, VR_JSON_STATE, "null");
	check_json(gpu, &n, VR_JSON_SPEC, "\"none\"");
	check_text(gpu, &u, "2 GPUs (name and type unknown)");
	check_json(gpu, &u, VR_JSON_STATE, "{\"name\":null,"
	    "\"passthroughType\":null,\"count\":2}");
	memset(&p, 0, sizeof(p));
	p.kind = VR_VALUE_ENUM;
	p.i = VR_RESTART_IFNEEDED;
	check_text(pol, &p, "IfNeeded");
	check_json(pol, &p, VR_JSON_SPEC, "\"IfNeeded\"");
	pin.kind = VR_VALUE_INT_LIST;
	pin.min = 0;
	pin.max = 1023;
	pin.max_items = 4;
	check_text(&pin, &l, "[0, 2]");
	check_json(&pin, &l, VR_JSON_STATE, "[0,2]");
	vr_value_clear(&g);
	vr_value_clear(&n);
	vr_value_clear(&u);
	vr_value_clear(&l);
}

TEST(test_field__json_round_trip)
{
	struct vr_value v = int_v(1024), m = int_v(16777216);
	struct vr_value g = gpu_v("Intel(R) UHD Graphics 630", VR_GPU_PV, 1);
	struct vr_value n = gpu_v(NULL, 0, 0), p;
	struct vr_field_desc pin = vr_fields[VR_FIELD_CPU_COUNT];
	int64_t x[] = { 3, 1, 1023 };
	struct vr_value l = list_v(x, 3);

	check_round_trip(&vr_fields[VR_FIELD_CPU_COUNT], &v);
	check_round_trip(&vr_fields[VR_FIELD_MEMORY], &m);
	check_round_trip(&vr_fields[VR_FIELD_GPU], &g);
	check_round_trip(&vr_fields[VR_FIELD_GPU], &n);
	memset(&p, 0, sizeof(p));
	p.kind = VR_VALUE_ENUM;
	p.i = VR_RESTART_IFNEEDED;
	check_round_trip(&vr_fields[VR_FIELD_RESTART_POLICY], &p);
	pin.kind = VR_VALUE_INT_LIST;
	pin.min = 0;
	pin.max = 1023;
	pin.max_items = 3;
	check_round_trip(&pin, &l);
	vr_value_clear(&g);
	vr_value_clear(&n);
	vr_value_clear(&l);
}

TEST(test_field__bounds)
{
	static const struct { enum vr_field f; const char *json; bool ok; }
	    cases[] = {
		{ VR_FIELD_CPU_COUNT, "1", true },
		{ VR_FIELD_CPU_COUNT, "1024", true },
		{ VR_FIELD_CPU_COUNT, "0", false },
		{ VR_FIELD_CPU_COUNT, "1025", false }, /* statedir took 2^20 */
		{ VR_FIELD_CPU_COUNT, "\"4\"", false },
		{ VR_FIELD_MEMORY, "1024", true },
		{ VR_FIELD_MEMORY, "16777216", true },
		{ VR_FIELD_MEMORY, "1022", false },
		{ VR_FIELD_MEMORY, "4095", false },    /* odd */
		{ VR_FIELD_MEMORY, "16777218", false },
		{ VR_FIELD_GPU, "null", true },
		{ VR_FIELD_GPU, "{\"name\": \"A\", \"passthroughType\": "
		  "\"DirectDeviceAssignment\", \"count\": 64}", true },
		{ VR_FIELD_GPU, "{\"name\": \"A\", \"passthroughType\": "
		  "\"DirectDeviceAssignment\", \"count\": 65}", false },
		{ VR_FIELD_GPU, "{\"name\": \"A\", \"passthroughType\": "
		  "\"Shared\", \"count\": 1}", false },
		{ VR_FIELD_GPU, "\"none\"", false },
		{ VR_FIELD_RESTART_POLICY, "\"Never\"", true },
		{ VR_FIELD_RESTART_POLICY, "\"Always\"", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vr_field_desc *f = &vr_fields[cases[i].f];
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		struct vr_value v;
		int rc = vr_field_from_json(f, j, &v, "t");

		unit_check((rc == 0) == cases[i].ok, __FILE__, __LINE__,
		    "%s %s: %s", f->key, cases[i].json, cases[i].ok ?
		    "accepted" : "refused");
		if (rc == 0)
			CHECK(vr_field_ok(f, &v));
		else
			CHECK_CONTAINS(vr_error_msg(), f->key);
		vr_value_clear(&v);
		json_decref(j);
	}
	vr_error_clear();
}

/* The loader refuses exactly at the table's edges. */
TEST(test_field__loader_uses_the_bounds)
{
	size_t i;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];
		int64_t edge[4];
		size_t k;

		if (f->kind != VR_VALUE_INT)
			continue;
		edge[0] = f->min;
		edge[1] = f->max;
		edge[2] = f->min - f->multiple;
		edge[3] = f->max + f->multiple;
		for (k = 0; k < 4; k++) {
			char *yaml = vr_asprintf("apiVersion: vmrecon/v1\n"
			    "kind: VirtualMachine\nmetadata:\n  name: a\n"
			    "spec:\n  %s: %lld\n", f->key, (long long)edge[k]);
			struct vr_diags d = VR_DIAGS_INIT;
			struct vr_spec *s = NULL;
			int rc = vr_spec_load_buffer(&s, &d, "t.yaml", yaml,
			    strlen(yaml));

			unit_check((rc == 0) == (k < 2), __FILE__, __LINE__,
			    "%s: %lld %s", f->key, (long long)edge[k],
			    k < 2 ? "accepted" : "refused");
			vr_spec_free(s);
			vr_diags_free(&d);
			free(yaml);
		}
	}
	vr_error_clear();
}
