/*
 * hyperv.c - the hyperv backend: plain Hyper-V VMs, driven through the
 * Hyper-V PowerShell module, one request per call to a PowerShell worker
 * the connection keeps from open to close (powershell.h), as eflow does.
 * Target: the launcher, default `powershell.exe`.
 *
 * Hyper-V has no defaults-reset pitfall: every parameter of Set-VMProcessor
 * and Set-VMMemory is optional ("Default value: None" in Microsoft's
 * reference), so apply sends only what changes.  What it must get right
 * instead:
 *  - what may change while the VM runs (classify, with hyperv_rules.c's
 *    sources): memory without Dynamic Memory where host and guest allow
 *    runtime resize; never the processor count, GPU partitions or DDA
 *    devices, which change while the VM is off;
 *  - order: with Dynamic Memory, Startup must lie within [Minimum,
 *    Maximum], so the bound is moved before Startup (setting Startup
 *    first is what failed in hashicorp/vagrant#8033); GPUs are removed
 *    before others are added; a VM stopped for the changes is started
 *    again even when one of them failed;
 *  - which GPU is which (hyperv_gpu.c).
 *
 * Two scripts are ever sent: the observe script (hyperv_snap.c: the host
 * and every VM in one call, cached until an apply or the next pass of a
 * watch: hyperv_forget) and the one built by set_body(), which reports
 * which changes it made, so a failure in the middle leaves the change in
 * flight unknown and those after it not sent.  A diff is 1 call, an
 * apply that changes something 3 (observe, set, verify).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../schema/util/error.h"
#include "../schema/util/json.h"
#include "backend.h"
#include "hyperv.h"
#include "powershell.h"

/*
 * Per call: Stop-VM -Force gives the guest five minutes to save its data
 * before it forces the shutdown (Microsoft, Stop-VM, example 2), and a
 * restart is one call, so the default leaves room for that and a start.
 */
#define HV_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)
/* The MMIO space above 4 GB a VM gets unless told otherwise (Microsoft,
 * "Plan for Deploying Devices using Discrete Device Assignment", MMIO
 * Space: "each VM starts off with 128MB of low MMIO space and 512MB of
 * high MMIO space"); a GPU's memory needs more. */
#define HV_DEFAULT_HIGH_MMIO_MB 512
#define MB (INT64_C(1024) * 1024)
/* What it reconciles (backends/backend.h: nothing else reaches it). */
#define HV_FIELDS (VR_FIELD_BIT(VR_FIELD_CPU_COUNT) | \
	VR_FIELD_BIT(VR_FIELD_MEMORY) | VR_FIELD_BIT(VR_FIELD_GPU))

struct hyperv {
	struct vr_ps *ps;
	bool progress;
	char *state_dir;
	int have_snap;
	struct vr_hv_snap snap;
	struct vr_hv_map map;
};

static void
drop_snap(struct hyperv *h)
{
	h->have_snap = 0;
	vr_hv_snap_clear(&h->snap);
	vr_hv_map_clear(&h->map);
}

/* The cached observation (and the DDA record), observing if there is
 * none. */
static int
ensure_snap(struct hyperv *h)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (h->have_snap)
		return 0;
	rc = vr_ps_run(h->ps, "observe (Get-VM, Get-VMMemory, "
	    "Get-VMProcessor, GPUs, Get-VMHost)", vr_hyperv_observe_body(),
	    &text, &len);
	if (rc == 0)
		rc = vr_hv_snap_parse(&h->snap, text, len);
	free(text);
	if (rc == 0 && (rc = vr_hv_map_load(&h->map, h->state_dir)) < 0)
		vr_hv_snap_clear(&h->snap);
	if (rc == 0)
		h->have_snap = 1;
	return rc;
}

static int
hyperv_open(void **out, const char *target,
    const struct vr_backend_options *opts)
{
	struct vr_ps_options po = { 0 };
	struct hyperv *h;
	int rc;

	*out = NULL;
	h = vr_calloc(1, sizeof(*h));
	po.target = target;
	po.module = "Hyper-V";
	po.timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms :
	    HV_DEFAULT_TIMEOUT_MS;
	rc = vr_ps_open(&h->ps, &po);
	if (rc < 0) {
		free(h);
		return rc;
	}
	h->progress = opts && opts->progress;
	h->state_dir = opts && opts->state_dir ? vr_strdup(opts->state_dir) :
	    NULL;
	*out = h;
	return 0;
}

