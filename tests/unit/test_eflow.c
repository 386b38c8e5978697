/*
 * test_eflow.c - the PowerShell runner and the eflow backend, against the
 * EFLOW emulator (tests/eflow-emu/powershell, run for real as the
 * launcher): literal quoting round-trips, launcher splitting, timeouts and
 * failures, hostile JSON, the host's limits, observe, preflight and apply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../../backends/backend.h"
#include "../../backends/eflow.h"
#include "../../backends/powershell.h"
#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/util/run.h"
#include "drvcheck.h"
#include "unit.h"

extern const struct vr_driver vr_eflow_driver;

static const char *
emu_path(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s",
	    unit_top("tests/eflow-emu/powershell"));
	return path;
}

/* A state file with this VM and host (and faults, a JSON object or NULL);
 * sets EFLOW_EMU_STATE and EFLOW_EMU_LOG (a fresh log). */
static void
emu_setup(const char *vm, const char *host, const char *faults)
{
	const char *dir = unit_tmpdir();
	char *text, path[512];

	if (!vm)
		vm = "{\"name\": \"EDGE01-EFLOW\", \"power\": \"Running\", "
		    "\"cpuCount\": 4, \"memoryInMB\": 8192, \"gpu\": null}";
	if (!host)
		host = "{\"logicalProcessors\": 8, \"freeMemoryInMB\": 6000, "
		    "\"totalMemoryInMB\": 16384, \"model\": \"OptiPlex\", "
		    "\"buildNumber\": \"19044\", \"ubr\": 1620, "
		    "\"productName\": \"Windows 10 Enterprise\", "
		    "\"installationType\": \"Client\", \"videoControllers\": "
		    "[\"NVIDIA A2\", \"Intel(R) UHD Graphics 630\"]}";
	text = vr_asprintf("{\"vm\": %s, \"host\": %s, \"faults\": %s}\n", vm,
	    host, faults ? faults : "{}");
	setenv("EFLOW_EMU_STATE", unit_write(dir, "emu.json", text), 1);
	free(text);
	snprintf(path, sizeof(path), "%s/emu.log", dir);
	unlink(path);
	setenv("EFLOW_EMU_LOG", path, 1);
	snprintf(path, sizeof(path), "%s/emu-starts.log", dir);
	setenv("EFLOW_EMU_STARTS", path, 1);
}

/* The emulator's state file, parsed. */
static json_t *
emu_state(void)
{
	json_error_t err;

	return json_load_file(getenv("EFLOW_EMU_STATE"), 0, &err);
}

/* The emulator's log as text ("" when nothing was logged). */
static char *
emu_log(void)
{
	char *text = NULL;
	size_t len;

	if (vr_file_read(&text, &len, getenv("EFLOW_EMU_LOG"), 1 << 24) < 0)
		return vr_strdup("");
	return text;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Launcher starts the emulator logged since the last emu_starts_reset. */
static size_t
emu_starts(void)
{
	char *text = NULL;
	size_t len, n = 0;

	if (vr_file_read(&text, &len, getenv("EFLOW_EMU_STARTS"),
	    1 << 20) == 0)
		n = count_lines(text);
	free(text);
	return n;
}

static void
emu_starts_reset(void)
{
	unlink(getenv("EFLOW_EMU_STARTS"));
}

/* The eflow backend on the emulator, its target `prefix` (e.g.
 * "per-call:") and the emulator's path. */
static struct vr_backend *
emu_open_as(const char *prefix, int timeout_ms)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;
	char *kt = vr_asprintf("eflow:%s%s", prefix, emu_path());

	o.timeout_ms = timeout_ms;
	if (vr_backend_open(&b, kt, &o) < 0)
		printf("    open: %s\n", vr_error_msg());
	free(kt);
	return b;
}

static struct vr_backend *
emu_open(int timeout_ms)
{
	return emu_open_as("", timeout_ms);
}

TEST(eflow_quote_examples)
{
	char *q;

	q = vr_ps_quote("");
	CHECK_STR(q, "''");
	free(q);
	q = vr_ps_quote("NVIDIA A2");
	CHECK_STR(q, "'NVIDIA A2'");
	free(q);
	q = vr_ps_quote("a'b''c");
	CHECK_STR(q, "'a''b''''c'");
	free(q);
	q = vr_ps_quote("x\xe2\x80\x99y");      /* U+2019 */
	CHECK_STR(q, "'x\xe2\x80\x99\xe2\x80\x99y'");
	free(q);
	q = vr_ps_quote("$(rm -rf /); `n\"");
	CHECK_STR(q, "'$(rm -rf /); `n\"'");
	free(q);
}

/* A random string of pieces PowerShell could trip on (valid UTF-8). */
static char *
random_name(unsigned *seed, int nonempty)
{
	static const char *pieces[] = { "'", "''", "\xe2\x80\x98",
	    "\xe2\x80\x99", "\xe2\x80\x9a", "\xe2\x80\x9b", "\"", "$(", ")",
	    "$x", "`", "`n", ";", "|", "&", "\n", "\r\n", "\t", " ", "\x01",
	    "\x1b[31m", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
	    "\xc2\xa0", "{", "}", "@", "#", "<#", "-", "--%", "\\", "%" };
	size_t np = sizeof(pieces) / sizeof(pieces[0]);
	char buf[512];
	size_t n = 0;
	int i, len = rand_r(seed) % 24 + (nonempty ? 1 : 0);

	for (i = 0; i < len; i++) {
		const char *p;
		char one[2];

		if (rand_r(seed) % 3 == 0) {
			p = pieces[rand_r(seed) % np];
		} else {
			one[0] = (char)(0x20 + rand_r(seed) % 95);
			one[1] = '\0';
			p = one;
		}
		if (n + strlen(p) >= sizeof(buf))
			break;
		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
	}
	buf[n] = '\0';
	return vr_strdup(buf);
}

/* Run the emulator's own literal parser over every quoted string at once:
 * JSON array in, JSON array of the denoted strings out. */
