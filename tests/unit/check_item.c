/*
 * Unit tests for item events, item_event(), on an in-memory store: done
 * closes an item and stops its ladder; suspend and resume stop the clock
 * and move the deadline by the working days it stood (on the 2026
 * calendar, with its National Day holiday and make-up days) or by the
 * seconds of a limit in seconds; block and unblock; progress notes; and
 * the errors: unknown event types, unknown items, events an item's state
 * does not allow (409), missing reasons and notes (400).  The checks read
 * the item row, its main track (store_track_get) and the log.  Runs from
 * the repository root (templates and calendars of rules/).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "escalator.h"

static struct config	*conf;
static struct store	*store;
static char		 tmpdir[64];
static char		 root[PATH_MAX];

static const char *config_fmt =
"database = \"unused.db\";\n"
"socket = \"%s/unused.sock\";\n"
"templates = \"%s/rules/templates\";\n"
"@include \"%s/rules/calendar/cn-2026.conf\"\n"
"channels = ( { name = \"a\"; type = \"wecom\"; key = \"ka\"; } );\n"
"policies = (\n"
"  { name = \"default\"; track = \"main\";\n"
"    stages = (\n"
"      { name = \"reminder\"; label = \"催办\"; offset = \"0s\"; to = [\"a\"]; },\n"
"      { name = \"supervision\"; label = \"督查\"; offset = \"+1d\"; to = [\"a\"]; }\n"
"    ); }\n"
");\n";

/* A local instant from "YYYY-MM-DD HH:MM[:SS]" (Asia/Shanghai). */
static int64_t
at(const char *s)
{
	int64_t	 t;

	ck_assert_msg(rules_parse_time(s, 0, &t) == 0, "bad time %s", s);
	return (t);
}

/* An instant as "YYYY-MM-DD HH:MM:SS" (one of four static buffers). */
static const char *
fmt(int64_t t)
{
	static char	 buf[4][32];
	static int	 i;

	i = (i + 1) % 4;
	rules_format(t, buf[i], sizeof buf[i]);
	return (buf[i]);
}

static void
setup(void)
{
	char	 path[PATH_MAX + 32], **problems = NULL, *err = NULL;
	size_t	 n = 0, i;
	FILE	*f;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	ck_assert_ptr_nonnull(getcwd(root, sizeof root));
	strcpy(tmpdir, "/tmp/check_item.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof path, "%s/item.conf", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(f, config_fmt, tmpdir, root, root);
#pragma GCC diagnostic pop
	fclose(f);
	conf = config_load(path, &problems, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "problem: %s\n", problems[i]);
	config_problems_free(problems, n);
	ck_assert_ptr_nonnull(conf);
	unlink(path);
	rmdir(tmpdir);
	store = store_open(":memory:", &err);
	ck_assert_msg(store != NULL, "%s", err ? err : "");
}

static void
teardown(void)
{
	store_close(store);
	config_free(conf);
}

/* Add an accepted item: accepted at a time with a limit, or a deadline. */
static int64_t
add(const char *project, const char *accepted, const char *limit,
    const char *deadline)
{
	struct item_input	 in;
	struct api_error	 e;
	int64_t			 id = 0;
	int			 created = 0;

	memset(&in, 0, sizeof in);
	memset(&e, 0, sizeof e);
	in.project = project;
	in.name = "立项";
	in.department = "投资项目审批科";
	in.accepted = accepted;
	in.limit = limit;
	in.deadline = deadline;
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_add(conf, store, &in, at("2026-09-24 10:00"), &id,
	    &created, &e) == 0, "item_add %s: %s", project, e.msg);
	ck_assert_int_eq(store_commit(store), 0);
	return (id);
}

/* Apply an event in a transaction (committed on success, rolled back on
 * error); 0 or -1, with the error in *e. */
static int
event(int64_t id, const char *type, const char *reason, const char *note,
    const char *when, struct api_error *e)
{
	int	 rc;

	memset(e, 0, sizeof *e);
	ck_assert_int_eq(store_begin(store), 0);
	rc = item_event(conf, store, id, type, reason, note, at(when),
	    at(when), e);
	if (rc == 0)
		ck_assert_int_eq(store_commit(store), 0);
	else
		store_rollback(store);
	return (rc);
}

/* An event that must succeed. */
static void
ok(int64_t id, const char *type, const char *reason, const char *note,
    const char *when)
{
	struct api_error	 e;

	ck_assert_msg(event(id, type, reason, note, when, &e) == 0,
	    "%s: %d %s", type, e.status, e.msg);
}

/* An event that must fail with this status and field. */
static void
fails(int64_t id, const char *type, const char *reason, const char *note,
    int status, const char *field)
{
	struct api_error	 e;

	ck_assert_msg(event(id, type, reason, note, "2026-09-29 10:00", &e) ==
	    -1, "%s succeeded", type);
	ck_assert_int_eq(e.status, status);
	ck_assert_str_eq(e.field, field);
	ck_assert_msg(e.msg[0] != '\0', "%s: no message", type);
}

