/*
 * Unit tests for calendar.c: date arithmetic and working days, checked
 * against the real 2024-2026 arrangements in rules/calendar/cn-YYYY.conf
 * (read with libconfig; set CALENDAR_DIR to read them from elsewhere).
 */
#include <check.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

#define FIRST_YEAR	2024
#define LAST_YEAR	2026

static struct calendar	*cal;

/* Day number of a "YYYY-MM-DD" the test knows to be valid. */
static int32_t
ymd(const char *s)
{
	int32_t	 day;

	ck_assert_msg(calendar_parse_date(s, &day) == 0, "bad test date %s", s);
	return (day);
}

/* Check that a day number formats as the expected date. */
#define ck_assert_day(day, expect) do {				\
	char	 _buf[11];						\
									\
	calendar_format_date((day), _buf);				\
	ck_assert_str_eq(_buf, (expect));				\
} while (0)

/*
 * Check's ck_assert() reports every call to the parent process, which is
 * slow in loops of millions; only call into it when the check fails.
 */
#define quick_assert(cond, ...) do {					\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* Load one generated calendar_YYYY group into the calendar. */
static void
load_year(struct calendar *c, const char *dir, int year)
{
	config_t		 cfg;
	config_setting_t	*group, *days, *day;
	char			 path[4096], name[32];
	const char		*date, *holiday;
	int			 i, y, off;
	int32_t			 dn;

	snprintf(path, sizeof path, "%s/cn-%d.conf", dir, year);
	snprintf(name, sizeof name, "calendar_%d", year);
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE)
		ck_abort_msg("%s:%d: %s", path, config_error_line(&cfg),
		    config_error_text(&cfg));
	group = config_lookup(&cfg, name);
	ck_assert_msg(group != NULL, "%s: no %s", path, name);
	ck_assert(config_setting_lookup_int(group, "year", &y) == CONFIG_TRUE);
	ck_assert_int_eq(y, year);
	days = config_setting_get_member(group, "days");
	ck_assert_msg(days != NULL && config_setting_is_list(days),
	    "%s: days is not a list", path);
	ck_assert_int_gt(config_setting_length(days), 0);

	calendar_cover_year(c, year);
	for (i = 0; i < config_setting_length(days); i++) {
		day = config_setting_get_elem(days, i);
		ck_assert(config_setting_lookup_string(day, "date", &date) ==
		    CONFIG_TRUE);
		ck_assert(config_setting_lookup_bool(day, "off", &off) ==
		    CONFIG_TRUE);
		ck_assert(config_setting_lookup_string(day, "name", &holiday) ==
		    CONFIG_TRUE);
		ck_assert_msg(calendar_parse_date(date, &dn) == 0,
		    "%s: bad date %s", path, date);
		ck_assert_int_eq(calendar_set_day(c, dn, off, holiday), 0);
	}
	config_destroy(&cfg);
}

/* Build the calendar from the three data files before each test. */
static void
setup(void)
{
	const char	*dir;
	int		 y;

	if ((dir = getenv("CALENDAR_DIR")) == NULL)
		dir = "rules/calendar";
	cal = calendar_new();
	for (y = FIRST_YEAR; y <= LAST_YEAR; y++)
		load_year(cal, dir, y);
}

/* Free the calendar after each test. */
static void
teardown(void)
{
	calendar_free(cal);
	cal = NULL;
}

/* ------------------------------------------------------------------ */

START_TEST(test_epoch_weekday)
{
	ck_assert_int_eq(calendar_daynum(1970, 1, 1), 0);
	ck_assert_int_eq(calendar_weekday(0), 4);	/* Thursday */
	ck_assert_int_eq(calendar_weekday(-1), 3);
	ck_assert_int_eq(calendar_weekday(-4), 0);
	ck_assert_int_eq(calendar_weekday(3), 0);
	ck_assert_int_eq(calendar_weekday(ymd("2026-09-24")), 4);
	ck_assert_int_eq(calendar_weekday(ymd("2026-02-14")), 6);
	ck_assert_int_eq(calendar_weekday(ymd("1969-07-20")), 0);
	ck_assert_int_eq(calendar_weekday(ymd("1900-01-01")), 1);
}
END_TEST

