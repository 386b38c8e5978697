/*
 * test_gitsource.c - the Git source against real repositories made with the
 * git CLI in unit_tmpdir(): fetch, read, history checks, corrupt mirrors,
 * the fetch deadline, SSH signatures, PATH templates.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../reconciler/gitops/gitsource.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/util/run.h"
#include "unit.h"

/* Run `git -C dir ARGS...` (NULL-terminated), without the machine's or
 * the user's git config; stdout into out (may be NULL, trimmed); returns
 * the exit status. */
static int
git(char *out, size_t outsz, const char *dir, ...)
{
	char *argv[40];
	struct vr_run r = { .argv = argv, .out_max = 1 << 20,
	    .err_max = 1 << 20 };
	int n = 0, rc;
	va_list ap;

	argv[n++] = "env";
	argv[n++] = "GIT_CONFIG_NOSYSTEM=1";
	argv[n++] = "GIT_CONFIG_GLOBAL=/dev/null";
	argv[n++] = "git";
	argv[n++] = "-C";
	argv[n++] = (char *)dir;
	argv[n++] = "-c";
	argv[n++] = "user.name=tester";
	argv[n++] = "-c";
	argv[n++] = "user.email=t@example.com";
	va_start(ap, dir);
	while (n < 39 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	rc = vr_run(&r);
	if (out) {
		size_t len = r.out_len < outsz ? r.out_len : outsz - 1;

		while (len > 0 && (r.out[len - 1] == '\n' ||
		    r.out[len - 1] == '\r'))
			len--;
		memcpy(out, r.out, len);
		out[len] = '\0';
	}
	if (rc == 0)
		rc = r.exited ? r.exit_code : -1;
	vr_run_free(&r);
	return rc < 0 ? -1 : rc;
}

/* Run argv to its end; its exit status, or -1. */
static int
run_argv(char **argv)
{
	struct vr_run r = { .argv = argv, .out_max = 1 << 20,
	    .err_max = 1 << 20 };
	int rc = vr_run(&r);

	if (rc == 0)
		rc = r.exited ? r.exit_code : -1;
	vr_run_free(&r);
	return rc < 0 ? -1 : rc;
}

struct fixture {
	char srv[512], work[512], url[600], mirror[512];
};

/* A bare "server" repo and a work tree that pushes to it, with
 * hosts/a.yaml and hosts/b.yaml on main. */
static void
fixture_make(struct fixture *f, const char *name)
{
	const char *dir = unit_tmpdir();
	char p[600];

	snprintf(f->srv, sizeof(f->srv), "%s/%s-srv.git", dir, name);
	snprintf(f->work, sizeof(f->work), "%s/%s-work", dir, name);
	snprintf(f->url, sizeof(f->url), "file://%s", f->srv);
	snprintf(f->mirror, sizeof(f->mirror), "%s/%s-state/mirror.git",
	    dir, name);
	git(NULL, 0, dir, "init", "-q", "--bare", "-b", "main", f->srv,
	    NULL);
	git(NULL, 0, dir, "init", "-q", "-b", "main", f->work, NULL);
	snprintf(p, sizeof(p), "%s/hosts", f->work);
	vr_mkdir_p(p, 0755);
	unit_write(p, "a.yaml", "cpuCount: 2\n");
	unit_write(p, "b.yaml", "cpuCount: 4\n");
	git(NULL, 0, f->work, "add", ".", NULL);
	git(NULL, 0, f->work, "commit", "-qm", "initial", NULL);
	git(NULL, 0, f->work, "remote", "add", "origin", f->srv, NULL);
	git(NULL, 0, f->work, "push", "-q", "origin", "main", NULL);
}

static void
commit_file(struct fixture *f, const char *file, const char *text)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/hosts", f->work);
	unit_write(p, file, text);
	git(NULL, 0, f->work, "commit", "-qam", file, NULL);
	git(NULL, 0, f->work, "push", "-qf", "origin", "HEAD:main", NULL);
}

