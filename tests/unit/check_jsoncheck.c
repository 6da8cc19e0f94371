/*
 * Unit tests for jsoncheck.c: every text below goes through both
 * json_check() and jansson's json_loadb(buf, len, 0), so the tables prove
 * the two agree rather than restating what the checker does.  Then the
 * nesting limit, number ranges, a large document and a few thousand
 * seeded random mutations of valid documents, compared the same way.
 *
 * The one intended difference: json_check() refuses every NUL byte, and
 * jansson 2.14 skips a NUL that directly follows a number or a literal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "jsoncheck.h"

/* What json_check() must answer for s[0..n): jansson's verdict, except
 * that a NUL byte anywhere is refused. */
static int
oracle(const char *s, size_t n, int *is_object)
{
	json_t	*j;
	int	 ok;

	*is_object = 0;
	if ((j = json_loadb(s, n, 0, NULL)) == NULL)
		return (0);
	*is_object = json_is_object(j);
	ok = memchr(s, '\0', n) == NULL;
	json_decref(j);
	return (ok);
}

/* Assert json_check() and the oracle agree on s[0..n); return the verdict. */
static int
agree(const char *s, size_t n)
{
	char	why[128];
	int	ok, obj, want, wantobj;

	memset(why, 'x', sizeof why);
	ok = json_check(s, n, &obj, why, sizeof why) == 0;
	want = oracle(s, n, &wantobj);
	ck_assert_msg(ok == want, "json_check %s, jansson %s: \"%.*s\" (%s)",
	    ok ? "accepts" : "refuses", want ? "accepts" : "refuses",
	    (int)(n < 200 ? n : 200), s, ok ? "" : why);
	if (ok) {
		ck_assert_int_eq(obj, wantobj);
		ck_assert_str_eq(why, "");
	} else {
		ck_assert_int_eq(obj, 0);
		ck_assert_msg(why[0] != '\0' && memchr(why, '\0', sizeof why),
		    "no reason for \"%.*s\"", (int)n, s);
	}
	return (ok);
}

struct text {
	const char	*s;
	size_t		 n;
};
#define T(lit)		{ lit, sizeof(lit) - 1 }

static const struct text valid[] = {
	T("[]"), T("{}"), T(" [ ] "), T("\t\n\r{}\r\n"), T("[ 1 , 2 ]"),
	T("{ \"a\" : 1 , \"b\" : [ ] }"),
	T("[0]"), T("[-0]"), T("[-0.0]"), T("[0e0]"), T("[0E-0]"), T("[1E+2]"),
	T("[1e-2]"), T("[1.5e10]"), T("[10.01]"), T("[-12.5E-3]"),
	T("[true,false,null]"), T("{\"\":1}"), T("{\"a\":1,\"a\":2}"),
	T("{\"a\":{\"a\":{}}}"), T("[[[]],[{}]]"), T("{\"a\":[{\"b\":{}}]}"),
	T("[\"\"]"), T("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"),
	T("[\"\\u0041\\u00e9\\u4E2D\\uffff\\u0001\"]"),
	T("[\"\\uD83D\\uDE00\"]"), T("[\"\\ud83d\\ude00x\"]"),
	T("[\"\\udbff\\udfff\"]"), T("[\"\\ud800\\udc00\"]"),
	T("{\"\\u00e9\":\"\\u00e9\"}"),
	T("[\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"]"),
	T("[\"\xc2\x80\"]"), T("[\"\xdf\xbf\"]"), T("[\"\xe0\xa0\x80\"]"),
	T("[\"\xef\xbf\xbf\"]"), T("[\"\xed\x9f\xbf\"]"),
	T("[\"\xee\x80\x80\"]"),
	T("[\"\xf0\x90\x80\x80\"]"), T("[\"\xf4\x8f\xbf\xbf\"]"),
	T("[\"\x7f\"]"), T("[\"' ~}{][:,\"]"),
	T("{\"\xe6\x96\xbd\xe5\xb7\xa5\":\"\xe4\xbd\x8f\xe5\xbb\xba\"}"),
	T("[9223372036854775807]"), T("[-9223372036854775808]"),
	T("[1e308]"), T("[-1e308]"), T("[1e-400]"), T("[-1e-400]"),
	T("[1.7976931348623157e308]"), T("[4.9e-324]"), T("[2e-324]"),
	T("[123456789012345678901234567890.0]"), T("[1e-99999999999999999999]"),
	T("[0e99999999999999999999]"), T("[0.000e400]"),
	T("[0.0000000000000000000000001e332]"),
	T("[100000000000000000000000000000000000000000000e263]"),
};

