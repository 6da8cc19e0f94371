/*
 * The reports of the task force's rhythm: the group leaders' weekly
 * dispatch (组长每周调度), the half-monthly review for the head (专班每半月),
 * the regular bulletin ranking regions and departments (定期通报) and the
 * joint-meeting agenda (联席会议).
 *
 * Three layers.  The period arithmetic is pure: which period a time falls
 * in, its key, and when it is due on the working-day calendar.  Rendering
 * reads the items once and writes markdown for the chats, plain text, or
 * the underlying table (table.c) as CSV or an Excel workbook (xlsx.c); "as of" a time, every count is derived from
 * the items' timestamps (accepted, due, done, blocked), so the state at
 * the previous review is computed rather than stored.  The reporter is one
 * libevent timer armed for the earliest next report; when it fires, each
 * due report is rendered, queued and its period claimed in one
 * transaction, so it goes out exactly once per period, also across
 * restarts.  A period missed while the daemon was down is sent late
 * (marked "（补发）"), only the latest one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "escalator.h"

#define REPORT_STALE_WORKDAYS	5		/* no progress for this long */
#define REPORT_LIST_MAX		10		/* items named in one line */

/* Rendering flavours: the public formats plus Feishu's lark_md, which has
 * bold but no headings or quotes. */
enum report_out { OUT_MARKDOWN, OUT_LARK, OUT_TEXT, OUT_CSV, OUT_XLSX };

/* Kinds of line in a rendered report. */
enum report_line { L_TITLE, L_HEAD, L_SUB, L_NOTE, L_PLAIN };

/* One item as the reports see it, with what they show precomputed. */
struct report_item {
	struct item_row		 r;
	char			*policy;
	char			*stage;
	const struct group	*group;		/* NULL: no group covers it */
	char			*label;		/* "P1 项目 · 立项（部门）" */
	const char		*region;
	const char		*stage_label;	/* current ladder stage */
	int			 stage_rank;	/* its index, -1 none */
	int			 overdue;	/* working days overdue at at */
	int			 idle;		/* working days without progress */
	const char		*ack;		/* 已签收 未签收, NULL: no links */
	const struct answer_sum	*answers;	/* rep->sums', NULL none */
};

/* One rendering: the scope, the items and the growing output. */
struct report {
	const struct config	 *conf;
	const struct calendar	 *cal;
	const struct report_conf *rc;
	const struct group	 *group;	/* scope; NULL every group */
	int64_t			  at;
	int64_t			  since;
	int32_t			  today;
	int			  year;
	enum report_out		  out;
	const char		 *prefix;
	struct report_item	 *items;
	size_t			  nitems;
	char			 *title;
	struct table		 *table;	/* CSV and XLSX: the rows */
	char			 *summary;	/* the headline numbers */
	char			 *buf;
	size_t			  len;
	size_t			  cap;
	struct answer_sum	 *sums;		/* answers of action links, */
	size_t			  nsums;	/* with public_url only */
};

/* What the answers of action links say of a set of items (public_url):
 * open items under escalation 已签收 / 未签收 at their stage, and items
 * with feedback in the period. */
struct report_acks {
	int		 acked;
	int		 unacked;
	int		 fed;
};

/* A region or department in the bulletin's rankings. */
struct report_unit {
	const char	*name;
	int		 done;		/* done in the period (with a deadline) */
	int		 ontime;	/* of those, done by the deadline */
	int		 early;		/* of those, a working day or more early */
	int		 over;		/* overdue at at */
	int		 maxover;	/* the longest, in working days */
	int		 active;
	struct report_acks acks;
};

/* One group's numbers in the half-monthly review. */
struct report_review {
	const char		 *name;
	const struct group	 *group;	/* NULL: ungrouped, or all */
	struct report_acks	  acks;
	int			  active;
	int			  over;
	int			  over0;	/* overdue at since */
	int			  done;
	int			  ontime;
	int			  blocked;
	struct report_item	**newover;
	size_t			  nnewover;
	struct report_item	**newdone;
	size_t			  nnewdone;
};

static const char *const report_weekdays[] = {
	"周日", "周一", "周二", "周三", "周四", "周五", "周六"
};

/* The built-in reports, one per type, for use without configuration;
 * their schedules only define "since the last one". */
static int report_builtin_semimonthly[] = { 1, 16 };
static int report_builtin_monthly[] = { 1 };
static const struct report_conf report_builtins[] = {
	{ .name = "weekly", .type = REPORT_WEEKLY,
	  .schedule = REPORT_SCHED_WEEKLY, .weekday = 1, .time_min = 540 },
	{ .name = "review", .type = REPORT_REVIEW,
	  .schedule = REPORT_SCHED_SEMIMONTHLY,
	  .days = report_builtin_semimonthly, .ndays = 2, .time_min = 540 },
	{ .name = "bulletin", .type = REPORT_BULLETIN,
	  .schedule = REPORT_SCHED_MONTHLY, .days = report_builtin_monthly,
	  .ndays = 1, .time_min = 540 },
	{ .name = "agenda", .type = REPORT_AGENDA,
	  .schedule = REPORT_SCHED_WEEKLY, .weekday = 3, .time_min = 540 },
};

static void	report_line(struct report *, enum report_line, const char *, ...)
		    PRINTFLIKE(3, 4);
static void	report_add(struct report *, const char *, ...) PRINTFLIKE(2, 3);

/* A configured report by name, else the built-in report of a type. */
const struct report_conf *
report_find(const struct config *conf, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf->nreports; i++) {
		if (strcmp(conf->reports[i].name, name) == 0)
			return (&conf->reports[i]);
	}
	for (i = 0; i < sizeof report_builtins / sizeof *report_builtins;
	    i++) {
		if (strcmp(report_builtins[i].name, name) == 0)
			return (&report_builtins[i]);
	}
	return (NULL);
}

/* A work group by name, else the group of a category. */
const struct group *
report_group(const struct config *conf, const char *name)
{
	const struct group	*g;

	if (name == NULL)
		return (NULL);
	if ((g = config_group(conf, name)) != NULL)
		return (g);
	return (config_group_for(conf, name));
}

/* The built-in report of the same type (whose schedule a report without
 * one borrows for "since the last one"). */
static const struct report_conf *
report_builtin(enum report_type t)
{
	return (&report_builtins[t]);
}


/* The schedule that defines "since the last one" for a report. */
static const struct report_conf *
report_rhythm(const struct report_conf *rc)
{
	return (rc->schedule != REPORT_SCHED_NONE ? rc :
	    report_builtin(rc->type));
}

/* The start of the period a report at t looks back over: the scheduled
 * instant before t, else two weeks. */
static int64_t
report_since(const struct report_conf *rc, const struct calendar *cal,
    int64_t t)
{
	int64_t	 s;

	s = report_latest(report_rhythm(rc), cal, t - 1, NULL, 0);
	return (s > 0 ? s : t - 14 * 86400);
}

/* ------------------------------------------------------------------ */
/* Output: markdown, lark_md, plain text or CSV into one buffer. */

/* Make room for n more bytes and the NUL. */
static void
report_grow(struct report *rep, size_t n)
{
	if (rep->len + n + 1 <= rep->cap)
		return;
	while (rep->len + n + 1 > rep->cap)
		rep->cap = rep->cap ? rep->cap * 2 : 1024;
	rep->buf = xreallocarray(rep->buf, rep->cap, 1);
}

/* Append bytes. */
static void
report_addn(struct report *rep, const char *s, size_t n)
{
	report_grow(rep, n);
	memcpy(rep->buf + rep->len, s, n);
	rep->len += n;
	rep->buf[rep->len] = '\0';
}

/* Append formatted text. */
static void
report_add(struct report *rep, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	report_addn(rep, s, strlen(s));
	free(s);
}

/* Append one line of a kind, marked up for the flavour; a heading gets
 * a blank line before it. */
static void
report_line(struct report *rep, enum report_line kind, const char *fmt, ...)
{
	static const char *const mark[3][5][2] = {
		[OUT_MARKDOWN] = {
			[L_TITLE] = { "## ", "" }, [L_HEAD] = { "### ", "" },
			[L_SUB] = { "**", "**" }, [L_NOTE] = { "> ", "" },
			[L_PLAIN] = { "", "" },
		},
		[OUT_LARK] = {
			[L_TITLE] = { "**", "**" }, [L_HEAD] = { "**", "**" },
			[L_SUB] = { "**", "**" }, [L_NOTE] = { "", "" },
			[L_PLAIN] = { "", "" },
		},
		[OUT_TEXT] = {
			[L_TITLE] = { "", "" }, [L_HEAD] = { "", "" },
			[L_SUB] = { "", "" }, [L_NOTE] = { "", "" },
			[L_PLAIN] = { "", "" },
		},
	};
	va_list	 ap;
	char	*s;

	if (rep->out == OUT_CSV || rep->out == OUT_XLSX)
		return;
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (kind == L_HEAD && rep->len > 0)
		report_addn(rep, "\n", 1);
	report_add(rep, "%s%s%s\n", mark[rep->out][kind][0], s,
	    mark[rep->out][kind][1]);
	free(s);
}

/* Keep the report's headline numbers (the first given) for the short
 * text that goes with its workbook. */
static void
report_keep_summary(struct report *rep, const char *s)
{
	if (rep->summary == NULL)
		rep->summary = xstrdup(s);
}

/* Start the table (CSV and XLSX only) with its columns. */
static void
report_table(struct report *rep, const char *const *head,
    const enum table_kind *kinds, size_t n)
{
	if (rep->out == OUT_CSV || rep->out == OUT_XLSX)
		rep->table = table_new(head, kinds, n);
}

