/*
 * Delivery of the outbox.  Each channel has a sender that takes its oldest
 * queued message, throttles it below the robot's rate limit (one throttle
 * per robot, shared by every channel entry naming it and remembered in the
 * store across restarts: throttle.c), posts it
 * through libcurl's multi interface driven by the libevent loop, judges
 * the vendor's answer from the body and records the outcome and the log
 * entry in one transaction.  A slow or broken chat only ever delays its
 * own queue.  A message stays "queued" until its answer is recorded, so a
 * crash re-sends at most what was in flight.
 *
 * A message with a file (a report's workbook, store_file.c) goes to a
 * WeCom robot in two requests (media.c): the upload, whose media_id is
 * recorded, then the file message; each is throttled like any message,
 * and judged and retried by the same rules, a refusal of either reaching
 * the admin chat.  A file message refused with "invalid media_id" (the
 * three days ran out meanwhile) is retried with a fresh upload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "escalator.h"

#define OUTBOX_MAX_RESPONSE	65536
#define OUTBOX_TEST_WAIT_MS	5000	/* a send-test waits this at most */

/*
 * One chat robot: the throttle and any vendor block, on the monotonic
 * clock so that a wall clock set back cannot leave it waiting for "future"
 * send times.  Limits are the strictest of the channel entries naming it.
 */
struct robot {
	char			 id[THROTTLE_ID_LEN + 1];
	struct throttle		 th;
	struct throttle_limits	 lim;
	int64_t			 timeout;	/* ms, the longest request */
	TAILQ_ENTRY(robot)	 entry;
};

/* An answer that could not be recorded yet (database locked, disk full). */
struct pending {
	int			 set;
	int64_t			 outbox_id;
	enum channel_type	 type;
	enum delivery_outcome	 out;
	long			 http;
	long			 code;
	char			 msg[256];
};

struct sender {
	struct outbox		*ob;
	char			*name;
	int			 paused;
	int			 busy;
	struct pending		 pending;	/* recorded before the next send */
	struct event		*timer;
	struct robot		*robot;		/* NULL until configured */
	int64_t			 sent, failed, retried;
	TAILQ_ENTRY(sender)	 entry;
};

struct transfer {
	struct outbox		*ob;
	CURL			*easy;
	struct sender		*sd;		/* NULL for a send-test */
	struct robot		*robot;
	uint64_t		 ticket;	/* of its send in the throttle */
	int			 timeout;	/* seconds */
	struct event		*wait;		/* a send-test waiting its turn */
	int64_t			 give_up;	/* ... until then (monotonic) */
	int64_t			 outbox_id;
	enum channel_type	 type;
	char			*channel;
	struct http_request	 req;
	struct curl_slist	*hdrs;
	int			 file;		/* the message has a file */
	int			 upload;	/* ... and this uploads it */
	char			*upload_name;
	curl_mime		*mime;
	struct curl_slist	*parthdrs;
	char			*resp;
	size_t			 resplen;
	int64_t			 started_ms;
	outbox_test_cb		 cb;
	void			*cbarg;
	TAILQ_ENTRY(transfer)	 entry;
};

struct outbox {
	struct escalator	*esc;
	CURLM			*multi;
	struct event		*timer;
	TAILQ_HEAD(, sender)	 senders;
	TAILQ_HEAD(, robot)	 robots;
	TAILQ_HEAD(, transfer)	 transfers;
	TAILQ_HEAD(, transfer)	 waiting;	/* send-tests not yet started */
	int			 inflight;
	struct event		*notice_timer;	/* admin notices held back */
	int64_t			 notice_at;	/* when it fires, 0 unarmed */
	int64_t			 latency_ms_sum;
	int64_t			 latency_count;
};

static void	outbox_sender_run(struct sender *);
static void	outbox_notice_arm(struct outbox *, int64_t);
static int	outbox_failed(struct outbox *, const struct outbox_row *,
		    enum channel_type, long, const char *, int64_t, int,
		    int64_t, int64_t *);
static int	outbox_done(struct outbox *, struct sender *, int64_t,
		    enum channel_type, enum delivery_outcome, long, long,
		    const char *);

/* Milliseconds of wall-clock time. */
static int64_t
outbox_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Collect a response body, bounded. */
static size_t
outbox_write_cb(char *ptr, size_t size, size_t n, void *arg)
{
	struct transfer	*t = arg;
	size_t		 len = size * n, room;

	room = OUTBOX_MAX_RESPONSE - t->resplen;
	if (len < room)
		room = len;
	if (room > 0) {
		t->resp = xreallocarray(t->resp, t->resplen + room + 1, 1);
		memcpy(t->resp + t->resplen, ptr, room);
		t->resplen += room;
		t->resp[t->resplen] = '\0';
	}
	return (len);
}

/* Free a transfer. */
static void
outbox_transfer_free(struct transfer *t)
{
	if (t->wait != NULL)
		event_free(t->wait);
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	curl_mime_free(t->mime);
	curl_slist_free_all(t->parthdrs);
	free(t->upload_name);
	curl_slist_free_all(t->hdrs);
	http_request_clear(&t->req);
	free(t->resp);
	free(t->channel);
	free(t);
}

/* A sender's timer fired. */
static void
outbox_sender_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	outbox_sender_run(arg);
}

