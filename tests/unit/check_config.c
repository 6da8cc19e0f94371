/*
 * Unit tests for config.c: the shipped rules load cleanly, durations parse
 * and print back, and broken configurations (written to a fresh temporary
 * directory per test, plus the fixtures in tests/unit/config/) produce the
 * expected "file:line: message" problems.  Runs from the repository root.
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escalator.h"

#define SHIPPED		"rules/approval-escalatord.conf"
#define FIXTURES	"tests/unit/config"

/* A distinctive secret that must never show in any problem or warning. */
#define SECRET		"Zq8-S3CRET-must-never-leak-7Hx"

/* The temporary directory of the running test. */
static char	 tmpdir[] = "/tmp/check_config.XXXXXX";
static char	 tmppath[4096];

/* The outcome of one config_load(). */
struct result {
	struct config	*cf;
	char		**problems;
	size_t		 n;
};

/* Create the temporary directory and its template directory. */
static void
setup(void)
{
	strcpy(tmpdir, "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(tmppath, sizeof tmppath, "%s/tmpl", tmpdir);
	ck_assert_int_eq(mkdir(tmppath, 0755), 0);
}

/* Remove the temporary directory and everything in it. */
static void
teardown(void)
{
	char	 cmd[4200];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The path of a file in the temporary directory (static buffer). */
static const char *
tmp(const char *name)
{
	snprintf(tmppath, sizeof tmppath, "%s/%s", tmpdir, name);
	return (tmppath);
}

/* Write a file in the temporary directory with a mode. */
static void
write_file(const char *name, const char *text, mode_t mode)
{
	FILE	*f;

	f = fopen(tmp(name), "w");
	ck_assert_msg(f != NULL, "%s: %s", tmppath, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(tmppath, mode), 0);
}

/* Write the minimal templates the test configurations use. */
static void
write_templates(void)
{
	static const char *const names[] = {
		"warning", "reminder", "done", NULL
	};
	const char *const	*n;
	char			 name[64];

	for (n = names; *n != NULL; n++) {
		snprintf(name, sizeof name, "tmpl/%s.tmpl", *n);
		write_file(name, "@title\n{stage_label} {count}\n@item\n"
		    "{index}. {project} {deadline}\n", 0644);
	}
}

/* Load a configuration. */
static struct result
load(const char *path)
{
	struct result	 r;

	memset(&r, 0, sizeof r);
	r.cf = config_load(path, &r.problems, &r.n);
	return (r);
}

/* Write main.conf in the temporary directory and load it. */
static struct result
load_text(const char *text)
{
	write_templates();
	write_file("main.conf", text, 0644);
	return (load(tmp("main.conf")));
}

/* Free a result. */
static void
result_free(struct result *r)
{
	config_free(r->cf);
	config_problems_free(r->problems, r->n);
	memset(r, 0, sizeof *r);
}

/* Print every problem, to make a failure easy to read. */
static void
dump(const struct result *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		fprintf(stderr, "  problem: %s\n", r->problems[i]);
}

/* Whether some string of a list starts with "<tmpdir>/<file>:<line>: <msg>"
 * (file NULL: the expectation is the whole prefix, as given). */
static int
has(char **list, size_t n, const char *file, int line, const char *msg)
{
	char	 want[8192];
	size_t	 i;

	if (file == NULL)
		snprintf(want, sizeof want, "%s", msg);
	else if (line > 0)
		snprintf(want, sizeof want, "%s/%s:%d: %s", tmpdir, file, line,
		    msg);
	else
		snprintf(want, sizeof want, "%s/%s: %s", tmpdir, file, msg);
	for (i = 0; i < n; i++) {
		if (strncmp(list[i], want, strlen(want)) == 0)
			return (1);
	}
	return (0);
}

/* Assert a failed load reported a problem at file:line starting msg. */
#define ck_problem(r, file, line, msg) do {				\
	if (!has((r)->problems, (r)->n, (file), (line), (msg)))		\
		dump(r);						\
	ck_assert_ptr_null((r)->cf);					\
	ck_assert_msg(has((r)->problems, (r)->n, (file), (line), (msg)),\
	    "no problem %s:%d: %s", (file), (line), (msg));		\
} while (0)

/* Assert a load succeeded. */
#define ck_loaded(r) do {						\
	if ((r)->cf == NULL)						\
		dump(r);						\
	ck_assert_ptr_nonnull((r)->cf);					\
	ck_assert_uint_eq((r)->n, 0);					\
} while (0)

/* Whether a secret string occurs in any problem or warning. */
static int
leaks(const struct result *r, const char *secret)
{
	size_t	 i;

	for (i = 0; i < r->n; i++) {
		if (strstr(r->problems[i], secret) != NULL)
			return (1);
	}
	if (r->cf != NULL) {
		for (i = 0; i < r->cf->nwarnings; i++) {
			if (strstr(r->cf->warnings[i], secret) != NULL)
				return (1);
		}
	}
	return (0);
}

/* A minimal valid configuration; tests below vary copies of it. */
#define BASE_HEAD							\
	"database = \"test.db\";\n"			/* 1 */		\
	"templates = \"tmpl\";\n"			/* 2 */		\
	"windows = ( { name = \"office\"; start = \"08:30\"; "		\
	    "end = \"18:00\"; } );\n"			/* 3 */
#define BASE_CHANNELS							\
	"channels = (\n"				/* 4 */		\
	"  { name = \"chat\"; type = \"wecom\"; key = \"k1\"; }\n" /* 5 */ \
	");\n"						/* 6 */
#define BASE_POLICIES							\
	"policies = (\n"				/* 7 */		\
	"  { name = \"p\"; done_notice = false; stages = (\n" /* 8 */	\
	"    { name = \"warning\"; label = \"临期提醒\"; offset = \"-2wd\"; " \
	    "to = [ \"chat\" ]; }\n"			/* 9 */		\
	"  ); }\n"					/* 10 */	\
	");\n"						/* 11 */

/* ------------------------------------------------------------------ */

/* The shipped PLACEHOLDER credentials load (for these tests) but are
 * listed with file:line for main.c and the reload to refuse; real-looking
 * ones, and a placeholder read from a key file, are told apart. */
