/*
 * The store: one SQLite database in WAL mode holding projects, items,
 * their deadline tracks, the outbox of messages, the action log and the
 * idempotency records.  Every SQL statement of the daemon is in the table
 * below, prepared once when the store is opened and always bound.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "escalator.h"

#define STORE_SCHEMA_VERSION 19

/*
 * The database file's mark (PRAGMA application_id, at offset 68 of its
 * header): "AEsc".  Set with the first migration; a file with another
 * mark, or none and tables that are not ours, is refused unchanged.
 */
#define STORE_APPLICATION_ID	0x41457363

#define COUNTS_OPEN STORE_COUNTS_OPEN

/*
 * The counts' triggers (schema 17): set a count's n to an expression of
 * itself, and the same after making the row if it is missing; the stage
 * an item's main track is at (a scalar subquery: one main track per item).
 */
#define COUNT_SET(what, key, expr) \
	"  UPDATE OR IGNORE counts SET n = " expr " WHERE what = " what \
	"   AND key = " key ";"
#define COUNT_ADD(what, key, expr) \
	"  INSERT OR IGNORE INTO counts VALUES (" what ", " key ", 0);" \
	COUNT_SET(what, key, expr)
#define MAIN_STAGE(row) "(SELECT coalesce(stage_name, '') FROM tracks" \
	" WHERE item_id = " row ".id AND kind = 'main' AND stage >= 0)"

/* Migrations, applied in order; index + 1 is the schema version. */
static const char *store_migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE projects ("
	"  id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT,"
	"  category TEXT, region TEXT, content TEXT, planned_start TEXT,"
	"  progress TEXT, progress_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE items ("
	"  id INTEGER PRIMARY KEY,"
	"  project_id INTEGER NOT NULL REFERENCES projects(id),"
	"  kind TEXT NOT NULL, department TEXT NOT NULL, handler TEXT,"
	"  mode TEXT NOT NULL DEFAULT " SQLQ(MODE_NORMAL) ","
	" status TEXT NOT NULL,"
	"  accepted_at INTEGER NOT NULL DEFAULT 0, lim TEXT,"
	"  due_at INTEGER NOT NULL DEFAULT 0, explicit_due INTEGER NOT NULL DEFAULT 0,"
	"  supplement_due INTEGER NOT NULL DEFAULT 0,"
	"  commitment_due INTEGER NOT NULL DEFAULT 0,"
	"  suspended_at INTEGER NOT NULL DEFAULT 0, suspend_reason TEXT,"
	"  stopped_workdays INTEGER NOT NULL DEFAULT 0,"
	"  stopped_seconds INTEGER NOT NULL DEFAULT 0,"
	"  blocked_reason TEXT, blocked_at INTEGER NOT NULL DEFAULT 0,"
	"  raised_at INTEGER NOT NULL DEFAULT 0,"
	"  last_progress_at INTEGER NOT NULL DEFAULT 0,"
	"  done_at INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE INDEX items_project ON items(project_id);"
	"CREATE INDEX items_status ON items(status);"
	"CREATE TABLE prereqs (item_id INTEGER NOT NULL, needs_id INTEGER NOT NULL,"
	"  PRIMARY KEY (item_id, needs_id));"
	"CREATE TABLE progress_notes (id INTEGER PRIMARY KEY, project_id INTEGER,"
	"  item_id INTEGER, at INTEGER NOT NULL, note TEXT NOT NULL);"
	"CREATE TABLE tracks ("
	"  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  policy TEXT, due_at INTEGER NOT NULL, stage INTEGER NOT NULL DEFAULT -1,"
	"  stage_name TEXT, rep INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL DEFAULT 0, UNIQUE (item_id, kind));"
	"CREATE INDEX tracks_next ON tracks(next_at) WHERE next_at > 0;"
	"CREATE TABLE fired ("
	"  id INTEGER PRIMARY KEY, track_id INTEGER NOT NULL,"
	"  item_id INTEGER NOT NULL, stage TEXT NOT NULL, rep INTEGER NOT NULL,"
	"  at INTEGER NOT NULL, UNIQUE (track_id, stage, rep));"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, stage TEXT NOT NULL,"
	"  title TEXT, text TEXT NOT NULL, severity TEXT, mobiles TEXT,"
	"  userids TEXT, event TEXT, status TEXT NOT NULL DEFAULT 'queued',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  not_before INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, sent_at INTEGER NOT NULL DEFAULT 0,"
	"  code INTEGER NOT NULL DEFAULT 0, error TEXT);"
	"CREATE INDEX outbox_queue ON outbox(channel, id) WHERE status = 'queued';"
	"CREATE TABLE outbox_items (outbox_id INTEGER NOT NULL,"
	"  item_id INTEGER NOT NULL, PRIMARY KEY (outbox_id, item_id));"
	"CREATE INDEX outbox_items_item ON outbox_items(item_id);"
	"CREATE TABLE log ("
	"  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, item_id INTEGER,"
	"  project TEXT, stage TEXT, channel TEXT, outcome TEXT, detail TEXT);"
	"CREATE INDEX log_item ON log(item_id);"
	"CREATE TABLE events (event_id TEXT PRIMARY KEY, item_id INTEGER,"
	"  at INTEGER NOT NULL);"
	"CREATE TABLE reports (name TEXT NOT NULL, period TEXT NOT NULL,"
	"  sent_at INTEGER NOT NULL, PRIMARY KEY (name, period));",
	/*
	 * 2: what happens to a message (queued, sent, retried, failed) is
	 * logged once per message, with its outbox id, not once per item it
	 * lists; an item's history joins those rows through outbox_items.
	 */
	"ALTER TABLE log ADD COLUMN outbox_id INTEGER;"
	"CREATE INDEX log_outbox ON log(outbox_id) WHERE outbox_id IS NOT NULL;",
	/*
	 * 3: the claims of fired stages and the links of messages to items
	 * are keyed tables (WITHOUT ROWID): one b-tree each instead of a
	 * table plus the index of its key, written once per item escalated.
	 */
	"CREATE TABLE fired3 (track_id INTEGER NOT NULL, stage TEXT NOT NULL,"
	"  rep INTEGER NOT NULL, item_id INTEGER NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (track_id, stage, rep)) WITHOUT ROWID;"
	"INSERT INTO fired3 SELECT track_id, stage, rep, item_id, at FROM fired;"
	"DROP TABLE fired;"
	"ALTER TABLE fired3 RENAME TO fired;"
	"CREATE TABLE outbox_items3 (outbox_id INTEGER NOT NULL,"
	"  item_id INTEGER NOT NULL, PRIMARY KEY (outbox_id, item_id))"
	"  WITHOUT ROWID;"
	"INSERT INTO outbox_items3 SELECT outbox_id, item_id FROM outbox_items;"
	"DROP TABLE outbox_items;"
	"ALTER TABLE outbox_items3 RENAME TO outbox_items;"
	"CREATE INDEX outbox_items_item ON outbox_items(item_id);",
	/*
	 * 4: a message's title, text and event (tens of KB for a grouped
	 * message) live in a table of their own, written once: recording a
	 * delivery attempt rewrites only the narrow outbox row.
	 */
	"CREATE TABLE outbox_bodies (outbox_id INTEGER PRIMARY KEY,"
	"  title TEXT, text TEXT NOT NULL, event TEXT);"
	"INSERT INTO outbox_bodies SELECT id, title, text, event FROM outbox;"
	"ALTER TABLE outbox DROP COLUMN title;"
	"ALTER TABLE outbox DROP COLUMN text;"
	"ALTER TABLE outbox DROP COLUMN event;"
	/*
	 * A grouped message's parts are stored with PART_MARK where
	 * " (k/N)" goes, and k and N here: N is known only once the last part
	 * is rendered, and setting it must not rewrite the parts' texts.
	 */
	"ALTER TABLE outbox ADD COLUMN part INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 5: the endings of the innovation modes' second deadlines: when a
	 * 容缺受理 item's missing material was supplied, and when and how a
	 * 告知承诺 item's commitment was verified (its track runs on after
	 * the item is done until then).
	 */
	"ALTER TABLE items ADD COLUMN supplement_done_at INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE items ADD COLUMN commitment_verified_at INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE items ADD COLUMN commitment_result TEXT;",
	/*
	 * 6: a claim names the deadline whose ladder fired it: a ladder that
	 * starts again for a new deadline (a progress note restarting the
	 * stale track) fires its stages afresh.  Old claims belong to the
	 * track's current deadline, unless the track stands before its first
	 * stage: then they were made by a ladder since restarted.
	 */
	"CREATE TABLE fired5 (track_id INTEGER NOT NULL,"
	"  due_at INTEGER NOT NULL, stage TEXT NOT NULL, rep INTEGER NOT NULL,"
	"  item_id INTEGER NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (track_id, due_at, stage, rep)) WITHOUT ROWID;"
	"INSERT INTO fired5 SELECT f.track_id, CASE WHEN t.stage >= 0 THEN"
	"  t.due_at ELSE 0 END, f.stage, f.rep, f.item_id, f.at FROM fired f"
	"  LEFT JOIN tracks t ON t.id = f.track_id;"
	"DROP TABLE fired;"
	"ALTER TABLE fired5 RENAME TO fired;",
	/*
	 * 7: permanent failures not yet told to the admin channel, counted
	 * per channel and vendor code, and when each channel's last notice
	 * went: at most one an hour, also across restarts.
	 */
	"CREATE TABLE failures (channel TEXT NOT NULL, code INTEGER NOT NULL,"
	"  reason TEXT, n INTEGER NOT NULL, since INTEGER NOT NULL,"
	"  first_title TEXT, paused INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (channel, code)) WITHOUT ROWID;"
	"CREATE TABLE notices (channel TEXT PRIMARY KEY, at INTEGER NOT NULL)"
	"  WITHOUT ROWID;",
	/*
	 * 8: each chat robot's throttle (keyed by the hash of its type,
	 * endpoint and key, never the key): the sends of the last minute and
	 * the end of a vendor's block, so that a restart keeps to the limit.
	 */
	"CREATE TABLE throttle (robot TEXT PRIMARY KEY,"
	"  sends TEXT NOT NULL DEFAULT '',"
	"  blocked_until INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;",
	/* 9: a text follow-up carries the mentions its part's format
	 * cannot (WeCom markdown: mobiles); it is sent only after it. */
	"ALTER TABLE outbox ADD COLUMN follows INTEGER;"
	"CREATE INDEX outbox_follows ON outbox(follows) WHERE follows"
	" IS NOT NULL;",
	/*
	 * 10: who did each action (STORE_ACTOR_DAEMON, "unix:USER",
	 * "token:NAME", "import:FILE ..."), and the indexes of the log's
	 * filters: time (appended in order, cheap to keep) and the actors
	 * other than the daemon (a storm's entries are the daemon's: they
	 * cost it nothing).  A project's entries are found through its
	 * items (log_item).
	 */
	"ALTER TABLE log ADD COLUMN actor TEXT;"
	"CREATE INDEX log_at ON log(at);"
	"CREATE INDEX log_actor ON log(actor) WHERE actor <> 'daemon';",
	/*
	 * 11: a file a message posts (a report's .xlsx to a WeCom chat):
	 * its bytes, kept until it is sent so that a retry after a restart
	 * sends the same file, and the media_id its upload got (valid three
	 * days) with when it got it (store_file.c).
	 */
	"CREATE TABLE outbox_files (outbox_id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL, data BLOB NOT NULL, media_id TEXT,"
	"  media_at INTEGER NOT NULL DEFAULT 0);",
	/* 12: answers from signed action links (签收, 反馈, 办结, 中止计时
	 * requests and their decisions) with their actors, and the link
	 * uses that make a one-shot link unusable twice (store_answer.c). */
	"CREATE TABLE answers ("
	"  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  stage TEXT, note TEXT, day INTEGER NOT NULL DEFAULT 0, actor TEXT,"
	"  role TEXT, addr TEXT, agent TEXT, at INTEGER NOT NULL, status TEXT,"
	"  decided_at INTEGER NOT NULL DEFAULT 0, decided_by TEXT);"
	"CREATE INDEX answers_item ON answers(item_id, kind, at);"
	"CREATE TABLE link_uses ("
	"  token TEXT NOT NULL, action TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (token, action)) WITHOUT ROWID;",
	/*
	 * 13: what status counts, kept as rows change (issue 15: status
	 * counted every item on every call, 210-300 ms at 1,000,000): items
	 * per status, messages per status, and open items per stage last
	 * fired on their main deadline ('' for a stage without a name).  The
	 * triggers are the one place that keeps them: every write path (the
	 * API, the importer's bulk statements, the step) goes through them.
	 */
	"CREATE TABLE counts (what TEXT NOT NULL, key TEXT NOT NULL,"
	"  n INTEGER NOT NULL, PRIMARY KEY (what, key)) WITHOUT ROWID;"
	"INSERT INTO counts SELECT 'item', status, count(*) FROM items"
	"  GROUP BY status;"
	"INSERT INTO counts SELECT 'outbox', status, count(*) FROM outbox"
	"  GROUP BY status;"
	"INSERT INTO counts SELECT 'stage', coalesce(t.stage_name, ''),"
	"  count(*) FROM tracks t JOIN items i ON i.id = t.item_id"
	"  WHERE t.kind = 'main' AND t.stage >= 0 AND i.status IN"
	"  (" COUNTS_OPEN ") GROUP BY 2;"
	"CREATE TRIGGER counts_item_ins AFTER INSERT ON items BEGIN"
	"  INSERT INTO counts VALUES ('item', new.status, 1)"
	"   ON CONFLICT DO UPDATE SET n = n + 1;"
	"  INSERT INTO counts SELECT 'stage', coalesce(stage_name, ''), 1"
	"   FROM tracks WHERE item_id = new.id AND kind = 'main' AND"
	"   stage >= 0 AND new.status IN (" COUNTS_OPEN ")"
	"   ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER counts_item_del AFTER DELETE ON items BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'item' AND"
	"   key = old.status;"
	"  UPDATE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   old.status IN (" COUNTS_OPEN ") AND key = (SELECT"
	"   coalesce(stage_name, '') FROM tracks WHERE item_id = old.id AND"
	"   kind = 'main' AND stage >= 0);"
	" END;"
	"CREATE TRIGGER counts_item_upd AFTER UPDATE OF status ON items"
	"  WHEN old.status IS NOT new.status BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'item' AND"
	"   key = old.status;"
	"  INSERT INTO counts VALUES ('item', new.status, 1)"
	"   ON CONFLICT DO UPDATE SET n = n + 1;"
	"  UPDATE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   old.status IN (" COUNTS_OPEN ") AND new.status NOT IN"
	"   (" COUNTS_OPEN ") AND key = (SELECT coalesce(stage_name, '')"
	"   FROM tracks WHERE item_id = new.id AND kind = 'main' AND"
	"   stage >= 0);"
	"  INSERT INTO counts SELECT 'stage', coalesce(stage_name, ''), 1"
	"   FROM tracks WHERE item_id = new.id AND kind = 'main' AND"
	"   stage >= 0 AND new.status IN (" COUNTS_OPEN ") AND old.status"
	"   NOT IN (" COUNTS_OPEN ") ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER counts_track_ins AFTER INSERT ON tracks"
	"  WHEN new.kind = 'main' AND new.stage >= 0 BEGIN"
	"  INSERT INTO counts SELECT 'stage', coalesce(new.stage_name, ''),"
	"   1 FROM items WHERE id = new.item_id AND status IN"
	"   (" COUNTS_OPEN ") ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER counts_track_del AFTER DELETE ON tracks"
	"  WHEN old.kind = 'main' AND old.stage >= 0 BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   key = coalesce(old.stage_name, '') AND (SELECT status FROM items"
	"   WHERE id = old.item_id) IN (" COUNTS_OPEN ");"
	" END;"
	"CREATE TRIGGER counts_track_upd AFTER UPDATE OF item_id, kind,"
	"  stage, stage_name ON tracks WHEN ((old.kind = 'main' AND"
	"  old.stage >= 0) OR (new.kind = 'main' AND new.stage >= 0)) AND"
	"  (old.kind IS NOT new.kind OR old.item_id IS NOT new.item_id OR"
	"  (old.stage >= 0) IS NOT (new.stage >= 0) OR"
	"  coalesce(old.stage_name, '') IS NOT coalesce(new.stage_name, ''))"
	"  BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   old.kind = 'main' AND old.stage >= 0 AND"
	"   key = coalesce(old.stage_name, '') AND (SELECT status FROM items"
	"   WHERE id = old.item_id) IN (" COUNTS_OPEN ");"
	"  INSERT INTO counts SELECT 'stage', coalesce(new.stage_name, ''),"
	"   1 FROM items WHERE new.kind = 'main' AND new.stage >= 0 AND"
	"   id = new.item_id AND status IN (" COUNTS_OPEN ")"
	"   ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER counts_outbox_ins AFTER INSERT ON outbox BEGIN"
	"  INSERT INTO counts VALUES ('outbox', new.status, 1)"
	"   ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER counts_outbox_del AFTER DELETE ON outbox BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'outbox' AND"
	"   key = old.status;"
	" END;"
	"CREATE TRIGGER counts_outbox_upd AFTER UPDATE OF status ON outbox"
	"  WHEN old.status IS NOT new.status BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'outbox' AND"
	"   key = old.status;"
	"  INSERT INTO counts VALUES ('outbox', new.status, 1)"
	"   ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;",
	/*
	 * 14: schema 13's counts_track_upd as two triggers, each with the
	 * WHEN of its one statement: a track leaving a counted stage, a
	 * track entering one.  Same counts; a step's storm of tracks
	 * entering their first stage no longer runs the leaving statement
	 * for each (about 1% of the step's instructions).
	 */
	"DROP TRIGGER counts_track_upd;"
	"CREATE TRIGGER counts_track_upd_old AFTER UPDATE OF item_id, kind,"
	"  stage, stage_name ON tracks WHEN old.kind = 'main' AND"
	"  old.stage >= 0 AND (old.kind IS NOT new.kind OR"
	"  old.item_id IS NOT new.item_id OR new.stage < 0 OR"
	"  coalesce(old.stage_name, '') IS NOT coalesce(new.stage_name, ''))"
	"  BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   key = coalesce(old.stage_name, '') AND (SELECT status FROM items"
	"   WHERE id = old.item_id) IN (" COUNTS_OPEN ");"
	" END;"
	"CREATE TRIGGER counts_track_upd_new AFTER UPDATE OF item_id, kind,"
	"  stage, stage_name ON tracks WHEN new.kind = 'main' AND"
	"  new.stage >= 0 AND (old.kind IS NOT new.kind OR"
	"  old.item_id IS NOT new.item_id OR old.stage < 0 OR"
	"  coalesce(old.stage_name, '') IS NOT coalesce(new.stage_name, ''))"
	"  BEGIN"
	"  INSERT INTO counts SELECT 'stage', coalesce(new.stage_name, ''),"
	"   1 FROM items WHERE id = new.item_id AND status IN"
	"   (" COUNTS_OPEN ") ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;",
	/*
	 * 15: whether a track's item is open (its status one of COUNTS_OPEN)
	 * kept on the track itself, so that the stage counts' triggers on
	 * tracks read it from the row rather than look the item up: a
	 * step's storm updates every due track, and the lookup was most of
	 * what the triggers cost (about 2 us a track).  The flag is set as
	 * a track is inserted (the insert statements look the item up once)
	 * and kept by triggers on items: a status change, and an item
	 * inserted after its tracks (the importer's bulk statements write
	 * items and tracks in batches of their own).
	 */
	"ALTER TABLE tracks ADD COLUMN item_open INTEGER NOT NULL DEFAULT 0;"
	"UPDATE tracks SET item_open = 1 WHERE item_id IN (SELECT id FROM"
	"  items WHERE status IN (" COUNTS_OPEN "));"
	"CREATE TRIGGER tracks_item_open_ins AFTER INSERT ON items BEGIN"
	"  UPDATE tracks SET item_open = new.status IN (" COUNTS_OPEN ")"
	"   WHERE item_id = new.id;"
	" END;"
	"CREATE TRIGGER tracks_item_open_upd AFTER UPDATE OF status ON items"
	"  WHEN (old.status IN (" COUNTS_OPEN ")) IS NOT"
	"  (new.status IN (" COUNTS_OPEN ")) BEGIN"
	"  UPDATE tracks SET item_open = new.status IN (" COUNTS_OPEN ")"
	"   WHERE item_id = new.id;"
	" END;"
	"CREATE TRIGGER tracks_item_open_del AFTER DELETE ON items BEGIN"
	"  UPDATE tracks SET item_open = 0 WHERE item_id = old.id;"
	" END;"
	"DROP TRIGGER counts_track_ins;"
	"DROP TRIGGER counts_track_del;"
	"DROP TRIGGER counts_track_upd_old;"
	"DROP TRIGGER counts_track_upd_new;"
	"CREATE TRIGGER counts_track_ins AFTER INSERT ON tracks"
	"  WHEN new.kind = 'main' AND new.stage >= 0 AND new.item_open BEGIN"
	"  INSERT INTO counts VALUES ('stage', coalesce(new.stage_name, ''),"
	"   1) ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER counts_track_del AFTER DELETE ON tracks"
	"  WHEN old.kind = 'main' AND old.stage >= 0 AND old.item_open BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   key = coalesce(old.stage_name, '');"
	" END;"
	"CREATE TRIGGER counts_track_upd_old AFTER UPDATE OF item_id, kind,"
	"  stage, stage_name ON tracks WHEN old.kind = 'main' AND"
	"  old.stage >= 0 AND old.item_open AND (old.kind IS NOT new.kind OR"
	"  old.item_id IS NOT new.item_id OR new.stage < 0 OR"
	"  coalesce(old.stage_name, '') IS NOT coalesce(new.stage_name, ''))"
	"  BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   key = coalesce(old.stage_name, '');"
	" END;"
	"CREATE TRIGGER counts_track_upd_new AFTER UPDATE OF item_id, kind,"
	"  stage, stage_name ON tracks WHEN new.kind = 'main' AND"
	"  new.stage >= 0 AND new.item_open AND (old.kind IS NOT new.kind OR"
	"  old.item_id IS NOT new.item_id OR old.stage < 0 OR"
	"  coalesce(old.stage_name, '') IS NOT coalesce(new.stage_name, ''))"
	"  BEGIN"
	"  INSERT INTO counts VALUES ('stage', coalesce(new.stage_name, ''),"
	"   1) ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;",
	/*
	 * 16: a project's own log entries (no item: its progress notes, its
	 * creation and changes), which the log's project filter finds
	 * besides its items' entries (log_item); item entries (they name
	 * their project too) and the daemon's (no project) are left out.
	 * item_id is in it, always NULL, so that the planner prefers it to
	 * log_item for "item_id IS NULL AND project = ?" (with statistics,
	 * log_item's "item_id IS NULL" looked as selective as an item id:
	 * 166 ms instead of 2 ms for 100 entries of 1,000,000).
	 */
	"CREATE INDEX log_project ON log(project, item_id)"
	"  WHERE item_id IS NULL AND project IS NOT NULL;",
	/*
	 * 17: the same counts and flags, kept by statements that cannot
	 * abort.  An upsert ("ON CONFLICT DO UPDATE") or a plain UPDATE of a
	 * NOT NULL column may abort its statement, and SQLite then writes a
	 * statement journal -- a temporary file holding every page the
	 * statement changes -- for every statement that fires the trigger:
	 * 4.2 GB for an import of 1,000,000 items (bench (a)), which took
	 * longer than the import's own writes.  "INSERT OR IGNORE" of a zero
	 * row and "UPDATE OR IGNORE" of it cannot abort; the counts they
	 * keep are the same (n + 1 and n - 1 are never NULL, item_open is
	 * never NULL: status is NOT NULL).  A track's item has one main
	 * track (UNIQUE (item_id, kind)), so a scalar subquery names its
	 * stage.
	 */
	"DROP TRIGGER counts_item_ins;"
	"DROP TRIGGER counts_item_del;"
	"DROP TRIGGER counts_item_upd;"
	"DROP TRIGGER counts_track_ins;"
	"DROP TRIGGER counts_track_del;"
	"DROP TRIGGER counts_track_upd_old;"
	"DROP TRIGGER counts_track_upd_new;"
	"DROP TRIGGER counts_outbox_ins;"
	"DROP TRIGGER counts_outbox_del;"
	"DROP TRIGGER counts_outbox_upd;"
	"DROP TRIGGER tracks_item_open_ins;"
	"DROP TRIGGER tracks_item_open_upd;"
	"DROP TRIGGER tracks_item_open_del;"
	"CREATE TRIGGER counts_item_ins AFTER INSERT ON items BEGIN"
	COUNT_ADD("'item'", "new.status", "n + 1")
	"  INSERT OR IGNORE INTO counts SELECT 'stage',"
	"   coalesce(stage_name, ''), 0 FROM tracks WHERE item_id = new.id AND"
	"   kind = 'main' AND stage >= 0 AND new.status IN (" COUNTS_OPEN ");"
	"  UPDATE OR IGNORE counts SET n = n + 1 WHERE what = 'stage' AND"
	"   new.status IN (" COUNTS_OPEN ") AND key = " MAIN_STAGE("new") ";"
	" END;"
	"CREATE TRIGGER counts_item_del AFTER DELETE ON items BEGIN"
	COUNT_SET("'item'", "old.status", "n - 1")
	"  UPDATE OR IGNORE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   old.status IN (" COUNTS_OPEN ") AND key = " MAIN_STAGE("old") ";"
	" END;"
	"CREATE TRIGGER counts_item_upd AFTER UPDATE OF status ON items"
	"  WHEN old.status IS NOT new.status BEGIN"
	COUNT_SET("'item'", "old.status", "n - 1")
	COUNT_ADD("'item'", "new.status", "n + 1")
	"  UPDATE OR IGNORE counts SET n = n - 1 WHERE what = 'stage' AND"
	"   old.status IN (" COUNTS_OPEN ") AND new.status NOT IN"
	"   (" COUNTS_OPEN ") AND key = " MAIN_STAGE("new") ";"
	"  INSERT OR IGNORE INTO counts SELECT 'stage',"
	"   coalesce(stage_name, ''), 0 FROM tracks WHERE item_id = new.id AND"
	"   kind = 'main' AND stage >= 0 AND new.status IN (" COUNTS_OPEN ")"
	"   AND old.status NOT IN (" COUNTS_OPEN ");"
	"  UPDATE OR IGNORE counts SET n = n + 1 WHERE what = 'stage' AND"
	"   new.status IN (" COUNTS_OPEN ") AND old.status NOT IN"
	"   (" COUNTS_OPEN ") AND key = " MAIN_STAGE("new") ";"
	" END;"
	"CREATE TRIGGER counts_track_ins AFTER INSERT ON tracks"
	"  WHEN new.kind = 'main' AND new.stage >= 0 AND new.item_open BEGIN"
	COUNT_ADD("'stage'", "coalesce(new.stage_name, '')", "n + 1")
	" END;"
	"CREATE TRIGGER counts_track_del AFTER DELETE ON tracks"
	"  WHEN old.kind = 'main' AND old.stage >= 0 AND old.item_open BEGIN"
	COUNT_SET("'stage'", "coalesce(old.stage_name, '')", "n - 1")
	" END;"
	"CREATE TRIGGER counts_track_upd_old AFTER UPDATE OF item_id, kind,"
	"  stage, stage_name ON tracks WHEN old.kind = 'main' AND"
	"  old.stage >= 0 AND old.item_open AND (old.kind IS NOT new.kind OR"
	"  old.item_id IS NOT new.item_id OR new.stage < 0 OR"
	"  coalesce(old.stage_name, '') IS NOT coalesce(new.stage_name, ''))"
	"  BEGIN"
	COUNT_SET("'stage'", "coalesce(old.stage_name, '')", "n - 1")
	" END;"
	"CREATE TRIGGER counts_track_upd_new AFTER UPDATE OF item_id, kind,"
	"  stage, stage_name ON tracks WHEN new.kind = 'main' AND"
	"  new.stage >= 0 AND new.item_open AND (old.kind IS NOT new.kind OR"
	"  old.item_id IS NOT new.item_id OR old.stage < 0 OR"
	"  coalesce(old.stage_name, '') IS NOT coalesce(new.stage_name, ''))"
	"  BEGIN"
	COUNT_ADD("'stage'", "coalesce(new.stage_name, '')", "n + 1")
	" END;"
	"CREATE TRIGGER counts_outbox_ins AFTER INSERT ON outbox BEGIN"
	COUNT_ADD("'outbox'", "new.status", "n + 1")
	" END;"
	"CREATE TRIGGER counts_outbox_del AFTER DELETE ON outbox BEGIN"
	COUNT_SET("'outbox'", "old.status", "n - 1")
	" END;"
	"CREATE TRIGGER counts_outbox_upd AFTER UPDATE OF status ON outbox"
	"  WHEN old.status IS NOT new.status BEGIN"
	COUNT_SET("'outbox'", "old.status", "n - 1")
	COUNT_ADD("'outbox'", "new.status", "n + 1")
	" END;"
	"CREATE TRIGGER tracks_item_open_ins AFTER INSERT ON items BEGIN"
	"  UPDATE OR IGNORE tracks SET item_open = new.status IN"
	"   (" COUNTS_OPEN ") WHERE item_id = new.id;"
	" END;"
	"CREATE TRIGGER tracks_item_open_upd AFTER UPDATE OF status ON items"
	"  WHEN (old.status IN (" COUNTS_OPEN ")) IS NOT"
	"  (new.status IN (" COUNTS_OPEN ")) BEGIN"
	"  UPDATE OR IGNORE tracks SET item_open = new.status IN"
	"   (" COUNTS_OPEN ") WHERE item_id = new.id;"
	" END;"
	"CREATE TRIGGER tracks_item_open_del AFTER DELETE ON items BEGIN"
	"  UPDATE OR IGNORE tracks SET item_open = 0 WHERE item_id = old.id;"
	" END;",
	/*
	 * 18: new items and tracks are counted by the store's inserts, not
	 * by triggers: store_count_new_items() and store_count_new_tracks()
	 * count a range of new rows in a few statements (one row from
	 * store_item_insert() and store_track_save(), BULK_ROWS from the
	 * importer's bulk path), what counts_item_ins, counts_track_ins and
	 * tracks_item_open_ins did row by row.  A table with a row trigger
	 * also makes SQLite copy every multi-row insert into a temporary
	 * table first: the three took about 2 s of a million-item import's
	 * 10 (bench (a)).  Updates and deletes are still counted by the
	 * triggers of schema 17.  Whatever inserts items or tracks counts
	 * them: a migration that copies rows recounts.
	 */
	"DROP TRIGGER counts_item_ins;"
	"DROP TRIGGER counts_track_ins;"
	"DROP TRIGGER tracks_item_open_ins;",
	/*
	 * 19: a track's stage change is counted by the store's updates, not
	 * by triggers: store_track_save() and store_track_update_many() read
	 * the stage counts of the tracks they change before and after the
	 * change (one statement for up to STORE_MANY tracks) and add the
	 * difference (store_stage_tally()).  A step's storm updates every
	 * due track, and the two triggers' programs ran for each (about
	 * 0.1 s of 100,000 tracks' 0.2 s, bench (b)).  Deletes are still
	 * counted by counts_track_del; whatever else changes a track's
	 * item_id, kind, stage or stage_name must count it too.
	 */
	"DROP TRIGGER counts_track_upd_old;"
	"DROP TRIGGER counts_track_upd_new;",
};

