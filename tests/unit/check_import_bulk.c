/*
 * Unit tests for the bulk write path of the CSV importer (store_bulk.c):
 * the same imports are run on two in-memory stores, one writing new items
 * through the bulk path and one through item_add() item by item, and
 * after every step the stores must hold exactly the same rows -- projects,
 * items, prerequisites, progress notes, tracks (with their next action
 * times and their items' open flags), the action log and the status
 * counts (which the bulk path counts itself, schema 18) -- with the same
 * ids.  The scenarios mix new
 * projects, new items in stored projects, updates of stored items,
 * prerequisites in the file and in the store (done and not), every mode,
 * time-limit unit and explicit deadline, the endings of the modes'
 * second deadlines (material supplied, commitment verified), deadlines
 * past the holiday
 * calendar, and enough rows to fill the bulk path's multi-row inserts
 * many times over; under the shipped rules and under policies matched by
 * category, department, kind and mode.  Runs from the repository root.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "escalator.h"

#define RULES		"rules/approval-escalatord.conf"

/* The configurations: the shipped one and one with matched policies. */
static struct config	*shipped, *matched;
static char		 tmpdir[] = "/tmp/check_import_bulk.XXXXXX";

/* The two stores: a through the bulk path, b through item_add(). */
static struct store	*sa, *sb;

/* Open both stores. */
static void
setup(void)
{
	char	*err = NULL;

	sa = store_open(":memory:", &err);
	ck_assert_msg(sa != NULL, "store_open: %s", err ? err : "?");
	sb = store_open(":memory:", &err);
	ck_assert_msg(sb != NULL, "store_open: %s", err ? err : "?");
}

/* Close both stores; the bulk path is the default again. */
static void
teardown(void)
{
	store_close(sa);
	store_close(sb);
	sa = sb = NULL;
	import_set_bulk(1);
}

/* A local time as an instant. */
static int64_t
at(const char *s)
{
	int64_t	 t;

	ck_assert_msg(rules_parse_time(s, 0, &t) == 0, "bad time %s", s);
	return (t);
}

/* Append printf output to a malloc'd string. */
static void PRINTFLIKE(2, 3)
cat(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*t, *u;

	va_start(ap, fmt);
	xvasprintf(&t, fmt, ap);
	va_end(ap);
	xasprintf(&u, "%s%s", *s != NULL ? *s : "", t);
	free(*s);
	free(t);
	*s = u;
}

/* Every row of a table, one line each, with each value's type. */
static char *
dump_table(struct store *s, const char *table)
{
	sqlite3_stmt	*st;
	char		*sql, *out = NULL;
	size_t		 len = 0;
	FILE		*f;
	int		 i, n, rc;

	ck_assert_ptr_nonnull(f = open_memstream(&out, &len));
	/* Keyed tables (WITHOUT ROWID) in the order of their key. */
	xasprintf(&sql, "SELECT * FROM %s ORDER BY rowid", table);
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
		free(sql);
		xasprintf(&sql, "SELECT * FROM %s ORDER BY 1, 2", table);
		ck_assert_int_eq(sqlite3_prepare_v2(store_db(s), sql, -1, &st,
		    NULL), SQLITE_OK);
	}
	free(sql);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_count(st);
		fprintf(f, "%s:", table);
		for (i = 0; i < n; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				fprintf(f, " %s=NULL", sqlite3_column_name(st, i));
				break;
			case SQLITE_INTEGER:
				fprintf(f, " %s=%lld", sqlite3_column_name(st, i),
				    (long long)sqlite3_column_int64(st, i));
				break;
			default:
				fprintf(f, " %s='%s'", sqlite3_column_name(st, i),
				    (const char *)sqlite3_column_text(st, i));
				break;
			}
		}
		fprintf(f, "\n");
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	fclose(f);
	return (out);
}

/* The first line where two dumps differ, for the failure message. */
static void
first_difference(const char *a, const char *b, char *buf, size_t len)
{
	const char	*la = a, *lb = b, *ea, *eb;

	for (;;) {
		ea = strchr(la, '\n');
		eb = strchr(lb, '\n');
		if (ea == NULL || eb == NULL || ea - la != eb - lb ||
		    memcmp(la, lb, (size_t)(ea - la)) != 0)
			break;
		la = ea + 1;
		lb = eb + 1;
	}
	snprintf(buf, len, "bulk:     %.*s\nitem_add: %.*s",
	    ea ? (int)(ea - la) : (int)strlen(la), la,
	    eb ? (int)(eb - lb) : (int)strlen(lb), lb);
}

