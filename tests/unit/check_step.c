/*
 * Unit tests for the escalation step, scheduler_step(conf, store, now),
 * over items added with item_add() on an in-memory store, with "now"
 * given, never read from a clock: the ladder fires the latest due stage
 * once (stages passed over are logged "skipped"); a (track, stage, rep)
 * never fires twice, even if the track is set back; items due together
 * make one message per chat and stage, listing each item once; a stage's
 * repeats fire one at a time; done (and suspend) stop the ladder.  The
 * checks read what the step wrote: outbox rows (store_outbox_since),
 * the items each message lists, track rows (store_track_get) and the log.
 * Runs from the repository root (templates and calendars of rules/).
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

/*
 * Two departments, each with its own chat; a ladder of a reminder at the
 * deadline repeated hourly, a supervision a day later to the department
 * and chat "b", an interview two days later (ordering
 * rectification within 5 working days).  done_notice: an item done
 * is announced where its reminders went.
 */
static const char *config_fmt =
"database = \"unused.db\";\n"
"socket = \"%s/unused.sock\";\n"
"templates = \"%s/rules/templates\";\n"
"@include \"%s/rules/calendar/cn-2026.conf\"\n"
"channels = (\n"
"  { name = \"a\"; type = \"wecom\"; key = \"ka\"; },\n"
"  { name = \"b\"; type = \"wecom\"; key = \"kb\"; }\n"
");\n"
"departments = (\n"
"  { name = \"科a\"; channel = \"a\"; },\n"
"  { name = \"科b\"; channel = \"b\"; }\n"
");\n"
"policies = (\n"
"  { name = \"default\"; track = \"main\"; done_notice = true;\n"
"    stages = (\n"
"      { name = \"reminder\"; label = \"催办\"; offset = \"0s\"; repeat = \"1h\"; to = [\"department\"]; },\n"
"      { name = \"supervision\"; label = \"督查\"; offset = \"+1d\"; to = [\"department\", \"b\"]; },\n"
"      { name = \"interview\"; label = \"约谈\"; offset = \"+2d\"; to = [\"department\"]; rectify = \"5wd\"; }\n"
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

#define DUE	"2026-11-03 10:00:00"	/* a Tuesday */
#define HOUR	3600
#define DAY	86400

