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

/* Look up a placeholder for the group sections or the current item. */
static const char *
message_lookup(void *arg, const char *name)
{
	struct message_ctx	*c = arg;
	const struct msg_batch	*b = c->batch;
	const struct item_row	*it = c->entry ? c->entry->item : NULL;
	int			 n;

	if (strcmp(name, "stage") == 0)
		return (b->stage);
	if (strcmp(name, "stage_label") == 0)
		return (b->stage_label);
	if (strcmp(name, "group") == 0)
		return (b->group ? b->group : "");
	if (strcmp(name, "category") == 0)
		return (it && it->category ? it->category :
		    b->category ? b->category : "");
	if (strcmp(name, "severity") == 0)
		return (b->severity ? b->severity : "info");
	if (strcmp(name, "channel") == 0)
		return (b->channel->name);
	if (strcmp(name, "mentions") == 0)
		return (c->mentions ? c->mentions : "");
	if (strcmp(name, "part") == 0)
		return (c->part ? c->part : "");
	if (strcmp(name, "count") == 0) {
		snprintf(c->buf, sizeof c->buf, "%zu", c->count);
		return (c->buf);
	}
	if (strcmp(name, "now") == 0) {
		rules_format(c->now, c->buf, sizeof c->buf);
		c->buf[16] = '\0';
		return (c->buf);
	}
	if (it == NULL)
		return ("");
	if (strcmp(name, "project") == 0)
		return (it->project_name ? it->project_name : it->project_code);
	if (strcmp(name, "project_code") == 0)
		return (it->project_code);
	if (strcmp(name, "item") == 0)
		return (it->kind);
	if (strcmp(name, "department") == 0)
		return (it->department);
	if (strcmp(name, "handler") == 0) {
		/* A configured person is shown by name, anyone else as given. */
		const struct person *p = it->handler ?
		    config_person(c->conf, it->handler) : NULL;
		return (p ? p->name : it->handler ? it->handler : "");
	}
	if (strcmp(name, "region") == 0)
		return (it->region ? it->region : "");
	if (strcmp(name, "mode") == 0)
		return (it->mode && strcmp(it->mode, MODE_NORMAL) != 0 ?
		    it->mode : "");
	if (strcmp(name, "reason") == 0)
		return (c->entry->reason ? c->entry->reason : "");
	if (strcmp(name, "index") == 0) {
		snprintf(c->buf, sizeof c->buf, "%zu", c->index);
		return (c->buf);
	}
	if (strcmp(name, "deadline") == 0 || strcmp(name, "accepted") == 0) {
		int64_t t = name[0] == 'd' ? c->entry->due : it->accepted_at;
		if (t <= 0)
			return ("");
		rules_format(t, c->buf, sizeof c->buf);
		c->buf[16] = '\0';
		return (c->buf);
	}
	if (strcmp(name, "rectify_deadline") == 0) {
		message_format_cn(c->entry->rectify_due, c->buf,
		    sizeof c->buf);
		return (c->buf);
	}
	if (strcmp(name, "overdue_days") == 0) {
		n = rules_overdue_workdays(c->conf->calendar, c->entry->due,
		    c->now);
		snprintf(c->buf, sizeof c->buf, "%d", n);
		return (c->buf);
	}
	if (strcmp(name, "days_left") == 0) {
		n = rules_days_left(c->conf->calendar, c->entry->due, c->now);
		snprintf(c->buf, sizeof c->buf, "%d", n);
		return (c->buf);
	}
	if (strcmp(name, "answer_link") == 0) {
		char *u = message_answer_url(c->conf, b, it, c->now);
		snprintf(c->buf, sizeof c->buf, "%s", u ? u : "");
		free(u);
		return (c->buf);
	}
	if (strcmp(name, "link") == 0) {
		if (c->conf->link_base == NULL)
			return ("");
		snprintf(c->buf, sizeof c->buf, "%s%lld", c->conf->link_base,
		    (long long)it->id);
		return (c->buf);
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

/* Append s to a growing buffer. */
static void
message_append(char **buf, size_t *len, const char *s)
{
	size_t	 n = strlen(s), have, want;

	/* The buffer's size is always the power of two above its length:
	 * a part of hundreds of lines is built without a copy per line. */
	for (have = 64; have < *len + 1; have *= 2)
		;
	for (want = have; want < *len + n + 1; want *= 2)
		;
	if (*buf == NULL || want != have)
		*buf = xreallocarray(*buf, want, 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
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
 * candidate is built with channel_build() (the marker at its widest, the
 * mentions of its own items, the vendor's envelope, escaping, keywords
 * and @-texts) and measured against the vendor's limit, never estimated.
 */
struct msg_line {
	char				*text;
	const struct msg_mention	*mentions;	/* the caller's */
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
	l->mentions = c.entry->mentions;
	l->nmentions = c.entry->nmentions;
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

/* A string list without repeats (for a part's mentions). */
struct message_strs {
	const char	**v;
	size_t		  n;
};

/* Add s to a list once. */
static void
message_strs_add(struct message_strs *l, const char *s)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = s;
}

/* A list as a JSON array (NULL when empty). */
static char *
message_strs_json(const struct message_strs *l)
{
	struct jsonbuf	 b;

	if (l->n == 0)
		return (NULL);
	memset(&b, 0, sizeof b);
	jsonbuf_strings(&b, l->v, l->n);
	return (b.p);
}

/*
 * Part candidate: lines [0, k) of the stream (line 0 replaced by first
 * when not NULL), with the mentions of those items only: the ones its
 * format carries in p->who, the rest (for a text follow-up) in p->follow.
 * 1 when it and its follow-up fit the vendor's limit.
 */
static int
message_candidate(struct msg_stream *ms, size_t k, const char *first,
    struct msg_part *p)
{
	const struct channel	*ch = ms->batch->channel;
	struct message_ctx	 c;
	struct message_strs	 uid = { NULL, 0 }, mob = { NULL, 0 };
	struct message_strs	 names = { NULL, 0 };
	struct message		 m;
	char			*out = NULL, *h, *f, *mentions = NULL, *wt, *wx;
	size_t			 len = 0, i, j, size;
	int			 ids, mobiles, fits;

	memset(p, 0, sizeof *p);
	for (i = 0; i < k; i++) {
		for (j = 0; j < ms->lines[i].nmentions; j++) {
			const struct msg_mention *mm = &ms->lines[i].mentions[j];
			if (mm->uid != NULL)
				message_strs_add(&uid, mm->uid);
			else if (mm->mobile != NULL)
				message_strs_add(&mob, mm->mobile);
			else if (mm->name != NULL)
				message_strs_add(&names, mm->name);
		}
	}
	for (i = 0; i < names.n; i++) {
		h = mentions;
		xasprintf(&mentions, "%s%s@%s", h ? h : "", h ? " " : "",
		    names.v[i]);
		free(h);
	}

	memset(&c, 0, sizeof c);
	c.conf = ms->conf;
	c.batch = ms->batch;
	c.now = ms->now;
	c.count = ms->n;
	c.part = PART_MARK;
	c.mentions = mentions;
	message_append(&out, &len, "");
	if ((h = message_section(ms->ts->header, &c)) != NULL) {
		message_append(&out, &len, h);
		message_append(&out, &len, "\n");
		free(h);
	}
	for (i = 0; i < k; i++) {
		message_append(&out, &len, i == 0 && first != NULL ? first :
		    ms->lines[i].text);
		message_append(&out, &len, "\n");
	}
	if ((f = message_section(ms->ts->footer, &c)) != NULL) {
		message_append(&out, &len, f);
		free(f);
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	p->text = out;
	p->title = message_section(ms->ts->title, &c);
	free(mentions);

	/* Measured with the widest marker the part may get. */
	wt = part_mark(p->title, 999, 999);
	wx = part_mark(p->text, 999, 999);
	memset(&m, 0, sizeof m);
	m.title = wt;
	m.text = wx;
	m.severity = ms->batch->severity;
	channel_mentions_carried(ch, &m, &ids, &mobiles);
	if (ids) {
		m.userids = uid.v;
		m.nuserids = uid.n;
	}
	if (mobiles) {
		m.mobiles = mob.v;
		m.nmobiles = mob.n;
	}
	size = channel_measure(ch, &m);
	fits = size != 0 && size <= ms->limit;
	if (ids)
		p->who.userids = message_strs_json(&uid);
	else
		p->follow.userids = message_strs_json(&uid);
	if (mobiles)
		p->who.mobiles = message_strs_json(&mob);
	else
		p->follow.mobiles = message_strs_json(&mob);
	if ((!ids && uid.n > 0) || (!mobiles && mob.n > 0)) {
		/* The follow-up: the part's title and marker, as text. */
		h = p->title != NULL && *p->title != '\0' ? p->title :
		    (char *)(uintptr_t)ms->batch->stage_label;
		xasprintf(&p->follow_text, "%s%s", h, strstr(h, PART_MARK) ?
		    "" : PART_MARK);
	}
	if (fits && p->follow_text != NULL) {
		free(wx);
		wx = part_mark(p->follow_text, 999, 999);
		memset(&m, 0, sizeof m);
		m.format = FORMAT_TEXT;
		m.title = wt;
		m.text = wx;
		if (!ids) {
			m.userids = uid.v;
			m.nuserids = uid.n;
		}
		if (!mobiles) {
			m.mobiles = mob.v;
			m.nmobiles = mob.n;
		}
		size = channel_measure(ch, &m);
		fits = size != 0 && size <= (ch->type == CHANNEL_WECOM ?
		    (size_t)2048 : ms->limit);
	}
	free(wt);
	free(wx);
	free(uid.v);
	free(mob.v);
	free(names.v);
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
	struct msg_part	 try;
	size_t		 k, lo, hi, mid, bytes = 0, llen;
	char		*cut, *best_cut = NULL;

	memset(part, 0, sizeof *part);
	if (ms->done)
		return (0);
	*from = ms->next;
	/* The upper bound: lines whose bytes alone reach the limit. */
	for (k = 0;; k++) {
		message_stream_fill(ms, k + 1);
		if (k >= ms->nlines)
			break;
		bytes += strlen(ms->lines[k].text) + 1;
		if (bytes > ms->limit && k > 0)
			break;
	}
	if (k == 0 || message_candidate(ms, k, NULL, part)) {
		if (k == 0)
			message_candidate(ms, 0, NULL, part);
	} else {
		message_part_clear(part);
		/* lo fits (0 always counts as fitting), hi does not. */
		lo = 0;
		hi = k;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (message_candidate(ms, mid, NULL, &try)) {
				message_part_clear(part);
				*part = try;
				lo = mid;
			} else {
				message_part_clear(&try);
				hi = mid;
			}
		}
		k = lo;
		if (k == 0) {
			/* One line too long for a part: shorten it. */
			llen = strlen(ms->lines[0].text);
			lo = 0;
			hi = llen;
			while (hi - lo > 1) {
				mid = lo + (hi - lo) / 2;
				cut = part_shorten(ms->lines[0].text, mid);
				if (message_candidate(ms, 1, cut, &try)) {
					message_part_clear(part);
					*part = try;
					free(best_cut);
					best_cut = cut;
					lo = mid;
				} else {
					message_part_clear(&try);
					free(cut);
					hi = mid;
				}
			}
			if (best_cut == NULL) {
				message_part_clear(part);
				best_cut = part_shorten(ms->lines[0].text, 0);
				message_candidate(ms, 1, best_cut, part);
			}
			free(best_cut);
			k = 1;
		}
	}
	for (lo = 0; lo < k; lo++)
		free(ms->lines[lo].text);
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
	size_t	 i;

	for (i = 0; i < ms->nlines; i++)
		free(ms->lines[i].text);
	free(ms->lines);
	ms->lines = NULL;
	ms->nlines = ms->lcap = 0;
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
