/*
 * gitsource.c - the Git source of `vmrecon watch` (see gitsource.h): a bare
 * mirror fetched with libgit2, files read from a commit's tree, history and
 * signature checks.
 *
 * libgit2 1.5 has no network timeout, so a fetch has two guards: every
 * callback libgit2 makes (progress, credentials, certificate) returns an
 * error once the deadline has passed, and a SIGALRM timer without
 * SA_RESTART interrupts a read that blocks on a silent server.
 */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/base64.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/util/run.h"
#include "gitsource.h"
#include "source_http.h"

#define DEFAULT_TIMEOUT_MS 60000
#define MAX_PACK_OBJECT (64UL * 1024 * 1024)
#define MAX_PACK_OBJECTS 1000000UL
#define MAX_TOKEN 4096
#define MAX_TOOL_OUTPUT 65536

enum ref_kind { REF_BRANCH, REF_TAG, REF_COMMIT };

struct vr_gitsource {
	char *url, *mirror, *ca_file, *ssh_key, *ssh_pub, *known_hosts;
	char *token;
	enum ref_kind kind;
	char *name;        /* branch or tag name, or the commit's hex */
	char *remote_ref;  /* refs/heads/B, refs/tags/T; NULL for commit */
	char *local_ref;   /* where the fetch stores it */
	char *refspec;
	int timeout_ms;
	bool ssh_rsa;      /* the key is RSA: say why it fails (SHA-1) */
	git_repository *repo;
	git_remote *remote; /* for one poll (see fetch_once) */

	/* per fetch */
	int64_t deadline;  /* monotonic ms */
	bool timed_out;
	int cred_attempts;
	char ssh_host[256];
	int ssh_port;
};

static volatile sig_atomic_t alarm_fired;

static void mirror_close(struct vr_gitsource *gs);

static int
git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return vr_error_set(code, "%s: %s", what,
	    e && e->message ? e->message : "libgit2 error");
}

static bool
is_hex40(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return false;
	return s[40] == '\0';
}

static int
parse_ref(struct vr_gitsource *gs, const char *ref)
{
	char *full;
	int valid = 0;

	if (!ref || !*ref)
		ref = "main";
	if (strncmp(ref, "commit:", 7) == 0) {
		if (!is_hex40(ref + 7))
			return vr_error_set(VR_EINVALID, "ref '%s': a commit "
			    "is 40 lower-case hex digits", ref);
		gs->kind = REF_COMMIT;
		gs->name = vr_strdup(ref + 7);
		gs->refspec = vr_strdup("+refs/heads/*:refs/remotes/origin/*");
		return 0;
	}
	if (strncmp(ref, "tag:", 4) == 0) {
		gs->kind = REF_TAG;
		gs->name = vr_strdup(ref + 4);
		full = vr_asprintf("refs/tags/%s", gs->name);
		gs->local_ref = vr_strdup(full);
	} else {
		gs->kind = REF_BRANCH;
		gs->name = vr_strdup(ref);
		full = vr_asprintf("refs/heads/%s", gs->name);
		gs->local_ref = vr_asprintf("refs/remotes/origin/%s",
		    gs->name);
	}
	gs->remote_ref = full;
	if (git_reference_name_is_valid(&valid, full) < 0 || !valid ||
	    !*gs->name)
		return vr_error_set(VR_EINVALID, "ref '%s' is not a valid "
		    "branch or tag name", ref);
	gs->refspec = vr_asprintf("+%s:%s", gs->remote_ref, gs->local_ref);
	return 0;
}

/* ssh://[user@]host[:port]/path or [user@]host:path: the host and port
 * that known_hosts names. */
