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
 * its own (wstore), so that a storm of a million due tracks, seconds of
 * work in one transaction, never stalls the loop.  Meanwhile the loop
 * goes on serving: reads see the last commit (WAL), a write meets the
 * step's lock and answers 503 at once (STORE_BUSY_MS).  When the thread
 * is done it writes a byte to donefd[1]; the loop joins it and goes on
 * as after an inline step (hooks, the timer re-armed).  Without a second
 * connection (":memory:") the step runs inline as before.
 */
struct scheduler {
	struct escalator	*esc;
	struct event		*timer;
	int64_t			 next;		/* 0: nothing scheduled */
	int			 clockfd;	/* wall-clock step detector */
	struct event		*clockev;
	struct store		*wstore;	/* the step thread's */
	int			 nostore;	/* it cannot be opened */
	int			 donefd[2];
	struct event		*doneev;
	pthread_t		 thread;
	int			 running;	/* a step thread runs */
	struct config		*sconf;		/* its configuration */
	int64_t			 snow;		/* its "now" */
	int			 result;	/* its result */
};

/*
 * What a step keeps of each item it escalates: the fields messages show,
 * with strings interned for the step (thousands of items share a few
 * departments, kinds and projects), so that memory stays small however
 * many items cross a stage at the same moment.
 */
typedef uint32_t step_str;	/* a string of the step: index, 0 is NULL */

struct step_entry {
	int64_t		 item_id;
	int64_t		 due;		/* the track's deadline */
	int64_t		 rectify_due;	/* set by the stage, 0 none */
	int64_t		 accepted_at;
	step_str	 project_code;
	step_str	 project_name;
	step_str	 category;
	step_str	 region;
	step_str	 kind;
	step_str	 department;
	step_str	 handler;
	step_str	 mode;
	step_str	 reason;	/* blocked or suspend reason */
};

/* A set of strings, each stored once for the duration of a step. */
struct step_strings {
	char		**v;		/* v[0] is NULL */
	size_t		  n, vcap;
	step_str	 *slot;		/* hash of indices into v; 0 empty */
	size_t		  cap;		/* power of two */
};

/* An item of a batch and the people it @-mentions there. */
struct step_slot {
	uint32_t		 ei;		/* into step.entries */
	struct msg_mention	*m;
	size_t			 nm;
};

