//! What is kept about one sign-in: the tokens, the scopes actually granted, the
//! issuer and client, and when the access token expires.
//!
//! Time is passed in through [`Clock`], so expiry and refresh margins are tested
//! without sleeping. Refresh happens early ([`REFRESH_MARGIN`]) because the local
//! clock may be off by minutes or a laptop may have slept; a 401 from the server
//! still wins over any local belief that the token is valid.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::oauth::registration::ClientSource;
use crate::vault::secret::Secret;

/// Refresh this many seconds before the stated expiry.
pub const REFRESH_MARGIN: u64 = 120;

/// Longest lifetime believed from an `expires_in` (one year); larger values are
/// treated as this, since a bogus huge value would disable refreshing.
pub const MAX_BELIEVED_LIFETIME: u64 = 365 * 24 * 3600;

/// A source of "now", in Unix seconds.
pub trait Clock: Send + Sync {
    fn now(&self) -> u64;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }
}

/// A clock that says what it is told (tests, benchmarks).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}

/// One sign-in's tokens and facts.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The MCP resource the tokens are for (the `resource` sent).
    pub resource: String,
    pub issuer: String,
    pub client_id: String,
    pub client_source: ClientSource,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub token_type: String,
    /// Granted scopes (from the token response, or the requested ones if it is silent).
    pub scopes: Vec<String>,
    /// What was asked for.
    pub requested_scopes: Vec<String>,
    /// Unix seconds; `None` when the server did not say.
    pub expires_at: Option<u64>,
    pub obtained_at: u64,
    /// When the person (or the unattended grant) signed in: kept through every
    /// renewal, which changes `obtained_at`, so a renewal never passes for a use.
    pub signed_in_at: u64,
    /// The private key (PEM) the tokens were asked for with (DPoP, RFC 9449):
    /// every request to the token endpoint carries a proof made with it. The
    /// access token is bound to it only where the server said so
    /// (`token_type` DPoP, [`Grant::access_proof_key`]); a server may decline
    /// to bind an access token and still bind the refresh token (§5), so the
    /// key stays with the grant either way.
    pub dpop_key: Option<Secret>,
    /// Whose sign-in it is, as the server named it (not verified; a label).
    pub account: Option<String>,
}

/// The non-secret view of a grant, safe to print or send to a UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantSummary {
    pub resource: String,
    pub issuer: String,
    pub client_id: String,
    pub client_source: ClientSource,
    pub scopes: Vec<String>,
    pub requested_scopes: Vec<String>,
    pub expires_at: Option<u64>,
    pub obtained_at: u64,
    /// When the sign-in was made (0 in summaries of before: `obtained_at` then).
    #[serde(default)]
    pub signed_in_at: u64,
    pub has_refresh_token: bool,
    /// Bound to a key kept here (DPoP): its tokens (the refresh token at
    /// least, the access token where the server said so) are useless to
    /// another program without it, so apps use it through the bridge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound: bool,
    /// Whose sign-in it is, as the server named it (not verified; a label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl Grant {
    /// Expired, or inside the refresh margin. The margin is [`REFRESH_MARGIN`],
    /// or half the token's lifetime for short-lived tokens (a 60 s token is
    /// not refreshed the moment it arrives).
    pub fn needs_refresh(&self, clock: &dyn Clock) -> bool {
        match self.expires_at {
            Some(t) => {
                let lifetime = t.saturating_sub(self.obtained_at);
                clock.now().saturating_add(REFRESH_MARGIN.min(lifetime / 2)) >= t
            }
            None => false,
        }
    }

    /// The key each request with the access token must prove (the `DPoP`
    /// scheme), where the server bound the token to it.
    pub fn access_proof_key(&self) -> Option<&Secret> {
        self.dpop_key.as_ref().filter(|_| self.token_type.eq_ignore_ascii_case("DPoP"))
    }

    /// The access token works only with a proof (so never for another program).
    pub fn access_is_bound(&self) -> bool {
        self.access_proof_key().is_some()
    }

    pub fn summary(&self) -> GrantSummary {
        GrantSummary {
            resource: self.resource.clone(),
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            client_source: self.client_source,
            scopes: self.scopes.clone(),
            requested_scopes: self.requested_scopes.clone(),
            expires_at: self.expires_at,
            obtained_at: self.obtained_at,
            signed_in_at: self.signed_in_at,
            has_refresh_token: self.refresh_token.is_some(),
            // The grant, not this access token: a later refresh may bind the
            // access token again, so an app is set up for the bridge.
            dpop_bound: self.dpop_key.is_some(),
            account: self.account.clone(),
        }
    }
}