static json_t *
emu_parse_literals(json_t *quoted)
{
	char *in = json_dumps(quoted, 0);
	char *argv[] = { (char *)emu_path(), "--parse-literals", NULL };
	struct vr_run r = { .argv = argv, .out_max = 64 << 20,
	    .err_max = 1 << 20 };
	json_t *parsed = NULL;
	json_error_t err;

	if (!in)
		return NULL;
	r.in = in;
	r.in_len = strlen(in);
	if (vr_run(&r) == 0 && r.exited && r.exit_code == 0)
		parsed = json_loadb(r.out, r.out_len, 0, &err);
	vr_run_free(&r);
	free(in);
	return parsed;
}

TEST(eflow_quote_roundtrips_through_the_emulator_parser)
{
	enum { N = 5000 };
	json_t *quoted = json_array(), *parsed;
	char *orig[N];
	unsigned seed = 42;
	size_t i, bad = 0;

	for (i = 0; i < N; i++) {
		char *q;

		orig[i] = random_name(&seed, 0);
		q = vr_ps_quote(orig[i]);
		json_array_append_new(quoted, json_string(q));
		free(q);
	}
	parsed = emu_parse_literals(quoted);
	CHECK(parsed != NULL);
	CHECK_INT(json_array_size(parsed), N);
	for (i = 0; parsed && i < N && i < json_array_size(parsed); i++) {
		const char *got = json_string_value(json_array_get(parsed, i));

		if (!got || strcmp(got, orig[i]) != 0) {
			if (bad++ < 3)
				CHECK_STR(got, orig[i]);
		}
	}
	CHECK_INT(bad, 0);
	for (i = 0; i < N; i++)
		free(orig[i]);
	json_decref(quoted);
	json_decref(parsed);
}

/* Hostile GPU names through the real apply path: Set-EflowVM on the
 * emulator must record exactly the name vmrecon was given. */
TEST(eflow_hostile_gpu_names_arrive_literally)
{
	unsigned seed = 7;
	int i;

	for (i = 0; i < 25; i++) {
		struct vr_vm_live live = { 0 };
		struct vr_vm_spec spec = { 0 };
		struct vr_change c = { 0 };
		struct vr_apply_request req = { 0 };
		struct vr_backend *b;
		json_t *host, *st, *jn;
		char *name = random_name(&seed, 1), *hs, *vc;
		const char *got;

		jn = json_string(name);
		vc = json_dumps(jn, JSON_ENCODE_ANY);
		hs = vr_asprintf("{\"logicalProcessors\": 8, \"freeMemoryInMB\": "
		    "6000, \"totalMemoryInMB\": 16384, \"model\": \"x\", "
		    "\"buildNumber\": \"22631\", \"ubr\": 1, \"productName\": "
		    "\"Windows 10 Pro\", \"installationType\": \"Client\", "
		    "\"videoControllers\": [%s]}", vc);
		host = NULL;
		emu_setup(NULL, hs, NULL);
		b = emu_open(0);
		live.name = vr_strdup("EDGE01-EFLOW");
		live.running = true;
		live.cpu_count = 4;
		live.memory_mb = 8192;
		c.field = VR_FIELD_GPU;
		c.action = VR_ACTION_CREATE;
		c.to.gpu.name = vr_strdup(name);
		c.to.gpu.type = VR_GPU_PV;
		c.to.gpu.count = 1;
		req.spec = &spec;
		req.live = &live;
		req.changes = &c;
		req.nchanges = 1;
		req.may_restart = true;
		if (!CHECK(b && vr_backend_apply(b, &req) == 0))
			printf("    name %s: %s\n", vc, vr_error_msg());
		st = emu_state();
		got = json_string_value(json_object_get(json_object_get(
		    json_object_get(st, "vm"), "gpu"), "name"));
		CHECK_STR(got, name);
		CHECK_INT(json_integer_value(json_object_get(json_object_get(
		    st, "vm"), "cpuCount")), 4);
		CHECK(c.applied);
		json_decref(st);
		json_decref(host);
		json_decref(jn);
		free(vc);
		free(hs);
		free(name);
		vr_change_clear(&c);
		vr_vm_live_clear(&live);
		vr_backend_free(b);
	}
}

TEST(eflow_launcher_split)
{
	char **v;
	size_t n;
	char many[400] = "";
	int i;

	CHECK_INT(vr_ps_split(&v, &n, " ssh  admin@edge01\tpowershell "), 0);
	CHECK_INT(n, 3);
	CHECK_STR(v[0], "ssh");
	CHECK_STR(v[1], "admin@edge01");
	CHECK_STR(v[2], "powershell");
	CHECK(v[3] == NULL);
	vr_strv_free(v, n);
	CHECK_INT(vr_ps_split(&v, &n, "powershell.exe"), 0);
	CHECK_INT(n, 1);
	vr_strv_free(v, n);
	CHECK_INT(vr_ps_split(&v, &n, ""), VR_EINVALID);
	CHECK_INT(vr_ps_split(&v, &n, " \t "), VR_EINVALID);
	CHECK(v == NULL);
	for (i = 0; i < VR_PS_MAX_ARGS + 1; i++)
		memcpy(many + 2 * i, "a ", 2);
	CHECK_INT(vr_ps_split(&v, &n, many), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "more than");
}

/* The per-call path (target "per-call:LAUNCHER", and the fallback): the
 * launcher's exit status, stderr (CLIXML decoded), a deadline, output over
 * its bound, output cut short. */
