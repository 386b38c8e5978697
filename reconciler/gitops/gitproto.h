/*
 * gitproto.h - the protocol between `vmrecon watch` (gitproxy.c) and its
 * Git helper, vmrecon-git-helper (reconciler/modules/git_helper.c), which
 * holds libgit2 so the daemon does not: one request per helper process,
 * a JSON object on stdin; one answer, a JSON object on stdout.
 *
 * Request:  {"vmrecon": VERSION, "proto": 1, "op": OP,
 *            "source": {"url", "ref", "mirror", "timeout_ms", "ca_file",
 *                       "token_file", "ssh_key", "known_hosts"},
 *            "commit", "base", "path", "allowed_signers", "tmpdir",
 *            "timeout_ms" (as OP needs them)}
 * OP:       "version"  nothing (no "source"): the helper's library
 *           "check"    vr_gitsource_new only (are the options good?)
 *           "fetch", "has_commit", "read", "check_descendant",
 *           "verify_ssh"  the gitsource.h function of that name
 * Answer:   {"vmrecon": VERSION, "proto": 1, "rc": 0 or a VR_E* code,
 *            "error": MESSAGE (when rc < 0), and by OP:
 *            "library" (version), "commit" + "revision" (fetch),
 *            "has" (has_commit), "data" base64 + "blob" (read),
 *            "signer" (verify_ssh)}
 *
 * Both sides refuse a peer of another vmrecon version or proto, naming
 * both.  Both sides read the other's JSON as untrusted: bounded, strictly
 * typed, commits and blob ids 40 hex digits.
 */
#ifndef VR_GITPROTO_H
#define VR_GITPROTO_H

#include "gitsource.h"

#define VR_GITPROTO 1
#define VR_GIT_HELPER "vmrecon-git-helper"

/* a request holds paths and a ref; an answer at most one blob in base64 */
#define VR_GITPROTO_MAX_REQUEST (64 * 1024)
#define VR_GITPROTO_MAX_ANSWER (VR_GIT_MAX_BLOB / 3 * 4 + 64 * 1024)

/* The helper's time beyond the call's own deadline before the daemon
 * kills it: it enforces that deadline itself, and this is the backstop. */
#define VR_GITPROTO_GRACE_MS 2000

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Where the helper is (schema/util/module.h's directories): 0 and its
 * path in buf, or VR_ENOTFOUND saying where it looked. */
int vr_gitproto_find(char *buf, size_t len);

/* Run `helper` once with request `req` (taken; "vmrecon" and "proto" are
 * added), in its own process group, killed with that group past
 * timeout_ms; first, at each call, refuse it unless its path is trusted
 * (vr_trust_open: VR_EINVALID saying which directory and why), and run
 * the descriptor checked.  Returns the answer's rc (the helper's message set as the
 * error when negative) and *ans (the caller frees it) when the answer is a
 * good one: JSON, of this vmrecon's version and protocol, a known rc.
 * Otherwise *ans is NULL and the error says what went wrong; *killed tells
 * that the deadline passed (VR_ETIMEOUT). */
int vr_gitproto_call(json_t **ans, bool *killed, const char *helper,
    json_t *req, int timeout_ms);

/* The helper's library ("libgit2 1.5.1", malloc'd) by a "version" call. */
int vr_gitproto_version(char **library, const char *helper);

#endif