static struct item_row
item(int64_t id)
{
	struct item_row	 r;

	memset(&r, 0, sizeof r);
	ck_assert_int_eq(store_item_get(store, id, &r), 0);
	return (r);
}

static struct track_row
track(int64_t id)
{
	struct track_row	 t;

	memset(&t, 0, sizeof t);
	ck_assert_int_eq(store_track_get(store, id, TRACK_MAIN, &t), 0);
	return (t);
}

/* The log of an item as "outcome:detail" lines. */
static int
log_cb(void *arg, const struct log_row *l)
{
	char	*buf = arg;
	size_t	 len = strlen(buf);

	snprintf(buf + len, 4096 - len, "%s:%s\n", l->outcome ? l->outcome : "",
	    l->detail ? l->detail : "");
	return (0);
}

static const char *
log_of(int64_t id)
{
	static char	 buf[4096];

	buf[0] = '\0';
	ck_assert_int_eq(store_log_list(store, id, 1000, log_cb, buf), 0);
	return (buf);
}

/* ------------------------------------------------------------------ */

/* docs/DOMAIN.md's example: accepted Thu 2026-09-24, 5 working days:
 * due Fri 10-09 at the deadline time, 18:00 (National Day 10-01..10-08
 * off).  Stopped Mon 09-28 to
 * Wed 09-30, two working days: due Mon 10-12 (Sat 10-10 is a make-up
 * working day, so it counts).  The track follows the item. */
START_TEST(test_suspend_resume_moves_by_working_days)
{
	struct item_row		 r;
	struct track_row	 t;
	int64_t			 id;

	id = add("STOP-1", "2026-09-24 10:00", "5wd", NULL);
	r = item(id);
	ck_assert_str_eq(fmt(r.due_at), "2026-10-09 18:00:00");
	item_row_clear(&r);

	ok(id, "suspend", "补正材料", NULL, "2026-09-28 09:00");
	r = item(id);
	ck_assert_str_eq(r.status, "suspended");
	ck_assert_str_eq(r.suspend_reason, "补正材料");
	ck_assert_int_eq(r.suspended_at, at("2026-09-28 09:00"));
	item_row_clear(&r);
	/* While the clock stands the ladder does not run. */
	t = track(id);
	ck_assert_int_eq(t.next_at, 0);
	track_row_clear(&t);
	ck_assert_int_eq(scheduler_step(conf, store, at("2026-10-20 10:00")), 0);

	ok(id, "resume", NULL, NULL, "2026-09-30 09:00");
	r = item(id);
	ck_assert_str_eq(r.status, "accepted");
	ck_assert_ptr_null(r.suspend_reason);
	ck_assert_int_eq(r.suspended_at, 0);
	ck_assert_int_eq(r.stopped_workdays, 2);
	ck_assert_str_eq(fmt(r.due_at), "2026-10-12 18:00:00");
	ck_assert_int_eq(r.last_progress_at, at("2026-09-30 09:00"));
	item_row_clear(&r);
	t = track(id);
	ck_assert_str_eq(fmt(t.due_at), "2026-10-12 18:00:00");
	ck_assert_int_eq(t.next_at, at("2026-10-12 18:00"));
	track_row_clear(&t);
	ck_assert_ptr_nonnull(strstr(log_of(id), "suspend:补正材料\n"));
	ck_assert_ptr_nonnull(strstr(log_of(id), "resume:"));

	/* Only an accepted item is suspended, only a suspended one resumed. */
	fails(id, "resume", NULL, NULL, 409, "type");
	fails(id, "suspend", NULL, NULL, 400, "reason");
	fails(id, "suspend", "", NULL, 400, "reason");
	ok(id, "suspend", "专家评审", NULL, "2026-10-09 09:00");
	fails(id, "suspend", "再次", NULL, 409, "type");
}
END_TEST

/* A limit in seconds moves by the seconds the clock stood. */
START_TEST(test_seconds_limit_moves_by_seconds)
{
	struct item_row	 r;
	int64_t		 id, before;

	id = add("STOP-2", "2026-09-24 10:00", "3600s", NULL);
	r = item(id);
	before = r.due_at;
	ck_assert_int_eq(before, at("2026-09-24 11:00"));
	item_row_clear(&r);
	ok(id, "suspend", "专家评审", NULL, "2026-09-24 10:10");
	ok(id, "resume", NULL, NULL, "2026-09-24 10:20");
	r = item(id);
	ck_assert_int_eq(r.due_at - before, 600);
	ck_assert_int_eq(r.stopped_seconds, 600);
	item_row_clear(&r);
}
END_TEST

