/*
 * Answers from signed action links: what the forms of the pages do, in
 * the caller's transaction.  签收 records an acknowledgement of the stage
 * the link came with (the step passes over that stage's repeats on the
 * same working day); 反馈进展 and 已办结 are item_event()'s "progress"
 * and "done", the same paths as `item progress` and `item done`;
 * 申请中止计时 records a pending request and posts it to the group
 * leader's chat with a link to decide it, and only an approval stops the
 * clock, through item_event()'s "suspend".  Every answer is kept with its
 * actor (the name entered, the role the link was made for, the client
 * address and user agent) and logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

#define ANSWER_NAME_MAX		64	/* bytes of a name entered */
#define ANSWER_NOTE_MAX		2000	/* bytes of a note or reason */

/* The store failed: a 500 with its message. */
static int
answer_dberr(struct store *s, struct api_error *e)
{
	api_error_set(e, 500, NULL, "数据库错误：%s", store_error(s));
	return (-1);
}

/* The name of the stage of any of an item's tracks whose tag is tag
 * (malloc'd), or NULL when none stands there now.  -1 on a store error. */
struct answer_stage_ctx {
	unsigned	 tag;
	char		*name;
};

static int
answer_stage_cb(void *arg, const struct track_row *t)
{
	struct answer_stage_ctx	*c = arg;

	if (t->stage_name != NULL && t->stage >= 0 &&
	    link_stage_tag(t->stage_name) == c->tag) {
		c->name = xstrdup(t->stage_name);
		return (1);
	}
	return (0);
}

/* Whether a text is present and within max bytes of valid UTF-8. */
static int
answer_text_ok(const char *v, size_t max)
{
	return (v != NULL && *v != '\0' && strlen(v) <= max &&
	    utf8_valid(v, strlen(v)));
}

void
answer_check_clear(struct answer_check *c)
{
	item_row_clear(&c->item);
	answer_row_clear(&c->request);
	free(c->stage);
	memset(c, 0, sizeof *c);
}

/*
 * Check a link for an action (0: only that it may be shown) at now: its
 * signature, expiry, the action, the item and its stage, a request to
 * decide, and whether it was used.  Errors are plain Chinese sentences
 * with a 4xx status.
 */
int
answer_check(const struct config *conf, struct store *s, const char *token,
    unsigned action, int64_t now, struct answer_check *c,
    struct api_error *e)
{
	struct answer_stage_ctx	 sc;
	const char		*use;
	int			 rc;

	memset(c, 0, sizeof *c);
	if (conf->link_secret == NULL ||
	    link_parse(conf->link_secret, token, &c->link) != 0) {
		api_error_set(e, 403, NULL, "链接无效：签名不符或已损坏，"
		    "请使用通知中的原始链接。");
		return (-1);
	}
	if (link_expired(&c->link, now)) {
		api_error_set(e, 410, NULL, "链接已过期，请以最新一条通知中的"
		    "链接办理。");
		return (-1);
	}
	if (action != 0 && (c->link.actions & action) == 0) {
		api_error_set(e, 403, NULL, "此链接不能用于“%s”。",
		    link_action_label(action));
		return (-1);
	}
	if (c->link.item == 0)
		return (0);	/* the board */
	if ((rc = store_item_get(s, c->link.item, &c->item)) != 0) {
		if (rc < 0)
			return (answer_dberr(s, e));
		api_error_set(e, 404, NULL, "该事项已不存在。");
		return (-1);
	}
	if (c->link.actions & LINK_DECIDE) {
		if ((rc = store_answer_get(s, c->link.ref, &c->request)) != 0) {
			if (rc < 0)
				return (answer_dberr(s, e));
			api_error_set(e, 404, NULL, "该中止计时申请已不存在。");
			return (-1);
		}
		if (c->request.item_id != c->link.item ||
		    strcmp(c->request.kind, "stop") != 0) {
			api_error_set(e, 403, NULL, "链接无效：与申请不符。");
			return (-1);
		}
		if (strcmp(c->request.status, "pending") != 0) {
			api_error_set(e, 409, NULL, "该申请已处理：%s。",
			    strcmp(c->request.status, "approved") == 0 ?
			    "已同意中止计时" : "未同意中止计时");
			return (-1);
		}
		use = "decide";
	} else {
		if (strcmp(c->item.status, STATUS_DONE) == 0) {
			api_error_set(e, 409, NULL, "该事项已办结，无需再办理。");
			return (-1);
		}
		if (!model_status_open(c->item.status)) {
			api_error_set(e, 409, NULL, "该事项%s，无需办理。",
			    strcmp(c->item.status, STATUS_CANCELLED) == 0 ?
			    "已撤销" : "尚未受理");
			return (-1);
		}
		if (action == LINK_STOP &&
		    strcmp(c->item.status, STATUS_SUSPENDED) == 0) {
			api_error_set(e, 409, NULL, "该事项已中止计时（%s），"
			    "无需再申请。", c->item.suspend_reason ?
			    c->item.suspend_reason : "");
			return (-1);
		}
		if (c->link.stage != 0) {
			sc.tag = c->link.stage;
			sc.name = NULL;
			if (store_track_each(s, c->item.id, answer_stage_cb,
			    &sc) != 0)
				return (answer_dberr(s, e));
			if (sc.name == NULL) {
				api_error_set(e, 410, NULL, "事项已进入其他催办"
				    "阶段，此链接已失效，请以最新通知中的链接"
				    "办理。");
				return (-1);
			}
			c->stage = sc.name;
		}
		use = action != 0 ? link_action_name(action) : NULL;
	}
	if (action != 0) {
		if ((rc = store_link_used(s, token, use)) < 0)
			return (answer_dberr(s, e));
		if (rc == 1) {
			api_error_set(e, 409, NULL, "此链接已用于“%s”，不能重复"
			    "提交。", (c->link.actions & LINK_DECIDE) ?
			    "审核中止计时申请" : link_action_label(action));
			return (-1);
		}
	}
	return (0);
}

