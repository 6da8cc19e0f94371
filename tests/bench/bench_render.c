/*
 * bench_render: the rendering and splitting of benchmark (b) alone, in
 * process, for a profiler (valgrind --tool=callgrind) or a quick timing.
 * It renders one chat's share of (b)'s burst -- N items due together, the
 * shipped "reminder" templates, items named as bench_import names them --
 * with message_render() (the same stream the step uses) and builds each
 * part's structured event as the step's renderer does, and prints the
 * number of parts, their bytes, the seconds taken and a digest (FNV-1a) of
 * every part's title, text, mentions, entries and event, so that a change
 * to the rendering can be shown to send the same bytes.
 *
 *   bench_render N APP [MENTIONS] [ROUNDS]
 *
 * APP: webhook (as in (b)), plain (WeCom text), wecom, dingtalk,
 * dingtalk-text, dingtalk-card, feishu, feishu-post, feishu-text, or all.
 * MENTIONS: people mentioned by the items (0: none, as in (b)); some
 * project names then carry JSON's special characters (" \ and a tab).
 * ROUNDS: the batch rendered this many times (1).  Runs from the
 * repository root, like the unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escalator.h"

static const char *const kinds[] = { "立项", "选址", "规划许可", "环评",
    "施工许可" };
static const char *const departments[] = { "投资项目审批科",
    "建设工程审批科", "社会事务审批科", "工程项目建设服务科", "现场勘验科",
    "农业水利审批科", "东城区行政审批局", "西城区行政审批局" };

static const struct {
	const char		*name;
	enum channel_type	 type;
	enum channel_format	 format;
} apps[] = {
	{ "webhook", CHANNEL_WEBHOOK, FORMAT_JSON },
	{ "plain", CHANNEL_WECOM, FORMAT_TEXT },
	{ "wecom", CHANNEL_WECOM, FORMAT_MARKDOWN },
	{ "dingtalk", CHANNEL_DINGTALK, FORMAT_MARKDOWN },
	{ "dingtalk-text", CHANNEL_DINGTALK, FORMAT_TEXT },
	{ "dingtalk-card", CHANNEL_DINGTALK, FORMAT_ACTIONCARD },
	{ "feishu", CHANNEL_FEISHU, FORMAT_CARD },
	{ "feishu-post", CHANNEL_FEISHU, FORMAT_POST },
	{ "feishu-text", CHANNEL_FEISHU, FORMAT_TEXT },
};

static double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* FNV-1a over a string and its terminator ("" for NULL, told apart). */
static void
bench_hash(uint64_t *h, const char *s)
{
	if (s == NULL)
		s = "\xff";
	do {
		*h ^= (unsigned char)*s;
		*h *= UINT64_C(1099511628211);
	} while (*s++ != '\0');
}

