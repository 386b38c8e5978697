/*
 * sim.c - the embedded default backend: a host and its VMs kept in one JSON
 * file (README.md, "sim"), so a new user can try every command at once and the
 * planner tests, examples and demo have a real backend to run on.  Like
 * libvirt's test driver it is a full backend: it observes the file, applies
 * to it with EFLOW's rules, and can be told to fail (fault injection).
 *
 * The file, re-read on every call because tests edit it behind vmrecon's
 * back to make drift:
 *
 *   {"host": {"logicalProcessors": N, "memoryInMB": N, "nested": BOOL,
 *             "gpus": [{"name": S, "passthroughTypes": [S...], "count": N}]},
 *    "vms": {"NAME": {"cpuCount": N, "memoryInMB": N, "gpu": null | {"name": S,
 *             "passthroughType": S, "count": N}, "running": BOOL,
 *             "restarts": N, "restartSeconds": N}},
 *    "faults": {"applyError": S, "observeError": S}}
 *
 * Required: host.logicalProcessors, host.memoryInMB, vms, and each VM's
 * cpuCount and memoryInMB.  Optional: nested (false), gpus ([]), a VM's gpu
 * (null), running (true), restarts (0), restartSeconds (0: how long a
 * restart takes; apply sleeps that long, so what the reconciler measures
 * for restart windows is real time, and libfaketime can speed it up),
 * faults.  Unknown keys, duplicate
 * keys and wrong types are errors naming the file and the JSON path.
 *
 * Writers serialize on flock(2) of a side file, "FILE.lock": the first apply
 * of a pass takes it and reads the file afresh, every apply of the pass
 * changes that tree in memory (observe sees it), and flush, at the end of
 * the pass, writes the whole file once, atomically, and lets the lock go.
 * So a pass over N VMs writes N VMs once, not N times (linear, not
 * quadratic), and two vmrecons on one file never lose each other's
 * updates.  A kill -9 before the flush leaves the file as it was: nothing
 * of that pass happened.  The write changes only the fields asked for:
 * everything else, including keys order, stays as it was.
 *
 * Read-only (diff, get): a missing file is the default in memory; nothing
 * is created.  The default file, in the state dir, is read only if it is a
 * regular file of the user's (no symlink followed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../schema/bounds.h"
#include "../schema/field.h"
#include "../schema/util/error.h"
#include "../schema/util/fileio.h"
#include "../schema/util/interrupt.h"
#include "../schema/util/json.h"
#include "backend.h"

#define SIM_MAX_BYTES (16u * 1024 * 1024)
#define SIM_MIN_MEMORY_MB 1024
#define SIM_STR_MAX 255 /* bytes of a name in the file */
#define SIM_FILE_MODE 0600
#define SIM_RESTART_REASON \
	"the sim backend, like EFLOW, applies every change with a restart"
/* what a VM of the file holds: cpuCount, memoryInMB and gpu */
#define SIM_FIELDS (VR_FIELD_BIT(VR_FIELD_CPU_COUNT) | \
	VR_FIELD_BIT(VR_FIELD_MEMORY) | VR_FIELD_BIT(VR_FIELD_GPU))

/* What a missing file is created with: EFLOW's defaults for two VMs. */
static const char sim_default_json[] =
    "{\"host\": {\"logicalProcessors\": 16, \"memoryInMB\": 65536,"
    " \"nested\": false, \"gpus\": ["
    "{\"name\": \"NVIDIA A2\","
    " \"passthroughTypes\": [\"DirectDeviceAssignment\"], \"count\": 1},"
    " {\"name\": \"Intel(R) Iris(R) Xe Graphics\","
    " \"passthroughTypes\": [\"ParaVirtualization\"], \"count\": 1}]},"
    " \"vms\": {"
    "\"edge-01\": {\"cpuCount\": 1, \"memoryInMB\": 1024, \"gpu\": null,"
    " \"running\": true},"
    " \"edge-02\": {\"cpuCount\": 1, \"memoryInMB\": 1024, \"gpu\": null,"
    " \"running\": true}}}";

struct sim_conn;

struct sim_gpu {
	const char *name; /* borrowed from the JSON tree */
	unsigned types;
	int count;
};

struct sim_vm {
	const char *name; /* borrowed from the JSON tree */
	json_t *obj;
	int cpu_count;
	int64_t memory_mb;
	bool running;
	struct sim_gpu gpu; /* count 0: no GPU; types holds one type */
	int64_t restarts;
	int64_t restart_s; /* how long a restart takes */
};

