/* cli.c - what the commands share: errors, common options, the backend. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../schema/error.h"
#include "cmd.h"

void
vr_cmd_usage(const char *name, FILE *fp)
{
	const struct vr_cmd *c = vr_cmd_find(name);

	if (c)
		fprintf(fp, "usage: vmrecon %s\n", c->usage);
}

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
	const char *nc = getenv("NO_COLOR");

	memset(c, 0, sizeof(*c));
	c->backend = "sim";
	c->output = VR_OUTPUT_TEXT;
	c->color = isatty(STDOUT_FILENO) && !(nc && nc[0]);
}

void
vr_cli_common_clear(struct vr_cli_common *c)
{
	free(c->state_dir);
	c->state_dir = NULL;
}

int
vr_cli_output_parse(struct vr_cli_common *c, const char *arg)
{
	if (strcmp(arg, "text") == 0)
		c->output = VR_OUTPUT_TEXT;
	else if (strcmp(arg, "json") == 0)
		c->output = VR_OUTPUT_JSON;
	else {
		vr_cli_error("-o must be text or json, not '%s'", arg);
		return -1;
	}
	return 0;
}

int
vr_cli_backend_open(struct vr_backend **out, const struct vr_cli_common *c)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;

	o.state_dir = c->state_dir;
	o.progress = isatty(STDERR_FILENO);
	o.read_only = c->read_only;
	return vr_backend_open(out, c->backend, &o);
}
