/*
 * git_helper.c - vmrecon-git-helper, the libgit2 half of `vmrecon watch`
 * (gitproto.h): reads one request on stdin, runs the gitsource.c function
 * it names, writes one answer on stdout and exits.  The watch daemon runs
 * it for each Git call (gitproxy.c), so libgit2 and what it brings
 * (libssh2, libcrypto, the CA bundle it parses at init) live only as long
 * as the call.  Installed beside the modules, in $(PREFIX)/lib/vmrecon/.
 *
 * The request is untrusted like any input: bounded, strictly typed (the
 * readers of schema/util/json.h); a request of another vmrecon version or
 * protocol is refused.
 */
#include <dlfcn.h>
#include <git2.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../schema/util/base64.h"
#include "../../schema/util/error.h"
#include "../../schema/util/json.h"
#include "../gitops/gitproto.h"
#include "../gitops/gitsource.h"

/* The error message as a JSON string: bytes that are not ASCII (a
 * remote's words may be in any encoding) become '?'. */
static json_t *
fail(json_t *ans, int rc)
{
	char msg[sizeof(vr_error_last()->msg)], *c;

	snprintf(msg, sizeof(msg), "%s", vr_error_msg());
	for (c = msg; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	json_object_set_new(ans, "rc", json_integer(rc));
	json_object_set_new(ans, "error", json_string(msg));
	return ans;
}

/* Where the request's fields are read from, for the readers' messages:
 * "git helper: bad request: source: missing key 'url'". */
static const struct vr_json_at request_at = { "git helper: bad request",
	"", VR_EINVALID };

/* A string member of `obj` (at `at`): no NUL, no longer than a request.
 * Optional: absent or null leaves *out NULL. */
static int
get_str(const char **out, const struct vr_json_at *at, json_t *obj,
    const char *key, bool optional)
{
	*out = NULL;
	return vr_json_str(out, at, obj, key, 0, VR_GITPROTO_MAX_REQUEST,
	    VR_JSON_ANY, optional ? VR_JSON_OPTIONAL | VR_JSON_NULL_OK :
	    VR_JSON_REQUIRED);
}

static int
get_int(int *out, const struct vr_json_at *at, json_t *obj, const char *key)
{
	int64_t v = 0;
	int rc = vr_json_int(&v, at, obj, key, 0, INT_MAX, VR_JSON_REQUIRED);

	*out = (int)v;
	return rc;
}

static int
bad(const char *what)
{
	return vr_error_set(VR_EINVALID, "git helper: bad request: %s", what);
}

static int
options(struct vr_gitsource_options *o, json_t *req)
{
	struct vr_json_at at = request_at;
	json_t *src;
	int rc;

	if ((rc = vr_json_object(&src, &at, req, "source",
	    VR_JSON_REQUIRED)) < 0)
		return rc;
	at.path = "source";
	if ((rc = get_str(&o->url, &at, src, "url", false)) < 0 ||
	    (rc = get_str(&o->ref, &at, src, "ref", true)) < 0 ||
	    (rc = get_str(&o->mirror, &at, src, "mirror", false)) < 0 ||
	    (rc = get_int(&o->timeout_ms, &at, src, "timeout_ms")) < 0 ||
	    (rc = get_str(&o->ca_file, &at, src, "ca_file", true)) < 0 ||
	    (rc = get_str(&o->token_file, &at, src, "token_file", true)) < 0 ||
	    (rc = get_str(&o->ssh_key, &at, src, "ssh_key", true)) < 0 ||
	    (rc = get_str(&o->known_hosts, &at, src, "known_hosts",
	    true)) < 0)
		return rc;
	return 0;
}

static int
do_read(json_t *ans, struct vr_gitsource *gs, json_t *req)
{
	const char *commit, *path;
	char *buf = NULL, blob[VR_GIT_HEX], *b64;
	size_t len;
	int rc;

	if ((rc = get_str(&commit, &request_at, req, "commit", false)) < 0 ||
	    (rc = get_str(&path, &request_at, req, "path", false)) < 0)
		return rc;
	if ((rc = vr_gitsource_read(&buf, &len, blob, gs, commit, path)) < 0)
		return rc;
	b64 = vr_base64((const unsigned char *)buf, len);
	json_object_set_new(ans, "data", json_string(b64));
	json_object_set_new(ans, "blob", json_string(blob));
	free(b64);
	free(buf);
	return 0;
}

static int
do_op(json_t *ans, struct vr_gitsource *gs, const char *op, json_t *req)
{
	const char *commit, *base, *signers, *tmpdir;
	struct vr_git_rev rev;
	char *signer = NULL;
	int rc, t;

	if (strcmp(op, "check") == 0)
		return 0;
	if (strcmp(op, "fetch") == 0) {
		if ((rc = vr_gitsource_fetch(&rev, gs)) < 0)
			return rc;
		json_object_set_new(ans, "commit", json_string(rev.commit));
		json_object_set_new(ans, "revision",
		    json_string(rev.revision));
		vr_git_rev_clear(&rev);
		return 0;
	}
	if (strcmp(op, "read") == 0)
		return do_read(ans, gs, req);
	if ((rc = get_str(&commit, &request_at, req, "commit", false)) < 0)
		return rc;
	if (strcmp(op, "has_commit") == 0) {
		json_object_set_new(ans, "has",
		    json_boolean(vr_gitsource_has_commit(gs, commit)));
		return 0;
	}
	if (strcmp(op, "check_descendant") == 0) {
		if ((rc = get_str(&base, &request_at, req, "base", false)) < 0)
			return rc;
		return vr_gitsource_check_descendant(gs, commit, base);
	}
	if (strcmp(op, "verify_ssh") == 0) {
		if ((rc = get_str(&signers, &request_at, req,
		    "allowed_signers", false)) < 0 ||
		    (rc = get_str(&tmpdir, &request_at, req, "tmpdir",
		    false)) < 0 ||
		    (rc = get_int(&t, &request_at, req, "timeout_ms")) < 0)
			return rc;
		if ((rc = vr_gitsource_verify_ssh(&signer, gs, commit,
		    signers, tmpdir, t)) < 0)
			return rc;
		json_object_set_new(ans, "signer", json_string(signer));
		free(signer);
		return 0;
	}
	return vr_error_set(VR_EINVALID, "git helper: unknown op '%.40s'",
	    op);
}

/*
 * The CA bundle.  Debian's libgit2 (mbedTLS) parses
 * /etc/ssl/certs/ca-certificates.crt in git_libgit2_init(), for every
 * transport: 85 % of a no-op fetch's instructions (callgrind: 53 of 64
 * million, in mbedtls_x509_crt_parse_file) and 3 MB of heap, paid on each
 * call now that the helper lives for one call.  This definition stands in
 * for mbedTLS's (the executable's symbols come first) and skips that parse
 * while skip_ca_bundle is set, around our own first git_libgit2_init(),
 * when the repository is not https:// or --ca-file replaces the bundle
 * (libgit2 then parses that file, through here, with skip_ca_bundle
 * clear).  With a libgit2 built on OpenSSL it is never called.
 */
struct mbedtls_x509_crt;
int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain,
    const char *path);

