/*
 * The simulation behind POST /v1/simulate: what the daemon would send
 * between two instants, found by running the daemon itself -- the same
 * step (scheduler_step), the same reporter (reporter_run), the same path
 * into the outbox, the same rendering -- on a private copy of the database
 * (store_snapshot) under a virtual clock that jumps from one due action to
 * the next, exactly where the daemon's two timers would wake.  Delivery is
 * replaced by reading back what each wake-up queued.
 *
 * It runs in a thread of its own, on its own connection and copy, holding
 * the configuration it started with (config_ref), so the loop goes on
 * answering meanwhile and a reload does not disturb it.  The thread writes
 * the JSON document to a pipe or socket; the control API streams it to the
 * client, and stops reading when the client is slow, which stops the
 * thread at its next write.
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "escalator.h"

#define SIM_FLUSH	(64 * 1024)	/* bytes written to the fd at a time */
#define SIM_RETRIES	3		/* failed wake-ups in a row, then stop */

struct sim {
	struct config	*conf;		/* a holder (config_ref) */
	char		*dbpath;
	int64_t		 from;
	int64_t		 until;
	int		 fd;		/* write end; closed when done */
	pthread_t	 thread;
	int		 stop;		/* atomic: asked to stop */
	size_t		 nmessages;	/* atomic */
	struct jsonbuf	 out;		/* not yet written to fd */
	int		 broken;	/* the reader went away */
	char		**warnings;
	size_t		 nwarnings;
};

/* Write what is buffered to the fd (all of it, or the reader is gone). */
static void
sim_flush(struct sim *s)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (!s->broken && off < s->out.len) {
		n = send(s->fd, s->out.p + off, s->out.len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == ENOTSOCK)
			n = write(s->fd, s->out.p + off, s->out.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->broken = 1;
			break;
		}
		off += (size_t)n;
	}
	s->out.len = 0;
	if (s->out.p != NULL)
		s->out.p[0] = '\0';
}

/* Add a warning once. */
static void
sim_warn(struct sim *s, const char *w)
{
	size_t	 i;

	for (i = 0; i < s->nwarnings; i++)
		if (strcmp(s->warnings[i], w) == 0)
			return;
	s->warnings = xreallocarray(s->warnings, s->nwarnings + 1,
	    sizeof *s->warnings);
	s->warnings[s->nwarnings++] = xstrdup(w);
}

/* A member "key":"value" (value may be NULL: left out). */
static void
sim_member(struct jsonbuf *o, const char *key, const char *v)
{
	if (v == NULL)
		return;
	jsonbuf_puts(o, ",");
	jsonbuf_str(o, key);
	jsonbuf_puts(o, ":");
	jsonbuf_str(o, v);
}

/* Append the strings of a JSON array text (mobiles, user ids). */
static void
sim_recipients(struct jsonbuf *o, const char *array, int *first)
{
	json_t		*a, *v;
	size_t		 i;

	if (array == NULL || (a = json_loads(array, 0, NULL)) == NULL)
		return;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			continue;
		if (!*first)
			jsonbuf_puts(o, ",");
		*first = 0;
		jsonbuf_str(o, json_string_value(v));
	}
	json_decref(a);
}

/* The stage label a message's event carries, or NULL (malloc'd). */
static char *
sim_stage_label(const char *event)
{
	json_t	*e;
	char	*label = NULL;

	if (event == NULL || (e = json_loads(event, 0, NULL)) == NULL)
		return (NULL);
	if (json_is_string(json_object_get(e, "stage_label")))
		label = xstrdup(json_string_value(json_object_get(e,
		    "stage_label")));
	json_decref(e);
	return (label);
}

struct sim_read {
	struct sim	*s;
	struct store	*st;
	int64_t		 now;
	int64_t		 last;		/* highest outbox id written */
};

