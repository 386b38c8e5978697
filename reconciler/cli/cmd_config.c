/* cmd_config.c - `vmrecon config`: the contexts of the config file, as
 * kubectl's `config get-contexts / current-context / use-context`, and
 * `config view`: every setting a command would use, and where it came
 * from (flag, environment, context, built-in default).  The file: config.h;
 * the precedence: vr_cli_settle in cli.c. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/suggest.h"
#include "../../schema/util/error.h"
#include "../../schema/util/units.h"
#include "cmd.h"
#include "config.h"
#include "options.h"

static const char *const subcommands[] = {
	"get-contexts", "current-context", "use-context", "view", NULL };
enum { S_GET, S_CURRENT, S_USE, S_VIEW };

/* The state dir a context would use (its own, or its default). */
static char *
context_state_dir(const struct vr_context *cx)
{
	char *def, *s;

	if (cx->state_dir)
		return vr_strdup(cx->state_dir);
	def = vr_statedir_default();
	s = vr_asprintf("%s/contexts/%s", def, cx->name);
	free(def);
	return s;
}

static int
get_contexts(const struct vr_cli_common *c)
{
	const struct vr_config *cfg = c->config;
	size_t i, wn = 4, wb = 7;
	json_t *arr;

	if (!cfg || cfg->n == 0) {
		vr_cli_error("no contexts in %s", c->config_path);
		return VR_EXIT_ERROR;
	}
	if (c->output == VR_OUTPUT_JSON) {
		arr = json_array();
		for (i = 0; i < cfg->n; i++) {
			const struct vr_context *cx = &cfg->v[i];
			char *sd = context_state_dir(cx), d[32];

			json_array_append_new(arr, json_pack("{s:s, s:b, s:s?,"
			    " s:s, s:s?, s:s?}", "name", cx->name, "current",
			    c->ctx == cx, "backend", cx->backend, "stateDir",
			    sd, "backendTimeout", cx->backend_timeout_ms ?
			    vr_duration_format(d, sizeof(d),
			    cx->backend_timeout_ms) : NULL, "hostname",
			    cx->hostname));
			free(sd);
		}
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
		return VR_EXIT_OK;
	}
	for (i = 0; i < cfg->n; i++) {
		size_t nb = cfg->v[i].backend ? strlen(cfg->v[i].backend) : 1;

		if (strlen(cfg->v[i].name) > wn)
			wn = strlen(cfg->v[i].name);
		if (nb > wb)
			wb = nb;
	}
	printf("%-7s  %-*s  %-*s  %s\n", "CURRENT", (int)wn, "NAME", (int)wb,
	    "BACKEND", "STATE-DIR");
	for (i = 0; i < cfg->n; i++) {
		const struct vr_context *cx = &cfg->v[i];
		char *sd = context_state_dir(cx);

		printf("%-7s  %-*s  %-*s  %s\n", c->ctx == cx ? "*" : "",
		    (int)wn, cx->name, (int)wb, cx->backend ? cx->backend :
		    "-", sd);
		free(sd);
	}
	return VR_EXIT_OK;
}

/* One setting of `config view`: its value and its origin. */
static void
view_row(const struct vr_cli_common *c, json_t *doc, const char *name,
    enum vr_setting s, const char *value)
{
	char *from = vr_cli_origin(c, s);

	if (doc) {
		static const char *const origins[] = { "default", "context",
		    "environment", "flag" };

		json_object_set_new(doc, name, json_pack("{s:s?, s:s, s:s}",
		    "value", value, "origin", origins[c->origin[s]], "from",
		    from));
	} else {
		printf("%-16s %s  (%s)\n", name, value ? value : "-", from);
	}
	free(from);
}

