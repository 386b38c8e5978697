/* url.c - the URL helpers every command needs without libcurl: is this
 * source a URL, and a URL with its credentials hidden (source_http.h).
 * They stay in the core so that reading a file or watching a git:// repo
 * never loads the HTTP module. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "../../schema/util/error.h"
#include "source_http.h"

bool
vr_http_is_url(const char *where)
{
	const char *p = where;

	while (isalpha((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	return p > where && strncmp(p, "://", 3) == 0;
}

char *
vr_url_redact(const char *url, bool *has_user, bool *has_password)
{
	const char *p = strstr(url, "://"), *auth, *at = NULL, *q;
	size_t end;

	*has_user = *has_password = false;
	if (!p)
		return vr_strdup(url);
	auth = p + 3;
	end = strcspn(auth, "/?#");
	for (q = auth; q < auth + end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return vr_strdup(url);
	*has_user = true;
	*has_password = memchr(auth, ':', (size_t)(at - auth)) != NULL;
	return vr_asprintf("%.*s***%s", (int)(auth - url), url, at);
}
