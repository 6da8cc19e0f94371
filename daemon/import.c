/*
 * CSV import of the project and item lists departments keep in Excel.
 * The bytes are decoded (UTF-8 with or without a BOM, or GB18030 as
 * saved on Chinese Windows), parsed by libcsv in strict RFC 4180 mode,
 * matched to columns by their Chinese or English header names and checked
 * row by row as they are parsed.  Only a file without a single problem is
 * written.  Items already stored are updated through the same item_add()
 * the API uses; new items -- nearly all of a big import -- are decided
 * by the same item_plan() item_add() uses and written finished by the
 * bulk path (store_bulk.c), many rows per statement.  The caller holds
 * the transaction and rolls it back on -1.  No clock: "now" is an
 * argument.  tests/unit/check_import_bulk.c holds the two paths to the
 * same rows.
 *
 * Memory: the file's text is not copied when it is UTF-8, and a row keeps
 * only what checking later rows and writing need -- interned strings in
 * one arena and dates as numbers -- not the parsed records.  Time: the
 * pure rule functions are asked once per distinct question (most rows of
 * a file share acceptance days and limits): dates here, the rest through
 * item_plan()'s cache.
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
	IF_SUPPLEMENT_DONE,
	IF_RESULT,
	IF_VERIFIED,
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
	/* Their endings: material supplied, commitment verified. */
	[IF_SUPPLEMENT_DONE] = { "补正材料收齐时间", "supplement_done",
	    "supplement_done_at", NULL },
	[IF_RESULT] = { "承诺核查结果", "commitment_result", NULL },
	[IF_VERIFIED] = { "承诺核查时间", "commitment_verified",
	    "commitment_verified_at", NULL },
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
	{ "normal", MODE_NORMAL }, { "一般", MODE_NORMAL }, { "普通", MODE_NORMAL },
	{ MODE_PRECHECK, MODE_PRECHECK },
	{ MODE_SUPPLEMENT, MODE_SUPPLEMENT },
	{ MODE_COMMITMENT, MODE_COMMITMENT },
};

/* Verification results as people write them, and the daemon's names. */
static const struct {
	const char	*text;
	const char	*result;
} import_results[] = {
	{ COMMITMENT_PASS, COMMITMENT_PASS }, { "通过", COMMITMENT_PASS },
	{ "核查通过", COMMITMENT_PASS }, { "passed", COMMITMENT_PASS },
	{ COMMITMENT_FAIL, COMMITMENT_FAIL }, { "不通过", COMMITMENT_FAIL },
	{ "未通过", COMMITMENT_FAIL }, { "核查不通过", COMMITMENT_FAIL },
	{ "failed", COMMITMENT_FAIL },
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

/* Strings kept for the whole import: a list of chunks filled in turn. */
struct import_chunk {
	struct import_chunk	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};
#define IMPORT_CHUNK	(256 * 1024)

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
	const char		*category;		/* as stored */
	int64_t			 id;
	int			 loaded;		/* stored items read */
	int			 created;		/* by this import */
	struct import_stored	*stored;
	size_t			 nstored;
	size_t			 first;			/* its item rows, as */
	size_t			 last;			/* index + 1, 0 none */
	size_t			 nitems;
	int			 hashed;		/* they are in keys */
};
/* Item rows of a project compared one by one, not through a hash. */
#define IMPORT_FEW	16

/* The prerequisites of a row (few rows have any). */
struct import_after {
	size_t		*rows;		/* in the file */
	size_t		 nrows;
	int64_t		*ids;		/* already stored */
	size_t		 nids;
};

/* A date cell as rules_parse_time() will read it, "YYYY-MM-DD" or
 * "YYYY-MM-DD HH:MM:SS" (see import_when_text()). */
struct import_when {
	uint16_t	 y;
	uint8_t		 m;
	uint8_t		 d;
	uint8_t		 h;
	uint8_t		 mi;
	uint8_t		 s;
	uint8_t		 set;		/* 0 none, 1 a day, 2 a day and time */
};

/*
 * One data row and what it means: what checking the rows after it and
 * writing need, its strings interned in the arena.  The cells themselves
 * live only while the row is checked.
 */
struct import_row {
	int		 line;
	uint32_t	 project;	/* index into projects */
	uint32_t	 next;		/* the project's next item row + 1 */
	uint8_t		 item;		/* 1: an item row of a project */
	uint8_t		 mark;		/* ordering: 0 new, 1 visiting, 2 done */
	uint8_t		 bulk;		/* written by the bulk path */
	const char	*mode;
	const char	*kind;
	const char	*department;
	const char	*handler;
	const char	*after_text;	/* the prerequisites cell */
	const char	*limit;		/* normalised values */
	struct import_when accepted;
	struct import_when deadline;
	struct import_when supplement;
	struct import_when commitment;
	struct import_when supplement_done;
	struct import_when verified;
	const char	*result;	/* COMMITMENT_* or NULL */
	struct import_after *after;
	int64_t		 id;
};

/* One answer of a pure function (rules_local()) kept for the keys it
 * was asked with. */
struct import_memo {
	int64_t		 k1;
	int64_t		 k2;
	int64_t		 v;
	int		 used;
};
#define IMPORT_MEMO	1021

/* Where parsing is: before the header, in the rows, or past caring. */
enum import_state { IS_HEADER, IS_ROWS, IS_SKIP };

/* The state of one import. */
struct import_ctx {
	const struct config	*conf;
	struct store		*s;
	int64_t			 now;

	char			*sbuf;		/* the record being parsed: */
	size_t			 slen, scap;	/* its fields, NUL-separated */
	size_t			*sofs;		/* where each field starts */
	char			**sf;
	size_t			 nf, fcap;
	int			 line;

	enum import_state	 state;
	int			 hrc;		/* import_header()'s answer */
	struct api_error	 herr;		/* its 400 */
	int			*colfield;	/* header: field per column */
	const char		**colname;	/* the header text per column */
	size_t			 ncols;
	int			 col[IF__COUNT];	/* column per field, -1 */

	struct import_chunk	*arena;
	const char		**strs;		/* interned strings: */
	size_t			 nstrs, nstrslots; /* a hash, 2^k slots */

	struct import_row	*rows;
	size_t			 nrows, rowcap;
	struct import_project	*projects;
	size_t			 nprojects, projcap;
	size_t			*codes;		/* hash of project codes: */
	size_t			 ncodes;	/* index + 1, 0 free; 2^k */
	uint64_t		*keys;		/* hash of item rows by */
	size_t			 nkeys, nkeyed;	/* project, kind, department */
	size_t			*order;		/* item rows in writing order */
	size_t			 norder;

	struct import_problem	*problems;
	size_t			 nproblems, probcap;

	int			 pcreated, pupdated, icreated, iupdated;
	struct import_memo	*m_local;	/* rules_local() */
	struct item_cache	*cache;		/* item_plan()'s answers */
	size_t			 uncovered;	/* deadlines past the calendar */
	int64_t			 uncovered_id;	/* the first such item */
};

/* New items through the bulk path (1) or each through item_add() (0). */
static int import_bulk = 1;

/* Choose the write path of new items; returns the previous choice. */
int
import_set_bulk(int on)
{
	int	 old = import_bulk;

	import_bulk = on != 0;
	return (old);
}

