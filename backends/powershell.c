/*
 * powershell.c - the runner: build encoded PowerShell scripts, and run each
 * body through the persistent worker (psworker.c) or, per call, through a
 * launcher started with vr_run (schema/util/run.h): stdin is /dev/null,
 * stdout and stderr are bounded, a deadline kills the child's process
 * group, and the child dies with vmrecon (PR_SET_PDEATHSIG).  That ends
 * the Linux side only: a powershell.exe that WSL interop or sshd started
 * on Windows may outlive it (microsoft/WSL#2151, #3760); a worker ends
 * itself when its stdin closes, which vmrecon's death does too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/util/base64.h"
#include "../schema/util/clock.h"
#include "../schema/util/error.h"
#include "../schema/util/run.h"
#include "backend.h"
#include "powershell.h"
#include "psworker.h"

#define EXCERPT_MAX 400 /* bytes of a pipeline or stderr quoted in errors */

struct vr_ps {
	char *launcher;
	char **argv; /* the launcher's words, NULL-terminated */
	size_t argc;
	char *module; /* or NULL */
	int timeout_ms;
	int per_call;
	unsigned long max_requests;
	int64_t max_age_ms;
	struct vr_psworker *w; /* the worker, or NULL */
	int64_t w_born;        /* when it started (monotonic ms) */
	unsigned long w_served; /* requests it took */
	unsigned long starts, requests, next_id;
};

json_t *
vr_ps_json_object(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *root;
	size_t flen;
	char got[96], *fixed = vr_ps_utf8_repair(text, len, &flen);

	root = json_loadb(fixed, flen, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		vr_ps_excerpt(got, sizeof(got), fixed, flen);
		vr_error_set(VR_EBACKEND, "the observe script printed no JSON "
		    "object (%s at line %d column %d): '%s'",
		    root ? "not an object" : jerr.text, jerr.line, jerr.column,
		    got);
		json_decref(root);
		root = NULL;
	}
	free(fixed);
	return root;
}