static void
setup(void)
{
	char	 path[PATH_MAX + 32], **problems = NULL, *err = NULL;
	size_t	 n = 0, i;
	FILE	*f;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	ck_assert_ptr_nonnull(getcwd(root, sizeof root));
	strcpy(tmpdir, "/tmp/check_step.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof path, "%s/step.conf", tmpdir);
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

/* Add an accepted item due at due in a department; its id. */
static int64_t
add(const char *project, const char *dept, const char *due)
{
	struct item_input	 in;
	struct api_error	 e;
	int64_t			 id = 0;
	int			 created = 0;

	memset(&in, 0, sizeof in);
	memset(&e, 0, sizeof e);
	in.project = project;
	in.name = "立项";
	in.department = dept;
	in.deadline = due;
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_add(conf, store, &in, at("2026-11-02 09:00"), &id,
	    &created, &e) == 0, "item_add %s: %s", project, e.msg);
	ck_assert_int_eq(store_commit(store), 0);
	ck_assert_int_eq(created, 1);
	return (id);
}

/* One step at now; the number of messages it queued. */
static int
step(int64_t now)
{
	int	 n = scheduler_step(conf, store, now);

	ck_assert_msg(n >= 0, "step failed: %s", store_error(store));
	return (n);
}

/* The outbox rows after an id, as "channel:stage" lines, and their ids. */
struct rows {
	int64_t	 after;
	int	 n;
	int64_t	 id[32];
	char	 what[32][64];
	char	 text[32][4096];
};

static int
rows_cb(void *arg, const struct outbox_row *o)
{
	struct rows	*r = arg;

	r->after = o->id;
	ck_assert_int_lt(r->n, 32);
	r->id[r->n] = o->id;
	snprintf(r->what[r->n], sizeof r->what[r->n], "%s:%s", o->channel,
	    o->stage);
	snprintf(r->text[r->n], sizeof r->text[r->n], "%s", o->text);
	r->n++;
	return (0);
}

/* The messages queued since the last call (*after moves on). */
static struct rows *
queued_since(int64_t *after)
{
	static struct rows	 r;

	memset(&r, 0, sizeof r);
	r.after = *after;
	ck_assert_int_eq(store_outbox_since(store, *after, rows_cb, &r), 0);
	*after = r.after;
	return (&r);
}

/* The items a message lists, sorted, as "id,id,...". */
static const char *
listed(int64_t outbox)
{
	static char	 buf[256];
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	int		 off = 0;

	ck_assert_int_eq(store_outbox_item_ids(store, outbox, &ids, &n), 0);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += snprintf(buf + off, sizeof buf - (size_t)off, "%s%lld",
		    i ? "," : "", (long long)ids[i]);
	free(ids);
	return (buf);
}

/* An item's main track (the caller clears it). */
static struct track_row
track(int64_t item)
{
	struct track_row	 t;

	memset(&t, 0, sizeof t);
	ck_assert_int_eq(store_track_get(store, item, TRACK_MAIN, &t), 0);
	return (t);
}

/* How many log rows of an item have this stage and outcome. */
struct logcount {
	const char	*stage, *outcome;
	int		 n;
};

static int
log_cb(void *arg, const struct log_row *l)
{
	struct logcount	*c = arg;

	if ((c->stage == NULL || (l->stage && strcmp(l->stage, c->stage) == 0))
	    && l->outcome && strcmp(l->outcome, c->outcome) == 0)
		c->n++;
	return (0);
}

static int
logged(int64_t item, const char *stage, const char *outcome)
{
	struct logcount	 c = { stage, outcome, 0 };

	ck_assert_int_eq(store_log_list(store, item, 100000, log_cb, &c), 0);
	return (c.n);
}

/* ------------------------------------------------------------------ */

/* Nothing before the deadline; at it the reminder, once; after the
 * interview's time only the interview, the stages between logged as
 * passed over, not sent in a burst; then the ladder is over. */
START_TEST(test_latest_due_stage_fires_once)
{
	struct track_row	 t;
	struct rows		*r;
	int64_t			 after = 0, id;

	id = add("STEP-1", "科a", DUE);
	t = track(id);
	ck_assert_int_eq(t.due_at, at(DUE));
	ck_assert_int_eq(t.stage, -1);
	ck_assert_int_eq(t.next_at, at(DUE));
	track_row_clear(&t);

	ck_assert_int_eq(step(at(DUE) - 1), 0);
	ck_assert_int_eq(queued_since(&after)->n, 0);

	ck_assert_int_eq(step(at(DUE)), 1);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 1);
	ck_assert_str_eq(r->what[0], "a:reminder");
	ck_assert_ptr_nonnull(strstr(r->text[0], "STEP-1"));
	ck_assert_str_eq(listed(r->id[0]), "1");
	t = track(id);
	ck_assert_str_eq(t.stage_name, "reminder");
	ck_assert_int_eq(t.stage, 0);
	ck_assert_int_eq(t.rep, 0);
	ck_assert_int_eq(t.next_at, at(DUE) + HOUR);	/* the first repeat */
	track_row_clear(&t);
	ck_assert_int_eq(logged(id, "reminder", "escalated"), 1);

	/* The same moment again: nothing. */
	ck_assert_int_eq(step(at(DUE)), 0);
	ck_assert_int_eq(queued_since(&after)->n, 0);

	/* Downtime past the interview: only the interview goes out. */
	ck_assert_int_eq(step(at(DUE) + 2 * DAY + 60), 1);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 1);
	ck_assert_str_eq(r->what[0], "a:interview");
	ck_assert_int_eq(logged(id, "supervision", "skipped"), 1);
	ck_assert_int_eq(logged(id, "supervision", "escalated"), 0);
	ck_assert_int_eq(logged(id, "interview", "escalated"), 1);
	ck_assert_int_eq(logged(id, "reminder", "escalated"), 1);
	t = track(id);
	ck_assert_str_eq(t.stage_name, "interview");
	ck_assert_int_eq(t.stage, 2);
	ck_assert_int_eq(t.next_at, 0);		/* the ladder is over */
	track_row_clear(&t);

	ck_assert_int_eq(step(at(DUE) + 30 * DAY), 0);
	ck_assert_int_eq(queued_since(&after)->n, 0);
}
END_TEST