/* Find (or create) the sender of a channel. */
static struct sender *
outbox_sender(struct outbox *ob, const char *name)
{
	struct sender	*sd;

	TAILQ_FOREACH(sd, &ob->senders, entry)
		if (strcmp(sd->name, name) == 0)
			return (sd);
	sd = xcalloc(1, sizeof *sd);
	sd->ob = ob;
	sd->name = xstrdup(name);
	sd->timer = evtimer_new(ob->esc->base, outbox_sender_timer, sd);
	TAILQ_INSERT_TAIL(&ob->senders, sd, entry);
	return (sd);
}

/* Milliseconds of monotonic time: throttling and latency. */
static int64_t
outbox_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Arm a timer to fire in d milliseconds. */
static void
outbox_sender_wait_event(struct event *ev, int64_t d)
{
	struct timeval	 tv;

	if (d < 0)
		d = 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)((d % 1000) * 1000);
	evtimer_add(ev, &tv);
}

/* Arm a sender's timer to run it again in d milliseconds. */
static void
outbox_sender_wait(struct sender *sd, int64_t d)
{
	outbox_sender_wait_event(sd->timer, d);
}

/* Find the robot of a channel, or create it with what the store remembers
 * of it (a restart, a channel added by a reload). */
static struct robot *
outbox_robot(struct outbox *ob, const struct channel *ch)
{
	struct robot	*r;
	char		 id[THROTTLE_ID_LEN + 1], *sends = NULL;
	int64_t		 blocked = 0, mono = outbox_mono_ms();
	int64_t		 wall = outbox_now_ms();
	int		 rc;

	throttle_robot_id(ch->type, ch->url, ch->key, id);
	TAILQ_FOREACH(r, &ob->robots, entry)
		if (strcmp(r->id, id) == 0)
			return (r);
	r = xcalloc(1, sizeof *r);
	memcpy(r->id, id, sizeof r->id);
	throttle_init(&r->th);
	r->timeout = (int64_t)(ch->timeout > 0 ? ch->timeout : 10) * 1000;
	rc = store_throttle_get(ob->esc->store, r->id, &sends, &blocked);
	if (rc < 0)
		log_warnx("outbox: cannot read robot %.8s's recent sends: %s",
		    r->id, store_error(ob->esc->store));
	else if (rc == 0) {
		if (throttle_decode(&r->th, sends, r->timeout, mono, wall) != 0)
			log_warnx("outbox: robot %.8s: bad remembered sends",
			    r->id);
		r->th.blocked_until = throttle_block_from_wall(blocked,
		    CHANNEL_MAX_WAIT_MS, mono, wall);
		log_debug("outbox: robot %.8s: %zu recent sends remembered%s",
		    r->id, r->th.n, r->th.blocked_until > 0 ? ", blocked" : "");
	}
	free(sends);
	TAILQ_INSERT_TAIL(&ob->robots, r, entry);
	return (r);
}

/* Remember a robot's sends and block (blocked_until on the monotonic
 * clock) in the store; callers may hold a transaction. */
static int
outbox_robot_save(struct outbox *ob, struct robot *r, int64_t blocked_until)
{
	int64_t	 mono = outbox_mono_ms(), wall = outbox_now_ms();
	char	*sends;
	int	 rc;

	sends = throttle_encode(&r->th, r->lim.margin, mono, wall);
	rc = store_throttle_save(ob->esc->store, r->id, sends,
	    blocked_until > mono ? blocked_until - mono + wall : 0, wall / 1000);
	free(sends);
	return (rc);
}

/* The same outside any transaction: a failure is only logged. */
static void
outbox_robot_save_now(struct outbox *ob, struct robot *r)
{
	if (outbox_robot_save(ob, r, r->th.blocked_until) != 0)
		log_warnx("outbox: cannot remember robot %.8s's sends: %s",
		    r->id, store_error(ob->esc->store));
}

/* Milliseconds until a robot allows a send at mono (0: now). */
static int64_t
outbox_robot_wait(struct robot *r, int64_t mono)
{
	int64_t	 at = throttle_next(&r->th, &r->lim, mono);

	return (at > mono ? at - mono : 0);
}

/* Wake the idle senders of a robot: a send of it was answered. */
static void
outbox_robot_kick(struct outbox *ob, struct robot *r)
{
	struct sender	*sd;

	TAILQ_FOREACH(sd, &ob->senders, entry)
		if (sd->robot == r && !sd->busy && !sd->paused)
			outbox_sender_wait(sd, 0);
}

/* Turn a JSON array text into a string vector (borrowing from json). */
static const char **
outbox_strv(json_t **j, const char *text, size_t *n)
{
	const char	**v;
	size_t		  i;
	json_t		 *x;

	*n = 0;
	*j = text ? json_loads(text, 0, NULL) : NULL;
	if (*j == NULL || !json_is_array(*j))
		return (NULL);
	v = xcalloc(json_array_size(*j) + 1, sizeof *v);
	json_array_foreach(*j, i, x)
		if (json_is_string(x))
			v[(*n)++] = json_string_value(x);
	return (v);
}

/* An upload's multipart body: one part "media" with the file, its name
 * and length in a Content-Disposition of our own (media.c), which
 * libcurl then uses instead of its own. */
static int
outbox_mime(struct transfer *t)
{
	curl_mimepart	*part;
	char		*disp;

	if ((t->mime = curl_mime_init(t->easy)) == NULL ||
	    (part = curl_mime_addpart(t->mime)) == NULL)
		return (-1);
	disp = media_disposition(t->upload_name, t->req.bodylen);
	t->parthdrs = curl_slist_append(NULL, disp);
	free(disp);
	if (t->parthdrs == NULL ||
	    curl_mime_name(part, "media") != CURLE_OK ||
	    curl_mime_filename(part, t->upload_name) != CURLE_OK ||
	    curl_mime_type(part, "application/octet-stream") != CURLE_OK ||
	    curl_mime_data(part, t->req.body, t->req.bodylen) != CURLE_OK ||
	    curl_mime_headers(part, t->parthdrs, 0) != CURLE_OK ||
	    curl_easy_setopt(t->easy, CURLOPT_MIMEPOST, t->mime) != CURLE_OK)
		return (-1);
	return (0);
}

