/*
 * Unit tests for import.c: CSV files in UTF-8, UTF-8 with a BOM and GBK
 * (tests/unit/import/, made by make-fixtures.py there) are imported into
 * an in-memory store with the shipped rules, the way control.c does it:
 * one transaction, rolled back on failure or for a dry run.  Bad files
 * must list every problem with its row and column and leave nothing
 * behind.  Runs from the repository root.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "escalator.h"

#define RULES		"rules/approval-escalatord.conf"
#define FIXTURES	"tests/unit/import/"

/* The shipped configuration, loaded once before the tests fork. */
static struct config	*conf;

/* The store of the running test and "now" (Mon 2026-03-02 10:00). */
static struct store	*st;
static int64_t		 now;

/* What one import answered. */
struct answer {
	int		 rc;
	json_t		*result;
	json_t		*problems;
	struct api_error err;
	int		 items_before;	/* in the store before the import */
	int		 projects_before;
};

/* Open a fresh in-memory store. */
static void
setup(void)
{
	char	*err = NULL;

	st = store_open(":memory:", &err);
	ck_assert_msg(st != NULL, "store_open: %s", err ? err : "?");
	ck_assert_int_eq(rules_parse_time("2026-03-02 10:00:00", 0, &now), 0);
}

/* Close the store. */
static void
teardown(void)
{
	store_close(st);
	st = NULL;
}

/* Forget an answer's JSON. */
static void
answer_clear(struct answer *a)
{
	json_decref(a->result);
	json_decref(a->problems);
	memset(a, 0, sizeof *a);
}

static int	items_stored(void);
static int	projects_stored(void);

/* Import bytes the way the control API does: in a transaction that is
 * committed on success and rolled back on failure or for a dry run. */
static void
import_bytes(const char *data, size_t len, const char *enc, int dry,
    struct answer *a)
{
	memset(a, 0, sizeof *a);
	a->items_before = items_stored();
	a->projects_before = projects_stored();
	ck_assert_int_eq(store_begin(st), 0);
	a->rc = import_csv(conf, st, data, len, enc, dry, now, &a->result,
	    &a->problems, &a->err);
	if (a->rc == 0 && !dry)
		ck_assert_int_eq(store_commit(st), 0);
	else
		store_rollback(st);
	if (a->rc == 0) {
		ck_assert_ptr_nonnull(a->result);
		ck_assert_ptr_null(a->problems);
	} else
		ck_assert_ptr_null(a->result);
}

/* Import a NUL-terminated string. */
static void
import_text(const char *text, const char *enc, int dry, struct answer *a)
{
	import_bytes(text, strlen(text), enc, dry, a);
}

/* Import a fixture file. */
static void
import_file(const char *name, const char *enc, int dry, struct answer *a)
{
	char	 path[256], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof path, FIXTURES "%s", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	import_bytes(buf, (size_t)n, enc, dry, a);
	free(buf);
}

/* A count in the result, e.g. ("items", "created"). */
static json_int_t
count(const struct answer *a, const char *what, const char *how)
{
	json_t	*o = json_object_get(a->result, what);

	if (how != NULL)
		o = json_object_get(o, how);
	ck_assert_msg(json_is_integer(o), "no %s.%s in the result", what,
	    how ? how : "");
	return (json_integer_value(o));
}

/* Store callback: count rows. */
static int
count_cb(void *arg, const struct item_row *r)
{
	(void)r;
	(*(int *)arg)++;
	return (0);
}

/* Store callback: count projects. */
static int
count_project_cb(void *arg, const struct project_row *p)
{
	(void)p;
	(*(int *)arg)++;
	return (0);
}

/* How many items the store holds. */
static int
items_stored(void)
{
	int	 n = 0;

	ck_assert_int_eq(store_item_list(st, NULL, NULL, 0, count_cb, &n), 0);
	return (n);
}

/* How many projects the store holds. */
static int
projects_stored(void)
{
	int	 n = 0;

	ck_assert_int_eq(store_project_list(st, count_project_cb, &n), 0);
	return (n);
}

/* Load an item by project code, kind and department (must exist). */
static void
get_item(const char *code, const char *kind, const char *dept,
    struct item_row *r)
{
	struct project_row	 p;
	int64_t			 id;

	ck_assert_msg(store_project_get(st, code, &p) == 0, "no project %s",
	    code);
	ck_assert_msg(store_item_find(st, p.id, kind, dept, &id) == 0,
	    "no item %s/%s/%s", code, kind, dept);
	project_row_clear(&p);
	ck_assert_int_eq(store_item_get(st, id, r), 0);
}

/* A local time as an instant. */
static int64_t
at(const char *s)
{
	int64_t	 t;

	ck_assert_msg(rules_parse_time(s, 0, &t) == 0, "bad time %s", s);
	return (t);
}

/* Whether a prerequisite list of an item holds an id. */
static int
has_prereq(int64_t item, int64_t needs)
{
	int64_t	 ids[16];
	size_t	 n, i;

	ck_assert_int_eq(store_prereq_list(st, item, ids, 16, &n), 0);
	for (i = 0; i < n && i < 16; i++)
		if (ids[i] == needs)
			return (1);
	return (0);
}

