/*
 * hyperv_gpu.c - which GPU is which on a Hyper-V host.
 *
 * A spec names a GPU as people do, by its friendly name ("NVIDIA A2").
 * Hyper-V names it otherwise:
 *  - GPU partitioning (GPU-P, GPU-PV): Get-VMHostPartitionableGpu's Name
 *    is a device-interface path, "\\?\PCI#VEN_10DE&DEV_25B6&...#4&..&0&
 *    0010#{064092b3-...}" (with "\GPUPARAV" after it on Windows 10/11),
 *    and Add-VMGpuPartitionAdapter -InstancePath takes that path
 *    (Microsoft, Add-VMGpuPartitionAdapter: "This value can be obtained
 *    from the "Name" property of the command 'Get-VMHostPartitionableGpu'").
 *    Windows compares such paths without regard to case and prints them
 *    in either case, so vmrecon does too.  Its friendly name is that of
 *    the display device whose PnP instance id the path spells with '#'
 *    for '\'.  A friendly name two partitionable GPUs share is ambiguous:
 *    the spec must then name one by its path (the error lists them).
 *  - DDA: a device is named by its PCIe location path (Microsoft,
 *    "Deploy graphics devices using Discrete Device Assignment": "The PCI
 *    Location path is required to dismount and mount the device").  Once
 *    dismounted it is no longer the host's display device, so vmrecon
 *    records its friendly name and instance id before it dismounts it
 *    (STATE_DIR/hyperv-devices.json) and names it from that record
 *    later.  A device vmrecon cannot name (assigned by hand, record lost)
 *    is named from a host display device of the same hardware id, if one
 *    is left; otherwise it is not taken for a GPU at all (an NVMe disk is
 *    assigned the same way) and vmrecon never touches it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "../schema/util/error.h"
#include "../schema/util/fileio.h"
#include "../schema/util/json.h"
#include "hyperv.h"

#define MAP_FILE "hyperv-devices.json"
#define MAP_MAX_BYTES (512 * 1024)

/* A host name fit to show and compare: not NULL, no control character. */
static const char *
clean(const char *s)
{
	return s && *s && !vr_hv_has_control(s) ? s : NULL;
}

char *
vr_hv_path_instance(const char *path)
{
	const char *p, *end;
	char *out, *q;
	int hashes = 0;

	if (strncmp(path, "\\\\?\\", 4) != 0)
		return NULL;
	p = path + 4;
	end = strstr(p, "#{");
	if (!end)
		return NULL;
	out = vr_strndup(p, (size_t)(end - p));
	for (q = out; *q; q++)
		if (*q == '#') {
			*q = '\\';
			hashes++;
		}
	if (hashes < 2 || out[0] == '\\') {
		free(out);
		return NULL;
	}
	return out;
}

/* The hardware id in an instance id: "PCI\VEN_..&DEV_..\4&.." and
 * "PCIP\VEN_..&DEV_..\..." (a dismounted device) both give
 * "VEN_..&DEV_.."; its length in *len, NULL if there is none. */
static const char *
hw_id(const char *instance, size_t *len)
{
	const char *a = instance ? strchr(instance, '\\') : NULL, *b;

	if (!a || !(b = strchr(a + 1, '\\')) || b == a + 1)
		return NULL;
	*len = (size_t)(b - a - 1);
	return a + 1;
}

static const struct vr_hv_display *
display_of_instance(const struct vr_hv_snap *s, const char *instance)
{
	size_t i;

	for (i = 0; instance && i < s->ndisp; i++)
		if (strcasecmp(s->disp[i].instance, instance) == 0)
			return &s->disp[i];
	return NULL;
}

/* The display device a partitionable GPU path names, or NULL. */
static const struct vr_hv_display *
display_of_path(const struct vr_hv_snap *s, const char *path)
{
	char *inst = vr_hv_path_instance(path);
	const struct vr_hv_display *d = display_of_instance(s, inst);

	free(inst);
	return d;
}

const char *
vr_hv_pgpu_name(const struct vr_hv_snap *s, size_t i)
{
	const struct vr_hv_display *d = display_of_path(s, s->pgpus[i]);

	return d ? clean(d->name) : NULL;
}

