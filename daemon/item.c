/*
 * The approval-item lifecycle: planned -> accepted -> done, or cancelled,
 * with clock stops (suspend/resume), blocking, raising to the city and
 * progress notes.  Every change re-derives the item's deadline tracks so
 * the scheduler sees it at once.  Callers hold the transaction.
 *
 * The second deadlines of the innovation modes end on their own: a
 * 容缺受理 item's supplement track when the missing material is supplied
 * (event "supplied"), a 告知承诺 item's commitment track when the
 * commitment is verified ("verify-pass", "verify-fail") -- not when the
 * item is done, since a commitment is verified after approval.
 *
 * Adding an item is decided in one place, item_plan(), without the
 * store: its status, acceptance time, deadline, the tracks it starts
 * with and its log entry.  item_add() (the API, ctl, the importer's
 * updates) writes the plan with the store's calls, the importer's bulk
 * path (import.c, store_bulk.c) the very same rows in batches.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "escalator.h"

/* Parse a user time into *t, or fill the error naming the field. */
static int
item_time(const char *field, const char *v, int64_t now, int64_t *t,
    struct api_error *e)
{
	if (rules_parse_time(v, now, t) != 0) {
		api_error_set(e, 400, field, "invalid or impossible date '%s'"
		    " (use YYYY-MM-DD[ HH:MM[:SS]] or +SECONDS)", v);
		return (-1);
	}
	return (0);
}

/* One answer of a pure rule function, kept for the keys it was asked with. */
struct item_memo {
	int64_t		 k1;
	int64_t		 k2;
	int64_t		 v;
	int		 flag;
	int		 used;
};
#define ITEM_MEMO	1021

/* Answers kept over many plans with one configuration (most rows of an
 * import share acceptance days, limits and policies). */
struct item_cache {
	struct item_memo deadline[ITEM_MEMO];	/* rules_deadline() */
	struct item_memo next[ITEM_MEMO];	/* rules_next_time(), at start */
	struct item_memo stale[ITEM_MEMO];	/* rules_add() of stale_after */
};

/* The deadline and policy of one track kind of an item. */
struct item_want {
	const char		*kind;
	int64_t			 due;		/* 0 none */
	const struct policy	*p;		/* NULL none */
};

/* A new, empty cache of rule answers. */
struct item_cache *
item_cache_new(void)
{
	return (xcalloc(1, sizeof (struct item_cache)));
}

/* Free a cache of rule answers. */
void
item_cache_free(struct item_cache *c)
{
	free(c);
}

/*
 * The slot of a memo table for the keys (direct-mapped); *hit says
 * whether it holds their answer, else it is claimed for them and the
 * caller fills in the answer.  NULL without a cache.
 */
