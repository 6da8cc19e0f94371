/*
 * approval-escalatord: the one project header.  Opaque types are declared
 * here; their layouts stay private to the file that owns them.  Prototypes
 * are grouped by the file that defines them, like tmux.h.
 */
#ifndef ESCALATOR_H
#define ESCALATOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <time.h>

#include "compat/queue.h"

#define ESCALATOR_VERSION "0.1.0"

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif
#define PRINTFLIKE(a, b) __attribute__((__format__(__printf__, a, b)))

struct event_base;
struct calendar;
struct template;
struct store;
struct config;
struct outbox;
struct scheduler;
struct control;

/* ------------------------------------------------------------------ */
/* xmalloc.c */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
int		 xasprintf(char **, const char *, ...) PRINTFLIKE(2, 3);
int		 xvasprintf(char **, const char *, va_list) PRINTFLIKE(2, 0);

/* ------------------------------------------------------------------ */
/* log.c */
enum log_target { LOG_TO_STDERR, LOG_TO_JOURNAL };
void		 log_init(int debug, enum log_target);
void		 log_warn(const char *, ...) PRINTFLIKE(1, 2);
void		 log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void		 log_info(const char *, ...) PRINTFLIKE(1, 2);
void		 log_debug(const char *, ...) PRINTFLIKE(1, 2);
__dead void	 fatal(const char *, ...) PRINTFLIKE(1, 2);
__dead void	 fatalx(const char *, ...) PRINTFLIKE(1, 2);
/* One action with structured fields (journal fields ITEM_ID, PROJECT...). */
void		 log_action(int64_t item_id, const char *project, const char *stage,
		    const char *channel, const char *outcome, const char *fmt, ...)
		    PRINTFLIKE(6, 7);

/* ------------------------------------------------------------------ */
/* calendar.c -- pure working-day arithmetic.
 *
 * Days are "day numbers": days since 1970-01-01 in the proleptic Gregorian
 * calendar (1970-01-01 is 0, a Thursday).  A working day is Monday-Friday
 * unless marked off, or a weekend day marked as a make-up working day.
 * Years never declared covered are counted Monday-Friday and flagged
 * through *uncovered so the caller can warn the administrator.
 */
int32_t		 calendar_daynum(int y, int m, int d);
void		 calendar_civil(int32_t day, int *y, int *m, int *d);
int		 calendar_weekday(int32_t day);		/* 0 = Sunday */
int		 calendar_parse_date(const char *, int32_t *);	/* -1: bad */
void		 calendar_format_date(int32_t day, char buf[11]);
struct calendar	*calendar_new(void);
void		 calendar_free(struct calendar *);
void		 calendar_cover_year(struct calendar *, int year);
/* Mark one day: off = 1 holiday, off = 0 make-up working day. */
int		 calendar_set_day(struct calendar *, int32_t day, int off,
		    const char *name);
int		 calendar_is_covered(const struct calendar *, int32_t day);
int		 calendar_is_workday(const struct calendar *, int32_t day,
		    int *uncovered);
/* Add n (may be negative) working days; the start day is not counted. */
int32_t		 calendar_add_workdays(const struct calendar *, int32_t day,
		    int n, int *uncovered);
/* Working days in (from, to]; negative when to < from. */
int		 calendar_count_workdays(const struct calendar *, int32_t from,
		    int32_t to, int *uncovered);
/* The day itself when it is a working day, else the next working day. */
int32_t		 calendar_next_workday(const struct calendar *, int32_t day,
		    int *uncovered);
int		 calendar_last_year(const struct calendar *);	/* 0: none */
const char	*calendar_day_name(const struct calendar *, int32_t day);

/* ------------------------------------------------------------------ */
/* template.c -- pure message templates with named placeholders.
 *
 * Text with {name} placeholders; "{{" and "}}" are literal braces.
 * template_parse() checks every placeholder against the allowed list and
 * returns NULL with *err = "line N: unknown placeholder {foo}" (malloc'd).
 */
typedef const char *(*template_lookup_fn)(void *arg, const char *name);
struct template	*template_parse(const char *text, const char *const *allowed,
		    char **err);
void		 template_free(struct template *);
int		 template_uses(const struct template *, const char *name);
char		*template_render(const struct template *, template_lookup_fn,
		    void *arg);		/* malloc'd; unknown lookup -> "" */

