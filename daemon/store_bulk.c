/*
 * The bulk write path of the CSV importer (issue 7 (a)).  Writing a new
 * item through item_add() reads what it needs row by row -- the project,
 * the item, every track, the prerequisites -- several statements per
 * item.  item_plan() gives everything a new item ends up with, so the
 * importer writes those finished rows here: the items, their tracks and
 * their log entries are queued and inserted BULK_ROWS at a time by one
 * statement per table, with the ids SQLite would have given
 * them one by one (one past the largest), so that nothing differs from
 * the rows item_add() writes.  The statements are prepared when a bulk
 * write starts and finalized when it ends, inside the caller's
 * transaction; the SQL stays in this file, next to the schema of store.c
 * it writes.
 *
 * The new items and tracks are counted (status counts, the tracks' open
 * flags) BULK_ROWS at a time, by store_count_new_items() and
 * store_count_new_tracks() over the ids just written, as store.c counts
 * one row it inserts (schema 18: no insert triggers, which would also
 * make SQLite copy every multi-row insert into a temporary table).
 *
 * Two settings keep SQLite from writing a statement journal (a temporary
 * file, a write per page changed) for every insert: the inserts say OR
 * IGNORE, so that no row can abort them half-way (none conflicts, and
 * bulk_rows() checks that every row went in), and foreign keys are
 * checked at commit (defer_foreign_keys) while the bulk write is open.
 *
 * The page cache is left as it is: a million-item import spills most of
 * its pages to the WAL before it commits whatever the cache holds.  With
 * 32 or 64 MB of cache it measured no faster than with SQLite's default
 * 2 MB, with 400 MB (every page it writes) some 5 % faster at twice the
 * importer's memory (tests/bench, benchmark (a)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "escalator.h"

/* Rows per multi-row insert. */
#define BULK_ROWS		128

enum {
	B_PROJECT_FIND, B_PROJECT_INSERT, B_ITEM_FIND, B_ITEM_PENDING, B_PREREQ_ADD,
	B_MAX_ITEM, B_MAX_TRACK, B_MAX_LOG,
	B_ITEM_1, B_ITEM_N, B_TRACK_1, B_TRACK_N, B_LOG_1, B_LOG_N,
	B__COUNT
};

#define ITEM_INSERT "INSERT OR IGNORE INTO items (id, project_id, kind," \
	" department, handler, mode, status, accepted_at, lim, due_at," \
	" explicit_due, supplement_due, commitment_due, suspended_at," \
	" suspend_reason, stopped_workdays, stopped_seconds, blocked_reason," \
	" blocked_at, raised_at, last_progress_at, done_at, created_at," \
	" supplement_done_at, commitment_verified_at, commitment_result)" \
	" VALUES "
#define ITEM_VALUES "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?," \
	" ?, ?, ?, ?, ?, ?, ?, ?)"
#define ITEM_PARAMS 26
#define TRACK_INSERT "INSERT OR IGNORE INTO tracks (id, item_id, kind," \
	" policy, due_at, stage, stage_name, rep, next_at, item_open) VALUES "
/* item_open as store.c's S_TRACK_INSERT sets it (the item again, as the
 * last parameter: an item written later sets it when it is counted). */
#define TRACK_VALUES "(?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce((SELECT status" \
	" IN (" STORE_COUNTS_OPEN ") FROM items WHERE id = ?), 0))"
#define TRACK_PARAMS 10
#define LOG_INSERT "INSERT OR IGNORE INTO log (id, at, item_id, project," \
	" stage, channel, outcome, detail, actor) VALUES "
#define LOG_VALUES "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define LOG_PARAMS 9

