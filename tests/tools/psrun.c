/*
 * psrun.c - drive vmrecon's PowerShell runner (backends/powershell.h) and
 * the eflow backend for the tests that use a real pwsh and for `make
 * bench`: many observes through one worker with its memory sampled, a
 * worker driven one step at a time, an apply of one GPU name.
 *
 *   psrun [-t MS] [-r MAX] TARGET observe N [SAMPLES]
 *       N observes through one runner (module AzureEFLOW, the eflow
 *       backend's observe script); prints one JSON object: "ok", "lost"
 *       (calls that failed or answered something else than the first),
 *       "starts", "requests", "rssKB" (the worker's processes' summed RSS
 *       after each of SAMPLES equal slices, default 20), "workerCpu" (their
 *       user+sys seconds after each slice), "selfCpu", "wall" (seconds),
 *       "firstError".
 *   psrun [-t MS] TARGET steps
 *       reads one command per stdin line and answers each with one JSON
 *       line: "observe" ({"rc", "error", "cpuCount", "starts",
 *       "requests", "pid"}), "pid" ({"pid"}: the worker's launcher, -1
 *       when none), "quit".
 *   psrun [-t MS] TARGET gpu NAME TYPE
 *       apply the GPU NAME (control characters allowed: the YAML loader
 *       refuses them, this does not) of TYPE (DirectDeviceAssignment,
 *       ParaVirtualization) through the eflow backend; prints {"rc",
 *       "error"}.
 *
 * TARGET is the eflow backend's ("[per-call:]LAUNCHER").  -t is the
 * deadline per call, -r the requests a worker serves before it is
 * replaced (default: the runner's).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "../../backends/backend.h"
#include "../../backends/eflow.h"
#include "../../backends/powershell.h"
#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"

/* One process's parent, RSS (kB) and CPU seconds from /proc. */
static int
proc_stat(pid_t pid, pid_t *ppid, long *rss_kb, double *cpu)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	long rss = 0, pp = 0;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok || !(p = strrchr(buf, ')')))
		return -1;
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime ... rss is field 24 */
	if (sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu "
	    "%lu %*d %*d %*d %*d %*d %*d %*u %*u %ld", &pp, &ut, &st, &rss) !=
	    4)
		return -1;
	*ppid = (pid_t)pp;
	*rss_kb = rss * (sysconf(_SC_PAGESIZE) / 1024);
	*cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

/* The summed RSS and CPU of `root` and every descendant. */
static void
tree_usage(pid_t root, long *rss_kb, double *cpu)
{
	pid_t pids[4096], parents[4096], in[256];
	size_t n = 0, nin = 0, i, j;
	struct dirent *d;
	DIR *dir;

	*rss_kb = 0;
	*cpu = 0;
	if (root <= 0 || !(dir = opendir("/proc")))
		return;
	while ((d = readdir(dir)) && n < 4096) {
		long r;
		double c;
		pid_t pid = (pid_t)atoi(d->d_name), pp;

		if (pid > 0 && proc_stat(pid, &pp, &r, &c) == 0) {
			pids[n] = pid;
			parents[n++] = pp;
		}
	}
	closedir(dir);
	in[nin++] = root;
	for (i = 0; i < nin; i++)
		for (j = 0; j < n && nin < 256; j++)
			if (parents[j] == in[i])
				in[nin++] = pids[j];
	for (i = 0; i < nin; i++) {
		long r;
		double c;
		pid_t pp;

		if (proc_stat(in[i], &pp, &r, &c) == 0) {
			*rss_kb += r;
			*cpu += c;
		}
	}
}

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* One observe: 0 and the result (caller frees), or the error. */
static int
observe(struct vr_ps *ps, char **out)
{
	size_t len;

	return vr_ps_run(ps, "observe", vr_eflow_observe_body(), out, &len);
}

static int
many(struct vr_ps *ps, long n, long samples)
{
	json_t *o = json_object(), *rss = json_array(), *cpu = json_array();
	char *first = NULL, *out, *err1 = NULL;
	long i, ok = 0, lost = 0, slice = n / samples ? n / samples : 1;
	int64_t t0 = vr_clock_ms();
	double c0 = self_cpu();

	for (i = 0; i < n; i++) {
		out = NULL;
		if (observe(ps, &out) < 0) {
			lost++;
			if (!err1)
				err1 = vr_strdup(vr_error_msg());
		} else if (!first) {
			first = out;
			out = NULL;
			ok++;
		} else if (strcmp(first, out) != 0) {
			lost++;
		} else {
			ok++;
		}
		free(out);
		if ((i + 1) % slice == 0) {
			long r;
			double c;

			tree_usage(vr_ps_worker_pid(ps), &r, &c);
			json_array_append_new(rss, json_integer(r));
			json_array_append_new(cpu, json_real(c));
		}
	}
	json_object_set_new(o, "ok", json_integer(ok));
	json_object_set_new(o, "lost", json_integer(lost));
	json_object_set_new(o, "starts", json_integer((json_int_t)
	    vr_ps_starts(ps)));
	json_object_set_new(o, "requests", json_integer((json_int_t)
	    vr_ps_requests(ps)));
	json_object_set_new(o, "rssKB", rss);
	json_object_set_new(o, "workerCpu", cpu);
	json_object_set_new(o, "selfCpu", json_real(self_cpu() - c0));
	json_object_set_new(o, "wall", json_real((double)(vr_clock_ms() - t0)
	    / 1000.0));
	json_object_set_new(o, "firstError", err1 ? json_string(err1) :
	    json_null());
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	free(first);
	free(err1);
	return lost ? 1 : 0;
}

