/*
 * Logging: plain stderr lines in the foreground, structured journal
 * entries (sd_journal_send) when running under systemd.  Callers must
 * never pass secrets; channel URLs go through channel_redact() first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "escalator.h"

static int		log_debugging;
/* This thread runs a simulation: its actions never happened, so only
 * its problems are logged, marked as the simulation's. */
static _Thread_local int	log_simulating;
static enum log_target	log_target = LOG_TO_STDERR;

/* Choose verbosity and destination. */
void
log_init(int debug, enum log_target target)
{
	log_debugging = debug;
	log_target = target;
}

/* Write one line at a syslog priority. */
static void log_vwrite(int, const char *, va_list) PRINTFLIKE(2, 0);
static void
log_vwrite(int pri, const char *fmt, va_list ap)
{
	char		*msg;
	char		 stamp[32];
	time_t		 now;
	struct tm	 tm;

	if (log_simulating && pri > LOG_WARNING)
		return;
	xvasprintf(&msg, fmt, ap);
	if (log_simulating) {
		char *m2;
		xasprintf(&m2, "simulate: %s", msg);
		free(msg);
		msg = m2;
	}
	if (log_target == LOG_TO_JOURNAL)
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", pri,
		    "SYSLOG_IDENTIFIER=approval-escalatord", NULL);
	else {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s\n", stamp, msg);
	}
	free(msg);
}

/* A problem, with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;
	int	 saved = errno;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", m, strerror(saved));
	free(m);
}

/* A problem. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Normal operation worth recording. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Detail only shown with -d. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log and exit: for start-up failures only. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;
	int	 saved = errno;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s: %s", m, strerror(saved));
	exit(1);
}

/* Log and exit, without errno. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s", m);
	exit(1);
}

/* Mark the calling thread as running a simulation (1) or not (0): what a
 * simulation does never happened and must not reach the journal. */
void
log_simulation(int on)
{
	log_simulating = on;
}

/* Whether log_action_items() records the ids it is given (the journal's
 * ITEM_ID fields), so that a caller can spare reading them. */
int
log_action_ids(void)
{
	return (!log_simulating && log_target == LOG_TO_JOURNAL);
}

/*
 * Who did an action, as the action log's actor column names it (NULL:
 * the daemon).  Callers pass the actor their transaction was begun with
 * (store_actor() while it is open), so the journal and the log table
 * agree; an actor is a name, never a secret.
 */
static const char *
log_actor_name(const char *actor)
{
	return (actor != NULL && *actor != '\0' ? actor : STORE_ACTOR_DAEMON);
}

/* The line on stderr: the message, and who did it unless the daemon. */
static void
log_action_line(const char *actor, const char *m)
{
	if (actor != NULL && *actor != '\0' &&
	    strcmp(actor, STORE_ACTOR_DAEMON) != 0)
		log_info("%s (actor %s)", m, actor);
	else
		log_info("%s", m);
}

/*
 * The journal entry of an action: its fields, ITEM_ID once per item, and
 * PROJECT when project is not NULL.
 */
static void
log_action_send(const char *m, const char *actor, const int64_t *ids,
    size_t n, const char *project, const char *stage, const char *channel,
    const char *outcome)
{
	struct iovec	*iov;
	char		*f[8], *idbuf;
	size_t		 i, k = 0, nf = 7;

	iov = xcalloc(n + 8, sizeof *iov);
	idbuf = xcalloc(n ? n : 1, 32);
	xasprintf(&f[0], "MESSAGE=%s", m);
	xasprintf(&f[1], "PRIORITY=%d", LOG_INFO);
	xasprintf(&f[2], "SYSLOG_IDENTIFIER=approval-escalatord");
	xasprintf(&f[3], "STAGE=%s", stage ? stage : "");
	xasprintf(&f[4], "CHANNEL=%s", channel ? channel : "");
	xasprintf(&f[5], "OUTCOME=%s", outcome ? outcome : "");
	xasprintf(&f[6], "ACTOR=%s", log_actor_name(actor));
	if (project != NULL)
		xasprintf(&f[nf++], "PROJECT=%s", project);
	for (i = 0; i < nf; i++) {
		iov[k].iov_base = f[i];
		iov[k++].iov_len = strlen(f[i]);
	}
	for (i = 0; i < n; i++) {
		char *b = idbuf + i * 32;
		snprintf(b, 32, "ITEM_ID=%lld", (long long)ids[i]);
		iov[k].iov_base = b;
		iov[k++].iov_len = strlen(b);
	}
	sd_journal_sendv(iov, (int)k);
	for (i = 0; i < nf; i++)
		free(f[i]);
	free(idbuf);
	free(iov);
}

/* One escalation or delivery action, with journal fields to filter by. */
void
log_action(const char *actor, int64_t item_id, const char *project,
    const char *stage, const char *channel, const char *outcome,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	if (log_simulating)
		return;
	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	if (log_target == LOG_TO_JOURNAL)
		log_action_send(m, actor, &item_id, 1, project ? project : "",
		    stage, channel, outcome);
	else
		log_action_line(actor, m);
	free(m);
}

/*
 * An action about a message listing several items: one journal entry with
 * an ITEM_ID field per item (journalctl ITEM_ID=N finds it for any of
 * them); one line on stderr.  Only a message about one project names it.
 */
void
log_action_items(const char *actor, const int64_t *ids, size_t n,
    const char *project, const char *stage, const char *channel,
    const char *outcome, const char *fmt, ...)
{
	va_list		 ap;
	char		*m;

	if (log_simulating)
		return;
	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	if (log_target == LOG_TO_JOURNAL)
		log_action_send(m, actor, ids, n, project, stage, channel,
		    outcome);
	else
		log_action_line(actor, m);
	free(m);
}