static void
hyperv_close(void *conn)
{
	struct hyperv *h = conn;

	if (!h)
		return;
	vr_ps_free(h->ps);
	drop_snap(h);
	free(h->state_dir);
	free(h);
}

/* The next call asks the host again (watch: every pass). */
static void
hyperv_forget(void *conn)
{
	drop_snap(conn);
}

static int
hyperv_host(void *conn, struct vr_host *out)
{
	struct hyperv *h = conn;
	int rc = ensure_snap(h);

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->cpus = h->snap.lps;
	out->memory_mb = h->snap.memory_mb;
	vr_hv_host_gpus(out, &h->snap, &h->map);
	return 0;
}

static int
hyperv_list(void *conn, char ***out, size_t *count)
{
	struct hyperv *h = conn;
	size_t i;
	int rc = ensure_snap(h);

	if (rc < 0)
		return rc;
	*out = vr_calloc(h->snap.nvms + 1, sizeof(**out));
	for (i = 0; i < h->snap.nvms; i++)
		(*out)[i] = vr_strdup(vr_hv_vm_key(&h->snap, &h->snap.vms[i]));
	*count = h->snap.nvms;
	return 0;
}

/* The VM a live state or spec names in the cached observation. */
static const struct vr_hv_vm *
vm_of(struct hyperv *h, const char *name)
{
	if (ensure_snap(h) < 0)
		return NULL;
	return vr_hv_find_vm(&h->snap, name);
}

static int
hyperv_observe(void *conn, const char *name, const struct vr_vm_spec *record,
    struct vr_vm_live *out)
{
	struct hyperv *h = conn;
	const struct vr_hv_vm *vm;

	memset(out, 0, sizeof(*out));
	if (!(vm = vm_of(h, name)))
		return vr_error_last()->code;
	out->name = vr_strdup(vr_hv_vm_key(&h->snap, vm));
	out->running = vr_hv_running(vm);
	out->cpu_count = vm->cpus;
	out->memory_mb = vm->startup_mb;
	vr_hv_live_gpu(&out->gpu, &h->snap, &h->map, vm, record);
	/* what the host has free, plus what this VM holds now */
	out->memory_limit_mb = h->snap.free_mb + vm->assigned_mb;
	return 0;
}

/* The VM holds one partition of exactly the GPU `to` names: a change of
 * its spelling only (path or friendly name). */
static bool
same_partition(const struct hyperv *h, const struct vr_hv_vm *vm,
    const struct vr_gpu *to)
{
	size_t idx;
	long k;

	if (to->type != VR_GPU_PV || to->count != 1 || vm->ngpup != 1 ||
	    !to->name)
		return false;
	k = vr_hv_pgpu_find(&h->snap, vm->gpup[0]);
	return k >= 0 && vr_hv_pv_candidates(&h->snap, to->name, &idx, 1) ==
	    1 && idx == (size_t)k;
}

