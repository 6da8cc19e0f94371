/*
 * The pages on the TCP listener, beside the API: /a/TOKEN for signed
 * action links (GET shows the item and a form, POST with the form's
 * CSRF token applies it through answer.c) and /board for the head and
 * the group leaders.  Only with public_url configured; no bearer token
 * (the link is the credential), so nothing here answers anything but
 * these paths.  Every page is HTML (page.c), errors are plain sentences
 * with a 4xx status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "escalator.h"

#define WEB_MAX_FORM	(16 * 1024)
#define WEB_HISTORY	8

/* Send an HTML page (freed here). */
static void
web_reply(struct evhttp_request *req, int status, char *html)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf = evbuffer_new();

	evbuffer_add(buf, html, strlen(html));
	free(html);
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none';"
	    " style-src 'unsafe-inline'; img-src data:; form-action 'self';"
	    " frame-ancestors 'none'; base-uri 'none'");
	evhttp_send_reply(req, status, status < 300 ? "OK" : status == 403 ?
	    "Forbidden" : status == 404 ? "Not Found" : status == 405 ?
	    "Method Not Allowed" : status == 409 ? "Conflict" : status == 410 ?
	    "Gone" : status < 500 ? "Bad Request" : "Internal Error", buf);
	evbuffer_free(buf);
}

/* A plain sentence as the whole page. */
static void
web_message(struct evhttp_request *req, int status, const char *msg)
{
	web_reply(req, status, page_message(status < 300 ? "已提交" :
	    "无法办理", msg, status < 300));
}

/* A 405 for any method but the allowed ones. */
static void
web_method(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	web_message(req, 405, "不支持此请求方式。");
}

/* The client as an action's log records it: its address (and what a
 * gateway says it forwarded) and its user agent, both shortened. */
static void
web_client(struct evhttp_request *req, char *addr, size_t alen,
    char *agent, size_t glen)
{
	struct evhttp_connection	*conn = evhttp_request_get_connection(req);
	struct evkeyvalq		*in = evhttp_request_get_input_headers(req);
	const char			*xff, *ua;
	char				*host = NULL;
	ev_uint16_t			 port = 0;

	if (conn != NULL)
		evhttp_connection_get_peer(conn, &host, &port);
	xff = evhttp_find_header(in, "X-Forwarded-For");
	if (xff != NULL)
		snprintf(addr, alen, "%s (X-Forwarded-For: %.64s)",
		    host ? host : "?", xff);
	else
		snprintf(addr, alen, "%s", host ? host : "?");
	ua = evhttp_find_header(in, "User-Agent");
	snprintf(agent, glen, "%.200s", ua ? ua : "");
	if (!utf8_valid(addr, strlen(addr)))
		snprintf(addr, alen, "%s", host ? host : "?");
	if (!utf8_valid(agent, strlen(agent)))
		*agent = '\0';
}

/* What an item's page shows beside the item: its recent history. */
struct web_hist {
	struct page_line	 v[WEB_HISTORY * 2];
	char			*text[WEB_HISTORY * 2];
	size_t			 n;
	int64_t			 ack_at, note_at;
	char			*ack_stage, *note;
};

/* One answer in the history, and the latest ack and feedback. */
static int
web_hist_answer(void *arg, const struct answer_row *a)
{
	struct web_hist	*h = arg;
	const char	*label;
	unsigned	 bit;

	if (strcmp(a->kind, "ack") == 0 && h->ack_at == 0) {
		h->ack_at = a->at;
		h->ack_stage = a->stage ? xstrdup(a->stage) : NULL;
	}
	if (strcmp(a->kind, "progress") == 0 && h->note_at == 0) {
		h->note_at = a->at;
		h->note = xstrdup(a->note ? a->note : "");
	}
	if (h->n >= WEB_HISTORY)
		return (0);
	bit = link_action_parse(a->kind);
	label = bit ? link_action_label(bit) : a->kind;
	if (strcmp(a->kind, "stop") == 0)
		label = "申请中止计时";
	xasprintf(&h->text[h->n], "%s：%s（%s）%s%s", label, a->actor ?
	    a->actor : "", a->role ? a->role : "", a->note ? " " : "",
	    a->note ? a->note : "");
	h->v[h->n].at = a->at;
	h->v[h->n].text = h->text[h->n];
	h->n++;
	return (0);
}

