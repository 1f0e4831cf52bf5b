//! Import and export as the web page needs them: the same `dav::calendars` import and
//! export the CLI and `/api/` use (each object validated and recorded like a PUT, a UID
//! already there kept), with the outcome shaped for the page.

use dav::calendars::{self, Destination, Looks, OnConflict};
use dav::Caller;
use store::{Collection, Store};

use super::error::WebError;

/// What an import did, over all the files of one upload.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    /// Already in the calendar, kept as it was.
    pub skipped: usize,
    /// (what, why): refused.
    pub failed: Vec<(String, String)>,
}

/// Imports one `.ics` file's text into `calendar` (of `caller`).
pub async fn import_ics(
    engine: &dav::Engine,
    caller: &Caller,
    calendar: &Collection,
    file: &str,
    text: &str,
    report: &mut ImportReport,
) {
    let parsed = match calendars::read_file(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            report.failed.push((file.to_owned(), e.detail));
            return;
        }
    };
    let to = Destination {
        owner: &caller.user,
        collection: calendar,
        on_conflict: OnConflict::Skip,
        quota: engine.quota_for(&caller.user),
        change: &caller.change,
    };
    match calendars::import(engine, &to, &parsed, &|_, _| {}).await {
        Ok(done) => {
            report.created += done.created + done.replaced;
            report.skipped += done.skipped;
            for f in done.failed {
                let what = match f.uid {
                    Some(uid) => format!("{file}: {uid}"),
                    None => file.to_owned(),
                };
                report.failed.push((what, f.reason));
            }
        }
        Err(e) => report.failed.push((file.to_owned(), e.detail)),
    }
}

/// The calendar as one `.ics`: every object's components, each VTIMEZONE once.
pub async fn export_ics(store: &dyn Store, calendar: &Collection) -> Result<String, WebError> {
    let looks = Looks::of(store, calendar).await?;
    Ok(calendars::export(store, calendar, &looks).await?.text)
}