TEST(eflow_run_failures_are_clear_per_call)
{
	struct vr_backend *b;
	struct vr_ps *ps;
	struct vr_host h;
	char *out = NULL, *log, want[64];
	size_t len;
	int64_t t0, call_ms;
	int deadline_ms;

	emu_setup(NULL, NULL, "{\"exit\": 3, \"stderr\": \"Boom: the "
	    "module\\nfailed to load\\n\"}");
	b = emu_open_as("per-call:", 0);
	CHECK_INT(vr_backend_host(b, &h), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "observe (Get-EflowVm");
	CHECK_CONTAINS(vr_error_msg(), "failed (exit status 3)");
	CHECK_CONTAINS(vr_error_msg(), "Boom: the module failed to load");
	vr_backend_free(b);

	/* errors as Windows PowerShell writes them without a tty */
	emu_setup(NULL, NULL, "{\"exit\": 1, \"stderr\": \"#< CLIXML\\r\\n"
	    "<Objs Version=\\\"1.1.0.1\\\"><S S=\\\"Error\\\">Import-Module : "
	    "The specified module &apos;AzureEFLOW&apos; was not loaded_x000D"
	    "__x000A_</S><S S=\\\"Error\\\">At line:5</S></Objs>\"}");
	b = emu_open_as("per-call:", 0);
	CHECK_INT(vr_backend_host(b, &h), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "Import-Module : The specified module "
	    "'AzureEFLOW' was not loaded At line:5");
	vr_backend_free(b);

	/* the deadline of a hanging call: four times a call measured now (at
	 * least 400 ms), so that the emulator has started and logged its call
	 * before it is killed however loaded this machine is */
	emu_setup(NULL, NULL, NULL);
	b = emu_open_as("per-call:", 0);
	t0 = vr_clock_ms();
	CHECK_INT(vr_backend_host(b, &h), 0);
	vr_host_clear(&h);
	call_ms = vr_clock_ms() - t0;
	vr_backend_free(b);
	deadline_ms = call_ms * 4 < 400 ? 400 : (int)(call_ms * 4);
	emu_setup(NULL, NULL, "{\"hang\": true}");
	b = emu_open_as("per-call:", deadline_ms);
	t0 = vr_clock_ms();
	CHECK_INT(vr_backend_host(b, &h), VR_ETIMEOUT);
	/* it ended at the deadline, not with the hang (which never ends) */
	CHECK(vr_clock_ms() - t0 < 10 * (int64_t)deadline_ms);
	snprintf(want, sizeof(want), "did not finish within %d ms", deadline_ms);
	CHECK_CONTAINS(vr_error_msg(), want);
	log = emu_log();
	CHECK_INT(count_lines(log), 1);
	free(log);
	vr_backend_free(b);

	emu_setup(NULL, NULL, "{\"garbage\": \"0123456789abcdef\", "
	    "\"garbageRepeat\": 70000}");
	b = emu_open_as("per-call:", 0);
	CHECK_INT(vr_backend_host(b, &h), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "more than 1048576 bytes");
	vr_backend_free(b);

	/* output cut short before the result */
	emu_setup(NULL, NULL, "{\"cut\": 10}");
	b = emu_open_as("per-call:", 0);
	CHECK_INT(vr_backend_host(b, &h), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "exited 0 without a result");
	vr_backend_free(b);

	CHECK_INT(vr_ps_open(&ps, &(struct vr_ps_options){ .target =
	    "per-call:/nonexistent/powershell.exe -x" }), 0);
	CHECK_INT(vr_ps_run(ps, "test", "Start-EflowVm", &out, &len),
	    VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "cannot run PowerShell launcher "
	    "'/nonexistent/powershell.exe'");
	CHECK(out == NULL);
	CHECK(vr_ps_per_call(ps));
	vr_ps_free(ps);
}

/* The same failures through the worker: each makes the call's outcome
 * unknown, says so in the host's words, and leaves no worker behind (the
 * next call starts a fresh one). */
TEST(eflow_run_failures_are_clear_worker)
{
	static const struct {
		const char *faults, *want, *also;
	} cases[] = {
		{ "{\"exit\": 3, \"stderr\": \"Boom: the module\\nfailed\\n\"}",
		  "the PowerShell worker exited with status 3 before it "
		  "answered, so whether it ran is unknown",
		  "Boom: the module failed" },
		{ "{\"garbage\": \"0123456789abcdef\", \"garbageRepeat\": "
		  "70000}", "more than 1048576 bytes", "observe" },
		{ "{\"garbage\": \"<html>502 Bad Gateway</html>\"}",
		  "exited with status 0 before it answered",
		  "it printed: <html>502 Bad Gateway</html>" },
		{ "{\"cut\": 30}", "before it answered", "unknown" },
		{ "{\"frame\": \"#vmrecon-result-4f1d9c# ok 99 e30=\"}",
		  "answered garbage ('#vmrecon-result-4f1d9c# ok 99 e30=' is "
		  "no answer to request 1)", "the worker was stopped" },
		{ "{\"frame\": \"#vmrecon-result-4f1d9c# ok 1 !!!!\"}",
		  "answered garbage", "unknown" },
	};
	struct vr_backend *b;
	struct vr_ps *ps;
	struct vr_host h;
	char *out = NULL;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emu_setup(NULL, NULL, cases[i].faults);
		emu_starts_reset();
		b = emu_open(0);
		CHECK_INT(vr_backend_host(b, &h), VR_EBACKEND);
		CHECK_CONTAINS(vr_error_msg(), cases[i].want);
		CHECK_CONTAINS(vr_error_msg(), cases[i].also);
		/* the next call (the fault gone) starts a fresh worker */
		emu_setup(NULL, NULL, NULL);
		if (CHECK(vr_backend_host(b, &h) == 0))
			vr_host_clear(&h);
		else
			printf("    %s\n", vr_error_msg());
		CHECK_INT(emu_starts(), 2);
		vr_backend_free(b);
	}

	/* a script the emulator does not know fails loudly */
	CHECK_INT(vr_ps_open(&ps, &(struct vr_ps_options){ .target =
	    emu_path(), .module = "AzureEFLOW" }), 0);
	emu_setup(NULL, NULL, NULL);
	CHECK_INT(vr_ps_run(ps, "test", "Get-Process", &out, &len),
	    VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "calls Get-Process, which vmrecon "
	    "never sends");
	CHECK_INT(vr_ps_requests(ps), 1);
	CHECK_INT(vr_ps_starts(ps), 1);
	vr_ps_free(ps);

	CHECK_INT(vr_ps_open(&ps, &(struct vr_ps_options){ .target =
	    "/nonexistent/powershell.exe -x" }), 0);
	CHECK_INT(vr_ps_run(ps, "test", "Start-EflowVm", &out, &len),
	    VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "cannot run PowerShell launcher "
	    "'/nonexistent/powershell.exe'");
	CHECK(out == NULL);
	CHECK(!vr_ps_per_call(ps));
	vr_ps_free(ps);
}

