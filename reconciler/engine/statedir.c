/*
 * statedir.c - the state dir: lock, status.json, last-applied.json and the
 * pass journal.
 *
 * Trust: the directory must be the user's own and not writable by group or
 * others (OpenSSH's StrictModes), and every file in it is opened relative to
 * the directory with O_NOFOLLOW and used only if it is a regular file the
 * user owns (schema/util/fileio.c), so nobody else can make vmrecon read,
 * truncate or replace a file of their choosing.
 *
 * Writes: both JSON files are maps keyed by VM name, held in memory while
 * the dir is open and written whole and atomically (temp file + rename)
 * once per pass, not once per VM: a pass over N VMs costs O(N), not O(N^2).
 * Between a VM's apply and the end of the pass its record and result live
 * in "journal", one JSON line per entry appended (and fdatasync'ed) as soon
 * as the VM is done.  A journal, not a write-ahead log, because what must
 * survive is the outcome, known only after the backend call: an intent
 * written before it would still need this after-record, and a lost after-
 * record is exactly what a kill -9 between VMs must not cost.  The end of a
 * pass writes both files, then removes the journal; a kill -9 at any point
 * leaves the old files plus a journal, which the next open replays (a torn
 * last line is ignored: its VM was not done) and the next locking open
 * folds into the files.
 *
 * The fold is idempotent: every journal line carries a number ("seq"),
 * greater than any before it in this state dir, and each file keeps the
 * highest number it holds ("journalSeq").  A replay skips the lines a
 * file holds already, so a kill between writing the files and removing
 * the journal cannot put an entry in twice (status history, say).
 *
 * The lock is flock(2) on "lock": the kernel drops it when the holder dies,
 * so a killed run never leaves it stuck.
 *
 * Reading: the files and the journal are read with the strict readers of
 * schema/util/json.h (a corrupt file is an error naming the member, as
 * "status.json: vms.edge-01.history: expected an array").  doc_load checks
 * a document's frame (formatVersion 1, the "vms" object, journalSeq), so
 * doc_vms() needs no check; what is under a VM is read where it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../schema/field.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "../../schema/util/json.h"
#include "ready.h"
#include "statedir.h"

#define APPLIED_MAX_BYTES (32 * 1024 * 1024)
#define STATUS_MAX_BYTES (32 * 1024 * 1024)  /* what is read */
/* history is cut past this: 10,000 VMs' latest results and Ready
 * conditions alone take 6.1 MB (t0330), so 12 MiB still keeps at least
 * one past result each */
#define STATUS_SOFT_BYTES (12 * 1024 * 1024)
#define STATUS_MSG_CUT 256      /* a message's length when even that is big */
#define JOURNAL_MAX_BYTES (64 * 1024 * 1024)
#define JOURNAL_FOLD_BYTES (16 * 1024 * 1024) /* folded in mid-pass past it */
#define HISTORY_MAX 5

struct vr_statedir {
	char *path;
	int dir_fd;
	int lock_fd;
	json_t *applied;      /* last-applied.json + journal, once loaded */
	json_t *status;       /* status.json + journal, once loaded */
	bool applied_dirty, status_dirty;
	int depth;            /* vr_statedir_pass_begin nesting */
	char *pending;        /* journal lines not written yet */
	size_t npending, cap;
	size_t journal_bytes; /* written to the journal since it was folded */
	bool journal;         /* a journal file may exist */
	json_int_t seq;       /* the highest journal line number known */
};

char *
vr_statedir_default(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return vr_strdup("/var/lib/vmrecon");
	if (xdg && xdg[0] == '/')
		return vr_asprintf("%s/vmrecon", xdg);
	return vr_asprintf("%s/.local/state/vmrecon", home ? home : ".");
}

static char *
path_in(const struct vr_statedir *sd, const char *name)
{
	return vr_asprintf("%s/%s", sd->path, name);
}

/* Keep only digits: the lock holds a pid, and a message shows no more. */
static void
digits_only(char *s)
{
	size_t i, j = 0;

	for (i = 0; s[i] && s[i] != '\n'; i++)
		if (s[i] >= '0' && s[i] <= '9' && j < 20)
			s[j++] = s[i];
	s[j] = '\0';
}