/* Append one row to the table (CSV and XLSX only). */
static void
report_csv(struct report *rep, const char *const *fields, size_t n)
{
	(void)n;
	if (rep->table != NULL)
		table_add(rep->table, fields);
}

/* A day for people: "11月25日", with the year when it is not at's. */
static void
report_day(const struct report *rep, int32_t day, char *buf, size_t len)
{
	int	 y, m, d;

	calendar_civil(day, &y, &m, &d);
	if (y != rep->year)
		snprintf(buf, len, "%d年%d月%d日", y, m, d);
	else
		snprintf(buf, len, "%d月%d日", m, d);
}

/* An instant for people: "11月25日（周三）18:00". */
static void
report_when(const struct report *rep, int64_t t, char *buf, size_t len)
{
	int32_t	 day;
	int	 sec;
	char	 d[48];

	rules_split(t, &day, &sec);
	report_day(rep, day, d, sizeof d);
	snprintf(buf, len, "%s（%s）%02d:%02d", d,
	    report_weekdays[calendar_weekday(day)], (sec / 3600) % 24,
	    (sec / 60) % 60);
}

/* An instant for a spreadsheet: "2026-11-25 18:00", "" for none. */
static void
report_stamp(int64_t t, char *buf, size_t len)
{
	if (t <= 0) {
		*buf = '\0';
		return;
	}
	rules_format(t, buf, len);
	if (len > 16)
		buf[16] = '\0';
}

/* A trend between two counts: "↑2", "↓1" or "持平". */
static void
report_trend(int now, int before, char *buf, size_t len)
{
	if (now > before)
		snprintf(buf, len, "↑%d", now - before);
	else if (now < before)
		snprintf(buf, len, "↓%d", before - now);
	else
		snprintf(buf, len, "持平");
}

/* ------------------------------------------------------------------ */
/* The items, read once per rendering. */

/* Copy a string that may be NULL. */
static char *
report_strdup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* A deep copy of an item row. */
static void
report_row_copy(struct item_row *d, const struct item_row *s)
{
	*d = *s;
	d->project_code = report_strdup(s->project_code);
	d->project_name = report_strdup(s->project_name);
	d->category = report_strdup(s->category);
	d->region = report_strdup(s->region);
	d->kind = report_strdup(s->kind);
	d->department = report_strdup(s->department);
	d->handler = report_strdup(s->handler);
	d->mode = report_strdup(s->mode);
	d->status = report_strdup(s->status);
	d->limit = report_strdup(s->limit);
	d->suspend_reason = report_strdup(s->suspend_reason);
	d->blocked_reason = report_strdup(s->blocked_reason);
	d->commitment_result = report_strdup(s->commitment_result);
}

/* Whether an item was done by t. */
static int
report_done_by(const struct item_row *r, int64_t t)
{
	return (r->done_at > 0 && r->done_at <= t);
}

/* Whether an item was accepted and open at t (在办). */
static int
report_active(const struct item_row *r, int64_t t)
{
	return (strcmp(r->status, STATUS_PLANNED) != 0 && r->accepted_at > 0 &&
	    r->accepted_at <= t && !report_done_by(r, t));
}

/* Whether an item was past its deadline and open at t; an item whose
 * clock stands (suspended) is not, its deadline moves on resume. */
static int
report_overdue(const struct item_row *r, int64_t t)
{
	if (!report_active(r, t) || r->due_at <= 0 || r->due_at >= t)
		return (0);
	return (!(strcmp(r->status, STATUS_SUSPENDED) == 0 &&
	    r->suspended_at > 0 && r->suspended_at <= t));
}

/* Whether an item was flagged blocked and open at t. */
static int
report_blocked(const struct item_row *r, int64_t t)
{
	return (r->blocked_reason != NULL && r->blocked_at > 0 &&
	    r->blocked_at <= t && !report_done_by(r, t));
}

/* Whether an item was raised to the city and open at t. */
static int
report_raised(const struct item_row *r, int64_t t)
{
	return (r->raised_at > 0 && r->raised_at <= t &&
	    !report_done_by(r, t));
}

/* Whether an item was done in [from, to]. */
static int
report_done_in(const struct item_row *r, int64_t from, int64_t to)
{
	return (r->done_at > 0 && r->done_at >= from && r->done_at <= to);
}

/* Working days from one instant's day to another's (0 if not after). */
static int
report_workdays(const struct report *rep, int64_t from, int64_t to)
{
	int32_t	 d1, d2;
	int	 n;

	if (from <= 0 || to <= from)
		return (0);
	rules_split(from, &d1, NULL);
	rules_split(to, &d2, NULL);
	n = calendar_count_workdays(rep->cal, d1, d2, NULL);
	return (n > 0 ? n : 0);
}

/* Collect one item in scope and work out what the reports show of it. */
/*
 * Room for element n of an array grown one element at a time: its
 * capacity is the next power of two (at least 16), so that a million
 * items are a few dozen reallocations, not a million (each one of a large
 * block a mremap(2), whose page-table moves and TLB flushes made a report
 * over a million items several times slower in a thread).
 */
static void *
report_room(void *v, size_t n, size_t size)
{
	if (n == 0)
		return (xreallocarray(v, 16, size));
	if (n >= 16 && (n & (n - 1)) == 0)
		return (xreallocarray(v, n * 2, size));
	return (v);
}

static int
report_collect(void *arg, const struct item_row *r, const char *policy,
    const char *stage)
{
	struct report		*rep = arg;
	struct report_item	*ri;
	const struct policy	*p;
	const struct department	*d;
	const struct group	*g;
	int			 idx;
	int64_t			 since;

	/* Not yet known at at (an import may bring earlier acceptances). */
	if (r->created_at > rep->at && (r->accepted_at == 0 ||
	    r->accepted_at > rep->at))
		return (0);
	g = config_group_for(rep->conf, r->category);
	if (rep->group != NULL && g != rep->group)
		return (0);
	rep->items = report_room(rep->items, rep->nitems, sizeof *rep->items);
	ri = &rep->items[rep->nitems++];
	memset(ri, 0, sizeof *ri);
	report_row_copy(&ri->r, r);
	ri->policy = report_strdup(policy);
	ri->stage = report_strdup(stage);
	ri->group = g;
	xasprintf(&ri->label, "%s%s%s · %s（%s）", r->project_code,
	    r->project_name != NULL ? " " : "",
	    r->project_name != NULL ? r->project_name : "", r->kind,
	    r->department);
	d = config_department(rep->conf, r->department);
	ri->region = r->region != NULL ? ri->r.region : d != NULL &&
	    d->region != NULL ? d->region : "未注明区域";

	p = policy != NULL ? config_policy(rep->conf, policy) : NULL;
	idx = p != NULL ? rules_stage_index(p, stage) : -1;
	ri->stage_rank = idx;
	if (idx >= 0)
		ri->stage_label = p->stages[idx].label;
	else if (ri->stage != NULL) {
		ri->stage_label = ri->stage;
		ri->stage_rank = 0;
	} else
		ri->stage_label = "尚未催办";
	if (report_overdue(r, rep->at))
		ri->overdue = rules_overdue_workdays(rep->cal, r->due_at,
		    rep->at);
	if (rep->conf->public_url != NULL) {
		/* 已签收: the stage an open item stands at was acknowledged. */
		ri->answers = answer_sum_find(rep->sums, rep->nsums, r->id);
		ri->ack = stage == NULL || !report_active(r, rep->at) ? NULL : ri->answers != NULL &&
		    ri->answers->ack_stage != NULL &&
		    strcmp(ri->answers->ack_stage, stage) == 0 ? "已签收" :
		    "未签收";
	}
	since = r->last_progress_at > r->accepted_at ? r->last_progress_at :
	    r->accepted_at;
	if (report_active(r, rep->at))
		ri->idle = report_workdays(rep, since, rep->at);
	return (0);
}

/* Free the items of a rendering. */
static void
report_items_free(struct report *rep)
{
	size_t	 i;

	for (i = 0; i < rep->nitems; i++) {
		item_row_clear(&rep->items[i].r);
		free(rep->items[i].policy);
		free(rep->items[i].stage);
		free(rep->items[i].label);
	}
	free(rep->items);
	rep->items = NULL;
	rep->nitems = 0;
}

/* qsort: earliest deadline first. */
static int
report_by_due(const void *a, const void *b)
{
	const struct report_item *x = *(struct report_item *const *)a;
	const struct report_item *y = *(struct report_item *const *)b;

	if (x->r.due_at != y->r.due_at)
		return (x->r.due_at < y->r.due_at ? -1 : 1);
	return (x->r.id < y->r.id ? -1 : x->r.id > y->r.id);
}

/* qsort: furthest up the ladder first, then longest overdue. */
static int
report_by_stage(const void *a, const void *b)
{
	const struct report_item *x = *(struct report_item *const *)a;
	const struct report_item *y = *(struct report_item *const *)b;
	int			  c;

	if (x->stage_rank != y->stage_rank)
		return (x->stage_rank > y->stage_rank ? -1 : 1);
	if ((c = strcmp(x->stage_label, y->stage_label)) != 0)
		return (c);
	return (report_by_due(a, b));
}

/* qsort: earliest done first. */
static int
report_by_done(const void *a, const void *b)
{
	const struct report_item *x = *(struct report_item *const *)a;
	const struct report_item *y = *(struct report_item *const *)b;

	if (x->r.done_at != y->r.done_at)
		return (x->r.done_at < y->r.done_at ? -1 : 1);
	return (x->r.id < y->r.id ? -1 : x->r.id > y->r.id);
}

