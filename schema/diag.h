/*
 * diag.h - a list of located problems ("FILE:LINE:COL: message").
 *
 * The loader, the checks and preflight collect every problem they find here
 * instead of stopping at the first, so a user fixes a file in one pass.
 */
#ifndef VR_DIAG_H
#define VR_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct vr_diag {
	char *file; /* NULL: not about a file */
	int line;   /* 1-based; 0 when unknown */
	int col;    /* 1-based; 0 when unknown */
	char *msg;
};

struct vr_diags {
	struct vr_diag *v;
	size_t n, cap;
};

#define VR_DIAGS_INIT { NULL, 0, 0 }

void vr_diags_add(struct vr_diags *d, const char *file, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Order by file, line, column (stable), so output reads top to bottom. */
void vr_diags_sort(struct vr_diags *d);

/* One line each: "file:line:col: msg", "file: msg" or "msg". */
void vr_diags_print(const struct vr_diags *d, FILE *fp);
void vr_diags_free(struct vr_diags *d);

#endif
