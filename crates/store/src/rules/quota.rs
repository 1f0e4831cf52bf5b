//! RFC 4331 quotas: a write that grows a user's data past their quota is refused (507).

use crate::{Result, StoreError};

/// Whether a write growing the owner's data by `delta` bytes needs their usage read at all:
/// writes without a quota, and writes that do not grow, always fit.
pub fn needs_usage(quota: Option<u64>, delta: i64) -> bool {
    quota.is_some() && delta > 0
}

/// Refuses growth by `delta` when `usage` plus it would pass `quota`.
pub fn check(quota: Option<u64>, usage: u64, delta: i64) -> Result<()> {
    let Some(quota) = quota else { return Ok(()) };
    if delta <= 0 {
        return Ok(());
    }
    let needed = usage.saturating_add(delta.unsigned_abs());
    if needed > quota {
        return Err(StoreError::QuotaExceeded { quota, needed });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn growth_past_the_quota_is_refused_and_shrinking_always_fits() {
        assert!(!needs_usage(None, 10));
        assert!(!needs_usage(Some(5), 0));
        assert!(needs_usage(Some(5), 1));
        assert_eq!(check(Some(10), 5, 5), Ok(()));
        assert_eq!(
            check(Some(10), 5, 6),
            Err(StoreError::QuotaExceeded {
                quota: 10,
                needed: 11
            })
        );
        assert_eq!(check(Some(10), 50, -1), Ok(()));
        assert_eq!(check(None, u64::MAX, i64::MAX), Ok(()));
    }
}
