/*
 * Unit tests for message grouping and splitting: a batch of items due
 * together rendered as one message per chat (message.c), split at the
 * channel's byte limit into parts marked (k/N) with every item in exactly
 * one part, most overdue first; a long report split at line boundaries
 * (report_split); the part markers (part.c); the shipped notices
 * rendered at a realistic size for every app.  Every grouping and
 * splitting test is here.  Runs from the repository root on the shipped
 * configuration and calendar, in Asia/Shanghai.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <jansson.h>

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

/* With public_url every item carries its action link, measured into the
 * split; in text formats as a bare URL; without public_url none. */
START_TEST(test_answer_links)
{
	struct channel		 ch;
	struct msg_batch	 b;
	struct msg_part		*parts;
	struct link		 l;
	size_t			 nparts, i, k, links = 0;
	char			*err = NULL, *p, *q, tok[80];

	memset(&ch, 0, sizeof ch);
	ch.name = (char *)(uintptr_t)"social";
	ch.type = CHANNEL_WECOM;
	ch.format = FORMAT_MARKDOWN;
	ch.max_bytes = 2048;
	for (i = 0; i < 60; i++) {
		memset(&items[i], 0, sizeof items[i]);
		snprintf(names[i], sizeof names[i], "链接测试产业园第%03zu期", i);
		items[i].id = (int64_t)i + 1;
		items[i].project_code = names[i];
		items[i].project_name = names[i];
		items[i].kind = (char *)(uintptr_t)"规划许可";
		items[i].department = (char *)(uintptr_t)"建设工程审批科";
		entries[i].item = &items[i];
		entries[i].due = at("2026-11-20 18:00");
	}
	memset(&b, 0, sizeof b);
	b.channel = &ch;
	b.template = "reminder";
	b.stage = "reminder";
	b.stage_label = "催办";
	b.severity = "warning";
	b.group = "社会投资类推进组";
	b.entries = entries;
	b.nentries = 60;
	b.role = (int)ROLE_DEPARTMENT + 1;
	ck_assert_int_eq(message_render(conf, &b, at("2026-11-24 09:00"),
	    &parts, &nparts, &err), 0);
	for (i = 0; i < nparts; i++)
		ck_assert_ptr_null(strstr(parts[i].text, "/a/"));
	message_parts_free(parts, nparts);

	conf->public_url = xstrdup("https://duban.example.gov.cn");
	conf->link_secret = xstrdup("unit-link-secret-0123");
	ck_assert_int_eq(message_render(conf, &b, at("2026-11-24 09:00"),
	    &parts, &nparts, &err), 0);
	ck_assert_uint_gt(nparts, 1);
	for (i = 0; i < nparts; i++) {
		ck_assert_uint_le(strlen(parts[i].text), 2048);
		for (p = parts[i].text; (p = strstr(p, "](https://duban."
		    "example.gov.cn/a/")) != NULL; p = q) {
			p += strlen("](https://duban.example.gov.cn/a/");
			q = strchr(p, ')');
			ck_assert_ptr_nonnull(q);
			k = (size_t)(q - p);
			ck_assert_uint_lt(k, sizeof tok);
			memcpy(tok, p, k);
			tok[k] = '\0';
			ck_assert_int_eq(link_parse(conf->link_secret, tok, &l),
			    0);
			ck_assert_uint_eq(l.actions, LINK_NOTICE);
			ck_assert_int_eq(l.role, (int)ROLE_DEPARTMENT + 1);
			ck_assert_uint_eq(l.stage, link_stage_tag("reminder"));
			links++;
		}
	}
	ck_assert_uint_eq(links, 60);
	message_parts_free(parts, nparts);

	ch.format = FORMAT_TEXT;
	b.nentries = 2;
	ck_assert_int_eq(message_render(conf, &b, at("2026-11-24 09:00"),
	    &parts, &nparts, &err), 0);
	ck_assert_ptr_nonnull(strstr(parts[0].text,
	    "申请中止计时：https://duban.example.gov.cn/a/"));
	message_parts_free(parts, nparts);
	free(conf->public_url);
	conf->public_url = NULL;
	free(conf->link_secret);
	conf->link_secret = NULL;
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

/* The channels a notice goes to: each app's natural format, and text. */
static const struct {
	const char		*name;
	enum channel_type	 type;
	enum channel_format	 format;
} apps[] = {
	{ "plain", CHANNEL_WECOM, FORMAT_TEXT },
	{ "wecom", CHANNEL_WECOM, FORMAT_MARKDOWN },
	{ "dingtalk", CHANNEL_DINGTALK, FORMAT_DEFAULT },
	{ "feishu", CHANNEL_FEISHU, FORMAT_DEFAULT },
	{ "webhook", CHANNEL_WEBHOOK, FORMAT_JSON },
};

/*
 * Render a grouped message of 50 items of one stage for every app, as
 * the step would: the parts within the app's limit, every item once, no
 * placeholder left, no labelled field empty ("标签：" or "标签 " before a
 * separator or the line's end).  The texts are written to
 * $MESSAGE_SAMPLES/<template>.<app>.txt when that is set, to be read.
 */
static void
render_50(const char *template, const char *stage, const char *label,
    int64_t due0, int64_t rectify, int64_t now, const char *const *want,
    const char *const *never)
{
	static const char *const kinds[] = { "立项", "规划许可", "施工许可",
	    "环评", "人防报建" };
	static const char *const depts[] = { "建设工程审批科", "投资项目审批科",
	    "东城区行政审批局", "现场勘验科" };
	static const char *const empty[] = { "：｜", "： ｜", "：\n", "： \n",
	    "｜｜", "｜\n", "期限 ｜", "请于  前", "请于 **** 前", "{", "}",
	    NULL };
	const char *const	*w;
	struct channel		 ch;
	struct msg_batch	 b;
	struct msg_part		*parts;
	size_t			 nparts, a, i, k, seen;
	char			*err = NULL, path[1024];
	const char		*dir = getenv("MESSAGE_SAMPLES");
	FILE			*f;

	for (i = 0; i < 50; i++) {
		memset(&items[i], 0, sizeof items[i]);
		snprintf(names[i], sizeof names[i], "滨江科创产业园第%03zu期工程",
		    i);
		items[i].id = (int64_t)i + 1;
		items[i].project_code = names[i];
		items[i].project_name = names[i];
		items[i].category = (char *)(uintptr_t)"社会投资类";
		items[i].kind = (char *)(uintptr_t)kinds[i % 5];
		items[i].department = (char *)(uintptr_t)depts[i % 4];
		items[i].handler = (char *)(uintptr_t)"承办人甲";
		items[i].mode = (char *)(uintptr_t)MODE_SUPPLEMENT;
		items[i].status = (char *)(uintptr_t)STATUS_ACCEPTED;
		items[i].accepted_at = due0 - 10 * 86400;
		entries[i].item = &items[i];
		entries[i].due = due0 + (int64_t)(i % 3) * 86400;
		entries[i].rectify_due = rectify;
	}
	for (a = 0; a < sizeof apps / sizeof apps[0]; a++) {
		memset(&ch, 0, sizeof ch);
		ch.name = (char *)(uintptr_t)apps[a].name;
		ch.type = apps[a].type;
		ch.format = apps[a].format;
		memset(&b, 0, sizeof b);
		b.channel = &ch;
		b.template = template;
		b.stage = stage;
		b.stage_label = label;
		b.severity = "warning";
		b.group = "社会投资类推进组";
		b.category = "社会投资类";
		b.entries = entries;
		b.nentries = 50;
		ck_assert_msg(message_render(conf, &b, now, &parts, &nparts,
		    &err) == 0, "%s", err);
		f = NULL;
		if (dir != NULL) {
			snprintf(path, sizeof path, "%s/%s.%s.txt", dir,
			    template, apps[a].name);
			f = fopen(path, "w");
		}
		for (i = 0; i < nparts; i++) {
			const char *t = parts[i].text;
			if (f != NULL)
				fprintf(f, "=== %s\n%s\n", parts[i].title, t);
			{
				struct message m;
				memset(&m, 0, sizeof m);
				m.title = parts[i].title;
				m.text = t;
				m.severity = "warning";
				ck_assert_uint_gt(channel_measure(&ch, &m), 0);
				ck_assert_uint_le(channel_measure(&ch, &m),
				    channel_limit(&ch));
			}
			ck_assert(utf8_valid(t, strlen(t)));
			for (w = empty; *w != NULL; w++)
				ck_assert_msg(strstr(t, *w) == NULL,
				    "%s %s: \"%s\" in:\n%s", template,
				    apps[a].name, *w, t);
			for (w = never; *w != NULL; w++)
				ck_assert_msg(strstr(t, *w) == NULL,
				    "%s %s: \"%s\" in:\n%s", template,
				    apps[a].name, *w, t);
		}
		if (f != NULL)
			fclose(f);
		/* What the message says, in one part or another. */
		for (w = want; *w != NULL; w++) {
			for (i = 0; i < nparts; i++) {
				if (strstr(parts[i].text, *w) != NULL)
					break;
			}
			ck_assert_msg(i < nparts, "%s %s: no \"%s\" in:\n%s",
			    template, apps[a].name, *w, parts[0].text);
		}
		/* Every item once across the parts. */
		for (k = 0; k < 50; k++) {
			for (seen = 0, i = 0; i < nparts; i++) {
				const char *p = parts[i].text;
				while ((p = strstr(p, names[k])) != NULL) {
					seen++;
					p += strlen(names[k]);
				}
			}
			ck_assert_msg(seen == 1, "%s %s: %s seen %zu times",
			    template, apps[a].name, names[k], seen);
		}
		message_parts_free(parts, nparts);
	}
}

/* The 约谈 notice states the rectification deadline the interview set. */
START_TEST(test_interview_rectify_deadline)
{
	static const char *const want[] = { "【约谈】",
	    "前整改办结", "2026年12月1日 09:00", "时限 2026-11-16 18:00",
	    NULL };
	static const char *const never[] = { NULL };
	int64_t	 now = at("2026-11-24 09:00");

	/* What the step gives the track, the notice states. */
	ck_assert_int_eq(rules_rectify_due(conf->calendar,
	    &config_policy(conf, "default")->stages[3], now, NULL),
	    at("2026-12-01 09:00"));
	ck_assert_int_eq(rules_rectify_due(conf->calendar,
	    &config_policy(conf, "default")->stages[2], now, NULL), 0);
	render_50("interview", "interview", "约谈", at("2026-11-16 18:00"),
	    at("2026-12-01 09:00"), now, want, never);
}
END_TEST

/* The overdue notices of 容缺受理 and 告知承诺 say what is overdue, whose,
 * and by which deadline: the track's, not the approval's. */
START_TEST(test_supplement_commitment_overdue)
{
	static const char *const sup_want[] = { "【容缺补正逾期】",
	    "补正期限 2026-11-16 18:00", "项目建设单位", "建设工程审批科",
	    "逾期5个工作日", "社会投资类推进组", NULL };
	static const char *const com_want[] = { "【告知承诺逾期】",
	    "承诺期限 2026-11-16 18:00", "申请人", "投资项目审批科",
	    "逾期5个工作日", NULL };
	/* Not the approval's overdue story, nor the next rung's threat. */
	static const char *const never[] = { "审批事项超期未办结", "约谈",
	    "说明原因", "时限 ", NULL };
	const struct policy	*p;

	p = config_policy(conf, "supplement");
	ck_assert_str_eq(p->stages[p->nstages - 1].template,
	    "supplement-overdue");
	p = config_policy(conf, "commitment");
	ck_assert_str_eq(p->stages[p->nstages - 1].template,
	    "commitment-overdue");
	render_50("supplement-overdue", "supplement-supervision", "容缺补正逾期督查",
	    at("2026-11-16 18:00"), 0, at("2026-11-23 09:00"), sup_want, never);
	render_50("commitment-overdue", "commitment-supervision", "告知承诺逾期督查",
	    at("2026-11-16 18:00"), 0, at("2026-11-23 09:00"), com_want, never);
}
END_TEST

/* A shortened line ends in an ellipsis and leaves no markup open. */
START_TEST(test_shorten)
{
	char	*s;

	s = part_shorten("**项目甲**｜<font color=\"warning\">超期五个工作日</font>", 40);
	ck_assert_uint_le(strlen(s), 40);
	ck_assert(utf8_valid(s, strlen(s)));
	ck_assert_ptr_null(strstr(s, "<font"));
	ck_assert_str_eq(s + strlen(s) - 3, PART_ELLIPSIS);
	free(s);
	s = part_shorten("前缀 **项目甲乙丙丁**", 18);
	ck_assert_ptr_null(strstr(s, "**"));
	free(s);
	s = part_shorten("短", 40);
	ck_assert_str_eq(s, "短");
	free(s);
}
END_TEST

/*
 * 200 items, 150 people, every app: each part's request fits the vendor's
 * limit with the mentions of its own items (those its format cannot carry
 * in its follow-up), every item once, and one item line longer than a
 * whole part is shortened.
 */
START_TEST(test_mentions_per_part)
{
	static struct person	 people[150];
	static struct msg_mention mm[200];
	static char		 mob[150][16], uid[150][16];
	static char		 longname[9000];
	struct channel		 ch;
	struct msg_batch	 b;
	struct msg_part		*parts;
	struct message		 m;
	size_t			 nparts, a, i, k, seen;
	char			*err = NULL;
	int			 ids, mobs;

	for (i = 0; i < 150; i++) {
		snprintf(mob[i], sizeof mob[i], "138000%05zu", i);
		snprintf(uid[i], sizeof uid[i], "u%03zu", i);
		memset(&people[i], 0, sizeof people[i]);
		people[i].name = mob[i];
		people[i].mobile = mob[i];
		if (i % 2 == 0)
			people[i].wecom = people[i].dingtalk = uid[i];
		people[i].feishu = uid[i];
	}
	for (i = 0; i < sizeof longname - 1; i++)
		longname[i] = "**x"[i % 3];
	for (a = 0; a < sizeof apps / sizeof apps[0]; a++) {
		for (i = 0; i < 200; i++) {
			memset(&items[i], 0, sizeof items[i]);
			snprintf(names[i], sizeof names[i], "工程%03zu号", i);
			items[i].id = (int64_t)i + 1;
			items[i].project_code = names[i];
			items[i].project_name = i == 7 ? longname : names[i];
			items[i].kind = (char *)(uintptr_t)"立项";
			items[i].department = (char *)(uintptr_t)"投资项目审批科";
			memset(&entries[i], 0, sizeof entries[i]);
			entries[i].item = &items[i];
			entries[i].due = at("2026-11-16 18:00") + (int64_t)i;
			enqueue_mention_plan(apps[a].type, &people[i % 150],
			    &mm[i].uid, &mm[i].mobile, &ids);
			mm[i].name = ids ? people[i % 150].name : NULL;
			entries[i].mentions = &mm[i];
			entries[i].nmentions = 1;
		}
		memset(&ch, 0, sizeof ch);
		ch.name = (char *)(uintptr_t)apps[a].name;
		ch.type = apps[a].type;
		ch.format = apps[a].format;
		memset(&b, 0, sizeof b);
		b.channel = &ch;
		b.template = "reminder";
		b.stage = "reminder";
		b.stage_label = "催办";
		b.severity = "warning";
		b.group = "社会投资类推进组";
		b.entries = entries;
		b.nentries = 200;
		ck_assert_msg(message_render(conf, &b, at("2026-11-20 09:00"),
		    &parts, &nparts, &err) == 0, "%s", err);
		if (apps[a].type != CHANNEL_WEBHOOK)
			ck_assert_uint_gt(nparts, 1);
		for (i = 0; i < nparts; i++) {
			memset(&m, 0, sizeof m);
			m.title = parts[i].title;
			m.text = parts[i].text;
			m.severity = "warning";
			/* Its own people, as JSON arrays: measured as sent. */
			{
				json_t *ju = parts[i].who.userids ? json_loads(
				    parts[i].who.userids, 0, NULL) : NULL;
				json_t *jm = parts[i].who.mobiles ? json_loads(
				    parts[i].who.mobiles, 0, NULL) : NULL;
				const char *uv[200], *mv[200];
				size_t nu = 0, nm = 0, j;
				for (j = 0; ju && j < json_array_size(ju); j++)
					uv[nu++] = json_string_value(
					    json_array_get(ju, j));
				for (j = 0; jm && j < json_array_size(jm); j++)
					mv[nm++] = json_string_value(
					    json_array_get(jm, j));
				m.userids = uv;
				m.nuserids = nu;
				m.mobiles = mv;
				m.nmobiles = nm;
				ck_assert_uint_gt(channel_measure(&ch, &m), 0);
				ck_assert_msg(channel_measure(&ch, &m) <=
				    channel_limit(&ch), "%s part %zu: %zu bytes",
				    apps[a].name, i, channel_measure(&ch, &m));
				/* Only the people of its own items. */
				for (j = 0; j < parts[i].nentries; j++) {
					const struct msg_mention *x =
					    parts[i].entries[j]->mentions;
					const char *w = x->uid ? x->uid :
					    x->mobile;
					const char *in = x->uid ?
					    parts[i].who.userids : x->mobile ?
					    (parts[i].who.mobiles ?
					    parts[i].who.mobiles :
					    parts[i].follow.mobiles) : NULL;
					if (w != NULL)
						ck_assert_ptr_nonnull(in != NULL ?
						    strstr(in, w) : NULL);
				}
				ck_assert_uint_le(nu + nm,
				    parts[i].nentries);
				json_decref(ju);
				json_decref(jm);
			}
			channel_mentions_carried(&ch, &m, &ids, &mobs);
			if (!mobs)
				ck_assert_ptr_null(parts[i].who.mobiles);
			ck_assert(utf8_valid(parts[i].text,
			    strlen(parts[i].text)));
		}
		for (k = 0; k < 200; k++) {
			for (seen = 0, i = 0; i < nparts; i++)
				for (size_t j = 0; j < parts[i].nentries; j++)
					seen += parts[i].entries[j]->item->id ==
					    (int64_t)k + 1;
			ck_assert_uint_eq(seen, 1);
		}
		message_parts_free(parts, nparts);
	}
}
END_TEST

/*
 * The splitting against a straightforward reference: 300 items and 50
 * people, every app and format.  The reference renders entries [a, e)
 * alone as one part (on a channel without a limit), marks it at its
 * widest, measures it with its own people through channel_measure(), and
 * grows e one item at a time while that fits: the parts message_render()
 * gives must be exactly those, title, text, mentions and follow-up, byte
 * for byte.  The test's own template has no {index} or {count} (so a
 * part rendered alone is the part); the items carry JSON's special
 * characters, markdown, a keyword and PART_MARK itself, and the lines
 * vary in length so that parts end at many different points.
 */
#define SPLIT_N		300
#define SPLIT_PEOPLE	50

static const char split_template[] =
    "@title\n"
    "【拆分】{group}{part}\n"
    "@header\n"
    "**【拆分核对】**审批事项已到期{part}\n"
    "推进组：{group}　{mentions}\n"
    "@item\n"
    "- **{project}**｜{item}｜{department} {handler}｜时限 {deadline}\n"
    "?   超期：{overdue_days}个工作日 {reason}\n"
    "@footer\n"
    "\n"
    "请抓紧办理。{mentions}\n";

static struct item_row	 split_items[SPLIT_N];
static struct msg_entry	 split_entries[SPLIT_N];
static struct msg_mention split_mm[SPLIT_N];
static char		 split_names[SPLIT_N][160];

static const struct msg_entry *
split_get(void *arg, size_t i)
{
	return (&((const struct msg_entry *)arg)[i]);
}

/* A JSON array of strings as a vector (n 0 for NULL). */
static size_t
split_strings(const char *json, json_t **keep, const char **v)
{
	size_t	 i, n = 0;

	*keep = json != NULL ? json_loads(json, 0, NULL) : NULL;
	for (i = 0; *keep != NULL && i < json_array_size(*keep); i++)
		v[n++] = json_string_value(json_array_get(*keep, i));
	return (n);
}

/* Whether a part (PART_MARK in it) fits the app when sent: its request,
 * and the text follow-up of the people its format cannot carry. */
static int
split_fits(const struct channel *ch, const struct msg_part *p,
    const char *severity)
{
	struct message	 m;
	json_t		*j[4];
	const char	*v[4][SPLIT_PEOPLE];
	size_t		 n[4], size, i;
	char		*wt, *wx, *wf;
	int		 fits;

	n[0] = split_strings(p->who.userids, &j[0], v[0]);
	n[1] = split_strings(p->who.mobiles, &j[1], v[1]);
	n[2] = split_strings(p->follow.userids, &j[2], v[2]);
	n[3] = split_strings(p->follow.mobiles, &j[3], v[3]);
	wt = part_mark(p->title, 999, 999);
	wx = part_mark(p->text, 999, 999);
	memset(&m, 0, sizeof m);
	m.title = wt;
	m.text = wx;
	m.severity = severity;
	m.userids = v[0];
	m.nuserids = n[0];
	m.mobiles = v[1];
	m.nmobiles = n[1];
	size = channel_measure(ch, &m);
	fits = size > 0 && size <= channel_limit(ch);
	if (p->follow_text != NULL) {
		wf = part_mark(p->follow_text, 999, 999);
		memset(&m, 0, sizeof m);
		m.format = FORMAT_TEXT;
		m.title = wt;
		m.text = wf;
		m.userids = v[2];
		m.nuserids = n[2];
		m.mobiles = v[3];
		m.nmobiles = n[3];
		size = channel_measure(ch, &m);
		if (size == 0 || size > (ch->type == CHANNEL_WECOM ?
		    (size_t)2048 : channel_limit(ch)))
			fits = 0;
		free(wf);
	}
	free(wt);
	free(wx);
	for (i = 0; i < 4; i++)
		json_decref(j[i]);
	return (fits);
}

/* Entries [a, e) rendered alone as one part; 1 if it fits the app. */
static int
split_alone(const struct channel *ch, const struct msg_batch *b, size_t a,
    size_t e, struct msg_part *p)
{
	struct channel		 big = *ch;
	struct msg_batch	 sb = *b;
	struct msg_stream	 ms;
	size_t			 from, to;
	char			*err = NULL;

	big.max_bytes = (size_t)1 << 30;
	sb.channel = &big;
	sb.entries = split_entries + a;
	sb.nentries = e - a;
	ck_assert_int_eq(message_stream_begin(&ms, conf, &sb, b->entries[0].due
	    + 86400 * 3, e - a, split_get, split_entries + a, &err), 0);
	ck_assert_int_eq(message_stream_next(&ms, p, &from, &to), 1);
	ck_assert_uint_eq(to - from, e - a);
	message_stream_end(&ms);
	return (split_fits(ch, p, b->severity));
}

/* Two strings alike, NULL only as NULL. */
static void
split_same(const char *what, size_t i, const char *x, const char *y)
{
	ck_assert_msg((x == NULL) == (y == NULL) && (x == NULL ||
	    strcmp(x, y) == 0), "%s of part %zu differs:\n%s\n--\n%s", what,
	    i, x ? x : "(null)", y ? y : "(null)");
}

START_TEST(test_split_reference)
{
	static const struct {
		enum channel_type	 type;
		enum channel_format	 format;
		size_t			 max;
	} apps2[] = {
		{ CHANNEL_WECOM, FORMAT_TEXT, 0 },
		{ CHANNEL_WECOM, FORMAT_MARKDOWN, 0 },
		{ CHANNEL_DINGTALK, FORMAT_MARKDOWN, 0 },
		{ CHANNEL_DINGTALK, FORMAT_TEXT, 0 },
		{ CHANNEL_DINGTALK, FORMAT_ACTIONCARD, 0 },
		{ CHANNEL_FEISHU, FORMAT_CARD, 0 },
		{ CHANNEL_FEISHU, FORMAT_POST, 0 },
		{ CHANNEL_FEISHU, FORMAT_TEXT, 0 },
		{ CHANNEL_WEBHOOK, FORMAT_JSON, 0 },
		{ CHANNEL_WEBHOOK, FORMAT_JSON, 7000 },
	};
	static const char *const special[] = { "\"引号\"", "反斜杠\\",
	    "制表\t符", "<b>&amp;</b>", "**粗**", "[链](x)", PART_MARK,
	    "换\r行", "拆分" };
	static struct person	 people[SPLIT_PEOPLE];
	static char		 mob[SPLIT_PEOPLE][16], uid[SPLIT_PEOPLE][16];
	static char		*keywords[] = { (char *)(uintptr_t)"拆分" };
	struct template_entry	*te;
	struct channel		 ch;
	struct msg_batch	 b;
	struct msg_part		*parts, ref;
	size_t			 nparts, a, i, e, k, total;
	char			*err = NULL, *x;
	int			 by_name;
	int64_t			 due = at("2026-11-16 18:00");

	/* The test's own template, for every app. */
	conf->templates = xreallocarray(conf->templates, conf->ntemplates + 1,
	    sizeof *conf->templates);
	te = &conf->templates[conf->ntemplates++];
	memset(te, 0, sizeof *te);
	te->name = xstrdup("split-reference");
	te->type = -1;
	ck_assert_msg(template_set_parse(split_template, "split-reference",
	    &te->set, &err) == 0, "%s", err);

	for (i = 0; i < SPLIT_PEOPLE; i++) {
		snprintf(mob[i], sizeof mob[i], "139%08zu", i);
		snprintf(uid[i], sizeof uid[i], "id%03zu", i);
		memset(&people[i], 0, sizeof people[i]);
		people[i].name = mob[i];
		if (i % 5 != 4)
			people[i].mobile = mob[i];
		if (i % 2 == 0)
			people[i].wecom = people[i].dingtalk = uid[i];
		if (i % 3 != 1)
			people[i].feishu = uid[i];
	}
	for (a = 0; a < sizeof apps2 / sizeof apps2[0]; a++) {
		for (i = 0; i < SPLIT_N; i++) {
			memset(&split_items[i], 0, sizeof split_items[i]);
			snprintf(split_names[i], sizeof split_names[i],
			    "工程%03zu号%s%.*s", i, special[i % 9],
			    (int)(i * 37 % 41) * 3, "一二三四五六七八九十一二"
			    "三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
			    "一二三四五六七八九十一二三四五六七八九十");
			split_items[i].id = (int64_t)i + 1;
			split_items[i].project_code = split_names[i];
			split_items[i].project_name = split_names[i];
			split_items[i].kind = (char *)(uintptr_t)"规划许可";
			split_items[i].department =
			    (char *)(uintptr_t)"建设工程审批科";
			split_items[i].handler = i % 4 == 0 ?
			    (char *)(uintptr_t)mob[i % SPLIT_PEOPLE] :
			    (char *)(uintptr_t)"承办人";
			memset(&split_entries[i], 0, sizeof split_entries[i]);
			split_entries[i].item = &split_items[i];
			/* Display order is the array's. */
			split_entries[i].due = due + (int64_t)i;
			split_entries[i].reason = i % 6 == 0 ? "材料\"不全\"" :
			    NULL;
			if (i % 10 != 9) {
				enqueue_mention_plan(apps2[a].type,
				    &people[i * 7 % SPLIT_PEOPLE],
				    &split_mm[i].uid, &split_mm[i].mobile,
				    &by_name);
				split_mm[i].name = by_name ?
				    people[i * 7 % SPLIT_PEOPLE].name : NULL;
				split_entries[i].mentions = &split_mm[i];
				split_entries[i].nmentions = 1;
			}
		}
		memset(&ch, 0, sizeof ch);
		ch.name = (char *)(uintptr_t)"split";
		ch.type = apps2[a].type;
		ch.format = apps2[a].format;
		ch.max_bytes = apps2[a].max;
		if (ch.type == CHANNEL_DINGTALK) {
			ch.secret = (char *)(uintptr_t)"SECsplit";
			ch.keywords = keywords;
			ch.nkeywords = 1;
		}
		memset(&b, 0, sizeof b);
		b.channel = &ch;
		b.template = "split-reference";
		b.stage = "reminder";
		b.stage_label = "催办";
		b.severity = "warning";
		b.group = "社会投资类推进组";
		b.entries = split_entries;
		b.nentries = SPLIT_N;
		ck_assert_msg(message_render(conf, &b, due + 86400 * 3, &parts,
		    &nparts, &err) == 0, "%s", err);
		/* The reference, part by part. */
		for (i = 0, k = 0, total = 0; i < SPLIT_N; k++) {
			ck_assert_msg(split_alone(&ch, &b, i, i + 1, &ref),
			    "app %zu: item %zu alone does not fit", a, i);
			for (e = i + 1; e < SPLIT_N; e++) {
				struct msg_part more;
				int fits = split_alone(&ch, &b, i, e + 1, &more);
				message_part_clear(&more);
				if (!fits)
					break;
			}
			message_part_clear(&ref);
			split_alone(&ch, &b, i, e, &ref);
			ck_assert_msg(k < nparts, "app %zu: more parts in the "
			    "reference than %zu", a, nparts);
			ck_assert_msg(parts[k].nentries == e - i,
			    "app %zu part %zu: %zu items, the reference %zu",
			    a, k, parts[k].nentries, e - i);
			ck_assert(parts[k].entries[0] == &split_entries[i]);
			x = part_mark(ref.title, k + 1, nparts);
			split_same("title", k, parts[k].title, x);
			free(x);
			x = part_mark(ref.text, k + 1, nparts);
			split_same("text", k, parts[k].text, x);
			free(x);
			x = part_mark(ref.follow_text, k + 1, nparts);
			split_same("follow-up", k, parts[k].follow_text, x);
			free(x);
			split_same("user ids", k, parts[k].who.userids,
			    ref.who.userids);
			split_same("mobiles", k, parts[k].who.mobiles,
			    ref.who.mobiles);
			split_same("follow-up ids", k, parts[k].follow.userids,
			    ref.follow.userids);
			split_same("follow-up mobiles", k,
			    parts[k].follow.mobiles, ref.follow.mobiles);
			message_part_clear(&ref);
			total += e - i;
			i = e;
		}
		ck_assert_uint_eq(k, nparts);
		ck_assert_uint_eq(total, SPLIT_N);
		if (ch.max_bytes != 0 || ch.type != CHANNEL_WEBHOOK)
			ck_assert_uint_gt(nparts, 1);
		message_parts_free(parts, nparts);
	}
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
	tcase_add_test(tc, test_shorten);
	tcase_add_test(tc, test_mentions_per_part);
	tcase_add_test(tc, test_answer_links);
	tcase_add_test(tc, test_split_reference);
	tcase_add_test(tc, test_interview_rectify_deadline);
	tcase_add_test(tc, test_supplement_commitment_overdue);
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
