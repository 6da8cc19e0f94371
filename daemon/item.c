/*
 * The approval-item lifecycle: planned -> accepted -> done, or cancelled,
 * with clock stops (suspend/resume), blocking, raising to the city and
 * progress notes.  Every change re-derives the item's deadline tracks so
 * the scheduler sees it at once.  Callers hold the transaction.
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

/* Set the due time of an accepted item from its limit (or keep explicit). */
static int
item_compute_due(const struct config *conf, struct item_row *r,
    struct api_error *e)
{
	struct duration	 lim;
	int		 unc = 0;

	if (r->explicit_due || r->limit == NULL)
		return (0);
	if (config_parse_duration(r->limit, &lim) != 0 || lim.n <= 0) {
		api_error_set(e, 400, "limit", "invalid time limit '%s' (use e.g."
		    " 5wd, 10d or 48h)", r->limit);
		return (-1);
	}
	r->due_at = rules_deadline(conf->calendar, r->accepted_at, &lim,
	    conf->deadline_min, &unc);
	if (unc)
		log_warnx("item %lld: deadline reaches a year without a holiday "
		    "calendar; counted Monday-Friday", (long long)r->id);
	return (0);
}

/* Create (or update, by project+kind+department) an item. */
int
item_add(const struct config *conf, struct store *s,
    const struct item_input *in, int64_t now, int64_t *idp, int *created,
    struct api_error *e)
{
	struct project_row	 p;
	struct item_row		 r;
	int64_t			 id = 0, t, pend[1];
	size_t			 i, npend;
	int			 rc, pcreated;

	memset(&r, 0, sizeof r);
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
	r.project_id = p.id;

	if ((rc = store_item_find(s, r.project_id, in->name, in->department,
	    &id)) < 0)
		goto dberr;
	if (rc == 0) {
		if (store_item_get(s, id, &r) != 0)
			goto dberr;
		*created = 0;
	} else {
		/*
		 * The project's fields, as store_item_get() joins them: the
		 * policies of the new item's tracks match its category.
		 */
		r.project_code = p.code;
		r.project_name = p.name;
		r.category = p.category;
		r.region = p.region;
		p.code = p.name = p.category = p.region = NULL;
		r.kind = xstrdup(in->name);
		r.department = xstrdup(in->department);
		r.status = xstrdup(STATUS_PLANNED);
		r.created_at = now;
		r.last_progress_at = now;
		*created = 1;
	}
	project_row_clear(&p);
	if (in->handler) {
		free(r.handler);
		r.handler = xstrdup(in->handler);
	}
	if (in->mode || r.mode == NULL) {
		free(r.mode);
		r.mode = xstrdup(in->mode ? in->mode : MODE_NORMAL);
	}
	if (in->limit) {
		free(r.limit);
		r.limit = xstrdup(in->limit);
		r.explicit_due = 0;
	}
	if (in->deadline) {
		if (item_time("deadline", in->deadline, now, &t, e) != 0)
			goto fail;
		r.due_at = t;
		r.explicit_due = 1;
	}
	if (in->supplement) {
		if (item_time("supplement_deadline", in->supplement, now, &t,
		    e) != 0)
			goto fail;
		r.supplement_due = t;
	}
	if (in->commitment) {
		if (item_time("commitment_deadline", in->commitment, now, &t,
		    e) != 0)
			goto fail;
		r.commitment_due = t;
	}
	if (in->accepted) {
		if (item_time("accepted_at", in->accepted, now, &t, e) != 0)
			goto fail;
		r.accepted_at = t;
	}
	if (*created) {
		if (store_item_insert(s, &r) != 0)
			goto dberr;
	}
	for (i = 0; i < in->nafter; i++) {
		struct item_row pre;
		if (in->after[i] == r.id) {
			api_error_set(e, 400, "after", "an item cannot be its own"
			    " prerequisite");
			goto fail;
		}
		if ((rc = store_item_get(s, in->after[i], &pre)) != 0) {
			api_error_set(e, 400, "after", "unknown prerequisite"
			    " item %lld", (long long)in->after[i]);
			goto fail;
		}
		item_row_clear(&pre);
		if (store_prereq_add(s, r.id, in->after[i]) != 0)
			goto dberr;
	}
	/* Accept now unless planned or waiting for prerequisites. */
	if (strcmp(r.status, STATUS_PLANNED) == 0 && (in->status == NULL ||
	    strcmp(in->status, STATUS_ACCEPTED) == 0)) {
		if (store_prereq_pending(s, r.id, pend, 1, &npend) != 0)
			goto dberr;
		if (npend > 0 && in->status != NULL) {
			api_error_set(e, 409, "status", "item cannot be accepted"
			    " before prerequisite item %lld is done",
			    (long long)pend[0]);
			goto fail;
		}
		if (npend == 0) {
			free(r.status);
			r.status = xstrdup(STATUS_ACCEPTED);
			if (r.accepted_at == 0)
				r.accepted_at = now;
		}
	}
	if (strcmp(r.status, STATUS_ACCEPTED) == 0 &&
	    item_compute_due(conf, &r, e) != 0)
		goto fail;
	if (store_item_update(s, &r) != 0)
		goto dberr;
	if (item_retrack(conf, s, &r, now, 0) != 0)
		goto dberr;
	store_log(s, now, r.id, in->project, NULL, NULL,
	    *created ? "created" : "updated", r.kind);
	*idp = r.id;
	item_row_clear(&r);
	return (0);
dberr:
	api_error_set(e, 500, NULL, "database error: %s", store_error(s));
fail:
	project_row_clear(&p);
	item_row_clear(&r);
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
	int		 rc, wd, was_done = 0;

