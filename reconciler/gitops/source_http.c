/*
 * source_http.c - desired state fetched over HTTPS with libcurl, and the
 * HTTP rules shared by every request vmrecon makes.
 *
 * The ETag cache keeps, per URL (named by the SHA-256 of the URL), the body
 * last received and a small JSON file with the URL, the ETag and the body's
 * blob id.  The body is written first; a cache whose body does not match
 * the recorded blob id is ignored, so a crash between the two writes only
 * costs one download.  Its files are opened relative to the directory the
 * caller checked (o->cache_fd), without following a link, and only if
 * they are the user's own (schema/util/fileio.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../../schema/util/error.h"
#include "../../schema/util/sha1.h"
#include "../../schema/util/fileio.h"
#include "source.h"
#include "source_http.h"

#define ETAG_MAX 512
#define META_MAX 4096

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
vr_http_global_init(void)
{
	pthread_once(&init_once, global_init);
}

int
vr_http_url_check(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL, *host = NULL, *shown;
	bool has_user, has_password;
	int rc = 0;

	/* never echo credentials, not even to refuse them */
	shown = vr_url_redact(url, &has_user, &has_password);
	url = shown;
	if (has_user) {
		rc = vr_error_set(VR_EINVALID, "'%s': credentials in the URL "
		    "are refused; put a token in a file (--token-file)", url);
		goto out;
	}
	if (strncasecmp(url, "http://", 7) == 0) {
		rc = vr_error_set(VR_EINVALID, "'%s': plain http is refused; "
		    "use https (certificates are always verified)", url);
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = vr_error_set(VR_EINVALID, "'%s' is not a valid URL", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0) {
		rc = vr_error_set(VR_EINVALID, "'%s': only https URLs are "
		    "supported, not %s", url, scheme);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		rc = vr_error_set(VR_EINVALID, "'%s': credentials in the URL "
		    "are refused; put a token in a file (--token-file)", url);
		goto out;
	}
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(host);
	curl_url_cleanup(u);
	free(shown);
	return rc;
}

void
vr_http_setup(CURL *h, const struct vr_http_options *o)
{
	long total = o && o->timeout_ms > 0 ? o->timeout_ms :
	    VR_HTTP_TIMEOUT_MS;

	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o && o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    total < VR_HTTP_CONNECT_TIMEOUT_MS ? total :
	    VR_HTTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vmrecon");
}

int
vr_http_secret_read(char **out, const char *path, const char *what)
{
	char *buf = NULL;
	size_t len, i;
	int rc;

	*out = NULL;
	rc = vr_file_read(&buf, &len, path, VR_HTTP_SECRET_MAX);
	if (rc == VR_EINVALID)
		return vr_error_set(VR_EINVALID, "%s file '%s' is larger than "
		    "%d bytes", what, path, VR_HTTP_SECRET_MAX);
	if (rc < 0)
		return vr_error_wrap(rc, "%s file", what);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		rc = vr_error_set(VR_EINVALID, "%s file '%s' is empty", what,
		    path);
		goto out;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			rc = vr_error_set(VR_EINVALID, "%s file '%s' holds "
			    "control characters or several lines", what,
			    path);
			goto out;
		}
	*out = buf;
	buf = NULL;
out:
	if (buf) {
		memset(buf, 0, len);
		free(buf);
	}
	return rc;
}

/* ---- the ETag cache ---- */

struct cache {
	char meta[2 * EVP_MAX_MD_SIZE + 8]; /* <sha256 of the URL>.json */
	char body_name[2 * EVP_MAX_MD_SIZE + 8]; /* and .body */
	char *meta_path, *body_path;  /* for messages */
	char *etag;  /* cached ETag, or NULL */
	char *body;  /* cached body, when etag is set */
	size_t len;
};

static void
cache_clear(struct cache *c)
{
	free(c->meta_path);
	free(c->body_path);
	free(c->etag);
	free(c->body);
	memset(c, 0, sizeof(*c));
}

/* Load the cache entry of `url`; a missing or inconsistent one is none. */
static void
cache_open(struct cache *c, const struct vr_http_options *o, const char *url,
    size_t max)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1], *meta = NULL, *rev = NULL;
	unsigned int mdlen = 0, i;
	json_t *doc = NULL;
	const char *e, *r, *u;
	size_t mlen;

	memset(c, 0, sizeof(*c));
	if (!o || !o->cache_dir)
		return;
	EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(c->meta, sizeof(c->meta), "%s.json", hex);
	snprintf(c->body_name, sizeof(c->body_name), "%s.body", hex);
	c->meta_path = vr_asprintf("%s/%s", o->cache_dir, c->meta);
	c->body_path = vr_asprintf("%s/%s", o->cache_dir, c->body_name);
	if (vr_file_read_own(&meta, &mlen, o->cache_fd, c->meta, c->meta_path,
	    META_MAX) < 0)
		goto out;
	doc = json_loadb(meta, mlen, 0, NULL);
	u = json_string_value(json_object_get(doc, "url"));
	e = json_string_value(json_object_get(doc, "etag"));
	r = json_string_value(json_object_get(doc, "revision"));
	if (!u || !e || !r || strcmp(u, url) != 0 || strlen(e) > ETAG_MAX)
		goto out;
	if (vr_file_read_own(&c->body, &c->len, o->cache_fd, c->body_name,
	    c->body_path, max) < 0)
		goto out;
	rev = vr_sha1_blob_id(c->body, c->len);
	if (strcmp(rev, r) != 0) {
		free(c->body);
		c->body = NULL;
		goto out;
	}
	c->etag = vr_strdup(e);