/* The argv after the launcher's words: -NoProfile -NonInteractive
 * -EncodedCommand and base64 only, whatever the script holds; and the
 * base64 is the script in UTF-16LE. */
TEST(eflow_argv_is_inert)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789+/=-";
	struct vr_ps *ps;
	char **v, *script;
	size_t n, i;

	CHECK_INT(vr_ps_open(&ps, &(struct vr_ps_options){ .target =
	    "ssh admin@host powershell" }), 0);
	script = vr_ps_script("AzureEFLOW", "$x = 'it''s \xe2\x80\x99 \"q\" "
	    "| ; & $(a) `n \xf0\x9f\x98\x80'\n");
	CHECK_INT(vr_ps_argv(&v, &n, ps, script), 0);
	CHECK_INT(n, 9);
	CHECK_STR(v[0], "ssh");
	CHECK_STR(v[2], "powershell");
	CHECK_STR(v[3], "-NoProfile");
	CHECK_STR(v[4], "-NonInteractive");
	CHECK_STR(v[5], "-OutputFormat");
	CHECK_STR(v[6], "Text");
	CHECK_STR(v[7], "-EncodedCommand");
	CHECK(v[9] == NULL);
	for (i = 3; i < n; i++)
		CHECK_INT(strspn(v[i], b64), strlen(v[i]));
	/* "$Error..." in UTF-16LE starts every script */
	CHECK(strncmp(v[8], "JABFAHIAcgBvAHIA", 16) == 0);
	vr_ps_argv_free(v);
	free(script);
	CHECK_INT(vr_ps_argv(&v, &n, ps, "bad \xff utf-8"), VR_EINVALID);
	CHECK(v == NULL);
	vr_ps_free(ps);
}

/* The result is what follows the last sentinel line. */
TEST(eflow_result_after_the_sentinel)
{
	const char *res;
	size_t rl, before;
	static const char t1[] = "noise\r\n" VR_PS_SENTINEL "\r\nA\n"
	    VR_PS_SENTINEL "\nB\n";

	CHECK_INT(vr_ps_result("x", t1, strlen(t1), &res, &rl, &before), 0);
	CHECK_INT(rl, 2);
	CHECK(strncmp(res, "B\n", 2) == 0);
	CHECK_INT(vr_ps_result("x", "a" VR_PS_SENTINEL "\nB",
	    strlen("a" VR_PS_SENTINEL "\nB"), &res, &rl, &before),
	    VR_EBACKEND);
	CHECK_INT(vr_ps_result("x", VR_PS_SENTINEL, strlen(VR_PS_SENTINEL),
	    &res, &rl, &before), 0);
	CHECK_INT(rl, 0);
}

TEST(eflow_gpu_support_matrix)
{
	CHECK_INT(vr_eflow_gpu_types("NVIDIA A2"), VR_GPU_DDA);
	CHECK_INT(vr_eflow_gpu_types("NVIDIA Tesla T4"), VR_GPU_DDA);
	CHECK_INT(vr_eflow_gpu_types("NVIDIA GeForce RTX 3080"), VR_GPU_PV);
	CHECK_INT(vr_eflow_gpu_types("NVIDIA Quadro P2000"), VR_GPU_PV);
	CHECK_INT(vr_eflow_gpu_types("NVIDIA RTX A2000"), VR_GPU_PV);
	CHECK_INT(vr_eflow_gpu_types("Intel(R) UHD Graphics 630"), VR_GPU_PV);
	CHECK_INT(vr_eflow_gpu_types("Intel(R) Iris(R) Xe Graphics"),
	    VR_GPU_PV);
	CHECK_INT(vr_eflow_gpu_types("NVIDIA A200"), 0);
	CHECK_INT(vr_eflow_gpu_types("AMD Radeon RX 6800"), 0);
	CHECK_INT(vr_eflow_gpu_types("Microsoft Basic Display Adapter"), 0);
	CHECK_INT(vr_eflow_gpu_types("NVIDIAX T4"), 0);
}