	if ((rc = store_item_get(s, id, &r)) != 0) {
		if (rc < 0)
			api_error_set(e, 500, NULL, "database error");
		else
			api_error_set(e, 404, "id", "no item %lld", (long long)id);
		return (-1);
	}
#define NEED(cond, msg) do { if (!(cond)) { api_error_set(e, 409, "type", \
	"item %lld is %s: %s", (long long)id, r.status, msg); goto fail; } } while (0)
	if (strcmp(type, "accept") == 0) {
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
		if (item_compute_due(conf, &r, e) != 0)
			goto fail;
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
#undef NEED
	if (store_item_update(s, &r) != 0)
		goto dberr;
	if (item_retrack(conf, s, &r, now, 0) != 0)
		goto dberr;
	store_log(s, now, id, r.project_code, NULL, NULL, type,
	    reason ? reason : note);
	if (was_done) {
		if (item_done_notice(conf, s, &r, now) != 0)
			goto dberr;
	}
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
    const struct item_row *r, const char *kind, int64_t due, int active,
    int64_t now, int reload)
{
	const struct policy	*p;
	struct track_row	 t;
	int			 rc, idx, i;

	p = due > 0 ? config_policy_for(conf, kind, r->category, r->department,
	    r->kind, r->mode) : NULL;
	if ((rc = store_track_get(s, r->id, kind, &t)) < 0)
		return (-1);
	if (rc == 1) {
		if (p == NULL || !active)
			return (0);
		memset(&t, 0, sizeof t);
		t.item_id = r->id;
		t.kind = xstrdup(kind);
		t.stage = -1;
	}
	if (p == NULL) {
		t.next_at = 0;
		rc = store_track_save(s, &t);
		track_row_clear(&t);
		return (rc);
	}
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
			if (rules_due(p, conf->calendar, due, -1, -1, now, &idx,
			    &i) == 0) {
				idx = -1;
				i = 0;
			}
			store_log(s, now, r->id, r->project_code, t.stage_name,
			    NULL, "rule-change", "stage no longer in the policy;"
			    " stages up to now are skipped");
			t.rep = i;
		} else if (t.stage >= 0 && idx != t.stage) {
			/* Stages added before the current one never fire. */
			store_log(s, now, r->id, r->project_code, t.stage_name,
			    NULL, "rule-change", "the policy changed; the ladder"
			    " continues from this stage");
		}
		t.stage = t.stage >= 0 ? idx : -1;
		free(t.policy);
		t.policy = xstrdup(p->name);
	}
	t.next_at = active ? rules_next_time(p, conf->calendar, due, t.stage,
	    t.rep) : 0;
	rc = store_track_save(s, &t);
	track_row_clear(&t);
	return (rc);
}

