/* cmd_version.c - `vmrecon version`: the version and the built-in backends
 * with the library versions vmrecon was linked against. */
#include <curl/curl.h>
#include <git2.h>
#include <jansson.h>
#include <stdio.h>
#include <yaml.h>

#include "cmd.h"
#include "options.h"

#ifndef VR_VERSION
#define VR_VERSION "0.0.0"
#endif

int
cmd_version(int argc, char **argv)
{
	const struct vr_driver *const *d;
	struct vr_opts p;
	int maj, min, rev, rc;

	vr_opts_init(&p, "version", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0)
		;
	if (rc < 0)
		return vr_opts_exit(rc);
	printf("vmrecon %s\nbackends:", VR_VERSION);
	for (d = vr_backend_drivers(); *d; d++)
		printf(" %s", (*d)->name);
	git_libgit2_version(&maj, &min, &rev);
	printf("\nlibraries: libyaml %s, jansson %s, libcurl %s, libgit2 "
	    "%d.%d.%d\n", yaml_get_version_string(), jansson_version_str(),
	    curl_version_info(CURLVERSION_NOW)->version, maj, min, rev);
	return 0;
}