static const char *bulk_sql[B__COUNT] = {
	[B_PROJECT_FIND] = "SELECT id FROM projects WHERE code = ?",
	[B_PROJECT_INSERT] = "INSERT INTO projects (code, name, category,"
	    " region, content, planned_start) VALUES (?, ?, ?, ?, ?, ?)",
	[B_ITEM_FIND] = "SELECT id FROM items WHERE project_id = ? AND"
	    " kind = ? AND department = ?",
	[B_ITEM_PENDING] = "SELECT status <> " SQLQ(STATUS_DONE)
	    " FROM items WHERE id = ?",
	[B_PREREQ_ADD] = "INSERT OR IGNORE INTO prereqs (item_id, needs_id)"
	    " VALUES (?, ?)",
	/* The ids SQLite would give the next rows: one past the largest. */
	[B_MAX_ITEM] = "SELECT coalesce(max(id), 0) FROM items",
	[B_MAX_TRACK] = "SELECT coalesce(max(id), 0) FROM tracks",
	[B_MAX_LOG] = "SELECT coalesce(max(id), 0) FROM log",
	[B_ITEM_1] = ITEM_INSERT ITEM_VALUES,
	[B_TRACK_1] = TRACK_INSERT TRACK_VALUES,
	[B_LOG_1] = LOG_INSERT LOG_VALUES,
	/* B_ITEM_N, B_TRACK_N, B_LOG_N: BULK_ROWS rows, made at open. */
};

/* A log row as queued. */
struct bulk_log {
	int64_t		 id;
	int64_t		 at;
	int64_t		 item;
	const char	*project;
	const char	*stage;
	const char	*channel;
	const char	*outcome;
	const char	*detail;
	const char	*actor;		/* the transaction's (store_actor) */
};

struct store_bulk {
	struct store	*s;
	sqlite3		*db;
	sqlite3_stmt	*stmt[B__COUNT];
	int		 defer_fk;	/* defer_foreign_keys before */
	int		 synced;	/* next_* hold: nobody wrote since */
	int64_t		 next_item;	/* ids of the next queued rows */
	int64_t		 next_track;
	int64_t		 next_log;
	struct item_row	 items[BULK_ROWS];	/* queued rows */
	size_t		 nitems;
	struct track_row tracks[BULK_ROWS];
	size_t		 ntracks;
	struct bulk_log	 logs[BULK_ROWS];
	size_t		 nlogs;
};

/* Run a PRAGMA returning one integer; -1 on error. */
static int
bulk_pragma_int(sqlite3 *db, const char *sql, int *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return (-1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && v != NULL)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1);
}

/* An insert of BULK_ROWS rows (malloc'd). */
static char *
bulk_multi(const char *insert, const char *values)
{
	char	*sql, *t;
	int	 i;

	sql = xstrdup(insert);
	for (i = 0; i < BULK_ROWS; i++) {
		xasprintf(&t, "%s%s%s", sql, i > 0 ? ", " : "", values);
		free(sql);
		sql = t;
	}
	return (sql);
}

/* One integer of a one-row statement; -1 on error. */
static int
bulk_int64(struct store_bulk *b, int which, int64_t *v)
{
	sqlite3_stmt	*st = b->stmt[which];
	int		 rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		log_warnx("store: %s", sqlite3_errmsg(b->db));
		return (-1);
	}
	return (0);
}

/* Take the ids of the next rows from the tables (after other writes). */
static int
bulk_sync(struct store_bulk *b)
{
	if (bulk_int64(b, B_MAX_ITEM, &b->next_item) != 0 ||
	    bulk_int64(b, B_MAX_TRACK, &b->next_track) != 0 ||
	    bulk_int64(b, B_MAX_LOG, &b->next_log) != 0)
		return (-1);
	b->next_item++;
	b->next_track++;
	b->next_log++;
	b->synced = 1;
	return (0);
}

/*
 * Start a bulk write in the caller's transaction: prepare the statements.
 * NULL with the SQLite message in store_error() on failure.
 */
struct store_bulk *
store_bulk_open(struct store *s)
{
	struct store_bulk	*b;
	char			*multi[B__COUNT] = { NULL };
	int			 i, rc;

	b = xcalloc(1, sizeof *b);
	b->s = s;
	b->db = store_db(s);
	if (bulk_pragma_int(b->db, "PRAGMA defer_foreign_keys",
	    &b->defer_fk) != 0)
		b->defer_fk = 0;
	/* Before preparing: it decides whether they need a journal. */
	(void)sqlite3_exec(b->db, "PRAGMA defer_foreign_keys = ON", NULL, NULL,
	    NULL);
	multi[B_ITEM_N] = bulk_multi(ITEM_INSERT, ITEM_VALUES);
	multi[B_TRACK_N] = bulk_multi(TRACK_INSERT, TRACK_VALUES);
	multi[B_LOG_N] = bulk_multi(LOG_INSERT, LOG_VALUES);
	for (i = 0; i < B__COUNT; i++) {
		rc = sqlite3_prepare_v3(b->db, multi[i] != NULL ? multi[i] :
		    bulk_sql[i], -1, 0, &b->stmt[i], NULL);
		free(multi[i]);
		multi[i] = NULL;
		if (rc != SQLITE_OK) {
			log_warnx("store: preparing bulk statement %d: %s", i,
			    sqlite3_errmsg(b->db));
			for (i++; i < B__COUNT; i++)
				free(multi[i]);
			store_bulk_close(b);
			return (NULL);
		}
	}
	return (b);
}

