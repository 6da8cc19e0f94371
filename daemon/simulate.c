/*
 * The simulator behind POST /v1/simulate: every message the scheduler
 * would send between two instants, given the items as they are now,
 * computed with the pure rule functions instead of replaying the SQL step.
 *
 * The open items and their active tracks are read once.  Tracks that share
 * a policy, deadline, ladder position and next action time always evolve
 * alike (the step is a function of those and of the clock), so they move
 * together as one "cohort" in a priority queue of next action times: the
 * rule arithmetic is done once per cohort and wake-up, and only what
 * differs per item -- recipients, @-mentions, the message lines -- is done
 * per item.  At every wake-up the simulator does what scheduler_step() does
 * (step_track, step_fire): the latest due stage (stages passed over fire
 * nothing), the policy's send window and urgent stages, the fired table
 * (never twice), grouping per channel and stage in the order the step
 * meets them, recipients and @-mentions, the rectification track an
 * interview creates, the channel window's not_before; the messages are
 * rendered exactly as message_render() renders them (same parts, same
 * splitting) and written out as the JSON objects the replay engine gave.
 *
 * The answer is produced in slices (sim_run) so that the control API can
 * stream it and return to the event loop in between; memory is bounded by
 * the items and the largest wake-up, not by the output.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escalator.h"

/* An accepted item, read once, with its recipients resolved. */
struct sim_item {
	struct item_row		 row;		/* first: entries point here */
	const struct group	*grp;
	const struct channel	*ch_group;	/* roles group and leader */
	const struct channel	*ch_dept;	/* roles handler and department */
	const struct person	*handler;
	const struct person	*contact;
	const struct person	*leader;
	const char		*handler_name;	/* what {handler} shows */
	int			 has_rectify;	/* a rectify track exists */
};

/* One active track: its id orders the step, its item fires. */
struct sim_track {
	int64_t			 id;
	struct sim_item		*item;
	int			 fired;		/* has fired rows ahead */
};

/* Tracks in the same state: they evolve together. */
struct sim_cohort {
	const struct policy	*p;
	int64_t			 due;
	int			 stage;
	int			 rep;
	int64_t			 next_at;
	int64_t			 order_at;	/* next_at when it came due */
	struct sim_track	*t;		/* by id */
	size_t			 n;
	size_t			 cap;
	int			 fstage;	/* firing this wake-up */
	int			 frep;
	size_t			 pos;		/* merge cursor */
};

/* A (track, stage, rep) already claimed in the fired table. */
struct sim_fired {
	int64_t			 track;
	int			 rep;
	char			*stage;
};

/* One chat's message of a wake-up: channel + stage. */
struct sim_batch {
	struct msg_batch	 b;
	const struct stage	*stage;
	size_t			 cap;
	const struct person	**seen;		/* already @-mentioned */
	size_t			 nseen;
	const char		**mob;		/* mobiles, in order */
	size_t			 nmob;
	const char		**uid;		/* app user ids, in order */
	size_t			 nuid;
};

/* A rendered part waiting for its marker. */
struct sim_part {
	char			*title;
	char			*text;
	size_t			 from;		/* entries [from, to) */
	size_t			 to;
};

/* The batch being written out: its entries in order and its parts. */
struct sim_render {
	int			 active;
	const struct msg_entry	**sorted;
	size_t			 n;
	struct sim_part		*parts;
	size_t			 nparts;
	size_t			 capparts;
	size_t			 part;		/* next part to write */
	char			 at[32];
};

struct sim {
	const struct config	*conf;
	int64_t			 from;
	int64_t			 until;
	struct sim_item		*items;		/* by id */
	size_t			 nitems;
	size_t			 capitems;
	struct sim_cohort	**heap;		/* by next_at */
	size_t			 nheap;
	size_t			 capheap;
	struct sim_fired	*fired;		/* by track */
	size_t			 nfired;
	const struct person	*head;
	const struct channel	*ch_head;
	const struct channel	*ch_admin;
	/* The current wake-up. */
	int64_t			 now;
	struct sim_cohort	**due;
	size_t			 ndue;
	size_t			 capdue;
	struct sim_batch	**batches;
	size_t			 nbatches;
	size_t			 capbatches;
	size_t			 bi;		/* next batch to write */
	struct sim_batch	*last;		/* last batch found */
	struct sim_render	 r;
	/* Output state. */
	int			 started;
	int			 done;
	int			 finished;
	size_t			 nmessages;
	long			 steps;
	char			**warnings;
	size_t			 nwarnings;
};

static void	 sim_warn(struct sim *, const char *);

/*
 * 0: item lines are rendered here with cached placeholder values (fast);
 * 1: message.c renders every part itself (the reference; slower).
 * The unit tests run both against the replay engine.
 */
static int	 sim_render_exact = -1;

/* ------------------------------------------------------------------ */
/* Output buffer and JSON. */

/* Make room for n more bytes. */
static void
sim_out_reserve(struct sim_out *o, size_t n)
{
	size_t	 want = o->len + n + 1;

	if (want <= o->size)
		return;
	if (o->size == 0)
		o->size = 64 * 1024;
	while (o->size < want)
		o->size *= 2;
	o->data = xreallocarray(o->data, o->size, 1);
}

/* Append bytes. */
static void
sim_out_add(struct sim_out *o, const void *p, size_t n)
{
	sim_out_reserve(o, n);
	memcpy(o->data + o->len, p, n);
	o->len += n;
	o->data[o->len] = '\0';
}

/* Append a C string. */
static void
sim_out_str(struct sim_out *o, const char *s)
{
	sim_out_add(o, s, strlen(s));
}

/* Free an output buffer's bytes. */
void
sim_out_clear(struct sim_out *o)
{
	free(o->data);
	memset(o, 0, sizeof *o);
}

/* Bytes a JSON string must escape (as jansson's json_dumps does). */
static const unsigned char sim_json_esc[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
};

