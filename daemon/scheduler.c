/*
 * The scheduler: one libevent timer armed for the earliest next action in
 * the store (an index on tracks.next_at), and the escalation step it runs.
 * A step advances every due track in one transaction that writes the new
 * ladder position, the grouped outgoing messages and the log entries
 * together; nothing polls.
 */
#include <sys/timerfd.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "escalator.h"

/*
 * The step runs off the loop: in a thread of its own on a connection of
 * its own (worker.c), so that a storm of a million due tracks, seconds of
 * work in one transaction, never stalls the loop.  Meanwhile the loop
 * goes on serving: reads see the last commit (WAL), a write meets the
 * step's lock and answers 503 at once (STORE_BUSY_MS).  When the thread
 * is done the loop goes on as after an inline step (hooks, the timer
 * re-armed).  Without a second connection (":memory:") the step runs
 * inline as before.
 */
struct scheduler {
	struct escalator	*esc;
	struct event		*timer;
	int64_t			 next;		/* 0: nothing scheduled */
	int			 clockfd;	/* wall-clock step detector */
	struct event		*clockev;
	struct worker		*worker;	/* the step's thread */
};

/*
 * A step works in two passes.  The walk advances every due track (the
 * claim, the log entries and the new ladder position) and files each
 * item a stage sends into its chat's message (one per chat and stage);
 * then each message is rendered and queued, its items most overdue
 * first.  Between the two the items wait in the step's spill
 * (store_spill.c), not in memory: a step holds its messages' headers, a
 * page of due tracks and a part being rendered, whether ten items are
 * due or a million.
 */

/* Strings of the step that name configuration (policy and stage names of
 * the tracks it saves, a message's group): each stored once. */
typedef uint32_t step_str;	/* a string of the step: index, 0 is NULL */

/* A set of strings, each stored once for the duration of a step. */
struct step_strings {
	char		**v;		/* v[0] is NULL */
	size_t		  n, vcap;
	step_str	 *slot;		/* hash of indices into v; 0 empty */
	size_t		  cap;		/* power of two */
};

/* One chat's pending message in a step: channel + stage; its items are
 * in the spill under its id. */
struct step_batch {
	struct msg_batch	 b;
	const struct stage	*stage;
	int64_t			 id;
	size_t			 n;		/* its items */
	TAILQ_ENTRY(step_batch)	 entry;
};
TAILQ_HEAD(step_batches, step_batch);

/* Log entries and track updates of a step are written STEP_QUEUE at a time. */
#define STEP_QUEUE	128

struct step {
	const struct config	*conf;
	struct store		*store;
	int64_t			 now;
	struct step_batches	 batches;
	int64_t			 nbatches;
	struct store_spill	*spill;		/* opened by the first item */
	struct step_strings	 strings;
	int			 queued;
	struct store_log_in	 logq[STEP_QUEUE];
	char			*logown[STEP_QUEUE][2];	/* its copies */
	size_t			 nlog;
	struct track_row	 trq[STEP_QUEUE];	/* strings: interned */
	size_t			 ntr;
};

/* FNV-1a. */
static uint64_t
step_hash(const char *v)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *v != '\0'; v++)
		h = (h ^ (unsigned char)*v) * 1099511628211ULL;
	return (h);
}

/* The slot holding v, or the empty slot where it belongs. */
static step_str *
step_slot(struct step_strings *ss, const char *v)
{
	size_t	 k = (size_t)step_hash(v) & (ss->cap - 1);

	while (ss->slot[k] != 0 && strcmp(ss->v[ss->slot[k]], v) != 0)
		k = (k + 1) & (ss->cap - 1);
	return (&ss->slot[k]);
}

/* The interned copy of v (NULL stays NULL, as 0). */
static step_str
step_intern(struct step_strings *ss, const char *v)
{
	step_str	*old, *slot;
	size_t		 oldcap, i;

	if (v == NULL)
		return (0);
	if (ss->v == NULL) {
		ss->vcap = 256;
		ss->v = xcalloc(ss->vcap, sizeof *ss->v);
		ss->n = 1;		/* v[0]: NULL */
	}
	if (ss->n * 2 >= ss->cap) {
		old = ss->slot;
		oldcap = ss->cap;
		ss->cap = ss->cap ? ss->cap * 2 : 512;
		ss->slot = xcalloc(ss->cap, sizeof *ss->slot);
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0)
				*step_slot(ss, ss->v[old[i]]) = old[i];
		free(old);
	}
	slot = step_slot(ss, v);
	if (*slot == 0) {
		if (ss->n == ss->vcap) {
			ss->vcap *= 2;
			ss->v = xreallocarray(ss->v, ss->vcap, sizeof *ss->v);
		}
		ss->v[ss->n] = xstrdup(v);
		*slot = (step_str)ss->n++;
	}
	return (*slot);
}

