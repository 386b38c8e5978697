/*
 * qemu.c - the qemu backend: a running QEMU VM, driven live over QMP.
 *
 * TARGET is the VM's QMP unix socket (QEMU's -qmp unix:PATH,server=on).
 * Observe reads vCPUs, memory (boot RAM + hot-plugged DIMMs) and GPUs
 * (devices under /machine/peripheral) with QMP queries; apply hot-plugs
 * vCPUs, pc-dimms and PCI devices on free pcie-root-ports.  What does not
 * fit the limits QEMU was started with (maxcpus, slots, maxmem, spare root
 * ports) needs another QEMU command line, which vmrecon does not own: such
 * changes are classified `restart` and manual (model.h): their reason names
 * the QEMU option, restartPolicy IfNeeded is refused up front (plan.c's
 * preflight) and Never leaves them pending.  See the README's qemu part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../schema/bounds.h"
#include "../schema/field.h"
#include "../schema/util/clock.h"
#include "../schema/util/error.h"
#include "../schema/util/fileio.h"
#include "../schema/util/json.h"
#include "backend.h"
#include "hostpci.h"
#include "qmp.h"

#define MIB (1024LL * 1024)
#define DEFAULT_TIMEOUT_MS 30000
#define MEM_STEP_MB 128     /* Linux onlines hot-added memory in 128 MiB
			     * blocks on x86-64 */
#define GPU_ID_PREFIX "vrgpu-"
#define STANDIN_ENV "VMRECON_QEMU_GPU_STANDIN"

struct qdimm {
	char *id;        /* the pc-dimm's id */
	char *memdev;    /* its memory backend's id */
	int64_t size_mb;
};

struct qgpu {
	char *id;              /* device id under /machine/peripheral */
	char *model;           /* QOM type: vfio-pci, virtio-gpu-pci, ... */
	char *addr;            /* host PCI address (DDA), else NULL */
	enum vr_gpu_type type;
};

/* What one observation found; kept for classify and apply. */
struct qstate {
	char *name;
	bool unnamed;          /* no -name: `name` is socket_name()'s */
	bool running;
	int cpus, maxcpus, boot_cpus;
	json_t *hotcpus;       /* query-hotpluggable-cpus */
	int64_t base_mb, plugged_mb, maxmem_mb;
	int slots, used_slots;
	struct qdimm *dimms;   /* removable ones (with ids) */
	size_t ndimms;
	struct qgpu *gpus;
	size_t ngpus;
	char **ports;          /* free pcie-root-ports (device ids) */
	size_t nports;
	bool unsafe_hotplug;   /* QEMU 7.2 TCG after a vCPU unplug */
};

#define UNSAFE_REASON "QEMU 7.2 under TCG crashes on any hot-plug once a " \
	"vCPU was unplugged, as one was from this VM: restart QEMU first"

struct qconn {
	struct vr_qmp *q;
	char *path;
	int timeout_ms;
	bool progress;
	char *sysfs_root;
	const char *standin;   /* test-only GPU stand-in model, or NULL */
	struct vr_pci_dev *hgpus;
	size_t nhgpus;
	struct qstate st;
	bool have_st;
};

static void
qstate_clear(struct qstate *s)
{
	size_t i;

	free(s->name);
	json_decref(s->hotcpus);
	for (i = 0; i < s->ndimms; i++) {
		free(s->dimms[i].id);
		free(s->dimms[i].memdev);
	}
	free(s->dimms);
	for (i = 0; i < s->ngpus; i++) {
		free(s->gpus[i].id);
		free(s->gpus[i].model);
		free(s->gpus[i].addr);
	}
	free(s->gpus);
	vr_strv_free(s->ports, s->nports);
	memset(s, 0, sizeof(*s));
}

/* Progress on stderr (a TTY, or VMRECON_QEMU_VERBOSE set). */
#define note(c, ...) vr_progress((c)->progress, "qemu", __VA_ARGS__)

static int
qemu_open(void **out, const char *target, const struct vr_backend_options *o)
{
	struct qconn *c;
	const char *standin = getenv(STANDIN_ENV);
	const char *verbose = getenv("VMRECON_QEMU_VERBOSE");
	int rc;

	*out = NULL;
	if (!target || !*target)
		return vr_error_set(VR_EINVALID, "the qemu backend needs the "
		    "VM's QMP socket: --backend qemu:PATH (QEMU started with "
		    "-qmp unix:PATH,server=on,wait=off)");
	/* Test setting only: no VFIO device exists on the test hosts, so a
	 * plain emulated PCI display device stands in for a passed-through
	 * GPU.  Production always uses vfio-pci. */
	if (standin && *standin && strcmp(standin, "secondary-vga") != 0 &&
	    strcmp(standin, "edu") != 0 && strcmp(standin, "pci-testdev") != 0)
		return vr_error_set(VR_EINVALID, "%s must be secondary-vga, "
		    "edu or pci-testdev, not '%s'", STANDIN_ENV, standin);
	c = vr_calloc(1, sizeof(*c));
	c->path = vr_strdup(target);
	c->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms :
	    DEFAULT_TIMEOUT_MS;
	c->progress = (o && o->progress) || (verbose && *verbose);
	c->standin = standin && *standin ? standin : NULL;
	c->sysfs_root = vr_strdup(vr_hostpci_root(o ? o->sysfs_root : NULL));
	rc = vr_qmp_connect(&c->q, target, c->timeout_ms);
	if (rc < 0)
		goto fail;
	rc = vr_hostpci_gpus(&c->hgpus, &c->nhgpus, c->sysfs_root, NULL);
	if (rc < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	vr_qmp_free(c->q);
	free(c->path);
	free(c->sysfs_root);
	free(c);
	return rc;
}

static void
qemu_close(void *conn)
{
	struct qconn *c = conn;

	if (!c)
		return;
	vr_qmp_free(c->q);
	qstate_clear(&c->st);
	vr_hostpci_free(c->hgpus, c->nhgpus);
	free(c->path);
	free(c->sysfs_root);
	free(c);
}

/* ---- observe ---------------------------------------------------------- */

/*
 * QMP replies are untrusted input: every member that decides anything is
 * read with the strict readers of schema/util/json.h, bounded by the field
 * table for the spec's quantities and by schema/bounds.h for the rest.
 * Members not read are not checked: QEMU adds some in every release.
 */
#define CPU_F vr_fields[VR_FIELD_CPU_COUNT]
#define MEM_F vr_fields[VR_FIELD_MEMORY]
#define GPU_F vr_fields[VR_FIELD_GPU]
/* what it observes, classifies and applies: vCPUs, DIMMs, PCI GPUs */
#define QEMU_FIELDS (VR_FIELD_BIT(VR_FIELD_CPU_COUNT) | \
	VR_FIELD_BIT(VR_FIELD_MEMORY) | VR_FIELD_BIT(VR_FIELD_GPU))
#define ACPI_CODE_MAX INT64_C(0xffffffff) /* _OST source, status: 32 bits */
#define PCI_CLASS_MAX 0xffff              /* class and subclass */
#define PCI_NEST_MAX 8                    /* bridges behind bridges */

/* "qemu:SOCK: WHAT": a socket path is under 108 bytes, WHAT at most a
 * command and a QOM path */
#define REPLY_SRC_MAX (VR_QOM_PATH_MAX + 256)

/* Where a reply's members are read from, for messages: "qemu:SOCK: WHAT"
 * in `buf` ("qemu:/run/vm.sock: query-pci: [0].devices[2].qdev_id: ..."). */
static struct vr_json_at
reply_at(char *buf, size_t size, const struct qconn *c, const char *what)
{
	struct vr_json_at at = { buf, "", VR_EBACKEND };

	snprintf(buf, size, "qemu:%s: %s", c->path, what);
	return at;
}

/* The reader context of element i of the array at `at`; free its .path
 * with at_free. */
static struct vr_json_at
elem_at(const struct vr_json_at *at, size_t i)
{
	struct vr_json_at e = *at;

	e.path = vr_asprintf("%s[%zu]", at->path, i);
	return e;
}