/*
 * Append s as a JSON string, byte for byte what jansson writes with
 * JSON_COMPACT: '"', '\\' and control characters escaped (\b \f \n \r \t,
 * else \u00XX), UTF-8 as is.
 */
void
sim_json_string(struct sim_out *o, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	const unsigned char	*run;
	char			 seq[8];

	sim_out_reserve(o, len + 2);
	o->data[o->len++] = '"';
	while (p < end) {
		run = p;
		while (p < end && !sim_json_esc[*p])
			p++;
		if (p > run) {
			sim_out_reserve(o, (size_t)(p - run) + 1);
			memcpy(o->data + o->len, run, (size_t)(p - run));
			o->len += (size_t)(p - run);
		}
		if (p == end)
			break;
		switch (*p) {
		case '"':
			sim_out_add(o, "\\\"", 2);
			break;
		case '\\':
			sim_out_add(o, "\\\\", 2);
			break;
		case '\b':
			sim_out_add(o, "\\b", 2);
			break;
		case '\f':
			sim_out_add(o, "\\f", 2);
			break;
		case '\n':
			sim_out_add(o, "\\n", 2);
			break;
		case '\r':
			sim_out_add(o, "\\r", 2);
			break;
		case '\t':
			sim_out_add(o, "\\t", 2);
			break;
		default:
			snprintf(seq, sizeof seq, "\\u%04X", (unsigned int)*p);
			sim_out_add(o, seq, 6);
			break;
		}
		p++;
	}
	sim_out_add(o, "\"", 1);
}

/* Append "key": then a JSON string. */
static void
sim_json_member(struct sim_out *o, const char *key, const char *v)
{
	sim_out_add(o, ",\"", 2);
	sim_out_str(o, key);
	sim_out_add(o, "\":", 2);
	sim_json_string(o, v, strlen(v));
}

/* ------------------------------------------------------------------ */
/* Loading. */

/* A copy of a string or NULL. */
static char *
sim_strdup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* Resolve a channel name the way step_resolve() does (admin fallback). */
static const struct channel *
sim_channel(const struct config *conf, const char *chname)
{
	if (chname == NULL)
		chname = conf->admin_channel;
	return (chname != NULL ? config_channel(conf, chname) : NULL);
}

/* Keep an accepted item, with what step_resolve() would look up. */
static int
sim_item_cb(void *arg, const struct item_row *r)
{
	struct sim		*s = arg;
	const struct config	*conf = s->conf;
	const struct department	*d;
	struct sim_item		*si;

	if (r->status == NULL || strcmp(r->status, "accepted") != 0)
		return (0);
	if (s->nitems == s->capitems) {
		s->capitems = s->capitems ? s->capitems * 2 : 1024;
		s->items = xreallocarray(s->items, s->capitems,
		    sizeof *s->items);
	}
	si = &s->items[s->nitems++];
	memset(si, 0, sizeof *si);
	si->row = *r;
	si->row.project_code = sim_strdup(r->project_code);
	si->row.project_name = sim_strdup(r->project_name);
	si->row.category = sim_strdup(r->category);
	si->row.region = sim_strdup(r->region);
	si->row.kind = sim_strdup(r->kind);
	si->row.department = sim_strdup(r->department);
	si->row.handler = sim_strdup(r->handler);
	si->row.mode = sim_strdup(r->mode);
	si->row.status = sim_strdup(r->status);
	si->row.limit = sim_strdup(r->limit);
	si->row.suspend_reason = sim_strdup(r->suspend_reason);
	si->row.blocked_reason = sim_strdup(r->blocked_reason);

	si->grp = r->category ? config_group_for(conf, r->category) : NULL;
	si->ch_group = sim_channel(conf, si->grp ? si->grp->channel : NULL);
	si->leader = si->grp ? config_person(conf, si->grp->leader) : NULL;
	d = config_department(conf, r->department);
	si->ch_dept = sim_channel(conf, d && d->channel ? d->channel :
	    si->grp ? si->grp->channel : NULL);
	si->handler = r->handler ? config_person(conf, r->handler) : NULL;
	si->contact = d && d->contact ? config_person(conf, d->contact) : NULL;
	return (0);
}

/* The item of an id, or NULL. */
static struct sim_item *
sim_item_find(struct sim *s, int64_t id)
{
	size_t	 lo = 0, hi = s->nitems, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->items[mid].row.id == id)
			return (&s->items[mid]);
		if (s->items[mid].row.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/* Where a loaded track went: for the fired rows. */
struct sim_where {
	int64_t			 id;
	struct sim_cohort	*c;
	size_t			 i;
};

/* Cohorts while loading: a hash on the state. */
struct sim_load {
	struct sim		*s;
	struct sim_cohort	**tab;
	size_t			 size;
	size_t			 n;
	struct sim_where	*where;
	size_t			 nwhere;
	size_t			 capwhere;
};

/* Hash of a cohort's state. */
static size_t
sim_state_hash(const struct policy *p, int64_t due, int stage, int rep,
    int64_t next_at)
{
	uint64_t	 h = (uint64_t)(uintptr_t)p;

	h = h * 0x9E3779B97F4A7C15ULL ^ (uint64_t)due;
	h = h * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uint32_t)stage;
	h = h * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uint32_t)rep;
	h = h * 0x9E3779B97F4A7C15ULL ^ (uint64_t)next_at;
	h ^= h >> 29;
	return ((size_t)(h * 0xBF58476D1CE4E5B9ULL >> 7));
}