/* The text of an interned string (NULL for 0). */
static const char *
step_text(const struct step_strings *ss, step_str i)
{
	return (ss->v != NULL ? ss->v[i] : NULL);
}

/* The interned copy of v as a string. */
static const char *
step_keep(struct step *st, const char *v)
{
	return (step_text(&st->strings, step_intern(&st->strings, v)));
}

/* Free the interned strings. */
static void
step_strings_free(struct step_strings *ss)
{
	size_t	 i;

	for (i = 1; i < ss->n; i++)
		free(ss->v[i]);
	free(ss->v);
	free(ss->slot);
	memset(ss, 0, sizeof *ss);
}

/* Drop the queued log entries' copies of their strings. */
static void
step_logq_clear(struct step *st)
{
	size_t	 i;

	for (i = 0; i < st->nlog; i++) {
		free(st->logown[i][0]);
		free(st->logown[i][1]);
		st->logown[i][0] = st->logown[i][1] = NULL;
	}
	st->nlog = 0;
}

/* Write what the step has queued: log entries in order, then tracks. */
static int
step_flush(struct step *st)
{
	int	 rc = 0;

	if (st->nlog > 0 && store_log_many(st->store, st->logq, st->nlog) != 0)
		rc = -1;
	step_logq_clear(st);
	if (rc != 0)
		return (-1);
	if (st->ntr > 0 && store_track_update_many(st->store, st->trq,
	    st->ntr) != 0)
		return (-1);
	st->ntr = 0;
	return (0);
}

/*
 * Queue a log entry of the step (written in order, by step_flush()).
 * stage must outlive the step: a name of the step's configuration or a
 * literal, as outcome; the project and the detail are copied.
 */
static int
step_log(struct step *st, int64_t item, const char *project,
    const char *stage, const char *channel, const char *outcome,
    const char *detail)
{
	struct store_log_in	*l;

	if (st->nlog == STEP_QUEUE && step_flush(st) != 0)
		return (-1);
	l = &st->logq[st->nlog];
	l->at = st->now;
	l->item = item;
	l->outbox = 0;
	l->project = st->logown[st->nlog][0] = project ? xstrdup(project) :
	    NULL;
	l->stage = stage;
	l->channel = channel ? step_keep(st, channel) : NULL;
	l->outcome = outcome;
	l->detail = st->logown[st->nlog][1] = detail ? xstrdup(detail) : NULL;
	st->nlog++;
	return (0);
}

/* Save a track: a new one at once (it needs its id), others queued. */
static int
step_track_save(struct step *st, struct track_row *t)
{
	struct track_row	*q;

	if (t->id == 0)
		return (step_flush(st) != 0 ? -1 : store_track_save(st->store,
		    t));
	if (st->ntr == STEP_QUEUE && step_flush(st) != 0)
		return (-1);
	q = &st->trq[st->ntr++];
	*q = *t;
	q->kind = NULL;		/* not written back */
	q->policy = (char *)(uintptr_t)step_keep(st, t->policy);
	q->stage_name = (char *)(uintptr_t)step_keep(st, t->stage_name);
	return (0);
}

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
	sb->b.group = step_keep(st, group ? group : "");
	sb->b.category = step_keep(st, category);
	sb->stage = sg;
	sb->id = ++st->nbatches;
	TAILQ_INSERT_TAIL(&st->batches, sb, entry);
	return (sb);
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

/* The step's spill, opened the first time an item is filed. */
static struct store_spill *
step_spill(struct step *st)
{
	char	*err;

	if (st->spill == NULL && store_spill_open(&st->spill, &err) != 0) {
		log_warnx("%s", err);
		free(err);
	}
	return (st->spill);
}

/* An item's messages in one firing: the batch and the people it
 * @-mentions there (indices into the configuration's people). */
