/*
 * A table (table.c) as an Excel workbook, written with libxlsxwriter: one
 * sheet, a bold header row frozen in place, columns as wide as their
 * longest text (a Chinese character counts two), dates and times as real
 * Excel dates, numbers as numbers, percentages as percentages.
 *
 * libxlsxwriter 1.1.4 (Debian 12) writes only to a named file; writing to
 * memory came in a later version.  So the workbook goes to a file in a
 * private directory made for it (mkdtemp, mode 0700, under $TMPDIR or
 * /tmp; the daemon's unit has PrivateTmp), libxlsxwriter's own temporary
 * files go there too, and the file is read back and everything removed.
 * A report is small (tens of kilobytes): this costs a few milliseconds.
 *
 * The workbook's creation time is the caller's (the report's "as of"), so
 * the same table gives the same bytes: libxlsxwriter stamps the zip
 * entries with a fixed date.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "escalator.h"

#define XLSX_MIN_WIDTH		6	/* characters */
#define XLSX_MAX_WIDTH		60
#define XLSX_PAD		2	/* beside the longest text */

/* The display width of UTF-8 text: East Asian wide characters count 2. */
size_t
xlsx_text_width(const char *s)
{
	size_t		 len = strlen(s), n, w = 0;
	uint32_t	 c;

	while (len > 0) {
		n = utf8_next(s, len, &c);
		s += n;
		len -= n;
		/* Hangul Jamo, CJK and their punctuation, Hangul, CJK
		 * compatibility, fullwidth forms; else one column. */
		if ((c >= 0x1100 && c <= 0x115f) ||
		    (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f) ||
		    (c >= 0xac00 && c <= 0xd7a3) ||
		    (c >= 0xf900 && c <= 0xfaff) ||
		    (c >= 0xfe30 && c <= 0xfe4f) ||
		    (c >= 0xff00 && c <= 0xff60) ||
		    (c >= 0xffe0 && c <= 0xffe6) ||
		    (c >= 0x20000 && c <= 0x3fffd))
			w += 2;
		else
			w += 1;
	}
	return (w);
}

/* "2026-11-27 18:00" (or a date alone) as an Excel date; -1 if not. */
static int
xlsx_parse_time(const char *s, lxw_datetime *dt)
{
	int	 y, mo, d, h = 0, mi = 0, n = 0;

	memset(dt, 0, sizeof *dt);
	if (sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 ||
	    s[n] != '\0') {
		n = 0;
		h = mi = 0;
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 ||
		    s[n] != '\0')
			return (-1);
	}
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59)
		return (-1);
	dt->year = y;
	dt->month = mo;
	dt->day = d;
	dt->hour = h;
	dt->min = mi;
	return (0);
}

/* A whole number or decimal; -1 if the text is anything else. */
static int
xlsx_parse_number(const char *s, double *v)
{
	char	*end;

	if (*s == '\0' || strchr("+-0123456789.", *s) == NULL)
		return (-1);
	errno = 0;
	*v = strtod(s, &end);
	return (errno == 0 && *end == '\0' ? 0 : -1);
}

/* "60.0%" as 0.6; -1 if not a percentage. */
static int
xlsx_parse_percent(const char *s, double *v)
{
	char	*t;
	size_t	 len = strlen(s);
	int	 rc;

	if (len < 2 || s[len - 1] != '%')
		return (-1);
	t = xstrndup(s, len - 1);
	rc = xlsx_parse_number(t, v);
	free(t);
	*v /= 100;
	return (rc);
}

/* Write one cell by its column's kind; text that does not read as the
 * kind (a "—" for no rate) is written as text. */
static lxw_error
xlsx_cell(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, enum table_kind k,
    const char *s, lxw_format *date, lxw_format *pct)
{
	lxw_datetime	 dt;
	double		 v;

	if (*s == '\0')
		return (LXW_NO_ERROR);	/* an empty cell, as in the CSV */
	switch (k) {
	case TABLE_TIME:
		if (xlsx_parse_time(s, &dt) == 0)
			return (worksheet_write_datetime(ws, r, c, &dt, date));
		break;
	case TABLE_NUMBER:
		if (xlsx_parse_number(s, &v) == 0)
			return (worksheet_write_number(ws, r, c, v, NULL));
		break;
	case TABLE_PERCENT:
		if (xlsx_parse_percent(s, &v) == 0)
			return (worksheet_write_number(ws, r, c, v, pct));
		break;
	case TABLE_TEXT:
		break;
	}
	return (worksheet_write_string(ws, r, c, s, NULL));
}

