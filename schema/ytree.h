/*
 * ytree.h - a YAML stream read strictly, one document at a time, into a
 * small tree of our own, and the checks every YAML file of vmrecon shares:
 * keys known and not repeated (with a "did you mean"), scalars typed as
 * YAML 1.1 types them, every problem as FILE:LINE:COL in a vr_diags.
 * The desired state (load.c) and the config file (reconciler/cli/config.c)
 * are read with it, so both refuse the same things in the same words.
 *
 * Why libyaml's events rather than yaml_parser_load()'s document API: the
 * document API gives every untagged scalar the default tag, so `!!str 4`
 * and `4` look alike, and it resolves aliases into a shared graph whose
 * expansion could only be bounded after the fact.  With events each
 * explicit tag and each alias is seen as it comes, and an alias bomb or a
 * deep nesting is stopped at once.
 *
 * Limits (all errors): VR_YMAX_DEPTH nested collections, VR_YMAX_ALIASES
 * alias events per stream, VR_YMAX_EXPANSION nodes added by all aliases
 * together; at most VR_YMAX_DIAGS problems are listed.  Tags are refused.
 *
 * Use: vr_yload_init(), then set on_doc (and ctx, synonyms, top_home if
 * wanted); vr_yload_parse() calls on_doc for each document with its tree,
 * which is freed after it returns; then report what spans documents with
 * vr_ybad() (checking = true), call vr_yload_end() to put the problems in
 * diags, vr_yload_verdict() for the answer, and vr_yload_free().
 */
#ifndef VR_YTREE_H
#define VR_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "model.h"

#define VR_YMAX_DEPTH 32
#define VR_YMAX_ALIASES 64
#define VR_YMAX_EXPANSION 4096
#define VR_YMAX_DIAGS 100

enum vr_ykind { VR_Y_SCALAR, VR_Y_MAP, VR_Y_SEQ, VR_Y_ALIAS };

struct vr_ynode {
	enum vr_ykind kind;
	struct vr_pos at;
	size_t index, end;   /* libyaml's marks: characters from the start
	                      * (after a BOM) to the node and past it */
	char *s;             /* scalar value (NUL-terminated, may hold NULs) */
	size_t len;
	bool plain;          /* plain style: typed by the resolver */
	struct vr_ynode **kid; /* mapping: key, value, key, value...;
	                      * sequence: its items */
	size_t nkid, capkid;
	struct vr_ynode *target; /* alias: the anchored node */
	char *anchor;        /* until a collection ends */
	size_t size;         /* nodes once aliases are expanded */
	int height;          /* nested collections, aliases expanded */
};

/* What a plain scalar is to YAML 1.1; anything quoted is VR_Y_STR. */
enum vr_ytype { VR_Y_STR, VR_Y_NULL, VR_Y_BOOL, VR_Y_INT, VR_Y_FLOAT,
	VR_Y_TIME, VR_Y_OTHER };

/* A word people write for a key, and the key they mean. */
struct vr_ysynonym {
	const char *word, *key;
};

struct vr_yanchor;

struct vr_yload {
	/* set by the caller */
	const char *path;
	const char *buf;
	size_t len;
	struct vr_diags *diags;
	/* each document's root (NULL for an empty one) and where it starts;
	 * its problems go through vr_ybad */
	void (*on_doc)(struct vr_yload *L, const struct vr_ynode *root,
	    struct vr_pos at);
	void *ctx;
	const struct vr_ysynonym *synonyms; /* for vr_ysuggest; may be NULL */
	size_t nsynonyms;
	/* for an unknown key of the top mapping: the mapping it belongs
	 * under ("spec"), or NULL; may be NULL */
	const char *(*top_home)(const char *key, size_t len);

	/* Problems found while parsing (pd) and while checking (cd), merged
	 * in that order by vr_yload_end as if the whole stream had been
	 * parsed before the first check; each keeps one more than
	 * VR_YMAX_DIAGS to know whether the cap was passed. */
	struct vr_diags pd, cd;
	bool checking;
	bool capped; /* the current list is full: skip costly hints */
	bool fatal;  /* syntax error or a limit: the stream was cut short */

