/*
 * approval-escalatord: the one project header.  Opaque types are declared
 * here; their layouts stay private to the file that owns them.  Prototypes
 * are grouped by the file that defines them, like tmux.h.
 *
 * Dependencies run one way.  A file calls only files of its own layer or
 * of a layer below it; no files call each other, directly or around a
 * cycle; the engines never call one another (daemon.c wires them through
 * the hooks in struct escalator).  `make check` enforces this on the
 * object files' symbol tables (tests/check-layers.py reads these lines):
 *
 * layer 1 utilities: xmalloc log notify utf8 jsonbuf sign api part table xlsx
 * layer 2 domain: calendar rules template channel report_period model throttle media link
 * layer 3 config: config
 * layer 4 rendering: message page
 * layer 5 store: store store_bulk store_file store_answer store_spill
 * layer 6 services: item enqueue import report notice answer worker
 * layer 7 engines (apart): scheduler outbox reporter
 * layer 8 shell: daemon control metrics simulate web
 * layer 9 main: main ctl
 *
 * Utilities know nothing of the domain; the pure domain (calendar and
 * ladder arithmetic, templates, vendor payloads and answers, report
 * periods) takes "now" as an argument; the store holds all SQL and calls
 * nothing above it; services work inside a caller's transaction (adding
 * an item, queueing a message, importing, rendering a report); engines
 * own a timer or the network; the shell is the loop, the API and the
 * simulation.
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
struct reporter;

/* ------------------------------------------------------------------ */
/* xmalloc.c */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
void		 xthread_worker(const char *);
void		 xthread_background(const char *);
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
void		 log_simulation(int);	/* this thread only */
/* One action with structured fields (journal fields ITEM_ID, PROJECT...,
 * ACTOR: who did it, as the action log's actor; NULL is the daemon). */
void		 log_action(const char *actor, int64_t item_id,
		    const char *project, const char *stage, const char *channel,
		    const char *outcome, const char *fmt, ...) PRINTFLIKE(7, 8);
/* The same for a message listing several items: ITEM_ID once per item. */
int		 log_action_ids(void);
void		 log_action_items(const char *actor, const int64_t *ids,
		    size_t n, const char *project, const char *stage,
		    const char *channel, const char *outcome, const char *fmt,
		    ...) PRINTFLIKE(8, 9);

/* ------------------------------------------------------------------ */
/* api.c -- an error to show to an API client: HTTP status, field, message. */
struct api_error {
	int	 status;
	char	 field[64];
	char	 msg[512];
};
void		 api_error_set(struct api_error *, int status, const char *field,
		    const char *fmt, ...) PRINTFLIKE(4, 5);
/* The largest request body the API reads (413 above; ctl checks first). */
#define API_MAX_BODY	(16 * 1024 * 1024)
/* POST /v1/import's own limit: a CSV file of about 1,500,000 rows. */
#define API_MAX_IMPORT	(256 * 1024 * 1024)

/* part.c -- markers of split messages: PART_MARK in a stored part's title
 * and heading becomes " (k/n)" when the part is read back. */
#define PART_MARK	"\x01part\x01"
#define PART_MARK_WIDEST " (999/999)"	/* the longest it becomes */
#define PART_RESERVE	64	/* reports: what a channel appends */
#define PART_ELLIPSIS	"\xe2\x80\xa6"	/* "…", ends a shortened line */
char		*part_mark(const char *, size_t k, size_t n);
/* Reports' splitting rule: what a part of at most max bytes (the channel's
 * channel_max_bytes) holds beside its frame, and where its body is cut. */
size_t		 part_room(size_t max, const char *frame);
size_t		 part_cut(const char *, size_t len, size_t room);
/* A line of at most max bytes: cut at a character boundary, markup left
 * open by the cut (** ` <font> [link]( ) dropped, an ellipsis appended
 * (malloc'd; the line itself when it fits). */
char		*part_shorten(const char *, size_t max);

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

/* A message template file: sections "@title", "@header", "@item" (repeated
 * once per item of a grouped message) and "@footer". */
struct template_set {
	struct template	*title;
	struct template	*header;
	struct template	*item;
	struct template	*footer;
};
extern const char *const template_group_names[];	/* title/header/footer */
extern const char *const template_item_names[];		/* item section */
/* Parse a whole file's text; on error *err = "file:line: message". */
int		 template_set_parse(const char *text, const char *file,
		    struct template_set *, char **err);
void		 template_set_clear(struct template_set *);

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
	int			 margin;	/* throttle_margin, ms */
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
	enum channel_format format;	/* FORMAT_DEFAULT: the channel's */
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
/* The channel's byte limit: max_bytes, else its type's default. */
size_t		 channel_max_bytes(const struct channel *);
/* The vendor's limit a message is split to (max_bytes if set): WeCom's on
 * the content, DingTalk's and Feishu's on the whole body. */
size_t		 channel_limit(const struct channel *);
/* What channel_limit() is compared with: the bytes of the request built
 * for m (the content, for WeCom); 0 when it cannot be built. */
size_t		 channel_measure(const struct channel *, const struct message *);
/* Which mentions the request for m carries: by user id, by mobile. */
void		 channel_mentions_carried(const struct channel *,
		    const struct message *, int *ids, int *mobiles);
struct person;
/* How an app can notify a person: by its user id (*uid) or by mobile
 * (*mobile), never both; NULL for both and a reason when it cannot. */
const char	*channel_mention(enum channel_type, const struct person *,
		    const char **uid, const char **mobile);
/* Build the request for one message at time now_ms (signing uses it). */
int		 channel_build(const struct channel *, const struct message *,
		    int64_t now_ms, struct http_request *, char **err);
void		 http_request_clear(struct http_request *);
/* Judge a response; curl_ok = 0 for a transport error.  *code gets the
 * vendor code (or HTTP status), msg a short reason without secrets. */
enum delivery_outcome channel_judge(enum channel_type, int curl_ok,
		    long http_status, const char *body, size_t len, long *code,
		    char *msg, size_t msglen);
/* A vendor's documented error code in a few words, or NULL. */
const char	*channel_code_text(enum channel_type, long code);
/* The URL with its credentials replaced by "***" (malloc'd). */
char		*channel_redact(const struct channel *);
const char	*delivery_outcome_name(enum delivery_outcome);
/* What to do after an answer: decided here, applied by outbox.c. */
struct delivery_plan {
	const char	*status;	/* the message's: sent queued failed */
	const char	*outcome;	/* sent retry rate-limited failed */
	int64_t		 wait_ms;	/* queued: try again this much later */
	int		 block;		/* the wait holds the channel's queue */
	int		 pause;		/* credentials refused: stop it all */
};
#define CHANNEL_MAX_WAIT_MS	(660 * 1000)	/* > any wait_ms */
void		 channel_plan(enum channel_type, enum delivery_outcome,
		    int attempts, uint32_t rnd, struct delivery_plan *);
int64_t		 channel_backoff_ms(int attempts, uint32_t rnd);
int64_t		 channel_block_ms(enum channel_type);
int64_t		 channel_send_delay_ms(enum channel_type, int64_t now_ms);

/* media.c -- pure: a file posted by a WeCom robot, uploaded first
 * (upload_media, multipart part "media") for a media_id valid three days,
 * then sent as {"msgtype":"file"}. */
#define MEDIA_MIN_BYTES	5		/* files must be larger */
#define MEDIA_MAX_BYTES	(20 * 1024 * 1024)
#define MEDIA_TTL	(3 * 86400)	/* seconds a media_id is valid */
#define MEDIA_INVALID	40007		/* WeCom: invalid media_id */
char		*media_upload_url(const struct channel *, char **err);
char		*media_disposition(const char *name, size_t len);
int		 media_check_size(size_t len, char *msg, size_t msglen);
char		*media_answer_id(const char *body, size_t len);
int		 media_fresh(int64_t at, int64_t now);
int		 media_message(const struct channel *, const char *media_id,
		    struct http_request *, char **err);

/* throttle.c -- pure: one robot's rate-limit window and vendor block.
 * Every channel entry with the same type, endpoint and key shares one. */
#define THROTTLE_SLOTS		128	/* sends remembered per robot */
#define THROTTLE_ID_LEN		32	/* hex digits of a robot's id */
#define THROTTLE_MARGIN_MS	100	/* default throttle_margin */
struct throttle_send {
	int64_t		 start;		/* the request started */
	int64_t		 end;		/* its answer came */
	int		 inflight;	/* no answer yet */
	uint64_t	 ticket;
};
struct throttle {
	struct throttle_send	 s[THROTTLE_SLOTS];	/* oldest first */
	size_t			 n;
	uint64_t		 tickets;
	int64_t			 blocked_until;	/* a vendor's block */
};
struct throttle_limits {
	int		 per_minute;	/* 0: no limit */
	int		 per_second;
	int64_t		 margin;	/* ms a send counts after its answer */
};
void		 throttle_robot_id(enum channel_type, const char *url,
		    const char *key, char id[THROTTLE_ID_LEN + 1]);