/* Write one queued message as the daemon would post it. */
static int
sim_message(void *arg, const struct outbox_row *o)
{
	struct sim_read	*r = arg;
	struct sim	*s = r->s;
	struct jsonbuf	*b = &s->out;
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	char		 at[32], num[32], *label;
	int		 first = 1;

	r->last = o->id;
	if (store_outbox_item_ids(r->st, o->id, &ids, &n) != 0)
		return (-1);
	if (__atomic_fetch_add(&s->nmessages, 1, __ATOMIC_RELAXED) > 0)
		jsonbuf_puts(b, ",");
	rules_format_rfc3339(o->not_before > r->now ? o->not_before :
	    r->now, at, sizeof at);
	jsonbuf_puts(b, "{\"at\":");
	jsonbuf_str(b, at);
	rules_format_rfc3339(r->now, at, sizeof at);
	sim_member(b, "queued_at", at);
	sim_member(b, "channel", o->channel);
	sim_member(b, "stage", o->stage);
	label = sim_stage_label(o->event);
	sim_member(b, "stage_label", label);
	free(label);
	sim_member(b, "severity", o->severity);
	sim_member(b, "title", o->title ? o->title : "");
	sim_member(b, "text", o->text ? o->text : "");
	jsonbuf_puts(b, ",\"items\":[");
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%s%lld", i ? "," : "",
		    (long long)ids[i]);
		jsonbuf_puts(b, num);
	}
	jsonbuf_puts(b, "],\"recipients\":[");
	sim_recipients(b, o->mobiles, &first);
	sim_recipients(b, o->userids, &first);
	jsonbuf_puts(b, "]");
	if (o->follows != 0)
		jsonbuf_puts(b, ",\"follow_up\":true");
	jsonbuf_puts(b, "}");
	free(ids);
	if (b->len >= SIM_FLUSH)
		sim_flush(s);
	return (s->broken || __atomic_load_n(&s->stop, __ATOMIC_RELAXED));
}

/* Warn when the window reaches a year the holiday calendar lacks. */
static void
sim_check_calendar(struct sim *s)
{
	int32_t	 d;
	int	 y, m, dd, last = calendar_last_year(s->conf->calendar);

	rules_split(s->until, &d, NULL);
	calendar_civil(d, &y, &m, &dd);
	if (last > 0 && y > last)
		sim_warn(s, "the simulated period reaches a year without a"
		    " holiday calendar; it is counted Monday-Friday");
}

/* The scheduler's next wake-up in the copy (0: none), -1 on error. */
static int64_t
sim_sched_next(struct store *st)
{
	int64_t	 at = 0;
	int	 rc;

	if ((rc = store_next_wakeup(st, &at)) < 0)
		return (-1);
	return (rc == 1 ? 0 : at);
}

/* Write what the last wake-up queued (at now). */
static int
sim_collect(struct sim *s, struct sim_read *r, int64_t now)
{
	r->now = now;
	if (store_outbox_since(r->st, r->last, sim_message, r) != 0) {
		sim_warn(s, "reading the copy of the database failed");
		return (-1);
	}
	return (0);
}

/*
 * Run the daemon from s->from to s->until on the copy, as its two timers
 * would: the scheduler wakes at the earliest next action of a track and
 * steps; the reporter wakes when reporter_next_at() said and runs.  When
 * both are due in the same second the scheduler goes first, as in the
 * daemon (its timer is armed to the microsecond, the reporter's to the
 * second).  A failed step is retried after 5 s, a failed report after 60 s,
 * as the daemon does; after SIM_RETRIES failures in a row it stops.
 */