static int
take_lock(struct vr_statedir *sd)
{
	char *lp = path_in(sd, "lock"), pid[32] = "";
	int fd, n, rc;

	/* never a symlink, never someone else's file: it is written below */
	fd = vr_file_open_own(sd->dir_fd, "lock", lp, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		free(lp);
		return fd;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		digits_only(pid);
		close(fd);
		if (e == EWOULDBLOCK)
			rc = vr_error_set(VR_ECONFLICT, "another vmrecon%s%s%s "
			    "is reconciling with state dir '%s'; wait for it "
			    "or stop it", pid[0] ? " (pid " : "", pid,
			    pid[0] ? ")" : "", sd->path);
		else
			rc = vr_error_set(VR_ERROR, "cannot lock '%s': %s", lp,
			    strerror(e));
		free(lp);
		return rc;
	}
	free(lp);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) {
		/* the pid is only a hint for the message above */
	}
	sd->lock_fd = fd;
	return 0;
}

/* StrictModes: the dir (the state dir, or `what` in it) is ours and
 * nobody else may add or swap files. */
static int
check_dir(int fd, const char *what, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vr_error_set(VR_ERROR, "cannot stat %s '%s': %s", what,
		    path, strerror(errno));
	if (st.st_uid != geteuid())
		return vr_error_set(VR_EINVALID, "%s '%s' is owned by "
		    "uid %ld, not by the user running vmrecon (uid %ld); "
		    "refusing to use it (chown it to yourself, or choose "
		    "another --state-dir)", what, path, (long)st.st_uid,
		    (long)geteuid());
	if (st.st_mode & 022)
		return vr_error_set(VR_EINVALID, "%s '%s' is writable "
		    "by its group or others (mode %04o); refusing to use it "
		    "(fix it with: chmod go-w '%s')", what, path,
		    (unsigned)(st.st_mode & 07777), path);
	return 0;
}