TEST(eflow_host_limits)
{
	struct vr_backend *b;
	struct vr_host h;
	const struct vr_host_gpu *g;
	char *log;

	emu_setup(NULL, NULL, NULL);
	b = emu_open(0);
	CHECK_INT(vr_backend_host(b, &h), 0);
	CHECK_INT(h.cpus, 8);
	CHECK_INT(h.memory_mb, 16384);
	CHECK_INT(h.min_memory_mb, 1024);
	CHECK(!h.nested);
	CHECK(h.gpu_blocker == NULL);
	CHECK_INT(h.ngpus, 2);
	g = vr_host_find_gpu(&h, "NVIDIA A2");
	CHECK(g && g->types == VR_GPU_DDA && g->count == 1);
	g = vr_host_find_gpu(&h, "Intel(R) UHD Graphics 630");
	CHECK(g && g->types == VR_GPU_PV);
	vr_host_clear(&h);
	/* cached per connection: a second call sends nothing */
	CHECK_INT(vr_backend_host(b, &h), 0);
	vr_host_clear(&h);
	log = emu_log();
	CHECK_INT(count_lines(log), 1); /* one script asks for everything */
	CHECK_CONTAINS(log, "\"kind\":\"observe\"");
	CHECK_CONTAINS(log, "Get-EflowHostConfiguration");
	CHECK_CONTAINS(log, "Win32_VideoController");
	CHECK_CONTAINS(log, "Win32_ComputerSystem");
	CHECK_CONTAINS(log, "Win32_Processor");
	CHECK_CONTAINS(log, "Get-ItemProperty -Path 'HKLM:");
	free(log);
	vr_backend_free(b);

	/* nested host, too old a build, one controller, none at all */
	emu_setup(NULL, "{\"logicalProcessors\": 2, \"freeMemoryInMB\": 3000, "
	    "\"totalMemoryInMB\": 4096, \"model\": \"Virtual Machine\", "
	    "\"buildNumber\": \"19044\", \"ubr\": 1619, \"productName\": "
	    "\"Windows 10 Pro\", \"installationType\": \"Client\", "
	    "\"videoControllers\": [\"NVIDIA A2\", \"NVIDIA A2\"]}", NULL);
	b = emu_open(0);
	CHECK_INT(vr_backend_host(b, &h), 0);
	CHECK(h.nested);
	CHECK_CONTAINS(h.gpu_blocker, "nested virtualization");
	CHECK_CONTAINS(h.gpu_blocker, "19044.1619");
	CHECK_CONTAINS(h.gpu_blocker, "19044.1620 or later");
	CHECK_INT(h.ngpus, 1);
	CHECK_INT(h.gpus[0].count, 2);
	vr_host_clear(&h);
	vr_backend_free(b);

	emu_setup(NULL, "{\"logicalProcessors\": 2, \"freeMemoryInMB\": 3000, "
	    "\"totalMemoryInMB\": 4096, \"model\": \"PowerEdge\", "
	    "\"buildNumber\": \"17134\", \"ubr\": 1, \"productName\": "
	    "\"Windows Server 2016\", \"installationType\": \"Server Core\", "
	    "\"videoControllers\": []}", NULL);
	b = emu_open(0);
	CHECK_INT(vr_backend_host(b, &h), 0);
	CHECK_CONTAINS(h.gpu_blocker, "17763 or later");
	CHECK_INT(h.ngpus, 0);
	vr_host_clear(&h);
	vr_backend_free(b);

	emu_setup(NULL, "{\"logicalProcessors\": 2, \"freeMemoryInMB\": 3000, "
	    "\"totalMemoryInMB\": 4096, \"model\": \"PowerEdge\", "
	    "\"buildNumber\": \"17763\", \"ubr\": 0, \"productName\": "
	    "\"Windows Server 2019\", \"installationType\": \"Server\", "
	    "\"videoControllers\": [\"NVIDIA Tesla T4\"]}", NULL);
	b = emu_open(0);
	CHECK_INT(vr_backend_host(b, &h), 0);
	CHECK(h.gpu_blocker == NULL);
	CHECK_INT(h.ngpus, 1);
	CHECK_INT(h.gpus[0].types, VR_GPU_DDA);
	vr_host_clear(&h);
	vr_backend_free(b);
}

TEST(eflow_observe)
{
	struct vr_vm_spec rec = { 0 };
	struct vr_vm_live l;
	struct vr_backend *b;
	char **names;
	size_t n;

	emu_setup("{\"name\": \"EDGE01-EFLOW\", \"power\": \"Off\", "
	    "\"powerAsNumber\": true, \"cpuCount\": 2, \"memoryInMB\": 4096, "
	    "\"gpu\": {\"name\": \"NVIDIA A2\", \"type\": "
	    "\"DirectDeviceAssignment\", \"count\": 1}}", NULL, NULL);
	b = emu_open(0);
	CHECK_INT(vr_backend_observe(b, "edge01-eflow", NULL, &l), 0);
	CHECK_STR(l.name, "EDGE01-EFLOW");
	CHECK(!l.running);
	CHECK_INT(l.cpu_count, 2);
	CHECK_INT(l.memory_mb, 4096);
	CHECK_INT(l.gpu.count, 1);
	CHECK(l.gpu.name == NULL);
	CHECK_INT(l.gpu.type, VR_GPU_TYPE_NONE);
	CHECK_INT(l.memory_limit_mb, 6000 + 4096); /* the margin: preflight */
	vr_vm_live_clear(&l);

	rec.gpu_want = VR_GPU_WANT;
	rec.gpu.name = "NVIDIA A2";
	rec.gpu.type = VR_GPU_DDA;
	rec.gpu.count = 1;
	CHECK_INT(vr_backend_observe(b, "EDGE01-EFLOW", &rec, &l), 0);
	CHECK_STR(l.gpu.name, "NVIDIA A2");
	CHECK_INT(l.gpu.type, VR_GPU_DDA);
	vr_vm_live_clear(&l);
	rec.gpu.count = 2; /* the record no longer matches: unknown */
	CHECK_INT(vr_backend_observe(b, "EDGE01-EFLOW", &rec, &l), 0);
	CHECK(l.gpu.name == NULL);
	vr_vm_live_clear(&l);

	vr_backend_free(b);

	/* two sockets, no gpucount, noise, OEM bytes: the record decides */
	emu_setup("{\"name\": \"EDGE01-EFLOW\", \"power\": \"Running\", "
	    "\"powerAsNumber\": true, \"noGpuCount\": true, \"cpuCount\": "
	    "2, \"memoryInMB\": 4096, \"gpu\": null}", "{\"logicalProcessors\""
	    ": 128, \"sockets\": 2, \"freeMemoryInMB\": 60000, "
	    "\"totalMemoryInMB\": 65536, \"model\": \"Pr\u00e4zision\", "
	    "\"buildNumber\": \"20348\", \"ubr\": 1, \"productName\": "
	    "\"Windows Server 2022\", \"installationType\": \"Server\", "
	    "\"noise\": [\"Could not resolve virtual machine IP address at "
	    "line 3881\"], \"oem\": true, \"videoControllers\": "
	    "[\"NVIDIA T4 \u00e4\"]}", NULL);
	b = emu_open(0);
	CHECK_INT(vr_backend_observe(b, "EDGE01-EFLOW", NULL, &l), 0);
	CHECK(l.running);
	CHECK(l.gpu_unknown);
	CHECK_INT(l.gpu.count, 0);
	vr_vm_live_clear(&l);
	rec.gpu.count = 1;
	CHECK_INT(vr_backend_observe(b, "EDGE01-EFLOW", &rec, &l), 0);
	CHECK(!l.gpu_unknown);
	CHECK_INT(l.gpu.count, 1);
	CHECK_STR(l.gpu.name, "NVIDIA A2");
	vr_vm_live_clear(&l);
	rec.gpu_want = VR_GPU_NONE;
	CHECK_INT(vr_backend_observe(b, "EDGE01-EFLOW", &rec, &l), 0);
	CHECK(!l.gpu_unknown);
	CHECK_INT(l.gpu.count, 0);
	vr_vm_live_clear(&l);
	{
		struct vr_host h;

		struct vr_backend *pc = emu_open_as("per-call:", 0);

		/* the worker's answer is base64 of UTF-8: the code page of
		 * the console does not touch it */
		CHECK_INT(vr_backend_host(b, &h), 0);
		CHECK_INT(h.cpus, 128);
		CHECK_INT(h.ngpus, 1);
		CHECK_STR(h.gpus[0].name, "NVIDIA T4 \xc3\xa4");
		vr_host_clear(&h);
		/* per call, an OEM byte becomes U+FFFD */
		CHECK_INT(vr_backend_host(pc, &h), 0);
		CHECK_STR(h.gpus[0].name, "NVIDIA T4 \xef\xbf\xbd");
		vr_host_clear(&h);
		vr_backend_free(pc);
	}

	CHECK_INT(vr_backend_observe(b, "edge-01", NULL, &l), VR_ENOTFOUND);
	CHECK_CONTAINS(vr_error_msg(), "'edge-01'");
	CHECK_CONTAINS(vr_error_msg(), "'EDGE01-EFLOW'");
	CHECK_INT(vr_backend_list(b, &names, &n), 0);
	CHECK_INT(n, 1);
	CHECK_STR(names[0], "EDGE01-EFLOW");
	vr_strv_free(names, n);
	vr_backend_free(b);
}