long
vr_hv_pgpu_find(const struct vr_hv_snap *s, const char *path)
{
	size_t i;

	if (!path[0])
		return s->npgpus == 1 ? 0 : -1;
	for (i = 0; i < s->npgpus; i++)
		if (strcasecmp(s->pgpus[i], path) == 0)
			return (long)i;
	return -1;
}

size_t
vr_hv_pv_candidates(const struct vr_hv_snap *s, const char *name,
    size_t *idx, size_t max)
{
	const char *f;
	size_t i, n = 0;

	for (i = 0; i < s->npgpus; i++)
		if (strcasecmp(s->pgpus[i], name) == 0) {
			if (max > 0)
				idx[0] = i;
			return 1;
		}
	for (i = 0; i < s->npgpus; i++)
		if ((f = vr_hv_pgpu_name(s, i)) && strcmp(f, name) == 0) {
			if (n < max)
				idx[n] = i;
			n++;
		}
	return n;
}

/* How vmrecon calls partitionable GPU i: its friendly name when no other
 * has it, else its path as the host spells it. */
static const char *
pgpu_label(const struct vr_hv_snap *s, size_t i)
{
	const char *f = vr_hv_pgpu_name(s, i);
	size_t idx;

	if (f && vr_hv_pv_candidates(s, f, &idx, 1) == 1)
		return f;
	return clean(s->pgpus[i]);
}

const char *
vr_hv_display_location(const struct vr_hv_display *d)
{
	size_t i;

	for (i = 0; i < d->npaths; i++)
		if (strncasecmp(d->paths[i], "PCIROOT", 7) == 0 &&
		    !vr_hv_has_control(d->paths[i]))
			return d->paths[i];
	return NULL;
}

const char *
vr_hv_dev_name(const struct vr_hv_snap *s, const struct vr_hv_map *m,
    const char *location, const char *instance)
{
	const char *hw, *dhw, *name = NULL;
	size_t i, j, len, dlen;

	for (i = 0; m && i < m->n; i++)
		if (strcasecmp(m->v[i].location, location) == 0)
			return m->v[i].name;
	for (i = 0; i < s->ndisp; i++)
		for (j = 0; j < s->disp[i].npaths; j++)
			if (strcasecmp(s->disp[i].paths[j], location) == 0)
				return clean(s->disp[i].name);
	/* the same hardware id: the same model; only if all agree */
	if (!(hw = hw_id(instance, &len)))
		return NULL;
	for (i = 0; i < s->ndisp; i++) {
		const char *n = clean(s->disp[i].name);

		if (!n || !(dhw = hw_id(s->disp[i].instance, &dlen)) ||
		    dlen != len || strncasecmp(hw, dhw, len) != 0)
			continue;
		if (name && strcmp(name, n) != 0)
			return NULL;
		name = n;
	}
	return name;
}

const struct vr_hv_vm *
vr_hv_partition_user(const struct vr_hv_snap *s,
    const struct vr_hv_display *d)
{
	size_t i, j;

	for (i = 0; i < s->nvms; i++)
		for (j = 0; j < s->vms[i].ngpup; j++) {
			long k = vr_hv_pgpu_find(s, s->vms[i].gpup[j]);
			const char *path = k >= 0 ? s->pgpus[k] :
			    s->vms[i].gpup[j];

			if (display_of_path(s, path) == d)
				return &s->vms[i];
		}
	return NULL;
}

