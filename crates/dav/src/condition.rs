//! Every precondition and postcondition element the engine reports (RFC 4918 §16), as one
//! enum, and the one place each becomes its XML element and its status.

use dav_xml::{Element, QName};
use http::StatusCode;

/// A condition code put inside `DAV:error` (or a PROPPATCH propstat's error), telling the
/// client which rule its request broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    // RFC 4791 (CalDAV) §5.3.2.1, §5.3.1.1, §7.8, §9.
    /// The body is not valid iCalendar (also a calendar-timezone that is not, §5.2.2).
    ValidCalendarData,
    /// The iCalendar object breaks the rules of a stored calendar object (§4.1).
    ValidCalendarObjectResource,
    /// A calendar collection holds text/calendar only.
    SupportedCalendarData,
    /// The calendar does not take the object's component type, or a component set names
    /// one this server does not know.
    SupportedCalendarComponent,
    /// The object is larger than `Limits::max_resource_size`.
    MaxResourceSize,
    /// A date-time before `Limits::min_date_time`.
    MinDateTime,
    /// A date-time after `Limits::max_date_time`.
    MaxDateTime,
    /// A recurrence set larger than `Limits::max_instances`.
    MaxInstances,
    /// The UID is in use in this calendar already; `href` names the resource that holds it
    /// (the store mapping, which does not know the collection's URL, cannot give it).
    NoUidConflict { href: Option<String> },
    /// No collection may be created inside a calendar collection.
    CalendarCollectionLocationOk,
    /// The calendar-query filter is malformed.
    ValidFilter,
    /// The filter uses an element this server cannot evaluate.
    SupportedFilter,
    /// A text-match names a collation this server does not have.
    SupportedCollation,

    /// RFC 4791 §5.3.2.1: more attendees than `Limits::max_attendees`.
    MaxAttendeesPerInstance,

    // RFC 6638 (CalDAV scheduling) §3.2.4, §5.1, §6.1, §9.2.
    /// Another scheduling object resource of the calendar user has this UID (`href`).
    UniqueSchedulingObjectResource { href: String },
    /// The components of a scheduling object name different organizers.
    SameOrganizerInAllComponents,
    /// The organizer's copy may not change who organizes.
    AllowedOrganizerSchedulingObjectChange,
    /// A POST to the outbox is no valid iTIP message.
    ValidSchedulingMessage,
    /// The ORGANIZER of an outbox POST is not the outbox's owner.
    ValidOrganizer,
    /// `schedule-default-calendar-URL` names no calendar of the owner that takes events.
    ValidScheduleDefaultCalendarUrl,

    // WebDAV: RFC 4918, RFC 5689, RFC 6578, RFC 4331, RFC 3253.
    /// RFC 4918 §9.1: PROPFIND with Depth: infinity is refused.
    PropfindFiniteDepth,
    /// RFC 4918 §9.2.1: a computed property cannot be set or removed.
    CannotModifyProtectedProperty,
    /// RFC 4918 §16: the body names an external entity or DTD, which is never fetched.
    NoExternalEntities,
    /// RFC 5689 §3.3: only collections and calendars can be created.
    ValidResourcetype,
    /// RFC 6578 §3.2: the sync-token was not handed out by this collection.
    ValidSyncToken,
    /// RFC 6578 §3.3: `sync-level` infinite is not supported on this collection.
    SyncTraversalSupported,
    /// RFC 4331 §6: the write would take the user past their quota.
    QuotaNotExceeded,
    /// RFC 3253 §3.6: the REPORT is not supported on this resource.
    SupportedReport,
    /// RFC 4918 §16: the write touches locked URLs without their lock tokens; `roots` are
    /// the lock roots, as paths below the home until `crate::lock::place_roots` makes
    /// them hrefs.
    LockTokenSubmitted { roots: Vec<String> },
    /// RFC 4918 §16: a LOCK conflicts with the locks rooted at `roots` (placed likewise).
    NoConflictingLock { roots: Vec<String> },
    /// RFC 4918 §16: UNLOCK named a token that is no live lock covering the request URL.
    LockTokenMatchesRequestUri,
    /// RFC 3744 §7.1.1: the caller lacks `privilege` on the resource at `href`.
    NeedPrivileges { href: String, privilege: QName },
    /// RFC 3744 §8.1.1: an href names no principal of this server.
    RecognizedPrincipal,
}