static int
parse_ssh_host(struct vr_gitsource *gs)
{
	const char *p = gs->url, *at, *end, *colon;
	size_t n;

	gs->ssh_port = 22;
	if (strncmp(p, "ssh://", 6) == 0) {
		p += 6;
		end = p + strcspn(p, "/");
	} else {
		end = p + strcspn(p, ":");
	}
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		if (!rb)
			return vr_error_set(VR_EINVALID, "bad ssh url '%s'",
			    gs->url);
		n = (size_t)(rb - p - 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		p++;
	} else {
		colon = strncmp(gs->url, "ssh://", 6) == 0 ?
		    memchr(p, ':', (size_t)(end - p)) : NULL;
		n = (size_t)((colon ? colon : end) - p);
	}
	if (n == 0 || n >= sizeof(gs->ssh_host))
		return vr_error_set(VR_EINVALID, "bad ssh url '%s'", gs->url);
	memcpy(gs->ssh_host, p, n);
	gs->ssh_host[n] = '\0';
	if (colon) {
		char *e;
		long port = strtol(colon + 1, &e, 10);

		if (e != end || port < 1 || port > 65535)
			return vr_error_set(VR_EINVALID, "bad port in ssh "
			    "url '%s'", gs->url);
		gs->ssh_port = (int)port;
	}
	return 0;
}

static bool
is_ssh_url(const char *url)
{
	if (strncmp(url, "ssh://", 6) == 0)
		return true;
	/* scp-like user@host:path, with no scheme */
	return !strstr(url, "://") && strchr(url, ':') &&
	    strchr(url, '@') && strchr(url, '@') < strchr(url, ':');
}

/* A password in the URL would be logged and kept in status.json: refused
 * without echoing it.  A user alone (ssh://git@host, http://gitops@host
 * with --token-file) stays fine. */
static int
refuse_credentials(const char *url)
{
	bool user, password;
	char *shown = vr_url_redact(url, &user, &password);
	int rc = 0;

	if (password)
		rc = vr_error_set(VR_EINVALID, "'%s': credentials in the "
		    "repository URL are refused; put a token in a file "
		    "(--token-file) or use an ssh key", shown);
	free(shown);
	return rc;
}

static int
read_token(char **out, const char *path)
{
	char *buf = NULL;
	size_t len;
	int err;

	if ((err = vr_file_read(&buf, &len, path, MAX_TOKEN)) < 0)
		return vr_error_wrap(err, "token file");
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (len == 0 || strlen(buf) != len) {
		free(buf);
		return vr_error_set(VR_EINVALID, "token file '%s' is empty "
		    "or holds a NUL byte", path);
	}
	*out = buf;
	return 0;
}

int
vr_gitsource_new(struct vr_gitsource **out,
    const struct vr_gitsource_options *opts)
{
	struct vr_gitsource *gs;
	int err;

	*out = NULL;
	if (!opts || opts->version != VR_GITSOURCE_OPTIONS_VERSION)
		return vr_error_set(VR_EINVALID, "gitsource options version");
	if (!opts->url || !*opts->url || !opts->mirror || !*opts->mirror)
		return vr_error_set(VR_EINVALID, "a repository url and a "
		    "mirror directory are required");
	if ((err = refuse_credentials(opts->url)) < 0)
		return err;
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_SET_PACK_MAX_OBJECT_SIZE, MAX_PACK_OBJECT);
	git_libgit2_opts(GIT_OPT_SET_PACK_MAX_OBJECTS, MAX_PACK_OBJECTS);
	gs = vr_calloc(1, sizeof(*gs));
	gs->url = vr_strdup(opts->url);
	gs->mirror = vr_strdup(opts->mirror);
	gs->ca_file = vr_strdup(opts->ca_file);
	gs->known_hosts = vr_strdup(opts->known_hosts);
	gs->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms :
	    DEFAULT_TIMEOUT_MS;
	if ((err = parse_ref(gs, opts->ref)) < 0)
		goto fail;
	if (opts->ssh_key) {
		gs->ssh_key = vr_strdup(opts->ssh_key);
		gs->ssh_pub = vr_asprintf("%s.pub", opts->ssh_key);
		if (access(gs->ssh_pub, R_OK) != 0) {
			free(gs->ssh_pub);
			gs->ssh_pub = NULL;
		} else {
			char *pub = NULL;
			size_t len;

			if (vr_file_read(&pub, &len, gs->ssh_pub, 65536) == 0)
				gs->ssh_rsa = strncmp(pub, "ssh-rsa ", 8) == 0;
			free(pub);
		}
	}
	if (is_ssh_url(gs->url)) {
		if ((err = parse_ssh_host(gs)) < 0)
			goto fail;
		if (!gs->known_hosts) {
			err = vr_error_set(VR_EINVALID, "an ssh repository "
			    "needs --known-hosts (libgit2 does not check "
			    "host keys)");
			goto fail;
		}
	}
	if (opts->token_file && (err = read_token(&gs->token,
	    opts->token_file)) < 0)
		goto fail;
	if (gs->ca_file && access(gs->ca_file, R_OK) != 0) {
		err = vr_error_set(VR_ENOTFOUND, "cannot read CA file "
		    "'%s': %s", gs->ca_file, strerror(errno));
		goto fail;
	}
	*out = gs;
	return 0;
