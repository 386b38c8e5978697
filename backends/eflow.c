/*
 * eflow.c - the eflow backend: Azure IoT Edge for Linux on Windows, driven
 * through its PowerShell module, one request per call to a PowerShell
 * worker the connection keeps from open to close (see powershell.h).
 * Target: the launcher, default `powershell.exe`.
 *
 * The pitfall this backend exists to remove: Set-EflowVM resets every
 * parameter it is not given (CPU and memory to their defaults, the GPU is
 * removed; Microsoft, "GPU acceleration for Azure IoT Edge for Linux on
 * Windows": "the default parameter is used for any argument you don't
 * specify").  So apply sends at most one Set-EflowVM, always with every
 * parameter: the live value of each field the spec leaves out, the desired
 * value of the rest, and the GPU parameters whenever the VM must keep or
 * get a GPU.  Get-EflowVm shows only the GPU count; the GPU's name and
 * type come from the reconciler's record of the last applied spec.
 *
 * Two scripts are ever sent: OBSERVE_BODY (everything plan, diff, get and
 * verify need, in one call, cached until the next apply, or the next pass
 * of a watch: eflow_forget) and the one built by set_body() (Start-EflowVm
 * when needed, Set-EflowVM, the power state after each).  So a diff or an
 * in-sync apply is 1 call, an apply that changes something 3 (observe,
 * set, verify), all through one launcher start.
 *
 * What a real host does that this code assumes (sources in
 * backends/eflow.md):
 * AzureEFLOW functions catch their own exceptions, print
 * "[time] Exception caught!!!" with Write-Host and return normally
 * (Azure/iotedge-eflow #164, #223), so the set script captures what they
 * print (6>&1) and fails on it; NumberOfLogicalProcessors may be an array
 * on multi-socket hosts (NVIDIA's EFLOW user guide: {64, 64}); the host
 * may print noise before the result (#105); output may come in an OEM code
 * page; key case comes from a closed SDK; a numeric VmPowerState follows
 * moc's enum.  The scripts normalize all of it with PowerShell's
 * case-insensitive member access; this file checks what they print.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../schema/bounds.h"
#include "../schema/field.h"
#include "../schema/util/error.h"
#include "../schema/util/units.h"
#include "../schema/util/json.h"
#include "backend.h"
#include "eflow.h"
#include "powershell.h"

#define EFLOW_MIN_MEMORY_MB 1024 /* Set-EflowVM: even, 1024 or more */
/*
 * The memory rule.  Set-EflowVM's reference gives memoryInMB as "between
 * 1024 and the maximum amount of free memory of the device"
 * (Microsoft's "PowerShell functions for Azure IoT Edge for Linux on
 * Windows" reference, Set-EflowVM).  vmrecon reads "free" as what is free for
 * the VM when Set-EflowVM restarts it: FreePhysicalMemoryInMB plus what
 * the VM holds now, since stopping the VM frees that (the GPU guide's own
 * example re-sends the deployed 16384 MB with every Set-EflowVM, which a
 * bound of FreePhysicalMemoryInMB alone would refuse whenever the VM holds
 * more than the host has free).  That bound is not enough: wssdagent
 * refused to start a VM of 8192 MB with "Host has 9267 MB free memory"
 * (Azure/iotedge-eflow #164: 1075 MB to spare failed, 6144 MB started
 * with 3123 to spare), and a VM that no longer fits cannot even be
 * started to shrink it (#273/#274).  So every Set-EflowVM vmrecon sends,
 * whether it changes the memory or not (each one restarts the VM), must
 * leave EFLOW_MEMORY_MARGIN_MB of that spare: memoryInMB <= free +
 * current - 2048 (between #164's failure and its success).  With less
 * free than the margin, even a CPU or GPU change is refused until the
 * memory is lowered or freed.  eflow_preflight enforces it; the hard
 * bound free + current is the reconciler's (memory_limit_mb).
 */
#define EFLOW_MEMORY_MARGIN_MB 2048
/* The oldest EFLOW vmrecon supports: the first release after Microsoft's
 * PowerShell reference of 10/15/2021 (EFLOW 1.1 LTS) listed VmPowerState
 * among Get-EflowVm's properties (Azure/iotedge-eflow tag 1.1.2110.03111);
 * #49 shows a build of 2021-07 (IoT Edge 1.1.3) without it. */
#define EFLOW_OLDEST "1.1.2110"
#define MAX_STR 1024             /* bytes of a name read from the host */
/* Where the name of the GPU a VM holds by DDA can be read (for `get`):
 * Win32_VideoController lists present devices only; Get-PnpDevice without
 * -PresentOnly lists those that are not present too (Microsoft's PnpDevice
 * reference); the DDA GPUs are T4 and A2 (the support matrix below). */
#define GPU_NAME_HINT "EFLOW assigns NVIDIA T4 and A2 by " \
	"DirectDeviceAssignment only, and a GPU so assigned leaves " \
	"Win32_VideoController, where vmrecon's list of the host's GPUs " \
	"comes from; on the " \
	"host, 'Get-PnpDevice -Class Display' (without -PresentOnly) also " \
	"lists devices that are not present: its FriendlyName is the name " \
	"to declare"
/* the field table's rows: the one bound for each VM quantity */
#define CPU_F vr_fields[VR_FIELD_CPU_COUNT]
#define MEM_F vr_fields[VR_FIELD_MEMORY]
#define GPU_F vr_fields[VR_FIELD_GPU]
/* Set-EflowVM's -cpuCount, -memoryInMB and -gpu* parameters */
#define EFLOW_FIELDS (VR_FIELD_BIT(VR_FIELD_CPU_COUNT) | \
	VR_FIELD_BIT(VR_FIELD_MEMORY) | VR_FIELD_BIT(VR_FIELD_GPU))