/* One log entry worth showing (escalations, clock stops, ends). */
static int
web_hist_log(void *arg, const struct log_row *l)
{
	static const struct {
		const char	*outcome;
		const char	*label;
	} shown[] = {
		{ "escalated", "督办" }, { "created", "登记" },
		{ "accept", "受理" }, { "suspend", "中止计时" },
		{ "resume", "恢复计时" }, { "block", "标记难点" },
		{ "raise", "提级" }, { "acknowledged", "已签收，当日不再重复" },
	};
	struct web_hist	*h = arg;
	size_t		 i;

	if (h->n >= sizeof h->v / sizeof h->v[0] || l->outcome == NULL)
		return (0);
	for (i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (strcmp(l->outcome, shown[i].outcome) == 0)
			break;
	if (i == sizeof shown / sizeof shown[0])
		return (0);
	xasprintf(&h->text[h->n], "%s%s%s", shown[i].label,
	    l->detail && strcmp(l->outcome, "acknowledged") != 0 ? "：" : "",
	    l->detail && strcmp(l->outcome, "acknowledged") != 0 ?
	    l->detail : "");
	h->v[h->n].at = l->at;
	h->v[h->n].text = h->text[h->n];
	h->n++;
	return (0);
}

static int
web_line_cmp(const void *a, const void *b)
{
	int64_t	 x = ((const struct page_line *)a)->at;
	int64_t	 y = ((const struct page_line *)b)->at;

	return (x > y ? -1 : x < y);
}

static void
web_hist_clear(struct web_hist *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		free(h->text[i]);
	free(h->ack_stage);
	free(h->note);
}

/* Fill the view of a checked link's item; -1 on a store error. */
static int
web_view(struct escalator *esc, struct answer_check *c, struct web_hist *h,
    struct page_view *v, int64_t now)
{
	const struct config	*conf = esc->conf;
	const struct person	*p;
	const struct policy	*pol;
	struct track_row	 t;
	int			 rc, idx;
	char			*cur = NULL;

	memset(h, 0, sizeof *h);
	memset(v, 0, sizeof *v);
	v->item = &c->item;
	v->now = now;
	v->link_actions = c->link.actions;
	v->role = link_role_name(c->link.role);
	p = c->item.handler ? config_person(conf, c->item.handler) : NULL;
	v->handler = p ? p->name : c->item.handler;
	if (model_status_open(c->item.status) && c->item.due_at > 0) {
		v->overdue = rules_overdue_workdays(conf->calendar,
		    c->item.due_at, now);
		v->days_left = rules_days_left(conf->calendar, c->item.due_at,
		    now);
	}
	if ((rc = store_track_get(esc->store, c->item.id, TRACK_MAIN, &t)) < 0)
		return (-1);
	if (rc == 0) {
		pol = t.policy ? config_policy(conf, t.policy) : NULL;
		idx = pol ? rules_stage_index(pol, t.stage_name) : -1;
		v->stage_label = idx >= 0 ? pol->stages[idx].label : "未催办";
		cur = t.stage_name ? xstrdup(t.stage_name) : NULL;
		track_row_clear(&t);
	} else
		v->stage_label = "未催办";
	if (store_answer_each(esc->store, c->item.id, 50, web_hist_answer,
	    h) != 0 || store_log_list(esc->store, c->item.id, 30, web_hist_log,
	    h) != 0) {
		free(cur);
		return (-1);
	}
	qsort(h->v, h->n, sizeof h->v[0], web_line_cmp);
	v->hist = h->v;
	v->nhist = h->n < WEB_HISTORY ? h->n : WEB_HISTORY;
	/* 已签收: the stage the item stands at was acknowledged. */
	v->acked = h->ack_stage != NULL && ((c->stage != NULL &&
	    strcmp(h->ack_stage, c->stage) == 0) || (cur != NULL &&
	    strcmp(h->ack_stage, cur) == 0));
	v->feedback = h->note;
	v->feedback_at = h->note_at;
	free(cur);
	return (0);
}

/* Which action a request names: ?do=ack ...; decide for a decision. */
static unsigned
web_action(struct evkeyvalq *q, const struct evkeyvalq *form,
    int *bad)
{
	const char	*d = evhttp_find_header(q, "do"), *x;

	*bad = 0;
	if (d == NULL || *d == '\0')
		return (0);
	if (strcmp(d, "decide") == 0) {
		if (form == NULL)
			return (LINK_DECIDE);
		x = evhttp_find_header(form, "decision");
		if (x != NULL && strcmp(x, "approve") == 0)
			return (LINK_APPROVE);
		if (x != NULL && strcmp(x, "reject") == 0)
			return (LINK_REJECT);
		*bad = 1;
		return (0);
	}
	if (link_action_parse(d) & LINK_NOTICE)
		return (link_action_parse(d));
	*bad = 1;
	return (0);
}

/* GET or POST /a/TOKEN[?do=ACTION]. */
static void
web_link(struct escalator *esc, struct evhttp_request *req,
    const char *token)
{
	const struct config	*conf = esc->conf;
	struct store		*s = esc->store;
	enum evhttp_cmd_type	 m = evhttp_request_get_command(req);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq	 q, form;
	struct answer_check	 c;
	struct answer_who	 who;
	struct api_error	 e;
	struct page_view	 v;
	struct web_hist		 h;
	const char		*qs, *csrf_action;
	char			 csrf[LINK_CSRF_LEN + 1], addr[160], agent[208];
	char			 actor[80];
	char			*body = NULL, *msg;
	unsigned		 action, check;
	size_t			 len;
	int			 bad, post = m == EVHTTP_REQ_POST;
	int64_t			 now = (int64_t)time(NULL);

	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_POST) {
		web_method(req, "GET, POST");
		return;
	}
	TAILQ_INIT(&q);
	TAILQ_INIT(&form);
	memset(&e, 0, sizeof e);
	memset(&c, 0, sizeof c);
	if ((qs = evhttp_uri_get_query(uri)) != NULL &&
	    evhttp_parse_query_str(qs, &q) != 0) {
		web_message(req, 400, "链接格式不正确。");
		goto out;
	}
	if (post) {
		len = evbuffer_get_length(in);
		if (len > WEB_MAX_FORM) {
			web_message(req, 413, "提交的内容过长。");
			goto out;
		}
		body = xmalloc(len + 1);
		evbuffer_copyout(in, body, len);
		body[len] = '\0';
		if (strlen(body) != len ||
		    evhttp_parse_query_str(body, &form) != 0) {
			web_message(req, 400, "表单格式不正确。");
			goto out;
		}
	}
	action = web_action(&q, post ? &form : NULL, &bad);
	if (bad) {
		web_message(req, 400, "未知的办理事项。");
		goto out;
	}
	if (post && action == 0) {
		web_method(req, "GET");
		goto out;
	}
	/* A GET of a form checks the link as its POST will. */
	check = action == LINK_DECIDE ? LINK_APPROVE : action;
	if (answer_check(conf, s, token, check, now, &c, &e) != 0) {
		if (e.status >= 500)
			log_warnx("page: %s", e.msg);
		web_message(req, e.status, e.msg);
		goto out;
	}
	if (c.link.item == 0) {
		web_message(req, 403, "此链接不能用于办理事项。");
		goto out;
	}
	csrf_action = (c.link.actions & LINK_DECIDE) ? "decide" :
	    link_action_name(action);
	link_csrf(conf->link_secret, token, csrf_action, csrf);
	if (post) {
		if (!link_csrf_ok(conf->link_secret, token, csrf_action,
		    evhttp_find_header(&form, "csrf"))) {
			web_message(req, 403, "表单已失效（校验码不符），请重新"
			    "打开通知中的链接再提交。");
			goto out;
		}
		web_client(req, addr, sizeof addr, agent, sizeof agent);
		who.name = evhttp_find_header(&form, "name");
		who.addr = addr;
		who.agent = agent;
		answer_check_clear(&c);
		/* The action log names the actor: "link:NAME" as entered. */
		snprintf(actor, sizeof actor, "link:%.*s", 64, who.name ?
		    who.name : "");
		if (!utf8_valid(actor, strlen(actor)))
			snprintf(actor, sizeof actor, "link:?");
		if (store_begin_as(s, actor) != 0) {
			web_message(req, 503, "系统繁忙，请稍后再试。");
			goto out;
		}
		if (answer_check(conf, s, token, action, now, &c, &e) != 0 ||
		    answer_apply(conf, s, &c, token, action,
		    evhttp_find_header(&form, "note"),
		    evhttp_find_header(&form, "date"), &who, now, &e) != 0 ||
		    store_commit(s) != 0) {
			store_rollback(s);
			if (e.status == 0)
				api_error_set(&e, 500, NULL, "数据库错误");
			if (e.status >= 500)
				log_warnx("page: %s", e.msg);
			if (e.status == 400 && c.item.id != 0 &&
			    web_view(esc, &c, &h, &v, now) == 0) {
				v.action = action & LINK_DECIDE ? 0 : action;
				v.csrf = csrf;
				v.error = e.msg;
				v.name = who.name;
				v.note = evhttp_find_header(&form, "note");
				v.request_actor = c.request.actor;
				v.request_note = c.request.note;
				v.request_at = c.request.at;
				web_reply(req, 400, page_item(&v));
				web_hist_clear(&h);
			} else
				web_message(req, e.status, e.msg);
			goto out;
		}
		scheduler_arm(esc->sched);
		outbox_kick(esc->outbox, NULL);
		switch (action) {
		case LINK_ACK:
			msg = "已签收。本阶段今天不再重复催办，请抓紧办理。";
			break;
		case LINK_PROGRESS:
			msg = "进展已反馈，感谢。";
			break;
		case LINK_DONE:
			msg = "已登记办结，督办随之结束。";
			break;
		case LINK_STOP:
			msg = "中止计时申请已提交组长审核，同意后方中止计时。";
			break;
		case LINK_APPROVE:
			msg = "已同意，事项已中止计时。";
			break;
		default:
			msg = "已不同意该中止计时申请，计时继续。";
			break;
		}
		web_reply(req, 200, page_message("已提交", msg, 1));
		goto out;
	}
	if (web_view(esc, &c, &h, &v, now) != 0) {
		web_message(req, 500, "数据库错误，请稍后再试。");
		goto out;
	}
	v.action = action == LINK_DECIDE ? 0 : action;
	v.csrf = csrf;
	v.request_actor = c.request.actor;
	v.request_note = c.request.note;
	v.request_at = c.request.at;
	web_reply(req, 200, page_item(&v));
	web_hist_clear(&h);
out:
	answer_check_clear(&c);
	free(body);
	evhttp_clear_headers(&q);
	evhttp_clear_headers(&form);
}