/* Print the problems (for failure messages). */
static char *
dump(const json_t *j)
{
	static char	 buf[8192];
	char		*s = json_dumps(j, 0);

	snprintf(buf, sizeof buf, "%s", s ? s : "(null)");
	free(s);
	return (buf);
}

/* Assert a problem at row and column whose reason contains text. */
static void
want_problem(const struct answer *a, int row, const char *column,
    const char *text)
{
	json_t		*p;
	size_t		 i;

	json_array_foreach(a->problems, i, p) {
		if (json_integer_value(json_object_get(p, "row")) == row &&
		    strcmp(json_string_value(json_object_get(p, "column")),
		    column) == 0 && strstr(json_string_value(
		    json_object_get(p, "reason")), text) != NULL)
			return;
	}
	ck_abort_msg("no problem row %d column '%s' '%s' in %s", row, column,
	    text, dump(a->problems));
}

/* Assert a 422 with exactly n problems and nothing changed. */
static void
want_rejected(const struct answer *a, size_t n)
{
	ck_assert_int_eq(a->rc, -1);
	ck_assert_int_eq(a->err.status, 422);
	ck_assert_msg(json_is_array(a->problems), "no problems");
	ck_assert_msg(json_array_size(a->problems) == n, "%zu problems, not"
	    " %zu: %s", json_array_size(a->problems), n, dump(a->problems));
	ck_assert_ptr_nonnull(strstr(a->err.msg, "nothing was imported"));
	ck_assert_int_eq(items_stored(), a->items_before);
	ck_assert_int_eq(projects_stored(), a->projects_before);
}

/* Assert a 400 whose message contains text. */
static void
want_400(const struct answer *a, const char *text)
{
	ck_assert_int_eq(a->rc, -1);
	ck_assert_int_eq(a->err.status, 400);
	ck_assert_ptr_null(a->problems);
	ck_assert_msg(strstr(a->err.msg, text) != NULL, "'%s' not in '%s'",
	    text, a->err.msg);
}

/* Check what the good fixture (in any encoding) stores. */
static void
check_good_store(void)
{
	struct project_row	 p;
	struct item_row		 lx, gh, sg, hp, xz;

	ck_assert_int_eq(projects_stored(), 3);
	ck_assert_int_eq(items_stored(), 5);

	/* Three spellings of one category, dates in three formats. */
	ck_assert_int_eq(store_project_get(st, "XM-2026-001", &p), 0);
	ck_assert_str_eq(p.name, "东城智能制造产业园");
	ck_assert_str_eq(p.category, "工业“四改”类");
	ck_assert_str_eq(p.region, "东城区");
	ck_assert_str_eq(p.content, "厂房改造,新建两条生产线");
	ck_assert_str_eq(p.planned_start, "2026-04-01");
	ck_assert_str_eq(p.progress, "场地平整");
	ck_assert_int_eq(p.progress_at, now);
	project_row_clear(&p);

	/* Embedded line break, quotes and commas. */
	ck_assert_int_eq(store_project_get(st, "XM-2026-002", &p), 0);
	ck_assert_str_eq(p.content, "一期：教学楼\n二期：\"风雨操场\"");
	ck_assert_str_eq(p.progress, "方案设计, 已完成");
	ck_assert_str_eq(p.category, "社会投资类");
	project_row_clear(&p);

	/* Empty project cells on an item row erase nothing. */
	ck_assert_int_eq(store_project_get(st, "XM-2026-003", &p), 0);
	ck_assert_str_eq(p.name, "北山县污水管网改造");
	ck_assert_str_eq(p.category, "城市建设类");
	ck_assert_ptr_null(p.progress);
	project_row_clear(&p);

	get_item("XM-2026-001", "立项", "投资项目审批科", &lx);
	ck_assert_str_eq(lx.status, "accepted");
	ck_assert_str_eq(lx.limit, "5wd");
	ck_assert_str_eq(lx.mode, "normal");
	ck_assert_str_eq(lx.handler, "示例人甲");
	ck_assert_int_eq(lx.accepted_at, at("2026-03-02 09:00:00"));
	ck_assert_int_eq(lx.due_at, at("2026-03-09 18:00:00"));

	/* Prerequisites resolved by kind within the project. */
	get_item("XM-2026-001", "规划许可", "建设工程审批科", &gh);
	ck_assert_str_eq(gh.status, "planned");
	ck_assert_str_eq(gh.limit, "10d");
	ck_assert_str_eq(gh.mode, "normal");
	ck_assert(has_prereq(gh.id, lx.id));

	get_item("XM-2026-001", "施工许可", "建设工程审批科", &sg);
	ck_assert_str_eq(sg.status, "planned");
	ck_assert_str_eq(sg.limit, "48h");
	ck_assert_str_eq(sg.mode, "容缺受理");
	ck_assert(has_prereq(sg.id, lx.id));
	ck_assert(has_prereq(sg.id, gh.id));

	get_item("XM-2026-002", "环评", "西城区行政审批局", &hp);
	ck_assert_str_eq(hp.mode, "告知承诺");
	ck_assert_int_eq(hp.accepted_at, at("2026-03-02 09:30:00"));

	/* A deadline day falls due at the configured deadline time. */
	get_item("XM-2026-003", "选址", "现场勘验科", &xz);
	ck_assert_str_eq(xz.mode, "预审");
	ck_assert_int_eq(xz.explicit_due, 1);
	ck_assert_int_eq(xz.due_at, at("2026-03-20 18:00:00"));
	ck_assert_int_eq(xz.accepted_at, now);

	item_row_clear(&lx);
	item_row_clear(&gh);
	item_row_clear(&sg);
	item_row_clear(&hp);
	item_row_clear(&xz);
}

