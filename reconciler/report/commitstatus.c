/*
 * commitstatus.c - commit statuses in each API's own shape:
 *
 *   GitHub  POST {base}/repos/{owner}/{repo}/statuses/{sha}
 *           {"state": pending|success|failure, "context", "description",
 *            "target_url"}, Authorization: Bearer TOKEN
 *   Gitea   the same path and body under {base} = https://HOST/api/v1,
 *           Authorization: token TOKEN
 *   GitLab  POST {base}/projects/{url-encoded path}/statuses/{sha}
 *           {"state": running|success|failed, "name", "description",
 *            "target_url"}, PRIVATE-TOKEN: TOKEN
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../../schema/util/error.h"
#include "commitstatus.h"
#include "notify.h"

struct vr_commit_status {
	enum vr_cs_provider provider;
	char *base, *repo, *context, *target_url;
	char *auth; /* the whole auth header line */
	struct vr_poster *poster;
};

int
vr_commit_status_provider_parse(enum vr_cs_provider *out, const char *s)
{
	if (strcmp(s, "github") == 0)
		*out = VR_CS_GITHUB;
	else if (strcmp(s, "gitea") == 0)
		*out = VR_CS_GITEA;
	else if (strcmp(s, "gitlab") == 0)
		*out = VR_CS_GITLAB;
	else
		return vr_error_set(VR_EINVALID, "--commit-status must be "
		    "github, gitea or gitlab, not '%s'", s);
	return 0;
}

