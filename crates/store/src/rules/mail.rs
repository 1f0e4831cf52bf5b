//! When the mail outbox tries a message again (docs/scheduling.md): exponential backoff
//! from the first retry delay up to a ceiling, and giving up after so many attempts or at
//! once on a permanent refusal (RFC 5321 §4.2.1: a 5yz reply will not change on retry).

/// What became of a message whose attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailFate {
    /// Tried again at this time (Unix ms).
    RetryAt(i64),
    /// Given up: the organizer's copy should say so.
    GaveUp,
}

/// How long a claimed message is its sender's: longer than one SMTP exchange may take
/// (lettre's timeout is one minute per command), so that only a sender that died leaves
/// it to another node.
pub const LEASE_MS: i64 = 5 * 60 * 1000;

/// The retry schedule, from the `[smtp]` configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first retry, in ms; each next one doubles it.
    pub first_ms: i64,
    /// The longest delay between two attempts, in ms.
    pub max_ms: i64,
    /// Attempts after which a message is given up.
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 30 s, doubling up to 4 h, for 12 attempts: about a day and a half of outage.
    fn default() -> Self {
        Backoff {
            first_ms: 30_000,
            max_ms: 4 * 3600 * 1000,
            max_attempts: 12,
        }
    }
}

/// What follows a failed attempt, the `attempts`-th, at `now`.
pub fn after_failure(backoff: Backoff, attempts: u32, permanent: bool, now: i64) -> MailFate {
    if permanent || attempts >= backoff.max_attempts {
        return MailFate::GaveUp;
    }
    let doublings = attempts.saturating_sub(1).min(40);
    let delay = backoff
        .first_ms
        .max(1)
        .saturating_mul(1_i64 << doublings)
        .min(backoff.max_ms.max(backoff.first_ms));
    MailFate::RetryAt(now.saturating_add(delay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_ceiling_and_attempts_run_out() {
        let b = Backoff {
            first_ms: 1000,
            max_ms: 5000,
            max_attempts: 5,
        };
        assert_eq!(after_failure(b, 1, false, 0), MailFate::RetryAt(1000));
        assert_eq!(after_failure(b, 2, false, 0), MailFate::RetryAt(2000));
        assert_eq!(after_failure(b, 3, false, 10), MailFate::RetryAt(4010));
        assert_eq!(after_failure(b, 4, false, 0), MailFate::RetryAt(5000));
        assert_eq!(after_failure(b, 5, false, 0), MailFate::GaveUp);
        assert_eq!(after_failure(b, 1, true, 0), MailFate::GaveUp);
        let huge = Backoff {
            max_attempts: 1000,
            ..Backoff::default()
        };
        assert_eq!(
            after_failure(huge, 999, false, 0),
            MailFate::RetryAt(huge.max_ms)
        );
    }
}
