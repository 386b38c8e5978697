/* cmd_status.c - `vmrecon status`: what the last reconciles did, from the
 * state dir's status.json. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/error.h"
#include "cmd.h"
#include "options.h"

/* A string field, or "-" where it is missing or not a string. */
static const char *
field(json_t *vm, const char *key)
{
	const char *s = json_string_value(json_object_get(vm, key));

	return s && s[0] ? s : "-";
}

static void
print_text(json_t *doc)
{
	const char *name;
	json_t *vm;

	printf("%-20s %-10s %-22s %s\n", "VM", "RESULT", "HANDLED",
	    "REVISION");
	json_object_foreach(json_object_get(doc, "vms"), name, vm) {
		printf("%-20s %-10s %-22s %s\n", name, field(vm, "result"),
		    field(vm, "lastHandledAt"),
		    field(vm, "lastAppliedRevision"));
		printf("  %s\n", field(vm, "message"));
	}
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
	int rc, code = VR_EXIT_ERROR;

	vr_cli_common_init(&c);
	vr_opts_init(&p, "status", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0)
		vr_cli_common_option(&c, &p);
	if (rc < 0) {
		code = vr_opts_exit(rc);
		goto out;
	}
	if (!c.state_dir)
		c.state_dir = vr_statedir_default();
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
	if (c.output == VR_OUTPUT_JSON)
		fputs(text, stdout), fputc('\n', stdout);
	else
		print_text(doc);
	code = 0;
out:
	json_decref(doc);
	free(text);
	vr_statedir_free(sd);
	vr_cli_common_clear(&c);
	return code;
}
