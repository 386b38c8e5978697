/*
 * notify.h - webhook notifications after a reconcile, and the background
 * sender they (and commit statuses) use.
 *
 * A poster owns one thread that sends queued HTTPS POSTs with retries and
 * exponential backoff.  Enqueueing never blocks and never fails: when the
 * bounded queue is full the oldest request is dropped.  A failing
 * destination is logged once.  Freeing waits at most `wait_ms` for what is
 * still queued, then aborts the transfer in flight.
 */
#ifndef VR_NOTIFY_H
#define VR_NOTIFY_H

#include <stddef.h>

#include "../engine/reconcile.h"
#include "../gitops/source_http.h"

#define VR_POSTER_QUEUE_MAX 64
#define VR_POSTER_ATTEMPTS 5          /* tries per request */
#define VR_POSTER_BACKOFF_MS 1000L    /* first retry delay; doubles */
#define VR_POSTER_TIMEOUT_MS 10000L   /* per attempt, unless http says */
#define VR_NOTIFY_EXIT_WAIT_MS 2000L  /* what vr_notify_free waits */

struct vr_poster;

/* `http` gives the CA file and the per-attempt timeout (token_file and
 * cache_dir are ignored); it is copied. */
int vr_poster_new(struct vr_poster **out, const struct vr_http_options *http);

/* Queue a POST of `body` to `url` with `headers` (nheaders "Name: value"
 * strings; copied).  A queued request with the same non-NULL `key` is
 * replaced (a newer commit status supersedes an older one). */
void vr_poster_enqueue(struct vr_poster *p, const char *url,
    const char *const *headers, size_t nheaders, const char *body,
    const char *key);

/* Wait at most wait_ms for the queue to empty, stop the thread, free. */
void vr_poster_free(struct vr_poster *p, long wait_ms);

/* How many requests were sent with a 2xx answer / given up / dropped. */
void vr_poster_stats(const struct vr_poster *p, size_t *sent,
    size_t *failed, size_t *dropped);

/* How many requests were ever queued. */
size_t vr_poster_enqueued(const struct vr_poster *p);

struct vr_notify;

/* A notifier posting to `url`; with `hmac_key_file`, each body is signed
 * (X-Signature: sha256=<hex HMAC-SHA256>).  The host name is read once. */
int vr_notify_new(struct vr_notify **out, const char *url,
    const char *hmac_key_file, const struct vr_http_options *http);

/* The "host" of the events (default: gethostname). */
void vr_notify_set_host(struct vr_notify *n, const char *host);

/* An on_vm callback (ctx is the struct vr_notify): queues an event when
 * the VM changed, failed, or drifted; nothing for an in-sync VM, nor for
 * the same drift/pending/failure as the VM's last event (a watch loop
 * that finds the same drift every interval notifies it once). */
void vr_notify_on_vm(void *ctx, const struct vr_vm_event *ev);

/* Queue an event directly (a pass that failed before any VM: vm may be
 * NULL).  result is "converged", "pending", "failed" or "drifted";
 * pending_until, when not 0, is the Unix time a restart window opens for
 * the VM's pending changes (the event's "pendingUntil"). */
void vr_notify_send(struct vr_notify *n, const char *vm,
    const char *revision, const char *result, size_t changes,
    const char *message, int64_t pending_until);

/* The notifier's poster (for its counters). */
struct vr_poster *vr_notify_poster(struct vr_notify *n);

/* Waits at most VR_NOTIFY_EXIT_WAIT_MS for queued events. */
void vr_notify_free(struct vr_notify *n);

/* "sha256=<hex>" of body under key (malloc'd). */
char *vr_notify_signature(const char *key, size_t keylen, const char *body,
    size_t len);

#endif
