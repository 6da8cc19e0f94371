/*
 * Telling the administrator about messages that will never be delivered.
 * Every permanent failure of a channel (content too long, a request the
 * vendor refuses, refused credentials that pause the channel) is counted
 * in the store per channel and vendor code; the admin channel gets at most
 * one notice per failing channel an hour, with the counts since the last
 * one.  The hour is computed from the stored time of the last notice, so a
 * restart does not reset it.  The admin channel's own failures are never
 * told to it (that would loop): they are only logged.  Callers hold a
 * transaction; the outbox owns the timer that sends a notice held back by
 * the hour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

/* When the next notice about a channel may go, its last at last (0:
 * never): an hour later, or now when the clock was set back past it. */
int64_t
notice_due_at(int64_t last, int64_t now)
{
	if (last <= 0 || last > now)
		return (now);
	return (last + NOTICE_INTERVAL);
}

/* The time of day of t, with its date when t is not on now's day. */
static void
notice_when(int64_t t, int64_t now, char *buf, size_t len)
{
	char	 a[32], b[32];
	int32_t	 dt, dn;

	rules_format(t, a, sizeof a);		/* YYYY-MM-DD HH:MM:SS */
	rules_split(t, &dt, NULL);
	rules_split(now, &dn, NULL);
	if (dt == dn)
		snprintf(b, sizeof b, "%.5s", a + 11);
	else
		snprintf(b, sizeof b, "%.11s", a + 5);
	snprintf(buf, len, "%s", b);
}

/* Append formatted text to a malloc'd string. */
static void PRINTFLIKE(2, 3)
notice_append(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*more, *both;

	va_start(ap, fmt);
	xvasprintf(&more, fmt, ap);
	va_end(ap);
	xasprintf(&both, "%s%s", *s, more);
	free(*s);
	free(more);
	*s = both;
}

/*
 * The notice about one channel's failures f[0..n) (all of that channel,
 * oldest first) at now: title and text, malloc'd.  Pure but for the
 * process time zone.
 */
void
notice_text(const char *channel, const struct failure_row *f, size_t n,
    int64_t now, char **title, char **text)
{
	char		*t, when[32], why[320];
	int64_t		 since = now;
	size_t		 i;
	int		 paused = 0;

	for (i = 0; i < n; i++) {
		if (f[i].since < since)
			since = f[i].since;
		if (f[i].paused)
			paused = 1;
	}
	notice_when(since, now, when, sizeof when);
	xasprintf(title, "【系统告警】通道 %s %s", channel, paused ?
	    "已暂停" : "发送失败");
	xasprintf(&t, "【系统告警】通道 %s 自 %s 起有消息无法送达：", channel,
	    when);
	for (i = 0; i < n; i++) {
		if (f[i].code != 0)
			snprintf(why, sizeof why, "%ld %s", f[i].code,
			    f[i].reason ? f[i].reason : "");
		else
			snprintf(why, sizeof why, "%s", f[i].reason ?
			    f[i].reason : "");
		if (f[i].paused)
			notice_append(&t, "\n- 凭据或安全设置被拒绝（%s），该通道"
			    "已暂停发送，%lld 条消息未发送；待管理员修正配置并重新"
			    "加载（systemctl reload approval-escalatord）后恢复",
			    why, (long long)f[i].n);
		else
			notice_append(&t, "\n- %lld 条消息被拒绝（%s）",
			    (long long)f[i].n, why);
		if (f[i].title != NULL && *f[i].title != '\0')
			notice_append(&t, "；首条：%s", f[i].title);
	}
	notice_append(&t, "\n修正后重新发送：approval-escalatorctl outbox retry"
	    " --channel %s；放弃：approval-escalatorctl outbox drop --channel %s"
	    " --reason 原因", channel, channel);
	*text = t;
}

/* Queue the notice about one channel's failures if the hour allows: 1
 * queued, 0 held back (*next: when it may go) or nothing to tell, -1
 * error. */
static int
notice_channel(const struct config *conf, struct store *s,
    const char *channel, int64_t now, int64_t *next)
{
	struct failure_row	*f;
	size_t			 n;
	int64_t			 last, due;
	char			*title, *text;
	int			 rc;

	*next = 0;
	if (store_failure_list(s, channel, &f, &n) != 0)
		return (-1);
	if (n == 0)
		return (0);
	if (store_notice_get(s, channel, &last) != 0) {
		failure_rows_free(f, n);
		return (-1);
	}
	if ((due = notice_due_at(last, now)) > now) {
		failure_rows_free(f, n);
		*next = due;
		return (0);
	}
	notice_text(channel, f, n, now, &title, &text);
	failure_rows_free(f, n);
	rc = enqueue_text(conf, s, conf->admin_channel, "admin", title, text,
	    "critical", now) < 0 || store_failure_clear(s, channel) != 0 ||
	    store_notice_set(s, channel, now) != 0 ||
	    store_log(s, now, 0, NULL, "admin", channel, "admin-notified",
	    title) != 0 ? -1 : 1;
	free(title);
	free(text);
	return (rc);
}

/*
 * Count n permanent failures of a channel (paused: its credentials were
 * refused) for the admin and queue the notice if the hour allows.  code
 * and msg are the vendor's answer, title the first message's.  Returns 1
 * when a notice was queued, 0 when none (*next: when one may go, 0 none),
 * -1 on a store error.
 */
int
notice_failure(const struct config *conf, struct store *s,
    const char *channel, enum channel_type type, long code, const char *msg,
    const char *title, int64_t n, int paused, int64_t now, int64_t *next)
{
	const char	*reason;

	*next = 0;
	if (conf->admin_channel == NULL ||
	    strcmp(conf->admin_channel, channel) == 0 ||
	    config_channel(conf, conf->admin_channel) == NULL)
		return (0);	/* nobody to tell, or it would loop: log only */
	if ((reason = channel_code_text(type, code)) == NULL)
		reason = msg;
	if (store_failure_add(s, channel, code, reason, n, now, title,
	    paused) != 0)
		return (-1);
	return (notice_channel(conf, s, channel, now, next));
}

/* Queue every notice the hour now allows; *next gets when the next one
 * held back may go (0: none).  Returns notices queued or -1. */
int
notice_flush(const struct config *conf, struct store *s, int64_t now,
    int64_t *next)
{
	struct failure_row	*f;
	size_t			 n, i;
	int64_t			 at;
	int			 rc, queued = 0;

	*next = 0;
	if (conf->admin_channel == NULL ||
	    config_channel(conf, conf->admin_channel) == NULL)
		return (0);
	if (store_failure_list(s, NULL, &f, &n) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(f[i].channel, f[i - 1].channel) == 0)
			continue;
		if (strcmp(f[i].channel, conf->admin_channel) == 0)
			continue;
		if ((rc = notice_channel(conf, s, f[i].channel, now, &at)) < 0) {
			failure_rows_free(f, n);
			return (-1);
		}
		queued += rc;
		if (at > 0 && (*next == 0 || at < *next))
			*next = at;
	}
	failure_rows_free(f, n);
	return (queued);
}
