/*
 * The reporter: the engine that sends each scheduled report once per
 * period, also across restarts (the period is claimed in the reports table
 * in the same transaction as its messages), and the yearly admin notice
 * that next year's holiday calendar is missing.  reporter_run() and
 * reporter_next_at() take the clock as an argument: the daemon's timer and
 * the simulation call the same two functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "escalator.h"

#define REPORT_GRACE		(15 * 60)	/* later than this is "late" */
#define REPORT_RETRY		60		/* seconds after a failure */
#define REPORT_LATE_PREFIX	"（补发）"
#define REPORTER_CALENDAR	"calendar-missing"	/* its name in the reports table */

/*
 * The reporter runs off the loop, as the step does: reporter_run() in a
 * thread of its own on a connection of its own (worker.c), so that
 * rendering a report over a million items (seconds) never stalls the
 * loop.  Each report is rendered from a snapshot outside any write
 * transaction, then claimed and queued in a short one on that
 * connection.  When the thread is done the loop goes on as after an
 * inline run (delivery kicked, the timer re-armed).  Without a second
 * connection (":memory:") it runs inline.
 */
struct reporter {
	struct escalator	*esc;
	struct event		*timer;
	int64_t			 next;
	struct worker		*worker;	/* its thread */
};

/* ------------------------------------------------------------------ */
/* The reporter: the one timer sending scheduled reports. */

/*
 * Whether a report's latest period is to be sent now: 1 and its instant,
 * key and lateness; 0 when not; -1 on a store error.  A late period is
 * sent only when the report was sent before and not since that period's
 * instant: a report just configured starts with its next period.
 */
static int
reporter_due(const struct config *conf, struct store *s,
    const struct report_conf *rc, int64_t now, int64_t *at, char *key,
    size_t keylen, int *late)
{
	int64_t	 last;
	int	 rc2;

	if ((*at = report_latest(rc, conf->calendar, now, key, keylen)) == 0)
		return (0);
	if ((rc2 = store_report_claimed(s, rc->name, key)) != 0)
		return (rc2 < 0 ? -1 : 0);
	*late = now - *at > REPORT_GRACE;
	if (!*late)
		return (1);
	if (store_report_last_at(s, rc->name, &last) != 0)
		return (-1);
	return (last > 0 && last < *at);
}

/*
 * Whether the yearly notice that a holiday calendar is missing is due: from
 * 1 November for next year, at once for the current year; 1 and its
 * period (the year), 0 when not, -1 on a store error.
 */
static int
reporter_calendar_due(const struct config *conf, struct store *s, int64_t now,
    char *period, size_t len)
{
	int32_t	 today;
	int	 y, m, d, last, rc;

	rules_split(now, &today, NULL);
	calendar_civil(today, &y, &m, &d);
	last = calendar_last_year(conf->calendar);
	if (conf->admin_channel == NULL || !((m >= 11 && last < y + 1) ||
	    last < y))
		return (0);
	snprintf(period, len, "%d", last < y ? y : y + 1);
	if ((rc = store_report_claimed(s, REPORTER_CALENDAR, period)) != 0)
		return (rc < 0 ? -1 : 0);
	return (1);
}

/* The next time the calendar notice could be due after now: 1 November
 * 09:00 of this or next year. */
static int64_t
reporter_calendar_next(int64_t now)
{
	int32_t	 today;
	int	 y, m, d;

	rules_split(now, &today, NULL);
	calendar_civil(today, &y, &m, &d);
	return (rules_local(calendar_daynum(m >= 11 ? y + 1 : y, 11, 1),
	    9 * 3600));
}

