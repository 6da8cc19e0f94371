/*
 * Delivery of the outbox.  Each channel has a sender that takes its oldest
 * queued message, throttles it below the robot's rate limit, posts it
 * through libcurl's multi interface driven by the libevent loop, judges
 * the vendor's answer from the body and records the outcome and the log
 * entry in one transaction.  A slow or broken chat only ever delays its
 * own queue.  A message stays "queued" until its answer is recorded, so a
 * crash re-sends at most what was in flight.
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
#define OUTBOX_WINDOW_SLOTS	128

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
	/* Throttle state on the monotonic clock, so that a wall clock set
	 * back cannot leave a sender waiting for "future" send times. */
	int64_t			 slots[OUTBOX_WINDOW_SLOTS];	/* answer times, ms */
	size_t			 nslots;
	int64_t			 blocked_until;			/* ms */
	int64_t			 sent, failed, retried;
	TAILQ_ENTRY(sender)	 entry;
};

struct transfer {
	struct outbox		*ob;
	CURL			*easy;
	struct sender		*sd;		/* NULL for a send-test */
	int64_t			 outbox_id;
	enum channel_type	 type;
	char			*channel;
	struct http_request	 req;
	struct curl_slist	*hdrs;
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
	TAILQ_HEAD(, transfer)	 transfers;
	int			 inflight;
	int64_t			 latency_ms_sum;
	int64_t			 latency_count;
};

static void	outbox_sender_run(struct sender *);
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
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
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

/* Arm a sender's timer to run it again in d milliseconds. */
static void
outbox_sender_wait(struct sender *sd, int64_t d)
{
	struct timeval	 tv;

	if (d < 0)
		d = 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)((d % 1000) * 1000);
	evtimer_add(sd->timer, &tv);
}

/* When the throttle next allows a send, on the monotonic clock (0: now). */
static int64_t
outbox_throttle(struct sender *sd, const struct channel *ch, int64_t now)
{
	size_t	 i, n;
	int64_t	 wait = 0, oldest;

	if (sd->blocked_until > now)
		return (sd->blocked_until);
	n = sd->nslots < OUTBOX_WINDOW_SLOTS ? sd->nslots : OUTBOX_WINDOW_SLOTS;
	if (ch->per_minute > 0 && (size_t)ch->per_minute <= n) {
		/* the per_minute-th most recent send must be a minute old */
		i = (sd->nslots - (size_t)ch->per_minute) % OUTBOX_WINDOW_SLOTS;
		oldest = sd->slots[i];
		if (oldest + 60000 > now)
			wait = oldest + 60000 + 50;
	}
	if (ch->per_second > 0 && (size_t)ch->per_second <= n) {
		i = (sd->nslots - (size_t)ch->per_second) % OUTBOX_WINDOW_SLOTS;
		oldest = sd->slots[i];
		if (oldest + 1000 > now && oldest + 1050 > wait)
			wait = oldest + 1050;
	}
	return (wait);
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

/* Start a transfer for a built request. */
static int
outbox_start(struct outbox *ob, struct transfer *t, const struct channel *ch)
{
	int	 i;

	t->easy = curl_easy_init();
	if (t->easy == NULL)
		return (-1);
	for (i = 0; i < 4 && t->req.headers[i] != NULL; i++)
		t->hdrs = curl_slist_append(t->hdrs, t->req.headers[i]);
	t->hdrs = curl_slist_append(t->hdrs, "Expect:");
	curl_easy_setopt(t->easy, CURLOPT_URL, t->req.url);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->req.body);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)t->req.bodylen);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->hdrs);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, outbox_write_cb);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT, (long)(ch->timeout > 0 ?
	    ch->timeout : 10));
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
	return (0);
}

/* Record a failed build (bad message for this channel) as permanent;
 * -1 when the database refused, the message then stays queued. */
static int
outbox_build_failed(struct outbox *ob, struct outbox_row *o, const char *err)
{
	struct store	*s = ob->esc->store;

	free(o->status);
	o->status = xstrdup("failed");
	free(o->error);
	o->error = xstrdup(err);
	o->attempts++;
	if (store_begin(s) != 0 || store_outbox_update(s, o) != 0 ||
	    store_log(s, (int64_t)time(NULL), 0, NULL, o->stage, o->channel,
	    "failed", err) != 0 || store_commit(s) != 0) {
		log_warnx("outbox: cannot record that message %lld to %s cannot"
		    " be built: %s", (long long)o->id, o->channel,
		    store_error(s));
		store_rollback(s);
		return (-1);
	}
	log_action(0, NULL, o->stage, o->channel, "failed",
	    "message %lld to %s cannot be built: %s", (long long)o->id,
	    o->channel, err);
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
	/* A retry is never more than the longest backoff or block away;
	 * further means the wall clock was set back: try now. */
	at = o.next_attempt * 1000;
	if (at > now + CHANNEL_MAX_WAIT_MS)
		at = now;
	if (o.not_before * 1000 > at)
		at = o.not_before * 1000;
	wait = at - now;
	if ((at = outbox_throttle(sd, ch, mono)) > 0 && at - mono > wait)
		wait = at - mono;
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
	t->outbox_id = o.id;
	t->type = ch->type;
	t->channel = xstrdup(ch->name);
	rc = channel_build(ch, &m, now, &t->req, &err);
	free((void *)(uintptr_t)m.mobiles);
	free((void *)(uintptr_t)m.userids);
	json_decref(jm);
	json_decref(ju);
	if (rc != 0) {
		/* Not on record: try again later, not in a busy loop. */
		rc = outbox_build_failed(ob, &o, err ? err :
		    "cannot build request");
		free(err);
		outbox_transfer_free(t);
		outbox_row_clear(&o);
		outbox_sender_wait(sd, rc == 0 ? 0 : 1000);
		return;
	}
	outbox_row_clear(&o);
	if (outbox_start(ob, t, ch) != 0) {
		outbox_transfer_free(t);
		outbox_sender_wait(sd, 1000);
		return;
	}
	sd->busy = 1;
	sd->slots[sd->nslots++ % OUTBOX_WINDOW_SLOTS] = mono;	/* till answered */
}

