/*
 * reconcile.h - one pass of the straight line for a whole spec: observe
 * every VM, plan, preflight, render, and (for apply) apply, observe again,
 * verify, record.  diff, apply and watch are this call with other options.
 */
#ifndef VR_RECONCILE_H
#define VR_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../backends/backend.h"
#include "../../schema/model.h"
#include "gate.h"
#include "statedir.h"

struct vr_planfile;

#define VR_RECONCILE_OPTIONS_VERSION 1

/* What happened to one VM in a pass, for notifications and metrics. */
struct vr_vm_event {
	const char *vm;
	const char *backend;          /* "KIND[:TARGET]" */
	const char *revision;         /* may be NULL */
	enum vr_result result;        /* diff: CONVERGED (in sync) or DRIFTED */
	const char *message;
	size_t changes, applied, pending;
	const struct vr_change *change; /* the planned changes, with ->applied */
	const struct vr_vm_spec *spec;
	const struct vr_vm_live *live;  /* as observed before applying */
	double seconds;               /* time spent on this VM */
	const struct vr_gate *gate;   /* its restart windows now */
};

/* VR_OUTPUT_NONE renders nothing (out may be NULL): the caller reads the
 * result's per-VM outcomes instead (watch). */
enum vr_output { VR_OUTPUT_TEXT = 0, VR_OUTPUT_JSON, VR_OUTPUT_NONE };

struct vr_reconcile_options {
	unsigned version;
	bool apply;             /* false: diff only, change nothing */
	enum vr_output output;
	bool color;             /* ANSI colour in text output */
	FILE *out;              /* plan and results (stdout) */
	FILE *err;              /* diagnostics and progress (stderr) */
	const char *revision;   /* the source's revision, for status */
	bool quiet_in_sync;     /* print nothing when there is no change */
	/* called once per VM found on the backend, after its outcome is known
	 * (not on a preflight or observe failure, which affect every VM) */
	void (*on_vm)(void *ctx, const struct vr_vm_event *ev);
	void *ctx;
	FILE *plan_out;         /* diff: also write the JSON plan here */
	const struct vr_planfile *plan; /* apply: refuse unless it holds */
	bool restart_now;       /* apply --restart-now: restart outside the
				 * restart windows, this pass only */
};

#define VR_RECONCILE_OPTIONS_INIT { VR_RECONCILE_OPTIONS_VERSION, false, \
	VR_OUTPUT_TEXT, false, NULL, NULL, NULL, false, NULL, NULL, NULL, \
	NULL, false }

/* Exit codes (the table in reconciler/cli/README.md and vmrecon.1). */
enum vr_exit {
	VR_EXIT_OK = 0,        /* in sync / converged / valid */
	VR_EXIT_ERROR = 1,     /* error, invalid, not converged */
	VR_EXIT_DRIFT = 2,     /* diff: changes pending */
	VR_EXIT_PENDING = 3,   /* apply: converged except restart-pending */
	VR_EXIT_SIGNAL = 128,  /* apply interrupted: 128 + the signal (130
				* SIGINT, 143 SIGTERM; interrupt.h) */
};

/* What a pass did to one VM it reached, owned by the result: the same
 * facts the text and JSON output show, for programs (watch's log and
 * status) to use without reading that output back. */
struct vr_vm_outcome {
	char *vm;                     /* the spec's name */
	enum vr_result result;        /* diff: CONVERGED (in sync) or DRIFTED */
	char *message;                /* copied where the outcome was decided */
	size_t applied, pending;
	size_t unknown;               /* sent, not seen through */
	struct vr_change *change;     /* the planned changes, with ->applied
				       * and ->sent */
	size_t nchanges;
	double seconds;               /* time spent on this VM */
};

struct vr_reconcile_result {
	int exit_code;          /* enum vr_exit */
	size_t changes;         /* changes planned */
	size_t applied;         /* changes applied */
	size_t unknown;         /* changes sent whose outcome is unknown */
	size_t pending;         /* left pending by restartPolicy: Never or
				 * by restartWindows */
	int64_t next_window;    /* the earliest moment (seconds since the
				 * epoch) a restart window opens for a change
				 * left pending by one; 0: none */
	size_t vms_drifted;     /* VMs not in sync before this pass */
	/* one per VM found on the backend, in spec order; none when the pass
	 * failed before reaching any VM (observe, preflight, plan file) */
	struct vr_vm_outcome *vms;
	size_t nvms;
};

/* Free what vr_reconcile() put in `res` (its outcomes); `res` itself
 * stays, zeroed. */
void vr_reconcile_result_clear(struct vr_reconcile_result *res);

/* Run one pass; errors are reported on opts->err and in the state dir
 * (if `sd` is not NULL; diff never writes it).  `res` is always filled;
 * vr_reconcile_result_clear() it after. */
int vr_reconcile(struct vr_reconcile_result *res, const struct vr_spec *spec,
    struct vr_backend *b, struct vr_statedir *sd,
    const struct vr_reconcile_options *opts);

#endif
