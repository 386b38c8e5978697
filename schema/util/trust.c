/*
 * trust.c - the safe_path() walk of trust.h: from / down to the file, one
 * component at a time, each opened relative to the directory checked
 * before it with O_PATH | O_NOFOLLOW and checked with fstat.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "trust.h"

#define MAX_LINKS 40 /* as many as the kernel's own path walk follows */

struct walk {
	const char *what, *path; /* for messages */
	int dirfd;               /* the directory checked last */
	char dir[PATH_MAX];      /* its path, links resolved ("" for /) */
	char link[PATH_MAX];     /* the last symbolic link followed, or "" */
};

/* "refusing <what> <path>: <why>[, reached through the symbolic link L]" */
static int __attribute__((format(printf, 3, 4)))
refuse(const struct walk *w, int code, const char *fmt, ...)
{
	char why[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return vr_error_set(code, "refusing %s %s: %s%s%s%s", w->what,
	    w->path, why, w->link[0] ? " (reached through the symbolic link "
	    "'" : "", w->link, w->link[0] ? "')" : "");
}

/* Owned by root or us, and nobody else may write it. */
static int
check(const struct walk *w, const struct stat *st, const char *name)
{
	mode_t m = st->st_mode;

	if (st->st_uid != 0 && st->st_uid != geteuid())
		return refuse(w, VR_EINVALID, "'%s' is owned by uid %ld, "
		    "neither root nor the user running vmrecon (uid %ld), so "
		    "its owner could change what runs", name,
		    (long)st->st_uid, (long)geteuid());
	if (m & 022)
		return refuse(w, VR_EINVALID, "'%s' is writable by %s (mode "
		    "%04o), so others could change what runs; %s", name,
		    (m & 022) == 022 ? "its group and others" : m & 020 ?
		    "its group" : "others", (unsigned)(m & 07777),
		    (m & S_ISVTX) ? "code is never taken from a shared "
		    "directory such as /tmp: install it elsewhere" :
		    "fix it with chmod go-w");
	return 0;
}

/* Make `fd` (named `name`) the directory checked last. */
static int
enter(struct walk *w, int fd, const char *name)
{
	struct stat st;
	int rc;

	if (fd < 0)
		return refuse(w, errno == ENOENT ? VR_ENOTFOUND : VR_ERROR,
		    "cannot open '%s': %s", name, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = refuse(w, VR_ERROR, "cannot stat '%s': %s", name,
		    strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		rc = refuse(w, VR_EINVALID, "'%s' is not a directory", name);
	} else if ((rc = check(w, &st, name)) == 0) {
		if (w->dirfd >= 0)
			close(w->dirfd);
		w->dirfd = fd;
		snprintf(w->dir, sizeof(w->dir), "%s",
		    strcmp(name, "/") == 0 ? "" : name);
		return 0;
	}
	close(fd);
	return rc;
}

/* The last component, a regular file: checked, then opened for reading,
 * and the file opened must be the file checked. */
static int
open_file(struct walk *w, const struct stat *st, const char *comp,
    const char *name)
{
	struct stat now;
	int fd, rc;

	if (!S_ISREG(st->st_mode))
		return refuse(w, VR_EINVALID, "'%s' is not a regular file",
		    name);
	if ((rc = check(w, st, name)) < 0)
		return rc;
	/* O_NONBLOCK: should it have become a FIFO, the open cannot hang */
	fd = openat(w->dirfd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0)
		return refuse(w, VR_ERROR, "cannot open '%s': %s", name,
		    strerror(errno));
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino) {
		close(fd);
		return refuse(w, VR_EINVALID, "'%s' changed while it was "
		    "checked", name);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Follow the link open on `fd` (named `name`): what it points to is put
 * in front of `rest`, in `todo`. */
static int
follow(struct walk *w, int fd, const char *name, char *todo, size_t size,
    const char *rest)
{
	char target[PATH_MAX], tmp[2 * PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target));

	if (n <= 0 || (size_t)n >= sizeof(target))
		return refuse(w, VR_ERROR, "cannot read the symbolic link "
		    "'%s'", name);
	target[n] = '\0';
	snprintf(w->link, sizeof(w->link), "%s", name);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s%s", target,
	    *rest ? "/" : "", rest) >= size)
		return refuse(w, VR_EINVALID, "the path is too long");
	strcpy(todo, tmp);
	if (target[0] == '/')
		return enter(w, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC),
		    "/");
	return 0;
}

int
vr_trust_open(const char *path, const char *what)
{
	struct walk w = { what, path, -1, "", "" };
	char todo[2 * PATH_MAX], cwd[PATH_MAX], name[PATH_MAX];
	char *p = todo, *comp;
	struct stat st;
	int links = 0, fd, rc, last;

	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return refuse(&w, VR_ERROR, "cannot read the working "
		    "directory: %s", strerror(errno));
	if ((size_t)snprintf(todo, sizeof(todo), "%s%s%s", path[0] == '/' ?
	    "" : cwd, path[0] == '/' ? "" : "/", path) >= PATH_MAX)
		return refuse(&w, VR_EINVALID, "the path is too long");
	if ((rc = enter(&w, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC),
	    "/")) < 0)
		return rc;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p) {
			rc = refuse(&w, VR_EINVALID, "it names a directory, "
			    "not a file");
			break;
		}
		comp = p;
		p += strcspn(p, "/");
		last = *p == '\0';
		if (*p)
			*p++ = '\0';
		if (strcmp(comp, ".") == 0)
			continue;
		if ((size_t)snprintf(name, sizeof(name), "%s/%s", w.dir,
		    comp) >= sizeof(name)) {
			rc = refuse(&w, VR_EINVALID, "the path is too long");
			break;
		}
		if (strcmp(comp, "..") == 0) {
			/* the physical parent, as after a followed link */
			char *slash = strrchr(w.dir, '/');

			snprintf(name, sizeof(name), "%.*s", slash ?
			    (int)(slash - w.dir) : 0, w.dir);
			if ((rc = enter(&w, openat(w.dirfd, "..", O_PATH |
			    O_DIRECTORY | O_CLOEXEC), name[0] ? name :
			    "/")) < 0)
				break;
			continue;
		}
		fd = openat(w.dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			rc = refuse(&w, errno == ENOENT ? VR_ENOTFOUND :
			    VR_ERROR, "cannot open '%s': %s", name,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			/* out of a checked directory: nobody else made it */
			rc = ++links > MAX_LINKS ? refuse(&w, VR_EINVALID,
			    "more than %d symbolic links", MAX_LINKS) :
			    follow(&w, fd, name, todo, sizeof(todo), p);
			close(fd);
			if (rc < 0)
				break;
			p = todo;
			continue;
		}
		if (!last) {
			if ((rc = enter(&w, fd, name)) < 0)
				break;
			continue;
		}
		rc = open_file(&w, &st, comp, name);
		close(fd);
		break;
	}
	close(w.dirfd);
	return rc;
}
