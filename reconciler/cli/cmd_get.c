/*
 * cmd_get.c - `vmrecon get`: write live VMs as desired-state documents, to
 * adopt running VMs into Git (as `kubectl get -o yaml` or `terraform
 * import`).  What is printed validates, and `diff` of it against the same VM
 * finds nothing to do.
 *
 * YAML goes through libyaml's emitter, so any GPU name is quoted correctly;
 * only the comments are written by hand, outside the emitted nodes.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "../../schema/field.h"
#include "../../schema/util/error.h"
#include "cmd.h"
#include "options.h"
#include "../engine/render.h"

struct out_buf {
	char *p;
	size_t n, cap;
};

static int
out_write(void *data, unsigned char *buf, size_t size)
{
	struct out_buf *o = data;

	if (o->n + size + 1 > o->cap) {
		o->cap = (o->n + size + 1) * 2;
		o->p = vr_realloc(o->p, o->cap);
	}
	memcpy(o->p + o->n, buf, size);
	o->n += size;
	o->p[o->n] = '\0';
	return 1;
}

static int
emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int
emit_scalar(yaml_emitter_t *e, const char *s, bool plain_ok)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), plain_ok, plain_ok, plain_ok ? YAML_ANY_SCALAR_STYLE :
	    YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return emit(e, &ev);
}

static int
emit_int(yaml_emitter_t *e, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return emit_scalar(e, buf, true);
}

static int
emit_map(yaml_emitter_t *e, bool start)
{
	yaml_event_t ev;

	if (start)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_mapping_end_event_initialize(&ev);
	return emit(e, &ev);
}

/* One field's value as its spec writes it (field.h). */
static int
emit_value(yaml_emitter_t *e, const struct vr_field_desc *f,
    const struct vr_value *v)
{
	yaml_event_t ev;
	size_t i;

	switch (v->kind) {
	case VR_VALUE_INT:
		return emit_int(e, v->i);
	case VR_VALUE_ENUM:
		return emit_scalar(e, f->names[v->i], true);
	case VR_VALUE_GPU:
		if (v->gpu.count == 0)
			return emit_scalar(e, "none", true);
		return emit_map(e, true) < 0 ||
		    emit_scalar(e, "name", true) < 0 ||
		    emit_scalar(e, v->gpu.name, true) < 0 ||
		    emit_scalar(e, "passthroughType", true) < 0 ||
		    emit_scalar(e, vr_gpu_type_name(v->gpu.type), true) < 0 ||
		    emit_scalar(e, "count", true) < 0 ||
		    emit_int(e, v->gpu.count) < 0 ||
		    emit_map(e, false) < 0 ? -1 : 0;
	case VR_VALUE_INT_LIST:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_FLOW_SEQUENCE_STYLE);
		if (emit(e, &ev) < 0)
			return -1;
		for (i = 0; i < v->list.n; i++)
			if (emit_int(e, v->list.v[i]) < 0)
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return emit(e, &ev);
	case VR_VALUE_WINDOWS: /* a policy: never in a spec made from live */
	case VR_VALUE_NONE:
		break;
	}
	return -1;
}

/* Emit one VirtualMachine document for `r` (a record-shaped spec). */
static int
emit_doc(struct out_buf *o, const struct vr_vm_spec *r)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	struct vr_value v;
	size_t i;
	bool bad;
	int rc = -1;

	if (!yaml_emitter_initialize(&e))
		return -1;
	yaml_emitter_set_output(&e, out_write, o);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(&e, &ev) < 0)
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
	if (emit(&e, &ev) < 0 || emit_map(&e, true) < 0 ||
	    emit_scalar(&e, "apiVersion", true) < 0 ||
	    emit_scalar(&e, VR_API_VERSION, true) < 0 ||
	    emit_scalar(&e, "kind", true) < 0 ||
	    emit_scalar(&e, VR_KIND, true) < 0 ||
	    emit_scalar(&e, "metadata", true) < 0 || emit_map(&e, true) < 0 ||
	    emit_scalar(&e, "name", true) < 0 ||
	    emit_scalar(&e, r->name, true) < 0 || emit_map(&e, false) < 0 ||
	    emit_scalar(&e, "spec", true) < 0 || emit_map(&e, true) < 0)
		goto out;
	for (i = 0; i < VR_FIELD__COUNT; i++) {
		vr_fields[i].get(r, &v);
		bad = v.kind != VR_VALUE_NONE && (emit_scalar(&e,
		    vr_fields[i].key, true) < 0 ||
		    emit_value(&e, &vr_fields[i], &v) < 0);
		vr_value_clear(&v);
		if (bad)
			goto out;
	}
	if (emit_map(&e, false) < 0 || emit_map(&e, false) < 0)
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (emit(&e, &ev) < 0)
		goto out;
	yaml_stream_end_event_initialize(&ev);
	if (emit(&e, &ev) < 0 || !yaml_emitter_flush(&e))
		goto out;
	rc = 0;