fail:
	vr_gitsource_free(gs);
	return err;
}

void
vr_gitsource_free(struct vr_gitsource *gs)
{
	if (!gs)
		return;
	mirror_close(gs);
	free(gs->url);
	free(gs->mirror);
	free(gs->ca_file);
	free(gs->ssh_key);
	free(gs->ssh_pub);
	free(gs->known_hosts);
	if (gs->token) {
		explicit_bzero(gs->token, strlen(gs->token));
		free(gs->token);
	}
	free(gs->name);
	free(gs->remote_ref);
	free(gs->local_ref);
	free(gs->refspec);
	free(gs);
	git_libgit2_shutdown();
}

/* --- the mirror ------------------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mirror_close(struct vr_gitsource *gs)
{
	git_remote_free(gs->remote);
	gs->remote = NULL;
	git_repository_free(gs->repo);
	gs->repo = NULL;
}

/* Open the mirror, or make a new one when it is missing or unreadable. */
static int
mirror_open(struct vr_gitsource *gs, bool fresh)
{
	char *parent, *slash;
	int err;

	if (gs->repo && !fresh)
		return 0;
	mirror_close(gs);
	if (!fresh && git_repository_open_bare(&gs->repo, gs->mirror) == 0)
		return 0;
	if (remove_tree(gs->mirror) != 0)
		return vr_error_set(VR_ERROR, "cannot remove the broken "
		    "mirror '%s': %s", gs->mirror, strerror(errno));
	parent = vr_strdup(gs->mirror);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		err = vr_mkdir_p(parent, 0700);
		if (err < 0) {
			free(parent);
			return err;
		}
	}
	free(parent);
	/* private like the rest of the state dir, whatever the umask
	 * (libgit2 keeps an existing directory's mode) */
	if (mkdir(gs->mirror, 0700) != 0 && errno != EEXIST)
		return vr_error_set(VR_ERROR, "cannot create the mirror "
		    "'%s': %s", gs->mirror, strerror(errno));
	if (git_repository_init(&gs->repo, gs->mirror, 1) < 0)
		return git_fail(VR_ERROR, "cannot create the mirror");
	return 0;
}

/* --- fetch deadline and callbacks -------------------------------------- */

static void
on_alarm(int sig)
{
	alarm_fired = 1;
}

static bool
past_deadline(struct vr_gitsource *gs)
{
	if (alarm_fired || vr_clock_ms() >= gs->deadline) {
		gs->timed_out = true;
		git_error_set_str(GIT_ERROR_NET, "deadline passed");
		return true;
	}
	return false;
}

static int
cb_transfer(const git_indexer_progress *stats, void *payload)
{
	return past_deadline(payload) ? -1 : 0;
}

static int
cb_sideband(const char *str, int len, void *payload)
{
	return past_deadline(payload) ? -1 : 0;
}

static int
cb_credentials(git_credential **out, const char *url, const char *user,
    unsigned int allowed, void *payload)
{
	struct vr_gitsource *gs = payload;

	if (past_deadline(gs))
		return -1;
	/* libgit2 asks again after every rejection: one try, then stop */
	if (gs->cred_attempts++ > 0) {
		git_error_set_str(GIT_ERROR_NET, gs->ssh_rsa &&
		    (allowed & GIT_CREDENTIAL_SSH_KEY) ? "the server rejected "
		    "the credentials (an RSA key: libssh2 signs with SHA-1 "
		    "'ssh-rsa', which OpenSSH 8.8 and later refuse; use an "
		    "ed25519 or ECDSA key)" : "the server rejected the "
		    "credentials");
		return GIT_EAUTH;
	}
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && gs->ssh_key)
		return git_credential_ssh_key_new(out, user ? user : "git",
		    gs->ssh_pub, gs->ssh_key, NULL);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && gs->token)
		return git_credential_userpass_plaintext_new(out,
		    user ? user : "git", gs->token);
	git_error_set_str(GIT_ERROR_NET, "the server asks for credentials "
	    "and none were given (--token-file, --ssh-key)");
	return GIT_EAUTH;
}