/* Assert that both stores hold the same rows; returns how many tracks
 * they hold (so that scenarios can check they made some). */
static int
same_stores(const char *step)
{
	static const char *const tables[] = { "projects", "items", "prereqs",
	    "progress_notes", "tracks", "log", "outbox", "outbox_items",
	    "fired", "counts" };
	char	*a, *b, diff[4096];
	size_t	 i;
	int	 ntracks = 0;
	const char *p;

	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		a = dump_table(sa, tables[i]);
		b = dump_table(sb, tables[i]);
		if (strcmp(a, b) != 0) {
			first_difference(a, b, diff, sizeof diff);
			ck_abort_msg("%s: table %s differs:\n%s", step,
			    tables[i], diff);
		}
		if (strcmp(tables[i], "tracks") == 0)
			for (p = a; (p = strstr(p, "tracks:")) != NULL; p++)
				ntracks++;
		free(a);
		free(b);
	}
	return (ntracks);
}

/* Import text into one store as the control API does; returns the result
 * (or the problems) as JSON text. */
static char *
import_one(const struct config *conf, struct store *s, int bulk,
    const char *text, int dry, int64_t now)
{
	struct api_error	 e;
	json_t			*result = NULL, *problems = NULL;
	char			*out, *dump;
	int			 rc;

	memset(&e, 0, sizeof e);
	import_set_bulk(bulk);
	ck_assert_int_eq(store_begin(s), 0);
	rc = import_csv(conf, s, text, strlen(text), "auto", dry, now,
	    &result, &problems, &e);
	if (rc == 0 && !dry)
		ck_assert_int_eq(store_commit(s), 0);
	else
		store_rollback(s);
	import_set_bulk(1);
	if (rc == 0)
		out = json_dumps(result, JSON_SORT_KEYS | JSON_COMPACT);
	else {
		dump = problems ? json_dumps(problems, JSON_COMPACT) : NULL;
		xasprintf(&out, "%d %s %s", e.status, e.msg, dump ? dump : "");
		free(dump);
	}
	json_decref(result);
	json_decref(problems);
	return (out);
}

/* Import the same text into both stores, each its way; both must give
 * the same answer, a success unless fail is set. */
static void
import_both(const struct config *conf, const char *text, int dry,
    int64_t now, int fail, const char *step)
{
	char	*ra, *rb;

	ra = import_one(conf, sa, 1, text, dry, now);
	rb = import_one(conf, sb, 0, text, dry, now);
	ck_assert_msg(strcmp(ra, rb) == 0, "%s: answers differ:\nbulk:     %s\n"
	    "item_add: %s", step, ra, rb);
	if (!fail)
		ck_assert_msg(ra[0] == '{', "%s: import failed: %s", step, ra);
	else
		ck_assert_msg(ra[0] != '{', "%s: import succeeded", step);
	free(ra);
	free(rb);
}

/* The id of a stored item by project, kind and department. */
static int64_t
item_id(struct store *s, const char *code, const char *kind, const char *dept)
{
	struct project_row	 p;
	int64_t			 id;

	ck_assert_msg(store_project_get(s, code, &p) == 0, "no project %s",
	    code);
	ck_assert_msg(store_item_find(s, p.id, kind, dept, &id) == 0,
	    "no item %s/%s/%s", code, kind, dept);
	project_row_clear(&p);
	return (id);
}

/* Apply one item event to the same item of both stores. */
static void
event_both(const struct config *conf, const char *code, const char *kind,
    const char *dept, const char *type, const char *reason, int64_t now)
{
	struct store		*s[2] = { sa, sb };
	struct api_error	 e;
	int			 i;

	for (i = 0; i < 2; i++) {
		memset(&e, 0, sizeof e);
		ck_assert_int_eq(store_begin(s[i]), 0);
		ck_assert_msg(item_event(conf, s[i], item_id(s[i], code, kind,
		    dept), type, reason, NULL, now, now, &e) == 0,
		    "%s %s/%s: %s", type, code, kind, e.msg);
		ck_assert_int_eq(store_commit(s[i]), 0);
	}
}

