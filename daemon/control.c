/*
 * The control API: HTTP/1.1 with JSON bodies, served by evhttp on a unix
 * socket (mode from the configuration) and optionally on a TCP address
 * where every request needs the bearer token.  One switch routes the
 * request; every answer is JSON, errors are 4xx/5xx with
 * {"error": ..., "field": ...}.  Secrets never appear in any answer.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "escalator.h"

/*
 * A request body over its route's limit (control_max_body: CONTROL_MAX_BODY,
 * and API_MAX_IMPORT for an import's CSV) is refused with 413 (JSON).
 * libevent's own limit is the largest of them, CONTROL_HTTP_MAX_BODY: a
 * body over it is refused as soon as it is known to be over (from
 * Content-Length, or at the chunk that would pass it), libevent's answer
 * turned into the daemon's JSON (control_page_cb); a body within it but
 * over its route's limit is refused by the daemon once it has arrived.
 */
#define CONTROL_MAX_BODY	API_MAX_BODY
#define CONTROL_HTTP_MAX_BODY	API_MAX_IMPORT

/* Every method libevent knows: the daemon answers each itself (405 with
 * Allow for the ones a path does not take), never libevent's 501 page. */
#define CONTROL_METHODS	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | \
	EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | \
	EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | \
	EVHTTP_REQ_PATCH)

struct sim_ctx;
struct control_import;
struct control {
	struct escalator	*esc;
	struct evhttp		*unix_http;
	struct evhttp		*tcp_http;
	int			 fd;
	char			*path;
	TAILQ_HEAD(, sim_ctx)	 sims;		/* simulations streaming */
	uid_t			 peer_uid;	/* the last peer's user name, */
	char			 peer_name[64];	/* "" when not looked up */
	struct control_import	*imp;		/* an import running */
	struct worker		*iworker;	/* its thread */
	/* Reports rendered off the loop (control_render below). */
	struct worker		*rworker;	/* the render thread */
	struct event		*rnext;		/* the next one's turn */
	struct control_render	*rrun;		/* rendering now */
	TAILQ_HEAD(, control_render) rwait;	/* waiting their turn */
	size_t			 nrwait;
};

#define CONTROL_ACTOR_MAX	96	/* "unix:USER", "token:NAME" */

struct control_req {
	struct control		*ctl;
	struct evhttp_request	*req;
	const char		*path;		/* after /v1 */
	struct evkeyvalq	 query;
	json_t			*body;
	int			 tcp;
	char			 actor[CONTROL_ACTOR_MAX];	/* who asks */
};

static int64_t	control_query_id(struct control_req *, const char *, int);

/* The reason phrase of a status. */
static const char *
control_reason(int status)
{
	switch (status) {
	case 200: return ("OK");
	case 201: return ("Created");
	case 400: return ("Bad Request");
	case 401: return ("Unauthorized");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 409: return ("Conflict");
	case 413: return ("Payload Too Large");
	case 417: return ("Expectation Failed");
	case 422: return ("Unprocessable Entity");
	case 503: return ("Service Unavailable");
	default: return (status < 300 ? "OK" : status < 500 ? "Bad Request" :
	    "Internal Error");
	}
}

/* Send a JSON answer (steals o). */
static void
control_reply(struct evhttp_request *req, int status, json_t *o)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*s;

	s = json_dumps(o, JSON_COMPACT);
	evbuffer_add_printf(buf, "%s\n", s ? s : "{}");
	free(s);
	json_decref(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json; charset=utf-8");
	evhttp_send_reply(req, status, control_reason(status), buf);
	evbuffer_free(buf);
}

/* Send an error; a server-side one (5xx) is also logged. */
static void
control_error(struct evhttp_request *req, int status, const char *field,
    const char *msg)
{
	json_t	*o = json_object();

	if (status >= 500)
		log_warnx("api: %s: %d %s", evhttp_request_get_uri(req), status,
		    msg);
	json_object_set_new(o, "error", json_string(msg));
	if (field != NULL && *field != '\0')
		json_object_set_new(o, "field", json_string(field));
	control_reply(req, status, o);
}

/* The methods of a mask, as an Allow header lists them. */
static void
control_methods(int mask, char *buf, size_t len)
{
	static const struct {
		int		 m;
		const char	*name;
	} ms[] = {
		{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_POST, "POST" },
		{ EVHTTP_REQ_HEAD, "HEAD" }, { EVHTTP_REQ_PUT, "PUT" },
		{ EVHTTP_REQ_DELETE, "DELETE" },
		{ EVHTTP_REQ_OPTIONS, "OPTIONS" },
		{ EVHTTP_REQ_TRACE, "TRACE" },
		{ EVHTTP_REQ_CONNECT, "CONNECT" },
		{ EVHTTP_REQ_PATCH, "PATCH" },
	};
	size_t	 i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof ms / sizeof ms[0] && used < len; i++) {
		if (mask & ms[i].m)
			used += snprintf(buf + used, len - used, "%s%s",
			    used ? ", " : "", ms[i].name);
	}
}

/* Answer a method the path does not take: 405, with the methods it
 * takes in Allow. */
static void
control_method_error(struct evhttp_request *req, int allow)
{
	char	 allowed[80], method[32], msg[200];

	control_methods(allow, allowed, sizeof allowed);
	control_methods(evhttp_request_get_command(req), method,
	    sizeof method);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allowed);
	snprintf(msg, sizeof msg, "method %s not allowed here (allowed: %s)",
	    *method != '\0' ? method : "?", allowed);
	control_error(req, 405, NULL, msg);
}

/* Send an api_error. */
static void
control_api_error(struct evhttp_request *req, const struct api_error *e)
{
	control_error(req, e->status ? e->status : 500, e->field, e->msg);
}

/*
 * Answer a failed store call: status (500, or 503 when no transaction
 * could start) with SQLite's message, read before the open transaction,
 * if any, is rolled back so that nothing is half-applied.
 */
static void
control_db_error(struct control_req *cr, int status)
{
	struct store	*s = cr->ctl->esc->store;
	char		 msg[512];

	/* Another process holds the write lock: come back in a second. */
	if (store_busy(s))
		status = 503;
	snprintf(msg, sizeof msg, "database %s: %s", status == 503 ? "busy" :
	    "error", store_error(s));
	store_rollback(s);
	if (status == 503)
		evhttp_add_header(evhttp_request_get_output_headers(cr->req),
		    "Retry-After", "1");
	control_error(cr->req, status, NULL, msg);
}

/* Roll back after a failed service call and answer its error; a database
 * error it did not describe is read from the store first. */
static void
control_fail(struct control_req *cr, struct api_error *e)
{
	if (e->status == 0) {
		control_db_error(cr, 500);
		return;
	}
	store_rollback(cr->ctl->esc->store);
	control_api_error(cr->req, e);
}

/* A string member of the body: NULL when absent; -1 when not a string
 * or longer than its field may be (model_text_limit(), in characters). */
static int
control_str(struct control_req *cr, const char *key, const char **v)
{
	json_t	*x = cr->body ? json_object_get(cr->body, key) : NULL;
	char	 msg[160];
	size_t	 len, max, n;

	*v = NULL;
	if (x == NULL || json_is_null(x))
		return (0);
	if (!json_is_string(x)) {
		snprintf(msg, sizeof msg, "'%s' must be a string", key);
		control_error(cr->req, 400, key, msg);
		return (-1);
	}
	len = json_string_length(x);
	max = model_text_limit(key);
	if (len > max && (n = utf8_count(json_string_value(x), len)) > max) {
		snprintf(msg, sizeof msg, "'%s' is too long: %zu characters"
		    " (at most %zu)", key, n, max);
		control_error(cr->req, 400, key, msg);
		return (-1);
	}
	*v = json_string_value(x);
	return (0);
}

/* No members, no query parameters. */
static const char *const control_none[] = { NULL };

/* Check the query has only known parameters; -1 after answering. */
static int
control_query_keys(struct control_req *cr, const char *const *known)
{
	struct evkeyval	*kv;
	size_t		 i;
	char		 msg[160];

	TAILQ_FOREACH(kv, &cr->query, next) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], kv->key) == 0)
				break;
		if (known[i] == NULL) {
			snprintf(msg, sizeof msg, "unknown parameter '%.100s'",
			    kv->key);
			control_error(cr->req, 400, kv->key, msg);
			return (-1);
		}
	}
	return (0);
}

/* Check the body has only known keys (every route with a JSON body
 * calls this); -1 after answering. */
static int
control_keys(struct control_req *cr, const char *const *known)
{
	const char	*k;
	json_t		*v;
	size_t		 i;
	char		 msg[160];

	if (cr->body == NULL)
		return (0);
	json_object_foreach(cr->body, k, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], k) == 0)
				break;
		if (known[i] == NULL) {
			snprintf(msg, sizeof msg, "unknown field '%.100s'", k);
			control_error(cr->req, 400, k, msg);
			return (-1);
		}
	}
	return (0);
}

/* Current time. */
static int64_t
control_now(void)
{
	return ((int64_t)time(NULL));
}

/* Load an item and answer with it. */
static void
control_item_reply(struct control_req *cr, int64_t id, int status, int dup)
{
	struct escalator	*esc = cr->ctl->esc;
	struct item_row		 r;
	json_t			*o, *item;
	int			 rc;

	if ((rc = store_item_get(esc->store, id, &r)) != 0) {
		if (rc < 0)
			control_db_error(cr, 500);
		else
			control_error(cr->req, 404, "id", "no such item");
		return;
	}
	item = item_json(esc->conf, esc->store, &r, control_now());
	item_row_clear(&r);
	if (item == NULL) {
		control_db_error(cr, 500);
		return;
	}
	o = json_object();
	json_object_set_new(o, "item", item);
	if (dup)
		json_object_set_new(o, "duplicate", json_true());
	control_reply(cr->req, status, o);
}

/* One stage count of the status: items overdue at that stage. */
static void
control_status_cb(void *arg, const char *stage, int64_t n)
{
	json_object_set_new(arg, stage ? stage : "?", json_integer(n));
}

struct control_orphans {
	const struct config	*conf;
	json_t			*arr;
};

/* A channel with queued messages: listed when the configuration no
 * longer knows it. */
static void
control_orphan_cb(void *arg, const char *channel, int64_t n)
{
	struct control_orphans	*co = arg;
	json_t			*o;

	if (channel == NULL || config_channel(co->conf, channel) != NULL)
		return;
	o = json_object();
	json_object_set_new(o, "channel", json_string(channel));
	json_object_set_new(o, "queued", json_integer(n));
	json_array_append_new(co->arr, o);
}

/* Messages waiting for channels the configuration does not know (a
 * reload removed or renamed them); NULL when the store cannot be read. */
static json_t *
control_orphans(struct escalator *esc)
{
	struct control_orphans	 co;

	co.conf = esc->conf;
	co.arr = json_array();
	if (store_outbox_waiting(esc->store, control_orphan_cb, &co) != 0) {
		json_decref(co.arr);
		return (NULL);
	}
	return (co.arr);
}

/* Build the status object; NULL when the store cannot be read. */
static json_t *
control_status_json(struct escalator *esc)
{
	static const char *qs[] = { "queued", "sent", "failed", NULL };
	json_t		*o = json_object(), *items = json_object(), *q, *chs, *c;
	json_t		*w = json_array(), *over = json_object(), *orphans;
	struct channel	*ch;
	int64_t		 n, next;
	char		 buf[32], *red;
	size_t		 i;
	int		 y, bad = 0;

	json_object_set_new(o, "version", json_string(ESCALATOR_VERSION));
	rules_format_rfc3339(esc->started_at, buf, sizeof buf);
	json_object_set_new(o, "started_at", json_string(buf));
	json_object_set_new(o, "config", json_string(esc->conf->path));
	json_object_set_new(o, "database", json_string(esc->conf->database));
	for (i = 0; model_statuses[i] != NULL; i++) {
		if (store_count_status(esc->store, model_statuses[i], &n) != 0)
			bad = 1;
		json_object_set_new(items, model_statuses[i], json_integer(n));
	}
	json_object_set_new(o, "items", items);
	if (store_count_stages(esc->store, control_status_cb, over) != 0)
		bad = 1;
	json_object_set_new(o, "overdue", over);
	q = json_object();
	for (i = 0; qs[i] != NULL; i++) {
		if (store_outbox_count(esc->store, NULL, qs[i], &n) != 0)
			bad = 1;
		json_object_set_new(q, qs[i], json_integer(n));
	}
	json_object_set_new(o, "queue", q);
	next = scheduler_next(esc->sched);
	if (next > 0) {
		rules_format_rfc3339(next, buf, sizeof buf);
		json_object_set_new(o, "next_wakeup", json_string(buf));
	} else
		json_object_set_new(o, "next_wakeup", json_null());
	if ((next = reporter_next(esc->reporter)) > 0) {
		rules_format_rfc3339(next, buf, sizeof buf);
		json_object_set_new(o, "next_report", json_string(buf));
	} else
		json_object_set_new(o, "next_report", json_null());
	chs = json_array();
	TAILQ_FOREACH(ch, &esc->conf->channels, entry) {
		c = json_object();
		json_object_set_new(c, "name", json_string(ch->name));
		json_object_set_new(c, "type",
		    json_string(channel_type_name(ch->type)));
		red = channel_redact(ch);
		json_object_set_new(c, "url", json_string(red ? red : ""));
		free(red);
		json_object_set_new(c, "paused",
		    json_boolean(outbox_paused(esc->outbox, ch->name)));
		if (store_outbox_count(esc->store, ch->name, "queued",
		    &n) != 0)
			bad = 1;
		json_object_set_new(c, "queued", json_integer(n));
		json_array_append_new(chs, c);
	}
	json_object_set_new(o, "channels", chs);
	for (i = 0; i < esc->conf->nwarnings; i++)
		json_array_append_new(w, json_string(esc->conf->warnings[i]));
	if ((orphans = control_orphans(esc)) == NULL)
		bad = 1;
	else {
		json_array_foreach(orphans, i, c) {
			char *m;
			xasprintf(&m, "%lld message(s) wait for channel '%s',"
			    " which the configuration no longer has: approval-"
			    "escalatorctl outbox move --from '%s' --to CHANNEL,"
			    " or outbox drop --channel '%s' --reason TEXT",
			    (long long)json_integer_value(json_object_get(c,
			    "queued")), json_string_value(json_object_get(c,
			    "channel")), json_string_value(json_object_get(c,
			    "channel")), json_string_value(json_object_get(c,
			    "channel")));
			json_array_append_new(w, json_string(m));
			free(m);
		}
		json_object_set_new(o, "orphaned", orphans);
	}
	y = calendar_last_year(esc->conf->calendar);
	{
		int32_t today; int cy, cm, cd;
		rules_split(control_now(), &today, NULL);
		calendar_civil(today, &cy, &cm, &cd);
		if (y < cy || (y == cy && cm >= 11)) {
			char *m;
			if (y == 0)
				xasprintf(&m, "no holiday calendar is configured:"
				    " working days are counted Monday-Friday");
			else
				xasprintf(&m, "holiday calendar covers up to %d"
				    " only: add rules/calendar/cn-%d.conf (deadlines"
				    " beyond are counted Monday-Friday)", y,
				    y < cy ? cy : cy + 1);
			json_array_append_new(w, json_string(m));
			free(m);
		}
	}
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "last_reload", json_string(esc->reload_ok ?
	    "ok" : "failed"));
	if (bad) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/* GET /v1/status */
