/*
 * The throttle of one chat robot, pure: "now" is always an argument.
 *
 * A robot is named by a hash of its type, endpoint and key, so that every
 * channel entry naming the same robot shares one budget and the key never
 * appears anywhere.  A send counts from the moment its request starts, and
 * it stays in the window until its answer plus a margin: the vendor saw
 * the request at some moment between the two, and only the answer proves
 * when at the latest.  A send still in flight counts as if answered now
 * (the caller looks again when the answer comes).  The sends of the last
 * minute and a vendor's block are written out as text for the store, in
 * wall-clock milliseconds, and read back after a restart.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "escalator.h"

#define THROTTLE_MINUTE	60000
#define THROTTLE_SECOND	1000

/* The robot's identity: SHA-256 of "type\nurl\nkey", in hex, truncated. */
void
throttle_robot_id(enum channel_type type, const char *url, const char *key,
    char id[THROTTLE_ID_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	char			*s;

	xasprintf(&s, "%s\n%s\n%s", channel_type_name(type), url ? url : "",
	    key ? key : "");
	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0;
	explicit_bzero(s, strlen(s));
	free(s);
	for (i = 0; i < THROTTLE_ID_LEN / 2; i++) {
		id[2 * i] = i < mdlen ? hex[md[i] >> 4] : '0';
		id[2 * i + 1] = i < mdlen ? hex[md[i] & 0xf] : '0';
	}
	id[THROTTLE_ID_LEN] = '\0';
}

/* Forget every send and any block. */
void
throttle_init(struct throttle *th)
{
	memset(th, 0, sizeof *th);
}

/* When a send stops counting towards a window ending at now: its answer
 * plus the margin, or (in flight) now plus the margin. */
static int64_t
throttle_effective(const struct throttle_send *s, int64_t margin, int64_t now)
{
	return ((s->inflight ? now : s->end) + margin);
}

/* Drop the sends that no window can count any more at now. */
void
throttle_expire(struct throttle *th, int64_t margin, int64_t now)
{
	size_t	 i, j;

	for (i = j = 0; i < th->n; i++) {
		if (!th->s[i].inflight &&
		    th->s[i].end + margin + THROTTLE_MINUTE <= now)
			continue;
		th->s[j++] = th->s[i];
	}
	th->n = j;
}

/* The earliest moment a window of limit sends per span allows another
 * send, given the effective times; 0 when it allows one at once. */
static int64_t
throttle_window(const int64_t *eff, size_t n, int limit, int64_t span,
    int64_t now)
{
	size_t	 i, j, k;
	int64_t	 t;
	int64_t	 top[THROTTLE_SLOTS];

	if (limit <= 0 || (size_t)limit > n)
		return (0);
	/* The limit-th latest effective time must be a span ago. */
	k = 0;
	for (i = 0; i < n; i++) {
		t = eff[i];
		for (j = k; j > 0 && top[j - 1] < t; j--)
			if (j < (size_t)limit)
				top[j] = top[j - 1];
		if (j < (size_t)limit) {
			top[j] = t;
			if (k < (size_t)limit)
				k++;
		}
	}
	t = top[limit - 1] + span;
	return (t > now ? t : 0);
}

/* When the robot next allows a send at or after now: 0 at once, else the
 * moment (the same clock as now). */
int64_t
throttle_next(const struct throttle *th, const struct throttle_limits *lim,
    int64_t now)
{
	int64_t	 eff[THROTTLE_SLOTS], at = 0, t;
	size_t	 i;

	if (th->blocked_until > now)
		at = th->blocked_until;
	for (i = 0; i < th->n; i++)
		eff[i] = throttle_effective(&th->s[i], lim->margin, now);
	t = throttle_window(eff, th->n, lim->per_minute, THROTTLE_MINUTE, now);
	if (t > at)
		at = t;
	t = throttle_window(eff, th->n, lim->per_second, THROTTLE_SECOND, now);
	if (t > at)
		at = t;
	return (at);
}

/* Count a send whose request starts at now; returns its ticket. */
uint64_t
throttle_start(struct throttle *th, int64_t margin, int64_t now)
{
	throttle_expire(th, margin, now);
	if (th->n == THROTTLE_SLOTS) {
		/* Past any limit this can count: forget the oldest. */
		memmove(&th->s[0], &th->s[1], (th->n - 1) * sizeof th->s[0]);
		th->n--;
	}
	th->s[th->n].start = now;
	th->s[th->n].end = now;
	th->s[th->n].inflight = 1;
	th->s[th->n].ticket = ++th->tickets;
	th->n++;
	return (th->tickets);
}

/* The answer to the send of a ticket came at now. */
void
throttle_answer(struct throttle *th, uint64_t ticket, int64_t now)
{
	size_t	 i;

	for (i = 0; i < th->n; i++) {
		if (th->s[i].ticket == ticket && th->s[i].inflight) {
			th->s[i].end = now > th->s[i].start ? now :
			    th->s[i].start;
			th->s[i].inflight = 0;
			return;
		}
	}
}

/* The vendor blocks the robot until the moment until. */
void
throttle_block(struct throttle *th, int64_t until)
{
	if (until > th->blocked_until)
		th->blocked_until = until;
}

/*
 * The sends that still count at now as text for the store: "start:end"
 * pairs in wall-clock milliseconds separated by spaces, end 0 for a send
 * in flight (malloc'd).  wall - now is the offset of the wall clock.
 */
char *
throttle_encode(const struct throttle *th, int64_t margin, int64_t now,
    int64_t wall)
{
	struct jsonbuf	 b;
	char		 one[64];
	size_t		 i;
	int64_t		 off = wall - now;

	memset(&b, 0, sizeof b);
	jsonbuf_puts(&b, "");
	for (i = 0; i < th->n; i++) {
		if (!th->s[i].inflight &&
		    th->s[i].end + margin + THROTTLE_MINUTE <= now)
			continue;
		snprintf(one, sizeof one, "%s%" PRId64 ":%" PRId64,
		    b.len > 0 ? " " : "", th->s[i].start + off,
		    th->s[i].inflight ? 0 : th->s[i].end + off);
		jsonbuf_puts(&b, one);
	}
	return (b.p);
}

/* A moment on the wall clock brought to the caller's clock, never later
 * than now: a wall clock set back leaves no send in the future. */
static int64_t
throttle_from_wall(int64_t t, int64_t now, int64_t wall)
{
	t = t - wall + now;
	return (t > now ? now : t);
}

/*
 * Read sends back from throttle_encode()'s text at now (wall: the wall
 * clock now).  A send that was in flight when the text was written never
 * had its answer recorded (the daemon stopped): it counts until the
 * request's timeout, or until now if that is sooner.  Returns -1 on a
 * malformed text (what was read before stays).
 */
int
throttle_decode(struct throttle *th, const char *text, int64_t timeout,
    int64_t now, int64_t wall)
{
	const char	*p = text;
	char		*end;
	long long	 a, b;
	int64_t		 start, stop;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		a = strtoll(p, &end, 10);
		if (end == p || *end != ':')
			return (-1);
		p = end + 1;
		b = strtoll(p, &end, 10);
		if (end == p || (*end != ' ' && *end != '\0'))
			return (-1);
		p = end;
		if (a <= 0 || b < 0)
			return (-1);
		if (b == 0)
			b = a + timeout < wall ? a + timeout : wall;
		if (b < a)
			b = a;
		start = throttle_from_wall(a, now, wall);
		stop = throttle_from_wall(b, now, wall);
		if (th->n == THROTTLE_SLOTS) {
			memmove(&th->s[0], &th->s[1],
			    (th->n - 1) * sizeof th->s[0]);
			th->n--;
		}
		th->s[th->n].start = start;
		th->s[th->n].end = stop;
		th->s[th->n].inflight = 0;
		th->s[th->n].ticket = ++th->tickets;
		th->n++;
	}
	return (0);
}

/* A block's end from the store (wall-clock milliseconds, 0 none) on the
 * caller's clock; never more than max ahead (a wall clock set back). */
int64_t
throttle_block_from_wall(int64_t until, int64_t max, int64_t now,
    int64_t wall)
{
	if (until <= wall)
		return (0);
	if (until - wall > max)
		return (now + max);
	return (until - wall + now);
}
