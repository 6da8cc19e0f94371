/*
 * Unit tests for report.c: the period arithmetic on the working-day
 * calendar (holidays, make-up days, clamped days of the month), each
 * report's content and ranking on fixture data, CSV and plain-text output,
 * the "reports" configuration, and sending once
 * per period, also across a restart and after downtime.  Runs from the
 * repository root with the shipped rules (rules/reports.conf included).
 * (A report split at a byte limit: check_message.c.)
 *
 * With CHECK_REPORT_SAMPLES=DIR set, the fixture's reports are also
 * written to DIR (the samples in docs/REPORTS.md come from there).
 */
#include <sys/stat.h>

#include <check.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escalator.h"

#define SHIPPED		"rules/approval-escalatord.conf"

static struct config	*conf;
static struct store	*store;
static char		 tmpdir[] = "/tmp/check_report.XXXXXX";

/* An instant from "YYYY-MM-DD[ HH:MM]" in Asia/Shanghai. */
static int64_t
T(const char *s)
{
	int64_t	 t;

	ck_assert_msg(rules_parse_time(s, 0, &t) == 0, "bad time %s", s);
	return (t);
}

/* An instant as "YYYY-MM-DD HH:MM" (static buffer). */
static const char *
fmt(int64_t t)
{
	static char	 buf[4][32];
	static int	 n;
	char		*b = buf[n++ % 4];

	rules_format(t, b, sizeof buf[0]);
	b[16] = '\0';
	return (b);
}

/* Load the shipped configuration and an in-memory store. */
static void
setup(void)
{
	char	**problems = NULL, *err = NULL;
	size_t	  n = 0, i;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	conf = config_load(SHIPPED, &problems, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "problem: %s\n", problems[i]);
	config_problems_free(problems, n);
	ck_assert_ptr_nonnull(conf);
	store = store_open(":memory:", &err);
	ck_assert_msg(store != NULL, "%s", err ? err : "");
}

/* Free them. */
static void
teardown(void)
{
	store_close(store);
	config_free(conf);
	store = NULL;
	conf = NULL;
}

