/*
 * The scheduler: one libevent timer armed for the earliest next action in
 * the store (an index on tracks.next_at), and the escalation step it runs.
 * A step advances every due track in one transaction that writes the new
 * ladder position, the grouped outgoing messages and the log entries
 * together; nothing polls.
 */
#include <sys/timerfd.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "escalator.h"

struct scheduler {
	struct escalator	*esc;
	struct event		*timer;
	int64_t			 next;		/* 0: nothing scheduled */
	int			 clockfd;	/* wall-clock step detector */
	struct event		*clockev;
};

/* One chat's pending message in a step: channel + stage -> entries. */
struct step_batch {
	struct msg_batch	 b;
	const struct stage	*stage;
	json_t			*mobiles;
	json_t			*userids;
	size_t			 cap;
	TAILQ_ENTRY(step_batch)	 entry;
};
TAILQ_HEAD(step_batches, step_batch);

struct step {
	const struct config	*conf;
	struct store		*store;
	int64_t			 now;
	struct step_batches	 batches;
	struct item_row		**items;	/* kept alive for batches */
	size_t			 nitems;
	int			 queued;
	int			 failed;
};

/* Find or create the batch for a channel and stage. */
static struct step_batch *
step_batch(struct step *st, const struct channel *ch, const struct stage *sg,
    const char *group, const char *category)
{
	struct step_batch	*sb;

	TAILQ_FOREACH(sb, &st->batches, entry)
		if (sb->b.channel == ch && sb->stage == sg)
			return (sb);
	sb = xcalloc(1, sizeof *sb);
	sb->b.channel = ch;
	sb->b.template = sg->template;
	sb->b.stage = sg->name;
	sb->b.stage_label = sg->label;
	sb->b.severity = sg->severity ? sg->severity : "warning";
	sb->b.group = group ? group : "";
	sb->b.category = category;
	sb->stage = sg;
	sb->mobiles = json_array();
	sb->userids = json_array();
	TAILQ_INSERT_TAIL(&st->batches, sb, entry);
	return (sb);
}

/* Add a string to a JSON array once. */
static void
json_add_unique(json_t *a, const char *v)
{
	size_t	 i;
	json_t	*x;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(x), v) == 0)
			return;
	json_array_append_new(a, json_string(v));
}

/* @-mention a person in a batch the way its chat app needs. */
static void
step_mention(struct step_batch *sb, const struct person *p)
{
	const char	*uid = NULL;
	char		*m;

	if (p == NULL)
		return;
	switch (sb->b.channel->type) {
	case CHANNEL_WECOM:
		uid = p->wecom;
		break;
	case CHANNEL_DINGTALK:
		uid = p->dingtalk;
		break;
	case CHANNEL_FEISHU:
		uid = p->feishu;
		break;
	case CHANNEL_WEBHOOK:
		break;
	}
	if (uid != NULL)
		json_add_unique(sb->userids, uid);
	if (p->mobile != NULL && (sb->b.channel->type != CHANNEL_WECOM ||
	    uid == NULL))
		json_add_unique(sb->mobiles, p->mobile);
	if (uid == NULL && (p->mobile == NULL ||
	    sb->b.channel->type == CHANNEL_FEISHU ||
	    sb->b.channel->type == CHANNEL_WEBHOOK)) {
		/* No id this app understands: name the person in the text. */
		if (sb->b.mentions != NULL && strstr(sb->b.mentions, p->name))
			return;
		xasprintf(&m, "%s%s@%s", sb->b.mentions ? sb->b.mentions : "",
		    sb->b.mentions ? " " : "", p->name);
		free(sb->b.mentions);
		sb->b.mentions = m;
	}
}