static int
view(const struct vr_cli_common *c)
{
	json_t *doc = c->output == VR_OUTPUT_JSON ? json_object() : NULL;
	char d[32], *sim = NULL, *backend;

	if (doc)
		json_object_set_new(doc, "config", json_pack("{s:s, s:b}",
		    "path", c->config_path, "found", c->config != NULL));
	else
		printf("%-16s %s%s\n", "config", c->config_path, c->config ?
		    "" : " (none)");
	view_row(c, doc, "context", VR_SET_CONTEXT, c->context);
	if (c->implicit)
		sim = vr_asprintf("%s: the simulated host in %s/sim.json",
		    c->backend, c->state_dir);
	backend = sim ? sim : (char *)c->backend;
	view_row(c, doc, "backend", VR_SET_BACKEND, backend);
	view_row(c, doc, "stateDir", VR_SET_STATE_DIR, c->state_dir);
	view_row(c, doc, "backendTimeout", VR_SET_BACKEND_TIMEOUT,
	    c->backend_timeout_ms ? vr_duration_format(d, sizeof(d),
	    c->backend_timeout_ms) : c->origin[VR_SET_BACKEND_TIMEOUT] ==
	    VR_ORIGIN_ENV ? getenv("VMRECON_EFLOW_TIMEOUT_MS") :
	    "the backend's own");
	view_row(c, doc, "hostname", VR_SET_HOSTNAME, c->hostname ?
	    c->hostname : "this host's name");
	if (doc) {
		json_object_set_new(doc, "implicitBackend",
		    json_boolean(c->implicit));
		json_dumpf(doc, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(doc);
	}
	free(sim);
	return VR_EXIT_OK;
}

int
cmd_config(int argc, char **argv)
{
	struct vr_cli_common c;
	struct vr_opts p;
	const char *sub, *near;
	int rc, code = VR_EXIT_ERROR, which;

	vr_cli_common_init(&c);
	vr_opts_init(&p, "config", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0)
		vr_cli_common_option(&c, &p);
	if (rc < 0) {
		code = vr_opts_exit(rc);
		goto out;
	}
	sub = argv[p.ind];
	for (which = 0; subcommands[which]; which++)
		if (strcmp(sub, subcommands[which]) == 0)
			break;
	if (!subcommands[which]) {
		near = vr_suggest_near(sub, strlen(sub), subcommands);
		vr_cli_error("config has no command '%s'%s%s%s", sub, near ?
		    "; did you mean '" : "", near ? near : "", near ? "'?" : "");
		vr_opts_usage(stderr, "config");
		goto out;
	}
	if ((which == S_USE) != (p.ind + 1 < argc)) {
		vr_cli_error(which == S_USE ? "use-context needs a NAME" :
		    "unexpected argument '%s'", argv[p.ind + 1]);
		vr_opts_usage(stderr, "config");
		goto out;
	}
	if (vr_cli_settle(&c) < 0)
		goto out;
	switch (which) {
	case S_GET:
		code = get_contexts(&c);
		break;
	case S_CURRENT:
		if (!c.context) {
			vr_cli_error("no current context (config: %s%s)",
			    c.config_path, c.config ? "" : ", none");
			break;
		}
		printf("%s\n", c.context);
		code = VR_EXIT_OK;
		break;
	case S_USE:
		if (!c.config) {
			vr_cli_error("no config file: %s does not exist",
			    c.config_path);
			break;
		}
		if (vr_config_use(c.config, argv[p.ind + 1]) < 0) {
			vr_cli_error("%s", vr_error_msg());
			break;
		}
		printf("switched to context '%s' (%s)\n", argv[p.ind + 1],
		    c.config_path);
		if (c.origin[VR_SET_CONTEXT] == VR_ORIGIN_ENV)
			fprintf(stderr, "vmrecon: note: VMRECON_CONTEXT=%s "
			    "still outranks it where it is set\n", c.context);
		code = VR_EXIT_OK;
		break;
	default:
		code = view(&c);
		break;
	}
out:
	vr_cli_common_clear(&c);
	return code;
}
