//! Password hashing: Argon2id with a random salt, in PHC string form.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Constant-time verification; a malformed stored hash never verifies.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_only_their_password() {
        let h = super::hash("s3cret").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("s3cret", &h));
        assert!(!super::verify("s3cret!", &h));
        assert!(!super::verify("s3cret", "not a hash"));
    }
}
