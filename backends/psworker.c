/*
 * psworker.c - the persistent PowerShell worker (psworker.h): its loop
 * script, and the Linux side of the protocol on a child started with
 * vr_spawn (schema/util/run.h): requests written to its stdin, frames and
 * noise read from its stdout, its stderr drained, a deadline per request.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../schema/util/base64.h"
#include "../schema/util/clock.h"
#include "../schema/util/error.h"
#include "../schema/util/interrupt.h"
#include "../schema/util/run.h"
#include "powershell.h"
#include "psworker.h"

#define EXCERPT_MAX 400 /* bytes of noise or stderr quoted in errors */
#define WORDS_MAX (EXCERPT_MAX + 32) /* and with their lead-in */

/*
 * The loop.  Windows PowerShell 5.1 syntax only.  The frame of today's
 * scripts (powershell.h) once for the process: errors stop, no progress,
 * UTF-8 out.  A background runspace reads stdin (so EOF is seen even while
 * a request runs) and ends the process on EOF: a vmrecon that dies or
 * closes stdin leaves no PowerShell behind, wherever it runs.  The main
 * thread imports the module once, says ready, then runs each request in a
 * scope of its own (& on a new script block) inside try/catch, and
 * answers with a frame whose text is base64 of UTF-8 (exact bytes,
 * whatever the console's code page).  The request's result comes back
 * through $vrBox, which its last line sets (vr_psworker_request).
 */
static const char loop_head[] =
    "$ErrorActionPreference = 'Stop'\n"
    "$ProgressPreference = 'SilentlyContinue'\n"
    "try { [Console]::OutputEncoding = "
    "New-Object System.Text.UTF8Encoding $false } catch { }\n"
    "$vrMark = '" VR_PS_SENTINEL "'\n"
    "$vrUtf8 = New-Object System.Text.UTF8Encoding $false\n"
    "function VrSay([string]$kind, [string]$id, [string]$text) {\n"
    "[Console]::Out.Write(\"`n\" + $vrMark + ' ' + $kind + ' ' + $id + "
    "' ' + [Convert]::ToBase64String($vrUtf8.GetBytes($text)) + \"`n\")\n"
    "[Console]::Out.Flush()\n"
    "}\n"
    "$vrLines = New-Object "
    "'System.Collections.Concurrent.BlockingCollection[string]'\n"
    "$vrReader = [PowerShell]::Create()\n"
    "[void]$vrReader.AddScript({\n"
    "param($lines, $mark)\n"
    "$n = 0\n"
    "try {\n"
    "$in = New-Object System.IO.StreamReader "
    "([Console]::OpenStandardInput())\n"
    "while ($true) {\n"
    "$l = $in.ReadLine()\n"
    "if ($null -eq $l) { break }\n"
    "$n++\n"
    "$lines.Add($l)\n"
    "}\n"
    "[Console]::Out.Write(\"`n\" + $mark + ' eof ' + $n + \" `n\")\n"
    "[Console]::Out.Flush()\n"
    "} catch { } finally { [Environment]::Exit(0) }\n"
    "}).AddArgument($vrLines).AddArgument($vrMark)\n"
    "[void]$vrReader.BeginInvoke()\n"
    "$vrKind = 'ready'\n"
    "$vrText = ''\n";
/* then, with a module: the import line */
static const char loop_tail[] =
    "VrSay $vrKind '0' $vrText\n"
    "while ($true) {\n"
    "$vrLine = $vrLines.Take()\n"
    "$vrId = '-'\n"
    "$vrKind = 'error'\n"
    "try {\n"
    "$vrPart = $vrLine.Split(' ')\n"
    "if ($vrPart.Count -ne 2 -or $vrPart[0] -notmatch '^[0-9]{1,19}$') "
    "{ throw 'the request is not ID BASE64' }\n"
    "$vrId = $vrPart[0]\n"
    "$vrBox = @{ out = '' }\n"
    "$vrCode = [scriptblock]::Create($vrUtf8.GetString("
    "[Convert]::FromBase64String($vrPart[1])))\n"
    "& $vrCode\n"
    "$vrKind = 'ok'\n"
    "$vrText = [string]$vrBox.out\n"
    "} catch {\n"
    "$vrText = 'vmrecon: ' + $_.Exception.Message\n"
    "}\n"
    "VrSay $vrKind $vrId $vrText\n"
    "}\n";

