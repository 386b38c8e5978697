/* test_config.c - the config file of contexts (reconciler/cli/config.h):
 * which file for root and for other users, the strict load with its
 * FILE:LINE:COL problems, and use-context's edit of currentContext alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../reconciler/cli/config.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "unit.h"

#define HEAD "apiVersion: vmrecon/v1\nkind: Config\n"

/* Load `text`; the problems, one a line, into *problems (or NULL). */
static int
load(struct vr_config **cfg, const char *text, char **problems)
{
	struct vr_diags d = VR_DIAGS_INIT;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp = open_memstream(&buf, &len);
	int rc = vr_config_load_buffer(cfg, &d, "c.yaml", text, strlen(text));

	for (i = 0; i < d.n; i++)
		fprintf(fp, "%d:%d: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	fclose(fp);
	vr_diags_free(&d);
	if (problems)
		*problems = buf;
	else
		free(buf);
	return rc;
}

TEST(test_config__contexts)
{
	struct vr_config *cfg = NULL;
	const struct vr_context *cx;

	CHECK_INT(load(&cfg, HEAD "currentContext: edge01\ncontexts:\n"
	    "  edge01:\n    backend: \"eflow:ssh -o BatchMode=yes admin@edge01"
	    " powershell\"\n    backendTimeout: 1h 30min\n    hostname: "
	    "edge01\n  lab:\n    backend: qemu:/run/lab.qmp\n    stateDir: "
	    "/var/lib/vmrecon/lab\n  empty: {}\n", NULL), 0);
	if (!cfg)
		return;
	CHECK_INT(cfg->n, 3);
	CHECK_STR(cfg->current, "edge01");
	cx = vr_config_find(cfg, "edge01");
	CHECK(cx != NULL);
	if (cx) {
		CHECK_STR(cx->backend, "eflow:ssh -o BatchMode=yes "
		    "admin@edge01 powershell");
		CHECK_INT(cx->backend_timeout_ms, 5400000);
		CHECK_STR(cx->hostname, "edge01");
		CHECK(cx->state_dir == NULL);
	}
	cx = vr_config_find(cfg, "lab");
	CHECK(cx && strcmp(cx->state_dir, "/var/lib/vmrecon/lab") == 0);
	cx = vr_config_find(cfg, "empty");
	CHECK(cx && !cx->backend && !cx->state_dir && !cx->hostname &&
	    cx->backend_timeout_ms == 0);
	CHECK(vr_config_find(cfg, "nosuch") == NULL);
	vr_config_free(cfg);
}

/* Each problem at its line and column, in the words of spec files. */
TEST(test_config__problems)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ HEAD "contexts:\n  a:\n    backnd: sim\n",
		  "5:5: unknown key 'backnd' in 'contexts.a'; did you mean "
		  "'backend'?" },
		{ HEAD "contexts:\n  a:\n    state-dir: /x\n",
		  "5:5: unknown key 'state-dir' in 'contexts.a'; did you mean "
		  "'stateDir'?" },
		{ HEAD "current-context: a\ncontexts:\n  a: {}\n",
		  "3:1: unknown key 'current-context'; did you mean "
		  "'currentContext'?" },
		{ HEAD "contexts:\n  a:\n    backend: EFLOW\n",
		  "5:14: 'contexts.a.backend': unknown backend 'EFLOW'; did you "
		  "mean 'eflow'?" },
		{ HEAD "contexts:\n  a:\n    backend: efl0w:x\n",
		  "did you mean 'eflow'?" },
		{ HEAD "contexts:\n  a:\n    backendTimeout: 10\n",
		  "5:21: 'contexts.a.backendTimeout' must be a string, not an "
		  "integer" },
		{ HEAD "contexts:\n  a:\n    backendTimeout: 10 parsecs\n",
		  "5:21: 'contexts.a.backendTimeout': '10 parsecs' needs a unit" },
		{ HEAD "contexts:\n  a:\n    backendTimeout: 50ms\n",
		  "is out of range, 100ms to 24h" },
		{ HEAD "contexts:\n  a:\n    stateDir: var/lib\n",
		  "5:15: 'contexts.a.stateDir' must be an absolute path" },
		{ HEAD "contexts:\n  a:\n    hostname: ../x\n",
		  "5:15: 'contexts.a.hostname':" },
		{ HEAD "contexts:\n  a: {}\n  a: {}\n",
		  "5:3: duplicate key 'a' (first at line 4)" },
		{ HEAD "contexts:\n  yes: {}\n",
		  "4:3: 'context name' must be a string, not a boolean" },
		{ HEAD "contexts:\n  -x: {}\n",
		  "4:3: invalid context name '-x'" },
		{ HEAD "currentContext: b\ncontexts:\n  a: {}\n",
		  "3:17: 'currentContext' names 'b', which is not one of "
		  "'contexts' (a)" },
		{ HEAD "contexts: [a]\n",
		  "3:11: 'contexts' must be a mapping, not a sequence" },
		{ "kind: Config\ncontexts: {}\n",
		  "1:1: missing 'apiVersion'; want 'apiVersion: vmrecon/v1'" },
		{ "apiVersion: vmrecon/v1\nkind: VirtualMachine\n",
		  "2:7: 'kind' must be 'Config', not 'VirtualMachine'" },
		{ HEAD "contexts: {}\n---\n" HEAD,
		  "a config file holds one document" },
		{ "", "empty; want 'apiVersion: vmrecon/v1'" },
		{ HEAD "contexts:\n  a: !!str {}\n", "tags are not allowed" },
		{ HEAD "contexts:\n  a: {backend: [\n",
		  "5:1: did not find expected node content" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vr_config *cfg = NULL;
		char *problems = NULL;

		if (!CHECK(load(&cfg, bad[i].text, &problems) ==
		    VR_EINVALID))
			printf("    accepted: %s", bad[i].text);
		CHECK(cfg == NULL);
		CHECK_CONTAINS(problems, bad[i].want);
		free(problems);
		vr_config_free(cfg);
	}
}