/* The file, parsed and checked; every pointer is into `root`. */
struct sim_file {
	json_t *root;
	int cpus;
	int64_t memory_mb;
	bool nested;
	struct sim_gpu *gpus;
	size_t ngpus;
	struct sim_vm *vms; /* sorted by name */
	size_t nvms;
	const char *apply_error, *observe_error;
};

/*
 * The file is read afresh on every call, and when its bytes are exactly
 * those of the last read the last parse is reused (parsing a 10,000-VM file
 * takes tens of milliseconds).  Reading is skipped too when the file's
 * identity (device, inode, size, mtime, ctime) is that of the last read and
 * that read was not racy: its mtime was older than the read by more than
 * a timestamp tick, so any later write would have moved the mtime (git's
 * "racily clean" rule).  Without that, observing N VMs read the whole file
 * N times.  An edit behind our back is always seen.
 */
struct sim_conn {
	char *path;      /* the JSON file */
	char *last_text; /* the bytes `last` was parsed from, or NULL */
	size_t last_len;
	struct stat last_st; /* the file as it was when last_text was read */
	bool last_st_ok;     /* last_st is set and was not racy */
	struct sim_file last;
	bool read_only;      /* create and write nothing */
	bool own;            /* in the state dir: a regular file of ours */
	int lock_fd;         /* FILE.lock, flock'ed; -1 when not held */
	bool dirty;          /* `last` is the locked tree applies change */
	bool changed;        /* ... and an apply changed it */
};

static void
sim_file_clear(struct sim_file *f)
{
	json_decref(f->root);
	free(f->gpus);
	free(f->vms);
	memset(f, 0, sizeof(*f));
}

/* A non-empty string of at most SIM_STR_MAX bytes, without control
 * characters (it would break a one-line message). */
static int
get_str(const char **out, const struct vr_json_at *at, const json_t *obj,
    const char *key, unsigned flags)
{
	return vr_json_str(out, at, obj, key, 1, SIM_STR_MAX, VR_JSON_PRINT,
	    flags);
}

static int
get_type(enum vr_gpu_type *out, const struct vr_json_at *at,
    const json_t *obj, const char *key)
{
	const char *s;
	int rc = vr_json_str(&s, at, obj, key, 0, SIZE_MAX, VR_JSON_ANY,
	    VR_JSON_REQUIRED);

	if (rc < 0)
		return rc;
	if (vr_gpu_type_parse(out, s) < 0)
		return vr_json_bad(at, key, "expected DirectDeviceAssignment "
		    "or ParaVirtualization");
	return 0;
}

