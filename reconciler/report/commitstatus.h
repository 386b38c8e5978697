/*
 * commitstatus.h - the state of each applied commit shown in the Git UI
 * (GitHub, Gitea, GitLab commit statuses), for `vmrecon watch`.
 *
 * The watch loop calls vr_commit_status_post(cs, sha, VR_CS_PENDING, ...)
 * when it starts applying a commit and SUCCESS or FAILURE when the pass
 * ends.  Requests go through the background poster (notify.h): posting
 * never blocks the loop, a newer state for the same commit replaces one
 * still queued, failures are retried and logged once.
 */
#ifndef VR_COMMITSTATUS_H
#define VR_COMMITSTATUS_H

#include "../gitops/source_http.h"

enum vr_cs_provider {
	VR_CS_GITHUB = 1,
	VR_CS_GITEA,
	VR_CS_GITLAB,
};

enum vr_cs_state {
	VR_CS_PENDING,
	VR_CS_SUCCESS,
	VR_CS_FAILURE,
};

#define VR_CS_DESCRIPTION_MAX 140 /* GitHub's limit, in bytes here */

struct vr_commit_status_options {
	enum vr_cs_provider provider;
	const char *base_url;   /* API base, e.g. https://api.github.com,
	                         * https://gitea.example/api/v1,
	                         * https://gitlab.example/api/v4; NULL: from
	                         * repo_url */
	const char *repo_url;   /* the watched repository (watch --repo) */
	const char *repo;       /* "owner/name" (GitLab: "group/.../name");
	                         * NULL: from repo_url */
	const char *token_file; /* required */
	const char *context;    /* NULL: "vmrecon/<hostname>" */
	const char *target_url; /* NULL: none */
	struct vr_http_options http; /* ca_file, timeout_ms */
};

struct vr_commit_status;

/* "github", "gitea", "gitlab"; VR_EINVALID otherwise. */
int vr_commit_status_provider_parse(enum vr_cs_provider *out, const char *s);

/* Check the options, read the token, start the poster. */
int vr_commit_status_new(struct vr_commit_status **out,
    const struct vr_commit_status_options *o);

/* Queue the state of commit `sha` (40 or 64 hex digits; others are
 * ignored with a warning).  `description` may be NULL. */
void vr_commit_status_post(struct vr_commit_status *cs, const char *sha,
    enum vr_cs_state state, const char *description);

/* Waits at most VR_NOTIFY_EXIT_WAIT_MS for queued statuses. */
void vr_commit_status_free(struct vr_commit_status *cs);

/* The request vr_commit_status_post would queue: URL and JSON body
 * (malloc'd).  For tests and for --dry-run style output. */
int vr_commit_status_request(char **url, char **body,
    const struct vr_commit_status *cs, const char *sha,
    enum vr_cs_state state, const char *description);

/* The API base and repository derived from a clone URL (https://host/o/r,
 * ssh://git@host/o/r.git, git@host:o/r.git), both malloc'd. */
int vr_commit_status_from_repo_url(char **base, char **repo,
    enum vr_cs_provider provider, const char *repo_url);

#endif
