/* options.c - the option table, the parse driven by it, and the usage and
 * --help printed from it.  How to add an option: options.h. */
#include <stdlib.h>
#include <string.h>

#include "../../backends/backend.h"
#include "../../schema/util/error.h"
#include "../../schema/suggest.h"
#include "cmd.h"
#include "options.h"
#include "../../schema/util/units.h"

#define C_REPORT (VR_C_DIFF | VR_C_APPLY | VR_C_WATCH)
#define C_HTTP (VR_C_VALIDATE | VR_C_DIFF | VR_C_APPLY)
/* the settings a context holds (config.h), and `config view` shows */
#define C_BACKEND (VR_C_DIFF | VR_C_APPLY | VR_C_GET | VR_C_WATCH | \
	VR_C_CONFIG)
#define SEC 1000LL
#define DMAX VR_DURATION_MAX_MS

const struct vr_option vr_options[] = {
	{ .name = "allow-rewrite", .arg = VR_ARG_NONE, .cmds = VR_C_WATCH,
	  .id = VR_OPT_ALLOW_REWRITE,
	  .help = "accept history that is not a fast-forward of the last "
	  "applied commit" },
	{ .name = "backend", .letter = 'b', .arg = VR_ARG_STRING,
	  .meta = "KIND[:TARGET]", .def = "sim",
	  .cmds = C_BACKEND | VR_C_VALIDATE, .id = VR_OPT_BACKEND,
	  /* and the registry's names: backend_help() */
	  .help = "the backend" },
	{ .name = "backend-timeout", .arg = VR_ARG_DURATION,
	  .meta = "DURATION",
	  .cmds = C_BACKEND,
	  .id = VR_OPT_BACKEND_TIMEOUT, .min = 100, .max = 24 * 3600 * SEC,
	  .help = "the longest one backend call or wait may take; unset, "
	  "eflow allows 120s, hyperv 600s, qemu and libvirt 30s" },
	{ .name = "ca-file", .arg = VR_ARG_PATH, .meta = "FILE",
	  .cmds = C_HTTP | VR_C_WATCH, .id = VR_OPT_CA_FILE,
	  .help = "trust the CAs in this PEM file instead of the system's" },
	{ .name = "color", .arg = VR_ARG_ENUM, .meta = "auto|always|never",
	  .def = "auto", .cmds = VR_C_DIFF | VR_C_APPLY, .id = VR_OPT_COLOR,
	  .help = "colour the plan: auto (on a terminal, without NO_COLOR or "
	  "TERM=dumb), always or never" },
	{ .name = "commit-status", .arg = VR_ARG_ENUM,
	  .meta = "github|gitea|gitlab", .cmds = VR_C_WATCH,
	  .id = VR_OPT_COMMIT_STATUS,
	  .help = "post each applied commit's state to this Git server's "
	  "API" },
	{ .name = "commit-status-repo", .arg = VR_ARG_STRING,
	  .meta = "OWNER/NAME", .cmds = VR_C_WATCH,
	  .id = VR_OPT_COMMIT_STATUS_REPO,
	  .help = "the repository on that server, if --repo does not tell" },
	{ .name = "commit-status-token-file", .arg = VR_ARG_PATH,
	  .meta = "FILE", .cmds = VR_C_WATCH,
	  .id = VR_OPT_COMMIT_STATUS_TOKEN_FILE,
	  .help = "the API token for --commit-status" },
	{ .name = "commit-status-url", .arg = VR_ARG_URL, .meta = "URL",
	  .cmds = VR_C_WATCH, .id = VR_OPT_COMMIT_STATUS_URL,
	  .help = "the API base URL, if --repo does not tell" },
	{ .name = "context", .arg = VR_ARG_STRING, .meta = "NAME",
	  .cmds = VR_C_ALL, .id = VR_OPT_CONTEXT,
	  .help = "use this context of the config file instead of its "
	  "currentContext" },
	{ .name = "file", .letter = 'f', .arg = VR_ARG_PATH,
	  .meta = "FILE|DIR|URL",
	  .cmds = VR_C_VALIDATE | VR_C_DIFF | VR_C_APPLY,
	  .required = VR_C_DIFF, .id = VR_OPT_FILE,
	  .help = "the desired state: a file, a directory of .yaml/.yml/.json "
	  "files, - for stdin, or an https URL; repeatable" },
	{ .name = "help", .letter = 'h', .arg = VR_ARG_NONE, .cmds = VR_C_ALL,
	  .id = VR_OPT_HELP, .help = "print this help and exit" },
	{ .name = "hostname", .arg = VR_ARG_STRING, .meta = "NAME",
	  .cmds = VR_C_WATCH | VR_C_CONFIG, .id = VR_OPT_HOSTNAME,
	  .help = "this host's name for {hostname}, statuses and metric "
	  "labels" },
	{ .name = "http-timeout", .arg = VR_ARG_DURATION, .meta = "DURATION",
	  .def = "30s", .cmds = C_HTTP, .id = VR_OPT_HTTP_TIMEOUT,
	  .min = 1 * SEC, .max = 3600 * SEC,
	  .help = "the longest an https transfer may take" },
	{ .name = "interval", .arg = VR_ARG_DURATION, .meta = "DURATION",
	  .def = "1m", .cmds = VR_C_WATCH, .id = VR_OPT_INTERVAL, .min = 200,
	  .max = DMAX, .help = "how often to fetch and to check for drift" },
	{ .name = "known-hosts", .arg = VR_ARG_PATH, .meta = "FILE",
	  .cmds = VR_C_WATCH, .id = VR_OPT_KNOWN_HOSTS,
	  .help = "the known hosts of an ssh repository" },
	{ .name = "max-backoff", .arg = VR_ARG_DURATION, .meta = "DURATION",
	  .def = "5m", .cmds = VR_C_WATCH, .id = VR_OPT_MAX_BACKOFF,
	  .min = 200, .max = DMAX,
	  .help = "the longest wait between retries after errors" },
	{ .name = "metrics-file", .arg = VR_ARG_PATH, .meta = "PATH",
	  .cmds = C_REPORT, .id = VR_OPT_METRICS_FILE,
	  .help = "write Prometheus metrics to this file after each pass" },
	{ .name = "no-self-heal", .arg = VR_ARG_NONE, .cmds = VR_C_WATCH,
	  .id = VR_OPT_NO_SELF_HEAL,
	  .help = "report drift but do not correct it" },
	{ .name = "notify", .arg = VR_ARG_URL, .meta = "URL", .cmds = C_REPORT,
	  .id = VR_OPT_NOTIFY, .help = "POST an event to this https webhook "
	  "for each VM that changed, failed or drifted" },
	{ .name = "notify-hmac-key", .arg = VR_ARG_PATH, .meta = "FILE",
	  .cmds = C_REPORT, .id = VR_OPT_NOTIFY_HMAC_KEY,
	  .help = "sign the events with the HMAC-SHA256 key in this file" },
	{ .name = "once", .arg = VR_ARG_NONE, .cmds = VR_C_WATCH,
	  .id = VR_OPT_ONCE, .help = "fetch and reconcile once, then exit" },
	{ .name = "out", .arg = VR_ARG_PATH, .meta = "PLAN", .cmds = VR_C_DIFF,
	  .id = VR_OPT_OUT, .help = "also save the plan (JSON) for apply "
	  "--plan" },
	{ .name = "output", .letter = 'o', .arg = VR_ARG_ENUM,
	  .meta = "yaml|json", .def = "yaml", .cmds = VR_C_GET,
	  .id = VR_OPT_OUTPUT, .help = "output format" },
	{ .name = "output", .letter = 'o', .arg = VR_ARG_ENUM,
	  .meta = "text|json", .def = "text",
	  .cmds = VR_C_DIFF | VR_C_APPLY | VR_C_STATUS | VR_C_CONFIG,
	  .id = VR_OPT_OUTPUT,
	  .help = "output format" },
	{ .name = "path", .arg = VR_ARG_STRING, .meta = "PATH",
	  .cmds = VR_C_WATCH, .required = VR_C_WATCH, .id = VR_OPT_PATH,
	  .help = "this host's file in the repository; {hostname} and "
	  "{machine-id} are replaced" },
	{ .name = "plan", .arg = VR_ARG_PATH, .meta = "PLAN",
	  .cmds = VR_C_APPLY, .id = VR_OPT_PLAN,
	  .help = "apply this saved plan (from diff --out), only if the VMs "
	  "are as it saw them" },
	{ .name = "record", .arg = VR_ARG_NONE, .cmds = VR_C_GET,
	  .id = VR_OPT_RECORD, .help = "also store what is printed as the "
	  "last applied state" },
	{ .name = "recursive", .letter = 'R', .arg = VR_ARG_NONE,
	  .cmds = VR_C_VALIDATE | VR_C_DIFF | VR_C_APPLY,
	  .id = VR_OPT_RECURSIVE,
	  .help = "with -f DIR, the files in its subdirectories too" },
	{ .name = "ref", .arg = VR_ARG_STRING, .meta = "REF", .def = "main",
	  .cmds = VR_C_WATCH, .id = VR_OPT_REF,
	  .help = "what to follow: BRANCH, tag:NAME or commit:SHA" },
	{ .name = "repo", .arg = VR_ARG_URL, .meta = "URL", .cmds = VR_C_WATCH,
	  .required = VR_C_WATCH, .id = VR_OPT_REPO,
	  .help = "the Git repository: https://, ssh://, git://, file://, "
	  "USER@HOST:PATH or a path" },
	{ .name = "restart-now", .arg = VR_ARG_NONE, .cmds = VR_C_APPLY,
	  .id = VR_OPT_RESTART_NOW,
	  .help = "restart outside the spec's restartWindows, this run only" },
	{ .name = "ssh-key", .arg = VR_ARG_PATH, .meta = "KEY",
	  .cmds = VR_C_WATCH, .id = VR_OPT_SSH_KEY,
	  .help = "the private key for an ssh repository (KEY.pub beside "
	  "it)" },
	{ .name = "state-dir", .arg = VR_ARG_DIR, .meta = "DIR",
	  .def = "/var/lib/vmrecon as root, else $XDG_STATE_HOME/vmrecon",
	  .cmds = C_BACKEND | VR_C_STATUS,
	  .id = VR_OPT_STATE_DIR, .help = "the state directory" },
	{ .name = "timeout", .arg = VR_ARG_DURATION, .meta = "DURATION",
	  .def = "60s", .cmds = VR_C_WATCH, .id = VR_OPT_TIMEOUT, .min = 100,
	  .max = DMAX, .help = "the longest one fetch may take" },
	{ .name = "token-file", .arg = VR_ARG_PATH, .meta = "FILE",
	  .cmds = C_HTTP | VR_C_WATCH, .id = VR_OPT_TOKEN_FILE,
	  .help = "the token for https sources and repositories, read from a "
	  "file" },
	{ .name = "verbose", .letter = 'v', .arg = VR_ARG_NONE,
	  .cmds = VR_C_VERSION, .id = VR_OPT_VERBOSE,
	  .help = "also load each module and print its library's version" },
	{ .name = "verify-signatures", .arg = VR_ARG_PATH,
	  .meta = "ALLOWED_SIGNERS", .cmds = VR_C_WATCH,
	  .id = VR_OPT_VERIFY_SIGNATURES,
	  .help = "apply only commits SSH-signed by a key in this file" },
	{ .name = NULL }
};