/* Record a problem of a row and column. */
static void PRINTFLIKE(4, 5)
import_problem(struct import_ctx *ctx, int row, const char *column,
    const char *fmt, ...)
{
	struct import_problem	*p;
	va_list			 ap;

	if (ctx->nproblems == ctx->probcap) {
		ctx->probcap = ctx->probcap ? ctx->probcap * 2 : 16;
		ctx->problems = xreallocarray(ctx->problems, ctx->probcap,
		    sizeof *ctx->problems);
	}
	p = &ctx->problems[ctx->nproblems];
	p->row = row;
	p->seq = ctx->nproblems++;
	p->column = xstrdup(column != NULL ? column : "");
	va_start(ap, fmt);
	xvasprintf(&p->reason, fmt, ap);
	va_end(ap);
}

/* A copy of a string kept until the import ends. */
static const char *
import_keep(struct import_ctx *ctx, const char *s)
{
	struct import_chunk	*c = ctx->arena;
	size_t			 n = strlen(s) + 1, size;
	char			*out;

	if (c == NULL || c->size - c->used < n) {
		size = n > IMPORT_CHUNK / 4 ? n : IMPORT_CHUNK;
		c = xmalloc(sizeof *c + size);
		c->size = size;
		c->used = 0;
		if (size == n && ctx->arena != NULL) {
			/* A big string alone: the current chunk stays open. */
			c->next = ctx->arena->next;
			ctx->arena->next = c;
		} else {
			c->next = ctx->arena;
			ctx->arena = c;
		}
	}
	out = c->data + c->used;
	memcpy(out, s, n);
	c->used += n;
	return (out);
}

/* FNV-1a over a string, continuing from h. */
static uint64_t
import_hash(uint64_t h, const char *s)
{
	const unsigned char	*c;

	for (c = (const unsigned char *)s; *c != '\0'; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return ((h ^ 0xff) * 1099511628211ULL);
}
#define IMPORT_FNV	14695981039346656037ULL

/* The kept copy of a string, one per distinct text (departments, kinds
 * and handlers repeat over thousands of rows).  A hash at most half
 * full. */
static const char *
import_intern(struct import_ctx *ctx, const char *s)
{
	const char	**old;
	size_t		 slot, i, n, mask;

	if (2 * (ctx->nstrs + 1) > ctx->nstrslots) {
		old = ctx->strs;
		n = ctx->nstrslots;
		ctx->nstrslots = n ? n * 2 : 256;
		ctx->strs = xcalloc(ctx->nstrslots, sizeof *ctx->strs);
		mask = ctx->nstrslots - 1;
		for (i = 0; i < n; i++) {
			if (old[i] == NULL)
				continue;
			for (slot = import_hash(IMPORT_FNV, old[i]) & mask;
			    ctx->strs[slot] != NULL; slot = (slot + 1) & mask)
				;
			ctx->strs[slot] = old[i];
		}
		free(old);
	}
	mask = ctx->nstrslots - 1;
	for (slot = import_hash(IMPORT_FNV, s) & mask; ctx->strs[slot] != NULL;
	    slot = (slot + 1) & mask)
		if (strcmp(ctx->strs[slot], s) == 0)
			return (ctx->strs[slot]);
	ctx->nstrs++;
	return (ctx->strs[slot] = import_keep(ctx, s));
}

/* A pointer to text the import keeps, for the store's row types (which
 * the bulk path only reads). */
static char *
import_unconst(const char *s)
{
	return ((char *)(uintptr_t)s);
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
	uint32_t	 c;
	size_t		 n;

	n = utf8_next(s, strnlen(s, 4), &c);
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xa0 ||
	    c == 0x3000)
		return (n);
	return (0);
}

/*
 * Trim white space from both ends of s in place; returns the start.  The
 * text is valid UTF-8, where the bytes that end a space character are
 * never part of another character: the end is trimmed from the back.
 */
