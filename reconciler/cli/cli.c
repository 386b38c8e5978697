/* cli.c - what the commands share: errors, common options, where each
 * setting comes from (flag, environment, context, default), the backend,
 * the JSON document of a command that failed. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../schema/suggest.h"
#include "../../schema/util/error.h"
#include "../../schema/util/units.h"
#include "cmd.h"
#include "config.h"
#include "options.h"

/* Each setting's variable and flag. */
static const struct {
	const char *env, *flag;
} settings[VR_SET__COUNT] = {
	[VR_SET_CONTEXT] = { "VMRECON_CONTEXT", "--context" },
	[VR_SET_BACKEND] = { "VMRECON_BACKEND", "--backend" },
	[VR_SET_STATE_DIR] = { "VMRECON_STATE_DIR", "--state-dir" },
	[VR_SET_BACKEND_TIMEOUT] = { "VMRECON_BACKEND_TIMEOUT",
	    "--backend-timeout" },
	[VR_SET_HOSTNAME] = { "VMRECON_HOSTNAME", "--hostname" },
};
static char last_error[2048];

void
vr_cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	/* the whole message on stderr, however long */
	fputs("vmrecon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *
vr_cli_last_error(void)
{
	return last_error;
}

bool
vr_cli_wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] :
		    "";

		if (strcmp(a, "-ojson") == 0 || strcmp(a, "--output=json") ==
		    0 || ((strcmp(a, "-o") == 0 || strcmp(a, "--output") ==
		    0) && strcmp(next, "json") == 0))
			return true;
	}
	return false;
}

/* `s` as a JSON string: bytes that are not UTF-8 become '?'. */
static json_t *
json_text(const char *s)
{
	size_t len = strlen(s), i, n = 0, w;
	json_t *v = json_string(s);
	char *t;

	if (v)
		return v;
	t = vr_malloc(len + 1);
	for (i = 0; i < len; i += w) {
		if (vr_utf8_next((const unsigned char *)s + i, len - i, &w) ==
		    0xfffd && w == 1) {
			t[n++] = '?';
		} else {
			memcpy(t + n, s + i, w);
			n += w;
		}
	}
	t[n] = '\0';
	v = json_string(t);
	free(t);
	return v ? v : json_string("(a message that is not UTF-8)");
}

void
vr_cli_json_out(FILE *out, const char *doc, size_t len, const char *error,
    const char *empty)
{
	json_t *d;

	if (len && !error) {
		fwrite(doc, 1, len, out);
		return;
	}
	d = len ? json_loadb(doc, len, 0, NULL) : NULL;
	if (!json_is_object(d)) {
		json_decref(d);
		d = json_loads(empty, 0, NULL);
	}
	if (!d)
		return;
	if (error && !json_object_get(d, "error"))
		json_object_set_new(d, "error", json_text(error[0] ? error :
		    "failed (see the messages on stderr)"));
	json_dumpf(d, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(d);
}

void
vr_cli_common_init(struct vr_cli_common *c)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	memset(c, 0, sizeof(*c));
	c->backend = "sim";
	c->output = VR_OUTPUT_TEXT;
	/* no-color.org's NO_COLOR, and a terminal that says it has none */
	c->color = isatty(STDOUT_FILENO) && !(nc && nc[0]) &&
	    !(term && strcmp(term, "dumb") == 0);
}

void
vr_cli_common_clear(struct vr_cli_common *c)
{
	free(c->state_dir);
	c->state_dir = NULL;
	free(c->config_path);
	c->config_path = NULL;
	vr_config_free(c->config);
	c->config = NULL;
	c->ctx = NULL;
}