/* Find or make the cohort of a state. */
static struct sim_cohort *
sim_cohort_get(struct sim_load *l, const struct policy *p, int64_t due,
    int stage, int rep, int64_t next_at)
{
	struct sim_cohort	*c, **old;
	size_t			 i, j, oldsize;

	if (l->n * 2 >= l->size) {
		old = l->tab;
		oldsize = l->size;
		l->size = l->size ? l->size * 2 : 1024;
		l->tab = xcalloc(l->size, sizeof *l->tab);
		for (i = 0; i < oldsize; i++) {
			if ((c = old[i]) == NULL)
				continue;
			j = sim_state_hash(c->p, c->due, c->stage, c->rep,
			    c->next_at) & (l->size - 1);
			while (l->tab[j] != NULL)
				j = (j + 1) & (l->size - 1);
			l->tab[j] = c;
		}
		free(old);
	}
	j = sim_state_hash(p, due, stage, rep, next_at) & (l->size - 1);
	while ((c = l->tab[j]) != NULL) {
		if (c->p == p && c->due == due && c->stage == stage &&
		    c->rep == rep && c->next_at == next_at)
			return (c);
		j = (j + 1) & (l->size - 1);
	}
	c = xcalloc(1, sizeof *c);
	c->p = p;
	c->due = due;
	c->stage = stage;
	c->rep = rep;
	c->next_at = next_at;
	l->tab[j] = c;
	l->n++;
	return (c);
}

/* One stored track: rectify tracks are noted, active ones kept. */
static int
sim_track_cb(void *arg, const struct track_row *t)
{
	struct sim_load		*l = arg;
	struct sim		*s = l->s;
	struct sim_item		*si;
	struct sim_cohort	*c;
	const struct policy	*p;

	if ((si = sim_item_find(s, t->item_id)) == NULL)
		return (0);	/* not accepted: the step stops it, silently */
	if (strcmp(t->kind, TRACK_RECTIFY) == 0)
		si->has_rectify = 1;
	if (t->next_at <= 0)
		return (0);
	p = config_policy_for(s->conf, t->kind, si->row.category,
	    si->row.department, si->row.kind, si->row.mode);
	if (p == NULL)
		return (0);
	c = sim_cohort_get(l, p, t->due_at, t->stage, t->rep, t->next_at);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4;
		c->t = xreallocarray(c->t, c->cap, sizeof *c->t);
	}
	c->t[c->n].id = t->id;
	c->t[c->n].item = si;
	c->t[c->n].fired = 0;
	if (l->nwhere == l->capwhere) {
		l->capwhere = l->capwhere ? l->capwhere * 2 : 1024;
		l->where = xreallocarray(l->where, l->capwhere,
		    sizeof *l->where);
	}
	l->where[l->nwhere].id = t->id;
	l->where[l->nwhere].c = c;
	l->where[l->nwhere].i = c->n;
	l->nwhere++;
	c->n++;
	return (0);
}