/// Turn an `expires_in` value (number, numeric string, or nonsense) into an
/// absolute expiry. Negative or zero means "already expired"; absurdly large is
/// capped; anything unreadable is `None` (unknown: use until a 401).
pub fn expiry_from(expires_in: Option<&serde_json::Value>, now: u64) -> Option<u64> {
    let v = expires_in?;
    let secs: f64 = match v {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    if !secs.is_finite() {
        return None;
    }
    let secs = secs.clamp(0.0, MAX_BELIEVED_LIFETIME as f64) as u64;
    Some(now.saturating_add(secs))
}

#[cfg(test)]
impl Grant {
    /// A Bearer grant with every field plain, for tests to change.
    pub(crate) fn test_default() -> Grant {
        Grant {
            resource: "r".into(),
            issuer: "i".into(),
            client_id: "c".into(),
            client_source: ClientSource::Registered,
            access_token: Secret::new("a"),
            refresh_token: None,
            token_type: "Bearer".into(),
            scopes: vec![],
            requested_scopes: vec![],
            expires_at: None,
            obtained_at: 0,
            signed_in_at: 0,
            dpop_key: None,
            account: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grant(expires_at: Option<u64>) -> Grant {
        Grant { expires_at, ..Grant::test_default() }
    }

    #[test]
    fn short_lived_tokens_get_half_their_lifetime_as_margin() {
        let mut g = grant(Some(1060));
        g.obtained_at = 1000;
        assert!(!g.needs_refresh(&FixedClock(1000)));
        assert!(!g.needs_refresh(&FixedClock(1029)));
        assert!(g.needs_refresh(&FixedClock(1030)));
    }

    #[test]
    fn refresh_margin() {
        let g = grant(Some(1000));
        assert!(!g.needs_refresh(&FixedClock(1000 - REFRESH_MARGIN - 1)));
        assert!(g.needs_refresh(&FixedClock(1000 - REFRESH_MARGIN)));
        assert!(g.needs_refresh(&FixedClock(5000)));
        assert!(!grant(None).needs_refresh(&FixedClock(u64::MAX)));
    }

    #[test]
    fn odd_expires_in_values() {
        assert_eq!(expiry_from(Some(&json!(3600)), 10), Some(3610));
        assert_eq!(expiry_from(Some(&json!("3600")), 10), Some(3610));
        assert_eq!(expiry_from(Some(&json!(12.7)), 10), Some(22));
        assert_eq!(expiry_from(Some(&json!(-5)), 10), Some(10));
        assert_eq!(expiry_from(Some(&json!(1e300)), 10), Some(10 + MAX_BELIEVED_LIFETIME));
        assert_eq!(expiry_from(Some(&json!("soon")), 10), None);
        assert_eq!(expiry_from(Some(&json!(null)), 10), None);
        assert_eq!(expiry_from(None, 10), None);
    }

    #[test]
    fn summary_has_no_token() {
        let mut g = grant(None);
        g.access_token = Secret::new("SECRET-MARKER");
        g.refresh_token = Some(Secret::new("REFRESH-MARKER"));
        let text = serde_json::to_string(&g.summary()).unwrap() + &format!("{g:?}");
        assert!(!text.contains("MARKER"), "{text}");
    }
}