#define MAX_TIMEOUT_MS 86400000

/*
 * The observe script: one small object of exactly what vmrecon needs.
 * PowerShell's member access ignores case, so the key case of the
 * module's objects (moc writes "hardwareprofile", issue #105 shows
 * "hardwareProfile") does not matter; [string] turns an enum into its name
 * and a number into digits; NumberOfLogicalProcessors is summed over every
 * Win32_Processor and every element (an array on multi-socket hosts),
 * falling back to Win32_ComputerSystem, then to EFLOW's own figure; a
 * missing gpucount or VmPowerState stays null; the SMBIOS strings are for
 * eflow_nested.c, the module's version (as eflowAutoDeploy.ps1 reads it,
 * Get-Module) and IoT Edge's for the message that refuses a host too old
 * to report VmPowerState.  Windows PowerShell 5.1 syntax only.
 */
static const char OBSERVE_BODY[] =
    "function VrNum($v) { if ($null -eq $v) { return $null }; "
    "return [int64]$v }\n"
    "function VrStr($v) { if ($null -eq $v) { return $null }; "
    "return [string]$v }\n"
    "function VrSum($a) { $t = [int64]0; foreach ($n in @($a)) { "
    "if ($null -ne $n) { $t += [int64]$n } }; return $t }\n"
    "$vm = Get-EflowVm\n"
    "$cfg = Get-EflowHostConfiguration\n"
    "$hp = $vm.VmConfiguration.properties.hardwareProfile\n"
    "$cs = $hp.customsize\n"
    "$sys = Get-CimInstance -ClassName Win32_ComputerSystem\n"
    "$bios = @(Get-CimInstance -ClassName Win32_BIOS)\n"
    "$board = @(Get-CimInstance -ClassName Win32_BaseBoard)\n"
    "$mod = @(Get-Module -Name AzureEFLOW)\n"
    "$lp = [int64]0\n"
    "foreach ($p in @(Get-CimInstance -ClassName Win32_Processor)) { "
    "$lp += VrSum $p.NumberOfLogicalProcessors }\n"
    "if ($lp -lt 1) { $lp = VrSum $sys.NumberOfLogicalProcessors }\n"
    "if ($lp -lt 1) { $lp = VrSum $cfg.NumberOfLogicalProcessors }\n"
    "$gpus = @()\n"
    "foreach ($v in @(Get-CimInstance -ClassName Win32_VideoController)) {"
    " $n = [string]$v.Name; if (-not $n) { $n = [string]$v.Caption }; "
    "if ($n) { $gpus += $n } }\n"
    "$types = @()\n"
    "if ($null -ne $cfg.GpuInfo) { foreach ($t in "
    "@($cfg.GpuInfo.SupportedPassthroughTypes)) { if ($null -ne $t) { "
    "$types += [string]$t } } }\n"
    "$os = Get-ItemProperty -Path "
    "'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'\n"
    "$r = [ordered]@{\n"
    "name = [string]$vm.VmConfiguration.name\n"
    "power = VrStr $vm.VmPowerState\n"
    "cpuCount = VrNum $cs.cpucount\n"
    "memoryMB = VrNum $cs.memorymb\n"
    "gpuCount = VrNum $cs.gpucount\n"
    "vmSize = [string]$hp.vmSize\n"
    "logicalProcessors = $lp\n"
    "freeMemoryMB = VrNum $cfg.FreePhysicalMemoryInMB\n"
    "totalMemoryBytes = VrNum $sys.TotalPhysicalMemory\n"
    "gpus = $gpus\n"
    "passthroughTypes = $types\n"
    "manufacturer = [string]$sys.Manufacturer\n"
    "model = [string]$sys.Model\n"
    "biosVendor = [string]$(if ($bios.Count) { $bios[0].Manufacturer })\n"
    "boardProduct = [string]$(if ($board.Count) { $board[0].Product })\n"
    "build = [string]$os.CurrentBuildNumber\n"
    "ubr = VrNum $os.UBR\n"
    "productName = [string]$os.ProductName\n"
    "installationType = [string]$os.InstallationType\n"
    "eflowVersion = [string]$(if ($mod.Count) { $mod[0].Version })\n"
    "edgeVersion = [string]$vm.EdgeRuntimeVersion.IotEdgeVersion\n"
    "}\n"
    "$vrOut = ConvertTo-Json -InputObject $r -Compress -Depth 3";

/*
 * A module call in the set script (a printf format: %s is the call, with
 * its arguments): what it returns and prints (Write-Host is the
 * information stream, 6) is captured; "Exception caught" in it or an
 * error record among it is a failure in the host's own words; then the
 * power state is read again and must be Running (moc's enum: 1).
 */
#define CALL_CHECK(name) \
	"$r = %s 6>&1\n" \
	"$t = ($r | Out-String).Trim()\n" \
	"if ($t) { $said += '" name ": ' + $t + \"`n\" }\n" \
	"foreach ($x in @($r)) { if ($x -is " \
	"[System.Management.Automation.ErrorRecord]) { " \
	"throw ('" name " failed: ' + $t) } }\n" \
	"if ($t -match 'Exception caught') { throw ('" name " failed: ' + " \
	"$t) }\n" \
	"$p = [string](Get-EflowVm).VmPowerState\n" \
	"if ($p -ne 'Running' -and $p -ne '1') { throw ('after " name \
	" the VM is ' + $p + $(if ($t) { ': ' + $t } else { '' })) }\n"

static const char SET_HEAD[] = "$said = ''\n$p = ''\n";
static const char SET_TAIL[] = "$vrOut = ConvertTo-Json -Compress "
    "-InputObject ([ordered]@{ said = $said; power = $p })";

