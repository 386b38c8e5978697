/* cmd_apply.c - `vmrecon apply`: make the VM match, verify, record.
 * Exit 0 converged, 1 error (saying what was applied before it), 3
 * converged except changes left pending by restartPolicy: Never. */
#include "cmd.h"

int
cmd_apply(int argc, char **argv)
{
	return vr_cli_reconcile(argc, argv, true);
}
