/* gate.c - restart windows applied to a VM at a moment (see gate.h). */
#include <stdio.h>
#include <string.h>

#include "../../schema/util/units.h"
#include "../../schema/window.h"
#include "gate.h"

/* Windows chained one after the other are looked at up to this many
 * openings ahead for one long enough for the restart. */
#define LOOKAHEAD 64

int
vr_gate_compute(struct vr_gate *g, const struct vr_vm_spec *vm,
    int64_t restart_s, bool restart_now, int64_t now)
{
	struct vr_window_state st;
	char need[32], left[32];
	int64_t t;
	int i, rc;

	memset(g, 0, sizeof(*g));
	if (vm->nwindows == 0 || vm->restart_policy != VR_RESTART_IFNEEDED)
		return 0;
	g->windowed = true;
	g->restart_s = restart_s > 0 ? restart_s : VR_GATE_RESTART_DEFAULT_S;
	if ((rc = vr_windows_eval(&st, vm->windows, vm->nwindows, now)) < 0)
		return rc;
	if (st.inside && now + g->restart_s <= st.ends)
		return 0;
	vr_duration_format(need, sizeof(need), g->restart_s * 1000);
	if (st.inside) {
		vr_duration_format(left, sizeof(left), (st.ends - now) * 1000);
		snprintf(g->why, sizeof(g->why), "a restart takes about %s "
		    "(%s), only %s of this restart window is left", need,
		    restart_s > 0 ? "the last one measured" : "no restart "
		    "measured yet", left);
	} else {
		snprintf(g->why, sizeof(g->why), "outside every restart "
		    "window");
	}
	g->held = !restart_now;
	g->overridden = restart_now;
	/* the next opening that stays open long enough */
	for (i = 0, t = now; i < LOOKAHEAD && st.next_start > 0; i++) {
		if (st.next_end - st.next_start >= g->restart_s) {
			g->until = st.next_start;
			vr_window_when(g->when, sizeof(g->when), g->until,
			    vm->windows[st.next_index].zone);
			return 0;
		}
		t = st.next_start;
		if ((rc = vr_windows_eval(&st, vm->windows, vm->nwindows,
		    t)) < 0)
			return rc;
	}
	snprintf(g->why, sizeof(g->why), "no restart window is long enough "
	    "for a restart of about %s", need);
	return 0;
}
