//! A scripted CalDAV server in memory: calendars, objects with ETags, a change log for
//! sync tokens, conditional writes and UID uniqueness like a real server, and faults a
//! test switches on. It records every request and every write, so a test can assert what
//! the engine sent where.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use client::{
    Calendar, CalendarProps, Discovery, Fetched, Member, MkcalendarOutcome, MultigetResult,
    SyncChanges, Url, WriteCondition, WriteOutcome,
};

use crate::caldav::{CalDav, OnBatch};
use crate::facts::uid_of;

/// The account's home: calendars are `/cal/ann/NAME/`.
pub const HOME: &str = "/cal/ann/";

pub fn url(path: &str) -> Url {
    Url {
        tls: false,
        host: "dav.test".into(),
        port: 80,
        path: path.to_owned(),
    }
}

pub fn home() -> Url {
    url(HOME)
}

#[derive(Clone, Debug)]
pub struct Object {
    pub data: Bytes,
    pub etag: Option<String>,
    /// The change-log position of its last write.
    seq: u64,
}

#[derive(Default)]
pub struct ScriptedCalendar {
    pub props: CalendarProps,
    pub objects: BTreeMap<String, Object>,
    /// Deleted object names and when.
    removed: BTreeMap<String, u64>,
    /// Someone else's calendar shared with this account.
    pub shared: bool,
    pub sharees: Vec<client::Sharee>,
}

/// Failures to script.
#[derive(Default)]
pub struct Faults {
    /// Every sync token is refused (RFC 6578 §3.2 valid-sync-token).
    pub reject_sync_tokens: bool,
    /// calendar-multiget on these calendars fails (after the client's own retries).
    pub failing_fetch: HashSet<String>,
    /// PUT or DELETE of `calendar/object` is answered with this status.
    pub write_status: HashMap<String, u16>,
    /// PUT or DELETE of `calendar/object` never gets an answer.
    pub write_lost: HashSet<String>,
    /// MKCALENDAR fails.
    pub mkcalendar_fails: bool,
    /// Properties MKCALENDAR and PROPPATCH refuse (DAV names).
    pub refused_props: Vec<&'static str>,
    /// Discovery finds no calendar home (the URL named a single calendar).
    pub no_home: bool,
    /// OPTIONS does not name `calendarserver-sharing`.
    pub no_sharing: bool,
}

#[derive(Default)]
pub struct State {
    pub calendars: BTreeMap<String, ScriptedCalendar>,
    pub faults: Faults,
    /// Every request, `METHOD path`.
    pub requests: Vec<String>,
    /// Every write that changed something, `METHOD calendar/object condition`.
    pub writes: Vec<String>,
    seq: u64,
}

#[derive(Default)]
pub struct Scripted {
    state: Mutex<State>,
}

impl Scripted {
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add_calendar(&self, name: &str, displayname: &str) {
        let props = CalendarProps {
            displayname: Some(displayname.to_owned()),
            components: vec!["VEVENT".into(), "VTODO".into()],
            ..CalendarProps::default()
        };
        self.state().calendars.insert(
            name.to_owned(),
            ScriptedCalendar {
                props,
                ..ScriptedCalendar::default()
            },
        );
    }

    /// Stores an object as a client would (not recorded as the engine's write).
    pub fn store(&self, calendar: &str, name: &str, data: &str) {
        self.state()
            .put(calendar, name, Bytes::from(data.to_owned()));
    }

    /// Stores an object the server gives no ETag for.
    pub fn store_without_etag(&self, calendar: &str, name: &str, data: &str) {
        let mut state = self.state();
        state.put(calendar, name, Bytes::from(data.to_owned()));
        if let Some(o) = state.object_mut(calendar, name) {
            o.etag = None;
        }
    }

    pub fn remove(&self, calendar: &str, name: &str) {
        self.state().delete(calendar, name);
    }

    pub fn data(&self, calendar: &str, name: &str) -> Option<String> {
        let state = self.state();
        let object = state.calendars.get(calendar)?.objects.get(name)?;
        Some(String::from_utf8_lossy(&object.data).into_owned())
    }

