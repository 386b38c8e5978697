/*
 * test_psworker.c - the persistent PowerShell worker (backends/psworker.h)
 * through vr_ps_run, with the EFLOW emulator (tests/eflow-emu/powershell)
 * as the launcher, run for real: one start for many calls, a worker killed
 * from outside between calls or during one, the bounded lifetime, a
 * launcher that does not keep stdin open (the per-call fallback), a module
 * that does not import, the descriptors a worker gets, and a vmrecon that
 * dies under a worker it started through a shell.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "../../backends/eflow.h"
#include "../../backends/powershell.h"
#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "unit.h"

#define WAIT_MS 30000 /* how long a poll for a state waits at most */

static const char *
emu(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s",
	    unit_top("tests/eflow-emu/powershell"));
	return path;
}

/* A running VM with `cpus` CPUs (host: `host_extra` added to the default
 * host's keys); the emulator's logs in the test's directory. */
static void
state(int cpus, const char *host_extra)
{
	const char *dir = unit_tmpdir();
	char path[512], *text;

	text = vr_asprintf("{\"vm\": {\"name\": \"EDGE01-EFLOW\", \"power\": "
	    "\"Running\", \"cpuCount\": %d, \"memoryInMB\": 4096, \"gpu\": "
	    "null}, \"host\": {\"logicalProcessors\": 8, \"freeMemoryInMB\": "
	    "6000, \"totalMemoryInMB\": 16384, \"model\": \"x\", "
	    "\"buildNumber\": \"19044\", \"ubr\": 1620, \"productName\": "
	    "\"Windows 10 Pro\", \"installationType\": \"Client\", "
	    "\"videoControllers\": []%s}, \"faults\": {}}\n", cpus,
	    host_extra ? host_extra : "");
	setenv("EFLOW_EMU_STATE", unit_write(dir, "emu.json", text), 1);
	free(text);
	snprintf(path, sizeof(path), "%s/emu.log", dir);
	setenv("EFLOW_EMU_LOG", path, 1);
	snprintf(path, sizeof(path), "%s/starts.log", dir);
	setenv("EFLOW_EMU_STARTS", path, 1);
}

/* The fault object of the state file, replaced. */
static void
faults(const char *json)
{
	char *text = NULL, *p;
	size_t len;

	if (vr_file_read(&text, &len, getenv("EFLOW_EMU_STATE"), 1 << 20) < 0)
		return;
	p = strstr(text, "\"faults\": ");
	if (p) {
		char *t;

		*p = '\0';
		t = vr_asprintf("%s\"faults\": %s}\n", text, json);
		unit_write(unit_tmpdir(), "emu.json", t);
		free(t);
	}
	free(text);
}

static struct vr_ps *
open_ps(const char *target, unsigned long max_requests, int timeout_ms)
{
	struct vr_ps_options o = { 0 };
	struct vr_ps *ps = NULL;

	o.target = target;
	o.module = "AzureEFLOW";
	o.max_requests = max_requests;
	o.timeout_ms = timeout_ms;
	if (vr_ps_open(&ps, &o) < 0)
		printf("    open: %s\n", vr_error_msg());
	return ps;
}

/* One observe through ps: the CPU count it saw, or -1 (error printed). */
static int
observe_cpus(struct vr_ps *ps)
{
	json_t *j;
	json_error_t e;
	char *out = NULL;
	size_t len;
	int cpus = -1;

	if (vr_ps_run(ps, "observe", vr_eflow_observe_body(), &out, &len) <
	    0) {
		printf("    %s\n", vr_error_msg());
		return -1;
	}
	j = json_loadb(out, len, 0, &e);
	if (json_is_integer(json_object_get(j, "cpuCount")))
		cpus = (int)json_integer_value(json_object_get(j, "cpuCount"));
	json_decref(j);
	free(out);
	return cpus;
}

static size_t
lines_of(const char *path)
{
	char *text = NULL;
	size_t len, n = 0, i;

	if (vr_file_read(&text, &len, path, 1 << 24) < 0)
		return 0;
	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	free(text);
	return n;
}

/* An executable shell script in the test's directory. */
static const char *
script(const char *name, const char *text)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s", unit_write(unit_tmpdir(), name,
	    text));
	chmod(path, 0755);
	return path;
}

TEST(test_psworker__one_start_for_many_calls)
{
	struct vr_ps *ps;
	int i, bad = 0;

	state(2, NULL);
	ps = open_ps(emu(), 0, 0);
	for (i = 0; i < 20; i++)
		bad += observe_cpus(ps) != 2;
	CHECK_INT(bad, 0);
	/* each call observes afresh: a change between calls is seen */
	state(5, NULL);
	CHECK_INT(observe_cpus(ps), 5);
	CHECK_INT(vr_ps_starts(ps), 1);
	CHECK_INT(vr_ps_requests(ps), 21);
	CHECK_INT(lines_of(getenv("EFLOW_EMU_STARTS")), 1);
	CHECK(!vr_ps_per_call(ps));
	vr_ps_free(ps);
}

