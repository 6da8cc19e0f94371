/*
 * A table of text cells under typed columns: the one model of the tables
 * behind the reports, which the CSV writer here and the XLSX writer
 * (xlsx.c) both read.  A cell holds the text a spreadsheet user sees in
 * the CSV ("2026-11-27 18:00", "13", "60.0%", "—"); the column's kind says
 * how a typed format reads that text: a date and time, a number, a
 * percentage.  The text is the one value, so the two files cannot
 * disagree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "escalator.h"

struct table {
	char			**names;
	enum table_kind		 *kinds;
	size_t			  ncols;
	char			**cells;	/* row-major, nrows * ncols */
	size_t			  nrows;
	size_t			  cap;		/* rows allocated */
};

/* A table with these columns and no rows. */
struct table *
table_new(const char *const *names, const enum table_kind *kinds, size_t n)
{
	struct table	*t;
	size_t		 i;

	t = xcalloc(1, sizeof *t);
	t->names = xcalloc(n + 1, sizeof *t->names);
	t->kinds = xcalloc(n + 1, sizeof *t->kinds);
	t->ncols = n;
	for (i = 0; i < n; i++) {
		t->names[i] = xstrdup(names[i]);
		t->kinds[i] = kinds != NULL ? kinds[i] : TABLE_TEXT;
	}
	return (t);
}

/* Free a table and its cells. */
void
table_free(struct table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncols; i++)
		free(t->names[i]);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->names);
	free(t->kinds);
	free(t->cells);
	free(t);
}

/* Append one row of ncols texts (copied; NULL is ""). */
void
table_add(struct table *t, const char *const *fields)
{
	size_t	 i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols + 1,
		    sizeof *t->cells);
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(fields[i] != NULL ?
		    fields[i] : "");
	t->nrows++;
}

size_t
table_ncols(const struct table *t)
{
	return (t->ncols);
}

size_t
table_nrows(const struct table *t)
{
	return (t->nrows);
}

const char *
table_name(const struct table *t, size_t col)
{
	return (t->names[col]);
}

enum table_kind
table_kind(const struct table *t, size_t col)
{
	return (t->kinds[col]);
}

/* The text of a cell (row 0 is the first row under the header). */
const char *
table_cell(const struct table *t, size_t row, size_t col)
{
	return (t->cells[row * t->ncols + col]);
}

/* A growing output buffer. */
struct table_buf {
	char	*p;
	size_t	 len, cap;
};

/* Append n bytes (room for a NUL kept). */
static void
table_put(struct table_buf *b, const char *s, size_t n)
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

/*
 * Append one CSV record, every field quoted (RFC 4180), CRLF-ended.  A
 * text field a spreadsheet would take for a formula (names come from the
 * approval system) is written with a leading apostrophe.
 */
static void
table_csv_record(struct table_buf *b, char *const *fields, size_t n)
{
	const char	*f;
	char		*safe, *q;
	size_t		 i, flen, need;

	for (i = 0; i < n; i++) {
		if (i > 0)
			table_put(b, ",", 1);
		f = fields[i];
		safe = NULL;
		if (*f != '\0' && strchr("=+-@\t\r", *f) != NULL) {
			xasprintf(&safe, "'%s", f);
			f = safe;
		}
		flen = strlen(f);
		need = csv_write(NULL, 0, f, flen);
		q = xmalloc(need + 1);
		csv_write(q, need, f, flen);
		table_put(b, q, need);
		free(q);
		free(safe);
	}
	table_put(b, "\r\n", 2);
}

/*
 * Part of the table's CSV, from *next on: 0 is the byte-order mark and the
 * header, r > 0 row r - 1.  Records are added until the text holds at
 * least max bytes (at least one record) or the table ends; *next is left
 * at the first record not written (table_nrows() + 1: the end).  Malloc'd
 * and NUL-terminated ("" past the end); *len its length.
 */
char *
table_csv_part(const struct table *t, size_t *next, size_t max, size_t *len)
{
	struct table_buf	 b = { NULL, 0, 0 };

	if (*next == 0) {
		table_put(&b, "\xef\xbb\xbf", 3);	/* BOM for Excel */
		table_csv_record(&b, t->names, t->ncols);
		(*next)++;
	}
	while (*next <= t->nrows && (b.len == 0 || b.len < max)) {
		table_csv_record(&b, t->cells + (*next - 1) * t->ncols,
		    t->ncols);
		(*next)++;
	}
	if (b.p == NULL)
		table_put(&b, "", 0);
	*len = b.len;
	return (b.p);
}

/*
 * The table as CSV for Excel: UTF-8 with a byte-order mark, the header
 * then every row, each field quoted, CRLF line ends.  Malloc'd and
 * NUL-terminated; *len its length.
 */
char *
table_csv(const struct table *t, size_t *len)
{
	size_t	 next = 0;

	return (table_csv_part(t, &next, SIZE_MAX, len));
}
