/*
 * load.c - desired-state YAML (vmrecon/v1) into a struct vr_spec, with
 * every problem reported as FILE:LINE:COL.
 *
 * Two passes per document.  The first reads libyaml's *events* into a
 * small tree of our own; the second, when the document ends, checks the
 * tree and fills the model, and the tree is freed: memory stays that of
 * one document, however many the file holds.  Why events rather
 * than yaml_parser_load()'s document API: the document API gives every
 * untagged scalar the default tag, so `!!str 4` and `4` look alike, and it
 * resolves aliases into a shared graph whose expansion we could only bound
 * after the fact.  With events we see each explicit tag and each alias as
 * it comes, and stop an alias bomb or a deep nesting at once, before any
 * memory or time is spent on it.
 *
 * Limits (all errors): VR_SPEC_MAX_BYTES of input, MAX_DEPTH nested
 * collections, MAX_ALIASES alias events per file, MAX_EXPANSION nodes
 * added by all aliases together.  At most MAX_DIAGS problems are listed.
 *
 * Plain scalars are typed as YAML 1.1 does (PyYAML's resolver, which the
 * JSON Schema test uses): where a string is expected, a plain `yes`, `12`
 * or `~` is not a string.  Where an integer is expected only a plain
 * decimal without sign or leading zero is taken (`-1` reads as an integer
 * out of range).
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
#include "field.h"
#include "load.h"
#include "suggest.h"
#include "window.h"

#define MAX_DEPTH 32
#define MAX_ALIASES 64
#define MAX_EXPANSION 4096
#define MAX_DIAGS 100
#define MAX_NAME 64
#define MAX_GPU_NAME 256

#define GPU_HINT "use 'gpu: none' to remove the GPU, or leave 'gpu' out " \
	"to leave it alone"

enum nkind { N_SCALAR, N_MAP, N_SEQ, N_ALIAS };

struct node {
	enum nkind kind;
	struct vr_pos at;
	char *s;             /* scalar value (NUL-terminated, may hold NULs) */
	size_t len;
	bool plain;          /* plain style: typed by the resolver */
	struct node **kid;   /* mapping: key, value, key, value...; sequence */
	size_t nkid, capkid;
	struct node *target; /* alias: the anchored node */
	char *anchor;        /* until a collection ends */
	size_t size;         /* nodes once aliases are expanded */
	int height;          /* nested collections, aliases expanded */
};

struct anchor {
	char *name;
	struct node *n;
};

struct doc {
	struct node *root;
	struct vr_pos at;
};

/* What a plain scalar is to YAML 1.1. */
enum rtype { R_STR, R_NULL, R_BOOL, R_INT, R_FLOAT, R_TIME, R_OTHER };

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

struct loader {
	const char *path;
	const char *buf;
	size_t len;
	struct vr_diags *diags;
	/* Problems found while parsing (pd) and while checking (cd), merged
	 * in that order at the end (diags_merge) as if the whole stream had
	 * been parsed before the first check; each keeps one more than
	 * MAX_DIAGS to know whether the cap was passed. */
	struct vr_diags pd, cd;
	bool checking;
	bool capped; /* the current list is full: skip costly hints */
	bool fatal; /* syntax error or a limit: the stream was cut short */

	struct node **all; /* every node of the current document */
	size_t nall, capall;
	struct anchor *anchors; /* of the current document */
	size_t nanchors, capanchors;
	size_t naliases, expansion;

