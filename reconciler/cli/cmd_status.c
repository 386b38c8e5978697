/* cmd_status.c - `vmrecon status`: what the last reconciles did, from the
 * state dir's status.json: one line per VM and one for the Git source,
 * Ready or not, why, the revisions applied and attempted or fetched, when
 * it was last reconciled and since when it is (not) Ready (as `flux
 * get`), in columns as wide as their longest cell.  Exit 2 when any of
 * them is not Ready. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/error.h"
#include "cmd.h"
#include "options.h"
#include "../engine/ready.h"

/* The columns; each as wide as its longest cell (a URL may be long),
 * MESSAGE last and not padded. */
static const char *const heads[] = { "KIND", "NAME", "READY", "REASON",
	"APPLIED", "ATTEMPTED/FETCHED", "RECONCILED", "SINCE", "MESSAGE" };
#define NCOLS (sizeof(heads) / sizeof(heads[0]))

struct table {
	char **cell; /* row-major, NCOLS a row, the heads first */
	size_t nrows;
};

static void
table_add(struct table *tb, const char *const *cells)
{
	size_t i;

	tb->cell = vr_grow(tb->cell, tb->nrows, NCOLS * sizeof(*tb->cell));
	for (i = 0; i < NCOLS; i++)
		tb->cell[tb->nrows * NCOLS + i] = vr_strdup(cells[i] &&
		    cells[i][0] ? cells[i] : "-");
	tb->nrows++;
}

static void
table_print(FILE *fp, struct table *tb)
{
	size_t w[NCOLS] = { 0 }, r, i;

	for (r = 0; r < tb->nrows; r++)
		for (i = 0; i < NCOLS; i++)
			if (strlen(tb->cell[r * NCOLS + i]) > w[i])
				w[i] = strlen(tb->cell[r * NCOLS + i]);
	for (r = 0; r < tb->nrows; r++)
		for (i = 0; i < NCOLS; i++) {
			const char *s = tb->cell[r * NCOLS + i];

			if (i + 1 < NCOLS)
				fprintf(fp, "%-*s  ", (int)w[i], s);
			else
				fprintf(fp, "%s\n", s);
		}
	for (r = 0; r < tb->nrows * NCOLS; r++)
		free(tb->cell[r]);
	free(tb->cell);
}

/* "main@sha1:<40 hex>" or "blob:<40 hex>" with 12 hex digits, as a
 * terminal line needs; "-" for none. */
static void
short_rev(char *out, size_t n, const char *rev)
{
	const char *at = rev ? strrchr(rev, ':') : NULL;

	if (!rev)
		snprintf(out, n, "-");
	else if (at && strlen(at + 1) > 12)
		snprintf(out, n, "%.*s%.12s", (int)(at + 1 - rev), rev, at + 1);
	else
		snprintf(out, n, "%s", rev);
}

static const char *
str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* One `flux get`-like row into tb (none if NULL); returns whether the
 * object is Ready. */
static bool
print_line(struct table *tb, const char *kind, const char *name, json_t *o)
{
	json_t *cond = json_array_get(json_object_get(o, "conditions"), 0);
	const char *result = str_of(o, "result"), *reason, *msg, *when;
	char applied[64], other[64];
	bool ready;

	if (cond) {
		ready = json_is_string(json_object_get(cond, "status")) &&
		    strcmp(str_of(cond, "status"), "True") == 0;
		reason = str_of(cond, "reason");
		msg = str_of(cond, "message");
		when = str_of(cond, "lastTransitionTime");
	} else {
		ready = result && strcmp(result, "converged") == 0;
		reason = result ? vr_ready_reason(result, NULL) : NULL;
		msg = str_of(o, "message");
		when = str_of(o, "lastHandledAt");
	}
	short_rev(applied, sizeof(applied), str_of(o, "lastAppliedRevision"));
	short_rev(other, sizeof(other), str_of(o, strcmp(kind, "vm") == 0 ?
	    "lastAttemptedRevision" : "lastFetchedRevision"));
	if (tb) {
		const char *cells[NCOLS] = { kind, name, ready ? "True" :
		    "False", reason, applied, other, str_of(o,
		    "lastHandledAt"), when, msg };

		table_add(tb, cells);
	}
	return ready;
}

/* Every VM, then the source, on fp (or NULL); returns how many are not
 * Ready. */
static size_t
print_text(FILE *fp, json_t *doc)
{
	json_t *vm, *src = json_object_get(doc, "source");
	struct table tb = { NULL, 0 }, *t = fp ? &tb : NULL;
	const char *name;
	size_t bad = 0;

	if (t)
		table_add(t, heads);
	json_object_foreach(json_object_get(doc, "vms"), name, vm)
		bad += !print_line(t, "vm", name, vm);
	if (json_is_object(src))
		bad += !print_line(t, "source", str_of(src, "url") ?
		    str_of(src, "url") : "-", src);
	if (t)
		table_print(fp, t);
	return bad;
}

int
cmd_status(int argc, char **argv)
{
	struct vr_statedir *sd = NULL;
	struct vr_cli_common c;
	struct vr_opts p;
	json_error_t jerr;
	json_t *doc = NULL;
	char *text = NULL;
	bool json;
	int rc, code = VR_EXIT_ERROR;

	vr_cli_common_init(&c);
	vr_opts_init(&p, "status", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0)
		vr_cli_common_option(&c, &p);
	json = c.output == VR_OUTPUT_JSON;
	if (rc < 0) {
		code = vr_opts_exit(rc);
		json = code == VR_EXIT_ERROR && vr_cli_wants_json(argc, argv);
		goto out;
	}
	if (vr_cli_settle(&c) < 0)
		goto out;
	/* status reads: it creates nothing, not even the dir */
	rc = vr_statedir_open(&sd, c.state_dir, false);
	if (rc == VR_ENOTFOUND) {
		vr_cli_error("no state dir '%s': nothing was reconciled with "
		    "it (or --state-dir names the wrong one)", c.state_dir);
		goto out;
	}
	if (rc < 0) {
		vr_cli_error("%s", vr_error_msg());
		goto out;
	}
	rc = vr_statedir_status_read(sd, &text);
	if (rc == VR_ENOTFOUND) {
		if (!json)
			printf("nothing reconciled yet with state dir '%s'\n",
			    c.state_dir);
		code = 0;
		goto out;
	}
	if (rc < 0 || !(doc = json_loads(text, 0, &jerr)) ||
	    !json_is_object(json_object_get(doc, "vms"))) {
		vr_cli_error("cannot read status in '%s': %s", c.state_dir,
		    rc < 0 ? vr_error_msg() : doc ? "no \"vms\"" : jerr.text);
		goto out;
	}
	/* like `kubectl wait`, scripts can test it: 2 when any VM or the
	 * source is not Ready */
	if (json) {
		fputs(text, stdout), fputc('\n', stdout);
		code = print_text(NULL, doc) ? VR_EXIT_DRIFT : VR_EXIT_OK;
		json = false; /* printed */
	} else {
		code = print_text(stdout, doc) ? VR_EXIT_DRIFT : VR_EXIT_OK;
	}
out:
	/* -o json: one document whatever happened; nothing recorded yet
	 * is an empty one */
	if (json)
		vr_cli_json_out(stdout, "", 0, code == VR_EXIT_ERROR ?
		    vr_cli_last_error() : NULL,
		    "{\"formatVersion\": 1, \"vms\": {}}");
	json_decref(doc);
	free(text);
	vr_statedir_free(sd);
	vr_cli_common_clear(&c);
	return code;
}
