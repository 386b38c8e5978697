/* test_base64.c - base64 both ways (schema/util/base64.h): RFC 4648 §10's
 * vectors, a round trip of every byte, and the decoder's refusals. */
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/base64.h"
#include "unit.h"

TEST(base64_rfc4648_vectors)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };
	unsigned char *d;
	size_t i, n;

	for (i = 0; i < sizeof(in) / sizeof(*in); i++) {
		char *e = vr_base64((const unsigned char *)in[i],
		    strlen(in[i]));

		CHECK_STR(e, enc[i]);
		free(e);
		CHECK(vr_base64_decode(&d, &n, enc[i], strlen(enc[i])));
		CHECK_INT(n, strlen(in[i]));
		CHECK(d && memcmp(d, in[i], n) == 0 && d[n] == '\0');
		free(d);
	}
}

TEST(base64_every_byte_round_trips)
{
	unsigned char all[256], *d;
	size_t i, n;
	char *e;

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (i = 253; i <= 256; i++) {
		e = vr_base64(all, i);
		CHECK(vr_base64_decode(&d, &n, e, strlen(e)));
		CHECK_INT(n, i);
		CHECK(d && memcmp(d, all, i) == 0);
		free(d);
		free(e);
	}
}

TEST(base64_decode_refuses_what_is_not_canonical)
{
	static const char *bad[] = { "Zg", "Zg=", "Zh==", "Zm9=", "Z===",
	    "Zm9v\n", "Zm 9", "Zg==Zg==", "=Zg=", "Zm9-", "====" };
	unsigned char *d = (unsigned char *)"x";
	size_t i, n = 1;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		unit_check(!vr_base64_decode(&d, &n, bad[i], strlen(bad[i])),
		    __FILE__, __LINE__, "refuses '%s'", bad[i]);
		CHECK(d == NULL && n == 0);
	}
}