/* The same for member `key` of the object at `at`. */
static struct vr_json_at
member_at(const struct vr_json_at *at, const char *key)
{
	struct vr_json_at m = *at;

	m.path = vr_json_path(at->path, key);
	return m;
}

static void
at_free(struct vr_json_at *at)
{
	free((char *)at->path);
}

/* The last component of a QOM path. */
static const char *
path_base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool
starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "vrgpu-0000_01_00.0" <-> "0000:01:00.0" (QEMU ids allow no ':') */
static char *
gpu_id_for(const char *addr)
{
	char *id = vr_asprintf(GPU_ID_PREFIX "%s", addr), *p;

	for (p = id; *p; p++)
		if (*p == ':')
			*p = '_';
	return id;
}

static char *
addr_from_gpu_id(const char *id)
{
	char *a, *p;

	if (!starts_with(id, GPU_ID_PREFIX))
		return NULL;
	a = vr_strdup(id + strlen(GPU_ID_PREFIX));
	for (p = a; *p; p++)
		if (*p == '_')
			*p = ':';
	if (!vr_hostpci_addr_valid(a)) {
		free(a);
		return NULL;
	}
	return a;
}

/* query-cpus-fast: the vCPUs present (the field's bounds), each with its
 * QOM path, which cpu_present looks for.  *out gets a new reference. */
