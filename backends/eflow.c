/*
 * eflow.c - the eflow backend: Azure IoT Edge for Linux on Windows, driven
 * through its PowerShell module (one pipeline per invocation, see
 * powershell.h).  Target: the launcher, default `powershell.exe`.
 *
 * The pitfall this backend exists to remove: Set-EflowVM resets every
 * parameter it is not given (CPU and memory to their defaults, the GPU is
 * removed).  So apply sends at most one Set-EflowVM, always with every
 * parameter: the live value of each field the spec leaves out, the desired
 * value of the rest, and the GPU parameters whenever the VM must keep or
 * get a GPU.  Get-EflowVm shows only the GPU count; the GPU's name and
 * type come from the reconciler's record of the last applied spec.
 *
 * Every pipeline sent is one of the PS_* strings below or the Set-EflowVM
 * line built in apply; nothing else is ever sent.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../schema/error.h"
#include "backend.h"
#include "eflow.h"
#include "powershell.h"

#define PS_GET_VM "Get-EflowVm | ConvertTo-Json -Depth 8 -Compress"
#define PS_GET_HOSTCFG \
	"Get-EflowHostConfiguration | ConvertTo-Json -Depth 8 -Compress"
#define PS_GET_VIDEO \
	"Get-CimInstance Win32_VideoController | ConvertTo-Json -Compress"
#define PS_GET_SYSTEM \
	"Get-CimInstance Win32_ComputerSystem | ConvertTo-Json -Compress"
#define PS_GET_OSVERSION "Get-ItemProperty " \
	"'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' | " \
	"ConvertTo-Json -Compress"
#define PS_START_VM "Start-EflowVm"

#define EFLOW_MIN_MEMORY_MB 1024 /* Set-EflowVM: even, 1024 or more */
#define MAX_STR 1024             /* bytes of a name read from the host */
#define MAX_GPUS 64              /* video controllers read from the host */
#define MAX_CPUS 4096
#define MAX_MEMORY_MB (INT64_C(1) << 32) /* 4 PiB: beyond any host */
#define MAX_TIMEOUT_MS 86400000

/*
 * The GPUs EFLOW can pass through, and how.  Source: Microsoft, "GPU
 * acceleration for Azure IoT Edge for Linux on Windows", the table of
 * supported GPUs (MicrosoftDocs/azure-docs, articles/iot-edge/
 * gpu-acceleration.md, ms.date 6/7/2022, unchanged in 06/05/2025):
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

struct eflow {
	struct vr_ps *ps;
	int have_cfg;
	int64_t free_mb; /* FreePhysicalMemoryInMB */
	int cpus;        /* NumberOfLogicalProcessors */
	int have_host;
	struct vr_host host;
	/* set by vr_eflow_parse_outputs: the next pipeline's output */
	const char *replay;
	size_t replay_len;
};

/* What Get-EflowVm says about the VM. */
struct vm_info {
	char *name;
	int running;
	int cpus;
	int64_t memory_mb;
	int gpus;
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

static int
prefixed(const char *text, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);

	return len >= pl && memcmp(text, prefix, pl) == 0;
}

/* Parse `text`, the output of `pipeline`, as JSON; an empty output is
 * JSON null when `empty_ok`. */
static int
parse_json(json_t **out, const char *pipeline, const char *text, size_t len,
    int empty_ok)
{
	char got[96];
	json_error_t jerr;
	size_t i;

	*out = NULL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3, len -= 3; /* a UTF-8 byte order mark */
	/* powershell.exe writes the warning and verbose streams to stdout
	 * when it is redirected: skip such lines before the JSON */
	while (len > 0 && (prefixed(text, len, "WARNING: ") ||
	    prefixed(text, len, "VERBOSE: ") || prefixed(text, len, "DEBUG: "))) {
		const char *nl = memchr(text, '\n', len);

		i = nl ? (size_t)(nl - text) + 1 : len;
		text += i;
		len -= i;
	}
	for (i = 0; i < len && strchr(" \t\r\n", text[i]); i++)
		;
	if (i == len) {
		if (empty_ok) {
			*out = json_null();
			return 0;
		}
		return vr_error_set(VR_EBACKEND, "'%s' printed nothing",
		    pipeline);
	}
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out)
		return 0;
	vr_ps_excerpt(got, sizeof(got), text, len);
	return vr_error_set(VR_EBACKEND, "'%s' printed no valid JSON (%s at "
	    "line %d column %d): '%s'", pipeline, jerr.text, jerr.line,
	    jerr.column, got);
}