/* Queue the calendar notice for the admin channel, once per year. */
static int
reporter_calendar(const struct config *conf, struct store *s, int64_t now)
{
	char	 period[16], *text;
	int	 rc, last = calendar_last_year(conf->calendar);

	if ((rc = reporter_calendar_due(conf, s, now, period,
	    sizeof period)) <= 0)
		return (rc);
	if (last == 0)
		xasprintf(&text, "【系统提醒】尚未配置节假日日历，工作日暂按周一至"
		    "周五计算，期限可能不准确。请添加 rules/calendar/cn-%s.conf"
		    " 并重新加载配置。", period);
	else
		xasprintf(&text, "【系统提醒】节假日日历缺少 %s 年的数据（当前只"
		    "覆盖到 %d 年）。请在国务院办公厅公布节假日安排后添加"
		    " rules/calendar/cn-%s.conf 并重新加载配置；在此之前，该年的"
		    "工作日按周一至周五计算，期限可能不准确。", period, last,
		    period);
	rc = -1;
	if (store_begin(s) == 0) {
		if (store_report_claim(s, REPORTER_CALENDAR, period, now) == 0 &&
		    enqueue_text(conf, s, conf->admin_channel, "admin",
		    "节假日日历缺失提醒", text, "warning", now) == 0 &&
		    store_commit(s) == 0)
			rc = 1;
		else
			store_rollback(s);
	}
	free(text);
	if (rc < 0)
		log_warnx("calendar notice: %s", store_error(s));
	return (rc);
}

/* Send every scheduled report that is due and not claimed. */
int
reporter_run(const struct config *conf, struct store *s, int64_t now)
{
	const struct report_conf	*rc;
	struct report_post		*post;
	struct api_error		 e;
	size_t				 i;
	int64_t				 at, since;
	int				 due, late = 0, n, total = 0, failed = 0;
	char				 key[32];

	for (i = 0; i < conf->nreports; i++) {
		rc = &conf->reports[i];
		if ((due = reporter_due(conf, s, rc, now, &at, key, sizeof key,
		    &late)) <= 0) {
			if (due < 0) {
				log_warnx("report %s: %s", rc->name,
				    store_error(s));
				failed = 1;
			}
			continue;
		}
		/* The period looked back over ends where this one starts. */
		if ((since = report_latest(rc, conf->calendar, at - 1, NULL,
		    0)) == 0)
			since = at - 14 * 86400;
		memset(&e, 0, sizeof e);
		/*
		 * Rendered first, from one snapshot, outside the write
		 * transaction (a report over a million items takes seconds);
		 * then claimed and queued together in a short one: once per
		 * period.
		 */
		if (store_begin_read(s) != 0 || report_prepare(conf, s, rc,
		    NULL, now, since, late ? REPORT_LATE_PREFIX : NULL, &post,
		    &e) != 0) {
			log_warnx("report %s (%s): %s", rc->name, key,
			    e.msg[0] != '\0' ? e.msg : store_error(s));
			store_rollback(s);
			failed = 1;
			continue;
		}
		store_rollback(s);
		if (store_begin(s) != 0) {
			log_warnx("report %s (%s): %s", rc->name, key,
			    store_error(s));
			report_post_free(post);
			failed = 1;
			continue;
		}
		if ((due = store_report_claim(s, rc->name, key, now)) != 0) {
			if (due < 0)
				log_warnx("report %s (%s): %s", rc->name, key,
				    store_error(s));
			store_rollback(s);
			report_post_free(post);
			failed |= due < 0;
			continue;
		}
		n = report_post_queue(conf, s, post, now, &e);
		report_post_free(post);
		if (n < 0 || store_commit(s) != 0) {
			store_rollback(s);
			log_warnx("report %s (%s): %s", rc->name, key, n < 0 ?
			    e.msg : store_error(s));
			failed = 1;
			continue;
		}
		log_info("report %s: period %s %s, %d message(s) queued",
		    rc->name, key, late ? "sent late" : "sent", n);
		total += n;
	}
	if ((n = reporter_calendar(conf, s, now)) < 0)
		failed = 1;
	total += n > 0 ? n : 0;
	return (failed ? -1 : total);
}

