/*
 * Pure channel layer: builds the HTTP request for one message to a WeCom,
 * DingTalk or Feishu group robot or a generic JSON webhook, and judges the
 * vendor's answer.  The robots answer HTTP 200 even on failure, so the
 * verdict comes from the JSON body (see docs WEBHOOKS.md).  No globals, no
 * clocks (the caller passes now_ms), no sockets, no logging; keys and
 * secrets never reach an error message or a redacted URL.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "escalator.h"

/* The one content type every vendor expects. */
#define CHANNEL_CONTENT_TYPE	"Content-Type: application/json"

/* DingTalk actionCard button caption. */
#define CHANNEL_CARD_BUTTON	"查看详情"

static const char *const channel_type_names[] = {
	[CHANNEL_WECOM] = "wecom",
	[CHANNEL_DINGTALK] = "dingtalk",
	[CHANNEL_FEISHU] = "feishu",
	[CHANNEL_WEBHOOK] = "webhook",
};

static const char *const channel_format_names[] = {
	[FORMAT_DEFAULT] = "default",
	[FORMAT_TEXT] = "text",
	[FORMAT_MARKDOWN] = "markdown",
	[FORMAT_ACTIONCARD] = "actioncard",
	[FORMAT_POST] = "post",
	[FORMAT_CARD] = "card",
	[FORMAT_JSON] = "json",
};

static const char *const delivery_outcome_names[] = {
	[DELIVERY_OK] = "ok",
	[DELIVERY_RETRY] = "retry",
	[DELIVERY_RATE_LIMITED] = "rate-limited",
	[DELIVERY_PERMANENT] = "permanent",
	[DELIVERY_AUTH] = "auth",
};

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

static int	channel_error(char **, const char *, ...) PRINTFLIKE(2, 3);
static void	channel_append(char **, const char *, ...) PRINTFLIKE(2, 3);

/* The configuration name of a channel type. */
const char *
channel_type_name(enum channel_type type)
{
	if ((size_t)type >= NITEMS(channel_type_names))
		return ("unknown");
	return (channel_type_names[type]);
}

/* Parse a channel type name; -1 if unknown. */
int
channel_type_parse(const char *s, enum channel_type *type)
{
	size_t	i;

	for (i = 0; i < NITEMS(channel_type_names); i++) {
		if (strcmp(s, channel_type_names[i]) == 0) {
			*type = (enum channel_type)i;
			return (0);
		}
	}
	return (-1);
}

/* The configuration name of a message format. */
const char *
channel_format_name(enum channel_format format)
{
	if ((size_t)format >= NITEMS(channel_format_names))
		return ("unknown");
	return (channel_format_names[format]);
}

/* Parse a message format name; -1 if unknown. */
int
channel_format_parse(const char *s, enum channel_format *format)
{
	size_t	i;

	for (i = 0; i < NITEMS(channel_format_names); i++) {
		if (strcmp(s, channel_format_names[i]) == 0) {
			*format = (enum channel_format)i;
			return (0);
		}
	}
	return (-1);
}

/* The vendor endpoint without credentials; NULL for generic webhooks. */
const char *
channel_default_url(enum channel_type type)
{
	switch (type) {
	case CHANNEL_WECOM:
		return ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send");
	case CHANNEL_DINGTALK:
		return ("https://oapi.dingtalk.com/robot/send");
	case CHANNEL_FEISHU:
		return ("https://open.feishu.cn/open-apis/bot/v2/hook");
	case CHANNEL_WEBHOOK:
		break;
	}
	return (NULL);
}

/* Byte limit for the message text so the whole request is accepted:
 * WeCom limits the content itself, DingTalk and Feishu the whole body
 * (20000 bytes / 20 KB), so leave room there for JSON and mentions. */
size_t
channel_default_max_bytes(enum channel_type type, enum channel_format format)
{
	switch (type) {
	case CHANNEL_WECOM:
		return (format == FORMAT_TEXT ? 2048 : 4096);
	case CHANNEL_DINGTALK:
	case CHANNEL_FEISHU:
		return (18000);
	case CHANNEL_WEBHOOK:
		break;
	}
	return (65536);
}

/* The byte limit a channel's message text is split to: its max_bytes,
 * or its type's default when none was set. */
size_t
channel_max_bytes(const struct channel *ch)
{
	if (ch->max_bytes != 0)
		return (ch->max_bytes);
	return (channel_default_max_bytes(ch->type, ch->format));
}

/* The vendor's limit a message is split to: WeCom's on the content (4096
 * bytes markdown, 2048 text), DingTalk's on the whole body (20000 bytes),
 * Feishu's on the whole body (20 KB, counted as 20000); max_bytes if set. */
size_t
channel_limit(const struct channel *ch)
{
	if (ch->max_bytes != 0)
		return (ch->max_bytes);
	switch (ch->type) {
	case CHANNEL_WECOM:
		return (ch->format == FORMAT_TEXT ? 2048 : 4096);
	case CHANNEL_DINGTALK:
	case CHANNEL_FEISHU:
		return (20000);
	case CHANNEL_WEBHOOK:
		break;
	}
	return (65536);
}

/*
 * How an app can notify a person: WeCom and DingTalk by their own user id
 * when the person has one, else by mobile; Feishu only by its user id; a
 * generic webhook passes the mobile on.  One way per person, never both
 * (DingTalk would mention twice).  A reason when there is none.
 */
