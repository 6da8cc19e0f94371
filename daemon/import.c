/*
 * CSV import of the project and item lists departments keep in Excel.
 * The bytes are decoded (UTF-8 with or without a BOM, or GB18030 as
 * saved on Chinese Windows), parsed by libcsv in strict RFC 4180 mode,
 * matched to columns by their Chinese or English header names and checked
 * row by row.  Only a file without a single problem is written, through
 * the same item_add() the API uses; the caller holds the transaction and
 * rolls it back on -1.  No logging and no clock: "now" is an argument.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "escalator.h"

/* The columns an import knows. */
enum import_field {
	IF_CODE,
	IF_NAME,
	IF_CATEGORY,
	IF_REGION,
	IF_CONTENT,
	IF_PROGRESS,
	IF_START,		/* the last project column */
	IF_KIND,		/* the first item column */
	IF_DEPARTMENT,
	IF_HANDLER,
	IF_MODE,
	IF_LIMIT,
	IF_ACCEPTED,
	IF_DEADLINE,
	IF_SUPPLEMENT,
	IF_COMMITMENT,
	IF_AFTER,
	IF__COUNT
};
#define IF_NPROJECT	(IF_START + 1)

/*
 * Header names per column: Chinese compared exactly, English without
 * regard to case.  The first name is the one problems use when the
 * column is missing altogether.
 */
static const char *const import_names[IF__COUNT][6] = {
	[IF_CODE] = { "项目编码", "项目代码", "code", "project", NULL },
	[IF_NAME] = { "项目名称", "project_name", NULL },
	[IF_CATEGORY] = { "项目类别", "类别", "category", NULL },
	[IF_REGION] = { "所属地区", "地区", "region", NULL },
	[IF_CONTENT] = { "项目内容", "建设内容", "content", NULL },
	[IF_PROGRESS] = { "形象进度", "progress", NULL },
	[IF_START] = { "计划开工", "计划开工时间", "planned_start", NULL },
	[IF_KIND] = { "审批事项", "事项", "item", "name", NULL },
	[IF_DEPARTMENT] = { "承办部门", "department", NULL },
	[IF_HANDLER] = { "承办人", "handler", NULL },
	[IF_MODE] = { "办理模式", "模式", "mode", NULL },
	[IF_LIMIT] = { "承诺时限", "时限", "limit", NULL },
	[IF_ACCEPTED] = { "受理时间", "受理日期", "accepted_at", NULL },
	[IF_DEADLINE] = { "办结时限", "截止日期", "deadline", NULL },
	/* The second deadlines of 容缺受理 and 告知承诺 items. */
	[IF_SUPPLEMENT] = { "补正期限", "supplement_deadline", NULL },
	[IF_COMMITMENT] = { "承诺兑现期限", "commitment_deadline", NULL },
	[IF_AFTER] = { "前置事项", "after", NULL },
};

/* Time-limit units as people write them, and the duration unit each is. */
static const struct {
	const char	*text;
	const char	*unit;
} import_units[] = {
	{ "个工作日", "wd" }, { "工作日", "wd" }, { "wd", "wd" },
	{ "workdays", "wd" }, { "workingdays", "wd" },
	{ "个自然日", "d" }, { "自然日", "d" }, { "天", "d" }, { "日", "d" },
	{ "d", "d" }, { "days", "d" },
	{ "个小时", "h" }, { "小时", "h" }, { "h", "h" }, { "hours", "h" },
};

/* Modes as people write them, and the name the daemon uses. */
static const struct {
	const char	*text;
	const char	*mode;
} import_modes[] = {
	{ "normal", "normal" }, { "一般", "normal" }, { "普通", "normal" },
	{ "预审", "预审" }, { "容缺受理", "容缺受理" }, { "告知承诺", "告知承诺" },
};

/* Separators between prerequisite kinds in one cell. */
static const char *const import_seps[] = { "、", ";", "；", ",", "，" };

/* One problem found in the file. */
struct import_problem {
	int		 row;
	size_t		 seq;		/* keeps the order within a row */
	char		*column;
	char		*reason;
};

/* One record as libcsv delivered it. */
struct import_record {
	int		 line;		/* where it starts in the file */
	char		**f;
	size_t		 n;
};

/* An item already stored, as a candidate prerequisite. */
struct import_stored {
	int64_t		 id;
	char		*kind;
};

/* One project the file names, with the values its rows give. */
struct import_project {
	const char		*code;
	const char		*v[IF_NPROJECT];	/* normalised, or NULL */
	int			 vrow[IF_NPROJECT];	/* where each came from */
	int64_t			 id;
	int			 loaded;		/* stored items read */
	struct import_stored	*stored;
	size_t			 nstored;
	size_t			*items;			/* its item rows */
	size_t			 nitems;
};

/* One data row and what it means. */
struct import_row {
	int		 line;
	const char	*v[IF__COUNT];	/* trimmed cells; NULL when empty */
	size_t		 project;	/* index into projects */
	int		 item;		/* 1: an item row */
	const char	*category;	/* the configuration's spelling */
	const char	*mode;
	char		*start;		/* normalised values, owned */
	char		*limit;
	char		*accepted;
	char		*deadline;
	char		*supplement;
	char		*commitment;
	size_t		*after_rows;	/* prerequisites in the file */
	size_t		 nafter_rows;
	int64_t		*after_ids;	/* prerequisites already stored */
	size_t		 nafter_ids;
	int		 mark;		/* ordering: 0 new, 1 visiting, 2 done */
	int64_t		 id;
};

/* The state of one import. */
struct import_ctx {
	const struct config	*conf;
	struct store		*s;
	int64_t			 now;

	struct import_record	*recs;		/* parsing */
	size_t			 nrecs;
	char			**cur;
	size_t			 ncur;
	int			 line;

	int			*colfield;	/* header: field per column */
	char			**colname;	/* the header text per column */
	size_t			 ncols;
	int			 col[IF__COUNT];	/* column per field, -1 */

	struct import_row	*rows;
	size_t			 nrows;
	struct import_project	*projects;
	size_t			 nprojects;
	size_t			*codes;		/* hash of project codes: */
	size_t			 ncodes;	/* index + 1, 0 free; 2^k */
	size_t			*order;		/* item rows in writing order */
	size_t			 norder;

	struct import_problem	*problems;
	size_t			 nproblems;

	int			 pcreated, pupdated, icreated, iupdated;
};

