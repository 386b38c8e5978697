/*
 * cmd_watch.c - `vmrecon watch`: parse the options into the daemon's
 * config, open what the CLI owns around it (webhooks, metrics, commit
 * statuses: ops.h; the backend) and run the daemon, whose loop lives
 * beside the GitOps code (reconciler/gitops/watchloop.h says what it does).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/error.h"
#include "cmd.h"
#include "../report/commitstatus.h"
#include "../gitops/gitsource.h"
#include "../gitops/watchloop.h"
#include "ops.h"
#include "options.h"

struct watch {
	struct vr_watchloop_config cfg;
	struct vr_cli_common c;
	struct vr_ops_options oo;      /* --notify, --metrics-file, ... */
	struct vr_ops *ops;            /* webhooks, metrics; may be NULL */
	struct vr_commit_status *cs;   /* --commit-status; may be NULL */
};

/* --- the daemon's hooks: ops.h around each pass ------------------------ */

static void
hook_pass_begin(void *ctx)
{
	vr_ops_pass_begin(((struct watch *)ctx)->ops);
}

static void
hook_reconcile_options(void *ctx, struct vr_reconcile_options *ro)
{
	vr_ops_reconcile_options(((struct watch *)ctx)->ops, ro);
}

static void
hook_pass_end(void *ctx, const struct vr_spec *spec, const char *revision,
    bool apply, const struct vr_reconcile_result *res, const char *message)
{
	vr_ops_pass_end(((struct watch *)ctx)->ops, spec, revision, apply, res,
	    message);
}

static void
hook_commit_status(void *ctx, const char *commit,
    enum vr_watchloop_state state, const char *description)
{
	static const enum vr_cs_state cs[] = {
		[VR_WATCHLOOP_PENDING] = VR_CS_PENDING,
		[VR_WATCHLOOP_SUCCESS] = VR_CS_SUCCESS,
		[VR_WATCHLOOP_FAILURE] = VR_CS_FAILURE,
	};

	vr_commit_status_post(((struct watch *)ctx)->cs, commit, cs[state],
	    description);
}

/* --- setup ---------------------------------------------------------------- */

/* 0 parsed, 1 --help printed, -1 a usage error (printed). */
static int
parse_args(struct watch *w, int argc, char **argv)
{
	struct vr_watchloop_config *cfg = &w->cfg;
	struct vr_opts p;
	int rc;

	vr_opts_init(&p, "watch", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0) {
		switch (rc) {
		case VR_OPT_REPO: cfg->repo = p.arg; break;
		case VR_OPT_REF: cfg->ref = p.arg; break;
		case VR_OPT_PATH: cfg->path_tmpl = p.arg; break;
		case VR_OPT_ONCE: cfg->once = true; break;
		case VR_OPT_NO_SELF_HEAL: cfg->self_heal = false; break;
		case VR_OPT_ALLOW_REWRITE: cfg->allow_rewrite = true; break;
		case VR_OPT_VERIFY_SIGNATURES:
			cfg->allowed_signers = p.arg;
			break;
		case VR_OPT_SSH_KEY: cfg->go.ssh_key = p.arg; break;
		case VR_OPT_KNOWN_HOSTS: cfg->go.known_hosts = p.arg; break;
		case VR_OPT_INTERVAL: cfg->interval_ms = p.value; break;
		case VR_OPT_TIMEOUT: cfg->go.timeout_ms = (int)p.value; break;
		case VR_OPT_MAX_BACKOFF: cfg->max_backoff_ms = p.value; break;
		default:
			/* --backend, --state-dir; --ca-file, --token-file,
			 * --notify, --metrics-file, --commit-status... */
			if (!vr_cli_common_option(&w->c, &p) &&
			    vr_ops_option(&w->oo, &p) < 0)
				return -1;
		}
	}
	if (rc < 0)
		return rc == VR_OPTS_HELP ? 1 : -1;
	if (vr_cli_settle(&w->c) < 0)
		return -1;
	if (w->c.implicit) {
		vr_cli_error("watch needs a backend (--backend KIND[:TARGET], "
		    "VMRECON_BACKEND or a context): a daemon on the built-in "
		    "simulated host is never meant; to watch a simulated "
		    "host, give --backend sim:FILE");
		return -1;
	}
	cfg->hostname = w->c.hostname;
	cfg->state_dir = w->c.state_dir;
	cfg->backend = w->c.backend;
	if (cfg->max_backoff_ms < cfg->interval_ms)
		cfg->max_backoff_ms = cfg->interval_ms;
	/* one --ca-file and --token-file, parsed where diff and apply parse
	 * them, for both TLS stacks: libgit2's (mbedTLS) for the repository
	 * and libcurl's (OpenSSL) for webhooks and statuses */
	cfg->go.ca_file = w->oo.http.ca_file;
	cfg->go.token_file = w->oo.http.token_file;
	if (cfg->hostname) {
		char *expanded = NULL;

		/* the rules of {hostname}, even when --path does not use it:
		 * the name also goes into statuses and metric labels */
		if (vr_git_path_expand(&expanded, "{hostname}", cfg->hostname,
		    NULL) < 0) {
			vr_cli_error("--hostname: %s", vr_error_msg());
			return -1;
		}
		free(expanded);
	}
	w->oo.hostname = cfg->hostname;
	return 0;
}

