/*
 * test_sim.c - the sim backend on real files: the default file, strict
 * parsing, observe/list/host, and apply changing only what it is asked to,
 * all at once or not at all.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "../../backends/backend.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "drvcheck.h"
#include "unit.h"

extern const struct vr_driver vr_sim_driver;

/* Exactly what a missing file is created with. */
static const char default_text[] =
    "{\n"
    "  \"host\": {\n"
    "    \"logicalProcessors\": 16,\n"
    "    \"memoryInMB\": 65536,\n"
    "    \"nested\": false,\n"
    "    \"gpus\": [\n"
    "      {\n"
    "        \"name\": \"NVIDIA A2\",\n"
    "        \"passthroughTypes\": [\n"
    "          \"DirectDeviceAssignment\"\n"
    "        ],\n"
    "        \"count\": 1\n"
    "      },\n"
    "      {\n"
    "        \"name\": \"Intel(R) Iris(R) Xe Graphics\",\n"
    "        \"passthroughTypes\": [\n"
    "          \"ParaVirtualization\"\n"
    "        ],\n"
    "        \"count\": 1\n"
    "      }\n"
    "    ]\n"
    "  },\n"
    "  \"vms\": {\n"
    "    \"edge-01\": {\n"
    "      \"cpuCount\": 1,\n"
    "      \"memoryInMB\": 1024,\n"
    "      \"gpu\": null,\n"
    "      \"running\": true\n"
    "    },\n"
    "    \"edge-02\": {\n"
    "      \"cpuCount\": 1,\n"
    "      \"memoryInMB\": 1024,\n"
    "      \"gpu\": null,\n"
    "      \"running\": true\n"
    "    }\n"
    "  }\n"
    "}\n";

/* A host with two GPUs and three VMs, listed out of order. */
static const char three_vms[] =
    "{\"host\": {\"logicalProcessors\": 8, \"memoryInMB\": 32768,"
    " \"gpus\": [{\"name\": \"NVIDIA A2\","
    " \"passthroughTypes\": [\"DirectDeviceAssignment\"], \"count\": 2},"
    " {\"name\": \"NVIDIA RTX A2000\", \"passthroughTypes\":"
    " [\"ParaVirtualization\", \"DirectDeviceAssignment\"]}]},"
    " \"vms\": {"
    "\"web\": {\"cpuCount\": 2, \"memoryInMB\": 2048, \"running\": false},"
    " \"db\": {\"cpuCount\": 4, \"memoryInMB\": 8192, \"gpu\":"
    " {\"name\": \"NVIDIA A2\", \"passthroughType\":"
    " \"DirectDeviceAssignment\", \"count\": 2}, \"running\": true,"
    " \"restarts\": 7},"
    " \"cache\": {\"cpuCount\": 1, \"memoryInMB\": 1024, \"gpu\": null}}}";

static struct vr_backend *
open_sim(const char *path)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;
	char *kt = vr_asprintf("sim:%s", path);

	o.state_dir = unit_tmpdir();
	if (vr_backend_open(&b, kt, &o) < 0)
		unit_check(false, __FILE__, __LINE__, "open %s: %s", kt,
		    vr_error_msg());
	free(kt);
	return b;
}

/* A file's bytes (NULL if unreadable). */
static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len;

	if (vr_file_read(&buf, &len, path, 64u << 20) < 0)
		return NULL;
	return buf;
}

/* `s` with its first `from` replaced by `to` (a new string). */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	if (!at)
		return vr_strdup(s);
	return vr_asprintf("%.*s%s%s", (int)(at - s), s, to,
	    at + strlen(from));
}

static json_t *
load_json(const char *path)
{
	return json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
}

/* vms.NAME.KEY of the file, as an integer (-1 if absent or not one). */
static long long
vm_int(const char *path, const char *vm, const char *key)
{
	json_t *root = load_json(path);
	json_t *v = json_object_get(json_object_get(json_object_get(root,
	    "vms"), vm), key);
	long long n = json_is_integer(v) ? json_integer_value(v) : -1;

	json_decref(root);
	return n;
}

static void
change_int(struct vr_change *c, enum vr_field f, int64_t from, int64_t to)
{
	memset(c, 0, sizeof(*c));
	c->field = f;
	c->action = VR_ACTION_UPDATE;
	c->from.i = from;
	c->to.i = to;
	c->mode = VR_MODE_RESTART;
}