/* Where a track id went, or NULL (tracks come by id). */
static struct sim_where *
sim_where_find(struct sim_load *l, int64_t id)
{
	size_t	 lo = 0, hi = l->nwhere, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->where[mid].id == id)
			return (&l->where[mid]);
		if (l->where[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * The fired rows that can still matter: a track fires (stage, rep) pairs
 * strictly after its position, so only claims ahead of the position (left
 * by a restarted stale ladder or a rule change) can stop a firing.
 */
static int
sim_load_fired(struct sim_load *l, struct store *st, char **err)
{
	struct sim		*s = l->s;
	sqlite3			*db = (sqlite3 *)store_db(st);
	sqlite3_stmt		*q;
	struct sim_where	*w;
	const char		*stage;
	int64_t			 track;
	int			 rc, rep, idx;
	size_t			 cap = 0;

	if (sqlite3_prepare_v2(db, "SELECT f.track_id, f.stage, f.rep FROM"
	    " fired f JOIN tracks t ON t.id = f.track_id WHERE t.next_at > 0"
	    " ORDER BY f.track_id", -1, &q, NULL) != SQLITE_OK) {
		xasprintf(err, "reading the fired stages: %s",
		    sqlite3_errmsg(db));
		return (-1);
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		track = sqlite3_column_int64(q, 0);
		stage = (const char *)sqlite3_column_text(q, 1);
		rep = sqlite3_column_int(q, 2);
		if (stage == NULL || (w = sim_where_find(l, track)) == NULL)
			continue;
		idx = rules_stage_index(w->c->p, stage);
		if (idx < 0 || idx < w->c->stage ||
		    (idx == w->c->stage && rep <= w->c->rep))
			continue;
		w->c->t[w->i].fired = 1;
		if (s->nfired == cap) {
			cap = cap ? cap * 2 : 16;
			s->fired = xreallocarray(s->fired, cap,
			    sizeof *s->fired);
		}
		s->fired[s->nfired].track = track;
		s->fired[s->nfired].rep = rep;
		s->fired[s->nfired].stage = xstrdup(stage);
		s->nfired++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		xasprintf(err, "reading the fired stages: %s",
		    sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

/* Whether (track, stage, rep) was claimed before the simulation. */
static int
sim_fired_has(struct sim *s, int64_t track, const char *stage, int rep)
{
	size_t	 lo = 0, hi = s->nfired, mid, i;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->fired[mid].track < track)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < s->nfired && s->fired[i].track == track; i++)
		if (s->fired[i].rep == rep &&
		    strcmp(s->fired[i].stage, stage) == 0)
			return (1);
	return (0);
}

/* ------------------------------------------------------------------ */
/* The queue of cohorts by next action time. */

static void
sim_heap_push(struct sim *s, struct sim_cohort *c)
{
	size_t	 i, up;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 256;
		s->heap = xreallocarray(s->heap, s->capheap, sizeof *s->heap);
	}
	i = s->nheap++;
	while (i > 0) {
		up = (i - 1) / 2;
		if (s->heap[up]->next_at <= c->next_at)
			break;
		s->heap[i] = s->heap[up];
		i = up;
	}
	s->heap[i] = c;
}

static struct sim_cohort *
sim_heap_pop(struct sim *s)
{
	struct sim_cohort	*top = s->heap[0], *last;
	size_t			 i = 0, k;

	last = s->heap[--s->nheap];
	while ((k = 2 * i + 1) < s->nheap) {
		if (k + 1 < s->nheap &&
		    s->heap[k + 1]->next_at < s->heap[k]->next_at)
			k++;
		if (last->next_at <= s->heap[k]->next_at)
			break;
		s->heap[i] = s->heap[k];
		i = k;
	}
	if (s->nheap > 0)
		s->heap[i] = last;
	return (top);
}

/* Free a cohort. */
static void
sim_cohort_free(struct sim_cohort *c)
{
	free(c->t);
	free(c);
}

/* ------------------------------------------------------------------ */
/* Creating and freeing a simulation. */

struct sim *
sim_new(const struct config *conf, struct store *st, int64_t from,
    int64_t until, char **err)
{
	struct sim		*s;
	struct sim_load		 l;
	size_t			 i;
	int32_t			 d;
	int			 y, m, dd;

	*err = NULL;
	if (sim_render_exact < 0)
		sim_render_exact = getenv("ESCALATOR_SIM_EXACT_RENDER") != NULL;
	s = xcalloc(1, sizeof *s);
	s->conf = conf;
	s->from = from;
	s->until = until;
	s->head = conf->head ? config_person(conf, conf->head) : NULL;
	s->ch_head = sim_channel(conf, conf->head_channel);
	s->ch_admin = sim_channel(conf, conf->admin_channel);
	if (calendar_last_year(conf->calendar) > 0) {
		rules_split(until, &d, NULL);
		calendar_civil(d, &y, &m, &dd);
		if (y > calendar_last_year(conf->calendar))
			sim_warn(s, "the simulated period reaches a year"
			    " without a holiday calendar; it is counted"
			    " Monday-Friday");
	}

	if (store_item_each_active(st, sim_item_cb, s) != 0) {
		xasprintf(err, "reading the items: %s", store_error(st));
		sim_free(s);
		return (NULL);
	}
	for (i = 0; i < s->nitems; i++) {
		const struct person *p = s->items[i].handler;
		s->items[i].handler_name = p ? p->name :
		    s->items[i].row.handler ? s->items[i].row.handler : "";
	}
	memset(&l, 0, sizeof l);
	l.s = s;
	if (store_track_all(st, sim_track_cb, &l) != 0) {
		xasprintf(err, "reading the tracks: %s", store_error(st));
		goto fail;
	}
	if (sim_load_fired(&l, st, err) != 0)
		goto fail;
	for (i = 0; i < l.size; i++)
		if (l.tab[i] != NULL)
			sim_heap_push(s, l.tab[i]);
	free(l.tab);
	free(l.where);
	return (s);
fail:
	for (i = 0; i < l.size; i++)
		if (l.tab[i] != NULL)
			sim_cohort_free(l.tab[i]);
	free(l.tab);
	free(l.where);
	sim_free(s);
	return (NULL);
}

/* Free a batch. */
static void
sim_batch_free(struct sim_batch *sb)
{
	free(sb->b.mentions);
	free(sb->b.entries);
	free(sb->seen);
	free(sb->mob);
	free(sb->uid);
	free(sb);
}

/* Free the rendering of a batch. */
static void
sim_render_clear(struct sim_render *r)
{
	size_t	 i;

	for (i = 0; i < r->nparts; i++) {
		free(r->parts[i].title);
		free(r->parts[i].text);
	}
	free(r->parts);
	free(r->sorted);
	memset(r, 0, sizeof *r);
}

/* Forget the current wake-up's batches. */
static void
sim_batches_clear(struct sim *s)
{
	size_t	 i;

	sim_render_clear(&s->r);
	for (i = 0; i < s->nbatches; i++)
		sim_batch_free(s->batches[i]);
	s->nbatches = 0;
	s->bi = 0;
	s->last = NULL;
}

void
sim_free(struct sim *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	sim_batches_clear(s);
	free(s->batches);
	for (i = 0; i < s->nheap; i++)
		sim_cohort_free(s->heap[i]);
	free(s->heap);
	for (i = 0; i < s->ndue; i++)
		sim_cohort_free(s->due[i]);
	free(s->due);
	for (i = 0; i < s->nitems; i++)
		item_row_clear(&s->items[i].row);
	free(s->items);
	for (i = 0; i < s->nfired; i++)
		free(s->fired[i].stage);
	free(s->fired);
	for (i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	free(s);
}

/* Messages written so far. */
size_t
sim_messages(const struct sim *s)
{
	return (s->nmessages);
}

/* ------------------------------------------------------------------ */
/* One wake-up: step_track and step_fire on cohorts. */

/* Find or create the batch for a channel and stage (step_batch). */
static struct sim_batch *
sim_batch(struct sim *s, const struct channel *ch, const struct stage *sg,
    const char *group, const char *category)
{
	struct sim_batch	*sb;
	size_t			 i;

	if (s->last != NULL && s->last->b.channel == ch &&
	    s->last->stage == sg)
		return (s->last);
	for (i = 0; i < s->nbatches; i++) {
		sb = s->batches[i];
		if (sb->b.channel == ch && sb->stage == sg)
			return (s->last = sb);
	}
	sb = xcalloc(1, sizeof *sb);
	sb->b.channel = ch;
	sb->b.template = sg->template;
	sb->b.stage = sg->name;
	sb->b.stage_label = sg->label;
	sb->b.severity = sg->severity ? sg->severity : "warning";
	sb->b.group = group ? group : "";
	sb->b.category = category;
	sb->b.urgent = sg->urgent;
	sb->stage = sg;
	if (s->nbatches == s->capbatches) {
		s->capbatches = s->capbatches ? s->capbatches * 2 : 16;
		s->batches = xreallocarray(s->batches, s->capbatches,
		    sizeof *s->batches);
	}
	s->batches[s->nbatches++] = sb;
	return (s->last = sb);
}

/* Add a string to a list once (json_add_unique). */
static void
sim_add_unique(const char ***list, size_t *n, const char *v)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i], v) == 0)
			return;
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = v;
}