void
vr_hv_live_gpu(struct vr_gpu *out, const struct vr_hv_snap *s,
    const struct vr_hv_map *m, const struct vr_hv_vm *vm,
    const struct vr_vm_spec *record)
{
	const char *first = NULL, *name = NULL;
	bool same = true, rec_pv;
	size_t i, n = 0, idx;
	long k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < vm->ndda; i++) {
		const char *dn = vr_hv_dev_name(s, m, vm->dda[i].location,
		    vm->dda[i].instance);

		if (!dn)
			continue; /* not known to be a GPU: not counted */
		n++;
		if (!first)
			first = dn;
		else if (strcmp(first, dn) != 0)
			same = false;
	}
	if (vm->ngpup && n) { /* both kinds: neither name nor type */
		out->count = (int)(vm->ngpup + n);
		return;
	}
	if (n) {
		out->type = VR_GPU_DDA;
		out->count = (int)n;
		out->name = same ? vr_strdup(first) : NULL;
		return;
	}
	if (!vm->ngpup)
		return;
	out->type = VR_GPU_PV;
	out->count = (int)vm->ngpup;
	rec_pv = record && record->gpu_want == VR_GPU_WANT &&
	    record->gpu.type == VR_GPU_PV && record->gpu.name;
	k = vm->ngpup == 1 ? vr_hv_pgpu_find(s, vm->gpup[0]) : -1;
	if (k >= 0) {
		name = pgpu_label(s, (size_t)k);
		/* the spelling the spec chose (path or friendly name), when
		 * it is the same GPU */
		if (rec_pv && vr_hv_pv_candidates(s, record->gpu.name, &idx,
		    1) == 1 && idx == (size_t)k)
			name = record->gpu.name;
	} else if (vm->ngpup == 1 && !vm->gpup[0][0] && rec_pv) {
		/* a module without InstancePath: the record says which */
		name = record->gpu.name;
	}
	out->name = name ? vr_strdup(name) : NULL;
}

/* Add `count` GPUs called `name` that support `types` to h. */
static void
host_add(struct vr_host *h, const char *name, unsigned types, int count)
{
	size_t i;

	if (!name)
		return;
	for (i = 0; i < h->ngpus; i++)
		if (strcmp(h->gpus[i].name, name) == 0) {
			h->gpus[i].types |= types;
			h->gpus[i].count += count;
			return;
		}
	h->gpus = vr_realloc(h->gpus, (h->ngpus + 1) * sizeof(*h->gpus));
	memset(&h->gpus[h->ngpus], 0, sizeof(*h->gpus));
	h->gpus[h->ngpus].name = vr_strdup(name);
	h->gpus[h->ngpus].types = types;
	h->gpus[h->ngpus].count = count;
	h->ngpus++;
}

void
vr_hv_host_gpus(struct vr_host *h, const struct vr_hv_snap *s,
    const struct vr_hv_map *m)
{
	size_t i, j, idx;

	for (i = 0; i < s->ndisp; i++)
		if (s->disp[i].present)
			host_add(h, clean(s->disp[i].name), VR_GPU_DDA, 1);
	for (i = 0; i < s->nspare; i++)
		host_add(h, vr_hv_dev_name(s, m, s->spare[i].location,
		    s->spare[i].instance), VR_GPU_DDA, 1);
	for (i = 0; i < s->nvms; i++)
		for (j = 0; j < s->vms[i].ndda; j++)
			host_add(h, vr_hv_dev_name(s, m,
			    s->vms[i].dda[j].location,
			    s->vms[i].dda[j].instance), VR_GPU_DDA, 1);
	for (i = 0; i < s->npgpus; i++) {
		const char *f = vr_hv_pgpu_name(s, i);

		if (f)
			host_add(h, f, VR_GPU_PV, 0);
		if (!f || vr_hv_pv_candidates(s, f, &idx, 1) > 1)
			host_add(h, clean(s->pgpus[i]), VR_GPU_PV, 1);
	}
	h->nested = s->model && strcasecmp(s->model, "Virtual Machine") == 0;
}

/* ---- the record of dismounted devices ---- */

void
vr_hv_map_clear(struct vr_hv_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].location);
		free(m->v[i].name);
		free(m->v[i].instance);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int
