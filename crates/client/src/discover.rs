//! Finding a user's calendars from a bare URL, the way calendar apps do: the URL itself,
//! then `/.well-known/caldav` (RFC 6764 §5), `current-user-principal` (RFC 5397),
//! `calendar-home-set` (RFC 4791 §6.2.1), and a Depth 1 listing of each home.

use bytes::Bytes;

use crate::caldav::{calendar_props_request, CalendarProps};
use crate::sharing::{self, Sharee};
use crate::xml::{parse_multistatus, ResponseEntry};
use crate::{Client, Error, Result, Url, CALDAV, CALSERVER, DAV};

#[derive(Clone, Debug)]
pub struct Calendar {
    pub url: Url,
    /// The collection's path, percent-decoded, ending in '/'.
    pub path: String,
    /// The last path segment: what `--calendar NAME` matches besides the display name.
    pub name: String,
    pub props: CalendarProps,
    pub sync_token: Option<String>,
    pub ctag: Option<String>,
    /// Someone else's calendar shared with this account (`CS:shared`).
    pub shared: bool,
    /// Who the calendar is shared with, as its owner sees it (`CS:invite`).
    pub sharees: Vec<Sharee>,
}

#[derive(Clone, Debug)]
pub struct Discovery {
    pub principal: Option<Url>,
    pub homes: Vec<Url>,
    pub calendars: Vec<Calendar>,
}

const PRINCIPAL_REQUEST: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop>\
<D:current-user-principal/><C:calendar-home-set/><D:resourcetype/></D:prop></D:propfind>";