static int
parse_host_gpu(struct sim_gpu *g, const json_t *obj, const char *jpath,
    const char *file)
{
	static const char *const keys[] = { "name", "passthroughTypes",
	    "count", NULL };
	struct vr_json_at at = { file, jpath, VR_EINVALID }, at_t = at;
	json_t *types = NULL;
	int64_t count = 1;
	char *p = NULL;
	size_t i;
	int rc;

	if ((rc = vr_json_object(&types, &at, obj, NULL, 0)) < 0 ||
	    (rc = vr_json_keys(&at, obj, keys)) < 0 ||
	    (rc = get_str(&g->name, &at, obj, "name", 0)) < 0 ||
	    (rc = vr_json_int(&count, &at, obj, "count", 1,
	    VR_HOST_GPUS_MAX, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_array(&types, &at, obj, "passthroughTypes", 1,
	    VR_GPU_TYPES_MAX, 0)) < 0)
		return rc;
	g->count = (int)count;
	p = vr_json_path(jpath, "passthroughTypes");
	for (i = 0; i < json_array_size(types); i++) {
		enum vr_gpu_type t;
		char *q = vr_asprintf("%s[%zu]", p, i);

		at_t.path = q;
		rc = get_type(&t, &at_t, json_array_get(types, i), NULL);
		free(q);
		if (rc < 0)
			break;
		g->types |= (unsigned)t;
	}
	free(p);
	return rc < 0 ? rc : 0;
}

static int
parse_host(struct sim_file *f, const json_t *root, const char *file)
{
	static const char *const keys[] = { "logicalProcessors", "memoryInMB",
	    "nested", "gpus", NULL };
	struct vr_json_at top = { file, "", VR_EINVALID };
	struct vr_json_at at = { file, "host", VR_EINVALID };
	int64_t cpus = 0, mem = 0;
	json_t *host = NULL, *gpus = NULL;
	size_t i;
	int rc;

	if ((rc = vr_json_object(&host, &top, root, "host", 0)) < 0 ||
	    (rc = vr_json_keys(&at, host, keys)) < 0 ||
	    (rc = vr_json_int(&cpus, &at, host, "logicalProcessors", 1,
	    VR_HOST_CPU_MAX, 0)) < 0 ||
	    (rc = vr_json_int(&mem, &at, host, "memoryInMB", 1,
	    VR_HOST_MEMORY_MB_MAX, 0)) < 0 ||
	    (rc = vr_json_bool(&f->nested, &at, host, "nested",
	    VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_array(&gpus, &at, host, "gpus", 0,
	    VR_HOST_GPUS_MAX, VR_JSON_OPTIONAL)) < 0)
		return rc;
	f->cpus = (int)cpus;
	f->memory_mb = mem;
	if (!gpus)
		return 0;
	f->ngpus = json_array_size(gpus);
	f->gpus = vr_calloc(f->ngpus, sizeof(*f->gpus));
	for (i = 0; i < f->ngpus; i++) {
		char *p = vr_asprintf("host.gpus[%zu]", i);

		rc = parse_host_gpu(&f->gpus[i], json_array_get(gpus, i), p,
		    file);
		free(p);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
parse_vm_gpu(struct sim_gpu *g, const json_t *vm, const char *jpath,
    const char *file)
{
	static const char *const keys[] = { "name", "passthroughType", "count",
	    NULL };
	struct vr_json_at at_vm = { file, jpath, VR_EINVALID }, at = at_vm;
	enum vr_gpu_type t;
	int64_t count = 1;
	json_t *obj = NULL;
	char *p = vr_json_path(jpath, "gpu");
	int rc;

	at.path = p;
	if ((rc = vr_json_object(&obj, &at_vm, vm, "gpu", VR_JSON_OPTIONAL |
	    VR_JSON_NULL_OK)) <= 0)
		goto out;
	if ((rc = vr_json_keys(&at, obj, keys)) < 0 ||
	    (rc = get_str(&g->name, &at, obj, "name", 0)) < 0 ||
	    (rc = vr_json_int(&count, &at, obj, "count", 1,
	    vr_fields[VR_FIELD_GPU].max, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = get_type(&t, &at, obj, "passthroughType")) < 0)
		goto out;
	g->types = (unsigned)t;
	g->count = (int)count;
out:
	free(p);
	return rc < 0 ? rc : 0;
}

/* Whether `s` has a control character (it would break a one-line
 * message). */
static bool
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int
parse_vm(struct sim_vm *vm, const char *name, json_t *obj, const char *file)
{
	static const char *const keys[] = { "cpuCount", "memoryInMB", "gpu",
	    "running", "restarts", "restartSeconds", NULL };
	struct vr_json_at at_vms = { file, "vms", VR_EINVALID }, at = at_vms;
	int64_t cpu = 0, mem = 0;
	char *jpath = vr_json_path("vms", name);
	int rc;

	vm->name = name;
	vm->obj = obj;
	vm->running = true;
	at.path = jpath;
	if (name[0] == '\0' || strlen(name) > SIM_STR_MAX || has_control(name)) {
		rc = vr_json_bad(&at_vms, NULL, "a VM name must have 1 to %d "
		    "characters, none of them a control character",
		    SIM_STR_MAX);
		goto out;
	}
	if ((rc = vr_json_object(&obj, &at, obj, NULL, 0)) < 0 ||
	    (rc = vr_json_keys(&at, obj, keys)) < 0 ||
	    (rc = vr_json_int(&cpu, &at, obj, "cpuCount",
	    vr_fields[VR_FIELD_CPU_COUNT].min,
	    vr_fields[VR_FIELD_CPU_COUNT].max, 0)) < 0 ||
	    (rc = vr_json_int(&mem, &at, obj, "memoryInMB", 1,
	    vr_fields[VR_FIELD_MEMORY].max, 0)) < 0 ||
	    (rc = vr_json_bool(&vm->running, &at, obj, "running",
	    VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_int(&vm->restarts, &at, obj, "restarts", 0,
	    INT64_MAX, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_int(&vm->restart_s, &at, obj, "restartSeconds", 0,
	    86400, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = parse_vm_gpu(&vm->gpu, obj, jpath, file)) < 0)
		goto out;
	vm->cpu_count = (int)cpu;
	vm->memory_mb = mem;
	rc = 0;
out:
	free(jpath);
	return rc;
}

static int
vm_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sim_vm *)a)->name,
	    ((const struct sim_vm *)b)->name);
}

static int
parse_faults(struct sim_file *f, const json_t *root, const char *file)
{
	static const char *const keys[] = { "applyError", "observeError",
	    NULL };
	struct vr_json_at top = { file, "", VR_EINVALID };
	struct vr_json_at at = { file, "faults", VR_EINVALID };
	json_t *faults = NULL;
	int rc;

	if ((rc = vr_json_object(&faults, &top, root, "faults",
	    VR_JSON_OPTIONAL)) <= 0)
		return rc;
	if ((rc = vr_json_keys(&at, faults, keys)) < 0 ||
	    (rc = get_str(&f->apply_error, &at, faults, "applyError",
	    VR_JSON_OPTIONAL)) < 0 ||
	    (rc = get_str(&f->observe_error, &at, faults, "observeError",
	    VR_JSON_OPTIONAL)) < 0)
		return rc;
	return 0;
}

/* Check the whole tree `f->root` and index it into `f`. */
static int
sim_check(struct sim_file *f, const char *file)
{
	static const char *const keys[] = { "host", "vms", "faults", NULL };
	struct vr_json_at top = { file, "", VR_EINVALID };
	const char *name;
	json_t *vms = NULL, *v;
	int rc;

	if (!json_is_object(f->root))
		return vr_json_bad(&top, NULL, "expected an object at the top "
		    "level");
	if ((rc = vr_json_keys(&top, f->root, keys)) < 0 ||
	    (rc = parse_host(f, f->root, file)) < 0 ||
	    (rc = parse_faults(f, f->root, file)) < 0 ||
	    (rc = vr_json_object(&vms, &top, f->root, "vms", 0)) < 0)
		return rc;
	f->vms = vr_calloc(json_object_size(vms), sizeof(*f->vms));
	/* jansson's parser already refuses a NUL byte in a key */
	json_object_foreach(vms, name, v) {
		if ((rc = parse_vm(&f->vms[f->nvms], name, v, file)) < 0)
			return rc;
		f->nvms++;
	}
	qsort(f->vms, f->nvms, sizeof(*f->vms), vm_cmp);
	return 0;
}

/* Parse and check `len` bytes of JSON text that came from `file`. */
static int
sim_parse(struct sim_file *f, const char *buf, size_t len, const char *file)
{
	json_error_t jerr;
	int rc;

	memset(f, 0, sizeof(*f));
	f->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!f->root)
		return vr_error_set(VR_EINVALID, "%s:%d:%d: %s", file,
		    jerr.line, jerr.column, jerr.text);
	if ((rc = sim_check(f, file)) < 0)
		sim_file_clear(f);
	return rc;
}

/* The file's text as we write it: 2-space indent, keys in file order. */
static int
sim_write(const char *path, const json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *buf;
	int rc;

	if (!text)
		return vr_error_set(VR_ERROR, "cannot encode '%s'", path);
	buf = vr_asprintf("%s\n", text);
	free(text);
	/* indenting may grow a compact file: never write one we cannot read */
	if (strlen(buf) > SIM_MAX_BYTES)
		rc = vr_error_set(VR_EBACKEND, "sim: '%s' would grow past %u "
		    "bytes; not written", path, SIM_MAX_BYTES);
	else
		rc = vr_file_write_atomic(path, buf, strlen(buf),
		    SIM_FILE_MODE);
	free(buf);
	return rc;
}

static int
sim_create_default(const char *path)
{
	json_t *root = json_loads(sim_default_json, 0, NULL);
	int rc;

	if (!root)
		return vr_error_set(VR_ERROR, "the built-in sim file is bad");
	rc = sim_write(path, root);
	json_decref(root);
	return rc;
}

/* Under FILE.lock: drop the temporary files a killed writer left. */
static void
sweep_tmp(const char *path)
{
	char *dir = vr_strdup(path), *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	int dfd;

	if (slash)
		slash[slash == dir] = '\0'; /* "/sim.json" keeps "/" */
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		vr_file_sweep_tmp(dfd, base);
		close(dfd);
	}
	free(dir);
}

/* Take FILE.lock (waiting for another writer to finish its pass). */
static int
sim_lock(struct sim_conn *c)
{
	char *lp;
	int fd;

	if (c->lock_fd >= 0)
		return 0;
	lp = vr_asprintf("%s.lock", c->path);
	fd = vr_file_open_own(AT_FDCWD, lp, lp, O_RDWR | O_CREAT, 0600);
	if (fd >= 0) {
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				close(fd);
				fd = vr_error_set(VR_ERROR, "sim: cannot lock "
				    "'%s': %s", lp, strerror(errno));
				break;
			}
		}
	}
	free(lp);
	if (fd < 0)
		return fd;
	c->lock_fd = fd;
	sweep_tmp(c->path);
	return 0;
}