/* One chat's pending message in a step: channel + stage -> entries. */
struct step_batch {
	struct msg_batch	 b;
	const struct stage	*stage;
	struct step_slot	*idx;
	size_t			 nidx, cap;
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
	struct step_entry	*entries;	/* one per escalated item */
	size_t			 nentries, cap;
	struct step_strings	 strings;
	int			 queued;
	struct store_log_in	 logq[STEP_QUEUE];	/* strings: interned */
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

/* Write what the step has queued: log entries in order, then tracks. */
static int
step_flush(struct step *st)
{
	if (st->nlog > 0 && store_log_many(st->store, st->logq, st->nlog) != 0)
		return (-1);
	st->nlog = 0;
	if (st->ntr > 0 && store_track_update_many(st->store, st->trq,
	    st->ntr) != 0)
		return (-1);
	st->ntr = 0;
	return (0);
}

/*
 * Queue a log entry of the step (written in order, by step_flush()).
 * stage and detail must outlive the step: names and labels of the step's
 * configuration, literals, or interned (they are kept as they are); the
 * project, an item's, is interned.
 */
static int
step_log(struct step *st, int64_t item, const char *project,
    const char *stage, const char *channel, const char *outcome,
    const char *detail)
{
	struct step_strings	*ss = &st->strings;
	struct store_log_in	*l;

	if (st->nlog == STEP_QUEUE && step_flush(st) != 0)
		return (-1);
	l = &st->logq[st->nlog++];
	l->at = st->now;
	l->item = item;
	l->outbox = 0;
	l->project = step_text(ss, step_intern(ss, project));
	l->stage = stage;
	l->channel = step_text(ss, step_intern(ss, channel));
	l->outcome = outcome;
	l->detail = detail;
	return (0);
}

/* Save a track: a new one at once (it needs its id), others queued. */
static int
step_track_save(struct step *st, struct track_row *t)
{
	struct step_strings	*ss = &st->strings;
	struct track_row	*q;

	if (t->id == 0)
		return (step_flush(st) != 0 ? -1 : store_track_save(st->store,
		    t));
	if (st->ntr == STEP_QUEUE && step_flush(st) != 0)
		return (-1);
	q = &st->trq[st->ntr++];
	*q = *t;
	q->kind = NULL;		/* not written back */
	q->policy = (char *)(uintptr_t)step_text(ss, step_intern(ss,
	    t->policy));
	q->stage_name = (char *)(uintptr_t)step_text(ss, step_intern(ss,
	    t->stage_name));
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
	sb->b.group = step_text(&st->strings, step_intern(&st->strings,
	    group ? group : ""));
	sb->b.category = step_text(&st->strings, step_intern(&st->strings,
	    category));
	sb->stage = sg;
	TAILQ_INSERT_TAIL(&st->batches, sb, entry);
	return (sb);
}

/* @-mention a person for an item of a batch the way its chat app needs:
 * the part listing the item mentions the person. */
static void
step_mention(struct step_batch *sb, struct step_slot *sl,
    const struct person *p)
{
	struct msg_mention	*mm;
	int			 by_name;

	if (p == NULL)
		return;
	sl->m = xreallocarray(sl->m, sl->nm + 1, sizeof *sl->m);
	mm = &sl->m[sl->nm++];
	enqueue_mention_plan(sb->b.channel->type, p, &mm->uid, &mm->mobile,
	    &by_name);
	mm->name = by_name ? p->name : NULL;
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

/* The step's entry for an item being escalated (created once). */
static uint32_t
step_entry(struct step *st, const struct track_row *t,
    const struct item_row *it)
{
	struct step_entry	*e;

	if (st->nentries == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->entries = xreallocarray(st->entries, st->cap,
		    sizeof *st->entries);
	}
	e = &st->entries[st->nentries];
	e->item_id = it->id;
	e->due = t->due_at;
	e->rectify_due = 0;
	e->accepted_at = it->accepted_at;
	e->project_code = step_intern(&st->strings, it->project_code);
	e->project_name = step_intern(&st->strings, it->project_name);
	e->category = step_intern(&st->strings, it->category);
	e->region = step_intern(&st->strings, it->region);
	e->kind = step_intern(&st->strings, it->kind);
	e->department = step_intern(&st->strings, it->department);
	e->handler = step_intern(&st->strings, it->handler);
	e->mode = step_intern(&st->strings, it->mode);
	e->reason = step_intern(&st->strings, it->blocked_reason ?
	    it->blocked_reason : it->suspend_reason);
	return ((uint32_t)st->nentries++);
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
	const struct policy	*rp;
	size_t			 i;
	int64_t			 ei = -1;
	int			 rc, k;
	char			 detail[256];

	/* Stages passed over (downtime, rule change) are logged only. */
	for (k = t->stage + 1; k < sidx; k++) {
		snprintf(detail, sizeof detail, "%s passed over; the ladder "
		    "continues at %s", p->stages[k].label, sg->label);
		if (step_log(st, it->id, it->project_code, p->stages[k].name,
		    NULL, "skipped", step_text(&st->strings,
		    step_intern(&st->strings, detail))) != 0)
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
	for (i = 0; i < sg->nto; i++) {
		ch = step_resolve(st->conf, it, &sg->to[i], &who, &grp);
		if (ch == NULL) {
			if (step_log(st, it->id, it->project_code, sg->name,
			    NULL, "no-recipient",
			    "no channel configured for this recipient") != 0)
				return (-1);
			continue;
		}
		sb = step_batch(st, ch, sg, grp ? grp->name : NULL,
		    it->category);
		if (sb->b.role == 0)	/* whom its action links are for */
			sb->b.role = (int)sg->to[i].role + 1;
		if (ei < 0)
			ei = step_entry(st, t, it);
		/* The same item once per message even if named twice. */
		if (sb->nidx == 0 || sb->idx[sb->nidx - 1].ei != (uint32_t)ei) {
			if (sb->nidx == sb->cap) {
				sb->cap = sb->cap ? sb->cap * 2 : 8;
				sb->idx = xreallocarray(sb->idx, sb->cap,
				    sizeof *sb->idx);
			}
			memset(&sb->idx[sb->nidx], 0, sizeof *sb->idx);
			sb->idx[sb->nidx++].ei = (uint32_t)ei;
		}
		step_mention(sb, &sb->idx[sb->nidx - 1], who);
	}
	/* An interview orders rectification by a new deadline. */
	if (sg->rectify.n > 0) {
		memset(&rt, 0, sizeof rt);
		if (step_flush(st) != 0 || (rc = store_track_get(st->store,
		    it->id, TRACK_RECTIFY, &rt)) < 0)
			return (-1);
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
				return (-1);
			}
		}
		/* The notice states the deadline the track holds. */
		if (ei >= 0)
			st->entries[ei].rectify_due = rt.due_at;
		track_row_clear(&rt);
	}
	return (0);
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

/* Entries most overdue (earliest deadline) first, then by item. */
static int
step_entry_cmp(const void *a, const void *b, void *arg)
{
	const struct step_entry	*e = arg;
	const struct step_entry	*x = &e[((const struct step_slot *)a)->ei];
	const struct step_entry	*y = &e[((const struct step_slot *)b)->ei];

	if (x->due != y->due)
		return (x->due < y->due ? -1 : 1);
	return (x->item_id < y->item_id ? -1 : x->item_id > y->item_id);
}

/* Feeds a batch's entries to the streaming renderer, one scratch item. */
struct step_feed {
	const struct step	*st;
	const struct step_batch	*sb;
	struct item_row		 item;
	struct msg_entry	 entry;
};

/* Entry i of a batch in display order, as the renderer wants it. */
static const struct msg_entry *
step_feed_get(void *arg, size_t i)
{
	struct step_feed	*f = arg;
	const struct step_slot	*sl = &f->sb->idx[i];
	const struct step_entry	*e = &f->st->entries[sl->ei];
	const struct step_strings *ss = &f->st->strings;
	struct item_row		*it = &f->item;

	memset(it, 0, sizeof *it);
	it->id = e->item_id;
	it->project_code = (char *)(uintptr_t)step_text(ss, e->project_code);
	it->project_name = (char *)(uintptr_t)step_text(ss, e->project_name);
	it->category = (char *)(uintptr_t)step_text(ss, e->category);
	it->region = (char *)(uintptr_t)step_text(ss, e->region);
	it->kind = (char *)(uintptr_t)step_text(ss, e->kind);
	it->department = (char *)(uintptr_t)step_text(ss, e->department);
	it->handler = (char *)(uintptr_t)step_text(ss, e->handler);
	it->mode = (char *)(uintptr_t)step_text(ss, e->mode);
	it->accepted_at = e->accepted_at;
	f->entry.item = it;
	f->entry.due = e->due;
	f->entry.rectify_due = e->rectify_due;
	f->entry.reason = step_text(ss, e->reason);
	f->entry.mentions = sl->m;
	f->entry.nmentions = sl->nm;
	return (&f->entry);
}

/* One rendered part of a batch, ready to be stored. */
struct step_part {
	struct msg_part	 p;
	char		*event;
	size_t		 from, to;
};

/*
 * The renderer of a batch's parts.  A batch of STEP_RENDER_THREAD items or
 * more is rendered by a thread of its own while the loop's thread stores
 * the parts already done (the two take about as long), handing parts over
 * through a queue of STEP_RENDER_QUEUE; a smaller one is rendered inline.
 * Rendering is pure: the configuration, the step's entries and the batch
 * are only read while it runs.
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
	const struct step	*st = r->st;
	struct enqueue_event	 ev;
	char			*t2, *x2;
	size_t			 j;

	if (message_stream_next(&r->ms, &p->p, &p->from, &p->to) != 1)
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
	enqueue_event_new(&r->sb->b, &ev);
	for (j = p->from; j < p->to; j++) {
		const struct step_entry *e = &st->entries[r->sb->idx[j].ei];
		enqueue_event_item(&ev, e->item_id,
		    step_text(&st->strings, e->project_code),
		    step_text(&st->strings, e->kind),
		    step_text(&st->strings, e->department), e->due);
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
}

/*
 * Queue one batch of a step as it renders: each part goes to the outbox
 * as soon as it is full, with its items linked, so that no more than a
 * few parts are held however many items the batch has.  The " (k/N)"
 * markers are settled once N is known: a lone part has none, and the
 * parts of a longer message keep PART_MARK in their stored text,
 * with k and N set on their outbox rows at the end (the marker is put in
 * as a message is read back, so the texts are written once).
 */
static int
step_queue_batch(struct step *st, struct step_batch *sb)
{
	const struct config	*conf = st->conf;
	struct step_render	 r;
	struct step_part	 part;
	struct step_done {
		int64_t		 id[2];		/* the part, its follow-up */
		size_t		 from, to;
	}			*parts = NULL;
	char			*err = NULL;
	size_t			 np = 0, j, k;
	int			 rc = 0;

	qsort_r(sb->idx, sb->nidx, sizeof *sb->idx, step_entry_cmp,
	    st->entries);
	memset(&r, 0, sizeof r);
	r.st = st;
	r.sb = sb;
	r.feed.st = st;
	r.feed.sb = sb;
	if (message_stream_begin(&r.ms, conf, &sb->b, st->now, sb->nidx,
	    step_feed_get, &r.feed, &err) != 0) {
		log_warnx("%s", err);
		rc = store_log(st->store, st->now, 0, NULL, sb->b.stage,
		    sb->b.channel->name, "render-failed", err);
		free(err);
		return (rc);
	}
	if (sb->nidx >= STEP_RENDER_THREAD) {
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
		rc = enqueue_part(conf, st->store, &sb->b, &part.p, part.event,
		    st->now, parts[np].id);
		if (rc == 0 && part.to > part.from) {
			int64_t	*ids = xcalloc(part.to - part.from,
			    sizeof *ids);
			for (j = part.from; j < part.to; j++)
				ids[j - part.from] =
				    st->entries[sb->idx[j].ei].item_id;
			rc = store_outbox_links(st->store, parts[np].id[0],
			    ids, part.to - part.from);
			free(ids);
		}
		parts[np].from = part.from;
		parts[np++].to = part.to;
		step_part_clear(&part);
	}
	step_render_finish(&r);
	/* Markers and log entries, now that the number of parts is known. */
	for (k = 0; rc == 0 && k < np; k++) {
		const struct step_entry *e = parts[k].to > parts[k].from ?
		    &st->entries[sb->idx[parts[k].from].ei] : NULL;
		if (np > 1)
			rc = store_outbox_mark(st->store, parts[k].id[0], k + 1,
			    np);
		if (rc == 0 && np > 1 && parts[k].id[1] != 0)
			rc = store_outbox_mark(st->store, parts[k].id[1], k + 1,
			    np);
		if (rc == 0) {
			size_t nids = parts[k].to - parts[k].from;
			int64_t *ids = xcalloc(nids ? nids : 1, sizeof *ids);
			for (j = 0; j < nids; j++)
				ids[j] = st->entries[sb->idx[parts[k].from +
				    j].ei].item_id;
			rc = enqueue_log_queued(st->store, &sb->b,
			    parts[k].id[0], st->now, ids, nids,
			    e ? step_text(&st->strings, e->project_code) : NULL,
			    k + 1, np);
			free(ids);
		}
	}
	if (rc == 0) {
		for (k = 0; k < np; k++)
			st->queued += parts[k].id[1] != 0 ? 2 : 1;
	}
	free(parts);
	return (rc);
}

/* Advance every due track at now; one transaction. */
int
scheduler_step(const struct config *conf, struct store *s, int64_t now)
{
	struct step		 st;
	struct step_batch	*sb, *tsb;
	size_t			 i;
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
		if (step_queue_batch(&st, sb) != 0)
			rc = -1;
	}
	if (rc == 0 && store_commit(s) != 0)
		rc = -1;
	if (rc != 0)
		store_rollback(s);
	TAILQ_FOREACH_SAFE(sb, &st.batches, entry, tsb) {
		for (i = 0; i < sb->nidx; i++)
			free(sb->idx[i].m);
		free(sb->idx);
		free(sb);
	}
	free(st.entries);
	step_strings_free(&st.strings);
	return (rc == 0 ? st.queued : -1);
}

/* The step thread: the step on the thread's own connection. */
static void *
scheduler_main(void *arg)
{
	struct scheduler	*sc = arg;
	char			 c = 1;

	pthread_setname_np(pthread_self(), "step");
	sc->result = scheduler_step(sc->sconf, sc->wstore, sc->snow);
	while (write(sc->donefd[1], &c, 1) == -1 && errno == EINTR)
		;
	return (NULL);
}

static void scheduler_done(struct scheduler *, int);

/* The step thread is done: join it and go on on the loop. */
static void
scheduler_joined(struct scheduler *sc)
{
	char	 buf[16];

	pthread_join(sc->thread, NULL);
	while (read(sc->donefd[0], buf, sizeof buf) > 0)
		;
	sc->running = 0;
	config_free(sc->sconf);
	sc->sconf = NULL;
	if (sc->result < 0)
		log_warnx("scheduler: step failed: %s; retrying in 5 s",
		    store_error(sc->wstore));
	scheduler_done(sc, sc->result);
}

static void
scheduler_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	scheduler_joined(arg);
}

