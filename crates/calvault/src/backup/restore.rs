//! `restore` (from a snapshot) and `migrate` (straight from another server): plan every
//! write first, print the plan, then apply it with conditional requests.
//!
//! Creates use `If-None-Match: *` and updates `If-Match` on the version the plan saw, so a
//! change made on the target meanwhile is reported, never overwritten. Nothing is deleted
//! without `--mirror`. A run that was interrupted is resumed by running it again: objects
//! already written compare equal and are left alone.

use std::collections::HashMap;

use anyhow::{bail, Context};
use bytes::Bytes;
use client::{Client, Url, WriteCondition, WriteOutcome};

use super::args::{AccountArgs, MigrateArgs, OnConflict, PlanArgs, RestoreArgs};
use super::browse::object_name;
use super::exit::{failure, CONFLICTS, PARTIAL};
use super::{
    connect, make_client, open_repo, pick_calendars, progress, props_from_vault, read_auth,
};

/// A calendar to write, from a snapshot or a live server.
struct SourceCalendar {
    name: String,
    props: client::CalendarProps,
    objects: Vec<SourceObject>,
}

struct SourceObject {
    /// The file name (last href segment, decoded).
    name: String,
    uid: Option<String>,
    data: Bytes,
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let lock = repo.lock_shared()?;
    let (id, snapshot) = pick_snapshot(&repo, &args.snapshot, &args.account)?;
    if args.plan.mirror && !snapshot.selection.is_empty() {
        bail!(
            "snapshot {} holds only part of each calendar ({}), so --mirror would delete \
             everything outside it; restore without --mirror",
            id.short(),
            snapshot.selection
        );
    }
    let mut sources = Vec::new();
    for tree in repo.load_calendars(&snapshot)?.1 {
        if !selected(&args.plan, &tree.name, tree.props.displayname.as_deref()) {
            continue;
        }
        let mut objects = Vec::new();
        for o in &tree.objects {
            objects.push(SourceObject {
                name: object_name(&o.href).to_owned(),
                uid: o.uid.clone(),
                data: Bytes::from(repo.read_blob(&o.blob)?),
            });
        }
        sources.push(SourceCalendar {
            name: tree.name.clone(),
            props: props_from_vault(&tree.props),
            objects,
        });
    }
    drop(lock);
    check_all_named(&args.plan, &sources)?;
    eprintln!(
        "restoring snapshot {} ({} of {} at {})",
        id.short(),
        snapshot.source.user,
        snapshot.source.url,
        snapshot.time.to_rfc3339()
    );
    let (target, url) = connect(&args.account)?;
    write_all(&target, &url, sources, &args.plan).await
}

pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let from = AccountArgs {
        url: args.from.clone(),
        user: args.user.clone(),
        password_command: args.password_command.clone(),
        bearer_token_command: None,
        ca_cert: args.ca_cert.clone(),
    };
    let source_url = Url::parse(&from.url)?;
    let source_auth = read_auth(
        &from,
        &source_url,
        "CALVAULT_PASSWORD",
        "--password-command",
    )?;
    let source = make_client(source_auth.clone(), from.ca_cert.as_deref())?;
    let discovery = source
        .discover(&source_url)
        .await
        .with_context(|| format!("cannot find the calendars of {}", args.from))?;
    let wanted: Vec<String> = args
        .plan
        .calendars
        .iter()
        .map(|c| split_mapping(c).0.to_owned())
        .collect();
    let mut sources = Vec::new();
    for calendar in pick_calendars(discovery.calendars, &wanted)? {
        let members = source.list_members(&calendar.url).await?;
        let hrefs: Vec<String> = members.into_iter().map(|m| m.href).collect();
        let bar = progress::counter(hrefs.len() as u64, &calendar.name);
        let fetched = source
            .fetch_objects(&calendar.url, &hrefs, |b| bar.inc(b.len() as u64))
            .await?;
        bar.finish_and_clear();
        sources.push(SourceCalendar {
            name: calendar.name.clone(),
            props: calendar.props.clone(),
            objects: fetched
                .found
                .into_iter()
                .map(|f| SourceObject {
                    name: object_name(&f.path).to_owned(),
                    uid: super::select::facts(&f.data).0.uid,
                    data: f.data,
                })
                .collect(),
        });
    }
    let to = AccountArgs {
        url: args.to.clone(),
        user: args.to_user.clone().unwrap_or_else(|| args.user.clone()),
        password_command: args.to_password_command.clone(),
        bearer_token_command: None,
        ca_cert: args.ca_cert.clone(),
    };
    let url = Url::parse(&to.url)?;
    // The target's password: its own sources, else the source's (the same person
    // moving between providers often keeps one password).
    let own_password =
        to.password_command.is_some() || std::env::var("CALVAULT_TO_PASSWORD").is_ok();
    let auth = match source_auth {
        client::Auth::Basic { password, .. } if !own_password => client::Auth::Basic {
            user: to.user.clone(),
            password,
        },
        _ => read_auth(&to, &url, "CALVAULT_TO_PASSWORD", "--to-password-command")?,
    };
    let target = make_client(auth, to.ca_cert.as_deref())?;
    write_all(&target, &url, sources, &args.plan).await
}

