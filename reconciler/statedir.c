/*
 * statedir.c - the state dir: lock, status.json, last-applied.json.
 *
 * Both JSON files are small maps keyed by VM name, rewritten whole and
 * atomically (schema/fileio.c), so a kill at any point leaves either the old
 * or the new file.  The lock is flock(2) on "lock": the kernel drops it when
 * the holder dies, so a killed run never leaves it stuck.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../schema/error.h"
#include "../schema/fileio.h"
#include "statedir.h"

#define STATE_MAX_BYTES (4 * 1024 * 1024)
#define HISTORY_MAX 5

struct vr_statedir {
	char *path;
	int lock_fd;
	json_t *applied; /* last-applied.json, read once per open: only this
	                  * handle writes it while reconciling (the lock) */
};

char *
vr_statedir_default(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return vr_strdup("/var/lib/vmrecon");
	if (xdg && xdg[0] == '/')
		return vr_asprintf("%s/vmrecon", xdg);
	return vr_asprintf("%s/.local/state/vmrecon", home ? home : ".");
}

static char *
path_in(const struct vr_statedir *sd, const char *name)
{
	return vr_asprintf("%s/%s", sd->path, name);
}

static int
take_lock(struct vr_statedir *sd)
{
	char *lp = path_in(sd, "lock"), pid[32] = "";
	int fd, n;

	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		vr_error_set(VR_ERROR, "cannot open '%s': %s", lp,
		    strerror(errno));
		free(lp);
		return VR_ERROR;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			vr_error_set(VR_ECONFLICT, "another vmrecon%s%s%s is "
			    "reconciling with state dir '%s'; wait for it or "
			    "stop it", pid[0] ? " (pid " : "", pid,
			    pid[0] ? ")" : "", sd->path);
		else
			vr_error_set(VR_ERROR, "cannot lock '%s': %s", lp,
			    strerror(e));
		free(lp);
		return e == EWOULDBLOCK ? VR_ECONFLICT : VR_ERROR;
	}
	free(lp);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) {
		/* the pid is only a hint for the message above */
	}
	sd->lock_fd = fd;
	return 0;
}

int
vr_statedir_open(struct vr_statedir **out, const char *path, bool lock)
{
	struct vr_statedir *sd;
	int rc;

	*out = NULL;
	if ((rc = vr_mkdir_p(path, 0700)) < 0)
		return vr_error_wrap(rc, "state dir");
	sd = vr_calloc(1, sizeof(*sd));
	sd->path = vr_strdup(path);
	sd->lock_fd = -1;
	if (lock && (rc = take_lock(sd)) < 0) {
		vr_statedir_free(sd);
		return rc;
	}
	*out = sd;
	return 0;
}

void
vr_statedir_free(struct vr_statedir *sd)
{
	if (!sd)
		return;
	if (sd->lock_fd >= 0)
		close(sd->lock_fd); /* releases the flock */
	json_decref(sd->applied);
	free(sd->path);
	free(sd);
}

const char *
vr_statedir_path(const struct vr_statedir *sd)
{
	return sd->path;
}

/* Load `name` as a JSON object with a "vms" object; a missing file gives an
 * empty document.  Corrupt files are VR_EINVALID. */
static int
doc_load(json_t **out, struct vr_statedir *sd, const char *name)
{
	char *p = path_in(sd, name), *buf = NULL;
	json_error_t jerr;
	json_t *doc;
	size_t len;
	int rc;

	*out = NULL;
	rc = vr_file_read(&buf, &len, p, STATE_MAX_BYTES);
	if (rc == VR_ENOTFOUND) {
		vr_error_clear();
		doc = json_pack("{s:i, s:{}}", "formatVersion", 1, "vms");
		goto done;
	}
	if (rc < 0)
		goto out;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		rc = vr_error_set(VR_EINVALID, "%s:%d:%d: %s", p, jerr.line,
		    jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(doc) || !json_is_object(json_object_get(doc,
	    "vms")) || json_integer_value(json_object_get(doc,
	    "formatVersion")) != 1) {
		json_decref(doc);
		rc = vr_error_set(VR_EINVALID, "%s: not a vmrecon state file "
		    "of formatVersion 1", p);
		goto out;
	}
done:
	*out = doc;
	rc = 0;
out:
	free(buf);
	free(p);
	return rc;
}