/* Post a stop request to the group leader's chat with its decision
 * link; the admin channel when the group has no chat. */
static int
answer_stop_notice(const struct config *conf, struct store *s,
    const struct answer_check *c, const struct answer_row *a, int64_t now)
{
	const struct group	*g;
	const struct person	*leader;
	const struct channel	*ch;
	const char		*chname;
	struct link		 l;
	char			*tok, *url, *line, *title, *text;
	int			 rc;

	g = c->item.category ? config_group_for(conf, c->item.category) : NULL;
	chname = g != NULL && g->channel != NULL ? g->channel :
	    conf->admin_channel;
	if (chname == NULL || (ch = config_channel(conf, chname)) == NULL)
		return (store_log(s, now, c->item.id, c->item.project_code,
		    "stop-request", NULL, "no-recipient", "no chat for the"
		    " group leader"));
	leader = g != NULL && g->leader ? config_person(conf, g->leader) : NULL;
	memset(&l, 0, sizeof l);
	l.item = c->item.id;
	l.ref = a->id;
	l.actions = LINK_DECIDE;
	l.role = (int)ROLE_LEADER + 1;
	l.issued = now;
	l.expires = now + LINK_DAYS * 86400;
	l.salt = (unsigned)(a->id & 0xffff);
	if ((tok = link_make(conf->link_secret, &l)) == NULL)
		return (store_log(s, now, c->item.id, c->item.project_code,
		    "stop-request", chname, "no-link", "the request has no"
		    " link"));
	xasprintf(&url, "%s/a/%s", conf->public_url, tok);
	free(tok);
	line = message_link_line(ch, "审核：同意 / 不同意", url);
	free(url);
	xasprintf(&title, "【中止计时申请】%s｜%s", c->item.project_name ?
	    c->item.project_name : c->item.project_code, c->item.kind);
	xasprintf(&text, "【中止计时申请】\n项目：%s\n事项：%s（%s）\n"
	    "申请人：%s（%s）\n理由：%s\n请%s%s审核，同意后方中止计时。\n%s",
	    c->item.project_name ? c->item.project_name :
	    c->item.project_code, c->item.kind, c->item.department,
	    a->actor, a->role, a->note, leader ? "组长 @" : "组长",
	    leader ? leader->name : "", line);
	rc = enqueue_text(conf, s, chname, "stop-request", title, text,
	    "warning", now);
	free(line);
	free(title);
	free(text);
	return (rc);
}

/*
 * Apply one action through a checked link in the caller's transaction:
 * the one-shot use is claimed, the answer kept and logged with its
 * actor, and the item changed as the action says.  note: the feedback
 * or the reason; date: the day an item was done ("" today); decide:
 * approve (1) or reject (0) a stop request.
 */