/* A configured (or built-in) report that must exist. */
static const struct report_conf *
R(const char *name)
{
	const struct report_conf	*rc = report_find(conf, name);

	ck_assert_msg(rc != NULL, "no report %s", name);
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Period arithmetic. */

/* Check the period of t: its key and scheduled instant. */
static void
check_period(const struct report_conf *rc, const char *t, const char *key,
    const char *when)
{
	char	 k[32];
	int64_t	 s;

	s = report_period_start(rc, conf->calendar, T(t), k, sizeof k);
	ck_assert_msg(strcmp(k, key) == 0, "%s at %s: key %s, want %s",
	    rc->name, t, k, key);
	ck_assert_msg(s == T(when), "%s at %s: due %s, want %s", rc->name, t,
	    fmt(s), when);
}

/* Check the next scheduled instant after t. */
static void
check_next(const struct report_conf *rc, const char *after, const char *when)
{
	int64_t	 s = report_next_time(rc, conf->calendar, T(after));

	ck_assert_msg(s == T(when), "%s after %s: next %s, want %s", rc->name,
	    after, fmt(s), when);
}

/* Check the latest scheduled instant at or before t and its key. */
static void
check_latest(const struct report_conf *rc, const char *t, const char *key,
    const char *when)
{
	char	 k[32];
	int64_t	 s = report_latest(rc, conf->calendar, T(t), k, sizeof k);

	if (when == NULL) {
		ck_assert_msg(s == 0, "%s at %s: latest %s, want none",
		    rc->name, t, fmt(s));
		return;
	}
	ck_assert_msg(s == T(when) && strcmp(k, key) == 0, "%s at %s: latest "
	    "%s %s, want %s %s", rc->name, t, k, fmt(s), key, when);
}

/* Weekly on Monday 09:00: a normal week, National Day, Spring Festival. */
START_TEST(test_weekly_schedule)
{
	const struct report_conf *rc = R("weekly-social");

	check_period(rc, "2026-11-25 12:00", "2026-W48", "2026-11-23 09:00");
	/* 10-01..07 are off; Thursday 10-08 is the first working day. */
	check_period(rc, "2026-10-06 12:00", "2026-W41", "2026-10-08 09:00");
	check_next(rc, "2026-09-28 09:00", "2026-10-08 09:00");
	check_next(rc, "2026-10-05 10:00", "2026-10-08 09:00");
	check_next(rc, "2026-10-08 09:00", "2026-10-12 09:00");
	check_latest(rc, "2026-10-07 23:00", "2026-W40", "2026-09-28 09:00");
	check_latest(rc, "2026-10-08 09:00", "2026-W41", "2026-10-08 09:00");
	/* Spring Festival 02-15..23: two Mondays off, both go on 02-24. */
	check_period(rc, "2026-02-18 12:00", "2026-W08", "2026-02-24 09:00");
	check_period(rc, "2026-02-23 12:00", "2026-W09", "2026-02-24 09:00");
	check_next(rc, "2026-02-09 09:00", "2026-02-24 09:00");
	check_next(rc, "2026-02-23 09:00", "2026-02-24 09:00");
	check_next(rc, "2026-02-24 09:00", "2026-03-02 09:00");
	check_latest(rc, "2026-02-24 10:00", "2026-W09", "2026-02-24 09:00");
	check_latest(rc, "2026-02-23 10:00", "2026-W07", "2026-02-09 09:00");
	/* ISO weeks across the year end. */
	check_period(rc, "2026-12-31 12:00", "2026-W53", "2026-12-28 09:00");
	check_period(rc, "2026-01-01 12:00", "2026-W01", "2025-12-29 09:00");
	check_period(rc, "2026-01-05 12:00", "2026-W02", "2026-01-05 09:00");
	check_period(rc, "2025-12-28 12:00", "2025-W52", "2025-12-22 09:00");
}
END_TEST

/* A Saturday or Sunday report goes on a make-up working day. */
START_TEST(test_weekend_makeup)
{
	struct report_conf	 rc;

	memset(&rc, 0, sizeof rc);
	rc.name = "sat";
	rc.type = REPORT_WEEKLY;
	rc.schedule = REPORT_SCHED_WEEKLY;
	rc.weekday = 6;
	rc.time_min = 9 * 60;
	/* Saturday 02-14 is a make-up working day: it goes that day. */
	check_period(&rc, "2026-02-10 12:00", "2026-W07", "2026-02-14 09:00");
	/* An ordinary Saturday: the next Monday. */
	check_period(&rc, "2026-03-03 12:00", "2026-W10", "2026-03-09 09:00");
	check_next(&rc, "2026-02-14 09:00", "2026-02-24 09:00");
	/* Sunday 01-04 is a make-up working day. */
	rc.weekday = 7;
	check_period(&rc, "2026-01-01 12:00", "2026-W01", "2026-01-04 09:00");
	check_period(&rc, "2026-01-07 12:00", "2026-W02", "2026-01-12 09:00");
}
END_TEST

/* The 1st and 16th: Spring Festival, New Year, a Sunday. */
START_TEST(test_semimonthly_schedule)
{
	const struct report_conf *rc = R("review");

	check_period(rc, "2026-11-20 12:00", "2026-11-16", "2026-11-16 09:00");
	/* 02-16 is in the Spring Festival: Tuesday 02-24. */
	check_period(rc, "2026-02-20 12:00", "2026-02-16", "2026-02-24 09:00");
	/* 01-01..03 off, Sunday 01-04 a make-up working day. */
	check_period(rc, "2026-01-10 12:00", "2026-01-01", "2026-01-04 09:00");
	/* 11-01 is a Sunday: Monday 11-02. */
	check_period(rc, "2026-11-01 12:00", "2026-11-01", "2026-11-02 09:00");
	check_period(rc, "2026-10-31 12:00", "2026-10-16", "2026-10-16 09:00");
	/* 10-01 is National Day: Thursday 10-08. */
	check_period(rc, "2026-10-03 12:00", "2026-10-01", "2026-10-08 09:00");
	check_next(rc, "2026-02-02 09:00", "2026-02-24 09:00");
	check_next(rc, "2026-02-24 09:00", "2026-03-02 09:00");
	check_next(rc, "2026-11-16 08:59", "2026-11-16 09:00");
	check_next(rc, "2026-12-16 09:00", "2027-01-01 09:00");
	check_latest(rc, "2026-02-23 12:00", "2026-02-01", "2026-02-02 09:00");
	check_latest(rc, "2026-02-24 09:00", "2026-02-16", "2026-02-24 09:00");
}
END_TEST

/* Every other Friday from an anchor that is itself a holiday. */
START_TEST(test_biweekly_schedule)
{
	const struct report_conf *rc = R("bulletin");

	ck_assert_int_eq(rc->weekday, 5);
	/* 01-02 is off; Sunday 01-04 is a make-up working day. */
	check_period(rc, "2026-01-02 12:00", "2026-01-02", "2026-01-04 16:00");
	/* A period is two ISO weeks: the anchor's and the next. */
	check_period(rc, "2026-01-11 12:00", "2026-01-02", "2026-01-04 16:00");
	check_period(rc, "2026-01-12 12:00", "2026-01-16", "2026-01-16 16:00");
	check_latest(rc, "2026-01-14 12:00", "2026-01-02", "2026-01-04 16:00");
	check_period(rc, "2026-11-25 12:00", "2026-11-20", "2026-11-20 16:00");
	/* 09-25 is the Mid-Autumn Festival: Monday 09-28. */
	check_period(rc, "2026-09-25 12:00", "2026-09-25", "2026-09-28 16:00");
	check_next(rc, "2026-09-24 12:00", "2026-09-28 16:00");
	check_next(rc, "2026-09-28 16:00", "2026-10-09 16:00");
	/* Nothing before the anchor. */
	check_latest(rc, "2025-12-31 12:00", NULL, NULL);
	check_latest(rc, "2026-01-04 15:00", NULL, NULL);
	check_latest(rc, "2026-01-04 16:00", "2026-01-02", "2026-01-04 16:00");
	check_next(rc, "2025-06-01 00:00", "2026-01-04 16:00");
}
END_TEST

/* A monthly day past the month's end is its last day. */
START_TEST(test_monthly_schedule)
{
	struct report_conf	 rc;
	int			 day31[] = { 31 }, day1[] = { 1 };

	memset(&rc, 0, sizeof rc);
	rc.name = "month";
	rc.type = REPORT_BULLETIN;
	rc.schedule = REPORT_SCHED_MONTHLY;
	rc.days = day31;
	rc.ndays = 1;
	rc.time_min = 10 * 60;
	/* 01-31 is a Saturday: Monday 02-02; February's is 02-28, a make-up
	 * working day. */
	check_period(&rc, "2026-02-15 12:00", "2026-01", "2026-02-02 10:00");
	check_period(&rc, "2026-02-28 12:00", "2026-02", "2026-02-28 10:00");
	check_period(&rc, "2026-03-30 12:00", "2026-02", "2026-02-28 10:00");
	check_period(&rc, "2026-04-30 12:00", "2026-04", "2026-04-30 10:00");
	check_next(&rc, "2026-02-02 10:00", "2026-02-28 10:00");
	rc.days = day1;
	check_period(&rc, "2026-10-20 12:00", "2026-10", "2026-10-08 10:00");
	check_next(&rc, "2026-09-01 10:00", "2026-10-08 10:00");
	/* No schedule: never due. */
	rc.schedule = REPORT_SCHED_NONE;
	ck_assert_int_eq(report_next_time(&rc, conf->calendar,
	    T("2026-10-20")), 0);
	ck_assert_int_eq(report_latest(&rc, conf->calendar, T("2026-10-20"),
	    NULL, 0), 0);
}
END_TEST

/* Reports by name or type, groups by name or category. */
START_TEST(test_lookup)
{
	ck_assert_ptr_eq(report_find(conf, "review"), &conf->reports[3]);
	ck_assert_str_eq(R("weekly")->name, "weekly");
	ck_assert_int_eq(R("weekly")->nchannels, 0);
	ck_assert_int_eq(R("agenda")->type, REPORT_AGENDA);
	ck_assert_ptr_null(report_find(conf, "daily"));
	ck_assert_str_eq(report_group(conf, "社会投资类")->name,
	    "社会投资类推进组");
	ck_assert_str_eq(report_group(conf, "城市建设类推进组")->name,
	    "城市建设类推进组");
	ck_assert_ptr_null(report_group(conf, "不存在"));
	ck_assert_int_eq(conf->nreports, 6);
	ck_assert_str_eq(conf->reports[0].file, "rules/reports.conf");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fixture data: three projects, twelve items, around week 48 of 2026. */

/* Add an accepted item (created 2026-10-20 10:00) in its own
 * transaction; returns its id. */
static int64_t
add(const char *project, const char *pname, const char *category,
    const char *region, const char *kind, const char *dept,
    const char *deadline)
{
	struct item_input	 in;
	struct api_error	 e;
	int64_t			 id;
	int			 created;

	memset(&in, 0, sizeof in);
	memset(&e, 0, sizeof e);
	in.project = project;
	in.project_name = pname;
	in.category = category;
	in.region = region;
	in.name = kind;
	in.department = dept;
	in.deadline = deadline;
	in.accepted = "2026-10-20 10:00";
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_add(conf, store, &in, T("2026-10-20 10:00"), &id,
	    &created, &e) == 0, "item_add: %s", e.msg);
	ck_assert_int_eq(store_commit(store), 0);
	return (id);
}

/* Apply an event at a time. */
static void
event(int64_t id, const char *type, const char *reason, const char *at)
{
	struct api_error	 e;

	memset(&e, 0, sizeof e);
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_event(conf, store, id, type, reason, reason, T(at),
	    T(at), &e) == 0, "%s %lld: %s", type, (long long)id, e.msg);
	ck_assert_int_eq(store_commit(store), 0);
}

/* The fixture's item ids. */
static int64_t	 i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11;