static void
control_status_get(struct control_req *cr)
{
	json_t	*o;

	if (control_query_keys(cr, control_none) != 0)
		return;
	if ((o = control_status_json(cr->ctl->esc)) == NULL) {
		control_db_error(cr, 500);
		return;
	}
	control_reply(cr->req, 200, o);
}

/*
 * Paged lists (GET /v1/items, /v1/projects, /v1/outbox): a page of at
 * most limit entries (default CONTROL_PAGE, at most CONTROL_PAGE_MAX)
 * after a cursor, the opaque next_cursor of the page before: a tag and
 * the last key of that page ("i:123", "p:CODE"), base64url.  The store
 * walks by key (never OFFSET); one entry more than the page is read to
 * know whether another page follows.
 */
#define CONTROL_PAGE		100
#define CONTROL_PAGE_MAX	1000

static const char control_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The cursor of tag and key (malloc'd). */
static char *
control_cursor(char tag, const char *key)
{
	size_t		 len = strlen(key) + 2, i, o = 0;
	unsigned char	*in = xmalloc(len);
	char		*out = xmalloc(len * 4 / 3 + 4);
	uint32_t	 v;

	in[0] = (unsigned char)tag;
	in[1] = ':';
	memcpy(in + 2, key, len - 2);
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = control_b64[(v >> 18) & 63];
		out[o++] = control_b64[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = control_b64[(v >> 6) & 63];
		if (i + 2 < len)
			out[o++] = control_b64[v & 63];
	}
	out[o] = '\0';
	free(in);
	return (out);
}

/* Set o's next_cursor to the cursor of tag and key. */
static void
control_set_cursor(json_t *o, char tag, const char *key)
{
	char	*c = control_cursor(tag, key);

	json_object_set_new(o, "next_cursor", json_string(c));
	free(c);
}

/* The key of a cursor with tag (malloc'd), or NULL when it is not one. */
static char *
control_cursor_key(char tag, const char *cur)
{
	size_t		 len = strlen(cur), i, o = 0, bits = 0;
	uint32_t	 acc = 0;
	const char	*p;
	char		*out;

	if (len == 0 || len > 1024 || len % 4 == 1)
		return (NULL);
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if ((p = strchr(control_b64, cur[i])) == NULL ||
		    cur[i] == '\0') {
			free(out);
			return (NULL);
		}
		acc = acc << 6 | (uint32_t)(p - control_b64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (o < 2 || out[0] != tag || out[1] != ':' ||
	    memchr(out, '\0', o) != NULL ||
	    !utf8_valid(out + 2, o - 2)) {
		free(out);
		return (NULL);
	}
	memmove(out, out + 2, o - 1);
	return (out);
}

/* The id of an id cursor: > 0, or -1 when it is not one. */
static int64_t
control_cursor_id(char tag, const char *cur)
{
	char		*key = control_cursor_key(tag, cur), *end;
	long long	 v = -1;

	if (key != NULL) {
		v = strtoll(key, &end, 10);
		if (*key == '\0' || *end != '\0' || v <= 0)
			v = -1;
	}
	free(key);
	return (v);
}

/* A page's limit from ?limit= (0 or absent: the default); -1 after
 * answering. */
static int
control_page_limit(struct control_req *cr, int *limit)
{
	const char	*lim = evhttp_find_header(&cr->query, "limit");
	char		*end;
	long		 v = 0;

	if (lim != NULL) {
		v = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || v < 0) {
			control_error(cr->req, 400, "limit", "limit must be a"
			    " non-negative integer");
			return (-1);
		}
	}
	*limit = v == 0 ? CONTROL_PAGE : v > CONTROL_PAGE_MAX ?
	    CONTROL_PAGE_MAX : (int)v;
	return (0);
}

/* The bad cursor answer. */
static void
control_bad_cursor(struct control_req *cr)
{
	control_error(cr->req, 400, "cursor", "cursor is not one this list"
	    " gave (use next_cursor of the page before)");
}

struct control_list {
	struct escalator	*esc;
	json_t			*arr;
	int			 failed;	/* a store read failed */
	int			 limit, n, more;	/* paging */
	int64_t			 last;
};

/* An item list entry; stops the walk when its tracks cannot be read. */
static int
control_list_cb(void *arg, const struct item_row *r)
{
	struct control_list	*cl = arg;
	json_t			*o;

	if (cl->limit > 0 && cl->n == cl->limit) {
		cl->more = 1;		/* the first of the next page */
		return (1);
	}
	o = item_json(cl->esc->conf, cl->esc->store, r, control_now());
	if (o == NULL) {
		cl->failed = 1;
		return (1);
	}
	json_array_append_new(cl->arr, o);
	cl->n++;
	cl->last = r->id;
	return (0);
}

static void control_items_export(struct control_req *, const char *,
    const char *);

/* GET /v1/items?status=&project=&limit=&cursor=[&format=csv] */
static void
control_items_get(struct control_req *cr)
{
	static const char *known[] = { "status", "project", "limit",
	    "cursor", "format", NULL };
	const char	*status = evhttp_find_header(&cr->query, "status");
	const char	*project = evhttp_find_header(&cr->query, "project");
	const char	*cursor = evhttp_find_header(&cr->query, "cursor");
	const char	*format = evhttp_find_header(&cr->query, "format");
	struct control_list	 cl;
	json_t		*o;
	char		 msg[300], *next;
	int64_t		 after = 0;
	int		 limit;
	size_t		 i, used;

	if (control_query_keys(cr, known) != 0)
		return;
	if (status != NULL && !model_valid_status(status)) {
		used = snprintf(msg, sizeof msg, "unknown status '%.100s' (",
		    status);
		for (i = 0; model_statuses[i] != NULL && used < sizeof msg;
		    i++)
			used += snprintf(msg + used, sizeof msg - used, "%s%s",
			    i ? ", " : "", model_statuses[i]);
		if (used < sizeof msg)
			snprintf(msg + used, sizeof msg - used, ")");
		control_error(cr->req, 400, "status", msg);
		return;
	}
	if (format != NULL && strcmp(format, "csv") == 0) {
		control_items_export(cr, status, project);
		return;
	}
	if (format != NULL && strcmp(format, "json") != 0) {
		control_error(cr->req, 400, "format", "format must be json or"
		    " csv");
		return;
	}
	if (control_page_limit(cr, &limit) != 0)
		return;
	if (cursor != NULL && (after = control_cursor_id('i', cursor)) < 0) {
		control_bad_cursor(cr);
		return;
	}
	memset(&cl, 0, sizeof cl);
	cl.esc = cr->ctl->esc;
	cl.arr = json_array();
	cl.limit = limit;
	if (store_item_page(cl.esc->store, status, project, after, limit + 1,
	    control_list_cb, &cl) != 0 || cl.failed) {
		/* Never a partial list: the walk failed half-way. */
		json_decref(cl.arr);
		control_db_error(cr, 500);
		return;
	}
	o = json_object();
	json_object_set_new(o, "items", cl.arr);
	if (cl.more) {
		xasprintf(&next, "%lld", (long long)cl.last);
		control_set_cursor(o, 'i', next);
		free(next);
	}
	control_reply(cr->req, 200, o);
}

/* POST /v1/items */
static void
control_items_post(struct control_req *cr)
{
	static const char *known[] = { "project", "name", "department",
	    "handler", "deadline", "accepted_at", "limit", "mode", "after",
	    "project_name", "category", "region", "supplement_deadline",
	    "commitment_deadline", "status", "event_id", NULL };
	struct escalator	*esc = cr->ctl->esc;
	struct item_input	 in;
	struct api_error	 e;
	json_t			*after, *x;
	int64_t			*ids = NULL, id;
	size_t			 i;
	int			 created;

	memset(&in, 0, sizeof in);
	memset(&e, 0, sizeof e);
	if (control_query_keys(cr, control_none) != 0)
		return;
	if (control_keys(cr, known) != 0 ||
	    control_str(cr, "project", &in.project) != 0 ||
	    control_str(cr, "name", &in.name) != 0 ||
	    control_str(cr, "department", &in.department) != 0 ||
	    control_str(cr, "handler", &in.handler) != 0 ||
	    control_str(cr, "deadline", &in.deadline) != 0 ||
	    control_str(cr, "accepted_at", &in.accepted) != 0 ||
	    control_str(cr, "limit", &in.limit) != 0 ||
	    control_str(cr, "mode", &in.mode) != 0 ||
	    control_str(cr, "project_name", &in.project_name) != 0 ||
	    control_str(cr, "category", &in.category) != 0 ||
	    control_str(cr, "region", &in.region) != 0 ||
	    control_str(cr, "supplement_deadline", &in.supplement) != 0 ||
	    control_str(cr, "commitment_deadline", &in.commitment) != 0 ||
	    control_str(cr, "status", &in.status) != 0)
		return;
	if (in.deadline != NULL && in.limit != NULL) {
		control_error(cr->req, 400, "deadline", "'deadline' and 'limit'"
		    " are alternatives: give one, not both");
		return;
	}
	after = json_object_get(cr->body, "after");
	if (after != NULL && !json_is_null(after)) {
		if (!json_is_array(after)) {
			control_error(cr->req, 400, "after", "'after' must be an"
			    " array of item ids");
			return;
		}
		ids = xcalloc(json_array_size(after) + 1, sizeof *ids);
		json_array_foreach(after, i, x) {
			if (!json_is_integer(x)) {
				free(ids);
				control_error(cr->req, 400, "after", "'after' must"
				    " be an array of item ids");
				return;
			}
			ids[i] = json_integer_value(x);
		}
		in.after = ids;
		in.nafter = json_array_size(after);
	}
	if (in.category != NULL && config_group_for(esc->conf,
	    in.category) == NULL) {
		free(ids);
		control_error(cr->req, 400, "category", "no work group covers"
		    " this category");
		return;
	}
	if (store_begin_as(esc->store, cr->actor) != 0) {
		free(ids);
		control_db_error(cr, 503);
		return;
	}
	if (item_add(esc->conf, esc->store, &in, control_now(), &id, &created,
	    &e) != 0 || store_commit(esc->store) != 0) {
		free(ids);
		control_fail(cr, &e);
		return;
	}
	free(ids);
	scheduler_arm(esc->sched);
	control_item_reply(cr, id, created ? 201 : 200, 0);
}

/* POST /v1/items/ID/events */
static void
control_item_event(struct control_req *cr, int64_t id)
{
	static const char *known[] = { "type", "reason", "note", "at",
	    "event_id", NULL };
	struct escalator	*esc = cr->ctl->esc;
	struct api_error	 e;
	const char		*type, *reason, *note, *at, *eid;
	int64_t			 t, now = control_now();
	int			 rc;

	memset(&e, 0, sizeof e);
	if (control_query_keys(cr, control_none) != 0)
		return;
	if (control_keys(cr, known) != 0 ||
	    control_str(cr, "type", &type) != 0 ||
	    control_str(cr, "reason", &reason) != 0 ||
	    control_str(cr, "note", &note) != 0 ||
	    control_str(cr, "at", &at) != 0 ||
	    control_str(cr, "event_id", &eid) != 0)
		return;
	if (type == NULL) {
		control_error(cr->req, 400, "type", "missing event type");
		return;
	}
	t = now;
	if (at != NULL && rules_parse_time(at, now, &t) != 0) {
		control_error(cr->req, 400, "at", "invalid or impossible date");
		return;
	}
	if (store_begin_as(esc->store, cr->actor) != 0) {
		control_db_error(cr, 503);
		return;
	}
	if (eid != NULL) {
		if ((rc = store_event_claim(esc->store, eid, id, now)) < 0) {
			control_db_error(cr, 500);
			return;
		}
		if (rc == 1) {
			/* Applied before: answer the same, change nothing. */
			store_rollback(esc->store);
			control_item_reply(cr, id, 200, 1);
			return;
		}
	}
	if (item_event(esc->conf, esc->store, id, type, reason, note, t, now,
	    &e) != 0 || store_commit(esc->store) != 0) {
		control_fail(cr, &e);
		return;
	}
	scheduler_arm(esc->sched);
	outbox_kick(esc->outbox, NULL);
	control_item_reply(cr, id, 200, 0);
}

/* A project as JSON. */
static json_t *
control_project_json(const struct project_row *p)
{
	json_t	*o = json_object();
	char	 buf[32];

	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "code", json_string(p->code));
#define S(k, v) json_object_set_new(o, k, (v) ? json_string(v) : json_null())
	S("name", p->name);
	S("category", p->category);
	S("region", p->region);
	S("content", p->content);
	S("planned_start", p->planned_start);
	S("progress", p->progress);
#undef S
	if (p->progress_at > 0) {
		rules_format_rfc3339(p->progress_at, buf, sizeof buf);
		json_object_set_new(o, "progress_at", json_string(buf));
	} else
		json_object_set_new(o, "progress_at", json_null());
	return (o);
}

