/* cmd_apply.c - `vmrecon apply`: make the VM match, verify, record.
 * Exit 0 converged, 1 error (saying what was applied before it), 3
 * pending: changes left by restartPolicy: Never (not converged). */
#include "cmd.h"

int
cmd_apply(int argc, char **argv)
{
	return vr_cli_reconcile(argc, argv, true);
}
