/*
 * gitproto.c - the daemon's side of the git helper protocol (gitproto.h):
 * find vmrecon-git-helper, run it with fork+exec (the daemon may have a
 * notification thread: only exec is safe after fork), send the request,
 * read the answer with a bound and a deadline, check it.  Also the removal
 * of the lock files a killed fetch leaves in the mirror (gitsource.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "../../schema/util/module.h"
#include "gitproto.h"
#include "watchstate.h"

int
vr_gitproto_find(char *buf, size_t len)
{
	return vr_module_find_file("helper", VR_GIT_HELPER, buf, len);
}

/* In the child, between fork and exec: async-signal-safe calls only.
 * `fd` becomes stdin and stdout, `errfd` (close-on-exec) reports a
 * failed exec's errno. */
static void
child(const char *helper, int fd, int errfd, pid_t parent)
{
	char *const argv[] = { (char *)VR_GIT_HELPER, NULL };
	sigset_t none;
	int e;

	setpgid(0, 0);
	/* a daemon killed with -9 takes its helper along: no orphan writes
	 * the mirror while the next watch clears its stale locks */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(127);
	if (errfd != 3 && (dup2(errfd, 3) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) < 0))
		_exit(127);
	close_range(4, ~0U, 0);
	execv(helper, argv);
	e = errno;
	if (write(3, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Read the answer into *buf (NUL-terminated) until EOF, the bound or the
 * deadline; 0, VR_ETIMEOUT or VR_EINVALID (too long). */
static int
read_answer(char **buf, size_t *len, int fd, int64_t deadline,
    const char *helper)
{
	size_t cap = 16384;

	*buf = vr_malloc(cap);
	*len = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = deadline - vr_clock_ms();
		ssize_t n;

		if (left <= 0)
			return VR_ETIMEOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return vr_error_set(VR_ERROR, "poll: %s",
			    strerror(errno));
		if (!p.revents)
			continue;
		if (*len + 1 >= cap) {
			if (cap > VR_GITPROTO_MAX_ANSWER)
				return vr_error_set(VR_EINVALID, "the git "
				    "helper %s answered more than %d bytes",
				    helper, VR_GITPROTO_MAX_ANSWER);
			cap *= 2;
			*buf = vr_realloc(*buf, cap);
		}
		n = read(fd, *buf + *len, cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		/* a helper that exits without reading its request */
		if (n < 0 && errno == ECONNRESET)
			break;
		if (n < 0)
			return vr_error_set(VR_ERROR, "reading the git "
			    "helper's answer: %s", strerror(errno));
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	(*buf)[*len] = '\0';
	return 0;
}

/* Reap pid by the deadline, else kill its group and reap it. */
static void
reap(pid_t pid, int *status, int64_t deadline, bool *killed)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			return;
		if (w == 0 && vr_clock_ms() >= deadline) {
			kill(-pid, SIGKILL);
			*killed = true;
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return;
		}
		if (w == 0)
			vr_sleep_ms(2);
	}
}

/* Is the answer one of this vmrecon's?  0, or VR_EINVALID naming both
 * versions. */
static int
check_peer(json_t *ans, const char *helper)
{
	const char *v = json_string_value(json_object_get(ans, "vmrecon"));
	json_t *proto = json_object_get(ans, "proto");
	json_t *rc = json_object_get(ans, "rc");

	if (!v || !json_is_integer(proto))
		return vr_error_set(VR_EINVALID, "%s is not a vmrecon git "
		    "helper (its answer has no version); this is vmrecon %s",
		    helper, VR_VERSION);
	if (strcmp(v, VR_VERSION) != 0 ||
	    json_integer_value(proto) != VR_GITPROTO)
		return vr_error_set(VR_EINVALID, "refusing helper %s: it is "
		    "the git helper of vmrecon %.64s (protocol %lld), this is "
		    "vmrecon %s (protocol %d); install the helper built with "
		    "this vmrecon", helper, v,
		    (long long)json_integer_value(proto), VR_VERSION,
		    VR_GITPROTO);
	if (!json_is_integer(rc) || json_integer_value(rc) > 0 ||
	    json_integer_value(rc) < VR_ENOMEM ||
	    (json_integer_value(rc) < 0 &&
	    !json_is_string(json_object_get(ans, "error"))))
		return vr_error_set(VR_EINVALID, "the git helper %s gave no "
		    "valid result code", helper);
	return 0;
}

static int
exit_error(const char *helper, int status, int exec_errno)
{
	if (exec_errno)
		return vr_error_set(VR_ERROR, "cannot run the git helper %s: "
		    "%s", helper, strerror(exec_errno));
	if (WIFSIGNALED(status))
		return vr_error_set(VR_ERROR, "the git helper %s was killed "
		    "by signal %d", helper, WTERMSIG(status));
	return vr_error_set(VR_ERROR, "the git helper %s exited with "
	    "status %d and no answer", helper, WEXITSTATUS(status));
}

int
vr_gitproto_call(json_t **ans, bool *killed, const char *helper,
    json_t *req, int timeout_ms)
{
	int sv[2], ep[2], status = 0, exec_errno = 0, rc;
	int64_t deadline = vr_clock_ms() + timeout_ms;
	char *out = NULL, *msg;
	size_t len = 0;
	json_error_t jerr;
	pid_t pid, parent = getpid();

	*ans = NULL;
	*killed = false;
	json_object_set_new(req, "vmrecon", json_string(VR_VERSION));
	json_object_set_new(req, "proto", json_integer(VR_GITPROTO));
	msg = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!msg || strlen(msg) > VR_GITPROTO_MAX_REQUEST) {
		free(msg);
		return vr_error_set(VR_EINVALID, "git helper request too long");
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		free(msg);
		return vr_error_set(VR_ERROR, "socketpair: %s",
		    strerror(errno));
	}
	if (pipe2(ep, O_CLOEXEC) != 0) {
		close(sv[0]);
		close(sv[1]);
		free(msg);
		return vr_error_set(VR_ERROR, "pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0)
		child(helper, sv[1], ep[1], parent);
	close(sv[1]);
	close(ep[1]);
	if (pid < 0) {
		close(sv[0]);
		close(ep[0]);
		free(msg);
		return vr_error_set(VR_ERROR, "fork: %s", strerror(errno));
	}
	setpgid(pid, pid); /* also here: no kill(-pid) before the child's */
	/* the request is far smaller than the socket's buffer */
	if (send(sv[0], msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno != EPIPE && errno != ECONNRESET)
		rc = vr_error_set(VR_ERROR, "sending the git helper its "
		    "request: %s", strerror(errno));
	else
		rc = 0;
	free(msg);
	shutdown(sv[0], SHUT_WR);
	if (rc == 0)
		rc = read_answer(&out, &len, sv[0], deadline, helper);
	close(sv[0]);
	if (rc < 0) {
		kill(-pid, SIGKILL);
		*killed = rc == VR_ETIMEOUT;
	}
	reap(pid, &status, deadline, killed);
	if (read(ep[0], &exec_errno, sizeof(exec_errno)) !=
	    (ssize_t)sizeof(exec_errno))
		exec_errno = 0;
	close(ep[0]);
	if (*killed) {
		free(out);
		return vr_error_set(VR_ETIMEOUT, "the git helper took longer "
		    "than %d ms and was killed", timeout_ms);
	}
	if (rc < 0) {
		free(out);
		return rc;
	}
	*ans = len ? json_loadb(out, len, JSON_REJECT_DUPLICATES, &jerr) :
	    NULL;
	free(out);
	if (!json_is_object(*ans)) {
		json_decref(*ans);
		*ans = NULL;
		if (len == 0 || (WIFEXITED(status) &&
		    WEXITSTATUS(status) == 127) || exec_errno)
			return exit_error(helper, status, exec_errno);
		return vr_error_set(VR_EINVALID, "%s is not a vmrecon git "
		    "helper (its answer is not JSON); this is vmrecon %s",
		    helper, VR_VERSION);
	}
	if ((rc = check_peer(*ans, helper)) < 0) {
		json_decref(*ans);
		*ans = NULL;
		return rc;
	}
	rc = (int)json_integer_value(json_object_get(*ans, "rc"));
	if (rc < 0)
		vr_error_set(rc, "%s", json_string_value(json_object_get(*ans,
		    "error")));
	return rc;
}

int
vr_gitproto_version(char **library, const char *helper)
{
	json_t *ans;
	bool killed;
	const char *lib;
	int rc;

	*library = NULL;
	rc = vr_gitproto_call(&ans, &killed, helper, json_pack("{s:s}", "op",
	    "version"), 10000);
	if (rc < 0) {
		json_decref(ans);
		return rc;
	}
	lib = json_string_value(json_object_get(ans, "library"));
	*library = vr_strdup(lib && strlen(lib) <= 128 ? lib : "?");
	json_decref(ans);
	return 0;
}

/* --- stale lock files ------------------------------------------------ */

/* --- stale lock files ------------------------------------------------ */

/* A watch killed during a fetch leaves libgit2's lock files in the mirror
 * (refs/remotes/origin/main.lock, ...), and every later fetch fails on
 * them ("failed to lock file ... for writing").  Only a vmrecon holding the
 * state dir lock writes the mirror, and Git refuses ref names ending in
 * ".lock", so under that lock every such file is stale. */
static int
drop_git_lock(const char *path, const struct stat *st, int flag,
    struct FTW *f)
{
	size_t n = strlen(path);

	if (flag == FTW_F && S_ISREG(st->st_mode) && n > 5 &&
	    strcmp(path + n - 5, ".lock") == 0) {
		if (unlink(path) == 0)
			vr_wlog(stderr, "warn", "removed a stale git lock "
			    "(a fetch was killed)", "path",
			    path, NULL);
		else
			vr_wlog(stderr, "error", "cannot remove a stale git "
			    "lock", "path", path, "err", strerror(errno),
			    NULL);
	}
	return 0;
}

void
vr_git_drop_stale_locks(const char *mirror)
{
	if (access(mirror, F_OK) == 0)
		nftw(mirror, drop_git_lock, 16, FTW_PHYS);
}