/* One observation: the VM and its host, from one OBSERVE_BODY call. */
struct snap {
	char *name;
	int running;
	char *power; /* as the host said it */
	int cpus;
	int64_t memory_mb;
	int gpus;        /* -1: Get-EflowVm has no gpucount */
	int64_t free_mb; /* FreePhysicalMemoryInMB */
	struct vr_host host;
};

struct eflow {
	struct vr_ps *ps;
	bool progress;
	int have_snap;
	struct snap snap;
};

/*
 * The GPUs EFLOW can pass through, and how.  Source: Microsoft, "GPU
 * acceleration for Azure IoT Edge for Linux on Windows", the table of
 * supported GPUs (MicrosoftDocs/azure-docs,
 * articles/iot-edge/gpu-acceleration.md, ms.date 6/7/2022, unchanged in
 * 06/05/2025):
 * NVIDIA T4, A2: DDA; NVIDIA GeForce, Quadro, RTX: GPU-PV; Intel iGPU:
 * GPU-PV.  A GPU matches a row when its name starts with `vendor` and
 * contains `word` as a whole word (both case-insensitive); the first
 * matching row wins; a GPU no row matches supports no passthrough.
 */
static const struct gpu_support {
	const char *vendor;
	const char *word;
	unsigned types;
} gpu_matrix[] = {
	{ "NVIDIA", "T4", VR_GPU_DDA },
	{ "NVIDIA", "A2", VR_GPU_DDA },
	{ "NVIDIA", "GeForce", VR_GPU_PV },
	{ "NVIDIA", "Quadro", VR_GPU_PV },
	{ "NVIDIA", "RTX", VR_GPU_PV },
	{ "Intel(R)", "Graphics", VR_GPU_PV },
};

/*
 * Windows builds GPU passthrough needs, same source: "Windows 10 users must
 * use the November 2021 update build 19044.1620 or higher", "Windows
 * Server 2019 users must use minimum build 17763".
 */
static const struct build_need {
	int server; /* InstallationType Server / Server Core */
	long build, ubr;
	const char *what;
} build_needs[] = {
	{ 0, 19044, 1620, "Windows 10 needs build 19044.1620 or later" },
	{ 1, 17763, 0, "Windows Server 2019 needs build 17763 or later" },
};

static int
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* `word` occurs in `s` as a whole word, ignoring case. */
static int
has_word(const char *s, const char *word)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = s; *p; p++)
		if ((p == s || !is_alnum((unsigned char)p[-1])) &&
		    strncasecmp(p, word, wl) == 0 &&
		    !is_alnum((unsigned char)p[wl]))
			return 1;
	return 0;
}

unsigned
vr_eflow_gpu_types(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(gpu_matrix) / sizeof(gpu_matrix[0]); i++) {
		const struct gpu_support *g = &gpu_matrix[i];
		size_t vl = strlen(g->vendor);

		if (strncasecmp(name, g->vendor, vl) == 0 &&
		    !is_alnum((unsigned char)name[vl]) && has_word(name, g->word))
			return g->types;
	}
	return 0;
}

static void
snap_clear(struct snap *s)
{
	free(s->name);
	free(s->power);
	vr_host_clear(&s->host);
	memset(s, 0, sizeof(*s));
}

/* The observe result's fields, for messages. */
static const struct vr_json_at observe_at = {
	"the observe script printed unexpected JSON", "", VR_EBACKEND
};

/* An integer in [lo, hi]; null or absent gives `dflt` when `dflt_ok`. */
static int
get_int(int64_t *out, json_t *root, const char *key, int64_t lo, int64_t hi,
    int dflt_ok, int64_t dflt)
{
	int rc;

	*out = dflt;
	rc = vr_json_int(out, &observe_at, root, key, lo, hi,
	    dflt_ok ? VR_JSON_OPTIONAL | VR_JSON_NULL_OK : VR_JSON_REQUIRED);
	return rc < 0 ? rc : 0;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* `s` with every control character written as \xNN (and a backslash as
 * \\ only where it would read as such an escape), for a host string that
 * is shown but never sent back.  Caller frees. */
static char *
escape_control(const char *s)
{
	char *o = vr_malloc(4 * strlen(s) + 1), *p = o;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p = '\0';
	return o;
}

/* A string member of 0 to MAX_STR bytes without NUL (JSON null, absent
 * and empty: NULL).  With `required`, 1 to MAX_STR bytes. */
static int
get_str(char **out, json_t *root, const char *key, int required)
{
	const char *s = NULL;
	int rc = vr_json_str(&s, &observe_at, root, key, required ? 1 : 0,
	    MAX_STR, VR_JSON_ANY, required ? VR_JSON_REQUIRED :
	    VR_JSON_OPTIONAL | VR_JSON_NULL_OK);

	*out = rc > 0 && s[0] ? vr_strdup(s) : NULL;
	return rc < 0 ? rc : 0;
}

/* Add one video controller to h->gpus (counting duplicates). */
static void
add_gpu(struct vr_host *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->ngpus; i++)
		if (strcmp(h->gpus[i].name, name) == 0) {
			h->gpus[i].count++;
			return;
		}
	h->gpus = vr_realloc(h->gpus, (h->ngpus + 1) * sizeof(*h->gpus));
	memset(&h->gpus[h->ngpus], 0, sizeof(*h->gpus));
	h->gpus[h->ngpus].name = vr_strdup(name);
	h->gpus[h->ngpus].types = vr_eflow_gpu_types(name);
	h->gpus[h->ngpus].count = 1;
	h->ngpus++;
}

/* One name of get_names: 1 to MAX_STR bytes without NUL, added to `h`
 * (when not NULL) with control characters escaped. */