/* Outputs a broken or hostile host could print instead of the observe
 * result (after the sentinel, or without one): each is a clear error. */
TEST(eflow_hostile_json_is_refused)
{
	static const char *bad[] = { "", "   \n", "not json", "null", "[]",
	    "{}", "\"Running\"", "{\"name\": 5}",
	    "<html><body>502 Bad Gateway</body></html>",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":\"4\"}",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":4.5}",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":-1}",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":4,\"memoryMB\":1e300}",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":4,\"memoryMB\":4096,"
	    "\"gpuCount\":99999999999999999999}",
	    "{\"name\":\"A\",\"power\":null,\"cpuCount\":4,\"memoryMB\":4096}",
	    "{\"name\":\"A\",\"name\":\"B\"}",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":4,\"memoryMB\":4096,"
	    "\"gpuCount\":0,\"logicalProcessors\":[64,64],\"freeMemoryMB\":1}",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":4,\"memoryMB\":4096,"
	    "\"gpuCount\":0,\"logicalProcessors\":8,\"freeMemoryMB\":1,"
	    "\"gpus\":\"NVIDIA A2\",\"build\":\"-1\"}",
	    "{\"name\":\"A\",\"power\":\"1\",\"cpuCount\":4,\"memoryMB\":4096,"
	    "\"gpuCount\":0,\"logicalProcessors\":8,\"freeMemoryMB\":1,"
	    "\"gpus\":[1],\"build\":\"19044\"}",
	    "{\"name\":\"A\",\"properties\":{\"hardware",
	};
	size_t nbad = sizeof(bad) / sizeof(bad[0]);
	struct vr_backend *b;
	struct vr_vm_live l;
	char *deep, *longname, *faults, *pay;
	json_t *j;
	size_t i;
	int worker;

	/* per call: the whole stdout as the launcher printed it; through
	 * the worker: the payload of its answer (the "result" fault) */
	for (worker = 0; worker < 2; worker++)
	for (i = 0; i < nbad + 3 - worker; i++) {
		if (i < nbad) {
			pay = vr_strdup(bad[i]);
		} else if (i == nbad) {
			pay = vr_malloc(200001);
			memset(pay, '[', 100000);
			memset(pay + 100000, ']', 100000);
			pay[200000] = '\0';
		} else if (i == nbad + 1) {
			longname = vr_malloc(5001);
			memset(longname, 'n', 5000);
			longname[5000] = '\0';
			pay = vr_asprintf("{\"name\":\"%s\",\"power\":"
			    "\"Running\",\"cpuCount\":4,\"memoryMB\":4096,"
			    "\"gpuCount\":0,\"logicalProcessors\":8,"
			    "\"freeMemoryMB\":1,\"build\":\"19044\"}",
			    longname);
			free(longname);
		} else {
			pay = NULL;
		}
		if (worker)
			deep = pay;
		else if (pay) {
			deep = vr_asprintf("noise\r\n\n%s\n%s", VR_PS_SENTINEL,
			    pay);
			free(pay);
		} else {
			/* the AzureEFLOW style: the error on stdout, exit 0 */
			deep = vr_strdup("[12/01/2026 02:00:00] Exception "
			    "caught!!!\r\n - Virtual machine name could not be "
			    "retrieved at line 3881\r\n");
		}
		j = json_string(deep);
		free(deep);
		deep = json_dumps(j, JSON_ENCODE_ANY);
		faults = vr_asprintf("{\"match\": \"observe\", \"%s\": %s}",
		    worker ? "result" : "garbage", deep);
		emu_setup(NULL, NULL, faults);
		b = emu_open_as(worker ? "" : "per-call:", 0);
		if (!CHECK(vr_backend_observe(b, "A", NULL, &l) ==
		    VR_EBACKEND))
			printf("    output %zu accepted\n", i);
		CHECK_CONTAINS(vr_error_msg(), "observe");
		CHECK(l.name == NULL);
		vr_vm_live_clear(&l);
		vr_backend_free(b);
		free(faults);
		free(deep);
		json_decref(j);
		if (!worker && i == nbad + 2)
			CHECK_CONTAINS(vr_error_msg(), "without a result; it "
			    "printed: [12/01/2026 02:00:00] Exception "
			    "caught!!! - Virtual machine name could not be "
			    "retrieved at line 3881");
	}
}