static int
steps(struct vr_ps *ps)
{
	char line[256];

	while (fgets(line, sizeof(line), stdin)) {
		json_t *o = json_object();

		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "quit") == 0) {
			json_decref(o);
			break;
		} else if (strcmp(line, "observe") == 0) {
			char *out = NULL;
			int rc = observe(ps, &out);
			json_t *j = rc == 0 ? json_loads(out, 0, NULL) : NULL;

			json_object_set_new(o, "rc", json_integer(rc));
			json_object_set_new(o, "error", rc < 0 ?
			    json_string(vr_error_msg()) : json_null());
			json_object_set(o, "cpuCount", j ?
			    json_object_get(j, "cpuCount") : json_null());
			json_object_set_new(o, "starts", json_integer(
			    (json_int_t)vr_ps_starts(ps)));
			json_object_set_new(o, "requests", json_integer(
			    (json_int_t)vr_ps_requests(ps)));
			json_decref(j);
			free(out);
		}
		json_object_set_new(o, "pid",
		    json_integer(vr_ps_worker_pid(ps)));
		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		fflush(stdout);
		json_decref(o);
	}
	return 0;
}

static int
gpu(const char *target, int timeout_ms, const char *name, const char *type)
{
	struct vr_backend_options bo = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;
	struct vr_vm_live live;
	struct vr_vm_spec spec = { 0 };
	struct vr_change c = { 0 };
	struct vr_apply_request req = { 0 };
	char *kt = vr_asprintf("eflow:%s", target), **names = NULL;
	size_t n = 0;
	json_t *o = json_object();
	int rc;

	memset(&live, 0, sizeof(live));
	bo.timeout_ms = timeout_ms;
	rc = vr_backend_open(&b, kt, &bo);
	if (rc == 0)
		rc = vr_backend_list(b, &names, &n);
	if (rc == 0)
		rc = vr_backend_observe(b, names[0], NULL, &live);
	if (rc == 0) {
		c.field = VR_FIELD_GPU;
		c.action = VR_ACTION_CREATE;
		c.to.gpu.name = vr_strdup(name);
		c.to.gpu.type = strcmp(type, "DirectDeviceAssignment") == 0 ?
		    VR_GPU_DDA : VR_GPU_PV;
		c.to.gpu.count = 1;
		req.spec = &spec;
		req.live = &live;
		req.changes = &c;
		req.nchanges = 1;
		req.may_restart = true;
		rc = vr_backend_apply(b, &req);
	}
	json_object_set_new(o, "rc", json_integer(rc));
	json_object_set_new(o, "error", rc < 0 ? json_string(vr_error_msg()) :
	    json_null());
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	vr_change_clear(&c);
	vr_vm_live_clear(&live);
	vr_strv_free(names, n);
	vr_backend_free(b);
	free(kt);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct vr_ps_options o = { .module = "AzureEFLOW" };
	struct vr_ps *ps;
	int opt, rc;

	while ((opt = getopt(argc, argv, "t:r:")) != -1) {
		if (opt == 't')
			o.timeout_ms = atoi(optarg);
		else if (opt == 'r')
			o.max_requests = strtoul(optarg, NULL, 10);
		else
			goto usage;
	}
	if (argc - optind < 2)
		goto usage;
	o.target = argv[optind];
	if (strcmp(argv[optind + 1], "gpu") == 0 && argc - optind == 4)
		return gpu(o.target, o.timeout_ms, argv[optind + 2],
		    argv[optind + 3]);
	if (vr_ps_open(&ps, &o) < 0) {
		fprintf(stderr, "psrun: %s\n", vr_error_msg());
		return 2;
	}
	if (strcmp(argv[optind + 1], "observe") == 0 && argc - optind >= 3)
		rc = many(ps, atol(argv[optind + 2]), argc - optind >= 4 ?
		    atol(argv[optind + 3]) : 20);
	else if (strcmp(argv[optind + 1], "steps") == 0)
		rc = steps(ps);
	else
		rc = 2;
	vr_ps_free(ps);
	if (rc != 2)
		return rc;
usage:
	fprintf(stderr, "usage: psrun [-t MS] [-r MAX] TARGET observe N "
	    "[SAMPLES] | steps | gpu NAME TYPE\n");
	return 2;
}
