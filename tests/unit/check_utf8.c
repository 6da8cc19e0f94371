/*
 * Unit tests for utf8.c: strict validation (overlongs, surrogates, values
 * out of range, truncation) and cutting at a byte limit without splitting
 * a character, preferring a line break.  Every UTF-8 test is here.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "escalator.h"

/* Strict validation: overlongs, surrogates and out-of-range fail. */
START_TEST(test_utf8_valid)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 ok;
	} v[] = {
		{ "", 0, 1 },
		{ "plain ascii\n", 12, 1 },
		{ "审批", 6, 1 },
		{ "\xf0\x9f\x98\x80", 4, 1 },		/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 },		/* U+10FFFF */
		{ "\xed\x9f\xbf", 3, 1 },		/* U+D7FF */
		{ "\xee\x80\x80", 3, 1 },		/* U+E000 */
		{ "\xc2\x80", 2, 1 },			/* U+0080 */
		{ "a\0b", 3, 1 },			/* NUL is a character */
		{ "\xc0\x80", 2, 0 },			/* overlong NUL */
		{ "\xc1\xbf", 2, 0 },			/* overlong */
		{ "\xe0\x80\x80", 3, 0 },		/* overlong */
		{ "\xe0\x9f\xbf", 3, 0 },		/* overlong U+07FF */
		{ "\xf0\x80\x80\x80", 4, 0 },		/* overlong */
		{ "\xf0\x8f\xbf\xbf", 4, 0 },		/* overlong U+FFFF */
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate U+D800 */
		{ "\xed\xbf\xbf", 3, 0 },		/* surrogate U+DFFF */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* U+110000 */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xff", 1, 0 },
		{ "\x80", 1, 0 },			/* stray continuation */
		{ "\xe5\xae", 2, 0 },			/* truncated */
		{ "\xe5\x41\x41", 3, 0 },		/* bad continuation */
		{ "ok\xf0\x9f\x98", 5, 0 },		/* truncated at end */
	};
	size_t	i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		ck_assert_msg(utf8_valid(v[i].s, v[i].len) == v[i].ok,
		    "vector %zu", i);
	}
}
END_TEST

/* True if a cut at p does not split a character of s[0..len). */
static int
is_boundary(const char *s, size_t len, size_t p)
{
	return (p >= len || ((unsigned char)s[p] & 0xc0) != 0x80);
}

/* Check utf8_cut against its definition for every max. */
static void
check_cut_all(const char *s)
{
	size_t	len = strlen(s), max, cut, i, want;

	for (max = 0; max <= len + 2; max++) {
		cut = utf8_cut(s, len, max);
		if (max >= len) {
			ck_assert_uint_eq(cut, len);
			continue;
		}
		ck_assert_uint_le(cut, max);
		ck_assert_msg(is_boundary(s, len, cut), "max %zu cut %zu "
		    "splits a character", max, cut);
		ck_assert_int_eq(utf8_valid(s, cut), 1);
		/* The expected answer, found by brute force. */
		want = (size_t)-1;
		for (i = max; i > 0; i--) {
			if (s[i - 1] == '\n') {
				want = i;
				break;
			}
		}
		if (want == (size_t)-1) {
			for (want = max; !is_boundary(s, len, want); want--)
				;
		}
		ck_assert_msg(cut == want, "max %zu: cut %zu, want %zu", max,
		    cut, want);
	}
}

/* Validation's fast paths agree with the sequence rules (utf8_next()
 * reads a byte that starts no well-formed sequence as one byte of U+FFFD)
 * for every lead byte and every two bytes after it, and with text around. */
START_TEST(test_utf8_valid_all3)
{
	unsigned char	 s[5];
	uint32_t	 c;
	size_t		 i, n, want;
	unsigned	 a, b, d;

	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			for (d = 0; d < 256; d++) {
				s[0] = (unsigned char)a;
				s[1] = (unsigned char)b;
				s[2] = (unsigned char)d;
				/* The reference: whole well-formed sequences. */
				for (want = 0; want < 3; want += n) {
					n = utf8_next((const char *)s + want,
					    3 - want, &c);
					if (n == 1 && s[want] >= 0x80)
						break;
				}
				if (utf8_valid_prefix((const char *)s, 3) !=
				    want)
					ck_abort_msg("%02x %02x %02x", a, b, d);
			}
		}
	}
	/* Truncated at the end, and inside longer text. */
	memcpy(s, "a\xe5\xae\xa1", 4);
	for (i = 0; i <= 4; i++)
		ck_assert_uint_eq(utf8_valid_prefix((const char *)s, i),
		    (i == 0 ? 0 : i == 4 ? 4 : 1));
	ck_assert(utf8_valid("审批超时 overdue", strlen("审批超时 overdue")));
	ck_assert(!utf8_valid("审\xed\xa0\x80批", 9));
	ck_assert(!utf8_valid("审\xe0\x80\x80批", 9));
}
END_TEST