START_TEST(test_placeholders)
{
	struct result	 r;
	char		**problems = NULL;
	size_t		 n = 0, i;

	r = load(SHIPPED);
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nplaceholders, 7);
	ck_assert_str_eq(r.cf->placeholders[0], "rules/channels.conf:21: "
	    "channel 'social': the webhook key is the placeholder "
	    "PLACEHOLDER...; put the robot's real webhook key here, or in a "
	    "file named by 'key_file' (from the robot's webhook address in the "
	    "WeCom group's settings (群机器人), the part after key=)");
	ck_assert_ptr_nonnull(strstr(r.cf->placeholders[2],
	    "rules/channels.conf:35: channel 'urban': the signing secret"));
	for (i = 0; i < r.cf->nplaceholders; i++)
		ck_assert_ptr_null(strstr(r.cf->placeholders[i], "robot-key"));
	problems = xcalloc(1, sizeof *problems);
	problems[0] = xstrdup("earlier");
	n = 1;
	ck_assert_uint_eq(config_placeholder_problems(r.cf, &problems, &n), 7);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(problems[0], "earlier");
	ck_assert_str_eq(problems[1], r.cf->placeholders[0]);
	config_problems_free(problems, n);
	result_free(&r);

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES);
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nplaceholders, 0);
	problems = NULL;
	n = 0;
	ck_assert_uint_eq(config_placeholder_problems(r.cf, &problems, &n), 0);
	ck_assert_ptr_null(problems);
	result_free(&r);

	write_file("chat.key", "PLACEHOLDER\n", 0600);
	r = load_text(BASE_HEAD "channels = (\n  { name = \"chat\"; type = "
	    "\"feishu\"; key_file = \"chat.key\"; secret = \"s\"; }\n);\n"
	    BASE_POLICIES);
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nplaceholders, 1);
	ck_assert_ptr_nonnull(strstr(r.cf->placeholders[0], "main.conf:5: "
	    "channel 'chat': the hook token in the file named by 'key_file' "
	    "is the placeholder"));
	result_free(&r);
}
END_TEST

/* The shipped rules load cleanly and mean what they say. */
START_TEST(test_shipped)
{
	struct result			 r;
	const struct config		*cf;
	const struct policy		*p;
	const struct group		*g;
	struct channel			*c;
	const struct window		*w;
	const struct person		*who;
	int32_t				 day;
	int				 uncovered = 0;
	char				 buf[32];

	r = load(SHIPPED);
	ck_loaded(&r);
	cf = r.cf;
	ck_assert_uint_eq(cf->nwarnings, 0);

	ck_assert_str_eq(cf->database, "rules/escalator.db");
	ck_assert_str_eq(cf->timezone, "Asia/Shanghai");
	ck_assert_int_eq(cf->socket_mode, 0660);
	ck_assert_int_eq(cf->deadline_min, 18 * 60);
	ck_assert_int_eq(cf->calendar_last_year, 2026);
	ck_assert_ptr_null(cf->listen);

	/* 春节 2026: Sat 2/14 is a make-up working day, 2/16 is off. */
	ck_assert_int_eq(calendar_parse_date("2026-02-14", &day), 0);
	ck_assert_int_eq(calendar_is_workday(cf->calendar, day, &uncovered), 1);
	ck_assert_int_eq(calendar_parse_date("2026-02-16", &day), 0);
	ck_assert_int_eq(calendar_is_workday(cf->calendar, day, &uncovered), 0);
	ck_assert_int_eq(uncovered, 0);

	c = config_channel(cf, "urban");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->type, CHANNEL_DINGTALK);
	ck_assert_uint_eq(c->nkeywords, 1);
	ck_assert_str_eq(c->keywords[0], "督办");
	ck_assert_ptr_nonnull(c->secret);
	ck_assert_int_eq(c->per_minute, 20);
	ck_assert_str_eq(c->file, "rules/channels.conf");
	c = config_channel(cf, "industry");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->type, CHANNEL_FEISHU);
	ck_assert_int_eq(c->per_second, 5);
	ck_assert_ptr_nonnull(config_channel(cf, "social"));
	ck_assert_ptr_nonnull(config_channel(cf, cf->admin_channel));
	ck_assert_ptr_nonnull(config_channel(cf, cf->head_channel));

	who = config_person(cf, cf->head);
	ck_assert_ptr_nonnull(who);
	ck_assert_str_eq(who->name, "专班负责人");
	ck_assert_ptr_eq(config_person(cf, "专班负责人"), who);
	ck_assert_ptr_nonnull(config_department(cf, "建设工程审批科"));
	ck_assert_ptr_nonnull(config_department(cf, "东城区行政审批局"));
	ck_assert_uint_eq(cf->ngroups, 3);
	g = config_group_for(cf, "城市建设类");
	ck_assert_ptr_nonnull(g);
	ck_assert_str_eq(g->channel, "urban");
	ck_assert_ptr_eq(config_group(cf, g->name), g);
	ck_assert_ptr_nonnull(config_group_for(cf, "工业“四改”类"));
	ck_assert_ptr_null(config_group_for(cf, "其他"));

	w = config_window(cf, 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(w->name, "office");
	ck_assert_int_eq(w->workdays_only, 1);
	ck_assert_int_eq(w->start_min, 8 * 60 + 30);
	ck_assert_int_eq(w->end_min, 18 * 60);
	ck_assert_ptr_null(config_window(cf, -1));

	p = config_policy_for(cf, TRACK_MAIN, "社会投资类", "建设工程审批科",
	    "施工许可", NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "default");
	ck_assert_int_eq(p->done_notice, 1);
	ck_assert_uint_eq(p->nstages, 5);
	ck_assert_str_eq(p->stages[0].name, "warning");
	ck_assert_str_eq(p->stages[4].name, "escalate");
	config_format_duration(&p->stages[0].offset, buf, sizeof buf);
	ck_assert_str_eq(buf, "-2wd");
	ck_assert_int_eq(p->stages[1].repeat.unit, DUR_WORKDAYS);
	ck_assert_int_eq(p->stages[1].repeat.n, 1);
	ck_assert_int_eq(p->stages[3].rectify.n, 5);
	ck_assert_str_eq(p->stages[4].severity, "critical");
	ck_assert_int_eq(p->stages[0].to[0].role, ROLE_HANDLER);
	ck_assert_int_eq(p->stages[3].to[0].role, ROLE_HEAD);
	ck_assert_str_eq(p->file, "rules/policies.conf");

	p = config_policy_for(cf, TRACK_STALE, NULL, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->stale_after.n, 5);
	ck_assert_int_eq(p->stale_after.unit, DUR_WORKDAYS);
	ck_assert_ptr_nonnull(config_policy(cf, "supplement"));
	ck_assert_ptr_nonnull(config_policy(cf, "commitment"));
	ck_assert_ptr_nonnull(config_policy(cf, "rectify"));

	ck_assert_ptr_nonnull(config_template(cf, "reminder", CHANNEL_WECOM));
	ck_assert_ptr_nonnull(config_template(cf, "reminder",
	    CHANNEL_DINGTALK));
	ck_assert_ptr_nonnull(config_template(cf, "done", CHANNEL_FEISHU));
	ck_assert_ptr_nonnull(config_template(cf, "test", CHANNEL_WECOM));
	/* No webhook channel: its type falls back to the plain file. */
	ck_assert_ptr_eq(config_template(cf, "reminder", CHANNEL_WEBHOOK),
	    config_template(cf, "reminder", (enum channel_type)-1));
	ck_assert_ptr_null(config_template(cf, "nosuch", CHANNEL_WECOM));

	result_free(&r);
}
END_TEST