out:
	if (rc < 0)
		vr_error_set(VR_ERROR, "cannot write YAML: %s",
		    e.problem ? e.problem : "emitter error");
	yaml_emitter_delete(&e);
	return rc;
}

/* Append `s` to a comment: control characters (from the host) as \xNN, so
 * a name never ends the comment line. */
static void
comment_text(struct out_buf *o, const char *s)
{
	char esc[8];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			out_write(o, (unsigned char *)esc, strlen(esc));
		} else {
			out_write(o, &c, 1);
		}
	}
}

/* The note for a GPU the backend cannot name (or cannot even count):
 * what applying this file does with it, and how to declare it. */
static void
unknown_gpu_comment(struct out_buf *o, const struct vr_vm_live *l,
    const struct vr_host *h)
{
	char *s;
	size_t i;

	if (l->gpu_unknown)
		s = vr_strdup("  # gpu: this backend cannot see whether the VM "
		    "has a GPU, so 'gpu' is\n");
	else
		s = vr_asprintf("  # gpu: the VM has %d GPU%s, but this backend "
		    "cannot tell which, so 'gpu' is\n", l->gpu.count,
		    l->gpu.count == 1 ? "" : "s");
	out_write(o, (unsigned char *)s, strlen(s));
	free(s);
	s = vr_strdup("  # left out.  This file changes nothing as it is, but "
	    "vmrecon refuses to\n  # change this VM while 'gpu' is left out "
	    "(EFLOW's Set-EflowVM removes a GPU\n  # it is not given).  "
	    "Declare the GPU the VM uses, or write 'gpu: none'.\n"
	    "  # The host's GPUs (one assigned by DirectDeviceAssignment may "
	    "be missing):");
	out_write(o, (unsigned char *)s, strlen(s));
	free(s);
	for (i = 0; i < h->ngpus; i++) {
		out_write(o, (unsigned char *)(i ? ", '" : " '"), i ? 3 : 2);
		comment_text(o, h->gpus[i].name);
		out_write(o, (unsigned char *)"'", 1);
	}
	s = vr_asprintf("%s\n  # gpu:\n  #   name: <the GPU's name>\n"
	    "  #   passthroughType: DirectDeviceAssignment  # or "
	    "ParaVirtualization\n  #   count: %d\n", h->ngpus ? "" : " none",
	    l->gpu.count ? l->gpu.count : 1);
	out_write(o, (unsigned char *)s, strlen(s));
	free(s);
}

/* Classify a change of field f to `to` on this VM: 0 live, 1 restart,
 * 2 manual (no backend action makes it). */
static int
probe(struct vr_backend *b, const struct vr_vm_live *l,
    const struct vr_field_desc *f, int64_t to)
{
	struct vr_change c;
	int kind = 0;

	memset(&c, 0, sizeof(c));
	c.field = f->id;
	c.action = VR_ACTION_UPDATE;
	f->live(l, &c.from);
	c.to = c.from;
	c.to.i = to;
	if (vr_backend_classify(b, l, &c) == 0 && c.mode == VR_MODE_RESTART)
		kind = c.manual ? 2 : 1;
	vr_change_clear(&c);
	return kind;
}

/* What restartPolicy means for this VM on this backend, in one line: which
 * changes of cpuCount and memoryInMB the backend would make only with a
 * restart (asked of its classify with a change of each: twice the value
 * now, and the field's bound, beyond any VM's limits), and whether a
 * restart is something it can do at all (qemu: no, another QEMU command
 * line is the operator's), so the comment says what Never and IfNeeded
 * will do. */
