//! WAL checkpoints on a thread of their own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that
//! write, and every write queued behind it, waits while the WAL is copied into the database
//! file and both files are synced. Under an eight-PUT import that wait was most of the
//! difference between checkpointing and not (10,000 objects: 1,024-1,337/s against
//! 1,412-1,721/s in alternating runs). Here the writer nudges a thread every
//! [`WRITES_PER_CHECKPOINT`] writes, and that thread runs a PASSIVE checkpoint on its own
//! connection, beside the writes that go on (SQLite lets a checkpointer and a writer work at
//! once). The automatic checkpoint stays as a backstop at a higher threshold: it bounds the
//! WAL when the thread falls behind, and it lets the WAL start over from its beginning,
//! which needs a moment when every frame has been copied and no write is under way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};

use rusqlite::Connection;
use store::{Result, StoreError};

/// Writes between nudges: at about twenty pages a PUT, a checkpoint copies a few thousand
/// pages at a time, well before the backstop.
const WRITES_PER_CHECKPOINT: u64 = 100;

/// The writer's side of the checkpoint thread; the thread ends when this is dropped.
pub(crate) struct Checkpointer {
    writes: AtomicU64,
    nudge: SyncSender<()>,
}

impl Checkpointer {
    pub fn start(conn: Connection) -> Result<Self> {
        // One pending nudge is enough: the checkpoint it starts covers every write before it.
        let (nudge, nudged) = sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while nudged.recv().is_ok() {
                    // A checkpoint that fails (the disk, a lock) is tried again at the next
                    // nudge, and the automatic one remains behind it; the operator should
                    // still hear of it, as the WAL then grows up to the backstop.
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!("WAL checkpoint failed, will retry: {e}");
                    }
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            writes: AtomicU64::new(0),
            nudge,
        })
    }

    /// Counts committed writes, and nudges the thread every [`WRITES_PER_CHECKPOINT`].
    pub fn wrote(&self, writes: usize) {
        let writes = writes as u64;
        let before = self.writes.fetch_add(writes, Ordering::Relaxed);
        if before / WRITES_PER_CHECKPOINT != (before + writes) / WRITES_PER_CHECKPOINT {
            // A full channel means a checkpoint is pending already: it covers this write.
            let _ = self.nudge.try_send(());
        }
    }
}