static int
add_name(struct vr_host *h, const struct vr_json_at *at, json_t *obj,
    const char *key)
{
	const char *s;
	char *esc;
	int rc = vr_json_str(&s, at, obj, key, 1, MAX_STR, VR_JSON_ANY,
	    VR_JSON_REQUIRED);

	if (rc < 0 || !h)
		return rc < 0 ? rc : 0;
	esc = escape_control(s);
	add_gpu(h, esc);
	free(esc);
	return 0;
}

/* An array member of at most `max` names (null, absent: empty; a string:
 * one name, if a host ever unrolls a one-element array); each goes to
 * add_name. */
static int
get_names(json_t *root, const char *key, size_t max, struct vr_host *h)
{
	struct vr_json_at at = observe_at;
	json_t *v = NULL;
	size_t i;
	int rc;

	if (json_is_string(json_object_get(root, key)))
		return add_name(h, &observe_at, root, key);
	rc = vr_json_array(&v, &observe_at, root, key, 0, max,
	    VR_JSON_OPTIONAL | VR_JSON_NULL_OK);
	for (i = 0; rc > 0 && i < json_array_size(v); i++) {
		char *p = vr_asprintf("%s[%zu]", key, i);

		at.path = p;
		rc = add_name(h, &at, json_array_get(v, i), NULL);
		free(p);
		if (rc == 0)
			rc = 1;
	}
	return rc < 0 ? rc : 0;
}

/* moc's PowerState (microsoft/moc rpc/common/moc_common_computecommon.proto:
 * Unknown 0, Running 1, Off 2, Paused 3, Critical 4, Saved 5) when the
 * host prints a number, else the name; only Running counts as running. */
static int
power_running(const char *p)
{
	if (p[0] >= '0' && p[0] <= '9')
		return strcmp(p, "1") == 0;
	return strcasecmp(p, "Running") == 0;
}

/* The Windows version: *blocker is set (malloc'd) when the build is below
 * what GPU passthrough needs. */
static int
check_build(json_t *root, char **blocker)
{
	char *build = NULL, *product = NULL, *itype = NULL, *end;
	int64_t ubr;
	long nbuild;
	size_t i;
	int rc, server;

	*blocker = NULL;
	if ((rc = get_str(&build, root, "build", 1)) < 0 ||
	    (rc = get_str(&product, root, "productName", 0)) < 0 ||
	    (rc = get_str(&itype, root, "installationType", 0)) < 0 ||
	    (rc = get_int(&ubr, root, "ubr", 0, INT32_MAX, 1, 0)) < 0)
		goto out;
	errno = 0;
	nbuild = strtol(build, &end, 10);
	if (errno || *end || end == build || nbuild < 0 || build[0] < '0' ||
	    build[0] > '9') {
		rc = vr_error_set(VR_EBACKEND, "the observe script printed "
		    "unexpected JSON: build is not a number");
		goto out;
	}
	if (product && has_control(product)) {
		char *esc = escape_control(product);

		free(product);
		product = esc;
	}
	server = itype ? strncasecmp(itype, "Server", 6) == 0 :
	    product && has_word(product, "Server");
	for (i = 0; i < sizeof(build_needs) / sizeof(build_needs[0]); i++) {
		const struct build_need *b = &build_needs[i];

		if (b->server != server)
			continue;
		if (nbuild < b->build || (nbuild == b->build && ubr < b->ubr))
			*blocker = vr_asprintf("this host runs %s build "
			    "%ld.%lld and EFLOW GPU passthrough on %s",
			    product ? product : "Windows", nbuild,
			    (long long)ubr, b->what);
	}
out:
	free(build);
	free(product);
	free(itype);
	return rc;
}

/* An optional string of the observe result for a message: NULL when
 * absent or empty, control characters escaped.  Caller frees. */
static int
get_shown(char **out, json_t *root, const char *key)
{
	char *raw = NULL;
	int rc = get_str(&raw, root, key, 0);

	*out = raw ? escape_control(raw) : NULL;
	free(raw);
	return rc;
}

/* No VmPowerState: an EFLOW older than vmrecon supports (see EFLOW_OLDEST).
 * Its power cannot be read another way that is documented (eflowAutoDeploy
 * uses Get-VM on Server and hcsdiag's text on client editions), and
 * Set-EflowVM needs a running VM: refuse, naming what the host runs. */
static int
too_old(json_t *root)
{
	char *mod = NULL, *edge = NULL;
	int rc;

	if ((rc = get_shown(&mod, root, "eflowVersion")) == 0 &&
	    (rc = get_shown(&edge, root, "edgeVersion")) == 0)
		rc = vr_error_set(VR_EBACKEND, "this host's EFLOW (AzureEFLOW "
		    "module %s, IoT Edge %s) is older than vmrecon supports: "
		    "its Get-EflowVm has no VmPowerState (the observe script "
		    "read none), so vmrecon cannot tell whether the VM runs "
		    "(Set-EflowVM refuses a stopped one); vmrecon supports "
		    "EFLOW " EFLOW_OLDEST " and later, whose Get-EflowVm has "
		    "it: update EFLOW on this host",
		    mod ? mod : "of unknown version",
		    edge ? edge : "unknown");
	free(mod);
	free(edge);
	return rc;
}

/* Whether the host is itself a VM (eflow_nested.c): sets h->nested and
 * adds the reason to h->gpu_blocker. */
