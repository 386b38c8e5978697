/*
 * test_wslargv.c - the argv vmrecon hands its PowerShell launcher must reach
 * powershell.exe word for word on every route.  This file carries a port,
 * written from the documented rules, of the two steps between them:
 *
 *  - WSL's FormatCommandLine (microsoft/WSL src/windows/common/interop.cpp,
 *    read 2026-12): the Linux argv is joined into one Windows command line;
 *    an argument that is empty or holds a space, tab, CR, LF or '"' is put
 *    in double quotes, a '"' in it gets 2n+1 backslashes before it where n
 *    backslashes preceded it, n backslashes before the closing quote become
 *    2n, other backslashes stay as they are; words are joined by one space;
 *    the UTF-8 result is converted to UTF-16.
 *  - The MSVC runtime's parsing of a command line into argv ("Parsing C++
 *    command-line arguments", learn.microsoft.com; CommandLineToArgvW):
 *    words end at unquoted blanks (space, tab); argv[0] is the program
 *    name, ended by the next '"' if it starts with one, with no escapes;
 *    2n backslashes before '"' give n backslashes and the quote opens or
 *    closes a quoted part, 2n+1 give n backslashes and a literal '"';
 *    other backslashes are literal; inside quotes "" is one literal '"'
 *    (the CRT rule since 2008).
 *
 * The port is proven on hostile argv (quotes, backslashes, blanks, line
 * breaks, typographic quotes) and random ones, then argv built by vmrecon's
 * one argv builder (vr_ps_argv, which every launcher call goes through)
 * for its scripts, hostile GPU names and random bodies are round-tripped
 * through it, and the base64 decoded back to the very script.  The `ssh admin@host powershell`
 * route is proven too: ssh joins the remote words with spaces and the
 * remote shell (cmd.exe, or a POSIX sh) parses them again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../backends/powershell.h"
#include "../../backends/psworker.h"
#include "../../schema/util/error.h"
#include "../../schema/util/run.h"
#include "unit.h"

/* A growable byte string. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void
sb_put(struct sbuf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
}

static void
sb_rep(struct sbuf *b, char c, size_t times)
{
	while (times--)
		sb_put(b, c);
}

static void
sb_cat(struct sbuf *b, const char *s)
{
	while (*s)
		sb_put(b, *s++);
}

/* WSL's rule: one Windows command line from argv (UTF-8). */
static char *
wsl_format(char *const *argv, size_t argc)
{
	struct sbuf b = { 0 };
	size_t i, bs;
	const char *p;

	for (i = 0; i < argc; i++) {
		if (i > 0)
			sb_put(&b, ' ');
		if (argv[i][0] && !strpbrk(argv[i], " \t\r\n\"")) {
			sb_cat(&b, argv[i]);
			continue;
		}
		sb_put(&b, '"');
		bs = 0;
		for (p = argv[i]; *p; p++) {
			if (*p == '\\') {
				bs++;
			} else if (*p == '"') {
				sb_rep(&b, '\\', 2 * bs + 1);
				sb_put(&b, '"');
				bs = 0;
			} else {
				sb_rep(&b, '\\', bs);
				sb_put(&b, *p);
				bs = 0;
			}
		}
		sb_rep(&b, '\\', 2 * bs);
		sb_put(&b, '"');
	}
	return b.p ? b.p : strdup("");
}

