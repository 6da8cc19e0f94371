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
 * Its rows are written in one transaction that is never committed (a
 * statement of its own each would write its pages to the file each
 * time): pages reach the file only when the cache is full.
 *
 * The spill is not the store: nothing in it is kept, and it has a
 * connection of its own, which is used by one thread at a time (the step
 * writes it; the step's renderer reads it).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "escalator.h"

/*
 * Rows are written by a thread of the spill's own (an insert costs about
 * 2 us, a good part of what the step does per item), in chunks: the step
 * copies a row into the chunk being filled and goes on; a full chunk is
 * handed to the writer.  At most SPILL_CHUNKS chunks exist, so the step
 * waits rather than queueing without bound.  Reading waits until every
 * row is written.
 */
#define SPILL_ROWS	512		/* rows per chunk */
#define SPILL_CHUNKS	3		/* filling, queued, being written */
#define SPILL_NSTR	10		/* strings of a row */

struct spill_chunk {
	size_t			 n;
	int64_t			 b[SPILL_ROWS];
	struct spill_row	 r[SPILL_ROWS];	/* strings: offsets + 1 in buf */
	char			*buf;
	size_t			 len, cap;
	TAILQ_ENTRY(spill_chunk) entry;
};
TAILQ_HEAD(spill_chunks, spill_chunk);

struct store_spill {
	sqlite3			*db;
	sqlite3_stmt		*add;
	sqlite3_stmt		*get;
	char			 err[256];
	/* The writer. */
	pthread_t		 thread;
	int			 threaded;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct spill_chunks	 full;		/* to be written, in order */
	struct spill_chunks	 idle;		/* written, for reuse */
	struct spill_chunk	*fill;		/* being filled */
	size_t			 nchunks;
	int			 busy;		/* the writer holds a chunk */
	int			 failed, stop;
	int			 inited;	/* mu and cv */
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

/* The string fields of a row, in column order. */
static const char **
spill_strs(struct spill_row *r, size_t i)
{
	const char	**v[SPILL_NSTR] = { &r->project_code, &r->project_name,
	    &r->category, &r->region, &r->kind, &r->department, &r->handler,
	    &r->mode, &r->reason, &r->who };

	return (v[i]);
}

static void
spill_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Insert a row of message b: 0, or -1 (sp->err says why). */
static int
spill_insert(struct store_spill *sp, int64_t b, const struct spill_row *r)
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
	return (rc == SQLITE_DONE ? 0 : spill_failed(sp, "add"));
}

/* Write a chunk's rows (their strings made pointers again). */
static int
spill_write_chunk(struct store_spill *sp, struct spill_chunk *c)
{
	struct spill_row	 r;
	const char		**f;
	size_t			 i, k;
	uintptr_t		 off;

	for (i = 0; i < c->n; i++) {
		r = c->r[i];
		for (k = 0; k < SPILL_NSTR; k++) {
			f = spill_strs(&r, k);
			off = (uintptr_t)*f;
			*f = off ? c->buf + off - 1 : NULL;
		}
		if (spill_insert(sp, c->b[i], &r) != 0)
			return (-1);
	}
	return (0);
}

/* The writer: full chunks, in order, until told to stop. */
static void *
spill_main(void *arg)
{
	struct store_spill	*sp = arg;
	struct spill_chunk	*c;
	int			 rc;

	pthread_setname_np(pthread_self(), "step-spill");
	pthread_mutex_lock(&sp->mu);
	for (;;) {
		while (TAILQ_EMPTY(&sp->full) && !sp->stop)
			pthread_cond_wait(&sp->cv, &sp->mu);
		if ((c = TAILQ_FIRST(&sp->full)) == NULL)
			break;
		TAILQ_REMOVE(&sp->full, c, entry);
		sp->busy = 1;
		rc = sp->failed ? -1 : 0;
		pthread_mutex_unlock(&sp->mu);
		if (rc == 0)
			rc = spill_write_chunk(sp, c);
		pthread_mutex_lock(&sp->mu);
		if (rc != 0)
			sp->failed = 1;
		c->n = c->len = 0;
		TAILQ_INSERT_TAIL(&sp->idle, c, entry);
		sp->busy = 0;
		pthread_cond_broadcast(&sp->cv);
	}
	pthread_mutex_unlock(&sp->mu);
	return (NULL);
}

/* A new, empty spill: 0, or -1 with *err. */
int
store_spill_open(struct store_spill **out, char **err)
{
	struct store_spill	*sp = xcalloc(1, sizeof *sp);

	*out = NULL;
	TAILQ_INIT(&sp->full);
	TAILQ_INIT(&sp->idle);
	if (sqlite3_open_v2("", &sp->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(sp->db, "PRAGMA journal_mode = OFF;"
	    " PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
	    " PRAGMA cache_size = -2048;"
	    " CREATE TABLE m (b INTEGER NOT NULL, due INTEGER NOT NULL,"
	    " item INTEGER NOT NULL, rectify INTEGER, accepted INTEGER,"
	    " pc TEXT, pn TEXT, cat TEXT, reg TEXT, kind TEXT, dept TEXT,"
	    " handler TEXT, mode TEXT, reason TEXT, who TEXT,"
	    " PRIMARY KEY (b, due, item)) WITHOUT ROWID; BEGIN", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(sp->db, "INSERT INTO m (" SPILL_COLS ") VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
	    " (b, due, item) DO UPDATE SET who = coalesce(who || ',' ||"
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
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->cv, NULL);
	sp->inited = 1;
	sp->threaded = pthread_create(&sp->thread, NULL, spill_main, sp) == 0;
	*out = sp;
	return (0);
}

/* Hand the chunk being filled to the writer and wait until every row is
 * written: 0, or -1 if one could not be. */
static int
spill_flush(struct store_spill *sp)
{
	int	 failed;

	if (!sp->threaded) {
		failed = sp->fill != NULL && spill_write_chunk(sp, sp->fill) != 0;
		if (sp->fill != NULL)
			sp->fill->n = sp->fill->len = 0;
		return (failed || sp->failed ? -1 : 0);
	}
	pthread_mutex_lock(&sp->mu);
	if (sp->fill != NULL && sp->fill->n > 0) {
		TAILQ_INSERT_TAIL(&sp->full, sp->fill, entry);
		sp->fill = NULL;
		pthread_cond_broadcast(&sp->cv);
	}
	while (!TAILQ_EMPTY(&sp->full) || sp->busy)
		pthread_cond_wait(&sp->cv, &sp->mu);
	failed = sp->failed;
	pthread_mutex_unlock(&sp->mu);
	return (failed ? -1 : 0);
}

/* Close and delete a spill. */
void
store_spill_close(struct store_spill *sp)
{
	struct spill_chunk	*c;

	if (sp == NULL)
		return;
	if (sp->threaded) {
		pthread_mutex_lock(&sp->mu);
		sp->stop = 1;
		pthread_cond_broadcast(&sp->cv);
		pthread_mutex_unlock(&sp->mu);
		pthread_join(sp->thread, NULL);
	}
	if (sp->inited) {
		pthread_mutex_destroy(&sp->mu);
		pthread_cond_destroy(&sp->cv);
	}
	if (sp->fill != NULL)
		TAILQ_INSERT_TAIL(&sp->idle, sp->fill, entry);
	TAILQ_CONCAT(&sp->idle, &sp->full, entry);
	while ((c = TAILQ_FIRST(&sp->idle)) != NULL) {
		TAILQ_REMOVE(&sp->idle, c, entry);
		free(c->buf);
		free(c);
	}
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

/* Copy v into a chunk's strings: its offset + 1, 0 for NULL. */
static uintptr_t
spill_copy(struct spill_chunk *c, const char *v)
{
	size_t	 n, off;

	if (v == NULL)
		return (0);
	n = strlen(v) + 1;
	if (c->len + n > c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16384;
		while (c->len + n > c->cap)
			c->cap *= 2;
		c->buf = xreallocarray(c->buf, c->cap, 1);
	}
	off = c->len;
	memcpy(c->buf + off, v, n);
	c->len += n;
	return ((uintptr_t)off + 1);
}

/* A chunk to fill: an idle one, a new one, or (at the bound) the next
 * one the writer frees. */
static struct spill_chunk *
spill_chunk(struct store_spill *sp)
{
	struct spill_chunk	*c;

	if (sp->fill != NULL)
		return (sp->fill);
	if (sp->threaded)
		pthread_mutex_lock(&sp->mu);
	while ((c = TAILQ_FIRST(&sp->idle)) == NULL &&
	    sp->nchunks >= SPILL_CHUNKS && sp->threaded)
		pthread_cond_wait(&sp->cv, &sp->mu);
	if (c != NULL)
		TAILQ_REMOVE(&sp->idle, c, entry);
	if (sp->threaded)
		pthread_mutex_unlock(&sp->mu);
	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		sp->nchunks++;
	}
	return (sp->fill = c);
}

/*
 * Add an item to message b.  An item added twice to the same message
 * (two recipients in one chat) is one row, its people joined.  The row is
 * copied: the caller's strings may go at once.
 */
int
store_spill_add(struct store_spill *sp, int64_t b, const struct spill_row *r)
{
	struct spill_chunk	*c;
	struct spill_row	*q;
	size_t			 k;
	int			 failed;

	if (sp->threaded) {
		pthread_mutex_lock(&sp->mu);
		failed = sp->failed;
		pthread_mutex_unlock(&sp->mu);
		if (failed)
			return (-1);
	}
	c = spill_chunk(sp);
	c->b[c->n] = b;
	q = &c->r[c->n];
	*q = *r;
	for (k = 0; k < SPILL_NSTR; k++)
		*spill_strs(q, k) = (const char *)spill_copy(c,
		    *spill_strs(q, k));
	if (++c->n < SPILL_ROWS)
		return (0);
	if (!sp->threaded) {
		failed = spill_write_chunk(sp, c);
		c->n = c->len = 0;
		return (failed ? -1 : 0);
	}
	pthread_mutex_lock(&sp->mu);
	TAILQ_INSERT_TAIL(&sp->full, c, entry);
	sp->fill = NULL;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	return (0);
}

/* Start reading message b's items, most overdue first, then by item
 * (once every row added is written). */
int
store_spill_begin(struct store_spill *sp, int64_t b)
{
	if (spill_flush(sp) != 0)
		return (-1);
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
