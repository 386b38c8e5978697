/* cmd_validate.c - `vmrecon validate [-f] FILE|DIR... [-b KIND]`: check
 * files, touch nothing.  Files come as operands or with -f (as diff and
 * apply take them), directories as specfiles.h says.  The files given
 * with -f are checked as the one desired state apply would make of them:
 * a VM named in two of them is an error, and with a backend whose names
 * ignore case (eflow) so are names differing only in case; operands are
 * checked each on its own (alternatives, as examples/ holds).  The
 * backend is not contacted. */
#include <stdio.h>
#include <stdlib.h>

#include "../../schema/util/error.h"
#include "cmd.h"
#include "ops.h"
#include "options.h"
#include "../gitops/source.h"
#include "specfiles.h"

int
cmd_validate(int argc, char **argv)
{
	struct vr_ops_options oo = VR_OPS_OPTIONS_INIT;
	struct vr_specfiles sf = { NULL, 0 };
	struct vr_cli_common c;
	struct vr_opts p;
	const char **args = vr_calloc((size_t)argc + 1, sizeof(*args));
	struct vr_spec **specs = NULL;
	struct vr_diags set = VR_DIAGS_INIT;
	bool recursive = false;
	size_t i, nargs = 0, nspecs = 0, nf = 0, nset = 0;
	int rc, bad = 0, fold;

	vr_cli_common_init(&c);
	vr_opts_init(&p, "validate", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0) {
		if (rc == VR_OPT_FILE)
			args[nargs++] = p.arg, nf++;
		else if (rc == VR_OPT_RECURSIVE)
			recursive = true;
		else if (!vr_cli_common_option(&c, &p) &&
		    vr_ops_option(&oo, &p) < 0) {
			free(args);
			return VR_EXIT_ERROR;
		}
	}
	if (rc < 0) {
		free(args);
		return vr_opts_exit(rc);
	}
	/* validate uses one setting, the backend whose names rules apply
	 * (-b, or --context's); --context has to name a context */
	if (c.context && vr_cli_settle(&c) < 0) {
		vr_cli_common_clear(&c);
		free(args);
		return VR_EXIT_ERROR;
	}
	fold = vr_backend_names_fold_case(c.backend);
	vr_cli_common_clear(&c);
	for (rc = p.ind; rc < argc; rc++)
		args[nargs++] = argv[rc];
	if (nargs == 0) {
		vr_cli_error("validate needs a file: validate FILE... or "
		    "validate -f FILE|DIR");
		free(args);
		return VR_EXIT_ERROR;
	}
	if (fold < 0) {
		vr_cli_error("%s", vr_error_msg());
		free(args);
		return VR_EXIT_ERROR;
	}
	for (i = 0; i < nargs; i++) {
		if (vr_specfiles_add(&sf, args[i], recursive) < 0) {
			vr_cli_error("%s", vr_error_msg());
			bad = 1;
		}
		if (i + 1 == nf) /* the -f files: one desired state */
			nset = sf.n;
	}
	for (i = 0; i < sf.n; i++) {
		struct vr_diags d = VR_DIAGS_INIT;
		struct vr_spec *spec = NULL;
		char *rev = NULL;

		rc = vr_source_load_with(&spec, &rev, &d, sf.v[i], &oo.http,
		    NULL);
		if (rc == 0) {
			printf("%s: valid (%zu VM%s)\n", sf.v[i], spec->nvms,
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
		free(rev);
		if (rc == 0 && i < nset) { /* kept for the check of the set */
			specs = vr_realloc(specs, (nspecs + 1) *
			    sizeof(*specs));
			specs[nspecs++] = spec;
			continue;
		}
		if (rc == 0) /* an operand: its own names */
			vr_specfiles_check_names(&set,
			    (const struct vr_spec *const *)&spec, 1, fold);
		vr_spec_free(spec);
	}
	/* the files as one desired state, as apply takes them */
	vr_specfiles_check_names(&set, (const struct vr_spec *const *)specs,
	    nspecs, fold);
	if (set.n) {
		vr_diags_sort(&set);
		vr_diags_print(&set, stderr);
		vr_cli_error("%zu VM%s named twice: apply would refuse %s",
		    set.n, set.n == 1 ? "" : "s", set.n == 1 ? "it" : "them");
		bad = 1;
	}
	vr_diags_free(&set);
	for (i = 0; i < nspecs; i++)
		vr_spec_free(specs[i]);
	free(specs);
	vr_specfiles_clear(&sf);
	free(args);
	return bad ? VR_EXIT_ERROR : VR_EXIT_OK;
}
