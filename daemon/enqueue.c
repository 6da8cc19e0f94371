/*
 * Queueing a message: the one path by which anything the daemon says --
 * escalations, done notices, reports, admin notices -- enters the outbox,
 * with its structured event, its send window and its log entry, inside
 * the caller's transaction.  Also how each chat app @-mentions a person.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "escalator.h"

/* Add a string to a JSON array once. */
void
enqueue_add_unique(json_t *a, const char *v)
{
	size_t	 i;
	json_t	*x;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(x), v) == 0)
			return;
	json_array_append_new(a, json_string(v));
}

/*
 * How a chat app @-mentions a person: by the user id it knows (*uid) or
 * else by mobile number (*mobile), one of the two (channel_mention()
 * knows each app); by name in the text (*by_name) when it can do neither,
 * which notifies nobody (approval-escalatord -t warns of it).  A WeCom
 * markdown message carries only the ids: enqueue_part() sends the
 * mobiles in a text follow-up.  Shared with simulate.c.
 */
void
enqueue_mention_plan(enum channel_type type, const struct person *p,
    const char **uid, const char **mobile, int *by_name)
{
	*by_name = channel_mention(type, p, uid, mobile) != NULL;
}

/*
 * The structured event of a message (generic webhooks): stage, group and
 * the items the part lists, as compact JSON written straight into a buffer
 * (daemon/jsonbuf.c): a grouped message lists hundreds of items, and a tree
 * of JSON objects per item cost more than the rest of the message.
 */

/* Start an event: {"stage":..,"stage_label":..,"group":..,"items":[ */
void
enqueue_event_new(const struct msg_batch *b, struct enqueue_event *ev)
{
	struct jsonbuf	*e = &ev->b;

	memset(ev, 0, sizeof *ev);
	jsonbuf_put(e, "{\"stage\":", 9);
	jsonbuf_str(e, b->stage);
	jsonbuf_put(e, ",\"stage_label\":", 15);
	jsonbuf_str(e, b->stage_label);
	jsonbuf_put(e, ",\"group\":", 9);
	jsonbuf_str(e, b->group ? b->group : "");
	jsonbuf_put(e, ",\"items\":[", 10);
}

/* One item of an event. */
void
enqueue_event_item(struct enqueue_event *ev, int64_t id, const char *project,
    const char *kind, const char *department, int64_t due)
{
	struct jsonbuf	*e = &ev->b;
	char		 buf[64];
	int		 n;

	n = snprintf(buf, sizeof buf, "%s{\"id\":%lld,\"project\":",
	    e->p[e->len - 1] == '[' ? "" : ",", (long long)id);
	jsonbuf_put(e, buf, (size_t)n);
	jsonbuf_str(e, project);
	jsonbuf_put(e, ",\"item\":", 8);
	jsonbuf_str(e, kind);
	jsonbuf_put(e, ",\"department\":", 14);
	jsonbuf_str(e, department);
	jsonbuf_put(e, ",\"deadline\":", 12);
	/* Formatted once per distinct deadline of the event: localtime_r
	 * re-reads the zone's rule for every instant past its last
	 * transition. */
	if (!ev->has_due || ev->due != due) {
		rules_format(due, ev->deadline, sizeof ev->deadline);
		ev->due = due;
		ev->has_due = 1;
	}
	jsonbuf_str(e, ev->deadline);
	jsonbuf_put(e, "}", 1);
}

/* Finish an event: the text (malloc'd). */
char *
enqueue_event_dump(struct enqueue_event *ev)
{
	jsonbuf_put(&ev->b, "]}", 2);
	return (ev->b.p);
}

/* When a message of a batch may go: now, or when its chat's window opens. */
int64_t
enqueue_not_before(const struct config *conf, const struct msg_batch *b,
    int64_t now)
{
	if (b->urgent || b->channel->window < 0)
		return (now);
	return (rules_window_next(conf->calendar,
	    config_window(conf, b->channel->window), now));
}

/*
 * What happens to a message is logged once, against the message: its
 * items find the entry through outbox_items (a message about a single
 * item names it too); the journal gets one entry per message.
 */
int
enqueue_log_queued(struct store *s, const struct msg_batch *b,
    int64_t outbox_id, int64_t now, const int64_t *ids, size_t nitems,
    const char *project, size_t k, size_t nparts)
{
	char	 detail[128];

	if (nparts > 1)
		snprintf(detail, sizeof detail, "part %zu/%zu of a grouped "
		    "message, %zu item%s", k, nparts, nitems,
		    nitems == 1 ? "" : "s");
	else
		snprintf(detail, sizeof detail, "grouped message, %zu item%s",
		    nitems, nitems == 1 ? "" : "s");
	if (store_log_message(s, now, outbox_id, nitems == 1 ? ids[0] : 0,
	    nitems == 1 ? project : NULL, b->stage, b->channel->name,
	    "queued", detail) != 0)
		return (-1);
	log_action_items(store_actor(s), ids, nitems, nitems == 1 ? project :
	    NULL, b->stage, b->channel->name, "queued",
	    "%s: message %lld queued for %s (%s)", b->stage_label,
	    (long long)outbox_id, b->channel->name, detail);
	return (0);
}

/*
 * Queue one part of a batch (its title and text may hold PART_MARK), with
 * the mentions of its own items.  When its format cannot carry some of
 * them (WeCom markdown mentions no mobile), a short text message carrying
 * them follows it: queued right after it on the same chat, so that it
 * goes after it (a chat's queue is sent in order) and counts against the
 * chat's throttle like any message; it follows only a part that was sent
 * (the store fails it with its part).
 */
