/* cmd_reconcile.c - the part of `diff` and `apply` they share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../schema/util/error.h"
#include "../../schema/util/interrupt.h"
#include "cmd.h"
#include "ops.h"
#include "options.h"
#include "../gitops/source.h"
#include "../engine/planfile.h"
#include "specfiles.h"

/* An https source is cached in the state dir (http-cache/), so the state
 * dir is opened and checked (and, by apply, locked) before anything is
 * fetched, and the cache opened relative to it (statedir.h); diff only
 * reads a cache that is there and writes none.  0 when no cache is used
 * (no URL, or diff without one), or an error to stop at. */
static int
open_http_cache(struct vr_statedir **sd, struct vr_http_options *http,
    const struct vr_specfiles *sf, const char *state_dir, bool apply)
{
	size_t i;
	int rc;

	for (i = 0; i < sf->n && !vr_http_is_url(sf->v[i]); i++)
		;
	if (i == sf->n)
		return 0;
	rc = vr_statedir_open(sd, state_dir, apply);
	if (rc == VR_ENOTFOUND && !apply)
		return 0;
	if (rc < 0)
		return rc;
	rc = vr_statedir_subdir(*sd, "http-cache", apply);
	if (rc == VR_ENOTFOUND && !apply)
		return 0;
	if (rc < 0)
		return rc;
	http->cache_fd = rc;
	http->cache_dir = vr_asprintf("%s/http-cache", state_dir);
	http->cache_read_only = !apply;
	return 0;
}