void		 throttle_init(struct throttle *);
void		 throttle_expire(struct throttle *, int64_t margin, int64_t now);
int64_t		 throttle_next(const struct throttle *,
		    const struct throttle_limits *, int64_t now);
uint64_t	 throttle_start(struct throttle *, int64_t margin, int64_t now);
void		 throttle_answer(struct throttle *, uint64_t ticket, int64_t now);
void		 throttle_block(struct throttle *, int64_t until);
char		*throttle_encode(const struct throttle *, int64_t margin,
		    int64_t now, int64_t wall);
int		 throttle_decode(struct throttle *, const char *, int64_t timeout,
		    int64_t now, int64_t wall);
int64_t		 throttle_block_from_wall(int64_t until, int64_t max,
		    int64_t now, int64_t wall);

/* link.c -- signed action links (pure): a token binds an item id, the
 * actions it allows, the addressee role it was made for, a tag of the
 * stage that sent it and an expiry; HMAC-SHA256 under the link secret. */
#define LINK_ACK	0x01	/* 签收 */
#define LINK_PROGRESS	0x02	/* 反馈进展 */
#define LINK_DONE	0x04	/* 已办结 */
#define LINK_STOP	0x08	/* 申请中止计时 */
#define LINK_APPROVE	0x10	/* a stop request: approve */
#define LINK_REJECT	0x20	/* a stop request: reject */
#define LINK_BOARD	0x40	/* the board */
#define LINK_NOTICE	(LINK_ACK | LINK_PROGRESS | LINK_DONE | LINK_STOP)
#define LINK_DECIDE	(LINK_APPROVE | LINK_REJECT)
#define LINK_DAYS	7	/* a link holds this long at most */
#define LINK_TOKEN_MAX	64	/* characters of a token */
#define LINK_CSRF_LEN	32	/* hex digits of a form's CSRF token */
struct link {
	int64_t		 item;		/* 0: none (the board) */
	int64_t		 ref;		/* a stop request's id; 0 none */
	unsigned	 actions;	/* LINK_* */
	int		 role;		/* enum recipient_role + 1; 0 unknown */
	unsigned	 stage;		/* link_stage_tag(); 0 any stage */
	int64_t		 issued, expires;
	unsigned	 salt;		/* tells links of one moment apart */
};
char		*link_make(const char *secret, const struct link *);
int		 link_parse(const char *secret, const char *token, struct link *);
int		 link_expired(const struct link *, int64_t now);
unsigned	 link_stage_tag(const char *stage);
void		 link_csrf(const char *secret, const char *token,
		    const char *action, char out[LINK_CSRF_LEN + 1]);
int		 link_csrf_ok(const char *secret, const char *token,
		    const char *action, const char *got);
unsigned	 link_action_parse(const char *);
const char	*link_action_name(unsigned);
const char	*link_action_label(unsigned);
const char	*link_role_name(int role);

/* sign.c -- pure signing helpers (OpenSSL HMAC, base64). All malloc'd. */
char		*sign_dingtalk(const char *secret, int64_t ts_ms);	/* base64 */
char		*sign_feishu(const char *secret, int64_t ts_s);		/* base64 */
char		*sign_webhook(const char *secret, const char *body, size_t len);
char		*sign_base64(const unsigned char *, size_t);
int		 sign_hmac_sha256(const void *key, size_t keylen,
		    const void *msg, size_t msglen, unsigned char out[32]);
char		*sign_base64url(const unsigned char *, size_t);	/* no padding */
int		 sign_base64url_decode(const char *, unsigned char *out,
		    size_t cap, size_t *len);

/* utf8.c -- pure UTF-8 helpers, the one decoder (ctl links it too). */
int		 utf8_valid(const char *, size_t);
/* The offset of the first bad byte (len: none). */
size_t		 utf8_valid_prefix(const char *, size_t);
/* Decode one character, its length returned; a bad byte is U+FFFD. */
size_t		 utf8_next(const char *, size_t, uint32_t *);
/* The number of characters (a bad byte counts as one). */
size_t		 utf8_count(const char *, size_t);

/* jsonbuf.c: JSON text written into a growing buffer, escaped as jansson
 * escapes (p is malloc'd and NUL-terminated; start from all zeros). */
struct jsonbuf {
	char	*p;
	size_t	 len, cap;
};
void		 jsonbuf_put(struct jsonbuf *, const char *, size_t);
void		 jsonbuf_puts(struct jsonbuf *, const char *);
void		 jsonbuf_str(struct jsonbuf *, const char *);
void		 jsonbuf_str_or_null(struct jsonbuf *, const char *);
void		 jsonbuf_strings(struct jsonbuf *, const char *const *, size_t);
/* Longest prefix of s[0..len) of at most max bytes ending on a line break
 * if one exists in it, else on a character boundary. */
size_t		 utf8_cut(const char *s, size_t len, size_t max);


/* table.c -- a table of text cells under typed columns: the model of the
 * reports' tables, read by the CSV writer here and by xlsx.c.  A cell is
 * the text the CSV shows; its column's kind says how a typed format
 * reads it ("2026-11-27 18:00", "13", "60.0%"; other text stays text). */
enum table_kind { TABLE_TEXT, TABLE_NUMBER, TABLE_TIME, TABLE_PERCENT };
struct table;
struct table	*table_new(const char *const *names, const enum table_kind *,
		    size_t ncols);
void		 table_free(struct table *);
void		 table_add(struct table *, const char *const *fields);
size_t		 table_ncols(const struct table *);
size_t		 table_nrows(const struct table *);
const char	*table_name(const struct table *, size_t col);
enum table_kind	 table_kind(const struct table *, size_t col);
const char	*table_cell(const struct table *, size_t row, size_t col);
/* UTF-8 with a BOM, every field quoted, CRLF; malloc'd. */
char		*table_csv(const struct table *, size_t *len);
char		*table_csv_part(const struct table *, size_t *next, size_t max,
		    size_t *len);

/* xlsx.c -- a table as an .xlsx workbook (libxlsxwriter): a frozen bold
 * header row, fitted column widths, dates as dates.  0, or -1 with *err
 * malloc'd. */
#define XLSX_MIME "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
size_t		 xlsx_text_width(const char *);	/* wide characters 2 */
int		 xlsx_write(const struct table *, const char *sheet,
		    const char *title, int64_t created, char **buf, size_t *len,
		    char **err);


/* ------------------------------------------------------------------ */
/* config.c -- the configuration, parsed with libconfig and validated
 * as a whole.  A struct config is immutable once loaded; reload builds a
 * new one and swaps it in. */

/* Durations: seconds, minutes, hours, calendar days or working days. */
enum dur_unit { DUR_SECONDS, DUR_DAYS, DUR_WORKDAYS };
struct duration {
	enum dur_unit	 unit;
	int64_t		 n;	/* seconds for DUR_SECONDS, else days */
};

/* A send window on the working-day calendar, e.g. workdays 08:30-18:00. */
struct window {
	char		*name;
	int		 workdays_only;	/* 1: working days, 0: every day */
	int		 start_min;	/* minutes after midnight */
	int		 end_min;	/* exclusive; > start_min */
};

struct person {
	char		*id;
	char		*name;
	char		*role;
	char		*mobile;
	char		*wecom;		/* per-app user ids */
	char		*dingtalk;
	char		*feishu;
	const char	*file;		/* where it was defined */
	int		 line;
};

struct department {
	char		*name;
	char		*level;		/* "city" or "county" */
	char		*region;
	char		*contact;	/* person id or NULL */
	char		*channel;	/* channel name or NULL: group's chat */
};

struct group {
	char		*name;
	char		*leader;	/* person id */
	char		**members;	/* person ids */
	size_t		 nmembers;
	char		*channel;
	char		**categories;
	size_t		 ncategories;
};

/* Recipient of a stage: a role resolved per item, or a channel. */
enum recipient_role {
	ROLE_CHANNEL,		/* a named channel */
	ROLE_HANDLER,
	ROLE_DEPARTMENT,
	ROLE_GROUP,
	ROLE_LEADER,
	ROLE_HEAD,
	ROLE_ADMIN,
};
struct recipient {
	enum recipient_role	 role;
	char			*channel;	/* ROLE_CHANNEL only */
};

struct stage {
	char			*name;		/* "reminder" */
	char			*label;		/* "催办" */
	struct duration		 offset;	/* from the deadline; may be < 0 */
	struct duration		 repeat;	/* n == 0: no repeat */
	struct recipient	*to;
	size_t			 nto;
	char			*template;	/* template name; default = name */
	char			*severity;	/* info/warning/critical */
	int			 urgent;	/* ignores send windows */
	struct duration		 rectify;	/* interview: rectification limit */
};

