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

/* Times as the API writes them (RFC 3339 with the offset), read back. */
START_TEST(test_rfc3339)
{
	char	 buf[32];
	int64_t	 t, u;

	rules_format_rfc3339(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "1970-01-01T08:00:00+08:00");
	ck_assert_int_eq(rules_parse_time("2026-12-07 09:00", 0, &t), 0);
	rules_format_rfc3339(t, buf, sizeof buf);
	ck_assert_str_eq(buf, "2026-12-07T09:00:00+08:00");
	ck_assert_int_eq(rules_parse_time(buf, 0, &u), 0);
	ck_assert_int_eq(u, t);
	ck_assert_int_eq(rules_parse_time("2026-12-07T01:00:00Z", 0, &u), 0);
	ck_assert_int_eq(u, t);
	ck_assert_int_eq(rules_parse_time("2026-12-06T20:30:00-04:30", 0, &u),
	    0);
	ck_assert_int_eq(u, t);
	ck_assert_int_eq(rules_parse_time("2026-12-07T09:00+08:00", 0, &u), 0);
	ck_assert_int_eq(u, t);
	ck_assert_int_eq(rules_parse_time("2026-12-07T09:00:00+8:00", 0, &u),
	    -1);
	ck_assert_int_eq(rules_parse_time("2026-12-07T09:00:00+24:00", 0, &u),
	    -1);
	ck_assert_int_eq(rules_parse_time("2026-12-07T09:00:00Zx", 0, &u), -1);
	ck_assert_int_eq(rules_parse_time("2026-12-07T09:00:00+08:00x", 0,
	    &u), -1);
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
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, NULL, &p->stages[0],
	    due, 0, NULL)), "2026-09-28 18:00:00");
	/* Reminders repeat each working day: 10-08 and 10-09 after 09-30. */
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, NULL, &p->stages[1],
	    due, 1, NULL)), "2026-10-08 18:00:00");
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, NULL, &p->stages[1],
	    due, 2, NULL)), "2026-10-09 18:00:00");
	/* Supervision 3 working days overdue: 10-08, 10-09, Sat 10-10
	 * (a make-up working day). */
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, NULL, &p->stages[2],
	    due, 0, NULL)), "2026-10-10 18:00:00");

	/* Nothing due before the warning. */
	ck_assert_int_eq(rules_due(p, conf->calendar, NULL, due, -1, 0,
	    at("2026-09-28 17:59"), &s, &r), 0);
	ck_assert_int_eq(rules_due(p, conf->calendar, NULL, due, -1, 0,
	    at("2026-09-28 18:00"), &s, &r), 1);
	ck_assert_int_eq(s, 0);
	/* After downtime only the latest due (stage, repetition) fires. */
	ck_assert_int_eq(rules_due(p, conf->calendar, NULL, due, 0, 0,
	    at("2026-10-09 19:00"), &s, &r), 1);
	ck_assert_int_eq(s, 1);
	ck_assert_int_eq(r, 2);
	ck_assert_int_eq(rules_due(p, conf->calendar, NULL, due, 1, 2,
	    at("2026-10-09 19:00"), &s, &r), 0);
	ck_assert_int_eq(rules_due(p, conf->calendar, NULL, due, -1, 0,
	    at("2026-10-12 09:00"), &s, &r), 1);
	ck_assert_int_eq(s, 2);
	/* Next time: the next repetition or the next stage, whichever first. */
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, NULL, due, 1, 0)),
	    "2026-10-08 18:00:00");
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, NULL, due, 1, 2)),
	    "2026-10-10 18:00:00");
	ck_assert_int_eq(rules_next_time(p, conf->calendar, NULL, due, 2, 0), 0);
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

/*
 * The shipped ladder on the real calendar: a stage of N working days
 * arrives on that working day, at the office window's opening, and its
 * text says N.  Accepted Thu 2026-09-24, 5wd: due Fri 10-09 18:00 (中秋
 * 09-25..27 and 国庆 10-01..07 off, Sat 10-10 a make-up working day).
 */
