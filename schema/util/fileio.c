/* fileio.c - bounded reads and atomic writes (temp, fsync, rename). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"

int
vr_file_read_fd(char **out, size_t *len, int fd, const char *shown,
    size_t max)
{
	size_t n = 0, cap = 4096;
	char *buf;
	ssize_t r;

	buf = vr_malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > max)
				break;
			cap *= 2;
			buf = vr_realloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return vr_error_set(VR_ERROR, "cannot read '%s': %s",
			    shown, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			break;
	}
	if (n > max) {
		free(buf);
		return vr_error_set(VR_EINVALID,
		    "'%s' is larger than the limit of %zu bytes", shown, max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
vr_file_read(char **out, size_t *len, const char *path, size_t max)
{
	int fd, rc, stdin_ = strcmp(path, "-") == 0;

	*out = NULL;
	*len = 0;
	fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vr_error_set(errno == ENOENT ? VR_ENOTFOUND : VR_ERROR,
		    "cannot open '%s': %s", path, strerror(errno));
	rc = vr_file_read_fd(out, len, fd, path, max);
	if (!stdin_)
		close(fd);
	return rc;
}

int
vr_file_check_own(int fd, const char *shown)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vr_error_set(VR_ERROR, "cannot stat '%s': %s", shown,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vr_error_set(VR_EINVALID, "'%s' is not a regular file; "
		    "not used (remove it)", shown);
	if (st.st_uid != geteuid())
		return vr_error_set(VR_EINVALID, "'%s' is owned by uid %ld, "
		    "not by the user running vmrecon (uid %ld); not used "
		    "(remove it, or chown it)", shown, (long)st.st_uid,
		    (long)geteuid());
	return 0;
}

int
vr_file_open_own(int dirfd, const char *name, const char *shown, int flags,
    mode_t mode)
{
	int fd, rc;

	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
	    mode);
	if (fd < 0) {
		if (errno == ENOENT)
			return vr_error_set(VR_ENOTFOUND, "cannot open '%s': "
			    "%s", shown, strerror(errno));
		if (errno == ELOOP)
			return vr_error_set(VR_EINVALID, "'%s' is a symbolic "
			    "link; not followed (remove it)", shown);
		return vr_error_set(VR_ERROR, "cannot open '%s': %s", shown,
		    strerror(errno));
	}
	if ((rc = vr_file_check_own(fd, shown)) < 0) {
		close(fd);
		return rc;
	}
	/* back to blocking I/O: O_NONBLOCK only kept a FIFO from hanging */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int
vr_file_read_own(char **out, size_t *len, int dirfd, const char *name,
    const char *shown, size_t max)
{
	int fd, rc;

	*out = NULL;
	*len = 0;
	if ((fd = vr_file_open_own(dirfd, name, shown, O_RDONLY, 0)) < 0)
		return fd;
	rc = vr_file_read_fd(out, len, fd, shown, max);
	close(fd);
	return rc;
}

/* A name for a temporary file beside `name` that nobody guesses. */
static void
tmp_name(char *out, size_t n, const char *name)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned char r[8];
	char sfx[9];
	size_t i;

	if (getentropy(r, sizeof(r)) < 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)((ts.tv_nsec >> (i * 3)) ^
			    getpid() >> i);
	}
	for (i = 0; i < 8; i++)
		sfx[i] = digits[r[i] % 32];
	sfx[8] = '\0';
	snprintf(out, n, "%s.tmp.%s", name, sfx);
}

void
vr_file_sweep_tmp(int dirfd, const char *name)
{
	size_t n = strlen(name);
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		const char *s = e->d_name;

		if (strncmp(s, name, n) != 0 || strncmp(s + n, ".tmp.", 5) ||
		    strlen(s + n + 5) != 8 ||
		    strspn(s + n + 5, "0123456789abcdefghijklmnopqrstuv") != 8)
			continue;
		if (fstatat(dirfd, s, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd, s, 0);
	}
	closedir(d);
}

int
vr_file_write_at(int dirfd, const char *name, const char *shown,
    const void *buf, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	const char *p = buf;
	size_t off = 0;
	int fd = -1, e, tries;

	if (strlen(name) + 16 >= sizeof(tmp))
		return vr_error_set(VR_EINVALID, "path too long: '%s'", shown);
	for (tries = 0; tries < 100 && fd < 0; tries++) {
		tmp_name(tmp, sizeof(tmp), name);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return vr_error_set(VR_ERROR, "cannot create a file beside "
		    "'%s': %s", shown, strerror(errno));
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail;
	fsync(dirfd);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return vr_error_set(VR_ERROR, "cannot write '%s': %s", shown,
	    strerror(e));
}

int
vr_file_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd, rc;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return vr_error_set(VR_EINVALID, "path too long: '%s'", path);
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vr_error_set(VR_ERROR, "cannot write '%s': %s", path,
		    strerror(errno));
	rc = vr_file_write_at(dfd, slash ? slash + 1 : path, path, buf, len,
	    mode);
	close(dfd);
	return rc;
}

int
vr_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return vr_error_set(VR_EINVALID, "bad directory '%s'", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return vr_error_set(VR_ERROR, "cannot create '%s': %s",
			    buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}