/* Durations parse, print back, and garbage is refused. */
START_TEST(test_durations)
{
	static const struct {
		const char	*in;
		enum dur_unit	 unit;
		int64_t		 n;
		const char	*out;
	} good[] = {
		{ "30s", DUR_SECONDS, 30, "30s" },
		{ "30", DUR_SECONDS, 30, "30s" },
		{ "0", DUR_SECONDS, 0, "0s" },
		{ "90", DUR_SECONDS, 90, "90s" },
		{ "15m", DUR_SECONDS, 900, "15m" },
		{ "2h", DUR_SECONDS, 7200, "2h" },
		{ "-90m", DUR_SECONDS, -5400, "-90m" },
		{ "3d", DUR_DAYS, 3, "3d" },
		{ "+3d", DUR_DAYS, 3, "3d" },
		{ "-2wd", DUR_WORKDAYS, -2, "-2wd" },
		{ "0wd", DUR_WORKDAYS, 0, "0wd" },
		{ "10wd", DUR_WORKDAYS, 10, "10wd" },
	};
	static const char *const bad[] = {
		"", "wd", "d", "5x", "-", "+", "5 wd", " 5wd", "5wd ", "5wdd",
		"5W", "1.5d", "--1d", "+-1d", "5ms", "99999999999999999999s",
		"100001d", "0x10", "1e3",
	};
	struct duration	 d, back;
	char		 buf[32];
	size_t		 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_msg(config_parse_duration(good[i].in, &d) == 0,
		    "'%s' refused", good[i].in);
		ck_assert_int_eq(d.unit, good[i].unit);
		ck_assert_int_eq(d.n, good[i].n);
		config_format_duration(&d, buf, sizeof buf);
		ck_assert_str_eq(buf, good[i].out);
		ck_assert_int_eq(config_parse_duration(buf, &back), 0);
		ck_assert_int_eq(back.unit, d.unit);
		ck_assert_int_eq(back.n, d.n);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(config_parse_duration(bad[i], &d) == -1,
		    "'%s' accepted", bad[i]);
	ck_assert_int_eq(config_parse_duration(NULL, &d), -1);
}
END_TEST

/* The minimal configuration itself is valid, with its defaults. */
START_TEST(test_base)
{
	struct result	 r;
	struct channel	*c;

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES);
	ck_loaded(&r);
	c = config_channel(r.cf, "chat");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->per_minute, 20);
	ck_assert_int_eq(c->per_second, 0);
	ck_assert_int_eq(c->timeout, 10);
	ck_assert_int_eq(c->format, FORMAT_DEFAULT);
	ck_assert_uint_eq(c->max_bytes, 0);	/* the vendor's limit */
	ck_assert_uint_eq(channel_limit(c), 4096);
	ck_assert_str_eq(c->url, channel_default_url(CHANNEL_WECOM));
	ck_assert_str_eq(c->key, "k1");
	ck_assert_int_eq(c->line, 5);
	ck_assert_str_eq(c->file, tmp("main.conf"));
	ck_assert_str_eq(r.cf->database, tmp("test.db"));
	ck_assert_str_eq(r.cf->socket, "/run/approval-escalatord/control.sock");
	ck_assert_str_eq(r.cf->timezone, "Asia/Shanghai");
	ck_assert_int_eq(r.cf->calendar_last_year, 0);
	ck_assert_ptr_eq(config_policy_for(r.cf, TRACK_MAIN, "x", "y", "z",
	    "w"), config_policy(r.cf, "p"));
	ck_assert_ptr_null(config_policy_for(r.cf, TRACK_STALE, NULL, NULL,
	    NULL, NULL));
	result_free(&r);
}
END_TEST

/* A libconfig syntax error is reported with its file and line. */
START_TEST(test_syntax_error)
{
	struct result	 r;

	r = load_text(BASE_HEAD
	    "channels = ( { name = ; } );\n"		/* 4 */
	    BASE_POLICIES);
	ck_problem(&r, "main.conf", 4, "syntax error");
	ck_assert_uint_eq(r.n, 1);
	result_free(&r);
}
END_TEST

/* Unknown settings at every level, all reported in one go. */
START_TEST(test_unknown_keys)
{
	struct result	 r;

	r = load_text(BASE_HEAD
	    "channels = (\n"				/* 4 */
	    "  { name = \"chat\"; type = \"wecom\"; key = \"k1\";\n" /* 5 */
	    "    colour = \"red\"; }\n"			/* 6 */
	    ");\n"					/* 7 */
	    "policies = (\n"				/* 8 */
	    "  { name = \"p\"; done_notice = false; stages = (\n" /* 9 */
	    "    { name = \"warning\"; label = \"x\"; offset = \"-2wd\";\n"
	    "      to = [ \"chat\" ]; when = 3; }\n"	/* 11 */
	    "  ); match = { colours = [ \"red\" ]; }; }\n" /* 12 */
	    ");\n"					/* 13 */
	    "foo = 1;\n");				/* 14 */
	ck_problem(&r, "main.conf", 6, "unknown setting 'colour'");
	ck_problem(&r, "main.conf", 11, "unknown setting 'when'");
	ck_problem(&r, "main.conf", 12, "unknown setting 'colours'");
	ck_problem(&r, "main.conf", 14, "unknown setting 'foo'");
	ck_assert_uint_eq(r.n, 4);
	result_free(&r);
}
END_TEST

/* Settings of the wrong type. */
START_TEST(test_wrong_type)
{
	struct result	 r;

	r = load_text(BASE_HEAD
	    "channels = (\n"				/* 4 */
	    "  { name = \"chat\"; type = \"wecom\"; key = \"k1\";\n" /* 5 */
	    "    per_minute = \"20\";\n"		/* 6 */
	    "    timeout = 0; }\n"			/* 7 */
	    ");\n"					/* 8 */
	    "policies = (\n"				/* 9 */
	    "  { name = \"p\"; done_notice = \"no\"; stages = (\n" /* 10 */
	    "    { name = \"warning\"; label = \"x\"; offset = \"-2wd\";\n"
	    "      to = \"chat\"; }\n"			/* 12 */
	    "  ); }\n"					/* 13 */
	    ");\n");					/* 14 */
	ck_problem(&r, "main.conf", 6, "'per_minute' must be an integer");
	ck_problem(&r, "main.conf", 7, "'timeout' must be between 1 and");
	ck_problem(&r, "main.conf", 10, "'done_notice' must be true or false");
	ck_problem(&r, "main.conf", 12, "'to' must be a list of strings");
	result_free(&r);
}
END_TEST

