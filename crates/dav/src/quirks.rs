//! Every place where calvault bends an RFC rule for a real client, or picks, among the forms
//! an RFC allows, the one a real client needs, gathered so that `grep -rn quirks::` lists
//! them all. Each item names the client, the rule and the source.
//!
//! Leniencies in reading iCalendar data live in `ical`'s own `quirks` module (the parser sits
//! below this crate and cannot call up): khal's folded parameter values, Apple's escaped
//! separators in parameter values and its `DURATION:P1DT`, Nextcloud's mixed week
//! durations, Zimbra's `-0000` offsets, Sunbird's unknown TEXT escapes, tasks due before
//! they start. TZIDs as Outlook, Exchange, Lightning, Evolution and Citadel write them are
//! resolved in `ical::tz::resolve_tzid`. `docs/rfc-status.md` lists every precondition and
//! which of them these quirks make lenient.

/// PROPFIND without a Depth header is treated as Depth: 1 rather than infinity.
///
/// RFC 4918 §9.1 makes a missing Depth mean infinity, which this server does not answer
/// (an explicit `Depth: infinity` is refused with `propfind-finite-depth`). The choices
/// were three: refuse as CalendarServer does (403 `propfind-finite-depth`), which breaks a
/// client that simply forgot the header; answer Depth 0, which hides the members from a
/// client that wanted a listing; or answer Depth 1, as sabre/dav does when infinity is off
/// (`Server::getHTTPDepth(1)` in its PROPFIND). Depth 1 breaks no one: its first response
/// is the Depth 0 answer, and a client that wanted infinity gets what it can walk from. Pinned
/// by the golden fixture `propfind/missing-depth`.
pub fn missing_propfind_depth_is_one() -> u8 {
    1
}

/// A sync-collection REPORT without `DAV:sync-level` is answered as `sync-level` 1.
///
/// RFC 6578 §6.1 makes the element mandatory, but the drafts it grew from
/// (draft-daboo-webdav-sync up to -06, which CalendarServer shipped and clients were
/// written against) had no sync-level and said the depth with a Depth header; a client of
/// that era still works. A sync-level other than 1 or infinite is refused (400).
pub const MISSING_SYNC_LEVEL_IS_ONE: bool = true;

/// A sync-collection REPORT is answered whatever its Depth header says.
///
/// RFC 6578 §3.2 defines the report for Depth: 0 only ("other values result in a 400"),
/// but the drafts had clients send Depth: 1, and they still do: the python `caldav`
/// library (`AsyncDAVClient.sync_collection`, `depth=1` by default) among them. Refusing
/// would break their synchronisation; the scope is given by sync-level anyway.
pub const SYNC_COLLECTION_IGNORES_DEPTH: bool = true;

/// `sync-level` `infinity` (any case) is read as `infinite`.
///
/// RFC 6578 §6.3 spells it `infinite`; the Depth header it replaced spells it `infinity`
/// (RFC 4918 §10.2), and servers take both (rustical reads `Infinity`), so a client mixing
/// the two up keeps syncing. Any other value is refused.
pub fn sync_level_is_infinite(level: &str) -> bool {
    level.eq_ignore_ascii_case("infinite") || level.eq_ignore_ascii_case("infinity")
}

/// allprop answers include `DAV:current-user-principal`.
///
/// RFC 4918 §9.1 limits allprop to RFC 4918's own live properties, but the python `caldav`
/// library, after following the `/.well-known/caldav` redirect, re-sends PROPFIND with an
/// empty body (= allprop) and looks for current-user-principal in the answer; without it,
/// discovery from the well-known URL fails. Adding one property to allprop breaks no one.
pub const ALLPROP_HAS_CURRENT_USER_PRINCIPAL: bool = true;

/// ETags in If-Match / If-None-Match are compared with surrounding backslash escapes and
/// quotes removed.
///
/// Evolution sometimes sends `If-Match: \"abc\"` (escaped quotes) — CLIENTS.md, Everyone.
pub fn normalize_etag(raw: &str) -> &str {
    let t = raw.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches(|c| c == '"' || c == '\\')
}

/// Sync tokens are `http:` URIs: this prefix followed by `{collection}-{sequence}`.
///
/// RFC 6578 §3.2 only requires a URI, but evolution-data-server ignores a token without ':'
/// or '/', so the token is written in the one form every client takes.
pub const SYNC_TOKEN_PREFIX: &str = "http://calvault.org/ns/sync/";