#define HEADER "项目编码,项目名称,项目类别,所属地区,形象进度,审批事项,承办部门," \
	"承办人,办理模式,承诺时限,受理时间,办结时限,补正期限,承诺兑现期限,前置事项," \
	"补正材料收齐时间,承诺核查结果,承诺核查时间\n"

static const char *const depts[] = { "投资项目审批科", "建设工程审批科",
    "社会事务审批科", "工程项目建设服务科", "现场勘验科", "农业水利审批科",
    "东城区行政审批局", "西城区行政审批局" };
static const char *const cats[] = { "社会投资类", "城市建设类",
    "\"工业\"\"四改\"\"类\"", "工业“四改”类" };
static const char *const kinds[] = { "立项", "选址", "规划许可", "人防报建",
    "环评", "能评", "施工许可" };
static const char *const modes[] = { "", "一般", "预审", "容缺受理", "告知承诺",
    "normal" };
static const char *const limits[] = { "5个工作日", "20工作日", "10天", "7日",
    "48小时", "3 WD", "120个工作日", "" };

/*
 * Generated rows: projects G-first..G-(first+n-1), four or five items
 * each with every combination of mode, limit, dates and prerequisites
 * (each item after the one before it in every third project).  The
 * acceptance dates run into 2027, past the holiday calendar.
 */
static char *
generated(int first, int n, int salt)
{
	char	*s = xstrdup(HEADER);
	int	 p, k, i, nk;

	for (p = first; p < first + n; p++) {
		nk = 4 + (p + salt) % 2;
		for (k = 0; k < nk; k++) {
			i = p * 7 + k + salt;
			cat(&s, "G-%04d,", p);
			if (k == 0)
				cat(&s, "生成项目%d,%s,%s,%s,", p, cats[p % 4],
				    p % 2 ? "东城区" : "北山县", p % 5 == 0 ?
				    "基础施工" : "");
			else
				cat(&s, ",,,,");
			cat(&s, "%s,%s,承办人%d,%s,", kinds[k], depts[i % 8],
			    i % 13, modes[i % 6]);
			/* A limit, an explicit deadline, or both. */
			cat(&s, "%s,", i % 9 == 8 ? "" : limits[i % 7]);
			if (i % 4 == 1)
				cat(&s, "2026-%02d-%02d %02d:%02d,", 1 + i % 12,
				    1 + i % 28, 8 + i % 10, i % 60);
			else if (i % 4 == 2)
				cat(&s, "2027/%d/%d,", 1 + i % 12, 1 + i % 28);
			else
				cat(&s, ",");
			if (i % 9 == 8 || i % 11 == 3)
				cat(&s, "2027年%d月%d日,", 1 + i % 12, 1 + i % 28);
			else
				cat(&s, ",");
			cat(&s, "%s,", i % 3 == 0 ? "2026-06-30" : "");
			cat(&s, "%s,", i % 5 == 0 ? "2026-07-15 12:00" : "");
			if (p % 3 == 0 && k > 0)
				cat(&s, "%s", kinds[k - 1]);
			/* The endings, for the items of their modes. */
			cat(&s, ",%s,", i % 6 == 3 && i % 4 == 0 ?
			    "2026-03-03 09:00" : "");
			if (i % 6 == 4 && i % 3 != 0)
				cat(&s, "%s,%s", i % 2 ? "通过" : "fail",
				    i % 5 == 1 ? "2026/3/4" : "");
			else
				cat(&s, ",");
			cat(&s, "\n");
		}
	}
	return (s);
}

/* Stored items before the main import, in two projects. */
static const char base_csv[] = HEADER
    "K-1,已有项目一,社会投资类,东城区,,立项,投资项目审批科,甲,,5个工作日,"
    "2026-02-20 09:00,,,,\n"
    "K-1,,,,,选址,现场勘验科,乙,预审,10天,,,,,\n"
    "K-1,,,,,能评,农业水利审批科,乙,,10天,,,,,\n"
    "K-2,已有项目二,城市建设类,西城区,打桩,立项,投资项目审批科,丙,,,,"
    "2026-03-20,,,\n"
    "K-2,,,,,环评,西城区行政审批局,丁,告知承诺,20工作日,,,,2026-04-30,\n";

/*
 * The main file: new items in the stored projects (after a done, a
 * cancelled and an open stored item, and after a stored item this file
 * updates), updates of stored items, new projects with chains of
 * prerequisites, every mode and unit, and a project without items.
 */