/* qsort: longest without progress first. */
static int
report_by_idle(const void *a, const void *b)
{
	const struct report_item *x = *(struct report_item *const *)a;
	const struct report_item *y = *(struct report_item *const *)b;

	if (x->idle != y->idle)
		return (x->idle > y->idle ? -1 : 1);
	return (x->r.id < y->r.id ? -1 : x->r.id > y->r.id);
}

/* qsort: longest blocked first. */
static int
report_by_blocked(const void *a, const void *b)
{
	const struct report_item *x = *(struct report_item *const *)a;
	const struct report_item *y = *(struct report_item *const *)b;

	if (x->r.blocked_at != y->r.blocked_at)
		return (x->r.blocked_at < y->r.blocked_at ? -1 : 1);
	return (x->r.id < y->r.id ? -1 : x->r.id > y->r.id);
}

/* qsort: raised earliest first. */
static int
report_by_raised(const void *a, const void *b)
{
	const struct report_item *x = *(struct report_item *const *)a;
	const struct report_item *y = *(struct report_item *const *)b;

	if (x->r.raised_at != y->r.raised_at)
		return (x->r.raised_at < y->r.raised_at ? -1 : 1);
	return (x->r.id < y->r.id ? -1 : x->r.id > y->r.id);
}

/* A list of item pointers. */
struct report_list {
	struct report_item	**v;
	size_t			  n;
};

/* Append to a list. */
static void
report_push(struct report_list *l, struct report_item *ri)
{
	l->v = report_room(l->v, l->n, sizeof *l->v);
	l->v[l->n++] = ri;
}

/* Sort a list. */
static void
report_sort(struct report_list *l, int (*cmp)(const void *, const void *))
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, cmp);
}

/* The items of a list's labels joined by "；", at most REPORT_LIST_MAX,
 * with "等 N 项" for the rest; malloc'd. */
static char *
report_join(struct report_item **v, size_t n)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < n && i < REPORT_LIST_MAX; i++) {
		xasprintf(&t, "%s%s%s", s, i > 0 ? "；" : "", v[i]->label);
		free(s);
		s = t;
	}
	if (n > REPORT_LIST_MAX) {
		xasprintf(&t, "%s 等 %zu 项", s, n);
		free(s);
		s = t;
	}
	return (s);
}

/* The name shown for a scope: a group, or the whole task force. */
static const char *
report_scope_name(const struct group *g)
{
	return (g != NULL ? g->name : "工作专班");
}

/* ------------------------------------------------------------------ */
/* 组长每周调度: one group's week. */

/* Count an item into a set's 签收 and feedback numbers. */
static void
report_acks_add(const struct report *rep, const struct report_item *ri,
    struct report_acks *k)
{
	if (ri->ack != NULL && report_active(&ri->r, rep->at)) {
		if (strcmp(ri->ack, "已签收") == 0)
			k->acked++;
		else
			k->unacked++;
	}
	if (ri->answers != NULL && ri->answers->note != NULL &&
	    ri->answers->note_at >= rep->since &&
	    ri->answers->note_at <= rep->at)
		k->fed++;
}

/* A set's 签收 and feedback numbers for people. */
static void
report_acks_text(const struct report_acks *k, char *buf, size_t len)
{
	snprintf(buf, len, "已签收 %d 项，未签收 %d 项，本期反馈 %d 项",
	    k->acked, k->unacked, k->fed);
}

/* The three number cells of a set's 签收 and feedback (three buffers of
 * 16 bytes). */
static void
report_acks_cells(const struct report_acks *k, char (*n)[16],
    const char **f)
{
	snprintf(n[0], 16, "%d", k->acked);
	snprintf(n[1], 16, "%d", k->unacked);
	snprintf(n[2], 16, "%d", k->fed);
	f[0] = n[0];
	f[1] = n[1];
	f[2] = n[2];
}

/* An item's cells 签收状态, 最新反馈, 反馈时间 (stamp: 32 bytes). */
static void
report_answer_cells(const struct report_item *ri, char *stamp,
    const char **f)
{
	const struct answer_sum	*a = ri->answers;

	f[0] = ri->ack != NULL ? ri->ack : "";
	f[1] = a != NULL && a->note != NULL ? a->note : "";
	report_stamp(a != NULL && a->note != NULL ? a->note_at : 0, stamp, 32);
	f[2] = stamp;
}

/* The columns a table gains with action links (public_url): an item's,
 * and a set's. */
static const char *const report_answer_head[] = { "签收状态", "最新反馈",
    "反馈时间" };
static const enum table_kind report_answer_kinds[] = { TABLE_TEXT,
    TABLE_TEXT, TABLE_TIME };
static const char *const report_acks_head[] = { "已签收", "未签收",
    "本期反馈" };
static const enum table_kind report_acks_kinds[] = { TABLE_NUMBER,
    TABLE_NUMBER, TABLE_NUMBER };

/* Start the table with its n columns and, with action links, the three
 * of more. */
static void
report_table_plus(struct report *rep, const char *const *head,
    const enum table_kind *kinds, size_t n, const char *const *more,
    const enum table_kind *morekinds)
{
	const char	*h[32];
	enum table_kind	 k[32];
	size_t		 i;

	if (rep->conf->public_url == NULL || n + 3 > 32) {
		report_table(rep, head, kinds, n);
		return;
	}
	for (i = 0; i < n; i++) {
		h[i] = head[i];
		k[i] = kinds[i];
	}
	for (i = 0; i < 3; i++) {
		h[n + i] = more[i];
		k[n + i] = morekinds[i];
	}
	report_table(rep, h, k, n + 3);
}

/* One CSV record of the weekly table. */
static void
report_weekly_csv(struct report *rep, const char *group, const char *section,
    const struct report_item *ri)
{
	char		 due[32], done[32], over[16], idle[16], fed[32];
	const char	*f[15];

	report_stamp(ri->r.due_at, due, sizeof due);
	report_stamp(ri->r.done_at, done, sizeof done);
	snprintf(over, sizeof over, "%d", ri->overdue);
	snprintf(idle, sizeof idle, "%d", ri->idle);
	f[0] = group;
	f[1] = section;
	f[2] = ri->r.project_code;
	f[3] = ri->r.project_name != NULL ? ri->r.project_name : "";
	f[4] = ri->r.kind;
	f[5] = ri->r.department;
	f[6] = due;
	f[7] = done;
	f[8] = ri->overdue > 0 ? ri->stage_label : "";
	f[9] = over;
	f[10] = idle;
	f[11] = ri->r.blocked_reason != NULL && ri->r.blocked_at > 0 ?
	    ri->r.blocked_reason : "";
	report_answer_cells(ri, fed, f + 12);
	report_csv(rep, f, 15);
}

/* What the answers of action links add to an item's line: "｜已签收｜
 * 反馈（12-03）：…", empty without public_url. */
static void
report_answers(const struct report_item *ri, char *buf, size_t len)
{
	const struct answer_sum	*a = ri->answers;
	char			 day[16], *note;
	int32_t			 d;
	int			 m, dd;

	*buf = '\0';
	if (ri->ack == NULL && (a == NULL || a->note == NULL))
		return;
	day[0] = '\0';
	if (a != NULL && a->note != NULL) {
		rules_split(a->note_at, &d, NULL);
		calendar_civil(d, NULL, &m, &dd);
		snprintf(day, sizeof day, "%02d-%02d", m, dd);
		note = part_shorten(a->note, 300);
	} else
		note = NULL;
	snprintf(buf, len, "%s%s%s%s%s%s", ri->ack != NULL ? "｜" : "",
	    ri->ack != NULL ? ri->ack : "", note != NULL ? "｜反馈（" : "",
	    note != NULL ? day : "", note != NULL ? "）：" : "",
	    note != NULL ? note : "");
	free(note);
}

/* qsort: longest overdue first. */
static int
report_by_overdue(const void *a, const void *b)
{
	const struct report_item *x = *(struct report_item *const *)a;
	const struct report_item *y = *(struct report_item *const *)b;

	if (x->overdue != y->overdue)
		return (x->overdue > y->overdue ? -1 : 1);
	return (report_by_due(a, b));
}

/* The overdue items of a group (all: every item in scope), longest
 * first, each with its 签收 and latest feedback, one line each starting
 * with bullet, or numbered when bullet is NULL. */
static void
report_overdue_answers(struct report *rep, const struct group *g, int all,
    const char *bullet)
{
	struct report_list	 over = { NULL, 0 };
	struct report_item	*ri;
	char			 c[700], num[32];
	size_t			 i;

	for (i = 0; i < rep->nitems; i++) {
		ri = &rep->items[i];
		if ((all || ri->group == g) && report_overdue(&ri->r, rep->at))
			report_push(&over, ri);
	}
	report_sort(&over, report_by_overdue);
	for (i = 0; i < over.n; i++) {
		ri = over.v[i];
		report_answers(ri, c, sizeof c);
		snprintf(num, sizeof num, "%zu. ", i + 1);
		report_line(rep, L_PLAIN, "%s%s · 逾期 %d 个工作日%s",
		    bullet != NULL ? bullet : num, ri->label, ri->overdue, c);
	}
	free(over.v);
}

