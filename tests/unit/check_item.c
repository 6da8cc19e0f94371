/*
 * Unit tests for item events, item_event(), on an in-memory store: done
 * closes an item and stops its ladder; suspend and resume stop the clock
 * and move the deadline by the working days it stood (on the 2026
 * calendar, with its National Day holiday and make-up days) or by the
 * seconds of a limit in seconds; block and unblock; progress notes; and
 * the errors: unknown event types, unknown items, events an item's state
 * does not allow (409), missing reasons and notes (400).  The endings of
 * the innovation modes' second deadlines: a 告知承诺 item's commitment
 * track runs on after done until verify-pass or verify-fail (which
 * notifies the group chat and the head), a 容缺受理 item's supplement
 * track ends at supplied while its main ladder goes on.  The checks read
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
"channels = ( { name = \"a\"; type = \"wecom\"; key = \"ka\"; },\n"
"  { name = \"g\"; type = \"wecom\"; key = \"kg\"; },\n"
"  { name = \"h\"; type = \"dingtalk\"; key = \"kh\"; } );\n"
"head = \"p-head\";\n"
"head_channel = \"h\";\n"
"people = ( { id = \"p-head\"; name = \"专班负责人\"; mobile = \"13800000001\"; },\n"
"  { id = \"p-lead\"; name = \"组长\"; mobile = \"13800000002\"; } );\n"
"groups = ( { name = \"社会投资类推进组\"; leader = \"p-lead\"; channel = \"g\";\n"
"  categories = [ \"社会投资类\" ]; } );\n"
"policies = (\n"
"  { name = \"default\"; track = \"main\";\n"
"    stages = (\n"
"      { name = \"reminder\"; label = \"催办\"; offset = \"0s\"; to = [\"a\"]; },\n"
"      { name = \"supervision\"; label = \"督查\"; offset = \"+1d\"; to = [\"a\"]; }\n"
"    ); },\n"
"  { name = \"supplement\"; track = \"supplement\";\n"
"    stages = ( { name = \"supplement\"; label = \"容缺补正提醒\"; offset = \"-1d\";\n"
"      repeat = \"1d\"; to = [\"a\"]; } ); },\n"
"  { name = \"commitment\"; track = \"commitment\";\n"
"    stages = ( { name = \"commitment\"; label = \"告知承诺核查提醒\"; offset = \"-1d\";\n"
"      repeat = \"1d\"; to = [\"a\"]; } ); }\n"
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

/* Add an accepted item of the 社会投资类 group in a mode, with its
 * second deadline (supplement or commitment, either may be NULL). */
