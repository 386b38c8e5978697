/*
 * test_statedir.c - the state dir's pass journal: what a pass put and
 * synced survives its process dying before the end of the pass (a handle
 * freed without vr_statedir_pass_end is what kill -9 leaves on disk), a
 * torn last line is left out, each file is written once per pass, a
 * fold interrupted at any point folds again without doubling anything,
 * and a read-only open neither creates nor folds anything.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../reconciler/engine/statedir.h"
#include "../../schema/util/error.h"
#include "unit.h"

static struct vr_vm_spec
rec(const char *name, int cpus)
{
	struct vr_vm_spec r;

	memset(&r, 0, sizeof(r));
	r.name = (char *)name;
	r.has_cpu_count = true;
	r.cpu_count = cpus;
	return r;
}

static bool
exists(const char *dir, const char *name)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

static ino_t
inode(const char *dir, const char *name)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0 ? st.st_ino : 0;
}

TEST(statedir_journal_survives_a_killed_pass)
{
	struct vr_statedir *sd = NULL;
	struct vr_vm_spec r = rec("a", 2), got;
	char dir[512];
	int fd;

	snprintf(dir, sizeof(dir), "%s/sd", unit_tmpdir());
	if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
		return;
	vr_statedir_pass_begin(sd);
	CHECK_INT(vr_statedir_record_put(sd, &r), 0);
	CHECK_INT(vr_statedir_status_put(sd, "a", "rev-1",
	    VR_RESULT_CONVERGED, "converged"), 0);
	CHECK_INT(vr_statedir_sync(sd), 0);
	r = rec("b", 3);
	CHECK_INT(vr_statedir_record_put(sd, &r), 0); /* not synced: lost */
	CHECK(exists(dir, "journal"));
	CHECK(!exists(dir, "last-applied.json"));
	vr_statedir_free(sd); /* the process dies here */

	/* a writer killed mid-line left half a line */
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/journal");
	fd = open(dir, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "{\"vm\": \"c\", \"rec", 16) == 16);
	if (fd >= 0)
		close(fd);
	dir[strlen(dir) - strlen("/journal")] = '\0';

	/* a read-only open sees the journal and changes nothing */
	CHECK_INT(vr_statedir_open(&sd, dir, false), 0);
	CHECK_INT(vr_statedir_record_get(sd, "a", &got), 0);
	CHECK_INT(got.cpu_count, 2);
	vr_vm_spec_clear(&got);
	CHECK_INT(vr_statedir_record_get(sd, "b", &got), VR_ENOTFOUND);
	CHECK_INT(vr_statedir_record_get(sd, "c", &got), VR_ENOTFOUND);
	vr_statedir_free(sd);
	CHECK(exists(dir, "journal") && !exists(dir, "last-applied.json"));

	/* the next locking open folds it in */
	CHECK_INT(vr_statedir_open(&sd, dir, true), 0);
	CHECK(!exists(dir, "journal"));
	CHECK(exists(dir, "last-applied.json") && exists(dir, "status.json"));
	CHECK_INT(vr_statedir_record_get(sd, "a", &got), 0);
	CHECK_INT(got.cpu_count, 2);
	vr_vm_spec_clear(&got);
	vr_statedir_free(sd);
}

TEST(statedir_one_write_per_pass)
{
	struct vr_statedir *sd = NULL;
	struct vr_vm_spec r;
	char dir[512], name[16];
	ino_t la, st;
	int i;

	snprintf(dir, sizeof(dir), "%s/sd", unit_tmpdir());
	if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
		return;
	vr_statedir_pass_begin(sd);
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "vm-%02d", i);
		r = rec(name, 1 + i % 4);
		CHECK_INT(vr_statedir_record_put(sd, &r), 0);
		CHECK_INT(vr_statedir_status_put(sd, name, NULL,
		    VR_RESULT_CONVERGED, "ok"), 0);
		CHECK_INT(vr_statedir_sync(sd), 0);
	}
	/* nothing but the journal was written during the pass */
	CHECK(!exists(dir, "last-applied.json") && !exists(dir,
	    "status.json"));
	CHECK_INT(vr_statedir_pass_end(sd), 0);
	CHECK(!exists(dir, "journal"));
	la = inode(dir, "last-applied.json");
	st = inode(dir, "status.json");
	CHECK(la != 0 && st != 0);
	/* a pass that puts nothing writes nothing */
	vr_statedir_pass_begin(sd);
	CHECK_INT(vr_statedir_pass_end(sd), 0);
	CHECK(inode(dir, "last-applied.json") == la &&
	    inode(dir, "status.json") == st);
	vr_statedir_free(sd);
}

