/* cmd_version.c - `vmrecon version`: the version, the backends this
 * vmrecon can use, each module and the git helper and where it was found
 * (or why not, or why it would be refused: its path's trust and a module's
 * note, read without loading it), and the libraries of the core.  `-v` also
 * opens each module found and asks the helper, and prints its library's
 * version (or why it was refused); without -v nothing is loaded or run, so
 * `version` stays as cheap as an empty command.  Last, the config file
 * and the context in force (config.h); a config that does not load is
 * said, and is an error only with --context. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <yaml.h>

#include "../../schema/util/error.h"
#include "../../schema/util/module.h"
#include "../../schema/util/trust.h"
#include "../gitops/gitproto.h"
#include "cmd.h"
#include "config.h"
#include "options.h"

struct mod_row {
	const char *name;
	const char *used_by;
	const char *not_built; /* why it was not built, or NULL */
};

static void
module_line(const struct mod_row *m, int verbose)
{
	char path[PATH_MAX];
	const struct vr_module_info *info;

	printf("  %-8s ", m->name);
	if (m->not_built) {
		printf("missing: %s\n", m->not_built);
		return;
	}
	if (vr_module_find(m->name, path, sizeof(path)) < 0) {
		printf("missing: %s\n", vr_error_msg());
		return;
	}
	printf("%s (%s)", path, m->used_by);
	if (verbose) {
		info = vr_module_info(m->name);
		if (info)
			printf(": %s", info->library());
		else
			printf(": refused: %s", vr_error_msg());
	} else if (vr_module_check(m->name) < 0) {
		printf(": refused: %s", vr_error_msg());
	}
	putchar('\n');
}

/* The git helper's line, in the modules' format. */
static void
helper_line(int verbose)
{
	char path[PATH_MAX], *lib = NULL;
	int fd;

	printf("  %-8s ", "git");
	if (vr_gitproto_find(path, sizeof(path)) < 0) {
		printf("missing: %s\n", vr_error_msg());
		return;
	}
	printf("%s (watch)", path);
	if (verbose) {
		if (vr_gitproto_version(&lib, path) == 0)
			printf(": %s", lib);
		else
			printf(": refused: %s", vr_error_msg());
		free(lib);
	} else if ((fd = vr_trust_open(path, "helper")) < 0) {
		printf(": refused: %s", vr_error_msg());
	} else {
		close(fd);
	}
	putchar('\n');
}

int
cmd_version(int argc, char **argv)
{
	const struct vr_backend_entry *e;
	const struct mod_row core_mods[] = {
		{ "http", "https sources, --notify, --commit-status", NULL },
		{ NULL, NULL, NULL },
	};
	const struct mod_row *m;
	char path[PATH_MAX];
	struct vr_cli_common c;
	struct vr_opts p;
	int verbose = 0, rc;

	vr_cli_common_init(&c);
	vr_opts_init(&p, "version", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0)
		if (rc == VR_OPT_VERBOSE)
			verbose = 1;
		else
			vr_cli_common_option(&c, &p);
	if (rc < 0)
		return vr_opts_exit(rc);
	printf("vmrecon %s\nbackends:", VR_VERSION);
	for (e = vr_backend_registry(); e->name; e++)
		if (e->driver || (!e->not_built &&
		    vr_module_find(e->module, path, sizeof(path)) == 0))
			printf(" %s", e->name);
	printf("\nmodules:\n");
	helper_line(verbose);
	for (m = core_mods; m->name; m++)
		module_line(m, verbose);
	for (e = vr_backend_registry(); e->name; e++)
		if (e->module) {
			struct mod_row r = { e->module, "--backend", e->not_built };

			module_line(&r, verbose);
		}
	vr_error_clear();
	printf("libraries: libyaml %s, jansson %s\n",
	    yaml_get_version_string(), jansson_version_str());
	fflush(stdout);
	rc = vr_cli_settle(&c) < 0 && c.origin[VR_SET_CONTEXT] ==
	    VR_ORIGIN_FLAG;
	printf("config: %s%s", c.config_path, c.config ? "" : " (none)");
	if (c.ctx) {
		char *from = vr_cli_origin(&c, VR_SET_CONTEXT);

		printf(", context %s (%s)", c.ctx->name, from);
		free(from);
	} else if (vr_error_last()->code || c.context) {
		printf(" (not used: see `vmrecon config view`)");
	}
	putchar('\n');
	vr_cli_common_clear(&c);
	return rc;
}
