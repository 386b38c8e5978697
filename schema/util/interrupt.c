/*
 * interrupt.c - the first and second interrupt (interrupt.h).
 *
 * The handler makes async-signal-safe calls only: it writes a line built
 * beforehand by vr_interrupt_doing() (two buffers: the one published is
 * never the one being written), sets a flag, and on the second interrupt
 * restores the default action and raises the signal again.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"

#define LINE_BYTES 600

static volatile sig_atomic_t got;       /* the first signal, or 0 */
static volatile sig_atomic_t published; /* which of line[] to print */
static char line[2][LINE_BYTES];
static size_t line_len[2];
static pthread_t main_thread;
static int caught;
static struct sigaction old_int, old_term;

static const char second[] = "vmrecon: second interrupt: exiting now, "
    "recording nothing more (what was recorded before stays; the next "
    "apply observes the VMs again)\n";

static void
say(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
on_interrupt(int sig)
{
	int e = errno;

	if (!pthread_equal(pthread_self(), main_thread)) {
		/* the main thread's waits are the ones to cut short */
		pthread_kill(main_thread, sig);
	} else if (got) {
		say(second, sizeof(second) - 1);
		signal(sig, SIG_DFL);
		raise(sig);
	} else {
		got = sig;
		say(line[published], line_len[published]);
	}
	errno = e;
}

void
vr_interrupt_doing(const char *fmt, ...)
{
	int next = !published, n;
	char what[LINE_BYTES - 160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	n = snprintf(line[next], sizeof(line[next]), "vmrecon: interrupt "
	    "received: stopping %s, starting nothing more and recording "
	    "each VM's outcome (interrupt again to exit at once)\n", what);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line[next])) {
		n = (int)sizeof(line[next]) - 1;
		line[next][n - 1] = '\n';
	}
	line_len[next] = (size_t)n;
	published = next;
}

void
vr_interrupt_catch(void)
{
	struct sigaction sa;

	main_thread = pthread_self();
	if (!line_len[published])
		vr_interrupt_doing("the pass");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a wait in poll() or nanosleep() returns EINTR and
	 * looks at the flag.  A signal the shell made us ignore (a job
	 * started with & by a script, nohup) stays ignored. */
	sigaction(SIGINT, NULL, &old_int);
	sigaction(SIGTERM, NULL, &old_term);
	if (old_int.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	if (old_term.sa_handler != SIG_IGN)
		sigaction(SIGTERM, &sa, NULL);
	caught = 1;
}

int
vr_interrupted(void)
{
	return got;
}

void
vr_interrupt_end(void)
{
	int sig = got;

	if (!caught)
		return;
	caught = 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (sig) {
		fflush(NULL);
		signal(sig, SIG_DFL);
		raise(sig);
	}
}
