/* mod_git.c - the entry of vmrecon-git.so (modules.h): `watch`, with
 * libgit2 linked into the module only. */
#include <git2.h>
#include <stdio.h>

#include "../../schema/util/module.h"
#include "../cli/cmd.h"
#include "modules.h"

static const struct vr_git_api api = {
	.watch = cmd_watch,
};

static const char *
library(void)
{
	static char v[32];
	int maj, min, rev;

	git_libgit2_version(&maj, &min, &rev);
	snprintf(v, sizeof(v), "libgit2 %d.%d.%d", maj, min, rev);
	return v;
}

const struct vr_module_info VR_MODULE_DEFINE = {
	VR_MODULE_ABI, VR_VERSION, "git", &api, library,
};