/* End a bulk write: finalize the statements, foreign keys checked as
 * before.  Rows still queued are dropped: flush first. */
void
store_bulk_close(struct store_bulk *b)
{
	int	 i;

	if (b == NULL)
		return;
	for (i = 0; i < B__COUNT; i++)
		sqlite3_finalize(b->stmt[i]);
	if (!b->defer_fk)
		(void)sqlite3_exec(b->db, "PRAGMA defer_foreign_keys = OFF",
		    NULL, NULL, NULL);
	free(b);
}

/* Bind a string (kept by the caller until the step), NULL as SQL NULL. */
static void
bulk_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Run a statement expected to produce no rows. */
static int
bulk_done(struct store_bulk *b, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("store: %s", sqlite3_errmsg(b->db));
		return (-1);
	}
	return (0);
}

/* Run a bound one-value query: 0 with *v, 1 no row, -1 error. */
static int
bulk_int(struct store_bulk *b, sqlite3_stmt *st, int64_t *v)
{
	int	 rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("store: %s", sqlite3_errmsg(b->db));
		return (-1);
	}
	return (rc == SQLITE_ROW ? 0 : 1);
}

/* A project by its code: 0 found (*id), 1 none, -1 error. */
int
store_bulk_project_find(struct store_bulk *b, const char *code, int64_t *id)
{
	sqlite3_stmt	*st = b->stmt[B_PROJECT_FIND];

	bulk_text(st, 1, code);
	return (bulk_int(b, st, id));
}

/* Insert a project that is not stored yet; sets p->id. */
int
store_bulk_project_insert(struct store_bulk *b, struct project_row *p)
{
	sqlite3_stmt	*st = b->stmt[B_PROJECT_INSERT];

	bulk_text(st, 1, p->code);
	bulk_text(st, 2, p->name);
	bulk_text(st, 3, p->category);
	bulk_text(st, 4, p->region);
	bulk_text(st, 5, p->content);
	bulk_text(st, 6, p->planned_start);
	if (bulk_done(b, st) != 0)
		return (-1);
	p->id = sqlite3_last_insert_rowid(b->db);
	return (0);
}

/* An item by its natural key: 0 found (*id), 1 none, -1 error. */
int
store_bulk_item_find(struct store_bulk *b, int64_t project, const char *kind,
    const char *department, int64_t *id)
{
	sqlite3_stmt	*st = b->stmt[B_ITEM_FIND];

	sqlite3_bind_int64(st, 1, project);
	bulk_text(st, 2, kind);
	bulk_text(st, 3, department);
	return (bulk_int(b, st, id));
}

/* Whether a prerequisite holds an item up, as store_prereq_pending()
 * counts it: 1 when the item exists and is not done, else 0; -1 error. */
int
store_bulk_item_pending(struct store_bulk *b, int64_t id)
{
	sqlite3_stmt	*st = b->stmt[B_ITEM_PENDING];
	int64_t		 pending = 0;

	sqlite3_bind_int64(st, 1, id);
	if (bulk_int(b, st, &pending) < 0)
		return (-1);
	return (pending != 0);
}

/* Record that item needs another item done first. */
int
store_bulk_prereq_add(struct store_bulk *b, int64_t item, int64_t needs)
{
	sqlite3_stmt	*st = b->stmt[B_PREREQ_ADD];

	sqlite3_bind_int64(st, 1, item);
	sqlite3_bind_int64(st, 2, needs);
	return (bulk_done(b, st));
}

/*
 * Run an insert of n rows and make sure all n went in.  The inserts say
 * OR IGNORE only so that SQLite needs no statement journal for them: a
 * row can never conflict (its id is new, its item new), and one that
 * did would make this an error, not a silent loss.
 */