unsigned
vr_opts_cmd_bit(const char *cmd)
{
	const struct vr_cmd *c = vr_cmd_find(cmd);

	return c ? c->bit : 0;
}

void
vr_opts_init(struct vr_opts *p, const char *cmd, int argc, char **argv)
{
	const struct vr_option *o;
	size_t n = 0, s = 0;

	memset(p, 0, sizeof(*p));
	/* ':' first: a missing argument returns ':', not '?', and getopt
	 * prints nothing (opterr = 0): the messages are ours */
	p->shortopts[s++] = ':';
	p->cmd = cmd;
	p->bit = vr_opts_cmd_bit(cmd);
	p->argc = argc;
	p->argv = argv;
	for (o = vr_options; o->name; o++) {
		if (!(o->cmds & p->bit))
			continue;
		if (n == VR_OPTS_MAX)
			abort(); /* BUG: raise VR_OPTS_MAX */
		p->rows[n] = o;
		p->longopts[n].name = o->name;
		p->longopts[n].has_arg = o->arg == VR_ARG_NONE ? no_argument :
		    required_argument;
		p->longopts[n].val = o->id;
		n++;
		if (o->letter) {
			p->shortopts[s++] = o->letter;
			if (o->arg != VR_ARG_NONE)
				p->shortopts[s++] = ':';
		}
	}
	p->nrows = n;
	optind = 0; /* glibc: start afresh, even after an earlier parse */
	opterr = 0;
}

