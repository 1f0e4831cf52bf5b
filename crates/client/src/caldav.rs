//! The CalDAV operations a backup and a restore need: list members with ETags, fetch
//! changes since a sync token, fetch objects in batches, and write conditionally.

use bytes::Bytes;

use crate::transport::Response;
use crate::xml::{
    error_condition, escape, href_path, parse_multistatus, Multistatus, ResponseEntry,
};
use crate::{Client, Error, Result, Url, APPLE_ICAL, CALDAV, DAV};

/// What a calendar collection says about itself (the properties a restore recreates).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarProps {
    pub displayname: Option<String>,
    pub description: Option<String>,
    pub color: Option<String>,
    /// A VCALENDAR holding one VTIMEZONE (RFC 4791 §5.2.2).
    pub timezone: Option<String>,
    /// Component names the calendar accepts; empty when the server did not say.
    pub components: Vec<String>,
    pub order: Option<String>,
}

impl CalendarProps {
    pub(crate) fn from_entry(entry: &ResponseEntry) -> CalendarProps {
        CalendarProps {
            displayname: entry.prop_text(DAV, "displayname"),
            description: entry.prop_text(CALDAV, "calendar-description"),
            color: entry.prop_text(APPLE_ICAL, "calendar-color"),
            // The time zone keeps its line ends: it is iCalendar text.
            timezone: entry
                .prop(CALDAV, "calendar-timezone")
                .map(|p| p.text())
                .filter(|t| !t.trim().is_empty()),
            components: entry
                .prop(CALDAV, "supported-calendar-component-set")
                .map(|p| p.comp_names())
                .unwrap_or_default(),
            order: entry.prop_text(APPLE_ICAL, "calendar-order"),
        }
    }

    /// The text properties by their DAV names, in one place for listing and comparing.
    pub fn text_props(&self) -> [(&'static str, &Option<String>); 5] {
        [
            ("displayname", &self.displayname),
            ("calendar-description", &self.description),
            ("calendar-color", &self.color),
            ("calendar-timezone", &self.timezone),
            ("calendar-order", &self.order),
        ]
    }

    pub fn text_props_mut(&mut self) -> [(&'static str, &mut Option<String>); 5] {
        [
            ("displayname", &mut self.displayname),
            ("calendar-description", &mut self.description),
            ("calendar-color", &mut self.color),
            ("calendar-timezone", &mut self.timezone),
            ("calendar-order", &mut self.order),
        ]
    }

    /// The `DAV:prop` children that set these properties.
    fn prop_elements(&self, with_components: bool) -> String {
        let mut out = String::new();
        let mut text = |tag: &str, value: &Option<String>| {
            if let Some(v) = value {
                out.push_str(&format!("<{tag}>{}</{tag}>", escape(v)));
            }
        };
        text("D:displayname", &self.displayname);
        text("C:calendar-description", &self.description);
        text("A:calendar-color", &self.color);
        text("C:calendar-timezone", &self.timezone);
        text("A:calendar-order", &self.order);
        if with_components && !self.components.is_empty() {
            out.push_str("<C:supported-calendar-component-set>");
            for comp in &self.components {
                out.push_str(&format!("<C:comp name=\"{}\"/>", escape(comp)));
            }
            out.push_str("</C:supported-calendar-component-set>");
        }
        out
    }
}

const NAMESPACES: &str = "xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
     xmlns:A=\"http://apple.com/ns/ical/\" xmlns:CS=\"http://calendarserver.org/ns/\"";

pub(crate) fn calendar_props_request() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propfind {NAMESPACES}><D:prop>\
         <D:resourcetype/><D:displayname/><C:calendar-description/><A:calendar-color/>\
         <C:calendar-timezone/><C:supported-calendar-component-set/><A:calendar-order/>\
         <CS:getctag/><D:sync-token/><CS:invite/></D:prop></D:propfind>"
    )
}

/// A calendar member as listed: its href as the server wrote it, and its ETag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub href: String,
    /// Percent-decoded path, the key to compare members by.
    pub path: String,
    pub etag: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SyncChanges {
    pub changed: Vec<Member>,
    /// Paths of members deleted since the token.
    pub removed: Vec<String>,
    pub token: String,
}

#[derive(Clone, Debug)]
pub struct Fetched {
    pub href: String,
    pub path: String,
    pub etag: Option<String>,
    pub data: Bytes,
}

