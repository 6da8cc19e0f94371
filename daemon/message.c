/*
 * Message assembly: a batch of escalations for one chat and one stage
 * becomes one message (or a few parts when it exceeds the chat's byte
 * limit), rendered from the stage's template for that channel type.
 * Items are listed most overdue first; parts are split between items,
 * never inside one, and carry " (1/3)" markers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

#define MESSAGE_NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* The placeholders a message knows, resolved from their names once per
 * template (see message_key). */
enum message_key {
	KEY_NONE,
	KEY_STAGE, KEY_STAGE_LABEL, KEY_GROUP, KEY_CATEGORY, KEY_SEVERITY,
	KEY_CHANNEL, KEY_MENTIONS, KEY_PART, KEY_COUNT, KEY_NOW,
	KEY_PROJECT, KEY_PROJECT_CODE, KEY_ITEM, KEY_DEPARTMENT, KEY_HANDLER,
	KEY_REGION, KEY_MODE, KEY_REASON, KEY_INDEX, KEY_DEADLINE,
	KEY_ACCEPTED, KEY_RECTIFY_DEADLINE, KEY_OVERDUE_DAYS, KEY_DAYS_LEFT,
	KEY_LINK, KEY_ANSWER_LINK
};

static const struct {
	const char		*name;
	enum message_key	 key;
} message_keys[] = {
	{ "stage", KEY_STAGE }, { "stage_label", KEY_STAGE_LABEL },
	{ "group", KEY_GROUP }, { "category", KEY_CATEGORY },
	{ "severity", KEY_SEVERITY }, { "channel", KEY_CHANNEL },
	{ "mentions", KEY_MENTIONS }, { "part", KEY_PART },
	{ "count", KEY_COUNT }, { "now", KEY_NOW },
	{ "project", KEY_PROJECT }, { "project_code", KEY_PROJECT_CODE },
	{ "item", KEY_ITEM }, { "department", KEY_DEPARTMENT },
	{ "handler", KEY_HANDLER }, { "region", KEY_REGION },
	{ "mode", KEY_MODE }, { "reason", KEY_REASON },
	{ "index", KEY_INDEX }, { "deadline", KEY_DEADLINE },
	{ "accepted", KEY_ACCEPTED },
	{ "rectify_deadline", KEY_RECTIFY_DEADLINE },
	{ "overdue_days", KEY_OVERDUE_DAYS }, { "days_left", KEY_DAYS_LEFT },
	{ "link", KEY_LINK }, { "answer_link", KEY_ANSWER_LINK },
};

/*
 * What a stream keeps between its lines and parts so that a batch of
 * thousands of items does each piece of work once: the placeholder names
 * already resolved (by the address of the compiled name: the templates
 * outlive the stream), the last values of the pure functions of a time
 * (a burst's items share their deadline), the handlers already looked up,
 * the sections of the part being split (they depend on the part only
 * through its mentions), and the part's mentions in order of appearance.
 * Every value is what the function would return: a cache, never an
 * estimate.
 */
#define MESSAGE_HANDLERS	64

struct message_cache {
	struct {
		const char	*name;
		enum message_key key;
	}			 keys[48];
	size_t			 nkeys;
	struct {
		int64_t		 t;
		int		 set;
		char		 s[24];
	}			 times[4];	/* rules_format, to the minute */
	size_t			 tnext;
	struct {
		int64_t		 t;
		int		 set;
		char		 s[64];
	}			 cn;		/* message_format_cn */
	struct {
		int64_t		 due, now;
		int		 set;
		char		 s[16];
	}			 overdue, left;
	struct {
		char		*handler;
		const struct person *p;
	}			 handlers[MESSAGE_HANDLERS];

	/* The sections, rendered for the mentions text skey (NULL: none). */
	int			 sset;
	char			*skey;
	char			*title, *header, *footer;	/* PART_MARK */
	char			*wtitle, *wheader, *wfooter;	/* widest */
	size_t			 hlen, flen, whlen, wflen;

	/* The part's people: lines [0, k) mention the first cu[k] user ids
	 * of uid, cm[k] mobiles of mob and cn[k] names of names, whose
	 * "@a @b" text is the first moff[cn[k]] bytes of mtext. */
	const char		**uid, **mob, **names;
	size_t			 nuid, nmob, nnames, pcap;
	size_t			*cu, *cm, *cnm, *moff, ccap;
	char			*mtext;
	size_t			 mlen, mcap;

	/* The part's lines [0, k) marked at their widest, each with its
	 * "\n": line i starts at loff[i]. */
	char			*lines;
	size_t			 llen, lcap, *loff, locap;

	/* A candidate's text. */
	char			*buf;
	size_t			 bcap;
};

struct message_ctx {
	const struct config	*conf;
	const struct msg_batch	*batch;
	const struct msg_entry	*entry;
	int64_t			 now;
	size_t			 index;
	size_t			 count;
	const char		*part;
	const char		*mentions;	/* "@name" of the part's people
						   the app cannot mention */
	struct message_cache	*cache;		/* NULL: nothing kept */
	char			 buf[256];
};