const char *
channel_mention(enum channel_type type, const struct person *p,
    const char **uid, const char **mobile)
{
	*uid = NULL;
	*mobile = NULL;
	switch (type) {
	case CHANNEL_WECOM:
		*uid = p->wecom;
		break;
	case CHANNEL_DINGTALK:
		*uid = p->dingtalk;
		break;
	case CHANNEL_FEISHU:
		if ((*uid = p->feishu) == NULL)
			return ("Feishu mentions only by user id and the person"
			    " has no 'feishu'");
		return (NULL);
	case CHANNEL_WEBHOOK:
		*mobile = p->mobile;
		return (p->mobile == NULL ? "the person has no 'mobile'" :
		    NULL);
	}
	if (*uid == NULL)
		*mobile = p->mobile;
	if (*uid == NULL && *mobile == NULL)
		return (type == CHANNEL_WECOM ? "the person has neither"
		    " 'wecom' nor 'mobile'" : "the person has neither"
		    " 'dingtalk' nor 'mobile'");
	return (NULL);
}

/* Set *err (if wanted) to a formatted message and return -1. */
static int
channel_error(char **err, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL) {
		va_start(ap, fmt);
		xvasprintf(err, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/* Append formatted text to a malloc'd string, replacing it. */
static void
channel_append(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*more, *both;

	va_start(ap, fmt);
	xvasprintf(&more, fmt, ap);
	va_end(ap);
	xasprintf(&both, "%s%s", *s, more);
	free(more);
	free(*s);
	*s = both;
}

/* Percent-encode everything but unreserved characters (so "+", "/" and
 * "=" of base64 too); malloc'd, NULL only if libcurl fails. */
static char *
channel_escape(const char *s)
{
	char	*e, *copy;

	/* Since libcurl 7.82 the handle is ignored and may be NULL. */
	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		return (NULL);
	copy = xstrdup(e);
	curl_free(e);
	return (copy);
}

/* The name to use for a channel in error messages. */
static const char *
channel_label(const struct channel *c)
{
	return (c->name != NULL ? c->name : channel_type_name(c->type));
}

/* Resolve FORMAT_DEFAULT and aliases to the format actually sent; -1 if
 * the type cannot carry the format. */
static int
channel_resolve_format(enum channel_type type, enum channel_format format,
    const struct message *m, enum channel_format *out)
{
	switch (type) {
	case CHANNEL_WECOM:
		if (format == FORMAT_DEFAULT)
			format = FORMAT_MARKDOWN;
		if (format != FORMAT_TEXT && format != FORMAT_MARKDOWN)
			return (-1);
		break;
	case CHANNEL_DINGTALK:
		if (format == FORMAT_DEFAULT)
			format = FORMAT_MARKDOWN;
		/* No link, no button: an action card falls back to markdown. */
		if (format == FORMAT_ACTIONCARD &&
		    (m->link == NULL || *m->link == '\0'))
			format = FORMAT_MARKDOWN;
		if (format != FORMAT_TEXT && format != FORMAT_MARKDOWN &&
		    format != FORMAT_ACTIONCARD)
			return (-1);
		break;
	case CHANNEL_FEISHU:
		/* Feishu has markdown only inside interactive cards. */
		if (format == FORMAT_DEFAULT || format == FORMAT_MARKDOWN)
			format = FORMAT_CARD;
		if (format != FORMAT_TEXT && format != FORMAT_POST &&
		    format != FORMAT_CARD)
			return (-1);
		break;
	case CHANNEL_WEBHOOK:
		if (format == FORMAT_DEFAULT)
			format = FORMAT_JSON;
		if (format != FORMAT_JSON)
			return (-1);
		break;
	default:
		return (-1);
	}
	*out = format;
	return (0);
}

/* Check every string of a message is valid UTF-8, which JSON requires. */
static int
channel_check_utf8(const struct channel *c, const struct message *m,
    char **err)
{
	const char	*one[] = { m->title, m->text, m->severity, m->link };
	size_t		 i;

	for (i = 0; i < NITEMS(one); i++) {
		if (one[i] != NULL && !utf8_valid(one[i], strlen(one[i])))
			goto bad;
	}
	for (i = 0; i < m->nmobiles; i++) {
		if (!utf8_valid(m->mobiles[i], strlen(m->mobiles[i])))
			goto bad;
	}
	for (i = 0; i < m->nuserids; i++) {
		if (!utf8_valid(m->userids[i], strlen(m->userids[i])))
			goto bad;
	}
	for (i = 0; i < c->nkeywords; i++) {
		if (!utf8_valid(c->keywords[i], strlen(c->keywords[i])))
			goto bad;
	}
	return (0);
bad:
	return (channel_error(err, "channel %s: message is not valid UTF-8",
	    channel_label(c)));
}

/* A JSON array of strings; NULL if jansson fails. */
static json_t *
channel_strings(const char *const *v, size_t n)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

/* The message text with the first configured keyword appended when no
 * keyword occurs in it (or in the title, when the title is sent): the
 * robot rejects messages without one.  Malloc'd. */
static char *
channel_keyword_text(const struct channel *c, const char *text,
    const char *title)
{
	char	*s;
	size_t	 i;

	s = xstrdup(text != NULL ? text : "");
	if (c->nkeywords == 0)
		return (s);
	for (i = 0; i < c->nkeywords; i++) {
		if (strstr(s, c->keywords[i]) != NULL)
			return (s);
		if (title != NULL && strstr(title, c->keywords[i]) != NULL)
			return (s);
	}
	channel_append(&s, "%s%s", *s != '\0' ? "\n\n" : "", c->keywords[0]);
	return (s);
}

/* Return 1 if the text already mentions "@who" (not just a longer id
 * starting with it). */
static int
channel_mentioned(const char *text, const char *at)
{
	const char	*p;
	size_t		 n = strlen(at);

	for (p = text; (p = strstr(p, at)) != NULL; p++) {
		if (!isalnum((unsigned char)p[n]) && p[n] != '_' &&
		    p[n] != '-')
			return (1);
	}
	return (0);
}

/* Append " @who" for each DingTalk mention not already in the text: the
 * mention only renders when it also appears in the content. */
static void
channel_dingtalk_mentions(char **s, const char *sep, const struct message *m)
{
	const char	*const *lists[2] = { m->mobiles, m->userids };
	size_t		 counts[2] = { m->nmobiles, m->nuserids };
	char		*at;
	size_t		 l, i;
	int		 first = 1;

	for (l = 0; l < 2; l++) {
		for (i = 0; i < counts[l]; i++) {
			xasprintf(&at, "@%s", lists[l][i]);
			if (!channel_mentioned(*s, at)) {
				channel_append(s, "%s%s", first ? sep : " ",
				    at);
				first = 0;
			}
			free(at);
		}
	}
}

/* Serialize the payload into the request (UTF-8 as is, no \u escapes);
 * takes the reference to root. */
static int
channel_finish(const struct channel *c, json_t *root, struct http_request *req,
    char **err)
{
	if (root == NULL)
		return (channel_error(err, "channel %s: cannot build payload",
		    channel_label(c)));
	req->body = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (req->body == NULL)
		return (channel_error(err, "channel %s: cannot build payload",
		    channel_label(c)));
	req->bodylen = strlen(req->body);
	req->headers[0] = xstrdup(CHANNEL_CONTENT_TYPE);
	return (0);
}

/* The separator between the endpoint and a query parameter. */
static const char *
channel_query_sep(const char *url)
{
	return (strchr(url, '?') != NULL ? "&" : "?");
}

/* WeCom markdown content: the text, then <@userid> for each mention by
 * user id (mobiles cannot be mentioned there).  Malloc'd. */
static char *
channel_wecom_markdown(const struct message *m)
{
	char	*content;
	size_t	 i;

	content = xstrdup(m->text != NULL ? m->text : "");
	for (i = 0; i < m->nuserids; i++) {
		channel_append(&content, "%s<@%s>",
		    i == 0 ? (*content != '\0' ? "\n\n" : "") : " ",
		    m->userids[i]);
	}
	return (content);
}

/* WeCom: key in the query; markdown mentions are <@userid> in the content
 * (mobiles cannot be mentioned there), text mentions are separate lists. */
static int
channel_build_wecom(const struct channel *c, const struct message *m,
    enum channel_format format, struct http_request *req, char **err)
{
	json_t	*root;
	char	*key, *content;

	if ((key = channel_escape(c->key)) == NULL)
		return (channel_error(err, "channel %s: cannot encode URL",
		    channel_label(c)));
	xasprintf(&req->url, "%s%skey=%s", c->url, channel_query_sep(c->url),
	    key);
	free(key);

	if (format == FORMAT_TEXT) {
		root = json_pack("{s:s, s:{s:s, s:o, s:o}}",
		    "msgtype", "text",
		    "text",
		    "content", m->text != NULL ? m->text : "",
		    "mentioned_list", channel_strings(m->userids, m->nuserids),
		    "mentioned_mobile_list",
		    channel_strings(m->mobiles, m->nmobiles));
		return (channel_finish(c, root, req, err));
	}

	content = channel_wecom_markdown(m);
	root = json_pack("{s:s, s:{s:s}}",
	    "msgtype", "markdown",
	    "markdown", "content", content);
	free(content);
	return (channel_finish(c, root, req, err));
}

/* DingTalk: access token in the query, plus a fresh timestamp and
 * signature when the robot has a signing secret. */
static int
channel_build_dingtalk(const struct channel *c, const struct message *m,
    enum channel_format format, int64_t now_ms, struct http_request *req,
    char **err)
{
	json_t		*root;
	const char	*title = m->title != NULL ? m->title : "";
	char		*token, *sign, *esign, *text;

	if ((token = channel_escape(c->key)) == NULL)
		return (channel_error(err, "channel %s: cannot encode URL",
		    channel_label(c)));
	if (c->secret != NULL && *c->secret != '\0') {
		if ((sign = sign_dingtalk(c->secret, now_ms)) == NULL) {
			free(token);
			return (channel_error(err, "channel %s: cannot sign",
			    channel_label(c)));
		}
		esign = channel_escape(sign);
		free(sign);
		if (esign == NULL) {
			free(token);
			return (channel_error(err,
			    "channel %s: cannot encode URL", channel_label(c)));
		}
		xasprintf(&req->url, "%s%saccess_token=%s&timestamp=%" PRId64
		    "&sign=%s", c->url, channel_query_sep(c->url), token,
		    now_ms, esign);
		free(esign);
	} else {
		xasprintf(&req->url, "%s%saccess_token=%s", c->url,
		    channel_query_sep(c->url), token);
	}
	free(token);

	switch (format) {
	case FORMAT_TEXT:
		text = channel_keyword_text(c, m->text, NULL);
		channel_dingtalk_mentions(&text, *text != '\0' ? " " : "", m);
		root = json_pack("{s:s, s:{s:s}, s:{s:o, s:o, s:b}}",
		    "msgtype", "text",
		    "text", "content", text,
		    "at",
		    "atMobiles", channel_strings(m->mobiles, m->nmobiles),
		    "atUserIds", channel_strings(m->userids, m->nuserids),
		    "isAtAll", 0);
		break;
	case FORMAT_ACTIONCARD:
		/* Action cards cannot mention anyone. */
		text = channel_keyword_text(c, m->text, title);
		root = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}",
		    "msgtype", "actionCard",
		    "actionCard",
		    "title", title,
		    "text", text,
		    "singleTitle", CHANNEL_CARD_BUTTON,
		    "singleURL", m->link);
		break;
	default:
		text = channel_keyword_text(c, m->text, title);
		channel_dingtalk_mentions(&text, *text != '\0' ? "\n\n" : "",
		    m);
		root = json_pack("{s:s, s:{s:s, s:s}, s:{s:o, s:o, s:b}}",
		    "msgtype", "markdown",
		    "markdown", "title", title, "text", text,
		    "at",
		    "atMobiles", channel_strings(m->mobiles, m->nmobiles),
		    "atUserIds", channel_strings(m->userids, m->nuserids),
		    "isAtAll", 0);
		break;
	}
	free(text);
	return (channel_finish(c, root, req, err));
}

