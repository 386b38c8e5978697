/* ops.c - the operator options of diff, apply and watch, and the glue that
 * feeds every pass to notifications and metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "cmd.h"
#include "../report/commitstatus.h"
#include "../report/metrics.h"
#include "../report/notify.h"
#include "ops.h"
#include "options.h"

int
vr_ops_option(struct vr_ops_options *o, const struct vr_opts *p)
{
	const char *arg = p->arg;

	switch (p->opt->id) {
	case VR_OPT_CA_FILE:
		o->http.ca_file = arg;
		return 1;
	case VR_OPT_TOKEN_FILE:
		o->http.token_file = arg;
		return 1;
	case VR_OPT_HTTP_TIMEOUT:
		o->http.timeout_ms = (long)p->value;
		return 1;
	case VR_OPT_NOTIFY:
		if (vr_http_url_check(arg) < 0) {
			vr_cli_error("--notify: %s", vr_error_msg());
			return -1;
		}
		o->notify_url = arg;
		return 1;
	case VR_OPT_NOTIFY_HMAC_KEY:
		o->notify_hmac_key_file = arg;
		return 1;
	case VR_OPT_METRICS_FILE:
		o->metrics_file = arg;
		return 1;
	case VR_OPT_COMMIT_STATUS: /* the table checks the enum */
		o->commit_status = arg;
		return 1;
	case VR_OPT_COMMIT_STATUS_TOKEN_FILE:
		o->commit_status_token_file = arg;
		return 1;
	case VR_OPT_COMMIT_STATUS_URL:
		o->commit_status_url = arg;
		return 1;
	case VR_OPT_COMMIT_STATUS_REPO:
		o->commit_status_repo = arg;
		return 1;
	default:
		return 0;
	}
}

struct vr_ops {
	struct vr_notify *notify;
	struct vr_metrics *metrics;
	double t0;
};

int
vr_ops_open(struct vr_ops **out, const struct vr_ops_options *o)
{
	struct vr_ops *ops;
	int rc;

	*out = NULL;
	if (!o->notify_url && !o->metrics_file) {
		if (o->notify_hmac_key_file)
			return vr_error_set(VR_EINVALID, "--notify-hmac-key "
			    "needs --notify URL");
		return 0;
	}
	ops = vr_calloc(1, sizeof(*ops));
	if (o->notify_url && (rc = vr_notify_new(&ops->notify, o->notify_url,
	    o->notify_hmac_key_file, &o->http)) < 0) {
		free(ops);
		return rc;
	}
	if (ops->notify && o->hostname)
		vr_notify_set_host(ops->notify, o->hostname);
	if (o->metrics_file) {
		vr_metrics_open(&ops->metrics, o->metrics_file);
		vr_metrics_set_host(ops->metrics, o->hostname);
	}
	*out = ops;
	return 0;
}

void
vr_ops_free(struct vr_ops *ops)
{
	if (!ops)
		return;
	vr_notify_free(ops->notify);
	vr_metrics_free(ops->metrics);
	free(ops);
}

void
vr_ops_pass_begin(struct vr_ops *ops)
{
	if (!ops)
		return;
	ops->t0 = vr_clock_s();
	if (ops->metrics)
		vr_metrics_pass_begin(ops->metrics);
}

static void
ops_on_vm(void *ctx, const struct vr_vm_event *ev)
{
	struct vr_ops *ops = ctx;

	if (ops->notify)
		vr_notify_on_vm(ops->notify, ev);
	if (ops->metrics)
		vr_metrics_on_vm(ops->metrics, ev);
}

void
vr_ops_reconcile_options(struct vr_ops *ops, struct vr_reconcile_options *ro)
{
	if (!ops)
		return;
	ro->on_vm = ops_on_vm;
	ro->ctx = ops;
}

void
vr_ops_pass_end(struct vr_ops *ops, const struct vr_spec *spec,
    const char *revision, bool apply, const struct vr_reconcile_result *res,
    const char *message)
{
	bool ok = res && res->exit_code != VR_EXIT_ERROR;
	char *msg;
	size_t i, n;

	if (!ops)
		return;
	/* a pass that reached no VM sent no per-VM event: say it for all */
	if (!ok && (!res || res->nvms == 0)) {
		n = spec && spec->nvms ? spec->nvms : 1;
		/* a copy: sending may set (and so overwrite) the error */
		msg = vr_strdup(message && message[0] ? message :
		    "the pass failed before reaching any VM");
		for (i = 0; ops->notify && i < n; i++)
			vr_notify_send(ops->notify, spec && spec->nvms ?
			    spec->vms[i].name : NULL, revision, "failed",
			    0, msg, 0);
		free(msg);
		if (ops->metrics)
			vr_metrics_count(ops->metrics, VR_RESULT_FAILED, n);
	}
	if (ops->metrics && vr_metrics_pass_end(ops->metrics, ok,
	    ok && apply && res->exit_code == VR_EXIT_OK ? revision : NULL,
	    vr_clock_s() - ops->t0) < 0)
		fprintf(stderr, "vmrecon: warning: %s\n", vr_error_msg());
}

int
vr_ops_commit_status_open(struct vr_commit_status **out,
    const struct vr_ops_options *o, const char *repo_url)
{
	struct vr_commit_status_options co;
	char *context;
	int rc;

	*out = NULL;
	if (!o->commit_status) {
		if (o->commit_status_token_file || o->commit_status_url ||
		    o->commit_status_repo)
			return vr_error_set(VR_EINVALID, "--commit-status-* "
			    "options need --commit-status github|gitea|gitlab");
		return 0;
	}
	memset(&co, 0, sizeof(co));
	if (vr_commit_status_provider_parse(&co.provider,
	    o->commit_status) < 0)
		return VR_EINVALID;
	co.base_url = o->commit_status_url;
	co.repo = o->commit_status_repo;
	co.repo_url = repo_url;
	co.token_file = o->commit_status_token_file;
	co.http.ca_file = o->http.ca_file;
	co.http.timeout_ms = o->http.timeout_ms;
	context = o->hostname ? vr_asprintf("vmrecon/%s", o->hostname) : NULL;
	co.context = context;
	rc = vr_commit_status_new(out, &co);
	free(context);
	return rc;
}