static void
change_gpu(struct vr_change *c, enum vr_action a, const char *name,
    enum vr_gpu_type t, int count)
{
	memset(c, 0, sizeof(*c));
	c->field = VR_FIELD_GPU;
	c->action = a;
	c->mode = VR_MODE_RESTART;
	if (a != VR_ACTION_DELETE) {
		c->to.gpu.name = vr_strdup(name);
		c->to.gpu.type = t;
		c->to.gpu.count = count;
	}
}

/* Apply `n` changes to VM `name` through the backend. */
static int
apply(struct vr_backend *b, const char *name, struct vr_change *ch, size_t n,
    bool may_restart)
{
	struct vr_vm_spec spec;
	struct vr_vm_live live;
	struct vr_apply_request req;
	int rc;

	memset(&spec, 0, sizeof(spec));
	memset(&live, 0, sizeof(live));
	spec.name = (char *)name;
	live.name = (char *)name;
	req.spec = &spec;
	req.live = &live;
	req.changes = ch;
	req.nchanges = n;
	req.may_restart = may_restart;
	rc = vr_backend_apply(b, &req);
	/* one VM is one pass: the end of a pass writes the file */
	if (vr_backend_flush(b) < 0 && rc == 0)
		rc = vr_error_last()->code;
	return rc;
}

/* Entries of `dir` other than . and .. and the writers' lock files
 * (FILE.lock, created by the first apply or create and kept). */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t len;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !((len = strlen(e->d_name)) > 5 &&
		    strcmp(e->d_name + len - 5, ".lock") == 0))
			n++;
	closedir(d);
	return n;
}

TEST(sim_default_file_created)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;
	char *dir = vr_asprintf("%s/state/deeper", unit_tmpdir());
	char *path = vr_asprintf("%s/sim.json", dir), *text;
	struct stat st;

	o.state_dir = dir;
	CHECK_INT(vr_backend_open(&b, "sim", &o), 0);
	text = slurp(path);
	CHECK_STR(text, default_text);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_STR(vr_backend_kind(b), "sim");
	CHECK_INT(count_entries(dir), 1);
	vr_backend_free(b);
	free(text);

	/* an existing file is left alone by open */
	unit_write(dir, "sim.json", "{\"host\": {\"logicalProcessors\": 2, "
	    "\"memoryInMB\": 4096}, \"vms\": {}}");
	CHECK_INT(vr_backend_open(&b, "sim", &o), 0);
	text = slurp(path);
	CHECK_STR(text, "{\"host\": {\"logicalProcessors\": 2, "
	    "\"memoryInMB\": 4096}, \"vms\": {}}");
	free(text);
	vr_backend_free(b);

	/* an explicit missing target is created too */
	free(path);
	path = vr_asprintf("%s/other.json", unit_tmpdir());
	b = open_sim(path);
	text = slurp(path);
	CHECK_STR(text, default_text);
	free(text);
	vr_backend_free(b);
	free(path);
	free(dir);
}

TEST(sim_needs_target_or_state_dir)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;

	CHECK_INT(vr_backend_open(&b, "sim", &o), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "needs a file");
	CHECK(b == NULL);
	CHECK_INT(vr_backend_open(&b, "sim", NULL), VR_EINVALID);
}