/*
 * The request for a message with a file: its upload, or with a media_id
 * still fresh the file message.  1 when built into t, 0 when the message
 * has no file, -1 when it cannot be built (*err), -2 on a store error.
 */
static int
outbox_file_build(struct outbox *ob, const struct channel *ch,
    const struct outbox_row *o, struct transfer *t, char **err)
{
	struct file_row	 f;
	char		 why[160];
	int		 rc;

	if ((rc = store_file_get(ob->esc->store, o->id, &f)) != 0)
		return (rc == 1 ? 0 : -2);
	t->file = 1;
	if (f.media_id != NULL && media_fresh(f.media_at, (int64_t)time(NULL))) {
		rc = media_message(ch, f.media_id, &t->req, err);
		file_row_clear(&f);
		return (rc == 0 ? 1 : -1);
	}
	if (media_check_size(f.len, why, sizeof why) != 0) {
		*err = xstrdup(why);
		file_row_clear(&f);
		return (-1);
	}
	if ((t->req.url = media_upload_url(ch, err)) == NULL) {
		file_row_clear(&f);
		return (-1);
	}
	t->upload = 1;
	t->req.body = f.data;
	t->req.bodylen = f.len;
	t->upload_name = f.name;
	f.data = f.name = NULL;
	file_row_clear(&f);
	return (1);
}

/* An upload was accepted: record its media_id, so that the file message
 * goes next (also after a restart); -1 when it cannot be (*why). */
static int
outbox_uploaded(struct outbox *ob, struct transfer *t, char *why,
    size_t whylen)
{
	struct store	*s = ob->esc->store;
	int64_t		 now = (int64_t)time(NULL);
	char		*id, detail[160];

	if ((id = media_answer_id(t->resp ? t->resp : "", t->resplen)) == NULL) {
		snprintf(why, whylen, "the upload's answer has no media_id");
		return (-1);
	}
	snprintf(detail, sizeof detail, "message %lld: file uploaded",
	    (long long)t->outbox_id);
	if (store_begin(s) != 0 || store_file_media(s, t->outbox_id, id,
	    now) != 0 || store_log_message(s, now, t->outbox_id, 0, NULL,
	    "report", t->channel, "uploaded", detail) != 0 ||
	    store_commit(s) != 0) {
		snprintf(why, whylen, "cannot record the upload: %s",
		    store_error(s));
		store_rollback(s);
		free(id);
		return (-1);
	}
	free(id);
	log_action(NULL, 0, NULL, "report", t->channel, "uploaded",
	    "message %lld to %s: file uploaded", (long long)t->outbox_id,
	    t->channel);
	return (0);
}

/* Start a transfer for a built request. */
static int
outbox_start(struct outbox *ob, struct transfer *t)
{
	int	 i;

	t->easy = curl_easy_init();
	if (t->easy == NULL)
		return (-1);
	for (i = 0; i < 4 && t->req.headers[i] != NULL; i++)
		t->hdrs = curl_slist_append(t->hdrs, t->req.headers[i]);
	t->hdrs = curl_slist_append(t->hdrs, "Expect:");
	curl_easy_setopt(t->easy, CURLOPT_URL, t->req.url);
	if (t->upload) {
		if (outbox_mime(t) != 0)
			return (-1);
	} else {
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->req.body);
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE,
		    (long)t->req.bodylen);
	}
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->hdrs);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, outbox_write_cb);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT, (long)(t->timeout > 0 ?
	    t->timeout : 10));
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT,
	    "approval-escalatord/" ESCALATOR_VERSION);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	t->started_ms = outbox_mono_ms();
	if (curl_multi_add_handle(ob->multi, t->easy) != CURLM_OK)
		return (-1);
	TAILQ_INSERT_TAIL(&ob->transfers, t, entry);
	ob->inflight++;
	/* The send counts from now until its answer plus the margin. */
	t->ticket = throttle_start(&t->robot->th, t->robot->lim.margin,
	    t->started_ms);
	return (0);
}

/* Record a failed build (bad message for this channel) as permanent;
 * -1 when the database refused, the message then stays queued. */
static int
outbox_build_failed(struct outbox *ob, struct outbox_row *o,
    enum channel_type type, const char *err)
{
	struct store	*s = ob->esc->store;
	int64_t		 now = (int64_t)time(NULL), next;
	int		 told;

	free(o->status);
	o->status = xstrdup("failed");
	free(o->error);
	o->error = xstrdup(err);
	o->attempts++;
	if (store_begin(s) != 0 || store_outbox_update(s, o) != 0 ||
	    store_log(s, now, 0, NULL, o->stage, o->channel,
	    "failed", err) != 0 || (told = outbox_failed(ob, o, type, 0, err,
	    1, 0, now, &next)) < 0 || store_commit(s) != 0) {
		log_warnx("outbox: cannot record that message %lld to %s cannot"
		    " be built: %s", (long long)o->id, o->channel,
		    store_error(s));
		store_rollback(s);
		return (-1);
	}
	log_action(NULL, 0, NULL, o->stage, o->channel, "failed",
	    "message %lld to %s cannot be built: %s", (long long)o->id,
	    o->channel, err);
	if (told > 0)
		outbox_kick(ob, ob->esc->conf->admin_channel);
	outbox_notice_arm(ob, next);
	return (0);
}

