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
		return (it->mode && strcmp(it->mode, "normal") != 0 ? it->mode : "");
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
	if (strcmp(name, "overdue_days") == 0) {
		n = rules_overdue_workdays(c->conf->calendar, c->entry->due,
		    c->now);
		snprintf(c->buf, sizeof c->buf, "%d", n);
		return (c->buf);
	}
	if (strcmp(name, "days_left") == 0) {
		int32_t d1, d2;
		rules_split(c->now, &d1, NULL);
		rules_split(c->entry->due, &d2, NULL);
		n = c->entry->due > c->now ?
		    calendar_count_workdays(c->conf->calendar, d1, d2, NULL) : 0;
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

/* Render a batch into one or more parts. */
int
message_render(const struct config *conf, const struct msg_batch *b,
    int64_t now, struct msg_part **partsp, size_t *nparts, char **err)
{
	const struct template_set	*ts;
	struct message_ctx		 c;
	const struct msg_entry		**sorted;
	struct msg_part			*parts = NULL;
	char				**items, *frame, *text, marker[64];
	size_t				 i, n = b->nentries, limit, overhead;
	size_t				 *starts, nstarts = 0, used;

	*partsp = NULL;
	*nparts = 0;
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
	memset(&c, 0, sizeof c);
	c.conf = conf;
	c.batch = b;
	c.now = now;
	c.count = n;

	sorted = xcalloc(n ? n : 1, sizeof *sorted);
	for (i = 0; i < n; i++)
		sorted[i] = &b->entries[i];
	qsort(sorted, n, sizeof *sorted, message_cmp);
	items = xcalloc(n ? n : 1, sizeof *items);
	for (i = 0; i < n; i++) {
		c.entry = sorted[i];
		c.index = i + 1;
		items[i] = message_section(ts->item, &c);
	}

	/* Measure the frame (header + footer) with the widest marker. */
	c.part = " (99/99)";
	frame = message_part(ts, &c, items, 0, 0);
	overhead = strlen(frame) + 64;	/* mentions appended by the channel */
	free(frame);
	limit = b->channel->max_bytes ? b->channel->max_bytes : 4096;
	limit = limit > overhead + 16 ? limit - overhead : 16;

	/* Pack items greedily; an item too long alone is cut at UTF-8. */
	starts = xcalloc(n + 1, sizeof *starts);
	starts[nstarts++] = 0;
	used = 0;
	for (i = 0; i < n; i++) {
		size_t l = strlen(items[i]) + 1;
		if (l > limit) {
			items[i][utf8_cut(items[i], l - 1, limit - 1)] = '\0';
			l = strlen(items[i]) + 1;
		}
		if (used > 0 && used + l > limit) {
			starts[nstarts++] = i;
			used = 0;
		}
		used += l;
	}
	parts = xcalloc(nstarts, sizeof *parts);
	for (i = 0; i < nstarts; i++) {
		size_t to = i + 1 < nstarts ? starts[i + 1] : n;
		if (nstarts > 1)
			snprintf(marker, sizeof marker, " (%zu/%zu)", i + 1,
			    nstarts);
		else
			marker[0] = '\0';
		c.part = marker;
		c.entry = NULL;
		text = message_part(ts, &c, items, starts[i], to);
		parts[i].text = text;
		parts[i].title = message_section(ts->title, &c);
		/* Which entries the part lists: callers link only those. */
		parts[i].nentries = to - starts[i];
		parts[i].entries = xcalloc(parts[i].nentries ?
		    parts[i].nentries : 1, sizeof *parts[i].entries);
		if (parts[i].nentries > 0)
			memcpy(parts[i].entries, sorted + starts[i],
			    parts[i].nentries * sizeof *parts[i].entries);
	}
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
	free(sorted);
	free(starts);
	*partsp = parts;
	*nparts = nstarts;
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
