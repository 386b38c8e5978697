/* backend.c - the registry of backends (built in and modules), dispatch to
 * their drivers, and the few helpers drivers share (a change's restart
 * reason, which DIMMs to unplug, a virtio GPU's observed name). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/field.h"
#include "../schema/suggest.h"
#include "../schema/util/error.h"
#include "../schema/util/module.h"
#include "backend.h"

/*
 * Every backend vmrecon knows, built in or a module (schema/util/module.h): a
 * module backend's driver table is the api of module vmrecon-NAME.so,
 * opened only when that backend is asked for.
 */
extern const struct vr_driver vr_sim_driver;
extern const struct vr_driver vr_eflow_driver;
extern const struct vr_driver vr_hyperv_driver;
extern const struct vr_driver vr_qemu_driver;

#ifdef VR_HAVE_LIBVIRT
#define LIBVIRT_NOT_BUILT NULL
#else
#define LIBVIRT_NOT_BUILT "not built: pkg-config found no libvirt and " \
	"libxml-2.0 when this vmrecon was built (install libvirt-dev)"
#endif

static const struct vr_backend_entry registry[] = {
	{ .name = "sim", .driver = &vr_sim_driver,
	  .target_help = "a JSON file holding a simulated host and its VMs "
	  "(default: STATE_DIR/sim.json, created on first use)" },
	{ .name = "eflow", .driver = &vr_eflow_driver,
	  .target_help = "the PowerShell launcher, split on blanks (default "
	  "powershell.exe; e.g. 'ssh admin@host powershell'), started once "
	  "and kept; 'per-call:LAUNCHER' starts it for every call" },
	{ .name = "hyperv", .driver = &vr_hyperv_driver,
	  .target_help = "the PowerShell launcher of the Hyper-V host, as for "
	  "eflow (default powershell.exe; e.g. 'ssh admin@host powershell'), "
	  "started once and kept; 'per-call:LAUNCHER' starts it for every "
	  "call" },
	{ .name = "qemu", .driver = &vr_qemu_driver,
	  .target_help = "the VM's QMP unix socket (-qmp unix:PATH,server=on)" },
	{ .name = "libvirt", .module = "libvirt",
	  .not_built = LIBVIRT_NOT_BUILT,
	  .target_help = "a libvirt URI (default qemu:///system; e.g. "
	  "test:///default)" },
	{ .name = NULL },
};

struct vr_backend {
	const struct vr_driver *drv;
	void *conn;
	char *desc;
	char *implicit; /* vr_backend_set_implicit's file */
};

const struct vr_backend_entry *
vr_backend_registry(void)
{
	return registry;
}

/* The driver of entry e, loading its module; NULL with the error set. */
static const struct vr_driver *
entry_driver(const struct vr_backend_entry *e)
{
	const struct vr_driver *drv;

	if (e->driver)
		return e->driver;
	if (e->not_built)
		return vr_error_set(VR_EUNSUPPORTED, "the %s backend is %s",
		    e->name, e->not_built), NULL;
	if (!(drv = vr_module_load(e->module)))
		return vr_error_wrap(vr_error_last()->code, "the %s backend",
		    e->name), NULL;
	return drv;
}

/* The registry entry of "KIND[:TARGET]", or NULL with the error set. */
static const struct vr_backend_entry *
entry_find(const char *kind_target)
{
	const char *colon = strchr(kind_target, ':');
	size_t klen = colon ? (size_t)(colon - kind_target) :
	    strlen(kind_target);
	const char *known[sizeof(registry) / sizeof(registry[0])];
	const struct vr_backend_entry *e;
	const char *near;
	char names[256] = "";
	size_t i = 0;

	for (e = registry; e->name; e++) {
		if (strlen(e->name) == klen &&
		    strncmp(e->name, kind_target, klen) == 0)
			return e;
		snprintf(names + strlen(names), sizeof(names) -
		    strlen(names), "%s%s", e == registry ? "" : ", ", e->name);
		known[i++] = e->name;
	}
	known[i] = NULL;
	near = vr_suggest_near(kind_target, klen, known);
	if (near)
		return vr_error_set(VR_EINVALID, "unknown backend '%.*s'; did "
		    "you mean '%s'? (this vmrecon has: %s)", (int)klen,
		    kind_target, near, names), NULL;
	return vr_error_set(VR_EINVALID, "unknown backend '%.*s' (this "
	    "vmrecon has: %s)", (int)klen, kind_target, names), NULL;
}

