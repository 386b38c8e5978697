/* test_sha1.c - schema/util/sha1.c against FIPS 180-4's examples and Git's blob
 * ids (git hash-object), whole and fed in pieces of every size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reconciler/gitops/source.h"
#include "../../schema/util/sha1.h"
#include "unit.h"

static void
hex(const unsigned char md[20], char out[41])
{
	int i;

	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
sha1_hex(const void *p, size_t n, size_t piece, char out[41])
{
	struct vr_sha1 c;
	unsigned char md[20];
	size_t off, k;

	vr_sha1_init(&c);
	for (off = 0; off < n; off += k) {
		k = n - off < piece ? n - off : piece;
		vr_sha1_update(&c, (const char *)p + off, k);
	}
	vr_sha1_final(&c, md);
	hex(md, out);
}

TEST(sha1_fips_examples)
{
	static const struct { const char *in, *md; } v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	char out[41];
	size_t i, piece;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (piece = 1; piece <= 65; piece++) {
			sha1_hex(v[i].in, strlen(v[i].in), piece, out);
			CHECK_STR(out, v[i].md);
		}
}

TEST(sha1_million_a)
{
	size_t n = 1000000, pieces[] = { 1, 63, 64, 1000, 1000000 }, i;
	char *a = malloc(n), out[41];

	memset(a, 'a', n);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		sha1_hex(a, n, pieces[i], out);
		CHECK_STR(out, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	}
	free(a);
}

TEST(sha1_git_blob_ids)
{
	char *r;

	r = vr_sha1_blob_id("", 0);
	CHECK_STR(r, "blob:e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	free(r);
	r = vr_sha1_blob_id("hello\n", 6);
	CHECK_STR(r, "blob:ce013625030ba8dba906f756967f9e9ca394464a");
	free(r);
}
