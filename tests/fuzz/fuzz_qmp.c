/*
 * fuzz_qmp.c - libFuzzer target: the QMP client reading what a peer
 * sends.  The input is the whole stream from "QEMU" (greeting, replies,
 * events, one JSON object a line), written into one end of a socket pair
 * whose write side is then shut; the client on the other end negotiates,
 * runs two commands and waits for events until the stream ends.  Replies
 * must carry ids 1 (qmp_capabilities), 2 and 3 to get far.
 */
#include <signal.h>
#include <sys/socket.h>

#include <jansson.h>

#include "../../backends/qmp.h"
#include "../../schema/util/error.h"
#include "fuzz.h"

#define MAX_INPUT (64 * 1024) /* fits a socket buffer: no writer thread */

static bool
is_deleted(const json_t *ev, void *arg)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	const char *dev = json_string_value(json_object_get(
	    json_object_get(ev, "data"), "device"));

	return name && strcmp(name, "DEVICE_DELETED") == 0 && dev &&
	    strcmp(dev, arg) == 0;
}

static bool
any(const json_t *ev, void *arg)
{
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct vr_qmp *q = NULL;
	json_t *ret = NULL;
	int sv[2], i;

	if (!once++) {
		signal(SIGPIPE, SIG_IGN);
		fuzz_dir();
	}
	if (size > MAX_INPUT)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	i = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &i, sizeof(i));
	if (size && write(sv[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[0], SHUT_WR);
	/* the client owns sv[1] from here, also on failure */
	if (vr_qmp_open_fd(&q, sv[1], 200) < 0)
		goto out;
	if (vr_qmp_exec(&ret, q, "query-status", NULL) == 0)
		json_decref(ret);
	vr_error_clear();
	if (vr_qmp_execf(&ret, q, "device_del", "{s:s}", "id", "gpu0") == 0)
		json_decref(ret);
	vr_error_clear();
	if (vr_qmp_wait_event(NULL, q, is_deleted, "gpu0", 50) < 0)
		vr_error_clear();
	for (i = 0; i < 2 * 256 + 8; i++)
		if (vr_qmp_wait_event(NULL, q, any, NULL, 20) < 0)
			break;
out:
	vr_qmp_free(q);
	close(sv[0]);
	vr_error_clear();
	return 0;
}