START_TEST(test_known_daynums)
{
	ck_assert_int_eq(calendar_daynum(1969, 12, 31), -1);
	ck_assert_int_eq(calendar_daynum(2000, 3, 1), 11017);
	ck_assert_int_eq(calendar_daynum(2026, 1, 1), 20454);
	ck_assert_int_eq(calendar_daynum(1, 1, 1), -719162);
	ck_assert_int_eq(calendar_daynum(1900, 3, 1) -
	    calendar_daynum(1900, 2, 28), 1);		/* 1900 not leap */
	ck_assert_int_eq(calendar_daynum(2000, 3, 1) -
	    calendar_daynum(2000, 2, 28), 2);		/* 2000 leap */
}
END_TEST

START_TEST(test_civil_roundtrip)
{
	int32_t	 day;
	int	 y, m, d, py, pm, pd, wd, next;

	/* About 2,700 years either side of 1970, day by day. */
	calendar_civil(-1000001, &py, &pm, &pd);
	wd = calendar_weekday(-1000001);
	for (day = -1000000; day <= 1000000; day++) {
		calendar_civil(day, &y, &m, &d);
		quick_assert(calendar_daynum(y, m, d) == day,
		    "day %d: %d-%d-%d does not map back", day, y, m, d);
		/* Each day follows the previous one in the calendar. */
		if (d == 1) {
			next = (m == pm + 1 && y == py) ||
			    (m == 1 && pm == 12 && y == py + 1);
		} else
			next = (y == py && m == pm && d == pd + 1);
		quick_assert(next && m >= 1 && m <= 12 && d <= 31,
		    "day %d: %d-%d-%d after %d-%d-%d", day, y, m, d, py, pm, pd);
		wd = (wd + 1) % 7;
		quick_assert(calendar_weekday(day) == wd, "day %d: weekday %d",
		    day, calendar_weekday(day));
		py = y;
		pm = m;
		pd = d;
	}
}
END_TEST

START_TEST(test_format)
{
	char	 buf[11];
	int32_t	 day, back;

	ck_assert_day(0, "1970-01-01");
	ck_assert_day(-1, "1969-12-31");
	ck_assert_day(ymd("2024-02-29"), "2024-02-29");
	ck_assert_day(calendar_daynum(1, 1, 1), "0001-01-01");
	ck_assert_day(calendar_daynum(9999, 12, 31), "9999-12-31");
	ck_assert_day(calendar_daynum(10000, 1, 1), "0000-00-00");
	ck_assert_day(calendar_daynum(-5, 1, 1), "0000-00-00");
	for (day = calendar_daynum(1, 1, 1); day <= calendar_daynum(9999,
	    12, 31); day += 97) {
		calendar_format_date(day, buf);
		quick_assert(calendar_parse_date(buf, &back) == 0 &&
		    back == day, "day %d: %s does not parse back", day, buf);
	}
}
END_TEST

START_TEST(test_parse_valid)
{
	int32_t	 day;

	ck_assert_int_eq(calendar_parse_date("1970-01-01", &day), 0);
	ck_assert_int_eq(day, 0);
	ck_assert_int_eq(calendar_parse_date("2026-09-24", &day), 0);
	ck_assert_int_eq(day, calendar_daynum(2026, 9, 24));
	ck_assert_int_eq(calendar_parse_date("1969-12-31", &day), 0);
	ck_assert_int_eq(day, -1);
	ck_assert_int_eq(calendar_parse_date("2026-12-31", &day), 0);
	ck_assert_int_eq(calendar_parse_date("2026-04-30", &day), 0);
}
END_TEST

START_TEST(test_parse_bad_shape)
{
	static const char *const bad[] = {
		"", "2026", "2026-1-01", "2026-01-1", "26-01-01",
		"2026/01/01", "2026-01-01 ", " 2026-01-01", "2026-01-01T00",
		"20260101", "2026-01-0a", "+026-01-01", "2026--1-01",
		"2026-01- 1", "02026-01-01", "2026-001-01", "abcd-ef-gh",
		"2026-01-01\n", "-001-01-01",
	};
	int32_t		 day = 12345;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(calendar_parse_date(bad[i], &day) == -1,
		    "accepted \"%s\"", bad[i]);
	}
	ck_assert_int_eq(calendar_parse_date(NULL, &day), -1);
	ck_assert_int_eq(day, 12345);		/* untouched on failure */
}
END_TEST