static int
query_cpus(json_t **out, struct qconn *c)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at = reply_at(src, sizeof(src), c,
	    "query-cpus-fast");
	json_t *r = NULL, *e;
	const char *qp;
	size_t i;
	int rc;

	*out = NULL;
	rc = vr_qmp_exec(&r, c->q, "query-cpus-fast", NULL);
	if (rc < 0)
		return vr_error_wrap(rc, "query-cpus-fast");
	rc = vr_json_array(&e, &at, r, NULL, (size_t)CPU_F.min,
	    (size_t)CPU_F.max, 0);
	for (i = 0; rc >= 0 && i < json_array_size(r); i++) {
		struct vr_json_at ea = elem_at(&at, i);

		e = json_array_get(r, i);
		if ((rc = vr_json_object(&e, &ea, e, NULL, 0)) >= 0)
			rc = vr_json_str(&qp, &ea, e, "qom-path", 1,
			    VR_QOM_PATH_MAX, VR_JSON_PRINT, 0);
		at_free(&ea);
	}
	if (rc < 0) {
		json_decref(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* A member name of a vCPU slot's props: a topology id ("socket-id",
 * "core-id"; every member QEMU has ever put there ends in -id). */
static bool
topology_id_name(const char *k)
{
	size_t n = strlen(k), i;

	if (n < 4 || n > VR_QEMU_NAME_MAX || strcmp(k + n - 3, "-id") != 0)
		return false;
	for (i = 0; i < n; i++)
		if (!(k[i] >= 'a' && k[i] <= 'z') &&
		    !(k[i] >= '0' && k[i] <= '9') && k[i] != '-')
			return false;
	return true;
}

/* One slot of query-hotpluggable-cpus, at `at`: the vCPUs it holds and
 * its QOM path when plugged (else NULL).  cpus_add sends its type and
 * props back to device_add, so those are checked here too: props holds
 * topology ids, each a number below the most vCPU slots. */
static int
read_cpu_slot(int64_t *n, const char **qom_path,
    const struct vr_json_at *at, json_t *e)
{
	struct vr_json_at pa;
	const char *type, *k;
	json_t *props, *v;
	int64_t id;
	int rc;

	*qom_path = NULL;
	if ((rc = vr_json_object(&e, at, e, NULL, 0)) < 0 ||
	    (rc = vr_json_int(n, at, e, "vcpus-count", 1,
	    VR_QEMU_VCPU_SLOTS_MAX, 0)) < 0 ||
	    (rc = vr_json_str(&type, at, e, "type", 1, VR_QEMU_NAME_MAX,
	    VR_JSON_PRINT, 0)) < 0 ||
	    (rc = vr_json_str(qom_path, at, e, "qom-path", 1,
	    VR_QOM_PATH_MAX, VR_JSON_PRINT, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_object(&props, at, e, "props", 0)) < 0)
		return rc;
	pa = member_at(at, "props");
	json_object_foreach(props, k, v) {
		if (!topology_id_name(k))
			rc = vr_json_bad(&pa, NULL, "a member is not a CPU "
			    "topology id (lowercase letters, digits and '-', "
			    "ending in -id)");
		else
			rc = vr_json_int(&id, &pa, props, k, 0,
			    VR_QEMU_VCPU_SLOTS_MAX - 1, 0);
		if (rc < 0)
			break;
	}
	at_free(&pa);
	return rc < 0 ? rc : 0;
}

static int
observe_cpus(struct qconn *c, struct qstate *s)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at = reply_at(src, sizeof(src), c,
	    "query-hotpluggable-cpus");
	json_t *cpus = NULL, *hot = NULL, *list;
	size_t i;
	int rc;

	rc = query_cpus(&cpus, c);
	if (rc < 0)
		return rc;
	rc = vr_qmp_exec(&hot, c->q, "query-hotpluggable-cpus", NULL);
	if (rc < 0) {
		vr_error_wrap(rc, "query-hotpluggable-cpus");
		goto out;
	}
	rc = vr_json_array(&list, &at, hot, NULL, 1, VR_QEMU_VCPU_SLOTS_MAX,
	    0);
	for (i = 0; rc >= 0 && i < json_array_size(hot); i++) {
		struct vr_json_at ea = elem_at(&at, i);
		const char *qp;
		int64_t n;

		rc = read_cpu_slot(&n, &qp, &ea, json_array_get(hot, i));
		at_free(&ea);
		if (rc < 0)
			break;
		s->maxcpus += (int)n;
		if (qp && !starts_with(qp, "/machine/peripheral"))
			s->boot_cpus++;
	}
	if (rc >= 0 && s->maxcpus > VR_QEMU_VCPU_SLOTS_MAX)
		rc = vr_json_bad(&at, NULL, "%d vCPUs in all is out of range "
		    "(1 to %d)", s->maxcpus, VR_QEMU_VCPU_SLOTS_MAX);
	if (rc < 0)
		goto out;
	s->cpus = (int)json_array_size(cpus);
	s->hotcpus = json_incref(hot);
	rc = 0;
out:
	json_decref(cpus);
	json_decref(hot);
	return rc;
}

/* One entry of query-memory-devices, at `at`.  A DIMM or an NVDIMM takes
 * a slot; a DIMM with an id that may be unplugged goes to s->dimms, its
 * id and memory backend being what apply sends to device_del and
 * object-del. */
static int
read_memory_device(struct qstate *s, const struct vr_json_at *at, json_t *e)
{
	struct vr_json_at da;
	const char *type, *id = NULL, *md;
	bool hotpluggable;
	int64_t size;
	json_t *d;
	int rc;

	if ((rc = vr_json_object(&e, at, e, NULL, 0)) < 0 ||
	    (rc = vr_json_str(&type, at, e, "type", 1, VR_QEMU_NAME_MAX,
	    VR_JSON_PRINT, 0)) < 0)
		return rc;
	if (strcmp(type, "dimm") != 0 && strcmp(type, "nvdimm") != 0)
		return 0;
	s->used_slots++;
	if (strcmp(type, "dimm") != 0)
		return 0;
	if ((rc = vr_json_object(&d, at, e, "data", 0)) < 0)
		return rc;
	da = member_at(at, "data");
	if ((rc = vr_json_str(&id, &da, d, "id", 1, VR_QEMU_NAME_MAX,
	    VR_JSON_PRINT, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_str(&md, &da, d, "memdev", 1, VR_QOM_PATH_MAX,
	    VR_JSON_PRINT, 0)) < 0 ||
	    (rc = vr_json_bool(&hotpluggable, &da, d, "hotpluggable",
	    0)) < 0 ||
	    (rc = vr_json_int(&size, &da, d, "size", MIB, MEM_F.max * MIB,
	    0)) < 0)
		goto out;
	rc = 0;
	if (!*path_base(md))
		rc = vr_json_bad(&da, "memdev", "'%s' names no object", md);
	if (rc < 0 || !id || !hotpluggable)
		goto out;
	s->dimms = vr_realloc(s->dimms, (s->ndimms + 1) *
	    sizeof(s->dimms[0]));
	s->dimms[s->ndimms].id = vr_strdup(id);
	s->dimms[s->ndimms].memdev = vr_strdup(path_base(md));
	s->dimms[s->ndimms].size_mb = size / MIB;
	s->ndimms++;
out:
	at_free(&da);
	return rc;
}

static int
observe_memory(struct qconn *c, struct qstate *s)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at;
	json_t *mem = NULL, *sum = NULL, *devs = NULL, *o;
	int64_t maxmem = 0, slots = 0, base = 0, plugged = 0;
	size_t i;
	int rc;

	rc = vr_qmp_execf(&mem, c->q, "qom-get", "{s:s, s:s}", "path",
	    "/machine", "property", "memory");
	if (rc < 0) {
		vr_error_wrap(rc, "qom-get /machine memory");
		goto out;
	}
	rc = vr_qmp_exec(&sum, c->q, "query-memory-size-summary", NULL);
	if (rc < 0) {
		vr_error_wrap(rc, "query-memory-size-summary");
		goto out;
	}
	rc = vr_qmp_exec(&devs, c->q, "query-memory-devices", NULL);
	if (rc < 0) {
		vr_error_wrap(rc, "query-memory-devices");
		goto out;
	}
	/* max-size, slots and plugged-memory are absent when QEMU was
	 * started without memory slots */
	at = reply_at(src, sizeof(src), c, "qom-get /machine memory");
	if ((rc = vr_json_object(&o, &at, mem, NULL, 0)) < 0 ||
	    (rc = vr_json_int(&maxmem, &at, mem, "max-size", 0,
	    VR_HOST_MEMORY_MB_MAX * MIB, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_int(&slots, &at, mem, "slots", 0,
	    VR_QEMU_MEMORY_SLOTS_MAX, VR_JSON_OPTIONAL)) < 0)
		goto out;
	at = reply_at(src, sizeof(src), c, "query-memory-size-summary");
	if ((rc = vr_json_object(&o, &at, sum, NULL, 0)) < 0 ||
	    (rc = vr_json_int(&base, &at, sum, "base-memory", MIB,
	    MEM_F.max * MIB, 0)) < 0 ||
	    (rc = vr_json_int(&plugged, &at, sum, "plugged-memory", 0,
	    MEM_F.max * MIB, VR_JSON_OPTIONAL)) < 0)
		goto out;
	if (base / MIB + plugged / MIB > MEM_F.max) {
		rc = vr_json_bad(&at, NULL, "base-memory and plugged-memory "
		    "add up to %lld MB, out of range (1 to %lld)",
		    (long long)(base / MIB + plugged / MIB),
		    (long long)MEM_F.max);
		goto out;
	}
	at = reply_at(src, sizeof(src), c, "query-memory-devices");
	rc = vr_json_array(&o, &at, devs, NULL, 0, VR_QEMU_MEMORY_SLOTS_MAX,
	    0);
	for (i = 0; rc >= 0 && i < json_array_size(devs); i++) {
		struct vr_json_at ea = elem_at(&at, i);

		rc = read_memory_device(s, &ea, json_array_get(devs, i));
		at_free(&ea);
	}
	if (rc < 0)
		goto out;
	s->base_mb = base / MIB;
	s->plugged_mb = plugged / MIB;
	s->maxmem_mb = maxmem / MIB;
	s->slots = (int)slots;
	rc = 0;
out:
	json_decref(mem);
	json_decref(sum);
	json_decref(devs);
	return rc;
}

static void
add_gpu(struct qstate *s, const char *id, const char *model, char *addr,
    enum vr_gpu_type type)
{
	struct qgpu *g;

	s->gpus = vr_realloc(s->gpus, (s->ngpus + 1) * sizeof(s->gpus[0]));
	g = &s->gpus[s->ngpus++];
	g->id = vr_strdup(id);
	g->model = vr_strdup(model);
	g->addr = addr;
	g->type = type;
}

static int
cmp_gpu(const void *a, const void *b)
{
	const struct qgpu *x = a, *y = b;

	return strcmp(x->addr ? x->addr : "~", y->addr ? y->addr : "~");
}

/* The host PCI address the vfio-pci device `name` passes through (its
 * "host" property) into *out. */
static int
vfio_host(char **out, struct qconn *c, const char *name)
{
	char *path = vr_asprintf("/machine/peripheral/%s", name);
	char *what = vr_asprintf("qom-get %s host", path);
	char src[REPLY_SRC_MAX];
	struct vr_json_at at = reply_at(src, sizeof(src), c, what);
	json_t *host = NULL;
	const char *a;
	int rc;

	*out = NULL;
	rc = vr_qmp_execf(&host, c->q, "qom-get", "{s:s, s:s}", "path",
	    path, "property", "host");
	if (rc < 0)
		vr_error_wrap(rc, "qom-get %s host", name);
	else if ((rc = vr_json_str(&a, &at, host, NULL, 1, VR_QEMU_NAME_MAX,
	    VR_JSON_PRINT, 0)) >= 0) {
		rc = 0;
		if (vr_hostpci_addr_valid(a))
			*out = vr_strdup(a);
		else
			rc = vr_json_bad(&at, NULL, "'%s' is not a PCI "
			    "address (dddd:bb:ss.f)", a);
	}
	json_decref(host);
	free(what);
	free(path);
	return rc;
}

/* A child of /machine/peripheral, `name` of QOM property type `type`
 * ("child<vfio-pci>"): a GPU goes to s->gpus. */
static int
observe_gpu(struct qconn *c, struct qstate *s, const char *name,
    const char *type)
{
	char model[128], *addr;
	size_t n;
	int rc;

	if (!starts_with(type, "child<"))
		return 0;
	n = strlen(type) - strlen("child<");
	if (n < 2 || n >= sizeof(model))
		return 0;
	memcpy(model, type + strlen("child<"), n - 1);
	model[n - 1] = '\0';
	if (strcmp(model, "vfio-pci") == 0) {
		rc = vfio_host(&addr, c, name);
		if (rc < 0)
			return rc;
		add_gpu(s, name, model, addr, VR_GPU_DDA);
	} else if (c->standin && strcmp(model, c->standin) == 0 &&
	    starts_with(name, GPU_ID_PREFIX)) {
		add_gpu(s, name, model, addr_from_gpu_id(name), VR_GPU_DDA);
	} else if (strcmp(model, "virtio-gpu-pci") == 0 ||
	    strcmp(model, "virtio-vga") == 0 ||
	    strcmp(model, "virtio-gpu-gl-pci") == 0 ||
	    strcmp(model, "virtio-vga-gl") == 0) {
		add_gpu(s, name, model, NULL, VR_GPU_PV);
	}
	return 0;
}

static int
observe_gpus(struct qconn *c, struct qstate *s)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at = reply_at(src, sizeof(src), c,
	    "qom-list /machine/peripheral");
	json_t *list = NULL, *e;
	size_t i;
	int rc;

	rc = vr_qmp_execf(&list, c->q, "qom-list", "{s:s}", "path",
	    "/machine/peripheral");
	if (rc < 0)
		return vr_error_wrap(rc, "qom-list /machine/peripheral");
	/* only walked: a QMP line's 1 MiB bounds its length */
	rc = vr_json_array(&e, &at, list, NULL, 0, SIZE_MAX, 0);
	for (i = 0; rc >= 0 && i < json_array_size(list); i++) {
		struct vr_json_at ea = elem_at(&at, i);
		const char *name, *type;

		e = json_array_get(list, i);
		if ((rc = vr_json_object(&e, &ea, e, NULL, 0)) >= 0 &&
		    (rc = vr_json_str(&name, &ea, e, "name", 1,
		    VR_QEMU_NAME_MAX, VR_JSON_PRINT, 0)) >= 0 &&
		    (rc = vr_json_str(&type, &ea, e, "type", 1,
		    VR_QEMU_NAME_MAX, VR_JSON_PRINT, 0)) >= 0)
			rc = observe_gpu(c, s, name, type);
		at_free(&ea);
	}
	if (rc >= 0 && s->ngpus > (size_t)GPU_F.max)
		rc = vr_json_bad(&at, NULL, "%zu GPUs, out of range (0 to "
		    "%lld)", s->ngpus, (long long)GPU_F.max);
	json_decref(list);
	if (rc < 0)
		return rc;
	/* by host address, so the same devices are kept on every run */
	if (s->ngpus > 1)
		qsort(s->gpus, s->ngpus, sizeof(s->gpus[0]), cmp_gpu);
	return 0;
}

static int find_free_ports(struct qstate *s, const struct vr_json_at *at,
    const json_t *devices, int depth);

/* One device of query-pci, at `at`: a bridge (a pcie-root-port is one)
 * with an id and nothing behind it is a free port, whose id device_add
 * gets as the bus of a GPU. */
static int
read_pci_device(struct qstate *s, const struct vr_json_at *at, json_t *d,
    int depth)
{
	struct vr_json_at ba, ca, da;
	json_t *br = NULL, *ci, *sub = NULL;
	const char *id;
	int64_t cls;
	int rc;

	if ((rc = vr_json_object(&d, at, d, NULL, 0)) < 0 ||
	    (rc = vr_json_object(&br, at, d, "pci_bridge",
	    VR_JSON_OPTIONAL)) <= 0)
		return rc;
	if ((rc = vr_json_str(&id, at, d, "qdev_id", 0, VR_QEMU_NAME_MAX,
	    VR_JSON_PRINT, 0)) < 0 ||
	    (rc = vr_json_object(&ci, at, d, "class_info", 0)) < 0)
		return rc;
	ca = member_at(at, "class_info");
	rc = vr_json_int(&cls, &ca, ci, "class", 0, PCI_CLASS_MAX, 0);
	at_free(&ca);
	if (rc < 0)
		return rc;
	ba = member_at(at, "pci_bridge");
	rc = vr_json_array(&sub, &ba, br, "devices", 0, SIZE_MAX,
	    VR_JSON_OPTIONAL);
	if (rc > 0 && *id && json_array_size(sub) == 0 && cls == 0x0604) {
		s->ports = vr_realloc(s->ports, (s->nports + 1) *
		    sizeof(s->ports[0]));
		s->ports[s->nports++] = vr_strdup(id);
	}
	if (rc > 0 && depth < PCI_NEST_MAX) {
		da = member_at(&ba, "devices");
		rc = find_free_ports(s, &da, sub, depth + 1);
		at_free(&da);
	}
	at_free(&ba);
	return rc < 0 ? rc : 0;
}

/* Walk query-pci's devices (an array, at `at`) for free ports. */
static int
find_free_ports(struct qstate *s, const struct vr_json_at *at,
    const json_t *devices, int depth)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc >= 0 && i < json_array_size(devices); i++) {
		struct vr_json_at ea = elem_at(at, i);

		rc = read_pci_device(s, &ea, json_array_get(devices, i),
		    depth);
		at_free(&ea);
	}
	return rc;
}