/* Tracks are the deadlines an item carries; each has its own ladder. */
#define TRACK_MAIN		"main"
#define TRACK_SUPPLEMENT	"supplement"	/* 容缺受理 */
#define TRACK_COMMITMENT	"commitment"	/* 告知承诺 */
#define TRACK_RECTIFY		"rectify"	/* 限期整改 after an interview */
#define TRACK_STALE		"stale"		/* no progress for too long */

/* model.c -- the item statuses and modes: the one spelling of the strings
 * the database and the API use, and their tables (NULL-terminated). */
#define STATUS_PLANNED		"planned"	/* not yet accepted */
#define STATUS_ACCEPTED		"accepted"	/* the clock runs */
#define STATUS_SUSPENDED	"suspended"	/* the clock stands */
#define STATUS_DONE		"done"		/* 办结 */
#define STATUS_CANCELLED	"cancelled"
#define MODE_NORMAL		"normal"
#define MODE_PRECHECK		"预审"
#define MODE_SUPPLEMENT		"容缺受理"	/* with TRACK_SUPPLEMENT */
#define MODE_COMMITMENT		"告知承诺"	/* with TRACK_COMMITMENT */
/* The outcome of a 告知承诺 item's verification (核查), after which its
 * commitment track ends; it runs on after the item is done until then. */
#define COMMITMENT_PASS		"pass"		/* 核查通过 */
#define COMMITMENT_FAIL		"fail"		/* 核查不通过 */
#define SQLQ(s)			"'" s "'"	/* as an SQL literal */
/* The item statuses whose main track's stage status counts (overdue). */
#define STORE_COUNTS_OPEN	SQLQ(STATUS_ACCEPTED) ", " SQLQ(STATUS_SUSPENDED)
extern const char *const model_statuses[];
extern const char *const model_modes[];
extern const char *const model_results[];
int		 model_valid_status(const char *);
int		 model_valid_mode(const char *);
int		 model_valid_result(const char *);	/* COMMITMENT_* */
int		 model_status_open(const char *);	/* accepted suspended */
int		 model_status_closed(const char *);	/* done, cancelled */
/* Request text limits, in characters (of valid UTF-8). */
#define MODEL_TEXT_CODE	100	/* project codes, event ids */
#define MODEL_TEXT_NAME	200	/* names, departments, handlers... */
#define MODEL_TEXT_NOTE	4000	/* notes, reasons, project content */
#define MODEL_TEXT_TIME	64	/* dates, times, time limits */
size_t		 model_text_limit(const char *field);

struct policy {
	char		*name;
	char		*track;		/* which deadline it escalates */
	char		**categories;	/* match lists; empty = any */
	size_t		 ncategories;
	char		**departments;
	size_t		 ndepartments;
	char		**kinds;
	size_t		 nkinds;
	char		**modes;
	size_t		 nmodes;
	int		 window;	/* index into config windows, -1 none */
	struct duration	 stale_after;	/* track "stale": n == 0 off */
	struct stage	*stages;	/* ordered by offset */
	size_t		 nstages;
	int		 done_notice;	/* send "done" to who was escalated to */
	const char	*file;
	int		 line;
};

/*
 * A scheduled report (the task force's rhythm): what it shows, for which
 * work group, when and where it goes.  Schedules are on the working-day
 * calendar: a report whose day is off goes out on the next working day.
 */
enum report_type {
	REPORT_WEEKLY,		/* 组长每周调度: a group's week */
	REPORT_REVIEW,		/* 专班每半月: per-group summary and change */
	REPORT_BULLETIN,	/* 定期通报: rankings, commendations, laggards */
	REPORT_AGENDA,		/* 联席会议: blocked and raised items */
};
enum report_schedule {
	REPORT_SCHED_NONE,	/* on demand only */
	REPORT_SCHED_WEEKLY,	/* weekday */
	REPORT_SCHED_BIWEEKLY,	/* weekday, every 2 weeks from anchor */
	REPORT_SCHED_SEMIMONTHLY, /* days of the month */
	REPORT_SCHED_MONTHLY,	/* one day of the month */
};
struct report_conf {
	char			*name;
	enum report_type	 type;
	char			*group;		/* NULL: every group */
	enum report_schedule	 schedule;
	int			 weekday;	/* 1 Monday .. 7 Sunday */
	int			*days;		/* sorted, unique, 1..31; a day
						   past a month's end is its
						   last day */
	size_t			 ndays;
	int32_t			 anchor;	/* biweekly: a scheduled day */
	int			 time_min;	/* minutes after midnight */
	char			**channels;
	size_t			 nchannels;
	int			 attach;	/* REPORT_ATTACH_* */
	const char		*file;
	int			 line;
};
/* attach: what a report's WeCom chats also get beside a short summary. */
#define REPORT_ATTACH_NONE	0	/* the report as text */
#define REPORT_ATTACH_XLSX	1	/* its table as an .xlsx file */

/* Loaded templates: one set per (template name, channel type). */
struct template_entry {
	char			*name;		/* "reminder" */
	int			 type;		/* enum channel_type, -1 any */
	char			*path;
	struct template_set	 set;
};

/* A bearer token of the TCP API; requests with it act as "token:NAME". */
struct api_token {
	char		*name;
	char		*token;		/* secret */
};

struct config {
	char			*path;		/* the main file */
	char			*database;
	char			*timezone;
	char			*socket;
	int			 socket_mode;
	char			*listen;	/* optional TCP "127.0.0.1:8080" */
	char			*listen_host;	/* its host; IPv6 without [] */
	int			 listen_port;
	char			*api_token;	/* secret; also tokens[] "default" */
	struct api_token	*tokens;	/* every TCP API token, named */
	size_t			 ntokens;
	char			*link_base;	/* item links, optional */
	char			*public_url;	/* signed action links' base */
	char			*link_secret;	/* their key; secret */
	int			 board;		/* serve /board */
	int			 deadline_min;	/* time of day deadlines fall due */
	char			*admin_channel;
	char			*head;		/* person id */
	char			*head_channel;
	struct calendar		*calendar;
	int			 calendar_last_year;
	struct channel_list	 channels;
	struct window		*windows;
	size_t			 nwindows;
	struct person		*people;
	size_t			 npeople;
	struct department	*departments;
	size_t			 ndepartments;
	struct group		*groups;
	size_t			 ngroups;
	struct policy		*policies;
	size_t			 npolicies;
	struct template_entry	*templates;
	size_t			 ntemplates;
	struct report_conf	*reports;
	size_t			 nreports;
	char			**warnings;	/* non-fatal, e.g. secret file mode */
	size_t			 nwarnings;
	char			**placeholders;	/* shipped PLACEHOLDER credentials:
						   "file:line: what to put where" */
	size_t			 nplaceholders;
	char			**files;	/* source file names, owned; what
						   channel/policy ->file point to */
	size_t			 nfiles;
	int			 refs;		/* holders (config_ref) */
};

/* Load and validate; NULL on error with every problem appended to
 * *problems (malloc'd strings "file:line: message"). */
struct config	*config_load(const char *path, char ***problems, size_t *nproblems);
/* Limits the configuration's files are checked against before libconfig
 * (whose scanner is quadratic in a value's length) reads them. */
#define CONFIG_FILE_MAX		(1024 * 1024)	/* bytes per file */
#define CONFIG_VALUE_MAX	(64 * 1024)	/* bytes of a string value */
#define CONFIG_LINE_MAX		(128 * 1024)	/* bytes of a line */
/* Check text[0..len) of file in linear time: 0, or -1 with *problem
 * ("file:line: value too long (N bytes; the limit is M)"). */
int		 config_prescan(const char *file, const char *text, size_t len,
		    size_t vmax, size_t lmax, char **problem);
/* msg with every quoted value cut to an excerpt, and the whole bounded. */
char		*config_shorten(const char *msg);
void		 config_free(struct config *);	/* drops one holder */
struct config	*config_ref(struct config *);
void		 config_problems_free(char **, size_t);
size_t		 config_placeholder_problems(const struct config *, char ***,
		    size_t *);
struct channel	*config_channel(const struct config *, const char *name);
const struct person *config_person(const struct config *, const char *id_or_name);
/* The name of the configured API token equal to a token, or NULL. */
const char	*config_token(const struct config *, const char *token);
const struct department *config_department(const struct config *, const char *);
const struct group *config_group_for(const struct config *, const char *category);
const struct group *config_group(const struct config *, const char *name);
const struct window *config_window(const struct config *, int);
const struct policy *config_policy_for(const struct config *, const char *track,
		    const char *category, const char *department, const char *kind,
		    const char *mode);
const struct policy *config_policy(const struct config *, const char *name);
int		 config_policy_same(const struct config *, const struct config *,
		    const char *name);