static const struct text invalid[] = {
	T(""), T("   "), T("1"), T("-1"), T("\"a\""), T("true"), T("null"),
	T("["), T("]"), T("{"), T("}"), T("[}"), T("{]"), T("[1"),
	T("{\"a\":1"),
	T("[1,]"), T("[,1]"), T("[,]"), T("{,}"), T("{\"a\"}"), T("{\"a\":}"),
	T("{\"a\":1,}"), T("{\"a\" 1}"), T("{a:1}"), T("{1:1}"), T("{[]:1}"),
	T("[01]"), T("[-01]"), T("[00]"), T("[+1]"), T("[.5]"), T("[1.]"),
	T("[1.e5]"), T("[1e]"), T("[1e+]"), T("[1E-]"), T("[-]"), T("[--1]"),
	T("[- 1]"), T("[0x10]"), T("[NaN]"), T("[Infinity]"), T("[-Infinity]"),
	T("[1_000]"), T("[1.5.5]"), T("[1e5e5]"),
	T("[tru]"), T("[truex]"), T("[True]"), T("[nul]"), T("[nulll]"),
	T("[falsetrue]"), T("[true1]"),
	T("[] []"), T("[]x"), T("{}{}"), T("[],"), T("[\"a\" \"b\"]"),
	T("[1 2]"), T("[true false]"), T("{\"a\":1 \"b\":2}"),
	T("[\"\x01\"]"), T("[\"\x1f\"]"), T("[\"\t\"]"), T("[\"\n\"]"),
	T("[\"\\x\"]"), T("[\"\\a\"]"), T("[\"\\'\"]"), T("[\"\\u12\"]"),
	T("[\"\\u12G4\"]"), T("[\"\\U0041\"]"), T("[\"\\u\"]"),
	T("[\"\\u0000\"]"), T("{\"\\u0000\":1}"), T("{\"a\\u0000b\":1}"),
	T("[\"\\ud800\"]"), T("[\"\\udc00\"]"), T("[\"\\udfff\"]"),
	T("[\"\\ud800\\u0041\"]"), T("[\"\\ud800\\ud800\"]"),
	T("[\"\\ud800\\n\"]"), T("[\"\\ud800x\"]"), T("[\"\\ud800\\u\"]"),
	T("[\"\\ude00\\ud83d\"]"), T("[\"\\ud83d\\ude0\"]"),
	T("[\"\xc0\x80\"]"), T("[\"\xc1\xbf\"]"), T("[\"\xe0\x9f\xbf\"]"),
	T("[\"\xed\xa0\x80\"]"), T("[\"\xed\xbf\xbf\"]"),
	T("[\"\xf0\x8f\xbf\xbf\"]"), T("[\"\xf4\x90\x80\x80\"]"),
	T("[\"\xf5\x80\x80\x80\"]"), T("[\"\xff\"]"), T("[\"\x80\"]"),
	T("[\"\xe4\xb8\"]"), T("[\"\xe4\"]"), T("[\"\xc3\x28\"]"),
	T("[\"\xf0\x9f\x98\"]"), T("[\"\xe4\xb8"), T("[\xc3\xa9]"),
	T("\xef\xbb\xbf[]"), T("\f[]"), T("\v[]"), T("[]\f"), T("[\xa0]"),
	T("[\"abc]"), T("[\"abc\\"), T("[\"abc\\\"]"), T("[\""),
	T("[1e309]"), T("[-1e309]"), T("[1.8e308]"),
	T("[1e99999999999999999999]"),
	T("[9223372036854775808]"), T("[-9223372036854775809]"),
	T("[99999999999999999999999]"), T("[10000000000000000000]"),
	T("[0.0000000000000000000000001e334]"),
	T("[100000000000000000000000000000000000000000000e265]"),
	T("/* */[]"), T("[]//"), T("['a']"), T("[\"a\":1]"), T("{\"a\",1}"),
	/* NUL bytes: jansson loads the first three. */
	T("[1\0]"), T("[true\0]"), T("{\"a\":-2.5\0}"), T("[1\0\0]"), T("[\0]"),
	T("\0[]"), T("[]\0"), T("[\"a\0\"]"), T("{\"a\0\":1}"),
	T("[null,\0 1]"),
};