struct step_hit {
	struct step_batch	*sb;
	char			*who;
	size_t			 len;
};

/* Add a person to a hit's list. */
static void
step_hit_person(struct step *st, struct step_hit *h, const struct person *p)
{
	char	 num[24];
	int	 n;

	if (p == NULL)
		return;
	n = snprintf(num, sizeof num, "%s%zu", h->len ? "," : "",
	    (size_t)(p - st->conf->people));
	h->who = xreallocarray(h->who, h->len + (size_t)n + 1, 1);
	memcpy(h->who + h->len, num, (size_t)n + 1);
	h->len += (size_t)n;
}

/* File an item into the messages it goes with. */
static int
step_file(struct step *st, const struct track_row *t,
    const struct item_row *it, int64_t rectify_due, struct step_hit *hits,
    size_t nh)
{
	struct store_spill	*sp;
	struct spill_row	 r;
	size_t			 h;

	if (nh == 0)
		return (0);
	if ((sp = step_spill(st)) == NULL)
		return (-1);
	memset(&r, 0, sizeof r);
	r.item_id = it->id;
	r.due = t->due_at;
	r.rectify_due = rectify_due;
	r.accepted_at = it->accepted_at;
	r.project_code = it->project_code;
	r.project_name = it->project_name;
	r.category = it->category;
	r.region = it->region;
	r.kind = it->kind;
	r.department = it->department;
	r.handler = it->handler;
	r.mode = it->mode;
	r.reason = it->blocked_reason ? it->blocked_reason :
	    it->suspend_reason;
	for (h = 0; h < nh; h++) {
		r.who = hits[h].who;
		if (store_spill_add(sp, hits[h].sb->id, &r) != 0) {
			log_warnx("%s", store_spill_error(sp));
			return (-1);
		}
		hits[h].sb->n++;
	}
	return (0);
}

/* Fire one stage of one track: claim it, file it, move on. */
static int
step_fire(struct step *st, const struct policy *p, struct track_row *t,
    const struct item_row *it, int sidx, int rep)
{
	const struct stage	*sg = &p->stages[sidx];
	const struct channel	*ch;
	const struct person	*who;
	const struct group	*grp;
	struct step_batch	*sb;
	struct step_hit		*hits = NULL;
	struct track_row	 rt;
	const struct policy	*rp;
	size_t			 i, h, nh = 0;
	int64_t			 rectify_due = 0;
	int			 rc, k, ret = -1;
	char			 detail[256];

	/* Stages passed over (downtime, rule change) are logged only. */
	for (k = t->stage + 1; k < sidx; k++) {
		snprintf(detail, sizeof detail, "%s passed over; the ladder "
		    "continues at %s", p->stages[k].label, sg->label);
		if (step_log(st, it->id, it->project_code, p->stages[k].name,
		    NULL, "skipped", detail) != 0)
			return (-1);
	}
	if ((rc = store_fired_insert(st->store, t->id, t->due_at, it->id,
	    sg->name, rep, st->now)) < 0)
		return (-1);
	if (rc == 1)
		return (0);	/* already fired: never twice */
	if (step_log(st, it->id, it->project_code, sg->name, NULL,
	    "escalated", sg->label) != 0)
		return (-1);
	if (sg->nto > 0)
		hits = xcalloc(sg->nto, sizeof *hits);
	for (i = 0; i < sg->nto; i++) {
		ch = step_resolve(st->conf, it, &sg->to[i], &who, &grp);
		if (ch == NULL) {
			if (step_log(st, it->id, it->project_code, sg->name,
			    NULL, "no-recipient",
			    "no channel configured for this recipient") != 0)
				goto out;
			continue;
		}
		sb = step_batch(st, ch, sg, grp ? grp->name : NULL,
		    it->category);
		if (sb->b.role == 0)	/* whom its action links are for */
			sb->b.role = (int)sg->to[i].role + 1;
		/* The same item once per message even if named twice. */
		for (h = 0; h < nh && hits[h].sb != sb; h++)
			;
		if (h == nh)
			hits[nh++].sb = sb;
		step_hit_person(st, &hits[h], who);
	}
	/* An interview orders rectification by a new deadline. */
	if (sg->rectify.n > 0) {
		memset(&rt, 0, sizeof rt);
		if (step_flush(st) != 0 || (rc = store_track_get(st->store,
		    it->id, TRACK_RECTIFY, &rt)) < 0)
			goto out;
		if (rc == 1) {
			rt.item_id = it->id;
			rt.kind = xstrdup(TRACK_RECTIFY);
			rt.stage = -1;
			rt.due_at = rules_rectify_due(st->conf->calendar, sg,
			    st->now, NULL);
			/* Its own ladder starts at once (as a reload would
			 * start it): its policy and first action. */
			rp = config_policy_for(st->conf, TRACK_RECTIFY,
			    it->category, it->department, it->kind, it->mode);
			if (rp != NULL) {
				rt.policy = xstrdup(rp->name);
				rt.next_at = rules_next_time(rp,
				    st->conf->calendar, config_window(st->conf,
				    rp->window), rt.due_at, -1, 0);
			}
			if (step_track_save(st, &rt) != 0) {
				track_row_clear(&rt);
				goto out;
			}
		}
		/* The notice states the deadline the track holds. */
		rectify_due = rt.due_at;
		track_row_clear(&rt);
	}
	ret = step_file(st, t, it, rectify_due, hits, nh);
out:
	for (h = 0; h < nh; h++)
		free(hits[h].who);
	free(hits);
	return (ret);
}