static int
check_nested(json_t *root, struct vr_host *h)
{
	char *man = NULL, *model = NULL, *bios = NULL, *board = NULL, *old;
	struct vr_eflow_dmi d;
	const char *hv, *field = NULL, *value = NULL;
	int rc;

	if ((rc = get_shown(&man, root, "manufacturer")) < 0 ||
	    (rc = get_shown(&model, root, "model")) < 0 ||
	    (rc = get_shown(&bios, root, "biosVendor")) < 0 ||
	    (rc = get_shown(&board, root, "boardProduct")) < 0)
		goto out;
	d.manufacturer = man;
	d.model = model;
	d.bios_vendor = bios;
	d.board_product = board;
	if ((hv = vr_eflow_nested(&d, &field, &value))) {
		h->nested = true;
		old = h->gpu_blocker;
		h->gpu_blocker = vr_asprintf("the host is itself a %s virtual "
		    "machine (%s '%s') and EFLOW does not support GPU "
		    "passthrough with nested virtualization%s%s", hv, field,
		    value, old ? "; also " : "", old ? old : "");
		free(old);
	}
out:
	free(man);
	free(model);
	free(bios);
	free(board);
	return rc;
}

/* Parse the observe script's result into *s. */
static int
parse_snap(struct snap *s, const char *text, size_t len)
{
	json_t *root = NULL;
	json_error_t jerr;
	char got[96], *vmsize = NULL;
	size_t fixed_len;
	char *fixed = vr_ps_utf8_repair(text, len, &fixed_len);
	int64_t v;
	int rc;

	memset(s, 0, sizeof(*s));
	root = json_loadb(fixed, fixed_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		vr_ps_excerpt(got, sizeof(got), fixed, fixed_len);
		rc = vr_error_set(VR_EBACKEND, "the observe script printed no "
		    "JSON object (%s at line %d column %d): '%s'",
		    root ? "not an object" : jerr.text, jerr.line, jerr.column,
		    got);
		goto out;
	}
	if ((rc = get_str(&s->name, root, "name", 1)) < 0)
		goto out;
	if (has_control(s->name)) {
		char *esc = escape_control(s->name);

		rc = vr_error_set(VR_EBACKEND, "the EFLOW VM's name '%s' has "
		    "control characters; vmrecon refuses to manage it", esc);
		free(esc);
		goto out;
	}
	if ((rc = get_str(&s->power, root, "power", 0)) < 0)
		goto out;
	if (!s->power) {
		rc = too_old(root);
		goto out;
	}
	s->running = power_running(s->power);
	if ((rc = get_int(&v, root, "cpuCount", CPU_F.min, CPU_F.max, 0,
	    0)) < 0)
		goto out;
	s->cpus = (int)v;
	if ((rc = get_int(&v, root, "memoryMB", 1, MEM_F.max, 0,
	    0)) < 0)
		goto out;
	s->memory_mb = v;
	if ((rc = get_int(&v, root, "gpuCount", 0, GPU_F.max, 1,
	    -1)) < 0)
		goto out;
	s->gpus = (int)v;
	if ((rc = get_str(&vmsize, root, "vmSize", 0)) < 0 ||
	    (rc = get_int(&v, root, "logicalProcessors", 1,
	    VR_HOST_CPU_MAX, 0, 0)) < 0)
		goto out;
	s->host.cpus = (int)v;
	if ((rc = get_int(&s->free_mb, root, "freeMemoryMB", 0,
	    VR_HOST_MEMORY_MB_MAX, 0, 0)) < 0 ||
	    (rc = get_int(&v, root, "totalMemoryBytes", 0,
	    VR_HOST_MEMORY_MB_MAX * 1024 * 1024, 1, 0)) < 0)
		goto out;
	s->host.memory_mb = v / (1024 * 1024);
	if ((rc = get_names(root, "gpus", VR_HOST_GPUS_MAX, &s->host)) < 0 ||
	    (rc = get_names(root, "passthroughTypes", VR_GPU_TYPES_MAX,
	    NULL)) < 0 ||
	    (rc = check_build(root, &s->host.gpu_blocker)) < 0 ||
	    (rc = check_nested(root, &s->host)) < 0)
		goto out;
	s->host.min_memory_mb = EFLOW_MIN_MEMORY_MB;
	s->host.gpu_name_hint = GPU_NAME_HINT;
out:
	if (rc < 0)
		snap_clear(s);
	free(vmsize);
	free(fixed);
	json_decref(root);
	return rc;
}

int
vr_eflow_parse_observe(struct vr_host *host, const char *text, size_t len)
{
	const char *res;
	size_t rlen, before;
	struct snap s;
	int rc;

	memset(host, 0, sizeof(*host));
	rc = vr_ps_result("observe", text, len, &res, &rlen, &before);
	if (rc == 0)
		rc = parse_snap(&s, res, rlen);
	if (rc < 0)
		return rc;
	*host = s.host;
	memset(&s.host, 0, sizeof(s.host));
	snap_clear(&s);
	return 0;
}

/* The cached observation, running the observe script if there is none. */
static int
ensure_snap(struct eflow *e)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (e->have_snap)
		return 0;
	rc = vr_ps_run(e->ps, "observe (Get-EflowVm, "
	    "Get-EflowHostConfiguration, CIM, registry)", OBSERVE_BODY, &text,
	    &len);
	if (rc == 0)
		rc = parse_snap(&e->snap, text, len);
	free(text);
	if (rc == 0)
		e->have_snap = 1;
	return rc;
}

static void
host_copy(struct vr_host *dst, const struct vr_host *src)
{
	size_t i;

	*dst = *src;
	dst->gpu_blocker = src->gpu_blocker ? vr_strdup(src->gpu_blocker) :
	    NULL;
	dst->gpus = src->ngpus ? vr_calloc(src->ngpus, sizeof(*dst->gpus)) :
	    NULL;
	for (i = 0; i < src->ngpus; i++) {
		dst->gpus[i] = src->gpus[i];
		dst->gpus[i].name = vr_strdup(src->gpus[i].name);
		dst->gpus[i].addr = src->gpus[i].addr ?
		    vr_strdup(src->gpus[i].addr) : NULL;
	}
}

