/* cmd_validate.c - `vmrecon validate FILE...`: check files, touch nothing. */
#include <stdio.h>
#include <stdlib.h>

#include "../schema/error.h"
#include "cmd.h"
#include "ops.h"
#include "options.h"
#include "source.h"

int
cmd_validate(int argc, char **argv)
{
	struct vr_ops_options oo = VR_OPS_OPTIONS_INIT;
	struct vr_opts p;
	int i, rc, bad = 0;

	vr_opts_init(&p, "validate", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0)
		if (vr_ops_option(&oo, &p) < 0)
			return VR_EXIT_ERROR;
	if (rc < 0)
		return vr_opts_exit(rc);
	for (i = p.ind; i < argc; i++) {
		struct vr_diags d = VR_DIAGS_INIT;
		struct vr_spec *spec = NULL;
		char *rev = NULL;

		rc = vr_source_load_with(&spec, &rev, &d, argv[i], &oo.http,
		    NULL);
		if (rc == 0) {
			printf("%s: valid (%zu VM%s)\n", argv[i], spec->nvms,
			    spec->nvms == 1 ? "" : "s");
		} else if (d.n) {
			vr_diags_sort(&d);
			vr_diags_print(&d, stderr);
			bad = 1;
		} else {
			vr_cli_error("%s", vr_error_msg());
			bad = 1;
		}
		vr_diags_free(&d);
		vr_spec_free(spec);
		free(rev);
	}
	return bad ? VR_EXIT_ERROR : VR_EXIT_OK;
}