static struct vr_gitsource *
source(struct fixture *f, const char *ref, const char *url)
{
	struct vr_gitsource_options o = VR_GITSOURCE_OPTIONS_INIT;
	struct vr_gitsource *gs = NULL;

	o.url = url ? url : f->url;
	o.ref = ref;
	o.mirror = f->mirror;
	o.timeout_ms = 5000;
	if (!CHECK(vr_gitsource_new(&gs, &o) == 0))
		printf("    %s\n", vr_error_msg());
	return gs;
}

TEST(gitsource_fetch_and_read)
{
	struct fixture f;
	struct vr_gitsource *gs;
	struct vr_git_rev rev;
	char head[64], blob_want[64], blob[VR_GIT_HEX], blob2[VR_GIT_HEX];
	char want_rev[128], *buf = NULL;
	size_t len;

	fixture_make(&f, "fr");
	gs = source(&f, "main", NULL);
	if (!gs)
		return;
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	git(head, sizeof(head), f.srv, "rev-parse", "main", NULL);
	CHECK_STR(rev.commit, head);
	snprintf(want_rev, sizeof(want_rev), "main@sha1:%s", head);
	CHECK_STR(rev.revision, want_rev);
	CHECK_INT(vr_gitsource_read(&buf, &len, blob, gs, rev.commit,
	    "hosts/a.yaml"), 0);
	CHECK_STR(buf, "cpuCount: 2\n");
	CHECK_INT(len, 12);
	git(blob_want, sizeof(blob_want), f.srv, "rev-parse",
	    "main:hosts/a.yaml", NULL);
	CHECK_STR(blob, blob_want);
	free(buf);
	buf = NULL;

	/* the mirror is bare: no work tree, no checkout */
	CHECK(access(f.mirror, F_OK) == 0);
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/hosts", f.mirror);
		CHECK(access(p, F_OK) != 0);
	}

	/* missing file: an error, not a deletion; a directory: invalid */
	CHECK_INT(vr_gitsource_read(&buf, &len, blob, gs, rev.commit,
	    "hosts/zz.yaml"), VR_ENOTFOUND);
	CHECK_CONTAINS(vr_error_msg(), "no file 'hosts/zz.yaml'");
	CHECK_INT(vr_gitsource_read(&buf, &len, blob, gs, rev.commit,
	    "hosts"), VR_EINVALID);
	CHECK(buf == NULL);

	/* a commit that touches another file keeps this file's blob id */
	commit_file(&f, "b.yaml", "cpuCount: 8\n");
	vr_git_rev_clear(&rev);
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	CHECK(strcmp(rev.commit, head) != 0);
	CHECK_INT(vr_gitsource_read(&buf, &len, blob2, gs, rev.commit,
	    "hosts/a.yaml"), 0);
	CHECK_STR(blob2, blob);
	free(buf);
	CHECK_INT(vr_gitsource_read(&buf, &len, blob2, gs, rev.commit,
	    "hosts/b.yaml"), 0);
	CHECK_STR(buf, "cpuCount: 8\n");
	free(buf);
	CHECK_INT(vr_gitsource_check_descendant(gs, rev.commit, head), 0);
	CHECK_INT(vr_gitsource_check_descendant(gs, head, head), 0);
	vr_git_rev_clear(&rev);
	vr_gitsource_free(gs);
}

TEST(gitsource_force_push_detected)
{
	struct fixture f;
	struct vr_gitsource *gs;
	struct vr_git_rev rev;
	char first[VR_GIT_HEX];

	fixture_make(&f, "fp");
	commit_file(&f, "a.yaml", "cpuCount: 3\n");
	gs = source(&f, NULL, NULL);
	if (!gs)
		return;
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	memcpy(first, rev.commit, sizeof(first));
	vr_git_rev_clear(&rev);
	/* rewrite: drop the last commit, commit something else, force */
	git(NULL, 0, f.work, "reset", "-q", "--hard", "HEAD~1", NULL);
	commit_file(&f, "a.yaml", "cpuCount: 5\n");
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	CHECK_INT(vr_gitsource_check_descendant(gs, rev.commit, first),
	    VR_ECONFLICT);
	CHECK_CONTAINS(vr_error_msg(), "history rewritten");
	/* going back to an ancestor is a rewrite as well */
	CHECK_INT(vr_gitsource_check_descendant(gs, first, rev.commit),
	    VR_ECONFLICT);
	/* a commit the mirror never saw */
	CHECK_INT(vr_gitsource_check_descendant(gs, rev.commit,
	    "0123456789abcdef0123456789abcdef01234567"), VR_ECONFLICT);
	vr_git_rev_clear(&rev);
	vr_gitsource_free(gs);
}

