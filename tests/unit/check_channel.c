/*
 * Unit tests for channel.c: payload shapes for every channel type and
 * format (parsed back with jansson), signing in the built URL or body,
 * build errors, response judging with real vendor answers and URL
 * redaction.  (UTF-8 validation and cutting: check_utf8.c.)
 *
 * Signature strings were computed independently with Python 3's standard
 * library (hmac, hashlib, base64, urllib.parse.quote / quote_plus), never
 * with the code under test.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "escalator.h"

#define SECRET		"SEC0123456789abcdef"
#define WECOM_URL	"https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
#define DING_URL	"https://oapi.dingtalk.com/robot/send"
#define FEISHU_URL	"https://open.feishu.cn/open-apis/bot/v2/hook"

static const char *const mobiles[] = { "13800000000", "13900000000" };
static const char *const userids[] = { "u1", "u2" };
static const char *const feishu_ids[] = { "ou_1" };

/* A channel of the given type and format with a key and no secret. */
static struct channel
test_channel(enum channel_type type, enum channel_format format,
    const char *key)
{
	struct channel	c;

	memset(&c, 0, sizeof c);
	c.name = (char *)(uintptr_t)"ops";
	c.type = type;
	c.format = format;
	c.url = (char *)(uintptr_t)channel_default_url(type);
	c.key = (char *)(uintptr_t)key;
	c.window = -1;
	return (c);
}

/* A message with a Chinese title and text and no mentions. */
static struct message
test_message(void)
{
	struct message	m;

	memset(&m, 0, sizeof m);
	m.title = "审批超时";
	m.text = "3 项审批逾期\n请尽快处理";
	m.severity = "warning";
	return (m);
}

/* Build a request that must succeed and parse its body back. */
static json_t *
build_ok(const struct channel *c, const struct message *m, int64_t now,
    struct http_request *req)
{
	json_error_t	 jerr;
	json_t		*root;
	char		*err = NULL;
	int		 rc;

	rc = channel_build(c, m, now, req, &err);
	ck_assert_msg(rc == 0, "channel_build failed: %s", err ? err : "?");
	ck_assert_ptr_null(err);
	ck_assert_ptr_nonnull(req->url);
	ck_assert_ptr_nonnull(req->body);
	ck_assert_uint_eq(req->bodylen, strlen(req->body));
	ck_assert_str_eq(req->headers[0], "Content-Type: application/json");
	/* Chinese goes out as UTF-8, never as \u escapes. */
	ck_assert_ptr_null(strstr(req->body, "\\u"));
	root = json_loadb(req->body, req->bodylen, 0, &jerr);
	ck_assert_msg(root != NULL, "bad JSON: %s", jerr.text);
	return (root);
}

/* Build a request that must fail; the error must not leak the secrets. */
static void
build_fails(const struct channel *c, const struct message *m)
{
	struct http_request	 req;
	char			*err = NULL;

	ck_assert_int_eq(channel_build(c, m, 1700000000000LL, &req, &err), -1);
	ck_assert_ptr_nonnull(err);
	if (c->key != NULL && *c->key != '\0')
		ck_assert_ptr_null(strstr(err, c->key));
	if (c->secret != NULL)
		ck_assert_ptr_null(strstr(err, c->secret));
	ck_assert_ptr_null(req.url);
	ck_assert_ptr_null(req.body);
	ck_assert_ptr_null(req.headers[0]);
	free(err);
}

/* A string at a slash-separated path in a JSON document, or NULL. */
static const char *
jstr(json_t *root, const char *path)
{
	char	*copy, *part, *save;
	json_t	*v = root;

	copy = strdup(path);
	for (part = strtok_r(copy, "/", &save); part != NULL && v != NULL;
	    part = strtok_r(NULL, "/", &save))
		v = json_object_get(v, part);
	free(copy);
	return (json_string_value(v));
}

/* The value at a slash-separated path in a JSON document, or NULL. */
static json_t *
jget(json_t *root, const char *path)
{
	char	*copy, *part, *save;
	json_t	*v = root;

	copy = strdup(path);
	for (part = strtok_r(copy, "/", &save); part != NULL && v != NULL;
	    part = strtok_r(NULL, "/", &save))
		v = json_object_get(v, part);
	free(copy);
	return (v);
}

/* Check a JSON array holds exactly the given strings. */
static void
check_strings(json_t *a, const char *const *v, size_t n)
{
	size_t	i;

	ck_assert_msg(json_is_array(a), "not an array");
	ck_assert_uint_eq(json_array_size(a), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(json_string_value(json_array_get(a, i)), v[i]);
}

/* ------------------------------------------------------------------ */

/* Type, format and outcome names round-trip; unknown names fail. */
START_TEST(test_names)
{
	enum channel_type	t;
	enum channel_format	f;
	const char		*types[] = { "wecom", "dingtalk", "feishu",
				    "webhook" };
	const char		*formats[] = { "default", "text", "markdown",
				    "actioncard", "post", "card", "json" };
	size_t			i;

	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(channel_type_parse(types[i], &t), 0);
		ck_assert_int_eq(t, (int)i);
		ck_assert_str_eq(channel_type_name(t), types[i]);
	}
	for (i = 0; i < 7; i++) {
		ck_assert_int_eq(channel_format_parse(formats[i], &f), 0);
		ck_assert_int_eq(f, (int)i);
		ck_assert_str_eq(channel_format_name(f), formats[i]);
	}
	ck_assert_int_eq(channel_type_parse("slack", &t), -1);
	ck_assert_int_eq(channel_type_parse("WeCom", &t), -1);
	ck_assert_int_eq(channel_format_parse("html", &f), -1);
	ck_assert_int_eq(channel_format_parse("", &f), -1);

	ck_assert_str_eq(delivery_outcome_name(DELIVERY_OK), "ok");
	ck_assert_str_eq(delivery_outcome_name(DELIVERY_RETRY), "retry");
	ck_assert_str_eq(delivery_outcome_name(DELIVERY_RATE_LIMITED),
	    "rate-limited");
	ck_assert_str_eq(delivery_outcome_name(DELIVERY_PERMANENT),
	    "permanent");
	ck_assert_str_eq(delivery_outcome_name(DELIVERY_AUTH), "auth");
}
END_TEST