struct control_projects {
	json_t		*arr;
	int		 limit, n, more;
	char		*last;		/* the code of the last one listed */
};

/* A project list entry. */
static int
control_project_cb(void *arg, const struct project_row *p)
{
	struct control_projects	*cp = arg;

	if (cp->n == cp->limit) {
		cp->more = 1;
		return (1);
	}
	json_array_append_new(cp->arr, control_project_json(p));
	cp->n++;
	free(cp->last);
	cp->last = xstrdup(p->code);
	return (0);
}

/* GET /v1/projects?limit=&cursor=: a page by code, or 500 (never a
 * partial page). */
static void
control_projects_get(struct control_req *cr)
{
	static const char *known[] = { "limit", "cursor", NULL };
	const char		*cursor = evhttp_find_header(&cr->query,
				    "cursor");
	struct control_projects	 cp;
	char			*after = NULL;
	json_t			*o;

	if (control_query_keys(cr, known) != 0)
		return;
	memset(&cp, 0, sizeof cp);
	if (control_page_limit(cr, &cp.limit) != 0)
		return;
	if (cursor != NULL && (after = control_cursor_key('p', cursor)) ==
	    NULL) {
		control_bad_cursor(cr);
		return;
	}
	cp.arr = json_array();
	if (store_project_page(cr->ctl->esc->store, after ? after : "",
	    cp.limit + 1, control_project_cb, &cp) != 0) {
		json_decref(cp.arr);
		free(cp.last);
		free(after);
		control_db_error(cr, 500);
		return;
	}
	free(after);
	o = json_object();
	json_object_set_new(o, "projects", cp.arr);
	if (cp.more)
		control_set_cursor(o, 'p', cp.last);
	free(cp.last);
	control_reply(cr->req, 200, o);
}

/* POST /v1/projects */
static void
control_projects_post(struct control_req *cr)
{
	static const char *known[] = { "code", "name", "category", "region",
	    "content", "planned_start", NULL };
	struct escalator	*esc = cr->ctl->esc;
	struct project_row	 p, old;
	const char		*code, *name, *cat, *region, *content, *ps;
	int32_t			 d;
	int			 created, rc;
	char			 changed[80];
	json_t			*o;

	if (control_query_keys(cr, control_none) != 0)
		return;
	if (control_keys(cr, known) != 0 ||
	    control_str(cr, "code", &code) != 0 ||
	    control_str(cr, "name", &name) != 0 ||
	    control_str(cr, "category", &cat) != 0 ||
	    control_str(cr, "region", &region) != 0 ||
	    control_str(cr, "content", &content) != 0 ||
	    control_str(cr, "planned_start", &ps) != 0)
		return;
	if (code == NULL || *code == '\0') {
		control_error(cr->req, 400, "code", "missing project code");
		return;
	}
	if (cat != NULL && config_group_for(esc->conf, cat) == NULL) {
		control_error(cr->req, 400, "category", "no work group covers"
		    " this category");
		return;
	}
	if (ps != NULL && calendar_parse_date(ps, &d) != 0) {
		control_error(cr->req, 400, "planned_start", "invalid or"
		    " impossible date (use YYYY-MM-DD)");
		return;
	}
	memset(&p, 0, sizeof p);
	/* Read, written and logged (by its caller) in one transaction. */
	if (store_begin_as(esc->store, cr->actor) != 0) {
		control_db_error(cr, 503);
		return;
	}
	if ((rc = store_project_get(esc->store, code, &old)) < 0) {
		control_db_error(cr, 500);
		return;
	}
	if (rc == 0)
		p = old;
	else
		p.code = xstrdup(code);
	changed[0] = '\0';
#define SET(f, v) if (v) {						\
	if (rc != 0 || p.f == NULL || strcmp(p.f, v) != 0)		\
		snprintf(changed + strlen(changed), sizeof changed -	\
		    strlen(changed), "%s%s", *changed ? ", " : "", #f);	\
	free(p.f);							\
	p.f = xstrdup(v);						\
}
	SET(name, name);
	SET(category, cat);
	SET(region, region);
	SET(content, content);
	SET(planned_start, ps);
#undef SET
	/* The entry: a new project's name, or the members that changed. */
	if (store_project_save(esc->store, &p, &created) != 0 ||
	    store_log(esc->store, control_now(), 0, p.code, NULL, NULL,
	    created ? "project-created" : "project-updated", created ?
	    p.name : *changed != '\0' ? changed : "no change") != 0 ||
	    store_commit(esc->store) != 0) {
		project_row_clear(&p);
		control_db_error(cr, 500);
		return;
	}
	o = json_object();
	json_object_set_new(o, "project", control_project_json(&p));
	project_row_clear(&p);
	control_reply(cr->req, created ? 201 : 200, o);
}

/* POST /v1/projects/CODE/progress */
static void
control_project_progress(struct control_req *cr, const char *code)
{
	struct escalator	*esc = cr->ctl->esc;
	struct project_row	 p;
	const char		*note, *at;
	int64_t			 t = control_now();
	json_t			*o;
	int			 rc;
	static const char *known[] = { "note", "at", NULL };

	if (control_query_keys(cr, control_none) != 0)
		return;
	if (control_keys(cr, known) != 0 ||
	    control_str(cr, "note", &note) != 0 ||
	    control_str(cr, "at", &at) != 0)
		return;
	if (note == NULL || *note == '\0') {
		control_error(cr->req, 400, "note", "missing progress note");
		return;
	}
	if (at != NULL && rules_parse_time(at, t, &t) != 0) {
		control_error(cr->req, 400, "at", "invalid or impossible date");
		return;
	}
	if ((rc = store_project_get(esc->store, code, &p)) != 0) {
		if (rc < 0)
			control_db_error(cr, 500);
		else
			control_error(cr->req, 404, "code", "no such project");
		return;
	}
	if (store_begin_as(esc->store, cr->actor) != 0) {
		project_row_clear(&p);
		control_db_error(cr, 503);
		return;
	}
	/* Logged like an item's progress, by the one who reported it. */
	if (store_project_progress(esc->store, p.id, note, t) != 0 ||
	    store_progress_add(esc->store, p.id, 0, note, t) != 0 ||
	    store_log(esc->store, control_now(), 0, p.code, NULL, NULL,
	    "progress", note) != 0 || store_commit(esc->store) != 0) {
		project_row_clear(&p);
		control_db_error(cr, 500);
		return;
	}
	project_row_clear(&p);
	if (store_project_get(esc->store, code, &p) != 0) {
		/* Written, but it cannot be read back (or vanished). */
		control_db_error(cr, 500);
		return;
	}
	o = json_object();
	json_object_set_new(o, "project", control_project_json(&p));
	project_row_clear(&p);
	control_reply(cr->req, 200, o);
}

/* A log entry. */
static int
control_log_cb(void *arg, const struct log_row *l)
{
	json_t	*o = json_object();
	char	 buf[32];

	json_object_set_new(o, "id", json_integer(l->id));
	rules_format_rfc3339(l->at, buf, sizeof buf);
	json_object_set_new(o, "at", json_string(buf));
	json_object_set_new(o, "item_id", l->item_id ?
	    json_integer(l->item_id) : json_null());
#define S(k, v) json_object_set_new(o, k, (v) ? json_string(v) : json_null())
	S("project", l->project);
	S("stage", l->stage);
	S("channel", l->channel);
	S("outcome", l->outcome);
	S("detail", l->detail);
	S("actor", l->actor);
#undef S
	json_array_append_new(arg, o);
	return (0);
}

/*
 * A time parameter of the log: a date (since: its start; until: its end)
 * or a time as rules_parse_time() reads it; -1 after answering.
 */
static int
control_log_time(struct control_req *cr, const char *key, int end,
    int64_t *t)
{
	const char	*v = evhttp_find_header(&cr->query, key);
	int32_t		 day;
	char		 msg[160];

	*t = 0;
	if (v == NULL)
		return (0);
	if (strlen(v) == 10 && calendar_parse_date(v, &day) == 0) {
		*t = end ? rules_local(day + 1, 0) - 1 : rules_local(day, 0);
		return (0);
	}
	if (rules_parse_time(v, control_now(), t) != 0 || *t <= 0) {
		snprintf(msg, sizeof msg, "%s must be a date YYYY-MM-DD or a"
		    " time YYYY-MM-DDTHH:MM:SS (RFC 3339)", key);
		control_error(cr->req, 400, key, msg);
		return (-1);
	}
	return (0);
}

/* A text parameter of the log: NULL absent; -1 after answering. */
static int
control_log_text(struct control_req *cr, const char *key, const char **v)
{
	char	 msg[128];

	*v = evhttp_find_header(&cr->query, key);
	if (*v != NULL && (**v == '\0' || strlen(*v) > 256 ||
	    !utf8_valid(*v, strlen(*v)))) {
		snprintf(msg, sizeof msg, "%s must be 1 to 256 bytes of UTF-8",
		    key);
		control_error(cr->req, 400, key, msg);
		return (-1);
	}
	return (0);
}

/* GET /v1/log?item=&project=&actor=&since=&until=&after=&limit= */
static void
control_log_get(struct control_req *cr)
{
	static const char *known[] = { "item", "project", "actor", "since",
	    "until", "after", "limit", NULL };
	struct log_filter	 f;
	int64_t			 v;
	json_t			*o, *arr;

	if (control_query_keys(cr, known) != 0)
		return;
	memset(&f, 0, sizeof f);
	if ((f.item = control_query_id(cr, "item", 0)) < 0 ||
	    (f.after = control_query_id(cr, "after", 1)) < 0 ||
	    (v = control_query_id(cr, "limit", 1)) < 0 ||
	    control_log_text(cr, "project", &f.project) != 0 ||
	    control_log_text(cr, "actor", &f.actor) != 0 ||
	    control_log_time(cr, "since", 0, &f.since) != 0 ||
	    control_log_time(cr, "until", 1, &f.until) != 0)
		return;
	/* Default 100; 0: all. */
	f.limit = evhttp_find_header(&cr->query, "limit") == NULL ? 100 :
	    v > INT_MAX ? INT_MAX : (int)v;
	f.cursor = evhttp_find_header(&cr->query, "after") != NULL;
	if (f.since > 0 && f.until > 0 && f.until < f.since) {
		control_error(cr->req, 400, "until", "until is before since");
		return;
	}
	arr = json_array();
	if (store_log_query(cr->ctl->esc->store, &f, control_log_cb,
	    arr) != 0) {
		json_decref(arr);
		control_db_error(cr, 500);
		return;
	}
	o = json_object();
	json_object_set_new(o, "log", arr);
	control_reply(cr->req, 200, o);
}

/* POST /v1/reload */
static void
control_reload(struct control_req *cr)
{
	char	**problems = NULL;
	size_t	  n = 0, i;
	json_t	 *o, *arr;
	int	  rc;
	char	  msg[600];

	if (control_query_keys(cr, control_none) != 0 ||
	    control_keys(cr, control_none) != 0)
		return;
	control_renders_wait(cr->ctl);
	if ((rc = daemon_reload(cr->ctl->esc, cr->actor, &problems, &n)) == 0) {
		o = json_object();
		json_object_set_new(o, "ok", json_true());
		/* Messages left waiting for a channel the reload removed. */
		if ((arr = control_orphans(cr->ctl->esc)) != NULL)
			json_object_set_new(o, "orphaned", arr);
		control_reply(cr->req, 200, o);
		return;
	}
	if (rc == -2) {
		snprintf(msg, sizeof msg, "%s; the running configuration is"
		    " unchanged", n > 0 ? problems[0] : "database error");
		config_problems_free(problems, n);
		control_error(cr->req, 500, NULL, msg);
		return;
	}
	o = json_object();
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(problems[i]));
	config_problems_free(problems, n);
	json_object_set_new(o, "error", json_string("configuration has errors;"
	    " the running configuration is unchanged"));
	json_object_set_new(o, "problems", arr);
	control_reply(cr->req, 422, o);
}

struct test_ctx {
	struct evhttp_request	*req;
	char			*channel;
	char			*actor;		/* who asked */
};

/* The answer to a send-test arrived. */
static void
control_test_done(void *arg, const char *outcome, long http, long code,
    const char *msg)
{
	struct test_ctx	*tc = arg;
	json_t		*o = json_object();

	json_object_set_new(o, "channel", json_string(tc->channel));
	json_object_set_new(o, "outcome", json_string(outcome));
	json_object_set_new(o, "http_status", json_integer(http));
	json_object_set_new(o, "code", json_integer(code));
	json_object_set_new(o, "message", json_string(msg ? msg : ""));
	/* Nothing is stored: the journal names who posted the test. */
	log_action(tc->actor, 0, NULL, "test", tc->channel, outcome,
	    "send-test %s: %s (http %ld, code %ld)", tc->channel, outcome,
	    http, code);
	control_reply(tc->req, 200, o);
	free(tc->actor);
	free(tc->channel);
	free(tc);
}

/* POST /v1/channels/NAME/test */
static void
control_send_test(struct control_req *cr, const char *name)
{
	const struct channel	*ch = config_channel(cr->ctl->esc->conf, name);
	struct test_ctx		*tc;

	if (control_query_keys(cr, control_none) != 0 ||
	    control_keys(cr, control_none) != 0)
		return;
	if (ch == NULL) {
		control_error(cr->req, 404, "channel", "no such channel");
		return;
	}
	tc = xcalloc(1, sizeof *tc);
	tc->req = cr->req;
	tc->channel = xstrdup(name);
	tc->actor = xstrdup(cr->actor);
	outbox_send_test(cr->ctl->esc->outbox, ch, control_test_done, tc);
}

