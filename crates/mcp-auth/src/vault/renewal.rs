//! Renewal in the background, while the app runs: each grant that can renew
//! itself (a refresh token, or a grant no person attends) and that was used
//! in the last [`USED_WITHIN`] is renewed a little before the margin at which
//! a bridge or `mcp-auth token` would renew it themselves, so they find a
//! fresh token and never wait. Grants nobody uses are left to lapse: keeping
//! them alive would only widen what a stolen refresh token is worth.
//!
//! Each renewal goes through the vault's one cross-process lock (a bridge
//! renewing at the same moment makes one request, not two). A failure is
//! tried again later, waiting twice as long each time ([`backoff`]), and a
//! refused refresh (`invalid_grant`) is not tried again: the person signs in.

use std::collections::HashMap;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::oauth::grant::{Clock, REFRESH_MARGIN};
use crate::vault::store::Store;
use crate::vault::Vault;

/// A grant used (or obtained) within this long is kept alive.
pub const USED_WITHIN: Duration = Duration::from_secs(30 * 24 * 3600);

/// How much earlier than the margin a background renewal runs: more than the
/// app's tick, so a consumer never meets a token inside the margin.
pub const AHEAD: Duration = Duration::from_secs(120);

/// The activity event of a background renewal, and who did it.
pub const RENEWED: &str = "renewed_in_background";
const BY: &str = "MCP Auth Manager";

/// The first wait after a failure; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(60);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);

/// The wait after `failures` failures in a row.
pub fn backoff(failures: u32) -> Duration {
    let factor = 1u32.checked_shl(failures.saturating_sub(1)).unwrap_or(u32::MAX);
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// What a pass did to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewed {
    /// A new token is in the vault.
    Renewed { server: String },
    /// The server refused the refresh (or the grant is gone): a sign-in is
    /// needed, and no later pass will try again.
    NeedsSignIn { server: String, reason: String },
    /// It failed for now (network, server error); tried again after the backoff.
    Failed { server: String, reason: String, retry_in: Duration },
}

/// Remembers failures between passes.
#[derive(Debug, Default)]
pub struct Renewals {
    failures: HashMap<String, (u32, u64)>,
    given_up: HashMap<String, u64>,
}

impl Renewals {
    /// One pass over the list: renew what is due. Returns what it did.
    pub async fn pass<V: Vault>(&mut self, store: &Store<V>, clock: &dyn Clock) -> Result<Vec<Renewed>> {
        let now = clock.now();
        let (list, _) = store.list()?;
        let activity = store.activity();
        let mut done = Vec::new();
        for entry in &list.servers {
            let Some(g) = &entry.grant else { continue };
            let renews_itself = g.has_refresh_token || entry.grant_kind.as_ref().is_some_and(|k| k.is_unattended());
            let Some(expires_at) = g.expires_at.filter(|_| renews_itself) else { continue };
            // A grant given up on stays so until the person signs in again (a new grant).
            if self.given_up.get(&entry.name).is_some_and(|obtained| *obtained == g.obtained_at) {
                continue;
            }
            // Its own renewals are not a use, and they move `obtained_at`: the
            // sign-in itself is (`signed_in_at`; 0 in a summary of before).
            let last_used = activity
                .get(&entry.name)
                .and_then(|events| events.iter().filter(|e| e.what != RENEWED).map(|e| e.at).max())
                .unwrap_or(0)
                .max(if g.signed_in_at > 0 { g.signed_in_at } else { g.obtained_at });
            if now.saturating_sub(last_used) > USED_WITHIN.as_secs() {
                continue;
            }
            let lifetime = expires_at.saturating_sub(g.obtained_at);
            let margin = REFRESH_MARGIN.min(lifetime / 2) + AHEAD.as_secs().min(lifetime / 4);
            if now.saturating_add(margin) < expires_at {
                continue;
            }
            if self.failures.get(&entry.name).is_some_and(|(_, next)| now < *next) {
                continue;
            }
            match store.renew_ahead(&entry.name, g.obtained_at, clock).await {
                // Another face renewed it while this pass waited: nothing done here.
                Ok(next) if next.obtained_at < now => {
                    self.failures.remove(&entry.name);
                }
                Ok(_) => {
                    self.failures.remove(&entry.name);
                    // A record for the person; a lost one is no harm.
                    let _ = store.record_activity(&entry.name, RENEWED, BY, None, clock);
                    done.push(Renewed::Renewed { server: entry.name.clone() });
                }
                Err(e @ (Error::InvalidGrant { .. } | Error::NotSignedIn { .. } | Error::ClientRejected { .. })) => {
                    self.failures.remove(&entry.name);
                    self.given_up.insert(entry.name.clone(), g.obtained_at);
                    done.push(Renewed::NeedsSignIn { server: entry.name.clone(), reason: e.to_string() });
                }
                Err(e) => {
                    let failures = self.failures.get(&entry.name).map(|(n, _)| n + 1).unwrap_or(1);
                    let retry_in = backoff(failures);
                    self.failures.insert(entry.name.clone(), (failures, now + retry_in.as_secs()));
                    done.push(Renewed::Failed { server: entry.name.clone(), reason: e.to_string(), retry_in });
                }
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_a_minute_to_half_an_hour() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1800, 1800, 1800]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