    pub fn names(&self, calendar: &str) -> Vec<String> {
        self.state()
            .calendars
            .get(calendar)
            .map(|c| c.objects.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn writes(&self) -> Vec<String> {
        self.state().writes.clone()
    }

    /// Requests whose method is this one.
    pub fn count(&self, method: &str) -> usize {
        let prefix = format!("{method} ");
        self.state()
            .requests
            .iter()
            .filter(|r| r.starts_with(&prefix))
            .count()
    }
}

impl State {
    fn put(&mut self, calendar: &str, name: &str, data: Bytes) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(c) = self.calendars.get_mut(calendar) {
            c.removed.remove(name);
            let etag = Some(format!("\"e{seq}\""));
            c.objects
                .insert(name.to_owned(), Object { data, etag, seq });
        }
    }

    fn delete(&mut self, calendar: &str, name: &str) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(c) = self.calendars.get_mut(calendar) {
            c.objects.remove(name);
            c.removed.insert(name.to_owned(), seq);
        }
    }

    fn object_mut(&mut self, calendar: &str, name: &str) -> Option<&mut Object> {
        self.calendars.get_mut(calendar)?.objects.get_mut(name)
    }

    fn calendar(&self, name: &str) -> Calendar {
        let props = self.calendars[name].props.clone();
        Calendar {
            url: url(&format!("{HOME}{name}/")),
            path: format!("{HOME}{name}/"),
            name: name.to_owned(),
            props,
            sync_token: Some(format!("seq-{}", self.seq)),
            ctag: None,
            shared: self.calendars[name].shared,
            sharees: self.calendars[name].sharees.clone(),
        }
    }

    fn member(calendar: &str, name: &str, object: &Object) -> Member {
        let href = format!("{HOME}{calendar}/{name}");
        Member {
            path: href.clone(),
            href,
            etag: object.etag.clone(),
        }
    }

    /// The object a write fails on, if the script says so.
    fn write_fault(&self, key: &str, url: &Url) -> Option<client::Result<WriteOutcome>> {
        if self.faults.write_lost.contains(key) {
            return Some(Err(client::Error::Transport {
                method: "PUT".into(),
                url: url.to_string(),
                reason: "connection reset by peer".into(),
            }));
        }
        let status = *self.faults.write_status.get(key)?;
        Some(Ok(WriteOutcome::Rejected {
            status,
            condition: None,
            body: "Internal Server Error".into(),
        }))
    }
}

/// `/cal/ann/work/` -> `work`; `/cal/ann/work/a.ics` -> (`work`, `a.ics`).
fn split(path: &str) -> (String, String) {
    let rest = path
        .strip_prefix(HOME)
        .unwrap_or(path)
        .trim_end_matches('/');
    match rest.split_once('/') {
        Some((c, o)) => (c.to_owned(), o.to_owned()),
        None => (rest.to_owned(), String::new()),
    }
}

fn holds(condition_etag: &Option<String>, object: Option<&Object>) -> bool {
    object.is_some_and(|o| o.etag == *condition_etag)
}

#[async_trait]
impl CalDav for Scripted {
    async fn discover(&self, start: &Url) -> client::Result<Discovery> {
        let mut state = self.state();
        state.requests.push(format!("PROPFIND {}", start.path));
        let (named, _) = split(&start.path);
        let names: Vec<String> = match state.calendars.contains_key(&named) {
            true => vec![named],
            false => state.calendars.keys().cloned().collect(),
        };
        Ok(Discovery {
            principal: Some(url("/principals/ann/")),
            homes: match state.faults.no_home {
                true => Vec::new(),
                false => vec![home()],
            },
            calendars: names.iter().map(|n| state.calendar(n)).collect(),
        })
    }

