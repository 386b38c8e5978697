/*
 * test_golden.c - what diff and apply print, text and JSON, compared byte
 * for byte with the files in tests/unit/golden/ (one per case: stdout,
 * stderr and the exit code of one vr_reconcile() pass on a sim file).
 *
 * To regenerate them after an intended change of the output:
 *
 *     make test-bins && VR_GOLDEN_UPDATE=1 build/rel/unit test_golden
 *
 * then read `git diff tests/unit/golden/` before committing.  Without
 * VR_GOLDEN_UPDATE=1 the test only reads them.  Three things vary from
 * run to run and are masked before comparing: the test's directory
 * (@TMP@), the seconds a VM took to converge (#.##) and so the digest of a
 * plan that names the directory (planDigest).  The masked texts are
 * asserted elsewhere (test_reconcile.c; the plan digest in t0185-plan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "pass.h"
#include "unit.h"

#define HOST "{\"host\": {\"logicalProcessors\": 16, \"memoryInMB\": 65536," \
	" \"gpus\": [{\"name\": \"NVIDIA A2\", \"passthroughTypes\":" \
	" [\"DirectDeviceAssignment\"], \"count\": 1}]}, "
#define DOC(name) "---\napiVersion: vmrecon/v1\nkind: VirtualMachine\n" \
	"metadata:\n  name: " name "\nspec:\n"

/* edge-01 drifts in every field, edge-02 is in sync. */
static const char sim_two[] = HOST "\"vms\": {"
    "\"edge-01\": {\"cpuCount\": 2, \"memoryInMB\": 2048, \"gpu\": null},"
    " \"edge-02\": {\"cpuCount\": 1, \"memoryInMB\": 1024}}}";
static const char yaml_never[] = DOC("edge-01") "  cpuCount: 4\n"
    "  memoryInMB: 4096\n  gpu:\n    name: NVIDIA A2\n"
    "    passthroughType: DirectDeviceAssignment\n"
    DOC("edge-02") "  cpuCount: 1\n";
static const char yaml_ifneeded[] = DOC("edge-01") "  cpuCount: 4\n"
    "  memoryInMB: 4096\n  gpu: none\n  restartPolicy: IfNeeded\n"
    DOC("edge-02") "  cpuCount: 1\n";
static const char yaml_refused[] = DOC("edge-01") "  cpuCount: 32\n"
    "  gpu:\n    name: NVIDIA T4\n    passthroughType: "
    "DirectDeviceAssignment\n";
static const char sim_fault[] = HOST "\"vms\": {"
    "\"edge-01\": {\"cpuCount\": 2, \"memoryInMB\": 2048},"
    " \"edge-02\": {\"cpuCount\": 1, \"memoryInMB\": 1024}},"
    " \"faults\": {\"applyError\": \"injected: disk full\"}}";

struct golden_case {
	const char *file;     /* under tests/unit/golden/ */
	const char *sim, *yaml;
	bool apply;
	enum vr_output output;
};

static const struct golden_case cases[] = {
	{ "diff-text.txt", sim_two, yaml_never, false, VR_OUTPUT_TEXT },
	{ "diff-json.txt", sim_two, yaml_never, false, VR_OUTPUT_JSON },
	{ "apply-pending-text.txt", sim_two, yaml_never, true,
	  VR_OUTPUT_TEXT },
	{ "apply-pending-json.txt", sim_two, yaml_never, true,
	  VR_OUTPUT_JSON },
	{ "apply-ifneeded-text.txt", sim_two, yaml_ifneeded, true,
	  VR_OUTPUT_TEXT },
	{ "apply-ifneeded-json.txt", sim_two, yaml_ifneeded, true,
	  VR_OUTPUT_JSON },
	{ "apply-refused-text.txt", sim_two, yaml_refused, true,
	  VR_OUTPUT_TEXT },
	{ "apply-fault-text.txt", sim_fault, yaml_ifneeded, true,
	  VR_OUTPUT_TEXT },
	{ "apply-fault-json.txt", sim_fault, yaml_ifneeded, true,
	  VR_OUTPUT_JSON },
};

/* `s` with every `from` replaced by `to` (a new string). */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, from)); p += nf)
		n++;
	out = o = malloc(strlen(s) + n * nt + 1);
	if (!out)
		abort();
	for (p = s; n--; ) {
		const char *at = strstr(p, from);

		memcpy(o, p, (size_t)(at - p));
		o += at - p;
		memcpy(o, to, nt);
		o += nt;
		p = at + nf;
	}
	strcpy(o, p);
	return out;
}

/* "converged in 12.34 s" -> "converged in #.## s", in place (the masked
 * text is never longer: the shortest "%.2f" is "0.00"). */
static void
mask_seconds(char *s)
{
	static const char key[] = "converged in ";
	char *p, *end;

	for (p = s; (p = strstr(p, key)); ) {
		p += strlen(key);
		for (end = p; (*end >= '0' && *end <= '9') || *end == '.';)
			end++;
		if (end - p < 4)
			continue;
		memcpy(p, "#.##", 4);
		memmove(p + 4, end, strlen(end) + 1);
	}
}

/* "planDigest": "sha1:<40 hex>" -> "sha1:@DIGEST@", in place. */
static void
mask_plan_digest(char *s)
{
	static const char key[] = "\"planDigest\": \"sha1:";
	char *p;

	for (p = s; (p = strstr(p, key)); ) {
		p += strlen(key);
		if (strspn(p, "0123456789abcdef") != 40)
			continue;
		memcpy(p, "@DIGEST@", 8);
		memmove(p + 8, p + 40, strlen(p + 40) + 1);
	}
}

/* The case's output as kept in its golden file. */
static char *
render_case(const struct golden_case *gc, const char *dir)
{
	struct pass p;
	char *raw, *masked;

	pass_sim(dir, gc->sim);
	pass_run(&p, dir, gc->yaml, gc->apply, gc->output, NULL, NULL);
	raw = vr_asprintf("== stdout\n%s== stderr\n%s== exit %d\n", p.out,
	    p.err, p.res.exit_code);
	pass_free(&p);
	masked = replace_all(raw, dir, "@TMP@");
	free(raw);
	mask_seconds(masked);
	mask_plan_digest(masked);
	return masked;
}

TEST(test_golden__plan_and_apply_output)
{
	const char *top = getenv("VR_TOP");
	const char *update = getenv("VR_GOLDEN_UPDATE");
	bool writing = update && strcmp(update, "1") == 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct golden_case *gc = &cases[i];
		char *dir = vr_asprintf("%s/%zu", unit_tmpdir(), i);
		char *path = vr_asprintf("%s/tests/unit/golden/%s",
		    top ? top : ".", gc->file);
		char *got, *want = NULL;
		size_t len;

		if (mkdir(dir, 0700) < 0)
			unit_check(false, __FILE__, __LINE__, "mkdir %s", dir);
		got = render_case(gc, dir);
		if (writing) {
			if (vr_file_write_atomic(path, got, strlen(got),
			    0644) < 0)
				unit_check(false, __FILE__, __LINE__,
				    "write %s: %s", path, vr_error_msg());
			else
				printf("  wrote %s\n", path);
		} else if (vr_file_read(&want, &len, path, 1u << 20) < 0) {
			unit_check(false, __FILE__, __LINE__, "read %s: %s "
			    "(VR_GOLDEN_UPDATE=1 writes it)", path,
			    vr_error_msg());
		} else if (!CHECK(strcmp(got, want) == 0)) {
			printf("    %s differs; got:\n%s", path, got);
		}
		free(want);
		free(got);
		free(path);
		free(dir);
	}
}
