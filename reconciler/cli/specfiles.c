/* specfiles.c - -f FILE|DIR|-|URL, repeated, into one spec (specfiles.h). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../schema/util/error.h"
#include "../../schema/util/sha1.h"
#include "../gitops/source.h"
#include "specfiles.h"

static int
push(struct vr_specfiles *sf, char *path)
{
	if (sf->n >= VR_SPECFILES_MAX) {
		free(path);
		return vr_error_set(VR_EINVALID, "more than %d files given "
		    "with -f", VR_SPECFILES_MAX);
	}
	sf->v = vr_realloc(sf->v, (sf->n + 1) * sizeof(*sf->v));
	sf->v[sf->n++] = path;
	return 0;
}

static bool
wanted_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
	    (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The wanted files of `dir` in name order; subdirectories (not symbolic
 * links to them, which could loop) with `recursive`. */
static int
walk(struct vr_specfiles *sf, const char *dir, bool recursive, int depth)
{
	struct dirent **ents = NULL;
	struct stat st;
	int i, n, rc = 0;

	if (depth > VR_SPECFILES_DEPTH)
		return vr_error_set(VR_EINVALID, "'%s': directories deeper "
		    "than %d", dir, VR_SPECFILES_DEPTH);
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0)
		return vr_error_set(VR_ERROR, "cannot read directory '%s': "
		    "%s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *path;

		if (rc < 0 || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0)
			continue;
		path = vr_asprintf("%s%s%s", dir, dir[strlen(dir) - 1] ==
		    '/' ? "" : "/", name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (recursive)
				rc = walk(sf, path, recursive, depth + 1);
			free(path);
		} else if (wanted_name(name) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			rc = push(sf, path);
		} else {
			free(path);
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int
vr_specfiles_add(struct vr_specfiles *sf, const char *arg, bool recursive)
{
	struct stat st;
	size_t i, before = sf->n;
	int rc;

	if (strcmp(arg, "-") == 0 || vr_http_is_url(arg) ||
	    stat(arg, &st) < 0 || !S_ISDIR(st.st_mode)) {
		for (i = 0; strcmp(arg, "-") == 0 && i < sf->n; i++)
			if (strcmp(sf->v[i], "-") == 0)
				return vr_error_set(VR_EINVALID, "-f - (stdin) "
				    "given twice");
		return push(sf, vr_strdup(arg));
	}
	if ((rc = walk(sf, arg, recursive, 0)) < 0)
		return rc;
	if (sf->n == before)
		return vr_error_set(VR_EINVALID, "directory '%s' has no "
		    ".yaml, .yml or .json file%s", arg, recursive ? "" :
		    " (-R looks in its subdirectories too)");
	return 0;
}

/* A VM named in two files: a problem at the second. */
static void
check_names(struct vr_diags *diags, const struct vr_spec *s)
{
	size_t i, j;

	for (i = 1; i < s->nvms; i++)
		for (j = 0; j < i; j++)
			if (strcmp(s->vms[i].name, s->vms[j].name) == 0 &&
			    s->vms[i].file != s->vms[j].file) {
				vr_diags_add(diags, s->vms[i].file,
				    s->vms[i].at_name.line,
				    s->vms[i].at_name.col, "duplicate VM "
				    "name '%s' (first in %s at line %d)",
				    s->vms[i].name, s->vms[j].file,
				    s->vms[j].at_name.line);
				break;
			}
}

int
vr_specfiles_load(struct vr_spec **out, char **revision,
    struct vr_diags *diags, const struct vr_specfiles *sf,
    const struct vr_http_options *http)
{
	struct vr_spec *all, *one = NULL;
	char *revs = vr_strdup(""), *rev = NULL, *next;
	size_t i, j, before = diags->n;
	int rc = 0;

	*out = NULL;
	*revision = NULL;
	if (sf->n == 1) {
		free(revs);
		return vr_source_load_with(out, revision, diags, sf->v[0],
		    http, NULL);
	}
	all = vr_calloc(1, sizeof(*all));
	all->files = vr_calloc(sf->n, sizeof(*all->files));
	for (i = 0; i < sf->n; i++) {
		size_t had = diags->n;
		int r = vr_source_load_with(&one, &rev, diags, sf->v[i], http,
		    NULL);

		if (r < 0 && diags->n > had) {
			/* a problem in the file: check the others too */
			rc = VR_EINVALID;
			continue;
		}
		if (r < 0) { /* cannot read it: vr_error_last() says why */
			rc = r;
			break;
		}
		all->files[all->nfiles] = vr_strdup(sf->v[i]);
		all->vms = vr_realloc(all->vms, (all->nvms + one->nvms) *
		    sizeof(*all->vms));
		for (j = 0; j < one->nvms; j++) {
			all->vms[all->nvms] = one->vms[j];
			all->vms[all->nvms++].file = all->files[all->nfiles];
		}
		all->nfiles++;
		one->nvms = 0;
		vr_spec_free(one);
		one = NULL;
		next = vr_asprintf("%s%s %s\n", revs, rev, sf->v[i]);
		free(revs);
		revs = next;
		free(rev);
		rev = NULL;
	}
	if (rc == 0)
		check_names(diags, all);
	if (rc == VR_EINVALID || (rc == 0 && diags->n > before))
		rc = vr_error_set(VR_EINVALID, "%zu problem%s in the files",
		    diags->n - before, diags->n - before == 1 ? "" : "s");
	if (rc < 0) {
		vr_spec_free(all);
		free(revs);
		return rc;
	}
	all->path = vr_asprintf("%zu files", sf->n);
	next = vr_sha1_blob_id(revs, strlen(revs));
	*revision = vr_asprintf("files:%s", next + strlen("blob:"));
	free(next);
	free(revs);
	*out = all;
	return 0;
}

void
vr_specfiles_clear(struct vr_specfiles *sf)
{
	size_t i;

	for (i = 0; i < sf->n; i++)
		free(sf->v[i]);
	free(sf->v);
	sf->v = NULL;
	sf->n = 0;
}
