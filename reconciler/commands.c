/*
 * commands.c - the command table, `vmrecon help` and the top-level usage.
 * Adding a command: see cmd.h.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

const struct vr_cmd vr_commands[] = {
	{ "validate", cmd_validate, "validate [--ca-file FILE] [--token-file "
	  "FILE] [--http-timeout SECONDS] FILE|URL...",
	  "check desired-state files; change nothing" },
	{ "diff", cmd_diff, "diff -f FILE|URL [-o text|json] [--backend "
	  "KIND[:TARGET]] [--state-dir DIR]\n\t[--ca-file FILE] "
	  "[--token-file FILE] [--http-timeout SECONDS]\n\t[--notify URL "
	  "[--notify-hmac-key FILE]] [--metrics-file PATH]",
	  "show the plan; exit 2 if the VM differs from the file" },
	{ "apply", cmd_apply, "apply -f FILE|URL [-o text|json] [--backend "
	  "KIND[:TARGET]] [--state-dir DIR]\n\t[--ca-file FILE] "
	  "[--token-file FILE] [--http-timeout SECONDS]\n\t[--notify URL "
	  "[--notify-hmac-key FILE]] [--metrics-file PATH]",
	  "make the VM match the file, verify, record" },
	{ "get", cmd_get, "get [NAME...] [-o yaml|json] [--record] [--backend "
	  "KIND[:TARGET]] [--state-dir DIR]",
	  "print live VMs as desired-state files, to adopt them" },
	{ "status", cmd_status, "status [-o text|json] [--state-dir DIR]",
	  "show what the last reconciles did" },
	{ "watch", cmd_watch, "watch --repo URL --path PATH [--ref BRANCH|"
	  "tag:NAME|commit:SHA]\n"
	  "               [--hostname NAME] [--interval DURATION] "
	  "[--timeout DURATION]\n"
	  "               [--max-backoff DURATION] [--backend KIND[:TARGET]] "
	  "[--state-dir DIR]\n"
	  "               [--once] [--no-self-heal] [--allow-rewrite]\n"
	  "               [--verify-signatures ALLOWED_SIGNERS] "
	  "[--ca-file FILE] [--token-file FILE]\n"
	  "               [--ssh-key KEY --known-hosts FILE]",
	  "follow a Git repository: reconcile on new commits and on drift" },
	{ "version", cmd_version, "version",
	  "print the version and the backends built in" },
	{ "help", cmd_help, "help [COMMAND]", "show help" },
	{ NULL, NULL, NULL, NULL }
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
		fprintf(stderr, "vmrecon: unknown command '%s'\n", argv[1]);
		return 1;
	}
	{
		char *av[] = { argv[1], "--help", NULL };

		return c->run(2, av);
	}
}