/* ------------------------------------------------------------------ */
/* The board. */

#define WEB_BOARD_SESSION	(12 * 3600)	/* a login's cookie */
#define WEB_BOARD_LATE		10		/* longest overdue shown */
#define WEB_BOARD_ITEMS		300		/* open items listed */
#define WEB_BOARD_NOTES		10		/* recent feedback */

/* A signed board link's token (malloc'd), valid for secs. */
static char *
web_board_token(const struct config *conf, int64_t now, int64_t secs)
{
	struct link	 l;

	memset(&l, 0, sizeof l);
	l.actions = LINK_BOARD;
	l.role = (int)ROLE_HEAD + 1;
	l.issued = now;
	l.expires = now + secs;
	l.salt = (unsigned)(now & 0xffff);
	return (link_make(conf->link_secret, &l));
}

/* Whether a board token holds at now. */
static int
web_board_ok(const struct config *conf, const char *tok, int64_t now)
{
	struct link	 l;

	return (tok != NULL && link_parse(conf->link_secret, tok, &l) == 0 &&
	    !link_expired(&l, now) && (l.actions & LINK_BOARD) &&
	    l.item == 0);
}

/* The board's session cookie from the request, or NULL (malloc'd). */
static char *
web_cookie(struct evhttp_request *req, const char *name)
{
	const char	*c = evhttp_find_header(evhttp_request_get_input_headers(
			    req), "Cookie"), *p, *e;
	size_t		 n = strlen(name);

	for (p = c; p != NULL && *p != '\0'; p = e) {
		while (*p == ' ' || *p == ';')
			p++;
		e = p + strcspn(p, ";");
		if ((size_t)(e - p) > n && strncmp(p, name, n) == 0 &&
		    p[n] == '=')
			return (xstrndup(p + n + 1, (size_t)(e - p) - n - 1));
	}
	return (NULL);
}

