/*
 * source_http.h - desired state over HTTPS (libcurl), and the HTTP rules
 * every outgoing request of vmrecon follows (webhooks, commit status):
 * https only, certificates always verified, bounded size and time, secrets
 * read from files and never printed.
 */
#ifndef VR_SOURCE_HTTP_H
#define VR_SOURCE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#define VR_HTTP_TIMEOUT_MS 30000L      /* total, default */
#define VR_HTTP_CONNECT_TIMEOUT_MS 10000L
#define VR_HTTP_SECRET_MAX 4096        /* token and key files */

struct vr_http_options {
	const char *ca_file;    /* CA bundle (PEM); NULL: the system's */
	const char *token_file; /* bearer token; NULL: none */
	const char *cache_dir;  /* the ETag cache directory as messages name
	                         * it; NULL: no cache */
	int cache_fd;           /* with cache_dir: that directory, opened and
	                         * checked by the caller (in the state dir:
	                         * vr_statedir_subdir); its files are opened
	                         * relative to it, never through a link */
	bool cache_read_only;   /* with cache_dir: use a cached body, never
	                         * write the cache (diff) */
	long timeout_ms;        /* whole transfer; 0: VR_HTTP_TIMEOUT_MS */
};

#define VR_HTTP_OPTIONS_INIT { NULL, NULL, NULL, -1, false, 0 }

/* Initialise libcurl once per process (thread-safe). */
void vr_http_global_init(void);

/* True if `where` looks like a URL ("scheme://..."), not a path. */
bool vr_http_is_url(const char *where);

/* `url` with any user:password@ part shown as ***@, for messages
 * (malloc'd); says whether it had a user and a password. */
char *vr_url_redact(const char *url, bool *has_user, bool *has_password);

/* 0 if `url` may be used: https, with a host, without user:password
 * (credentials belong in files); else VR_EINVALID with a message. */
int vr_http_url_check(const char *url);

/* Apply the common rules to a handle: https only (redirects too, at most
 * 5), TLS verified (with o->ca_file), timeouts, no signals. */
void vr_http_setup(CURL *h, const struct vr_http_options *o);

/* Read a secret (token, HMAC key) from `path`: at most VR_HTTP_SECRET_MAX
 * bytes, trailing newlines removed, not empty, no control characters (so
 * it cannot break a header).  `what` names it in messages. */
int vr_http_secret_read(char **out, const char *path, const char *what);

/* GET `url` into a NUL-terminated buffer of at most `max` bytes.  With
 * o->cache_dir, sends If-None-Match with the cached ETag; on 304 returns
 * the cached body and sets *not_modified; a new body and ETag are cached
 * unless o->cache_read_only.  Errors name the URL and the
 * HTTP status, never the token: VR_EINVALID (refused URL, too large, bad
 * status), VR_ETIMEOUT, VR_ERROR (network, TLS). */
int vr_source_http_fetch(char **out, size_t *len, bool *not_modified,
    const char *url, size_t max, const struct vr_http_options *o);

#endif