TEST(statedir_read_only_open_creates_nothing)
{
	struct vr_statedir *sd = NULL;
	char dir[512];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/no/such/dir", unit_tmpdir());
	CHECK_INT(vr_statedir_open(&sd, dir, false), VR_ENOTFOUND);
	CHECK_CONTAINS(vr_error_msg(), "does not exist");
	CHECK(sd == NULL);
	snprintf(dir, sizeof(dir), "%s/no", unit_tmpdir());
	CHECK(stat(dir, &st) != 0);
}

/* The bytes of dir/name (NULL if missing), and back. */
static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char p[1024], *buf = NULL;
	FILE *fp;
	long n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (!(fp = fopen(p, "rb")))
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		*len = fread(buf, 1, (size_t)n, fp);
	}
	fclose(fp);
	return buf;
}

static void
spill(const char *dir, const char *name, const char *buf, size_t len)
{
	char p[1024];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, buf, len) == (ssize_t)len);
	if (fd >= 0)
		close(fd);
}

/* How many results VM `vm` has in the history of dir's status.json. */
static size_t
history_len(const char *dir, const char *vm)
{
	struct vr_statedir *sd = NULL;
	json_t *doc;
	char *text = NULL;
	size_t n = 0;

	if (!CHECK(vr_statedir_open(&sd, dir, false) == 0))
		return 0;
	if (CHECK(vr_statedir_status_read(sd, &text) == 0)) {
		doc = json_loads(text, 0, NULL);
		n = json_array_size(json_object_get(json_object_get(
		    json_object_get(doc, "vms"), vm), "history"));
		/* the journal's numbers are bookkeeping, not status */
		CHECK(!json_object_get(doc, "journalSeq"));
		json_decref(doc);
	}
	free(text);
	vr_statedir_free(sd);
	return n;
}

/*
 * The crash points of the end of a pass (issue 25): killed after writing
 * both files but before removing the journal, and after writing
 * last-applied.json but before status.json.  What is on disk then is
 * made here exactly (the journal of the pass put back beside the files
 * the fold wrote; the old status.json put back); the next locking open
 * folds the journal again, and no result may appear twice.
 */
TEST(statedir_fold_is_idempotent_at_each_crash_point)
{
	struct vr_statedir *sd = NULL;
	struct vr_vm_spec r = rec("a", 2), got;
	char dir[512], *journal, *status;
	size_t jlen = 0, slen = 0;
	int point;

	for (point = 0; point < 2; point++) {
		snprintf(dir, sizeof(dir), "%s/sd%d", unit_tmpdir(), point);
		if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
			return;
		/* one pass recorded and folded: a's first result */
		vr_statedir_pass_begin(sd);
		CHECK_INT(vr_statedir_status_put(sd, "a", "rev-1",
		    VR_RESULT_CONVERGED, "first"), 0);
		CHECK_INT(vr_statedir_pass_end(sd), 0);
		status = slurp(dir, "status.json", &slen);
		/* the next pass: its journal, then its fold */
		vr_statedir_pass_begin(sd);
		CHECK_INT(vr_statedir_record_put(sd, &r), 0);
		CHECK_INT(vr_statedir_status_put(sd, "a", "rev-2",
		    VR_RESULT_CONVERGED, "second"), 0);
		CHECK_INT(vr_statedir_status_put(sd, "b", "rev-2",
		    VR_RESULT_FAILED, "b failed"), 0);
		CHECK_INT(vr_statedir_sync(sd), 0);
		journal = slurp(dir, "journal", &jlen);
		CHECK(journal != NULL);
		CHECK_INT(vr_statedir_pass_end(sd), 0);
		vr_statedir_free(sd);
		CHECK(!exists(dir, "journal"));
		CHECK_INT(history_len(dir, "a"), 2);
		/* the kill: the journal is still there ... */
		if (journal)
			spill(dir, "journal", journal, jlen);
		/* ... and at the earlier point, status.json is the old one */
		if (point == 1 && status)
			spill(dir, "status.json", status, slen);
		free(journal);
		free(status);

		/* a read-only open replays it without doubling */
		CHECK_INT(history_len(dir, "a"), 2);
		CHECK_INT(history_len(dir, "b"), 1);
		/* the next locking open folds it */
		if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
			return;
		CHECK(!exists(dir, "journal"));
		CHECK_INT(vr_statedir_record_get(sd, "a", &got), 0);
		CHECK_INT(got.cpu_count, 2);
		vr_vm_spec_clear(&got);
		/* and later passes number on after what the files hold */
		vr_statedir_pass_begin(sd);
		CHECK_INT(vr_statedir_status_put(sd, "a", "rev-3",
		    VR_RESULT_CONVERGED, "third"), 0);
		CHECK_INT(vr_statedir_sync(sd), 0);
		vr_statedir_free(sd); /* killed mid-pass */
		CHECK_INT(history_len(dir, "a"), 3);
		CHECK_INT(history_len(dir, "b"), 1);
		if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
			return;
		vr_statedir_free(sd);
		CHECK_INT(history_len(dir, "a"), 3);
	}
}