/* Run argv (no shell) with stdin `in` (`in_len` bytes; NULL: /dev/null),
 * stdout captured into *out (bounded; NULL: dropped), stderr dropped,
 * within timeout_ms; returns the exit status (0..255; 255 for a signal),
 * or a negative VR_E* code. */
static int
run_tool(char **out, char *const argv[], const void *in, size_t in_len,
    int timeout_ms)
{
	struct vr_run r = { .argv = argv, .in = in, .in_len = in_len,
	    .out_max = MAX_TOOL_OUTPUT, .err_max = MAX_TOOL_OUTPUT,
	    .timeout_ms = timeout_ms };
	int rc = vr_run(&r);

	if (rc == 0)
		rc = r.exited ? r.exit_code : 255;
	if (rc >= 0 && out) {
		*out = r.out;
		r.out = NULL;
	}
	vr_run_free(&r);
	return rc;
}

/* The host key must be in known_hosts under this host (and port);
 * `ssh-keygen -F` does the lookup, so hashed entries work too. */
static int
check_host_key(struct vr_gitsource *gs, const git_cert_hostkey *hk)
{
	char name[300], *listing = NULL, *key, *line, *save = NULL;
	char *argv[] = { "ssh-keygen", "-F", name, "-f", gs->known_hosts,
	    NULL };
	int rc, found = 0;

	if (!(hk->type & GIT_CERT_SSH_RAW) || !hk->hostkey ||
	    !hk->hostkey_len) {
		git_error_set_str(GIT_ERROR_SSH, "no raw host key to check");
		return -1;
	}
	if (gs->ssh_port == 22)
		snprintf(name, sizeof(name), "%s", gs->ssh_host);
	else
		snprintf(name, sizeof(name), "[%s]:%d", gs->ssh_host,
		    gs->ssh_port);
	rc = run_tool(&listing, argv, NULL, 0, 10000);
	if (rc < 0) {
		git_error_set_str(GIT_ERROR_SSH, vr_error_msg());
		return -1;
	}
	key = vr_base64((const unsigned char *)hk->hostkey, hk->hostkey_len);
	for (line = strtok_r(listing, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { NULL }, *s2 = NULL, *tok;
		int nf = 0;

		if (line[0] == '#')
			continue;
		for (tok = strtok_r(line, " \t", &s2); tok && nf < 4;
		    tok = strtok_r(NULL, " \t", &s2))
			f[nf++] = tok;
		if (nf >= 3 && f[0][0] == '@') {
			if (strcmp(f[0], "@revoked") == 0 && nf >= 4 &&
			    strcmp(f[3], key) == 0) {
				found = -1;
				break;
			}
			continue;
		}
		if (nf >= 3 && strcmp(f[2], key) == 0 && found == 0)
			found = 1;
	}
	free(key);
	free(listing);
	if (found == 1)
		return 0;
	git_error_set_str(GIT_ERROR_SSH, found < 0 ?
	    "the server's host key is revoked in known_hosts" :
	    "the server's host key is not in known_hosts");
	return -1;
}

static int
cb_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct vr_gitsource *gs = payload;

	if (past_deadline(gs))
		return -1;
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return check_host_key(gs, (const git_cert_hostkey *)cert);
	/* TLS: libgit2's own check against the CA bundle decides */
	return GIT_PASSTHROUGH;
}

static void
alarm_arm(struct sigaction *old, int ms)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: interrupt a blocked read */
	sigaction(SIGALRM, &sa, old);
	alarm_fired = 0;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	it.it_interval.tv_usec = 200000; /* again, if a retry ate one */
	setitimer(ITIMER_REAL, &it, NULL);
}

static void
alarm_disarm(const struct sigaction *old)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	sigaction(SIGALRM, old, NULL);
}

