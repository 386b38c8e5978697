/*
 * gitproto.c - the daemon's side of the git helper protocol (gitproto.h):
 * find vmrecon-git-helper, check that only root or the user could have put
 * it there (schema/util/trust.h), run the file checked with vr_run
 * (schema/util/run.h: its own process group, killed with it at the
 * deadline; its stderr goes to the daemon's log as it writes), send the
 * request, check the bounded answer (its fields with the strict readers
 * of schema/util/json.h).
 * Also the removal of the lock files a killed fetch leaves in the mirror
 * (gitsource.h).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../schema/util/error.h"
#include "../../schema/util/json.h"
#include "../../schema/util/module.h"
#include "../../schema/util/run.h"
#include "../../schema/util/trust.h"
#include "gitproto.h"
#include "watchstate.h"

int
vr_gitproto_find(char *buf, size_t len)
{
	return vr_module_find_file("helper", VR_GIT_HELPER, buf, len);
}

/* The answer's fields, read as untrusted. */
static const struct vr_json_at answer_at = { "the git helper's answer", "",
	VR_EINVALID };

/* Is the answer one of this vmrecon's, with a result?  0 and its result
 * code in *code (and when negative, its message in *error), or
 * VR_EINVALID naming both versions or what is missing. */
static int
check_peer(int *code, const char **error, json_t *ans, const char *helper)
{
	const char *v = NULL;
	int64_t proto = 0, rc = 0;

	*code = 0;
	*error = NULL;
	if (vr_json_str(&v, &answer_at, ans, "vmrecon", 0, 1024, VR_JSON_PRINT,
	    VR_JSON_REQUIRED) < 0 || vr_json_int(&proto, &answer_at, ans,
	    "proto", INT64_MIN, INT64_MAX, VR_JSON_REQUIRED) < 0)
		return vr_error_set(VR_EINVALID, "%s is not a vmrecon git "
		    "helper (its answer has no version); this is vmrecon %s",
		    helper, VR_VERSION);
	if (strcmp(v, VR_VERSION) != 0 || proto != VR_GITPROTO)
		return vr_error_set(VR_EINVALID, "refusing helper %s: it is "
		    "the git helper of vmrecon %.64s (protocol %lld), this is "
		    "vmrecon %s (protocol %d); install the helper built with "
		    "this vmrecon", helper, v, (long long)proto, VR_VERSION,
		    VR_GITPROTO);
	if (vr_json_int(&rc, &answer_at, ans, "rc", VR_ENOMEM, 0,
	    VR_JSON_REQUIRED) < 0 || (rc < 0 && vr_json_str(error,
	    &answer_at, ans, "error", 0, VR_GITPROTO_MAX_ANSWER, VR_JSON_ANY,
	    VR_JSON_REQUIRED) < 0))
		return vr_error_set(VR_EINVALID, "the git helper %s gave no "
		    "valid result code", helper);
	*code = (int)rc;
	return 0;
}

/* The error of a vr_run that failed, in the words of the helper. */
static int
run_error(const struct vr_run *r, int rc, const char *helper, int timeout_ms)
{
	if (r->timed_out)
		return vr_error_set(VR_ETIMEOUT, "the git helper took longer "
		    "than %d ms and was killed", timeout_ms);
	if (r->exec_errno)
		return vr_error_set(VR_ERROR, "cannot run the git helper %s: "
		    "%s", helper, strerror(r->exec_errno));
	if (r->out_over)
		return vr_error_set(VR_EINVALID, "the git helper %s answered "
		    "more than %d bytes (killed)", helper,
		    VR_GITPROTO_MAX_ANSWER);
	return rc; /* pipe, fork, poll: vr_run's message names the helper */
}

/* A helper that ran and gave no JSON: why, from how it ended. */
static int
exit_error(const struct vr_run *r, const char *helper)
{
	if (!r->exited)
		return vr_error_set(VR_ERROR, "the git helper %s was killed "
		    "by signal %d", helper, r->signal);
	return vr_error_set(VR_ERROR, "the git helper %s exited with "
	    "status %d and no answer", helper, r->exit_code);
}