/* Every valid text is accepted by both, every invalid one by neither. */
START_TEST(test_jsoncheck_tables)
{
	size_t	i;

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		ck_assert_msg(agree(valid[i].s, valid[i].n),
		    "valid #%zu refused: %s", i, valid[i].s);
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		ck_assert_msg(!agree(invalid[i].s, invalid[i].n),
		    "invalid #%zu accepted: %s", i, invalid[i].s);
}
END_TEST

/* The deliberate difference, spelled out: jansson loads "[1\0]". */
START_TEST(test_jsoncheck_nul)
{
	json_t	*j;

	j = json_loadb("[1\0]", 4, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_decref(j);
	ck_assert_int_eq(json_check("[1\0]", 4, NULL, NULL, 0), -1);
	ck_assert_int_eq(json_check("[1]", 3, NULL, NULL, 0), 0);
}
END_TEST

/* is_object, NULL arguments and the reason text. */
START_TEST(test_jsoncheck_api)
{
	char	why[64], tiny[8];
	int	obj = -1;

	ck_assert_int_eq(json_check("{\"a\":[]}", 8, &obj, NULL, 0), 0);
	ck_assert_int_eq(obj, 1);
	ck_assert_int_eq(json_check(" [{}] ", 6, &obj, NULL, 0), 0);
	ck_assert_int_eq(obj, 0);
	ck_assert_int_eq(json_check("[]", 2, NULL, why, sizeof why), 0);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(json_check(NULL, 0, &obj, why, sizeof why), -1);
	ck_assert_int_eq(json_check("", 0, &obj, why, sizeof why), -1);
	ck_assert_int_eq(json_check("[\"\\q\"]", 6, &obj, why, sizeof why), -1);
	ck_assert_str_eq(why, "invalid escape at byte 2");
	ck_assert_int_eq(json_check("[1,", 3, &obj, why, sizeof why), -1);
	ck_assert_str_eq(why, "value expected at end of input");
	ck_assert_int_eq(json_check("[1e999]", 7, &obj, why, sizeof why), -1);
	ck_assert_str_eq(why, "real number overflow at byte 1");
	/* Only the prefix was compared: the parse stops at len. */
	ck_assert_int_eq(json_check("[]]", 2, &obj, why, sizeof why), 0);
	ck_assert_int_eq(json_check("[1]", 2, &obj, tiny, sizeof tiny), -1);
	ck_assert_uint_eq(strlen(tiny), sizeof tiny - 1);
	ck_assert_int_eq(json_check("[1]", 2, &obj, tiny, 1), -1);
	ck_assert_str_eq(tiny, "");
}
END_TEST

/* n nested containers ("[" or "{\"k\":"), with inner inside the deepest. */
static char *
nest(size_t n, int object, const char *inner, size_t *len)
{
	size_t	 open = object ? 5 : 1, k = strlen(inner), i;
	char	*s, *p;

	s = p = malloc(n * (open + 1) + k + 1);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++, p += open)
		memcpy(p, object ? "{\"k\":" : "[", open);
	if (object && n > 0 && k == 0) {
		/* The innermost object is empty: drop its last key. */
		p -= 4;
	}
	memcpy(p, inner, k);
	p += k;
	for (i = 0; i < n; i++)
		*p++ = object ? '}' : ']';
	*len = p - s;
	*p = '\0';
	return (s);
}