/* Start the step in its thread; -1 when it cannot run there. */
static int
scheduler_start(struct scheduler *sc, int64_t now)
{
	char	*err = NULL;

	if (sc->nostore)
		return (-1);
	if (sc->wstore == NULL) {
		if (strcmp(store_path(sc->esc->store), ":memory:") == 0 ||
		    pipe2(sc->donefd, O_NONBLOCK | O_CLOEXEC) != 0) {
			sc->nostore = 1;
			return (-1);
		}
		if ((sc->wstore = store_open(store_path(sc->esc->store),
		    &err)) == NULL || store_reader_start(sc->wstore,
		    &err) != 0) {
			log_warnx("scheduler: the step runs on the loop: %s",
			    err ? err : "no connection of its own");
			free(err);
			store_close(sc->wstore);
			sc->wstore = NULL;
			close(sc->donefd[0]);
			close(sc->donefd[1]);
			sc->nostore = 1;
			return (-1);
		}
		store_checkpointer_share(sc->esc->store, sc->wstore);
		sc->doneev = event_new(sc->esc->base, sc->donefd[0],
		    EV_READ | EV_PERSIST, scheduler_done_cb, sc);
		event_add(sc->doneev, NULL);
	}
	sc->sconf = config_ref(sc->esc->conf);
	sc->snow = now;
	if (pthread_create(&sc->thread, NULL, scheduler_main, sc) != 0) {
		config_free(sc->sconf);
		sc->sconf = NULL;
		return (-1);
	}
	sc->running = 1;
	return (0);
}

/* A step running in its thread is waited for (reload, shutdown). */
void
scheduler_wait(struct scheduler *sc)
{
	if (sc != NULL && sc->running)
		scheduler_joined(sc);
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
	if (sc->running)
		return;		/* re-armed when that step is done */
	if (scheduler_start(sc, now) == 0)
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
	sc->donefd[0] = sc->donefd[1] = -1;
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
	if (sc->running) {
		pthread_join(sc->thread, NULL);
		config_free(sc->sconf);
	}
	if (sc->doneev != NULL)
		event_free(sc->doneev);
	if (sc->donefd[0] != -1) {
		close(sc->donefd[0]);
		close(sc->donefd[1]);
	}
	store_close(sc->wstore);
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
