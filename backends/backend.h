/*
 * backend.h - the driver table: one struct of functions per hypervisor,
 * as libvirt has one driver table per hypervisor.
 *
 * A driver fills the slots it supports with designated initializers; a NULL
 * slot means "unsupported" (VR_EUNSUPPORTED), except classify (NULL: every
 * change needs a restart) and preflight (NULL: no backend-specific checks).
 * What it supports of the spec is data too: `fields`, the reconciled
 * fields it observes, classifies and applies.  The reconciler refuses a
 * spec that manages any other field, at that field's FILE:LINE:COL, before
 * the driver's classify or apply sees a change of it
 * (reconciler/engine/plan.c), and vr_backend_classify/_apply refuse such a
 * change too, so a field added to the model (schema/field.h) is never
 * silently accepted by a backend that does not know it.
 * Drivers return 0 or a VR_E* code with vr_error_set() called where the
 * failure happened, in the backend's own words where it gave any.
 *
 * The reconciler only talks to a backend through the vr_backend_* calls
 * below.  Backends never include reconciler/.
 *
 * Settings reach a driver as typed fields of struct vr_backend_options,
 * filled from command-line options (reconciler/cli/cli.c,
 * vr_cli_backend_open: --state-dir, --backend-timeout).  An environment
 * variable is only a documented fallback for a field the command line left
 * unset (VMRECON_EFLOW_TIMEOUT_MS), or a test setting (VMRECON_SYSFS_ROOT,
 * VMRECON_QEMU_GPU_STANDIN, the *_VERBOSE ones), read with the bounded
 * parsers of schema/util/units.h and listed under ENVIRONMENT in vmrecon.1.
 *
 * Adding a backend (the recipe):
 *   1. backends/NAME.c: `const struct vr_driver vr_NAME_driver` with the
 *      slots it supports (a comment atop saying what it drives) and the
 *      fields it supports; its classify and apply switch over enum
 *      vr_field with a case for every value and no `default:` (those it
 *      does not support return VR_EUNSUPPORTED), so -Wswitch names them
 *      when a field is added; it reads its settings from
 *      vr_backend_options, bounds everything the hypervisor returns, and
 *      sets errors in the hypervisor's words.
 *      Built in, the Makefile's wildcard over backends/ picks it up.
 *   2. backend.c: one `extern const struct vr_driver vr_NAME_driver;` and
 *      one row in registry[], with what its TARGET means (its order is
 *      the order `vmrecon version`, the unknown-backend message and
 *      --help list them; --help's --backend line and list of targets are
 *      made from it).
 *      Or, for a backend with a library the core must not link: a module.
 *      backends/mod_NAME.c (its VR_MODULE_DEFINE, like mod_libvirt.c), its
 *      sources and module rule in the Makefile (as VIRT_SRC and
 *      vmrecon-libvirt.so), and a row with .module = "NAME" and
 *      .not_built saying why it may not be built.
 *   3. A setting every backend could use: a field here (bump
 *      VR_BACKEND_OPTIONS_VERSION) and an option row in
 *      reconciler/cli/options.c (its recipe: options.h).  One only this
 *      backend needs: part of its TARGET, or an option too.
 *   4. The names users see beyond --help: the --backend item in
 *      reconciler/cli/vmrecon.1, `backends=` in
 *      examples/vmrecon.bash-completion, and a row of the first table
 *      under README.md's "Backends" (t0120 checks them and --help against
 *      the registry, so a forgotten one fails `make test`).
 *   5. Tests: tests/unit/test_NAME.c for its parsing and refusals on
 *      hostile input; tests/e2e/tNNNN-NAME.sh against the real thing
 *      (tests/README.md says which numbers).
 */
#ifndef VR_BACKEND_H
#define VR_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "../schema/diag.h"
#include "../schema/model.h"

#define VR_BACKEND_OPTIONS_VERSION 1

struct vr_backend_options {
	unsigned version;
	const char *state_dir; /* default targets live here (sim.json) */
	int timeout_ms;        /* per backend operation; 0 = driver default */
	bool progress;         /* may draw progress on stderr (a TTY) */
	const char *sysfs_root; /* host PCI discovery root; NULL = "/sys" */
	bool read_only;        /* diff, get: create and write nothing */
};