/* The value at dotted `path` under `root`, or NULL. */
static json_t *
walk(json_t *root, const char *path)
{
	char key[64];
	const char *p = path;

	while (root && *p) {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(key) || !json_is_object(root))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return root;
}

/* A JSON number with an integral value in [lo, hi] at `path`. */
static int
get_int(int64_t *out, json_t *root, const char *path, int64_t lo,
    int64_t hi, const char *pipeline)
{
	json_t *v = walk(root, path);
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i >= lo && i <= hi) {
			*out = i;
			return 0;
		}
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (d >= (double)lo && d <= (double)hi &&
		    d == (double)(int64_t)d) {
			*out = (int64_t)d;
			return 0;
		}
	}
	return vr_error_set(VR_EBACKEND, "'%s' printed unexpected JSON: %s "
	    "is %s, not an integer from %lld to %lld", pipeline, path,
	    v ? "out of range or of another type" : "missing",
	    (long long)lo, (long long)hi);
}

/* A JSON string at `path` of at most MAX_STR bytes; *out NULL if it is
 * missing or null and !required.  The caller frees *out. */
static int
get_str(char **out, json_t *root, const char *path, int required,
    const char *pipeline)
{
	json_t *v = walk(root, path);

	*out = NULL;
	if (!required && (!v || json_is_null(v)))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > MAX_STR ||
	    json_string_length(v) == 0)
		return vr_error_set(VR_EBACKEND, "'%s' printed unexpected "
		    "JSON: %s is %s, not a string of 1 to %d bytes", pipeline,
		    path, v ? "of another type or size" : "missing", MAX_STR);
	*out = vr_strdup(json_string_value(v));
	return 0;
}

static int
run_json(struct eflow *e, json_t **out, const char *pipeline, int empty_ok)
{
	char *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (e->replay)
		return parse_json(out, pipeline, e->replay, e->replay_len,
		    empty_ok);
	rc = vr_ps_run(e->ps, pipeline, &text, &len);
	if (rc == 0)
		rc = parse_json(out, pipeline, text, len, empty_ok);
	free(text);
	return rc;
}

static void
vm_info_clear(struct vm_info *vi)
{
	free(vi->name);
	memset(vi, 0, sizeof(*vi));
}

/* Get-EflowVm: VmConfiguration.name, VmPowerState (a name such as
 * "Running", or a number as ConvertTo-Json writes enums: 2 is Running as
 * in Hyper-V's VMState), customsize {cpucount, memorymb, gpucount}. */
static int
get_vm(struct eflow *e, struct vm_info *vi)
{
	static const char *cs = "VmConfiguration.properties.hardwareProfile."
	    "customsize.";
	char path[128];
	json_t *root = NULL, *power;
	int64_t v;
	int rc;

	memset(vi, 0, sizeof(*vi));
	rc = run_json(e, &root, PS_GET_VM, 0);
	if (rc < 0)
		goto out;
	if (!json_is_object(root)) {
		rc = vr_error_set(VR_EBACKEND, "'%s' printed unexpected JSON: "
		    "not an object", PS_GET_VM);
		goto out;
	}
	rc = get_str(&vi->name, root, "VmConfiguration.name", 1, PS_GET_VM);
	if (rc < 0)
		goto out;
	snprintf(path, sizeof(path), "%scpucount", cs);
	if ((rc = get_int(&v, root, path, 1, MAX_CPUS, PS_GET_VM)) < 0)
		goto out;
	vi->cpus = (int)v;
	snprintf(path, sizeof(path), "%smemorymb", cs);
	if ((rc = get_int(&v, root, path, 1, MAX_MEMORY_MB, PS_GET_VM)) < 0)
		goto out;
	vi->memory_mb = v;
	snprintf(path, sizeof(path), "%sgpucount", cs);
	if ((rc = get_int(&v, root, path, 0, MAX_GPUS, PS_GET_VM)) < 0)
		goto out;
	vi->gpus = (int)v;
	power = json_object_get(root, "VmPowerState");
	if (json_is_string(power))
		vi->running = strcasecmp(json_string_value(power),
		    "Running") == 0;
	else if (json_is_integer(power))
		vi->running = json_integer_value(power) == 2;
	else {
		rc = vr_error_set(VR_EBACKEND, "'%s' printed unexpected JSON: "
		    "VmPowerState is neither a name nor a number", PS_GET_VM);
		goto out;
	}
out:
	if (rc < 0)
		vm_info_clear(vi);
	json_decref(root);
	return rc;
}