/* Send the next message of a sender if it may go now. */
static void
outbox_sender_run(struct sender *sd)
{
	struct outbox		*ob = sd->ob;
	const struct channel	*ch;
	struct outbox_row	 o;
	struct transfer		*t;
	struct message		 m;
	json_t			*jm = NULL, *ju = NULL;
	char			*err = NULL;
	int64_t			 now = outbox_now_ms(), mono = outbox_mono_ms();
	int64_t			 at, wait;
	int			 rc;

	if (sd->busy || sd->paused)
		return;
	/*
	 * The last answer must be on record before anything else goes out:
	 * sending again what the chat already accepted would duplicate it.
	 */
	if (sd->pending.set) {
		if (outbox_done(ob, sd, sd->pending.outbox_id, sd->pending.type,
		    sd->pending.out, sd->pending.http, sd->pending.code,
		    sd->pending.msg) != 0) {
			outbox_sender_wait(sd, 1000);
			return;
		}
		sd->pending.set = 0;
		if (sd->paused)
			return;
	}
	ch = config_channel(ob->esc->conf, sd->name);
	if ((rc = store_outbox_next(ob->esc->store, sd->name, &o)) != 0) {
		if (rc < 0)
			outbox_sender_wait(sd, 5000);
		return;
	}
	if (ch == NULL) {
		/* Channel removed by a reload: keep its queue for later. */
		outbox_row_clear(&o);
		return;
	}
	if (sd->robot == NULL)
		sd->robot = outbox_robot(ob, ch);
	/* A retry is never more than the longest backoff or block away;
	 * further means the wall clock was set back: try now. */
	at = o.next_attempt * 1000;
	if (at > now + CHANNEL_MAX_WAIT_MS)
		at = now;
	if (o.not_before * 1000 > at)
		at = o.not_before * 1000;
	wait = at - now;
	if (sd->robot != NULL && (at = outbox_robot_wait(sd->robot, mono)) >
	    wait)
		wait = at;
	if (wait <= 0)
		wait = channel_send_delay_ms(ch->type, now);
	if (wait > 0) {
		outbox_sender_wait(sd, wait);
		outbox_row_clear(&o);
		return;
	}
	memset(&m, 0, sizeof m);
	/* A follow-up carries the mentions its part could not: as text. */
	m.format = o.follows != 0 ? FORMAT_TEXT : FORMAT_DEFAULT;
	m.title = o.title;
	m.text = o.text;
	m.severity = o.severity;
	m.mobiles = outbox_strv(&jm, o.mobiles, &m.nmobiles);
	m.userids = outbox_strv(&ju, o.userids, &m.nuserids);
	m.event_json = o.event;
	t = xcalloc(1, sizeof *t);
	t->ob = ob;
	t->sd = sd;
	t->robot = sd->robot;
	t->timeout = ch->timeout;
	t->outbox_id = o.id;
	t->type = ch->type;
	t->channel = xstrdup(ch->name);
	rc = strcmp(o.stage, "report") == 0 ? outbox_file_build(ob, ch, &o, t,
	    &err) : 0;
	if (rc == -2) {
		/* The file cannot be read now: try again later. */
		log_warnx("outbox: cannot read message %lld's file: %s",
		    (long long)o.id, store_error(ob->esc->store));
		free((void *)(uintptr_t)m.mobiles);
		free((void *)(uintptr_t)m.userids);
		json_decref(jm);
		json_decref(ju);
		outbox_transfer_free(t);
		outbox_row_clear(&o);
		outbox_sender_wait(sd, 5000);
		return;
	}
	if (rc == 0)
		rc = channel_build(ch, &m, now, &t->req, &err);
	else
		rc = rc == 1 ? 0 : -1;
	free((void *)(uintptr_t)m.mobiles);
	free((void *)(uintptr_t)m.userids);
	json_decref(jm);
	json_decref(ju);
	if (rc != 0) {
		/* Not on record: try again later, not in a busy loop. */
		rc = outbox_build_failed(ob, &o, ch->type, err ? err :
		    "cannot build request");
		free(err);
		outbox_transfer_free(t);
		outbox_row_clear(&o);
		outbox_sender_wait(sd, rc == 0 ? 0 : 1000);
		return;
	}
	outbox_row_clear(&o);
	if (outbox_start(ob, t) != 0) {
		outbox_transfer_free(t);
		outbox_sender_wait(sd, 1000);
		return;
	}
	sd->busy = 1;
}

/* Arm the admin notices' timer for wall-clock time at, unless it fires
 * sooner already. */
static void
outbox_notice_arm(struct outbox *ob, int64_t at)
{
	struct timeval	 tv;
	int64_t		 now = (int64_t)time(NULL), d;

	if (at <= 0 || (ob->notice_at > 0 && ob->notice_at <= at))
		return;
	d = at > now ? at - now : 0;
	if (d > NOTICE_INTERVAL)	/* the wall clock was set back */
		d = NOTICE_INTERVAL;
	ob->notice_at = at;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = 0;
	evtimer_add(ob->notice_timer, &tv);
}

/* Queue the admin notices whose hour has come, in a transaction of
 * their own, and arm the timer for the next. */