/* Write `text` as DIR/NAME, a file of the state dir (0600, the user's). */
static void
put_file(const char *dir, const char *name, const char *text)
{
	char p[1024];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

/* Corrupt files are read with the strict readers (schema/util/json.h):
 * an error naming the file and the member, never a guess. */
TEST(statedir_corrupt_files_are_errors_naming_the_member)
{
	static const struct {
		const char *file, *text, *want;
	} cases[] = {
		{ "last-applied.json", "{\"formatVersion\": 2, \"vms\": {}}",
		  "last-applied.json: not a vmrecon state file of "
		  "formatVersion 1 (formatVersion: 2 is out of range (1 to "
		  "1))" },
		{ "last-applied.json", "{\"formatVersion\": 1, \"vms\": [],"
		  " \"journalSeq\": 1}",
		  "(vms: expected an object)" },
		{ "last-applied.json", "{\"formatVersion\": 1, \"vms\": {}, "
		  "\"journalSeq\": -1}",
		  "(journalSeq: -1 is out of range (0 to " },
		{ "last-applied.json", "{\"formatVersion\": 1, \"vms\": "
		  "{\"a\": 3}}",
		  "last-applied.json: vms.a: expected an object" },
		{ "last-applied.json", "{\"formatVersion\": 1, \"vms\": "
		  "{\"a\": {\"cpuCount\": 2, \"gpuInFlight\": \"yes\"}}}",
		  "last-applied.json: vms.a.gpuInFlight: expected true or "
		  "false" },
		{ "last-applied.json", "{\"formatVersion\": 1, \"vms\": "
		  "{\"a\": {\"cpuCount\": \"two\"}}}",
		  "last-applied.json: 'a': 'cpuCount' is not an integer" },
		{ "restart-times.json", "{\"formatVersion\": 1, \"vms\": "
		  "{\"a\": {\"restartSeconds\": 99999999}}}",
		  "restart-times.json: vms.a.restartSeconds: 99999999 is out "
		  "of range (0 to 604800)" },
		{ "restart-times.json", "{\"formatVersion\": 1, \"vms\": "
		  "{\"a\": []}}",
		  "restart-times.json: vms.a: expected an object" },
	};
	struct vr_statedir *sd;
	struct vr_vm_spec got;
	int64_t s;
	size_t i;
	char dir[512];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/sd%zu", unit_tmpdir(), i);
		mkdir(dir, 0700);
		put_file(dir, cases[i].file, cases[i].text);
		sd = NULL;
		if (!CHECK(vr_statedir_open(&sd, dir, false) == 0))
			continue;
		if (strcmp(cases[i].file, "restart-times.json") == 0)
			CHECK_INT(vr_statedir_restart_get(sd, "a", &s),
			    VR_EINVALID);
		else
			CHECK_INT(vr_statedir_record_get(sd, "a", &got),
			    VR_EINVALID);
		CHECK_CONTAINS(vr_error_msg(), cases[i].want);
		vr_statedir_free(sd);
	}
}

/* A journal line that is not an entry (a member of the wrong type) is
 * left out, the others replayed. */
TEST(statedir_journal_lines_are_read_strictly)
{
	struct vr_statedir *sd = NULL;
	struct vr_vm_spec got;
	char dir[512], *status = NULL;

	snprintf(dir, sizeof(dir), "%s/sd", unit_tmpdir());
	mkdir(dir, 0700);
	put_file(dir, "journal",
	    "{\"vm\": \"a\", \"seq\": 1, \"record\": {\"cpuCount\": 2}}\n"
	    "{\"vm\": \"b\", \"seq\": 0, \"record\": {\"cpuCount\": 3}}\n"
	    "{\"vm\": 7, \"seq\": 3, \"record\": {\"cpuCount\": 4}}\n"
	    "{\"vm\": \"c\", \"seq\": 4, \"status\": {\"time\": \"t\", "
	    "\"result\": 1, \"message\": \"m\"}}\n"
	    "{\"vm\": \"d\", \"seq\": 5, \"status\": {\"time\": \"t\", "
	    "\"result\": \"converged\", \"message\": \"m\", "
	    "\"revision\": \"r1\"}}\n");
	if (!CHECK(vr_statedir_open(&sd, dir, false) == 0))
		return;
	CHECK_INT(vr_statedir_record_get(sd, "a", &got), 0);
	CHECK_INT(got.cpu_count, 2);
	vr_vm_spec_clear(&got);
	CHECK_INT(vr_statedir_record_get(sd, "b", &got), VR_ENOTFOUND);
	CHECK_INT(vr_statedir_status_read(sd, &status), 0);
	CHECK_CONTAINS(status, "\"lastAppliedRevision\": \"r1\"");
	CHECK(status && strstr(status, "\"c\"") == NULL);
	free(status);
	vr_statedir_free(sd);
}