static char *
import_trim(char *s)
{
	const unsigned char	*u;
	size_t			 n;

	while ((n = import_space(s)) > 0)
		s += n;
	u = (const unsigned char *)s;
	n = strlen(s);
	for (;;) {
		if (n >= 1 && (u[n - 1] == ' ' || u[n - 1] == '\t' ||
		    u[n - 1] == '\r' || u[n - 1] == '\n'))
			n -= 1;
		else if (n >= 2 && u[n - 2] == 0xc2 && u[n - 1] == 0xa0)
			n -= 2;
		else if (n >= 3 && u[n - 3] == 0xe3 && u[n - 2] == 0x80 &&
		    u[n - 1] == 0x80)
			n -= 3;
		else
			break;
	}
	s[n] = '\0';
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
	size_t		 o = 0, n;
	uint32_t	 c;

	while (*s != '\0') {
		n = utf8_next(s, strnlen(s, 4), &c);
		if (c >= 0xff01 && c <= 0xff5e)
			c -= 0xfee0;	/* U+FF01..U+FF5E map to 0x21..0x7E */
		else if (c == 0x3000)
			c = ' ';
		else {
			c = (unsigned char)*s;
			n = 1;
		}
		s += n;
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

/* Write v as width decimal digits. */
static void
import_put(char *p, int v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * A slot of a small cache of a pure function's answers (direct-mapped,
 * made on first use); *hit says whether it holds the answer for the keys,
 * else it is claimed for them and the caller fills in the answer.
 */
static struct import_memo *
import_memo(struct import_memo **tab, int64_t k1, int64_t k2, int *hit)
{
	struct import_memo	*m;
	uint64_t		 h;

	if (*tab == NULL)
		*tab = xcalloc(IMPORT_MEMO, sizeof **tab);
	h = (uint64_t)k1 * 0x9e3779b97f4a7c15ULL ^
	    ((uint64_t)k2 + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
	m = &(*tab)[(h >> 32) % IMPORT_MEMO];
	*hit = m->used && m->k1 == k1 && m->k2 == k2;
	if (!*hit) {
		m->used = 1;
		m->k1 = k1;
		m->k2 = k2;
	}
	return (m);
}

/*
 * A date or time as spreadsheets write it -- 2026-03-05, 2026/3/5,
 * 2026.3.5, 2026年3月5日, each optionally followed by H:MM[:SS] -- into
 * *w as the "YYYY-MM-DD[ HH:MM:SS]" rules_parse_time() reads.  -1 when
 * the text is not such a date, or the date or time is impossible (what
 * rules_parse_time() refuses).  With date_only the time of day is dropped
 * (a planned start is a day); a day without a time gets day_min minutes
 * after midnight (a deadline day ends at the configured deadline time,
 * not at 00:00).
 */
static int
import_date(const char *v, int date_only, int day_min, struct import_when *w)
{
	char		 buf[64], day[11];
	const char	*p = buf;
	int		 y, m, d, h = -1, mi = 0, sec = 0, cjk;
	char		 sep;
	int32_t		 dn;

	if (import_fold(v, buf, sizeof buf, 0, 0) != 0)
		return (-1);
	if (strlen(p) < 4 || import_digits(&p, 4, &y) != 0 || p != buf + 4)
		return (-1);
	cjk = import_skip(&p, "年");
	sep = cjk ? '\0' : *p;
	if (!cjk && sep != '-' && sep != '/' && sep != '.')
		return (-1);
	if (!cjk)
		p++;
	if (import_digits(&p, 2, &m) != 0)
		return (-1);
	if (cjk ? !import_skip(&p, "月") : *p++ != sep)
		return (-1);
	if (import_digits(&p, 2, &d) != 0)
		return (-1);
	if (cjk && !import_skip(&p, "日"))
		(void)import_skip(&p, "号");
	while (*p == ' ' || *p == 'T')
		p++;
	if (*p != '\0') {
		if (import_digits(&p, 2, &h) != 0 || *p++ != ':' ||
		    import_digits(&p, 2, &mi) != 0)
			return (-1);
		if (*p == ':' && (p++, import_digits(&p, 2, &sec) != 0))
			return (-1);
	}
	if (*p != '\0')
		return (-1);
	if (h < 0 && !date_only && day_min > 0) {
		h = day_min / 60;
		mi = day_min % 60;
	}
	memset(w, 0, sizeof *w);
	w->y = (uint16_t)y;
	w->m = (uint8_t)m;
	w->d = (uint8_t)d;
	w->set = 1;
	import_put(day, y, 4);
	day[4] = '-';
	import_put(day + 5, m, 2);
	day[7] = '-';
	import_put(day + 8, d, 2);
	day[10] = '\0';
	if (calendar_parse_date(day, &dn) != 0)
		return (-1);
	if (date_only || h < 0)
		return (0);
	if (h > 23 || mi > 59 || sec > 59)
		return (-1);
	w->h = (uint8_t)h;
	w->mi = (uint8_t)mi;
	w->s = (uint8_t)sec;
	w->set = 2;
	return (0);
}

/* A date as text: "%04d-%02d-%02d[ %02d:%02d:%02d]" into buf[20]. */
static const char *
import_when_text(const struct import_when *w, char *buf)
{
	if (w->set == 0)
		return (NULL);
	import_put(buf, w->y, 4);
	buf[4] = '-';
	import_put(buf + 5, w->m, 2);
	buf[7] = '-';
	import_put(buf + 8, w->d, 2);
	buf[10] = '\0';
	if (w->set == 2) {
		buf[10] = ' ';
		import_put(buf + 11, w->h, 2);
		buf[13] = ':';
		import_put(buf + 14, w->mi, 2);
		buf[16] = ':';
		import_put(buf + 17, w->s, 2);
		buf[19] = '\0';
	}
	return (buf);
}

/* The instant rules_parse_time() makes of a date's text. */
static int64_t
import_when_time(struct import_ctx *ctx, const struct import_when *w)
{
	struct import_memo	*m;
	int32_t			 day;
	int			 sec, hit;

	day = calendar_daynum(w->y, w->m, w->d);
	sec = w->set == 2 ? w->h * 3600 + w->mi * 60 + w->s : 0;
	m = import_memo(&ctx->m_local, day, sec, &hit);
	if (!hit)
		m->v = rules_local(day, sec);
	return (m->v);
}

/* Whether a's day is before b's. */
static int
import_when_before(const struct import_when *a, const struct import_when *b)
{
	return ((a->y * 100 + a->m) * 100 + a->d <
	    (b->y * 100 + b->m) * 100 + b->d);
}

/* A time limit as people write it ("5个工作日", "10天", "48小时", "5wd")
 * into out as the duration text item_add() keeps ("5wd", "10d", "48h");
 * -1 when it is none. */
static int
import_limit(const char *v, char *out, size_t outlen)
{
	char		 buf[64];
	const char	*p = buf;
	struct duration	 dur;
	size_t		 i;
	int		 n, d, len;

	if (import_fold(v, buf, sizeof buf, 1, 1) != 0)
		return (-1);
	if (import_digits(&p, 6, &n) != 0 || n <= 0)
		return (-1);
	for (i = 0; i < sizeof import_units / sizeof import_units[0]; i++) {
		if (strcmp(p, import_units[i].text) != 0)
			continue;
		/* "%d%s": n has at most six digits, the unit two letters. */
		if (outlen < 9)
			return (-1);
		for (len = 1, d = n; d >= 10; d /= 10)
			len++;
		import_put(out, n, len);
		memcpy(out + len, import_units[i].unit,
		    strlen(import_units[i].unit) + 1);
		if (config_parse_duration(out, &dur) != 0 || dur.n <= 0)
			return (-1);
		return (0);
	}
	return (-1);
}

/* A mode as the daemon names it; empty is normal; NULL if unknown. */
static const char *
import_mode(const char *v)
{
	size_t	 i;

	if (v == NULL)
		return (MODE_NORMAL);
	for (i = 0; i < sizeof import_modes / sizeof import_modes[0]; i++) {
		if (import_casecmp(v, import_modes[i].text) == 0)
			return (import_modes[i].mode);
	}
	return (NULL);
}

/* A verification result as the daemon names it; NULL if unknown. */
static const char *
import_result(const char *v)
{
	size_t	 i;

	for (i = 0; i < sizeof import_results / sizeof import_results[0];
	    i++) {
		if (import_casecmp(v, import_results[i].text) == 0)
			return (import_results[i].result);
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

/*
 * Decode the file's bytes into UTF-8 text without a byte-order mark: the
 * bytes themselves when they are UTF-8, else a conversion (malloc'd, in
 * *owned).  -1 with a 400 for files that are none of the encodings asked
 * for.
 */
static int
import_decode(const char *data, size_t len, const char *encoding,
    const char **text, size_t *tlen, char **owned, struct api_error *e)
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
	*owned = NULL;
	if (utf8 && utf8_valid(data, len)) {
		*text = data;
		*tlen = len;
	} else if (!gb || bom) {
		api_error_set(e, 400, "encoding", "the file is not valid UTF-8"
		    " (bad byte at offset %zu)%s",
		    utf8_valid_prefix(data, len) + bom, bom ?
		    " although it starts with a UTF-8 byte-order mark" :
		    "; is it GB18030? try encoding gb18030");
		return (-1);
	} else if ((rc = import_from_gb18030(data, len, owned, tlen,
	    &bad)) != 0) {
		if (rc == -2)
			api_error_set(e, 500, "encoding", "GB18030 conversion is"
			    " not available");
		else if (utf8)
			api_error_set(e, 400, "encoding", "the file is neither"
			    " UTF-8 (bad byte at offset %zu) nor GB18030 (bad byte"
			    " at offset %zu)", utf8_valid_prefix(data, len),
			    bad);
		else
			api_error_set(e, 400, "encoding", "the file is not valid"
			    " GB18030 (bad byte at offset %zu); is it UTF-8?",
			    bad);
		return (-1);
	}
	if (*owned != NULL)
		*text = *owned;
	/* GB18030 has its own encoding of U+FEFF; drop it once decoded. */
	if (import_has_bom(*text, *tlen)) {
		*text += 3;
		*tlen -= 3;
	}
	if (memchr(*text, '\0', *tlen) != NULL) {
		api_error_set(e, 400, "body", "the file contains NUL bytes: not"
		    " a CSV text file");
		free(*owned);
		*owned = NULL;
		*text = NULL;
		return (-1);
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* Parsing. */

static void	import_record(struct import_ctx *, char **, size_t);

/* libcsv: one field of the current record, appended to the scratch. */
static void
import_csv_field(void *field, size_t len, void *arg)
{
	struct import_ctx	*ctx = arg;

	if (field == NULL)
		len = 0;
	if (ctx->slen + len + 1 > ctx->scap) {
		while (ctx->slen + len + 1 > ctx->scap)
			ctx->scap = ctx->scap ? ctx->scap * 2 : 1024;
		ctx->sbuf = xreallocarray(ctx->sbuf, ctx->scap, 1);
	}
	if (ctx->nf == ctx->fcap) {
		ctx->fcap = ctx->fcap ? ctx->fcap * 2 : 32;
		ctx->sofs = xreallocarray(ctx->sofs, ctx->fcap,
		    sizeof *ctx->sofs);
		ctx->sf = xreallocarray(ctx->sf, ctx->fcap, sizeof *ctx->sf);
	}
	if (len > 0)
		memcpy(ctx->sbuf + ctx->slen, field, len);
	ctx->sbuf[ctx->slen + len] = '\0';
	ctx->sofs[ctx->nf++] = ctx->slen;
	ctx->slen += len + 1;
}

/* libcsv: the end of the current record, which starts on ctx->line. */
static void
import_csv_record(int c, void *arg)
{
	struct import_ctx	*ctx = arg;
	size_t			 i;

	(void)c;
	for (i = 0; i < ctx->nf; i++)
		ctx->sf[i] = ctx->sbuf + ctx->sofs[i];
	import_record(ctx, ctx->sf, ctx->nf);
	ctx->slen = 0;
	ctx->nf = 0;
}

/* Forget the fields of an unfinished record. */
static void
import_drop_current(struct import_ctx *ctx)
{
	ctx->slen = 0;
	ctx->nf = 0;
}

/*
 * Split the text into records.  libcsv does not count lines, so the text
 * is fed one record at a time: a record ends at a line break outside
 * quotes (in strict mode a quote can only open or close a quoted field,
 * or be doubled inside one, so counting quotes finds the same boundaries
 * libcsv does).  Each record then knows the line it starts on, however
 * many line breaks its quoted fields hold, and is checked at once.  A
 * malformed record becomes a problem and ends the parse; -1 only when out
 * of memory.
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
import_header(struct import_ctx *ctx, int line, char **fields, size_t n,
    struct api_error *e)
{
	char		 known[1024] = "", letter[16];
	const char	*name;
	size_t		 j;
	int		 f, nknown = 0, rc = 0;

	ctx->ncols = n;
	ctx->colfield = xreallocarray(NULL, n, sizeof *ctx->colfield);
	ctx->colname = xreallocarray(NULL, n, sizeof *ctx->colname);
	for (f = 0; f < IF__COUNT; f++)
		ctx->col[f] = -1;
	for (j = 0; j < n; j++) {
		name = import_keep(ctx, import_header_name(fields[j]));
		ctx->colname[j] = name;
		ctx->colfield[j] = -1;
		if (*name == '\0')
			continue;
		if ((f = import_lookup(name)) < 0)
			continue;
		nknown++;
		if (ctx->col[f] >= 0) {
			import_letters(ctx->col[f], letter, sizeof letter);
			import_problem(ctx, line, name, "the same column as"
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
	for (j = 0; j < n; j++) {
		if (*ctx->colname[j] != '\0' &&
		    import_lookup(ctx->colname[j]) < 0)
			import_problem(ctx, line, ctx->colname[j], "unknown"
			    " column (known: %s)", known);
	}
	if (ctx->col[IF_CODE] < 0) {
		import_problem(ctx, line, import_names[IF_CODE][0], "missing"
		    " required column (项目编码, 项目代码, code or project)");
		rc = 1;
	}
	if (ctx->col[IF_KIND] >= 0 && ctx->col[IF_DEPARTMENT] < 0)
		import_problem(ctx, line, import_names[IF_DEPARTMENT][0],
		    "missing column: item rows need a department (承办部门)");
	if (ctx->col[IF_KIND] >= 0 && ctx->col[IF_LIMIT] < 0 &&
	    ctx->col[IF_DEADLINE] < 0)
		import_problem(ctx, line, import_names[IF_LIMIT][0],
		    "missing column: item rows need a time limit (承诺时限) or"
		    " a deadline (办结时限)");
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Checking. */


/* The hash slot of an item row's key (project, kind, department). */
static uint64_t
import_key_hash(size_t project, const char *kind, const char *department)
{
	uint64_t	 h = IMPORT_FNV;

	h = (h ^ (uint64_t)project) * 1099511628211ULL;
	return (import_hash(import_hash(h, kind), department));
}

/*
 * The project of a code, added on first sight.  Open addressing over the
 * codes: a million-row file names some 200,000 projects, too many for a
 * linear search per row (and glibc's hsearch hashes codes like
 * "XM-0012345" poorly).  The table is kept at most half full.
 */
static size_t
import_project_of(struct import_ctx *ctx, const char *code)
{
	struct import_project	*p;
	size_t			 slot, i, mask;

	if (2 * (ctx->nprojects + 1) > ctx->ncodes) {
		free(ctx->codes);
		ctx->ncodes = ctx->ncodes ? ctx->ncodes * 2 : 1024;
		ctx->codes = xcalloc(ctx->ncodes, sizeof *ctx->codes);
		mask = ctx->ncodes - 1;
		for (i = 0; i < ctx->nprojects; i++) {
			slot = import_hash(IMPORT_FNV, ctx->projects[i].code) &
			    mask;
			while (ctx->codes[slot] != 0)
				slot = (slot + 1) & mask;
			ctx->codes[slot] = i + 1;
		}
	}
	mask = ctx->ncodes - 1;
	for (slot = import_hash(IMPORT_FNV, code) & mask; ctx->codes[slot] != 0;
	    slot = (slot + 1) & mask)
		if (strcmp(ctx->projects[ctx->codes[slot] - 1].code, code) == 0)
			return (ctx->codes[slot] - 1);
	ctx->codes[slot] = ctx->nprojects + 1;
	if (ctx->nprojects == ctx->projcap) {
		ctx->projcap = ctx->projcap ? ctx->projcap * 2 : 256;
		ctx->projects = xreallocarray(ctx->projects, ctx->projcap,
		    sizeof *ctx->projects);
	}
	p = &ctx->projects[ctx->nprojects];
	memset(p, 0, sizeof *p);
	p->code = import_keep(ctx, code);
	return (ctx->nprojects++);
}

/* Whether two item rows name the same item. */
static int
import_same_item(const struct import_row *a, const struct import_row *b)
{
	return (a->project == b->project && strcmp(a->kind, b->kind) == 0 &&
	    strcmp(a->department, b->department) == 0);
}

/*
 * Look row i (a project's item row with a department) up in the hash of
 * item keys, whose entries are the slot's 32 hash bits and the row index
 * + 1: the first row with the same key (index + 1), or 0 after entering
 * row i.  The table is kept at most half full.
 */
static size_t
import_key_enter(struct import_ctx *ctx, size_t i)
{
	struct import_row	*row = &ctx->rows[i];
	uint64_t		*old;
	uint32_t		 h;
	size_t			 slot, j, n, mask;

	if (2 * (ctx->nkeyed + 1) > ctx->nkeys) {
		old = ctx->keys;
		n = ctx->nkeys;
		ctx->nkeys = n ? n * 2 : 1024;
		ctx->keys = xcalloc(ctx->nkeys, sizeof *ctx->keys);
		mask = ctx->nkeys - 1;
		for (j = 0; j < n; j++) {
			if (old[j] == 0)
				continue;
			for (slot = (old[j] >> 32) & mask; ctx->keys[slot] != 0;
			    slot = (slot + 1) & mask)
				;
			ctx->keys[slot] = old[j];
		}
		free(old);
	}
	mask = ctx->nkeys - 1;
	h = (uint32_t)import_key_hash(row->project, row->kind, row->department);
	for (slot = h & mask; ctx->keys[slot] != 0; slot = (slot + 1) & mask) {
		if ((uint32_t)(ctx->keys[slot] >> 32) == h && import_same_item(
		    &ctx->rows[(uint32_t)ctx->keys[slot] - 1], row))
			return ((uint32_t)ctx->keys[slot]);
	}
	ctx->keys[slot] = (uint64_t)h << 32 | (uint32_t)(i + 1);
	ctx->nkeyed++;
	return (0);
}

/*
 * The first earlier item row of the same project with the same kind and
 * department as row i (index + 1), or 0.  A project's few rows are
 * compared directly; those of a project with many are entered in a hash
 * (from the row that makes them many on).
 */
static size_t
import_item_seen(struct import_ctx *ctx, size_t i)
{
	struct import_row	*row = &ctx->rows[i], *o;
	struct import_project	*p = &ctx->projects[row->project];
	size_t			 j, seen;

	if (!p->hashed && p->nitems <= IMPORT_FEW) {
		for (j = p->first; j != 0 && j != i + 1; j = o->next) {
			o = &ctx->rows[j - 1];
			if (o->department != NULL && import_same_item(o, row))
				return (j);
		}
		return (0);
	}
	if (!p->hashed) {
		p->hashed = 1;
		for (j = p->first; j != 0 && j != i + 1; j = o->next) {
			o = &ctx->rows[j - 1];
			if (o->department != NULL)
				(void)import_key_enter(ctx, j - 1);
		}
	}
	seen = import_key_enter(ctx, i);
	return (seen);
}

/* Check a date cell into *w; a problem when it is bad. */
static int
import_check_date(struct import_ctx *ctx, int line, const char *v,
    enum import_field f, struct import_when *w)
{
	int	 day_min;

	day_min = f == IF_START || f == IF_ACCEPTED ||
	    f == IF_SUPPLEMENT_DONE || f == IF_VERIFIED ? 0 :
	    ctx->conf->deadline_min;
	if (import_date(v, f == IF_START, day_min, w) == 0)
		return (0);
	memset(w, 0, sizeof *w);
	import_problem(ctx, line, import_colname(ctx, f), "invalid or"
	    " impossible date '%s' (use YYYY-MM-DD, YYYY/MM/DD or"
	    " YYYY年MM月DD日, optionally with HH:MM)", v);
	return (-1);
}

/* Merge a row's project values into its project; a problem when rows
 * of the same project disagree. */
static void
import_check_project(struct import_ctx *ctx, const struct import_row *row,
    const char *const *v, const char *category, const char *start)
{
	struct import_project	*p = &ctx->projects[row->project];
	const char		*val;
	int			 f;

	for (f = IF_NAME; f < IF_NPROJECT; f++) {
		val = f == IF_CATEGORY ? category : f == IF_START ? start : v[f];
		if (val == NULL)
			continue;
		if (p->v[f] == NULL) {
			/* Categories are the configuration's own strings. */
			p->v[f] = f == IF_CATEGORY ? val : import_keep(ctx, val);
			p->vrow[f] = row->line;
		} else if (strcmp(p->v[f], val) != 0)
			import_problem(ctx, row->line, import_colname(ctx, f),
			    "'%s' differs from '%s' given for project %s in row"
			    " %d", v[f], p->v[f], p->code, p->vrow[f]);
	}
}

/*
 * Check a row's endings of the second deadlines: when the missing
 * material was supplied (容缺受理), the verification's result and time
 * (告知承诺).  A mode cell of another mode is a problem here; an item
 * stored in another mode is one when item_plan() refuses it.
 */
static void
import_check_endings(struct import_ctx *ctx, struct import_row *row,
    const char *const *v)
{
	int	 given = v[IF_MODE] != NULL && row->mode != NULL;

	if (v[IF_SUPPLEMENT_DONE] != NULL) {
		(void)import_check_date(ctx, row->line, v[IF_SUPPLEMENT_DONE],
		    IF_SUPPLEMENT_DONE, &row->supplement_done);
		if (given && strcmp(row->mode, MODE_SUPPLEMENT) != 0)
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_SUPPLEMENT_DONE), "only a " MODE_SUPPLEMENT
			    " item has missing material to supply (mode is"
			    " %s)", row->mode);
	}
	if (v[IF_RESULT] != NULL) {
		if ((row->result = import_result(v[IF_RESULT])) == NULL)
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_RESULT), "unknown verification result '%s'"
			    " (通过/pass or 不通过/fail)", v[IF_RESULT]);
		else if (given && strcmp(row->mode, MODE_COMMITMENT) != 0)
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_RESULT), "only a " MODE_COMMITMENT " item has a"
			    " commitment to verify (mode is %s)", row->mode);
	}
	if (v[IF_VERIFIED] != NULL) {
		(void)import_check_date(ctx, row->line, v[IF_VERIFIED],
		    IF_VERIFIED, &row->verified);
		if (v[IF_RESULT] == NULL)
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_VERIFIED), "a verification time needs its"
			    " result (%s)", import_colname(ctx, IF_RESULT));
	}
}