const struct template_set *config_template(const struct config *,
		    const char *name, enum channel_type);
int		 config_parse_duration(const char *, struct duration *);
void		 config_format_duration(const struct duration *, char *, size_t);


/* ------------------------------------------------------------------ */
/* notify.c */
void		 notify_ready(void);
void		 notify_status(const char *);
void		 notify_reloading(void);
void		 notify_stopping(void);
void		 notify_watchdog(void);
uint64_t	 notify_watchdog_usec(void);
int		 notify_under_journal(void);


/* ------------------------------------------------------------------ */
/* The model, as rows of the store.  Strings are owned by the row and
 * freed by the matching _clear function. */
struct project_row {
	int64_t		 id;
	char		*code;
	char		*name;
	char		*category;
	char		*region;
	char		*content;
	char		*planned_start;		/* YYYY-MM-DD or NULL */
	char		*progress;		/* latest 形象进度 note */
	int64_t		 progress_at;
};

struct item_row {
	int64_t		 id;
	int64_t		 project_id;
	char		*project_code;		/* joined from projects */
	char		*project_name;
	char		*category;
	char		*region;
	char		*kind;			/* 立项, 选址 ... */
	char		*department;
	char		*handler;
	char		*mode;			/* normal 预审 容缺受理 告知承诺 */
	char		*status;		/* planned accepted suspended done cancelled */
	int64_t		 accepted_at;		/* 0: not yet */
	char		*limit;			/* "5wd" or NULL */
	int64_t		 due_at;		/* 0: none yet */
	int		 explicit_due;		/* due_at given, not computed */
	int64_t		 supplement_due;
	int64_t		 commitment_due;
	int64_t		 suspended_at;
	char		*suspend_reason;
	int		 stopped_workdays;	/* clock stops so far */
	int64_t		 stopped_seconds;
	char		*blocked_reason;
	int64_t		 blocked_at;
	int64_t		 raised_at;		/* 提级 */
	int64_t		 last_progress_at;
	int64_t		 done_at;
	int64_t		 created_at;
	int64_t		 supplement_done_at;	/* 补正材料已收齐, 0 not yet */
	int64_t		 commitment_verified_at; /* 承诺核查, 0 not yet */
	char		*commitment_result;	/* COMMITMENT_* or NULL */
};

struct track_row {
	int64_t		 id;
	int64_t		 item_id;
	char		*kind;		/* TRACK_* */
	char		*policy;	/* policy name at last evaluation */
	int64_t		 due_at;
	int		 stage;		/* last fired stage index, -1 none */
	char		*stage_name;	/* its name (survives reloads) */
	int		 rep;		/* repetitions of that stage fired */
	int64_t		 next_at;	/* 0: nothing due (inactive) */
};

struct outbox_row {
	int64_t		 id;
	char		*channel;
	char		*stage;		/* stage name, "done", "test", "report" */
	char		*title;
	char		*text;
	char		*severity;
	char		*mobiles;	/* JSON array */
	char		*userids;	/* JSON array */
	char		*event;		/* JSON object or NULL */
	int64_t		 follows;	/* a text follow-up of that message,
					   carrying what it could not mention */
	char		*status;	/* queued sent failed */
	int		 attempts;
	int64_t		 not_before;
	int64_t		 next_attempt;
	int64_t		 created_at;
	int64_t		 sent_at;
	long		 code;
	char		*error;
};

struct log_row {
	int64_t		 id;
	int64_t		 at;
	int64_t		 item_id;
	char		*project;
	char		*stage;
	char		*channel;
	char		*outcome;
	char		*detail;
	char		*actor;		/* who: STORE_ACTOR_DAEMON, "unix:USER",
					   "token:NAME", "import:FILE ...";
					   NULL before schema 10 */
};

/* Which log entries store_log_query() lists. */
struct log_filter {
	int64_t		 item;		/* > 0: the item's and its messages' */
	const char	*project;	/* entries naming this project code */
	const char	*actor;		/* exact, or "PREFIX*" */
	int64_t		 since;		/* at >= since; 0: open */
	int64_t		 until;		/* at <= until; 0: open */
	int		 cursor;	/* 1: the first after id "after", */
	int64_t		 after;		/* else the last ones */
	int		 limit;		/* <= 0: all */
};

/* store.c -- SQLite in WAL mode; all SQL of the daemon lives here. */
typedef int (*store_item_cb)(void *, const struct item_row *);
typedef int (*store_track_cb)(void *, const struct track_row *);
typedef int (*store_log_cb)(void *, const struct log_row *);
typedef int (*store_project_cb)(void *, const struct project_row *);
typedef int (*store_outbox_cb)(void *, const struct outbox_row *);
typedef int (*store_track_item_cb)(void *, const struct track_row *,
    const struct item_row *);

struct store	*store_open(const char *path, char **err);
void		 store_close(struct store *);
const char	*store_path(struct store *);
/* A private copy of the database file at path (a simulation's). */
struct store	*store_snapshot(const char *path, char **err);
/* The SQLite handle, for modules that keep their own prepared statements
 * (store_bulk.c, simulate.c). */
struct sqlite3	*store_db(struct store *);
int		 store_checkpointer_start(struct store *, char **);
int		 store_reader_start(struct store *, char **);
void		 store_checkpointer_stop(struct store *);
void		 store_checkpointer_share(struct store *, struct store *other);
int64_t		 store_checkpoints(struct store *);
const char	*store_error(struct store *);
#define STORE_BUSY_MS	100	/* the running loop's wait for a lock */
void		 store_busy_timeout(struct store *, int ms);
int		 store_busy(struct store *);	/* the last failure: a lock */
int		 store_begin(struct store *);
/* The actor of the log entries the transaction writes (NULL: daemon);
 * commit and rollback forget it. */
#define STORE_ACTOR_DAEMON	"daemon"	/* scheduled and internal */
int		 store_begin_as(struct store *, const char *actor);
/* A read transaction: the reads until commit or rollback see one
 * snapshot (WAL) and take no write lock. */
int		 store_begin_read(struct store *);
/* Make the statement running on this connection stop (any thread). */
void		 store_interrupt(struct store *);
const char	*store_actor(struct store *);
int		 store_commit(struct store *);
void		 store_rollback(struct store *);
void		 project_row_clear(struct project_row *);
void		 item_row_clear(struct item_row *);
void		 track_row_clear(struct track_row *);
void		 outbox_row_clear(struct outbox_row *);
void		 log_row_clear(struct log_row *);

int		 store_project_get(struct store *, const char *code, struct project_row *);
int		 store_project_save(struct store *, struct project_row *, int *created);
int		 store_project_progress(struct store *, int64_t id, const char *note, int64_t at);
int		 store_project_list(struct store *, store_project_cb, void *);

int		 store_item_get(struct store *, int64_t id, struct item_row *);
int		 store_item_find(struct store *, int64_t project_id, const char *kind,
		    const char *department, int64_t *id);
int		 store_item_insert(struct store *, struct item_row *);
int		 store_count_new_items(struct store *, int64_t, int64_t);
int		 store_count_new_tracks(struct store *, int64_t, int64_t);
int		 store_item_update(struct store *, const struct item_row *);
int		 store_item_list(struct store *, const char *status, const char *project,
		    int limit, store_item_cb, void *);
int		 store_item_each_active(struct store *, store_item_cb, void *);
/* Pages by key (never OFFSET): items after an id, filtered by status and
 * project code (NULL: any); projects after a code ("": from the first). */
int		 store_item_page(struct store *, const char *status,
		    const char *project, int64_t after, int limit, store_item_cb,
		    void *);
int		 store_project_page(struct store *, const char *after, int limit,
		    store_project_cb, void *);
int		 store_prereq_add(struct store *, int64_t item, int64_t needs);
/* Ids of prerequisites of item not yet done (count in *n, max cap). */
int		 store_prereq_pending(struct store *, int64_t item, int64_t *ids,
		    size_t cap, size_t *n);
int		 store_prereq_list(struct store *, int64_t item, int64_t *ids,
		    size_t cap, size_t *n);
int		 store_progress_add(struct store *, int64_t project, int64_t item,
		    const char *note, int64_t at);

int		 store_track_get(struct store *, int64_t item, const char *kind,
		    struct track_row *);
int		 store_track_save(struct store *, struct track_row *);
int		 store_track_delete(struct store *, int64_t item, const char *kind);
int		 store_track_each(struct store *, int64_t item, store_track_cb, void *);
int		 store_track_all(struct store *, store_track_cb, void *);
int		 store_track_due_items(struct store *, int64_t now,
		    store_track_item_cb, void *);
int		 store_next_wakeup(struct store *, int64_t *at);	/* 1: none */