static void
sim_unlock(struct sim_conn *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* releases the flock */
	c->lock_fd = -1;
}

static int
sim_read_file(char **buf, size_t *len, const struct sim_conn *c)
{
	if (c->own)
		return vr_file_read_own(buf, len, AT_FDCWD, c->path, c->path,
		    SIM_MAX_BYTES);
	return vr_file_read(buf, len, c->path, SIM_MAX_BYTES);
}

/* The file's bytes, read now.  A missing file is the default: created
 * (under the lock, so it never replaces another writer's file), or, read
 * only, just used. */
static int
sim_read(char **buf, size_t *len, struct sim_conn *c)
{
	bool held = c->lock_fd >= 0;
	int rc = sim_read_file(buf, len, c);

	if (rc != VR_ENOTFOUND)
		return rc;
	if (c->read_only) {
		*buf = vr_strdup(sim_default_json);
		*len = strlen(sim_default_json);
		return 0;
	}
	if ((rc = sim_lock(c)) < 0)
		return rc;
	rc = sim_read_file(buf, len, c);
	if (rc == VR_ENOTFOUND && (rc = sim_create_default(c->path)) == 0)
		rc = sim_read_file(buf, len, c);
	if (!held)
		sim_unlock(c);
	return rc;
}

static void
sim_forget(struct sim_conn *c)
{
	sim_file_clear(&c->last);
	free(c->last_text);
	c->last_text = NULL;
	c->last_len = 0;
	c->last_st_ok = false;
}