/* Resolve one recipient of a stage for an item to a channel and person. */
static const struct channel *
step_resolve(const struct config *conf, const struct item_row *it,
    const struct recipient *rc, const struct person **who,
    const struct group **grp)
{
	const struct department	*d;
	const char		*chname = NULL;

	*who = NULL;
	*grp = it->category ? config_group_for(conf, it->category) : NULL;
	switch (rc->role) {
	case ROLE_CHANNEL:
		chname = rc->channel;
		break;
	case ROLE_GROUP:
		chname = *grp ? (*grp)->channel : NULL;
		break;
	case ROLE_LEADER:
		chname = *grp ? (*grp)->channel : NULL;
		*who = *grp ? config_person(conf, (*grp)->leader) : NULL;
		break;
	case ROLE_HANDLER:
	case ROLE_DEPARTMENT:
		d = config_department(conf, it->department);
		chname = d && d->channel ? d->channel :
		    *grp ? (*grp)->channel : NULL;
		if (rc->role == ROLE_HANDLER)
			*who = it->handler ? config_person(conf, it->handler) :
			    NULL;
		else
			*who = d && d->contact ? config_person(conf, d->contact) :
			    NULL;
		break;
	case ROLE_HEAD:
		chname = conf->head_channel;
		*who = conf->head ? config_person(conf, conf->head) : NULL;
		break;
	case ROLE_ADMIN:
		chname = conf->admin_channel;
		break;
	}
	if (chname == NULL)
		chname = conf->admin_channel;
	return (chname ? config_channel(conf, chname) : NULL);
}

/* The structured event of one part (generic webhooks): its own items. */
static char *
scheduler_event(const struct msg_batch *b, const struct msg_part *part)
{
	json_t	*ev, *items, *x;
	size_t	 j;
	char	 due[32], *out;

	ev = json_object();
	items = json_array();
	json_object_set_new(ev, "stage", json_string(b->stage));
	json_object_set_new(ev, "stage_label", json_string(b->stage_label));
	json_object_set_new(ev, "group", json_string(b->group ? b->group : ""));
	for (j = 0; j < part->nentries; j++) {
		const struct item_row *it = part->entries[j]->item;
		x = json_object();
		json_object_set_new(x, "id", json_integer(it->id));
		json_object_set_new(x, "project", json_string(it->project_code));
		json_object_set_new(x, "item", json_string(it->kind));
		json_object_set_new(x, "department", json_string(it->department));
		rules_format(part->entries[j]->due, due, sizeof due);
		json_object_set_new(x, "deadline", json_string(due));
		json_array_append_new(items, x);
	}
	json_object_set_new(ev, "items", items);
	out = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return (out);
}

/*
 * Queue the parts of a rendered batch; link and log each item with the
 * part that lists it (a batch of n items split into k parts writes n
 * links, not n * k).
 */
int
scheduler_enqueue(const struct config *conf, struct store *s,
    const struct msg_batch *b, int64_t now, int64_t item_for_log)
{
	struct msg_part		*parts;
	struct outbox_row	 o;
	size_t			 nparts, i, j;
	char			*err = NULL;
	int			 n = 0;

	if (message_render(conf, b, now, &parts, &nparts, &err) != 0) {
		log_warnx("%s", err);
		store_log(s, now, item_for_log, NULL, b->stage, b->channel->name,
		    "render-failed", err);
		free(err);
		return (-1);
	}
	for (i = 0; i < nparts; i++) {
		memset(&o, 0, sizeof o);
		o.channel = b->channel->name;
		o.stage = (char *)(uintptr_t)b->stage;
		o.title = parts[i].title;
		o.text = parts[i].text;
		o.severity = (char *)(uintptr_t)b->severity;
		o.mobiles = b->mentions_json[0];
		o.userids = b->mentions_json[1];
		o.event = scheduler_event(b, &parts[i]);
		o.created_at = now;
		o.not_before = b->channel->window >= 0 ?
		    rules_window_next(conf->calendar,
		    config_window(conf, b->channel->window), now) : now;
		if (b->urgent)
			o.not_before = now;
		if (store_outbox_insert(s, &o) != 0) {
			free(o.event);
			n = -1;
			break;
		}
		free(o.event);
		for (j = 0; j < parts[i].nentries; j++) {
			const struct item_row *it = parts[i].entries[j]->item;
			if (store_outbox_link(s, o.id, it->id) != 0 ||
			    store_log(s, now, it->id, it->project_code, b->stage,
			    b->channel->name, "queued", nparts > 1 ?
			    "part of a grouped message" : "grouped message") != 0) {
				n = -1;
				break;
			}
			log_action(it->id, it->project_code, b->stage,
			    b->channel->name, "queued", "%s %s/%s: %s queued for %s",
			    b->stage_label, it->project_code, it->kind, b->stage,
			    b->channel->name);
		}
		if (n < 0)
			break;
		n++;
	}
	message_parts_free(parts, nparts);
	return (n);
}