/* Record a problem of a row and column. */
static void PRINTFLIKE(4, 5)
import_problem(struct import_ctx *ctx, int row, const char *column,
    const char *fmt, ...)
{
	struct import_problem	*p;
	va_list			 ap;

	ctx->problems = xreallocarray(ctx->problems, ctx->nproblems + 1,
	    sizeof *ctx->problems);
	p = &ctx->problems[ctx->nproblems];
	p->row = row;
	p->seq = ctx->nproblems++;
	p->column = xstrdup(column != NULL ? column : "");
	va_start(ap, fmt);
	xvasprintf(&p->reason, fmt, ap);
	va_end(ap);
}

/* The column name problems of a field use: as in the header, else the
 * field's first name. */
static const char *
import_colname(const struct import_ctx *ctx, enum import_field f)
{
	if (ctx->col[f] >= 0)
		return (ctx->colname[ctx->col[f]]);
	return (import_names[f][0]);
}

/* A column's spreadsheet letter ("A", "Z", "AA") into buf. */
static void
import_letters(size_t col, char *buf, size_t len)
{
	char	 tmp[16];
	size_t	 n = 0, i;

	col++;
	while (col > 0 && n < sizeof tmp) {
		tmp[n++] = 'A' + (col - 1) % 26;
		col = (col - 1) / 26;
	}
	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = tmp[n - 1 - i];
	buf[i] = '\0';
}

/* Compare ASCII case-insensitively, everything else exactly; like
 * strcasecmp() in the C locale whatever the process locale is. */
static int
import_casecmp(const char *a, const char *b)
{
	unsigned char	 ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb || ca == '\0')
			return (ca - cb);
	}
}

/* The length of the white space (ASCII, no-break or ideographic) at s. */
static size_t
import_space(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	if (*u == ' ' || *u == '\t' || *u == '\r' || *u == '\n')
		return (1);
	if (u[0] == 0xc2 && u[1] == 0xa0)
		return (2);
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return (3);
	return (0);
}

/* Trim white space from both ends of s in place; returns the start. */
static char *
import_trim(char *s)
{
	char	*end, *p;
	size_t	 n;

	while ((n = import_space(s)) > 0)
		s += n;
	end = s;
	for (p = s; *p != '\0'; p += n) {
		if ((n = import_space(p)) == 0) {
			n = 1;
			end = p + 1;
		}
	}
	*end = '\0';
	return (s);
}

/*
 * Copy text to buf folding full-width ASCII (digits, "／", "："...) to
 * ASCII and ideographic spaces to spaces, lower-casing ASCII when asked,
 * dropping spaces when asked.  -1 when it does not fit.
 */
