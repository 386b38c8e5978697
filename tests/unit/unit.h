/*
 * unit.h - a tiny test harness: TEST(name) registers a function, CHECK*
 * record failures without stopping the test, the runner (unit.c) prints one
 * line per test and "N passed, N failed".
 */
#ifndef VR_UNIT_H
#define VR_UNIT_H

#include <stdbool.h>
#include <stdint.h>

void unit_register(const char *name, void (*fn)(void), const char *file);
bool unit_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A fresh empty directory for this test (removed when it passes). */
const char *unit_tmpdir(void);
/* Write `text` to `dir/name`; returns the path (static buffer). */
const char *unit_write(const char *dir, const char *name, const char *text);
/* `rel` under the source tree ($VR_TOP, else "."): a static buffer. */
const char *unit_top(const char *rel);
/* 1 once `pid` is gone or a zombie (its parent has not reaped it yet). */
int unit_gone(int pid);
/* unit_gone, waited for up to 30 s. */
int unit_wait_gone(int pid);
/* The number in the file `path` (a pid a child wrote), or 0. */
long unit_read_long(const char *path);

#define TEST(name) \
	static void name(void); \
	__attribute__((constructor)) static void reg_##name(void) \
	{ unit_register(#name, name, __FILE__); } \
	static void name(void)

#define CHECK(c) unit_check((c), __FILE__, __LINE__, "%s", #c)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), \
	b_ = (long long)(b); unit_check(a_ == b_, __FILE__, __LINE__, \
	"%s == %s (%lld != %lld)", #a, #b, a_, b_); } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	unit_check(a_ && b_ && strcmp(a_, b_) == 0, __FILE__, __LINE__, \
	"%s == \"%s\" (got \"%s\")", #a, b_ ? b_ : "(null)", \
	a_ ? a_ : "(null)"); } while (0)
#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), \
	*n_ = (needle); unit_check(h_ && strstr(h_, n_) != NULL, __FILE__, \
	__LINE__, "\"%s\" contains \"%s\"", h_ ? h_ : "(null)", n_); } \
	while (0)

#endif