/* The daemon (state dir, baseline, source), then what the CLI adds
 * around it and the backend; *b: the backend, for the daemon. */
static int
setup(struct watch *w, struct vr_watchloop **out, struct vr_backend **b)
{
	int rc;

	if ((rc = vr_watchloop_open(out, &w->cfg)) < 0 ||
	    (rc = vr_ops_open(&w->ops, &w->oo)) < 0 ||
	    (rc = vr_ops_commit_status_open(&w->cs, &w->oo, w->cfg.repo)) < 0)
		return rc;
	return vr_cli_backend_open(b, &w->c);
}

int
cmd_watch(int argc, char **argv)
{
	struct watch w;
	struct vr_watchloop *d = NULL;
	struct vr_backend *b = NULL;
	struct vr_watchloop_hooks hooks;
	sigset_t unblocked;
	int rc, code = VR_EXIT_ERROR;

	memset(&w, 0, sizeof(w));
	vr_cli_common_init(&w.c);
	w.cfg.ref = vr_opts_find("watch", VR_OPT_REF)->def;
	w.cfg.interval_ms = vr_opts_default("watch", VR_OPT_INTERVAL);
	w.cfg.max_backoff_ms = vr_opts_default("watch", VR_OPT_MAX_BACKOFF);
	w.cfg.self_heal = true;
	w.cfg.go = (struct vr_gitsource_options)VR_GITSOURCE_OPTIONS_INIT;
	w.cfg.go.timeout_ms = (int)vr_opts_default("watch", VR_OPT_TIMEOUT);
	w.oo = (struct vr_ops_options)VR_OPS_OPTIONS_INIT;
	rc = parse_args(&w, argc, argv);
	if (rc != 0) {
		code = rc > 0 ? VR_EXIT_OK : VR_EXIT_ERROR;
		goto out;
	}
	vr_watchloop_signals_block(&unblocked);
	if ((rc = setup(&w, &d, &b)) < 0) {
		vr_cli_error("%s", vr_error_msg());
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		goto out;
	}
	hooks = (struct vr_watchloop_hooks){
		.ctx = &w,
		.pass_begin = hook_pass_begin,
		.reconcile_options = hook_reconcile_options,
		.pass_end = hook_pass_end,
		.commit_status = w.cs ? hook_commit_status : NULL,
	};
	code = vr_watchloop_run(d, b, &hooks, &unblocked);
	b = NULL; /* the daemon's now */
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
out:
	vr_commit_status_free(w.cs);
	vr_ops_free(w.ops);
	vr_watchloop_free(d);
	vr_backend_free(b);
	vr_cli_common_clear(&w.c);
	return code;
}
