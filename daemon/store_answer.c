/*
 * The store of answers from signed action links: 签收, 反馈进展, 已办结
 * and 申请中止计时 with their decisions, each with its actor, and the
 * uses of one-shot links.  SQL only, on the store's connection, in the
 * caller's transaction.  These are rare, human-paced writes; the reads
 * that run per step or per report are one statement each.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "escalator.h"

/* Prepare a statement on the store's connection; NULL on failure. */
static sqlite3_stmt *
store_answer_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("store: %s", sqlite3_errmsg(store_db(s)));
		return (NULL);
	}
	return (st);
}

/* Bind a text or NULL. */
static void
store_answer_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Copy a text column, NULL stays NULL. */
static char *
store_answer_col(sqlite3_stmt *st, int i)
{
	const unsigned char	*t = sqlite3_column_text(st, i);

	return (t ? xstrdup((const char *)t) : NULL);
}

/* Step a statement expected to produce no rows, and finalize it. */
static int
store_answer_done(struct store *s, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		log_warnx("store: %s", sqlite3_errmsg(store_db(s)));
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);
	return (0);
}

void
answer_row_clear(struct answer_row *a)
{
	free(a->kind);
	free(a->stage);
	free(a->note);
	free(a->actor);
	free(a->role);
	free(a->addr);
	free(a->agent);
	free(a->status);
	free(a->decided_by);
	memset(a, 0, sizeof *a);
}

/* Claim one use of a link for an action: 0 claimed, 1 used before. */
int
store_link_use(struct store *s, const char *token, const char *action,
    int64_t at)
{
	sqlite3_stmt	*st;

	if ((st = store_answer_prepare(s, "INSERT OR IGNORE INTO link_uses"
	    " (token, action, at) VALUES (?, ?, ?)")) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, at);
	if (store_answer_done(s, st) != 0)
		return (-1);
	return (sqlite3_changes(store_db(s)) == 0 ? 1 : 0);
}

/* Whether a link was used for an action: 1 yes, 0 no, -1 error. */
int
store_link_used(struct store *s, const char *token, const char *action)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = store_answer_prepare(s, "SELECT 1 FROM link_uses WHERE"
	    " token = ? AND action = ?")) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	return (rc == SQLITE_ROW);
}