static int
doc_save(struct vr_statedir *sd, const char *name, json_t *doc)
{
	char *p = path_in(sd, name), *text;
	int rc;

	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text) {
		free(p);
		return vr_error_set(VR_ENOMEM, "cannot serialize %s", name);
	}
	rc = vr_file_write_atomic(p, text, strlen(text), 0600);
	free(text);
	free(p);
	return rc;
}

static int
int_field(json_t *o, const char *key, int64_t lo, int64_t hi, bool *has,
    int64_t *val)
{
	json_t *v = json_object_get(o, key);

	*has = false;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return vr_error_set(VR_EINVALID, "last-applied.json: '%s' is "
		    "not an integer in %lld..%lld", key, (long long)lo,
		    (long long)hi);
	*has = true;
	*val = json_integer_value(v);
	return 0;
}

int
vr_statedir_record_get(struct vr_statedir *sd, const char *name,
    struct vr_vm_spec *out)
{
	json_t *doc, *vm, *gpu;
	bool has;
	int64_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!sd->applied &&
	    (rc = doc_load(&sd->applied, sd, "last-applied.json")) < 0)
		return rc;
	doc = sd->applied;
	vm = json_object_get(json_object_get(doc, "vms"), name);
	if (!vm)
		return VR_ENOTFOUND;
	rc = VR_EINVALID;
	if (!json_is_object(vm)) {
		vr_error_set(rc, "last-applied.json: '%s' is not an object",
		    name);
		goto out;
	}
	out->name = vr_strdup(name);
	if (int_field(vm, "cpuCount", 1, 1 << 20, &has, &v) < 0)
		goto out;
	out->has_cpu_count = has;
	out->cpu_count = (int)v;
	if (int_field(vm, "memoryInMB", 1, INT64_C(1) << 40, &has, &v) < 0)
		goto out;
	out->has_memory = has;
	out->memory_mb = v;
	gpu = json_object_get(vm, "gpu");
	if (json_is_true(json_object_get(vm, "gpuInFlight"))) {
		/* a GPU change was sent and not seen through: unknown */
		out->gpu_want = VR_GPU_UNMANAGED;
	} else if (json_is_null(gpu)) {
		out->gpu_want = VR_GPU_NONE;
	} else if (json_is_object(gpu)) {
		json_t *n = json_object_get(gpu, "name");
		json_t *t = json_object_get(gpu, "passthroughType");

		if (!json_is_string(n) || !json_is_string(t) ||
		    vr_gpu_type_parse(&out->gpu.type, json_string_value(t)) ||
		    int_field(gpu, "count", 1, 64, &has, &v) < 0 || !has) {
			vr_error_set(rc, "last-applied.json: '%s': bad gpu",
			    name);
			goto out;
		}
		out->gpu_want = VR_GPU_WANT;
		out->gpu.name = vr_strdup(json_string_value(n));
		out->gpu.count = (int)v;
	} else if (gpu) {
		vr_error_set(rc, "last-applied.json: '%s': bad gpu", name);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		vr_vm_spec_clear(out);
	return rc;
}

int
vr_statedir_record_put(struct vr_statedir *sd, const struct vr_vm_spec *r)
{
	json_t *doc, *vm;
	int rc;

	if (!sd->applied &&
	    (rc = doc_load(&sd->applied, sd, "last-applied.json")) < 0)
		return rc;
	doc = sd->applied;
	vm = json_object();
	if (r->has_cpu_count)
		json_object_set_new(vm, "cpuCount", json_integer(r->cpu_count));
	if (r->has_memory)
		json_object_set_new(vm, "memoryInMB",
		    json_integer(r->memory_mb));
	if (r->gpu_want == VR_GPU_NONE)
		json_object_set_new(vm, "gpu", json_null());
	else if (r->gpu_want == VR_GPU_WANT)
		json_object_set_new(vm, "gpu", json_pack("{s:s, s:s, s:i}",
		    "name", r->gpu.name, "passthroughType",
		    vr_gpu_type_name(r->gpu.type), "count", r->gpu.count));
	json_object_set_new(json_object_get(doc, "vms"), r->name, vm);
	return doc_save(sd, "last-applied.json", doc);
}

