//! The `dav_lock` table: WebDAV locks on the URLs of a home (RFC 4918 §6).

use rusqlite::params;
use store::db::DavLockStatements;
use store::{DavLock, PrincipalId, Result};

use crate::rows::{self, LOCK_COLUMNS};
use crate::{execute, query_all, signed, SqliteConn};

impl DavLockStatements for SqliteConn {
    async fn home_locks(&self, home: PrincipalId) -> Result<Vec<DavLock>> {
        self.with(|c| {
            // rowid: the order the locks were taken in (a new row gets one above every
            // other), which lockdiscovery lists them in.
            let sql = format!(
                "SELECT {LOCK_COLUMNS} FROM dav_lock WHERE home_id = ?1 ORDER BY path, rowid"
            );
            query_all(c, &sql, [home], rows::lock)
        })
    }

    async fn insert_lock(&self, l: &DavLock) -> Result<()> {
        self.with(|c| {
            let sql = format!(
                "INSERT INTO dav_lock ({LOCK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            );
            let params = params![
                l.token,
                l.home,
                l.path,
                l.principal,
                l.scope.as_str(),
                l.deep,
                l.owner,
                signed(l.timeout_secs),
                l.created_at,
                l.expires_at,
            ];
            execute(c, &sql, params)?;
            let mark = "UPDATE collection SET home_locked = 1 WHERE owner_id = ?1 AND home_locked = 0";
            execute(c, mark, [l.home]).map(drop)
        })
    }

    async fn set_lock_expiry(&self, token: &str, timeout_secs: u64, expires_at: i64) -> Result<()> {
        self.with(|c| {
            let sql = "UPDATE dav_lock SET timeout_secs = ?2, expires_at = ?3 WHERE token = ?1";
            execute(c, sql, params![token, signed(timeout_secs), expires_at]).map(drop)
        })
    }

    async fn delete_locks(&self, home: PrincipalId, tokens: &[String]) -> Result<()> {
        self.with(|c| {
            for token in tokens {
                execute(c, "DELETE FROM dav_lock WHERE token = ?1", [token])?;
            }
            let unmark = "UPDATE collection SET home_locked = 0 WHERE owner_id = ?1 \
                 AND home_locked = 1 AND NOT EXISTS (SELECT 1 FROM dav_lock WHERE home_id = ?1)";
            execute(c, unmark, [home]).map(drop)
        })
    }
}