/*
 * POST /v1/simulate streams its answer: simulate.c runs the daemon on a
 * copy of the database in a thread of its own and writes the document to
 * a socket; the loop forwards what arrives as HTTP chunks.  When more than
 * SIM_BACKLOG bytes wait for the client, the loop stops reading until they
 * drain, and the thread waits on its full socket.  A client that leaves
 * cancels the simulation; its output is read and dropped until the thread
 * ends (EOF), then the thread is joined.
 */
#define SIM_READ	(256 * 1024)	/* bytes forwarded at a time */
#define SIM_BACKLOG	(2 * 1024 * 1024)

struct sim_ctx {
	struct control		*ctl;
	struct evhttp_request	*req;		/* NULL once the client left */
	struct evhttp_connection *evcon;
	struct sim		*sim;
	int			 fd;		/* the document's read end */
	struct event		*ev;		/* readable fd */
	int			 paused;	/* for the client to read */
	TAILQ_ENTRY(sim_ctx)	 entry;
};

/* The thread has ended: join it and free everything. */
static void
control_sim_free(struct sim_ctx *sc)
{
	TAILQ_REMOVE(&sc->ctl->sims, sc, entry);
	if (sc->evcon != NULL)
		evhttp_connection_set_closecb(sc->evcon, NULL, NULL);
	event_free(sc->ev);
	close(sc->fd);
	sim_join(sc->sim);
	free(sc);
}

/* The connection's output drained: read on if we had paused. */
static void
control_sim_drained(struct evhttp_connection *evcon, void *arg)
{
	struct sim_ctx	*sc = arg;

	(void)evcon;
	if (sc->paused) {
		sc->paused = 0;
		event_add(sc->ev, NULL);
	}
}

/*
 * The connection is going away: the client left mid-stream (libevent has
 * detached the request, which is ours to end) or the server is being
 * freed.  The simulation is cancelled; its output is dropped until EOF.
 */
static void
control_sim_closed(struct evhttp_connection *evcon, void *arg)
{
	struct sim_ctx	*sc = arg;

	(void)evcon;
	log_info("simulate: the client went away after %zu messages",
	    sim_messages(sc->sim));
	sc->evcon = NULL;
	if (sc->req != NULL && evhttp_request_get_connection(sc->req) == NULL)
		evhttp_send_reply_end(sc->req);		/* frees it */
	sc->req = NULL;
	sim_cancel(sc->sim);
	if (sc->paused) {
		sc->paused = 0;
		event_add(sc->ev, NULL);
	}
}

/* Forward what the simulation wrote; at EOF end the answer. */
static void
control_sim_read(evutil_socket_t fd, short what, void *arg)
{
	struct sim_ctx		*sc = arg;
	struct evbuffer		*buf;
	struct bufferevent	*bev;
	int			 n;

	(void)what;
	buf = evbuffer_new();
	n = evbuffer_read(buf, fd, SIM_READ);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		evbuffer_free(buf);
		return;
	}
	if (n > 0 && sc->req != NULL) {
		evhttp_send_reply_chunk_with_cb(sc->req, buf,
		    control_sim_drained, sc);
		bev = evhttp_connection_get_bufferevent(sc->evcon);
		if (bev != NULL && evbuffer_get_length(
		    bufferevent_get_output(bev)) > SIM_BACKLOG) {
			sc->paused = 1;
			event_del(sc->ev);
		}
	}
	evbuffer_free(buf);
	if (n > 0)
		return;
	if (n < 0)
		log_warn("simulate: reading the simulation's output");
	if (sc->req != NULL) {
		evhttp_connection_set_closecb(sc->evcon, NULL, NULL);
		sc->evcon = NULL;
		evhttp_send_reply_end(sc->req);
		sc->req = NULL;
	}
	control_sim_free(sc);
}

/* At shutdown: stop every simulation and wait for its thread. */
static void
control_sim_stop_all(struct control *ctl)
{
	struct sim_ctx	*sc;
	char		 buf[4096];

	TAILQ_FOREACH(sc, &ctl->sims, entry) {
		sim_cancel(sc->sim);
		if (sc->evcon != NULL)
			evhttp_connection_set_closecb(sc->evcon, NULL, NULL);
		sc->evcon = NULL;
		sc->req = NULL;		/* evhttp_free() frees requests */
	}
	while ((sc = TAILQ_FIRST(&ctl->sims)) != NULL) {
		/* The thread stops at its next write or wake-up. */
		fcntl(sc->fd, F_SETFL, fcntl(sc->fd, F_GETFL) & ~O_NONBLOCK);
		while (read(sc->fd, buf, sizeof buf) > 0)
			;
		control_sim_free(sc);
	}
}

