//! Property answering, for PROPFIND and every REPORT: the live-property table ([`live`]), the
//! per-request environment its values read ([`PropEnv`]), propstat grouping ([`propstat`]),
//! the one response builder ([`PropResponses`], and [`MemberResponses`] for the objects of a
//! collection), the members a Depth: 1 answer lists, and the paged reading and answer sizing
//! of long listings ([`ObjectPages`]). Method handlers decide which resources to answer for;
//! everything about what a response holds is here.

mod element;
mod env;
mod live;
mod members;
mod pages;
mod propstat;
mod responses;
mod sharing;
mod sync_token;

pub use env::{dead_properties, is_delegate, PropEnv};
pub use live::{http_date, is_protected, quoted_etag, value};
pub use members::{members, members_but_objects};
pub use pages::{reserve_for, ObjectPages};
pub use propstat::no_extra;
pub use responses::{MemberResponses, PropResponses};
pub use sync_token::SyncToken;