/*
 * Whether a repeat of the stage the track stands at was acknowledged
 * (签收 through an action link) on this working day: it is then passed
 * over, logged, and the next day's repeat comes as usual.  1 yes, 0 no.
 */
static int
step_acked(struct step *st, const struct track_row *t,
    const struct item_row *it, const struct policy *p, int sidx)
{
	int32_t	 day;
	int	 rc;

	if (sidx != t->stage || t->stage < 0)
		return (0);
	rules_split(st->now, &day, NULL);
	if ((rc = store_answer_acked(st->store, it->id, p->stages[sidx].name,
	    day)) <= 0)
		return (rc);
	if (step_log(st, it->id, it->project_code, p->stages[sidx].name, NULL,
	    "acknowledged", "签收 today: this repeat is not sent") != 0)
		return (-1);
	return (1);
}

/* Advance one due track (it: its item, NULL when the item is gone). */
static int
step_track(void *arg, const struct track_row *tr, const struct item_row *it)
{
	struct step		*st = arg;
	const struct policy	*p;
	const struct window	*w;
	struct track_row	 t = *tr;
	int			 sidx, rep, before, ack;

	if (it == NULL) {
		t.next_at = 0;
		return (step_track_save(st, &t) != 0 ? -1 : 0);
	}
	p = config_policy_for(st->conf, t.kind, it->category, it->department,
	    it->kind, it->mode);
	if (p == NULL || !item_track_runs(it, t.kind)) {
		t.next_at = 0;
		return (step_track_save(st, &t) != 0 ? -1 : 0);
	}
	w = config_window(st->conf, p->window);
	if (rules_due(p, st->conf->calendar, w, t.due_at, t.stage, t.rep,
	    st->now, &sidx, &rep)) {
		if (w != NULL && !p->stages[sidx].urgent &&
		    !rules_in_window(st->conf->calendar, w, st->now)) {
			/* Outside the send window: wait for it, then group. */
			t.next_at = rules_window_next(st->conf->calendar, w,
			    st->now);
			return (step_track_save(st, &t) != 0 ? -1 : 0);
		}
		before = t.stage;
		if ((ack = step_acked(st, &t, it, p, sidx)) < 0)
			return (-1);
		if (!ack && step_fire(st, p, &t, it, sidx, rep) != 0)
			return (-1);
		t.stage = sidx;
		t.rep = rep;
		if (before != sidx || t.stage_name == NULL)
			t.stage_name = p->stages[sidx].name;
	}
	t.next_at = rules_next_time(p, st->conf->calendar, w, t.due_at,
	    t.stage, t.rep);
	if (t.next_at != 0 && t.next_at <= st->now)
		t.next_at = st->now + 1;
	if (t.policy == NULL || strcmp(t.policy, p->name) != 0)
		t.policy = p->name;
	return (step_track_save(st, &t) != 0 ? -1 : 0);
}

/* What a part's event and links need of an item handed to the renderer. */
struct step_ev {
	int64_t		 id, due;
	char		*project_code, *kind, *department;
};

