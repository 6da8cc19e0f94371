/*
 * approval-escalatorctl: the command-line client of approval-escalatord.
 *
 * Every command is one HTTP/1.1 request with a JSON body, sent over the
 * daemon's control socket (or its TCP API with a bearer token).  Options
 * are described once per command as a table of parameters, which gives
 * the getopt_long table, the checks made before sending, the JSON members
 * or query parameters of the request and the --help text.  Answers are
 * printed as aligned tables or blocks, or raw with --json.
 *
 * Exit codes: 0 ok, 1 the daemon answered an error, 2 usage error caught
 * here, 3 the daemon could not be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "escalator.h"

#define CTL_NAME		"approval-escalatorctl"
#define CTL_DEFAULT_SOCKET	"/run/approval-escalatord/control.sock"
#define CTL_CONNECT_TIMEOUT	10L	/* seconds to connect */
#define CTL_TIMEOUT		300L	/* seconds for a whole request */
#define CTL_MAXOPTS		32	/* getopt_long table of one command */
#define CTL_UNUSED		__attribute__((__unused__))
#define CTL_PARAM_VAL		0x100	/* getopt val of params[i]: + i */

enum {
	CTL_OK = 0,
	CTL_EDAEMON = 1,	/* the daemon answered an error */
	CTL_EUSAGE = 2,		/* bad command line, caught before sending */
	CTL_EUNREACH = 3,	/* the daemon could not be reached */
	CTL_CONTINUE = -1,	/* option parsing: go on with the command */
};

/* Where and how to reach the daemon; filled from the command line. */
static struct {
	const char	*socket;	/* -s/--socket, or NULL */
	const char	*url;		/* --url, or NULL */
	const char	*token;		/* --token, or NULL */
	int		 json;		/* --json: print raw answers */
	CURL		*curl;		/* one handle: one request per run */
	long		 status;	/* HTTP status of the last answer */
	struct ctl_stream *stream;	/* a streamed answer, or NULL */
} ctl;

/*
 * A streamed answer (simulate): once the status says success, the bytes
 * go to fn as they arrive instead of being collected whole; an error
 * answer is collected as usual.
 */
struct ctl_stream {
	int		 decided;	/* the status is known */
	int		 pass;		/* 2xx: bytes go to fn */
	size_t		 received;	/* bytes given to fn */
	void		(*fn)(struct ctl_stream *, const char *, size_t);
	void		*arg;
};

/* What an option's value must look like, checked before sending. */
enum ctl_kind {
	CTL_TEXT,		/* any UTF-8 text */
	CTL_DATE,		/* YYYY-MM-DD[ HH:MM[:SS]] */
	CTL_DEADLINE,		/* a date or +SECONDS */
	CTL_ID,			/* positive integer */
	CTL_COUNT,		/* positive integer */
	CTL_IDLIST,		/* ID[,ID...] */
	CTL_LIMIT,		/* a time limit: 5wd, 10d, 48h */
	CTL_ENCODING,		/* auto, utf-8, gb18030 */
	CTL_FLAG,		/* no value */
};

/* One option of a command and the request member it fills. */
struct ctl_param {
	const char	*option;	/* long option without "--" */
	const char	*key;		/* JSON member or query parameter */
	enum ctl_kind	 kind;
	int		 required;
	const char	*arg;		/* value name in the help */
	const char	*help;
};

struct ctl_command;
/* A command handler: parsed options in args, then the operands. */
typedef int ctl_exec_fn(const struct ctl_command *, json_t *args, int argc,
    char **argv);

/* One command: its words, handler, parameters and help. */
struct ctl_command {
	const char		*name;		/* one or two words */
	ctl_exec_fn		*exec;
	const char		*operand;	/* "ID", NULL: none */
	int			 noperands;	/* -1: any number */
	const struct ctl_param	*params;	/* NULL-terminated or NULL */
	const char		*summary;
};

/* An answer as received: status, body and content type. */
struct ctl_answer {
	long	 status;
	char	*body;		/* NUL-terminated, may hold NULs */
	size_t	 len;
	size_t	 size;
	char	*type;		/* Content-Type or NULL */
};

/* A table printed with aligned columns. */
struct ctl_table {
	size_t		  ncols;
	size_t		  ncells;
	size_t		  size;
	char		**cells;	/* row after row, header first */
	unsigned int	  right;	/* bit per right-aligned column */
	int		  indent;
};

static ctl_exec_fn ctl_cmd_status, ctl_cmd_list, ctl_cmd_show,
    ctl_cmd_item_add, ctl_cmd_item_event, ctl_cmd_project_add,
    ctl_cmd_project_list, ctl_cmd_project_progress, ctl_cmd_log,
    ctl_cmd_reload, ctl_cmd_send_test, ctl_cmd_simulate, ctl_cmd_report,
    ctl_cmd_import, ctl_cmd_outbox, ctl_cmd_outbox_act, ctl_cmd_help,
    ctl_cmd_export;