/* Queue a ready text (reports, admin notices) for a channel. */
int
scheduler_enqueue_text(const struct config *conf, struct store *s,
    const char *channel, const char *stage, const char *title,
    const char *text, const char *severity, int64_t now)
{
	struct outbox_row	 o;
	const struct channel	*ch = config_channel(conf, channel);

	if (ch == NULL)
		return (-1);
	memset(&o, 0, sizeof o);
	o.channel = (char *)(uintptr_t)channel;
	o.stage = (char *)(uintptr_t)stage;
	o.title = (char *)(uintptr_t)title;
	o.text = (char *)(uintptr_t)text;
	o.severity = (char *)(uintptr_t)severity;
	o.created_at = now;
	o.not_before = now;
	if (store_outbox_insert(s, &o) != 0)
		return (-1);
	return (store_log(s, now, 0, NULL, stage, channel, "queued", title));
}

/* Fire one stage of one track: claim it, add to batches, move on. */
static int
step_fire(struct step *st, const struct policy *p, struct track_row *t,
    const struct item_row *it, int sidx, int rep)
{
	const struct stage	*sg = &p->stages[sidx];
	const struct channel	*ch;
	const struct person	*who;
	const struct group	*grp;
	struct step_batch	*sb;
	struct track_row	 rt;
	size_t			 i;
	int			 rc, k;
	char			 detail[256];

	/* Stages passed over (downtime, rule change) are logged only. */
	for (k = t->stage + 1; k < sidx; k++) {
		snprintf(detail, sizeof detail, "%s passed over; the ladder "
		    "continues at %s", p->stages[k].label, sg->label);
		if (store_log(st->store, st->now, it->id, it->project_code,
		    p->stages[k].name, NULL, "skipped", detail) != 0)
			return (-1);
	}
	if ((rc = store_fired_insert(st->store, t->id, it->id, sg->name, rep,
	    st->now)) < 0)
		return (-1);
	if (rc == 1)
		return (0);	/* already fired: never twice */
	for (i = 0; i < sg->nto; i++) {
		ch = step_resolve(st->conf, it, &sg->to[i], &who, &grp);
		if (ch == NULL) {
			store_log(st->store, st->now, it->id, it->project_code,
			    sg->name, NULL, "no-recipient",
			    "no channel configured for this recipient");
			continue;
		}
		sb = step_batch(st, ch, sg, grp ? grp->name : NULL,
		    it->category);
		step_mention(sb, who);
		/* The same item once per message even if named twice. */
		if (sb->b.nentries > 0 &&
		    sb->b.entries[sb->b.nentries - 1].item == it)
			continue;
		if (sb->b.nentries == sb->cap) {
			sb->cap = sb->cap ? sb->cap * 2 : 8;
			sb->b.entries = xreallocarray(sb->b.entries, sb->cap,
			    sizeof *sb->b.entries);
		}
		sb->b.entries[sb->b.nentries].item = it;
		sb->b.entries[sb->b.nentries].due = t->due_at;
		sb->b.entries[sb->b.nentries].reason = it->blocked_reason ?
		    it->blocked_reason : it->suspend_reason;
		sb->b.nentries++;
	}
	store_log(st->store, st->now, it->id, it->project_code, sg->name, NULL,
	    "escalated", sg->label);
	/* An interview orders rectification by a new deadline. */
	if (sg->rectify.n > 0) {
		memset(&rt, 0, sizeof rt);
		if ((rc = store_track_get(st->store, it->id, TRACK_RECTIFY,
		    &rt)) < 0)
			return (-1);
		if (rc == 1) {
			rt.item_id = it->id;
			rt.kind = xstrdup(TRACK_RECTIFY);
			rt.stage = -1;
			rt.due_at = rules_add(st->conf->calendar, st->now,
			    &sg->rectify, 1, NULL);
			if (store_track_save(st->store, &rt) != 0) {
				track_row_clear(&rt);
				return (-1);
			}
		}
		track_row_clear(&rt);
	}
	return (0);
}