/* A claim is per track, deadline (due_at), stage and repetition. */
int		 store_fired_insert(struct store *, int64_t track, int64_t due,
		    int64_t item, const char *stage, int rep,
		    int64_t at);	/* 1: already */
int		 store_outbox_insert(struct store *, struct outbox_row *);
int		 store_outbox_link(struct store *, int64_t outbox, int64_t item);
int		 store_outbox_links(struct store *, int64_t outbox,
		    const int64_t *items, size_t n);
/* A log entry to append (strings only read during the call). */
struct store_log_in {
	int64_t		 at, item, outbox;
	const char	*project, *stage, *channel, *outcome, *detail;
};
int		 store_log_many(struct store *, const struct store_log_in *,
		    size_t);
int		 store_track_update_many(struct store *, struct track_row *,
		    size_t);
int		 store_outbox_get(struct store *, int64_t id, struct outbox_row *);
int		 store_outbox_next(struct store *, const char *channel, struct outbox_row *);
int		 store_outbox_update(struct store *, const struct outbox_row *);
int		 store_outbox_max_id(struct store *, int64_t *);
int		 store_outbox_since(struct store *, int64_t after_id, store_outbox_cb, void *);
int		 store_outbox_channels_of_item(struct store *, int64_t item,
		    char ***channels, size_t *n);
int		 store_outbox_count(struct store *, const char *channel,
		    const char *status, int64_t *n);
int		 store_outbox_fail_channel(struct store *, const char *channel,
		    long code, const char *why, int64_t *n);
int		 store_outbox_title(struct store *, int64_t id, char **title);
/* store_spill.c: a step's grouped items, kept off the heap. */
struct store_spill;
struct spill_row {
	int64_t		 item_id;
	int64_t		 due;		/* the track's deadline */
	int64_t		 rectify_due;
	int64_t		 accepted_at;
	const char	*project_code;
	const char	*project_name;
	const char	*category;
	const char	*region;
	const char	*kind;
	const char	*department;
	const char	*handler;
	const char	*mode;
	const char	*reason;
	const char	*who;		/* people to @-mention: names, US-separated */
};
int		 store_spill_open(struct store_spill **, char **);
void		 store_spill_close(struct store_spill *);
const char	*store_spill_error(struct store_spill *);
int		 store_spill_add(struct store_spill *, int64_t,
		     const struct spill_row *);
int		 store_spill_begin(struct store_spill *, int64_t);
int		 store_spill_next(struct store_spill *, struct spill_row *);
void		 store_spill_end(struct store_spill *);

/* store_file.c -- the file a message posts (outbox_files). */
struct file_row {
	int64_t		 outbox_id;
	char		*name;		/* shown in the chat */
	char		*data;
	size_t		 len;
	char		*media_id;	/* NULL: not uploaded (or forgotten) */
	int64_t		 media_at;
};
int		 store_file_add(struct store *, int64_t outbox_id,
		    const char *name, const void *data, size_t len);
int		 store_file_get(struct store *, int64_t outbox_id,
		    struct file_row *);	/* 1: none */
int		 store_file_media(struct store *, int64_t outbox_id,
		    const char *media_id, int64_t at);
void		 file_row_clear(struct file_row *);
/* What GET /v1/outbox lists: status NULL for the unsent (queued and
 * failed), "all" for any; item 0 any; after and limit page by id. */
struct outbox_filter {
	const char	*channel;
	const char	*status;
	int64_t		 item;
	int64_t		 after;
	int		 limit;		/* <= 0: all */
};
int		 store_outbox_list(struct store *, const struct outbox_filter *,
		    store_outbox_cb, void *);
/* Queued messages per channel. */
int		 store_outbox_waiting(struct store *, void (*)(void *,
		    const char *channel, int64_t n), void *);
/* An operator's action on messages (approval-escalatorctl outbox): which
 * ones (id 0 any, channel NULL any), and the move's target or the drop's
 * reason.  Each message acted on is logged with the detail. */
enum outbox_action { OUTBOX_RETRY, OUTBOX_MOVE, OUTBOX_DROP };
struct outbox_act {
	int64_t		 id;
	const char	*channel;
	const char	*to;
	const char	*reason;
};
int		 store_outbox_act(struct store *, enum outbox_action,
		    const struct outbox_act *, int64_t at, const char *detail,
		    int64_t *n);
/* Permanent failures not yet told to the admin channel, per channel and
 * vendor code (reason and title of the first; paused: credentials). */
struct failure_row {
	char		*channel;
	long		 code;
	char		*reason;
	int64_t		 n;
	int64_t		 since;
	char		*title;
	int		 paused;
};
int		 store_failure_add(struct store *, const char *channel, long code,
		    const char *reason, int64_t n, int64_t at, const char *title,
		    int paused);
int		 store_failure_list(struct store *, const char *channel,
		    struct failure_row **, size_t *);
void		 failure_rows_free(struct failure_row *, size_t);
int		 store_failure_clear(struct store *, const char *channel);
int		 store_notice_get(struct store *, const char *channel,
		    int64_t *at);
int		 store_notice_set(struct store *, const char *channel,
		    int64_t at);

/* The ids of the items a message lists (malloc'd array). */
int		 store_outbox_item_ids(struct store *, int64_t outbox,
		    int64_t **ids, size_t *n);
int		 store_outbox_mark(struct store *, int64_t id, size_t k,
		    size_t n);
int		 store_log_message(struct store *, int64_t at, int64_t outbox,
		    int64_t item, const char *project, const char *stage,
		    const char *channel, const char *outcome, const char *detail);
int		 store_log(struct store *, int64_t at, int64_t item, const char *project,
		    const char *stage, const char *channel, const char *outcome,
		    const char *detail);
int		 store_log_outbox_items(struct store *, int64_t outbox, int64_t at,
		    const char *stage, const char *channel, const char *outcome,
		    const char *detail);
int		 store_log_list(struct store *, int64_t item, int limit, store_log_cb, void *);
int		 store_log_query(struct store *, const struct log_filter *,
		    store_log_cb, void *);
int		 store_event_claim(struct store *, const char *event_id, int64_t item,
		    int64_t at);	/* 1: seen before */
int		 store_count_status(struct store *, const char *status, int64_t *n);
int		 store_count_stages(struct store *, void (*)(void *, const char *,
		    int64_t), void *);
int		 store_report_claim(struct store *, const char *name, const char *period,
		    int64_t at);	/* 1: sent before */
int		 store_report_last(struct store *, const char *name, char **period);
/* Whether a period of a report was claimed: 1 yes, 0 no, -1 error. */
int		 store_report_claimed(struct store *, const char *name,
		    const char *period);
/* When a report was last claimed (0: never). */
/* A robot's throttle state (throttle.c's text, a block's end in wall
 * ms): 0 found, 1 none, -1 error. */
int		 store_throttle_get(struct store *, const char *robot,
		    char **sends, int64_t *blocked_until);
int		 store_throttle_save(struct store *, const char *robot,
		    const char *sends, int64_t blocked_until, int64_t now);
int		 store_report_last_at(struct store *, const char *name,
		    int64_t *at);
/* Items for reports: every item not cancelled that is open or was done
 * at or after done_since, with its main track's policy and stage name
 * (NULL when none). */
typedef int (*store_report_item_cb)(void *, const struct item_row *,
		    const char *policy, const char *stage);
int		 store_items_report(struct store *, int64_t done_since,
		    store_report_item_cb, void *);


/* store_answer.c -- answers from signed action links and the uses of
 * one-shot links; callers hold a transaction for writes. */
struct answer_row {
	int64_t		 id;
	int64_t		 item_id;
	char		*kind;		/* ack progress done stop */
	char		*stage;		/* the stage the link came with */
	char		*note;		/* feedback, a stop's reason */
	int32_t		 day;		/* local day number of at */
	char		*actor;		/* the name entered */
	char		*role;		/* the addressee the link was for */
	char		*addr;		/* client address */
	char		*agent;		/* user agent */
	int64_t		 at;
	char		*status;	/* stop: pending approved rejected */
	int64_t		 decided_at;
	char		*decided_by;
};
/* An item's latest acknowledgement and feedback. */
struct answer_sum {
	int64_t		 item;
	int64_t		 ack_at;	/* 0: never */
	char		*ack_stage;
	int64_t		 note_at;	/* 0: no feedback */
	char		*note;
};
typedef int (*store_answer_cb)(void *, const struct answer_row *);
void		 answer_row_clear(struct answer_row *);
int		 store_link_use(struct store *, const char *token,
		    const char *action, int64_t at);	/* 1: used before */
int		 store_link_used(struct store *, const char *token,
		    const char *action);
int		 store_answer_add(struct store *, struct answer_row *);
int		 store_answer_get(struct store *, int64_t id, struct answer_row *);
int		 store_answer_decide(struct store *, int64_t id,
		    const char *status, int64_t at, const char *by);
