/*
 * gitsource_common.c - the parts of the Git source (gitsource.h) that need
 * no libgit2, so they live in the core binary as well as in the helper:
 * PATH templates and vr_git_rev_clear.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "gitsource.h"

#define MAX_PATH_LEN 1024

void
vr_git_rev_clear(struct vr_git_rev *r)
{
	free(r->revision);
	memset(r, 0, sizeof(*r));
}

/* --- PATH templates ------------------------------------------------------ */

static int
check_word(const char *what, const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return vr_error_set(VR_EINVALID, "%s '%s' is empty or too "
		    "long", what, s);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return vr_error_set(VR_EINVALID, "%s '%s' has a "
			    "character not allowed in a path", what, s);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return vr_error_set(VR_EINVALID, "%s is '%s'", what, s);
	return 0;
}

static int
read_machine_id(char *out, size_t size)
{
	char *buf = NULL;
	size_t len;
	int err;

	if ((err = vr_file_read(&buf, &len, "/etc/machine-id", 128)) < 0)
		return vr_error_wrap(err, "{machine-id}");
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	snprintf(out, size, "%s", buf);
	free(buf);
	return 0;
}

static int
check_path(const char *p)
{
	const char *c = p;
	size_t n;

	if (!*p || strlen(p) > MAX_PATH_LEN)
		return vr_error_set(VR_EINVALID, "path '%s' is empty or too "
		    "long", p);
	if (*p == '/')
		return vr_error_set(VR_EINVALID, "path '%s' must be relative "
		    "to the repository", p);
	for (; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\' ||
		    *c == '{' || *c == '}')
			return vr_error_set(VR_EINVALID, "path '%s' has a "
			    "character or placeholder not allowed", p);
	for (c = p; *c; c += n + (c[n] == '/')) {
		n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return vr_error_set(VR_EINVALID, "path '%s' has an "
			    "empty, '.' or '..' component", p);
		if (c[n] == '/' && c[n + 1] == '\0')
			return vr_error_set(VR_EINVALID, "path '%s' ends with "
			    "'/'", p);
	}
	return 0;
}

int
vr_git_path_expand(char **out, const char *tmpl, const char *hostname,
    const char *machine_id)
{
	char host[256], mid[129];
	char *res = NULL, *next;
	const char *p;
	int err;

	*out = NULL;
	if (strstr(tmpl, "{hostname}")) {
		if (!hostname) {
			if (gethostname(host, sizeof(host)) != 0)
				return vr_error_set(VR_ERROR, "gethostname: "
				    "%s", strerror(errno));
			host[sizeof(host) - 1] = '\0';
			hostname = host;
		}
		if ((err = check_word("hostname", hostname, 253)) < 0)
			return err;
	}
	if (strstr(tmpl, "{machine-id}")) {
		if (!machine_id) {
			if ((err = read_machine_id(mid, sizeof(mid))) < 0)
				return err;
			machine_id = mid;
		}
		if ((err = check_word("machine id", machine_id, 128)) < 0)
			return err;
	}
	res = vr_strdup("");
	for (p = tmpl; *p;) {
		const char *val = NULL;
		size_t skip = 0;

		if (strncmp(p, "{hostname}", 10) == 0) {
			val = hostname;
			skip = 10;
		} else if (strncmp(p, "{machine-id}", 12) == 0) {
			val = machine_id;
			skip = 12;
		}
		if (val) {
			next = vr_asprintf("%s%s", res, val);
			p += skip;
		} else {
			size_t n = strcspn(p + 1, "{") + 1;

			next = vr_asprintf("%s%.*s", res, (int)n, p);
			p += n;
		}
		free(res);
		res = next;
	}
	if ((err = check_path(res)) < 0) {
		free(res);
		return err;
	}
	*out = res;
	return 0;
}