/* Load the fixture and move the ladders to 2026-11-23 10:00. */
static void
fixture(void)
{
	const char	*soc = "社会投资类", *urb = "城市建设类";
	const char	*p1 = "新城商业综合体", *p2 = "滨河康养中心";
	const char	*p3 = "北山大道改造";

	i1 = add("P2026-101", p1, soc, "东城区", "立项", "投资项目审批科",
	    "2026-11-27 18:00");
	i2 = add("P2026-101", p1, soc, "东城区", "规划许可", "建设工程审批科",
	    "2026-11-17 18:00");
	i3 = add("P2026-101", p1, soc, "东城区", "施工许可",
	    "东城区行政审批局", "2026-11-20 18:00");
	i6 = add("P2026-101", p1, soc, "东城区", "选址", "东城区行政审批局",
	    "2026-11-10 18:00");
	i4 = add("P2026-102", p2, soc, "西城区", "环评", "西城区行政审批局",
	    "2026-11-30 18:00");
	i5 = add("P2026-102", p2, soc, "西城区", "人防报建", "建设工程审批科",
	    "2026-12-10 18:00");
	i11 = add("P2026-102", p2, soc, "西城区", "规划许可",
	    "西城区行政审批局", "2026-11-26 18:00");
	i7 = add("P2026-201", p3, urb, "北山县", "立项", "北山县行政审批局",
	    "2026-11-13 18:00");
	i8 = add("P2026-201", p3, urb, "北山县", "施工许可",
	    "北山县行政审批局", "2026-12-20 18:00");
	i9 = add("P2026-201", p3, urb, "北山县", "能评", "投资项目审批科",
	    "2026-11-05 18:00");
	i10 = add("P2026-201", p3, urb, "北山县", "选址", "投资项目审批科",
	    "2026-10-28 18:00");

	event(i10, "done", NULL, "2026-11-04 11:00");
	event(i8, "block", "用地指标不足", "2026-11-05 10:00");
	event(i5, "block", "人防易地建设费缴纳存在争议", "2026-11-10 10:00");
	event(i7, "done", NULL, "2026-11-12 15:00");
	event(i8, "raise", "跨部门用地指标协调", "2026-11-18 10:00");
	event(i1, "block", "补正材料未齐", "2026-11-19 10:00");
	ck_assert_int_ge(scheduler_step(conf, store, T("2026-11-23 10:00")), 1);
	event(i4, "done", NULL, "2026-11-23 15:00");
	event(i3, "done", NULL, "2026-11-24 10:00");
	event(i6, "progress", "已召开现场协调会", "2026-11-24 11:00");
	event(i1, "progress", "补正材料已提交一半", "2026-11-25 11:00");
	event(i2, "progress", "专家评审已完成", "2026-11-26 11:00");
	event(i11, "done", NULL, "2026-11-26 10:00");
}

/* Render a report; the caller frees title and text. */
static char *
render(const char *name, const char *group, const char *at, int64_t since,
    enum report_format f, char **title)
{
	char	*text;
	size_t	 len;

	ck_assert_int_eq(report_render(conf, store, R(name), group ?
	    report_group(conf, group) : NULL, T(at), since, f, NULL, title,
	    &text, &len), 0);
	ck_assert_uint_eq(strlen(text), len);
	return (text);
}

/* Where needle occurs in text, failing when it does not. */
static const char *
has(const char *text, const char *needle)
{
	const char	*p = strstr(text, needle);

	ck_assert_msg(p != NULL, "missing \"%s\" in:\n%s", needle, text);
	return (p);
}

/* Whether needles occur in this order. */
static void
in_order(const char *text, const char *a, const char *b)
{
	ck_assert_msg(has(text, a) < has(text, b), "\"%s\" not before \"%s\" "
	    "in:\n%s", a, b, text);
}

/* The text between two markers (malloc'd). */
static char *
between(const char *text, const char *from, const char *to)
{
	const char	*a = has(text, from), *b;

	b = to != NULL ? strstr(a, to) : NULL;
	return (b != NULL ? xstrndup(a, b - a) : xstrdup(a));
}