/* Write a config into DIR/SUB/vmrecon/config.yaml; its path. */
static char *
put_config(const char *dir, const char *sub)
{
	char *d = vr_asprintf("%s%s/vmrecon", dir, sub);

	CHECK_INT(vr_mkdir_p(d, 0700), 0);
	unit_write(d, "config.yaml", HEAD);
	free(d);
	return vr_asprintf("%s%s/vmrecon/config.yaml", dir, sub);
}

/* vr_config_path for `euid` is `want`, and named by VMRECON_CONFIG or not */
static void
check_path(unsigned euid, const char *want, bool want_named)
{
	bool named;
	char *p = vr_config_path(euid, &named);

	CHECK_STR(p, want);
	CHECK(named == want_named);
	free(p);
}

TEST(test_config__which_file)
{
	char *home = vr_asprintf("%s/home", unit_tmpdir());
	char *xdg = vr_asprintf("%s/xdg", unit_tmpdir()), *file;
	const char *keep[] = { "HOME", "XDG_CONFIG_HOME", "VMRECON_CONFIG" };
	char *old[3];
	size_t i;

	for (i = 0; i < 3; i++)
		old[i] = getenv(keep[i]) ? vr_strdup(getenv(keep[i])) : NULL;
	unsetenv("VMRECON_CONFIG");
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	/* root: the machine's file, whatever HOME and XDG say */
	check_path(0, VR_CONFIG_SYSTEM, false);
	/* a user without a file of their own: the machine's */
	check_path(1000, VR_CONFIG_SYSTEM, false);
	/* with one: theirs */
	file = put_config(xdg, "");
	check_path(1000, file, false);
	free(file);
	/* without XDG_CONFIG_HOME: ~/.config, when there is one */
	unsetenv("XDG_CONFIG_HOME");
	check_path(1000, VR_CONFIG_SYSTEM, false);
	file = put_config(home, "/.config");
	check_path(1000, file, false);
	/* a relative XDG_CONFIG_HOME is ignored, as the spec says */
	setenv("XDG_CONFIG_HOME", "rel", 1);
	check_path(1000, file, false);
	/* VMRECON_CONFIG names the one file, for root too */
	setenv("VMRECON_CONFIG", "/x/y.yaml", 1);
	check_path(0, "/x/y.yaml", true);
	/* the process's environment as it was, for the tests after this */
	for (i = 0; i < 3; i++) {
		old[i] ? setenv(keep[i], old[i], 1) : unsetenv(keep[i]);
		free(old[i]);
	}
	free(file);
	free(home);
	free(xdg);
}

/* use-context changes the value of currentContext and nothing else. */
TEST(test_config__use_context_keeps_the_rest)
{
	static const char *const files[] = {
		"# mine\n" HEAD "currentContext: a   # the usual one\n"
		"contexts:\n  a: {}\n  b: {}  # \xc3\xa9t\xc3\xa9\n",
		"# no currentContext yet\n---\n" HEAD "contexts:\n  a: {}\n"
		"  b: {}\n",
		"\xef\xbb\xbf# \xc3\xa9\n" HEAD "currentContext: 'a'\n"
		"contexts: {a: {}, b: {}}\n",
	};
	static const char *const want[] = {
		"# mine\n" HEAD "currentContext: \"b\"   # the usual one\n"
		"contexts:\n  a: {}\n  b: {}  # \xc3\xa9t\xc3\xa9\n",
		"# no currentContext yet\n---\ncurrentContext: \"b\"\n" HEAD
		"contexts:\n  a: {}\n  b: {}\n",
		"\xef\xbb\xbf# \xc3\xa9\n" HEAD "currentContext: \"b\"\n"
		"contexts: {a: {}, b: {}}\n",
	};
	size_t i, len;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct vr_diags d = VR_DIAGS_INIT;
		struct vr_config *cfg = NULL;
		const char *path = unit_write(unit_tmpdir(), "config.yaml",
		    files[i]);
		char *now = NULL;

		CHECK_INT(vr_config_load_buffer(&cfg, &d, path, files[i],
		    strlen(files[i])), 0);
		vr_diags_free(&d);
		if (!cfg)
			continue;
		CHECK_INT(vr_config_use(cfg, "b"), 0);
		CHECK_STR(cfg->current, "b");
		CHECK_INT(vr_file_read(&now, &len, path, 65536), 0);
		CHECK_STR(now, want[i]);
		CHECK_INT(vr_config_use(cfg, "c"), VR_ENOTFOUND);
		free(now);
		vr_config_free(cfg);
	}
}

/* Where the edit cannot be made by replacing a value, the file is left
 * alone and the message says what to write by hand. */
TEST(test_config__use_context_refuses_what_it_cannot_edit)
{
	static const char text[] = "{apiVersion: vmrecon/v1, kind: Config, "
	    "contexts: {a: {}, b: {}}}\n";
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_config *cfg = NULL;
	const char *path = unit_write(unit_tmpdir(), "config.yaml", text);
	char *now = NULL;
	size_t len;

	CHECK_INT(vr_config_load_buffer(&cfg, &d, path, text, strlen(text)),
	    0);
	vr_diags_free(&d);
	if (!cfg)
		return;
	CHECK_INT(vr_config_use(cfg, "b"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "set 'currentContext: b' there by "
	    "hand");
	CHECK_INT(vr_file_read(&now, &len, path, 65536), 0);
	CHECK_STR(now, text);
	CHECK(cfg->current == NULL);
	free(now);
	vr_config_free(cfg);
}