/* jansson counts every value against its 2048 limit, scalars too. */
START_TEST(test_jsoncheck_depth)
{
	static const struct {
		size_t		 n;
		int		 object;
		const char	*inner;
		int		 ok;
	} c[] = {
		{ 1, 0, "", 1 },
		{ 2047, 0, "", 1 },
		{ 2048, 0, "", 1 },
		{ 2049, 0, "", 0 },
		{ 2047, 0, "1", 1 },
		{ 2048, 0, "1", 0 },
		{ 2047, 0, "\"s\"", 1 },
		{ 2048, 0, "null", 0 },
		{ 2048, 1, "", 1 },
		{ 2049, 1, "", 0 },
		{ 2047, 1, "1", 1 },
		{ 2048, 1, "1", 0 },
		{ 10000, 0, "", 0 },
		{ 100000, 1, "", 0 },
	};
	size_t	 i, len;
	char	*s;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		s = nest(c[i].n, c[i].object, c[i].inner, &len);
		ck_assert_msg(agree(s, len) == c[i].ok, "depth case %zu", i);
		free(s);
	}
}
END_TEST

/* Integer and real ranges at their edges, and long number tokens. */
START_TEST(test_jsoncheck_numbers)
{
	static const struct {
		const char	*num;
		int		 ok;
	} c[] = {
		{ "9223372036854775807", 1 },
		{ "9223372036854775808", 0 },
		{ "9223372036854775806", 1 },
		{ "-9223372036854775808", 1 },
		{ "-9223372036854775809", 0 },
		{ "-9223372036854775807", 1 },
		{ "999999999999999999", 1 },
		{ "1000000000000000000", 1 },
		{ "9999999999999999999", 0 },
		{ "18446744073709551616", 0 },
		{ "9223372036854775807.0", 1 },
		{ "9223372036854775808e0", 1 },
		{ "1e308", 1 },
		{ "1e309", 0 },
		{ "-1e309", 0 },
		{ "1e-400", 1 },
		{ "1E+308", 1 },
		{ "1.7976931348623157e308", 1 },
		{ "1.7976931348623158e308", 1 },
		{ "1.7976931348623159e308", 0 },
		{ "0.17976931348623158e309", 1 },
		{ "17976931348623158e292", 1 },
		{ "17976931348623159e292", 0 },
		{ "1e400", 0 },
		{ "0.1e310", 0 },
		{ "10e308", 0 },
		{ "0.0001e313", 0 },
		{ "0.0001e312", 1 },
	};
	/* python3 -c 'print(2**1024 - 2**970)': the smallest overflow. */
	static const char	limit[] =
	    "1797693134862315807937289714053034150799341327100378269361737789"
	    "8044496829276475094664901797758720709633028641669288791094655554"
	    "7851940402630657488671505820681908902000708383676273854845817711"
	    "5317644757302700698555713669596228429148198608349364752927190741"
	    "68444365510704342711559699508093042880177904174497792";
	static const char	below[] =	/* limit - 1 */
	    "1797693134862315807937289714053034150799341327100378269361737789"
	    "8044496829276475094664901797758720709633028641669288791094655554"
	    "7851940402630657488671505820681908902000708383676273854845817711"
	    "5317644757302700698555713669596228429148198608349364752927190741"
	    "68444365510704342711559699508093042880177904174497791";
	/* The limit written in many ways. */
	static const struct {
		const char	*pre;
		int		 lim;		/* limit, else below */
		const char	*post;
		int		 ok;
	} r[] = {
		{ "[", 1, ".0]", 0 },
		{ "[", 0, ".0]", 1 },
		{ "[", 1, "]", 0 },		/* too big an integer anyway */
		{ "[", 0, ".99999999999999999999999999999]", 1 },
		{ "[", 1, ".00000000000000000000000000001]", 0 },
		{ "[", 1, ".00000000000000000000000000000]", 0 },
		{ "[-", 1, ".0]", 0 },
		{ "[-", 0, ".0]", 1 },
		{ "[0.", 1, "e309]", 0 },
		{ "[0.", 0, "e309]", 1 },
		{ "[0.000", 1, "e312]", 0 },
		{ "[0.000", 0, "e312]", 1 },
		{ "[0.000", 0, "0000e312]", 1 },
		{ "[", 1, "e0]", 0 },
		{ "[", 1, "e-1]", 1 },
		{ "[", 1, "0e-1]", 0 },
		{ "[", 0, "0e-1]", 1 },
	};
	char	 buf[4096], *big;
	size_t	 i, n, lz;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		n = snprintf(buf, sizeof buf, "[%s]", c[i].num);
		ck_assert_msg(agree(buf, n) == c[i].ok, "number %s", c[i].num);
	}
	for (i = 0; i < sizeof r / sizeof r[0]; i++) {
		n = snprintf(buf, sizeof buf, "%s%s%s", r[i].pre,
		    r[i].lim ? limit : below, r[i].post);
		ck_assert_msg(agree(buf, n) == r[i].ok, "limit form %zu", i);
	}
	/* The limit with its point moved inside: 1797...(k).(rest)e(309-k). */
	for (i = 1; i < sizeof limit - 1; i += 7) {
		n = snprintf(buf, sizeof buf, "[%.*s.%se%zu]", (int)i, limit,
		    limit + i, 309 - i);
		ck_assert_msg(agree(buf, n) == 0, "limit split at %zu", i);
		n = snprintf(buf, sizeof buf, "[%.*s.%se%zu]", (int)i, below,
		    below + i, 309 - i);
		ck_assert_msg(agree(buf, n) == 1, "below split at %zu", i);
	}

	/* Long tokens: 100000 digits, as an integer and as reals. */
	big = malloc(100100);
	ck_assert_ptr_nonnull(big);
	big[0] = '[';
	memset(big + 1, '1', 100000);
	memcpy(big + 100001, "]", 2);
	ck_assert_int_eq(agree(big, 100002), 0);	/* too big integer */
	big[2] = '.';					/* 1.111...e-99000 */
	n = 100001 + snprintf(big + 100001, 99, "e-99000]");
	ck_assert_int_eq(agree(big, n), 1);
	n = 100001 + snprintf(big + 100001, 99, "e308]");
	ck_assert_int_eq(agree(big, n), 1);
	n = 100001 + snprintf(big + 100001, 99, "e309]");
	ck_assert_int_eq(agree(big, n), 0);
	/* 0.000...0007: lz zeros after the point, then a 7 and zeros. */
	memset(big + 1, '0', 100000);
	big[2] = '.';
	big[99000] = '7';
	lz = 99000 - 3;
	n = 100001 + snprintf(big + 100001, 99, "e%zu]", lz + 308);
	ck_assert_int_eq(agree(big, n), 1);
	n = 100001 + snprintf(big + 100001, 99, "e%zu]", lz + 309);
	ck_assert_int_eq(agree(big, n), 0);
	n = 100001 + snprintf(big + 100001, 99, "e-99999999999999999999]");
	ck_assert_int_eq(agree(big, n), 1);
	free(big);
}
END_TEST

