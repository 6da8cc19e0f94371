/*
 * A JSON syntax check that accepts what jansson 2.14's json_loadb(buf, len,
 * 0) accepts, without building a tree or allocating: an array or object at
 * the top, at most 2048 nested values, strict UTF-8, no \u0000 and no lone
 * surrogate escapes, integers that fit a long long and reals that do not
 * overflow a double.  One pass over the bytes, with an explicit bit stack
 * instead of recursion.  The only difference from jansson is that a NUL byte
 * is always refused (jansson drops one right after a number or a literal).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsoncheck.h"

#define JC_MAX_DEPTH	2048	/* jansson's JSON_PARSER_MAX_DEPTH */

#if LLONG_MAX != 9223372036854775807LL
#error "jansson's json_int_t is assumed to be a 64-bit long long"
#endif

/*
 * The smallest decimal that strtod() rounds to infinity: the midpoint
 * between DBL_MAX and 2^1024, which round-half-even sends up.  It is
 * python3 -c 'print(2**1024 - 2**970)', 309 digits.
 */
static const char jc_overflow[] =
    "17976931348623158079372897140530341507993413271003782693617377898044"
    "49682927647509466490179775872070963302864166928879109465555478519404"
    "02630657488671505820681908902000708383676273854845817711531764475730"
    "27006985557136695962284291481986083493647529271907416844436551070434"
    "2711559699508093042880177904174497792";

/* Bytes a string can hold as they are: printable ASCII but '"' and '\\'. */
#define JC_PLAIN(c)	((c) >= 0x20 && (c) < 0x80 && (c) != '"' && (c) != '\\')
#define JC_SPACE(c)	((c) == ' ' || (c) == '\t' || (c) == '\n' || \
			 (c) == '\r')
#define JC_DIGIT(c)	((c) >= '0' && (c) <= '9')

struct jc {
	const unsigned char	*start;
	const unsigned char	*end;
	char			*why;
	size_t			 whylen;
};

/* Note why the text is refused, with the offset of the byte at fault. */
static int
jc_fail(struct jc *j, const unsigned char *at, const char *what)
{
	if (j->why != NULL && j->whylen > 0) {
		if (at == NULL)
			snprintf(j->why, j->whylen, "%s", what);
		else if (at >= j->end)
			snprintf(j->why, j->whylen, "%s at end of input", what);
		else
			snprintf(j->why, j->whylen, "%s at byte %zu", what,
			    (size_t)(at - j->start));
	}
	return (-1);
}

/* Skip JSON whitespace. */
static const unsigned char *
jc_space(const unsigned char *p, const unsigned char *e)
{
	while (p < e && JC_SPACE(*p))
		p++;
	return (p);
}

/* 1 if none of the 8 bytes at p needs a look: no control character, no
 * '"', no '\\' and nothing above 0x7f.  Exact, word at a time. */
static int
jc_plain8(const unsigned char *p)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 x, q, b;

	memcpy(&x, p, sizeof x);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	return ((x & high) == 0 && ((x - ones * 0x20) & ~x & high) == 0 &&
	    ((q - ones) & ~q & high) == 0 && ((b - ones) & ~b & high) == 0);
}

/* Value of a hex digit, or -1. */
static int
jc_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* The code unit of the \uXXXX escape at p (at least 6 bytes), or -1. */
static long
jc_unit(const unsigned char *p)
{
	long	v = 0;
	int	i, h;

	if (p[0] != '\\' || p[1] != 'u')
		return (-1);
	for (i = 2; i < 6; i++) {
		if ((h = jc_hex(p[i])) < 0)
			return (-1);
		v = v * 16 + h;
	}
	return (v);
}

/* Length of the well-formed UTF-8 sequence at p (lead >= 0x80), or 0:
 * no overlongs, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t
jc_utf8(const unsigned char *p, const unsigned char *e)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, k;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return (0);
	if ((size_t)(e - p) < n)
		return (0);
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return (0);
	for (k = 2; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return (0);
	}
	return (n);
}

/* Check the string whose opening quote is at *pp; leave *pp after its
 * closing quote. */