static const char main_csv[] = HEADER
    "K-1,,,,,立项,投资项目审批科,甲二,,5个工作日,2026-02-20 09:00,,,,\n"
    "K-1,,,,,规划许可,建设工程审批科,戊,,15个工作日,,,,,立项\n"
    "K-1,,,,,施工许可,建设工程审批科,戊,容缺受理,48小时,,,2026-03-10,,"
    "选址、规划许可\n"
    "K-1,,,,,人防报建,建设工程审批科,己,,5wd,,,,,\n"
    "K-2,,,,新进度,立项,投资项目审批科,丙,,,,2026-03-25,,,\n"
    "K-2,,,,,人防报建,建设工程审批科,庚,告知承诺,10天,2026-03-01,,,"
    "2026-05-01,环评\n"
    "N-1,新项目一,工业“四改”类,南河县,开工准备,立项,投资项目审批科,辛,,"
    "3个工作日,2026-03-02 08:30,,,,\n"
    "N-1,,,,,选址,现场勘验科,壬,预审,10天,,2026-03-30,,,立项\n"
    "N-1,,,,,规划许可,建设工程审批科,癸,容缺受理,20工作日,2026-03-02,,"
    "2026年3月20日,,选址\n"
    "N-1,,,,,环评,东城区行政审批局,子,告知承诺,30天,,,,2026/6/1,\n"
    "N-1,,,,,能评,农业水利审批科,丑,,48小时,,,,,\n"
    "N-2,新项目二,社会投资类,东城区,,施工许可,建设工程审批科,寅,normal,"
    "1wd,,,,,\n"
    "N-3,只有项目,城市建设类,北山县,规划中,,,,,,,,,,\n";

/* The whole scenario under one configuration. */
static void
scenario(const struct config *conf)
{
	int64_t	 now = at("2026-03-02 10:00:00");
	char	*g;

	/* Stored items, one done and one cancelled. */
	import_both(conf, base_csv, 0, now, 0, "base");
	g = generated(0, 12, 1);
	import_both(conf, g, 0, now, 0, "base generated");
	free(g);
	same_stores("base");
	event_both(conf, "K-1", "立项", "投资项目审批科", "done", NULL,
	    now + 3600);
	event_both(conf, "K-1", "能评", "农业水利审批科", "cancel", NULL,
	    now + 3600);
	same_stores("events");

	/* A problem: nothing written either way. */
	import_both(conf, HEADER "K-9,,,,,立项,投资项目审批科,,,五天,,,,,\n",
	    0, now, 1, "rejected");
	same_stores("rejected");

	/* A dry run leaves nothing behind. */
	import_both(conf, main_csv, 1, now + 7200, 0, "dry run");
	same_stores("dry run");

	/* The main file; then the generated projects, the first twelve of
	 * them stored already: updates among the new items. */
	import_both(conf, main_csv, 0, now + 7200, 0, "main");
	ck_assert_int_gt(same_stores("main"), 20);
	g = generated(0, 260, 1);
	import_both(conf, g, 0, now + 9000, 0, "generated");
	free(g);
	ck_assert_int_gt(same_stores("generated"), 500);

	/* Importing the same files again updates everything. */
	import_both(conf, main_csv, 0, now + 86400, 0, "main again");
	same_stores("main again");

	/* Late in the calendar's last year: deadlines beyond it. */
	g = generated(300, 40, 0);
	import_both(conf, g, 0, at("2026-11-20 09:00:00"), 0, "late");
	free(g);
	same_stores("late");
}

/* The shipped rules: main, supplement, commitment and stale ladders. */
START_TEST(test_same_as_item_add_shipped)
{
	scenario(shipped);
}
END_TEST

/* Policies matched by category, department, kind and mode. */
START_TEST(test_same_as_item_add_matched)
{
	scenario(matched);
}
END_TEST

/* What a bulk-written item shows: its tracks are due, its history has
 * the import, and it is what item_add() makes of the same input. */