static int
import_fold(const char *s, char *buf, size_t len, int lower, int nospace)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 o = 0;
	unsigned int		 c;

	while (*u != '\0') {
		if (u[0] == 0xef && (u[1] == 0xbc || u[1] == 0xbd) &&
		    u[2] >= 0x80 && u[2] <= 0xbf) {
			/* U+FF01..U+FF5E map to 0x21..0x7E. */
			c = ((u[1] & 0x3) << 6 | (u[2] & 0x3f)) + 0xff00 - 0xfee0;
			if (c < 0x21 || c > 0x7e)
				c = 0;
		} else if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
			c = ' ';
		else
			c = 0;
		if (c != 0)
			u += 3;
		else
			c = *u++;
		if (lower && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (nospace && (c == ' ' || c == '\t'))
			continue;
		if (o + 1 >= len)
			return (-1);
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return (0);
}

/* Read 1 to max decimal digits at *p into *v; 0 digits read is -1. */
static int
import_digits(const char **p, int max, int *v)
{
	int	 n = 0;

	*v = 0;
	while (n < max && **p >= '0' && **p <= '9') {
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return (n > 0 ? 0 : -1);
}

/* Skip the string word at *p if it is there. */
static int
import_skip(const char **p, const char *word)
{
	size_t	 n = strlen(word);

	if (strncmp(*p, word, n) != 0)
		return (0);
	*p += n;
	return (1);
}

/*
 * A date or time as spreadsheets write it -- 2026-03-05, 2026/3/5,
 * 2026.3.5, 2026年3月5日, each optionally followed by H:MM[:SS] -- as
 * the "YYYY-MM-DD[ HH:MM:SS]" rules_parse_time() reads.  NULL when the
 * text is not such a date or the date is impossible.  With date_only the
 * time of day is dropped (a planned start is a day); a day without a time
 * gets day_min minutes after midnight (a deadline day ends at the
 * configured deadline time, not at 00:00).
 */
static char *
import_date(const char *v, int date_only, int day_min, int64_t now)
{
	char		 buf[64], *out;
	const char	*p = buf;
	int		 y, m, d, h = -1, mi = 0, sec = 0, cjk;
	char		 sep;
	int32_t		 day;
	int64_t		 t;

	if (import_fold(v, buf, sizeof buf, 0, 0) != 0)
		return (NULL);
	if (strlen(p) < 4 || import_digits(&p, 4, &y) != 0 || p != buf + 4)
		return (NULL);
	cjk = import_skip(&p, "年");
	sep = cjk ? '\0' : *p;
	if (!cjk && sep != '-' && sep != '/' && sep != '.')
		return (NULL);
	if (!cjk)
		p++;
	if (import_digits(&p, 2, &m) != 0)
		return (NULL);
	if (cjk ? !import_skip(&p, "月") : *p++ != sep)
		return (NULL);
	if (import_digits(&p, 2, &d) != 0)
		return (NULL);
	if (cjk && !import_skip(&p, "日"))
		(void)import_skip(&p, "号");
	while (*p == ' ' || *p == 'T')
		p++;
	if (*p != '\0') {
		if (import_digits(&p, 2, &h) != 0 || *p++ != ':' ||
		    import_digits(&p, 2, &mi) != 0)
			return (NULL);
		if (*p == ':' && (p++, import_digits(&p, 2, &sec) != 0))
			return (NULL);
	}
	if (*p != '\0')
		return (NULL);
	if (h < 0 && !date_only && day_min > 0) {
		h = day_min / 60;
		mi = day_min % 60;
	}
	if (date_only || h < 0)
		xasprintf(&out, "%04d-%02d-%02d", y, m, d);
	else
		xasprintf(&out, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, h, mi,
		    sec);
	if ((date_only ? calendar_parse_date(out, &day) :
	    rules_parse_time(out, now, &t)) != 0) {
		free(out);
		return (NULL);
	}
	return (out);
}

/* A time limit as people write it ("5个工作日", "10天", "48小时", "5wd")
 * as the duration text item_add() keeps ("5wd", "10d", "48h"), or NULL. */
static char *
import_limit(const char *v)
{
	char		 buf[64], *out;
	const char	*p = buf;
	struct duration	 dur;
	size_t		 i;
	int		 n;

	if (import_fold(v, buf, sizeof buf, 1, 1) != 0)
		return (NULL);
	if (import_digits(&p, 6, &n) != 0 || n <= 0)
		return (NULL);
	for (i = 0; i < sizeof import_units / sizeof import_units[0]; i++) {
		if (strcmp(p, import_units[i].text) != 0)
			continue;
		xasprintf(&out, "%d%s", n, import_units[i].unit);
		if (config_parse_duration(out, &dur) != 0 || dur.n <= 0) {
			free(out);
			return (NULL);
		}
		return (out);
	}
	return (NULL);
}

/* A mode as the daemon names it; empty is normal; NULL if unknown. */
static const char *
import_mode(const char *v)
{
	size_t	 i;

	if (v == NULL)
		return ("normal");
	for (i = 0; i < sizeof import_modes / sizeof import_modes[0]; i++) {
		if (import_casecmp(v, import_modes[i].text) == 0)
			return (import_modes[i].mode);
	}
	return (NULL);
}

/* A category's text without quotes of any kind or white space, so that
 * 工业“四改”类, 工业"四改"类 and 工业四改类 compare equal. */
static void
import_category_key(const char *s, char *buf, size_t len)
{
	static const char *const drop[] = {
		"\"", "'", "“", "”", "‘", "’", "「", "」", "『", "』", "＂",
	};
	size_t	 o = 0, i, n;

	while (*s != '\0') {
		if ((n = import_space(s)) > 0) {
			s += n;
			continue;
		}
		for (i = 0; i < sizeof drop / sizeof drop[0]; i++) {
			n = strlen(drop[i]);
			if (strncmp(s, drop[i], n) == 0)
				break;
		}
		if (i < sizeof drop / sizeof drop[0]) {
			s += n;
			continue;
		}
		if (o + 1 < len)
			buf[o++] = *s;
		s++;
	}
	buf[o] = '\0';
}

/* The configuration's spelling of a category, or NULL when no work
 * group covers it. */
static const char *
import_category(const struct config *conf, const char *v)
{
	const struct group	*g;
	char			 want[256], have[256];
	size_t			 i, j;

	if ((g = config_group_for(conf, v)) != NULL) {
		for (j = 0; j < g->ncategories; j++)
			if (strcmp(g->categories[j], v) == 0)
				return (g->categories[j]);
	}
	import_category_key(v, want, sizeof want);
	for (i = 0; i < conf->ngroups; i++) {
		for (j = 0; j < conf->groups[i].ncategories; j++) {
			import_category_key(conf->groups[i].categories[j], have,
			    sizeof have);
			if (strcmp(want, have) == 0 && config_group_for(conf,
			    conf->groups[i].categories[j]) != NULL)
				return (conf->groups[i].categories[j]);
		}
	}
	return (NULL);
}

/* Every category the configuration knows, for a problem (malloc'd). */
static char *
import_categories(const struct config *conf)
{
	char	*s = xstrdup(""), *t;
	size_t	 i, j;

	for (i = 0; i < conf->ngroups; i++) {
		for (j = 0; j < conf->groups[i].ncategories; j++) {
			xasprintf(&t, "%s%s%s", s, *s != '\0' ? ", " : "",
			    conf->groups[i].categories[j]);
			free(s);
			s = t;
		}
	}
	return (s);
}

/* ------------------------------------------------------------------ */
/* Decoding. */

/* Convert GB18030 to UTF-8; -1 with *bad = the offending offset. */
static int
import_from_gb18030(const char *in, size_t len, char **out, size_t *outlen,
    size_t *bad)
{
	iconv_t	 cd;
	char	*ip, *buf, *op;
	size_t	 il = len, cap = len * 2 + 16, ol, r;

	if ((cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1)
		return (-2);
	/* iconv() takes a non-const input pointer but does not write. */
	ip = (char *)(uintptr_t)in;
	buf = xmalloc(cap);
	op = buf;
	ol = cap - 1;
	for (;;) {
		r = iconv(cd, il > 0 ? &ip : NULL, &il, &op, &ol);
		if (r != (size_t)-1 && il == 0)
			break;
		if (r == (size_t)-1 && errno == E2BIG) {
			size_t used = op - buf;
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
			op = buf + used;
			ol = cap - used - 1;
			continue;
		}
		*bad = ip - in;
		iconv_close(cd);
		free(buf);
		return (-1);
	}
	iconv_close(cd);
	*op = '\0';
	*out = buf;
	*outlen = op - buf;
	return (0);
}

/* Whether the text starts with a UTF-8 byte-order mark. */
static int
import_has_bom(const char *s, size_t len)
{
	return (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0);
}

/* The offset of the first byte where s stops being valid UTF-8. */
static size_t
import_utf8_bad(const char *s, size_t len)
{
	size_t		 i = 0, n;
	unsigned char	 c;

	while (i < len) {
		c = (unsigned char)s[i];
		n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (n > len - i || !utf8_valid(s + i, n))
			return (i);
		i += n;
	}
	return (len);
}

/*
 * Decode the file's bytes into UTF-8 text (malloc'd, NUL-terminated)
 * without a byte-order mark; -1 with a 400 for files that are none of
 * the encodings asked for.
 */
static int
import_decode(const char *data, size_t len, const char *encoding,
    char **text, size_t *tlen, struct api_error *e)
{
	size_t	 bad = 0;
	int	 utf8, gb, rc, bom = 0;

	if (encoding == NULL || import_casecmp(encoding, "auto") == 0)
		utf8 = gb = 1;
	else if (import_casecmp(encoding, "utf-8") == 0 ||
	    import_casecmp(encoding, "utf8") == 0) {
		utf8 = 1;
		gb = 0;
	} else if (import_casecmp(encoding, "gb18030") == 0 ||
	    import_casecmp(encoding, "gbk") == 0 ||
	    import_casecmp(encoding, "gb2312") == 0 ||
	    import_casecmp(encoding, "cp936") == 0) {
		utf8 = 0;
		gb = 1;	/* GB18030 is a superset of the other two. */
	} else {
		api_error_set(e, 400, "encoding", "unknown encoding '%s' (auto,"
		    " utf-8 or gb18030)", encoding);
		return (-1);
	}

	/* Spreadsheet files that are not CSV at all deserve a clear word. */
	if (len >= 4 && memcmp(data, "PK\003\004", 4) == 0) {
		api_error_set(e, 400, "body", "this is an Excel workbook"
		    " (.xlsx), not CSV: save it as \"CSV UTF-8\" or CSV first");
		return (-1);
	}
	if (len >= 4 && memcmp(data, "\xd0\xcf\x11\xe0", 4) == 0) {
		api_error_set(e, 400, "body", "this is an Excel workbook"
		    " (.xls), not CSV: save it as \"CSV UTF-8\" or CSV first");
		return (-1);
	}
	if (len >= 2 && (memcmp(data, "\xff\xfe", 2) == 0 ||
	    memcmp(data, "\xfe\xff", 2) == 0)) {
		api_error_set(e, 400, "encoding", "the file is UTF-16 (Excel"
		    " \"Unicode text\"): save it as \"CSV UTF-8\" instead");
		return (-1);
	}

	if (utf8 && import_has_bom(data, len)) {
		data += 3;
		len -= 3;
		bom = 3;
	}
	if (utf8 && utf8_valid(data, len)) {
		*text = xmalloc(len + 1);
		memcpy(*text, data, len);
		(*text)[len] = '\0';
		*tlen = len;
	} else if (!gb || bom) {
		api_error_set(e, 400, "encoding", "the file is not valid UTF-8"
		    " (bad byte at offset %zu)%s", import_utf8_bad(data, len) +
		    bom, bom ? " although it starts with a UTF-8 byte-order mark" :
		    "; is it GB18030? try encoding gb18030");
		return (-1);
	} else if ((rc = import_from_gb18030(data, len, text, tlen,
	    &bad)) != 0) {
		if (rc == -2)
			api_error_set(e, 500, "encoding", "GB18030 conversion is"
			    " not available");
		else if (utf8)
			api_error_set(e, 400, "encoding", "the file is neither"
			    " UTF-8 (bad byte at offset %zu) nor GB18030 (bad byte"
			    " at offset %zu)", import_utf8_bad(data, len), bad);
		else
			api_error_set(e, 400, "encoding", "the file is not valid"
			    " GB18030 (bad byte at offset %zu); is it UTF-8?",
			    bad);
		return (-1);
	}
	/* GB18030 has its own encoding of U+FEFF; drop it once decoded. */
	if (import_has_bom(*text, *tlen)) {
		memmove(*text, *text + 3, *tlen - 2);
		*tlen -= 3;
	}
	if (memchr(*text, '\0', *tlen) != NULL) {
		api_error_set(e, 400, "body", "the file contains NUL bytes: not"
		    " a CSV text file");
		free(*text);
		*text = NULL;
		return (-1);
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* Parsing. */

/* libcsv: one field of the current record. */
static void
import_csv_field(void *field, size_t len, void *arg)
{
	struct import_ctx	*ctx = arg;

	ctx->cur = xreallocarray(ctx->cur, ctx->ncur + 1, sizeof *ctx->cur);
	ctx->cur[ctx->ncur++] = field != NULL ? xstrndup(field, len) :
	    xstrdup("");
}

/* libcsv: the end of the current record, which starts on ctx->line. */
static void
import_csv_record(int c, void *arg)
{
	struct import_ctx	*ctx = arg;
	struct import_record	*r;

	(void)c;
	ctx->recs = xreallocarray(ctx->recs, ctx->nrecs + 1, sizeof *ctx->recs);
	r = &ctx->recs[ctx->nrecs++];
	r->line = ctx->line;
	r->f = ctx->cur;
	r->n = ctx->ncur;
	ctx->cur = NULL;
	ctx->ncur = 0;
}

/* Free the fields of an unfinished record. */
static void
import_drop_current(struct import_ctx *ctx)
{
	size_t	 i;

	for (i = 0; i < ctx->ncur; i++)
		free(ctx->cur[i]);
	free(ctx->cur);
	ctx->cur = NULL;
	ctx->ncur = 0;
}

/*
 * Split the text into records.  libcsv does not count lines, so the text
 * is fed one record at a time: a record ends at a line break outside
 * quotes (in strict mode a quote can only open or close a quoted field,
 * or be doubled inside one, so counting quotes finds the same boundaries
 * libcsv does).  Each record then knows the line it starts on, however
 * many line breaks its quoted fields hold.  A malformed record becomes a
 * problem and ends the parse; -1 only when out of memory.
 */
static int
import_parse(struct import_ctx *ctx, const char *text, size_t len,
    struct api_error *e)
{
	struct csv_parser	 p;
	size_t			 i = 0, start, breaks;
	int			 line = 1, inq, err, unclosed = 0;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		api_error_set(e, 500, NULL, "out of memory");
		return (-1);
	}
	while (i < len) {
		start = i;
		breaks = 0;
		inq = 0;
		while (i < len) {
			char c = text[i++];
			if (c == '"')
				inq = !inq;
			else if (c == '\r' || c == '\n') {
				if (c == '\r' && i < len && text[i] == '\n')
					i++;
				breaks++;
				if (!inq)
					break;
			}
		}
		ctx->line = line;
		if (csv_parse(&p, text + start, i - start, import_csv_field,
		    import_csv_record, ctx) != i - start)
			goto bad;
		line += breaks;
	}
	/* With CSV_STRICT_FINI only a quote left open fails here. */
	if (csv_fini(&p, import_csv_field, import_csv_record, ctx) != 0) {
		unclosed = 1;
		goto bad;
	}
	csv_free(&p);
	return (0);

bad:
	err = csv_error(&p);
	csv_free(&p);
	import_drop_current(ctx);
	if (err != CSV_EPARSE) {
		api_error_set(e, 500, NULL, "CSV parser: %s", csv_strerror(err));
		return (-1);
	}
	if (unclosed)
		import_problem(ctx, ctx->line, "", "a quoted field opened in"
		    " this row is never closed; nothing after it was read");
	else
		import_problem(ctx, ctx->line, "", "malformed CSV: a quote"
		    " inside an unquoted field or text after a closing quote"
		    " (quote the whole field and double the quotes in it);"
		    " nothing after it was read");
	return (0);
}

/* Whether every field of a record is empty or white space. */
static int
import_blank(const struct import_record *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (*import_trim(r->f[i]) != '\0')
			return (0);
	return (1);
}

/* The field a header name stands for, or -1. */
static int
import_lookup(const char *name)
{
	int	 f, k;

	for (f = 0; f < IF__COUNT; f++) {
		for (k = 0; import_names[f][k] != NULL; k++)
			if (import_casecmp(name, import_names[f][k]) == 0)
				return (f);
	}
	return (-1);
}

/* A header cell without the "*" templates put on required columns. */
static char *
import_header_name(char *s)
{
	size_t	 n;

	s = import_trim(s);
	while (*s == '*')
		s = import_trim(s + 1);
	while (strncmp(s, "＊", 3) == 0)
		s = import_trim(s + 3);
	while ((n = strlen(s)) > 0 && s[n - 1] == '*') {
		s[n - 1] = '\0';
		s = import_trim(s);
	}
	while ((n = strlen(s)) >= 3 && strcmp(s + n - 3, "＊") == 0) {
		s[n - 3] = '\0';
		s = import_trim(s);
	}
	return (s);
}

/*
 * Map the header record's columns to fields.  Unknown and repeated
 * columns and missing required ones are problems; a header naming no
 * known column at all is a 400 (the file has no header).  Returns -1 for
 * the 400, 1 when rows cannot be checked, else 0.
 */
static int
import_header(struct import_ctx *ctx, struct import_record *r,
    struct api_error *e)
{
	char	*name, known[1024] = "", letter[16];
	size_t	 j;
	int	 f, nknown = 0, rc = 0;

	ctx->ncols = r->n;
	ctx->colfield = xreallocarray(NULL, r->n, sizeof *ctx->colfield);
	ctx->colname = xreallocarray(NULL, r->n, sizeof *ctx->colname);
	for (f = 0; f < IF__COUNT; f++)
		ctx->col[f] = -1;
	for (j = 0; j < r->n; j++) {
		name = import_header_name(r->f[j]);
		ctx->colname[j] = name;
		ctx->colfield[j] = -1;
		if (*name == '\0')
			continue;
		if ((f = import_lookup(name)) < 0)
			continue;
		nknown++;
		if (ctx->col[f] >= 0) {
			import_letters(ctx->col[f], letter, sizeof letter);
			import_problem(ctx, r->line, name, "the same column as"
			    " '%s' (column %s)", ctx->colname[ctx->col[f]],
			    letter);
			continue;
		}
		ctx->col[f] = (int)j;
		ctx->colfield[j] = f;
	}
	if (nknown == 0) {
		api_error_set(e, 400, "body", "the file has no header row: its"
		    " first row names none of the known columns (项目编码,"
		    " 审批事项, 承办部门 ...)");
		return (-1);
	}
	for (f = 0; f < IF__COUNT; f++) {
		strncat(known, import_names[f][0], sizeof known -
		    strlen(known) - 1);
		if (f + 1 < IF__COUNT)
			strncat(known, ", ", sizeof known - strlen(known) - 1);
	}
	for (j = 0; j < r->n; j++) {
		if (*ctx->colname[j] != '\0' &&
		    import_lookup(ctx->colname[j]) < 0)
			import_problem(ctx, r->line, ctx->colname[j], "unknown"
			    " column (known: %s)", known);
	}
	if (ctx->col[IF_CODE] < 0) {
		import_problem(ctx, r->line, import_names[IF_CODE][0], "missing"
		    " required column (项目编码, 项目代码, code or project)");
		rc = 1;
	}
	if (ctx->col[IF_KIND] >= 0 && ctx->col[IF_DEPARTMENT] < 0)
		import_problem(ctx, r->line, import_names[IF_DEPARTMENT][0],
		    "missing column: item rows need a department (承办部门)");
	if (ctx->col[IF_KIND] >= 0 && ctx->col[IF_LIMIT] < 0 &&
	    ctx->col[IF_DEADLINE] < 0)
		import_problem(ctx, r->line, import_names[IF_LIMIT][0],
		    "missing column: item rows need a time limit (承诺时限) or"
		    " a deadline (办结时限)");
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Checking. */

/* The project of a code, added on first sight. */
static size_t
import_project_of(struct import_ctx *ctx, const char *code)
{
	struct import_project	*p;
	const unsigned char	*c;
	uint64_t		 h = 14695981039346656037ULL;	/* FNV-1a */
	size_t			 slot;

	/*
	 * Open addressing over the codes: a million-row file names some
	 * 200,000 projects, too many for a linear search per row (and
	 * glibc's hsearch hashes codes like "XM-0012345" poorly).
	 */
	for (c = (const unsigned char *)code; *c != '\0'; c++)
		h = (h ^ *c) * 1099511628211ULL;
	for (slot = h & (ctx->ncodes - 1); ctx->codes[slot] != 0;
	    slot = (slot + 1) & (ctx->ncodes - 1))
		if (strcmp(ctx->projects[ctx->codes[slot] - 1].code, code) == 0)
			return (ctx->codes[slot] - 1);
	ctx->codes[slot] = ctx->nprojects + 1;
	ctx->projects = xreallocarray(ctx->projects, ctx->nprojects + 1,
	    sizeof *ctx->projects);
	p = &ctx->projects[ctx->nprojects];
	memset(p, 0, sizeof *p);
	p->code = code;
	return (ctx->nprojects++);
}

/* Check a date cell into *out (owned); a problem when it is bad. */
static void
import_check_date(struct import_ctx *ctx, struct import_row *row,
    enum import_field f, char **out)
{
	const char	*v = row->v[f];
	int		 day_min;

	if (v == NULL)
		return;
	day_min = f == IF_START || f == IF_ACCEPTED ? 0 :
	    ctx->conf->deadline_min;
	if ((*out = import_date(v, f == IF_START, day_min, ctx->now)) == NULL)
		import_problem(ctx, row->line, import_colname(ctx, f), "invalid"
		    " or impossible date '%s' (use YYYY-MM-DD, YYYY/MM/DD or"
		    " YYYY年MM月DD日, optionally with HH:MM)", v);
}

/* Merge a row's project values into its project; a problem when rows
 * of the same project disagree. */
static void
import_check_project(struct import_ctx *ctx, struct import_row *row)
{
	struct import_project	*p = &ctx->projects[row->project];
	const char		*v;
	int			 f;

	for (f = IF_NAME; f < IF_NPROJECT; f++) {
		v = f == IF_CATEGORY ? row->category : f == IF_START ?
		    row->start : row->v[f];
		if (v == NULL)
			continue;
		if (p->v[f] == NULL) {
			p->v[f] = v;
			p->vrow[f] = row->line;
		} else if (strcmp(p->v[f], v) != 0)
			import_problem(ctx, row->line, import_colname(ctx, f),
			    "'%s' differs from '%s' given for project %s in row"
			    " %d", row->v[f], p->v[f], p->code, p->vrow[f]);
	}
}

/* Check one data row; every problem is recorded. */
static void
import_check_row(struct import_ctx *ctx, struct import_row *row)
{
	struct import_project	*p;
	struct import_row	*o;
	char			*cats;
	size_t			 i;
	int			 f, any = 0;

	if (row->v[IF_CODE] == NULL) {
		import_problem(ctx, row->line, import_colname(ctx, IF_CODE),
		    "missing project code");
	} else
		row->project = import_project_of(ctx, row->v[IF_CODE]);

	if (row->v[IF_CATEGORY] != NULL && (row->category =
	    import_category(ctx->conf, row->v[IF_CATEGORY])) == NULL) {
		cats = import_categories(ctx->conf);
		import_problem(ctx, row->line, import_colname(ctx, IF_CATEGORY),
		    "unknown category '%s': no work group covers it (%s)",
		    row->v[IF_CATEGORY], cats);
		free(cats);
	}
	import_check_date(ctx, row, IF_START, &row->start);
	if (row->v[IF_CODE] != NULL)
		import_check_project(ctx, row);

	for (f = IF_KIND; f < IF__COUNT; f++)
		any |= row->v[f] != NULL;
	if (row->v[IF_KIND] == NULL) {
		if (any)
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_KIND), "missing item kind: the row fills item"
			    " columns but names no item");
		return;
	}
	row->item = 1;
	if (row->v[IF_DEPARTMENT] == NULL && ctx->col[IF_DEPARTMENT] >= 0)
		import_problem(ctx, row->line, import_colname(ctx,
		    IF_DEPARTMENT), "missing department");
	if (row->v[IF_LIMIT] == NULL && row->v[IF_DEADLINE] == NULL &&
	    (ctx->col[IF_LIMIT] >= 0 || ctx->col[IF_DEADLINE] >= 0))
		import_problem(ctx, row->line, import_colname(ctx,
		    ctx->col[IF_LIMIT] >= 0 ? IF_LIMIT : IF_DEADLINE),
		    "missing time limit: give a time limit (承诺时限) or a"
		    " deadline (办结时限)");
	if ((row->mode = import_mode(row->v[IF_MODE])) == NULL)
		import_problem(ctx, row->line, import_colname(ctx, IF_MODE),
		    "unknown mode '%s' (一般/normal, 预审, 容缺受理, 告知承诺)",
		    row->v[IF_MODE]);
	if (row->v[IF_LIMIT] != NULL &&
	    (row->limit = import_limit(row->v[IF_LIMIT])) == NULL)
		import_problem(ctx, row->line, import_colname(ctx, IF_LIMIT),
		    "invalid time limit '%s' (e.g. 5个工作日, 10天, 48小时 or"
		    " 5wd)", row->v[IF_LIMIT]);
	import_check_date(ctx, row, IF_ACCEPTED, &row->accepted);
	import_check_date(ctx, row, IF_DEADLINE, &row->deadline);
	import_check_date(ctx, row, IF_SUPPLEMENT, &row->supplement);
	import_check_date(ctx, row, IF_COMMITMENT, &row->commitment);
	if (row->accepted != NULL && row->deadline != NULL &&
	    strncmp(row->deadline, row->accepted, 10) < 0)
		import_problem(ctx, row->line, import_colname(ctx, IF_DEADLINE),
		    "the deadline %s is before the acceptance %s",
		    row->v[IF_DEADLINE], row->v[IF_ACCEPTED]);

	if (row->v[IF_CODE] == NULL)
		return;
	/* The project's item rows: what duplicates and prerequisites are
	 * looked up in (not the whole file). */
	p = &ctx->projects[row->project];
	p->items = xreallocarray(p->items, p->nitems + 1, sizeof *p->items);
	p->items[p->nitems++] = (size_t)(row - ctx->rows);

	/* One row per item: project, kind and department name it. */
	if (row->v[IF_DEPARTMENT] == NULL)
		return;
	for (i = 0; i + 1 < p->nitems; i++) {
		o = &ctx->rows[p->items[i]];
		if (o->v[IF_DEPARTMENT] != NULL &&
		    strcmp(o->v[IF_KIND], row->v[IF_KIND]) == 0 &&
		    strcmp(o->v[IF_DEPARTMENT], row->v[IF_DEPARTMENT]) == 0) {
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_KIND), "the same item (project %s, %s, %s) as"
			    " row %d", row->v[IF_CODE], row->v[IF_KIND],
			    row->v[IF_DEPARTMENT], o->line);
			break;
		}
	}
}

/* Store callback: keep a stored item of the project as a candidate. */
static int
import_stored_cb(void *arg, const struct item_row *r)
{
	struct import_project	*p = arg;

	if (strcmp(r->status, "cancelled") == 0)
		return (0);
	p->stored = xreallocarray(p->stored, p->nstored + 1,
	    sizeof *p->stored);
	p->stored[p->nstored].id = r->id;
	p->stored[p->nstored].kind = xstrdup(r->kind);
	p->nstored++;
	return (0);
}

/*
 * Resolve one prerequisite kind of a row: an item of the same project in
 * the file, else one already stored.  0 resolved or a problem recorded,
 * -1 on a database error.
 */
static int
import_resolve(struct import_ctx *ctx, struct import_row *row,
    const char *kind)
{
	struct import_project	*p = &ctx->projects[row->project];
	struct import_row	*o;
	size_t			 i, j, found = 0, which = 0;
	int64_t			 id = 0;
	const char		*col = import_colname(ctx, IF_AFTER);

	if (strcmp(kind, row->v[IF_KIND]) == 0) {
		import_problem(ctx, row->line, col, "an item cannot be its own"
		    " prerequisite ('%s')", kind);
		return (0);
	}
	for (j = 0; j < p->nitems; j++) {
		i = p->items[j];
		o = &ctx->rows[i];
		if (strcmp(o->v[IF_KIND], kind) != 0)
			continue;
		if (found++ == 0)
			which = i;
		else {
			import_problem(ctx, row->line, col, "'%s' is ambiguous:"
			    " project %s has it in rows %d and %d", kind,
			    p->code, ctx->rows[which].line, o->line);
			return (0);
		}
	}
	if (found == 1) {
		for (i = 0; i < row->nafter_rows; i++)
			if (row->after_rows[i] == which)
				return (0);
		row->after_rows = xreallocarray(row->after_rows,
		    row->nafter_rows + 1, sizeof *row->after_rows);
		row->after_rows[row->nafter_rows++] = which;
		return (0);
	}
	if (!p->loaded) {
		if (store_item_list(ctx->s, NULL, p->code, 0, import_stored_cb,
		    p) != 0)
			return (-1);
		p->loaded = 1;
	}
	for (i = 0; i < p->nstored; i++) {
		if (strcmp(p->stored[i].kind, kind) != 0)
			continue;
		if (found++ > 0) {
			import_problem(ctx, row->line, col, "'%s' is ambiguous:"
			    " project %s already has several such items"
			    " (%lld and %lld)", kind, p->code, (long long)id,
			    (long long)p->stored[i].id);
			return (0);
		}
		id = p->stored[i].id;
	}
	if (found == 0) {
		import_problem(ctx, row->line, col, "no item '%s' in project %s"
		    " (neither in this file nor already stored)", kind,
		    p->code);
		return (0);
	}
	for (i = 0; i < row->nafter_ids; i++)
		if (row->after_ids[i] == id)
			return (0);
	row->after_ids = xreallocarray(row->after_ids, row->nafter_ids + 1,
	    sizeof *row->after_ids);
	row->after_ids[row->nafter_ids++] = id;
	return (0);
}

/* Split a row's prerequisites at 、 ; , and resolve each; -1 on a
 * database error. */
static int
import_after(struct import_ctx *ctx, struct import_row *row)
{
	char		*copy, *p, *q, *kind;
	size_t		 i, best;

	if (!row->item || row->v[IF_AFTER] == NULL || row->v[IF_CODE] == NULL)
		return (0);
	p = copy = xstrdup(row->v[IF_AFTER]);
	while (p != NULL) {
		q = NULL;
		best = 0;
		for (i = 0; i < sizeof import_seps / sizeof import_seps[0];
		    i++) {
			char *hit = strstr(p, import_seps[i]);
			if (hit != NULL && (q == NULL || hit < q)) {
				q = hit;
				best = strlen(import_seps[i]);
			}
		}
		if (q != NULL)
			*q = '\0';
		kind = import_trim(p);
		if (*kind != '\0' && import_resolve(ctx, row, kind) != 0) {
			free(copy);
			return (-1);
		}
		p = q != NULL ? q + best : NULL;
	}
	free(copy);
	return (0);
}

/* Put an item row after its prerequisites in the writing order; a
 * problem when the prerequisites in the file go round in a circle. */
static void
import_order(struct import_ctx *ctx, size_t i)
{
	struct import_row	*row = &ctx->rows[i];
	size_t			 j;

	if (row->mark == 2)
		return;
	if (row->mark == 1) {
		import_problem(ctx, row->line, import_colname(ctx, IF_AFTER),
		    "the prerequisites of '%s' in project %s go round in a"
		    " circle", row->v[IF_KIND], row->v[IF_CODE]);
		return;
	}
	row->mark = 1;
	for (j = 0; j < row->nafter_rows; j++)
		import_order(ctx, row->after_rows[j]);
	row->mark = 2;
	ctx->order[ctx->norder++] = i;
}

/* Turn the records after the header into rows and check them all;
 * -1 on a database error. */
static int
import_check(struct import_ctx *ctx, size_t first)
{
	struct import_record	*r;
	struct import_row	*row;
	char			 letter[16], *v;
	size_t			 i, j;
	int			 f;

	ctx->rows = xcalloc(ctx->nrecs - first + 1, sizeof *ctx->rows);
	/* At most one project per row: a table at least twice that. */
	for (ctx->ncodes = 16; ctx->ncodes < 2 * (ctx->nrecs - first);)
		ctx->ncodes *= 2;
	ctx->codes = xcalloc(ctx->ncodes, sizeof *ctx->codes);
	for (i = first; i < ctx->nrecs; i++) {
		r = &ctx->recs[i];
		if (import_blank(r))
			continue;
		row = &ctx->rows[ctx->nrows++];
		row->line = r->line;
		for (j = 0; j < r->n; j++) {
			v = import_trim(r->f[j]);
			if (j < ctx->ncols && (f = ctx->colfield[j]) >= 0) {
				row->v[f] = *v != '\0' ? v : NULL;
				continue;
			}
			if (*v == '\0' || (j < ctx->ncols &&
			    *ctx->colname[j] != '\0'))
				continue;	/* unknown: reported once */
			import_letters(j, letter, sizeof letter);
			import_problem(ctx, row->line, letter, "a value in"
			    " column %s, which has no header", letter);
		}
		import_check_row(ctx, row);
	}
	for (i = 0; i < ctx->nrows; i++)
		if (import_after(ctx, &ctx->rows[i]) != 0)
			return (-1);
	ctx->order = xcalloc(ctx->nrows + 1, sizeof *ctx->order);
	for (i = 0; i < ctx->nrows; i++)
		if (ctx->rows[i].item)
			import_order(ctx, i);
	return (0);
}

/* ------------------------------------------------------------------ */
/* Writing. */

/* Replace a project field when the file gives a value. */
static void
import_set(char **field, const char *v)
{
	if (v == NULL)
		return;
	free(*field);
	*field = xstrdup(v);
}

/* Create or update every project the file names; -1 on a database
 * error. */
static int
import_write_projects(struct import_ctx *ctx, struct api_error *e)
{
	struct import_project	*ip;
	struct project_row	 p;
	size_t			 i;
	int			 rc, created;

	for (i = 0; i < ctx->nprojects; i++) {
		ip = &ctx->projects[i];
		memset(&p, 0, sizeof p);
		if ((rc = store_project_get(ctx->s, ip->code, &p)) < 0)
			goto dberr;
		if (rc == 1)
			p.code = xstrdup(ip->code);
		import_set(&p.name, ip->v[IF_NAME]);
		import_set(&p.category, ip->v[IF_CATEGORY]);
		import_set(&p.region, ip->v[IF_REGION]);
		import_set(&p.content, ip->v[IF_CONTENT]);
		import_set(&p.planned_start, ip->v[IF_START]);
		if (store_project_save(ctx->s, &p, &created) != 0)
			goto dberr;
		if (created)
			ctx->pcreated++;
		else
			ctx->pupdated++;
		/* Only a changed note is news: re-imports keep its time. */
		if (ip->v[IF_PROGRESS] != NULL && (p.progress == NULL ||
		    strcmp(p.progress, ip->v[IF_PROGRESS]) != 0) &&
		    store_project_progress(ctx->s, p.id, ip->v[IF_PROGRESS],
		    ctx->now) != 0)
			goto dberr;
		ip->id = p.id;
		project_row_clear(&p);
	}
	return (0);
dberr:
	project_row_clear(&p);
	api_error_set(e, 500, NULL, "database error: %s", store_error(ctx->s));
	return (-1);
}

/* The column an item_add() error field refers to. */
static const char *
import_error_column(const struct import_ctx *ctx, const char *field)
{
	static const struct {
		const char		*field;
		enum import_field	 f;
	} map[] = {
		{ "project", IF_CODE }, { "name", IF_KIND },
		{ "department", IF_DEPARTMENT }, { "mode", IF_MODE },
		{ "limit", IF_LIMIT }, { "deadline", IF_DEADLINE },
		{ "accepted_at", IF_ACCEPTED },
		{ "supplement_deadline", IF_SUPPLEMENT },
		{ "commitment_deadline", IF_COMMITMENT }, { "after", IF_AFTER },
	};
	size_t	 i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].field, field) == 0)
			return (import_colname(ctx, map[i].f));
	return ("");
}

