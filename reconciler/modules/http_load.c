/* http_load.c - the HTTP functions in the core binary: each opens
 * vmrecon-http.so (libcurl) on first use and calls its own (modules.h).
 * Freeing NULL loads nothing, so a command without HTTP never loads it. */
#include <stdlib.h>

#include "../../schema/util/error.h"
#include "../../schema/util/module.h"
#include "modules.h"

static const struct vr_http_api *
http(void)
{
	return vr_module_load("http");
}

int
vr_http_url_check(const char *url)
{
	const struct vr_http_api *h = http();

	return h ? h->url_check(url) : vr_error_last()->code;
}

int
vr_source_http_fetch(char **out, size_t *len, bool *not_modified,
    const char *url, size_t max, const struct vr_http_options *o)
{
	const struct vr_http_api *h = http();

	*out = NULL;
	*len = 0;
	return h ? h->fetch(out, len, not_modified, url, max, o) :
	    vr_error_last()->code;
}

int
vr_notify_new(struct vr_notify **out, const char *url,
    const char *hmac_key_file, const struct vr_http_options *o)
{
	const struct vr_http_api *h = http();

	*out = NULL;
	return h ? h->notify_new(out, url, hmac_key_file, o) :
	    vr_error_last()->code;
}

/* The functions below take what the ones above made: the module is open. */
void
vr_notify_on_vm(void *ctx, const struct vr_vm_event *ev)
{
	if (ctx)
		http()->notify_on_vm(ctx, ev);
}

void
vr_notify_send(struct vr_notify *n, const char *vm, const char *revision,
    const char *result, size_t changes, const char *message,
    int64_t pending_until)
{
	if (n)
		http()->notify_send(n, vm, revision, result, changes, message,
		    pending_until);
}

void
vr_notify_set_host(struct vr_notify *n, const char *host)
{
	if (n)
		http()->notify_set_host(n, host);
}

void
vr_notify_free(struct vr_notify *n)
{
	if (n)
		http()->notify_free(n);
}

int
vr_commit_status_provider_parse(enum vr_cs_provider *out, const char *s)
{
	const struct vr_http_api *h = http();

	return h ? h->cs_provider_parse(out, s) : vr_error_last()->code;
}

int
vr_commit_status_new(struct vr_commit_status **out,
    const struct vr_commit_status_options *o)
{
	const struct vr_http_api *h = http();

	*out = NULL;
	return h ? h->cs_new(out, o) : vr_error_last()->code;
}

void
vr_commit_status_post(struct vr_commit_status *cs, const char *sha,
    enum vr_cs_state state, const char *description)
{
	if (cs)
		http()->cs_post(cs, sha, state, description);
}

void
vr_commit_status_free(struct vr_commit_status *cs)
{
	if (cs)
		http()->cs_free(cs);
}