/*
 * Feeds a batch's items from the spill to the streaming renderer, one
 * scratch entry at a time (the renderer copies what it keeps).  The items
 * handed out but not yet in a part wait in a queue (ev) for the part's
 * event and links; the renderer looks ahead by at most a part.
 */
struct step_feed {
	const struct step	*st;
	const struct step_batch	*sb;
	struct spill_row	 row;
	struct item_row		 item;
	struct msg_entry	 entry;
	struct msg_mention	*m;
	size_t			 mcap;
	size_t			 next;		/* entries handed out */
	struct step_ev		*ev;		/* ev[evhead..evhead+evlen) */
	size_t			 evhead, evlen, evcap;
	int			 failed;
};

/* Entry i of a batch in display order, as the renderer wants it. */
static const struct msg_entry *
step_feed_get(void *arg, size_t i)
{
	struct step_feed	*f = arg;
	const struct config	*conf = f->st->conf;
	struct spill_row	*r = &f->row;
	struct item_row		*it = &f->item;
	struct step_ev		*e;
	const char		*w;
	char			*end;
	size_t			 nm = 0;
	unsigned long		 k;
	int			 by_name;

	if (f->failed || i != f->next ||
	    store_spill_next(f->st->spill, r) != 1) {
		f->failed = 1;
		memset(r, 0, sizeof *r);
	}
	f->next++;
	memset(it, 0, sizeof *it);
	it->id = r->item_id;
	it->project_code = (char *)(uintptr_t)r->project_code;
	it->project_name = (char *)(uintptr_t)r->project_name;
	it->category = (char *)(uintptr_t)r->category;
	it->region = (char *)(uintptr_t)r->region;
	it->kind = (char *)(uintptr_t)r->kind;
	it->department = (char *)(uintptr_t)r->department;
	it->handler = (char *)(uintptr_t)r->handler;
	it->mode = (char *)(uintptr_t)r->mode;
	it->accepted_at = r->accepted_at;
	/* The people, the way the chat's app needs them. */
	for (w = r->who; w != NULL && *w != '\0'; w = *end ? end + 1 : end) {
		k = strtoul(w, &end, 10);
		if (end == w || k >= conf->npeople)
			break;
		if (nm == f->mcap) {
			f->mcap = f->mcap ? f->mcap * 2 : 4;
			f->m = xreallocarray(f->m, f->mcap, sizeof *f->m);
		}
		enqueue_mention_plan(f->sb->b.channel->type, &conf->people[k],
		    &f->m[nm].uid, &f->m[nm].mobile, &by_name);
		f->m[nm].name = by_name ? conf->people[k].name : NULL;
		nm++;
	}
	f->entry.item = it;
	f->entry.due = r->due;
	f->entry.rectify_due = r->rectify_due;
	f->entry.reason = r->reason;
	f->entry.mentions = f->m;
	f->entry.nmentions = nm;
	/* Kept until its part is out. */
	if (f->evhead + f->evlen == f->evcap) {
		if (f->evhead > 0) {
			memmove(f->ev, f->ev + f->evhead, f->evlen *
			    sizeof *f->ev);
			f->evhead = 0;
		} else {
			f->evcap = f->evcap ? f->evcap * 2 : 64;
			f->ev = xreallocarray(f->ev, f->evcap, sizeof *f->ev);
		}
	}
	e = &f->ev[f->evhead + f->evlen++];
	e->id = r->item_id;
	e->due = r->due;
	e->project_code = r->project_code ? xstrdup(r->project_code) : NULL;
	e->kind = r->kind ? xstrdup(r->kind) : NULL;
	e->department = r->department ? xstrdup(r->department) : NULL;
	return (&f->entry);
}

/* Free what a feed holds. */
static void
step_feed_clear(struct step_feed *f)
{
	struct step_ev	*e;

	for (; f->evlen > 0; f->evlen--) {
		e = &f->ev[f->evhead++];
		free(e->project_code);
		free(e->kind);
		free(e->department);
	}
	free(f->ev);
	free(f->m);
}

/* One rendered part of a batch, ready to be stored: its items' ids and,
 * for a part of one item, the item's project. */
struct step_part {
	struct msg_part	 p;
	char		*event;
	int64_t		*ids;
	size_t		 nids;
	char		*project;
};