/*
 * The no-op poll.  A poll opens the connection and reads the ref
 * advertisement (git_remote_connect + git_remote_ls: one GET of
 * info/refs on smart HTTP, one upload-pack on git:// and ssh://) and
 * compares the tracked ref's id with the mirror's before asking for a
 * pack.  When it has not moved (or the pinned commit is already here) the
 * poll ends there: no negotiation, no pack, no ref written.  Only when it
 * moved does git_remote_fetch negotiate, on the same connection, for that
 * one ref alone (no tags, no other branches).
 *
 * The mirror is not shallow: libgit2 1.5 cannot fetch shallow (a depth
 * option came in 1.7).  Full history of one ref is what the fast-forward
 * check walks (git_graph_descendant_of from the new commit down to the last
 * applied one).  With a shallow mirror the check would still work as long
 * as only the first fetch were shallow: every later fetch brings the new
 * commits down to the previously fetched tip, so the walk reaches the base;
 * a rewritten history would then end at the shallow boundary, which has to
 * count as "not a descendant".
 */

static int missing_ref(git_remote *remote, const char *ref);

/* 1 when the advertised tracked ref is already in the mirror, 0 when it
 * must be fetched; VR_ENOTFOUND when the remote does not have it. */
static int
ref_is_current(struct vr_gitsource *gs, git_remote *remote)
{
	const git_remote_head **heads;
	git_odb *odb = NULL;
	git_oid local;
	size_t n, i;
	int rc = 0;

	if (git_remote_ls(&heads, &n, remote) < 0)
		return git_fail(VR_ERROR, "cannot list the remote's refs");
	if (gs->kind == REF_COMMIT) {
		/* a pinned commit never moves: fetched once, then done */
		if (git_oid_fromstr(&local, gs->name) == 0 &&
		    git_repository_odb(&odb, gs->repo) == 0)
			rc = git_odb_exists(odb, &local);
		git_odb_free(odb);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (strcmp(heads[i]->name, gs->remote_ref) == 0)
			break;
	if (i == n)
		return missing_ref(remote, gs->remote_ref);
	if (git_reference_name_to_id(&local, gs->repo, gs->local_ref) < 0 ||
	    !git_oid_equal(&local, &heads[i]->oid))
		return 0;
	if (git_repository_odb(&odb, gs->repo) == 0)
		rc = git_odb_exists(odb, &local);
	git_odb_free(odb);
	return rc;
}

static void
set_callbacks(git_remote_callbacks *cb, struct vr_gitsource *gs)
{
	cb->transfer_progress = cb_transfer;
	cb->sideband_progress = cb_sideband;
	cb->credentials = cb_credentials;
	cb->certificate_check = cb_certificate;
	cb->payload = gs;
}

/* The error for a ref the remote lacks: name the branches (or tags) it
 * has, at most 10, and suggest --ref with its default branch (HEAD's
 * target) or the first one. */
static int
missing_ref(git_remote *remote, const char *ref)
{
	const char *prefix = strncmp(ref, "refs/tags/", 10) == 0 ?
	    "refs/tags/" : "refs/heads/";
	const git_remote_head **heads;
	const char *suggest = NULL;
	char list[512] = "";
	size_t n = 0, i, shown = 0, plen = strlen(prefix);

	if (git_remote_ls(&heads, &n, remote) < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		const char *name = heads[i]->name;

		if (strcmp(name, "HEAD") == 0 && heads[i]->symref_target &&
		    strncmp(heads[i]->symref_target, prefix, plen) == 0)
			suggest = heads[i]->symref_target + plen;
		if (strncmp(name, prefix, plen) != 0)
			continue;
		if (!suggest)
			suggest = name + plen;
		if (shown++ < 10)
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", shown > 1 ? ", " : "",
			    name + plen);
	}
	if (shown > 10)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    " and %zu more", shown - 10);
	if (!suggest)
		return vr_error_set(VR_ENOTFOUND, "the repository has no %s, "
		    "and no %s at all", ref, plen == 10 ? "tags" : "branches");
	return vr_error_set(VR_ENOTFOUND, "the repository has no %s; its "
	    "%s: %s (try --ref %s%s)", ref, plen == 10 ? "tags" : "branches",
	    list, plen == 10 ? "tag:" : "", suggest);
}