/* A request: the per-call frame's settings again, in its own scope. */
static const char request_head[] =
    "$ErrorActionPreference = 'Stop'\n"
    "$ProgressPreference = 'SilentlyContinue'\n"
    "$vrOut = ''\n";
static const char request_tail[] = "$vrBox.out = [string]$vrOut\n";

enum kind { K_READY, K_BROKEN, K_OK, K_ERROR, K_EOF, K_BAD };

struct frame {
	enum kind kind;
	unsigned long long id;
	unsigned char *text; /* decoded, NUL-terminated */
	size_t len;
};

struct buf {
	char *p;
	size_t n, cap;
};

struct vr_psworker {
	struct vr_child c;
	char *launcher;
	struct buf out;   /* stdout not yet split into lines */
	struct buf noise; /* this request's lines that are no frame */
	struct buf err;   /* this request's stderr */
	int noise_over;   /* noise passed VR_PS_MAX_OUTPUT */
	int out_eof;
	int broken_pipe;  /* writing the request failed: stdin is closed */
	char frame[EXCERPT_MAX + 4]; /* the last frame line, for messages */
};

char *
vr_psworker_script(const char *module)
{
	if (!module)
		return vr_asprintf("%s%s", loop_head, loop_tail);
	return vr_asprintf("%stry { Import-Module %s } catch { $vrKind = "
	    "'broken'; $vrText = 'vmrecon: ' + $_.Exception.Message }\n%s",
	    loop_head, module, loop_tail);
}

char *
vr_psworker_request(const char *body)
{
	return vr_asprintf("%s%s\n%s", request_head, body, request_tail);
}

static void
buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = vr_realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
buf_drop(struct buf *b, size_t n)
{
	if (n == 0)
		return;
	memmove(b->p, b->p + n, b->n - n);
	b->n -= n;
	if (b->p)
		b->p[b->n] = '\0';
}

/* Parse one line (without its LF) as a frame; 0 when it is none (not
 * starting with the sentinel and a blank), 1 when it is (f->kind K_BAD for
 * a malformed one). */
static int
parse_frame(struct frame *f, const char *line, size_t n)
{
	static const char mark[] = VR_PS_SENTINEL " ";
	static const char *const kinds[] = { "ready", "broken", "ok", "error",
	    "eof" };
	size_t ml = sizeof(mark) - 1, i, k, kl;
	const char *p, *sp;
	char *end;

	memset(f, 0, sizeof(*f));
	f->kind = K_BAD;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n < ml || memcmp(line, mark, ml) != 0)
		return 0;
	p = line + ml;
	n -= ml;
	if (!(sp = memchr(p, ' ', n)))
		return 1;
	kl = (size_t)(sp - p);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strlen(kinds[k]) == kl && memcmp(p, kinds[k], kl) == 0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return 1;
	n -= kl + 1;
	p = sp + 1;
	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (i == 0 || i > 19 || i == n || p[i] != ' ')
		return 1;
	errno = 0;
	f->id = strtoull(p, &end, 10);
	if (errno || end != p + i)
		return 1;
	p += i + 1;
	n -= i + 1;
	if (!vr_base64_decode(&f->text, &f->len, p, n))
		return 1;
	f->kind = (enum kind)k;
	return 1;
}

/* Read what is there on `fd` into `b` (at most `max` bytes kept in all;
 * beyond, *over is set and the rest dropped).  0 at EOF or on an error
 * (fd closed, set to -1), 1 otherwise. */
static int
read_into(int *fd, struct buf *b, size_t max, int *over)
{
	char tmp[65536];
	ssize_t r = read(*fd, tmp, sizeof(tmp));
	size_t take;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	take = (size_t)r;
	if (take > max - b->n) {
		if (over)
			*over = 1;
		take = max - b->n;
	}
	buf_add(b, tmp, take);
	return 1;
}

/* The next frame from what stdout gave so far: 1 and *f, or 0 (needs
 * more).  Lines that are no frame go to w->noise. */