/* Read the file afresh and check it, into `f` owned by the caller (who
 * may change the tree). */
static int
sim_load_own(struct sim_file *f, struct sim_conn *c)
{
	char *buf = NULL;
	size_t len;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = sim_read(&buf, &len, c)) < 0)
		return rc;
	rc = sim_parse(f, buf, len, c->path);
	free(buf);
	return rc;
}

/* Longer than any file system's timestamp granularity we care about. */
#define RACY_NS (50 * 1000000LL)

static bool
same_file_state(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Read the file afresh (unless its stat shows it unchanged since a read
 * that was not racy) and check it; *out is valid until the next call on
 * `c` and must not be changed. */
static int
sim_load(const struct sim_file **out, struct sim_conn *c)
{
	struct timespec read_at;
	struct sim_file f;
	struct stat st;
	char *buf = NULL;
	size_t len;
	bool have_st;
	int rc;

	*out = NULL;
	if (c->dirty) { /* this pass's tree, under the lock */
		*out = &c->last;
		return 0;
	}
	if (stat(c->path, &st) == 0 && c->last_text && c->last_st_ok &&
	    same_file_state(&st, &c->last_st)) {
		*out = &c->last;
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &read_at);
	have_st = stat(c->path, &st) == 0;
	if ((rc = sim_read(&buf, &len, c)) < 0)
		return rc;
	if (c->last_text && len == c->last_len &&
	    memcmp(buf, c->last_text, len) == 0) {
		free(buf);
	} else {
		if ((rc = sim_parse(&f, buf, len, c->path)) < 0) {
			free(buf);
			return rc;
		}
		sim_forget(c);
		c->last = f;
		c->last_text = buf;
		c->last_len = len;
	}
	/* trust the stat next time only if the file was older than the read
	 * by more than a timestamp tick; sim_read may also have created it */
	c->last_st_ok = have_st && (int64_t)(read_at.tv_sec -
	    st.st_mtim.tv_sec) * 1000000000 + (read_at.tv_nsec -
	    st.st_mtim.tv_nsec) > RACY_NS;
	c->last_st = st;
	*out = &c->last;
	return 0;
}

static const struct sim_vm *
sim_find(const struct sim_file *f, const char *name)
{
	struct sim_vm key;

	key.name = name;
	return bsearch(&key, f->vms, f->nvms, sizeof(*f->vms), vm_cmp);
}

/* VR_ENOTFOUND naming what there is (the first names that fit). */
static int
not_found(const struct sim_conn *c, const struct sim_file *f,
    const char *name)
{
	char list[512] = "";
	size_t i;

	if (f->nvms == 0)
		snprintf(list, sizeof(list), "none");
	for (i = 0; i < f->nvms; i++) {
		size_t used = strlen(list);

		if (used + strlen(f->vms[i].name) + 32 > sizeof(list)) {
			snprintf(list + used, sizeof(list) - used,
			    "%sand %zu more", i ? ", " : "", f->nvms - i);
			break;
		}
		snprintf(list + used, sizeof(list) - used, "%s%s",
		    i ? ", " : "", f->vms[i].name);
	}
	return vr_error_set(VR_ENOTFOUND, "no VM named '%s' on sim:%s "
	    "(it has: %s)", name, c->path, list);
}

static int
sim_open(void **out, const char *target, const struct vr_backend_options *opts)
{
	const struct sim_file *f;
	struct sim_conn *c;
	int rc;

	*out = NULL;
	c = vr_calloc(1, sizeof(*c));
	c->lock_fd = -1;
	c->read_only = opts && opts->read_only;
	if (target && target[0]) {
		c->path = vr_strdup(target);
	} else {
		if (!opts || !opts->state_dir || !opts->state_dir[0]) {
			rc = vr_error_set(VR_EINVALID, "the sim backend needs "
			    "a file (sim:PATH) or a state dir");
			goto fail;
		}
		if (!c->read_only &&
		    (rc = vr_mkdir_p(opts->state_dir, 0700)) < 0)
			goto fail;
		c->path = vr_asprintf("%s/sim.json", opts->state_dir);
		c->own = true;
	}
	if ((rc = sim_load(&f, c)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	sim_forget(c);
	sim_unlock(c);
	free(c->path);
	free(c);
	return rc;
}

/* Write this pass's tree (if an apply changed it) and let the lock go. */
static int
sim_flush(void *conn)
{
	struct sim_conn *c = conn;
	int rc = 0;

	if (!c->dirty)
		return 0;
	if (c->changed)
		rc = sim_write(c->path, c->last.root);
	sim_forget(c); /* the file is new (or, on failure, unknown) */
	c->dirty = c->changed = false;
	sim_unlock(c);
	return rc;
}

static void
sim_close(void *conn)
{
	struct sim_conn *c = conn;

	if (!c)
		return;
	if (sim_flush(c) < 0) /* the reconciler flushes; this is a backstop */
		fprintf(stderr, "vmrecon: %s\n", vr_error_msg());
	sim_forget(c);
	sim_unlock(c);
	free(c->path);
	free(c);
}

static int
sim_host(void *conn, struct vr_host *out)
{
	const struct sim_file *f;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sim_load(&f, conn)) < 0)
		return rc;
	out->cpus = f->cpus;
	out->memory_mb = f->memory_mb;
	out->min_memory_mb = SIM_MIN_MEMORY_MB;
	out->nested = f->nested;
	if (f->nested)
		out->gpu_blocker = vr_strdup("the host is itself a virtual "
		    "machine, and EFLOW passes no GPU through then");
	out->ngpus = f->ngpus;
	out->gpus = vr_calloc(f->ngpus, sizeof(*out->gpus));
	for (i = 0; i < f->ngpus; i++) {
		out->gpus[i].name = vr_strdup(f->gpus[i].name);
		out->gpus[i].types = f->gpus[i].types;
		out->gpus[i].count = f->gpus[i].count;
	}
	return 0;
}

static int
sim_list(void *conn, char ***out, size_t *count)
{
	const struct sim_file *f;
	size_t i;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = sim_load(&f, conn)) < 0)
		return rc;
	*out = vr_calloc(f->nvms, sizeof(**out));
	for (i = 0; i < f->nvms; i++)
		(*out)[i] = vr_strdup(f->vms[i].name);
	*count = f->nvms;
	return 0;
}