#[derive(Clone, Debug, Default)]
pub struct MultigetResult {
    pub found: Vec<Fetched>,
    /// Paths the server said are gone (deleted between listing and fetching).
    pub missing: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum WriteCondition {
    /// `If-None-Match: *`: only create.
    Create,
    /// `If-Match`: only replace this version.
    Replace(String),
    /// No condition (overwrite whatever is there).
    Always,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Written {
        etag: Option<String>,
    },
    /// 412: the resource was not in the state the condition named.
    PreconditionFailed,
    /// Any other refusal, with the server's precondition element if it sent one.
    Rejected {
        status: u16,
        condition: Option<String>,
        body: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MkcalendarOutcome {
    Created,
    /// Created, but the server refused these properties (name: reason).
    CreatedWithout(Vec<String>),
    AlreadyExists,
}

/// Objects per calendar-multiget when the server does not object.
pub const MULTIGET_BATCH: usize = 100;

impl Client {
    pub(crate) async fn propfind(
        &self,
        url: &Url,
        depth: &str,
        body: String,
    ) -> Result<Multistatus> {
        let response = self
            .send(
                "PROPFIND",
                url,
                &[
                    ("depth", depth.to_owned()),
                    ("content-type", "application/xml; charset=utf-8".into()),
                ],
                Bytes::from(body),
            )
            .await?;
        read_multistatus("PROPFIND", &response)
    }

    /// Every object in a calendar with its ETag (sub-collections left out).
    pub async fn list_members(&self, calendar: &Url) -> Result<Vec<Member>> {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propfind {NAMESPACES}><D:prop>\
             <D:resourcetype/><D:getetag/></D:prop></D:propfind>"
        );
        let ms = self.propfind(calendar, "1", body).await?;
        let own = href_path(&calendar.path);
        Ok(ms
            .responses
            .iter()
            .filter(|e| e.path.trim_end_matches('/') != own.trim_end_matches('/'))
            .filter(|e| {
                !e.prop(DAV, "resourcetype")
                    .is_some_and(|p| p.has_child(DAV, "collection"))
            })
            .filter(|e| e.status.is_none_or(|s| s < 400))
            .map(|e| Member {
                href: e.href.clone(),
                path: e.path.clone(),
                etag: e.prop_text(DAV, "getetag"),
            })
            .collect())
    }

    /// RFC 6578: what changed since `token`. A refused token (403/409 with
    /// `valid-sync-token`, or any 4xx to a non-empty token) is `SyncTokenRejected`, so the
    /// caller can fall back to a full listing. Truncated answers (507) are continued.
    pub async fn sync_changes(&self, calendar: &Url, token: &str) -> Result<SyncChanges> {
        let mut changes = SyncChanges {
            token: token.to_owned(),
            ..SyncChanges::default()
        };
        // A truncating server hands out a token to continue from; bounded so a server
        // that always truncates cannot keep us here forever.
        for _ in 0..10_000 {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:sync-collection {NAMESPACES}>\
                 <D:sync-token>{}</D:sync-token><D:sync-level>1</D:sync-level>\
                 <D:prop><D:getetag/></D:prop></D:sync-collection>",
                escape(&changes.token)
            );
            // RFC 6578 §3.3: the scope is sync-level; Depth must be 0.
            let response = self
                .send(
                    "REPORT",
                    calendar,
                    &[
                        ("depth", "0".into()),
                        ("content-type", "application/xml; charset=utf-8".into()),
                    ],
                    Bytes::from(body),
                )
                .await?;
            if !token.is_empty() && matches!(response.status, 403 | 409 | 410) {
                // RFC 6578 §3.2: `valid-sync-token`; some servers send no body at all.
                let condition = error_condition(&response.body);
                if condition.is_none() || condition.as_deref() == Some("valid-sync-token") {
                    return Err(Error::SyncTokenRejected {
                        url: calendar.to_string(),
                    });
                }
            }
            let ms = read_multistatus("REPORT sync-collection", &response)?;
            let own = href_path(&calendar.path);
            let mut truncated = false;
            for entry in ms.responses {
                if entry.path.trim_end_matches('/') == own.trim_end_matches('/') {
                    truncated |= entry.status == Some(507);
                    continue;
                }
                if entry.status == Some(404) {
                    changes.changed.retain(|m| m.path != entry.path);
                    changes.removed.push(entry.path);
                } else if entry.status.is_none_or(|s| s < 400) {
                    changes.removed.retain(|p| *p != entry.path);
                    changes.changed.retain(|m| m.path != entry.path);
                    changes.changed.push(Member {
                        etag: entry.prop_text(DAV, "getetag"),
                        href: entry.href,
                        path: entry.path,
                    });
                }
            }
            let next = ms.sync_token.ok_or_else(|| Error::BadResponse {
                method: "REPORT sync-collection".into(),
                url: calendar.to_string(),
                reason: "the answer has no DAV:sync-token".into(),
            })?;
            let moved = next != changes.token;
            changes.token = next;
            if !truncated {
                return Ok(changes);
            }
            if !moved {
                return Err(Error::SyncIncomplete {
                    url: calendar.to_string(),
                });
            }
        }
        Err(Error::SyncIncomplete {
            url: calendar.to_string(),
        })
    }

    /// One calendar-multiget (RFC 4791 §7.9) for these hrefs.
    pub async fn multiget(&self, calendar: &Url, hrefs: &[String]) -> Result<MultigetResult> {
        let mut body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:calendar-multiget {NAMESPACES}>\
             <D:prop><D:getetag/><C:calendar-data/></D:prop>"
        );
        for href in hrefs {
            body.push_str(&format!("<D:href>{}</D:href>", escape(href)));
        }
        body.push_str("</C:calendar-multiget>");
        let response = self
            .send(
                "REPORT",
                calendar,
                &[
                    ("depth", "1".into()),
                    ("content-type", "application/xml; charset=utf-8".into()),
                ],
                Bytes::from(body),
            )
            .await?;
        let ms = read_multistatus("REPORT calendar-multiget", &response)?;
        let mut out = MultigetResult::default();
        for entry in ms.responses {
            match entry.prop(CALDAV, "calendar-data") {
                Some(data) => out.found.push(Fetched {
                    etag: entry.prop_text(DAV, "getetag"),
                    data: Bytes::from(data.text()),
                    href: entry.href,
                    path: entry.path,
                }),
                None if entry.status == Some(404)
                    || entry.propstats.iter().any(|p| p.status == 404) =>
                {
                    out.missing.push(entry.path)
                }
                None => {}
            }
        }
        Ok(out)
    }