TEST(eflow_tolerated_json_shapes)
{
	struct vr_backend *b;
	struct vr_vm_live l;

	/* a byte order mark-free result after noise, CR LF, a numeric power
	 * state by moc's enum (1 Running), null fields, a lone GPU string */
	emu_setup(NULL, NULL, "{\"match\": \"observe\", \"garbage\": "
	    "\"WARNING: a newer EFLOW is available\\r\\n\\r\\n"
	    VR_PS_SENTINEL "\\r\\n{\\\"name\\\":\\\"A\\\",\\\"power\\\":\\\"1\\\","
	    "\\\"cpuCount\\\":4,\\\"memoryMB\\\":4096,\\\"gpuCount\\\":0,"
	    "\\\"logicalProcessors\\\":8,\\\"freeMemoryMB\\\":9000,"
	    "\\\"totalMemoryBytes\\\":null,\\\"gpus\\\":\\\"NVIDIA A2\\\","
	    "\\\"model\\\":null,\\\"build\\\":\\\"19044\\\",\\\"ubr\\\":null}"
	    "\\r\\n\"}");
	b = emu_open_as("per-call:", 0);
	if (!CHECK(vr_backend_observe(b, "a", NULL, &l) == 0))
		printf("    %s\n", vr_error_msg());
	CHECK(l.running);
	CHECK_INT(l.cpu_count, 4);
	vr_vm_live_clear(&l);
	vr_backend_free(b);

	/* moc's 2 is Off, not Hyper-V's Running */
	emu_setup("{\"name\": \"A\", \"power\": \"Off\", \"powerAsNumber\": "
	    "true, \"cpuCount\": 2, \"memoryInMB\": 4096, \"gpu\": null}", NULL,
	    NULL);
	b = emu_open(0);
	if (!CHECK(vr_backend_observe(b, "a", NULL, &l) == 0))
		printf("    %s\n", vr_error_msg());
	CHECK(!l.running);
	CHECK_INT(l.cpu_count, 2);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

TEST(eflow_preflight_rules)
{
	struct vr_backend *b;
	struct vr_host h;
	struct vr_vm_spec spec = { 0 };
	struct vr_vm_live live = { 0 };
	struct vr_change c = { 0 };
	struct vr_diags d = VR_DIAGS_INIT;

	emu_setup(NULL, NULL, NULL);
	b = emu_open(0);
	CHECK_INT(vr_backend_host(b, &h), 0);
	spec.name = "EDGE01-EFLOW";
	spec.at_doc.line = 1;
	spec.at_doc.col = 1;
	spec.has_cpu_count = true;
	spec.cpu_count = 2;
	spec.has_memory = true;
	spec.memory_mb = 4096;
	live.cpu_count = 4;
	live.memory_mb = 4096;
	live.gpu.count = 1; /* name unknown: no record */
	c.field = VR_FIELD_CPU_COUNT;
	CHECK_INT(vr_backend_preflight(b, &h, &spec, &live, &c, 1, &d,
	    "spec.yaml"), 0);
	CHECK_INT(d.n, 1);
	if (d.n == 1) {
		CHECK_CONTAINS(d.v[0].msg, "Set-EflowVM removes a GPU");
		CHECK_CONTAINS(d.v[0].msg, "declare the GPU in the spec");
		CHECK_CONTAINS(d.v[0].msg, "'NVIDIA A2', 'Intel(R) UHD "
		    "Graphics 630'");
		CHECK_STR(d.v[0].file, "spec.yaml");
		CHECK_INT(d.v[0].line, 1);
	}
	vr_diags_free(&d);

	/* memory within 2048 MB of free + current: refused with the reason */
	live.memory_limit_mb = 6000 + 4096;
	c.field = VR_FIELD_MEMORY;
	c.to.i = 9000;
	spec.gpu_want = VR_GPU_NONE;
	CHECK_INT(vr_backend_preflight(b, &h, &spec, &live, &c, 1, &d,
	    "spec.yaml"), 0);
	CHECK_INT(d.n, 1);
	if (d.n == 1)
		CHECK_CONTAINS(d.v[0].msg, "leaves less than the 2048 MB");
	vr_diags_free(&d);
	c.to.i = 8048;
	CHECK_INT(vr_backend_preflight(b, &h, &spec, &live, &c, 1, &d,
	    "spec.yaml"), 0);
	CHECK_INT(d.n, 0);
	spec.gpu_want = VR_GPU_UNMANAGED;
	c.field = VR_FIELD_CPU_COUNT;

	/* nothing to change: nothing to refuse */
	CHECK_INT(vr_backend_preflight(b, &h, &spec, &live, &c, 0, &d,
	    "spec.yaml"), 0);
	CHECK_INT(d.n, 0);

	/* the GPU declared, or removed: nothing to refuse */
	spec.gpu_want = VR_GPU_WANT;
	spec.gpu.name = "NVIDIA A2";
	spec.gpu.type = VR_GPU_DDA;
	spec.gpu.count = 1;
	CHECK_INT(vr_backend_preflight(b, &h, &spec, &live, &c, 1, &d,
	    "spec.yaml"), 0);
	CHECK_INT(d.n, 0);
	spec.gpu_want = VR_GPU_NONE;
	CHECK_INT(vr_backend_preflight(b, &h, &spec, &live, &c, 1, &d,
	    "spec.yaml"), 0);
	CHECK_INT(d.n, 0);
	/* a known live GPU is kept: nothing to refuse */
	spec.gpu_want = VR_GPU_UNMANAGED;
	live.gpu.name = "NVIDIA A2";
	live.gpu.type = VR_GPU_DDA;
	CHECK_INT(vr_backend_preflight(b, &h, &spec, &live, &c, 1, &d,
	    "spec.yaml"), 0);
	CHECK_INT(d.n, 0);
	vr_host_clear(&h);
	vr_backend_free(b);
}

/* Apply from the live state and the changes: the fields not changing keep
 * their live values in the one Set-EflowVM. */
/* Its fields are what its classify and apply do: a change of a field
 * Set-EflowVM has no parameter for is refused, and nothing is sent (it
 * used to be classified restart, sent as a Set-EflowVM of the live values
 * and marked applied). */
TEST(eflow_fields_are_what_it_classifies_and_applies)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	json_t *st;
	char *log;

	emu_setup(NULL, NULL, NULL);
	drvcheck_fields(&vr_eflow_driver, emu_path(), &o, "EDGE01-EFLOW");
	log = emu_log();
	CHECK(strstr(log, "Set-EflowVM") == NULL);
	free(log);
	st = emu_state();
	CHECK_INT(json_integer_value(json_object_get(json_object_get(st,
	    "vm"), "cpuCount")), 4);
	json_decref(st);
}

