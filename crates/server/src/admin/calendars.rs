//! The administrator's calendar commands (`calvault calendar list | create | delete |
//! import | export`): `USER/SLUG` resolved, the work done by `dav::calendars` (which the
//! `/api/` endpoints use too), refusals worded for the command line. Imports are written
//! regardless of quota, each object a recorded write with client `calvault import`.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use dav::calendars::{self, CalendarList, Destination, Export, ImportReport, Looks, NewCalendar};
use dav::{DavError, Engine};
use store::{Collection, Store, User};

use super::{change, existing_user, AdminError};

/// `USER/SLUG`, split.
fn split_target(text: &str) -> Result<(&str, &str), AdminError> {
    match text.trim_matches('/').split_once('/') {
        Some((user, slug)) if !user.is_empty() && !slug.is_empty() && !slug.contains('/') => {
            Ok((user, slug))
        }
        _ => Err(AdminError::NotACalendar(text.to_owned())),
    }
}

fn refused(e: DavError) -> AdminError {
    AdminError::Calendar(e.detail)
}

/// The live calendar `USER/SLUG` names.
async fn existing_calendar(
    store: &dyn Store,
    target: &str,
) -> Result<(User, Collection), AdminError> {
    let (user, slug) = split_target(target)?;
    let owner = existing_user(store, user).await?;
    match store.collection(owner.id, slug).await? {
        Some(c) if c.kind == store::CollectionKind::Calendar => Ok((owner, c)),
        _ => {
            let known = calendars::list(store, &owner).await?;
            let known: Vec<&str> = known.iter().map(|c| c.slug.as_str()).collect();
            Err(AdminError::NoSuchCalendar {
                user: user.to_owned(),
                calendar: slug.to_owned(),
                known: known.join(", "),
            })
        }
    }
}

/// The user's calendars, worded as `calvault calendar list` prints them.
pub async fn calendar_list(store: &dyn Store, user: &str) -> Result<String, AdminError> {
    let owner = existing_user(store, user).await?;
    let calendars = calendars::list(store, &owner).await?;
    let list = CalendarList {
        owner: user,
        calendars: &calendars,
    };
    Ok(list.to_string())
}

/// Creates `USER/SLUG` with a name, a colour (#RRGGBB) and component types (none: the
/// default set).
pub async fn create_calendar(
    store: &dyn Store,
    target: &str,
    name: Option<String>,
    color: Option<String>,
    components: Vec<String>,
) -> Result<Collection, AdminError> {
    let (user, slug) = split_target(target)?;
    let owner = existing_user(store, user).await?;
    let new = NewCalendar {
        slug: slug.to_owned(),
        name,
        color,
        components,
    };
    let change = change("calendar create");
    calendars::create(store, &owner, &new, &change)
        .await
        .map_err(refused)
}

/// Deletes `USER/SLUG` with everything in it; its history keeps it for `calvault undelete`.
pub async fn delete_calendar(store: &dyn Store, target: &str) -> Result<(), AdminError> {
    let (owner, calendar) = existing_calendar(store, target).await?;
    let change = change("calendar delete");
    Ok(store
        .delete_collection(owner.id, &calendar.path, &change)
        .await?)
}

/// One file to import: where it came from (for messages) and its bytes.
pub struct ImportSource {
    pub label: String,
    pub bytes: Vec<u8>,
}

impl ImportSource {
    /// Reads the file, or standard input for `-`.
    pub fn read(path: &Path) -> Result<ImportSource, AdminError> {
        let failed = |source| AdminError::Unreadable {
            path: path.to_owned(),
            source,
        };
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(failed)?;
            let label = "standard input".to_owned();
            return Ok(ImportSource { label, bytes });
        }
        let bytes = std::fs::read(path).map_err(failed)?;
        let label = path.display().to_string();
        Ok(ImportSource { label, bytes })
    }
}

/// What `calvault calendar import` did.
pub struct Imported {
    pub target: String,
    /// The calendar's name when the import created it.
    pub created: Option<String>,
    pub files: usize,
    pub report: ImportReport,
}

/// Imports the files (`-`: standard input), in order, into `USER/SLUG` (created when
/// missing, named after the first file's calendar); `on_conflict` is skip, replace or fail.
/// `progress` is told (done, total) per file.
pub async fn import(
    engine: &Engine,
    target: &str,
    paths: &[PathBuf],
    on_conflict: &str,
    progress: calendars::Progress<'_>,
) -> Result<Imported, AdminError> {
    let on_conflict = calendars::OnConflict::parse(on_conflict).ok_or_else(|| {
        AdminError::Calendar(format!(
            "--on-conflict is skip, replace or fail, not {on_conflict:?}"
        ))
    })?;
    let store = engine.store().as_ref();
    let (user, slug) = split_target(target)?;
    let owner = existing_user(store, user).await?;
    let sources = paths
        .iter()
        .map(|p| ImportSource::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = Vec::with_capacity(sources.len());
    for source in &sources {
        let text = std::str::from_utf8(&source.bytes)
            .map_err(|_| AdminError::NotUtf8(source.label.clone()))?;
        let file = calendars::read_file(text)
            .map_err(|e| AdminError::Calendar(format!("{}: {}", source.label, e.detail)))?;
        files.push(file);
    }
    let change = change("import");
    let first_name = files.first().and_then(|f| f.name.as_deref());
    let (collection, made) =
        calendars::calendar_for_import(store, &owner, slug, first_name, &change)
            .await
            .map_err(refused)?;
    let created = match made {
        true => Looks::of(store, &collection).await?.name,
        false => None,
    };
    let to = Destination {
        owner: &owner,
        collection: &collection,
        on_conflict,
        quota: None,
        change: &change,
    };
    let mut report = ImportReport::default();
    for file in &files {
        let done = calendars::import(engine, &to, file, progress)
            .await
            .map_err(refused)?;
        report.created += done.created;
        report.replaced += done.replaced;
        report.skipped += done.skipped;
        report.failed.extend(done.failed);
    }
    Ok(Imported {
        target: format!("{user}/{slug}"),
        created,
        files: files.len(),
        report,
    })
}

/// `USER/SLUG` as one `.ics` document.
pub async fn export(store: &dyn Store, target: &str) -> Result<Export, AdminError> {
    let (_, calendar) = existing_calendar(store, target).await?;
    let looks = Looks::of(store, &calendar).await?;
    Ok(calendars::export(store, &calendar, &looks).await?)
}

impl Imported {
    /// Why the command fails, when some objects were not imported.
    pub fn failure_note(&self) -> Option<String> {
        let failed = self.report.failed.len();
        (failed > 0).then(|| format!("{failed} objects were not imported (see above)"))
    }
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.created {
            writeln!(f, "Created the calendar {} ({name:?}).", self.target)?;
        }
        let files = match self.files {
            1 => "1 file".to_owned(),
            n => format!("{n} files"),
        };
        write!(
            f,
            "Imported {files} into {}: {}. Undo it with `calvault rollback {} --client \
             \"{}\" --since TIME`.",
            self.target,
            self.report,
            self.target,
            calendars::IMPORT_CLIENT
        )
    }
}