/* A (track, stage, rep) that fired never fires again, even when the
 * track is set back (a crash between claim and save, a restore). */
START_TEST(test_never_twice)
{
	struct track_row	 t;
	int64_t			 after = 0, id;

	id = add("TWICE-1", "科a", DUE);
	ck_assert_int_eq(step(at(DUE)), 1);
	ck_assert_int_eq(queued_since(&after)->n, 1);

	t = track(id);
	t.stage = -1;
	t.rep = 0;
	free(t.stage_name);
	t.stage_name = NULL;
	t.next_at = at(DUE);
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_int_eq(store_track_save(store, &t), 0);
	ck_assert_int_eq(store_commit(store), 0);
	track_row_clear(&t);

	ck_assert_int_eq(step(at(DUE) + 1), 0);
	ck_assert_int_eq(queued_since(&after)->n, 0);
	ck_assert_int_eq(logged(id, "reminder", "escalated"), 1);
	/* The claim is what stopped it; the track moved on. */
	t = track(id);
	ck_assert_int_eq(store_fired_insert(store, t.id, t.due_at, id,
	    "reminder", 0, at(DUE)), 1);
	ck_assert_str_eq(t.stage_name, "reminder");
	track_row_clear(&t);
}
END_TEST

/* Items due together: one message per chat and stage, each item listed
 * once (also where a stage names the same chat twice); an item due later
 * waits for its own step. */
START_TEST(test_one_message_per_chat_and_stage)
{
	struct rows	*r;
	int64_t		 after = 0, a1, a2, a3, b1, b2, late;
	char		 want[64];
	int		 i;

	a1 = add("GRP-A1", "科a", DUE);
	a2 = add("GRP-A2", "科a", DUE);
	a3 = add("GRP-A3", "科a", DUE);
	b1 = add("GRP-B1", "科b", DUE);
	b2 = add("GRP-B2", "科b", DUE);
	late = add("GRP-LATE", "科a", "2026-11-03 10:30:00");

	ck_assert_int_eq(step(at(DUE)), 2);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 2);
	for (i = 0; i < 2; i++) {
		if (strcmp(r->what[i], "a:reminder") == 0) {
			snprintf(want, sizeof want, "%lld,%lld,%lld",
			    (long long)a1, (long long)a2, (long long)a3);
			ck_assert_str_eq(listed(r->id[i]), want);
			ck_assert_ptr_null(strstr(r->text[i], "GRP-B1"));
			ck_assert_ptr_null(strstr(r->text[i], "GRP-LATE"));
		} else {
			ck_assert_str_eq(r->what[i], "b:reminder");
			snprintf(want, sizeof want, "%lld,%lld",
			    (long long)b1, (long long)b2);
			ck_assert_str_eq(listed(r->id[i]), want);
		}
	}
	/* One grouped message: one "queued" log entry, in every item's history. */
	ck_assert_int_eq(logged(a1, "reminder", "queued"), 1);
	ck_assert_int_eq(logged(b2, "reminder", "queued"), 1);
	ck_assert_int_eq(logged(late, "reminder", "escalated"), 0);

	/* The later item alone, half an hour later. */
	ck_assert_int_eq(step(at("2026-11-03 10:30:00")), 1);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 1);
	ck_assert_str_eq(r->what[0], "a:reminder");
	snprintf(want, sizeof want, "%lld", (long long)late);
	ck_assert_str_eq(listed(r->id[0]), want);

	/* Supervision goes to the department and to chat "b": for 科b
	 * that is one chat, one message, each item once; 科a's items get
	 * their chat and "b".  The later item is not at its supervision
	 * yet, but its hourly reminder is due again: a message of its own
	 * (another stage, so not grouped with the supervision). */
	ck_assert_int_eq(step(at(DUE) + DAY), 3);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 3);
	for (i = 0; i < 3; i++) {
		if (strcmp(r->what[i], "a:supervision") == 0) {
			snprintf(want, sizeof want, "%lld,%lld,%lld",
			    (long long)a1, (long long)a2, (long long)a3);
			ck_assert_str_eq(listed(r->id[i]), want);
		} else if (strcmp(r->what[i], "a:reminder") == 0) {
			snprintf(want, sizeof want, "%lld", (long long)late);
			ck_assert_str_eq(listed(r->id[i]), want);
		} else {
			ck_assert_str_eq(r->what[i], "b:supervision");
			snprintf(want, sizeof want, "%lld,%lld,%lld,%lld,%lld",
			    (long long)a1, (long long)a2, (long long)a3,
			    (long long)b1, (long long)b2);
			ck_assert_str_eq(listed(r->id[i]), want);
		}
	}
	/* The later item's supervision is half an hour later still. */
	ck_assert_int_eq(logged(late, "supervision", "escalated"), 0);
}
END_TEST

