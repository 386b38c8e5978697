/* test_ops.c - unit tests of the operations modules: HMAC signatures,
 * the metrics text and its strict read-back, commit-status requests, URL
 * and secret checks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../reconciler/report/commitstatus.h"
#include "../../reconciler/report/metrics.h"
#include "../../reconciler/report/notify.h"
#include "../../reconciler/cli/ops.h"
#include "../../reconciler/gitops/source_http.h"
#include "../../schema/util/error.h"
#include "unit.h"

TEST(test_notify__hmac_rfc4231_case2)
{
	const char *data = "what do ya want for nothing?";
	char *sig = vr_notify_signature("Jefe", 4, data, strlen(data));

	CHECK_STR(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d27"
	    "39839dec58b964ec3843");
	free(sig);
}

static void
event(struct vr_metrics *m, const char *vm, enum vr_result r,
    size_t changes)
{
	struct vr_vm_spec spec;
	struct vr_vm_live live;
	struct vr_change ch;
	struct vr_vm_event ev;

	memset(&spec, 0, sizeof(spec));
	memset(&live, 0, sizeof(live));
	memset(&ch, 0, sizeof(ch));
	memset(&ev, 0, sizeof(ev));
	spec.has_cpu_count = true;
	spec.cpu_count = 4;
	spec.gpu_want = VR_GPU_NONE;
	live.cpu_count = 2;
	live.memory_mb = 2048;
	ch.field = VR_FIELD_CPU_COUNT;
	ch.from.kind = ch.to.kind = VR_VALUE_INT;
	ch.from.i = 2;
	ch.to.i = 4;
	ch.applied = r == VR_RESULT_CONVERGED;
	ev.vm = vm;
	ev.result = r;
	ev.changes = changes;
	ev.change = changes ? &ch : NULL;
	ev.spec = &spec;
	ev.live = &live;
	vr_metrics_on_vm(m, &ev);
}

TEST(test_metrics__render_escape_and_read_back)
{
	const char *dir = unit_tmpdir();
	char *path = vr_asprintf("%s/m.prom", dir), *text;
	struct vr_metrics *m, *m2;

	vr_metrics_open(&m, path);
	vr_metrics_pass_begin(m);
	event(m, "a\"b\\c\nd", VR_RESULT_CONVERGED, 1);
	CHECK_INT(vr_metrics_pass_end(m, true, "rev\"1", 0.5), 0);
	text = vr_metrics_render(m);
	CHECK_CONTAINS(text, "vmrecon_desired{vm=\"a\\\"b\\\\c\\nd\","
	    "field=\"cpuCount\"} 4\n");
	CHECK_CONTAINS(text, "vmrecon_desired{vm=\"a\\\"b\\\\c\\nd\","
	    "field=\"gpuCount\"} 0\n");
	CHECK(strstr(text, "field=\"memoryInMB\"} 0\nvmrecon_live") == NULL);
	CHECK_CONTAINS(text, "vmrecon_live{vm=\"a\\\"b\\\\c\\nd\","
	    "field=\"cpuCount\"} 4\n"); /* applied: live after apply */
	CHECK_CONTAINS(text, "vmrecon_applied_revision_info{revision="
	    "\"rev\\\"1\"} 1\n");
	CHECK_CONTAINS(text, "vmrecon_reconcile_total{result=\"converged\"} "
	    "1\n");
	CHECK_CONTAINS(text, "vmrecon_drift_total 1\n");
	free(text);

	/* a second process carries the counters on */
	vr_metrics_open(&m2, path);
	vr_metrics_pass_begin(m2);
	event(m2, "x", VR_RESULT_DRIFTED, 1);
	vr_metrics_count(m2, VR_RESULT_FAILED, 2);
	CHECK_INT(vr_metrics_pass_end(m2, false, NULL, 0.1), 0);
	text = vr_metrics_render(m2);
	CHECK_CONTAINS(text, "{result=\"converged\"} 1\n");
	CHECK_CONTAINS(text, "{result=\"drifted\"} 1\n");
	CHECK_CONTAINS(text, "{result=\"failed\"} 2\n");
	CHECK_CONTAINS(text, "vmrecon_drift_total 2\n");
	CHECK_CONTAINS(text, "revision=\"rev\\\"1\"} 1\n"); /* kept */
	CHECK_CONTAINS(text, "vmrecon_live{vm=\"x\",field=\"cpuCount\"} 2\n");
	free(text);
	vr_metrics_free(m);
	vr_metrics_free(m2);
	free(path);
}