/* The enum value's index in meta ("text|json"), or -1. */
static int
enum_index(const char *meta, const char *v)
{
	const char *w = meta;
	size_t len = strlen(v);
	int i = 0;

	while (w && *w) {
		const char *bar = strchr(w, '|');
		size_t wl = bar ? (size_t)(bar - w) : strlen(w);

		if (wl == len && strncmp(w, v, len) == 0)
			return i;
		w = bar ? bar + 1 : NULL;
		i++;
	}
	return -1;
}

/* Parse p->arg by p->opt's type into p->value. */
static int
opt_value(struct vr_opts *p)
{
	const struct vr_option *o = p->opt;
	char what[64];
	int i;

	snprintf(what, sizeof(what), "--%s", o->name);
	switch (o->arg) {
	case VR_ARG_NONE:
		return 0;
	case VR_ARG_DURATION:
		return vr_parse_duration(&p->value, p->arg, o->min, o->max,
		    what);
	case VR_ARG_SIZE:
		return vr_parse_size(&p->value, p->arg, o->min, o->max, what);
	case VR_ARG_COUNT:
		return vr_parse_count(&p->value, p->arg, o->min, o->max, what);
	case VR_ARG_ENUM:
		if ((i = enum_index(o->meta, p->arg)) < 0)
			return vr_error_set(VR_EINVALID, "%s must be one of "
			    "%s, not '%s'", what, o->meta, p->arg);
		p->value = i;
		return 0;
	case VR_ARG_STRING: /* their users check them */
	case VR_ARG_PATH:
	case VR_ARG_DIR:
	case VR_ARG_URL:
		if (!p->arg[0])
			return vr_error_set(VR_EINVALID, "%s: empty %s", what,
			    o->meta);
		return 0;
	}
	abort(); /* BUG: a row's type is not an enum vr_arg */
}

