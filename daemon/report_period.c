/*
 * The period arithmetic of scheduled reports, pure, on day numbers and the
 * working-day calendar: which period a time falls in, its key in the
 * reports table, and when it is due (a day off moves it to the next
 * working day); and the words of report types and schedules that the
 * configuration uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

static const char *const report_type_names[] = {
	[REPORT_WEEKLY] = "weekly",
	[REPORT_REVIEW] = "review",
	[REPORT_BULLETIN] = "bulletin",
	[REPORT_AGENDA] = "agenda",
};
static const char *const report_schedule_names[] = {
	[REPORT_SCHED_WEEKLY] = "weekly",
	[REPORT_SCHED_BIWEEKLY] = "biweekly",
	[REPORT_SCHED_SEMIMONTHLY] = "semimonthly",
	[REPORT_SCHED_MONTHLY] = "monthly",
};

/* ------------------------------------------------------------------ */
/* Names and lookups. */

/* The configuration word of a report type. */
const char *
report_type_name(enum report_type t)
{
	return (report_type_names[t]);
}

/* Parse a report type word; -1 if unknown. */
int
report_type_parse(const char *s, enum report_type *t)
{
	size_t	 i;

	for (i = 0; i < sizeof report_type_names / sizeof *report_type_names;
	    i++) {
		if (strcmp(report_type_names[i], s) == 0) {
			*t = (enum report_type)i;
			return (0);
		}
	}
	return (-1);
}

/* Parse a schedule word; -1 if unknown. */
int
report_schedule_parse(const char *s, enum report_schedule *sc)
{
	size_t	 i;

	for (i = 0; i < sizeof report_schedule_names /
	    sizeof *report_schedule_names; i++) {
		if (report_schedule_names[i] != NULL &&
		    strcmp(report_schedule_names[i], s) == 0) {
			*sc = (enum report_schedule)i;
			return (0);
		}
	}
	return (-1);
}

/* ------------------------------------------------------------------ */
/* Period arithmetic: pure, on day numbers and the calendar. */

/* A period: the days [start, end) and the day its report is due on
 * before moving off days ("nominal"). */
struct report_period {
	int32_t	 start;
	int32_t	 end;
	int32_t	 nominal;
};

/* Days since the Monday of a day's week (Monday 0 .. Sunday 6). */
int
report_iso_dow(int32_t day)
{
	return ((calendar_weekday(day) + 6) % 7);
}

/* Floor division for day arithmetic before an anchor. */
static int32_t
report_floordiv(int32_t a, int32_t b)
{
	return (a >= 0 ? a / b : -((-a + b - 1) / b));
}

/* The first day of month m (1-12, may be 0 or 13) of year y. */
static int32_t
report_month_first(int y, int m)
{
	if (m < 1) {
		m += 12;
		y--;
	} else if (m > 12) {
		m -= 12;
		y++;
	}
	return (calendar_daynum(y, m, 1));
}

/* The configured days as they fall in one month: a day past the month's
 * end is its last day; sorted and unique.  Returns how many. */
static size_t
report_month_days(const struct report_conf *rc, int y, int m, int32_t *out)
{
	int32_t	 first = report_month_first(y, m);
	int	 mdays = (int)(report_month_first(y, m + 1) - first), d;
	size_t	 i, n = 0;

	for (i = 0; i < rc->ndays && n < 31; i++) {
		d = rc->days[i] < mdays ? rc->days[i] : mdays;
		if (n == 0 || out[n - 1] != first + d - 1)
			out[n++] = first + d - 1;
	}
	return (n);
}

/* The period of a report whose days contain day. */
static void
report_period_of(const struct report_conf *rc, int32_t day,
    struct report_period *p)
{
	int32_t	 cur[31], other[31], mon;
	size_t	 n, no, i;
	int	 y, m;

	switch (rc->schedule) {
	case REPORT_SCHED_WEEKLY:
		p->start = day - report_iso_dow(day);
		p->end = p->start + 7;
		p->nominal = p->start + rc->weekday - 1;
		return;
	case REPORT_SCHED_BIWEEKLY:
		mon = rc->anchor - report_iso_dow(rc->anchor);
		p->start = mon + 14 * report_floordiv(day - mon, 14);
		p->end = p->start + 14;
		p->nominal = p->start + rc->weekday - 1;
		return;
	case REPORT_SCHED_SEMIMONTHLY:
	case REPORT_SCHED_MONTHLY:
		if (rc->ndays == 0)
			break;
		calendar_civil(day, &y, &m, NULL);
		n = report_month_days(rc, y, m, cur);
		for (i = n; i > 0 && cur[i - 1] > day; i--)
			;
		if (i == 0) {
			/* Before the month's first: last month's last. */
			no = report_month_days(rc, y, m - 1, other);
			p->start = other[no - 1];
			p->end = cur[0];
		} else {
			p->start = cur[i - 1];
			if (i < n)
				p->end = cur[i];
			else {
				report_month_days(rc, y, m + 1, other);
				p->end = other[0];
			}
		}
		p->nominal = p->start;
		return;
	case REPORT_SCHED_NONE:
		break;
	}
	p->start = p->nominal = day;
	p->end = day + 1;
}