/* Default endpoints and text byte limits per vendor. */
START_TEST(test_defaults)
{
	ck_assert_str_eq(channel_default_url(CHANNEL_WECOM), WECOM_URL);
	ck_assert_str_eq(channel_default_url(CHANNEL_DINGTALK), DING_URL);
	ck_assert_str_eq(channel_default_url(CHANNEL_FEISHU), FEISHU_URL);
	ck_assert_ptr_null(channel_default_url(CHANNEL_WEBHOOK));

	ck_assert_uint_eq(channel_default_max_bytes(CHANNEL_WECOM,
	    FORMAT_DEFAULT), 4096);
	ck_assert_uint_eq(channel_default_max_bytes(CHANNEL_WECOM,
	    FORMAT_MARKDOWN), 4096);
	ck_assert_uint_eq(channel_default_max_bytes(CHANNEL_WECOM,
	    FORMAT_TEXT), 2048);
	/* Body limits of 20000 bytes / 20 KB, minus room for the JSON. */
	ck_assert_uint_lt(channel_default_max_bytes(CHANNEL_DINGTALK,
	    FORMAT_DEFAULT), 20000);
	ck_assert_uint_ge(channel_default_max_bytes(CHANNEL_DINGTALK,
	    FORMAT_TEXT), 16000);
	ck_assert_uint_lt(channel_default_max_bytes(CHANNEL_FEISHU,
	    FORMAT_CARD), 20000);
	ck_assert_uint_ge(channel_default_max_bytes(CHANNEL_FEISHU,
	    FORMAT_POST), 16000);
	ck_assert_uint_eq(channel_default_max_bytes(CHANNEL_WEBHOOK,
	    FORMAT_JSON), 65536);
}
END_TEST

/* ------------------------------------------------------------------ */
/* WeCom */

/* WeCom markdown: escaped key in the URL, <@userid> in the content. */
START_TEST(test_wecom_markdown)
{
	struct channel		c = test_channel(CHANNEL_WECOM, FORMAT_DEFAULT,
				    "k/ey+=&?中");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;

	m.mobiles = mobiles;
	m.nmobiles = 2;
	m.userids = userids;
	m.nuserids = 2;
	root = build_ok(&c, &m, 1700000000000LL, &req);

	/* python3: urllib.parse.quote("k/ey+=&?中", safe="") */
	ck_assert_str_eq(req.url, WECOM_URL "?key=k%2Fey%2B%3D%26%3F%E4%B8%AD");
	ck_assert_ptr_null(req.headers[1]);
	ck_assert_str_eq(jstr(root, "msgtype"), "markdown");
	/* Userids as <@id> in the content; mobiles cannot be mentioned. */
	ck_assert_str_eq(jstr(root, "markdown/content"),
	    "3 项审批逾期\n请尽快处理\n\n<@u1> <@u2>");
	ck_assert_ptr_null(strstr(req.body, "13800000000"));
	ck_assert_ptr_null(jget(root, "markdown/mentioned_list"));
	ck_assert_uint_eq(json_object_size(root), 2);
	json_decref(root);
	http_request_clear(&req);
	ck_assert_ptr_null(req.url);
	ck_assert_ptr_null(req.body);

	/* No mentions: the content is the text untouched. */
	c.format = FORMAT_MARKDOWN;
	m.nuserids = 0;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "markdown/content"), m.text);
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* One way per person and app; a reason when the app cannot notify. */
START_TEST(test_mention_plan)
{
	struct person	 p;
	const char	*uid, *mob;

	memset(&p, 0, sizeof p);
	p.mobile = (char *)(uintptr_t)"13800000001";
	p.dingtalk = (char *)(uintptr_t)"dt1";
	ck_assert_ptr_null(channel_mention(CHANNEL_DINGTALK, &p, &uid, &mob));
	ck_assert_str_eq(uid, "dt1");
	ck_assert_ptr_null(mob);	/* never twice */
	ck_assert_ptr_null(channel_mention(CHANNEL_WECOM, &p, &uid, &mob));
	ck_assert_ptr_null(uid);
	ck_assert_str_eq(mob, "13800000001");
	ck_assert_ptr_nonnull(channel_mention(CHANNEL_FEISHU, &p, &uid, &mob));
	p.feishu = (char *)(uintptr_t)"ou_1";
	ck_assert_ptr_null(channel_mention(CHANNEL_FEISHU, &p, &uid, &mob));
	ck_assert_str_eq(uid, "ou_1");
	p.mobile = NULL;
	ck_assert_ptr_nonnull(channel_mention(CHANNEL_WECOM, &p, &uid, &mob));
}
END_TEST

/* What is measured is what is sent: the WeCom content with its <@id>s,
 * a DingTalk body with its @mobiles and keyword; a follow-up as text. */
