//! The background check of the store against its history (config `verify_interval_hours`,
//! default daily): every hash chain, and every served object against its ETag and its
//! newest history row (`store::verify`). A mismatch is logged as an error naming the
//! calendar and the object, and the last result is kept for `/api/admin/verification`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use store::Store;

/// The first check runs this long after the start, so that it does not compete with the
/// clients that connect at once after a restart.
const FIRST_AFTER: Duration = Duration::from_secs(60);

/// The last check's result, shared with the API.
#[derive(Clone, Default)]
pub struct LastCheck(Arc<Mutex<Option<Value>>>);

impl LastCheck {
    pub fn get(&self) -> Option<Value> {
        self.0.lock().ok().and_then(|v| v.clone())
    }

    pub(crate) fn set(&self, value: Value) {
        if let Ok(mut last) = self.0.lock() {
            *last = Some(value);
        }
    }
}

pub async fn run(store: Arc<dyn Store>, every: Duration, last: LastCheck) {
    tokio::time::sleep(FIRST_AFTER.min(every)).await;
    loop {
        last.set(check_once(&*store).await);
        tokio::time::sleep(every).await;
    }
}

/// One check, logged and described as the API shows it.
pub async fn check_once(store: &dyn Store) -> Value {
    let at = store::db::now_ms();
    match store::verify::check(store).await {
        Ok(report) => {
            for (c, problem) in &report.problems {
                tracing::error!(
                    "history verification: {}/{}: {problem}",
                    c.owner_name,
                    c.collection.path
                );
            }
            if report.is_intact() {
                tracing::info!(
                    "history verified: {} calendars, {} versions, {} objects intact",
                    report.collections,
                    report.versions,
                    report.objects
                );
            }
            let problems: Vec<Value> = report
                .problems
                .iter()
                .map(|(c, p)| {
                    json!({
                        "calendar": format!("{}/{}", c.owner_name, c.collection.path),
                        "problem": p.to_string(),
                    })
                })
                .collect();
            json!({
                "at": at,
                "intact": report.is_intact(),
                "calendars": report.collections,
                "versions": report.versions,
                "objects": report.objects,
                "problems": problems,
            })
        }
        Err(e) => {
            tracing::error!("history verification could not read the store: {e}");
            json!({ "at": at, "intact": null, "error": e.to_string() })
        }
    }
}