/* Add or update every item, prerequisites first; -1 on a database
 * error, a problem when item_add() refuses one. */
static int
import_write_items(struct import_ctx *ctx, struct api_error *e)
{
	struct import_row	*row;
	struct item_input	 in;
	struct api_error	 ie;
	int64_t			*after;
	size_t			 i, j, n;
	int			 created;

	for (i = 0; i < ctx->norder; i++) {
		row = &ctx->rows[ctx->order[i]];
		memset(&in, 0, sizeof in);
		in.project = row->v[IF_CODE];
		in.name = row->v[IF_KIND];
		in.department = row->v[IF_DEPARTMENT];
		in.handler = row->v[IF_HANDLER];
		/* An empty mode cell means normal; no column keeps it. */
		in.mode = ctx->col[IF_MODE] >= 0 ? row->mode : NULL;
		in.limit = row->limit;
		in.deadline = row->deadline;
		in.accepted = row->accepted;
		in.supplement = row->supplement;
		in.commitment = row->commitment;
		n = row->nafter_rows + row->nafter_ids;
		after = xcalloc(n + 1, sizeof *after);
		for (j = 0; j < row->nafter_rows; j++)
			after[j] = ctx->rows[row->after_rows[j]].id;
		for (j = 0; j < row->nafter_ids; j++)
			after[row->nafter_rows + j] = row->after_ids[j];
		in.after = after;
		in.nafter = n;
		memset(&ie, 0, sizeof ie);
		if (item_add(ctx->conf, ctx->s, &in, ctx->now, &row->id,
		    &created, &ie) != 0) {
			free(after);
			if (ie.status >= 500) {
				*e = ie;
				return (-1);
			}
			import_problem(ctx, row->line, import_error_column(ctx,
			    ie.field), "%s", ie.msg);
			return (0);
		}
		free(after);
		if (created)
			ctx->icreated++;
		else
			ctx->iupdated++;
	}
	return (0);
}