int
vr_backend_kind_check(const char *kind_target)
{
	return entry_find(kind_target) ? 0 : VR_EINVALID;
}

int
vr_backend_names_fold_case(const char *kind_target)
{
	const struct vr_backend_entry *e = entry_find(kind_target);

	if (!e)
		return VR_EINVALID;
	/* a module's backend (libvirt) compares names as they are */
	return e->driver && e->driver->names_fold_case;
}

int
vr_backend_open(struct vr_backend **out, const char *kind_target,
    const struct vr_backend_options *opts)
{
	const char *colon = strchr(kind_target, ':');
	const char *target = colon ? colon + 1 : "";
	const struct vr_backend_entry *e;
	const struct vr_driver *drv;
	struct vr_backend *b;
	int rc;

	*out = NULL;
	if (!(e = entry_find(kind_target)))
		return VR_EINVALID;
	if (!(drv = entry_driver(e)))
		return vr_error_last()->code;
	if ((rc = vr_backend_open_driver(&b, drv, target, opts)) < 0)
		return rc;
	free(b->desc);
	b->desc = vr_strdup(kind_target);
	*out = b;
	return 0;
}

int
vr_backend_open_driver(struct vr_backend **out, const struct vr_driver *drv,
    const char *target, const struct vr_backend_options *opts)
{
	struct vr_backend *b;
	int rc;

	*out = NULL;
	if (opts && opts->version != VR_BACKEND_OPTIONS_VERSION)
		return vr_error_set(VR_EINVALID, "backend options version %u "
		    "is not %u", opts->version, VR_BACKEND_OPTIONS_VERSION);
	b = vr_calloc(1, sizeof(*b));
	b->drv = drv;
	rc = drv->open(&b->conn, target, opts);
	if (rc < 0) {
		free(b);
		return rc;
	}
	b->desc = target[0] ? vr_asprintf("%s:%s", drv->name, target) :
	    vr_strdup(drv->name);
	*out = b;
	return 0;
}

void
vr_backend_free(struct vr_backend *b)
{
	if (!b)
		return;
	if (b->drv->close)
		b->drv->close(b->conn);
	free(b->desc);
	free(b->implicit);
	free(b);
}

void
vr_backend_set_implicit(struct vr_backend *b, const char *file)
{
	free(b->implicit);
	b->implicit = vr_strdup(file);
}

const char *
vr_backend_implicit(const struct vr_backend *b)
{
	return b->implicit;
}

const char *
vr_backend_kind(const struct vr_backend *b)
{
	return b->drv->name;
}

const char *
vr_backend_desc(const struct vr_backend *b)
{
	return b->desc;
}

unsigned
vr_backend_fields(const struct vr_backend *b)
{
	return b->drv->fields;
}

static int
unsupported(const struct vr_backend *b, const char *what)
{
	return vr_error_set(VR_EUNSUPPORTED, "the %s backend cannot %s",
	    b->drv->name, what);
}

/* VR_EUNSUPPORTED if the driver does not support field f, else 0. */
static int
check_field(const struct vr_backend *b, enum vr_field f)
{
	char *has;
	int rc;

	if (b->drv->fields & VR_FIELD_BIT(f))
		return 0;
	has = vr_fields_text(b->drv->fields);
	rc = vr_error_set(VR_EUNSUPPORTED, "the %s backend does not support "
	    "%s (it supports %s)", b->drv->name, vr_field_name(f), has);
	free(has);
	return rc;
}

int
vr_backend_host(struct vr_backend *b, struct vr_host *out)
{
	memset(out, 0, sizeof(*out));
	if (!b->drv->host)
		return 0; /* no limits known: preflight checks nothing */
	return b->drv->host(b->conn, out);
}