/* POST /v1/simulate: what would be sent from..until, streamed. */
static void
control_simulate(struct control_req *cr)
{
	struct escalator	*esc = cr->ctl->esc;
	struct sim_ctx		*sc;
	struct sim		*sim;
	const char		*from, *until;
	int64_t			 t0, t1, now = control_now();
	char			*err = NULL;
	int			 fd;
	static const char *known[] = { "from", "until", NULL };

	if (control_query_keys(cr, control_none) != 0)
		return;
	if (control_keys(cr, known) != 0 ||
	    control_str(cr, "from", &from) != 0 ||
	    control_str(cr, "until", &until) != 0)
		return;
	t0 = now;
	if (from != NULL && rules_parse_time(from, now, &t0) != 0) {
		control_error(cr->req, 400, "from", "invalid or impossible date");
		return;
	}
	if (until == NULL || rules_parse_time(until, now, &t1) != 0) {
		control_error(cr->req, 400, "until", "missing, invalid or"
		    " impossible date");
		return;
	}
	if (t1 < t0) {
		control_error(cr->req, 400, "until", "until is before from");
		return;
	}
	if ((sim = sim_start(esc->conf, store_path(esc->store), t0, t1, &fd,
	    &err)) == NULL) {
		control_error(cr->req, 500, NULL, err ? err : "simulation failed");
		free(err);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	sc = xcalloc(1, sizeof *sc);
	sc->ctl = cr->ctl;
	sc->req = cr->req;
	sc->sim = sim;
	sc->fd = fd;
	sc->ev = event_new(esc->base, fd, EV_READ | EV_PERSIST,
	    control_sim_read, sc);
	TAILQ_INSERT_TAIL(&cr->ctl->sims, sc, entry);
	evhttp_add_header(evhttp_request_get_output_headers(cr->req),
	    "Content-Type", "application/json; charset=utf-8");
	evhttp_send_reply_start(cr->req, 200, "OK");
	sc->evcon = evhttp_request_get_connection(cr->req);
	evhttp_connection_set_closecb(sc->evcon, control_sim_closed, sc);
	event_add(sc->ev, NULL);
}

/*
 * GET /v1/items?format=csv streams every item matching the filters as
 * CSV (UTF-8 with a BOM, CRLF): a page of CONTROL_EXPORT_PAGE items is
 * read from the store and sent as one HTTP chunk, and the next page only
 * when the connection's output has drained, so that the export holds one
 * page however many items there are and the loop serves other requests
 * between pages.  A client that leaves ends it.
 */
#define CONTROL_EXPORT_PAGE	1000

struct control_export {
	struct control		*ctl;
	struct evhttp_request	*req;
	struct evhttp_connection *evcon;
	char			*status, *project;
	int64_t			 after;		/* the last item sent */
	int			 n;		/* items of this page */
	struct evbuffer		*buf;
};

static const char *const control_export_head[] = { "编号", "项目编码",
    "项目名称", "项目类别", "所属地区", "审批事项", "承办部门", "承办人",
    "办理模式", "状态", "承诺时限", "受理时间", "办结时限", "办结时间" };

/* One CSV field: quoted when it holds a comma, quote or line break. */
static void
control_csv_field(struct evbuffer *b, const char *v, int last)
{
	const char	*p;

	if (v == NULL)
		v = "";
	if (strpbrk(v, ",\"\r\n") == NULL)
		evbuffer_add(b, v, strlen(v));
	else {
		evbuffer_add(b, "\"", 1);
		for (p = v; *p != '\0'; p++) {
			if (*p == '"')
				evbuffer_add(b, "\"", 1);
			evbuffer_add(b, p, 1);
		}
		evbuffer_add(b, "\"", 1);
	}
	evbuffer_add(b, last ? "\r\n" : ",", last ? 2 : 1);
}

/* A time field: local, empty for none. */
static void
control_csv_time(struct evbuffer *b, int64_t t)
{
	char	 buf[32];

	buf[0] = '\0';
	if (t > 0)
		rules_format(t, buf, sizeof buf);
	control_csv_field(b, buf, 0);
}

/* One item as a CSV line of the page being built. */
static int
control_export_cb(void *arg, const struct item_row *r)
{
	struct control_export	*ex = arg;
	char			 id[32];

	snprintf(id, sizeof id, "%lld", (long long)r->id);
	control_csv_field(ex->buf, id, 0);
	control_csv_field(ex->buf, r->project_code, 0);
	control_csv_field(ex->buf, r->project_name, 0);
	control_csv_field(ex->buf, r->category, 0);
	control_csv_field(ex->buf, r->region, 0);
	control_csv_field(ex->buf, r->kind, 0);
	control_csv_field(ex->buf, r->department, 0);
	control_csv_field(ex->buf, r->handler, 0);
	control_csv_field(ex->buf, r->mode, 0);
	control_csv_field(ex->buf, r->status, 0);
	control_csv_field(ex->buf, r->limit, 0);
	control_csv_time(ex->buf, r->accepted_at);
	control_csv_time(ex->buf, r->due_at);
	if (r->done_at > 0) {
		char buf[32];
		rules_format(r->done_at, buf, sizeof buf);
		control_csv_field(ex->buf, buf, 1);
	} else
		control_csv_field(ex->buf, "", 1);
	ex->after = r->id;
	ex->n++;
	return (0);
}

/* The export is over (done, failed or the client left): free it. */
static void
control_export_free(struct control_export *ex)
{
	if (ex->evcon != NULL)
		evhttp_connection_set_closecb(ex->evcon, NULL, NULL);
	if (ex->buf != NULL)
		evbuffer_free(ex->buf);
	free(ex->status);
	free(ex->project);
	free(ex);
}

static void control_export_page(struct control_export *);

/* The last page drained: send the next. */
static void
control_export_drained(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	control_export_page(arg);
}

/* The client left mid-export (or the server is being freed). */
static void
control_export_closed(struct evhttp_connection *evcon, void *arg)
{
	struct control_export	*ex = arg;

	(void)evcon;
	ex->evcon = NULL;
	if (ex->req != NULL && evhttp_request_get_connection(ex->req) == NULL)
		evhttp_send_reply_end(ex->req);		/* frees it */
	control_export_free(ex);
}

/* Read and send one page; the last one ends the answer. */
static void
control_export_page(struct control_export *ex)
{
	struct evhttp_connection *evcon = ex->evcon;
	struct evhttp_request	*req;

	ex->buf = evbuffer_new();
	ex->n = 0;
	if (store_item_page(ex->ctl->esc->store, ex->status, ex->project,
	    ex->after, CONTROL_EXPORT_PAGE, control_export_cb, ex) != 0) {
		/* Cut short: the client sees an unfinished chunked body. */
		log_warnx("api: export: %s", store_error(ex->ctl->esc->store));
		control_export_free(ex);
		evhttp_connection_free(evcon);
		return;
	}
	if (ex->n == CONTROL_EXPORT_PAGE) {
		evhttp_send_reply_chunk_with_cb(ex->req, ex->buf,
		    control_export_drained, ex);
		evbuffer_free(ex->buf);
		ex->buf = NULL;
		return;
	}
	if (evbuffer_get_length(ex->buf) > 0)
		evhttp_send_reply_chunk(ex->req, ex->buf);
	/* Ending may close the connection at once (HTTP/1.0): the export
	 * is freed first, its close callback removed. */
	req = ex->req;
	control_export_free(ex);
	evhttp_send_reply_end(req);
}

/* GET /v1/items?format=csv: start the stream. */
static void
control_items_export(struct control_req *cr, const char *status,
    const char *project)
{
	struct control_export	*ex;
	struct evbuffer		*b;
	size_t			 i, n = sizeof control_export_head /
				    sizeof control_export_head[0];

	ex = xcalloc(1, sizeof *ex);
	ex->ctl = cr->ctl;
	ex->req = cr->req;
	ex->status = status ? xstrdup(status) : NULL;
	ex->project = project ? xstrdup(project) : NULL;
	evhttp_add_header(evhttp_request_get_output_headers(cr->req),
	    "Content-Type", "text/csv; charset=utf-8");
	evhttp_send_reply_start(cr->req, 200, "OK");
	ex->evcon = evhttp_request_get_connection(cr->req);
	evhttp_connection_set_closecb(ex->evcon, control_export_closed, ex);
	b = evbuffer_new();
	evbuffer_add(b, "\xef\xbb\xbf", 3);
	for (i = 0; i < n; i++)
		control_csv_field(b, control_export_head[i], i + 1 == n);
	evhttp_send_reply_chunk(cr->req, b);
	evbuffer_free(b);
	control_export_page(ex);
}

/* Parse a positive id path component. */
static int64_t
control_id(const char *s, const char **rest)
{
	char		*end;
	long long	 v = strtoll(s, &end, 10);

	if (end == s || v <= 0)
		return (-1);
	*rest = end;
	return (v);
}

/* ------------------------------------------------------------------ */
/* Reports: GET /v1/reports/NAME and POST /v1/reports/NAME/send.  NAME is
 * a configured report or a report type (weekly, review, bulletin,
 * agenda) for use without configuration. */

/* Resolve the report, group and time of a report request; -1 after
 * answering with the error. */
static int
control_report_args(struct control_req *cr, const char *name,
    const char *group, const char *at, const struct report_conf **rc,
    const struct group **g, int64_t *t)
{
	const struct config	*conf = cr->ctl->esc->conf;
	char			 msg[512];

	if ((*rc = report_find(conf, name)) == NULL) {
		snprintf(msg, sizeof msg, "no report '%s' (configured reports"
		    " or weekly, review, bulletin, agenda)", name);
		control_error(cr->req, 404, "name", msg);
		return (-1);
	}
	*g = NULL;
	if (group != NULL && *group != '\0' &&
	    (*g = report_group(conf, group)) == NULL) {
		snprintf(msg, sizeof msg, "no work group or category '%s'",
		    group);
		control_error(cr->req, 400, "group", msg);
		return (-1);
	}
	*t = control_now();
	if (at != NULL && *at != '\0' && rules_parse_time(at, *t, t) != 0) {
		control_error(cr->req, 400, "at", "invalid or impossible date");
		return (-1);
	}
	return (0);
}

/*
 * A report's CSV goes out as the items export does: its table is rendered
 * whole (the counts and rankings need every item), then written out
 * CONTROL_REPORT_PART bytes at a time, the next part only when the
 * connection's output has drained, so that the CSV's text is never held
 * whole (nor twice, as the answer's buffer).  A client that leaves ends it.
 */
#define CONTROL_REPORT_PART	(256 * 1024)

struct control_rcsv {
	struct evhttp_request	*req;
	struct evhttp_connection *evcon;
	struct table		*table;
	size_t			 next;		/* table_csv_part()'s */
};

/* The report's CSV is over (sent or the client left): free it. */
static void
control_rcsv_free(struct control_rcsv *rs)
{
	if (rs->evcon != NULL)
		evhttp_connection_set_closecb(rs->evcon, NULL, NULL);
	table_free(rs->table);
	free(rs);
}

/* The client left mid-report (or the server is being freed). */
static void
control_rcsv_closed(struct evhttp_connection *evcon, void *arg)
{
	struct control_rcsv	*rs = arg;

	(void)evcon;
	rs->evcon = NULL;
	if (rs->req != NULL && evhttp_request_get_connection(rs->req) == NULL)
		evhttp_send_reply_end(rs->req);		/* frees it */
	control_rcsv_free(rs);
}

/* Send the next part; the last one ends the answer. */
static void
control_rcsv_part(struct evhttp_connection *evcon, void *arg)
{
	struct control_rcsv	*rs = arg;
	struct evhttp_request	*req;
	struct evbuffer		*buf = evbuffer_new();
	char			*text;
	size_t			 len;

	(void)evcon;
	text = table_csv_part(rs->table, &rs->next, CONTROL_REPORT_PART,
	    &len);
	evbuffer_add(buf, text, len);
	free(text);
	if (rs->next <= table_nrows(rs->table)) {
		evhttp_send_reply_chunk_with_cb(rs->req, buf,
		    control_rcsv_part, rs);
		evbuffer_free(buf);
		return;
	}
	if (len > 0)
		evhttp_send_reply_chunk(rs->req, buf);
	evbuffer_free(buf);
	/* Ending may close the connection at once (HTTP/1.0): freed first. */
	req = rs->req;
	control_rcsv_free(rs);
	evhttp_send_reply_end(req);
}

/* Start sending a report's CSV from its table (taken). */
static void
control_rcsv_start(struct control_req *cr, struct table *t)
{
	struct control_rcsv	*rs;

	rs = xcalloc(1, sizeof *rs);
	rs->req = cr->req;
	rs->table = t;
	evhttp_add_header(evhttp_request_get_output_headers(cr->req),
	    "Content-Type", "text/csv; charset=utf-8");
	evhttp_send_reply_start(cr->req, 200, "OK");
	rs->evcon = evhttp_request_get_connection(cr->req);
	evhttp_connection_set_closecb(rs->evcon, control_rcsv_closed, rs);
	control_rcsv_part(rs->evcon, rs);
}

/*
 * A report is rendered off the loop: over a million items that is
 * seconds of work (its counts and rankings need every item).  A thread
 * renders it on a connection of its own (worker.c) in a read transaction,
 * one snapshot, and hands it back to the loop, which answers (a
 * report to send is queued then, in one short transaction).  One report
 * renders at a time, as each holds the items it reads in memory
 * meanwhile; up to CONTROL_RENDERS_WAITING more requests wait their turn
 * in order, and beyond that a request is answered 503 with Retry-After.
 * A report asked for by a client that left before its turn is dropped
 * (one to send is still sent).  Without a connection of its own
 * (":memory:") a report renders inline.  A reload waits for the render
 * running (it reads the time zone); at shutdown it is interrupted and its
 * client gets no answer.
 */
#define CONTROL_RENDERS_WAITING	8

struct control_render {
	TAILQ_ENTRY(control_render) entry;
	struct control		*ctl;
	struct evhttp_request	*req;
	struct config		*conf;		/* a reference */
	const struct report_conf *rc;		/* in conf */
	const struct group	*g;		/* in conf, or NULL */
	int64_t			 at;
	enum report_format	 fmt;
	int			 send;		/* POST .../send */
	char			 actor[CONTROL_ACTOR_MAX];
	/* What the render gave. */
	int			 result;	/* 0, -1 db, -2 workbook */
	char			*title, *text;
	size_t			 len;
	struct table		*table;
	struct report_post	*post;		/* send */
	struct api_error	 e;		/* send */
	char			 dberr[600];
	int			 busy;
};

static void	control_render_next(struct control *);

static void
control_render_free(struct control_render *r)
{
	config_free(r->conf);
	free(r->title);
	free(r->text);
	table_free(r->table);
	report_post_free(r->post);
	free(r);
}

/* Render (in the thread, or inline) from one snapshot of s. */
static void
control_render_run(struct control_render *r, struct store *s)
{
	if (store_begin_read(s) != 0)
		r->result = -1;
	else if (r->send)
		r->result = report_prepare(r->conf, s, r->rc, r->g, r->at, 0,
		    NULL, &r->post, &r->e) != 0 ? -1 : 0;
	else if (r->fmt == REPORT_CSV)
		r->result = report_render_table(r->conf, s, r->rc, r->g, r->at,
		    0, &r->title, &r->table, &r->text, &r->len);
	else
		r->result = report_render(r->conf, s, r->rc, r->g, r->at, 0,
		    r->fmt, NULL, &r->title, &r->text, &r->len);
	if (r->result == -1 && r->e.status == 0) {
		snprintf(r->dberr, sizeof r->dberr, "%s", store_error(s));
		r->busy = store_busy(s);
	}
	store_rollback(s);
}

/* Answer a database error of a render. */
static void
control_render_db_error(struct control_render *r)
{
	char	 msg[700];

	snprintf(msg, sizeof msg, "database %s: %s", r->busy ? "busy" :
	    "error", r->dberr);
	if (r->busy)
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
	control_error(r->req, r->busy ? 503 : 500, NULL, msg);
}

/* Queue a rendered report to send, in one short transaction; answer. */
static void
control_render_send(struct control_render *r)
{
	struct escalator	*esc = r->ctl->esc;
	struct store		*s = esc->store;
	int64_t			 before = 0, after = 0, id;
	int			 n = -1;
	json_t			*o, *ids;

	if (store_begin_as(s, r->actor) != 0) {
		r->busy = 1;
		snprintf(r->dberr, sizeof r->dberr, "%s", store_error(s));
		control_render_db_error(r);
		return;
	}
	/* One transaction: the messages queued are the ids after before. */
	if (store_outbox_max_id(s, &before) != 0 ||
	    (n = report_post_queue(r->conf, s, r->post, control_now(),
	    &r->e)) < 0 || store_outbox_max_id(s, &after) != 0 ||
	    store_commit(s) != 0) {
		if (n >= 0 || r->e.status == 0) {
			snprintf(r->dberr, sizeof r->dberr, "%s",
			    store_error(s));
			r->busy = store_busy(s);
			store_rollback(s);
			control_render_db_error(r);
		} else {
			store_rollback(s);
			control_api_error(r->req, &r->e);
		}
		return;
	}
	outbox_kick(esc->outbox, NULL);
	log_info("report %s sent on request: %d message(s) queued",
	    r->rc->name, n);
	o = json_object();
	json_object_set_new(o, "queued", json_integer(n));
	json_object_set_new(o, "sent", json_integer(n));	/* old name */
	ids = json_array();
	for (id = before + 1; id <= after; id++)
		json_array_append_new(ids, json_integer(id));
	json_object_set_new(o, "ids", ids);
	control_reply(r->req, 200, o);
}

/* Answer a rendered report (a client that left: its request is freed). */
static void
control_render_answer(struct control_render *r)
{
	struct control_req	 cr;
	struct evbuffer		*buf;
	json_t			*o;

	/* A client that left gets nothing (its request is freed); a report
	 * to send is still queued, as asked. */
	if (!r->send && evhttp_request_get_connection(r->req) == NULL) {
		evhttp_send_reply(r->req, 503, "Service Unavailable", NULL);
		return;
	}
	if (r->result == -2) {
		control_error(r->req, 500, NULL, "cannot write the workbook"
		    " (see the daemon's log)");
		return;
	}
	if (r->result != 0 && r->e.status != 0) {
		control_api_error(r->req, &r->e);
		return;
	}
	if (r->result != 0) {
		control_render_db_error(r);
		return;
	}
	if (r->send) {
		control_render_send(r);
		return;
	}
	if (r->table != NULL) {
		memset(&cr, 0, sizeof cr);
		cr.ctl = r->ctl;
		cr.req = r->req;
		control_rcsv_start(&cr, r->table);
		r->table = NULL;
	} else if (r->fmt == REPORT_CSV || r->fmt == REPORT_XLSX) {
		buf = evbuffer_new();
		evbuffer_add(buf, r->text, r->len);
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Content-Type", r->fmt == REPORT_CSV ?
		    "text/csv; charset=utf-8" : XLSX_MIME);
		evhttp_send_reply(r->req, 200, "OK", buf);
		evbuffer_free(buf);
	} else {
		o = json_object();
		json_object_set_new(o, "name", json_string(r->rc->name));
		json_object_set_new(o, "title", json_string(r->title));
		json_object_set_new(o, "text", json_string(r->text));
		control_reply(r->req, 200, o);
	}
}

/* The render thread's job. */
static int
control_render_job(const struct config *conf, struct store *s, int64_t now,
    void *run)
{
	(void)conf;
	(void)now;
	control_render_run(run, s);
	return (0);
}

/* The render is done (or a reload waited for it): answer; the next
 * starts on the loop's next turn (not inside a reload). */
static void
control_render_joined(int result, struct store *ws, void *arg, void *run)
{
	struct control	*ctl = arg;

	(void)result;
	(void)ws;
	ctl->rrun = NULL;
	control_render_answer(run);
	control_render_free(run);
	if (!TAILQ_EMPTY(&ctl->rwait))
		event_active(ctl->rnext, EV_TIMEOUT, 0);
}

static void
control_render_next_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	control_render_next(arg);
}

/* Start a render in the thread: 0, or -1 when it must run inline. */
static int
control_render_start(struct control_render *r)
{
	struct control	*ctl = r->ctl;

	ctl->rrun = r;
	if (worker_start(ctl->rworker, r->conf, 0, r) != 0) {
		ctl->rrun = NULL;
		return (-1);
	}
	return (0);
}

/* Render now: in the thread, or inline (then answered at once). */
static void
control_render_go(struct control_render *r)
{
	if (control_render_start(r) == 0)
		return;
	control_render_run(r, r->ctl->esc->store);
	control_render_answer(r);
	control_render_free(r);
}

/* The next waiting request's turn (those whose client left dropped). */
static void
control_render_next(struct control *ctl)
{
	struct control_render	*r;

	while (ctl->rrun == NULL && (r = TAILQ_FIRST(&ctl->rwait)) != NULL) {
		TAILQ_REMOVE(&ctl->rwait, r, entry);
		ctl->nrwait--;
		if (!r->send && evhttp_request_get_connection(r->req) ==
		    NULL) {
			evhttp_send_reply(r->req, 503, "Service Unavailable",
			    NULL);		/* frees it */
			control_render_free(r);
			continue;
		}
		control_render_go(r);
	}
}

/* Render a report request: now, or in its turn, or 503 when too many
 * wait. */