#define ITEM_SEL \
	"i.id, i.project_id, p.code, p.name, p.category, p.region, i.kind," \
	" i.department, i.handler, i.mode, i.status, i.accepted_at, i.lim," \
	" i.due_at, i.explicit_due, i.supplement_due, i.commitment_due," \
	" i.suspended_at, i.suspend_reason, i.stopped_workdays," \
	" i.stopped_seconds, i.blocked_reason, i.blocked_at, i.raised_at," \
	" i.last_progress_at, i.done_at, i.created_at, i.supplement_done_at," \
	" i.commitment_verified_at, i.commitment_result"
#define ITEM_NCOLS	30	/* the columns of ITEM_SEL */
#define ITEM_COLS \
	ITEM_SEL " FROM items i JOIN projects p ON p.id = i.project_id"
#define TRACK_COLS \
	"id, item_id, kind, policy, due_at, stage, stage_name, rep, next_at FROM tracks"
#define OUTBOX_COLS \
	"id, channel, stage, b.title, b.text, severity, mobiles, userids," \
	" b.event, status, attempts, not_before, next_attempt, created_at," \
	" sent_at, code, error, part, parts, follows FROM outbox" \
	" JOIN outbox_bodies b" \
	" ON b.outbox_id = outbox.id"
/* A message's delivery state without its title, text and event. */
#define OUTBOX_STATE_COLS \
	"id, channel, stage, NULL, NULL, severity, mobiles, userids, NULL," \
	" status, attempts, not_before, next_attempt, created_at, sent_at," \
	" code, error, part, parts, follows FROM outbox"
/*
 * The messages an operator's action (retry, move, drop) applies to: ?1 an
 * id or 0, ?2 a channel or NULL, ?3 the status acted on or NULL for both
 * unsent ones (queued, failed).
 */
#define OUTBOX_ACT_WHERE \
	" WHERE (?1 = 0 OR id = ?1) AND (?2 IS NULL OR channel = ?2) AND" \
	" (CASE WHEN ?3 IS NULL THEN status IN ('queued', 'failed') ELSE" \
	" status = ?3 END)"
#define PROJECT_COLS \
	"id, code, name, category, region, content, planned_start, progress," \
	" progress_at FROM projects"

enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_PROJECT_GET, S_PROJECT_INSERT, S_PROJECT_UPDATE, S_PROJECT_PROGRESS,
	S_PROJECT_LIST,
	S_ITEM_GET, S_ITEM_FIND, S_ITEM_INSERT, S_ITEM_UPDATE, S_ITEM_LIST,
	S_ITEM_ACTIVE,
	S_PREREQ_ADD, S_PREREQ_PENDING, S_PREREQ_LIST, S_PROGRESS_ADD,
	S_TRACK_GET, S_TRACK_INSERT, S_TRACK_UPDATE, S_TRACK_DELETE,
	S_TRACK_EACH, S_TRACK_ALL, S_TRACK_DUE_ITEMS, S_NEXT_WAKEUP,
	S_FIRED_INSERT,
	S_OUTBOX_INSERT, S_OUTBOX_BODY_INSERT, S_OUTBOX_MARK, S_OUTBOX_LINK, S_OUTBOX_ITEM_IDS, S_OUTBOX_GET, S_OUTBOX_NEXT,
	S_OUTBOX_UPDATE, S_OUTBOX_FAIL_FOLLOWS, S_OUTBOX_SINCE, S_OUTBOX_CHANNELS, S_OUTBOX_COUNT,
	S_OUTBOX_COUNT_ALL, S_OUTBOX_FAIL_CHANNEL, S_OUTBOX_MAX, S_OUTBOX_ITEMS,
	S_OUTBOX_TITLE, S_OUTBOX_LIST, S_OUTBOX_WAITING, S_OUTBOX_ACT_LOG,
	S_OUTBOX_RETRY, S_OUTBOX_MOVE, S_OUTBOX_DROP,
	S_FAILURE_ADD, S_FAILURE_EACH, S_FAILURE_CLEAR, S_NOTICE_GET,
	S_NOTICE_SET,
	S_LOG_INSERT,
	S_EVENT_CLAIM, S_COUNT_STATUS, S_COUNT_STAGES,
	S_REPORT_CLAIM, S_REPORT_LAST,
	S_REPORT_CLAIMED, S_REPORT_LAST_AT, S_ITEMS_REPORT,
	S_THROTTLE_GET, S_THROTTLE_SAVE,
	S_ITEM_PAGE, S_ITEM_PAGE_STATUS, S_ITEM_PAGE_PROJECT, S_ITEM_PAGE_BOTH,
	S_PROJECT_PAGE,
	S_COUNT_ITEMS_ROWS, S_COUNT_ITEMS, S_COUNT_ITEMS_STAGE_ROWS,
	S_COUNT_ITEMS_STAGE, S_COUNT_ITEMS_OPEN, S_COUNT_TRACKS_ROWS,
	S_COUNT_TRACKS, S_TRACK_STAGE, S_COUNT_STAGE_ROW, S_COUNT_STAGE_ADD,
	S__COUNT
};

/*
 * Counting new rows (schema 18), the rows of ids ?1 to ?2 of a table just
 * inserted: the items by status, the main tracks of open items by their
 * stage (the item's, for tracks written before it; the track's), and the
 * tracks' flags of their items' being open.  Each count is made a zero
 * row if it is missing and then added to, as the triggers of updates and
 * deletes do, by statements that cannot abort half-way (schema 17).
 */
#define COUNT_RANGE_ROWS(what, key, from) \
	"INSERT OR IGNORE INTO counts SELECT DISTINCT " what ", " key ", 0 " \
	from
#define COUNT_RANGE(what, key, from) \
	"UPDATE OR IGNORE counts SET n = n + (SELECT count(*) " from " AND " \
	key " = counts.key) WHERE what = " what " AND key IN (SELECT " key \
	" " from ")"
#define NEW_ITEMS "FROM items WHERE id BETWEEN ?1 AND ?2"
#define NEW_ITEMS_STAGES "FROM items i JOIN tracks t ON t.item_id = i.id" \
	" WHERE i.id BETWEEN ?1 AND ?2 AND i.status IN (" COUNTS_OPEN ")" \
	" AND t.kind = 'main' AND t.stage >= 0"
#define NEW_TRACKS_STAGES "FROM tracks WHERE id BETWEEN ?1 AND ?2 AND" \
	" kind = 'main' AND stage >= 0 AND item_open"
/* The stages counted of some tracks (schema 19), "... IN (ids)". */
#define TRACKS_STAGES "SELECT coalesce(stage_name, ''), count(*) FROM" \
	" tracks WHERE kind = 'main' AND stage >= 0 AND item_open AND id"

static const char *store_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COUNT_ITEMS_ROWS] = COUNT_RANGE_ROWS("'item'", "status", NEW_ITEMS),
	[S_COUNT_ITEMS] = COUNT_RANGE("'item'", "status", NEW_ITEMS),
	[S_COUNT_ITEMS_STAGE_ROWS] = COUNT_RANGE_ROWS("'stage'",
	    "coalesce(t.stage_name, '')", NEW_ITEMS_STAGES),
	[S_COUNT_ITEMS_STAGE] = COUNT_RANGE("'stage'",
	    "coalesce(t.stage_name, '')", NEW_ITEMS_STAGES),
	[S_COUNT_ITEMS_OPEN] = "UPDATE OR IGNORE tracks SET item_open ="
	    " coalesce((SELECT status IN (" COUNTS_OPEN ") FROM items WHERE"
	    " id = tracks.item_id), 0) WHERE item_id BETWEEN ?1 AND ?2",
	[S_COUNT_TRACKS_ROWS] = COUNT_RANGE_ROWS("'stage'",
	    "coalesce(stage_name, '')", NEW_TRACKS_STAGES),
	[S_COUNT_TRACKS] = COUNT_RANGE("'stage'", "coalesce(stage_name, '')",
	    NEW_TRACKS_STAGES),
	[S_TRACK_STAGE] = TRACKS_STAGES " = ?1 GROUP BY 1",
	[S_COUNT_STAGE_ROW] = "INSERT OR IGNORE INTO counts VALUES ('stage',"
	    " ?1, 0)",
	[S_COUNT_STAGE_ADD] = "UPDATE OR IGNORE counts SET n = n + ?2 WHERE"
	    " what = 'stage' AND key = ?1",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_PROJECT_GET] = "SELECT " PROJECT_COLS " WHERE code = ?",
	[S_PROJECT_INSERT] = "INSERT INTO projects (code, name, category, region,"
	    " content, planned_start) VALUES (?, ?, ?, ?, ?, ?)",
	[S_PROJECT_UPDATE] = "UPDATE projects SET name = ?, category = ?,"
	    " region = ?, content = ?, planned_start = ? WHERE id = ?",
	[S_PROJECT_PROGRESS] = "UPDATE projects SET progress = ?, progress_at = ?"
	    " WHERE id = ?",
	[S_PROJECT_LIST] = "SELECT " PROJECT_COLS " ORDER BY code",
	[S_ITEM_GET] = "SELECT " ITEM_COLS " WHERE i.id = ?",
	[S_ITEM_FIND] = "SELECT id FROM items WHERE project_id = ? AND kind = ?"
	    " AND department = ?",
	[S_ITEM_INSERT] = "INSERT INTO items (project_id, kind, department,"
	    " handler, mode, status, accepted_at, lim, due_at, explicit_due,"
	    " supplement_due, commitment_due, suspended_at, suspend_reason,"
	    " stopped_workdays, stopped_seconds, blocked_reason, blocked_at,"
	    " raised_at, last_progress_at, done_at, created_at,"
	    " supplement_done_at, commitment_verified_at, commitment_result)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?)",
	[S_ITEM_UPDATE] = "UPDATE items SET project_id = ?, kind = ?,"
	    " department = ?, handler = ?, mode = ?, status = ?,"
	    " accepted_at = ?, lim = ?, due_at = ?, explicit_due = ?,"
	    " supplement_due = ?, commitment_due = ?, suspended_at = ?,"
	    " suspend_reason = ?, stopped_workdays = ?, stopped_seconds = ?,"
	    " blocked_reason = ?, blocked_at = ?, raised_at = ?,"
	    " last_progress_at = ?, done_at = ?, created_at = ?,"
	    " supplement_done_at = ?, commitment_verified_at = ?,"
	    " commitment_result = ? WHERE id = ?",
	[S_ITEM_LIST] = "SELECT " ITEM_COLS " WHERE (?1 IS NULL OR i.status = ?1)"
	    " AND (?2 IS NULL OR p.code = ?2) ORDER BY i.id LIMIT ?3",
	/* Done 告知承诺 items too until verified: their track runs on. */
	/* In id order straight off the table (the unary + keeps the status
	 * index out): through the index, SQLite would collect the rowids of
	 * every active item first (24 MB at a million). */
	[S_ITEM_ACTIVE] = "SELECT " ITEM_COLS " WHERE +i.status IN"
	    " (" SQLQ(STATUS_PLANNED) ", " SQLQ(STATUS_ACCEPTED) ", "
	    SQLQ(STATUS_SUSPENDED) ") OR (+i.status = " SQLQ(STATUS_DONE)
	    " AND i.mode = " SQLQ(MODE_COMMITMENT) " AND"
	    " i.commitment_verified_at = 0) ORDER BY i.id",
	[S_PREREQ_ADD] = "INSERT OR IGNORE INTO prereqs (item_id, needs_id)"
	    " VALUES (?, ?)",
	[S_PREREQ_PENDING] = "SELECT r.needs_id FROM prereqs r JOIN items i"
	    " ON i.id = r.needs_id WHERE r.item_id = ? AND i.status <> "
	    SQLQ(STATUS_DONE) " ORDER BY r.needs_id",
	[S_PREREQ_LIST] = "SELECT needs_id FROM prereqs WHERE item_id = ?"
	    " ORDER BY needs_id",
	[S_PROGRESS_ADD] = "INSERT INTO progress_notes (project_id, item_id, at,"
	    " note) VALUES (?, ?, ?, ?)",
	[S_TRACK_GET] = "SELECT " TRACK_COLS " WHERE item_id = ? AND kind = ?",
	[S_TRACK_INSERT] = "INSERT INTO tracks (item_id, kind, policy, due_at,"
	    " stage, stage_name, rep, next_at, item_open) VALUES (?, ?, ?, ?,"
	    " ?, ?, ?, ?, coalesce((SELECT status IN (" COUNTS_OPEN ") FROM"
	    " items WHERE id = ?1), 0))",
	[S_TRACK_UPDATE] = "UPDATE tracks SET policy = ?, due_at = ?, stage = ?,"
	    " stage_name = ?, rep = ?, next_at = ? WHERE id = ?",
	[S_TRACK_DELETE] = "DELETE FROM tracks WHERE item_id = ? AND kind = ?",
	[S_TRACK_EACH] = "SELECT " TRACK_COLS " WHERE item_id = ? ORDER BY id",
	[S_TRACK_ALL] = "SELECT " TRACK_COLS " ORDER BY id",
	/* Due tracks with their items, a page at a time (keyset on
	 * next_at, id); an item that is gone comes with NULL columns. */
	[S_TRACK_DUE_ITEMS] = "SELECT t.id, t.item_id, t.kind, t.policy,"
	    " t.due_at, t.stage, t.stage_name, t.rep, t.next_at, " ITEM_SEL
	    " FROM tracks t LEFT JOIN items i ON i.id = t.item_id"
	    " LEFT JOIN projects p ON p.id = i.project_id"
	    " WHERE t.next_at > 0 AND t.next_at <= ?1 AND (t.next_at > ?2 OR"
	    " (t.next_at = ?2 AND t.id > ?3)) ORDER BY t.next_at, t.id LIMIT ?4",
	[S_NEXT_WAKEUP] = "SELECT min(next_at) FROM tracks WHERE next_at > 0",
	[S_FIRED_INSERT] = "INSERT OR IGNORE INTO fired (track_id, due_at,"
	    " item_id, stage, rep, at) VALUES (?, ?, ?, ?, ?, ?)",
	[S_OUTBOX_INSERT] = "INSERT INTO outbox (channel, stage, severity,"
	    " mobiles, userids, status, attempts, not_before, next_attempt,"
	    " created_at, follows) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?,"
	    " ?, ?)",
	[S_OUTBOX_BODY_INSERT] = "INSERT INTO outbox_bodies (outbox_id, title,"
	    " text, event) VALUES (?, ?, ?, ?)",
	[S_OUTBOX_MARK] = "UPDATE outbox SET part = ?2, parts = ?3 WHERE id = ?1",
	[S_OUTBOX_ITEM_IDS] = "SELECT item_id FROM outbox_items WHERE"
	    " outbox_id = ? ORDER BY item_id",
	[S_OUTBOX_LINK] = "INSERT OR IGNORE INTO outbox_items (outbox_id, item_id)"
	    " VALUES (?, ?)",
	[S_OUTBOX_GET] = "SELECT " OUTBOX_STATE_COLS " WHERE id = ?",
	[S_OUTBOX_NEXT] = "SELECT " OUTBOX_COLS " WHERE channel = ? AND"
	    " status = 'queued' ORDER BY id LIMIT 1",
	[S_OUTBOX_UPDATE] = "UPDATE outbox SET status = ?, attempts = ?,"
	    " next_attempt = ?, sent_at = ?, code = ?, error = ? WHERE id = ?",
	[S_OUTBOX_FAIL_FOLLOWS] = "UPDATE outbox SET status = 'failed',"
	    " code = ?2, error = 'the message it follows failed' WHERE"
	    " follows = ?1 AND status = 'queued'",
	[S_OUTBOX_SINCE] = "SELECT " OUTBOX_COLS " WHERE id > ? ORDER BY id",
	[S_OUTBOX_CHANNELS] = "SELECT DISTINCT o.channel FROM outbox o JOIN"
	    " outbox_items x ON x.outbox_id = o.id WHERE x.item_id = ? AND"
	    " o.stage NOT IN ('done', 'test', 'report', 'verify-fail')"
	    " ORDER BY o.channel",
	[S_OUTBOX_COUNT] = "SELECT count(*) FROM outbox WHERE channel = ? AND"
	    " status = ?",
	[S_OUTBOX_COUNT_ALL] = "SELECT coalesce((SELECT n FROM counts WHERE"
	    " what = 'outbox' AND key = ?), 0)",
	[S_OUTBOX_FAIL_CHANNEL] = "UPDATE outbox SET status = 'failed', code = ?,"
	    " error = ? WHERE channel = ? AND status = 'queued'",
	[S_OUTBOX_ITEMS] = "SELECT n, m, (SELECT p.code FROM items i JOIN"
	    " projects p ON p.id = i.project_id WHERE i.id = m) FROM (SELECT"
	    " count(*) AS n, min(item_id) AS m FROM outbox_items WHERE"
	    " outbox_id = ?)",
	[S_OUTBOX_MAX] = "SELECT coalesce(max(id), 0) FROM outbox",
	[S_OUTBOX_TITLE] = "SELECT b.title, part, parts FROM outbox JOIN"
	    " outbox_bodies b ON b.outbox_id = outbox.id WHERE id = ?",
	/* ?2 NULL: not sent yet; "all": any status. */
	[S_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " WHERE (?1 IS NULL OR"
	    " channel = ?1) AND (CASE WHEN ?2 IS NULL THEN status IN"
	    " ('queued', 'failed') WHEN ?2 = 'all' THEN 1 ELSE status = ?2"
	    " END) AND (?3 = 0 OR id IN (SELECT outbox_id FROM outbox_items"
	    " WHERE item_id = ?3)) AND id > ?4 ORDER BY id LIMIT ?5",
	[S_OUTBOX_WAITING] = "SELECT channel, count(*) FROM outbox WHERE"
	    " status = 'queued' GROUP BY channel ORDER BY channel",
	/* The log entry of an operator's action comes first, one per
	 * message, while the rows still match. */
	[S_OUTBOX_ACT_LOG] = "INSERT INTO log (at, stage, channel, outcome,"
	    " detail, outbox_id, actor) SELECT ?4, stage, channel, ?5, ?6, id,"
	    " ?7 FROM outbox" OUTBOX_ACT_WHERE,
	[S_OUTBOX_RETRY] = "UPDATE outbox SET status = 'queued', attempts = 0,"
	    " next_attempt = 0, code = 0, error = NULL" OUTBOX_ACT_WHERE,
	[S_OUTBOX_MOVE] = "UPDATE outbox SET channel = ?4" OUTBOX_ACT_WHERE,
	[S_OUTBOX_DROP] = "UPDATE outbox SET status = 'dropped', error = ?4"
	    OUTBOX_ACT_WHERE,
	[S_FAILURE_ADD] = "INSERT INTO failures (channel, code, reason, n,"
	    " since, first_title, paused) VALUES (?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (channel, code) DO UPDATE SET n = n + excluded.n,"
	    " paused = max(paused, excluded.paused)",
	[S_FAILURE_EACH] = "SELECT channel, code, reason, n, since, first_title,"
	    " paused FROM failures WHERE (?1 IS NULL OR channel = ?1)"
	    " ORDER BY channel, since, code",
	[S_FAILURE_CLEAR] = "DELETE FROM failures WHERE channel = ?",
	[S_NOTICE_GET] = "SELECT at FROM notices WHERE channel = ?",
	[S_NOTICE_SET] = "INSERT OR REPLACE INTO notices (channel, at)"
	    " VALUES (?, ?)",
	[S_LOG_INSERT] = "INSERT INTO log (at, item_id, project, stage, channel,"
	    " outcome, detail, outbox_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?)",
	[S_EVENT_CLAIM] = "INSERT OR IGNORE INTO events (event_id, item_id, at)"
	    " VALUES (?, ?, ?)",
	/* From the counts the triggers of schema 10 keep. */
	[S_COUNT_STATUS] = "SELECT coalesce((SELECT n FROM counts WHERE"
	    " what = 'item' AND key = ?), 0)",
	[S_COUNT_STAGES] = "SELECT nullif(key, ''), n FROM counts WHERE"
	    " what = 'stage' AND n > 0 ORDER BY key",
	[S_REPORT_CLAIM] = "INSERT OR IGNORE INTO reports (name, period, sent_at)"
	    " VALUES (?, ?, ?)",
	[S_REPORT_LAST] = "SELECT period FROM reports WHERE name = ?"
	    " ORDER BY sent_at DESC, period DESC LIMIT 1",
	[S_REPORT_CLAIMED] = "SELECT 1 FROM reports WHERE name = ? AND"
	    " period = ?",
	[S_REPORT_LAST_AT] = "SELECT coalesce(max(sent_at), 0) FROM reports"
	    " WHERE name = ?",
	[S_ITEMS_REPORT] = "SELECT x.*, t.policy, t.stage_name FROM (SELECT "
	    ITEM_COLS " WHERE i.status <> " SQLQ(STATUS_CANCELLED) " AND"
	    " (i.status <> " SQLQ(STATUS_DONE)
	    " OR i.done_at >= ?1)) x LEFT JOIN tracks t ON t.item_id = x.id"
	    " AND t.kind = 'main' ORDER BY x.id",
	[S_THROTTLE_GET] = "SELECT sends, blocked_until FROM throttle"
	    " WHERE robot = ?",
	[S_THROTTLE_SAVE] = "INSERT INTO throttle (robot, sends, blocked_until,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (robot) DO UPDATE"
	    " SET sends = ?2, blocked_until = ?3, updated_at = ?4",
	/*
	 * Pages of items and projects (keyset: after the last key of the
	 * page before, never OFFSET), one statement per filter so that each
	 * walks its index: the rowid, items_status, items_project.
	 */
	[S_ITEM_PAGE] = "SELECT " ITEM_COLS " WHERE i.id > ?3 ORDER BY i.id"
	    " LIMIT ?4",
	[S_ITEM_PAGE_STATUS] = "SELECT " ITEM_COLS " WHERE i.status = ?1 AND"
	    " i.id > ?3 ORDER BY i.id LIMIT ?4",
	[S_ITEM_PAGE_PROJECT] = "SELECT " ITEM_COLS " WHERE i.project_id ="
	    " (SELECT id FROM projects WHERE code = ?2) AND i.id > ?3"
	    " ORDER BY i.id LIMIT ?4",
	[S_ITEM_PAGE_BOTH] = "SELECT " ITEM_COLS " WHERE i.project_id ="
	    " (SELECT id FROM projects WHERE code = ?2) AND i.status = ?1 AND"
	    " i.id > ?3 ORDER BY i.id LIMIT ?4",
	[S_PROJECT_PAGE] = "SELECT " PROJECT_COLS " WHERE code > ?1"
	    " ORDER BY code LIMIT ?2",
};