START_TEST(test_workday_stages_arrive_on_their_day)
{
	const struct policy	*p = config_policy(conf, "default");
	const struct window	*w;
	struct duration		 d;
	int64_t			 due, t;
	int			 s, r;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(w = config_window(conf, p->window));
	ck_assert_int_eq(config_parse_duration("5wd", &d), 0);
	due = rules_deadline(conf->calendar, at("2026-09-24 10:00"), &d,
	    conf->deadline_min, NULL);
	ck_assert_str_eq(fmt(due), "2026-10-09 18:00:00");

	/* 临期提醒 -2wd: Wed 09-30 (10-08 is -1), 剩余2个工作日. */
	t = rules_stage_time(conf->calendar, w, &p->stages[0], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-09-30 08:30:00");
	ck_assert(rules_in_window(conf->calendar, w, t));
	ck_assert_int_eq(rules_days_left(conf->calendar, due, t), 2);
	ck_assert_int_eq(rules_days_left(conf->calendar, due,
	    at("2026-10-08 08:30")), 1);
	/* 催办 0wd on the deadline's day, then each working day. */
	t = rules_stage_time(conf->calendar, w, &p->stages[1], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-10-09 08:30:00");
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due, t), 0);
	ck_assert_int_eq(rules_days_left(conf->calendar, due, t), 0);
	t = rules_stage_time(conf->calendar, w, &p->stages[1], due, 1, NULL);
	ck_assert_str_eq(fmt(t), "2026-10-10 08:30:00");
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due, t), 1);
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w,
	    &p->stages[1], due, 2, NULL)), "2026-10-12 08:30:00");
	/* 督查 3wd: 10-10, 10-12, Tue 10-13. */
	t = rules_stage_time(conf->calendar, w, &p->stages[2], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-10-13 08:30:00");
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due, t), 3);
	/* 约谈 5wd: Thu 10-15, 超期5个工作日 (not 6, the next morning). */
	t = rules_stage_time(conf->calendar, w, &p->stages[3], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-10-15 08:30:00");
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due, t), 5);
	/* 提级 10wd: Thu 10-22, 超期10个工作日. */
	t = rules_stage_time(conf->calendar, w, &p->stages[4], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-10-22 08:30:00");
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due, t), 10);

	/* What is due when: the warning from its opening on, not before. */
	ck_assert_int_eq(rules_due(p, conf->calendar, w, due, -1, 0,
	    at("2026-09-30 08:29:59"), &s, &r), 0);
	ck_assert_int_eq(rules_due(p, conf->calendar, w, due, -1, 0,
	    at("2026-09-30 08:30"), &s, &r), 1);
	ck_assert_int_eq(s, 0);
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, w, due, 0, 0)),
	    "2026-10-09 08:30:00");
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, w, due, 1, 2)),
	    "2026-10-13 08:30:00");

	/* 春节: accepted Thu 02-12, 3wd, due Tue 02-24; the warning on Fri
	 * 02-13 (Sat 02-14 is the make-up working day, -1). */
	ck_assert_int_eq(config_parse_duration("3wd", &d), 0);
	due = rules_deadline(conf->calendar, at("2026-02-12 09:00"), &d,
	    conf->deadline_min, NULL);
	t = rules_stage_time(conf->calendar, w, &p->stages[0], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-02-13 08:30:00");
	ck_assert_int_eq(rules_days_left(conf->calendar, due, t), 2);
}
END_TEST

/*
 * A deadline on a day off counts from the next working day: one 催办 per
 * working day from it, never two on one morning (Sun 10-04 10:00, in 国庆:
 * Thu 10-08, Fri 10-09, Sat 10-10, then 督查 on Mon 10-12).
 */
START_TEST(test_day_off_deadline)
{
	const struct policy	*p = config_policy(conf, "default");
	const struct window	*w = config_window(conf, p->window);
	int64_t			 due = at("2026-10-04 10:00"), t;
	int			 s, r;

	t = rules_stage_time(conf->calendar, w, &p->stages[0], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-09-29 08:30:00");
	ck_assert_int_eq(rules_days_left(conf->calendar, due, t), 2);
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w,
	    &p->stages[1], due, 0, NULL)), "2026-10-08 08:30:00");
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w,
	    &p->stages[1], due, 1, NULL)), "2026-10-09 08:30:00");
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w,
	    &p->stages[1], due, 2, NULL)), "2026-10-10 08:30:00");
	t = rules_stage_time(conf->calendar, w, &p->stages[2], due, 0, NULL);
	ck_assert_str_eq(fmt(t), "2026-10-12 08:30:00");
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due, t), 3);
	/* On the first working morning: the first 催办, 超期0; the next one
	 * is the next working day's. */
	t = at("2026-10-08 08:30");
	ck_assert_int_eq(rules_due(p, conf->calendar, w, due, 0, 0, t, &s,
	    &r), 1);
	ck_assert_int_eq(s, 1);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due, t), 0);
	ck_assert_int_eq(rules_due(p, conf->calendar, w, due, 1, 0,
	    at("2026-10-08 17:59"), &s, &r), 0);
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, w, due, 1, 0)),
	    "2026-10-09 08:30:00");
	/* Still overdue by nothing on the holiday itself. */
	ck_assert_int_eq(rules_overdue_workdays(conf->calendar, due,
	    at("2026-10-05 09:00")), 0);
}
END_TEST