TEST(test_psworker__killed_from_outside)
{
	struct vr_ps *ps;
	char *out = NULL, pidfile[512];
	size_t len;
	pid_t pid;

	state(2, NULL);
	snprintf(pidfile, sizeof(pidfile), "%s/hang.pid", unit_tmpdir());
	setenv("EFLOW_EMU_PIDFILE", pidfile, 1);
	ps = open_ps(emu(), 0, 0);
	CHECK_INT(observe_cpus(ps), 2);
	/* between calls: the next call starts a fresh worker, no error */
	pid = vr_ps_worker_pid(ps);
	CHECK(pid > 0);
	kill(pid, SIGKILL);
	CHECK(unit_wait_gone(pid));
	CHECK_INT(observe_cpus(ps), 2);
	CHECK_INT(vr_ps_starts(ps), 2);
	CHECK(vr_ps_worker_pid(ps) != pid);

	/* during a call (it hangs, then is killed): the call fails, its
	 * outcome unknown; the next one starts afresh */
	faults("{\"hang\": true}");
	pid = fork();
	if (pid == 0) {
		int64_t end = vr_clock_ms() + WAIT_MS;
		long p = 0;

		while (vr_clock_ms() < end && !(p = unit_read_long(pidfile)))
			vr_sleep_ms(10);
		if (p)
			kill((pid_t)p, SIGKILL);
		_exit(p ? 0 : 1);
	}
	CHECK_INT(vr_ps_run(ps, "observe", vr_eflow_observe_body(), &out,
	    &len), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "was killed by signal 9 before it "
	    "answered, so whether it ran is unknown");
	CHECK(out == NULL);
	waitpid(pid, NULL, 0);
	CHECK(unit_read_long(pidfile) > 0);
	unsetenv("EFLOW_EMU_PIDFILE");
	faults("{}");
	CHECK_INT(observe_cpus(ps), 2);
	CHECK_INT(vr_ps_starts(ps), 3);
	vr_ps_free(ps);
}

TEST(test_psworker__deadline_kills_the_worker)
{
	struct vr_ps *ps;
	char *out = NULL, want[80];
	size_t len;
	int64_t t0, took;
	int deadline;

	state(2, NULL);
	/* the deadline: four times a worker's start and first call measured
	 * now (at least 400 ms), so the hang is reached however loaded the
	 * machine is */
	ps = open_ps(emu(), 0, 0);
	t0 = vr_clock_ms();
	CHECK_INT(observe_cpus(ps), 2);
	took = vr_clock_ms() - t0;
	vr_ps_free(ps);
	deadline = took * 4 < 400 ? 400 : (int)(took * 4);
	ps = open_ps(emu(), 0, deadline);
	CHECK_INT(observe_cpus(ps), 2);
	faults("{\"hang\": true}");
	CHECK_INT(vr_ps_run(ps, "observe", vr_eflow_observe_body(), &out,
	    &len), VR_ETIMEOUT);
	snprintf(want, sizeof(want), "did not finish within %d ms (killed)",
	    deadline);
	CHECK_CONTAINS(vr_error_msg(), want);
	CHECK_INT(vr_ps_worker_pid(ps), -1);
	faults("{}");
	CHECK_INT(observe_cpus(ps), 2);
	CHECK_INT(vr_ps_starts(ps), 2);
	vr_ps_free(ps);
}

TEST(test_psworker__is_replaced_after_its_requests_or_time)
{
	struct vr_ps *ps;
	int i;

	state(3, NULL);
	ps = open_ps(emu(), 4, 0);
	for (i = 0; i < 10; i++)
		CHECK_INT(observe_cpus(ps), 3);
	/* 4 + 4 + 2 */
	CHECK_INT(vr_ps_starts(ps), 3);
	CHECK_INT(lines_of(getenv("EFLOW_EMU_STARTS")), 3);
	vr_ps_free(ps);
	/* ... or after its time: here 1 ms, so every call needs a new one */
	{
		struct vr_ps_options o = { .target = emu(), .module =
		    "AzureEFLOW", .max_age_ms = 1 };

		CHECK_INT(vr_ps_open(&ps, &o), 0);
		for (i = 0; i < 3; i++) {
			CHECK_INT(observe_cpus(ps), 3);
			vr_sleep_ms(2);
		}
		CHECK_INT(vr_ps_starts(ps), 3);
		vr_ps_free(ps);
	}
}

/* A launcher that gives PowerShell no stdin (as `ssh -n` would): the
 * worker reads EOF before any request, and vmrecon runs every call as a
 * launcher start of its own from then on. */