/* Read a whole file into memory (malloc'd); -1 with errno. */
static int
xlsx_slurp(const char *path, char **buf, size_t *len)
{
	struct stat	 st;
	char		*p;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	p = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, p + got, (size_t)st.st_size - got);
		if (n <= 0) {
			saved = n == 0 ? EIO : errno;
			if (n < 0 && errno == EINTR)
				continue;
			free(p);
			close(fd);
			errno = saved;
			return (-1);
		}
		got += (size_t)n;
	}
	close(fd);
	p[got] = '\0';
	*buf = p;
	*len = got;
	return (0);
}

/* Remove the private directory and whatever is left in it. */
static void
xlsx_cleanup(const char *dir, const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("xlsx: cannot remove %s", path);
	if (rmdir(dir) == -1)
		log_warn("xlsx: cannot remove %s", dir);
}

/*
 * Write a table as an .xlsx workbook into memory: sheet is the sheet's
 * name (at most 31 characters, none of []:*?/\), title the document's,
 * created its creation time (0: now).  0 with *buf malloc'd, else -1
 * with *err malloc'd.
 */
int
xlsx_write(const struct table *t, const char *sheet, const char *title,
    int64_t created, char **buf, size_t *len, char **err)
{
	lxw_workbook_options	 opt;
	lxw_doc_properties	 props;
	lxw_workbook		*wb;
	lxw_worksheet		*ws;
	lxw_format		*bold, *date, *pct;
	lxw_error		 e = LXW_NO_ERROR;
	const char		*tmp;
	char			 dir[4096], path[4200];
	size_t			 ncols = table_ncols(t), nrows = table_nrows(t);
	size_t			 r, c, w, widest;

	*buf = NULL;
	*len = 0;
	*err = NULL;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof dir, "%s/escalator-xlsx.XXXXXX",
	    tmp) >= sizeof dir) {
		xasprintf(err, "TMPDIR is too long");
		return (-1);
	}
	if (mkdtemp(dir) == NULL) {
		xasprintf(err, "cannot make a temporary directory in %s: %s",
		    tmp, strerror(errno));
		return (-1);
	}
	snprintf(path, sizeof path, "%s/report.xlsx", dir);

	memset(&opt, 0, sizeof opt);
	opt.tmpdir = dir;
	if ((wb = workbook_new_opt(path, &opt)) == NULL) {
		xasprintf(err, "cannot start a workbook");
		xlsx_cleanup(dir, path);
		return (-1);
	}
	memset(&props, 0, sizeof props);
	props.title = (char *)(uintptr_t)title;
	props.created = created > 0 ? (time_t)created : time(NULL);
	workbook_set_properties(wb, &props);
	ws = workbook_add_worksheet(wb, sheet);
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	date = workbook_add_format(wb);
	format_set_num_format(date, "yyyy-mm-dd hh:mm");
	pct = workbook_add_format(wb);
	format_set_num_format(pct, "0.0%");
	if (ws == NULL || bold == NULL || date == NULL || pct == NULL) {
		xasprintf(err, "cannot add a worksheet");
		workbook_close(wb);
		xlsx_cleanup(dir, path);
		return (-1);
	}

	for (c = 0; c < ncols && e == LXW_NO_ERROR; c++) {
		e = worksheet_write_string(ws, 0, (lxw_col_t)c,
		    table_name(t, c), bold);
		widest = xlsx_text_width(table_name(t, c));
		for (r = 0; r < nrows && e == LXW_NO_ERROR; r++) {
			e = xlsx_cell(ws, (lxw_row_t)(r + 1), (lxw_col_t)c,
			    table_kind(t, c), table_cell(t, r, c), date, pct);
			if ((w = xlsx_text_width(table_cell(t, r, c))) > widest)
				widest = w;
		}
		widest += XLSX_PAD;
		if (widest < XLSX_MIN_WIDTH)
			widest = XLSX_MIN_WIDTH;
		if (widest > XLSX_MAX_WIDTH)
			widest = XLSX_MAX_WIDTH;
		if (e == LXW_NO_ERROR)
			e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
			    (double)widest, NULL);
	}
	if (e == LXW_NO_ERROR)
		worksheet_freeze_panes(ws, 1, 0);
	if (e != LXW_NO_ERROR) {
		xasprintf(err, "cannot write the worksheet: %s",
		    lxw_strerror(e));
		workbook_close(wb);
		xlsx_cleanup(dir, path);
		return (-1);
	}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		xasprintf(err, "cannot write the workbook: %s", lxw_strerror(e));
		xlsx_cleanup(dir, path);
		return (-1);
	}
	if (xlsx_slurp(path, buf, len) != 0) {
		xasprintf(err, "cannot read the workbook back: %s",
		    strerror(errno));
		xlsx_cleanup(dir, path);
		return (-1);
	}
	xlsx_cleanup(dir, path);
	return (0);
}