/* Set the session cookie. */
static void
web_set_cookie(const struct config *conf, struct evhttp_request *req,
    const char *tok)
{
	char	*c;

	xasprintf(&c, "esc_board=%s; Path=/board; Max-Age=%d; HttpOnly;"
	    " SameSite=Strict%s", tok, WEB_BOARD_SESSION,
	    strncmp(conf->public_url, "https:", 6) == 0 ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie",
	    c);
	free(c);
}

struct web_count {
	char			*name;
	struct page_board_row	 r;
	int			 weeks[PAGE_WEEKS];
	int			 sum;
};

struct web_board {
	const struct config	*conf;
	const char		*group;		/* only this group, or NULL */
	int64_t			 now;
	int64_t			 week_end[PAGE_WEEKS];	/* instants */
	int32_t			 week_days[PAGE_WEEKS];
	int64_t			 mon, next_mon;	/* this week */
	struct answer_sum	*sums;
	size_t			 nsums;
	struct page_board_row	 total;
	struct web_count	*groups, *depts;
	size_t			 ngroups, ndepts;
	struct page_board_item	*items;
	size_t			 nitems, cap;
};

/* The counter of a name in a list (created once). */
static struct web_count *
web_count(struct web_count **v, size_t *n, const char *name)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, name) == 0)
			return (&(*v)[i]);
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	memset(&(*v)[*n], 0, sizeof **v);
	(*v)[*n].name = xstrdup(name);
	return (&(*v)[(*n)++]);
}