/* Advance one due track. */
static int
step_track(void *arg, const struct track_row *tr)
{
	struct step		*st = arg;
	const struct policy	*p;
	const struct window	*w;
	struct track_row	 t = *tr;
	struct item_row		*it;
	int			 sidx, rep, rc, before;

	/* Each item is allocated on its own: batches point at it. */
	it = xcalloc(1, sizeof *it);
	if ((rc = store_item_get(st->store, t.item_id, it)) != 0) {
		free(it);
		t.next_at = 0;
		return (store_track_save(st->store, &t) != 0 ? -1 : 0);
	}
	st->items = xreallocarray(st->items, st->nitems + 1,
	    sizeof *st->items);
	st->items[st->nitems++] = it;
	p = config_policy_for(st->conf, t.kind, it->category, it->department,
	    it->kind, it->mode);
	if (p == NULL || strcmp(it->status, "accepted") != 0) {
		t.next_at = 0;
		return (store_track_save(st->store, &t) != 0 ? -1 : 0);
	}
	if (rules_due(p, st->conf->calendar, t.due_at, t.stage, t.rep, st->now,
	    &sidx, &rep)) {
		w = config_window(st->conf, p->window);
		if (w != NULL && !p->stages[sidx].urgent &&
		    !rules_in_window(st->conf->calendar, w, st->now)) {
			/* Outside the send window: wait for it, then group. */
			t.next_at = rules_window_next(st->conf->calendar, w,
			    st->now);
			return (store_track_save(st->store, &t) != 0 ? -1 : 0);
		}
		before = t.stage;
		if (step_fire(st, p, &t, it, sidx, rep) != 0)
			return (-1);
		t.stage = sidx;
		t.rep = rep;
		if (before != sidx || t.stage_name == NULL)
			t.stage_name = p->stages[sidx].name;
	}
	t.next_at = rules_next_time(p, st->conf->calendar, t.due_at, t.stage,
	    t.rep);
	if (t.next_at != 0 && t.next_at <= st->now)
		t.next_at = st->now + 1;
	if (t.policy == NULL || strcmp(t.policy, p->name) != 0)
		t.policy = p->name;
	return (store_track_save(st->store, &t) != 0 ? -1 : 0);
}

/* Advance every due track at now; one transaction. */
int
scheduler_step(const struct config *conf, struct store *s, int64_t now)
{
	struct step		 st;
	struct step_batch	*sb, *tsb;
	size_t			 i;
	int			 rc = 0, n;
	char			*mob, *uid;

	memset(&st, 0, sizeof st);
	st.conf = conf;
	st.store = s;
	st.now = now;
	TAILQ_INIT(&st.batches);
	if (store_begin(s) != 0)
		return (-1);
	if (store_track_due(s, now, step_track, &st) != 0)
		rc = -1;
	TAILQ_FOREACH(sb, &st.batches, entry) {
		if (rc != 0)
			break;
		mob = json_array_size(sb->mobiles) ?
		    json_dumps(sb->mobiles, JSON_COMPACT) : NULL;
		uid = json_array_size(sb->userids) ?
		    json_dumps(sb->userids, JSON_COMPACT) : NULL;
		sb->b.mentions_json[0] = mob;
		sb->b.mentions_json[1] = uid;
		sb->b.urgent = sb->stage->urgent;
		n = scheduler_enqueue(conf, s, &sb->b, now, 0);
		free(mob);
		free(uid);
		if (n < 0)
			rc = -1;
		else
			st.queued += n;
	}
	if (rc == 0 && store_commit(s) != 0)
		rc = -1;
	if (rc != 0)
		store_rollback(s);
	TAILQ_FOREACH_SAFE(sb, &st.batches, entry, tsb) {
		json_decref(sb->mobiles);
		json_decref(sb->userids);
		free(sb->b.mentions);
		free(sb->b.entries);
		free(sb);
	}
	for (i = 0; i < st.nitems; i++) {
		item_row_clear(st.items[i]);
		free(st.items[i]);
	}
	free(st.items);
	return (rc == 0 ? st.queued : -1);
}