static int
jc_string(struct jc *j, const unsigned char **pp)
{
	const unsigned char	*p = *pp + 1, *e = j->end;
	long			 u, lo;
	size_t			 n;

	for (;;) {
		while (e - p >= 8 && jc_plain8(p))
			p += 8;
		while (p < e && JC_PLAIN(*p))
			p++;
		if (p == e)
			return (jc_fail(j, p, "unterminated string"));
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			if ((n = jc_utf8(p, e)) == 0)
				return (jc_fail(j, p, "invalid UTF-8"));
			p += n;
			continue;
		}
		if (*p < 0x20)
			return (jc_fail(j, p, "control character in string"));
		/* A backslash. */
		if (e - p < 2)
			return (jc_fail(j, e, "unterminated string"));
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			return (jc_fail(j, p, "invalid escape"));
		}
		if (e - p < 6 || (u = jc_unit(p)) < 0)
			return (jc_fail(j, p, "invalid escape"));
		if (u == 0)
			return (jc_fail(j, p, "\\u0000 not allowed"));
		if (u >= 0xdc00 && u <= 0xdfff)
			return (jc_fail(j, p, "lone low surrogate escape"));
		if (u >= 0xd800 && u <= 0xdbff) {
			/* The low half must be the very next escape. */
			if (e - p < 12 || (lo = jc_unit(p + 6)) < 0xdc00 ||
			    lo > 0xdfff)
				return (jc_fail(j, p,
				    "lone high surrogate escape"));
			p += 6;
		}
		p += 6;
	}
	*pp = p + 1;
	return (0);
}

/* Compare the digits s[0..n) with the next digits of the limit at *lim:
 * 1 when the number is at or above the limit, -1 below it, 0 when all are
 * equal so far. */
static int
jc_cmp(const unsigned char *s, size_t n, const char **lim)
{
	size_t	i;

	for (i = 0; i < n; i++, (*lim)++) {
		if (**lim == '\0')
			return (1);
		if (s[i] != (unsigned char)**lim)
			return (s[i] > (unsigned char)**lim ? 1 : -1);
	}
	return (0);
}

/* 1 if the real whose digits are in[0..ni) and fr[0..nf), times ten to
 * the exp, would make strtod() overflow. */
static int
jc_real_overflows(const unsigned char *in, size_t ni, const unsigned char *fr,
    size_t nf, long long exp)
{
	const unsigned char	*a, *b = NULL;
	const char		*lim = jc_overflow;
	size_t			 na, nb = 0, i;
	long long		 mag;
	int			 r;

	/* The significant digits a[0..na) then b[0..nb); the value is
	 * 0.ab times ten to mag. */
	for (i = 0; i < ni && in[i] == '0'; i++)
		;
	if (i < ni) {
		a = in + i;
		na = ni - i;
		b = fr;
		nb = nf;
		mag = (long long)na;
	} else {
		for (i = 0; i < nf && fr[i] == '0'; i++)
			;
		if (i == nf)
			return (0);	/* zero */
		a = fr + i;
		na = nf - i;
		mag = -(long long)i;
	}
	mag += exp;
	if (mag != (long long)sizeof jc_overflow - 1)
		return (mag > (long long)sizeof jc_overflow - 1);

	/* Same magnitude as the limit: compare digit by digit. */
	if ((r = jc_cmp(a, na, &lim)) == 0)
		r = jc_cmp(b, nb, &lim);
	if (r == 0)
		r = *lim == '\0' ? 1 : -1;	/* the limit, or a prefix */
	return (r > 0);
}

/* Check the number at *pp with jansson's grammar and range rules; leave *pp
 * after it. */
static int
jc_number(struct jc *j, const unsigned char **pp)
{
	static const char	 imax[] = "9223372036854775807";
	static const char	 imin[] = "9223372036854775808";
	const unsigned char	*p = *pp, *e = j->end, *in, *fr = NULL;
	size_t			 ni, nf = 0;
	long long		 exp = 0;
	int			 neg = 0, eneg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	in = p;
	if (p < e && *p == '0')
		p++;
	else if (p < e && JC_DIGIT(*p)) {
		while (p < e && JC_DIGIT(*p))
			p++;
	} else
		return (jc_fail(j, p, "invalid number"));
	ni = p - in;
	if (p < e && JC_DIGIT(*p))
		return (jc_fail(j, p, "leading zero in number"));

	if (p == e || (*p != '.' && *p != 'e' && *p != 'E')) {
		/* An integer: strtoll() must not overflow. */
		if (ni > sizeof imax - 1 || (ni == sizeof imax - 1 &&
		    memcmp(in, neg ? imin : imax, ni) > 0))
			return (jc_fail(j, *pp, "integer out of range"));
		*pp = p;
		return (0);
	}

	if (*p == '.') {
		fr = ++p;
		while (p < e && JC_DIGIT(*p))
			p++;
		if ((nf = p - fr) == 0)
			return (jc_fail(j, p, "invalid number"));
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == e || !JC_DIGIT(*p))
			return (jc_fail(j, p, "invalid number"));
		/* Saturate far beyond any digit count a buffer can hold. */
		for (; p < e && JC_DIGIT(*p); p++) {
			if (exp < 100000000000000000LL)
				exp = exp * 10 + (*p - '0');
		}
		if (eneg)
			exp = -exp;
	}
	if (jc_real_overflows(in, ni, fr, nf, exp))
		return (jc_fail(j, *pp, "real number overflow"));
	*pp = p;
	return (0);
}