/* ------------------------------------------------------------------ */

/* Order problems by row, keeping the order they were found in. */
static int
import_problem_cmp(const void *a, const void *b)
{
	const struct import_problem	*pa = a, *pb = b;

	if (pa->row != pb->row)
		return (pa->row < pb->row ? -1 : 1);
	return (pa->seq < pb->seq ? -1 : pa->seq > pb->seq);
}

/* The problems as a JSON array, in row order. */
static json_t *
import_problems_json(struct import_ctx *ctx)
{
	json_t	*a = json_array();
	size_t	 i;

	qsort(ctx->problems, ctx->nproblems, sizeof *ctx->problems,
	    import_problem_cmp);
	for (i = 0; i < ctx->nproblems; i++)
		json_array_append_new(a, json_pack("{s:i, s:s, s:s}", "row",
		    ctx->problems[i].row, "column", ctx->problems[i].column,
		    "reason", ctx->problems[i].reason));
	return (a);
}

/* Free everything an import holds. */
static void
import_free(struct import_ctx *ctx)
{
	struct import_row	*row;
	size_t			 i, j;

	for (i = 0; i < ctx->nrecs; i++) {
		for (j = 0; j < ctx->recs[i].n; j++)
			free(ctx->recs[i].f[j]);
		free(ctx->recs[i].f);
	}
	free(ctx->recs);
	import_drop_current(ctx);
	free(ctx->colfield);
	free(ctx->colname);
	for (i = 0; i < ctx->nrows; i++) {
		row = &ctx->rows[i];
		free(row->start);
		free(row->limit);
		free(row->accepted);
		free(row->deadline);
		free(row->supplement);
		free(row->commitment);
		free(row->after_rows);
		free(row->after_ids);
	}
	free(ctx->rows);
	for (i = 0; i < ctx->nprojects; i++) {
		for (j = 0; j < ctx->projects[i].nstored; j++)
			free(ctx->projects[i].stored[j].kind);
		free(ctx->projects[i].stored);
		free(ctx->projects[i].items);
	}
	free(ctx->projects);
	free(ctx->codes);
	free(ctx->order);
	for (i = 0; i < ctx->nproblems; i++) {
		free(ctx->problems[i].column);
		free(ctx->problems[i].reason);
	}
	free(ctx->problems);
}

