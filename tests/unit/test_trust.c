/* test_trust.c - vr_trust_open (schema/util/trust.h) on real trees: the
 * build tree is accepted in every spelling of its path; a directory or file
 * others may write, a file of another user, links into such places, loops,
 * FIFOs and directories are refused, each saying why; and vr_elf_note
 * (schema/util/elfnote.h) reads the modules' notes.  The trees are made
 * under the build tree (build/tmp), since /tmp itself is refused. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../schema/util/elfnote.h"
#include "../../schema/util/error.h"
#include "../../schema/util/module.h"
#include "../../schema/util/trust.h"
#include "unit.h"

static char exe[1024], tree[1024];

/* The unit binary's own directory (in the build tree) into `exe`. */
static void
exe_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	if (strrchr(exe, '/'))
		*strrchr(exe, '/') = '\0';
}

/* A fresh directory of ours under build/tmp, in `tree`. */
static const char *
new_tree(void)
{
	const char *top = getenv("VR_TOP");
	char base[900], real[PATH_MAX];

	snprintf(base, sizeof(base), "%.880s/build/tmp", top ? top : ".");
	mkdir(base, 0755);
	/* absolute, as the messages name what they checked */
	if (!realpath(base, real))
		real[0] = '\0';
	snprintf(tree, sizeof(tree), "%.900s/unit-XXXXXX", real);
	if (!mkdtemp(tree))
		tree[0] = '\0';
	return tree;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void
drop_tree(void)
{
	if (tree[0])
		nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tree[0] = '\0';
}

static const char *
at(const char *name)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", tree, name);
	return p;
}

/* vr_trust_open must refuse `path` with `code` and `msg` in its message. */
static void
refused(const char *path, int code, const char *msg)
{
	int fd = vr_trust_open(path, "test");

	CHECK_INT(fd, code);
	CHECK_CONTAINS(vr_error_msg(), "refusing test ");
	CHECK_CONTAINS(vr_error_msg(), msg);
	if (fd >= 0)
		close(fd);
}

TEST(test_trust__build_tree)
{
	char p[PATH_MAX + 64], *base;
	struct stat a, b;
	int fd;

	exe_dir();
	base = strrchr(exe, '/');
	snprintf(p, sizeof(p), "%s/unit", exe);
	fd = vr_trust_open(p, "test");
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(fstat(fd, &a) == 0 && stat(p, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev);
		close(fd);
	}
	/* ., .., // on the way */
	snprintf(p, sizeof(p), "%s/./..%s//unit", exe, base ? base : "");
	fd = vr_trust_open(p, "test");
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(p, sizeof(p), "%s/", exe);
	refused(p, VR_EINVALID, "it names a directory, not a file");
	refused(exe, VR_EINVALID, "is not a regular file");
	snprintf(p, sizeof(p), "%s/no-such-file", exe);
	refused(p, VR_ENOTFOUND, "No such file or directory");
	snprintf(p, sizeof(p), "%s/unit/x", exe);
	refused(p, VR_EINVALID, "/unit' is not a directory");
}