/* References to things that do not exist. */
START_TEST(test_dangling)
{
	struct result	 r;

	r = load_text(BASE_HEAD
	    "channels = (\n"				/* 4 */
	    "  { name = \"chat\"; type = \"wecom\"; key = \"k1\";\n" /* 5 */
	    "    window = \"night\"; }\n"		/* 6 */
	    ");\n"					/* 7 */
	    "people = ( { id = \"p1\"; name = \"组长\"; mobile = \"12345\"; } );\n"
	    "groups = ( { name = \"g\"; leader = \"p9\"; channel = \"nope\";\n"
	    "  categories = [ \"社会投资类\" ]; } );\n"	/* 10 */
	    "head_channel = \"boss\";\n"		/* 11 */
	    "policies = (\n"				/* 12 */
	    "  { name = \"p\"; done_notice = false; window = \"lunch\";\n"
	    "    stages = (\n"				/* 14 */
	    "    { name = \"warning\"; label = \"x\"; offset = \"-2wd\";\n"
	    "      to = [ \"chat\",\n"			/* 16 */
	    "             \"nochan\", \"admin\" ]; }\n"	/* 17 */
	    "  ); }\n"					/* 18 */
	    ");\n");					/* 19 */
	ck_problem(&r, "main.conf", 6, "channel 'chat': unknown window "
	    "'night'");
	ck_problem(&r, "main.conf", 8, "person 'p1': 'mobile' must be 11 "
	    "digits");
	ck_problem(&r, "main.conf", 9, "group 'g': unknown person 'p9'");
	ck_problem(&r, "main.conf", 9, "group 'g': unknown channel 'nope'");
	ck_problem(&r, "main.conf", 11, "head_channel: unknown channel 'boss'");
	ck_problem(&r, "main.conf", 13, "policy 'p': unknown window 'lunch'");
	ck_problem(&r, "main.conf", 17, "stage 'warning': unknown channel "
	    "'nochan'");
	ck_problem(&r, "main.conf", 17, "stage 'warning': recipient 'admin' "
	    "needs 'admin_channel'");
	result_free(&r);
}
END_TEST

/* Duplicate names are refused at the second definition. */
START_TEST(test_duplicates)
{
	struct result	 r;

	r = load_text(BASE_HEAD
	    "channels = (\n"				/* 4 */
	    "  { name = \"chat\"; type = \"wecom\"; key = \"k1\"; },\n"
	    "  { name = \"chat\"; type = \"dingtalk\"; key = \"k2\"; }\n"
	    ");\n"					/* 7 */
	    "policies = (\n"				/* 8 */
	    "  { name = \"p\"; done_notice = false; stages = (\n" /* 9 */
	    "    { name = \"warning\"; label = \"x\"; offset = \"-2wd\"; "
	    "to = [ \"chat\" ]; },\n"			/* 10 */
	    "    { name = \"warning\"; label = \"y\"; offset = \"-1wd\"; "
	    "to = [ \"chat\" ]; },\n"			/* 11 */
	    "    { name = \"reminder\"; label = \"z\"; offset = \"-48h\"; "
	    "to = [ \"chat\", \"chat\" ]; }\n"		/* 12 */
	    "  ); },\n"					/* 13 */
	    "  { name = \"p\"; stages = (); }\n"	/* 14 */
	    ");\n");					/* 15 */
	ck_problem(&r, "main.conf", 6, "duplicate channel 'chat'");
	ck_problem(&r, "main.conf", 11, "policy 'p': duplicate stage "
	    "'warning'");
	ck_problem(&r, "main.conf", 12, "policy 'p': stages 'warning' and "
	    "'reminder' have the same offset");
	ck_problem(&r, "main.conf", 12, "stage 'reminder': duplicate "
	    "recipient 'chat'");
	ck_problem(&r, "main.conf", 14, "duplicate policy 'p'");
	result_free(&r);
}
END_TEST

/* Stages are sorted by offset, whatever order they are written in. */
START_TEST(test_stage_order)
{
	struct result		 r;
	const struct policy	*p;

	r = load_text(BASE_HEAD BASE_CHANNELS
	    "policies = (\n"
	    "  { name = \"p\"; done_notice = false; stages = (\n"
	    "    { name = \"reminder\"; label = \"b\"; offset = \"0wd\"; "
	    "repeat = \"1wd\"; to = [ \"chat\" ]; },\n"
	    "    { name = \"warning\"; label = \"a\"; offset = \"-2wd\"; "
	    "to = [ \"chat\" ]; },\n"
	    "    { name = \"late\"; label = \"c\"; offset = \"2d\"; "
	    "to = [ \"chat\" ]; template = \"reminder\"; }\n"
	    "  ); }\n"
	    ");\n");
	ck_loaded(&r);
	p = config_policy(r.cf, "p");
	ck_assert_uint_eq(p->nstages, 3);
	ck_assert_str_eq(p->stages[0].name, "warning");
	ck_assert_str_eq(p->stages[1].name, "reminder");
	ck_assert_str_eq(p->stages[2].name, "late");
	ck_assert_str_eq(p->stages[2].template, "reminder");
	ck_assert_str_eq(p->stages[1].template, "reminder");
	ck_assert_str_eq(p->stages[0].severity, "info");
	ck_assert_int_eq(p->stages[0].to[0].role, ROLE_CHANNEL);
	ck_assert_str_eq(p->stages[0].to[0].channel, "chat");
	ck_assert_int_eq(p->done_notice, 0);
	result_free(&r);
}
END_TEST

/* A stage whose template file does not exist. */
START_TEST(test_missing_template)
{
	struct result	 r;
	char		 msg[4096];

	r = load_text(BASE_HEAD BASE_CHANNELS
	    "policies = (\n"				/* 7 */
	    "  { name = \"p\"; done_notice = false; stages = (\n" /* 8 */
	    "    { name = \"interview\"; label = \"约谈\"; offset = \"5wd\"; "
	    "to = [ \"chat\" ]; }\n"			/* 9 */
	    "  ); }\n"					/* 10 */
	    ");\n");					/* 11 */
	snprintf(msg, sizeof msg, "missing template 'interview' for wecom "
	    "channels: neither %s/tmpl/interview.wecom.tmpl nor "
	    "%s/tmpl/interview.tmpl exists", tmpdir, tmpdir);
	ck_problem(&r, "main.conf", 9, msg);
	ck_assert_uint_eq(r.n, 1);
	result_free(&r);
}
END_TEST

/* A done notice needs the "done" template. */
START_TEST(test_missing_done)
{
	struct result	 r;

	write_templates();
	ck_assert_int_eq(unlink(tmp("tmpl/done.tmpl")), 0);
	write_file("main.conf", BASE_HEAD BASE_CHANNELS
	    "policies = (\n"				/* 7 */
	    "  { name = \"p\"; stages = (\n"		/* 8 */
	    "    { name = \"warning\"; label = \"x\"; offset = \"-2wd\"; "
	    "to = [ \"chat\" ]; }\n"			/* 9 */
	    "  ); }\n"					/* 10 */
	    ");\n", 0644);
	r = load(tmp("main.conf"));
	ck_problem(&r, "main.conf", 8, "missing template 'done'");
	result_free(&r);
}
END_TEST