START_TEST(test_bulk_item)
{
	int64_t		 now = at("2026-03-02 10:00:00"), id;
	struct item_row	 r;
	struct track_row t;
	char		*ra;

	ra = import_one(shipped, sa, 1, HEADER "B-1,项目,社会投资类,东城区,,"
	    "立项,投资项目审批科,甲,,5个工作日,2026-03-02 09:00,,,,\n", 0, now);
	ck_assert_msg(ra[0] == '{', "%s", ra);
	free(ra);
	id = item_id(sa, "B-1", "立项", "投资项目审批科");
	ck_assert_int_eq(store_item_get(sa, id, &r), 0);
	ck_assert_str_eq(r.status, "accepted");
	ck_assert_int_eq(r.due_at, at("2026-03-09 18:00:00"));
	item_row_clear(&r);
	ck_assert_int_eq(store_track_get(sa, id, TRACK_MAIN, &t), 0);
	ck_assert_str_eq(t.policy, "default");
	ck_assert_int_eq(t.stage, -1);
	/* The warning, on the second working day before the deadline's,
	 * at the office window's opening. */
	ck_assert_int_eq(t.next_at, at("2026-03-05 08:30:00"));
	track_row_clear(&t);
	ck_assert_int_eq(store_track_get(sa, id, TRACK_STALE, &t), 0);
	ck_assert_int_eq(t.due_at, at("2026-03-09 10:00:00"));
	track_row_clear(&t);
}
END_TEST

/* Whether two plans hold the same rows (their strings compared as text). */
static void
same_plans(const struct item_plan *a, const struct item_plan *b,
    const char *what)
{
	size_t	 i;

#define SAME_STR(x, y) ck_assert_msg(((x) == NULL && (y) == NULL) || \
	((x) != NULL && (y) != NULL && strcmp((x), (y)) == 0), "%s: %s", \
	what, #x)
	SAME_STR(a->item.status, b->item.status);
	SAME_STR(a->item.mode, b->item.mode);
	SAME_STR(a->item.limit, b->item.limit);
	ck_assert_int_eq(a->item.accepted_at, b->item.accepted_at);
	ck_assert_int_eq(a->item.due_at, b->item.due_at);
	ck_assert_int_eq(a->item.explicit_due, b->item.explicit_due);
	ck_assert_int_eq(a->item.supplement_due, b->item.supplement_due);
	ck_assert_int_eq(a->item.commitment_due, b->item.commitment_due);
	ck_assert_int_eq(a->uncovered, b->uncovered);
	ck_assert_uint_eq(a->ntracks, b->ntracks);
	for (i = 0; i < a->ntracks; i++) {
		SAME_STR(a->tracks[i].kind, b->tracks[i].kind);
		SAME_STR(a->tracks[i].policy, b->tracks[i].policy);
		ck_assert_int_eq(a->tracks[i].due_at, b->tracks[i].due_at);
		ck_assert_int_eq(a->tracks[i].stage, b->tracks[i].stage);
		ck_assert_int_eq(a->tracks[i].next_at, b->tracks[i].next_at);
	}
	SAME_STR(a->log_outcome, b->log_outcome);
	SAME_STR(a->log_detail, b->log_detail);
#undef SAME_STR
}

/*
 * item_plan(), the one place a new item's state is decided, on its own:
 * accepted now with its deadline and tracks, planned while a
 * prerequisite is pending (a 409 when acceptance was asked for), a bad
 * limit refused; and the importer's cache of rule answers changes
 * nothing, over many acceptance times, limits and modes.
 */
