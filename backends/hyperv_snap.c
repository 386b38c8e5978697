/*
 * hyperv_snap.c - what the hyperv backend knows of a host: the observe
 * script (every VM and the host in one call) and the strict reader of its
 * result.
 *
 * The script emits one small object of exactly what vmrecon needs, built
 * from plain values: "$($vm.State)"-style [string] casts (Windows
 * PowerShell 5.1's ConvertTo-Json writes an enum as its number), bytes as
 * [int64] (no UInt64 field, such as a GPU partition's 18446744073709551615
 * encoder count, is ever emitted, and jansson reads integers exactly, not
 * as doubles), an explicit -Depth (5.1 cuts anything deeper than its
 * default of 2 into a type name), and arrays that the reader also accepts
 * as a single value (PowerShell unrolls a one-element array returned by a
 * function).  Windows PowerShell 5.1 syntax only (t0490 checks).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../schema/bounds.h"
#include "../schema/field.h"
#include "../schema/util/error.h"
#include "../schema/util/json.h"
#include "hyperv.h"
#include "powershell.h"

#define MB (INT64_C(1024) * 1024)
/* a VM's memory in bytes, at most: the field table's bound */
#define MAX_VM_BYTES (vr_fields[VR_FIELD_MEMORY].max * MB)

static const char OBSERVE_BODY[] =
    "function VrNum($v) { if ($null -eq $v) { return $null }; "
    "return [int64]$v }\n"
    "function VrHas($n) { return $null -ne (Get-Command -Name $n "
    "-ErrorAction SilentlyContinue) }\n"
    "$os = Get-ItemProperty -Path "
    "'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'\n"
    "$cs = Get-CimInstance -ClassName Win32_ComputerSystem\n"
    "$osi = Get-CimInstance -ClassName Win32_OperatingSystem\n"
    "$vh = Get-VMHost\n"
    /* the guests' own words (KVP): OSName, OSMajorVersion; none when
     * integration services do not report (then memory is not live) */
    "$kvp = @{}\n"
    "try { foreach ($k in @(Get-CimInstance -Namespace "
    "'root\\virtualization\\v2' -ClassName Msvm_KvpExchangeComponent)) {"
    " $g = @{}; foreach ($item in @($k.GuestIntrinsicExchangeItems)) { "
    "if ($null -eq $item) { continue }; $x = [xml]$item; $n = ''; "
    "$d = ''; foreach ($p in @($x.INSTANCE.PROPERTY)) { "
    "if ($p.NAME -eq 'Name') { $n = [string]$p.VALUE }; "
    "if ($p.NAME -eq 'Data') { $d = [string]$p.VALUE } }; "
    "$g[$n] = $d }; $kvp[[string]$k.SystemName] = $g } } catch { }\n"
    "$hasGp = VrHas 'Get-VMGpuPartitionAdapter'\n"
    "$hasDa = VrHas 'Get-VMAssignableDevice'\n"
    "$vms = @()\n"
    "foreach ($v in @(Get-VM)) {\n"
    "$m = Get-VMMemory -VM $v\n"
    "$p = Get-VMProcessor -VM $v\n"
    "$gp = @()\n"
    "if ($hasGp) { foreach ($a in @(Get-VMGpuPartitionAdapter -VM $v)) "
    "{ $gp += [string]$a.InstancePath } }\n"
    "$dd = @()\n"
    "if ($hasDa) { foreach ($a in @(Get-VMAssignableDevice -VM $v)) { "
    "$dd += [pscustomobject][ordered]@{ locationPath = "
    "[string]$a.LocationPath; instanceId = [string]$a.InstanceID } } }\n"
    "$g = $kvp[[string]$v.Id]\n"
    "$gos = $null; $gmaj = $null\n"
    "if ($null -ne $g) { $gos = $g['OSName']; $gmaj = $g['OSMajorVersion'] "
    "}\n"
    "$vms += [pscustomobject][ordered]@{\n"
    "name = [string]$v.Name\n"
    "id = [string]$v.Id\n"
    "state = [string]$v.State\n"
    "generation = VrNum $v.Generation\n"
    "cpuCount = VrNum $p.Count\n"
    "nested = [bool]$p.ExposeVirtualizationExtensions\n"
    "startupBytes = VrNum $m.Startup\n"
    "minimumBytes = VrNum $m.Minimum\n"
    "maximumBytes = VrNum $m.Maximum\n"
    "dynamic = [bool]$m.DynamicMemoryEnabled\n"
    "demandBytes = VrNum $v.MemoryDemand\n"
    "assignedBytes = VrNum $v.MemoryAssigned\n"
    "stopAction = [string]$v.AutomaticStopAction\n"
    "highMmioBytes = VrNum $v.HighMemoryMappedIoSpace\n"
    "guestOs = $gos\n"
    "guestMajor = $gmaj\n"
    "gpuPartitions = $gp\n"
    "assigned = $dd\n"
    "}\n"
    "}\n"
    /* Windows 10 has Get-VMPartitionableGpu only */
    "$pgSrc = @()\n"
    "if (VrHas 'Get-VMHostPartitionableGpu') { $pgSrc = "
    "@(Get-VMHostPartitionableGpu) } elseif (VrHas "
    "'Get-VMPartitionableGpu') { $pgSrc = @(Get-VMPartitionableGpu) }\n"
    "$pg = @()\n"
    "foreach ($x in $pgSrc) { $pg += [string]$x.Name }\n"
    /* Get-PnpDevice fails when no device matches */
    "$pnp = @()\n"
    "try { $pnp = @(Get-PnpDevice -Class Display) } catch { }\n"
    "$disp = @()\n"
    "foreach ($d in $pnp) {\n"
    "$lp = @()\n"
    "try { foreach ($x in @((Get-PnpDeviceProperty -InstanceId "
    "$d.InstanceId -KeyName DEVPKEY_Device_LocationPaths).Data)) { "
    "if ($null -ne $x) { $lp += [string]$x } } } catch { }\n"
    "$disp += [pscustomobject][ordered]@{ name = [string]$d.FriendlyName; "
    "instanceId = [string]$d.InstanceId; present = [bool]$d.Present; "
    "locationPaths = $lp }\n"
    "}\n"
    "$spare = @()\n"
    "if (VrHas 'Get-VMHostAssignableDevice') { foreach ($a in "
    "@(Get-VMHostAssignableDevice)) { $spare += [pscustomobject][ordered]@{"
    " locationPath = [string]$a.LocationPath; instanceId = "
    "[string]$a.InstanceID } } }\n"
    "$r = [ordered]@{\n"
    "vms = $vms\n"
    "logicalProcessors = VrNum $vh.LogicalProcessorCount\n"
    "memoryBytes = VrNum $vh.MemoryCapacity\n"
    "freeMemoryKB = VrNum $osi.FreePhysicalMemory\n"
    "build = [string]$os.CurrentBuildNumber\n"
    "ubr = VrNum $os.UBR\n"
    "productName = [string]$os.ProductName\n"
    "installationType = [string]$os.InstallationType\n"
    "model = [string]$cs.Model\n"
    "partitionableGpus = $pg\n"
    "displays = $disp\n"
    "dismounted = $spare\n"
    "}\n"
    "$vrOut = ConvertTo-Json -InputObject $r -Compress -Depth 6";

