/*
 * powershell.h - run one PowerShell pipeline through a launcher command
 * (`powershell.exe` from WSL, `ssh admin@host powershell` from Linux) and
 * collect its output, bounded in size and time.
 *
 * The launcher is split on blanks into argv and executed directly (never by
 * a shell); vmrecon appends `-NoProfile -NonInteractive -Command PIPELINE`.
 * Strings that go into a pipeline are made PowerShell literals with
 * vr_ps_quote(), so no value is ever interpreted by PowerShell.
 */
#ifndef VR_POWERSHELL_H
#define VR_POWERSHELL_H

#include <stddef.h>

#define VR_PS_DEFAULT_LAUNCHER "powershell.exe"
#define VR_PS_DEFAULT_TIMEOUT_MS 120000
#define VR_PS_MAX_OUTPUT (1024 * 1024) /* stdout and stderr, each */
#define VR_PS_MAX_ARGS 64              /* words in a launcher */

struct vr_ps;

/* A runner for `launcher` (NULL or "" = powershell.exe); timeout_ms <= 0
 * means VR_PS_DEFAULT_TIMEOUT_MS.  VR_EINVALID for an unusable launcher. */
int vr_ps_open(struct vr_ps **out, const char *launcher, int timeout_ms);
void vr_ps_free(struct vr_ps *ps);

/* Run `pipeline`; on success *out is its stdout (NUL-terminated, owned by
 * the caller) and *len its length.  A launcher that cannot be started, a
 * non-zero exit, a signal, output over VR_PS_MAX_OUTPUT (VR_EBACKEND) or a
 * timeout (VR_ETIMEOUT: the child's process group is killed and reaped) is
 * an error naming the pipeline and quoting PowerShell's stderr. */
int vr_ps_run(struct vr_ps *ps, const char *pipeline, char **out,
    size_t *len);

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
