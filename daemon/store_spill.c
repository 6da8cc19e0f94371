/*
 * The step's spill: where an escalation step keeps the items of its
 * grouped messages between walking the due tracks and rendering the
 * messages, so that a storm of any size is held in bounded memory.
 *
 * A step's grouping spans its whole due set (one message per chat and
 * stage, its items most overdue first), so nothing can be rendered before
 * the walk is over.  Rather than holding every item in memory (about
 * 100 bytes each: 140 MB at a million), the step writes each (message,
 * item) to a private temporary SQLite database -- sqlite3_open("") makes
 * one that lives on disk only once its small cache is full and is
 * deleted when it is closed -- keyed by message, deadline and item, and
 * reads each message's items back in that order, one at a time.
 *
 * The spill is not the store: nothing in it is kept, and it has a
 * connection of its own, which is used by one thread at a time (the step
 * writes it; the step's renderer reads it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "escalator.h"

struct store_spill {
	sqlite3		*db;
	sqlite3_stmt	*add;
	sqlite3_stmt	*get;
	char		 err[256];
};

#define SPILL_COLS "b, due, item, rectify, accepted, pc, pn, cat, reg," \
	" kind, dept, handler, mode, reason, who"

/* Record SQLite's message: -1. */
static int
spill_failed(struct store_spill *sp, const char *what)
{
	snprintf(sp->err, sizeof sp->err, "step spill: %s: %s", what,
	    sp->db ? sqlite3_errmsg(sp->db) : "cannot open");
	return (-1);
}

/* A new, empty spill: 0, or -1 with *err. */
int
store_spill_open(struct store_spill **out, char **err)
{
	struct store_spill	*sp = xcalloc(1, sizeof *sp);

	*out = NULL;
	if (sqlite3_open_v2("", &sp->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(sp->db, "PRAGMA journal_mode = OFF;"
	    " PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
	    " PRAGMA cache_size = -2048; PRAGMA page_size = 16384;"
	    " CREATE TABLE m (b INTEGER NOT NULL, due INTEGER NOT NULL,"
	    " item INTEGER NOT NULL, rectify INTEGER, accepted INTEGER,"
	    " pc TEXT, pn TEXT, cat TEXT, reg TEXT, kind TEXT, dept TEXT,"
	    " handler TEXT, mode TEXT, reason TEXT, who TEXT,"
	    " PRIMARY KEY (b, due, item)) WITHOUT ROWID", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(sp->db, "INSERT INTO m (" SPILL_COLS ") VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
	    " (b, due, item) DO UPDATE SET who = coalesce(who || char(31) ||"
	    " excluded.who, who, excluded.who)", -1,
	    SQLITE_PREPARE_PERSISTENT, &sp->add, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(sp->db, "SELECT " SPILL_COLS " FROM m"
	    " WHERE b = ? ORDER BY due, item", -1, SQLITE_PREPARE_PERSISTENT,
	    &sp->get, NULL) != SQLITE_OK) {
		spill_failed(sp, "open");
		*err = xstrdup(sp->err);
		store_spill_close(sp);
		return (-1);
	}
	*out = sp;
	return (0);
}

/* Close and delete a spill. */
void
store_spill_close(struct store_spill *sp)
{
	if (sp == NULL)
		return;
	sqlite3_finalize(sp->add);
	sqlite3_finalize(sp->get);
	sqlite3_close(sp->db);
	free(sp);
}

/* What went wrong last. */
const char *
store_spill_error(struct store_spill *sp)
{
	return (sp->err);
}

static void
spill_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/*
 * Add an item to message b.  An item added twice to the same message
 * (two recipients in one chat) is one row, its people joined.
 */
int
store_spill_add(struct store_spill *sp, int64_t b, const struct spill_row *r)
{
	sqlite3_stmt	*st = sp->add;
	int		 rc;

	sqlite3_bind_int64(st, 1, b);
	sqlite3_bind_int64(st, 2, r->due);
	sqlite3_bind_int64(st, 3, r->item_id);
	sqlite3_bind_int64(st, 4, r->rectify_due);
	sqlite3_bind_int64(st, 5, r->accepted_at);
	spill_bind_text(st, 6, r->project_code);
	spill_bind_text(st, 7, r->project_name);
	spill_bind_text(st, 8, r->category);
	spill_bind_text(st, 9, r->region);
	spill_bind_text(st, 10, r->kind);
	spill_bind_text(st, 11, r->department);
	spill_bind_text(st, 12, r->handler);
	spill_bind_text(st, 13, r->mode);
	spill_bind_text(st, 14, r->reason);
	spill_bind_text(st, 15, r->who);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE ? 0 : spill_failed(sp, "add"));
}

/* Start reading message b's items, most overdue first, then by item. */
int
store_spill_begin(struct store_spill *sp, int64_t b)
{
	sqlite3_reset(sp->get);
	return (sqlite3_bind_int64(sp->get, 1, b) == SQLITE_OK ? 0 :
	    spill_failed(sp, "read"));
}

static const char *
spill_text(sqlite3_stmt *st, int i)
{
	return ((const char *)sqlite3_column_text(st, i));
}

/* The next item: 1 with *r (its strings valid until the next call), 0 at
 * the end, -1 on error. */
int
store_spill_next(struct store_spill *sp, struct spill_row *r)
{
	sqlite3_stmt	*st = sp->get;
	int		 rc;

	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return (rc == SQLITE_DONE ? 0 : spill_failed(sp, "read"));
	}
	r->due = sqlite3_column_int64(st, 1);
	r->item_id = sqlite3_column_int64(st, 2);
	r->rectify_due = sqlite3_column_int64(st, 3);
	r->accepted_at = sqlite3_column_int64(st, 4);
	r->project_code = spill_text(st, 5);
	r->project_name = spill_text(st, 6);
	r->category = spill_text(st, 7);
	r->region = spill_text(st, 8);
	r->kind = spill_text(st, 9);
	r->department = spill_text(st, 10);
	r->handler = spill_text(st, 11);
	r->mode = spill_text(st, 12);
	r->reason = spill_text(st, 13);
	r->who = spill_text(st, 14);
	return (1);
}

/* Stop reading (the statement lets go of its page). */
void
store_spill_end(struct store_spill *sp)
{
	sqlite3_reset(sp->get);
}