static int
hyperv_classify(void *conn, const struct vr_vm_live *live, struct vr_change *c)
{
	struct hyperv *h = conn;
	const struct vr_hv_vm *vm = vm_of(h, live->name);
	const char *why;
	char buf[512];

	if (!vm)
		return vr_error_last()->code;
	if (c->field >= VR_FIELD__COUNT || !(HV_FIELDS & VR_FIELD_BIT(c->field)))
		return vr_change_unsupported(c, "hyperv");
	c->mode = VR_MODE_LIVE;
	free(c->reason);
	c->reason = NULL;
	/* a VM that is off only has its configuration changed */
	if (!vr_hv_running(vm))
		return 0;
	switch (c->field) {
	case VR_FIELD_CPU_COUNT:
		return vr_change_restart(c, "Hyper-V changes a VM's processor "
		    "count (Set-VMProcessor -Count) only while it is off; no "
		    "Microsoft document describes adding processors to a "
		    "running VM");
	case VR_FIELD_MEMORY:
		why = vr_hv_memory_not_live(&h->snap, vm, c->to.i, buf,
		    sizeof(buf));
		return why ? vr_change_restart(c, "%s", why) : 0;
	case VR_FIELD_GPU:
		if (same_partition(h, vm, &c->to.gpu))
			return 0;
		return vr_change_restart(c, "GPU partitions and DDA devices "
		    "are added and removed while the VM is off (Microsoft, "
		    "\"Deploy graphics devices using Discrete Device "
		    "Assignment\": to remove a device \"you will need to stop "
		    "the VM\"; \"Partition and assign GPUs to a virtual "
		    "machine\" turns the VM off first)");
	case VR_FIELD_RESTART_POLICY:
	case VR_FIELD_RESTART_WINDOWS:
	case VR_FIELD__COUNT:
		break;
	}
	return 0;
}

/* "'A', 'B'" of partitionable GPUs idx[0..n), for messages. */
static char *
paths_text(const struct vr_hv_snap *s, const size_t *idx, size_t n)
{
	char *out = vr_strdup(""), *t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = vr_asprintf("%s%s'%s'", out, i ? ", " : "",
		    s->pgpus[idx[i]]);
		free(out);
		out = t;
	}
	return out;
}

/* The DDA devices of name `name` this VM could get: free display devices
 * (present, with a location path, no VM holding a partition of them)
 * and dismounted ones nobody holds; *busy counts those a GPU partition
 * keeps from DDA, *user names one such VM. */
static size_t
dda_free(const struct hyperv *h, const char *name, size_t *busy,
    const char **user)
{
	const struct vr_hv_snap *s = &h->snap;
	const struct vr_hv_vm *u;
	size_t i, n = 0;

	*busy = 0;
	*user = NULL;
	for (i = 0; i < s->ndisp; i++) {
		const struct vr_hv_display *d = &s->disp[i];

		if (!d->present || !d->name || strcmp(d->name, name) != 0 ||
		    !vr_hv_display_location(d))
			continue;
		if ((u = vr_hv_partition_user(s, d))) {
			(*busy)++;
			*user = u->name;
			continue;
		}
		n++;
	}
	for (i = 0; i < s->nspare; i++) {
		const char *dn = vr_hv_dev_name(s, &h->map,
		    s->spare[i].location, s->spare[i].instance);

		n += dn && strcmp(dn, name) == 0;
	}
	return n;
}

/* The VM's DDA GPUs called `name`. */
static size_t
dda_held(const struct hyperv *h, const struct vr_hv_vm *vm, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < vm->ndda; i++) {
		const char *dn = vr_hv_dev_name(&h->snap, &h->map,
		    vm->dda[i].location, vm->dda[i].instance);

		n += dn && strcmp(dn, name) == 0;
	}
	return n;
}

static void
preflight_dda(struct hyperv *h, const struct vr_hv_vm *vm,
    const struct vr_vm_spec *spec, const struct vr_gpu *to,
    struct vr_diags *d, const char *path)
{
	const struct vr_hv_snap *s = &h->snap;
	const struct vr_pos *at = &spec->at_gpu;
	const char *user;
	size_t busy, avail = dda_free(h, to->name, &busy, &user) +
	    dda_held(h, vm, to->name);

