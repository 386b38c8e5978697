/* sha1.c - SHA-1 as FIPS 180-4 §6.1 specifies it (sha1.h). */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "sha1.h"

static uint32_t
rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void
block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void
vr_sha1_init(struct vr_sha1 *c)
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe,
	    0x10325476, 0xc3d2e1f0 };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
}

void
vr_sha1_update(struct vr_sha1 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t used = c->len % 64, take;

	c->len += n;
	if (used) {
		take = 64 - used < n ? 64 - used : n;
		memcpy(c->buf + used, p, take);
		p += take, n -= take;
		if (used + take < 64)
			return;
		block(c->h, c->buf);
	}
	for (; n >= 64; p += 64, n -= 64)
		block(c->h, p);
	memcpy(c->buf, p, n);
}

void
vr_sha1_final(struct vr_sha1 *c, unsigned char md[20])
{
	unsigned char pad[72] = { 0x80 };
	uint64_t bits = c->len * 8;
	size_t used = c->len % 64, npad = used < 56 ? 56 - used : 120 - used;
	int i;

	for (i = 0; i < 8; i++)
		pad[npad + i] = (unsigned char)(bits >> (56 - 8 * i));
	vr_sha1_update(c, pad, npad + 8);
	for (i = 0; i < 20; i++)
		md[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Git's blob id: SHA-1 of "blob <len>\0" and the bytes, computed here
 * so that naming a file's revision loads neither libgit2 nor libcrypto. */
char *
vr_sha1_blob_id(const char *buf, size_t len)
{
	struct vr_sha1 c;
	unsigned char md[20];
	char hdr[32], hex[41];
	int hl = snprintf(hdr, sizeof(hdr), "blob %zu", len), i;

	vr_sha1_init(&c);
	vr_sha1_update(&c, hdr, (size_t)hl + 1);
	vr_sha1_update(&c, buf, len);
	vr_sha1_final(&c, md);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return vr_asprintf("blob:%s", hex);
}