/* The digest of one group (NULL: items no group covers). */
static void
report_weekly_group(struct report *rep, const struct group *g, int nested)
{
	struct report_list	 due = { NULL, 0 }, over = { NULL, 0 };
	struct report_list	 done = { NULL, 0 }, idle = { NULL, 0 };
	struct report_list	 blocked = { NULL, 0 };
	struct report_item	*ri;
	const char		*gname = g != NULL ? g->name : "未归组";
	const char		*stage = NULL;
	char			*line;
	int32_t			 today = rep->today, mon, day;
	int64_t			 t0, t1;
	struct report_list	 quiet = { NULL, 0 };
	size_t			 i, k, active = 0, n;
	char			 a[96], b[96], c[700];

	mon = today - report_iso_dow(today);
	t0 = rules_local(mon, 0);
	t1 = rules_local(mon + 7, 0);
	for (i = 0; i < rep->nitems; i++) {
		ri = &rep->items[i];
		if (ri->group != g)
			continue;
		if (report_active(&ri->r, rep->at))
			active++;
		if (report_active(&ri->r, rep->at) && ri->r.due_at >= rep->at &&
		    ri->r.due_at < t1)
			report_push(&due, ri);
		if (report_overdue(&ri->r, rep->at))
			report_push(&over, ri);
		if (ri->r.done_at >= t0 && ri->r.done_at < t1 &&
		    report_done_by(&ri->r, rep->at))
			report_push(&done, ri);
		if (report_active(&ri->r, rep->at) &&
		    ri->idle >= REPORT_STALE_WORKDAYS)
			report_push(&idle, ri);
		if (report_blocked(&ri->r, rep->at))
			report_push(&blocked, ri);
		/* With action links: open items with no 反馈 this week. */
		if (rep->conf->public_url != NULL &&
		    report_active(&ri->r, rep->at) && (ri->answers == NULL ||
		    ri->answers->note_at < t0))
			report_push(&quiet, ri);
	}
	report_sort(&due, report_by_due);
	report_sort(&over, report_by_stage);
	report_sort(&done, report_by_done);
	report_sort(&idle, report_by_idle);
	report_sort(&blocked, report_by_blocked);

	if (nested)
		report_line(rep, L_HEAD, "%s", gname);
	xasprintf(&line, "在办 %zu 项｜本周到期 %zu｜逾期 %zu｜本周办结 %zu｜"
	    "无进展 %zu｜卡点 %zu", active, due.n, over.n, done.n, idle.n,
	    blocked.n);
	report_line(rep, nested ? L_PLAIN : L_NOTE, "%s", line);
	if (!nested)
		report_keep_summary(rep, line);
	free(line);

	if (due.n > 0)
		report_line(rep, nested ? L_SUB : L_HEAD, "一、本周到期（%zu）",
		    due.n);
	for (i = 0; i < due.n; i++) {
		report_when(rep, due.v[i]->r.due_at, a, sizeof a);
		if ((n = report_workdays(rep, rep->at, due.v[i]->r.due_at)) > 0)
			snprintf(b, sizeof b, "，剩 %zu 个工作日", n);
		else
			snprintf(b, sizeof b, "（今日）");
		report_answers(due.v[i], c, sizeof c);
		report_line(rep, L_PLAIN, "%zu. %s · %s 到期%s%s", i + 1,
		    due.v[i]->label, a, b, c);
		report_weekly_csv(rep, gname, "本周到期", due.v[i]);
	}
	if (over.n > 0)
		report_line(rep, nested ? L_SUB : L_HEAD, "二、逾期事项（%zu）",
		    over.n);
	for (i = 0, k = 0; i < over.n; i++, k++) {
		ri = over.v[i];
		if (stage == NULL || strcmp(stage, ri->stage_label) != 0) {
			stage = ri->stage_label;
			for (n = i; n < over.n &&
			    strcmp(over.v[n]->stage_label, stage) == 0; n++)
				;
			report_line(rep, L_PLAIN, "%s %zu 项：", stage, n - i);
			k = 0;
		}
		rules_split(ri->r.due_at, &day, NULL);
		report_day(rep, day, a, sizeof a);
		report_answers(ri, c, sizeof c);
		report_line(rep, L_PLAIN, "%zu. %s · 逾期 %d 个工作日（期限 %s）%s",
		    k + 1, ri->label, ri->overdue, a, c);
		report_weekly_csv(rep, gname, "逾期事项", ri);
	}
	if (done.n > 0)
		report_line(rep, nested ? L_SUB : L_HEAD, "三、本周办结（%zu）",
		    done.n);
	for (i = 0; i < done.n; i++) {
		ri = done.v[i];
		rules_split(ri->r.done_at, &day, NULL);
		report_day(rep, day, a, sizeof a);
		if (ri->r.due_at <= 0)
			snprintf(b, sizeof b, "无期限");
		else if (ri->r.done_at > ri->r.due_at)
			snprintf(b, sizeof b, "逾期 %d 个工作日", report_workdays(
			    rep, ri->r.due_at, ri->r.done_at));
		else if ((n = report_workdays(rep, ri->r.done_at,
		    ri->r.due_at)) > 0)
			snprintf(b, sizeof b, "提前 %zu 个工作日", n);
		else
			snprintf(b, sizeof b, "按期");
		report_line(rep, L_PLAIN, "%zu. %s · %s办结，%s", i + 1,
		    ri->label, a, b);
		report_weekly_csv(rep, gname, "本周办结", ri);
	}
	if (idle.n > 0)
		report_line(rep, nested ? L_SUB : L_HEAD, "四、%d 个工作日以上无"
		    "进展（%zu）", REPORT_STALE_WORKDAYS, idle.n);
	for (i = 0; i < idle.n; i++) {
		ri = idle.v[i];
		rules_split(ri->r.last_progress_at > ri->r.accepted_at ?
		    ri->r.last_progress_at : ri->r.accepted_at, &day, NULL);
		report_day(rep, day, a, sizeof a);
		report_line(rep, L_PLAIN, "%zu. %s · 已 %d 个工作日无进展（最近 "
		    "%s）", i + 1, ri->label, ri->idle, a);
		report_weekly_csv(rep, gname, "无进展", ri);
	}
	if (blocked.n > 0)
		report_line(rep, nested ? L_SUB : L_HEAD, "五、卡点事项（%zu）",
		    blocked.n);
	for (i = 0; i < blocked.n; i++) {
		ri = blocked.v[i];
		rules_split(ri->r.blocked_at, &day, NULL);
		report_day(rep, day, a, sizeof a);
		report_line(rep, L_PLAIN, "%zu. %s · 卡点：%s（自 %s，%d 个工作日）",
		    i + 1, ri->label, ri->r.blocked_reason, a,
		    report_workdays(rep, ri->r.blocked_at, rep->at));
		report_weekly_csv(rep, gname, "卡点事项", ri);
	}
	if (quiet.n > 0)
		report_line(rep, nested ? L_SUB : L_HEAD, "六、本周未反馈进展"
		    "（%zu）", quiet.n);
	report_sort(&quiet, report_by_due);
	for (i = 0; i < quiet.n; i++) {
		ri = quiet.v[i];
		report_line(rep, L_PLAIN, "%zu. %s%s%s", i + 1, ri->label,
		    ri->ack != NULL ? "｜" : "", ri->ack != NULL ? ri->ack : "");
		report_weekly_csv(rep, gname, "本周未反馈", ri);
	}
	free(due.v);
	free(over.v);
	free(done.v);
	free(idle.v);
	free(blocked.v);
	free(quiet.v);
}

