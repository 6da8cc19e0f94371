/*
 * Unit tests for simulate.c: the simulator on the pure rule functions must
 * answer exactly what the replay engine answered -- the real
 * scheduler_step() run wake-up after wake-up on an in-memory copy of the
 * store, its queued messages read back as control.c used to (the oracle
 * below is that engine, kept here as the reference only).  The fixture is
 * varied: every mode and track (supplement, commitment, the rectification
 * an interview orders, stale progress), suspended, resumed, blocked, planned,
 * done and cancelled items, limits in working days, days and hours,
 * deadlines long past (stages passed over), ladders already advanced and a
 * restarted stale ladder (claims ahead in the fired table), every channel
 * type, a plain-text channel, a channel with its own send window, an urgent
 * stage, small byte limits (split messages), recipients by role and by
 * channel, people with and without app ids.  Runs from the repository root.
 *
 * With CHECK_SIMULATE_ORACLE="CONFIG DB FROM UNTIL" the program instead
 * prints the replay engine's answer for that database (a copy is used) and
 * exits: tests/e2e/test_simulate.py compares the daemon's answer with it.
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
static char		 root[PATH_MAX];
static char		*last_doc;	/* the replay's last answer */

/* An instant from "YYYY-MM-DD[ HH:MM[:SS]]" in Asia/Shanghai. */
static int64_t
T(const char *s)
{
	int64_t	 t;

	ck_assert_msg(rules_parse_time(s, 0, &t) == 0, "bad time %s", s);
	return (t);
}

/* ------------------------------------------------------------------ */
/* The oracle: the replay engine POST /v1/simulate used before. */

/* One queued message as control_sim_cb() turned it into JSON. */
struct oracle {
	json_t	*arr;
	int64_t	 now;
	int64_t	 last_id;
};

static int
oracle_cb(void *arg, const struct outbox_row *o)
{
	struct oracle	*sc = arg;
	json_t		*m = json_object(), *ids = json_array(), *ev, *r, *mm;
	char		 buf[32];
	size_t		 i;
	json_t		*x;

	rules_format(o->not_before > sc->now ? o->not_before : sc->now, buf,
	    sizeof buf);
	json_object_set_new(m, "at", json_string(buf));
	json_object_set_new(m, "channel", json_string(o->channel));
	json_object_set_new(m, "stage", json_string(o->stage));
	json_object_set_new(m, "title", json_string(o->title ? o->title : ""));
	json_object_set_new(m, "text", json_string(o->text));
	ev = o->event ? json_loads(o->event, 0, NULL) : NULL;
	if (ev != NULL) {
		json_object_set(m, "stage_label",
		    json_object_get(ev, "stage_label"));
		json_array_foreach(json_object_get(ev, "items"), i, x)
			json_array_append(ids, json_object_get(x, "id"));
		json_decref(ev);
	}
	json_object_set_new(m, "items", ids);
	r = json_array();
	if (o->mobiles && (mm = json_loads(o->mobiles, 0, NULL))) {
		json_array_extend(r, mm);
		json_decref(mm);
	}
	if (o->userids && (mm = json_loads(o->userids, 0, NULL))) {
		json_array_extend(r, mm);
		json_decref(mm);
	}
	json_object_set_new(m, "recipients", r);
	json_array_append_new(sc->arr, m);
	sc->last_id = o->id;
	return (0);
}

/* The whole answer of the replay engine, as the daemon sent it. */
static char *
oracle_document(const struct config *cf, struct store *src, int64_t t0,
    int64_t t1)
{
	struct oracle	 sc;
	struct store	*s;
	char		*err = NULL, *dump, *out;
	int64_t		 next;
	long		 steps = 0;
	json_t		*o, *w;

	/* No ck_assert here: the oracle also runs outside Check. */
	if ((s = store_clone_memory(src, &err)) == NULL) {
		fprintf(stderr, "copying the store: %s\n", err ? err : "");
		abort();
	}
	memset(&sc, 0, sizeof sc);
	sc.arr = json_array();
	if (store_outbox_max_id(s, &sc.last_id) != 0)
		sc.last_id = 0;
	sc.now = t0;
	log_actions_suspend(1);
	while (steps++ < 1000000) {
		if (store_next_wakeup(s, &next) != 0 || next > t1)
			break;
		sc.now = next > t0 ? next : t0;
		if (scheduler_step(cf, s, sc.now) < 0)
			break;
		store_outbox_since(s, sc.last_id, oracle_cb, &sc);
	}
	log_actions_suspend(0);
	store_close(s);
	o = json_object();
	json_object_set_new(o, "messages", sc.arr);
	w = json_array();
	if (calendar_last_year(cf->calendar) > 0) {
		int32_t d; int y, m, dd;
		rules_split(t1, &d, NULL);
		calendar_civil(d, &y, &m, &dd);
		if (y > calendar_last_year(cf->calendar))
			json_array_append_new(w, json_string("the simulated "
			    "period reaches a year without a holiday calendar;"
			    " it is counted Monday-Friday"));
	}
	json_object_set_new(o, "warnings", w);
	dump = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	xasprintf(&out, "%s\n", dump);
	free(dump);
	return (out);
}