/* Count one open item in a row. */
static void
web_count_open(struct page_board_row *r, int week, int overdue, int light)
{
	r->open++;
	r->week += week;
	r->overdue += overdue > 0;
	if (light == 2)
		r->red++;
	else if (light == 1)
		r->yellow++;
	else
		r->green++;
}

/* One item of the report walk: counted, charted and listed. */
static int
web_board_item(void *arg, const struct item_row *it, const char *policy,
    const char *stage)
{
	struct web_board	*bd = arg;
	const struct calendar	*cal = bd->conf->calendar;
	const struct group	*g;
	const struct answer_sum	*sum;
	struct page_board_item	*pi;
	struct item_row		*copy;
	struct web_count	*dc, *gc;
	const char		*gname;
	int			 i, overdue, left, light, week, late;

	(void)policy;
	g = it->category ? config_group_for(bd->conf, it->category) : NULL;
	gname = g ? g->name : "未分组";
	if (bd->group != NULL && strcmp(bd->group, gname) != 0)
		return (0);
	dc = web_count(&bd->depts, &bd->ndepts, it->department);
	gc = web_count(&bd->groups, &bd->ngroups, gname);
	/* Overdue at the end of each week, as far as the rows tell. */
	for (i = 0; i < PAGE_WEEKS; i++) {
		int64_t t = bd->week_end[i];
		late = it->accepted_at > 0 && it->accepted_at <= t &&
		    it->due_at > 0 && it->due_at < t && (it->done_at == 0 ||
		    it->done_at > t) && rules_overdue_workdays(cal, it->due_at,
		    t) > 0;
		dc->weeks[i] += late;
		dc->sum += late;
	}
	if (!model_status_open(it->status))
		return (0);
	overdue = it->due_at > 0 && strcmp(it->status, STATUS_ACCEPTED) == 0 ?
	    rules_overdue_workdays(cal, it->due_at, bd->now) : 0;
	left = it->due_at > 0 ? rules_days_left(cal, it->due_at, bd->now) : 99;
	light = overdue > 0 ? 2 : strcmp(it->status, STATUS_ACCEPTED) == 0 &&
	    left <= 2 ? 1 : 0;
	week = overdue <= 0 && it->due_at >= bd->mon && it->due_at <
	    bd->next_mon;
	web_count_open(&bd->total, week, overdue, light);
	web_count_open(&gc->r, week, overdue, light);
	web_count_open(&dc->r, week, overdue, light);
	if (bd->nitems == bd->cap) {
		bd->cap = bd->cap ? bd->cap * 2 : 64;
		bd->items = xreallocarray(bd->items, bd->cap,
		    sizeof *bd->items);
	}
	copy = xcalloc(1, sizeof *copy);
	copy->id = it->id;
	copy->project_code = xstrdup(it->project_code);
	copy->project_name = it->project_name ? xstrdup(it->project_name) :
	    NULL;
	copy->kind = xstrdup(it->kind);
	copy->department = xstrdup(it->department);
	copy->due_at = it->due_at;
	pi = &bd->items[bd->nitems++];
	memset(pi, 0, sizeof *pi);
	pi->item = copy;
	pi->overdue = overdue;
	pi->light = light;
	sum = answer_sum_find(bd->sums, bd->nsums, it->id);
	pi->acked = sum != NULL && sum->ack_stage != NULL && stage != NULL &&
	    strcmp(sum->ack_stage, stage) == 0;
	pi->feedback = sum != NULL ? sum->note : NULL;
	return (0);
}

/* Red first, the most overdue first, then by deadline. */
static int
web_item_cmp(const void *a, const void *b)
{
	const struct page_board_item	*x = a, *y = b;

	if (x->light != y->light)
		return (y->light - x->light);
	if (x->overdue != y->overdue)
		return (y->overdue - x->overdue);
	if (x->item->due_at != y->item->due_at)
		return (x->item->due_at < y->item->due_at ? -1 : 1);
	return (x->item->id < y->item->id ? -1 : 1);
}

static int
web_count_cmp(const void *a, const void *b)
{
	const struct web_count	*x = a, *y = b;

	if (x->r.overdue != y->r.overdue)
		return (y->r.overdue - x->r.overdue);
	return (strcmp(x->name, y->name));
}

static int
web_sum_cmp(const void *a, const void *b)
{
	const struct web_count	*x = *(const struct web_count *const *)a;
	const struct web_count	*y = *(const struct web_count *const *)b;

	if (x->sum != y->sum)
		return (y->sum - x->sum);
	return (strcmp(x->name, y->name));
}

/* Recent feedback, newest last while walking; the last few are kept. */
struct web_notes {
	struct answer_row	 v[WEB_BOARD_NOTES];
	size_t			 n, next;
};