/* Check one data row (ctx->rows[i], cells v); every problem is recorded
 * and what later rows and writing need is kept. */
static void
import_check_row(struct import_ctx *ctx, size_t i, const char *const *v)
{
	struct import_row	*row = &ctx->rows[i], *o;
	struct import_project	*p;
	const char		*category = NULL;
	struct import_when	 start;
	char			*cats, startbuf[20], buf[32];
	size_t			 seen;
	int			 f, any = 0, have_start = 0;

	if (v[IF_CODE] == NULL) {
		import_problem(ctx, row->line, import_colname(ctx, IF_CODE),
		    "missing project code");
	} else
		row->project = import_project_of(ctx, v[IF_CODE]);

	if (v[IF_CATEGORY] != NULL && (category = import_category(ctx->conf,
	    v[IF_CATEGORY])) == NULL) {
		cats = import_categories(ctx->conf);
		import_problem(ctx, row->line, import_colname(ctx, IF_CATEGORY),
		    "unknown category '%s': no work group covers it (%s)",
		    v[IF_CATEGORY], cats);
		free(cats);
	}
	if (v[IF_START] != NULL)
		have_start = import_check_date(ctx, row->line, v[IF_START],
		    IF_START, &start) == 0;
	if (v[IF_CODE] != NULL)
		import_check_project(ctx, row, v, category, have_start ?
		    import_when_text(&start, startbuf) : NULL);

	for (f = IF_KIND; f < IF__COUNT; f++)
		any |= v[f] != NULL;
	if (v[IF_KIND] == NULL) {
		if (any)
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_KIND), "missing item kind: the row fills item"
			    " columns but names no item");
		return;
	}
	if (v[IF_DEPARTMENT] == NULL && ctx->col[IF_DEPARTMENT] >= 0)
		import_problem(ctx, row->line, import_colname(ctx,
		    IF_DEPARTMENT), "missing department");
	if (v[IF_LIMIT] == NULL && v[IF_DEADLINE] == NULL &&
	    (ctx->col[IF_LIMIT] >= 0 || ctx->col[IF_DEADLINE] >= 0))
		import_problem(ctx, row->line, import_colname(ctx,
		    ctx->col[IF_LIMIT] >= 0 ? IF_LIMIT : IF_DEADLINE),
		    "missing time limit: give a time limit (承诺时限) or a"
		    " deadline (办结时限)");
	if ((row->mode = import_mode(v[IF_MODE])) == NULL)
		import_problem(ctx, row->line, import_colname(ctx, IF_MODE),
		    "unknown mode '%s' (一般/normal, 预审, 容缺受理, 告知承诺)",
		    v[IF_MODE]);
	if (v[IF_LIMIT] != NULL) {
		if (import_limit(v[IF_LIMIT], buf, sizeof buf) == 0)
			row->limit = import_intern(ctx, buf);
		else
			import_problem(ctx, row->line, import_colname(ctx,
			    IF_LIMIT), "invalid time limit '%s' (e.g. 5个工作日,"
			    " 10天, 48小时 or 5wd)", v[IF_LIMIT]);
	}
	if (v[IF_ACCEPTED] != NULL)
		(void)import_check_date(ctx, row->line, v[IF_ACCEPTED],
		    IF_ACCEPTED, &row->accepted);
	if (v[IF_DEADLINE] != NULL)
		(void)import_check_date(ctx, row->line, v[IF_DEADLINE],
		    IF_DEADLINE, &row->deadline);
	if (v[IF_SUPPLEMENT] != NULL)
		(void)import_check_date(ctx, row->line, v[IF_SUPPLEMENT],
		    IF_SUPPLEMENT, &row->supplement);
	if (v[IF_COMMITMENT] != NULL)
		(void)import_check_date(ctx, row->line, v[IF_COMMITMENT],
		    IF_COMMITMENT, &row->commitment);
	import_check_endings(ctx, row, v);
	if (row->accepted.set && row->deadline.set &&
	    import_when_before(&row->deadline, &row->accepted))
		import_problem(ctx, row->line, import_colname(ctx, IF_DEADLINE),
		    "the deadline %s is before the acceptance %s",
		    v[IF_DEADLINE], v[IF_ACCEPTED]);

	if (v[IF_CODE] == NULL)
		return;
	/* The project's item rows, in file order: what duplicates and
	 * prerequisites are looked up in (not the whole file). */
	row->item = 1;
	row->kind = import_intern(ctx, v[IF_KIND]);
	if (v[IF_DEPARTMENT] != NULL)
		row->department = import_intern(ctx, v[IF_DEPARTMENT]);
	if (v[IF_HANDLER] != NULL)
		row->handler = import_intern(ctx, v[IF_HANDLER]);
	if (v[IF_AFTER] != NULL)
		row->after_text = import_keep(ctx, v[IF_AFTER]);
	p = &ctx->projects[row->project];
	if (p->last != 0)
		ctx->rows[p->last - 1].next = i + 1;
	else
		p->first = i + 1;
	p->last = i + 1;
	p->nitems++;

	/* One row per item: project, kind and department name it. */
	if (row->department == NULL)
		return;
	if ((seen = import_item_seen(ctx, i)) != 0) {
		o = &ctx->rows[seen - 1];
		import_problem(ctx, row->line, import_colname(ctx, IF_KIND),
		    "the same item (project %s, %s, %s) as row %d", p->code,
		    row->kind, row->department, o->line);
	}
}

