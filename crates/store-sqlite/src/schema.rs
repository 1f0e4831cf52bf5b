//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.

use rusqlite::Connection;

/// The schema version this build brings a database to.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Each entry moves the schema from version `index` to `index + 1`. Never edit a released
/// entry: append a new one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE principal (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT,
    email         TEXT,
    password_hash TEXT NOT NULL,
    quota_bytes   INTEGER,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE app_token (
    id           INTEGER PRIMARY KEY,
    principal_id INTEGER NOT NULL REFERENCES principal(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    hash         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
-- Every collection below a user's home, the home itself having path ''.
CREATE TABLE collection (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES principal(id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    components  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    deleted_at  INTEGER,
    sync_seq    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX collection_live_path ON collection(owner_id, path) WHERE deleted_at IS NULL;
-- data holds exactly the bytes the client sent; etag is derived from them.
CREATE TABLE calendar_object (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    uid           TEXT,
    etag          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    component     TEXT,
    first_start   INTEGER,
    last_end      INTEGER,
    data          BLOB NOT NULL,
    size          INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    modified_at   INTEGER NOT NULL,
    modified_seq  INTEGER NOT NULL,
    UNIQUE (collection_id, name)
);
CREATE UNIQUE INDEX calendar_object_uid ON calendar_object(collection_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX calendar_object_bounds ON calendar_object(collection_id, first_start);
-- The append-only change log: sync tokens and history both read it.
CREATE TABLE object_version (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    uid           TEXT,
    etag          TEXT,
    data          BLOB,
    author        TEXT NOT NULL,
    client        TEXT,
    address       TEXT,
    at            INTEGER NOT NULL,
    prev_hash     BLOB,
    hash          BLOB NOT NULL
);
CREATE INDEX object_version_seq ON object_version(collection_id, seq);
CREATE TABLE dead_property (
    collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
    object_name   TEXT NOT NULL,
    namespace     TEXT NOT NULL,
    name          TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (collection_id, object_name, namespace, name)
);
"#,
    r#"
-- calendar-query pre-filter: most queries ask about now, so the end bound is the selective one.
CREATE INDEX calendar_object_end ON calendar_object(collection_id, last_end);
"#,
    r#"
-- Open occurrence bounds become the extreme integers (see rows.rs), and one covering index
-- answers the whole pre-filter: a range scan on last_end, the rest checked in the index.
UPDATE calendar_object SET first_start = -9223372036854775808 WHERE first_start IS NULL;
UPDATE calendar_object SET last_end = 9223372036854775807 WHERE last_end IS NULL;
DROP INDEX calendar_object_end;
DROP INDEX calendar_object_bounds;
CREATE INDEX calendar_object_span
    ON calendar_object(collection_id, last_end, first_start, component);
"#,
    r#"
-- The instance index (store::InstanceIndex): one row per indexed instance of an event, so
-- that a VEVENT time-range query needs no parsing. instances_until is the instant up to
-- which the rows are complete; the minimum integer = not indexed (exact evaluation), which is
-- what objects stored before this migration get until they are rewritten.
-- Floating objects (instances_floating = 1) are indexed in wall-clock seconds.
ALTER TABLE calendar_object ADD COLUMN instances_until INTEGER NOT NULL
    DEFAULT -9223372036854775808;
ALTER TABLE calendar_object ADD COLUMN instances_floating INTEGER NOT NULL DEFAULT 0;
CREATE TABLE calendar_object_instance (
    object_id     INTEGER NOT NULL REFERENCES calendar_object(id) ON DELETE CASCADE,
    collection_id INTEGER NOT NULL,
    floating      INTEGER NOT NULL,
    start_at      INTEGER NOT NULL,
    end_at        INTEGER NOT NULL
);
CREATE INDEX calendar_object_instance_range
    ON calendar_object_instance(collection_id, floating, start_at, end_at, object_id);
CREATE INDEX calendar_object_instance_object ON calendar_object_instance(object_id);
-- The objects a range query must still evaluate exactly: those indexed only up to an
-- earlier instant (or not at all), found without scanning the indexed ones.
CREATE INDEX calendar_object_unindexed ON calendar_object(collection_id, component,
    instances_until, last_end, first_start, instances_floating);
"#,
    r#"
-- Object bytes move to their own table: a metadata row is then ~200 bytes, many to a page,
-- so listings, sync and queries read a few pages instead of one page per object.
CREATE TABLE calendar_object_data (
    object_id INTEGER PRIMARY KEY REFERENCES calendar_object(id) ON DELETE CASCADE,
    data      BLOB NOT NULL
);
INSERT INTO calendar_object_data (object_id, data) SELECT id, data FROM calendar_object;
ALTER TABLE calendar_object DROP COLUMN data;
"#,
    r#"
-- History chain version 2 covers a hash of the data (data_hash), so retention can drop old
-- data and the chain still verifies; rows written before keep version 1.
ALTER TABLE object_version ADD COLUMN chain INTEGER NOT NULL DEFAULT 1;
ALTER TABLE object_version ADD COLUMN data_hash BLOB;
CREATE INDEX object_version_at ON object_version(at);
CREATE INDEX object_version_item ON object_version(collection_id, name, id);
"#,
    r#"
-- Listings (PROPFIND Depth 1, initial sync) read every object's metadata in name order. With
-- every metadata column in the index they are one index scan, without a table lookup per
-- object: a fifth less server time for a 10,000-object PROPFIND (docs/benchmark.md), for one
-- more index entry to write per PUT.
CREATE INDEX calendar_object_listing ON calendar_object(collection_id, name, etag,
    content_type, size, uid, component, first_start, last_end, created_at, modified_at,
    modified_seq);
"#,
    r#"
-- App passwords: one per device, found by the keyed hash of the token the device sends; a
-- label names each within its user. Administrators may manage other users.
ALTER TABLE app_token ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
CREATE UNIQUE INDEX app_token_label ON app_token(principal_id, label);
CREATE INDEX app_token_hash ON app_token(hash);
ALTER TABLE principal ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- Sharing (docs/sharing.md). A grant gives a user or a group a privilege on a collection;
-- one on a home applies to every collection in it (delegation). Privileges are ranked:
-- 1 read-free-busy, 2 read, 3 read-write, 4 admin.
CREATE TABLE principal_group (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    display_name TEXT,
    created_at   INTEGER NOT NULL
);
CREATE TABLE group_member (
    group_id  INTEGER NOT NULL REFERENCES principal_group(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES principal(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_member_member ON group_member(member_id);
CREATE TABLE access_grant (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
    grantee_user  INTEGER REFERENCES principal(id) ON DELETE CASCADE,
    grantee_group INTEGER REFERENCES principal_group(id) ON DELETE CASCADE,
    privilege     INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    CHECK ((grantee_user IS NULL) <> (grantee_group IS NULL))
);
CREATE UNIQUE INDEX access_grant_user ON access_grant(collection_id, grantee_user)
    WHERE grantee_user IS NOT NULL;
CREATE UNIQUE INDEX access_grant_group ON access_grant(collection_id, grantee_group)
    WHERE grantee_group IS NOT NULL;
CREATE INDEX access_grant_by_user ON access_grant(grantee_user);
CREATE INDEX access_grant_by_group ON access_grant(grantee_group);
-- A sharee's binding of a shared calendar into their home is a collection of kind 'shared'
-- whose target is the calendar.
ALTER TABLE collection ADD COLUMN target_id INTEGER REFERENCES collection(id) ON DELETE CASCADE;
CREATE INDEX collection_target ON collection(target_id) WHERE target_id IS NOT NULL;
"#,
    r#"
-- WebDAV locks (RFC 4918 §6): a row per lock on a URL of a home (path below it, '' the home),
-- until UNLOCK or until the first write after it expired removes it. Every node reads them
-- and a restart keeps them. principal_id took the lock; only it may use the token.
CREATE TABLE dav_lock (
    token        TEXT PRIMARY KEY,
    home_id      INTEGER NOT NULL REFERENCES principal(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    principal_id INTEGER NOT NULL REFERENCES principal(id) ON DELETE CASCADE,
    scope        TEXT NOT NULL,
    deep         INTEGER NOT NULL,
    owner        TEXT,
    timeout_secs INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX dav_lock_home ON dav_lock(home_id, path);
CREATE INDEX dav_lock_principal ON dav_lock(principal_id);
-- Whether the owner's home has lock rows, kept on every collection of the home by the
-- statements that add and remove locks: a write reads it with the collection it already
-- reads, so where nothing is locked it reads no locks at all.
ALTER TABLE collection ADD COLUMN home_locked INTEGER NOT NULL DEFAULT 0;
-- A merged edit (docs/locks-and-merging.md) names its parents, the ETags of its base and of
-- the version it merged with, and keeps the body the client sent.
ALTER TABLE object_version ADD COLUMN merge_base TEXT;
ALTER TABLE object_version ADD COLUMN merge_theirs TEXT;
ALTER TABLE object_version ADD COLUMN merge_ours BLOB;
"#,
    r#"
-- Scheduling (RFC 6638 §2, docs/scheduling.md): every account has an inbox and an outbox
-- below its home, made with the home from now on; accounts made before get theirs here. An
-- account whose own collection already holds one of the paths keeps it, and has no such
-- scheduling collection (invitations still reach its calendar).
INSERT INTO collection (owner_id, path, kind, created_at, modified_at)
    SELECT p.id, 'inbox', 'schedule-inbox', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM principal p
    WHERE NOT EXISTS (SELECT 1 FROM collection c
        WHERE c.owner_id = p.id AND c.path = 'inbox' AND c.deleted_at IS NULL);
INSERT INTO collection (owner_id, path, kind, created_at, modified_at)
    SELECT p.id, 'outbox', 'schedule-outbox', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM principal p
    WHERE NOT EXISTS (SELECT 1 FROM collection c
        WHERE c.owner_id = p.id AND c.path = 'outbox' AND c.deleted_at IS NULL);
"#,
    r#"
-- The mail outbox (iMIP, RFC 6047; docs/scheduling.md): iTIP messages for attendees who are
-- not on this server, queued in the transaction of the organizer's write, kept until a relay
-- accepts them. state is 'queued', 'sent' or 'failed'; a queued row is due at
-- next_attempt_at (while a sender has claimed it: when its claim lapses). The row's id names
-- the message (its Message-ID), so a message sent twice is recognisably one.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    organizer_id    INTEGER NOT NULL REFERENCES principal(id) ON DELETE CASCADE,
    uid             TEXT NOT NULL,
    method          TEXT NOT NULL,
    sender          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    calendar        TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued',
    done_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE state = 'queued';
CREATE INDEX mail_outbox_organizer ON mail_outbox(organizer_id, id);
"#,
];

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        // Another process may have migrated while we waited for the lock.
        let now: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > index {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn objects_stored_before_the_data_split_keep_their_bytes() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO principal (id, name, password_hash, created_at) VALUES (1, 'ann', 'h', 0);
             INSERT INTO collection (id, owner_id, path, kind, created_at, modified_at)
                 VALUES (1, 1, 'cal', 'calendar', 0, 0);
             INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, component,
                 first_start, last_end, data, size, created_at, modified_at, modified_seq)
                 VALUES (1, 'a.ics', 'a', 'e', 'text/calendar', 'VEVENT', 0, 10,
                 X'424547494E', 5, 0, 0, 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (data, until): (Vec<u8>, i64) = conn
            .query_row(
                "SELECT data, instances_until FROM calendar_object \
                 JOIN calendar_object_data ON object_id = id WHERE name = 'a.ics'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(data, b"BEGIN");
        assert_eq!(until, i64::MIN, "old objects are left to exact evaluation");
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
    }

    #[test]
    fn accounts_older_than_scheduling_get_an_inbox_and_an_outbox() {
        let mut conn = Connection::open_in_memory().unwrap();
        // The schema before scheduling's migration (the 11th).
        let before = 10;
        for sql in &MIGRATIONS[..before] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", before).unwrap();
        // Bob made a collection called "inbox" himself: it stays his.
        conn.execute_batch(
            "INSERT INTO principal (id, name, password_hash, created_at) VALUES (1, 'ann', 'h', 0);
             INSERT INTO principal (id, name, password_hash, created_at) VALUES (2, 'bob', 'h', 0);
             INSERT INTO collection (owner_id, path, kind, created_at, modified_at)
                 VALUES (1, '', 'plain', 0, 0), (2, '', 'plain', 0, 0),
                        (2, 'inbox', 'plain', 0, 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let kinds: Vec<(i64, String, String)> = conn
            .prepare("SELECT owner_id, path, kind FROM collection WHERE path <> '' ORDER BY 1, 2")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let expected = [
            (1, "inbox", "schedule-inbox"),
            (1, "outbox", "schedule-outbox"),
            (2, "inbox", "plain"),
            (2, "outbox", "schedule-outbox"),
        ];
        let kinds: Vec<(i64, &str, &str)> = kinds
            .iter()
            .map(|(o, p, k)| (*o, p.as_str(), k.as_str()))
            .collect();
        assert_eq!(kinds, expected);
    }

    /// A database of the schema before WebDAV locks (version 9, sharing) upgrades: its
    /// collections are marked as holding no locks, its versions as no merges, and locks can
    /// be taken.
    #[test]
    fn a_database_from_before_locks_upgrades() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..9] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 9).unwrap();
        conn.execute_batch(
            "INSERT INTO principal (id, name, password_hash, created_at) VALUES (1, 'ann', 'h', 0);
             INSERT INTO principal (id, name, password_hash, created_at) VALUES (2, 'bob', 'h', 0);
             INSERT INTO collection (id, owner_id, path, kind, created_at, modified_at)
                 VALUES (1, 1, 'cal', 'calendar', 0, 0);
             INSERT INTO collection (id, owner_id, path, kind, created_at, modified_at, target_id)
                 VALUES (2, 2, 'ann-cal', 'shared', 0, 0, 1);
             INSERT INTO access_grant (collection_id, grantee_user, privilege, created_by,
                 created_at) VALUES (1, 2, 3, 'ann', 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let locked: i64 = conn
            .query_row(
                "SELECT count(*) FROM collection WHERE home_locked = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        // The two, and the scheduling inbox and outbox the next migration gives each account.
        assert_eq!(locked, 6, "no collection holds locks");
        conn.execute_batch(
            "INSERT INTO dav_lock (token, home_id, path, principal_id, scope, deep, owner,
                 timeout_secs, created_at, expires_at)
                 VALUES ('urn:uuid:x', 1, 'cal', 2, 'exclusive', 1, NULL, 60, 0, 60000);",
        )
        .unwrap();
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
    }
}