const char *
vr_hyperv_observe_body(void)
{
	return OBSERVE_BODY;
}

/* ---- reading ---- */

bool
vr_hv_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A string member: 0 to VR_HV_MAX_STR bytes, no NUL; absent, null and ""
 * give NULL unless `required` (then 1 byte at least). */
static int
get_str(char **out, const struct vr_json_at *at, json_t *obj,
    const char *key, int required)
{
	const char *s = NULL;
	int rc = vr_json_str(&s, at, obj, key, required ? 1 : 0,
	    VR_HV_MAX_STR, VR_JSON_ANY, required ? VR_JSON_REQUIRED :
	    VR_JSON_OPTIONAL | VR_JSON_NULL_OK);

	*out = rc > 0 && s[0] ? vr_strdup(s) : NULL;
	return rc < 0 ? rc : 0;
}

/* An integer member in [lo, hi]; absent or null gives `dflt` unless
 * `required`. */
static int
get_int(int64_t *out, const struct vr_json_at *at, json_t *obj,
    const char *key, int64_t lo, int64_t hi, int required, int64_t dflt)
{
	int rc;

	*out = dflt;
	rc = vr_json_int(out, at, obj, key, lo, hi, required ?
	    VR_JSON_REQUIRED : VR_JSON_OPTIONAL | VR_JSON_NULL_OK);
	return rc < 0 ? rc : 0;
}

