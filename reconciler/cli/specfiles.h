/*
 * specfiles.h - kubectl's -f: every -f names a file, a directory (its
 * .yaml, .yml and .json files in name order; with -R its subdirectories
 * too, depth first in name order), "-" for stdin or an https URL, and
 * -f may be repeated.  The files load into one spec; a VM named twice,
 * in one file or two, is an error.  A directory's entry with such a name
 * that is not a regular file (a dangling symbolic link, a FIFO, a device)
 * is an error naming it.
 */
#ifndef VR_SPECFILES_H
#define VR_SPECFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "../../schema/diag.h"
#include "../../schema/model.h"
#include "../gitops/source_http.h"

#define VR_SPECFILES_MAX 1000 /* files from one command line */
#define VR_SPECFILES_DEPTH 16 /* -R's deepest directory */

struct vr_specfiles {
	char **v;
	size_t n;
};

/* Add what `arg` names to sf (a directory's files, sorted).  An error
 * (VR_EINVALID) for a directory with no such file, too many files, "-"
 * twice; a path that does not exist is added as is, for the load to
 * report. */
int vr_specfiles_add(struct vr_specfiles *sf, const char *arg,
    bool recursive);

/* Load every file of sf into one spec.  Problems in the files go to
 * diags (VR_EINVALID) and every file is checked; I/O errors stop at the
 * first.  *revision: the file's revision for one file, else
 * "files:<sha1 of their revisions>". */
int vr_specfiles_load(struct vr_spec **out, char **revision,
    struct vr_diags *diags, const struct vr_specfiles *sf,
    const struct vr_http_options *http);

/* Names across `specs` (one per file, or one merged, whose VMs say their
 * file): a VM named again in another file is a problem at the later one,
 * and with `fold_case` (a backend whose names ignore case: EFLOW) so are
 * two names differing only in case, in one file or two. */
void vr_specfiles_check_names(struct vr_diags *diags,
    const struct vr_spec *const *specs, size_t nspecs, bool fold_case);

void vr_specfiles_clear(struct vr_specfiles *sf);

#endif