/* The weekly digest: one group, or every group in turn. */
static void
report_weekly(struct report *rep)
{
	static const char *const head[] = { "推进组", "栏目", "项目编号",
	    "项目名称", "审批事项", "承办部门", "办理期限", "办结时间",
	    "督办阶段", "逾期工作日", "无进展工作日", "卡点原因" };
	static const enum table_kind kinds[] = { TABLE_TEXT, TABLE_TEXT,
	    TABLE_TEXT, TABLE_TEXT, TABLE_TEXT, TABLE_TEXT, TABLE_TIME,
	    TABLE_TIME, TABLE_TEXT, TABLE_NUMBER, TABLE_NUMBER, TABLE_TEXT };
	int32_t		 mon = rep->today - report_iso_dow(rep->today), thu;
	size_t		 i;
	int		 y;
	char		 a[96], b[96], c[96];

	thu = mon + 3;
	calendar_civil(thu, &y, NULL, NULL);
	xasprintf(&rep->title, "%s%s每周调度（%d年第%d周）",
	    rep->prefix != NULL ? rep->prefix : "",
	    report_scope_name(rep->group), y,
	    (int)((thu - calendar_daynum(y, 1, 1)) / 7 + 1));
	report_table_plus(rep, head, kinds, 12, report_answer_head,
	    report_answer_kinds);
	report_line(rep, L_TITLE, "%s", rep->title);
	report_day(rep, mon, a, sizeof a);
	report_day(rep, mon + 6, b, sizeof b);
	report_when(rep, rep->at, c, sizeof c);
	report_line(rep, L_NOTE, "本周：%s（周一）至 %s（周日），截至 %s", a, b,
	    c);
	if (rep->group != NULL) {
		report_weekly_group(rep, rep->group, 0);
		return;
	}
	for (i = 0; i < rep->conf->ngroups; i++)
		report_weekly_group(rep, &rep->conf->groups[i], 1);
	for (i = 0; i < rep->nitems; i++) {
		if (rep->items[i].group == NULL) {
			report_weekly_group(rep, NULL, 1);
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* 专班每半月: per-group summary and change since the last review. */

/* Count one group's (or everyone's, all = 1) numbers. */
static void
report_review_count(struct report *rep, const struct group *g, int all,
    struct report_review *rv)
{
	struct report_item	*ri;
	size_t			 i;

	memset(rv, 0, sizeof *rv);
	rv->name = all ? "合计" : g != NULL ? g->name : "未归组";
	rv->group = all ? NULL : g;
	for (i = 0; i < rep->nitems; i++) {
		ri = &rep->items[i];
		if (!all && ri->group != g)
			continue;
		rv->active += report_active(&ri->r, rep->at);
		rv->blocked += report_blocked(&ri->r, rep->at);
		report_acks_add(rep, ri, &rv->acks);
		rv->over0 += report_overdue(&ri->r, rep->since);
		if (report_overdue(&ri->r, rep->at)) {
			rv->over++;
			if (!report_overdue(&ri->r, rep->since)) {
				rv->newover = report_room(rv->newover,
				    rv->nnewover, sizeof *rv->newover);
				rv->newover[rv->nnewover++] = ri;
			}
		}
		if (report_done_in(&ri->r, rep->since, rep->at)) {
			rv->done++;
			if (ri->r.due_at > 0 && ri->r.done_at <= ri->r.due_at)
				rv->ontime++;
			rv->newdone = report_room(rv->newdone,
			    rv->nnewdone, sizeof *rv->newdone);
			rv->newdone[rv->nnewdone++] = ri;
		}
	}
	if (rv->nnewover > 1)
		qsort(rv->newover, rv->nnewover, sizeof *rv->newover,
		    report_by_due);
	if (rv->nnewdone > 1)
		qsort(rv->newdone, rv->nnewdone, sizeof *rv->newdone,
		    report_by_done);
}

/* Write one group's (or, total = 1, everyone's) review lines. */
static void
report_review_lines(struct report *rep, const struct report_review *rv,
    int total)
{
	char	 trend[32], *list, *line, acks[160];

	report_trend(rv->over, rv->over0, trend, sizeof trend);
	xasprintf(&line, "在办 %d 项，逾期 %d 项（上期 %d 项，%s），本期办结 %d 项"
	    "（按时 %d 项），卡点 %d 项", rv->active, rv->over, rv->over0, trend,
	    rv->done, rv->ontime, rv->blocked);
	report_keep_summary(rep, line);
	if (total) {
		report_line(rep, L_NOTE, "全部：%s", line);
		free(line);
		return;
	}
	report_line(rep, L_HEAD, "%s", rv->name);
	report_line(rep, L_PLAIN, "- %s", line);
	free(line);
	if (rv->nnewover > 0) {
		list = report_join(rv->newover, rv->nnewover);
		report_line(rep, L_PLAIN, "- 新增逾期 %zu 项：%s", rv->nnewover,
		    list);
		free(list);
	}
	if (rv->nnewdone > 0) {
		list = report_join(rv->newdone, rv->nnewdone);
		report_line(rep, L_PLAIN, "- 本期办结：%s", list);
		free(list);
	}
	if (rep->conf->public_url != NULL) {
		/* With action links: who acknowledged, what they said. */
		report_acks_text(&rv->acks, acks, sizeof acks);
		if (rv->acks.acked + rv->acks.unacked + rv->acks.fed > 0)
			report_line(rep, L_PLAIN, "- 签收与反馈：%s", acks);
		report_overdue_answers(rep, rv->group, 0, "- 逾期：");
	}
}

/* Write one group's (or the total's) CSV record. */
static void
report_review_record(struct report *rep, const struct report_review *rv)
{
	const char	*f[12];
	char		 n[7][16], trend[32], k[3][16];

	report_trend(rv->over, rv->over0, trend, sizeof trend);
	snprintf(n[0], sizeof n[0], "%d", rv->active);
	snprintf(n[1], sizeof n[1], "%d", rv->over);
	snprintf(n[2], sizeof n[2], "%d", rv->over0);
	snprintf(n[3], sizeof n[3], "%zu", rv->nnewover);
	snprintf(n[4], sizeof n[4], "%d", rv->done);
	snprintf(n[5], sizeof n[5], "%d", rv->ontime);
	snprintf(n[6], sizeof n[6], "%d", rv->blocked);
	f[0] = rv->name;
	f[1] = n[0];
	f[2] = n[1];
	f[3] = n[2];
	f[4] = n[3];
	f[5] = trend;
	f[6] = n[4];
	f[7] = n[5];
	f[8] = n[6];
	report_acks_cells(&rv->acks, k, f + 9);
	report_csv(rep, f, 12);
}

/* The half-monthly review. */
static void
report_review(struct report *rep)
{
	static const char *const head[] = { "推进组", "在办", "逾期",
	    "上期逾期", "新增逾期", "趋势", "本期办结", "其中按时", "卡点" };
	static const enum table_kind kinds[] = { TABLE_TEXT, TABLE_NUMBER,
	    TABLE_NUMBER, TABLE_NUMBER, TABLE_NUMBER, TABLE_TEXT, TABLE_NUMBER,
	    TABLE_NUMBER, TABLE_NUMBER };
	struct report_review	*rows = NULL, total;
	size_t			 i, n = 0;
	int			 y, m, d;
	char			 a[96], b[96];

	calendar_civil(rep->today, &y, &m, &d);
	xasprintf(&rep->title, "%s%s半月调度（%d年%d月%d日）",
	    rep->prefix != NULL ? rep->prefix : "",
	    report_scope_name(rep->group), y, m, d);
	report_table_plus(rep, head, kinds, 9, report_acks_head,
	    report_acks_kinds);
	report_line(rep, L_TITLE, "%s", rep->title);
	report_when(rep, rep->since, a, sizeof a);
	report_when(rep, rep->at, b, sizeof b);
	report_line(rep, L_NOTE, "本期：%s 至 %s（“上期”指期初情况）", a, b);

	rows = xcalloc(rep->conf->ngroups + 1, sizeof *rows);
	for (i = 0; i < rep->conf->ngroups; i++) {
		if (rep->group != NULL && &rep->conf->groups[i] != rep->group)
			continue;
		report_review_count(rep, &rep->conf->groups[i], 0, &rows[n++]);
	}
	for (i = 0; rep->group == NULL && i < rep->nitems; i++) {
		if (rep->items[i].group == NULL) {
			report_review_count(rep, NULL, 0, &rows[n++]);
			break;
		}
	}
	report_review_count(rep, NULL, 1, &total);
	if (rep->group == NULL)
		report_review_lines(rep, &total, 1);
	for (i = 0; i < n; i++) {
		report_review_lines(rep, &rows[i], 0);
		report_review_record(rep, &rows[i]);
	}
	if (rep->group == NULL)
		report_review_record(rep, &total);
	for (i = 0; i < n; i++) {
		free(rows[i].newover);
		free(rows[i].newdone);
	}
	free(rows);
	free(total.newover);
	free(total.newdone);
}

/* ------------------------------------------------------------------ */
/* 定期通报: rankings, commendations and the units lagging behind. */

/* Find or add a unit by name. */
static struct report_unit *
report_unit(struct report_unit **v, size_t *n, const char *name)
{
	size_t	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*v)[i].name, name) == 0)
			return (&(*v)[i]);
	}
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	memset(&(*v)[*n], 0, sizeof **v);
	(*v)[*n].name = name;
	return (&(*v)[(*n)++]);
}

/* Compare two on-time rates ontime/done exactly (done > 0). */
static int
report_rate_cmp(const struct report_unit *x, const struct report_unit *y)
{
	long long	 a = (long long)x->ontime * y->done;
	long long	 b = (long long)y->ontime * x->done;

	return (a > b ? -1 : a < b);
}

/* qsort: the ranking -- units with completions by on-time rate, then
 * fewer overdue, more done; units without completions after them. */
