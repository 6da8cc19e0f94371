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

	if (store_count_status(esc->store, STATUS_ACCEPTED, &accepted) != 0 ||
	    store_outbox_count(esc->store, NULL, "queued", &queued) != 0 ||
	    store_outbox_count(esc->store, NULL, "failed", &failed) != 0) {
		snprintf(buf, sizeof buf, "database error: %s",
		    store_error(esc->store));
		log_warnx("status: %s", buf);
		notify_status(buf);
		return;
	}
	if ((next = scheduler_next(esc->sched)) > 0)
		rules_format(next, when, sizeof when);
	snprintf(buf, sizeof buf, "%lld active items, %lld messages queued,"
	    " %lld failed; next wake-up %s", (long long)accepted,
	    (long long)queued, (long long)failed, when);
	notify_status(buf);
}

/*
 * Re-read, validate and swap the configuration; keep the old on error:
 * -1 when the new one has problems, -2 when the items cannot be moved to
 * its rules (a database error, the one problem then listed).  actor asked
 * for it (NULL: the daemon): the action log names it on the reload's own
 * entry and on every entry the items' retracking writes, the journal and
 * the failure lines too.
 */
int
daemon_reload(struct escalator *esc, const char *actor, char ***problems,
    size_t *n)
{
	struct config	*conf, *old = esc->conf;
	size_t		 i;
	int64_t		 now = (int64_t)time(NULL);
	char		 detail[512];

	if (actor == NULL)
		actor = STORE_ACTOR_DAEMON;
	notify_reloading();
	conf = config_load(old->path, problems, n);
	esc->reload_at = now;
	/* As at start: never post with the shipped PLACEHOLDER keys. */
	if (conf != NULL && config_placeholder_problems(conf, problems, n) > 0) {
		config_free(conf);
		conf = NULL;
	}
	if (conf == NULL) {
		for (i = 0; i < *n; i++)
			log_warnx("reload: %s", (*problems)[i]);
		log_warnx("reload failed (asked by %s); keeping the running"
		    " configuration", actor);
		esc->reload_ok = 0;
		notify_ready();
		return (-1);
	}
	if (strcmp(conf->database, old->database) != 0 ||
	    strcmp(conf->socket, old->socket) != 0)
		log_warnx("reload: database and socket changes take effect at"
		    " the next restart");
	/* A step or a report run in its thread finishes first: it reads
	 * the time zone (and may hold the write lock). */
	scheduler_wait(esc->sched);
	reporter_wait(esc->reporter);
	daemon_apply_timezone(conf);
	/* Items follow the new rules from their current stage, all or none;
	 * the reload's own entry goes with them. */
	snprintf(detail, sizeof detail, "configuration reloaded from %s",
	    conf->path);
	if (store_begin_as(esc->store, actor) != 0 ||
	    item_retrack_all(conf, esc->store, now, old) != 0 ||
	    store_log(esc->store, now, 0, NULL, NULL, NULL, "reloaded",
	    detail) != 0 || store_commit(esc->store) != 0) {
		*problems = xcalloc(1, sizeof **problems);
		xasprintf(&(*problems)[0], "database: %s",
		    store_error(esc->store));
		*n = 1;
		store_rollback(esc->store);
		daemon_apply_timezone(old);
		config_free(conf);
		log_warnx("reload failed (asked by %s): the items cannot follow"
		    " the new rules (%s); keeping the running configuration",
		    actor, (*problems)[0]);
		esc->reload_ok = 0;
		notify_ready();
		return (-2);
	}
	for (i = 0; i < conf->nwarnings; i++)
		log_warnx("%s", conf->warnings[i]);
	esc->conf = conf;
	config_free(old);
	outbox_reconfigure(esc->outbox);
	scheduler_arm(esc->sched);
	reporter_arm(esc->reporter);
	esc->reload_ok = 1;
	daemon_calendar_check(esc);
	log_action(actor, 0, NULL, NULL, NULL, "reloaded", "%s", detail);
	notify_ready();
	daemon_status_line(esc);
	return (0);
}


/* Warn in the log when the holiday calendar does not cover this year, or
 * next year from 1 November; the reporter tells the admin channel. */
void
daemon_calendar_check(struct escalator *esc)
{
	int32_t	 today;
	int	 y, m, d, last;

	rules_split((int64_t)time(NULL), &today, NULL);
	calendar_civil(today, &y, &m, &d);
	last = calendar_last_year(esc->conf->calendar);
	if ((m >= 11 && last < y + 1) || last < y)
		log_warnx("holiday calendar for %d is missing; deadlines in it"
		    " are counted Monday-Friday", last < y ? y : y + 1);
}

/* Messages were queued: hand them to delivery. */
static void
daemon_queued(struct escalator *esc, const char *channel)
{
	outbox_kick(esc->outbox, channel);
}

/* The scheduler stepped: publish the new status. */
static void
daemon_stepped(struct escalator *esc)
{
	daemon_status_line(esc);
}

/* The wall clock was set: both timers re-arm against the new time. */
static void
daemon_clock_set(struct escalator *esc)
{
	scheduler_arm(esc->sched);
	reporter_arm(esc->reporter);
}

/* Wire the engines together through their hooks: the scheduler, the
 * reporter and the outbox never call each other. */
void
daemon_wire(struct escalator *esc)
{
	esc->queued = daemon_queued;
	esc->stepped = daemon_stepped;
	esc->clock_set = daemon_clock_set;
}