static struct item_memo *
item_memo(struct item_memo *tab, int64_t k1, int64_t k2, int *hit)
{
	struct item_memo	*m;
	uint64_t		 h;

	*hit = 0;
	if (tab == NULL)
		return (NULL);
	h = (uint64_t)k1 * 0x9e3779b97f4a7c15ULL ^
	    ((uint64_t)k2 + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
	m = &tab[(h >> 32) % ITEM_MEMO];
	*hit = m->used && m->k1 == k1 && m->k2 == k2;
	if (!*hit) {
		m->used = 1;
		m->k1 = k1;
		m->k2 = k2;
	}
	return (m);
}

/* A pointer to text an item_plan borrows, for the store's row types
 * (which the plan's writers only read). */
static char *
item_unconst(const char *s)
{
	return ((char *)(uintptr_t)s);
}

/* Set the due time of an accepted item from its limit (or keep explicit);
 * *unc is set when the deadline is counted past the holiday calendar. */
static int
item_compute_due(const struct config *conf, struct item_row *r,
    struct item_cache *c, int *unc, struct api_error *e)
{
	struct duration		 lim;
	struct item_memo	*m;
	int			 hit;

	*unc = 0;
	if (r->explicit_due || r->limit == NULL)
		return (0);
	if (config_parse_duration(r->limit, &lim) != 0 || lim.n <= 0) {
		api_error_set(e, 400, "limit", "invalid time limit '%s' (use e.g."
		    " 5wd, 10d or 48h)", r->limit);
		return (-1);
	}
	m = item_memo(c != NULL ? c->deadline : NULL, r->accepted_at,
	    (int64_t)lim.unit << 56 ^ lim.n, &hit);
	if (hit) {
		r->due_at = m->v;
		*unc = m->flag;
		return (0);
	}
	r->due_at = rules_deadline(conf->calendar, r->accepted_at, &lim,
	    conf->deadline_min, unc);
	if (m != NULL) {
		m->v = r->due_at;
		m->flag = *unc;
	}
	return (0);
}

/*
 * The deadline and policy of each kind of track an item follows, in the
 * order they are written: main, supplement (容缺受理, until the material
 * is supplied), commitment (告知承诺, until it is verified) and stale
 * (from the later of acceptance and progress).
 */
static void
item_wants(const struct config *conf, const struct item_row *r,
    struct item_cache *c, struct item_want w[ITEM_PLAN_TRACKS])
{
	const struct policy	*sp;
	struct item_memo	*m;
	int64_t			 since;
	int			 i, hit;

	w[0].kind = TRACK_MAIN;
	w[0].due = r->due_at;
	w[1].kind = TRACK_SUPPLEMENT;
	w[1].due = strcmp(r->mode, MODE_SUPPLEMENT) == 0 &&
	    r->supplement_done_at == 0 ? r->supplement_due : 0;
	w[2].kind = TRACK_COMMITMENT;
	w[2].due = strcmp(r->mode, MODE_COMMITMENT) == 0 &&
	    r->commitment_verified_at == 0 ? r->commitment_due : 0;
	for (i = 0; i < 3; i++)
		w[i].p = w[i].due > 0 ? config_policy_for(conf, w[i].kind,
		    r->category, r->department, r->kind, r->mode) : NULL;
	w[3].kind = TRACK_STALE;
	w[3].due = 0;
	sp = config_policy_for(conf, TRACK_STALE, r->category, r->department,
	    r->kind, r->mode);
	if (sp != NULL && sp->stale_after.n > 0) {
		since = r->last_progress_at > r->accepted_at ?
		    r->last_progress_at : r->accepted_at;
		m = item_memo(c != NULL ? c->stale : NULL, (int64_t)(intptr_t)sp,
		    since, &hit);
		if (hit)
			w[3].due = m->v;
		else {
			w[3].due = rules_add(conf->calendar, since,
			    &sp->stale_after, 1, NULL);
			if (m != NULL)
				m->v = w[3].due;
		}
	}
	w[3].p = w[3].due > 0 ? sp : NULL;
}

/* A track as it starts, for a wanted deadline with a policy: before the
 * first stage of the ladder.  Its strings are borrowed. */
static void
item_track_start(const struct config *conf, const struct item_row *r,
    const struct item_want *w, struct item_cache *c, struct track_row *t)
{
	struct item_memo	*m;
	int			 hit;

	memset(t, 0, sizeof *t);
	t->item_id = r->id;
	t->kind = item_unconst(w->kind);
	t->policy = item_unconst(w->p->name);
	t->due_at = w->due;
	t->stage = -1;
	m = item_memo(c != NULL ? c->next : NULL, (int64_t)(intptr_t)w->p,
	    w->due, &hit);
	if (hit)
		t->next_at = m->v;
	else {
		t->next_at = rules_next_time(w->p, conf->calendar,
		    config_window(conf, w->p->window), w->due, -1, 0);
		if (m != NULL)
			m->v = t->next_at;
	}
}

/* Whether an input gives a time: its text, or resolved. */
static int
item_given(const char *text, int64_t at)
{
	return (text != NULL || at != 0);
}

/*
 * Apply the endings an input gives (the importer's columns): when a
 * 容缺受理 item's material was supplied, how and when a 告知承诺 item's
 * commitment was verified (now when no time is given and none is
 * stored).  An ending of another mode's deadline is refused.
 */
static int
item_plan_endings(struct item_row *r, const struct item_input *in,
    int64_t now, struct api_error *e)
{
	if (item_given(in->supplement_done, in->supplement_done_at)) {
		if (strcmp(r->mode, MODE_SUPPLEMENT) != 0) {
			api_error_set(e, 400, "supplement_done_at", "only a "
			    MODE_SUPPLEMENT " item has missing material to"
			    " supply (mode is %s)", r->mode);
			return (-1);
		}
		r->supplement_done_at = in->supplement_done_at;
	}
	if (in->commitment_result == NULL) {
		if (item_given(in->commitment_verified,
		    in->commitment_verified_at)) {
			api_error_set(e, 400, "commitment_verified_at", "a"
			    " verification time needs its result ("
			    COMMITMENT_PASS " or " COMMITMENT_FAIL ")");
			return (-1);
		}
		return (0);
	}
	if (!model_valid_result(in->commitment_result)) {
		api_error_set(e, 400, "commitment_result", "unknown result '%s'"
		    " (" COMMITMENT_PASS " or " COMMITMENT_FAIL ")",
		    in->commitment_result);
		return (-1);
	}
	if (strcmp(r->mode, MODE_COMMITMENT) != 0) {
		api_error_set(e, 400, "commitment_result", "only a "
		    MODE_COMMITMENT " item has a commitment to verify (mode is"
		    " %s)", r->mode);
		return (-1);
	}
	r->commitment_result = item_unconst(in->commitment_result);
	if (item_given(in->commitment_verified, in->commitment_verified_at))
		r->commitment_verified_at = in->commitment_verified_at;
	else if (r->commitment_verified_at == 0)
		r->commitment_verified_at = now;
	return (0);
}

/*
 * Decide what adding an item writes, touching no store: the stored row
 * updated by the input, or a new row in project p; accepted unless
 * planned or a prerequisite is not done (pending); its deadline from the
 * time limit unless one was given; the tracks a new item starts with;
 * the log entry.  The input's times must be resolved (deadline_at ...).
 */
int
item_plan(const struct config *conf, const struct project_row *p,
    const struct item_row *stored, const struct item_input *in,
    int64_t pending, int64_t now, struct item_cache *c,
    struct item_plan *plan, struct api_error *e)
{
	struct item_row		*r = &plan->item;
	struct item_want	 w[ITEM_PLAN_TRACKS];
	size_t			 i;

	memset(plan, 0, sizeof *plan);
	if (stored != NULL) {
		*r = *stored;
		plan->log_outcome = "updated";
	} else {
		r->project_id = p->id;
		r->project_code = p->code;
		r->project_name = p->name;
		r->category = p->category;
		r->region = p->region;
		r->kind = item_unconst(in->name);
		r->department = item_unconst(in->department);
		r->status = item_unconst(STATUS_PLANNED);
		r->created_at = now;
		r->last_progress_at = now;
		plan->log_outcome = "created";
	}
	if (in->handler)
		r->handler = item_unconst(in->handler);
	if (in->mode || r->mode == NULL)
		r->mode = item_unconst(in->mode ? in->mode : MODE_NORMAL);
	if (in->limit) {
		r->limit = item_unconst(in->limit);
		r->explicit_due = 0;
	}
	if (item_given(in->deadline, in->deadline_at)) {
		r->due_at = in->deadline_at;
		r->explicit_due = 1;
	}
	if (item_given(in->supplement, in->supplement_at))
		r->supplement_due = in->supplement_at;
	if (item_given(in->commitment, in->commitment_at))
		r->commitment_due = in->commitment_at;
	if (item_given(in->accepted, in->accepted_at))
		r->accepted_at = in->accepted_at;
	if (item_plan_endings(r, in, now, e) != 0)
		return (-1);

	/* Accept now unless planned or waiting for prerequisites. */
	if (strcmp(r->status, STATUS_PLANNED) == 0 && (in->status == NULL ||
	    strcmp(in->status, STATUS_ACCEPTED) == 0)) {
		if (pending != 0 && in->status != NULL) {
			api_error_set(e, 409, "status", "item cannot be accepted"
			    " before prerequisite item %lld is done",
			    (long long)pending);
			return (-1);
		}
		if (pending == 0) {
			r->status = item_unconst(STATUS_ACCEPTED);
			if (r->accepted_at == 0)
				r->accepted_at = now;
		}
	}
	if (strcmp(r->status, STATUS_ACCEPTED) == 0 &&
	    item_compute_due(conf, r, c, &plan->uncovered, e) != 0)
		return (-1);
	plan->log_detail = r->kind;

	/* The tracks item_retrack() makes for an item that has none. */
	if (stored == NULL && strcmp(r->status, STATUS_ACCEPTED) == 0) {
		item_wants(conf, r, c, w);
		for (i = 0; i < ITEM_PLAN_TRACKS; i++)
			if (w[i].p != NULL)
				item_track_start(conf, r, &w[i], c,
				    &plan->tracks[plan->ntracks++]);
	}
	return (0);
}

/* Give a planned new item its id, in its row and its tracks. */
void
item_plan_set_id(struct item_plan *plan, int64_t id)
{
	size_t	 i;

	plan->item.id = id;
	for (i = 0; i < plan->ntracks; i++)
		plan->tracks[i].item_id = id;
}

/* Warn that an item's deadline was counted past the holiday calendar. */
static void
item_warn_uncovered(int64_t id)
{
	log_warnx("item %lld: deadline reaches a year without a holiday "
	    "calendar; counted Monday-Friday", (long long)id);
}

/*
 * Check the prerequisites an input names (known, not the item itself)
 * and find one not done yet: the first by id among them, and for a
 * stored item among those it had.  Records them for a stored item (a
 * new one records them once it has its id).
 */
static int
item_prereqs(struct store *s, const struct item_input *in, int64_t id,
    int64_t *pending, struct api_error *e)
{
	struct item_row	 pre;
	int64_t		 pend[1];
	size_t		 i, npend;

	*pending = 0;
	for (i = 0; i < in->nafter; i++) {
		if (id != 0 && in->after[i] == id) {
			api_error_set(e, 400, "after", "an item cannot be its own"
			    " prerequisite");
			return (-1);
		}
		if (store_item_get(s, in->after[i], &pre) != 0) {
			api_error_set(e, 400, "after", "unknown prerequisite"
			    " item %lld", (long long)in->after[i]);
			return (-1);
		}
		if (id == 0 && strcmp(pre.status, STATUS_DONE) != 0 &&
		    (*pending == 0 || in->after[i] < *pending))
			*pending = in->after[i];
		item_row_clear(&pre);
		if (id != 0 && store_prereq_add(s, id, in->after[i]) != 0)
			goto dberr;
	}
	if (id != 0) {
		if (store_prereq_pending(s, id, pend, 1, &npend) != 0)
			goto dberr;
		if (npend > 0)
			*pending = pend[0];
	}
	return (0);
dberr:
	api_error_set(e, 500, NULL, "database error: %s", store_error(s));
	return (-1);
}

/* Create (or update, by project+kind+department) an item. */
int
item_add(const struct config *conf, struct store *s,
    const struct item_input *in, int64_t now, int64_t *idp, int *created,
    struct api_error *e)
{
	struct project_row	 p;
	struct item_row		 cur;
	struct item_input	 rin;
	struct item_plan	 plan;
	int64_t			 id = 0, pending;
	size_t			 i;
	int			 rc, pcreated;

	memset(&cur, 0, sizeof cur);
	memset(&p, 0, sizeof p);
	if (in->project == NULL || *in->project == '\0') {
		api_error_set(e, 400, "project", "missing project code");
		return (-1);
	}
	if (in->name == NULL || *in->name == '\0') {
		api_error_set(e, 400, "name", "missing item name");
		return (-1);
	}
	if (in->department == NULL || *in->department == '\0') {
		api_error_set(e, 400, "department", "missing department");
		return (-1);
	}
	if (in->mode != NULL && !model_valid_mode(in->mode)) {
		api_error_set(e, 400, "mode", "unknown mode '%s' ("
		    MODE_NORMAL ", " MODE_PRECHECK ", " MODE_SUPPLEMENT ", "
		    MODE_COMMITMENT ")", in->mode);
		return (-1);
	}
	if (in->status != NULL && strcmp(in->status, STATUS_PLANNED) != 0 &&
	    strcmp(in->status, STATUS_ACCEPTED) != 0) {
		api_error_set(e, 400, "status", "status must be planned or"
		    " accepted");
		return (-1);
	}
	if (in->deadline == NULL && in->limit == NULL &&
	    (in->status == NULL || strcmp(in->status, STATUS_ACCEPTED) == 0)) {
		api_error_set(e, 400, "deadline", "give a deadline or a time"
		    " limit");
		return (-1);
	}

	/* The project: created on first use, completed when details come. */
	if ((rc = store_project_get(s, in->project, &p)) < 0)
		goto dberr;
	if (rc == 1 || in->project_name || in->category || in->region) {
		if (rc == 1)
			p.code = xstrdup(in->project);
		if (in->project_name) {
			free(p.name);
			p.name = xstrdup(in->project_name);
		}
		if (in->category) {
			free(p.category);
			p.category = xstrdup(in->category);
		}
		if (in->region) {
			free(p.region);
			p.region = xstrdup(in->region);
		}
		if (store_project_save(s, &p, &pcreated) != 0)
			goto dberr;
	}

	if ((rc = store_item_find(s, p.id, in->name, in->department,
	    &id)) < 0)
		goto dberr;
	if (rc == 0 && store_item_get(s, id, &cur) != 0)
		goto dberr;
	*created = rc != 0;

	/* The times, resolved for item_plan(). */
	rin = *in;
	if (in->deadline && item_time("deadline", in->deadline, now,
	    &rin.deadline_at, e) != 0)
		goto fail;
	if (in->supplement && item_time("supplement_deadline",
	    in->supplement, now, &rin.supplement_at, e) != 0)
		goto fail;
	if (in->commitment && item_time("commitment_deadline",
	    in->commitment, now, &rin.commitment_at, e) != 0)
		goto fail;
	if (in->accepted && item_time("accepted_at", in->accepted, now,
	    &rin.accepted_at, e) != 0)
		goto fail;
	if (in->supplement_done && item_time("supplement_done_at",
	    in->supplement_done, now, &rin.supplement_done_at, e) != 0)
		goto fail;
	if (in->commitment_verified && item_time("commitment_verified_at",
	    in->commitment_verified, now, &rin.commitment_verified_at, e) != 0)
		goto fail;

	if (item_prereqs(s, &rin, *created ? 0 : id, &pending, e) != 0)
		goto fail;
	if (item_plan(conf, &p, *created ? NULL : &cur, &rin, pending, now,
	    NULL, &plan, e) != 0)
		goto fail;
	if (*created) {
		if (store_item_insert(s, &plan.item) != 0)
			goto dberr;
		item_plan_set_id(&plan, plan.item.id);
		for (i = 0; i < in->nafter; i++)
			if (store_prereq_add(s, plan.item.id, in->after[i]) != 0)
				goto dberr;
		for (i = 0; i < plan.ntracks; i++)
			if (store_track_save(s, &plan.tracks[i]) != 0)
				goto dberr;
	} else {
		if (store_item_update(s, &plan.item) != 0)
			goto dberr;
		if (item_retrack(conf, s, &plan.item, now, 0, NULL) != 0)
			goto dberr;
	}
	if (plan.uncovered)
		item_warn_uncovered(plan.item.id);
	if (store_log(s, now, plan.item.id, plan.item.project_code, NULL, NULL,
	    plan.log_outcome, plan.log_detail) != 0)
		goto dberr;
	*idp = plan.item.id;
	project_row_clear(&p);
	item_row_clear(&cur);
	return (0);
dberr:
	api_error_set(e, 500, NULL, "database error: %s", store_error(s));
fail:
	project_row_clear(&p);
	item_row_clear(&cur);
	return (-1);
}

/* Send the closing notice to every chat the item was escalated to. */
static int
item_done_notice(const struct config *conf, struct store *s,
    const struct item_row *r, int64_t now)
{
	struct msg_batch	 b;
	struct msg_entry	 ent;
	const struct channel	*ch;
	char			**chans;
	size_t			 n, i;
	int			 rc = 0;

	if (store_outbox_channels_of_item(s, r->id, &chans, &n) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if ((ch = config_channel(conf, chans[i])) == NULL ||
		    config_template(conf, "done", ch->type) == NULL)
			continue;
		memset(&b, 0, sizeof b);
		memset(&ent, 0, sizeof ent);
		ent.item = r;
		ent.due = r->due_at;
		b.channel = ch;
		b.template = "done";
		b.stage = "done";
		b.stage_label = "办结";
		b.severity = "info";
		b.group = "";
		b.entries = &ent;
		b.nentries = 1;
		if (enqueue_batch(conf, s, &b, now, r->id) < 0)
			rc = -1;
	}
	for (i = 0; i < n; i++)
		free(chans[i]);
	free(chans);
	return (rc);
}

/*
 * Queue the notice that a 告知承诺 item's commitment failed verification
 * (template "verify-fail") for the item's work-group chat and the
 * task-force head's, @-mentioning the head; one message when both are
 * the same chat.  A recipient without a chat falls back to the admin
 * channel, as the ladder's do.
 */
static int
item_verify_fail_notice(const struct config *conf, struct store *s,
    const struct item_row *r, const char *reason, int64_t now)
{
	const struct group	*g;
	const struct person	*head;
	const struct channel	*ch[2];
	struct msg_batch	 b;
	struct msg_entry	 ent;
	struct msg_mention	 mm;
	const char		*name[2];
	size_t			 i;
	int			 by_name, rc = 0;

	g = r->category ? config_group_for(conf, r->category) : NULL;
	head = conf->head ? config_person(conf, conf->head) : NULL;
	name[0] = g != NULL && g->channel != NULL ? g->channel :
	    conf->admin_channel;
	name[1] = conf->head_channel ? conf->head_channel :
	    conf->admin_channel;
	for (i = 0; i < 2; i++)
		ch[i] = name[i] ? config_channel(conf, name[i]) : NULL;
	if (ch[1] == ch[0])
		ch[0] = NULL;	/* the head's chat is the group's */
	for (i = 0; i < 2; i++) {
		if (ch[i] == NULL) {
			if (i == 1 && store_log(s, now, r->id, r->project_code,
			    "verify-fail", NULL, "no-recipient", "no channel"
			    " configured for the head or the group") != 0)
				rc = -1;
			continue;
		}
		if (config_template(conf, "verify-fail", ch[i]->type) == NULL) {
			if (store_log(s, now, r->id, r->project_code,
			    "verify-fail", ch[i]->name, "no-template", "no"
			    " verify-fail template for this channel") != 0)
				rc = -1;
			continue;
		}
		memset(&b, 0, sizeof b);
		memset(&ent, 0, sizeof ent);
		ent.item = r;
		ent.due = r->commitment_due;
		ent.reason = reason;
		b.channel = ch[i];
		b.template = "verify-fail";
		b.stage = "verify-fail";
		b.stage_label = "承诺核查不通过";
		b.severity = "warning";
		b.group = g != NULL ? g->name : "";
		b.category = r->category;
		b.entries = &ent;
		b.nentries = 1;
		if (i == 1 && head != NULL) {
			enqueue_mention_plan(ch[i]->type, head, &mm.uid,
			    &mm.mobile, &by_name);
			mm.name = by_name ? head->name : NULL;
			ent.mentions = &mm;
			ent.nmentions = 1;
		}
		if (enqueue_batch(conf, s, &b, now, r->id) < 0)
			rc = -1;
	}
	return (rc);
}

/* The event type a Chinese name stands for, else the type itself. */
static const char *
item_event_type(const char *type)
{
	static const struct {
		const char	*zh;
		const char	*type;
	} names[] = {
		{ "核查通过", "verify-pass" },
		{ "核查不通过", "verify-fail" },
		{ "补正材料已收齐", "supplied" },
		{ "材料已收齐", "supplied" },
	};
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(type, names[i].zh) == 0)
			return (names[i].type);
	return (type);
}