/*
 * The WAL checkpointer: a thread with its own connection that copies the
 * write-ahead log back into the database file when the log has grown by
 * STORE_CKPT_FRAMES pages, so that the loop's commits never do it (a
 * storm's commit would otherwise copy tens of MB and fsync on the loop).
 * It sleeps on a condition variable while nothing is written.
 */
#define STORE_CKPT_FRAMES	1000

#define STORE_CKPT_RETRY	1	/* seconds after a partial checkpoint */

struct store_ckpt {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 want, stop;
	sqlite3			*db;
	int64_t			 runs;		/* under mu */
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S__COUNT];
	char		*path;
	struct store_ckpt *ckpt;
	sqlite3		*rdb;		/* the due walk's reader, or NULL */
	sqlite3_stmt	*rdue;
	sqlite3_stmt	*links;		/* STORE_MANY rows at once, or NULL */
	sqlite3_stmt	*logs;
	sqlite3_stmt	*tracks;
	sqlite3_stmt	*stages;	/* TRACKS_STAGES of STORE_MANY */
	char		*actor;		/* the open transaction's, or NULL */
	char		 lasterr[256];	/* the last failed statement's error */
	int		 lastcode;	/* and its SQLite result code */
};

/* Prepare every statement once; returns -1 with *err on failure. */
static int
store_prepare(struct store *s, char **err)
{
	int	 i;

	for (i = 0; i < S__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) != SQLITE_OK) {
			xasprintf(err, "preparing statement %d: %s", i,
			    sqlite3_errmsg(s->db));
			return (-1);
		}
	}
	return (0);
}

/*
 * What SQLite said about a file it could not use: its message, the
 * result code's name and what that means for the file.
 */
static char *
store_file_error(const char *path, sqlite3 *db, int rc)
{
	const char	*msg, *what;
	char		*out;

	msg = db != NULL && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) :
	    sqlite3_errstr(rc);
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		what = "SQLITE_NOTADB: not a SQLite database, or the file is"
		    " corrupt";
		break;
	case SQLITE_CORRUPT:
		what = "SQLITE_CORRUPT: the file is corrupt";
		break;
	case SQLITE_CANTOPEN:
		what = "SQLITE_CANTOPEN";
		break;
	case SQLITE_PERM:
		what = "SQLITE_PERM: no permission";
		break;
	case SQLITE_READONLY:
		what = "SQLITE_READONLY: it cannot be written";
		break;
	case SQLITE_BUSY:
		what = "SQLITE_BUSY: another process holds it locked";
		break;
	case SQLITE_IOERR:
		what = "SQLITE_IOERR";
		break;
	case SQLITE_FULL:
		what = "SQLITE_FULL: the disk is full";
		break;
	default:
		xasprintf(&out, "%s: %s (SQLite error %d)", path, msg, rc);
		return (out);
	}
	xasprintf(&out, "%s: %s (%s)", path, msg, what);
	return (out);
}

/* The names of the tables in a database, sorted, comma-separated, or
 * NULL with SQLite's result code in *rc. */
static char *
store_table_names(sqlite3 *db, int *rc)
{
	sqlite3_stmt	*st;
	const char	*t;
	char		*out;

	*rc = sqlite3_prepare_v2(db, "SELECT coalesce(group_concat(name, ', '),"
	    " '') FROM (SELECT name FROM sqlite_master WHERE type = 'table'"
	    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name)", -1,
	    &st, NULL);
	if (*rc != SQLITE_OK)
		return (NULL);
	if ((*rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return (NULL);
	}
	t = (const char *)sqlite3_column_text(st, 0);
	out = xstrdup(t != NULL ? t : "");
	sqlite3_finalize(st);
	*rc = SQLITE_OK;
	return (out);
}

/* One integer PRAGMA of a database; SQLite's result code. */
static int
store_pragma_int(sqlite3 *db, const char *pragma, int *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(db, pragma, -1, &st, NULL)) != SQLITE_OK)
		return (rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return (rc);
}

/* The tables our migrations 1..version create (run in memory), as
 * store_table_names() gives them; NULL when they cannot be run. */
static char *
store_tables_at(int version)
{
	sqlite3	*db;
	char	*out = NULL;
	int	 i, rc;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return (NULL);
	}
	for (i = 0; i < version; i++)
		if (sqlite3_exec(db, store_migrations[i], NULL, NULL, NULL) !=
		    SQLITE_OK)
			break;
	if (i == version)
		out = store_table_names(db, &rc);
	sqlite3_close(db);
	return (out);
}

/*
 * Whether the file at path is ours to open and migrate, looked at through
 * a read-only connection of its own (which changes nothing, and whose
 * close never checkpoints a foreign WAL into the file): a missing file,
 * or an empty one (no tables, no log), is ours to create; a database with
 * our application_id is ours; one from before the mark (application_id
 * 0) is adopted when its schema version is one of ours and its tables
 * are exactly those our migrations made up to it.  Anything else is
 * refused, as is a file SQLite cannot read.  0, or -1 with *err.
 */
static int
store_own(const char *path, char **err)
{
	struct stat	 sb;
	sqlite3		*db = NULL;
	char		*tables = NULL, *ours = NULL, shown[80];
	int		 appid = 0, version = 0, rc, n = (int)(sizeof
			    store_migrations / sizeof store_migrations[0]);

	if (strcmp(path, ":memory:") == 0)
		return (0);
	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			return (0);
		xasprintf(err, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(err, "%s: not a regular file", path);
		return (-1);
	}
	/* Even an empty file is read: its write-ahead log may hold all. */
	if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_busy_timeout(db, 5000)) != SQLITE_OK ||
	    (rc = store_pragma_int(db, "PRAGMA application_id", &appid)) !=
	    SQLITE_OK ||
	    (rc = store_pragma_int(db, "PRAGMA user_version", &version)) !=
	    SQLITE_OK ||
	    (tables = store_table_names(db, &rc)) == NULL) {
		*err = store_file_error(path, db, rc);
		sqlite3_close(db);
		return (-1);
	}
	sqlite3_close(db);
	if ((uint32_t)appid == STORE_APPLICATION_ID ||
	    (appid == 0 && version == 0 && *tables == '\0') ||
	    (appid == 0 && version >= 1 && version <= n &&
	    (ours = store_tables_at(version)) != NULL &&
	    strcmp(ours, tables) == 0)) {
		free(ours);
		free(tables);
		return (0);
	}
	if (strlen(tables) > 60)
		snprintf(shown, sizeof shown, "%.*s...",
		    (int)utf8_cut(tables, 60, 60), tables);
	else
		snprintf(shown, sizeof shown, "%s", tables);
	xasprintf(err, "%s: not an approval-escalatord database"
	    " (application_id 0x%08x, user_version %d, tables: %s);"
	    " refusing to change it", path, (uint32_t)appid, version,
	    *shown != '\0' ? shown : "none");
	free(ours);
	free(tables);
	return (-1);
}

/* Bring the schema up to date, one transaction per migration. */
static int
store_migrate(struct store *s, char **err)
{
	sqlite3_stmt	*st;
	int		 version, appid = 0, n = (int)(sizeof store_migrations /
			    sizeof store_migrations[0]);
	char		*msg = NULL, *sql;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK) {
		xasprintf(err, "reading schema version: %s",
		    sqlite3_errmsg(s->db));
		return (-1);
	}
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (store_pragma_int(s->db, "PRAGMA application_id", &appid) !=
	    SQLITE_OK) {
		xasprintf(err, "reading application_id: %s",
		    sqlite3_errmsg(s->db));
		return (-1);
	}
	if (version > n) {
		xasprintf(err, "database schema version %d is newer than this "
		    "daemon (%d)", version, n);
		return (-1);
	}
	for (; version < n; version++) {
		/* The mark goes in with the first migration's tables. */
		xasprintf(&sql, "BEGIN IMMEDIATE; %s; PRAGMA user_version = %d;"
		    " PRAGMA application_id = %d; COMMIT;",
		    store_migrations[version], version + 1,
		    (int)STORE_APPLICATION_ID);
		if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			xasprintf(err, "migrating to schema %d: %s", version + 1,
			    msg ? msg : "unknown error");
			sqlite3_free(msg);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			free(sql);
			return (-1);
		}
		free(sql);
		appid = (int)STORE_APPLICATION_ID;
	}
	/* A database of ours from before the mark (store_own adopted it). */
	if ((uint32_t)appid != STORE_APPLICATION_ID) {
		xasprintf(&sql, "PRAGMA application_id = %d",
		    (int)STORE_APPLICATION_ID);
		if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			xasprintf(err, "setting application_id: %s",
			    msg ? msg : "unknown error");
			sqlite3_free(msg);
			free(sql);
			return (-1);
		}
		free(sql);
	}
	return (0);
}

/* Open a database file (created if missing) ready for use. */
struct store *
store_open(const char *path, char **err)
{
	struct store	*s;
	char		*msg = NULL;
	int		 memory = strcmp(path, ":memory:") == 0, rc;

	/* Before anything writes to it (the journal mode is in the file). */
	if (store_own(path, err) != 0)
		return (NULL);
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	if ((rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK) {
		*err = store_file_error(path, s->db, rc);
		store_close(s);
		return (NULL);
	}
	sqlite3_busy_timeout(s->db, 5000);
	if ((rc = sqlite3_exec(s->db, memory ? "PRAGMA foreign_keys = ON" :
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    " PRAGMA foreign_keys = ON", NULL, NULL, &msg)) != SQLITE_OK) {
		*err = store_file_error(path, s->db, rc);
		sqlite3_free(msg);
		store_close(s);
		return (NULL);
	}
	if (store_migrate(s, err) != 0 || store_prepare(s, err) != 0) {
		store_close(s);
		return (NULL);
	}
	return (s);
}

/* The SQLite handle (for modules with statements of their own). */
struct sqlite3 *
store_db(struct store *s)
{
	return (s->db);
}

/* Finalize statements and close. */
void
store_close(struct store *s)
{
	int	 i;

	if (s == NULL)
		return;
	store_checkpointer_stop(s);
	sqlite3_finalize(s->links);
	sqlite3_finalize(s->logs);
	sqlite3_finalize(s->tracks);
	sqlite3_finalize(s->stages);
	sqlite3_finalize(s->rdue);
	if (s->rdb != NULL)
		sqlite3_close(s->rdb);
	for (i = 0; i < S__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s->actor);
	free(s->path);
	free(s);
}

/* After each commit: wake the checkpointer once the log is long. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_ckpt	*c = arg;

	(void)db;
	(void)name;
	if (frames >= STORE_CKPT_FRAMES) {
		pthread_mutex_lock(&c->mu);
		c->want = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return (SQLITE_OK);
}

static void *
store_ckpt_main(void *arg)
{
	struct store_ckpt	*c = arg;
	int			 nlog, nckpt;

	struct timespec		 ts;
	int			 partial = 0;

	/*
	 * Copying the log back can wait while the step or delivery want a
	 * core: a storm's commit leaves tens of MB to copy just as its
	 * messages go out (bench (b) delivered them in 0.18 s instead of
	 * 0.26 on two cores with it at the lowest priority).
	 */
	xthread_background("checkpointer");
	pthread_mutex_lock(&c->mu);
	for (;;) {
		/*
		 * Wait for a long log; after a partial checkpoint (a reader
		 * held frames back) try again a second later until the whole
		 * log is copied, or the log would wait for the next big
		 * commit.  Nothing wakes while the log is short.
		 */
		while (!c->want && !c->stop) {
			if (!partial) {
				pthread_cond_wait(&c->cv, &c->mu);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += STORE_CKPT_RETRY;
			if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) != 0)
				break;
		}
		if (c->stop)
			break;
		c->want = 0;
		pthread_mutex_unlock(&c->mu);
		/* PASSIVE: never waits for, nor blocks, the loop's writes. */
		nlog = nckpt = 0;
		partial = sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt) == SQLITE_OK &&
		    nckpt < nlog;
		pthread_mutex_lock(&c->mu);
		c->runs++;
	}
	pthread_mutex_unlock(&c->mu);
	return (NULL);
}

/*
 * Move WAL checkpoints off the calling thread (the daemon's loop): from
 * now on they run in a thread of their own.  Without it (the control
 * tool, tests) SQLite checkpoints on commit as usual.
 */
int
store_checkpointer_start(struct store *s, char **err)
{
	struct store_ckpt	*c;
	int			 rc;

	if (s->ckpt != NULL || strcmp(s->path, ":memory:") == 0)
		return (0);
	c = xcalloc(1, sizeof *c);
	if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(err, "%s: checkpointer: %s", s->path, c->db ?
		    sqlite3_errmsg(c->db) : "cannot open");
		sqlite3_close(c->db);
		free(c);
		return (-1);
	}
	/* A first read opens the log: until then the connection does not know
	 * the database is in WAL mode, and its checkpoints do nothing. */
	if (sqlite3_exec(c->db, "PRAGMA cache_size = -256;"
	    " SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		xasprintf(err, "%s: checkpointer: %s", s->path,
		    sqlite3_errmsg(c->db));
		sqlite3_close(c->db);
		free(c);
		return (-1);
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if ((rc = pthread_create(&c->thread, NULL, store_ckpt_main, c)) != 0) {
		xasprintf(err, "checkpointer thread: %s", strerror(rc));
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		sqlite3_close(c->db);
		free(c);
		return (-1);
	}
	s->ckpt = c;
	/* Replaces SQLite's own automatic checkpoint on this connection. */
	sqlite3_wal_hook(s->db, store_wal_hook, c);
	return (0);
}

/* Commits on another connection to the same file (the step's thread)
 * wake this store's checkpointer too, instead of checkpointing in the
 * committing thread. */
void
store_checkpointer_share(struct store *s, struct store *other)
{
	if (s->ckpt != NULL)
		sqlite3_wal_hook(other->db, store_wal_hook, s->ckpt);
}

/* Stop the checkpointer (if any); the log is then checkpointed on close. */
void
store_checkpointer_stop(struct store *s)
{
	struct store_ckpt	*c = s->ckpt;

	if (c == NULL)
		return;
	sqlite3_wal_autocheckpoint(s->db, STORE_CKPT_FRAMES);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	sqlite3_close(c->db);
	free(c);
	s->ckpt = NULL;
}

/*
 * A second connection for store_track_due_items(): with it, a thread reads
 * the next page of due tracks while the caller works through the current
 * one.  Only for a database file (an in-memory one has no second view).
 */