static void
control_render_request(struct control_req *cr, const struct report_conf *rc,
    const struct group *g, int64_t at, enum report_format fmt, int send)
{
	struct control		*ctl = cr->ctl;
	struct control_render	*r;

	if (ctl->rrun != NULL && ctl->nrwait >= CONTROL_RENDERS_WAITING) {
		evhttp_add_header(evhttp_request_get_output_headers(cr->req),
		    "Retry-After", "1");
		control_error(cr->req, 503, NULL, "too many reports are being"
		    " rendered; try again");
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->ctl = ctl;
	r->req = cr->req;
	r->conf = config_ref(ctl->esc->conf);
	r->rc = rc;
	r->g = g;
	r->at = at;
	r->fmt = fmt;
	r->send = send;
	snprintf(r->actor, sizeof r->actor, "%s", cr->actor);
	if (ctl->rrun != NULL) {
		TAILQ_INSERT_TAIL(&ctl->rwait, r, entry);
		ctl->nrwait++;
		return;
	}
	control_render_go(r);
}

/* Reload: the render running is finished and answered first (it reads
 * the time zone); the next starts on the loop's next turn. */
void
control_renders_wait(struct control *ctl)
{
	if (ctl != NULL)
		worker_wait(ctl->rworker);
}

/* At shutdown: interrupt the render, wait for it; no answers. */
static void
control_render_stop(struct control *ctl)
{
	struct control_render	*r;

	worker_free(ctl->rworker, 1);
	ctl->rworker = NULL;
	if (ctl->rrun != NULL) {
		control_render_free(ctl->rrun);
		ctl->rrun = NULL;
	}
	while ((r = TAILQ_FIRST(&ctl->rwait)) != NULL) {
		TAILQ_REMOVE(&ctl->rwait, r, entry);
		control_render_free(r);
	}
	ctl->nrwait = 0;
	if (ctl->rnext != NULL)
		event_free(ctl->rnext);
	ctl->rnext = NULL;
}

/* GET /v1/reports/NAME?group=&at=&format=markdown|text|csv|xlsx */
static void
control_report_get(struct control_req *cr, const char *name)
{
	static const char *known[] = { "group", "at", "format", NULL };
	const struct report_conf *rc;
	const struct group	*g;
	const char		*fmtname;
	enum report_format	 fmt;
	int64_t			 t;

	if (control_query_keys(cr, known) != 0)
		return;
	fmtname = evhttp_find_header(&cr->query, "format");
	if (fmtname == NULL || strcmp(fmtname, "markdown") == 0)
		fmt = REPORT_MARKDOWN;
	else if (strcmp(fmtname, "text") == 0)
		fmt = REPORT_TEXT;
	else if (strcmp(fmtname, "csv") == 0)
		fmt = REPORT_CSV;
	else if (strcmp(fmtname, "xlsx") == 0)
		fmt = REPORT_XLSX;
	else {
		control_error(cr->req, 400, "format", "format must be markdown,"
		    " text, csv or xlsx");
		return;
	}
	if (control_report_args(cr, name, evhttp_find_header(&cr->query,
	    "group"), evhttp_find_header(&cr->query, "at"), &rc, &g, &t) != 0)
		return;
	control_render_request(cr, rc, g, t, fmt, 0);
}

/* POST /v1/reports/NAME/send {"group", "at"}: queue it now (the period
 * of a scheduled report is not claimed: that one still goes).  Rendered
 * off the loop, then queued in one short transaction. */
static void
control_report_send(struct control_req *cr, const char *name)
{
	static const char *known[] = { "group", "at", NULL };
	const struct report_conf *rc;
	const struct group	*g;
	const char		*group, *at;
	int64_t			 t;

	if (control_query_keys(cr, control_none) != 0)
		return;
	if (control_keys(cr, known) != 0 ||
	    control_str(cr, "group", &group) != 0 ||
	    control_str(cr, "at", &at) != 0)
		return;
	if (control_report_args(cr, name, group, at, &rc, &g, &t) != 0)
		return;
	control_render_request(cr, rc, g, t, REPORT_MARKDOWN, 1);
}

/* Route /v1/reports/NAME[/send]. */
static void
control_reports(struct control_req *cr, enum evhttp_cmd_type m,
    const char *rest)
{
	const char	*slash = strchr(rest, '/');
	char		*raw, *name;

	raw = slash != NULL ? xstrndup(rest, slash - rest) : xstrdup(rest);
	name = evhttp_uridecode(raw, 0, NULL);
	free(raw);
	if (name == NULL || *name == '\0')
		control_error(cr->req, 404, NULL, "no such endpoint");
	else if (slash == NULL && m == EVHTTP_REQ_GET)
		control_report_get(cr, name);
	else if (slash != NULL && strcmp(slash, "/send") == 0 &&
	    m == EVHTTP_REQ_POST)
		control_report_send(cr, name);
	else if (slash == NULL || strcmp(slash, "/send") == 0)
		control_method_error(cr->req, slash == NULL ? EVHTTP_REQ_GET :
		    EVHTTP_REQ_POST);
	else
		control_error(cr->req, 404, NULL, "no such endpoint");
	free(name);
}

/* ------------------------------------------------------------------ */

/* GET /metrics: the Prometheus text format. */
static void
control_metrics(struct evhttp_request *req, struct escalator *esc)
{
	struct evbuffer	*buf;
	char		*text, msg[512];

	if ((text = metrics_render(esc)) == NULL) {
		snprintf(msg, sizeof msg, "database error: %s",
		    store_error(esc->store));
		control_error(req, 500, NULL, msg);
		return;
	}
	buf = evbuffer_new();
	evbuffer_add(buf, text, strlen(text));
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

/*
 * An import runs off the loop: a file of 100,000 rows is a second or two
 * of work in one transaction.  A thread of its own imports it on a
 * connection of its own (worker.c) while the loop goes on serving (reads
 * from the last commit; writes meet the import's lock and answer 503 at
 * once), then hands the outcome back and the loop answers.  One import
 * at a time; without a connection of its own (":memory:") it runs inline.
 * A client that leaves meanwhile leaves its request to be answered (and
 * freed) when the import is done; at shutdown the import is waited for.
 */
struct control_import {
	struct control		*ctl;
	struct evhttp_request	*req;
	struct evbuffer		*body;		/* the request's, moved here */
	char			*enc;
	int			 dry_run;
	int			 rc;		/* 0, -1 refused, -2 db */
	json_t			*result, *problems;
	struct api_error	 e;
	char			 dberr[600];
	int			 busy;		/* the db error was a lock */
	char			 actor[384];	/* "import:FILE (ACTOR)" */
};

/* The import thread's job: import_csv() in a transaction of its own. */
static int
control_import_job(const struct config *conf, struct store *s, int64_t now,
    void *run)
{
	struct control_import	*ci = run;
	size_t			 len = evbuffer_get_length(ci->body);
	const char		*data = "";

	/* A write lock held elsewhere: a quick 503, not a wait. */
	store_busy_timeout(s, STORE_BUSY_MS);
	/*
	 * Made contiguous here, off the loop (a copy of up to 256 MiB).  The
	 * chains it was read into are freed as they are copied, but their
	 * pages stay with the process unless handed back: that would be the
	 * file's size held twice through the whole import.
	 */
	if (len > 0) {
		data = (const char *)evbuffer_pullup(ci->body, -1);
		malloc_trim(0);
	}
	if (store_begin_as(s, ci->actor) != 0)
		ci->rc = -2;
	else if (data == NULL) {
		api_error_set(&ci->e, 500, NULL, "out of memory for the file");
		ci->rc = -1;
		store_rollback(s);
	} else if (import_csv(conf, s, data, len, ci->enc, ci->dry_run, now,
	    &ci->result, &ci->problems, &ci->e) != 0) {
		ci->rc = ci->e.status == 0 ? -2 : -1;
		if (ci->rc == -1)
			store_rollback(s);
	} else if (ci->dry_run)
		store_rollback(s);
	else if (store_commit(s) != 0)
		ci->rc = -2;
	if (ci->rc == -2) {
		snprintf(ci->dberr, sizeof ci->dberr, "%s", ci->e.msg[0] !=
		    '\0' ? ci->e.msg : store_error(s));
		ci->busy = store_busy(s);
		store_rollback(s);
	}
	evbuffer_free(ci->body);
	ci->body = NULL;
	return (ci->rc);
}

/* What the import used (not the answer). */
static void
control_import_release(struct control_import *ci)
{
	free(ci->enc);
	ci->ctl->imp = NULL;
}

/* The import is done: answer (a client that left: the request is freed). */
static void
control_import_done(int result, struct store *ws, void *arg, void *run)
{
	struct control_import	*ci = run;
	struct escalator	*esc = ci->ctl->esc;
	json_t			*o;

	(void)result;
	(void)ws;
	(void)arg;
	control_import_release(ci);
	if (ci->rc == -2) {
		log_warnx("api: import: %s", ci->dberr);
		json_decref(ci->result);
		json_decref(ci->problems);
		o = json_object();
		json_object_set_new(o, "error", json_string(ci->busy ?
		    "database busy: another process holds the write lock" :
		    ci->dberr));
		if (ci->busy)
			evhttp_add_header(evhttp_request_get_output_headers(
			    ci->req), "Retry-After", "1");
		control_reply(ci->req, ci->busy ? 503 : 500, o);
	} else if (ci->rc == -1) {
		if (ci->e.status >= 500)
			log_warnx("api: import: %s", ci->e.msg);
		o = json_object();
		json_object_set_new(o, "error", json_string(ci->e.msg));
		if (ci->e.field[0] != '\0')
			json_object_set_new(o, "field",
			    json_string(ci->e.field));
		if (ci->problems != NULL)
			json_object_set_new(o, "problems", ci->problems);
		json_decref(ci->result);
		control_reply(ci->req, ci->e.status, o);
	} else {
		json_decref(ci->problems);
		if (!ci->dry_run) {
			scheduler_arm(esc->sched);
			log_info("import: applied");
		}
		control_reply(ci->req, 200, ci->result);
	}
	free(ci);
}

/* Start an import in its thread: 0, or -1 when it must run inline.  The
 * request's body moves to the thread (its chains, not a copy). */
static int
control_import_start(struct control_req *cr, const char *enc, int dry_run,
    const char *actor)
{
	struct escalator	*esc = cr->ctl->esc;
	struct control_import	*ci;

	ci = xcalloc(1, sizeof *ci);
	ci->ctl = cr->ctl;
	ci->req = cr->req;
	ci->body = evbuffer_new();
	ci->enc = xstrdup(enc);
	ci->dry_run = dry_run;
	snprintf(ci->actor, sizeof ci->actor, "%s", actor);
	if (ci->body == NULL || evbuffer_add_buffer(ci->body,
	    evhttp_request_get_input_buffer(cr->req)) != 0 ||
	    worker_start(cr->ctl->iworker, esc->conf, (int64_t)time(NULL),
	    ci) != 0) {
		/* What moved goes back: the import runs inline. */
		if (ci->body != NULL) {
			evbuffer_add_buffer(evhttp_request_get_input_buffer(
			    cr->req), ci->body);
			evbuffer_free(ci->body);
		}
		free(ci->enc);
		free(ci);
		return (-1);
	}
	cr->ctl->imp = ci;
	return (0);
}

/* At shutdown: wait for an import; its client gets no answer. */
static void
control_import_stop(struct control *ctl)
{
	struct control_import	*ci = ctl->imp;

	worker_free(ctl->iworker, 0);
	ctl->iworker = NULL;
	if (ci == NULL)
		return;
	control_import_release(ci);
	json_decref(ci->result);
	json_decref(ci->problems);
	free(ci);
}

/* POST /v1/import?dry_run=0|1&encoding=auto|utf-8|gb18030, body: CSV. */
static void
control_import(struct control_req *cr)
{
	struct escalator	*esc = cr->ctl->esc;
	struct evbuffer		*in = evhttp_request_get_input_buffer(cr->req);
	const char		*dry = evhttp_find_header(&cr->query, "dry_run");
	const char		*enc = evhttp_find_header(&cr->query, "encoding");
	const char		*file = evhttp_find_header(&cr->query, "file");
	struct api_error	 e;
	json_t			*result = NULL, *problems = NULL, *o;
	size_t			 len = evbuffer_get_length(in), i;
	int			 dry_run = dry != NULL && strcmp(dry, "0") != 0 &&
				    strcmp(dry, "false") != 0;
	char			 actor[384];	/* "import:FILE (ACTOR)" */

	static const char *known[] = { "dry_run", "encoding", "file",
	    NULL };

	memset(&e, 0, sizeof e);
	if (control_query_keys(cr, known) != 0)
		return;
	/* The file's name (no directory) names the import in the log. */
	if (file != NULL) {
		for (i = 0; file[i] != '\0'; i++)
			if ((unsigned char)file[i] < 0x20 || file[i] == '/' ||
			    file[i] == 0x7f)
				break;
		if (*file == '\0' || file[i] != '\0' || i > 255 ||
		    !utf8_valid(file, i)) {
			control_error(cr->req, 400, "file", "file must be a file"
			    " name of at most 255 bytes, without directory");
			return;
		}
	}
	snprintf(actor, sizeof actor, "import:%s (%s)", file != NULL ? file :
	    "-", cr->actor);
	if (enc != NULL && strcmp(enc, "auto") != 0 && strcasecmp(enc,
	    "utf-8") != 0 && strcasecmp(enc, "utf8") != 0 && strcasecmp(enc,
	    "gb18030") != 0 && strcasecmp(enc, "gbk") != 0) {
		control_error(cr->req, 400, "encoding", "encoding must be auto,"
		    " utf-8 or gb18030");
		return;
	}
	if (cr->ctl->imp != NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(cr->req),
		    "Retry-After", "1");
		control_error(cr->req, 503, NULL, "another import is running");
		return;
	}
	if (control_import_start(cr, enc ? enc : "auto", dry_run, actor) == 0)
		return;
	if (store_begin_as(esc->store, actor) != 0) {
		control_db_error(cr, 503);
		return;
	}
	/* One transaction for the whole file; a dry run is rolled back. */
	if (import_csv(esc->conf, esc->store, len ? (const char *)
	    evbuffer_pullup(in, -1) : "", len, enc ? enc : "auto", dry_run,
	    (int64_t)time(NULL), &result, &problems, &e) != 0) {
		if (e.status == 0 || e.status >= 500)
			log_warnx("api: import: %s", e.msg[0] != '\0' ? e.msg :
			    store_error(esc->store));
		store_rollback(esc->store);
		o = json_object();
		json_object_set_new(o, "error", json_string(e.msg));
		if (e.field[0] != '\0')
			json_object_set_new(o, "field", json_string(e.field));
		if (problems != NULL)
			json_object_set_new(o, "problems", problems);
		json_decref(result);
		control_reply(cr->req, e.status ? e.status : 500, o);
		return;
	}
	if (dry_run)
		store_rollback(esc->store);
	else if (store_commit(esc->store) != 0) {
		json_decref(result);
		control_db_error(cr, 500);
		return;
	}
	if (!dry_run) {
		scheduler_arm(esc->sched);
		log_info("import: applied (%s)", actor);
	}
	control_reply(cr->req, 200, result);
}

/* ------------------------------------------------------------------ */
/* The outbox: GET /v1/outbox lists messages, POST /v1/outbox/retry, move
 * and drop act on them for an operator (each message logged with the
 * actor). */

/* A time member: RFC 3339 local time, or null for 0. */
static json_t *
control_time(int64_t t)
{
	char	 buf[32];

	if (t <= 0)
		return (json_null());
	rules_format_rfc3339(t, buf, sizeof buf);
	return (json_string(buf));
}

struct control_outbox_list {
	const struct config	*conf;
	json_t			*arr;
	int64_t			 last;
	int			 limit, n, more;
};

/* One message of the outbox list (no text, no recipients). */
static int
control_outbox_cb(void *arg, const struct outbox_row *r)
{
	struct control_outbox_list	*cl = arg;
	json_t				*o;

	if (cl->n == cl->limit) {
		cl->more = 1;		/* the first of the next page */
		return (1);
	}
	cl->n++;
	o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "channel", json_string(r->channel));
	json_object_set_new(o, "channel_known", json_boolean(
	    config_channel(cl->conf, r->channel) != NULL));
	json_object_set_new(o, "stage", json_string(r->stage));
	json_object_set_new(o, "state", json_string(r->status));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "code", r->code != 0 ?
	    json_integer(r->code) : json_null());
	json_object_set_new(o, "error", r->error != NULL ?
	    json_string(r->error) : json_null());
	json_object_set_new(o, "created_at", control_time(r->created_at));
	json_object_set_new(o, "next_attempt_at", strcmp(r->status,
	    "queued") == 0 ? control_time(r->next_attempt > r->not_before ?
	    r->next_attempt : r->not_before) : json_null());
	json_object_set_new(o, "sent_at", control_time(r->sent_at));
	json_object_set_new(o, "title", r->title != NULL ?
	    json_string(r->title) : json_null());
	json_array_append_new(cl->arr, o);
	cl->last = r->id;
	return (0);
}