#define VR_BACKEND_OPTIONS_INIT { VR_BACKEND_OPTIONS_VERSION, NULL, 0, \
	false, NULL, false }

/* What apply is asked to do for one VM. */
struct vr_apply_request {
	const struct vr_vm_spec *spec; /* desired; unset fields are unmanaged */
	const struct vr_vm_live *live; /* observed just before */
	struct vr_change *changes;     /* to apply now; driver sets ->applied */
	size_t nchanges;
	bool may_restart;              /* the VM may be restarted (once) */
};

struct vr_driver {
	const char *name;        /* "sim", "eflow", "qemu", "libvirt" */
	/* The reconciled fields (VR_FIELD_BIT) it observes, classifies and
	 * applies; only changes of these reach classify and apply. */
	unsigned fields;

	int (*open)(void **out, const char *target,
	    const struct vr_backend_options *opts);
	void (*close)(void *conn);

	/* Host limits for preflight (zeroes where unknown). */
	int (*host)(void *conn, struct vr_host *out);

	/* Names of every VM the backend knows. */
	int (*list)(void *conn, char ***out, size_t *count);

	/* The VM's live state; VR_ENOTFOUND if there is no such VM.  `record`
	 * is the last spec vmrecon applied to it (NULL if none), for what the
	 * backend cannot observe itself (EFLOW's GPU name and type). */
	int (*observe)(void *conn, const char *name,
	    const struct vr_vm_spec *record, struct vr_vm_live *out);

	/* Decide c->mode (and c->reason when it needs a restart); a change
	 * of a field not in `fields` is VR_EUNSUPPORTED. */
	int (*classify)(void *conn, const struct vr_vm_live *live,
	    struct vr_change *c);

	/* Backend-specific refusals, added to diags (at the spec's positions);
	 * run before anything is applied. */
	int (*preflight)(void *conn, const struct vr_host *host,
	    const struct vr_vm_spec *spec, const struct vr_vm_live *live,
	    const struct vr_change *changes, size_t nchanges,
	    struct vr_diags *diags, const char *path);

	/* Apply req->changes; mark each one done with ->applied = true.  On
	 * failure return an error: the reconciler reports which were applied.
	 * A change of a field not in `fields` is VR_EUNSUPPORTED, refused
	 * before anything is sent. */
	int (*apply)(void *conn, struct vr_apply_request *req);

	/* Make what apply did durable.  NULL: each apply is durable when it
	 * returns.  A driver with flush may keep applied changes in memory
	 * (observe sees them) until flush, which the reconciler calls once at
	 * the end of a pass, before it records the pass. */
	int (*flush)(void *conn);

	/* Its VM names compare without regard to case (EFLOW: Windows
	 * names), so two documents naming one VM in different case are one
	 * VM; `validate --backend` checks that without opening it. */
	bool names_fold_case;

	/* Drop what the driver kept from earlier calls (an observation of
	 * the VM or the host), so that the next host, list or observe asks
	 * the hypervisor again.  NULL: it keeps nothing between calls.  A
	 * caller that keeps its backend across passes (watch) calls it
	 * before each pass, so every drift check sees the live VM. */
	void (*forget)(void *conn);
};

/* An open backend: a driver and its connection. */
struct vr_backend;

/* Whether KIND's VM names compare without regard to case (1 or 0),
 * without opening it or loading its module; VR_EINVALID for an unknown
 * KIND. */
int vr_backend_names_fold_case(const char *kind_target);

/* Open "KIND[:TARGET]"; KIND alone uses the driver's default target. */
int vr_backend_open(struct vr_backend **out, const char *kind_target,
    const struct vr_backend_options *opts);
/* Open `drv` (with TARGET, "" for its default) as vr_backend_open opens a
 * driver of the registry: for a driver table of the caller's own, as the
 * unit tests make one with fewer fields. */
int vr_backend_open_driver(struct vr_backend **out,
    const struct vr_driver *drv, const char *target,
    const struct vr_backend_options *opts);
void vr_backend_free(struct vr_backend *b);