static char *
restart_comment(struct vr_backend *b, const struct vr_vm_live *l)
{
	char need[64] = "";
	bool manual = false, beyond_manual = false;
	size_t i;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];
		struct vr_value v;
		int k;

		if (!f->reconciled || f->kind != VR_VALUE_INT ||
		    !(vr_backend_fields(b) & VR_FIELD_BIT(f->id)))
			continue;
		f->live(l, &v);
		k = probe(b, l, f, v.i * 2);
		vr_value_clear(&v);
		if (k)
			snprintf(need + strlen(need), sizeof(need) -
			    strlen(need), "%s%s", need[0] ? " and " : "",
			    f->key);
		manual |= k == 2;
		beyond_manual |= probe(b, l, f, f->max) == 2;
	}
	vr_error_clear();
	if (manual)
		return vr_asprintf("  # on %s a change of %s needs another "
		    "command line, which vmrecon cannot give it: Never leaves "
		    "it pending, IfNeeded refuses the VM (restart it yourself "
		    "as diff says)\n", vr_backend_kind(b), need);
	if (!need[0] && beyond_manual)
		return vr_asprintf("  # %s changes cpuCount and memoryInMB "
		    "live within the limits the VM was started with; beyond "
		    "them it needs another command line, which vmrecon cannot "
		    "give it: Never leaves such a change pending, IfNeeded "
		    "refuses the VM\n", vr_backend_kind(b));
	if (!need[0])
		return vr_asprintf("  # %s changes cpuCount and memoryInMB "
		    "live; IfNeeded lets apply restart the VM for the rest\n",
		    vr_backend_kind(b));
	return vr_asprintf("  # on %s a change of %s needs a restart: Never "
	    "leaves it pending, IfNeeded lets apply restart the VM once\n",
	    vr_backend_kind(b), need);
}