START_TEST(test_plan)
{
	static const char *const lims[] = { "5wd", "20wd", "10d", "48h",
	    "120wd", "3600s" };
	static const char *const pmodes[] = { "normal", "预审", "容缺受理",
	    "告知承诺" };
	int64_t			 now = at("2026-03-02 10:00:00");
	struct project_row	 p;
	struct item_input	 in;
	struct item_plan	 a, b;
	struct api_error	 e;
	struct item_cache	*c;
	char			 what[128];
	int			 i, k;

	memset(&p, 0, sizeof p);
	p.id = 1;
	p.code = (char *)(uintptr_t)"P-1";
	p.category = (char *)(uintptr_t)"社会投资类";
	memset(&in, 0, sizeof in);
	in.project = "P-1";
	in.name = "立项";
	in.department = "投资项目审批科";
	in.limit = "5wd";
	in.accepted_at = at("2026-03-02 09:00:00");
	memset(&e, 0, sizeof e);
	ck_assert_int_eq(item_plan(shipped, &p, NULL, &in, 0, now, NULL, &a,
	    &e), 0);
	ck_assert_str_eq(a.item.status, "accepted");
	ck_assert_str_eq(a.item.mode, "normal");
	ck_assert_int_eq(a.item.due_at, at("2026-03-09 18:00:00"));
	ck_assert_int_eq(a.item.created_at, now);
	ck_assert_str_eq(a.log_outcome, "created");
	ck_assert_uint_ge(a.ntracks, 2);
	ck_assert_str_eq(a.tracks[0].kind, TRACK_MAIN);
	ck_assert_int_eq(a.tracks[0].stage, -1);
	ck_assert_int_eq(a.tracks[0].next_at, at("2026-03-05 08:30:00"));
	ck_assert_str_eq(a.tracks[a.ntracks - 1].kind, TRACK_STALE);
	item_plan_set_id(&a, 42);
	ck_assert_int_eq(a.tracks[0].item_id, 42);

	/* A pending prerequisite: planned, no tracks; asked to accept: 409. */
	ck_assert_int_eq(item_plan(shipped, &p, NULL, &in, 7, now, NULL, &a,
	    &e), 0);
	ck_assert_str_eq(a.item.status, "planned");
	ck_assert_uint_eq(a.ntracks, 0);
	in.status = "accepted";
	ck_assert_int_eq(item_plan(shipped, &p, NULL, &in, 7, now, NULL, &a,
	    &e), -1);
	ck_assert_int_eq(e.status, 409);
	ck_assert_str_eq(e.field, "status");
	in.status = NULL;
	in.limit = "0wd";
	ck_assert_int_eq(item_plan(shipped, &p, NULL, &in, 0, now, NULL, &a,
	    &e), -1);
	ck_assert_int_eq(e.status, 400);
	ck_assert_str_eq(e.field, "limit");

	/* With the cache as without, asked twice (the second a hit). */
	c = item_cache_new();
	for (k = 0; k < 2; k++)
		for (i = 0; i < 600; i++) {
			in.limit = lims[i % 6];
			in.mode = pmodes[i % 4];
			in.accepted_at = i % 5 == 0 ? 0 :
			    at("2026-01-05 08:30:00") + (int64_t)(i % 97) * 86400 * 3;
			in.deadline_at = i % 7 == 0 ? in.accepted_at + 86400 * 30 : 0;
			in.supplement_at = i % 3 == 0 ? now + 86400 * 10 : 0;
			in.commitment_at = i % 4 == 1 ? now + 86400 * 20 : 0;
			snprintf(what, sizeof what, "pass %d row %d", k, i);
			ck_assert_int_eq(item_plan(i % 2 ? matched : shipped, &p,
			    NULL, &in, 0, now, NULL, &a, &e), 0);
			ck_assert_int_eq(item_plan(i % 2 ? matched : shipped, &p,
			    NULL, &in, 0, now, c, &b, &e), 0);
			same_plans(&a, &b, what);
		}
	item_cache_free(c);
}
END_TEST