/* 0 if "KIND[:TARGET]" names a backend of the registry (built or not),
 * else VR_EINVALID saying which it probably means ("did you mean
 * 'eflow'?") and which there are. */
int vr_backend_kind_check(const char *kind_target);

/* Mark b as the built-in default, chosen because no backend was given
 * (on file `file`): the JSON output says so (implicitBackend). */
void vr_backend_set_implicit(struct vr_backend *b, const char *file);
/* That file, or NULL when the backend was given. */
const char *vr_backend_implicit(const struct vr_backend *b);

const char *vr_backend_kind(const struct vr_backend *b);
/* Its driver's `fields` (VR_FIELD_BIT of each field it supports). */
unsigned vr_backend_fields(const struct vr_backend *b);
/* "KIND:TARGET" as given (or KIND), for messages and JSON. */
const char *vr_backend_desc(const struct vr_backend *b);

int vr_backend_host(struct vr_backend *b, struct vr_host *out);
int vr_backend_list(struct vr_backend *b, char ***out, size_t *count);
int vr_backend_observe(struct vr_backend *b, const char *name,
    const struct vr_vm_spec *record, struct vr_vm_live *out);
/* classify and apply refuse a change of a field the driver does not
 * support (VR_EUNSUPPORTED) without calling it. */
int vr_backend_classify(struct vr_backend *b, const struct vr_vm_live *live,
    struct vr_change *c);

int vr_backend_preflight(struct vr_backend *b, const struct vr_host *host,
    const struct vr_vm_spec *spec, const struct vr_vm_live *live,
    const struct vr_change *changes, size_t nchanges,
    struct vr_diags *diags, const char *path);
int vr_backend_apply(struct vr_backend *b, struct vr_apply_request *req);
/* flush, or 0 for a driver without one; whether the driver has one */
int vr_backend_flush(struct vr_backend *b);
/* forget, or nothing for a driver without one */
void vr_backend_forget(struct vr_backend *b);
bool vr_backend_buffers(const struct vr_backend *b);

/* Helpers drivers share. */

/* For a driver's classify: c needs a restart, because of the printf-style
 * reason (which replaces c->reason).  Returns 0. */
int vr_change_restart(struct vr_change *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For a driver's classify and apply, in the cases of the fields it does
 * not support: VR_EUNSUPPORTED, naming the backend and the field. */
int vr_change_unsupported(const struct vr_change *c, const char *backend);
/* For a driver's apply, before it reads or sends anything: that error for
 * the first of the n changes whose field is not in `fields`, else 0. */
int vr_changes_supported(const struct vr_change *c, size_t n,
    unsigned fields, const char *backend);
/* Observed a virtio GPU, which names no host GPU: the name last applied
 * (record), else "virtio-gpu". */
void vr_live_pv_gpu(struct vr_vm_live *out, const struct vr_vm_spec *record);
/* Which hot-plugged DIMMs to unplug to free exactly `mb`: the smallest
 * subset of the first VR_DIMM_SEARCH sizes; bit i of *mask = size_mb[i].
 * False when none adds up. */
#define VR_DIMM_SEARCH 20
bool vr_dimm_subset(unsigned long *mask, const int64_t *size_mb, size_t n,
    int64_t mb);

/* One backend vmrecon knows: built in (driver set) or a module (module
 * set: its driver is the api of vmrecon-MODULE.so, schema/util/module.h).
 * What users read about it is here, not in its driver, so --help needs
 * no module loaded. */
struct vr_backend_entry {
	const char *name;
	const struct vr_driver *driver; /* built in; NULL for a module */
	const char *module;             /* module name, or NULL */
	const char *not_built;          /* why the module was not built */
	const char *target_help;        /* what TARGET means, for --help */
};

/* Every backend, ended by an entry whose name is NULL (for `version`,
 * --help (reconciler/cli/options.c) and the unknown-backend message). */
const struct vr_backend_entry *vr_backend_registry(void);

void vr_strv_free(char **v, size_t n);

/* A progress line "WHO: message" on stderr, only when `on` (a backend's
 * opts->progress, or its VERBOSE setting). */
void vr_progress(bool on, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