static int
fetch_once(struct vr_gitsource *gs)
{
	git_remote *remote;
	git_remote_callbacks cb;
	git_fetch_options fo;
	char *specs[1] = { gs->refspec };
	git_strarray refspecs = { specs, 1 };
	struct sigaction old;
	int err = 0, rc;

	if (!gs->remote) {
		git_remote_create_options co;

		/* anonymous, and no url.*.insteadOf rewriting from whatever
		 * git config the daemon's user has */
		git_remote_create_options_init(&co,
		    GIT_REMOTE_CREATE_OPTIONS_VERSION);
		co.repository = gs->repo;
		co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
		if (git_remote_create_with_opts(&gs->remote, gs->url,
		    &co) < 0)
			return git_fail(VR_EINVALID, "bad repository url");
	}
	remote = gs->remote;
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	set_callbacks(&cb, gs);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	set_callbacks(&fo.callbacks, gs);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	gs->timed_out = false;
	gs->cred_attempts = 0;
	gs->deadline = vr_clock_ms() + gs->timeout_ms;
	alarm_arm(&old, gs->timeout_ms);
	rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
	if (rc == 0) {
		rc = ref_is_current(gs, remote);
		if (rc < 0)
			err = rc;
		else if (rc == 0) /* moved: negotiate on this connection */
			rc = git_remote_fetch(remote, &refspecs, &fo, NULL);
	}
	git_remote_disconnect(remote);
	/*
	 * Over HTTP libgit2 1.5 keeps the transport's keep-alive socket
	 * after a disconnect and writes the next poll's request into it,
	 * after the server has closed it for idleness (lighttpd: 5 s): the
	 * poll after every fetch failed with "unexpected EOF".  So the
	 * remote, and its socket, live for one poll.  (A "Connection: close"
	 * custom header would do too, but 1.5 leaks its copies of custom
	 * headers.)
	 */
	alarm_disarm(&old);
	if (err == 0 && rc < 0 && (gs->timed_out || alarm_fired))
		err = vr_error_set(VR_ETIMEOUT, "fetch %s: no answer within "
		    "%d ms", gs->url, gs->timeout_ms);
	else if (err == 0 && rc < 0)
		err = git_fail(VR_ERROR, "fetch failed");
	git_remote_free(gs->remote);
	gs->remote = NULL;
	return err;
}

/* Can every ref of the mirror be read down to its commit's tree?  Tells a
 * broken mirror from a failing remote after a failed fetch. */
static bool
mirror_readable(struct vr_gitsource *gs)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	bool ok = true;

	if (git_reference_iterator_new(&it, gs->repo) < 0)
		return false;
	while (ok && git_reference_next(&ref, it) == 0) {
		git_object *obj = NULL;
		git_tree *tree = NULL;

		ok = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0 &&
		    git_commit_tree(&tree, (git_commit *)obj) == 0;
		git_tree_free(tree);
		git_object_free(obj);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return ok;
}

/* Resolve the tracked ref in the mirror to a commit and make sure the
 * commit and its tree can be read. */
static int
resolve(git_oid *out, struct vr_gitsource *gs)
{
	git_object *obj = NULL, *peeled = NULL;
	git_tree *tree = NULL;
	int err = 0;

	if (gs->kind == REF_COMMIT) {
		if (git_oid_fromstr(out, gs->name) < 0)
			return git_fail(VR_EINVALID, "bad commit id");
	} else if (git_reference_name_to_id(out, gs->repo, gs->local_ref) <
	    0) {
		return git_fail(VR_ERROR, "the mirror lost the fetched ref");
	}
	if (git_object_lookup(&obj, gs->repo, out, GIT_OBJECT_ANY) < 0) {
		err = gs->kind == REF_COMMIT ? vr_error_set(VR_ENOTFOUND,
		    "commit %s is on no branch of the repository", gs->name) :
		    git_fail(VR_ERROR, "cannot read the fetched commit");
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		err = git_fail(VR_EINVALID, "ref is not a commit");
		goto out;
	}
	git_oid_cpy(out, git_object_id(peeled));
	if (git_commit_tree(&tree, (git_commit *)peeled) < 0)
		err = git_fail(VR_ERROR, "cannot read the commit's tree");
out:
	git_tree_free(tree);
	git_object_free(peeled);
	git_object_free(obj);
	return err;
}