/* A PRAGMA's integer value on a store. */
static int
pragma_int(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	int		 v;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/* The page cache is what it was, and foreign keys are checked at once
 * again after a bulk write. */
START_TEST(test_cache_restored)
{
	int64_t	 now = at("2026-03-02 10:00:00");
	int	 before;
	char	*g, *ra;

	before = pragma_int(sa, "PRAGMA cache_size");
	g = generated(0, 50, 0);
	ra = import_one(shipped, sa, 1, g, 0, now);
	ck_assert_msg(ra[0] == '{', "%s", ra);
	free(ra);
	free(g);
	ck_assert_int_eq(pragma_int(sa, "PRAGMA cache_size"), before);
	ck_assert_int_eq(pragma_int(sa, "PRAGMA defer_foreign_keys"), 0);
}
END_TEST

/*
 * A project with many items: duplicates are found (by a hash once the
 * project has more than a few rows) and reported against the first row,
 * prerequisites resolve among all of its rows, and both paths agree.
 */
START_TEST(test_big_project)
{
	int64_t	 now = at("2026-03-02 10:00:00");
	char	*csv = xstrdup(HEADER), *ra, kind[32];
	int	 i;

	for (i = 0; i < 60; i++) {
		snprintf(kind, sizeof kind, "事项%02d", i);
		cat(&csv, "BIG,大项目,城市建设类,东城区,,%s,%s,,,%d个工作日,,,,,"
		    "%s\n", kind, depts[i % 8], 1 + i % 30, i > 0 && i % 10 == 0 ?
		    "事项01" : "");
	}
	/* Row 62 repeats row 4 (事项02); row 63 repeats row 42 (事项40). */
	cat(&csv, "BIG,,,,,事项02,%s,,,5wd,,,,,\n", depts[2]);
	cat(&csv, "BIG,,,,,事项40,%s,,,5wd,,,,,\n", depts[0]);
	/* The same kind under another department is another item. */
	cat(&csv, "BIG,,,,,事项40,%s,,,5wd,,,,,\n", depts[5]);
	ra = import_one(shipped, sa, 1, csv, 0, now);
	ck_assert_msg(strstr(ra, "\"row\":62,\"column\":\"审批事项\","
	    "\"reason\":\"the same item (project BIG, 事项02, 社会事务审批科) as"
	    " row 4\"") != NULL, "%s", ra);
	ck_assert_msg(strstr(ra, "\"row\":63,\"column\":\"审批事项\","
	    "\"reason\":\"the same item (project BIG, 事项40, 投资项目审批科) as"
	    " row 42\"") != NULL, "%s", ra);
	ck_assert_msg(strstr(ra, "2 problems") != NULL, "%s", ra);
	free(ra);
	/* Without the duplicates it imports, the same either way. */
	*strstr(csv, "BIG,,,,,事项02") = '\0';
	cat(&csv, "BIG,,,,,事项40,%s,,,5wd,,,,,事项01、事项59\n", depts[5]);
	import_both(shipped, csv, 0, now, 0, "big project");
	same_stores("big project");
	free(csv);
}
END_TEST

/* A database error in any table the bulk path writes is a 500 and
 * leaves nothing behind. */
START_TEST(test_db_error)
{
	static const char *const tables[] = { "projects", "items", "tracks",
	    "log", "prereqs" };
	int64_t		 now = at("2026-03-02 10:00:00");
	char		*g, *ra, *sql, *before, *after;
	size_t		 i;

	g = generated(0, 80, 0);
	before = dump_table(sa, "items");
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		xasprintf(&sql, "CREATE TRIGGER boom BEFORE INSERT ON %s BEGIN"
		    " SELECT RAISE(ABORT, 'boom'); END", tables[i]);
		ck_assert_int_eq(sqlite3_exec(store_db(sa), sql, NULL, NULL,
		    NULL), SQLITE_OK);
		free(sql);
		ra = import_one(shipped, sa, 1, g, 0, now);
		ck_assert_msg(strncmp(ra, "500 database error", 18) == 0,
		    "%s: %s", tables[i], ra);
		free(ra);
		ck_assert_int_eq(sqlite3_exec(store_db(sa), "DROP TRIGGER boom",
		    NULL, NULL, NULL), SQLITE_OK);
		after = dump_table(sa, "items");
		ck_assert_str_eq(before, after);
		free(after);
	}
	free(before);
	/* And then it imports. */
	ra = import_one(shipped, sa, 1, g, 0, now);
	ck_assert_msg(ra[0] == '{', "%s", ra);
	free(ra);
	free(g);
}
END_TEST