	struct vr_vm_spec *vms; /* one per document that is not empty */
	size_t nvms, capvms;
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

static const char *const root_keys[] = {
	"apiVersion", "kind", "metadata", "spec", NULL };
static const char *const meta_keys[] = { "name", NULL };
static const char *const window_keys[] = {
	"days", "start", "duration", "timeZone", NULL };
static const char *const gpu_keys[] = {
	"name", "passthroughType", "count", NULL };
static const char *const gpu_types[] = {
	"DirectDeviceAssignment", "ParaVirtualization", NULL };

/* Words people write for a key, by the key they mean. */
static const struct { const char *word, *key; } synonyms[] = {
	{ "cpu", "cpuCount" }, { "cpus", "cpuCount" },
	{ "vcpus", "cpuCount" }, { "vcpu", "cpuCount" },
	{ "cores", "cpuCount" }, { "mem", "memoryInMB" },
	{ "memory", "memoryInMB" }, { "ram", "memoryInMB" },
	{ "memoryMB", "memoryInMB" }, { "type", "passthroughType" },
	{ "restart", "restartPolicy" }, { "gpus", "gpu" },
	{ "windows", "restartWindows" }, { "maintenanceWindows",
	"restartWindows" }, { "tz", "timeZone" }, { "zone", "timeZone" },
	{ "timezone", "timeZone" }, { "length", "duration" },
	{ "version", "apiVersion" }, { "api", "apiVersion" },
};

/* ---- diagnostics ---- */

static void
bad(struct loader *L, struct vr_pos at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
bad(struct loader *L, struct vr_pos at, const char *fmt, ...)
{
	struct vr_diags *d = L->checking ? &L->cd : &L->pd;
	char msg[768];
	va_list ap;

	if (d->n > MAX_DIAGS) {
		L->capped = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vr_diags_add(d, L->path, at.line, at.col, "%s", msg);
}

/* The parse problems, then the check problems, into L->diags; after
 * MAX_DIAGS of them, one line says the list stops there. */
static void
diags_merge(struct loader *L)
{
	const struct vr_diags *src[2] = { &L->pd, &L->cd };
	size_t i, k, n = 0;

	for (k = 0; k < 2; k++)
		for (i = 0; i < src[k]->n; i++, n++) {
			const struct vr_diag *g = &src[k]->v[i];

			if (n == MAX_DIAGS) {
				vr_diags_add(L->diags, L->path, 0, 0, "too "
				    "many problems; stopped after %d",
				    MAX_DIAGS);
				return;
			}
			vr_diags_add(L->diags, g->file, g->line, g->col, "%s",
			    g->msg);
		}
}

static struct vr_pos
pos_of(yaml_mark_t m)
{
	struct vr_pos p = { (int)m.line + 1, (int)m.column + 1 };

	return p;
}

/* Characters that hide or reorder text: shown escaped, refused in
 * names.  The JSON Schema lists the same set. */
static bool
is_sneaky(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e ||
	    c == 0x200f || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* A user's string made safe to print inside '...': control, bidi and (for
 * keys, `ascii`) all non-ASCII characters escaped, cut at 48 characters. */
static const char *
shown(char out[static 256], const char *s, size_t len, bool ascii)
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
		} else if (c < 0x80 || is_sneaky(c) || ascii || c == 0xfeff ||
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

static struct node *
node_new(struct loader *L, enum nkind kind, yaml_mark_t m)
{
	struct node *n = vr_calloc(1, sizeof(*n));

	n->kind = kind;
	n->at = pos_of(m);
	n->size = 1;
	if (L->nall == L->capall) {
		L->capall = L->capall ? L->capall * 2 : 64;
		L->all = vr_realloc(L->all, L->capall * sizeof(*L->all));
	}
	L->all[L->nall++] = n;
	return n;
}

static void
node_add(struct node *parent, struct node *kid)
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
anchor_add(struct loader *L, const char *name, struct node *n)
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
anchors_reset(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->nanchors; i++)
		free(L->anchors[i].name);
	L->nanchors = 0;
}

static struct node *
anchor_find(struct loader *L, const char *name)
{
	size_t i;

	/* the latest definition wins, as YAML says */
	for (i = L->nanchors; i > 0; i--)
		if (strcmp(L->anchors[i - 1].name, name) == 0)
			return L->anchors[i - 1].n;
	return NULL;
}

static void
tag_check(struct loader *L, const yaml_char_t *tag, yaml_mark_t m)
{
	char b[256];

	if (tag)
		bad(L, pos_of(m), "tags are not allowed (found '%s')",
		    shown(b, (const char *)tag, strlen((const char *)tag),
		    true));
}

/* Position of a byte offset, for reader errors that carry no mark: the
 * line counts breaks, the column counts characters as libyaml does. */
static struct vr_pos
pos_at_offset(const struct loader *L, size_t off)
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
syntax_error(struct loader *L, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "cannot parse";

	L->fatal = true;
	if (p->error == YAML_MEMORY_ERROR) {
		bad(L, (struct vr_pos){ 0, 0 }, "out of memory while parsing");
	} else if (p->error == YAML_READER_ERROR) {
		struct vr_pos at = pos_at_offset(L, p->problem_offset);

		if (p->problem_value >= 0)
			bad(L, at, "%s (0x%02X)", problem,
			    (unsigned)p->problem_value);
		else
			bad(L, at, "%s", problem);
	} else if (p->context) {
		bad(L, pos_of(p->problem_mark), "%s, %s at line %d", problem,
		    p->context, (int)p->context_mark.line + 1);
	} else {
		bad(L, pos_of(p->problem_mark), "%s", problem);
	}
}

/* A node for an alias event, or NULL (and L->fatal) when the alias is
 * undefined or would pass a limit. */
static struct node *
alias_node(struct loader *L, const yaml_event_t *ev, int depth)
{
	const char *a = (const char *)ev->data.alias.anchor;
	struct vr_pos at = pos_of(ev->start_mark);
	struct node *t = anchor_find(L, a), *n;
	char b[256];

	L->fatal = true;
	if (!t) {
		bad(L, at, "undefined alias '%s'", shown(b, a, strlen(a),
		    true));
		return NULL;
	}
	if (++L->naliases > MAX_ALIASES) {
		bad(L, at, "too many aliases (more than %d)", MAX_ALIASES);
		return NULL;
	}
	L->expansion += t->size;
	if (L->expansion > MAX_EXPANSION) {
		bad(L, at, "aliases expand to more than %d nodes",
		    MAX_EXPANSION);
		return NULL;
	}
	if (depth + t->height > MAX_DEPTH) {
		bad(L, at, "alias '%s' nests deeper than %d levels",
		    shown(b, a, strlen(a), true), MAX_DEPTH);
		return NULL;
	}
	L->fatal = false;
	n = node_new(L, N_ALIAS, ev->start_mark);
	n->target = t;
	n->size = t->size;
	n->height = t->height;
	return n;
}

static bool check_doc(struct loader *L, const struct doc *d,
    struct vr_vm_spec *vm);
static int list_items(struct loader *L, const struct doc *d,
    const struct node **items);

/* Free the current document's nodes and anchors. */
static void
nodes_free(struct loader *L)
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

/* Check one document into the next VM. */
static void
check_next(struct loader *L, const struct doc *d)
{
	if (L->nvms == L->capvms) {
		L->capvms = L->capvms ? L->capvms * 2 : 4;
		L->vms = vr_realloc(L->vms, L->capvms * sizeof(*L->vms));
	}
	memset(&L->vms[L->nvms], 0, sizeof(L->vms[L->nvms]));
	if (check_doc(L, d, &L->vms[L->nvms]))
		L->nvms++;
}

/* A document ended: check it (or each item of a `kind: List`) into the
 * next VM, then free its tree. */
static void
doc_end(struct loader *L, struct node *root, struct vr_pos at)
{
	struct doc d = { root, at };
	const struct node *items;
	size_t j;

	L->checking = true;
	L->capped = L->cd.n > MAX_DIAGS;
	switch (list_items(L, &d, &items)) {
	case 0:
		check_next(L, &d);
		break;
	case 1:
		for (j = 0; j < items->nkid; j++) {
			struct doc item = { items->kid[j],
			    items->kid[j]->at };

			check_next(L, &item);
		}
		break;
	default: /* reported */
		break;
	}
	L->checking = false;
	L->capped = L->pd.n > MAX_DIAGS;
	nodes_free(L);
}

/* Read the stream, checking each document as it ends (doc_end).  Stops
 * at the first syntax error or limit (L->fatal); documents completed
 * before it are kept. */
static void
parse(struct loader *L)
{
	struct node *open[MAX_DEPTH];
	struct node *root = NULL;
	struct vr_pos doc_at = { 0, 0 };
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0;
	bool done = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)L->buf,
	    L->len);
	while (!done && !L->fatal) {
		struct node *n = NULL;
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
			doc_at = pos_of(ev.start_mark);
			break;
		case YAML_DOCUMENT_END_EVENT:
			doc_end(L, root, doc_at);
			root = NULL;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(L, N_SCALAR, ev.start_mark);
			n->len = ev.data.scalar.length;
			n->s = vr_malloc(n->len + 1);
			memcpy(n->s, ev.data.scalar.value, n->len);
			n->s[n->len] = '\0';
			n->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;
			n->height = 0;
			tag_check(L, ev.data.scalar.tag, ev.start_mark);
			anchor = ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == MAX_DEPTH) {
				bad(L, pos_of(ev.start_mark), "nested deeper "
				    "than %d levels", MAX_DEPTH);
				L->fatal = true;
				break;
			}
			n = node_new(L, ev.type == YAML_MAPPING_START_EVENT ?
			    N_MAP : N_SEQ, ev.start_mark);
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
			struct node *c = open[--depth];

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
			if (n->kind == N_MAP || n->kind == N_SEQ)
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

/* ---- second pass: checks ---- */

static const struct node *
deref(const struct node *n)
{
	return n && n->kind == N_ALIAS ? n->target : n;
}

static enum rtype
resolve(struct loader *L, const struct node *n)
{
	static const enum rtype t[RX__N] = { R_NULL, R_BOOL, R_INT, R_FLOAT,
	    R_TIME, R_OTHER };
	size_t k;
	int i;

	if (!n->plain)
		return R_STR;
	if (n->len == 0)
		return R_NULL;
	/* Shortcuts that give what the patterns give: every pattern but
	 * the empty null starts with one of these characters, and a
	 * decimal without sign or leading zero is RX_INT's and no earlier
	 * pattern's. */
	if (!strchr("~nNyYtTfFoO+-.0123456789<=", n->s[0]))
		return R_STR;
	if (n->s[0] >= '1' && n->s[0] <= '9') {
		for (k = 1; k < n->len && n->s[k] >= '0' && n->s[k] <= '9'; k++)
			;
		if (k == n->len)
			return R_INT;
	}
	if (memchr(n->s, '\0', n->len))
		return R_STR;
	pthread_once(&rx_once, rx_compile);
	if (!rx_ok) {
		bad(L, n->at, "cannot compile the YAML resolver's patterns");
		return R_OTHER;
	}
	for (i = 0; i < RX__N; i++)
		if (regexec(&rx[i], n->s, 0, NULL, 0) == 0)
			return t[i];
	return R_STR;
}

/* "a mapping", "an integer"...: what a value is, for messages. */
static const char *
what(struct loader *L, const struct node *n)
{
	n = deref(n);
	if (n->kind == N_MAP)
		return "a mapping";
	if (n->kind == N_SEQ)
		return "a sequence";
	switch (resolve(L, n)) {
	case R_NULL: return "null";
	case R_BOOL: return "a boolean";
	case R_INT: return "an integer";
	case R_FLOAT: return "a float";
	case R_TIME: return "a timestamp";
	case R_OTHER: return "a special value";
	default: return n->plain ? "a string" : "a quoted string";
	}
}

/* The known word a user probably meant by s, or NULL: a near one
 * (suggest.h), a synonym, or one s begins. */
static const char *
suggest(const char *s, size_t len, const char *const *known)
{
	const char *best = vr_suggest_near(s, len, known);
	size_t k;
	int i;

	if (best)
		return best;
	for (k = 0; k < sizeof(synonyms) / sizeof(synonyms[0]); k++) {
		if (vr_suggest_distance(s, len, synonyms[k].word) != 0)
			continue;
		for (i = 0; known[i]; i++)
			if (strcmp(known[i], synonyms[k].key) == 0)
				return known[i];
	}
	return vr_suggest_prefix(s, len, known);
}

static bool
in_list(const char *s, size_t len, const char *const *list)
{
	int i;

	for (i = 0; list[i]; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

struct keyref {
	const struct node *key;
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
static void
check_keys(struct loader *L, const struct node *m, const char *where,
    const char *const *known, const struct node **val,
    const struct node **key)
{
	size_t npairs = m->nkid / 2, i, nref = 0, first = 0;
	struct keyref *ref = vr_calloc(npairs + 1, sizeof(*ref));
	char b[256];
	int k;

	for (k = 0; known[k]; k++)
		val[k] = key[k] = NULL;
	for (i = 0; i < npairs; i++) {
		const struct node *kn = m->kid[2 * i], *kd = deref(kn);

		if (kd->kind != N_SCALAR) {
			bad(L, kn->at, "a key must be a string, not %s",
			    what(L, kd));
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
		bad(L, m->kid[2 * c->i]->at, "duplicate key '%s' (first at "
		    "line %d)", shown(b, c->key->s, c->key->len, true),
		    m->kid[2 * a->i]->at.line);
	}
	for (i = 0; i < npairs; i++) {
		const struct node *kn = m->kid[2 * i], *kd = deref(kn);
		const char *hint;

		if (kd->kind != N_SCALAR)
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
		shown(b, kd->s, kd->len, true);
		if (!*where && vr_field_find(kd->s, kd->len)) {
			bad(L, kn->at, "unknown key '%s' at the top; it "
			    "belongs under 'spec'", b);
			continue;
		}
		if (!*where && in_list(kd->s, kd->len, meta_keys)) {
			bad(L, kn->at, "unknown key '%s' at the top; it "
			    "belongs under 'metadata'", b);
			continue;
		}
		hint = suggest(kd->s, kd->len, known);
		if (hint)
			bad(L, kn->at, "unknown key '%s'%s%s%s; did you mean "
			    "'%s'?", b, *where ? " in '" : "", where,
			    *where ? "'" : "", hint);
		else
			bad(L, kn->at, "unknown key '%s'%s%s%s", b,
			    *where ? " in '" : "", where, *where ? "'" : "");
	}
	free(ref);
}

/* An integer in [lo, hi]: a plain, untagged decimal.  Returns true and
 * sets *out, or reports why not. */
static bool
get_int(struct loader *L, const struct node *v, const char *what_,
    int64_t lo, int64_t hi, int64_t *out)
{
	const struct node *n = deref(v);
	char b[256];
	const char *s;
	size_t i;
	bool neg;
	int64_t x = 0;

	if (n->kind != N_SCALAR) {
		bad(L, v->at, "'%s' must be an integer, not %s", what_,
		    what(L, n));
		return false;
	}
	shown(b, n->s, n->len, false);
	if (!n->plain) {
		bad(L, v->at, "'%s' must be an integer, not a quoted string",
		    what_);
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
		enum rtype t = resolve(L, n);

		if (t == R_NULL)
			bad(L, v->at, "'%s' has no value; give an integer "
			    "or leave the key out", what_);
		else if (t == R_BOOL)
			bad(L, v->at, "'%s' must be an integer, not a "
			    "boolean ('%s')", what_, b);
		else if (t == R_INT || t == R_FLOAT || strchr("+-.0123456789",
		    n->s[0]))
			bad(L, v->at, "'%s' must be a plain decimal integer, "
			    "not '%s'", what_, b);
		else
			bad(L, v->at, "'%s' must be an integer, not the "
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
		bad(L, v->at, "'%s' must be at least %lld, not %s", what_,
		    (long long)lo, b);
		return false;
	}
	if (x > hi) {
		bad(L, v->at, "'%s' must be at most %lld, not %s", what_,
		    (long long)hi, b);
		return false;
	}
	*out = x;
	return true;
}

/* A string: a scalar that YAML 1.1 reads as a string.  Returns the node
 * or NULL after reporting. */
static const struct node *
get_str(struct loader *L, const struct node *v, const char *what_)
{
	const struct node *n = deref(v);
	char b[256];

	if (n->kind != N_SCALAR) {
		bad(L, v->at, "'%s' must be a string, not %s", what_,
		    what(L, n));
		return NULL;
	}
	switch (resolve(L, n)) {
	case R_STR:
		return n;
	case R_NULL:
		bad(L, v->at, "'%s' has no value", what_);
		return NULL;
	default:
		bad(L, v->at, "'%s' must be a string, not %s; quote it: "
		    "'\"%s\"'", what_, what(L, n), shown(b, n->s, n->len,
		    false));
		return NULL;
	}
}

/* One of `list`; *idx gets its index. */
static bool
get_enum(struct loader *L, const struct node *v, const char *what_,
    const char *const *list, int *idx)
{
	const struct node *n = get_str(L, v, what_);
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
	shown(b, n->s, n->len, false);
	hint = suggest(n->s, n->len, list);
	if (hint)
		bad(L, v->at, "'%s' must be one of %s, not '%s'; did you "
		    "mean '%s'?", what_, all, b, hint);
	else
		bad(L, v->at, "'%s' must be one of %s, not '%s'", what_, all,
		    b);
	return false;
}

/* A mapping, or report what it is instead. */
static const struct node *
get_map(struct loader *L, const struct node *v, const char *what_,
    const char *extra)
{
	const struct node *n = deref(v);

	if (n->kind == N_MAP)
		return n;
	bad(L, v->at, "'%s' must be a mapping, not %s%s", what_, what(L, n),
	    extra);
	return NULL;
}

static void
check_vm_name(struct loader *L, const struct node *v, struct vr_vm_spec *vm)
{
	const struct node *n = get_str(L, v, "metadata.name");
	char b[256];
	size_t i;

	if (!n)
		return;
	shown(b, n->s, n->len, true); /* only ASCII is valid */
	if (n->len == 0) {
		bad(L, v->at, "'metadata.name' is empty");
		return;
	}
	if (n->len > MAX_NAME) {
		bad(L, v->at, "'metadata.name' is longer than %d characters",
		    MAX_NAME);
		return;
	}
	for (i = 0; i < n->len; i++) {
		if (!vr_name_char_ok(n->s[i], i)) {
			bad(L, v->at, "invalid VM name '%s': use letters, "
			    "digits, '.', '_' and '-', starting with a letter "
			    "or digit", b);
			return;
		}
	}
	vm->name = vr_strndup(n->s, n->len);
	vm->at_name = v->at;
}

static void
check_gpu_name(struct loader *L, const struct node *v, struct vr_gpu *gpu)
{
	const struct node *n = get_str(L, v, "spec.gpu.name");
	size_t i, w;

	if (!n)
		return;
	if (n->len == 0) {
		bad(L, v->at, "'spec.gpu.name' is empty");
		return;
	}
	if (n->len > MAX_GPU_NAME) {
		bad(L, v->at, "'spec.gpu.name' is longer than %d bytes",
		    MAX_GPU_NAME);
		return;
	}
	for (i = 0; i < n->len; i += w) {
		uint32_t c = vr_utf8_next((const unsigned char *)n->s + i,
		    n->len - i, &w);

		if (is_sneaky(c)) {
			bad(L, v->at, "'spec.gpu.name' has a control "
			    "character (U+%04X)", (unsigned)c);
			return;
		}
	}
	gpu->name = vr_strndup(n->s, n->len);
}

static void
check_gpu(struct loader *L, const struct node *keyn, const struct node *v,
    struct vr_vm_spec *vm)
{
	const struct node *n = deref(v), *val[3], *key[3];
	enum { G_NAME, G_TYPE, G_COUNT };
	int64_t count = 1;
	int type = -1;
	char b[256];

	vm->at_gpu = v->at;
	if (n->kind == N_SCALAR) {
		enum rtype t = resolve(L, n);

		if (t == R_NULL) {
			bad(L, v->at, "'spec.gpu' has no value; " GPU_HINT);
		} else if (n->len == 4 && memcmp(n->s, "none", 4) == 0) {
			vm->gpu_want = VR_GPU_NONE;
		} else {
			shown(b, n->s, n->len, false);
			bad(L, v->at, "'spec.gpu' must be a mapping or 'none', "
			    "not '%s'%s", b, vr_suggest_distance(n->s, n->len,
			    "none") == 0 ? "; did you mean 'none'?" : "");
		}
		return;
	}
	if (n->kind != N_MAP) {
		bad(L, v->at, "'spec.gpu' must be a mapping or 'none', not %s",
		    what(L, n));
		return;
	}
	check_keys(L, n, "spec.gpu", gpu_keys, val, key);
	vm->gpu_want = VR_GPU_WANT;
	if (!val[G_NAME])
		bad(L, keyn->at, "missing 'name' in 'spec.gpu'");
	else
		check_gpu_name(L, val[G_NAME], &vm->gpu);
	vm->at_gpu_name = val[G_NAME] ? val[G_NAME]->at : v->at;
	if (!val[G_TYPE])
		bad(L, keyn->at, "missing 'passthroughType' in 'spec.gpu'");
	else if (get_enum(L, val[G_TYPE], "spec.gpu.passthroughType",
	    gpu_types, &type))
		vm->gpu.type = type == 0 ? VR_GPU_DDA : VR_GPU_PV;
	vm->at_gpu_type = val[G_TYPE] ? val[G_TYPE]->at : v->at;
	vm->at_gpu_count = v->at; /* the default comes from the mapping */
	if (val[G_COUNT]) {
		vm->at_gpu_count = val[G_COUNT]->at;
		if (!get_int(L, val[G_COUNT], "spec.gpu.count",
		    vr_fields[VR_FIELD_GPU].min, vr_fields[VR_FIELD_GPU].max,
		    &count))
			return;
		if (count != 1 && vm->gpu.type == VR_GPU_PV)
			bad(L, val[G_COUNT]->at, "'spec.gpu.count' must be 1 "
			    "with 'ParaVirtualization', not %lld",
			    (long long)count);
	}
	vm->gpu.count = (int)count;
}

/* A sequence of integers within f's bounds, for an INT_LIST field. */
static bool
get_int_list(struct loader *L, const struct node *v, const char *what_,
    const struct vr_field_desc *f, struct vr_value *out)
{
	const struct node *n = deref(v);
	char item[128];
	size_t i;
	int64_t x;
	bool ok = true;

	if (n->kind != N_SEQ) {
		bad(L, v->at, "'%s' must be a sequence of integers, not %s",
		    what_, what(L, n));
		return false;
	}
	if (n->nkid > f->max_items) {
		bad(L, v->at, "'%s' has more than %zu items", what_,
		    f->max_items);
		return false;
	}
	out->kind = VR_VALUE_INT_LIST;
	out->list.v = vr_calloc(n->nkid + 1, sizeof(*out->list.v));
	for (i = 0; i < n->nkid; i++) {
		snprintf(item, sizeof(item), "%s[%zu]", what_, i);
		if (get_int(L, n->kid[i], item, f->min, f->max, &x))
			out->list.v[out->list.n++] = x;
		else
			ok = false;
	}
	return ok;
}

/* A string value as a C string (NULL after reporting; one with a NUL byte
 * is reported too). */
static char *
get_cstr(struct loader *L, const struct node *v, const char *what_)
{
	const struct node *n = get_str(L, v, what_);

	if (!n)
		return NULL;
	if (strlen(n->s) != n->len) {
		bad(L, v->at, "'%s' has a NUL byte", what_);
		return NULL;
	}
	return vr_strndup(n->s, n->len);
}

/* One of spec.restartWindows (window.h); false if it is not valid. */
static bool
check_window(struct loader *L, const struct node *v, size_t idx,
    struct vr_window *w)
{
	const struct node *n, *val[4], *key[4], *d;
	enum { W_DAYS, W_START, W_DURATION, W_ZONE };
	char where[48], what_[64], quoted[72], *str;
	bool ok = true;
	size_t i;

	snprintf(where, sizeof(where), "spec.restartWindows[%zu]", idx);
	memset(w, 0, sizeof(*w));
	w->days = VR_WINDOW_ALL_DAYS;
	snprintf(w->zone, sizeof(w->zone), "UTC");
	if (!(n = get_map(L, v, where, "")))
		return false;
	check_keys(L, n, where, window_keys, val, key);
	if ((d = val[W_DAYS])) {
		const struct node *seq = deref(d);

		snprintf(what_, sizeof(what_), "%s.days", where);
		if (seq->kind != N_SEQ || seq->nkid == 0) {
			bad(L, d->at, "'%s' must be a non-empty sequence of "
			    "days (e.g. [Sat, Sun]), not %s", what_,
			    seq->kind == N_SEQ ? "an empty one" :
			    what(L, seq));
			ok = false;
		} else {
			w->days = 0;
		}
		for (i = 0; seq->kind == N_SEQ && i < seq->nkid; i++) {
			unsigned bit;

			if (!(str = get_cstr(L, seq->kid[i], what_))) {
				ok = false;
				continue;
			}
			if (vr_window_parse_day(&bit, str) < 0) {
				bad(L, seq->kid[i]->at, "'%s': %s", what_,
				    vr_error_msg());
				ok = false;
			} else if (w->days & bit) {
				bad(L, seq->kid[i]->at, "'%s': '%s' is given "
				    "twice", what_, str);
				ok = false;
			}
			w->days |= bit;
			free(str);
		}
	}
	snprintf(what_, sizeof(what_), "%s.start", where);
	if (!val[W_START]) {
		bad(L, v->at, "missing 'start' in '%s' (HH:MM)", where);
		ok = false;
	} else if (!(str = get_cstr(L, val[W_START], what_))) {
		ok = false;
	} else {
		if (vr_window_parse_start(&w->start_min, str) < 0) {
			bad(L, val[W_START]->at, "'%s': %s", what_,
			    vr_error_msg());
			ok = false;
		}
		free(str);
	}
	snprintf(what_, sizeof(what_), "%s.duration", where);
	if (!val[W_DURATION]) {
		bad(L, v->at, "missing 'duration' in '%s' (e.g. 3h)", where);
		ok = false;
	} else if (!(str = get_cstr(L, val[W_DURATION], what_))) {
		ok = false;
	} else {
		snprintf(quoted, sizeof(quoted), "'%s'", what_);
		if (vr_window_parse_duration(&w->duration_s, str,
		    quoted) < 0) {
			bad(L, val[W_DURATION]->at, "%s", vr_error_msg());
			ok = false;
		}
		free(str);
	}
	snprintf(what_, sizeof(what_), "%s.timeZone", where);
	if (val[W_ZONE]) {
		if (!(str = get_cstr(L, val[W_ZONE], what_))) {
			ok = false;
		} else {
			if (vr_window_parse_zone(w->zone, sizeof(w->zone),
			    str) < 0) {
				bad(L, val[W_ZONE]->at, "'%s': %s", what_,
				    vr_error_msg());
				ok = false;
			}
			free(str);
		}
	}
	return ok;
}

/* A WINDOWS field (spec.restartWindows): a sequence of windows into
 * *out; false if it is not valid. */
static bool
get_windows(struct loader *L, const struct node *v,
    const struct vr_field_desc *f, struct vr_value *out)
{
	const struct node *seq = deref(v);
	struct vr_window *ws;
	size_t i, nok = 0;

	if (seq->kind != N_SEQ) {
		bad(L, v->at, "'spec.restartWindows' must be a sequence of "
		    "windows, not %s", what(L, seq));
		return false;
	}
	if (seq->nkid == 0) {
		bad(L, v->at, "'spec.restartWindows' is empty; leave it out "
		    "to allow restarts at any time");
		return false;
	}
	if (seq->nkid > f->max_items) {
		bad(L, v->at, "'spec.restartWindows' has %zu windows; at most "
		    "%zu", seq->nkid, f->max_items);
		return false;
	}
	ws = vr_calloc(seq->nkid, sizeof(*ws));
	for (i = 0; i < seq->nkid; i++)
		nok += check_window(L, seq->kid[i], i, &ws[i]);
	if (nok != seq->nkid) {
		free(ws);
		return false;
	}
	out->kind = VR_VALUE_WINDOWS;
	out->windows.v = ws;
	out->windows.n = seq->nkid;
	return true;
}

/* One value under `spec:`, checked against its row of the field table. */
static void
check_field(struct loader *L, const struct vr_field_desc *f,
    const struct node *keyn, const struct node *v, struct vr_vm_spec *vm)
{
	struct vr_value val;
	char what_[96];
	int idx;

	memset(&val, 0, sizeof(val));
	snprintf(what_, sizeof(what_), "spec.%s", f->key);
	switch (f->kind) {
	case VR_VALUE_INT:
		if (!get_int(L, v, what_, f->min, f->max, &val.i))
			return;
		if (f->multiple > 1 && val.i % f->multiple != 0) {
			if (f->multiple == 2)
				bad(L, v->at, "'%s' must be even, not %lld",
				    what_, (long long)val.i);
			else
				bad(L, v->at, "'%s' must be a multiple of "
				    "%lld, not %lld", what_,
				    (long long)f->multiple, (long long)val.i);
			return;
		}
		val.kind = VR_VALUE_INT;
		break;
	case VR_VALUE_ENUM:
		if (!get_enum(L, v, what_, f->names, &idx))
			return;
		val.kind = VR_VALUE_ENUM;
		val.i = idx;
		break;
	case VR_VALUE_GPU:
		check_gpu(L, keyn, v, vm); /* its own mapping: name, type... */
		return;
	case VR_VALUE_INT_LIST:
		if (!get_int_list(L, v, what_, f, &val)) {
			vr_value_clear(&val);
			return;
		}
		break;
	case VR_VALUE_WINDOWS:
		if (!get_windows(L, v, f, &val))
			return;
		break;
	case VR_VALUE_NONE: /* no row is of no kind */
		return;
	}
	f->set(vm, &val);
	vr_value_clear(&val);
	*(struct vr_pos *)((char *)vm + f->at) = v->at;
}

static void
check_spec(struct loader *L, const struct node *keyn, const struct node *v,
    struct vr_vm_spec *vm)
{
	const struct node *n, *val[VR_FIELD__COUNT], *key[VR_FIELD__COUNT];
	const char *keys[VR_FIELD__COUNT + 1];
	size_t i;

	(void)keyn;
	n = get_map(L, v, "spec", "; use 'spec: {}' to manage nothing");
	if (!n)
		return;
	for (i = 0; i < VR_FIELD__COUNT; i++)
		keys[i] = vr_fields[i].key;
	keys[i] = NULL;
	check_keys(L, n, "spec", keys, val, key);
	for (i = 0; i < VR_FIELD__COUNT; i++)
		if (val[i])
			check_field(L, &vr_fields[i], key[i], val[i], vm);
	/* Never restarts nothing: a restart window would never be used */
	i = VR_FIELD_RESTART_POLICY;
	if (val[VR_FIELD_RESTART_WINDOWS] &&
	    vm->restart_policy != VR_RESTART_IFNEEDED &&
	    (!val[i] || vm->at_restart_policy.line))
		bad(L, key[VR_FIELD_RESTART_WINDOWS]->at, "'spec."
		    "restartWindows' needs 'restartPolicy: IfNeeded' (with "
		    "Never, the default, no change ever restarts the VM, so "
		    "no window would be used)");
}

/* Check one document; true if it counts as a VirtualMachine document
 * (anything but an empty one).  vm is filled as far as it is valid. */
static bool
check_doc(struct loader *L, const struct doc *d, struct vr_vm_spec *vm)
{
	const struct node *r = deref(d->root), *val[4], *key[4], *s, *meta;
	const struct node *mval[1], *mkey[1];
	enum { K_API, K_KIND, K_META, K_SPEC };
	char b[256];

	if (!r || (r->kind == N_SCALAR && resolve(L, r) == R_NULL))
		return false;
	vm->at_doc = d->root->at;
	if (r->kind != N_MAP) {
		bad(L, d->root->at, "a document must be a mapping, not %s",
		    what(L, r));
		return true;
	}
	check_keys(L, r, "", root_keys, val, key);
	if (!val[K_API]) {
		bad(L, d->root->at, "missing 'apiVersion'; want 'apiVersion: "
		    VR_API_VERSION "'");
	} else if ((s = get_str(L, val[K_API], "apiVersion")) &&
	    (s->len != strlen(VR_API_VERSION) ||
	    memcmp(s->s, VR_API_VERSION, s->len) != 0)) {
		bad(L, val[K_API]->at, "'apiVersion' must be '"
		    VR_API_VERSION "', not '%s'", shown(b, s->s, s->len,
		    false));
	}
	if (!val[K_KIND]) {
		bad(L, d->root->at, "missing 'kind'; want 'kind: " VR_KIND
		    "'");
	} else if ((s = get_str(L, val[K_KIND], "kind")) &&
	    (s->len != strlen(VR_KIND) ||
	    memcmp(s->s, VR_KIND, s->len) != 0)) {
		bad(L, val[K_KIND]->at, "'kind' must be '" VR_KIND "', not "
		    "'%s'", shown(b, s->s, s->len, false));
	}
	if (!val[K_META]) {
		bad(L, d->root->at, "missing 'metadata'");
	} else if ((meta = get_map(L, val[K_META], "metadata", ""))) {
		check_keys(L, meta, "metadata", meta_keys, mval, mkey);
		if (!mval[0])
			bad(L, key[K_META]->at, "missing 'name' in "
			    "'metadata'");
		else
			check_vm_name(L, mval[0], vm);
	}
	if (!val[K_SPEC])
		bad(L, d->root->at, "missing 'spec'; use 'spec: {}' to "
		    "manage nothing");
	else
		check_spec(L, key[K_SPEC], val[K_SPEC], vm);
	return true;
}

/* `kind: List` with `items` (what `get -o json` prints for several VMs,
 * as kubectl does): 1 and *items when d is one, 0 when it is not, -1 when
 * it is one without a sequence of items (reported). */
static int
list_items(struct loader *L, const struct doc *d, const struct node **items)
{
	const struct node *r = deref(d->root), *k, *v;
	bool is_list = false;
	size_t i;

	*items = NULL;
	if (!r || r->kind != N_MAP)
		return 0;
	for (i = 0; i + 1 < r->nkid; i += 2) {
		k = deref(r->kid[i]);
		v = deref(r->kid[i + 1]);
		if (!k || !v || k->kind != N_SCALAR)
			continue;
		if (k->len == 4 && memcmp(k->s, "kind", 4) == 0 &&
		    v->kind == N_SCALAR && v->len == 4 &&
		    memcmp(v->s, "List", 4) == 0)
			is_list = true;
		else if (k->len == 5 && memcmp(k->s, "items", 5) == 0)
			*items = v;
	}
	if (!is_list)
		return 0;
	if (!*items || (*items)->kind != N_SEQ) {
		*items = NULL;
		bad(L, d->root->at, "a 'kind: List' needs 'items', a "
		    "sequence of VirtualMachine documents");
		return -1;
	}
	return 1;
}

struct nameref {
	const struct vr_vm_spec *vm;
	size_t i;
};

static int
nameref_cmp(const void *pa, const void *pb)
{
	const struct nameref *a = pa, *b = pb;
	int c = strcmp(a->vm->name, b->vm->name);

	if (c)
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

static void
check_names(struct loader *L, const struct vr_vm_spec *vms, size_t n)
{
	struct nameref *ref = vr_calloc(n + 1, sizeof(*ref));
	size_t i, nref = 0, first = 0;

	for (i = 0; i < n; i++) {
		if (!vms[i].name)
			continue;
		ref[nref].vm = &vms[i];
		ref[nref].i = i;
		nref++;
	}
	qsort(ref, nref, sizeof(*ref), nameref_cmp);
	for (i = 1; i < nref; i++) {
		if (strcmp(ref[i].vm->name, ref[first].vm->name) != 0) {
			first = i;
			continue;
		}
		bad(L, ref[i].vm->at_name, "duplicate VM name '%s' (first at "
		    "line %d)", ref[i].vm->name, ref[first].vm->at_name.line);
	}
	free(ref);
}

static void
loader_free(struct loader *L)
{
	nodes_free(L);
	free(L->all);
	free(L->anchors);
	vr_diags_free(&L->pd);
	vr_diags_free(&L->cd);
}

int
vr_spec_load_buffer(struct vr_spec **out, struct vr_diags *diags,
    const char *path, const char *buf, size_t len)
{
	struct loader L;
	struct vr_spec *spec;
	size_t i, before = diags->n;
	int rc = 0;

	*out = NULL;
	if (len > VR_SPEC_MAX_BYTES) {
		vr_diags_add(diags, path, 0, 0, "larger than the limit of %d "
		    "bytes", VR_SPEC_MAX_BYTES);
		return vr_error_set(VR_EINVALID, "'%s' is not valid", path);
	}
	memset(&L, 0, sizeof(L));
	L.path = path;
	L.buf = buf;
	L.len = len;
	L.diags = diags;
	parse(&L);
	L.checking = true;
	L.capped = L.cd.n > MAX_DIAGS;
	if (L.nvms == 0 && !L.fatal)
		bad(&L, (struct vr_pos){ 0, 0 }, "no VirtualMachine documents");
	check_names(&L, L.vms, L.nvms);
	diags_merge(&L);
	vr_diags_sort(diags);
	if (diags->n > before) {
		rc = vr_error_set(VR_EINVALID, "'%s' is not valid: %zu "
		    "problem%s", path, diags->n - before,
		    diags->n - before == 1 ? "" : "s");
		goto out;
	}
	spec = vr_calloc(1, sizeof(*spec));
	spec->path = vr_strdup(path);
	spec->vms = L.vms ? L.vms : vr_calloc(1, sizeof(*spec->vms));
	spec->nvms = L.nvms;
	L.vms = NULL;
	L.nvms = 0;
	*out = spec;
out:
	for (i = 0; i < L.nvms; i++)
		vr_vm_spec_clear(&L.vms[i]);
	free(L.vms);
	loader_free(&L);
	return rc;
}

int
vr_spec_load_file(struct vr_spec **out, struct vr_diags *diags,
    const char *path)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	rc = vr_file_read(&buf, &len, path, VR_SPEC_MAX_BYTES);
	if (rc == VR_EINVALID) {
		/* too large: a problem with the file, not with reading it */
		vr_diags_add(diags, path, 0, 0, "larger than the limit of %d "
		    "bytes", VR_SPEC_MAX_BYTES);
		return rc;
	}
	if (rc < 0)
		return rc;
	rc = vr_spec_load_buffer(out, diags, path, buf, len);
	free(buf);
	return rc;
}