START_TEST(test_measure)
{
	struct channel		c = test_channel(CHANNEL_WECOM, FORMAT_MARKDOWN,
				    "k");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;
	int			ids, mobs;

	m.userids = userids;
	m.nuserids = 2;
	m.mobiles = mobiles;
	m.nmobiles = 2;
	ck_assert_uint_eq(channel_measure(&c, &m),
	    strlen(m.text) + strlen("\n\n<@u1> <@u2>"));
	ck_assert_uint_eq(channel_limit(&c), 4096);
	channel_mentions_carried(&c, &m, &ids, &mobs);
	ck_assert(ids && !mobs);
	m.format = FORMAT_TEXT;
	channel_mentions_carried(&c, &m, &ids, &mobs);
	ck_assert(ids && mobs);
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "msgtype"), "text");
	ck_assert_uint_eq(json_array_size(jget(root,
	    "text/mentioned_mobile_list")), 2);
	json_decref(root);
	http_request_clear(&req);

	c = test_channel(CHANNEL_DINGTALK, FORMAT_MARKDOWN, "t");
	m.format = FORMAT_DEFAULT;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_uint_eq(channel_measure(&c, &m), req.bodylen);
	ck_assert_uint_eq(channel_limit(&c), 20000);
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* A Feishu post shows no raw markdown: bold is its style, links its tag. */
START_TEST(test_feishu_post_markdown)
{
	struct channel		c = test_channel(CHANNEL_FEISHU, FORMAT_POST,
				    "t");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;

	m.text = "1、**项目甲**｜<font color=\"warning\">逾期</font> [详情](https://x.invalid/1)";
	root = build_ok(&c, &m, 0, &req);
	ck_assert_ptr_null(strstr(req.body, "**"));
	ck_assert_ptr_null(strstr(req.body, "<font"));
	ck_assert_ptr_nonnull(strstr(req.body,
	    "{\"tag\":\"text\",\"text\":\"项目甲\",\"style\":[\"bold\"]}"));
	ck_assert_ptr_nonnull(strstr(req.body,
	    "{\"tag\":\"a\",\"text\":\"详情\",\"href\":\"https://x.invalid/1\"}"));
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* WeCom text: mentions as separate userid and mobile lists. */
START_TEST(test_wecom_text)
{
	struct channel		c = test_channel(CHANNEL_WECOM, FORMAT_TEXT,
				    "KEY123");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;

	m.mobiles = mobiles;
	m.nmobiles = 2;
	m.userids = userids;
	m.nuserids = 1;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(req.url, WECOM_URL "?key=KEY123");
	ck_assert_str_eq(jstr(root, "msgtype"), "text");
	ck_assert_str_eq(jstr(root, "text/content"), m.text);
	check_strings(jget(root, "text/mentioned_list"), userids, 1);
	check_strings(jget(root, "text/mentioned_mobile_list"), mobiles, 2);
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* WeCom: foreign formats, missing key or URL and bad UTF-8 fail. */
START_TEST(test_wecom_errors)
{
	struct channel	c = test_channel(CHANNEL_WECOM, FORMAT_ACTIONCARD,
			    "KEY123");
	struct message	m = test_message();

	build_fails(&c, &m);
	c.format = FORMAT_POST;
	build_fails(&c, &m);
	c.format = FORMAT_CARD;
	build_fails(&c, &m);
	c.format = FORMAT_JSON;
	build_fails(&c, &m);
	c.format = FORMAT_DEFAULT;
	c.key = NULL;
	build_fails(&c, &m);
	c.key = (char *)(uintptr_t)"";
	build_fails(&c, &m);
	c.key = (char *)(uintptr_t)"KEY123";
	c.url = NULL;
	build_fails(&c, &m);
	c.url = (char *)(uintptr_t)"";
	build_fails(&c, &m);
	/* JSON strings must be UTF-8. */
	c.url = (char *)(uintptr_t)WECOM_URL;
	m.text = "bad \xe4\xb8 cut";
	build_fails(&c, &m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* DingTalk */

/* DingTalk markdown: title, mentions in the text and in "at". */
START_TEST(test_dingtalk_markdown)
{
	struct channel		c = test_channel(CHANNEL_DINGTALK,
				    FORMAT_DEFAULT, "tok+en");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;

	m.mobiles = mobiles;
	m.nmobiles = 2;
	m.userids = userids;
	m.nuserids = 1;
	root = build_ok(&c, &m, 1700000000000LL, &req);
	/* No secret: no timestamp or sign. */
	ck_assert_str_eq(req.url, DING_URL "?access_token=tok%2Ben");
	ck_assert_str_eq(jstr(root, "msgtype"), "markdown");
	ck_assert_str_eq(jstr(root, "markdown/title"), "审批超时");
	/* Mentions must also appear in the text to render. */
	ck_assert_str_eq(jstr(root, "markdown/text"),
	    "3 项审批逾期\n请尽快处理\n\n@13800000000 @13900000000 @u1");
	check_strings(jget(root, "at/atMobiles"), mobiles, 2);
	check_strings(jget(root, "at/atUserIds"), userids, 1);
	ck_assert(json_is_false(jget(root, "at/isAtAll")));
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* DingTalk signing: timestamp and URL-encoded sign in the query. */
START_TEST(test_dingtalk_signed)
{
	struct channel		c = test_channel(CHANNEL_DINGTALK,
				    FORMAT_MARKDOWN, "TOKEN");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;

	c.secret = (char *)(uintptr_t)SECRET;
	/*
	 * python3: urllib.parse.quote_plus(base64.b64encode(hmac.new(
	 *     b"SEC0123456789abcdef", b"1700000000000\nSEC0123456789abcdef",
	 *     hashlib.sha256).digest()))
	 */
	root = build_ok(&c, &m, 1700000000000LL, &req);
	ck_assert_str_eq(req.url, DING_URL "?access_token=TOKEN"
	    "&timestamp=1700000000000"
	    "&sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D");
	ck_assert_ptr_null(strstr(req.body, SECRET));
	json_decref(root);
	http_request_clear(&req);

	/* Signed afresh per call; this one has "+", "/" and "=" (same
	 * computation with 1700000000002). */
	root = build_ok(&c, &m, 1700000000002LL, &req);
	ck_assert_str_eq(req.url, DING_URL "?access_token=TOKEN"
	    "&timestamp=1700000000002"
	    "&sign=VGvd0brDJp%2FnMZtR%2BXnA3yBIlhowT%2BTwkRPua0q1%2Fjg%3D");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* DingTalk text: " @mobile" appended once per mention. */
START_TEST(test_dingtalk_text)
{
	struct channel		c = test_channel(CHANNEL_DINGTALK,
				    FORMAT_TEXT, "TOKEN");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;

	m.mobiles = mobiles;
	m.nmobiles = 2;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "msgtype"), "text");
	ck_assert_str_eq(jstr(root, "text/content"),
	    "3 项审批逾期\n请尽快处理 @13800000000 @13900000000");
	check_strings(jget(root, "at/atMobiles"), mobiles, 2);
	check_strings(jget(root, "at/atUserIds"), userids, 0);
	ck_assert(json_is_false(jget(root, "at/isAtAll")));
	ck_assert_ptr_null(jget(root, "markdown"));
	json_decref(root);
	http_request_clear(&req);

	/* A mention already in the text is not repeated. */
	m.text = "请 @13900000000 处理";
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "text/content"),
	    "请 @13900000000 处理 @13800000000");
	json_decref(root);
	http_request_clear(&req);

	/* A longer id that starts with the mention does not count. */
	m.text = "@138000000001 处理";
	m.nmobiles = 1;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "text/content"),
	    "@138000000001 处理 @13800000000");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* DingTalk keywords: appended only when none occurs. */
START_TEST(test_dingtalk_keywords)
{
	struct channel		c = test_channel(CHANNEL_DINGTALK,
				    FORMAT_MARKDOWN, "TOKEN");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;
	char			*kw[] = { (char *)(uintptr_t)"告警",
				    (char *)(uintptr_t)"逾期" };

	/* Missing: the first keyword is appended on its own line. */
	c.keywords = kw;
	c.nkeywords = 1;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "markdown/text"),
	    "3 项审批逾期\n请尽快处理\n\n告警");
	json_decref(root);
	http_request_clear(&req);

	/* Any configured keyword present: untouched. */
	c.nkeywords = 2;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "markdown/text"), m.text);
	json_decref(root);
	http_request_clear(&req);

	/* In the markdown title: untouched. */
	c.nkeywords = 1;
	m.title = "告警: 审批超时";
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "markdown/text"), m.text);
	json_decref(root);
	http_request_clear(&req);

	/* Text messages send no title, so the title does not count; the
	 * keyword goes before the mentions. */
	c.format = FORMAT_TEXT;
	m.mobiles = mobiles;
	m.nmobiles = 1;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "text/content"),
	    "3 项审批逾期\n请尽快处理\n\n告警 @13800000000");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* DingTalk action card with a button, markdown without a link. */