/* Replace a string field. */
static void
item_set(char **field, const char *v)
{
	free(*field);
	*field = v ? xstrdup(v) : NULL;
}

/* Apply one event to an item. */
int
item_event(const struct config *conf, struct store *s, int64_t id,
    const char *type, const char *reason, const char *note, int64_t at,
    int64_t now, struct api_error *e)
{
	struct item_row	 r;
	int64_t		 pend[1];
	size_t		 npend;
	int32_t		 d1, d2;
	int		 rc, wd, unc, was_done = 0, failed = 0;

	if ((rc = store_item_get(s, id, &r)) != 0) {
		if (rc < 0)
			api_error_set(e, 500, NULL, "database error: %s",
			    store_error(s));
		else
			api_error_set(e, 404, "id", "no item %lld", (long long)id);
		return (-1);
	}
#define NEED(cond, msg) do { if (!(cond)) { api_error_set(e, 409, "type", \
	"item %lld is %s: %s", (long long)id, r.status, msg); goto fail; } } while (0)
/* An ending that does not apply: a 409 naming the field, nothing changed. */
#define NEED_FIELD(cond, field, ...) do { if (!(cond)) { \
	api_error_set(e, 409, field, __VA_ARGS__); goto fail; } } while (0)
	type = item_event_type(type);
	if (strcmp(type, "verify-pass") == 0 ||
	    strcmp(type, "verify-fail") == 0) {
		failed = strcmp(type, "verify-fail") == 0;
		NEED_FIELD(strcmp(r.mode, MODE_COMMITMENT) == 0, "mode",
		    "item %lld is %s, not " MODE_COMMITMENT ": it has no"
		    " commitment to verify", (long long)id, r.mode);
		NEED_FIELD(r.commitment_verified_at == 0, "commitment_result",
		    "item %lld's commitment was already verified: %s",
		    (long long)id, r.commitment_result ? r.commitment_result :
		    "?");
		NEED(strcmp(r.status, STATUS_PLANNED) != 0 &&
		    strcmp(r.status, STATUS_CANCELLED) != 0,
		    "only an accepted or done item's commitment is verified");
		if (failed && (reason == NULL || *reason == '\0')) {
			if (note == NULL || *note == '\0') {
				api_error_set(e, 400, "reason", "a failed"
				    " verification needs a reason");
				goto fail;
			}
			reason = note;
		}
		r.commitment_verified_at = at;
		item_set(&r.commitment_result, failed ? COMMITMENT_FAIL :
		    COMMITMENT_PASS);
	} else if (strcmp(type, "supplied") == 0) {
		NEED_FIELD(strcmp(r.mode, MODE_SUPPLEMENT) == 0, "mode",
		    "item %lld is %s, not " MODE_SUPPLEMENT ": it has no"
		    " missing material", (long long)id, r.mode);
		NEED_FIELD(r.supplement_done_at == 0, "supplement_done_at",
		    "item %lld's missing material was already supplied",
		    (long long)id);
		NEED(strcmp(r.status, STATUS_PLANNED) != 0 &&
		    strcmp(r.status, STATUS_CANCELLED) != 0,
		    "only an accepted or done item's material is supplied");
		r.supplement_done_at = at;
		r.last_progress_at = at;
	} else if (strcmp(type, "accept") == 0) {
		NEED(strcmp(r.status, STATUS_PLANNED) == 0,
		    "only a planned item can be accepted");
		if (store_prereq_pending(s, id, pend, 1, &npend) != 0)
			goto dberr;
		if (npend > 0) {
			api_error_set(e, 409, "type", "item %lld cannot be accepted"
			    " before prerequisite item %lld is done",
			    (long long)id, (long long)pend[0]);
			goto fail;
		}
		item_set(&r.status, STATUS_ACCEPTED);
		r.accepted_at = at;
		r.last_progress_at = at;
		if (item_compute_due(conf, &r, NULL, &unc, e) != 0)
			goto fail;
		if (unc)
			item_warn_uncovered(id);
		if (r.due_at == 0) {
			api_error_set(e, 409, "limit", "item %lld has neither a"
			    " deadline nor a time limit", (long long)id);
			goto fail;
		}
	} else if (strcmp(type, "suspend") == 0) {
		NEED(strcmp(r.status, STATUS_ACCEPTED) == 0,
		    "only an accepted item can be suspended");
		if (reason == NULL || *reason == '\0') {
			api_error_set(e, 400, "reason", "a clock stop needs a"
			    " reason (e.g. 补正材料, 专家评审)");
			goto fail;
		}
		item_set(&r.status, STATUS_SUSPENDED);
		item_set(&r.suspend_reason, reason);
		r.suspended_at = at;
	} else if (strcmp(type, "resume") == 0) {
		NEED(strcmp(r.status, STATUS_SUSPENDED) == 0,
		    "only a suspended item can be resumed");
		/* The deadline moves by the working days the clock stood. */
		rules_split(r.suspended_at, &d1, NULL);
		rules_split(at, &d2, NULL);
		wd = calendar_count_workdays(conf->calendar, d1, d2, NULL);
		if (wd < 0)
			wd = 0;
		r.stopped_workdays += wd;
		if (r.due_at > 0) {
			struct duration dd = { DUR_WORKDAYS, wd };
			if (r.limit != NULL && !r.explicit_due) {
				struct duration lim;
				if (config_parse_duration(r.limit, &lim) == 0 &&
				    lim.unit == DUR_SECONDS) {
					dd.unit = DUR_SECONDS;
					dd.n = at - r.suspended_at;
					r.stopped_seconds += dd.n;
				}
			}
			r.due_at = rules_add(conf->calendar, r.due_at, &dd, 1,
			    NULL);
		}
		item_set(&r.status, STATUS_ACCEPTED);
		item_set(&r.suspend_reason, NULL);
		r.suspended_at = 0;
		r.last_progress_at = at;
	} else if (strcmp(type, "done") == 0) {
		NEED(model_status_open(r.status), "only an accepted item"
		    " can be done");
		item_set(&r.status, STATUS_DONE);
		r.done_at = at;
		was_done = 1;
	} else if (strcmp(type, "cancel") == 0) {
		NEED(!model_status_closed(r.status), "already closed");
		item_set(&r.status, STATUS_CANCELLED);
	} else if (strcmp(type, "block") == 0) {
		NEED(!model_status_closed(r.status), "already closed");
		if (reason == NULL || *reason == '\0') {
			api_error_set(e, 400, "reason", "blocking needs a reason");
			goto fail;
		}
		item_set(&r.blocked_reason, reason);
		r.blocked_at = at;
	} else if (strcmp(type, "unblock") == 0) {
		NEED(r.blocked_reason != NULL, "item is not blocked");
		item_set(&r.blocked_reason, NULL);
		r.blocked_at = 0;
	} else if (strcmp(type, "raise") == 0) {
		NEED(!model_status_closed(r.status), "already closed");
		r.raised_at = at;
		if (reason != NULL)
			item_set(&r.blocked_reason, reason);
	} else if (strcmp(type, "progress") == 0) {
		if (note == NULL || *note == '\0') {
			api_error_set(e, 400, "note", "a progress note needs text");
			goto fail;
		}
		r.last_progress_at = at;
		if (store_progress_add(s, r.project_id, id, note, at) != 0)
			goto dberr;
	} else {
		api_error_set(e, 400, "type", "unknown event type '%s'", type);
		goto fail;
	}
