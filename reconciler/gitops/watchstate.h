/*
 * watchstate.h - what `vmrecon watch` keeps and reports besides the state
 * dir's per-VM status: the baseline (watch.json: the last applied commit
 * and blob, which the history check needs across restarts), the Git
 * source's section and the Ready conditions in status.json (Flux's
 * vocabulary), and its one-line-per-event log.
 */
#ifndef VR_WATCHSTATE_H
#define VR_WATCHSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gitsource.h"
#include "../engine/statedir.h"

/* watch.json: an input, not a report, so a corrupt one is an error.
 * "Applied" is the newest commit whose file the VMs converged to: the
 * history check's anchor.  "Accepted" is the newest commit that passed
 * the checks (history, signature, a valid file) and whose file is the one
 * in force, converged or not yet (failed, pending): a restarted daemon
 * resumes it, so it never goes back to an older file. */
struct vr_watch_baseline {
	char *url, *ref, *path;
	char commit[VR_GIT_HEX]; /* last applied commit; "" = none */
	char blob[VR_GIT_HEX];   /* its file's blob */
	char *revision;          /* "main@sha1:..." */
	char accepted_commit[VR_GIT_HEX]; /* "" = none */
	char accepted_blob[VR_GIT_HEX];
	char *accepted_revision;
};

/* 0, VR_ENOTFOUND (nothing applied yet) or VR_EINVALID (corrupt). */
int vr_watch_baseline_load(struct vr_watch_baseline *out,
    const char *state_dir);
int vr_watch_baseline_save(const struct vr_watch_baseline *b,
    const char *state_dir);
void vr_watch_baseline_clear(struct vr_watch_baseline *b);

/* The "source" section of status.json. */
struct vr_watch_source_status {
	const char *url, *ref, *path;
	const char *fetched_revision; /* NULL: nothing fetched yet */
	const char *applied_revision; /* NULL: nothing applied yet */
	bool ready;
	const char *reason;           /* Succeeded, FetchFailed, ... */
	const char *message;
	int failures;                 /* failed fetches in a row */
};

int vr_watch_status_source(struct vr_statedir *sd,
    const struct vr_watch_source_status *s);

/* Give each named VM of status.json the Ready condition of its "result"
 * and "message" (../engine/ready.h), a failed one with `fail_reason`
 * (ValidationFailed, HistoryRewritten...; NULL: ReconciliationFailed).
 * The state dir sets it on every result it records; watch calls this for
 * a refused commit, whose reason only it knows. */
int vr_watch_status_ready(struct vr_statedir *sd, char *const *names,
    size_t n, const char *fail_reason);

/* One logfmt line on fp: `TIME LEVEL msg key=value ...`, then the
 * NULL-terminated key/value pairs (a NULL value skips the pair); values
 * with spaces, quotes or `=` are quoted. */
void vr_wlog(FILE *fp, const char *level, const char *msg, ...)
	__attribute__((sentinel));

/* The line vr_wlog prints, without the newline (malloc'd); `kv` holds
 * nkv strings, keys and values alternating. */
char *vr_wlog_format(const char *level, const char *msg, const char *time,
    const char *const *kv, size_t nkv);

#endif