/// The snapshot to restore. `latest` means the latest of the account restored into when
/// the repository has one, so a repository shared by several accounts never hands one
/// account's calendars to another by accident.
fn pick_snapshot(
    repo: &vault::Repo,
    spec: &str,
    account: &AccountArgs,
) -> anyhow::Result<(vault::SnapshotId, vault::Snapshot)> {
    if spec != "latest" {
        return Ok(repo.find_snapshot(spec)?);
    }
    let all = repo.snapshots()?;
    let same_url = |a: &str| a.trim_end_matches('/') == account.url.trim_end_matches('/');
    let mine = all
        .iter()
        .rev()
        .find(|(_, s)| same_url(&s.source.url) && s.source.user == account.user);
    if let Some(found) = mine {
        return Ok(found.clone());
    }
    let mut sources: Vec<String> = all
        .iter()
        .map(|(_, s)| format!("{} @ {}", s.source.user, s.source.url))
        .collect();
    sources.sort();
    sources.dedup();
    if sources.len() > 1 {
        bail!(
            "the repository holds snapshots of {} accounts ({}), none of them {} @ {}; name \
             the snapshot to restore by its id (see `calvault snapshots`)",
            sources.len(),
            sources.join(", "),
            account.user,
            account.url
        );
    }
    Ok(repo.find_snapshot("latest")?)
}

/// `A[:B]` -> (A, B or A).
fn split_mapping(spec: &str) -> (&str, &str) {
    match spec.split_once(':') {
        Some((a, b)) if !b.is_empty() => (a, b),
        Some((a, _)) => (a, a),
        None => (spec, spec),
    }
}

fn selected(plan: &PlanArgs, name: &str, displayname: Option<&str>) -> bool {
    plan.calendars.is_empty()
        || plan.calendars.iter().any(|c| {
            let source = split_mapping(c).0;
            source == name || Some(source) == displayname
        })
}

