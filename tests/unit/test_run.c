/* test_run.c - vr_run (schema/util/run.h) on real children: exit codes,
 * signals, the deadline, bounded outputs, stdin larger than a pipe,
 * failed execs, an exact path, a checked descriptor run (by_fd), an
 * inherited stderr, descriptor hygiene
 * and the child's death with its parent. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "../../schema/util/run.h"
#include "unit.h"

#define WAIT_MS 30000 /* how long a poll for a state waits at most */

static int
sh(struct vr_run *r, const char *script, int timeout_ms)
{
	static char *argv[4];

	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = NULL;
	r->argv = argv;
	if (!r->out_max)
		r->out_max = 1 << 20;
	if (!r->err_max)
		r->err_max = 1 << 20;
	r->timeout_ms = timeout_ms;
	return vr_run(r);
}

TEST(test_run__exit_codes)
{
	struct vr_run r = { 0 };

	CHECK_INT(sh(&r, "echo out; echo err >&2; exit 0", 0), 0);
	CHECK_INT(r.exited, 1);
	CHECK_INT(r.exit_code, 0);
	CHECK_STR(r.out, "out\n");
	CHECK_STR(r.err, "err\n");
	vr_run_free(&r);
	CHECK_INT(sh(&r, "exit 3", 0), 0);
	CHECK_INT(r.exited, 1);
	CHECK_INT(r.exit_code, 3);
	CHECK_STR(r.out, "");
	vr_run_free(&r);
	CHECK_INT(sh(&r, "exit 255", 0), 0);
	CHECK_INT(r.exit_code, 255);
	vr_run_free(&r);
}

TEST(test_run__signal)
{
	struct vr_run r = { 0 };

	CHECK_INT(sh(&r, "kill -TERM $$", 0), 0);
	CHECK_INT(r.exited, 0);
	CHECK_INT(r.signal, SIGTERM);
	vr_run_free(&r);
	/* SIGPIPE is at its default in the child even if ignored here */
	signal(SIGPIPE, SIG_IGN);
	CHECK_INT(sh(&r, "kill -PIPE $$", 0), 0);
	signal(SIGPIPE, SIG_DFL);
	CHECK_INT(r.signal, SIGPIPE);
	vr_run_free(&r);
}

/* A deadline a shell can reach its `wait` in on this machine now: 300 ms,
 * or ten times what a shell that only echoes takes here (under load and
 * ASan a start took over 300 ms once). */
static int
sh_deadline_ms(void)
{
	struct vr_run r = { 0 };
	int64_t t0 = vr_clock_ms();
	int ms;

	(void)sh(&r, "echo started", 0);
	vr_run_free(&r);
	ms = (int)(10 * (vr_clock_ms() - t0));
	return ms > 300 ? ms : 300;
}

TEST(test_run__deadline_kills_the_group)
{
	struct vr_run r = { 0 };
	char path[512], want[64];
	int ms = sh_deadline_ms();
	int64_t t0 = vr_clock_ms();
	long bg = 0;
	FILE *f;

	/* a grandchild in the same group that also holds stdout open */
	snprintf(path, sizeof(path), "%s/bg.pid", unit_tmpdir());
	setenv("RUN_BG_PID", path, 1);
	CHECK_INT(sh(&r, "sleep 300 & echo $! >\"$RUN_BG_PID\"; echo started; "
	    "wait", ms), VR_ETIMEOUT);
	CHECK_INT(r.timed_out, 1);
	snprintf(want, sizeof(want), "did not finish within %d ms", ms);
	CHECK_CONTAINS(vr_error_msg(), want);
	CHECK_STR(r.out, "started\n"); /* what it printed is kept */
	/* it returned although the child would sleep 300 s */
	CHECK(vr_clock_ms() - t0 < 300000);
	vr_run_free(&r);
	f = fopen(path, "r");
	CHECK(f && fscanf(f, "%ld", &bg) == 1);
	if (f)
		fclose(f);
	CHECK(bg > 0 && unit_wait_gone((pid_t)bg));
}