/* A positive integer query parameter: 0 absent, -1 after answering. */
static int64_t
control_query_id(struct control_req *cr, const char *key, int zero_ok)
{
	const char	*v = evhttp_find_header(&cr->query, key);
	char		*end, msg[128];
	long long	 n;

	if (v == NULL)
		return (0);
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < (zero_ok ? 0 : 1)) {
		snprintf(msg, sizeof msg, "%s must be a %s integer", key,
		    zero_ok ? "non-negative" : "positive");
		control_error(cr->req, 400, key, msg);
		return (-1);
	}
	return (n);
}

/* GET /v1/outbox?channel=&state=queued|failed|sent|dropped|all&item=
 * &after=&limit= */
static void
control_outbox_get(struct control_req *cr)
{
	static const char *known[] = { "channel", "state", "item", "after",
	    "limit", "cursor", NULL };
	static const char *states[] = { "queued", "failed", "sent",
	    "dropped", "all", NULL };
	struct escalator		*esc = cr->ctl->esc;
	struct control_outbox_list	 cl;
	struct outbox_filter		 f;
	int64_t				 v;
	size_t				 i;
	char				*next;
	json_t				*o;

	if (control_query_keys(cr, known) != 0)
		return;
	memset(&f, 0, sizeof f);
	f.channel = evhttp_find_header(&cr->query, "channel");
	f.status = evhttp_find_header(&cr->query, "state");
	if (f.status != NULL) {
		for (i = 0; states[i] != NULL; i++)
			if (strcmp(states[i], f.status) == 0)
				break;
		if (states[i] == NULL) {
			control_error(cr->req, 400, "state", "state must be"
			    " queued, failed, sent, dropped or all");
			return;
		}
	}
	if ((f.item = control_query_id(cr, "item", 0)) < 0 ||
	    (f.after = control_query_id(cr, "after", 1)) < 0 ||
	    (v = control_query_id(cr, "limit", 1)) < 0)
		return;
	if (evhttp_find_header(&cr->query, "cursor") != NULL &&
	    (f.after = control_cursor_id('o', evhttp_find_header(&cr->query,
	    "cursor"))) < 0) {
		control_bad_cursor(cr);
		return;
	}
	memset(&cl, 0, sizeof cl);
	cl.limit = v == 0 ? CONTROL_PAGE : v > 10000 ? 10000 : (int)v;
	f.limit = cl.limit + 1;		/* one more: is there a next page? */
	cl.conf = esc->conf;
	cl.arr = json_array();
	if (store_outbox_list(esc->store, &f, control_outbox_cb, &cl) != 0) {
		json_decref(cl.arr);
		control_db_error(cr, 500);
		return;
	}
	o = json_object();
	json_object_set_new(o, "next_after", cl.more ? json_integer(cl.last) :
	    json_null());
	if (cl.more) {
		xasprintf(&next, "%lld", (long long)cl.last);
		control_set_cursor(o, 'o', next);
		free(next);
	}
	json_object_set_new(o, "messages", cl.arr);
	control_reply(cr->req, 200, o);
}

/* An integer body member (0 absent); -1 after answering. */
static int
control_int(struct control_req *cr, const char *key, int64_t *v)
{
	json_t	*x = cr->body ? json_object_get(cr->body, key) : NULL;
	char	 msg[128];

	*v = 0;
	if (x == NULL || json_is_null(x))
		return (0);
	if (!json_is_integer(x) || json_integer_value(x) <= 0) {
		snprintf(msg, sizeof msg, "'%s' must be a positive integer",
		    key);
		control_error(cr->req, 400, key, msg);
		return (-1);
	}
	*v = json_integer_value(x);
	return (0);
}

/* POST /v1/outbox/retry|move|drop: an operator's action on messages. */
static void
control_outbox_act(struct control_req *cr, enum outbox_action what)
{
	static const char *known[] = { "id", "channel", "all_failed", "from",
	    "to", "reason", "actor", NULL };
	static const char *names[] = { "retry", "move", "drop" };
	struct escalator	*esc = cr->ctl->esc;
	struct outbox_act	 a;
	const char		*actor, *from;
	json_t			*all, *o;
	int64_t			 n;
	char			*detail;

	memset(&a, 0, sizeof a);
	if (control_query_keys(cr, control_none) != 0)
		return;
	if (control_keys(cr, known) != 0 || control_int(cr, "id", &a.id) != 0 ||
	    control_str(cr, "channel", &a.channel) != 0 ||
	    control_str(cr, "from", &from) != 0 ||
	    control_str(cr, "to", &a.to) != 0 ||
	    control_str(cr, "reason", &a.reason) != 0 ||
	    control_str(cr, "actor", &actor) != 0)
		return;
	all = cr->body ? json_object_get(cr->body, "all_failed") : NULL;
	if (all != NULL && !json_is_boolean(all)) {
		control_error(cr->req, 400, "all_failed", "'all_failed' must be"
		    " true or false");
		return;
	}
	if (from != NULL) {
		if (a.channel != NULL) {
			control_error(cr->req, 400, "from", "give 'from' or"
			    " 'channel', not both");
			return;
		}
		a.channel = from;
	}
	if (actor == NULL || *actor == '\0')
		actor = cr->actor;
	switch (what) {
	case OUTBOX_RETRY:
		if ((a.id != 0) + (a.channel != NULL) + json_is_true(all) !=
		    1) {
			control_error(cr->req, 400, "id", "give one of 'id',"
			    " 'channel' or 'all_failed'");
			return;
		}
		if (a.channel != NULL && config_channel(esc->conf,
		    a.channel) == NULL) {
			control_error(cr->req, 404, "channel", "no such channel"
			    " (move its messages to a configured one first)");
			return;
		}
		xasprintf(&detail, "re-queued by %s", actor);
		break;
	case OUTBOX_MOVE:
		if (a.channel == NULL || *a.channel == '\0') {
			control_error(cr->req, 400, "from", "'from' is"
			    " required: the channel the messages wait for");
			return;
		}
		if (a.to == NULL || config_channel(esc->conf, a.to) == NULL) {
			control_error(cr->req, a.to == NULL ? 400 : 404, "to",
			    a.to == NULL ? "'to' is required" :
			    "no such channel");
			return;
		}
		if (strcmp(a.to, a.channel) == 0) {
			control_error(cr->req, 400, "to", "'to' is the channel"
			    " the messages are for already");
			return;
		}
		xasprintf(&detail, "moved from %s to %s by %s", a.channel, a.to,
		    actor);
		break;
	case OUTBOX_DROP:
	default:
		if ((a.id != 0) + (a.channel != NULL) != 1) {
			control_error(cr->req, 400, "channel", "give one of"
			    " 'channel' or 'id'");
			return;
		}
		if (a.reason == NULL || *a.reason == '\0') {
			control_error(cr->req, 400, "reason", "'reason' is"
			    " required: why the messages are dropped");
			return;
		}
		xasprintf(&detail, "dropped by %s: %s", actor, a.reason);
		break;
	}
	if (store_begin_as(esc->store, cr->actor) != 0) {
		free(detail);
		control_db_error(cr, 503);
		return;
	}
	if (store_outbox_act(esc->store, what, &a, control_now(), detail,
	    &n) != 0 || store_commit(esc->store) != 0) {
		free(detail);
		control_db_error(cr, 500);
		return;
	}
	log_action(cr->actor, 0, NULL, NULL, what == OUTBOX_MOVE ? a.to :
	    a.channel, names[what], "outbox %s: %lld message(s)%s%s: %s",
	    names[what], (long long)n, a.channel != NULL ? " of " : "",
	    a.channel != NULL ? a.channel : "", detail);
	free(detail);
	if (n > 0 && what != OUTBOX_DROP)
		outbox_kick(esc->outbox, what == OUTBOX_MOVE ? a.to :
		    a.channel);
	o = json_object();
	json_object_set_new(o, what == OUTBOX_RETRY ? "requeued" :
	    what == OUTBOX_MOVE ? "moved" : "dropped", json_integer(n));
	control_reply(cr->req, 200, o);
}

/* Route /v1/outbox[/retry|/move|/drop]. */
static void
control_outbox(struct control_req *cr, enum evhttp_cmd_type m,
    const char *rest)
{
	if (*rest == '\0') {
		if (m == EVHTTP_REQ_GET)
			control_outbox_get(cr);
		else
			control_method_error(cr->req, EVHTTP_REQ_GET);
	} else if (strcmp(rest, "/retry") == 0 || strcmp(rest, "/move") == 0 ||
	    strcmp(rest, "/drop") == 0) {
		if (m != EVHTTP_REQ_POST)
			control_method_error(cr->req, EVHTTP_REQ_POST);
		else
			control_outbox_act(cr, rest[1] == 'r' ? OUTBOX_RETRY :
			    rest[1] == 'm' ? OUTBOX_MOVE : OUTBOX_DROP);
	} else
		control_error(cr->req, 404, NULL, "no such endpoint");
}

/* Route one request.  Each path names the methods it takes (allow):
 * another method is answered 405 with Allow, a path no branch knows 404. */
static void
control_route(struct control_req *cr, enum evhttp_cmd_type m)
{
	const char	*p = cr->path, *rest;
	int64_t		 id;
	int		 allow = 0, n = 0;
	char		 name[256], *dec;

	if (strncmp(p, "/links/", 7) == 0) {
		allow = EVHTTP_REQ_GET;
		if (m == EVHTTP_REQ_GET)
			web_api_links(cr->ctl->esc, cr->req, p + 6, 1);
	} else if (strcmp(p, "/status") == 0) {
		allow = EVHTTP_REQ_GET;
		if (m == EVHTTP_REQ_GET)
			control_status_get(cr);
	} else if (strcmp(p, "/items") == 0) {
		allow = EVHTTP_REQ_GET | EVHTTP_REQ_POST;
		if (m == EVHTTP_REQ_GET)
			control_items_get(cr);
		else if (m == EVHTTP_REQ_POST)
			control_items_post(cr);
	} else if (strncmp(p, "/items/", 7) == 0 &&
	    (id = control_id(p + 7, &rest)) > 0 && (*rest == '\0' ||
	    strcmp(rest, "/events") == 0)) {
		allow = *rest == '\0' ? EVHTTP_REQ_GET : EVHTTP_REQ_POST;
		if (*rest == '\0' && m == EVHTTP_REQ_GET) {
			if (control_query_keys(cr, control_none) == 0)
				control_item_reply(cr, id, 200, 0);
		} else if (*rest != '\0' && m == EVHTTP_REQ_POST)
			control_item_event(cr, id);
	} else if (strcmp(p, "/projects") == 0) {
		allow = EVHTTP_REQ_GET | EVHTTP_REQ_POST;
		if (m == EVHTTP_REQ_GET)
			control_projects_get(cr);
		else if (m == EVHTTP_REQ_POST)
			control_projects_post(cr);
	} else if (strncmp(p, "/projects/", 10) == 0 &&
	    sscanf(p + 10, "%255[^/]/progress%n", name, &n) == 1 && n > 0 &&
	    p[10 + n] == '\0') {
		allow = EVHTTP_REQ_POST;
		if (m == EVHTTP_REQ_POST) {
			dec = evhttp_uridecode(name, 0, NULL);
			control_project_progress(cr, dec);
			free(dec);
		}
	} else if (strcmp(p, "/import") == 0) {
		allow = EVHTTP_REQ_POST;
		if (m == EVHTTP_REQ_POST)
			control_import(cr);
	} else if (strcmp(p, "/metrics") == 0) {
		allow = EVHTTP_REQ_GET;
		if (m == EVHTTP_REQ_GET)
			control_metrics(cr->req, cr->ctl->esc);
	} else if (strcmp(p, "/log") == 0) {
		allow = EVHTTP_REQ_GET;
		if (m == EVHTTP_REQ_GET)
			control_log_get(cr);
	} else if (strcmp(p, "/reload") == 0) {
		allow = EVHTTP_REQ_POST;
		if (m == EVHTTP_REQ_POST)
			control_reload(cr);
	} else if (strncmp(p, "/channels/", 10) == 0 &&
	    sscanf(p + 10, "%255[^/]/test%n", name, &n) == 1 && n > 0 &&
	    p[10 + n] == '\0') {
		allow = EVHTTP_REQ_POST;
		if (m == EVHTTP_REQ_POST) {
			dec = evhttp_uridecode(name, 0, NULL);
			control_send_test(cr, dec);
			free(dec);
		}
	} else if (strcmp(p, "/simulate") == 0) {
		allow = EVHTTP_REQ_POST;
		if (m == EVHTTP_REQ_POST)
			control_simulate(cr);
	} else if (strncmp(p, "/reports/", 9) == 0) {
		control_reports(cr, m, p + 9);
		return;
	} else if (strncmp(p, "/outbox", 7) == 0 && (p[7] == '\0' ||
	    p[7] == '/')) {
		control_outbox(cr, m, p + 7);
		return;
	}
	if (allow == 0)
		control_error(cr->req, 404, NULL, "no such endpoint");
	else if ((allow & m) == 0)
		control_method_error(cr->req, allow);
}