int
store_reader_start(struct store *s, char **err)
{
	if (s->rdb != NULL || strcmp(s->path, ":memory:") == 0)
		return (0);
	if (sqlite3_open_v2(s->path, &s->rdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->rdb, store_sql[S_TRACK_DUE_ITEMS], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->rdue, NULL) != SQLITE_OK) {
		xasprintf(err, "%s: reader: %s", s->path, s->rdb ?
		    sqlite3_errmsg(s->rdb) : "cannot open");
		sqlite3_finalize(s->rdue);
		sqlite3_close(s->rdb);
		s->rdb = NULL;
		s->rdue = NULL;
		return (-1);
	}
	sqlite3_busy_timeout(s->rdb, 5000);
	/* It reads each page once, in order: a small cache is enough. */
	sqlite3_exec(s->rdb, "PRAGMA cache_size = -256", NULL, NULL, NULL);
	return (0);
}

/* How many checkpoints the checkpointer has run (for tests, metrics). */
int64_t
store_checkpoints(struct store *s)
{
	int64_t	 n;

	if (s->ckpt == NULL)
		return (-1);
	pthread_mutex_lock(&s->ckpt->mu);
	n = s->ckpt->runs;
	pthread_mutex_unlock(&s->ckpt->mu);
	return (n);
}

/* The database file's path. */
const char *
store_path(struct store *s)
{
	return (s->path);
}

/*
 * A private copy of the database at path, for a simulation: VACUUM INTO a
 * new file beside it through a read-only connection of its own (a WAL
 * reader: the daemon goes on writing meanwhile), then opened with its
 * journal in memory and unlinked at once, so that nothing is left behind
 * whatever happens to the process.  Memory stays that of one connection.
 */
struct store *
store_snapshot(const char *path, char **err)
{
	static unsigned	 counter;
	struct store	*s;
	sqlite3		*src = NULL;
	sqlite3_stmt	*st = NULL;
	char		*snap, *msg = NULL;
	int		 rc;

	if (store_own(path, err) != 0)
		return (NULL);
	xasprintf(&snap, "%s.simulate-%ld-%u", path, (long)getpid(),
	    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(src, 5000) != SQLITE_OK ||
	    sqlite3_prepare_v2(src, "VACUUM INTO ?", -1, &st, NULL) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 1, snap, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		xasprintf(err, "copying %s: %s", path, src ?
		    sqlite3_errmsg(src) : "cannot open");
		sqlite3_finalize(st);
		sqlite3_close(src);
		unlink(snap);
		free(snap);
		return (NULL);
	}
	sqlite3_finalize(st);
	sqlite3_close(src);

	s = xcalloc(1, sizeof *s);
	s->path = snap;
	if (sqlite3_open_v2(snap, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA journal_mode = MEMORY;"
	    " PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON",
	    NULL, NULL, &msg) != SQLITE_OK) {
		xasprintf(err, "%s: %s", snap, msg ? msg : s->db ?
		    sqlite3_errmsg(s->db) : "cannot open");
		sqlite3_free(msg);
		unlink(snap);
		store_close(s);
		return (NULL);
	}
	unlink(snap);
	if (store_migrate(s, err) != 0 || store_prepare(s, err) != 0) {
		store_close(s);
		return (NULL);
	}
	return (s);
}

static int	store_failed(struct store *);

/*
 * The last SQLite error message; when a later statement has cleared it
 * (a walk stopped by its callback resets its statement), the message of
 * the last statement that failed.
 */
const char *
store_error(struct store *s)
{
	if (sqlite3_errcode(s->db) == SQLITE_OK && s->lasterr[0] != '\0')
		return (s->lasterr);
	if (sqlite3_errcode(s->db) == SQLITE_OK)
		return ("unknown database error");	/* never "not an error" */
	store_failed(s);
	return (s->lasterr);
}

/* Reset a statement and return it ready to bind. */
static sqlite3_stmt *
store_stmt(struct store *s, int which)
{
	sqlite3_stmt	*st = s->stmt[which];
	int		 rc = sqlite3_errcode(s->db);

	/* A failure a caller returned without store_failed(): keep its
	 * message before this statement's reset clears it. */
	if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_failed(s);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (st);
}

/* Bind a string, NULL as SQL NULL. */
static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Bind a string that stays put until the statement has run (no copy:
 * the step's hot statements, run at once by the caller that binds). */
static void
bind_text_static(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}


/* Keep the message of a statement that failed for store_error(). */
static int
store_failed(struct store *s)
{
	int	 rc = sqlite3_errcode(s->db);

	/* A damaged file says so, whatever statement met the damage. */
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		snprintf(s->lasterr, sizeof s->lasterr, "%s (%s: the file"
		    " is corrupt)", sqlite3_errmsg(s->db),
		    rc == SQLITE_CORRUPT ? "SQLITE_CORRUPT" : "SQLITE_NOTADB");
	else
		snprintf(s->lasterr, sizeof s->lasterr, "%s",
		    sqlite3_errmsg(s->db));
	s->lastcode = rc;
	return (-1);
}

/*
 * How long the loop's connection waits for another process's write lock
 * before a statement fails with SQLITE_BUSY (5 s while starting up).  The
 * running daemon waits briefly: an API write answers 503 at once and the
 * step and delivery try again later, and the loop goes on serving.
 */
void
store_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

/* Whether the last failure was another connection's lock. */
int
store_busy(struct store *s)
{
	return ((s->lastcode & 0xff) == SQLITE_BUSY ||
	    (s->lastcode & 0xff) == SQLITE_LOCKED);
}

/* Reset a statement whose last step answered rc: 0 if it ran to the end,
 * -1 (the error kept and logged) if not. */
static int
store_finish(struct store *s, sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_failed(s);
		log_warnx("store: %s", s->lasterr);
		return (-1);
	}
	return (0);
}

/* Run a statement expected to produce no rows. */
static int
store_done(struct store *s, sqlite3_stmt *st)
{
	return (store_finish(s, st, sqlite3_step(st)));
}

/* Copy a text column, NULL stays NULL. */
static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*t = sqlite3_column_text(st, i);

	return (t == NULL ? NULL : xstrdup((const char *)t));
}

/* Start a write transaction. */
int
store_begin(struct store *s)
{
	return (store_begin_as(s, NULL));
}

/*
 * Begin a transaction whose log entries name actor (NULL: the daemon).
 * The actor belongs to this transaction only: commit and rollback forget
 * it, so it cannot outlive the request that named it.
 */
int
store_begin_as(struct store *s, const char *actor)
{
	free(s->actor);
	s->actor = NULL;
	if (store_done(s, store_stmt(s, S_BEGIN)) != 0)
		return (-1);
	if (actor != NULL)
		s->actor = xstrdup(actor);
	return (0);
}

/* Begin a read transaction (deferred: its snapshot is taken by its first
 * read). */
int
store_begin_read(struct store *s)
{
	free(s->actor);
	s->actor = NULL;
	if (sqlite3_exec(s->db, "BEGIN DEFERRED", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		store_failed(s);
		return (-1);
	}
	return (0);
}

/* Interrupt what runs on the connection: it fails (SQLITE_INTERRUPT). */
void
store_interrupt(struct store *s)
{
	sqlite3_interrupt(s->db);
}

/* Who the log entries written now are by. */
const char *
store_actor(struct store *s)
{
	return (s->actor != NULL && !sqlite3_get_autocommit(s->db) ?
	    s->actor : STORE_ACTOR_DAEMON);
}

/* Commit the transaction. */
int
store_commit(struct store *s)
{
	int	 rc = store_done(s, store_stmt(s, S_COMMIT));

	if (sqlite3_get_autocommit(s->db)) {
		free(s->actor);
		s->actor = NULL;
	}
	return (rc);
}

/* Abandon the transaction (no-op when none is open). */
void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_done(s, store_stmt(s, S_ROLLBACK));
	free(s->actor);
	s->actor = NULL;
}

/* Free a project row's strings. */
void
project_row_clear(struct project_row *p)
{
	free(p->code);
	free(p->name);
	free(p->category);
	free(p->region);
	free(p->content);
	free(p->planned_start);
	free(p->progress);
	memset(p, 0, sizeof *p);
}

/* Free an item row's strings. */
void
item_row_clear(struct item_row *r)
{
	free(r->project_code);
	free(r->project_name);
	free(r->category);
	free(r->region);
	free(r->kind);
	free(r->department);
	free(r->handler);
	free(r->mode);
	free(r->status);
	free(r->limit);
	free(r->suspend_reason);
	free(r->blocked_reason);
	free(r->commitment_result);
	memset(r, 0, sizeof *r);
}

/* Free a track row's strings. */
void
track_row_clear(struct track_row *t)
{
	free(t->kind);
	free(t->policy);
	free(t->stage_name);
	memset(t, 0, sizeof *t);
}

/* Free an outbox row's strings. */
void
outbox_row_clear(struct outbox_row *o)
{
	free(o->channel);
	free(o->stage);
	free(o->title);
	free(o->text);
	free(o->severity);
	free(o->mobiles);
	free(o->userids);
	free(o->event);
	free(o->status);
	free(o->error);
	memset(o, 0, sizeof *o);
}

/* Free a log row's strings. */
void
log_row_clear(struct log_row *l)
{
	free(l->project);
	free(l->stage);
	free(l->channel);
	free(l->outcome);
	free(l->detail);
	free(l->actor);
	memset(l, 0, sizeof *l);
}

/* Read a project row from the current result. */
static void
project_read(sqlite3_stmt *st, struct project_row *p)
{
	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(st, 0);
	p->code = col_text(st, 1);
	p->name = col_text(st, 2);
	p->category = col_text(st, 3);
	p->region = col_text(st, 4);
	p->content = col_text(st, 5);
	p->planned_start = col_text(st, 6);
	p->progress = col_text(st, 7);
	p->progress_at = sqlite3_column_int64(st, 8);
}

/* Find a project by code: 0 found, 1 not found, -1 error. */
int
store_project_get(struct store *s, const char *code, struct project_row *p)
{
	sqlite3_stmt	*st = store_stmt(s, S_PROJECT_GET);
	int		 rc;

	bind_text(st, 1, code);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		project_read(st, p);
		sqlite3_reset(st);
		return (0);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 1 : store_failed(s));
}

/* Insert or update (by code) a project; sets p->id and *created. */
int
store_project_save(struct store *s, struct project_row *p, int *created)
{
	struct project_row	 old;
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = store_project_get(s, p->code, &old)) < 0)
		return (-1);
	if (rc == 1) {
		st = store_stmt(s, S_PROJECT_INSERT);
		bind_text(st, 1, p->code);
		bind_text(st, 2, p->name);
		bind_text(st, 3, p->category);
		bind_text(st, 4, p->region);
		bind_text(st, 5, p->content);
		bind_text(st, 6, p->planned_start);
		if (store_done(s, st) != 0)
			return (-1);
		p->id = sqlite3_last_insert_rowid(s->db);
		if (created != NULL)
			*created = 1;
		return (0);
	}
	p->id = old.id;
	project_row_clear(&old);
	st = store_stmt(s, S_PROJECT_UPDATE);
	bind_text(st, 1, p->name);
	bind_text(st, 2, p->category);
	bind_text(st, 3, p->region);
	bind_text(st, 4, p->content);
	bind_text(st, 5, p->planned_start);
	sqlite3_bind_int64(st, 6, p->id);
	if (created != NULL)
		*created = 0;
	return (store_done(s, st));
}

/* Record a project's latest visible-progress note. */
int
store_project_progress(struct store *s, int64_t id, const char *note, int64_t at)
{
	sqlite3_stmt	*st = store_stmt(s, S_PROJECT_PROGRESS);

	bind_text(st, 1, note);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int64(st, 3, id);
	return (store_done(s, st));
}

/* Call cb for every project. */
int
store_project_list(struct store *s, store_project_cb cb, void *arg)
{
	sqlite3_stmt		*st = store_stmt(s, S_PROJECT_LIST);
	struct project_row	 p;
	int			 rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		project_read(st, &p);
		stop = cb(arg, &p);
		project_row_clear(&p);
	}
	sqlite3_reset(st);
	return (stop || rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* A page of projects by code, after code after ("" for the first). */
int
store_project_page(struct store *s, const char *after, int limit,
    store_project_cb cb, void *arg)
{
	sqlite3_stmt		*st = store_stmt(s, S_PROJECT_PAGE);
	struct project_row	 p;
	int			 rc, stop = 0;

	bind_text(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		project_read(st, &p);
		stop = cb(arg, &p);
		project_row_clear(&p);
	}
	sqlite3_reset(st);
	return (stop || rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Read an item row from the current result. */
static void
item_read_at(sqlite3_stmt *st, int c, struct item_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, c + 0);
	r->project_id = sqlite3_column_int64(st, c + 1);
	r->project_code = col_text(st, c + 2);
	r->project_name = col_text(st, c + 3);
	r->category = col_text(st, c + 4);
	r->region = col_text(st, c + 5);
	r->kind = col_text(st, c + 6);
	r->department = col_text(st, c + 7);
	r->handler = col_text(st, c + 8);
	r->mode = col_text(st, c + 9);
	r->status = col_text(st, c + 10);
	r->accepted_at = sqlite3_column_int64(st, c + 11);
	r->limit = col_text(st, c + 12);
	r->due_at = sqlite3_column_int64(st, c + 13);
	r->explicit_due = sqlite3_column_int(st, c + 14);
	r->supplement_due = sqlite3_column_int64(st, c + 15);
	r->commitment_due = sqlite3_column_int64(st, c + 16);
	r->suspended_at = sqlite3_column_int64(st, c + 17);
	r->suspend_reason = col_text(st, c + 18);
	r->stopped_workdays = sqlite3_column_int(st, c + 19);
	r->stopped_seconds = sqlite3_column_int64(st, c + 20);
	r->blocked_reason = col_text(st, c + 21);
	r->blocked_at = sqlite3_column_int64(st, c + 22);
	r->raised_at = sqlite3_column_int64(st, c + 23);
	r->last_progress_at = sqlite3_column_int64(st, c + 24);
	r->done_at = sqlite3_column_int64(st, c + 25);
	r->created_at = sqlite3_column_int64(st, c + 26);
	r->supplement_done_at = sqlite3_column_int64(st, c + 27);
	r->commitment_verified_at = sqlite3_column_int64(st, c + 28);
	r->commitment_result = col_text(st, c + 29);
}

/* Read an item row from column 0. */
static void
item_read(sqlite3_stmt *st, struct item_row *r)
{
	item_read_at(st, 0, r);
}

/* Load one item: 0 found, 1 not found, -1 error. */
int
store_item_get(struct store *s, int64_t id, struct item_row *r)
{
	sqlite3_stmt	*st = store_stmt(s, S_ITEM_GET);
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		item_read(st, r);
		sqlite3_reset(st);
		return (0);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 1 : store_failed(s));
}

/* Find an item by its natural key (project, kind, department). */
int
store_item_find(struct store *s, int64_t project_id, const char *kind,
    const char *department, int64_t *id)
{
	sqlite3_stmt	*st = store_stmt(s, S_ITEM_FIND);
	int		 rc;

	sqlite3_bind_int64(st, 1, project_id);
	bind_text(st, 2, kind);
	bind_text(st, 3, department);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : store_failed(s));
}

/* Bind the item columns shared by insert and update, from index 1. */
static void
item_bind(sqlite3_stmt *st, const struct item_row *r)
{
	sqlite3_bind_int64(st, 1, r->project_id);
	bind_text(st, 2, r->kind);
	bind_text(st, 3, r->department);
	bind_text(st, 4, r->handler);
	bind_text(st, 5, r->mode ? r->mode : MODE_NORMAL);
	bind_text(st, 6, r->status);
	sqlite3_bind_int64(st, 7, r->accepted_at);
	bind_text(st, 8, r->limit);
	sqlite3_bind_int64(st, 9, r->due_at);
	sqlite3_bind_int(st, 10, r->explicit_due);
	sqlite3_bind_int64(st, 11, r->supplement_due);
	sqlite3_bind_int64(st, 12, r->commitment_due);
	sqlite3_bind_int64(st, 13, r->suspended_at);
	bind_text(st, 14, r->suspend_reason);
	sqlite3_bind_int(st, 15, r->stopped_workdays);
	sqlite3_bind_int64(st, 16, r->stopped_seconds);
	bind_text(st, 17, r->blocked_reason);
	sqlite3_bind_int64(st, 18, r->blocked_at);
	sqlite3_bind_int64(st, 19, r->raised_at);
	sqlite3_bind_int64(st, 20, r->last_progress_at);
	sqlite3_bind_int64(st, 21, r->done_at);
	sqlite3_bind_int64(st, 22, r->created_at);
	sqlite3_bind_int64(st, 23, r->supplement_done_at);
	sqlite3_bind_int64(st, 24, r->commitment_verified_at);
	bind_text(st, 25, r->commitment_result);
}

/* Insert an item; sets r->id. */
int
store_item_insert(struct store *s, struct item_row *r)
{
	sqlite3_stmt	*st = store_stmt(s, S_ITEM_INSERT);

	item_bind(st, r);
	if (store_done(s, st) != 0)
		return (-1);
	r->id = sqlite3_last_insert_rowid(s->db);
	return (store_count_new_items(s, r->id, r->id));
}