static const struct ctl_param ctl_list_params[] = {
	{ "status", "status", CTL_TEXT, 0, "S",
	  STATUS_PLANNED ", " STATUS_ACCEPTED ", " STATUS_SUSPENDED ", "
	  STATUS_DONE " or " STATUS_CANCELLED },
	{ "project", "project", CTL_TEXT, 0, "CODE",
	  "only items of project CODE" },
	{ "limit", "limit", CTL_COUNT, 0, "N", "at most N items" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_export_params[] = {
	{ "status", "status", CTL_TEXT, 0, "S",
	  STATUS_PLANNED ", " STATUS_ACCEPTED ", " STATUS_SUSPENDED ", "
	  STATUS_DONE " or " STATUS_CANCELLED },
	{ "project", "project", CTL_TEXT, 0, "CODE",
	  "only items of project CODE" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_item_add_params[] = {
	{ "project", "project", CTL_TEXT, 1, "CODE", "project code" },
	{ "name", "name", CTL_TEXT, 1, "KIND",
	  "kind of item: 立项, 选址, 环评..." },
	{ "department", "department", CTL_TEXT, 1, "DEPT",
	  "responsible department (承办部门)" },
	{ "handler", "handler", CTL_TEXT, 0, "H", "handler (承办人)" },
	{ "deadline", "deadline", CTL_DEADLINE, 0, "DATE|+SECONDS",
	  "explicit deadline, or +SECONDS from now" },
	{ "accepted", "accepted_at", CTL_DATE, 0, "DATE",
	  "when it was accepted (受理)" },
	{ "limit", "limit", CTL_LIMIT, 0, "LIMIT",
	  "promised time limit: 5wd (working days), 10d, 48h, 30m" },
	{ "mode", "mode", CTL_TEXT, 0, "M",
	  MODE_NORMAL ", " MODE_PRECHECK ", " MODE_SUPPLEMENT " or "
	  MODE_COMMITMENT },
	{ "after", "after", CTL_IDLIST, 0, "ID[,ID...]",
	  "prerequisite items that must be done first" },
	{ "project-name", "project_name", CTL_TEXT, 0, "N",
	  "project name (creates the project if new)" },
	{ "category", "category", CTL_TEXT, 0, "C", "project category" },
	{ "region", "region", CTL_TEXT, 0, "R", "project region (市/县区)" },
	{ "planned", "planned", CTL_FLAG, 0, NULL,
	  "not yet accepted: status planned" },
	{ "supplement-deadline", "supplement_deadline", CTL_DATE, 0, "DATE",
	  MODE_SUPPLEMENT ": missing material due" },
	{ "commitment-deadline", "commitment_deadline", CTL_DATE, 0, "DATE",
	  MODE_COMMITMENT ": commitment due" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_event_params[] = {
	{ "note", "note", CTL_TEXT, 0, "TEXT", "a note kept with the event" },
	{ "at", "at", CTL_DATE, 0, "DATE", "when it happened (default: now)" },
	{ "event-id", "event_id", CTL_TEXT, 0, "X",
	  "caller's id: the same id is applied only once" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_event_reason_params[] = {
	{ "reason", "reason", CTL_TEXT, 1, "TEXT", "why" },
	{ "note", "note", CTL_TEXT, 0, "TEXT", "a note kept with the event" },
	{ "at", "at", CTL_DATE, 0, "DATE", "when it happened (default: now)" },
	{ "event-id", "event_id", CTL_TEXT, 0, "X",
	  "caller's id: the same id is applied only once" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_event_note_params[] = {
	{ "note", "note", CTL_TEXT, 1, "TEXT", "what progressed" },
	{ "at", "at", CTL_DATE, 0, "DATE", "when it happened (default: now)" },
	{ "event-id", "event_id", CTL_TEXT, 0, "X",
	  "caller's id: the same id is applied only once" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_project_add_params[] = {
	{ "code", "code", CTL_TEXT, 1, "C", "project code" },
	{ "name", "name", CTL_TEXT, 1, "N", "project name" },
	{ "category", "category", CTL_TEXT, 1, "C",
	  "社会投资类, 城市建设类 or 工业“四改”类" },
	{ "region", "region", CTL_TEXT, 0, "R", "市 or the county/district" },
	{ "content", "content", CTL_TEXT, 0, "T", "construction content" },
	{ "planned-start", "planned_start", CTL_DATE, 0, "DATE",
	  "planned start" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_project_progress_params[] = {
	{ "note", "note", CTL_TEXT, 1, "TEXT", "visible progress (形象进度)" },
	{ "at", "at", CTL_DATE, 0, "DATE", "when (default: now)" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_log_params[] = {
	{ "item", "item", CTL_ID, 0, "ID", "only actions on item ID" },
	{ "project", "project", CTL_TEXT, 0, "CODE",
	  "only entries naming project CODE" },
	{ "actor", "actor", CTL_TEXT, 0, "WHO",
	  "only actions by WHO: daemon, unix:USER, token:NAME,"
	  " import:FILE (...); a trailing * matches a prefix" },
	{ "since", "since", CTL_TEXT, 0, "WHEN",
	  "from WHEN: a date (its start) or an RFC 3339 time" },
	{ "until", "until", CTL_TEXT, 0, "WHEN",
	  "up to WHEN: a date (its end) or an RFC 3339 time" },
	{ "limit", "limit", CTL_COUNT, 0, "N",
	  "the last N entries (default 100)" },
	{ "follow", "follow", CTL_FLAG, 0, NULL,
	  "then print new entries as they come, until interrupted" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_simulate_params[] = {
	{ "until", "until", CTL_DATE, 1, "DATE", "simulate up to DATE" },
	{ "from", "from", CTL_DATE, 0, "DATE",
	  "simulate from DATE (default: now)" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_report_params[] = {
	{ "group", "group", CTL_TEXT, 0, "G", "the work group (default: all)" },
	{ "at", "at", CTL_DATE, 0, "DATE", "report as of DATE (default: now)" },
	{ "send", "send", CTL_FLAG, 0, NULL,
	  "queue it for the channels instead" },
	{ "wait", "wait", CTL_FLAG, 0, NULL,
	  "with --send: wait for the chats' answers (sent or failed)" },
	{ "timeout", "timeout", CTL_COUNT, 0, "SECONDS",
	  "with --wait: give up after SECONDS (default 60)" },
	{ "csv", "csv", CTL_FLAG, 0, NULL, "print CSV" },
	{ "xlsx", "xlsx", CTL_TEXT, 0, "FILE",
	  "write the table as an Excel workbook to FILE" },
	{ "text", "text", CTL_FLAG, 0, NULL, "print plain text, not markdown" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_outbox_params[] = {
	{ "channel", "channel", CTL_TEXT, 0, "NAME", "only messages for NAME" },
	{ "state", "state", CTL_TEXT, 0, "S",
	  "queued, failed, sent, dropped or all (default: queued and failed)" },
	{ "item", "item", CTL_ID, 0, "ID", "only messages listing item ID" },
	{ "limit", "limit", CTL_COUNT, 0, "N", "at most N messages (default 100)" },
	{ "after", "after", CTL_ID, 0, "ID",
	  "the page after message ID (the next page's --after is printed)" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_outbox_retry_params[] = {
	{ "channel", "channel", CTL_TEXT, 0, "NAME",
	  "every failed message for NAME" },
	{ "all-failed", "all_failed", CTL_FLAG, 0, NULL,
	  "every failed message" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_outbox_move_params[] = {
	{ "from", "from", CTL_TEXT, 1, "OLD",
	  "the channel the messages wait for (removed or renamed)" },
	{ "to", "to", CTL_TEXT, 1, "NEW", "a configured channel" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_outbox_drop_params[] = {
	{ "channel", "channel", CTL_TEXT, 0, "NAME",
	  "every unsent message for NAME" },
	{ "reason", "reason", CTL_TEXT, 1, "TEXT", "why, for the log" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_param ctl_import_params[] = {
	{ "dry-run", "dry_run", CTL_FLAG, 0, NULL,
	  "check only, change nothing" },
	{ "encoding", "encoding", CTL_ENCODING, 0, "E",
	  "auto (default), utf-8 or gb18030" },
	{ NULL, NULL, CTL_TEXT, 0, NULL, NULL }
};

static const struct ctl_command ctl_commands[] = {
	{ "status", ctl_cmd_status, NULL, 0, NULL,
	  "show the daemon's state, queue and channels" },
	{ "list", ctl_cmd_list, NULL, 0, ctl_list_params,
	  "list approval items" },
	{ "export", ctl_cmd_export, NULL, 0, ctl_export_params,
	  "print every item as CSV (streamed)" },
	{ "show", ctl_cmd_show, "ID", 1, NULL,
	  "show one approval item" },
	{ "item add", ctl_cmd_item_add, NULL, 0, ctl_item_add_params,
	  "add an approval item" },
	{ "item accept", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  "record that the item was accepted (受理): its clock starts" },
	{ "item done", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  "record that the item is done (办结): its ladder ends" },
	{ "item suspend", ctl_cmd_item_event, "ID", 1, ctl_event_reason_params,
	  "stop the item's clock (补正, 专家评审, 公示...)" },
	{ "item resume", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  "restart a suspended item's clock" },
	{ "item cancel", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  "cancel the item" },
	{ "item block", ctl_cmd_item_event, "ID", 1, ctl_event_reason_params,
	  "flag the item as a difficult point (难点、堵点)" },
	{ "item unblock", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  "clear the blocked flag" },
	{ "item raise", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  "raise the item to the city government (提级)" },
	{ "item progress", ctl_cmd_item_event, "ID", 1, ctl_event_note_params,
	  "record progress on the item" },
	{ "item supplied", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  MODE_SUPPLEMENT ": the missing material was supplied (补正材料已收齐);"
	  " its supplement reminders end, the main ladder goes on" },
	{ "item verify-pass", ctl_cmd_item_event, "ID", 1, ctl_event_params,
	  MODE_COMMITMENT ": the commitment passed verification (核查通过);"
	  " its commitment reminders end, also after done" },
	{ "item verify-fail", ctl_cmd_item_event, "ID", 1,
	  ctl_event_reason_params,
	  MODE_COMMITMENT ": the commitment failed verification (核查不通过);"
	  " its reminders end, the group chat and the head are told why" },
	{ "project add", ctl_cmd_project_add, NULL, 0, ctl_project_add_params,
	  "add a project" },
	{ "project list", ctl_cmd_project_list, NULL, 0, NULL,
	  "list projects" },
	{ "project progress", ctl_cmd_project_progress, "CODE", 1,
	  ctl_project_progress_params,
	  "record the project's visible progress (形象进度)" },
	{ "log", ctl_cmd_log, NULL, 0, ctl_log_params,
	  "show the action log" },
	{ "reload", ctl_cmd_reload, NULL, 0, NULL,
	  "reload the configuration" },
	{ "send-test", ctl_cmd_send_test, "CHANNEL", 1, NULL,
	  "send a test message to a channel" },
	{ "simulate", ctl_cmd_simulate, NULL, 0, ctl_simulate_params,
	  "show the messages that would be sent, without sending" },
	{ "report", ctl_cmd_report, "NAME", 1, ctl_report_params,
	  "print or send a report (digest, bulletin)" },
	{ "import", ctl_cmd_import, "FILE", 1, ctl_import_params,
	  "import projects and items from a CSV file (- for stdin)" },
	/* Before "outbox": the first name that matches is taken. */
	{ "outbox retry", ctl_cmd_outbox_act, "[ID]", -1,
	  ctl_outbox_retry_params,
	  "re-queue failed messages after a fix: message ID, --channel or"
	  " --all-failed" },
	{ "outbox move", ctl_cmd_outbox_act, NULL, 0, ctl_outbox_move_params,
	  "give the unsent messages of a removed or renamed channel to"
	  " another" },
	{ "outbox drop", ctl_cmd_outbox_act, "[ID]", -1,
	  ctl_outbox_drop_params,
	  "give up unsent messages (message ID or --channel), with a reason" },
	{ "outbox", ctl_cmd_outbox, NULL, 0, ctl_outbox_params,
	  "list queued and failed messages" },
	{ "help", ctl_cmd_help, "[COMMAND]", -1, NULL,
	  "show the help of a command" },
};
#define CTL_NCOMMANDS (sizeof ctl_commands / sizeof ctl_commands[0])

/* Allocation failure is the one fatal error, as in xmalloc.c. */
static __dead void
ctl_nomem(void)
{
	fprintf(stderr, "%s: out of memory\n", CTL_NAME);
	abort();
}

/* Report a usage error of a command and point to its help. */
static int PRINTFLIKE(2, 3)
ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", CTL_NAME);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		fprintf(stderr, "\nTry '%s %s --help'.\n", CTL_NAME, cmd->name);
	else
		fprintf(stderr, "\nTry '%s --help'.\n", CTL_NAME);
	return (CTL_EUSAGE);
}

/* Terminal columns of one character: 2 for East Asian wide, 0 for marks. */
static int
ctl_char_width(uint32_t c)
{
	static const struct {
		uint32_t	 first, last;
	} zero[] = {
		{ 0x0300, 0x036f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
		{ 0x200b, 0x200f }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
		{ 0xfe20, 0xfe2f }, { 0xe0100, 0xe01ef },
	}, wide[] = {
		{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
		{ 0x23e9, 0x23ec }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 },
		{ 0x2705, 0x2705 }, { 0x274c, 0x274c }, { 0x2b50, 0x2b50 },
		{ 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xa960, 0xa97f },
		{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 },
		{ 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 },
		{ 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff },
		{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
	};
	size_t	 i;

	if (c < 0x20 || (c >= 0x7f && c < 0xa0))
		return (0);
	for (i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (c >= zero[i].first && c <= zero[i].last)
			return (0);
	for (i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (c >= wide[i].first && c <= wide[i].last)
			return (2);
	return (1);
}

/* Terminal columns taken by a UTF-8 string. */
static size_t
ctl_width(const char *s)
{
	uint32_t	 c;
	size_t		 w = 0, len = strlen(s), n;

	while (len > 0) {
		n = utf8_next(s, len, &c);
		s += n;
		len -= n;
		w += ctl_char_width(c);
	}
	return (w);
}

/* Start a table with the given column headers. */
static struct ctl_table *
ctl_table_new(const char *const *headers, size_t ncols, unsigned int right,
    int indent)
{
	struct ctl_table	*t;
	size_t			 i;

	t = xcalloc(1, sizeof *t);
	t->ncols = ncols;
	t->right = right;
	t->indent = indent;
	t->size = ncols * 16;
	t->cells = xreallocarray(NULL, t->size, sizeof *t->cells);
	for (i = 0; i < ncols; i++)
		t->cells[t->ncells++] = xstrdup(headers[i]);
	return (t);
}

/* Append the next cell, row by row; control characters become spaces. */
static void
ctl_table_cell(struct ctl_table *t, const char *s)
{
	char	*copy, *p;

	if (t->ncells == t->size) {
		t->size *= 2;
		t->cells = xreallocarray(t->cells, t->size, sizeof *t->cells);
	}
	copy = xstrdup(s != NULL ? s : "");
	for (p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	t->cells[t->ncells++] = copy;
}

/* Print a table with each column as wide as its widest cell. */
static void
ctl_table_print(const struct ctl_table *t, FILE *f)
{
	size_t	*widths, nrows, r, c, w, last;
	char	*cell;

	widths = xcalloc(t->ncols, sizeof *widths);
	nrows = t->ncells / t->ncols;
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			w = ctl_width(t->cells[r * t->ncols + c]);
			if (w > widths[c])
				widths[c] = w;
		}
	}
	for (r = 0; r < nrows; r++) {
		/* Stop after the last non-empty cell: no trailing blanks. */
		for (last = t->ncols; last > 1; last--)
			if (*t->cells[r * t->ncols + last - 1] != '\0')
				break;
		fprintf(f, "%*s", t->indent, "");
		for (c = 0; c < last; c++) {
			cell = t->cells[r * t->ncols + c];
			w = ctl_width(cell);
			if (c != 0)
				fputs("  ", f);
			if (t->right & (1U << c))
				fprintf(f, "%*s%s", (int)(widths[c] - w), "",
				    cell);
			else if (c + 1 < last)
				fprintf(f, "%s%*s", cell, (int)(widths[c] - w),
				    "");
			else
				fputs(cell, f);
		}
		fputc('\n', f);
	}
	free(widths);
}

/* Free a table and its cells. */
static void
ctl_table_free(struct ctl_table *t)
{
	size_t	 i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/*
 * A time as the API writes it (RFC 3339, "2026-12-07T09:00:00+08:00")
 * shown as the daemon's local time, "2026-12-07 09:00:00", into buf;
 * NULL when s is not such a time.
 */
static const char *
ctl_time_text(const char *s, char *buf, size_t len)
{
	static const char	 form[] = "dddd-dd-ddTdd:dd:dd";
	size_t			 i, n = strlen(s);

	if ((n != 20 && n != 25) || len < 20)
		return (NULL);
	for (i = 0; i < 19; i++) {
		if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != form[i])
			return (NULL);
	}
	if (n == 20 ? s[19] != 'Z' : ((s[19] != '+' && s[19] != '-') ||
	    s[22] != ':'))
		return (NULL);
	memcpy(buf, s, 19);
	buf[10] = ' ';
	buf[19] = '\0';
	return (buf);
}

/*
 * A JSON value as text for display: strings as they are (times without
 * their offset), numbers formatted into buf, arrays joined with ", ";
 * NULL for null, missing or empty, so the caller picks the placeholder.
 */
static const char *
ctl_text(json_t *v, char *buf, size_t len)
{
	json_t	*e;
	size_t	 i, used;
	char	 one[64], *dump;

	switch (json_typeof(v != NULL ? v : json_null())) {
	case JSON_STRING:
		if (*json_string_value(v) == '\0')
			return (NULL);
		if (ctl_time_text(json_string_value(v), buf, len) != NULL)
			return (buf);
		return (json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return (buf);
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return (buf);
	case JSON_TRUE:
		return ("yes");
	case JSON_FALSE:
		return ("no");
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			return (NULL);
		buf[0] = '\0';
		used = 0;
		json_array_foreach(v, i, e) {
			const char	*s = ctl_text(e, one, sizeof one);

			if (used >= len)
				break;	/* truncated */
			used += snprintf(buf + used, len - used, "%s%s",
			    i == 0 ? "" : ", ", s != NULL ? s : "-");
		}
		return (buf);
	case JSON_OBJECT:
		if ((dump = json_dumps(v, JSON_COMPACT)) == NULL)
			ctl_nomem();
		snprintf(buf, len, "%s", dump);
		free(dump);
		return (buf);
	case JSON_NULL:
	default:
		return (NULL);
	}
}

/* A member of an object as display text, or dflt when absent or null. */
static const char *
ctl_get(json_t *obj, const char *key, char *buf, size_t len, const char *dflt)
{
	const char	*s;

	s = ctl_text(json_object_get(obj, key), buf, len);
	return (s != NULL ? s : dflt);
}

/* Check a date "YYYY-MM-DD[ HH:MM[:SS]]"; on failure say why in why. */
static int
ctl_check_date(const char *s, char *why, size_t len)
{
	static const char	 form[] = "dddd-dd-dd dd:dd:dd";
	static const int	 mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	size_t			 n = strlen(s), i;
	int			 y, m, d, hh = 0, mm = 0, ss = 0, leap, dim;

	if (n != 10 && n != 16 && n != 19)
		goto malformed;
	for (i = 0; i < n; i++) {
		if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != form[i])
			goto malformed;
	}
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (n >= 16) {
		hh = atoi(s + 11);
		mm = atoi(s + 14);
	}
	if (n == 19)
		ss = atoi(s + 17);
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		goto impossible;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	dim = mdays[m - 1] + (m == 2 && leap);
	if (d > dim || hh > 23 || mm > 59 || ss > 59)
		goto impossible;
	return (0);

malformed:
	snprintf(why, len, "invalid date \"%s\" (expected YYYY-MM-DD, "
	    "YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS)", s);
	return (-1);
impossible:
	snprintf(why, len, "impossible date %s", s);
	return (-1);
}

/* Parse a positive decimal integer with no sign, spaces or overflow. */
static int
ctl_parse_number(const char *s, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (*s < '1' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* Check a time limit: a positive number and a unit, e.g. 5wd or 48h. */
static int
ctl_check_limit(const char *s)
{
	static const char *const units[] = { "wd", "d", "h", "m", "s" };
	const char	*p = s;
	size_t		 i;

	if (*p < '1' || *p > '9')
		return (-1);
	while (*p >= '0' && *p <= '9')
		p++;
	if (p - s > 6)
		return (-1);
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(p, units[i]) == 0)
			return (0);
	return (-1);
}

/* Set a member of a request object; only allocation can fail. */
static void
ctl_put(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		ctl_nomem();
}

/* Check one option value by its kind and store it in the arguments. */
static int
ctl_param_set(const struct ctl_command *cmd, const struct ctl_param *p,
    const char *value, json_t *args)
{
	char		 why[256], *list, *tok, *save, *end;
	json_t		*ids;
	long long	 n;

	switch (p->kind) {
	case CTL_FLAG:
		ctl_put(args, p->key, json_true());
		return (0);
	case CTL_DEADLINE:
		if (value[0] == '+') {
			if (ctl_parse_number(value + 1, INT32_MAX, &n) != 0 &&
			    strcmp(value, "+0") != 0)
				return (ctl_usage_error(cmd, "--%s: invalid "
				    "relative deadline \"%s\" (expected "
				    "+SECONDS)", p->option, value));
			break;
		}
		/* FALLTHROUGH */
	case CTL_DATE:
		if (ctl_check_date(value, why, sizeof why) != 0)
			return (ctl_usage_error(cmd, "--%s: %s", p->option,
			    why));
		break;
	case CTL_ID:
	case CTL_COUNT:
		if (ctl_parse_number(value, p->kind == CTL_ID ? INT64_MAX :
		    INT_MAX, &n) != 0)
			return (ctl_usage_error(cmd, "--%s: \"%s\" is not a "
			    "positive number", p->option, value));
		ctl_put(args, p->key, json_integer(n));
		return (0);
	case CTL_IDLIST:
		ids = json_array();
		list = xstrdup(value);
		for (tok = strtok_r(list, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			end = tok + strlen(tok);
			while (end > tok && end[-1] == ' ')
				*--end = '\0';
			if (ctl_parse_number(tok, INT64_MAX, &n) != 0)
				break;
			if (ids == NULL || json_array_append_new(ids,
			    json_integer(n)) != 0)
				ctl_nomem();
		}
		free(list);
		if (tok != NULL || json_array_size(ids) == 0 ||
		    value[strlen(value) - 1] == ',' || value[0] == ',' ||
		    strstr(value, ",,") != NULL) {
			json_decref(ids);
			return (ctl_usage_error(cmd, "--%s: \"%s\" is not a "
			    "list of item ids like 3,4", p->option, value));
		}
		ctl_put(args, p->key, ids);
		return (0);
	case CTL_LIMIT:
		if (ctl_check_limit(value) != 0)
			return (ctl_usage_error(cmd, "--%s: invalid time limit "
			    "\"%s\" (expected a number and wd, d, h, m or s, "
			    "e.g. 5wd)", p->option, value));
		break;
	case CTL_ENCODING:
		if (strcmp(value, "auto") != 0 && strcmp(value, "utf-8") != 0 &&
		    strcmp(value, "gb18030") != 0)
			return (ctl_usage_error(cmd, "--%s: unknown encoding "
			    "\"%s\" (expected auto, utf-8 or gb18030)",
			    p->option, value));
		break;
	case CTL_TEXT:
		break;
	}
	ctl_put(args, p->key, json_string(value));
	return (0);
}

/* Print the help of one command: synopsis, summary and options. */
static void
ctl_help(const struct ctl_command *cmd, FILE *f)
{
	const struct ctl_param	*p;
	char			 word[96];
	int			 col, dates = 0;

	col = fprintf(f, "usage: %s %s", CTL_NAME, cmd->name);
	if (cmd->operand != NULL)
		col += fprintf(f, " %s", cmd->operand);
	for (p = cmd->params; p != NULL && p->option != NULL; p++) {
		snprintf(word, sizeof word, "%s--%s%s%s%s",
		    p->required ? "" : "[", p->option,
		    p->arg != NULL ? " " : "", p->arg != NULL ? p->arg : "",
		    p->required ? "" : "]");
		if (col + 1 + (int)strlen(word) > 78)	/* wrap the synopsis */
			col = fprintf(f, "\n      ") - 1;
		col += fprintf(f, " %s", word);
		if (p->kind == CTL_DATE || p->kind == CTL_DEADLINE)
			dates = 1;
	}
	fprintf(f, "\n\n%c%s.\n\noptions:\n",
	    cmd->summary[0] >= 'a' && cmd->summary[0] <= 'z' ?
	    cmd->summary[0] - 'a' + 'A' : cmd->summary[0], cmd->summary + 1);
	for (p = cmd->params; p != NULL && p->option != NULL; p++) {
		snprintf(word, sizeof word, "--%s%s%s", p->option,
		    p->arg != NULL ? " " : "", p->arg != NULL ? p->arg : "");
		fprintf(f, "  %-28s %s%s\n", word, p->help,
		    p->required ? " (required)" : "");
	}
	fprintf(f, "  %-28s %s\n", "--json",
	    "print the daemon's raw JSON answer");
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
	if (dates)
		fprintf(f, "\nDates are YYYY-MM-DD, YYYY-MM-DD HH:MM or "
		    "YYYY-MM-DD HH:MM:SS.\n");
}

/* Print the list of commands, all or those of one group ("item"). */
static void
ctl_usage(FILE *f, const char *group)
{
	const struct ctl_command	*cmd;
	char				 left[64];
	size_t				 i, glen = group ? strlen(group) : 0;

	if (group == NULL) {
		fprintf(f, "usage: %s [-s PATH | --url URL [--token T]] "
		    "[--json] COMMAND [ARGS]\n"
		    "       %s --help | --version\n\ncommands:\n", CTL_NAME,
		    CTL_NAME);
	} else
		fprintf(f, "usage: %s %s COMMAND [ARGS]\n\ncommands:\n",
		    CTL_NAME, group);
	for (i = 0; i < CTL_NCOMMANDS; i++) {
		cmd = &ctl_commands[i];
		if (group != NULL && (strncmp(cmd->name, group, glen) != 0 ||
		    cmd->name[glen] != ' '))
			continue;
		snprintf(left, sizeof left, "%s%s%s", cmd->name,
		    cmd->operand != NULL ? " " : "",
		    cmd->operand != NULL ? cmd->operand : "");
		fprintf(f, "  %-24s %s\n", left, cmd->summary);
	}
	if (group == NULL) {
		fprintf(f, "\noptions:\n"
		    "  -s, --socket PATH        the daemon's control socket\n"
		    "                           (default %s)\n"
		    "  --url URL                use the TCP API at URL\n"
		    "  --token TOKEN            bearer token for --url\n"
		    "  --json                   print raw JSON answers\n"
		    "  -h, --help               show this help\n"
		    "  --version                show the version\n",
		    CTL_DEFAULT_SOCKET);
	}
	fprintf(f, "\nRun '%s COMMAND --help' for the options of a command.\n",
	    CTL_NAME);
}

/* Handle an option every command accepts; 0 if it was one. */
static int
ctl_common_option(int ch)
{
	switch (ch) {
	case 'J':
		ctl.json = 1;
		return (0);
	case 'S':
		ctl.socket = optarg;
		return (0);
	case 'U':
		ctl.url = optarg;
		return (0);
	case 'T':
		ctl.token = optarg;
		return (0);
	}
	return (-1);
}

/* Describe a getopt error: unknown option or missing value. */
static int
ctl_getopt_error(const struct ctl_command *cmd, int ch, char **argv)
{
	const char	*arg = argv[optind - 1];

	if (ch == ':')
		return (ctl_usage_error(cmd, "option %s needs a value", arg));
	if (optopt != 0 && strncmp(arg, "--", 2) != 0)
		return (ctl_usage_error(cmd, "unknown option -%c", optopt));
	return (ctl_usage_error(cmd, "unknown or ambiguous option %s", arg));
}

/*
 * Parse a command's options into *args (JSON members keyed as the request
 * wants them) and check operands.  Returns CTL_CONTINUE, or an exit code
 * when the command must not run (--help, usage error).
 */
static int
ctl_parse(const struct ctl_command *cmd, int argc, char **argv, json_t **args)
{
	static const struct option	 common[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "socket", required_argument, NULL, 'S' },
		{ "url", required_argument, NULL, 'U' },
		{ "token", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option			 longopts[CTL_MAXOPTS];
	const struct ctl_param		*p;
	size_t				 n = 0, i;
	int				 ch, rc, nops;

	for (p = cmd->params; p != NULL && p->option != NULL; p++) {
		longopts[n].name = p->option;
		longopts[n].has_arg = p->kind == CTL_FLAG ? no_argument :
		    required_argument;
		longopts[n].flag = NULL;
		/* Distinct values, or getopt_long would take an ambiguous
		 * abbreviation ("--pro") as the first match. */
		longopts[n].val = CTL_PARAM_VAL + (int)n;
		n++;
	}
	for (i = 0; i < sizeof common / sizeof common[0]; i++)
		longopts[n++] = common[i];
	memset(&longopts[n], 0, sizeof longopts[n]);

	*args = json_object();
	if (*args == NULL)
		ctl_nomem();
	optind = 0;	/* glibc: start again from scratch */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ctl_common_option(ch) == 0)
			continue;
		if (ch == 'h') {
			ctl_help(cmd, stdout);
			rc = CTL_OK;
			goto out;
		}
		if (ch < CTL_PARAM_VAL) {
			rc = ctl_getopt_error(cmd, ch, argv);
			goto out;
		}
		p = &cmd->params[ch - CTL_PARAM_VAL];
		if (optarg != NULL &&
		    !utf8_valid(optarg, strlen(optarg))) {
			rc = ctl_usage_error(cmd, "--%s: not valid UTF-8",
			    p->option);
			goto out;
		}
		if ((rc = ctl_param_set(cmd, p, optarg, *args)) != 0)
			goto out;
	}
	for (p = cmd->params; p != NULL && p->option != NULL; p++) {
		if (p->required && json_object_get(*args, p->key) == NULL) {
			rc = ctl_usage_error(cmd, "missing --%s %s", p->option,
			    p->arg);
			goto out;
		}
	}
	nops = argc - optind;
	if (cmd->noperands >= 0 && nops < cmd->noperands) {
		rc = ctl_usage_error(cmd, "missing %s", cmd->operand);
		goto out;
	}
	if (cmd->noperands >= 0 && nops > cmd->noperands) {
		rc = ctl_usage_error(cmd, "unexpected argument \"%s\"",
		    argv[optind + cmd->noperands]);
		goto out;
	}
	return (CTL_CONTINUE);

out:
	json_decref(*args);
	*args = NULL;
	return (rc);
}

/* Escape one URL component (path segment or query value). */
static char *
ctl_escape(const char *s)
{
	char	*e, *copy;

	if ((e = curl_easy_escape(ctl.curl, s, 0)) == NULL)
		ctl_nomem();
	copy = xstrdup(e);
	curl_free(e);
	return (copy);
}

/* Build "?a=1&b=x" from the scalar members of args (strings, numbers). */
static char *
ctl_query(json_t *args)
{
	const char	*key, *s;
	json_t		*v;
	char		*q = xstrdup(""), *esc, *next, buf[32];

	json_object_foreach(args, key, v) {
		if ((s = ctl_text(v, buf, sizeof buf)) == NULL)
			continue;
		esc = ctl_escape(s);
		xasprintf(&next, "%s%c%s=%s", q, *q == '\0' ? '?' : '&', key,
		    esc);
		free(esc);
		free(q);
		q = next;
	}
	return (q);
}

/* Collect the answer body as curl hands it over. */
static size_t
ctl_write(char *data, size_t size, size_t n, void *arg)
{
	struct ctl_answer	*a = arg;
	struct ctl_stream	*st = ctl.stream;
	size_t			 len = size * n;
	long			 code = 0;

	if (st != NULL && !st->decided) {
		st->decided = 1;
		curl_easy_getinfo(ctl.curl, CURLINFO_RESPONSE_CODE, &code);
		st->pass = code >= 200 && code < 300;
	}
	if (st != NULL && st->pass) {
		st->fn(st, data, len);
		st->received += len;
		return (len);
	}
	if (a->len + len + 1 > a->size) {
		a->size = a->len + len + 1 > a->size * 2 ?
		    a->len + len + 1 : a->size * 2;
		a->body = xreallocarray(a->body, a->size, 1);
	}
	memcpy(a->body + a->len, data, len);
	a->len += len;
	a->body[a->len] = '\0';
	return (len);
}

/* Free what an answer holds. */
static void
ctl_answer_clear(struct ctl_answer *a)
{
	free(a->body);
	free(a->type);
	memset(a, 0, sizeof *a);
}

/* Add one request header; only allocation can fail. */
static struct curl_slist *
ctl_header(struct curl_slist *list, const char *header)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(list, header)) == NULL)
		ctl_nomem();
	return (l);
}

/*
 * Decide where requests go: --url, else --socket, else the environment
 * (URL before socket), else the default socket.  Returns CTL_CONTINUE or
 * a usage error.
 */
static int
ctl_target(const char **url, const char **sock)
{
	const char	*e;

	if (ctl.url != NULL && ctl.socket != NULL)
		return (ctl_usage_error(NULL, "--url and --socket cannot be "
		    "used together"));
	*url = ctl.url;
	*sock = ctl.socket;
	if (*url == NULL && *sock == NULL) {
		if ((e = getenv("APPROVAL_ESCALATOR_URL")) != NULL &&
		    *e != '\0')
			*url = e;
		else if ((e = getenv("APPROVAL_ESCALATOR_SOCKET")) != NULL &&
		    *e != '\0')
			*sock = e;
		else
			*sock = CTL_DEFAULT_SOCKET;
	}
	if (*url != NULL && strncmp(*url, "http://", 7) != 0 &&
	    strncmp(*url, "https://", 8) != 0)
		return (ctl_usage_error(NULL, "--url: \"%s\" is not an http:// "
		    "or https:// URL", *url));
	if (ctl.token == NULL && (e = getenv("APPROVAL_ESCALATOR_TOKEN")) !=
	    NULL && *e != '\0')
		ctl.token = e;
	return (CTL_CONTINUE);
}

/* Say why the daemon could not be reached, with a hint. */
static void
ctl_unreachable(const char *where, int is_socket, CURLcode cc,
    const char *errbuf, long oserr)
{
	const char	*why;

	/* For a socket, curl's own text talks of "localhost port 80". */
	if (oserr != 0)
		why = strerror((int)oserr);
	else if (errbuf[0] != '\0')
		why = errbuf;
	else
		why = curl_easy_strerror(cc);
	fprintf(stderr, "%s: cannot reach approval-escalatord at %s: %s\n",
	    CTL_NAME, where, why);
	if (oserr == EACCES)
		fprintf(stderr, "%s: check the permissions of %s\n", CTL_NAME,
		    where);
	else if (is_socket)
		fprintf(stderr, "%s: is approval-escalatord running? (another "
		    "socket: -s PATH or APPROVAL_ESCALATOR_SOCKET)\n",
		    CTL_NAME);
	else
		fprintf(stderr, "%s: is approval-escalatord running and "
		    "listening on %s?\n", CTL_NAME, where);
}

/*
 * Send one request: method, path with query, and a body of the given
 * content type (NULL for GET).  Returns 0 with the answer filled, or an
 * exit code after saying what went wrong.
 */
static int
ctl_send(const char *method, const char *path, const char *body, size_t len,
    const char *type, struct ctl_answer *a)
{
	struct curl_slist	*hdrs = NULL;
	const char		*base = NULL, *sock = NULL, *ct = NULL;
	char			*url, *h, errbuf[CURL_ERROR_SIZE];
	CURLcode		 cc;
	long			 oserr = 0;
	size_t			 blen;
	int			 rc;

	memset(a, 0, sizeof *a);
	if ((rc = ctl_target(&base, &sock)) != CTL_CONTINUE)
		return (rc);
	if (base == NULL)
		base = "http://localhost";
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	xasprintf(&url, "%.*s%s", (int)blen, base, path);

	hdrs = ctl_header(hdrs, "Accept: application/json");
	hdrs = ctl_header(hdrs, "Expect:");
	if (body != NULL) {
		xasprintf(&h, "Content-Type: %s", type);
		hdrs = ctl_header(hdrs, h);
		free(h);
	}
	if (ctl.token != NULL) {
		xasprintf(&h, "Authorization: Bearer %s", ctl.token);
		hdrs = ctl_header(hdrs, h);
		free(h);
	}

	errbuf[0] = '\0';
	cc = CURLE_OK;
	/* A second request on the handle (report --wait) starts afresh. */
	curl_easy_reset(ctl.curl);
	if (curl_easy_setopt(ctl.curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_ERRORBUFFER, errbuf) !=
	    CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_WRITEFUNCTION, ctl_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_WRITEDATA, a) != CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_USERAGENT,
	    CTL_NAME "/" ESCALATOR_VERSION) != CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_CONNECTTIMEOUT,
	    CTL_CONNECT_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(ctl.curl, CURLOPT_TIMEOUT, ctl.stream != NULL ?
	    0L : CTL_TIMEOUT) != CURLE_OK)
		cc = CURLE_FAILED_INIT;
	/* A stream may take long as a whole: give up only when it stalls. */
	if (cc == CURLE_OK && ctl.stream != NULL &&
	    (curl_easy_setopt(ctl.curl, CURLOPT_LOW_SPEED_LIMIT, 1L) !=
	    CURLE_OK || curl_easy_setopt(ctl.curl, CURLOPT_LOW_SPEED_TIME,
	    CTL_TIMEOUT) != CURLE_OK || curl_easy_setopt(ctl.curl,
	    CURLOPT_BUFFERSIZE, 512L * 1024) != CURLE_OK))
		cc = CURLE_FAILED_INIT;
	if (cc == CURLE_OK && sock != NULL &&
	    curl_easy_setopt(ctl.curl, CURLOPT_UNIX_SOCKET_PATH, sock) !=
	    CURLE_OK)
		cc = CURLE_FAILED_INIT;
	if (cc == CURLE_OK && strcmp(method, "POST") == 0) {
		if (curl_easy_setopt(ctl.curl, CURLOPT_POST, 1L) != CURLE_OK ||
		    curl_easy_setopt(ctl.curl, CURLOPT_POSTFIELDS,
		    body != NULL ? body : "") != CURLE_OK ||
		    curl_easy_setopt(ctl.curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body != NULL ? len : 0)) != CURLE_OK)
			cc = CURLE_FAILED_INIT;
	}
	if (cc != CURLE_OK) {
		fprintf(stderr, "%s: cannot set up the request with libcurl "
		    "(unix sockets need libcurl 7.40 or later)\n", CTL_NAME);
		rc = CTL_EUNREACH;
		goto out;
	}

	if ((cc = curl_easy_perform(ctl.curl)) != CURLE_OK &&
	    ctl.stream != NULL && ctl.stream->received > 0) {
		fprintf(stderr, "%s: the answer was cut off: %s\n", CTL_NAME,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		ctl_answer_clear(a);
		rc = CTL_EDAEMON;
		goto out;
	}
	if (cc != CURLE_OK) {
		curl_easy_getinfo(ctl.curl, CURLINFO_OS_ERRNO, &oserr);
		if (sock != NULL)
			ctl_unreachable(sock, 1, cc, errbuf, oserr);
		else
			ctl_unreachable(base, 0, cc, errbuf, oserr);
		ctl_answer_clear(a);
		rc = CTL_EUNREACH;
		goto out;
	}
	if (curl_easy_getinfo(ctl.curl, CURLINFO_RESPONSE_CODE, &a->status) !=
	    CURLE_OK)
		a->status = 0;
	ctl.status = a->status;
	if (curl_easy_getinfo(ctl.curl, CURLINFO_CONTENT_TYPE, &ct) ==
	    CURLE_OK && ct != NULL)
		a->type = xstrdup(ct);
	if (a->body == NULL)
		a->body = xstrdup("");
	rc = 0;

out:
	/* The handle must not keep pointers to what is freed here. */
	curl_easy_setopt(ctl.curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(ctl.curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	free(url);
	return (rc);
}

/* Print one entry of an error's "problems": a string or {row,column,...}. */
static void
ctl_print_problem(json_t *p)
{
	const char	*row, *col, *why;
	char		 b1[32], b2[256], b3[1024];

	if (json_is_string(p)) {
		fprintf(stderr, "%s\n", json_string_value(p));
		return;
	}
	row = ctl_get(p, "row", b1, sizeof b1, NULL);
	col = ctl_get(p, "column", b2, sizeof b2, NULL);
	if ((why = ctl_get(p, "reason", b3, sizeof b3, NULL)) == NULL)
		why = ctl_get(p, "message", b3, sizeof b3, NULL);
	if (json_is_object(p) && why != NULL) {
		if (row != NULL && col != NULL)
			fprintf(stderr, "row %s, column %s: %s\n", row, col,
			    why);
		else if (row != NULL)
			fprintf(stderr, "row %s: %s\n", row, why);
		else if (col != NULL)
			fprintf(stderr, "column %s: %s\n", col, why);
		else
			fprintf(stderr, "%s\n", why);
		return;
	}
	fprintf(stderr, "%s\n", ctl_text(p, b3, sizeof b3));
}

/* Print an error answer: "error", "field: error", then every problem. */
static void
ctl_print_error(const struct ctl_answer *a, json_t *j)
{
	const char	*error, *field;
	json_t		*problems, *p;
	size_t		 i, n;

	error = json_string_value(json_object_get(j, "error"));
	field = json_string_value(json_object_get(j, "field"));
	if (error == NULL) {
		/* Not our daemon's error format: show the first line. */
		for (n = 0; n < a->len && n < 200 && a->body[n] != '\n' &&
		    a->body[n] != '\r' && a->body[n] != '\0'; n++)
			;
		fprintf(stderr, "%s: the daemon answered HTTP %ld%s%.*s\n",
		    CTL_NAME, a->status, n > 0 ? ": " : "", (int)n, a->body);
	} else if (field != NULL && *field != '\0')
		fprintf(stderr, "%s: %s: %s\n", CTL_NAME, field, error);
	else
		fprintf(stderr, "%s: %s\n", CTL_NAME, error);
	problems = json_object_get(j, "problems");
	json_array_foreach(problems, i, p)
		ctl_print_problem(p);
	if (a->status == 401 && ctl.token == NULL)
		fprintf(stderr, "%s: the TCP API needs a token: --token or "
		    "APPROVAL_ESCALATOR_TOKEN\n", CTL_NAME);
}

/*
 * Judge an answer: with --json print it raw; on an HTTP error print the
 * daemon's message and return 1; else return 0 with the JSON object.
 */
static int
ctl_judge(struct ctl_answer *a, json_t **out)
{
	json_t		*j;
	json_error_t	 err;

	*out = NULL;
	if (ctl.json && a->len > 0) {
		fwrite(a->body, 1, a->len, stdout);
		if (a->body[a->len - 1] != '\n')
			fputc('\n', stdout);
		fflush(stdout);
	}
	j = json_loadb(a->body, a->len, JSON_DISABLE_EOF_CHECK, &err);
	if (a->status >= 400 || a->status < 200) {
		ctl_print_error(a, j);
		json_decref(j);
		return (CTL_EDAEMON);
	}
	if (!json_is_object(j)) {
		fprintf(stderr, "%s: unexpected answer (HTTP %ld): %s\n",
		    CTL_NAME, a->status, j == NULL ? err.text :
		    "not a JSON object");
		json_decref(j);
		return (CTL_EDAEMON);
	}
	*out = j;
	return (CTL_OK);
}

/*
 * One JSON exchange: send req (NULL: none for GET, {} for POST) and judge
 * the answer.  Returns an exit code; *out is set only on CTL_OK.
 */
static int
ctl_call(const char *method, const char *path, json_t *req, json_t **out)
{
	struct ctl_answer	 a;
	json_t			*empty = NULL;
	char			*body = NULL;
	int			 rc;

	*out = NULL;
	if (strcmp(method, "POST") == 0) {
		if (req == NULL && (req = empty = json_object()) == NULL)
			ctl_nomem();
		if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
			ctl_nomem();
		json_decref(empty);
	}
	rc = ctl_send(method, path, body, body != NULL ? strlen(body) : 0,
	    "application/json", &a);
	free(body);
	if (rc != 0)
		return (rc);
	rc = ctl_judge(&a, out);
	ctl_answer_clear(&a);
	return (rc);
}

/* A member of an answer that must be of the given type, or NULL after
 * saying so. */
static json_t *
ctl_member(json_t *answer, const char *key, json_type type)
{
	json_t	*v = json_object_get(answer, key);

	if (v == NULL || json_typeof(v) != type) {
		fprintf(stderr, "%s: unexpected answer: no \"%s\" %s\n",
		    CTL_NAME, key, type == JSON_ARRAY ? "array" : "object");
		return (NULL);
	}
	return (v);
}

/* Print "label:" padded, then the value or "-". */
static void
ctl_kv(const char *label, const char *value)
{
	char	 l[32];

	snprintf(l, sizeof l, "%s:", label);
	printf("%-15s %s\n", l, value != NULL ? value : "-");
}

/* Print the members of a counts object as "a 1, b 2", or "none". */
static void
ctl_kv_counts(const char *label, json_t *obj)
{
	const char	*key;
	json_t		*v;
	const char	*n;
	char		*line = xstrdup(""), *next, buf[32];

	json_object_foreach(obj, key, v) {
		if ((n = ctl_text(v, buf, sizeof buf)) == NULL)
			n = "0";
		xasprintf(&next, "%s%s%s %s", line, *line == '\0' ? "" : ", ",
		    key, n);
		free(line);
		line = next;
	}
	ctl_kv(label, *line != '\0' ? line : "none");
	free(line);
}

/* The item summary line after add or an event. */
static void
ctl_item_summary(const char *prefix, json_t *item)
{
	const char	*deadline, *blocked;
	char		 b[6][512];

	printf("%sitem %s: %s %s, %s", prefix,
	    ctl_get(item, "id", b[0], sizeof b[0], "?"),
	    ctl_get(item, "project", b[1], sizeof b[1], "-"),
	    ctl_get(item, "name", b[2], sizeof b[2], "-"),
	    ctl_get(item, "status", b[3], sizeof b[3], "-"));
	if ((deadline = ctl_get(item, "deadline", b[4], sizeof b[4],
	    NULL)) != NULL)
		printf(", deadline %s", deadline);
	if ((blocked = ctl_get(item, "blocked", b[5], sizeof b[5],
	    NULL)) != NULL)
		printf(", blocked: %s", blocked);
	putchar('\n');
}

/* Print a count of working days as "N working days", or "no" for 0. */
static void
ctl_kv_workdays(const char *label, json_t *v)
{
	long long	 days;
	char		*s;

	days = json_is_integer(v) ? json_integer_value(v) : 0;
	if (days <= 0) {
		ctl_kv(label, "no");
		return;
	}
	xasprintf(&s, "%lld working day%s", days, days == 1 ? "" : "s");
	ctl_kv(label, s);
	free(s);
}

/* Print one item as a block of "label: value" lines. */
static void
ctl_item_block(json_t *item)
{
	enum { PLAIN, STAGE, RSTAGE, WORKDAYS, HIDDEN };
	static const struct {
		const char	*key;
		const char	*label;
		int		 how;
	} fields[] = {
		{ "project", "project", PLAIN },
		{ "project_name", "project name", PLAIN },
		{ "category", "category", PLAIN },
		{ "region", "region", PLAIN },
		{ "name", "item", PLAIN },
		{ "department", "department", PLAIN },
		{ "handler", "handler", PLAIN },
		{ "mode", "mode", PLAIN },
		{ "status", "status", PLAIN },
		{ "accepted_at", "accepted", PLAIN },
		{ "limit", "limit", PLAIN },
		{ "deadline", "deadline", PLAIN },
		{ "stopped_workdays", "clock stopped", WORKDAYS },
		{ "stage", "stage", STAGE },
		{ "overdue_workdays", "overdue", WORKDAYS },
		{ "blocked", "blocked", PLAIN },
		{ "suspended", "suspended", PLAIN },
		{ "raised_at", "raised", PLAIN },
		{ "next_action_at", "next action", PLAIN },
		{ "after", "after", PLAIN },
		{ "last_progress_at", "last progress", PLAIN },
		{ "ack", "acknowledged", PLAIN },
		{ "ack_at", "acknowledged at", PLAIN },
		{ "ack_by", "acknowledged by", PLAIN },
		{ "feedback", "feedback", PLAIN },
		{ "feedback_at", "feedback at", PLAIN },
		{ "feedback_by", "feedback by", PLAIN },
		{ "supplement_deadline", "supplement due", PLAIN },
		{ "commitment_deadline", "commitment due", PLAIN },
		{ "supplement_done_at", "supplied", PLAIN },
		{ "commitment_result", "verified", PLAIN },
		{ "commitment_verified_at", "verified at", PLAIN },
		{ "rectify_deadline", "rectify due", PLAIN },
		{ "rectify_stage", "rectify stage", RSTAGE },
		{ "done_at", "done", PLAIN },
		{ "id", NULL, HIDDEN },
		{ "stage_label", NULL, HIDDEN },
		{ "rectify_stage_label", NULL, HIDDEN },
	};
	const char	*key, *stage, *label;
	json_t		*v;
	char		 b1[1024], b2[1024], *s;
	size_t		 i;

	printf("item %s\n", ctl_get(item, "id", b1, sizeof b1, "?"));
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		switch (fields[i].how) {
		case STAGE:
		case RSTAGE:
			/* The rectification's only when there is one. */
			if (fields[i].how == RSTAGE && ctl_get(item,
			    "rectify_deadline", b1, sizeof b1, NULL) == NULL)
				break;
			stage = ctl_get(item, fields[i].key, b1, sizeof b1,
			    NULL);
			label = ctl_get(item, fields[i].how == STAGE ?
			    "stage_label" : "rectify_stage_label", b2,
			    sizeof b2, NULL);
			if (stage != NULL && label != NULL &&
			    strcmp(stage, label) != 0) {
				xasprintf(&s, "%s (%s)", label, stage);
				ctl_kv(fields[i].label, s);
				free(s);
			} else
				ctl_kv(fields[i].label, label != NULL ? label :
				    stage);
			break;
		case WORKDAYS:
			ctl_kv_workdays(fields[i].label,
			    json_object_get(item, fields[i].key));
			break;
		case PLAIN:
			ctl_kv(fields[i].label, ctl_get(item, fields[i].key,
			    b1, sizeof b1, NULL));
			break;
		}
	}
	/* Members this client does not know yet: show them as they are. */
	json_object_foreach(item, key, v) {
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (i == sizeof fields / sizeof fields[0])
			ctl_kv(key, ctl_text(v, b1, sizeof b1));
	}
}

/*
 * A paged list (GET /v1/items, /v1/projects): every page in turn, by
 * next_cursor, each handed to fn as it comes (first: the first page), so
 * that no more than a page is held; with want >= 0 no more than want
 * entries.  With --json the entries are printed as one {"member": [...]}
 * document, streamed too.
 */
#define CTL_PAGE	1000

static int
ctl_pages(const char *base, json_t *args, const char *member,
    long long want, void (*fn)(void *, json_t *, int), void *arg)
{
	json_t		*a, *list, *next, *e;
	char		*query, *path, *cursor = NULL, *s;
	long long	 got = 0, page;
	size_t		 i;
	int		 rc = CTL_OK, json = ctl.json, first = 1;

	if (json)
		printf("{\"%s\":[", member);
	for (;;) {
		page = want < 0 || want - got > CTL_PAGE ? CTL_PAGE :
		    want - got;
		ctl_put(args, "limit", json_integer(page));
		if (cursor != NULL)
			ctl_put(args, "cursor", json_string(cursor));
		query = ctl_query(args);
		xasprintf(&path, "%s%s", base, query);
		free(query);
		ctl.json = 0;		/* the pages are printed here */
		rc = ctl_call("GET", path, NULL, &a);
		ctl.json = json;
		free(path);
		if (rc != CTL_OK)
			break;
		if ((list = ctl_member(a, member, JSON_ARRAY)) == NULL) {
			json_decref(a);
			rc = CTL_EDAEMON;
			break;
		}
		if (json) {
			json_array_foreach(list, i, e) {
				if ((s = json_dumps(e, JSON_COMPACT)) == NULL)
					ctl_nomem();
				printf("%s%s", got + (long long)i > 0 ? "," : "",
				    s);
				free(s);
			}
		} else
			fn(arg, list, first);
		got += (long long)json_array_size(list);
		first = 0;
		next = json_object_get(a, "next_cursor");
		free(cursor);
		cursor = json_is_string(next) && (want < 0 || got < want) ?
		    xstrdup(json_string_value(next)) : NULL;
		json_decref(a);
		fflush(stdout);
		if (cursor == NULL)
			break;
	}
	free(cursor);
	if (json && rc == CTL_OK)
		printf("]}\n");
	else if (json)
		printf("\n");
	return (rc);
}

/* A table of one page without its header row (pages after the first). */
static void
ctl_table_drop_header(struct ctl_table *t)
{
	size_t	 i;

	for (i = 0; i < t->ncols; i++)
		free(t->cells[i]);
	memmove(t->cells, t->cells + t->ncols, (t->ncells - t->ncols) *
	    sizeof *t->cells);
	t->ncells -= t->ncols;
}

/* outbox: the messages waiting or failed, as a table. */
static int
ctl_cmd_outbox(CTL_UNUSED const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	static const char *const headers[] = {
		"ID", "CHANNEL", "STAGE", "STATE", "TRIES", "ERROR", "CREATED",
		"NEXT", "TITLE"
	};
	struct ctl_table	*t;
	json_t			*a, *list, *m, *next;
	char			*query, *path, b[1024], e[1024], ch[512];
	const char		*code;
	size_t			 i;
	int			 rc;

	query = ctl_query(args);
	xasprintf(&path, "/v1/outbox%s", query);
	free(query);
	rc = ctl_call("GET", path, NULL, &a);
	free(path);
	if (rc != CTL_OK)
		return (rc);
	if (ctl.json)
		goto out;
	if ((list = ctl_member(a, "messages", JSON_ARRAY)) == NULL) {
		json_decref(a);
		return (CTL_EDAEMON);
	}
	if (json_array_size(list) == 0) {
		printf("no messages\n");
		goto out;
	}
	t = ctl_table_new(headers, 9, 1U << 0 | 1U << 4, 0);
	json_array_foreach(list, i, m) {
		ctl_table_cell(t, ctl_get(m, "id", b, sizeof b, "-"));
		snprintf(ch, sizeof ch, "%s%s", ctl_get(m, "channel", b,
		    sizeof b, "-"), json_is_false(json_object_get(m,
		    "channel_known")) ? " (unknown)" : "");
		ctl_table_cell(t, ch);
		ctl_table_cell(t, ctl_get(m, "stage", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(m, "state", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(m, "attempts", b, sizeof b, "0"));
		code = ctl_get(m, "code", b, sizeof b, NULL);
		if (code != NULL)
			snprintf(e, sizeof e, "%s %s", code, ctl_get(m,
			    "error", ch, sizeof ch, ""));
		else
			snprintf(e, sizeof e, "%s", ctl_get(m, "error", ch,
			    sizeof ch, ""));
		ctl_table_cell(t, e);
		ctl_table_cell(t, ctl_get(m, "created_at", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(m, "next_attempt_at", b, sizeof b,
		    "-"));
		ctl_table_cell(t, ctl_get(m, "title", b, sizeof b, ""));
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	next = json_object_get(a, "next_after");
	if (json_is_integer(next))
		printf("more: --after %lld\n", (long long)json_integer_value(
		    next));
out:
	json_decref(a);
	return (CTL_OK);
}

/* outbox retry / move / drop: an action on messages, logged as "ctl". */
static int
ctl_cmd_outbox_act(const struct ctl_command *cmd, json_t *args, int argc,
    char **argv)
{
	const char	*what = strchr(cmd->name, ' ') + 1, *key;
	json_t		*a;
	long long	 id;
	char		*path, b[64];
	int		 rc;

	if (argc > 1)
		return (ctl_usage_error(cmd, "unexpected argument \"%s\"",
		    argv[1]));
	if (argc == 1) {
		if (ctl_parse_number(argv[0], INT64_MAX, &id) != 0)
			return (ctl_usage_error(cmd, "\"%s\" is not a message"
			    " id", argv[0]));
		ctl_put(args, "id", json_integer(id));
	}
	if (strcmp(what, "retry") == 0 && (argc == 1) +
	    (json_object_get(args, "channel") != NULL) +
	    (json_object_get(args, "all_failed") != NULL) != 1)
		return (ctl_usage_error(cmd, "give one of ID, --channel or"
		    " --all-failed"));
	if (strcmp(what, "drop") == 0 && (argc == 1) +
	    (json_object_get(args, "channel") != NULL) != 1)
		return (ctl_usage_error(cmd, "give one of ID or --channel"));
	ctl_put(args, "actor", json_string("ctl"));
	xasprintf(&path, "/v1/outbox/%s", what);
	rc = ctl_call("POST", path, args, &a);
	free(path);
	if (rc == CTL_OK && !ctl.json) {
		key = what[0] == 'r' ? "requeued" : what[0] == 'm' ? "moved" :
		    "dropped";
		printf("%s %s message(s)\n", key, ctl_get(a, key, b, sizeof b,
		    "0"));
	}
	json_decref(a);
	return (rc);
}

/* Wait until the messages queued with ids have an answer or timeout
 * seconds pass; print each one's end.  0 all sent, 1 one failed or
 * none answered in time. */
static int
ctl_wait_sent(json_t *ids, long long timeout)
{
	json_t		*a, *list, *m;
	struct timespec	 ts, nap = { 0, 200 * 1000 * 1000 };
	long long	 first, n, deadline;
	char		*path, b[64], c[64], e[512], ch[256];
	const char	*state;
	size_t		 i;
	int		 rc, open;

	n = (long long)json_array_size(ids);
	if (n == 0)
		return (CTL_OK);
	first = json_integer_value(json_array_get(ids, 0));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = ts.tv_sec + timeout;
	for (;;) {
		xasprintf(&path, "/v1/outbox?state=all&after=%lld&limit=%lld",
		    first - 1, n);
		rc = ctl_call("GET", path, NULL, &a);
		free(path);
		if (rc != CTL_OK)
			return (rc);
		if ((list = ctl_member(a, "messages", JSON_ARRAY)) == NULL) {
			json_decref(a);
			return (CTL_EDAEMON);
		}
		open = 0;
		json_array_foreach(list, i, m) {
			state = json_string_value(json_object_get(m, "state"));
			if (state != NULL && strcmp(state, "queued") == 0)
				open = 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (!open || ts.tv_sec >= deadline)
			break;
		json_decref(a);
		nanosleep(&nap, NULL);
	}
	rc = CTL_OK;
	json_array_foreach(list, i, m) {
		state = json_string_value(json_object_get(m, "state"));
		snprintf(ch, sizeof ch, "%s", ctl_get(m, "channel", b,
		    sizeof b, "-"));
		if (state != NULL && strcmp(state, "sent") == 0)
			printf("message %s to %s: sent\n", ctl_get(m, "id", c,
			    sizeof c, "?"), ch);
		else if (state != NULL && strcmp(state, "queued") == 0) {
			printf("message %s to %s: no answer within %lld s"
			    " (still queued%s%s)\n", ctl_get(m, "id", c,
			    sizeof c, "?"), ch, timeout,
			    json_is_string(json_object_get(m, "error")) ?
			    ", last error: " : "", ctl_get(m, "error", e,
			    sizeof e, ""));
			rc = CTL_EDAEMON;
		} else {
			printf("message %s to %s: %s (%s%s%s)\n", ctl_get(m,
			    "id", c, sizeof c, "?"), ch, state ? state : "?",
			    ctl_get(m, "code", b, sizeof b, ""),
			    json_is_integer(json_object_get(m, "code")) ?
			    " " : "", ctl_get(m, "error", e, sizeof e, ""));
			rc = CTL_EDAEMON;
		}
	}
	json_decref(a);
	return (rc);
}

/* status: the daemon's state as a block, channels as a table. */
static int
ctl_cmd_status(CTL_UNUSED const struct ctl_command *cmd,
    CTL_UNUSED json_t *args, CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	static const char *const headers[] = {
		"NAME", "TYPE", "STATE", "QUEUED", "URL"
	};
	struct ctl_table	*t;
	json_t			*a, *channels, *warnings, *c, *w;
	char			 b[1024];
	size_t			 i;
	int			 rc;

	if ((rc = ctl_call("GET", "/v1/status", NULL, &a)) != CTL_OK)
		return (rc);
	if (ctl.json)
		goto out;
	ctl_kv("version", ctl_get(a, "version", b, sizeof b, NULL));
	ctl_kv("started", ctl_get(a, "started_at", b, sizeof b, NULL));
	ctl_kv("config", ctl_get(a, "config", b, sizeof b, NULL));
	ctl_kv("database", ctl_get(a, "database", b, sizeof b, NULL));
	ctl_kv_counts("items", json_object_get(a, "items"));
	ctl_kv_counts("overdue", json_object_get(a, "overdue"));
	ctl_kv_counts("queue", json_object_get(a, "queue"));
	ctl_kv("next wakeup", ctl_get(a, "next_wakeup", b, sizeof b, "none"));
	if (json_object_get(a, "last_reload") != NULL)
		ctl_kv("last reload", ctl_get(a, "last_reload", b, sizeof b,
		    NULL));

	channels = json_object_get(a, "channels");
	if (json_array_size(channels) == 0)
		ctl_kv("channels", "none");
	else {
		printf("channels:\n");
		t = ctl_table_new(headers, 5, 1U << 3, 2);
		json_array_foreach(channels, i, c) {
			ctl_table_cell(t, ctl_get(c, "name", b, sizeof b, "-"));
			ctl_table_cell(t, ctl_get(c, "type", b, sizeof b, "-"));
			ctl_table_cell(t, json_is_true(json_object_get(c,
			    "paused")) ? "paused" : "active");
			ctl_table_cell(t, ctl_get(c, "queued", b, sizeof b,
			    "0"));
			ctl_table_cell(t, ctl_get(c, "url", b, sizeof b, "-"));
		}
		ctl_table_print(t, stdout);
		ctl_table_free(t);
	}
	warnings = json_object_get(a, "warnings");
	if (json_array_size(warnings) != 0) {
		printf("warnings:\n");
		json_array_foreach(warnings, i, w)
			printf("  %s\n", ctl_text(w, b, sizeof b));
	}
out:
	json_decref(a);
	return (CTL_OK);
}

/* A list cell: the rectification deadline and its stage, or empty. */
static void
ctl_list_rectify(struct ctl_table *t, json_t *item)
{
	const char	*due, *stage;
	char		 b1[64], b2[512], *s;

	if ((due = ctl_get(item, "rectify_deadline", b1, sizeof b1,
	    NULL)) == NULL) {
		ctl_table_cell(t, "");
		return;
	}
	if ((stage = ctl_get(item, "rectify_stage_label", b2, sizeof b2,
	    NULL)) == NULL)
		stage = ctl_get(item, "rectify_stage", b2, sizeof b2, NULL);
	/* To the minute, as deadlines are shown in messages. */
	xasprintf(&s, "%.16s%s%s", due, stage != NULL ? " " : "",
	    stage != NULL ? stage : "");
	ctl_table_cell(t, s);
	free(s);
}

/* One page of list: its items as table rows (the header on the first). */
static void
ctl_list_page(CTL_UNUSED void *arg, json_t *items, int first)
{
	static const char *const headers[] = {
		"ID", "PROJECT", "ITEM", "DEPARTMENT", "STATUS", "DEADLINE",
		"STAGE", "RECTIFY", "BLOCKED", "ACK"
	};
	struct ctl_table	*t;
	json_t			*item;
	char			 b[1024];
	const char		*stage;
	size_t			 i;

	if (json_array_size(items) == 0) {
		if (first)
			printf("no items\n");
		return;
	}
	t = ctl_table_new(headers, 10, 1U << 0, 0);
	if (!first)
		ctl_table_drop_header(t);
	json_array_foreach(items, i, item) {
		ctl_table_cell(t, ctl_get(item, "id", b, sizeof b, "?"));
		ctl_table_cell(t, ctl_get(item, "project", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(item, "name", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(item, "department", b, sizeof b,
		    "-"));
		ctl_table_cell(t, ctl_get(item, "status", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(item, "deadline", b, sizeof b, "-"));
		if ((stage = ctl_get(item, "stage_label", b, sizeof b,
		    NULL)) == NULL)
			stage = ctl_get(item, "stage", b, sizeof b, "-");
		ctl_table_cell(t, stage);
		ctl_list_rectify(t, item);
		ctl_table_cell(t, ctl_get(item, "blocked", b, sizeof b, NULL) !=
		    NULL ? "yes" : "");
		ctl_table_cell(t, ctl_get(item, "ack", b, sizeof b, ""));
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

/* list: items as a table, one per line, page after page. */
static int
ctl_cmd_list(CTL_UNUSED const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	json_t		*lim = json_object_get(args, "limit");
	long long	 want = json_is_integer(lim) ? json_integer_value(lim) :
			    -1;

	return (ctl_pages("/v1/items", args, "items", want, ctl_list_page,
	    NULL));
}

/* Parse an item id operand; prints the usage error itself. */
static int
ctl_operand_id(const struct ctl_command *cmd, const char *s, long long *id)
{
	if (ctl_parse_number(s, INT64_MAX, id) != 0)
		return (ctl_usage_error(cmd, "\"%s\" is not an item id", s));
	return (0);
}

/* Print the "item" member of an answer as a summary line or a block. */
static int
ctl_print_item(json_t *a, const char *prefix)
{
	json_t	*item;

	if ((item = ctl_member(a, "item", JSON_OBJECT)) == NULL)
		return (CTL_EDAEMON);
	if (prefix != NULL)
		ctl_item_summary(prefix, item);
	else
		ctl_item_block(item);
	if (json_is_true(json_object_get(a, "duplicate")))
		printf("(event id seen before: nothing changed)\n");
	return (CTL_OK);
}

/* show ID: one item as a block. */
static int
ctl_cmd_show(const struct ctl_command *cmd, CTL_UNUSED json_t *args,
    CTL_UNUSED int argc, char **argv)
{
	json_t		*a;
	char		*path;
	long long	 id = 0;
	int		 rc;

	if ((rc = ctl_operand_id(cmd, argv[0], &id)) != 0)
		return (rc);
	xasprintf(&path, "/v1/items/%lld", id);
	rc = ctl_call("GET", path, NULL, &a);
	free(path);
	if (rc == CTL_OK && !ctl.json)
		rc = ctl_print_item(a, NULL);
	json_decref(a);
	return (rc);
}

/* item add: create an item; --planned becomes "status": "planned". */
static int
ctl_cmd_item_add(const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	json_t	*a;
	int	 rc;

	if (json_object_get(args, "deadline") != NULL &&
	    json_object_get(args, "limit") != NULL)
		return (ctl_usage_error(cmd, "--deadline and --limit cannot be "
		    "used together"));
	if (json_object_get(args, "planned") != NULL) {
		if (json_object_get(args, "accepted_at") != NULL)
			return (ctl_usage_error(cmd, "--planned and --accepted "
			    "cannot be used together"));
		json_object_del(args, "planned");
		ctl_put(args, "status", json_string(STATUS_PLANNED));
	}
	rc = ctl_call("POST", "/v1/items", args, &a);
	/* 200 rather than 201: the same project, kind and department
	 * already had an item, which was updated. */
	if (rc == CTL_OK && !ctl.json)
		rc = ctl_print_item(a, ctl.status == 201 ? "added " :
		    "updated ");
	json_decref(a);
	return (rc);
}

/* item EVENT ID: post one event; the event is the command's last word. */
static int
ctl_cmd_item_event(const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, char **argv)
{
	json_t		*a, *ev;
	char		*path;
	long long	 id = 0;
	int		 rc;

	if ((rc = ctl_operand_id(cmd, argv[0], &id)) != 0)
		return (rc);
	/* "type" first: easier to read in the daemon's debug log. */
	if ((ev = json_object()) == NULL)
		ctl_nomem();
	ctl_put(ev, "type", json_string(strchr(cmd->name, ' ') + 1));
	if (json_object_update(ev, args) != 0)
		ctl_nomem();
	xasprintf(&path, "/v1/items/%lld/events", id);
	rc = ctl_call("POST", path, ev, &a);
	json_decref(ev);
	free(path);
	if (rc == CTL_OK && !ctl.json)
		rc = ctl_print_item(a, "");
	json_decref(a);
	return (rc);
}

/* project add: create a project. */
static int
ctl_cmd_project_add(CTL_UNUSED const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	json_t	*a, *p;
	char	 b1[256], b2[1024];
	int	 rc;

	if ((rc = ctl_call("POST", "/v1/projects", args, &a)) != CTL_OK)
		return (rc);
	if (!ctl.json) {
		if ((p = ctl_member(a, "project", JSON_OBJECT)) == NULL)
			rc = CTL_EDAEMON;
		else
			printf("%s project %s: %s\n", ctl.status == 201 ?
			    "added" : "updated",
			    ctl_get(p, "code", b1, sizeof b1, "?"),
			    ctl_get(p, "name", b2, sizeof b2, "-"));
	}
	json_decref(a);
	return (rc);
}

/* One page of project list as table rows (the header on the first). */
static void
ctl_project_page(CTL_UNUSED void *arg, json_t *projects, int first)
{
	static const char *const headers[] = {
		"CODE", "NAME", "CATEGORY", "REGION", "PLANNED START",
		"PROGRESS"
	};
	struct ctl_table	*t;
	json_t			*p;
	char			 b[1024];
	size_t			 i;

	if (json_array_size(projects) == 0) {
		if (first)
			printf("no projects\n");
		return;
	}
	t = ctl_table_new(headers, 6, 0, 0);
	if (!first)
		ctl_table_drop_header(t);
	json_array_foreach(projects, i, p) {
		ctl_table_cell(t, ctl_get(p, "code", b, sizeof b, "?"));
		ctl_table_cell(t, ctl_get(p, "name", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(p, "category", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(p, "region", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(p, "planned_start", b, sizeof b,
		    "-"));
		ctl_table_cell(t, ctl_get(p, "progress", b, sizeof b, ""));
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

/* project list: projects as a table, page after page. */
static int
ctl_cmd_project_list(CTL_UNUSED const struct ctl_command *cmd,
    json_t *args, CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	return (ctl_pages("/v1/projects", args, "projects", -1,
	    ctl_project_page, NULL));
}

/* project progress CODE: record the visible progress of a project. */
static int
ctl_cmd_project_progress(CTL_UNUSED const struct ctl_command *cmd,
    json_t *args, CTL_UNUSED int argc, char **argv)
{
	json_t	*a;
	char	*code, *path;
	int	 rc;

	code = ctl_escape(argv[0]);
	xasprintf(&path, "/v1/projects/%s/progress", code);
	free(code);
	rc = ctl_call("POST", path, args, &a);
	free(path);
	if (rc == CTL_OK && !ctl.json)
		printf("project %s: progress recorded\n", argv[0]);
	json_decref(a);
	return (rc);
}

/* One log entry on one line, as --follow prints them; -1: output gone. */
static int
ctl_log_line(json_t *e)
{
	char	*dump, b[7][512], d[2048];

	if (ctl.json) {
		if ((dump = json_dumps(e, JSON_COMPACT)) == NULL)
			ctl_nomem();
		printf("%s\n", dump);
		free(dump);
	} else
		printf("%s  %s  %s  %s  %s  %s  %s  %s\n",
		    ctl_get(e, "at", b[0], sizeof b[0], "-"),
		    ctl_get(e, "item_id", b[1], sizeof b[1], "-"),
		    ctl_get(e, "project", b[2], sizeof b[2], "-"),
		    ctl_get(e, "stage", b[3], sizeof b[3], "-"),
		    ctl_get(e, "channel", b[4], sizeof b[4], "-"),
		    ctl_get(e, "outcome", b[5], sizeof b[5], "-"),
		    ctl_get(e, "actor", b[6], sizeof b[6], "-"),
		    ctl_get(e, "detail", d, sizeof d, ""));
	return (fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1);
}

/*
 * log --follow: poll the log after the last entry seen (after=ID), once
 * a second, printing new entries as they come; ends when interrupted or
 * when the output is closed.
 */
static int
ctl_log_follow(json_t *args, json_int_t last)
{
	struct timespec	 pause = { 1, 0 };
	json_t		*a, *log, *e;
	char		*query, *path;
	size_t		 i;
	int		 rc;

	for (;;) {
		ctl_put(args, "after", json_integer(last));
		ctl_put(args, "limit", json_integer(1000));
		query = ctl_query(args);
		xasprintf(&path, "/v1/log%s", query);
		free(query);
		rc = ctl_call("GET", path, NULL, &a);
		free(path);
		if (rc != CTL_OK)
			return (rc);
		if ((log = ctl_member(a, "log", JSON_ARRAY)) == NULL) {
			json_decref(a);
			return (CTL_EDAEMON);
		}
		json_array_foreach(log, i, e) {
			last = json_integer_value(json_object_get(e, "id"));
			if (ctl_log_line(e) != 0) {
				json_decref(a);
				return (CTL_OK);
			}
		}
		/* A full page: more are waiting, ask again at once. */
		if (json_array_size(log) < 1000)
			nanosleep(&pause, NULL);
		json_decref(a);
	}
}

/* log: the action log, one line per entry. */
static int
ctl_cmd_log(CTL_UNUSED const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	static const char *const headers[] = {
		"AT", "ITEM", "PROJECT", "STAGE", "CHANNEL", "OUTCOME", "ACTOR",
		"DETAIL"
	};
	struct ctl_table	*t;
	json_t			*a, *log, *e;
	json_int_t		 last = 0;
	char			*query, *path, b[2048];
	size_t			 i;
	int			 rc, follow;

	follow = json_object_get(args, "follow") != NULL;
	json_object_del(args, "follow");
	query = ctl_query(args);
	xasprintf(&path, "/v1/log%s", query);
	free(query);
	rc = ctl_call("GET", path, NULL, &a);
	free(path);
	if (rc != CTL_OK)
		return (rc);
	if ((log = ctl_member(a, "log", JSON_ARRAY)) == NULL) {
		json_decref(a);
		return (CTL_EDAEMON);
	}
	if (json_array_size(log) > 0)
		last = json_integer_value(json_object_get(json_array_get(log,
		    json_array_size(log) - 1), "id"));
	if (follow) {
		json_array_foreach(log, i, e)
			if (ctl_log_line(e) != 0)
				goto out;
		json_decref(a);
		return (ctl_log_follow(args, last));
	}
	if (ctl.json)
		goto out;
	if (json_array_size(log) == 0) {
		printf("no log entries\n");
		goto out;
	}
	t = ctl_table_new(headers, 8, 1U << 1, 0);
	json_array_foreach(log, i, e) {
		ctl_table_cell(t, ctl_get(e, "at", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(e, "item_id", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(e, "project", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(e, "stage", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(e, "channel", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(e, "outcome", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(e, "actor", b, sizeof b, "-"));
		ctl_table_cell(t, ctl_get(e, "detail", b, sizeof b, ""));
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
out:
	json_decref(a);
	return (CTL_OK);
}

/* reload: ask the daemon to reload its configuration. */
static int
ctl_cmd_reload(CTL_UNUSED const struct ctl_command *cmd,
    CTL_UNUSED json_t *args, CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	json_t	*a, *o;
	size_t	 i;
	char	 b[64], c[512];
	int	 rc;

	rc = ctl_call("POST", "/v1/reload", NULL, &a);
	if (rc == CTL_OK && !ctl.json) {
		printf("configuration reloaded\n");
		/* Messages left for a channel the reload removed. */
		json_array_foreach(json_object_get(a, "orphaned"), i, o)
			printf("warning: %s message(s) wait for channel '%s',"
			    " which is no longer configured: outbox move --from"
			    " '%s' --to CHANNEL, or outbox drop --channel '%s'"
			    " --reason TEXT\n", ctl_get(o, "queued", b, sizeof b,
			    "0"), ctl_get(o, "channel", c, sizeof c, "?"),
			    c, c);
	}
	json_decref(a);
	return (rc);
}

/* send-test CHANNEL: the vendor's answer; exit 1 unless it was ok. */
static int
ctl_cmd_send_test(CTL_UNUSED const struct ctl_command *cmd,
    CTL_UNUSED json_t *args, CTL_UNUSED int argc, char **argv)
{
	json_t		*a;
	const char	*outcome;
	char		*name, *path, b[1024];
	int		 rc;

	name = ctl_escape(argv[0]);
	xasprintf(&path, "/v1/channels/%s/test", name);
	free(name);
	rc = ctl_call("POST", path, NULL, &a);
	free(path);
	if (rc != CTL_OK)
		return (rc);
	outcome = json_string_value(json_object_get(a, "outcome"));
	if (!ctl.json) {
		ctl_kv("channel", ctl_get(a, "channel", b, sizeof b, argv[0]));
		ctl_kv("outcome", outcome);
		ctl_kv("http status", ctl_get(a, "http_status", b, sizeof b,
		    NULL));
		ctl_kv("vendor code", ctl_get(a, "code", b, sizeof b, NULL));
		ctl_kv("message", ctl_get(a, "message", b, sizeof b, NULL));
	}
	if (outcome == NULL || strcmp(outcome, "ok") != 0)
		rc = CTL_EDAEMON;
	json_decref(a);
	return (rc);
}

/* Print text with every line indented. */
static void
ctl_print_indented(const char *text, const char *indent)
{
	const char	*nl;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		printf("%s%.*s\n", indent, (int)(nl - text), text);
		text = *nl == '\n' ? nl + 1 : nl;
	}
}

/* Print an answer's "warnings" array on stderr. */
static void
ctl_print_warnings(json_t *a)
{
	json_t	*w;
	char	 b[1024];
	size_t	 i;

	json_array_foreach(json_object_get(a, "warnings"), i, w)
		fprintf(stderr, "%s: warning: %s\n", CTL_NAME,
		    ctl_text(w, b, sizeof b));
}

/*
 * simulate streams: the answer {"messages":[...],"warnings":[...]} can be
 * hundreds of megabytes.  With --json the bytes are passed through as they
 * come; otherwise each message object is cut out of the stream (by
 * tracking strings and nesting) and printed as soon as it is complete,
 * and the rest of the document -- every message replaced by 0 -- is parsed
 * at the end for the warnings.
 */
struct ctl_sim {
	int		 depth;
	int		 in_str;
	int		 esc;
	int		 in_messages;	/* inside the "messages" member */
	int		 capturing;	/* inside one message object */
	char		 key[16];	/* last string at depth 1 (truncated) */
	size_t		 keylen;
	char		*cur;		/* the message being cut out */
	size_t		 curlen, cursize;
	char		*rest;		/* the document without messages */
	size_t		 restlen, restsize;
	size_t		 n;		/* messages printed */
	int		 last;		/* last byte passed through */
	int		 bad;
};

/* Append bytes to a growing buffer. */
static void
ctl_sim_add(char **buf, size_t *len, size_t *size, const char *p, size_t n)
{
	if (*len + n + 1 > *size) {
		while (*len + n + 1 > *size)
			*size = *size ? *size * 2 : 1024;
		*buf = xreallocarray(*buf, *size, 1);
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Print one message object of the answer. */
static void
ctl_sim_print(struct ctl_sim *cs, const char *p, size_t len)
{
	json_t		*m;
	const char	*stage, *text;
	char		 b1[64], b2[256], b3[256], b4[1024], b5[1024];

	if ((m = json_loadb(p, len, 0, NULL)) == NULL) {
		cs->bad = 1;
		return;
	}
	if ((stage = ctl_get(m, "stage_label", b3, sizeof b3, NULL)) == NULL)
		stage = ctl_get(m, "stage", b3, sizeof b3, "-");
	if (cs->n++ != 0)
		putchar('\n');
	printf("%s  %s  %s  %s\n", ctl_get(m, "at", b1, sizeof b1, "-"),
	    ctl_get(m, "channel", b2, sizeof b2, "-"), stage,
	    ctl_get(m, "title", b4, sizeof b4, ""));
	text = json_string_value(json_object_get(m, "text"));
	if (text != NULL)
		ctl_print_indented(text, "    ");
	if (ctl_get(m, "recipients", b5, sizeof b5, NULL) != NULL)
		printf("    (to: %s)\n", b5);
	json_decref(m);
}

/* Bytes of a simulate answer as they arrive. */
static void
ctl_sim_feed(struct ctl_stream *st, const char *p, size_t len)
{
	struct ctl_sim	*cs = st->arg;
	size_t		 i, mark = 0;
	char		 c;

	if (len == 0)
		return;
	if (ctl.json) {
		fwrite(p, 1, len, stdout);
		cs->last = (unsigned char)p[len - 1];
		return;
	}
	for (i = 0; i < len; i++) {
		c = p[i];
		if (cs->in_str) {
			if (cs->esc)
				cs->esc = 0;
			else if (c == '\\')
				cs->esc = 1;
			else if (c == '"')
				cs->in_str = 0;
			else if (cs->depth == 1 && !cs->capturing &&
			    cs->keylen < sizeof cs->key - 1)
				cs->key[cs->keylen++] = c;
			continue;
		}
		switch (c) {
		case '"':
			cs->in_str = 1;
			if (cs->depth == 1)
				cs->keylen = 0;
			break;
		case ':':
			if (cs->depth == 1) {
				cs->key[cs->keylen] = '\0';
				cs->in_messages = strcmp(cs->key,
				    "messages") == 0;
			}
			break;
		case '{':
		case '[':
			if (c == '{' && cs->depth == 2 && cs->in_messages) {
				/* A message starts: the rest gets a 0. */
				ctl_sim_add(&cs->rest, &cs->restlen,
				    &cs->restsize, p + mark, i - mark);
				ctl_sim_add(&cs->rest, &cs->restlen,
				    &cs->restsize, "0", 1);
				cs->capturing = 1;
				cs->curlen = 0;
				mark = i;
			}
			cs->depth++;
			break;
		case '}':
		case ']':
			cs->depth--;
			if (c == '}' && cs->depth == 2 && cs->capturing) {
				ctl_sim_add(&cs->cur, &cs->curlen,
				    &cs->cursize, p + mark, i + 1 - mark);
				ctl_sim_print(cs, cs->cur, cs->curlen);
				cs->capturing = 0;
				mark = i + 1;
			}
			break;
		default:
			break;
		}
	}
	if (cs->capturing)
		ctl_sim_add(&cs->cur, &cs->curlen, &cs->cursize, p + mark,
		    len - mark);
	else
		ctl_sim_add(&cs->rest, &cs->restlen, &cs->restsize, p + mark,
		    len - mark);
}

/* The export's bytes, to stdout as they come. */
static void
ctl_export_feed(CTL_UNUSED struct ctl_stream *st, const char *p, size_t len)
{
	fwrite(p, 1, len, stdout);
}

/* export: every item as CSV, streamed from the daemon to stdout. */
static int
ctl_cmd_export(CTL_UNUSED const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	struct ctl_stream	 st;
	struct ctl_answer	 a;
	json_t			*j;
	char			*query, *path;
	int			 rc;

	memset(&st, 0, sizeof st);
	st.fn = ctl_export_feed;
	ctl_put(args, "format", json_string("csv"));
	query = ctl_query(args);
	xasprintf(&path, "/v1/items%s", query);
	free(query);
	ctl.stream = &st;
	rc = ctl_send("GET", path, NULL, 0, NULL, &a);
	ctl.stream = NULL;
	free(path);
	if (rc != 0)
		return (rc);
	if (!st.pass) {
		rc = ctl_judge(&a, &j);
		json_decref(j);
	}
	ctl_answer_clear(&a);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: export: %s\n", CTL_NAME, strerror(errno));
		return (CTL_EDAEMON);
	}
	return (rc);
}

/* simulate: every message the daemon would send, with its text. */
static int
ctl_cmd_simulate(CTL_UNUSED const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, CTL_UNUSED char **argv)
{
	struct ctl_stream	 st;
	struct ctl_sim		 cs;
	struct ctl_answer	 a;
	json_t			*j;
	char			*body;
	int			 rc;

	memset(&st, 0, sizeof st);
	memset(&cs, 0, sizeof cs);
	st.fn = ctl_sim_feed;
	st.arg = &cs;
	if ((body = json_dumps(args, JSON_COMPACT)) == NULL)
		ctl_nomem();
	ctl.stream = &st;
	rc = ctl_send("POST", "/v1/simulate", body, strlen(body),
	    "application/json", &a);
	ctl.stream = NULL;
	free(body);
	if (rc != 0)
		goto out;
	if (!st.pass) {
		/* An error answer, collected whole. */
		rc = ctl_judge(&a, &j);
		json_decref(j);
		ctl_answer_clear(&a);
		goto out;
	}
	ctl_answer_clear(&a);
	if (ctl.json) {
		if (cs.last != '\n' && st.received > 0)
			putchar('\n');
		fflush(stdout);
		goto out;
	}
	j = cs.rest != NULL ? json_loadb(cs.rest, cs.restlen, 0, NULL) : NULL;
	if (cs.bad || cs.capturing || cs.depth != 0 || !json_is_object(j) ||
	    !json_is_array(json_object_get(j, "messages"))) {
		fprintf(stderr, "%s: unexpected answer: not a complete "
		    "simulation\n", CTL_NAME);
		json_decref(j);
		rc = CTL_EDAEMON;
		goto out;
	}
	if (cs.n == 0)
		printf("no messages would be sent\n");
	ctl_print_warnings(j);
	json_decref(j);
out:
	free(cs.cur);
	free(cs.rest);
	return (rc);
}

/* Write a workbook's bytes to a file ("-": standard output, unless it
 * is a terminal); CTL_OK or an error said. */
static int
ctl_report_xlsx(const char *file, const char *data, size_t len)
{
	FILE	*f;
	int	 ok;

	if (strcmp(file, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "%s: not writing a workbook to a "
			    "terminal: give a file name\n", CTL_NAME);
			return (CTL_EUSAGE);
		}
		ok = fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0;
		if (!ok)
			fprintf(stderr, "%s: standard output: %s\n",
			    CTL_NAME, strerror(errno));
		return (ok ? CTL_OK : CTL_EUSAGE);
	}
	if ((f = fopen(file, "wb")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", CTL_NAME, file,
		    strerror(errno));
		return (CTL_EUSAGE);
	}
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "%s: %s: %s\n", CTL_NAME, file,
		    strerror(errno));
		unlink(file);
		return (CTL_EUSAGE);
	}
	return (CTL_OK);
}

/* report NAME: print a report (markdown, text or raw CSV), write it as a
 * workbook, or send it. */
static int
ctl_cmd_report(const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, char **argv)
{
	struct ctl_answer	 ans;
	struct ctl_stream	 st;
	json_t			*a;
	const char		*title, *text, *nl;
	char			*name, *query, *path, b[64];
	long long		 timeout = 60;
	int			 send, csv, plain, wait, rc;
	char			*xlsx = NULL;

	if (json_is_string(json_object_get(args, "xlsx")))
		xlsx = xstrdup(json_string_value(json_object_get(args,
		    "xlsx")));
	json_object_del(args, "xlsx");
	if (xlsx != NULL && (json_object_get(args, "csv") != NULL ||
	    json_object_get(args, "text") != NULL ||
	    json_object_get(args, "send") != NULL)) {
		free(xlsx);
		return (ctl_usage_error(cmd, "--xlsx cannot be used with --csv,"
		    " --text or --send"));
	}
	send = json_object_get(args, "send") != NULL;
	csv = json_object_get(args, "csv") != NULL;
	plain = json_object_get(args, "text") != NULL;
	wait = json_object_get(args, "wait") != NULL;
	if (json_is_integer(json_object_get(args, "timeout")))
		timeout = json_integer_value(json_object_get(args, "timeout"));
	else if (json_object_get(args, "timeout") != NULL)
		return (ctl_usage_error(cmd, "--timeout needs --wait"));
	if (json_object_get(args, "timeout") != NULL && !wait)
		return (ctl_usage_error(cmd, "--timeout needs --wait"));
	if (wait && !send)
		return (ctl_usage_error(cmd, "--wait needs --send"));
	json_object_del(args, "wait");
	json_object_del(args, "timeout");
	json_object_del(args, "send");
	json_object_del(args, "csv");
	json_object_del(args, "text");
	if (csv && plain)
		return (ctl_usage_error(cmd, "--csv and --text cannot be used "
		    "together"));
	if (send && (csv || plain))
		return (ctl_usage_error(cmd, "--send cannot be used with "
		    "--%s", csv ? "csv" : "text"));

	name = ctl_escape(argv[0]);
	if (send) {
		xasprintf(&path, "/v1/reports/%s/send", name);
		free(name);
		rc = ctl_call("POST", path, args, &a);
		free(path);
		if (rc == CTL_OK && !ctl.json)
			printf("report %s: queued %s message(s)\n", argv[0],
			    ctl_get(a, "queued", b, sizeof b, "0"));
		if (rc == CTL_OK && wait)
			rc = ctl_wait_sent(json_object_get(a, "ids"), timeout);
		json_decref(a);
		return (rc);
	}

	ctl_put(args, "format", json_string(xlsx != NULL ? "xlsx" : csv ? "csv" :
	    plain ? "text" : "markdown"));
	query = ctl_query(args);
	xasprintf(&path, "/v1/reports/%s%s", name, query);
	free(name);
	free(query);
	/* The CSV goes to stdout as it comes, byte for byte, even with
	 * --json; an error answer is collected whole. */
	memset(&st, 0, sizeof st);
	st.fn = ctl_export_feed;
	if (csv)
		ctl.stream = &st;
	rc = ctl_send("GET", path, NULL, 0, NULL, &ans);
	ctl.stream = NULL;
	free(path);
	if (rc != 0) {
		free(xlsx);
		return (rc);
	}
	if (xlsx != NULL && ans.status >= 200 && ans.status < 300) {
		rc = ctl_report_xlsx(xlsx, ans.body, ans.len);
		free(xlsx);
		ctl_answer_clear(&ans);
		return (rc);
	}
	free(xlsx);
	if (csv && st.pass) {
		ctl_answer_clear(&ans);
		if (fflush(stdout) != 0) {
			fprintf(stderr, "%s: report: %s\n", CTL_NAME,
			    strerror(errno));
			return (CTL_EDAEMON);
		}
		return (CTL_OK);
	}
	rc = ctl_judge(&ans, &a);
	ctl_answer_clear(&ans);
	if (rc != CTL_OK || ctl.json) {
		json_decref(a);
		return (rc);
	}
	title = json_string_value(json_object_get(a, "title"));
	text = json_string_value(json_object_get(a, "text"));
	if (text == NULL)
		text = "";
	/* Give the title unless the text already starts with it. */
	nl = strchr(text, '\n');
	if (title != NULL && *title != '\0' && (nl == NULL ?
	    strstr(text, title) == NULL : memmem(text, nl - text, title,
	    strlen(title)) == NULL))
		printf("%s\n\n", title);
	fputs(text, stdout);
	if (*text != '\0' && text[strlen(text) - 1] != '\n')
		putchar('\n');
	json_decref(a);
	return (CTL_OK);
}

/* Read a whole file, or standard input for "-", but no more than max + 1
 * bytes (*len > max: too large); -1 with errno set. */
static int
ctl_read_file(const char *file, size_t max, char **buf, size_t *len)
{
	FILE	*f;
	size_t	 size = 65536, n;
	int	 use_stdin = strcmp(file, "-") == 0, failed, saved;

	if (use_stdin)
		f = stdin;
	else if ((f = fopen(file, "rb")) == NULL)
		return (-1);
	*buf = xmalloc(size);
	*len = 0;
	while (*len <= max && (n = fread(*buf + *len, 1, size - *len, f)) > 0) {
		*len += n;
		if (*len == size) {
			size *= 2;
			*buf = xreallocarray(*buf, size, 1);
		}
	}
	failed = ferror(f);
	saved = errno;
	if (!use_stdin)
		fclose(f);
	if (failed) {
		free(*buf);
		*buf = NULL;
		errno = saved;
		return (-1);
	}
	return (0);
}

/* import FILE: send a CSV file as is; the daemon decodes and checks it. */
static int
ctl_cmd_import(CTL_UNUSED const struct ctl_command *cmd, json_t *args,
    CTL_UNUSED int argc, char **argv)
{
	struct ctl_answer	 ans;
	json_t			*a, *projects, *items;
	const char		*enc, *base;
	char			*body, *path, *e, *e2, *f, b[4][32];
	size_t			 len, i;
	int			 dry, rc;

	if (ctl_read_file(argv[0], API_MAX_IMPORT, &body, &len) != 0) {
		fprintf(stderr, "%s: %s: %s\n", CTL_NAME, argv[0],
		    strerror(errno));
		return (CTL_EUSAGE);
	}
	if (len > API_MAX_IMPORT) {
		fprintf(stderr, "%s: %s: too large: over %d bytes (256 MiB, the"
		    " most the daemon takes in one import; split the file)\n",
		    CTL_NAME, argv[0], API_MAX_IMPORT);
		free(body);
		return (CTL_EUSAGE);
	}
	dry = json_object_get(args, "dry_run") != NULL;
	enc = json_string_value(json_object_get(args, "encoding"));
	e = ctl_escape(enc != NULL ? enc : "auto");
	/* The file's name, without directory, names the import in the log. */
	base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	f = xstrdup(*base != '\0' && strlen(base) <= 255 ? base : "-");
	for (i = 0; f[i] != '\0'; i++)
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f)
			f[i] = '?';
	e2 = ctl_escape(f);
	free(f);
	f = e2;
	xasprintf(&path, "/v1/import?dry_run=%d&encoding=%s&file=%s", dry, e,
	    f);
	free(f);
	free(e);
	rc = ctl_send("POST", path, body, len, "text/csv", &ans);
	free(path);
	free(body);
	if (rc != 0)
		return (rc);
	rc = ctl_judge(&ans, &a);
	ctl_answer_clear(&ans);
	if (rc != CTL_OK || ctl.json) {
		json_decref(a);
		return (rc);
	}
	projects = json_object_get(a, "projects");
	items = json_object_get(a, "items");
	printf("projects: %s created, %s updated\n",
	    ctl_get(projects, "created", b[0], sizeof b[0], "0"),
	    ctl_get(projects, "updated", b[1], sizeof b[1], "0"));
	printf("items:    %s created, %s updated\n",
	    ctl_get(items, "created", b[2], sizeof b[2], "0"),
	    ctl_get(items, "updated", b[3], sizeof b[3], "0"));
	if (json_is_true(json_object_get(a, "dry_run")))
		printf("dry run: nothing was changed\n");
	json_decref(a);
	return (CTL_OK);
}

/*
 * Find the command named by the first one or two words; *words says how
 * many were used.  NULL if none matches.
 */
static const struct ctl_command *
ctl_find(int argc, char **argv, int *words)
{
	const struct ctl_command	*cmd;
	const char			*sp;
	size_t				 i;

	for (i = 0; argc > 0 && i < CTL_NCOMMANDS; i++) {
		cmd = &ctl_commands[i];
		if ((sp = strchr(cmd->name, ' ')) == NULL) {
			if (strcmp(cmd->name, argv[0]) == 0) {
				*words = 1;
				return (cmd);
			}
		} else if (argc >= 2 &&
		    strlen(argv[0]) == (size_t)(sp - cmd->name) &&
		    strncmp(cmd->name, argv[0], sp - cmd->name) == 0 &&
		    strcmp(sp + 1, argv[1]) == 0) {
			*words = 2;
			return (cmd);
		}
	}
	return (NULL);
}

/* Whether word names a group of two-word commands ("item", "project"). */
static int
ctl_is_group(const char *word)
{
	size_t	 i, n = strlen(word);

	for (i = 0; i < CTL_NCOMMANDS; i++) {
		if (strncmp(ctl_commands[i].name, word, n) == 0 &&
		    ctl_commands[i].name[n] == ' ')
			return (1);
	}
	return (0);
}

/* help [COMMAND]: the help of one command, a group or all. */
static int
ctl_cmd_help(CTL_UNUSED const struct ctl_command *cmd, CTL_UNUSED json_t *args,
    int argc, char **argv)
{
	const struct ctl_command	*c;
	int				 words;

	if (argc == 0) {
		ctl_usage(stdout, NULL);
		return (CTL_OK);
	}
	if ((c = ctl_find(argc, argv, &words)) != NULL && words == argc) {
		ctl_help(c, stdout);
		return (CTL_OK);
	}
	if (argc == 1 && ctl_is_group(argv[0])) {
		ctl_usage(stdout, argv[0]);
		return (CTL_OK);
	}
	return (ctl_usage_error(NULL, "no such command: %s%s%s", argv[0],
	    argc > 1 ? " " : "", argc > 1 ? argv[1] : ""));
}

/* No command matched: explain, or list a group's commands for --help. */
static int
ctl_no_command(int argc, char **argv)
{
	if (argc == 0) {
		ctl_usage(stderr, NULL);
		return (CTL_EUSAGE);
	}
	if (ctl_is_group(argv[0])) {
		if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0)) {
			ctl_usage(stdout, argv[0]);
			return (CTL_OK);
		}
		if (argc == 1)
			fprintf(stderr, "%s: %s: missing command\n", CTL_NAME,
			    argv[0]);
		else
			fprintf(stderr, "%s: %s: unknown command \"%s\"\n",
			    CTL_NAME, argv[0], argv[1]);
		ctl_usage(stderr, argv[0]);
		return (CTL_EUSAGE);
	}
	fprintf(stderr, "%s: unknown command \"%s\"\nTry '%s --help'.\n",
	    CTL_NAME, argv[0], CTL_NAME);
	return (CTL_EUSAGE);
}

/* Parse the options before the command; CTL_CONTINUE to go on. */
static int
ctl_global_options(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "url", required_argument, NULL, 'U' },
		{ "token", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int				 ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hs:", longopts, NULL)) != -1) {
		if (ch == 's')
			ch = 'S';
		if (ctl_common_option(ch) == 0)
			continue;
		switch (ch) {
		case 'h':
			ctl_usage(stdout, NULL);
			return (CTL_OK);
		case 'V':
			printf("%s %s\n", CTL_NAME, ESCALATOR_VERSION);
			return (CTL_OK);
		default:
			return (ctl_getopt_error(NULL, ch, argv));
		}
	}
	return (CTL_CONTINUE);
}

/* Parse a command's options, then run it with libcurl set up. */
static int
ctl_run(const struct ctl_command *cmd, int argc, char **argv)
{
	json_t	*args;
	int	 rc;

	if ((rc = ctl_parse(cmd, argc, argv, &args)) != CTL_CONTINUE)
		return (rc);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (ctl.curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "%s: cannot initialise libcurl\n", CTL_NAME);
		json_decref(args);
		return (CTL_EUNREACH);
	}
	rc = cmd->exec(cmd, args, argc - optind, argv + optind);
	json_decref(args);
	curl_easy_cleanup(ctl.curl);
	curl_global_cleanup();
	/* A report redirected to a full disk must not look like success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: standard output: %s\n", CTL_NAME,
		    strerror(errno));
		if (rc == CTL_OK)
			rc = CTL_EDAEMON;
	}
	return (rc);
}

/* Global options, then the command named by the next one or two words. */
int
main(int argc, char **argv)
{
	const struct ctl_command	*cmd;
	int				 rc, words;

	if ((rc = ctl_global_options(argc, argv)) != CTL_CONTINUE)
		return (rc);
	argc -= optind;
	argv += optind;
	if ((cmd = ctl_find(argc, argv, &words)) == NULL)
		return (ctl_no_command(argc, argv));
	return (ctl_run(cmd, argc - words + 1, argv + words - 1));
}