/* ------------------------------------------------------------------ */
/* Channels: the chat robots and webhooks messages are posted to. */
enum channel_type {
	CHANNEL_WECOM,
	CHANNEL_DINGTALK,
	CHANNEL_FEISHU,
	CHANNEL_WEBHOOK,
};
enum channel_format {
	FORMAT_DEFAULT,		/* the type's natural rich format */
	FORMAT_TEXT,
	FORMAT_MARKDOWN,
	FORMAT_ACTIONCARD,	/* DingTalk */
	FORMAT_POST,		/* Feishu rich text */
	FORMAT_CARD,		/* Feishu interactive card */
	FORMAT_JSON,		/* generic webhook */
};

struct channel {
	char			*name;
	enum channel_type	 type;
	enum channel_format	 format;
	char			*url;		/* endpoint without credentials */
	char			*key;		/* WeCom key / DingTalk access token /
						   Feishu hook token; secret */
	char			*secret;	/* signing secret; secret */
	char			**keywords;	/* DingTalk/Feishu keywords */
	size_t			 nkeywords;
	int			 per_minute;	/* throttle; 0 = unlimited */
	int			 per_second;
	int			 timeout;	/* seconds per request */
	size_t			 max_bytes;	/* body text limit */
	int			 window;	/* index of send window, -1 none */
	const char		*file;		/* where it was defined */
	int			 line;
	TAILQ_ENTRY(channel)	 entry;
};
TAILQ_HEAD(channel_list, channel);

/* One rendered message for one channel, as stored in the outbox. */
struct message {
	const char	*title;		/* short title: DingTalk title, card header */
	const char	*text;		/* body in the channel's markup */
	const char	*severity;	/* "info", "warning", "critical" */
	const char	*const *mobiles;	/* @-mentions by mobile */
	size_t		 nmobiles;
	const char	*const *userids;	/* @-mentions by app user id */
	size_t		 nuserids;
	const char	*link;		/* optional URL (actionCard button) */
	const char	*event_json;	/* structured event (generic webhook) */
};

/* A ready HTTP request; everything malloc'd, freed by http_request_clear. */
struct http_request {
	char	*url;		/* full URL including credentials: never log */
	char	*body;
	size_t	 bodylen;
	char	*headers[4];	/* "Name: value", NULL-terminated early */
};

enum delivery_outcome {
	DELIVERY_OK,
	DELIVERY_RETRY,		/* transient: 5xx, timeout, connection */
	DELIVERY_RATE_LIMITED,	/* vendor rate limit: retry later */
	DELIVERY_PERMANENT,	/* this message will never be accepted */
	DELIVERY_AUTH,		/* credentials wrong: pause the channel */
};

/* channel.c -- pure payload building and response judging per vendor. */
const char	*channel_type_name(enum channel_type);
int		 channel_type_parse(const char *, enum channel_type *);
const char	*channel_format_name(enum channel_format);
int		 channel_format_parse(const char *, enum channel_format *);
const char	*channel_default_url(enum channel_type);
size_t		 channel_default_max_bytes(enum channel_type, enum channel_format);
/* Build the request for one message at time now_ms (signing uses it). */
int		 channel_build(const struct channel *, const struct message *,
		    int64_t now_ms, struct http_request *, char **err);
void		 http_request_clear(struct http_request *);
/* Judge a response; curl_ok = 0 for a transport error.  *code gets the
 * vendor code (or HTTP status), msg a short reason without secrets. */
enum delivery_outcome channel_judge(enum channel_type, int curl_ok,
		    long http_status, const char *body, size_t len, long *code,
		    char *msg, size_t msglen);
/* The URL with its credentials replaced by "***" (malloc'd). */
char		*channel_redact(const struct channel *);
const char	*delivery_outcome_name(enum delivery_outcome);

/* sign.c -- pure signing helpers (OpenSSL HMAC, base64). All malloc'd. */
char		*sign_dingtalk(const char *secret, int64_t ts_ms);	/* base64 */
char		*sign_feishu(const char *secret, int64_t ts_s);		/* base64 */
char		*sign_webhook(const char *secret, const char *body, size_t len);
char		*sign_base64(const unsigned char *, size_t);

/* utf8.c -- pure UTF-8 helpers. */
int		 utf8_valid(const char *, size_t);
/* Longest prefix of s[0..len) of at most max bytes ending on a line break
 * if one exists in it, else on a character boundary. */
size_t		 utf8_cut(const char *s, size_t len, size_t max);

#endif /* ESCALATOR_H */
