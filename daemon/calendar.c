/*
 * Working-day calendar: pure day-number arithmetic over the published
 * holiday and make-up working day arrangements.
 *
 * Each covered year keeps a 366-entry table saying whether each of its days
 * is a working day, so the day loops in calendar_add_workdays() and
 * calendar_count_workdays() cost one table read per day.  A cursor caches
 * the year (covered or not) the loop is in, so the year is only looked up
 * again when the loop crosses 1 January.  No globals, clocks or I/O.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

struct calendar_year {
	int		 year;
	int32_t		 first;		/* day number of 1 January */
	int		 ndays;		/* 365 or 366 */
	unsigned char	 work[366];	/* 1 = working day, overrides applied */
	char		*name[366];	/* override name, owned, or NULL */
};

struct calendar {
	struct calendar_year	**years;	/* sorted by year */
	size_t			  nyears;
};

/*
 * Where a day loop currently is: the day range [lo, hi] of one year and
 * that year's table, or NULL when the year is not covered.
 */
struct calendar_cursor {
	const struct calendar		*cal;
	const struct calendar_year	*cy;
	int64_t				 lo;
	int64_t				 hi;
	int				 valid;
};

/* Floor division for possibly negative numerators. */
static int64_t
calendar_floordiv(int64_t a, int64_t b)
{
	return (a >= 0 ? a / b : -((-a + b - 1) / b));
}

/* Day number of a civil date (no range checking; see calendar_parse_date). */
int32_t
calendar_daynum(int y, int m, int d)
{
	int64_t	 yy, era, yoe, doy, doe;

	/* Howard Hinnant's days_from_civil: years start in March. */
	yy = (int64_t)y - (m <= 2);
	era = calendar_floordiv(yy, 400);
	yoe = yy - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return ((int32_t)(era * 146097 + doe - 719468));
}

/* Civil date of a day number. */
void
calendar_civil(int32_t day, int *y, int *m, int *d)
{
	int64_t	 z, era, doe, yoe, doy, mp, yy;
	int	 mm;

	z = (int64_t)day + 719468;
	era = calendar_floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	mm = (int)(mp < 10 ? mp + 3 : mp - 9);
	if (d != NULL)
		*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	if (m != NULL)
		*m = mm;
	if (y != NULL)
		*y = (int)(yy + (mm <= 2));
}

/* Day of the week, 0 = Sunday; day 0 (1970-01-01) is a Thursday. */
int
calendar_weekday(int32_t day)
{
	int	 wd;

	wd = (int)(((int64_t)day + 4) % 7);
	return (wd < 0 ? wd + 7 : wd);
}

/* Whether a year has 366 days. */
static int
calendar_leap(int y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

/* Number of days in a month of a year. */
static int
calendar_month_days(int y, int m)
{
	static const int	 days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && calendar_leap(y))
		return (29);
	return (days[m - 1]);
}