/*
 * The name of the TCP API token a request carries ("Authorization:
 * Bearer TOKEN"), or NULL (config_token() compares).
 */
static const char *
control_token(const struct config *conf, const char *auth)
{
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return (NULL);
	return (config_token(conf, auth + 7));
}

/*
 * The user at the other end of the unix socket, from SO_PEERCRED:
 * "unix:NAME", or "unix:uid:N" when the uid has no name.  The last name
 * looked up is kept: the control socket's callers are few.
 */
static void
control_peer(struct control *ctl, struct evhttp_request *req, char *buf,
    size_t len)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct ucred			 uc;
	struct passwd			 pw, *res = NULL;
	socklen_t			 sl = sizeof uc;
	evutil_socket_t			 fd = -1;
	char				*pbuf;
	size_t				 plen = 16384;

	if ((evcon = evhttp_request_get_connection(req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(evcon)) != NULL)
		fd = bufferevent_getfd(bev);
	if (fd == -1 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc,
	    &sl) != 0) {
		snprintf(buf, len, "unix:unknown");
		return;
	}
	if (ctl->peer_name[0] == '\0' || ctl->peer_uid != uc.uid) {
		pbuf = xmalloc(plen);
		if (getpwuid_r(uc.uid, &pw, pbuf, plen, &res) == 0 &&
		    res != NULL && *pw.pw_name != '\0' &&
		    strlen(pw.pw_name) < sizeof ctl->peer_name)
			snprintf(ctl->peer_name, sizeof ctl->peer_name, "%s",
			    pw.pw_name);
		else
			snprintf(ctl->peer_name, sizeof ctl->peer_name,
			    "uid:%lu", (unsigned long)uc.uid);
		ctl->peer_uid = uc.uid;
		free(pbuf);
	}
	snprintf(buf, len, "unix:%s", ctl->peer_name);
}

/*
 * The largest body a request may have: an import's CSV (POST /v1/import)
 * up to API_MAX_IMPORT, every other body up to CONTROL_MAX_BODY.  path is
 * the request's path (NULL: unknown).
 */
static size_t
control_max_body(const char *path, enum evhttp_cmd_type m)
{
	if (m == EVHTTP_REQ_POST && path != NULL &&
	    strcmp(path, "/v1/import") == 0)
		return (API_MAX_IMPORT);
	return (CONTROL_MAX_BODY);
}

/*
 * libevent answers some requests itself, before the daemon sees them: a
 * body over evhttp_set_max_body_size (413: at once from Content-Length, or
 * at the first chunk that would pass the limit, so nothing over it is
 * ever buffered), a malformed request line or header (400), an unknown
 * Expect (417).  libevent 2.1 has no hook to answer those itself (no
 * new-request or error callback) and writes a fixed HTML page.  Every
 * connection's output buffer has control_page_cb: it recognises that page
 * the moment libevent adds it (its fixed opening, right after the status
 * line and headers libevent wrote for it) and puts the daemon's JSON
 * error in place of the whole answer.  libevent closes the connection
 * after such an answer ("Connection: close"), as it did.
 */
#define CONTROL_PAGE_OPENING	"<HTML><HEAD>\n<TITLE>"
#define CONTROL_ERRPAGE_MAX	4096	/* status line, headers and page */

/* The daemon's JSON answer for a status libevent answered with a page. */
static void
control_page_json(struct evbuffer *buf, const char *version, int status)
{
	json_t	*o = json_object();
	char	 msg[160], *s;

	if (status == 413)
		snprintf(msg, sizeof msg, "request body too large (at most %d"
		    " bytes; %d for POST /v1/import)", CONTROL_MAX_BODY,
		    API_MAX_IMPORT);
	else if (status == 400)
		snprintf(msg, sizeof msg, "malformed HTTP request");
	else if (status == 417)
		snprintf(msg, sizeof msg, "only \"Expect: 100-continue\" is"
		    " understood");
	else
		snprintf(msg, sizeof msg, "%s", control_reason(status));
	json_object_set_new(o, "error", json_string(msg));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	evbuffer_add_printf(buf, "%s %d %s\r\nContent-Type: application/json;"
	    " charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "\r\n%s\n", version, status, control_reason(status),
	    s ? strlen(s) + 1 : 3, s ? s : "{}");
	free(s);
}

/* Output buffer callback: put JSON in place of libevent's own page. */
static void
control_page_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	static int		 busy;
	static const char	 opening[] = CONTROL_PAGE_OPENING;
	const char		*data, *p, *q;
	struct evbuffer		*keep;
	size_t			 len = evbuffer_get_length(buf), body;
	size_t			 start = SIZE_MAX;
	char			 version[9];
	int			 status;

	(void)arg;
	/* The page is small, and nothing else is waiting to be sent but
	 * perhaps a "100 Continue" (libevent sends one answer at a time). */
	if (busy || info->n_added < sizeof opening - 1 || info->n_added > len ||
	    len > CONTROL_ERRPAGE_MAX)
		return;
	body = len - info->n_added;
	if ((data = (const char *)evbuffer_pullup(buf, -1)) == NULL ||
	    memcmp(data + body, opening, sizeof opening - 1) != 0)
		return;
	/* Its status line: the last one before the page. */
	for (p = data; (q = memmem(p, (size_t)(data + body - p), "HTTP/1.",
	    7)) != NULL; p = q + 1)
		start = (size_t)(q - data);
	if (start == SIZE_MAX || body - start < 13 || data[start + 8] != ' ' ||
	    (status = atoi(data + start + 9)) < 400 || status > 599)
		return;
	memcpy(version, data + start, 8);
	version[8] = '\0';
	busy = 1;
	/*
	 * A socket bufferevent keeps the front of its output frozen (only
	 * its write callback takes from there, thawing it for the write):
	 * thaw it for the swap the same way.
	 */
	if ((keep = evbuffer_new()) != NULL) {
		evbuffer_unfreeze(buf, 1);
		if (evbuffer_remove_buffer(buf, keep, start) == (int)start &&
		    evbuffer_drain(buf, evbuffer_get_length(buf)) == 0 &&
		    evbuffer_add_buffer(buf, keep) == 0)
			control_page_json(buf, version, status);
		evbuffer_freeze(buf, 1);
		evbuffer_free(keep);
	}
	busy = 0;
}

/* Every connection's bufferevent: a socket one, as libevent's own. */
static struct bufferevent *
control_bevcb(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;

	(void)arg;
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return (NULL);	/* libevent makes one (without the JSON) */
	if (evbuffer_add_cb(bufferevent_get_output(bev), control_page_cb,
	    NULL) == NULL) {
		bufferevent_free(bev);
		return (NULL);
	}
	return (bev);
}

/* Every request: check auth, parse query and body, route. */
static void
control_request(struct evhttp_request *req, void *arg, int tcp)
{
	struct control		*ctl = arg;
	struct control_req	 cr;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	enum evhttp_cmd_type	 m = evhttp_request_get_command(req);
	const char		*path, *q, *auth, *name;
	json_error_t		 jerr;
	size_t			 len;
	char			 msg[300];

	memset(&cr, 0, sizeof cr);
	cr.ctl = ctl;
	cr.req = req;
	cr.tcp = tcp;
	TAILQ_INIT(&cr.query);
	/* The pages of signed links carry their own credential (web.c). */
	if (tcp && web_request(ctl->esc, req))
		return;
	if (tcp) {
		auth = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Authorization");
		if ((name = control_token(ctl->esc->conf, auth)) == NULL) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "WWW-Authenticate", "Bearer");
			control_error(req, 401, NULL, auth == NULL ?
			    "missing bearer token" : "wrong bearer token");
			return;
		}
		snprintf(cr.actor, sizeof cr.actor, "token:%s", name);
	} else
		control_peer(ctl, req, cr.actor, sizeof cr.actor);
	len = evbuffer_get_length(in);
	path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (len > control_max_body(path, m)) {
		snprintf(msg, sizeof msg, "request body too large: %zu bytes"
		    " (at most %zu)", len, control_max_body(path, m));
		control_error(req, 413, NULL, msg);
		return;
	}
	if (path == NULL || strncmp(path, "/v1/", 4) != 0) {
		if (path != NULL && (strcmp(path, "/metrics") == 0 ||
		    strcmp(path, "/healthz") == 0) && m != EVHTTP_REQ_GET) {
			control_method_error(req, EVHTTP_REQ_GET);
			return;
		}
		if (path != NULL && strcmp(path, "/metrics") == 0) {
			control_metrics(req, ctl->esc);
			return;
		}
		if (path != NULL && strcmp(path, "/healthz") == 0) {
			json_t *o = json_object();
			json_object_set_new(o, "ok", json_true());
			control_reply(req, 200, o);
			return;
		}
		control_error(req, 404, NULL, "no such endpoint (the API is"
		    " under /v1/)");
		return;
	}
	cr.path = path + 3;
	if ((q = evhttp_uri_get_query(uri)) != NULL &&
	    evhttp_parse_query_str(q, &cr.query) != 0) {
		control_error(req, 400, NULL, "malformed query string");
		return;
	}
	/* Every body is a JSON object, except an import's CSV. */
	if (len > 0 && m == EVHTTP_REQ_POST && strcmp(cr.path, "/import") != 0) {
		cr.body = json_loadb((const char *)evbuffer_pullup(in, -1), len,
		    0, &jerr);
		if (cr.body == NULL || !json_is_object(cr.body)) {
			if (cr.body == NULL)
				snprintf(msg, sizeof msg, "malformed JSON at line"
				    " %d column %d: %s", jerr.line, jerr.column,
				    jerr.text);
			else
				snprintf(msg, sizeof msg, "the body must be a"
				    " JSON object");
			json_decref(cr.body);
			evhttp_clear_headers(&cr.query);
			control_error(req, 400, NULL, msg);
			return;
		}
	}
	control_route(&cr, m);
	json_decref(cr.body);
	evhttp_clear_headers(&cr.query);
}

/* evhttp callback for the unix socket. */
static void
control_unix_cb(struct evhttp_request *req, void *arg)
{
	control_request(req, arg, 0);
}

/* evhttp callback for the TCP listener. */
static void
control_tcp_cb(struct evhttp_request *req, void *arg)
{
	control_request(req, arg, 1);
}

/* Listen on the unix socket (and TCP when configured). */
struct control *
control_new(struct escalator *esc, char **err)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	const struct config	*conf = esc->conf;
	int			 probe;

	ctl = xcalloc(1, sizeof *ctl);
	TAILQ_INIT(&ctl->sims);
	TAILQ_INIT(&ctl->rwait);
	ctl->rworker = worker_new(esc->base, esc->store, "report",
	    "api: reports are rendered on the loop", 0, control_render_job,
	    control_render_joined, ctl);
	ctl->rnext = event_new(esc->base, -1, 0, control_render_next_cb, ctl);
	ctl->iworker = worker_new(esc->base, esc->store, "import",
	    "api: import runs on the loop", 0, control_import_job,
	    control_import_done, ctl);
	ctl->esc = esc;
	ctl->fd = -1;
	ctl->path = xstrdup(conf->socket);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(conf->socket) >= sizeof sun.sun_path) {
		xasprintf(err, "%s: socket path too long", conf->socket);
		goto fail;
	}
	strcpy(sun.sun_path, conf->socket);
	if ((ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(err, "socket: %s", strerror(errno));
		goto fail;
	}
	/* A socket that answers belongs to a running daemon: leave it. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(probe);
			xasprintf(err, "%s: another approval-escalatord is already"
			    " listening there", conf->socket);
			goto fail;
		}
		close(probe);
	}
	unlink(conf->socket);
	if (bind(ctl->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		xasprintf(err, "%s: %s", conf->socket, strerror(errno));
		goto fail;
	}
	chmod(conf->socket, (mode_t)conf->socket_mode);
	if (listen(ctl->fd, 64) == -1) {
		xasprintf(err, "%s: listen: %s", conf->socket, strerror(errno));
		goto fail;
	}
	ctl->unix_http = evhttp_new(esc->base);
	evhttp_set_max_body_size(ctl->unix_http, CONTROL_HTTP_MAX_BODY);
	evhttp_set_allowed_methods(ctl->unix_http, CONTROL_METHODS);
	evhttp_set_gencb(ctl->unix_http, control_unix_cb, ctl);
	evhttp_set_bevcb(ctl->unix_http, control_bevcb, ctl);
	if (evhttp_accept_socket(ctl->unix_http, ctl->fd) != 0) {
		xasprintf(err, "%s: cannot accept", conf->socket);
		goto fail;
	}
	if (conf->listen_host != NULL) {
		/* Parsed (and checked) once, by config.c. */
		ctl->tcp_http = evhttp_new(esc->base);
		evhttp_set_max_body_size(ctl->tcp_http, CONTROL_HTTP_MAX_BODY);
		evhttp_set_allowed_methods(ctl->tcp_http, CONTROL_METHODS);
		evhttp_set_gencb(ctl->tcp_http, control_tcp_cb, ctl);
		evhttp_set_bevcb(ctl->tcp_http, control_bevcb, ctl);
		if (evhttp_bind_socket(ctl->tcp_http, conf->listen_host,
		    (uint16_t)conf->listen_port) != 0) {
			xasprintf(err, "listen %s: cannot bind", conf->listen);
			goto fail;
		}
	}
	return (ctl);
fail:
	control_free(ctl);
	return (NULL);
}

/* Stop listening and remove the socket. */
void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	control_sim_stop_all(ctl);
	control_import_stop(ctl);
	control_render_stop(ctl);
	if (ctl->unix_http != NULL)
		evhttp_free(ctl->unix_http);
	else if (ctl->fd != -1)
		close(ctl->fd);
	if (ctl->tcp_http != NULL)
		evhttp_free(ctl->tcp_http);
	if (ctl->path != NULL && ctl->unix_http != NULL)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