static int
observe_ports(struct qconn *c, struct qstate *s)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at = reply_at(src, sizeof(src), c, "query-pci");
	json_t *pci = NULL, *bus, *devs;
	size_t i;
	int rc;

	rc = vr_qmp_exec(&pci, c->q, "query-pci", NULL);
	if (rc < 0)
		return vr_error_wrap(rc, "query-pci");
	rc = vr_json_array(&bus, &at, pci, NULL, 0, SIZE_MAX, 0);
	for (i = 0; rc >= 0 && i < json_array_size(pci); i++) {
		struct vr_json_at ea = elem_at(&at, i), da;

		bus = json_array_get(pci, i);
		if ((rc = vr_json_object(&bus, &ea, bus, NULL, 0)) >= 0 &&
		    (rc = vr_json_array(&devs, &ea, bus, "devices", 0,
		    SIZE_MAX, 0)) >= 0) {
			da = member_at(&ea, "devices");
			rc = find_free_ports(s, &da, devs, 0);
			at_free(&da);
		}
		at_free(&ea);
	}
	json_decref(pci);
	return rc < 0 ? rc : 0;
}

/*
 * QEMU 7.2 with TCG corrupts its heap when a vCPU is unplugged; the next
 * device_add of any kind then aborts QEMU (reproduced here every time).
 * The unplug leaves its trace in the ACPI status of the CPU slot (source 3,
 * eject; status 0, done), so it can be seen from a later run too.  A QEMU
 * that lacks one of the queries is not known to be affected; a reply that
 * is not what QEMU sends is an error.
 */
static int
observe_unsafe(struct qconn *c, struct qstate *s)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at, qa;
	json_t *v = NULL, *e;
	int64_t major, minor, source, status;
	const char *type;
	bool kvm;
	size_t i;
	int rc;

	if (vr_qmp_exec(&v, c->q, "query-version", NULL) < 0)
		return 0;
	at = reply_at(src, sizeof(src), c, "query-version");
	qa = at;
	qa.path = "qemu";
	if ((rc = vr_json_object(&e, &at, v, NULL, 0)) < 0 ||
	    (rc = vr_json_object(&e, &at, v, "qemu", 0)) < 0 ||
	    (rc = vr_json_int(&major, &qa, e, "major", 0, INT32_MAX, 0)) < 0 ||
	    (rc = vr_json_int(&minor, &qa, e, "minor", 0, INT32_MAX, 0)) < 0)
		goto out;
	json_decref(v);
	v = NULL;
	if (major != 7 || minor != 2 ||
	    vr_qmp_exec(&v, c->q, "query-kvm", NULL) < 0)
		return 0;
	at = reply_at(src, sizeof(src), c, "query-kvm");
	if ((rc = vr_json_object(&e, &at, v, NULL, 0)) < 0 ||
	    (rc = vr_json_bool(&kvm, &at, v, "enabled", 0)) < 0)
		goto out;
	json_decref(v);
	v = NULL;
	if (kvm || vr_qmp_exec(&v, c->q, "query-acpi-ospm-status", NULL) < 0)
		return 0;
	at = reply_at(src, sizeof(src), c, "query-acpi-ospm-status");
	rc = vr_json_array(&e, &at, v, NULL, 0, SIZE_MAX, 0);
	for (i = 0; rc >= 0 && i < json_array_size(v); i++) {
		struct vr_json_at ea = elem_at(&at, i);

		e = json_array_get(v, i);
		if ((rc = vr_json_object(&e, &ea, e, NULL, 0)) >= 0 &&
		    (rc = vr_json_str(&type, &ea, e, "slot-type", 1,
		    VR_QEMU_NAME_MAX, VR_JSON_PRINT, 0)) >= 0 &&
		    (rc = vr_json_int(&source, &ea, e, "source", 0,
		    ACPI_CODE_MAX, 0)) >= 0 &&
		    (rc = vr_json_int(&status, &ea, e, "status", 0,
		    ACPI_CODE_MAX, 0)) >= 0 &&
		    strcmp(type, "CPU") == 0 && source == 3 && status == 0)
			s->unsafe_hotplug = true;
		at_free(&ea);
	}
out:
	json_decref(v);
	return rc < 0 ? rc : 0;
}

/*
 * The name of a QEMU started without -name: its socket's file name up to
 * the first '.', with every character a VM name may not hold (schema/
 * load.c: letters, digits, '.', '_', '-', a letter or digit first) made
 * '-'; "qemu" when nothing is left.  `get` says so in a comment.
 */
static char *
socket_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *n = vr_strdup(base ? base + 1 : path), *dot = strchr(n, '.');
	size_t i;

	if (dot)
		*dot = '\0';
	for (i = 0; n[i] && i < 63; i++)
		if (!vr_name_char_ok(n[i], i))
			n[i] = i == 0 ? 'q' : '-';
	n[i] = '\0';
	if (!n[0]) {
		free(n);
		n = vr_strdup("qemu");
	}
	return n;
}

