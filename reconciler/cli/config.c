/* config.c - the config file of contexts: where it is, its strict load
 * (ytree.h) after the trust walk (trust.h), and use-context's edit.  What
 * the file holds and why it must be trusted: config.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../backends/backend.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/util/trust.h"
#include "../../schema/util/units.h"
#include "../../schema/ytree.h"
#include "../gitops/gitsource.h"
#include "config.h"
#include "options.h"

#define MAX_CONTEXTS 1000

static const char *const top_keys[] = {
	"apiVersion", "kind", "currentContext", "contexts", NULL };
enum { K_API, K_KIND, K_CURRENT, K_CONTEXTS };
static const char *const ctx_keys[] = {
	"backend", "backendTimeout", "hostname", "stateDir", NULL };
enum { C_BACKEND, C_TIMEOUT, C_HOSTNAME, C_STATE_DIR };

/* Words people write for a key, by the key they mean. */
static const struct vr_ysynonym synonyms[] = {
	{ "timeout", "backendTimeout" }, { "host", "hostname" },
	{ "target", "backend" }, { "state", "stateDir" },
	{ "context", "currentContext" }, { "current", "currentContext" },
	{ "version", "apiVersion" },
};

char *
vr_config_path(unsigned euid, bool *named)
{
	const char *env = getenv("VMRECON_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct stat st;
	char *user;

	*named = env && env[0];
	if (*named)
		return vr_strdup(env);
	if (euid == 0)
		return vr_strdup(VR_CONFIG_SYSTEM);
	if (xdg && xdg[0] == '/')
		user = vr_asprintf("%s/vmrecon/config.yaml", xdg);
	else if (home && home[0] == '/')
		user = vr_asprintf("%s/.config/vmrecon/config.yaml", home);
	else
		return vr_strdup(VR_CONFIG_SYSTEM);
	/* lstat: a dangling link is the user's file, and an error */
	if (lstat(user, &st) == 0)
		return user;
	free(user);
	return vr_strdup(VR_CONFIG_SYSTEM);
}

/* A string of the file as a C string, or NULL (reported). */
static char *
get_name(struct vr_yload *L, const struct vr_ynode *v, const char *what)
{
	char *s = vr_yget_cstr(L, v, what), b[256];
	size_t i, n;

	if (!s)
		return NULL;
	n = strlen(s);
	for (i = 0; i < n && vr_name_char_ok(s[i], i); i++)
		;
	if (n == 0 || n > VR_CONTEXT_NAME_MAX || i < n) {
		vr_ybad(L, v->at, "invalid %s '%s': use 1 to %d letters, "
		    "digits, '.', '_' and '-', starting with a letter or "
		    "digit", what, vr_yshown(b, s, n, true),
		    VR_CONTEXT_NAME_MAX);
		free(s);
		return NULL;
	}
	return s;
}

/* One context's settings. */
static void
check_context(struct vr_yload *L, const struct vr_ynode *v,
    struct vr_context *cx)
{
	const struct vr_option *o = vr_opts_find("diff", VR_OPT_BACKEND_TIMEOUT);
	const struct vr_ynode *m, *val[4], *key[4];
	char where[96], what[128], *s, *dummy = NULL;

	snprintf(where, sizeof(where), "contexts.%s", cx->name);
	if (!(m = vr_yget_map(L, v, where, "")))
		return;
	vr_ycheck_keys(L, m, where, ctx_keys, val, key);
	snprintf(what, sizeof(what), "%s.backend", where);
	if (val[C_BACKEND] && (s = vr_yget_cstr(L, val[C_BACKEND], what))) {
		if (vr_backend_kind_check(s) < 0) {
			vr_ybad(L, val[C_BACKEND]->at, "'%s': %s", what,
			    vr_error_msg());
			free(s);
		} else {
			cx->backend = s;
		}
	}
	snprintf(what, sizeof(what), "%s.backendTimeout", where);
	if (val[C_TIMEOUT] && (s = vr_yget_cstr(L, val[C_TIMEOUT], what))) {
		char quoted[160];

		snprintf(quoted, sizeof(quoted), "'%s'", what);
		if (vr_parse_duration(&cx->backend_timeout_ms, s, o->min,
		    o->max, quoted) < 0)
			vr_ybad(L, val[C_TIMEOUT]->at, "%s", vr_error_msg());
		free(s);
	}
	snprintf(what, sizeof(what), "%s.hostname", where);
	if (val[C_HOSTNAME] && (s = vr_yget_cstr(L, val[C_HOSTNAME], what))) {
		/* the rules of watch --hostname */
		if (vr_git_path_expand(&dummy, "{hostname}", s, NULL) < 0) {
			vr_ybad(L, val[C_HOSTNAME]->at, "'%s': %s", what,
			    vr_error_msg());
			free(s);
		} else {
			cx->hostname = s;
		}
		free(dummy);
	}
	snprintf(what, sizeof(what), "%s.stateDir", where);
	if (val[C_STATE_DIR] &&
	    (s = vr_yget_cstr(L, val[C_STATE_DIR], what))) {
		if (s[0] != '/' || strlen(s) >= PATH_MAX) {
			vr_ybad(L, val[C_STATE_DIR]->at, "'%s' must be an "
			    "absolute path", what);
			free(s);
		} else {
			cx->state_dir = s;
		}
	}
}

/* The contexts mapping: names as keys (strings, valid, not repeated). */
static void
check_contexts(struct vr_yload *L, const struct vr_ynode *v,
    struct vr_config *cfg)
{
	const struct vr_ynode *m = vr_yget_map(L, v, "contexts", ""), **val,
	    **key;
	const char **names;
	size_t i, npairs;

	if (!m)
		return;
	npairs = m->nkid / 2;
	if (npairs > MAX_CONTEXTS) {
		vr_ybad(L, v->at, "'contexts' has %zu contexts; at most %d",
		    npairs, MAX_CONTEXTS);
		return;
	}
	/* every key is known: vr_ycheck_keys finds the repeated ones and
	 * the ones that are no strings, in the words it has for spec files */
	names = vr_calloc(npairs + 1, sizeof(*names));
	val = vr_calloc(npairs + 1, sizeof(*val));
	key = vr_calloc(npairs + 1, sizeof(*key));
	for (i = 0; i < npairs; i++) {
		const struct vr_ynode *k = vr_yderef(m->kid[2 * i]);

		names[i] = k->kind == VR_Y_SCALAR ? k->s : "\x01";
	}
	vr_ycheck_keys(L, m, "contexts", names, val, key);
	cfg->v = vr_calloc(npairs + 1, sizeof(*cfg->v));
	for (i = 0; i < npairs; i++) {
		struct vr_context *cx = &cfg->v[cfg->n];

		if (!val[i] ||
		    !(cx->name = get_name(L, key[i], "context name")))
			continue;
		cx->at = key[i]->at;
		cfg->n++;
		check_context(L, val[i], cx);
	}
	free(names);
	free(val);
	free(key);
}

/* A string field that must be exactly `want`. */
static void
check_exact(struct vr_yload *L, const struct vr_ynode *root,
    const struct vr_ynode *v, const char *key, const char *want)
{
	const struct vr_ynode *s;
	char b[256];

	if (!v)
		vr_ybad(L, root->at, "missing '%s'; want '%s: %s'", key, key,
		    want);
	else if ((s = vr_yget_str(L, v, key)) && (s->len != strlen(want) ||
	    memcmp(s->s, want, s->len) != 0))
		vr_ybad(L, v->at, "'%s' must be '%s', not '%s'", key, want,
		    vr_yshown(b, s->s, s->len, false));
}

struct load {
	struct vr_config *cfg;
	size_t ndocs;
};

static void
doc_end(struct vr_yload *L, const struct vr_ynode *root, struct vr_pos at)
{
	struct load *ld = L->ctx;
	struct vr_config *cfg = ld->cfg;
	const struct vr_ynode *r = vr_yderef(root), *val[4], *key[4];
	char *names;

	(void)at;
	if (!r || (r->kind == VR_Y_SCALAR && vr_yresolve(L, r) == VR_Y_NULL))
		return;
	if (ld->ndocs++ > 0) {
		vr_ybad(L, root->at, "a config file holds one document");
		return;
	}
	if (r->kind != VR_Y_MAP) {
		vr_ybad(L, root->at, "a config must be a mapping, not %s",
		    vr_ywhat(L, r));
		return;
	}
	cfg->top_index = r->index;
	vr_ycheck_keys(L, r, "", top_keys, val, key);
	check_exact(L, root, val[K_API], "apiVersion", VR_API_VERSION);
	check_exact(L, root, val[K_KIND], "kind", VR_CONFIG_KIND);
	if (val[K_CONTEXTS])
		check_contexts(L, val[K_CONTEXTS], cfg);
	if (!val[K_CURRENT])
		return;
	cfg->current = get_name(L, val[K_CURRENT], "currentContext");
	if (!cfg->current)
		return;
	cfg->has_current = true;
	cfg->current_index = vr_yderef(val[K_CURRENT])->index;
	cfg->current_end = vr_yderef(val[K_CURRENT])->end;
	if (vr_config_find(cfg, cfg->current))
		return;
	names = vr_config_names(cfg);
	vr_ybad(L, val[K_CURRENT]->at, "'currentContext' names '%s', which "
	    "is not one of 'contexts'%s%s%s", cfg->current, names[0] ?
	    " (" : "", names, names[0] ? ")" : "");
	free(names);
}

int
vr_config_load_buffer(struct vr_config **out, struct vr_diags *diags,
    const char *path, const char *buf, size_t len)
{
	struct vr_config *cfg = vr_calloc(1, sizeof(*cfg));
	struct load ld = { cfg, 0 };
	struct vr_yload L;
	size_t before = diags->n;
	int rc;

	*out = NULL;
	cfg->path = vr_strdup(path);
	if ((rc = vr_yload_init(&L, diags, path, buf, len,
	    VR_CONFIG_MAX_BYTES)) < 0) {
		vr_config_free(cfg);
		return rc;
	}
	L.on_doc = doc_end;
	L.ctx = &ld;
	L.synonyms = synonyms;
	L.nsynonyms = sizeof(synonyms) / sizeof(synonyms[0]);
	vr_yload_parse(&L);
	L.checking = true;
	if (ld.ndocs == 0 && !L.fatal)
		vr_ybad(&L, (struct vr_pos){ 0, 0 }, "empty; want "
		    "'apiVersion: " VR_API_VERSION "', 'kind: "
		    VR_CONFIG_KIND "' and 'contexts'");
	vr_yload_end(&L);
	rc = vr_yload_verdict(&L, before);
	vr_yload_free(&L);
	if (rc < 0) {
		vr_config_free(cfg);
		return rc;
	}
	cfg->text = vr_strndup(buf, len);
	cfg->len = len;
	*out = cfg;
	return 0;
}

int
vr_config_load(struct vr_config **out, struct vr_diags *diags,
    const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	if ((fd = vr_trust_open(path, "config")) < 0)
		return fd;
	rc = vr_yload_read(&buf, &len, diags, path, fd, VR_CONFIG_MAX_BYTES);
	close(fd);
	if (rc < 0)
		return rc;
	rc = vr_config_load_buffer(out, diags, path, buf, len);
	free(buf);
	return rc;
}

const struct vr_context *
vr_config_find(const struct vr_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; cfg && i < cfg->n; i++)
		if (strcmp(cfg->v[i].name, name) == 0)
			return &cfg->v[i];
	return NULL;
}