/* Done closes the item and stops the ladder; it cannot be done twice,
 * nor reopened by other events. */
START_TEST(test_done)
{
	struct item_row		 r;
	struct track_row	 t;
	int64_t			 id;

	id = add("DONE-1", NULL, NULL, "2026-09-29 10:00");
	ok(id, "done", NULL, NULL, "2026-09-28 15:00");
	r = item(id);
	ck_assert_str_eq(r.status, "done");
	ck_assert_int_eq(r.done_at, at("2026-09-28 15:00"));
	item_row_clear(&r);
	t = track(id);
	ck_assert_int_eq(t.next_at, 0);
	track_row_clear(&t);
	ck_assert_int_eq(scheduler_step(conf, store, at("2026-10-20 10:00")), 0);
	ck_assert_ptr_nonnull(strstr(log_of(id), "done:"));

	fails(id, "done", NULL, NULL, 409, "type");
	fails(id, "suspend", "补正材料", NULL, 409, "type");
	fails(id, "cancel", NULL, NULL, 409, "type");
	fails(id, "block", "卡点", NULL, 409, "type");
	fails(id, "accept", NULL, NULL, 409, "type");

	/* A suspended item can be done too. */
	id = add("DONE-2", NULL, NULL, "2026-09-29 10:00");
	ok(id, "suspend", "补正材料", NULL, "2026-09-25 10:00");
	ok(id, "done", NULL, NULL, "2026-09-28 10:00");
	r = item(id);
	ck_assert_str_eq(r.status, "done");
	item_row_clear(&r);
}
END_TEST

/* Block needs a reason and is undone by unblock; the status stays. */
START_TEST(test_block)
{
	struct item_row	 r;
	int64_t		 id;

	id = add("BLOCK-1", NULL, NULL, "2026-10-20 10:00");
	fails(id, "block", NULL, NULL, 400, "reason");
	fails(id, "unblock", NULL, NULL, 409, "type");
	ok(id, "block", "用地指标未落实", NULL, "2026-09-28 11:00");
	r = item(id);
	ck_assert_str_eq(r.status, "accepted");
	ck_assert_str_eq(r.blocked_reason, "用地指标未落实");
	ck_assert_int_eq(r.blocked_at, at("2026-09-28 11:00"));
	item_row_clear(&r);
	ck_assert_ptr_nonnull(strstr(log_of(id), "block:用地指标未落实\n"));
	ok(id, "unblock", NULL, NULL, "2026-09-29 11:00");
	r = item(id);
	ck_assert_ptr_null(r.blocked_reason);
	ck_assert_int_eq(r.blocked_at, 0);
	item_row_clear(&r);
	fails(id, "unblock", NULL, NULL, 409, "type");
}
END_TEST

/* A progress note needs text; it is logged and dates the last progress. */
START_TEST(test_progress)
{
	struct item_row	 r;
	int64_t		 id;

	id = add("PROG-1", NULL, NULL, "2026-10-20 10:00");
	fails(id, "progress", NULL, NULL, 400, "note");
	fails(id, "progress", NULL, "", 400, "note");
	ok(id, "progress", NULL, "专家评审会已召开", "2026-09-28 16:30");
	r = item(id);
	ck_assert_int_eq(r.last_progress_at, at("2026-09-28 16:30"));
	ck_assert_str_eq(r.status, "accepted");
	item_row_clear(&r);
	ck_assert_ptr_nonnull(strstr(log_of(id), "progress:专家评审会已召开\n"));
}
END_TEST

/* Unknown types and items are errors, and change nothing. */
START_TEST(test_errors)
{
	struct api_error	 e;
	struct item_row		 r;
	int64_t			 id;

	id = add("ERR-1", NULL, NULL, "2026-10-20 10:00");
	fails(id, "explode", NULL, NULL, 400, "type");
	fails(id, "", NULL, NULL, 400, "type");
	fails(id, "DONE", NULL, NULL, 400, "type");
	ck_assert_int_eq(event(id + 1000, "done", NULL, NULL,
	    "2026-09-28 10:00", &e), -1);
	ck_assert_int_eq(e.status, 404);
	ck_assert_str_eq(e.field, "id");
	r = item(id);
	ck_assert_str_eq(r.status, "accepted");
	item_row_clear(&r);
	ck_assert_ptr_null(strstr(log_of(id), "explode"));
}
END_TEST

static Suite *
item_suite(void)
{
	Suite	*s = suite_create("item");
	TCase	*tc = tcase_create("event");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_suspend_resume_moves_by_working_days);
	tcase_add_test(tc, test_seconds_limit_moves_by_seconds);
	tcase_add_test(tc, test_done);
	tcase_add_test(tc, test_block);
	tcase_add_test(tc, test_progress);
	tcase_add_test(tc, test_errors);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(item_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
