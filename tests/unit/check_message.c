/*
 * Unit tests for message grouping and splitting: a batch of items due
 * together rendered as one message per chat (message.c), split at the
 * channel's byte limit into parts marked (k/N) with every item in exactly
 * one part, most overdue first; a long report split at line boundaries
 * (report_split); the part markers (part.c).  Every grouping and
 * splitting test is here.  Runs from the repository root on the shipped
 * configuration and calendar, in Asia/Shanghai.
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

/* Fake items for the grouping test. */
static struct item_row	 items[200];
static struct msg_entry	 entries[200];
static char		 names[200][64];

START_TEST(test_grouping_split)
{
	struct channel		 ch;
	struct msg_batch	 b;
	struct msg_part		*parts;
	size_t			 nparts, i, k, total = 0;
	char			*err = NULL, key[80];
	int			 seen;

	memset(&ch, 0, sizeof ch);
	ch.name = (char *)(uintptr_t)"social";
	ch.type = CHANNEL_WECOM;
	ch.format = FORMAT_MARKDOWN;
	ch.max_bytes = 4096;
	for (i = 0; i < 200; i++) {
		memset(&items[i], 0, sizeof items[i]);
		snprintf(names[i], sizeof names[i], "滨江科创产业园第%03zu期工程", i);
		items[i].id = (int64_t)i + 1;
		items[i].project_code = names[i];
		items[i].project_name = names[i];
		items[i].kind = (char *)(uintptr_t)"规划许可";
		items[i].department = (char *)(uintptr_t)"建设工程审批科";
		items[i].status = (char *)(uintptr_t)"accepted";
		entries[i].item = &items[i];
		/* later items are more overdue: they must come first */
		entries[i].due = at("2026-11-20 18:00") - (int64_t)i * 60;
	}
	memset(&b, 0, sizeof b);
	b.channel = &ch;
	b.template = "reminder";
	b.stage = "reminder";
	b.stage_label = "催办";
	b.severity = "warning";
	b.group = "社会投资类推进组";
	b.entries = entries;
	b.nentries = 200;
	ck_assert_int_eq(message_render(conf, &b, at("2026-11-24 09:00"),
	    &parts, &nparts, &err), 0);
	ck_assert_int_gt(nparts, 1);
	for (i = 0; i < nparts; i++) {
		ck_assert_uint_le(strlen(parts[i].text), 4096 - 64);
		ck_assert(utf8_valid(parts[i].text, strlen(parts[i].text)));
		snprintf(key, sizeof key, "(%zu/%zu)", i + 1, nparts);
		ck_assert_msg(strstr(parts[i].text, key) != NULL, "no %s", key);
	}
	/* Every item exactly once across the parts. */
	for (k = 0; k < 200; k++) {
		seen = 0;
		for (i = 0; i < nparts; i++) {
			const char *p = parts[i].text;
			while ((p = strstr(p, names[k])) != NULL) {
				seen++;
				p += strlen(names[k]);
			}
		}
		ck_assert_msg(seen == 1, "%s seen %d times", names[k], seen);
		total += (size_t)seen;
	}
	ck_assert_uint_eq(total, 200);
	/* Most overdue first. */
	ck_assert_ptr_nonnull(strstr(parts[0].text, names[199]));
	ck_assert(strstr(parts[0].text, names[199]) <
	    strstr(parts[0].text, names[198]));
	message_parts_free(parts, nparts);

	/* A small batch is one message without a part marker. */
	b.nentries = 3;
	ck_assert_int_eq(message_render(conf, &b, at("2026-11-24 09:00"),
	    &parts, &nparts, &err), 0);
	ck_assert_uint_eq(nparts, 1);
	ck_assert_ptr_null(strstr(parts[0].text, "(1/"));
	ck_assert_ptr_nonnull(strstr(parts[0].title, "3"));
	message_parts_free(parts, nparts);

	/* An unknown template is an error, not a blank message. */
	b.template = "nonexistent";
	ck_assert_int_eq(message_render(conf, &b, 0, &parts, &nparts, &err), -1);
	ck_assert_ptr_nonnull(err);
	free(err);
}
END_TEST

/* Long text splits at line boundaries, each part within the limit. */
START_TEST(test_split)
{
	struct msg_part	*parts;
	char		*text, *p;
	size_t		 n, i, lines = 0, seen = 0, cap = 8192, len = 0;
	char		 line[128];

	text = xmalloc(cap);
	len = (size_t)snprintf(text, cap, "## 标题\n");
	for (i = 0; i < 60; i++) {
		snprintf(line, sizeof line, "%zu. 第%zu项审批事项逾期未办结\n", i + 1,
		    i + 1);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	report_split("标题", text, 400, &parts, &n);
	ck_assert_uint_ge(n, 4);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "## 标题 (%zu/%zu)\n", i + 1, n);
		ck_assert_msg(strncmp(parts[i].text, line, strlen(line)) == 0,
		    "%s", parts[i].text);
		snprintf(line, sizeof line, "标题 (%zu/%zu)", i + 1, n);
		ck_assert_str_eq(parts[i].title, line);
		ck_assert_uint_le(strlen(parts[i].text), 400);
		ck_assert(utf8_valid(parts[i].text, strlen(parts[i].text)));
		ck_assert(parts[i].text[strlen(parts[i].text) - 1] != '\n');
		for (p = parts[i].text; (p = strstr(p, "项审批事项")) != NULL;
		    p++)
			seen++;
	}
	/* Every line is in exactly one part, whole. */
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ck_assert_uint_eq(seen, lines - 1);
	message_parts_free(parts, n);

	/* Short text: one part, unmarked. */
	report_split("标题", "## 标题\n短", 400, &parts, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(parts[0].title, "标题");
	ck_assert_str_eq(parts[0].text, "## 标题\n短");
	message_parts_free(parts, n);
	free(text);
}
END_TEST

/* A stored part's marker becomes " (k/n)", or nothing in a single part. */
START_TEST(test_part_mark)
{
	char	*s;

	s = part_mark("催办" PART_MARK "\n## 催办" PART_MARK "\n正文", 2, 3);
	ck_assert_str_eq(s, "催办 (2/3)\n## 催办 (2/3)\n正文");
	free(s);
	s = part_mark("催办" PART_MARK, 1, 1);
	ck_assert_str_eq(s, "催办");
	free(s);
	s = part_mark("no marker", 1, 5);
	ck_assert_str_eq(s, "no marker");
	free(s);
	ck_assert_ptr_null(part_mark(NULL, 1, 2));
}
END_TEST

/* Collect the grouping and splitting tests. */
static Suite *
message_suite(void)
{
	Suite	*s = suite_create("message");
	TCase	*tc = tcase_create("message");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_grouping_split);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_part_mark);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; exit non-zero on any failure. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(message_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