/* Assert the counts of an import of the good fixture. */
static void
want_counts(const struct answer *a, int pc, int pu, int ic, int iu)
{
	ck_assert_msg(a->rc == 0, "import failed: %d %s %s", a->err.status,
	    a->err.msg, dump(a->problems));
	ck_assert_int_eq(count(a, "projects", "created"), pc);
	ck_assert_int_eq(count(a, "projects", "updated"), pu);
	ck_assert_int_eq(count(a, "items", "created"), ic);
	ck_assert_int_eq(count(a, "items", "updated"), iu);
	/* Seven lines after the header, one record spanning two. */
	ck_assert_int_eq(count(a, "rows", NULL), 6);
}

/* A UTF-8 file with Excel's CRLF line ends imports completely. */
START_TEST(test_utf8)
{
	struct answer	 a;

	import_file("utf8.csv", "auto", 0, &a);
	want_counts(&a, 3, 0, 5, 0);
	ck_assert(json_is_false(json_object_get(a.result, "dry_run")));
	answer_clear(&a);
	check_good_store();
}
END_TEST

/* A UTF-8 file with a byte-order mark: the first header is still known. */
START_TEST(test_bom)
{
	struct answer	 a;

	import_file("bom.csv", "auto", 0, &a);
	want_counts(&a, 3, 0, 5, 0);
	answer_clear(&a);
	check_good_store();
}
END_TEST

/* The BOM is also stripped when the encoding is given as utf-8. */
START_TEST(test_bom_explicit)
{
	struct answer	 a;

	import_file("bom.csv", "utf-8", 0, &a);
	want_counts(&a, 3, 0, 5, 0);
	answer_clear(&a);
	check_good_store();
}
END_TEST

/* A GBK file is recognised by itself. */
START_TEST(test_gbk_auto)
{
	struct answer	 a;

	import_file("gbk.csv", "auto", 0, &a);
	want_counts(&a, 3, 0, 5, 0);
	answer_clear(&a);
	check_good_store();
}
END_TEST

/* A GBK file under its explicit names; wrongly named utf-8 it is refused. */
START_TEST(test_gbk_explicit)
{
	struct answer	 a;

	import_file("gbk.csv", "gbk", 0, &a);
	want_counts(&a, 3, 0, 5, 0);
	answer_clear(&a);
	check_good_store();
	/* The same file under its other name updates everything. */
	import_file("gbk.csv", "GB18030", 0, &a);
	want_counts(&a, 0, 3, 0, 5);
	answer_clear(&a);
	check_good_store();
	/* Taken for UTF-8 it is refused. */
	import_file("gbk.csv", "utf-8", 0, &a);
	want_400(&a, "not valid UTF-8");
	answer_clear(&a);
}
END_TEST

/* The three encodings of one file store the same rows. */
START_TEST(test_encodings_agree)
{
	struct answer	 a;

	/* UTF-8 first, then the GBK and BOM copies: all the same rows. */
	import_file("utf8.csv", NULL, 0, &a);
	want_counts(&a, 3, 0, 5, 0);
	answer_clear(&a);
	import_file("gbk.csv", NULL, 0, &a);
	want_counts(&a, 0, 3, 0, 5);
	answer_clear(&a);
	import_file("bom.csv", NULL, 0, &a);
	want_counts(&a, 0, 3, 0, 5);
	answer_clear(&a);
	check_good_store();
}
END_TEST

/* Importing the same file again updates and never duplicates. */
START_TEST(test_reimport)
{
	struct answer	 a;
	struct item_row	 r;
	int64_t		 later = now + 86400;

	import_file("utf8.csv", "auto", 0, &a);
	want_counts(&a, 3, 0, 5, 0);
	answer_clear(&a);
	now = later;
	import_file("utf8.csv", "auto", 0, &a);
	want_counts(&a, 0, 3, 0, 5);
	answer_clear(&a);
	ck_assert_int_eq(items_stored(), 5);
	ck_assert_int_eq(projects_stored(), 3);
	/* An unchanged progress note keeps its time; acceptance stays. */
	now = at("2026-03-02 10:00:00");
	check_good_store();
	get_item("XM-2026-003", "选址", "现场勘验科", &r);
	ck_assert_int_eq(r.accepted_at, now);
	item_row_clear(&r);
}
END_TEST

