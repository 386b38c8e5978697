/* test_gate.c - whether restart-mode changes may go now (gate.h): inside
 * a window with room for the restart, the next window long enough, the
 * default restart time, --restart-now. */
#include <string.h>

#include "../../reconciler/engine/gate.h"
#include "../../schema/util/zone.h"
#include "unit.h"

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return vr_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* IfNeeded with the given windows (not owned: the caller's array) */
static struct vr_vm_spec
vm_with(struct vr_window *w, size_t n)
{
	struct vr_vm_spec vm;

	memset(&vm, 0, sizeof(vm));
	vm.restart_policy = VR_RESTART_IFNEEDED;
	vm.windows = w;
	vm.nwindows = n;
	return vm;
}

static struct vr_window
win(unsigned days, int start_min, int64_t dur_s)
{
	struct vr_window w;

	memset(&w, 0, sizeof(w));
	w.days = days;
	w.start_min = start_min;
	w.duration_s = dur_s;
	strcpy(w.zone, "UTC");
	return w;
}

TEST(test_gate__no_windows_no_gate)
{
	struct vr_vm_spec vm = vm_with(NULL, 0);
	struct vr_gate g;

	CHECK_INT(vr_gate_compute(&g, &vm, 0, false, 0), 0);
	CHECK(!g.windowed && !g.held);
}

TEST(test_gate__inside_with_room)
{
	/* every day 02:00 for 1h */
	struct vr_window w = win(VR_WINDOW_ALL_DAYS, 120, 3600);
	struct vr_vm_spec vm = vm_with(&w, 1);
	struct vr_gate g;

	/* 02:10: 50 minutes left, the default 5 minutes fits */
	CHECK_INT(vr_gate_compute(&g, &vm, 0, false, utc(2026, 12, 1, 2, 10)),
	    0);
	CHECK(g.windowed && !g.held);
	CHECK_INT(g.restart_s, VR_GATE_RESTART_DEFAULT_S);
	/* 02:56: 4 minutes left: the default does not fit */
	CHECK_INT(vr_gate_compute(&g, &vm, 0, false, utc(2026, 12, 1, 2, 56)),
	    0);
	CHECK(g.held);
	CHECK_INT(g.until, utc(2026, 12, 2, 2, 0));
	CHECK_CONTAINS(g.why, "only 4m of this restart window is left");
	CHECK_CONTAINS(g.why, "no restart measured yet");
	CHECK_STR(g.when, "Wed 2026-12-02 02:00 UTC");
	/* a measured 45 minutes at 02:10: 50 left, fits; at 02:20 not */
	CHECK_INT(vr_gate_compute(&g, &vm, 2700, false,
	    utc(2026, 12, 1, 2, 10)), 0);
	CHECK(!g.held);
	CHECK_INT(vr_gate_compute(&g, &vm, 2700, false,
	    utc(2026, 12, 1, 2, 20)), 0);
	CHECK(g.held);
	CHECK_CONTAINS(g.why, "about 45m (the last one measured)");
}

TEST(test_gate__next_window_long_enough)
{
	/* a short daily window and a long Saturday one */
	struct vr_window w[2] = { win(VR_WINDOW_ALL_DAYS, 12 * 60, 600),
	    win(1u << 6, 22 * 60, 4 * 3600) };
	struct vr_vm_spec vm = vm_with(w, 2);
	struct vr_gate g;

	/* Tue 10:00, a restart of 20 minutes: the noon ones are too short */
	CHECK_INT(vr_gate_compute(&g, &vm, 1200, false,
	    utc(2026, 12, 1, 10, 0)), 0);
	CHECK(g.held);
	CHECK_INT(g.until, utc(2026, 12, 5, 22, 0));
	CHECK_CONTAINS(g.why, "outside every restart window");
	/* one of 5 minutes: the next noon */
	CHECK_INT(vr_gate_compute(&g, &vm, 300, false,
	    utc(2026, 12, 1, 10, 0)), 0);
	CHECK_INT(g.until, utc(2026, 12, 1, 12, 0));
	/* longer than every window: none fits */
	CHECK_INT(vr_gate_compute(&g, &vm, 5 * 3600, false,
	    utc(2026, 12, 1, 10, 0)), 0);
	CHECK(g.held);
	CHECK_INT(g.until, 0);
	CHECK_CONTAINS(g.why, "no restart window is long enough");
}

TEST(test_gate__restart_now_and_never)
{
	struct vr_window w = win(VR_WINDOW_ALL_DAYS, 120, 3600);
	struct vr_vm_spec vm = vm_with(&w, 1);
	struct vr_gate g;

	CHECK_INT(vr_gate_compute(&g, &vm, 0, true, utc(2026, 12, 1, 10, 0)),
	    0);
	CHECK(!g.held && g.overridden);
	CHECK_CONTAINS(g.why, "outside every restart window");
	/* Never: the windows play no part (the loader refuses the pair) */
	vm.restart_policy = VR_RESTART_NEVER;
	CHECK_INT(vr_gate_compute(&g, &vm, 0, false, utc(2026, 12, 1, 10, 0)),
	    0);
	CHECK(!g.windowed && !g.held);
}