int
vr_statedir_record_gpu_in_flight(struct vr_statedir *sd, const char *name)
{
	json_t *doc, *vm;
	int rc;

	if (!sd->applied &&
	    (rc = doc_load(&sd->applied, sd, "last-applied.json")) < 0)
		return rc;
	doc = sd->applied;
	vm = json_object_get(json_object_get(doc, "vms"), name);
	if (!json_is_object(vm)) {
		vm = json_object();
		json_object_set_new(json_object_get(doc, "vms"), name, vm);
	}
	json_object_del(vm, "gpu");
	json_object_set_new(vm, "gpuInFlight", json_true());
	return doc_save(sd, "last-applied.json", doc);
}

const char *
vr_result_name(enum vr_result r)
{
	switch (r) {
	case VR_RESULT_CONVERGED: return "converged";
	case VR_RESULT_PENDING: return "pending";
	case VR_RESULT_FAILED: return "failed";
	case VR_RESULT_DRIFTED: return "drifted";
	}
	return "?";
}

static void
now_iso(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
vr_statedir_status_put(struct vr_statedir *sd, const char *name,
    const char *revision, enum vr_result result, const char *message)
{
	json_t *doc, *vms, *vm, *hist, *entry;
	char now[32];
	int rc;

	rc = doc_load(&doc, sd, "status.json");
	if (rc == VR_EINVALID) {
		/* status is a report, not an input: start it over */
		fprintf(stderr, "vmrecon: warning: %s; starting it over\n",
		    vr_error_msg());
		doc = json_pack("{s:i, s:{}}", "formatVersion", 1, "vms");
	} else if (rc < 0) {
		return rc;
	}
	now_iso(now, sizeof(now));
	vms = json_object_get(doc, "vms");
	vm = json_object_get(vms, name);
	if (!json_is_object(vm)) {
		vm = json_object();
		json_object_set_new(vms, name, vm);
	}
	if (revision) {
		json_object_set_new(vm, "lastAttemptedRevision",
		    json_string(revision));
		if (result == VR_RESULT_CONVERGED ||
		    result == VR_RESULT_PENDING)
			json_object_set_new(vm, "lastAppliedRevision",
			    json_string(revision));
	}
	json_object_set_new(vm, "lastHandledAt", json_string(now));
	json_object_set_new(vm, "result", json_string(vr_result_name(result)));
	json_object_set_new(vm, "message", json_string(message ? message : ""));
	entry = json_pack("{s:s, s:s, s:s}", "time", now, "result",
	    vr_result_name(result), "message", message ? message : "");
	if (revision)
		json_object_set_new(entry, "revision", json_string(revision));
	hist = json_object_get(vm, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(vm, "history", hist);
	}
	json_array_insert_new(hist, 0, entry);
	while (json_array_size(hist) > HISTORY_MAX)
		json_array_remove(hist, HISTORY_MAX);
	rc = doc_save(sd, "status.json", doc);
	json_decref(doc);
	return rc;
}

int
vr_statedir_status_read(struct vr_statedir *sd, char **out)
{
	char *p = path_in(sd, "status.json");
	size_t len;
	int rc;

	rc = vr_file_read(out, &len, p, STATE_MAX_BYTES);
	free(p);
	return rc;
}

int
vr_statedir_status_edit(struct vr_statedir *sd,
    int (*edit)(json_t *doc, void *arg), void *arg)
{
	json_t *doc;
	int rc;

	rc = doc_load(&doc, sd, "status.json");
	if (rc == VR_EINVALID)
		doc = json_pack("{s:i, s:{}}", "formatVersion", 1, "vms");
	else if (rc < 0)
		return rc;
	rc = edit(doc, arg);
	if (rc == 0)
		rc = doc_save(sd, "status.json", doc);
	json_decref(doc);
	return rc;
}