/* English headers in any case, with quoted commas and quotes. */
START_TEST(test_english)
{
	struct answer	 a;
	struct project_row p;
	struct item_row	 lx, gh, sg;

	import_file("english.csv", "auto", 0, &a);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	ck_assert_int_eq(count(&a, "projects", "created"), 2);
	ck_assert_int_eq(count(&a, "items", "created"), 3);
	ck_assert_int_eq(count(&a, "rows", NULL), 3);
	answer_clear(&a);

	ck_assert_int_eq(store_project_get(st, "EN-002", &p), 0);
	ck_assert_str_eq(p.name, "Old town, phase \"2\"");
	ck_assert_str_eq(p.region, "东城区");
	project_row_clear(&p);
	get_item("EN-001", "立项", "投资项目审批科", &lx);
	ck_assert_str_eq(lx.handler, "handler A");
	ck_assert_int_eq(lx.accepted_at, at("2026-03-02"));
	get_item("EN-001", "规划许可", "建设工程审批科", &gh);
	ck_assert(has_prereq(gh.id, lx.id));
	get_item("EN-002", "施工许可", "东城区行政审批局", &sg);
	ck_assert_str_eq(sg.mode, "告知承诺");
	ck_assert_int_eq(sg.due_at, at("2026-04-30 17:00"));
	item_row_clear(&lx);
	item_row_clear(&gh);
	item_row_clear(&sg);
}
END_TEST

/* Every kind of bad row is reported at its row and column; nothing kept. */
START_TEST(test_bad_rows)
{
	struct answer	 a;

	import_file("bad.csv", "auto", 0, &a);
	want_rejected(&a, 16);
	ck_assert_ptr_nonnull(strstr(a.err.msg, "16 problems"));
	want_problem(&a, 1, "备注", "unknown column");
	want_problem(&a, 2, "项目编码", "missing project code");
	want_problem(&a, 3, "项目类别", "unknown category '农业类'");
	want_problem(&a, 4, "办理模式", "unknown mode '加急'");
	want_problem(&a, 5, "承诺时限", "invalid time limit '五个工作日'");
	want_problem(&a, 6, "受理时间", "impossible date '2026-02-30'");
	/* Lines 7-8 are one good record with a line break. */
	want_problem(&a, 9, "前置事项", "no item '消防验收' in project XM-B-002");
	want_problem(&a, 10, "承办部门", "missing department");
	want_problem(&a, 10, "承诺时限", "missing time limit");
	want_problem(&a, 11, "办结时限", "impossible date '2026/13/01'");
	want_problem(&a, 12, "审批事项", "missing item kind");
	want_problem(&a, 13, "审批事项", "as row 7");
	want_problem(&a, 14, "项目名称", "differs from '南河县示范项目'");
	want_problem(&a, 15, "计划开工", "impossible date '2026-02-29'");
	want_problem(&a, 16, "前置事项", "its own prerequisite");
	want_problem(&a, 17, "前置事项", "circle");
	ck_assert_int_eq(items_stored(), 0);
	ck_assert_int_eq(projects_stored(), 0);
	answer_clear(&a);
}
END_TEST

/* Problems come in row order, each with a row, column and reason. */
START_TEST(test_problem_order)
{
	struct answer	 a;
	json_t		*p;
	json_int_t	 last = 0, row;
	size_t		 i;

	import_file("bad.csv", "auto", 1, &a);
	json_array_foreach(a.problems, i, p) {
		row = json_integer_value(json_object_get(p, "row"));
		ck_assert_int_ge(row, last);
		last = row;
		ck_assert(json_is_string(json_object_get(p, "column")));
		ck_assert(json_is_string(json_object_get(p, "reason")));
	}
	answer_clear(&a);
}
END_TEST