    /// Fetches every href, `MULTIGET_BATCH` at a time; a batch the server fails is split in
    /// halves down to single objects, which fall back to GET.
    pub async fn fetch_objects(
        &self,
        calendar: &Url,
        hrefs: &[String],
        mut on_batch: impl FnMut(&[Fetched]),
    ) -> Result<MultigetResult> {
        let mut out = MultigetResult::default();
        let mut pending: Vec<&[String]> = hrefs.chunks(MULTIGET_BATCH).rev().collect();
        while let Some(batch) = pending.pop() {
            match self.multiget(calendar, batch).await {
                Ok(mut got) => {
                    let answered: std::collections::HashSet<&str> = got
                        .found
                        .iter()
                        .map(|f| f.path.as_str())
                        .chain(got.missing.iter().map(String::as_str))
                        .collect();
                    // Hrefs the server skipped silently: fetch them one by one.
                    let skipped: Vec<String> = batch
                        .iter()
                        .filter(|h| !answered.contains(href_path(h).as_str()))
                        .cloned()
                        .collect();
                    for href in skipped {
                        self.get_into(calendar, &href, &mut got).await?;
                    }
                    on_batch(&got.found);
                    out.found.extend(got.found);
                    out.missing.extend(got.missing);
                }
                Err(e) if !e.is_batch_size_problem() => return Err(e),
                Err(_) if batch.len() > 1 => {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    pending.push(b);
                    pending.push(a);
                }
                Err(_) => {
                    let mut got = MultigetResult::default();
                    self.get_into(calendar, &batch[0], &mut got).await?;
                    on_batch(&got.found);
                    out.found.extend(got.found);
                    out.missing.extend(got.missing);
                }
            }
        }
        Ok(out)
    }

    async fn get_into(&self, calendar: &Url, href: &str, out: &mut MultigetResult) -> Result<()> {
        let url = calendar.join(href)?;
        let response = self.send("GET", &url, &[], Bytes::new()).await?;
        match response.status {
            200 => out.found.push(Fetched {
                href: href.to_owned(),
                path: href_path(href),
                etag: response.header("etag").map(str::to_owned),
                data: response.body,
            }),
            404 | 410 => out.missing.push(href_path(href)),
            _ => return Err(status_error("GET", &response)),
        }
        Ok(())
    }

    /// GET: the bytes and ETag, or None when the resource does not exist.
    pub async fn get(&self, url: &Url) -> Result<Option<(Bytes, Option<String>)>> {
        let response = self.send("GET", url, &[], Bytes::new()).await?;
        match response.status {
            200 => {
                let etag = response.header("etag").map(str::to_owned);
                Ok(Some((response.body, etag)))
            }
            404 | 410 => Ok(None),
            _ => Err(status_error("GET", &response)),
        }
    }

    pub async fn put(
        &self,
        url: &Url,
        data: Bytes,
        condition: &WriteCondition,
    ) -> Result<WriteOutcome> {
        let mut headers = vec![("content-type", "text/calendar; charset=utf-8".to_owned())];
        match condition {
            WriteCondition::Create => headers.push(("if-none-match", "*".into())),
            WriteCondition::Replace(etag) => headers.push(("if-match", etag.clone())),
            WriteCondition::Always => {}
        }
        let response = self.send("PUT", url, &headers, data).await?;
        Ok(write_outcome(response))
    }