START_TEST(test_parse_impossible)
{
	static const char *const bad[] = {
		"2026-02-30", "2026-13-01", "2026-00-10", "2026-01-00",
		"2026-01-32", "2026-04-31", "2026-06-31", "2026-09-31",
		"2026-11-31", "2026-02-29", "1900-02-29", "2100-02-29",
		"0000-01-01", "2026-99-99",
	};
	int32_t		 day;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(calendar_parse_date(bad[i], &day) == -1,
		    "accepted \"%s\"", bad[i]);
	}
}
END_TEST

START_TEST(test_parse_leap)
{
	int32_t	 day;

	ck_assert_int_eq(calendar_parse_date("2024-02-29", &day), 0);
	ck_assert_int_eq(day + 1, ymd("2024-03-01"));
	ck_assert_int_eq(calendar_parse_date("2000-02-29", &day), 0);
	ck_assert_int_eq(calendar_parse_date("1600-02-29", &day), 0);
	ck_assert_int_eq(calendar_parse_date("2026-02-29", &day), -1);
	ck_assert_int_eq(calendar_parse_date("2025-02-29", &day), -1);
}
END_TEST

/* ------------------------------------------------------------------ */

START_TEST(test_domain_examples)
{
	int	 unc = 0;

	ck_assert_day(calendar_add_workdays(cal, ymd("2026-09-24"), 5, &unc),
	    "2026-10-09");
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-09-30"), 1, &unc),
	    "2026-10-08");
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-02-12"), 3, &unc),
	    "2026-02-24");
	ck_assert_int_eq(unc, 0);
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2026-09-24"),
	    ymd("2026-10-09"), &unc), 5);
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2026-10-09"),
	    ymd("2026-09-24"), &unc), -5);
	ck_assert_int_eq(unc, 0);
}
END_TEST

START_TEST(test_makeup_days)
{
	static const char *const makeup[] = {
		"2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28",
		"2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12",
		"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28",
		"2025-10-11", "2026-01-04", "2026-02-14", "2026-02-28",
		"2026-05-09", "2026-09-20", "2026-10-10",
	};
	size_t		 i;
	int32_t		 day;
	int		 unc = 0, wd;

	for (i = 0; i < sizeof makeup / sizeof makeup[0]; i++) {
		day = ymd(makeup[i]);
		wd = calendar_weekday(day);
		ck_assert_msg(wd == 0 || wd == 6, "%s not a weekend", makeup[i]);
		ck_assert_msg(calendar_is_workday(cal, day, &unc),
		    "%s not a working day", makeup[i]);
		ck_assert_ptr_nonnull(calendar_day_name(cal, day));
	}
	ck_assert_int_eq(unc, 0);
	ck_assert_str_eq(calendar_day_name(cal, ymd("2026-02-14")), "春节");
	ck_assert_str_eq(calendar_day_name(cal, ymd("2025-09-28")),
	    "国庆节、中秋节");
	/* Ordinary weekends and weekdays stay as they are. */
	ck_assert(!calendar_is_workday(cal, ymd("2026-02-07"), NULL));
	ck_assert(calendar_is_workday(cal, ymd("2026-02-13"), NULL));
	ck_assert_ptr_null(calendar_day_name(cal, ymd("2026-02-13")));
	/* A make-up Saturday is the next working day after a Friday. */
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-02-13"), 1, NULL),
	    "2026-02-14");
	ck_assert_day(calendar_next_workday(cal, ymd("2026-09-19"), NULL),
	    "2026-09-20");
}
END_TEST