/* Append a run of post text, bold or not, to a post line. */
static int
channel_post_text(json_t *line, const char *p, size_t n, int bold)
{
	json_t	*el;

	if (n == 0)
		return (0);
	if (bold)
		el = json_pack("{s:s, s:s%, s:[s]}", "tag", "text", "text", p,
		    n, "style", "bold");
	else
		el = json_pack("{s:s, s:s%}", "tag", "text", "text", p, n);
	return (json_array_append_new(line, el));
}

/*
 * One line of card markdown as a post paragraph: the post shows no
 * markdown, so **bold** becomes its bold style, [text](url) a link, and
 * <font ...> tags go.  An empty line stays an empty text.
 */
static json_t *
channel_post_line(const char *p, size_t n)
{
	json_t		*line;
	const char	*end = p + n, *run = p, *q, *r;
	int		 bold = 0, rc = 0;

	if ((line = json_array()) == NULL)
		return (NULL);
	while (p < end && rc == 0) {
		if (end - p >= 2 && p[0] == '*' && p[1] == '*') {
			rc = channel_post_text(line, run, (size_t)(p - run),
			    bold);
			bold = !bold;
			run = p += 2;
		} else if (*p == '[' && (q = memchr(p, ']', (size_t)(end -
		    p))) != NULL && q + 1 < end && q[1] == '(' &&
		    (r = memchr(q, ')', (size_t)(end - q))) != NULL) {
			rc = channel_post_text(line, run, (size_t)(p - run),
			    bold);
			if (rc == 0)
				rc = json_array_append_new(line, json_pack(
				    "{s:s, s:s%, s:s%}", "tag", "a", "text",
				    p + 1, (size_t)(q - p - 1), "href", q + 2,
				    (size_t)(r - q - 2)));
			run = p = r + 1;
		} else if (*p == '<' && (strncmp(p, "<font", 5) == 0 ||
		    strncmp(p, "</font>", 7) == 0) &&
		    (q = memchr(p, '>', (size_t)(end - p))) != NULL) {
			rc = channel_post_text(line, run, (size_t)(p - run),
			    bold);
			run = p = q + 1;
		} else
			p++;
	}
	if (rc == 0)
		rc = channel_post_text(line, run, (size_t)(end - run), bold);
	if (rc == 0 && json_array_size(line) == 0)
		rc = json_array_append_new(line, json_pack("{s:s, s:s}",
		    "tag", "text", "text", ""));
	if (rc != 0) {
		json_decref(line);
		return (NULL);
	}
	return (line);
}

