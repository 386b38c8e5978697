/*
 * metrics.h - a Prometheus textfile (text exposition format 0.0.4) for
 * node_exporter's textfile collector, rewritten atomically after each pass.
 *
 *   vmrecon_reconcile_total{result}          counter, one per VM per pass
 *   vmrecon_drift_total                      counter, VMs found differing
 *   vmrecon_last_success_timestamp_seconds   gauge, a pass without error
 *   vmrecon_last_reconcile_duration_seconds  gauge
 *   vmrecon_applied_revision_info{revision}  1, the last applied revision
 *   vmrecon_desired{vm,field}, vmrecon_live{vm,field}  per managed field
 *   vmrecon_restart_pending{vm}              gauge, changes left pending
 *   vmrecon_restart_window_next_start_timestamp_seconds{vm}  gauge, when
 *                                            its next restart window opens
 *
 * With a host name set (watch --hostname), every series also carries
 * host="NAME", so the files of several daemons on one node_exporter (one
 * per container) stay apart; otherwise Prometheus's `instance` label tells
 * the hosts apart.
 *
 * Counters survive between processes: opening reads the previous file
 * back, strictly (a file that is not valid text format restarts them at 0
 * with a warning, and is then replaced).
 */
#ifndef VR_METRICS_H
#define VR_METRICS_H

#include <stdbool.h>

#include "../engine/reconcile.h"

struct vr_metrics;

/* Never fails: a missing or unreadable previous file means zeros (with a
 * warning on stderr when it exists but cannot be used). */
void vr_metrics_open(struct vr_metrics **out, const char *path);
void vr_metrics_free(struct vr_metrics *m);

/* Label every series with host="host" (NULL: no host label). */
void vr_metrics_set_host(struct vr_metrics *m, const char *host);

/* Start a pass: forget the per-VM values gathered so far. */
void vr_metrics_pass_begin(struct vr_metrics *m);

/* An on_vm callback (ctx is the struct vr_metrics). */
void vr_metrics_on_vm(void *ctx, const struct vr_vm_event *ev);

/* Count `n` reconciles with `result` that had no VM event (a pass that
 * failed before any VM was reached). */
void vr_metrics_count(struct vr_metrics *m, enum vr_result result, size_t n);

/* End a pass and write the file: `ok` if the pass had no error,
 * `applied_revision` (NULL: keep the previous one) if it applied a
 * revision, the pass's duration.  Returns 0 or an error (message set). */
int vr_metrics_pass_end(struct vr_metrics *m, bool ok,
    const char *applied_revision, double seconds);

/* The file's text as it would be written now (malloc'd). */
char *vr_metrics_render(const struct vr_metrics *m);

/* Parse text-format `text` strictly and take back the counters; 0, or
 * VR_EINVALID with "line N: why" set. */
int vr_metrics_parse(struct vr_metrics *m, const char *text);

#endif
