/* test_options.c - the option table (options.c): its invariants, the
 * typed parse it drives, and the help printed from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reconciler/cli/cmd.h"
#include "../../reconciler/cli/options.h"
#include "../../reconciler/gitops/source_http.h"
#include "../../schema/util/units.h"
#include "../../schema/util/error.h"
#include "unit.h"

TEST(test_options__table_is_sorted_and_unambiguous)
{
	const struct vr_option *o, *q;
	const struct vr_cmd *c;

	for (o = vr_options; o->name; o++) {
		CHECK(o->help && o->help[0]);
		CHECK((o->meta != NULL) == (o->arg != VR_ARG_NONE));
		CHECK((o->required & ~o->cmds) == 0);
		CHECK(!(o->required && o->def));
		if (o[1].name && !CHECK(strcmp(o->name, o[1].name) < 0 ||
		    (strcmp(o->name, o[1].name) == 0 &&
		    !(o->cmds & o[1].cmds))))
			printf("    '%s' before '%s'\n", o->name, o[1].name);
	}
	for (c = vr_commands; c->name; c++) {
		size_t n = 0;

		if (!c->bit)
			continue;
		for (o = vr_options; o->name; o++) {
			if (!(o->cmds & c->bit))
				continue;
			n++;
			for (q = o + 1; q->name; q++) {
				if (!(q->cmds & c->bit))
					continue;
				CHECK(strcmp(o->name, q->name) != 0);
				CHECK(o->id != q->id);
				CHECK(!o->letter || o->letter != q->letter);
			}
		}
		CHECK(n <= VR_OPTS_MAX && n <= 64);
		CHECK(vr_opts_find(c->name, VR_OPT_HELP) != NULL);
	}
}

/* The command table and the bits come from one list (commands.h): each
 * command that takes options has its own bit, VR_C_ALL is their union,
 * and each option's commands are commands of the table. */
TEST(test_options__command_bits_are_the_table_s)
{
	const struct vr_option *o;
	const struct vr_cmd *c;
	unsigned all = 0;
	size_t n = 0;

	for (c = vr_commands; c->name; c++, n++) {
		CHECK(vr_cmd_find(c->name) == c);
		CHECK(vr_opts_cmd_bit(c->name) == c->bit);
		if (!c->bit)
			continue;
		CHECK((c->bit & (c->bit - 1)) == 0);
		CHECK((all & c->bit) == 0);
		all |= c->bit;
	}
	CHECK_INT(n, VR_CMD__COUNT);
	CHECK_INT(all, VR_C_ALL);
	CHECK_INT(vr_opts_cmd_bit("help"), 0);
	CHECK_INT(vr_opts_cmd_bit("no-such-command"), 0);
	for (o = vr_options; o->name; o++)
		if (!CHECK(o->cmds && (o->cmds & ~VR_C_ALL) == 0))
			printf("    --%s names a command not in the table\n",
			    o->name);
}

TEST(test_options__defaults_parse_and_are_the_ones_in_force)
{
	const struct vr_cmd *c;
	const struct vr_option *o;
	struct vr_cli_common cc;

	/* every typed default parses within its bounds (else abort) */
	for (c = vr_commands; c->name; c++)
		for (o = vr_options; o->name; o++)
			if ((o->cmds & c->bit) && o->def)
				vr_opts_default(c->name, o->id);
	CHECK_INT(vr_opts_default("watch", VR_OPT_INTERVAL), 60000);
	CHECK_INT(vr_opts_default("watch", VR_OPT_MAX_BACKOFF), 300000);
	CHECK_INT(vr_opts_default("watch", VR_OPT_TIMEOUT), 60000);
	/* defaults applied below the CLI, where the table cannot reach */
	CHECK_INT(vr_opts_default("diff", VR_OPT_HTTP_TIMEOUT),
	    VR_HTTP_TIMEOUT_MS);
	vr_cli_common_init(&cc);
	CHECK_STR(cc.backend, vr_opts_find("diff", VR_OPT_BACKEND)->def);
	CHECK_INT(cc.output, VR_OUTPUT_TEXT);
	CHECK_STR(vr_opts_find("status", VR_OPT_OUTPUT)->def, "text");
	CHECK_INT(vr_opts_default("status", VR_OPT_OUTPUT), 0);
	vr_cli_common_clear(&cc);
}

/* Parse `args` (space-separated) for cmd; the last vr_opts_next result.
 * *value: the value of option `id` if seen. */
