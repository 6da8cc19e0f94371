/*
 * Unit tests for sign.c: DingTalk, Feishu and generic webhook signatures
 * and base64, against vectors computed independently of this code.
 *
 * Every expected string below was computed with Python 3's standard
 * library (hmac, hashlib, base64, urllib.parse.quote_plus); the webhook
 * vector was also checked with `openssl dgst -sha256 -hmac`.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "escalator.h"

#define SECRET		"SEC0123456789abcdef"

/* DingTalk: timestamp in milliseconds, key = secret. */
START_TEST(test_sign_dingtalk)
{
	char	*s, longsec[101];

	/*
	 * python3: base64.b64encode(hmac.new(b"SEC0123456789abcdef",
	 *     b"1700000000000\nSEC0123456789abcdef", hashlib.sha256).digest())
	 */
	s = sign_dingtalk(SECRET, 1700000000000LL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=");
	free(s);

	/* Same, ts 1700000000002: has "+" and "/", so URL encoding matters;
	 * quote_plus() of it is VGvd0brDJp%2FnMZtR%2BXnA3yBIlhowT%2BTwkRPua0q1
	 * %2Fjg%3D (checked in check_channel's built URL). */
	s = sign_dingtalk(SECRET, 1700000000002LL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "VGvd0brDJp/nMZtR+XnA3yBIlhowT+TwkRPua0q1/jg=");
	free(s);

	/* A 100-byte secret (longer than the HMAC block) at ts 0:
	 * python3: base64.b64encode(hmac.new(b"x" * 100,
	 *     b"0\n" + b"x" * 100, hashlib.sha256).digest()) */
	memset(longsec, 'x', 100);
	longsec[100] = '\0';
	s = sign_dingtalk(longsec, 0);
	ck_assert_str_eq(s, "kiukWZjS8Xah/Vpr2HeE+pAhoAHBzT2eVJkWFCu3XE0=");
	free(s);
}
END_TEST

/* Feishu: timestamp in seconds; the string to sign is the HMAC key and
 * the message is empty. */
START_TEST(test_sign_feishu)
{
	char	*s, longsec[101];

	/*
	 * python3: base64.b64encode(hmac.new(
	 *     b"1700000000\nSEC0123456789abcdef", b"",
	 *     hashlib.sha256).digest())
	 */
	s = sign_feishu(SECRET, 1700000000LL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "PiO7POLlSx/DM2qf8Dy/XCWeJK3exVnevp5G99LEN2M=");
	free(s);

	/* A key longer than SHA-256's 64-byte block, which HMAC hashes first:
	 * python3: base64.b64encode(hmac.new(("1\n" + "x" * 100).encode(),
	 *     b"", hashlib.sha256).digest()) */
	memset(longsec, 'x', 100);
	longsec[100] = '\0';
	s = sign_feishu(longsec, 1);
	ck_assert_str_eq(s, "lPZusin+1C9shvw00znhCafcD6uSiAHuG4QlUrUV9Ds=");
	free(s);
}
END_TEST

/* Generic webhook: lowercase hex over the exact body bytes. */
START_TEST(test_sign_webhook)
{
	const char	*body = "{\"a\":1}";
	const char	*zh = "告警 超时";
	char		*s;

	/* echo -n '{"a":1}' | openssl dgst -sha256 -hmac whsecret */
	s = sign_webhook("whsecret", body, strlen(body));
	ck_assert_str_eq(s,
	    "b2ede3ef30f428daf114e70cd9dd2fd3ff364a1fdc17db5f846f4f49d8a01dab");
	free(s);

	/* python3: hmac.new(b"whsecret", b"", hashlib.sha256).hexdigest() */
	s = sign_webhook("whsecret", "", 0);
	ck_assert_str_eq(s,
	    "6e0f18119294395fa7e57cae961c20b44815bceed521300862253fdedef85a12");
	free(s);

	/* python3: hmac.new(b"SEC0123456789abcdef", "告警 超时".encode(),
	 *     hashlib.sha256).hexdigest() -- UTF-8 bytes, not characters */
	s = sign_webhook(SECRET, zh, strlen(zh));
	ck_assert_str_eq(s,
	    "ce22f642779df2aa7e9a0c59164e2460d52e72e0f157480952b5bc50df27816b");
	free(s);

	/* Only len bytes count, not up to the NUL. */
	s = sign_webhook("whsecret", "{\"a\":1}TRAILING", strlen(body));
	ck_assert_str_eq(s,
	    "b2ede3ef30f428daf114e70cd9dd2fd3ff364a1fdc17db5f846f4f49d8a01dab");
	free(s);
}
END_TEST

/* base64: RFC 4648 section 10 vectors and every byte value. */
START_TEST(test_sign_base64)
{
	static const struct {
		const char	*in;
		const char	*out;
	} v[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	unsigned char	 all[256];
	size_t		 i;
	char		*s;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		s = sign_base64((const unsigned char *)v[i].in,
		    strlen(v[i].in));
		ck_assert_str_eq(s, v[i].out);
		free(s);
	}

	/* python3: base64.b64encode(bytes(range(256))) */
	for (i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	s = sign_base64(all, sizeof all);
	ck_assert_str_eq(s,
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss"
	    "LS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZ"
	    "WltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWG"
	    "h4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKz"
	    "tLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g"
	    "4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==");
	free(s);
}
END_TEST

/* Collect the signing tests. */
static Suite *
sign_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sign");
	tc = tcase_create("vectors");
	tcase_add_test(tc, test_sign_dingtalk);
	tcase_add_test(tc, test_sign_feishu);
	tcase_add_test(tc, test_sign_webhook);
	tcase_add_test(tc, test_sign_base64);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; exit non-zero on any failure. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(sign_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