	/* Microsoft, "Plan for GPU acceleration in Windows Server": DDA's
	 * host OS support is Windows Server */
	if (!s->server)
		vr_diags_add(d, path, spec->at_gpu_type.line,
		    spec->at_gpu_type.col, "DirectDeviceAssignment needs a "
		    "Windows Server host (Microsoft, \"Plan for GPU "
		    "acceleration in Windows Server\"); this host runs %s",
		    s->product ? s->product : "a client Windows");
	/* "Deploy graphics devices using Discrete Device Assignment":
	 * configure the VM's Automatic Stop Action to TurnOff */
	if (!vm->stop_action || strcasecmp(vm->stop_action, "TurnOff") != 0)
		vr_diags_add(d, path, at->line, at->col, "DirectDeviceAssignment "
		    "needs the VM's automatic stop action TurnOff (Microsoft, "
		    "\"Deploy graphics devices using Discrete Device "
		    "Assignment\"); '%s' has %s: Set-VM -Name '%s' "
		    "-AutomaticStopAction TurnOff", vm->name, vm->stop_action ?
		    vm->stop_action : "none", vm->name);
	/* "Plan for Deploying Devices using Discrete Device Assignment",
	 * Virtual Machine Limitations: no "use of dynamic memory" */
	if (vm->dynamic)
		vr_diags_add(d, path, at->line, at->col, "DirectDeviceAssignment "
		    "cannot be used with Dynamic Memory (Microsoft, \"Plan for "
		    "Deploying Devices using Discrete Device Assignment\"), "
		    "which '%s' has on: Set-VMMemory -VMName '%s' "
		    "-DynamicMemoryEnabled $false", vm->name, vm->name);
	/* same, MMIO Space: the default 512 MB above 4 GB is the buffer a
	 * GPU's own needs are added to */
	if (vm->high_mmio_mb >= 0 && vm->high_mmio_mb <= HV_DEFAULT_HIGH_MMIO_MB)
		vr_diags_add(d, path, at->line, at->col, "'%s' has %lld MB of "
		    "high MMIO space, the default, and a GPU needs more than "
		    "that buffer (Microsoft, \"Plan for Deploying Devices "
		    "using Discrete Device Assignment\", MMIO Space): Set-VM "
		    "-HighMemoryMappedIoSpace 33280Mb -VMName '%s' (Microsoft's "
		    "value for one GPU; the vendor's SurveyDDA figure is exact)",
		    vm->name, (long long)vm->high_mmio_mb, vm->name);
	if (avail < (size_t)to->count)
		vr_diags_add(d, path, spec->at_gpu_count.line,
		    spec->at_gpu_count.col, "%zu '%s' can go to '%s' by "
		    "DirectDeviceAssignment, not %d%s%s%s", avail, to->name,
		    vm->name, to->count, busy ? " (a GPU is either DDA or "
		    "GPU-P, never both, and VM '" : "", busy ? user : "",
		    busy ? "' holds a partition of one)" : "");
}

static void
preflight_pv(struct hyperv *h, const struct vr_vm_spec *spec,
    const struct vr_gpu *to, struct vr_diags *d, const char *path)
{
	const struct vr_hv_snap *s = &h->snap;
	size_t idx[VR_HV_MAX_DEVS];
	size_t n = vr_hv_pv_candidates(s, to->name, idx, VR_HV_MAX_DEVS);
	const char *why, *f;
	char *list;

	if (n > VR_HV_MAX_DEVS)
		n = VR_HV_MAX_DEVS;
	if (n > 1) {
		list = paths_text(s, idx, n);
		vr_diags_add(d, path, spec->at_gpu_name.line,
		    spec->at_gpu_name.col, "'%s' names %zu partitionable GPUs "
		    "on this host; write the path of the one to use as "
		    "gpu.name: %s", to->name, n, list);
		free(list);
		return;
	}
	if (n == 0)
		return; /* the generic check says the host has none such */
	f = vr_hv_pgpu_name(s, idx[0]);
	if (!vr_hv_gpup_ok(s, f ? f : to->name, &why))
		vr_diags_add(d, path, spec->at_gpu_type.line,
		    spec->at_gpu_type.col, "no GPU partitioning of '%s' on "
		    "this host: %s", f ? f : to->name, why);
}

static int
hyperv_preflight(void *conn, const struct vr_host *host,
    const struct vr_vm_spec *spec, const struct vr_vm_live *live,
    const struct vr_change *changes, size_t nchanges,
    struct vr_diags *diags, const char *path)
{
	struct hyperv *h = conn;
	const struct vr_hv_vm *vm;
	size_t i;