/* A reproducible generator (xorshift64*). */
static uint64_t	rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((uint32_t)((rng_state * 2685821657736338717ULL) >> 32));
}

/* A valid object of about target bytes, like a reminder message. */
static char *
big_document(size_t target, size_t *len)
{
	static const char *const kinds[] = {
	    "\xe6\x96\xbd\xe5\xb7\xa5\xe8\xae\xb8\xe5\x8f\xaf",
	    "plan \\\"B\\\"\\n\\u4e2d", "\\ud83d\\ude00 ok", "tab\\tslash\\/"
	};
	size_t	 cap = target + 4096, n = 0, i;
	char	*s;

	s = malloc(cap);
	ck_assert_ptr_nonnull(s);
	n += snprintf(s + n, cap - n, "{\"stage\":\"reminder\",\"channel\":"
	    "\"x\",\"items\":[");
	for (i = 0; n < target; i++) {
		n += snprintf(s + n, cap - n, "%s{\"id\":%zu,\"project\":"
		    "\"P-%06zu\",\"kind\":\"%s\",\"department\":\"\xe4\xbd\x8f"
		    "\xe5\xbb\xba\xe5\xb1\x80\",\"score\":%d.%03de%d,\"ok\":%s,"
		    "\"due\":\"2026-11-25T10:00:00+08:00\",\"tags\":"
		    "[null,-%u]}",
		    i ? "," : "", i, i, kinds[i % 4], (int)(rng() % 1000),
		    (int)(rng() % 1000), (int)(rng() % 600) - 300,
		    i % 3 ? "true" : "false", rng());
	}
	n += snprintf(s + n, cap - n, "]}");
	*len = n;
	return (s);
}