char *
vr_config_names(const struct vr_config *cfg)
{
	char *s = vr_strdup(""), *t;
	size_t i;

	for (i = 0; cfg && i < cfg->n; i++) {
		t = vr_asprintf("%s%s%s", s, i ? ", " : "", cfg->v[i].name);
		free(s);
		s = t;
	}
	return s;
}

/* The byte offset of character `index` as libyaml counts them (after a
 * UTF-8 byte order mark). */
static size_t
byte_offset(const char *buf, size_t len, size_t index)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t i = 0, n = 0;

	if (len >= 3 && memcmp(u, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++)
		if ((u[i] & 0xc0) != 0x80 && n++ == index)
			return i;
	return len;
}

/* The file's text with currentContext set to `name`. */
static char *
edited(const struct vr_config *cfg, const char *name, size_t *len)
{
	size_t a, b;
	char *s;

	if (cfg->has_current) {
		a = byte_offset(cfg->text, cfg->len, cfg->current_index);
		b = byte_offset(cfg->text, cfg->len, cfg->current_end);
	} else {
		/* a new first key of the top mapping, where its first key
		 * is now (the reload checks that this made sense) */
		a = b = byte_offset(cfg->text, cfg->len, cfg->top_index);
	}
	s = vr_asprintf("%.*s%s\"%s\"%s%s", (int)a, cfg->text,
	    cfg->has_current ? "" : "currentContext: ", name,
	    cfg->has_current ? "" : "\n", cfg->text + b);
	*len = strlen(s);
	return s;
}

