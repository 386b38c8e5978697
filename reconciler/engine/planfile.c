/* planfile.c - saved plans: the observed digest, the plan's own digest,
 * reading PLAN back and checking it against the VMs as they are now
 * (planfile.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/bounds.h"
#include "../../schema/load.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/util/json.h"
#include "../../schema/util/sha1.h"
#include "planfile.h"

#define PLAN_DIGEST_LEN 45 /* "sha1:" and 40 hex digits */
#define PLAN_STR_MAX 4096  /* bytes of a backend target or a revision */
#define PLAN_SEAL "planDigest"

/* "sha1:<hex>" of `text`, which is freed. */
static char *
sha1_of(char *text)
{
	unsigned char md[20];
	char hex[41];
	struct vr_sha1 c;
	size_t i;

	vr_sha1_init(&c);
	vr_sha1_update(&c, text, strlen(text));
	vr_sha1_final(&c, md);
	free(text);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return vr_asprintf("sha1:%s", hex);
}

char *
vr_planfile_digest(const struct vr_vm_live *l)
{
	const char *t = vr_gpu_type_name(l->gpu.type);

	/* one line, each field named, so no two states share the text */
	return sha1_of(vr_asprintf("running=%d cpuCount=%d memoryInMB=%lld "
	    "gpuCount=%d gpuType=%s gpuName=%zu:%s", l->running, l->cpu_count,
	    (long long)l->memory_mb, l->gpu.count, t ? t : "-",
	    l->gpu.name ? strlen(l->gpu.name) : 0,
	    l->gpu.name ? l->gpu.name : ""));
}

/* The digest of a plan's content: all of it but its planDigest, as
 * compact JSON with sorted keys (so neither spacing nor key order counts,
 * and every name, value and entry does).  Nothing of the machine it was
 * made on is in it but the backend target, which apply checks anyway. */
static char *
plan_digest(const json_t *doc)
{
	json_t *rest = json_copy((json_t *)doc);
	char *text;

	json_object_del(rest, PLAN_SEAL);
	text = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rest);
	return sha1_of(text ? text : vr_strdup(""));
}

void
vr_planfile_seal(json_t *doc)
{
	char *dg = plan_digest(doc);

	json_object_set_new(doc, PLAN_SEAL, json_string(dg));
	free(dg);
}

/* 0 if `doc` has the planDigest of its content, else VR_EINVALID: an
 * edited plan, or one of an older vmrecon, saying so. */
static int
check_seal(const json_t *doc, const struct vr_json_at *at, const char *path)
{
	const char *seal = NULL;
	char *now;
	int rc;

	if ((rc = vr_json_str(&seal, at, doc, PLAN_SEAL, PLAN_DIGEST_LEN,
	    PLAN_DIGEST_LEN, VR_JSON_PRINT, VR_JSON_OPTIONAL)) < 0)
		return rc;
	if (!seal)
		return vr_error_set(VR_EINVALID, "plan '%s' has no %s: it was "
		    "not written by this vmrecon's diff --out; nothing was "
		    "applied: make a new plan with 'vmrecon diff -f FILE "
		    "--out PLAN'", path, PLAN_SEAL);
	now = plan_digest(doc);
	rc = strcmp(now, seal) == 0 ? 0 : vr_error_set(VR_EINVALID, "plan "
	    "'%s' was edited after diff --out wrote it: its content does not "
	    "match its %s; nothing was applied: make a new plan with "
	    "'vmrecon diff -f FILE --out PLAN'", path, PLAN_SEAL);
	free(now);
	return rc;
}

void
vr_planfile_clear(struct vr_planfile *pf)
{
	size_t i;

	vr_spec_free(pf->spec);
	free(pf->revision);
	free(pf->backend);
	for (i = 0; i < pf->n; i++) {
		free(pf->names[i]);
		free(pf->digests[i]);
	}
	free(pf->names);
	free(pf->digests);
	memset(pf, 0, sizeof(*pf));
}

/* The VM `vm` of a plan: its name, observed digest and backend target
 * (borrowed) and its desired state; messages hint at a VM the plan did
 * not find, which has none of them. */
static int
plan_vm(const char **name, const char **dg, const char **be, json_t **want,
    const struct vr_json_at *at_vms, json_t *vm, size_t i)
{
	struct vr_json_at at = *at_vms;
	char *p = vr_asprintf("vms[%zu]", i), msg[sizeof(vr_error_last()->msg)];
	int rc;

	at.path = p;
	if ((rc = vr_json_object(want, &at, vm, NULL, 0)) < 0 ||
	    (rc = vr_json_str(name, &at, vm, "name", 1, VR_VM_NAME_MAX,
	    VR_JSON_PRINT, 0)) < 0 ||
	    (rc = vr_json_str(dg, &at, vm, "observedDigest", PLAN_DIGEST_LEN,
	    PLAN_DIGEST_LEN, VR_JSON_PRINT, 0)) < 0 ||
	    (rc = vr_json_str(be, &at, vm, "backendTarget", 1, PLAN_STR_MAX,
	    VR_JSON_PRINT, 0)) < 0 ||
	    (rc = vr_json_object(want, &at, vm, "desired", 0)) < 0) {
		snprintf(msg, sizeof(msg), "%s", vr_error_msg());
		rc = vr_error_set(rc, "%s (was the VM found?)", msg);
	}
	free(p);
	return rc < 0 ? rc : 0;
}

/* Entry i names VM `name`: its desired state must be that VM's, and no
 * entry before it (in `seen`) may name it. */