static void
sim_loop(struct sim *s, struct store *st)
{
	struct sim_read	 r;
	int64_t		 t, s_at, r_at;
	int		 failed = 0, n;
	char		*why;

	memset(&r, 0, sizeof r);
	r.s = s;
	r.st = st;
	if (store_outbox_max_id(st, &r.last) != 0 ||
	    (s_at = sim_sched_next(st)) < 0) {
		sim_warn(s, "reading the copy of the database failed");
		return;
	}
	r_at = reporter_next_at(s->conf, st, s->from);
	while (!s->broken && !__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		t = s_at == 0 || (r_at != 0 && r_at < s_at) ? r_at : s_at;
		if (t == 0)
			return;
		if (t < s->from)
			t = s->from;
		if (t > s->until)
			return;
		n = 0;
		if (s_at != 0 && s_at <= t) {
			n = scheduler_step(s->conf, st, t);
			if (sim_collect(s, &r, t) != 0)
				return;
			s_at = n < 0 ? t + 5 : sim_sched_next(st);
			if (s_at < 0)
				break;
		}
		if (n >= 0 && r_at != 0 && r_at <= t) {
			n = reporter_run(s->conf, st, t);
			if (sim_collect(s, &r, t) != 0)
				return;
			r_at = n < 0 ? t + 60 : reporter_next_at(s->conf, st, t);
			if (r_at != 0 && r_at <= t)
				r_at = t + 1;
		}
		if (n < 0 && ++failed >= SIM_RETRIES) {
			xasprintf(&why, "the simulation stopped: a step failed"
			    " (%s)", store_error(st));
			sim_warn(s, why);
			free(why);
			return;
		} else if (n >= 0)
			failed = 0;
	}
	if (s_at < 0)
		sim_warn(s, "reading the copy of the database failed");
}

/* The simulation thread: copy, run, end the document, close the fd. */
static void *
sim_main(void *arg)
{
	struct sim	*s = arg;
	struct store	*st;
	size_t		 i;
	char		*err = NULL, *why;

	log_simulation(1);
	jsonbuf_puts(&s->out, "{\"messages\":[");
	sim_check_calendar(s);
	if ((st = store_snapshot(s->dbpath, &err)) == NULL) {
		xasprintf(&why, "the database could not be copied: %s", err);
		sim_warn(s, why);
		free(why);
		free(err);
	} else {
		sim_loop(s, st);
		store_close(st);
	}
	if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
		sim_warn(s, "the simulation was stopped");
	jsonbuf_puts(&s->out, "],\"warnings\":[");
	for (i = 0; i < s->nwarnings; i++) {
		if (i > 0)
			jsonbuf_puts(&s->out, ",");
		jsonbuf_str(&s->out, s->warnings[i]);
	}
	jsonbuf_puts(&s->out, "]}\n");
	sim_flush(s);
	close(s->fd);
	s->fd = -1;
	return (NULL);
}

/*
 * Start a simulation of the daemon with conf (the simulation holds a
 * reference) on a copy of the database at dbpath, from..until.  *rfd gets
 * the read end of the JSON document; it ends (EOF) when the thread is done.
 */
struct sim *
sim_start(struct config *conf, const char *dbpath, int64_t from,
    int64_t until, int *rfd, char **err)
{
	struct sim	*s;
	int		 sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		xasprintf(err, "socketpair: %s", strerror(errno));
		return (NULL);
	}
	s = xcalloc(1, sizeof *s);
	s->conf = config_ref(conf);
	s->dbpath = xstrdup(dbpath);
	s->from = from;
	s->until = until;
	s->fd = sv[1];
	if ((rc = pthread_create(&s->thread, NULL, sim_main, s)) != 0) {
		xasprintf(err, "pthread_create: %s", strerror(rc));
		close(sv[0]);
		close(sv[1]);
		config_free(s->conf);
		free(s->dbpath);
		free(s);
		return (NULL);
	}
	pthread_setname_np(s->thread, "simulate");
	*rfd = sv[0];
	return (s);
}

/* Ask the simulation to stop at its next wake-up or write. */
void
sim_cancel(struct sim *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
}

/* Messages written so far. */
size_t
sim_messages(struct sim *s)
{
	return (__atomic_load_n(&s->nmessages, __ATOMIC_RELAXED));
}

/* Wait for the thread (its fd has reached EOF, or it was cancelled and
 * its reader closed) and free everything. */
void
sim_join(struct sim *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	pthread_join(s->thread, NULL);
	config_free(s->conf);
	free(s->dbpath);
	free(s->out.p);
	for (i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	free(s);
}