int
vr_gitproto_call(json_t **ans, bool *killed, const char *helper,
    json_t *req, int timeout_ms)
{
	char *const argv[] = { (char *)helper, NULL };
	/* the helper's stderr is the daemon's log, live during a fetch */
	struct vr_run r = { .argv = argv, .exact_path = 1, .err_inherit = 1,
		.out_max = VR_GITPROTO_MAX_ANSWER, .timeout_ms = timeout_ms };
	json_error_t jerr;
	const char *error;
	char *msg;
	int rc, fd, code;

	*ans = NULL;
	*killed = false;
	/* at each call, before it runs: the file and its directories are
	 * root's or ours alone (trust.h), and the descriptor checked is the
	 * one run */
	if ((fd = vr_trust_open(helper, "helper")) < 0) {
		json_decref(req);
		return fd;
	}
	r.by_fd = 1;
	r.exec_fd = fd;
	json_object_set_new(req, "vmrecon", json_string(VR_VERSION));
	json_object_set_new(req, "proto", json_integer(VR_GITPROTO));
	msg = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!msg || strlen(msg) > VR_GITPROTO_MAX_REQUEST) {
		free(msg);
		close(fd);
		return vr_error_set(VR_EINVALID, "git helper request too long");
	}
	r.in = msg;
	r.in_len = strlen(msg);
	rc = vr_run(&r);
	close(fd);
	free(msg);
	*killed = r.timed_out;
	if (rc < 0) {
		rc = run_error(&r, rc, helper, timeout_ms);
		vr_run_free(&r);
		return rc;
	}
	*ans = r.out_len ? json_loadb(r.out, r.out_len,
	    JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!json_is_object(*ans)) {
		json_decref(*ans);
		*ans = NULL;
		/* 127: the helper's script could not run its program */
		rc = r.out_len == 0 || (r.exited && r.exit_code == 127) ?
		    exit_error(&r, helper) : vr_error_set(VR_EINVALID, "%s is "
		    "not a vmrecon git helper (its answer is not JSON); this "
		    "is vmrecon %s", helper, VR_VERSION);
		vr_run_free(&r);
		return rc;
	}
	vr_run_free(&r);
	if ((rc = check_peer(&code, &error, *ans, helper)) < 0) {
		json_decref(*ans);
		*ans = NULL;
		return rc;
	}
	if (code < 0)
		vr_error_set(code, "%s", error);
	return code;
}

int
vr_gitproto_version(char **library, const char *helper)
{
	json_t *ans;
	bool killed;
	const char *lib;
	int rc;

	*library = NULL;
	rc = vr_gitproto_call(&ans, &killed, helper, json_pack("{s:s}", "op",
	    "version"), 10000);
	if (rc < 0) {
		json_decref(ans);
		return rc;
	}
	if (vr_json_str(&lib, &answer_at, ans, "library", 0, 128,
	    VR_JSON_PRINT, VR_JSON_REQUIRED) < 0)
		lib = "?";
	*library = vr_strdup(lib);
	json_decref(ans);
	return 0;
}

/* --- stale lock files ------------------------------------------------ */

/* A watch killed during a fetch leaves libgit2's lock files in the mirror
 * (refs/remotes/origin/main.lock, ...), and every later fetch fails on
 * them ("failed to lock file ... for writing").  Only a vmrecon holding the
 * state dir lock writes the mirror, and Git refuses ref names ending in
 * ".lock", so under that lock every such file is stale. */
static int
drop_git_lock(const char *path, const struct stat *st, int flag,
    struct FTW *f)
{
	size_t n = strlen(path);

	if (flag == FTW_F && S_ISREG(st->st_mode) && n > 5 &&
	    strcmp(path + n - 5, ".lock") == 0) {
		if (unlink(path) == 0)
			vr_wlog(stderr, "warn", "removed a stale git lock "
			    "(a fetch was killed)", "path",
			    path, NULL);
		else
			vr_wlog(stderr, "error", "cannot remove a stale git "
			    "lock", "path", path, "err", strerror(errno),
			    NULL);
	}
	return 0;
}

void
vr_git_drop_stale_locks(const char *mirror)
{
	if (access(mirror, F_OK) == 0)
		nftw(mirror, drop_git_lock, 16, FTW_PHYS);
}
