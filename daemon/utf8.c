/*
 * Pure UTF-8 helpers, the daemon's and the control tool's only decoder:
 * strict validation, decoding one character, and cutting text to a byte limit
 * without splitting a character, preferring to cut at a line break.
 * Vendor limits are in bytes, and one Chinese character is three of them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "escalator.h"

/* Length of the sequence a lead byte starts, or 0 if it cannot lead one. */
static size_t
utf8_seqlen(unsigned char c)
{
	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		return (2);
	if (c >= 0xe0 && c <= 0xef)
		return (3);
	if (c >= 0xf0 && c <= 0xf4)
		return (4);
	return (0);
}

/* Length of the well-formed sequence at p[0..len), or 0: no overlongs, no
 * surrogates, nothing above U+10FFFF, no truncated sequences. */
static size_t
utf8_seq(const unsigned char *p, size_t len)
{
	size_t		 n, k;
	unsigned char	 lo, hi;

	if (len == 0 || (n = utf8_seqlen(p[0])) == 0 || n > len)
		return (0);
	/* The second byte's range depends on the lead (RFC 3629). */
	lo = 0x80;
	hi = 0xbf;
	switch (p[0]) {
	case 0xe0:
		lo = 0xa0;	/* overlong below U+0800 */
		break;
	case 0xed:
		hi = 0x9f;	/* surrogates U+D800-U+DFFF */
		break;
	case 0xf0:
		lo = 0x90;	/* overlong below U+10000 */
		break;
	case 0xf4:
		hi = 0x8f;	/* above U+10FFFF */
		break;
	}
	if (n > 1 && (p[1] < lo || p[1] > hi))
		return (0);
	for (k = 2; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return (0);
	}
	return (n);
}

/* Length of the longest well-formed prefix of s[0..len): the offset of
 * the first bad byte, or len. */
size_t
utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		/* The common cases inline: ASCII, and the three-byte
		 * sequences whose second byte may be any continuation byte
		 * (leads e1-ec, ee, ef: U+1000-U+CFFF, U+E000-U+FFFF, CJK
		 * among them); utf8_seq() for the rest.  A grouped message's
		 * 64 KB of text is checked before every send. */
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (len - i >= 3 && p[i] >= 0xe1 && p[i] != 0xed &&
		    p[i] <= 0xef && (p[i + 1] & 0xc0) == 0x80 &&
		    (p[i + 2] & 0xc0) == 0x80) {
			i += 3;
			continue;
		}
		if ((n = utf8_seq(p + i, len - i)) == 0)
			break;
		i += n;
	}
	return (i);
}

/* Return 1 if s[0..len) is well-formed UTF-8. */
int
utf8_valid(const char *s, size_t len)
{
	return (utf8_valid_prefix(s, len) == len);
}

/* Decode the character at s[0..len) into *cp and return its length; a
 * byte that starts no well-formed sequence reads as U+FFFD, length 1. */
size_t
utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, k;
	uint32_t		 c;

	if ((n = utf8_seq(p, len)) == 0) {
		*cp = 0xfffd;
		return (len > 0 ? 1 : 0);
	}
	c = n == 1 ? p[0] : p[0] & (0x7f >> n);
	for (k = 1; k < n; k++)
		c = (c << 6) | (p[k] & 0x3f);
	*cp = c;
	return (n);
}

/* The number of characters of s[0..len); a bad byte counts as one. */
size_t
utf8_count(const char *s, size_t len)
{
	size_t	 off = 0, n = 0;
	uint32_t cp;

	while (off < len) {
		off += utf8_next(s + off, len - off, &cp);
		n++;
	}
	return (n);
}

/* Longest prefix of s[0..len) of at most max bytes: all of it if it fits,
 * else up to the last line break before max, else up to the start of the
 * character that max falls inside. */
size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*nl;
	size_t			 q, n;

	if (len <= max)
		return (len);
	if (max == 0)
		return (0);
	if ((nl = memrchr(p, '\n', max)) != NULL)
		return ((size_t)(nl - p) + 1);

	/* Find the lead byte of the character p[max] belongs to. */
	q = max;
	while (q > 0 && max - q < 3 && (p[q] & 0xc0) == 0x80)
		q--;
	if ((p[q] & 0xc0) == 0x80)
		return (max);	/* not UTF-8 here: any cut is as good */
	n = utf8_seqlen(p[q]);
	if (q < max && n > max - q)
		return (q);
	return (max);
}