int
main(int argc, char *argv[])
{
	struct config		*conf;
	struct item_row		*items;
	struct msg_entry	*entries;
	struct msg_mention	*mm;
	struct person		*people;
	struct channel		 ch;
	struct msg_batch	 b;
	struct msg_part		*parts;
	struct enqueue_event	 ev;
	char			*event;
	size_t			 j;
	char			**pr = NULL, *err = NULL, (*names)[64];
	char			(*mob)[24], (*uid)[24];
	size_t			 npr = 0, n, nparts, i, a, bytes;
	long			 mentions = 0, rounds = 1, r;
	uint64_t		 h;
	double			 t0, t1;
	int			 ids, any = 0;
	int64_t			 now, due;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_render N APP [MENTIONS] "
		    "[ROUNDS]\n");
		return (2);
	}
	n = (size_t)strtoul(argv[1], NULL, 10);
	if (argc > 3)
		mentions = strtol(argv[3], NULL, 10);
	if (argc > 4)
		rounds = strtol(argv[4], NULL, 10);
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	if ((conf = config_load("rules/approval-escalatord.conf", &pr,
	    &npr)) == NULL) {
		for (i = 0; i < npr; i++)
			fprintf(stderr, "%s\n", pr[i]);
		return (1);
	}
	config_problems_free(pr, npr);
	if (rules_parse_time("2026-11-20 18:00", 0, &due) != 0 ||
	    rules_parse_time("2026-11-20 18:00:01", 0, &now) != 0)
		return (1);
	items = xcalloc(n ? n : 1, sizeof *items);
	entries = xcalloc(n ? n : 1, sizeof *entries);
	mm = xcalloc(n ? n : 1, sizeof *mm);
	names = xcalloc(n ? n : 1, sizeof *names);
	people = xcalloc(mentions ? (size_t)mentions : 1, sizeof *people);
	mob = xcalloc(mentions ? (size_t)mentions : 1, sizeof *mob);
	uid = xcalloc(mentions ? (size_t)mentions : 1, sizeof *uid);
	for (i = 0; i < (size_t)mentions; i++) {
		snprintf(mob[i], sizeof mob[i], "138%08zu", i % 100000000);
		snprintf(uid[i], sizeof uid[i], "u%04zu", i % 10000);
		people[i].name = mob[i];
		people[i].mobile = mob[i];
		if (i % 2 == 0)
			people[i].wecom = people[i].dingtalk = uid[i];
		if (i % 3 != 1)
			people[i].feishu = uid[i];
	}
	for (a = 0; a < sizeof apps / sizeof apps[0]; a++) {
		if (strcmp(argv[2], "all") != 0 &&
		    strcmp(argv[2], apps[a].name) != 0)
			continue;
		any = 1;
		for (i = 0; i < n; i++) {
			size_t p = i / 5;
			memset(&items[i], 0, sizeof items[i]);
			if (mentions > 0 && i % 7 == 3)
				snprintf(names[i], sizeof names[i],
				    "基准\"测试\\项目\t%07zu号", p);
			else
				snprintf(names[i], sizeof names[i],
				    "基准测试项目%07zu号", p);
			items[i].id = (int64_t)i + 1;
			items[i].project_code = names[i];
			items[i].project_name = names[i];
			items[i].category = (char *)(uintptr_t)"社会投资类";
			items[i].kind = (char *)(uintptr_t)kinds[i % 5];
			items[i].department =
			    (char *)(uintptr_t)departments[(i * 7 + p) % 8];
			items[i].handler = (char *)(uintptr_t)"承办人";
			items[i].status = (char *)(uintptr_t)STATUS_ACCEPTED;
			memset(&entries[i], 0, sizeof entries[i]);
			entries[i].item = &items[i];
			entries[i].due = due;
			if (mentions > 0) {
				const struct person *pp =
				    &people[i % (size_t)mentions];
				enqueue_mention_plan(apps[a].type, pp,
				    &mm[i].uid, &mm[i].mobile, &ids);
				mm[i].name = ids ? pp->name : NULL;
				entries[i].mentions = &mm[i];
				entries[i].nmentions = 1;
			}
		}
		memset(&ch, 0, sizeof ch);
		ch.name = (char *)(uintptr_t)"social";
		ch.type = apps[a].type;
		ch.format = apps[a].format;
		if (ch.type == CHANNEL_DINGTALK)
			ch.secret = (char *)(uintptr_t)"SECbench";
		memset(&b, 0, sizeof b);
		b.channel = &ch;
		b.template = "reminder";
		b.stage = "reminder";
		b.stage_label = "催办";
		b.severity = "warning";
		b.group = "社会投资类推进组";
		b.category = "社会投资类";
		b.entries = entries;
		b.nentries = n;
		h = UINT64_C(14695981039346656037);
		bytes = nparts = 0;
		t0 = bench_now();
		for (r = 0; r < rounds; r++) {
			if (message_render(conf, &b, now, &parts, &nparts,
			    &err) != 0) {
				fprintf(stderr, "%s\n", err);
				return (1);
			}
			h = UINT64_C(14695981039346656037);
			bytes = 0;
			for (i = 0; i < nparts; i++) {
				char num[32];
				bench_hash(&h, parts[i].title);
				bench_hash(&h, parts[i].text);
				bench_hash(&h, parts[i].who.userids);
				bench_hash(&h, parts[i].who.mobiles);
				bench_hash(&h, parts[i].follow.userids);
				bench_hash(&h, parts[i].follow.mobiles);
				bench_hash(&h, parts[i].follow_text);
				snprintf(num, sizeof num, "%zu",
				    parts[i].nentries);
				bench_hash(&h, num);
				bytes += strlen(parts[i].text);
				/* The part's structured event, as the step's
				 * renderer builds it with the part. */
				enqueue_event_new(&b, &ev);
				for (j = 0; j < parts[i].nentries; j++) {
					const struct msg_entry *e =
					    parts[i].entries[j];
					enqueue_event_item(&ev, e->item->id,
					    e->item->project_code, e->item->kind,
					    e->item->department, e->due);
				}
				event = enqueue_event_dump(&ev);
				bench_hash(&h, event);
				free(event);
			}
			message_parts_free(parts, nparts);
		}
		t1 = bench_now();
		printf("%s items %zu mentions %ld parts %zu bytes %zu "
		    "digest %016llx seconds %.3f\n", apps[a].name, n, mentions,
		    nparts, bytes, (unsigned long long)h,
		    (t1 - t0) / (double)rounds);
	}
	config_free(conf);
	free(items);
	free(entries);
	free(mm);
	free(names);
	free(people);
	free(mob);
	free(uid);
	if (!any) {
		fprintf(stderr, "bench_render: unknown app %s\n", argv[2]);
		return (2);
	}
	return (0);
}