#undef NEED_FIELD
#undef NEED
	if (store_item_update(s, &r) != 0)
		goto dberr;
	if (item_retrack(conf, s, &r, now, 0, NULL) != 0)
		goto dberr;
	if (store_log(s, now, id, r.project_code, NULL, NULL, type,
	    reason ? reason : note) != 0)
		goto dberr;
	if (was_done) {
		if (item_done_notice(conf, s, &r, now) != 0)
			goto dberr;
	}
	if (failed && item_verify_fail_notice(conf, s, &r, reason, now) != 0)
		goto dberr;
	item_row_clear(&r);
	return (0);
dberr:
	api_error_set(e, 500, NULL, "database error: %s", store_error(s));
fail:
	item_row_clear(&r);
	return (-1);
}

/* Keep, update or remove one track of an item. */
static int
item_track(const struct config *conf, struct store *s,
    const struct item_row *r, const struct item_want *w, int active,
    int64_t now, int reload, const struct config *old)
{
	const struct policy	*p = w->p;
	struct track_row	 t;
	int64_t			 due = w->due, next;
	int			 rc, idx, i, same;

	if ((rc = store_track_get(s, r->id, w->kind, &t)) < 0)
		return (-1);
	if (rc == 1) {
		if (p == NULL || !active)
			return (0);
		/* A new track starts as item_plan() plans it. */
		item_track_start(conf, r, w, NULL, &t);
		return (store_track_save(s, &t));
	}
	if (p == NULL) {
		t.next_at = 0;
		rc = store_track_save(s, &t);
		track_row_clear(&t);
		return (rc);
	}
	same = t.policy != NULL && strcmp(t.policy, p->name) == 0 &&
	    t.due_at == due && rules_stage_index(p, t.stage_name) == t.stage;
	if (t.due_at != due) {
		/* A moved deadline (clock stop) keeps the ladder position. */
		t.due_at = due;
	}
	if (t.policy == NULL || strcmp(t.policy, p->name) != 0 || reload) {
		/*
		 * Follow the (new) rules from the current stage, found by
		 * name.  When that stage no longer exists, the ladder resumes
		 * at the last stage already due; the stages passed over are
		 * logged, never fired in a burst.
		 */
		idx = rules_stage_index(p, t.stage_name);
		if (t.stage >= 0 && idx < 0) {
			if (rules_due(p, conf->calendar, config_window(conf,
			    p->window), due, -1, -1, now, &idx, &i) == 0) {
				idx = -1;
				i = 0;
			}
			if (store_log(s, now, r->id, r->project_code,
			    t.stage_name, NULL, "rule-change", "stage no longer"
			    " in the policy; stages up to now are skipped") != 0)
				goto fail;
			t.rep = i;
		} else if (t.stage >= 0 && idx != t.stage) {
			/* Stages added before the current one never fire. */
			if (store_log(s, now, r->id, r->project_code,
			    t.stage_name, NULL, "rule-change", "the policy"
			    " changed; the ladder continues from this stage") != 0)
				goto fail;
		}
		t.stage = t.stage >= 0 ? idx : -1;
		free(t.policy);
		t.policy = xstrdup(p->name);
	}
	next = active ? rules_next_time(p, conf->calendar, config_window(conf,
	    p->window), due, t.stage, t.rep) : 0;
	/*
	 * A reload that changes nothing for this track (same deadline, same
	 * stage, and its policy escalates alike) keeps the next action the
	 * step chose, e.g. a wait for the send window: the ladder goes on
	 * exactly as if there had been no reload.
	 */
	if (!(reload && same && old != NULL && next > 0 && t.next_at > 0 &&
	    config_policy_same(old, conf, p->name)))
		t.next_at = next;
	rc = store_track_save(s, &t);
	track_row_clear(&t);
	return (rc);
fail:
	track_row_clear(&t);
	return (-1);
}

