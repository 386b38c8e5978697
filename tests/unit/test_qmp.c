/*
 * test_qmp.c - the QMP client against a real peer on a socket (a thread
 * that plays QEMU from a script): normal replies and events, QEMU errors,
 * and malformed, hostile, oversized or missing lines, which must be errors
 * and never crashes or hangs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../backends/qmp.h"
#include "../../schema/util/error.h"
#include "../../schema/util/clock.h"
#include "unit.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, " \
	"\"capabilities\": []}}\n"
#define CAPS_OK "{\"return\": {}, \"id\": @ID@}\n"

/* The peer: sends `greeting`, then for each reply reads one request line
 * and answers with the template, "@ID@" replaced by the request's id.
 * "@BIG@" sends 2 MiB without a newline; "@DEEP@" a deeply nested array;
 * NULL ends the script (the peer then waits for the client to close). */
struct peer {
	int fd, listen_fd;
	const char *greeting;
	const char *replies[8];
	pthread_t th;
};

static void
send_n(int fd, const char *s, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void
send_str(int fd, const char *s)
{
	send_n(fd, s, strlen(s));
}

static long long
request_id(int fd)
{
	char line[4096];
	size_t n = 0;
	json_t *req;
	long long id = -1;

	while (n + 1 < sizeof(line)) {
		if (read(fd, line + n, 1) != 1)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	req = json_loads(line, 0, NULL);
	if (req && json_is_integer(json_object_get(req, "id")))
		id = json_integer_value(json_object_get(req, "id"));
	json_decref(req);
	return id;
}

static void
send_big(int fd, size_t n, const char *pre, const char *unit,
    const char *post)
{
	size_t i, ul = strlen(unit), pl = strlen(pre), ql = strlen(post);
	char *s = malloc(pl + n * ul + ql + 1), *p = s;

	memcpy(p, pre, pl);
	p += pl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, post, ql + 1);
	send_str(fd, s);
	free(s);
}

static void *
peer_main(void *arg)
{
	struct peer *pr = arg;
	char buf[256];
	size_t i;

	if (pr->listen_fd >= 0)
		pr->fd = accept(pr->listen_fd, NULL, NULL);
	if (pr->greeting)
		send_str(pr->fd, pr->greeting);
	for (i = 0; i < 8 && pr->replies[i]; i++) {
		const char *t = pr->replies[i], *at;
		long long id = request_id(pr->fd);

		if (id < 0)
			break;
		if (strcmp(t, "@BIG@") == 0) {
			send_big(pr->fd, 2 * 1024 * 1024, "", "a", "");
			continue;
		}
		if (strcmp(t, "@DEEP@") == 0) {
			send_big(pr->fd, 100000, "", "[", "\n");
			continue;
		}
		while ((at = strstr(t, "@ID@")) != NULL) {
			send_n(pr->fd, t, (size_t)(at - t));
			snprintf(buf, sizeof(buf), "%lld", id);
			send_str(pr->fd, buf);
			t = at + 4;
		}
		send_str(pr->fd, t);
	}
	/* hold the line open until the client closes its end */
	while (read(pr->fd, buf, sizeof(buf)) > 0)
		;
	close(pr->fd);
	return NULL;
}

/* Start a peer on a socketpair; returns the client's end. */
static int
peer_start(struct peer *pr)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	pr->fd = sv[1];
	pr->listen_fd = -1;
	pthread_create(&pr->th, NULL, peer_main, pr);
	return sv[0];
}

static int
open_peer(struct vr_qmp **q, struct peer *pr, int timeout_ms)
{
	return vr_qmp_open_fd(q, peer_start(pr), timeout_ms);
}

static void
peer_join(struct vr_qmp *q, struct peer *pr)
{
	vr_qmp_free(q);
	pthread_join(pr->th, NULL);
}

static bool
is_named(const json_t *ev, void *arg)
{
	return strcmp(json_string_value(json_object_get(ev, "event")),
	    (const char *)arg) == 0;
}

TEST(test_qmp_exec_keeps_events)
{
	struct peer pr = { .greeting = GREETING, .replies = { CAPS_OK,
	    "{\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": "
	    "{\"source\": 3, \"status\": 0}}}\n"
	    "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"d1\"}}\n"
	    "{\"return\": {\"name\": \"edge-01\"}, \"id\": @ID@}\n" } };
	struct vr_qmp *q;
	json_t *ret = NULL, *ev = NULL;

	CHECK_INT(open_peer(&q, &pr, 2000), 0);
	CHECK_INT(vr_qmp_exec(&ret, q, "query-name", NULL), 0);
	CHECK_STR(json_string_value(json_object_get(ret, "name")), "edge-01");
	CHECK_INT(vr_qmp_queued_events(q), 2);
	CHECK_INT(vr_qmp_wait_event(&ev, q, is_named, "DEVICE_DELETED", 10),
	    0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(ev,
	    "data"), "device")), "d1");
	CHECK_INT(vr_qmp_queued_events(q), 1);
	/* nothing else will come: a timeout, and the stream stays usable */
	CHECK_INT(vr_qmp_wait_event(NULL, q, is_named, "NOPE", 50),
	    VR_ETIMEOUT);
	CHECK_INT(vr_qmp_queued_events(q), 1);
	json_decref(ret);
	json_decref(ev);
	peer_join(q, &pr);
}

