/*
 * cmd.h - the subcommands, one file each (reconciler/cli/cmd_<name>.c),
 * and the helpers they share.
 *
 * Adding a command:
 *   1. write reconciler/cli/cmd_<name>.c with `int cmd_<name>(int argc,
 *      char **argv)`; argv[0] is the command name; return an exit code
 *      (enum vr_exit); parse options with vr_opts_init/vr_opts_next
 *      (options.h), which print --help on stdout (exit 0) and usage errors
 *      on stderr (exit 1);
 *   2. declare it below, add a line to `vr_commands[]` in commands.c, and
 *      give it a VR_C_* bit in options.h and vr_opts_cmds[] in options.c;
 *      mark the table rows of the options it takes (at least --help);
 *   3. document it in README.md, in vmrecon.1 (SYNOPSIS and COMMANDS) and
 *      in examples/vmrecon.bash-completion, and add tests in tests/e2e/.
 */
#ifndef VR_CMD_H
#define VR_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "../../backends/backend.h"
#include "../engine/reconcile.h"
#include "../engine/statedir.h"

struct vr_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;    /* the operands in the usage ("FILE|URL..."), the
	                      * options come from options.c */
	int min_args;        /* operands it needs */
	int max_args;        /* operands it takes; -1: any number */
	const char *summary; /* one line for `vmrecon help` and --help */
};

int cmd_validate(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* The command table (commands.c), NULL-name terminated. */
extern const struct vr_cmd vr_commands[];
const struct vr_cmd *vr_cmd_find(const char *name);
/* Say a command is unknown, with the one probably meant (suggest.h). */
void vr_cmd_unknown(const char *name);

/* The top-level usage: every command with its summary. */
void vr_usage(FILE *fp);

/* Shared by commands: "vmrecon: msg" on stderr (the last error). */
void vr_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last vr_cli_error message ("" before any; at most 2047 bytes). */
const char *vr_cli_last_error(void);

/* -o json: a command prints one JSON document on stdout, even when it
 * fails, so `| jq` never reads nothing.  vr_cli_wants_json: argv has
 * -o json (or -ojson, --output json, --output=json) before any "--",
 * for a command whose options failed to parse before -o was read.
 * vr_cli_json_out: print `doc` (the command's own output, `len` bytes)
 * as it is, or the command's empty document `empty` (JSON text) when it
 * printed none; when the command failed (`error` not NULL), with
 * "error": error added. */
bool vr_cli_wants_json(int argc, char **argv);
void vr_cli_json_out(FILE *out, const char *doc, size_t len,
    const char *error, const char *empty);

/* Where a setting came from, lowest precedence first. */
enum vr_origin {
	VR_ORIGIN_DEFAULT,  /* built in */
	VR_ORIGIN_CONTEXT,  /* the context in force (config.h) */
	VR_ORIGIN_ENV,      /* VMRECON_* */
	VR_ORIGIN_FLAG,     /* the command line */
};

/* The settings a context may hold (config.h), and the context itself. */
enum vr_setting {
	VR_SET_CONTEXT,
	VR_SET_BACKEND,
	VR_SET_STATE_DIR,
	VR_SET_BACKEND_TIMEOUT,
	VR_SET_HOSTNAME,
	VR_SET__COUNT
};

struct vr_config;
struct vr_context;

/* Options most commands take, with their values once settled. */
struct vr_cli_common {
	const char *context;   /* --context NAME, or VMRECON_CONTEXT, or the
	                        * config's currentContext; NULL: none */
	const char *backend;   /* --backend KIND[:TARGET], default "sim" */
	int backend_timeout_ms; /* --backend-timeout; 0: the backend's */
	char *state_dir;       /* --state-dir, default vr_statedir_default() */
	const char *hostname;  /* --hostname (watch); NULL: gethostname */
	enum vr_output output; /* -o text|json */
	bool color;            /* --color, or auto: stdout is a TTY and
	                        * NO_COLOR is unset */
	bool read_only;        /* diff, status, get: write nothing */
	/* filled by vr_cli_settle */
	enum vr_origin origin[VR_SET__COUNT];
	const char *from[VR_SET__COUNT]; /* the variable or flag it came from */
	bool implicit;         /* no backend given anywhere: the built-in
	                        * sim, which commands say loudly */
	char *config_path;     /* the config file looked at */
	struct vr_config *config; /* loaded, or NULL when there is none */
	const struct vr_context *ctx; /* in force, or NULL */
};

void vr_cli_common_init(struct vr_cli_common *c);
void vr_cli_common_clear(struct vr_cli_common *c);
struct vr_opts;
/* --context, --backend, --backend-timeout, --state-dir, --hostname,
 * --color and -o text|json (options.h): 1 handled, 0 not one of these. */
int vr_cli_common_option(struct vr_cli_common *c, const struct vr_opts *p);

/*
 * After the options: fill each setting the command line left unset, from
 * the environment (VMRECON_CONTEXT, VMRECON_BACKEND, VMRECON_STATE_DIR,
 * VMRECON_BACKEND_TIMEOUT, VMRECON_HOSTNAME), then the context in force
 * (--context, else VMRECON_CONTEXT, else the config's currentContext),
 * then the built-in default, recording where each came from.  A context
 * without a stateDir gets one of its own, STATE_DIR/contexts/NAME, so
 * that contexts never share records or a lock.  Prints the problem (a
 * bad config file as FILE:LINE:COL) and returns -1, or 0.
 */
int vr_cli_settle(struct vr_cli_common *c);

/* The origin of setting `s` in words: "flag --backend", "environment
 * VMRECON_BACKEND", "context edge01 in FILE", "built-in default". */
char *vr_cli_origin(const struct vr_cli_common *c, enum vr_setting s);

/* Open the backend named by c->backend with c->state_dir and the backend
 * settings (vr_backend_options) the options gave.  When the backend is
 * the implicit sim, say so on stderr, naming its file, and mark it
 * (vr_backend_set_implicit) for the JSON output. */
int vr_cli_backend_open(struct vr_backend **out,
    const struct vr_cli_common *c);

/* diff and apply: parse their options, load -f, open the backend (and
 * for apply the locked state dir), run one reconcile pass.  Exit code. */
int vr_cli_reconcile(int argc, char **argv, bool apply);

#endif