int
vr_cli_reconcile(int argc, char **argv, bool apply)
{
	const char *name = apply ? "apply" : "diff", *file = NULL;
	const char **files = NULL;
	size_t nfiles = 0;
	bool recursive = false;
	struct vr_specfiles sf = { NULL, 0 };
	struct vr_planfile pf;
	const char *out_path = NULL, *plan_path = NULL;
	FILE *plan_fp = NULL;
	struct vr_reconcile_options ro = VR_RECONCILE_OPTIONS_INIT;
	struct vr_reconcile_result res = { 0 };
	struct vr_diags diags = VR_DIAGS_INIT;
	struct vr_ops_options oo = VR_OPS_OPTIONS_INIT;
	struct vr_cli_common c;
	struct vr_opts p;
	struct vr_statedir *sd = NULL;
	struct vr_backend *b = NULL;
	struct vr_spec *spec = NULL;
	struct vr_ops *ops = NULL;
	char *rev = NULL, *failed = NULL, *json = NULL;
	size_t json_len = 0;
	FILE *json_fp = NULL;
	bool ended = false, usage = false;
	int rc, code = VR_EXIT_ERROR;

	memset(&pf, 0, sizeof(pf));
	vr_cli_common_init(&c);
	vr_opts_init(&p, name, argc, argv);
	while ((rc = vr_opts_next(&p)) > 0) {
		if (rc == VR_OPT_FILE) {
			files = vr_realloc(files, (nfiles + 1) *
			    sizeof(*files));
			files[nfiles++] = p.arg;
		} else if (rc == VR_OPT_RECURSIVE) {
			recursive = true;
		} else if (rc == VR_OPT_OUT) {
			out_path = p.arg;
		} else if (rc == VR_OPT_PLAN) {
			plan_path = p.arg;
		} else if (rc == VR_OPT_RESTART_NOW) {
			ro.restart_now = true;
		} else if (!vr_cli_common_option(&c, &p) &&
		    vr_ops_option(&oo, &p) < 0) {
			goto out;
		}
	}
	if (rc < 0) {
		code = vr_opts_exit(rc);
		usage = true;
		goto out;
	}
	if (apply && (nfiles > 0) == (plan_path != NULL)) {
		vr_cli_error(nfiles ? "apply takes -f or --plan, not both" :
		    "apply needs -f FILE|DIR|URL or --plan PLAN");
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++)
		if (vr_specfiles_add(&sf, files[i], recursive) < 0) {
			vr_cli_error("%s", vr_error_msg());
			goto out;
		}
	file = plan_path ? plan_path : nfiles == 1 ? files[0] : "the files";
	if (vr_cli_settle(&c) < 0)
		goto out;
	/* apply: an interrupt stops what runs, starts nothing more and
	 * records each VM's outcome (interrupt.h); diff changes nothing and
	 * keeps the default */
	if (apply)
		vr_interrupt_catch();
	/* stdout and stderr may share one pipe (cron mail, CI logs): each
	 * line of the text output goes out when it is written, so the lines
	 * come in the order they happened */
	if (apply && c.output == VR_OUTPUT_TEXT)
		setvbuf(stdout, NULL, _IOLBF, 0);

	if (vr_ops_open(&ops, &oo) < 0) {
		vr_cli_error("%s", vr_error_msg());
		ended = true;
		goto out;
	}
	vr_ops_pass_begin(ops);

	if (!plan_path && open_http_cache(&sd, &oo.http, &sf, c.state_dir,
	    apply) < 0) {
		failed = vr_strdup(vr_error_msg());
		vr_cli_error("%s", failed);
		goto out;
	}
	/* the whole file is checked before any backend is contacted */
	if (plan_path) {
		rc = vr_planfile_read(&pf, &diags, plan_path);
		if (rc == 0) { /* the plan's desired state, owned here */
			spec = pf.spec;
			pf.spec = NULL;
			rev = vr_strdup(pf.revision);
		}
	} else {
		rc = vr_specfiles_load(&spec, &rev, &diags, &sf, &oo.http);
	}
	if (rc < 0) {
		if (diags.n) {
			vr_diags_sort(&diags);
			vr_diags_print(&diags, stderr);
			failed = vr_asprintf("%s: %zu problem%s, the first: "
			    "%s", file, diags.n, diags.n == 1 ? "" : "s",
			    diags.v[0].msg);
		} else {
			vr_cli_error("%s", vr_error_msg());
			failed = vr_strdup(vr_error_msg());
		}
		goto out;
	}
	/* diff reads the records if there are any, and creates nothing */
	rc = sd ? 0 : vr_statedir_open(&sd, c.state_dir, apply);
	if (rc < 0 && !(rc == VR_ENOTFOUND && !apply)) {
		failed = vr_strdup(vr_error_msg());
		vr_cli_error("%s", failed);
		goto out;
	}
	c.read_only = !apply;
	if (vr_cli_backend_open(&b, &c) < 0) {
		failed = vr_strdup(vr_error_msg());
		vr_cli_error("%s", failed);
		if (apply) {
			vr_statedir_pass_begin(sd);
			for (size_t i = 0; i < spec->nvms; i++)
				vr_statedir_status_put(sd, spec->vms[i].name,
				    rev, VR_RESULT_FAILED, failed);
			if (vr_statedir_pass_end(sd) < 0)
				vr_cli_error("%s", vr_error_msg());
		}
		goto out;
	}
	ro.apply = apply;
	ro.output = c.output;
	ro.color = c.color;
	ro.out = stdout;
	/* -o json: the pass's document is kept, to print with the error
	 * if the command fails after all (vr_cli_json_out) */
	if (c.output == VR_OUTPUT_JSON &&
	    (json_fp = open_memstream(&json, &json_len)))
		ro.out = json_fp;
	ro.err = stderr;
	ro.revision = rev;
	ro.plan = plan_path ? &pf : NULL;
	if (out_path && !(plan_fp = fopen(out_path, "w"))) {
		vr_cli_error("cannot write the plan '%s': %s", out_path,
		    strerror(errno));
		failed = vr_asprintf("cannot write '%s'", out_path);
		goto out;
	}
	ro.plan_out = plan_fp;
	vr_ops_reconcile_options(ops, &ro);
	vr_error_clear();
	/* diff reads records only */
	rc = vr_reconcile(&res, spec, b, sd, &ro);
	if (rc < 0)
		failed = vr_strdup(vr_error_msg());
	vr_ops_pass_end(ops, spec, rev, apply, &res, failed);
	ended = true;
	code = res.exit_code;
out:
	if (!ended)
		vr_ops_pass_end(ops, spec, rev, apply, NULL, failed);
	fflush(stdout);
	vr_ops_free(ops);
	vr_reconcile_result_clear(&res);
	vr_backend_free(b);
	vr_statedir_free(sd);
	vr_spec_free(spec);
	vr_diags_free(&diags);
	free(rev);
	if (oo.http.cache_dir) {
		close(oo.http.cache_fd);
		free((char *)oo.http.cache_dir);
	}
	vr_cli_common_clear(&c);
	vr_specfiles_clear(&sf);
	vr_planfile_clear(&pf);
	if (plan_fp && fclose(plan_fp) != 0 && code != VR_EXIT_ERROR) {
		vr_cli_error("cannot write the plan '%s'", out_path);
		code = VR_EXIT_ERROR;
	}
	if (json_fp)
		fclose(json_fp);
	/* -o json: one document, also when the command failed (a usage
	 * error too, but not --help) */
	if (c.output == VR_OUTPUT_JSON || (usage && code == VR_EXIT_ERROR &&
	    vr_cli_wants_json(argc, argv)))
		vr_cli_json_out(stdout, json ? json : "", json_len,
		    code == VR_EXIT_ERROR ? failed ? failed :
		    vr_cli_last_error() : NULL,
		    "{\"formatVersion\": 1, \"vms\": []}");
	fflush(stdout);
	free(failed);
	free(json);
	free(files);
	return code;
}