int		 store_answer_acked(struct store *, int64_t item,
		    const char *stage, int32_t day);
int		 store_answer_each(struct store *, int64_t item, int limit,
		    store_answer_cb, void *);
int		 store_answer_since(struct store *, int64_t since,
		    store_answer_cb, void *);
int		 store_answer_sums(struct store *, int64_t until,
		    struct answer_sum **, size_t *);
const struct answer_sum *answer_sum_find(const struct answer_sum *, size_t,
		    int64_t item);
void		 answer_sums_free(struct answer_sum *, size_t);


/* ------------------------------------------------------------------ */
/* rules.c -- pure deadline and ladder arithmetic.  Instants are Unix
 * seconds; local days and times follow the process time zone. */
int64_t		 rules_local(int32_t day, int sec_of_day);
void		 rules_split(int64_t t, int32_t *day, int *sec_of_day);
void		 rules_format(int64_t t, char *buf, size_t len);	/* local */
void		 rules_format_rfc3339(int64_t t, char *buf, size_t len);
int		 rules_parse_time(const char *, int64_t now, int64_t *t);
int64_t		 rules_add(const struct calendar *, int64_t t,
		    const struct duration *, int64_t times, int *uncovered);
int64_t		 rules_deadline(const struct calendar *, int64_t accepted,
		    const struct duration *limit, int deadline_min, int *uncovered);
/* When repetition rep of a stage falls: offsets and repeats in days or
 * working days name a day, and fall at the opening of the window (NULL:
 * none) on it; working days count from the deadline's working day. */
int64_t		 rules_stage_time(const struct calendar *, const struct window *,
		    const struct stage *, int64_t due, int rep, int *uncovered);
/* The rectification deadline a stage (an interview) firing at now sets:
 * 0 when it sets none. */
int64_t		 rules_rectify_due(const struct calendar *, const struct stage *,
		    int64_t now, int *uncovered);
/* The latest (stage, rep) due at now beyond the last fired one: 1 and
 * stage and rep set, or 0 when nothing is due. */
int		 rules_due(const struct policy *, const struct calendar *,
		    const struct window *, int64_t due, int last_stage,
		    int last_rep, int64_t now, int *stage, int *rep);
/* When the next (stage, rep) after the last fired one falls: 0 if none. */
int64_t		 rules_next_time(const struct policy *, const struct calendar *,
		    const struct window *, int64_t due, int last_stage,
		    int last_rep);
int		 rules_in_window(const struct calendar *, const struct window *,
		    int64_t t);
int64_t		 rules_window_next(const struct calendar *, const struct window *,
		    int64_t t);
/* Working days past due, and left before it, counted from the deadline's
 * working day (the next one when it falls on a day off). */
int		 rules_overdue_workdays(const struct calendar *, int64_t due,
		    int64_t now);
int		 rules_days_left(const struct calendar *, int64_t due,
		    int64_t now);
int		 rules_stage_index(const struct policy *, const char *name);


/* ------------------------------------------------------------------ */
/* message.c -- grouping escalations into chat messages: one message per
 * chat and stage per wake-up, items most overdue first, split at the
 * channel's byte limit between items, never inside one. */
struct msg_entry {
	const struct item_row	*item;
	int64_t			 due;		/* the track's deadline */
	int64_t			 rectify_due;	/* the rectification deadline
						   the stage sets, 0 none */
	const char		*reason;	/* blocked/suspend reason */
	const struct msg_mention *mentions;	/* whom the item notifies */
	size_t			 nmentions;
};
/* One person a message @-mentions, as enqueue_mention_plan() says. */
struct msg_mention {
	const char		*uid;		/* by the app's user id */
	const char		*mobile;	/* by mobile */
	const char		*name;		/* only by name: notifies nobody */
};
/* The @-mentions a message carries: JSON arrays, NULL when empty. */
struct msg_who {
	char			*mobiles;
	char			*userids;
};
struct msg_batch {
	const struct channel	*channel;
	const char		*template;	/* template name */
	const char		*stage;		/* stage name */
	const char		*stage_label;
	const char		*severity;
	const char		*group;		/* work group name or "" */
	const char		*category;
	struct msg_entry	*entries;
	size_t			 nentries;
	int			 urgent;		/* ignore windows */
	int			 role;		/* the addressee: enum
						   recipient_role + 1, 0 unknown
						   (signed action links) */
};
struct msg_part {
	char		*title;
	char		*text;
	struct msg_who	 who;		/* the mentions of its own items */
	struct msg_who	 follow;	/* those its format cannot carry: a
					   text follow-up's (enqueue.c) */
	char		*follow_text;	/* its text (the title, PART_MARK) */
	/* The batch entries this part lists, most overdue first: the array
	 * is the part's, the entries stay the batch's. */
	const struct msg_entry	**entries;
	size_t		 nentries;
};
/* Render a batch into parts (malloc'd array); -1 with *err on failure. */
int		 message_render(const struct config *, const struct msg_batch *,
		    int64_t now, struct msg_part **, size_t *, char **err);
void		 message_parts_free(struct msg_part *, size_t);
/* A link as one line in a channel's markup (malloc'd). */
char		*message_link_line(const struct channel *, const char *label,
		    const char *url);
/* Streaming render (message.c): parts one at a time, entries supplied in
 * display order by a callback; the marker is put in by part_mark(). */
typedef const struct msg_entry *(*message_entry_fn)(void *, size_t);
struct msg_line;
struct message_cache;
struct msg_stream {
	const struct config		*conf;
	const struct msg_batch		*batch;
	const struct template_set	*ts;
	int64_t				 now;
	size_t				 n, next, limit;
	message_entry_fn		 get;
	void				*arg;
	struct msg_line			*lines;	/* rendered, not yet placed */
	size_t				 nlines, lcap;
	int				 done;
	struct message_cache		*cache;	/* message.c's */
};
int		 message_stream_begin(struct msg_stream *, const struct config *,
		    const struct msg_batch *, int64_t now, size_t n,
		    message_entry_fn, void *, char **err);
/* The next part (title, text, mentions; entries NULL): 1, else 0. */
int		 message_stream_next(struct msg_stream *, struct msg_part *,
		    size_t *from, size_t *to);
void		 message_part_clear(struct msg_part *);
void		 message_stream_end(struct msg_stream *);


/* page.c -- the HTML pages of action links and the board (pure). */
struct page_line {
	int64_t		 at;
	const char	*text;
};
struct page_view {
	const struct item_row	*item;
	const char		*handler;	/* the handler's name */
	const char		*stage_label;
	int			 overdue;	/* working days past due */
	int			 days_left;
	int			 acked;		/* 已签收 the current stage */
	const char		*feedback;	/* latest 反馈, NULL none */
	int64_t			 feedback_at;
	const struct page_line	*hist;		/* recent history */
	size_t			 nhist;
	const char		*role;		/* whom the link was made for */
	unsigned		 link_actions;	/* LINK_* the link allows */
	unsigned		 action;	/* the form's; 0: the menu */
	const char		*csrf;
	const char		*error;		/* shown above, or NULL */
	const char		*name, *note;	/* a refused form's values */
	const char		*request_actor;	/* a stop request to decide */
	const char		*request_note;
	int64_t			 request_at;
	int64_t			 now;
};
char		*page_item(const struct page_view *);
#define PAGE_WEEKS	8	/* the board's chart */
struct page_board_row {
	const char	*name;
	int		 open, week, overdue;	/* in办, due this week, late */
	int		 green, yellow, red;
};
struct page_board_item {
	const struct item_row	*item;
	int			 overdue;	/* working days */
	int			 light;		/* 0 green 1 yellow 2 red */
	int			 acked;
	const char		*feedback;
};
struct page_board_note {
	int64_t		 at;
	const char	*what;
};
struct page_board {
	int64_t			 now;
	struct page_board_row	 total;
	const struct page_board_row *groups, *depts;
	size_t			 ngroups, ndepts;
	const struct page_board_item *late, *items;	/* longest overdue */
	size_t			 nlate, nitems, nitems_total;
	const struct page_board_note *notes;
	size_t			 nnotes;
	const char *const	*series;	/* departments charted */
	size_t			 nseries;
	const int		*counts;	/* nseries x PAGE_WEEKS */
	const int32_t		*week_days;	/* each week's last day */
};
char		*page_board(const struct page_board *);
char		*page_board_login(const char *error);
char		*page_message(const char *title, const char *msg, int good);