TEST(test_metrics__parse_is_strict)
{
	static const char *const bad[] = {
		"vmrecon_drift_total oops\n",
		"vmrecon_drift_total -1\n",
		"vmrecon_reconcile_total{result=\"nope\"} 1\n",
		"vmrecon_reconcile_total{result=\"failed} 1\n",
		"vmrecon_reconcile_total{result=\"a\\q\"} 1\n",
		"vmrecon_drift_total  1\n",
		"vmrecon_drift_total 1 2 3\n",
		"#bad comment\n",
		"9metric 1\n",
		"vmrecon_applied_revision_info{x=\"y\"} 1\n",
	};
	struct vr_metrics *m;
	size_t i;
	char *path = vr_asprintf("%s/none.prom", unit_tmpdir());

	vr_metrics_open(&m, path);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(vr_metrics_parse(m, bad[i]) == VR_EINVALID);
	CHECK_INT(vr_metrics_parse(m, "# HELP x y\n# TYPE x gauge\n"
	    "x{a=\"b\",c=\"d\\\"\"} 1.5e3 1700000000000\n"
	    "vmrecon_drift_total 3\n\n"), 0);
	vr_metrics_free(m);
	free(path);
}

TEST(test_commitstatus__repo_urls)
{
	char *base, *repo;

	CHECK_INT(vr_commit_status_from_repo_url(&base, &repo, VR_CS_GITHUB,
	    "https://github.com/acme/fleet.git"), 0);
	CHECK_STR(base, "https://api.github.com");
	CHECK_STR(repo, "acme/fleet");
	free(base);
	free(repo);
	CHECK_INT(vr_commit_status_from_repo_url(&base, &repo, VR_CS_GITEA,
	    "ssh://git@gitea.example:2222/ops/hosts.git"), 0);
	CHECK_STR(base, "https://gitea.example/api/v1");
	CHECK_STR(repo, "ops/hosts");
	free(base);
	free(repo);
	CHECK_INT(vr_commit_status_from_repo_url(&base, &repo, VR_CS_GITLAB,
	    "git@gitlab.example:group/sub/proj.git"), 0);
	CHECK_STR(base, "https://gitlab.example/api/v4");
	CHECK_STR(repo, "group/sub/proj");
	free(base);
	free(repo);
	CHECK_INT(vr_commit_status_from_repo_url(&base, &repo, VR_CS_GITHUB,
	    "https://ghe.example:8443/a/b"), 0);
	CHECK_STR(base, "https://ghe.example:8443/api/v3");
	free(base);
	free(repo);
	CHECK(vr_commit_status_from_repo_url(&base, &repo, VR_CS_GITHUB,
	    "/srv/git/fleet.git") == VR_EINVALID);
	CHECK(vr_commit_status_from_repo_url(&base, &repo, VR_CS_GITHUB,
	    "https://github.com/a/../b") == VR_EINVALID);
}

TEST(test_commitstatus__request_shapes)
{
	const char *dir = unit_tmpdir();
	const char *tok = unit_write(dir, "token", "t0k\n");
	struct vr_commit_status_options o;
	struct vr_commit_status *cs;
	char *url, *body, long_desc[300];
	const char *sha = "0123456789abcdef0123456789abcdef01234567";

	memset(&o, 0, sizeof(o));
	o.provider = VR_CS_GITEA;
	o.repo_url = "https://gitea.example/ops/hosts";
	o.token_file = tok;
	o.context = "vmrecon/h1";
	CHECK_INT(vr_commit_status_new(&cs, &o), 0);
	CHECK_INT(vr_commit_status_request(&url, &body, cs, sha,
	    VR_CS_FAILURE, "x"), 0);
	CHECK_STR(url, "https://gitea.example/api/v1/repos/ops/hosts/"
	    "statuses/0123456789abcdef0123456789abcdef01234567");
	CHECK_STR(body, "{\"state\":\"failure\",\"context\":\"vmrecon/h1\","
	    "\"description\":\"x\"}");
	free(url);
	free(body);
	memset(long_desc, 'a', sizeof(long_desc) - 1);
	long_desc[sizeof(long_desc) - 1] = '\0';
	CHECK_INT(vr_commit_status_request(&url, &body, cs, sha,
	    VR_CS_PENDING, long_desc), 0);
	CHECK(strlen(body) < 200);
	free(url);
	free(body);
	CHECK(vr_commit_status_request(&url, &body, cs, "main",
	    VR_CS_PENDING, NULL) == VR_EINVALID);
	vr_commit_status_free(cs);

	o.provider = VR_CS_GITLAB;
	o.repo_url = NULL;
	o.base_url = "https://gitlab.example/api/v4/";
	o.repo = "g/p";
	CHECK_INT(vr_commit_status_new(&cs, &o), 0);
	CHECK_INT(vr_commit_status_request(&url, &body, cs, sha,
	    VR_CS_PENDING, "applying"), 0);
	CHECK_STR(url, "https://gitlab.example/api/v4/projects/g%2Fp/"
	    "statuses/0123456789abcdef0123456789abcdef01234567");
	CHECK_CONTAINS(body, "\"state\":\"running\"");
	CHECK_CONTAINS(body, "\"name\":\"vmrecon/h1\"");
	free(url);
	free(body);
	vr_commit_status_free(cs);

	o.token_file = NULL;
	CHECK(vr_commit_status_new(&cs, &o) == VR_EINVALID);
	o.token_file = tok;
	o.base_url = "http://gitlab.example/api/v4";
	CHECK(vr_commit_status_new(&cs, &o) == VR_EINVALID);
}