static int
plan_name(json_t *seen, json_t *want, const char *name, const char *path,
    size_t i)
{
	const char *dn = json_string_value(json_object_get(json_object_get(
	    want, "metadata"), "name"));
	json_t *first = json_object_get(seen, name);

	if (!dn || strcmp(dn, name) != 0)
		return vr_error_set(VR_EINVALID, "plan '%s': vms[%zu] is VM "
		    "%s, but its desired state is for %s%s; nothing was "
		    "applied: make a new plan with diff --out", path, i, name,
		    dn ? "VM " : "", dn ? dn : "no VM");
	if (first)
		return vr_error_set(VR_EINVALID, "plan '%s': VM %s is planned "
		    "twice (vms[%lld] and vms[%zu]); nothing was applied: "
		    "make a new plan with diff --out", path, name,
		    (long long)json_integer_value(first), i);
	json_object_set_new(seen, name, json_integer((json_int_t)i));
	return 0;
}

int
vr_planfile_read(struct vr_planfile *out, struct vr_diags *diags,
    const char *path)
{
	json_t *doc = NULL, *vms = NULL, *items, *vm, *want, *seen;
	json_error_t jerr;
	char *buf = NULL, *text = NULL, *src = vr_asprintf("plan '%s'", path);
	struct vr_json_at at = { src, "", VR_EINVALID };
	const char *backend = NULL, *revision = NULL;
	int64_t version = 0;
	size_t len, i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vr_file_read(&buf, &len, path, VR_PLANFILE_MAX);
	if (rc < 0) {
		free(src);
		return vr_error_wrap(rc, "plan '%s'", path);
	}
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!doc) {
		rc = vr_error_set(VR_EINVALID, "plan '%s' is not JSON: %s "
		    "(line %d)", path, jerr.text, jerr.line);
		goto out;
	}
	/* VR_PLANFILE_MAX bounds the number of VMs */
	if (!json_is_object(doc) || vr_json_int(&version, &at, doc,
	    "formatVersion", 1, 1, 0) < 0 || vr_json_array(&vms, &at, doc,
	    "vms", 1, SIZE_MAX, 0) < 0) {
		rc = vr_error_set(VR_EINVALID, "'%s' is not a saved plan: "
		    "make one with 'vmrecon diff -f FILE -o json --out PLAN'",
		    path);
		goto out;
	}
	if ((rc = check_seal(doc, &at, path)) < 0 ||
	    (rc = vr_json_str(&revision, &at, doc, "revision", 1,
	    PLAN_STR_MAX, VR_JSON_PRINT, VR_JSON_OPTIONAL)) < 0)
		goto out;
	items = json_array();
	seen = json_object();
	out->names = vr_calloc(json_array_size(vms), sizeof(char *));
	out->digests = vr_calloc(json_array_size(vms), sizeof(char *));
	json_array_foreach(vms, i, vm) {
		const char *name, *dg, *be;

		rc = plan_vm(&name, &dg, &be, &want, &at, vm, i);
		if (rc == 0 && backend && strcmp(backend, be) != 0)
			rc = vr_error_set(VR_EINVALID, "plan '%s': VM %zu "
			    "was planned on %s, VM 1 on %s", path, i + 1, be,
			    backend);
		/* the digest checked is the VM's whose state is applied */
		if (rc == 0)
			rc = plan_name(seen, want, name, path, i);
		if (rc < 0) {
			json_decref(items);
			json_decref(seen);
			goto out;
		}
		backend = be;
		out->names[out->n] = vr_strdup(name);
		out->digests[out->n++] = vr_strdup(dg);
		json_array_append(items, want);
	}
	json_decref(seen);
	out->backend = vr_strdup(backend);
	/* the desired state goes through the loader like any file: a List */
	items = json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind",
	    "List", "items", items);
	text = json_dumps(items, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(items);
	rc = vr_spec_load_buffer(&out->spec, diags, path, text, strlen(text));
	if (rc == 0)
		out->revision = revision ? vr_strdup(revision) :
		    vr_sha1_blob_id(text, strlen(text));
out:
	free(text);
	free(src);
	json_decref(doc);
	if (rc < 0)
		vr_planfile_clear(out);
	return rc;
}

int
vr_planfile_check(const struct vr_planfile *pf, const struct vr_plan *p,
    const struct vr_backend *b)
{
	size_t i, j;

	if (strcmp(pf->backend, vr_backend_desc(b)) != 0)
		return vr_error_set(VR_ECONFLICT, "the plan was made on %s, "
		    "not %s; nothing was applied", pf->backend,
		    vr_backend_desc(b));
	for (i = 0; i < pf->n; i++) {
		char *now = NULL;
		bool same;

		for (j = 0; j < p->nvms; j++)
			if (strcmp(p->vms[j].spec->name, pf->names[i]) == 0)
				break;
		if (j == p->nvms || !p->vms[j].found)
			return vr_error_set(VR_ECONFLICT, "%s is gone since "
			    "the plan was made; nothing was applied",
			    pf->names[i]);
		now = vr_planfile_digest(&p->vms[j].live);
		same = strcmp(now, pf->digests[i]) == 0;
		if (!same)
			vr_error_set(VR_ECONFLICT, "%s changed since the plan "
			    "was made (the plan saw %.19s..., it is %.19s... "
			    "now); nothing was applied: make a new plan with "
			    "diff --out", pf->names[i], pf->digests[i], now);
		free(now);
		if (!same)
			return VR_ECONFLICT;
	}
	return 0;
}
