//! Every limit of the protocol engine, with the reason it exists.

/// One place for the numbers that keep hostile or broken input cheap.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest calendar object accepted (RFC 4791 `max-resource-size`). Real events are a
    /// few kilobytes; megabytes are attachments inlined by mistake or an attack on storage.
    pub max_resource_size: u64,
    /// Earliest and latest date-time accepted in calendar data (RFC 4791 `min-date-time`,
    /// `max-date-time`), as Unix seconds: bounds recurrence work and index ranges.
    pub min_date_time: i64,
    pub max_date_time: i64,
    /// Most instances one expansion may produce (RFC 4791 `max-instances`): an RRULE with
    /// FREQ=SECONDLY and no end would otherwise burn CPU without bound.
    pub max_instances: u32,
    /// Most hrefs one calendar-multiget may name: each costs a lookup and a response.
    pub max_multiget_hrefs: usize,
    /// Quota for users without their own, in bytes; None means unlimited.
    pub default_quota: Option<u64>,
    /// Longest WebDAV lock a client gets, in seconds, whatever Timeout it asks for
    /// (RFC 4918 §10.7 leaves the choice to the server): a client that crashed while it
    /// held a lock keeps everyone else out for at most this long. Clients editing for
    /// longer refresh their lock.
    pub max_lock_timeout_secs: u64,
    /// Whom principal searches and listings show (`principal_search`).
    pub principal_search: crate::access::PrincipalSearch,
    /// Whether a share appears in the sharee's home at once (`sharing_accept`).
    pub sharing_accept: SharingAccept,
    /// Most attendees one meeting may invite (RFC 4791 `max-attendees-per-instance`): each
    /// local attendee costs a delivery of several writes, so a PUT naming thousands would
    /// tie the server up and fill inboxes.
    pub max_attendees: usize,
    /// Most messages a scheduling inbox keeps (RFC 6638 §2.2); the oldest goes when a new
    /// one arrives. Clients that never clean their inbox (most auto-scheduling ones) would
    /// otherwise let anyone who invites them grow it without end.
    pub max_inbox_items: u64,
}

/// The `sharing_accept` setting: a calendar shared with a user of this server shows in
/// their home at once (what DAVx5, Thunderbird and Evolution need, having no invitations),
/// or only once they accept the invitation (Apple's flow).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SharingAccept {
    #[default]
    Auto,
    Invite,
}

impl SharingAccept {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(SharingAccept::Auto),
            "invite" => Some(SharingAccept::Invite),
            _ => None,
        }
    }
}

impl Limits {
    /// The quota that applies to `user`: their own, else [`Limits::default_quota`].
    pub fn quota_for(&self, user: &store::User) -> Option<u64> {
        user.quota_bytes.or(self.default_quota)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_resource_size: 10 * 1024 * 1024,
            min_date_time: crate::quirks::EARLIEST_DATE_TIME,
            // 2500-12-31T23:59:59Z
            max_date_time: 16_756_761_599,
            max_instances: 10_000,
            max_multiget_hrefs: 5_000,
            default_quota: None,
            max_lock_timeout_secs: 3_600,
            principal_search: Default::default(),
            sharing_accept: Default::default(),
            max_attendees: 100,
            max_inbox_items: 500,
        }
    }
}