/* Whether a track of an item runs: every track of an accepted item; the
 * commitment track of a done 告知承诺 item too, until it is verified. */
int
item_track_runs(const struct item_row *r, const char *kind)
{
	if (strcmp(r->status, STATUS_ACCEPTED) == 0)
		return (1);
	return (strcmp(r->status, STATUS_DONE) == 0 &&
	    strcmp(kind, TRACK_COMMITMENT) == 0 &&
	    strcmp(r->mode, MODE_COMMITMENT) == 0 &&
	    r->commitment_verified_at == 0);
}

/* Re-derive all tracks of one item from its state and the rules. */
int
item_retrack(const struct config *conf, struct store *s,
    const struct item_row *r, int64_t now, int reload,
    const struct config *old)
{
	struct item_want	 w[ITEM_PLAN_TRACKS], rw;
	struct track_row	 t;
	size_t			 i;
	int			 rc;

	item_wants(conf, r, NULL, w);
	for (i = 0; i < ITEM_PLAN_TRACKS; i++) {
		/* A new progress note restarts the stale ladder. */
		if (strcmp(w[i].kind, TRACK_STALE) == 0) {
			if ((rc = store_track_get(s, r->id, TRACK_STALE,
			    &t)) < 0)
				return (-1);
			if (rc == 0 && t.due_at != w[i].due) {
				t.stage = -1;
				t.rep = 0;
				free(t.stage_name);
				t.stage_name = NULL;
				if (store_track_save(s, &t) != 0) {
					track_row_clear(&t);
					return (-1);
				}
			}
			if (rc == 0)
				track_row_clear(&t);
		}
		if (item_track(conf, s, r, &w[i], item_track_runs(r,
		    w[i].kind), now, reload, old) != 0)
			return (-1);
	}
	/* The rectification deadline is created by the interview stage. */
	if ((rc = store_track_get(s, r->id, TRACK_RECTIFY, &t)) == 0) {
		rw.kind = TRACK_RECTIFY;
		rw.due = t.due_at;
		rw.p = rw.due > 0 ? config_policy_for(conf, TRACK_RECTIFY,
		    r->category, r->department, r->kind, r->mode) : NULL;
		track_row_clear(&t);
		if (item_track(conf, s, r, &rw, item_track_runs(r, rw.kind),
		    now, reload, old) != 0)
			return (-1);
	} else if (rc < 0)
		return (-1);
	return (0);
}

