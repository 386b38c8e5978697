/*
 * commands.c - the command table, `vmrecon help` and the top-level usage.
 * Adding a command: see cmd.h.
 */
#include <stdio.h>
#include <string.h>

#include "../../schema/suggest.h"
#include "cmd.h"

/* Their options are in options.c. */
const struct vr_cmd vr_commands[] = {
	{ "validate", cmd_validate, "[FILE|DIR|URL...]", 0, -1,
	  "check desired-state files; change nothing" },
	{ "diff", cmd_diff, NULL, 0, 0,
	  "show the plan; exit 2 if the VM differs from the file" },
	{ "apply", cmd_apply, NULL, 0, 0,
	  "make the VM match the file, verify, record" },
	{ "get", cmd_get, "[NAME...]", 0, -1,
	  "print live VMs as desired-state files, to adopt them" },
	{ "status", cmd_status, NULL, 0, 0,
	  "show what the last reconciles did" },
	{ "watch", cmd_watch, NULL, 0, 0,
	  "follow a Git repository: reconcile on new commits and on drift" },
	{ "version", cmd_version, NULL, 0, 0,
	  "print the version, the backends and modules found" },
	{ "config", cmd_config,
	  "get-contexts|current-context|use-context NAME|view", 1, 2,
	  "list, show and switch the contexts of the config file" },
	{ "help", cmd_help, "[COMMAND]", 0, 1, "show help" },
	{ NULL, NULL, NULL, 0, 0, NULL }
};

const struct vr_cmd *
vr_cmd_find(const char *name)
{
	const struct vr_cmd *c;

	for (c = vr_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Commands users of other tools type, and vmrecon's. */
static const struct { const char *word, *cmd; } cmd_synonyms[] = {
	{ "plan", "diff" }, { "import", "get" }, { "lint", "validate" },
	{ "check", "validate" }, { "show", "get" }, { "sync", "apply" },
};

void
vr_cmd_unknown(const char *name)
{
	const char *known[sizeof(vr_commands) / sizeof(vr_commands[0])];
	const char *near;
	size_t i;

	for (i = 0; vr_commands[i].name; i++)
		known[i] = vr_commands[i].name;
	known[i] = NULL;
	near = vr_suggest_near(name, strlen(name), known);
	for (i = 0; !near && i < sizeof(cmd_synonyms) /
	    sizeof(cmd_synonyms[0]); i++)
		if (strcmp(name, cmd_synonyms[i].word) == 0)
			near = cmd_synonyms[i].cmd;
	if (near)
		vr_cli_error("unknown command '%s'; did you mean '%s'?", name,
		    near);
	else
		vr_cli_error("unknown command '%s'", name);
}

void
vr_usage(FILE *fp)
{
	const struct vr_cmd *c;

	fputs("usage: vmrecon COMMAND [OPTIONS]\n\n"
	    "Keep a VM's CPU count, memory and GPU as a desired-state YAML "
	    "file says.\n\ncommands:\n", fp);
	for (c = vr_commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fputs("\nRun 'vmrecon COMMAND --help' for a command's options.\n", fp);
}

int
cmd_help(int argc, char **argv)
{
	const struct vr_cmd *c;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		vr_usage(stdout);
		return 0;
	}
	c = vr_cmd_find(argv[1]);
	if (!c) {
		vr_cmd_unknown(argv[1]);
		return 1;
	}
	{
		char *av[] = { argv[1], "--help", NULL };

		return c->run(2, av);
	}
}