/* Feishu rich text: one paragraph per line, then one of @-mentions. */
static json_t *
channel_feishu_post(const char *title, const char *text,
    const struct message *m)
{
	json_t		*lines, *line, *ats;
	const char	*p, *nl;
	size_t		 n, i;

	if ((lines = json_array()) == NULL)
		return (NULL);
	for (p = text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((line = channel_post_line(p, n)) == NULL ||
		    json_array_append_new(lines, line) != 0)
			goto fail;
		if (*nl == '\0')
			break;
	}
	if (m->nuserids > 0) {
		if ((ats = json_array()) == NULL ||
		    json_array_append_new(lines, ats) != 0)
			goto fail;
		for (i = 0; i < m->nuserids; i++) {
			if (json_array_append_new(ats, json_pack("{s:s, s:s}",
			    "tag", "at", "user_id", m->userids[i])) != 0)
				goto fail;
		}
	}
	return (json_pack("{s:{s:{s:s, s:o}}}",
	    "post", "zh_cn", "title", title, "content", lines));
fail:
	json_decref(lines);
	return (NULL);
}

/* Feishu: token in the path; signature and timestamp (seconds, as a
 * string) at the top level of the body when the bot has a secret.  Only
 * user ids can be mentioned. */
static int
channel_build_feishu(const struct channel *c, const struct message *m,
    enum channel_format format, int64_t now_ms, struct http_request *req,
    char **err)
{
	json_t		*root;
	const char	*title = m->title != NULL ? m->title : "";
	const char	*sev = m->severity != NULL ? m->severity : "";
	const char	*template;
	char		*token, *text, *sign, ts[32];
	size_t		 i, len;

	if ((token = channel_escape(c->key)) == NULL)
		return (channel_error(err, "channel %s: cannot encode URL",
		    channel_label(c)));
	len = strlen(c->url);
	xasprintf(&req->url, "%s%s%s", c->url,
	    len > 0 && c->url[len - 1] == '/' ? "" : "/", token);
	free(token);

	switch (format) {
	case FORMAT_TEXT:
		text = channel_keyword_text(c, m->text, NULL);
		for (i = 0; i < m->nuserids; i++) {
			channel_append(&text, " <at user_id=\"%s\">%s</at>",
			    m->userids[i], m->userids[i]);
		}
		root = json_pack("{s:s, s:{s:s}}",
		    "msg_type", "text",
		    "content", "text", text);
		break;
	case FORMAT_POST:
		text = channel_keyword_text(c, m->text, title);
		root = json_pack("{s:s, s:o}",
		    "msg_type", "post",
		    "content", channel_feishu_post(title, text, m));
		break;
	default:
		text = channel_keyword_text(c, m->text, title);
		for (i = 0; i < m->nuserids; i++) {
			channel_append(&text, " <at id=%s></at>",
			    m->userids[i]);
		}
		if (strcmp(sev, "critical") == 0)
			template = "red";
		else if (strcmp(sev, "warning") == 0)
			template = "orange";
		else
			template = "blue";
		root = json_pack("{s:s, s:{s:{s:{s:s, s:s}, s:s}, s:[{s:s, "
		    "s:{s:s, s:s}}]}}",
		    "msg_type", "interactive",
		    "card",
		    "header",
		    "title", "tag", "plain_text", "content", title,
		    "template", template,
		    "elements",
		    "tag", "div",
		    "text", "tag", "lark_md", "content", text);
		break;
	}
	free(text);

	if (root != NULL && c->secret != NULL && *c->secret != '\0') {
		snprintf(ts, sizeof ts, "%" PRId64, now_ms / 1000);
		if ((sign = sign_feishu(c->secret, now_ms / 1000)) == NULL) {
			json_decref(root);
			return (channel_error(err, "channel %s: cannot sign",
			    channel_label(c)));
		}
		if (json_object_set_new(root, "timestamp",
		    json_string(ts)) != 0 ||
		    json_object_set_new(root, "sign", json_string(sign)) != 0) {
			json_decref(root);
			root = NULL;
		}
		free(sign);
	}
	return (channel_finish(c, root, req, err));
}