/* The key naming a period in the reports table. */
static void
report_period_key(const struct report_conf *rc, const struct report_period *p,
    char *key, size_t keylen)
{
	char	 date[11];
	int	 y, m;
	int32_t	 thu;

	if (key == NULL || keylen == 0)
		return;
	switch (rc->schedule) {
	case REPORT_SCHED_WEEKLY:
		/* The ISO week: the year of its Thursday. */
		thu = p->start + 3;
		calendar_civil(thu, &y, NULL, NULL);
		snprintf(key, keylen, "%04d-W%02d", y,
		    (int)((thu - calendar_daynum(y, 1, 1)) / 7 + 1));
		return;
	case REPORT_SCHED_MONTHLY:
		calendar_civil(p->nominal, &y, &m, NULL);
		snprintf(key, keylen, "%04d-%02d", y, m);
		return;
	default:
		calendar_format_date(p->nominal, date);
		snprintf(key, keylen, "%s", date);
		return;
	}
}

/* When a period's report is due: its day, or the next working day. */
static int64_t
report_due_at(const struct report_conf *rc, const struct calendar *cal,
    const struct report_period *p)
{
	return (rules_local(calendar_next_workday(cal, p->nominal, NULL),
	    rc->time_min * 60));
}

/* Whether a period precedes a biweekly report's anchor (does not exist). */
static int
report_before_anchor(const struct report_conf *rc,
    const struct report_period *p)
{
	return (rc->schedule == REPORT_SCHED_BIWEEKLY &&
	    p->nominal < rc->anchor);
}

/* The scheduled instant of the period whose days contain t. */
int64_t
report_period_start(const struct report_conf *rc, const struct calendar *cal,
    int64_t t, char *key, size_t keylen)
{
	struct report_period	 p;
	int32_t			 day;

	if (key != NULL && keylen > 0)
		*key = '\0';
	if (rc->schedule == REPORT_SCHED_NONE)
		return (0);
	rules_split(t, &day, NULL);
	report_period_of(rc, day, &p);
	report_period_key(rc, &p, key, keylen);
	return (report_due_at(rc, cal, &p));
}

/*
 * The latest scheduled instant at or before t.  Due times only move
 * forward (to the next working day), so they keep the periods' order;
 * walk back from t's own period until one is due.
 */
int64_t
report_latest(const struct report_conf *rc, const struct calendar *cal,
    int64_t t, char *key, size_t keylen)
{
	struct report_period	 p;
	int32_t			 day;
	int64_t			 s;
	int			 i;

	if (key != NULL && keylen > 0)
		*key = '\0';
	if (rc->schedule == REPORT_SCHED_NONE)
		return (0);
	rules_split(t, &day, NULL);
	report_period_of(rc, day, &p);
	for (i = 0; i < 64; i++) {
		if (report_before_anchor(rc, &p))
			return (0);
		if ((s = report_due_at(rc, cal, &p)) <= t) {
			report_period_key(rc, &p, key, keylen);
			return (s);
		}
		report_period_of(rc, p.start - 1, &p);
	}
	return (0);
}

/* The first scheduled instant after `after`: earlier periods moved past
 * their own days may still be ahead, so look back before forward. */
int64_t
report_next_time(const struct report_conf *rc, const struct calendar *cal,
    int64_t after)
{
	struct report_period	 p, q;
	int32_t			 day;
	int64_t			 s;
	int			 i;

	if (rc->schedule == REPORT_SCHED_NONE)
		return (0);
	rules_split(after, &day, NULL);
	if (rc->schedule == REPORT_SCHED_BIWEEKLY && day < rc->anchor)
		day = rc->anchor;
	report_period_of(rc, day, &p);
	for (i = 0; i < 64; i++) {
		report_period_of(rc, p.start - 1, &q);
		if (report_before_anchor(rc, &q) ||
		    report_due_at(rc, cal, &q) <= after)
			break;
		p = q;
	}
	for (i = 0; i < 1000; i++) {
		if ((s = report_due_at(rc, cal, &p)) > after)
			return (s);
		report_period_of(rc, p.end, &p);
	}
	return (0);
}