/* @-mention a person in a batch (step_mention). */
static void
sim_mention(struct sim_batch *sb, const struct person *p)
{
	const char	*uid, *mobile;
	size_t		 i;
	int		 by_name;

	if (p == NULL)
		return;
	/* A second mention of the same person changes nothing. */
	for (i = 0; i < sb->nseen; i++)
		if (sb->seen[i] == p)
			return;
	sb->seen = xreallocarray(sb->seen, sb->nseen + 1, sizeof *sb->seen);
	sb->seen[sb->nseen++] = p;
	enqueue_mention_plan(sb->b.channel->type, p, &uid, &mobile,
	    &by_name);
	if (uid != NULL)
		sim_add_unique(&sb->uid, &sb->nuid, uid);
	if (mobile != NULL)
		sim_add_unique(&sb->mob, &sb->nmob, mobile);
	if (by_name)
		enqueue_mention_name(&sb->b.mentions, p->name);
}

/* One recipient of a stage for an item (step_resolve). */
static const struct channel *
sim_resolve(struct sim *s, const struct sim_item *si,
    const struct recipient *rc, const struct person **who)
{
	*who = NULL;
	switch (rc->role) {
	case ROLE_CHANNEL:
		return (sim_channel(s->conf, rc->channel));
	case ROLE_GROUP:
		return (si->ch_group);
	case ROLE_LEADER:
		*who = si->leader;
		return (si->ch_group);
	case ROLE_HANDLER:
		*who = si->handler;
		return (si->ch_dept);
	case ROLE_DEPARTMENT:
		*who = si->contact;
		return (si->ch_dept);
	case ROLE_HEAD:
		*who = s->head;
		return (s->ch_head);
	case ROLE_ADMIN:
		return (s->ch_admin);
	}
	return (NULL);
}

/* Fire a stage for one track of a cohort (step_fire). */
static void
sim_fire(struct sim *s, const struct sim_cohort *c, const struct sim_track *t)
{
	const struct stage	*sg = &c->p->stages[c->fstage];
	struct sim_item		*si = t->item;
	const struct channel	*ch;
	const struct person	*who;
	struct sim_batch	*sb;
	struct msg_entry	*e;
	size_t			 i;

	if (t->fired && sim_fired_has(s, t->id, sg->name, c->frep))
		return;		/* already fired: never twice */
	for (i = 0; i < sg->nto; i++) {
		if ((ch = sim_resolve(s, si, &sg->to[i], &who)) == NULL)
			continue;
		sb = sim_batch(s, ch, sg, si->grp ? si->grp->name : NULL,
		    si->row.category);
		sim_mention(sb, who);
		/* The same item once per message even if named twice. */
		if (sb->b.nentries > 0 &&
		    sb->b.entries[sb->b.nentries - 1].item == &si->row)
			continue;
		if (sb->b.nentries == sb->cap) {
			sb->cap = sb->cap ? sb->cap * 2 : 8;
			sb->b.entries = xreallocarray(sb->b.entries, sb->cap,
			    sizeof *sb->b.entries);
		}
		e = &sb->b.entries[sb->b.nentries++];
		e->item = &si->row;
		e->due = c->due;
		e->reason = si->row.blocked_reason ? si->row.blocked_reason :
		    si->row.suspend_reason;
	}
	/*
	 * An interview orders rectification by a new deadline: the step
	 * creates the item's rectify track (once) with no next action, so
	 * within the simulation it never fires; only its existence counts.
	 */
	if (sg->rectify.n > 0 && !si->has_rectify)
		si->has_rectify = 1;
}

/* Order cohorts by the time they came due (the step's ORDER BY next_at). */
static int
sim_cohort_cmp(const void *a, const void *b)
{
	const struct sim_cohort	*x = *(const struct sim_cohort *const *)a;
	const struct sim_cohort	*y = *(const struct sim_cohort *const *)b;

	if (x->order_at != y->order_at)
		return (x->order_at < y->order_at ? -1 : 1);
	return (0);
}

/* Sift down in a small heap of cohorts keyed by their next member id. */
static void
sim_merge_sift(struct sim_cohort **h, size_t n, size_t i)
{
	struct sim_cohort	*c = h[i];
	size_t			 k;

	while ((k = 2 * i + 1) < n) {
		if (k + 1 < n && h[k + 1]->t[h[k + 1]->pos].id <
		    h[k]->t[h[k]->pos].id)
			k++;
		if (c->t[c->pos].id <= h[k]->t[h[k]->pos].id)
			break;
		h[i] = h[k];
		i = k;
	}
	h[i] = c;
}

/*
 * Fire the firing cohorts' tracks in the step's order: by the time they
 * came due, then by track id, merging cohorts due at the same time.
 */
static void
sim_fire_all(struct sim *s, struct sim_cohort **fc, size_t n)
{
	struct sim_cohort	*c;
	size_t			 i, j, k;

	qsort(fc, n, sizeof *fc, sim_cohort_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && fc[j]->order_at == fc[i]->order_at;
		    j++)
			;
		if (j - i == 1) {
			for (k = 0; k < fc[i]->n; k++)
				sim_fire(s, fc[i], &fc[i]->t[k]);
			continue;
		}
		for (k = i; k < j; k++)
			fc[k]->pos = 0;
		for (k = (j - i) / 2; k-- > 0;)
			sim_merge_sift(fc + i, j - i, k);
		k = j - i;
		while (k > 0) {
			c = fc[i];
			sim_fire(s, c, &c->t[c->pos]);
			if (++c->pos == c->n)
				fc[i] = fc[i + --k];
			if (k > 0)
				sim_merge_sift(fc + i, k, 0);
		}
	}
}

