/* cli.c - what the commands share: errors, common options, the backend. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../schema/util/error.h"
#include "cmd.h"
#include "options.h"

void
vr_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vmrecon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
vr_cli_common_init(struct vr_cli_common *c)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	memset(c, 0, sizeof(*c));
	c->backend = "sim";
	c->output = VR_OUTPUT_TEXT;
	/* no-color.org's NO_COLOR, and a terminal that says it has none */
	c->color = isatty(STDOUT_FILENO) && !(nc && nc[0]) &&
	    !(term && strcmp(term, "dumb") == 0);
}

void
vr_cli_common_clear(struct vr_cli_common *c)
{
	free(c->state_dir);
	c->state_dir = NULL;
}

int
vr_cli_common_option(struct vr_cli_common *c, const struct vr_opts *p)
{
	switch (p->opt->id) {
	case VR_OPT_BACKEND:
		c->backend = p->arg;
		return 1;
	case VR_OPT_BACKEND_TIMEOUT: /* ms, bounded by the table */
		c->backend_timeout_ms = (int)p->value;
		return 1;
	case VR_OPT_STATE_DIR:
		free(c->state_dir);
		c->state_dir = vr_strdup(p->arg);
		return 1;
	case VR_OPT_OUTPUT: /* the text|json row; get has its own */
		c->output = strcmp(p->arg, "json") == 0 ? VR_OUTPUT_JSON :
		    VR_OUTPUT_TEXT;
		return 1;
	default:
		return 0;
	}
}

int
vr_cli_backend_open(struct vr_backend **out, const struct vr_cli_common *c)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;

	o.state_dir = c->state_dir;
	o.timeout_ms = c->backend_timeout_ms;
	o.progress = isatty(STDERR_FILENO);
	o.read_only = c->read_only;
	return vr_backend_open(out, c->backend, &o);
}