    async fn list_members(&self, calendar: &Url) -> client::Result<Vec<Member>> {
        let mut state = self.state();
        state.requests.push(format!("PROPFIND {}", calendar.path));
        let (name, _) = split(&calendar.path);
        let Some(c) = state.calendars.get(&name) else {
            return Ok(Vec::new());
        };
        Ok(c.objects
            .iter()
            .map(|(o, object)| State::member(&name, o, object))
            .collect())
    }

    async fn sync_changes(&self, calendar: &Url, token: &str) -> client::Result<SyncChanges> {
        let mut state = self.state();
        state
            .requests
            .push(format!("REPORT sync {}", calendar.path));
        let since = token
            .strip_prefix("seq-")
            .and_then(|n| n.parse::<u64>().ok());
        let (Some(since), false) = (since, state.faults.reject_sync_tokens) else {
            return Err(client::Error::SyncTokenRejected {
                url: calendar.to_string(),
            });
        };
        let (name, _) = split(&calendar.path);
        let c = &state.calendars[&name];
        Ok(SyncChanges {
            changed: c
                .objects
                .iter()
                .filter(|(_, o)| o.seq > since)
                .map(|(o, object)| State::member(&name, o, object))
                .collect(),
            removed: c
                .removed
                .iter()
                .filter(|(_, seq)| **seq > since)
                .map(|(o, _)| format!("{HOME}{name}/{o}"))
                .collect(),
            token: format!("seq-{}", state.seq),
        })
    }

    async fn fetch_objects(
        &self,
        calendar: &Url,
        hrefs: &[String],
        on_batch: &mut OnBatch<'_>,
    ) -> client::Result<MultigetResult> {
        let mut out = MultigetResult::default();
        // Batches of two, so progress comes in several steps.
        for batch in hrefs.chunks(2) {
            let found = {
                let mut state = self.state();
                state
                    .requests
                    .push(format!("REPORT multiget {}", calendar.path));
                let (name, _) = split(&calendar.path);
                if state.faults.failing_fetch.contains(&name) {
                    return Err(client::Error::Status {
                        method: "REPORT".into(),
                        url: calendar.to_string(),
                        status: 500,
                        detail: ": Internal Server Error".into(),
                    });
                }
                let mut found = Vec::new();
                for href in batch {
                    let (c, o) = split(href);
                    match state.calendars.get(&c).and_then(|c| c.objects.get(&o)) {
                        Some(object) => found.push(Fetched {
                            href: href.clone(),
                            path: href.clone(),
                            etag: object.etag.clone(),
                            data: object.data.clone(),
                        }),
                        None => out.missing.push(href.clone()),
                    }
                }
                found
            };
            on_batch(&found);
            out.found.extend(found);
        }
        Ok(out)
    }

    async fn put(
        &self,
        url: &Url,
        data: Bytes,
        condition: &WriteCondition,
    ) -> client::Result<WriteOutcome> {
        let mut state = self.state();
        state.requests.push(format!("PUT {}", url.path));
        let (calendar, name) = split(&url.path);
        let key = format!("{calendar}/{name}");
        if let Some(outcome) = state.write_fault(&key, url) {
            return outcome;
        }
        let Some(c) = state.calendars.get(&calendar) else {
            return Ok(WriteOutcome::Rejected {
                status: 409,
                condition: None,
                body: "no such calendar".into(),
            });
        };
        let current = c.objects.get(&name);
        let (allowed, written) = match condition {
            WriteCondition::Create => (current.is_none(), "if-none-match *".to_owned()),
            WriteCondition::Replace(etag) => (
                holds(&Some(etag.clone()), current),
                format!("if-match {etag}"),
            ),
            WriteCondition::Always => (true, "unconditional".to_owned()),
        };
        if !allowed {
            return Ok(WriteOutcome::PreconditionFailed);
        }
        // RFC 4791 §5.3.2.1: one UID per calendar.
        let uid = uid_of(&data);
        let taken = c
            .objects
            .iter()
            .any(|(other, o)| *other != name && uid.is_some() && uid_of(&o.data) == uid);
        if taken {
            return Ok(WriteOutcome::Rejected {
                status: 409,
                condition: Some("no-uid-conflict".into()),
                body: String::new(),
            });
        }
        state.put(&calendar, &name, data);
        state.writes.push(format!("PUT {key} {written}"));
        let etag = state
            .object_mut(&calendar, &name)
            .and_then(|o| o.etag.clone());
        Ok(WriteOutcome::Written { etag })
    }