static int
web_note_cb(void *arg, const struct answer_row *a)
{
	struct web_notes	*wn = arg;
	struct answer_row	*d;

	if (strcmp(a->kind, "progress") != 0 && strcmp(a->kind, "done") != 0 &&
	    strcmp(a->kind, "stop") != 0)
		return (0);
	d = &wn->v[wn->next];
	answer_row_clear(d);
	d->item_id = a->item_id;
	d->kind = xstrdup(a->kind);
	d->note = a->note ? xstrdup(a->note) : NULL;
	d->actor = a->actor ? xstrdup(a->actor) : NULL;
	d->at = a->at;
	wn->next = (wn->next + 1) % WEB_BOARD_NOTES;
	if (wn->n < WEB_BOARD_NOTES)
		wn->n++;
	return (0);
}

/* GET /board: render it (the caller has checked access). */
static void
web_board_render(struct escalator *esc, struct evhttp_request *req,
    const char *group, int64_t now)
{
	const struct config	*conf = esc->conf;
	struct web_board	 bd;
	struct page_board	 pb;
	struct page_board_row	*grows, *drows;
	struct page_board_note	 notes[WEB_BOARD_NOTES];
	char			*ntext[WEB_BOARD_NOTES];
	struct web_notes	 wn;
	struct web_count	**ser;
	const char		**snames;
	int			*counts;
	size_t			 i, k, nser, nlate;
	int32_t			 today, sunday;
	struct item_row		 it;

	memset(&bd, 0, sizeof bd);
	memset(&wn, 0, sizeof wn);
	bd.conf = conf;
	bd.group = group;
	bd.now = now;
	rules_split(now, &today, NULL);
	sunday = today + (7 - calendar_weekday(today)) % 7;
	bd.mon = rules_local(sunday - 6, 0);
	bd.next_mon = rules_local(sunday + 1, 0);
	for (i = 0; i < PAGE_WEEKS; i++) {
		bd.week_days[i] = sunday - 7 * (int32_t)(PAGE_WEEKS - 1 - i);
		bd.week_end[i] = i == PAGE_WEEKS - 1 ? now :
		    rules_local(bd.week_days[i] + 1, 0);
	}
	if (store_answer_sums(esc->store, 0, &bd.sums, &bd.nsums) != 0 ||
	    store_items_report(esc->store, rules_local(bd.week_days[0] - 6, 0),
	    web_board_item, &bd) != 0 ||
	    store_answer_since(esc->store, now - 14 * 86400, web_note_cb,
	    &wn) != 0) {
		web_message(req, 500, "数据库错误，请稍后再试。");
		goto out;
	}
	qsort(bd.items, bd.nitems, sizeof *bd.items, web_item_cmp);
	qsort(bd.groups, bd.ngroups, sizeof *bd.groups, web_count_cmp);
	grows = xcalloc(bd.ngroups + 1, sizeof *grows);
	for (i = 0; i < bd.ngroups; i++) {
		grows[i] = bd.groups[i].r;
		grows[i].name = bd.groups[i].name;
	}
	/* The chart's departments: those with overdue items, most first. */
	ser = xcalloc(bd.ndepts + 1, sizeof *ser);
	for (i = nser = 0; i < bd.ndepts; i++)
		if (bd.depts[i].sum > 0)
			ser[nser++] = &bd.depts[i];
	qsort(ser, nser, sizeof *ser, web_sum_cmp);
	if (nser > 8)
		nser = 8;
	snames = xcalloc(nser + 1, sizeof *snames);
	counts = xcalloc(nser * PAGE_WEEKS + 1, sizeof *counts);
	for (k = 0; k < nser; k++) {
		snames[k] = ser[k]->name;
		memcpy(counts + k * PAGE_WEEKS, ser[k]->weeks,
		    sizeof ser[k]->weeks);
	}
	qsort(bd.depts, bd.ndepts, sizeof *bd.depts, web_count_cmp);
	drows = xcalloc(bd.ndepts + 1, sizeof *drows);
	for (i = k = 0; i < bd.ndepts; i++) {
		if (bd.depts[i].r.open == 0)
			continue;
		drows[k] = bd.depts[i].r;
		drows[k++].name = bd.depts[i].name;
	}
	/* Recent feedback, newest first. */
	for (i = 0; i < wn.n; i++) {
		struct answer_row *a = &wn.v[(wn.next + WEB_BOARD_NOTES - 1 -
		    i) % WEB_BOARD_NOTES];
		memset(&it, 0, sizeof it);
		if (store_item_get(esc->store, a->item_id, &it) != 0)
			it.kind = NULL;
		xasprintf(&ntext[i], "%s｜%s（%s）%s %s：%s",
		    it.project_name ? it.project_name : it.project_code ?
		    it.project_code : "?", it.kind ? it.kind : "?",
		    it.department ? it.department : "?", a->actor ? a->actor :
		    "", strcmp(a->kind, "done") == 0 ? "已办结" :
		    strcmp(a->kind, "stop") == 0 ? "申请中止计时" : "反馈",
		    a->note ? a->note : "");
		item_row_clear(&it);
		notes[i].at = a->at;
		notes[i].what = ntext[i];
	}
	for (nlate = 0; nlate < bd.nitems && nlate < WEB_BOARD_LATE &&
	    bd.items[nlate].overdue > 0; nlate++)
		;
	memset(&pb, 0, sizeof pb);
	pb.now = now;
	pb.total = bd.total;
	pb.groups = grows;
	pb.ngroups = bd.ngroups;
	pb.depts = drows;
	pb.ndepts = k;
	pb.late = bd.items;
	pb.nlate = nlate;
	pb.items = bd.items;
	pb.nitems = bd.nitems < WEB_BOARD_ITEMS ? bd.nitems : WEB_BOARD_ITEMS;
	pb.nitems_total = bd.nitems;
	pb.notes = notes;
	pb.nnotes = wn.n;
	pb.series = snames;
	pb.nseries = nser;
	pb.counts = counts;
	pb.week_days = bd.week_days;
	web_reply(req, 200, page_board(&pb));
	for (i = 0; i < wn.n; i++)
		free(ntext[i]);
	free(grows);
	free(drows);
	free(ser);
	free(snames);
	free(counts);
out:
	for (i = 0; i < WEB_BOARD_NOTES; i++)
		answer_row_clear(&wn.v[i]);
	for (i = 0; i < bd.nitems; i++) {
		item_row_clear((struct item_row *)(uintptr_t)bd.items[i].item);
		free((void *)(uintptr_t)bd.items[i].item);
	}
	free(bd.items);
	for (i = 0; i < bd.ngroups; i++)
		free(bd.groups[i].name);
	for (i = 0; i < bd.ndepts; i++)
		free(bd.depts[i].name);
	free(bd.groups);
	free(bd.depts);
	answer_sums_free(bd.sums, bd.nsums);
}