/* A time as a notice states it, "2026年10月20日 18:00" ("" for 0). */
static void
message_format_cn(int64_t t, char *buf, size_t len)
{
	int32_t	 day;
	int	 sec, y, m, d;

	if (t <= 0) {
		*buf = '\0';
		return;
	}
	rules_split(t, &day, &sec);
	calendar_civil(day, &y, &m, &d);
	snprintf(buf, len, "%d年%d月%d日 %02d:%02d", y, m, d, sec / 3600,
	    sec / 60 % 60);
}

/*
 * The signed action link of an item in a notice (malloc'd), NULL without
 * public_url, for a closing notice, or when the item cannot have one.
 * It is the same for every rendering of a part at one moment, so that a
 * part measured is the part sent.
 */
static char *
message_answer_url(const struct config *conf, const struct msg_batch *b,
    const struct item_row *it, int64_t now)
{
	struct link	 l;
	char		*tok, *url;

	if (conf->public_url == NULL || conf->link_secret == NULL ||
	    it == NULL || strcmp(b->stage, "done") == 0 ||
	    (it->status != NULL && !model_status_open(it->status)))
		return (NULL);
	memset(&l, 0, sizeof l);
	l.item = it->id;
	l.actions = LINK_NOTICE;
	l.role = b->role;
	l.stage = link_stage_tag(b->stage);
	l.issued = now;
	l.expires = now + LINK_DAYS * 86400;
	l.salt = link_stage_tag(b->channel->name);
	if ((tok = link_make(conf->link_secret, &l)) == NULL)
		return (NULL);
	xasprintf(&url, "%s/a/%s", conf->public_url, tok);
	free(tok);
	return (url);
}

/* A link as a line in a channel's markup: a markdown link where the
 * format has them, else the label and the bare URL (malloc'd). */
char *
message_link_line(const struct channel *ch, const char *label,
    const char *url)
{
	enum channel_format	 f = ch->format;
	char			*line;
	int			 md;

	switch (ch->type) {
	case CHANNEL_WECOM:
	case CHANNEL_DINGTALK:
		md = f != FORMAT_TEXT;
		break;
	case CHANNEL_FEISHU:	/* lark_md only inside cards */
		md = f == FORMAT_DEFAULT || f == FORMAT_MARKDOWN ||
		    f == FORMAT_CARD;
		break;
	default:
		md = 0;
		break;
	}
	if (md)
		xasprintf(&line, "[%s](%s)", label, url);
	else
		xasprintf(&line, "%s：%s", label, url);
	return (line);
}

/* The line a notice adds under an item for its action link. */
static char *
message_answer_line(const struct config *conf, const struct msg_batch *b,
    const struct item_row *it, int64_t now)
{
	char	*url, *line;

	if ((url = message_answer_url(conf, b, it, now)) == NULL)
		return (NULL);
	line = message_link_line(b->channel, "签收 · 反馈进展 · 办结 ·"
	    " 申请中止计时", url);
	free(url);
	return (line);
}

/* The key of a placeholder name: the table is searched once per compiled
 * name, later lookups compare its address. */
static enum message_key
message_key(struct message_cache *mc, const char *name)
{
	enum message_key	 key = KEY_NONE;
	size_t			 i;

	if (mc != NULL) {
		for (i = 0; i < mc->nkeys; i++)
			if (mc->keys[i].name == name)
				return (mc->keys[i].key);
	}
	for (i = 0; i < MESSAGE_NITEMS(message_keys); i++) {
		if (strcmp(message_keys[i].name, name) == 0) {
			key = message_keys[i].key;
			break;
		}
	}
	if (mc != NULL && mc->nkeys < MESSAGE_NITEMS(mc->keys)) {
		mc->keys[mc->nkeys].name = name;
		mc->keys[mc->nkeys++].key = key;
	}
	return (key);
}

/* An instant as "YYYY-MM-DD HH:MM" (rules_format to the minute). */
static const char *
message_time(struct message_ctx *c, int64_t t)
{
	struct message_cache	*mc = c->cache;
	size_t			 i;

	if (mc == NULL) {
		rules_format(t, c->buf, sizeof c->buf);
		c->buf[16] = '\0';
		return (c->buf);
	}
	for (i = 0; i < MESSAGE_NITEMS(mc->times); i++)
		if (mc->times[i].set && mc->times[i].t == t)
			return (mc->times[i].s);
	i = mc->tnext++ % MESSAGE_NITEMS(mc->times);
	rules_format(t, c->buf, sizeof c->buf);
	c->buf[16] = '\0';
	memcpy(mc->times[i].s, c->buf, strlen(c->buf) + 1);
	mc->times[i].t = t;
	mc->times[i].set = 1;
	return (mc->times[i].s);
}