/* Read exactly n decimal digits; -1 if any is not a digit. */
static int
calendar_digits(const char *s, int n)
{
	int	 v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

/* Parse a strict "YYYY-MM-DD" naming a real date (years 0001-9999). */
int
calendar_parse_date(const char *s, int32_t *day)
{
	int	 y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return (-1);
	if ((y = calendar_digits(s, 4)) < 1 ||
	    (m = calendar_digits(s + 5, 2)) < 1 || m > 12 ||
	    (d = calendar_digits(s + 8, 2)) < 1 ||
	    d > calendar_month_days(y, m))
		return (-1);
	*day = calendar_daynum(y, m, d);
	return (0);
}

/*
 * Write a day as "YYYY-MM-DD".  Days outside years 0000-9999 cannot take
 * that shape and are written as "0000-00-00", which no parser accepts.
 */
void
calendar_format_date(int32_t day, char buf[11])
{
	int	 y, m, d;

	calendar_civil(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = m = d = 0;
	buf[0] = '0' + y / 1000;
	buf[1] = '0' + y / 100 % 10;
	buf[2] = '0' + y / 10 % 10;
	buf[3] = '0' + y % 10;
	buf[4] = '-';
	buf[5] = '0' + m / 10;
	buf[6] = '0' + m % 10;
	buf[7] = '-';
	buf[8] = '0' + d / 10;
	buf[9] = '0' + d % 10;
	buf[10] = '\0';
}

/* Create an empty calendar: no year covered. */
struct calendar *
calendar_new(void)
{
	return (xcalloc(1, sizeof(struct calendar)));
}

/* Free a calendar and every name it holds. */
void
calendar_free(struct calendar *cal)
{
	size_t	 i;
	int	 j;

	if (cal == NULL)
		return;
	for (i = 0; i < cal->nyears; i++) {
		for (j = 0; j < cal->years[i]->ndays; j++)
			free(cal->years[i]->name[j]);
		free(cal->years[i]);
	}
	free(cal->years);
	free(cal);
}

/* Index of the first covered year >= year (binary search). */
static size_t
calendar_year_index(const struct calendar *cal, int year)
{
	size_t	 lo = 0, hi = cal->nyears, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->years[mid]->year < year)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* The table of a covered year, or NULL. */
static struct calendar_year *
calendar_year_find(const struct calendar *cal, int year)
{
	size_t	 i;

	i = calendar_year_index(cal, year);
	if (i < cal->nyears && cal->years[i]->year == year)
		return (cal->years[i]);
	return (NULL);
}

/* Declare a year covered: its days follow Monday-Friday until marked. */
void
calendar_cover_year(struct calendar *cal, int year)
{
	struct calendar_year	*cy;
	size_t			 i;
	int			 j, wd;

	i = calendar_year_index(cal, year);
	if (i < cal->nyears && cal->years[i]->year == year)
		return;

	cy = xcalloc(1, sizeof *cy);
	cy->year = year;
	cy->first = calendar_daynum(year, 1, 1);
	cy->ndays = calendar_leap(year) ? 366 : 365;
	wd = calendar_weekday(cy->first);
	for (j = 0; j < cy->ndays; j++) {
		cy->work[j] = (wd != 0 && wd != 6);
		wd = (wd + 1) % 7;
	}

	cal->years = xreallocarray(cal->years, cal->nyears + 1,
	    sizeof *cal->years);
	memmove(cal->years + i + 1, cal->years + i,
	    (cal->nyears - i) * sizeof *cal->years);
	cal->years[i] = cy;
	cal->nyears++;
}

/* The covered year holding a day, or NULL. */
static struct calendar_year *
calendar_year_of(const struct calendar *cal, int32_t day)
{
	int	 y;

	calendar_civil(day, &y, NULL, NULL);
	return (calendar_year_find(cal, y));
}

/* Mark a day of a covered year as holiday (off = 1) or make-up day. */
int
calendar_set_day(struct calendar *cal, int32_t day, int off, const char *name)
{
	struct calendar_year	*cy;
	int32_t			 i;

	if ((cy = calendar_year_of(cal, day)) == NULL)
		return (-1);
	i = day - cy->first;
	cy->work[i] = !off;
	free(cy->name[i]);
	cy->name[i] = name != NULL ? xstrdup(name) : NULL;
	return (0);
}

/* Whether the year holding a day is covered. */
int
calendar_is_covered(const struct calendar *cal, int32_t day)
{
	return (calendar_year_of(cal, day) != NULL);
}

/* Start a cursor over a calendar; it has no year until first used. */
static void
calendar_cursor_init(struct calendar_cursor *cc, const struct calendar *cal)
{
	memset(cc, 0, sizeof *cc);
	cc->cal = cal;
}

/* Whether a day is a working day, moving the cursor to its year. */
static int
calendar_cursor_work(struct calendar_cursor *cc, int32_t day, int *uncovered)
{
	int	 y;

	if (!cc->valid || day < cc->lo || day > cc->hi) {
		calendar_civil(day, &y, NULL, NULL);
		cc->cy = calendar_year_find(cc->cal, y);
		cc->lo = calendar_daynum(y, 1, 1);
		cc->hi = cc->lo + (calendar_leap(y) ? 365 : 364);
		cc->valid = 1;
	}
	if (cc->cy != NULL)
		return (cc->cy->work[day - cc->lo]);
	if (uncovered != NULL)
		*uncovered = 1;
	return (calendar_weekday(day) != 0 && calendar_weekday(day) != 6);
}

/* Whether a day is a working day; flags days of uncovered years. */
int
calendar_is_workday(const struct calendar *cal, int32_t day, int *uncovered)
{
	struct calendar_cursor	 cc;

	calendar_cursor_init(&cc, cal);
	return (calendar_cursor_work(&cc, day, uncovered));
}

/*
 * Move n working days from a day, which itself is not counted.  Stops at
 * the edge of the day-number range rather than overflowing.
 */
int32_t
calendar_add_workdays(const struct calendar *cal, int32_t day, int n,
    int *uncovered)
{
	struct calendar_cursor	 cc;

	calendar_cursor_init(&cc, cal);
	while (n > 0 && day < INT32_MAX) {
		day++;
		if (calendar_cursor_work(&cc, day, uncovered))
			n--;
	}
	while (n < 0 && day > INT32_MIN) {
		day--;
		if (calendar_cursor_work(&cc, day, uncovered))
			n++;
	}
	return (day);
}

/* Working days in (from, to]; minus those in (to, from] when to < from. */
int
calendar_count_workdays(const struct calendar *cal, int32_t from, int32_t to,
    int *uncovered)
{
	struct calendar_cursor	 cc;
	int32_t			 lo, hi, d;
	int			 n = 0;

	lo = from < to ? from : to;
	hi = from < to ? to : from;
	calendar_cursor_init(&cc, cal);
	for (d = lo; d < hi; d++) {
		if (calendar_cursor_work(&cc, d + 1, uncovered))
			n++;
	}
	return (to < from ? -n : n);
}

/* The day itself when it is a working day, else the next working day. */
int32_t
calendar_next_workday(const struct calendar *cal, int32_t day,
    int *uncovered)
{
	struct calendar_cursor	 cc;

	calendar_cursor_init(&cc, cal);
	while (!calendar_cursor_work(&cc, day, uncovered) && day < INT32_MAX)
		day++;
	return (day);
}

/* The highest covered year, 0 when none is. */
int
calendar_last_year(const struct calendar *cal)
{
	if (cal->nyears == 0)
		return (0);
	return (cal->years[cal->nyears - 1]->year);
}

/* The holiday or make-up name given to a day, or NULL. */
const char *
calendar_day_name(const struct calendar *cal, int32_t day)
{
	const struct calendar_year	*cy;

	if ((cy = calendar_year_of(cal, day)) == NULL)
		return (NULL);
	return (cy->name[day - cy->first]);
}