/* Run the statements of a range of new rows (schema 18), in order. */
static int
store_count_range(struct store *s, const int *which, int64_t lo, int64_t hi)
{
	sqlite3_stmt	*st;

	for (; *which >= 0; which++) {
		st = store_stmt(s, *which);
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, hi);
		if (store_done(s, st) != 0)
			return (-1);
	}
	return (0);
}

/* Count the new items of ids lo to hi, just inserted. */
int
store_count_new_items(struct store *s, int64_t lo, int64_t hi)
{
	static const int which[] = { S_COUNT_ITEMS_ROWS, S_COUNT_ITEMS,
	    S_COUNT_ITEMS_STAGE_ROWS, S_COUNT_ITEMS_STAGE, S_COUNT_ITEMS_OPEN,
	    -1 };

	return (store_count_range(s, which, lo, hi));
}

/* Count the new tracks of ids lo to hi, just inserted. */
int
store_count_new_tracks(struct store *s, int64_t lo, int64_t hi)
{
	static const int which[] = { S_COUNT_TRACKS_ROWS, S_COUNT_TRACKS, -1 };

	return (store_count_range(s, which, lo, hi));
}

/* Write every column of an item back. */
int
store_item_update(struct store *s, const struct item_row *r)
{
	sqlite3_stmt	*st = store_stmt(s, S_ITEM_UPDATE);

	item_bind(st, r);
	sqlite3_bind_int64(st, 26, r->id);
	return (store_done(s, st));
}

/* Run a row-producing item statement, calling cb per row. */
static int
store_item_walk(struct store *s, sqlite3_stmt *st, store_item_cb cb, void *arg)
{
	struct item_row	 r;
	int		 rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		item_read(st, &r);
		stop = cb(arg, &r);
		item_row_clear(&r);
	}
	sqlite3_reset(st);
	if (!stop && rc != SQLITE_DONE) {
		store_failed(s);
		log_warnx("store: %s", s->lasterr);
		return (-1);
	}
	return (0);
}

/* List items, optionally by status and project code. */
int
store_item_list(struct store *s, const char *status, const char *project,
    int limit, store_item_cb cb, void *arg)
{
	sqlite3_stmt	*st = store_stmt(s, S_ITEM_LIST);

	bind_text(st, 1, status);
	bind_text(st, 2, project);
	sqlite3_bind_int(st, 3, limit > 0 ? limit : -1);
	return (store_item_walk(s, st, cb, arg));
}

/* A page of items (status and project NULL: any) after item id after. */
int
store_item_page(struct store *s, const char *status, const char *project,
    int64_t after, int limit, store_item_cb cb, void *arg)
{
	sqlite3_stmt	*st = store_stmt(s, status != NULL ? (project != NULL ?
			    S_ITEM_PAGE_BOTH : S_ITEM_PAGE_STATUS) :
			    project != NULL ? S_ITEM_PAGE_PROJECT : S_ITEM_PAGE);

	if (status != NULL)
		bind_text(st, 1, status);
	if (project != NULL)
		bind_text(st, 2, project);
	sqlite3_bind_int64(st, 3, after);
	sqlite3_bind_int(st, 4, limit);
	return (store_item_walk(s, st, cb, arg));
}

/* Every item not yet done or cancelled, and every done 告知承诺 item
 * whose commitment is not verified yet. */
int
store_item_each_active(struct store *s, store_item_cb cb, void *arg)
{
	return (store_item_walk(s, store_stmt(s, S_ITEM_ACTIVE), cb, arg));
}

/* Record that item needs another item done first. */
int
store_prereq_add(struct store *s, int64_t item, int64_t needs)
{
	sqlite3_stmt	*st = store_stmt(s, S_PREREQ_ADD);

	sqlite3_bind_int64(st, 1, item);
	sqlite3_bind_int64(st, 2, needs);
	return (store_done(s, st));
}

/* Collect ids from a one-column id statement bound to item. */
static int
store_ids(struct store *s, int which, int64_t item, int64_t *ids, size_t cap,
    size_t *n)
{
	sqlite3_stmt	*st = store_stmt(s, which);
	int		 rc;

	*n = 0;
	sqlite3_bind_int64(st, 1, item);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n < cap)
			ids[*n] = sqlite3_column_int64(st, 0);
		(*n)++;
	}
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Prerequisites of item that are not done yet. */
int
store_prereq_pending(struct store *s, int64_t item, int64_t *ids, size_t cap,
    size_t *n)
{
	return (store_ids(s, S_PREREQ_PENDING, item, ids, cap, n));
}

/* All prerequisites of item. */
int
store_prereq_list(struct store *s, int64_t item, int64_t *ids, size_t cap,
    size_t *n)
{
	return (store_ids(s, S_PREREQ_LIST, item, ids, cap, n));
}

/* Append a dated progress note. */
int
store_progress_add(struct store *s, int64_t project, int64_t item,
    const char *note, int64_t at)
{
	sqlite3_stmt	*st = store_stmt(s, S_PROGRESS_ADD);

	sqlite3_bind_int64(st, 1, project);
	if (item > 0)
		sqlite3_bind_int64(st, 2, item);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, at);
	bind_text(st, 4, note);
	return (store_done(s, st));
}

/* Read a track row. */
static void
track_read(sqlite3_stmt *st, struct track_row *t)
{
	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(st, 0);
	t->item_id = sqlite3_column_int64(st, 1);
	t->kind = col_text(st, 2);
	t->policy = col_text(st, 3);
	t->due_at = sqlite3_column_int64(st, 4);
	t->stage = sqlite3_column_int(st, 5);
	t->stage_name = col_text(st, 6);
	t->rep = sqlite3_column_int(st, 7);
	t->next_at = sqlite3_column_int64(st, 8);
}

/* Load an item's track of one kind: 0 found, 1 none, -1 error. */
int
store_track_get(struct store *s, int64_t item, const char *kind,
    struct track_row *t)
{
	sqlite3_stmt	*st = store_stmt(s, S_TRACK_GET);
	int		 rc;

	sqlite3_bind_int64(st, 1, item);
	bind_text(st, 2, kind);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		track_read(st, t);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : store_failed(s));
}

/*
 * Counting tracks' stage changes (schema 19): a statement answering the
 * stage counts of the tracks about to change (TRACKS_STAGES) is run
 * before the change with sign -1 and after it with sign 1, adding to a
 * tally of differences per stage, which store_stage_apply() writes to
 * the counts once -- what counts_track_upd_old and _new did per row.
 */
struct stage_tally {
	struct stage_diff {
		char	*key;
		int64_t	 n;
	}	*v;
	size_t	 n;
};

/* Add sign times each count st answers; st is reset, its bindings kept. */
static int
store_stage_tally(struct store *s, sqlite3_stmt *st, int sign,
    struct stage_tally *tl)
{
	const char	*key;
	size_t		 i;
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key = (const char *)sqlite3_column_text(st, 0);
		key = key ? key : "";
		for (i = 0; i < tl->n && strcmp(tl->v[i].key, key) != 0; i++)
			;
		if (i == tl->n) {
			tl->v = xreallocarray(tl->v, tl->n + 1, sizeof *tl->v);
			tl->v[tl->n].key = xstrdup(key);
			tl->v[tl->n++].n = 0;
		}
		tl->v[i].n += sign * sqlite3_column_int64(st, 1);
	}
	return (store_finish(s, st, rc));
}

/* Write a tally's differences to the counts (cannot abort: schema 17). */
static int
store_stage_apply(struct store *s, struct stage_tally *tl)
{
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < tl->n; i++) {
		if (tl->v[i].n == 0)
			continue;
		if (tl->v[i].n > 0) {
			st = store_stmt(s, S_COUNT_STAGE_ROW);
			sqlite3_bind_text(st, 1, tl->v[i].key, -1,
			    SQLITE_STATIC);
			if (store_done(s, st) != 0)
				return (-1);
		}
		st = store_stmt(s, S_COUNT_STAGE_ADD);
		sqlite3_bind_text(st, 1, tl->v[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, tl->v[i].n);
		if (store_done(s, st) != 0)
			return (-1);
	}
	return (0);
}

static void
store_stage_tally_clear(struct stage_tally *tl)
{
	size_t	 i;

	for (i = 0; i < tl->n; i++)
		free(tl->v[i].key);
	free(tl->v);
	memset(tl, 0, sizeof *tl);
}

/* Insert (id == 0) or update a track. */
int
store_track_save(struct store *s, struct track_row *t)
{
	sqlite3_stmt		*st, *sel;
	struct stage_tally	 tl;
	int			 rc;

	if (t->id == 0) {
		st = store_stmt(s, S_TRACK_INSERT);
		sqlite3_bind_int64(st, 1, t->item_id);
		bind_text(st, 2, t->kind);
		bind_text(st, 3, t->policy);
		sqlite3_bind_int64(st, 4, t->due_at);
		sqlite3_bind_int(st, 5, t->stage);
		bind_text(st, 6, t->stage_name);
		sqlite3_bind_int(st, 7, t->rep);
		sqlite3_bind_int64(st, 8, t->next_at);
		if (store_done(s, st) != 0)
			return (-1);
		t->id = sqlite3_last_insert_rowid(s->db);
		return (store_count_new_tracks(s, t->id, t->id));
	}
	memset(&tl, 0, sizeof tl);
	sel = store_stmt(s, S_TRACK_STAGE);
	sqlite3_bind_int64(sel, 1, t->id);
	st = store_stmt(s, S_TRACK_UPDATE);
	bind_text(st, 1, t->policy);
	sqlite3_bind_int64(st, 2, t->due_at);
	sqlite3_bind_int(st, 3, t->stage);
	bind_text(st, 4, t->stage_name);
	sqlite3_bind_int(st, 5, t->rep);
	sqlite3_bind_int64(st, 6, t->next_at);
	sqlite3_bind_int64(st, 7, t->id);
	rc = store_stage_tally(s, sel, -1, &tl) != 0 || store_done(s, st) != 0 ||
	    store_stage_tally(s, sel, 1, &tl) != 0 ||
	    store_stage_apply(s, &tl) != 0 ? -1 : 0;
	store_stage_tally_clear(&tl);
	return (rc);
}

/* Remove an item's track of one kind. */
int
store_track_delete(struct store *s, int64_t item, const char *kind)
{
	sqlite3_stmt	*st = store_stmt(s, S_TRACK_DELETE);

	sqlite3_bind_int64(st, 1, item);
	bind_text(st, 2, kind);
	return (store_done(s, st));
}

/* Run a row-producing track statement; cb may not use the same statement. */
static int
store_track_walk(struct store *s, sqlite3_stmt *st, store_track_cb cb,
    void *arg)
{
	struct track_row	*rows = NULL, t;
	size_t			 n = 0, i;
	int			 rc, stop = 0;

	/* Collect first: callbacks write to the same tables. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		track_read(st, &t);
		rows = xreallocarray(rows, n + 1, sizeof *rows);
		rows[n++] = t;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		log_warnx("store: %s", sqlite3_errmsg(s->db));
	for (i = 0; i < n; i++) {
		if (!stop && rc == SQLITE_DONE)
			stop = cb(arg, &rows[i]);
		track_row_clear(&rows[i]);
	}
	free(rows);
	return (rc == SQLITE_DONE ? (stop < 0 ? -1 : 0) : store_failed(s));
}

/* Every track of one item. */
int
store_track_each(struct store *s, int64_t item, store_track_cb cb, void *arg)
{
	sqlite3_stmt	*st = store_stmt(s, S_TRACK_EACH);

	sqlite3_bind_int64(st, 1, item);
	return (store_track_walk(s, st, cb, arg));
}

/* Every track (reload re-evaluation). */
int
store_track_all(struct store *s, store_track_cb cb, void *arg)
{
	return (store_track_walk(s, store_stmt(s, S_TRACK_ALL), cb, arg));
}

/* A page of due tracks with their items. */
#define DUE_PAGE	512
struct due_page {
	struct track_row t[DUE_PAGE];
	struct item_row	 it[DUE_PAGE];
	char		 have[DUE_PAGE];
	size_t		 n;
	int		 full;
};

/* Add st's next rows to a page until it is full: SQLITE_ROW when it is,
 * else what the last sqlite3_step() said (SQLITE_DONE at the end). */
static int
due_page_fill(sqlite3_stmt *st, struct due_page *pg)
{
	int	 rc = SQLITE_ROW;

	while (pg->n < DUE_PAGE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		track_read(st, &pg->t[pg->n]);
		pg->have[pg->n] = sqlite3_column_type(st, 9) != SQLITE_NULL;
		if (pg->have[pg->n])
			item_read_at(st, 9, &pg->it[pg->n]);
		pg->n++;
	}
	return (rc);
}

/* Read the page after (*last_at, *last_id) with st: 0, or -1. */
static int
due_page_read(sqlite3_stmt *st, int64_t now, int64_t *last_at,
    int64_t *last_id, struct due_page *pg)
{
	int	 rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, *last_at);
	sqlite3_bind_int64(st, 3, *last_id);
	sqlite3_bind_int(st, 4, DUE_PAGE);
	pg->n = 0;
	rc = due_page_fill(st, pg);
	sqlite3_reset(st);
	if (pg->n > 0) {
		*last_at = pg->t[pg->n - 1].next_at;
		*last_id = pg->t[pg->n - 1].id;
	}
	return (rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1);
}

/* Free a page's rows. */
static void
due_page_clear(struct due_page *pg)
{
	size_t	 i;

	for (i = 0; i < pg->n; i++) {
		track_row_clear(&pg->t[i]);
		if (pg->have[i])
			item_row_clear(&pg->it[i]);
	}
	pg->n = 0;
}

/* Run the callback over a page (from stop == 0); the callback's result. */
static int
due_page_run(struct due_page *pg, store_track_item_cb cb, void *arg,
    int stop)
{
	size_t	 i;

	for (i = 0; i < pg->n && stop == 0; i++)
		stop = cb(arg, &pg->t[i], pg->have[i] ? &pg->it[i] : NULL);
	return (stop);
}

/* The reading thread of a prefetched walk and what it shares. */
struct due_prefetch {
	struct store	*s;
	int64_t		 now;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct due_page	*pages[2];	/* filled in turn */
	int		 eof, abort;
	char		 err[256];
};

static void *
due_prefetch_main(void *arg)
{
	struct due_prefetch	*p = arg;
	struct store		*s = p->s;
	sqlite3_stmt		*st = s->rdue;
	struct due_page		*pg;
	int			 k = 0, rc = SQLITE_ROW;

	pthread_setname_np(pthread_self(), "due-reader");
	/*
	 * One statement over the whole walk, in one snapshot: the state the
	 * step started on.  (Pages by key, as without the thread, would each
	 * skip again every track before them: they are still due here.)
	 */
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, p->now);
	sqlite3_bind_int64(st, 2, 0);
	sqlite3_bind_int64(st, 3, 0);
	sqlite3_bind_int(st, 4, -1);
	while (rc == SQLITE_ROW) {
		pg = p->pages[k];
		pthread_mutex_lock(&p->mu);
		while (pg->full && !p->abort)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (p->abort)
			break;
		/* Rows are freed by the thread that allocated them. */
		due_page_clear(pg);
		rc = due_page_fill(st, pg);
		pthread_mutex_lock(&p->mu);
		pg->full = 1;
		if (rc != SQLITE_ROW || pg->n < DUE_PAGE)
			p->eof = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		k ^= 1;
	}
	pthread_mutex_lock(&p->mu);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		snprintf(p->err, sizeof p->err, "%s", sqlite3_errmsg(s->rdb));
	p->eof = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	sqlite3_reset(st);
	return (NULL);
}

/*
 * The walk with the reader: a thread reads page k + 1 while the callback
 * works through page k.  It reads the last committed state, which is what
 * the caller's transaction sees as long as the walk starts it: the
 * callback's own writes never make a track due that the walk has not yet
 * reached (a track it advances is due later, one it creates is not due).
 */
static int
store_track_due_prefetch(struct store *s, int64_t now, store_track_item_cb cb,
    void *arg)
{
	struct due_prefetch	 p;
	struct due_page		*pg;
	pthread_t		 th;
	int			 k = 0, stop = 0, last;

	memset(&p, 0, sizeof p);
	p.s = s;
	p.now = now;
	p.pages[0] = xcalloc(1, sizeof *p.pages[0]);
	p.pages[1] = xcalloc(1, sizeof *p.pages[1]);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (pthread_create(&th, NULL, due_prefetch_main, &p) != 0) {
		pthread_mutex_destroy(&p.mu);
		pthread_cond_destroy(&p.cv);
		free(p.pages[0]);
		free(p.pages[1]);
		return (1);	/* read it without the thread */
	}
	for (;;) {
		pg = p.pages[k];
		pthread_mutex_lock(&p.mu);
		while (!pg->full && !p.eof)
			pthread_cond_wait(&p.cv, &p.mu);
		if (!pg->full) {
			pthread_mutex_unlock(&p.mu);
			break;
		}
		last = p.eof && !p.pages[k ^ 1]->full;
		pthread_mutex_unlock(&p.mu);
		stop = due_page_run(pg, cb, arg, stop);
		pthread_mutex_lock(&p.mu);
		pg->full = 0;
		if (stop != 0)
			p.abort = 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (stop != 0 || last)
			break;
		k ^= 1;
	}
	pthread_join(th, NULL);
	due_page_clear(p.pages[0]);
	due_page_clear(p.pages[1]);
	if (p.err[0] != '\0') {
		log_warnx("store: %s", p.err);
		stop = -1;
	}
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	free(p.pages[0]);
	free(p.pages[1]);
	return (stop < 0 ? -1 : 0);
}

