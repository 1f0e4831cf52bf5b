//! History retention (config `history_retention_days`): once at start and then daily, the
//! data of versions older than the limit that later versions replaced is dropped. Each run
//! is recorded in the history of the calendars it touched.

use std::sync::Arc;
use std::time::Duration;

use store::{Change, Store};

const EVERY: Duration = Duration::from_secs(24 * 3600);

pub async fn run(store: Arc<dyn Store>, days: u32) {
    let change = Change {
        author: "calvault".into(),
        client: Some(format!("history retention ({days} days)")),
        address: None,
        locks: None,
    };
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let before = now - i64::from(days) * 24 * 3600 * 1000;
        match store.prune_history(before, &change).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("history retention: dropped the data of {n} old versions"),
            Err(e) => tracing::warn!("history retention failed: {e}"),
        }
        tokio::time::sleep(EVERY).await;
    }
}
