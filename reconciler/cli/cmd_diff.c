/* cmd_diff.c - `vmrecon diff`: show the plan, change nothing.
 * Exit 0 in sync, 2 changes pending, 1 error (terraform's
 * -detailed-exitcode). */
#include "cmd.h"

int
cmd_diff(int argc, char **argv)
{
	return vr_cli_reconcile(argc, argv, false);
}