/* A template with an unknown placeholder: the line is in the template. */
START_TEST(test_template_placeholder)
{
	struct result	 r;

	write_templates();
	write_file("tmpl/warning.wecom.tmpl",
	    "@# a comment\n"				/* 1 */
	    "@title\n"					/* 2 */
	    "{stage_label}\n"				/* 3 */
	    "@item\n"					/* 4 */
	    "{index}. {project}\n"			/* 5 */
	    "{nosuch} {deadline}\n", 0644);		/* 6 */
	write_file("main.conf", BASE_HEAD BASE_CHANNELS BASE_POLICIES, 0644);
	r = load(tmp("main.conf"));
	ck_problem(&r, "tmpl/warning.wecom.tmpl", 6,
	    "unknown placeholder {nosuch}");
	ck_assert_uint_eq(r.n, 1);
	result_free(&r);
}
END_TEST

/* Bad durations, times and other values. */
START_TEST(test_bad_values)
{
	struct result	 r;

	r = load_text(BASE_HEAD
	    "channels = (\n"				/* 4 */
	    "  { name = \"chat\"; type = \"wecom\"; key = \"k1\"; }\n" /* 5 */
	    ");\n"					/* 6 */
	    "timezone = \"Mars/Olympus_Mons\";\n"	/* 7 */
	    "deadline_time = \"24:00\";\n"		/* 8 */
	    "socket_mode = \"0689\";\n"			/* 9 */
	    "policies = (\n"				/* 10 */
	    "  { name = \"p\"; track = \"side\"; done_notice = false;\n"
	    "    stages = (\n"				/* 12 */
	    "    { name = \"warning\"; label = \"x\"; offset = \"5x\";\n"
	    "      repeat = \"wd\"; to = [ \"chat\" ]; severity = \"loud\"; }\n"
	    "  ); },\n"					/* 15 */
	    "  { name = \"s\"; track = \"stale\"; stages = (\n" /* 16 */
	    "    { name = \"warning\"; label = \"x\"; offset = 0; "
	    "to = [ \"chat\" ]; }\n"			/* 17 */
	    "  ); }\n"					/* 18 */
	    ");\n");					/* 19 */
	ck_problem(&r, "main.conf", 7, "unknown timezone 'Mars/Olympus_Mons'");
	ck_problem(&r, "main.conf", 8, "'deadline_time' must be a time HH:MM");
	ck_problem(&r, "main.conf", 9, "'socket_mode' must be an octal mode");
	ck_problem(&r, "main.conf", 11, "policy 'p': unknown track 'side'");
	ck_problem(&r, "main.conf", 13, "'offset': invalid duration '5x'");
	ck_problem(&r, "main.conf", 14, "'repeat': invalid duration 'wd'");
	ck_problem(&r, "main.conf", 14, "stage 'warning': 'severity' must be");
	ck_problem(&r, "main.conf", 16, "policy 's': track 'stale' needs "
	    "'stale_after'");
	result_free(&r);
}
END_TEST

/* Calendar data: impossible dates, dates of the wrong year, in an
 * included file, reported in that file's own terms. */
START_TEST(test_calendar)
{
	struct result	 r;

	write_file("cal.conf",
	    "calendar_2026 = {\n"			/* 1 */
	    "  year = 2026;\n"				/* 2 */
	    "  days = (\n"				/* 3 */
	    "    { date = \"2026-01-01\"; off = true; name = \"元旦\"; },\n"
	    "    { date = \"2026-02-30\"; off = true; },\n"	/* 5 */
	    "    { date = \"2025-12-31\"; off = true; },\n"	/* 6 */
	    "    { date = \"2026-01-01\"; off = true; }\n"	/* 7 */
	    "  );\n"					/* 8 */
	    "};\n"					/* 9 */
	    "calendar_2027 = { year = 2028; days = (); };\n", 0644);
	r = load_text("@include \"cal.conf\"\n"
	    BASE_HEAD BASE_CHANNELS BASE_POLICIES);
	ck_problem(&r, "cal.conf", 5, "invalid date '2026-02-30'");
	ck_problem(&r, "cal.conf", 6, "date 2025-12-31 is not in 2026");
	ck_problem(&r, "cal.conf", 7, "duplicate date 2026-01-01");
	ck_problem(&r, "cal.conf", 10, "'year' 2028 does not match "
	    "calendar_2027");
	ck_assert_uint_eq(r.n, 4);
	result_free(&r);
}
END_TEST

/* Valid calendar data fills the calendar. */
START_TEST(test_calendar_ok)
{
	struct result	 r;
	int32_t		 day;
	int		 unc = 0;

	write_file("cal.conf", "calendar_2030 = { year = 2030; days = (\n"
	    "  { date = \"2030-01-01\"; off = true; name = \"元旦\"; },\n"
	    "  { date = \"2030-01-05\"; off = false; }\n"
	    "); };\n", 0644);
	r = load_text("@include \"cal.conf\"\n"
	    BASE_HEAD BASE_CHANNELS BASE_POLICIES);
	ck_loaded(&r);
	ck_assert_int_eq(r.cf->calendar_last_year, 2030);
	calendar_parse_date("2030-01-01", &day);
	ck_assert_int_eq(calendar_is_workday(r.cf->calendar, day, &unc), 0);
	ck_assert_str_eq(calendar_day_name(r.cf->calendar, day), "元旦");
	calendar_parse_date("2030-01-05", &day);	/* a Saturday */
	ck_assert_int_eq(calendar_is_workday(r.cf->calendar, day, &unc), 1);
	ck_assert_int_eq(unc, 0);
	result_free(&r);
}
END_TEST

/* No key or secret value ever appears in a problem or a warning. */
START_TEST(test_secret_never_shown)
{
	struct result	 r;

	write_file("secret.txt", SECRET "\n", 0644);
	r = load_text(BASE_HEAD
	    "channels = (\n"				/* 4 */
	    "  { name = \"chat\"; type = \"wecom\"; key = \"" SECRET "\";\n"
	    "    secret = \"" SECRET "\"; per_minute = \"" SECRET "\"; },\n"
	    "  { name = \"ding\"; type = \"dingtalk\"; key = \"" SECRET "\";\n"
	    "    key_file = \"secret.txt\"; secret_file = \"secret.txt\";\n"
	    "    keywords = [ \"督办\" ]; url = \"ftp://" SECRET "\"; },\n"
	    "  { name = \"fs\"; type = \"feishu\"; token_file = \"nofile\";\n"
	    "    secret = 42; }\n"			/* 11 */
	    ");\n"					/* 12 */
	    "api_token = \"" SECRET "\";\n"		/* 13 */
	    "listen = \"0.0.0.0:x\";\n"			/* 14 */
	    BASE_POLICIES);
	ck_assert_ptr_null(r.cf);
	ck_problem(&r, "main.conf", 6, "channel 'chat': WeCom robots do not "
	    "sign");
	ck_problem(&r, "main.conf", 6, "'per_minute' must be an integer");
	ck_problem(&r, "main.conf", 7, "give only one of 'key' and "
	    "'key_file'");
	ck_problem(&r, "main.conf", 9, "channel 'ding': 'url' must start with");
	ck_problem(&r, "main.conf", 10, "cannot read secret file ");
	ck_problem(&r, "main.conf", 11, "'secret' must be a string");
	ck_problem(&r, "main.conf", 14, "'listen' must be HOST:PORT");
	ck_assert_msg(!leaks(&r, SECRET), "a secret leaked into a problem");
	ck_assert_msg(!leaks(&r, "Zq8"), "part of a secret leaked");
	result_free(&r);
}
END_TEST