/* Write a sample for docs/REPORTS.md when asked to. */
static void
sample(const char *file, const char *text)
{
	const char	*dir = getenv("CHECK_REPORT_SAMPLES");
	char		 path[4096];
	FILE		*f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* The weekly digest of one group: every section, in order. */
START_TEST(test_weekly_content)
{
	char	*title, *text, *s;

	fixture();
	text = render("weekly-social", NULL, "2026-11-27 17:00", 0,
	    REPORT_MARKDOWN, &title);
	sample("weekly.md", text);
	ck_assert_str_eq(title, "社会投资类推进组每周调度（2026年第48周）");
	ck_assert_msg(strncmp(text, "## 社会投资类推进组每周调度", 36) == 0,
	    "%s", text);
	has(text, "> 本周：11月23日（周一）至 11月29日（周日），截至 11月27日（周五）"
	    "17:00");
	has(text, "> 在办 4 项｜本周到期 1｜逾期 2｜本周办结 3｜无进展 1｜卡点 2");
	in_order(text, "### 一、本周到期（1）", "### 二、逾期事项（2）");
	in_order(text, "### 二、逾期事项（2）", "### 三、本周办结（3）");
	in_order(text, "### 三、本周办结（3）", "### 四、5 个工作日以上无进展（1）");
	in_order(text, "### 四、5 个工作日以上无进展（1）", "### 五、卡点事项（2）");
	has(text, "1. P2026-101 新城商业综合体 · 立项（投资项目审批科） · 11月27日"
	    "（周五）18:00 到期（今日）");
	/* Overdue by stage, the furthest up the ladder first. */
	s = between(text, "### 二、", "### 三、");
	in_order(s, "约谈 1 项：", "督查 1 项：");
	has(s, "1. P2026-101 新城商业综合体 · 选址（东城区行政审批局） · 逾期 13 个"
	    "工作日（期限 11月10日）");
	has(s, "1. P2026-101 新城商业综合体 · 规划许可（建设工程审批科） · 逾期 8 个"
	    "工作日（期限 11月17日）");
	free(s);
	s = between(text, "### 三、", "### 四、");
	in_order(s, "环评（西城区行政审批局） · 11月23日办结，提前 5 个工作日",
	    "施工许可（东城区行政审批局） · 11月24日办结，逾期 2 个工作日");
	in_order(s, "施工许可", "规划许可（西城区行政审批局） · 11月26日办结，按期");
	free(s);
	has(text, "1. P2026-102 滨河康养中心 · 人防报建（建设工程审批科） · 已 28 个"
	    "工作日无进展（最近 10月20日）");
	s = between(text, "### 五、", NULL);
	in_order(s, "1. P2026-102 滨河康养中心 · 人防报建（建设工程审批科） · 卡点："
	    "人防易地建设费缴纳存在争议（自 11月10日，13 个工作日）",
	    "2. P2026-101 新城商业综合体 · 立项（投资项目审批科） · 卡点：补正材料"
	    "未齐（自 11月19日，6 个工作日）");
	free(s);
	/* Nothing of the other groups. */
	ck_assert_ptr_null(strstr(text, "北山"));
	free(title);
	free(text);

	/* Every group: a heading per group, 城市建设类 with its own items. */
	text = render("weekly", NULL, "2026-11-27 17:00", 0, REPORT_MARKDOWN,
	    &title);
	ck_assert_str_eq(title, "工作专班每周调度（2026年第48周）");
	in_order(text, "### 社会投资类推进组", "### 城市建设类推进组");
	in_order(text, "### 城市建设类推进组", "### 工业“四改”类推进组");
	s = between(text, "### 城市建设类推进组", "### 工业");
	has(s, "提级 1 项：");
	has(s, "能评（投资项目审批科） · 逾期 16 个工作日");
	has(s, "**五、卡点事项（1）**");
	free(s);
	has(text, "在办 0 项｜本周到期 0｜逾期 0｜本周办结 0｜无进展 0｜卡点 0");
	free(title);
	free(text);
}
END_TEST

/* Plain text has no markup; CSV has a BOM, CRLF and quoted fields. */
START_TEST(test_text_and_csv)
{
	char		*title, *text, *p;
	size_t		 lines = 0;

	fixture();
	text = render("weekly-social", NULL, "2026-11-27 17:00", 0,
	    REPORT_TEXT, &title);
	sample("weekly.txt", text);
	ck_assert_msg(strncmp(text, title, strlen(title)) == 0, "%s", text);
	ck_assert_ptr_null(strstr(text, "##"));
	ck_assert_ptr_null(strstr(text, "**"));
	ck_assert_ptr_null(strstr(text, "> "));
	has(text, "\n一、本周到期（1）\n");
	free(title);
	free(text);

	text = render("weekly-social", NULL, "2026-11-27 17:00", 0,
	    REPORT_CSV, &title);
	sample("weekly.csv", text);
	ck_assert_msg(memcmp(text, "\xef\xbb\xbf\"推进组\",\"栏目\",\"项目编号\"",
	    3 + 33) == 0, "%s", text);
	for (p = text; (p = strchr(p, '\n')) != NULL; p++) {
		ck_assert_msg(p[-1] == '\r', "bare LF in CSV");
		lines++;
	}
	/* Header, 1 due, 2 overdue, 3 done, 1 idle, 2 blocked. */
	ck_assert_uint_eq(lines, 10);
	ck_assert_uint_eq(text[strlen(text) - 1], '\n');
	has(text, "\"社会投资类推进组\",\"逾期事项\",\"P2026-101\",\"新城商业综合体\","
	    "\"选址\",\"东城区行政审批局\",\"2026-11-10 18:00\",\"\",\"约谈\","
	    "\"13\"");
	free(title);
	free(text);
}
END_TEST

/* Quotes in a field are doubled; formulas are defused. */
START_TEST(test_csv_quoting)
{
	char	*title, *text;

	add("P2026-301", "“四改”项目 \"A,B\"", "工业“四改”类", "南河县", "立项",
	    "南河县行政审批局", "2026-11-25 18:00");
	add("=HYPERLINK(1)", "@SUM", "工业“四改”类", "南河县", "立项",
	    "南河县行政审批局", "2026-11-25 18:00");
	text = render("weekly", "工业“四改”类推进组", "2026-11-23 09:00", 0,
	    REPORT_CSV, &title);
	has(text, "\"“四改”项目 \"\"A,B\"\"\"");
	has(text, "\"'=HYPERLINK(1)\",\"'@SUM\",");
	free(title);
	free(text);
}
END_TEST

/*
 * The CSV of every report is byte for byte what it was before the tables
 * became a model shared with the XLSX writer (tests/unit/golden/, written
 * by the old code; CHECK_REPORT_GOLDEN_WRITE=1 rewrites them).
 */
START_TEST(test_csv_golden)
{
	static const struct {
		const char	*file, *name, *group, *at;
	} cases[] = {
		{ "weekly-social.csv", "weekly-social", NULL, "2026-11-27 17:00" },
		{ "weekly-all.csv", "weekly", NULL, "2026-11-27 17:00" },
		{ "review.csv", "review", NULL, "2026-11-16 09:00" },
		{ "review-urban.csv", "review", "城市建设类推进组",
		  "2026-11-16 09:00" },
		{ "bulletin.csv", "bulletin", NULL, "2026-11-27 17:00" },
		{ "agenda.csv", "agenda", NULL, "2026-11-25 09:00" },
		{ "quoting.csv", "weekly", "工业“四改”类推进组",
		  "2026-11-23 09:00" },
	};
	char	*title, *text, path[256], *want;
	size_t	 i, len, wlen;
	FILE	*f;

	fixture();
	add("P2026-301", "“四改”项目 \"A,B\"", "工业“四改”类", "南河县", "立项",
	    "南河县行政审批局", "2026-11-25 18:00");
	add("=HYPERLINK(1)", "@SUM", "工业“四改”类", "南河县", "立项",
	    "南河县行政审批局", "2026-11-25 18:00");
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		ck_assert_int_eq(report_render(conf, store, R(cases[i].name),
		    cases[i].group ? report_group(conf, cases[i].group) : NULL,
		    T(cases[i].at), 0, REPORT_CSV, NULL, &title, &text, &len),
		    0);
		snprintf(path, sizeof path, "tests/unit/golden/%s",
		    cases[i].file);
		if (getenv("CHECK_REPORT_GOLDEN_WRITE") != NULL) {
			ck_assert_ptr_nonnull(f = fopen(path, "wb"));
			ck_assert_uint_eq(fwrite(text, 1, len, f), len);
			ck_assert_int_eq(fclose(f), 0);
		}
		ck_assert_msg((f = fopen(path, "rb")) != NULL, "%s", path);
		want = xmalloc(1 << 16);
		wlen = fread(want, 1, 1 << 16, f);
		fclose(f);
		ck_assert_msg(wlen == len && memcmp(want, text, len) == 0,
		    "%s differs from the golden file", cases[i].file);
		free(want);
		free(title);
		free(text);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* With action links (public_url): 签收 and the latest feedback. */

/* The stage an item stands at (store_items_report callback). */
struct stage_of {
	int64_t	 id;
	char	*stage;
};

static int
stage_cb(void *arg, const struct item_row *r, const char *policy,
    const char *stage)
{
	struct stage_of	*so = arg;

	(void)policy;
	if (r->id == so->id && stage != NULL)
		so->stage = xstrdup(stage);
	return (0);
}

/* Record an answer of an action link: an acknowledgement of the item's
 * current stage (note NULL) or feedback. */
static void
answer(int64_t id, const char *note, const char *at)
{
	struct answer_row	 a;
	struct stage_of		 so = { id, NULL };
	int32_t			 day;

	ck_assert_int_eq(store_items_report(store, 0, stage_cb, &so), 0);
	memset(&a, 0, sizeof a);
	a.item_id = id;
	a.kind = note != NULL ? "progress" : "ack";
	a.stage = so.stage;
	a.note = (char *)(uintptr_t)note;
	a.actor = "张科长";
	a.role = "department";
	a.at = T(at);
	rules_split(a.at, &day, NULL);
	a.day = day;
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_int_eq(store_answer_add(store, &a), 0);
	ck_assert_int_eq(store_commit(store), 0);
	free(so.stage);
}

/* No line of a chat text ends in an empty field. */
static void
no_empty_fields(const char *text)
{
	static const char *const bad[] = { "｜\n", "反馈（）", "｜｜", "：｜",
	    "）：\n", "· \n", "——\n" };
	size_t		 i;
	char		*t;

	xasprintf(&t, "%s\n", text);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_msg(strstr(t, bad[i]) == NULL, "\"%s\" in:\n%s",
		    bad[i], text);
	}
	free(t);
}

/*
 * With public_url the review, the bulletin, the weekly digest and the
 * agenda show each item's 已签收 / 未签收 and its latest feedback, as of
 * the report's time; the tables gain the columns (golden files
 * tests/unit/golden/links-*.csv, CHECK_REPORT_GOLDEN_WRITE=1 rewrites).
 */
START_TEST(test_answers)
{
	static const struct {
		const char	*file, *name, *at;
	} cases[] = {
		{ "links-weekly-social.csv", "weekly-social", "2026-11-27 17:00" },
		{ "links-review.csv", "review", "2026-11-27 17:00" },
		{ "links-bulletin.csv", "bulletin", "2026-11-27 17:00" },
		{ "links-agenda.csv", "agenda", "2026-11-27 17:00" },
	};
	char	*title, *text, *s, *old, path[256], *want;
	size_t	 i, len, wlen;
	FILE	*f;

	fixture();
	old = conf->public_url;
	conf->public_url = xstrdup("https://esc.example.gov.cn");
	answer(i6, NULL, "2026-11-24 09:30");
	answer(i6, "已约谈分管领导，本周内补齐材料", "2026-11-25 10:00");
	answer(i9, "等待专家评审意见", "2026-11-20 10:00");
	answer(i8, "已报市政府协调用地指标", "2026-11-26 15:00");
	/* Given after the reports' time: not shown. */
	answer(i2, NULL, "2026-12-01 10:00");
	answer(i2, "以后的反馈", "2026-12-01 10:00");

	/* The review: per group 签收与反馈 and the overdue items. */
	text = render("review", NULL, "2026-11-27 17:00", 0, REPORT_MARKDOWN,
	    &title);
	sample("links-review.md", text);
	no_empty_fields(text);
	ck_assert_ptr_null(strstr(text, "以后的反馈"));
	s = between(text, "### 社会投资类推进组", "### 城市建设类推进组");
	has(s, "\n- 签收与反馈：已签收 1 项，未签收 ");
	in_order(s, "- 逾期：P2026-101 新城商业综合体 · 选址（东城区行政审批局） · "
	    "逾期 13 个工作日｜已签收｜反馈（11-25）：已约谈分管领导，本周内补齐材料\n",
	    "- 逾期：P2026-101 新城商业综合体 · 规划许可（建设工程审批科） · "
	    "逾期 8 个工作日｜未签收\n");
	free(s);
	s = between(text, "### 城市建设类推进组", "### 工业");
	has(s, "- 逾期：P2026-201 北山大道改造 · 能评（投资项目审批科） · 逾期 16 "
	    "个工作日｜未签收｜反馈（11-20）：等待专家评审意见\n");
	free(s);
	free(title);
	free(text);
	/* Plain text: the same lines, no markup. */
	text = render("review", NULL, "2026-11-27 17:00", 0, REPORT_TEXT,
	    &title);
	no_empty_fields(text);
	has(text, "｜已签收｜反馈（11-25）：已约谈分管领导，本周内补齐材料\n");
	free(title);
	free(text);

	/* The bulletin: a sixth section with the overdue items. */
	text = render("bulletin", NULL, "2026-11-27 17:00", T("2026-11-01"),
	    REPORT_MARKDOWN, &title);
	sample("links-bulletin.md", text);
	no_empty_fields(text);
	in_order(text, "### 五、工作滞后单位", "### 六、签收与反馈情况\n截至11月27日，"
	    "在办事项已签收 1 项，未签收 ");
	in_order(text, "1. P2026-201 北山大道改造 · 能评（投资项目审批科） · 逾期 16 "
	    "个工作日｜未签收｜反馈（11-20）：等待专家评审意见\n",
	    "3. P2026-101 新城商业综合体 · 规划许可（建设工程审批科） · 逾期 8 "
	    "个工作日｜未签收\n");
	in_order(text, "### 六、", "受到表扬的单位要再接再厉");
	ck_assert_ptr_null(strstr(text, "以后的反馈"));
	free(title);
	free(text);

	/* The agenda: raised items carry their answers too. */
	text = render("agenda", NULL, "2026-11-27 17:00", 0, REPORT_MARKDOWN,
	    &title);
	no_empty_fields(text);
	has(text, "事由：跨部门用地指标协调｜");
	has(text, "｜反馈（11-26）：已报市政府协调用地指标");
	free(title);
	free(text);

	/* The tables: golden files. */
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		ck_assert_int_eq(report_render(conf, store, R(cases[i].name),
		    NULL, T(cases[i].at), 0, REPORT_CSV, NULL, &title, &text,
		    &len), 0);
		snprintf(path, sizeof path, "tests/unit/golden/%s",
		    cases[i].file);
		if (getenv("CHECK_REPORT_GOLDEN_WRITE") != NULL) {
			ck_assert_ptr_nonnull(f = fopen(path, "wb"));
			ck_assert_uint_eq(fwrite(text, 1, len, f), len);
			ck_assert_int_eq(fclose(f), 0);
		}
		ck_assert_msg((f = fopen(path, "rb")) != NULL, "%s", path);
		want = xmalloc(1 << 16);
		wlen = fread(want, 1, 1 << 16, f);
		fclose(f);
		ck_assert_msg(wlen == len && memcmp(want, text, len) == 0,
		    "%s differs from the golden file:\n%s", cases[i].file,
		    text);
		free(want);
		free(title);
		free(text);
	}
	text = render("weekly-social", NULL, "2026-11-27 17:00", 0,
	    REPORT_CSV, &title);
	has(text, "\"督办阶段\",\"逾期工作日\",\"无进展工作日\",\"卡点原因\",\"签收状态\","
	    "\"最新反馈\",\"反馈时间\"\r\n");
	has(text, "\"已签收\",\"已约谈分管领导，本周内补齐材料\",\"2026-11-25 10:00\""
	    "\r\n");
	free(title);
	free(text);
	text = render("review", NULL, "2026-11-27 17:00", 0, REPORT_CSV,
	    &title);
	has(text, "\"卡点\",\"已签收\",\"未签收\",\"本期反馈\"\r\n");
	free(title);
	free(text);

	free(conf->public_url);
	conf->public_url = old;
}
END_TEST