/* A configured person by id or name (config_person), remembered by the
 * text asked for. */
static const struct person *
message_person(struct message_ctx *c, const char *handler)
{
	struct message_cache	*mc = c->cache;
	const unsigned char	*s;
	uint32_t		 h = 2166136261u;
	size_t			 i;

	if (mc == NULL)
		return (config_person(c->conf, handler));
	for (s = (const unsigned char *)handler; *s != '\0'; s++)
		h = (h ^ *s) * 16777619u;
	i = h % MESSAGE_HANDLERS;
	if (mc->handlers[i].handler == NULL ||
	    strcmp(mc->handlers[i].handler, handler) != 0) {
		free(mc->handlers[i].handler);
		mc->handlers[i].handler = xstrdup(handler);
		mc->handlers[i].p = config_person(c->conf, handler);
	}
	return (mc->handlers[i].p);
}

/* Look up a placeholder for the group sections or the current item. */
static const char *
message_lookup(void *arg, const char *name)
{
	struct message_ctx	*c = arg;
	struct message_cache	*mc = c->cache;
	const struct msg_batch	*b = c->batch;
	const struct item_row	*it = c->entry ? c->entry->item : NULL;
	enum message_key	 key = message_key(mc, name);
	int64_t			 t;
	int			 n;

	switch (key) {
	case KEY_STAGE:
		return (b->stage);
	case KEY_STAGE_LABEL:
		return (b->stage_label);
	case KEY_GROUP:
		return (b->group ? b->group : "");
	case KEY_CATEGORY:
		return (it && it->category ? it->category :
		    b->category ? b->category : "");
	case KEY_SEVERITY:
		return (b->severity ? b->severity : "info");
	case KEY_CHANNEL:
		return (b->channel->name);
	case KEY_MENTIONS:
		return (c->mentions ? c->mentions : "");
	case KEY_PART:
		return (c->part ? c->part : "");
	case KEY_COUNT:
		snprintf(c->buf, sizeof c->buf, "%zu", c->count);
		return (c->buf);
	case KEY_NOW:
		return (message_time(c, c->now));
	case KEY_NONE:
		return ("");
	default:
		break;
	}
	if (it == NULL)
		return ("");
	switch (key) {
	case KEY_PROJECT:
		return (it->project_name ? it->project_name : it->project_code);
	case KEY_PROJECT_CODE:
		return (it->project_code);
	case KEY_ITEM:
		return (it->kind);
	case KEY_DEPARTMENT:
		return (it->department);
	case KEY_HANDLER: {
		/* A configured person is shown by name, anyone else as given. */
		const struct person *p = it->handler ?
		    message_person(c, it->handler) : NULL;
		return (p ? p->name : it->handler ? it->handler : "");
	}
	case KEY_REGION:
		return (it->region ? it->region : "");
	case KEY_MODE:
		return (it->mode && strcmp(it->mode, MODE_NORMAL) != 0 ?
		    it->mode : "");
	case KEY_REASON:
		return (c->entry->reason ? c->entry->reason : "");
	case KEY_INDEX:
		snprintf(c->buf, sizeof c->buf, "%zu", c->index);
		return (c->buf);
	case KEY_DEADLINE:
	case KEY_ACCEPTED:
		t = key == KEY_DEADLINE ? c->entry->due : it->accepted_at;
		if (t <= 0)
			return ("");
		return (message_time(c, t));
	case KEY_RECTIFY_DEADLINE:
		t = c->entry->rectify_due;
		if (mc == NULL) {
			message_format_cn(t, c->buf, sizeof c->buf);
			return (c->buf);
		}
		if (!mc->cn.set || mc->cn.t != t) {
			/* At most 48 bytes: 3 ints, 9 of CJK, " 00:00". */
			message_format_cn(t, mc->cn.s, sizeof mc->cn.s);
			mc->cn.t = t;
			mc->cn.set = 1;
		}
		return (mc->cn.s);
	case KEY_OVERDUE_DAYS:
		if (mc != NULL && mc->overdue.set &&
		    mc->overdue.due == c->entry->due &&
		    mc->overdue.now == c->now)
			return (mc->overdue.s);
		n = rules_overdue_workdays(c->conf->calendar, c->entry->due,
		    c->now);
		snprintf(c->buf, sizeof c->buf, "%d", n);
		if (mc != NULL) {
			snprintf(mc->overdue.s, sizeof mc->overdue.s, "%d", n);
			mc->overdue.due = c->entry->due;
			mc->overdue.now = c->now;
			mc->overdue.set = 1;
		}
		return (c->buf);
	case KEY_DAYS_LEFT:
		if (mc != NULL && mc->left.set &&
		    mc->left.due == c->entry->due && mc->left.now == c->now)
			return (mc->left.s);
		n = rules_days_left(c->conf->calendar, c->entry->due, c->now);
		snprintf(c->buf, sizeof c->buf, "%d", n);
		if (mc != NULL) {
			snprintf(mc->left.s, sizeof mc->left.s, "%d", n);
			mc->left.due = c->entry->due;
			mc->left.now = c->now;
			mc->left.set = 1;
		}
		return (c->buf);
	case KEY_ANSWER_LINK: {
		char *u = message_answer_url(c->conf, b, it, c->now);
		snprintf(c->buf, sizeof c->buf, "%s", u ? u : "");
		free(u);
		return (c->buf);
	}
	case KEY_LINK:
		if (c->conf->link_base == NULL)
			return ("");
		snprintf(c->buf, sizeof c->buf, "%s%lld", c->conf->link_base,
		    (long long)it->id);
		return (c->buf);
	default:
		break;
	}
	return ("");
}

