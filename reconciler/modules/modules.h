/*
 * modules.h - the table the http module exports (schema/util/module.h).
 *
 *   vmrecon-http.so  HTTPS sources, --notify, --commit-status (libcurl,
 *                    libcrypto for the HMAC)
 *
 * (libgit2 is in a helper executable instead, vmrecon-git-helper: see
 * reconciler/gitops/gitproto.h.)
 *
 * The core binary holds one forwarding function per entry below, with the
 * name and signature of the function it stands for (http_load.c): callers
 * do not know a module is there.  The modules are
 * linked with -Bsymbolic, so inside a module these names are its own.
 */
#ifndef VR_MODULES_H
#define VR_MODULES_H

#include "../report/commitstatus.h"
#include "../report/notify.h"
#include "../gitops/source_http.h"

struct vr_http_api {
	int (*url_check)(const char *url);
	int (*fetch)(char **out, size_t *len, bool *not_modified,
	    const char *url, size_t max, const struct vr_http_options *o);
	int (*notify_new)(struct vr_notify **out, const char *url,
	    const char *hmac_key_file, const struct vr_http_options *http);
	void (*notify_on_vm)(void *ctx, const struct vr_vm_event *ev);
	void (*notify_send)(struct vr_notify *n, const char *vm,
	    const char *revision, const char *result, size_t changes,
	    const char *message, int64_t pending_until);
	void (*notify_free)(struct vr_notify *n);
	int (*cs_provider_parse)(enum vr_cs_provider *out, const char *s);
	int (*cs_new)(struct vr_commit_status **out,
	    const struct vr_commit_status_options *o);
	void (*cs_post)(struct vr_commit_status *cs, const char *sha,
	    enum vr_cs_state state, const char *description);
	void (*cs_free)(struct vr_commit_status *cs);
	void (*notify_set_host)(struct vr_notify *n, const char *host);
};

#endif
