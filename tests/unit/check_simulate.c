/*
 * Unit tests for simulate.c: the simulation runs the daemon's own step and
 * reporter on a copy of the database under a virtual clock.  (That it sends
 * what the running daemon sends, message for message, is checked end to
 * end in tests/e2e/test_simulate.py under a faked clock.)  Here: the
 * document is well formed and complete (every ladder of a varied fixture,
 * split parts with their markers, scheduled reports moved past holidays,
 * the calendar notice), the daemon's database is not touched, no copy is
 * left behind, a cancelled simulation ends its document, and the rules it
 * started with stay its own after the configuration is dropped.
 */
#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escalator.h"

static struct config	*conf;
static struct store	*store;
static char		 tmpdir[] = "/tmp/check_simulate.XXXXXX";
static char		 dbfile[PATH_MAX];
static char		 root[PATH_MAX];
static char		*last_doc;

/* An instant from "YYYY-MM-DD[ HH:MM[:SS]]" in Asia/Shanghai. */
static int64_t
T(const char *s)
{
	int64_t	 t;

	ck_assert_msg(rules_parse_time(s, 0, &t) == 0, "bad time %s", s);
	return (t);
}

/* ------------------------------------------------------------------ */
/* The fixture. */

static const char *config_fmt =
"database = \"unused.db\";\n"
"socket = \"%s/unused.sock\";\n"
"deadline_time = \"18:00\";\n"
"templates = \"%s/rules/templates\";\n"
"link_base = \"https://oa.example.gov.cn/items/\";\n"
"admin_channel = \"admin\";\n"
"head = \"p-head\";\n"
"head_channel = \"leaders\";\n"
"@include \"%s/rules/calendar/cn-2024.conf\"\n"
"@include \"%s/rules/calendar/cn-2025.conf\"\n"
"@include \"%s/rules/calendar/cn-2026.conf\"\n"
"windows = (\n"
"  { name = \"office\"; days = \"workdays\"; start = \"08:30\"; end = \"18:00\"; },\n"
"  { name = \"day\"; days = \"all\"; start = \"07:00\"; end = \"22:00\"; }\n"
");\n"
"channels = (\n"
"  { name = \"social\"; type = \"wecom\"; key = \"k1\"; max_bytes = 1500; },\n"
"  { name = \"urban\"; type = \"dingtalk\"; token = \"t\"; secret = \"s\";\n"
"    keywords = [\"督办\"]; max_bytes = 2500; },\n"
"  { name = \"industry\"; type = \"feishu\"; key = \"k2\"; },\n"
"  { name = \"leaders\"; type = \"wecom\"; key = \"k3\"; },\n"
"  { name = \"admin\"; type = \"wecom\"; key = \"k4\"; format = \"text\"; },\n"
"  { name = \"oa\"; type = \"webhook\"; url = \"http://127.0.0.1:9/oa\";\n"
"    window = \"day\"; max_bytes = 900; },\n"
"  { name = \"county\"; type = \"dingtalk\"; token = \"t2\"; format = \"text\";\n"
"    max_bytes = 700; }\n"
");\n"
"people = (\n"
"  { id = \"p-head\"; name = \"专班负责人\"; mobile = \"13800000001\"; wecom = \"zbfzr\"; },\n"
"  { id = \"p-social\"; name = \"社会组长\"; mobile = \"13800000002\"; wecom = \"shzz\"; },\n"
"  { id = \"p-urban\"; name = \"城建组长\"; mobile = \"13800000003\"; dingtalk = \"cjzz\"; },\n"
"  { id = \"p-industry\"; name = \"工业组长\"; feishu = \"ou_4\"; },\n"
"  { id = \"p-a\"; name = \"张三\"; mobile = \"13800000011\"; },\n"
"  { id = \"p-b\"; name = \"张三丰\"; },\n"
"  { id = \"p-c\"; name = \"李四\"; mobile = \"13800000013\"; wecom = \"lisi\"; dingtalk = \"ls\"; feishu = \"ou_13\"; },\n"
"  { id = \"p-d\"; name = \"王五\"; mobile = \"13800000014\"; }\n"
");\n"
"departments = (\n"
"  { name = \"投资项目审批科\"; level = \"city\"; region = \"市本级\"; contact = \"p-c\"; },\n"
"  { name = \"建设工程审批科\"; level = \"city\"; region = \"市本级\"; contact = \"p-a\"; },\n"
"  { name = \"企业登记科\"; level = \"city\"; region = \"市本级\"; contact = \"p-b\"; channel = \"oa\"; },\n"
"  { name = \"北山县行政审批局\"; level = \"county\"; region = \"北山县\"; contact = \"p-d\"; channel = \"county\"; }\n"
");\n"
"groups = (\n"
"  { name = \"社会投资类推进组\"; leader = \"p-social\"; channel = \"social\"; categories = [\"社会投资类\"]; },\n"
"  { name = \"城市建设类推进组\"; leader = \"p-urban\"; channel = \"urban\"; categories = [\"城市建设类\"]; },\n"
"  { name = \"工业“四改”类推进组\"; leader = \"p-industry\"; channel = \"industry\"; categories = [\"工业“四改”类\"]; }\n"
");\n"
"policies = (\n"
"  { name = \"preview\"; track = \"main\"; match = { modes = [\"预审\"]; };\n"
"    stages = (\n"
"      { name = \"warning\"; label = \"临期提醒\"; offset = \"-5h\"; to = [\"handler\"]; severity = \"info\"; },\n"
"      { name = \"reminder\"; label = \"催办\"; offset = \"0s\"; repeat = \"7h\"; to = [\"department\", \"oa\"]; },\n"
"      { name = \"escalate\"; label = \"提级\"; offset = \"3d\"; to = [\"head\", \"admin\"]; urgent = true; }\n"
"    ); },\n"
"  { name = \"default\"; track = \"main\"; window = \"office\"; done_notice = true;\n"
"    stages = (\n"
"      { name = \"warning\"; label = \"临期提醒\"; offset = \"-2wd\"; to = [\"handler\", \"department\"]; severity = \"info\"; },\n"
"      { name = \"reminder\"; label = \"催办\"; offset = \"0wd\"; repeat = \"1wd\"; to = [\"department\", \"group\"]; },\n"
"      { name = \"supervision\"; label = \"督查\"; offset = \"3wd\"; to = [\"leader\", \"group\", \"oa\"]; },\n"
"      { name = \"interview\"; label = \"约谈\"; offset = \"5wd\"; to = [\"head\"]; rectify = \"5wd\"; severity = \"critical\"; },\n"
"      { name = \"escalate\"; label = \"提级\"; offset = \"10wd\"; to = [\"head\", \"leader\"]; severity = \"critical\"; urgent = true; }\n"
"    ); },\n"
"  { name = \"supplement\"; track = \"supplement\"; window = \"office\";\n"
"    stages = (\n"
"      { name = \"supplement\"; label = \"容缺补正提醒\"; offset = \"-2wd\"; repeat = \"1wd\"; to = [\"handler\", \"department\"]; severity = \"info\"; },\n"
"      { name = \"supplement-supervision\"; label = \"容缺补正逾期督查\"; offset = \"3wd\"; to = [\"leader\", \"group\"]; template = \"supervision\"; }\n"
"    ); },\n"
"  { name = \"commitment\"; track = \"commitment\";\n"
"    stages = (\n"
"      { name = \"commitment\"; label = \"告知承诺核查提醒\"; offset = \"-3d\"; repeat = \"2d\"; to = [\"handler\", \"department\"]; },\n"
"      { name = \"commitment-supervision\"; label = \"告知承诺逾期督查\"; offset = \"3wd\"; to = [\"leader\", \"group\"]; template = \"supervision\"; }\n"
"    ); },\n"
"  { name = \"rectify\"; track = \"rectify\"; window = \"office\";\n"
"    stages = (\n"
"      { name = \"rectify\"; label = \"限期整改提醒\"; offset = \"-2wd\"; repeat = \"1wd\"; to = [\"department\", \"group\"]; },\n"
"      { name = \"rectify-escalate\"; label = \"整改逾期提级\"; offset = \"1wd\"; to = [\"head\"]; template = \"escalate\"; }\n"
"    ); },\n"
"  { name = \"stale\"; track = \"stale\"; window = \"office\"; stale_after = \"5wd\";\n"
"    stages = (\n"
"      { name = \"stale\"; label = \"无进展提醒\"; offset = \"0wd\"; repeat = \"5wd\"; to = [\"department\", \"group\"]; severity = \"info\"; }\n"
"    ); }\n"
");\n"
"reports = (\n"
"  { name = \"weekly-social\"; type = \"weekly\"; group = \"社会投资类推进组\";\n"
"    schedule = \"weekly\"; weekday = 1; time = \"09:00\"; channels = [\"social\"]; },\n"
"  { name = \"weekly-urban\"; type = \"weekly\"; group = \"城市建设类推进组\";\n"
"    schedule = \"weekly\"; weekday = 1; time = \"09:00\"; channels = [\"urban\"]; },\n"
"  { name = \"weekly-industry\"; type = \"weekly\"; group = \"工业“四改”类推进组\";\n"
"    schedule = \"weekly\"; weekday = 1; time = \"09:00\"; channels = [\"industry\"]; },\n"
"  { name = \"review\"; type = \"review\"; schedule = \"semimonthly\";\n"
"    days = [1, 16]; time = \"09:00\"; channels = [\"leaders\"]; },\n"
"  { name = \"bulletin\"; type = \"bulletin\"; schedule = \"biweekly\"; weekday = 5;\n"
"    anchor = \"2026-01-02\"; time = \"16:00\"; channels = [\"leaders\"]; },\n"
"  { name = \"agenda\"; type = \"agenda\"; schedule = \"weekly\"; weekday = 3;\n"
"    time = \"09:00\"; channels = [\"leaders\"]; }\n"
");\n";