static int
bulk_rows(struct store_bulk *b, sqlite3_stmt *st, size_t n)
{
	if (bulk_done(b, st) != 0)
		return (-1);
	if ((size_t)sqlite3_changes(b->db) != n) {
		log_warnx("store: bulk insert: %d of %zu rows written",
		    sqlite3_changes(b->db), n);
		return (-1);
	}
	return (0);
}

/* Bind an item row from parameter base + 1. */
static void
bulk_bind_item(sqlite3_stmt *st, int base, const struct item_row *r)
{
	sqlite3_bind_int64(st, base + 1, r->id);
	sqlite3_bind_int64(st, base + 2, r->project_id);
	bulk_text(st, base + 3, r->kind);
	bulk_text(st, base + 4, r->department);
	bulk_text(st, base + 5, r->handler);
	bulk_text(st, base + 6, r->mode ? r->mode : MODE_NORMAL);
	bulk_text(st, base + 7, r->status);
	sqlite3_bind_int64(st, base + 8, r->accepted_at);
	bulk_text(st, base + 9, r->limit);
	sqlite3_bind_int64(st, base + 10, r->due_at);
	sqlite3_bind_int(st, base + 11, r->explicit_due);
	sqlite3_bind_int64(st, base + 12, r->supplement_due);
	sqlite3_bind_int64(st, base + 13, r->commitment_due);
	sqlite3_bind_int64(st, base + 14, r->suspended_at);
	bulk_text(st, base + 15, r->suspend_reason);
	sqlite3_bind_int(st, base + 16, r->stopped_workdays);
	sqlite3_bind_int64(st, base + 17, r->stopped_seconds);
	bulk_text(st, base + 18, r->blocked_reason);
	sqlite3_bind_int64(st, base + 19, r->blocked_at);
	sqlite3_bind_int64(st, base + 20, r->raised_at);
	sqlite3_bind_int64(st, base + 21, r->last_progress_at);
	sqlite3_bind_int64(st, base + 22, r->done_at);
	sqlite3_bind_int64(st, base + 23, r->created_at);
	sqlite3_bind_int64(st, base + 24, r->supplement_done_at);
	sqlite3_bind_int64(st, base + 25, r->commitment_verified_at);
	bulk_text(st, base + 26, r->commitment_result);
}

/* Bind a track row from parameter base + 1. */
static void
bulk_bind_track(sqlite3_stmt *st, int base, const struct track_row *t)
{
	sqlite3_bind_int64(st, base + 1, t->id);
	sqlite3_bind_int64(st, base + 2, t->item_id);
	bulk_text(st, base + 3, t->kind);
	bulk_text(st, base + 4, t->policy);
	sqlite3_bind_int64(st, base + 5, t->due_at);
	sqlite3_bind_int(st, base + 6, t->stage);
	bulk_text(st, base + 7, t->stage_name);
	sqlite3_bind_int(st, base + 8, t->rep);
	sqlite3_bind_int64(st, base + 9, t->next_at);
	sqlite3_bind_int64(st, base + 10, t->item_id);
}

/* Bind a log row from parameter base + 1. */
static void
bulk_bind_log(sqlite3_stmt *st, int base, const struct bulk_log *l)
{
	sqlite3_bind_int64(st, base + 1, l->id);
	sqlite3_bind_int64(st, base + 2, l->at);
	if (l->item > 0)
		sqlite3_bind_int64(st, base + 3, l->item);
	else
		sqlite3_bind_null(st, base + 3);
	bulk_text(st, base + 4, l->project);
	bulk_text(st, base + 5, l->stage);
	bulk_text(st, base + 6, l->channel);
	bulk_text(st, base + 7, l->outcome);
	bulk_text(st, base + 8, l->detail);
	bulk_text(st, base + 9, l->actor);
}

/* Bind one queued row of a table at parameter base. */
typedef void (*bulk_bind_fn)(sqlite3_stmt *, int base, const void *row);

static void
bulk_bind_item_any(sqlite3_stmt *st, int base, const void *r)
{
	bulk_bind_item(st, base, r);
}

static void
bulk_bind_track_any(sqlite3_stmt *st, int base, const void *t)
{
	bulk_bind_track(st, base, t);
}

static void
bulk_bind_log_any(sqlite3_stmt *st, int base, const void *l)
{
	bulk_bind_log(st, base, l);
}

/* Count new rows of ids lo to hi (schema 18), per table. */
typedef int (*bulk_count_fn)(struct store *, int64_t lo, int64_t hi);

