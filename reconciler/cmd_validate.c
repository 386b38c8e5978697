/* cmd_validate.c - `vmrecon validate FILE...`: check files, touch nothing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../schema/error.h"
#include "cmd.h"
#include "ops.h"
#include "source.h"

int
cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		VR_OPS_HTTP_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct vr_ops_options oo = VR_OPS_OPTIONS_INIT;
	int ch, i, rc, bad = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			vr_cmd_usage("validate", stdout);
			return 0;
		}
		if ((rc = vr_ops_option(&oo, ch, optarg)) > 0)
			continue;
		if (rc == 0)
			vr_cmd_usage("validate", stderr);
		return 1;
	}
	if (optind == argc) {
		vr_cmd_usage("validate", stderr);
		return 1;
	}
	for (i = optind; i < argc; i++) {
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