/* /board and /board/login: a signed board link (?t=), the session
 * cookie a link or a login sets, or the login form (the API token). */
static void
web_board(struct escalator *esc, struct evhttp_request *req, const char *rest)
{
	const struct config	*conf = esc->conf;
	enum evhttp_cmd_type	 m = evhttp_request_get_command(req);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq	 q, form;
	const char		*qs, *t, *tok;
	char			*cookie = NULL, *body = NULL, *mint;
	size_t			 len;
	int64_t			 now = (int64_t)time(NULL);

	TAILQ_INIT(&q);
	TAILQ_INIT(&form);
	if ((qs = evhttp_uri_get_query(uri)) != NULL &&
	    evhttp_parse_query_str(qs, &q) != 0) {
		web_message(req, 400, "链接格式不正确。");
		goto out;
	}
	if (strcmp(rest, "/login") == 0) {
		if (m != EVHTTP_REQ_POST) {
			web_method(req, "POST");
			goto out;
		}
		len = evbuffer_get_length(in);
		if (len > WEB_MAX_FORM) {
			web_message(req, 413, "提交的内容过长。");
			goto out;
		}
		body = xmalloc(len + 1);
		evbuffer_copyout(in, body, len);
		body[len] = '\0';
		tok = NULL;
		if (strlen(body) == len &&
		    evhttp_parse_query_str(body, &form) == 0)
			tok = evhttp_find_header(&form, "token");
		if (config_token(conf, tok) == NULL) {
			log_warnx("board: refused login from a client");
			web_reply(req, 403, page_board_login("令牌不正确。"));
			goto out;
		}
		if ((mint = web_board_token(conf, now, WEB_BOARD_SESSION)) ==
		    NULL) {
			web_message(req, 500, "无法登录，请稍后再试。");
			goto out;
		}
		web_set_cookie(conf, req, mint);
		free(mint);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Location", "../board");
		web_reply(req, 303, page_message("已登录", "已登录，正在打开看板。",
		    1));
		goto out;
	}
	if (*rest != '\0') {
		web_message(req, 404, "没有这个页面。");
		goto out;
	}
	if (m != EVHTTP_REQ_GET) {
		web_method(req, "GET");
		goto out;
	}
	if ((t = evhttp_find_header(&q, "t")) != NULL) {
		if (!web_board_ok(conf, t, now)) {
			web_reply(req, 403, page_board_login("看板链接无效或已"
			    "过期，请重新获取或用令牌登录。"));
			goto out;
		}
		web_set_cookie(conf, req, t);
	} else if (!web_board_ok(conf, (cookie = web_cookie(req,
	    "esc_board")), now)) {
		web_reply(req, 401, page_board_login(NULL));
		goto out;
	}
	web_board_render(esc, req, evhttp_find_header(&q, "group"), now);
out:
	free(cookie);
	free(body);
	evhttp_clear_headers(&q);
	evhttp_clear_headers(&form);
}

