/*
 * fuzz_metrics.c - libFuzzer target: reading back the previous Prometheus
 * textfile (vr_metrics_parse), which anyone who can write the collector's
 * directory controls.  Whatever it takes back must render to a file that
 * parses again and renders the same.
 */
#include "../../reconciler/report/metrics.h"
#include "../../schema/util/error.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[128];
	struct vr_metrics *m = NULL, *m2 = NULL;
	char *text = malloc(size + 1), *out = NULL, *out2 = NULL;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/none.prom", fuzz_dir());
	memcpy(text, data, size);
	text[size] = '\0';
	vr_metrics_open(&m, path);
	if (vr_metrics_parse(m, text) == 0) {
		out = vr_metrics_render(m);
		vr_metrics_open(&m2, path);
		if (vr_metrics_parse(m2, out) < 0)
			abort(); /* our own output must read back */
		out2 = vr_metrics_render(m2);
		if (strcmp(out, out2) != 0)
			abort(); /* and say the same */
	}
	free(out);
	free(out2);
	vr_metrics_free(m);
	vr_metrics_free(m2);
	free(text);
	vr_error_clear();
	return 0;
}