/* query-name: QEMU's -name into *name, NULL when it was started without
 * one.  *reply holds the string: the caller drops it. */
static int
query_name(json_t **reply, const char **name, struct qconn *c)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at = reply_at(src, sizeof(src), c, "query-name");
	json_t *o;
	int rc;

	*name = NULL;
	rc = vr_qmp_exec(reply, c->q, "query-name", NULL);
	if (rc < 0)
		return vr_error_wrap(rc, "query-name");
	if ((rc = vr_json_object(&o, &at, *reply, NULL, 0)) < 0 ||
	    (rc = vr_json_str(name, &at, *reply, "name", 1, VR_VM_NAME_MAX,
	    VR_JSON_PRINT, VR_JSON_OPTIONAL)) < 0) {
		json_decref(*reply);
		*reply = NULL;
		return rc;
	}
	return 0;
}

/* Read everything into c->st; `name` (may be NULL) must be QEMU's -name,
 * or, for a QEMU without one, the name socket_name() gives it. */
static int
refresh(struct qconn *c, const char *name)
{
	char src[REPLY_SRC_MAX];
	struct vr_json_at at;
	struct qstate s;
	json_t *r = NULL, *o;
	const char *qname;
	char *unnamed;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = query_name(&r, &qname, c);
	if (rc < 0)
		return rc;
	unnamed = qname ? NULL : socket_name(c->path);
	if (name && strcmp(qname ? qname : unnamed, name) != 0) {
		if (qname)
			rc = vr_error_set(VR_ENOTFOUND, "no VM '%s' behind "
			    "qemu:%s: that QEMU is '%s' (its -name)", name,
			    c->path, qname);
		else
			rc = vr_error_set(VR_ENOTFOUND, "no VM '%s' behind "
			    "qemu:%s: that QEMU was started without -name, "
			    "so vmrecon calls it '%s' after its socket "
			    "(start it with -name %s)", name, c->path,
			    unnamed, name);
		free(unnamed);
		json_decref(r);
		return rc;
	}
	s.unnamed = !qname;
	s.name = qname ? vr_strdup(qname) : unnamed;
	json_decref(r);
	r = NULL;
	rc = vr_qmp_exec(&r, c->q, "query-status", NULL);
	if (rc < 0) {
		vr_error_wrap(rc, "query-status");
		goto fail;
	}
	at = reply_at(src, sizeof(src), c, "query-status");
	if ((rc = vr_json_object(&o, &at, r, NULL, 0)) >= 0)
		rc = vr_json_bool(&s.running, &at, r, "running", 0);
	json_decref(r);
	if (rc < 0 ||
	    (rc = observe_cpus(c, &s)) < 0 ||
	    (rc = observe_memory(c, &s)) < 0 ||
	    (rc = observe_gpus(c, &s)) < 0 ||
	    (rc = observe_ports(c, &s)) < 0 ||
	    (rc = observe_unsafe(c, &s)) < 0)
		goto fail;
	/* a query observe_unsafe found missing is no error */
	vr_error_clear();
	qstate_clear(&c->st);
	c->st = s;
	c->have_st = true;
	return 0;
fail:
	qstate_clear(&s);
	return rc;
}

static const char *
host_gpu_name(const struct qconn *c, const char *addr)
{
	const struct vr_pci_dev *d = vr_hostpci_find(c->hgpus, c->nhgpus,
	    addr);

	return d ? d->name : NULL;
}

static int
qemu_observe(void *conn, const char *name, const struct vr_vm_spec *record,
    struct vr_vm_live *out)
{
	struct qconn *c = conn;
	struct qstate *s = &c->st;
	size_t i, ndda = 0, npv = 0;
	const char *gname = NULL;
	int rc;

	rc = refresh(c, name);
	if (rc < 0)
		return rc;
	out->name = vr_strdup(s->name);
	out->name_from_target = s->unnamed;
	out->running = s->running;
	out->cpu_count = s->cpus;
	out->memory_mb = s->base_mb + s->plugged_mb;
	for (i = 0; i < s->ngpus; i++) {
		if (s->gpus[i].type == VR_GPU_PV) {
			npv++;
			continue;
		}
		if (ndda++ == 0)
			gname = host_gpu_name(c, s->gpus[i].addr);
	}
	if (ndda) {
		out->gpu.type = VR_GPU_DDA;
		out->gpu.count = (int)ndda;
		out->gpu.name = gname ? vr_strdup(gname) : NULL;
	} else if (npv) {
		vr_live_pv_gpu(out, record);
	}
	return 0;
}

static int
qemu_list(void *conn, char ***out, size_t *count)
{
	struct qconn *c = conn;
	json_t *r = NULL;
	const char *n;
	int rc;

	rc = query_name(&r, &n, c);
	if (rc < 0)
		return rc;
	*out = vr_calloc(1, sizeof(char *));
	(*out)[0] = n ? vr_strdup(n) : socket_name(c->path);
	*count = 1;
	json_decref(r);
	return 0;
}

static int64_t
meminfo_total_mb(void)
{
	char *buf = NULL, *p;
	size_t len;
	int64_t kb = 0;

	if (vr_file_read(&buf, &len, "/proc/meminfo", 1 << 16) < 0)
		return 0;
	p = strstr(buf, "MemTotal:");
	if (p)
		kb = strtoll(p + strlen("MemTotal:"), NULL, 10);
	free(buf);
	return kb > 0 ? kb / 1024 : 0;
}

static int
qemu_host(void *conn, struct vr_host *out)
{
	struct qconn *c = conn;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	out->cpus = n > 0 ? (int)n : 0;
	out->memory_mb = meminfo_total_mb();
	vr_hostpci_to_host(out, c->hgpus, c->nhgpus, VR_GPU_DDA);
	if (c->nhgpus && !vr_hostpci_has_iommu(c->sysfs_root))
		out->gpu_blocker = vr_strdup("the host has no IOMMU groups; "
		    "vfio-pci needs the IOMMU on (intel_iommu=on or "
		    "amd_iommu=on)");
	return 0;
}

/* ---- classify --------------------------------------------------------- */

/* Which DIMMs to unplug to free exactly `mb` (vr_dimm_subset). */
static bool
dimm_subset(unsigned long *mask, const struct qstate *s, int64_t mb)
{
	int64_t size_mb[VR_DIMM_SEARCH];
	size_t i;

	for (i = 0; i < s->ndimms && i < VR_DIMM_SEARCH; i++)
		size_mb[i] = s->dimms[i].size_mb;
	return vr_dimm_subset(mask, size_mb, i, mb);
}

/* The GPU part of a plan: which host addresses to add, which devices
 * (indexes into st.gpus) to remove, kept by PCI address so that a restated
 * spec changes nothing. */
struct gpu_plan {
	const char *adds[64];
	size_t nadds;
	size_t removes[64];
	size_t nremoves;
	bool pv_involved;   /* a virtio GPU to add or remove: cold-plug only */
	size_t have;        /* matching host devices free or attached */
};

static void
plan_gpu(struct gpu_plan *p, const struct qconn *c, const struct vr_gpu *to)
{
	const struct qstate *s = &c->st;
	size_t i, j, keep = 0;
	int want = to->count;

	memset(p, 0, sizeof(*p));
	if (want > 64)
		want = 64;
	if (to->count > 0 && to->type == VR_GPU_PV) {
		p->pv_involved = true;
		for (i = 0; i < s->ngpus && p->nremoves < 64; i++)
			if (s->gpus[i].type == VR_GPU_DDA)
				p->removes[p->nremoves++] = i;
		return;
	}
	for (i = 0; i < s->ngpus; i++) {
		const char *n = host_gpu_name(c, s->gpus[i].addr);

		if (s->gpus[i].type == VR_GPU_PV) {
			p->pv_involved = true;
			continue;
		}
		if (to->count > 0 && (int)keep < want && n && to->name &&
		    strcmp(n, to->name) == 0) {
			keep++;
			continue;
		}
		if (p->nremoves < 64)
			p->removes[p->nremoves++] = i;
	}
	p->have = keep;
	for (i = 0; i < c->nhgpus && to->count > 0; i++) {
		const struct vr_pci_dev *d = &c->hgpus[i];
		bool attached = false;

		if (!to->name || strcmp(d->name, to->name) != 0)
			continue;
		for (j = 0; j < s->ngpus; j++)
			if (s->gpus[j].addr &&
			    strcasecmp(s->gpus[j].addr, d->addr) == 0)
				attached = true;
		if (attached)
			continue;
		p->have++;
		if ((int)(keep + p->nadds) < want)
			p->adds[p->nadds++] = d->addr;
	}
}