TEST(gitsource_refs)
{
	struct fixture f;
	struct vr_gitsource *gs;
	struct vr_git_rev rev;
	struct vr_gitsource_options o = VR_GITSOURCE_OPTIONS_INIT;
	char head[64], ref[128], want[160];

	fixture_make(&f, "refs");
	git(head, sizeof(head), f.srv, "rev-parse", "main", NULL);
	git(NULL, 0, f.work, "tag", "-a", "-m", "release", "v1", NULL);
	git(NULL, 0, f.work, "push", "-q", "origin", "v1", NULL);
	commit_file(&f, "a.yaml", "cpuCount: 6\n");

	/* an annotated tag resolves to its commit */
	gs = source(&f, "tag:v1", NULL);
	if (gs) {
		CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
		CHECK_STR(rev.commit, head);
		snprintf(want, sizeof(want), "v1@sha1:%s", head);
		CHECK_STR(rev.revision, want);
		vr_git_rev_clear(&rev);
		vr_gitsource_free(gs);
	}
	/* a pinned commit that is not a branch tip */
	snprintf(ref, sizeof(ref), "commit:%s", head);
	snprintf(f.mirror + strlen(f.mirror) - 4, 8, "2.git");
	gs = source(&f, ref, NULL);
	if (gs) {
		CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
		CHECK_STR(rev.commit, head);
		snprintf(want, sizeof(want), "sha1:%s", head);
		CHECK_STR(rev.revision, want);
		vr_git_rev_clear(&rev);
		vr_gitsource_free(gs);
	}
	/* a branch the server does not have */
	gs = source(&f, "nosuch", NULL);
	if (gs) {
		CHECK_INT(vr_gitsource_fetch(&rev, gs), VR_ENOTFOUND);
		CHECK_CONTAINS(vr_error_msg(), "refs/heads/nosuch");
		vr_gitsource_free(gs);
	}
	/* a commit on no branch */
	gs = source(&f, "commit:0123456789abcdef0123456789abcdef01234567",
	    NULL);
	if (gs) {
		CHECK_INT(vr_gitsource_fetch(&rev, gs), VR_ENOTFOUND);
		vr_gitsource_free(gs);
	}
	/* bad refs are refused before anything is fetched */
	o.url = f.url;
	o.mirror = f.mirror;
	o.ref = "commit:abc";
	CHECK_INT(vr_gitsource_new(&gs, &o), VR_EINVALID);
	o.ref = "ma..in";
	CHECK_INT(vr_gitsource_new(&gs, &o), VR_EINVALID);
	o.ref = "tag:";
	CHECK_INT(vr_gitsource_new(&gs, &o), VR_EINVALID);
	o.ref = "main";
	o.url = "ssh://git@localhost:2222/x.git";
	CHECK_INT(vr_gitsource_new(&gs, &o), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "--known-hosts");
}

static void
rm_rf(const char *path)
{
	char *argv[] = { "rm", "-rf", (char *)path, NULL };

	run_argv(argv);
}

static void
fetch_expect_head(struct fixture *f, const char *head)
{
	struct vr_gitsource *gs = source(f, NULL, NULL);
	struct vr_git_rev rev;

	if (!gs)
		return;
	if (!CHECK(vr_gitsource_fetch(&rev, gs) == 0))
		printf("    %s\n", vr_error_msg());
	CHECK_STR(rev.commit, head);
	vr_git_rev_clear(&rev);
	vr_gitsource_free(gs);
}