static int
parse(const char *cmd, const char *args, int id, int64_t *value,
    int *ind)
{
	char *copy = vr_strdup(args), *argv[16], *save = NULL, *w;
	struct vr_opts p;
	int argc = 0, rc;

	argv[argc++] = (char *)cmd;
	for (w = strtok_r(copy, " ", &save); w && argc < 15;
	    w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	vr_opts_init(&p, cmd, argc, argv);
	while ((rc = vr_opts_next(&p)) > 0)
		if (rc == id && value)
			*value = p.value;
	if (ind)
		*ind = p.ind;
	free(copy);
	return rc;
}

TEST(test_options__typed_and_bounded)
{
	int64_t v = -1;

	CHECK_INT(parse("diff", "-f x --http-timeout 5", VR_OPT_HTTP_TIMEOUT,
	    &v, NULL), VR_OPTS_END);
	CHECK_INT(v, 5000);
	/* the one duration grammar: 5m was refused by the old parser */
	CHECK_INT(parse("diff", "-fx --http-timeout=5m", VR_OPT_HTTP_TIMEOUT,
	    &v, NULL), VR_OPTS_END);
	CHECK_INT(v, 300000);
	CHECK_INT(parse("validate", "--http-timeout 0 a", 0, NULL, NULL),
	    VR_OPTS_ERROR);
	CHECK_CONTAINS(vr_error_msg(), "--http-timeout: '0' is out of range, "
	    "1s to 1h");
	CHECK_INT(parse("validate", "--http-timeout 3601 a", 0, NULL, NULL),
	    VR_OPTS_ERROR);
	CHECK_INT(parse("watch", "--repo r --path p --interval 10",
	    VR_OPT_INTERVAL, &v, NULL), VR_OPTS_END);
	CHECK_INT(v, 10000);
	CHECK_INT(parse("watch", "--repo r --path p --interval 100ms", 0,
	    NULL, NULL), VR_OPTS_ERROR);
	CHECK_INT(parse("watch", "--repo r --path p --timeout 1x", 0,
	    NULL, NULL), VR_OPTS_ERROR);
	CHECK_CONTAINS(vr_error_msg(), "--timeout: '1x' needs a unit");
	CHECK_INT(parse("get", "-o json", VR_OPT_OUTPUT, &v, NULL),
	    VR_OPTS_END);
	CHECK_INT(v, 1);
	CHECK_INT(parse("get", "-o text", 0, NULL, NULL), VR_OPTS_ERROR);
	CHECK_CONTAINS(vr_error_msg(), "--output must be one of yaml|json, "
	    "not 'text'");
	CHECK_INT(parse("status", "--output=text", 0, NULL, NULL),
	    VR_OPTS_END);
	CHECK_INT(parse("watch", "--repo r --path p --commit-status gitlab",
	    VR_OPT_COMMIT_STATUS, &v, NULL), VR_OPTS_END);
	CHECK_INT(v, 2);
	CHECK_INT(parse("watch", "--repo r --path p --commit-status gitab", 0,
	    NULL, NULL), VR_OPTS_ERROR);
	CHECK_INT(parse("diff", "-f x --state-dir=", 0, NULL, NULL),
	    VR_OPTS_ERROR);
}

TEST(test_options__required_operands_and_getopt_habits)
{
	int ind;

	CHECK_INT(parse("diff", "-o json", 0, NULL, NULL), VR_OPTS_ERROR);
	CHECK_INT(parse("watch", "--repo r", 0, NULL, NULL), VR_OPTS_ERROR);
	CHECK_INT(parse("status", "extra", 0, NULL, NULL), VR_OPTS_ERROR);
	/* validate's files may come as -f: cmd_validate checks for one */
	CHECK_INT(parse("validate", "--ca-file c", 0, NULL, NULL),
	    VR_OPTS_END);
	CHECK_INT(parse("help", "a b", 0, NULL, NULL), VR_OPTS_ERROR);
	CHECK_INT(parse("version", "-x", 0, NULL, NULL), VR_OPTS_ERROR);
	CHECK_INT(parse("diff", "-f x --no-such-option", 0, NULL, NULL),
	    VR_OPTS_ERROR);
	CHECK_INT(parse("diff", "-f x --notify", 0, NULL, NULL),
	    VR_OPTS_ERROR);
	/* operands among options, unambiguous prefixes, -b, `--` */
	CHECK_INT(parse("validate", "a.yaml --token-f t b.yaml", 0, NULL,
	    &ind), VR_OPTS_END);
	CHECK_INT(ind, 3);
	CHECK_INT(parse("get", "-b sim --stat d vm1 -- -vm2", 0, NULL, &ind),
	    VR_OPTS_END);
	CHECK_INT(ind, 6);
	CHECK_INT(parse("watch", "--rep r --pa p", 0, NULL, NULL),
	    VR_OPTS_END);
}

TEST(test_options__help_lists_every_option_with_its_default)
{
	const struct vr_option *o;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	vr_opts_help(fp, "watch");
	fclose(fp);
	CHECK_CONTAINS(buf, "usage: vmrecon watch --path PATH --repo URL "
	    "[--allow-rewrite]");
	for (o = vr_options; o->name; o++) {
		char *want = vr_asprintf("--%s%s%s", o->name, o->meta ? " " :
		    "", o->meta ? o->meta : "");

		if (o->cmds & VR_C_WATCH)
			CHECK_CONTAINS(buf, want);
		else if (!CHECK(strstr(buf, want) == NULL))
			printf("    watch --help shows %s\n", want);
		free(want);
	}
	CHECK_CONTAINS(buf, "(default: 1m; range 200ms to 168h)");
	CHECK_CONTAINS(buf, "  -b, --backend KIND[:TARGET]");
	free(buf);
}