int
vr_statedir_subdir(struct vr_statedir *sd, const char *name, bool create)
{
	char *p = path_in(sd, name);
	struct stat st;
	int fd, rc, e;

	if (create && mkdirat(sd->dir_fd, name, 0700) < 0 && errno != EEXIST) {
		rc = vr_error_set(VR_ERROR, "cannot create '%s': %s", p,
		    strerror(errno));
		goto out;
	}
	fd = openat(sd->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	e = errno;
	if (fd < 0 && e == ENOENT)
		rc = vr_error_set(VR_ENOTFOUND, "'%s' does not exist", p);
	else if (fd < 0 && fstatat(sd->dir_fd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		rc = vr_error_set(VR_EINVALID, "'%s' is a symbolic link; not "
		    "followed (remove it)", p);
	else if (fd < 0)
		rc = vr_error_set(VR_EINVALID, "cannot open the directory "
		    "'%s': %s", p, strerror(e));
	else if ((rc = check_dir(fd, "directory", p)) < 0)
		close(fd);
	else
		rc = fd;
out:
	free(p);
	return rc;
}

static int fold(struct vr_statedir *sd);
static int load_applied(struct vr_statedir *sd);

int
vr_statedir_open(struct vr_statedir **out, const char *path, bool lock)
{
	struct vr_statedir *sd;
	struct stat st;
	int rc;

	*out = NULL;
	if (lock && (rc = vr_mkdir_p(path, 0700)) < 0) {
		/* name the dir meant, not only the component that failed,
		 * and how to choose another */
		char *why = vr_strdup(vr_error_msg());

		vr_error_set(rc, "state dir '%s': %s; choose another with "
		    "--state-dir DIR", path, why);
		free(why);
		return rc;
	}
	sd = vr_calloc(1, sizeof(*sd));
	sd->path = vr_strdup(path);
	sd->lock_fd = -1;
	sd->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sd->dir_fd < 0) {
		rc = vr_error_set(errno == ENOENT ? VR_ENOTFOUND : VR_ERROR,
		    errno == ENOENT ? "state dir '%s' does not exist%s" :
		    "cannot open state dir '%s': %s", path, errno == ENOENT ?
		    "" : strerror(errno));
		goto fail;
	}
	if ((rc = check_dir(sd->dir_fd, "state dir", sd->path)) < 0)
		goto fail;
	sd->journal = fstatat(sd->dir_fd, "journal", &st,
	    AT_SYMLINK_NOFOLLOW) == 0;
	if (lock && (rc = take_lock(sd)) < 0)
		goto fail;
	if (lock) { /* what a killed writer left; the lock guards all three */
		vr_file_sweep_tmp(sd->dir_fd, "status.json");
		vr_file_sweep_tmp(sd->dir_fd, "last-applied.json");
		vr_file_sweep_tmp(sd->dir_fd, "watch.json");
	}
	/* a pass that was killed: fold its journal in now */
	if (lock && sd->journal && (rc = fold(sd)) < 0)
		goto fail;
	*out = sd;
	return 0;
fail:
	vr_statedir_free(sd);
	return rc;
}

void
vr_statedir_free(struct vr_statedir *sd)
{
	if (!sd)
		return;
	if (sd->lock_fd >= 0)
		close(sd->lock_fd); /* releases the flock */
	if (sd->dir_fd >= 0)
		close(sd->dir_fd);
	json_decref(sd->applied);
	json_decref(sd->status);
	free(sd->pending);
	free(sd->path);
	free(sd);
}

const char *
vr_statedir_path(const struct vr_statedir *sd)
{
	return sd->path;
}

static json_t *
empty_doc(void)
{
	return json_pack("{s:i, s:{}}", "formatVersion", 1, "vms");
}

/* Where a file's members are read from, for the readers' messages. */
static struct vr_json_at
file_at(const char *file, const char *path)
{
	struct vr_json_at at = { file, path, VR_EINVALID };

	return at;
}

/* The "vms" object of a document doc_load gave (or vmrecon made). */
static json_t *
doc_vms(const json_t *doc)
{
	json_t *vms = NULL;
	struct vr_json_at at = file_at("state", "");

	vr_json_object(&vms, &at, doc, "vms", VR_JSON_REQUIRED);
	return vms;
}

/* Load `name` as a JSON object with a "vms" object; a missing file gives an
 * empty document.  Corrupt files are VR_EINVALID. */
static int
doc_load(json_t **out, struct vr_statedir *sd, const char *name, size_t max)
{
	char *p = path_in(sd, name), *buf = NULL;
	struct vr_json_at at = file_at(NULL, ""); /* p is named below */
	json_error_t jerr;
	json_t *doc, *vms;
	int64_t version = 0, seq = 0;
	size_t len;
	int rc;

	*out = NULL;
	rc = vr_file_read_own(&buf, &len, sd->dir_fd, name, p, max);
	if (rc == VR_ENOTFOUND) {
		doc = empty_doc();
		goto done;
	}
	if (rc < 0)
		goto out;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		rc = vr_error_set(VR_EINVALID, "%s:%d:%d: %s", p, jerr.line,
		    jerr.column, jerr.text);
		goto out;
	}
	if (vr_json_object(&vms, &at, doc, NULL, VR_JSON_REQUIRED) < 0 ||
	    vr_json_int(&version, &at, doc, "formatVersion", 1, 1,
	    VR_JSON_REQUIRED) < 0 ||
	    vr_json_object(&vms, &at, doc, "vms", VR_JSON_REQUIRED) < 0 ||
	    vr_json_int(&seq, &at, doc, "journalSeq", 0, INT64_MAX,
	    VR_JSON_OPTIONAL) < 0) {
		char *why = vr_strdup(vr_error_msg());

		json_decref(doc);
		rc = vr_error_set(VR_EINVALID, "%s: not a vmrecon state file "
		    "of formatVersion 1 (%s)", p, why);
		free(why);
		goto out;
	}
done:
	*out = doc;
	rc = 0;
out:
	free(buf);
	free(p);
	return rc;
}

static char *
doc_text(const json_t *doc)
{
	return json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
}

static int
doc_save(struct vr_statedir *sd, const char *name, const char *text)
{
	char *p = path_in(sd, name);
	int rc;

	rc = vr_file_write_at(sd->dir_fd, name, p, text, strlen(text), 0600);
	free(p);
	return rc;
}

/* --- restart times ------------------------------------------------------- */

static void now_iso(char *buf, size_t n);

#define RESTART_FILE "restart-times.json"
#define RESTART_MAX_BYTES (1024 * 1024)
#define RESTART_MAX_S (7 * 24 * 3600)

int
vr_statedir_restart_get(struct vr_statedir *sd, const char *name,
    int64_t *out_s)
{
	char *p = path_in(sd, RESTART_FILE), *where;
	struct vr_json_at at = file_at(p, "vms");
	json_t *doc, *vm = NULL;
	int64_t s = 0;
	int rc;

	*out_s = 0;
	if ((rc = doc_load(&doc, sd, RESTART_FILE, RESTART_MAX_BYTES)) < 0) {
		free(p);
		return rc;
	}
	rc = vr_json_object(&vm, &at, doc_vms(doc), name, VR_JSON_OPTIONAL);
	if (rc > 0) {
		where = vr_json_path("vms", name);
		at.path = where;
		rc = vr_json_int(&s, &at, vm, "restartSeconds", 0,
		    RESTART_MAX_S, VR_JSON_OPTIONAL);
		free(where);
	}
	if (rc == 0)
		rc = VR_ENOTFOUND;
	else if (rc > 0) {
		*out_s = s;
		rc = 0;
	}
	json_decref(doc);
	free(p);
	return rc;
}

int
vr_statedir_restart_put(struct vr_statedir *sd, const char *name,
    int64_t seconds)
{
	char when[32], *text;
	json_t *doc;
	int rc;

	if ((rc = doc_load(&doc, sd, RESTART_FILE, RESTART_MAX_BYTES)) < 0)
		return rc;
	if (seconds > RESTART_MAX_S)
		seconds = RESTART_MAX_S;
	now_iso(when, sizeof(when));
	json_object_set_new(doc_vms(doc), name, json_pack("{s:I, s:s}",
	    "restartSeconds", (json_int_t)seconds, "at", when));
	text = doc_text(doc);
	json_decref(doc);
	if (!text)
		return vr_error_set(VR_ENOMEM, "cannot serialize %s",
		    RESTART_FILE);
	rc = doc_save(sd, RESTART_FILE, text);
	free(text);
	return rc;
}

/* --- status entries (one function for a new result and its replay) ---- */

/* A status entry's members, read as untrusted (a journal line's): 0, or
 * VR_EINVALID naming the one that is not a string. */
struct status_entry {
	const char *time, *result, *message;
	const char *revision; /* NULL: none */
};

static int
status_entry_read(struct status_entry *se, const struct vr_json_at *at,
    const json_t *e)
{
	int rc;

	memset(se, 0, sizeof(*se));
	if ((rc = vr_json_str(&se->time, at, e, "time", 0, SIZE_MAX,
	    VR_JSON_ANY, VR_JSON_REQUIRED)) < 0 ||
	    (rc = vr_json_str(&se->result, at, e, "result", 0, SIZE_MAX,
	    VR_JSON_ANY, VR_JSON_REQUIRED)) < 0 ||
	    (rc = vr_json_str(&se->message, at, e, "message", 0, SIZE_MAX,
	    VR_JSON_ANY, VR_JSON_REQUIRED)) < 0 ||
	    (rc = vr_json_str(&se->revision, at, e, "revision", 0, SIZE_MAX,
	    VR_JSON_ANY, VR_JSON_OPTIONAL)) < 0)
		return rc;
	return 0;
}

/* Put status entry `e` (made by status_put, or a journal line's that
 * status_entry_read took) on VM `name` of status document `doc`: its
 * latest result, and first in its history.  A VM entry or history that
 * is not one (a status.json edited by hand) is made afresh: the file is a
 * report, not an input. */
static void
status_apply(json_t *doc, const char *name, json_t *e)
{
	struct vr_json_at at = file_at("status.json", "vms");
	json_t *vms = doc_vms(doc), *vm = NULL, *hist = NULL;
	struct status_entry se;

	if (status_entry_read(&se, &at, e) < 0)
		return; /* not one: status_put's are, journal_replay checks */
	if (vr_json_object(&vm, &at, vms, name, VR_JSON_OPTIONAL) <= 0) {
		vm = json_object();
		json_object_set_new(vms, name, vm);
	}
	if (se.revision) {
		json_object_set_new(vm, "lastAttemptedRevision",
		    json_string(se.revision));
		/* applied means every change of it: not pending */
		if (strcmp(se.result, "converged") == 0)
			json_object_set_new(vm, "lastAppliedRevision",
			    json_string(se.revision));
	}
	json_object_set_new(vm, "lastHandledAt", json_string(se.time));
	json_object_set_new(vm, "result", json_string(se.result));
	json_object_set_new(vm, "message", json_string(se.message));
	/* the same Ready condition whatever command recorded it */
	vr_ready_set(vm, strcmp(se.result, "converged") == 0,
	    vr_ready_reason(se.result, NULL), se.message, se.time);
	if (vr_json_array(&hist, &at, vm, "history", 0, SIZE_MAX,
	    VR_JSON_OPTIONAL) <= 0) {
		hist = json_array();
		json_object_set_new(vm, "history", hist);
	}
	json_array_insert(hist, 0, e);
	while (json_array_size(hist) > HISTORY_MAX)
		json_array_remove(hist, HISTORY_MAX);
}

/* --- the journal ----------------------------------------------------- */

/* The highest journal line number `doc` holds (0: none; doc_load checked
 * it). */
static json_int_t
doc_seq(const json_t *doc)
{
	struct vr_json_at at = file_at("state", "");
	int64_t seq = 0;

	vr_json_int(&seq, &at, doc, "journalSeq", 0, INT64_MAX,
	    VR_JSON_OPTIONAL);
	return seq;
}

/* Apply the journal's entries of `kind` ("record" or "status") to `doc`,
 * those numbered above what it holds (a line without a number, written
 * before lines had one, is applied).  A line without its newline was
 * being written when its writer died: its VM was not done, and it is left
 * out. */
static int
journal_replay(struct vr_statedir *sd, const char *kind, json_t *doc)
{
	char *p = path_in(sd, "journal"), *buf = NULL, *line, *nl;
	json_int_t held = doc_seq(doc), top = held;
	size_t len, n = 0, bad = 0;
	int rc;

	if (sd->seq < held)
		sd->seq = held;
	rc = vr_file_read_own(&buf, &len, sd->dir_fd, "journal", p,
	    JOURNAL_MAX_BYTES);
	if (rc == VR_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	for (line = buf; (nl = memchr(line, '\n', len - (size_t)(line -
	    buf))); line = nl + 1) {
		json_t *e = json_loadb(line, (size_t)(nl - line),
		    JSON_REJECT_DUPLICATES, NULL), *v = NULL, *rec = NULL, *st;
		struct vr_json_at at = file_at(p, "");
		struct status_entry se;
		const char *vm;
		int64_t seq = 0;
		int has_seq;

		n++;
		/* a line: {"vm", "seq" (from 1; none in old lines), and
		 * "record" (any object) or "status" (a status entry)} */
		if (!e || vr_json_str(&vm, &at, e, "vm", 0, SIZE_MAX,
		    VR_JSON_ANY, VR_JSON_REQUIRED) < 0 ||
		    (has_seq = vr_json_int(&seq, &at, e, "seq", 1, INT64_MAX,
		    VR_JSON_OPTIONAL)) < 0 ||
		    vr_json_value(&rec, &at, e, "record",
		    VR_JSON_OPTIONAL) < 0 ||
		    (!rec && (vr_json_object(&st, &at, e, "status",
		    VR_JSON_REQUIRED) < 0 ||
		    status_entry_read(&se, &at, st) < 0)) ||
		    vr_json_value(&v, &at, e, kind, VR_JSON_OPTIONAL) < 0) {
			bad++;
			json_decref(e);
			continue;
		}
		if (seq > sd->seq)
			sd->seq = seq;
		if (!v || (has_seq && seq <= held)) {
			/* another kind, or in the file already */
		} else if (strcmp(kind, "record") == 0) {
			json_object_set(doc_vms(doc), vm, v);
		} else {
			status_apply(doc, vm, v);
		}
		if (v && seq > top)
			top = seq;
		json_decref(e);
	}
	if (top > held)
		json_object_set_new(doc, "journalSeq", json_integer(top));
	if (bad)
		fprintf(stderr, "vmrecon: warning: %s: %zu of %zu lines are "
		    "not journal entries; left out\n", p, bad, n);
out:
	free(buf);
	free(p);
	return rc;
}

/* Append `text` and a newline to the lines not yet in the journal. */
static void
pending_add(struct vr_statedir *sd, const char *text)
{
	size_t n = strlen(text);

	if (sd->npending + n + 2 > sd->cap) {
		sd->cap = (sd->npending + n + 2) * 2;
		sd->pending = vr_realloc(sd->pending, sd->cap);
	}
	memcpy(sd->pending + sd->npending, text, n);
	sd->npending += n;
	sd->pending[sd->npending++] = '\n';
}

/* Queue a journal line, numbered after every line before it.  The file
 * of its kind is loaded (so sd->seq counts what that file holds). */
static void
journal_add(struct vr_statedir *sd, const char *name, const char *kind,
    json_t *v)
{
	json_t *e = json_pack("{s:s, s:I, s:O}", "vm", name, "seq",
	    ++sd->seq, kind, v);
	char *text = json_dumps(e, JSON_COMPACT); /* escapes newlines */

	pending_add(sd, text);
	free(text);
	json_decref(e);
}

int
vr_statedir_sync(struct vr_statedir *sd)
{
	struct stat st;
	char *p;
	size_t off = 0;
	int fd, rc = 0;

	if (!sd->npending)
		return 0;
	p = path_in(sd, "journal");
	fd = vr_file_open_own(sd->dir_fd, "journal", p, O_WRONLY | O_APPEND |
	    O_CREAT, 0600);
	if (fd < 0) {
		free(p);
		return fd;
	}
	sd->journal = true;
	if (fstat(fd, &st) < 0)
		st.st_size = -1;
	while (off < sd->npending) {
		ssize_t w = write(fd, sd->pending + off, sd->npending - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (off < sd->npending || fdatasync(fd) < 0) {
		rc = vr_error_set(VR_ERROR, "cannot write '%s': %s", p,
		    strerror(errno));
		/* take back what was cut short: it would glue to the next
		 * line (the lines stay pending for the next try) */
		if (st.st_size >= 0 && ftruncate(fd, st.st_size) < 0) {
			/* replay leaves out a line that does not parse */
		}
	} else {
		sd->journal_bytes += sd->npending;
		sd->npending = 0;
	}
	close(fd);
	free(p);
	if (rc == 0 && sd->journal_bytes > JOURNAL_FOLD_BYTES)
		rc = fold(sd);
	return rc;
}

/* --- loading and saving the two files --------------------------------- */

static int
load_applied(struct vr_statedir *sd)
{
	json_t *doc;
	int rc;

	if (sd->applied)
		return 0;
	if ((rc = doc_load(&doc, sd, "last-applied.json",
	    APPLIED_MAX_BYTES)) < 0)
		return rc;
	if (sd->seq < doc_seq(doc))
		sd->seq = doc_seq(doc);
	if (sd->journal && (rc = journal_replay(sd, "record", doc)) < 0) {
		json_decref(doc);
		return rc;
	}
	sd->applied = doc;
	return 0;
}

/* `for_write`: a corrupt status.json is started over (it is a report, not
 * an input); otherwise it is an error. */
static int
load_status(struct vr_statedir *sd, bool for_write)
{
	json_t *doc;
	int rc;

	if (sd->status)
		return 0;
	rc = doc_load(&doc, sd, "status.json", STATUS_MAX_BYTES);
	if (rc == VR_EINVALID && for_write) {
		fprintf(stderr, "vmrecon: warning: %s; starting it over\n",
		    vr_error_msg());
		doc = empty_doc();
		sd->status_dirty = true;
	} else if (rc < 0) {
		return rc;
	}
	if (sd->seq < doc_seq(doc))
		sd->seq = doc_seq(doc);
	if (sd->journal && (rc = journal_replay(sd, "status", doc)) < 0) {
		json_decref(doc);
		return rc;
	}
	sd->status = doc;
	return 0;
}

/* Cut every VM's history to `keep` entries (its latest result stays in
 * the VM's own fields). */
static void
cut_history(json_t *doc, size_t keep, bool cut_messages)
{
	struct vr_json_at at = file_at("status.json", "vms");
	const char *name;
	json_t *vm;

	json_object_foreach(doc_vms(doc), name, vm) {
		json_t *h = NULL;
		const char *m = NULL;

		/* what is not of its type (a file edited by hand) is left */
		if (vr_json_array(&h, &at, vm, "history", 0, SIZE_MAX,
		    VR_JSON_OPTIONAL) > 0)
			while (json_array_size(h) > keep)
				json_array_remove(h, keep);
		if (cut_messages && vr_json_str(&m, &at, vm, "message", 0,
		    SIZE_MAX, VR_JSON_ANY, VR_JSON_OPTIONAL) > 0 &&
		    strlen(m) > STATUS_MSG_CUT) {
			char *s = vr_asprintf("%.*s...", STATUS_MSG_CUT, m);

			json_object_set_new(vm, "message", json_string(s));
			free(s);
		}
	}
}

/*
 * status.json's text, within bounds: past STATUS_SOFT_BYTES the history
 * is cut, oldest entries first, down to none; past STATUS_MAX_BYTES long
 * messages are cut too.  Every VM keeps its latest result, so no size ever
 * costs a VM its status (the bound is on history, not on VMs).
 */
static char *
status_text(struct vr_statedir *sd)
{
	char *text = doc_text(sd->status);
	size_t keep = HISTORY_MAX;

	while (text && strlen(text) > STATUS_SOFT_BYTES && keep > 0) {
		free(text);
		cut_history(sd->status, --keep, false);
		text = doc_text(sd->status);
	}
	if (text && strlen(text) > STATUS_MAX_BYTES) {
		free(text);
		cut_history(sd->status, 0, true);
		text = doc_text(sd->status);
	}
	return text;
}

static int
save_dirty(struct vr_statedir *sd)
{
	char *text;
	int rc;

	/* each file holds every journal line numbered so far (journal_add
	 * puts a line's entry in memory first): a replay must skip them all */
	if (sd->applied_dirty && sd->seq)
		json_object_set_new(sd->applied, "journalSeq",
		    json_integer(sd->seq));
	if (sd->status_dirty && sd->seq)
		json_object_set_new(sd->status, "journalSeq",
		    json_integer(sd->seq));
	if (sd->applied_dirty) {
		if (!(text = doc_text(sd->applied)))
			return vr_error_set(VR_ENOMEM, "cannot serialize "
			    "last-applied.json");
		rc = doc_save(sd, "last-applied.json", text);
		free(text);
		if (rc < 0)
			return rc;
		sd->applied_dirty = false;
	}
	if (sd->status_dirty) {
		if (!(text = status_text(sd)))
			return vr_error_set(VR_ENOMEM, "cannot serialize "
			    "status.json");
		if (strlen(text) > STATUS_MAX_BYTES)
			rc = vr_error_set(VR_ERROR, "status.json would be "
			    "larger than %d bytes even without history; not "
			    "written", STATUS_MAX_BYTES);
		else
			rc = doc_save(sd, "status.json", text);
		free(text);
		if (rc < 0)
			return rc;
		sd->status_dirty = false;
	}
	return 0;
}

/* Write both files with the journal in them, then remove the journal. */
static int
fold(struct vr_statedir *sd)
{
	int rc;

	if (sd->journal) {
		if ((rc = load_applied(sd)) < 0 ||
		    (rc = load_status(sd, true)) < 0)
			return rc;
		sd->applied_dirty = sd->status_dirty = true;
	}
	if ((rc = save_dirty(sd)) < 0)
		return rc;
	if (sd->journal) {
		if (unlinkat(sd->dir_fd, "journal", 0) < 0 && errno != ENOENT)
			return vr_error_set(VR_ERROR, "cannot remove "
			    "'%s/journal': %s", sd->path, strerror(errno));
		fsync(sd->dir_fd);
	}
	sd->journal = false;
	sd->journal_bytes = 0;
	return 0;
}

void
vr_statedir_pass_begin(struct vr_statedir *sd)
{
	sd->depth++;
}

int
vr_statedir_pass_end(struct vr_statedir *sd)
{
	int rc;

	if (sd->depth > 0 && --sd->depth > 0)
		return 0;
	if ((rc = vr_statedir_sync(sd)) < 0)
		return rc;
	return fold(sd);
}

void
vr_statedir_pass_drop(struct vr_statedir *sd)
{
	json_decref(sd->applied);
	json_decref(sd->status);
	sd->applied = sd->status = NULL;
	sd->applied_dirty = sd->status_dirty = false;
	sd->npending = 0;
}

/* Outside a pass a change is written at once. */
static int
changed(struct vr_statedir *sd)
{
	return sd->depth > 0 ? 0 : save_dirty(sd);
}

/* --- records ----------------------------------------------------------- */

/* A record holds the reconciled fields of the table (field.h) in their
 * STATE JSON form, checked against the same bounds as a spec. */
int
vr_statedir_record_get(struct vr_statedir *sd, const char *name,
    struct vr_vm_spec *out)
{
	struct vr_json_at at = file_at("last-applied.json", "vms");
	struct vr_value v;
	char where[128], *path = NULL;
	json_t *vm = NULL, *j;
	bool in_flight = false;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = load_applied(sd)) < 0)
		return rc;
	rc = vr_json_object(&vm, &at, doc_vms(sd->applied), name,
	    VR_JSON_OPTIONAL);
	if (rc <= 0)
		return rc == 0 ? VR_ENOTFOUND : rc;
	out->name = vr_strdup(name);
	snprintf(where, sizeof(where), "last-applied.json: '%s'", name);
	path = vr_json_path("vms", name);
	at.path = path;
	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];

		if (!f->reconciled)
			continue;
		if ((rc = vr_json_value(&j, &at, vm, f->key,
		    VR_JSON_OPTIONAL)) < 0)
			goto out;
		if (rc == 0)
			continue;
		if ((rc = vr_field_from_json(f, j, &v, where)) < 0)
			goto out;
		f->set(out, &v);
		vr_value_clear(&v);
	}
	/* a GPU change was sent and not seen through: unknown */
	if ((rc = vr_json_bool(&in_flight, &at, vm, "gpuInFlight",
	    VR_JSON_OPTIONAL)) < 0)
		goto out;
	if (in_flight)
		vr_fields[VR_FIELD_GPU].set(out, &(struct vr_value){ 0 });
	rc = 0;
out:
	free(path);
	if (rc < 0)
		vr_vm_spec_clear(out);
	return rc;
}