/* Turn one record after the header (its fields trimmed) into a row and
 * check it. */
static void
import_row(struct import_ctx *ctx, int line, char **fields, size_t n)
{
	const char		*v[IF__COUNT];
	struct import_row	*row;
	char			 letter[16], *cell;
	size_t			 j;
	int			 f;

	if (ctx->nrows == ctx->rowcap) {
		ctx->rowcap = ctx->rowcap ? ctx->rowcap * 2 : 1024;
		ctx->rows = xreallocarray(ctx->rows, ctx->rowcap,
		    sizeof *ctx->rows);
	}
	row = &ctx->rows[ctx->nrows++];
	memset(row, 0, sizeof *row);
	row->line = line;
	memset(v, 0, sizeof v);
	for (j = 0; j < n; j++) {
		cell = fields[j];
		if (j < ctx->ncols && (f = ctx->colfield[j]) >= 0) {
			v[f] = *cell != '\0' ? cell : NULL;
			continue;
		}
		if (*cell == '\0' || (j < ctx->ncols &&
		    *ctx->colname[j] != '\0'))
			continue;	/* unknown: reported once */
		import_letters(j, letter, sizeof letter);
		import_problem(ctx, line, letter, "a value in column %s, which"
		    " has no header", letter);
	}
	import_check_row(ctx, ctx->nrows - 1, v);
}

