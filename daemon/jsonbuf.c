/*
 * JSON text written straight into a growing buffer, for the two large
 * documents the daemon produces per grouped message -- the webhook event
 * listing every item and the webhook body around it -- where building a
 * jansson tree and dumping it costs more than the rest of the work.
 * Strings are escaped exactly as jansson's json_dumps() escapes them with
 * its default flags ('"', '\\' and control characters; everything else,
 * UTF-8 included, as it is), so the text is what jansson would print; the
 * unit tests and the e2e tests read it back with jansson, and
 * tests/fuzz/fuzz_payload checks every body it builds.  Callers pass valid
 * UTF-8.
 */
#include <stdio.h>
#include <string.h>

#include "escalator.h"

/* Append n bytes. */
void
jsonbuf_put(struct jsonbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 1024;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Append a C string as it is. */
void
jsonbuf_puts(struct jsonbuf *b, const char *s)
{
	jsonbuf_put(b, s, strlen(s));
}

/* Append a JSON string: quoted and escaped; NULL as "". */
void
jsonbuf_str(struct jsonbuf *b, const char *s)
{
	const char	*run;
	char		 esc[8];

	jsonbuf_put(b, "\"", 1);
	for (run = s; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jsonbuf_put(b, run, (size_t)(s - run));
		switch (c) {
		case '"':	jsonbuf_put(b, "\\\"", 2); break;
		case '\\':	jsonbuf_put(b, "\\\\", 2); break;
		case '\n':	jsonbuf_put(b, "\\n", 2); break;
		case '\t':	jsonbuf_put(b, "\\t", 2); break;
		case '\r':	jsonbuf_put(b, "\\r", 2); break;
		case '\b':	jsonbuf_put(b, "\\b", 2); break;
		case '\f':	jsonbuf_put(b, "\\f", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			jsonbuf_put(b, esc, 6);
			break;
		}
		run = s + 1;
	}
	if (s != NULL)
		jsonbuf_put(b, run, (size_t)(s - run));
	jsonbuf_put(b, "\"", 1);
}

/* Append a JSON string, or null for NULL. */
void
jsonbuf_str_or_null(struct jsonbuf *b, const char *s)
{
	if (s == NULL)
		jsonbuf_put(b, "null", 4);
	else
		jsonbuf_str(b, s);
}

/* Append a JSON array of n strings. */
void
jsonbuf_strings(struct jsonbuf *b, const char *const *v, size_t n)
{
	size_t	 i;

	jsonbuf_put(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			jsonbuf_put(b, ",", 1);
		jsonbuf_str(b, v[i]);
	}
	jsonbuf_put(b, "]", 1);
}
