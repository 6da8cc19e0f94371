/*
 * Part markers of messages split into several parts: a split text keeps
 * PART_MARK where " (k/n)" goes (title and heading), and the marker is put
 * in when the part is read back for delivery or display, so that a step
 * writes each part's text once, before it knows how many parts there are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

/* s with PART_MARK replaced by " (k/n)", or by nothing when n is 1
 * (malloc'd; NULL stays NULL). */
char *
part_mark(const char *s, size_t k, size_t n)
{
	char		 marker[64], *out, *o;
	const char	*p, *q;
	size_t		 ml, pl = strlen(PART_MARK), count = 0;

	if (s == NULL)
		return (NULL);
	if (n > 1)
		snprintf(marker, sizeof marker, " (%zu/%zu)", k, n);
	else
		marker[0] = '\0';
	ml = strlen(marker);
	for (p = s; (q = strstr(p, PART_MARK)) != NULL; p = q + pl)
		count++;
	out = o = xmalloc(strlen(s) + count * ml + 1);
	for (p = s; (q = strstr(p, PART_MARK)) != NULL; p = q + pl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, marker, ml);
		o += ml;
	}
	strcpy(o, p);
	return (out);
}

/* Bytes of body a part of at most max bytes can hold beside its frame (the
 * text around the body, PART_MARK counted as the widest marker) and what
 * the channel appends; never less than 16. */
size_t
part_room(size_t max, const char *frame)
{
	const char	*p, *q;
	size_t		 used = PART_RESERVE, pl = strlen(PART_MARK);

	for (p = frame; (q = strstr(p, PART_MARK)) != NULL; p = q + pl)
		used += (size_t)(q - p) + strlen(PART_MARK_WIDEST);
	used += strlen(p);
	return (max > used + 16 ? max - used : 16);
}

/* Bytes of s[0..len) that go into a part with room bytes left: up to the
 * last line break that fits, else a character boundary; never 0 while
 * there is text and room. */
size_t
part_cut(const char *s, size_t len, size_t room)
{
	size_t	 cut;

	if ((cut = utf8_cut(s, len, room)) == 0)
		cut = len < room ? len : room;
	return (cut);
}

/* Drop the markup a cut left open in s[0..*len): an unclosed <font>, a
 * tag cut in half, an odd ** or `, a link whose ( ) is not closed. */
static void
part_close_markup(const char *s, size_t *len)
{
	const char	*p, *q;
	size_t		 n, pairs;
	int		 again = 1;

	while (again) {
		again = 0;
		n = *len;
		/* A tag cut in half: "<fon", "<font color=\"". */
		for (p = s + n; p > s && p[-1] != '>' && p[-1] != '<'; p--)
			;
		if (p > s && p[-1] == '<') {
			*len = (size_t)(p - 1 - s);
			again = 1;
			continue;
		}
		/* An opening <font ...> without its </font>. */
		for (p = NULL, q = s; (q = memmem(q, n - (size_t)(q - s),
		    "<font", 5)) != NULL; q += 5)
			p = q;
		if (p != NULL && memmem(p, n - (size_t)(p - s), "</font>",
		    7) == NULL) {
			*len = (size_t)(p - s);
			again = 1;
			continue;
		}
		/* A link cut before its closing parenthesis. */
		for (p = s + n; p > s && p[-1] != ')' && p[-1] != '['; p--)
			;
		if (p > s && p[-1] == '[') {
			*len = (size_t)(p - 1 - s);
			again = 1;
			continue;
		}
		/* An odd ** or `: drop the last, opening one. */
		for (pairs = 0, p = s; (p = memmem(p, n - (size_t)(p - s),
		    "**", 2)) != NULL; p += 2)
			pairs++;
		if (pairs % 2 == 1) {
			for (p = s + n - 2; strncmp(p, "**", 2) != 0; p--)
				;
			*len = (size_t)(p - s);
			again = 1;
			continue;
		}
		for (pairs = 0, p = s; p < s + n; p++)
			pairs += *p == '`';
		if (pairs % 2 == 1) {
			for (p = s + n - 1; *p != '`'; p--)
				;
			*len = (size_t)(p - s);
			again = 1;
		}
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\n'))
		(*len)--;
}

/* s shortened to at most max bytes with an ellipsis: cut at a character
 * boundary, no markup left open (malloc'd; s as is when it fits). */
char *
part_shorten(const char *s, size_t max)
{
	size_t	 len = strlen(s), el = strlen(PART_ELLIPSIS), n;
	char	*out;

	if (len <= max)
		return (xstrdup(s));
	if (max < el)
		return (xstrdup(""));
	n = max - el;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	part_close_markup(s, &n);
	out = xmalloc(n + el + 1);
	memcpy(out, s, n);
	memcpy(out + n, PART_ELLIPSIS, el + 1);
	return (out);
}
