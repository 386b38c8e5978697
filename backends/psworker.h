/*
 * psworker.h - one PowerShell that stays: the launcher is started once
 * with -EncodedCommand of a small loop (vr_psworker_script) that reads one
 * request per line on stdin and answers each with one frame line on
 * stdout.  Used by powershell.c (vr_ps_run); nothing in it knows
 * EFLOW but the module name it is given.
 *
 * Protocol, every byte of it in [A-Za-z0-9+/=], digits, blanks and LF, so
 * it survives WSL interop, `ssh host powershell` and any code page:
 *
 *   request  (vmrecon -> worker):  ID BASE64 LF
 *            ID: decimal, 1 up; BASE64: the UTF-8 text of
 *            vr_psworker_request(body)
 *   frame    (worker -> vmrecon):  LF SENTINEL KIND ID BASE64 LF
 *            SENTINEL: VR_PS_SENTINEL; BASE64: UTF-8 text (may be empty)
 *            KIND ready   ID 0: the module is imported, requests welcome
 *                 broken  ID 0: importing the module failed (the text)
 *                 ok      the request's result ($vrOut)
 *                 error   the request threw (the text: 'vmrecon: ' and
 *                         the message)
 *                 eof     stdin ended; ID: the lines it had read; the
 *                         worker exits, even in the middle of a request
 *
 * Every other line on stdout (Write-Host noise, warnings) belongs to the
 * request in progress and is kept for its error message only.  Anything
 * else is the worker's fault and makes the request's outcome unknown: a
 * frame of another ID or kind, bad base64, stdout ending before the
 * answer, more than VR_PS_MAX_OUTPUT of noise.  Past the deadline the
 * worker's whole process group is killed.
 */
#ifndef VR_PSWORKER_H
#define VR_PSWORKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* a request's base64, at most (the bodies vmrecon sends are ~2 KB) */
#define VR_PSWORKER_MAX_REQUEST (1024 * 1024)
/* after closing its stdin, how long a worker may take to exit before its
 * process group is killed */
#define VR_PSWORKER_EXIT_GRACE_MS 3000

struct vr_psworker;

/* The loop the launcher runs, importing `module` (NULL: none; else a
 * module name of [A-Za-z0-9._-] only) once.  Caller frees. */
char *vr_psworker_script(const char *module);

/* One request's text around `body` (which sets $vrOut): run in a scope of
 * its own, errors stop it.  Caller frees. */
char *vr_psworker_request(const char *body);

/* Start `argv` (the launcher with -EncodedCommand of the loop) and wait
 * until the worker is ready or `deadline` (monotonic ms) passes.  Errors
 * name `what` (the request it is started for) and `launcher`.  *no_stdin
 * is set when the worker read EOF on stdin before any request: the
 * launcher does not keep stdin open (the caller falls back). */
int vr_psworker_start(struct vr_psworker **out, char *const *argv,
    const char *launcher, const char *what, int timeout_ms, int64_t deadline,
    int *no_stdin);

/* Send `body` as request `id` and wait for its answer until `deadline`.
 * 0 and *out (NUL-terminated, *len bytes) for an ok frame.  An error
 * frame: VR_EBACKEND quoting the worker's words (the worker stays).  A
 * deadline (VR_ETIMEOUT), a worker that dies or answers garbage
 * (VR_EBACKEND, the outcome unknown): the worker is killed with its
 * process group and vr_psworker_alive says 0.  *no_stdin as for start
 * (then the request was never read). */
int vr_psworker_call(struct vr_psworker *w, const char *what,
    unsigned long id, const char *body, int timeout_ms, int64_t deadline,
    char **out, size_t *len, int *no_stdin);

/* 1 while the worker runs and can take a request. */
int vr_psworker_alive(struct vr_psworker *w);

/* The launcher's process id (its process group), -1 once it is gone. */
pid_t vr_psworker_pid(const struct vr_psworker *w);

/* Close its stdin (the loop ends on EOF), give it
 * VR_PSWORKER_EXIT_GRACE_MS, then kill its process group; free it. */
void vr_psworker_stop(struct vr_psworker *w);

#endif