static int classify_change(struct qconn *c, struct vr_change *ch);

/* Restart mode on QEMU means another command line, which only the
 * operator can give it: every such change is manual (model.h), so no
 * restartPolicy makes apply half-do a VM's spec. */
static int
qemu_classify(void *conn, const struct vr_vm_live *live, struct vr_change *ch)
{
	int rc = classify_change(conn, ch);

	ch->manual = rc == 0 && ch->mode == VR_MODE_RESTART;
	return rc;
}

static int
classify_change(struct qconn *c, struct vr_change *ch)
{
	const struct qstate *s = &c->st;
	int64_t cur = s->base_mb + s->plugged_mb;
	struct gpu_plan gp;
	unsigned long mask;

	if (!c->have_st)
		return vr_error_set(VR_EINVALID, "qemu: classify before "
		    "observe");
	ch->mode = VR_MODE_LIVE;
	free(ch->reason);
	ch->reason = NULL;
	switch (ch->field) {
	case VR_FIELD_CPU_COUNT:
		if (ch->to.i > s->cpus && s->unsafe_hotplug)
			return vr_change_restart(ch, UNSAFE_REASON);
		if (ch->to.i > s->maxcpus)
			return vr_change_restart(ch, "needs maxcpus >= %lld; the VM "
			    "was started with %d (QEMU option -smp %d,"
			    "maxcpus=%lld)", (long long)ch->to.i, s->maxcpus,
			    s->boot_cpus, (long long)ch->to.i);
		if (ch->to.i < s->boot_cpus)
			return vr_change_restart(ch, "the %d vCPUs QEMU was started "
			    "with cannot be unplugged, only hot-plugged ones "
			    "(QEMU option -smp %lld,maxcpus=%d)", s->boot_cpus,
			    (long long)ch->to.i, s->maxcpus);
		return 0;
	case VR_FIELD_MEMORY:
		if (ch->to.i > s->maxmem_mb)
			return vr_change_restart(ch, "needs maxmem >= %lld MB; the "
			    "VM was started with maxmem=%lldM (QEMU option "
			    "-m %lldM,slots=%d,maxmem=%lldM)",
			    (long long)ch->to.i, (long long)s->maxmem_mb,
			    (long long)s->base_mb, s->slots ? s->slots : 4,
			    (long long)ch->to.i);
		if (ch->to.i < s->base_mb)
			return vr_change_restart(ch, "the boot RAM (%lld MB) cannot "
			    "shrink live, only hot-plugged DIMMs can go (QEMU "
			    "option -m %lldM,slots=%d,maxmem=%lldM)",
			    (long long)s->base_mb, (long long)ch->to.i,
			    s->slots, (long long)s->maxmem_mb);
		if (ch->to.i > cur && s->unsafe_hotplug)
			return vr_change_restart(ch, UNSAFE_REASON);
		if (ch->to.i > cur && (ch->to.i - cur) % MEM_STEP_MB)
			return vr_change_restart(ch, "memory is hot-plugged in steps "
			    "of %d MB; %lld MB more is not one",
			    MEM_STEP_MB, (long long)(ch->to.i - cur));
		if (ch->to.i > cur && s->used_slots >= s->slots)
			return vr_change_restart(ch, "needs a free memory slot; all "
			    "%d are in use (QEMU option -m %lldM,slots=%d,"
			    "maxmem=%lldM)", s->slots, (long long)s->base_mb,
			    s->slots + 1, (long long)s->maxmem_mb);
		if (ch->to.i < cur && !dimm_subset(&mask, s, cur - ch->to.i))
			return vr_change_restart(ch, "no set of hot-plugged DIMMs "
			    "adds up to the %lld MB to remove",
			    (long long)(cur - ch->to.i));
		return 0;
	case VR_FIELD_GPU:
		plan_gpu(&gp, c, &ch->to.gpu);
		if (gp.pv_involved)
			return vr_change_restart(ch, "a virtio GPU cannot be "
			    "hot-plugged or unplugged in QEMU 7.2 (QEMU option "
			    "-device virtio-gpu-pci, at start)");
		if (gp.nadds > 0 && s->unsafe_hotplug)
			return vr_change_restart(ch, UNSAFE_REASON);
		if (gp.nadds > s->nports)
			return vr_change_restart(ch, "needs %zu free pcie-root-port"
			    "%s; the VM has %zu (QEMU option -device "
			    "pcie-root-port,id=rpN,bus=pcie.0,chassis=N)",
			    gp.nadds, gp.nadds == 1 ? "" : "s", s->nports);
		return 0;
	case VR_FIELD_RESTART_POLICY:
	case VR_FIELD_RESTART_WINDOWS:
	case VR_FIELD__COUNT:
		break;
	}
	return vr_change_unsupported(ch, "qemu");
}

/* ---- apply ------------------------------------------------------------ */

/* An awaited event: the device it is about, and the error of one of the
 * awaited kind that came malformed (the predicate takes such an event,
 * which ends the wait, and the waiter returns `rc`). */
struct event_match {
	const struct qconn *c;
	const char *id;
	int rc;
};

/* If `ev` is the event `name`: 1, its data object in *data and in *at
 * the reader context at "data" (its source in `buf`).  0 for another
 * event; m->rc and a negative code for a malformed one. */
static int
event_data(json_t **data, struct vr_json_at *at, char *buf, size_t size,
    const json_t *ev, const char *name, struct event_match *m)
{
	char what[64];
	int rc;

	if (strcmp(json_string_value(json_object_get(ev, "event")),
	    name) != 0)
		return 0;
	snprintf(what, sizeof(what), "event %s", name);
	*at = reply_at(buf, size, m->c, what);
	rc = vr_json_object(data, at, ev, "data", 0);
	at->path = "data";
	if (rc < 0)
		m->rc = rc;
	return rc;
}

/* ACPI_DEVICE_OST for a finished CPU eject: source 3 (eject), status 0.
 * (QEMU 7.2 sends no DEVICE_DELETED for a CPU's own id.) */
static bool
is_cpu_ejected(const json_t *ev, void *arg)
{
	struct event_match *m = arg;
	char src[REPLY_SRC_MAX];
	struct vr_json_at at, ia;
	json_t *data, *info;
	const char *dev = NULL;
	int64_t source, status;
	int rc;

	rc = event_data(&data, &at, src, sizeof(src), ev, "ACPI_DEVICE_OST",
	    m);
	if (rc <= 0)
		return rc < 0;
	ia = at;
	ia.path = "data.info";
	if ((rc = vr_json_object(&info, &at, data, "info", 0)) < 0 ||
	    (rc = vr_json_str(&dev, &ia, info, "device", 0, VR_QEMU_NAME_MAX,
	    VR_JSON_PRINT, VR_JSON_OPTIONAL)) < 0 ||
	    (rc = vr_json_int(&source, &ia, info, "source", 0, ACPI_CODE_MAX,
	    0)) < 0 ||
	    (rc = vr_json_int(&status, &ia, info, "status", 0, ACPI_CODE_MAX,
	    0)) < 0) {
		m->rc = rc;
		return true;
	}
	return source == 3 && status == 0 &&
	    (!dev || !*dev || strcmp(dev, m->id) == 0);
}

/* DEVICE_DELETED for m->id ("device" is absent for a device without an
 * id). */