TEST(test_qmp_event_arrives_while_waiting)
{
	struct peer pr = { .greeting = GREETING, .replies = { CAPS_OK,
	    "{\"return\": {}, \"id\": @ID@}\n"
	    "{\"event\": \"OTHER\"}\n"
	    "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"x\"}}\n"
	} };
	struct vr_qmp *q;

	CHECK_INT(open_peer(&q, &pr, 2000), 0);
	CHECK_INT(vr_qmp_execf(NULL, q, "device_del", "{s:s}", "id", "x"), 0);
	CHECK_INT(vr_qmp_wait_event(NULL, q, is_named, "DEVICE_DELETED", 2000),
	    0);
	CHECK_INT(vr_qmp_queued_events(q), 1); /* OTHER kept */
	peer_join(q, &pr);
}

TEST(test_qmp_error_reply_is_qemus_message)
{
	struct peer pr = { .greeting = GREETING, .replies = { CAPS_OK,
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"vfio "
	    "0000:01:00.0: no such host device\\u0007\\n\"}, \"id\": @ID@}\n",
	    "{\"return\": 7, \"id\": @ID@}\n" } };
	struct vr_qmp *q;
	json_t *ret = NULL;

	CHECK_INT(open_peer(&q, &pr, 2000), 0);
	CHECK_INT(vr_qmp_exec(&ret, q, "device_add", NULL), VR_EBACKEND);
	CHECK_STR(vr_error_msg(), "vfio 0000:01:00.0: no such host device??");
	CHECK(ret == NULL);
	/* a QEMU error is not a protocol error: the next command works */
	CHECK_INT(vr_qmp_exec(&ret, q, "x", NULL), 0);
	CHECK_INT(json_integer_value(ret), 7);
	json_decref(ret);
	peer_join(q, &pr);
}

/* Each of these replies must fail the command and break the stream. */
static void
check_hostile(const char *reply, const char *want_msg)
{
	struct peer pr = { .greeting = GREETING, .replies = { CAPS_OK,
	    reply } };
	struct vr_qmp *q;
	json_t *ret = NULL;
	int rc;

	CHECK_INT(open_peer(&q, &pr, 1000), 0);
	rc = vr_qmp_exec(&ret, q, "query-status", NULL);
	CHECK(rc == VR_EBACKEND || rc == VR_ETIMEOUT);
	CHECK_CONTAINS(vr_error_msg(), want_msg);
	CHECK(ret == NULL);
	CHECK_INT(vr_qmp_exec(&ret, q, "query-status", NULL), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "unusable");
	peer_join(q, &pr);
}

TEST(test_qmp_hostile_replies)
{
	check_hostile("{\"return\": {\n", "malformed reply");
	check_hostile("not json at all\n", "malformed reply");
	check_hostile("[1, 2, 3]\n", "not a JSON object");
	check_hostile("\"just a string\"\n", "malformed reply");
	check_hostile("{\"return\": {}, \"id\": 999}\n", "another command");
	check_hostile("{\"return\": {}}\n", "another command");
	check_hostile("{\"id\": @ID@}\n", "neither return nor error");
	check_hostile("{\"error\": \"boom\", \"id\": @ID@}\n",
	    "malformed error reply");
	check_hostile("{\"error\": {\"desc\": 5}, \"id\": @ID@}\n",
	    "malformed error reply");
	check_hostile("{\"return\": \"\\u0000\", \"id\": @ID@}\n",
	    "malformed reply");
	check_hostile("@BIG@", "longer than 1 MiB");
	check_hostile("@DEEP@", "malformed reply");
	check_hostile("{\"return\": {}, \"id\": @ID@", "no reply");
}

TEST(test_qmp_bad_greetings)
{
	struct peer p1 = { .greeting = "{\"hello\": 1}\n",
	    .replies = { NULL } };
	struct peer p2 = { .greeting = NULL, .replies = { NULL } };
	struct peer p3 = { .greeting = GREETING, .replies = {
	    "{\"error\": {\"desc\": \"no caps for you\"}, \"id\": @ID@}\n" } };
	struct vr_qmp *q = NULL;
	long long t0;

	CHECK_INT(open_peer(&q, &p1, 1000), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "did not greet as QMP");
	CHECK(q == NULL);
	pthread_join(p1.th, NULL);

	t0 = vr_clock_ms();
	CHECK_INT(open_peer(&q, &p2, 200), VR_ETIMEOUT);
	CHECK_CONTAINS(vr_error_msg(), "no greeting");
	CHECK(vr_clock_ms() - t0 < 2000);
	pthread_join(p2.th, NULL);

	CHECK_INT(open_peer(&q, &p3, 1000), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "no caps for you");
	pthread_join(p3.th, NULL);
}