TEST(test_http__url_and_secret_checks)
{
	const char *dir = unit_tmpdir();
	char *s = NULL;

	CHECK_INT(vr_http_url_check("https://h.example/x.yaml"), 0);
	CHECK(vr_http_url_check("http://h.example/x.yaml") == VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "plain http is refused");
	CHECK(vr_http_url_check("ftp://h.example/x") == VR_EINVALID);
	CHECK(vr_http_url_check("https://u:p@h.example/x") == VR_EINVALID);
	CHECK(vr_http_is_url("https://x/y"));
	CHECK(!vr_http_is_url("hosts/x.yaml"));
	CHECK(!vr_http_is_url("-"));

	CHECK_INT(vr_http_secret_read(&s, unit_write(dir, "ok", "abc\n"),
	    "token"), 0);
	CHECK_STR(s, "abc");
	free(s);
	CHECK(vr_http_secret_read(&s, unit_write(dir, "two", "a\nb\n"),
	    "token") == VR_EINVALID);
	CHECK(vr_http_secret_read(&s, unit_write(dir, "empty", "\n"),
	    "token") == VR_EINVALID);
	CHECK(vr_http_secret_read(&s, unit_write(dir, "crlf", "a\rX: y\n"),
	    "token") == VR_EINVALID);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(test_notify__poster_queue_is_bounded_and_exit_is_quick)
{
	const char *hdr[] = { "Content-Type: application/json" };
	struct vr_poster *p;
	size_t i, sent, failed, dropped;
	double t0;

	/* port 1 on loopback refuses at once: every attempt fails */
	CHECK_INT(vr_poster_new(&p, NULL), 0);
	for (i = 0; i < 100; i++)
		vr_poster_enqueue(p, "https://127.0.0.1:1/x", hdr, 1, "{}",
		    NULL);
	t0 = now_s();
	vr_poster_stats(p, &sent, &failed, &dropped);
	CHECK(dropped >= 100 - VR_POSTER_QUEUE_MAX - 1);
	CHECK_INT(sent, 0);
	vr_poster_free(p, 200);
	CHECK(now_s() - t0 < 1.5);
}

TEST(test_notify__a_standing_problem_is_notified_once)
{
	struct vr_notify *n;
	struct vr_vm_event ev;
	struct vr_poster *p;

	CHECK_INT(vr_notify_new(&n, "https://127.0.0.1:1/hook", NULL, NULL),
	    0);
	p = vr_notify_poster(n);
	memset(&ev, 0, sizeof(ev));
	ev.vm = "edge-01";
	ev.revision = "blob:1";
	ev.result = VR_RESULT_DRIFTED;
	ev.changes = 1;
	ev.message = "drift";
	vr_notify_on_vm(n, &ev);
	vr_notify_on_vm(n, &ev);              /* same drift: once */
	CHECK_INT(vr_poster_enqueued(p), 1);
	ev.changes = 2;                       /* more drift: news */
	vr_notify_on_vm(n, &ev);
	CHECK_INT(vr_poster_enqueued(p), 2);
	ev.result = VR_RESULT_CONVERGED;      /* applied: always news */
	ev.applied = 2;
	vr_notify_on_vm(n, &ev);
	vr_notify_on_vm(n, &ev);
	CHECK_INT(vr_poster_enqueued(p), 4);
	ev.result = VR_RESULT_DRIFTED;        /* the same drift again */
	ev.applied = 0;
	vr_notify_on_vm(n, &ev);
	CHECK_INT(vr_poster_enqueued(p), 5);
	ev.changes = 0;                       /* in sync: nothing */
	ev.result = VR_RESULT_CONVERGED;
	vr_notify_on_vm(n, &ev);
	CHECK_INT(vr_poster_enqueued(p), 5);
	vr_poster_free(NULL, 0);
	vr_notify_free(n);
}