	struct vr_ynode **all; /* every node of the current document */
	size_t nall, capall;
	struct vr_yanchor *anchors; /* of the current document */
	size_t nanchors, capanchors;
	size_t naliases, expansion;
};

/* Start reading `len` bytes of `path`, its problems for `diags`: 0, or
 * VR_EINVALID when len passes `max` (said in diags, as the file's). */
int vr_yload_init(struct vr_yload *L, struct vr_diags *diags,
    const char *path, const char *buf, size_t len, size_t max);

/* Read at most `max` bytes of file `path` ("-": stdin), or of `fd` if it
 * is not -1.  A larger file is a problem of the file, said in diags
 * (VR_EINVALID); failing to read it is VR_ENOTFOUND or VR_ERROR. */
int vr_yload_read(char **buf, size_t *len, struct vr_diags *diags,
    const char *path, int fd, size_t max);

/* Read the stream, calling on_doc as each document ends.  Stops at the
 * first syntax error or limit (L->fatal); documents completed before it
 * have been checked. */
void vr_yload_parse(struct vr_yload *L);

/* The problems found, parse then check, into L->diags (capped). */
void vr_yload_end(struct vr_yload *L);

/* After vr_yload_end: L->diags sorted, and 0 when no problem was added
 * since it held `before`, else VR_EINVALID saying how many. */
int vr_yload_verdict(struct vr_yload *L, size_t before);

void vr_yload_free(struct vr_yload *L);

/* Report a problem at `at`. */
void vr_ybad(struct vr_yload *L, struct vr_pos at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A user's string made safe to print inside '...': control, bidi and (for
 * keys, `ascii`) all non-ASCII characters escaped, cut at 48 characters. */
const char *vr_yshown(char out[static 256], const char *s, size_t len,
    bool ascii);

/* Characters that hide or reorder text: shown escaped, refused in names.
 * The JSON Schema lists the same set. */
bool vr_ysneaky(uint32_t c);

/* An alias's target; any other node itself. */
const struct vr_ynode *vr_yderef(const struct vr_ynode *n);

/* What YAML 1.1 makes of scalar n. */
enum vr_ytype vr_yresolve(struct vr_yload *L, const struct vr_ynode *n);

/* "a mapping", "an integer"...: what a value is, for messages. */
const char *vr_ywhat(struct vr_yload *L, const struct vr_ynode *n);

/* The known word a user probably meant by s, or NULL: a near one
 * (suggest.h), a synonym, or one s begins. */
const char *vr_ysuggest(struct vr_yload *L, const char *s, size_t len,
    const char *const *known);

/* Check the keys of mapping m (at `where`, e.g. "spec"; "" for the top):
 * keys are strings, known, not repeated.  val[i]/key[i] get the value and
 * key node of known[i] (first occurrence), or NULL. */
void vr_ycheck_keys(struct vr_yload *L, const struct vr_ynode *m,
    const char *where, const char *const *known,
    const struct vr_ynode **val, const struct vr_ynode **key);

/* An integer in [lo, hi]: a plain, untagged decimal.  Returns true and
 * sets *out, or reports why not. */
bool vr_yget_int(struct vr_yload *L, const struct vr_ynode *v,
    const char *what, int64_t lo, int64_t hi, int64_t *out);

/* A string: a scalar that YAML 1.1 reads as a string.  Returns the node
 * or NULL after reporting. */
const struct vr_ynode *vr_yget_str(struct vr_yload *L,
    const struct vr_ynode *v, const char *what);

/* A string as a C string (NULL after reporting; one with a NUL byte is
 * reported too). */
char *vr_yget_cstr(struct vr_yload *L, const struct vr_ynode *v,
    const char *what);

/* One of `list`; *idx gets its index. */
bool vr_yget_enum(struct vr_yload *L, const struct vr_ynode *v,
    const char *what, const char *const *list, int *idx);

/* A mapping, or report what it is instead (`extra` ends the message). */
const struct vr_ynode *vr_yget_map(struct vr_yload *L,
    const struct vr_ynode *v, const char *what, const char *extra);

#endif
