/*
 * bench_import: load items for the benchmarks through the real importer.
 * It generates a CSV file in memory (five approval items per project, the
 * shipped departments and categories) and imports it with import_csv() in
 * one transaction on a database file opened by store_open(), exactly as
 * POST /v1/import does, then commits; as in the daemon, the WAL is copied
 * into the file by the checkpointer thread, after the commit (close_s:
 * until it has finished and the store is closed).  Times of the phases and the peak
 * memory go to stdout as "key value" lines for tests/bench/run.sh.
 *
 *   bench_import CONFIG DB N due|future [DEADLINE] [CSVFILE]
 *
 * "due": every item has the explicit deadline DEADLINE ("YYYY-MM-DD
 * HH:MM:SS"), so all cross their first stage at the same moment.
 * "future": items accepted today with 20 to 120 working-day limits, so
 * every deadline lies weeks or months ahead.  CSVFILE, when given, also
 * receives the generated file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "escalator.h"

static const char *const kinds[] = { "立项", "选址", "规划许可", "环评",
    "施工许可" };
static const char *const departments[] = { "投资项目审批科",
    "建设工程审批科", "社会事务审批科", "工程项目建设服务科", "现场勘验科",
    "农业水利审批科", "东城区行政审批局", "西城区行政审批局" };
static const char *const categories[] = { "社会投资类", "城市建设类",
    "工业“四改”类" };
static const char *const regions[] = { "东城区", "西城区", "北山县",
    "南河县" };

/* Seconds of monotonic time. */
static double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Peak resident set of this process in kB (VmHWM). */
static long
bench_hwm(void)
{
	FILE	*f = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 kb = -1;

	if (f == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	fclose(f);
	return (kb);
}

/* Append to a growing buffer. */
static void
bench_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 1 << 20;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* The CSV of n items. */
static char *
bench_csv(long n, int due, const char *deadline, size_t *lenp)
{
	char	*buf = NULL, line[1024], today[11];
	size_t	 len = 0, cap = 0;
	long	 i, p;
	int32_t	 day;
	int	 k;

	rules_split((int64_t)time(NULL), &day, NULL);
	calendar_format_date(day, today);
	k = snprintf(line, sizeof line, "项目编码,项目名称,项目类别,所属地区,"
	    "审批事项,承办部门,承办人,承诺时限,受理时间,办结时限\n");
	bench_append(&buf, &len, &cap, line, (size_t)k);
	for (i = 0; i < n; i++) {
		p = i / 5;
		if (due)
			k = snprintf(line, sizeof line, "BENCH-%07ld,基准测试项目"
			    "%07ld号,%s,%s,%s,%s,承办人%03ld,,,%s\n", p, p,
			    categories[p % 3], regions[p % 4], kinds[i % 5],
			    departments[(i * 7 + p) % 8], i % 997, deadline);
		else
			k = snprintf(line, sizeof line, "BENCH-%07ld,基准测试项目"
			    "%07ld号,%s,%s,%s,%s,承办人%03ld,%ld个工作日,%s 09:00,"
			    "\n", p, p, categories[p % 3], regions[p % 4],
			    kinds[i % 5], departments[(i * 7 + p) % 8], i % 997,
			    20 + (i * 37) % 101, today);
		bench_append(&buf, &len, &cap, line, (size_t)k);
	}
	*lenp = len;
	return (buf);
}

int
main(int argc, char *argv[])
{
	struct config		*conf;
	struct store		*s;
	struct api_error	 e;
	json_t			*result = NULL, *problems = NULL;
	char			**pr = NULL, *err = NULL, *csv, *dump;
	size_t			 npr = 0, len, i;
	double			 t0, t1, t2, t3;
	long			 n;
	FILE			*f;

	if (argc < 5 || (strcmp(argv[4], "due") == 0 && argc < 6)) {
		fprintf(stderr, "usage: bench_import CONFIG DB N due|future"
		    " [DEADLINE] [CSVFILE]\n");
		return (2);
	}
	log_init(0, LOG_TO_STDERR);
	if ((conf = config_load(argv[1], &pr, &npr)) == NULL) {
		for (i = 0; i < npr; i++)
			fprintf(stderr, "%s\n", pr[i]);
		return (1);
	}
	daemon_apply_timezone(conf);
	n = atol(argv[3]);

	t0 = bench_now();
	csv = bench_csv(n, strcmp(argv[4], "due") == 0, argc > 5 ? argv[5] : "",
	    &len);
	t1 = bench_now();
	if (argc > 6 && (f = fopen(argv[6], "w")) != NULL) {
		fwrite(csv, 1, len, f);
		fclose(f);
	}
	if ((s = store_open(argv[2], &err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return (1);
	}
	/* As in the daemon: commits leave the checkpoint to a thread. */
	if (store_checkpointer_start(s, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		return (1);
	}
	memset(&e, 0, sizeof e);
	t2 = bench_now();
	if (store_begin(s) != 0 || import_csv(conf, s, csv, len, "utf-8", 0,
	    (int64_t)time(NULL), &result, &problems, &e) != 0) {
		dump = problems ? json_dumps(problems, JSON_COMPACT) : NULL;
		fprintf(stderr, "import failed: %d %s %.2000s\n", e.status, e.msg,
		    dump ? dump : "");
		return (1);
	}
	t3 = bench_now();
	if (store_commit(s) != 0) {
		fprintf(stderr, "commit: %s\n", store_error(s));
		return (1);
	}
	printf("items %ld\n", n);
	printf("csv_bytes %zu\n", len);
	printf("generate_s %.3f\n", t1 - t0);
	printf("import_s %.3f\n", t3 - t2);
	printf("commit_s %.3f\n", bench_now() - t3);
	printf("import_total_s %.3f\n", bench_now() - t2);
	dump = json_dumps(result, JSON_COMPACT);
	t3 = bench_now();
	store_close(s);
	/* The checkpointer's copy of the log into the file, finished. */
	printf("close_s %.3f\n", bench_now() - t3);
	printf("peak_kb %ld\n", bench_hwm());
	printf("result %s\n", dump);
	free(dump);
	json_decref(result);
	free(csv);
	config_free(conf);
	return (0);
}
