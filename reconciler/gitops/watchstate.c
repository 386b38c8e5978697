/*
 * watchstate.c - watch.json, the watch's sections of status.json, and its
 * logfmt log lines (see watchstate.h).
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/util/json.h"
#include "../engine/ready.h"
#include "watchstate.h"

#define BASELINE_MAX 65536
#define LOG_MAX_PAIRS 32

static void
now_iso(char *buf, size_t n, bool ms)
{
	struct timeval tv;
	struct tm tm;
	size_t len;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ms)
		snprintf(buf + len, n - len, ".%03dZ",
		    (int)(tv.tv_usec / 1000));
	else
		snprintf(buf + len, n - len, "Z");
}

/* --- watch.json -------------------------------------------------------- */

static char *
baseline_path(const char *state_dir)
{
	return vr_asprintf("%s/watch.json", state_dir);
}

/* An optional 40-digit object id into dst ("" when absent). */
static int
copy_hex(char dst[VR_GIT_HEX], const struct vr_json_at *at, json_t *v,
    const char *key)
{
	const char *s = NULL;
	int rc = vr_json_str(&s, at, v, key, VR_GIT_HEX - 1, VR_GIT_HEX - 1,
	    VR_JSON_HEX, VR_JSON_OPTIONAL);

	dst[0] = '\0';
	if (rc > 0)
		memcpy(dst, s, VR_GIT_HEX);
	return rc < 0 ? rc : 0;
}

/* An optional string into *out (NULL when absent). */
static int
dup_str(char **out, const struct vr_json_at *at, json_t *v, const char *key)
{
	const char *s = NULL;
	int rc = vr_json_str(&s, at, v, key, 0, BASELINE_MAX, VR_JSON_PRINT,
	    VR_JSON_OPTIONAL);

	*out = rc > 0 ? vr_strdup(s) : NULL;
	return rc < 0 ? rc : 0;
}

int
vr_watch_baseline_load(struct vr_watch_baseline *out, const char *state_dir)
{
	char *p = baseline_path(state_dir), *buf = NULL;
	struct vr_json_at at = { p, "", VR_EINVALID };
	json_error_t jerr;
	json_t *doc = NULL;
	int64_t version = 0;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	/* a state dir file: no symlink followed, ours or refused */
	rc = vr_file_read_own(&buf, &len, AT_FDCWD, p, p, BASELINE_MAX);
	if (rc < 0)
		goto out;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc) || vr_json_int(&version, &at, doc,
	    "formatVersion", 1, 1, VR_JSON_REQUIRED) < 0) {
		rc = vr_error_set(VR_EINVALID, "%s is not a vmrecon watch "
		    "file of formatVersion 1%s%s; remove it to start over", p,
		    doc ? "" : ": ", doc ? "" : jerr.text);
		goto out;
	}
	if ((rc = copy_hex(out->commit, &at, doc, "lastAppliedCommit")) < 0 ||
	    (rc = copy_hex(out->blob, &at, doc, "lastAppliedBlob")) < 0 ||
	    (rc = dup_str(&out->url, &at, doc, "url")) < 0 ||
	    (rc = dup_str(&out->ref, &at, doc, "ref")) < 0 ||
	    (rc = dup_str(&out->path, &at, doc, "path")) < 0 ||
	    (rc = dup_str(&out->revision, &at, doc,
	    "lastAppliedRevision")) < 0 ||
	    (rc = copy_hex(out->accepted_commit, &at, doc,
	    "lastAcceptedCommit")) < 0 ||
	    (rc = copy_hex(out->accepted_blob, &at, doc,
	    "lastAcceptedBlob")) < 0 ||
	    (rc = dup_str(&out->accepted_revision, &at, doc,
	    "lastAcceptedRevision")) < 0)
		goto out;
out:
	if (rc < 0)
		vr_watch_baseline_clear(out);
	json_decref(doc);
	free(buf);
	free(p);
	return rc;
}

int
vr_watch_baseline_save(const struct vr_watch_baseline *b,
    const char *state_dir)
{
	char *p = baseline_path(state_dir), *text;
	json_t *doc;
	int rc;

	/* s*: a NULL member is left out (s? would write null, which
	 * the strict reader of load refuses) */
	doc = json_pack("{s:i, s:s*, s:s*, s:s*, s:s*, s:s*, s:s*, s:s*, "
	    "s:s*, s:s*}",
	    "formatVersion", 1, "url", b->url, "ref", b->ref, "path", b->path,
	    "lastAppliedCommit", b->commit[0] ? b->commit : NULL,
	    "lastAppliedBlob", b->blob[0] ? b->blob : NULL,
	    "lastAppliedRevision", b->revision,
	    "lastAcceptedCommit", b->accepted_commit[0] ? b->accepted_commit :
	    NULL,
	    "lastAcceptedBlob", b->accepted_blob[0] ? b->accepted_blob : NULL,
	    "lastAcceptedRevision", b->accepted_revision);
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text)
		rc = vr_error_set(VR_ENOMEM, "cannot serialize watch.json");
	else
		rc = vr_file_write_atomic(p, text, strlen(text), 0600);
	free(text);
	json_decref(doc);
	free(p);
	return rc;
}