TEST(sim_strict_parse_errors)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {}, \"extra\": 1}",
		  ": extra: unknown key (expected one of: host, vms, faults)" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"edge-01\": {\"cpuCount\": \"2\","
		  " \"memoryInMB\": 1024}}}",
		  "sim.json: vms.edge-01.cpuCount: expected an integer" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"edge-01\": {\"cpuCount\": 1.5,"
		  " \"memoryInMB\": 1024}}}",
		  "vms.edge-01.cpuCount: expected an integer" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"edge-01\": {\"cpuCount\": 1,"
		  " \"memoryInMB\": 1024, \"memoryInMb\": 2}}}",
		  "vms.edge-01.memoryInMb: unknown key" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"edge-01\": {\"cpuCount\": 1}}}",
		  "vms.edge-01: missing key 'memoryInMB'" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"e\": {\"cpuCount\": 0, \"memoryInMB\": 1}}}",
		  "vms.e.cpuCount: 0 is out of range" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"e\": {\"cpuCount\": 1, \"memoryInMB\": 1,"
		  " \"running\": 1}}}",
		  "vms.e.running: expected true or false" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"e\": {\"cpuCount\": 1, \"memoryInMB\": 1,"
		  " \"gpu\": {\"name\": \"X\","
		  " \"passthroughType\": \"DDA\"}}}}",
		  "vms.e.gpu.passthroughType: expected DirectDeviceAssignment "
		  "or ParaVirtualization" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"e\": {\"cpuCount\": 1, \"memoryInMB\": 1,"
		  " \"gpu\": \"none\"}}}",
		  "vms.e.gpu: expected null or an object" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1,"
		  " \"gpus\": [{\"name\": \"A\", \"passthroughTypes\":"
		  " [\"ParaVirtualization\"]}, {\"name\": \"B\","
		  " \"passthroughTypes\": [7]}]}, \"vms\": {}}",
		  "host.gpus[1].passthroughTypes[0]: expected a string" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1,"
		  " \"nested\": \"no\"}, \"vms\": {}}",
		  "host.nested: expected true or false" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": []}",
		  "sim.json: vms: expected an object" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {}, \"faults\": {\"applyError\": 3}}",
		  "faults.applyError: expected a string" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1}}",
		  "sim.json: missing key 'vms'" },
		{ "[1, 2]", "sim.json: expected an object at the top level" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"a\\nb\": {\"cpuCount\": 1,"
		  " \"memoryInMB\": 1}}}",
		  "sim.json: vms: a VM name must have 1 to 255 characters, "
		  "none of them a control character" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {\"a\\u0000b\": {\"cpuCount\": 1,"
		  " \"memoryInMB\": 1}}}",
		  "sim.json:1:70: NUL byte in object key" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1,"
		  " \"gpus\": [{\"name\": \"A\\u0007\", \"passthroughTypes\":"
		  " [\"ParaVirtualization\"]}]}, \"vms\": {}}",
		  "host.gpus[0].name: contains a control character" },
		{ "{\"host\": {\"logicalProcessors\": 1, \"memoryInMB\": 1},"
		  " \"vms\": {}, \"vms\": {}}",
		  "duplicate object key" },
		/* jansson's line:col for syntax errors */
		{ "{\n  \"host\": {\n    \"logicalProcessors\": ,\n",
		  "sim.json:3:26: " },
		{ "", "sim.json:1:0: " },
	};
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	char *path = vr_asprintf("%s/sim.json", unit_tmpdir());
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vr_backend *b = NULL;
		char *after;
		int rc;

		unit_write(unit_tmpdir(), "sim.json", cases[i].text);
		rc = vr_backend_open(&b, "sim", (o.state_dir = unit_tmpdir(),
		    &o));
		if (!unit_check(rc == VR_EINVALID, __FILE__, __LINE__,
		    "case %zu: rc %d", i, rc))
			vr_backend_free(b);
		CHECK_CONTAINS(vr_error_msg(), cases[i].msg);
		CHECK_CONTAINS(vr_error_msg(), path);
		/* a bad file is never replaced by the default */
		after = slurp(path);
		CHECK_STR(after, cases[i].text);
		free(after);
	}
	free(path);
}

static double
ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

