/* cli.c - what the commands share: errors, common options, the backend,
 * the JSON document of a command that failed. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../schema/suggest.h"
#include "../../schema/util/error.h"
#include "cmd.h"
#include "options.h"

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
}

int
vr_cli_common_option(struct vr_cli_common *c, const struct vr_opts *p)
{
	switch (p->opt->id) {
	case VR_OPT_BACKEND:
		c->backend = p->arg;
		return 1;
	case VR_OPT_BACKEND_TIMEOUT: /* ms, bounded by the table */
		c->backend_timeout_ms = (int)p->value;
		return 1;
	case VR_OPT_STATE_DIR:
		free(c->state_dir);
		c->state_dir = vr_strdup(p->arg);
		return 1;
	case VR_OPT_OUTPUT: /* the text|json row; get has its own */
		c->output = strcmp(p->arg, "json") == 0 ? VR_OUTPUT_JSON :
		    VR_OUTPUT_TEXT;
		return 1;
	default:
		return 0;
	}
}

int
vr_cli_backend_open(struct vr_backend **out, const struct vr_cli_common *c)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;

	o.state_dir = c->state_dir;
	o.timeout_ms = c->backend_timeout_ms;
	o.progress = isatty(STDERR_FILENO);
	o.read_only = c->read_only;
	return vr_backend_open(out, c->backend, &o);
}
