/*
 * gitproxy.c - the Git source of `vmrecon watch` in the core binary: each
 * gitsource.h function runs vmrecon-git-helper once (gitproto.h), which
 * calls the libgit2 implementation (gitsource.c) and exits, so the daemon
 * holds no libgit2, libssh2, libcrypto or CA bundle between polls.
 * Linked into the core only; tests and tools link gitsource.c directly.
 *
 * Each call has a deadline of its own work plus VR_GITPROTO_GRACE_MS; past
 * it the helper's process group is killed, and the lock files a killed
 * fetch leaves in the mirror are removed (the daemon holds the state dir
 * lock, see vr_git_drop_stale_locks).  The answer's fields are read with
 * the strict readers of schema/util/json.h: typed, bounded, commits and
 * blob ids 40 lower-case hex digits.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/base64.h"
#include "../../schema/util/error.h"
#include "../../schema/util/json.h"
#include "gitproto.h"
#include "gitsource.h"

#define DEFAULT_TIMEOUT_MS 60000
#define MAX_REVISION 512
#define MAX_SIGNER 1024

struct vr_gitsource {
	char helper[PATH_MAX];
	json_t *source;   /* the options, as the helper reads them */
	char *mirror;
	int timeout_ms;
};

static json_t *
opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* One call: the op with `args` (taken) and the source; *ans when 0. */
static int
call(json_t **ans, struct vr_gitsource *gs, const char *op, json_t *args,
    int timeout_ms)
{
	bool killed;
	int rc;

	*ans = NULL;
	if (!args)
		return vr_error_set(VR_EINVALID, "git %s: an argument is not "
		    "valid UTF-8", op);
	json_object_set_new(args, "op", json_string(op));
	json_object_set(args, "source", gs->source);
	rc = vr_gitproto_call(ans, &killed, gs->helper, args,
	    timeout_ms + VR_GITPROTO_GRACE_MS);
	if (killed) {
		char *msg = vr_strdup(vr_error_msg());

		vr_git_drop_stale_locks(gs->mirror);
		vr_error_set(VR_ETIMEOUT, "%s", msg);
		free(msg);
	}
	if (rc < 0) {
		json_decref(*ans);
		*ans = NULL;
	}
	return rc;
}

/* Where the answer's fields are read from, for the readers' messages:
 * "the git helper's answer: commit: expected a string". */
static const struct vr_json_at answer_at = { "the git helper's answer", "",
	VR_EINVALID };

/* A commit or blob id of the answer: 40 lower-case hex digits. */
static int
answer_oid(const char **out, json_t *ans, const char *key)
{
	return vr_json_str(out, &answer_at, ans, key, VR_GIT_HEX - 1,
	    VR_GIT_HEX - 1, VR_JSON_LOWER_HEX, VR_JSON_REQUIRED);
}

/* A text of the answer: at most `max` bytes, no control character. */
static int
answer_text(const char **out, json_t *ans, const char *key, size_t max)
{
	return vr_json_str(out, &answer_at, ans, key, 0, max, VR_JSON_PRINT,
	    VR_JSON_REQUIRED);
}

int
vr_gitsource_new(struct vr_gitsource **out,
    const struct vr_gitsource_options *opts)
{
	struct vr_gitsource *gs;
	json_t *ans = NULL;
	int rc;

	*out = NULL;
	if (!opts || opts->version != VR_GITSOURCE_OPTIONS_VERSION)
		return vr_error_set(VR_EINVALID, "gitsource options version");
	if (!opts->url || !*opts->url || !opts->mirror || !*opts->mirror)
		return vr_error_set(VR_EINVALID, "a repository url and a "
		    "mirror directory are required");
	gs = vr_calloc(1, sizeof(*gs));
	if ((rc = vr_gitproto_find(gs->helper, sizeof(gs->helper))) < 0) {
		free(gs);
		return rc;
	}
	gs->mirror = vr_strdup(opts->mirror);
	gs->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms :
	    DEFAULT_TIMEOUT_MS;
	gs->source = json_pack("{s:s, s:o, s:s, s:i, s:o, s:o, s:o, s:o}",
	    "url", opts->url, "ref", opt_str(opts->ref),
	    "mirror", opts->mirror, "timeout_ms", opts->timeout_ms,
	    "ca_file", opt_str(opts->ca_file),
	    "token_file", opt_str(opts->token_file),
	    "ssh_key", opt_str(opts->ssh_key),
	    "known_hosts", opt_str(opts->known_hosts));
	if (!gs->source) {
		rc = vr_error_set(VR_EINVALID, "git source options are not "
		    "valid UTF-8");
		vr_gitsource_free(gs);
		return rc;
	}
	/* the helper checks the options now, as an open would: a bad ref
	 * or a missing helper stops watch at start, not at the first poll */
	if ((rc = call(&ans, gs, "check", json_object(), gs->timeout_ms)) < 0) {
		vr_gitsource_free(gs);
		return rc;
	}
	json_decref(ans);
	*out = gs;
	return 0;
}

