/* ops.c - the operator options of diff, apply and watch, and the glue that
 * feeds every pass to notifications and metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/error.h"
#include "cmd.h"
#include "ops.h"

long
vr_ops_parse_seconds(const char *arg)
{
	char *end;
	long v;

	if (!arg[0] || arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || (end[0] && strcmp(end, "s") != 0) || v < 1 || v > 3600)
		return -1;
	return v * 1000;
}

int
vr_ops_option(struct vr_ops_options *o, int ch, const char *arg)
{
	switch (ch) {
	case VR_OPT_CA_FILE:
		o->http.ca_file = arg;
		return 1;
	case VR_OPT_TOKEN_FILE:
		o->http.token_file = arg;
		return 1;
	case VR_OPT_HTTP_TIMEOUT:
		o->http.timeout_ms = vr_ops_parse_seconds(arg);
		if (o->http.timeout_ms < 0) {
			vr_cli_error("--http-timeout must be 1 to 3600 "
			    "seconds, not '%s'", arg);
			return -1;
		}
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
	default:
		return 0;
	}
}