/* Order entries most overdue (earliest deadline) first. */
static int
message_cmp(const void *a, const void *b)
{
	const struct msg_entry	*x = *(const struct msg_entry *const *)a;
	const struct msg_entry	*y = *(const struct msg_entry *const *)b;

	if (x->due != y->due)
		return (x->due < y->due ? -1 : 1);
	return (x->item->id < y->item->id ? -1 : x->item->id > y->item->id);
}

/* Render one section (NULL section renders as NULL). */
static char *
message_section(const struct template *t, struct message_ctx *c)
{
	return (t == NULL ? NULL : template_render(t, message_lookup, c));
}

/*
 * Streaming: the parts of a batch are produced one at a time, so that a
 * step over many thousands of items never holds more than a part's
 * lines.  The entries come from the caller in display order (most overdue
 * first) through a callback that may reuse one scratch item between
 * calls.  The part marker " (k/N)" cannot be known before the last part,
 * so each part carries PART_MARK where it belongs and part_mark() puts
 * the real marker in afterwards.
 *
 * A part fits when the request the channel would send for it does: each
 * candidate is measured with channel_measure() (the marker at its widest,
 * the mentions of its own items, the vendor's envelope, escaping,
 * keywords and @-texts) against the vendor's limit, never estimated.
 * What a candidate is made of is prepared once: each item's line is
 * rendered once (and marked at its widest once, in the rare line that
 * holds PART_MARK), the sections once per distinct mentions text, the
 * part's people once per part; a candidate is then one copy of its lines
 * into a buffer and the measure.  The text is the concatenation
 * header "\n" line "\n" ... footer, so marking each piece is marking the
 * whole (PART_MARK holds no "\n").
 */
struct msg_line {
	char				*text;
	char				*wide;		/* text marked at its
							   widest, NULL: the
							   same as text */
	size_t				 len, wlen;
	const struct msg_mention	*mentions;	/* a copy of the entry's */
	size_t				 nmentions;
};

int
message_stream_begin(struct msg_stream *ms, const struct config *conf,
    const struct msg_batch *b, int64_t now, size_t n, message_entry_fn get,
    void *arg, char **err)
{
	const struct template_set	*ts;

	memset(ms, 0, sizeof *ms);
	/* Plain-text channels use the type-independent template. */
	ts = b->channel->format == FORMAT_TEXT ? config_template(conf,
	    b->template, (enum channel_type)-1) : NULL;
	if (ts == NULL)
		ts = config_template(conf, b->template, b->channel->type);
	if (ts == NULL) {
		xasprintf(err, "no template '%s' for channel %s", b->template,
		    b->channel->name);
		return (-1);
	}
	ms->conf = conf;
	ms->batch = b;
	ms->ts = ts;
	ms->now = now;
	ms->n = n;
	ms->get = get;
	ms->arg = arg;
	ms->limit = channel_limit(b->channel);
	ms->cache = xcalloc(1, sizeof *ms->cache);
	return (0);
}

/* Render entry i's line, keeping the entry's mentions with it. */
static void
message_stream_line(struct msg_stream *ms, size_t i, struct msg_line *l)
{
	struct message_ctx	 c;

	memset(&c, 0, sizeof c);
	c.conf = ms->conf;
	c.batch = ms->batch;
	c.now = ms->now;
	c.count = ms->n;
	c.cache = ms->cache;
	c.entry = ms->get(ms->arg, i);
	c.index = i + 1;
	l->text = message_section(ms->ts->item, &c);
	if (l->text == NULL)
		l->text = xstrdup("");
	/* A template without {answer_link} gets the link as a line of its
	 * own; measured with the item, like the rest of its line. */
	if (ms->ts->item != NULL &&
	    !template_uses(ms->ts->item, "answer_link")) {
		char *al = message_answer_line(ms->conf, ms->batch,
		    c.entry->item, ms->now), *t;
		if (al != NULL) {
			size_t n = strlen(l->text);
			xasprintf(&t, "%s%s%s", l->text, n > 0 &&
			    l->text[n - 1] == '\n' ? "" : "\n", al);
			free(l->text);
			free(al);
			l->text = t;
		}
	}
	l->len = strlen(l->text);
	l->wide = NULL;
	l->wlen = l->len;
	if (strstr(l->text, PART_MARK) != NULL) {
		l->wide = part_mark(l->text, 999, 999);
		l->wlen = strlen(l->wide);
	}
	/* A copy: the entry is the caller's only until its next one. */
	l->nmentions = c.entry->nmentions;
	l->mentions = NULL;
	if (l->nmentions > 0) {
		struct msg_mention *m = xreallocarray(NULL, l->nmentions,
		    sizeof *m);
		memcpy(m, c.entry->mentions, l->nmentions * sizeof *m);
		l->mentions = m;
	}
}