impl Condition {
    /// The element that names the condition, with its content where the RFC gives it one.
    pub fn element(&self) -> Element {
        let name = match self {
            Condition::ValidCalendarData => QName::caldav("valid-calendar-data"),
            Condition::ValidCalendarObjectResource => {
                QName::caldav("valid-calendar-object-resource")
            }
            Condition::SupportedCalendarData => QName::caldav("supported-calendar-data"),
            Condition::SupportedCalendarComponent => QName::caldav("supported-calendar-component"),
            Condition::MaxResourceSize => QName::caldav("max-resource-size"),
            Condition::MinDateTime => QName::caldav("min-date-time"),
            Condition::MaxDateTime => QName::caldav("max-date-time"),
            Condition::MaxInstances => QName::caldav("max-instances"),
            Condition::NoUidConflict { href } => {
                let e = Element::new(QName::caldav("no-uid-conflict"));
                return match href {
                    Some(href) => e.with_child(Element::text(QName::dav("href"), href.clone())),
                    None => e,
                };
            }
            Condition::MaxAttendeesPerInstance => QName::caldav("max-attendees-per-instance"),
            Condition::UniqueSchedulingObjectResource { href } => {
                return Element::new(QName::caldav("unique-scheduling-object-resource"))
                    .with_child(Element::text(QName::dav("href"), href.clone()));
            }
            Condition::SameOrganizerInAllComponents => {
                QName::caldav("same-organizer-in-all-components")
            }
            Condition::AllowedOrganizerSchedulingObjectChange => {
                QName::caldav("allowed-organizer-scheduling-object-change")
            }
            Condition::ValidSchedulingMessage => QName::caldav("valid-scheduling-message"),
            Condition::ValidOrganizer => QName::caldav("valid-organizer"),
            Condition::ValidScheduleDefaultCalendarUrl => {
                QName::caldav("valid-schedule-default-calendar-URL")
            }
            Condition::CalendarCollectionLocationOk => {
                QName::caldav("calendar-collection-location-ok")
            }
            Condition::ValidFilter => QName::caldav("valid-filter"),
            Condition::SupportedFilter => QName::caldav("supported-filter"),
            Condition::SupportedCollation => QName::caldav("supported-collation"),
            Condition::PropfindFiniteDepth => QName::dav("propfind-finite-depth"),
            Condition::CannotModifyProtectedProperty => {
                QName::dav("cannot-modify-protected-property")
            }
            Condition::NoExternalEntities => QName::dav("no-external-entities"),
            Condition::ValidResourcetype => QName::dav("valid-resourcetype"),
            Condition::ValidSyncToken => QName::dav("valid-sync-token"),
            Condition::SyncTraversalSupported => QName::dav("sync-traversal-supported"),
            Condition::QuotaNotExceeded => QName::dav("quota-not-exceeded"),
            Condition::SupportedReport => QName::dav("supported-report"),
            Condition::LockTokenSubmitted { roots } => {
                return with_hrefs(QName::dav("lock-token-submitted"), roots)
            }
            Condition::NoConflictingLock { roots } => {
                return with_hrefs(QName::dav("no-conflicting-lock"), roots)
            }
            Condition::LockTokenMatchesRequestUri => QName::dav("lock-token-matches-request-uri"),
            Condition::RecognizedPrincipal => QName::dav("recognized-principal"),
            Condition::NeedPrivileges { href, privilege } => {
                let resource = Element::new(QName::dav("resource"))
                    .with_child(Element::text(QName::dav("href"), href.clone()))
                    .with_child(
                        Element::new(QName::dav("privilege"))
                            .with_child(Element::new(privilege.clone())),
                    );
                return Element::new(QName::dav("need-privileges")).with_child(resource);
            }
        };
        Element::new(name)
    }

    /// The status a refusal for this condition carries: RFC 4791 §1.3 and RFC 4918 §16 make
    /// it 403 unless a more specific one fits; RFC 4331 §6 allows 507 for the quota, which
    /// says what is wrong more plainly.
    pub fn status(&self) -> StatusCode {
        match self {
            Condition::QuotaNotExceeded => StatusCode::INSUFFICIENT_STORAGE,
            // RFC 6638 §3.2.4.1, §5.1: a UID clash and a changed organizer are conflicts.
            Condition::UniqueSchedulingObjectResource { .. }
            | Condition::AllowedOrganizerSchedulingObjectChange => StatusCode::CONFLICT,
            // RFC 4918 §9.10.6, §9.11.1: locks answer 423 and 409.
            Condition::LockTokenSubmitted { .. } | Condition::NoConflictingLock { .. } => {
                StatusCode::LOCKED
            }
            Condition::LockTokenMatchesRequestUri => StatusCode::CONFLICT,
            _ => StatusCode::FORBIDDEN,
        }
    }

    /// The condition an iCalendar validation failure reports.
    pub fn of_invalid(e: &ical::Invalid) -> Self {
        match e {
            ical::Invalid::CalendarData(_) => Condition::ValidCalendarData,
            ical::Invalid::ObjectResource(_) => Condition::ValidCalendarObjectResource,
            ical::Invalid::MinDateTime(_) => Condition::MinDateTime,
            ical::Invalid::MaxDateTime(_) => Condition::MaxDateTime,
        }
    }
}

/// A condition element holding one `DAV:href` per entry.
fn with_hrefs(name: QName, hrefs: &[String]) -> Element {
    Element::new(name).with_children(
        hrefs
            .iter()
            .map(|h| Element::text(QName::dav("href"), h.clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_uid_conflict_carries_the_href_of_the_resource_holding_the_uid() {
        let e = Condition::NoUidConflict {
            href: Some("/dav/calendars/ann/work/a.ics".into()),
        }
        .element();
        assert_eq!(e.name, QName::caldav("no-uid-conflict"));
        let href = e.child(dav_xml::DAV, "href").map(Element::text_content);
        assert_eq!(href.as_deref(), Some("/dav/calendars/ann/work/a.ics"));
    }

    #[test]
    fn conditions_are_403_except_the_quota() {
        assert_eq!(Condition::ValidFilter.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            Condition::QuotaNotExceeded.status(),
            StatusCode::INSUFFICIENT_STORAGE
        );
    }
}
