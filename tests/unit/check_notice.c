/*
 * Unit tests for notice.c and its store: when the next admin notice about
 * a failing channel may go (the hour computed from the stored time of the
 * last), the notice's text with its counts, the vendor codes' meanings
 * (channel.c) and the failure counts kept per channel and code.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "escalator.h"

/* 2026-03-02 10:00:00 in Asia/Shanghai. */
#define T0	((int64_t)1772416800)

/* The hour is counted from the last notice; never before, or a clock set
 * back past it, allows one now. */
START_TEST(test_notice_due_at)
{
	ck_assert_int_eq(notice_due_at(0, T0), T0);
	ck_assert_int_eq(notice_due_at(T0, T0), T0 + NOTICE_INTERVAL);
	ck_assert_int_eq(notice_due_at(T0 - 10, T0), T0 - 10 +
	    NOTICE_INTERVAL);
	ck_assert_int_eq(notice_due_at(T0 - NOTICE_INTERVAL, T0), T0);
	ck_assert_int_eq(notice_due_at(T0 + 100, T0), T0);
}
END_TEST

/* The counts, codes, reasons and first titles of one channel. */
START_TEST(test_notice_text)
{
	struct failure_row	 f[2];
	char			*title, *text;

	memset(f, 0, sizeof f);
	f[0].channel = (char *)(uintptr_t)"social";
	f[0].code = 40058;
	f[0].reason = (char *)(uintptr_t)"content too long";
	f[0].n = 3;
	f[0].since = T0;
	f[0].title = (char *)(uintptr_t)"【催办】2项审批事项已到期";
	f[1].channel = f[0].channel;
	f[1].code = 93000;
	f[1].reason = (char *)(uintptr_t)"invalid webhook key";
	f[1].n = 5;
	f[1].since = T0 + 60;
	f[1].paused = 1;
	notice_text("social", f, 2, T0 + 600, &title, &text);
	ck_assert_str_eq(title, "【系统告警】通道 social 已暂停");
	ck_assert_ptr_nonnull(strstr(text, "通道 social 自 10:00 起"));
	ck_assert_ptr_nonnull(strstr(text, "3 条消息被拒绝（40058 content too"
	    " long）；首条：【催办】2项审批事项已到期"));
	ck_assert_ptr_nonnull(strstr(text, "93000 invalid webhook key"));
	ck_assert_ptr_nonnull(strstr(text, "5 条消息未发送"));
	ck_assert_ptr_nonnull(strstr(text, "outbox retry --channel social"));
	free(title);
	free(text);

	/* Not on the notice's day: the date too. */
	f[0].paused = 0;
	notice_text("social", f, 1, T0 + 86400, &title, &text);
	ck_assert_str_eq(title, "【系统告警】通道 social 发送失败");
	ck_assert_ptr_nonnull(strstr(text, "自 03-02 10:00 起"));
	free(title);
	free(text);
}
END_TEST

/* Each vendor's "content too long" and credential codes have a meaning. */
START_TEST(test_code_text)
{
	ck_assert_str_eq(channel_code_text(CHANNEL_WECOM, 40058),
	    "content too long");
	ck_assert_str_eq(channel_code_text(CHANNEL_DINGTALK, 460101),
	    "content too long");
	ck_assert_ptr_nonnull(strstr(channel_code_text(CHANNEL_FEISHU, 9499),
	    "too long"));
	ck_assert_ptr_null(channel_code_text(CHANNEL_WECOM, 12345));
	ck_assert_ptr_null(channel_code_text(CHANNEL_WEBHOOK, 40058));
}
END_TEST

/* Failures add up per channel and code, keep the first title, and are
 * forgotten once told; the last notice's time is kept. */
START_TEST(test_store_failures)
{
	struct store		*s;
	struct failure_row	*f;
	size_t			 n;
	int64_t			 at;
	char			*err = NULL;

	s = store_open(":memory:", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_failure_add(s, "a", 40058, "too long", 1, T0,
	    "first", 0), 0);
	ck_assert_int_eq(store_failure_add(s, "a", 40058, "too long", 2,
	    T0 + 5, "second", 0), 0);
	ck_assert_int_eq(store_failure_add(s, "b", 93000, "key", 4, T0 + 9,
	    NULL, 1), 0);
	ck_assert_int_eq(store_failure_list(s, "a", &f, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(f[0].n, 3);
	ck_assert_int_eq(f[0].since, T0);
	ck_assert_str_eq(f[0].title, "first");
	failure_rows_free(f, n);
	ck_assert_int_eq(store_failure_list(s, NULL, &f, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(f[1].paused, 1);
	failure_rows_free(f, n);
	ck_assert_int_eq(store_failure_clear(s, "a"), 0);
	ck_assert_int_eq(store_failure_list(s, "a", &f, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(f);
	ck_assert_int_eq(store_notice_get(s, "a", &at), 0);
	ck_assert_int_eq(at, 0);
	ck_assert_int_eq(store_notice_set(s, "a", T0), 0);
	ck_assert_int_eq(store_notice_get(s, "a", &at), 0);
	ck_assert_int_eq(at, T0);
	store_close(s);
}
END_TEST

/* Collect the notice tests. */
static Suite *
notice_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("notice");
	tc = tcase_create("notice");
	tcase_add_test(tc, test_notice_due_at);
	tcase_add_test(tc, test_notice_text);
	tcase_add_test(tc, test_code_text);
	tcase_add_test(tc, test_store_failures);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; exit non-zero on any failure. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	sr = srunner_create(notice_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
