/* suggest.c - the edit distance behind every "did you mean" (suggest.h). */
#include <string.h>

#include "suggest.h"

uint32_t
vr_utf8_next(const unsigned char *s, size_t n, size_t *w)
{
	uint32_t c = s[0];
	size_t k, i;

	*w = 1;
	if (c < 0x80)
		return c;
	k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	if (k == 0 || k >= n)
		return 0xfffd;
	c &= 0x3f >> k;
	for (i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*w = k + 1;
	return c;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int
vr_suggest_distance(const char *s, size_t slen, const char *known)
{
	uint32_t a[65];
	int d[66][66], n = 0, m = (int)strlen(known), i, j;
	size_t off = 0, w;

	while (off < slen) {
		uint32_t c = vr_utf8_next((const unsigned char *)s + off,
		    slen - off, &w);

		if (n == 64 || m > 64)
			return 1000;
		a[n++] = c < 0x80 ? (uint32_t)lower((char)c) : c;
		off += w;
	}
	for (i = 0; i <= n; i++)
		d[i][0] = i;
	for (j = 0; j <= m; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++) {
		for (j = 1; j <= m; j++) {
			int cost = a[i - 1] != (uint32_t)lower(known[j - 1]);
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] ==
			    (uint32_t)lower(known[j - 2]) && a[i - 2] ==
			    (uint32_t)lower(known[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[n][m];
}

const char *
vr_suggest_near(const char *s, size_t len, const char *const *known)
{
	const char *best = NULL;
	int bestd = 3, i;

	for (i = 0; known[i]; i++) {
		int d = vr_suggest_distance(s, len, known[i]);

		if (d < bestd && (size_t)d < len) {
			bestd = d;
			best = known[i];
		}
	}
	return best;
}

const char *
vr_suggest_prefix(const char *s, size_t len, const char *const *known)
{
	int i;

	for (i = 0; known[i] && len >= 4; i++) {
		size_t j;

		for (j = 0; j < len && known[i][j] &&
		    lower(s[j]) == lower(known[i][j]); j++)
			;
		if (j == len)
			return known[i];
	}
	return NULL;
}