TEST(test_trust__refusals)
{
	char want[PATH_MAX + 128], ww[PATH_MAX];
	int fd;

	if (!new_tree()[0]) {
		CHECK(!"mkdtemp under build/tmp");
		return;
	}
	CHECK_INT(vr_trust_open(unit_write(tree, "ok", "x"), "test") >= 0, 1);
	/* a world-writable directory, also reached through links */
	snprintf(ww, sizeof(ww), "%s", at("ww"));
	CHECK_INT(mkdir(ww, 0755), 0);
	CHECK_INT(chmod(ww, 0777), 0);
	unit_write(ww, "f", "x");
	snprintf(want, sizeof(want), "'%s' is writable by its group and "
	    "others (mode 0777)", ww);
	refused(at("ww/f"), VR_EINVALID, want);
	CHECK_INT(symlink("ww", at("rel")), 0);
	refused(at("rel/f"), VR_EINVALID, want);
	snprintf(want, sizeof(want), "(reached through the symbolic link "
	    "'%s')", at("rel"));
	refused(at("rel/f"), VR_EINVALID, want);
	CHECK_INT(symlink(ww, at("abs")), 0);
	refused(at("abs/f"), VR_EINVALID, "writable by its group and others");
	/* a link from a trusted place to a trusted file is followed */
	CHECK_INT(symlink("ok", at("ok-link")), 0);
	fd = vr_trust_open(at("ok-link"), "test");
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* files: group-writable, a FIFO (no hang), a loop of links */
	CHECK_INT(chmod(unit_write(tree, "gw", "x"), 0664), 0);
	refused(at("gw"), VR_EINVALID, "is writable by its group (mode 0664)");
	CHECK_INT(mkfifo(at("fifo"), 0600), 0);
	refused(at("fifo"), VR_EINVALID, "is not a regular file");
	CHECK_INT(symlink("b", at("a")), 0);
	CHECK_INT(symlink("a", at("b")), 0);
	refused(at("a"), VR_EINVALID, "more than 40 symbolic links");
	/* another user's file and directory (root only: chown) */
	if (geteuid() == 0) {
		CHECK_INT(chown(unit_write(tree, "nob", "x"), 65534, 65534), 0);
		refused(at("nob"), VR_EINVALID, "is owned by uid 65534, "
		    "neither root nor the user running vmrecon");
		CHECK_INT(mkdir(at("nobd"), 0755), 0);
		unit_write(at("nobd"), "f", "x");
		CHECK_INT(chown(at("nobd"), 65534, 65534), 0);
		refused(at("nobd/f"), VR_EINVALID, "is owned by uid 65534");
	}
	CHECK_INT(chmod(ww, 0755), 0);
	drop_tree();
}

TEST(test_trust__elf_note)
{
	struct vr_module_note_desc d;
	char p[PATH_MAX + 64], cut[PATH_MAX];
	char head[128];
	int fd, out;

	exe_dir();
	snprintf(p, sizeof(p), "%s/lib/vmrecon/vmrecon-http.so", exe);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
		CHECK(!"the http module of this build");
		return;
	}
	memset(&d, 0, sizeof(d));
	CHECK_INT(vr_elf_note(fd, VR_MODULE_NOTE_OWNER, VR_MODULE_NOTE_TYPE,
	    &d, sizeof(d)), 0);
	CHECK_INT(d.abi, VR_MODULE_ABI);
	CHECK_STR(d.name, "http");
	CHECK_INT(vr_elf_note(fd, VR_MODULE_NOTE_OWNER, VR_MODULE_NOTE_TYPE,
	    &d, sizeof(d) - 4), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "its vmrecon note has 52 bytes, not 48");
	CHECK_INT(vr_elf_note(fd, "nobody", 1, &d, sizeof(d)), VR_ENOTFOUND);
	CHECK_STR(vr_error_msg(), "no nobody note");
	/* its first 128 bytes: the header, the program headers cut off */
	CHECK_INT(pread(fd, head, sizeof(head), 0), (long)sizeof(head));
	close(fd);
	snprintf(cut, sizeof(cut), "%s/cut.so", unit_tmpdir());
	out = open(cut, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK_INT(write(out, head, sizeof(head)), (long)sizeof(head));
	close(out);
	fd = open(cut, O_RDONLY | O_CLOEXEC);
	CHECK_INT(vr_elf_note(fd, VR_MODULE_NOTE_OWNER, VR_MODULE_NOTE_TYPE,
	    &d, sizeof(d)), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "program headers are cut short");
	close(fd);
	fd = open(unit_write(unit_tmpdir(), "text", "#!/bin/sh\n"),
	    O_RDONLY | O_CLOEXEC);
	CHECK_INT(vr_elf_note(fd, VR_MODULE_NOTE_OWNER, VR_MODULE_NOTE_TYPE,
	    &d, sizeof(d)), VR_EINVALID);
	CHECK_STR(vr_error_msg(), "not an ELF file");
	close(fd);
}