/* Free a line's strings. */
static void
message_line_clear(struct msg_line *l)
{
	free(l->text);
	free(l->wide);
	free((void *)(uintptr_t)l->mentions);
}

/* Have at least want lines rendered ahead (fewer at the batch's end). */
static void
message_stream_fill(struct msg_stream *ms, size_t want)
{
	while (ms->nlines < want && ms->next + ms->nlines < ms->n) {
		if (ms->nlines == ms->lcap) {
			ms->lcap = ms->lcap ? ms->lcap * 2 : 64;
			ms->lines = xreallocarray(ms->lines, ms->lcap,
			    sizeof *ms->lines);
		}
		message_stream_line(ms, ms->next + ms->nlines,
		    &ms->lines[ms->nlines]);
		ms->nlines++;
	}
}

/* Add s to a list once (the list holds room for it). */
static void
message_strs_add(const char **v, size_t *n, const char *s)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			return;
	v[(*n)++] = s;
}

/* A list as a JSON array (NULL when empty). */
static char *
message_strs_json(const char *const *v, size_t n)
{
	struct jsonbuf	 b;

	if (n == 0)
		return (NULL);
	memset(&b, 0, sizeof b);
	jsonbuf_strings(&b, v, n);
	return (b.p);
}

/*
 * The people of lines [0, k] of the stream, in the order they first
 * appear (what a candidate of the first j lines mentions is the start of
 * these lists): by user id, else by mobile, else by name only.
 */
static void
message_people(struct msg_stream *ms, size_t k)
{
	struct message_cache	*mc = ms->cache;
	size_t			 i, j, total = 0, nl;

	nl = k < ms->nlines ? k + 1 : ms->nlines;
	for (i = 0; i < nl; i++)
		total += ms->lines[i].nmentions;
	if (total > mc->pcap) {
		mc->pcap = total;
		mc->uid = xreallocarray(mc->uid, total, sizeof *mc->uid);
		mc->mob = xreallocarray(mc->mob, total, sizeof *mc->mob);
		mc->names = xreallocarray(mc->names, total,
		    sizeof *mc->names);
		mc->moff = xreallocarray(mc->moff, total + 1,
		    sizeof *mc->moff);
	}
	if (mc->moff == NULL)
		mc->moff = xcalloc(1, sizeof *mc->moff);
	if (nl + 1 > mc->ccap) {
		mc->ccap = nl + 1;
		mc->cu = xreallocarray(mc->cu, nl + 1, sizeof *mc->cu);
		mc->cm = xreallocarray(mc->cm, nl + 1, sizeof *mc->cm);
		mc->cnm = xreallocarray(mc->cnm, nl + 1, sizeof *mc->cnm);
	}
	mc->nuid = mc->nmob = mc->nnames = 0;
	for (i = 0; i < nl; i++) {
		mc->cu[i] = mc->nuid;
		mc->cm[i] = mc->nmob;
		mc->cnm[i] = mc->nnames;
		for (j = 0; j < ms->lines[i].nmentions; j++) {
			const struct msg_mention *mm = &ms->lines[i].mentions[j];
			if (mm->uid != NULL)
				message_strs_add(mc->uid, &mc->nuid, mm->uid);
			else if (mm->mobile != NULL)
				message_strs_add(mc->mob, &mc->nmob,
				    mm->mobile);
			else if (mm->name != NULL)
				message_strs_add(mc->names, &mc->nnames,
				    mm->name);
		}
	}
	mc->cu[nl] = mc->nuid;
	mc->cm[nl] = mc->nmob;
	mc->cnm[nl] = mc->nnames;
	/* "@a @b ...": the text of the first j names is its first
	 * moff[j] bytes. */
	mc->mlen = 0;
	mc->moff[0] = 0;
	for (i = 0; i < mc->nnames; i++) {
		size_t l = strlen(mc->names[i]);
		if (mc->mlen + l + 3 > mc->mcap) {
			mc->mcap = (mc->mlen + l + 3) * 2;
			mc->mtext = xreallocarray(mc->mtext, mc->mcap, 1);
		}
		if (i > 0)
			mc->mtext[mc->mlen++] = ' ';
		mc->mtext[mc->mlen++] = '@';
		memcpy(mc->mtext + mc->mlen, mc->names[i], l);
		mc->mlen += l;
		mc->moff[i + 1] = mc->mlen;
	}
}