static int
sim_observe(void *conn, const char *name, const struct vr_vm_spec *record,
    struct vr_vm_live *out)
{
	const struct sim_file *f;
	const struct sim_vm *vm;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sim_load(&f, conn)) < 0)
		return rc;
	if (f->observe_error)
		return vr_error_set(VR_EBACKEND, "%s", f->observe_error);
	if (!(vm = sim_find(f, name)))
		return not_found(conn, f, name);
	out->name = vr_strdup(vm->name);
	out->running = vm->running;
	out->cpu_count = vm->cpu_count;
	out->memory_mb = vm->memory_mb;
	if (vm->gpu.count > 0) {
		out->gpu.name = vr_strdup(vm->gpu.name);
		out->gpu.type = (enum vr_gpu_type)vm->gpu.types;
		out->gpu.count = vm->gpu.count;
	}
	return 0;
}

static int
sim_classify(void *conn, const struct vr_vm_live *live, struct vr_change *c)
{
	switch (c->field) {
	case VR_FIELD_CPU_COUNT:
	case VR_FIELD_MEMORY:
	case VR_FIELD_GPU:
		return vr_change_restart(c, "%s", SIM_RESTART_REASON);
	case VR_FIELD_RESTART_POLICY:
	case VR_FIELD_RESTART_WINDOWS:
	case VR_FIELD__COUNT:
		break;
	}
	return vr_change_unsupported(c, "sim");
}