/* Write the configuration with matched policies; NULL on failure. */
static struct config *
load_matched(void)
{
	struct config	*c;
	char		 cwd[PATH_MAX], path[PATH_MAX + 64], **problems = NULL;
	size_t		 n = 0, i;
	FILE		*f;

	if (getcwd(cwd, sizeof cwd) == NULL || mkdtemp(tmpdir) == NULL)
		return (NULL);
	snprintf(path, sizeof path, "%s/matched.conf", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return (NULL);
	fprintf(f, "database = \"%s/x.db\";\n"
	    "timezone = \"Asia/Shanghai\";\n"
	    "socket = \"%s/x.sock\";\n"
	    "deadline_time = \"17:30\";\n"
	    "templates = \"%s/rules/templates\";\n"
	    "admin_channel = \"admin\"; head = \"p-head\";"
	    " head_channel = \"leaders\";\n"
	    "@include \"%s/rules/calendar/cn-2024.conf\"\n"
	    "@include \"%s/rules/calendar/cn-2025.conf\"\n"
	    "@include \"%s/rules/calendar/cn-2026.conf\"\n"
	    "@include \"%s/rules/channels.conf\"\n"
	    "@include \"%s/rules/organisation.conf\"\n",
	    tmpdir, tmpdir, cwd, cwd, cwd, cwd, cwd, cwd);
	fprintf(f, "%s",
	    "policies = (\n"
	    " { name = \"social\"; track = \"main\"; match = { categories = [\"社会投资类\"]; };\n"
	    "   stages = ( { name = \"warning\"; label = \"临期\"; offset = \"-3wd\";"
	    "   to = [\"handler\"]; },\n"
	    "   { name = \"reminder\"; label = \"催办\"; offset = \"0wd\";"
	    " repeat = \"2d\"; to = [\"group\"]; } ); },\n"
	    " { name = \"site\"; track = \"main\"; match = { departments = [\"现场勘验科\"]; };\n"
	    "   stages = ( { name = \"reminder\"; label = \"催办\"; offset = \"-4h\";"
	    "   to = [\"department\"]; } ); },\n"
	    " { name = \"env\"; track = \"main\"; match = { kinds = [\"环评\", \"能评\"]; };\n"
	    "   stages = ( { name = \"supervision\"; label = \"督查\";"
	    " offset = \"1d\"; to = [\"leader\"]; } ); },\n"
	    " { name = \"pre\"; track = \"main\"; match = { modes = [\"预审\"]; };\n"
	    "   stages = ( { name = \"escalate\"; label = \"提级\"; offset = \"2wd\";"
	    "   to = [\"head\"]; } ); },\n"
	    " { name = \"main\"; track = \"main\";\n"
	    "   stages = ( { name = \"reminder\"; label = \"催办\"; offset = \"0wd\";"
	    "   to = [\"group\"]; },\n"
	    "   { name = \"supervision\"; label = \"督查\"; offset = \"5wd\";"
	    "   to = [\"leader\"]; } ); },\n"
	    " { name = \"supp\"; track = \"supplement\"; match = {"
	    " categories = [\"城市建设类\", \"工业“四改”类\"]; };\n"
	    "   stages = ( { name = \"supplement\"; label = \"补正\";"
	    " offset = \"-1wd\"; to = [\"handler\"]; } ); },\n"
	    " { name = \"commit\"; track = \"commitment\";\n"
	    "   stages = ( { name = \"commitment\"; label = \"承诺\";"
	    " offset = \"-2d\"; repeat = \"1wd\"; to = [\"handler\"]; } ); },\n"
	    " { name = \"stale-urban\"; track = \"stale\"; match = {"
	    " categories = [\"城市建设类\"]; }; stale_after = \"3wd\";\n"
	    "   stages = ( { name = \"stale\"; label = \"无进展\"; offset = \"0wd\";"
	    "   repeat = \"3wd\"; to = [\"group\"]; } ); },\n"
	    " { name = \"stale\"; track = \"stale\"; stale_after = \"10d\";\n"
	    "   stages = ( { name = \"stale\"; label = \"无进展\"; offset = \"1d\";"
	    "   to = [\"department\"]; } ); }\n"
	    ");\n");
	fclose(f);
	c = config_load(path, &problems, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s\n", problems[i]);
	config_problems_free(problems, n);
	return (c);
}

/* The suite. */
static Suite *
bulk_suite(void)
{
	Suite	*s = suite_create("import_bulk");
	TCase	*tc = tcase_create("import_bulk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_same_as_item_add_shipped);
	tcase_add_test(tc, test_same_as_item_add_matched);
	tcase_add_test(tc, test_bulk_item);
	tcase_add_test(tc, test_plan);
	tcase_add_test(tc, test_cache_restored);
	tcase_add_test(tc, test_big_project);
	tcase_add_test(tc, test_db_error);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return (s);
}

/* Load the configurations, run the suite; exit non-zero on failure. */
int
main(void)
{
	SRunner	*sr;
	char	**problems = NULL, cmd[128];
	size_t	 nproblems = 0, i;
	int	 failed;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	log_init(0, LOG_TO_STDERR);
	shipped = config_load(RULES, &problems, &nproblems);
	for (i = 0; i < nproblems; i++)
		fprintf(stderr, "%s\n", problems[i]);
	config_problems_free(problems, nproblems);
	matched = load_matched();
	if (shipped == NULL || matched == NULL) {
		fprintf(stderr, "check_import_bulk: configuration failed\n");
		return (1);
	}
	sr = srunner_create(bulk_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	config_free(shipped);
	config_free(matched);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_import_bulk: cannot remove %s\n", tmpdir);
	return (failed == 0 ? 0 : 1);
}
