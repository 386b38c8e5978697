/*
 * base64.c - standard base64 (RFC 4648 §4, padded): encoding, and a
 * strict decoder for untrusted input.
 */
#include <stdlib.h>

#include "base64.h"
#include "error.h"

static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz0123456789+/";

char *
vr_base64(const unsigned char *p, size_t n)
{
	char *out = vr_malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = tab[p[i] >> 2];
		*o++ = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = tab[p[i + 2] & 63];
	}
	if (i < n) {
		*o++ = tab[p[i] >> 2];
		if (i + 1 < n) {
			*o++ = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = tab[(p[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* The 6-bit value of c, or -1. */
static int
sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

bool
vr_base64_decode(unsigned char **out, size_t *len, const char *s, size_t n)
{
	unsigned char *buf, *o;
	size_t i, pad = 0;

	*out = NULL;
	*len = 0;
	if (n % 4)
		return false;
	if (n && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	buf = o = vr_malloc(n / 4 * 3 + 1);
	for (i = 0; i < n; i += 4) {
		int v[4], k, last = i + 4 == n;
		unsigned long q = 0;

		for (k = 0; k < 4; k++) {
			v[k] = sextet(s[i + k]);
			if (v[k] < 0 && !(last && k >= 4 - (int)pad))
				goto bad;
			q = q << 6 | (unsigned long)(v[k] < 0 ? 0 : v[k]);
		}
		/* the bits that padding drops must be zero */
		if (last && pad && (q & (pad == 2 ? 0xffffUL : 0xffUL)))
			goto bad;
		*o++ = (unsigned char)(q >> 16);
		if (!last || pad < 2)
			*o++ = (unsigned char)(q >> 8);
		if (!last || pad < 1)
			*o++ = (unsigned char)q;
	}
	*o = '\0';
	*out = buf;
	*len = (size_t)(o - buf);
	return true;
bad:
	free(buf);
	return false;
}