/* ------------------------------------------------------------------ */
/* The running daemon's state, handed to every subsystem. */
struct escalator {
	struct event_base	*base;
	struct config		*conf;		/* current; swapped on reload */
	struct store		*store;
	struct scheduler	*sched;
	struct outbox		*outbox;
	struct control		*control;
	struct reporter		*reporter;	/* scheduled reports */
	int64_t			 started_at;
	int			 reload_ok;	/* result of the last reload */
	int64_t			 reload_at;
	/* Hooks set by daemon_wire(): the engines (scheduler, reporter,
	 * outbox) never call each other; daemon.c connects them. */
	void			(*queued)(struct escalator *, const char *ch);
	void			(*stepped)(struct escalator *);
	void			(*clock_set)(struct escalator *);
};


/* item.c -- the approval-item lifecycle on top of the store. */
struct item_input {
	const char	*project;
	const char	*project_name;
	const char	*category;
	const char	*region;
	const char	*name;		/* kind */
	const char	*department;
	const char	*handler;
	const char	*mode;
	const char	*status;	/* "planned" or "accepted" (default) */
	const char	*deadline;
	const char	*accepted;
	const char	*limit;
	const char	*supplement;
	const char	*commitment;
	const char	*supplement_done;	/* 补正材料收齐时间 */
	const char	*commitment_result;	/* COMMITMENT_* */
	const char	*commitment_verified;	/* 承诺核查时间 */
	const int64_t	*after;
	size_t		 nafter;
	/*
	 * The times above resolved, as item_plan() reads them (0 not
	 * given): item_add() parses the text into them, the importer sets
	 * them and leaves the text NULL.
	 */
	int64_t		 deadline_at;
	int64_t		 accepted_at;
	int64_t		 supplement_at;
	int64_t		 commitment_at;
	int64_t		 supplement_done_at;
	int64_t		 commitment_verified_at;
};
/*
 * What adding an item writes, as item_plan() decides it: the finished
 * row, the tracks a new item starts with (item_retrack() merges them
 * with the stored ones of an updated item) and the log entry.  Its
 * strings are borrowed from the input, the stored row, the project, the
 * configuration and literals: never freed.
 */
#define ITEM_PLAN_TRACKS	4	/* main supplement commitment stale */
struct item_plan {
	struct item_row		 item;
	struct track_row	 tracks[ITEM_PLAN_TRACKS];
	size_t			 ntracks;
	const char		*log_outcome;	/* "created" or "updated" */
	const char		*log_detail;
	int			 uncovered;	/* deadline past the calendar */
};
/* Answers of the pure rule functions kept over many item_plan() calls
 * with one configuration (the importer). */
struct item_cache;
struct item_cache *item_cache_new(void);
void		 item_cache_free(struct item_cache *);
/* No store: stored is the item being updated or NULL for a new one in
 * project p; pending a prerequisite not done yet, 0 none. */
int		 item_plan(const struct config *, const struct project_row *p,
		    const struct item_row *stored, const struct item_input *,
		    int64_t pending, int64_t now, struct item_cache *,
		    struct item_plan *, struct api_error *);
void		 item_plan_set_id(struct item_plan *, int64_t id);
/* Callers hold a transaction around these. */
int		 item_add(const struct config *, struct store *,
		    const struct item_input *, int64_t now, int64_t *id,
		    int *created, struct api_error *);
int		 item_event(const struct config *, struct store *, int64_t id,
		    const char *type, const char *reason, const char *note,
		    int64_t at, int64_t now, struct api_error *);
/* Whether a track of an item runs: every track of an accepted item, and
 * the commitment track of a done 告知承诺 item until it is verified. */
int		 item_track_runs(const struct item_row *, const char *kind);
/* Re-derive an item's tracks; reload: after new rules (old: the rules
 * before, NULL when unknown, as at start-up). */
int		 item_retrack(const struct config *, struct store *,
		    const struct item_row *, int64_t now, int reload,
		    const struct config *old);
int		 item_retrack_all(const struct config *, struct store *, int64_t now,
		    const struct config *old);
struct json_t;
/* NULL when the store cannot be read. */
struct json_t	*item_json(const struct config *, struct store *,
		    const struct item_row *, int64_t now);

/* enqueue.c -- the one path into the outbox; callers hold a transaction. */
struct jsonbuf;
void		 enqueue_mention_plan(enum channel_type, const struct person *,
		    const char **uid, const char **mobile, int *by_name);
struct json_t;
void		 enqueue_add_unique(struct json_t *, const char *);
/* A rendered batch's parts, each linked with the items it lists. */
int		 enqueue_batch(const struct config *, struct store *,
		    const struct msg_batch *, int64_t now, int64_t item_for_log);
/* A ready text (reports, admin notices). */
int		 enqueue_text(const struct config *, struct store *,
		    const char *channel, const char *stage, const char *title,
		    const char *text, const char *severity, int64_t now);
/* A file (its bytes kept until posted) for a WeCom channel. */
int		 enqueue_file(const struct config *, struct store *,
		    const char *channel, const char *stage, const char *title,
		    const char *name, const void *data, size_t len, int64_t now);
/* Queue one rendered part, and its text follow-up when it has mentions
 * its format cannot carry: ids[0] the part's, ids[1] the follow-up's (0
 * none).  Not linked with items. */
int		 enqueue_part(const struct config *, struct store *,
		    const struct msg_batch *, const struct msg_part *,
		    const char *event, int64_t now, int64_t ids[2]);
/* Pieces of enqueue_batch() that the step's streamed batches use: an
 * event being written, with the last deadline it wrote as text (the items
 * of a burst share their deadline). */
struct enqueue_event {
	struct jsonbuf	 b;
	int64_t		 due;
	int		 has_due;
	char		 deadline[64];
};
void		 enqueue_event_new(const struct msg_batch *,
		    struct enqueue_event *);
void		 enqueue_event_item(struct enqueue_event *, int64_t id,
		    const char *project, const char *kind, const char *department,
		    int64_t due);
char		*enqueue_event_dump(struct enqueue_event *);
int64_t		 enqueue_not_before(const struct config *,
		    const struct msg_batch *, int64_t now);
int		 enqueue_log_queued(struct store *, const struct msg_batch *,
		    int64_t outbox_id, int64_t now, const int64_t *ids,
		    size_t nitems, const char *project, size_t k, size_t nparts);

/* answer.c -- what the forms of signed action links do; callers hold a
 * transaction.  Errors are plain Chinese sentences with a 4xx status. */
struct answer_check {
	struct link		 link;
	struct item_row		 item;		/* the link's item */
	struct answer_row	 request;	/* a stop request to decide */
	char			*stage;		/* the stage the link is for */
};
struct answer_who {
	const char	*name;		/* entered in the form */
	const char	*addr;		/* client address */
	const char	*agent;		/* user agent */
};
int		 answer_check(const struct config *, struct store *,
		    const char *token, unsigned action, int64_t now,
		    struct answer_check *, struct api_error *);
void		 answer_check_clear(struct answer_check *);
int		 answer_apply(const struct config *, struct store *,
		    struct answer_check *, const char *token, unsigned action,
		    const char *note, const char *date,
		    const struct answer_who *, int64_t now, struct api_error *);

/* notice.c -- permanent delivery failures told to the admin channel, at
 * most once an hour per failing channel; callers hold a transaction. */
#define NOTICE_INTERVAL	3600	/* seconds between notices of a channel */
int64_t		 notice_due_at(int64_t last, int64_t now);
void		 notice_text(const char *channel, const struct failure_row *,
		    size_t, int64_t now, char **title, char **text);
int		 notice_failure(const struct config *, struct store *,
		    const char *channel, enum channel_type, long code,
		    const char *msg, const char *title, int64_t n, int paused,
		    int64_t now, int64_t *next);
int		 notice_flush(const struct config *, struct store *, int64_t now,
		    int64_t *next);

/* outbox.c -- delivery of queued messages through libcurl's multi
 * interface on the libevent loop, per-channel throttling and retries. */
typedef void (*outbox_test_cb)(void *, const char *outcome, long http_status,
		    long code, const char *msg);
struct outbox	*outbox_new(struct escalator *);
void		 outbox_free(struct outbox *);
void		 outbox_kick(struct outbox *, const char *channel);
void		 outbox_reconfigure(struct outbox *);
int		 outbox_inflight(struct outbox *);
int		 outbox_paused(struct outbox *, const char *channel);
int		 outbox_send_test(struct outbox *, const struct channel *,
		    outbox_test_cb, void *);
void		 outbox_metrics(struct outbox *, void (*)(void *, const char *,
		    const char *, int64_t), void *);

/* worker.c -- a job in a thread of its own on a connection of its own;
 * its result handed back to the loop (the step, reports). */
struct worker;
typedef int (*worker_job_fn)(const struct config *, struct store *,
		    int64_t now, void *run);
typedef void (*worker_done_fn)(int result, struct store *, void *arg,
		    void *run);
struct worker	*worker_new(struct event_base *, struct store *,
		    const char *name, const char *inline_why, int reader,
		    worker_job_fn, worker_done_fn, void *arg);