/* Secret files: read and trimmed; readable by others earns a warning. */
START_TEST(test_secret_file)
{
	struct result	 r;
	struct channel	*c;
	char		 msg[4096];

	write_file("chat.key", SECRET "\n\n", 0644);
	write_file("sign.secret", "SEC" SECRET " \n", 0600);
	r = load_text(BASE_HEAD
	    "channels = (\n"				/* 4 */
	    "  { name = \"chat\"; type = \"dingtalk\";\n"	/* 5 */
	    "    token_file = \"chat.key\";\n"		/* 6 */
	    "    secret_file = \"sign.secret\"; }\n"	/* 7 */
	    ");\n"					/* 8 */
	    BASE_POLICIES);
	ck_loaded(&r);
	c = config_channel(r.cf, "chat");
	ck_assert_str_eq(c->key, SECRET);
	ck_assert_str_eq(c->secret, "SEC" SECRET);
	ck_assert_uint_eq(r.cf->nwarnings, 1);
	snprintf(msg, sizeof msg, "secret file %s/chat.key is readable by "
	    "others", tmpdir);
	ck_assert_msg(has(r.cf->warnings, r.cf->nwarnings, "main.conf", 6,
	    msg), "warning: %s", r.cf->warnings[0]);
	ck_assert_msg(!leaks(&r, SECRET), "a secret leaked into a warning");
	result_free(&r);

	ck_assert_int_eq(chmod(tmp("chat.key"), 0600), 0);
	r = load(tmp("main.conf"));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 0);
	result_free(&r);
}
END_TEST

/* @include of a file that does not exist names it. */
START_TEST(test_missing_include)
{
	struct result	 r;
	char		 msg[4096];

	r = load_text(BASE_HEAD
	    "@include \"nothere.conf\"\n"		/* 4 */
	    BASE_CHANNELS BASE_POLICIES);
	snprintf(msg, sizeof msg, "cannot open include file %s/nothere.conf",
	    tmpdir);
	ck_problem(&r, "main.conf", 4, msg);
	ck_assert_uint_eq(r.n, 1);
	result_free(&r);
}
END_TEST

/* A main file that does not exist. */
START_TEST(test_missing_main)
{
	struct result	 r;

	r = load(tmp("absent.conf"));
	ck_problem(&r, "absent.conf", 0, "cannot open: ");
	result_free(&r);
}
END_TEST

/* The TCP API: a token is required, a public address is a warning. */
START_TEST(test_listen)
{
	struct result	 r;

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"127.0.0.1:8080\";\n");		/* 12 */
	ck_problem(&r, "main.conf", 12, "'listen' needs 'api_token', "
	    "'api_token_file' or 'api_tokens'");
	result_free(&r);

	write_file("api.token", "tok\n", 0600);
	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"0.0.0.0:8080\";\n"		/* 12 */
	    "api_token_file = \"api.token\";\n");
	ck_loaded(&r);
	ck_assert_str_eq(r.cf->api_token, "tok");
	ck_assert_uint_eq(r.cf->nwarnings, 1);
	ck_assert(has(r.cf->warnings, 1, "main.conf", 12, "listen address "
	    "0.0.0.0 is not a loopback address"));
	result_free(&r);
}
END_TEST

/* Named API tokens, each read from its own file; the single token of
 * old is the one named "default".  Problems never show a token. */
START_TEST(test_api_tokens)
{
	struct result	 r;

	write_file("clerk.token", SECRET "-clerk\n", 0600);
	write_file("audit.token", "  " SECRET "-audit \n\n", 0600);
	write_file("same.token", SECRET "-clerk", 0600);
	write_file("empty.token", " \n", 0600);
	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"127.0.0.1:8080\";\n"		/* 12 */
	    "api_token = \"" SECRET "-old\";\n"	/* 13 */
	    "api_tokens = (\n"				/* 14 */
	    "  { name = \"clerk-office\"; file = \"clerk.token\"; },\n"
	    "  { name = \"audit\"; file = \"audit.token\"; }\n"
	    ");\n");
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->ntokens, 3);
	ck_assert_str_eq(r.cf->tokens[0].name, "default");
	ck_assert_str_eq(r.cf->tokens[0].token, SECRET "-old");
	ck_assert_str_eq(r.cf->tokens[1].name, "clerk-office");
	ck_assert_str_eq(r.cf->tokens[1].token, SECRET "-clerk");
	ck_assert_str_eq(r.cf->tokens[2].name, "audit");
	/* Trailing whitespace is trimmed, leading kept as part of it. */
	ck_assert_str_eq(r.cf->tokens[2].token, "  " SECRET "-audit");
	result_free(&r);

	/* Named tokens alone are enough for listen. */
	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"127.0.0.1:8080\";\n"		/* 12 */
	    "api_tokens = ( { name = \"a\"; file = \"clerk.token\"; } );\n");
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->ntokens, 1);
	ck_assert_ptr_null(r.cf->api_token);
	result_free(&r);

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"127.0.0.1:8080\";\n"		/* 12 */
	    "api_token_file = \"audit.token\";\n"	/* 13 */
	    "api_tokens = (\n"				/* 14 */
	    "  { name = \"default\"; file = \"clerk.token\"; },\n" /* 15 */
	    "  { name = \"x y\"; file = \"clerk.token\"; },\n"	/* 16 */
	    "  { name = \"b\"; file = \"nofile.token\"; },\n"	/* 17 */
	    "  { name = \"c\"; file = \"empty.token\"; },\n"	/* 18 */
	    "  { name = \"d\"; file = \"clerk.token\"; },\n"	/* 19 */
	    "  { name = \"e\"; file = \"same.token\"; },\n"	/* 20 */
	    "  { name = \"d\"; file = \"audit.token\"; },\n"	/* 21 */
	    "  { file = \"clerk.token\"; },\n"		/* 22 */
	    "  { name = \"f\"; },\n"			/* 23 */
	    "  { name = \"g\"; file = \"clerk.token\"; token = \"" SECRET
	    "\"; }\n"					/* 24 */
	    ");\n");
	ck_problem(&r, "main.conf", 15, "token name 'default' given twice");
	ck_problem(&r, "main.conf", 16, "token name 'x y' must be 1 to 64");
	ck_problem(&r, "main.conf", 17, "cannot read secret file ");
	ck_problem(&r, "main.conf", 18, "secret file ");
	ck_problem(&r, "main.conf", 20, "token 'e' is the same as token 'd'");
	ck_problem(&r, "main.conf", 21, "token name 'd' given twice");
	ck_problem(&r, "main.conf", 22, "missing required setting 'name'");
	ck_problem(&r, "main.conf", 23, "missing required setting 'file'");
	ck_problem(&r, "main.conf", 24, "unknown setting 'token'");
	ck_assert_msg(!leaks(&r, SECRET), "a token leaked into a problem");
	ck_assert_msg(!leaks(&r, "Zq8"), "part of a token leaked");
	result_free(&r);

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "api_tokens = { name = \"a\"; };\n");		/* 12 */
	ck_problem(&r, "main.conf", 12, "'api_tokens' must be a list of groups");
	result_free(&r);
}
END_TEST