START_TEST(test_dingtalk_actioncard)
{
	struct channel		c = test_channel(CHANNEL_DINGTALK,
				    FORMAT_ACTIONCARD, "TOKEN");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;
	char			*kw[] = { (char *)(uintptr_t)"告警" };

	m.link = "https://oa.example.com/items?id=7";
	c.keywords = kw;
	c.nkeywords = 1;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "msgtype"), "actionCard");
	ck_assert_str_eq(jstr(root, "actionCard/title"), "审批超时");
	ck_assert_str_eq(jstr(root, "actionCard/text"),
	    "3 项审批逾期\n请尽快处理\n\n告警");
	ck_assert_str_eq(jstr(root, "actionCard/singleTitle"), "查看详情");
	ck_assert_str_eq(jstr(root, "actionCard/singleURL"), m.link);
	json_decref(root);
	http_request_clear(&req);

	/* No link, no button: falls back to markdown. */
	m.link = NULL;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "msgtype"), "markdown");
	ck_assert_str_eq(jstr(root, "markdown/title"), "审批超时");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* DingTalk: foreign formats and a missing token fail. */
START_TEST(test_dingtalk_errors)
{
	struct channel	c = test_channel(CHANNEL_DINGTALK, FORMAT_POST,
			    "TOKEN");
	struct message	m = test_message();

	c.secret = (char *)(uintptr_t)SECRET;
	build_fails(&c, &m);
	c.format = FORMAT_CARD;
	build_fails(&c, &m);
	c.format = FORMAT_JSON;
	build_fails(&c, &m);
	c.format = FORMAT_TEXT;
	c.key = NULL;
	build_fails(&c, &m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Feishu */

/* Feishu card: header colour by severity, lark_md body with <at>. */
START_TEST(test_feishu_card)
{
	struct channel		c = test_channel(CHANNEL_FEISHU,
				    FORMAT_DEFAULT, "hook-token");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root, *el;
	const char		*sev[] = { "critical", "warning", "info",
				    NULL };
	const char		*tpl[] = { "red", "orange", "blue", "blue" };
	size_t			i;

	m.userids = feishu_ids;
	m.nuserids = 1;
	m.mobiles = mobiles;
	m.nmobiles = 1;
	for (i = 0; i < 4; i++) {
		m.severity = sev[i];
		root = build_ok(&c, &m, 1700000000123LL, &req);
		ck_assert_str_eq(req.url, FEISHU_URL "/hook-token");
		ck_assert_str_eq(jstr(root, "msg_type"), "interactive");
		ck_assert_str_eq(jstr(root, "card/header/title/tag"),
		    "plain_text");
		ck_assert_str_eq(jstr(root, "card/header/title/content"),
		    "审批超时");
		ck_assert_str_eq(jstr(root, "card/header/template"), tpl[i]);
		el = json_array_get(jget(root, "card/elements"), 0);
		ck_assert_uint_eq(json_array_size(jget(root,
		    "card/elements")), 1);
		ck_assert_str_eq(jstr(el, "tag"), "div");
		ck_assert_str_eq(jstr(el, "text/tag"), "lark_md");
		ck_assert_str_eq(jstr(el, "text/content"),
		    "3 项审批逾期\n请尽快处理 <at id=ou_1></at>");
		/* No secret: no signature. */
		ck_assert_ptr_null(jget(root, "timestamp"));
		ck_assert_ptr_null(jget(root, "sign"));
		/* Feishu cannot mention by mobile. */
		ck_assert_ptr_null(strstr(req.body, "13800000000"));
		json_decref(root);
		http_request_clear(&req);
	}

	/* "markdown" means a card: markdown exists only inside cards. */
	c.format = FORMAT_MARKDOWN;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "msg_type"), "interactive");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* Feishu signing: timestamp (seconds, a string) and sign in the body. */
START_TEST(test_feishu_signed)
{
	struct channel		c = test_channel(CHANNEL_FEISHU, FORMAT_CARD,
				    "hook-token");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;

	c.secret = (char *)(uintptr_t)SECRET;
	/*
	 * Seconds, not milliseconds: 1700000000123 ms -> "1700000000".
	 * python3: base64.b64encode(hmac.new(
	 *     b"1700000000\nSEC0123456789abcdef", b"",
	 *     hashlib.sha256).digest())
	 */
	root = build_ok(&c, &m, 1700000000123LL, &req);
	ck_assert_str_eq(req.url, FEISHU_URL "/hook-token");
	ck_assert(json_is_string(jget(root, "timestamp")));
	ck_assert_str_eq(jstr(root, "timestamp"), "1700000000");
	ck_assert_str_eq(jstr(root, "sign"),
	    "PiO7POLlSx/DM2qf8Dy/XCWeJK3exVnevp5G99LEN2M=");
	ck_assert_str_eq(jstr(root, "msg_type"), "interactive");
	ck_assert_ptr_null(strstr(req.body, SECRET));
	ck_assert_ptr_null(strstr(req.url, "sign"));
	json_decref(root);
	http_request_clear(&req);

	/* Every format is signed the same way. */
	c.format = FORMAT_TEXT;
	root = build_ok(&c, &m, 1700000000999LL, &req);
	ck_assert_str_eq(jstr(root, "timestamp"), "1700000000");
	ck_assert_str_eq(jstr(root, "sign"),
	    "PiO7POLlSx/DM2qf8Dy/XCWeJK3exVnevp5G99LEN2M=");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* Feishu text: <at user_id> mentions, token appended to the path. */
START_TEST(test_feishu_text)
{
	struct channel		c = test_channel(CHANNEL_FEISHU, FORMAT_TEXT,
				    "hook-token");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;
	char			*kw[] = { (char *)(uintptr_t)"审批" };

	c.url = (char *)(uintptr_t)FEISHU_URL "/";	/* no double slash */
	m.userids = feishu_ids;
	m.nuserids = 1;
	c.keywords = kw;
	c.nkeywords = 1;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(req.url, FEISHU_URL "/hook-token");
	ck_assert_str_eq(jstr(root, "msg_type"), "text");
	/* The keyword is present: nothing appended. */
	ck_assert_str_eq(jstr(root, "content/text"),
	    "3 项审批逾期\n请尽快处理 <at user_id=\"ou_1\">ou_1</at>");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* Feishu post: one paragraph per line, then a line of mentions. */
START_TEST(test_feishu_post)
{
	struct channel		c = test_channel(CHANNEL_FEISHU, FORMAT_POST,
				    "hook-token");
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root, *lines, *line, *el;
	char			*kw[] = { (char *)(uintptr_t)"告警" };

	m.userids = userids;
	m.nuserids = 2;
	c.keywords = kw;
	c.nkeywords = 1;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(jstr(root, "msg_type"), "post");
	ck_assert_str_eq(jstr(root, "content/post/zh_cn/title"), "审批超时");
	lines = jget(root, "content/post/zh_cn/content");
	ck_assert(json_is_array(lines));
	/* Two lines, blank line, keyword line, mentions line. */
	ck_assert_uint_eq(json_array_size(lines), 5);
	line = json_array_get(lines, 0);
	ck_assert_uint_eq(json_array_size(line), 1);
	ck_assert_str_eq(jstr(json_array_get(line, 0), "tag"), "text");
	ck_assert_str_eq(jstr(json_array_get(line, 0), "text"),
	    "3 项审批逾期");
	ck_assert_str_eq(jstr(json_array_get(json_array_get(lines, 1), 0),
	    "text"), "请尽快处理");
	ck_assert_str_eq(jstr(json_array_get(json_array_get(lines, 2), 0),
	    "text"), "");
	ck_assert_str_eq(jstr(json_array_get(json_array_get(lines, 3), 0),
	    "text"), "告警");
	line = json_array_get(lines, 4);
	ck_assert_uint_eq(json_array_size(line), 2);
	el = json_array_get(line, 0);
	ck_assert_str_eq(jstr(el, "tag"), "at");
	ck_assert_str_eq(jstr(el, "user_id"), "u1");
	ck_assert_str_eq(jstr(json_array_get(line, 1), "user_id"), "u2");
	json_decref(root);
	http_request_clear(&req);

	/* The keyword in the title counts; a trailing newline adds no
	 * empty paragraph; no mentions, no mentions line. */
	m.title = "告警";
	m.text = "one\r\ntwo\n";
	m.nuserids = 0;
	root = build_ok(&c, &m, 0, &req);
	lines = jget(root, "content/post/zh_cn/content");
	ck_assert_uint_eq(json_array_size(lines), 2);
	ck_assert_str_eq(jstr(json_array_get(json_array_get(lines, 0), 0),
	    "text"), "one");
	ck_assert_str_eq(jstr(json_array_get(json_array_get(lines, 1), 0),
	    "text"), "two");
	json_decref(root);
	http_request_clear(&req);
}
END_TEST

/* Feishu: foreign formats and a missing token fail. */
START_TEST(test_feishu_errors)
{
	struct channel	c = test_channel(CHANNEL_FEISHU, FORMAT_ACTIONCARD,
			    "hook-token");
	struct message	m = test_message();

	c.secret = (char *)(uintptr_t)SECRET;
	build_fails(&c, &m);
	c.format = FORMAT_JSON;
	build_fails(&c, &m);
	c.format = FORMAT_CARD;
	c.key = NULL;
	build_fails(&c, &m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Generic webhook */

/* Generic webhook: exact body, HMAC header, event passthrough. */
START_TEST(test_webhook)
{
	struct channel		c = test_channel(CHANNEL_WEBHOOK,
				    FORMAT_DEFAULT, NULL);
	struct message		m = test_message();
	struct http_request	req;
	json_t			*root;
	const char		*expect;

	c.url = (char *)(uintptr_t)"https://hooks.example.com/in?x=1";
	m.text = "3 项逾期";
	m.mobiles = mobiles;
	m.nmobiles = 1;
	/* The daemon stores its events compact; they pass through as is. */
	m.event_json = "{\"id\":7,\"items\":[1,2]}";
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(req.url, "https://hooks.example.com/in?x=1");
	expect = "{\"title\":\"审批超时\",\"text\":\"3 项逾期\","
	    "\"severity\":\"warning\",\"link\":null,"
	    "\"mentions\":{\"mobiles\":[\"13800000000\"],\"userids\":[]},"
	    "\"event\":{\"id\":7,\"items\":[1,2]}}";
	ck_assert_str_eq(req.body, expect);
	ck_assert_ptr_null(req.headers[1]);
	ck_assert_int_eq(json_integer_value(jget(root, "event/id")), 7);
	json_decref(root);
	http_request_clear(&req);

	/*
	 * Signed over the exact body above:
	 * python3: hmac.new(b"whsecret", body.encode(), hashlib.sha256)
	 *     .hexdigest()
	 */
	c.secret = (char *)(uintptr_t)"whsecret";
	c.format = FORMAT_JSON;
	root = build_ok(&c, &m, 0, &req);
	ck_assert_str_eq(req.body, expect);
	ck_assert_str_eq(req.headers[1], "X-Escalator-Signature: sha256="
	    "6795ec1a33cd07c8898583e360ea008c7b61b86dac2549420aa3452c3916ea25");
	ck_assert_ptr_null(req.headers[2]);
	json_decref(root);
	http_request_clear(&req);

	/* No event: null. */
	m.event_json = NULL;
	root = build_ok(&c, &m, 0, &req);
	ck_assert(json_is_null(jget(root, "event")));
	check_strings(jget(root, "mentions/userids"), userids, 0);
	json_decref(root);
	http_request_clear(&req);

	/* Errors: vendor formats, no URL.  (The event is the daemon's own
	 * JSON object, spliced as enqueue.c wrote it: not checked here.) */
	m.event_json = NULL;
	c.format = FORMAT_MARKDOWN;
	build_fails(&c, &m);
	c.format = FORMAT_TEXT;
	build_fails(&c, &m);
	c.format = FORMAT_JSON;
	c.url = NULL;
	build_fails(&c, &m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Judging responses */

/* Judge a body at HTTP 200 and check outcome, code and reason. */
static void
judge(enum channel_type type, long status, const char *body,
    enum delivery_outcome want, long want_code, const char *want_msg)
{
	enum delivery_outcome	 got;
	char			 msg[128];
	long			 code = -12345;

	memset(msg, 'Z', sizeof msg);
	got = channel_judge(type, 1, status, body, body ? strlen(body) : 0,
	    &code, msg, sizeof msg);
	ck_assert_msg(got == want, "%s %ld %s: got %s, want %s",
	    channel_type_name(type), status, body ? body : "(null)",
	    delivery_outcome_name(got), delivery_outcome_name(want));
	ck_assert_int_eq(code, want_code);
	ck_assert_ptr_nonnull(memchr(msg, '\0', sizeof msg));
	if (want_msg != NULL)
		ck_assert_str_eq(msg, want_msg);
	ck_assert_ptr_null(strstr(msg, "http"));
	ck_assert_ptr_null(strstr(msg, "\n"));
}

/* Transport failures and HTTP statuses, and unparseable answers. */
START_TEST(test_judge_transport)
{
	enum channel_type	t;
	char			msg[64];
	long			code = -1;

	for (t = CHANNEL_WECOM; t <= CHANNEL_WEBHOOK; t++) {
		ck_assert_int_eq(channel_judge(t, 0, 0, NULL, 0, &code, msg,
		    sizeof msg), DELIVERY_RETRY);
		ck_assert_int_eq(code, 0);
		ck_assert_str_eq(msg, "connection error");
		judge(t, 500, "<html>oops</html>", DELIVERY_RETRY, 500, NULL);
		judge(t, 502, NULL, DELIVERY_RETRY, 502, "HTTP 502");
		judge(t, 503, "{\"errcode\":0}", DELIVERY_RETRY, 503, NULL);
		judge(t, 429, "", DELIVERY_RATE_LIMITED, 429, NULL);
		judge(t, 408, "", DELIVERY_RETRY, 408, NULL);
		judge(t, 404, "<html>not found</html>", DELIVERY_PERMANENT,
		    404, "HTTP 404");
		judge(t, 400, "bad", DELIVERY_PERMANENT, 400, NULL);
		judge(t, 413, NULL, DELIVERY_PERMANENT, 413, NULL);
		judge(t, 301, NULL, DELIVERY_PERMANENT, 301, NULL);
		judge(t, 401, NULL, DELIVERY_AUTH, 401, NULL);
		judge(t, 403, "forbidden", DELIVERY_AUTH, 403, NULL);
	}
	/* Vendors answer 200 even on failure: unparseable is not success. */
	for (t = CHANNEL_WECOM; t <= CHANNEL_FEISHU; t++) {
		judge(t, 200, "<html>gateway</html>", DELIVERY_RETRY, 0,
		    "unparseable response");
		judge(t, 200, "", DELIVERY_RETRY, 0, "unparseable response");
		judge(t, 200, NULL, DELIVERY_RETRY, 0, "unparseable response");
		judge(t, 200, "{\"ok\":true}", DELIVERY_RETRY, 0, NULL);
		judge(t, 200, "[0]", DELIVERY_RETRY, 0, NULL);
	}
	/* NULL code and msg are allowed. */
	ck_assert_int_eq(channel_judge(CHANNEL_WECOM, 1, 200,
	    "{\"errcode\":0}", 13, NULL, NULL, 0), DELIVERY_OK);
}
END_TEST

/* WeCom error codes with real answers. */
START_TEST(test_judge_wecom)
{
	judge(CHANNEL_WECOM, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}",
	    DELIVERY_OK, 0, "ok");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":93000,\"errmsg\":\"invalid "
	    "webhook url, hint: [1699999999_abc], from ip: 1.2.3.4, more info "
	    "at https://open.work.weixin.qq.com/devtool/query?e=93000\"}",
	    DELIVERY_AUTH, 93000, "invalid webhook url");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":40058,\"errmsg\":\"markdown."
	    "content exceed max length 4096. invalid Request Parameter, hint: "
	    "[1700000000_1_abc], from ip: 10.0.0.1, more info at "
	    "https://open.work.weixin.qq.com/devtool/query?e=40058\"}",
	    DELIVERY_PERMANENT, 40058, "markdown.content exceed max length "
	    "4096. invalid Request Parameter");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":45009,\"errmsg\":\"api freq "
	    "out of limit, hint: [1700000000_2], from ip: 1.2.3.4\"}",
	    DELIVERY_RATE_LIMITED, 45009, "api freq out of limit");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":-1,\"errmsg\":\"system "
	    "busy\"}", DELIVERY_RETRY, -1, "system busy");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":44004,\"errmsg\":\"empty "
	    "content, hint: [x]\"}", DELIVERY_PERMANENT, 44004,
	    "empty content");
	/* DingTalk codes mean nothing to WeCom. */
	judge(CHANNEL_WECOM, 200, "{\"errcode\":130101,\"errmsg\":\"x\"}",
	    DELIVERY_PERMANENT, 130101, "x");
	/* No message: a generic reason. */
	judge(CHANNEL_WECOM, 200, "{\"errcode\":40001}",
	    DELIVERY_PERMANENT, 40001, "error 40001");
}
END_TEST

/* DingTalk error codes with real answers. */
START_TEST(test_judge_dingtalk)
{
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}",
	    DELIVERY_OK, 0, "ok");
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":130101,\"errmsg\":\"send "
	    "too fast, exceed 20 times per minute\"}", DELIVERY_RATE_LIMITED,
	    130101, "send too fast, exceed 20 times per minute");
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":310000,\"errmsg\":"
	    "\"keywords not in content, more: [https://ding-doc.dingtalk.com/"
	    "doc#/serverapi2/qf2nxq]\"}", DELIVERY_AUTH, 310000,
	    "keywords not in content");
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":310000,\"errmsg\":\"sign "
	    "not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/"
	    "qf2nxq]\"}", DELIVERY_AUTH, 310000, "sign not match");
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":310000,\"errmsg\":"
	    "\"错误描述:ip 1.2.3.4 not in whitelist;解决方案:请参考文档\"}",
	    DELIVERY_AUTH, 310000, NULL);
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":300001,\"errmsg\":"
	    "\"token is not exist\"}", DELIVERY_AUTH, 300001,
	    "token is not exist");
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":300005,\"errmsg\":"
	    "\"token is not exist\"}", DELIVERY_AUTH, 300005, NULL);
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":460101,\"errmsg\":"
	    "\"message too long, exceed 20000 bytes\"}", DELIVERY_PERMANENT,
	    460101, NULL);
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":101002,\"errmsg\":"
	    "\"message too long\"}", DELIVERY_PERMANENT, 101002, NULL);
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":-1,\"errmsg\":\"系统繁忙\"}",
	    DELIVERY_RETRY, -1, "系统繁忙");
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":400013,\"errmsg\":\"群已被"
	    "解散\"}", DELIVERY_PERMANENT, 400013, "群已被解散");
	/* WeCom codes mean nothing to DingTalk. */
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":93000,\"errmsg\":\"x\"}",
	    DELIVERY_PERMANENT, 93000, NULL);
}
END_TEST

