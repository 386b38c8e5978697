/*
 * optdump.c - print the option table (reconciler/cli/options.c) one row per
 * command and option, for tests/optcheck.py to compare with --help, the
 * man page and the bash completion:
 *
 *   CMD <TAB> NAME <TAB> LETTER <TAB> TYPE <TAB> META <TAB> DEFAULT <TAB> REQ
 *
 * LETTER, META and DEFAULT are "-" when absent; REQ is 1 or 0.
 */
#include <stdio.h>

#include "../../reconciler/cli/options.h"

int
main(void)
{
	static const char *const types[] = { "none", "string", "path", "dir",
	    "url", "enum", "duration", "size", "count" };
	const struct vr_opts_cmd *c;
	const struct vr_option *o;

	for (c = vr_opts_cmds; c->name; c++)
		for (o = vr_options; o->name; o++)
			if (o->cmds & c->bit)
				printf("%s\t%s\t%c\t%s\t%s\t%s\t%d\n", c->name,
				    o->name, o->letter ? o->letter : '-',
				    types[o->arg], o->meta ? o->meta : "-",
				    o->def ? o->def : "-",
				    (o->required & c->bit) != 0);
	return 0;
}