int
vr_statedir_record_put(struct vr_statedir *sd, const struct vr_vm_spec *r)
{
	struct vr_value v;
	json_t *vm;
	size_t i;
	int rc;

	if ((rc = load_applied(sd)) < 0)
		return rc;
	vm = json_object();
	for (i = 0; i < VR_FIELD__COUNT; i++) {
		if (!vr_fields[i].reconciled)
			continue;
		vr_fields[i].get(r, &v);
		/* an observed value no spec could hold (a QEMU VM of 700 MB)
		 * is left out: no backend reads it back */
		if (v.kind != VR_VALUE_NONE && vr_field_ok(&vr_fields[i], &v))
			json_object_set_new(vm, vr_fields[i].key, vr_field_json(
			    &vr_fields[i], &v, VR_JSON_STATE));
		vr_value_clear(&v);
	}
	json_object_set(doc_vms(sd->applied), r->name, vm);
	sd->applied_dirty = true;
	if (sd->depth > 0)
		journal_add(sd, r->name, "record", vm);
	json_decref(vm);
	return changed(sd);
}

/* Written ahead of the backend call, so durable at once even inside a
 * pass: the journal line is synced before this returns. */
int
vr_statedir_record_gpu_in_flight(struct vr_statedir *sd, const char *name)
{
	struct vr_json_at at = file_at("last-applied.json", "vms");
	json_t *vm = NULL;
	int rc;

	if ((rc = load_applied(sd)) < 0)
		return rc;
	/* a record that is not an object failed record_get already */
	if ((rc = vr_json_object(&vm, &at, doc_vms(sd->applied), name,
	    VR_JSON_OPTIONAL)) < 0)
		return rc;
	if (rc == 0) {
		vm = json_object();
		json_object_set_new(doc_vms(sd->applied), name, vm);
	}
	json_object_del(vm, "gpu");
	json_object_set_new(vm, "gpuInFlight", json_true());
	sd->applied_dirty = true;
	if (sd->depth == 0)
		return save_dirty(sd);
	journal_add(sd, name, "record", vm);
	return vr_statedir_sync(sd);
}