/* One record as libcsv delivers it: the header, a row or nothing.  Its
 * fields are trimmed here, once. */
static void
import_record(struct import_ctx *ctx, char **fields, size_t n)
{
	size_t	 i;
	int	 blank = 1;

	if (ctx->state == IS_SKIP)
		return;
	for (i = 0; i < n; i++) {
		fields[i] = import_trim(fields[i]);
		if (*fields[i] != '\0')
			blank = 0;
	}
	if (blank)
		return;
	if (ctx->state == IS_ROWS) {
		import_row(ctx, ctx->line, fields, n);
		return;
	}
	/* The first record that is not blank is the header. */
	ctx->hrc = import_header(ctx, ctx->line, fields, n, &ctx->herr);
	ctx->state = ctx->hrc == 0 ? IS_ROWS : IS_SKIP;
}

/* Store callback: keep a stored item of the project as a candidate. */
static int
import_stored_cb(void *arg, const struct item_row *r)
{
	struct import_project	*p = arg;

	if (strcmp(r->status, STATUS_CANCELLED) == 0)
		return (0);
	p->stored = xreallocarray(p->stored, p->nstored + 1,
	    sizeof *p->stored);
	p->stored[p->nstored].id = r->id;
	p->stored[p->nstored].kind = xstrdup(r->kind);
	p->nstored++;
	return (0);
}