/* A peer that never greets, with the qemu backend's 30 s per command:
 * given up after the greeting's own 2 s, not after the 30 s. */
TEST(test_qmp_silent_peer_fails_fast)
{
	struct peer pr = { .greeting = NULL, .replies = { NULL } };
	struct vr_qmp *q = NULL;
	long long t0 = vr_clock_ms();

	CHECK_INT(open_peer(&q, &pr, 30000), VR_ETIMEOUT);
	CHECK_CONTAINS(vr_error_msg(), "qmp: no greeting within 2s: the "
	    "socket does not speak QMP");
	/* the bound is the caller's timeout, not a tuned constant */
	CHECK(vr_clock_ms() - t0 < 30000);
	pthread_join(pr.th, NULL);
}

TEST(test_qmp_connect_not_a_socket)
{
	char path[256];
	struct vr_qmp *q = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/qmp.sock", unit_tmpdir());
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp)
		fclose(fp);
	CHECK_INT(vr_qmp_connect(&q, path, 30000), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "is not a socket but a regular file");
	CHECK(q == NULL);
	CHECK_INT(vr_qmp_connect(&q, unit_tmpdir(), 30000), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "is not a socket but a directory");
	unlink(path);
}

TEST(test_qmp_peer_closes)
{
	struct peer pr = { .greeting = GREETING, .replies = { CAPS_OK } };
	struct vr_qmp *q;

	CHECK_INT(open_peer(&q, &pr, 1000), 0);
	/* the peer answers nothing more: it waits for our close; shut its
	 * side down by hand to play a QEMU that died */
	shutdown(pr.fd, SHUT_RDWR);
	CHECK_INT(vr_qmp_exec(NULL, q, "query-status", NULL), VR_EBACKEND);
	/* depending on timing the write or the read notices first */
	CHECK(strstr(vr_error_msg(), "closed the connection") ||
	    strstr(vr_error_msg(), "qmp: write"));
	peer_join(q, &pr);
}

TEST(test_qmp_event_queue_is_bounded)
{
	static char flood[(VR_QMP_MAX_EVENTS + 50) * 24 + 64];
	struct peer pr = { .greeting = GREETING, .replies = { CAPS_OK,
	    flood } };
	struct vr_qmp *q;
	size_t i, off = 0;

	for (i = 0; i < VR_QMP_MAX_EVENTS + 50; i++)
		off += (size_t)snprintf(flood + off, sizeof(flood) - off,
		    "{\"event\": \"E%zu\"}\n", i);
	snprintf(flood + off, sizeof(flood) - off,
	    "{\"return\": {}, \"id\": @ID@}\n");
	CHECK_INT(open_peer(&q, &pr, 2000), 0);
	CHECK_INT(vr_qmp_exec(NULL, q, "x", NULL), 0);
	CHECK_INT(vr_qmp_queued_events(q), VR_QMP_MAX_EVENTS);
	/* the oldest were dropped, the newest kept */
	CHECK_INT(vr_qmp_wait_event(NULL, q, is_named, "E0", 10),
	    VR_ETIMEOUT);
	CHECK_INT(vr_qmp_wait_event(NULL, q, is_named, "E305", 10), 0);
	peer_join(q, &pr);
}

TEST(test_qmp_connect_unix_socket)
{
	struct peer pr = { .greeting = GREETING, .replies = { CAPS_OK,
	    "{\"return\": {\"status\": \"running\"}, \"id\": @ID@}\n" } };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[256];
	struct vr_qmp *q = NULL;
	json_t *ret = NULL;

	snprintf(path, sizeof(path), "%s/qmp.sock", unit_tmpdir());
	CHECK_INT(vr_qmp_connect(&q, path, 500), VR_ENOTFOUND);
	CHECK(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) <
	    (int)sizeof(sa.sun_path));
	pr.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(pr.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(pr.listen_fd, 1) == 0);
	pthread_create(&pr.th, NULL, peer_main, &pr);
	CHECK_INT(vr_qmp_connect(&q, path, 2000), 0);
	CHECK_INT(vr_qmp_exec(&ret, q, "query-status", NULL), 0);
	CHECK_STR(json_string_value(json_object_get(ret, "status")),
	    "running");
	json_decref(ret);
	peer_join(q, &pr);
	close(pr.listen_fd);
	unlink(path);
}