/*
 * Import a CSV file's bytes in the caller's transaction.  On success
 * *result gets the counts.  On problems in the file, -1 with a 422 and
 * *problems the list of them; nothing is written.  -1 with a 400 for a
 * file that cannot be decoded or has no header, 500 on database errors.
 * A dry run writes like a real one (the caller rolls back) and says so.
 */
int
import_csv(const struct config *conf, struct store *s, const char *data,
    size_t len, const char *encoding, int dry_run, int64_t now,
    json_t **result, json_t **problems, struct api_error *e)
{
	struct import_ctx	 ctx;
	char			*text = NULL;
	size_t			 tlen, first;
	int			 rc = -1, hrc;

	*result = NULL;
	*problems = NULL;
	memset(&ctx, 0, sizeof ctx);
	ctx.conf = conf;
	ctx.s = s;
	ctx.now = now;

	if (import_decode(data, len, encoding, &text, &tlen, e) != 0)
		goto out;
	if (import_parse(&ctx, text, tlen, e) != 0)
		goto out;
	for (first = 0; first < ctx.nrecs; first++)
		if (!import_blank(&ctx.recs[first]))
			break;
	if (first == ctx.nrecs) {
		if (ctx.nproblems > 0)
			goto problems;
		api_error_set(e, 400, "body", "the file is empty: no header"
		    " row and no data");
		goto out;
	}
	if ((hrc = import_header(&ctx, &ctx.recs[first], e)) < 0)
		goto out;
	if (hrc == 0 && import_check(&ctx, first + 1) != 0) {
		api_error_set(e, 500, NULL, "database error: %s",
		    store_error(s));
		goto out;
	}
	if (ctx.nproblems > 0)
		goto problems;

	if (import_write_projects(&ctx, e) != 0 ||
	    import_write_items(&ctx, e) != 0)
		goto out;
	if (ctx.nproblems > 0)
		goto problems;
	*result = json_pack("{s:{s:i, s:i}, s:{s:i, s:i}, s:i, s:b}",
	    "projects", "created", ctx.pcreated, "updated", ctx.pupdated,
	    "items", "created", ctx.icreated, "updated", ctx.iupdated,
	    "rows", (int)ctx.nrows, "dry_run", dry_run ? 1 : 0);
	rc = 0;
	goto out;

problems:
	*problems = import_problems_json(&ctx);
	api_error_set(e, 422, NULL, "the file has %zu problem%s; nothing was"
	    " imported", ctx.nproblems, ctx.nproblems == 1 ? "" : "s");
out:
	import_free(&ctx);
	free(text);
	return (rc);
}