static void
outbox_notices(struct outbox *ob)
{
	struct escalator	*esc = ob->esc;
	int64_t			 next = 0;
	int			 n;

	ob->notice_at = 0;
	evtimer_del(ob->notice_timer);
	if (store_begin(esc->store) != 0 || (n = notice_flush(esc->conf,
	    esc->store, (int64_t)time(NULL), &next)) < 0 ||
	    store_commit(esc->store) != 0) {
		log_warnx("outbox: cannot queue the admin notices: %s",
		    store_error(esc->store));
		store_rollback(esc->store);
		outbox_notice_arm(ob, (int64_t)time(NULL) + 60);
		return;
	}
	if (n > 0)
		outbox_kick(ob, esc->conf->admin_channel);
	outbox_notice_arm(ob, next);
}

/* The admin notices' timer fired. */
static void
outbox_notice_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	outbox_notices(arg);
}

/*
 * Count a permanent failure for the admin channel, inside the caller's
 * transaction: 1 when a notice was queued, 0 when none (then *next is
 * when one may go), -1 error.  The admin channel's own failures are only
 * logged.
 */
static int
outbox_failed(struct outbox *ob, const struct outbox_row *o,
    enum channel_type type, long code, const char *msg, int64_t n,
    int paused, int64_t now, int64_t *next)
{
	struct store	*s = ob->esc->store;
	char		*title = NULL;
	int		 rc;

	*next = 0;
	if (ob->esc->conf->admin_channel != NULL &&
	    strcmp(ob->esc->conf->admin_channel, o->channel) == 0) {
		log_warnx("outbox: message %lld to the admin channel %s failed"
		    " (code %ld: %s); not told to itself", (long long)o->id,
		    o->channel, code, msg);
		return (0);
	}
	if (store_outbox_title(s, o->id, &title) < 0)
		return (-1);
	rc = notice_failure(ob->esc->conf, s, o->channel, type, code, msg,
	    title, n, paused, now, next);
	free(title);
	return (rc);
}

/*
 * Record the answer to a queued message in one transaction: 0 when done
 * (or the message is gone), -1 when the database refused (locked, full);
 * the caller then keeps the answer and tries again before sending more.
 */
static int
outbox_done(struct outbox *ob, struct sender *sd, int64_t outbox_id,
    enum channel_type type, enum delivery_outcome out, long http, long code,
    const char *msg)
{
	struct store		*s = ob->esc->store;
	struct robot		*r = sd->robot;
	struct outbox_row	 o;
	struct delivery_plan	 plan;
	int64_t			 now = outbox_now_ms(), retry_at, blocked;
	int64_t			 nfailed = 0, notice_next = 0;
	const char		*outcome;
	char			 detail[320];
	int			 rc, told = 0;

	if ((rc = store_outbox_get(s, outbox_id, &o)) != 0)
		return (rc < 0 ? -1 : 0);
	if (store_begin(s) != 0) {
		outbox_row_clear(&o);
		return (-1);
	}
	o.attempts++;
	o.code = code;
	free(o.error);
	o.error = NULL;
	/* The vendor's rules (channel.c) decide; this only applies them. */
	channel_plan(type, out, o.attempts, (uint32_t)random(), &plan);
	free(o.status);
	o.status = xstrdup(plan.status);
	outcome = plan.outcome;
	if (out == DELIVERY_OK)
		o.sent_at = now / 1000;
	else
		o.error = xstrdup(msg);
	if (plan.wait_ms > 0) {
		retry_at = now + plan.wait_ms;
		o.next_attempt = (retry_at + 999) / 1000;
	}
	snprintf(detail, sizeof detail, "http %ld, code %ld: %s", http, code,
	    msg);
	/* The robot's sends (this answer's among them) and any block are
	 * remembered with the answer: a restart keeps to the limit. */
	blocked = r != NULL ? r->th.blocked_until : 0;
	if (plan.block && outbox_mono_ms() + plan.wait_ms > blocked)
		blocked = outbox_mono_ms() + plan.wait_ms;
	if ((r != NULL && outbox_robot_save(ob, r, blocked) != 0) ||
	    store_outbox_update(s, &o) != 0 ||
	    store_log_outbox_items(s, o.id, now / 1000, o.stage, o.channel,
	    outcome, detail) != 0) {
		store_rollback(s);
		outbox_row_clear(&o);
		return (-1);
	}
	if (plan.pause && (store_outbox_fail_channel(s, o.channel,
	    code, "channel paused: credentials refused", &nfailed) != 0 ||
	    store_log(s, now / 1000, 0, NULL, NULL, o.channel, "paused",
	    detail) != 0)) {
		store_rollback(s);
		outbox_row_clear(&o);
		return (-1);
	}
	/* Every permanent failure is counted for the admin channel. */
	if (strcmp(plan.status, "failed") == 0 && (told = outbox_failed(ob,
	    &o, type, code, msg, 1 + nfailed, plan.pause, now / 1000,
	    &notice_next)) < 0) {
		store_rollback(s);
		outbox_row_clear(&o);
		return (-1);
	}
	if (store_commit(s) != 0) {
		store_rollback(s);
		outbox_row_clear(&o);
		return (-1);
	}
	/* On record: only now do the counters and the sender's state change. */
	if (out == DELIVERY_OK)
		sd->sent++;
	else if (plan.wait_ms > 0)
		sd->retried++;
	else
		sd->failed++;
	if (plan.block && r != NULL) {
		throttle_block(&r->th, blocked);
		log_info("outbox: robot %.8s (channel %s) blocked by the vendor "
		    "for %lld s", r->id, o.channel,
		    (long long)(plan.wait_ms / 1000));
	}
	if (plan.pause)
		sd->paused = 1;
	{
		int64_t	*ids = NULL;
		size_t	 nids = 0;
		/* The journal entry names every item the message lists
		 * (read only for the journal: stderr does not list them). */
		if (log_action_ids() &&
		    store_outbox_item_ids(s, o.id, &ids, &nids) != 0)
			nids = 0;
		log_action_items(NULL, ids, nids, NULL, o.stage, o.channel,
		    outcome, "message %lld to %s: %s (%s)", (long long)o.id,
		    o.channel, outcome, detail);
		free(ids);
	}
	if (plan.pause)
		log_warnx("channel %s paused: credentials refused (code %ld);"
		    " fix the configuration and reload", o.channel, code);
	outbox_row_clear(&o);
	if (told > 0)
		outbox_kick(ob, ob->esc->conf->admin_channel);
	outbox_notice_arm(ob, notice_next);
	return (0);
}

