/*
 * main.c - vmrecon's entry point: find the command in the table and run it.
 * Only reconciler/ exits; everything below returns codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/interrupt.h"
#include "../../schema/util/zone.h"
#include "cmd.h"

int
main(int argc, char **argv)
{
	const struct vr_cmd *c;
	int rc;

	vr_zone_init(); /* before any thread: zone.h says why */
	if (argc < 2) {
		vr_usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		vr_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		argv[1] = "version";
	c = vr_cmd_find(argv[1]);
	if (!c) {
		vr_cmd_unknown(argv[1]);
		vr_usage(stderr);
		return 1;
	}
	rc = c->run(argc - 1, argv + 1);
	/* a command that caught an interrupt ends by its signal now, its
	 * work recorded (interrupt.h) */
	vr_interrupt_end();
	return rc;
}