int
vr_cli_common_option(struct vr_cli_common *c, const struct vr_opts *p)
{
	enum vr_setting s;

	switch (p->opt->id) {
	case VR_OPT_CONTEXT:
		c->context = p->arg;
		s = VR_SET_CONTEXT;
		break;
	case VR_OPT_BACKEND:
		c->backend = p->arg;
		s = VR_SET_BACKEND;
		break;
	case VR_OPT_BACKEND_TIMEOUT: /* ms, bounded by the table */
		c->backend_timeout_ms = (int)p->value;
		s = VR_SET_BACKEND_TIMEOUT;
		break;
	case VR_OPT_STATE_DIR:
		free(c->state_dir);
		c->state_dir = vr_strdup(p->arg);
		s = VR_SET_STATE_DIR;
		break;
	case VR_OPT_HOSTNAME:
		c->hostname = p->arg;
		s = VR_SET_HOSTNAME;
		break;
	case VR_OPT_COLOR: /* auto|always|never: auto is init's guess */
		if (p->value > 0)
			c->color = p->value == 1;
		return 1;
	case VR_OPT_OUTPUT: /* the text|json row; get has its own */
		c->output = strcmp(p->arg, "json") == 0 ? VR_OUTPUT_JSON :
		    VR_OUTPUT_TEXT;
		return 1;
	default:
		return 0;
	}
	c->origin[s] = VR_ORIGIN_FLAG;
	c->from[s] = settings[s].flag;
	return 1;
}

/* The environment's value of setting s, if it has one and no flag gave
 * it; records the origin. */
static const char *
from_env(struct vr_cli_common *c, enum vr_setting s)
{
	const char *v = getenv(settings[s].env);

	if (c->origin[s] == VR_ORIGIN_FLAG || !v || !v[0])
		return NULL;
	c->origin[s] = VR_ORIGIN_ENV;
	c->from[s] = settings[s].env;
	return v;
}

/* Set s from the context when neither flag nor environment did. */
static bool
from_ctx(struct vr_cli_common *c, enum vr_setting s, const void *have)
{
	if (c->origin[s] != VR_ORIGIN_DEFAULT || !c->ctx || !have)
		return false;
	c->origin[s] = VR_ORIGIN_CONTEXT;
	c->from[s] = c->ctx->name;
	return true;
}

/* Load the config file and find the context in force. */
static int
settle_context(struct vr_cli_common *c)
{
	struct vr_diags d = VR_DIAGS_INIT;
	bool named;
	char *names;
	int rc;

	c->config_path = vr_config_path((unsigned)geteuid(), &named);
	rc = strcmp(c->config_path, VR_CONFIG_NONE) == 0 ? VR_ENOTFOUND :
	    vr_config_load(&c->config, &d, c->config_path);
	if (rc < 0 && d.n) {
		vr_diags_print(&d, stderr);
		vr_diags_free(&d);
		return -1;
	}
	if (rc == VR_ENOTFOUND && named &&
	    strcmp(c->config_path, VR_CONFIG_NONE) != 0) {
		vr_cli_error("VMRECON_CONFIG names %s, which does not exist",
		    c->config_path);
		return -1;
	}
	if (rc < 0 && rc != VR_ENOTFOUND) {
		vr_cli_error("%s", vr_error_msg());
		return -1;
	}
	vr_error_clear();
	if (!c->context && (c->context = from_env(c, VR_SET_CONTEXT)) == NULL &&
	    c->config && c->config->current) {
		c->context = c->config->current;
		c->origin[VR_SET_CONTEXT] = VR_ORIGIN_CONTEXT;
		c->from[VR_SET_CONTEXT] = "currentContext";
	}
	if (!c->context)
		return 0;
	if ((c->ctx = vr_config_find(c->config, c->context)))
		return 0;
	if (!c->config) {
		vr_cli_error("no context '%s': there is no config file (%s)",
		    c->context, c->config_path);
		return -1;
	}
	names = vr_config_names(c->config);
	vr_cli_error("no context '%s' in %s (it has: %s)", c->context,
	    c->config_path, names[0] ? names : "none");
	free(names);
	return -1;
}

