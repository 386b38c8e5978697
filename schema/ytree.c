/*
 * ytree.c - YAML events into a tree per document, and the checks every
 * YAML file shares (ytree.h).  Plain scalars are typed as YAML 1.1 does
 * (PyYAML's resolver, which the JSON Schema test uses): where a string is
 * expected, a plain `yes`, `12` or `~` is not a string.  Where an integer
 * is expected only a plain decimal without sign or leading zero is taken
 * (`-1` reads as an integer out of range).
 */
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/error.h"
#include "util/fileio.h"
#include "suggest.h"
#include "ytree.h"

struct vr_yanchor {
	char *name;
	struct vr_ynode *n;
};

enum { RX_NULL, RX_BOOL, RX_INT, RX_FLOAT, RX_TIME, RX_OTHER, RX__N };

static const char *const rx_src[RX__N] = {
	[RX_NULL] = "^(~|null|Null|NULL|)$",
	[RX_BOOL] = "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
	    "|on|On|ON|off|Off|OFF)$",
	[RX_INT] = "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)"
	    "|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
	[RX_FLOAT] = "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?"
	    "|\\.[0-9][0-9_]*([eE][-+][0-9]+)?"
	    "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
	    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
	[RX_TIME] = "^([0-9]{4}-[0-9]{2}-[0-9]{2}"
	    "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}"
	    ":[0-9]{2}(\\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$",
	[RX_OTHER] = "^(<<|=)$", /* merge key and value: not strings */
};

/* The resolver's patterns, compiled once per process. */
static regex_t rx[RX__N];
static bool rx_ok;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static void
rx_compile(void)
{
	int i;

	for (i = 0; i < RX__N; i++)
		if (regcomp(&rx[i], rx_src[i], REG_EXTENDED | REG_NOSUB)) {
			while (i-- > 0)
				regfree(&rx[i]);
			return;
		}
	rx_ok = true;
}

__attribute__((destructor)) static void
rx_free(void)
{
	int i;

	for (i = 0; rx_ok && i < RX__N; i++)
		regfree(&rx[i]);
	rx_ok = false;
}

/* ---- diagnostics ---- */

void
vr_ybad(struct vr_yload *L, struct vr_pos at, const char *fmt, ...)
{
	struct vr_diags *d = L->checking ? &L->cd : &L->pd;
	char msg[768];
	va_list ap;

	if (d->n > VR_YMAX_DIAGS) {
		L->capped = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vr_diags_add(d, L->path, at.line, at.col, "%s", msg);
}

/* The parse problems, then the check problems, into L->diags; after
 * VR_YMAX_DIAGS of them, one line says the list stops there. */
void
vr_yload_end(struct vr_yload *L)
{
	const struct vr_diags *src[2] = { &L->pd, &L->cd };
	size_t i, k, n = 0;

	for (k = 0; k < 2; k++)
		for (i = 0; i < src[k]->n; i++, n++) {
			const struct vr_diag *g = &src[k]->v[i];

			if (n == VR_YMAX_DIAGS) {
				vr_diags_add(L->diags, L->path, 0, 0, "too "
				    "many problems; stopped after %d",
				    VR_YMAX_DIAGS);
				return;
			}
			vr_diags_add(L->diags, g->file, g->line, g->col, "%s",
			    g->msg);
		}
}

static struct vr_pos
vr_ypos(yaml_mark_t m)
{
	struct vr_pos p = { (int)m.line + 1, (int)m.column + 1 };

	return p;
}

bool
vr_ysneaky(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e ||
	    c == 0x200f || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

const char *
vr_yshown(char out[static 256], const char *s, size_t len, bool ascii)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, w, nch = 0;

	while (i < len && o < 256 - 16) {
		uint32_t c = vr_utf8_next(u + i, len - i, &w);

		if (nch++ == 48) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '\\' || c == '\'') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else if (c < 0x80 || vr_ysneaky(c) || ascii || c == 0xfeff ||
		    c == 0xfffd) {
			o += (size_t)snprintf(out + o, 256 - o, "\\u{%04X}",
			    (unsigned)c);
		} else {
			memcpy(out + o, s + i, w);
			o += w;
		}
		i += w;
	}
	out[o] = '\0';
	return out;
}