int
vr_gitsource_fetch(struct vr_git_rev *out, struct vr_gitsource *gs)
{
	git_oid oid;
	int err, attempt;

	memset(out, 0, sizeof(*out));
	if (gs->ca_file && git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
	    gs->ca_file, NULL) < 0)
		return git_fail(VR_EINVALID, "cannot load the CA file");
	for (attempt = 0; attempt < 2; attempt++) {
		/* second attempt: the mirror could not be read, start over */
		if ((err = mirror_open(gs, attempt > 0)) < 0)
			return err;
		err = fetch_once(gs);
		if (err == 0) {
			if ((err = resolve(&oid, gs)) == 0)
				break;
			if (err == VR_ENOTFOUND || err == VR_EINVALID)
				return err;
			if (attempt == 0)
				continue; /* fetched, yet unreadable */
			return err;
		}
		if (err == VR_ETIMEOUT || err == VR_ENOTFOUND ||
		    err == VR_EINVALID)
			return err;
		/* only a broken mirror is worth recloning; a network
		 * failure is not fixed by it */
		if (attempt == 0 && !mirror_readable(gs))
			continue;
		return err;
	}
	if (err < 0)
		return err;
	git_oid_tostr(out->commit, sizeof(out->commit), &oid);
	if (gs->kind == REF_COMMIT)
		out->revision = vr_asprintf("sha1:%s", out->commit);
	else
		out->revision = vr_asprintf("%s@sha1:%s", gs->name,
		    out->commit);
	return 0;
}

/* --- reading a commit --------------------------------------------------- */

static int
lookup_commit(git_commit **out, struct vr_gitsource *gs, const char *hex)
{
	git_oid oid;

	*out = NULL;
	if (!gs->repo && mirror_open(gs, false) < 0)
		return VR_ERROR;
	if (!hex || strlen(hex) != 40 || git_oid_fromstr(&oid, hex) < 0)
		return vr_error_set(VR_EINVALID, "bad commit id '%s'",
		    hex ? hex : "");
	if (git_commit_lookup(out, gs->repo, &oid) < 0)
		return vr_error_set(VR_ENOTFOUND, "commit %s is not in the "
		    "mirror", hex);
	return 0;
}

bool
vr_gitsource_has_commit(struct vr_gitsource *gs, const char *commit)
{
	git_commit *c = NULL;
	bool ok;

	if (!gs->repo && git_repository_open_bare(&gs->repo, gs->mirror) < 0)
		return false;
	ok = lookup_commit(&c, gs, commit) == 0;
	git_commit_free(c);
	vr_error_clear();
	return ok;
}

int
vr_gitsource_read(char **buf, size_t *len, char blob_hex[VR_GIT_HEX],
    struct vr_gitsource *gs, const char *commit, const char *path)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	git_odb *odb = NULL;
	git_object_t type;
	size_t size;
	int err;

	*buf = NULL;
	*len = 0;
	if ((err = lookup_commit(&c, gs, commit)) < 0)
		goto out;
	if (git_commit_tree(&tree, c) < 0) {
		err = git_fail(VR_ERROR, "cannot read the commit's tree");
		goto out;
	}
	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		err = vr_error_set(VR_ENOTFOUND, "no file '%s' in commit "
		    "%.12s", path, commit);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
	    (git_tree_entry_filemode(entry) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(entry) != GIT_FILEMODE_BLOB_EXECUTABLE)) {
		err = vr_error_set(VR_EINVALID, "'%s' in commit %.12s is not "
		    "a regular file", path, commit);
		goto out;
	}
	/* check the size before libgit2 loads the object */
	if (git_repository_odb(&odb, gs->repo) < 0 ||
	    git_odb_read_header(&size, &type, odb,
	    git_tree_entry_id(entry)) < 0) {
		err = git_fail(VR_ERROR, "cannot read the file's blob");
		goto out;
	}
	if (size > VR_GIT_MAX_BLOB) {
		err = vr_error_set(VR_EINVALID, "'%s' in commit %.12s is %zu "
		    "bytes, more than the %d allowed", path, commit, size,
		    VR_GIT_MAX_BLOB);
		goto out;
	}
	if (git_blob_lookup(&blob, gs->repo, git_tree_entry_id(entry)) < 0) {
		err = git_fail(VR_ERROR, "cannot read the file's blob");
		goto out;
	}
	size = (size_t)git_blob_rawsize(blob);
	*buf = vr_strndup(git_blob_rawcontent(blob), size);
	*len = size;
	git_oid_tostr(blob_hex, VR_GIT_HEX, git_blob_id(blob));