START_TEST(test_holidays)
{
	ck_assert(!calendar_is_workday(cal, ymd("2026-10-01"), NULL));
	ck_assert(!calendar_is_workday(cal, ymd("2026-10-07"), NULL));
	ck_assert(!calendar_is_workday(cal, ymd("2025-01-28"), NULL));
	ck_assert(!calendar_is_workday(cal, ymd("2024-01-01"), NULL));
	ck_assert_str_eq(calendar_day_name(cal, ymd("2026-10-05")), "国庆节");
	ck_assert_str_eq(calendar_day_name(cal, ymd("2026-01-01")), "元旦");
	ck_assert_str_eq(calendar_day_name(cal, ymd("2026-06-19")), "端午节");
	ck_assert_ptr_null(calendar_day_name(cal, ymd("2027-01-01")));
}
END_TEST

START_TEST(test_year_totals)
{
	int	 unc = 0;

	/* Worked out independently from calendar/cn-YYYY.json. */
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2023-12-31"),
	    ymd("2024-12-31"), &unc), 251);
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2024-12-31"),
	    ymd("2025-12-31"), &unc), 248);
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2025-12-31"),
	    ymd("2026-12-31"), &unc), 248);
	ck_assert_int_eq(unc, 0);
}
END_TEST

START_TEST(test_year_end_2025)
{
	int	 unc = 0;

	/* 2026-01-01..03 are off, Sunday 2026-01-04 is a make-up day. */
	ck_assert(!calendar_is_workday(cal, ymd("2026-01-02"), NULL));
	ck_assert(!calendar_is_workday(cal, ymd("2026-01-03"), NULL));
	ck_assert(calendar_is_workday(cal, ymd("2026-01-04"), NULL));
	ck_assert_day(calendar_add_workdays(cal, ymd("2025-12-31"), 1, &unc),
	    "2026-01-04");
	ck_assert_day(calendar_add_workdays(cal, ymd("2025-12-31"), 2, &unc),
	    "2026-01-05");
	ck_assert_day(calendar_add_workdays(cal, ymd("2025-12-30"), 1, &unc),
	    "2025-12-31");
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-01-04"), -1, &unc),
	    "2025-12-31");
	ck_assert_day(calendar_next_workday(cal, ymd("2026-01-01"), &unc),
	    "2026-01-04");
	ck_assert_int_eq(unc, 0);
}
END_TEST

START_TEST(test_year_end_2024)
{
	int	 unc = 0;

	ck_assert_day(calendar_add_workdays(cal, ymd("2024-12-31"), 1, &unc),
	    "2025-01-02");
	ck_assert_day(calendar_add_workdays(cal, ymd("2024-12-27"), 3, &unc),
	    "2025-01-02");
	ck_assert_day(calendar_add_workdays(cal, ymd("2025-01-02"), -1, &unc),
	    "2024-12-31");
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2024-12-30"),
	    ymd("2025-01-03"), &unc), 3);
	ck_assert_int_eq(unc, 0);
}
END_TEST

START_TEST(test_negative)
{
	int	 unc = 0;

	ck_assert_day(calendar_add_workdays(cal, ymd("2026-10-08"), -1, &unc),
	    "2026-09-30");
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-10-09"), -5, &unc),
	    "2026-09-24");
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-02-24"), -3, &unc),
	    "2026-02-12");
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-02-24"), -1, &unc),
	    "2026-02-14");
	/* From a holiday: the |n|-th working day strictly before it. */
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-10-03"), -1, &unc),
	    "2026-09-30");
	ck_assert_int_eq(unc, 0);
}
END_TEST

START_TEST(test_zero_and_next)
{
	int32_t	 day;

	day = ymd("2026-10-01");
	ck_assert_int_eq(calendar_add_workdays(cal, day, 0, NULL), day);
	ck_assert_int_eq(calendar_count_workdays(cal, day, day, NULL), 0);
	ck_assert_day(calendar_next_workday(cal, day, NULL), "2026-10-08");
	ck_assert_day(calendar_next_workday(cal, ymd("2026-10-08"), NULL),
	    "2026-10-08");
	ck_assert_day(calendar_next_workday(cal, ymd("2026-02-14"), NULL),
	    "2026-02-14");
	ck_assert_day(calendar_next_workday(cal, ymd("2026-02-15"), NULL),
	    "2026-02-24");
}
END_TEST

