/* test_hostlabel.c - watch --hostname: the name in {hostname}, and the host
 * label on every series of the metrics file, read back like any other. */
#include <stdlib.h>
#include <string.h>

#include "../../reconciler/gitops/gitsource.h"
#include "../../reconciler/report/metrics.h"
#include "../../schema/util/error.h"
#include "unit.h"

TEST(test_hostlabel__path_uses_the_given_name)
{
	char *p = NULL;

	CHECK_INT(vr_git_path_expand(&p, "hosts/{hostname}.yaml", "edge-7",
	    NULL), 0);
	CHECK_STR(p, "hosts/edge-7.yaml");
	free(p);
	CHECK(vr_git_path_expand(&p, "hosts/{hostname}.yaml", "../x",
	    NULL) == VR_EINVALID);
	CHECK(vr_git_path_expand(&p, "hosts/{hostname}.yaml", "a/b",
	    NULL) == VR_EINVALID);
	CHECK(vr_git_path_expand(&p, "hosts/{hostname}.yaml", "", NULL) ==
	    VR_EINVALID);
}

TEST(test_hostlabel__every_series_has_the_host)
{
	const char *dir = unit_tmpdir();
	char *path = vr_asprintf("%s/m.prom", dir), *text, *line, *save = NULL;
	struct vr_metrics *m, *m2;
	int samples = 0, labelled = 0;

	vr_metrics_open(&m, path);
	vr_metrics_set_host(m, "edge-\"7");
	vr_metrics_pass_begin(m);
	vr_metrics_count(m, VR_RESULT_CONVERGED, 2);
	CHECK_INT(vr_metrics_pass_end(m, true, "main@sha1:abc", 0.25), 0);
	text = vr_metrics_render(m);
	CHECK_CONTAINS(text, "vmrecon_drift_total{host=\"edge-\\\"7\"} 0\n");
	CHECK_CONTAINS(text, "vmrecon_reconcile_total{host=\"edge-\\\"7\","
	    "result=\"converged\"} 2\n");
	CHECK_CONTAINS(text, "vmrecon_applied_revision_info{host=\"edge-\\\"7\","
	    "revision=\"main@sha1:abc\"} 1\n");
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		samples++;
		labelled += strstr(line, "{host=\"edge-\\\"7\"") != NULL;
	}
	CHECK(samples > 4);
	CHECK_INT(labelled, samples);
	free(text);

	/* read back: the counters and revision carry on */
	vr_metrics_open(&m2, path);
	text = vr_metrics_render(m2);
	CHECK_CONTAINS(text, "vmrecon_reconcile_total{result=\"converged\"} "
	    "2\n");
	CHECK_CONTAINS(text, "revision=\"main@sha1:abc\"} 1\n");
	free(text);
	vr_metrics_free(m);
	vr_metrics_free(m2);
	free(path);
}