/* Is every byte of the repo path a plain path character? */
static bool
repo_ok(const char *r)
{
	const char *p;

	if (!r[0] || r[0] == '/' || !strchr(r, '/') || strstr(r, ".."))
		return false;
	for (p = r; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./", *p))
			return false;
	return r[strlen(r) - 1] != '/';
}

int
vr_commit_status_from_repo_url(char **base, char **repo,
    enum vr_cs_provider provider, const char *url)
{
	const char *host, *path, *at, *colon, *slash;
	char *h = NULL, *r = NULL;
	size_t hlen, rlen;
	bool https;

	*base = *repo = NULL;
	https = strncasecmp(url, "https://", 8) == 0;
	if (https || strncasecmp(url, "ssh://", 6) == 0) {
		host = strstr(url, "://") + 3;
		at = strchr(host, '@');
		path = strchr(host, '/');
		if (at && (!path || at < path))
			host = at + 1;
		if (!path)
			goto bad;
		hlen = (size_t)(path - host);
		colon = memchr(host, ':', hlen);
		if (colon && !https) /* an ssh port is not the API's */
			hlen = (size_t)(colon - host);
		path++;
	} else if ((colon = strchr(url, ':')) && (slash = strchr(url, '/'))
	    && colon < slash) {
		/* scp-like: [user@]host:owner/repo.git */
		at = strchr(url, '@');
		host = at && at < colon ? at + 1 : url;
		hlen = (size_t)(colon - host);
		path = colon + 1;
	} else {
		goto bad;
	}
	if (hlen == 0)
		goto bad;
	h = vr_strndup(host, hlen);
	rlen = strlen(path);
	while (rlen && path[rlen - 1] == '/')
		rlen--;
	if (rlen > 4 && strncmp(path + rlen - 4, ".git", 4) == 0)
		rlen -= 4;
	r = vr_strndup(path, rlen);
	if (!repo_ok(r))
		goto bad;
	if (provider == VR_CS_GITHUB)
		*base = strcasecmp(h, "github.com") == 0 ?
		    vr_strdup("https://api.github.com") :
		    vr_asprintf("https://%s/api/v3", h);
	else
		*base = vr_asprintf("https://%s/api/%s", h,
		    provider == VR_CS_GITEA ? "v1" : "v4");
	*repo = r;
	free(h);
	return 0;
bad:
	free(h);
	free(r);
	return vr_error_set(VR_EINVALID, "cannot tell the repository's API "
	    "from '%s'; give --commit-status-url and --commit-status-repo",
	    url);
}

int
vr_commit_status_new(struct vr_commit_status **out,
    const struct vr_commit_status_options *o)
{
	struct vr_commit_status *cs = vr_calloc(1, sizeof(*cs));
	char host[256] = "", *token = NULL;
	size_t n;
	int rc;

	*out = NULL;
	cs->provider = o->provider;
	if (o->provider < VR_CS_GITHUB || o->provider > VR_CS_GITLAB) {
		rc = vr_error_set(VR_EINVALID, "no commit status provider");
		goto out;
	}
	if (!o->token_file) {
		rc = vr_error_set(VR_EINVALID, "--commit-status needs "
		    "--commit-status-token-file");
		goto out;
	}
	if ((!o->base_url || !o->repo) && o->repo_url &&
	    (rc = vr_commit_status_from_repo_url(&cs->base, &cs->repo,
	    o->provider, o->repo_url)) < 0)
		goto out;
	if (o->base_url) {
		free(cs->base);
		cs->base = vr_strdup(o->base_url);
	}
	if (o->repo) {
		free(cs->repo);
		cs->repo = vr_strdup(o->repo);
	}
	if (!cs->base || !cs->repo) {
		rc = vr_error_set(VR_EINVALID, "--commit-status needs the "
		    "repository: --commit-status-url and "
		    "--commit-status-repo, or an https/ssh --repo URL");
		goto out;
	}
	if (!repo_ok(cs->repo)) {
		rc = vr_error_set(VR_EINVALID, "'%s' is not a repository "
		    "path (owner/name)", cs->repo);
		goto out;
	}
	n = strlen(cs->base);
	while (n && cs->base[n - 1] == '/')
		cs->base[--n] = '\0';
	if ((rc = vr_http_url_check(cs->base)) < 0)
		goto out;
	if ((rc = vr_http_secret_read(&token, o->token_file,
	    "commit status token")) < 0)
		goto out;
	cs->auth = vr_asprintf(o->provider == VR_CS_GITHUB ?
	    "Authorization: Bearer %s" : o->provider == VR_CS_GITEA ?
	    "Authorization: token %s" : "PRIVATE-TOKEN: %s", token);
	if (o->context) {
		cs->context = vr_strdup(o->context);
	} else {
		if (gethostname(host, sizeof(host) - 1) < 0)
			snprintf(host, sizeof(host), "unknown");
		cs->context = vr_asprintf("vmrecon/%s", host);
	}
	cs->target_url = o->target_url ? vr_strdup(o->target_url) : NULL;
	rc = vr_poster_new(&cs->poster, &o->http);
out:
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	if (rc < 0) {
		cs->poster = NULL;
		vr_commit_status_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

static bool
sha_ok(const char *sha)
{
	size_t n = strspn(sha, "0123456789abcdef");

	return sha[n] == '\0' && (n == 40 || n == 64);
}

/* The description cut to the limit without splitting a UTF-8 sequence. */
static char *
short_description(const char *d)
{
	size_t n = strlen(d);

	if (n <= VR_CS_DESCRIPTION_MAX)
		return vr_strdup(d);
	n = VR_CS_DESCRIPTION_MAX;
	while (n > 0 && ((unsigned char)d[n] & 0xc0) == 0x80)
		n--;
	return vr_strndup(d, n);
}

int
vr_commit_status_request(char **url, char **body,
    const struct vr_commit_status *cs, const char *sha,
    enum vr_cs_state state, const char *description)
{
	static const char *const gh[] = { "pending", "success", "failure" };
	static const char *const gl[] = { "running", "success", "failed" };
	char *desc, *enc;
	json_t *doc;

	*url = *body = NULL;
	if (!sha_ok(sha))
		return vr_error_set(VR_EINVALID, "'%s' is not a commit id",
		    sha);
	if ((unsigned)state > VR_CS_FAILURE)
		return vr_error_set(VR_EINVALID, "bad commit status state");
	desc = short_description(description ? description : "");
	if (cs->provider == VR_CS_GITLAB) {
		CURL *h = curl_easy_init();

		enc = h ? curl_easy_escape(h, cs->repo, 0) : NULL;
		if (!enc) {
			if (h)
				curl_easy_cleanup(h);
			free(desc);
			return vr_error_set(VR_ERROR, "cannot start libcurl");
		}
		*url = vr_asprintf("%s/projects/%s/statuses/%s", cs->base, enc,
		    sha);
		curl_free(enc);
		curl_easy_cleanup(h);
		doc = json_pack("{s:s, s:s, s:s}", "state", gl[state], "name",
		    cs->context, "description", desc);
	} else {
		*url = vr_asprintf("%s/repos/%s/statuses/%s", cs->base,
		    cs->repo, sha);
		doc = json_pack("{s:s, s:s, s:s}", "state", gh[state],
		    "context", cs->context, "description", desc);
	}
	if (doc && cs->target_url)
		json_object_set_new(doc, "target_url",
		    json_string(cs->target_url));
	*body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	free(desc);
	if (!*body) {
		free(*url);
		*url = NULL;
		return vr_error_set(VR_EINVALID, "commit status is not UTF-8");
	}
	return 0;
}

void
vr_commit_status_post(struct vr_commit_status *cs, const char *sha,
    enum vr_cs_state state, const char *description)
{
	const char *hdr[4];
	char *url, *body, *key;
	size_t nh = 0;

	if (!cs)
		return;
	if (vr_commit_status_request(&url, &body, cs, sha, state,
	    description) < 0) {
		fprintf(stderr, "vmrecon: warning: commit status: %s\n",
		    vr_error_msg());
		return;
	}
	hdr[nh++] = cs->auth;
	hdr[nh++] = "Content-Type: application/json";
	if (cs->provider == VR_CS_GITHUB) {
		hdr[nh++] = "Accept: application/vnd.github+json";
		hdr[nh++] = "X-GitHub-Api-Version: 2022-11-28";
	} else {
		hdr[nh++] = "Accept: application/json";
	}
	key = vr_asprintf("%s %s", sha, cs->context);
	vr_poster_enqueue(cs->poster, url, hdr, nh, body, key);
	free(key);
	free(url);
	free(body);
}

void
vr_commit_status_free(struct vr_commit_status *cs)
{
	if (!cs)
		return;
	vr_poster_free(cs->poster, VR_NOTIFY_EXIT_WAIT_MS);
	if (cs->auth) {
		memset(cs->auth, 0, strlen(cs->auth));
		free(cs->auth);
	}
	free(cs->base);
	free(cs->repo);
	free(cs->context);
	free(cs->target_url);
	free(cs);
}