/* Generic webhook: our own JSON, signed over the exact body bytes with
 * X-Escalator-Signature when a secret is set. */
static int
channel_build_webhook(const struct channel *c, const struct message *m,
    struct http_request *req, char **err)
{
	struct jsonbuf	 b = { NULL, 0, 0 };
	const char	*ev = m->event_json;
	char		*sign;
	size_t		 evlen = 0;

	/*
	 * The event is the JSON object enqueue.c wrote with the message (the
	 * daemon's own, never a client's): it goes into the body as stored,
	 * neither parsed nor checked again (a grouped message lists hundreds
	 * of items).
	 */
	if (ev != NULL)
		evlen = strlen(ev);

	/*
	 * The body is written directly rather than dumped from a jansson
	 * tree: for a grouped message of 64 KB the dump cost more than the
	 * rest of the delivery.  The strings were checked to be UTF-8 above;
	 * jsonbuf escapes them as json_dumps() would, so the bytes are the
	 * same (tests/unit/check_channel.c holds an exact body).
	 */
	req->url = xstrdup(c->url);
	jsonbuf_puts(&b, "{\"title\":");
	jsonbuf_str_or_null(&b, m->title);
	jsonbuf_puts(&b, ",\"text\":");
	jsonbuf_str_or_null(&b, m->text);
	jsonbuf_puts(&b, ",\"severity\":");
	jsonbuf_str_or_null(&b, m->severity);
	jsonbuf_puts(&b, ",\"link\":");
	jsonbuf_str_or_null(&b, m->link);
	jsonbuf_puts(&b, ",\"mentions\":{\"mobiles\":");
	jsonbuf_strings(&b, m->mobiles, m->nmobiles);
	jsonbuf_puts(&b, ",\"userids\":");
	jsonbuf_strings(&b, m->userids, m->nuserids);
	jsonbuf_puts(&b, "},\"event\":");
	if (ev != NULL)
		jsonbuf_put(&b, ev, evlen);
	else
		jsonbuf_puts(&b, "null");
	jsonbuf_puts(&b, "}");
	req->body = b.p;
	req->bodylen = b.len;
	req->headers[0] = xstrdup(CHANNEL_CONTENT_TYPE);

	if (c->secret != NULL && *c->secret != '\0') {
		sign = sign_webhook(c->secret, req->body, req->bodylen);
		if (sign == NULL)
			return (channel_error(err, "channel %s: cannot sign",
			    channel_label(c)));
		xasprintf(&req->headers[1], "X-Escalator-Signature: sha256=%s",
		    sign);
		free(sign);
	}
	return (0);
}

/* The bytes of m as the vendor counts them against channel_limit(): the
 * WeCom content, the DingTalk or Feishu body (signed: a fixed time has
 * as many digits as now), a webhook's text.  0 if it cannot be built. */
size_t
channel_measure(const struct channel *c, const struct message *m)
{
	struct http_request	 req;
	struct channel		 cc;
	enum channel_format	 format;
	char			*content;
	size_t			 n;

	if (channel_resolve_format(c->type, m->format != FORMAT_DEFAULT ?
	    m->format : c->format, m, &format) != 0)
		return (0);
	switch (c->type) {
	case CHANNEL_WECOM:
		if (format == FORMAT_TEXT)
			return (m->text != NULL ? strlen(m->text) : 0);
		content = channel_wecom_markdown(m);
		n = strlen(content);
		free(content);
		return (n);
	case CHANNEL_WEBHOOK:
		return (m->text != NULL ? strlen(m->text) : 0);
	default:
		break;
	}
	/* The body does not depend on the URL or the key. */
	cc = *c;
	if (cc.url == NULL || *cc.url == '\0')
		cc.url = (char *)(uintptr_t)"https://measure.invalid/";
	if (cc.key == NULL || *cc.key == '\0')
		cc.key = (char *)(uintptr_t)"measure";
	if (channel_build(&cc, m, INT64_C(1700000000000), &req, NULL) != 0)
		return (0);
	n = req.bodylen;
	http_request_clear(&req);
	return (n);
}

/* Which mentions the request built for m carries: WeCom markdown only
 * user ids (<@id>), a DingTalk action card none, the rest both. */
