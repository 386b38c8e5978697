/*
 * ops.h - what an operator adds around a reconcile pass, for diff, apply
 * and watch alike: the HTTPS source options (--ca-file, --token-file,
 * --http-timeout), webhook notifications (--notify, --notify-hmac-key) and
 * the Prometheus textfile (--metrics-file).
 *
 * A command splices VR_OPS_*_LONGOPTS into its getopt_long table and hands
 * every option it does not know to vr_ops_option().  Around each pass:
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

#include <getopt.h>
#include <stdbool.h>

#include "reconcile.h"
#include "source_http.h"

enum {
	VR_OPT_CA_FILE = 0x100,
	VR_OPT_TOKEN_FILE,
	VR_OPT_HTTP_TIMEOUT,
	VR_OPT_NOTIFY,
	VR_OPT_NOTIFY_HMAC_KEY,
	VR_OPT_METRICS_FILE,
};

#define VR_OPS_HTTP_LONGOPTS \
	{ "ca-file", required_argument, NULL, VR_OPT_CA_FILE }, \
	{ "http-timeout", required_argument, NULL, VR_OPT_HTTP_TIMEOUT }, \
	{ "token-file", required_argument, NULL, VR_OPT_TOKEN_FILE }

#define VR_OPS_REPORT_LONGOPTS \
	{ "metrics-file", required_argument, NULL, VR_OPT_METRICS_FILE }, \
	{ "notify", required_argument, NULL, VR_OPT_NOTIFY }, \
	{ "notify-hmac-key", required_argument, NULL, VR_OPT_NOTIFY_HMAC_KEY }

struct vr_ops_options {
	struct vr_http_options http; /* source fetches, and ca/timeout for
	                              * webhooks */
	const char *notify_url;
	const char *notify_hmac_key_file;
	const char *metrics_file;
};

#define VR_OPS_OPTIONS_INIT { VR_HTTP_OPTIONS_INIT, NULL, NULL, NULL }

/* Parse option `ch` (a VR_OPT_*): 1 handled, 0 not an ops option, -1 bad
 * value (the message is printed). */
int vr_ops_option(struct vr_ops_options *o, int ch, const char *arg);

/* "N" or "Ns" seconds, 1..3600, as milliseconds; -1 if malformed. */
long vr_ops_parse_seconds(const char *arg);

#endif
