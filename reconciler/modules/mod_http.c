/* mod_http.c - the entry of vmrecon-http.so (modules.h): every HTTP
 * request vmrecon makes, with libcurl linked into the module only. */
#include <curl/curl.h>
#include <stdio.h>

#include "../../schema/util/module.h"
#include "modules.h"

static const struct vr_http_api api = {
	.url_check = vr_http_url_check,
	.fetch = vr_source_http_fetch,
	.notify_new = vr_notify_new,
	.notify_on_vm = vr_notify_on_vm,
	.notify_send = vr_notify_send,
	.notify_free = vr_notify_free,
	.notify_set_host = vr_notify_set_host,
	.cs_provider_parse = vr_commit_status_provider_parse,
	.cs_new = vr_commit_status_new,
	.cs_post = vr_commit_status_post,
	.cs_free = vr_commit_status_free,
};

static const char *
library(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "libcurl %s",
	    curl_version_info(CURLVERSION_NOW)->version);
	return v;
}

/* read before the module is loaded (module.h) */
VR_MODULE_NOTE("http");

const struct vr_module_info VR_MODULE_DEFINE = {
	VR_MODULE_ABI, VR_VERSION, "http", &api, library,
};