/* A repeated stage fires once per repeat time; after downtime only the
 * latest repeat, counted in the track's rep. */
START_TEST(test_repeats)
{
	struct track_row	 t;
	struct rows		*r;
	int64_t			 after = 0, id;

	id = add("REP-1", "科a", DUE);
	ck_assert_int_eq(step(at(DUE)), 1);
	ck_assert_int_eq(queued_since(&after)->n, 1);

	ck_assert_int_eq(step(at(DUE) + HOUR - 1), 0);
	ck_assert_int_eq(step(at(DUE) + HOUR), 1);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 1);
	ck_assert_str_eq(r->what[0], "a:reminder");
	t = track(id);
	ck_assert_int_eq(t.stage, 0);
	ck_assert_int_eq(t.rep, 1);
	ck_assert_int_eq(t.next_at, at(DUE) + 2 * HOUR);
	track_row_clear(&t);
	ck_assert_int_eq(step(at(DUE) + HOUR), 0);

	/* Three and a half hours: repeats 2 and 3 were due, one message. */
	ck_assert_int_eq(step(at(DUE) + 3 * HOUR + 1800), 1);
	ck_assert_int_eq(queued_since(&after)->n, 1);
	t = track(id);
	ck_assert_int_eq(t.rep, 3);
	track_row_clear(&t);
	ck_assert_int_eq(logged(id, "reminder", "escalated"), 3);
}
END_TEST

/* Done stops the ladder (and a closing notice goes where the reminders
 * went); a suspended item is not escalated while its clock stands. */
