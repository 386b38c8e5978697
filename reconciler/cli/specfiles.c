/* specfiles.c - -f FILE|DIR|-|URL, repeated, into one spec (specfiles.h). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* What a directory entry that is not a regular file is, for the error. */
static const char *
kind_of(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
	    S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" :
	    S_ISDIR(m) ? "a symbolic link to a directory" : "not a file";
}

/* The wanted files of `dir` in name order; subdirectories (not symbolic
 * links to them, which could loop) with `recursive`.  An entry with a
 * wanted name that is not a regular file (a dangling symbolic link, a
 * FIFO, a device) is an error naming it: skipping it would leave its VMs
 * out without a word. */
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
		} else if (!wanted_name(name)) {
			free(path);
		} else if (stat(path, &st) < 0) {
			int e = errno;

			rc = e == ENOENT ? vr_error_set(VR_EINVALID, "'%s' is "
			    "a symbolic link to nothing (dangling)", path) :
			    vr_error_set(VR_EINVALID, "cannot read '%s': %s",
			    path, strerror(e));
			free(path);
		} else if (!S_ISREG(st.st_mode)) {
			rc = vr_error_set(VR_EINVALID, "'%s' is %s, not a "
			    "regular file", path, kind_of(st.st_mode));
			free(path);
		} else {
			rc = push(sf, path);
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

void
vr_specfiles_check_names(struct vr_diags *diags,
    const struct vr_spec *const *specs, size_t nspecs, bool fold_case)
{
	size_t a, i, b, j;

	for (a = 0; a < nspecs; a++)
		for (i = 0; i < specs[a]->nvms; i++)
			for (b = 0; b <= a; b++)
				for (j = 0; j < (b == a ? i : specs[b]->nvms);
				    j++) {
					const struct vr_vm_spec *x =
					    &specs[a]->vms[i], *y =
					    &specs[b]->vms[j];
					const char *fx = VR_SPEC_FILE(specs[a], x);
					const char *fy = VR_SPEC_FILE(specs[b], y);
					bool same = strcmp(x->name, y->name) == 0;

					/* one file's exact duplicates are the
					 * loader's to report */
					if (same && fx == fy)
						continue;
					if (same)
						vr_diags_add(diags, fx,
						    x->at_name.line,
						    x->at_name.col, "duplicate "
						    "VM name '%s' (first in %s "
						    "at line %d)", x->name, fy,
						    y->at_name.line);
					else if (fold_case && strcasecmp(
					    x->name, y->name) == 0)
						vr_diags_add(diags, fx,
						    x->at_name.line,
						    x->at_name.col, "'%s' and "
						    "'%s' name one VM (first in "
						    "%s at line %d): names "
						    "compare without regard to "
						    "case there; keep one "
						    "document", y->name,
						    x->name, fy,
						    y->at_name.line);
					else
						continue;
					goto next; /* one problem per VM */
				}
next:
			;
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
		vr_specfiles_check_names(diags, (const struct vr_spec *[]){
		    all }, 1, false);
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
