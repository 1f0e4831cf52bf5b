//! The `dav_lock` table: WebDAV locks on the URLs of a home (RFC 4918 §6). (Not to be
//! confused with [`crate::locks`], the row locks that serialise a user's writes.)

use store::db::DavLockStatements;
use store::{DavLock, PrincipalId, Result};

use crate::rows::{self, LOCK_COLUMNS};
use crate::{signed, PgConn};

impl DavLockStatements for PgConn {
    async fn home_locks(&self, home: PrincipalId) -> Result<Vec<DavLock>> {
        let sql =
            format!("SELECT {LOCK_COLUMNS} FROM dav_lock WHERE home_id = $1 ORDER BY path, taken");
        rows::all(&self.query(&sql, &[&home]).await?, rows::lock)
    }

    async fn insert_lock(&self, l: &DavLock) -> Result<()> {
        let sql = format!(
            "INSERT INTO dav_lock ({LOCK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        self.execute(
            &sql,
            &[
                &l.token,
                &l.home,
                &l.path,
                &l.principal,
                &l.scope.as_str(),
                &l.deep,
                &l.owner,
                &signed(l.timeout_secs),
                &l.created_at,
                &l.expires_at,
            ],
        )
        .await?;
        let mark =
            "UPDATE collection SET home_locked = TRUE WHERE owner_id = $1 AND NOT home_locked";
        self.execute(mark, &[&l.home]).await.map(drop)
    }

    async fn set_lock_expiry(&self, token: &str, timeout_secs: u64, expires_at: i64) -> Result<()> {
        let sql = "UPDATE dav_lock SET timeout_secs = $2, expires_at = $3 WHERE token = $1";
        self.execute(sql, &[&token, &signed(timeout_secs), &expires_at])
            .await
            .map(drop)
    }

    async fn delete_locks(&self, home: PrincipalId, tokens: &[String]) -> Result<()> {
        self.execute("DELETE FROM dav_lock WHERE token = ANY($1)", &[&tokens])
            .await?;
        let unmark = "UPDATE collection SET home_locked = FALSE WHERE owner_id = $1 \
             AND home_locked AND NOT EXISTS (SELECT 1 FROM dav_lock WHERE home_id = $1)";
        self.execute(unmark, &[&home]).await.map(drop)
    }
}