/* After a run: hand what was queued to delivery, re-arm. */
static void
reporter_done(struct reporter *rp, int n)
{
	struct timeval	 tv = { REPORT_RETRY, 0 };

	if (n != 0 && rp->esc->queued != NULL)
		rp->esc->queued(rp->esc, NULL);
	if (n < 0) {
		log_warnx("reporter: some report failed; retrying in %d s",
		    REPORT_RETRY);
		evtimer_del(rp->timer);
		rp->next = (int64_t)time(NULL) + REPORT_RETRY;
		evtimer_add(rp->timer, &tv);
		return;
	}
	reporter_arm(rp);
}

/* A run in the reporter's thread. */
static int
reporter_job(const struct config *conf, struct store *s, int64_t now,
    void *run)
{
	(void)run;
	return (reporter_run(conf, s, now));
}

/* The reporter's thread is done (on the loop). */
static void
reporter_joined(int result, struct store *ws, void *arg, void *run)
{
	(void)ws;
	(void)run;
	reporter_done(arg, result);
}

/* A run in the thread is waited for (reload: it reads the time zone). */
void
reporter_wait(struct reporter *rp)
{
	if (rp != NULL)
		worker_wait(rp->worker);
}

/* The timer fired: send what is due (in the thread, or here). */
static void
reporter_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct reporter	*rp = arg;
	int64_t		 now = (int64_t)time(NULL);

	(void)fd;
	(void)ev;
	if (worker_running(rp->worker))
		return;		/* re-armed when that run is done */
	if (worker_start(rp->worker, rp->esc->conf, now, NULL) == 0)
		return;
	reporter_done(rp, reporter_run(rp->esc->conf, rp->esc->store, now));
}

/* Create the reporter and its (unarmed) timer. */
struct reporter *
reporter_new(struct escalator *esc)
{
	struct reporter	*rp;

	rp = xcalloc(1, sizeof *rp);
	rp->esc = esc;
	rp->worker = worker_new(esc->base, esc->store, "reporter",
	    "reporter: reports are rendered on the loop", 0, reporter_job,
	    reporter_joined, rp);
	rp->timer = evtimer_new(esc->base, reporter_fire, rp);
	return (rp);
}

/* Free the reporter.  A run in its thread is interrupted (what it had
 * not committed goes after the restart) and waited for. */
void
reporter_free(struct reporter *rp)
{
	if (rp == NULL)
		return;
	worker_free(rp->worker, 1);
	event_free(rp->timer);
	free(rp);
}

/*
 * When reporter_run() has something to do next after now: now for a period
 * due and unsent (a restart, a reload), else the next scheduled instant
 * or the next calendar check; 0 when never.
 */
int64_t
reporter_next_at(const struct config *conf, struct store *s, int64_t now)
{
	int64_t		 next, t, at;
	size_t		 i;
	int		 due, late;
	char		 key[32];

	due = reporter_calendar_due(conf, s, now, key, sizeof key);
	next = due > 0 ? now : due < 0 ? now + REPORT_RETRY :
	    conf->admin_channel != NULL ? reporter_calendar_next(now) : 0;
	for (i = 0; i < conf->nreports; i++) {
		due = reporter_due(conf, s, &conf->reports[i], now, &at, key,
		    sizeof key, &late);
		if (due > 0)
			t = now;
		else if (due < 0)
			t = now + REPORT_RETRY;
		else
			t = report_next_time(&conf->reports[i], conf->calendar,
			    now);
		if (t > 0 && (next == 0 || t < next))
			next = t;
	}
	return (next);
}

/* Arm the timer for reporter_next_at(). */
void
reporter_arm(struct reporter *rp)
{
	struct timeval		 tv;
	int64_t			 now = (int64_t)time(NULL), next;

	evtimer_del(rp->timer);
	next = reporter_next_at(rp->esc->conf, rp->esc->store, now);
	rp->next = next;
	if (next == 0)
		return;
	tv.tv_sec = next > now ? (time_t)(next - now) : 0;
	tv.tv_usec = 0;
	evtimer_add(rp->timer, &tv);
	log_debug("reporter: next report in %lld s", (long long)tv.tv_sec);
}

/* The next report time (0: none). */
int64_t
reporter_next(struct reporter *rp)
{
	return (rp->next);
}