START_TEST(test_count_inverse)
{
	int32_t	 first, last, day, to, back, lo, hi, start, end;
	int	 n, got, want, unc;

	start = ymd("2024-01-01");	/* the covered years */
	end = ymd("2026-12-31");

	/* Spans that start in uncovered 2023 and run into uncovered 2027. */
	first = ymd("2023-12-01");
	last = ymd("2027-01-31");
	for (day = first; day <= last; day++) {
		for (n = -40; n <= 40; n++) {
			unc = 0;
			to = calendar_add_workdays(cal, day, n, &unc);
			got = calendar_count_workdays(cal, day, to, NULL);
			/*
			 * Going back from a day off, (to, day] holds only
			 * |n| - 1 working days: the start day is not one.
			 */
			want = n;
			if (n < 0 && !calendar_is_workday(cal, day, NULL))
				want = n + 1;
			quick_assert(got == want, "day %d n %d: count %d",
			    day, n, got);
			quick_assert(n == 0 || calendar_is_workday(cal, to,
			    NULL), "day %d n %d: %d is a day off", day, n, to);

			/* Flagged exactly when a day looked at is uncovered. */
			lo = n > 0 ? day + 1 : to;
			hi = n > 0 ? to : day - 1;
			want = n != 0 && (lo < start || hi > end);
			quick_assert(unc == want, "day %d n %d: uncovered %d",
			    day, n, unc);

			/* Stepping back again lands on the nearest workday. */
			back = calendar_add_workdays(cal, to, -n, NULL);
			if (n > 0) {
				quick_assert(back <= day && calendar_count_workdays(
				    cal, back, day, NULL) == 0,
				    "day %d n %d: back to %d", day, n, back);
			} else if (n < 0) {
				quick_assert(back == calendar_next_workday(cal,
				    day, NULL), "day %d n %d: back to %d", day,
				    n, back);
			}
		}
	}
}
END_TEST

START_TEST(test_uncovered)
{
	int	 unc;

	ck_assert_int_eq(calendar_last_year(cal), 2026);
	ck_assert(calendar_is_covered(cal, ymd("2026-12-31")));
	ck_assert(calendar_is_covered(cal, ymd("2024-01-01")));
	ck_assert(!calendar_is_covered(cal, ymd("2027-01-01")));
	ck_assert(!calendar_is_covered(cal, ymd("2023-12-31")));

	/* 2027: Monday-Friday, flagged. */
	unc = 0;
	ck_assert(calendar_is_workday(cal, ymd("2027-01-01"), &unc));
	ck_assert_int_eq(unc, 1);
	unc = 0;
	ck_assert(!calendar_is_workday(cal, ymd("2027-01-02"), &unc));
	ck_assert_int_eq(unc, 1);
	ck_assert(calendar_is_workday(cal, ymd("2027-01-01"), NULL));
	unc = 0;
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2027-01-31"),
	    ymd("2027-02-28"), &unc), 20);
	ck_assert_int_eq(unc, 1);

	/* A span reaching into 2027 is flagged; one that stops short not. */
	unc = 0;
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-12-30"), 5, &unc),
	    "2027-01-06");
	ck_assert_int_eq(unc, 1);
	unc = 0;
	ck_assert_day(calendar_add_workdays(cal, ymd("2026-12-28"), 3, &unc),
	    "2026-12-31");
	ck_assert_int_eq(unc, 0);
	unc = 0;
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2026-12-30"),
	    ymd("2027-01-06"), &unc), 5);
	ck_assert_int_eq(unc, 1);
	unc = 0;
	ck_assert_int_eq(calendar_count_workdays(cal, ymd("2026-12-25"),
	    ymd("2026-12-31"), &unc), 4);
	ck_assert_int_eq(unc, 0);

	/* Going back into 2023 is flagged too. */
	unc = 0;
	ck_assert_day(calendar_add_workdays(cal, ymd("2024-01-02"), -1, &unc),
	    "2023-12-29");
	ck_assert_int_eq(unc, 1);
	unc = 0;
	ck_assert_day(calendar_next_workday(cal, ymd("2027-01-02"), &unc),
	    "2027-01-04");
	ck_assert_int_eq(unc, 1);
}
END_TEST

