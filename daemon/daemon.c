/*
 * The running daemon's shared actions: configuration reload (SIGHUP and
 * the API), the time zone, and the one-line status published to systemd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "escalator.h"

/* Use the configured time zone for all local-time arithmetic. */
void
daemon_apply_timezone(const struct config *conf)
{
	setenv("TZ", conf->timezone, 1);
	tzset();
}

/* Publish a one-line status to systemd. */
void
daemon_status_line(struct escalator *esc)
{
	int64_t	 accepted = 0, queued = 0, failed = 0, next;
	char	 buf[256], when[32] = "none";

	store_count_status(esc->store, "accepted", &accepted);
	store_outbox_count(esc->store, NULL, "queued", &queued);
	store_outbox_count(esc->store, NULL, "failed", &failed);
	if ((next = scheduler_next(esc->sched)) > 0)
		rules_format(next, when, sizeof when);
	snprintf(buf, sizeof buf, "%lld active items, %lld messages queued,"
	    " %lld failed; next wake-up %s", (long long)accepted,
	    (long long)queued, (long long)failed, when);
	notify_status(buf);
}

/* Re-read, validate and swap the configuration; keep the old on error. */
int
daemon_reload(struct escalator *esc, char ***problems, size_t *n)
{
	struct config	*conf, *old = esc->conf;
	size_t		 i;
	int64_t		 now = (int64_t)time(NULL);

	notify_reloading();
	conf = config_load(old->path, problems, n);
	esc->reload_at = now;
	if (conf == NULL) {
		for (i = 0; i < *n; i++)
			log_warnx("reload: %s", (*problems)[i]);
		log_warnx("reload failed; keeping the running configuration");
		esc->reload_ok = 0;
		notify_ready();
		return (-1);
	}
	if (strcmp(conf->database, old->database) != 0 ||
	    strcmp(conf->socket, old->socket) != 0)
		log_warnx("reload: database and socket changes take effect at"
		    " the next restart");
	for (i = 0; i < conf->nwarnings; i++)
		log_warnx("%s", conf->warnings[i]);
	esc->conf = conf;
	daemon_apply_timezone(conf);
	/* Items follow the new rules from their current stage. */
	if (store_begin(esc->store) == 0) {
		if (item_retrack_all(conf, esc->store, now) == 0)
			store_commit(esc->store);
		else
			store_rollback(esc->store);
	}
	config_free(old);
	outbox_reconfigure(esc->outbox);
	scheduler_arm(esc->sched);
	reporter_arm(esc->reporter);
	esc->reload_ok = 1;
	daemon_calendar_check(esc);
	log_info("configuration reloaded from %s", conf->path);
	notify_ready();
	daemon_status_line(esc);
	return (0);
}


static struct event	*calendar_timer;

/*
 * From 1 November, tell the administrators (once per year, on the admin
 * channel) that next year's holiday calendar is missing; the timer sleeps
 * until the next 1 November otherwise.
 */
static void
daemon_calendar_fire(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	daemon_calendar_check(arg);
}

/* Check the calendar's coverage now and arm the next check. */
void
daemon_calendar_check(struct escalator *esc)
{
	const struct config	*conf = esc->conf;
	int64_t			 now = (int64_t)time(NULL), next;
	int32_t			 today;
	int			 y, m, d, last, rc;
	char			*text, period[16];
	struct timeval		 tv;

	rules_split(now, &today, NULL);
	calendar_civil(today, &y, &m, &d);
	last = calendar_last_year(conf->calendar);
	if (calendar_timer == NULL)
		calendar_timer = evtimer_new(esc->base, daemon_calendar_fire,
		    esc);
	if ((m >= 11 && last < y + 1) || last < y) {
		snprintf(period, sizeof period, "%d", last < y ? y : y + 1);
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
		log_warnx("holiday calendar for %s is missing; deadlines in it are"
		    " counted Monday-Friday", period);
		if (conf->admin_channel != NULL && store_begin(esc->store) == 0) {
			rc = store_report_claim(esc->store, "calendar-missing",
			    period, now);
			if (rc == 0 && scheduler_enqueue_text(conf, esc->store,
			    conf->admin_channel, "admin", "节假日日历缺失提醒", text,
			    "warning", now) == 0 && store_commit(esc->store) == 0)
				outbox_kick(esc->outbox, conf->admin_channel);
			else
				store_rollback(esc->store);
		}
		free(text);
	}
	/* The next check: 1 November 09:00 of this or next year. */
	next = rules_local(calendar_daynum(m >= 11 ? y + 1 : y, 11, 1), 9 * 3600);
	tv.tv_sec = (time_t)(next > now ? next - now : 60);
	tv.tv_usec = 0;
	evtimer_add(calendar_timer, &tv);
}

/* Free the calendar-check timer. */
void
daemon_calendar_free(void)
{
	if (calendar_timer != NULL)
		event_free(calendar_timer);
	calendar_timer = NULL;
}
