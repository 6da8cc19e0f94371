/*
 * /metrics in the Prometheus text exposition format: items by status and
 * by stage, queue depth per channel, deliveries by channel and outcome,
 * delivery latency, and the result of the last reload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

struct metrics_buf {
	char	*s;
	size_t	 len;
};

/* Append formatted text. */
static void PRINTFLIKE(2, 3)
metrics_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*m;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&m, fmt, ap);
	va_end(ap);
	b->s = xreallocarray(b->s, b->len + (size_t)n + 1, 1);
	memcpy(b->s + b->len, m, (size_t)n + 1);
	b->len += (size_t)n;
	free(m);
}

/* Escape a label value (backslash, quote, newline). */
static void
metrics_label(struct metrics_buf *b, const char *v)
{
	char	 one[2] = { 0, 0 };

	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			metrics_printf(b, "\\%c", *v);
		else if (*v == '\n')
			metrics_printf(b, "\\n");
		else {
			one[0] = *v;
			metrics_printf(b, "%s", one);
		}
	}
}

/* One stage count. */
static void
metrics_stage_cb(void *arg, const char *stage, int64_t n)
{
	struct metrics_buf	*b = arg;

	metrics_printf(b, "escalator_items_by_stage{stage=\"");
	metrics_label(b, stage ? stage : "");
	metrics_printf(b, "\"} %lld\n", (long long)n);
}

/* One delivery counter. */
static void
metrics_delivery_cb(void *arg, const char *channel, const char *what,
    int64_t n)
{
	struct metrics_buf	*b = arg;

	if (*channel == '\0') {
		if (strcmp(what, "latency_ms_sum") == 0)
			metrics_printf(b, "escalator_delivery_latency_seconds_sum"
			    " %.3f\n", (double)n / 1000.0);
		else
			metrics_printf(b, "escalator_delivery_latency_seconds_count"
			    " %lld\n", (long long)n);
		return;
	}
	metrics_printf(b, "escalator_deliveries_total{channel=\"");
	metrics_label(b, channel);
	metrics_printf(b, "\",outcome=\"%s\"} %lld\n", what, (long long)n);
}

/* The whole exposition (malloc'd), or NULL when the store cannot be read. */
char *
metrics_render(struct escalator *esc)
{
	const char *const	*statuses = model_statuses;
	struct metrics_buf	 b = { NULL, 0 };
	struct channel		*ch;
	int64_t			 n;
	size_t			 i;

	metrics_printf(&b, "# HELP escalator_items Approval items by status.\n"
	    "# TYPE escalator_items gauge\n");
	for (i = 0; statuses[i] != NULL; i++) {
		if (store_count_status(esc->store, statuses[i], &n) != 0)
			goto fail;
		metrics_printf(&b, "escalator_items{status=\"%s\"} %lld\n",
		    statuses[i], (long long)n);
	}
	metrics_printf(&b, "# HELP escalator_items_by_stage Active items by the"
	    " last stage fired on their main deadline.\n"
	    "# TYPE escalator_items_by_stage gauge\n");
	if (store_count_stages(esc->store, metrics_stage_cb, &b) != 0)
		goto fail;
	metrics_printf(&b, "# HELP escalator_queue_depth Messages waiting per"
	    " channel.\n# TYPE escalator_queue_depth gauge\n");
	TAILQ_FOREACH(ch, &esc->conf->channels, entry) {
		if (store_outbox_count(esc->store, ch->name, "queued",
		    &n) != 0)
			goto fail;
		metrics_printf(&b, "escalator_queue_depth{channel=\"");
		metrics_label(&b, ch->name);
		metrics_printf(&b, "\"} %lld\n", (long long)n);
	}
	if (store_outbox_count(esc->store, NULL, "failed", &n) != 0)
		goto fail;
	metrics_printf(&b, "# HELP escalator_messages_failed Messages that"
	    " failed permanently.\n# TYPE escalator_messages_failed gauge\n"
	    "escalator_messages_failed %lld\n", (long long)n);
	metrics_printf(&b, "# HELP escalator_deliveries_total Delivery attempts"
	    " by channel and outcome since start.\n"
	    "# TYPE escalator_deliveries_total counter\n"
	    "# HELP escalator_delivery_latency_seconds Time from request to"
	    " answer.\n# TYPE escalator_delivery_latency_seconds summary\n");
	outbox_metrics(esc->outbox, metrics_delivery_cb, &b);
	metrics_printf(&b, "# HELP escalator_last_reload_success Whether the"
	    " last configuration reload succeeded.\n"
	    "# TYPE escalator_last_reload_success gauge\n"
	    "escalator_last_reload_success %d\n"
	    "# HELP escalator_last_reload_timestamp_seconds When it happened.\n"
	    "# TYPE escalator_last_reload_timestamp_seconds gauge\n"
	    "escalator_last_reload_timestamp_seconds %lld\n",
	    esc->reload_ok, (long long)(esc->reload_at ? esc->reload_at :
	    esc->started_at));
	metrics_printf(&b, "# HELP escalator_next_wakeup_timestamp_seconds The"
	    " scheduler's next wake-up (0: none).\n"
	    "# TYPE escalator_next_wakeup_timestamp_seconds gauge\n"
	    "escalator_next_wakeup_timestamp_seconds %lld\n",
	    (long long)scheduler_next(esc->sched));
	if ((n = store_checkpoints(esc->store)) >= 0)
		metrics_printf(&b, "# HELP escalator_wal_checkpoints_total WAL"
		    " checkpoints run by the checkpointer thread since start.\n"
		    "# TYPE escalator_wal_checkpoints_total counter\n"
		    "escalator_wal_checkpoints_total %lld\n", (long long)n);
	return (b.s);
fail:
	free(b.s);
	return (NULL);
}