void
vr_gitsource_free(struct vr_gitsource *gs)
{
	if (!gs)
		return;
	json_decref(gs->source);
	free(gs->mirror);
	free(gs);
}

int
vr_gitsource_fetch(struct vr_git_rev *out, struct vr_gitsource *gs)
{
	json_t *ans;
	const char *commit, *rev;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = call(&ans, gs, "fetch", json_object(), gs->timeout_ms)) < 0)
		return rc;
	if ((rc = answer_oid(&commit, ans, "commit")) < 0 ||
	    (rc = answer_text(&rev, ans, "revision", MAX_REVISION)) < 0) {
		json_decref(ans);
		return rc;
	}
	memcpy(out->commit, commit, VR_GIT_HEX);
	out->revision = vr_strdup(rev);
	json_decref(ans);
	return 0;
}

bool
vr_gitsource_has_commit(struct vr_gitsource *gs, const char *commit)
{
	json_t *ans;
	bool has = false;

	if (call(&ans, gs, "has_commit", json_pack("{s:s}", "commit", commit),
	    gs->timeout_ms) < 0)
		return false;
	if (vr_json_bool(&has, &answer_at, ans, "has", VR_JSON_REQUIRED) < 0)
		has = false; /* as a failed call: fetch it */
	json_decref(ans);
	return has;
}

int
vr_gitsource_read(char **buf, size_t *len, char blob_hex[VR_GIT_HEX],
    struct vr_gitsource *gs, const char *commit, const char *path)
{
	json_t *ans;
	const char *blob, *data;
	unsigned char *bytes;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = call(&ans, gs, "read", json_pack("{s:s, s:s}", "commit",
	    commit, "path", path), gs->timeout_ms)) < 0)
		return rc;
	if ((rc = answer_oid(&blob, ans, "blob")) < 0 ||
	    (rc = vr_json_str(&data, &answer_at, ans, "data", 0,
	    (VR_GIT_MAX_BLOB + 2) / 3 * 4, VR_JSON_PRINT,
	    VR_JSON_REQUIRED)) < 0) {
		json_decref(ans);
		return rc;
	}
	if (!vr_base64_decode(&bytes, len, data, strlen(data))) {
		rc = vr_json_bad(&answer_at, "data", "not base64");
		json_decref(ans);
		return rc;
	}
	if (*len > VR_GIT_MAX_BLOB) {
		free(bytes);
		*len = 0;
		rc = vr_json_bad(&answer_at, "data", "a blob of more than %d "
		    "bytes", VR_GIT_MAX_BLOB);
		json_decref(ans);
		return rc;
	}
	memcpy(blob_hex, blob, VR_GIT_HEX);
	*buf = (char *)bytes;
	json_decref(ans);
	return 0;
}

int
vr_gitsource_check_descendant(struct vr_gitsource *gs, const char *commit,
    const char *base)
{
	json_t *ans;
	int rc = call(&ans, gs, "check_descendant", json_pack("{s:s, s:s}",
	    "commit", commit, "base", base), gs->timeout_ms);

	json_decref(ans);
	return rc;
}

int
vr_gitsource_verify_ssh(char **signer, struct vr_gitsource *gs,
    const char *commit, const char *allowed_signers, const char *tmpdir,
    int timeout_ms)
{
	json_t *ans;
	const char *who;
	int rc;

	*signer = NULL;
	/* two ssh-keygen runs, each with timeout_ms */
	if ((rc = call(&ans, gs, "verify_ssh", json_pack("{s:s, s:s, s:s, "
	    "s:i}", "commit", commit, "allowed_signers", allowed_signers,
	    "tmpdir", tmpdir, "timeout_ms", timeout_ms),
	    2 * timeout_ms)) < 0)
		return rc;
	if ((rc = answer_text(&who, ans, "signer", MAX_SIGNER)) < 0) {
		json_decref(ans);
		return rc;
	}
	*signer = vr_strdup(who);
	json_decref(ans);
	return 0;
}