int
vr_config_use(struct vr_config *cfg, const char *name)
{
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_config *again = NULL;
	const char *slash = strrchr(cfg->path, '/');
	char dir[PATH_MAX], *text;
	struct stat st;
	size_t len;
	int dfd, rc;

	if (!vr_config_find(cfg, name))
		return vr_error_set(VR_ENOTFOUND, "no context '%s' in %s",
		    name, cfg->path);
	if (memchr(cfg->text, '\0', cfg->len))
		return vr_error_set(VR_EINVALID, "cannot edit %s: it is not "
		    "UTF-8 text", cfg->path);
	text = edited(cfg, name, &len);
	rc = vr_config_load_buffer(&again, &d, cfg->path, text, len);
	if (rc < 0 || !again->current || strcmp(again->current, name) != 0) {
		vr_diags_free(&d);
		vr_config_free(again);
		free(text);
		return vr_error_set(VR_EINVALID, "cannot set currentContext "
		    "in %s without rewriting it: set 'currentContext: %s' "
		    "there by hand", cfg->path, name);
	}
	vr_config_free(again);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (slash == cfg->path ? 1 :
	    (int)(slash - cfg->path)) : 1, slash ? cfg->path : ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = vr_error_set(VR_ERROR, "cannot write %s: %s", cfg->path,
		    strerror(errno));
	} else if (fstatat(dfd, slash ? slash + 1 : cfg->path, &st,
	    AT_SYMLINK_NOFOLLOW) < 0) {
		rc = vr_error_set(VR_ERROR, "cannot write %s: %s", cfg->path,
		    strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = vr_error_set(VR_EINVALID, "refusing to write %s: it is "
		    "%s, not a regular file; set 'currentContext: %s' in the "
		    "file itself", cfg->path, S_ISLNK(st.st_mode) ?
		    "a symbolic link" : "no regular file", name);
	} else {
		rc = vr_file_write_at(dfd, slash ? slash + 1 : cfg->path,
		    cfg->path, text, len, st.st_mode & 0755);
	}
	if (dfd >= 0)
		close(dfd);
	if (rc == 0) {
		free(cfg->current);
		cfg->current = vr_strdup(name);
	}
	vr_diags_free(&d);
	free(text);
	return rc;
}

void
vr_config_free(struct vr_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n; i++) {
		free(cfg->v[i].name);
		free(cfg->v[i].backend);
		free(cfg->v[i].state_dir);
		free(cfg->v[i].hostname);
	}
	free(cfg->v);
	free(cfg->current);
	free(cfg->path);
	free(cfg->text);
	free(cfg);
}