static const char *categories[] = {
	"社会投资类", "城市建设类", "工业“四改”类", "其他类", NULL
};
static const char *departments[] = {
	"投资项目审批科", "建设工程审批科", "企业登记科", "北山县行政审批局",
	"未配置的科室",
};
static const char *handlers[] = {
	"p-a", "p-b", "p-c", "p-d", "赵六", NULL, "p-social",
};
static const char *kinds[] = {
	"立项", "选址", "规划许可", "人防报建", "环评", "能评", "施工许可",
};
static const char *limits[] = { "5wd", "12wd", "20d", "30wd", "72h", "3wd" };

/* Load the fixture's configuration. */
static void
load_config(void)
{
	char	 path[PATH_MAX + 32], **problems = NULL;
	size_t	 n = 0, i;
	FILE	*f;

	snprintf(path, sizeof path, "%s/sim.conf", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(f, config_fmt, tmpdir, root, root, root, root);
#pragma GCC diagnostic pop
	fclose(f);
	conf = config_load(path, &problems, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "problem: %s\n", problems[i]);
	config_problems_free(problems, n);
	ck_assert_ptr_nonnull(conf);
}

static void
setup(void)
{
	char	*err = NULL;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	ck_assert_ptr_nonnull(getcwd(root, sizeof root));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	load_config();
	snprintf(dbfile, sizeof dbfile, "%s/state.db", tmpdir);
	store = store_open(dbfile, &err);
	ck_assert_msg(store != NULL, "%s", err ? err : "");
}

static void
teardown(void)
{
	char	 path[PATH_MAX + 32];

	free(last_doc);
	last_doc = NULL;
	store_close(store);
	config_free(conf);
	snprintf(path, sizeof path, "%s/sim.conf", tmpdir);
	unlink(path);
	unlink(dbfile);
	snprintf(path, sizeof path, "%s-wal", dbfile);
	unlink(path);
	snprintf(path, sizeof path, "%s-shm", dbfile);
	unlink(path);
	ck_assert_int_eq(rmdir(tmpdir), 0);	/* no copy was left behind */
	strcpy(tmpdir, "/tmp/check_simulate.XXXXXX");
	store = NULL;
	conf = NULL;
}

/* Apply an event, which must succeed. */
static void
event(int64_t id, const char *type, const char *reason, const char *note,
    int64_t at)
{
	struct api_error	 e;

	memset(&e, 0, sizeof e);
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_msg(item_event(conf, store, id, type, reason, note, at, at,
	    &e) == 0, "event %s on %lld: %s", type, (long long)id, e.msg);
	ck_assert_int_eq(store_commit(store), 0);
}

/* A small deterministic generator. */
static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return (*x);
}