/* Advance every cohort due at now (step_track); batches collect. */
static void
sim_step(struct sim *s, int64_t now)
{
	const struct calendar	*cal = s->conf->calendar;
	const struct window	*w;
	struct sim_cohort	*c, **fc;
	size_t			 i, nf = 0;
	int			 sidx, rep;

	s->now = now;
	s->ndue = 0;
	while (s->nheap > 0 && s->heap[0]->next_at <= now) {
		if (s->ndue == s->capdue) {
			s->capdue = s->capdue ? s->capdue * 2 : 64;
			s->due = xreallocarray(s->due, s->capdue,
			    sizeof *s->due);
		}
		s->due[s->ndue++] = sim_heap_pop(s);
	}
	fc = xcalloc(s->ndue ? s->ndue : 1, sizeof *fc);
	for (i = 0; i < s->ndue; i++) {
		c = s->due[i];
		c->order_at = c->next_at;
		if (rules_due(c->p, cal, c->due, c->stage, c->rep, now, &sidx,
		    &rep)) {
			w = config_window(s->conf, c->p->window);
			if (w != NULL && !c->p->stages[sidx].urgent &&
			    !rules_in_window(cal, w, now)) {
				/* Outside the send window: wait, then group. */
				c->next_at = rules_window_next(cal, w, now);
				continue;
			}
			c->fstage = sidx;
			c->frep = rep;
			fc[nf++] = c;
			c->stage = sidx;
			c->rep = rep;
		}
		c->next_at = rules_next_time(c->p, cal, c->due, c->stage,
		    c->rep);
		if (c->next_at != 0 && c->next_at <= now)
			c->next_at = now + 1;
	}
	sim_fire_all(s, fc, nf);
	free(fc);
	for (i = 0; i < s->ndue; i++) {
		c = s->due[i];
		if (c->next_at == 0)
			sim_cohort_free(c);
		else
			sim_heap_push(s, c);
	}
	s->ndue = 0;
}

/* ------------------------------------------------------------------ */
/* Rendering: message.c's streaming renderer, as step_queue_batch uses it. */

/* Entries most overdue (earliest deadline) first, then by item. */
static int
sim_entry_cmp(const void *a, const void *b)
{
	const struct msg_entry	*x = *(const struct msg_entry *const *)a;
	const struct msg_entry	*y = *(const struct msg_entry *const *)b;

	if (x->due != y->due)
		return (x->due < y->due ? -1 : 1);
	return (x->item->id < y->item->id ? -1 : x->item->id > y->item->id);
}

/* Entry i of the batch being rendered, in display order. */
static const struct msg_entry *
sim_feed_get(void *arg, size_t i)
{
	return (((struct sim_render *)arg)->sorted[i]);
}

/*
 * The placeholder values of message.c's message_lookup(), with what is
 * costly cached per batch: the handler's display name per item, and the
 * formatted times and working-day counts per deadline (entries come
 * sorted by deadline, so a one-entry cache hits).  tests/unit/
 * check_simulate.c holds the two to the same answers.
 */
struct sim_ctx {
	const struct config	*conf;
	const struct msg_batch	*b;
	const struct msg_entry	*entry;
	int64_t			 now;
	size_t			 index;
	size_t			 count;
	const char		*part;
	char			 buf[256];
	char			 nowstr[32];
	int64_t			 dl_t;
	char			 dl[32];
	int64_t			 ac_t;
	char			 ac[32];
	int64_t			 od_due;
	char			 od[16];
	int64_t			 left_due;
	char			 left[16];
};

/* Format an instant to the minute, as message_lookup() shows it. */
static void
sim_minutes(int64_t t, char *buf, size_t len)
{
	rules_format(t, buf, len);
	buf[16] = '\0';
}

static const char *
sim_lookup(void *arg, const char *name)
{
	struct sim_ctx		*c = arg;
	const struct msg_batch	*b = c->b;
	const struct sim_item	*si = c->entry ?
	    (const struct sim_item *)c->entry->item : NULL;
	const struct item_row	*it = si ? &si->row : NULL;
	int32_t			 d1, d2;
	int			 n;

	switch (name[0]) {
	case 'a':
		if (it != NULL && strcmp(name, "accepted") == 0) {
			if (it->accepted_at <= 0)
				return ("");
			if (c->ac_t != it->accepted_at) {
				sim_minutes(it->accepted_at, c->ac,
				    sizeof c->ac);
				c->ac_t = it->accepted_at;
			}
			return (c->ac);
		}
		break;
	case 'c':
		if (strcmp(name, "category") == 0)
			return (it && it->category ? it->category :
			    b->category ? b->category : "");
		if (strcmp(name, "channel") == 0)
			return (b->channel->name);
		if (strcmp(name, "count") == 0) {
			snprintf(c->buf, sizeof c->buf, "%zu", c->count);
			return (c->buf);
		}
		break;
	case 'd':
		if (it == NULL)
			break;
		if (strcmp(name, "department") == 0)
			return (it->department);
		if (strcmp(name, "deadline") == 0) {
			if (c->entry->due <= 0)
				return ("");
			if (c->dl_t != c->entry->due) {
				sim_minutes(c->entry->due, c->dl, sizeof c->dl);
				c->dl_t = c->entry->due;
			}
			return (c->dl);
		}
		if (strcmp(name, "days_left") == 0) {
			if (c->left_due != c->entry->due) {
				rules_split(c->now, &d1, NULL);
				rules_split(c->entry->due, &d2, NULL);
				n = c->entry->due > c->now ?
				    calendar_count_workdays(c->conf->calendar,
				    d1, d2, NULL) : 0;
				snprintf(c->left, sizeof c->left, "%d", n);
				c->left_due = c->entry->due;
			}
			return (c->left);
		}
		break;
	case 'g':
		if (strcmp(name, "group") == 0)
			return (b->group ? b->group : "");
		break;
	case 'h':
		if (it != NULL && strcmp(name, "handler") == 0)
			return (si->handler_name);
		break;
	case 'i':
		if (it == NULL)
			break;
		if (strcmp(name, "item") == 0)
			return (it->kind);
		if (strcmp(name, "index") == 0) {
			snprintf(c->buf, sizeof c->buf, "%zu", c->index);
			return (c->buf);
		}
		break;
	case 'l':
		if (it != NULL && strcmp(name, "link") == 0) {
			if (c->conf->link_base == NULL)
				return ("");
			snprintf(c->buf, sizeof c->buf, "%s%lld",
			    c->conf->link_base, (long long)it->id);
			return (c->buf);
		}
		break;
	case 'm':
		if (strcmp(name, "mentions") == 0)
			return (b->mentions ? b->mentions : "");
		if (it != NULL && strcmp(name, "mode") == 0)
			return (it->mode && strcmp(it->mode, "normal") != 0 ?
			    it->mode : "");
		break;
	case 'n':
		if (strcmp(name, "now") == 0)
			return (c->nowstr);
		break;
	case 'o':
		if (it != NULL && strcmp(name, "overdue_days") == 0) {
			if (c->od_due != c->entry->due) {
				n = rules_overdue_workdays(c->conf->calendar,
				    c->entry->due, c->now);
				snprintf(c->od, sizeof c->od, "%d", n);
				c->od_due = c->entry->due;
			}
			return (c->od);
		}
		break;
	case 'p':
		if (strcmp(name, "part") == 0)
			return (c->part ? c->part : "");
		if (it == NULL)
			break;
		if (strcmp(name, "project") == 0)
			return (it->project_name ? it->project_name :
			    it->project_code);
		if (strcmp(name, "project_code") == 0)
			return (it->project_code);
		break;
	case 'r':
		if (it == NULL)
			break;
		if (strcmp(name, "region") == 0)
			return (it->region ? it->region : "");
		if (strcmp(name, "reason") == 0)
			return (c->entry->reason ? c->entry->reason : "");
		break;
	case 's':
		if (strcmp(name, "stage") == 0)
			return (b->stage);
		if (strcmp(name, "stage_label") == 0)
			return (b->stage_label);
		if (strcmp(name, "severity") == 0)
			return (b->severity ? b->severity : "info");
		break;
	}
	return ("");
}

