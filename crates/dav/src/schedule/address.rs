//! Calendar user addresses (RFC 6638 §2.4.1): the ones a user of this server answers to,
//! and which user an address in calendar data names.

use std::sync::Arc;

use ical::itip::address_key;
use store::{Store, User};

use crate::error::DavResult;
use crate::path::{self, Target};

/// The addresses of `user` as `calendar-user-address-set` lists them: `mailto:` their
/// e-mail first, then their principal URL.
pub fn addresses_of(user: &User) -> Vec<String> {
    let mut out = Vec::with_capacity(2);
    if let Some(email) = &user.email {
        out.push(format!("mailto:{email}"));
    }
    out.push(path::principal_href(&user.name));
    out
}

/// True when the address (compared as [`address_key`] does) is one of `user`'s: their
/// e-mail with `mailto:`, their principal URL (as a path or absolute), `urn:x-uid:NAME`,
/// or `mailto:NAME` ([`crate::quirks::login_is_an_address`]).
pub fn is_address_of(address: &str, user: &User) -> bool {
    let key = address_key(address);
    if let Some(mail) = key.strip_prefix("mailto:") {
        return user
            .email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(mail))
            || crate::quirks::login_is_an_address(mail, &user.name);
    }
    principal_name(address).is_some_and(|n| n == user.name)
}

/// The user name a principal URL or `urn:x-uid:` address names.
fn principal_name(address: &str) -> Option<String> {
    let address = address.trim();
    if let Some(uid) = address
        .get(..10)
        .filter(|p| p.eq_ignore_ascii_case("urn:x-uid:"))
        .map(|_| &address[10..])
    {
        return Some(uid.to_owned());
    }
    match path::href_path(address, None).map(path::parse) {
        Some(Ok(Target::Principal(name))) => Some(name),
        _ => None,
    }
}

/// The users of this server, read once per request that needs to resolve addresses.
pub struct Directory {
    users: Vec<Arc<User>>,
}

impl Directory {
    pub async fn load(store: &dyn Store) -> DavResult<Directory> {
        let users = store
            .list_users()
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
        Ok(Directory { users })
    }

    /// The user an address names; None for anyone not on this server.
    pub fn user(&self, address: &str) -> Option<Arc<User>> {
        self.users
            .iter()
            .find(|u| is_address_of(address, u))
            .cloned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ann() -> User {
        User {
            id: 1,
            name: "ann".into(),
            display_name: None,
            email: Some("Ann@Example.org".into()),
            password_hash: String::new(),
            quota_bytes: None,
            created_at: 0,
            admin: false,
            disabled: false,
        }
    }

    #[test]
    fn every_form_of_a_users_address_is_theirs() {
        let ann = ann();
        for address in [
            "mailto:ann@example.org",
            "MAILTO:ANN@EXAMPLE.ORG",
            "mailto:ann",
            "/dav/principals/ann/",
            "https://cal.example.org/dav/principals/ann/",
            "urn:x-uid:ann",
        ] {
            assert!(is_address_of(address, &ann), "{address}");
        }
        for address in [
            "mailto:bob@example.org",
            "/dav/principals/bob/",
            "urn:x-uid:annie",
        ] {
            assert!(!is_address_of(address, &ann), "{address}");
        }
        assert_eq!(
            addresses_of(&ann),
            ["mailto:Ann@Example.org", "/dav/principals/ann/"]
        );
    }
}
