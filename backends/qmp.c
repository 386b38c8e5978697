/*
 * qmp.c - the QMP client: bounded lines, deadlines on every read and write,
 * one command in flight, events queued.  See qmp.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../schema/util/clock.h"
#include "../schema/util/error.h"
#include "../schema/util/interrupt.h"
#include "../schema/util/units.h"
#include "qmp.h"

#define DEFAULT_TIMEOUT_MS 10000
/* QEMU greets as soon as it accepts; a peer silent this long is no QMP
 * monitor, or one that serves another client (one at a time) */
#define GREETING_MS 2000
#define READ_CHUNK 65536

struct vr_qmp {
	int fd;
	int timeout_ms;
	bool broken;       /* a protocol error happened: refuse further use */
	long long next_id;
	char *buf;         /* bytes read, not yet split into lines */
	size_t len, cap;
	json_t *events[VR_QMP_MAX_EVENTS];
	size_t nevents;
};

/* Mark the stream unusable and record why; returns code. */
static int
fail(struct vr_qmp *q, int code, const char *fmt, const char *detail)
{
	q->broken = true;
	return vr_error_set(code, fmt, detail ? detail : "");
}

/* Copy at most `max` characters of untrusted text, control bytes as '?'. */
static void
clean_text(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < dstsz; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ?
		    '?' : src[i];
	dst[i] = '\0';
}

static int
remaining(long long deadline)
{
	long long left = deadline - vr_clock_ms();

	return left < 0 ? 0 : (int)left;
}

static int
write_all(struct vr_qmp *q, const char *data, size_t n, long long deadline)
{
	size_t off = 0;

	while (off < n) {
		struct pollfd p = { q->fd, POLLOUT, 0 };
		ssize_t w;
		int pr = poll(&p, 1, remaining(deadline));

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return fail(q, VR_EBACKEND, "qmp: poll: %s",
			    strerror(errno));
		if (pr == 0)
			return fail(q, VR_ETIMEOUT, "qmp: timed out writing a "
			    "command%s", NULL);
		w = send(q->fd, data + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return fail(q, VR_EBACKEND, "qmp: write: %s",
			    strerror(errno));
		off += (size_t)w;
	}
	return 0;
}

/* The next line (without its newline) into *out, NUL-terminated, owned by
 * the caller. */
static int
read_line(char **out, struct vr_qmp *q, long long deadline)
{
	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd p = { q->fd, POLLIN, 0 };
		size_t want;
		ssize_t r;
		int pr;

		if (nl) {
			size_t n = (size_t)(nl - q->buf);

			*out = vr_strndup(q->buf, n);
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			return 0;
		}
		if (q->len >= VR_QMP_MAX_LINE)
			return fail(q, VR_EBACKEND, "qmp: a line from QEMU is "
			    "longer than 1 MiB%s", NULL);
		pr = poll(&p, 1, remaining(deadline));
		if (pr < 0 && errno == EINTR && vr_interrupted())
			return fail(q, VR_EINTR, "qmp: interrupted while "
			    "waiting for QEMU%s", NULL);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return fail(q, VR_EBACKEND, "qmp: poll: %s",
			    strerror(errno));
		if (pr == 0)
			return fail(q, VR_ETIMEOUT, "qmp: no reply from QEMU "
			    "in time%s", NULL);
		want = VR_QMP_MAX_LINE + 1 - q->len;
		if (want > READ_CHUNK)
			want = READ_CHUNK;
		if (q->cap < q->len + want) {
			q->cap = q->len + want;
			q->buf = vr_realloc(q->buf, q->cap);
		}
		r = read(q->fd, q->buf + q->len, want);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return fail(q, VR_EBACKEND, "qmp: read: %s",
			    strerror(errno));
		if (r == 0)
			return fail(q, VR_EBACKEND, "qmp: QEMU closed the "
			    "connection%s", NULL);
		q->len += (size_t)r;
	}
}

