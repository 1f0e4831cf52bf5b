//! What a method handler needs besides the request: the engine and who is asking.

use store::PrincipalId;

use crate::error::DavResult;
use crate::{Caller, Engine};

/// Everything a method handler needs besides the request.
pub struct Cx<'a> {
    pub engine: &'a Engine,
    /// For a write, its change carries the lock tokens the request submits.
    pub caller: &'a Caller,
    /// Which lock tokens of the If header name a live lock (see `crate::lock::held`).
    pub if_tokens: crate::conditional::TokenMatches,
}

impl Cx<'_> {
    pub fn quota(&self) -> Option<u64> {
        self.engine.limits.quota_for(&self.caller.user)
    }

    /// The quota a write into a collection of `owner` counts against: the owner's, whoever
    /// writes.
    pub async fn quota_of(&self, owner: PrincipalId) -> DavResult<Option<u64>> {
        if owner == self.caller.user.id {
            return Ok(self.quota());
        }
        let user = self.engine.store.user_by_id(owner).await?;
        Ok(user.and_then(|u| self.engine.limits.quota_for(&u)))
    }
}