/* The timer fired: step, hand messages to delivery, re-arm. */
static void
scheduler_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct scheduler	*sc = arg;
	int			 n;

	(void)fd;
	(void)ev;
	n = scheduler_step(sc->esc->conf, sc->esc->store, (int64_t)time(NULL));
	if (n < 0)
		log_warnx("scheduler: step failed: %s; retrying in 5 s",
		    store_error(sc->esc->store));
	else if (n > 0)
		outbox_kick(sc->esc->outbox, NULL);
	if (n < 0) {
		struct timeval tv = { 5, 0 };
		evtimer_add(sc->timer, &tv);
		return;
	}
	scheduler_arm(sc);
	daemon_status_line(sc->esc);
}

/*
 * Watch for the wall clock being set: a CLOCK_REALTIME timerfd armed far in
 * the future with TFD_TIMER_CANCEL_ON_SET becomes readable (ECANCELED) when
 * the clock steps.  libevent timers are monotonic, so without this a clock
 * stepped forward would delay due escalations; with it, the timer is
 * re-armed against the new time at once, and nothing polls.
 */
static void
scheduler_clock_arm(struct scheduler *sc)
{
	struct itimerspec	 its;

	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = (time_t)time(NULL) + 10 * 365 * 86400L;
	timerfd_settime(sc->clockfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
	    &its, NULL);
}

/* The wall clock was set: re-arm against the new time. */
static void
scheduler_clock_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct scheduler	*sc = arg;
	uint64_t		 n;

	(void)ev;
	if (read(fd, &n, sizeof n) == -1 && errno != ECANCELED &&
	    errno != EAGAIN)
		log_warn("scheduler: clock watch");
	log_info("scheduler: the wall clock was set; re-arming");
	scheduler_clock_arm(sc);
	scheduler_arm(sc);
	if (sc->esc->reporter != NULL)
		reporter_arm(sc->esc->reporter);
}

/* Create the scheduler and its (unarmed) timer. */
struct scheduler *
scheduler_new(struct escalator *esc)
{
	struct scheduler	*sc;

	sc = xcalloc(1, sizeof *sc);
	sc->esc = esc;
	sc->timer = evtimer_new(esc->base, scheduler_fire, sc);
	sc->clockfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sc->clockfd != -1) {
		scheduler_clock_arm(sc);
		sc->clockev = event_new(esc->base, sc->clockfd,
		    EV_READ | EV_PERSIST, scheduler_clock_cb, sc);
		event_add(sc->clockev, NULL);
	}
	return (sc);
}

/* Free the scheduler. */
void
scheduler_free(struct scheduler *sc)
{
	if (sc == NULL)
		return;
	event_free(sc->timer);
	if (sc->clockev != NULL)
		event_free(sc->clockev);
	if (sc->clockfd != -1)
		close(sc->clockfd);
	free(sc);
}

/* Arm the one timer for the earliest next action, or leave it idle. */
void
scheduler_arm(struct scheduler *sc)
{
	struct timeval	 tv;
	struct timespec	 ts;
	int64_t		 at, us;
	int		 rc;

	evtimer_del(sc->timer);
	rc = store_next_wakeup(sc->esc->store, &at);
	if (rc != 0) {
		sc->next = 0;
		if (rc < 0)
			log_warnx("scheduler: %s", store_error(sc->esc->store));
		return;
	}
	sc->next = at;
	/*
	 * To the microsecond, plus a millisecond so that time() has reached
	 * `at` when the timer fires: whole seconds from time() would fire up
	 * to a second late, at a random point of the due second.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	us = (at - (int64_t)ts.tv_sec) * 1000000 - ts.tv_nsec / 1000 + 1000;
	if (us < 0)
		us = 0;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(sc->timer, &tv);
	log_debug("scheduler: next wake-up in %lld.%03d s", (long long)tv.tv_sec,
	    (int)(tv.tv_usec / 1000));
}

/* The next wake-up time (0: none). */
int64_t
scheduler_next(struct scheduler *sc)
{
	return (sc->next);
}