int
vr_backend_list(struct vr_backend *b, char ***out, size_t *count)
{
	*out = NULL;
	*count = 0;
	if (!b->drv->list)
		return unsupported(b, "list its VMs");
	return b->drv->list(b->conn, out, count);
}

int
vr_backend_observe(struct vr_backend *b, const char *name,
    const struct vr_vm_spec *record, struct vr_vm_live *out)
{
	memset(out, 0, sizeof(*out));
	if (!b->drv->observe)
		return unsupported(b, "observe a VM");
	return b->drv->observe(b->conn, name, record, out);
}

int
vr_backend_classify(struct vr_backend *b, const struct vr_vm_live *live,
    struct vr_change *c)
{
	int rc;

	if ((rc = check_field(b, c->field)) < 0)
		return rc;
	if (!b->drv->classify) {
		c->mode = VR_MODE_RESTART;
		return 0;
	}
	return b->drv->classify(b->conn, live, c);
}

void
vr_live_pv_gpu(struct vr_vm_live *out, const struct vr_vm_spec *record)
{
	/* a virtio GPU names no host GPU: keep the name last applied */
	out->gpu.type = VR_GPU_PV;
	out->gpu.count = 1;
	out->gpu.name = vr_strdup(record && record->gpu_want == VR_GPU_WANT &&
	    record->gpu.type == VR_GPU_PV && record->gpu.name ?
	    record->gpu.name : "virtio-gpu");
}

bool
vr_dimm_subset(unsigned long *mask, const int64_t *size_mb, size_t n,
    int64_t mb)
{
	unsigned long m, best = 0;
	int bestcount = VR_DIMM_SEARCH + 1;

	if (n > VR_DIMM_SEARCH)
		n = VR_DIMM_SEARCH;
	for (m = 1; m < (1UL << n); m++) {
		int64_t sum = 0;
		int cnt = 0;
		size_t i;

		for (i = 0; i < n; i++)
			if (m & (1UL << i)) {
				sum += size_mb[i];
				cnt++;
			}
		if (sum == mb && cnt < bestcount) {
			best = m;
			bestcount = cnt;
		}
	}
	*mask = best;
	return best != 0;
}

int
vr_change_restart(struct vr_change *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->mode = VR_MODE_RESTART;
	free(c->reason);
	c->reason = vr_strdup(buf);
	return 0;
}

int
vr_change_unsupported(const struct vr_change *c, const char *backend)
{
	return vr_error_set(VR_EUNSUPPORTED, "%s: a change of %s, which this "
	    "backend does not support", backend, vr_field_name(c->field));
}

int
vr_changes_supported(const struct vr_change *c, size_t n, unsigned fields,
    const char *backend)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(fields & VR_FIELD_BIT(c[i].field)))
			return vr_change_unsupported(&c[i], backend);
	return 0;
}

int
vr_backend_preflight(struct vr_backend *b, const struct vr_host *host,
    const struct vr_vm_spec *spec, const struct vr_vm_live *live,
    const struct vr_change *changes, size_t nchanges,
    struct vr_diags *diags, const char *path)
{
	if (!b->drv->preflight)
		return 0;
	return b->drv->preflight(b->conn, host, spec, live, changes, nchanges,
	    diags, path);
}

int
vr_backend_apply(struct vr_backend *b, struct vr_apply_request *req)
{
	size_t i;
	int rc;

	if (!b->drv->apply)
		return unsupported(b, "apply changes");
	for (i = 0; i < req->nchanges; i++)
		if ((rc = check_field(b, req->changes[i].field)) < 0)
			return rc;
	return b->drv->apply(b->conn, req);
}

int
vr_backend_flush(struct vr_backend *b)
{
	return b->drv->flush ? b->drv->flush(b->conn) : 0;
}

void
vr_backend_forget(struct vr_backend *b)
{
	if (b->drv->forget)
		b->drv->forget(b->conn);
}

bool
vr_backend_buffers(const struct vr_backend *b)
{
	return b->drv->flush != NULL;
}

void
vr_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
vr_progress(bool on, const char *who, const char *fmt, ...)
{
	va_list ap;

	if (!on)
		return;
	fprintf(stderr, "%s: ", who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