/* A few megabytes, whole and cut or spoiled near the end. */
START_TEST(test_jsoncheck_large)
{
	size_t	 len;
	char	*s;
	int	 obj;

	rng_state = 0x9e3779b97f4a7c15ULL;
	s = big_document(4 * 1024 * 1024, &len);
	ck_assert_int_eq(agree(s, len), 1);
	ck_assert_int_eq(json_check(s, len, &obj, NULL, 0), 0);
	ck_assert_int_eq(obj, 1);
	ck_assert_int_eq(agree(s, len - 1), 0);
	s[len - 40] = '\x01';
	ck_assert_int_eq(agree(s, len), 0);
	free(s);
}
END_TEST

/* Seeds for the mutations: small valid documents of every kind. */
static const char *const seeds[] = {
	("{\"stage\":\"reminder\",\"items\":[{\"id\":123,\"kind\":\""
	    "\xe6\x96\xbd\xe5\xb7\xa5\",\"due\":\"2026-11-25\"}]}"),
	"[1,-0,0.5,-1.5e-3,1E+2,9223372036854775807,-9223372036854775808]",
	"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u00e9\\ud83d\\ude00\\u4E2D\"]",
	"{\"a\":{\"b\":{\"c\":[[[true,false,null]]]}},\"\":{}}",
	" [ { } , [ ] , \"\xf0\x9f\x98\x80\xc3\xa9\" ] ",
	"[1.7976931348623157e308,1e-400,12345678901234567890.5]",
	"{\"k\":\"v\",\"k\":[\"\\ud800\\udc00\"]}",
};

/* Interesting bytes and tokens to insert or overwrite with. */
static const char *const bits[] = {
	"\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "0", "1", "9",
	"-", "+", ".", "e", "E", "t", "f", "n", "u", "\\u", "\\ud800",
	"\\udc00", "\\u0000", "1e999", "99999999999999999999", "\xc3",
	"\xed\xa0\x80", "\xf4\x90", "\x80", "\xff", "\x01", "\x7f", "true",
	"null", "\0",
};

/* Apply one random mutation to s[0..*n) (room for 64 more bytes). */
static void
mutate(char *s, size_t *n)
{
	const char	*b;
	size_t		 at, k;

	at = *n ? rng() % *n : 0;
	b = bits[rng() % (sizeof bits / sizeof bits[0])];
	k = *b == '\0' ? 1 : strlen(b);
	switch (rng() % 5) {
	case 0:		/* flip a byte to anything */
		if (*n)
			s[at] = (char)(rng() & 0xff);
		break;
	case 1:		/* truncate */
		*n = at;
		break;
	case 2:		/* insert a token */
		memmove(s + at + k, s + at, *n - at);
		memcpy(s + at, b, k);
		*n += k;
		break;
	case 3:		/* overwrite with a token */
		if (at + k <= *n)
			memcpy(s + at, b, k);
		break;
	default:	/* delete a byte */
		if (*n) {
			memmove(s + at, s + at + 1, *n - at - 1);
			(*n)--;
		}
		break;
	}
}

/* Random mutations of the seeds, fixed seed: both must agree on each. */
START_TEST(test_jsoncheck_differential)
{
	char	buf[1024];
	size_t	i, n, m, ok = 0;

	rng_state = 20261125;
	for (i = 0; i < 6000; i++) {
		n = strlen(seeds[i % (sizeof seeds / sizeof seeds[0])]);
		memcpy(buf, seeds[i % (sizeof seeds / sizeof seeds[0])], n);
		for (m = 1 + rng() % 3; m > 0 && n < sizeof buf - 200; m--)
			mutate(buf, &n);
		ok += agree(buf, n);
	}
	/* The mix must exercise both answers. */
	ck_assert_uint_gt(ok, 300);
	ck_assert_uint_lt(ok, 5700);
}
END_TEST

/* Collect the checker tests. */
static Suite *
jsoncheck_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("jsoncheck");
	tc = tcase_create("agreement");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_jsoncheck_tables);
	tcase_add_test(tc, test_jsoncheck_nul);
	tcase_add_test(tc, test_jsoncheck_api);
	tcase_add_test(tc, test_jsoncheck_depth);
	tcase_add_test(tc, test_jsoncheck_numbers);
	tcase_add_test(tc, test_jsoncheck_large);
	tcase_add_test(tc, test_jsoncheck_differential);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; exit non-zero on any failure. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(jsoncheck_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
