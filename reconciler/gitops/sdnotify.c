/* sdnotify.c - READY=1, WATCHDOG=1, STOPPING=1 to systemd (sdnotify.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "sdnotify.h"

int
vr_sdnotify_open(struct vr_sdnotify *n)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (!sock || !sock[0])
		return 0;
	len = strlen(sock);
	if ((sock[0] != '/' && sock[0] != '@') || len >= sizeof(n->path))
		return vr_error_set(VR_EINVALID, "NOTIFY_SOCKET '%s' is not "
		    "a socket path or @name; not notifying systemd", sock);
	memcpy(n->path, sock, len);
	if (sock[0] == '@')
		n->path[0] = '\0'; /* the abstract namespace */
	n->pathlen = (unsigned)len;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return vr_error_set(VR_ERROR, "NOTIFY_SOCKET: socket: %s",
		    strerror(errno));
	/* WATCHDOG_USEC in microseconds; systemd advises half of it */
	if (usec && (!pid || strtol(pid, NULL, 10) == (long)getpid())) {
		char *end;
		unsigned long long us = strtoull(usec, &end, 10);

		if (*end == '\0' && us >= 2000 && us <= 24ULL * 3600 *
		    1000000)
			n->every_ms = (int64_t)(us / 2000);
	}
	n->next_ms = vr_clock_ms();
	return 0;
}

int
vr_sdnotify_send(struct vr_sdnotify *n, const char *state)
{
	struct sockaddr_un sa;

	if (n->fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, n->path, n->pathlen);
	if (sendto(n->fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un,
	    sun_path) + n->pathlen)) < 0)
		return vr_error_set(VR_ERROR, "NOTIFY_SOCKET: %s",
		    strerror(errno));
	return 0;
}

void
vr_sdnotify_ready(struct vr_sdnotify *n, const char *status)
{
	char *msg;

	if (n->ready || n->fd < 0)
		return;
	n->ready = true;
	msg = vr_asprintf("READY=1\nSTATUS=%s", status);
	vr_sdnotify_send(n, msg);
	free(msg);
}

int64_t
vr_sdnotify_tick(struct vr_sdnotify *n, int64_t now_ms)
{
	if (n->fd < 0 || n->every_ms == 0)
		return INT64_MAX;
	if (now_ms >= n->next_ms) {
		vr_sdnotify_send(n, "WATCHDOG=1");
		n->next_ms = now_ms + n->every_ms;
	}
	return n->next_ms;
}

void
vr_sdnotify_close(struct vr_sdnotify *n)
{
	if (n->fd >= 0) {
		vr_sdnotify_send(n, "STOPPING=1");
		close(n->fd);
	}
	n->fd = -1;
}
