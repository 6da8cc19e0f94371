/*
 * Fuzz the API's request bodies end to end below HTTP: the input is a
 * JSON body for POST /v1/items, read the way control_items_post() reads
 * it, then added with item_add() to an in-memory store under the shipped
 * configuration.  Optional extra members drive the rest of an item's
 * life: "events" (bodies of POST /v1/items/ID/events, applied with
 * item_event()) and "steps" (seconds after "now" at which the scheduler
 * runs, rendering and queueing messages, which are then built into
 * requests for their channels).  Every string member is also given to
 * rules_parse_time().
 */
#include <jansson.h>

#include "fuzz.h"

#define FUZZ_MAX_AFTER	16
#define FUZZ_MAX_EVENTS	8
#define FUZZ_MAX_STEPS	4

/* A string member: 0 with *v (NULL when absent or null), -1 otherwise. */
static int
fuzz_str(json_t *o, const char *key, const char **v)
{
	json_t	*x = json_object_get(o, key);

	*v = NULL;
	if (x == NULL || json_is_null(x))
		return (0);
	if (!json_is_string(x))
		return (-1);
	*v = json_string_value(x);
	return (0);
}

/* The POST /v1/items mapping of control_items_post(). */
static int
fuzz_item_input(json_t *body, struct item_input *in, int64_t *ids)
{
	json_t	*after, *x;
	size_t	 i;

	memset(in, 0, sizeof *in);
	if (fuzz_str(body, "project", &in->project) != 0 ||
	    fuzz_str(body, "name", &in->name) != 0 ||
	    fuzz_str(body, "department", &in->department) != 0 ||
	    fuzz_str(body, "handler", &in->handler) != 0 ||
	    fuzz_str(body, "deadline", &in->deadline) != 0 ||
	    fuzz_str(body, "accepted_at", &in->accepted) != 0 ||
	    fuzz_str(body, "limit", &in->limit) != 0 ||
	    fuzz_str(body, "mode", &in->mode) != 0 ||
	    fuzz_str(body, "project_name", &in->project_name) != 0 ||
	    fuzz_str(body, "category", &in->category) != 0 ||
	    fuzz_str(body, "region", &in->region) != 0 ||
	    fuzz_str(body, "supplement_deadline", &in->supplement) != 0 ||
	    fuzz_str(body, "commitment_deadline", &in->commitment) != 0 ||
	    fuzz_str(body, "status", &in->status) != 0)
		return (-1);
	after = json_object_get(body, "after");
	if (after != NULL && !json_is_null(after)) {
		if (!json_is_array(after) ||
		    json_array_size(after) > FUZZ_MAX_AFTER)
			return (-1);
		json_array_foreach(after, i, x) {
			if (!json_is_integer(x))
				return (-1);
			ids[i] = json_integer_value(x);
		}
		in->after = ids;
		in->nafter = json_array_size(after);
	}
	return (0);
}

/* An outbox message's @-mention list as a string vector. */
static const char **
fuzz_strv(const char *text, json_t **j, size_t *n)
{
	const char	**v;
	json_t		 *x;
	size_t		  i;

	*n = 0;
	*j = text != NULL ? json_loads(text, 0, NULL) : NULL;
	if (*j == NULL || !json_is_array(*j))
		return (NULL);
	v = xcalloc(json_array_size(*j) + 1, sizeof *v);
	json_array_foreach(*j, i, x)
		if (json_is_string(x))
			v[(*n)++] = json_string_value(x);
	return (v);
}

/* Build the request of every queued message, as delivery would. */
static int
fuzz_build_cb(void *arg, const struct outbox_row *o)
{
	const struct config	*conf = arg;
	const struct channel	*ch = config_channel(conf, o->channel);
	struct http_request	 req;
	struct message		 m;
	json_t			*jm, *ju;
	char			*err = NULL;

	if (ch == NULL)
		abort();	/* queued for a channel that does not exist */
	if (!utf8_valid(o->text, strlen(o->text)))
		abort();	/* every message must be valid UTF-8 */
	memset(&m, 0, sizeof m);
	m.title = o->title;
	m.text = o->text;
	m.severity = o->severity;
	m.mobiles = fuzz_strv(o->mobiles, &jm, &m.nmobiles);
	m.userids = fuzz_strv(o->userids, &ju, &m.nuserids);
	m.event_json = o->event;
	memset(&req, 0, sizeof req);
	if (channel_build(ch, &m, FUZZ_NOW * 1000, &req, &err) == 0)
		http_request_clear(&req);
	else
		free(err);
	free((void *)(uintptr_t)m.mobiles);
	free((void *)(uintptr_t)m.userids);
	json_decref(jm);
	json_decref(ju);
	return (0);
}

