/*
 * commands.h - the one list of vmrecon's commands.  Everything else that
 * names the commands is made from VR_COMMANDS: the table vr_commands[]
 * (commands.c: `vmrecon help`, dispatch, operands), the handlers'
 * declarations (cmd.h), each command's option bit VR_C_* and VR_C_ALL
 * (the option table's rows, options.c), and what tests/tools/optdump
 * prints, against which tests/e2e/t0120-options.sh checks the man page,
 * the bash completion and `vmrecon help`.  Adding a command: cmd.h.
 *
 * One row per command, in the order `vmrecon help` lists them:
 *   X(BIT, name, flags, operands, min, max, summary)
 * BIT names its VR_C_BIT; name is the word typed, and cmd_<name> in
 * cmd_<name>.c runs it; flags: VR_CMD_OPTIONS when it parses its options
 * with the option table (options.h), else it has no bit (VR_C_BIT is 0);
 * operands: how its operands show in the usage, or NULL; min and max:
 * how many operands it needs and takes (-1: any number); summary: one
 * line for `vmrecon help` and its --help.
 */
#ifndef VR_COMMANDS_H
#define VR_COMMANDS_H

/* flags */
#define VR_CMD_OPTIONS 1u /* its options come from the option table */

#define VR_COMMANDS(X) \
	X(VALIDATE, validate, VR_CMD_OPTIONS, "[FILE|DIR|URL...]", 0, -1, \
	    "check desired-state files; change nothing") \
	X(DIFF, diff, VR_CMD_OPTIONS, NULL, 0, 0, \
	    "show the plan; exit 2 if the VM differs from the file") \
	X(APPLY, apply, VR_CMD_OPTIONS, NULL, 0, 0, \
	    "make the VM match the file, verify, record") \
	X(GET, get, VR_CMD_OPTIONS, "[NAME...]", 0, -1, \
	    "print live VMs as desired-state files, to adopt them") \
	X(STATUS, status, VR_CMD_OPTIONS, NULL, 0, 0, \
	    "show what the last reconciles did") \
	X(WATCH, watch, VR_CMD_OPTIONS, NULL, 0, 0, \
	    "follow a Git repository: reconcile on new commits and on drift") \
	X(VERSION, version, VR_CMD_OPTIONS, NULL, 0, 0, \
	    "print the version, the backends and modules found") \
	X(CONFIG, config, VR_CMD_OPTIONS, \
	    "get-contexts|current-context|use-context NAME|view", 1, 2, \
	    "list, show and switch the contexts of the config file") \
	X(HELP, help, 0, "[COMMAND]", 0, 1, "show help")

/* Each command's place in the list. */
enum vr_cmd_index {
#define VR_CMD_INDEX_(bit, name, ...) VR_CMD_I_##bit,
	VR_COMMANDS(VR_CMD_INDEX_)
#undef VR_CMD_INDEX_
	VR_CMD__COUNT
};

/* The commands that take options, as bits of vr_option.cmds and
 * .required (options.h); 0 for one that takes none. */
enum {
#define VR_CMD_BIT_(bit, name, flags, ...) \
	VR_C_##bit = ((flags) & VR_CMD_OPTIONS) ? 1u << VR_CMD_I_##bit : 0u,
	VR_COMMANDS(VR_CMD_BIT_)
#undef VR_CMD_BIT_
};

/* Every command that takes options. */
#define VR_CMD_OR_(bit, ...) | VR_C_##bit
#define VR_C_ALL (0u VR_COMMANDS(VR_CMD_OR_))

_Static_assert(VR_CMD__COUNT <= 32, "a VR_C_* bit per command in unsigned");

#endif
