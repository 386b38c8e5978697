/*
 * powershell.c - run one PowerShell pipeline through a launcher with
 * fork/execvp: stdin is /dev/null, stdout and stderr are read with poll()
 * into bounded buffers, a deadline kills the child's process group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../schema/clock.h"
#include "../schema/error.h"
#include "powershell.h"

#define EXCERPT_MAX 400 /* bytes of a pipeline or stderr quoted in errors */

struct vr_ps {
	char *launcher;
	char **argv; /* the launcher's words, NULL-terminated */
	size_t argc;
	int timeout_ms;
	unsigned long calls;
};

struct obuf {
	char *p;
	size_t n, cap, max;
	int fd;
	int over; /* more than max bytes arrived */
};

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

int
vr_ps_open(struct vr_ps **out, const char *launcher, int timeout_ms)
{
	struct vr_ps *ps;
	int rc;

	*out = NULL;
	if (!launcher || !*launcher)
		launcher = VR_PS_DEFAULT_LAUNCHER;
	ps = vr_calloc(1, sizeof(*ps));
	rc = vr_ps_split(&ps->argv, &ps->argc, launcher);
	if (rc < 0) {
		free(ps);
		return rc;
	}
	ps->launcher = vr_strdup(launcher);
	ps->timeout_ms = timeout_ms > 0 ? timeout_ms : VR_PS_DEFAULT_TIMEOUT_MS;
	*out = ps;
	return 0;
}

void
vr_ps_free(struct vr_ps *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->argc; i++)
		free(ps->argv[i]);
	free(ps->argv);
	free(ps->launcher);
	free(ps);
}