static int
take_frame(struct vr_psworker *w, struct frame *f)
{
	char *nl;

	while ((nl = w->out.n ? memchr(w->out.p, '\n', w->out.n) : NULL) ||
	    (w->out_eof && w->out.n)) {
		size_t n = nl ? (size_t)(nl - w->out.p) : w->out.n;
		/* a frame ends with its LF: a last line cut short is none */
		int is = nl && parse_frame(f, w->out.p, n);

		if (is)
			vr_ps_excerpt(w->frame, sizeof(w->frame), w->out.p, n);
		else if (w->noise.n + n + 1 > VR_PS_MAX_OUTPUT)
			w->noise_over = 1;
		else
			buf_add(&w->noise, w->out.p, n + (nl != NULL));
		buf_drop(&w->out, n + (nl != NULL));
		if (is)
			return 1;
	}
	return 0;
}

/* One ready descriptor of next_frame's poll: stdin (0) takes more of
 * the request, stdout (1) and stderr (2) are read. */
static void
pump_one(struct vr_psworker *w, int which, const char *req, size_t reqlen,
    size_t *sent)
{
	ssize_t wr;

	if (which == 1) {
		if (!read_into(&w->c.out, &w->out, VR_PS_MAX_OUTPUT * 2 +
		    VR_PSWORKER_MAX_REQUEST, NULL))
			w->out_eof = 1;
	} else if (which == 2) {
		read_into(&w->c.err, &w->err, VR_PS_MAX_OUTPUT, NULL);
	} else {
		wr = write(w->c.in, req + *sent, reqlen - *sent);
		if (wr > 0)
			*sent += (size_t)wr;
		else if (wr < 0 && errno != EINTR && errno != EAGAIN)
			w->broken_pipe = 1;
	}
}

/*
 * Pump stdin, stdout and stderr until a frame arrives (1, *f), stdout ends
 * (0), the deadline passes (VR_ETIMEOUT), an interrupt comes (VR_EINTR,
 * interrupt.h) or stdout passes its bounds (VR_EINVALID).  `req` (*sent of `reqlen` bytes written so far) is
 * written as the pipe takes it; a stdin the worker closed stops that.
 */