/*
 * Due tracks with their items (item NULL when the item is gone), earliest
 * first, read a page at a time so that a step over a great many tracks
 * holds one or two pages in memory.  The callback may write to the same
 * tables: each page is read completely before it runs.  With the reader
 * connection (store_reader_start()) the next page is read meanwhile, from
 * the last committed state: a caller in a transaction must not have
 * written anything before the walk (the step begins with it).
 */
int
store_track_due_items(struct store *s, int64_t now, store_track_item_cb cb,
    void *arg)
{
	sqlite3_stmt	*st = store_stmt(s, S_TRACK_DUE_ITEMS);
	struct due_page	*pg;
	int64_t		 last_at = 0, last_id = 0;
	int		 rc, stop = 0;

	if (s->rdb != NULL &&
	    (rc = store_track_due_prefetch(s, now, cb, arg)) <= 0)
		return (rc);
	pg = xcalloc(1, sizeof *pg);
	do {
		if (due_page_read(st, now, &last_at, &last_id, pg) != 0) {
			log_warnx("store: %s", sqlite3_errmsg(s->db));
			stop = -1;
		}
		rc = pg->n == DUE_PAGE;
		stop = due_page_run(pg, cb, arg, stop);
		due_page_clear(pg);
	} while (stop == 0 && rc);
	free(pg);
	return (stop < 0 ? -1 : 0);
}

/* The earliest next action: 0 and *at, 1 when nothing is scheduled. */
int
store_next_wakeup(struct store *s, int64_t *at)
{
	sqlite3_stmt	*st = store_stmt(s, S_NEXT_WAKEUP);
	int		 rc, none = 1;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*at = sqlite3_column_int64(st, 0);
		none = 0;
	}
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? none : store_failed(s));
}

/* Claim a (track, deadline, stage, repetition): 0 new, 1 already fired,
 * -1 error. */
int
store_fired_insert(struct store *s, int64_t track, int64_t due, int64_t item,
    const char *stage, int rep, int64_t at)
{
	sqlite3_stmt	*st = store_stmt(s, S_FIRED_INSERT);

	sqlite3_bind_int64(st, 1, track);
	sqlite3_bind_int64(st, 2, due);
	sqlite3_bind_int64(st, 3, item);
	bind_text_static(st, 4, stage);
	sqlite3_bind_int(st, 5, rep);
	sqlite3_bind_int64(st, 6, at);
	if (store_done(s, st) != 0)
		return (-1);
	return (sqlite3_changes(s->db) == 0 ? 1 : 0);
}

/* The ids of the items a message lists. */
int
store_outbox_item_ids(struct store *s, int64_t outbox, int64_t **ids,
    size_t *n)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_ITEM_IDS);
	size_t		 cap = 0;
	int		 rc;

	*ids = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, outbox);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Message id is part k of n: its MESSAGE_PART_MARKs read as " (k/n)". */
int
store_outbox_mark(struct store *s, int64_t id, size_t k, size_t n)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_MARK);

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)k);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
	return (store_done(s, st));
}

/* Queue a message; sets o->id. */
int
store_outbox_insert(struct store *s, struct outbox_row *o)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_INSERT);

	bind_text(st, 1, o->channel);
	bind_text(st, 2, o->stage);
	bind_text(st, 3, o->severity);
	bind_text(st, 4, o->mobiles);
	bind_text(st, 5, o->userids);
	sqlite3_bind_int64(st, 6, o->not_before);
	sqlite3_bind_int64(st, 7, o->not_before);
	sqlite3_bind_int64(st, 8, o->created_at);
	if (o->follows != 0)
		sqlite3_bind_int64(st, 9, o->follows);
	else
		sqlite3_bind_null(st, 9);
	if (store_done(s, st) != 0)
		return (-1);
	o->id = sqlite3_last_insert_rowid(s->db);
	st = store_stmt(s, S_OUTBOX_BODY_INSERT);
	sqlite3_bind_int64(st, 1, o->id);
	bind_text(st, 2, o->title);
	bind_text(st, 3, o->text);
	bind_text(st, 4, o->event);
	return (store_done(s, st));
}

/* Record that a message is about an item. */
int
store_outbox_link(struct store *s, int64_t outbox, int64_t item)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_LINK);

	sqlite3_bind_int64(st, 1, outbox);
	sqlite3_bind_int64(st, 2, item);
	return (store_done(s, st));
}

/*
 * Statements that write STORE_MANY rows at once, for the step's per-item
 * writes (a storm escalates many thousands of items): the same rows as
 * one statement each, at a fraction of the statements' cost.  Prepared on
 * first use as head, STORE_MANY times tuple (comma-separated), tail.
 */
#define STORE_MANY	128

#define STORE_LOG_PARAMS 9	/* store_bind_log()'s */
static void	store_bind_log(struct store *, sqlite3_stmt *, int,
		    const struct store_log_in *, sqlite3_destructor_type);

static sqlite3_stmt *
store_many(struct store *s, sqlite3_stmt **stp, const char *head,
    const char *tuple, const char *tail)
{
	char	*sql, *p;
	size_t	 j;

	if (*stp != NULL)
		return (*stp);
	p = sql = xmalloc(strlen(head) + strlen(tail) + 1 +
	    STORE_MANY * (strlen(tuple) + 1));
	p += sprintf(p, "%s", head);
	for (j = 0; j < STORE_MANY; j++)
		p += sprintf(p, "%s%s", j ? "," : "", tuple);
	sprintf(p, "%s", tail);
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stp,
	    NULL) != SQLITE_OK) {
		log_warnx("store: %s", sqlite3_errmsg(s->db));
		*stp = NULL;
	}
	free(sql);
	return (*stp);
}

/* Record that a message is about items[0..n). */
int
store_outbox_links(struct store *s, int64_t outbox, const int64_t *items,
    size_t n)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i = 0, j;

	if (n >= STORE_MANY)
		st = store_many(s, &s->links, "INSERT OR IGNORE INTO"
		    " outbox_items (outbox_id, item_id) VALUES ", "(?1,?)", "");
	for (; st != NULL && i + STORE_MANY <= n; i += STORE_MANY) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, outbox);
		for (j = 0; j < STORE_MANY; j++)
			sqlite3_bind_int64(st, (int)j + 2, items[i + j]);
		if (store_done(s, st) != 0)
			return (-1);
	}
	for (; i < n; i++)
		if (store_outbox_link(s, outbox, items[i]) != 0)
			return (-1);
	return (0);
}

/* Append v[0..n) to the log, in order. */
int
store_log_many(struct store *s, const struct store_log_in *v, size_t n)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i = 0, j;

	if (n >= STORE_MANY)
		st = store_many(s, &s->logs, "INSERT INTO log (at, item_id,"
		    " project, stage, channel, outcome, detail, outbox_id,"
		    " actor) VALUES ", "(?,?,?,?,?,?,?,?,?)", "");
	for (; st != NULL && i + STORE_MANY <= n; i += STORE_MANY) {
		sqlite3_reset(st);
		for (j = 0; j < STORE_MANY; j++)
			store_bind_log(s, st, (int)j * STORE_LOG_PARAMS,
			    &v[i + j], SQLITE_STATIC);
		if (store_done(s, st) != 0)
			return (-1);
	}
	for (; i < n; i++)
		if (store_log_message(s, v[i].at, v[i].outbox, v[i].item,
		    v[i].project, v[i].stage, v[i].channel, v[i].outcome,
		    v[i].detail) != 0)
			return (-1);
	return (0);
}

/* Write back v[0..n), tracks that exist (id > 0), each once. */
int
store_track_update_many(struct store *s, struct track_row *v, size_t n)
{
	sqlite3_stmt		*st = NULL, *sel = NULL;
	struct stage_tally	 tl;
	size_t			 i = 0, j;
	int			 b, rc = -1;

	memset(&tl, 0, sizeof tl);
	if (n >= STORE_MANY) {
		st = store_many(s, &s->tracks, "UPDATE tracks SET policy ="
		    " v.column2, due_at = v.column3, stage = v.column4,"
		    " stage_name = v.column5, rep = v.column6, next_at ="
		    " v.column7 FROM (VALUES ", "(?,?,?,?,?,?,?)",
		    ") AS v WHERE tracks.id = v.column1");
		sel = store_many(s, &s->stages, TRACKS_STAGES " IN (", "?",
		    ") GROUP BY 1");
	}
	for (; st != NULL && sel != NULL && i + STORE_MANY <= n;
	    i += STORE_MANY) {
		sqlite3_reset(st);
		for (j = 0; j < STORE_MANY; j++)
			sqlite3_bind_int64(sel, (int)j + 1, v[i + j].id);
		if (store_stage_tally(s, sel, -1, &tl) != 0)
			goto out;
		for (j = 0; j < STORE_MANY; j++) {
			const struct track_row *t = &v[i + j];
			b = (int)j * 7;
			sqlite3_bind_int64(st, b + 1, t->id);
			bind_text_static(st, b + 2, t->policy);
			sqlite3_bind_int64(st, b + 3, t->due_at);
			sqlite3_bind_int(st, b + 4, t->stage);
			bind_text_static(st, b + 5, t->stage_name);
			sqlite3_bind_int(st, b + 6, t->rep);
			sqlite3_bind_int64(st, b + 7, t->next_at);
		}
		if (store_done(s, st) != 0 ||
		    store_stage_tally(s, sel, 1, &tl) != 0)
			goto out;
	}
	if (store_stage_apply(s, &tl) != 0)
		goto out;
	for (; i < n; i++)
		if (store_track_save(s, &v[i]) != 0)
			goto out;
	rc = 0;
out:
	store_stage_tally_clear(&tl);
	return (rc);
}

/* Read an outbox row. */
static void
outbox_read(sqlite3_stmt *st, struct outbox_row *o)
{
	char	*t;
	int	 part, parts;

	memset(o, 0, sizeof *o);
	o->id = sqlite3_column_int64(st, 0);
	o->channel = col_text(st, 1);
	o->stage = col_text(st, 2);
	o->title = col_text(st, 3);
	o->text = col_text(st, 4);
	o->severity = col_text(st, 5);
	o->mobiles = col_text(st, 6);
	o->userids = col_text(st, 7);
	o->event = col_text(st, 8);
	o->status = col_text(st, 9);
	o->attempts = sqlite3_column_int(st, 10);
	o->not_before = sqlite3_column_int64(st, 11);
	o->next_attempt = sqlite3_column_int64(st, 12);
	o->created_at = sqlite3_column_int64(st, 13);
	o->sent_at = sqlite3_column_int64(st, 14);
	o->code = (long)sqlite3_column_int64(st, 15);
	o->error = col_text(st, 16);
	part = sqlite3_column_int(st, 17);
	parts = sqlite3_column_int(st, 18);
	o->follows = sqlite3_column_int64(st, 19);
	if (parts > 0 && part > 0) {
		/* A part of a grouped message: its " (k/N)" goes in now. */
		if (o->title != NULL) {
			t = part_mark(o->title, (size_t)part, (size_t)parts);
			free(o->title);
			o->title = t;
		}
		if (o->text != NULL) {
			t = part_mark(o->text, (size_t)part, (size_t)parts);
			free(o->text);
			o->text = t;
		}
	}
}

/* Load a message's delivery state (title, text and event NULL): 0 found,
 * 1 not found, -1 error. */
int
store_outbox_get(struct store *s, int64_t id, struct outbox_row *o)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_GET);
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		outbox_read(st, o);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : store_failed(s));
}

/* The oldest queued message of a channel: 0 found, 1 none, -1 error. */
int
store_outbox_next(struct store *s, const char *channel, struct outbox_row *o)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_NEXT);
	int		 rc;

	bind_text(st, 1, channel);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		outbox_read(st, o);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : store_failed(s));
}

/* Write a message's delivery state back; a failed one fails its follow-up. */
int
store_outbox_update(struct store *s, const struct outbox_row *o)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_UPDATE);

	bind_text(st, 1, o->status);
	sqlite3_bind_int(st, 2, o->attempts);
	sqlite3_bind_int64(st, 3, o->next_attempt);
	sqlite3_bind_int64(st, 4, o->sent_at);
	sqlite3_bind_int64(st, 5, o->code);
	bind_text(st, 6, o->error);
	sqlite3_bind_int64(st, 7, o->id);
	if (store_done(s, st) != 0)
		return (-1);
	if (o->status == NULL || strcmp(o->status, "failed") != 0)
		return (0);
	/* Its follow-up mentions people about a message never shown. */
	st = store_stmt(s, S_OUTBOX_FAIL_FOLLOWS);
	sqlite3_bind_int64(st, 1, o->id);
	sqlite3_bind_int64(st, 2, o->code);
	return (store_done(s, st));
}

/* Messages with id greater than after_id, in order. */
int
store_outbox_since(struct store *s, int64_t after_id, store_outbox_cb cb,
    void *arg)
{
	sqlite3_stmt		*st = store_stmt(s, S_OUTBOX_SINCE);
	struct outbox_row	 o;
	int			 rc, stop = 0;

	sqlite3_bind_int64(st, 1, after_id);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		outbox_read(st, &o);
		stop = cb(arg, &o);
		outbox_row_clear(&o);
	}
	sqlite3_reset(st);
	return (stop || rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* The channels an item was escalated to (for the closing notice). */
int
store_outbox_channels_of_item(struct store *s, int64_t item, char ***channels,
    size_t *n)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_CHANNELS);
	int		 rc;

	*channels = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, item);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*channels = xreallocarray(*channels, *n + 1, sizeof **channels);
		(*channels)[(*n)++] = col_text(st, 0);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Count messages by channel (NULL: all) and status. */
int
store_outbox_count(struct store *s, const char *channel, const char *status,
    int64_t *n)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (channel != NULL) {
		st = store_stmt(s, S_OUTBOX_COUNT);
		bind_text(st, 1, channel);
		bind_text(st, 2, status);
	} else {
		st = store_stmt(s, S_OUTBOX_COUNT_ALL);
		bind_text(st, 1, status);
	}
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : store_failed(s));
}

/* Mark every queued message of a channel failed (credentials wrong);
 * *n gets how many. */
int
store_outbox_fail_channel(struct store *s, const char *channel, long code,
    const char *why, int64_t *n)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_FAIL_CHANNEL);

	*n = 0;
	sqlite3_bind_int64(st, 1, code);
	bind_text(st, 2, why);
	bind_text(st, 3, channel);
	if (store_done(s, st) != 0)
		return (-1);
	*n = sqlite3_changes(s->db);
	return (0);
}

/* A message's title as it is shown (a part's " (k/N)" put in): 0 found,
 * 1 not found, -1 error. */
int
store_outbox_title(struct store *s, int64_t id, char **title)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_TITLE);
	char		*t;
	int		 rc, part, parts;

	*title = NULL;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*title = col_text(st, 0);
		part = sqlite3_column_int(st, 1);
		parts = sqlite3_column_int(st, 2);
		if (*title != NULL && part > 0 && parts > 0) {
			t = part_mark(*title, (size_t)part, (size_t)parts);
			free(*title);
			*title = t;
		}
	}
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : store_failed(s));
}

/* Messages chosen by a filter (struct outbox_filter), in id order. */
int
store_outbox_list(struct store *s, const struct outbox_filter *f,
    store_outbox_cb cb, void *arg)
{
	sqlite3_stmt		*st = store_stmt(s, S_OUTBOX_LIST);
	struct outbox_row	 o;
	int			 rc, stop = 0;

	bind_text(st, 1, f->channel);
	bind_text(st, 2, f->status);
	sqlite3_bind_int64(st, 3, f->item);
	sqlite3_bind_int64(st, 4, f->after);
	sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		outbox_read(st, &o);
		stop = cb(arg, &o);
		outbox_row_clear(&o);
	}
	sqlite3_reset(st);
	return (stop || rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Queued messages per channel (cb gets each channel and its count). */
int
store_outbox_waiting(struct store *s, void (*cb)(void *, const char *,
    int64_t), void *arg)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_WAITING);
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Bind the selection of an operator's action (OUTBOX_ACT_WHERE). */
static void
store_bind_act(sqlite3_stmt *st, const struct outbox_act *a,
    const char *status)
{
	sqlite3_bind_int64(st, 1, a->id);
	bind_text(st, 2, a->channel);
	bind_text(st, 3, status);
}

/*
 * Apply an operator's action to the messages it selects, each logged
 * with the detail: retry re-queues failed ones, move gives unsent ones
 * to a->to, drop ends unsent ones with a->reason.  *n gets how many.
 */