impl Client {
    /// Every calendar the user can reach from `start`. A URL that is itself a calendar
    /// yields just that calendar.
    pub async fn discover(&self, start: &Url) -> Result<Discovery> {
        let mut tried = Vec::new();
        let mut candidates = vec![start.clone()];
        if start.path != "/.well-known/caldav" {
            candidates.push(start.join("/.well-known/caldav")?);
        }
        for candidate in candidates {
            let entry = match self.propfind_self(&candidate, PRINCIPAL_REQUEST).await {
                Ok(Some((entry, url))) => (entry, url),
                Ok(None) => {
                    tried.push(format!("{candidate} is not a DAV resource"));
                    continue;
                }
                Err(Error::Status { status, detail, .. }) => {
                    tried.push(format!("{candidate} answered {status}{detail}"));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let (entry, url) = entry;
            if is_calendar(&entry) {
                let calendar = self.calendar_at(&url).await?;
                return Ok(Discovery {
                    principal: None,
                    homes: Vec::new(),
                    calendars: calendar.into_iter().collect(),
                });
            }
            let principal = match entry.prop(DAV, "current-user-principal") {
                Some(p) => match p.hrefs().first() {
                    Some(href) => Some(url.join(href)?),
                    None => None,
                },
                None => None,
            };
            let mut homes = home_set(&entry, &url)?;
            if homes.is_empty() {
                if let Some(principal) = &principal {
                    if let Some((entry, purl)) =
                        self.propfind_self(principal, PRINCIPAL_REQUEST).await?
                    {
                        homes = home_set(&entry, &purl)?;
                    }
                }
            }
            if homes.is_empty() {
                tried.push(format!("{url} names no calendar-home-set"));
                continue;
            }
            let mut calendars = Vec::new();
            for home in &homes {
                calendars.extend(self.calendars_in(home).await?);
            }
            calendars.sort_by(|a, b| a.path.cmp(&b.path));
            name_uniquely(&mut calendars);
            return Ok(Discovery {
                principal,
                homes,
                calendars,
            });
        }
        Err(Error::NoService {
            url: start.to_string(),
            reason: tried.join("; "),
        })
    }

    /// Every calendar collection directly inside a calendar home.
    pub async fn calendars_in(&self, home: &Url) -> Result<Vec<Calendar>> {
        let ms = self.propfind(home, "1", calendar_props_request()).await?;
        let mut out = Vec::new();
        for entry in ms.responses.iter().filter(|e| is_calendar(e)) {
            out.push(calendar_from(home.join(&entry.href)?, entry));
        }
        Ok(out)
    }

    /// The calendar at `url` with its properties, or None when it is not a calendar.
    pub async fn calendar_at(&self, url: &Url) -> Result<Option<Calendar>> {
        let ms = match self.propfind(url, "0", calendar_props_request()).await {
            Ok(ms) => ms,
            Err(Error::Status { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        // The URL comes from the server's href, so a calendar typed without its trailing
        // slash still gets one (relative hrefs resolve inside it).
        match ms.responses.iter().find(|e| is_calendar(e)) {
            Some(entry) => {
                let mut at = url.join(&entry.href)?;
                if !at.path.ends_with('/') {
                    at.path.push('/');
                }
                Ok(Some(calendar_from(at, entry)))
            }
            None => Ok(None),
        }
    }

    /// A Depth 0 PROPFIND whose one answer describes the URL (after redirects).
    async fn propfind_self(&self, url: &Url, body: &str) -> Result<Option<(ResponseEntry, Url)>> {
        let response = self
            .send(
                "PROPFIND",
                url,
                &[
                    ("depth", "0".into()),
                    ("content-type", "application/xml; charset=utf-8".into()),
                ],
                Bytes::from(body.to_owned()),
            )
            .await?;
        if response.status != 207 {
            if response.status == 404 || response.status == 405 || response.status == 501 {
                return Ok(None);
            }
            return Err(crate::caldav::status_error("PROPFIND", &response));
        }
        let ms = parse_multistatus(&response.body).map_err(|reason| Error::BadResponse {
            method: "PROPFIND".into(),
            url: response.url.to_string(),
            reason,
        })?;
        Ok(ms
            .responses
            .into_iter()
            .next()
            .map(|entry| (entry, response.url)))
    }
}

/// Calendars are picked by name on the command line and restored under it, so names must
/// be unique in an account. Where the last path segments collide (Google names every
/// calendar `.../<calendar id>/events/`), the segment before it is used, then both.
fn name_uniquely(calendars: &mut [Calendar]) {
    let count = |cals: &[Calendar], name: &str| cals.iter().filter(|c| c.name == name).count();
    let segments = |path: &str| -> Vec<String> {
        path.trim_end_matches('/')
            .rsplit('/')
            .take(2)
            .map(str::to_owned)
            .collect()
    };
    for pass in 0..2 {
        let names: Vec<String> = calendars.iter().map(|c| c.name.clone()).collect();
        for (i, calendar) in calendars.iter_mut().enumerate() {
            if names.iter().filter(|n| **n == names[i]).count() < 2 {
                continue;
            }
            let parts = segments(&calendar.path);
            calendar.name = match (pass, parts.as_slice()) {
                (0, [_, parent]) => parent.clone(),
                (_, [last, parent]) => format!("{parent}-{last}"),
                _ => calendar.name.clone(),
            };
        }
        if calendars.iter().all(|c| count(calendars, &c.name) == 1) {
            return;
        }
    }
    // Still the same (`/a/x/events/`, `/b/x/events/`): number the later ones.
    for i in 0..calendars.len() {
        let earlier = calendars[..i]
            .iter()
            .filter(|c| c.name == calendars[i].name)
            .count();
        if earlier > 0 {
            calendars[i].name = format!("{}-{}", calendars[i].name, earlier + 1);
        }
    }
}

fn home_set(entry: &ResponseEntry, base: &Url) -> Result<Vec<Url>> {
    entry
        .prop(CALDAV, "calendar-home-set")
        .map(|p| p.hrefs())
        .unwrap_or_default()
        .iter()
        .map(|href| base.join(href))
        .collect()
}

fn is_calendar(entry: &ResponseEntry) -> bool {
    entry
        .prop(DAV, "resourcetype")
        .is_some_and(|p| p.has_child(CALDAV, "calendar"))
}

fn calendar_from(url: Url, entry: &ResponseEntry) -> Calendar {
    let mut path = entry.path.clone();
    if !path.ends_with('/') {
        path.push('/');
    }
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    Calendar {
        url,
        name,
        props: CalendarProps::from_entry(entry),
        sync_token: entry.prop_text(DAV, "sync-token"),
        ctag: entry.prop_text(CALSERVER, "getctag"),
        shared: sharing::is_shared_with_us(entry),
        sharees: sharing::sharees(entry),
        path,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn calendar(path: &str) -> Calendar {
        Calendar {
            url: Url::parse(&format!("https://h{path}")).unwrap(),
            path: path.to_owned(),
            name: path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned(),
            props: CalendarProps::default(),
            sync_token: None,
            ctag: None,
            shared: false,
            sharees: Vec::new(),
        }
    }

    #[test]
    fn colliding_names_take_the_parent_segment() {
        // Google: every calendar is `.../<calendar id>/events/`.
        let mut cals = vec![
            calendar("/caldav/v2/alice%40gmail.com/events/"),
            calendar("/caldav/v2/holidays/events/"),
            calendar("/dav/work/"),
        ];
        name_uniquely(&mut cals);
        let names: Vec<&str> = cals.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["alice%40gmail.com", "holidays", "work"]);
        let mut same_parent = vec![calendar("/a/x/events/"), calendar("/b/x/events/")];
        name_uniquely(&mut same_parent);
        assert_eq!(same_parent[0].name, "x-events");
        assert_eq!(same_parent[1].name, "x-events-2");
    }
}