/*
 * Refuse what Set-EflowVM would refuse, given the values the VM would have
 * after the change: at least one CPU and no more than the host has, memory
 * even and at least 1024 MB and no more than the host has, a GPU the host
 * has, with that passthrough type, one only for ParaVirtualization.
 */
static int
eflow_check(const struct sim_file *f, const char *vm,
    const struct vr_change *c)
{
	const struct sim_gpu *hg = NULL;
	const char *type;
	size_t i;

	switch (c->field) {
	case VR_FIELD_CPU_COUNT:
		if (c->to.i < 1 || c->to.i > f->cpus)
			return vr_error_set(VR_EBACKEND, "sim: cannot give VM "
			    "'%s' %lld CPUs: the host has %d logical "
			    "processors and a VM needs at least one", vm,
			    (long long)c->to.i, f->cpus);
		return 0;
	case VR_FIELD_MEMORY:
		if (c->to.i < SIM_MIN_MEMORY_MB || c->to.i % 2 != 0)
			return vr_error_set(VR_EBACKEND, "sim: cannot give VM "
			    "'%s' %lld MB of memory: EFLOW needs an even "
			    "number of MB, at least %d", vm, (long long)c->to.i,
			    SIM_MIN_MEMORY_MB);
		if (c->to.i > f->memory_mb)
			return vr_error_set(VR_EBACKEND, "sim: cannot give VM "
			    "'%s' %lld MB of memory: the host has %lld MB",
			    vm, (long long)c->to.i, (long long)f->memory_mb);
		return 0;
	case VR_FIELD_GPU:
		if (c->action == VR_ACTION_DELETE)
			return 0;
		break;
	case VR_FIELD_RESTART_POLICY:
	case VR_FIELD_RESTART_WINDOWS:
	case VR_FIELD__COUNT:
		return vr_change_unsupported(c, "sim");
	}
	if (f->nested)
		return vr_error_set(VR_EBACKEND, "sim: cannot give VM '%s' a "
		    "GPU: the host is itself a virtual machine", vm);
	type = vr_gpu_type_name(c->to.gpu.type);
	if (!c->to.gpu.name || !c->to.gpu.name[0] || !type ||
	    c->to.gpu.count < 1)
		return vr_error_set(VR_EINVALID, "sim: the GPU change for VM "
		    "'%s' lacks a name, a passthrough type or a count", vm);
	for (i = 0; i < f->ngpus; i++)
		if (strcmp(f->gpus[i].name, c->to.gpu.name) == 0)
			hg = &f->gpus[i];
	if (!hg)
		return vr_error_set(VR_EBACKEND, "sim: the host has no GPU "
		    "named '%s'", c->to.gpu.name);
	if (!(hg->types & (unsigned)c->to.gpu.type))
		return vr_error_set(VR_EBACKEND, "sim: GPU '%s' does not "
		    "support %s", c->to.gpu.name, type);
	if (c->to.gpu.type == VR_GPU_PV && c->to.gpu.count != 1)
		return vr_error_set(VR_EBACKEND, "sim: ParaVirtualization "
		    "gives a VM one GPU, not %d", c->to.gpu.count);
	if (c->to.gpu.count > hg->count)
		return vr_error_set(VR_EBACKEND, "sim: the host has %d of "
		    "GPU '%s', not %d", hg->count, c->to.gpu.name,
		    c->to.gpu.count);
	return 0;
}

