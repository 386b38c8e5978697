/* git_load.c - `vmrecon watch` in the core binary: opens vmrecon-git.so
 * (libgit2) and runs the watch it holds (modules.h). */
#include <stdio.h>

#include "../../schema/util/error.h"
#include "../../schema/util/module.h"
#include "../cli/cmd.h"
#include "modules.h"

int
cmd_watch(int argc, char **argv)
{
	const struct vr_git_api *git = vr_module_load("git");

	if (!git) {
		fprintf(stderr, "vmrecon: watch: %s\n", vr_error_msg());
		return 1;
	}
	return git->watch(argc, argv);
}