/* The next JSON object from the peer (blank lines skipped). */
static int
read_object(json_t **out, struct vr_qmp *q, long long deadline)
{
	json_error_t jerr;
	json_t *v;
	char *line = NULL;
	size_t i;
	int rc;

	*out = NULL;
	for (;;) {
		rc = read_line(&line, q, deadline);
		if (rc < 0)
			return rc;
		for (i = 0; line[i] == ' ' || line[i] == '\t' ||
		    line[i] == '\r'; i++)
			;
		if (line[i])
			break;
		free(line);
	}
	v = json_loads(line, 0, &jerr);
	free(line);
	if (!v) {
		char text[200];

		clean_text(text, sizeof(text), jerr.text);
		return fail(q, VR_EBACKEND, "qmp: malformed reply from QEMU: "
		    "%s", text);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return fail(q, VR_EBACKEND, "qmp: reply from QEMU is not a "
		    "JSON object%s", NULL);
	}
	*out = v;
	return 0;
}

static void
queue_event(struct vr_qmp *q, json_t *ev)
{
	if (q->nevents == VR_QMP_MAX_EVENTS) {
		json_decref(q->events[0]);
		memmove(q->events, q->events + 1,
		    (q->nevents - 1) * sizeof(q->events[0]));
		q->nevents--;
	}
	q->events[q->nevents++] = ev;
}

static bool
is_event(const json_t *o)
{
	return json_is_string(json_object_get(o, "event"));
}

int
vr_qmp_exec(json_t **out, struct vr_qmp *q, const char *cmd, json_t *args)
{
	long long deadline = vr_clock_ms() + q->timeout_ms, id;
	json_t *req, *reply = NULL, *v, *err;
	char *text;
	int rc;

	if (out)
		*out = NULL;
	if (q->broken)
		return vr_error_set(VR_EBACKEND, "qmp: the connection is "
		    "unusable after an earlier error");
	id = ++q->next_id;
	req = json_pack("{s:s, s:I}", "execute", cmd, "id", (json_int_t)id);
	if (args)
		json_object_set(req, "arguments", args);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return vr_error_set(VR_EINVALID, "qmp: cannot encode '%s'",
		    cmd);
	rc = write_all(q, text, strlen(text), deadline);
	if (rc == 0)
		rc = write_all(q, "\n", 1, deadline);
	free(text);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = read_object(&reply, q, deadline);
		if (rc < 0)
			return rc;
		if (is_event(reply)) {
			queue_event(q, reply);
			continue;
		}
		break;
	}
	v = json_object_get(reply, "id");
	if (!json_is_integer(v) || json_integer_value(v) != id) {
		rc = fail(q, VR_EBACKEND, "qmp: reply to '%s' carries another "
		    "command's id", cmd);
		goto out;
	}
	err = json_object_get(reply, "error");
	if (err) {
		const char *desc = json_string_value(json_object_get(err,
		    "desc"));
		char clean[600];

		if (!json_is_object(err) || !desc) {
			rc = fail(q, VR_EBACKEND, "qmp: malformed error reply "
			    "to '%s'", cmd);
			goto out;
		}
		clean_text(clean, sizeof(clean), desc);
		rc = vr_error_set(VR_EBACKEND, "%s", clean);
		goto out;
	}
	v = json_object_get(reply, "return");
	if (!v) {
		rc = fail(q, VR_EBACKEND, "qmp: reply to '%s' has neither "
		    "return nor error", cmd);
		goto out;
	}
	if (out)
		*out = json_incref(v);
	rc = 0;
out:
	json_decref(reply);
	return rc;
}

int
vr_qmp_execf(json_t **out, struct vr_qmp *q, const char *cmd,
    const char *fmt, ...)
{
	json_error_t jerr;
	json_t *args;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	args = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	if (!args || !json_is_object(args)) {
		json_decref(args);
		return vr_error_set(VR_EINVALID, "qmp: bad arguments for "
		    "'%s': %s", cmd, jerr.text);
	}
	rc = vr_qmp_exec(out, q, cmd, args);
	json_decref(args);
	return rc;
}

