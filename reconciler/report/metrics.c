/*
 * metrics.c - the Prometheus textfile: counters kept across passes (and
 * read back from the previous file), per-VM desired and live values from
 * the pass's VM events, written atomically.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/field.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/window.h"
#include "metrics.h"

#define NRESULTS VR_RESULT__COUNT
#define METRICS_MAX (4 << 20)

/* one gauge per field table row with a metric (field.h) */
#define NFIELDS VR_FIELD__COUNT
#define WINDOW_METRIC "vmrecon_restart_window_next_start_timestamp_seconds"

struct vm_values {
	char *name;
	bool has_desired[NFIELDS];
	long long desired[NFIELDS], live[NFIELDS];
	long long pending;        /* restart changes left pending */
	long long window_next;    /* next restart window opening; 0: none */
};

struct vm_list {
	struct vm_values *v;
	size_t n;
};

struct vr_metrics {
	char *path;
	double reconciles[NRESULTS]; /* by enum vr_result */
	double drift;
	double last_success;         /* unix seconds; 0 = never */
	double duration;
	char *revision;              /* last applied, or NULL */
	char *host;                  /* the host label, or NULL: none */
	struct vm_list vms, pass;    /* shown; gathered in this pass */
};

static void
vm_list_clear(struct vm_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- reading the previous file back ---- */

/* Parse `"value"` with the format's escapes at *p; advance past it. */
static int
parse_label_value(char **out, const char **p)
{
	const char *s = *p;
	char *v = vr_malloc(strlen(s) + 1);
	size_t n = 0;

	if (*s++ != '"')
		goto bad;
	while (*s && *s != '"') {
		if (*s == '\\') {
			s++;
			if (*s == 'n')
				v[n++] = '\n';
			else if (*s == '\\' || *s == '"')
				v[n++] = *s;
			else
				goto bad;
			s++;
		} else if (*s == '\n') {
			goto bad;
		} else {
			v[n++] = *s++;
		}
	}
	if (*s != '"')
		goto bad;
	v[n] = '\0';
	*out = v;
	*p = s + 1;
	return 0;
bad:
	free(v);
	return -1;
}

static bool
name_start(int c)
{
	return isalpha(c) || c == '_' || c == ':';
}

static bool
name_char(int c)
{
	return isalnum(c) || c == '_' || c == ':';
}

/* One sample line: name{l="v",...} value [timestamp].  Sets *name (len),
 * and the value of label `want` (malloc'd) if present. */
static int
parse_sample(const char *line, const char **name, size_t *nlen,
    const char *want, char **wanted, double *value)
{
	const char *p = line;
	char *end, *lv;
	size_t ll;

	*wanted = NULL;
	if (!name_start((unsigned char)*p))
		return -1;
	*name = p;
	while (name_char((unsigned char)*p))
		p++;
	*nlen = (size_t)(p - *name);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			const char *ln = p;

			if (!isalpha((unsigned char)*p) && *p != '_')
				goto bad;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			ll = (size_t)(p - ln);
			if (*p++ != '=' || parse_label_value(&lv, &p) < 0)
				goto bad;
			if (want && strlen(want) == ll &&
			    strncmp(ln, want, ll) == 0 && !*wanted)
				*wanted = lv;
			else
				free(lv);
			if (*p == ',')
				p++;
			else if (*p != '}')
				goto bad;
		}
		p++;
	}
	if (*p++ != ' ' || !*p || isspace((unsigned char)*p))
		goto bad;
	if (strcmp(p, "NaN") == 0 || strcmp(p, "+Inf") == 0 ||
	    strcmp(p, "-Inf") == 0) {
		*value = NAN;
		return 0;
	}
	errno = 0;
	*value = strtod(p, &end);
	if (end == p || errno)
		goto bad;
	if (*end == ' ') { /* optional timestamp: an integer */
		p = end + 1;
		if (*p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
		end = (char *)p;
	}
	if (*end)
		goto bad;
	return 0;
bad:
	free(*wanted);
	*wanted = NULL;
	return -1;
}

static bool
is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncmp(name, want, nlen) == 0;
}