TEST(gitsource_corrupt_mirror_recloned)
{
	struct fixture f;
	char p[700], head[64];

	fixture_make(&f, "cor");
	git(head, sizeof(head), f.srv, "rev-parse", "main", NULL);
	fetch_expect_head(&f, head);

	/* not a repository any more: removed and made again */
	unit_write(f.mirror, "HEAD", "garbage\n");
	snprintf(p, sizeof(p), "%s/objects", f.mirror);
	rm_rf(p);
	fetch_expect_head(&f, head);

	/* a repository whose objects are gone: the ref cannot be read */
	rm_rf(p);
	vr_mkdir_p(p, 0700);
	fetch_expect_head(&f, head);

	/* a mirror that is a plain file */
	rm_rf(f.mirror);
	vr_file_write_atomic(f.mirror, "x\n", 2, 0600);
	fetch_expect_head(&f, head);
}

TEST(gitsource_deadline_on_silent_server)
{
	struct fixture f;
	struct vr_gitsource *gs;
	struct vr_git_rev rev;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct timespec t0, t1;
	char url[128];
	int s;
	double took;

	fixture_make(&f, "dl");
	/* a server that accepts the connection (backlog) and never talks */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!CHECK(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    listen(s, 4) == 0 &&
	    getsockname(s, (struct sockaddr *)&sa, &salen) == 0)) {
		close(s);
		return;
	}
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/x.git",
	    ntohs(sa.sin_port));
	{
		struct vr_gitsource_options o = VR_GITSOURCE_OPTIONS_INIT;

		o.url = url;
		o.mirror = f.mirror;
		o.timeout_ms = 400;
		CHECK_INT(vr_gitsource_new(&gs, &o), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(vr_gitsource_fetch(&rev, gs), VR_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* cut at the deadline: the server never answers, so without one the
	 * fetch would never end (the upper bound is loose: a loaded machine) */
	CHECK(took >= 0.35 && took < 30.0);
	CHECK_CONTAINS(vr_error_msg(), "no answer within 400 ms");
	vr_gitsource_free(gs);
	close(s);
}

TEST(gitsource_size_bound)
{
	struct fixture f;
	struct vr_gitsource *gs;
	struct vr_git_rev rev;
	char *big, *buf = NULL, p[600], blob[VR_GIT_HEX];
	size_t len;

	fixture_make(&f, "big");
	big = vr_malloc(VR_GIT_MAX_BLOB + 2);
	memset(big, '#', VR_GIT_MAX_BLOB + 1);
	big[VR_GIT_MAX_BLOB + 1] = '\0';
	snprintf(p, sizeof(p), "%s/hosts", f.work);
	unit_write(p, "a.yaml", big);
	free(big);
	git(NULL, 0, f.work, "commit", "-qam", "big", NULL);
	git(NULL, 0, f.work, "push", "-q", "origin", "main", NULL);
	gs = source(&f, NULL, NULL);
	if (!gs)
		return;
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	CHECK_INT(vr_gitsource_read(&buf, &len, blob, gs, rev.commit,
	    "hosts/a.yaml"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "more than the 1048576 allowed");
	CHECK(buf == NULL);
	vr_git_rev_clear(&rev);
	vr_gitsource_free(gs);
}

/* ssh-keygen -q -t ed25519 -N '' -f PATH */
static int
keygen(const char *path)
{
	char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
	    "-C", "test", "-f", (char *)path, NULL };

	return run_argv(argv);
}

TEST(gitsource_ssh_signatures)
{
	struct fixture f;
	struct vr_gitsource *gs;
	struct vr_git_rev rev;
	const char *dir = unit_tmpdir();
	char alice[400], mallory[400], allowed[600], line[800], pub[600];
	char sigdir[600], *signer = NULL, *pubtext = NULL, spec[800];
	size_t len;

	fixture_make(&f, "sig");
	snprintf(alice, sizeof(alice), "%s/alice", dir);
	snprintf(mallory, sizeof(mallory), "%s/mallory", dir);
	snprintf(sigdir, sizeof(sigdir), "%s/sig-state", dir);
	if (!CHECK(keygen(alice) == 0 && keygen(mallory) == 0))
		return;
	snprintf(pub, sizeof(pub), "%s.pub", alice);
	vr_file_read(&pubtext, &len, pub, 4096);
	snprintf(line, sizeof(line), "alice@example.com namespaces=\"git\" "
	    "%s", pubtext);
	free(pubtext);
	snprintf(allowed, sizeof(allowed), "%s",
	    unit_write(dir, "allowed_signers", line));

	gs = source(&f, NULL, NULL);
	if (!gs)
		return;
	/* unsigned */
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	CHECK_INT(vr_gitsource_verify_ssh(&signer, gs, rev.commit, allowed,
	    sigdir, 5000), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "is not signed");
	vr_git_rev_clear(&rev);

	/* signed by a key that is not allowed */
	snprintf(spec, sizeof(spec), "user.signingkey=%s.pub", mallory);
	unit_write(f.work, "hosts/a.yaml", "cpuCount: 7\n");
	git(NULL, 0, f.work, "-c", "gpg.format=ssh", "-c", spec, "commit",
	    "-qS", "-am", "mallory", NULL);
	git(NULL, 0, f.work, "push", "-q", "origin", "main", NULL);
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	CHECK_INT(vr_gitsource_verify_ssh(&signer, gs, rev.commit, allowed,
	    sigdir, 5000), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "not in");
	CHECK(signer == NULL);
	vr_git_rev_clear(&rev);

	/* signed by alice */
	snprintf(spec, sizeof(spec), "user.signingkey=%s.pub", alice);
	unit_write(f.work, "hosts/a.yaml", "cpuCount: 8\n");
	git(NULL, 0, f.work, "-c", "gpg.format=ssh", "-c", spec, "commit",
	    "-qS", "-am", "alice", NULL);
	git(NULL, 0, f.work, "push", "-q", "origin", "main", NULL);
	CHECK_INT(vr_gitsource_fetch(&rev, gs), 0);
	if (!CHECK(vr_gitsource_verify_ssh(&signer, gs, rev.commit, allowed,
	    sigdir, 5000) == 0))
		printf("    %s\n", vr_error_msg());
	CHECK_STR(signer, "alice@example.com");
	free(signer);
	vr_git_rev_clear(&rev);
	vr_gitsource_free(gs);
}

TEST(gitsource_path_templates)
{
	char *p = NULL;
	const char *bad[] = { "/etc/passwd", "../x.yaml", "a/../b.yaml",
	    "a//b.yaml", "./a.yaml", "a/", "", "hosts/{nope}.yaml",
	    "a\\b", NULL };
	size_t i;

	CHECK_INT(vr_git_path_expand(&p, "hosts/{hostname}.yaml", "edge-01",
	    "0123abcd"), 0);
	CHECK_STR(p, "hosts/edge-01.yaml");
	free(p);
	CHECK_INT(vr_git_path_expand(&p, "m/{machine-id}/{hostname}.yaml",
	    "h", "0123abcd"), 0);
	CHECK_STR(p, "m/0123abcd/h.yaml");
	free(p);
	CHECK_INT(vr_git_path_expand(&p, "fleet.yaml", NULL, NULL), 0);
	CHECK_STR(p, "fleet.yaml");
	free(p);
	/* the system's own hostname works */
	CHECK_INT(vr_git_path_expand(&p, "{hostname}.yaml", NULL, NULL), 0);
	free(p);
	for (i = 0; bad[i]; i++) {
		p = NULL;
		if (!CHECK(vr_git_path_expand(&p, bad[i], "h", "m") ==
		    VR_EINVALID))
			printf("    accepted '%s'\n", bad[i]);
		free(p);
	}
	/* values that would escape the directory are refused */
	CHECK_INT(vr_git_path_expand(&p, "hosts/{hostname}.yaml", "..",
	    "m"), VR_EINVALID);
	CHECK_INT(vr_git_path_expand(&p, "hosts/{hostname}", "a/b", "m"),
	    VR_EINVALID);
	CHECK_INT(vr_git_path_expand(&p, "{machine-id}", "h", ""),
	    VR_EINVALID);
}