int
cmd_get(int argc, char **argv)
{
	struct vr_statedir *sd = NULL;
	struct vr_backend *b = NULL;
	struct vr_host host;
	struct vr_cli_common c;
	struct vr_opts p;
	struct out_buf o = { NULL, 0, 0 };
	json_t *items = json_array();
	bool record = false, yaml = true;
	char **names = NULL, now[32];
	size_t i, n = 0;
	time_t t = time(NULL);
	struct tm tm;
	int rc, code = VR_EXIT_ERROR;

	memset(&host, 0, sizeof(host));
	vr_cli_common_init(&c);
	vr_opts_init(&p, "get", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0) {
		if (rc == VR_OPT_OUTPUT) /* the yaml|json row */
			yaml = strcmp(p.arg, "yaml") == 0;
		else if (rc == VR_OPT_RECORD)
			record = true;
		else
			vr_cli_common_option(&c, &p);
	}
	if (rc < 0) {
		code = vr_opts_exit(rc);
		if (code == VR_EXIT_ERROR && vr_cli_wants_json(argc, argv))
			yaml = false;
		goto out;
	}
	if (vr_cli_settle(&c) < 0)
		goto out;
	/* without --record get writes nothing: no dir, no sim file */
	c.read_only = !record;
	rc = vr_statedir_open(&sd, c.state_dir, record);
	if ((rc < 0 && !(rc == VR_ENOTFOUND && !record)) ||
	    vr_cli_backend_open(&b, &c) < 0 || vr_backend_host(b, &host) < 0) {
		vr_cli_error("%s", vr_error_msg());
		goto out;
	}
	if (record)
		vr_statedir_pass_begin(sd);
	if (p.ind == argc) {
		if (vr_backend_list(b, &names, &n) < 0) {
			vr_cli_error("%s", vr_error_msg());
			goto out;
		}
	} else {
		n = (size_t)(argc - p.ind);
		names = vr_calloc(n, sizeof(*names));
		for (i = 0; i < n; i++)
			names[i] = vr_strdup(argv[p.ind + (int)i]);
	}
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 0; i < n; i++) {
		struct vr_vm_spec rec, out;
		struct vr_vm_live live;
		bool has_rec;

		rc = sd ? vr_statedir_record_get(sd, names[i], &rec) :
		    VR_ENOTFOUND;
		if (rc < 0 && rc != VR_ENOTFOUND) {
			vr_cli_error("%s", vr_error_msg());
			goto out;
		}
		has_rec = rc == 0;
		rc = vr_backend_observe(b, names[i], has_rec ? &rec : NULL,
		    &live);
		/* records are kept under the VM's own name (EFLOW: any case) */
		if (rc == 0 && !has_rec && strcmp(live.name, names[i]) != 0) {
			rc = sd ? vr_statedir_record_get(sd, live.name, &rec) :
			    VR_ENOTFOUND;
			has_rec = rc == 0;
			if (rc == 0) {
				vr_vm_live_clear(&live);
				rc = vr_backend_observe(b, names[i], &rec,
				    &live);
			} else if (rc == VR_ENOTFOUND)
				rc = 0;
		}
		if (rc < 0) {
			vr_cli_error("%s", vr_error_msg());
			if (has_rec)
				vr_vm_spec_clear(&rec);
			goto out;
		}
		/* only what is known: an unnamed GPU stays unmanaged */
		vr_vm_spec_from_live(&out, live.name, &live,
		    vr_backend_fields(b));
		if (yaml) {
			char *hdr = vr_asprintf("# %s on %s, observed %s by "
			    "vmrecon get\n", live.name, vr_backend_desc(b), now);

			out_write(&o, (unsigned char *)hdr, strlen(hdr));
			free(hdr);
			rc = emit_doc(&o, &out);
			/* drop the emitter's "...\n"; comments follow the
			 * last key, restartPolicy */
			if (rc == 0 && o.n >= 4 && strcmp(o.p + o.n - 4,
			    "...\n") == 0)
				o.n -= 4;
			if (rc == 0 && live.name_from_target) {
				char *cm = vr_asprintf("  # this %s VM has no "
				    "name of its own; vmrecon calls it '%s' "
				    "after %s: start it with -name %s to keep "
				    "that name if the target moves\n",
				    vr_backend_kind(b), live.name,
				    vr_backend_desc(b), live.name);

				out_write(&o, (unsigned char *)cm, strlen(cm));
				free(cm);
			}
			if (rc == 0) {
				char *cm = restart_comment(b, &live);

				out_write(&o, (unsigned char *)cm, strlen(cm));
				free(cm);
			}
			if (rc == 0 && (live.gpu.count || live.gpu_unknown) &&
			    out.gpu_want == VR_GPU_UNMANAGED)
				unknown_gpu_comment(&o, &live, &host);
		} else {
			json_array_append_new(items, vr_render_vm_json(&out));
			rc = 0;
		}
		if (rc == 0 && record && vr_statedir_record_put(sd, &out) < 0)
			rc = -1;
		vr_vm_spec_clear(&out);
		vr_vm_live_clear(&live);
		if (has_rec)
			vr_vm_spec_clear(&rec);
		if (rc < 0) {
			vr_cli_error("%s", vr_error_msg());
			goto out;
		}
	}
	if (record && vr_statedir_pass_end(sd) < 0) {
		vr_cli_error("%s", vr_error_msg());
		goto out;
	}
	if (yaml) {
		if (o.n)
			fwrite(o.p, 1, o.n, stdout);
	} else {
		json_t *doc = json_array_size(items) == 1 ?
		    json_incref(json_array_get(items, 0)) :
		    json_pack("{s:s, s:s, s:O}", "apiVersion", VR_API_VERSION,
		    "kind", "List", "items", items);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	}
	code = 0;
out:
	/* -o json: a document even on failure, with the error */
	if (!yaml && code == VR_EXIT_ERROR)
		vr_cli_json_out(stdout, "", 0, vr_cli_last_error(), "{"
		    "\"apiVersion\": \"" VR_API_VERSION "\", \"kind\": \"List\", "
		    "\"items\": []}");
	json_decref(items);
	free(o.p);
	vr_strv_free(names, n);
	vr_host_clear(&host);
	vr_backend_free(b);
	vr_statedir_free(sd);
	vr_cli_common_clear(&c);
	return code;
}
