/*
 * options.h - every command-line option of every command, in one typed
 * table (options.c), as curl's tool_getparam.c keeps its options as data.
 * From the table come each command's getopt_long arrays, the typed and
 * bounded parse of each argument (units.h), the required-option check,
 * `vmrecon CMD --help` and the usage line.  The man page (vmrecon.1) and
 * the bash completion (examples/vmrecon.bash-completion) are written by
 * hand and compared with the table by tests/e2e/t0120-options.sh, which
 * fails on any difference (git's t0450 does this for -h and SYNOPSIS).
 *
 * Why getopt_long underneath rather than a parser of our own: it keeps
 * exactly what users and scripts have relied on (--opt=value, -fFILE,
 * unambiguous prefixes such as --rep, operands mixed with options, `--`),
 * and the table generates its arrays, so it is no longer a copy.
 *
 * Adding an option (the recipe):
 *   1. add its id to enum vr_opt_id below (alphabetical, like the table);
 *   2. add one row to vr_options[] in options.c, kept sorted by long name,
 *      with designated initializers (what it leaves out is 0 or NULL):
 *      .name, .letter (a short option), .arg (the argument type), .meta
 *      (how the argument shows; for VR_ARG_ENUM the values,
 *      '|'-separated), .def (the default as text), .cmds (the commands
 *      that take it, VR_C_*), .required (those that require it), .id,
 *      .min and .max (duration: ms; size: bytes; count), .help (one line);
 *   3. handle the id in the command's switch (reconciler/cli/cmd_*.c, or
 *      vr_ops_option() in ops.c, or vr_cli_common_option() in cli.c);
 *      the argument arrives parsed: p.arg (text), p.value (a duration in
 *      ms, a size in bytes, a count, or an enum's index);
 *   4. document it in vmrecon.1: in the SYNOPSIS of each command that
 *      takes it and one `.It Fl` item under OPTIONS (with its default);
 *   5. offer it in examples/vmrecon.bash-completion (in the option list of
 *      each command, and its value completion: files, a directory, the
 *      enum's values, or nothing);
 *   6. mention it in README.md where its feature is described, and test
 *      it; `tests/run t0120-options` shows what steps 4-5 missed.
 *
 * A new argument type needs a parser in units.h (with its grammar, unit
 * tests in tests/unit/test_units.c and a paragraph in vmrecon.1) and a
 * case in opt_value() in options.c.
 */
#ifndef VR_OPTIONS_H
#define VR_OPTIONS_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/* What an option's argument is: how it is parsed and completed. */
enum vr_arg {
	VR_ARG_NONE,     /* a flag */
	VR_ARG_STRING,   /* checked by the command (a ref, owner/name) */
	VR_ARG_PATH,     /* a file (completion: files) */
	VR_ARG_DIR,      /* a directory (completion: directories) */
	VR_ARG_URL,      /* a URL or path checked by the command */
	VR_ARG_ENUM,     /* one of `meta`'s '|'-separated words */
	VR_ARG_DURATION, /* vr_parse_duration, value in ms */
	VR_ARG_SIZE,     /* vr_parse_size, value in bytes */
	VR_ARG_COUNT,    /* vr_parse_count */
};

/* The commands, as bits of vr_option.cmds and .required. */
enum {
	VR_C_VALIDATE = 1u << 0,
	VR_C_DIFF = 1u << 1,
	VR_C_APPLY = 1u << 2,
	VR_C_GET = 1u << 3,
	VR_C_STATUS = 1u << 4,
	VR_C_WATCH = 1u << 5,
	VR_C_VERSION = 1u << 6,
	VR_C_CONFIG = 1u << 7,
};