/* Append to a part's text. */
static void
sim_text_add(char **buf, size_t *len, size_t *size, const char *s, size_t n)
{
	if (*len + n + 1 > *size) {
		while (*len + n + 1 > *size)
			*size = *size ? *size * 2 : 4096;
		*buf = xreallocarray(*buf, *size, 1);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* A section rendered with the fast lookup (NULL when it has none). */
static char *
sim_section(const struct template *t, struct sim_ctx *c)
{
	return (t == NULL ? NULL : template_render(t, sim_lookup, c));
}

/*
 * The parts as message_stream_next() makes them, with the template and
 * byte limit message_stream_begin() chose: lines packed greedily, a line
 * too long alone cut at UTF-8, PART_MARK where the marker goes.
 */
static void
sim_render_fast(struct sim_render *r, const struct msg_stream *ms,
    const struct msg_batch *b, int64_t now, const struct config *conf)
{
	const struct template_set	*ts = ms->ts;
	struct sim_ctx			 c;
	struct sim_part			*p;
	char				*out, *h, *f, *line = NULL;
	size_t				 next = 0, len, size, used, l, from;

	memset(&c, 0, sizeof c);
	c.conf = conf;
	c.b = b;
	c.now = now;
	c.count = r->n;
	c.dl_t = c.ac_t = c.od_due = c.left_due = INT64_MIN;
	sim_minutes(now, c.nowstr, sizeof c.nowstr);
	do {
		out = NULL;
		len = size = used = 0;
		from = next;
		sim_text_add(&out, &len, &size, "", 0);
		c.part = PART_MARK;
		c.entry = NULL;
		if ((h = sim_section(ts->header, &c)) != NULL) {
			sim_text_add(&out, &len, &size, h, strlen(h));
			sim_text_add(&out, &len, &size, "\n", 1);
			free(h);
		}
		while (next < r->n) {
			if (line == NULL) {
				c.part = NULL;
				c.entry = r->sorted[next];
				c.index = next + 1;
				if ((line = sim_section(ts->item, &c)) == NULL)
					line = xstrdup("");
				l = strlen(line) + 1;
				if (l > ms->limit)
					line[utf8_cut(line, l - 1,
					    ms->limit - 1)] = '\0';
			}
			l = strlen(line) + 1;
			if (used > 0 && used + l > ms->limit)
				break;
			sim_text_add(&out, &len, &size, line, l - 1);
			sim_text_add(&out, &len, &size, "\n", 1);
			free(line);
			line = NULL;
			used += l;
			next++;
		}
		c.part = PART_MARK;
		c.entry = NULL;
		if ((f = sim_section(ts->footer, &c)) != NULL) {
			sim_text_add(&out, &len, &size, f, strlen(f));
			free(f);
		}
		while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
			out[--len] = '\0';
		if (r->nparts == r->capparts) {
			r->capparts = r->capparts ? r->capparts * 2 : 4;
			r->parts = xreallocarray(r->parts, r->capparts,
			    sizeof *r->parts);
		}
		p = &r->parts[r->nparts++];
		p->text = out;
		p->title = sim_section(ts->title, &c);
		p->from = from;
		p->to = next;
	} while (next < r->n);
	free(line);
}

/*
 * Render the current batch: every part (the number of parts is in each
 * part's marker, so a batch is rendered whole before it is written), and
 * when its parts are due (scheduler_not_before).
 */
static int
sim_render_batch(struct sim *s, const struct msg_batch *b, int64_t now,
    char **err)
{
	const struct config	*conf = s->conf;
	struct sim_render	*r = &s->r;
	struct msg_stream	 ms;
	struct sim_part		*p;
	char			*title, *text;
	size_t			 i, n = b->nentries, from, to;
	int64_t			 nb;

	memset(r, 0, sizeof *r);
	r->active = 1;
	r->n = n;
	r->sorted = xcalloc(n ? n : 1, sizeof *r->sorted);
	for (i = 0; i < n; i++)
		r->sorted[i] = &b->entries[i];
	qsort(r->sorted, n, sizeof *r->sorted, sim_entry_cmp);
	if (message_stream_begin(&ms, conf, b, now, n, sim_feed_get, r,
	    err) != 0)
		return (-1);
	if (!sim_render_exact)
		sim_render_fast(r, &ms, b, now, conf);
	else while (message_stream_next(&ms, &title, &text, &from, &to) == 1) {
		if (r->nparts == r->capparts) {
			r->capparts = r->capparts ? r->capparts * 2 : 4;
			r->parts = xreallocarray(r->parts, r->capparts,
			    sizeof *r->parts);
		}
		p = &r->parts[r->nparts++];
		p->title = title;
		p->text = text;
		p->from = from;
		p->to = to;
	}
	message_stream_end(&ms);

	nb = b->urgent || b->channel->window < 0 ? now :
	    rules_window_next(conf->calendar, config_window(conf,
	    b->channel->window), now);
	rules_format(nb > now ? nb : now, r->at, sizeof r->at);
	return (0);
}

/* Write part r->part of the current batch as one message object. */
static void
sim_write_part(struct sim *s, const struct sim_batch *sb, struct sim_out *o)
{
	struct sim_render	*r = &s->r;
	const struct msg_batch	*b = &sb->b;
	struct sim_part		*p = &r->parts[r->part];
	size_t			 j;
	char			 num[32], *title, *text;
	int			 k;

	/* The " (k/N)" markers, as the step puts them in. */
	title = part_mark(p->title, r->part + 1, r->nparts);
	text = part_mark(p->text, r->part + 1, r->nparts);
	free(p->title);
	free(p->text);
	p->title = p->text = NULL;

	if (s->nmessages++ > 0)
		sim_out_add(o, ",", 1);
	sim_out_add(o, "{\"at\":", 6);
	sim_json_string(o, r->at, strlen(r->at));
	sim_json_member(o, "channel", b->channel->name);
	sim_json_member(o, "stage", b->stage);
	sim_json_member(o, "title", title ? title : "");
	sim_out_add(o, ",\"text\":", 8);
	sim_json_string(o, text, strlen(text));
	if (b->stage_label != NULL)
		sim_json_member(o, "stage_label", b->stage_label);
	sim_out_add(o, ",\"items\":[", 10);
	for (j = p->from; j < p->to; j++) {
		k = snprintf(num, sizeof num, "%s%lld", j > p->from ? "," : "",
		    (long long)r->sorted[j]->item->id);
		sim_out_add(o, num, (size_t)k);
	}
	sim_out_add(o, "],\"recipients\":[", 16);
	for (j = 0; j < sb->nmob + sb->nuid; j++) {
		const char *v = j < sb->nmob ? sb->mob[j] :
		    sb->uid[j - sb->nmob];
		if (j > 0)
			sim_out_add(o, ",", 1);
		sim_json_string(o, v, strlen(v));
	}
	sim_out_add(o, "]}", 2);
	free(title);
	free(text);
	r->part++;
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

/* Close the document: the warnings and the end. */
static void
sim_write_end(struct sim *s, struct sim_out *o, const char *extra)
{
	size_t	 i;

	sim_out_add(o, "],\"warnings\":[", 14);
	for (i = 0; i < s->nwarnings; i++) {
		if (i > 0)
			sim_out_add(o, ",", 1);
		sim_json_string(o, s->warnings[i], strlen(s->warnings[i]));
	}
	if (extra != NULL) {
		if (s->nwarnings > 0)
			sim_out_add(o, ",", 1);
		sim_json_string(o, extra, strlen(extra));
	}
	sim_out_add(o, "]}\n", 3);
	s->finished = 1;
}

/* The monotonic clock in microseconds. */
static int64_t
sim_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/*
 * Write the answer on: at least `want` bytes appended to o unless the end
 * comes first, or as many whole messages as `usec` microseconds allow.
 * Returns 1 while there is more, 0 once the document is complete.
 */
int
sim_run(struct sim *s, struct sim_out *o, size_t want, int64_t usec)
{
	struct sim_batch	*sb;
	size_t			 start = o->len;
	int64_t			 t0 = sim_usec(), next;
	char			*why, *err = NULL;

	if (s->finished)
		return (0);
	if (!s->started) {
		sim_out_str(o, "{\"messages\":[");
		s->started = 1;
	}
	for (;;) {
		if (s->bi < s->nbatches) {
			sb = s->batches[s->bi];
			if (!s->r.active &&
			    sim_render_batch(s, &sb->b, s->now, &err) != 0) {
				/* As the step: the batch is not queued (it
				 * logs render-failed); the answer says so. */
				xasprintf(&why, "%s: the messages of stage %s"
				    " to %s are left out", err, sb->b.stage,
				    sb->b.channel->name);
				sim_warn(s, why);
				free(why);
				free(err);
				err = NULL;
				sim_render_clear(&s->r);
				s->bi++;
				continue;
			}
			while (s->r.part < s->r.nparts) {
				sim_write_part(s, sb, o);
				if (o->len - start >= want)
					return (1);
			}
			sim_render_clear(&s->r);
			s->bi++;
			continue;
		}
		sim_batches_clear(s);
		if (s->nheap == 0 || (next = s->heap[0]->next_at) > s->until) {
			sim_write_end(s, o, NULL);
			return (0);
		}
		sim_step(s, next > s->from ? next : s->from);
		s->steps++;
		if (o->len - start >= want || sim_usec() - t0 >= usec)
			return (1);
	}
}

/*
 * End the document early (the configuration the simulation works on was
 * replaced): the messages so far, then the warnings and why it stopped.
 * Touches nothing of the configuration.
 */
void
sim_abort(struct sim *s, struct sim_out *o, const char *why)
{
	if (s->finished)
		return;
	if (!s->started) {
		sim_out_str(o, "{\"messages\":[");
		s->started = 1;
	}
	sim_write_end(s, o, why);
}