/* Rows are the lines records start on, whatever their quoted line breaks. */
START_TEST(test_multiline_rows)
{
	struct answer	 a;

	/* Quoted line breaks (LF and CRLF) and doubled quotes before the
	 * bad record: it is still reported on the line it starts on. */
	import_text("项目编码,项目内容,审批事项,承办部门,承诺时限\r\n"
	    "A,\"one\r\ntwo, \"\"three\"\"\r\nfour\",立项,投资项目审批科,5wd\r\n"
	    "\r\n"
	    "B,\"x\ny\",选址,现场勘验科,5 天\r\n"
	    "C,,规划许可,建设工程审批科,soon\r\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 8, "承诺时限", "invalid time limit 'soon'");
	answer_clear(&a);
}
END_TEST

/* A dry run counts, says so, and leaves nothing once rolled back. */
START_TEST(test_dry_run)
{
	struct answer	 a;

	import_file("utf8.csv", "auto", 1, &a);
	want_counts(&a, 3, 0, 5, 0);
	ck_assert(json_is_true(json_object_get(a.result, "dry_run")));
	answer_clear(&a);
	ck_assert_int_eq(items_stored(), 0);
	ck_assert_int_eq(projects_stored(), 0);

	/* A dry run over stored data counts updates. */
	import_file("utf8.csv", "auto", 0, &a);
	answer_clear(&a);
	import_file("bom.csv", "auto", 1, &a);
	want_counts(&a, 0, 3, 0, 5);
	ck_assert(json_is_true(json_object_get(a.result, "dry_run")));
	answer_clear(&a);
	check_good_store();
}
END_TEST

/* Prerequisites resolve to items of the same project, in file or store. */
START_TEST(test_prereq_stored)
{
	struct answer	 a;
	struct item_row	 lx, rf;

	import_file("utf8.csv", "auto", 0, &a);
	answer_clear(&a);
	/* A later file names an item stored by the first one. */
	import_text("项目编码,审批事项,承办部门,承诺时限,前置事项\n"
	    "XM-2026-001,人防报建,建设工程审批科,5wd,立项；规划许可\n", "auto", 0,
	    &a);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	ck_assert_int_eq(count(&a, "items", "created"), 1);
	ck_assert_int_eq(count(&a, "projects", "updated"), 1);
	answer_clear(&a);
	get_item("XM-2026-001", "立项", "投资项目审批科", &lx);
	get_item("XM-2026-001", "人防报建", "建设工程审批科", &rf);
	ck_assert(has_prereq(rf.id, lx.id));
	ck_assert_str_eq(rf.status, "planned");
	item_row_clear(&lx);
	item_row_clear(&rf);

	/* Not in another project. */
	import_text("项目编码,审批事项,承办部门,承诺时限,前置事项\n"
	    "XM-2026-002,人防报建,建设工程审批科,5wd,立项\n", "auto", 0, &a);
	want_problem(&a, 2, "前置事项", "no item '立项' in project XM-2026-002");
	answer_clear(&a);

	/* Ambiguous: two departments handle 立项 in the file. */
	import_text("项目编码,审批事项,承办部门,承诺时限,前置事项\n"
	    "P,立项,投资项目审批科,5wd,\n"
	    "P,立项,东城区行政审批局,5wd,\n"
	    "P,选址,现场勘验科,5wd,立项\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 4, "前置事项", "ambiguous");
	answer_clear(&a);

	/* A prerequisite later in the file is written first. */
	import_text("项目编码,审批事项,承办部门,承诺时限,前置事项\n"
	    "Q,施工许可,建设工程审批科,5wd,规划许可, 选址\n"
	    "Q,规划许可,建设工程审批科,5wd,选址\n"
	    "Q,选址,现场勘验科,5wd,\n", "auto", 0, &a);
	/* An unquoted comma splits the cell: " 选址" is a sixth field. */
	want_rejected(&a, 1);
	want_problem(&a, 2, "F", "no header");
	answer_clear(&a);
	import_text("项目编码,审批事项,承办部门,承诺时限,前置事项\n"
	    "Q,施工许可,建设工程审批科,5wd,\"规划许可, 选址\"\n"
	    "Q,规划许可,建设工程审批科,5wd,选址\n"
	    "Q,选址,现场勘验科,5wd,\n", "auto", 0, &a);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	ck_assert_int_eq(count(&a, "items", "created"), 3);
	answer_clear(&a);
	get_item("Q", "施工许可", "建设工程审批科", &lx);
	get_item("Q", "选址", "现场勘验科", &rf);
	ck_assert(has_prereq(lx.id, rf.id));
	ck_assert_str_eq(rf.status, "accepted");
	ck_assert_str_eq(lx.status, "planned");
	item_row_clear(&lx);
	item_row_clear(&rf);
}
END_TEST

/* Time limits and dates as spreadsheets hold them, and the bad ones. */
START_TEST(test_formats)
{
	static const struct {
		const char	*kind;
		const char	*limit;
		const char	*want;
	} t[] = {
		{ "a", "5个工作日", "5wd" }, { "b", "5工作日", "5wd" },
		{ "c", "5wd", "5wd" }, { "d", "10天", "10d" },
		{ "e", "10日", "10d" }, { "f", "48小时", "48h" },
		{ "g", "48h", "48h" }, { "h", "５ 个工作日", "5wd" },
		{ "i", "3 WD", "3wd" },
	};
	struct answer	 a;
	struct item_row	 r;
	char		*csv, *row;
	size_t		 i;

	csv = xstrdup("项目编码,审批事项,承办部门,承诺时限,受理时间\n");
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		xasprintf(&row, "%sF,%s,投资项目审批科,%s,2026年3月2日 8:05\n",
		    csv, t[i].kind, t[i].limit);
		free(csv);
		csv = row;
	}
	import_text(csv, "auto", 0, &a);
	free(csv);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	answer_clear(&a);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		get_item("F", t[i].kind, "投资项目审批科", &r);
		ck_assert_str_eq(r.limit, t[i].want);
		ck_assert_int_eq(r.accepted_at, at("2026-03-02 08:05"));
		item_row_clear(&r);
	}

	/* Bad limits and dates, each reported. */
	import_text("项目编码,审批事项,承办部门,承诺时限,受理时间,办结时限\n"
	    "G,a,投资项目审批科,0wd,,\n"
	    "G,b,投资项目审批科,5,,\n"
	    "G,c,投资项目审批科,5周,,\n"
	    "G,d,投资项目审批科,5wd,2026-03-02 24:00,\n"
	    "G,e,投资项目审批科,,,2026.3.32\n"
	    "G,f,投资项目审批科,,2026-03-05,2026-03-04\n"
	    "G,g,投资项目审批科,,,now\n", "auto", 0, &a);
	want_rejected(&a, 7);
	want_problem(&a, 2, "承诺时限", "'0wd'");
	want_problem(&a, 3, "承诺时限", "'5'");
	want_problem(&a, 4, "承诺时限", "'5周'");
	want_problem(&a, 5, "受理时间", "impossible date");
	want_problem(&a, 6, "办结时限", "impossible date");
	want_problem(&a, 7, "办结时限", "before the acceptance");
	want_problem(&a, 8, "办结时限", "'now'");
	answer_clear(&a);
}
END_TEST