/* Cutting never splits a character and prefers line breaks. */
START_TEST(test_utf8_cut)
{
	const char	*mixed = "审批超时 overdue\n负责人: 张三 😀 ok\n"
			    "第3项 item3 逾期 2 天\n\n末尾";
	const char	*noline = "张三 ab 😀 审批 é x";
	const char	*s;

	check_cut_all(mixed);
	check_cut_all(noline);
	check_cut_all("");
	check_cut_all("\n\n\n");

	/* Prefers line breaks: "ab\ncd" cut at 4 keeps "ab\n". */
	ck_assert_uint_eq(utf8_cut("ab\ncd", 5, 4), 3);
	/* Never splits: "审" is 3 bytes. */
	ck_assert_uint_eq(utf8_cut("a审b", 5, 3), 1);
	ck_assert_uint_eq(utf8_cut("a审b", 5, 4), 4);
	ck_assert_uint_eq(utf8_cut("审审", 6, 5), 3);
	ck_assert_uint_eq(utf8_cut("😀x", 5, 3), 0);
	/* Fits: whole length, whatever is in it. */
	ck_assert_uint_eq(utf8_cut("ab\ncd", 5, 5), 5);
	ck_assert_uint_eq(utf8_cut("ab\ncd", 5, 100), 5);
	/* Not UTF-8: cut where asked rather than lose everything. */
	s = "\x80\x80\x80\x80\x80\x80";
	ck_assert_uint_eq(utf8_cut(s, 6, 4), 4);
}
END_TEST

/* Decoding one character and finding the first bad byte. */
START_TEST(test_utf8_next)
{
	uint32_t	 c;

	ck_assert_uint_eq(utf8_next("a", 1, &c), 1);
	ck_assert_uint_eq(c, 'a');
	ck_assert_uint_eq(utf8_next("\xc2\xa0", 2, &c), 2);
	ck_assert_uint_eq(c, 0xa0);
	ck_assert_uint_eq(utf8_next("审", 3, &c), 3);
	ck_assert_uint_eq(c, 0x5ba1);
	ck_assert_uint_eq(utf8_next("😀", 4, &c), 4);
	ck_assert_uint_eq(c, 0x1f600);
	ck_assert_uint_eq(utf8_next("１", 3, &c), 3);
	ck_assert_uint_eq(c, 0xff11);
	/* Bad or truncated: one byte, U+FFFD. */
	ck_assert_uint_eq(utf8_next("\x80x", 2, &c), 1);
	ck_assert_uint_eq(c, 0xfffd);
	ck_assert_uint_eq(utf8_next("\xe5\xae", 2, &c), 1);
	ck_assert_uint_eq(c, 0xfffd);
	ck_assert_uint_eq(utf8_next("\xed\xa0\x80", 3, &c), 1);
	ck_assert_uint_eq(c, 0xfffd);
	ck_assert_uint_eq(utf8_next("", 0, &c), 0);

	ck_assert_uint_eq(utf8_valid_prefix("审批", 6), 6);
	ck_assert_uint_eq(utf8_valid_prefix("ab\xc0\xaf" "cd", 6), 2);
	ck_assert_uint_eq(utf8_valid_prefix("审\xe6\x89", 5), 3);
	ck_assert_uint_eq(utf8_valid_prefix("", 0), 0);

	/* Characters, not bytes; a bad byte counts as one. */
	ck_assert_uint_eq(utf8_count("审批ab😀", 12), 5);
	ck_assert_uint_eq(utf8_count("\x80x", 2), 2);
	ck_assert_uint_eq(utf8_count("", 0), 0);
}
END_TEST

/* Collect the UTF-8 tests. */
static Suite *
utf8_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("utf8");
	tc = tcase_create("utf8");
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_valid_all3);
	tcase_add_test(tc, test_utf8_cut);
	tcase_add_test(tc, test_utf8_next);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; exit non-zero on any failure. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(utf8_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
