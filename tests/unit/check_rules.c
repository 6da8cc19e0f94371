/*
 * Unit tests for the rule engine's arithmetic (daemon/rules.c), on the
 * shipped configuration and calendar, in Asia/Shanghai.  (Message
 * grouping and splitting: check_message.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "escalator.h"

static struct config	*conf;

/* A local instant from "YYYY-MM-DD HH:MM[:SS]". */
static int64_t
at(const char *s)
{
	int64_t	 t;

	ck_assert_msg(rules_parse_time(s, 0, &t) == 0, "bad time %s", s);
	return (t);
}

/* Format an instant for comparisons. */
static const char *
fmt(int64_t t)
{
	static char	 buf[4][32];
	static int	 i;

	i = (i + 1) % 4;
	rules_format(t, buf[i], sizeof buf[i]);
	return (buf[i]);
}

/* Load the shipped configuration once. */
static void
setup(void)
{
	char	**problems = NULL;
	size_t	  n = 0, i;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	conf = config_load("rules/approval-escalatord.conf", &problems, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s\n", problems[i]);
	config_problems_free(problems, n);
	ck_assert_ptr_nonnull(conf);
}

/* Free it. */
static void
teardown(void)
{
	config_free(conf);
}

START_TEST(test_parse_time)
{
	int64_t	 t;

	ck_assert_int_eq(rules_parse_time("2026-02-30", 0, &t), -1);
	ck_assert_int_eq(rules_parse_time("2026-13-01", 0, &t), -1);
	ck_assert_int_eq(rules_parse_time("2026-01-01 24:00", 0, &t), -1);
	ck_assert_int_eq(rules_parse_time("2026-01-01 12:60", 0, &t), -1);
	ck_assert_int_eq(rules_parse_time("2026-01-01x", 0, &t), -1);
	ck_assert_int_eq(rules_parse_time("tomorrow", 0, &t), -1);
	ck_assert_int_eq(rules_parse_time("+5x", 0, &t), -1);
	ck_assert_int_eq(rules_parse_time("+90", 1000, &t), 0);
	ck_assert_int_eq(t, 1090);
	ck_assert_int_eq(rules_parse_time("+2h", 1000, &t), 0);
	ck_assert_int_eq(t, 1000 + 7200);
	ck_assert_int_eq(rules_parse_time("2024-02-29 08:30", 0, &t), 0);
	ck_assert_str_eq(fmt(t), "2024-02-29 08:30:00");
	ck_assert_int_eq(rules_parse_time("2026-09-24T09:15:07", 0, &t), 0);
	ck_assert_str_eq(fmt(t), "2026-09-24 09:15:07");
	/* Asia/Shanghai is UTC+8: the epoch is 08:00 local. */
	ck_assert_str_eq(fmt(0), "1970-01-01 08:00:00");
}
END_TEST

/* The worked examples of DOMAIN.md, as deadlines at 18:00. */
START_TEST(test_deadline_examples)
{
	struct duration	 d;
	int		 unc = 0;

	ck_assert_int_eq(config_parse_duration("5wd", &d), 0);
	ck_assert_str_eq(fmt(rules_deadline(conf->calendar,
	    at("2026-09-24 10:00"), &d, 18 * 60, &unc)), "2026-10-09 18:00:00");
	ck_assert_int_eq(config_parse_duration("1wd", &d), 0);
	ck_assert_str_eq(fmt(rules_deadline(conf->calendar,
	    at("2026-09-30 16:00"), &d, 18 * 60, &unc)), "2026-10-08 18:00:00");
	ck_assert_int_eq(config_parse_duration("3wd", &d), 0);
	ck_assert_str_eq(fmt(rules_deadline(conf->calendar,
	    at("2026-02-12 09:00"), &d, 18 * 60, &unc)), "2026-02-24 18:00:00");
	ck_assert_int_eq(unc, 0);
	/* Calendar days and hours. */
	ck_assert_int_eq(config_parse_duration("10d", &d), 0);
	ck_assert_str_eq(fmt(rules_deadline(conf->calendar,
	    at("2026-09-24 10:00"), &d, 18 * 60, &unc)), "2026-10-04 18:00:00");
	ck_assert_int_eq(config_parse_duration("48h", &d), 0);
	ck_assert_str_eq(fmt(rules_deadline(conf->calendar,
	    at("2026-09-24 10:00"), &d, 18 * 60, &unc)), "2026-09-26 10:00:00");
	/* Beyond the covered years: counted Mon-Fri and flagged. */
	ck_assert_int_eq(config_parse_duration("5wd", &d), 0);
	ck_assert_str_eq(fmt(rules_deadline(conf->calendar,
	    at("2026-12-30 10:00"), &d, 18 * 60, &unc)), "2027-01-06 18:00:00");
	ck_assert_int_eq(unc, 1);
}
END_TEST

/* A policy: warning -2wd, reminder 0 repeating 1wd, supervision 3wd. */
static struct policy *
ladder(void)
{
	static struct stage	 st[3];
	static struct policy	 p;

	memset(st, 0, sizeof st);
	memset(&p, 0, sizeof p);
	st[0].name = (char *)(uintptr_t)"warning";
	config_parse_duration("-2wd", &st[0].offset);
	st[1].name = (char *)(uintptr_t)"reminder";
	config_parse_duration("0", &st[1].offset);
	config_parse_duration("1wd", &st[1].repeat);
	st[2].name = (char *)(uintptr_t)"supervision";
	config_parse_duration("3wd", &st[2].offset);
	p.name = (char *)(uintptr_t)"t";
	p.stages = st;
	p.nstages = 3;
	p.window = -1;
	return (&p);
}

START_TEST(test_ladder_times)
{
	struct policy	*p = ladder();
	int64_t		 due = at("2026-09-30 18:00");
	int		 s, r;

	/* Warning two working days before; the holiday week is skipped. */
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, &p->stages[0],
	    due, 0, NULL)), "2026-09-28 18:00:00");
	/* Reminders repeat each working day: 10-08 and 10-09 after 09-30. */
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, &p->stages[1],
	    due, 1, NULL)), "2026-10-08 18:00:00");
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, &p->stages[1],
	    due, 2, NULL)), "2026-10-09 18:00:00");
	/* Supervision 3 working days overdue: 10-08, 10-09, Sat 10-10
	 * (a make-up working day). */
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, &p->stages[2],
	    due, 0, NULL)), "2026-10-10 18:00:00");

	/* Nothing due before the warning. */
	ck_assert_int_eq(rules_due(p, conf->calendar, due, -1, 0,
	    at("2026-09-28 17:59"), &s, &r), 0);
	ck_assert_int_eq(rules_due(p, conf->calendar, due, -1, 0,
	    at("2026-09-28 18:00"), &s, &r), 1);
	ck_assert_int_eq(s, 0);
	/* After downtime only the latest due (stage, repetition) fires. */
	ck_assert_int_eq(rules_due(p, conf->calendar, due, 0, 0,
	    at("2026-10-09 19:00"), &s, &r), 1);
	ck_assert_int_eq(s, 1);
	ck_assert_int_eq(r, 2);
	ck_assert_int_eq(rules_due(p, conf->calendar, due, 1, 2,
	    at("2026-10-09 19:00"), &s, &r), 0);
	ck_assert_int_eq(rules_due(p, conf->calendar, due, -1, 0,
	    at("2026-10-12 09:00"), &s, &r), 1);
	ck_assert_int_eq(s, 2);
	/* Next time: the next repetition or the next stage, whichever first. */
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, due, 1, 0)),
	    "2026-10-08 18:00:00");
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, due, 1, 2)),
	    "2026-10-10 18:00:00");
	ck_assert_int_eq(rules_next_time(p, conf->calendar, due, 2, 0), 0);
	ck_assert_int_eq(rules_stage_index(p, "supervision"), 2);
	ck_assert_int_eq(rules_stage_index(p, "gone"), -1);
}
END_TEST