int
vr_metrics_parse(struct vr_metrics *m, const char *text)
{
	double rec[NRESULTS] = { 0 }, drift = 0, last = 0, v;
	char *copy = vr_strdup(text), *line, *save = NULL, *lbl, *rev = NULL;
	const char *name;
	size_t nlen, lineno = 0;
	int r, rc = 0;

	for (line = strtok_r(copy, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#') {
			if (strncmp(line, "# HELP ", 7) != 0 &&
			    strncmp(line, "# TYPE ", 7) != 0 && line[1] != ' ')
				goto bad;
			continue;
		}
		if (parse_sample(line, &name, &nlen, "result", &lbl, &v) < 0)
			goto bad;
		if (is(name, nlen, "vmrecon_reconcile_total")) {
			for (r = 0; r < NRESULTS; r++)
				if (lbl && strcmp(lbl,
				    vr_result_name((enum vr_result)r)) == 0)
					break;
			if (r == NRESULTS || !(v >= 0) || isinf(v)) {
				free(lbl);
				goto bad;
			}
			rec[r] = v;
		}
		free(lbl);
		if (is(name, nlen, "vmrecon_drift_total")) {
			if (!(v >= 0) || isinf(v))
				goto bad;
			drift = v;
		}
		if (is(name, nlen, "vmrecon_last_success_timestamp_seconds"))
			last = isnan(v) ? 0 : v;
		if (is(name, nlen, "vmrecon_applied_revision_info")) {
			free(rev);
			if (parse_sample(line, &name, &nlen, "revision", &rev,
			    &v) < 0 || !rev)
				goto bad;
		}
	}
	memcpy(m->reconciles, rec, sizeof(rec));
	m->drift = drift;
	m->last_success = last;
	free(m->revision);
	m->revision = rev;
	rev = NULL;
	goto out;
bad:
	rc = vr_error_set(VR_EINVALID, "line %zu is not valid Prometheus "
	    "text format", lineno);
out:
	free(rev);
	free(copy);
	return rc;
}

void
vr_metrics_open(struct vr_metrics **out, const char *path)
{
	struct vr_metrics *m = vr_calloc(1, sizeof(*m));
	char *text = NULL;
	size_t len;
	int rc;

	m->path = vr_strdup(path);
	rc = vr_file_read(&text, &len, path, METRICS_MAX);
	if (rc == 0 && (strlen(text) != len || vr_metrics_parse(m, text) < 0))
		fprintf(stderr, "vmrecon: warning: metrics file '%s': %s; its "
		    "counters start again from 0\n", path, strlen(text) != len ?
		    "holds NUL bytes" : vr_error_msg());
	else if (rc < 0 && rc != VR_ENOTFOUND)
		fprintf(stderr, "vmrecon: warning: metrics file '%s': %s\n",
		    path, vr_error_msg());
	free(text);
	vr_error_clear();
	*out = m;
}

void
vr_metrics_free(struct vr_metrics *m)
{
	if (!m)
		return;
	vm_list_clear(&m->vms);
	vm_list_clear(&m->pass);
	free(m->revision);
	free(m->host);
	free(m->path);
	free(m);
}

void
vr_metrics_set_host(struct vr_metrics *m, const char *host)
{
	free(m->host);
	m->host = host ? vr_strdup(host) : NULL;
}

void
vr_metrics_pass_begin(struct vr_metrics *m)
{
	vm_list_clear(&m->pass);
}

void
vr_metrics_count(struct vr_metrics *m, enum vr_result result, size_t n)
{
	if ((unsigned)result < NRESULTS)
		m->reconciles[result] += (double)n;
}

void
vr_metrics_on_vm(void *ctx, const struct vr_vm_event *ev)
{
	struct vr_metrics *m = ctx;
	struct vm_values *v;
	const struct vr_vm_spec *s = ev->spec;
	size_t i;

	vr_metrics_count(m, ev->result, 1);
	if (ev->changes)
		m->drift += 1;
	m->pass.v = vr_grow(m->pass.v, m->pass.n, sizeof(*v));
	v = &m->pass.v[m->pass.n++];
	memset(v, 0, sizeof(*v));
	v->name = vr_strdup(ev->vm);
	v->pending = (long long)ev->pending;
	if (ev->gate && ev->gate->held) {
		v->window_next = ev->gate->until;
	} else if (ev->gate && ev->gate->windowed && s) {
		struct vr_window_state st;

		if (vr_windows_eval(&st, s->windows, s->nwindows,
		    (int64_t)time(NULL)) == 0)
			v->window_next = st.next_start;
	}
	for (i = 0; i < NFIELDS; i++) {
		const struct vr_field_desc *f = &vr_fields[i];
		struct vr_value x;

		if (!f->metric)
			continue;
		if (s) {
			f->get(s, &x);
			v->has_desired[i] = x.kind != VR_VALUE_NONE;
			v->desired[i] = vr_value_gauge(&x);
			vr_value_clear(&x);
		}
		if (ev->live) {
			f->live(ev->live, &x);
			v->live[i] = vr_value_gauge(&x);
			vr_value_clear(&x);
		}
	}
	/* the event has the VM as observed before applying: add what the
	 * backend applied (the reconcile verified it by observing again) */
	for (i = 0; ev->change && i < ev->changes; i++) {
		const struct vr_change *c = &ev->change[i];

		if (!c->applied)
			continue;
		if ((unsigned)c->field < NFIELDS)
			v->live[c->field] = vr_value_gauge(&c->to);
	}
}

/* Append a label value with the format's escapes. */
static void
put_label(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '"')
			fputs("\\\"", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			fputc(*s, fp);
	}
}

static void
head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Start a sample line: the name, and the host label when there is one;
 * with `more` the line goes on with other labels and their closing brace,
 * without it with the value. */
static void
sample(FILE *fp, const struct vr_metrics *m, const char *name, bool more)
{
	fputs(name, fp);
	if (m->host) {
		fputs("{host=\"", fp);
		put_label(fp, m->host);
		fputs(more ? "\"," : "\"}", fp);
	} else if (more) {
		fputc('{', fp);
	}
}