START_TEST(test_done_stops_the_ladder)
{
	struct api_error	 e;
	struct track_row	 t;
	struct rows		*r;
	int64_t			 after = 0, id, held;

	id = add("DONE-1", "科a", DUE);
	held = add("HELD-1", "科b", DUE);
	memset(&e, 0, sizeof e);
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_event(conf, store, held, "suspend", "补正材料",
	    NULL, at(DUE) - HOUR, at(DUE) - HOUR, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(store_commit(store), 0);

	ck_assert_int_eq(step(at(DUE)), 1);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 1);
	ck_assert_str_eq(r->what[0], "a:reminder");

	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_event(conf, store, id, "done", NULL, NULL,
	    at(DUE) + 600, at(DUE) + 600, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(store_commit(store), 0);
	r = queued_since(&after);
	ck_assert_int_eq(r->n, 1);
	ck_assert_str_eq(r->what[0], "a:done");
	ck_assert_ptr_nonnull(strstr(r->text[0], "DONE-1"));

	/* Past every stage: nothing for either item. */
	ck_assert_int_eq(step(at(DUE) + 3 * DAY), 0);
	ck_assert_int_eq(queued_since(&after)->n, 0);
	ck_assert_int_eq(logged(id, NULL, "escalated"), 1);
	ck_assert_int_eq(logged(held, NULL, "escalated"), 0);
	t = track(id);
	ck_assert_int_eq(t.next_at, 0);
	track_row_clear(&t);
}
END_TEST

/* ------------------------------------------------------------------ */
/*
 * The shipped rules (rules/approval-escalatord.conf: the office window
 * 08:30-18:00 on working days, deadlines at 18:00) on the real 2026
 * calendar, stepped from one wake-up to the next as the daemon's timer
 * would: a stage of N working days arrives on that working day and says N.
 */

static void
shipped_setup(void)
{
	char	**problems = NULL, *err = NULL;
	size_t	  n = 0, i;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	conf = config_load("rules/approval-escalatord.conf", &problems, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "problem: %s\n", problems[i]);
	config_problems_free(problems, n);
	ck_assert_ptr_nonnull(conf);
	store = store_open(":memory:", &err);
	ck_assert_msg(store != NULL, "%s", err ? err : "");
}

/* Add an item under the shipped rules at now: accepted with a limit, or
 * with an explicit deadline; its id. */
static int64_t
add_shipped(const char *project, const char *accepted, const char *limit,
    const char *deadline, int64_t now)
{
	struct item_input	 in;
	struct api_error	 e;
	int64_t			 id = 0;
	int			 created = 0;

	memset(&in, 0, sizeof in);
	memset(&e, 0, sizeof e);
	in.project = project;
	in.category = "社会投资类";
	in.name = "立项";
	in.department = "投资项目审批科";
	in.accepted = accepted;
	in.limit = limit;
	in.deadline = deadline;
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_add(conf, store, &in, now, &id, &created, &e) == 0,
	    "item_add %s: %s", project, e.msg);
	ck_assert_int_eq(store_commit(store), 0);
	return (id);
}

/* The messages stepped out: "YYYY-MM-DD HH:MM" and stage, and texts. */
struct sent {
	int64_t	 after;
	int	 n;
	char	 when[64][17];
	char	 stage[64][32];
	char	 text[64][4096];
};

static int
sent_cb(void *arg, const struct outbox_row *o)
{
	struct sent	*s = arg;
	char		 buf[32];

	s->after = o->id;
	if (o->follows != 0)
		return (0);	/* a mention follow-up: no notice of its own */
	ck_assert_int_lt(s->n, 64);
	rules_format(o->created_at, buf, sizeof buf);
	snprintf(s->when[s->n], sizeof s->when[s->n], "%.16s", buf);
	snprintf(s->stage[s->n], sizeof s->stage[s->n], "%s", o->stage);
	snprintf(s->text[s->n], sizeof s->text[s->n], "%s", o->text);
	s->n++;
	return (0);
}

/* Step at each wake-up the store asks for up to until; what was queued
 * (since the last call) is in *s. */
static void
drive(int64_t until, struct sent *s)
{
	int64_t	 t;

	s->n = 0;
	while (store_next_wakeup(store, &t) == 0 && t <= until) {
		step(t);
		ck_assert_int_eq(store_outbox_since(store, s->after, sent_cb,
		    s), 0);
	}
}

/* When a stage was queued: its distinct times, comma-separated. */
static const char *
times_of(const struct sent *s, const char *stage)
{
	static char	 buf[1024];
	const char	*last = NULL;
	size_t		 off = 0;
	int		 i;

	buf[0] = '\0';
	for (i = 0; i < s->n && off < sizeof buf; i++) {
		if (strcmp(s->stage[i], stage) != 0 ||
		    (last != NULL && strcmp(last, s->when[i]) == 0))
			continue;
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s",
		    last != NULL ? "," : "", s->when[i]);
		last = s->when[i];
	}
	return (buf);
}