const struct vr_option *
vr_opts_find(const char *cmd, int id)
{
	unsigned bit = vr_opts_cmd_bit(cmd);
	const struct vr_option *o;

	for (o = vr_options; o->name; o++)
		if (o->id == id && (o->cmds & bit))
			return o;
	return NULL;
}

int64_t
vr_opts_default(const char *cmd, int id)
{
	struct vr_opts p;

	memset(&p, 0, sizeof(p));
	p.opt = vr_opts_find(cmd, id);
	if (!p.opt || !p.opt->def || p.opt->arg == VR_ARG_NONE)
		return 0;
	p.arg = p.opt->def;
	if (opt_value(&p) < 0)
		abort(); /* BUG: the table's default does not parse */
	return p.value;
}

/* After the last option: required options and the number of operands. */
static int
opts_end(struct vr_opts *p)
{
	const struct vr_cmd *c = vr_cmd_find(p->cmd);
	int n = p->argc - optind, bad = 0;
	size_t i;

	p->ind = optind;
	p->opt = NULL;
	p->arg = NULL;
	/* `apply edge.yaml`: files come with -f, as kubectl takes them, so a
	 * stray word is never taken for one; say how */
	if (c && c->max_args == 0 && n > 0 && vr_opts_find(p->cmd,
	    VR_OPT_FILE)) {
		vr_cli_error("%s takes its files with -f: did you mean "
		    "'vmrecon %s -f %s'?", p->cmd, p->cmd, p->argv[optind]);
		vr_opts_usage(stderr, p->cmd);
		return VR_OPTS_ERROR;
	}
	for (i = 0; i < p->nrows; i++) {
		const struct vr_option *o = p->rows[i];

		if (!(o->required & p->bit) || (p->seen & (1ULL << i)))
			continue;
		if (o->letter)
			vr_cli_error("%s needs -%c %s (--%s)", p->cmd,
			    o->letter, o->meta, o->name);
		else
			vr_cli_error("%s needs --%s %s", p->cmd, o->name,
			    o->meta);
		bad = 1;
	}
	if (!bad && c && n < c->min_args) {
		vr_cli_error("%s needs %s", p->cmd, c->args);
		bad = 1;
	}
	if (!bad && c && c->max_args >= 0 && n > c->max_args) {
		vr_cli_error("unexpected argument '%s'",
		    p->argv[optind + c->max_args]);
		bad = 1;
	}
	if (bad) {
		vr_opts_usage(stderr, p->cmd);
		return VR_OPTS_ERROR;
	}
	return VR_OPTS_END;
}