struct item_retrack_ctx {
	const struct config	*old;
	const struct config	*conf;
	struct store		*s;
	int64_t			 now;
	int			 failed;
};

/* Re-evaluate one active item against (new) rules; stop on a failure. */
static int
item_retrack_cb(void *arg, const struct item_row *r)
{
	struct item_retrack_ctx	*rc = arg;

	if (item_retrack(rc->conf, rc->s, r, rc->now, 1, rc->old) != 0) {
		rc->failed = 1;
		return (1);
	}
	return (0);
}

/* Re-evaluate every active item; used after a reload.  A failure stops
 * the walk (which then reports success) and is returned here. */
int
item_retrack_all(const struct config *conf, struct store *s, int64_t now,
    const struct config *old)
{
	struct item_retrack_ctx	 rc;

	rc.conf = conf;
	rc.s = s;
	rc.now = now;
	rc.old = old;
	rc.failed = 0;
	if (store_item_each_active(s, item_retrack_cb, &rc) != 0 || rc.failed)
		return (-1);
	return (0);
}

/* Add a time field as RFC 3339 local time, or null. */
static void
item_json_time(json_t *o, const char *key, int64_t t)
{
	char	 buf[32];

	if (t <= 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	rules_format_rfc3339(t, buf, sizeof buf);
	json_object_set_new(o, key, json_string(buf));
}

/* Add a string field or null. */
static void
item_json_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

/* The latest acknowledgement and feedback of an item, from the answers
 * of its action links. */
struct item_answers {
	int64_t		 ack_at, note_at;
	char		*ack_stage, *ack_by, *note, *note_by;
};

static int
item_answers_cb(void *arg, const struct answer_row *a)
{
	struct item_answers	*ia = arg;

	if (strcmp(a->kind, "ack") == 0 && ia->ack_at == 0) {
		ia->ack_at = a->at;
		ia->ack_stage = a->stage ? xstrdup(a->stage) : NULL;
		ia->ack_by = a->actor ? xstrdup(a->actor) : NULL;
	} else if (strcmp(a->kind, "progress") == 0 && ia->note_at == 0) {
		ia->note_at = a->at;
		ia->note = a->note ? xstrdup(a->note) : NULL;
		ia->note_by = a->actor ? xstrdup(a->actor) : NULL;
	}
	return (ia->ack_at != 0 && ia->note_at != 0);
}

/*
 * "ack": 已签收 when the stage the item stands at (stage, NULL: none
 * fired) was acknowledged, 未签收 when it was not, null before any
 * stage; with who and when, and the latest feedback.
 */
static int
item_json_answers(struct store *s, const struct item_row *r,
    const char *stage, json_t *o)
{
	struct item_answers	 ia;

	memset(&ia, 0, sizeof ia);
	if (store_answer_each(s, r->id, 200, item_answers_cb, &ia) != 0)
		return (-1);
	if (stage == NULL || !model_status_open(r->status))
		item_json_str(o, "ack", NULL);
	else
		item_json_str(o, "ack", ia.ack_stage != NULL &&
		    strcmp(ia.ack_stage, stage) == 0 ? "已签收" : "未签收");
	item_json_time(o, "ack_at", ia.ack_at);
	item_json_str(o, "ack_by", ia.ack_by);
	item_json_str(o, "feedback", ia.note);
	item_json_time(o, "feedback_at", ia.note_at);
	item_json_str(o, "feedback_by", ia.note_by);
	free(ia.ack_stage);
	free(ia.ack_by);
	free(ia.note);
	free(ia.note_by);
	return (0);
}

/* The API representation of an item; NULL when its track or
 * prerequisites cannot be read. */
json_t *
item_json(const struct config *conf, struct store *s, const struct item_row *r,
    int64_t now)
{
	json_t			*o = json_object(), *after = json_array();
	struct track_row	 t;
	const struct policy	*p;
	int64_t			 ids[64];
	size_t			 n, i;
	int			 idx, rc;

	json_object_set_new(o, "id", json_integer(r->id));
	item_json_str(o, "project", r->project_code);
	item_json_str(o, "project_name", r->project_name);
	item_json_str(o, "category", r->category);
	item_json_str(o, "region", r->region);
	item_json_str(o, "name", r->kind);
	item_json_str(o, "department", r->department);
	item_json_str(o, "handler", r->handler);
	item_json_str(o, "mode", r->mode);
	item_json_str(o, "status", r->status);
	item_json_time(o, "accepted_at", r->accepted_at);
	item_json_str(o, "limit", r->limit);
	item_json_time(o, "deadline", r->due_at);
	item_json_time(o, "supplement_deadline", r->supplement_due);
	item_json_time(o, "commitment_deadline", r->commitment_due);
	item_json_time(o, "supplement_done_at", r->supplement_done_at);
	item_json_str(o, "commitment_result", r->commitment_result);
	item_json_time(o, "commitment_verified_at", r->commitment_verified_at);
	json_object_set_new(o, "stopped_workdays",
	    json_integer(r->stopped_workdays));
	json_object_set_new(o, "overdue_workdays", json_integer(
	    model_status_open(r->status) ? rules_overdue_workdays(
	    conf->calendar, r->due_at, now) : 0));
	item_json_str(o, "blocked", r->blocked_reason);
	item_json_str(o, "suspended", r->suspend_reason);
	item_json_time(o, "raised_at", r->raised_at);
	item_json_time(o, "last_progress_at", r->last_progress_at);
	item_json_time(o, "done_at", r->done_at);
	if ((rc = store_track_get(s, r->id, TRACK_MAIN, &t)) < 0)
		goto fail;
	if (item_json_answers(s, r, rc == 0 ? t.stage_name : NULL, o) != 0) {
		if (rc == 0)
			track_row_clear(&t);
		goto fail;
	}
	if (rc == 0) {
		p = t.policy ? config_policy(conf, t.policy) : NULL;
		idx = p ? rules_stage_index(p, t.stage_name) : -1;
		item_json_str(o, "stage", t.stage_name);
		item_json_str(o, "stage_label", idx >= 0 ?
		    p->stages[idx].label : NULL);
		item_json_time(o, "next_action_at", t.next_at);
		track_row_clear(&t);
	} else {
		item_json_str(o, "stage", NULL);
		item_json_str(o, "stage_label", NULL);
		item_json_time(o, "next_action_at", 0);
	}
	/* The rectification an interview ordered, and where its ladder is. */
	if ((rc = store_track_get(s, r->id, TRACK_RECTIFY, &t)) < 0)
		goto fail;
	if (rc == 0) {
		p = t.policy ? config_policy(conf, t.policy) : NULL;
		idx = p ? rules_stage_index(p, t.stage_name) : -1;
		item_json_time(o, "rectify_deadline", t.due_at);
		item_json_str(o, "rectify_stage", t.stage_name);
		item_json_str(o, "rectify_stage_label", idx >= 0 ?
		    p->stages[idx].label : NULL);
		track_row_clear(&t);
	} else {
		item_json_time(o, "rectify_deadline", 0);
		item_json_str(o, "rectify_stage", NULL);
		item_json_str(o, "rectify_stage_label", NULL);
	}
	if (store_prereq_list(s, r->id, ids, 64, &n) != 0)
		goto fail;
	for (i = 0; i < n && i < 64; i++)
		json_array_append_new(after, json_integer(ids[i]));
	json_object_set_new(o, "after", after);
	return (o);
fail:
	json_decref(after);
	json_decref(o);
	return (NULL);
}