/* Every string in a JSON value goes through rules_parse_time() too. */
static void
fuzz_times(json_t *v, int depth)
{
	const char	*k;
	json_t		*x;
	size_t		 i;
	int64_t		 t;

	if (depth > 4)
		return;
	if (json_is_string(v))
		(void)rules_parse_time(json_string_value(v), FUZZ_NOW, &t);
	else if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			fuzz_times(x, depth + 1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			fuzz_times(x, depth + 1);
	}
}

/* Apply POST /v1/items/ID/events bodies the way control_item_event() does. */
static void
fuzz_events(const struct config *conf, struct store *s, json_t *events,
    int64_t id)
{
	struct api_error	 e;
	const char		*type, *reason, *note, *at;
	json_t			*ev, *x;
	int64_t			 t, eid;
	size_t			 i;

	if (!json_is_array(events))
		return;
	json_array_foreach(events, i, ev) {
		if (i >= FUZZ_MAX_EVENTS || !json_is_object(ev))
			break;
		if (fuzz_str(ev, "type", &type) != 0 ||
		    fuzz_str(ev, "reason", &reason) != 0 ||
		    fuzz_str(ev, "note", &note) != 0 ||
		    fuzz_str(ev, "at", &at) != 0 || type == NULL)
			continue;
		t = FUZZ_NOW;
		if (at != NULL && rules_parse_time(at, FUZZ_NOW, &t) != 0)
			continue;
		eid = id;
		if ((x = json_object_get(ev, "id")) != NULL &&
		    json_is_integer(x))
			eid = json_integer_value(x);
		memset(&e, 0, sizeof e);
		if (store_begin(s) != 0)
			abort();
		if (item_event(conf, s, eid, type, reason, note, t, FUZZ_NOW,
		    &e) != 0 || store_commit(s) != 0) {
			store_rollback(s);
			if (e.status == 0)
				abort();	/* a failure without a reason */
		}
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	(void)fuzz_config();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config	*conf = fuzz_config();
	struct item_input	 in;
	struct api_error	 e;
	struct store		*s;
	json_t			*body, *steps, *x;
	json_error_t		 jerr;
	int64_t			 ids[FUZZ_MAX_AFTER], id = 0, last = 0;
	size_t			 i;
	char			*err = NULL;
	int			 created;

	body = json_loadb((const char *)data, size, 0, &jerr);
	if (body == NULL)
		return (0);
	fuzz_times(body, 0);
	if (!json_is_object(body) || fuzz_item_input(body, &in, ids) != 0) {
		json_decref(body);
		return (0);
	}
	if ((s = store_open(":memory:", &err)) == NULL)
		abort();
	/* Two items so that "after" and event ids have something to find. */
	memset(&e, 0, sizeof e);
	if (store_begin(s) != 0)
		abort();
	if (item_add(conf, s, &in, FUZZ_NOW, &id, &created, &e) != 0 ||
	    store_commit(s) != 0) {
		store_rollback(s);
		if (e.status == 0)
			abort();	/* a failure without a reason */
		id = 0;
	}
	memset(&e, 0, sizeof e);
	if (store_begin(s) != 0)
		abort();
	if (item_add(conf, s, &in, FUZZ_NOW, &id, &created, &e) != 0 ||
	    store_commit(s) != 0)
		store_rollback(s);
	else if (created)
		abort();	/* the same item twice is an update */
	fuzz_events(conf, s, json_object_get(body, "events"), id);

	steps = json_object_get(body, "steps");
	if (json_is_array(steps)) {
		json_array_foreach(steps, i, x) {
			if (i >= FUZZ_MAX_STEPS || !json_is_integer(x))
				break;
			/* Bounded to ten years either way. */
			if (json_integer_value(x) < -315360000 ||
			    json_integer_value(x) > 315360000)
				break;
			if (scheduler_step(conf, s, FUZZ_NOW +
			    json_integer_value(x)) < 0)
				abort();
		}
		store_outbox_since(s, last, fuzz_build_cb, (void *)(uintptr_t)conf);
	}
	store_close(s);
	json_decref(body);
	return (0);
}
