//! Principals: creation with their home and first calendar, passwords, removal, usage.

use deadpool_postgres::{GenericClient, Transaction};
use store::{Change, CollectionKind, NewCollection, NewUser, Property, Result, StoreError, User};

use crate::rows::{self, USER_COLUMNS};
use crate::{collections, is_unique_violation, now_ms};

/// The components a new calendar accepts when the client does not say.
pub const DEFAULT_COMPONENTS: [&str; 2] = ["VEVENT", "VTODO"];

pub async fn create_user(tx: &Transaction<'_>, new: &NewUser) -> Result<User> {
    let exists: bool = rows::get(
        &crate::query_one(
            tx,
            "SELECT EXISTS(SELECT 1 FROM principal WHERE name = $1)",
            &[&new.name],
        )
        .await?,
        0,
    )?;
    if exists {
        return Err(StoreError::AlreadyExists);
    }
    let created_at = now_ms();
    let quota = new.quota_bytes.map(|q| q as i64);
    // Another node may create the same name between the check and here: the unique name
    // makes this insert wait for it and then fail, which is the same answer.
    let statement = tx
        .prepare_cached(
            "INSERT INTO principal (name, email, password_hash, quota_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .await
        .map_err(crate::backend)?;
    let inserted = tx
        .query_one(
            &statement,
            &[
                &new.name,
                &new.email,
                &new.password_hash,
                &quota,
                &created_at,
            ],
        )
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::AlreadyExists,
            false => crate::backend(e),
        })?;
    let id: i64 = rows::get(&inserted, 0)?;
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
    )
    .await?;
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
        )
        .await?;
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

pub async fn user_by_name(c: &impl GenericClient, name: &str) -> Result<Option<User>> {
    let row = crate::query_opt(
        c,
        &format!("SELECT {USER_COLUMNS} FROM principal WHERE name = $1 AND NOT disabled"),
        &[&name],
    )
    .await?;
    row.as_ref().map(rows::user).transpose()
}

pub async fn list_users(c: &impl GenericClient) -> Result<Vec<User>> {
    let found = crate::query(
        c,
        &format!("SELECT {USER_COLUMNS} FROM principal ORDER BY name"),
        &[],
    )
    .await?;
    rows::all(&found, rows::user)
}

pub async fn set_password(tx: &Transaction<'_>, name: &str, hash: &str) -> Result<()> {
    let n = crate::execute(
        tx,
        "UPDATE principal SET password_hash = $2 WHERE name = $1",
        &[&name, &hash],
    )
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn remove_user(tx: &Transaction<'_>, name: &str) -> Result<()> {
    // The lock waits for the user's writes in flight, so none lands after the removal.
    let row = crate::query_opt(
        tx,
        "SELECT id FROM principal WHERE name = $1 FOR UPDATE",
        &[&name],
    )
    .await?;
    let id: i64 = rows::get(&row.ok_or(StoreError::NotFound)?, 0)?;
    // History rows carry no foreign key (they outlive deleted collections), so they go first.
    crate::execute(
        tx,
        "DELETE FROM object_version WHERE collection_id IN \
         (SELECT id FROM collection WHERE owner_id = $1)",
        &[&id],
    )
    .await?;
    crate::execute(tx, "DELETE FROM principal WHERE id = $1", &[&id]).await?;
    Ok(())
}

pub async fn usage_bytes(c: &impl GenericClient, owner: i64) -> Result<u64> {
    // SUM of BIGINT is NUMERIC in PostgreSQL: back to BIGINT for the client.
    let row = crate::query_one(
        c,
        "SELECT COALESCE(SUM(o.size), 0)::BIGINT FROM calendar_object o \
             JOIN collection c ON c.id = o.collection_id \
             WHERE c.owner_id = $1 AND c.deleted_at IS NULL",
        &[&owner],
    )
    .await?;
    Ok(rows::get::<i64>(&row, 0)?.max(0) as u64)
}

/// Fails with QuotaExceeded when `delta` more bytes would pass `quota`.
pub async fn check_quota(
    c: &impl GenericClient,
    owner: i64,
    quota: Option<u64>,
    delta: i64,
) -> Result<()> {
    let Some(quota) = quota else {
        return Ok(());
    };
    if delta <= 0 {
        return Ok(());
    }
    let needed = (usage_bytes(c, owner).await? as i64)
        .saturating_add(delta)
        .max(0) as u64;
    if needed > quota {
        return Err(StoreError::QuotaExceeded { quota, needed });
    }
    Ok(())
}