/*
 * The renderer of a batch's parts.  A batch of STEP_RENDER_THREAD items or
 * more is rendered by a thread of its own while the step's thread stores
 * the parts already done (the two take about as long), handing parts over
 * through a queue of STEP_RENDER_QUEUE; a smaller one is rendered inline.
 * Rendering reads the configuration, the batch and the spill (which
 * nothing else touches meanwhile).
 */
#define STEP_RENDER_THREAD	64
#define STEP_RENDER_QUEUE	4

struct step_render {
	const struct step	*st;
	const struct step_batch	*sb;
	struct msg_stream	 ms;
	struct step_feed	 feed;
	size_t			 np;		/* parts rendered */
	/* Thread mode. */
	int			 threaded;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct step_part	 q[STEP_RENDER_QUEUE];
	size_t			 qhead, qlen;
	int			 done, stop;
};

/* Render the next part: 1 with *p, 0 when the batch is exhausted. */
static int
step_render_part(struct step_render *r, struct step_part *p)
{
	struct step_feed	*f = &r->feed;
	struct enqueue_event	 ev;
	struct step_ev		*e;
	char			*t2, *x2;
	size_t			 from, to, j;

	memset(p, 0, sizeof *p);
	if (message_stream_next(&r->ms, &p->p, &from, &to) != 1)
		return (0);
	if (r->np++ == 0 && r->ms.done) {
		/* A single part: no marker. */
		t2 = part_mark(p->p.title, 1, 1);
		x2 = part_mark(p->p.text, 1, 1);
		free(p->p.title);
		free(p->p.text);
		p->p.title = t2;
		p->p.text = x2;
		x2 = part_mark(p->p.follow_text, 1, 1);
		free(p->p.follow_text);
		p->p.follow_text = x2;
	}
	/* The part's items are the oldest the feed still holds. */
	if (to < from || to - from > f->evlen)
		f->failed = 1;
	p->nids = to >= from && to - from <= f->evlen ? to - from : 0;
	p->ids = xcalloc(p->nids ? p->nids : 1, sizeof *p->ids);
	enqueue_event_new(&r->sb->b, &ev);
	for (j = 0; j < p->nids; j++) {
		e = &f->ev[f->evhead++];
		f->evlen--;
		enqueue_event_item(&ev, e->id, e->project_code, e->kind,
		    e->department, e->due);
		p->ids[j] = e->id;
		if (j == 0 && p->nids == 1)
			p->project = e->project_code;
		else
			free(e->project_code);
		free(e->kind);
		free(e->department);
	}
	p->event = enqueue_event_dump(&ev);
	return (1);
}

/* Free a rendered part. */
static void
step_part_clear(struct step_part *p)
{
	message_part_clear(&p->p);
	free(p->event);
	free(p->ids);
	free(p->project);
	memset(p, 0, sizeof *p);
}