TEST(sim_oversize_rejected_large_accepted)
{
	const char *dir = unit_tmpdir();
	char *path = vr_asprintf("%s/big.json", dir), *buf;
	size_t cap = 17u << 20, n, i;
	struct vr_backend *b;
	char **names = NULL;
	size_t count = 0;
	struct vr_host h;
	FILE *fp;
	struct timespec t0, t1;

	/* valid JSON padded with spaces beyond 16 MiB */
	buf = vr_malloc(cap + 1);
	n = (size_t)snprintf(buf, cap, "{\"host\": {\"logicalProcessors\": 1,"
	    " \"memoryInMB\": 1}, \"vms\": {}");
	memset(buf + n, ' ', cap - n - 1);
	buf[cap - 1] = '}';
	buf[cap] = '\0';
	fp = fopen(path, "w");
	CHECK(fp && fwrite(buf, 1, cap, fp) == cap);
	if (fp)
		fclose(fp);
	free(buf);
	{
		struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
		char *kt = vr_asprintf("sim:%s", path);

		b = NULL;
		CHECK_INT(vr_backend_open(&b, kt, &o), VR_EINVALID);
		CHECK_CONTAINS(vr_error_msg(), "larger than the limit");
		CHECK_CONTAINS(vr_error_msg(), "big.json");
		free(kt);
	}

	/* 10,000 VMs (the benchmark's size) parse, and list is sorted */
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (!fp)
		goto out;
	fputs("{\"host\": {\"logicalProcessors\": 64, \"memoryInMB\": "
	    "1048576}, \"vms\": {", fp);
	for (i = 0; i < 10000; i++)
		fprintf(fp, "%s\"vm-%05zu\": {\"cpuCount\": 1, \"memoryInMB\": "
		    "1024, \"gpu\": null, \"running\": true}", i ? ", " : "",
		    9999 - i);
	fputs("}}", fp);
	fclose(fp);
	b = open_sim(path);
	if (!b)
		goto out;
	/* a change behind its back: the next call parses again */
	fp = fopen(path, "r+");
	CHECK(fp && fseek(fp, 49, SEEK_SET) == 0 && fputc('2', fp) == '2');
	if (fp)
		fclose(fp);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(vr_backend_host(b, &h), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_INT(h.memory_mb, 2048576);
	vr_host_clear(&h);
	printf("    read+parse of 10000 VMs: %.1f ms\n", ms(&t0, &t1));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(vr_backend_list(b, &names, &count), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("    read+reuse of 10000 VMs: %.1f ms\n", ms(&t0, &t1));
	CHECK_INT(count, 10000);
	if (count == 10000) {
		CHECK_STR(names[0], "vm-00000");
		CHECK_STR(names[9999], "vm-09999");
		for (i = 1; i < count; i++)
			if (strcmp(names[i - 1], names[i]) >= 0)
				break;
		CHECK_INT(i, count);
	}
	vr_strv_free(names, count);
	vr_backend_free(b);
out:
	free(path);
}

TEST(sim_observe_list_host)
{
	const char *path = unit_write(unit_tmpdir(), "s.json", three_vms);
	struct vr_backend *b = open_sim(path);
	struct vr_vm_live l;
	struct vr_host h;
	char **names = NULL;
	size_t n = 0;

	if (!b)
		return;
	CHECK_INT(vr_backend_list(b, &names, &n), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(names[0], "cache");
		CHECK_STR(names[1], "db");
		CHECK_STR(names[2], "web");
	}
	vr_strv_free(names, n);

	CHECK_INT(vr_backend_observe(b, "db", NULL, &l), 0);
	CHECK_STR(l.name, "db");
	CHECK(l.running);
	CHECK_INT(l.cpu_count, 4);
	CHECK_INT(l.memory_mb, 8192);
	CHECK_STR(l.gpu.name, "NVIDIA A2");
	CHECK_INT(l.gpu.type, VR_GPU_DDA);
	CHECK_INT(l.gpu.count, 2);
	CHECK_INT(l.memory_limit_mb, 0);
	vr_vm_live_clear(&l);

	CHECK_INT(vr_backend_observe(b, "web", NULL, &l), 0);
	CHECK(!l.running);
	CHECK_INT(l.cpu_count, 2);
	CHECK_INT(l.memory_mb, 2048);
	CHECK_INT(l.gpu.count, 0);
	CHECK(l.gpu.name == NULL);
	vr_vm_live_clear(&l);

	/* running defaults to true */
	CHECK_INT(vr_backend_observe(b, "cache", NULL, &l), 0);
	CHECK(l.running);
	vr_vm_live_clear(&l);

	CHECK_INT(vr_backend_host(b, &h), 0);
	CHECK_INT(h.cpus, 8);
	CHECK_INT(h.memory_mb, 32768);
	CHECK_INT(h.min_memory_mb, 1024);
	CHECK(!h.nested);
	CHECK(h.gpu_blocker == NULL);
	CHECK_INT(h.ngpus, 2);
	if (h.ngpus == 2) {
		CHECK_STR(h.gpus[0].name, "NVIDIA A2");
		CHECK_INT(h.gpus[0].types, VR_GPU_DDA);
		CHECK_INT(h.gpus[0].count, 2);
		CHECK_STR(h.gpus[1].name, "NVIDIA RTX A2000");
		CHECK_INT(h.gpus[1].types, VR_GPU_DDA | VR_GPU_PV);
		CHECK_INT(h.gpus[1].count, 1);
		CHECK(vr_host_find_gpu(&h, "NVIDIA RTX A2000") == &h.gpus[1]);
	}
	vr_host_clear(&h);
	vr_backend_free(b);

	/* a nested host says why no GPU can be passed through */
	path = unit_write(unit_tmpdir(), "n.json", "{\"host\": "
	    "{\"logicalProcessors\": 2, \"memoryInMB\": 4096,"
	    " \"nested\": true}, \"vms\": {}}");
	b = open_sim(path);
	if (!b)
		return;
	CHECK_INT(vr_backend_host(b, &h), 0);
	CHECK(h.nested);
	CHECK_CONTAINS(h.gpu_blocker, "itself a virtual machine");
	CHECK_INT(h.ngpus, 0);
	vr_host_clear(&h);
	CHECK_INT(vr_backend_list(b, &names, &n), 0);
	CHECK_INT(n, 0);
	vr_strv_free(names, n);
	vr_backend_free(b);
}

TEST(sim_observe_not_found_names_vms)
{
	const char *path = unit_write(unit_tmpdir(), "s.json", three_vms);
	struct vr_backend *b = open_sim(path);
	struct vr_vm_live l;
	char *want;

	if (!b)
		return;
	want = vr_asprintf("no VM named 'edge-01' on sim:%s (it has: cache, "
	    "db, web)", path);
	CHECK_INT(vr_backend_observe(b, "edge-01", NULL, &l), VR_ENOTFOUND);
	CHECK_STR(vr_error_msg(), want);
	CHECK(l.name == NULL);
	free(want);
	vr_backend_free(b);

	path = unit_write(unit_tmpdir(), "e.json", "{\"host\": "
	    "{\"logicalProcessors\": 2, \"memoryInMB\": 4096}, \"vms\": {}}");
	b = open_sim(path);
	if (!b)
		return;
	CHECK_INT(vr_backend_observe(b, "x", NULL, &l), VR_ENOTFOUND);
	CHECK_CONTAINS(vr_error_msg(), "(it has: none)");
	vr_backend_free(b);
}


TEST(sim_rereads_file_every_call)
{
	const char *dir = unit_tmpdir();
	const char *path = unit_write(dir, "s.json", three_vms);
	struct vr_backend *b = open_sim(path);
	struct vr_vm_live l;
	char *text;

	if (!b)
		return;
	CHECK_INT(vr_backend_observe(b, "web", NULL, &l), 0);
	CHECK_INT(l.cpu_count, 2);
	vr_vm_live_clear(&l);
	/* drift behind vmrecon's back: same length, likely same mtime */
	text = replace(three_vms, "\"cpuCount\": 2", "\"cpuCount\": 3");
	unit_write(dir, "s.json", text);
	free(text);
	CHECK_INT(vr_backend_observe(b, "web", NULL, &l), 0);
	CHECK_INT(l.cpu_count, 3);
	vr_vm_live_clear(&l);
	/* a file broken after open is reported on the next call */
	unit_write(dir, "s.json", "{\"vms\": ");
	CHECK_INT(vr_backend_observe(b, "web", NULL, &l), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "s.json:1:");
	/* and a file removed after open is created again */
	CHECK(remove(path) == 0);
	CHECK_INT(vr_backend_observe(b, "edge-01", NULL, &l), 0);
	CHECK_INT(l.memory_mb, 1024);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

TEST(sim_classify_restarts_everything)
{
	const char *path = unit_write(unit_tmpdir(), "s.json", three_vms);
	struct vr_backend *b = open_sim(path);
	struct vr_change c;

	if (!b)
		return;
	change_int(&c, VR_FIELD_CPU_COUNT, 2, 4);
	c.mode = VR_MODE_LIVE;
	CHECK_INT(vr_backend_classify(b, NULL, &c), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_STR(c.reason, "the sim backend, like EFLOW, applies every "
	    "change with a restart");
	/* classifying again does not leak the first reason */
	CHECK_INT(vr_backend_classify(b, NULL, &c), 0);
	vr_change_clear(&c);
	vr_backend_free(b);
}

/* Its fields are what its classify and apply do, asked directly; a field
 * it does not support leaves the file as it was. */
TEST(sim_fields_are_what_it_classifies_and_applies)
{
	const char *dir = unit_tmpdir();
	const char *path = unit_write(dir, "s.json", three_vms);
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	char *after;

	o.state_dir = dir;
	drvcheck_fields(&vr_sim_driver, path, &o, "db");
	after = slurp(path);
	CHECK_STR(after, three_vms);
	free(after);
}

/* The exact text after a memory-only change: nothing else moves. */
TEST(sim_apply_changes_only_the_field_asked)
{
	const char *dir = unit_tmpdir();
	char *path = vr_asprintf("%s/sim.json", dir), *text, *want;
	struct vr_backend *b = open_sim(path);
	struct vr_change c;

	if (!b)
		goto out;
	change_int(&c, VR_FIELD_MEMORY, 1024, 4096);
	CHECK_INT(apply(b, "edge-02", &c, 1, true), 0);
	CHECK(c.applied);
	want = replace(default_text,
	    "    \"edge-02\": {\n"
	    "      \"cpuCount\": 1,\n"
	    "      \"memoryInMB\": 1024,\n"
	    "      \"gpu\": null,\n"
	    "      \"running\": true\n",
	    "    \"edge-02\": {\n"
	    "      \"cpuCount\": 1,\n"
	    "      \"memoryInMB\": 4096,\n"
	    "      \"gpu\": null,\n"
	    "      \"running\": true,\n"
	    "      \"restarts\": 1\n");
	text = slurp(path);
	CHECK_STR(text, want);
	free(text);
	free(want);
	/* no temp file left beside it */
	CHECK_INT(count_entries(dir), 1);
	vr_change_clear(&c);
	vr_backend_free(b);
out:
	free(path);
}

/* The pitfall: a memory-only change leaves cpu and gpu as they were. */
TEST(sim_apply_memory_keeps_cpu_and_gpu)
{
	const char *dir = unit_tmpdir();
	const char *path = unit_write(dir, "s.json", three_vms);
	json_t *before = load_json(path), *after;
	struct vr_backend *b = open_sim(path);
	struct vr_vm_live l;
	struct vr_change c;
	struct stat st;
	json_t *db0, *db1;

	if (!b || !before)
		goto out;
	change_int(&c, VR_FIELD_MEMORY, 8192, 16384);
	CHECK_INT(apply(b, "db", &c, 1, true), 0);
	CHECK(c.applied);
	vr_change_clear(&c);

	CHECK_INT(vr_backend_observe(b, "db", NULL, &l), 0);
	CHECK_INT(l.memory_mb, 16384);
	CHECK_INT(l.cpu_count, 4);
	CHECK_STR(l.gpu.name, "NVIDIA A2");
	CHECK_INT(l.gpu.type, VR_GPU_DDA);
	CHECK_INT(l.gpu.count, 2);
	CHECK(l.running);
	vr_vm_live_clear(&l);
	CHECK_INT(vm_int(path, "db", "restarts"), 8);

	after = load_json(path);
	CHECK(after != NULL);
	/* host and the other VMs are equal as JSON values */
	CHECK(json_equal(json_object_get(before, "host"),
	    json_object_get(after, "host")));
	CHECK(json_equal(json_object_get(json_object_get(before, "vms"), "web"),
	    json_object_get(json_object_get(after, "vms"), "web")));
	CHECK(json_equal(json_object_get(json_object_get(before, "vms"),
	    "cache"), json_object_get(json_object_get(after, "vms"), "cache")));
	/* within db, only memoryInMB and restarts differ */
	db0 = json_object_get(json_object_get(before, "vms"), "db");
	db1 = json_deep_copy(json_object_get(json_object_get(after, "vms"),
	    "db"));
	json_object_set_new(db1, "memoryInMB", json_integer(8192));
	json_object_set_new(db1, "restarts", json_integer(7));
	CHECK(json_equal(db0, db1));
	json_decref(db1);
	json_decref(after);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_INT(count_entries(dir), 1);
	vr_backend_free(b);
out:
	json_decref(before);
}

TEST(sim_apply_gpu_create_update_delete)
{
	const char *path = unit_write(unit_tmpdir(), "s.json", three_vms);
	struct vr_backend *b = open_sim(path);
	struct vr_vm_live l;
	struct vr_change c;
	json_t *root, *want;

	if (!b)
		return;
	/* create, on a stopped VM: it is started */
	change_gpu(&c, VR_ACTION_CREATE, "NVIDIA RTX A2000", VR_GPU_PV, 1);
	CHECK_INT(apply(b, "web", &c, 1, true), 0);
	CHECK(c.applied);
	vr_change_clear(&c);
	CHECK_INT(vr_backend_observe(b, "web", NULL, &l), 0);
	CHECK(l.running);
	CHECK_STR(l.gpu.name, "NVIDIA RTX A2000");
	CHECK_INT(l.gpu.type, VR_GPU_PV);
	CHECK_INT(l.gpu.count, 1);
	CHECK_INT(l.cpu_count, 2);
	CHECK_INT(l.memory_mb, 2048);
	vr_vm_live_clear(&l);
	CHECK_INT(vm_int(path, "web", "restarts"), 1);
	root = load_json(path);
	want = json_pack("{s:s, s:s, s:i}", "name", "NVIDIA RTX A2000",
	    "passthroughType", "ParaVirtualization", "count", 1);
	CHECK(json_equal(json_object_get(json_object_get(json_object_get(root,
	    "vms"), "web"), "gpu"), want));
	json_decref(want);
	json_decref(root);

	/* update */
	change_gpu(&c, VR_ACTION_UPDATE, "NVIDIA A2", VR_GPU_DDA, 1);
	CHECK_INT(apply(b, "db", &c, 1, true), 0);
	vr_change_clear(&c);
	CHECK_INT(vr_backend_observe(b, "db", NULL, &l), 0);
	CHECK_STR(l.gpu.name, "NVIDIA A2");
	CHECK_INT(l.gpu.count, 1);
	CHECK_INT(l.cpu_count, 4);
	CHECK_INT(l.memory_mb, 8192);
	vr_vm_live_clear(&l);

	/* delete */
	change_gpu(&c, VR_ACTION_DELETE, NULL, VR_GPU_TYPE_NONE, 0);
	CHECK_INT(apply(b, "db", &c, 1, true), 0);
	CHECK(c.applied);
	vr_change_clear(&c);
	CHECK_INT(vr_backend_observe(b, "db", NULL, &l), 0);
	CHECK_INT(l.gpu.count, 0);
	CHECK(l.gpu.name == NULL);
	CHECK_INT(l.cpu_count, 4);
	vr_vm_live_clear(&l);
	CHECK_INT(vm_int(path, "db", "restarts"), 9);
	root = load_json(path);
	CHECK(json_is_null(json_object_get(json_object_get(json_object_get(
	    root, "vms"), "db"), "gpu")));
	json_decref(root);
	vr_backend_free(b);
}

/* Several changes: one write, one restart. */
TEST(sim_apply_all_changes_at_once)
{
	const char *path = unit_write(unit_tmpdir(), "s.json", three_vms);
	struct vr_backend *b = open_sim(path);
	struct vr_change c[3];
	struct vr_vm_live l;
	size_t i;

	if (!b)
		return;
	change_int(&c[0], VR_FIELD_CPU_COUNT, 1, 8);
	change_int(&c[1], VR_FIELD_MEMORY, 1024, 30000);
	change_gpu(&c[2], VR_ACTION_CREATE, "NVIDIA A2", VR_GPU_DDA, 2);
	CHECK_INT(apply(b, "cache", c, 3, true), 0);
	for (i = 0; i < 3; i++) {
		CHECK(c[i].applied);
		vr_change_clear(&c[i]);
	}
	CHECK_INT(vr_backend_observe(b, "cache", NULL, &l), 0);
	CHECK_INT(l.cpu_count, 8);
	CHECK_INT(l.memory_mb, 30000);
	CHECK_INT(l.gpu.count, 2);
	vr_vm_live_clear(&l);
	CHECK_INT(vm_int(path, "cache", "restarts"), 1);
	vr_backend_free(b);
}

/*
 * Apply `n` changes to `vm`, expecting a refusal with `code` and `msg`,
 * and that the file was not written at all: same bytes, inode and mtime,
 * no change marked applied, no temp file.
 */
static void
check_refused(struct vr_backend *b, const char *path, const char *vm,
    struct vr_change *c, size_t n, bool may_restart, int code,
    const char *msg, int line)
{
	struct stat st0, st1;
	char *before = slurp(path), *after;
	int entries = count_entries(unit_tmpdir()), rc;
	size_t i;

	stat(path, &st0);
	rc = apply(b, vm, c, n, may_restart);
	unit_check(rc == code, __FILE__, line, "rc %d, wanted %d", rc, code);
	unit_check(strstr(vr_error_msg(), msg) != NULL, __FILE__, line,
	    "\"%s\" contains \"%s\"", vr_error_msg(), msg);
	after = slurp(path);
	unit_check(before && after && strcmp(before, after) == 0, __FILE__,
	    line, "the file changed");
	unit_check(stat(path, &st1) == 0 && st0.st_ino == st1.st_ino &&
	    st0.st_mtim.tv_sec == st1.st_mtim.tv_sec &&
	    st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec, __FILE__, line,
	    "the file was rewritten");
	unit_check(count_entries(unit_tmpdir()) == entries, __FILE__, line,
	    "a file appeared beside it");
	for (i = 0; i < n; i++)
		unit_check(!c[i].applied, __FILE__, line, "change %zu marked "
		    "applied", i);
	for (i = 0; i < n; i++)
		vr_change_clear(&c[i]);
	free(before);
	free(after);
}

TEST(sim_apply_refused_writes_nothing)
{
	char *path = vr_asprintf("%s/sim.json", unit_tmpdir());
	struct vr_backend *b = open_sim(path);
	struct vr_change c[2];

	if (!b)
		goto out;
	change_int(&c[0], VR_FIELD_MEMORY, 1024, 2047);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "EFLOW needs an even number of MB, at least 1024", __LINE__);
	change_int(&c[0], VR_FIELD_MEMORY, 1024, 512);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "512 MB", __LINE__);
	change_int(&c[0], VR_FIELD_MEMORY, 1024, 65538);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "the host has 65536 MB", __LINE__);
	change_int(&c[0], VR_FIELD_CPU_COUNT, 1, 0);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "at least one", __LINE__);
	change_int(&c[0], VR_FIELD_CPU_COUNT, 1, 17);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "16 logical processors", __LINE__);
	/* all or nothing: a good change with a bad one writes nothing */
	change_int(&c[0], VR_FIELD_CPU_COUNT, 1, 4);
	change_int(&c[1], VR_FIELD_MEMORY, 1024, 3001);
	check_refused(b, path, "edge-01", c, 2, true, VR_EBACKEND,
	    "3001 MB", __LINE__);
	change_gpu(&c[0], VR_ACTION_CREATE, "NVIDIA T4", VR_GPU_DDA, 1);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "no GPU named 'NVIDIA T4'", __LINE__);
	change_gpu(&c[0], VR_ACTION_CREATE, "NVIDIA A2", VR_GPU_PV, 1);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "does not support ParaVirtualization", __LINE__);
	change_gpu(&c[0], VR_ACTION_CREATE, "Intel(R) Iris(R) Xe Graphics",
	    VR_GPU_PV, 2);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "one GPU, not 2", __LINE__);
	change_gpu(&c[0], VR_ACTION_CREATE, "NVIDIA A2", VR_GPU_DDA, 2);
	check_refused(b, path, "edge-01", c, 1, true, VR_EBACKEND,
	    "the host has 1 of GPU 'NVIDIA A2'", __LINE__);
	/* a restart without leave is a reconciler bug */
	change_int(&c[0], VR_FIELD_CPU_COUNT, 1, 2);
	check_refused(b, path, "edge-01", c, 1, false, VR_EINVALID,
	    "without leave to restart", __LINE__);
	change_int(&c[0], VR_FIELD_CPU_COUNT, 1, 2);
	check_refused(b, path, "edge-09", c, 1, true, VR_ENOTFOUND,
	    "no VM named 'edge-09'", __LINE__);
	/* nothing to do: no write, no restart */
	check_refused(b, path, "edge-01", c, 0, true, 0, "", __LINE__);
	vr_backend_free(b);

	/* a nested host passes no GPU through */
	unit_write(unit_tmpdir(), "sim.json", "{\"host\": "
	    "{\"logicalProcessors\": 2, \"memoryInMB\": 4096, \"nested\": true,"
	    " \"gpus\": [{\"name\": \"NVIDIA A2\", \"passthroughTypes\":"
	    " [\"DirectDeviceAssignment\"]}]}, \"vms\": {\"e\": {\"cpuCount\":"
	    " 1, \"memoryInMB\": 1024}}}");
	b = open_sim(path);
	if (!b)
		goto out;
	change_gpu(&c[0], VR_ACTION_CREATE, "NVIDIA A2", VR_GPU_DDA, 1);
	check_refused(b, path, "e", c, 1, true, VR_EBACKEND,
	    "itself a virtual machine", __LINE__);
	vr_backend_free(b);