TEST(test_run__deadline_after_eof)
{
	struct vr_run r = { 0 };

	/* closes its outputs and lingers: the wait is bounded too */
	CHECK_INT(sh(&r, "exec >/dev/null 2>&1; sleep 300", 300),
	    VR_ETIMEOUT);
	CHECK_INT(r.timed_out, 1);
	vr_run_free(&r);
}

TEST(test_run__stdout_over_bound)
{
	struct vr_run r = { .out_max = 4096 };
	char *argv[] = { "yes", NULL };

	/* `yes` never ends by itself: the bound ends it */
	r.argv = argv;
	r.err_max = 100;
	CHECK_INT(vr_run(&r), VR_EINVALID);
	CHECK_INT(r.out_over, 1);
	CHECK_INT(r.out_len, 4096);
	CHECK_INT(strlen(r.out), 4096);
	CHECK_CONTAINS(vr_error_msg(), "yes printed more than 4096 bytes");
	vr_run_free(&r);
}

TEST(test_run__stderr_over_bound_is_cut)
{
	struct vr_run r = { .err_max = 100 };

	CHECK_INT(sh(&r, "head -c 200000 /dev/zero | tr '\\0' x >&2; "
	    "echo done", 0), 0);
	CHECK_INT(r.exit_code, 0);
	CHECK_INT(r.err_over, 1);
	CHECK_INT(r.err_len, 100);
	CHECK_STR(r.out, "done\n");
	vr_run_free(&r);
}