static int
next_frame(struct vr_psworker *w, struct frame *f, const char *req,
    size_t reqlen, size_t *sent, int64_t deadline)
{
	for (;;) {
		struct pollfd pf[3];
		int np = 0, i, who[3];
		int64_t left;

		if (take_frame(w, f))
			return 1;
		if (w->noise_over ||
		    w->out.n > VR_PS_MAX_OUTPUT + VR_PSWORKER_MAX_REQUEST)
			return VR_EINVALID;
		if (w->out_eof)
			return 0;
		left = deadline - vr_clock_ms();
		if (left <= 0)
			return VR_ETIMEOUT;
		if (req && *sent < reqlen && w->c.in >= 0 && !w->broken_pipe) {
			pf[np].fd = w->c.in, pf[np].events = POLLOUT;
			who[np++] = 0;
		}
		pf[np].fd = w->c.out, pf[np].events = POLLIN;
		who[np++] = 1;
		if (w->c.err >= 0) {
			pf[np].fd = w->c.err, pf[np].events = POLLIN;
			who[np++] = 2;
		}
		if (poll(pf, (nfds_t)np, left > 1000 ? 1000 : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return vr_error_set(VR_ERROR, "poll: %s",
			    strerror(errno));
		}
		if (vr_interrupted())
			return VR_EINTR;
		for (i = 0; i < np; i++)
			if (pf[i].revents)
				pump_one(w, who[i], req, reqlen, sent);
	}
}

/* Read the rest of stderr, briefly: the worker has exited or been
 * killed, so what it wrote is there or nothing more comes. */
static void
drain_err(struct vr_psworker *w)
{
	int64_t end = vr_clock_ms() + 200;

	while (w->c.err >= 0 && vr_clock_ms() < end) {
		struct pollfd pf = { .fd = w->c.err, .events = POLLIN };

		if (poll(&pf, 1, 50) <= 0)
			continue;
		read_into(&w->c.err, &w->err, VR_PS_MAX_OUTPUT, NULL);
	}
}

/* The worker's stdout ended: wait for it to exit (until `deadline`), kill
 * what is left of its process group, and say how it ended into `how`. */
static void
reap_dead(struct vr_psworker *w, int64_t deadline, char *how, size_t howsz)
{
	int exited = 0, st;

	if (deadline > vr_clock_ms() + VR_PSWORKER_EXIT_GRACE_MS)
		deadline = vr_clock_ms() + VR_PSWORKER_EXIT_GRACE_MS;
	while (!(exited = vr_child_poll(&w->c)) && vr_clock_ms() < deadline)
		poll(NULL, 0, 5);
	drain_err(w);
	st = w->c.status;
	vr_child_kill(&w->c);
	if (!exited)
		snprintf(how, howsz, "closed its output");
	else if (WIFSIGNALED(st))
		snprintf(how, howsz, "was killed by signal %d", WTERMSIG(st));
	else
		snprintf(how, howsz, "exited with status %d", WEXITSTATUS(st));
}

/* ": STDERR" and "; it printed: NOISE" for a message, from what the
 * worker wrote since the request began. */
static void
words(struct vr_psworker *w, char *errtext, char *said, size_t sz)
{
	char *plain = vr_ps_clixml_text(w->err.p ? w->err.p : "", w->err.n);
	char e[EXCERPT_MAX + 4], s[EXCERPT_MAX + 4];

	vr_ps_excerpt(e, sizeof(e), plain, strlen(plain));
	free(plain);
	vr_ps_excerpt(s, sizeof(s), w->noise.p ? w->noise.p : "", w->noise.n);
	snprintf(errtext, sz, "%s%s", e[0] ? ": " : "", e);
	snprintf(said, sz, "%s%s", s[0] ? "; it printed: " : "", s);
}

/*
 * Wait for the answer to request `id` (0: the ready frame), writing `req`
 * meanwhile.  Every way it can end is turned into the result here: a
 * good frame (0, *f), or an error naming `what`.  *no_stdin: the worker
 * read EOF before any line.
 */
static int
await(struct vr_psworker *w, const char *what, unsigned long long id,
    const char *req, size_t reqlen, int timeout_ms, int64_t deadline,
    struct frame *f, int *no_stdin)
{
	char errtext[WORDS_MAX], said[WORDS_MAX], how[64];
	size_t sent = 0;
	sigset_t old;
	int pending, rc;

	*no_stdin = 0;
	vr_sigpipe_block(&old, &pending);
	rc = next_frame(w, f, req, reqlen, &sent, deadline);
	vr_sigpipe_restore(&old, pending);
	if (rc == 1 && f->kind == K_EOF) {
		/* it read EOF: it exits now */
		*no_stdin = f->id == 0;
		free(f->text);
		f->text = NULL;
		rc = 0;
	} else if (rc == 1 && f->id == id && (id == 0 ?
	    (f->kind == K_READY || f->kind == K_BROKEN) :
	    (f->kind == K_OK || f->kind == K_ERROR))) {
		return 0;
	}
	words(w, errtext, said, WORDS_MAX);
	if (rc == 1) {
		free(f->text);
		f->text = NULL;
		vr_child_kill(&w->c);
		return vr_error_set(VR_EBACKEND, "%s via '%s': the PowerShell "
		    "worker answered garbage ('%s' is no answer to request "
		    "%llu), so whether it ran is unknown; the worker was "
		    "stopped%s%s", what, w->launcher, w->frame, id, errtext,
		    said);
	}
	if (rc == VR_ETIMEOUT) {
		vr_child_kill(&w->c);
		return vr_error_set(VR_ETIMEOUT, "%s via '%s' did not finish "
		    "within %d ms (killed)%s%s", what, w->launcher, timeout_ms,
		    errtext, said);
	}
	if (rc == VR_EINTR) { /* interrupt.h: stop what runs */
		vr_child_kill(&w->c);
		return vr_error_set(VR_EINTR, "%s via '%s' was stopped by the "
		    "interrupt (killed)", what, w->launcher);
	}
	if (rc == VR_EINVALID) {
		vr_child_kill(&w->c);
		return vr_error_set(VR_EBACKEND, "%s via '%s' printed more "
		    "than %d bytes", what, w->launcher, VR_PS_MAX_OUTPUT);
	}
	if (rc < 0) {
		vr_child_kill(&w->c);
		return rc;
	}
	reap_dead(w, deadline, how, sizeof(how));
	words(w, errtext, said, WORDS_MAX);
	if (*no_stdin)
		return vr_error_set(VR_EBACKEND, "the PowerShell worker via "
		    "'%s' read no request: its stdin was closed", w->launcher);
	if (id == 0)
		return vr_error_set(VR_EBACKEND, "%s via '%s': the PowerShell "
		    "worker %s before it was ready%s%s", what, w->launcher, how,
		    errtext[0] ? errtext : " (no error output)", said);
	return vr_error_set(VR_EBACKEND, "%s via '%s': the PowerShell worker "
	    "%s before it answered, so whether it ran is unknown%s%s", what,
	    w->launcher, how, errtext, said);
}

static void
request_reset(struct vr_psworker *w)
{
	w->noise.n = w->err.n = 0;
	w->noise_over = 0;
}

int
vr_psworker_start(struct vr_psworker **out, char *const *argv,
    const char *launcher, const char *what, int timeout_ms, int64_t deadline,
    int *no_stdin)
{
	struct vr_psworker *w = vr_calloc(1, sizeof(*w));
	struct frame f;
	int rc, e;

	*out = NULL;
	*no_stdin = 0;
	w->launcher = vr_strdup(launcher);
	if (vr_spawn(&w->c, argv, 0, &e) < 0) {
		rc = e ? vr_error_set(VR_EBACKEND, "cannot run PowerShell "
		    "launcher '%s': %s", argv[0], strerror(e)) :
		    vr_error_last()->code;
		vr_psworker_stop(w);
		return rc;
	}
	rc = await(w, what, 0, NULL, 0, timeout_ms, deadline, &f, no_stdin);
	if (rc == 0 && f.kind == K_BROKEN) {
		char msg[EXCERPT_MAX + 4];

		vr_ps_excerpt(msg, sizeof(msg), (const char *)f.text, f.len);
		rc = vr_error_set(VR_EBACKEND, "%s via '%s' failed: %s", what,
		    launcher, msg);
	}
	free(f.text);
	if (rc < 0) {
		vr_psworker_stop(w);
		return rc;
	}
	request_reset(w);
	*out = w;
	return 0;
}

int
vr_psworker_call(struct vr_psworker *w, const char *what, unsigned long id,
    const char *body, int timeout_ms, int64_t deadline, char **out,
    size_t *len, int *no_stdin)
{
	char *text = vr_psworker_request(body), *b64, *line;
	char said[WORDS_MAX], errtext[WORDS_MAX], msg[EXCERPT_MAX + 4];
	size_t n;
	struct frame f;
	int rc;

	*out = NULL;
	*len = 0;
	*no_stdin = 0;
	n = strlen(text);
	if (vr_ps_utf8_invalid(text, n)) {
		free(text);
		return vr_error_set(VR_EINVALID, "a PowerShell request is not "
		    "valid UTF-8");
	}
	b64 = vr_base64((const unsigned char *)text, n);
	free(text);
	if (strlen(b64) > VR_PSWORKER_MAX_REQUEST) {
		n = strlen(b64);
		free(b64);
		return vr_error_set(VR_EINVALID, "a PowerShell request encodes "
		    "to %zu characters, more than %d", n,
		    VR_PSWORKER_MAX_REQUEST);
	}
	line = vr_asprintf("%lu %s\n", id, b64);
	free(b64);
	request_reset(w);
	rc = await(w, what, id, line, strlen(line), timeout_ms, deadline, &f,
	    no_stdin);
	free(line);
	if (rc < 0)
		return rc;
	if (f.kind == K_ERROR) {
		words(w, errtext, said, WORDS_MAX);
		vr_ps_excerpt(msg, sizeof(msg), (const char *)f.text, f.len);
		free(f.text);
		return vr_error_set(VR_EBACKEND, "%s via '%s' failed: %s%s%s%s",
		    what, w->launcher, msg, said, errtext[0] ?
		    "; on stderr" : "", errtext);
	}
	*out = (char *)f.text;
	*len = f.len;
	return 0;
}

int
vr_psworker_alive(struct vr_psworker *w)
{
	if (!w || w->c.pid < 0 || w->out_eof)
		return 0;
	if (vr_child_poll(&w->c)) {
		vr_child_kill(&w->c);
		return 0;
	}
	return 1;
}

pid_t
vr_psworker_pid(const struct vr_psworker *w)
{
	return w ? w->c.pid : -1;
}

void
vr_psworker_stop(struct vr_psworker *w)
{
	if (!w)
		return;
	vr_child_close_in(&w->c);
	if (w->c.pid > 0)
		vr_child_wait(&w->c, vr_clock_ms() + VR_PSWORKER_EXIT_GRACE_MS);
	vr_child_kill(&w->c);
	free(w->out.p);
	free(w->noise.p);
	free(w->err.p);
	free(w->launcher);
	free(w);
}