/*
 * n items accepted around `base`, with events, and the real scheduler run
 * at a few instants before `base` so that ladders are under way.
 */
static void
build(int n, uint32_t seed, int64_t base)
{
	struct item_input	 in;
	struct api_error	 e;
	char			 project[32], pname[64], acc[32], dl[32];
	char			 supp[32], commit[32];
	int64_t			 id, ids[1024], prev = 0, t;
	int			 i, created, k;
	int32_t			 day;
	uint32_t		 x = seed;

	ck_assert_int_le(n, 1024);
	for (i = 0; i < n; i++) {
		memset(&in, 0, sizeof in);
		memset(&e, 0, sizeof e);
		snprintf(project, sizeof project, "SIM-%03d", i / 3);
		snprintf(pname, sizeof pname, "模拟项目%03d号\"引号\"\\", i / 3);
		in.project = project;
		in.project_name = i % 7 == 0 ? NULL : pname;
		in.category = categories[(i / 3) % 5];
		in.region = i % 4 ? "东城区" : NULL;
		in.name = kinds[i % 7];
		in.department = departments[rnd(&x) % 5];
		in.handler = handlers[rnd(&x) % 7];
		switch (rnd(&x) % 6) {
		case 0:
			in.mode = "预审";
			break;
		case 1:
			in.mode = "容缺受理";
			break;
		case 2:
			in.mode = "告知承诺";
			break;
		default:
			in.mode = NULL;
			break;
		}
		/* Accepted from 60 days before base to 20 days after. */
		t = base - 60 * 86400 + (int64_t)(rnd(&x) % (80 * 86400));
		rules_format(t, acc, sizeof acc);
		in.accepted = acc;
		if (rnd(&x) % 5 == 0) {
			rules_format(t + (int64_t)(rnd(&x) % (40 * 86400)), dl,
			    sizeof dl);
			in.deadline = dl;
		} else
			in.limit = limits[rnd(&x) % 6];
		if (in.mode != NULL && strcmp(in.mode, "容缺受理") == 0) {
			rules_format(t + (int64_t)(rnd(&x) % (30 * 86400)),
			    supp, sizeof supp);
			in.supplement = supp;
		}
		if (in.mode != NULL && strcmp(in.mode, "告知承诺") == 0) {
			rules_format(t + (int64_t)(rnd(&x) % (50 * 86400)),
			    commit, sizeof commit);
			in.commitment = commit;
		}
		/* Some wait for a prerequisite (planned). */
		if (i % 17 == 5 && prev > 0) {
			in.after = &prev;
			in.nafter = 1;
		}
		ck_assert_int_eq(store_begin(store), 0);
		ck_assert_msg(item_add(conf, store, &in, t, &id, &created,
		    &e) == 0, "item %d: %s", i, e.msg);
		ck_assert_int_eq(store_commit(store), 0);
		ids[i] = id;
		prev = id;
	}
	/* The real daemon ran for a while before. */
	rules_split(base, &day, NULL);
	for (k = 40; k > 0; k -= 1) {
		t = rules_local(day - k, 9 * 3600 + 1800);
		ck_assert_int_ge(scheduler_step(conf, store, t), 0);
		ck_assert_int_ge(scheduler_step(conf, store, t + 5 * 3600), 0);
	}
	/* A reload re-evaluated every open item (this activates the
	 * rectification tracks the interviews created). */
	ck_assert_int_ge(scheduler_step(conf, store, base - 7200), 0);
	ck_assert_int_eq(store_begin(store), 0);
	ck_assert_int_eq(item_retrack_all(conf, store, base - 7000, NULL), 0);
	ck_assert_int_eq(store_commit(store), 0);
	/* Then things happened. */
	for (i = 0; i < n; i++) {
		struct item_row r;
		if (store_item_get(store, ids[i], &r) != 0)
			continue;
		k = strcmp(r.status, "accepted") == 0;
		item_row_clear(&r);
		if (!k)
			continue;
		t = base - (int64_t)(rnd(&x) % (5 * 86400));
		switch (i % 11) {
		case 1:
			event(ids[i], "suspend", "补正材料", NULL, t);
			break;
		case 2:
			event(ids[i], "suspend", "专家评审", NULL,
			    t - 6 * 86400);
			event(ids[i], "resume", NULL, NULL, t);
			break;
		case 3:
			event(ids[i], "block", "用地指标未落实", NULL, t);
			break;
		case 4:
			/* A restarted stale ladder: claims ahead of it. */
			event(ids[i], "progress", NULL, "已提交材料", t);
			break;
		case 5:
			event(ids[i], "done", NULL, NULL, t);
			break;
		case 6:
			event(ids[i], "cancel", NULL, NULL, t);
			break;
		case 7:
			event(ids[i], "raise", "跨部门协调", NULL, t);
			break;
		default:
			break;
		}
	}
	/* And the daemon ran once more, at base. */
	ck_assert_int_ge(scheduler_step(conf, store, base - 3600), 0);
}