/* The half-monthly review: per group, with the change since the last. */
START_TEST(test_review_content)
{
	char	*title, *text, *s;

	fixture();
	text = render("review", NULL, "2026-11-16 09:00", 0, REPORT_MARKDOWN,
	    &title);
	sample("review.md", text);
	ck_assert_str_eq(title, "工作专班半月调度（2026年11月16日）");
	has(text, "> 本期：11月2日（周一）09:00 至 11月16日（周一）09:00（“上期”"
	    "指期初情况）");
	has(text, "> 全部：在办 9 项，逾期 2 项（上期 1 项，↑1），本期办结 2 项"
	    "（按时 1 项），卡点 2 项");
	s = between(text, "### 社会投资类推进组", "### 城市建设类推进组");
	has(s, "- 在办 7 项，逾期 1 项（上期 0 项，↑1），本期办结 0 项（按时 0 项），"
	    "卡点 1 项");
	has(s, "- 新增逾期 1 项：P2026-101 新城商业综合体 · 选址（东城区行政审批局）");
	ck_assert_ptr_null(strstr(s, "本期办结："));
	free(s);
	s = between(text, "### 城市建设类推进组", "### 工业");
	has(s, "- 在办 2 项，逾期 1 项（上期 1 项，持平），本期办结 2 项（按时 1 项），"
	    "卡点 1 项");
	has(s, "- 新增逾期 1 项：P2026-201 北山大道改造 · 能评（投资项目审批科）");
	in_order(s, "- 本期办结：P2026-201 北山大道改造 · 选址（投资项目审批科）",
	    "；P2026-201 北山大道改造 · 立项（北山县行政审批局）");
	free(s);
	has(text, "### 工业“四改”类推进组\n- 在办 0 项，逾期 0 项（上期 0 项，持平）");
	free(title);
	free(text);

	/* Two weeks on: the trend turns. */
	text = render("review", "城市建设类", "2026-12-01 09:00",
	    T("2026-11-16 09:00"), REPORT_MARKDOWN, &title);
	ck_assert_str_eq(title, "城市建设类推进组半月调度（2026年12月1日）");
	has(text, "- 在办 2 项，逾期 1 项（上期 1 项，持平），本期办结 0 项");
	ck_assert_ptr_null(strstr(text, "社会投资类"));
	free(title);
	free(text);

	text = render("review", NULL, "2026-11-16 09:00", 0, REPORT_CSV,
	    &title);
	has(text, "\"城市建设类推进组\",\"2\",\"1\",\"1\",\"1\",\"持平\",\"2\","
	    "\"1\",\"1\"\r\n");
	has(text, "\"合计\",\"9\",\"2\",\"1\",\"2\",\"↑1\",\"2\",\"1\",\"2\"\r\n");
	free(title);
	free(text);
}
END_TEST