static void *
step_render_main(void *arg)
{
	struct step_render	*r = arg;
	struct step_part	 p;
	int			 more;

	pthread_setname_np(pthread_self(), "step-render");
	for (;;) {
		memset(&p, 0, sizeof p);
		more = step_render_part(r, &p);
		pthread_mutex_lock(&r->mu);
		while (more && r->qlen == STEP_RENDER_QUEUE && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		if (!more || r->stop) {
			r->done = 1;
			pthread_cond_broadcast(&r->cv);
			pthread_mutex_unlock(&r->mu);
			step_part_clear(&p);
			return (NULL);
		}
		r->q[(r->qhead + r->qlen++) % STEP_RENDER_QUEUE] = p;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

/* The next part in order, from the thread or rendered now. */
static int
step_render_next(struct step_render *r, struct step_part *p)
{
	if (!r->threaded)
		return (step_render_part(r, p));
	pthread_mutex_lock(&r->mu);
	while (r->qlen == 0 && !r->done)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->qlen == 0) {
		pthread_mutex_unlock(&r->mu);
		return (0);
	}
	*p = r->q[r->qhead];
	r->qhead = (r->qhead + 1) % STEP_RENDER_QUEUE;
	r->qlen--;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return (1);
}

/* Stop the thread (if any) and drop what it rendered but was not stored. */
static void
step_render_finish(struct step_render *r)
{
	if (r->threaded) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
		while (r->qlen > 0) {
			step_part_clear(&r->q[r->qhead]);
			r->qhead = (r->qhead + 1) % STEP_RENDER_QUEUE;
			r->qlen--;
		}
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
	}
	message_stream_end(&r->ms);
	step_feed_clear(&r->feed);
}

/*
 * Queue one batch of a step as it renders: each part goes to the outbox
 * as soon as it is full, with its items linked, so that no more than a
 * few parts are held however many items the batch has.  The " (k/N)"
 * markers are settled once N is known: a lone part has none, and the
 * parts of a longer message keep PART_MARK in their stored text,
 * with k and N set on their outbox rows at the end (the marker is put in
 * as a message is read back, so the texts are written once).  So are the
 * log entries that say "part k/N"; a part's items are read back from its
 * links for them when the log records them (the journal's ITEM_ID).
 */
static int
step_queue_batch(struct step *st, struct step_batch *sb)
{
	const struct config	*conf = st->conf;
	struct step_render	 r;
	struct step_part	 part;
	struct step_done {
		int64_t		 id[2];		/* the part, its follow-up */
		int64_t		 item;		/* its item if only one */
		size_t		 n;		/* its items */
		char		*project;	/* its item's, if only one */
	}			*parts = NULL;
	char			*err = NULL;
	int64_t			*ids;
	size_t			 np = 0, nids, k;
	int			 rc = 0;

	memset(&r, 0, sizeof r);
	r.st = st;
	r.sb = sb;
	r.feed.st = st;
	r.feed.sb = sb;
	if (message_stream_begin(&r.ms, conf, &sb->b, st->now, sb->n,
	    step_feed_get, &r.feed, &err) != 0) {
		log_warnx("%s", err);
		rc = store_log(st->store, st->now, 0, NULL, sb->b.stage,
		    sb->b.channel->name, "render-failed", err);
		free(err);
		return (rc);
	}
	if (store_spill_begin(st->spill, sb->id) != 0) {
		log_warnx("%s", store_spill_error(st->spill));
		message_stream_end(&r.ms);
		return (-1);
	}
	if (sb->n >= STEP_RENDER_THREAD) {
		pthread_mutex_init(&r.mu, NULL);
		pthread_cond_init(&r.cv, NULL);
		r.threaded = pthread_create(&r.thread, NULL, step_render_main,
		    &r) == 0;
		if (!r.threaded) {
			pthread_mutex_destroy(&r.mu);
			pthread_cond_destroy(&r.cv);
		}
	}
	while (rc == 0 && step_render_next(&r, &part) == 1) {
		parts = xreallocarray(parts, np + 1, sizeof *parts);
		memset(&parts[np], 0, sizeof *parts);
		rc = enqueue_part(conf, st->store, &sb->b, &part.p, part.event,
		    st->now, parts[np].id);
		if (rc == 0 && part.nids > 0)
			rc = store_outbox_links(st->store, parts[np].id[0],
			    part.ids, part.nids);
		parts[np].n = part.nids;
		parts[np].item = part.nids == 1 ? part.ids[0] : 0;
		parts[np].project = part.project;
		part.project = NULL;
		np++;
		step_part_clear(&part);
	}
	step_render_finish(&r);
	store_spill_end(st->spill);
	if (rc == 0 && (r.feed.failed || r.feed.next != sb->n)) {
		log_warnx("step: %s: the items of a %s message could not be "
		    "read back (%zu of %zu)%s%s", sb->b.channel->name,
		    sb->b.stage, r.feed.next, sb->n,
		    *store_spill_error(st->spill) ? ": " : "",
		    store_spill_error(st->spill));
		rc = -1;
	}
	/* Markers and log entries, now that the number of parts is known. */
	for (k = 0; rc == 0 && k < np; k++) {
		if (np > 1)
			rc = store_outbox_mark(st->store, parts[k].id[0], k + 1,
			    np);
		if (rc == 0 && np > 1 && parts[k].id[1] != 0)
			rc = store_outbox_mark(st->store, parts[k].id[1], k + 1,
			    np);
		if (rc != 0)
			break;
		ids = NULL;
		nids = parts[k].n;
		if (nids > 1 && log_action_ids())
			rc = store_outbox_item_ids(st->store, parts[k].id[0],
			    &ids, &nids);
		else {
			ids = xcalloc(1, sizeof *ids);
			ids[0] = parts[k].item;
		}
		if (rc == 0)
			rc = enqueue_log_queued(st->store, &sb->b,
			    parts[k].id[0], st->now, ids, nids,
			    parts[k].project, k + 1, np);
		free(ids);
	}
	if (rc == 0) {
		for (k = 0; k < np; k++)
			st->queued += parts[k].id[1] != 0 ? 2 : 1;
	}
	for (k = 0; k < np; k++)
		free(parts[k].project);
	free(parts);
	return (rc);
}

/* Advance every due track at now; one transaction. */
int
scheduler_step(const struct config *conf, struct store *s, int64_t now)
{
	struct step		 st;
	struct step_batch	*sb, *tsb;
	int			 rc = 0;

	memset(&st, 0, sizeof st);
	st.conf = conf;
	st.store = s;
	st.now = now;
	TAILQ_INIT(&st.batches);
	if (store_begin(s) != 0)
		return (-1);
	if (store_track_due_items(s, now, step_track, &st) != 0 ||
	    step_flush(&st) != 0)
		rc = -1;
	TAILQ_FOREACH(sb, &st.batches, entry) {
		if (rc != 0)
			break;
		sb->b.urgent = sb->stage->urgent;
		if (sb->n > 0 && step_queue_batch(&st, sb) != 0)
			rc = -1;
	}
	if (rc == 0 && store_commit(s) != 0)
		rc = -1;
	if (rc != 0)
		store_rollback(s);
	TAILQ_FOREACH_SAFE(sb, &st.batches, entry, tsb)
		free(sb);
	step_logq_clear(&st);
	store_spill_close(st.spill);
	step_strings_free(&st.strings);
	return (rc == 0 ? st.queued : -1);
}

static void scheduler_done(struct scheduler *, int);

/* The step in its thread. */
static int
scheduler_job(const struct config *conf, struct store *s, int64_t now,
    void *run)
{
	(void)run;
	return (scheduler_step(conf, s, now));
}

/* The step's thread is done (on the loop). */
static void
scheduler_joined(int result, struct store *ws, void *arg, void *run)
{
	(void)run;
	if (result < 0)
		log_warnx("scheduler: step failed: %s; retrying in 5 s",
		    store_error(ws));
	scheduler_done(arg, result);
}

/* A step running in its thread is waited for (reload, shutdown). */
void
scheduler_wait(struct scheduler *sc)
{
	if (sc != NULL)
		worker_wait(sc->worker);
}

/* The timer fired: step (in the step's thread, or here), then go on. */
static void
scheduler_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct scheduler	*sc = arg;
	int64_t			 now = (int64_t)time(NULL);
	int			 n;

	(void)fd;
	(void)ev;
	if (worker_running(sc->worker))
		return;		/* re-armed when that step is done */
	if (worker_start(sc->worker, sc->esc->conf, now, NULL) == 0)
		return;
	n = scheduler_step(sc->esc->conf, sc->esc->store, now);
	if (n < 0)
		log_warnx("scheduler: step failed: %s; retrying in 5 s",
		    store_error(sc->esc->store));
	scheduler_done(sc, n);
}

/* After a step: hand messages to delivery, re-arm. */
static void
scheduler_done(struct scheduler *sc, int n)
{
	if (n > 0 && sc->esc->queued != NULL)
		sc->esc->queued(sc->esc, NULL);
	if (n < 0) {
		struct timeval tv = { 5, 0 };
		evtimer_add(sc->timer, &tv);
		return;
	}
	scheduler_arm(sc);
	if (sc->esc->stepped != NULL)
		sc->esc->stepped(sc->esc);
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
	if (sc->esc->clock_set != NULL)
		sc->esc->clock_set(sc->esc);
	else
		scheduler_arm(sc);
}

/* Create the scheduler and its (unarmed) timer. */
struct scheduler *
scheduler_new(struct escalator *esc)
{
	struct scheduler	*sc;

	sc = xcalloc(1, sizeof *sc);
	sc->esc = esc;
	sc->worker = worker_new(esc->base, esc->store, "step",
	    "scheduler: the step runs on the loop", 1, scheduler_job,
	    scheduler_joined, sc);
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
	worker_free(sc->worker, 0);
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