    pub async fn delete(&self, url: &Url, etag: Option<&str>) -> Result<WriteOutcome> {
        let headers: Vec<(&str, String)> = etag
            .map(|e| ("if-match", e.to_owned()))
            .into_iter()
            .collect();
        let response = self.send("DELETE", url, &headers, Bytes::new()).await?;
        Ok(write_outcome(response))
    }

    /// Creates a calendar with these properties. A server that refuses some of them at
    /// creation gets a bare MKCALENDAR and then one PROPPATCH per property, so one
    /// unsupported property does not stop a restore.
    pub async fn mkcalendar(&self, url: &Url, props: &CalendarProps) -> Result<MkcalendarOutcome> {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:mkcalendar {NAMESPACES}><D:set><D:prop>{}\
             </D:prop></D:set></C:mkcalendar>",
            props.prop_elements(true)
        );
        let headers = [("content-type", "application/xml; charset=utf-8".to_owned())];
        let response = self
            .send("MKCALENDAR", url, &headers, Bytes::from(body))
            .await?;
        match response.status {
            200..=299 => return Ok(MkcalendarOutcome::Created),
            // 405 (RFC 4791 §5.3.1) or 409 (Radicale) for an existing resource; but 405 is
            // also what a server that cannot create calendars there says. Look.
            405 | 409 => {
                if self.calendar_at(url).await?.is_some() {
                    return Ok(MkcalendarOutcome::AlreadyExists);
                }
                if response.status == 405 {
                    return Err(status_error("MKCALENDAR", &response));
                }
            }
            400 | 403 | 415 | 422 | 424 => {}
            _ => return Err(status_error("MKCALENDAR", &response)),
        }
        let components = CalendarProps {
            components: props.components.clone(),
            ..CalendarProps::default()
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:mkcalendar {NAMESPACES}><D:set><D:prop>{}\
             </D:prop></D:set></C:mkcalendar>",
            components.prop_elements(true)
        );
        let response = self
            .send("MKCALENDAR", url, &headers, Bytes::from(body))
            .await?;
        if !response.is_success() {
            let response = self.send("MKCALENDAR", url, &[], Bytes::new()).await?;
            if !response.is_success() {
                return Err(status_error("MKCALENDAR", &response));
            }
        }
        let refused = self.proppatch_each(url, props).await?;
        Ok(MkcalendarOutcome::CreatedWithout(refused))
    }

    /// Sets each property on its own; returns the ones the server refused.
    pub async fn proppatch_each(&self, url: &Url, props: &CalendarProps) -> Result<Vec<String>> {
        let mut refused = Vec::new();
        for (at, (name, value)) in props.text_props().into_iter().enumerate() {
            if value.is_none() {
                continue;
            }
            let mut part = CalendarProps::default();
            *part.text_props_mut()[at].1 = value.clone();
            let elements = part.prop_elements(false);
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propertyupdate {NAMESPACES}>\
                 <D:set><D:prop>{elements}</D:prop></D:set></D:propertyupdate>"
            );
            let response = self
                .send(
                    "PROPPATCH",
                    url,
                    &[("content-type", "application/xml; charset=utf-8".into())],
                    Bytes::from(body),
                )
                .await?;
            let ok = response.status == 207
                && parse_multistatus(&response.body).is_ok_and(|ms| {
                    ms.responses
                        .iter()
                        .flat_map(|r| &r.propstats)
                        .all(|ps| (200..300).contains(&ps.status))
                });
            let refused_here = if response.status == 207 {
                !ok
            } else {
                !response.is_success()
            };
            if refused_here {
                refused.push(format!("{name} (answered {})", response.status));
            }
        }
        Ok(refused)
    }
}

fn write_outcome(response: Response) -> WriteOutcome {
    match response.status {
        200..=299 => WriteOutcome::Written {
            etag: response.header("etag").map(str::to_owned),
        },
        412 => WriteOutcome::PreconditionFailed,
        status => WriteOutcome::Rejected {
            status,
            condition: error_condition(&response.body),
            body: body_excerpt(&response.body),
        },
    }
}

fn read_multistatus(method: &str, response: &Response) -> Result<Multistatus> {
    if response.status != 207 {
        return Err(status_error(method, response));
    }
    parse_multistatus(&response.body).map_err(|reason| Error::BadResponse {
        method: method.to_owned(),
        url: response.url.to_string(),
        reason,
    })
}

pub(crate) fn status_error(method: &str, response: &Response) -> Error {
    let detail = match error_condition(&response.body) {
        Some(condition) => format!(" ({condition})"),
        None => {
            let excerpt = body_excerpt(&response.body);
            if excerpt.is_empty() {
                String::new()
            } else {
                format!(": {excerpt}")
            }
        }
    };
    Error::Status {
        method: method.to_owned(),
        url: response.url.to_string(),
        status: response.status,
        detail,
    }
}

/// The start of a body, on one line, for error messages.
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