/* The bulletin: rankings, commendations and laggards in order. */
START_TEST(test_bulletin_content)
{
	char	*title, *text, *s;

	fixture();
	text = render("bulletin", NULL, "2026-11-27 17:00", T("2026-11-01"),
	    REPORT_MARKDOWN, &title);
	sample("bulletin.md", text);
	ck_assert_str_eq(title, "审批事项办理情况通报（2026年11月27日）");
	has(text, "现将11月1日至11月27日工作专班重点项目开复工前期审批事项办理情况"
	    "通报如下：");
	has(text, "本期共办结审批事项 5 项，其中按时办结 3 项（提前办结 2 项），按时"
	    "办结率 60.0%；截至11月27日，在办 6 项，逾期未办结 3 项。");
	s = between(text, "### 二、", "### 三、");
	in_order(s, "1. 西城区：按时办结率 100.0%（办结 2 项，按时 2 项），逾期 0 项",
	    "2. 北山县：按时办结率 50.0%（办结 2 项，按时 1 项），逾期 1 项");
	in_order(s, "2. 北山县", "3. 东城区：按时办结率 0.0%（办结 1 项，按时 0 项），"
	    "逾期 2 项");
	free(s);
	s = between(text, "### 三、", "### 四、");
	in_order(s, "1. 西城区行政审批局：按时办结率 100.0%", "2. 北山县行政审批局："
	    "按时办结率 100.0%");
	in_order(s, "2. 北山县行政审批局", "3. 东城区行政审批局：按时办结率 0.0%");
	in_order(s, "3. 东城区行政审批局", "4. 投资项目审批科：按时办结率 0.0%");
	in_order(s, "4. 投资项目审批科", "5. 建设工程审批科：按时办结率 —（办结 0 "
	    "项，按时 0 项），逾期 1 项");
	free(s);
	s = between(text, "### 四、通报表扬", "### 五、");
	in_order(s, "1. 西城区行政审批局：按时办结 2 项（其中提前 1 项）—— P2026-102 "
	    "环评（提前 5 个工作日）；P2026-102 规划许可（按期）",
	    "2. 北山县行政审批局：按时办结 1 项（其中提前 1 项）—— P2026-201 立项"
	    "（提前 1 个工作日）");
	ck_assert_ptr_null(strstr(s, "东城区"));
	free(s);
	s = between(text, "### 五、工作滞后单位", NULL);
	in_order(s, "1. 投资项目审批科：逾期 1 项，最长逾期 16 个工作日",
	    "2. 东城区行政审批局：逾期 1 项，最长逾期 13 个工作日");
	in_order(s, "2. 东城区行政审批局", "3. 建设工程审批科：逾期 1 项，最长逾期 8 "
	    "个工作日");
	ck_assert_ptr_null(strstr(s, "西城区"));
	free(s);
	free(title);
	free(text);

	/* A unit with nothing in the period is not ranked, nor twice. */
	event(add("P2026-401", "南河物流园", "城市建设类", "南河县", "立项",
	    "南河县行政审批局", "2026-11-25 18:00"), "done", NULL,
	    "2026-11-24 10:00");
	text = render("bulletin", NULL, "2026-11-27 17:00", T("2026-11-25"),
	    REPORT_MARKDOWN, &title);
	ck_assert_ptr_null(strstr(text, "南河"));
	s = between(text, "### 四、通报表扬", "### 五、");
	has(s, "1. 西城区行政审批局：按时办结 1 项（其中提前 0 项）—— P2026-102 规划"
	    "许可（按期）\n");
	ck_assert_ptr_null(strstr(s, "2. "));
	free(s);
	s = between(text, "### 五、", NULL);
	ck_assert_ptr_null(strstr(s, "4. "));
	free(s);
	free(title);
	free(text);

	text = render("bulletin", NULL, "2026-11-27 17:00", T("2026-11-01"),
	    REPORT_CSV, &title);
	has(text, "\"区域\",\"1\",\"西城区\",\"2\",\"2\",\"100.0%\",\"0\"\r\n");
	has(text, "\"部门\",\"6\",\"建设工程审批科\",\"0\",\"0\",\"—\",\"1\"\r\n");
	free(title);
	free(text);
}
END_TEST

