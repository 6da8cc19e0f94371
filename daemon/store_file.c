/*
 * The files messages post (a report's .xlsx to a WeCom chat): the SQL of
 * the outbox_files table (store.c's migration 10).  A file is written
 * with its message, in the caller's transaction, and kept with it: a
 * retry, also after a restart, uploads the same bytes.  Its media_id
 * (what an upload gave, valid three days) is kept too, so a retry of
 * the file message itself does not upload again.
 *
 * These statements run once per file message (a report a week or so),
 * so they are prepared per call rather than kept in store.c's table of
 * statements every message uses.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "escalator.h"

/* Prepare a statement; NULL on error (store_error() says why). */
static sqlite3_stmt *
store_file_stmt(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return (NULL);
	return (st);
}

/* Keep the file a queued message posts; callers hold a transaction. */
int
store_file_add(struct store *s, int64_t outbox_id, const char *name,
    const void *data, size_t len)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = store_file_stmt(s, "INSERT INTO outbox_files (outbox_id,"
	    " name, data) VALUES (?, ?, ?)")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, outbox_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 3, data, (sqlite3_uint64)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Free what store_file_get() filled. */
void
file_row_clear(struct file_row *f)
{
	free(f->name);
	free(f->data);
	free(f->media_id);
	memset(f, 0, sizeof *f);
}

/* The file of a message: 0 found, 1 none (a message without a file),
 * -1 error. */
int
store_file_get(struct store *s, int64_t outbox_id, struct file_row *f)
{
	sqlite3_stmt	*st;
	const void	*blob;
	const char	*mid;
	int		 rc;

	memset(f, 0, sizeof *f);
	if ((st = store_file_stmt(s, "SELECT name, data, media_id, media_at"
	    " FROM outbox_files WHERE outbox_id = ?")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, outbox_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return (rc == SQLITE_DONE ? 1 : -1);
	}
	f->outbox_id = outbox_id;
	f->name = xstrdup((const char *)sqlite3_column_text(st, 0));
	blob = sqlite3_column_blob(st, 1);
	f->len = (size_t)sqlite3_column_bytes(st, 1);
	f->data = xmalloc(f->len + 1);
	if (f->len > 0)
		memcpy(f->data, blob, f->len);
	mid = (const char *)sqlite3_column_text(st, 2);
	f->media_id = mid != NULL ? xstrdup(mid) : NULL;
	f->media_at = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	return (0);
}

/* Record the media_id an upload gave at time at, or forget it (NULL: the
 * chat no longer knows it). */
int
store_file_media(struct store *s, int64_t outbox_id, const char *media_id,
    int64_t at)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = store_file_stmt(s, "UPDATE outbox_files SET media_id = ?,"
	    " media_at = ? WHERE outbox_id = ?")) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, media_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, media_id != NULL ? at : 0);
	sqlite3_bind_int64(st, 3, outbox_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}