/* Lay the part's lines [0, k) out at their widest, one after another. */
static void
message_lines(struct msg_stream *ms, size_t k)
{
	struct message_cache	*mc = ms->cache;
	const struct msg_line	*l;
	size_t			 i, n, total = 0;

	for (i = 0; i < k; i++)
		total += ms->lines[i].wlen + 1;
	if (total + 1 > mc->lcap) {
		mc->lcap = total + 1;
		mc->lines = xreallocarray(mc->lines, mc->lcap, 1);
	}
	if (k + 1 > mc->locap) {
		mc->locap = k + 1;
		mc->loff = xreallocarray(mc->loff, mc->locap,
		    sizeof *mc->loff);
	}
	mc->llen = 0;
	for (i = 0; i < k; i++) {
		l = &ms->lines[i];
		n = l->wlen;
		mc->loff[i] = mc->llen;
		memcpy(mc->lines + mc->llen, l->wide != NULL ? l->wide :
		    l->text, n);
		mc->llen += n;
		mc->lines[mc->llen++] = '\n';
	}
	mc->loff[k] = mc->llen;
}

/* Set the cached sections to those of a part mentioning the first nn
 * names by text. */
static void
message_sections(struct msg_stream *ms, size_t nn)
{
	struct message_cache	*mc = ms->cache;
	struct message_ctx	 c;
	size_t			 ml = nn > 0 ? mc->moff[nn] : 0;

	if (mc->sset && (nn == 0 ? mc->skey == NULL : mc->skey != NULL &&
	    strlen(mc->skey) == ml && memcmp(mc->skey, mc->mtext, ml) == 0))
		return;
	free(mc->skey);
	free(mc->title);
	free(mc->header);
	free(mc->footer);
	free(mc->wtitle);
	free(mc->wheader);
	free(mc->wfooter);
	mc->skey = nn > 0 ? xstrndup(mc->mtext, ml) : NULL;
	memset(&c, 0, sizeof c);
	c.conf = ms->conf;
	c.batch = ms->batch;
	c.now = ms->now;
	c.count = ms->n;
	c.part = PART_MARK;
	c.mentions = mc->skey;
	c.cache = mc;
	mc->header = message_section(ms->ts->header, &c);
	mc->footer = message_section(ms->ts->footer, &c);
	mc->title = message_section(ms->ts->title, &c);
	mc->wheader = part_mark(mc->header, 999, 999);
	mc->wfooter = part_mark(mc->footer, 999, 999);
	mc->wtitle = part_mark(mc->title, 999, 999);
	mc->hlen = mc->header ? strlen(mc->header) : 0;
	mc->whlen = mc->wheader ? strlen(mc->wheader) : 0;
	mc->flen = mc->footer ? strlen(mc->footer) : 0;
	mc->wflen = mc->wfooter ? strlen(mc->wfooter) : 0;
	mc->sset = 1;
}

/* Append n bytes to the candidate buffer at *len. */
static void
message_put(struct message_cache *mc, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > mc->bcap) {
		mc->bcap = (*len + n + 1) * 2;
		mc->buf = xreallocarray(mc->buf, mc->bcap, 1);
	}
	memcpy(mc->buf + *len, s, n);
	*len += n;
}

/*
 * The text of lines [0, k) (line 0 replaced by first when not NULL)
 * between the cached sections, in the candidate buffer: with PART_MARK
 * or, when wide, marked at its widest.  Trailing blanks go.
 */
static const char *
message_text(struct msg_stream *ms, size_t k, const char *first,
    const char *wfirst, int wide)
{
	struct message_cache	*mc = ms->cache;
	const struct msg_line	*l;
	const char		*h = wide ? mc->wheader : mc->header;
	const char		*f = wide ? mc->wfooter : mc->footer;
	size_t			 len = 0, i;

	if (h != NULL) {
		message_put(mc, &len, h, wide ? mc->whlen : mc->hlen);
		message_put(mc, &len, "\n", 1);
	}
	if (wide && first == NULL) {
		/* A probe: its lines as message_lines() laid them out. */
		message_put(mc, &len, mc->lines, mc->loff[k]);
		k = 0;
	}
	for (i = 0; i < k; i++) {
		l = &ms->lines[i];
		if (i == 0 && first != NULL) {
			h = wide ? wfirst : first;
			message_put(mc, &len, h, strlen(h));
		} else if (wide && l->wide != NULL)
			message_put(mc, &len, l->wide, l->wlen);
		else
			message_put(mc, &len, l->text, l->len);
		message_put(mc, &len, "\n", 1);
	}
	if (f != NULL)
		message_put(mc, &len, f, wide ? mc->wflen : mc->flen);
	message_put(mc, &len, "", 0);
	while (len > 0 && (mc->buf[len - 1] == '\n' ||
	    mc->buf[len - 1] == ' '))
		len--;
	mc->buf[len] = '\0';
	return (mc->buf);
}

