//! App passwords: per-device secrets a user can revoke one by one. A token is 160 random
//! bits, shown once as `cv1-` and eight groups of four base32 letters (easy to type on a
//! phone; dashes, spaces and case do not matter). The store keeps only a keyed BLAKE3 hash:
//! a secret of that entropy needs no slow hash, so checking one costs a lookup, not an
//! Argon2 run, and floods of a revoked token cost nothing.

use std::fmt;

use store::{AppToken, NewToken, PrincipalId, TokenScope};

/// What every token starts with: tells a token from a password without trying both.
const PREFIX: &str = "cv1";
const SECRET_BYTES: usize = 20;
/// Base32 letters in a token after the prefix.
const SECRET_LETTERS: usize = 32;

/// A newly made token: the secret to show once, and what to store.
pub struct Issued {
    pub secret: Secret,
    pub new: NewToken,
}

/// A token's secret in its display form.
pub struct Secret(String);

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Makes a token for `owner`.
pub fn issue(owner: PrincipalId, label: &str, scope: TokenScope) -> Result<Issued, String> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(
            "an app password's label must be 1 to 100 characters without control characters".into(),
        );
    }
    let mut random = [0u8; SECRET_BYTES];
    getrandom::getrandom(&mut random).map_err(|e| format!("no randomness available: {e}"))?;
    let letters = data_encoding::BASE32_NOPAD
        .encode(&random)
        .to_ascii_lowercase();
    let groups: Vec<&str> = letters
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    let secret = format!("{PREFIX}-{}", groups.join("-"));
    let hash = hash_of(&secret).ok_or("a new token did not parse as one")?;
    Ok(Issued {
        secret: Secret(secret),
        new: NewToken {
            owner,
            label: label.to_owned(),
            hash,
            scope,
        },
    })
}

/// The stored hash of `secret` when it has a token's shape, None for anything else (a
/// password).
pub fn hash_of(secret: &str) -> Option<String> {
    let canonical: String = secret
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let letters = canonical.strip_prefix(PREFIX)?;
    let valid = letters.len() == SECRET_LETTERS
        && letters
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    valid.then(|| {
        blake3::keyed_hash(&key(), canonical.as_bytes())
            .to_hex()
            .to_string()
    })
}

/// The hash key: fixed, so that every node computes the same hash; it only separates these
/// hashes from any other BLAKE3 use (the secret's entropy is what protects it).
fn key() -> [u8; 32] {
    blake3::derive_key("calvault 2026-12 app password v1", b"")
}

/// Who a change made with `token` is recorded as: the user and the device's label.
pub fn author(user: &str, token: Option<&AppToken>) -> String {
    match token {
        Some(t) => format!("{user} [{}]", t.label),
        None => user.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_is_recognised_however_it_is_typed_and_a_password_is_not() {
        let issued = issue(7, "phone", TokenScope::All).unwrap();
        let shown = issued.secret.to_string();
        assert!(shown.starts_with("cv1-"));
        assert_eq!(shown.len(), 4 + 8 * 5 - 1);
        let hash = hash_of(&shown).unwrap();
        assert_eq!(issued.new.hash, hash);
        let typed = shown.replace('-', " ").to_uppercase();
        assert_eq!(hash_of(&typed), Some(hash.clone()));
        assert_ne!(
            hash_of(
                &issue(7, "phone", TokenScope::All)
                    .unwrap()
                    .secret
                    .to_string()
            ),
            Some(hash),
            "every token is new"
        );
        for password in [
            "hunter2",
            "cv1-short",
            "cv1-0000-0000-0000-0000-0000-0000-0000-0000",
        ] {
            assert_eq!(hash_of(password), None, "{password}");
        }
    }

    #[test]
    fn labels_are_checked_and_name_the_device_in_history() {
        assert!(issue(1, "  ", TokenScope::All).is_err());
        assert!(issue(1, "a\nb", TokenScope::All).is_err());
        let t = issue(1, " Ann's phone ", TokenScope::ReadOnly).unwrap().new;
        assert_eq!(t.label, "Ann's phone");
        let token = AppToken {
            id: 1,
            owner: 1,
            label: t.label,
            scope: t.scope,
            created_at: 0,
            last_used_at: None,
        };
        assert_eq!(author("ann", Some(&token)), "ann [Ann's phone]");
        assert_eq!(author("ann", None), "ann");
    }
}