char *
vr_metrics_render(const struct vr_metrics *m)
{
	char *buf = NULL;
	size_t len = 0, i;
	int r, f;
	FILE *fp = open_memstream(&buf, &len);

	if (!fp)
		abort();
	head(fp, "vmrecon_reconcile_total", "counter",
	    "VM reconciles by result.");
	for (r = 0; r < NRESULTS; r++) {
		sample(fp, m, "vmrecon_reconcile_total", true);
		fprintf(fp, "result=\"%s\"} %.0f\n",
		    vr_result_name((enum vr_result)r), m->reconciles[r]);
	}
	head(fp, "vmrecon_drift_total", "counter",
	    "VMs found differing from their desired state.");
	sample(fp, m, "vmrecon_drift_total", false);
	fprintf(fp, " %.0f\n", m->drift);
	head(fp, "vmrecon_last_success_timestamp_seconds", "gauge",
	    "When a pass last ended without error (0: never).");
	sample(fp, m, "vmrecon_last_success_timestamp_seconds", false);
	fprintf(fp, " %.3f\n", m->last_success);
	head(fp, "vmrecon_last_reconcile_duration_seconds", "gauge",
	    "How long the last pass took.");
	sample(fp, m, "vmrecon_last_reconcile_duration_seconds", false);
	fprintf(fp, " %.6f\n", m->duration);
	if (m->revision) {
		head(fp, "vmrecon_applied_revision_info", "gauge",
		    "The revision of the desired state last applied.");
		sample(fp, m, "vmrecon_applied_revision_info", true);
		fputs("revision=\"", fp);
		put_label(fp, m->revision);
		fputs("\"} 1\n", fp);
	}
	if (m->vms.n) {
		head(fp, "vmrecon_desired", "gauge",
		    "Desired value of each managed field (gpuCount 0: none).");
		for (i = 0; i < m->vms.n; i++)
			for (f = 0; f < NFIELDS; f++) {
				if (!vr_fields[f].metric ||
				    !m->vms.v[i].has_desired[f])
					continue;
				sample(fp, m, "vmrecon_desired", true);
				fputs("vm=\"", fp);
				put_label(fp, m->vms.v[i].name);
				fprintf(fp, "\",field=\"%s\"} %lld\n",
				    vr_fields[f].metric,
				    m->vms.v[i].desired[f]);
			}
		head(fp, "vmrecon_live", "gauge",
		    "Live value of each field after the last pass.");
		for (i = 0; i < m->vms.n; i++)
			for (f = 0; f < NFIELDS; f++) {
				if (!vr_fields[f].metric)
					continue;
				sample(fp, m, "vmrecon_live", true);
				fputs("vm=\"", fp);
				put_label(fp, m->vms.v[i].name);
				fprintf(fp, "\",field=\"%s\"} %lld\n",
				    vr_fields[f].metric, m->vms.v[i].live[f]);
			}
		head(fp, "vmrecon_restart_pending", "gauge",
		    "Changes left pending for a restart (restartPolicy Never, "
		    "or outside restartWindows).");
		for (i = 0; i < m->vms.n; i++) {
			sample(fp, m, "vmrecon_restart_pending", true);
			fputs("vm=\"", fp);
			put_label(fp, m->vms.v[i].name);
			fprintf(fp, "\"} %lld\n", m->vms.v[i].pending);
		}
		for (i = 0, f = 0; i < m->vms.n; i++) {
			if (!m->vms.v[i].window_next)
				continue;
			if (!f++)
				head(fp, WINDOW_METRIC, "gauge", "When the VM's "
				    "next restart window opens (unix seconds).");
			sample(fp, m, WINDOW_METRIC, true);
			fputs("vm=\"", fp);
			put_label(fp, m->vms.v[i].name);
			fprintf(fp, "\"} %lld\n", m->vms.v[i].window_next);
		}
	}
	fclose(fp);
	return buf;
}

int
vr_metrics_pass_end(struct vr_metrics *m, bool ok,
    const char *applied_revision, double seconds)
{
	struct timespec ts;
	char *text;
	int rc;

	if (m->pass.n) { /* a pass that reached no VM keeps the old values */
		vm_list_clear(&m->vms);
		m->vms = m->pass;
		memset(&m->pass, 0, sizeof(m->pass));
	}
	m->duration = seconds;
	if (ok) {
		clock_gettime(CLOCK_REALTIME, &ts);
		m->last_success = (double)ts.tv_sec +
		    (double)(ts.tv_nsec / 1000000) / 1e3;
	}
	if (applied_revision) {
		free(m->revision);
		m->revision = vr_strdup(applied_revision);
	}
	text = vr_metrics_render(m);
	rc = vr_file_write_atomic(m->path, text, strlen(text), 0644);
	if (rc < 0)
		vr_error_wrap(rc, "metrics file '%s'", m->path);
	free(text);
	return rc;
}