/* Append an answer; its id is set. */
int
store_answer_add(struct store *s, struct answer_row *a)
{
	sqlite3_stmt	*st;

	if ((st = store_answer_prepare(s, "INSERT INTO answers (item_id,"
	    " kind, stage, note, day, actor, role, addr, agent, at, status)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, a->item_id);
	store_answer_text(st, 2, a->kind);
	store_answer_text(st, 3, a->stage);
	store_answer_text(st, 4, a->note);
	sqlite3_bind_int(st, 5, a->day);
	store_answer_text(st, 6, a->actor);
	store_answer_text(st, 7, a->role);
	store_answer_text(st, 8, a->addr);
	store_answer_text(st, 9, a->agent);
	sqlite3_bind_int64(st, 10, a->at);
	store_answer_text(st, 11, a->status);
	if (store_answer_done(s, st) != 0)
		return (-1);
	a->id = sqlite3_last_insert_rowid(store_db(s));
	return (0);
}

#define ANSWER_COLS "id, item_id, kind, stage, note, day, actor, role, addr," \
	" agent, at, status, decided_at, decided_by FROM answers"

/* Read a row of ANSWER_COLS. */
static void
store_answer_read(sqlite3_stmt *st, struct answer_row *a)
{
	a->id = sqlite3_column_int64(st, 0);
	a->item_id = sqlite3_column_int64(st, 1);
	a->kind = store_answer_col(st, 2);
	a->stage = store_answer_col(st, 3);
	a->note = store_answer_col(st, 4);
	a->day = sqlite3_column_int(st, 5);
	a->actor = store_answer_col(st, 6);
	a->role = store_answer_col(st, 7);
	a->addr = store_answer_col(st, 8);
	a->agent = store_answer_col(st, 9);
	a->at = sqlite3_column_int64(st, 10);
	a->status = store_answer_col(st, 11);
	a->decided_at = sqlite3_column_int64(st, 12);
	a->decided_by = store_answer_col(st, 13);
}

/* One answer by id: 0 found, 1 none, -1 error. */
int
store_answer_get(struct store *s, int64_t id, struct answer_row *a)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(a, 0, sizeof *a);
	if ((st = store_answer_prepare(s, "SELECT " ANSWER_COLS
	    " WHERE id = ?")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		store_answer_read(st, a);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	return (rc == SQLITE_ROW ? 0 : 1);
}

/* Decide a pending stop request: 0 done, 1 it was not pending. */
int
store_answer_decide(struct store *s, int64_t id, const char *status,
    int64_t at, const char *by)
{
	sqlite3_stmt	*st;

	if ((st = store_answer_prepare(s, "UPDATE answers SET status = ?,"
	    " decided_at = ?, decided_by = ? WHERE id = ? AND status ="
	    " 'pending'")) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, at);
	store_answer_text(st, 3, by);
	sqlite3_bind_int64(st, 4, id);
	if (store_answer_done(s, st) != 0)
		return (-1);
	return (sqlite3_changes(store_db(s)) == 0 ? 1 : 0);
}

/* Whether a stage of an item was acknowledged on a local day: 1 yes. */
int
store_answer_acked(struct store *s, int64_t item, const char *stage,
    int32_t day)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = store_answer_prepare(s, "SELECT 1 FROM answers WHERE"
	    " item_id = ? AND kind = 'ack' AND stage = ? AND day = ?"
	    " LIMIT 1")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, item);
	store_answer_text(st, 2, stage);
	sqlite3_bind_int(st, 3, day);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	return (rc == SQLITE_ROW);
}

/* An item's answers, newest first, at most limit. */
int
store_answer_each(struct store *s, int64_t item, int limit,
    store_answer_cb cb, void *arg)
{
	sqlite3_stmt		*st;
	struct answer_row	 a;
	int			 rc, stop = 0;

	if ((st = store_answer_prepare(s, "SELECT " ANSWER_COLS
	    " WHERE item_id = ? ORDER BY at DESC, id DESC LIMIT ?")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, item);
	sqlite3_bind_int(st, 2, limit);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_answer_read(st, &a);
		stop = cb(arg, &a);
		answer_row_clear(&a);
	}
	sqlite3_finalize(st);
	return (stop || rc == SQLITE_DONE ? 0 : -1);
}

/* Answers of every item at or after since, oldest first (the board's
 * recent feedback, the digests). */
int
store_answer_since(struct store *s, int64_t since, store_answer_cb cb,
    void *arg)
{
	sqlite3_stmt		*st;
	struct answer_row	 a;
	int			 rc, stop = 0;

	if ((st = store_answer_prepare(s, "SELECT " ANSWER_COLS
	    " WHERE at >= ? ORDER BY at, id")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, since);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_answer_read(st, &a);
		stop = cb(arg, &a);
		answer_row_clear(&a);
	}
	sqlite3_finalize(st);
	return (stop || rc == SQLITE_DONE ? 0 : -1);
}

/* Compare sums by item for bsearch and qsort. */
static int
store_answer_sum_cmp(const void *a, const void *b)
{
	int64_t	 x = ((const struct answer_sum *)a)->item;
	int64_t	 y = ((const struct answer_sum *)b)->item;

	return (x < y ? -1 : x > y);
}

/* The latest acknowledgement and feedback of every item that has any,
 * as of until (answers given later are left out; 0: no bound, now), in
 * one statement, sorted by item (malloc'd; answer_sums_free()). */
int
store_answer_sums(struct store *s, int64_t until, struct answer_sum **out,
    size_t *n)
{
	sqlite3_stmt		*st;
	struct answer_sum	*v = NULL, *x;
	size_t			 cap = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((st = store_answer_prepare(s, "SELECT item_id,"
	    " (SELECT at FROM answers b WHERE b.item_id = a.item_id AND"
	    "  b.kind = 'ack' AND b.at <= ?1 ORDER BY at DESC, id DESC"
	    "  LIMIT 1),"
	    " (SELECT stage FROM answers b WHERE b.item_id = a.item_id AND"
	    "  b.kind = 'ack' AND b.at <= ?1 ORDER BY at DESC, id DESC"
	    "  LIMIT 1),"
	    " (SELECT at FROM answers b WHERE b.item_id = a.item_id AND"
	    "  b.kind = 'progress' AND b.at <= ?1 ORDER BY at DESC, id DESC"
	    "  LIMIT 1),"
	    " (SELECT note FROM answers b WHERE b.item_id = a.item_id AND"
	    "  b.kind = 'progress' AND b.at <= ?1 ORDER BY at DESC, id DESC"
	    "  LIMIT 1)"
	    " FROM (SELECT DISTINCT item_id FROM answers WHERE at <= ?1) a"
	    " ORDER BY item_id")) == NULL)
		return (-1);
	if (sqlite3_bind_int64(st, 1, until > 0 ? until : INT64_MAX) !=
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof *v);
		}
		x = &v[(*n)++];
		x->item = sqlite3_column_int64(st, 0);
		x->ack_at = sqlite3_column_int64(st, 1);
		x->ack_stage = store_answer_col(st, 2);
		x->note_at = sqlite3_column_int64(st, 3);
		x->note = store_answer_col(st, 4);
	}
	sqlite3_finalize(st);
	*out = v;
	if (rc != SQLITE_DONE) {
		answer_sums_free(v, *n);
		*out = NULL;
		*n = 0;
		return (-1);
	}
	return (0);
}

/* An item's summary in a sorted array, or NULL. */
const struct answer_sum *
answer_sum_find(const struct answer_sum *v, size_t n, int64_t item)
{
	struct answer_sum	 key;

	if (n == 0)
		return (NULL);
	key.item = item;
	return (bsearch(&key, v, n, sizeof *v, store_answer_sum_cmp));
}

void
answer_sums_free(struct answer_sum *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].ack_stage);
		free(v[i].note);
	}
	free(v);
}
