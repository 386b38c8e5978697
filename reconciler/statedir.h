/*
 * statedir.h - the state dir (DESIGN §6): a lock so one reconciler runs at a
 * time, status.json (per VM: revisions, result, time, last results), and the
 * last applied spec per VM (last-applied.json).  Every write is atomic; the
 * directory is 0700 and its files 0600.
 */
#ifndef VR_STATEDIR_H
#define VR_STATEDIR_H

#include <stdbool.h>

#include "../schema/model.h"

struct vr_statedir;

/* Default: /var/lib/vmrecon as root, else $XDG_STATE_HOME/vmrecon (or
 * ~/.local/state/vmrecon).  Returns a malloc'd string. */
char *vr_statedir_default(void);

/* Create the directory if needed.  With `lock`, take the lock or fail at
 * once with VR_ECONFLICT naming the holder. */
int vr_statedir_open(struct vr_statedir **out, const char *path, bool lock);
void vr_statedir_free(struct vr_statedir *sd);
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

enum vr_result {
	VR_RESULT_CONVERGED,   /* in sync after this pass */
	VR_RESULT_PENDING,     /* restart-mode changes left pending */
	VR_RESULT_FAILED,      /* error; message says what was applied */
	VR_RESULT_DRIFTED,     /* drift seen and not corrected */
};

const char *vr_result_name(enum vr_result r);

/* Record one reconcile of VM `name` in status.json.  `revision` may be NULL;
 * on VR_RESULT_CONVERGED or PENDING it becomes lastAppliedRevision. */
int vr_statedir_status_put(struct vr_statedir *sd, const char *name,
    const char *revision, enum vr_result result, const char *message);

/* Change status.json in place: `edit` gets the whole document
 * ({"formatVersion": 1, "vms": {...}}; other top-level keys are kept) and
 * returns 0 to save it atomically, or an error to leave the file as it was.
 * For what status_put does not record (watch: the Git source, conditions). */
struct json_t;
int vr_statedir_status_edit(struct vr_statedir *sd,
    int (*edit)(struct json_t *doc, void *arg), void *arg);

/* status.json as text (for `vmrecon status -o json`), or NULL with
 * VR_ENOTFOUND when nothing was recorded yet. */
int vr_statedir_status_read(struct vr_statedir *sd, char **out);

#endif