/*
 * Write the *n queued rows of one table, of ids first to first + *n - 1:
 * a full queue with the statement of BULK_ROWS rows, a partial one row
 * by row; then counted (items, tracks) with the counts of their ranges.
 */
static int
bulk_write(struct store_bulk *b, const void *rows, size_t size, size_t *n,
    int64_t first, sqlite3_stmt *many, sqlite3_stmt *one, int params,
    bulk_bind_fn bind, bulk_count_fn count)
{
	const char	*row = rows;
	size_t		 i;
	int		 rc = 0;

	if (*n == 0)
		return (0);
	if (*n == BULK_ROWS) {
		for (i = 0; i < BULK_ROWS; i++)
			bind(many, (int)i * params, row + i * size);
		rc = bulk_rows(b, many, BULK_ROWS);
	} else {
		for (i = 0; rc == 0 && i < *n; i++) {
			bind(one, 0, row + i * size);
			rc = bulk_rows(b, one, 1);
		}
	}
	if (rc == 0 && count != NULL)
		rc = count(b->s, first, first + (int64_t)*n - 1);
	if (rc != 0)
		return (-1);
	*n = 0;
	return (0);
}

/* Write the queued items, tracks and log rows. */
static int
bulk_write_items(struct store_bulk *b)
{
	return (bulk_write(b, b->items, sizeof b->items[0], &b->nitems,
	    b->items[0].id, b->stmt[B_ITEM_N], b->stmt[B_ITEM_1], ITEM_PARAMS,
	    bulk_bind_item_any, store_count_new_items));
}

static int
bulk_write_tracks(struct store_bulk *b)
{
	return (bulk_write(b, b->tracks, sizeof b->tracks[0], &b->ntracks,
	    b->tracks[0].id, b->stmt[B_TRACK_N], b->stmt[B_TRACK_1],
	    TRACK_PARAMS, bulk_bind_track_any, store_count_new_tracks));
}

static int
bulk_write_logs(struct store_bulk *b)
{
	return (bulk_write(b, b->logs, sizeof b->logs[0], &b->nlogs,
	    b->logs[0].id, b->stmt[B_LOG_N], b->stmt[B_LOG_1], LOG_PARAMS,
	    bulk_bind_log_any, NULL));
}

/*
 * Queue a finished new item row (every column as given); r->id gets the
 * id SQLite would give it.  Its strings must stay valid until the rows
 * are written (a full queue, or store_bulk_flush()).
 */
int
store_bulk_item_insert(struct store_bulk *b, struct item_row *r)
{
	if (!b->synced && bulk_sync(b) != 0)
		return (-1);
	r->id = b->next_item++;
	b->items[b->nitems++] = *r;
	return (b->nitems == BULK_ROWS ? bulk_write_items(b) : 0);
}

/* Queue a new track the same way; sets t->id. */
int
store_bulk_track_insert(struct store_bulk *b, struct track_row *t)
{
	if (!b->synced && bulk_sync(b) != 0)
		return (-1);
	t->id = b->next_track++;
	b->tracks[b->ntracks++] = *t;
	return (b->ntracks == BULK_ROWS ? bulk_write_tracks(b) : 0);
}

/* Queue a log entry (as store_log() writes it) the same way. */
int
store_bulk_log(struct store_bulk *b, int64_t at, int64_t item,
    const char *project, const char *stage, const char *channel,
    const char *outcome, const char *detail)
{
	struct bulk_log	*l;

	if (!b->synced && bulk_sync(b) != 0)
		return (-1);
	l = &b->logs[b->nlogs++];
	l->id = b->next_log++;
	l->at = at;
	l->item = item;
	l->project = project;
	l->stage = stage;
	l->channel = channel;
	l->outcome = outcome;
	l->detail = detail;
	l->actor = store_actor(b->s);
	return (b->nlogs == BULK_ROWS ? bulk_write_logs(b) : 0);
}

/*
 * Write every queued row: before anything else reads or writes items,
 * tracks or the log (item_add()).  The ids of rows queued afterwards are
 * taken from the tables again.
 */
int
store_bulk_flush(struct store_bulk *b)
{
	if (bulk_write_items(b) != 0 || bulk_write_tracks(b) != 0 ||
	    bulk_write_logs(b) != 0)
		return (-1);
	b->synced = 0;
	return (0);
}
