/*
 * model.h - what vmrecon reasons about: the desired spec of a VM (every
 * field may be unset: absent means unmanaged), the live state a backend
 * observes, the host's limits, and a change between the two.
 *
 * Plain data on purpose: the loader fills specs, backends fill live state
 * and host limits, the reconciler builds changes.  No field knows YAML or a
 * backend.  Strings are owned (free with the matching *_clear/_free).
 *
 * Each spec field is also a row of the field table (field.h): adding a
 * field starts with the recipe at the top of field.h.
 */
#ifndef VR_MODEL_H
#define VR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "window.h"

#define VR_API_VERSION "vmrecon/v1"
#define VR_KIND "VirtualMachine"

/* GPU passthrough types; values are bits so a host GPU can list a set. */
enum vr_gpu_type {
	VR_GPU_TYPE_NONE = 0,
	VR_GPU_DDA = 1, /* DirectDeviceAssignment */
	VR_GPU_PV = 2,  /* ParaVirtualization */
};

enum vr_restart_policy {
	VR_RESTART_NEVER = 0, /* default: restart-mode changes stay pending */
	VR_RESTART_IFNEEDED,  /* apply may restart the VM once */
};

/* What the spec says about the GPU. */
enum vr_gpu_want {
	VR_GPU_UNMANAGED = 0, /* `gpu` absent: never touched */
	VR_GPU_NONE,          /* `gpu: none`: the VM must have no GPU */
	VR_GPU_WANT,          /* `gpu: {...}`: exactly this GPU */
};

struct vr_pos {
	int line, col; /* 1-based; 0 = unknown */
};

struct vr_gpu {
	char *name;            /* as the host names it; NULL = unknown */
	enum vr_gpu_type type; /* NONE = unknown */
	int count;             /* 0 = no GPU */
};

struct vr_vm_spec {
	char *name;
	bool has_cpu_count;
	int cpu_count;
	bool has_memory;
	int64_t memory_mb;
	enum vr_gpu_want gpu_want;
	struct vr_gpu gpu; /* when gpu_want == VR_GPU_WANT; count >= 1 */
	enum vr_restart_policy restart_policy;
	/* spec.restartWindows (window.h): when restart-mode changes may be
	 * applied; none = any time */
	struct vr_window *windows;
	size_t nwindows;

	/* the file it came from when a spec merges several (-f a -f DIR);
	 * owned by the vr_spec's `files`; NULL: the spec's path */
	const char *file;
	/* where each value was written, for preflight messages */
	struct vr_pos at_doc, at_name, at_cpu_count, at_memory, at_gpu,
	    at_gpu_name, at_gpu_type, at_gpu_count, at_restart_policy,
	    at_windows;
};

/* The file a VM of `spec` was written in, for messages. */
#define VR_SPEC_FILE(spec, vm) ((vm)->file ? (vm)->file : (spec)->path)

struct vr_spec {
	char *path; /* as given by the user, for messages ("-" = stdin) */
	char **files; /* the files merged into it (see vm->file), or NULL */
	size_t nfiles;
	struct vr_vm_spec *vms;
	size_t nvms;
};

/* A GPU the host can give to a VM. */
struct vr_host_gpu {
	char *name;     /* e.g. "NVIDIA A2" */
	unsigned types; /* bitmask of enum vr_gpu_type it supports */
	int count;      /* how many of it the host has */
	char *addr;     /* PCI address, if the backend knows one; else NULL */
};

/* Host limits, for preflight.  0 / NULL means "unknown: not checked". */
struct vr_host {
	int cpus;            /* logical processors */
	int64_t memory_mb;   /* total memory a VM could be given */
	int64_t min_memory_mb;
	bool nested;         /* the host is itself a VM */
	char *gpu_blocker;   /* non-NULL: why no GPU can be passed through */
	struct vr_host_gpu *gpus;
	size_t ngpus;
};

/* A VM as its backend sees it now. */
struct vr_vm_live {
	char *name;
	bool name_from_target; /* the VM has no name of its own: the backend
				* named it after its target (QEMU without
				* -name: its socket) */
	bool running;
	int cpu_count;
	int64_t memory_mb;
	struct vr_gpu gpu; /* count 0 = no GPU; name/type may be unknown */
	bool gpu_unknown;  /* whether there is a GPU at all is unknown (and
			    * gpu.count is 0) */
	/* headroom for memory: the most this VM may have (host free memory plus
	 * what the VM holds now); 0 = use vr_host.memory_mb */
	int64_t memory_limit_mb;
};

/* The spec fields, in the order of the field table (field.h): the
 * reconciled ones, then the policies. */