/* --- status ------------------------------------------------------------ */

const char *
vr_result_name(enum vr_result r)
{
	switch (r) {
	case VR_RESULT_CONVERGED: return "converged";
	case VR_RESULT_PENDING: return "pending";
	case VR_RESULT_FAILED: return "failed";
	case VR_RESULT_DRIFTED: return "drifted";
	case VR_RESULT_INTERRUPTED: return "interrupted";
	case VR_RESULT__COUNT: break;
	}
	return "?";
}

static void
now_iso(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
vr_statedir_status_put(struct vr_statedir *sd, const char *name,
    const char *revision, enum vr_result result, const char *message)
{
	json_t *entry;
	char now[32];
	int rc;

	/* the message may be vr_error_msg()'s buffer, which loading the
	 * file below may overwrite: it is copied before anything else */
	entry = json_pack("{s:s, s:s, s:s}", "time", "", "result",
	    vr_result_name(result), "message", message ? message : "");
	if (revision)
		json_object_set_new(entry, "revision", json_string(revision));
	if ((rc = load_status(sd, true)) < 0) {
		json_decref(entry);
		return rc;
	}
	now_iso(now, sizeof(now));
	json_object_set_new(entry, "time", json_string(now));
	status_apply(sd->status, name, entry);
	sd->status_dirty = true;
	if (sd->depth > 0)
		journal_add(sd, name, "status", entry);
	json_decref(entry);
	return changed(sd);
}

int
vr_statedir_status_read(struct vr_statedir *sd, char **out)
{
	json_t *copy;
	int rc;

	*out = NULL;
	if ((rc = load_status(sd, false)) < 0)
		return rc;
	copy = json_copy(sd->status); /* the journal's bookkeeping is not
				       * status */
	json_object_del(copy, "journalSeq");
	if (json_object_size(doc_vms(copy)) == 0 &&
	    json_object_size(copy) <= 2) {
		json_decref(copy);
		return vr_error_set(VR_ENOTFOUND, "nothing recorded in state "
		    "dir '%s' yet", sd->path);
	}
	*out = doc_text(copy);
	json_decref(copy);
	return *out ? 0 : vr_error_set(VR_ENOMEM, "cannot serialize status");
}

int
vr_statedir_status_edit(struct vr_statedir *sd,
    int (*edit)(json_t *doc, void *arg), void *arg)
{
	json_t *copy;
	int rc;

	if ((rc = load_status(sd, true)) < 0)
		return rc;
	/* an edit that fails leaves the document as it was */
	copy = json_deep_copy(sd->status);
	if ((rc = edit(copy, arg)) < 0) {
		json_decref(copy);
		return rc;
	}
	json_decref(sd->status);
	sd->status = copy;
	sd->status_dirty = true;
	return changed(sd);
}