	(void)host;
	if (nchanges == 0)
		return 0;
	if (!(vm = vm_of(h, live->name)))
		return vr_error_last()->code;
	if (!vr_hv_running(vm) && !vr_hv_off(vm))
		vr_diags_add(diags, path, spec->at_doc.line, spec->at_doc.col,
		    "VM '%s' is %s: vmrecon changes a Hyper-V VM only while "
		    "it is Running or Off (start it, or turn it off, first)",
		    vm->name, vm->state);
	for (i = 0; i < nchanges; i++) {
		const struct vr_change *c = &changes[i];
		int64_t maxmem;
		int maxcpu;

		switch (c->field) {
		case VR_FIELD_CPU_COUNT:
			maxcpu = vr_hv_max_vcpus(vm->generation,
			    h->snap.build);
			if (c->to.i > maxcpu)
				vr_diags_add(diags, path,
				    spec->at_cpu_count.line,
				    spec->at_cpu_count.col, "cpuCount %lld is "
				    "more than the %d virtual processors a "
				    "generation %d VM may have on this host "
				    "(build %ld; Microsoft, \"Hyper-V maximum "
				    "scale limits in Windows Server\")",
				    (long long)c->to.i, maxcpu,
				    vm->generation, h->snap.build);
			break;
		case VR_FIELD_MEMORY:
			maxmem = vr_hv_max_memory_mb(vm->generation,
			    h->snap.build);
			if (c->to.i > maxmem)
				vr_diags_add(diags, path, spec->at_memory.line,
				    spec->at_memory.col, "memoryInMB %lld is "
				    "more than the %lld MB a generation %d VM "
				    "may have on this host (Microsoft, "
				    "\"Hyper-V maximum scale limits in Windows "
				    "Server\")", (long long)c->to.i,
				    (long long)maxmem, vm->generation);
			break;
		case VR_FIELD_GPU:
			if (c->to.gpu.count == 0 || !c->to.gpu.name)
				break;
			if (c->to.gpu.type == VR_GPU_DDA)
				preflight_dda(h, vm, spec, &c->to.gpu, diags,
				    path);
			else
				preflight_pv(h, spec, &c->to.gpu, diags, path);
			break;
		case VR_FIELD_RESTART_POLICY:
		case VR_FIELD_RESTART_WINDOWS:
		case VR_FIELD__COUNT:
			break;
		}
	}
	return 0;
}

/* ---- apply ---- */

/* A script being built, and what it will dismount (recorded first). */
struct body {
	char *s;
	struct vr_hv_mapent *rec;
	size_t nrec;
};