void
vr_watch_baseline_clear(struct vr_watch_baseline *b)
{
	free(b->url);
	free(b->ref);
	free(b->path);
	free(b->revision);
	free(b->accepted_revision);
	memset(b, 0, sizeof(*b));
}

/* --- status.json ------------------------------------------------------- */

/* conditions: [{type: Ready, ...}] (ready.h), as of now. */
static void
set_ready(json_t *obj, bool ready, const char *reason, const char *message)
{
	char now[40];

	now_iso(now, sizeof(now), false);
	vr_ready_set(obj, ready, reason, message, now);
}

static int
edit_source(json_t *doc, void *arg)
{
	const struct vr_watch_source_status *s = arg;
	json_t *src = json_object_get(doc, "source");

	if (!json_is_object(src)) {
		src = json_object();
		json_object_set_new(doc, "source", src);
	}
	json_object_set_new(src, "kind", json_string("GitRepository"));
	json_object_set_new(src, "url", json_string(s->url));
	json_object_set_new(src, "ref", json_string(s->ref));
	json_object_set_new(src, "path", json_string(s->path));
	if (s->fetched_revision)
		json_object_set_new(src, "lastFetchedRevision",
		    json_string(s->fetched_revision));
	if (s->applied_revision)
		json_object_set_new(src, "lastAppliedRevision",
		    json_string(s->applied_revision));
	json_object_set_new(src, "failures", json_integer(s->failures));
	set_ready(src, s->ready, s->reason, s->message);
	return 0;
}

int
vr_watch_status_source(struct vr_statedir *sd,
    const struct vr_watch_source_status *s)
{
	return vr_statedir_status_edit(sd, edit_source, (void *)s);
}

struct ready_args {
	char *const *names;
	size_t n;
	const char *fail_reason;
};

static int
edit_ready(json_t *doc, void *arg)
{
	const struct ready_args *a = arg;
	json_t *vms = json_object_get(doc, "vms");
	size_t i;

	for (i = 0; i < a->n; i++) {
		json_t *vm = json_object_get(vms, a->names[i]);
		const char *result, *reason;

		if (!json_is_object(vm))
			continue;
		result = json_string_value(json_object_get(vm, "result"));
		if (!result)
			continue;
		reason = vr_ready_reason(result, a->fail_reason);
		set_ready(vm, strcmp(result, "converged") == 0, reason,
		    json_string_value(json_object_get(vm, "message")));
	}
	return 0;
}

int
vr_watch_status_ready(struct vr_statedir *sd, char *const *names, size_t n,
    const char *fail_reason)
{
	struct ready_args a = { names, n, fail_reason };

	return vr_statedir_status_edit(sd, edit_ready, &a);
}

/* --- the log ------------------------------------------------------------ */

static bool
needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (; *v; v++)
		if ((unsigned char)*v <= ' ' || *v == '"' || *v == '=' ||
		    *v == '\\' || (unsigned char)*v == 0x7f)
			return true;
	return false;
}

/* Append v, quoted and escaped when needed; control characters become
 * \n, \t or \xHH so one event stays one line. */
static void
put_value(FILE *m, const char *v)
{
	if (!needs_quotes(v)) {
		fputs(v, m);
		return;
	}
	fputc('"', m);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			fprintf(m, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", m);
		else if (c == '\t')
			fputs("\\t", m);
		else if (c < ' ' || c == 0x7f)
			fprintf(m, "\\x%02x", c);
		else
			fputc(c, m);
	}
	fputc('"', m);
}

char *
vr_wlog_format(const char *level, const char *msg, const char *time,
    const char *const *kv, size_t nkv)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return vr_strdup(msg);
	fprintf(m, "%s %s ", time, level);
	put_value(m, msg);
	for (i = 0; i + 1 < nkv; i += 2) {
		if (!kv[i + 1])
			continue;
		fprintf(m, " %s=", kv[i]);
		put_value(m, kv[i + 1]);
	}
	fclose(m);
	return buf;
}

void
vr_wlog(FILE *fp, const char *level, const char *msg, ...)
{
	const char *kv[LOG_MAX_PAIRS * 2];
	size_t n = 0;
	char now[40], *line;
	va_list ap;

	va_start(ap, msg);
	while (n < LOG_MAX_PAIRS * 2) {
		const char *k = va_arg(ap, const char *);

		if (!k)
			break;
		kv[n++] = k;
		kv[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	now_iso(now, sizeof(now), true);
	line = vr_wlog_format(level, msg, now, kv, n);
	fprintf(fp, "%s\n", line);
	fflush(fp);
	free(line);
}
