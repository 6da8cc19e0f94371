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
		return (b->mentions ? b->mentions : "");
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
	size_t	 n = strlen(s);

	*buf = xreallocarray(*buf, *len + n + 1, 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* Render one section (NULL section renders as NULL). */
static char *
message_section(const struct template *t, struct message_ctx *c)
{
	return (t == NULL ? NULL : template_render(t, message_lookup, c));
}

/* Assemble one part from its header, items [from, to) and footer. */
static char *
message_part(const struct template_set *ts, struct message_ctx *c,
    char **items, size_t from, size_t to)
{
	char	*out = NULL, *h, *f;
	size_t	 len = 0, i;

	message_append(&out, &len, "");
	c->entry = NULL;
	if ((h = message_section(ts->header, c)) != NULL) {
		message_append(&out, &len, h);
		message_append(&out, &len, "\n");
		free(h);
	}
	for (i = from; i < to; i++) {
		message_append(&out, &len, items[i]);
		message_append(&out, &len, "\n");
	}
	if ((f = message_section(ts->footer, c)) != NULL) {
		message_append(&out, &len, f);
		free(f);
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	return (out);
}

/*
 * Streaming: the parts of a batch are produced one at a time, so that a
 * step over many thousands of items never holds more than one part's
 * text.  The entries come from the caller in display order (most overdue
 * first) through a callback that may reuse one scratch item between
 * calls.  The part marker " (k/N)" cannot be known before the last part,
 * so each part carries PART_MARK where it belongs and
 * part_mark() puts the real marker in afterwards; part_room() measures
 * the byte limit with the widest marker, so the substitution never
 * overflows.
 */
int
message_stream_begin(struct msg_stream *ms, const struct config *conf,
    const struct msg_batch *b, int64_t now, size_t n, message_entry_fn get,
    void *arg, char **err)
{
	const struct template_set	*ts;
	char				*frame;

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

	/* Measure the frame (header + footer) as the parts will have it. */
	{
		struct message_ctx c;
		memset(&c, 0, sizeof c);
		c.conf = conf;
		c.batch = b;
		c.now = now;
		c.count = n;
		c.part = PART_MARK;
		frame = message_part(ts, &c, NULL, 0, 0);
	}
	ms->limit = part_room(channel_max_bytes(b->channel), frame);
	free(frame);
	return (0);
}

/* Render entry i's line (cut at the limit when too long alone). */
static char *
message_stream_line(struct msg_stream *ms, size_t i)
{
	struct message_ctx	 c;
	char			*line;
	size_t			 l;

	memset(&c, 0, sizeof c);
	c.conf = ms->conf;
	c.batch = ms->batch;
	c.now = ms->now;
	c.count = ms->n;
	c.entry = ms->get(ms->arg, i);
	c.index = i + 1;
	line = message_section(ms->ts->item, &c);
	if (line == NULL)
		line = xstrdup("");
	l = strlen(line) + 1;
	if (l > ms->limit)
		line[part_cut(line, l - 1, ms->limit - 1)] = '\0';
	return (line);
}

/*
 * The next part: 1 with *part (title and text malloc'd, holding
 * PART_MARK; entries [*from, *to) of the stream), 0 when the
 * batch is exhausted.  A batch without entries still gives one part.
 */
int
message_stream_next(struct msg_stream *ms, char **title, char **text,
    size_t *from, size_t *to)
{
	struct message_ctx	 c;
	char			*out = NULL, *h, *f;
	size_t			 len = 0, used = 0, l;

	if (ms->done)
		return (0);
	memset(&c, 0, sizeof c);
	c.conf = ms->conf;
	c.batch = ms->batch;
	c.now = ms->now;
	c.count = ms->n;
	c.part = PART_MARK;
	*from = ms->next;
	message_append(&out, &len, "");
	if ((h = message_section(ms->ts->header, &c)) != NULL) {
		message_append(&out, &len, h);
		message_append(&out, &len, "\n");
		free(h);
	}
	/* Pack items greedily; a line that does not fit starts the next part. */
	while (ms->next < ms->n) {
		if (ms->pending == NULL)
			ms->pending = message_stream_line(ms, ms->next);
		l = strlen(ms->pending) + 1;
		if (used > 0 && used + l > ms->limit)
			break;
		message_append(&out, &len, ms->pending);
		message_append(&out, &len, "\n");
		free(ms->pending);
		ms->pending = NULL;
		used += l;
		ms->next++;
	}
	*to = ms->next;
	c.entry = NULL;
	if ((f = message_section(ms->ts->footer, &c)) != NULL) {
		message_append(&out, &len, f);
		free(f);
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	*text = out;
	*title = message_section(ms->ts->title, &c);
	if (ms->next >= ms->n)
		ms->done = 1;
	return (1);
}

/* Free what a stream still holds. */
void
message_stream_end(struct msg_stream *ms)
{
	free(ms->pending);
	ms->pending = NULL;
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
	struct msg_part		*parts = NULL;
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
	while (message_stream_next(&ms, &title, &text, &from, &to) == 1) {
		parts = xreallocarray(parts, np + 1, sizeof *parts);
		parts[np].title = title;
		parts[np].text = text;
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

	for (i = 0; i < n; i++) {
		free(parts[i].title);
		free(parts[i].text);
		free(parts[i].entries);
	}
	free(parts);
}
