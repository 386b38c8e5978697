/*
 * gate.h - whether a VM's restart-mode changes may be applied now, by its
 * spec.restartWindows (schema/window.h): inside a window that stays open
 * long enough for a restart, or with --restart-now; otherwise they wait,
 * and the gate says until when.
 *
 * How long a restart takes: what the last one of this VM took, measured
 * by apply and kept in the state dir (vr_statedir_restart_get), or
 * VR_GATE_RESTART_DEFAULT_S before any was measured.  A restart is
 * started only if that much time is left in the window.
 */
#ifndef VR_GATE_H
#define VR_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../schema/model.h"

/* The restart time assumed before one was measured: 5 minutes, a chosen
 * margin (no EFLOW restart time has been measured for vmrecon yet; the
 * first real restart replaces it with its own). */
#define VR_GATE_RESTART_DEFAULT_S 300

struct vr_gate {
	bool windowed;      /* the spec has restart windows (and IfNeeded) */
	bool held;          /* restart-mode changes must wait */
	bool overridden;    /* held but for --restart-now */
	int64_t until;      /* held: when the next window long enough opens
			     * (0: none within the windows' cycle) */
	int64_t restart_s;  /* the restart time the gate assumed */
	char when[160];     /* `until` in the window's zone and in UTC */
	char why[192];      /* why it is held (or would be) */
};

/* The gate of VM spec `vm` at `now` (seconds since the epoch).
 * restart_s: the VM's measured restart time, or <= 0 for the default.
 * Returns 0, or an error (a zone the database no longer has). */
int vr_gate_compute(struct vr_gate *g, const struct vr_vm_spec *vm,
    int64_t restart_s, bool restart_now, int64_t now);

#endif