static bool
is_deleted(const json_t *ev, void *arg)
{
	struct event_match *m = arg;
	char src[REPLY_SRC_MAX];
	struct vr_json_at at;
	const char *dev = NULL;
	json_t *data;
	int rc;

	rc = event_data(&data, &at, src, sizeof(src), ev, "DEVICE_DELETED",
	    m);
	if (rc <= 0)
		return rc < 0;
	rc = vr_json_str(&dev, &at, data, "device", 0, VR_QEMU_NAME_MAX,
	    VR_JSON_PRINT, VR_JSON_OPTIONAL);
	if (rc < 0) {
		m->rc = rc;
		return true;
	}
	return dev && strcmp(dev, m->id) == 0;
}

/* device_del, then wait for DEVICE_DELETED. */
static int
unplug(struct qconn *c, const char *id, const char *what)
{
	struct event_match m = { c, id, 0 };
	long long t0 = vr_clock_ms();
	int rc;

	note(c, "removing %s %s ...", what, id);
	rc = vr_qmp_execf(NULL, c->q, "device_del", "{s:s}", "id", id);
	if (rc < 0)
		return vr_error_wrap(rc, "device_del %s", id);
	rc = vr_qmp_wait_event(NULL, c->q, is_deleted, &m, c->timeout_ms);
	if (rc == 0 && m.rc < 0)
		return m.rc;
	if (rc == VR_ETIMEOUT)
		return vr_error_set(rc, "%s %s was not removed within %d ms "
		    "(does the guest handle ACPI hot-unplug?)", what, id,
		    c->timeout_ms);
	if (rc < 0)
		return rc;
	note(c, "removed %s %s in %.2f s", what, id, vr_clock_since_s(t0));
	return 0;
}

static int
gpu_add(struct qconn *c, const char *addr, size_t *port)
{
	const char *bus = c->st.ports[(*port)++];
	char *id = gpu_id_for(addr);
	long long t0 = vr_clock_ms();
	json_t *args;
	int rc;

	/* production: pass the host device through with vfio-pci; the
	 * test-only stand-in is an emulated display device of the same
	 * shape on the same root port */
	if (c->standin)
		args = json_pack("{s:s, s:s, s:s}", "driver", c->standin,
		    "id", id, "bus", bus);
	else
		args = json_pack("{s:s, s:s, s:s, s:s}", "driver", "vfio-pci",
		    "id", id, "host", addr, "bus", bus);
	note(c, "adding GPU %s on %s (%s) ...", addr, bus,
	    c->standin ? c->standin : "vfio-pci");
	rc = vr_qmp_exec(NULL, c->q, "device_add", args);
	json_decref(args);
	if (rc < 0)
		vr_error_wrap(rc, "device_add %s,host=%s,bus=%s refused by "
		    "QEMU", c->standin ? c->standin : "vfio-pci", addr, bus);
	else
		note(c, "added GPU %s in %.3f s", addr, vr_clock_since_s(t0));
	free(id);
	return rc;
}

static bool
id_used(const struct qstate *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->ndimms; i++)
		if (strcmp(s->dimms[i].id, id) == 0 ||
		    strcmp(s->dimms[i].memdev, id) == 0)
			return true;
	return false;
}

static int
memory_add(struct qconn *c, int64_t mb)
{
	long long t0 = vr_clock_ms();
	char mem[32], dimm[32];
	int i, rc;

	for (i = 0; i < 1000; i++) {
		snprintf(mem, sizeof(mem), "vrmem-%d", i);
		snprintf(dimm, sizeof(dimm), "vrdimm-%d", i);
		if (!id_used(&c->st, mem) && !id_used(&c->st, dimm))
			break;
	}
	note(c, "adding %lld MB as pc-dimm %s ...", (long long)mb, dimm);
	rc = vr_qmp_execf(NULL, c->q, "object-add", "{s:s, s:s, s:I}",
	    "qom-type", "memory-backend-ram", "id", mem, "size",
	    (json_int_t)(mb * MIB));
	if (rc < 0)
		return vr_error_wrap(rc, "object-add memory-backend-ram "
		    "size=%lldM refused by QEMU", (long long)mb);
	rc = vr_qmp_execf(NULL, c->q, "device_add", "{s:s, s:s, s:s}",
	    "driver", "pc-dimm", "id", dimm, "memdev", mem);
	if (rc < 0) {
		char msg[sizeof(vr_error_last()->msg)];

		memcpy(msg, vr_error_msg(), sizeof(msg));
		vr_qmp_execf(NULL, c->q, "object-del", "{s:s}", "id", mem);
		return vr_error_set(rc, "device_add pc-dimm %s refused by "
		    "QEMU: %s", dimm, msg);
	}
	note(c, "added %lld MB in %.3f s", (long long)mb, vr_clock_since_s(t0));
	return 0;
}

static int
memory_remove(struct qconn *c, int64_t mb)
{
	unsigned long mask;
	size_t i;
	int rc;

	if (!dimm_subset(&mask, &c->st, mb))
		return vr_error_set(VR_ECONFLICT, "no set of hot-plugged "
		    "DIMMs adds up to %lld MB any more", (long long)mb);
	for (i = 0; i < c->st.ndimms && i < VR_DIMM_SEARCH; i++) {
		if (!(mask & (1UL << i)))
			continue;
		rc = unplug(c, c->st.dimms[i].id, "pc-dimm");
		if (rc < 0)
			return rc;
		rc = vr_qmp_execf(NULL, c->q, "object-del", "{s:s}", "id",
		    c->st.dimms[i].memdev);
		if (rc < 0)
			return vr_error_wrap(rc, "object-del %s",
			    c->st.dimms[i].memdev);
	}
	return 0;
}

static int
cpus_add(struct qconn *c, int n)
{
	json_t *e;
	size_t i;
	int rc;

	/* QEMU lists the highest slot first: fill from the lowest.  Each
	 * slot's type and props passed read_cpu_slot at observe. */
	for (i = json_array_size(c->st.hotcpus); i-- > 0 && n > 0;) {
		json_t *props, *args, *v;
		const char *k, *type;
		char id[96] = "vrcpu";
		long long t0 = vr_clock_ms();
		size_t len = strlen(id);

		e = json_array_get(c->st.hotcpus, i);
		props = json_object_get(e, "props");
		type = json_string_value(json_object_get(e, "type"));
		if (json_object_get(e, "qom-path") || !type ||
		    !json_is_object(props))
			continue;
		args = json_pack("{s:s}", "driver", type);
		json_object_foreach(props, k, v) {
			json_object_set(args, k, v);
			if (json_is_integer(v) && len + 12 < sizeof(id))
				len += (size_t)snprintf(id + len,
				    sizeof(id) - len, "-%lld",
				    (long long)json_integer_value(v));
		}
		json_object_set_new(args, "id", json_string(id));
		note(c, "adding vCPU %s ...", id);
		rc = vr_qmp_exec(NULL, c->q, "device_add", args);
		json_decref(args);
		if (rc < 0)
			return vr_error_wrap(rc, "device_add %s,id=%s refused "
			    "by QEMU", type, id);
		note(c, "added vCPU %s in %.3f s", id, vr_clock_since_s(t0));
		n--;
	}
	if (n > 0)
		return vr_error_set(VR_EBACKEND, "no free vCPU slot left for "
		    "%d more", n);
	return 0;
}

static bool
cpu_present(struct qconn *c, const char *qom_path, int *rc)
{
	json_t *cpus = NULL, *e;
	bool found = false;
	size_t i;

	*rc = query_cpus(&cpus, c);
	if (*rc < 0)
		return true;
	json_array_foreach(cpus, i, e)
		if (strcmp(json_string_value(json_object_get(e, "qom-path")),
		    qom_path) == 0)
			found = true;
	json_decref(cpus);
	return found;
}

/* Unplug n hot-plugged vCPUs.  Completion is ACPI_DEVICE_OST source 3
 * status 0 or the vCPU leaving query-cpus-fast, whichever is seen first. */