/* Feishu codes, old-style answers and codes inside 4xx answers. */
START_TEST(test_judge_feishu)
{
	judge(CHANNEL_FEISHU, 200, "{\"code\":0,\"data\":{},\"msg\":"
	    "\"success\"}", DELIVERY_OK, 0, "success");
	judge(CHANNEL_FEISHU, 200, "{\"Extra\":null,\"StatusCode\":0,"
	    "\"StatusMessage\":\"success\"}", DELIVERY_OK, 0, "success");
	judge(CHANNEL_FEISHU, 200, "{\"code\":11232,\"data\":{},\"msg\":"
	    "\"frequency limited psm[lark.oapi.app_platform_runtime]"
	    "appID[1]\"}", DELIVERY_RATE_LIMITED, 11232, NULL);
	judge(CHANNEL_FEISHU, 200, "{\"code\":19021,\"data\":{},\"msg\":"
	    "\"sign match fail or timestamp is not within one hour from "
	    "current time\"}", DELIVERY_AUTH, 19021, "sign match fail or "
	    "timestamp is not within one hour from current time");
	judge(CHANNEL_FEISHU, 200, "{\"code\":19022,\"data\":{},\"msg\":"
	    "\"Ip Not Allowed\"}", DELIVERY_AUTH, 19022, "Ip Not Allowed");
	judge(CHANNEL_FEISHU, 200, "{\"code\":19024,\"data\":{},\"msg\":"
	    "\"Key Words Not Found\"}", DELIVERY_AUTH, 19024,
	    "Key Words Not Found");
	judge(CHANNEL_FEISHU, 200, "{\"code\":9499,\"data\":{},\"msg\":"
	    "\"Bad Request\"}", DELIVERY_PERMANENT, 9499, "Bad Request");
	judge(CHANNEL_FEISHU, 200, "{\"code\":19001,\"data\":{},\"msg\":"
	    "\"param invalid: incoming webhook access token invalid\"}",
	    DELIVERY_PERMANENT, 19001, NULL);
	judge(CHANNEL_FEISHU, 200, "{\"StatusCode\":19021,\"StatusMessage\":"
	    "\"sign match fail\"}", DELIVERY_AUTH, 19021, "sign match fail");
	/* A vendor code in a 4xx answer says more than the status. */
	judge(CHANNEL_FEISHU, 400, "{\"code\":19021,\"data\":{},\"msg\":"
	    "\"sign match fail\"}", DELIVERY_AUTH, 19021, "sign match fail");
	judge(CHANNEL_FEISHU, 400, "{\"code\":9499,\"msg\":\"Bad Request\"}",
	    DELIVERY_PERMANENT, 9499, "Bad Request");
	/* WeCom-style errcode is not Feishu's. */
	judge(CHANNEL_FEISHU, 200, "{\"errcode\":0}", DELIVERY_RETRY, 0,
	    "unparseable response");
}
END_TEST

