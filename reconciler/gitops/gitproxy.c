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
 * lock, see vr_git_drop_stale_locks).
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/base64.h"
#include "../../schema/util/error.h"
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

static bool
is_hex40(const char *s)
{
	size_t i;

	for (i = 0; s && i < 40; i++)
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return false;
	return s && s[40] == '\0';
}

/* A string of the answer: present, at most `max` bytes, no control
 * character; else NULL. */
static const char *
answer_str(json_t *ans, const char *key, size_t max)
{
	json_t *v = json_object_get(ans, key);
	const char *s = json_string_value(v);
	size_t i, n = json_string_length(v);

	if (!s || n > max || strlen(s) != n)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return s;
}

static int
bad_answer(json_t *ans, const char *what)
{
	json_decref(ans);
	return vr_error_set(VR_EINVALID, "the git helper's answer has no "
	    "valid %s", what);
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
	commit = json_string_value(json_object_get(ans, "commit"));
	rev = answer_str(ans, "revision", MAX_REVISION);
	if (!is_hex40(commit) || !rev)
		return bad_answer(ans, "commit and revision");
	memcpy(out->commit, commit, VR_GIT_HEX);
	out->revision = vr_strdup(rev);
	json_decref(ans);
	return 0;
}

bool
vr_gitsource_has_commit(struct vr_gitsource *gs, const char *commit)
{
	json_t *ans;
	bool has;

	if (call(&ans, gs, "has_commit", json_pack("{s:s}", "commit", commit),
	    gs->timeout_ms) < 0)
		return false;
	has = json_is_true(json_object_get(ans, "has"));
	json_decref(ans);
	return has;
}

int
vr_gitsource_read(char **buf, size_t *len, char blob_hex[VR_GIT_HEX],
    struct vr_gitsource *gs, const char *commit, const char *path)
{
	json_t *ans, *data;
	const char *blob;
	unsigned char *bytes;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = call(&ans, gs, "read", json_pack("{s:s, s:s}", "commit",
	    commit, "path", path), gs->timeout_ms)) < 0)
		return rc;
	data = json_object_get(ans, "data");
	blob = json_string_value(json_object_get(ans, "blob"));
	if (!is_hex40(blob) || !json_is_string(data) ||
	    json_string_length(data) > (VR_GIT_MAX_BLOB + 2) / 3 * 4 ||
	    !vr_base64_decode(&bytes, len, json_string_value(data),
	    json_string_length(data)))
		return bad_answer(ans, "blob");
	if (*len > VR_GIT_MAX_BLOB) {
		free(bytes);
		*len = 0;
		return bad_answer(ans, "blob size");
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
	if (!(who = answer_str(ans, "signer", MAX_SIGNER)))
		return bad_answer(ans, "signer");
	*signer = vr_strdup(who);
	json_decref(ans);
	return 0;
}