/* Check the literal word at *pp; leave *pp after it. */
static int
jc_literal(struct jc *j, const unsigned char **pp)
{
	const unsigned char	*p = *pp, *q;
	size_t			 left = j->end - p;

	if (left >= 4 && memcmp(p, "true", 4) == 0)
		q = p + 4;
	else if (left >= 5 && memcmp(p, "false", 5) == 0)
		q = p + 5;
	else if (left >= 4 && memcmp(p, "null", 4) == 0)
		q = p + 4;
	else
		return (jc_fail(j, p, "invalid literal"));
	/* jansson reads a whole word: "truex" is one bad token. */
	if (q < j->end && ((*q >= 'a' && *q <= 'z') ||
	    (*q >= 'A' && *q <= 'Z')))
		return (jc_fail(j, p, "invalid literal"));
	*pp = q;
	return (0);
}

/* The text check: a loop over values, with one bit per open container
 * (set for an object) in place of recursion. */
int
json_check(const char *buf, size_t len, int *is_object, char *why,
    size_t whylen)
{
	unsigned char		 stack[JC_MAX_DEPTH / 8];
	struct jc		 j;
	const unsigned char	*p, *e, *v;
	size_t			 depth = 0;
	int			 inobj;

	if (is_object != NULL)
		*is_object = 0;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	j.why = why;
	j.whylen = whylen;
	if (buf == NULL) {
		j.start = j.end = NULL;
		return (jc_fail(&j, NULL, "no input"));
	}
	j.start = p = (const unsigned char *)buf;
	j.end = e = p + len;

	p = jc_space(p, e);
	if (p == e || (*p != '[' && *p != '{'))
		return (jc_fail(&j, p, "'[' or '{' expected"));
	v = p;

value:
	/* p is at a value; jansson counts every value, scalars too. */
	if (depth >= JC_MAX_DEPTH)
		return (jc_fail(&j, p, "maximum nesting depth reached"));
	if (p == e)
		return (jc_fail(&j, p, "value expected"));
	switch (*p) {
	case '{':
	case '[':
		inobj = *p == '{';
		if (inobj)
			stack[depth / 8] |= 1U << (depth % 8);
		else
			stack[depth / 8] &= ~(1U << (depth % 8));
		depth++;
		p = jc_space(p + 1, e);
		if (p < e && *p == (inobj ? '}' : ']')) {
			p++;
			depth--;
			goto next;
		}
		if (inobj)
			goto key;
		goto value;
	case '"':
		if (jc_string(&j, &p) != 0)
			return (-1);
		goto next;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		if (jc_number(&j, &p) != 0)
			return (-1);
		goto next;
	case 't':
	case 'f':
	case 'n':
		if (jc_literal(&j, &p) != 0)
			return (-1);
		goto next;
	default:
		return (jc_fail(&j, p, "invalid token"));
	}

key:
	/* p is at an object key. */
	if (p == e || *p != '"')
		return (jc_fail(&j, p, "string or '}' expected"));
	if (jc_string(&j, &p) != 0)
		return (-1);
	p = jc_space(p, e);
	if (p == e || *p != ':')
		return (jc_fail(&j, p, "':' expected"));
	p = jc_space(p + 1, e);
	goto value;

next:
	/* A value just ended at p: what follows depends on its container. */
	p = jc_space(p, e);
	if (depth == 0) {
		if (p != e)
			return (jc_fail(&j, p, "end of input expected"));
		if (is_object != NULL)
			*is_object = *v == '{';
		return (0);
	}
	inobj = (stack[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1;
	if (p < e && *p == ',') {
		p = jc_space(p + 1, e);
		if (inobj)
			goto key;
		goto value;
	}
	if (p < e && *p == (inobj ? '}' : ']')) {
		p++;
		depth--;
		goto next;
	}
	return (jc_fail(&j, p, inobj ? "',' or '}' expected" :
	    "',' or ']' expected"));
}