/* Tell the admin channel that a robot's credentials were refused; -1
 * when the notice cannot be queued. */
static int
outbox_alert_admin(struct outbox *ob, const char *channel, long code,
    const char *msg, int64_t now)
{
	const struct config	*conf = ob->esc->conf;
	char			*text;
	int			 rc;

	if (conf->admin_channel == NULL ||
	    strcmp(conf->admin_channel, channel) == 0)
		return (0);
	xasprintf(&text, "【系统告警】机器人 %s 的凭据或安全设置被拒绝"
	    "（错误码 %ld：%s），该通道已暂停发送，待管理员修正配置并重新加载"
	    "（systemctl reload approval-escalatord）后恢复。", channel, code,
	    msg);
	rc = enqueue_text(conf, ob->esc->store, conf->admin_channel,
	    "admin", "通道暂停告警", text, "critical", now);
	free(text);
	return (rc < 0 ? -1 : 0);
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
	struct outbox_row	 o;
	struct delivery_plan	 plan;
	int64_t			 now = outbox_now_ms(), retry_at;
	const char		*outcome;
	char			 detail[320];
	int			 rc;

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
	if (store_outbox_update(s, &o) != 0 ||
	    store_log_outbox_items(s, o.id, now / 1000, o.stage, o.channel,
	    outcome, detail) != 0) {
		store_rollback(s);
		outbox_row_clear(&o);
		return (-1);
	}
	if (plan.pause && (store_outbox_fail_channel(s, o.channel,
	    code, "channel paused: credentials refused") != 0 ||
	    store_log(s, now / 1000, 0, NULL, NULL, o.channel, "paused",
	    detail) != 0 ||
	    outbox_alert_admin(ob, o.channel, code, msg, now / 1000) != 0)) {
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
	if (plan.block)
		sd->blocked_until = outbox_mono_ms() + plan.wait_ms;
	if (plan.pause)
		sd->paused = 1;
	{
		int64_t	*ids = NULL;
		size_t	 nids = 0;
		/* The journal entry names every item the message lists. */
		if (store_outbox_item_ids(s, o.id, &ids, &nids) != 0)
			nids = 0;
		log_action_items(ids, nids, NULL, o.stage, o.channel, outcome,
		    "message %lld to %s: %s (%s)", (long long)o.id, o.channel,
		    outcome, detail);
		free(ids);
	}
	if (plan.pause)
		log_warnx("channel %s paused: credentials refused (code %ld);"
		    " fix the configuration and reload", o.channel, code);
	outbox_row_clear(&o);
	if (plan.pause && ob->esc->conf->admin_channel != NULL)
		outbox_kick(ob, ob->esc->conf->admin_channel);
	return (0);
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
		if (t->sd != NULL) {
			/*
			 * The throttle counts this send from its answer, not
			 * from when it was built: only the answer proves the
			 * server has seen the request, and a first request
			 * delayed on its way (network, server queue, a busy
			 * loop here) would otherwise arrive less than the
			 * window before the next.  One transfer per sender,
			 * so its slot is the latest.
			 */
			t->sd->slots[(t->sd->nslots - 1) %
			    OUTBOX_WINDOW_SLOTS] = outbox_mono_ms();
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
		} else if (t->cb != NULL)
			t->cb(t->cbarg, delivery_outcome_name(out), http, code,
			    why);
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
	TAILQ_INIT(&ob->transfers);
	ob->multi = curl_multi_init();
	if (ob->multi == NULL)
		fatalx("curl_multi_init failed");
	ob->timer = evtimer_new(esc->base, outbox_timer_cb, ob);
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

	if (ob == NULL)
		return;
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
	curl_multi_cleanup(ob->multi);
	event_free(ob->timer);
	free(ob);
}

/* After (re)loading: a sender per channel, paused ones get a new chance. */
void
outbox_reconfigure(struct outbox *ob)
{
	struct channel	*ch;
	struct sender	*sd;

	TAILQ_FOREACH(ch, &ob->esc->conf->channels, entry) {
		sd = outbox_sender(ob, ch->name);
		sd->paused = 0;
	}
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

/* Send a test message now, outside the queue; cb gets the answer. */
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
	t->cb = cb;
	t->cbarg = arg;
	if (channel_build(ch, &m, outbox_now_ms(), &t->req, &err) != 0 ||
	    outbox_start(ob, t, ch) != 0) {
		cb(arg, "permanent", 0, 0, err ? err : "cannot build request");
		free(err);
		outbox_transfer_free(t);
		free(title);
		free(text);
		return (-1);
	}
	free(title);
	free(text);
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