/* Repeats: in days once per calendar day (a weekend's wait for the window
 * gives one message on Monday), in seconds as they are. */
START_TEST(test_repeat_units)
{
	static struct stage	 st;
	static struct policy	 p;
	const struct window	*w = config_window(conf,
	    config_policy(conf, "default")->window);
	int64_t			 due = at("2026-11-27 10:00");	/* a Friday */
	int			 s, r;

	memset(&st, 0, sizeof st);
	memset(&p, 0, sizeof p);
	st.name = (char *)(uintptr_t)"daily";
	config_parse_duration("0d", &st.offset);
	config_parse_duration("1d", &st.repeat);
	p.name = (char *)(uintptr_t)"d";
	p.stages = &st;
	p.nstages = 1;
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w, &st, due, 0,
	    NULL)), "2026-11-27 08:30:00");
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w, &st, due, 1,
	    NULL)), "2026-11-28 08:30:00");
	/* Monday's opening: the repetitions of Sat, Sun and Mon are one. */
	ck_assert_int_eq(rules_due(&p, conf->calendar, w, due, 0, 0,
	    at("2026-11-30 08:30"), &s, &r), 1);
	ck_assert_int_eq(r, 3);
	ck_assert_str_eq(fmt(rules_next_time(&p, conf->calendar, w, due, 0, 3)),
	    "2026-12-01 08:30:00");

	/* Seconds: instants, window or not. */
	config_parse_duration("0", &st.offset);
	config_parse_duration("2h", &st.repeat);
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w, &st, due, 0,
	    NULL)), "2026-11-27 10:00:00");
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w, &st, due, 3,
	    NULL)), "2026-11-27 16:00:00");
	/* An instant stage repeated in working days: from the next working
	 * day on, at the window's opening. */
	config_parse_duration("1wd", &st.repeat);
	ck_assert_str_eq(fmt(rules_stage_time(conf->calendar, w, &st, due, 1,
	    NULL)), "2026-11-30 08:30:00");
}
END_TEST

/* The shipped stale ladder: a note on Wed 09-30 10:00 is answered on the
 * fifth working day after it (Tue 10-13), then every fifth. */
START_TEST(test_stale_after_a_note)
{
	const struct policy	*p = config_policy(conf, "stale");
	const struct window	*w = config_window(conf, p->window);
	int64_t			 due;

	ck_assert_int_eq(p->stale_after.n, 5);
	due = rules_add(conf->calendar, at("2026-09-30 10:00"), &p->stale_after,
	    1, NULL);
	ck_assert_str_eq(fmt(due), "2026-10-13 10:00:00");
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, w, due, -1, 0)),
	    "2026-10-13 08:30:00");
	ck_assert_str_eq(fmt(rules_next_time(p, conf->calendar, w, due, 0, 0)),
	    "2026-10-20 08:30:00");
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
	ck_assert_uint_eq(model_text_limit("handler"), MODEL_TEXT_NAME);
	ck_assert_uint_eq(model_text_limit("note"), MODEL_TEXT_NOTE);
	ck_assert_uint_eq(model_text_limit("code"), MODEL_TEXT_CODE);
	ck_assert_uint_eq(model_text_limit("deadline"), MODEL_TEXT_TIME);
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
	tcase_add_test(tc, test_rfc3339);
	tcase_add_test(tc, test_deadline_examples);
	tcase_add_test(tc, test_ladder_times);
	tcase_add_test(tc, test_windows);
	tcase_add_test(tc, test_overdue);
	tcase_add_test(tc, test_workday_stages_arrive_on_their_day);
	tcase_add_test(tc, test_day_off_deadline);
	tcase_add_test(tc, test_repeat_units);
	tcase_add_test(tc, test_stale_after_a_note);
	tcase_add_test(tc, test_model);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