TEST(eflow_apply_sends_every_parameter)
{
	struct vr_backend *b;
	struct vr_vm_spec spec = { 0 };
	struct vr_vm_live live = { 0 };
	struct vr_change c = { 0 };
	struct vr_apply_request req = { 0 };
	char *log;
	json_t *st;

	emu_setup(NULL, NULL, NULL);
	b = emu_open(0);
	live.name = "EDGE01-EFLOW";
	live.running = true;
	live.cpu_count = 4;
	live.memory_mb = 8192;
	live.gpu.count = 1;
	live.gpu.name = "NVIDIA A2";
	live.gpu.type = VR_GPU_DDA;
	c.field = VR_FIELD_CPU_COUNT;
	c.from.i = 4;
	c.to.i = 2;
	req.spec = &spec;
	req.live = &live;
	req.changes = &c;
	req.nchanges = 1;
	req.may_restart = true;
	CHECK_INT(vr_backend_apply(b, &req), 0);
	CHECK(c.applied);
	log = emu_log();
	CHECK_INT(count_lines(log), 1);
	CHECK_CONTAINS(log, "\"call\":\"Set-EflowVM -cpuCount 2 -memoryInMB "
	    "8192 -gpuName 'NVIDIA A2' -gpuPassthroughType "
	    "'DirectDeviceAssignment' -gpuCount 1 -headless\"");
	CHECK_CONTAINS(log, "\"start\":false");
	free(log);
	st = emu_state();
	CHECK_INT(json_integer_value(json_object_get(json_object_get(st,
	    "vm"), "cpuCount")), 2);
	CHECK(json_is_object(json_object_get(json_object_get(st, "vm"),
	    "gpu")));
	json_decref(st);

	/* the name unknown: refused before anything is sent */
	emu_setup(NULL, NULL, NULL);
	live.gpu.name = NULL;
	c.applied = false;
	CHECK_INT(vr_backend_apply(b, &req), VR_EINVALID);
	CHECK(!c.applied);
	log = emu_log();
	CHECK_STR(log, "");
	free(log);

	/* VM off: refused without may_restart, started first with it */
	emu_setup("{\"name\": \"EDGE01-EFLOW\", \"power\": \"Off\", "
	    "\"cpuCount\": 4, \"memoryInMB\": 8192, \"gpu\": null}", NULL,
	    NULL);
	live.gpu.count = 0;
	live.running = false;
	req.may_restart = false;
	CHECK_INT(vr_backend_apply(b, &req), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "is off");
	CHECK(!c.applied);
	req.may_restart = true;
	CHECK_INT(vr_backend_apply(b, &req), 0);
	CHECK(c.applied);
	log = emu_log();
	CHECK_INT(count_lines(log), 1); /* started and set in one call */
	CHECK_CONTAINS(log, "\"start\":true");
	CHECK_CONTAINS(log, "\"call\":\"Set-EflowVM -cpuCount 2 -memoryInMB "
	    "8192 -headless\"");
	free(log);

	/* Start-EflowVm fails in the module's style (stdout, no error) */
	emu_setup("{\"name\": \"EDGE01-EFLOW\", \"power\": \"Off\", "
	    "\"cpuCount\": 4, \"memoryInMB\": 8192, \"gpu\": null}", NULL,
	    "{\"startFails\": \"Not enough memory in the system to start the "
	    "virtual machine EDGE01-EFLOW with ram size 8192 megabytes\"}");
	c.applied = false;
	CHECK_INT(vr_backend_apply(b, &req), VR_EBACKEND);
	CHECK(!c.applied);
	CHECK_CONTAINS(vr_error_msg(), "Start-EflowVm failed: [");
	CHECK_CONTAINS(vr_error_msg(), "Exception caught!!! - Not enough "
	    "memory in the system");
	st = emu_state();
	CHECK_INT(json_integer_value(json_object_get(json_object_get(st,
	    "vm"), "cpuCount")), 4); /* no Set-EflowVM after it */
	json_decref(st);

	/* Set-EflowVM stops the VM and cannot start it again */
	emu_setup(NULL, NULL, "{\"setLeavesOff\": \"\"}");
	live.running = true;
	c.applied = false;
	CHECK_INT(vr_backend_apply(b, &req), VR_EBACKEND);
	CHECK(!c.applied);
	CHECK_CONTAINS(vr_error_msg(), "after Set-EflowVM the VM is Off");
	emu_setup(NULL, NULL, "{\"setLeavesOff\": \"Failed to start the "
	    "virtual machine\"}");
	CHECK_INT(vr_backend_apply(b, &req), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "Set-EflowVM failed: [");
	CHECK_CONTAINS(vr_error_msg(), "Failed to start the virtual machine");

	/* ParaVirtualization is sent with -gpuCount 1 (see set_call) */
	emu_setup(NULL, NULL, NULL);
	c.field = VR_FIELD_GPU;
	c.action = VR_ACTION_CREATE;
	c.to.gpu.name = "Intel(R) UHD Graphics 630";
	c.to.gpu.type = VR_GPU_PV;
	c.to.gpu.count = 1;
	CHECK_INT(vr_backend_apply(b, &req), 0);
	log = emu_log();
	CHECK_CONTAINS(log, "-gpuName 'Intel(R) UHD Graphics 630' "
	    "-gpuPassthroughType 'ParaVirtualization' -gpuCount 1 -headless");
	free(log);
	memset(&c.to.gpu, 0, sizeof(c.to.gpu));

	/* a refusal from Set-EflowVM: not applied, its words quoted */
	emu_setup(NULL, NULL, NULL);
	c.applied = false;
	c.field = VR_FIELD_MEMORY;
	c.to.i = 100000;
	CHECK_INT(vr_backend_apply(b, &req), VR_EBACKEND);
	CHECK(!c.applied);
	CHECK_CONTAINS(vr_error_msg(), "memoryInMB 100000 is more than");
	vr_backend_free(b);
}