/* A send-test was answered: a rate-limit answer blocks the robot for
 * production too; the robot's sends are remembered; the caller is told. */
static void
outbox_test_answered(struct outbox *ob, struct transfer *t,
    enum delivery_outcome out, long http, long code, const char *why)
{
	struct delivery_plan	 plan;

	channel_plan(t->type, out, 1, 0, &plan);
	if (plan.block) {
		throttle_block(&t->robot->th, outbox_mono_ms() + plan.wait_ms);
		log_info("outbox: robot %.8s (channel %s) blocked by the vendor "
		    "for %lld s", t->robot->id, t->channel,
		    (long long)(plan.wait_ms / 1000));
	}
	outbox_robot_save_now(ob, t->robot);
	if (t->cb != NULL)
		t->cb(t->cbarg, delivery_outcome_name(out), http, code, why);
}

/* Handle finished transfers. */
static void
outbox_check_done(struct outbox *ob)
{
	CURLMsg			*msg;
	int			 left;
	struct transfer		*t;
	long			 http = 0, code = 0;
	char			 why[256];
	enum delivery_outcome	 out;

	while ((msg = curl_multi_info_read(ob->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&t);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &http);
		out = channel_judge(t->type, msg->data.result == CURLE_OK, http,
		    t->resp ? t->resp : "", t->resplen, &code, why, sizeof why);
		if (msg->data.result != CURLE_OK)
			snprintf(why, sizeof why, "%s",
			    curl_easy_strerror(msg->data.result));
		curl_multi_remove_handle(ob->multi, t->easy);
		TAILQ_REMOVE(&ob->transfers, t, entry);
		ob->inflight--;
		ob->latency_ms_sum += outbox_mono_ms() - t->started_ms;
		ob->latency_count++;
		/*
		 * The send counted from its start; it stays in the window
		 * until its answer plus the margin: only the answer proves
		 * the server has seen the request, and one delayed on its way
		 * (network, server queue, a busy loop here) would otherwise
		 * arrive less than the window before the next.
		 */
		throttle_answer(&t->robot->th, t->ticket, outbox_mono_ms());
		if (t->sd != NULL && t->upload && out == DELIVERY_OK) {
			if (outbox_uploaded(ob, t, why, sizeof why) == 0) {
				/* The file message goes next. */
				t->sd->busy = 0;
				outbox_sender_wait(t->sd, 0);
				outbox_robot_kick(ob, t->robot);
				outbox_transfer_free(t);
				continue;
			}
			out = DELIVERY_RETRY;
		}
		if (t->sd != NULL && t->file && !t->upload &&
		    out == DELIVERY_PERMANENT && code == MEDIA_INVALID) {
			/* The chat forgot the file (three days passed, or
			 * more): upload it again. */
			if (store_file_media(ob->esc->store, t->outbox_id, NULL,
			    0) != 0)
				log_warnx("outbox: cannot forget message %lld's "
				    "media_id: %s", (long long)t->outbox_id,
				    store_error(ob->esc->store));
			out = DELIVERY_RETRY;
		}
		if (t->sd != NULL) {
			t->sd->busy = 0;
			if (outbox_done(ob, t->sd, t->outbox_id, t->type, out,
			    http, code, why) != 0) {
				/* Keep the answer; record it before sending on. */
				log_warnx("outbox: cannot record the answer to "
				    "message %lld yet: %s", (long long)t->outbox_id,
				    store_error(ob->esc->store));
				t->sd->pending.set = 1;
				t->sd->pending.outbox_id = t->outbox_id;
				t->sd->pending.type = t->type;
				t->sd->pending.out = out;
				t->sd->pending.http = http;
				t->sd->pending.code = code;
				snprintf(t->sd->pending.msg,
				    sizeof t->sd->pending.msg, "%s", why);
				outbox_sender_wait(t->sd, 1000);
			} else
				outbox_sender_wait(t->sd, 0);
		} else
			outbox_test_answered(ob, t, out, http, code, why);
		outbox_robot_kick(ob, t->robot);
		outbox_transfer_free(t);
	}
}

/* libcurl socket activity on the libevent loop. */
static void
outbox_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*ob = arg;
	int		 running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(ob->multi, fd, flags, &running);
	outbox_check_done(ob);
}

/* libcurl's timeout expired. */
static void
outbox_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*ob = arg;
	int		 running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(ob->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	outbox_check_done(ob);
}

/* libcurl asks to watch a socket (CURLMOPT_SOCKETFUNCTION). */
static int
outbox_socket_cb(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct outbox	*ob = arg;
	struct event	*ev = sockp;
	short		 kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			curl_multi_assign(ob->multi, s, NULL);
		}
		return (0);
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (ev != NULL)
		event_free(ev);
	ev = event_new(ob->esc->base, s, kind, outbox_event_cb, ob);
	event_add(ev, NULL);
	curl_multi_assign(ob->multi, s, ev);
	return (0);
}