int
vr_cli_settle(struct vr_cli_common *c)
{
	const struct vr_option *o = vr_opts_find("diff", VR_OPT_BACKEND_TIMEOUT);
	const char *v, *ms;
	char *def;
	int64_t t;

	if (settle_context(c) < 0)
		return -1;
	if ((v = from_env(c, VR_SET_BACKEND)))
		c->backend = v;
	else if (from_ctx(c, VR_SET_BACKEND, c->ctx ? c->ctx->backend : NULL))
		c->backend = c->ctx->backend;
	c->implicit = c->origin[VR_SET_BACKEND] == VR_ORIGIN_DEFAULT;
	if ((v = from_env(c, VR_SET_BACKEND_TIMEOUT))) {
		if (vr_parse_duration(&t, v, o->min, o->max,
		    settings[VR_SET_BACKEND_TIMEOUT].env) < 0) {
			vr_cli_error("%s", vr_error_msg());
			return -1;
		}
		c->backend_timeout_ms = (int)t;
	} else if (c->origin[VR_SET_BACKEND_TIMEOUT] == VR_ORIGIN_DEFAULT &&
	    strncmp(c->backend, "eflow", 5) == 0 && (c->backend[5] == '\0' ||
	    c->backend[5] == ':') && (ms = getenv("VMRECON_EFLOW_TIMEOUT_MS")) &&
	    ms[0]) {
		/* eflow's own variable is an environment setting too: it
		 * outranks a context; the driver reads it */
		c->origin[VR_SET_BACKEND_TIMEOUT] = VR_ORIGIN_ENV;
		c->from[VR_SET_BACKEND_TIMEOUT] = "VMRECON_EFLOW_TIMEOUT_MS";
	} else if (from_ctx(c, VR_SET_BACKEND_TIMEOUT, c->ctx &&
	    c->ctx->backend_timeout_ms ? c->ctx : NULL)) {
		c->backend_timeout_ms = (int)c->ctx->backend_timeout_ms;
	}
	if ((v = from_env(c, VR_SET_STATE_DIR))) {
		c->state_dir = vr_strdup(v);
	} else if (from_ctx(c, VR_SET_STATE_DIR, c->ctx ? c->ctx->state_dir :
	    NULL)) {
		c->state_dir = vr_strdup(c->ctx->state_dir);
	} else if (!c->state_dir && c->ctx) {
		/* a context's own records and lock, never another's */
		def = vr_statedir_default();
		c->state_dir = vr_asprintf("%s/contexts/%s", def,
		    c->ctx->name);
		free(def);
	} else if (!c->state_dir) {
		c->state_dir = vr_statedir_default();
	}
	if ((v = from_env(c, VR_SET_HOSTNAME)))
		c->hostname = v;
	else if (from_ctx(c, VR_SET_HOSTNAME, c->ctx ? c->ctx->hostname :
	    NULL))
		c->hostname = c->ctx->hostname;
	return 0;
}

char *
vr_cli_origin(const struct vr_cli_common *c, enum vr_setting s)
{
	switch (c->origin[s]) {
	case VR_ORIGIN_FLAG:
		return vr_asprintf("flag %s", c->from[s]);
	case VR_ORIGIN_ENV:
		return vr_asprintf("environment %s", c->from[s]);
	case VR_ORIGIN_CONTEXT:
		if (s == VR_SET_CONTEXT)
			return vr_asprintf("currentContext in %s",
			    c->config_path);
		return vr_asprintf("context %s in %s", c->from[s],
		    c->config_path);
	case VR_ORIGIN_DEFAULT:
		if (s == VR_SET_STATE_DIR && c->ctx)
			return vr_asprintf("built-in default for context %s",
			    c->ctx->name);
		return vr_strdup("built-in default");
	}
	return vr_strdup("?");
}

int
vr_cli_backend_open(struct vr_backend **out, const struct vr_cli_common *c)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	char *file;
	int rc;

	o.state_dir = c->state_dir;
	o.timeout_ms = c->backend_timeout_ms;
	o.progress = isatty(STDERR_FILENO);
	o.read_only = c->read_only;
	if ((rc = vr_backend_open(out, c->backend, &o)) < 0 || !c->implicit)
		return rc;
	/* the loud default: a user who forgot -b must not believe a real
	 * VM was observed or changed */
	file = vr_asprintf("%s/sim.json", c->state_dir);
	vr_backend_set_implicit(*out, file);
	fprintf(stderr, "vmrecon: note: no backend given (--backend, "
	    "VMRECON_BACKEND or a context): this is the simulated host in "
	    "%s, not a real VM\n", file);
	free(file);
	return 0;
}
