/*
 * fuzz_state.c - libFuzzer target: the state dir's files.  The input is
 * split on FUZZ_SEP lines into last-applied.json, status.json and
 * watch.json; then every VM the first names (at most 8, and "edge-01") is
 * read back as a record, a good record is written and must read back the
 * same, a status is recorded (which starts a corrupt status.json over)
 * with watch's Ready conditions and source section, and watch's baseline
 * is loaded and, when good, saved and loaded again unchanged.
 */
#include <jansson.h>

#include "../../reconciler/engine/statedir.h"
#include "../../reconciler/gitops/watchstate.h"
#include "../../schema/util/error.h"
#include "fuzz.h"

static void
same(const struct vr_vm_spec *a, const struct vr_vm_spec *b)
{
	if (strcmp(a->name, b->name) != 0 ||
	    a->has_cpu_count != b->has_cpu_count ||
	    (a->has_cpu_count && a->cpu_count != b->cpu_count) ||
	    a->has_memory != b->has_memory ||
	    (a->has_memory && a->memory_mb != b->memory_mb) ||
	    a->gpu_want != b->gpu_want ||
	    (a->gpu_want == VR_GPU_WANT && !vr_gpu_equal(&a->gpu, &b->gpu)))
		abort(); /* a record did not survive its round trip */
}

static void
check_record(struct vr_statedir *sd, const char *name)
{
	struct vr_vm_spec r = { 0 }, back = { 0 };

	if (vr_statedir_record_get(sd, name, &r) == 0) {
		if (vr_statedir_record_put(sd, &r) < 0 ||
		    vr_statedir_record_get(sd, name, &back) < 0)
			abort(); /* what we read we must be able to keep */
		same(&r, &back);
	}
	vr_vm_spec_clear(&r);
	vr_vm_spec_clear(&back);
	vr_error_clear();
}

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void
check_baseline(void)
{
	struct vr_watch_baseline b, back;

	if (vr_watch_baseline_load(&b, fuzz_dir()) == 0) {
		if (vr_watch_baseline_save(&b, fuzz_dir()) < 0 ||
		    vr_watch_baseline_load(&back, fuzz_dir()) < 0)
			abort(); /* what we read we must be able to keep */
		if (!str_eq(b.url, back.url) || !str_eq(b.ref, back.ref) ||
		    !str_eq(b.path, back.path) ||
		    !str_eq(b.revision, back.revision) ||
		    strcmp(b.commit, back.commit) != 0 ||
		    strcmp(b.blob, back.blob) != 0)
			abort();
		vr_watch_baseline_clear(&back);
	}
	vr_watch_baseline_clear(&b);
	vr_error_clear();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_statedir *sd = NULL;
	char *part[3], *status = NULL, *names[] = { "edge-01", "edge-02" };
	struct vr_watch_source_status src = { "https://example.com/x.git",
	    "main", "vms.yaml", "main@sha1:0", NULL, false, "FetchFailed",
	    "fuzz", 1 };
	const char *key;
	size_t len[3], n = 0;
	json_t *doc, *v;

	fuzz_split(part, len, 3, data, size);
	fuzz_put("last-applied.json", part[0], len[0]);
	fuzz_put("status.json", part[1] ? part[1] : "", len[1]);
	if (part[2])
		fuzz_put("watch.json", part[2], len[2]);
	else
		fuzz_remove("watch.json");
	if (vr_statedir_open(&sd, fuzz_dir(), false) < 0)
		abort();
	doc = json_loadb(part[0], len[0], 0, NULL);
	json_object_foreach(json_object_get(doc, "vms"), key, v) {
		if (n++ == 8)
			break;
		check_record(sd, key);
	}
	json_decref(doc);
	check_record(sd, "edge-01");
	if (vr_statedir_status_put(sd, "edge-01", "rev", VR_RESULT_CONVERGED,
	    "fuzz") < 0 || vr_watch_status_ready(sd, names, 2, NULL) < 0 ||
	    vr_watch_status_source(sd, &src) < 0 ||
	    vr_statedir_status_read(sd, &status) < 0)
		abort();
	free(status);
	check_baseline();
	vr_statedir_free(sd);
	fuzz_split_free(part, 3);
	vr_error_clear();
	return 0;
}