/* Bytes (at most max) as whole MB; `exact`: refuse a part of a MB. */
static int
get_mb(int64_t *out, const struct vr_json_at *at, json_t *obj,
    const char *key, int64_t max, int required, int exact, int64_t dflt)
{
	int64_t b;
	int rc = get_int(&b, at, obj, key, 0, max, required, -1);

	*out = dflt;
	if (rc < 0 || b < 0)
		return rc;
	if (exact && b % MB)
		return vr_json_bad(at, key, "%lld bytes is not a whole number "
		    "of MB", (long long)b);
	*out = b / MB;
	return 0;
}

/*
 * The elements of member `key`: an array of at most `max`, or one value
 * alone (PowerShell unrolls a one-element array a function returns, and
 * Windows PowerShell 5.1 may write it so); null or absent: none.  An
 * array 5.1 finds wrapped in a PSObject it writes as {"value": [...],
 * "Count": N} (its type data gives System.Array a Count property, which
 * PowerShell 6 dropped); that is the array too.  *n is the count; element
 * i is elem(v, i).
 */
static int
get_list(json_t **out, size_t *n, const struct vr_json_at *at, json_t *obj,
    const char *key, size_t max)
{
	json_t *v = json_object_get(obj, key), *w, *c;

	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_object(v) && json_object_size(v) == 2 &&
	    json_is_array(w = json_object_get(v, "value")) &&
	    json_is_integer(c = json_object_get(v, "Count")) &&
	    json_integer_value(c) == (json_int_t)json_array_size(w))
		v = w;
	if (!json_is_array(v)) {
		*out = v;
		*n = 1;
		return 0;
	}
	if (json_array_size(v) > max)
		return vr_json_bad(at, key, "more than %zu elements", max);
	*out = v;
	*n = json_array_size(v);
	return 0;
}

static json_t *
elem(json_t *list, size_t i)
{
	return json_is_array(list) ? json_array_get(list, i) : list;
}

/* "PATH.KEY[i]" (or "KEY[i]" at the top), for messages. */
static char *
sub_path(const struct vr_json_at *at, const char *key, size_t i)
{
	return vr_asprintf("%s%s%s[%zu]", at->path ? at->path : "",
	    at->path && at->path[0] ? "." : "", key, i);
}

/* A list of strings (each 0 to VR_HV_MAX_STR bytes, "" kept). */
static int
get_strs(char ***out, size_t *n, const struct vr_json_at *at, json_t *obj,
    const char *key, size_t max)
{
	json_t *v;
	size_t i, cnt;
	int rc = get_list(&v, &cnt, at, obj, key, max);

	*out = NULL;
	*n = 0;
	if (rc < 0 || cnt == 0)
		return rc;
	*out = vr_calloc(cnt, sizeof(**out));
	for (i = 0; i < cnt; i++) {
		struct vr_json_at e = *at;
		const char *s;
		char *p = sub_path(at, key, i);

		e.path = p;
		rc = vr_json_str(&s, &e, elem(v, i), NULL, 0, VR_HV_MAX_STR,
		    VR_JSON_ANY, VR_JSON_REQUIRED);
		free(p);
		if (rc < 0)
			return rc;
		(*out)[(*n)++] = vr_strdup(s);
	}
	return 0;
}

/* A list of {locationPath, instanceId}. */
static int
get_devs(struct vr_hv_dev **out, size_t *n, const struct vr_json_at *at,
    json_t *obj, const char *key, size_t max)
{
	json_t *v;
	size_t i, cnt;
	int rc = get_list(&v, &cnt, at, obj, key, max);

	*out = NULL;
	*n = 0;
	if (rc < 0 || cnt == 0)
		return rc;
	*out = vr_calloc(cnt, sizeof(**out));
	for (i = 0; i < cnt; i++) {
		struct vr_json_at e = *at;
		struct vr_hv_dev *d = &(*out)[(*n)++];
		json_t *o = elem(v, i);
		char *p = sub_path(at, key, i);

		e.path = p;
		if (!json_is_object(o))
			rc = vr_json_bad(&e, NULL, "expected an object");
		if (rc == 0)
			rc = get_str(&d->location, &e, o, "locationPath", 1);
		if (rc == 0)
			rc = get_str(&d->instance, &e, o, "instanceId", 0);
		free(p);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void
devs_free(struct vr_hv_dev *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].location);
		free(v[i].instance);
	}
	free(v);
}