static int
eflow_open(void **out, const char *target,
    const struct vr_backend_options *opts)
{
	const char *env = getenv("VMRECON_EFLOW_TIMEOUT_MS");
	struct vr_ps_options po = { 0 };
	struct eflow *e;
	int64_t timeout = 0;
	int rc;

	*out = NULL;
	/* --backend-timeout; else the documented fallback, in ms */
	if (opts && opts->timeout_ms > 0)
		timeout = opts->timeout_ms;
	else if (env && *env && vr_parse_count(&timeout, env, 1,
	    MAX_TIMEOUT_MS, "VMRECON_EFLOW_TIMEOUT_MS") < 0)
		return VR_EINVALID;
	e = vr_calloc(1, sizeof(*e));
	po.target = target;
	po.module = "AzureEFLOW";
	po.timeout_ms = (int)timeout;
	rc = vr_ps_open(&e->ps, &po);
	if (rc < 0) {
		free(e);
		return rc;
	}
	e->progress = opts && opts->progress;
	*out = e;
	return 0;
}

static void
eflow_close(void *conn)
{
	struct eflow *e = conn;

	if (!e)
		return;
	vr_ps_free(e->ps);
	snap_clear(&e->snap);
	free(e);
}

/* The next observe asks the host again (watch: every pass). */
static void
eflow_forget(void *conn)
{
	struct eflow *e = conn;

	e->have_snap = 0;
	snap_clear(&e->snap);
}

unsigned long
vr_eflow_invocations(const void *conn)
{
	const struct eflow *e = conn;

	return e ? vr_ps_starts(e->ps) : 0;
}

const char *
vr_eflow_observe_body(void)
{
	return OBSERVE_BODY;
}

static int
eflow_host(void *conn, struct vr_host *out)
{
	struct eflow *e = conn;
	int rc = ensure_snap(e);

	if (rc < 0)
		return rc;
	host_copy(out, &e->snap.host);
	return 0;
}

static int
eflow_list(void *conn, char ***out, size_t *count)
{
	struct eflow *e = conn;
	int rc = ensure_snap(e);

	if (rc < 0)
		return rc;
	*out = vr_calloc(2, sizeof(**out));
	(*out)[0] = vr_strdup(e->snap.name);
	*count = 1;
	return 0;
}

/* The GPU the record says the VM has, when nothing contradicts it. */
static int
record_has_gpu(const struct vr_vm_spec *record, int count)
{
	return record && record->gpu_want == VR_GPU_WANT && record->gpu.name &&
	    (count < 0 || record->gpu.count == count);
}

static int
eflow_observe(void *conn, const char *name, const struct vr_vm_spec *record,
    struct vr_vm_live *out)
{
	struct eflow *e = conn;
	const struct snap *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ensure_snap(e)) < 0)
		return rc;
	s = &e->snap;
	/* Windows names compare without regard to case */
	if (strcasecmp(s->name, name) != 0)
		return vr_error_set(VR_ENOTFOUND, "no EFLOW VM '%s' on this "
		    "host: its EFLOW VM is '%s' (use that as metadata.name)",
		    name, s->name);
	out->name = vr_strdup(s->name);
	out->running = s->running;
	out->cpu_count = s->cpus;
	out->memory_mb = s->memory_mb;
	out->gpu.count = s->gpus;
	/* Only the count is observable: the name and type are the recorded
	 * ones, and only while the count still matches the record.  Without
	 * a gpucount at all, the record (if any) stands in for the value, so
	 * that a spec declaring the recorded GPU is in sync; with no record
	 * either, whether there is a GPU is unknown.  Either way preflight
	 * refuses a change while the spec leaves gpu out: a record can be
	 * stale (see eflow_preflight). */
	if (s->gpus < 0) {
		out->gpu_unseen = true;
		out->gpu.count = record_has_gpu(record, -1) ?
		    record->gpu.count : 0;
		out->gpu_unknown = !record_has_gpu(record, -1) &&
		    !(record && record->gpu_want == VR_GPU_NONE);
	}
	if (out->gpu.count > 0 && record_has_gpu(record, out->gpu.count)) {
		out->gpu.name = vr_strdup(record->gpu.name);
		out->gpu.type = record->gpu.type;
	}
	/* the hard limit; the margin below it is eflow_preflight's */
	out->memory_limit_mb = s->free_mb + s->memory_mb;
	return 0;
}

static int
eflow_classify(void *conn, const struct vr_vm_live *live, struct vr_change *c)
{
	switch (c->field) {
	case VR_FIELD_CPU_COUNT:
	case VR_FIELD_MEMORY:
	case VR_FIELD_GPU:
		return vr_change_restart(c, "EFLOW applies every change with "
		    "Set-EflowVM, which reconfigures the VM and needs it "
		    "running");
	case VR_FIELD_RESTART_POLICY:
	case VR_FIELD_RESTART_WINDOWS:
	case VR_FIELD__COUNT:
		break;
	}
	return vr_change_unsupported(c, "eflow");
}

/* The GPU names the host has, "'A', 'B'" or "none", for messages. */
static char *
host_gpu_names(const struct vr_host *host)
{
	char *s = vr_strdup(""), *t;
	size_t i;

	if (!host || host->ngpus == 0) {
		free(s);
		return vr_strdup("none");
	}
	for (i = 0; i < host->ngpus; i++) {
		t = vr_asprintf("%s%s'%s'", s, i ? ", " : "",
		    host->gpus[i].name);
		free(s);
		s = t;
	}
	return s;
}

/* The memory rule (EFLOW_MEMORY_MARGIN_MB): the memoryInMB the one
 * Set-EflowVM will carry, changed or not, must leave the margin spare when
 * the VM starts again. */