/* The new simulator's answer, produced in slices of about `want` bytes. */
static char *
sim_document(const struct config *cf, struct store *s, int64_t t0,
    int64_t t1, size_t want, long *slices)
{
	struct sim	*sim;
	struct sim_out	 o, all;
	char		*err = NULL;
	int		 more;

	sim = sim_new(cf, s, t0, t1, &err);
	ck_assert_msg(sim != NULL, "%s", err ? err : "");
	memset(&all, 0, sizeof all);
	*slices = 0;
	do {
		memset(&o, 0, sizeof o);
		more = sim_run(sim, &o, want, 1000000);
		(*slices)++;
		if (o.len > 0) {
			all.data = xreallocarray(all.data, all.len + o.len + 1,
			    1);
			memcpy(all.data + all.len, o.data, o.len);
			all.len += o.len;
			all.data[all.len] = '\0';
		}
		sim_out_clear(&o);
	} while (more);
	sim_free(sim);
	return (all.data != NULL ? all.data : xstrdup(""));
}

/* Fail with the first difference of two answers. */
static void
assert_same(const char *what, const char *want, const char *got)
{
	size_t	 i, from;

	if (strcmp(want, got) == 0)
		return;
	/* CHECK_SIMULATE_DUMP=DIR keeps both answers for a closer look. */
	if (getenv("CHECK_SIMULATE_DUMP") != NULL) {
		FILE	*f;
		char	 p[PATH_MAX];

		snprintf(p, sizeof p, "%s/replay.json",
		    getenv("CHECK_SIMULATE_DUMP"));
		if ((f = fopen(p, "w")) != NULL) {
			fputs(want, f);
			fclose(f);
		}
		snprintf(p, sizeof p, "%s/sim.json",
		    getenv("CHECK_SIMULATE_DUMP"));
		if ((f = fopen(p, "w")) != NULL) {
			fputs(got, f);
			fclose(f);
		}
	}
	for (i = 0; want[i] != '\0' && want[i] == got[i]; i++)
		;
	from = i > 300 ? i - 300 : 0;
	ck_abort_msg("%s: the answers differ at byte %zu (replay %zu bytes, "
	    "simulator %zu)\nreplay:    ...%.600s\nsimulator: ...%.600s", what,
	    i, strlen(want), strlen(got), want + from, got + from);
}

/* Count the messages of an answer. */
static size_t
count_messages(const char *doc)
{
	json_t	*j = json_loads(doc, 0, NULL);
	size_t	 n;

	ck_assert_ptr_nonnull(j);
	n = json_array_size(json_object_get(j, "messages"));
	json_decref(j);
	return (n);
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
	store = store_open(":memory:", &err);
	ck_assert_msg(store != NULL, "%s", err ? err : "");
	log_actions_suspend(1);
}