/* The listen address is parsed once, here: host and port, IPv6 in
 * brackets, a bad value a "file:line: message" problem. */
START_TEST(test_listen_address)
{
	struct result	 r;

	write_file("api.token", "tok\n", 0600);
	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"127.0.0.1:8080\";\n"		/* 12 */
	    "api_token_file = \"api.token\";\n");
	ck_loaded(&r);
	ck_assert_str_eq(r.cf->listen, "127.0.0.1:8080");
	ck_assert_str_eq(r.cf->listen_host, "127.0.0.1");
	ck_assert_int_eq(r.cf->listen_port, 8080);
	ck_assert_uint_eq(r.cf->nwarnings, 0);
	result_free(&r);

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"[::1]:8080\";\n"			/* 12 */
	    "api_token_file = \"api.token\";\n");
	ck_loaded(&r);
	ck_assert_str_eq(r.cf->listen_host, "::1");
	ck_assert_int_eq(r.cf->listen_port, 8080);
	ck_assert_uint_eq(r.cf->nwarnings, 0);	/* ::1 is loopback */
	result_free(&r);

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"::1:8080\";\n"			/* 12 */
	    "api_token_file = \"api.token\";\n");
	ck_problem(&r, "main.conf", 12, "'listen' must be HOST:PORT");
	result_free(&r);

	r = load_text(BASE_HEAD BASE_CHANNELS BASE_POLICIES
	    "listen = \"[::1]:70000\";\n"			/* 12 */
	    "api_token_file = \"api.token\";\n");
	ck_problem(&r, "main.conf", 12, "'listen' must be HOST:PORT");
	result_free(&r);
}
END_TEST

/* Roles need the configuration that resolves them. */
START_TEST(test_roles)
{
	struct result	 r;

	r = load_text(BASE_HEAD BASE_CHANNELS
	    "policies = (\n"				/* 7 */
	    "  { name = \"p\"; done_notice = false; stages = (\n" /* 8 */
	    "    { name = \"warning\"; label = \"x\"; offset = \"-2wd\";\n"
	    "      to = [ \"head\", \"group\",\n"		/* 10 */
	    "             \"leader\" ]; }\n"		/* 11 */
	    "  ); }\n"
	    ");\n");
	ck_problem(&r, "main.conf", 10, "stage 'warning': recipient 'head' "
	    "needs 'head_channel'");
	ck_problem(&r, "main.conf", 10, "stage 'warning': recipient 'group' "
	    "needs 'groups'");
	ck_problem(&r, "main.conf", 11, "stage 'warning': recipient 'leader' "
	    "needs 'groups'");
	result_free(&r);
}
END_TEST

/* Without policies the configuration loads, with a warning. */
START_TEST(test_no_policies)
{
	struct result	 r;

	r = load_text(BASE_HEAD BASE_CHANNELS);
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->npolicies, 0);
	ck_assert_uint_eq(r.cf->nwarnings, 1);
	ck_assert(has(r.cf->warnings, 1, "main.conf", 0, "no 'policies'"));
	result_free(&r);
}
END_TEST

/* config_policy_for: first policy of the track whose lists all match. */
START_TEST(test_policy_match)
{
	struct result	 r;

	r = load_text(BASE_HEAD BASE_CHANNELS
	    "policies = (\n"
	    "  { name = \"industry\"; done_notice = false;\n"
	    "    match = { categories = [ \"工业“四改”类\" ];\n"
	    "              kinds = [ \"施工许可\", \"环评\" ]; };\n"
	    "    stages = ( { name = \"warning\"; label = \"x\";\n"
	    "      offset = \"-3wd\"; to = [ \"chat\" ]; } ); },\n"
	    "  { name = \"any\"; done_notice = false;\n"
	    "    stages = ( { name = \"warning\"; label = \"x\";\n"
	    "      offset = \"-2wd\"; to = [ \"chat\" ]; } ); },\n"
	    "  { name = \"sup\"; track = \"supplement\";\n"
	    "    match = { modes = [ \"容缺受理\" ]; };\n"
	    "    stages = ( { name = \"warning\"; label = \"x\";\n"
	    "      offset = \"-2wd\"; to = [ \"chat\" ]; } ); }\n"
	    ");\n");
	ck_loaded(&r);
	/* No group has the category: loaded, with a warning. */
	ck_assert_uint_eq(r.cf->nwarnings, 1);
	ck_assert_str_eq(config_policy_for(r.cf, TRACK_MAIN, "工业“四改”类",
	    "企业登记科", "环评", NULL)->name, "industry");
	ck_assert_str_eq(config_policy_for(r.cf, TRACK_MAIN, "工业“四改”类",
	    "企业登记科", "立项", NULL)->name, "any");
	ck_assert_str_eq(config_policy_for(r.cf, TRACK_MAIN, NULL, NULL,
	    "环评", NULL)->name, "any");
	ck_assert_str_eq(config_policy_for(r.cf, TRACK_SUPPLEMENT, NULL,
	    NULL, NULL, "容缺受理")->name, "sup");
	ck_assert_ptr_null(config_policy_for(r.cf, TRACK_SUPPLEMENT, NULL,
	    NULL, NULL, "告知承诺"));
	ck_assert_int_eq(config_policy(r.cf, "sup")->done_notice, 0);
	result_free(&r);
}
END_TEST

/* A configuration whose stage "warning" (line 9) is tried with and
 * without "rectify", and rectify policies after it. */
#define RECTIFY_CONF(rectify, match, rest)				\
	BASE_HEAD BASE_CHANNELS						\
	"policies = (\n"				/* 7 */		\
	"  { name = \"p\"; done_notice = false; " match " stages = (\n" \
	"    { name = \"warning\"; label = \"约谈\"; offset = \"5wd\"; "	\
	    "to = [ \"chat\" ]; " rectify " }\n"	/* 9 */		\
	"  ); }" rest "\n"				/* 10 */	\
	");\n"

/* A rectify policy of the given match, escalating with "reminder". */
#define RECTIFY_POLICY(name, match)					\
	",\n  { name = \"" name "\"; track = \"rectify\"; " match	\
	" stages = ( { name = \"reminder\"; label = \"限期整改提醒\"; "	\
	"offset = \"-2wd\"; to = [ \"chat\" ]; } ); }"