static void
check_margin(const struct vr_vm_spec *spec, const struct vr_vm_live *live,
    const struct vr_change *changes, size_t nchanges,
    struct vr_diags *diags, const char *path)
{
	int64_t lim = live->memory_limit_mb, send = live->memory_mb;
	int changing = 0;
	size_t i;

	for (i = 0; i < nchanges; i++)
		if (changes[i].field == VR_FIELD_MEMORY) {
			send = changes[i].to.i;
			changing = 1;
		}
	/* above lim: the reconciler's own check says so */
	if (lim <= 0 || send > lim || send <= lim - EFLOW_MEMORY_MARGIN_MB)
		return;
	if (changing)
		vr_diags_add(diags, path, spec->at_memory.line,
		    spec->at_memory.col, "memoryInMB %lld leaves less than "
		    "the %d MB vmrecon keeps free on an EFLOW host (%lld MB "
		    "free plus the VM's %lld MB; at most %lld): wssdagent "
		    "refuses to start a VM that does not fit, and did with "
		    "1075 MB to spare (Azure/iotedge-eflow #164)",
		    (long long)send, EFLOW_MEMORY_MARGIN_MB,
		    (long long)(lim - live->memory_mb),
		    (long long)live->memory_mb,
		    (long long)(lim - EFLOW_MEMORY_MARGIN_MB));
	else
		vr_diags_add(diags, path, spec->has_memory ?
		    spec->at_memory.line : spec->at_doc.line, spec->has_memory ?
		    spec->at_memory.col : spec->at_doc.col, "Set-EflowVM "
		    "restarts VM '%s' with its %lld MB, and the host has only "
		    "%lld MB free, less than the %d MB vmrecon keeps spare when "
		    "an EFLOW VM starts (wssdagent refused one with 1075 MB to "
		    "spare, Azure/iotedge-eflow #164, and a VM that cannot "
		    "start cannot be resized, #273/#274): free memory on the "
		    "host, or set memoryInMB to %lld or less", spec->name,
		    (long long)send, (long long)(lim - live->memory_mb),
		    EFLOW_MEMORY_MARGIN_MB,
		    (long long)(lim - EFLOW_MEMORY_MARGIN_MB));
}

static int
eflow_preflight(void *conn, const struct vr_host *host,
    const struct vr_vm_spec *spec, const struct vr_vm_live *live,
    const struct vr_change *changes, size_t nchanges,
    struct vr_diags *diags, const char *path)
{
	char *names;

	/* The generic checks (CPUs, memory, the host's GPUs and their
	 * types, gpu_blocker) are the reconciler's, and the loader's (even
	 * memory, ParaVirtualization count 1); these are EFLOW's own: the
	 * memory margin, and a GPU Set-EflowVM would drop. */
	if (nchanges == 0)
		return 0;
	check_margin(spec, live, changes, nchanges, diags, path);
	if (spec->gpu_want != VR_GPU_UNMANAGED)
		return 0;
	names = host_gpu_names(host);
	if (live->gpu_unseen) {
		/* not observable: even a record may be stale */
		char *rec = live->gpu_unknown ? vr_strdup("vmrecon has no "
		    "record of it either") : live->gpu.count == 0 ?
		    vr_strdup("vmrecon's record of its last apply says 'gpu: "
		    "none', but a GPU may have been added since without "
		    "vmrecon") : vr_asprintf("vmrecon's record of its last "
		    "apply says %d '%s' by %s, but a GPU may have been changed "
		    "since without vmrecon", live->gpu.count, live->gpu.name,
		    vr_gpu_type_name(live->gpu.type));

		vr_diags_add(diags, path, spec->at_doc.line, spec->at_doc.col,
		    "Get-EflowVm on this host reports no gpucount, so vmrecon "
		    "cannot see whether VM '%s' has a GPU, and Set-EflowVM "
		    "removes a GPU it is not given; %s: declare the GPU in the "
		    "spec (this host has %s) or write 'gpu: none' for none",
		    spec->name, rec, names);
		free(rec);
	} else if (live->gpu.count > 0 &&
	    (!live->gpu.name || live->gpu.type == VR_GPU_TYPE_NONE))
		vr_diags_add(diags, path, spec->at_doc.line, spec->at_doc.col,
		    "VM '%s' has %d GPU%s whose name and passthrough type "
		    "vmrecon has no record of, and Set-EflowVM removes a GPU "
		    "it is not given: declare the GPU in the spec (gpu: name, "
		    "passthroughType, count; this host lists %s; %s) or write "
		    "'gpu: none' to remove it", spec->name, live->gpu.count,
		    live->gpu.count == 1 ? "" : "s", names, GPU_NAME_HINT);
	free(names);
	return 0;
}

/* The Set-EflowVM call for this result: every parameter given.
 * gpuCount with ParaVirtualization: Microsoft's sources disagree (the
 * Set-EflowVM table says gpuCount is "only valid when using
 * DirectDeviceAssignment"; Deploy-Eflow's says "If using
 * ParaVirtualization, make sure to set gpuCount = 1", and the GPU guide's
 * own example passes -gpuCount 1 with ParaVirtualization).  vmrecon sends
 * -gpuCount 1 with ParaVirtualization: the example is a command Microsoft
 * ran, and an omitted parameter takes its default (the pitfall), which
 * for gpuCount is undocumented. */
static char *
set_call(int cpus, int64_t memory_mb, const struct vr_gpu *gpu)
{
	char *name, *type, *s;

	if (gpu->count == 0)
		return vr_asprintf("Set-EflowVM -cpuCount %d -memoryInMB %lld "
		    "-headless", cpus, (long long)memory_mb);
	name = vr_ps_quote(gpu->name);
	type = vr_ps_quote(vr_gpu_type_name(gpu->type));
	s = vr_asprintf("Set-EflowVM -cpuCount %d -memoryInMB %lld "
	    "-gpuName %s -gpuPassthroughType %s -gpuCount %d -headless", cpus,
	    (long long)memory_mb, name, type,
	    gpu->type == VR_GPU_DDA ? gpu->count : 1);
	free(name);
	free(type);
	return s;
}

