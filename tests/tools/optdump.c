/*
 * optdump.c - print the option table (reconciler/cli/options.c) one row per
 * command and option, for tests/optcheck.py to compare with --help, the
 * man page and the bash completion:
 *
 *   CMD <TAB> NAME <TAB> LETTER <TAB> TYPE <TAB> META <TAB> DEFAULT <TAB> REQ
 *
 * LETTER, META and DEFAULT are "-" when absent; REQ is 1 or 0.
 *
 * `optdump backends` prints instead every backend in the registry, built
 * or not (a libvirt module this build lacks is still a backend the
 * documentation names), on one line; `optdump commands` every command of
 * the command table (reconciler/cli/commands.h), options or not, on one
 * line.
 */
#include <stdio.h>
#include <string.h>

#include "../../backends/backend.h"
#include "../../reconciler/cli/cmd.h"
#include "../../reconciler/cli/options.h"

int
main(int argc, char **argv)
{
	static const char *const types[] = { "none", "string", "path", "dir",
	    "url", "enum", "duration", "size", "count" };
	const struct vr_cmd *c;
	const struct vr_option *o;
	const struct vr_backend_entry *e;

	if (argc > 1 && strcmp(argv[1], "backends") == 0) {
		for (e = vr_backend_registry(); e->name; e++)
			printf("%s%s", e == vr_backend_registry() ? "" : " ",
			    e->name);
		printf("\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "commands") == 0) {
		for (c = vr_commands; c->name; c++)
			printf("%s%s", c == vr_commands ? "" : " ", c->name);
		printf("\n");
		return 0;
	}
	for (c = vr_commands; c->name; c++)
		for (o = vr_options; o->name; o++)
			if (o->cmds & c->bit)
				printf("%s\t%s\t%c\t%s\t%s\t%s\t%d\n", c->name,
				    o->name, o->letter ? o->letter : '-',
				    types[o->arg], o->meta ? o->meta : "-",
				    o->def ? o->def : "-",
				    (o->required & c->bit) != 0);
	return 0;
}
