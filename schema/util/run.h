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

#include <stddef.h>

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

#endif