/* What the parser returns for each option: above any short letter. */
enum vr_opt_id {
	VR_OPT_ALLOW_REWRITE = 0x100,
	VR_OPT_BACKEND,
	VR_OPT_BACKEND_TIMEOUT,
	VR_OPT_CA_FILE,
	VR_OPT_COLOR,
	VR_OPT_COMMIT_STATUS,
	VR_OPT_COMMIT_STATUS_REPO,
	VR_OPT_COMMIT_STATUS_TOKEN_FILE,
	VR_OPT_COMMIT_STATUS_URL,
	VR_OPT_CONTEXT,
	VR_OPT_FILE,
	VR_OPT_HELP,
	VR_OPT_HOSTNAME,
	VR_OPT_HTTP_TIMEOUT,
	VR_OPT_INTERVAL,
	VR_OPT_KNOWN_HOSTS,
	VR_OPT_MAX_BACKOFF,
	VR_OPT_METRICS_FILE,
	VR_OPT_NO_SELF_HEAL,
	VR_OPT_NOTIFY,
	VR_OPT_NOTIFY_HMAC_KEY,
	VR_OPT_ONCE,
	VR_OPT_OUT,
	VR_OPT_OUTPUT,
	VR_OPT_PATH,
	VR_OPT_PLAN,
	VR_OPT_RECORD,
	VR_OPT_RECURSIVE,
	VR_OPT_REF,
	VR_OPT_REPO,
	VR_OPT_RESTART_NOW,
	VR_OPT_SSH_KEY,
	VR_OPT_STATE_DIR,
	VR_OPT_TIMEOUT,
	VR_OPT_TOKEN_FILE,
	VR_OPT_VERBOSE,
	VR_OPT_VERIFY_SIGNATURES,
};

struct vr_option {
	const char *name;   /* long name without "--"; the table's sort key */
	char letter;        /* short option, or 0 */
	enum vr_arg arg;
	const char *meta;   /* the argument in --help and usage; the values
	                     * of an enum, '|'-separated */
	const char *def;    /* the default as --help shows it, or NULL */
	unsigned cmds;      /* VR_C_* of the commands that take it */
	unsigned required;  /* VR_C_* of the commands that require it */
	int id;             /* enum vr_opt_id */
	int64_t min, max;   /* bounds of a duration (ms), size, count */
	const char *help;   /* one line, lower case, no full stop */
};

/* The table, sorted by name (an option may have a row per group of
 * commands, like -o), ended by a NULL name. */
extern const struct vr_option vr_options[];

/* The most rows one command may have (its getopt_long array). */
#define VR_OPTS_MAX 40

/* The parse of one command's argv. */
struct vr_opts {
	const char *cmd;      /* "diff" */
	unsigned bit;         /* its VR_C_* */
	int argc;
	char **argv;
	struct option longopts[VR_OPTS_MAX + 1];
	char shortopts[2 * VR_OPTS_MAX + 3]; /* ":" first: see vr_opts_next */
	const struct vr_option *rows[VR_OPTS_MAX];
	size_t nrows;
	uint64_t seen;        /* bit i: rows[i] was given */
	/* the option just returned by vr_opts_next */
	const struct vr_option *opt;
	const char *arg;      /* its argument; NULL for a flag */
	int64_t value;        /* duration ms, size, count; enum: its index */
	int ind;              /* after VR_OPTS_END: the first operand */
};

enum {
	VR_OPTS_END = 0,     /* no more options; operands from p->ind */
	VR_OPTS_ERROR = -1,  /* a message and the usage are on stderr */
	VR_OPTS_HELP = -2,   /* --help was printed on stdout */
};

/* Start parsing argv (argv[0] is the command name, a VR_C_* command). */
void vr_opts_init(struct vr_opts *p, const char *cmd, int argc,
    char **argv);

/* The next option's id (> 0), its argument parsed and bounded; or one of
 * VR_OPTS_*.  At the end it checks the required options and the number of
 * operands (vr_cmd's min_args/max_args). */
int vr_opts_next(struct vr_opts *p);

/* The exit code for a negative vr_opts_next: 0 for --help, else 1. */
#define vr_opts_exit(rc) ((rc) == VR_OPTS_HELP ? 0 : 1)

/* Command cmd's row of option `id`, or NULL if cmd does not take it. */
const struct vr_option *vr_opts_find(const char *cmd, int id);

/* The row's default parsed as vr_opts_next would parse it (a duration in
 * ms, a size, a count, an enum's index); 0 when it has none.  Commands
 * start from these, so the default --help shows is the one in force. */
int64_t vr_opts_default(const char *cmd, int id);

/* "usage: vmrecon CMD ..." built from the table, wrapped. */
void vr_opts_usage(FILE *fp, const char *cmd);

/* The usage, the command's summary and each option with its default. */
void vr_opts_help(FILE *fp, const char *cmd);

/* The VR_C_* bit of a command name; 0 if it takes no options. */
unsigned vr_opts_cmd_bit(const char *cmd);

/* Each command that takes options, as name and bit, NULL-ended. */
struct vr_opts_cmd {
	const char *name;
	unsigned bit;
};
extern const struct vr_opts_cmd vr_opts_cmds[];

#endif
