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