out:
	vr_error_clear();
	json_decref(doc);
	free(meta);
	free(rev);
}

static int
cache_store(struct cache *c, const struct vr_http_options *o, const char *url,
    const char *etag, const char *body, size_t len)
{
	char *rev = NULL, *text = NULL;
	json_t *doc;
	int rc;

	if (!etag) {
		unlinkat(o->cache_fd, c->meta, 0);
		return 0;
	}
	if ((rc = vr_file_write_at(o->cache_fd, c->body_name, c->body_path,
	    body, len, 0600)) < 0)
		return rc;
	rev = vr_sha1_blob_id(body, len);
	doc = json_pack("{s:s, s:s, s:s}", "url", url, "etag", etag,
	    "revision", rev);
	text = json_dumps(doc, JSON_COMPACT);
	rc = vr_file_write_at(o->cache_fd, c->meta, c->meta_path, text,
	    strlen(text), 0600);
	json_decref(doc);
	free(text);
	free(rev);
	return rc;
}

/* ---- the transfer ---- */

struct sink {
	char *buf;
	size_t len, cap, max;
	bool too_big;
};

static size_t
sink_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t k = size * n;

	if (k > s->max - s->len) {
		s->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (s->len + k + 1 > s->cap) {
		s->cap = s->len + k + 1 > 2 * s->cap ? s->len + k + 1 :
		    2 * s->cap;
		if (s->cap > s->max + 1)
			s->cap = s->max + 1;
		s->buf = vr_realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p, k);
	s->len += k;
	s->buf[s->len] = '\0';
	return k;
}

/* A message for a failed transfer. */
static int
transfer_error(CURL *h, CURLcode cc, const char *url, const char *errbuf,
    const struct sink *s, const struct vr_http_options *o)
{
	long total = o && o->timeout_ms > 0 ? o->timeout_ms :
	    VR_HTTP_TIMEOUT_MS;
	long redirects = 0;

	if (s->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return vr_error_set(VR_EINVALID, "GET %s: larger than %zu "
		    "bytes; transfer aborted", url, s->max);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return vr_error_set(VR_ETIMEOUT, "GET %s: timed out after "
		    "%ld ms", url, total);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
	if (cc == CURLE_UNSUPPORTED_PROTOCOL && redirects > 0)
		return vr_error_set(VR_EINVALID, "GET %s: redirected to a "
		    "URL that is not https; refused", url);
	if (cc == CURLE_TOO_MANY_REDIRECTS)
		return vr_error_set(VR_EINVALID, "GET %s: more than 5 "
		    "redirects", url);
	return vr_error_set(VR_ERROR, "GET %s: %s", url,
	    errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

int
vr_source_http_fetch(char **out, size_t *len, bool *not_modified,
    const char *url, size_t max, const struct vr_http_options *o)
{
	char errbuf[CURL_ERROR_SIZE] = "", *token = NULL, *hdr = NULL;
	struct curl_slist *headers = NULL;
	struct curl_header *eh = NULL;
	struct sink s = { NULL, 0, 0, max, false };
	struct cache c;
	CURL *h = NULL;
	CURLcode cc;
	long status = 0;
	int rc;

	*out = NULL;
	*len = 0;
	if (not_modified)
		*not_modified = false;
	memset(&c, 0, sizeof(c));
	if ((rc = vr_http_url_check(url)) < 0)
		return rc;
	if (o && o->token_file &&
	    (rc = vr_http_secret_read(&token, o->token_file, "token")) < 0)
		return rc;
	vr_http_global_init();
	cache_open(&c, o, url, max);
	h = curl_easy_init();
	if (!h) {
		rc = vr_error_set(VR_ERROR, "cannot start libcurl");
		goto out;
	}
	vr_http_setup(h, o);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	if (token) {
		hdr = vr_asprintf("Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, hdr);
	}
	if (c.etag) {
		char *inm = vr_asprintf("If-None-Match: %s", c.etag);

		headers = curl_slist_append(headers, inm);
		free(inm);
	}
	headers = curl_slist_append(headers, "Accept: application/yaml, "
	    "text/yaml, text/plain, */*");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		rc = transfer_error(h, cc, url, errbuf, &s, o);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 304 && c.etag) {
		*out = c.body;
		*len = c.len;
		c.body = NULL;
		if (not_modified)
			*not_modified = true;
		goto out;
	}
	if (status != 200) {
		rc = vr_error_set(status == 404 ? VR_ENOTFOUND : VR_EINVALID,
		    "GET %s: HTTP %ld", url, status);
		goto out;
	}
	if (!s.buf)
		s.buf = vr_strdup("");
	if (c.meta_path && !o->cache_read_only) {
		const char *etag = NULL;

		if (curl_easy_header(h, "ETag", 0, CURLH_HEADER, -1, &eh) ==
		    CURLHE_OK && strlen(eh->value) <= ETAG_MAX)
			etag = eh->value;
		if (cache_store(&c, o, url, etag, s.buf, s.len) < 0)
			fprintf(stderr, "vmrecon: warning: cannot cache %s: "
			    "%s\n", url, vr_error_msg());
		vr_error_clear();
	}
	*out = s.buf;
	*len = s.len;
	s.buf = NULL;
out:
	free(s.buf);
	curl_slist_free_all(headers);
	if (hdr) {
		memset(hdr, 0, strlen(hdr));
		free(hdr);
	}
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	if (h)
		curl_easy_cleanup(h);
	cache_clear(&c);
	return rc;
}