unsigned long
vr_ps_calls(const struct vr_ps *ps)
{
	return ps->calls;
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

/* Read what is available on b->fd; close it at EOF. */
static void
obuf_read(struct obuf *b)
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
	if (b->n + take > b->max) {
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

/* Kill the child's process group (and the child, should it have left
 * it) and reap the child. */
static void
kill_reap(pid_t pid, int *status)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

static void
child_exec(char **argv, int outfd, int errfd, int execfd)
{
	int nul = open("/dev/null", O_RDONLY);
	int e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (nul < 0 || dup2(nul, STDIN_FILENO) < 0 ||
	    dup2(outfd, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
		e = errno;
	else {
		execvp(argv[0], argv);
		e = errno;
	}
	if (write(execfd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

int
vr_ps_run(struct vr_ps *ps, const char *pipeline, char **out, size_t *len)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, exep[2] = { -1, -1 };
	struct obuf ob = { 0 }, eb = { 0 };
	char what[EXCERPT_MAX + 4], errtext[EXCERPT_MAX + 4];
	char *argv[VR_PS_MAX_ARGS + 5]; /* no allocation the child keeps */
	long long deadline;
	int rc = VR_EBACKEND, status = 0, exec_errno = 0, timed_out = 0;
	pid_t pid = -1;
	ssize_t r;
	size_t i;

	*out = NULL;
	*len = 0;
	vr_ps_excerpt(what, sizeof(what), pipeline, strlen(pipeline));
	for (i = 0; i < ps->argc; i++)
		argv[i] = ps->argv[i];
	argv[i++] = "-NoProfile";
	argv[i++] = "-NonInteractive";
	argv[i++] = "-Command";
	argv[i++] = (char *)pipeline;
	argv[i] = NULL;

	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(exep, O_CLOEXEC) < 0) {
		rc = vr_error_set(VR_ERROR, "cannot run '%s': pipe: %s", what,
		    strerror(errno));
		goto out;
	}
	ps->calls++;
	deadline = vr_clock_ms() + ps->timeout_ms;
	pid = fork();
	if (pid < 0) {
		rc = vr_error_set(VR_ERROR, "cannot run '%s': fork: %s", what,
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(argv, outp[1], errp[1], exep[1]);
	setpgid(pid, pid); /* also here: no window before the child's */
	close(outp[1]);
	close(errp[1]);
	close(exep[1]);
	outp[1] = errp[1] = exep[1] = -1;

	/* EOF (exec succeeded, the pipe closed on exec) or the errno. */
	while ((r = read(exep[0], &exec_errno, sizeof(exec_errno))) < 0 &&
	    errno == EINTR)
		;
	if (r == (ssize_t)sizeof(exec_errno)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		pid = -1;
		rc = vr_error_set(VR_EBACKEND, "cannot run PowerShell "
		    "launcher '%s': %s", ps->argv[0], strerror(exec_errno));
		goto out;
	}

	ob.fd = outp[0];
	ob.max = VR_PS_MAX_OUTPUT;
	eb.fd = errp[0];
	eb.max = VR_PS_MAX_OUTPUT;
	outp[0] = errp[0] = -1;
	while (ob.fd >= 0 || eb.fd >= 0) {
		struct pollfd pf[2];
		long long left = deadline - vr_clock_ms();
		int np = 0, pr;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (ob.fd >= 0)
			pf[np].fd = ob.fd, pf[np].events = POLLIN, np++;
		if (eb.fd >= 0)
			pf[np].fd = eb.fd, pf[np].events = POLLIN, np++;
		pr = poll(pf, (nfds_t)np, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno != EINTR) {
			rc = vr_error_set(VR_ERROR, "'%s': poll: %s", what,
			    strerror(errno));
			kill_reap(pid, &status);
			pid = -1;
			goto out;
		}
		for (i = 0; pr > 0 && i < (size_t)np; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == ob.fd)
				obuf_read(&ob);
			else
				obuf_read(&eb);
		}
		if (ob.over)
			break;
	}
	if (ob.over) {
		kill_reap(pid, &status);
		pid = -1;
		rc = vr_error_set(VR_EBACKEND, "'%s' via '%s' printed more "
		    "than %d bytes", what, ps->launcher, VR_PS_MAX_OUTPUT);
		goto out;
	}
	/* Both pipes closed: wait for the exit, still within the deadline. */
	while (!timed_out) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			pid = -1;
			break;
		}
		if (w < 0 && errno != EINTR) {
			rc = vr_error_set(VR_ERROR, "'%s': waitpid: %s", what,
			    strerror(errno));
			goto out;
		}
		if (vr_clock_ms() >= deadline)
			timed_out = 1;
		else
			poll(NULL, 0, 10);
	}
	vr_ps_excerpt(errtext, sizeof(errtext), eb.p ? eb.p : "", eb.n);
	if (timed_out) {
		kill_reap(pid, &status);
		pid = -1;
		rc = vr_error_set(VR_ETIMEOUT, "'%s' via '%s' did not finish "
		    "within %d ms (killed)%s%s", what, ps->launcher,
		    ps->timeout_ms, errtext[0] ? ": " : "", errtext);
		goto out;
	}
	if (WIFSIGNALED(status)) {
		rc = vr_error_set(VR_EBACKEND, "'%s' via '%s' was killed by "
		    "signal %d%s%s", what, ps->launcher, WTERMSIG(status),
		    errtext[0] ? ": " : "", errtext);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = vr_error_set(VR_EBACKEND, "'%s' via '%s' exited with "
		    "status %d: %s", what, ps->launcher,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    errtext[0] ? errtext : "(no error output)");
		goto out;
	}
	*out = ob.p ? ob.p : vr_strdup("");
	*len = ob.n;
	ob.p = NULL;
	rc = 0;
out:
	if (pid > 0)
		kill_reap(pid, &status);
	for (i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (exep[i] >= 0)
			close(exep[i]);
	}
	if (ob.fd >= 0)
		close(ob.fd);
	if (eb.fd >= 0)
		close(eb.fd);
	free(ob.p);
	free(eb.p);
	return rc;
}