static int
report_unit_rank(const void *a, const void *b)
{
	const struct report_unit	*x = a, *y = b;
	int				 c;

	if ((x->done > 0) != (y->done > 0))
		return (x->done > 0 ? -1 : 1);
	if (x->done > 0 && (c = report_rate_cmp(x, y)) != 0)
		return (c);
	if (x->over != y->over)
		return (x->over < y->over ? -1 : 1);
	if (x->done != y->done)
		return (x->done > y->done ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* qsort: most on-time completions first, then most early. */
static int
report_unit_praise(const void *a, const void *b)
{
	const struct report_unit	*x = a, *y = b;

	if (x->ontime != y->ontime)
		return (x->ontime > y->ontime ? -1 : 1);
	if (x->early != y->early)
		return (x->early > y->early ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* qsort: most overdue first, then the longest overdue. */
static int
report_unit_lag(const void *a, const void *b)
{
	const struct report_unit	*x = a, *y = b;

	if (x->over != y->over)
		return (x->over > y->over ? -1 : 1);
	if (x->maxover != y->maxover)
		return (x->maxover > y->maxover ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* A unit's on-time rate for people and tables: "75.0%" or "—". */
static void
report_rate(const struct report_unit *u, char *buf, size_t len)
{
	if (u->done == 0)
		snprintf(buf, len, "—");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * u->ontime / u->done);
}

/* Write one ranking, lines and records, of the units with something open
 * or done (the caller's array is left as it was). */
static void
report_ranking(struct report *rep, const char *what,
    const struct report_unit *units, size_t nunits)
{
	struct report_unit	*v;
	const char		*f[10];
	char			 rank[32], done[16], ontime[16], rate[16];
	char			 over[16], k[3][16];
	size_t			 i, n = 0;

	v = xcalloc(nunits + 1, sizeof *v);
	for (i = 0; i < nunits; i++) {
		if (units[i].done > 0 || units[i].over > 0 ||
		    units[i].active > 0)
			v[n++] = units[i];
	}
	if (n > 1)
		qsort(v, n, sizeof *v, report_unit_rank);
	for (i = 0; i < n; i++) {
		report_rate(&v[i], rate, sizeof rate);
		report_line(rep, L_PLAIN, "%zu. %s：按时办结率 %s（办结 %d 项，"
		    "按时 %d 项），逾期 %d 项", i + 1, v[i].name, rate,
		    v[i].done, v[i].ontime, v[i].over);
		snprintf(rank, sizeof rank, "%zu", i + 1);
		snprintf(done, sizeof done, "%d", v[i].done);
		snprintf(ontime, sizeof ontime, "%d", v[i].ontime);
		snprintf(over, sizeof over, "%d", v[i].over);
		f[0] = what;
		f[1] = rank;
		f[2] = v[i].name;
		f[3] = done;
		f[4] = ontime;
		f[5] = rate;
		f[6] = over;
		report_acks_cells(&v[i].acks, k, f + 7);
		report_csv(rep, f, 10);
	}
	if (n == 0)
		report_line(rep, L_PLAIN, "本期无可排名单位。");
	free(v);
}

/* The bulletin. */
static void
report_bulletin(struct report *rep)
{
	static const char *const head[] = { "类别", "名次", "单位", "办结",
	    "按时办结", "按时办结率", "逾期" };
	static const enum table_kind kinds[] = { TABLE_TEXT, TABLE_NUMBER,
	    TABLE_TEXT, TABLE_NUMBER, TABLE_NUMBER, TABLE_PERCENT,
	    TABLE_NUMBER };
	struct report_unit	*regions = NULL, *depts = NULL, *u, *lag, all;
	struct report_item	*ri;
	const struct report_item **mine;
	size_t			 nregions = 0, ndepts = 0, i, j, k, nmine, nlag;
	int			 y, m, d, early;
	int32_t			 day;
	char			 a[64], b[64], rate[16], acks[160], *s, *t;

	calendar_civil(rep->today, &y, &m, &d);
	xasprintf(&rep->title, "%s%s审批事项办理情况通报（%d年%d月%d日）",
	    rep->prefix != NULL ? rep->prefix : "",
	    rep->group != NULL ? rep->group->name : "", y, m, d);
	report_table_plus(rep, head, kinds, 7, report_acks_head,
	    report_acks_kinds);

	memset(&all, 0, sizeof all);
	for (i = 0; i < rep->nitems; i++) {
		ri = &rep->items[i];
		for (k = 0; k < 3; k++) {
			u = k == 0 ? report_unit(&depts, &ndepts,
			    ri->r.department) : k == 1 ? report_unit(&regions,
			    &nregions, ri->region) : &all;
			u->active += report_active(&ri->r, rep->at);
			report_acks_add(rep, ri, &u->acks);
			if (report_overdue(&ri->r, rep->at)) {
				u->over++;
				if (ri->overdue > u->maxover)
					u->maxover = ri->overdue;
			}
			if (ri->r.due_at <= 0 || !report_done_in(&ri->r,
			    rep->since, rep->at))
				continue;
			u->done++;
			if (ri->r.done_at <= ri->r.due_at) {
				u->ontime++;
				u->early += report_workdays(rep, ri->r.done_at,
				    ri->r.due_at) > 0;
			}
		}
	}

	rules_split(rep->since, &day, NULL);
	report_day(rep, day, a, sizeof a);
	report_day(rep, rep->today, b, sizeof b);
	report_line(rep, L_TITLE, "%s", rep->title);
	report_line(rep, L_PLAIN, "现将%s至%s%s重点项目开复工前期审批事项办理"
	    "情况通报如下：", a, b, report_scope_name(rep->group));
	report_line(rep, L_HEAD, "一、总体情况");
	report_rate(&all, rate, sizeof rate);
	xasprintf(&s, "本期共办结审批事项 %d 项，其中按时办结 %d 项（提前办结 %d "
	    "项），按时办结率 %s；截至%s，在办 %d 项，逾期未办结 %d 项。",
	    all.done, all.ontime, all.early, rate, b, all.active, all.over);
	report_line(rep, L_PLAIN, "%s", s);
	report_keep_summary(rep, s);
	free(s);

	report_line(rep, L_HEAD, "二、各区域办理情况排名");
	report_ranking(rep, "区域", regions, nregions);
	report_line(rep, L_HEAD, "三、各承办部门办理情况排名");
	report_ranking(rep, "部门", depts, ndepts);

	/* Commended: departments with on-time completions, named items. */
	report_line(rep, L_HEAD, "四、通报表扬");
	if (ndepts > 1)
		qsort(depts, ndepts, sizeof *depts, report_unit_praise);
	mine = xcalloc(rep->nitems + 1, sizeof *mine);
	for (i = 0, k = 0; i < ndepts && depts[i].ontime > 0; i++) {
		if (k++ == 0)
			report_line(rep, L_PLAIN, "以下单位在本期按时或提前办结审批"
			    "事项，予以通报表扬：");
		for (j = 0, nmine = 0; j < rep->nitems; j++) {
			ri = &rep->items[j];
			if (strcmp(ri->r.department, depts[i].name) == 0 &&
			    ri->r.due_at > 0 && report_done_in(&ri->r,
			    rep->since, rep->at) && ri->r.done_at <=
			    ri->r.due_at)
				mine[nmine++] = ri;
		}
		s = xstrdup("");
		for (j = 0; j < nmine && j < REPORT_LIST_MAX; j++) {
			early = report_workdays(rep, mine[j]->r.done_at,
			    mine[j]->r.due_at);
			if (early > 0)
				snprintf(a, sizeof a, "提前 %d 个工作日", early);
			else
				snprintf(a, sizeof a, "按期");
			xasprintf(&t, "%s%s%s %s（%s）", s, j > 0 ? "；" : "",
			    mine[j]->r.project_code, mine[j]->r.kind, a);
			free(s);
			s = t;
		}
		report_line(rep, L_PLAIN, "%zu. %s：按时办结 %d 项（其中提前 %d "
		    "项）—— %s%s", k, depts[i].name, depts[i].ontime,
		    depts[i].early, s, nmine > REPORT_LIST_MAX ? " 等" : "");
		free(s);
	}
	free(mine);
	if (k == 0)
		report_line(rep, L_PLAIN, "本期无按时办结事项。");

	/* Lagging: departments with overdue items, most first. */
	report_line(rep, L_HEAD, "五、工作滞后单位");
	lag = xcalloc(ndepts + 1, sizeof *lag);
	for (i = 0, nlag = 0; i < ndepts; i++) {
		if (depts[i].over > 0)
			lag[nlag++] = depts[i];
	}
	if (nlag > 1)
		qsort(lag, nlag, sizeof *lag, report_unit_lag);
	if (nlag > 0)
		report_line(rep, L_PLAIN, "以下单位存在逾期未办结事项，予以通报：");
	for (i = 0; i < nlag; i++)
		report_line(rep, L_PLAIN, "%zu. %s：逾期 %d 项，最长逾期 %d 个工作日",
		    i + 1, lag[i].name, lag[i].over, lag[i].maxover);
	if (nlag == 0)
		report_line(rep, L_PLAIN, "本期无逾期未办结事项。");
	if (rep->conf->public_url != NULL) {
		/* With action links: 签收 and the latest 反馈 of the overdue. */
		report_line(rep, L_HEAD, "六、签收与反馈情况");
		report_acks_text(&all.acks, acks, sizeof acks);
		report_line(rep, L_PLAIN, "截至%s，在办事项%s%s", b, acks,
		    all.over > 0 ? "。逾期未办结事项的签收与最新反馈：" : "。");
		report_overdue_answers(rep, NULL, 1, NULL);
	}
	report_line(rep, L_PLAIN, "%s", "");
	report_line(rep, L_PLAIN, "受到表扬的单位要再接再厉；存在逾期事项的单位"
	    "要对照清单逐项明确办结时限，尽快办结，并将整改情况报工作专班。");
	free(lag);
	free(regions);
	free(depts);
}

/* ------------------------------------------------------------------ */
/* 联席会议: the joint meeting's agenda. */

/* One CSV record of the agenda table. */
static void
report_agenda_csv(struct report *rep, const char *section,
    const struct report_item *ri, int64_t since)
{
	char		 from[32], due[32], days[16], fed[32];
	const char	*f[13];

	report_stamp(since, from, sizeof from);
	report_stamp(ri->r.due_at, due, sizeof due);
	snprintf(days, sizeof days, "%d", report_workdays(rep, since,
	    rep->at));
	f[0] = section;
	f[1] = ri->r.project_code;
	f[2] = ri->r.project_name != NULL ? ri->r.project_name : "";
	f[3] = ri->r.kind;
	f[4] = ri->r.department;
	f[5] = ri->group != NULL ? ri->group->name : "";
	f[6] = ri->r.blocked_reason != NULL ? ri->r.blocked_reason : "";
	f[7] = from;
	f[8] = days;
	f[9] = due;
	report_answer_cells(ri, fed, f + 10);
	report_csv(rep, f, 13);
}

/* The agenda: blocked items longest first, then items raised. */
static void
report_agenda(struct report *rep)
{
	static const char *const head[] = { "议题", "项目编号", "项目名称",
	    "审批事项", "承办部门", "推进组", "原因", "起始时间", "已历工作日",
	    "办理期限" };
	static const enum table_kind kinds[] = { TABLE_TEXT, TABLE_TEXT,
	    TABLE_TEXT, TABLE_TEXT, TABLE_TEXT, TABLE_TEXT, TABLE_TEXT,
	    TABLE_TIME, TABLE_NUMBER, TABLE_TIME };
	struct report_list	 blocked = { NULL, 0 }, raised = { NULL, 0 };
	struct report_item	*ri;
	size_t			 i;
	int			 y, m, d;
	int32_t			 day;
	char			 a[96], b[96], c[700], *s;

	for (i = 0; i < rep->nitems; i++) {
		ri = &rep->items[i];
		if (report_raised(&ri->r, rep->at))
			report_push(&raised, ri);
		else if (report_blocked(&ri->r, rep->at))
			report_push(&blocked, ri);
	}
	report_sort(&blocked, report_by_blocked);
	report_sort(&raised, report_by_raised);

	calendar_civil(rep->today, &y, &m, &d);
	xasprintf(&rep->title, "%s%s联席会议议题（%d年%d月%d日）",
	    rep->prefix != NULL ? rep->prefix : "",
	    rep->group != NULL ? rep->group->name : "", y, m, d);
	report_table_plus(rep, head, kinds, 10, report_answer_head,
	    report_answer_kinds);
	report_line(rep, L_TITLE, "%s", rep->title);
	report_when(rep, rep->at, a, sizeof a);
	xasprintf(&s, "难点堵点 %zu 项，提级事项 %zu 项，截至 %s", blocked.n,
	    raised.n, a);
	report_line(rep, L_NOTE, "%s", s);
	report_keep_summary(rep, s);
	free(s);

	report_line(rep, L_HEAD, "一、难点堵点事项（按卡点时长排序）");
	for (i = 0; i < blocked.n; i++) {
		ri = blocked.v[i];
		rules_split(ri->r.blocked_at, &day, NULL);
		report_day(rep, day, a, sizeof a);
		report_answers(ri, c, sizeof c);
		report_line(rep, L_PLAIN, "%zu. %s%s%s —— 卡点：%s；自 %s 起已 %d "
		    "个工作日%s", i + 1, ri->label, ri->group != NULL ? " · " :
		    "", ri->group != NULL ? ri->group->name : "",
		    ri->r.blocked_reason, a,
		    report_workdays(rep, ri->r.blocked_at, rep->at), c);
		report_agenda_csv(rep, "难点堵点", ri, ri->r.blocked_at);
	}
	if (blocked.n == 0)
		report_line(rep, L_PLAIN, "无。");

	report_line(rep, L_HEAD, "二、提级事项（提请市政府协调）");
	for (i = 0; i < raised.n; i++) {
		ri = raised.v[i];
		rules_split(ri->r.raised_at, &day, NULL);
		report_day(rep, day, a, sizeof a);
		snprintf(b, sizeof b, "%d", report_workdays(rep, ri->r.raised_at,
		    rep->at));
		report_answers(ri, c, sizeof c);
		report_line(rep, L_PLAIN, "%zu. %s%s%s —— %s提级%s%s%s", i + 1,
		    ri->label, ri->group != NULL ? " · " : "",
		    ri->group != NULL ? ri->group->name : "", a,
		    ri->r.blocked_reason != NULL ? "；事由：" : "",
		    ri->r.blocked_reason != NULL ? ri->r.blocked_reason : "",
		    c);
		report_agenda_csv(rep, "提级事项", ri, ri->r.raised_at);
	}
	if (raised.n == 0)
		report_line(rep, L_PLAIN, "无。");
	free(blocked.v);
	free(raised.v);
}

/* ------------------------------------------------------------------ */
/* Rendering and splitting. */

/* The sheet of a report type's workbook. */
static const char *
report_sheet(enum report_type t)
{
	static const char *const names[] = {
		[REPORT_WEEKLY] = "组长每周调度", [REPORT_REVIEW] = "专班每半月",
		[REPORT_BULLETIN] = "定期通报", [REPORT_AGENDA] = "联席会议",
	};

	return (names[t]);
}

/* Write the table as the output: CSV, or the workbook (its creation time
 * the report's "as of", so the same report gives the same bytes); -1
 * when the workbook cannot be written (logged). */
static int
report_table_out(struct report *rep)
{
	char	*err;

	if (rep->out == OUT_CSV) {
		rep->buf = table_csv(rep->table, &rep->len);
		return (0);
	}
	if (xlsx_write(rep->table, report_sheet(rep->rc->type), rep->title,
	    rep->at, &rep->buf, &rep->len, &err) != 0) {
		log_warnx("report %s: %s", rep->rc->name, err);
		free(err);
		table_free(rep->table);
		return (-1);
	}
	return (0);
}

/* Render in any flavour; -1 on a store error, -2 when the workbook
 * cannot be written.  With tablep (CSV), the table itself is handed over
 * instead of its text, for a writer that sends it a part at a time. */
static int
report_make(const struct config *conf, struct store *s,
    const struct report_conf *rc, const struct group *group, int64_t at,
    int64_t since, enum report_out out, const char *prefix, char **title,
    char **text, size_t *len, char **summary, struct table **tablep)
{
	struct report	 rep;
	int64_t		 lower;
	int32_t		 mon;

	memset(&rep, 0, sizeof rep);
	rep.conf = conf;
	rep.cal = conf->calendar;
	rep.rc = rc;
	rep.group = group != NULL ? group : rc->group != NULL ?
	    config_group(conf, rc->group) : NULL;
	rep.at = at;
	rep.since = since > 0 ? since : report_since(rc, conf->calendar, at);
	rep.out = out;
	rep.prefix = prefix;
	rules_split(at, &rep.today, NULL);
	calendar_civil(rep.today, &rep.year, NULL, NULL);

	/* Done items matter from the earlier of the period and the week. */
	mon = rep.today - report_iso_dow(rep.today);
	lower = rules_local(mon, 0);
	if (rep.since < lower)
		lower = rep.since;
	if ((conf->public_url != NULL && store_answer_sums(s, at, &rep.sums,
	    &rep.nsums) != 0) ||
	    store_items_report(s, lower, report_collect, &rep) != 0) {
		report_items_free(&rep);
		answer_sums_free(rep.sums, rep.nsums);
		return (-1);
	}
	switch (rc->type) {
	case REPORT_WEEKLY:
		report_weekly(&rep);
		break;
	case REPORT_REVIEW:
		report_review(&rep);
		break;
	case REPORT_BULLETIN:
		report_bulletin(&rep);
		break;
	case REPORT_AGENDA:
		report_agenda(&rep);
		break;
	}
	report_items_free(&rep);
	answer_sums_free(rep.sums, rep.nsums);
	if (summary != NULL && rep.summary == NULL && rep.table != NULL)
		xasprintf(&rep.summary, "表格共 %zu 行",
		    table_nrows(rep.table));
	if (tablep != NULL) {
		*tablep = rep.table;
		rep.table = NULL;
	}
	if (rep.table != NULL && report_table_out(&rep) != 0) {
		free(rep.title);
		free(rep.summary);
		return (-2);
	}
	if (summary != NULL)
		*summary = rep.summary;
	else
		free(rep.summary);
	/* No trailing blank lines in chat text. */
	while (rep.table == NULL && rep.len > 0 &&
	    rep.buf[rep.len - 1] == '\n')
		rep.buf[--rep.len] = '\0';
	table_free(rep.table);
	if (rep.buf == NULL)
		report_addn(&rep, "", 0);
	*title = rep.title;
	*text = rep.buf;
	*len = rep.len;
	return (0);
}

/* Render a report as markdown, plain text or CSV. */
int
report_render(const struct config *conf, struct store *s,
    const struct report_conf *rc, const struct group *group, int64_t at,
    int64_t since, enum report_format fmt, const char *prefix, char **title,
    char **text, size_t *len)
{
	enum report_out	 out;

	out = fmt == REPORT_CSV ? OUT_CSV : fmt == REPORT_XLSX ? OUT_XLSX :
	    fmt == REPORT_TEXT ? OUT_TEXT : OUT_MARKDOWN;
	return (report_make(conf, s, rc, group, at, since, out, prefix, title,
	    text, len, NULL, NULL));
}

/*
 * Render a report's table, as its CSV would hold it, for a writer that
 * sends it a part at a time (table_csv_part()): -1 on a store error.
 * *table is NULL when the report has no table; *text is then its text.
 */
int
report_render_table(const struct config *conf, struct store *s,
    const struct report_conf *rc, const struct group *group, int64_t at,
    int64_t since, char **title, struct table **table, char **text,
    size_t *len)
{
	*table = NULL;
	return (report_make(conf, s, rc, group, at, since, OUT_CSV, NULL,
	    title, text, len, NULL, table));
}

/* Cut a report into parts of at most max bytes at line boundaries by the
 * one splitting rule (part.c); each part repeats the heading (the first
 * line) with a " (i/n)" marker. */
void
report_split(const char *title, const char *text, size_t max,
    struct msg_part **partsp, size_t *nparts)
{
	struct msg_part	*parts;
	const char	*nl, *body, **at;
	size_t		 len = strlen(text), headlen, room, rest, n = 0, i;
	size_t		*cut;
	char		*head, *s;

	if (len <= part_room(max, "")) {
		parts = xcalloc(1, sizeof *parts);
		parts[0].title = xstrdup(title);
		parts[0].text = xstrdup(text);
		*partsp = parts;
		*nparts = 1;
		return;
	}
	nl = strchr(text, '\n');
	headlen = nl != NULL ? (size_t)(nl - text) : 0;
	body = nl != NULL ? nl + 1 : text;
	xasprintf(&head, "%.*s%s\n", (int)headlen, text, PART_MARK);
	room = part_room(max, head);

	at = NULL;
	cut = NULL;
	rest = strlen(body);
	while (rest > 0) {
		while (rest > 0 && *body == '\n') {
			body++;
			rest--;
		}
		if (rest == 0)
			break;
		at = xreallocarray(at, n + 1, sizeof *at);
		cut = xreallocarray(cut, n + 1, sizeof *cut);
		at[n] = body;
		cut[n] = part_cut(body, rest, room);
		body += cut[n];
		rest -= cut[n];
		while (cut[n] > 0 && at[n][cut[n] - 1] == '\n')
			cut[n]--;
		n++;
	}
	parts = xcalloc(n ? n : 1, sizeof *parts);
	for (i = 0; i < n; i++) {
		xasprintf(&s, "%s%s", title, PART_MARK);
		parts[i].title = part_mark(s, i + 1, n);
		free(s);
		xasprintf(&s, "%s%.*s", head, (int)cut[i], at[i]);
		parts[i].text = part_mark(s, i + 1, n);
		free(s);
	}
	free(head);
	free(at);
	free(cut);
	*partsp = parts;
	*nparts = n;
}

/* The flavour a channel reads: plain text for text-format channels and
 * Feishu posts, lark_md for Feishu cards, else markdown. */
static enum report_out
report_channel_out(const struct channel *ch)
{
	if (ch->format == FORMAT_TEXT || ch->format == FORMAT_POST)
		return (OUT_TEXT);
	if (ch->type == CHANNEL_FEISHU)
		return (OUT_LARK);
	return (OUT_MARKDOWN);
}

/*
 * A report rendered for its channels and not yet queued: what
 * report_prepare() renders (reading only) and report_post_queue() queues
 * (writing only), so that a caller can render outside its write
 * transaction (a thread of its own, a snapshot) and queue in a short one.
 * Each message is a text, or a file sent after its text.
 */
struct report_msg {
	char		*channel;
	char		*title;
	char		*text;
	char		*name;		/* a file's, else NULL */
	char		*data;
	size_t		 len;
};

struct report_post {
	struct report_msg	*msgs;
	size_t			 n;
};

static void
report_post_add(struct report_post *p, const char *channel, char *title,
    char *text, char *name, char *data, size_t len)
{
	struct report_msg	*m;

	p->msgs = xreallocarray(p->msgs, p->n + 1, sizeof *p->msgs);
	m = &p->msgs[p->n++];
	m->channel = xstrdup(channel);
	m->title = title;
	m->text = text;
	m->name = name;
	m->data = data;
	m->len = len;
}

/* Free a rendered report. */
void
report_post_free(struct report_post *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->msgs[i].channel);
		free(p->msgs[i].title);
		free(p->msgs[i].text);
		free(p->msgs[i].name);
		free(p->msgs[i].data);
	}
	free(p->msgs);
	free(p);
}

/*
 * Render a report for a WeCom chat as its workbook (attach = "xlsx"): a
 * short text (the title, the headline numbers, the file's name), then the
 * file, its bytes kept with the message until it is posted.  0 or -1.
 */
static int
report_prepare_file(const struct config *conf, struct store *s,
    const struct report_conf *rc, const struct group *group, int64_t at,
    int64_t since, const char *prefix, const struct channel *ch,
    struct report_post *post, struct api_error *e)
{
	char	*title, *data, *summary, *name, *text, *p, why[160];
	size_t	 len;
	int	 rc2;

	if ((rc2 = report_make(conf, s, rc, group, at, since, OUT_XLSX, prefix,
	    &title, &data, &len, &summary, NULL)) != 0) {
		if (rc2 == -2)
			api_error_set(e, 500, NULL, "report '%s': cannot write "
			    "the workbook (see the daemon's log)", rc->name);
		else
			api_error_set(e, 500, NULL, "database error: %s",
			    store_error(s));
		return (-1);
	}
	if (media_check_size(len, why, sizeof why) != 0) {
		api_error_set(e, 413, NULL, "report '%s': %s", rc->name, why);
		free(title);
		free(data);
		free(summary);
		return (-1);
	}
	xasprintf(&name, "%s.xlsx", title);
	for (p = name; *p != '\0'; p++) {
		if (strchr("/\\:*?\"<>|", *p) != NULL)
			*p = '_';
	}
	if (report_channel_out(ch) == OUT_TEXT)
		xasprintf(&text, "%s\n%s\n附件：%s", title, summary, name);
	else
		xasprintf(&text, "## %s\n> %s\n\n附件：%s", title, summary, name);
	report_post_add(post, ch->name, xstrdup(title), text, NULL, NULL, 0);
	report_post_add(post, ch->name, title, NULL, name, data, len);
	free(summary);
	return (0);
}

/* Render a report for one channel; 0 or -1. */
static int
report_prepare_one(const struct config *conf, struct store *s,
    const struct report_conf *rc, const struct group *group, int64_t at,
    int64_t since, const char *prefix, const char *chname,
    struct report_post *post, struct api_error *e)
{
	const struct channel	*ch = config_channel(conf, chname);
	struct msg_part		*parts;
	size_t			 nparts, i, len;
	char			*title, *text;

	if (ch == NULL) {
		api_error_set(e, 409, "channel", "report '%s': no channel '%s'",
		    rc->name, chname);
		return (-1);
	}
	if (rc->attach == REPORT_ATTACH_XLSX && ch->type == CHANNEL_WECOM)
		return (report_prepare_file(conf, s, rc, group, at, since,
		    prefix, ch, post, e));
	if (report_make(conf, s, rc, group, at, since, report_channel_out(ch),
	    prefix, &title, &text, &len, NULL, NULL) != 0) {
		api_error_set(e, 500, NULL, "database error: %s",
		    store_error(s));
		return (-1);
	}
	report_split(title, text, channel_max_bytes(ch), &parts, &nparts);
	for (i = 0; i < nparts; i++) {
		report_post_add(post, ch->name, parts[i].title, parts[i].text,
		    NULL, NULL, 0);
		parts[i].title = parts[i].text = NULL;
	}
	message_parts_free(parts, nparts);
	free(title);
	free(text);
	return (0);
}

/*
 * Render a report for its channels, reading only.  A built-in report (no
 * channels) goes to the group's chat, or the head's; the built-in weekly
 * digest for no group goes to every group's own chat, each its own
 * digest.  0 and *postp, or -1 with e set.
 */
int
report_prepare(const struct config *conf, struct store *s,
    const struct report_conf *rc, const struct group *group, int64_t at,
    int64_t since, const char *prefix, struct report_post **postp,
    struct api_error *e)
{
	struct report_post	*post;
	const struct group	*g;
	const char		*ch;
	size_t			 i;
	int			 rc2 = 0;

	*postp = NULL;
	post = xcalloc(1, sizeof *post);
	g = group != NULL ? group : rc->group != NULL ? config_group(conf,
	    rc->group) : NULL;
	if (rc->nchannels > 0) {
		for (i = 0; i < rc->nchannels && rc2 == 0; i++)
			rc2 = report_prepare_one(conf, s, rc, g, at, since,
			    prefix, rc->channels[i], post, e);
	} else if (rc->type == REPORT_WEEKLY && g == NULL &&
	    conf->ngroups > 0) {
		for (i = 0; i < conf->ngroups && rc2 == 0; i++)
			rc2 = report_prepare_one(conf, s, rc, &conf->groups[i],
			    at, since, prefix, conf->groups[i].channel, post, e);
	} else {
		ch = g != NULL ? g->channel : conf->head_channel != NULL ?
		    conf->head_channel : conf->admin_channel;
		if (ch == NULL) {
			api_error_set(e, 409, "name", "report '%s' has no "
			    "channel to go to: configure it under 'reports' or"
			    " set head_channel", rc->name);
			rc2 = -1;
		} else
			rc2 = report_prepare_one(conf, s, rc, g, at, since,
			    prefix, ch, post, e);
	}
	if (rc2 != 0) {
		report_post_free(post);
		return (-1);
	}
	*postp = post;
	return (0);
}

/* Queue a rendered report, in the caller's transaction: messages queued
 * or -1 with e set. */
int
report_post_queue(const struct config *conf, struct store *s,
    const struct report_post *post, int64_t now, struct api_error *e)
{
	const struct report_msg	*m;
	size_t			 i;

	for (i = 0; i < post->n; i++) {
		m = &post->msgs[i];
		if ((m->name == NULL ? enqueue_text(conf, s, m->channel,
		    "report", m->title, m->text, "info", now) :
		    enqueue_file(conf, s, m->channel, "report", m->title,
		    m->name, m->data, m->len, now)) != 0) {
			api_error_set(e, 500, NULL, "database error: %s",
			    store_error(s));
			return (-1);
		}
	}
	return ((int)post->n);
}

/* Render and queue a report for its channels, in the caller's
 * transaction; messages queued or -1 with e set. */
int
report_send(const struct config *conf, struct store *s,
    const struct report_conf *rc, const struct group *group, int64_t at,
    int64_t since, const char *prefix, int64_t now, struct api_error *e)
{
	struct report_post	*post;
	int			 n;

	if (report_prepare(conf, s, rc, group, at, since, prefix, &post,
	    e) != 0)
		return (-1);
	n = report_post_queue(conf, s, post, now, e);
	report_post_free(post);
	return (n);
}