/* libcurl asks for a timeout (CURLMOPT_TIMERFUNCTION). */
static int
outbox_timerfn_cb(CURLM *m, long ms, void *arg)
{
	struct outbox	*ob = arg;
	struct timeval	 tv;

	(void)m;
	if (ms < 0) {
		evtimer_del(ob->timer);
		return (0);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ob->timer, &tv);
	return (0);
}

/* Create the delivery engine and a sender per configured channel. */
struct outbox *
outbox_new(struct escalator *esc)
{
	struct outbox	*ob;

	ob = xcalloc(1, sizeof *ob);
	ob->esc = esc;
	TAILQ_INIT(&ob->senders);
	TAILQ_INIT(&ob->robots);
	TAILQ_INIT(&ob->transfers);
	TAILQ_INIT(&ob->waiting);
	ob->multi = curl_multi_init();
	if (ob->multi == NULL)
		fatalx("curl_multi_init failed");
	ob->timer = evtimer_new(esc->base, outbox_timer_cb, ob);
	ob->notice_timer = evtimer_new(esc->base, outbox_notice_timer, ob);
	curl_multi_setopt(ob->multi, CURLMOPT_SOCKETFUNCTION, outbox_socket_cb);
	curl_multi_setopt(ob->multi, CURLMOPT_SOCKETDATA, ob);
	curl_multi_setopt(ob->multi, CURLMOPT_TIMERFUNCTION, outbox_timerfn_cb);
	curl_multi_setopt(ob->multi, CURLMOPT_TIMERDATA, ob);
	outbox_reconfigure(ob);
	return (ob);
}

/* Abort transfers (their messages stay queued) and free everything. */
void
outbox_free(struct outbox *ob)
{
	struct transfer	*t, *tt;
	struct sender	*sd, *tsd;
	struct robot	*r, *tr;

	if (ob == NULL)
		return;
	/* Sends in flight stay counted: the next start reads them back. */
	TAILQ_FOREACH(r, &ob->robots, entry)
		if (r->th.n > 0 || r->th.blocked_until > 0)
			outbox_robot_save_now(ob, r);
	TAILQ_FOREACH_SAFE(t, &ob->waiting, entry, tt) {
		TAILQ_REMOVE(&ob->waiting, t, entry);
		t->cb(t->cbarg, "aborted", 0, 0, "daemon stopping");
		outbox_transfer_free(t);
	}
	TAILQ_FOREACH_SAFE(t, &ob->transfers, entry, tt) {
		curl_multi_remove_handle(ob->multi, t->easy);
		TAILQ_REMOVE(&ob->transfers, t, entry);
		if (t->cb != NULL)
			t->cb(t->cbarg, "aborted", 0, 0, "daemon stopping");
		outbox_transfer_free(t);
	}
	TAILQ_FOREACH_SAFE(sd, &ob->senders, entry, tsd) {
		TAILQ_REMOVE(&ob->senders, sd, entry);
		event_free(sd->timer);
		free(sd->name);
		free(sd);
	}
	TAILQ_FOREACH_SAFE(r, &ob->robots, entry, tr) {
		TAILQ_REMOVE(&ob->robots, r, entry);
		free(r);
	}
	curl_multi_cleanup(ob->multi);
	event_free(ob->timer);
	event_free(ob->notice_timer);
	free(ob);
}

/* Fold one channel entry's limits into its robot's: the strictest limit,
 * the widest margin, the longest timeout. */
static void
outbox_robot_merge(struct robot *r, const struct channel *ch)
{
	if (ch->per_minute > 0 && (r->lim.per_minute == 0 ||
	    ch->per_minute < r->lim.per_minute))
		r->lim.per_minute = ch->per_minute;
	if (ch->per_second > 0 && (r->lim.per_second == 0 ||
	    ch->per_second < r->lim.per_second))
		r->lim.per_second = ch->per_second;
	if (ch->margin > r->lim.margin)
		r->lim.margin = ch->margin;
	if ((int64_t)ch->timeout * 1000 > r->timeout)
		r->timeout = (int64_t)ch->timeout * 1000;
}

/*
 * After (re)loading: a sender per channel, paused ones get a new chance;
 * each channel entry gets its robot (the state of one new to this run is
 * read from the store), whose limits are folded from every entry naming it;
 * admin notices whose hour came meanwhile (a restart) are queued.
 */
void
outbox_reconfigure(struct outbox *ob)
{
	struct channel	*ch;
	struct sender	*sd;
	struct robot	*r;

	TAILQ_FOREACH(r, &ob->robots, entry) {
		memset(&r->lim, 0, sizeof r->lim);
		r->timeout = 0;
	}
	TAILQ_FOREACH(ch, &ob->esc->conf->channels, entry) {
		sd = outbox_sender(ob, ch->name);
		sd->paused = 0;
		sd->robot = outbox_robot(ob, ch);
		outbox_robot_merge(sd->robot, ch);
	}
	outbox_notices(ob);
	outbox_kick(ob, NULL);
}

/* Wake one channel's sender, or all. */
void
outbox_kick(struct outbox *ob, const char *channel)
{
	struct sender	*sd;

	TAILQ_FOREACH(sd, &ob->senders, entry)
		if (channel == NULL || strcmp(sd->name, channel) == 0)
			if (!sd->busy)
				outbox_sender_wait(sd, 0);
}