/* Read a simulation's whole document from its fd and join it. */
static char *
read_doc(struct sim *sim, int fd)
{
	char	*doc = NULL;
	size_t	 len = 0;
	ssize_t	 n;
	char	 buf[65536];

	while ((n = read(fd, buf, sizeof buf)) > 0) {
		doc = xreallocarray(doc, len + (size_t)n + 1, 1);
		memcpy(doc + len, buf, (size_t)n);
		len += (size_t)n;
		doc[len] = '\0';
	}
	ck_assert_int_eq(n, 0);
	close(fd);
	sim_join(sim);
	ck_assert_ptr_nonnull(doc);
	return (doc);
}

/* Simulate from..until on the fixture's database; the parsed document. */
static json_t *
simulate(int64_t from, int64_t until)
{
	struct sim	*sim;
	json_t		*j;
	json_error_t	 je;
	char		*err = NULL;
	int		 fd;

	sim = sim_start(conf, dbfile, from, until, &fd, &err);
	ck_assert_msg(sim != NULL, "%s", err ? err : "");
	free(last_doc);
	last_doc = read_doc(sim, fd);
	j = json_loads(last_doc, 0, &je);
	ck_assert_msg(j != NULL, "not JSON: %s", je.text);
	return (j);
}

/* Every message has what the daemon would post: no empty field, no part
 * marker left in. */