int
vr_qmp_wait_event(json_t **out, struct vr_qmp *q, vr_qmp_event_pred pred,
    void *arg, int timeout_ms)
{
	long long deadline = vr_clock_ms() + timeout_ms;
	json_t *o = NULL;
	size_t i;
	int rc;

	if (out)
		*out = NULL;
	for (i = 0; i < q->nevents; i++) {
		if (!pred(q->events[i], arg))
			continue;
		o = q->events[i];
		memmove(q->events + i, q->events + i + 1,
		    (q->nevents - i - 1) * sizeof(q->events[0]));
		q->nevents--;
		goto found;
	}
	if (q->broken)
		return vr_error_set(VR_EBACKEND, "qmp: the connection is "
		    "unusable after an earlier error");
	for (;;) {
		/* a timeout here only means no event came: the stream stays
		 * usable, so do not let read_line mark it broken */
		struct pollfd p = { q->fd, POLLIN, 0 };
		bool have_line = q->len && memchr(q->buf, '\n', q->len);

		if (!have_line) {
			int pr = poll(&p, 1, remaining(deadline));

			if (pr < 0 && errno != EINTR)
				return fail(q, VR_EBACKEND, "qmp: poll: %s",
				    strerror(errno));
			if (pr == 0)
				return vr_error_set(VR_ETIMEOUT, "qmp: the "
				    "awaited event did not come in %d ms",
				    timeout_ms);
			if (pr < 0 && vr_interrupted())
				return vr_error_set(VR_EINTR, "qmp: interrupted "
				    "while waiting for an event");
			if (pr < 0)
				continue;
		}
		rc = read_object(&o, q, deadline);
		if (rc < 0)
			return rc;
		if (!is_event(o)) {
			json_decref(o);
			return fail(q, VR_EBACKEND, "qmp: unexpected reply "
			    "while no command was running%s", NULL);
		}
		if (pred(o, arg))
			goto found;
		queue_event(q, o);
	}
found:
	if (out)
		*out = o;
	else
		json_decref(o);
	return 0;
}

bool
vr_qmp_usable(const struct vr_qmp *q)
{
	return q && !q->broken;
}

size_t
vr_qmp_queued_events(const struct vr_qmp *q)
{
	return q->nevents;
}

int
vr_qmp_open_fd(struct vr_qmp **out, int fd, int timeout_ms)
{
	struct vr_qmp *q = vr_calloc(1, sizeof(*q));
	json_t *greeting = NULL;
	char d[32];
	int rc, fl, wait;

	*out = NULL;
	q->fd = fd;
	q->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		rc = vr_error_set(VR_EBACKEND, "qmp: fcntl: %s",
		    strerror(errno));
		goto fail;
	}
	wait = q->timeout_ms < GREETING_MS ? q->timeout_ms : GREETING_MS;
	rc = read_object(&greeting, q, vr_clock_ms() + wait);
	if (rc == VR_ETIMEOUT) {
		rc = vr_error_set(VR_ETIMEOUT, "qmp: no greeting within %s: "
		    "the socket does not speak QMP, or another client holds "
		    "QEMU's monitor (it serves one at a time)",
		    vr_duration_format(d, sizeof(d), wait));
		goto fail;
	}
	if (rc < 0) {
		vr_error_wrap(rc, "qmp: no greeting");
		goto fail;
	}
	if (!json_is_object(json_object_get(greeting, "QMP"))) {
		rc = vr_error_set(VR_EBACKEND, "qmp: the peer did not greet "
		    "as QMP (is this a QMP socket?)");
		goto fail;
	}
	rc = vr_qmp_exec(NULL, q, "qmp_capabilities", NULL);
	if (rc < 0) {
		vr_error_wrap(rc, "qmp: qmp_capabilities");
		goto fail;
	}
	json_decref(greeting);
	*out = q;
	return 0;
fail:
	json_decref(greeting);
	vr_qmp_free(q);
	return rc;
}

int
vr_qmp_connect(struct vr_qmp **out, const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	*out = NULL;
	/* connect(2) on a file says "Connection refused": say what it is */
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return vr_error_set(VR_EINVALID, "qmp: %s is not a socket but "
		    "a %s; give the VM's QMP socket (QEMU's -qmp "
		    "unix:PATH,server=on,wait=off)", path, S_ISDIR(st.st_mode) ?
		    "directory" : S_ISREG(st.st_mode) ? "regular file" :
		    "special file");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return vr_error_set(VR_EINVALID, "qmp: socket path too long: "
		    "%s", path);
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vr_error_set(VR_EBACKEND, "qmp: socket: %s",
		    strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return vr_error_set(e == ENOENT ? VR_ENOTFOUND : VR_EBACKEND,
		    "qmp: cannot connect to %s: %s", path, strerror(e));
	}
	return vr_qmp_open_fd(out, fd, timeout_ms);
}

void
vr_qmp_free(struct vr_qmp *q)
{
	size_t i;

	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	for (i = 0; i < q->nevents; i++)
		json_decref(q->events[i]);
	free(q->buf);
	free(q);
}
