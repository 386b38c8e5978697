/*
 * powershell.h - run PowerShell scripts through a launcher command
 * (`powershell.exe` from WSL, `ssh admin@host powershell` from Linux) and
 * collect their results, bounded in size and time.
 *
 * The launcher is split on blanks into argv and executed directly (never by
 * a shell); vmrecon appends `-NoProfile -NonInteractive -OutputFormat Text
 * -EncodedCommand B` where B is the base64 of a script in UTF-16LE, so every word it adds is
 * made of [A-Za-z0-9+/=-] only: nothing a remote shell (cmd.exe, the
 * PowerShell behind ssh) or WSL's command-line quoting re-parses.
 *
 * Two ways to run a body (a script that sets $vrOut, a string):
 * - the worker (the default): the launcher is started once, its script a
 *   loop that imports the module once and then runs one body per request
 *   read from stdin (backends/psworker.h), until stdin closes, a deadline
 *   passes or the worker has served VR_PS_WORKER_MAX_REQUESTS requests or
 *   VR_PS_WORKER_MAX_AGE_MS; a later request starts a fresh one;
 * - per call (target "per-call:LAUNCHER", or automatically when the
 *   launcher does not keep stdin open): one launcher start per body, the
 *   script built by vr_ps_script().
 * Both run the body in the same frame: errors stop it, progress bars are
 * off, output is UTF-8, the module is imported, and the result comes after
 * VR_PS_SENTINEL.  What the host prints besides (Write-Host noise,
 * warnings) is kept for error messages and never parsed.  A failure is
 * written by the script itself (no #< CLIXML).
 *
 * Strings that go into a script are made PowerShell literals with
 * vr_ps_quote(), so no value is ever interpreted by PowerShell.
 */
#ifndef VR_POWERSHELL_H
#define VR_POWERSHELL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VR_PS_DEFAULT_LAUNCHER "powershell.exe"
#define VR_PS_DEFAULT_TIMEOUT_MS 120000
#define VR_PS_MAX_OUTPUT (1024 * 1024) /* stdout and stderr, each */
#define VR_PS_MAX_ARGS 64              /* words in a launcher */
/* Windows limits a command line to 32767 UTF-16 units (CreateProcess);
 * the encoded script stays well below it. */
#define VR_PS_MAX_ENCODED 30000
/* The line before the result; the last one printed counts.  A worker's
 * frames start with it too (psworker.h). */
#define VR_PS_SENTINEL "#vmrecon-result-4f1d9c#"
/* A target that asks for one launcher start per call. */
#define VR_PS_PER_CALL_PREFIX "per-call:"
/* A worker is replaced after this many requests or this long, whichever
 * comes first, so a leak in the host's module cannot grow without bound
 * (a watch at its default 1-minute interval starts one PowerShell an
 * hour, not 60). */
#define VR_PS_WORKER_MAX_REQUESTS 1000
#define VR_PS_WORKER_MAX_AGE_MS (60 * 60 * 1000)

struct vr_ps;

struct vr_ps_options {
	const char *target;   /* "[per-call:]LAUNCHER"; NULL or "" (or only
	                       * the prefix): powershell.exe */
	const char *module;   /* imported once per worker (per call when per
	                       * call); [A-Za-z0-9._-] only; NULL: none */
	int timeout_ms;       /* per call; <= 0: VR_PS_DEFAULT_TIMEOUT_MS */
	unsigned long max_requests; /* 0: VR_PS_WORKER_MAX_REQUESTS */
	int64_t max_age_ms;   /* 0: VR_PS_WORKER_MAX_AGE_MS */
};

/* A runner; nothing is started until the first call.  VR_EINVALID for an
 * unusable launcher or module name. */
int vr_ps_open(struct vr_ps **out, const struct vr_ps_options *o);
/* Stops the worker (its stdin closed, then its process group killed). */
void vr_ps_free(struct vr_ps *ps);

/* The whole script a per-call launcher start gets for `body` (which sets
 * $vrOut to the result string), importing `module` (NULL: none).  Caller
 * frees. */
char *vr_ps_script(const char *module, const char *body);