static size_t
check_messages(json_t *doc)
{
	static const char *keys[] = { "at", "queued_at", "channel", "stage",
	    "title", "text", NULL };
	json_t		*msgs = json_object_get(doc, "messages"), *m;
	size_t		 i;
	const char	*v;
	int		 k;

	ck_assert(json_is_array(msgs));
	json_array_foreach(msgs, i, m) {
		for (k = 0; keys[k] != NULL; k++) {
			v = json_string_value(json_object_get(m, keys[k]));
			ck_assert_msg(v != NULL && *v != '\0',
			    "message %zu: no %s", i, keys[k]);
		}
		ck_assert(json_is_array(json_object_get(m, "items")));
		ck_assert(json_is_array(json_object_get(m, "recipients")));
		ck_assert_ptr_null(strstr(json_string_value(json_object_get(m,
		    "text")), PART_MARK));
	}
	return (json_array_size(msgs));
}

/* What of the daemon's own database a simulation could change. */
static void
counts(int64_t out[3])
{
	int64_t	 at = 0;

	ck_assert_int_eq(store_outbox_max_id(store, &out[0]), 0);
	ck_assert_int_eq(store_count_status(store, "accepted", &out[1]), 0);
	ck_assert_int_ge(store_next_wakeup(store, &at), 0);
	out[2] = at;
}

/* ------------------------------------------------------------------ */

START_TEST(test_a_year_of_every_ladder)
{
	static const char *stages[] = {
		"warning", "reminder", "supervision", "interview", "escalate",
		"supplement", "supplement-supervision", "commitment",
		"commitment-supervision", "stale", "report", NULL
	};
	int64_t		 base = T("2025-03-03 10:17:23"), before[3], after[3];
	json_t		*doc, *m;
	size_t		 n, k;
	int		 i;
	char		 want[64];
	const char	*prev = "", *q;

	build(180, 0x12345u, base);
	counts(before);
	doc = simulate(base, T("2026-03-03"));
	n = check_messages(doc);
	ck_assert_msg(n > 100, "only %zu messages", n);
	for (i = 0; stages[i] != NULL; i++) {
		snprintf(want, sizeof want, "\"stage\":\"%s\"", stages[i]);
		ck_assert_msg(strstr(last_doc, want) != NULL, "no %s", want);
	}
	ck_assert_ptr_nonnull(strstr(last_doc, " (1/"));
	ck_assert_ptr_nonnull(strstr(last_doc, "@张三丰"));
	ck_assert_ptr_nonnull(strstr(last_doc, "\"channel\":\"oa\""));
	ck_assert_ptr_nonnull(strstr(last_doc, "\"channel\":\"county\""));
	ck_assert_ptr_nonnull(strstr(last_doc, "社会投资类推进组每周调度"));
	/* In the order the daemon queues them. */
	json_array_foreach(json_object_get(doc, "messages"), k, m) {
		q = json_string_value(json_object_get(m, "queued_at"));
		ck_assert_msg(strcmp(prev, q) <= 0, "%s after %s", q, prev);
		prev = q;
	}
	json_decref(doc);
	counts(after);
	ck_assert_mem_eq(before, after, sizeof before);
}
END_TEST