/// `DAV:current-user-privilege-set` of collections and objects lists the privileges that
/// `DAV:write` aggregates, one by one, after `DAV:write` itself.
///
/// RFC 3744 §5.4 lets a server report the aggregate alone, but Thunderbird and Outlook CalDav
/// Synchronizer look for `write-content` (or `bind`) and treat a calendar without it as
/// read-only.
pub const WRITE_PRIVILEGES_SPELLED_OUT: &[&str] = &[
    "write",
    "write-content",
    "write-properties",
    "bind",
    "unbind",
];

/// MKCALENDAR accepts a `DAV:resourcetype` in its body, checked as an extended MKCOL's is
/// (it may only describe a calendar collection).
///
/// RFC 4791 §5.3.1 sets properties as PROPPATCH would, where resourcetype is protected
/// (RFC 4918 §15.9); DAVx5 sends `<resourcetype><collection/><C:calendar/></resourcetype>`
/// in its MKCALENDAR body, as RFC 5689 allows for extended MKCOL, and would fail to create
/// calendars otherwise.
pub const MKCALENDAR_MAY_NAME_ITS_RESOURCETYPE: bool = true;

/// The earliest date-time accepted in calendar data and advertised as `C:min-date-time`:
/// 1600-01-01T00:00:00Z, as Unix seconds.
///
/// RFC 4791 §5.2.6 leaves the value to the server; Apple Contacts and Calendar store
/// birthdays without a year in 1604, and a later limit would refuse them.
pub const EARLIEST_DATE_TIME: i64 = -11_676_096_000;

/// `mailto:` followed by a user's login name is one of their calendar user addresses.
///
/// RFC 6638 §2.4.1 lets the server say which addresses are a user's, and the
/// `calendar-user-address-set` lists only `mailto:` their e-mail and the principal URL; but
/// Evolution's free-busy request to the outbox names as ORGANIZER the e-mail configured in
/// the account *or the login* (`get_free_busy_from_schedule_outbox_sync` in
/// evolution-data-server's CalDAV backend, shared/CLIENTS-multiuser.md §6e), and refusing
/// it with `valid-organizer` leaves its users without free-busy. A login is no e-mail
/// domain of anyone else, so accepting it as the user's own gives nobody another's mail.
pub fn login_is_an_address(mailbox: &str, login: &str) -> bool {
    mailbox.eq_ignore_ascii_case(login)
}

/// In a `principal-property-search` REPORT, property elements written beside `DAV:prop`
/// rather than inside it are asked for as if they were inside.
///
/// RFC 3744 §9.4 has the report hold `property-search*`, one `prop` and an optional
/// `apply-to-principal-collection-set`, and RFC 4918 §17 would have anything else ignored.
/// The python `caldav` library (3.x, `DAVClient._build_principal_search_query`, behind
/// `search_principals()` and caldav-server-tester's principal-search checks) writes an empty
/// `<D:prop/>` followed by `<C:calendar-home-set/><D:displayname/>` as its siblings, and
/// skips every answer without a displayname: read strictly, every search of its finds no one.
pub fn principal_search_props(report: &dav_xml::Element) -> Vec<dav_xml::Element> {
    let inside = report
        .child(dav_xml::DAV, "prop")
        .into_iter()
        .flat_map(|p| p.elements());
    inside.chain(props_beside_prop(report)).cloned().collect()
}

/// A `principal-property-search` written in python `caldav`'s form (properties beside
/// `DAV:prop`, [`principal_search_props`]) finds users only, not group principals.
///
/// RFC 3744 §9.4 searches every principal, groups among them, and other searches here do.
/// But python caldav's parser (`DAVClient._parse_principal_search_response`, 3.x) indexes
/// `calendar-home-set` in every answer that has a displayname and asserts it holds one href;
/// a group has no calendar home (it owns no calendars), so one group in the answer made
/// `search_principals()` raise `KeyError` for every member of a group. The form is that
/// library's alone, so no other client loses the groups.
pub fn principal_search_finds_users_only(report: &dav_xml::Element) -> bool {
    props_beside_prop(report).next().is_some()
}

fn props_beside_prop(report: &dav_xml::Element) -> impl Iterator<Item = &dav_xml::Element> {
    report.elements().filter(|e| {
        ![
            "property-search",
            "prop",
            "apply-to-principal-collection-set",
        ]
        .iter()
        .any(|known| e.name.is(dav_xml::DAV, known))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_quotes_are_removed_from_etags() {
        assert_eq!(super::normalize_etag(r#"\"abc\""#), "abc");
        assert_eq!(super::normalize_etag(r#" "abc" "#), "abc");
        assert_eq!(super::normalize_etag(r#"W/"abc""#), "abc");
    }

    #[test]
    fn the_earliest_date_time_is_1600() {
        let t =
            chrono::DateTime::from_timestamp(super::EARLIEST_DATE_TIME, 0).map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("1600-01-01T00:00:00+00:00"));
    }
}