/* Header problems: unknown, missing, repeated and unnamed columns. */
START_TEST(test_headers)
{
	struct answer	 a;

	/* Unknown columns are named; the rows are still checked. */
	import_text("项目编码,审批事项,承办部门,承诺时限,联系电话\n"
	    "H,立项,投资项目审批科,,\n", "auto", 0, &a);
	want_rejected(&a, 2);
	want_problem(&a, 1, "联系电话", "unknown column");
	want_problem(&a, 2, "承诺时限", "missing time limit");
	answer_clear(&a);

	/* No project code column. */
	import_text("项目名称,审批事项,承办部门,承诺时限\n"
	    "x,立项,投资项目审批科,5wd\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 1, "项目编码", "missing required column");
	answer_clear(&a);

	/* Item columns without their required companions. */
	import_text("项目编码,审批事项\nH,立项\n", "auto", 0, &a);
	want_rejected(&a, 2);
	want_problem(&a, 1, "承办部门", "missing column");
	want_problem(&a, 1, "承诺时限", "missing column");
	answer_clear(&a);

	/* The same column twice, under two of its names. */
	import_text("项目编码,项目代码\nH,H\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 1, "项目代码", "the same column as '项目编码'");
	answer_clear(&a);

	/* Required markers and blanks around names; case of English. */
	import_text(" *项目编码 ,PROJECT_name,Item ,承办部门*,LIMIT,\n"
	    "H,名称,立项,投资项目审批科,5wd,\n", "auto", 0, &a);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	answer_clear(&a);

	/* A value under a column without a header. */
	import_text("项目编码,,审批事项,承办部门,承诺时限\n"
	    "J,oops,立项,投资项目审批科,5wd\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 2, "B", "no header");
	answer_clear(&a);

	/* A project row alone, and Excel's empty trailing rows. */
	import_text("项目编码,项目名称,项目类别\nK,只有项目,社会投资类\n,,\n,,\n",
	    "auto", 0, &a);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	ck_assert_int_eq(count(&a, "projects", "created"), 1);
	ck_assert_int_eq(count(&a, "items", "created"), 0);
	ck_assert_int_eq(count(&a, "rows", NULL), 1);
	answer_clear(&a);
	ck_assert_int_eq(projects_stored(), 2);	/* H above and K */
}
END_TEST

/* Whether an item has a track of a kind that runs (next_at > 0). */
static int
track_runs(int64_t item, const char *kind)
{
	struct track_row	 t;
	int			 rc, runs;

	memset(&t, 0, sizeof t);
	ck_assert_int_ge(rc = store_track_get(st, item, kind, &t), 0);
	if (rc == 1)
		return (0);
	runs = t.next_at > 0;
	track_row_clear(&t);
	return (runs);
}

/*
 * The endings of the second deadlines as columns, Chinese and English:
 * when a 容缺受理 item's material was supplied, a 告知承诺 item's
 * verification result and time (now when none is given).  An ended
 * track is not started; re-importing a result ends a running one.
 * Endings of another mode, unknown results and a time without a result
 * are problems at their row and column.
 */
START_TEST(test_endings)
{
	struct answer	 a;
	struct item_row	 r;
	int64_t		 id;

	import_text("项目编码,审批事项,承办部门,办理模式,承诺时限,受理时间,"
	    "补正期限,补正材料收齐时间,承诺兑现期限,承诺核查结果,承诺核查时间\n"
	    "E,a,投资项目审批科,容缺受理,5wd,2026-03-02,2026-03-09,"
	    "2026-03-04 09:30,,,\n"
	    "E,b,投资项目审批科,告知承诺,5wd,2026-03-02,,,2026-04-01,不通过,"
	    "2026年3月20日\n"
	    "E,c,投资项目审批科,告知承诺,5wd,2026-03-02,,,2026-04-01,通过,\n"
	    "E,d,投资项目审批科,告知承诺,5wd,2026-03-02,,,2026-04-01,,\n",
	    "auto", 0, &a);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	answer_clear(&a);
	get_item("E", "a", "投资项目审批科", &r);
	ck_assert_int_eq(r.supplement_done_at, at("2026-03-04 09:30"));
	ck_assert_int_eq(r.supplement_due, at("2026-03-09 18:00"));
	ck_assert_int_eq(track_runs(r.id, TRACK_SUPPLEMENT), 0);
	ck_assert_int_eq(track_runs(r.id, TRACK_MAIN), 1);
	item_row_clear(&r);
	get_item("E", "b", "投资项目审批科", &r);
	ck_assert_str_eq(r.commitment_result, COMMITMENT_FAIL);
	ck_assert_int_eq(r.commitment_verified_at, at("2026-03-20 00:00"));
	ck_assert_int_eq(track_runs(r.id, TRACK_COMMITMENT), 0);
	item_row_clear(&r);
	get_item("E", "c", "投资项目审批科", &r);
	ck_assert_str_eq(r.commitment_result, COMMITMENT_PASS);
	ck_assert_int_eq(r.commitment_verified_at, now);
	item_row_clear(&r);
	get_item("E", "d", "投资项目审批科", &r);
	ck_assert_ptr_null(r.commitment_result);
	ck_assert_int_eq(r.commitment_verified_at, 0);
	ck_assert_int_eq(track_runs(r.id, TRACK_COMMITMENT), 1);
	id = r.id;
	item_row_clear(&r);

	/* English headers; the stored item is updated and its track ends. */
	import_text("code,item,department,limit,commitment_result,"
	    "commitment_verified\n"
	    "E,d,投资项目审批科,5wd,PASS,2026-03-21 10:00\n", "auto", 0, &a);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	ck_assert_int_eq(count(&a, "items", "updated"), 1);
	answer_clear(&a);
	ck_assert_int_eq(store_item_get(st, id, &r), 0);
	ck_assert_str_eq(r.commitment_result, COMMITMENT_PASS);
	ck_assert_int_eq(r.commitment_verified_at, at("2026-03-21 10:00"));
	item_row_clear(&r);
	ck_assert_int_eq(track_runs(id, TRACK_COMMITMENT), 0);

	/* Problems, each at its row and column. */
	import_text("项目编码,审批事项,承办部门,办理模式,承诺时限,"
	    "补正材料收齐时间,承诺核查结果,承诺核查时间\n"
	    "P,a,投资项目审批科,一般,5wd,2026-03-04,,\n"
	    "P,b,投资项目审批科,告知承诺,5wd,,maybe,\n"
	    "P,c,投资项目审批科,容缺受理,5wd,,通过,\n"
	    "P,d,投资项目审批科,告知承诺,5wd,,,2026-03-05\n"
	    "P,e,投资项目审批科,容缺受理,5wd,2026-13-01,,\n", "auto", 0, &a);
	want_rejected(&a, 5);
	want_problem(&a, 2, "补正材料收齐时间", "only a 容缺受理 item");
	want_problem(&a, 3, "承诺核查结果", "unknown verification result");
	want_problem(&a, 4, "承诺核查结果", "only a 告知承诺 item");
	want_problem(&a, 5, "承诺核查时间", "needs its result");
	want_problem(&a, 6, "补正材料收齐时间", "impossible date");
	answer_clear(&a);

	/* A stored item of another mode: item_plan() refuses, at the column. */
	import_text("项目编码,审批事项,承办部门,承诺时限,承诺核查结果\n"
	    "E,a,投资项目审批科,5wd,通过\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 2, "承诺核查结果", "only a 告知承诺 item");
	answer_clear(&a);
	get_item("E", "a", "投资项目审批科", &r);
	ck_assert_ptr_null(r.commitment_result);
	item_row_clear(&r);
}
END_TEST

/* Malformed CSV (strict RFC 4180) is a problem at the record's row. */
START_TEST(test_malformed)
{
	struct answer	 a;

	/* An unclosed quote: reported where the record starts. */
	import_text("项目编码,审批事项,承办部门,承诺时限\n"
	    "A,立项,投资项目审批科,5wd\n"
	    "B,\"选址\n,现场勘验科,5wd\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 3, "", "never closed");
	answer_clear(&a);

	/* A quote inside an unquoted field (strict RFC 4180). */
	import_text("项目编码,审批事项,承办部门,承诺时限\n"
	    "A,立项,投资项目审批科,5wd\n"
	    "B,\"x\ny\",投资项目审批科,5wd\n"
	    "C,选\"址,现场勘验科,5wd\n", "auto", 0, &a);
	want_rejected(&a, 1);
	want_problem(&a, 5, "", "malformed CSV");
	answer_clear(&a);

	/* Text after a closing quote; rows before it are still checked. */
	import_text("项目编码,审批事项,承办部门,承诺时限\n"
	    "A,立项,投资项目审批科,never\n"
	    "C,\"选址\"x,现场勘验科,5wd\n", "auto", 0, &a);
	want_rejected(&a, 2);
	want_problem(&a, 2, "承诺时限", "invalid time limit");
	want_problem(&a, 3, "", "malformed CSV");
	answer_clear(&a);
}
END_TEST

/* Files in no known encoding, or not CSV at all, are a 400. */
START_TEST(test_undecodable)
{
	struct answer	 a;
	static const char both_bad[] = "\xe9\xa1\xb9\xff\xff,\x80\n";

	import_bytes(both_bad, sizeof both_bad - 1, "auto", 0, &a);
	want_400(&a, "neither UTF-8 (bad byte at offset 3) nor GB18030");
	answer_clear(&a);
	import_bytes(both_bad, sizeof both_bad - 1, "gb18030", 0, &a);
	want_400(&a, "not valid GB18030");
	answer_clear(&a);
	import_bytes("\xef\xbb\xbf\xd6\xd0\n", 6, "auto", 0, &a);
	want_400(&a, "byte-order mark");
	answer_clear(&a);
	import_bytes("PK\003\004\024\000", 6, "auto", 0, &a);
	want_400(&a, ".xlsx");
	answer_clear(&a);
	import_bytes("\xff\xfe\x79\x98", 4, "auto", 0, &a);
	want_400(&a, "UTF-16");
	answer_clear(&a);
	import_bytes("a,b\n\0,c\n", 8, "auto", 0, &a);
	want_400(&a, "NUL");
	answer_clear(&a);
	import_text("项目编码\nA\n", "latin1", 0, &a);
	want_400(&a, "unknown encoding");
	ck_assert_str_eq(a.err.field, "encoding");
	answer_clear(&a);
}
END_TEST

/* Empty files and files without a header row are a 400. */
START_TEST(test_no_header)
{
	struct answer	 a;

	import_text("", "auto", 0, &a);
	want_400(&a, "empty");
	answer_clear(&a);
	import_text("\n\r\n,,\n", "auto", 0, &a);
	want_400(&a, "empty");
	answer_clear(&a);
	import_text("\xef\xbb\xbf", "auto", 0, &a);
	want_400(&a, "empty");
	answer_clear(&a);
	/* Data where the header should be. */
	import_text("XM-1,立项,投资项目审批科,5wd\n", "auto", 0, &a);
	want_400(&a, "no header row");
	answer_clear(&a);
	ck_assert_int_eq(items_stored(), 0);
}
END_TEST

/* A progress note keeps its time until its text changes. */
START_TEST(test_progress)
{
	struct answer		 a;
	struct project_row	 p;

	import_text("项目编码,形象进度\nP1,开挖\n", "auto", 0, &a);
	answer_clear(&a);
	now += 3600;
	import_text("项目编码,形象进度\nP1,开挖\n", "auto", 0, &a);
	answer_clear(&a);
	ck_assert_int_eq(store_project_get(st, "P1", &p), 0);
	ck_assert_int_eq(p.progress_at, now - 3600);
	project_row_clear(&p);
	import_text("项目编码,形象进度\nP1,主体封顶\n", "auto", 0, &a);
	answer_clear(&a);
	ck_assert_int_eq(store_project_get(st, "P1", &p), 0);
	ck_assert_str_eq(p.progress, "主体封顶");
	ck_assert_int_eq(p.progress_at, now);
	project_row_clear(&p);
}
END_TEST

/* The shipped sample file imports cleanly. */
START_TEST(test_sample)
{
	struct answer	 a;
	char		*buf;
	FILE		*f;
	long		 n;

	f = fopen("contrib/sample-import.csv", "rb");
	ck_assert_msg(f != NULL, "contrib/sample-import.csv: %s",
	    strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	ck_assert_int_ge(n, 3);
	ck_assert(memcmp(buf, "\xef\xbb\xbf", 3) == 0);
	import_bytes(buf, (size_t)n, "auto", 0, &a);
	free(buf);
	ck_assert_msg(a.rc == 0, "%s %s", a.err.msg, dump(a.problems));
	ck_assert_int_ge(count(&a, "items", "created"), 6);
	answer_clear(&a);
}
END_TEST

/* The suite. */
static Suite *
import_suite(void)
{
	Suite	*s = suite_create("import");
	TCase	*tc = tcase_create("import");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_bom_explicit);
	tcase_add_test(tc, test_gbk_auto);
	tcase_add_test(tc, test_gbk_explicit);
	tcase_add_test(tc, test_encodings_agree);
	tcase_add_test(tc, test_reimport);
	tcase_add_test(tc, test_english);
	tcase_add_test(tc, test_bad_rows);
	tcase_add_test(tc, test_problem_order);
	tcase_add_test(tc, test_multiline_rows);
	tcase_add_test(tc, test_dry_run);
	tcase_add_test(tc, test_prereq_stored);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_endings);
	tcase_add_test(tc, test_undecodable);
	tcase_add_test(tc, test_no_header);
	tcase_add_test(tc, test_progress);
	tcase_add_test(tc, test_sample);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return (s);
}

/* Load the rules, run the suite; exit non-zero when any test failed. */
int
main(void)
{
	SRunner	*sr;
	char	**problems = NULL;
	size_t	 nproblems = 0, i;
	int	 failed;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	log_init(0, LOG_TO_STDERR);
	conf = config_load(RULES, &problems, &nproblems);
	if (conf == NULL) {
		for (i = 0; i < nproblems; i++)
			fprintf(stderr, "%s\n", problems[i]);
		config_problems_free(problems, nproblems);
		return (1);
	}
	sr = srunner_create(import_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	config_free(conf);
	return (failed == 0 ? 0 : 1);
}