static void
strs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
vm_clear(struct vr_hv_vm *vm)
{
	free(vm->name);
	free(vm->id);
	free(vm->state);
	free(vm->stop_action);
	free(vm->guest_os);
	strs_free(vm->gpup, vm->ngpup);
	devs_free(vm->dda, vm->ndda);
	memset(vm, 0, sizeof(*vm));
}

void
vr_hv_snap_clear(struct vr_hv_snap *s)
{
	size_t i;

	for (i = 0; i < s->nvms; i++)
		vm_clear(&s->vms[i]);
	free(s->vms);
	for (i = 0; i < s->ndisp; i++) {
		free(s->disp[i].name);
		free(s->disp[i].instance);
		strs_free(s->disp[i].paths, s->disp[i].npaths);
	}
	free(s->disp);
	strs_free(s->pgpus, s->npgpus);
	devs_free(s->spare, s->nspare);
	free(s->product);
	free(s->itype);
	free(s->model);
	memset(s, 0, sizeof(*s));
}

/* A decimal number in a string ("10"); -1 when absent or not one. */
static int
get_major(int *out, const struct vr_json_at *at, json_t *obj,
    const char *key)
{
	char *s = NULL, *end;
	long v;
	int rc = get_str(&s, at, obj, key, 0);

	*out = -1;
	if (rc < 0 || !s)
		return rc;
	v = strtol(s, &end, 10);
	if (end != s && !*end && v >= 0 && v < 1000 && s[0] >= '0' &&
	    s[0] <= '9')
		*out = (int)v;
	free(s);
	return 0;
}

static int
parse_vm(struct vr_hv_vm *vm, const struct vr_json_at *at, json_t *o)
{
	const struct vr_field_desc *cpu = &vr_fields[VR_FIELD_CPU_COUNT];
	int64_t v;
	bool b;
	int rc;

	if (!json_is_object(o))
		return vr_json_bad(at, NULL, "expected an object");
	if ((rc = get_str(&vm->name, at, o, "name", 1)) < 0 ||
	    (rc = get_str(&vm->id, at, o, "id", 1)) < 0 ||
	    (rc = get_str(&vm->state, at, o, "state", 1)) < 0 ||
	    (rc = get_str(&vm->stop_action, at, o, "stopAction", 0)) < 0 ||
	    (rc = get_str(&vm->guest_os, at, o, "guestOs", 0)) < 0 ||
	    (rc = get_major(&vm->guest_major, at, o, "guestMajor")) < 0)
		return rc;
	if (vr_hv_has_control(vm->name) || vr_hv_has_control(vm->id) ||
	    vr_hv_has_control(vm->state))
		return vr_json_bad(at, NULL, "a name, id or state with "
		    "control characters");
	if ((rc = get_int(&v, at, o, "generation", 1, 2, 1, 0)) < 0)
		return rc;
	vm->generation = (int)v;
	if ((rc = get_int(&v, at, o, "cpuCount", cpu->min, cpu->max, 1, 0)) <
	    0)
		return rc;
	vm->cpus = (int)v;
	if ((rc = get_mb(&vm->startup_mb, at, o, "startupBytes", MAX_VM_BYTES,
	    1, 1, 0)) < 0 ||
	    (rc = get_mb(&vm->min_mb, at, o, "minimumBytes", MAX_VM_BYTES, 0,
	    1, 0)) < 0 ||
	    (rc = get_mb(&vm->max_mb, at, o, "maximumBytes", INT64_MAX, 0, 1,
	    0)) < 0 ||
	    (rc = get_mb(&vm->demand_mb, at, o, "demandBytes", INT64_MAX, 0, 0,
	    0)) < 0 ||
	    (rc = get_mb(&vm->assigned_mb, at, o, "assignedBytes", INT64_MAX,
	    0, 0, 0)) < 0 ||
	    (rc = get_mb(&vm->high_mmio_mb, at, o, "highMmioBytes", INT64_MAX,
	    0, 0, -1)) < 0)
		return rc;
	b = false;
	if ((rc = vr_json_bool(&b, at, o, "dynamic", VR_JSON_OPTIONAL |
	    VR_JSON_NULL_OK)) < 0)
		return rc;
	vm->dynamic = b;
	b = false;
	if ((rc = vr_json_bool(&b, at, o, "nested", VR_JSON_OPTIONAL |
	    VR_JSON_NULL_OK)) < 0)
		return rc;
	vm->nested = b;
	if ((rc = get_strs(&vm->gpup, &vm->ngpup, at, o, "gpuPartitions",
	    VR_HV_MAX_DEVS)) < 0 ||
	    (rc = get_devs(&vm->dda, &vm->ndda, at, o, "assigned",
	    VR_HV_MAX_DEVS)) < 0)
		return rc;
	return 0;
}

