/*
 * pass.c - one vr_reconcile() pass on a sim file for the engine's unit
 * tests (pass.h): the spec from a string, the backend and state dir opened
 * as `vmrecon diff` and `vmrecon apply` open them, output into memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../backends/backend.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/load.h"
#include "pass.h"
#include "unit.h"

void
pass_sim(const char *dir, const char *json)
{
	unit_write(dir, "sim.json", json);
}

static void
run(struct pass *p, const char *dir, const struct vr_driver *drv,
    const char *yaml, bool apply, enum vr_output output,
    void (*on_vm)(void *ctx, const struct vr_vm_event *ev), void *ctx)
{
	struct vr_reconcile_options o = VR_RECONCILE_OPTIONS_INIT;
	struct vr_backend_options bo = VR_BACKEND_OPTIONS_INIT;
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_statedir *sd = NULL;
	struct vr_backend *b = NULL;
	struct vr_spec *spec = NULL;
	char *state = vr_asprintf("%s/state", dir);
	char *kt = vr_asprintf("sim:%s/sim.json", dir);
	int orc;
	size_t outlen, errlen;
	FILE *out, *err;
	int rc;

	memset(p, 0, sizeof(*p));
	p->rc = VR_ERROR;
	out = open_memstream(&p->out, &outlen);
	err = open_memstream(&p->err, &errlen);
	if (!out || !err) {
		perror("open_memstream");
		exit(2);
	}
	if (vr_spec_load_buffer(&spec, &d, "spec.yaml", yaml,
	    strlen(yaml)) < 0) {
		vr_diags_print(&d, err);
		unit_check(false, __FILE__, __LINE__, "the spec loads");
		goto out;
	}
	/* as cmd_reconcile.c: diff reads records if any and creates none */
	rc = vr_statedir_open(&sd, state, apply);
	if (rc < 0 && !(rc == VR_ENOTFOUND && !apply)) {
		unit_check(false, __FILE__, __LINE__, "state dir: %s",
		    vr_error_msg());
		goto out;
	}
	bo.state_dir = state;
	bo.read_only = !apply;
	orc = drv ? vr_backend_open_driver(&b, drv, strchr(kt, ':') + 1, &bo) :
	    vr_backend_open(&b, kt, &bo);
	if (orc < 0) {
		unit_check(false, __FILE__, __LINE__, "open %s: %s", kt,
		    vr_error_msg());
		goto out;
	}
	o.apply = apply;
	o.output = output;
	o.out = out;
	o.err = err;
	o.on_vm = on_vm;
	o.ctx = ctx;
	p->rc = vr_reconcile(&p->res, spec, b, sd, &o);
out:
	fclose(out);
	fclose(err);
	vr_backend_free(b);
	vr_statedir_free(sd);
	vr_spec_free(spec);
	vr_diags_free(&d);
	free(state);
	free(kt);
}

void
pass_run(struct pass *p, const char *dir, const char *yaml, bool apply,
    enum vr_output output,
    void (*on_vm)(void *ctx, const struct vr_vm_event *ev), void *ctx)
{
	run(p, dir, NULL, yaml, apply, output, on_vm, ctx);
}

void
pass_run_driver(struct pass *p, const char *dir, const struct vr_driver *drv,
    const char *yaml, bool apply)
{
	run(p, dir, drv, yaml, apply, VR_OUTPUT_TEXT, NULL, NULL);
}

void
pass_free(struct pass *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
	vr_reconcile_result_clear(&p->res);
}

char *
pass_sim_text(const char *dir)
{
	char *path = vr_asprintf("%s/sim.json", dir), *buf = NULL;
	size_t len;

	if (vr_file_read(&buf, &len, path, 1u << 20) < 0)
		buf = NULL;
	free(path);
	return buf;
}

static json_t *
vm_get(json_t **root, const char *dir, const char *vm, const char *key)
{
	char *path = vr_asprintf("%s/sim.json", dir);

	*root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	free(path);
	return json_object_get(json_object_get(json_object_get(*root, "vms"),
	    vm), key);
}

long long
pass_vm_int(const char *dir, const char *vm, const char *key)
{
	json_t *root, *v = vm_get(&root, dir, vm, key);
	long long n = json_is_integer(v) ? json_integer_value(v) : -1;

	json_decref(root);
	return n;
}

static const char *
str_or(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "?";
}

const char *
pass_vm_gpu(const char *dir, const char *vm)
{
	static char buf[256];
	json_t *root, *g = vm_get(&root, dir, vm, "gpu");

	if (!g)
		snprintf(buf, sizeof(buf), "absent");
	else if (json_is_null(g))
		snprintf(buf, sizeof(buf), "null");
	else
		snprintf(buf, sizeof(buf), "%s/%s/%lld",
		    str_or(json_object_get(g, "name")),
		    str_or(json_object_get(g, "passthroughType")),
		    (long long)json_integer_value(json_object_get(g,
		    "count")));
	json_decref(root);
	return buf;
}