int
enqueue_part(const struct config *conf, struct store *s,
    const struct msg_batch *b, const struct msg_part *p, const char *event,
    int64_t now, int64_t ids[2])
{
	struct outbox_row	 o;

	ids[0] = ids[1] = 0;
	memset(&o, 0, sizeof o);
	o.channel = b->channel->name;
	o.stage = (char *)(uintptr_t)b->stage;
	o.title = p->title;
	o.text = p->text;
	o.severity = (char *)(uintptr_t)b->severity;
	o.mobiles = p->who.mobiles;
	o.userids = p->who.userids;
	o.event = (char *)(uintptr_t)event;
	o.created_at = now;
	o.not_before = enqueue_not_before(conf, b, now);
	if (store_outbox_insert(s, &o) != 0)
		return (-1);
	ids[0] = o.id;
	if (p->follow_text == NULL)
		return (0);
	o.follows = ids[0];
	o.text = p->follow_text;
	o.mobiles = p->follow.mobiles;
	o.userids = p->follow.userids;
	o.event = NULL;
	if (store_outbox_insert(s, &o) != 0)
		return (-1);
	ids[1] = o.id;
	return (0);
}

/*
 * Queue the parts of a rendered batch (notices about single items: the
 * step itself streams); link each item with the part that lists it.
 */
int
enqueue_batch(const struct config *conf, struct store *s,
    const struct msg_batch *b, int64_t now, int64_t item_for_log)
{
	struct msg_part		*parts;
	struct enqueue_event	 ev;
	size_t			 nparts, i, j;
	char			*err = NULL, *event;
	int64_t			 ids2[2];
	int			 n = 0, rc;

	if (message_render(conf, b, now, &parts, &nparts, &err) != 0) {
		log_warnx("%s", err);
		if (store_log(s, now, item_for_log, NULL, b->stage,
		    b->channel->name, "render-failed", err) != 0)
			log_warnx("enqueue: %s", store_error(s));
		free(err);
		return (-1);
	}
	for (i = 0; i < nparts; i++) {
		const struct item_row *first = NULL;
		enqueue_event_new(b, &ev);
		for (j = 0; j < parts[i].nentries; j++) {
			const struct msg_entry *e = parts[i].entries[j];
			enqueue_event_item(&ev, e->item->id,
			    e->item->project_code, e->item->kind,
			    e->item->department, e->due);
		}
		event = enqueue_event_dump(&ev);
		rc = enqueue_part(conf, s, b, &parts[i], event, now, ids2);
		free(event);
		if (rc != 0) {
			n = -1;
			break;
		}
		for (j = 0; j < parts[i].nentries; j++) {
			first = parts[i].entries[0]->item;
			if (store_outbox_link(s, ids2[0],
			    parts[i].entries[j]->item->id) != 0) {
				n = -1;
				break;
			}
		}
		if (n >= 0) {
			int64_t *ids = xcalloc(parts[i].nentries ?
			    parts[i].nentries : 1, sizeof *ids);
			size_t nids = parts[i].nentries;
			for (j = 0; j < nids; j++)
				ids[j] = parts[i].entries[j]->item->id;
			if (nids == 0 && item_for_log > 0) {
				ids[0] = item_for_log;
				nids = 1;
			}
			if (enqueue_log_queued(s, b, ids2[0], now, ids, nids,
			    first ? first->project_code : NULL, i + 1,
			    nparts) != 0)
				n = -1;
			free(ids);
		}
		if (n < 0)
			break;
		n += ids2[1] != 0 ? 2 : 1;
	}
	message_parts_free(parts, nparts);
	return (n);
}

/* Queue a ready text (reports, admin notices) for a channel. */
int
enqueue_text(const struct config *conf, struct store *s,
    const char *channel, const char *stage, const char *title,
    const char *text, const char *severity, int64_t now)
{
	struct outbox_row	 o;
	const struct channel	*ch = config_channel(conf, channel);

	if (ch == NULL)
		return (-1);
	memset(&o, 0, sizeof o);
	o.channel = (char *)(uintptr_t)channel;
	o.stage = (char *)(uintptr_t)stage;
	o.title = (char *)(uintptr_t)title;
	o.text = (char *)(uintptr_t)text;
	o.severity = (char *)(uintptr_t)severity;
	o.created_at = now;
	o.not_before = now;
	if (store_outbox_insert(s, &o) != 0)
		return (-1);
	return (store_log(s, now, 0, NULL, stage, channel, "queued", title));
}

/*
 * Queue a file for a channel (a report's workbook to a WeCom chat): a
 * message whose text names the file, and the file's bytes kept with it
 * (store_file.c) until the outbox has uploaded and posted it.
 */
int
enqueue_file(const struct config *conf, struct store *s,
    const char *channel, const char *stage, const char *title,
    const char *name, const void *data, size_t len, int64_t now)
{
	struct outbox_row	 o;
	char			*text;
	int			 rc;

	if (config_channel(conf, channel) == NULL)
		return (-1);
	xasprintf(&text, "[文件] %s（%zu 字节）", name, len);
	memset(&o, 0, sizeof o);
	o.channel = (char *)(uintptr_t)channel;
	o.stage = (char *)(uintptr_t)stage;
	o.title = (char *)(uintptr_t)title;
	o.text = text;
	o.severity = (char *)(uintptr_t)"info";
	o.created_at = now;
	o.not_before = now;
	rc = store_outbox_insert(s, &o) != 0 || store_file_add(s, o.id, name,
	    data, len) != 0 || store_log(s, now, 0, NULL, stage, channel,
	    "queued", text) != 0 ? -1 : 0;
	free(text);
	return (rc);
}