map_parse(struct vr_hv_map *m, const char *text, size_t len)
{
	static const char *const keys[] = { "locationPath", "name",
		"instanceId", NULL };
	struct vr_json_at at = { MAP_FILE, "devices", VR_EINVALID };
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *arr = NULL;
	size_t i;
	int rc;

	if (!root)
		return vr_error_set(VR_EINVALID, "%s: line %d: %s", MAP_FILE,
		    jerr.line, jerr.text);
	at.path = "";
	rc = vr_json_array(&arr, &at, root, "devices", 0, VR_HV_MAX_MAP,
	    VR_JSON_REQUIRED);
	for (i = 0; rc > 0 && i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		struct vr_hv_mapent *e;
		const char *loc, *name, *inst = NULL;
		char *p = vr_asprintf("devices[%zu]", i);

		at.path = p;
		if (!json_is_object(o))
			rc = vr_json_bad(&at, NULL, "expected an object");
		if (rc > 0)
			rc = vr_json_keys(&at, o, keys) < 0 ? -1 : 1;
		if (rc > 0)
			rc = vr_json_str(&loc, &at, o, "locationPath", 1,
			    VR_HV_MAX_STR, VR_JSON_PRINT, VR_JSON_REQUIRED);
		if (rc > 0)
			rc = vr_json_str(&name, &at, o, "name", 1,
			    VR_HV_MAX_STR, VR_JSON_PRINT, VR_JSON_REQUIRED);
		if (rc > 0 && vr_json_str(&inst, &at, o, "instanceId", 0,
		    VR_HV_MAX_STR, VR_JSON_PRINT, VR_JSON_OPTIONAL |
		    VR_JSON_NULL_OK) < 0)
			rc = -1;
		free(p);
		if (rc <= 0)
			break;
		m->v = vr_realloc(m->v, (m->n + 1) * sizeof(*m->v));
		e = &m->v[m->n++];
		e->location = vr_strdup(loc);
		e->name = vr_strdup(name);
		e->instance = inst && inst[0] ? vr_strdup(inst) : NULL;
	}
	json_decref(root);
	if (rc < 0) {
		vr_hv_map_clear(m);
		return vr_error_last()->code ? vr_error_last()->code :
		    VR_EINVALID;
	}
	return 0;
}

int
vr_hv_map_load(struct vr_hv_map *m, const char *state_dir)
{
	char *text = NULL;
	size_t len;
	int dfd, rc;

	memset(m, 0, sizeof(*m));
	if (!state_dir || !state_dir[0])
		return 0;
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* no state dir yet: nothing recorded */
	rc = vr_file_read_own(&text, &len, dfd, MAP_FILE, MAP_FILE,
	    MAP_MAX_BYTES);
	close(dfd);
	if (rc == VR_ENOTFOUND)
		return 0;
	if (rc == 0)
		rc = map_parse(m, text, len);
	free(text);
	if (rc < 0)
		return vr_error_wrap(rc, "the record of dismounted devices "
		    "in %s", state_dir);
	return 0;
}

int
vr_hv_map_put(const char *state_dir, const struct vr_hv_mapent *add,
    size_t n)
{
	struct vr_hv_map m;
	json_t *root, *arr;
	char *text;
	size_t i, j;
	int dfd, rc;

	if (!state_dir || !state_dir[0])
		return vr_error_set(VR_EINVALID, "no state dir to record the "
		    "devices vmrecon dismounts in");
	if ((rc = vr_hv_map_load(&m, state_dir)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		for (j = 0; j < m.n; j++)
			if (strcasecmp(m.v[j].location, add[i].location) == 0)
				break;
		if (j == m.n) {
			if (m.n >= VR_HV_MAX_MAP) {
				vr_hv_map_clear(&m);
				return vr_error_set(VR_EINVALID, "the record "
				    "of dismounted devices is full (%d)",
				    VR_HV_MAX_MAP);
			}
			m.v = vr_realloc(m.v, (m.n + 1) * sizeof(*m.v));
			memset(&m.v[m.n++], 0, sizeof(*m.v));
			m.v[j].location = vr_strdup(add[i].location);
		}
		free(m.v[j].name);
		free(m.v[j].instance);
		m.v[j].name = vr_strdup(add[i].name);
		m.v[j].instance = add[i].instance ?
		    vr_strdup(add[i].instance) : NULL;
	}
	arr = json_array();
	for (i = 0; i < m.n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s?}",
		    "locationPath", m.v[i].location, "name", m.v[i].name,
		    "instanceId", m.v[i].instance));
	root = json_pack("{s:o}", "devices", arr);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	vr_hv_map_clear(&m);
	if ((rc = vr_mkdir_p(state_dir, 0700)) < 0) {
		free(text);
		return rc;
	}
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		free(text);
		return vr_error_set(VR_ERROR, "cannot open %s", state_dir);
	}
	rc = vr_file_write_at(dfd, MAP_FILE, MAP_FILE, text, strlen(text),
	    0600);
	close(dfd);
	free(text);
	return rc;
}