TEST(test_run__stdin_larger_than_a_pipe)
{
	struct vr_run r = { 0 };
	char *argv[] = { "cat", NULL };
	size_t n = 3 << 20, i; /* 3 MiB: many times a 64 KiB pipe */
	char *in = vr_malloc(n);

	for (i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	r.argv = argv;
	r.in = in;
	r.in_len = n;
	r.out_max = n;
	r.err_max = 4096;
	r.timeout_ms = 0;
	CHECK_INT(vr_run(&r), 0);
	CHECK_INT(r.exit_code, 0);
	CHECK_INT(r.out_len, n);
	CHECK(r.out_len == n && memcmp(r.out, in, n) == 0);
	vr_run_free(&r);
	free(in);
}

TEST(test_run__stdin_not_read)
{
	struct vr_run r = { 0 };
	size_t n = 1 << 20;
	char *in = vr_calloc(n, 1);

	/* the child exits without reading: no SIGPIPE kills us */
	r.in = in;
	r.in_len = n;
	CHECK_INT(sh(&r, "exit 0", 0), 0);
	CHECK_INT(r.exit_code, 0);
	vr_run_free(&r);
	/* an empty stdin is EOF at once */
	r.in = "";
	r.in_len = 0;
	CHECK_INT(sh(&r, "cat; echo end", 0), 0);
	CHECK_STR(r.out, "end\n");
	vr_run_free(&r);
	free(in);
}

TEST(test_run__no_stdin_is_dev_null)
{
	struct vr_run r = { 0 };

	CHECK_INT(sh(&r, "wc -c", 0), 0);
	CHECK_STR(r.out, "0\n");
	vr_run_free(&r);
}

TEST(test_run__exec_fails)
{
	struct vr_run r = { .out_max = 100, .err_max = 100 };
	char *argv[] = { "vmrecon-no-such-program", NULL };

	r.argv = argv;
	CHECK_INT(vr_run(&r), VR_ERROR);
	CHECK_INT(r.exec_errno, ENOENT);
	CHECK_CONTAINS(vr_error_msg(), "cannot run vmrecon-no-such-program");
	vr_run_free(&r);
}

TEST(test_run__exact_path)
{
	struct vr_run r = { .exact_path = 1, .out_max = 100, .err_max = 100 };
	const char *dir = unit_tmpdir();
	char junk[512], prog[512], *argv[2] = { junk, NULL };

	/* executable bits on a file that is no program: exec's own reason,
	 * where execvp would hand it to /bin/sh */
	snprintf(junk, sizeof(junk), "%s",
	    unit_write(dir, "junk", "not a program\n"));
	CHECK_INT(chmod(junk, 0755), 0);
	r.argv = argv;
	CHECK_INT(vr_run(&r), VR_ERROR);
	CHECK_INT(r.exec_errno, ENOEXEC);
	CHECK_CONTAINS(vr_error_msg(), "Exec format error");
	vr_run_free(&r);
	/* a script by its path runs, with that path as its $0 */
	snprintf(prog, sizeof(prog), "%s",
	    unit_write(dir, "prog", "#!/bin/sh\nprintf '%s' \"$0\"\n"));
	CHECK_INT(chmod(prog, 0755), 0);
	argv[0] = prog;
	CHECK_INT(vr_run(&r), 0);
	CHECK_INT(r.exit_code, 0);
	CHECK_STR(r.out, prog);
	vr_run_free(&r);
}

TEST(test_run__by_fd)
{
	struct vr_run r = { .exact_path = 1, .by_fd = 1, .out_max = 100,
		.err_max = 100 };
	const char *dir = unit_tmpdir();
	char prog[512], *argv[2] = { prog, NULL };

	/* what runs is the file open on exec_fd, not what its path names by
	 * then; a script too (its interpreter reads /dev/fd/N) */
	snprintf(prog, sizeof(prog), "%s",
	    unit_write(dir, "prog", "#!/bin/sh\necho checked\n"));
	CHECK_INT(chmod(prog, 0755), 0);
	r.exec_fd = open(prog, O_RDONLY | O_CLOEXEC);
	CHECK(r.exec_fd >= 0);
	CHECK_INT(unlink(prog), 0);
	unit_write(dir, "prog", "#!/bin/sh\necho swapped\n");
	CHECK_INT(chmod(prog, 0755), 0);
	r.argv = argv;
	CHECK_INT(vr_run(&r), 0);
	CHECK_INT(r.exit_code, 0);
	CHECK_STR(r.out, "checked\n");
	vr_run_free(&r);
	close(r.exec_fd);
	/* a file that is no program: exec's own reason */
	snprintf(prog, sizeof(prog), "%s",
	    unit_write(dir, "junk", "not a program\n"));
	CHECK_INT(chmod(prog, 0755), 0);
	r.exec_fd = open(prog, O_RDONLY | O_CLOEXEC);
	CHECK_INT(vr_run(&r), VR_ERROR);
	CHECK_INT(r.exec_errno, ENOEXEC);
	vr_run_free(&r);
	close(r.exec_fd);
}

TEST(test_run__err_inherit_is_live)
{
	struct vr_run r = { .err_inherit = 1 };
	char path[512], script[1024], got[64] = "";
	int saved = dup(STDERR_FILENO), fd, rc;
	ssize_t n;

	/* our stderr is a file for the while; the child finds its message
	 * there before it exits, so it was not captured to be copied later */
	snprintf(path, sizeof(path), "%s/err.log", unit_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	CHECK(saved >= 0 && fd >= 0);
	if (saved < 0 || fd < 0)
		return;
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	close(fd);
	snprintf(script, sizeof(script), "echo live >&2; grep -q live '%s' "
	    "&& echo seen", path);
	rc = sh(&r, script, 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK_INT(rc, 0);
	CHECK_STR(r.out, "seen\n");
	CHECK_STR(r.err, "");
	CHECK_INT(r.err_len, 0);
	vr_run_free(&r);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, got, sizeof(got) - 1) : -1;
	if (fd >= 0)
		close(fd);
	got[n > 0 ? n : 0] = '\0';
	CHECK_STR(got, "live\n");
}

TEST(test_run__inherits_only_0_1_2)
{
	struct vr_run r = { 0 };
	int fd = open("/dev/null", O_RDONLY), hi;
	char script[128];

	/* a descriptor without O_CLOEXEC, as a library might leave one */
	hi = fcntl(fd, F_DUPFD, 57);
	CHECK(hi >= 57);
	snprintf(script, sizeof(script), "test -e /proc/$$/fd/%d && echo "
	    "leaked; test -e /proc/$$/fd/2 && echo two", hi);
	CHECK_INT(sh(&r, script, 0), 0);
	CHECK_STR(r.out, "two\n");
	vr_run_free(&r);
	close(hi);
	close(fd);
}

TEST(test_run__dies_with_its_parent)
{
	char path[512];
	int64_t end;
	pid_t mid, status_pid;
	long child = 0;
	int status;
	FILE *f;

	snprintf(path, sizeof(path), "%s/child.pid", unit_tmpdir());
	setenv("RUN_CHILD_PID", path, 1);
	mid = fork();
	if (mid == 0) {
		struct vr_run r = { 0 };

		sh(&r, "echo $$ >\"$RUN_CHILD_PID.tmp\"; mv "
		    "\"$RUN_CHILD_PID.tmp\" \"$RUN_CHILD_PID\"; exec sleep 300",
		    0);
		_exit(0);
	}
	CHECK(mid > 0);
	end = vr_clock_ms() + WAIT_MS;
	while (vr_clock_ms() < end && access(path, F_OK) != 0)
		vr_sleep_ms(10);
	f = fopen(path, "r");
	CHECK(f && fscanf(f, "%ld", &child) == 1);
	if (f)
		fclose(f);
	kill(mid, SIGKILL);
	while ((status_pid = waitpid(mid, &status, 0)) < 0 && errno == EINTR)
		;
	CHECK(child > 0 && unit_wait_gone((pid_t)child));
}

/* vr_spawn: a child that keeps running, fed and read through its pipes;
 * it sees EOF when we close its stdin, and vr_child_kill takes its whole
 * process group. */
TEST(test_run__spawn_talks_and_ends_on_eof)
{
	char *argv[] = { "sh", "-c", "while read l; do echo \"got $l\"; done; "
	    "echo bye >&2", NULL };
	struct vr_child c;
	char buf[64];
	int e, n = 0;
	int64_t end = vr_clock_ms() + WAIT_MS;
	ssize_t r;

	CHECK_INT(vr_spawn(&c, argv, 0, &e), 0);
	CHECK_INT(write(c.in, "one\n", 4), 4);
	while (n < 8 && vr_clock_ms() < end) {
		r = read(c.out, buf + n, sizeof(buf) - 1 - (size_t)n);
		if (r > 0)
			n += (int)r;
		else
			vr_sleep_ms(5);
	}
	buf[n] = '\0';
	CHECK_STR(buf, "got one\n");
	vr_child_close_in(&c);
	CHECK_INT(vr_child_wait(&c, vr_clock_ms() + WAIT_MS), 1);
	CHECK(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	CHECK_INT(c.pid, -1);
	CHECK_INT(c.in, -1);
	CHECK_INT(c.out, -1);
	vr_child_kill(&c); /* harmless once reaped */
}

TEST(test_run__spawn_kill_takes_the_group)
{
	char path[512], *argv[] = { "sh", "-c", "sleep 300 & echo $! "
	    ">\"$SPAWN_PID.tmp\"; mv \"$SPAWN_PID.tmp\" \"$SPAWN_PID\"; wait",
	    NULL };
	struct vr_child c;
	int64_t end;
	long grandchild;
	int e;

	snprintf(path, sizeof(path), "%s/gc.pid", unit_tmpdir());
	setenv("SPAWN_PID", path, 1);
	CHECK_INT(vr_spawn(&c, argv, 0, &e), 0);
	end = vr_clock_ms() + WAIT_MS;
	while (vr_clock_ms() < end && access(path, F_OK) != 0)
		vr_sleep_ms(10);
	grandchild = unit_read_long(path);
	CHECK(grandchild > 0);
	CHECK_INT(vr_child_poll(&c), 0);
	vr_child_kill(&c);
	CHECK_INT(c.pid, -1);
	CHECK(grandchild > 0 && unit_wait_gone((pid_t)grandchild));
	CHECK_INT(vr_spawn(&c, (char *[]){ "/nonexistent/x", NULL }, 1, &e),
	    VR_ERROR);
	CHECK_INT(e, ENOENT);
	CHECK_INT(c.in, -1);
}