/*
 * Part candidate: lines [0, k) of the stream (line 0 replaced by first
 * when not NULL; wfirst is first marked at its widest), with the mentions
 * of those items only: the ones its format carries in p->who, the rest
 * (for a text follow-up) in p->follow.  1 when it and its follow-up fit
 * the vendor's limit.  With p NULL only the answer; else *p is the part.
 * message_people() has seen at least k lines.
 */
static int
message_candidate(struct msg_stream *ms, size_t k, const char *first,
    const char *wfirst, struct msg_part *p)
{
	const struct channel	*ch = ms->batch->channel;
	struct message_cache	*mc = ms->cache;
	struct message		 m;
	const char		*h;
	char			*follow = NULL, *wx;
	size_t			 size, nu = mc->cu[k], nm = mc->cm[k];
	int			 ids, mobiles, fits;

	message_sections(ms, mc->cnm[k]);
	/* Measured with the widest marker the part may get. */
	memset(&m, 0, sizeof m);
	m.title = mc->wtitle;
	m.text = message_text(ms, k, first, wfirst, 1);
	m.severity = ms->batch->severity;
	channel_mentions_carried(ch, &m, &ids, &mobiles);
	if (ids) {
		m.userids = mc->uid;
		m.nuserids = nu;
	}
	if (mobiles) {
		m.mobiles = mc->mob;
		m.nmobiles = nm;
	}
	size = channel_measure(ch, &m);
	fits = size != 0 && size <= ms->limit;
	if ((!ids && nu > 0) || (!mobiles && nm > 0)) {
		/* The follow-up: the part's title and marker, as text. */
		h = mc->title != NULL && *mc->title != '\0' ? mc->title :
		    ms->batch->stage_label;
		xasprintf(&follow, "%s%s", h, strstr(h, PART_MARK) ?
		    "" : PART_MARK);
	}
	if (fits && follow != NULL) {
		wx = part_mark(follow, 999, 999);
		memset(&m, 0, sizeof m);
		m.format = FORMAT_TEXT;
		m.title = mc->wtitle;
		m.text = wx;
		if (!ids) {
			m.userids = mc->uid;
			m.nuserids = nu;
		}
		if (!mobiles) {
			m.mobiles = mc->mob;
			m.nmobiles = nm;
		}
		size = channel_measure(ch, &m);
		fits = size != 0 && size <= (ch->type == CHANNEL_WECOM ?
		    (size_t)2048 : ms->limit);
		free(wx);
	}
	if (p == NULL) {
		free(follow);
		return (fits);
	}
	memset(p, 0, sizeof *p);
	p->text = xstrdup(message_text(ms, k, first, wfirst, 0));
	p->title = mc->title != NULL ? xstrdup(mc->title) : NULL;
	p->follow_text = follow;
	if (ids)
		p->who.userids = message_strs_json(mc->uid, nu);
	else
		p->follow.userids = message_strs_json(mc->uid, nu);
	if (mobiles)
		p->who.mobiles = message_strs_json(mc->mob, nm);
	else
		p->follow.mobiles = message_strs_json(mc->mob, nm);
	return (fits);
}

/* Clear a part's strings. */
void
message_part_clear(struct msg_part *p)
{
	free(p->title);
	free(p->text);
	free(p->who.mobiles);
	free(p->who.userids);
	free(p->follow.mobiles);
	free(p->follow.userids);
	free(p->follow_text);
	free(p->entries);
	memset(p, 0, sizeof *p);
}

/*
 * The next part: 1 with *part (title and text malloc'd, holding
 * PART_MARK; entries [*from, *to) of the stream), 0 when the batch is
 * exhausted.  A batch without entries still gives one part.  As many
 * lines as fit: an upper bound from the lines' bytes alone (the request
 * is never smaller), then the largest count whose request fits, found by
 * halving; a line too long for a part of its own is shortened.
 */
