//! The `dav_lock` table: WebDAV locks on the URLs of a home (RFC 4918 §6), and the
//! `home_locked` mark of the home's collections that tells a write whether to look at them.

use super::insertion_order;
use crate::db::columns::LOCK_COLUMNS;
use crate::db::sql::{params, signed, Sql};
use crate::db::{rows, DavLockStatements};
use crate::{DavLock, PrincipalId, Result};

impl<C: Sql> DavLockStatements for C {
    async fn home_locks(&self, home: PrincipalId) -> Result<Vec<DavLock>> {
        // The order the locks were taken in, which lockdiscovery lists them in.
        let sql = format!(
            "SELECT {LOCK_COLUMNS} FROM dav_lock WHERE home_id = $1 ORDER BY path, {}",
            insertion_order::<C>("taken")
        );
        self.query(&sql, params![home], rows::lock).await
    }

    async fn insert_lock(&self, l: &DavLock) -> Result<()> {
        let sql = format!(
            "INSERT INTO dav_lock ({LOCK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        let p = params![
            &l.token,
            l.home,
            &l.path,
            l.principal,
            l.scope.as_str(),
            l.deep,
            l.owner.as_ref(),
            signed(l.timeout_secs),
            l.created_at,
            l.expires_at,
        ];
        self.execute(&sql, p).await?;
        let mark =
            "UPDATE collection SET home_locked = TRUE WHERE owner_id = $1 AND NOT home_locked";
        self.execute(mark, params![l.home]).await.map(drop)
    }

    async fn set_lock_expiry(&self, token: &str, timeout_secs: u64, expires_at: i64) -> Result<()> {
        let sql = "UPDATE dav_lock SET timeout_secs = $2, expires_at = $3 WHERE token = $1";
        self.execute(sql, params![token, signed(timeout_secs), expires_at])
            .await
            .map(drop)
    }

    async fn delete_locks(&self, home: PrincipalId, tokens: &[String]) -> Result<()> {
        for token in tokens {
            self.execute("DELETE FROM dav_lock WHERE token = $1", params![token])
                .await?;
        }
        let unmark = "UPDATE collection SET home_locked = FALSE WHERE owner_id = $1 \
                      AND home_locked AND NOT EXISTS (SELECT 1 FROM dav_lock WHERE home_id = $1)";
        self.execute(unmark, params![home]).await.map(drop)
    }
}