static int
parse_display(struct vr_hv_display *d, const struct vr_json_at *at,
    json_t *o)
{
	bool b = false;
	int rc;

	if (!json_is_object(o))
		return vr_json_bad(at, NULL, "expected an object");
	if ((rc = get_str(&d->name, at, o, "name", 0)) < 0 ||
	    (rc = get_str(&d->instance, at, o, "instanceId", 1)) < 0 ||
	    (rc = vr_json_bool(&b, at, o, "present", VR_JSON_OPTIONAL |
	    VR_JSON_NULL_OK)) < 0 ||
	    (rc = get_strs(&d->paths, &d->npaths, at, o, "locationPaths",
	    VR_HV_MAX_PATHS)) < 0)
		return rc;
	d->present = b;
	return 0;
}

/* Each element of list `key` into a new array of `size`-byte items with
 * `fn`; the count in *n. */
static int
parse_each(void **out, size_t *n, size_t size, const struct vr_json_at *at,
    json_t *root, const char *key, size_t max,
    int (*fn)(void *, const struct vr_json_at *, json_t *))
{
	json_t *v;
	size_t i, cnt;
	int rc = get_list(&v, &cnt, at, root, key, max);

	*out = NULL;
	*n = 0;
	if (rc < 0 || cnt == 0)
		return rc;
	*out = vr_calloc(cnt, size);
	for (i = 0; i < cnt; i++) {
		struct vr_json_at e = *at;
		char *p = sub_path(at, key, i);

		e.path = p;
		rc = fn((char *)*out + i * size, &e, elem(v, i));
		free(p);
		(*n)++;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
vm_fn(void *p, const struct vr_json_at *at, json_t *o)
{
	return parse_vm(p, at, o);
}

static int
display_fn(void *p, const struct vr_json_at *at, json_t *o)
{
	return parse_display(p, at, o);
}

static int
parse_root(struct vr_hv_snap *s, json_t *root)
{
	static const struct vr_json_at at = {
		"the observe script printed unexpected JSON", "", VR_EBACKEND
	};
	char *build = NULL, *end;
	size_t i, j;
	int64_t v;
	int rc;

	if ((rc = parse_each((void **)&s->vms, &s->nvms, sizeof(*s->vms), &at,
	    root, "vms", VR_HV_MAX_VMS, vm_fn)) < 0 ||
	    (rc = parse_each((void **)&s->disp, &s->ndisp, sizeof(*s->disp),
	    &at, root, "displays", VR_HV_MAX_DISPLAY, display_fn)) < 0 ||
	    (rc = get_strs(&s->pgpus, &s->npgpus, &at, root,
	    "partitionableGpus", VR_HV_MAX_DEVS)) < 0 ||
	    (rc = get_devs(&s->spare, &s->nspare, &at, root, "dismounted",
	    VR_HV_MAX_DEVS)) < 0)
		return rc;
	/* Hyper-V's VM Ids are unique, and vmrecon names a VM by its Id
	 * when its name is not: no name may be another VM's Id */
	for (i = 0; i < s->nvms; i++)
		for (j = 0; j < s->nvms; j++)
			if (i != j && (strcasecmp(s->vms[i].id,
			    s->vms[j].id) == 0 || strcasecmp(s->vms[i].name,
			    s->vms[j].id) == 0))
				return vr_json_bad(&at, "vms", "the Id or name "
				    "of VM %zu is the Id of VM %zu, '%s'", i, j,
				    s->vms[j].id);
	if ((rc = get_int(&v, &at, root, "logicalProcessors", 1,
	    VR_HOST_CPU_MAX, 1, 0)) < 0)
		return rc;
	s->lps = (int)v;
	if ((rc = get_mb(&s->memory_mb, &at, root, "memoryBytes",
	    VR_HOST_MEMORY_MB_MAX * MB, 0, 0, 0)) < 0 ||
	    (rc = get_int(&v, &at, root, "freeMemoryKB", 0,
	    VR_HOST_MEMORY_MB_MAX * 1024, 0, 0)) < 0)
		return rc;
	s->free_mb = v / 1024;
	if ((rc = get_int(&v, &at, root, "ubr", 0, INT32_MAX, 0, 0)) < 0)
		return rc;
	s->ubr = (long)v;
	if ((rc = get_str(&build, &at, root, "build", 1)) < 0 ||
	    (rc = get_str(&s->product, &at, root, "productName", 0)) < 0 ||
	    (rc = get_str(&s->itype, &at, root, "installationType", 0)) < 0 ||
	    (rc = get_str(&s->model, &at, root, "model", 0)) < 0)
		goto out;
	s->build = strtol(build, &end, 10);
	if (*end || build[0] < '0' || build[0] > '9' || s->build < 0 ||
	    s->build > INT32_MAX) {
		rc = vr_json_bad(&at, "build", "not a number");
		goto out;
	}
	/* InstallationType: "Server", "Server Core" or "Client" */
	s->server = s->itype ? strncasecmp(s->itype, "Server", 6) == 0 :
	    s->product && strstr(s->product, "Server") != NULL;
out:
	free(build);
	return rc;
}

int
vr_hv_snap_parse(struct vr_hv_snap *s, const char *res, size_t len)
{
	json_t *root;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!(root = vr_ps_json_object(res, len)))
		rc = vr_error_last()->code;
	else
		rc = parse_root(s, root);
	json_decref(root);
	if (rc < 0)
		vr_hv_snap_clear(s);
	return rc;
}

int
vr_hyperv_parse_observe(struct vr_hv_snap *s, const char *text, size_t len)
{
	const char *res;
	size_t rlen, before;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = vr_ps_result("observe", text, len, &res, &rlen, &before);
	return rc < 0 ? rc : vr_hv_snap_parse(s, res, rlen);
}

/* ---- VMs ---- */

bool
vr_hv_running(const struct vr_hv_vm *vm)
{
	return strcasecmp(vm->state, "Running") == 0;
}

bool
vr_hv_off(const struct vr_hv_vm *vm)
{
	return strcasecmp(vm->state, "Off") == 0;
}

/* A name the loader accepts as metadata.name (vr_name_char_ok). */
static bool
name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!vr_name_char_ok(s[i], i))
			return false;
	return i > 0 && i <= VR_VM_NAME_MAX;
}