void
channel_mentions_carried(const struct channel *c, const struct message *m,
    int *ids, int *mobiles)
{
	enum channel_format	 format;

	*ids = *mobiles = 1;
	if (channel_resolve_format(c->type, m->format != FORMAT_DEFAULT ?
	    m->format : c->format, m, &format) != 0)
		return;
	if (c->type == CHANNEL_WECOM && format == FORMAT_MARKDOWN)
		*mobiles = 0;
	if (c->type == CHANNEL_DINGTALK && format == FORMAT_ACTIONCARD)
		*ids = *mobiles = 0;
}

/* Build the request for one message at time now_ms: URL with credentials,
 * JSON body and headers.  -1 with *err (never holding a key or secret)
 * when the channel is incomplete or cannot carry the format. */
int
channel_build(const struct channel *c, const struct message *m,
    int64_t now_ms, struct http_request *req, char **err)
{
	enum channel_format	 format;
	int			 rc;

	memset(req, 0, sizeof *req);
	if (err != NULL)
		*err = NULL;

	if (c->url == NULL || *c->url == '\0')
		return (channel_error(err, "channel %s: no URL",
		    channel_label(c)));
	if (c->type != CHANNEL_WEBHOOK && (c->key == NULL || *c->key == '\0'))
		return (channel_error(err, "channel %s: no key",
		    channel_label(c)));
	if (channel_resolve_format(c->type, m->format != FORMAT_DEFAULT ?
	    m->format : c->format, m, &format) != 0)
		return (channel_error(err, "channel %s: format %s is not "
		    "supported by %s", channel_label(c),
		    channel_format_name(m->format != FORMAT_DEFAULT ?
		    m->format : c->format),
		    channel_type_name(c->type)));
	if (channel_check_utf8(c, m, err) != 0)
		return (-1);

	switch (c->type) {
	case CHANNEL_WECOM:
		rc = channel_build_wecom(c, m, format, req, err);
		break;
	case CHANNEL_DINGTALK:
		rc = channel_build_dingtalk(c, m, format, now_ms, req, err);
		break;
	case CHANNEL_FEISHU:
		rc = channel_build_feishu(c, m, format, now_ms, req, err);
		break;
	default:
		rc = channel_build_webhook(c, m, req, err);
		break;
	}
	if (rc != 0)
		http_request_clear(req);
	return (rc);
}

/* Free everything a request holds and zero it. */
void
http_request_clear(struct http_request *req)
{
	size_t	i;

	free(req->url);
	free(req->body);	/* from json_dumps: jansson's default malloc */
	for (i = 0; i < NITEMS(req->headers); i++)
		free(req->headers[i]);
	memset(req, 0, sizeof *req);
}

/* Case-insensitive prefix test. */
static int
channel_prefix(const char *s, const char *prefix)
{
	return (strncasecmp(s, prefix, strlen(prefix)) == 0);
}

/* Copy a vendor's message into msg as a short one-line reason: only the
 * text before WeCom's ", hint:" or DingTalk's ", more:", URLs replaced by
 * "[url]", credentials and query strings removed, cut on a character
 * boundary. */