/* Generic webhook: any 2xx unless the body reports an error. */
START_TEST(test_judge_webhook)
{
	judge(CHANNEL_WEBHOOK, 200, "", DELIVERY_OK, 200, NULL);
	judge(CHANNEL_WEBHOOK, 204, NULL, DELIVERY_OK, 204, NULL);
	judge(CHANNEL_WEBHOOK, 202, "accepted", DELIVERY_OK, 202, NULL);
	judge(CHANNEL_WEBHOOK, 200, "{\"ok\":true}", DELIVERY_OK, 200, NULL);
	judge(CHANNEL_WEBHOOK, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}",
	    DELIVERY_OK, 200, NULL);
	judge(CHANNEL_WEBHOOK, 200, "{\"code\":0}", DELIVERY_OK, 200, NULL);
	judge(CHANNEL_WEBHOOK, 200, "{\"code\":200,\"msg\":\"success\"}",
	    DELIVERY_OK, 200, NULL);
	judge(CHANNEL_WEBHOOK, 200, "{\"errcode\":5,\"errmsg\":\"bad "
	    "payload\"}", DELIVERY_PERMANENT, 5, "bad payload");
	judge(CHANNEL_WEBHOOK, 200, "{\"code\":3,\"message\":\"nope\"}",
	    DELIVERY_PERMANENT, 3, "nope");
	/* Vendor-looking codes in a 4xx mean nothing for webhooks. */
	judge(CHANNEL_WEBHOOK, 400, "{\"code\":19021}", DELIVERY_PERMANENT,
	    400, "HTTP 400");
}
END_TEST