/* The example: over 2026-10-07..10-09 the daemon sends the three
 * weekly dispatches, the review and the agenda moved past 国庆, and the
 * bulletin; the simulation lists them. */
START_TEST(test_reports_past_the_national_day)
{
	json_t		*doc, *m;
	size_t		 i;
	int		 weekly = 0, review = 0, agenda = 0, bulletin = 0;
	const char	*title;

	/* The reporter ran before the holiday (the earlier periods are
	 * claimed, as on a daemon that has been running). */
	ck_assert_int_ge(reporter_run(conf, store, T("2026-09-30 17:00")), 0);
	doc = simulate(T("2026-10-07 00:00"), T("2026-10-09 23:59"));
	check_messages(doc);
	json_array_foreach(json_object_get(doc, "messages"), i, m) {
		if (strcmp(json_string_value(json_object_get(m, "stage")),
		    "report") != 0)
			continue;
		title = json_string_value(json_object_get(m, "title"));
		weekly += strstr(title, "每周调度") != NULL;
		review += strstr(title, "半月") != NULL;
		agenda += strstr(title, "联席会议") != NULL;
		bulletin += strstr(title, "通报") != NULL;
	}
	if (!(weekly == 3 && review == 1 && agenda == 1 && bulletin == 1))
		fprintf(stderr, "%s\n", last_doc);
	ck_assert_msg(weekly == 3 && review == 1 && agenda == 1 &&
	    bulletin == 1, "weekly %d review %d agenda %d bulletin %d",
	    weekly, review, agenda, bulletin);
	json_decref(doc);
}
END_TEST

/* Into a year without holiday data: the warning, and from 1 November the
 * admin notice the daemon sends. */
START_TEST(test_beyond_the_calendar)
{
	json_t	*doc;

	build(30, 4242u, T("2026-10-20 16:00"));
	doc = simulate(T("2026-10-20 16:00"), T("2027-01-10"));
	check_messages(doc);
	ck_assert_ptr_nonnull(strstr(last_doc, "without a holiday calendar"));
	ck_assert_ptr_nonnull(strstr(last_doc, "节假日日历缺失提醒"));
	ck_assert_ptr_nonnull(strstr(last_doc,
	    "\"queued_at\":\"2026-11-01T09:00:00+08:00\""));
	json_decref(doc);
}
END_TEST

START_TEST(test_nothing)
{
	json_t	*doc;

	/* A weekend with no item and no report due. */
	doc = simulate(T("2025-01-03 10:00"), T("2025-01-06 08:00"));
	ck_assert_str_eq(last_doc, "{\"messages\":[],\"warnings\":[]}\n");
	json_decref(doc);
}
END_TEST

/* The simulation keeps the rules it started with; a cancelled one ends its
 * document with a warning; a reader that leaves stops the thread. */
START_TEST(test_cancel_and_config_lifetime)
{
	struct sim	*sim;
	char		*err = NULL, buf[64];
	int		 fd;

	build(180, 77u, T("2025-03-03 10:00"));
	/* Dropped by its loader at once: the simulation holds its own. */
	sim = sim_start(conf, dbfile, T("2025-03-03 10:00"), T("2027-03-01"),
	    &fd, &err);
	ck_assert_ptr_nonnull(sim);
	config_free(conf);
	conf = NULL;
	ck_assert_int_gt(read(fd, buf, sizeof buf), 0);
	sim_cancel(sim);
	free(last_doc);
	last_doc = read_doc(sim, fd);
	ck_assert_ptr_nonnull(strstr(last_doc, "the simulation was stopped"));
	load_config();

	/* A reader that goes away: the thread ends at its next write. */
	sim = sim_start(conf, dbfile, T("2025-03-03 10:00"), T("2027-03-01"),
	    &fd, &err);
	ck_assert_ptr_nonnull(sim);
	close(fd);
	sim_join(sim);
}
END_TEST

int
main(void)
{
	Suite		*s;
	TCase		*tc;
	SRunner		*sr;
	int		 nf;

	s = suite_create("simulate");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_a_year_of_every_ladder);
	tcase_add_test(tc, test_reports_past_the_national_day);
	tcase_add_test(tc, test_beyond_the_calendar);
	tcase_add_test(tc, test_nothing);
	tcase_add_test(tc, test_cancel_and_config_lifetime);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