static void
channel_reason(const char *in, char *msg, size_t msglen)
{
	static const char *const params[] = {
		"access_token=", "token=", "key=", "sign=", "secret=",
	};
	char		*work, *out, *cut;
	const char	*p, *q;
	size_t		 o, i, n, len;

	if (msg == NULL || msglen == 0)
		return;
	work = xstrdup(in);
	if ((cut = strstr(work, ", hint:")) != NULL ||
	    (cut = strstr(work, "hint:")) != NULL)
		*cut = '\0';
	if ((cut = strstr(work, "more info at")) != NULL ||
	    (cut = strstr(work, ", more:")) != NULL)
		*cut = '\0';

	/* Each 4-byte "key=" may grow by "***": twice the input is enough. */
	out = xmalloc(2 * strlen(work) + 8);
	o = 0;
	for (p = work; *p != '\0'; ) {
		if (channel_prefix(p, "http://") ||
		    channel_prefix(p, "https://")) {
			memcpy(out + o, "[url]", 5);
			o += 5;
			p += strcspn(p, " \t\"'<>,;)]");
			continue;
		}
		for (i = 0; i < NITEMS(params); i++) {
			if (channel_prefix(p, params[i]))
				break;
		}
		if (i < NITEMS(params)) {
			n = strlen(params[i]);
			memcpy(out + o, p, n);
			memcpy(out + o + n, "***", 3);
			o += n + 3;
			p += n;
			p += strcspn(p, " \t&\"',;)]");
			continue;
		}
		if (*p == '?' && isalnum((unsigned char)p[1])) {
			/* A query string such as "?e=93000": drop it. */
			q = p + 1 + strcspn(p + 1, " \t\"',;)]");
			if (memchr(p, '=', (size_t)(q - p)) != NULL) {
				p = q;
				continue;
			}
		}
		out[o++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
		p++;
	}
	/* Trim what the cuts left dangling. */
	while (o > 0 && strchr(" \t,;:", out[o - 1]) != NULL)
		o--;
	out[o] = '\0';

	len = utf8_cut(out, o, msglen - 1);
	memcpy(msg, out, len);
	msg[len] = '\0';
	free(out);
	free(work);
}

/* Set the outcome's code and reason and return the outcome. */
static enum delivery_outcome
channel_verdict(enum delivery_outcome outcome, long *code, long value,
    char *msg, size_t msglen, const char *reason)
{
	if (code != NULL)
		*code = value;
	if (msg != NULL && msglen > 0)
		channel_reason(reason, msg, msglen);
	return (outcome);
}

/* An integer member of a JSON object; 0 with *found = 0 when absent. */
static long
channel_json_long(json_t *obj, const char *name, int *found)
{
	json_t	*v;

	v = json_object_get(obj, name);
	if (v == NULL || !json_is_integer(v))
		return (*found = 0);
	*found = 1;
	return ((long)json_integer_value(v));
}

/* A string member of a JSON object, or NULL. */
static const char *
channel_json_string(json_t *obj, const char *name)
{
	return (json_string_value(json_object_get(obj, name)));
}

/* Map a vendor's error code to an outcome (WEBHOOKS.md lists them). */
static enum delivery_outcome
channel_vendor_outcome(enum channel_type type, long code)
{
	if (code == 0)
		return (DELIVERY_OK);
	switch (type) {
	case CHANNEL_WECOM:
		switch (code) {
		case -1:	/* system busy */
			return (DELIVERY_RETRY);
		case 93000:	/* invalid webhook key */
			return (DELIVERY_AUTH);
		case 45009:	/* frequency limit */
			return (DELIVERY_RATE_LIMITED);
		}
		return (DELIVERY_PERMANENT);	/* 40058 too long, ... */
	case CHANNEL_DINGTALK:
		switch (code) {
		case -1:	/* system busy */
			return (DELIVERY_RETRY);
		case 130101:	/* over 20 a minute: blocked 10 minutes */
			return (DELIVERY_RATE_LIMITED);
		case 310000:	/* keyword, signature, timestamp or IP */
		case 300001:	/* token does not exist */
		case 300005:
			return (DELIVERY_AUTH);
		}
		return (DELIVERY_PERMANENT);	/* 460101/101002 too long */
	case CHANNEL_FEISHU:
		switch (code) {
		case 11232:	/* rate limit */
			return (DELIVERY_RATE_LIMITED);
		case 19021:	/* signature or timestamp */
		case 19022:	/* IP not allowed */
		case 19024:	/* keyword not found */
			return (DELIVERY_AUTH);
		}
		return (DELIVERY_PERMANENT);	/* 9499 bad request, ... */
	default:
		return (DELIVERY_PERMANENT);
	}
}

/* What a vendor's error code means, in a few words for an administrator
 * (WEBHOOKS.md), or NULL when it is not one the vendor documents. */
const char *
channel_code_text(enum channel_type type, long code)
{
	switch (type) {
	case CHANNEL_WECOM:
		switch (code) {
		case 40058:
			return ("content too long");
		case 93000:
			return ("invalid webhook key");
		case 45009:
			return ("frequency limit");
		}
		break;
	case CHANNEL_DINGTALK:
		switch (code) {
		case 460101:
		case 101002:
			return ("content too long");
		case 310000:
			return ("keyword, signature, timestamp or IP refused");
		case 300001:
		case 300005:
			return ("token does not exist");
		case 130101:
			return ("send too fast");
		}
		break;
	case CHANNEL_FEISHU:
		switch (code) {
		case 9499:
			return ("bad request or content too long");
		case 19021:
			return ("signature mismatch or stale timestamp");
		case 19022:
			return ("IP not allowed");
		case 19024:
			return ("keyword not found");
		case 11232:
			return ("rate limit");
		}
		break;
	case CHANNEL_WEBHOOK:
		break;
	}
	return (NULL);
}

/* Read the vendor's code and message out of a JSON answer; -1 if it is not
 * a JSON object carrying a code. */
static int
channel_vendor_code(enum channel_type type, json_t *root, long *code,
    const char **text)
{
	int	 found;

	if (!json_is_object(root))
		return (-1);
	switch (type) {
	case CHANNEL_WECOM:
	case CHANNEL_DINGTALK:
		*code = channel_json_long(root, "errcode", &found);
		*text = channel_json_string(root, "errmsg");
		break;
	case CHANNEL_FEISHU:
		*code = channel_json_long(root, "code", &found);
		*text = channel_json_string(root, "msg");
		if (!found) {	/* old-style answer */
			*code = channel_json_long(root, "StatusCode", &found);
			*text = channel_json_string(root, "StatusMessage");
		}
		break;
	default:
		*code = channel_json_long(root, "errcode", &found);
		if (!found || *code == 0)
			*code = channel_json_long(root, "code", &found);
		/* Many in-house receivers answer {"code":200} on success. */
		if (found && *code == 200)
			*code = 0;
		if ((*text = channel_json_string(root, "errmsg")) == NULL &&
		    (*text = channel_json_string(root, "msg")) == NULL)
			*text = channel_json_string(root, "message");
		break;
	}
	return (found ? 0 : -1);
}

/* Judge one response.  The robots answer 200 even on failure, so the JSON
 * body decides; HTTP status decides only transport-level failures. */
enum delivery_outcome
channel_judge(enum channel_type type, int curl_ok, long http_status,
    const char *body, size_t len, long *code, char *msg, size_t msglen)
{
	enum delivery_outcome	 outcome;
	json_t			*root = NULL;
	json_error_t		 jerr;
	const char		*text = NULL;
	char			 reason[64];
	long			 vcode = 0;
	int			 have;

	if (!curl_ok)
		return (channel_verdict(DELIVERY_RETRY, code, 0, msg, msglen,
		    "connection error"));
	snprintf(reason, sizeof reason, "HTTP %ld", http_status);
	if (http_status >= 500)
		return (channel_verdict(DELIVERY_RETRY, code, http_status, msg,
		    msglen, reason));
	if (http_status == 429)
		return (channel_verdict(DELIVERY_RATE_LIMITED, code,
		    http_status, msg, msglen, reason));
	if (http_status == 408)
		return (channel_verdict(DELIVERY_RETRY, code, http_status, msg,
		    msglen, reason));

	if (body != NULL && len > 0)
		root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
	have = channel_vendor_code(type, root, &vcode, &text) == 0;

	if (http_status < 200 || http_status > 299) {
		/* A vendor code in an error answer says more than a status. */
		if (type != CHANNEL_WEBHOOK && have && vcode != 0) {
			outcome = channel_vendor_outcome(type, vcode);
			goto vendor;
		}
		json_decref(root);
		if (http_status == 401 || http_status == 403)
			outcome = DELIVERY_AUTH;
		else
			outcome = DELIVERY_PERMANENT;
		return (channel_verdict(outcome, code, http_status, msg,
		    msglen, reason));
	}

	if (type == CHANNEL_WEBHOOK) {
		/* Any 2xx is success unless the body reports an error. */
		if (have && vcode != 0) {
			outcome = DELIVERY_PERMANENT;
			goto vendor;
		}
		json_decref(root);
		return (channel_verdict(DELIVERY_OK, code, http_status, msg,
		    msglen, "ok"));
	}
	if (!have) {
		json_decref(root);
		return (channel_verdict(DELIVERY_RETRY, code, 0, msg, msglen,
		    "unparseable response"));
	}
	outcome = channel_vendor_outcome(type, vcode);

vendor:
	if (text == NULL || *text == '\0') {
		snprintf(reason, sizeof reason, "error %ld", vcode);
		text = reason;
	}
	channel_verdict(outcome, code, vcode, msg, msglen, text);
	json_decref(root);
	return (outcome);
}

/* Remove userinfo, query and fragment from a URL (malloc'd); mark a
 * removed query with "?***" when wanted. */
static char *
channel_strip_url(const char *url, int mark_query)
{
	const char	*p, *auth, *end, *at;
	char		*out;
	size_t		 n;

	if ((p = strstr(url, "://")) != NULL) {
		auth = p + 3;
		end = auth + strcspn(auth, "/?#");
		at = NULL;
		for (p = auth; p < end; p++) {
			if (*p == '@')
				at = p;
		}
		if (at != NULL)
			xasprintf(&out, "%.*s%s", (int)(auth - url), url,
			    at + 1);
		else
			out = xstrdup(url);
	} else
		out = xstrdup(url);

	n = strcspn(out, "?#");
	if (out[n] == '?' && mark_query) {
		out[n] = '\0';
		channel_append(&out, "?***");
	} else
		out[n] = '\0';
	return (out);
}

/* The channel's URL with its credentials replaced by "***", safe to log
 * (malloc'd). */
char *
channel_redact(const struct channel *c)
{
	char	*url;
	size_t	 len;

	if (c->url == NULL || *c->url == '\0')
		return (xstrdup("(no url)"));
	url = channel_strip_url(c->url, c->type == CHANNEL_WEBHOOK);
	switch (c->type) {
	case CHANNEL_WECOM:
		channel_append(&url, "?key=***");
		break;
	case CHANNEL_DINGTALK:
		channel_append(&url, "?access_token=***");
		break;
	case CHANNEL_FEISHU:
		len = strlen(url);
		channel_append(&url, "%s***",
		    len > 0 && url[len - 1] == '/' ? "" : "/");
		break;
	case CHANNEL_WEBHOOK:
		break;
	}
	return (url);
}

/* The log name of a delivery outcome. */
const char *
delivery_outcome_name(enum delivery_outcome outcome)
{
	if ((size_t)outcome >= NITEMS(delivery_outcome_names))
		return ("unknown");
	return (delivery_outcome_names[outcome]);
}

/* Wait before the attempts-th retry after a transient failure: exponential
 * from 2 s to 5 min, +-25 % from rnd so that senders do not retry in
 * lockstep. */
int64_t
channel_backoff_ms(int attempts, uint32_t rnd)
{
	int64_t	 base = 2000, cap = 300000, d;

	d = base << (attempts > 8 ? 8 : attempts - 1 < 0 ? 0 : attempts - 1);
	if (d > cap)
		d = cap;
	return (d * 3 / 4 + (int64_t)(rnd % (uint64_t)(d / 2 + 1)));
}

/* How long a vendor's rate limit holds the whole channel: DingTalk blocks
 * a robot for 10 minutes, Feishu for a moment, others about a minute. */
int64_t
channel_block_ms(enum channel_type type)
{
	switch (type) {
	case CHANNEL_DINGTALK:
		return (600000);
	case CHANNEL_FEISHU:
		return (2000);
	case CHANNEL_WECOM:
	case CHANNEL_WEBHOOK:
		break;
	}
	return (60000);
}

/* Extra wait before a send at now_ms that would otherwise go at once:
 * Feishu asks senders to avoid the busy :00 and :30 seconds. */
int64_t
channel_send_delay_ms(enum channel_type type, int64_t now_ms)
{
	if (type == CHANNEL_FEISHU && (now_ms / 1000) % 30 == 0)
		return (1100);
	return (0);
}

/* What to do after an answer judged out, for the attempts-th attempt (rnd
 * jitters the backoff): the message's status and log outcome, when to try
 * again, whether the wait holds the channel, whether to pause it. */
void
channel_plan(enum channel_type type, enum delivery_outcome out, int attempts,
    uint32_t rnd, struct delivery_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	switch (out) {
	case DELIVERY_OK:
		plan->status = "sent";
		plan->outcome = "sent";
		break;
	case DELIVERY_RETRY:
		plan->status = "queued";
		plan->outcome = "retry";
		plan->wait_ms = channel_backoff_ms(attempts, rnd);
		break;
	case DELIVERY_RATE_LIMITED:
		plan->status = "queued";
		plan->outcome = "rate-limited";
		plan->wait_ms = channel_block_ms(type);
		plan->block = 1;
		break;
	case DELIVERY_AUTH:
		plan->pause = 1;
		/* FALLTHROUGH */
	case DELIVERY_PERMANENT:
	default:
		plan->status = "failed";
		plan->outcome = "failed";
		break;
	}
}
