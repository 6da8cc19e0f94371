/*
 * Pure UTF-8 helpers: strict validation and cutting text to a byte limit
 * without splitting a character, preferring to cut at a line break.
 * Vendor limits are in bytes, and one Chinese character is three of them.
 */
#include <stddef.h>
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

/* Return 1 if s[0..len) is well-formed UTF-8: no overlongs, no surrogates,
 * nothing above U+10FFFF, no truncated sequences. */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	unsigned char		 lo, hi;

	while (i < len) {
		if ((n = utf8_seqlen(p[i])) == 0 || n > len - i)
			return (0);
		/* The second byte's range depends on the lead (RFC 3629). */
		lo = 0x80;
		hi = 0xbf;
		switch (p[i]) {
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
		if (n > 1 && (p[i + 1] < lo || p[i + 1] > hi))
			return (0);
		for (k = 2; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
		}
		i += n;
	}
	return (1);
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
