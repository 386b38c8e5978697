/*
 * error.h - the one error convention of vmrecon.
 *
 * Functions return 0 on success and a negative VR_E* code on failure.  The
 * place that detects a failure records a one-line message with
 * vr_error_set(); callers pass the code up unchanged and read the message
 * with vr_error_last() where they report it.  (The libgit2 convention.)
 */
#ifndef VR_ERROR_H
#define VR_ERROR_H

enum vr_code {
	VR_OK = 0,
	VR_ERROR = -1,        /* anything not worth its own code */
	VR_ENOTFOUND = -2,    /* no such VM, file, ref, GPU */
	VR_EINVALID = -3,     /* input rejected: YAML, JSON, options */
	VR_EUNSUPPORTED = -4, /* backend cannot do this */
	VR_ECONFLICT = -5,    /* lock held, state changed under us */
	VR_EBACKEND = -6,     /* the backend refused or failed */
	VR_ETIMEOUT = -7,     /* a deadline passed */
	VR_ENOMEM = -8,
	VR_EINTR = -9,        /* stopped by an interrupt (interrupt.h) */
};

struct vr_error {
	int code;
	const char *src_file; /* where in vmrecon it was set */
	int src_line;
	char msg[1024];
};

/* Record an error for this thread; returns `code` so one can write
 * `return vr_error_set(VR_EINVALID, "bad %s", x);`. */
int vr_error__set(int code, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define vr_error_set(code, ...) \
	vr_error__set((code), __FILE__, __LINE__, __VA_ARGS__)

/* Prefix the current message with context: "ctx: old message". */
int vr_error_wrap(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The last error of this thread; never NULL (code 0 and "" when none).
 * vr_error_msg() reads a buffer the next vr_error_set or clear changes:
 * copy it at the point of failure before calling anything else. */
const struct vr_error *vr_error_last(void);
const char *vr_error_msg(void);
void vr_error_clear(void);

/* A fixed sentence for each code. */
const char *vr_strerror(int code);

/* Allocation that cannot fail: on exhaustion prints and aborts.  A
 * reconciler that cannot allocate a few hundred bytes cannot report either. */
void *vr_malloc(unsigned long n);
void *vr_calloc(unsigned long n, unsigned long size);
void *vr_realloc(void *p, unsigned long n);
/* `p`, an array of `n` elements of `size` bytes grown one at a time, with
 * room for element n: the capacity doubles at each power of two, so that
 * appending n elements copies them O(n) times, not O(n^2) where realloc
 * cannot move pages (ASan, allocators without mremap). */
void *vr_grow(void *p, unsigned long n, unsigned long size);
char *vr_strdup(const char *s);
char *vr_strndup(const char *s, unsigned long n);
char *vr_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
