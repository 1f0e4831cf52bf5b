//! Calendar sharing as CalendarServer's extension writes it (Apple, sabre/Nextcloud and
//! calvault speak it): who a calendar is shared with (`CS:invite`), whether a calendar is
//! someone else's shared with this account (`CS:shared` in its resourcetype), and sharing
//! a calendar again by `POST` of `CS:share`, so a restore can bring shares back.

use bytes::Bytes;

use crate::xml::{escape, ResponseEntry};
use crate::{Client, Result, Url, CALSERVER, DAV};

/// Someone a calendar is shared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sharee {
    /// As the server names them: `mailto:` or a principal's URL path.
    pub href: String,
    pub read_write: bool,
    pub common_name: Option<String>,
}

/// Whether the calendar belongs to someone else and is shared with this account.
pub(crate) fn is_shared_with_us(entry: &ResponseEntry) -> bool {
    entry
        .prop(DAV, "resourcetype")
        .is_some_and(|p| p.has_child(CALSERVER, "shared"))
}

/// The sharees `CS:invite` lists (each `CS:user`; the `CS:organizer` is the owner).
pub(crate) fn sharees(entry: &ResponseEntry) -> Vec<Sharee> {
    let Some(invite) = entry.prop(CALSERVER, "invite") else {
        return Vec::new();
    };
    invite
        .element
        .elements()
        .filter(|e| e.name.is(CALSERVER, "user"))
        .filter_map(|user| {
            let href = user.child(DAV, "href")?.text_content().trim().to_owned();
            let read_write = user
                .child(CALSERVER, "access")
                .is_some_and(|a| a.child(CALSERVER, "read-write").is_some());
            let common_name = user
                .child(CALSERVER, "common-name")
                .map(|n| n.text_content().trim().to_owned())
                .filter(|n| !n.is_empty());
            Some(Sharee {
                href,
                read_write,
                common_name,
            })
        })
        .filter(|s| !s.href.is_empty())
        .collect()
}

/// The `CS:share` body that shares a calendar with each of `sharees`.
pub(crate) fn share_request(sharees: &[Sharee]) -> String {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <CS:share xmlns:D=\"DAV:\" xmlns:CS=\"http://calendarserver.org/ns/\">",
    );
    for s in sharees {
        body.push_str("<CS:set><D:href>");
        body.push_str(&escape(&s.href));
        body.push_str("</D:href>");
        if let Some(name) = &s.common_name {
            body.push_str("<CS:common-name>");
            body.push_str(&escape(name));
            body.push_str("</CS:common-name>");
        }
        body.push_str(match s.read_write {
            true => "<CS:read-write/>",
            false => "<CS:read/>",
        });
        body.push_str("</CS:set>");
    }
    body.push_str("</CS:share>");
    body
}

impl Client {
    /// Whether the server at `url` shares calendars the CalendarServer way (its OPTIONS
    /// DAV header names `calendarserver-sharing`).
    pub async fn supports_sharing(&self, url: &Url) -> Result<bool> {
        let response = self.send("OPTIONS", url, &[], Bytes::new()).await?;
        Ok(response.header("dav").is_some_and(|dav| {
            dav.split(',')
                .any(|class| class.trim() == "calendarserver-sharing")
        }))
    }

    /// Shares the calendar at `url` with `sharees` (adding to whom it is shared with).
    pub async fn share(&self, url: &Url, sharees: &[Sharee]) -> Result<()> {
        let headers = [("content-type", "application/xml; charset=utf-8".to_owned())];
        let body = Bytes::from(share_request(sharees));
        let response = self.send("POST", url, &headers, body).await?;
        match response.is_success() {
            true => Ok(()),
            false => Err(crate::caldav::status_error("POST", &response)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::xml::parse_multistatus;

    #[test]
    fn invite_lists_sharees_and_share_writes_them_back() {
        let body = br#"<?xml version="1.0"?>
<D:multistatus xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
 <D:response><D:href>/dav/calendars/ann/work/</D:href><D:propstat><D:prop>
  <D:resourcetype><D:collection/><CS:shared-owner/></D:resourcetype>
  <CS:invite>
   <CS:organizer><D:href>/dav/principals/ann/</D:href></CS:organizer>
   <CS:user><D:href>/dav/principals/bob/</D:href><CS:common-name>Bob &amp; co</CS:common-name>
    <CS:invite-accepted/><CS:access><CS:read-write/></CS:access></CS:user>
   <CS:user><D:href>mailto:carol@example.org</D:href><CS:access><CS:read/></CS:access></CS:user>
  </CS:invite>
 </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
</D:multistatus>"#;
        let ms = parse_multistatus(body).unwrap();
        let entry = &ms.responses[0];
        assert!(!is_shared_with_us(entry));
        let found = sharees(entry);
        assert_eq!(
            found,
            [
                Sharee {
                    href: "/dav/principals/bob/".into(),
                    read_write: true,
                    common_name: Some("Bob & co".into()),
                },
                Sharee {
                    href: "mailto:carol@example.org".into(),
                    read_write: false,
                    common_name: None,
                },
            ]
        );
        let request = share_request(&found);
        assert!(request.contains(
            "<CS:set><D:href>/dav/principals/bob/</D:href><CS:common-name>Bob &amp; co\
             </CS:common-name><CS:read-write/></CS:set>"
        ));
        assert!(request.contains("<D:href>mailto:carol@example.org</D:href><CS:read/>"));
    }
}
