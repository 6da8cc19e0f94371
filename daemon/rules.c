/*
 * The rule engine's arithmetic: deadlines from acceptance and time limits,
 * stage times on the working-day calendar, which stage is due now, when
 * the next one falls, and send windows.  Pure: "now" is always an
 * argument, and only the process time zone is consulted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escalator.h"

/* 9999-12-31 23:59:59 UTC: the last instant a user may name. */
#define RULES_TIME_MAX	((int64_t)253402300799LL)

/* The instant of a local day and second of day. */
int64_t
rules_local(int32_t day, int sec_of_day)
{
	struct tm	 tm;
	int		 y, m, d;

	calendar_civil(day, &y, &m, &d);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = sec_of_day / 3600;
	tm.tm_min = (sec_of_day / 60) % 60;
	tm.tm_sec = sec_of_day % 60;
	tm.tm_isdst = -1;
	return ((int64_t)mktime(&tm));
}

/* Split an instant into local day number and second of day. */
void
rules_split(int64_t t, int32_t *day, int *sec_of_day)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	localtime_r(&tt, &tm);
	*day = calendar_daynum(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (sec_of_day != NULL)
		*sec_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

/* Format an instant as local "YYYY-MM-DD HH:MM:SS". */
void
rules_format(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Format an instant as RFC 3339 local time with its offset, as the API
 * writes times: "2026-12-07T09:00:00+08:00". */
void
rules_format_rfc3339(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	long		 off;
	size_t		 n;

	localtime_r(&tt, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

/*
 * Parse a time given by a user: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]"
 * (also with 'T', and then with an RFC 3339 offset: Z or +08:00), "now", "+N[smhd]" relative to now, or "@EPOCH".
 * Impossible dates and times are rejected.
 */
int
rules_parse_time(const char *s, int64_t now, int64_t *t)
{
	char		 date[11], *end;
	int32_t		 day;
	int		 h = 0, mi = 0, se = 0, n = 0, zone = 0, oh, om;
	long		 off = 0;
	long long	 v, mult;
	const char	*p;

	if (s == NULL || *s == '\0')
		return (-1);
	if (strcmp(s, "now") == 0) {
		*t = now;
		return (0);
	}
	if (*s == '+' || *s == '@') {
		v = strtoll(s + 1, &end, 10);
		if (end == s + 1 || v < 0)
			return (-1);
		if (*s == '@') {
			if (*end != '\0' || v > RULES_TIME_MAX)
				return (-1);
			*t = v;
			return (0);
		}
		if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
			mult = 1;
		else if (strcmp(end, "m") == 0)
			mult = 60;
		else if (strcmp(end, "h") == 0)
			mult = 3600;
		else if (strcmp(end, "d") == 0)
			mult = 86400;
		else
			return (-1);
		/* Beyond year 9999 the calendar and localtime() give up. */
		if (v > RULES_TIME_MAX / mult || now > RULES_TIME_MAX - v * mult)
			return (-1);
		*t = now + v * mult;
		return (0);
	}
	if (strlen(s) < 10)
		return (-1);
	memcpy(date, s, 10);
	date[10] = '\0';
	if (calendar_parse_date(date, &day) != 0)
		return (-1);
	p = s + 10;
	if (*p != '\0') {
		if (*p != ' ' && *p != 'T')
			return (-1);
		p++;
		if (sscanf(p, "%2d:%2d%n", &h, &mi, &n) != 2)
			return (-1);
		p += n;
		if (*p == ':') {
			if (sscanf(p, ":%2d%n", &se, &n) != 1)
				return (-1);
			p += n;
		}
		/* RFC 3339: an offset (Z or +HH:MM), as the API writes. */
		if (*p == 'Z' && p[1] == '\0') {
			zone = 1;
			p++;
		} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
		    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 &&
		    oh >= 0 && oh <= 23 && om >= 0 && om <= 59) {
			zone = 1;
			off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
			p += 6;
		}
		if (*p != '\0' || h > 23 || mi > 59 || se > 59 || h < 0 ||
		    mi < 0 || se < 0)
			return (-1);
	}
	if (zone)
		*t = (int64_t)day * 86400 + h * 3600 + mi * 60 + se - off;
	else
		*t = rules_local(day, h * 3600 + mi * 60 + se);
	return (0);
}

/* t plus times * duration: seconds, calendar days or working days. */
int64_t
rules_add(const struct calendar *cal, int64_t t, const struct duration *d,
    int64_t times, int *uncovered)
{
	int32_t	 day;
	int	 sec;
	int64_t	 n = d->n * times;

	if (d->unit == DUR_SECONDS)
		return (t + n);
	rules_split(t, &day, &sec);
	if (d->unit == DUR_DAYS)
		day += (int32_t)n;
	else
		day = calendar_add_workdays(cal, day, (int)n, uncovered);
	return (rules_local(day, sec));
}

/* The deadline of an item accepted at `accepted` with a time limit. */
int64_t
rules_deadline(const struct calendar *cal, int64_t accepted,
    const struct duration *limit, int deadline_min, int *uncovered)
{
	int32_t	 day;

	if (limit->unit == DUR_SECONDS)
		return (accepted + limit->n);
	rules_split(accepted, &day, NULL);
	if (limit->unit == DUR_DAYS)
		day += (int32_t)limit->n;
	else
		day = calendar_add_workdays(cal, day, (int)limit->n, uncovered);
	return (rules_local(day, deadline_min * 60));
}

/*
 * The working day a deadline or stage falls on for counting working days:
 * its own day, or the next working day when that is a day off.
 */
static int32_t
rules_workday_of(const struct calendar *cal, int32_t day, int *uncovered)
{
	return (calendar_next_workday(cal, day, uncovered));
}

/*
 * When repetition rep of a stage falls for a deadline.  Offsets and
 * repeats in seconds name instants; in days or working days they name a
 * day, and the stage falls on it at the opening of the window w (with no
 * window, at the time of day of the deadline, or of an instant stage).
 * Working days count from the working day the deadline or the stage's
 * first time falls on, so "-2wd" is due on the second working day before
 * the deadline's and a "1wd" repeat once on each following working day.
 */
int64_t
rules_stage_time(const struct calendar *cal, const struct window *w,
    const struct stage *st, int64_t due, int rep, int *uncovered)
{
	int64_t	 t, n;
	int32_t	 day;
	int	 sec;

	if (st->offset.unit == DUR_SECONDS) {
		t = due + st->offset.n;
		if (rep <= 0 || st->repeat.n <= 0)
			return (t);
		if (st->repeat.unit == DUR_SECONDS)
			return (t + st->repeat.n * rep);
		rules_split(t, &day, &sec);
	} else {
		rules_split(due, &day, &sec);
		if (st->offset.unit == DUR_DAYS)
			day += (int32_t)st->offset.n;
		else
			day = calendar_add_workdays(cal, rules_workday_of(cal,
			    day, uncovered), (int)st->offset.n, uncovered);
	}
	if (w != NULL)
		sec = w->start_min * 60;
	if (rep <= 0 || st->repeat.n <= 0)
		return (rules_local(day, sec));
	n = st->repeat.n * rep;
	switch (st->repeat.unit) {
	case DUR_SECONDS:
		return (rules_local(day, sec) + n);
	case DUR_DAYS:
		day += (int32_t)n;
		break;
	case DUR_WORKDAYS:
		day = calendar_add_workdays(cal, rules_workday_of(cal, day,
		    uncovered), (int)n, uncovered);
		break;
	}
	return (rules_local(day, sec));
}

/* The rectification deadline an interview stage firing at now sets, 0 when
 * the stage sets none: what the rectify track is created with. */
int64_t
rules_rectify_due(const struct calendar *cal, const struct stage *st,
    int64_t now, int *uncovered)
{
	if (st->rectify.n <= 0)
		return (0);
	return (rules_add(cal, now, &st->rectify, 1, uncovered));
}

/* The last repetition of a stage falling at or before now. */
static int
rules_last_rep(const struct calendar *cal, const struct window *w,
    const struct stage *st, int64_t due, int64_t now)
{
	int64_t	 t0, r;

	if (st->repeat.n <= 0)
		return (0);
	t0 = rules_stage_time(cal, w, st, due, 0, NULL);
	if (st->repeat.unit == DUR_SECONDS)
		return ((int)((now - t0) / st->repeat.n));
	/* Days: estimate from elapsed seconds, then correct. */
	r = (now - t0) / (86400 * st->repeat.n);
	if (st->repeat.unit == DUR_WORKDAYS)
		r = r * 5 / 7;
	if (r < 0)
		r = 0;
	while (r > 0 && rules_stage_time(cal, w, st, due, (int)r, NULL) > now)
		r--;
	while (rules_stage_time(cal, w, st, due, (int)r + 1, NULL) <= now)
		r++;
	return ((int)r);
}

/* The latest (stage, rep) due at now and not yet fired. */
int
rules_due(const struct policy *p, const struct calendar *cal,
    const struct window *w, int64_t due, int last_stage, int last_rep,
    int64_t now, int *stage, int *rep)
{
	int	 s, r;

	for (s = (int)p->nstages - 1; s >= 0; s--)
		if (rules_stage_time(cal, w, &p->stages[s], due, 0, NULL) <= now)
			break;
	if (s < 0 || s < last_stage)
		return (0);
	r = rules_last_rep(cal, w, &p->stages[s], due, now);
	if (s == last_stage && r <= last_rep)
		return (0);
	*stage = s;
	*rep = r;
	return (1);
}

/* When the next (stage, rep) after the last fired one falls, 0 if none. */
int64_t
rules_next_time(const struct policy *p, const struct calendar *cal,
    const struct window *w, int64_t due, int last_stage, int last_rep)
{
	int64_t	 next = 0, t;

	if (last_stage + 1 < (int)p->nstages)
		next = rules_stage_time(cal, w, &p->stages[last_stage + 1], due,
		    0, NULL);
	if (last_stage >= 0 && last_stage < (int)p->nstages &&
	    p->stages[last_stage].repeat.n > 0) {
		t = rules_stage_time(cal, w, &p->stages[last_stage], due,
		    last_rep + 1, NULL);
		if (next == 0 || t < next)
			next = t;
	}
	return (next);
}

/* Whether t lies inside a send window. */
int
rules_in_window(const struct calendar *cal, const struct window *w, int64_t t)
{
	int32_t	 day;
	int	 sec;

	if (w == NULL)
		return (1);
	rules_split(t, &day, &sec);
	if (w->workdays_only && !calendar_is_workday(cal, day, NULL))
		return (0);
	return (sec >= w->start_min * 60 && sec < w->end_min * 60);
}

/* t itself inside the window, else the start of the next opening. */
int64_t
rules_window_next(const struct calendar *cal, const struct window *w, int64_t t)
{
	int32_t	 day;
	int	 sec, i;

	if (w == NULL || rules_in_window(cal, w, t))
		return (t);
	rules_split(t, &day, &sec);
	if (sec >= w->end_min * 60 ||
	    (w->workdays_only && !calendar_is_workday(cal, day, NULL)) ||
	    sec >= w->start_min * 60)
		day++;
	for (i = 0; i < 400; i++, day++)
		if (!w->workdays_only || calendar_is_workday(cal, day, NULL))
			break;
	return (rules_local(day, w->start_min * 60));
}

/*
 * Working days by which now is past due (0 when not overdue), counted
 * from the deadline's working day: on the day a "+Nwd" stage falls, N.
 */
int
rules_overdue_workdays(const struct calendar *cal, int64_t due, int64_t now)
{
	int32_t	 d1, d2;
	int	 n;

	if (due <= 0 || now <= due)
		return (0);
	rules_split(due, &d1, NULL);
	rules_split(now, &d2, NULL);
	n = calendar_count_workdays(cal, rules_workday_of(cal, d1, NULL), d2,
	    NULL);
	return (n > 0 ? n : 0);
}

/*
 * Working days left before the deadline's working day (0 when due): on
 * the day a "-Nwd" stage falls, N.
 */
int
rules_days_left(const struct calendar *cal, int64_t due, int64_t now)
{
	int32_t	 d1, d2;
	int	 n;

	if (due <= now)
		return (0);
	rules_split(now, &d1, NULL);
	rules_split(due, &d2, NULL);
	n = calendar_count_workdays(cal, d1, rules_workday_of(cal, d2, NULL),
	    NULL);
	return (n > 0 ? n : 0);
}

/* Index of a stage by name, -1 if the policy has none by that name. */
int
rules_stage_index(const struct policy *p, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (-1);
	for (i = 0; i < p->nstages; i++)
		if (strcmp(p->stages[i].name, name) == 0)
			return ((int)i);
	return (-1);
}