/* Whether every message of a stage queued at when contains needle. */
static int
says(const struct sent *s, const char *stage, const char *when,
    const char *needle)
{
	int	 i, n = 0;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->stage[i], stage) != 0 ||
		    strcmp(s->when[i], when) != 0)
			continue;
		if (strstr(s->text[i], needle) == NULL) {
			fprintf(stderr, "%s at %s lacks %s:\n%s\n", stage,
			    when, needle, s->text[i]);
			return (0);
		}
		n++;
	}
	return (n > 0);
}

/* Accepted Thu 2026-09-24, 5wd: due Fri 10-09 18:00 (中秋, 国庆 off, Sat
 * 10-10 a make-up working day).  Each stage on its working day. */
START_TEST(test_shipped_stages_on_their_working_day)
{
	static struct sent	 s;

	memset(&s, 0, sizeof s);
	add_shipped("WD-1", "2026-09-24 10:00", "5wd", NULL,
	    at("2026-09-24 10:00"));
	drive(at("2026-10-23 00:00"), &s);
	ck_assert_str_eq(times_of(&s, "warning"), "2026-09-30 08:30");
	ck_assert(says(&s, "warning", "2026-09-30 08:30", "剩余2个工作日"));
	ck_assert_str_eq(times_of(&s, "reminder"),
	    "2026-10-09 08:30,2026-10-10 08:30,2026-10-12 08:30");
	ck_assert(says(&s, "reminder", "2026-10-09 08:30", "超期0个工作日"));
	ck_assert(says(&s, "reminder", "2026-10-10 08:30", "超期1个工作日"));
	ck_assert(says(&s, "reminder", "2026-10-12 08:30", "超期2个工作日"));
	ck_assert_str_eq(times_of(&s, "supervision"), "2026-10-13 08:30");
	ck_assert(says(&s, "supervision", "2026-10-13 08:30", "超期3个工作日"));
	ck_assert_str_eq(times_of(&s, "interview"), "2026-10-15 08:30");
	ck_assert(says(&s, "interview", "2026-10-15 08:30", "超期5个工作日"));
	ck_assert_str_eq(times_of(&s, "escalate"), "2026-10-22 08:30");
	ck_assert(says(&s, "escalate", "2026-10-22 08:30", "超期10个工作日"));
}
END_TEST

/* A deadline on a day off (Sun 10-04 10:00, in 国庆): one 催办 per working
 * day from the next working day, never two on one morning. */
START_TEST(test_day_off_deadline_one_reminder_a_day)
{
	static struct sent	 s;

	memset(&s, 0, sizeof s);
	add_shipped("WD-2", NULL, NULL, "2026-10-04 10:00",
	    at("2026-09-21 09:00"));
	drive(at("2026-10-12 23:00"), &s);
	ck_assert_str_eq(times_of(&s, "warning"), "2026-09-29 08:30");
	ck_assert(says(&s, "warning", "2026-09-29 08:30", "剩余2个工作日"));
	ck_assert_str_eq(times_of(&s, "reminder"),
	    "2026-10-08 08:30,2026-10-09 08:30,2026-10-10 08:30");
	ck_assert(says(&s, "reminder", "2026-10-08 08:30", "超期0个工作日"));
	ck_assert(says(&s, "reminder", "2026-10-10 08:30", "超期2个工作日"));
	ck_assert_str_eq(times_of(&s, "supervision"), "2026-10-12 08:30");
	ck_assert(says(&s, "supervision", "2026-10-12 08:30", "超期3个工作日"));
}
END_TEST

/* stale_after = 5wd: a progress note restarts the count, and the restarted
 * ladder's first 无进展提醒 comes on the fifth working day after the note
 * (its claim is not mistaken for the one the old ladder made). */
