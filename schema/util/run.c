/*
 * run.c - vr_run(): fork/exec an argv with stdin bytes, bounded stdout and
 * stderr and a deadline on the monotonic clock (see run.h).  One poll()
 * loop feeds stdin and drains both outputs, so a child that prints while
 * we still write cannot deadlock either side.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "interrupt.h"
#include "run.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) /* linux/close_range.h, Linux 5.11 */
#endif

struct rbuf {
	char *p;
	size_t n, cap, max;
	int fd;
	int over;
};

/* Read what is there on b->fd; close it at EOF or on an error. */
static void
rbuf_read(struct rbuf *b)
{
	char tmp[65536];
	ssize_t r = read(b->fd, tmp, sizeof(tmp));
	size_t take;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		close(b->fd);
		b->fd = -1;
		return;
	}
	take = (size_t)r;
	if (take > b->max - b->n) {
		b->over = 1;
		take = b->max - b->n;
	}
	if (b->n + take + 1 > b->cap) {
		while (b->n + take + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = vr_realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, tmp, take);
	b->n += take;
	b->p[b->n] = '\0';
}

/* Mark every descriptor from 3 up close-on-exec, so the child inherits
 * only 0, 1 and 2 (and exec still reports through the errno pipe). */
static void
cloexec_all(void)
{
	long fd, max;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* In the child (async-signal-safe calls only): its own process group,
 * killed when `parent` dies (PR_SET_PDEATHSIG; the getppid() test closes
 * the race of a parent that died before the prctl), a clean signal state
 * (the watch daemon blocks signals and ignores SIGPIPE while it works),
 * then exec.  The errno of a failed exec goes to `exefd`.  errfd < 0:
 * stderr stays the parent's. */
static void
child_exec(char *const *argv, int exact_path, int exec_fd, int infd,
    int outfd, int errfd, int exefd, pid_t parent)
{
	sigset_t none;
	int e, in, out, err, xfd = -1;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (infd < 0)
		infd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* above 2 first, so no dup2 below overwrites a source */
	in = fcntl(infd, F_DUPFD_CLOEXEC, 3);
	out = fcntl(outfd, F_DUPFD_CLOEXEC, 3);
	err = errfd < 0 ? STDERR_FILENO : fcntl(errfd, F_DUPFD_CLOEXEC, 3);
	if (exec_fd >= 0)
		xfd = fcntl(exec_fd, F_DUPFD, 3);
	if (infd < 0 || in < 0 || out < 0 || err < 0 ||
	    (exec_fd >= 0 && xfd < 0) ||
	    dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    (err != STDERR_FILENO && dup2(err, STDERR_FILENO) < 0)) {
		e = errno;
	} else {
		cloexec_all();
		if (exec_fd >= 0) {
			if (fcntl(xfd, F_SETFD, 0) == 0)
				fexecve(xfd, argv, environ);
		} else if (exact_path) {
			execv(argv[0], argv);
		} else {
			execvp(argv[0], argv);
		}
		e = errno;
	}
	if (write(exefd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Kill the child's process group (and the child, should it have left
 * it), then reap the child. */
static void
kill_reap(pid_t pid, int *status)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* Wait for `pid` until `deadline` (INT64_MAX: none); 1 if reaped. */
static int
wait_until(pid_t pid, int *status, int64_t deadline)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return 1;
		if (w < 0 && errno != EINTR)
			return -1;
		if (vr_interrupted())
			return VR_EINTR;
		if (vr_clock_ms() >= deadline)
			return 0;
		if (w == 0)
			poll(NULL, 0, 5);
	}
}

/* Write what the pipe takes of the rest of stdin; close it when done or
 * when the child closed its end (EPIPE: it does not want more). */
static void
feed(int *fd, const char *in, size_t len, size_t *done)
{
	ssize_t w = write(*fd, in + *done, len - *done);

	if (w < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (w > 0)
		*done += (size_t)w;
	if (w < 0 || *done == len) {
		close(*fd);
		*fd = -1;
	}
}

/* The poll loop: feed stdin, drain stdout and stderr until both close,
 * stdout passes its bound or the deadline passes. */
static int
pump(struct vr_run *r, int *infd, struct rbuf *ob, struct rbuf *eb,
    int64_t deadline)
{
	size_t done = 0;

	while (ob->fd >= 0 || eb->fd >= 0) {
		struct pollfd pf[3];
		struct rbuf *who[3];
		int64_t left = deadline - vr_clock_ms();
		int np = 0, pr, i;

		if (left <= 0) {
			r->timed_out = 1;
			return VR_ETIMEOUT;
		}
		if (*infd >= 0) {
			pf[np].fd = *infd, pf[np].events = POLLOUT;
			who[np++] = NULL;
		}
		if (ob->fd >= 0) {
			pf[np].fd = ob->fd, pf[np].events = POLLIN;
			who[np++] = ob;
		}
		if (eb->fd >= 0) {
			pf[np].fd = eb->fd, pf[np].events = POLLIN;
			who[np++] = eb;
		}
		pr = poll(pf, (nfds_t)np, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno != EINTR)
			return vr_error_set(VR_ERROR, "%s: poll: %s",
			    r->argv[0], strerror(errno));
		if (vr_interrupted())
			return VR_EINTR;
		for (i = 0; pr > 0 && i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (who[i])
				rbuf_read(who[i]);
			else
				feed(infd, r->in, r->in_len, &done);
		}
		if (ob->over)
			return vr_error_set(VR_EINVALID, "%s printed more "
			    "than %zu bytes", r->argv[0], r->out_max);
	}
	return 0;
}

/* SIGPIPE from a write to a child that closed stdin must not kill
 * vmrecon: block it in this thread while we write, and take a SIGPIPE
 * we caused before unblocking (the usual idiom; write() then fails with
 * EPIPE instead).  See run.h. */
void
vr_sigpipe_block(sigset_t *old, int *was_pending)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	*was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, old);
}