out:
	git_blob_free(blob);
	git_odb_free(odb);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return err;
}

int
vr_gitsource_check_descendant(struct vr_gitsource *gs, const char *commit,
    const char *base)
{
	git_commit *c = NULL, *b = NULL;
	int err, rc;

	if (strcmp(commit, base) == 0)
		return 0;
	if ((err = lookup_commit(&c, gs, commit)) < 0)
		goto out;
	if (lookup_commit(&b, gs, base) < 0) {
		/* a fresh mirror only has the tracked history */
		err = vr_error_set(VR_ECONFLICT, "history rewritten: the last "
		    "applied commit %.12s is not in the history of %.12s",
		    base, commit);
		goto out;
	}
	rc = git_graph_descendant_of(gs->repo, git_commit_id(c),
	    git_commit_id(b));
	if (rc < 0)
		err = git_fail(VR_ERROR, "cannot walk the history");
	else if (rc == 0)
		err = vr_error_set(VR_ECONFLICT, "history rewritten: %.12s "
		    "does not descend from the last applied commit %.12s",
		    commit, base);
out:
	git_commit_free(b);
	git_commit_free(c);
	return err;
}

/* --- signatures --------------------------------------------------------- */

int
vr_gitsource_verify_ssh(char **signer, struct vr_gitsource *gs,
    const char *commit, const char *allowed_signers, const char *tmpdir,
    int timeout_ms)
{
	git_buf sig = { 0 }, data = { 0 };
	git_commit *c = NULL;
	git_oid oid;
	char *sig_path = NULL, *principals = NULL, *nl;
	char *argv_find[] = { "ssh-keygen", "-Y", "find-principals", "-s",
	    NULL, "-f", (char *)allowed_signers, NULL };
	char *argv_verify[] = { "ssh-keygen", "-Y", "verify", "-f",
	    (char *)allowed_signers, "-I", NULL, "-n", "git", "-s", NULL,
	    NULL };
	int err, rc;

	*signer = NULL;
	if ((err = lookup_commit(&c, gs, commit)) < 0)
		goto out;
	git_oid_cpy(&oid, git_commit_id(c));
	rc = git_commit_extract_signature(&sig, &data, gs->repo, &oid, NULL);
	if (rc == GIT_ENOTFOUND) {
		err = vr_error_set(VR_EINVALID, "commit %.12s is not signed",
		    commit);
		goto out;
	}
	if (rc < 0) {
		err = git_fail(VR_ERROR, "cannot read the commit signature");
		goto out;
	}
	if (sig.size < 29 ||
	    strncmp(sig.ptr, "-----BEGIN SSH SIGNATURE-----", 29) != 0) {
		err = vr_error_set(VR_EINVALID, "commit %.12s has a signature "
		    "that is not an SSH signature", commit);
		goto out;
	}
	sig_path = vr_asprintf("%s/verify.sig", tmpdir);
	if ((err = vr_file_write_atomic(sig_path, sig.ptr, sig.size,
	    0600)) < 0)
		goto out;
	argv_find[4] = sig_path;
	rc = run_tool(&principals, argv_find, NULL, 0, timeout_ms);
	if (rc < 0) {
		err = rc;
		goto out;
	}
	nl = principals + strcspn(principals, "\n,");
	*nl = '\0';
	if (rc != 0 || !principals[0]) {
		err = vr_error_set(VR_EINVALID, "commit %.12s is signed by a "
		    "key that is not in %s", commit, allowed_signers);
		goto out;
	}
	argv_verify[6] = principals;
	argv_verify[10] = sig_path;
	rc = run_tool(NULL, argv_verify, data.ptr, data.size, timeout_ms);
	if (rc < 0) {
		err = rc;
		goto out;
	}
	if (rc != 0) {
		err = vr_error_set(VR_EINVALID, "the signature of commit "
		    "%.12s does not verify", commit);
		goto out;
	}
	*signer = principals;
	principals = NULL;
out:
	if (sig_path)
		unlink(sig_path);
	free(sig_path);
	free(principals);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_commit_free(c);
	return err;
}