START_TEST(test_progress_restarts_the_stale_count)
{
	static struct sent	 s;
	struct api_error	 e;
	struct track_row	 t;
	int64_t			 id;

	memset(&s, 0, sizeof s);
	/* Mon 11-02; the main deadline (30wd) is far away. */
	id = add_shipped("ST-1", "2026-11-02 09:00", "30wd", NULL,
	    at("2026-11-02 09:00"));
	drive(at("2026-11-11 10:00"), &s);
	ck_assert_str_eq(times_of(&s, "stale"), "2026-11-09 08:30");

	/* A note on Wed 11-11: five working days on is Wed 11-18. */
	memset(&e, 0, sizeof e);
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_event(conf, store, id, "progress", NULL, "已上会",
	    at("2026-11-11 10:00"), at("2026-11-11 10:00"), &e) == 0, "%s",
	    e.msg);
	ck_assert_int_eq(store_commit(store), 0);
	memset(&t, 0, sizeof t);
	ck_assert_int_eq(store_track_get(store, id, TRACK_STALE, &t), 0);
	ck_assert_int_eq(t.stage, -1);
	ck_assert_int_eq(t.next_at, at("2026-11-18 08:30"));
	track_row_clear(&t);
	drive(at("2026-11-26 00:00"), &s);
	ck_assert_str_eq(times_of(&s, "stale"),
	    "2026-11-18 08:30,2026-11-25 08:30");
	ck_assert_int_eq(logged(id, "stale", "escalated"), 3);
}
END_TEST

/* The stage counts (status, metrics) as the step moves tracks: kept by
 * the store's track updates (schema 19), both the batched path of a
 * storm (STORE_MANY tracks a statement) and the single rows after it. */
struct stagecount {
	char	 key[8][32];
	int64_t	 n[8];
	int	 len;
};

static void
stagecount_cb(void *arg, const char *key, int64_t n)
{
	struct stagecount	*c = arg;

	if (n == 0)
		return;
	ck_assert_int_lt(c->len, 8);
	snprintf(c->key[c->len], sizeof c->key[c->len], "%s", key);
	c->n[c->len++] = n;
}

/* The only stage with a count, and its count. */
static int64_t
stage_count(const char *stage)
{
	struct stagecount	 c;

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(store_count_stages(store, stagecount_cb, &c), 0);
	ck_assert_int_eq(c.len, 1);
	ck_assert_str_eq(c.key[0], stage);
	return (c.n[0]);
}

START_TEST(test_stage_counts_follow_a_storm)
{
	char	 code[32];
	int	 i;

	for (i = 0; i < 300; i++) {
		snprintf(code, sizeof code, "COUNT-%d", i);
		add(code, i % 2 ? "科a" : "科b", DUE);
	}
	ck_assert_int_gt(step(at(DUE)), 0);
	ck_assert_int_eq(stage_count("reminder"), 300);
	ck_assert_int_gt(step(at(DUE) + HOUR), 0);	/* a repeat */
	ck_assert_int_eq(stage_count("reminder"), 300);
	ck_assert_int_gt(step(at(DUE) + DAY + 60), 0);
	ck_assert_int_eq(stage_count("supervision"), 300);
	ck_assert_int_gt(step(at(DUE) + 2 * DAY + 60), 0);
	ck_assert_int_eq(stage_count("interview"), 300);
}
END_TEST

static Suite *
step_suite(void)
{
	Suite	*s = suite_create("step");
	TCase	*tc = tcase_create("step");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_latest_due_stage_fires_once);
	tcase_add_test(tc, test_never_twice);
	tcase_add_test(tc, test_one_message_per_chat_and_stage);
	tcase_add_test(tc, test_repeats);
	tcase_add_test(tc, test_done_stops_the_ladder);
	tcase_add_test(tc, test_stage_counts_follow_a_storm);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_checked_fixture(tc, shipped_setup, teardown);
	tcase_add_test(tc, test_shipped_stages_on_their_working_day);
	tcase_add_test(tc, test_day_off_deadline_one_reminder_a_day);
	tcase_add_test(tc, test_progress_restarts_the_stale_count);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(step_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