/* The argv vmrecon executes for `script` (a whole script, as from
 * vr_ps_script): the launcher's words, then -NoProfile -NonInteractive
 * -OutputFormat Text -EncodedCommand BASE64(UTF-16LE(script));
 * NULL-terminated, *argc words.  VR_EINVALID if the script is not valid UTF-8 or encodes to more than
 * VR_PS_MAX_ENCODED characters.  Free with vr_ps_argv_free. */
int vr_ps_argv(char ***out, size_t *argc, const struct vr_ps *ps,
    const char *script);
void vr_ps_argv_free(char **argv);

/* Run `body` (through the worker, or per call); `what` names the step in
 * errors ("observe", "Set-EflowVM").  On success *out is the result
 * (NUL-terminated, owned by the caller) and *len its length.  A launcher
 * that cannot be started, a failed script, a non-zero exit, a signal, a
 * worker that dies or answers garbage, output over VR_PS_MAX_OUTPUT, no
 * result (VR_EBACKEND) or a timeout (VR_ETIMEOUT: the process group is
 * killed and reaped) is an error naming `what` and quoting the host's own
 * words: its stderr (CLIXML decoded) and what it printed on stdout.  When
 * a worker dies, answers garbage or times out mid-call, whether the body
 * ran is unknown; the next call starts a fresh worker. */
int vr_ps_run(struct vr_ps *ps, const char *what, const char *body,
    char **out, size_t *len);

/* Find the result in `text` (a script's whole stdout): *res and *reslen
 * are what follows the last sentinel line, *before_len the length of what
 * precedes it.  VR_EBACKEND (message naming `what`, quoting the text) if
 * there is no sentinel. */
int vr_ps_result(const char *what, const char *text, size_t len,
    const char **res, size_t *reslen, size_t *before_len);

/* `len` bytes of `s` with every byte that is not part of valid UTF-8 (an
 * OEM code page byte from Windows PowerShell 5.1) replaced by U+FFFD;
 * NUL-terminated, *outlen bytes.  Caller frees. */
char *vr_ps_utf8_repair(const char *s, size_t len, size_t *outlen);

/* The JSON object an observe script printed: `len` bytes of `text`,
 * repaired to UTF-8 (vr_ps_utf8_repair) and loaded with duplicate keys
 * refused; NULL, with an error quoting what was printed, when it is not
 * one.  Caller decrefs. */
json_t *vr_ps_json_object(const char *text, size_t len);

/* 1 when `len` bytes of `s` are not valid UTF-8. */
int vr_ps_utf8_invalid(const char *s, size_t len);

/* The text of a stderr that may be `#< CLIXML` (Windows PowerShell's
 * error stream without a tty): the strings of its streams, entities and
 * _xHHHH_ escapes decoded; other text as is.  Caller frees. */
char *vr_ps_clixml_text(const char *s, size_t len);

/* Launcher starts so far through this runner (a worker's, or one per
 * call), and calls (requests) made. */
unsigned long vr_ps_starts(const struct vr_ps *ps);
unsigned long vr_ps_requests(const struct vr_ps *ps);
/* 1 when calls go one launcher start each (asked for, or fallen back). */
int vr_ps_per_call(const struct vr_ps *ps);
/* The running worker's launcher process id, or -1. */
pid_t vr_ps_worker_pid(const struct vr_ps *ps);
const char *vr_ps_launcher(const struct vr_ps *ps);

/* `s` as a single-quoted PowerShell string literal: every quote character
 * PowerShell accepts (' and U+2018..U+201B) is doubled, everything else is
 * literal (newlines, $(), ;, backticks, double quotes).  Caller frees. */
char *vr_ps_quote(const char *s);

/* Copy `len` bytes of `s` for an error message into dst (dstsz >= 8):
 * control characters become spaces, runs of blanks one space, ends
 * trimmed, cut to fit with "..." (never inside a UTF-8 sequence). */
void vr_ps_excerpt(char *dst, size_t dstsz, const char *s, size_t len);

/* Split `launcher` on blanks (space, tab) into a NULL-terminated argv of
 * at most VR_PS_MAX_ARGS words; VR_EINVALID if it has no word. */
int vr_ps_split(char ***out, size_t *argc, const char *launcher);

#endif