int
message_stream_next(struct msg_stream *ms, struct msg_part *part,
    size_t *from, size_t *to)
{
	size_t		 k, lo, hi, mid, bytes = 0, llen;
	char		*cut, *wcut, *best_cut = NULL, *best_wcut = NULL;

	memset(part, 0, sizeof *part);
	if (ms->done)
		return (0);
	*from = ms->next;
	/* The upper bound: lines whose bytes alone reach the limit. */
	for (k = 0;; k++) {
		message_stream_fill(ms, k + 1);
		if (k >= ms->nlines)
			break;
		bytes += ms->lines[k].len + 1;
		if (bytes > ms->limit && k > 0)
			break;
	}
	message_people(ms, k);
	message_lines(ms, k);
	if (k > 0 && !message_candidate(ms, k, NULL, NULL, NULL)) {
		/* lo fits (0 always counts as fitting), hi does not. */
		lo = 0;
		hi = k;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (message_candidate(ms, mid, NULL, NULL, NULL))
				lo = mid;
			else
				hi = mid;
		}
		k = lo;
		if (k == 0) {
			/* One line too long for a part: shorten it. */
			llen = ms->lines[0].len;
			lo = 0;
			hi = llen;
			while (hi - lo > 1) {
				mid = lo + (hi - lo) / 2;
				cut = part_shorten(ms->lines[0].text, mid);
				wcut = part_mark(cut, 999, 999);
				if (message_candidate(ms, 1, cut, wcut,
				    NULL)) {
					free(best_cut);
					free(best_wcut);
					best_cut = cut;
					best_wcut = wcut;
					lo = mid;
				} else {
					free(cut);
					free(wcut);
					hi = mid;
				}
			}
			if (best_cut == NULL) {
				best_cut = part_shorten(ms->lines[0].text, 0);
				best_wcut = part_mark(best_cut, 999, 999);
			}
			k = 1;
		}
	}
	message_candidate(ms, k, best_cut, best_wcut, part);
	free(best_cut);
	free(best_wcut);
	for (lo = 0; lo < k; lo++)
		message_line_clear(&ms->lines[lo]);
	if (ms->nlines > k)
		memmove(ms->lines, ms->lines + k, (ms->nlines - k) *
		    sizeof *ms->lines);
	ms->nlines -= k;
	ms->next += k;
	*to = ms->next;
	if (ms->next >= ms->n)
		ms->done = 1;
	return (1);
}

/* Free what a stream still holds. */
void
message_stream_end(struct msg_stream *ms)
{
	struct message_cache	*mc = ms->cache;
	size_t			 i;

	for (i = 0; i < ms->nlines; i++)
		message_line_clear(&ms->lines[i]);
	free(ms->lines);
	ms->lines = NULL;
	ms->nlines = ms->lcap = 0;
	if (mc == NULL)
		return;
	for (i = 0; i < MESSAGE_HANDLERS; i++)
		free(mc->handlers[i].handler);
	free(mc->skey);
	free(mc->title);
	free(mc->header);
	free(mc->footer);
	free(mc->wtitle);
	free(mc->wheader);
	free(mc->wfooter);
	free(mc->uid);
	free(mc->mob);
	free(mc->names);
	free(mc->cu);
	free(mc->cm);
	free(mc->cnm);
	free(mc->moff);
	free(mc->mtext);
	free(mc->lines);
	free(mc->loff);
	free(mc->buf);
	free(mc);
	ms->cache = NULL;
}

struct message_sorted {
	const struct msg_entry	**sorted;
};

static const struct msg_entry *
message_sorted_get(void *arg, size_t i)
{
	return (((struct message_sorted *)arg)->sorted[i]);
}

/* Render a batch into one or more parts (the stream, collected). */
int
message_render(const struct config *conf, const struct msg_batch *b,
    int64_t now, struct msg_part **partsp, size_t *nparts, char **err)
{
	struct msg_stream	 ms;
	struct message_sorted	 ctx;
	struct msg_part		*parts = NULL, p;
	char			*title, *text;
	size_t			 i, n = b->nentries, from, to, np = 0;

	*partsp = NULL;
	*nparts = 0;
	ctx.sorted = xcalloc(n ? n : 1, sizeof *ctx.sorted);
	for (i = 0; i < n; i++)
		ctx.sorted[i] = &b->entries[i];
	qsort(ctx.sorted, n, sizeof *ctx.sorted, message_cmp);
	if (message_stream_begin(&ms, conf, b, now, n, message_sorted_get,
	    &ctx, err) != 0) {
		free(ctx.sorted);
		return (-1);
	}
	while (message_stream_next(&ms, &p, &from, &to) == 1) {
		parts = xreallocarray(parts, np + 1, sizeof *parts);
		parts[np] = p;
		/* Which entries the part lists: callers link only those. */
		parts[np].nentries = to - from;
		parts[np].entries = xcalloc(to > from ? to - from : 1,
		    sizeof *parts[np].entries);
		if (to > from)
			memcpy(parts[np].entries, ctx.sorted + from,
			    (to - from) * sizeof *parts[np].entries);
		np++;
	}
	message_stream_end(&ms);
	for (i = 0; i < np; i++) {
		title = part_mark(parts[i].title, i + 1, np);
		text = part_mark(parts[i].text, i + 1, np);
		free(parts[i].title);
		free(parts[i].text);
		parts[i].title = title;
		parts[i].text = text;
		text = part_mark(parts[i].follow_text, i + 1, np);
		free(parts[i].follow_text);
		parts[i].follow_text = text;
	}
	free(ctx.sorted);
	*partsp = parts;
	*nparts = np;
	return (0);
}

/* Free parts from message_render. */
void
message_parts_free(struct msg_part *parts, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		message_part_clear(&parts[i]);
	free(parts);
}