int
answer_apply(const struct config *conf, struct store *s,
    struct answer_check *c, const char *token, unsigned action,
    const char *note, const char *date, const struct answer_who *who,
    int64_t now, struct api_error *e)
{
	struct answer_row	 a;
	int32_t			 day, today;
	int64_t			 at = now;
	const char		*use;
	char			*detail;
	int			 rc;

	if (!answer_text_ok(who->name, ANSWER_NAME_MAX)) {
		api_error_set(e, 400, "name", "请填写您的姓名（不超过%d字节）。",
		    ANSWER_NAME_MAX);
		return (-1);
	}
	if ((action == LINK_PROGRESS || action == LINK_STOP) &&
	    !answer_text_ok(note, ANSWER_NOTE_MAX)) {
		api_error_set(e, 400, "note", action == LINK_PROGRESS ?
		    "请填写办理进展。" : "请填写中止计时的理由（如补正材料、"
		    "专家评审）。");
		return (-1);
	}
	if (note != NULL && strlen(note) > ANSWER_NOTE_MAX) {
		api_error_set(e, 400, "note", "内容过长。");
		return (-1);
	}
	rules_split(now, &today, NULL);
	if (action == LINK_DONE && date != NULL && *date != '\0') {
		if (calendar_parse_date(date, &day) != 0) {
			api_error_set(e, 400, "date", "办结日期格式应为"
			    " YYYY-MM-DD。");
			return (-1);
		}
		if (day > today) {
			api_error_set(e, 400, "date", "办结日期不能晚于今天。");
			return (-1);
		}
		if (day < today)
			at = rules_local(day, 12 * 3600);
		if (c->item.accepted_at > 0 && at < c->item.accepted_at) {
			api_error_set(e, 400, "date", "办结日期不能早于受理"
			    "日期。");
			return (-1);
		}
	}
	use = action & LINK_DECIDE ? "decide" : link_action_name(action);
	if ((rc = store_link_use(s, token, use, now)) < 0)
		return (answer_dberr(s, e));
	if (rc == 1) {
		api_error_set(e, 409, NULL, "此链接已使用，不能重复提交。");
		return (-1);
	}
	memset(&a, 0, sizeof a);
	a.item_id = c->item.id;
	a.stage = c->stage;
	a.day = today;
	a.actor = (char *)(uintptr_t)who->name;
	a.role = (char *)(uintptr_t)link_role_name(c->link.role);
	a.addr = (char *)(uintptr_t)(who->addr ? who->addr : "");
	a.agent = (char *)(uintptr_t)(who->agent ? who->agent : "");
	a.at = now;
	switch (action) {
	case LINK_ACK:
		a.kind = (char *)(uintptr_t)"ack";
		break;
	case LINK_PROGRESS:
		a.kind = (char *)(uintptr_t)"progress";
		a.note = (char *)(uintptr_t)note;
		if (item_event(conf, s, c->item.id, "progress", NULL, note, now,
		    now, e) != 0)
			return (-1);
		break;
	case LINK_DONE:
		a.kind = (char *)(uintptr_t)"done";
		a.note = (char *)(uintptr_t)(note && *note ? note : NULL);
		if (item_event(conf, s, c->item.id, "done", NULL, note, at, now,
		    e) != 0)
			return (-1);
		break;
	case LINK_STOP:
		a.kind = (char *)(uintptr_t)"stop";
		a.note = (char *)(uintptr_t)note;
		a.status = (char *)(uintptr_t)"pending";
		break;
	case LINK_APPROVE:
	case LINK_REJECT:
		a.kind = (char *)(uintptr_t)(action == LINK_APPROVE ?
		    "approve" : "reject");
		a.note = c->request.note;
		if ((rc = store_answer_decide(s, c->request.id, action ==
		    LINK_APPROVE ? "approved" : "rejected", now,
		    who->name)) < 0)
			return (answer_dberr(s, e));
		if (rc == 1) {
			api_error_set(e, 409, NULL, "该申请已处理。");
			return (-1);
		}
		/* The clock stops only now, as `item suspend` stops it. */
		if (action == LINK_APPROVE &&
		    strcmp(c->item.status, STATUS_ACCEPTED) != 0) {
			api_error_set(e, 409, NULL, "该事项当前%s，不能中止计时。",
			    strcmp(c->item.status, STATUS_SUSPENDED) == 0 ?
			    "已中止计时" : "已办结或已撤销");
			return (-1);
		}
		if (action == LINK_APPROVE && item_event(conf, s, c->item.id,
		    "suspend", c->request.note, NULL, now, now, e) != 0)
			return (-1);
		break;
	default:
		api_error_set(e, 400, NULL, "未知操作。");
		return (-1);
	}
	if (store_answer_add(s, &a) != 0)
		return (answer_dberr(s, e));
	xasprintf(&detail, "%s by %s (%s) from %s, %s%s%s",
	    link_action_label(action), who->name, a.role, a.addr, a.agent,
	    a.note ? ": " : "", a.note ? a.note : "");
	rc = store_log(s, now, c->item.id, c->item.project_code, c->stage,
	    NULL, a.kind, detail);
	log_action(store_actor(s), c->item.id, c->item.project_code, c->stage,
	    NULL, a.kind, "%s", detail);
	free(detail);
	if (rc != 0)
		return (answer_dberr(s, e));
	if (action == LINK_STOP && answer_stop_notice(conf, s, c, &a, now) != 0)
		return (answer_dberr(s, e));
	return (0);
}