/* ------------------------------------------------------------------ */
/* Links for the API: an item's action link and a board link. */

/* A JSON answer for the API. */
static void
web_json(struct evhttp_request *req, int status, json_t *o)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*s = json_dumps(o, JSON_COMPACT);

	evbuffer_add_printf(buf, "%s\n", s ? s : "{}");
	free(s);
	json_decref(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json; charset=utf-8");
	evhttp_send_reply(req, status, status < 300 ? "OK" : "Error", buf);
	evbuffer_free(buf);
}

static void
web_json_error(struct evhttp_request *req, int status, const char *msg)
{
	json_t	*o = json_object();

	json_object_set_new(o, "error", json_string(msg));
	web_json(req, status, o);
}

/*
 * GET /v1/links/items/ID: a fresh action link for an item (as a notice
 * would carry, for any stage); GET /v1/links/board: a board link.
 */
void
web_api_links(struct escalator *esc, struct evhttp_request *req,
    const char *path, int get)
{
	const struct config	*conf = esc->conf;
	struct item_row		 it;
	struct link		 l;
	json_t			*o;
	char			*tok, *url, *end, buf[32];
	long long		 id;
	int64_t			 now = (int64_t)time(NULL);
	int			 rc;

	if (!get) {
		web_json_error(req, 405, "method not allowed");
		return;
	}
	if (conf->public_url == NULL || conf->link_secret == NULL) {
		web_json_error(req, 404, "action links are off: set public_url"
		    " and link_secret_file");
		return;
	}
	memset(&l, 0, sizeof l);
	l.issued = now;
	l.expires = now + LINK_DAYS * 86400;
	if (strcmp(path, "/board") == 0) {
		if (!conf->board) {
			web_json_error(req, 404, "the board is off: set"
			    " board = true");
			return;
		}
		tok = web_board_token(conf, now, LINK_DAYS * 86400);
		if (tok == NULL) {
			web_json_error(req, 500, "cannot sign a link");
			return;
		}
		xasprintf(&url, "%s/board?t=%s", conf->public_url, tok);
	} else if (strncmp(path, "/items/", 7) == 0) {
		id = strtoll(path + 7, &end, 10);
		if (end == path + 7 || *end != '\0' || id <= 0) {
			web_json_error(req, 404, "no such endpoint");
			return;
		}
		if ((rc = store_item_get(esc->store, id, &it)) != 0) {
			web_json_error(req, rc < 0 ? 500 : 404, rc < 0 ?
			    "database error" : "no such item");
			return;
		}
		item_row_clear(&it);
		l.item = id;
		l.actions = LINK_NOTICE;
		l.role = (int)ROLE_ADMIN + 1;
		l.salt = (unsigned)(now & 0xffff);
		if ((tok = link_make(conf->link_secret, &l)) == NULL) {
			web_json_error(req, 500, "cannot sign a link");
			return;
		}
		xasprintf(&url, "%s/a/%s", conf->public_url, tok);
	} else {
		web_json_error(req, 404, "no such endpoint");
		return;
	}
	free(tok);
	o = json_object();
	json_object_set_new(o, "url", json_string(url));
	rules_format(l.expires, buf, sizeof buf);
	json_object_set_new(o, "expires", json_string(buf));
	free(url);
	web_json(req, 200, o);
}

/*
 * Serve a request of the TCP listener when it is for a page: 1 when
 * answered, 0 when it is not a page's (the API then answers it).
 */
int
web_request(struct escalator *esc, struct evhttp_request *req)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (esc->conf->public_url == NULL || path == NULL)
		return (0);
	if (strncmp(path, "/a/", 3) == 0) {
		if (strchr(path + 3, '/') != NULL || path[3] == '\0')
			web_message(req, 404, "链接无效。");
		else
			web_link(esc, req, path + 3);
		return (1);
	}
	if (esc->conf->board && (strcmp(path, "/board") == 0 ||
	    strncmp(path, "/board/", 7) == 0)) {
		web_board(esc, req, path + 6);
		return (1);
	}
	return (0);
}
