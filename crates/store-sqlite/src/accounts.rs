//! Principals: creation with their home and first calendar, passwords, removal, usage.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use store::{Change, CollectionKind, NewCollection, NewUser, Property, Result, StoreError, User};

use crate::rows::{self, USER_COLUMNS};
use crate::{backend, collections, now_ms};

/// The components a new calendar accepts when the client does not say.
pub const DEFAULT_COMPONENTS: [&str; 2] = ["VEVENT", "VTODO"];

pub fn create_user(tx: &Transaction<'_>, new: &NewUser) -> Result<User> {
    let exists: bool = crate::query_row(
        tx,
        "SELECT EXISTS(SELECT 1 FROM principal WHERE name = ?1)",
        [&new.name],
        |r| r.get(0),
    )
    .map_err(backend)?;
    if exists {
        return Err(StoreError::AlreadyExists);
    }
    let created_at = now_ms();
    let id: i64 = crate::query_row(
        tx,
        "INSERT INTO principal (name, email, password_hash, quota_bytes, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        params![
            new.name,
            new.email,
            new.password_hash,
            new.quota_bytes.map(|q| q as i64),
            created_at
        ],
        |r| r.get(0),
    )
    .map_err(backend)?;
    let change = Change {
        author: new.name.clone(),
        client: Some("calvault user add".into()),
        address: None,
    };
    collections::create(
        tx,
        &NewCollection {
            owner: id,
            path: String::new(),
            kind: CollectionKind::Plain,
            components: vec![],
            properties: vec![],
        },
        &change,
    )?;
    if let Some(display_name) = &new.first_calendar {
        collections::create(
            tx,
            &NewCollection {
                owner: id,
                path: "calendar".into(),
                kind: CollectionKind::Calendar,
                components: DEFAULT_COMPONENTS.iter().map(|c| c.to_string()).collect(),
                properties: vec![Property::displayname(display_name)],
            },
            &change,
        )?;
    }
    Ok(User {
        id,
        name: new.name.clone(),
        email: new.email.clone(),
        password_hash: new.password_hash.clone(),
        quota_bytes: new.quota_bytes,
        created_at,
    })
}

pub fn user_by_name(conn: &Connection, name: &str) -> Result<Option<User>> {
    crate::query_row(
        conn,
        &format!("SELECT {USER_COLUMNS} FROM principal WHERE name = ?1 AND disabled = 0"),
        [name],
        rows::user,
    )
    .optional()
    .map_err(backend)
}

pub fn list_users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {USER_COLUMNS} FROM principal ORDER BY name"
        ))
        .map_err(backend)?;
    let users = stmt.query_map([], rows::user).map_err(backend)?;
    users.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn set_password(tx: &Transaction<'_>, name: &str, hash: &str) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE principal SET password_hash = ?2 WHERE name = ?1",
            [name, hash],
        )
        .map_err(backend)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub fn remove_user(tx: &Transaction<'_>, name: &str) -> Result<()> {
    let id: Option<i64> = crate::query_row(
        tx,
        "SELECT id FROM principal WHERE name = ?1",
        [name],
        |r| r.get(0),
    )
    .optional()
    .map_err(backend)?;
    let id = id.ok_or(StoreError::NotFound)?;
    // History rows carry no foreign key (they outlive deleted collections), so they go first.
    crate::execute(
        tx,
        "DELETE FROM object_version WHERE collection_id IN \
         (SELECT id FROM collection WHERE owner_id = ?1)",
        [id],
    )
    .map_err(backend)?;
    crate::execute(tx, "DELETE FROM principal WHERE id = ?1", [id]).map_err(backend)?;
    Ok(())
}

pub fn usage_bytes(conn: &Connection, owner: i64) -> Result<u64> {
    let used: i64 = crate::query_row(
        conn,
        "SELECT COALESCE(SUM(o.size), 0) FROM calendar_object o \
             JOIN collection c ON c.id = o.collection_id \
             WHERE c.owner_id = ?1 AND c.deleted_at IS NULL",
        [owner],
        |r| r.get(0),
    )
    .map_err(backend)?;
    Ok(used.max(0) as u64)
}

/// Fails with QuotaExceeded when `delta` more bytes would pass `quota`.
pub fn check_quota(conn: &Connection, owner: i64, quota: Option<u64>, delta: i64) -> Result<()> {
    let Some(quota) = quota else {
        return Ok(());
    };
    if delta <= 0 {
        return Ok(());
    }
    let needed = (usage_bytes(conn, owner)? as i64)
        .saturating_add(delta)
        .max(0) as u64;
    if needed > quota {
        return Err(StoreError::QuotaExceeded { quota, needed });
    }
    Ok(())
}
