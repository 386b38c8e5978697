/*
 * fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz/: a
 * scratch directory (in /dev/shm when there is one, so the files the
 * targets write cost no disk), and splitting one input into parts.
 */
#ifndef VR_FUZZ_H
#define VR_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../schema/util/fileio.h"

/* Inputs are split into parts on this line. */
#define FUZZ_SEP "\n=====\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory of our own for this process, made once; never removed
 * (libFuzzer exits through many paths), so it is small and in /dev/shm. */
static inline const char *
fuzz_dir(void)
{
	static char dir[64];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/vr-fuzz-XXXXXX",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

/* Write `len` bytes to dir/name (plainly: the fuzzer is the only user). */
static inline void
fuzz_put(const char *name, const void *buf, size_t len)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (len && fwrite(buf, 1, len, fp) != len)
		abort();
	fclose(fp);
}

static inline void
fuzz_remove(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	unlink(path);
}

/* Split data into at most `max` parts at FUZZ_SEP; the parts are copies
 * (so a reader going past a part's end is caught), NUL-terminated beyond
 * their length.  Returns how many; parts after that are NULL. */
static inline size_t
fuzz_split(char **part, size_t *len, size_t max, const uint8_t *data,
    size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	size_t n = 0, seplen = strlen(FUZZ_SEP);

	memset(part, 0, max * sizeof(*part));
	memset(len, 0, max * sizeof(*len));
	while (n < max) {
		const char *q = n + 1 < max ?
		    memmem(p, (size_t)(end - p), FUZZ_SEP, seplen) : NULL;
		size_t l = q ? (size_t)(q - p) : (size_t)(end - p);

		part[n] = malloc(l + 1);
		memcpy(part[n], p, l);
		part[n][l] = '\0';
		len[n++] = l;
		if (!q)
			break;
		p = q + seplen;
	}
	return n;
}

static inline void
fuzz_split_free(char **part, size_t max)
{
	size_t i;

	for (i = 0; i < max; i++)
		free(part[i]);
}
#endif