TEST(test_psworker__falls_back_without_stdin)
{
	struct vr_ps *ps;
	char *wrap;

	state(2, NULL);
	wrap = vr_asprintf("#!/bin/sh\nexec %s \"$@\" </dev/null\n", emu());
	ps = open_ps(script("nostdin", wrap), 0, 0);
	free(wrap);
	CHECK_INT(observe_cpus(ps), 2);
	CHECK(vr_ps_per_call(ps));
	CHECK_INT(observe_cpus(ps), 2);
	/* the worker's start, then one start per call */
	CHECK_INT(vr_ps_starts(ps), 3);
	CHECK_INT(vr_ps_requests(ps), 2);
	vr_ps_free(ps);
	ps = open_ps("per-call:", 0, 0);
	CHECK(vr_ps_per_call(ps));
	CHECK_STR(vr_ps_launcher(ps), VR_PS_DEFAULT_LAUNCHER);
	vr_ps_free(ps);
}

TEST(test_psworker__module_that_does_not_import)
{
	struct vr_ps *ps;
	char *out = NULL;
	size_t len;

	state(2, ", \"moduleMissing\": true");
	ps = open_ps(emu(), 0, 0);
	CHECK_INT(vr_ps_run(ps, "observe", vr_eflow_observe_body(), &out,
	    &len), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "failed: vmrecon: The specified module "
	    "'AzureEFLOW' was not loaded");
	CHECK_INT(vr_ps_worker_pid(ps), -1);
	/* installed since: the next call's worker imports it */
	state(2, NULL);
	CHECK_INT(observe_cpus(ps), 2);
	CHECK_INT(vr_ps_starts(ps), 2);
	vr_ps_free(ps);
	{
		struct vr_ps_options o = { .module = "Azure EFLOW" };

		CHECK_INT(vr_ps_open(&ps, &o), VR_EINVALID);
		CHECK_CONTAINS(vr_error_msg(), "[A-Za-z0-9._-]");
	}
}

/* The worker holds only stdin, stdout and stderr: nothing of vmrecon's,
 * not the pipes of a worker started before it. */
TEST(test_psworker__gets_only_0_1_2)
{
	struct vr_ps *ps, *other;
	char path[64], *list = vr_strdup("");
	struct dirent *d;
	DIR *dir;

	state(2, NULL);
	other = open_ps(emu(), 0, 0);
	CHECK_INT(observe_cpus(other), 2);
	ps = open_ps(emu(), 0, 0);
	CHECK_INT(observe_cpus(ps), 2);
	/* the emulator waits for its next request: what it holds now is
	 * what it was given */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)vr_ps_worker_pid(ps));
	if (CHECK((dir = opendir(path)) != NULL)) {
		while ((d = readdir(dir))) {
			char *t;

			if (d->d_name[0] == '.')
				continue;
			t = vr_asprintf("%s%s ", list, d->d_name);
			free(list);
			list = t;
		}
		closedir(dir);
	}
	CHECK(strlen(list) == 6 && strstr(list, "0 ") && strstr(list, "1 ") &&
	    strstr(list, "2 "));
	if (strlen(list) != 6)
		printf("    descriptors: %s\n", list);
	free(list);
	vr_ps_free(ps);
	vr_ps_free(other);
}

/* vmrecon killed (-9) while its worker, started through a shell that
 * does not exec it (the launcher's own child, out of PR_SET_PDEATHSIG's
 * reach), is idle: the worker reads EOF on stdin and exits. */
TEST(test_psworker__ends_when_vmrecon_dies)
{
	char *wrap, pidfile[512], ready[512];
	const char *launcher;
	int64_t end;
	pid_t mid;
	long worker;

	state(2, NULL);
	snprintf(pidfile, sizeof(pidfile), "%s/worker.pid", unit_tmpdir());
	snprintf(ready, sizeof(ready), "%s/ready", unit_tmpdir());
	/* (an asynchronous command's stdin is /dev/null unless redirected) */
	wrap = vr_asprintf("#!/bin/sh\nexec 3<&0\n%s \"$@\" <&3 3<&- &\n"
	    "echo $! >%s.tmp\nmv %s.tmp %s\nwait\n", emu(), pidfile, pidfile,
	    pidfile);
	launcher = script("noexec", wrap);
	free(wrap);
	mid = fork();
	if (mid == 0) {
		struct vr_ps *ps = open_ps(launcher, 0, 0);

		if (observe_cpus(ps) == 2)
			unit_write(unit_tmpdir(), "ready", "1");
		pause();
		_exit(0);
	}
	end = vr_clock_ms() + WAIT_MS;
	while (vr_clock_ms() < end && access(ready, F_OK) != 0)
		vr_sleep_ms(10);
	worker = unit_read_long(pidfile);
	CHECK(worker > 0);
	CHECK(worker > 0 && !unit_gone((pid_t)worker));
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	CHECK(worker > 0 && unit_wait_gone((pid_t)worker));
}
