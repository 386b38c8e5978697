/*
 * hyperv.h - the hyperv backend's parts (its driver table is
 * vr_hyperv_driver): the observation of a Hyper-V host (every VM and the
 * host, from one observe script), GPU identity (partitionable GPUs by
 * device-interface path, DDA devices by location path, both mapped to the
 * friendly names a spec uses), the record of DDA devices vmrecon
 * dismounted, and Microsoft's limits.  hyperv.c drives; hyperv_snap.c
 * reads the observation; hyperv_gpu.c names GPUs; hyperv_rules.c holds
 * the documented limits.  Exposed for the unit tests and the fuzzer.
 */
#ifndef VR_HYPERV_H
#define VR_HYPERV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/model.h"

/* Bounds on what a host may report (hostile input is refused beyond). */
#define VR_HV_MAX_VMS 4096     /* VMs on one host */
#define VR_HV_MAX_DEVS 64      /* devices of one VM; partitionable GPUs */
#define VR_HV_MAX_DISPLAY 256  /* display devices, present or not */
#define VR_HV_MAX_PATHS 8      /* location paths of one device */
#define VR_HV_MAX_STR 1024     /* bytes of one string */
#define VR_HV_MAX_MAP 256      /* devices in the DDA record */

/* A device by location path (DDA): assigned to a VM, or dismounted. */
struct vr_hv_dev {
	char *location; /* PCIROOT(..)#PCI(..)... */
	char *instance; /* InstanceID (PCIP\VEN_..&DEV_..\...), or NULL */
};

/* A display-class PnP device of the host (Get-PnpDevice -Class Display). */
struct vr_hv_display {
	char *name;      /* FriendlyName, or NULL */
	char *instance;  /* InstanceId: PCI\VEN_..&DEV_..\... */
	bool present;
	char **paths;    /* DEVPKEY_Device_LocationPaths */
	size_t npaths;
};

/* One VM as the observe script saw it. */
struct vr_hv_vm {
	char *name, *id, *state; /* state: "$($vm.State)", e.g. Running */
	int generation;          /* 1 or 2 */
	int cpus;
	int64_t startup_mb, min_mb, max_mb; /* Get-VMMemory */
	bool dynamic;                       /* DynamicMemoryEnabled */
	int64_t demand_mb, assigned_mb;     /* 0 when Hyper-V reports none */
	bool nested;             /* ExposeVirtualizationExtensions */
	char *stop_action;       /* AutomaticStopAction */
	int64_t high_mmio_mb;    /* HighMemoryMappedIoSpace; -1 unknown */
	char *guest_os;          /* the guest's OSName (KVP), or NULL */
	int guest_major;         /* its OSMajorVersion; -1 unknown */
	char **gpup;             /* GPU partition adapters' InstancePath */
	size_t ngpup;            /* ("" where the module has none) */
	struct vr_hv_dev *dda;   /* Get-VMAssignableDevice */
	size_t ndda;
};

/* One observation of the host and all its VMs. */
struct vr_hv_snap {
	struct vr_hv_vm *vms;
	size_t nvms;
	int lps;                   /* Get-VMHost LogicalProcessorCount */
	int64_t memory_mb;         /* Get-VMHost MemoryCapacity */
	int64_t free_mb;           /* Win32_OperatingSystem FreePhysicalMemory */
	long build, ubr;           /* CurrentBuildNumber, UBR */
	char *product, *itype;     /* ProductName, InstallationType */
	char *model;               /* Win32_ComputerSystem Model */
	bool server;               /* a Windows Server SKU */
	char **pgpus;              /* partitionable GPUs' Name (paths) */
	size_t npgpus;
	struct vr_hv_display *disp;
	size_t ndisp;
	struct vr_hv_dev *spare;   /* dismounted, unassigned (Get-VMHost-
				    * AssignableDevice) */
	size_t nspare;
};

/* The DDA record: what each device vmrecon dismounted was called before
 * (STATE_DIR/hyperv-devices.json). */
struct vr_hv_mapent {
	char *location, *name, *instance;
};
struct vr_hv_map {
	struct vr_hv_mapent *v;
	size_t n;
};

/* ---- hyperv_snap.c ---- */

/* The observe script's body. */
const char *vr_hyperv_observe_body(void);
/* Parse the observe result (what follows the sentinel) into *s. */
int vr_hv_snap_parse(struct vr_hv_snap *s, const char *res, size_t len);
/* For the fuzzer and tests: the script's whole stdout (noise, sentinel,
 * result), as the backend reads it. */