/* Reasons lose credentials, URLs, queries and line breaks, and fit. */
START_TEST(test_judge_reason)
{
	char	msg[16];
	long	code;

	/* Credentials and query strings the vendor echoes are removed. */
	judge(CHANNEL_DINGTALK, 200, "{\"errcode\":300001,\"errmsg\":\"token "
	    "is not exist: access_token=abcdef123&x=1\"}", DELIVERY_AUTH,
	    300001, "token is not exist: access_token=***&x=1");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":93000,\"errmsg\":\"invalid "
	    "key=SECRETKEY in request\"}", DELIVERY_AUTH, 93000,
	    "invalid key=*** in request");
	judge(CHANNEL_FEISHU, 200, "{\"code\":19001,\"msg\":\"bad hook "
	    "https://open.feishu.cn/open-apis/bot/v2/hook/SECRETTOKEN "
	    "given\"}", DELIVERY_PERMANENT, 19001, "bad hook [url] given");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":40058,\"errmsg\":\"too long, "
	    "see /devtool/query?e=40058&key=K\"}", DELIVERY_PERMANENT, 40058,
	    "too long, see /devtool/query");
	judge(CHANNEL_WECOM, 200, "{\"errcode\":1,\"errmsg\":\"line\\none\\t"
	    "two\"}", DELIVERY_PERMANENT, 1, "line one two");

	/* Cut to msglen - 1 bytes on a character boundary. */
	ck_assert_int_eq(channel_judge(CHANNEL_DINGTALK, 1, 200,
	    "{\"errcode\":-1,\"errmsg\":\"系统繁忙请稍后再试\"}", 53, &code,
	    msg, sizeof msg), DELIVERY_RETRY);
	ck_assert_str_eq(msg, "系统繁忙请");
	ck_assert_int_eq(utf8_valid(msg, strlen(msg)), 1);
	ck_assert_int_eq(channel_judge(CHANNEL_WECOM, 1, 200,
	    "{\"errcode\":0,\"errmsg\":\"ok\"}", 27, &code, msg, 1),
	    DELIVERY_OK);
	ck_assert_str_eq(msg, "");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Redaction */

