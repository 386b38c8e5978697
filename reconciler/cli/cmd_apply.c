/* cmd_apply.c - `vmrecon apply`: make the VM match, verify, record.
 * Exit 0 converged, 1 error (saying what was applied before it, what was
 * sent and is unknown, what was not sent), 3 pending: changes left by
 * restartPolicy: Never (not converged); interrupted (SIGINT, SIGTERM):
 * each VM recorded, then ended by the signal (130, 143; interrupt.h). */
#include "cmd.h"

int
cmd_apply(int argc, char **argv)
{
	return vr_cli_reconcile(argc, argv, true);
}
