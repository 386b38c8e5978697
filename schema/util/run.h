/*
 * run.h - the one way vmrecon runs another program: fork and exec an argv
 * (no shell), feed it stdin bytes, capture stdout and stderr into bounded
 * buffers, and end it at a deadline.  The PowerShell launcher, ssh-keygen
 * and the watch daemon's git helper (gitops/gitproto.c) go through vr_run().
 *
 * The child gets its own process group (a deadline, an over-long output
 * or an interrupt, interrupt.h, kills the whole group; once interrupted
 * no child is started), dies with vmrecon (PR_SET_PDEATHSIG, SIGKILL),
 * starts with an empty signal mask and SIGPIPE at its default, and
 * inherits no descriptor but 0, 1 and 2.  Between fork and exec the child
 * makes async-signal-safe calls only, so a program with threads (the watch
 * daemon's notification thread) may call vr_run.
 */
#ifndef VR_RUN_H
#define VR_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vr_run {
	/* in */
	char *const *argv;    /* argv[0] is looked up in PATH */
	int exact_path;       /* argv[0] is a path run as given (execv): no
	                       * PATH search, and a file that is no program
	                       * fails with ENOEXEC instead of going to sh */
	int by_fd;            /* with exact_path: run the file open on
	                       * exec_fd (fexecve), which argv[0] only names:
	                       * what runs is what the caller checked
	                       * (trust.h).  The program keeps it open, as a
	                       * script's interpreter reads it as /dev/fd/N */
	int exec_fd;
	const void *in;       /* stdin bytes; NULL = /dev/null */
	size_t in_len;
	size_t out_max;       /* stdout beyond this kills the child */
	size_t err_max;       /* stderr beyond this is read and dropped */
	int err_inherit;      /* stderr is ours, not captured: the child's
	                       * messages reach our log as it writes them */
	int timeout_ms;       /* > 0: the deadline for all of it */

	/* out (vr_run_free releases the buffers) */
	char *out, *err;      /* NUL-terminated, never NULL after vr_run
	                       * (err is "" with err_inherit) */
	size_t out_len, err_len;
	int out_over;         /* stdout passed out_max: killed */
	int err_over;         /* stderr passed err_max: cut */
	int timed_out;        /* the deadline passed: killed */
	int exec_errno;       /* exec failed with this errno (0: ran) */
	int exited;           /* exited normally with exit_code */
	int exit_code;
	int signal;           /* else killed by this signal */
};

/* Run r->argv.  Returns 0 when the child ran and was reaped (read
 * exited/exit_code/signal), VR_ETIMEOUT past the deadline, VR_EINTR after
 * an interrupt, VR_EINVALID
 * when stdout passed out_max, VR_ERROR when it could not be started
 * (exec_errno says why if exec failed), with a message naming argv[0].  The
 * child is reaped in every case; what it printed is kept in every case. */
int vr_run(struct vr_run *r);

void vr_run_free(struct vr_run *r);

/*
 * A child that keeps running between calls (the PowerShell worker,
 * backends/psworker.h): vr_spawn starts `argv` as vr_run does (its own
 * process group, PR_SET_PDEATHSIG, nothing inherited but 0, 1 and 2, a
 * clean signal state) with a pipe to each of its stdin, stdout and
 * stderr.  Our ends are non-blocking and close-on-exec, so no later child
 * of vmrecon holds its stdin open: when we close it (or die) the child
 * reads EOF.
 */
struct vr_child {
	pid_t pid;        /* -1 once reaped */
	int in, out, err; /* our ends; -1 once closed */
	int status;       /* the wait status once reaped */
};

/* 0 and *c running; VR_ERROR when it could not be started (*exec_errno
 * says why when exec itself failed), with nothing left open. */
int vr_spawn(struct vr_child *c, char *const *argv, int exact_path,
    int *exec_errno);
/* Close our end of its stdin: it reads EOF. */
void vr_child_close_in(struct vr_child *c);
/* 1 when the child has exited (then what is left of its process group is
 * killed, the child reaped and c->status set), 0 while it runs. */
int vr_child_poll(struct vr_child *c);
/* Kill its process group (and the child, should it have left it), reap
 * it and close our ends.  Harmless on a child already reaped. */
void vr_child_kill(struct vr_child *c);
/* Give the child until `deadline` (monotonic ms) to exit by itself, then
 * vr_child_kill; 1 when it had exited by itself. */
int vr_child_wait(struct vr_child *c, int64_t deadline);

/* Around writes to a child's stdin: SIGPIPE blocked in this thread, and
 * one we caused taken before it is unblocked (write fails with EPIPE). */
void vr_sigpipe_block(sigset_t *old, int *was_pending);
void vr_sigpipe_restore(const sigset_t *old, int was_pending);

#endif