/* The prerequisites of a row, made on first use. */
static struct import_after *
import_after_of(struct import_row *row)
{
	if (row->after == NULL)
		row->after = xcalloc(1, sizeof *row->after);
	return (row->after);
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
	struct import_after	*a;
	struct import_row	*o;
	size_t			 i, j, found = 0, which = 0;
	int64_t			 id = 0;
	const char		*col = import_colname(ctx, IF_AFTER);

	if (strcmp(kind, row->kind) == 0) {
		import_problem(ctx, row->line, col, "an item cannot be its own"
		    " prerequisite ('%s')", kind);
		return (0);
	}
	for (j = p->first; j != 0; j = o->next) {
		i = j - 1;
		o = &ctx->rows[i];
		if (strcmp(o->kind, kind) != 0)
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
		a = import_after_of(row);
		for (i = 0; i < a->nrows; i++)
			if (a->rows[i] == which)
				return (0);
		a->rows = xreallocarray(a->rows, a->nrows + 1,
		    sizeof *a->rows);
		a->rows[a->nrows++] = which;
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
	a = import_after_of(row);
	for (i = 0; i < a->nids; i++)
		if (a->ids[i] == id)
			return (0);
	a->ids = xreallocarray(a->ids, a->nids + 1, sizeof *a->ids);
	a->ids[a->nids++] = id;
	return (0);
}

/* Split a row's prerequisites at 、 ; , and resolve each; -1 on a
 * database error. */
static int
import_after(struct import_ctx *ctx, struct import_row *row)
{
	char		*copy, *p, *q, *kind;
	size_t		 i, best;

	if (!row->item || row->after_text == NULL)
		return (0);
	p = copy = xstrdup(row->after_text);
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
		    " circle", row->kind, ctx->projects[row->project].code);
		return;
	}
	row->mark = 1;
	for (j = 0; row->after != NULL && j < row->after->nrows; j++)
		import_order(ctx, row->after->rows[j]);
	row->mark = 2;
	ctx->order[ctx->norder++] = i;
}

/* After the last row: resolve prerequisites, order the item rows; -1 on
 * a database error. */
static int
import_check(struct import_ctx *ctx)
{
	size_t	 i;

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

/* Fill a database error; returns -1. */
static int
import_dberr(struct import_ctx *ctx, struct api_error *e)
{
	api_error_set(e, 500, NULL, "database error: %s", store_error(ctx->s));
	return (-1);
}

/* Replace a project field when the file gives a value. */
static void
import_set(char **field, const char *v)
{
	if (v == NULL)
		return;
	free(*field);
	*field = xstrdup(v);
}

/*
 * Create or update every project the file names; -1 on a database
 * error.  With a bulk write open, a project not stored yet is inserted
 * directly and marked as created: it has no items to update.
 */
static int
import_write_projects(struct import_ctx *ctx, struct store_bulk *b,
    struct api_error *e)
{
	struct import_project	*ip;
	struct project_row	 p;
	size_t			 i;
	int			 rc, created;

	for (i = 0; i < ctx->nprojects; i++) {
		ip = &ctx->projects[i];
		memset(&p, 0, sizeof p);
		if (b != NULL) {
			if ((rc = store_bulk_project_find(b, ip->code,
			    &p.id)) < 0)
				goto dberr;
			if (rc == 0)
				rc = store_project_get(ctx->s, ip->code, &p);
		} else
			rc = store_project_get(ctx->s, ip->code, &p);
		if (rc < 0)
			goto dberr;
		if (rc == 1 && b != NULL) {
			p.code = import_unconst(ip->code);
			p.name = import_unconst(ip->v[IF_NAME]);
			p.category = import_unconst(ip->v[IF_CATEGORY]);
			p.region = import_unconst(ip->v[IF_REGION]);
			p.content = import_unconst(ip->v[IF_CONTENT]);
			p.planned_start = import_unconst(ip->v[IF_START]);
			/* p points at the import's strings: not cleared. */
			if (store_bulk_project_insert(b, &p) != 0)
				return (import_dberr(ctx, e));
			ip->id = p.id;
			ip->created = 1;
			ip->category = ip->v[IF_CATEGORY];
			ctx->pcreated++;
			/* A new project's note is news. */
			if (ip->v[IF_PROGRESS] != NULL && store_project_progress(
			    ctx->s, p.id, ip->v[IF_PROGRESS], ctx->now) != 0)
				return (import_dberr(ctx, e));
			continue;
		}
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
		ip->category = p.category != NULL ? import_keep(ctx,
		    p.category) : NULL;
		project_row_clear(&p);
	}
	return (0);
dberr:
	project_row_clear(&p);
	return (import_dberr(ctx, e));
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
		{ "supplement_done_at", IF_SUPPLEMENT_DONE },
		{ "commitment_result", IF_RESULT },
		{ "commitment_verified_at", IF_VERIFIED },
	};
	size_t	 i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].field, field) == 0)
			return (import_colname(ctx, map[i].f));
	return ("");
}

/* The ids of a row's prerequisites: those in the file (written before
 * it), then those already stored.  malloc'd; *n gets the count. */
static int64_t *
import_after_ids(const struct import_ctx *ctx, const struct import_row *row,
    size_t *n)
{
	const struct import_after	*a = row->after;
	int64_t				*ids;
	size_t				 j;

	*n = a != NULL ? a->nrows + a->nids : 0;
	ids = xcalloc(*n + 1, sizeof *ids);
	for (j = 0; a != NULL && j < a->nrows; j++)
		ids[j] = ctx->rows[a->rows[j]].id;
	for (j = 0; a != NULL && j < a->nids; j++)
		ids[a->nrows + j] = a->ids[j];
	return (ids);
}

/* Add or update one item through item_add(), as the API does; -1 on a
 * database error, a problem when item_add() refuses it. */
static int
import_item_add(struct import_ctx *ctx, struct import_row *row,
    struct api_error *e)
{
	struct item_input	 in;
	struct api_error	 ie;
	int64_t			*after;
	char			 acc[20], dl[20], sup[20], com[20];
	char			 sdone[20], ver[20];
	size_t			 n;
	int			 created;

	memset(&in, 0, sizeof in);
	in.project = ctx->projects[row->project].code;
	in.name = row->kind;
	in.department = row->department;
	in.handler = row->handler;
	/* An empty mode cell means normal; no column keeps it. */
	in.mode = ctx->col[IF_MODE] >= 0 ? row->mode : NULL;
	in.limit = row->limit;
	in.deadline = import_when_text(&row->deadline, dl);
	in.accepted = import_when_text(&row->accepted, acc);
	in.supplement = import_when_text(&row->supplement, sup);
	in.commitment = import_when_text(&row->commitment, com);
	in.supplement_done = import_when_text(&row->supplement_done, sdone);
	in.commitment_result = row->result;
	in.commitment_verified = import_when_text(&row->verified, ver);
	after = import_after_ids(ctx, row, &n);
	in.after = after;
	in.nafter = n;
	memset(&ie, 0, sizeof ie);
	if (item_add(ctx->conf, ctx->s, &in, ctx->now, &row->id, &created,
	    &ie) != 0) {
		free(after);
		if (ie.status >= 500) {
			*e = ie;
			return (-1);
		}
		import_problem(ctx, row->line, import_error_column(ctx,
		    ie.field), "%s", ie.msg);
		return (1);
	}
	free(after);
	if (created)
		ctx->icreated++;
	else
		ctx->iupdated++;
	return (0);
}

/*
 * Write a new item through the bulk path: item_plan() decides it, as for
 * item_add() (accepted now unless a prerequisite is not done, its
 * deadline, its tracks, its log entry); only the writing is batched.
 * -1 on a database error, 1 with a problem recorded.
 */
static int
import_bulk_item(struct import_ctx *ctx, struct store_bulk *b,
    struct import_row *row, const struct import_project *ip,
    struct api_error *e)
{
	struct project_row	 p;
	struct item_input	 in;
	struct item_plan	 plan;
	struct api_error	 ie;
	int64_t			*after, pending = 0;
	size_t			 n, j;
	int			 rc;

