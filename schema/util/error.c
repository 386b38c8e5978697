/* error.c - thread-local last error and the allocation wrappers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static _Thread_local struct vr_error last;

int
vr_error__set(int code, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	last.code = code;
	last.src_file = file;
	last.src_line = line;
	va_start(ap, fmt);
	vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	va_end(ap);
	return code;
}

int
vr_error_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(last.msg)];
	size_t n, o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last.msg, sizeof(old));
	n = strlen(prefix);
	memcpy(last.msg, prefix, n);
	memcpy(last.msg + n, ": ", 2);
	n += 2;
	o = strlen(old);
	if (o > sizeof(last.msg) - 1 - n)
		o = sizeof(last.msg) - 1 - n; /* truncated: still one line */
	memcpy(last.msg + n, old, o);
	last.msg[n + o] = '\0';
	last.code = code;
	return code;
}

const struct vr_error *
vr_error_last(void)
{
	return &last;
}

const char *
vr_error_msg(void)
{
	/* asked for a message where none was recorded: never "success" */
	if (!last.msg[0] && last.code == VR_OK)
		return "error (no message was recorded for it)";
	return last.msg[0] ? last.msg : vr_strerror(last.code);
}

void
vr_error_clear(void)
{
	memset(&last, 0, sizeof(last));
}

const char *
vr_strerror(int code)
{
	switch (code) {
	case VR_OK: return "success";
	case VR_ENOTFOUND: return "not found";
	case VR_EINVALID: return "invalid input";
	case VR_EUNSUPPORTED: return "not supported by this backend";
	case VR_ECONFLICT: return "conflict with another reconciler";
	case VR_EBACKEND: return "the backend refused or failed";
	case VR_ETIMEOUT: return "timed out";
	case VR_ENOMEM: return "out of memory";
	case VR_EINTR: return "interrupted";
	default: return "error";
	}
}

static void
oom(void)
{
	fputs("vmrecon: out of memory\n", stderr);
	abort();
}

void *
vr_malloc(unsigned long n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *
vr_calloc(unsigned long n, unsigned long size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *
vr_realloc(void *p, unsigned long n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *
vr_grow(void *p, unsigned long n, unsigned long size)
{
	if (n & (n - 1))
		return p; /* not a power of two: room is left */
	if (size && n > (unsigned long)-1 / 2 / size)
		oom();
	return vr_realloc(p, (n ? 2 * n : 1) * size);
}

char *
vr_strdup(const char *s)
{
	return s ? vr_strndup(s, strlen(s)) : NULL;
}

char *
vr_strndup(const char *s, unsigned long n)
{
	char *p = vr_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
vr_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = vr_malloc((unsigned long)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
