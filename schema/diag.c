/* diag.c - collecting and printing located problems. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util/error.h"

void
vr_diags_add(struct vr_diags *d, const char *file, int line, int col,
    const char *fmt, ...)
{
	struct vr_diag *g;
	va_list ap;
	int n;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = vr_realloc(d->v, d->cap * sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->file = vr_strdup(file);
	g->line = line;
	g->col = col;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	g->msg = vr_malloc((unsigned long)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(g->msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
}

static int
cmp(const struct vr_diag *a, const struct vr_diag *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void
vr_diags_sort(struct vr_diags *d)
{
	size_t i, j;

	/* insertion sort: stable, and lists are short */
	for (i = 1; i < d->n; i++) {
		struct vr_diag t = d->v[i];

		for (j = i; j > 0 && cmp(&d->v[j - 1], &t) > 0; j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = t;
	}
}

void
vr_diags_print(const struct vr_diags *d, FILE *fp)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct vr_diag *g = &d->v[i];

		if (g->file && g->line > 0)
			fprintf(fp, "%s:%d:%d: %s\n", g->file, g->line,
			    g->col, g->msg);
		else if (g->file)
			fprintf(fp, "%s: %s\n", g->file, g->msg);
		else
			fprintf(fp, "%s\n", g->msg);
	}
}

void
vr_diags_free(struct vr_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