/* UTF-8 to UTF-16 code units; -1 for bytes that are not UTF-8. */
static long
utf8_to_16(const char *s, uint16_t *out, size_t outsz)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;

	while (*u) {
		uint32_t cp;
		int more;

		if (*u < 0x80) {
			cp = *u;
			more = 0;
		} else if ((*u & 0xe0) == 0xc0) {
			cp = *u & 0x1f;
			more = 1;
		} else if ((*u & 0xf0) == 0xe0) {
			cp = *u & 0x0f;
			more = 2;
		} else if ((*u & 0xf8) == 0xf0) {
			cp = *u & 0x07;
			more = 3;
		} else {
			return -1;
		}
		u++;
		while (more--) {
			if ((*u & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (*u++ & 0x3f);
		}
		if (n + 2 > outsz)
			return -1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			out[n++] = (uint16_t)(0xd800 | (cp >> 10));
			out[n++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
		} else {
			out[n++] = (uint16_t)cp;
		}
	}
	return (long)n;
}

/* One UTF-16 code point at w[*i] appended to b as UTF-8. */
static void
utf16_put8(struct sbuf *b, const uint16_t *w, size_t n, size_t *i)
{
	uint32_t cp = w[(*i)++];

	if (cp >= 0xd800 && cp < 0xdc00 && *i < n && w[*i] >= 0xdc00 &&
	    w[*i] < 0xe000)
		cp = 0x10000 + ((cp - 0xd800) << 10) + (w[(*i)++] - 0xdc00);
	if (cp < 0x80) {
		sb_put(b, (char)cp);
	} else if (cp < 0x800) {
		sb_put(b, (char)(0xc0 | (cp >> 6)));
		sb_put(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_put(b, (char)(0xe0 | (cp >> 12)));
		sb_put(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_put(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		sb_put(b, (char)(0xf0 | (cp >> 18)));
		sb_put(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		sb_put(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_put(b, (char)(0x80 | (cp & 0x3f)));
	}
}

#define MAX_WORDS 64

/* The MSVC rules: a UTF-16 command line into at most MAX_WORDS UTF-8
 * words (owned by the caller); returns their number. */
static size_t
msvc_parse(const uint16_t *w, size_t n, char **argv)
{
	size_t i = 0, argc = 0;
	struct sbuf b = { 0 };

	/* argv[0]: the program name, no escapes */
	if (n > 0 && w[0] == '"') {
		for (i = 1; i < n && w[i] != '"';)
			utf16_put8(&b, w, n, &i);
		if (i < n)
			i++;
	} else {
		while (i < n && w[i] != ' ' && w[i] != '\t')
			utf16_put8(&b, w, n, &i);
	}
	argv[argc++] = b.p ? b.p : strdup("");
	for (;;) {
		int quoted = 0;

		while (i < n && (w[i] == ' ' || w[i] == '\t'))
			i++;
		if (i >= n || argc == MAX_WORDS)
			break;
		memset(&b, 0, sizeof(b));
		while (i < n) {
			if (!quoted && (w[i] == ' ' || w[i] == '\t'))
				break;
			if (w[i] == '\\') {
				size_t m = 0;

				while (i < n && w[i] == '\\') {
					m++;
					i++;
				}
				if (i < n && w[i] == '"') {
					sb_rep(&b, '\\', m / 2);
					if (m % 2) {
						sb_put(&b, '"');
						i++;
					}
				} else {
					sb_rep(&b, '\\', m);
				}
			} else if (w[i] == '"') {
				if (quoted && i + 1 < n && w[i + 1] == '"') {
					sb_put(&b, '"');
					i += 2;
				} else {
					quoted = !quoted;
					i++;
				}
			} else {
				utf16_put8(&b, w, n, &i);
			}
		}
		argv[argc++] = b.p ? b.p : strdup("");
	}
	return argc;
}

static void
free_words(char **argv, size_t argc)
{
	while (argc)
		free(argv[--argc]);
}

/* argv through WSL then MSVC: true if every word comes back unchanged. */
static bool
wsl_roundtrip(char *const *argv, size_t argc)
{
	char *line = wsl_format(argv, argc), *got[MAX_WORDS];
	uint16_t w[16384];
	long n = utf8_to_16(line, w, sizeof(w) / sizeof(w[0]));
	size_t gotc, i;
	bool same;

	free(line);
	if (n < 0)
		return false;
	gotc = msvc_parse(w, (size_t)n, got);
	same = gotc == argc;
	for (i = 0; same && i < argc; i++)
		same = strcmp(got[i], argv[i]) == 0;
	if (!same) {
		printf("    argv (%zu words) came back as %zu words:\n", argc,
		    gotc);
		for (i = 0; i < gotc; i++)
			printf("      [%zu] <%s>\n", i, got[i]);
	}
	free_words(got, gotc);
	return same;
}

/* Parse a command line given in UTF-8 with the MSVC rules. */
static size_t
msvc_parse8(const char *line, char **argv)
{
	uint16_t w[16384];
	long n = utf8_to_16(line, w, sizeof(w) / sizeof(w[0]));

	return n < 0 ? 0 : msvc_parse(w, (size_t)n, argv);
}

TEST(test_wslargv_port_known_lines)
{
	/* the examples of Microsoft's table of parsing results */
	static const struct {
		const char *line, *words[4];
	} ex[] = {
		{ "p \"abc\" d e", { "abc", "d", "e" } },
		{ "p a\\\\b d\"e f\"g h", { "a\\\\b", "de fg", "h" } },
		{ "p a\\\\\\\"b c d", { "a\\\"b", "c", "d" } },
		{ "p a\\\\\\\\\"b c\" d e", { "a\\\\b c", "d", "e" } },
		{ "p a\"b\"\" c d", { "ab\" c d" } },
	};
	size_t i, j, argc;
	char *argv[MAX_WORDS];

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		argc = msvc_parse8(ex[i].line, argv);
		for (j = 0; j < 4 && ex[i].words[j]; j++) {
			CHECK(argc > j + 1);
			if (argc > j + 1)
				CHECK_STR(argv[j + 1], ex[i].words[j]);
		}
		CHECK_INT(argc, j + 1);
		free_words(argv, argc);
	}
	/* and WSL's quoting of a few words, as its rule says */
	{
		char *a[] = { "x.exe", "", "a b", "a\"b", "c:\\p q\\", "\\\"" };
		char *line = wsl_format(a, 6);

		CHECK_STR(line, "x.exe \"\" \"a b\" \"a\\\"b\" \"c:\\p q\\\\\" "
		    "\"\\\\\\\"\"");
		free(line);
	}
}

TEST(test_wslargv_port_hostile)
{
	static char *hostile[] = {
		"", " ", "  ", "\t", "a b", "\"", "\"\"", "a\"b", "\\", "\\\\",
		"a\\", "a\\\\", "\\\"", "\\\\\"", "a\\\"b", "\"a b\"",
		"C:\\Program Files\\AzureEFLOW\\", "tab\there", "line\nbreak",
		"cr\rlf", "\\\\server\\share\\", "x\\\\\\\\\"y\"\\",
		"\u2018single\u2019 \u201cdouble\u201d", "NVIDIA \u2018A2\u2019",
		"'it''s'", "$(Stop-EflowVm); exit 0", "a & b | c > d ^ %PATH% !x!",
		"emoji \xf0\x9f\x98\x80 end", "-EncodedCommand", "=", "+/=-",
	};
	size_t n = sizeof(hostile) / sizeof(hostile[0]), i;
	char *argv[3] = { "powershell.exe", NULL, NULL };

	for (i = 0; i < n; i++) {
		argv[1] = hostile[i];
		if (!CHECK(wsl_roundtrip(argv, 2)))
			printf("    the word was <%s>\n", hostile[i]);
	}
	/* all of them in one argv */
	{
		char *all[MAX_WORDS];

		all[0] = "powershell.exe";
		memcpy(all + 1, hostile, n * sizeof(*all));
		CHECK(wsl_roundtrip(all, n + 1));
	}
}

TEST(test_wslargv_port_random)
{
	/* words from the characters that matter to both rules, by a fixed
	 * linear congruential sequence so a failure repeats */
	static const char *const atoms[] = { "a", " ", "\t", "\"", "\\", "\n",
		"\u2019", "\u201c", "b", "\\\\" };
	uint32_t seed = 12345;
	int round, bad = 0;

	for (round = 0; round < 3000 && bad < 3; round++) {
		char *argv[6] = { "powershell.exe" };
		struct sbuf w[5];
		int k, nw;

		seed = seed * 1103515245u + 12345u;
		nw = 1 + (int)((seed >> 16) % 5);
		for (k = 0; k < nw; k++) {
			int len, c;

			memset(&w[k], 0, sizeof(w[k]));
			seed = seed * 1103515245u + 12345u;
			len = (int)((seed >> 16) % 8);
			for (c = 0; c < len; c++) {
				seed = seed * 1103515245u + 12345u;
				sb_cat(&w[k], atoms[(seed >> 16) % 10]);
			}
			argv[k + 1] = w[k].p ? w[k].p : (char *)"";
		}
		if (!CHECK(wsl_roundtrip(argv, (size_t)nw + 1)))
			bad++;
		for (k = 0; k < nw; k++)
			free(w[k].p);
	}
}

/* ---- the ssh route ----------------------------------------------------- */

/* Characters cmd.exe (the default shell of Windows' OpenSSH server) acts
 * on in a command line, and what a POSIX sh does: a word free of them is
 * passed on as it is. */
static bool
shell_inert(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
		if (strchr("&|<>^()%!\"'`$;*?[]{}~#\\", *s))
			return false;
	}
	return true;
}

/* `sh -c "printf '%s\0' JOINED"`: the words a POSIX sh makes of the line
 * ssh would send; returns their number, or -1. */
static long
sh_words(const char *joined, char **argv)
{
	struct sbuf cmd = { 0 };
	char *sh[] = { "/bin/sh", "-c", NULL, NULL };
	struct vr_run r = { .argv = sh, .out_max = 65536, .err_max = 65536 };
	size_t k;
	long argc = 0;

	sb_cat(&cmd, "printf '%s\\0' ");
	sb_cat(&cmd, joined);
	sh[2] = cmd.p;
	if (vr_run(&r) < 0 || !r.exited || r.exit_code != 0)
		argc = -1;
	for (k = 0; argc >= 0 && k < r.out_len && argc < MAX_WORDS; argc++) {
		argv[argc] = strdup(r.out + k);
		k += strlen(r.out + k) + 1;
	}
	vr_run_free(&r);
	free(cmd.p);
	return argc;
}

/* The remote words `powershell ARGS...` as ssh sends them: joined by one
 * space, re-parsed by cmd.exe + the MSVC rules and by a POSIX sh. */
static bool
ssh_roundtrip(char *const *argv, size_t argc, bool say)
{
	struct sbuf j = { 0 };
	char *got[MAX_WORDS];
	size_t i, gotc;
	long shc;
	bool ok = true;

	for (i = 0; i < argc; i++) {
		if (!shell_inert(argv[i])) {
			if (say)
				printf("    a shell would act on word [%zu] <%s>\n", i,
			    argv[i]);
			ok = false;
		}
		if (i)
			sb_put(&j, ' ');
		sb_cat(&j, argv[i]);
	}
	gotc = msvc_parse8(j.p, got);
	ok = ok && gotc == argc;
	for (i = 0; ok && i < argc; i++)
		ok = strcmp(got[i], argv[i]) == 0;
	free_words(got, gotc);
	shc = sh_words(j.p, got);
	if (shc < 0 || (size_t)shc != argc)
		ok = false;
	for (i = 0; shc > 0 && i < (size_t)shc; i++) {
		if (ok && strcmp(got[i], argv[i]) != 0)
			ok = false;
		free(got[i]);
	}
	if (!ok && say)
		printf("    ssh line: <%s>\n", j.p);
	free(j.p);
	return ok;
}

TEST(test_wslargv_ssh_route_port)
{
	char *inert[] = { "powershell", "-NoProfile", "-NonInteractive",
		"-EncodedCommand", "JABFAHIAcgBvAHIAQQBjAHQAaQBvAG4A+/9=" };
	char *pipeline[] = { "powershell", "-NoProfile", "-Command",
		"Get-EflowVm | ConvertTo-Json" };
	char *quoted[] = { "powershell", "-Command", "'NVIDIA A2'" };

	CHECK(ssh_roundtrip(inert, 5, true));
	/* what -Command with a pipeline did before: the shells split it */
	CHECK(!ssh_roundtrip(pipeline, 4, false));
	CHECK(!ssh_roundtrip(quoted, 3, false));
}

/* ---- the argv vmrecon builds ------------------------------------------- */

/* base64 (RFC 4648, padded) back to bytes; -1 if it is not. */
static long
b64_decode(const char *s, unsigned char *out, size_t outsz)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	    "rstuvwxyz0123456789+/";
	size_t len = strlen(s), i, n = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i++) {
		const char *c = strchr(al, s[i]);

		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (!c || !s[i] || pad)
			return -1;
		acc = (acc << 6) | (uint32_t)(c - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == outsz)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return pad > 2 ? -1 : (long)n;
}

/* The script the -EncodedCommand word carries, as UTF-8. */
static char *
decoded_script(const char *b64)
{
	static unsigned char raw[65536];
	uint16_t w[32768];
	long n = b64_decode(b64, raw, sizeof(raw));
	size_t i, k;
	struct sbuf b = { 0 };

	if (n < 0 || n % 2)
		return NULL;
	for (k = 0; k < (size_t)n / 2; k++)
		w[k] = (uint16_t)(raw[2 * k] | raw[2 * k + 1] << 8);
	for (i = 0; i < k;)
		utf16_put8(&b, w, k, &i);
	return b.p ? b.p : strdup("");
}

/* One script through vr_ps_argv behind each kind of launcher: the argv
 * survives WSL's interop (a local powershell.exe), and the ssh route (the
 * words after `ssh admin@host`), and the last word decodes to the script. */
static void
check_vmrecon_argv(const char *script)
{
	static const char *const launchers[] = { "powershell.exe",
		"/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
		"ssh admin@host powershell",
		"ssh -o BatchMode=yes admin@host powershell.exe" };
	size_t l, argc, skip;
	char **argv, *back;
	struct vr_ps *ps;

	for (l = 0; l < sizeof(launchers) / sizeof(launchers[0]); l++) {
		struct vr_ps_options o = { .target = launchers[l] };

		if (!CHECK(vr_ps_open(&ps, &o) == 0))
			continue;
		if (!CHECK(vr_ps_argv(&argv, &argc, ps, script) == 0)) {
			vr_ps_free(ps);
			continue;
		}
		if (strncmp(argv[0], "ssh", 3) == 0) {
			/* ssh sends the words after its options and host */
			for (skip = 1; skip < argc && strchr(argv[skip], '@') ==
			    NULL; skip++)
				;
			CHECK(ssh_roundtrip(argv + skip + 1,
			    argc - skip - 1, true));
		} else {
			CHECK(wsl_roundtrip(argv, argc));
		}
		CHECK_STR(argv[argc - 2], "-EncodedCommand");
		back = decoded_script(argv[argc - 1]);
		CHECK_STR(back, script);
		free(back);
		vr_ps_argv_free(argv);
		vr_ps_free(ps);
	}
}

TEST(test_wslargv_vmrecon_argv)
{
	static const char *const names[] = { "NVIDIA A2",
		"Intel(R) UHD Graphics 630", "NVIDIA \u2018Quadro\u2019 RTX",
		"O'Brien\u2019s \u201cGPU\u201d \"q\" \\\\ | ; & $(x) `n %PATH%",
		"\\\\\"\\", "\xf0\x9f\x98\x80 \u00e9" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *q = vr_ps_quote(names[i]);
		char *body = vr_asprintf("$r = Set-EflowVM -cpuCount 2 "
		    "-memoryInMB 4096 -gpuName %s -gpuPassthroughType "
		    "'ParaVirtualization' -gpuCount 1 -headless 6>&1\n"
		    "$vrOut = [string]$r\n", q);
		char *script = vr_ps_script("AzureEFLOW", body);

		check_vmrecon_argv(script);
		free(script);
		free(body);
		free(q);
	}
}

/* The worker's loop goes the same way, once per worker. */
TEST(test_wslargv_vmrecon_worker_argv)
{
	char *script = vr_psworker_script("AzureEFLOW");

	check_vmrecon_argv(script);
	free(script);
}

TEST(test_wslargv_vmrecon_argv_random)
{
	/* bodies of random characters, quotes and line breaks included */
	static const char *const atoms[] = { "a", " ", "'", "\"", "\\", "\n",
		"\u2019", "\u201c", "$", "|", "\t", "\xf0\x9f\x98\x80" };
	uint32_t seed = 777;
	int round;

	for (round = 0; round < 200; round++) {
		struct sbuf b = { 0 };
		char *script;
		int len, c;

		seed = seed * 1103515245u + 12345u;
		len = (int)((seed >> 16) % 60);
		for (c = 0; c < len; c++) {
			seed = seed * 1103515245u + 12345u;
			sb_cat(&b, atoms[(seed >> 16) % 12]);
		}
		script = vr_ps_script("AzureEFLOW", b.p ? b.p : "");
		check_vmrecon_argv(script);
		free(script);
		free(b.p);
	}
}

/* The largest script vr_ps_argv accepts still fits Windows' command-line
 * limit of 32767 UTF-16 units after WSL joins it. */
TEST(test_wslargv_vmrecon_argv_fits_createprocess)
{
	struct vr_ps *ps;
	char **argv, *line, *script;
	size_t argc, pad;
	int rc = 0;

	CHECK_INT(vr_ps_open(&ps, &(struct vr_ps_options){ .target =
	    "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe" }),
	    0);
	for (pad = 1000; pad < 40000; pad += 500) {
		char *body = malloc(pad + 1);

		memset(body, 'x', pad);
		body[pad] = '\0';
		script = vr_ps_script("AzureEFLOW", body);
		free(body);
		rc = vr_ps_argv(&argv, &argc, ps, script);
		free(script);
		if (rc != 0)
			break;
		line = wsl_format(argv, argc);
		CHECK(strlen(line) < 32767);
		free(line);
		vr_ps_argv_free(argv);
	}
	CHECK_INT(rc, VR_EINVALID);
	vr_ps_free(ps);
}