int
store_outbox_act(struct store *s, enum outbox_action what,
    const struct outbox_act *a, int64_t at, const char *detail, int64_t *n)
{
	static const char	*outcomes[] = { "requeued", "moved", "dropped" };
	static const int	 which[] = { S_OUTBOX_RETRY, S_OUTBOX_MOVE,
				    S_OUTBOX_DROP };
	const char		*status = what == OUTBOX_RETRY ? "failed" : NULL;
	sqlite3_stmt		*st;

	*n = 0;
	st = store_stmt(s, S_OUTBOX_ACT_LOG);
	store_bind_act(st, a, status);
	sqlite3_bind_int64(st, 4, at);
	bind_text(st, 5, outcomes[what]);
	bind_text(st, 6, detail);
	sqlite3_bind_text(st, 7, store_actor(s), -1, SQLITE_STATIC);
	if (store_done(s, st) != 0)
		return (-1);
	st = store_stmt(s, which[what]);
	store_bind_act(st, a, status);
	if (what == OUTBOX_MOVE)
		bind_text(st, 4, a->to);
	else if (what == OUTBOX_DROP)
		bind_text(st, 4, a->reason);
	if (store_done(s, st) != 0)
		return (-1);
	*n = sqlite3_changes(s->db);
	return (0);
}

/* Count n permanent failures of a channel not yet told to the admin;
 * the reason and title are kept from the first. */
int
store_failure_add(struct store *s, const char *channel, long code,
    const char *reason, int64_t n, int64_t at, const char *title, int paused)
{
	sqlite3_stmt	*st = store_stmt(s, S_FAILURE_ADD);

	bind_text(st, 1, channel);
	sqlite3_bind_int64(st, 2, code);
	bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, n);
	sqlite3_bind_int64(st, 5, at);
	bind_text(st, 6, title);
	sqlite3_bind_int(st, 7, paused);
	return (store_done(s, st));
}

/* The failures not yet told, of one channel or all (NULL), as a malloc'd
 * array ordered by channel and first occurrence. */
int
store_failure_list(struct store *s, const char *channel,
    struct failure_row **out, size_t *n)
{
	sqlite3_stmt		*st = store_stmt(s, S_FAILURE_EACH);
	struct failure_row	*f;
	int			 rc;

	*out = NULL;
	*n = 0;
	bind_text(st, 1, channel);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		f = &(*out)[(*n)++];
		f->channel = col_text(st, 0);
		f->code = (long)sqlite3_column_int64(st, 1);
		f->reason = col_text(st, 2);
		f->n = sqlite3_column_int64(st, 3);
		f->since = sqlite3_column_int64(st, 4);
		f->title = col_text(st, 5);
		f->paused = sqlite3_column_int(st, 6);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		failure_rows_free(*out, *n);
		*out = NULL;
		*n = 0;
		return (store_failed(s));
	}
	return (0);
}

/* Free an array of failure rows. */
void
failure_rows_free(struct failure_row *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(f[i].channel);
		free(f[i].reason);
		free(f[i].title);
	}
	free(f);
}

/* Forget a channel's failures once told. */
int
store_failure_clear(struct store *s, const char *channel)
{
	sqlite3_stmt	*st = store_stmt(s, S_FAILURE_CLEAR);

	bind_text(st, 1, channel);
	return (store_done(s, st));
}

/* When the admin was last told about a channel (*at 0: never). */
int
store_notice_get(struct store *s, const char *channel, int64_t *at)
{
	sqlite3_stmt	*st = store_stmt(s, S_NOTICE_GET);
	int		 rc;

	*at = 0;
	bind_text(st, 1, channel);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Record that the admin was told about a channel at a time. */
int
store_notice_set(struct store *s, const char *channel, int64_t at)
{
	sqlite3_stmt	*st = store_stmt(s, S_NOTICE_SET);

	bind_text(st, 1, channel);
	sqlite3_bind_int64(st, 2, at);
	return (store_done(s, st));
}

/*
 * Bind a log entry from parameter base + 1 (S_LOG_INSERT's nine, the
 * last the transaction's actor); with SQLITE_STATIC its strings must
 * stay put until the statement has run.
 */
static void
store_bind_log(struct store *s, sqlite3_stmt *st, int base,
    const struct store_log_in *l, sqlite3_destructor_type how)
{
	const char	*v[] = { l->project, l->stage, l->channel, l->outcome,
			    l->detail };
	size_t		 i;

	sqlite3_bind_int64(st, base + 1, l->at);
	if (l->item > 0)
		sqlite3_bind_int64(st, base + 2, l->item);
	else
		sqlite3_bind_null(st, base + 2);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		if (v[i] == NULL)
			sqlite3_bind_null(st, base + 3 + (int)i);
		else
			sqlite3_bind_text(st, base + 3 + (int)i, v[i], -1, how);
	}
	if (l->outbox > 0)
		sqlite3_bind_int64(st, base + 8, l->outbox);
	else
		sqlite3_bind_null(st, base + 8);
	/* The actor lives as long as the transaction, past the statement. */
	sqlite3_bind_text(st, base + 9, store_actor(s), -1, SQLITE_STATIC);
}

/* Append to the action log; outbox > 0 ties the entry to a message. */
int
store_log_message(struct store *s, int64_t at, int64_t outbox, int64_t item,
    const char *project, const char *stage, const char *channel,
    const char *outcome, const char *detail)
{
	sqlite3_stmt		*st = store_stmt(s, S_LOG_INSERT);
	struct store_log_in	 l;

	l.at = at;
	l.item = item;
	l.outbox = outbox;
	l.project = project;
	l.stage = stage;
	l.channel = channel;
	l.outcome = outcome;
	l.detail = detail;
	store_bind_log(s, st, 0, &l, SQLITE_TRANSIENT);
	return (store_done(s, st));
}

/* Append to the action log. */
int
store_log(struct store *s, int64_t at, int64_t item, const char *project,
    const char *stage, const char *channel, const char *outcome,
    const char *detail)
{
	return (store_log_message(s, at, 0, item, project, stage, channel,
	    outcome, detail));
}

/* The last limit log entries (of one item when item > 0), oldest first. */
int
store_log_list(struct store *s, int64_t item, int limit, store_log_cb cb,
    void *arg)
{
	struct log_filter	 f;

	memset(&f, 0, sizeof f);
	f.item = item;
	f.limit = limit;
	return (store_log_query(s, &f, cb, arg));
}

/*
 * The log entries f selects, oldest first: the last f->limit of them, or
 * with f->cursor the first f->limit after id f->after (a follower's).
 * Every filter is a term of the one statement, on an index: log_item and
 * log_outbox (an item's entries and its messages'; a project's through
 * its items, and its own through log_project), log_at, log_actor (the
 * actors other than the daemon).
 */
int
store_log_query(struct store *s, const struct log_filter *f, store_log_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;
	struct log_row	 l;
	char		 sql[2048], *hi = NULL, *q;
	size_t		 alen = 0;
	int		 rc, stop = 0, prefix = 0, daemon;

	if (f->item > 0)
		snprintf(sql, sizeof sql, "SELECT * FROM (SELECT id, at,"
		    " ?1 AS item_id, project, stage, channel, outcome, detail,"
		    " actor FROM log WHERE item_id = ?1 UNION ALL SELECT l.id,"
		    " l.at, ?1, (SELECT p.code FROM items i JOIN projects p ON"
		    " p.id = i.project_id WHERE i.id = ?1), l.stage, l.channel,"
		    " l.outcome, l.detail, l.actor FROM outbox_items x JOIN log l"
		    " ON l.outbox_id = x.outbox_id WHERE x.item_id = ?1 AND"
		    " l.item_id IS NOT ?1) WHERE 1");
	else
		snprintf(sql, sizeof sql, "SELECT id, at, item_id, project,"
		    " stage, channel, outcome, detail, actor FROM log WHERE 1");
#define TERM(t) strncat(sql, t, sizeof sql - strlen(sql) - 1)
	/* Entries naming a project name one of its items too. */
	if (f->project != NULL && f->item > 0)
		TERM(" AND project = ?2");
	else if (f->project != NULL)
		TERM(" AND (item_id IN (SELECT i.id FROM items i JOIN projects p"
		    " ON p.id = i.project_id WHERE p.code = ?2) OR (item_id IS"
		    " NULL AND project = ?2))");
	if (f->actor != NULL) {
		alen = strlen(f->actor);
		if (alen > 0 && f->actor[alen - 1] == '*') {
			prefix = 1;
			alen--;
		}
		daemon = prefix ? alen <= strlen(STORE_ACTOR_DAEMON) &&
		    strncmp(f->actor, STORE_ACTOR_DAEMON, alen) == 0 :
		    strcmp(f->actor, STORE_ACTOR_DAEMON) == 0;
		/* The partial index log_actor holds the others' entries. */
		if (!daemon)
			TERM(" AND actor <> '" STORE_ACTOR_DAEMON "'");
		if (!prefix)
			TERM(" AND actor = ?3");
		else if (alen > 0 &&
		    (unsigned char)f->actor[alen - 1] < 0xff) {
			/* [prefix, prefix with its last byte + 1) */
			hi = xstrndup(f->actor, alen);
			hi[alen - 1]++;
			TERM(" AND actor >= ?3 AND actor < ?4");
		} else if (alen > 0)
			TERM(" AND actor >= ?3");
	}
	if (f->since > 0)
		TERM(" AND at >= ?5");
	if (f->until > 0)
		TERM(" AND at <= ?6");
	if (f->cursor)
		TERM(" AND id > ?7 ORDER BY id LIMIT ?8");
	else
		TERM(" ORDER BY id DESC LIMIT ?8");
#undef TERM
	/* Without a cursor: the last ones, turned oldest first. */
	if (!f->cursor)
		xasprintf(&q, "SELECT * FROM (%s) ORDER BY id", sql);
	else
		q = xstrdup(sql);
	rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
	free(q);
	if (rc != SQLITE_OK) {
		free(hi);
		return (store_failed(s));
	}
	if (f->item > 0)
		sqlite3_bind_int64(st, 1, f->item);
	if (f->project != NULL)
		bind_text(st, 2, f->project);
	if (f->actor != NULL && alen > 0)
		sqlite3_bind_text(st, 3, f->actor, (int)alen, SQLITE_STATIC);
	if (hi != NULL)
		bind_text(st, 4, hi);
	if (f->since > 0)
		sqlite3_bind_int64(st, 5, f->since);
	if (f->until > 0)
		sqlite3_bind_int64(st, 6, f->until);
	if (f->cursor)
		sqlite3_bind_int64(st, 7, f->after);
	sqlite3_bind_int(st, 8, f->limit > 0 ? f->limit : -1);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&l, 0, sizeof l);
		l.id = sqlite3_column_int64(st, 0);
		l.at = sqlite3_column_int64(st, 1);
		l.item_id = sqlite3_column_int64(st, 2);
		l.project = col_text(st, 3);
		l.stage = col_text(st, 4);
		l.channel = col_text(st, 5);
		l.outcome = col_text(st, 6);
		l.detail = col_text(st, 7);
		l.actor = col_text(st, 8);
		stop = cb(arg, &l);
		log_row_clear(&l);
	}
	if (!stop && rc != SQLITE_DONE)
		store_failed(s);
	sqlite3_finalize(st);
	free(hi);
	return (stop || rc == SQLITE_DONE ? 0 : -1);
}

/* Claim an API event id: 0 new, 1 seen before, -1 error. */
int
store_event_claim(struct store *s, const char *event_id, int64_t item,
    int64_t at)
{
	sqlite3_stmt	*st = store_stmt(s, S_EVENT_CLAIM);

	bind_text(st, 1, event_id);
	sqlite3_bind_int64(st, 2, item);
	sqlite3_bind_int64(st, 3, at);
	if (store_done(s, st) != 0)
		return (-1);
	return (sqlite3_changes(s->db) == 0 ? 1 : 0);
}

/* Count items in one status. */
int
store_count_status(struct store *s, const char *status, int64_t *n)
{
	sqlite3_stmt	*st = store_stmt(s, S_COUNT_STATUS);
	int		 rc;

	bind_text(st, 1, status);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : store_failed(s));
}

/* Active items by the last stage fired on their main deadline. */
int
store_count_stages(struct store *s, void (*cb)(void *, const char *, int64_t),
    void *arg)
{
	sqlite3_stmt	*st = store_stmt(s, S_COUNT_STAGES);
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* Claim a report period: 0 new, 1 already sent, -1 error. */
int
store_report_claim(struct store *s, const char *name, const char *period,
    int64_t at)
{
	sqlite3_stmt	*st = store_stmt(s, S_REPORT_CLAIM);

	bind_text(st, 1, name);
	bind_text(st, 2, period);
	sqlite3_bind_int64(st, 3, at);
	if (store_done(s, st) != 0)
		return (-1);
	return (sqlite3_changes(s->db) == 0 ? 1 : 0);
}

/* The last period a report was sent for (malloc'd), or NULL. */
int
store_report_last(struct store *s, const char *name, char **period)
{
	sqlite3_stmt	*st = store_stmt(s, S_REPORT_LAST);
	int		 rc;

	*period = NULL;
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*period = col_text(st, 0);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* The highest message id so far. */
int
store_outbox_max_id(struct store *s, int64_t *id)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_MAX);
	int		 rc;

	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : store_failed(s));
}

/* Whether a report's period was claimed: 1 yes, 0 no, -1 error. */
int
store_report_claimed(struct store *s, const char *name, const char *period)
{
	sqlite3_stmt	*st = store_stmt(s, S_REPORT_CLAIMED);
	int		 rc;

	bind_text(st, 1, name);
	bind_text(st, 2, period);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : store_failed(s));
}

/* When any period of a report was last claimed; 0 when never. */
int
store_report_last_at(struct store *s, const char *name, int64_t *at)
{
	sqlite3_stmt	*st = store_stmt(s, S_REPORT_LAST_AT);
	int		 rc;

	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	*at = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : store_failed(s));
}

/* A robot's remembered sends and block: 0 found, 1 none, -1 error. */
int
store_throttle_get(struct store *s, const char *robot, char **sends,
    int64_t *blocked_until)
{
	sqlite3_stmt	*st = store_stmt(s, S_THROTTLE_GET);
	int		 rc;

	*sends = NULL;
	*blocked_until = 0;
	bind_text(st, 1, robot);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*sends = col_text(st, 0);
		*blocked_until = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return (0);
	return (rc == SQLITE_DONE ? 1 : store_failed(s));
}

/* Remember a robot's sends and block (at now, epoch seconds). */
int
store_throttle_save(struct store *s, const char *robot, const char *sends,
    int64_t blocked_until, int64_t now)
{
	sqlite3_stmt	*st = store_stmt(s, S_THROTTLE_SAVE);

	bind_text(st, 1, robot);
	bind_text(st, 2, sends != NULL ? sends : "");
	sqlite3_bind_int64(st, 3, blocked_until);
	sqlite3_bind_int64(st, 4, now);
	return (store_done(s, st));
}

/* The items reports look at, each with its main track's position; rows
 * are collected first so the callback may use the store. */
int
store_items_report(struct store *s, int64_t done_since,
    store_report_item_cb cb, void *arg)
{
	sqlite3_stmt	*st = store_stmt(s, S_ITEMS_REPORT);
	struct item_row	*rows = NULL;
	char		**pol = NULL, **stage = NULL;
	size_t		 n = 0, cap = 0, i;
	int		 rc, stop = 0;

	sqlite3_bind_int64(st, 1, done_since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Doubled: a million rows grown one at a time were a million
		 * reallocations of a block of hundreds of MB. */
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			rows = xreallocarray(rows, cap, sizeof *rows);
			pol = xreallocarray(pol, cap, sizeof *pol);
			stage = xreallocarray(stage, cap, sizeof *stage);
		}
		item_read(st, &rows[n]);
		pol[n] = col_text(st, ITEM_NCOLS);
		stage[n] = col_text(st, ITEM_NCOLS + 1);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		log_warnx("store: %s", sqlite3_errmsg(s->db));
	for (i = 0; i < n; i++) {
		if (!stop && rc == SQLITE_DONE)
			stop = cb(arg, &rows[i], pol[i], stage[i]);
		item_row_clear(&rows[i]);
		free(pol[i]);
		free(stage[i]);
	}
	free(rows);
	free(pol);
	free(stage);
	return (rc == SQLITE_DONE ? (stop < 0 ? -1 : 0) : store_failed(s));
}

/* Log one delivery outcome of a message (once, not per item it lists). */
int
store_log_outbox_items(struct store *s, int64_t outbox, int64_t at,
    const char *stage, const char *channel, const char *outcome,
    const char *detail)
{
	sqlite3_stmt	*st = store_stmt(s, S_OUTBOX_ITEMS);
	int64_t		 n = 0, item = 0;
	char		*code = NULL, *d = NULL;
	int		 rc, ret;

	/* One entry for the message; a message about one item names it. */
	sqlite3_bind_int64(st, 1, outbox);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		if (n == 1) {
			item = sqlite3_column_int64(st, 1);
			code = col_text(st, 2);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return (-1);
	if (n > 1)
		xasprintf(&d, "%s (%lld items)", detail, (long long)n);
	ret = store_log_message(s, at, outbox, item, code, stage, channel,
	    outcome, d ? d : detail);
	free(d);
	free(code);
	return (ret);
}