/* Options users of other tools type, and what vmrecon has instead. */
static const struct { const char *word, *hint; } option_hints[] = {
	{ "dry-run", "'vmrecon diff' shows the plan and changes nothing" },
	{ "plan", "'vmrecon diff' shows the plan and changes nothing" },
	{ "no-color", "use --color never (colour is off anyway when NO_COLOR "
	  "is set, TERM is dumb or the output is not a terminal)" },
	{ "no-colour", "use --color never (colour is off anyway when NO_COLOR "
	  "is set, TERM is dumb or the output is not a terminal)" },
	{ "filename", "-f FILE|DIR" },
	{ "verbose", "VMRECON_QEMU_VERBOSE=1 or VMRECON_LIBVIRT_VERBOSE=1 "
	  "(see vmrecon(1), ENVIRONMENT)" },
};

/* getopt's '?' (unknown or ambiguous) or ':' (no argument): say which
 * option, and what was probably meant (suggest.h): an option of this
 * command, an option of another command, or a hint. */
static void
bad_option(const struct vr_opts *p, int ch)
{
	const char *word = optind > 0 && optind <= p->argc ?
	    p->argv[optind - 1] : "?", *name, *eq, *near;
	const char *known[VR_OPTS_MAX + 1];
	const struct vr_option *o;
	size_t i, len;

	if (ch == ':') {
		for (i = 0; i < p->nrows; i++)
			if (p->rows[i]->id == optopt ||
			    p->rows[i]->letter == optopt)
				break;
		if (i < p->nrows)
			vr_cli_error("--%s needs %s", p->rows[i]->name,
			    p->rows[i]->meta);
		else
			vr_cli_error("%s needs an argument", word);
		return;
	}
	if (optopt && optopt < 0x100) {
		vr_cli_error("%s has no option -%c", p->cmd, optopt);
		return;
	}
	if (strncmp(word, "--", 2) != 0) {
		vr_cli_error("%s has no option '%s'", p->cmd, word);
		return;
	}
	name = word + 2;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	for (i = 0; i < p->nrows; i++)
		known[i] = p->rows[i]->name;
	known[i] = NULL;
	for (i = 0; i < p->nrows; i++)
		if (strlen(known[i]) == len && strncmp(known[i], name, len) ==
		    0) {
			vr_cli_error("--%s takes no argument", known[i]);
			return;
		}
	for (i = 0; i < p->nrows; i++) /* a prefix of two: ambiguous */
		if (strncmp(known[i], name, len) == 0 && strlen(known[i]) > len)
			break;
	if (i < p->nrows && (near = known[i]) && len > 0) {
		vr_cli_error("'--%.*s' is ambiguous for %s: --%s or "
		    "another", (int)len, name, p->cmd, near);
		return;
	}
	for (o = vr_options; o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			break;
	if (o->name) {
		char cmds[128] = "";
		const struct vr_cmd *c;

		for (c = vr_commands; c->name; c++)
			if (o->cmds & c->bit)
				snprintf(cmds + strlen(cmds), sizeof(cmds) -
				    strlen(cmds), "%s%s", cmds[0] ? ", " : "",
				    c->name);
		vr_cli_error("--%.*s is an option of %s, not of %s",
		    (int)len, name, cmds, p->cmd);
		return;
	}
	for (i = 0; i < sizeof(option_hints) / sizeof(option_hints[0]); i++)
		if (strlen(option_hints[i].word) == len &&
		    strncmp(option_hints[i].word, name, len) == 0) {
			vr_cli_error("%s has no option '--%.*s'; %s", p->cmd,
			    (int)len, name, option_hints[i].hint);
			return;
		}
	near = vr_suggest_near(name, len, known);
	if (!near)
		near = vr_suggest_prefix(name, len, known);
	if (near)
		vr_cli_error("%s has no option '--%.*s'; did you mean "
		    "'--%s'?", p->cmd, (int)len, name, near);
	else
		vr_cli_error("%s has no option '--%.*s'", p->cmd, (int)len,
		    name);
}

int
vr_opts_next(struct vr_opts *p)
{
	int ch;
	size_t i;

	ch = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
	if (ch == -1)
		return opts_end(p);
	for (i = 0; i < p->nrows; i++)
		if (p->rows[i]->id == ch || (p->rows[i]->letter &&
		    p->rows[i]->letter == ch))
			break;
	if (i == p->nrows) {
		bad_option(p, ch);
		vr_opts_usage(stderr, p->cmd);
		return VR_OPTS_ERROR;
	}
	p->opt = p->rows[i];
	p->arg = p->opt->arg == VR_ARG_NONE ? NULL : optarg;
	p->value = 0;
	p->seen |= 1ULL << i;
	if (p->opt->id == VR_OPT_HELP) {
		vr_opts_help(stdout, p->cmd);
		return VR_OPTS_HELP;
	}
	if (opt_value(p) < 0) {
		vr_cli_error("%s", vr_error_msg());
		return VR_OPTS_ERROR;
	}
	return p->opt->id;
}

/* --- usage and help -------------------------------------------------- */

/* Print `word` at column *col, wrapping at 79 to column `indent`. */
static void
put_word(FILE *fp, const char *word, size_t *col, size_t indent)
{
	size_t len = strlen(word);

	if (*col > indent && *col + 1 + len > 79) {
		fprintf(fp, "\n%*s", (int)indent, "");
		*col = indent;
	} else if (*col > indent) {
		fputc(' ', fp);
		(*col)++;
	}
	fputs(word, fp);
	*col += len;
}

/* The option as the usage shows it: "-f FILE|URL", "--once". */
static void
opt_form(char *buf, size_t size, const struct vr_option *o, bool optional)
{
	char name[64];

	if (o->letter)
		snprintf(name, sizeof(name), "-%c", o->letter);
	else
		snprintf(name, sizeof(name), "--%s", o->name);
	snprintf(buf, size, "%s%s%s%s%s", optional ? "[" : "", name,
	    o->meta ? " " : "", o->meta ? o->meta : "", optional ? "]" : "");
}

void
vr_opts_usage(FILE *fp, const char *cmd)
{
	const struct vr_cmd *c = vr_cmd_find(cmd);
	unsigned bit = vr_opts_cmd_bit(cmd);
	const struct vr_option *o;
	size_t col, indent = strlen("usage: vmrecon ");
	char buf[128];
	int pass;

	fprintf(fp, "usage: vmrecon %s", cmd);
	col = indent + strlen(cmd);
	/* required options first, then the others, each in table order */
	for (pass = 0; pass < 2; pass++)
		for (o = vr_options; o->name; o++) {
			if (!(o->cmds & bit) || o->id == VR_OPT_HELP ||
			    !!(o->required & bit) != (pass == 0))
				continue;
			opt_form(buf, sizeof(buf), o, pass == 1);
			put_word(fp, buf, &col, indent);
		}
	if (c && c->args)
		put_word(fp, c->args, &col, indent);
	fputc('\n', fp);
}

/* Print `text` from column *col, wrapped at 79 to column `indent`. */
static void
put_text(FILE *fp, const char *text, size_t *col, size_t indent)
{
	char *copy = vr_strdup(text), *save = NULL, *w;

	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ",
	    &save))
		put_word(fp, w, col, indent);
	free(copy);
}