/* {rectify_deadline} only where a stage sets "rectify": elsewhere the
 * notice would have an empty field, so it is an error at the stage (or
 * at the template, for the done notice). */
START_TEST(test_rectify_template)
{
	struct result	 r;
	char		 msg[4096];

	write_templates();
	write_file("tmpl/warning.tmpl", "@title\n{stage_label}\n@item\n"
	    "{project} 请于 {rectify_deadline} 前整改办结\n", 0644);
	write_file("main.conf", RECTIFY_CONF("", "", RECTIFY_POLICY("r", "")),
	    0644);
	r = load(tmp("main.conf"));
	snprintf(msg, sizeof msg, "stage 'warning': template "
	    "%s/tmpl/warning.tmpl uses {rectify_deadline}, but the stage sets "
	    "no 'rectify'", tmpdir);
	ck_problem(&r, "main.conf", 9, msg);
	ck_assert_uint_eq(r.n, 1);
	result_free(&r);

	/* With "rectify" the stage knows the deadline. */
	write_file("main.conf", RECTIFY_CONF("rectify = \"5wd\";", "",
	    RECTIFY_POLICY("r", "")), 0644);
	r = load(tmp("main.conf"));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 0);
	result_free(&r);

	/* The done notice never knows it. */
	write_file("tmpl/done.tmpl", "@title\n办结\n@item\n"
	    "{project} {rectify_deadline}\n", 0644);
	write_file("main.conf", RECTIFY_CONF("rectify = \"5wd\";", "",
	    RECTIFY_POLICY("r", "")), 0644);
	r = load(tmp("main.conf"));
	ck_problem(&r, "tmpl/done.tmpl", 0, "{rectify_deadline} is known only "
	    "to a stage that sets 'rectify', not to the 'done' notice");
	ck_assert_uint_eq(r.n, 1);
	result_free(&r);
}
END_TEST

/* A stage that sets "rectify" without a policy to escalate the deadline
 * it creates: a warning (-t and reload show it) at the stage. */
START_TEST(test_rectify_uncovered)
{
	struct result	 r;

	/* No rectify policy at all. */
	r = load_text(RECTIFY_CONF("rectify = \"5wd\";", "", ""));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 1);
	ck_assert_msg(has(r.cf->warnings, 1, "main.conf", 9, "stage 'warning' "
	    "of policy 'p' sets 'rectify', but no policy has track 'rectify'"),
	    "%s", r.cf->warnings[0]);
	result_free(&r);

	/* One for some categories only, the stage's policy for any. */
	r = load_text(RECTIFY_CONF("rectify = \"5wd\";", "",
	    RECTIFY_POLICY("r", "match = { categories = [ \"社会投资类\" ]; };")));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 2);	/* and: no such group */
	ck_assert_msg(has(r.cf->warnings, 2, "main.conf", 9, "stage 'warning' "
	    "of policy 'p' sets 'rectify', but no policy with track 'rectify' "
	    "matches items of a category no such policy names"), "%s",
	    r.cf->warnings[1]);
	result_free(&r);

	/* The stage's policy names a mode none covers. */
	r = load_text(RECTIFY_CONF("rectify = \"5wd\";",
	    "match = { modes = [ \"normal\", \"容缺受理\" ]; };",
	    RECTIFY_POLICY("r", "match = { modes = [ \"normal\" ]; };")));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 1);
	ck_assert_msg(has(r.cf->warnings, 1, "main.conf", 9, "stage 'warning' "
	    "of policy 'p' sets 'rectify', but no policy with track 'rectify' "
	    "matches items of mode '容缺受理'"), "%s", r.cf->warnings[0]);
	result_free(&r);

	/* Two rectify policies that together cover what it matches. */
	r = load_text(RECTIFY_CONF("rectify = \"5wd\";",
	    "match = { modes = [ \"normal\", \"容缺受理\" ]; };",
	    RECTIFY_POLICY("r1", "match = { modes = [ \"normal\" ]; };")
	    RECTIFY_POLICY("r2", "match = { modes = [ \"容缺受理\" ]; "
	    "kinds = [ \"立项\" ]; };")
	    RECTIFY_POLICY("r3", "match = { modes = [ \"容缺受理\" ]; };")));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 0);
	result_free(&r);

	/* Every mode named is every mode there is. */
	r = load_text(RECTIFY_CONF("rectify = \"5wd\";", "",
	    RECTIFY_POLICY("r", "match = { modes = [ \"normal\", \"预审\", "
	    "\"容缺受理\", \"告知承诺\" ]; };")));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 0);
	result_free(&r);

	/* Without "rectify", no rectify policy is needed. */
	r = load_text(RECTIFY_CONF("", "", ""));
	ck_loaded(&r);
	ck_assert_uint_eq(r.cf->nwarnings, 0);
	result_free(&r);
}
END_TEST

/* The fixtures in tests/unit/config/: each names its expected problem
 * in its first line, "# expect: LINE: message". */
START_TEST(test_fixtures)
{
	static const char *const names[] = {
		"syntax.conf", "unknown-key.conf", "wrong-type.conf",
		"dangling-channel.conf", "bad-duration.conf",
		"bad-window.conf", NULL
	};
	const char *const	*n;
	struct result		 r;
	char			 path[1024], line[1024], want[2048], *nl;
	FILE			*f;

	for (n = names; *n != NULL; n++) {
		snprintf(path, sizeof path, "%s/%s", FIXTURES, *n);
		f = fopen(path, "r");
		ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
		ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
		fclose(f);
		ck_assert_msg(strncmp(line, "# expect: ", 10) == 0,
		    "%s: no expectation", path);
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		snprintf(want, sizeof want, "%s:%s", path, line + 10);
		r = load(path);
		if (!has(r.problems, r.n, NULL, 0, want))
			dump(&r);
		ck_assert_ptr_null(r.cf);
		ck_assert_msg(has(r.problems, r.n, NULL, 0, want),
		    "%s: no problem %s", path, want);
		result_free(&r);
	}
}
END_TEST

/* The suite. */
static Suite *
config_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("config");

	tc = tcase_create("shipped");
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_fixtures);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("broken");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_base);
	tcase_add_test(tc, test_placeholders);
	tcase_add_test(tc, test_rectify_template);
	tcase_add_test(tc, test_rectify_uncovered);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_dangling);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_stage_order);
	tcase_add_test(tc, test_missing_template);
	tcase_add_test(tc, test_missing_done);
	tcase_add_test(tc, test_template_placeholder);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_calendar_ok);
	tcase_add_test(tc, test_secret_never_shown);
	tcase_add_test(tc, test_secret_file);
	tcase_add_test(tc, test_missing_include);
	tcase_add_test(tc, test_missing_main);
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_listen_address);
	tcase_add_test(tc, test_api_tokens);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_policy_match);
	tcase_add_test(tc, test_no_policies);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	return (s);
}

/* Run the suite; exit non-zero when any test failed. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