static int
cpus_remove(struct qconn *c, int n)
{
	size_t i;
	int rc;

	for (i = 0; i < json_array_size(c->st.hotcpus) && n > 0; i++) {
		json_t *e = json_array_get(c->st.hotcpus, i);
		const char *qp = json_string_value(json_object_get(e,
		    "qom-path"));
		long long t0 = vr_clock_ms(), deadline;
		struct event_match m = { c, NULL, 0 };
		char *path;

		if (!starts_with(qp, "/machine/peripheral"))
			continue;
		path = vr_strdup(qp);
		m.id = starts_with(qp, "/machine/peripheral/") ?
		    path_base(path) : path;
		note(c, "removing vCPU %s ...", m.id);
		rc = vr_qmp_execf(NULL, c->q, "device_del", "{s:s}", "id",
		    m.id);
		if (rc < 0) {
			vr_error_wrap(rc, "device_del %s", m.id);
			free(path);
			return rc;
		}
		deadline = vr_clock_ms() + c->timeout_ms;
		for (;;) {
			rc = vr_qmp_wait_event(NULL, c->q, is_cpu_ejected, &m,
			    200);
			if (rc == 0 && m.rc < 0)
				rc = m.rc;
			if (rc < 0 && rc != VR_ETIMEOUT)
				break;
			if (!cpu_present(c, path, &rc) || rc < 0)
				break;
			if (vr_clock_ms() > deadline) {
				rc = vr_error_set(VR_ETIMEOUT, "vCPU %s was "
				    "not removed within %d ms (does the "
				    "guest handle ACPI CPU hot-unplug?)",
				    m.id, c->timeout_ms);
				break;
			}
		}
		if (rc < 0) {
			free(path);
			return rc;
		}
		note(c, "removed vCPU %s in %.2f s", m.id, vr_clock_since_s(t0));
		free(path);
		n--;
	}
	if (n > 0)
		return vr_error_set(VR_EBACKEND, "%d more vCPUs to remove but "
		    "none is hot-plugged", n);
	return 0;
}

/* Step of change ch failed with rc.  Its outcome stays unknown (ch->sent)
 * unless QEMU refused the change's first command cleanly (a QMP error
 * reply; the connection still in step), so nothing of it happened. */
static int
step_failed(const struct qconn *c, struct vr_change *ch, int rc, bool first)
{
	if (first && rc == VR_EBACKEND && vr_qmp_usable(c->q))
		ch->sent = false;
	return rc;
}

static int
qemu_apply(void *conn, struct vr_apply_request *req)
{
	struct qconn *c = conn;
	struct vr_change *cpu = NULL, *mem = NULL, *gpu = NULL;
	char refused[1024] = "";
	struct gpu_plan gp;
	size_t i, port = 0;
	int64_t cur;
	int rc;

	if ((rc = vr_changes_supported(req->changes, req->nchanges,
	    QEMU_FIELDS, "qemu")) < 0)
		return rc;
	rc = refresh(c, req->spec->name);
	if (rc < 0)
		return rc;
	cur = c->st.base_mb + c->st.plugged_mb;
	for (i = 0; i < req->nchanges; i++) {
		struct vr_change *ch = &req->changes[i];

		/* restart mode means another QEMU command line, which is
		 * not ours to change: never applied here, even when the
		 * spec allows a restart */
		if (ch->mode == VR_MODE_RESTART) {
			size_t l = strlen(refused);

			snprintf(refused + l, sizeof(refused) - l, "%s%s: %s",
			    l ? "; " : "", vr_field_name(ch->field),
			    ch->reason ? ch->reason : "needs a restart");
			continue;
		}
		switch (ch->field) {
		case VR_FIELD_CPU_COUNT:
			cpu = ch;
			break;
		case VR_FIELD_MEMORY:
			mem = ch;
			break;
		case VR_FIELD_GPU:
			gpu = ch;
			break;
		case VR_FIELD_RESTART_POLICY:
		case VR_FIELD_RESTART_WINDOWS:
		case VR_FIELD__COUNT:
			return vr_change_unsupported(ch, "qemu");
		}
	}
	memset(&gp, 0, sizeof(gp));
	if (gpu) {
		plan_gpu(&gp, c, &gpu->to.gpu);
		if ((int)(gp.have) < gpu->to.gpu.count)
			return vr_error_set(VR_ENOTFOUND, "the host has %zu "
			    "'%s' to give, not %d", gp.have,
			    gpu->to.gpu.name ? gpu->to.gpu.name : "?",
			    gpu->to.gpu.count);
		if (gp.nadds > c->st.nports)
			return vr_error_set(VR_ECONFLICT, "not enough free "
			    "pcie-root-ports any more");
	}

	if (c->st.unsafe_hotplug && ((mem && mem->to.i > cur) ||
	    (cpu && cpu->to.i > c->st.cpus) || gp.nadds > 0))
		return vr_error_set(VR_ECONFLICT, "%s", UNSAFE_REASON);

	/*
	 * The order is adds first, removes after, and a vCPU removal last of
	 * all.  Adds first so the guest never has less than both the old and
	 * the new spec give it.  vCPU removal last because QEMU 7.2 under TCG
	 * corrupts its heap once a vCPU has been unplugged: the next
	 * device_add of any kind (CPU, DIMM, PCI) aborts QEMU with "corrupted
	 * double-linked list" (measured 6 of 6 runs, also through libvirt).
	 * Nothing is hot-plugged after a vCPU unplug in one apply, and the
	 * notes in qemu.md tell operators the same for the next one.
	 *
	 * Each change is marked sent before its first command; a failure
	 * leaves it unknown unless QEMU refused its only or first command
	 * (step_failed).
	 */
	if (mem && mem->to.i > cur) {
		mem->sent = true;
		rc = memory_add(c, mem->to.i - cur);
		if (rc < 0)
			return step_failed(c, mem, rc, true);
		mem->applied = true;
	}
	if (cpu && cpu->to.i > c->st.cpus) {
		cpu->sent = true;
		rc = cpus_add(c, (int)(cpu->to.i - c->st.cpus));
		if (rc < 0)
			return step_failed(c, cpu, rc,
			    cpu->to.i - c->st.cpus == 1);
		cpu->applied = true;
	}
	if (gpu)
		gpu->sent = gp.nadds > 0 || gp.nremoves > 0;
	for (i = 0; gpu && i < gp.nadds; i++) {
		rc = gpu_add(c, gp.adds[i], &port);
		if (rc < 0)
			return step_failed(c, gpu, rc, i == 0);
	}
	if (gpu && gp.nremoves == 0)
		gpu->applied = true;
	for (i = 0; gpu && i < gp.nremoves; i++) {
		rc = unplug(c, c->st.gpus[gp.removes[i]].id, "GPU");
		if (rc < 0)
			return step_failed(c, gpu, rc, i == 0 &&
			    gp.nadds == 0);
	}
	if (gpu)
		gpu->applied = true;
	if (mem && mem->to.i < cur) {
		mem->sent = true;
		rc = memory_remove(c, cur - mem->to.i);
		if (rc < 0)
			return step_failed(c, mem, rc, false);
	}
	if (mem)
		mem->applied = true;
	if (cpu && cpu->to.i < c->st.cpus) {
		cpu->sent = true;
		rc = cpus_remove(c, (int)(c->st.cpus - cpu->to.i));
		if (rc < 0)
			return step_failed(c, cpu, rc,
			    c->st.cpus - cpu->to.i == 1);
	}
	if (cpu)
		cpu->applied = true;
	c->have_st = false;
	if (refused[0])
		return vr_error_set(VR_EUNSUPPORTED, "vmrecon does not own "
		    "QEMU's command line; restart QEMU with other options "
		    "for: %s", refused);
	return 0;
}

const struct vr_driver vr_qemu_driver = {
	.name = "qemu",
	.fields = QEMU_FIELDS,
	.open = qemu_open,
	.close = qemu_close,
	.host = qemu_host,
	.list = qemu_list,
	.observe = qemu_observe,
	.classify = qemu_classify,
	.apply = qemu_apply,
};