/* Re-derive all tracks of one item from its state and the rules. */
int
item_retrack(const struct config *conf, struct store *s,
    const struct item_row *r, int64_t now, int reload)
{
	const struct policy	*sp;
	int			 active;
	int64_t			 since, stale_due = 0;
	struct track_row	 t;
	int			 rc;

	active = strcmp(r->status, STATUS_ACCEPTED) == 0;
	if (item_track(conf, s, r, TRACK_MAIN, r->due_at, active, now,
	    reload) != 0)
		return (-1);
	if (item_track(conf, s, r, TRACK_SUPPLEMENT,
	    strcmp(r->mode, MODE_SUPPLEMENT) == 0 ? r->supplement_due : 0,
	    active,
	    now, reload) != 0)
		return (-1);
	if (item_track(conf, s, r, TRACK_COMMITMENT,
	    strcmp(r->mode, MODE_COMMITMENT) == 0 ? r->commitment_due : 0,
	    active,
	    now, reload) != 0)
		return (-1);
	sp = config_policy_for(conf, TRACK_STALE, r->category, r->department,
	    r->kind, r->mode);
	if (sp != NULL && sp->stale_after.n > 0) {
		since = r->last_progress_at > r->accepted_at ?
		    r->last_progress_at : r->accepted_at;
		stale_due = rules_add(conf->calendar, since, &sp->stale_after, 1,
		    NULL);
	}
	/* A new progress note restarts the stale ladder. */
	if ((rc = store_track_get(s, r->id, TRACK_STALE, &t)) == 0) {
		if (t.due_at != stale_due) {
			t.stage = -1;
			t.rep = 0;
			free(t.stage_name);
			t.stage_name = NULL;
			if (store_track_save(s, &t) != 0) {
				track_row_clear(&t);
				return (-1);
			}
		}
		track_row_clear(&t);
	} else if (rc < 0)
		return (-1);
	if (item_track(conf, s, r, TRACK_STALE, stale_due, active, now,
	    reload) != 0)
		return (-1);
	/* The rectification deadline is created by the interview stage. */
	if ((rc = store_track_get(s, r->id, TRACK_RECTIFY, &t)) == 0) {
		int64_t due = t.due_at;
		track_row_clear(&t);
		if (item_track(conf, s, r, TRACK_RECTIFY, due, active, now,
		    reload) != 0)
			return (-1);
	} else if (rc < 0)
		return (-1);
	return (0);
}

/* Re-evaluate every active item against (new) rules. */
static int
item_retrack_cb(void *arg, const struct item_row *r)
{
	void		**a = arg;
	int64_t		 now = *(int64_t *)a[2];

	return (item_retrack(a[0], a[1], r, now, 1) != 0 ? 1 : 0);
}

/* Re-evaluate every active item; used after a reload. */
int
item_retrack_all(const struct config *conf, struct store *s, int64_t now)
{
	void	*a[3];

	a[0] = (void *)(uintptr_t)conf;
	a[1] = s;
	a[2] = &now;
	return (store_item_each_active(s, item_retrack_cb, a));
}

/* Add a time field as local text, or null. */
static void
item_json_time(json_t *o, const char *key, int64_t t)
{
	char	 buf[32];

	if (t <= 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	rules_format(t, buf, sizeof buf);
	json_object_set_new(o, key, json_string(buf));
}

/* Add a string field or null. */
static void
item_json_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

/* The API representation of an item. */
json_t *
item_json(const struct config *conf, struct store *s, const struct item_row *r,
    int64_t now)
{
	json_t			*o = json_object(), *after = json_array();
	struct track_row	 t;
	const struct policy	*p;
	int64_t			 ids[64];
	size_t			 n, i;
	int			 idx;

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
	if (store_track_get(s, r->id, TRACK_MAIN, &t) == 0) {
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
	if (store_prereq_list(s, r->id, ids, 64, &n) == 0)
		for (i = 0; i < n && i < 64; i++)
			json_array_append_new(after, json_integer(ids[i]));
	json_object_set_new(o, "after", after);
	return (o);
}
