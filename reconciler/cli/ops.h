/*
 * ops.h - what an operator adds around a reconcile pass, for diff, apply
 * and watch alike: the HTTPS source options (--ca-file, --token-file,
 * --http-timeout), webhook notifications (--notify, --notify-hmac-key),
 * the Prometheus textfile (--metrics-file), and for watch the commit
 * status (--commit-status, --commit-status-token-file,
 * --commit-status-url, --commit-status-repo).
 *
 * A command hands each option (options.h) it does not take itself to
 * vr_ops_option().  Around each pass:
 *
 *	vr_ops_open(&ops, &oo, daemon);
 *	vr_ops_pass_begin(ops);
 *	vr_ops_reconcile_options(ops, &ro);   sets ro.on_vm and ro.ctx
 *	vr_reconcile(&res, spec, b, sd, &ro);
 *	vr_ops_pass_end(ops, spec, rev, apply, &res, NULL);
 *	vr_ops_free(ops);                     waits briefly for webhooks
 */
#ifndef VR_OPS_H
#define VR_OPS_H

#include <stdbool.h>

#include "../engine/reconcile.h"
#include "../gitops/source_http.h"

struct vr_ops_options {
	struct vr_http_options http; /* source fetches, and ca/timeout for
	                              * webhooks */
	const char *notify_url;
	const char *notify_hmac_key_file;
	const char *metrics_file;
	const char *commit_status;            /* github|gitea|gitlab */
	const char *commit_status_token_file;
	const char *commit_status_url;        /* API base */
	const char *commit_status_repo;       /* owner/name */
	const char *hostname;  /* watch --hostname: the "host" of webhook
	                        * events, the commit status context
	                        * vmrecon/NAME and a host label on every
	                        * metric; NULL: gethostname, no label */
};

#define VR_OPS_OPTIONS_INIT { VR_HTTP_OPTIONS_INIT, NULL, NULL, NULL, \
	NULL, NULL, NULL, NULL, NULL }

struct vr_opts;
/* Take option p->opt (parsed by options.c): 1 handled, 0 not an ops
 * option, -1 bad value (the message is printed). */
int vr_ops_option(struct vr_ops_options *o, const struct vr_opts *p);

/* Notifications and metrics for a run of passes (NULL parts: off). */
struct vr_ops;

/* Start the notifier (if o->notify_url) and open the metrics file (if
 * o->metrics_file).  Fails only for a bad URL or HMAC key file. */
int vr_ops_open(struct vr_ops **out, const struct vr_ops_options *o);

/* Waits at most VR_NOTIFY_EXIT_WAIT_MS for queued notifications. */
void vr_ops_free(struct vr_ops *ops);

void vr_ops_pass_begin(struct vr_ops *ops);

/* Point ro->on_vm/ctx at ops (NULL ops: leaves them alone). */
void vr_ops_reconcile_options(struct vr_ops *ops,
    struct vr_reconcile_options *ro);

/* After the pass.  res NULL: the pass failed before vr_reconcile (a bad
 * source, no backend) with `message`; spec may then be NULL.  A failed
 * pass that reached no VM is notified and counted for every VM of spec
 * (or once, without a VM, when there is no spec). */
void vr_ops_pass_end(struct vr_ops *ops, const struct vr_spec *spec,
    const char *revision, bool apply, const struct vr_reconcile_result *res,
    const char *message);

struct vr_commit_status;

/* For watch: the commit status poster asked for by o->commit_status (*out
 * stays NULL when it was not), for the repository cloned from repo_url
 * (API base and owner/name derived from it unless given).  Post with
 * vr_commit_status_post() (commitstatus.h); free with
 * vr_commit_status_free(). */
int vr_ops_commit_status_open(struct vr_commit_status **out,
    const struct vr_ops_options *o, const char *repo_url);

#endif