enum vr_field {
	VR_FIELD_CPU_COUNT = 0,
	VR_FIELD_MEMORY,
	VR_FIELD_GPU,
	VR_FIELD_RESTART_POLICY, /* a policy: never a change */
	VR_FIELD_RESTART_WINDOWS, /* a policy */
	VR_FIELD__COUNT
};

/* A set of fields, one bit each: what a backend supports (its driver
 * table's `fields`, backend.h). */
#define VR_FIELD_BIT(f) (1u << (f))

enum vr_value_kind {
	VR_VALUE_NONE = 0, /* absent: unmanaged, or not observed */
	VR_VALUE_INT,      /* int64 in a unit (cpuCount, memoryInMB) */
	VR_VALUE_GPU,      /* struct vr_gpu; count 0 = no GPU */
	VR_VALUE_ENUM,     /* an index into the field's names */
	VR_VALUE_INT_LIST, /* a list of int64 (none yet: see field.h) */
	VR_VALUE_WINDOWS,  /* a list of restart windows (window.h) */
};

struct vr_int_list {
	int64_t *v; /* owned */
	size_t n;
};

/* One field's value, tagged by kind.  Not a union: a zeroed value of any
 * kind clears safely, and the members unused by a kind stay zero. */
struct vr_value {
	enum vr_value_kind kind;
	bool unknown;            /* observed, but the backend cannot tell */
	int64_t i;               /* INT; ENUM: the index */
	struct vr_gpu gpu;       /* GPU */
	struct vr_int_list list; /* INT_LIST */
	struct vr_window_list windows; /* WINDOWS */
};

enum vr_action {
	VR_ACTION_CREATE,
	VR_ACTION_UPDATE,
	VR_ACTION_DELETE
};

enum vr_mode {
	VR_MODE_LIVE,    /* applied while the VM runs */
	VR_MODE_RESTART, /* needs a power cycle */
};

/* One field that differs between spec and live state. */
struct vr_change {
	enum vr_field field;
	enum vr_action action;
	struct vr_value from, to;     /* of the field's kind (field.h) */
	enum vr_mode mode;            /* set by the backend's classify */
	char *reason;                 /* why restart (or NULL), set by classify */
	bool manual;                  /* restart mode that no backend action
				       * can make (QEMU's command line): only
				       * an operator can; reason says how.
				       * Set by classify. */
	bool applied;                 /* set by the backend's apply */
	bool sent;                    /* set by the backend's apply when a
				       * request carrying it left: if it is
				       * not `applied`, whether it took
				       * effect is unknown */
};

/* Names for enums, as the YAML and JSON spell them. */
const char *vr_gpu_type_name(enum vr_gpu_type t);  /* NULL for NONE */
int vr_gpu_type_parse(enum vr_gpu_type *out, const char *s);
const char *vr_restart_policy_name(enum vr_restart_policy p);
int vr_restart_policy_parse(enum vr_restart_policy *out, const char *s);
const char *vr_field_name(enum vr_field f);       /* its key (field.h) */
const char *vr_action_name(enum vr_action a);     /* "create", ... */
const char *vr_mode_name(enum vr_mode m);         /* "live", "restart" */

/* Release owned memory; the struct itself is not freed (except _free). */
void vr_gpu_clear(struct vr_gpu *g);
void vr_gpu_copy(struct vr_gpu *dst, const struct vr_gpu *src);
bool vr_gpu_equal(const struct vr_gpu *a, const struct vr_gpu *b);
void vr_vm_spec_clear(struct vr_vm_spec *vm);
void vr_vm_spec_copy(struct vr_vm_spec *dst, const struct vr_vm_spec *src);
void vr_spec_free(struct vr_spec *spec);
void vr_host_clear(struct vr_host *h);
void vr_vm_live_clear(struct vr_vm_live *l);
void vr_change_clear(struct vr_change *c);

/* A VM name's character `c` at position `i`: letters and digits, and
 * after the first also '.', '_' and '-' (the loader's rule for
 * metadata.name; backends that make up a name follow it too). */
bool vr_name_char_ok(char c, size_t i);

/* The spec of what `live` certainly has, of the reconciled fields in
 * `fields` (VR_FIELD_BIT: those its backend observes): each one's live
 * value, except one the backend cannot tell (the GPU when whether there is
 * one is unknown, or its name or type is), which stays unmanaged. */
void vr_vm_spec_from_live(struct vr_vm_spec *out, const char *name,
    const struct vr_vm_live *live, unsigned fields);

/* The host GPU of that name, or NULL. */
const struct vr_host_gpu *vr_host_find_gpu(const struct vr_host *h,
    const char *name);

#endif