/* ---- first pass: events into a tree ---- */

/* ---- events into a tree ---- */

static struct vr_ynode *
node_new(struct vr_yload *L, enum vr_ykind kind, yaml_mark_t m)
{
	struct vr_ynode *n = vr_calloc(1, sizeof(*n));

	n->kind = kind;
	n->at = vr_ypos(m);
	n->index = n->end = m.index;
	n->size = 1;
	if (L->nall == L->capall) {
		L->capall = L->capall ? L->capall * 2 : 64;
		L->all = vr_realloc(L->all, L->capall * sizeof(*L->all));
	}
	L->all[L->nall++] = n;
	return n;
}

static void
node_add(struct vr_ynode *parent, struct vr_ynode *kid)
{
	if (parent->nkid == parent->capkid) {
		parent->capkid = parent->capkid ? parent->capkid * 2 : 8;
		parent->kid = vr_realloc(parent->kid,
		    parent->capkid * sizeof(*parent->kid));
	}
	parent->kid[parent->nkid++] = kid;
	if (kid->height + 1 > parent->height)
		parent->height = kid->height + 1;
	/* sizes stay far below SIZE_MAX: input and expansion are bounded */
	parent->size += kid->size;
}

static void
anchor_add(struct vr_yload *L, const char *name, struct vr_ynode *n)
{
	if (L->nanchors == L->capanchors) {
		L->capanchors = L->capanchors ? L->capanchors * 2 : 8;
		L->anchors = vr_realloc(L->anchors,
		    L->capanchors * sizeof(*L->anchors));
	}
	L->anchors[L->nanchors].name = vr_strdup(name);
	L->anchors[L->nanchors].n = n;
	L->nanchors++;
}

static void
anchors_reset(struct vr_yload *L)
{
	size_t i;

	for (i = 0; i < L->nanchors; i++)
		free(L->anchors[i].name);
	L->nanchors = 0;
}

static struct vr_ynode *
anchor_find(struct vr_yload *L, const char *name)
{
	size_t i;

	/* the latest definition wins, as YAML says */
	for (i = L->nanchors; i > 0; i--)
		if (strcmp(L->anchors[i - 1].name, name) == 0)
			return L->anchors[i - 1].n;
	return NULL;
}

static void
tag_check(struct vr_yload *L, const yaml_char_t *tag, yaml_mark_t m)
{
	char b[256];

	if (tag)
		vr_ybad(L, vr_ypos(m), "tags are not allowed (found '%s')",
		    vr_yshown(b, (const char *)tag, strlen((const char *)tag),
		    true));
}

/* Position of a byte offset, for reader errors that carry no mark: the
 * line counts breaks, the column counts characters as libyaml does. */