void
vr_ps_excerpt(char *dst, size_t dstsz, const char *s, size_t len)
{
	size_t i, n = 0, max = dstsz - 4;
	int blank = 1, cut = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && blank)
			continue;
		if (n == max) {
			cut = 1;
			break;
		}
		blank = c == ' ';
		dst[n++] = (char)c;
	}
	if (cut && ((unsigned char)s[i] & 0xc0) == 0x80) {
		/* cut inside a UTF-8 sequence: drop its first bytes too */
		while (n > 0 && ((unsigned char)dst[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	if (cut)
		dst[n++] = '.', dst[n++] = '.', dst[n++] = '.';
	dst[n] = '\0';
}

int
vr_ps_split(char ***out, size_t *argc, const char *launcher)
{
	char **v = vr_calloc(VR_PS_MAX_ARGS + 1, sizeof(*v));
	const char *p = launcher;
	size_t n = 0;

	*out = NULL;
	*argc = 0;
	for (;;) {
		size_t w;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w = strcspn(p, " \t");
		if (n == VR_PS_MAX_ARGS) {
			vr_error_set(VR_EINVALID, "launcher '%s' has more than "
			    "%d words", launcher, VR_PS_MAX_ARGS);
			goto fail;
		}
		v[n++] = vr_strndup(p, w);
		p += w;
	}
	if (n == 0) {
		vr_error_set(VR_EINVALID, "empty PowerShell launcher");
		goto fail;
	}
	*out = v;
	*argc = n;
	return 0;
fail:
	while (n > 0)
		free(v[--n]);
	free(v);
	return VR_EINVALID;
}

/* A module name safe to write bare after Import-Module. */
static int
module_ok(const char *m)
{
	return *m && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789._-") == strlen(m);
}

int
vr_ps_open(struct vr_ps **out, const struct vr_ps_options *o)
{
	const char *launcher = o->target ? o->target : "";
	struct vr_ps *ps;
	int rc, per_call = 0;

	*out = NULL;
	if (strncmp(launcher, VR_PS_PER_CALL_PREFIX,
	    strlen(VR_PS_PER_CALL_PREFIX)) == 0) {
		per_call = 1;
		launcher += strlen(VR_PS_PER_CALL_PREFIX);
	}
	if (!*launcher)
		launcher = VR_PS_DEFAULT_LAUNCHER;
	if (o->module && !module_ok(o->module))
		return vr_error_set(VR_EINVALID, "PowerShell module name '%s' "
		    "has characters other than [A-Za-z0-9._-]", o->module);
	ps = vr_calloc(1, sizeof(*ps));
	rc = vr_ps_split(&ps->argv, &ps->argc, launcher);
	if (rc < 0) {
		free(ps);
		return rc;
	}
	ps->launcher = vr_strdup(launcher);
	ps->module = o->module ? vr_strdup(o->module) : NULL;
	ps->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms :
	    VR_PS_DEFAULT_TIMEOUT_MS;
	ps->per_call = per_call;
	ps->max_requests = o->max_requests ? o->max_requests :
	    VR_PS_WORKER_MAX_REQUESTS;
	ps->max_age_ms = o->max_age_ms > 0 ? o->max_age_ms :
	    VR_PS_WORKER_MAX_AGE_MS;
	*out = ps;
	return 0;
}

void
vr_ps_free(struct vr_ps *ps)
{
	size_t i;

	if (!ps)
		return;
	vr_psworker_stop(ps->w);
	for (i = 0; i < ps->argc; i++)
		free(ps->argv[i]);
	free(ps->argv);
	free(ps->launcher);
	free(ps->module);
	free(ps);
}

unsigned long
vr_ps_starts(const struct vr_ps *ps)
{
	return ps->starts;
}

unsigned long
vr_ps_requests(const struct vr_ps *ps)
{
	return ps->requests;
}

int
vr_ps_per_call(const struct vr_ps *ps)
{
	return ps->per_call;
}

pid_t
vr_ps_worker_pid(const struct vr_ps *ps)
{
	return vr_psworker_pid(ps->w);
}

const char *
vr_ps_launcher(const struct vr_ps *ps)
{
	return ps->launcher;
}

/* The UTF-8 length of a PowerShell quote character at `s`, or 0: ' and
 * U+2018..U+201B (E2 80 98..9B), which PowerShell also ends strings on. */
static size_t
quote_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == '\'')
		return 1;
	if (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9b)
		return 3;
	return 0;
}

char *
vr_ps_quote(const char *s)
{
	size_t i, n = 0, len = strlen(s);
	char *q = vr_malloc(2 * len + 3);

	q[n++] = '\'';
	for (i = 0; i < len;) {
		size_t ql = quote_len(s + i);

		if (ql) {
			memcpy(q + n, s + i, ql);
			memcpy(q + n + ql, s + i, ql);
			n += 2 * ql;
			i += ql;
		} else {
			q[n++] = s[i++];
		}
	}
	q[n++] = '\'';
	q[n] = '\0';
	return q;
}

/*
 * The frame of every script.  Windows PowerShell 5.1 syntax only.
 * - Stop: a cmdlet's non-terminating error ends the script in the catch.
 * - SilentlyContinue progress: no progress records in redirected output.
 * - UTF-8 without BOM on stdout (5.1 writes the OEM code page otherwise);
 *   setting it may fail without a console, which is harmless: the result
 *   is parsed byte-tolerantly.
 * - Import-Module inside the try: a missing module is a clear error.
 * - The catch writes the message itself: with -EncodedCommand and no tty,
 *   5.1 would write errors as #< CLIXML (PowerShell/PowerShell#16678).
 * - exit 1 / exit 0: the exit code says it, whatever $? was
 *   (PowerShell/PowerShell#13501).
 */
static const char script_head[] =
    "$ErrorActionPreference = 'Stop'\n"
    "$ProgressPreference = 'SilentlyContinue'\n"
    "try { [Console]::OutputEncoding = "
    "New-Object System.Text.UTF8Encoding $false } catch { }\n"
    "try {\n";
static const char script_tail[] =
    "[Console]::Out.Write(\"`n" VR_PS_SENTINEL "`n\" + $vrOut + \"`n\")\n"
    "[Console]::Out.Flush()\n"
    "} catch {\n"
    "[Console]::Error.WriteLine('vmrecon: ' + $_.Exception.Message)\n"
    "exit 1\n"
    "}\n"
    "exit 0\n";

char *
vr_ps_script(const char *module, const char *body)
{
	char *imp = module ? vr_asprintf("Import-Module %s\n", module) :
	    vr_strdup("");
	char *s = vr_asprintf("%s%s$vrOut = ''\n%s\n%s", script_head, imp,
	    body, script_tail);

	free(imp);
	return s;
}

/* Decode one UTF-8 sequence at s[*i] (n bytes in all) into *cp; 0 or -1
 * for an invalid, overlong, surrogate or truncated sequence. */
static int
utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
	unsigned char c = s[*i];
	size_t k, len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if ((c & 0xe0) == 0xc0)
		len = 2, v = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, v = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, v = c & 0x07, min = 0x10000;
	else
		return -1;
	if (*i + len > n)
		return -1;
	for (k = 1; k < len; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (s[*i + k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	*i += len;
	return 0;
}

int
vr_ps_utf8_invalid(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len)
		if (utf8_next((const unsigned char *)s, len, &i, &cp) < 0)
			return 1;
	return 0;
}

char *
vr_ps_utf8_repair(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	char *o = vr_malloc(3 * len + 1);
	size_t i = 0, n = 0, j;
	uint32_t cp;

	while (i < len) {
		j = i;
		if (utf8_next(u, len, &i, &cp) == 0) {
			memcpy(o + n, s + j, i - j);
			n += i - j;
		} else {
			memcpy(o + n, "\xef\xbf\xbd", 3);
			n += 3;
			i = j + 1;
		}
	}
	o[n] = '\0';
	*outlen = n;
	return o;
}

int
vr_ps_argv(char ***out, size_t *argc, const struct vr_ps *ps,
    const char *script)
{
	const unsigned char *s = (const unsigned char *)script;
	size_t i = 0, n = strlen(script), u = 0, k;
	unsigned char *le = vr_malloc(4 * n + 2);
	char **v, *b64;
	uint32_t cp;

	*out = NULL;
	*argc = 0;
	while (i < n) {
		if (utf8_next(s, n, &i, &cp) < 0) {
			free(le);
			return vr_error_set(VR_EINVALID, "a PowerShell script "
			    "is not valid UTF-8 at byte %zu", i);
		}
		if (cp >= 0x10000) { /* a surrogate pair */
			uint32_t hi = 0xd800 + ((cp - 0x10000) >> 10);
			uint32_t lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);

			le[u++] = (unsigned char)(hi & 0xff);
			le[u++] = (unsigned char)(hi >> 8);
			cp = lo;
		}
		le[u++] = (unsigned char)(cp & 0xff);
		le[u++] = (unsigned char)(cp >> 8);
	}
	b64 = vr_base64(le, u);
	free(le);
	if (strlen(b64) > VR_PS_MAX_ENCODED) {
		k = strlen(b64);
		free(b64);
		return vr_error_set(VR_EINVALID, "a PowerShell script encodes "
		    "to %zu characters, more than %d", k, VR_PS_MAX_ENCODED);
	}
	v = vr_calloc(ps->argc + 7, sizeof(*v));
	for (k = 0; k < ps->argc; k++)
		v[k] = vr_strdup(ps->argv[k]);
	v[k++] = vr_strdup("-NoProfile");
	v[k++] = vr_strdup("-NonInteractive");
	/* without it, a redirected pwsh also writes Write-Host lines to
	 * stderr as #< CLIXML (seen with pwsh 7.6.9) */
	v[k++] = vr_strdup("-OutputFormat");
	v[k++] = vr_strdup("Text");
	v[k++] = vr_strdup("-EncodedCommand");
	v[k++] = b64;
	*out = v;
	*argc = k;
	return 0;
}

void
vr_ps_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int
vr_ps_result(const char *what, const char *text, size_t len,
    const char **res, size_t *reslen, size_t *before_len)
{
	static const char sent[] = VR_PS_SENTINEL;
	size_t sl = sizeof(sent) - 1, i, found = SIZE_MAX;
	char got[EXCERPT_MAX + 4];

	/* the last line that is exactly the sentinel (CR LF or LF ended) */
	for (i = 0; i + sl <= len; i++) {
		if ((i > 0 && text[i - 1] != '\n') ||
		    memcmp(text + i, sent, sl) != 0)
			continue;
		if (i + sl < len && text[i + sl] != '\n' &&
		    !(text[i + sl] == '\r' && i + sl + 1 < len &&
		    text[i + sl + 1] == '\n'))
			continue;
		found = i;
	}
	if (found == SIZE_MAX) {
		vr_ps_excerpt(got, sizeof(got), text, len);
		*res = NULL;
		*reslen = *before_len = 0;
		return vr_error_set(VR_EBACKEND, "%s: PowerShell exited 0 "
		    "without a result%s%s", what, got[0] ? "; it printed: " :
		    " and printed nothing", got);
	}
	*before_len = found;
	i = found + sl;
	if (i < len && text[i] == '\r')
		i++;
	if (i < len && text[i] == '\n')
		i++;
	*res = text + i;
	*reslen = len - i;
	return 0;
}

/* The contents of a `#< CLIXML` stream's <S S="..."> elements (what was
 * written to a stream: Error, Warning, ...) with XML entities and _xHHHH_
 * escapes (CR, LF) turned into characters. */
char *
vr_ps_clixml_text(const char *s, size_t len)
{
	static const char magic[] = "#< CLIXML";
	char *o = vr_malloc(len + 1);
	size_t i = 0, n = 0;
	int in_s = 0;

	if (len < sizeof(magic) - 1 || memcmp(s, magic, sizeof(magic) - 1)) {
		memcpy(o, s, len);
		o[len] = '\0';
		return o;
	}
	while (i < len) {
		if (s[i] == '<') {
			/* <S S="Error">: a string of a stream */
			in_s = len - i > 6 && memcmp(s + i, "<S S=\"", 6) == 0;
			while (i < len && s[i] != '>')
				i++;
			i++;
			if (!in_s && n && o[n - 1] != ' ')
				o[n++] = ' ';
			continue;
		}
		if (!in_s) {
			i++;
			continue;
		}
		if (s[i] == '_' && i + 6 < len && s[i + 1] == 'x' &&
		    s[i + 6] == '_') {
			o[n++] = ' ';
			i += 7;
		} else if (s[i] == '&') {
			static const struct { const char *e; char c; } ent[] = {
				{ "&lt;", '<' }, { "&gt;", '>' },
				{ "&amp;", '&' }, { "&quot;", '"' },
				{ "&apos;", '\'' },
			};
			size_t k;

			for (k = 0; k < 5; k++)
				if (len - i >= strlen(ent[k].e) &&
				    memcmp(s + i, ent[k].e,
				    strlen(ent[k].e)) == 0)
					break;
			o[n++] = k < 5 ? ent[k].c : '&';
			i += k < 5 ? strlen(ent[k].e) : 1;
		} else {
			o[n++] = s[i++];
		}
	}
	o[n] = '\0';
	return o;
}

/* Run `argv`; on a clean exit 0 *out and *len get its stdout.  Errors name
 * `what` and quote stderr (decoded) and the start of stdout. */
static int
run_argv(struct vr_ps *ps, const char *what, char **argv, char **out,
    size_t *len)
{
	struct vr_run r = { .argv = argv, .out_max = VR_PS_MAX_OUTPUT,
	    .err_max = VR_PS_MAX_OUTPUT, .timeout_ms = ps->timeout_ms };
	char errtext[EXCERPT_MAX + 4], said[EXCERPT_MAX + 4], *plain;
	int rc;

	*out = NULL;
	*len = 0;
	ps->starts++;
	ps->requests++;
	rc = vr_run(&r);
	if (r.exec_errno) {
		rc = vr_error_set(VR_EBACKEND, "cannot run PowerShell "
		    "launcher '%s': %s", ps->argv[0], strerror(r.exec_errno));
		goto out;
	}
	if (r.out_over) {
		rc = vr_error_set(VR_EBACKEND, "%s via '%s' printed more "
		    "than %d bytes", what, ps->launcher, VR_PS_MAX_OUTPUT);
		goto out;
	}
	if (rc < 0 && !r.timed_out) {
		rc = vr_error_wrap(VR_ERROR, "cannot run %s", what);
		goto out;
	}
	plain = vr_ps_clixml_text(r.err, r.err_len);
	vr_ps_excerpt(errtext, sizeof(errtext), plain, strlen(plain));
	free(plain);
	vr_ps_excerpt(said, sizeof(said), r.out, r.out_len);
	if (r.timed_out) {
		rc = vr_error_set(VR_ETIMEOUT, "%s via '%s' did not finish "
		    "within %d ms (killed)%s%s", what, ps->launcher,
		    ps->timeout_ms, errtext[0] ? ": " : "", errtext);
		goto out;
	}
	if (r.signal) {
		rc = vr_error_set(VR_EBACKEND, "%s via '%s' was killed by "
		    "signal %d%s%s", what, ps->launcher, r.signal,
		    errtext[0] ? ": " : "", errtext);
		goto out;
	}
	if (!r.exited || r.exit_code != 0) {
		rc = vr_error_set(VR_EBACKEND, "%s via '%s' failed (exit "
		    "status %d): %s%s%s", what, ps->launcher,
		    r.exited ? r.exit_code : -1,
		    errtext[0] ? errtext : "(no error output)",
		    said[0] ? "; it printed: " : "", said);
		goto out;
	}
	*out = r.out;
	*len = r.out_len;
	r.out = NULL;
	rc = 0;
out:
	vr_run_free(&r);
	return rc;
}

/* One launcher start for `body`. */
static int
run_per_call(struct vr_ps *ps, const char *what, const char *body,
    char **out, size_t *len)
{
	char *script = vr_ps_script(ps->module, body), **argv = NULL;
	char *text = NULL;
	const char *res;
	size_t argc, tlen = 0, rlen, before;
	int rc;

	rc = vr_ps_argv(&argv, &argc, ps, script);
	free(script);
	if (rc == 0)
		rc = run_argv(ps, what, argv, &text, &tlen);
	vr_ps_argv_free(argv);
	if (rc == 0)
		rc = vr_ps_result(what, text, tlen, &res, &rlen, &before);
	if (rc == 0) {
		*out = vr_strndup(res, rlen);
		*len = rlen;
	}
	free(text);
	return rc;
}

/* The launcher does not keep stdin open: one start per call from now on,
 * said once on stderr. */
static void
fall_back(struct vr_ps *ps)
{
	vr_psworker_stop(ps->w);
	ps->w = NULL;
	ps->per_call = 1;
	vr_progress(true, "powershell", "the launcher '%s' does not keep "
	    "stdin open, so each call starts PowerShell anew (to ask for "
	    "that: %s%s)", ps->launcher, VR_PS_PER_CALL_PREFIX, ps->launcher);
}

/* Start a worker for the call `what`, until `deadline`; 1 when the
 * launcher cannot keep stdin open (then the caller falls back). */
static int
worker_start(struct vr_ps *ps, const char *what, int64_t deadline)
{
	char *script = vr_psworker_script(ps->module), **argv = NULL;
	size_t argc;
	int rc, no_stdin = 0;

	rc = vr_ps_argv(&argv, &argc, ps, script);
	free(script);
	if (rc < 0)
		return rc;
	ps->starts++;
	rc = vr_psworker_start(&ps->w, argv, ps->launcher, what,
	    ps->timeout_ms, deadline, &no_stdin);
	vr_ps_argv_free(argv);
	if (rc < 0 && no_stdin)
		return 1;
	ps->w_born = vr_clock_ms();
	ps->w_served = 0;
	return rc;
}

int
vr_ps_run(struct vr_ps *ps, const char *what, const char *body, char **out,
    size_t *len)
{
	int64_t deadline;
	int rc, no_stdin = 0;

	*out = NULL;
	*len = 0;
	if (ps->per_call)
		return run_per_call(ps, what, body, out, len);
	/* one that has served its time, or died while idle (nothing was
	 * sent to it): a fresh one */
	if (ps->w && (ps->w_served >= ps->max_requests ||
	    vr_clock_ms() - ps->w_born >= ps->max_age_ms ||
	    !vr_psworker_alive(ps->w))) {
		vr_psworker_stop(ps->w);
		ps->w = NULL;
	}
	/* the call's deadline covers a start it needs */
	deadline = vr_clock_ms() + ps->timeout_ms;
	if (!ps->w && (rc = worker_start(ps, what, deadline)) != 0) {
		if (rc < 0)
			return rc;
		fall_back(ps);
		return run_per_call(ps, what, body, out, len);
	}
	ps->requests++;
	ps->w_served++;
	rc = vr_psworker_call(ps->w, what, ++ps->next_id, body, ps->timeout_ms,
	    deadline, out, len, &no_stdin);
	if (no_stdin) {
		/* it read EOF before our request: the request never ran */
		ps->requests--;
		fall_back(ps);
		return run_per_call(ps, what, body, out, len);
	}
	if (!vr_psworker_alive(ps->w)) {
		vr_psworker_stop(ps->w);
		ps->w = NULL;
	}
	return rc;
}