fn check_all_named(plan: &PlanArgs, sources: &[SourceCalendar]) -> anyhow::Result<()> {
    for spec in &plan.calendars {
        let source = split_mapping(spec).0;
        if !sources
            .iter()
            .any(|s| s.name == source || s.props.displayname.as_deref() == Some(source))
        {
            bail!(
                "the snapshot has no calendar {source:?}; it has: {}",
                sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

/// The target calendar name for a source calendar.
fn target_name(plan: &PlanArgs, source: &SourceCalendar) -> String {
    plan.calendars
        .iter()
        .map(|c| split_mapping(c))
        .find(|(a, _)| *a == source.name || source.props.displayname.as_deref() == Some(a))
        .map_or_else(|| source.name.clone(), |(_, b)| b.to_owned())
}

enum Action {
    Create { url: Url, data: Bytes },
    Update { url: Url, etag: String, data: Bytes },
    Delete { url: Url, etag: String },
}

/// Everything one calendar needs, decided before anything is written.
struct CalendarPlan {
    source: String,
    target: String,
    url: Url,
    create: Option<client::CalendarProps>,
    /// Properties to set on an existing calendar (missing there, or replaced by
    /// `--on-conflict overwrite`).
    set_props: client::CalendarProps,
    actions: Vec<(String, Action)>,
    unchanged: usize,
    conflicts: Vec<String>,
}

async fn write_all(
    target: &Client,
    url: &Url,
    sources: Vec<SourceCalendar>,
    plan_args: &PlanArgs,
) -> anyhow::Result<()> {
    let discovery = target
        .discover(url)
        .await
        .with_context(|| format!("cannot find the calendars at the target {url}"))?;
    let mut targets: Vec<(String, &str)> = Vec::new();
    for source in &sources {
        let name = target_name(plan_args, source);
        if let Some((_, other)) = targets.iter().find(|(t, _)| *t == name) {
            bail!(
                "calendars {other:?} and {:?} would both be restored into {name:?}; pick \
                 targets with --calendar A:B",
                source.name
            );
        }
        targets.push((name, &source.name));
    }
    let mut plans = Vec::new();
    for source in &sources {
        plans.push(plan_calendar(target, &discovery, source, plan_args).await?);
    }
    print_plan(&plans, plan_args);
    let conflicts: usize = plans.iter().map(|p| p.conflicts.len()).sum();
    if plan_args.on_conflict == OnConflict::Fail && conflicts > 0 {
        return Err(failure(
            CONFLICTS,
            format!("{conflicts} conflict(s) and --on-conflict fail: nothing was written"),
        ));
    }
    if plan_args.dry_run {
        println!("dry run: nothing was written");
        return Ok(());
    }
    let total: u64 = plans.iter().map(|p| p.actions.len() as u64).sum();
    let bar = progress::counter(total, "writing");
    let mut failed = Vec::new();
    let (mut written, mut deleted) = (0u64, 0u64);
    for plan in &plans {
        if let Some(props) = &plan.create {
            match target.mkcalendar(&plan.url, props).await {
                Ok(client::MkcalendarOutcome::CreatedWithout(refused)) if !refused.is_empty() => {
                    eprintln!(
                        "{}: created, but the server refused: {}",
                        plan.target,
                        refused.join(", ")
                    )
                }
                Ok(_) => {}
                Err(e) => {
                    // Its objects cannot go anywhere; the other calendars still can.
                    failed.push(format!(
                        "{}: the calendar could not be created ({e}); its {} object(s) were \
                         not written",
                        plan.target,
                        plan.actions.len()
                    ));
                    bar.inc(plan.actions.len() as u64);
                    continue;
                }
            }
        }
        if plan.set_props != client::CalendarProps::default() {
            for refused in target.proppatch_each(&plan.url, &plan.set_props).await? {
                failed.push(format!("{}: property {refused}", plan.target));
            }
        }
        // Deletions first, so a UID that moved to another name can be written back.
        let ordered = plan
            .actions
            .iter()
            .filter(|(_, a)| matches!(a, Action::Delete { .. }))
            .chain(
                plan.actions
                    .iter()
                    .filter(|(_, a)| !matches!(a, Action::Delete { .. })),
            );
        for (name, action) in ordered {
            let outcome = match action {
                Action::Create { url, data } => {
                    target.put(url, data.clone(), &WriteCondition::Create).await
                }
                Action::Update { url, etag, data } => {
                    target
                        .put(url, data.clone(), &WriteCondition::Replace(etag.clone()))
                        .await
                }
                Action::Delete { url, etag } => target.delete(url, Some(etag)).await,
            };
            bar.inc(1);
            match outcome {
                Ok(WriteOutcome::Written { .. }) => match action {
                    Action::Delete { .. } => deleted += 1,
                    _ => written += 1,
                },
                Ok(WriteOutcome::PreconditionFailed) => failed.push(format!(
                    "{}/{name}: changed on the target since the plan was made; left alone",
                    plan.target
                )),
                Ok(WriteOutcome::Rejected {
                    status,
                    condition,
                    body,
                }) => failed.push(format!(
                    "{}/{name}: the server answered {status}{}",
                    plan.target,
                    condition.map_or_else(
                        || if body.is_empty() {
                            String::new()
                        } else {
                            format!(": {body}")
                        },
                        |c| format!(" ({c})")
                    )
                )),
                Err(e) => failed.push(format!("{}/{name}: {e}", plan.target)),
            }
        }
    }
    bar.finish_and_clear();
    println!(
        "done: {written} object(s) written, {deleted} deleted, {} unchanged, {conflicts} \
         conflict(s) skipped, {} failed, {} requests",
        plans.iter().map(|p| p.unchanged).sum::<usize>(),
        failed.len(),
        target.requests()
    );
    if !failed.is_empty() {
        return Err(failure(
            PARTIAL,
            format!(
                "{} object(s) were not written:\n  {}\nrun the same command again to retry them",
                failed.len(),
                failed.join("\n  ")
            ),
        ));
    }
    Ok(())
}

async fn plan_calendar(
    target: &Client,
    discovery: &client::Discovery,
    source: &SourceCalendar,
    args: &PlanArgs,
) -> anyhow::Result<CalendarPlan> {
    let name = target_name(args, source);
    let existing = discovery
        .calendars
        .iter()
        .find(|c| c.name == name)
        .or_else(|| {
            discovery
                .calendars
                .iter()
                .find(|c| c.props.displayname.as_deref() == Some(name.as_str()))
        });
    let mut plan = CalendarPlan {
        source: source.name.clone(),
        target: name.clone(),
        url: match existing {
            Some(c) => c.url.clone(),
            None => new_calendar_url(discovery, &name)?,
        },
        create: existing.is_none().then(|| source.props.clone()),
        set_props: client::CalendarProps::default(),
        actions: Vec::new(),
        unchanged: 0,
        conflicts: Vec::new(),
    };
    if let Some(calendar) = existing {
        plan_properties(&mut plan, &source.props, &calendar.props, args.on_conflict);
    }
    // What the target holds, by name and by UID.
    let mut held: HashMap<String, (client::Fetched, Option<String>)> = HashMap::new();
    if existing.is_some() {
        let hrefs: Vec<String> = target
            .list_members(&plan.url)
            .await?
            .into_iter()
            .map(|m| m.href)
            .collect();
        for f in target.fetch_objects(&plan.url, &hrefs, |_| {}).await?.found {
            let uid = super::select::facts(&f.data).0.uid;
            held.insert(object_name(&f.path).to_owned(), (f, uid));
        }
    }
    let by_uid: HashMap<&str, &str> = held
        .iter()
        .filter_map(|(name, (_, uid))| uid.as_deref().map(|u| (u, name.as_str())))
        .collect();
    let mut claimed = std::collections::HashSet::new();
    for object in &source.objects {
        let same_uid = object.uid.as_deref().and_then(|u| by_uid.get(u).copied());
        let holder = held
            .get(&object.name)
            .map(|_| object.name.as_str())
            .or(same_uid);
        let Some(holder) = holder else {
            let url = plan.url.join(&encode_segment(&object.name))?;
            plan.actions.push((
                object.name.clone(),
                Action::Create {
                    url,
                    data: object.data.clone(),
                },
            ));
            continue;
        };
        claimed.insert(holder.to_owned());
        let (current, _) = &held[holder];
        if same_content(&current.data, &object.data) {
            plan.unchanged += 1;
            continue;
        }
        let replace = match args.on_conflict {
            OnConflict::Overwrite => true,
            OnConflict::Newer => is_newer(&object.data, &current.data),
            OnConflict::Skip | OnConflict::Fail => false,
        };
        match (&current.etag, replace) {
            (Some(etag), true) => plan.actions.push((
                holder.to_owned(),
                Action::Update {
                    url: plan.url.join(&current.href)?,
                    etag: etag.clone(),
                    data: object.data.clone(),
                },
            )),
            _ => plan.conflicts.push(format!(
                "{}/{}: the target holds another version{}",
                name,
                holder,
                match args.on_conflict {
                    OnConflict::Newer => " (not older than the backed-up one)",
                    _ if current.etag.is_none() && replace =>
                        " (without an ETag to replace it safely)",
                    _ => "",
                }
            )),
        }
    }
    if args.mirror {
        for (held_name, (f, _)) in &held {
            if claimed.contains(held_name) {
                continue;
            }
            match &f.etag {
                Some(etag) => plan.actions.push((
                    held_name.clone(),
                    Action::Delete {
                        url: plan.url.join(&f.href)?,
                        etag: etag.clone(),
                    },
                )),
                None => plan.conflicts.push(format!(
                    "{name}/{held_name}: not in the source, but the target gave no ETag to \
                     delete it safely; left alone"
                )),
            }
        }
    }
    Ok(plan)
}

/// Properties the target calendar lacks are set; ones it holds with another value are
/// conflicts, replaced only with `--on-conflict overwrite`.
fn plan_properties(
    plan: &mut CalendarPlan,
    ours: &client::CalendarProps,
    theirs: &client::CalendarProps,
    on_conflict: OnConflict,
) {
    let wanted_props = ours.text_props();
    let held_props = theirs.text_props();
    let set = plan.set_props.text_props_mut();
    for at in 0..wanted_props.len() {
        let (name, wanted) = wanted_props[at];
        let Some(wanted) = wanted else { continue };
        let held = held_props[at].1;
        let differs = held.as_ref().is_some_and(|h| h.trim() != wanted.trim());
        if held.is_none() || (differs && on_conflict == OnConflict::Overwrite) {
            *set[at].1 = Some(wanted.clone());
        } else if differs {
            plan.conflicts.push(format!(
                "{}: property {name} is {:?} on the target, {:?} in the source",
                plan.target,
                held.clone().unwrap_or_default(),
                wanted
            ));
        }
    }
}

fn new_calendar_url(discovery: &client::Discovery, name: &str) -> anyhow::Result<Url> {
    let Some(home) = discovery.homes.first() else {
        bail!(
            "the target URL names a single calendar, so calendar {name:?} cannot be created \
             there; give the server's URL instead"
        );
    };
    let mut url = home.clone();
    if !url.path.ends_with('/') {
        url.path.push('/');
    }
    url.path.push_str(&encode_segment(name));
    url.path.push('/');
    Ok(url)
}

fn encode_segment(name: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'@')
        .remove(b'+');
    percent_encoding::utf8_percent_encode(name, KEEP).to_string()
}

/// Equal bytes, or the same content lines (a server may refold or reorder what it
/// stores); a restore run again after an interruption relies on this.
fn same_content(a: &[u8], b: &[u8]) -> bool {
    a == b || content_lines(a) == content_lines(b)
}

fn content_lines(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data).replace("\r\n", "\n");
    let unfolded = text.replace("\n ", "").replace("\n\t", "");
    let mut lines: Vec<String> = unfolded
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.to_ascii_uppercase().starts_with("PRODID"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// Whether `ours` was modified after `theirs` (LAST-MODIFIED, else DTSTAMP, in UTC).
fn is_newer(ours: &[u8], theirs: &[u8]) -> bool {
    match (modified(ours), modified(theirs)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

fn modified(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data).ok()?;
    let root = ical::parse(text).ok()?;
    root.components
        .iter()
        .filter(|c| ical::ComponentKind::from_name(&c.name).is_some())
        .filter_map(|c| {
            c.property("LAST-MODIFIED")
                .or_else(|| c.property("DTSTAMP"))
        })
        .map(|p| p.value.clone())
        .max()
}

fn print_plan(plans: &[CalendarPlan], args: &PlanArgs) {
    println!("plan:");
    for plan in plans {
        let count = |f: fn(&Action) -> bool| plan.actions.iter().filter(|(_, a)| f(a)).count();
        println!(
            "  {} -> {}{}: {} to create, {} to update, {} to delete, {} unchanged, {} conflict(s)",
            plan.source,
            plan.target,
            if plan.create.is_some() {
                " (new calendar)"
            } else {
                ""
            },
            count(|a| matches!(a, Action::Create { .. })),
            count(|a| matches!(a, Action::Update { .. })),
            count(|a| matches!(a, Action::Delete { .. })),
            plan.unchanged,
            plan.conflicts.len()
        );
        if plan.set_props != client::CalendarProps::default() {
            println!("    set properties: {}", prop_names(&plan.set_props));
        }
        if args.dry_run {
            for (name, action) in &plan.actions {
                let verb = match action {
                    Action::Create { .. } => "create",
                    Action::Update { .. } => "update",
                    Action::Delete { .. } => "delete",
                };
                println!("    {verb} {}/{name}", plan.target);
            }
        }
        for conflict in &plan.conflicts {
            let what = match args.on_conflict {
                OnConflict::Fail => "conflict",
                _ => "skip (conflict)",
            };
            println!("    {what}: {conflict}");
        }
    }
}

fn prop_names(p: &client::CalendarProps) -> String {
    p.text_props()
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_comparison_ignores_folding_and_line_ends() {
        let a = b"BEGIN:VCALENDAR\r\nPRODID:a\r\nSUMMARY:long\r\n  text\r\nEND:VCALENDAR\r\n";
        let b = b"BEGIN:VCALENDAR\nSUMMARY:long text\nPRODID:b\nEND:VCALENDAR\n";
        assert!(same_content(a, b));
        assert!(!same_content(
            a,
            b"BEGIN:VCALENDAR\r\nSUMMARY:other\r\nEND:VCALENDAR\r\n"
        ));
        assert_eq!(split_mapping("work:office"), ("work", "office"));
        assert_eq!(split_mapping("work"), ("work", "work"));
        assert_eq!(encode_segment("a b/é.ics"), "a%20b%2F%C3%A9.ics");
    }

    #[test]
    fn newer_compares_last_modified() {
        let at = |t: &str| {
            format!(
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:{t}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            )
        };
        assert!(is_newer(
            at("20260102T000000Z").as_bytes(),
            at("20260101T000000Z").as_bytes()
        ));
        assert!(!is_newer(
            at("20260101T000000Z").as_bytes(),
            at("20260102T000000Z").as_bytes()
        ));
    }
}