/* The whole set body: Start-EflowVm first when `start`. */
static char *
set_body(int start, const char *call)
{
	char *st = start ? vr_asprintf(CALL_CHECK("Start-EflowVm"),
	    "Start-EflowVm") : vr_strdup("");
	char *set = vr_asprintf(CALL_CHECK("Set-EflowVM"), call);
	char *s = vr_asprintf("%s%s%s%s", SET_HEAD, st, set, SET_TAIL);

	free(st);
	free(set);
	return s;
}

/* What the set script printed after its sentinel: what the module said
 * (shown as progress) and the power state after it. */
static int
set_result(struct eflow *e, const char *text, size_t len)
{
	json_t *root;
	json_error_t jerr;
	json_t *said, *power;
	char got[400];
	size_t flen;
	char *fixed = vr_ps_utf8_repair(text, len, &flen);
	int rc = 0;

	root = json_loadb(fixed, flen, 0, &jerr);
	said = json_object_get(root, "said");
	power = json_object_get(root, "power");
	if (!json_is_object(root) || !json_is_string(said) ||
	    !json_is_string(power)) {
		vr_ps_excerpt(got, sizeof(got), fixed, flen);
		rc = vr_error_set(VR_EBACKEND, "Set-EflowVM: the script printed "
		    "an unexpected result: '%s'", got);
	} else if (!power_running(json_string_value(power))) {
		vr_ps_excerpt(got, sizeof(got), json_string_value(said),
		    json_string_length(said));
		rc = vr_error_set(VR_EBACKEND, "after Set-EflowVM the VM is "
		    "'%s'%s%s", json_string_value(power), got[0] ? ": " : "",
		    got);
	} else if (json_string_length(said)) {
		vr_ps_excerpt(got, sizeof(got), json_string_value(said),
		    json_string_length(said));
		vr_progress(e->progress, "eflow", "%s", got);
	}
	json_decref(root);
	free(fixed);
	return rc;
}

static int
eflow_apply(void *conn, struct vr_apply_request *req)
{
	struct eflow *e = conn;
	const struct vr_vm_live *live = req->live;
	const struct vr_gpu *gpu = &live->gpu;
	int64_t cpus = live->cpu_count, memory_mb = live->memory_mb;
	char *call = NULL, *body = NULL, *text = NULL;
	size_t i, len;
	int rc = 0;

	if (req->nchanges == 0)
		return 0;
	/* Start from the live VM, then what is to change now: a field the
	 * spec leaves out (or already has right) keeps its live value.  A
	 * field Set-EflowVM has no parameter for is refused before anything
	 * is sent: marked applied, it would be a lie. */
	for (i = 0; i < req->nchanges; i++) {
		const struct vr_change *c = &req->changes[i];

		switch (c->field) {
		case VR_FIELD_CPU_COUNT:
			cpus = c->to.i;
			break;
		case VR_FIELD_MEMORY:
			memory_mb = c->to.i;
			break;
		case VR_FIELD_GPU:
			gpu = &c->to.gpu;
			break;
		case VR_FIELD_RESTART_POLICY:
		case VR_FIELD_RESTART_WINDOWS:
		case VR_FIELD__COUNT:
			return vr_change_unsupported(c, "eflow");
		}
	}
	if (gpu->count > 0 && (!gpu->name || !vr_gpu_type_name(gpu->type))) {
		rc = vr_error_set(VR_EINVALID, "VM '%s' has a GPU whose name "
		    "vmrecon does not know, and Set-EflowVM would remove it: "
		    "declare the GPU in the spec", live->name);
		goto out;
	}
	if (cpus < CPU_F.min || cpus > CPU_F.max ||
	    memory_mb < EFLOW_MIN_MEMORY_MB || memory_mb > MEM_F.max) {
		rc = vr_error_set(VR_EINVALID, "cpuCount %lld, memoryInMB %lld: "
		    "out of EFLOW's range", (long long)cpus,
		    (long long)memory_mb);
		goto out;
	}
	if (!live->running && !req->may_restart) {
		rc = vr_error_set(VR_EBACKEND, "the EFLOW VM '%s' is off and "
		    "Set-EflowVM needs it running (restartPolicy: IfNeeded "
		    "lets vmrecon start it)", live->name);
		goto out;
	}
	call = set_call((int)cpus, memory_mb, gpu);
	body = set_body(!live->running, call);
	/* whatever happens now, the next observe must ask the host again,
	 * and every change is on its way: unknown unless it returns done */
	e->have_snap = 0;
	snap_clear(&e->snap);
	for (i = 0; i < req->nchanges; i++)
		req->changes[i].sent = true;
	rc = vr_ps_run(e->ps, live->running ? "Set-EflowVM" :
	    "Start-EflowVm and Set-EflowVM", body, &text, &len);
	if (rc == 0)
		rc = set_result(e, text, len);
	if (rc < 0)
		goto out;
	for (i = 0; i < req->nchanges; i++)
		req->changes[i].applied = true;
out:
	free(text);
	free(body);
	free(call);
	return rc;
}

const struct vr_driver vr_eflow_driver = {
	.name = "eflow",
	.fields = EFLOW_FIELDS,
	.open = eflow_open,
	.close = eflow_close,
	.host = eflow_host,
	.list = eflow_list,
	.observe = eflow_observe,
	.classify = eflow_classify,
	.preflight = eflow_preflight,
	.apply = eflow_apply,
	.names_fold_case = true,
	.forget = eflow_forget,
};
