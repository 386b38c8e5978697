/* test_watchstate.c - watch.json round trip and corruption, the Ready
 * conditions and source section in status.json, logfmt quoting. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reconciler/engine/statedir.h"
#include "../../reconciler/gitops/watchstate.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "unit.h"

#define HEX_A "0123456789abcdef0123456789abcdef01234567"
#define HEX_B "89abcdef0123456789abcdef0123456789abcdef"

TEST(watchstate_baseline_round_trip)
{
	char dir[512];
	struct vr_watch_baseline b, got;

	snprintf(dir, sizeof(dir), "%s/wb", unit_tmpdir());
	vr_mkdir_p(dir, 0700);
	CHECK_INT(vr_watch_baseline_load(&got, dir), VR_ENOTFOUND);
	memset(&b, 0, sizeof(b));
	b.url = "file:///srv/fleet.git";
	b.ref = "main";
	b.path = "hosts/a.yaml";
	memcpy(b.commit, HEX_A, VR_GIT_HEX);
	memcpy(b.blob, HEX_B, VR_GIT_HEX);
	b.revision = "main@sha1:" HEX_A;
	CHECK_INT(vr_watch_baseline_save(&b, dir), 0);
	CHECK_INT(vr_watch_baseline_load(&got, dir), 0);
	CHECK_STR(got.url, b.url);
	CHECK_STR(got.ref, "main");
	CHECK_STR(got.path, "hosts/a.yaml");
	CHECK_STR(got.commit, HEX_A);
	CHECK_STR(got.blob, HEX_B);
	CHECK_STR(got.revision, b.revision);
	vr_watch_baseline_clear(&got);

	/* corrupt: an error that says how to recover, not a fresh start */
	unit_write(dir, "watch.json", "{\"formatVersion\": 1, "
	    "\"lastAppliedCommit\": \"xyz\"}");
	CHECK_INT(vr_watch_baseline_load(&got, dir), VR_EINVALID);
	unit_write(dir, "watch.json", "{not json");
	CHECK_INT(vr_watch_baseline_load(&got, dir), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "remove it to start over");
}

TEST(watchstate_status_ready_and_source)
{
	struct vr_statedir *sd = NULL;
	struct vr_watch_source_status s;
	char dir[512], *text = NULL, *names[] = { "edge-01", "edge-02" };
	json_t *doc, *c;
	json_error_t jerr;

	snprintf(dir, sizeof(dir), "%s/ws", unit_tmpdir());
	if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
		return;
	CHECK_INT(vr_statedir_status_put(sd, "edge-01", "main@sha1:" HEX_A,
	    VR_RESULT_CONVERGED, "converged"), 0);
	CHECK_INT(vr_statedir_status_put(sd, "edge-02", "main@sha1:" HEX_A,
	    VR_RESULT_FAILED, "bad yaml"), 0);
	CHECK_INT(vr_watch_status_ready(sd, names, 2, "ValidationFailed"), 0);
	memset(&s, 0, sizeof(s));
	s.url = "file:///x.git";
	s.ref = "main";
	s.path = "hosts/a.yaml";
	s.fetched_revision = "main@sha1:" HEX_B;
	s.ready = false;
	s.reason = "FetchFailed";
	s.message = "connection refused";
	s.failures = 3;
	CHECK_INT(vr_watch_status_source(sd, &s), 0);
	/* a later status_put keeps the sections watch added, and gives its
	 * result the Ready condition of that result */
	CHECK_INT(vr_statedir_status_put(sd, "edge-01", NULL,
	    VR_RESULT_DRIFTED, "drift"), 0);
	CHECK_INT(vr_statedir_status_read(sd, &text), 0);
	doc = json_loads(text, 0, &jerr);
	if (!CHECK(doc != NULL))
		goto out;
	c = json_array_get(json_object_get(json_object_get(json_object_get(
	    doc, "vms"), "edge-01"), "conditions"), 0);
	CHECK_STR(json_string_value(json_object_get(c, "status")), "False");
	CHECK_STR(json_string_value(json_object_get(c, "reason")),
	    "DriftDetected");
	CHECK_STR(json_string_value(json_object_get(c, "message")), "drift");
	c = json_array_get(json_object_get(json_object_get(json_object_get(
	    doc, "vms"), "edge-02"), "conditions"), 0);
	CHECK_STR(json_string_value(json_object_get(c, "status")), "False");
	CHECK_STR(json_string_value(json_object_get(c, "reason")),
	    "ValidationFailed");
	CHECK_STR(json_string_value(json_object_get(c, "message")),
	    "bad yaml");
	c = json_object_get(doc, "source");
	CHECK_STR(json_string_value(json_object_get(c, "lastFetchedRevision")),
	    "main@sha1:" HEX_B);
	CHECK_INT(json_integer_value(json_object_get(c, "failures")), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(
	    json_object_get(c, "conditions"), 0), "reason")), "FetchFailed");
	json_decref(doc);
out:
	free(text);
	vr_statedir_free(sd);
}

TEST(watchstate_logfmt)
{
	const char *kv[] = { "vm", "edge-01", "msg", "has space",
	    "q", "a\"b", "skip", NULL, "nl", "x\ny", "empty", "" };
	char *line = vr_wlog_format("info", "applied", "T", kv, 12);

	CHECK_STR(line, "T info applied vm=edge-01 msg=\"has space\" "
	    "q=\"a\\\"b\" nl=\"x\\ny\" empty=\"\"");
	free(line);
	line = vr_wlog_format("error", "fetch failed", "T", NULL, 0);
	CHECK_STR(line, "T error \"fetch failed\"");
	free(line);
}