static void
add(struct body *b, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

static void
add(struct body *b, const char *fmt, ...)
{
	char *line, *t;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	line = vr_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(line, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t = vr_asprintf("%s%s\n", b->s ? b->s : "", line);
	free(b->s);
	free(line);
	b->s = t;
}

/* A literal of s (vr_ps_quote), freed with the body. */
static void
add_q(struct body *b, const char *fmt, const char *s)
{
	char *q = vr_ps_quote(s);
	char *line = vr_asprintf(fmt, q);

	add(b, "%s", line);
	free(line);
	free(q);
}

static void
step(struct body *b, const char *name)
{
	add(b, "$vrStep = '%s'", name);
}

static void
step_done(struct body *b)
{
	add(b, "[void]$vrDone.Add($vrStep)");
}

/* Memory: Startup within [Minimum, Maximum] at every moment. */
static void
set_memory(struct body *b, const struct vr_hv_vm *vm, int64_t mb)
{
	long long bytes = (long long)(mb * MB);

	if (vm->dynamic && vm->max_mb > 0 && mb > vm->max_mb)
		add(b, "Set-VMMemory -VM $vm -MaximumBytes %lld", bytes);
	if (vm->dynamic && mb < vm->min_mb)
		add(b, "Set-VMMemory -VM $vm -MinimumBytes %lld", bytes);
	add(b, "Set-VMMemory -VM $vm -StartupBytes %lld", bytes);
}

/* Remove a DDA device from the VM and give it back to the host. */
static void
dda_remove(struct body *b, const struct hyperv *h, const struct vr_hv_dev *dv)
{
	size_t i;

	add_q(b, "Remove-VMAssignableDevice -VM $vm -LocationPath %s",
	    dv->location);
	add_q(b, "Mount-VMHostAssignableDevice -LocationPath %s", dv->location);
	for (i = 0; i < h->map.n; i++)
		if (strcasecmp(h->map.v[i].location, dv->location) == 0 &&
		    h->map.v[i].instance)
			add_q(b, "Enable-PnpDevice -InstanceId %s "
			    "-Confirm:$false", h->map.v[i].instance);
}

/*
 * The GPU calls: everything the VM holds that the target does not keep is
 * removed first, then the rest is added.  GPU-P: Add-VMGpuPartitionAdapter
 * -InstancePath with no partition values, which "assigns a full partition"
 * (Microsoft, Add-VMGpuPartitionAdapter); the partition's size is the
 * host's (Set-VMHostPartitionableGpu -PartitionCount), which vmrecon
 * leaves alone.  DDA: a device already dismounted is assigned as is;
 * another is disabled, dismounted with -Force (as Microsoft's guide does
 * for a GPU without a vendor mitigation driver) and assigned, its name
 * recorded before (b->rec).
 */
static int
set_gpu(struct body *b, const struct hyperv *h, const struct vr_hv_vm *vm,
    const struct vr_gpu *to)
{
	const struct vr_hv_snap *s = &h->snap;
	size_t i, idx, keep = 0, need;

	if (same_partition(h, vm, to))
		return 0;
	if (vm->ngpup)
		add(b, "Remove-VMGpuPartitionAdapter -VM $vm");
	for (i = 0; i < vm->ndda; i++) {
		const char *dn = vr_hv_dev_name(s, &h->map, vm->dda[i].location,
		    vm->dda[i].instance);

		if (!dn)
			continue; /* not known to be a GPU: never touched */
		if (to->count > 0 && to->type == VR_GPU_DDA &&
		    strcmp(dn, to->name) == 0 && keep < (size_t)to->count) {
			keep++;
			continue;
		}
		dda_remove(b, h, &vm->dda[i]);
	}
	if (to->count == 0)
		return 0;
	if (to->type == VR_GPU_PV) {
		if (vr_hv_pv_candidates(s, to->name, &idx, 1) != 1)
			return vr_error_set(VR_EINVALID, "'%s' does not name "
			    "one partitionable GPU of this host", to->name);
		add_q(b, "Add-VMGpuPartitionAdapter -VM $vm -InstancePath %s",
		    s->pgpus[idx]);
		return 0;
	}
	need = (size_t)to->count - keep;
	for (i = 0; need && i < s->nspare; i++) {
		const char *dn = vr_hv_dev_name(s, &h->map, s->spare[i].location,
		    s->spare[i].instance);

		if (!dn || strcmp(dn, to->name) != 0)
			continue;
		add_q(b, "Add-VMAssignableDevice -VM $vm -LocationPath %s",
		    s->spare[i].location);
		need--;
	}
	for (i = 0; need && i < s->ndisp; i++) {
		const struct vr_hv_display *d = &s->disp[i];
		const char *loc = vr_hv_display_location(d);
		struct vr_hv_mapent *e;

		if (!d->present || !d->name || strcmp(d->name, to->name) != 0 ||
		    !loc || vr_hv_partition_user(s, d))
			continue;
		b->rec = vr_realloc(b->rec, (b->nrec + 1) * sizeof(*b->rec));
		e = &b->rec[b->nrec++];
		e->location = vr_strdup(loc);
		e->name = vr_strdup(d->name);
		e->instance = vr_strdup(d->instance);
		add_q(b, "Disable-PnpDevice -InstanceId %s -Confirm:$false",
		    d->instance);
		add_q(b, "Dismount-VMHostAssignableDevice -LocationPath %s "
		    "-Force", loc);
		add_q(b, "Add-VMAssignableDevice -VM $vm -LocationPath %s", loc);
		need--;
	}
	if (need)
		return vr_error_set(VR_EBACKEND, "%zu more '%s' wanted for "
		    "DirectDeviceAssignment than this host has free", need,
		    to->name);
	return 0;
}

/* The whole set script for these changes on vm. */
static int
set_body(struct body *b, const struct hyperv *h, const struct vr_hv_vm *vm,
    struct vr_change *ch, size_t n, bool stop)
{
	char *id = vr_ps_quote(vm->id);
	size_t i;
	int rc = 0;

	add(b, "$vrDone = New-Object System.Collections.ArrayList");
	add(b, "$vrStep = ''");
	add(b, "$vrFail = ''");
	add(b, "$vrStartFail = ''");
	add(b, "$vrStopped = $false");
	add(b, "$vm = Get-VM -Id %s", id);
	add(b, "try {");
	if (stop) {
		step(b, "stop");
		add(b, "Stop-VM -VM $vm -Force");
		add(b, "$vrStopped = $true");
	}
	/* the field table's order: processors, memory, then the GPU */
	for (i = 0; rc == 0 && i < n; i++) {
		step(b, vr_field_name(ch[i].field));
		switch (ch[i].field) {
		case VR_FIELD_CPU_COUNT:
			add(b, "Set-VMProcessor -VM $vm -Count %lld",
			    (long long)ch[i].to.i);
			break;
		case VR_FIELD_MEMORY:
			set_memory(b, vm, ch[i].to.i);
			break;
		case VR_FIELD_GPU:
			rc = set_gpu(b, h, vm, &ch[i].to.gpu);
			break;
		case VR_FIELD_RESTART_POLICY:
		case VR_FIELD_RESTART_WINDOWS:
		case VR_FIELD__COUNT:
			break;
		}
		step_done(b);
	}
	add(b, "$vrStep = ''");
	add(b, "} catch { $vrFail = $_.Exception.Message }");
	add(b, "if ($vrStopped) { try { Start-VM -VM $vm } catch { "
	    "$vrStartFail = $_.Exception.Message } }");
	add(b, "$vrOut = ConvertTo-Json -Compress -InputObject ([ordered]@{ "
	    "done = @($vrDone); step = $vrStep; failed = $vrFail; "
	    "startFailed = $vrStartFail; state = [string](Get-VM -Id %s).State "
	    "})", id);
	free(id);
	return rc;
}

/* What the set script reported: each change applied, in flight (the
 * step that failed: unknown) or never reached (not sent). */
static int
set_result(struct hyperv *h, const struct vr_hv_vm *vm, struct vr_change *ch,
    size_t n, bool was_running, const char *text, size_t len)
{
	static const struct vr_json_at at = {
		"the set script printed unexpected JSON", "", VR_EBACKEND
	};
	const char *stepname = "", *failed = "", *startf = "", *state = "";
	json_error_t jerr;
	json_t *root, *done = NULL;
	char got[400];
	size_t flen, i, j;
	char *fixed = vr_ps_utf8_repair(text, len, &flen);
	int rc = 0;

	root = json_loadb(fixed, flen, 0, &jerr);
	if (!json_is_object(root)) {
		vr_ps_excerpt(got, sizeof(got), fixed, flen);
		rc = vr_error_set(VR_EBACKEND, "the set script printed an "
		    "unexpected result: '%s'", got);
		goto out;
	}
	if (vr_json_str(&stepname, &at, root, "step", 0, 64, VR_JSON_PRINT,
	    VR_JSON_REQUIRED) < 0 ||
	    vr_json_str(&failed, &at, root, "failed", 0, VR_HV_MAX_STR * 8,
	    VR_JSON_ANY, VR_JSON_REQUIRED) < 0 ||
	    vr_json_str(&startf, &at, root, "startFailed", 0,
	    VR_HV_MAX_STR * 8, VR_JSON_ANY, VR_JSON_REQUIRED) < 0 ||
	    vr_json_str(&state, &at, root, "state", 0, 64, VR_JSON_PRINT,
	    VR_JSON_REQUIRED) < 0) {
		rc = VR_EBACKEND;
		goto out;
	}
	done = json_object_get(root, "done");
	for (i = 0; i < n; i++) {
		const char *key = vr_field_name(ch[i].field);
		bool is_done = false;

		if (json_is_string(done))
			is_done = strcmp(json_string_value(done), key) == 0;
		for (j = 0; json_is_array(done) && j < json_array_size(done);
		    j++) {
			json_t *e = json_array_get(done, j);

			is_done |= json_is_string(e) &&
			    strcmp(json_string_value(e), key) == 0;
		}
		if (is_done)
			ch[i].applied = true;
		else if (!failed[0] || strcmp(stepname, key) != 0)
			ch[i].sent = false; /* never reached */
	}
	if (failed[0]) {
		vr_ps_excerpt(got, sizeof(got), failed, strlen(failed));
		rc = vr_error_set(VR_EBACKEND, "%s on '%s' failed: %s%s%s",
		    strcmp(stepname, "stop") == 0 ? "Stop-VM" : stepname,
		    vm->name, got, startf[0] ? "; and Start-VM after it: " :
		    "", startf[0] ? startf : "");
	} else if (startf[0]) {
		vr_ps_excerpt(got, sizeof(got), startf, strlen(startf));
		rc = vr_error_set(VR_EBACKEND, "the changes were made, but "
		    "Start-VM failed and '%s' is %s: %s", vm->name, state, got);
	} else if (was_running && strcasecmp(state, "Running") != 0) {
		rc = vr_error_set(VR_EBACKEND, "after the changes '%s' is %s, "
		    "not Running", vm->name, state);
	}
	vr_progress(h->progress, "hyperv", "%s: %s", vm->name, rc == 0 ?
	    "changes made" : vr_error_msg());
out:
	json_decref(root);
	free(fixed);
	return rc;
}

static int
hyperv_apply(void *conn, struct vr_apply_request *req)
{
	struct hyperv *h = conn;
	const struct vr_hv_vm *vm;
	struct body b = { NULL, NULL, 0 };
	char *text = NULL;
	bool stop = false, was_running;
	size_t i, len;
	int rc;

	if (req->nchanges == 0)
		return 0;
	if ((rc = vr_changes_supported(req->changes, req->nchanges, HV_FIELDS,
	    "hyperv")) < 0)
		return rc;
	if (!(vm = vm_of(h, req->live->name)))
		return vr_error_last()->code;
	was_running = vr_hv_running(vm);
	if (!was_running && !vr_hv_off(vm))
		return vr_error_set(VR_EBACKEND, "VM '%s' is %s: vmrecon "
		    "changes a Hyper-V VM only while it is Running or Off",
		    vm->name, vm->state);
	for (i = 0; i < req->nchanges; i++)
		stop |= was_running && req->changes[i].mode == VR_MODE_RESTART;
	if (stop && !req->may_restart)
		return vr_error_set(VR_EINVALID, "a change needs '%s' off and "
		    "this apply may not restart it", vm->name);
	rc = set_body(&b, h, vm, req->changes, req->nchanges, stop);
	/* the names of devices about to leave the host, recorded first */
	if (rc == 0 && b.nrec)
		rc = vr_hv_map_put(h->state_dir, b.rec, b.nrec);
	if (rc < 0)
		goto out;
	for (i = 0; i < req->nchanges; i++)
		req->changes[i].sent = true;
	rc = vr_ps_run(h->ps, stop ? "Stop-VM, the changes, Start-VM" :
	    "the changes", b.s, &text, &len);
	if (rc == 0)
		rc = set_result(h, vm, req->changes, req->nchanges, was_running,
		    text, len);
out:
	/* whatever happened, the next observe asks the host again */
	drop_snap(h);
	free(text);
	free(b.s);
	for (i = 0; i < b.nrec; i++) {
		free(b.rec[i].location);
		free(b.rec[i].name);
		free(b.rec[i].instance);
	}
	free(b.rec);
	return rc;
}

const struct vr_driver vr_hyperv_driver = {
	.name = "hyperv",
	.fields = HV_FIELDS,
	.open = hyperv_open,
	.close = hyperv_close,
	.host = hyperv_host,
	.list = hyperv_list,
	.observe = hyperv_observe,
	.classify = hyperv_classify,
	.preflight = hyperv_preflight,
	.apply = hyperv_apply,
	.names_fold_case = true,
	.forget = hyperv_forget,
};