/* Set the value `c` asks for in the VM's object; nothing else. */
static void
set_field(json_t *vm, const struct vr_change *c)
{
	json_t *g;

	switch (c->field) {
	case VR_FIELD_CPU_COUNT:
		json_object_set_new(vm, "cpuCount", json_integer(c->to.i));
		break;
	case VR_FIELD_MEMORY:
		json_object_set_new(vm, "memoryInMB", json_integer(c->to.i));
		break;
	case VR_FIELD_GPU:
		if (c->action == VR_ACTION_DELETE) {
			json_object_set_new(vm, "gpu", json_null());
			break;
		}
		g = json_object();
		json_object_set_new(g, "name", json_string(c->to.gpu.name));
		json_object_set_new(g, "passthroughType",
		    json_string(vr_gpu_type_name(c->to.gpu.type)));
		json_object_set_new(g, "count", json_integer(c->to.gpu.count));
		json_object_set_new(vm, "gpu", g);
		break;
	case VR_FIELD_RESTART_POLICY:
	case VR_FIELD_RESTART_WINDOWS:
	case VR_FIELD__COUNT:
		break; /* refused by sim_apply first */
	}
}

static int
sim_apply(void *conn, struct vr_apply_request *req)
{
	struct sim_conn *c = conn;
	struct sim_vm *vm;
	const char *name = req->spec ? req->spec->name :
	    req->live ? req->live->name : NULL;
	struct sim_file *f = &c->last, fresh;
	size_t i;
	int rc;

	if (!name)
		return vr_error_set(VR_EINVALID, "sim: apply without a VM "
		    "name");
	if (req->nchanges == 0)
		return 0;
	if ((rc = vr_changes_supported(req->changes, req->nchanges,
	    SIM_FIELDS, "sim")) < 0)
		return rc;
	for (i = 0; i < req->nchanges; i++)
		if (req->changes[i].mode == VR_MODE_RESTART &&
		    !req->may_restart)
			return vr_error_set(VR_EINVALID, "sim: asked to apply "
			    "%s of VM '%s', which needs a restart, without "
			    "leave to restart it",
			    vr_field_name(req->changes[i].field), name);
	if (c->read_only)
		return vr_error_set(VR_EINVALID, "sim: opened read-only");
	if (!c->dirty) {
		/* the pass's first apply: lock, then read what is there now
		 * (another writer may have changed it since we observed) */
		if ((rc = sim_lock(c)) < 0)
			return rc;
		if ((rc = sim_load_own(&fresh, c)) < 0) {
			sim_unlock(c);
			return rc;
		}
		sim_forget(c);
		c->last = fresh;
		c->dirty = true;
	}
	if (f->apply_error)
		return vr_error_set(VR_EBACKEND, "%s", f->apply_error);
	if (!(vm = (struct sim_vm *)sim_find(f, name)))
		return not_found(c, f, name);
	for (i = 0; i < req->nchanges; i++)
		if ((rc = eflow_check(f, name, &req->changes[i])) < 0)
			return rc;
	/* Set-EflowVM needs the VM running; a restart leaves it running. */
	if (!vm->running)
		json_object_set_new(vm->obj, "running", json_true());
	for (i = 0; i < req->nchanges; i++)
		set_field(vm->obj, &req->changes[i]);
	if (vm->restart_s > 0) {
		/* the restart itself: EFLOW's stop and boot */
		struct timespec ts = { (time_t)vm->restart_s, 0 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR &&
		    !vr_interrupted())
			; /* an interrupt ends the wait, not the change */
	}
	json_object_set_new(vm->obj, "restarts", json_integer(
	    vm->restarts < INT64_MAX ? vm->restarts + 1 : vm->restarts));
	c->changed = true;
	/* index the VM again: what set_field wrote was checked above */
	name = vm->name;
	memset(&vm->gpu, 0, sizeof(vm->gpu));
	if ((rc = parse_vm(vm, name, vm->obj, c->path)) < 0)
		return rc;
	for (i = 0; i < req->nchanges; i++)
		req->changes[i].applied = true;
	return 0;
}

const struct vr_driver vr_sim_driver = {
	.name = "sim",
	.fields = SIM_FIELDS,
	.open = sim_open,
	.close = sim_close,
	.host = sim_host,
	.list = sim_list,
	.observe = sim_observe,
	.classify = sim_classify,
	.preflight = NULL, /* the reconciler's generic checks suffice */
	.apply = sim_apply,
	.flush = sim_flush,
};