static size_t
count_named(const struct vr_hv_snap *s, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < s->nvms; i++)
		n += strcasecmp(s->vms[i].name, name) == 0;
	return n;
}

const char *
vr_hv_vm_key(const struct vr_hv_snap *s, const struct vr_hv_vm *vm)
{
	return name_ok(vm->name) && count_named(s, vm->name) == 1 ?
	    vm->name : vm->id;
}

const struct vr_hv_vm *
vr_hv_find_vm(const struct vr_hv_snap *s, const char *key)
{
	const struct vr_hv_vm *found = NULL;
	char ids[512] = "";
	size_t i, n = 0;

	for (i = 0; i < s->nvms; i++)
		if (strcasecmp(s->vms[i].id, key) == 0)
			return &s->vms[i];
	for (i = 0; i < s->nvms; i++) {
		if (strcasecmp(s->vms[i].name, key) != 0)
			continue;
		found = &s->vms[i];
		if (strlen(ids) + strlen(found->id) + 3 < sizeof(ids))
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids),
			    "%s%s", n ? ", " : "", found->id);
		n++;
	}
	if (n == 1)
		return found;
	if (n > 1)
		vr_error_set(VR_ECONFLICT, "%zu Hyper-V VMs are named '%s' "
		    "(Ids %s): Hyper-V allows it, vmrecon cannot tell which "
		    "you mean; name one by its Id in metadata.name", n, key,
		    ids);
	else
		vr_error_set(VR_ENOTFOUND, "no Hyper-V VM '%s' on this host "
		    "(vmrecon get lists them)", key);
	return NULL;
}