static int
ensure_cfg(struct eflow *e)
{
	json_t *root = NULL;
	int64_t v;
	int rc;

	if (e->have_cfg)
		return 0;
	rc = run_json(e, &root, PS_GET_HOSTCFG, 0);
	if (rc < 0)
		goto out;
	rc = get_int(&v, root, "NumberOfLogicalProcessors", 1, MAX_CPUS,
	    PS_GET_HOSTCFG);
	if (rc < 0)
		goto out;
	e->cpus = (int)v;
	rc = get_int(&e->free_mb, root, "FreePhysicalMemoryInMB", 0,
	    MAX_MEMORY_MB, PS_GET_HOSTCFG);
	if (rc < 0)
		goto out;
	e->have_cfg = 1;
out:
	json_decref(root);
	return rc;
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

/* Win32_VideoController: one object, an array of them, or nothing. */
static int
read_gpus(struct eflow *e, struct vr_host *h)
{
	json_t *root = NULL, *one;
	size_t i, n;
	int rc;

	rc = run_json(e, &root, PS_GET_VIDEO, 1);
	if (rc < 0)
		goto out;
	n = json_is_array(root) ? json_array_size(root) :
	    json_is_object(root) ? 1 : 0;
	if (!json_is_array(root) && !json_is_object(root) &&
	    !json_is_null(root)) {
		rc = vr_error_set(VR_EBACKEND, "'%s' printed unexpected JSON: "
		    "neither an object nor an array", PS_GET_VIDEO);
		goto out;
	}
	if (n > MAX_GPUS) {
		rc = vr_error_set(VR_EBACKEND, "'%s' listed %zu video "
		    "controllers, more than %d", PS_GET_VIDEO, n, MAX_GPUS);
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *name = NULL;

		one = json_is_array(root) ? json_array_get(root, i) : root;
		if (!json_is_object(one)) {
			rc = vr_error_set(VR_EBACKEND, "'%s' printed unexpected "
			    "JSON: controller %zu is not an object",
			    PS_GET_VIDEO, i);
			goto out;
		}
		rc = get_str(&name, one, "Name", 0, PS_GET_VIDEO);
		if (rc == 0 && !name)
			rc = get_str(&name, one, "Caption", 0, PS_GET_VIDEO);
		if (rc < 0)
			goto out;
		if (name)
			add_gpu(h, name);
		free(name);
	}
out:
	json_decref(root);
	return rc;
}

/* Win32_ComputerSystem: Model "Virtual Machine" is a nested host;
 * TotalPhysicalMemory (bytes) is the host's memory. */
static int
read_system(struct eflow *e, struct vr_host *h)
{
	json_t *root = NULL;
	char *model = NULL;
	int64_t bytes;
	int rc;

	rc = run_json(e, &root, PS_GET_SYSTEM, 0);
	if (rc < 0)
		goto out;
	if (!json_is_object(root)) {
		rc = vr_error_set(VR_EBACKEND, "'%s' printed unexpected JSON: "
		    "not an object", PS_GET_SYSTEM);
		goto out;
	}
	rc = get_str(&model, root, "Model", 0, PS_GET_SYSTEM);
	if (rc < 0)
		goto out;
	h->nested = model && strcasecmp(model, "Virtual Machine") == 0;
	if (walk(root, "TotalPhysicalMemory")) {
		rc = get_int(&bytes, root, "TotalPhysicalMemory", 0,
		    MAX_MEMORY_MB * 1024 * 1024, PS_GET_SYSTEM);
		if (rc < 0)
			goto out;
		h->memory_mb = bytes / (1024 * 1024);
	}
out:
	free(model);
	json_decref(root);
	return rc;
}

/* The Windows version from the registry; *blocker is set (malloc'd) when
 * the build is below what GPU passthrough needs. */
static int
read_osversion(struct eflow *e, char **blocker)
{
	json_t *root = NULL;
	char *build = NULL, *product = NULL, *itype = NULL, *end;
	int64_t ubr = 0;
	long nbuild;
	size_t i;
	int rc, server;

	*blocker = NULL;
	rc = run_json(e, &root, PS_GET_OSVERSION, 0);
	if (rc < 0)
		goto out;
	if ((rc = get_str(&build, root, "CurrentBuildNumber", 1,
	    PS_GET_OSVERSION)) < 0 ||
	    (rc = get_str(&product, root, "ProductName", 0,
	    PS_GET_OSVERSION)) < 0 ||
	    (rc = get_str(&itype, root, "InstallationType", 0,
	    PS_GET_OSVERSION)) < 0)
		goto out;
	if (walk(root, "UBR") && (rc = get_int(&ubr, root, "UBR", 0,
	    INT32_MAX, PS_GET_OSVERSION)) < 0)
		goto out;
	errno = 0;
	nbuild = strtol(build, &end, 10);
	if (errno || *end || end == build || nbuild < 0 || build[0] == '-' ||
	    build[0] == '+' || build[0] == ' ') {
		rc = vr_error_set(VR_EBACKEND, "'%s' printed unexpected JSON: "
		    "CurrentBuildNumber is not a number", PS_GET_OSVERSION);
		goto out;
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
	json_decref(root);
	return rc;
}

static int
ensure_host(struct eflow *e)
{
	struct vr_host h = { 0 };
	char *old = NULL;
	int rc;

	if (e->have_host)
		return 0;
	if ((rc = ensure_cfg(e)) < 0 || (rc = read_gpus(e, &h)) < 0 ||
	    (rc = read_system(e, &h)) < 0 ||
	    (rc = read_osversion(e, &h.gpu_blocker)) < 0)
		goto out;
	h.cpus = e->cpus;
	h.min_memory_mb = EFLOW_MIN_MEMORY_MB;
	if (h.nested) {
		old = h.gpu_blocker;
		h.gpu_blocker = vr_asprintf("the host is itself a virtual "
		    "machine (Win32_ComputerSystem Model 'Virtual Machine') "
		    "and EFLOW does not support GPU passthrough with nested "
		    "virtualization%s%s", old ? "; also " : "", old ? old : "");
	}
	e->host = h;
	memset(&h, 0, sizeof(h));
	e->have_host = 1;
out:
	free(old);
	vr_host_clear(&h);
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
	struct eflow *e;
	long timeout = 0;
	int rc;

	*out = NULL;
	if (opts && opts->timeout_ms > 0) {
		timeout = opts->timeout_ms;
	} else if (env && *env) {
		char *end;

		errno = 0;
		timeout = strtol(env, &end, 10);
		if (errno || *end || timeout < 1 || timeout > MAX_TIMEOUT_MS)
			return vr_error_set(VR_EINVALID, "VMRECON_EFLOW_TIMEOUT_MS "
			    "'%s' is not a number of milliseconds from 1 to %d",
			    env, MAX_TIMEOUT_MS);
	}
	e = vr_calloc(1, sizeof(*e));
	rc = vr_ps_open(&e->ps, target, (int)timeout);
	if (rc < 0) {
		free(e);
		return rc;
	}
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
	vr_host_clear(&e->host);
	free(e);
}

int
vr_eflow_parse_outputs(struct vr_host *host,
    const char *const text[VR_EFLOW_NOUTPUTS],
    const size_t len[VR_EFLOW_NOUTPUTS])
{
	struct eflow e = { 0 };
	struct vm_info vi;
	int rc, first = 0, step;

	memset(host, 0, sizeof(*host));
	for (step = 0; step < VR_EFLOW_NOUTPUTS; step++) {
		e.replay = text[step] ? text[step] : "";
		e.replay_len = text[step] ? len[step] : 0;
		switch (step) {
		case 0:
			rc = ensure_cfg(&e);
			break;
		case 1:
			rc = read_gpus(&e, &e.host);
			break;
		case 2:
			rc = read_system(&e, &e.host);
			break;
		case 3:
			rc = read_osversion(&e, &e.host.gpu_blocker);
			break;
		default:
			rc = get_vm(&e, &vi);
			if (rc == 0)
				vm_info_clear(&vi);
			break;
		}
		if (rc < 0 && first == 0)
			first = rc;
	}
	e.host.cpus = e.cpus;
	*host = e.host;
	return first;
}

unsigned long
vr_eflow_invocations(const void *conn)
{
	const struct eflow *e = conn;

	return e ? vr_ps_calls(e->ps) : 0;
}

static int
eflow_host(void *conn, struct vr_host *out)
{
	struct eflow *e = conn;
	int rc = ensure_host(e);

	if (rc < 0)
		return rc;
	host_copy(out, &e->host);
	return 0;
}

static int
eflow_list(void *conn, char ***out, size_t *count)
{
	struct vm_info vi;
	int rc = get_vm(conn, &vi);

	if (rc < 0)
		return rc;
	*out = vr_calloc(2, sizeof(**out));
	(*out)[0] = vi.name;
	*count = 1;
	return 0;
}

static int
eflow_observe(void *conn, const char *name, const struct vr_vm_spec *record,
    struct vr_vm_live *out)
{
	struct eflow *e = conn;
	struct vm_info vi;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = get_vm(e, &vi)) < 0)
		return rc;
	if (strcasecmp(vi.name, name) != 0) {
		rc = vr_error_set(VR_ENOTFOUND, "no EFLOW VM '%s' on this host: "
		    "its EFLOW VM is '%s' (use that as metadata.name)", name,
		    vi.name);
		goto out;
	}
	if ((rc = ensure_cfg(e)) < 0)
		goto out;
	out->name = vi.name;
	vi.name = NULL;
	out->running = vi.running;
	out->cpu_count = vi.cpus;
	out->memory_mb = vi.memory_mb;
	out->gpu.count = vi.gpus;
	/* Only the count is observable: the name and type are the recorded
	 * ones, and only while the count still matches the record. */
	if (vi.gpus > 0 && record && record->gpu_want == VR_GPU_WANT &&
	    record->gpu.count == vi.gpus && record->gpu.name) {
		out->gpu.name = vr_strdup(record->gpu.name);
		out->gpu.type = record->gpu.type;
	}
	out->memory_limit_mb = e->free_mb + vi.memory_mb;
out:
	vm_info_clear(&vi);
	return rc;
}

