/*
 * qmp.h - a small client for QEMU's machine protocol (QMP): JSON objects,
 * one per line, over a unix socket.
 *
 * It reads the greeting, negotiates capabilities, then runs one command at a
 * time.  Events that arrive while it waits for a command's return are kept
 * in a bounded queue for vr_qmp_wait_event().  Every line is bounded
 * (VR_QMP_MAX_LINE) and every read has a deadline.  Whatever the peer sends,
 * the result is a value or an error (VR_EBACKEND, with QEMU's own error
 * text when it gives one; VR_ETIMEOUT), never a crash.  After a protocol
 * error the stream cannot be trusted and every later call fails.
 */
#ifndef VR_QMP_H
#define VR_QMP_H

#include <stdbool.h>
#include <jansson.h>

#define VR_QMP_MAX_LINE (1024 * 1024)  /* bytes in one reply or event */
#define VR_QMP_MAX_EVENTS 256          /* queued events; oldest dropped */

struct vr_qmp;

/* Connect to the unix socket `path`, read the greeting and enter command
 * mode.  `timeout_ms` bounds each later command (0: 10 s); the greeting
 * is waited for at most 2 s of it (QEMU greets at once), and a path that
 * is no socket is refused as such (VR_EINVALID) before connecting. */
int vr_qmp_connect(struct vr_qmp **out, const char *path, int timeout_ms);

/* The same over an already connected descriptor, which the client then
 * owns (closed by vr_qmp_free, also on failure). */
int vr_qmp_open_fd(struct vr_qmp **out, int fd, int timeout_ms);

void vr_qmp_free(struct vr_qmp *q);

/* Run `cmd` with `args` (an object or NULL; not stolen).  On success *out
 * is a new reference to the "return" value (free with json_decref).  A QMP
 * error reply is VR_EBACKEND with the error's "desc" as message. */
int vr_qmp_exec(json_t **out, struct vr_qmp *q, const char *cmd,
    json_t *args);

/* vr_qmp_exec with arguments built by json_pack() from `fmt` (which must
 * make an object); the return value is dropped if `out` is NULL. */
int vr_qmp_execf(json_t **out, struct vr_qmp *q, const char *cmd,
    const char *fmt, ...);

/* Does this event (the whole object: "event", "data", "timestamp") match? */
typedef bool (*vr_qmp_event_pred)(const json_t *event, void *arg);

/* Take the first queued or arriving event that `pred` accepts, waiting at
 * most timeout_ms.  *out (may be NULL) gets a new reference.
 * VR_ETIMEOUT when none came. */
int vr_qmp_wait_event(json_t **out, struct vr_qmp *q, vr_qmp_event_pred pred,
    void *arg, int timeout_ms);

/* Whether the connection may still be used: false after a protocol
 * error, a timeout or an interrupt, when a reply may still be on its
 * way (a QMP error reply leaves it usable: QEMU refused that command). */
bool vr_qmp_usable(const struct vr_qmp *q);

/* Events queued now (for tests). */
size_t vr_qmp_queued_events(const struct vr_qmp *q);

#endif