/* Redacted URLs never contain the key, token or userinfo. */
START_TEST(test_redact)
{
	struct channel	 c;
	char		*s;

	c = test_channel(CHANNEL_WECOM, FORMAT_DEFAULT, "WECOMKEY");
	s = channel_redact(&c);
	ck_assert_str_eq(s, WECOM_URL "?key=***");
	free(s);

	c = test_channel(CHANNEL_DINGTALK, FORMAT_DEFAULT, "DINGTOKEN");
	c.secret = (char *)(uintptr_t)SECRET;
	s = channel_redact(&c);
	ck_assert_str_eq(s, DING_URL "?access_token=***");
	free(s);

	c = test_channel(CHANNEL_FEISHU, FORMAT_DEFAULT, "FEISHUTOKEN");
	s = channel_redact(&c);
	ck_assert_str_eq(s, FEISHU_URL "/***");
	ck_assert_ptr_null(strstr(s, "FEISHUTOKEN"));
	free(s);

	c = test_channel(CHANNEL_WEBHOOK, FORMAT_DEFAULT, NULL);
	c.url = (char *)(uintptr_t)
	    "https://bot:PASSWORD@hooks.example.com:8443/in?token=SECRET#f";
	s = channel_redact(&c);
	ck_assert_str_eq(s, "https://hooks.example.com:8443/in?***");
	free(s);
	c.url = (char *)(uintptr_t)"http://hooks.example.com/in";
	s = channel_redact(&c);
	ck_assert_str_eq(s, "http://hooks.example.com/in");
	free(s);
	c.url = NULL;
	s = channel_redact(&c);
	ck_assert_ptr_nonnull(s);
	free(s);
}
END_TEST

/* ------------------------------------------------------------------ */

/* What the outbox does after each answer, decided by channel_plan(). */
START_TEST(test_plan)
{
	struct delivery_plan	 p;
	int			 a;

	channel_plan(CHANNEL_WECOM, DELIVERY_OK, 1, 0, &p);
	ck_assert_str_eq(p.status, "sent");
	ck_assert_str_eq(p.outcome, "sent");
	ck_assert(p.wait_ms == 0 && !p.block && !p.pause);

	channel_plan(CHANNEL_WECOM, DELIVERY_RETRY, 1, 0, &p);
	ck_assert_str_eq(p.status, "queued");
	ck_assert_str_eq(p.outcome, "retry");
	ck_assert_int_eq(p.wait_ms, 1500);
	ck_assert(!p.block && !p.pause);

	/* DingTalk blocks a robot for ten minutes; the wait holds it all. */
	channel_plan(CHANNEL_DINGTALK, DELIVERY_RATE_LIMITED, 3, 12345, &p);
	ck_assert_str_eq(p.status, "queued");
	ck_assert_str_eq(p.outcome, "rate-limited");
	ck_assert_int_eq(p.wait_ms, 10 * 60 * 1000);
	ck_assert(p.block && !p.pause);
	channel_plan(CHANNEL_FEISHU, DELIVERY_RATE_LIMITED, 1, 0, &p);
	ck_assert_int_eq(p.wait_ms, 2000);
	channel_plan(CHANNEL_WECOM, DELIVERY_RATE_LIMITED, 1, 0, &p);
	ck_assert_int_eq(p.wait_ms, 60000);
	channel_plan(CHANNEL_WEBHOOK, DELIVERY_RATE_LIMITED, 1, 0, &p);
	ck_assert_int_eq(p.wait_ms, 60000);

	channel_plan(CHANNEL_FEISHU, DELIVERY_PERMANENT, 1, 0, &p);
	ck_assert_str_eq(p.status, "failed");
	ck_assert_str_eq(p.outcome, "failed");
	ck_assert(p.wait_ms == 0 && !p.block && !p.pause);

	/* Refused credentials fail the message and pause the channel. */
	channel_plan(CHANNEL_DINGTALK, DELIVERY_AUTH, 1, 0, &p);
	ck_assert_str_eq(p.status, "failed");
	ck_assert(p.wait_ms == 0 && !p.block && p.pause);

	/* Backoff: 2 s doubling to a 5 min cap, +-25 %, within the bound
	 * past which the outbox takes a retry time for a clock set back. */
	ck_assert_int_eq(channel_backoff_ms(0, 0), 1500);
	ck_assert_int_eq(channel_backoff_ms(1, 1000), 2500);
	ck_assert_int_eq(channel_backoff_ms(1, 1001), 1500);
	ck_assert_int_eq(channel_backoff_ms(2, 0), 3000);
	ck_assert_int_eq(channel_backoff_ms(20, 0), 225000);
	ck_assert_int_eq(channel_backoff_ms(20, 150000), 375000);
	for (a = 0; a < 40; a++) {
		ck_assert_int_lt(channel_backoff_ms(a, UINT32_MAX),
		    CHANNEL_MAX_WAIT_MS);
		ck_assert_int_le(channel_backoff_ms(a, 0),
		    channel_backoff_ms(a + 1, 0));
	}
	ck_assert_int_lt(channel_block_ms(CHANNEL_DINGTALK),
	    CHANNEL_MAX_WAIT_MS);

	/* Feishu: not on the busy :00 and :30 seconds. */
	ck_assert_int_eq(channel_send_delay_ms(CHANNEL_FEISHU, 1800000), 1100);
	ck_assert_int_eq(channel_send_delay_ms(CHANNEL_FEISHU, 1830999), 1100);
	ck_assert_int_eq(channel_send_delay_ms(CHANNEL_FEISHU, 1831000), 0);
	ck_assert_int_eq(channel_send_delay_ms(CHANNEL_WECOM, 1800000), 0);
}
END_TEST

/* ------------------------------------------------------------------ */

/* Collect the channel tests. */
static Suite *
channel_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("channel");

	tc = tcase_create("names");
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_test(tc, test_wecom_markdown);
	tcase_add_test(tc, test_mention_plan);
	tcase_add_test(tc, test_measure);
	tcase_add_test(tc, test_feishu_post_markdown);
	tcase_add_test(tc, test_wecom_text);
	tcase_add_test(tc, test_wecom_errors);
	tcase_add_test(tc, test_dingtalk_markdown);
	tcase_add_test(tc, test_dingtalk_signed);
	tcase_add_test(tc, test_dingtalk_text);
	tcase_add_test(tc, test_dingtalk_keywords);
	tcase_add_test(tc, test_dingtalk_actioncard);
	tcase_add_test(tc, test_dingtalk_errors);
	tcase_add_test(tc, test_feishu_card);
	tcase_add_test(tc, test_feishu_signed);
	tcase_add_test(tc, test_feishu_text);
	tcase_add_test(tc, test_feishu_post);
	tcase_add_test(tc, test_feishu_errors);
	tcase_add_test(tc, test_webhook);
	suite_add_tcase(s, tc);

	tc = tcase_create("judge");
	tcase_add_test(tc, test_judge_transport);
	tcase_add_test(tc, test_judge_wecom);
	tcase_add_test(tc, test_judge_dingtalk);
	tcase_add_test(tc, test_judge_feishu);
	tcase_add_test(tc, test_judge_webhook);
	tcase_add_test(tc, test_judge_reason);
	tcase_add_test(tc, test_plan);
	suite_add_tcase(s, tc);

	tc = tcase_create("redact");
	tcase_add_test(tc, test_redact);
	suite_add_tcase(s, tc);

	return (s);
}

/* Run the suite; exit non-zero on any failure. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(channel_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