out:
	free(path);
}

TEST(sim_faults)
{
	const char *dir = unit_tmpdir();
	char *text = replace(three_vms, "\"vms\":", "\"faults\": "
	    "{\"observeError\": \"Get-EflowVm: the VM service is down\"}, "
	    "\"vms\":");
	char *path = vr_asprintf("%s/sim.json", dir);
	struct vr_backend *b;
	struct vr_vm_live l;
	struct vr_host h;
	struct vr_change c;
	char **names;
	size_t n;

	unit_write(dir, "sim.json", text);
	free(text);
	b = open_sim(path);
	if (!b)
		goto out;
	CHECK_INT(vr_backend_observe(b, "db", NULL, &l), VR_EBACKEND);
	CHECK_STR(vr_error_msg(), "Get-EflowVm: the VM service is down");
	CHECK(l.name == NULL);
	/* only observe fails */
	CHECK_INT(vr_backend_host(b, &h), 0);
	vr_host_clear(&h);
	CHECK_INT(vr_backend_list(b, &names, &n), 0);
	vr_strv_free(names, n);
	change_int(&c, VR_FIELD_CPU_COUNT, 4, 2);
	CHECK_INT(apply(b, "db", &c, 1, true), 0);
	vr_change_clear(&c);

	text = replace(three_vms, "\"vms\":", "\"faults\": "
	    "{\"applyError\": \"Set-EflowVM: access denied\"}, \"vms\":");
	unit_write(dir, "sim.json", text);
	free(text);
	CHECK_INT(vr_backend_observe(b, "db", NULL, &l), 0);
	vr_vm_live_clear(&l);
	change_int(&c, VR_FIELD_CPU_COUNT, 4, 2);
	check_refused(b, path, "db", &c, 1, true, VR_EBACKEND,
	    "Set-EflowVM: access denied", __LINE__);
	CHECK_STR(vr_error_msg(), "Set-EflowVM: access denied");
	vr_backend_free(b);
out:
	free(path);
}