int		 worker_start(struct worker *, struct config *, int64_t now,
		    void *run);
int		 worker_running(const struct worker *);
void		 worker_wait(struct worker *);
void		 worker_free(struct worker *, int interrupt);

/* scheduler.c -- the one timer and the escalation step. */
struct scheduler *scheduler_new(struct escalator *);
void		 scheduler_free(struct scheduler *);
void		 scheduler_arm(struct scheduler *);	/* after any change */
/* Wait for a step running in its thread (reload, shutdown). */
void		 scheduler_wait(struct scheduler *);
int64_t		 scheduler_next(struct scheduler *);
/* Advance every due track at now in one transaction; returns messages
 * queued or -1. */
int		 scheduler_step(const struct config *, struct store *, int64_t now);


/* report.c -- the reports of the task force's rhythm: the period
 * arithmetic (pure), rendering from the store as markdown, plain text or
 * CSV, splitting at a chat's byte limit, and the one timer that sends each
 * scheduled report once per period, also across restarts. */
enum report_format { REPORT_MARKDOWN, REPORT_TEXT, REPORT_CSV, REPORT_XLSX };
const char	*report_type_name(enum report_type);
int		 report_type_parse(const char *, enum report_type *);
int		 report_schedule_parse(const char *, enum report_schedule *);
/* A configured report by name, else the built-in one of a type name. */
const struct report_conf *report_find(const struct config *, const char *);
/* A work group by name or by one of its categories, or NULL. */
const struct group *report_group(const struct config *, const char *);
/* The scheduled instant (moved to the next working day) of the period
 * whose days contain t, and its key ("2026-W48", "2026-11-16", "2026-11");
 * 0 for a report without a schedule. */
int64_t		 report_period_start(const struct report_conf *,
		    const struct calendar *, int64_t t, char *key, size_t keylen);
/* The latest scheduled instant at or before t and its key; 0 if none. */
int64_t		 report_latest(const struct report_conf *,
		    const struct calendar *, int64_t t, char *key, size_t keylen);
/* The first scheduled instant after `after`; 0 if none. */
int		 report_iso_dow(int32_t day);	/* Monday 0 .. Sunday 6 */
int64_t		 report_next_time(const struct report_conf *,
		    const struct calendar *, int64_t after);
/* Render a report as of at for a group (NULL: the report's own, else
 * all); since = 0 means "since the previous scheduled instant".  The
 * title and text are malloc'd; CSV text has a BOM and CRLF line ends,
 * XLSX is the workbook's bytes.  -1 on a store error, -2 when the
 * workbook cannot be written (logged). */
int		 report_render(const struct config *, struct store *,
		    const struct report_conf *, const struct group *,
		    int64_t at, int64_t since, enum report_format,
		    const char *prefix, char **title, char **text, size_t *len);
int		 report_render_table(const struct config *, struct store *,
		    const struct report_conf *, const struct group *,
		    int64_t at, int64_t since, char **title, struct table **,
		    char **text, size_t *len);
/* Cut a text (first line: its heading) into parts of at most max bytes
 * at line boundaries, marked " (1/3)" in title and heading. */
void		 report_split(const char *title, const char *text, size_t max,
		    struct msg_part **, size_t *);
/* A report rendered for its channels, not yet queued: rendered reading
 * only (a snapshot, outside any write transaction), then queued in the
 * caller's transaction (messages queued or -1 with e set). */
struct report_post;
int		 report_prepare(const struct config *, struct store *,
		    const struct report_conf *, const struct group *,
		    int64_t at, int64_t since, const char *prefix,
		    struct report_post **, struct api_error *);
int		 report_post_queue(const struct config *, struct store *,
		    const struct report_post *, int64_t now,
		    struct api_error *);
void		 report_post_free(struct report_post *);
/* Queue a report for its channels; returns messages queued or -1 with
 * e set.  Callers hold a transaction. */
int		 report_send(const struct config *, struct store *,
		    const struct report_conf *, const struct group *,
		    int64_t at, int64_t since, const char *prefix, int64_t now,
		    struct api_error *);
/* Send every scheduled report whose period has come and is not claimed,
 * each in its own transaction; returns messages queued or -1. */
int		 reporter_run(const struct config *, struct store *, int64_t now);
/* When reporter_run() next has work after now (0: never). */
int64_t		 reporter_next_at(const struct config *, struct store *,
		    int64_t now);
struct reporter	*reporter_new(struct escalator *);
void		 reporter_free(struct reporter *);
void		 reporter_arm(struct reporter *);	/* after reloads */
/* Wait for a run in the reporter's thread (reload, shutdown). */
void		 reporter_wait(struct reporter *);
int64_t		 reporter_next(struct reporter *);	/* 0: none */

/* control.c -- the HTTP/JSON API on the unix socket (and optional TCP). */
struct control	*control_new(struct escalator *, char **err);
void		 control_free(struct control *);
/* Reload: wait for the report rendering in its thread (the time zone). */
void		 control_renders_wait(struct control *);

/* web.c -- the pages on the TCP listener: /a/TOKEN (signed action
 * links) and /board; 1 when the request was a page's and is answered. */
struct evhttp_request;
int		 web_request(struct escalator *, struct evhttp_request *);
/* GET /v1/links/items/ID and /v1/links/board (path after /links). */
void		 web_api_links(struct escalator *, struct evhttp_request *,
		    const char *path, int get);

/* metrics.c */
char		*metrics_render(struct escalator *);	/* NULL: store error */

/* import.c */
/* Import a CSV file's bytes in the caller's transaction: every row is
 * checked first; on any problem nothing is written and *problems lists
 * {"row":n,"column":"...","reason":"..."} objects (row = 1-based line of the
 * record in the file counting the header as row 1). */
int		 import_csv(const struct config *, struct store *, const char *data,
		    size_t len, const char *encoding /* "auto", "utf-8",
		    "gb18030" (also "gbk") */, int dry_run, int64_t now,
		    struct json_t **result, struct json_t **problems,
		    struct api_error *);
/* Whether new items are written by the bulk path (store_bulk.c; the
 * default) or each through item_add() like existing ones: for tests that
 * compare the two.  Returns the previous setting. */
int		 import_set_bulk(int);

/* store_bulk.c -- bulk write path of the CSV importer (issue 7 (a)):
 * statements of its own that write finished new rows in the caller's
 * transaction, many rows per statement.  Queued rows get the ids SQLite
 * would give them at once; their strings must stay valid until they are
 * written.  Flush before anything else touches items, tracks or the
 * log. */
struct store_bulk;
struct store_bulk *store_bulk_open(struct store *);
void		 store_bulk_close(struct store_bulk *);	/* drops queued rows */
int		 store_bulk_flush(struct store_bulk *);
/* 0 found (*id), 1 none, -1 error. */
int		 store_bulk_project_find(struct store_bulk *, const char *code,
		    int64_t *id);
int		 store_bulk_project_insert(struct store_bulk *, struct project_row *);
/* 0 found (*id), 1 none, -1 error. */
int		 store_bulk_item_find(struct store_bulk *, int64_t project,
		    const char *kind, const char *department, int64_t *id);
/* 1 when the item exists and is not done, else 0; -1 error. */
int		 store_bulk_item_pending(struct store_bulk *, int64_t id);
int		 store_bulk_item_insert(struct store_bulk *, struct item_row *);
int		 store_bulk_prereq_add(struct store_bulk *, int64_t item,
		    int64_t needs);
int		 store_bulk_track_insert(struct store_bulk *, struct track_row *);
int		 store_bulk_log(struct store_bulk *, int64_t at, int64_t item,
		    const char *project, const char *stage, const char *channel,
		    const char *outcome, const char *detail);

/* simulate.c -- the daemon's own step and reporter on a copy of the
 * database under a virtual clock, in a thread of its own: the JSON
 * document of POST /v1/simulate is written to *rfd, which ends (EOF) when
 * the simulation is done.  sim_join() after EOF (or after sim_cancel() and
 * closing *rfd). */
struct sim;
struct sim	*sim_start(struct config *, const char *dbpath, int64_t from,
		    int64_t until, int *rfd, char **err);
void		 sim_cancel(struct sim *);
size_t		 sim_messages(struct sim *);
void		 sim_join(struct sim *);

/* daemon.c */
void		 daemon_apply_timezone(const struct config *);
void		 daemon_calendar_check(struct escalator *);
/* actor: who asked, as the action log names it ("unix:USER", "token:NAME",
 * DAEMON_RELOAD_SIGHUP: an operator's signal names no one). */
#define DAEMON_RELOAD_SIGHUP	"signal:SIGHUP"
int		 daemon_reload(struct escalator *, const char *actor,
		    char ***problems, size_t *n);
void		 daemon_status_line(struct escalator *);
void		 daemon_wire(struct escalator *);

#endif /* ESCALATOR_H */