static bool skip_ca_bundle;

int
mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	static int (*real)(struct mbedtls_x509_crt *, const char *);

	if (skip_ca_bundle)
		return 0;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT,
		    "mbedtls_x509_crt_parse_file");
	return real ? real(chain, path) : -1;
}

static void
libgit2_init(const struct vr_gitsource_options *o)
{
	skip_ca_bundle = strncmp(o->url, "https://", 8) != 0 || o->ca_file;
	git_libgit2_init();
	skip_ca_bundle = false;
}

static json_t *
serve(json_t *ans, const char *in, size_t len)
{
	struct vr_gitsource_options o = VR_GITSOURCE_OPTIONS_INIT;
	struct vr_gitsource *gs = NULL;
	json_error_t jerr;
	json_t *req;
	const char *v = NULL, *op;
	int64_t proto = 0;
	int rc, maj, min, rev;
	char lib[48];

	req = json_loadb(in, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(req)) {
		json_decref(req);
		return fail(ans, bad("not a JSON object"));
	}
	/* any version it gives is named; any other shape is none */
	if (get_str(&v, &request_at, req, "vmrecon", false) < 0 ||
	    vr_json_int(&proto, &request_at, req, "proto", INT64_MIN,
	    INT64_MAX, VR_JSON_REQUIRED) < 0 || strcmp(v, VR_VERSION) != 0 ||
	    proto != VR_GITPROTO) {
		fail(ans, vr_error_set(VR_EINVALID, "this is the git helper "
		    "of vmrecon %s (protocol %d); the request comes from "
		    "vmrecon %.64s (protocol %lld)", VR_VERSION, VR_GITPROTO,
		    v ? v : "?", (long long)proto));
		json_decref(req);
		return ans;
	}
	rc = get_str(&op, &request_at, req, "op", false);
	if (rc < 0) {
		/* the error is set */
	} else if (strcmp(op, "version") == 0) {
		git_libgit2_version(&maj, &min, &rev);
		snprintf(lib, sizeof(lib), "libgit2 %d.%d.%d", maj, min, rev);
		json_object_set_new(ans, "library", json_string(lib));
		rc = 0;
	} else if ((rc = options(&o, req)) == 0) {
		/* the first init does the work; gitsource's is counted */
		libgit2_init(&o);
		if ((rc = vr_gitsource_new(&gs, &o)) == 0)
			rc = do_op(ans, gs, op, req);
		vr_gitsource_free(gs);
		gs = NULL;
		git_libgit2_shutdown();
	}
	if (rc < 0)
		fail(ans, rc);
	else
		json_object_set_new(ans, "rc", json_integer(0));
	vr_gitsource_free(gs);
	json_decref(req);
	return ans;
}

int
main(int argc, char **argv)
{
	size_t len = 0;
	ssize_t n;
	char *in;
	json_t *ans;
	int rc = 0;

	if (argc > 1) {
		fprintf(stderr, "%s: run by `vmrecon watch` (one JSON request "
		    "on stdin), not by hand\n", VR_GIT_HELPER);
		return 2;
	}
	in = vr_malloc(VR_GITPROTO_MAX_REQUEST + 1);
	ans = json_pack("{s:s, s:i}", "vmrecon", VR_VERSION, "proto",
	    VR_GITPROTO);
	while (len <= VR_GITPROTO_MAX_REQUEST &&
	    (n = read(0, in + len, VR_GITPROTO_MAX_REQUEST + 1 - len)) != 0) {
		if (n < 0) {
			rc = vr_error_set(VR_ERROR, "git helper: reading the "
			    "request failed");
			break;
		}
		len += (size_t)n;
	}
	if (rc == 0 && len > VR_GITPROTO_MAX_REQUEST)
		rc = bad("too long");
	if (rc < 0)
		fail(ans, rc);
	else
		serve(ans, in, len);
	free(in);
	rc = json_dumpf(ans, stdout, JSON_COMPACT) == 0 && fflush(stdout) == 0;
	json_decref(ans);
	return rc ? 0 : 1;
}