	memset(&p, 0, sizeof p);
	p.id = ip->id;
	p.code = import_unconst(ip->code);
	p.category = import_unconst(ip->category);
	memset(&in, 0, sizeof in);
	in.project = ip->code;
	in.name = row->kind;
	in.department = row->department;
	in.handler = row->handler;
	in.mode = row->mode;
	in.limit = row->limit;
	if (row->deadline.set)
		in.deadline_at = import_when_time(ctx, &row->deadline);
	if (row->supplement.set)
		in.supplement_at = import_when_time(ctx, &row->supplement);
	if (row->commitment.set)
		in.commitment_at = import_when_time(ctx, &row->commitment);
	if (row->accepted.set)
		in.accepted_at = import_when_time(ctx, &row->accepted);
	if (row->supplement_done.set)
		in.supplement_done_at = import_when_time(ctx,
		    &row->supplement_done);
	in.commitment_result = row->result;
	if (row->verified.set)
		in.commitment_verified_at = import_when_time(ctx,
		    &row->verified);

	/*
	 * A prerequisite not done yet.  One written by the bulk path is new,
	 * so not done (and maybe still queued); the others are in the store.
	 */
	after = import_after_ids(ctx, row, &n);
	for (j = 0; j < n && pending == 0; j++) {
		if (row->after != NULL && j < row->after->nrows &&
		    ctx->rows[row->after->rows[j]].bulk)
			rc = 1;
		else if ((rc = store_bulk_item_pending(b, after[j])) < 0)
			goto dberr;
		if (rc)
			pending = after[j];
	}
	memset(&ie, 0, sizeof ie);
	if (item_plan(ctx->conf, &p, NULL, &in, pending, ctx->now, ctx->cache,
	    &plan, &ie) != 0) {
		free(after);
		import_problem(ctx, row->line, import_error_column(ctx,
		    ie.field), "%s", ie.msg);
		return (1);
	}
	if (store_bulk_item_insert(b, &plan.item) != 0)
		goto dberr;
	item_plan_set_id(&plan, plan.item.id);
	row->id = plan.item.id;
	row->bulk = 1;
	if (plan.uncovered && ctx->uncovered++ == 0)
		ctx->uncovered_id = plan.item.id;
	for (j = 0; j < n; j++)
		if (store_bulk_prereq_add(b, plan.item.id, after[j]) != 0)
			goto dberr;
	free(after);
	after = NULL;
	for (j = 0; j < plan.ntracks; j++)
		if (store_bulk_track_insert(b, &plan.tracks[j]) != 0)
			goto dberr;
	if (store_bulk_log(b, ctx->now, plan.item.id, plan.item.project_code,
	    NULL, NULL, plan.log_outcome, plan.log_detail) != 0)
		goto dberr;
	ctx->icreated++;
	return (0);
dberr:
	free(after);
	return (import_dberr(ctx, e));
}

/*
 * Add or update every item, prerequisites first; -1 on a database error,
 * a problem when item_add() refuses one.  New items go through the bulk
 * path when one is open, items already stored through item_add().
 */
static int
import_write_items(struct import_ctx *ctx, struct store_bulk *b,
    struct api_error *e)
{
	struct import_row	*row;
	struct import_project	*ip;
	int64_t			 id;
	size_t			 i;
	int			 rc;

	for (i = 0; i < ctx->norder; i++) {
		row = &ctx->rows[ctx->order[i]];
		ip = &ctx->projects[row->project];
		rc = 0;
		if (b != NULL) {
			/* A project created just now has no items yet. */
			rc = ip->created ? 1 : store_bulk_item_find(b, ip->id,
			    row->kind, row->department, &id);
			if (rc < 0)
				return (import_dberr(ctx, e));
		}
		if (rc == 1)
			rc = import_bulk_item(ctx, b, row, ip, e);
		else if (b != NULL) {
			/* item_add() reads and writes the same tables. */
			if (store_bulk_flush(b) != 0)
				return (import_dberr(ctx, e));
			rc = import_item_add(ctx, row, e);
		} else
			rc = import_item_add(ctx, row, e);
		if (rc != 0)
			return (rc < 0 ? -1 : 0);
	}
	if (b != NULL && store_bulk_flush(b) != 0)
		return (import_dberr(ctx, e));
	if (ctx->uncovered > 0)
		log_warnx("import: the deadlines of %zu new item%s (the first"
		    " item %lld) reach a year without a holiday calendar;"
		    " counted Monday-Friday", ctx->uncovered,
		    ctx->uncovered == 1 ? "" : "s",
		    (long long)ctx->uncovered_id);
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

	if (ctx->nproblems > 1)
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
	struct import_chunk	*c;
	size_t			 i, j;

	free(ctx->sbuf);
	free(ctx->sofs);
	free(ctx->sf);
	free(ctx->colfield);
	free(ctx->colname);
	for (i = 0; i < ctx->nrows; i++) {
		if (ctx->rows[i].after == NULL)
			continue;
		free(ctx->rows[i].after->rows);
		free(ctx->rows[i].after->ids);
		free(ctx->rows[i].after);
	}
	free(ctx->rows);
	for (i = 0; i < ctx->nprojects; i++) {
		for (j = 0; j < ctx->projects[i].nstored; j++)
			free(ctx->projects[i].stored[j].kind);
		free(ctx->projects[i].stored);
	}
	free(ctx->projects);
	free(ctx->codes);
	free(ctx->keys);
	free(ctx->strs);
	free(ctx->order);
	for (i = 0; i < ctx->nproblems; i++) {
		free(ctx->problems[i].column);
		free(ctx->problems[i].reason);
	}
	free(ctx->problems);
	free(ctx->m_local);
	item_cache_free(ctx->cache);
	while ((c = ctx->arena) != NULL) {
		ctx->arena = c->next;
		free(c);
	}
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
	struct store_bulk	*b = NULL;
	const char		*text = NULL;
	char			*owned = NULL;
	size_t			 tlen;
	int			 rc = -1;

	*result = NULL;
	*problems = NULL;
	memset(&ctx, 0, sizeof ctx);
	ctx.conf = conf;
	ctx.s = s;
	ctx.now = now;
	ctx.state = IS_HEADER;

	if (import_decode(data, len, encoding, &text, &tlen, &owned, e) != 0)
		goto out;
	/* Rows are checked as they are parsed. */
	if (import_parse(&ctx, text, tlen, e) != 0)
		goto out;
	if (ctx.state == IS_HEADER) {
		if (ctx.nproblems > 0)
			goto problems;
		api_error_set(e, 400, "body", "the file is empty: no header"
		    " row and no data");
		goto out;
	}
	if (ctx.hrc < 0) {
		*e = ctx.herr;
		goto out;
	}
	if (ctx.hrc == 0 && import_check(&ctx) != 0) {
		import_dberr(&ctx, e);
		goto out;
	}
	if (ctx.nproblems > 0)
		goto problems;
	/* The text is no longer needed: only the rows are. */
	free(owned);
	owned = NULL;

	if (import_bulk && ctx.nprojects > 0) {
		if ((b = store_bulk_open(s)) == NULL) {
			import_dberr(&ctx, e);
			goto out;
		}
		ctx.cache = item_cache_new();
	}
	if (import_write_projects(&ctx, b, e) != 0)
		goto out;
	if (import_write_items(&ctx, b, e) != 0)
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
	store_bulk_close(b);
	import_free(&ctx);
	free(owned);
	return (rc);
}