int vr_hyperv_parse_observe(struct vr_hv_snap *s, const char *text,
    size_t len);
void vr_hv_snap_clear(struct vr_hv_snap *s);
/* The VM `key` names: its name (case ignored) or its Id.  NULL with
 * VR_ENOTFOUND, or VR_ECONFLICT when several VMs share that name. */
const struct vr_hv_vm *vr_hv_find_vm(const struct vr_hv_snap *s,
    const char *key);
/* The name vmrecon calls the VM by: its own when it can be a
 * metadata.name and no other VM has it, else its Id. */
const char *vr_hv_vm_key(const struct vr_hv_snap *s, const struct vr_hv_vm *vm);
bool vr_hv_running(const struct vr_hv_vm *vm);
/* Whether s has a control character (a name with one would break a
 * one-line message or a YAML scalar). */
bool vr_hv_has_control(const char *s);
bool vr_hv_off(const struct vr_hv_vm *vm);

/* ---- hyperv_gpu.c ---- */

/* A partitionable GPU's device-interface path as its PnP instance id:
 * "\\?\PCI#VEN_..#4&..#{guid}[\GPUPARAV]" -> "PCI\VEN_..\4&.."; NULL if
 * it is not of that shape.  Caller frees. */
char *vr_hv_path_instance(const char *path);
/* Partitionable GPU i's friendly name (its display device's), or NULL. */
const char *vr_hv_pgpu_name(const struct vr_hv_snap *s, size_t i);
/* The partitionable GPU a VM's adapter path names (case ignored), or -1;
 * an empty path names the host's only one, if it has one. */
long vr_hv_pgpu_find(const struct vr_hv_snap *s, const char *path);
/* What a spec's ParaVirtualization gpu.name means: the partitionable GPUs
 * of that path (case ignored) or friendly name; their indexes in idx (at
 * most max), the count returned. */
size_t vr_hv_pv_candidates(const struct vr_hv_snap *s, const char *name,
    size_t *idx, size_t max);
/* The name of a DDA device: from the record, a display device with that
 * location path, or one of the same hardware id; NULL if unknown (then it
 * is not taken for a GPU). */
const char *vr_hv_dev_name(const struct vr_hv_snap *s,
    const struct vr_hv_map *m, const char *location, const char *instance);
/* A present display device's location path (its PCIROOT one), or NULL. */
const char *vr_hv_display_location(const struct vr_hv_display *d);
/* Which VM holds a partition of display device d (NULL: none). */
const struct vr_hv_vm *vr_hv_partition_user(const struct vr_hv_snap *s,
    const struct vr_hv_display *d);
/* The VM's GPU as vmrecon reports it; `record` (last applied) keeps the
 * spelling a spec chose for the same device. */
void vr_hv_live_gpu(struct vr_gpu *out, const struct vr_hv_snap *s,
    const struct vr_hv_map *m, const struct vr_hv_vm *vm,
    const struct vr_vm_spec *record);
/* The host's GPUs for the generic preflight: one row per friendly name
 * (DDA where a device of it exists, ParaVirtualization where one is
 * partitionable), and one per path of a partitionable GPU that has no
 * name or shares it with another. */
void vr_hv_host_gpus(struct vr_host *h, const struct vr_hv_snap *s,
    const struct vr_hv_map *m);

/* The record of dismounted devices: load (absent: empty), add entries
 * (write atomically). */
int vr_hv_map_load(struct vr_hv_map *m, const char *state_dir);
int vr_hv_map_put(const char *state_dir, const struct vr_hv_mapent *add,
    size_t n);
void vr_hv_map_clear(struct vr_hv_map *m);

/* ---- hyperv_rules.c ---- */

/* vCPUs and memory (MB) one VM may have, by generation and host build. */
int vr_hv_max_vcpus(int generation, long build);
int64_t vr_hv_max_memory_mb(int generation, long build);
/* Whether GPU-P may give this GPU on this host; *why when not. */
bool vr_hv_gpup_ok(const struct vr_hv_snap *s, const char *gpu_name,
    const char **why);
/* Why a running VM's memory cannot change to `to_mb` live, or NULL. */
const char *vr_hv_memory_not_live(const struct vr_hv_snap *s,
    const struct vr_hv_vm *vm, int64_t to_mb, char *buf, size_t bufsz);

#endif
