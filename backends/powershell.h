/*
 * powershell.h - run one PowerShell script through a launcher command
 * (`powershell.exe` from WSL, `ssh admin@host powershell` from Linux) and
 * collect its result, bounded in size and time.
 *
 * The launcher is split on blanks into argv and executed directly (never by
 * a shell); vmrecon appends `-NoProfile -NonInteractive -OutputFormat Text
 * -EncodedCommand B` where B is the base64 of the script in UTF-16LE, so every word it adds is
 * made of [A-Za-z0-9+/=-] only: nothing a remote shell (cmd.exe, the
 * PowerShell behind ssh) or WSL's command-line quoting re-parses.
 *
 * Every script is built by vr_ps_script() around a body: errors stop it,
 * progress bars are off, output is UTF-8, AzureEFLOW is imported, and the
 * body's result ($vrOut, a string) is printed after VR_PS_SENTINEL.  What
 * the host prints before the sentinel (Write-Host noise, warnings) is kept
 * for error messages and never parsed.  A failure is written to stderr by
 * the script itself (no #< CLIXML) and exits 1.
 *
 * Strings that go into a script are made PowerShell literals with
 * vr_ps_quote(), so no value is ever interpreted by PowerShell.
 */
#ifndef VR_POWERSHELL_H
#define VR_POWERSHELL_H

#include <stddef.h>

#define VR_PS_DEFAULT_LAUNCHER "powershell.exe"
#define VR_PS_DEFAULT_TIMEOUT_MS 120000
#define VR_PS_MAX_OUTPUT (1024 * 1024) /* stdout and stderr, each */
#define VR_PS_MAX_ARGS 64              /* words in a launcher */
/* Windows limits a command line to 32767 UTF-16 units (CreateProcess);
 * the encoded script stays well below it. */
#define VR_PS_MAX_ENCODED 30000
/* The line before the result; the last one printed counts. */
#define VR_PS_SENTINEL "#vmrecon-result-4f1d9c#"

struct vr_ps;

/* A runner for `launcher` (NULL or "" = powershell.exe); timeout_ms <= 0
 * means VR_PS_DEFAULT_TIMEOUT_MS.  VR_EINVALID for an unusable launcher. */
int vr_ps_open(struct vr_ps **out, const char *launcher, int timeout_ms);
void vr_ps_free(struct vr_ps *ps);

/* The whole script vmrecon sends for `body` (which sets $vrOut to the
 * result string).  Caller frees. */
char *vr_ps_script(const char *body);

/* The argv vmrecon executes for `script` (a whole script, as from
 * vr_ps_script): the launcher's words, then -NoProfile -NonInteractive
 * -OutputFormat Text -EncodedCommand BASE64(UTF-16LE(script));
 * NULL-terminated, *argc words.  VR_EINVALID if the script is not valid UTF-8 or encodes to more than
 * VR_PS_MAX_ENCODED characters.  Free with vr_ps_argv_free. */
int vr_ps_argv(char ***out, size_t *argc, const struct vr_ps *ps,
    const char *script);
void vr_ps_argv_free(char **argv);

/* Run vr_ps_script(body); `what` names the step in errors ("observe",
 * "Set-EflowVM").  On success *out is the text after the last sentinel
 * line (NUL-terminated, owned by the caller) and *len its length.  A
 * launcher that cannot be started, a non-zero exit, a signal, output over
 * VR_PS_MAX_OUTPUT, no sentinel (VR_EBACKEND) or a timeout (VR_ETIMEOUT:
 * the child's process group is killed and reaped) is an error naming
 * `what` and quoting the host's own words: its stderr (CLIXML decoded)
 * and what it printed on stdout. */
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

/* Invocations started so far through this runner. */
unsigned long vr_ps_calls(const struct vr_ps *ps);
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
