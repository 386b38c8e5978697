/*
 * gitsource.h - the Git source of `vmrecon watch`: a bare mirror on disk,
 * fetched with libgit2 (only the tracked ref), and the desired-state file
 * read from a commit's tree (never a checkout).
 *
 * Everything that comes from the remote is untrusted: the fetch has a
 * deadline, blobs are bounded (VR_GIT_MAX_BLOB), paths are checked, and a
 * mirror that cannot be read is removed and fetched again, not trusted.
 *
 * Two implementations of this API: gitsource.c with libgit2, run only in
 * the helper executable vmrecon-git-helper, and gitproxy.c in the core
 * binary, which runs that helper once per call (gitproto.h), so the watch
 * daemon never holds libgit2.  gitsource_common.c is in both.
 */
#ifndef VR_GITSOURCE_H
#define VR_GITSOURCE_H

#include <stdbool.h>
#include <stddef.h>

#define VR_GIT_MAX_BLOB (1024 * 1024)
#define VR_GIT_HEX 41 /* 40 hex digits and a NUL */

#define VR_GITSOURCE_OPTIONS_VERSION 1

struct vr_gitsource_options {
	unsigned version;
	const char *url;         /* file://, git://, http(s)://, ssh:// */
	const char *ref;         /* BRANCH, tag:NAME, commit:SHA; NULL: main */
	const char *mirror;      /* the bare mirror's directory */
	int timeout_ms;          /* deadline of one fetch; 0 = 60 s */
	const char *ca_file;     /* https: PEM CA bundle; NULL = system's */
	const char *token_file;  /* https: password/token for basic auth */
	const char *ssh_key;     /* ssh: private key (public = KEY.pub) */
	const char *known_hosts; /* ssh: required host keys (OpenSSH format) */
};

#define VR_GITSOURCE_OPTIONS_INIT { VR_GITSOURCE_OPTIONS_VERSION, NULL, \
	NULL, NULL, 0, NULL, NULL, NULL, NULL }

struct vr_gitsource;

/* What the tracked ref points at after a fetch. */
struct vr_git_rev {
	char commit[VR_GIT_HEX];
	/* Flux-like: "main@sha1:HEX", "v1@sha1:HEX", "sha1:HEX" */
	char *revision;
};

/* Check the options (ref syntax, url scheme); opens nothing yet. */
int vr_gitsource_new(struct vr_gitsource **out,
    const struct vr_gitsource_options *opts);
void vr_gitsource_free(struct vr_gitsource *gs);

/* Fetch the tracked ref into the mirror (creating it, or recreating it when
 * it is corrupt) and resolve it to a commit.  VR_ETIMEOUT past the deadline,
 * VR_ENOTFOUND when the ref does not exist, VR_ERROR otherwise. */
int vr_gitsource_fetch(struct vr_git_rev *out, struct vr_gitsource *gs);
void vr_git_rev_clear(struct vr_git_rev *r);

/* Does the mirror (opened if need be, never created) hold `commit`? */
bool vr_gitsource_has_commit(struct vr_gitsource *gs, const char *commit);

/* Read `path` from the tree of `commit` (40 hex): *buf is malloc'd and
 * NUL-terminated, blob_hex the blob's id.  A missing path is VR_ENOTFOUND,
 * something else than a file or a blob over VR_GIT_MAX_BLOB VR_EINVALID. */
int vr_gitsource_read(char **buf, size_t *len, char blob_hex[VR_GIT_HEX],
    struct vr_gitsource *gs, const char *commit, const char *path);

/* 0 when `commit` equals `base` or descends from it, VR_ECONFLICT when it
 * does not (history was rewritten), another error if either is unknown. */
int vr_gitsource_check_descendant(struct vr_gitsource *gs,
    const char *commit, const char *base);

/* Verify the SSH signature of `commit` with `ssh-keygen -Y find-principals`
 * and `-Y verify` (namespace "git") against `allowed_signers`, run without
 * a shell.  0 when good (*signer = the principal, malloc'd), VR_EINVALID
 * when unsigned, not an SSH signature, or not by an allowed key.
 * `tmpdir` holds the signature and payload for ssh-keygen. */
int vr_gitsource_verify_ssh(char **signer, struct vr_gitsource *gs,
    const char *commit, const char *allowed_signers, const char *tmpdir,
    int timeout_ms);

/* Remove every *.lock file under `mirror` (logged): libgit2 leaves them
 * when a fetch is killed, and every later fetch fails on them.  Only for a
 * caller that holds the state dir lock, the only writer of the mirror. */
void vr_git_drop_stale_locks(const char *mirror);

/* Expand `{hostname}` and `{machine-id}` in a PATH template and check the
 * result: relative, no "." or ".." component, no empty component, no
 * other `{`.  `hostname`/`machine_id` NULL: read from the system
 * (gethostname, /etc/machine-id). */
int vr_git_path_expand(char **out, const char *tmpl, const char *hostname,
    const char *machine_id);

#endif
