/*
 * sdnotify.h - systemd's readiness and watchdog protocol (sd_notify(3)),
 * written here without libsystemd: newline-separated VAR=value lines in
 * one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
 * '@' for the abstract namespace).  `watch` sends READY=1 once its first
 * pass has ended, WATCHDOG=1 every half of $WATCHDOG_USEC (when
 * $WATCHDOG_PID is unset or names this process) and STOPPING=1 when it
 * stops.  Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef VR_SDNOTIFY_H
#define VR_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct vr_sdnotify {
	int fd;             /* -1: not under systemd (or not Type=notify) */
	char path[108];     /* sun_path; a leading NUL for '@' */
	unsigned pathlen;
	int64_t every_ms;   /* keep-alive period; 0: no watchdog */
	int64_t next_ms;    /* monotonic ms of the next keep-alive */
	bool ready;
};

/* Read the environment; a bad $NOTIFY_SOCKET is ignored (returns -1 with
 * the reason in vr_error_last(), n stays usable and silent). */
int vr_sdnotify_open(struct vr_sdnotify *n);

/* Send `state` ("READY=1\nSTATUS=..."); 0 when there is no socket. */
int vr_sdnotify_send(struct vr_sdnotify *n, const char *state);

/* READY=1 with STATUS=`status`, the first time only. */
void vr_sdnotify_ready(struct vr_sdnotify *n, const char *status);

/* WATCHDOG=1 if due at monotonic `now_ms`; returns when the next one is
 * due (INT64_MAX: never), for the caller's wait. */
int64_t vr_sdnotify_tick(struct vr_sdnotify *n, int64_t now_ms);

void vr_sdnotify_close(struct vr_sdnotify *n);

#endif