START_TEST(test_windows)
{
	struct window	 w = { (char *)(uintptr_t)"office", 1, 8 * 60 + 30,
	    18 * 60 };

	ck_assert(rules_in_window(conf->calendar, &w, at("2026-11-24 08:30")));
	ck_assert(!rules_in_window(conf->calendar, &w, at("2026-11-24 18:00")));
	ck_assert(!rules_in_window(conf->calendar, &w, at("2026-11-24 08:29")));
	/* Tuesday night -> Wednesday 08:30. */
	ck_assert_str_eq(fmt(rules_window_next(conf->calendar, &w,
	    at("2026-11-24 21:00"))), "2026-11-25 08:30:00");
	/* Early morning -> the same day's opening. */
	ck_assert_str_eq(fmt(rules_window_next(conf->calendar, &w,
	    at("2026-11-25 02:00"))), "2026-11-25 08:30:00");
	/* Friday evening -> Monday. */
	ck_assert_str_eq(fmt(rules_window_next(conf->calendar, &w,
	    at("2026-11-27 18:30"))), "2026-11-30 08:30:00");
	/* Spring Festival: Sun 2026-02-15 .. Mon 02-23 off. */
	ck_assert_str_eq(fmt(rules_window_next(conf->calendar, &w,
	    at("2026-02-13 19:00"))), "2026-02-14 08:30:00");
	ck_assert_str_eq(fmt(rules_window_next(conf->calendar, &w,
	    at("2026-02-14 19:00"))), "2026-02-24 08:30:00");
	ck_assert_str_eq(fmt(rules_window_next(conf->calendar, NULL,
	    at("2026-02-14 19:00"))), "2026-02-14 19:00:00");
}
END_TEST