START_TEST(test_set_day)
{
	struct calendar	*c;
	int		 unc = 0;

	c = calendar_new();
	ck_assert_int_eq(calendar_last_year(c), 0);
	ck_assert_int_eq(calendar_set_day(c, ymd("2030-01-01"), 1, "x"), -1);
	calendar_cover_year(c, 2030);
	calendar_cover_year(c, 2028);
	calendar_cover_year(c, 2029);
	calendar_cover_year(c, 2030);		/* twice is harmless */
	ck_assert_int_eq(calendar_last_year(c), 2030);
	ck_assert(calendar_is_workday(c, ymd("2030-01-01"), &unc));
	ck_assert_int_eq(calendar_set_day(c, ymd("2030-01-01"), 1, "元旦"), 0);
	ck_assert(!calendar_is_workday(c, ymd("2030-01-01"), &unc));
	ck_assert_str_eq(calendar_day_name(c, ymd("2030-01-01")), "元旦");
	/* Marking again replaces the earlier mark and name. */
	ck_assert_int_eq(calendar_set_day(c, ymd("2030-01-01"), 0, "调休"), 0);
	ck_assert(calendar_is_workday(c, ymd("2030-01-01"), &unc));
	ck_assert_str_eq(calendar_day_name(c, ymd("2030-01-01")), "调休");
	ck_assert_int_eq(calendar_set_day(c, ymd("2028-12-31"), 1, NULL), 0);
	ck_assert_ptr_null(calendar_day_name(c, ymd("2028-12-31")));
	ck_assert_int_eq(calendar_set_day(c, ymd("2028-02-29"), 0, "leap"), 0);
	ck_assert(calendar_is_workday(c, ymd("2028-02-29"), &unc));
	ck_assert_int_eq(unc, 0);
	ck_assert_int_eq(calendar_set_day(c, ymd("2031-01-01"), 1, NULL), -1);
	calendar_free(c);
	calendar_free(NULL);
}
END_TEST

START_TEST(test_far_years)
{
	struct calendar	*c;
	int32_t		 day;
	int		 unc = 0;

	/* Years before 1970 work like any other. */
	c = calendar_new();
	calendar_cover_year(c, 1900);
	day = ymd("1900-01-01");				/* a Monday */
	ck_assert(calendar_is_workday(c, day, &unc));
	ck_assert_int_eq(calendar_set_day(c, day, 1, "New Year"), 0);
	ck_assert_day(calendar_add_workdays(c, ymd("1899-12-29"), 1, &unc),
	    "1900-01-02");
	ck_assert_int_eq(unc, 1);			/* 1899 looked at */
	unc = 0;
	ck_assert_int_eq(calendar_count_workdays(c, ymd("1899-12-31"),
	    ymd("1900-12-31"), &unc), 260);
	ck_assert_int_eq(unc, 0);
	calendar_free(c);
}
END_TEST

/* Gather every test into one suite. */
static Suite *
calendar_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("calendar");

	tc = tcase_create("dates");
	tcase_add_test(tc, test_epoch_weekday);
	tcase_add_test(tc, test_known_daynums);
	tcase_add_test(tc, test_civil_roundtrip);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_bad_shape);
	tcase_add_test(tc, test_parse_impossible);
	tcase_add_test(tc, test_parse_leap);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("workdays");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_domain_examples);
	tcase_add_test(tc, test_makeup_days);
	tcase_add_test(tc, test_holidays);
	tcase_add_test(tc, test_year_totals);
	tcase_add_test(tc, test_year_end_2025);
	tcase_add_test(tc, test_year_end_2024);
	tcase_add_test(tc, test_negative);
	tcase_add_test(tc, test_zero_and_next);
	tcase_add_test(tc, test_count_inverse);
	tcase_add_test(tc, test_uncovered);
	tcase_add_test(tc, test_set_day);
	tcase_add_test(tc, test_far_years);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	return (s);
}

/* Run the suite; exit non-zero when any test failed. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(calendar_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