static int64_t
add_mode(const char *project, const char *mode, const char *deadline,
    const char *supplement, const char *commitment)
{
	struct item_input	 in;
	struct api_error	 e;
	int64_t			 id = 0;
	int			 created = 0;

	memset(&in, 0, sizeof in);
	memset(&e, 0, sizeof e);
	in.project = project;
	in.category = "社会投资类";
	in.name = "施工许可";
	in.department = "建设工程审批科";
	in.mode = mode;
	in.deadline = deadline;
	in.supplement = supplement;
	in.commitment = commitment;
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

/* A track of an item by kind; next_at -1 when the item has none. */
static int64_t
track_next(int64_t id, const char *kind)
{
	struct track_row	 t;
	int64_t			 next;
	int			 rc;

	memset(&t, 0, sizeof t);
	ck_assert_int_ge(rc = store_track_get(store, id, kind, &t), 0);
	if (rc == 1)
		return (-1);
	next = t.next_at;
	track_row_clear(&t);
	return (next);
}

/* Run the step at a time in its own transaction (scheduler_step). */
static int
step(const char *when)
{
	return (scheduler_step(conf, store, at(when)));
}

/* Messages queued so far as "channel|stage|text" lines. */
static int
outbox_cb(void *arg, const struct outbox_row *o)
{
	char	*buf = arg;
	size_t	 len = strlen(buf);

	snprintf(buf + len, 16384 - len, "%s|%s|%s|%s\n", o->channel, o->stage,
	    o->mobiles ? o->mobiles : "", o->text);
	return (0);
}

static const char *
outbox_of(void)
{
	static char	 buf[16384];

	buf[0] = '\0';
	ck_assert_int_eq(store_outbox_since(store, 0, outbox_cb, buf), 0);
	return (buf);
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

/* The actor belongs to the transaction that named it: commit and rollback
 * forget it, and the log's filters find its entries. */
static int
actor_cb(void *arg, const struct log_row *l)
{
	char	*buf = arg;
	size_t	 len = strlen(buf);

	snprintf(buf + len, 4096 - len, "%lld:%s:%s\n", (long long)l->item_id,
	    l->outcome ? l->outcome : "", l->actor ? l->actor : "(null)");
	return (0);
}

START_TEST(test_actor_per_transaction)
{
	struct log_filter	 f;
	int64_t			 a, b;
	char			 buf[4096], one[64];

	ck_assert_str_eq(store_actor(store), STORE_ACTOR_DAEMON);
	ck_assert_int_eq(store_begin_as(store, "unix:alice"), 0);
	ck_assert_str_eq(store_actor(store), "unix:alice");
	ck_assert_int_eq(store_log(store, 100, 0, NULL, NULL, NULL, "one",
	    NULL), 0);
	ck_assert_int_eq(store_commit(store), 0);
	/* Gone with the commit: the next transaction is the daemon's. */
	ck_assert_str_eq(store_actor(store), STORE_ACTOR_DAEMON);
	a = add("ACT-1", NULL, NULL, "2026-10-09");
	ck_assert_int_eq(store_begin_as(store, "token:clerk"), 0);
	ck_assert_int_eq(store_log(store, 200, 0, NULL, NULL, NULL, "lost",
	    NULL), 0);
	store_rollback(store);
	ck_assert_str_eq(store_actor(store), STORE_ACTOR_DAEMON);
	ck_assert_int_eq(store_begin_as(store, "token:clerk"), 0);
	ck_assert_int_eq(store_log(store, 300, 0, "ACT-2", NULL, NULL, "two",
	    NULL), 0);
	ck_assert_int_eq(store_commit(store), 0);
	b = add("ACT-2", NULL, NULL, "2026-10-09");

	memset(&f, 0, sizeof f);
	buf[0] = '\0';
	ck_assert_int_eq(store_log_query(store, &f, actor_cb, buf), 0);
	ck_assert_msg(strncmp(buf, "0:one:unix:alice\n", 17) == 0 &&
	    strstr(buf, "lost") == NULL && strstr(buf, "0:two:token:clerk\n")
	    != NULL, "log: %s", buf);

	f.actor = "token:*";
	buf[0] = '\0';
	ck_assert_int_eq(store_log_query(store, &f, actor_cb, buf), 0);
	ck_assert_str_eq(buf, "0:two:token:clerk\n");
	f.actor = "unix:alice";
	f.since = 150;
	buf[0] = '\0';
	ck_assert_int_eq(store_log_query(store, &f, actor_cb, buf), 0);
	ck_assert_str_eq(buf, "");
	f.actor = NULL;
	f.since = 0;
	f.until = 250;
	buf[0] = '\0';
	ck_assert_int_eq(store_log_query(store, &f, actor_cb, buf), 0);
	ck_assert_str_eq(buf, "0:one:unix:alice\n");
	/* A project's entries: its own (no item), then those of its items
	 * (in order); not another project's. */
	f.until = 0;
	f.project = "ACT-2";
	buf[0] = '\0';
	ck_assert_int_eq(store_log_query(store, &f, actor_cb, buf), 0);
	snprintf(one, sizeof one, "0:two:token:clerk\n%lld:", (long long)b);
	ck_assert_msg(strncmp(buf, one, strlen(one)) == 0 && strstr(buf,
	    ":daemon\n") != NULL && strstr(buf, "one") == NULL, "log: %s", buf);
	(void)a;
	/* The cursor: the first one after an id. */
	memset(&f, 0, sizeof f);
	f.cursor = 1;
	f.limit = 1;
	buf[0] = '\0';
	ck_assert_int_eq(store_log_query(store, &f, actor_cb, buf), 0);
	ck_assert_str_eq(buf, "0:one:unix:alice\n");
}
END_TEST

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

/*
 * 告知承诺: done ends the main ladder, not the commitment track, which
 * runs on (also when the rules are re-applied, as on a reload) until
 * verify-pass ends it, logged; the item keeps the result and when.
 */
START_TEST(test_commitment_runs_after_done)
{
	struct item_row	 r;
	int64_t		 id, next;

	id = add_mode("COM-1", MODE_COMMITMENT, "2026-09-29 10:00", NULL,
	    "2026-10-20 18:00");
	ck_assert_int_gt(track_next(id, TRACK_COMMITMENT), 0);
	ok(id, "done", NULL, NULL, "2026-09-28 15:00");
	ck_assert_int_eq(track_next(id, TRACK_MAIN), 0);
	next = track_next(id, TRACK_COMMITMENT);
	ck_assert_str_eq(fmt(next), "2026-10-19 18:00:00");

	/* A reload re-derives the tracks of the item: it is still followed. */
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_int_eq(item_retrack_all(conf, store, at("2026-10-01 10:00"),
	    conf), 0);
	ck_assert_int_eq(store_commit(store), 0);
	ck_assert_int_eq(track_next(id, TRACK_COMMITMENT), next);

	/* Its reminders go out after done, and repeat. */
	ck_assert_int_eq(step("2026-10-19 18:00"), 1);
	ck_assert_int_gt(track_next(id, TRACK_COMMITMENT), next);
	ck_assert_ptr_nonnull(strstr(outbox_of(), "a|commitment|"));

	ok(id, "verify-pass", NULL, "现场核查已履约", "2026-10-20 09:00");
	r = item(id);
	ck_assert_str_eq(r.status, "done");
	ck_assert_str_eq(r.commitment_result, COMMITMENT_PASS);
	ck_assert_int_eq(r.commitment_verified_at, at("2026-10-20 09:00"));
	item_row_clear(&r);
	ck_assert_int_eq(track_next(id, TRACK_COMMITMENT), 0);
	ck_assert_int_eq(step("2026-10-27 18:00"), 0);
	ck_assert_ptr_nonnull(strstr(log_of(id), "verify-pass:现场核查已履约\n"));

	/* Twice, or the other result after it: 409, nothing changes. */
	fails(id, "verify-pass", NULL, NULL, 409, "commitment_result");
	fails(id, "verify-fail", "未履约", NULL, 409, "commitment_result");
	r = item(id);
	ck_assert_str_eq(r.commitment_result, COMMITMENT_PASS);
	ck_assert_int_eq(r.commitment_verified_at, at("2026-10-20 09:00"));
	item_row_clear(&r);

	/* A cancelled item ends every track, the commitment's too. */
	id = add_mode("COM-2", MODE_COMMITMENT, "2026-09-29 10:00", NULL,
	    "2026-10-20 18:00");
	ok(id, "cancel", NULL, NULL, "2026-09-28 15:00");
	ck_assert_int_eq(track_next(id, TRACK_COMMITMENT), 0);
	fails(id, "verify-pass", NULL, NULL, 409, "type");
}
END_TEST

/*
 * verify-fail needs a reason; it ends the commitment track and queues its
 * own message to the group chat and the head's chat (the head
 * @-mentioned) naming the item, the commitment deadline and the reason.
 * The Chinese name of the event does the same.
 */
START_TEST(test_commitment_verify_fail)
{
	struct item_row	 r;
	const char	*ob;
	int64_t		 id;

	id = add_mode("COM-3", MODE_COMMITMENT, "2026-10-09 10:00", NULL,
	    "2026-10-20 18:00");
	fails(id, "verify-fail", NULL, NULL, 400, "reason");
	ck_assert_str_eq(outbox_of(), "");
	ok(id, "verify-fail", "承诺的消防设施未按期建成", NULL,
	    "2026-10-21 10:00");
	r = item(id);
	ck_assert_str_eq(r.status, "accepted");
	ck_assert_str_eq(r.commitment_result, COMMITMENT_FAIL);
	ck_assert_int_eq(r.commitment_verified_at, at("2026-10-21 10:00"));
	item_row_clear(&r);
	ck_assert_int_eq(track_next(id, TRACK_COMMITMENT), 0);
	ck_assert_int_gt(track_next(id, TRACK_MAIN), 0);
	ob = outbox_of();
	ck_assert_msg(strstr(ob, "g|verify-fail||") != NULL, "%s", ob);
	ck_assert_msg(strstr(ob, "h|verify-fail|[\"13800000001\"]|") != NULL,
	    "%s", ob);
	ck_assert_ptr_nonnull(strstr(ob, "承诺的消防设施未按期建成"));
	ck_assert_ptr_nonnull(strstr(ob, "COM-3"));
	ck_assert_ptr_nonnull(strstr(ob, "施工许可"));
	ck_assert_ptr_nonnull(strstr(ob, "2026-10-20"));
	ck_assert_ptr_nonnull(strstr(log_of(id),
	    "verify-fail:承诺的消防设施未按期建成\n"));

	/* 核查通过 is verify-pass. */
	id = add_mode("COM-4", MODE_COMMITMENT, "2026-10-09 10:00", NULL,
	    "2026-10-20 18:00");
	ok(id, "核查通过", NULL, NULL, "2026-10-21 10:00");
	r = item(id);
	ck_assert_str_eq(r.commitment_result, COMMITMENT_PASS);
	item_row_clear(&r);
	ck_assert_ptr_nonnull(strstr(log_of(id), "verify-pass:"));
}
END_TEST

/*
 * 容缺受理: supplied ends the supplement track, the main ladder goes on;
 * the item keeps when.  Events of the other mode, and twice, are 409s
 * naming the field, and change nothing.
 */
START_TEST(test_supplied)
{
	struct item_row	 r;
	int64_t		 id, main_next;

	id = add_mode("SUP-1", MODE_SUPPLEMENT, "2026-10-20 10:00",
	    "2026-10-09 18:00", NULL);
	main_next = track_next(id, TRACK_MAIN);
	ck_assert_int_gt(main_next, 0);
	ck_assert_int_gt(track_next(id, TRACK_SUPPLEMENT), 0);
	fails(id, "verify-pass", NULL, NULL, 409, "mode");
	fails(id, "verify-fail", "x", NULL, 409, "mode");
	ok(id, "补正材料已收齐", NULL, NULL, "2026-09-30 10:00");
	r = item(id);
	ck_assert_int_eq(r.supplement_done_at, at("2026-09-30 10:00"));
	ck_assert_str_eq(r.status, "accepted");
	ck_assert_ptr_null(r.commitment_result);
	item_row_clear(&r);
	ck_assert_int_eq(track_next(id, TRACK_SUPPLEMENT), 0);
	ck_assert_int_eq(track_next(id, TRACK_MAIN), main_next);
	ck_assert_ptr_nonnull(strstr(log_of(id), "supplied:"));
	fails(id, "supplied", NULL, NULL, 409, "supplement_done_at");

	/* Re-applying the rules keeps the supplement track ended. */
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_int_eq(item_retrack_all(conf, store, at("2026-10-01 10:00"),
	    conf), 0);
	ck_assert_int_eq(store_commit(store), 0);
	ck_assert_int_eq(track_next(id, TRACK_SUPPLEMENT), 0);
	ck_assert_int_eq(track_next(id, TRACK_MAIN), main_next);

	/* Neither applies to a normal item; supplied not to 告知承诺. */
	id = add("SUP-2", NULL, NULL, "2026-10-20 10:00");
	fails(id, "supplied", NULL, NULL, 409, "mode");
	fails(id, "verify-pass", NULL, NULL, 409, "mode");
	id = add_mode("SUP-3", MODE_COMMITMENT, "2026-10-20 10:00", NULL,
	    "2026-10-20 18:00");
	fails(id, "supplied", NULL, NULL, 409, "mode");
	r = item(id);
	ck_assert_int_eq(r.supplement_done_at, 0);
	item_row_clear(&r);
	ck_assert_str_eq(outbox_of(), "");
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
	tcase_add_test(tc, test_commitment_runs_after_done);
	tcase_add_test(tc, test_commitment_verify_fail);
	tcase_add_test(tc, test_supplied);
	tcase_add_test(tc, test_actor_per_transaction);
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