static void
teardown(void)
{
	char	 path[PATH_MAX + 32];

	log_actions_suspend(0);
	free(last_doc);
	last_doc = NULL;
	store_close(store);
	config_free(conf);
	snprintf(path, sizeof path, "%s/sim.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
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
	ck_assert_int_eq(item_retrack_all(conf, store, base - 7000), 0);
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

/* Compare both engines from..until with several slice sizes. */
static size_t
compare(const char *what, int64_t from, int64_t until)
{
	char	*want, *got, name[128];
	size_t	 sizes[] = { (size_t)1 << 30, 1, 5000 }, i, n;
	long	 slices;

	want = oracle_document(conf, store, from, until);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		got = sim_document(conf, store, from, until, sizes[i], &slices);
		snprintf(name, sizeof name, "%s (slices of %zu bytes)", what,
		    sizes[i]);
		assert_same(name, want, got);
		free(got);
	}
	n = count_messages(want);
	if (getenv("CHECK_SIMULATE_SHOW") != NULL)
		fprintf(stderr, "%s: %zu messages, %zu bytes\n", what, n,
		    strlen(want));
	free(last_doc);
	last_doc = want;
	return (n);
}

/* ------------------------------------------------------------------ */

START_TEST(test_same_as_replay_year)
{
	int64_t	 base = T("2025-03-03 10:17:23");
	size_t	 n;

	static const char *stages[] = {
		"warning", "reminder", "supervision", "interview", "escalate",
		"supplement", "supplement-supervision", "commitment",
		"commitment-supervision", "rectify", "stale", NULL
	};
	char	 want[64];
	int	 i;

	build(180, 0x12345u, base);
	n = compare("a year", base, T("2026-03-03"));
	ck_assert_msg(n > 100, "only %zu messages", n);
	/* The fixture reaches every ladder, split messages and @-names. */
	for (i = 0; stages[i] != NULL; i++) {
		snprintf(want, sizeof want, "\"stage\":\"%s\"", stages[i]);
		ck_assert_msg(strstr(last_doc, want) != NULL, "no %s", want);
	}
	ck_assert_ptr_nonnull(strstr(last_doc, " (1/"));
	ck_assert_ptr_nonnull(strstr(last_doc, "@张三丰"));
	ck_assert_ptr_nonnull(strstr(last_doc, "\"channel\":\"oa\""));
	ck_assert_ptr_nonnull(strstr(last_doc, "\"channel\":\"county\""));
	ck_assert_ptr_nonnull(strstr(last_doc, "补正材料") == NULL ?
	    strstr(last_doc, "用地指标未落实") : last_doc);
}
END_TEST

START_TEST(test_same_as_replay_seeds)
{
	static const uint32_t	 seeds[] = { 7, 99, 2024, 31337 };
	static const char	*bases[] = {
		"2025-09-28 23:30", "2025-12-31 07:59:59", "2026-04-30 18:00",
		"2025-06-01 12:00",
	};
	size_t			 i;
	char			 what[64];

	for (i = 0; i < 4; i++) {
		int64_t base = T(bases[i]);
		store_close(store);
		store = store_open(":memory:", NULL);
		ck_assert_ptr_nonnull(store);
		build(90, seeds[i], base);
		snprintf(what, sizeof what, "seed %u", seeds[i]);
		compare(what, base, base + 75 * 86400);
	}
}
END_TEST

START_TEST(test_same_as_replay_beyond_calendar)
{
	int64_t	 base = T("2026-11-20 16:00");
	char	*doc;
	long	 slices;

	build(60, 4242u, base);
	compare("into 2027", base, T("2027-02-01"));
	doc = sim_document(conf, store, base, T("2027-02-01"), 1 << 20,
	    &slices);
	ck_assert_ptr_nonnull(strstr(doc, "without a holiday calendar"));
	free(doc);
}
END_TEST

START_TEST(test_window_from_past)
{
	/* from before every deadline, until exactly at a wake-up. */
	int64_t	 base = T("2025-05-06 08:30");

	build(40, 5u, base);
	compare("from the past", base - 90 * 86400, base + 10 * 86400);
	compare("one instant", base, base);
}
END_TEST

START_TEST(test_nothing)
{
	char	*doc;
	long	 slices;

	doc = sim_document(conf, store, T("2025-01-01"), T("2025-12-31"), 1,
	    &slices);
	ck_assert_str_eq(doc, "{\"messages\":[],\"warnings\":[]}\n");
	free(doc);
	compare("empty", T("2025-01-01"), T("2025-12-31"));
	free(last_doc);
	last_doc = NULL;
}
END_TEST

START_TEST(test_slices_are_bounded)
{
	struct sim	*sim;
	struct sim_out	 o;
	char		*err = NULL;
	int		 more, big = 0;
	size_t		 total = 0;

	build(180, 77u, T("2025-03-03 10:00"));
	sim = sim_new(conf, store, T("2025-03-03 10:00"), T("2026-03-01"),
	    &err);
	ck_assert_ptr_nonnull(sim);
	do {
		memset(&o, 0, sizeof o);
		more = sim_run(sim, &o, 4096, 1000000);
		/* A slice stops after the message that reached the size. */
		if (o.len > 4096 + 64 * 1024)
			big++;
		total += o.len;
		sim_out_clear(&o);
	} while (more);
	ck_assert_int_eq(big, 0);
	ck_assert_int_gt(total, 10000);
	ck_assert_int_gt(sim_messages(sim), 10);
	/* Aborting a finished simulation adds nothing. */
	memset(&o, 0, sizeof o);
	sim_abort(sim, &o, "x");
	ck_assert_int_eq(o.len, 0);
	sim_free(sim);

	/* Aborting midway closes the document with the reason. */
	sim = sim_new(conf, store, T("2025-03-03 10:00"), T("2026-03-01"),
	    &err);
	memset(&o, 0, sizeof o);
	while (sim_messages(sim) == 0)
		ck_assert_int_eq(sim_run(sim, &o, 1, 1000000), 1);
	sim_abort(sim, &o, "stopped: the configuration was reloaded");
	{
		json_t *j = json_loads(o.data, 0, NULL);
		ck_assert_ptr_nonnull(j);
		ck_assert_int_eq(json_array_size(json_object_get(j,
		    "messages")), 1);
		ck_assert_str_eq(json_string_value(json_array_get(
		    json_object_get(j, "warnings"), 0)),
		    "stopped: the configuration was reloaded");
		json_decref(j);
	}
	sim_out_clear(&o);
	sim_free(sim);
}
END_TEST

START_TEST(test_json_strings_as_jansson)
{
	char		 s[300], *dump;
	struct sim_out	 o;
	json_t		*a;
	size_t		 i;

	for (i = 0; i < 127; i++)
		s[i] = (char)(i + 1);
	strcpy(s + 127, "\"\\/ 中文「引号」\xF0\x9F\x98\x80 end\n");
	a = json_array();
	json_array_append_new(a, json_string(s));
	dump = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	memset(&o, 0, sizeof o);
	sim_json_string(&o, s, strlen(s));
	/* dump is ["..."]: compare the string inside. */
	ck_assert_int_eq(strlen(dump), o.len + 2);
	ck_assert_int_eq(memcmp(dump + 1, o.data, o.len), 0);
	free(dump);
	sim_out_clear(&o);
}
END_TEST

/* Print the replay engine's answer for a database (e2e tests). */
static int
oracle_main(const char *spec)
{
	char		 cpath[PATH_MAX], dpath[PATH_MAX], **problems = NULL;
	char		*err = NULL, *doc;
	size_t		 n = 0;
	long long	 t0, t1;
	struct store	*s;

	if (sscanf(spec, "%4095s %4095s %lld %lld", cpath, dpath, &t0,
	    &t1) != 4) {
		fprintf(stderr, "CHECK_SIMULATE_ORACLE=\"CONFIG DB FROM UNTIL\""
		    " (Unix times)\n");
		return (2);
	}
	if ((conf = config_load(cpath, &problems, &n)) == NULL) {
		fprintf(stderr, "%s: bad configuration\n", cpath);
		config_problems_free(problems, n);
		return (1);
	}
	config_problems_free(problems, n);
	daemon_apply_timezone(conf);
	if ((s = store_open(dpath, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", dpath, err);
		return (1);
	}
	doc = oracle_document(conf, s, (int64_t)t0, (int64_t)t1);
	fputs(doc, stdout);
	free(doc);
	store_close(s);
	config_free(conf);
	return (0);
}

int
main(void)
{
	Suite		*s;
	TCase		*tc;
	SRunner		*sr;
	int		 nf;
	const char	*spec;

	if ((spec = getenv("CHECK_SIMULATE_ORACLE")) != NULL)
		return (oracle_main(spec));
	s = suite_create("simulate");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_same_as_replay_year);
	tcase_add_test(tc, test_same_as_replay_seeds);
	tcase_add_test(tc, test_same_as_replay_beyond_calendar);
	tcase_add_test(tc, test_window_from_past);
	tcase_add_test(tc, test_nothing);
	tcase_add_test(tc, test_slices_are_bounded);
	tcase_add_test(tc, test_json_strings_as_jansson);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
