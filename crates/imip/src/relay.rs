//! Where messages go: an SMTP relay (lettre's transport), behind a trait so that the
//! sender is tested without one.

use std::future::Future;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why the relay did not take a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// RFC 5321 §4.2.1: a 5yz reply, which a retry will not change.
    pub permanent: bool,
    pub detail: String,
}

pub trait Relay: Send + Sync + 'static {
    /// Hands `message` to the relay: Ok once it accepted it (250 after DATA).
    fn send(&self, message: Message) -> impl Future<Output = Result<(), Refusal>> + Send;
}

impl Relay for AsyncSmtpTransport<Tokio1Executor> {
    async fn send(&self, message: Message) -> Result<(), Refusal> {
        AsyncTransport::send(self, message)
            .await
            .map(drop)
            .map_err(|e| Refusal {
                permanent: e.is_permanent(),
                detail: e.to_string(),
            })
    }
}