static int
eflow_classify(void *conn, const struct vr_vm_live *live, struct vr_change *c)
{
	free(c->reason);
	c->mode = VR_MODE_RESTART;
	c->reason = vr_strdup("EFLOW applies every change with Set-EflowVM, "
	    "which reconfigures the VM and needs it running");
	return 0;
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

static int
eflow_preflight(void *conn, const struct vr_host *host,
    const struct vr_vm_spec *spec, const struct vr_vm_live *live,
    const struct vr_change *changes, size_t nchanges,
    struct vr_diags *diags, const char *path)
{
	char *names;

	/* The generic checks (CPUs, memory, the host's GPUs and their
	 * types, gpu_blocker) are the reconciler's, and the loader's (even
	 * memory, ParaVirtualization count 1); this is EFLOW's own rule. */
	if (nchanges == 0)
		return 0;
	if (spec->gpu_want == VR_GPU_UNMANAGED && live->gpu.count > 0 &&
	    (!live->gpu.name || live->gpu.type == VR_GPU_TYPE_NONE)) {
		names = host_gpu_names(host);
		vr_diags_add(diags, path, spec->at_doc.line, spec->at_doc.col,
		    "VM '%s' has %d GPU%s whose name and passthrough type "
		    "vmrecon has no record of, and Set-EflowVM removes a GPU "
		    "it is not given: declare the GPU in the spec (gpu: name, "
		    "passthroughType, count; this host has %s) or write "
		    "'gpu: none' to remove it", spec->name, live->gpu.count,
		    live->gpu.count == 1 ? "" : "s", names);
		free(names);
	}
	return 0;
}

/* The one Set-EflowVM line for this result: every parameter given. */
static char *
set_pipeline(int cpus, int64_t memory_mb, const struct vr_gpu *gpu)
{
	char *name, *type, *s;

	if (gpu->count == 0)
		return vr_asprintf("Set-EflowVM -cpuCount %d -memoryInMB %lld "
		    "-headless", cpus, (long long)memory_mb);
	name = vr_ps_quote(gpu->name);
	type = vr_ps_quote(vr_gpu_type_name(gpu->type));
	if (gpu->type == VR_GPU_DDA)
		s = vr_asprintf("Set-EflowVM -cpuCount %d -memoryInMB %lld "
		    "-gpuName %s -gpuPassthroughType %s -gpuCount %d "
		    "-headless", cpus, (long long)memory_mb, name, type,
		    gpu->count);
	else
		s = vr_asprintf("Set-EflowVM -cpuCount %d -memoryInMB %lld "
		    "-gpuName %s -gpuPassthroughType %s -headless", cpus,
		    (long long)memory_mb, name, type);
	free(name);
	free(type);
	return s;
}

static int
eflow_apply(void *conn, struct vr_apply_request *req)
{
	struct eflow *e = conn;
	const struct vr_vm_live *live = req->live;
	const struct vr_gpu *gpu = &live->gpu;
	int64_t cpus = live->cpu_count, memory_mb = live->memory_mb;
	char *pipeline = NULL, *text = NULL;
	size_t i, len;
	int rc = 0;

	if (req->nchanges == 0)
		return 0;
	/* Start from the live VM, then what is to change now: a field the
	 * spec leaves out (or already has right) keeps its live value. */
	for (i = 0; i < req->nchanges; i++) {
		const struct vr_change *c = &req->changes[i];

		if (c->field == VR_FIELD_CPU_COUNT)
			cpus = c->to;
		else if (c->field == VR_FIELD_MEMORY)
			memory_mb = c->to;
		else if (c->field == VR_FIELD_GPU)
			gpu = &c->gpu_to;
	}
	if (gpu->count > 0 && (!gpu->name || !vr_gpu_type_name(gpu->type))) {
		rc = vr_error_set(VR_EINVALID, "VM '%s' has a GPU whose name "
		    "vmrecon does not know, and Set-EflowVM would remove it: "
		    "declare the GPU in the spec", live->name);
		goto out;
	}
	if (cpus < 1 || cpus > MAX_CPUS || memory_mb < EFLOW_MIN_MEMORY_MB ||
	    memory_mb > MAX_MEMORY_MB) {
		rc = vr_error_set(VR_EINVALID, "cpuCount %lld, memoryInMB %lld: "
		    "out of EFLOW's range", (long long)cpus,
		    (long long)memory_mb);
		goto out;
	}
	if (!live->running) {
		if (!req->may_restart) {
			rc = vr_error_set(VR_EBACKEND, "the EFLOW VM '%s' is off "
			    "and Set-EflowVM needs it running (restartPolicy: "
			    "IfNeeded lets vmrecon start it)", live->name);
			goto out;
		}
		rc = vr_ps_run(e->ps, PS_START_VM, &text, &len);
		free(text);
		text = NULL;
		if (rc < 0)
			goto out;
	}
	pipeline = set_pipeline((int)cpus, memory_mb, gpu);
	rc = vr_ps_run(e->ps, pipeline, &text, &len);
	if (rc < 0)
		goto out;
	for (i = 0; i < req->nchanges; i++)
		req->changes[i].applied = true;
out:
	free(text);
	free(pipeline);
	return rc;
}

const struct vr_driver vr_eflow_driver = {
	.name = "eflow",
	.target_help = "the PowerShell launcher, split on blanks (default "
	    "powershell.exe; e.g. 'ssh admin@host powershell')",
	.open = eflow_open,
	.close = eflow_close,
	.host = eflow_host,
	.list = eflow_list,
	.observe = eflow_observe,
	.classify = eflow_classify,
	.preflight = eflow_preflight,
	.apply = eflow_apply,
};
