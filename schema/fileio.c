/* fileio.c - bounded reads and atomic writes (temp, fsync, rename). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"

int
vr_file_read(char **out, size_t *len, const char *path, size_t max)
{
	int fd, stdin_ = strcmp(path, "-") == 0;
	size_t n = 0, cap = 4096;
	char *buf;
	ssize_t r;

	*out = NULL;
	*len = 0;
	fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vr_error_set(errno == ENOENT ? VR_ENOTFOUND : VR_ERROR,
		    "cannot open '%s': %s", path, strerror(errno));
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
			if (!stdin_)
				close(fd);
			return vr_error_set(VR_ERROR, "cannot read '%s': %s",
			    path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			break;
	}
	if (!stdin_)
		close(fd);
	if (n > max) {
		free(buf);
		return vr_error_set(VR_EINVALID,
		    "'%s' is larger than the limit of %zu bytes", path, max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	fsync(fd);
	close(fd);
	return 0;
}

int
vr_file_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode)
{
	char tmp[PATH_MAX];
	const char *p = buf;
	size_t off = 0;
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp))
		return vr_error_set(VR_EINVALID, "path too long: '%s'", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return vr_error_set(VR_ERROR, "cannot create a file beside "
		    "'%s': %s", path, strerror(errno));
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
	if (rename(tmp, path) < 0)
		goto fail;
	fsync_dir_of(path);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return vr_error_set(VR_ERROR, "cannot write '%s': %s", path,
	    strerror(e));
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