void
vr_sigpipe_restore(const sigset_t *old, int was_pending)
{
	sigset_t pipe_set, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE))
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		    errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Fork and exec `argv` (child_exec) with the child's ends of the pipes
 * (infd -1: /dev/null; errfd -1: our stderr), then close those ends here.
 * *pid is the running child; or, when exec failed, *exec_errno says why
 * (the child reaped, *pid -1) and the result is VR_ERROR. */
static int
start(pid_t *pid, int *exec_errno, char *const *argv, int exact_path,
    int exec_fd, int *infd, int *outfd, int *errfd)
{
	int exep[2] = { -1, -1 }, status, e = 0, rc = 0;
	pid_t parent = getpid();
	ssize_t n;

	*pid = -1;
	*exec_errno = 0;
	if (pipe2(exep, O_CLOEXEC) < 0) {
		rc = vr_error_set(VR_ERROR, "cannot run %s: pipe: %s",
		    argv[0], strerror(errno));
		goto out;
	}
	*pid = fork();
	if (*pid < 0) {
		rc = vr_error_set(VR_ERROR, "cannot run %s: fork: %s",
		    argv[0], strerror(errno));
		goto out;
	}
	if (*pid == 0)
		child_exec(argv, exact_path, exec_fd, *infd, *outfd, *errfd,
		    exep[1], parent);
	setpgid(*pid, *pid); /* also here: no window before the child's */
	close(exep[1]);
	exep[1] = -1;
	/* EOF (exec succeeded and closed the pipe) or the errno. */
	while ((n = read(exep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(*pid, &status, 0) < 0 && errno == EINTR)
			;
		*pid = -1;
		*exec_errno = e;
		rc = vr_error_set(VR_ERROR, "cannot run %s: %s", argv[0],
		    strerror(e));
	}
out:
	if (exep[0] >= 0)
		close(exep[0]);
	if (exep[1] >= 0)
		close(exep[1]);
	if (*infd >= 0) {
		close(*infd);
		*infd = -1;
	}
	if (*outfd >= 0) {
		close(*outfd);
		*outfd = -1;
	}
	if (*errfd >= 0) {
		close(*errfd);
		*errfd = -1;
	}
	return rc;
}

/* Close what is open of three pipes (-1: closed). */
static void
close_pipes(int *a, int *b, int *c)
{
	int *p[3] = { a, b, c }, i, k;

	for (k = 0; k < 3; k++)
		for (i = 0; i < 2; i++)
			if (p[k][i] >= 0)
				close(p[k][i]);
}

int
vr_run(struct vr_run *r)
{
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct rbuf ob = { .fd = -1 }, eb = { .fd = -1 };
	int64_t deadline = r->timeout_ms > 0 ? vr_clock_ms() + r->timeout_ms :
	    INT64_MAX;
	pid_t pid = -1;
	sigset_t oldmask;
	int rc = 0, status = 0, was_pending = 0, blocked = 0, reaped;

	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
	r->out_over = r->err_over = r->timed_out = r->exec_errno = 0;
	r->exited = r->exit_code = r->signal = 0;
	if (vr_interrupted()) { /* interrupt.h: nothing new is started */
		rc = vr_error_set(VR_EINTR, "%s not started: interrupted",
		    r->argv[0]);
		goto out;
	}
	if ((r->in && pipe2(inp, O_CLOEXEC) < 0) ||
	    pipe2(outp, O_CLOEXEC) < 0 ||
	    (!r->err_inherit && pipe2(errp, O_CLOEXEC) < 0)) {
		rc = vr_error_set(VR_ERROR, "cannot run %s: pipe: %s",
		    r->argv[0], strerror(errno));
		goto out;
	}
	rc = start(&pid, &r->exec_errno, r->argv, r->exact_path,
	    r->by_fd ? r->exec_fd : -1, &inp[0], &outp[1], &errp[1]);
	if (rc < 0)
		goto out;

	ob.fd = outp[0], ob.max = r->out_max;
	eb.fd = errp[0], eb.max = r->err_max;
	outp[0] = errp[0] = -1;
	if (inp[1] >= 0 && r->in_len == 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	if (inp[1] >= 0) {
		fcntl(inp[1], F_SETFL, fcntl(inp[1], F_GETFL) | O_NONBLOCK);
		vr_sigpipe_block(&oldmask, &was_pending);
		blocked = 1;
	}
	rc = pump(r, &inp[1], &ob, &eb, deadline);
	if (inp[1] >= 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	if (blocked)
		vr_sigpipe_restore(&oldmask, was_pending);
	if (rc < 0)
		goto out;
	/* Both outputs closed is not an exit: the deadline holds for the
	 * wait too, so a child that lingers after EOF cannot stall us. */
	reaped = wait_until(pid, &status, deadline);
	if (reaped == VR_EINTR) {
		rc = VR_EINTR;
		goto out;
	}
	if (reaped < 0) {
		rc = vr_error_set(VR_ERROR, "%s: waitpid: %s", r->argv[0],
		    strerror(errno));
		goto out;
	}
	if (reaped == 0) {
		r->timed_out = 1;
		rc = VR_ETIMEOUT;
		goto out;
	}
	pid = -1;
	r->exited = WIFEXITED(status);
	r->exit_code = r->exited ? WEXITSTATUS(status) : 0;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
out:
	if (pid > 0)
		kill_reap(pid, &status);
	if (rc == VR_ETIMEOUT)
		rc = vr_error_set(VR_ETIMEOUT, "%s did not finish within "
		    "%d ms (killed)", r->argv[0], r->timeout_ms);
	else if (rc == VR_EINTR && pid > 0)
		rc = vr_error_set(VR_EINTR, "%s was stopped by the interrupt "
		    "(killed)", r->argv[0]);
	close_pipes(inp, outp, errp);
	if (ob.fd >= 0)
		close(ob.fd);
	if (eb.fd >= 0)
		close(eb.fd);
	r->out = ob.p ? ob.p : vr_strdup("");
	r->out_len = ob.n;
	r->out_over = ob.over;
	r->err = eb.p ? eb.p : vr_strdup("");
	r->err_len = eb.n;
	r->err_over = eb.over;
	return rc;
}

void
vr_run_free(struct vr_run *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int
vr_spawn(struct vr_child *c, char *const *argv, int exact_path,
    int *exec_errno)
{
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int rc;

	c->pid = -1;
	c->in = c->out = c->err = -1;
	c->status = 0;
	*exec_errno = 0;
	if (vr_interrupted()) /* interrupt.h: nothing new is started */
		return vr_error_set(VR_EINTR, "%s not started: interrupted",
		    argv[0]);
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		rc = vr_error_set(VR_ERROR, "cannot run %s: pipe: %s",
		    argv[0], strerror(errno));
		goto fail;
	}
	rc = start(&c->pid, exec_errno, argv, exact_path, -1, &inp[0], &outp[1],
	    &errp[1]);
	if (rc < 0)
		goto fail;
	c->in = inp[1];
	c->out = outp[0];
	c->err = errp[0];
	fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) | O_NONBLOCK);
	fcntl(c->out, F_SETFL, fcntl(c->out, F_GETFL) | O_NONBLOCK);
	fcntl(c->err, F_SETFL, fcntl(c->err, F_GETFL) | O_NONBLOCK);
	return 0;
fail:
	close_pipes(inp, outp, errp);
	return rc;
}

void
vr_child_close_in(struct vr_child *c)
{
	if (c->in >= 0)
		close(c->in);
	c->in = -1;
}

/* The leader exited (a zombie now): kill what is left of its group while
 * its pid still holds the group id, then reap it. */
static void
reap_exited(struct vr_child *c)
{
	kill(-c->pid, SIGKILL);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->pid = -1;
}

int
vr_child_poll(struct vr_child *c)
{
	siginfo_t si;

	if (c->pid < 0)
		return 1;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) <
	    0 || si.si_pid != c->pid)
		return 0;
	reap_exited(c);
	return 1;
}

static void
close_ends(struct vr_child *c)
{
	vr_child_close_in(c);
	if (c->out >= 0)
		close(c->out);
	if (c->err >= 0)
		close(c->err);
	c->out = c->err = -1;
}

void
vr_child_kill(struct vr_child *c)
{
	if (c->pid > 0)
		kill_reap(c->pid, &c->status);
	c->pid = -1;
	close_ends(c);
}

int
vr_child_wait(struct vr_child *c, int64_t deadline)
{
	int done;

	while (!(done = vr_child_poll(c)) && vr_clock_ms() < deadline)
		poll(NULL, 0, 5);
	vr_child_kill(c);
	return done;
}