/* Transfers in flight. */
int
outbox_inflight(struct outbox *ob)
{
	return (ob->inflight);
}

/* Whether a channel is paused after refused credentials. */
int
outbox_paused(struct outbox *ob, const char *channel)
{
	struct sender	*sd;

	TAILQ_FOREACH(sd, &ob->senders, entry)
		if (strcmp(sd->name, channel) == 0)
			return (sd->paused);
	return (0);
}

static void	outbox_test_timer(evutil_socket_t, short, void *);

/*
 * Start a send-test when its robot's throttle allows, waiting up to
 * OUTBOX_TEST_WAIT_MS for its turn (a per-second limit, Feishu's busy
 * :00 and :30); a longer wait (the minute's budget spent, a vendor's
 * block) is answered at once, "rate-limited", without sending.
 */
static void
outbox_test_try(struct outbox *ob, struct transfer *t)
{
	int64_t	 mono = outbox_mono_ms(), wait;
	char	 why[160];
	int	 blocked;

	wait = outbox_robot_wait(t->robot, mono);
	blocked = t->robot->th.blocked_until > mono;
	if (wait == 0)
		wait = channel_send_delay_ms(t->type, outbox_now_ms());
	if (wait > 0 && mono + wait <= t->give_up) {
		if (t->wait == NULL) {
			t->wait = evtimer_new(ob->esc->base, outbox_test_timer,
			    t);
			TAILQ_INSERT_TAIL(&ob->waiting, t, entry);
		}
		outbox_sender_wait_event(t->wait, wait);
		return;
	}
	if (t->wait != NULL)
		TAILQ_REMOVE(&ob->waiting, t, entry);
	if (wait > 0) {
		snprintf(why, sizeof why, "%s, try again in %lld s", blocked ?
		    "the robot is blocked by the vendor's rate limit" :
		    "rate limited (the robot's budget is spent)",
		    (long long)((wait + 999) / 1000));
		log_info("send-test %s: not sent: %s", t->channel, why);
		t->cb(t->cbarg, delivery_outcome_name(DELIVERY_RATE_LIMITED), 0,
		    0, why);
		outbox_transfer_free(t);
		return;
	}
	if (outbox_start(ob, t) != 0) {
		t->cb(t->cbarg, "permanent", 0, 0, "cannot start the request");
		outbox_transfer_free(t);
	}
}

/* A send-test's wait for its turn is over: try again. */
static void
outbox_test_timer(evutil_socket_t fd, short what, void *arg)
{
	struct transfer	*t = arg;

	(void)fd;
	(void)what;
	outbox_test_try(t->ob, t);
}

/* Send a test message outside the queue, through the robot's throttle
 * like any other; cb gets the answer. */
int
outbox_send_test(struct outbox *ob, const struct channel *ch,
    outbox_test_cb cb, void *arg)
{
	struct transfer		*t;
	struct message		 m;
	const struct template_set *ts;
	char			*err = NULL, *title = NULL, *text = NULL;
	char			 stamp[32];

	rules_format((int64_t)time(NULL), stamp, sizeof stamp);
	ts = config_template(ob->esc->conf, "test", ch->type);
	memset(&m, 0, sizeof m);
	xasprintf(&title, "审批督办测试消息");
	xasprintf(&text, "审批督办机器人测试消息：通道 %s 配置正确，可以正常接收"
	    "提醒。（%s）", ch->name, stamp);
	if (ts != NULL) {
		struct msg_batch	 b;
		struct msg_part		*parts;
		size_t			 np;
		memset(&b, 0, sizeof b);
		b.channel = ch;
		b.template = "test";
		b.stage = "test";
		b.stage_label = "测试";
		b.severity = "info";
		b.group = "";
		if (message_render(ob->esc->conf, &b, (int64_t)time(NULL),
		    &parts, &np, &err) == 0 && np > 0) {
			free(title);
			free(text);
			title = parts[0].title;
			text = parts[0].text;
			parts[0].title = parts[0].text = NULL;
			message_parts_free(parts, np);
		}
		free(err);
		err = NULL;
	}
	m.title = title;
	m.text = text;
	m.severity = "info";
	t = xcalloc(1, sizeof *t);
	t->ob = ob;
	t->type = ch->type;
	t->channel = xstrdup(ch->name);
	t->robot = outbox_robot(ob, ch);
	t->timeout = ch->timeout;
	t->give_up = outbox_mono_ms() + OUTBOX_TEST_WAIT_MS;
	t->cb = cb;
	t->cbarg = arg;
	if (channel_build(ch, &m, outbox_now_ms(), &t->req, &err) != 0) {
		cb(arg, "permanent", 0, 0, err ? err : "cannot build request");
		free(err);
		outbox_transfer_free(t);
		free(title);
		free(text);
		return (-1);
	}
	free(title);
	free(text);
	outbox_test_try(ob, t);
	return (0);
}

/* Per-channel delivery counters for /metrics. */
void
outbox_metrics(struct outbox *ob, void (*cb)(void *, const char *,
    const char *, int64_t), void *arg)
{
	struct sender	*sd;

	TAILQ_FOREACH(sd, &ob->senders, entry) {
		cb(arg, sd->name, "sent", sd->sent);
		cb(arg, sd->name, "failed", sd->failed);
		cb(arg, sd->name, "retry", sd->retried);
	}
	cb(arg, "", "latency_ms_sum", ob->latency_ms_sum);
	cb(arg, "", "latency_count", ob->latency_count);
}