/* --backend's help: the row's, then every backend of the registry
 * (backends/backend.h), "sim, eflow, qemu or libvirt". */
static char *
backend_help(const char *help)
{
	const struct vr_backend_entry *e, *r = vr_backend_registry();
	char *s = vr_asprintf("%s:", help), *t;

	for (e = r; e->name; e++) {
		t = vr_asprintf("%s%s %s", s, e == r ? "" : e[1].name ? "," :
		    " or", e->name);
		free(s);
		s = t;
	}
	t = vr_asprintf("%s, and its TARGET as below", s);
	free(s);
	return t;
}

/* What TARGET means for each backend of the registry, for the commands
 * that take --backend. */
static void
backends_help(FILE *fp)
{
	const struct vr_backend_entry *e;
	const size_t indent = 12;

	fputs("\nbackends, and what TARGET is for each:\n", fp);
	for (e = vr_backend_registry(); e->name; e++) {
		char *text = vr_asprintf("%s%s%s", e->target_help,
		    e->not_built ? "; " : "", e->not_built ? e->not_built :
		    "");
		size_t col = indent;

		fprintf(fp, "  %-*s", (int)(indent - 2), e->name);
		put_text(fp, text, &col, indent);
		fputc('\n', fp);
		free(text);
	}
}

void
vr_opts_help(FILE *fp, const char *cmd)
{
	const struct vr_cmd *c = vr_cmd_find(cmd);
	unsigned bit = vr_opts_cmd_bit(cmd);
	const struct vr_option *o;
	const size_t indent = 32;
	bool backends = false;

	vr_opts_usage(fp, cmd);
	if (c)
		fprintf(fp, "\n%s\n", c->summary);
	fputs("\noptions:\n", fp);
	for (o = vr_options; o->name; o++) {
		char left[128], lo[32], hi[32], *tail = NULL;
		size_t col;

		if (!(o->cmds & bit))
			continue;
		snprintf(left, sizeof(left), "  %c%c%s--%s%s%s",
		    o->letter ? '-' : ' ', o->letter ? o->letter : ' ',
		    o->letter ? ", " : "  ", o->name, o->meta ? " " : "",
		    o->meta ? o->meta : "");
		fputs(left, fp);
		if (strlen(left) + 2 > indent)
			fprintf(fp, "\n%*s", (int)indent, "");
		else
			fprintf(fp, "%*s", (int)(indent - strlen(left)), "");
		col = indent;
		if (o->id == VR_OPT_BACKEND) {
			char *help = backend_help(o->help);

			put_text(fp, help, &col, indent);
			free(help);
			backends = true;
		} else {
			put_text(fp, o->help, &col, indent);
		}
		if (o->arg == VR_ARG_DURATION)
			tail = vr_asprintf("; range %s to %s",
			    vr_duration_format(lo, sizeof(lo), o->min),
			    vr_duration_format(hi, sizeof(hi), o->max));
		else if (o->arg == VR_ARG_SIZE || o->arg == VR_ARG_COUNT)
			tail = vr_asprintf("; range %lld to %lld",
			    (long long)o->min, (long long)o->max);
		if (o->required & bit) {
			put_word(fp, "(required)", &col, indent);
		} else if (o->def || tail) {
			char *t = vr_asprintf("(%s%s%s)", o->def ? "default: " :
			    "", o->def ? o->def : "", tail ? tail +
			    (o->def ? 0 : 2) : "");

			put_text(fp, t, &col, indent);
			free(t);
		}
		free(tail);
		fputc('\n', fp);
	}
	if (backends)
		backends_help(fp);
}