/* The agenda: blocked longest first, raised items apart. */
START_TEST(test_agenda_content)
{
	char	*title, *text, *s;

	fixture();
	text = render("agenda", NULL, "2026-11-25 09:00", 0, REPORT_MARKDOWN,
	    &title);
	sample("agenda.md", text);
	ck_assert_str_eq(title, "联席会议议题（2026年11月25日）");
	has(text, "> 难点堵点 2 项，提级事项 1 项，截至 11月25日（周三）09:00");
	s = between(text, "### 一、", "### 二、");
	in_order(s, "1. P2026-102 滨河康养中心 · 人防报建（建设工程审批科） · 社会投资"
	    "类推进组 —— 卡点：人防易地建设费缴纳存在争议；自 11月10日 起已 11 个"
	    "工作日", "2. P2026-101 新城商业综合体 · 立项（投资项目审批科） · 社会"
	    "投资类推进组 —— 卡点：补正材料未齐；自 11月19日 起已 4 个工作日");
	ck_assert_ptr_null(strstr(s, "北山"));
	free(s);
	s = between(text, "### 二、", NULL);
	has(s, "1. P2026-201 北山大道改造 · 施工许可（北山县行政审批局） · 城市建设类"
	    "推进组 —— 11月18日提级；事由：跨部门用地指标协调");
	free(s);
	free(title);
	free(text);

	/* Before anything was blocked, and for a group with nothing. */
	text = render("agenda", "工业“四改”类", "2026-11-25 09:00", 0,
	    REPORT_TEXT, &title);
	has(text, "一、难点堵点事项（按卡点时长排序）\n无。");
	free(title);
	free(text);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sending once per period. */

/* Count and check queued report messages after an outbox id. */
struct sent {
	int64_t	 after;
	int	 n;
	int	 late;
	char	 titles[1024];
};

/* Collect one queued message. */
static int
sent_cb(void *arg, const struct outbox_row *o)
{
	struct sent	*s = arg;

	s->after = o->id;
	if (strcmp(o->stage, "report") != 0)
		return (0);
	s->n++;
	s->late += strncmp(o->title, "（补发）", strlen("（补发）")) == 0;
	if (strlen(s->titles) + strlen(o->title) + 2 < sizeof s->titles) {
		strcat(s->titles, o->title);
		strcat(s->titles, "\n");
	}
	return (0);
}

/* The report messages queued since the last call. */
static struct sent
sent_since(struct store *s, int64_t *after)
{
	struct sent	 r;

	memset(&r, 0, sizeof r);
	r.after = *after;
	ck_assert_int_eq(store_outbox_since(s, *after, sent_cb, &r), 0);
	*after = r.after;
	return (r);
}

/* A claimed period cannot be claimed again. */
START_TEST(test_claim_once)
{
	char	*last;
	int64_t	 at;

	ck_assert_int_eq(store_report_claimed(store, "review", "2026-11-16"),
	    0);
	ck_assert_int_eq(store_report_claim(store, "review", "2026-11-16",
	    T("2026-11-16 09:00")), 0);
	ck_assert_int_eq(store_report_claim(store, "review", "2026-11-16",
	    T("2026-11-16 09:05")), 1);
	ck_assert_int_eq(store_report_claimed(store, "review", "2026-11-16"),
	    1);
	ck_assert_int_eq(store_report_last(store, "review", &last), 0);
	ck_assert_str_eq(last, "2026-11-16");
	free(last);
	ck_assert_int_eq(store_report_last_at(store, "review", &at), 0);
	ck_assert(at == T("2026-11-16 09:00"));
	ck_assert_int_eq(store_report_last_at(store, "nothing", &at), 0);
	ck_assert(at == 0);
}
END_TEST

/* Path of the fixture's database file in the temporary directory. */
static const char *
dbpath(void)
{
	static char	 path[4200];

	snprintf(path, sizeof path, "%s/reports.db", tmpdir);
	return (path);
}

/* Open the database file (a "restart" opens it again). */
static struct store *
reopen(void)
{
	struct store	*s;
	char		*err = NULL;

	s = store_open(dbpath(), &err);
	ck_assert_msg(s != NULL, "%s", err ? err : "");
	return (s);
}

/* On time once, never twice, not again after a restart; after downtime
 * only the latest missed period, marked late; a new report waits. */
START_TEST(test_reporter_restart)
{
	struct store	*s;
	struct sent	 r;
	int64_t		 after = 0;
	char		 cmd[4300];

	strcpy(tmpdir, "/tmp/check_report.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	s = reopen();

	/* Monday 09:01: the three weekly digests, on time, and (the test
	 * calendar ends with 2026, and it is November) the admin notice that
	 * 2027's holidays are missing, once. */
	ck_assert_int_eq(reporter_run(conf, s, T("2026-11-23 09:01")), 4);
	r = sent_since(s, &after);
	ck_assert_int_eq(r.n, 3);	/* stage "report"; the notice is "admin" */
	ck_assert_int_eq(store_report_claimed(s, "calendar-missing", "2027"),
	    1);
	ck_assert_int_eq(r.late, 0);
	has(r.titles, "社会投资类推进组每周调度（2026年第48周）\n");
	has(r.titles, "工业“四改”类推进组每周调度（2026年第48周）\n");
	ck_assert_int_eq(store_report_claimed(s, "weekly-social", "2026-W48"),
	    1);
	/* The review's 11-16 and the agenda's 11-18 were before this
	 * database knew them: not sent late, nor claimed. */
	ck_assert_int_eq(store_report_claimed(s, "review", "2026-11-16"), 0);
	ck_assert_int_eq(store_report_claimed(s, "agenda", "2026-W47"), 0);
	/* A minute later: nothing. */
	ck_assert_int_eq(reporter_run(conf, s, T("2026-11-23 09:02")), 0);
	store_close(s);

	/* Restart an hour later: nothing again. */
	s = reopen();
	ck_assert_int_eq(reporter_run(conf, s, T("2026-11-23 10:00")), 0);
	ck_assert_int_eq(sent_since(s, &after).n, 0);
	/* Wednesday 09:00: the agenda, on time. */
	ck_assert_int_eq(reporter_run(conf, s, T("2026-11-25 09:00")), 1);
	r = sent_since(s, &after);
	has(r.titles, "联席会议议题（2026年11月25日）\n");
	store_close(s);

	/* Down from Wednesday until Wednesday 12-16 10:00: W49..W51 missed;
	 * only W51 goes, late; the agenda too (12-16 09:00, an hour ago). */
	s = reopen();
	ck_assert_int_eq(reporter_run(conf, s, T("2026-12-16 10:00")), 4);
	r = sent_since(s, &after);
	ck_assert_int_eq(r.n, 4);
	ck_assert_int_eq(r.late, 4);
	has(r.titles, "（补发）社会投资类推进组每周调度（2026年第51周）\n");
	has(r.titles, "（补发）联席会议议题（2026年12月16日）\n");
	ck_assert_int_eq(store_report_claimed(s, "weekly-urban", "2026-W51"),
	    1);
	ck_assert_int_eq(store_report_claimed(s, "weekly-urban", "2026-W49"),
	    0);
	ck_assert_int_eq(store_report_claimed(s, "weekly-urban", "2026-W50"),
	    0);
	/* The review (12-16 09:00) was never sent: it waits for 01-01. */
	ck_assert_int_eq(store_report_claimed(s, "review", "2026-12-16"), 0);
	ck_assert_int_eq(reporter_run(conf, s, T("2026-12-16 10:01")), 0);
	store_close(s);

	/* After yet another restart, still nothing; then the next Monday's
	 * digests, on time again. */
	s = reopen();
	ck_assert_int_eq(reporter_run(conf, s, T("2026-12-16 11:00")), 0);
	ck_assert_int_eq(reporter_run(conf, s, T("2026-12-21 09:00")), 3);
	r = sent_since(s, &after);
	ck_assert_int_eq(r.n, 3);
	ck_assert_int_eq(r.late, 0);
	store_close(s);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Each chat gets its flavour: markdown, lark_md (Feishu cards). */
static int
flavour_cb(void *arg, const struct outbox_row *o)
{
	(void)arg;
	if (strcmp(o->stage, "report") != 0)
		return (0);
	if (strcmp(o->channel, "industry") == 0) {
		ck_assert_msg(strncmp(o->text, "**工业", 8) == 0, "%s", o->text);
		ck_assert_ptr_null(strstr(o->text, "##"));
		ck_assert_ptr_null(strstr(o->text, "\n> "));
	} else
		ck_assert_msg(strncmp(o->text, "## ", 3) == 0, "%s", o->text);
	return (0);
}

/* Parts for the small chat fit and each repeats its heading. */
static int
small_cb(void *arg, const struct outbox_row *o)
{
	(void)arg;
	if (strcmp(o->stage, "report") != 0 || strcmp(o->channel, "social") != 0
	    || strstr(o->title, " (") == NULL)
		return (0);
	ck_assert_uint_le(strlen(o->text), 600 - 64);
	ck_assert_msg(strncmp(o->text, "## 社会投资类推进组每周调度", 36) == 0,
	    "%s", o->text);
	ck_assert(utf8_valid(o->text, strlen(o->text)));
	return (0);
}

/* Sending by hand: configured channels, or the built-in's defaults. */
START_TEST(test_send)
{
	struct api_error	 e;
	struct sent		 r;
	int64_t			 after = 0, now = T("2026-11-27 17:00");

	fixture();
	sent_since(store, &after);
	memset(&e, 0, sizeof e);
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_int_eq(report_send(conf, store, R("bulletin"), NULL, now, 0,
	    NULL, now, &e), 1);
	/* The built-in weekly digest: one per group, to each group's chat. */
	ck_assert_int_eq(report_send(conf, store, R("weekly"), NULL, now, 0,
	    NULL, now, &e), 3);
	ck_assert_int_eq(report_send(conf, store, R("agenda"),
	    report_group(conf, "城市建设类"), now, 0, NULL, now, &e), 1);
	ck_assert_int_eq(store_commit(store), 0);
	r = sent_since(store, &after);
	ck_assert_int_eq(r.n, 5);
	has(r.titles, "城市建设类推进组联席会议议题（2026年11月27日）");
	/* Sending by hand claims nothing. */
	ck_assert_int_eq(store_report_claimed(store, "bulletin", "2026-11-20"),
	    0);
	ck_assert_int_eq(store_outbox_since(store, 0, flavour_cb, NULL), 0);

	/* A small chat: parts within its limit, marked, lines whole. */
	config_channel(conf, "social")->max_bytes = 600;
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_int_ge(report_send(conf, store, R("weekly-social"), NULL, now,
	    0, NULL, now, &e), 3);
	ck_assert_int_eq(store_commit(store), 0);
	r = sent_since(store, &after);
	ck_assert_int_ge(r.n, 3);
	has(r.titles, "社会投资类推进组每周调度（2026年第48周） (1/");
	ck_assert_int_eq(store_outbox_since(store, 0, small_cb, NULL), 0);
}
END_TEST

/* The reporter's timer: armed for the next report, freed cleanly. */
START_TEST(test_reporter_timer)
{
	struct escalator	 esc;
	int64_t			 now = (int64_t)time(NULL), next;

	memset(&esc, 0, sizeof esc);
	esc.base = event_base_new();
	esc.conf = conf;
	esc.store = store;
	esc.reporter = reporter_new(&esc);
	reporter_arm(esc.reporter);
	next = reporter_next(esc.reporter);
	ck_assert_msg(next >= now && next <= now + 16 * 86400, "next %s",
	    fmt(next));
	reporter_arm(esc.reporter);	/* re-arming replaces the timer */
	ck_assert(reporter_next(esc.reporter) == next);
	reporter_free(esc.reporter);
	event_base_free(esc.base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The "reports" configuration is checked as strictly as the rest. */

/* Write a file; fail the test if it cannot be written. */
static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Whether some problem is exactly "<path>:<line>: <msg>". */
static int
problem(char **list, size_t n, const char *path, int line, const char *msg)
{
	char	 want[8192];
	size_t	 i;

	snprintf(want, sizeof want, "%s:%d: %s", path, line, msg);
	for (i = 0; i < n; i++) {
		if (strcmp(list[i], want) == 0)
			return (1);
	}
	for (i = 0; i < n; i++)
		fprintf(stderr, "  problem: %s\n", list[i]);
	fprintf(stderr, "  wanted:  %s\n", want);
	return (0);
}

/* Every mistake in "reports" is reported at its file and line. */
START_TEST(test_config_errors)
{
	char		 dir[] = "/tmp/check_report_conf.XXXXXX", path[4200];
	char		 cmd[4300], **pr = NULL;
	size_t		 n = 0, i;
	struct config	*cf;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/main.conf", dir);
	write_file(path,
	    "database = \"x.db\";\n"						/* 1 */
	    "timezone = \"Asia/Shanghai\";\n"					/* 2 */
	    "socket = \"/tmp/x.sock\";\n"					/* 3 */
	    "channels = ( { name = \"c1\"; type = \"webhook\";"
	    " url = \"http://127.0.0.1:1/\"; } );\n"				/* 4 */
	    "groups = ( { name = \"g1\"; channel = \"c1\";"
	    " categories = [\"cat1\"]; } );\n"					/* 5 */
	    "reports = (\n"							/* 6 */
	    " { name = \"a\"; type = \"weekly\"; schedule = \"weekly\";"
	    " channels = [\"c1\"]; },\n"					/* 7 */
	    " { name = \"b\"; type = \"weekl\"; group = \"nog\";"
	    " schedule = \"semimonthly\"; days = [1, 16, 40];"
	    " channels = [\"c9\"]; },\n"					/* 8 */
	    " { name = \"c\"; type = \"review\"; schedule = \"biweekly\";"
	    " anchor = \"2026-01-03\"; weekday = 5; colour = 1;"
	    " channels = [\"c1\"]; },\n"					/* 9 */
	    " { name = \"a\"; type = \"agenda\"; channels = [\"c1\"]; },\n"	/* 10 */
	    " { name = \"d\"; type = \"agenda\"; schedule = \"monthly\";"
	    " day = 3; weekday = 1; channels = [\"c1\"]; },\n"		/* 11 */
	    " { name = \"e\"; type = 3; schedule = \"daily\"; },\n"		/* 12 */
	    " { name = \"f\"; type = \"bulletin\"; group = \"g1\";"
	    " schedule = \"biweekly\"; anchor = \"2026-01-02\";"
	    " time = \"16:00\"; channels = [\"c1\"]; }\n"			/* 13 */
	    ");\n");
	cf = config_load(path, &pr, &n);
	ck_assert_ptr_null(cf);
	ck_assert(problem(pr, n, path, 7, "report 'a': schedule 'weekly' needs "
	    "'weekday' (1 Monday .. 7 Sunday)"));
	ck_assert(problem(pr, n, path, 8, "report 'b': unknown type 'weekl' "
	    "(want weekly, review, bulletin or agenda)"));
	ck_assert(problem(pr, n, path, 8, "report 'b': unknown group 'nog'"));
	ck_assert(problem(pr, n, path, 8, "report 'b': day 40 is not between 1 "
	    "and 31"));
	ck_assert(problem(pr, n, path, 8, "report 'b': unknown channel 'c9'"));
	ck_assert(problem(pr, n, path, 9, "unknown setting 'colour'"));
	ck_assert(problem(pr, n, path, 9, "report 'c': 'anchor' 2026-01-03 "
	    "falls on weekday 6, not on 'weekday' 5"));
	ck_assert(problem(pr, n, path, 10, "duplicate report 'a'"));
	ck_assert(problem(pr, n, path, 11, "report 'd': 'weekday' applies only "
	    "to the weekly and biweekly schedules"));
	ck_assert(problem(pr, n, path, 12, "'type' must be a string"));
	ck_assert(problem(pr, n, path, 12, "report 'e': unknown schedule "
	    "'daily' (want weekly, biweekly, semimonthly or monthly)"));
	ck_assert(problem(pr, n, path, 12, "report 'e': missing required "
	    "setting 'channels'"));
	/* Report f is right: nothing about it. */
	for (i = 0; i < n; i++)
		ck_assert_msg(strstr(pr[i], "'f'") == NULL, "%s", pr[i]);
	config_problems_free(pr, n);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The suite. */
static Suite *
report_suite(void)
{
	Suite	*s = suite_create("report");
	TCase	*tc = tcase_create("report");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_weekly_schedule);
	tcase_add_test(tc, test_weekend_makeup);
	tcase_add_test(tc, test_semimonthly_schedule);
	tcase_add_test(tc, test_biweekly_schedule);
	tcase_add_test(tc, test_monthly_schedule);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_weekly_content);
	tcase_add_test(tc, test_text_and_csv);
	tcase_add_test(tc, test_csv_quoting);
	tcase_add_test(tc, test_csv_golden);
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_review_content);
	tcase_add_test(tc, test_bulletin_content);
	tcase_add_test(tc, test_agenda_content);
	tcase_add_test(tc, test_claim_once);
	tcase_add_test(tc, test_reporter_restart);
	tcase_add_test(tc, test_send);
	tcase_add_test(tc, test_reporter_timer);
	tcase_add_test(tc, test_config_errors);
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

	sr = srunner_create(report_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