static struct vr_pos
pos_at_offset(const struct vr_yload *L, size_t off)
{
	const unsigned char *u = (const unsigned char *)L->buf;
	struct vr_pos p = { 1, 1 };
	size_t i = 0;

	if (off > L->len)
		off = L->len;
	if (L->len >= 3 && memcmp(u, "\xef\xbb\xbf", 3) == 0 && off >= 3)
		i = 3;
	for (; i < off; i++) {
		if (u[i] == '\n' || (u[i] == '\r' && (i + 1 >= L->len ||
		    u[i + 1] != '\n'))) {
			p.line++;
			p.col = 1;
		} else if ((u[i] & 0xc0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

static void
syntax_error(struct vr_yload *L, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "cannot parse";

	L->fatal = true;
	if (p->error == YAML_MEMORY_ERROR) {
		vr_ybad(L, (struct vr_pos){ 0, 0 }, "out of memory while "
		    "parsing");
	} else if (p->error == YAML_READER_ERROR) {
		struct vr_pos at = pos_at_offset(L, p->problem_offset);

		if (p->problem_value >= 0)
			vr_ybad(L, at, "%s (0x%02X)", problem,
			    (unsigned)p->problem_value);
		else
			vr_ybad(L, at, "%s", problem);
	} else if (p->context) {
		vr_ybad(L, vr_ypos(p->problem_mark), "%s, %s at line %d",
		    problem, p->context, (int)p->context_mark.line + 1);
	} else {
		vr_ybad(L, vr_ypos(p->problem_mark), "%s", problem);
	}
}

/* A node for an alias event, or NULL (and L->fatal) when the alias is
 * undefined or would pass a limit. */
static struct vr_ynode *
alias_node(struct vr_yload *L, const yaml_event_t *ev, int depth)
{
	const char *a = (const char *)ev->data.alias.anchor;
	struct vr_pos at = vr_ypos(ev->start_mark);
	struct vr_ynode *t = anchor_find(L, a), *n;
	char b[256];

	L->fatal = true;
	if (!t) {
		vr_ybad(L, at, "undefined alias '%s'", vr_yshown(b, a,
		    strlen(a), true));
		return NULL;
	}
	if (++L->naliases > VR_YMAX_ALIASES) {
		vr_ybad(L, at, "too many aliases (more than %d)",
		    VR_YMAX_ALIASES);
		return NULL;
	}
	L->expansion += t->size;
	if (L->expansion > VR_YMAX_EXPANSION) {
		vr_ybad(L, at, "aliases expand to more than %d nodes",
		    VR_YMAX_EXPANSION);
		return NULL;
	}
	if (depth + t->height > VR_YMAX_DEPTH) {
		vr_ybad(L, at, "alias '%s' nests deeper than %d levels",
		    vr_yshown(b, a, strlen(a), true), VR_YMAX_DEPTH);
		return NULL;
	}
	L->fatal = false;
	n = node_new(L, VR_Y_ALIAS, ev->start_mark);
	n->target = t;
	n->end = ev->end_mark.index;
	n->size = t->size;
	n->height = t->height;
	return n;
}

/* Free the current document's nodes and anchors. */
static void
nodes_free(struct vr_yload *L)
{
	size_t i;

	for (i = 0; i < L->nall; i++) {
		free(L->all[i]->s);
		free(L->all[i]->kid);
		free(L->all[i]->anchor);
		free(L->all[i]);
	}
	L->nall = 0;
	anchors_reset(L);
}

/* A document ended: have it checked, then free its tree. */
static void
doc_end(struct vr_yload *L, struct vr_ynode *root, struct vr_pos at)
{
	L->checking = true;
	L->capped = L->cd.n > VR_YMAX_DIAGS;
	L->on_doc(L, root, at);
	L->checking = false;
	L->capped = L->pd.n > VR_YMAX_DIAGS;
	nodes_free(L);
}

void
vr_yload_parse(struct vr_yload *L)
{
	struct vr_ynode *open[VR_YMAX_DEPTH];
	struct vr_ynode *root = NULL;
	struct vr_pos doc_at = { 0, 0 };
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0;
	bool done = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)L->buf,
	    L->len);
	while (!done && !L->fatal) {
		struct vr_ynode *n = NULL;
		const yaml_char_t *anchor = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(L, &p);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			anchors_reset(L);
			root = NULL;
			doc_at = vr_ypos(ev.start_mark);
			break;
		case YAML_DOCUMENT_END_EVENT:
			doc_end(L, root, doc_at);
			root = NULL;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(L, VR_Y_SCALAR, ev.start_mark);
			n->len = ev.data.scalar.length;
			n->s = vr_malloc(n->len + 1);
			memcpy(n->s, ev.data.scalar.value, n->len);
			n->s[n->len] = '\0';
			n->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;
			n->height = 0;
			n->end = ev.end_mark.index;
			tag_check(L, ev.data.scalar.tag, ev.start_mark);
			anchor = ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == VR_YMAX_DEPTH) {
				vr_ybad(L, vr_ypos(ev.start_mark), "nested "
				    "deeper than %d levels", VR_YMAX_DEPTH);
				L->fatal = true;
				break;
			}
			n = node_new(L, ev.type == YAML_MAPPING_START_EVENT ?
			    VR_Y_MAP : VR_Y_SEQ, ev.start_mark);
			n->size = 1;
			tag_check(L, ev.type == YAML_MAPPING_START_EVENT ?
			    ev.data.mapping_start.tag :
			    ev.data.sequence_start.tag, ev.start_mark);
			anchor = ev.type == YAML_MAPPING_START_EVENT ?
			    ev.data.mapping_start.anchor :
			    ev.data.sequence_start.anchor;
			if (anchor)
				n->anchor = vr_strdup((const char *)anchor);
			anchor = NULL;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			struct vr_ynode *c = open[--depth];

			c->end = ev.end_mark.index;
			/* registered only now: an alias inside its own
			 * anchor would make a cycle */
			if (c->anchor) {
				anchor_add(L, c->anchor, c);
				free(c->anchor);
				c->anchor = NULL;
			}
			if (depth > 0)
				node_add(open[depth - 1], c);
			else
				root = c;
			break;
		}
		case YAML_ALIAS_EVENT:
			n = alias_node(L, &ev, depth);
			break;
		default:
			break;
		}
		if (n && !L->fatal) {
			if (anchor)
				anchor_add(L, (const char *)anchor, n);
			if (n->kind == VR_Y_MAP || n->kind == VR_Y_SEQ)
				open[depth++] = n;
			else if (depth > 0)
				node_add(open[depth - 1], n);
			else
				root = n;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

/* ---- checks ---- */

const struct vr_ynode *
vr_yderef(const struct vr_ynode *n)
{
	return n && n->kind == VR_Y_ALIAS ? n->target : n;
}

enum vr_ytype
vr_yresolve(struct vr_yload *L, const struct vr_ynode *n)
{
	static const enum vr_ytype t[RX__N] = { VR_Y_NULL, VR_Y_BOOL,
	    VR_Y_INT, VR_Y_FLOAT, VR_Y_TIME, VR_Y_OTHER };
	size_t k;
	int i;

	if (!n->plain)
		return VR_Y_STR;
	if (n->len == 0)
		return VR_Y_NULL;
	/* Shortcuts that give what the patterns give: every pattern but
	 * the empty null starts with one of these characters, and a
	 * decimal without sign or leading zero is RX_INT's and no earlier
	 * pattern's. */
	if (!strchr("~nNyYtTfFoO+-.0123456789<=", n->s[0]))
		return VR_Y_STR;
	if (n->s[0] >= '1' && n->s[0] <= '9') {
		for (k = 1; k < n->len && n->s[k] >= '0' && n->s[k] <= '9'; k++)
			;
		if (k == n->len)
			return VR_Y_INT;
	}
	if (memchr(n->s, '\0', n->len))
		return VR_Y_STR;
	pthread_once(&rx_once, rx_compile);
	if (!rx_ok) {
		vr_ybad(L, n->at, "cannot compile the YAML resolver's "
		    "patterns");
		return VR_Y_OTHER;
	}
	for (i = 0; i < RX__N; i++)
		if (regexec(&rx[i], n->s, 0, NULL, 0) == 0)
			return t[i];
	return VR_Y_STR;
}

const char *
vr_ywhat(struct vr_yload *L, const struct vr_ynode *n)
{
	n = vr_yderef(n);
	if (n->kind == VR_Y_MAP)
		return "a mapping";
	if (n->kind == VR_Y_SEQ)
		return "a sequence";
	switch (vr_yresolve(L, n)) {
	case VR_Y_NULL: return "null";
	case VR_Y_BOOL: return "a boolean";
	case VR_Y_INT: return "an integer";
	case VR_Y_FLOAT: return "a float";
	case VR_Y_TIME: return "a timestamp";
	case VR_Y_OTHER: return "a special value";
	default: return n->plain ? "a string" : "a quoted string";
	}
}

/* The known word a user probably meant by s, or NULL: a near one
 * (suggest.h), a synonym, or one s begins. */
const char *
vr_ysuggest(struct vr_yload *L, const char *s, size_t len,
    const char *const *known)
{
	const char *best = vr_suggest_near(s, len, known);
	size_t k;
	int i;

	if (best)
		return best;
	for (k = 0; k < L->nsynonyms; k++) {
		if (vr_suggest_distance(s, len, L->synonyms[k].word) != 0)
			continue;
		for (i = 0; known[i]; i++)
			if (strcmp(known[i], L->synonyms[k].key) == 0)
				return known[i];
	}
	return vr_suggest_prefix(s, len, known);
}

struct keyref {
	const struct vr_ynode *key;
	size_t i;
};

static int
keyref_cmp(const void *pa, const void *pb)
{
	const struct keyref *a = pa, *b = pb;
	size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
	int c = memcmp(a->key->s, b->key->s, n);

	if (c)
		return c;
	if (a->key->len != b->key->len)
		return a->key->len < b->key->len ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Check the keys of mapping m (at `where`, e.g. "spec"; "" for the top):
 * keys are strings, known, not repeated.  val[i]/key[i] get the value and
 * key node of known[i] (first occurrence), or NULL. */
void
vr_ycheck_keys(struct vr_yload *L, const struct vr_ynode *m, const char *where,
    const char *const *known, const struct vr_ynode **val,
    const struct vr_ynode **key)
{
	size_t npairs = m->nkid / 2, i, nref = 0, first = 0;
	struct keyref *ref = vr_calloc(npairs + 1, sizeof(*ref));
	char b[256];
	int k;

	for (k = 0; known[k]; k++)
		val[k] = key[k] = NULL;
	for (i = 0; i < npairs; i++) {
		const struct vr_ynode *kn = m->kid[2 * i], *kd = vr_yderef(kn);

		if (kd->kind != VR_Y_SCALAR) {
			vr_ybad(L, kn->at, "a key must be a string, not %s",
			    vr_ywhat(L, kd));
			continue;
		}
		ref[nref].key = kd;
		ref[nref].i = i;
		nref++;
	}
	/* duplicates: sorted by key then order, a run is one key */
	qsort(ref, nref, sizeof(*ref), keyref_cmp);
	for (i = 1; i < nref; i++) {
		const struct keyref *a = &ref[first], *c = &ref[i];

		if (c->key->len != a->key->len ||
		    memcmp(c->key->s, a->key->s, a->key->len) != 0) {
			first = i;
			continue;
		}
		vr_ybad(L, m->kid[2 * c->i]->at, "duplicate key '%s' (first at "
		    "line %d)", vr_yshown(b, c->key->s, c->key->len, true),
		    m->kid[2 * a->i]->at.line);
	}
	for (i = 0; i < npairs; i++) {
		const struct vr_ynode *kn = m->kid[2 * i], *kd = vr_yderef(kn);
		const char *hint, *home;

		if (kd->kind != VR_Y_SCALAR)
			continue;
		for (k = 0; known[k]; k++) {
			if (strlen(known[k]) == kd->len &&
			    memcmp(known[k], kd->s, kd->len) == 0)
				break;
		}
		if (known[k]) {
			if (!val[k]) {
				val[k] = m->kid[2 * i + 1];
				key[k] = kn;
			}
			continue;
		}
		if (L->capped)
			continue; /* no need to find suggestions */
		vr_yshown(b, kd->s, kd->len, true);
		if (!*where && L->top_home &&
		    (home = L->top_home(kd->s, kd->len))) {
			vr_ybad(L, kn->at, "unknown key '%s' at the top; it "
			    "belongs under '%s'", b, home);
			continue;
		}
		hint = vr_ysuggest(L, kd->s, kd->len, known);
		if (hint)
			vr_ybad(L, kn->at, "unknown key '%s'%s%s%s; did you "
			    "mean '%s'?", b, *where ? " in '" : "", where,
			    *where ? "'" : "", hint);
		else
			vr_ybad(L, kn->at, "unknown key '%s'%s%s%s", b,
			    *where ? " in '" : "", where, *where ? "'" : "");
	}
	free(ref);
}

/* An integer in [lo, hi]: a plain, untagged decimal.  Returns true and
 * sets *out, or reports why not. */
bool
vr_yget_int(struct vr_yload *L, const struct vr_ynode *v, const char *what_,
    int64_t lo, int64_t hi, int64_t *out)
{
	const struct vr_ynode *n = vr_yderef(v);
	char b[256];
	const char *s;
	size_t i;
	bool neg;
	int64_t x = 0;

	if (n->kind != VR_Y_SCALAR) {
		vr_ybad(L, v->at, "'%s' must be an integer, not %s", what_,
		    vr_ywhat(L, n));
		return false;
	}
	vr_yshown(b, n->s, n->len, false);
	if (!n->plain) {
		vr_ybad(L, v->at, "'%s' must be an integer, not a quoted "
		    "string", what_);
		return false;
	}
	s = n->s;
	neg = s[0] == '-';
	if (neg)
		s++;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == 0 || s[i] != '\0' || (s[0] == '0' && i > 1) ||
	    (size_t)(s - n->s) + i != n->len) {
		enum vr_ytype t = vr_yresolve(L, n);

		if (t == VR_Y_NULL)
			vr_ybad(L, v->at, "'%s' has no value; give an integer "
			    "or leave the key out", what_);
		else if (t == VR_Y_BOOL)
			vr_ybad(L, v->at, "'%s' must be an integer, not a "
			    "boolean ('%s')", what_, b);
		else if (t == VR_Y_INT || t == VR_Y_FLOAT ||
		    strchr("+-.0123456789", n->s[0]))
			vr_ybad(L, v->at, "'%s' must be a plain decimal "
			    "integer, not '%s'", what_, b);
		else
			vr_ybad(L, v->at, "'%s' must be an integer, not the "
			    "string '%s'", what_, b);
		return false;
	}
	/* at most 18 digits fit; more is out of range, never an overflow */
	if (i > 18) {
		x = neg ? INT64_MIN : INT64_MAX;
	} else {
		size_t j;

		for (j = 0; j < i; j++)
			x = x * 10 + (s[j] - '0');
		if (neg)
			x = -x;
	}
	if (x < lo) {
		vr_ybad(L, v->at, "'%s' must be at least %lld, not %s", what_,
		    (long long)lo, b);
		return false;
	}
	if (x > hi) {
		vr_ybad(L, v->at, "'%s' must be at most %lld, not %s", what_,
		    (long long)hi, b);
		return false;
	}
	*out = x;
	return true;
}

/* A string: a scalar that YAML 1.1 reads as a string.  Returns the node
 * or NULL after reporting. */
const struct vr_ynode *
vr_yget_str(struct vr_yload *L, const struct vr_ynode *v, const char *what_)
{
	const struct vr_ynode *n = vr_yderef(v);
	char b[256];

	if (n->kind != VR_Y_SCALAR) {
		vr_ybad(L, v->at, "'%s' must be a string, not %s", what_,
		    vr_ywhat(L, n));
		return NULL;
	}
	switch (vr_yresolve(L, n)) {
	case VR_Y_STR:
		return n;
	case VR_Y_NULL:
		vr_ybad(L, v->at, "'%s' has no value", what_);
		return NULL;
	default:
		vr_ybad(L, v->at, "'%s' must be a string, not %s; quote it: "
		    "'\"%s\"'", what_, vr_ywhat(L, n), vr_yshown(b, n->s,
		    n->len, false));
		return NULL;
	}
}

/* One of `list`; *idx gets its index. */
bool
vr_yget_enum(struct vr_yload *L, const struct vr_ynode *v, const char *what_,
    const char *const *list, int *idx)
{
	const struct vr_ynode *n = vr_yget_str(L, v, what_);
	char b[256], all[256];
	const char *hint;
	size_t o = 0;
	int i;

	if (!n)
		return false;
	for (i = 0; list[i]; i++) {
		if (strlen(list[i]) == n->len &&
		    memcmp(list[i], n->s, n->len) == 0) {
			*idx = i;
			return true;
		}
		o += (size_t)snprintf(all + o, sizeof(all) - o, "%s'%s'",
		    i ? ", " : "", list[i]);
	}
	vr_yshown(b, n->s, n->len, false);
	hint = vr_ysuggest(L, n->s, n->len, list);
	if (hint)
		vr_ybad(L, v->at, "'%s' must be one of %s, not '%s'; did you "
		    "mean '%s'?", what_, all, b, hint);
	else
		vr_ybad(L, v->at, "'%s' must be one of %s, not '%s'", what_,
		    all, b);
	return false;
}

/* A mapping, or report what it is instead. */
const struct vr_ynode *
vr_yget_map(struct vr_yload *L, const struct vr_ynode *v, const char *what_,
    const char *extra)
{
	const struct vr_ynode *n = vr_yderef(v);

	if (n->kind == VR_Y_MAP)
		return n;
	vr_ybad(L, v->at, "'%s' must be a mapping, not %s%s", what_,
	    vr_ywhat(L, n), extra);
	return NULL;
}

char *
vr_yget_cstr(struct vr_yload *L, const struct vr_ynode *v, const char *what_)
{
	const struct vr_ynode *n = vr_yget_str(L, v, what_);

	if (!n)
		return NULL;
	if (strlen(n->s) != n->len) {
		vr_ybad(L, v->at, "'%s' has a NUL byte", what_);
		return NULL;
	}
	return vr_strndup(n->s, n->len);
}

int
vr_yload_init(struct vr_yload *L, struct vr_diags *diags, const char *path,
    const char *buf, size_t len, size_t max)
{
	memset(L, 0, sizeof(*L));
	L->path = path;
	L->buf = buf;
	L->len = len;
	L->diags = diags;
	if (len <= max)
		return 0;
	vr_diags_add(diags, path, 0, 0, "larger than the limit of %zu bytes",
	    max);
	return vr_error_set(VR_EINVALID, "'%s' is not valid", path);
}

int
vr_yload_read(char **buf, size_t *len, struct vr_diags *diags,
    const char *path, int fd, size_t max)
{
	int rc = fd < 0 ? vr_file_read(buf, len, path, max) :
	    vr_file_read_fd(buf, len, fd, path, max);

	if (rc == VR_EINVALID) /* too large: a problem of the file */
		vr_diags_add(diags, path, 0, 0, "larger than the limit of %zu "
		    "bytes", max);
	return rc;
}

int
vr_yload_verdict(struct vr_yload *L, size_t before)
{
	size_t n;

	vr_diags_sort(L->diags);
	n = L->diags->n - before;
	if (n == 0)
		return 0;
	return vr_error_set(VR_EINVALID, "'%s' is not valid: %zu problem%s",
	    L->path, n, n == 1 ? "" : "s");
}

void
vr_yload_free(struct vr_yload *L)
{
	nodes_free(L);
	free(L->all);
	free(L->anchors);
	vr_diags_free(&L->pd);
	vr_diags_free(&L->cd);
}
