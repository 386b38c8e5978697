/*
 * statedir.h - the state dir (README.md, "State dir"): a lock so one
 * reconciler runs at a time, status.json (per VM: revisions, result, time,
 * last results), and the last applied spec per VM (last-applied.json).  Every write is atomic; the
 * directory is 0700 and its files 0600; a directory or file that is not the
 * user's own is refused (see statedir.c).
 *
 * A pass (vr_statedir_pass_begin .. _end) writes each file once: the puts
 * inside it change the files in memory and queue journal lines, which
 * vr_statedir_sync makes durable (after each VM whose apply is done) and
 * vr_statedir_pass_end folds into the files.  Outside a pass a put is
 * written at once.
 */
#ifndef VR_STATEDIR_H
#define VR_STATEDIR_H

#include <stdbool.h>
#include <stdint.h>

#include "../../schema/model.h"

struct vr_statedir;

/* Default: /var/lib/vmrecon as root, else $XDG_STATE_HOME/vmrecon (or
 * ~/.local/state/vmrecon).  Returns a malloc'd string. */
char *vr_statedir_default(void);

/* With `lock`: create the directory if needed, take the lock or fail at
 * once with VR_ECONFLICT naming the holder, and fold in the journal a
 * killed pass left.  Without: create and write nothing (diff, status, get);
 * a missing directory is VR_ENOTFOUND.  Either way a directory not owned by
 * the user or writable by group or others is refused (VR_EINVALID). */
int vr_statedir_open(struct vr_statedir **out, const char *path, bool lock);
void vr_statedir_free(struct vr_statedir *sd);

/* Open directory `name` of the state dir (the https cache) relative to
 * it, never through a symbolic link, and only if it is the user's and not
 * writable by group or others, as the state dir: its fd (the caller
 * closes it), or VR_ENOTFOUND, VR_EINVALID saying why it is refused,
 * VR_ERROR.  With `create` a missing one is made (0700). */
int vr_statedir_subdir(struct vr_statedir *sd, const char *name,
    bool create);
const char *vr_statedir_path(const struct vr_statedir *sd);

/* The last applied spec of VM `name`: 0 and *out filled, VR_ENOTFOUND, or
 * an error for a corrupt file. */
int vr_statedir_record_get(struct vr_statedir *sd, const char *name,
    struct vr_vm_spec *out);
int vr_statedir_record_put(struct vr_statedir *sd,
    const struct vr_vm_spec *applied);
/* Written ahead of a GPU change: the record of VM `name` forgets its GPU
 * and is marked "gpuInFlight" until record_put replaces it after the change
 * was seen through.  Until then record_get gives an unmanaged (unknown)
 * GPU, never the old one: a dead vmrecon or a failed verify cannot make a
 * later pass put the old GPU back. */
int vr_statedir_record_gpu_in_flight(struct vr_statedir *sd,
    const char *name);

/* How long the last restart of VM `name` took, in seconds, as apply
 * measured it (restart-times.json, written at once and atomically, apart
 * from the pass): 0 and *out_s, VR_ENOTFOUND before any, or an error for
 * a corrupt file.  put records one. */
int vr_statedir_restart_get(struct vr_statedir *sd, const char *name,
    int64_t *out_s);
int vr_statedir_restart_put(struct vr_statedir *sd, const char *name,
    int64_t seconds);

/* See the top of this file.  pass_drop forgets what the pass put and has
 * not synced (a buffered backend that could not write its changes). */
void vr_statedir_pass_begin(struct vr_statedir *sd);
int vr_statedir_sync(struct vr_statedir *sd);
int vr_statedir_pass_end(struct vr_statedir *sd);
void vr_statedir_pass_drop(struct vr_statedir *sd);

enum vr_result {
	VR_RESULT_CONVERGED,   /* in sync after this pass */
	VR_RESULT_PENDING,     /* restart-mode changes left pending */
	VR_RESULT_FAILED,      /* error; message says what was applied */
	VR_RESULT_DRIFTED,     /* drift seen and not corrected */
	VR_RESULT_INTERRUPTED, /* apply stopped by an interrupt; message says
				* what is known (not started, in flight:
				* unknown, applied but not verified) */
	VR_RESULT__COUNT       /* how many there are (metrics count each) */
};

const char *vr_result_name(enum vr_result r);

/* Record one reconcile of VM `name` in status.json.  `revision` may be NULL;
 * on VR_RESULT_CONVERGED (every change applied, none pending) it becomes
 * lastAppliedRevision.  `message` is copied first, so vr_error_msg() may
 * be passed. */
int vr_statedir_status_put(struct vr_statedir *sd, const char *name,
    const char *revision, enum vr_result result, const char *message);

/* Change status.json in place: `edit` gets the whole document
 * ({"formatVersion": 1, "vms": {...}}; other top-level keys are kept) and
 * returns 0 to save it atomically, or an error to leave the file as it was.
 * For what status_put does not record (watch: the Git source, conditions). */
struct json_t;
int vr_statedir_status_edit(struct vr_statedir *sd,
    int (*edit)(struct json_t *doc, void *arg), void *arg);

/* status.json (with any journal in it) as text, for `vmrecon status`, or
 * NULL with VR_ENOTFOUND when nothing was recorded yet. */
int vr_statedir_status_read(struct vr_statedir *sd, char **out);

#endif