    async fn delete(&self, url: &Url, etag: Option<&str>) -> client::Result<WriteOutcome> {
        let mut state = self.state();
        state.requests.push(format!("DELETE {}", url.path));
        let (calendar, name) = split(&url.path);
        let key = format!("{calendar}/{name}");
        if let Some(outcome) = state.write_fault(&key, url) {
            return outcome;
        }
        let current = state
            .calendars
            .get(&calendar)
            .and_then(|c| c.objects.get(&name));
        if current.is_none() || etag.is_some_and(|e| !holds(&Some(e.to_owned()), current)) {
            return Ok(WriteOutcome::PreconditionFailed);
        }
        state.delete(&calendar, &name);
        state
            .writes
            .push(format!("DELETE {key} if-match {}", etag.unwrap_or("-")));
        Ok(WriteOutcome::Written { etag: None })
    }

    async fn mkcalendar(
        &self,
        url: &Url,
        props: &CalendarProps,
    ) -> client::Result<MkcalendarOutcome> {
        let mut state = self.state();
        state.requests.push(format!("MKCALENDAR {}", url.path));
        if state.faults.mkcalendar_fails {
            return Err(client::Error::Status {
                method: "MKCALENDAR".into(),
                url: url.to_string(),
                status: 403,
                detail: String::new(),
            });
        }
        let (name, _) = split(&url.path);
        let mut kept = props.clone();
        let mut refused = Vec::new();
        for (prop, value) in kept.text_props_mut() {
            if value.is_some() && state.faults.refused_props.contains(&prop) {
                *value = None;
                refused.push(format!("{prop} (answered 403)"));
            }
        }
        state.calendars.insert(
            name.clone(),
            ScriptedCalendar {
                props: kept,
                ..ScriptedCalendar::default()
            },
        );
        state.writes.push(format!("MKCALENDAR {name}"));
        Ok(match refused.is_empty() {
            true => MkcalendarOutcome::Created,
            false => MkcalendarOutcome::CreatedWithout(refused),
        })
    }

    async fn proppatch_each(
        &self,
        url: &Url,
        props: &CalendarProps,
    ) -> client::Result<Vec<String>> {
        let mut state = self.state();
        let (name, _) = split(&url.path);
        let mut refused = Vec::new();
        for (at, (prop, value)) in props.text_props().into_iter().enumerate() {
            let Some(value) = value else { continue };
            state.requests.push(format!("PROPPATCH {}", url.path));
            if state.faults.refused_props.contains(&prop) {
                refused.push(format!("{prop} (answered 403)"));
                continue;
            }
            if let Some(c) = state.calendars.get_mut(&name) {
                *c.props.text_props_mut()[at].1 = Some(value.clone());
            }
            state.writes.push(format!("PROPPATCH {name} {prop}"));
        }
        Ok(refused)
    }

    async fn supports_sharing(&self, url: &Url) -> client::Result<bool> {
        let mut state = self.state();
        state.requests.push(format!("OPTIONS {}", url.path));
        Ok(!state.faults.no_sharing)
    }

    async fn share(&self, url: &Url, sharees: &[client::Sharee]) -> client::Result<()> {
        let mut state = self.state();
        state.requests.push(format!("POST {}", url.path));
        let (name, _) = split(&url.path);
        for s in sharees {
            let access = if s.read_write { "read-write" } else { "read" };
            state
                .writes
                .push(format!("SHARE {name} {} {access}", s.href));
        }
        if let Some(c) = state.calendars.get_mut(&name) {
            c.sharees.extend(sharees.iter().cloned());
        }
        Ok(())
    }

    fn requests(&self) -> u64 {
        self.state().requests.len() as u64
    }
}