START_TEST(test_overdue)
{
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar,
	    at("2026-09-30 18:00"), at("2026-10-09 10:00")), 2);
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar,
	    at("2026-09-30 18:00"), at("2026-09-30 17:00")), 0);
}
END_TEST

/* The status and mode table: the strings the database and API keep. */
START_TEST(test_model)
{
	static const char *const statuses[] = { "planned", "accepted",
	    "suspended", "done", "cancelled", NULL };
	static const char *const modes[] = { "normal", "预审", "容缺受理",
	    "告知承诺", NULL };
	size_t	 i;

	for (i = 0; statuses[i] != NULL; i++) {
		ck_assert_str_eq(model_statuses[i], statuses[i]);
		ck_assert(model_valid_status(statuses[i]));
	}
	ck_assert_ptr_null(model_statuses[i]);
	for (i = 0; modes[i] != NULL; i++) {
		ck_assert_str_eq(model_modes[i], modes[i]);
		ck_assert(model_valid_mode(modes[i]));
	}
	ck_assert_ptr_null(model_modes[i]);
	ck_assert(!model_valid_status("active"));
	ck_assert(!model_valid_mode("容缺"));
	ck_assert(model_status_open(STATUS_ACCEPTED));
	ck_assert(model_status_open(STATUS_SUSPENDED));
	ck_assert(!model_status_open(STATUS_PLANNED));
	ck_assert(!model_status_open(STATUS_DONE));
	ck_assert(model_status_closed(STATUS_DONE));
	ck_assert(model_status_closed(STATUS_CANCELLED));
	ck_assert(!model_status_closed(STATUS_ACCEPTED));
	ck_assert_str_eq(SQLQ(STATUS_DONE), "'done'");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("rules");
	TCase	*tc = tcase_create("rules");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parse_time);
	tcase_add_test(tc, test_deadline_examples);
	tcase_add_test(tc, test_ladder_times);
	tcase_add_test(tc, test_windows);
	tcase_add_test(tc, test_overdue);
	tcase_add_test(tc, test_model);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
