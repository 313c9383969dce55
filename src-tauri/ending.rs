//! A notification ten minutes before access that cannot renew ends, so the
//! person signs in again before an AI tool finds itself locked out — not after,
//! in the middle of a task.
//!
//! A grant with a refresh token, or one no person attends (client credentials,
//! workload identity), is renewed in the background (`renew.rs`) and is never
//! the person's concern. Each ending is told once: a server is told again only
//! when a new sign-in gives it a new end (and `alerts.rs` lets an hour pass).

use std::collections::HashSet;

use mcp_auth::ServerEntry;

/// How long before the end the person hears of it: the "Expires soon" badge's lead.
pub const LEAD_SECONDS: u64 = 600;

/// One server whose access ends soon.
#[derive(Debug, PartialEq, Eq)]
pub struct Ending {
    pub server: String,
    pub title: String,
    /// Unix seconds.
    pub ends_at: u64,
}

/// The endings told so far, by server and end (a new sign-in is a new end).
#[derive(Default)]
pub struct Told(HashSet<(String, u64)>);

impl Told {
    /// The servers to tell now: access ends within [`LEAD_SECONDS`] (and has not
    /// ended: an ended one shows "Needs sign-in" and a notification would be late),
    /// cannot renew, and was not told of this end before.
    pub fn to_tell(&mut self, servers: &[ServerEntry], now: u64) -> Vec<Ending> {
        let mut out = Vec::new();
        for s in servers {
            let Some(g) = &s.grant else { continue };
            let renews = g.has_refresh_token || s.grant_kind.clone().unwrap_or_default().is_unattended();
            let Some(ends_at) = g.expires_at else { continue };
            if renews || ends_at <= now || ends_at > now + LEAD_SECONDS {
                continue;
            }
            if self.0.insert((s.name.clone(), ends_at)) {
                out.push(Ending { server: s.name.clone(), title: crate::views::title_of(s), ends_at });
            }
        }
        out
    }
}

/// What the notification says: which server, when, and what to do.
pub fn words(e: &Ending, now: u64) -> (String, String) {
    let minutes = e.ends_at.saturating_sub(now).div_ceil(60).max(1);
    let when = if minutes == 1 { "in a minute".to_string() } else { format!("in {minutes} minutes") };
    (
        format!("Your sign-in to {} ends {when}", e.title),
        "It cannot renew by itself. Open MCP Auth Manager and sign in again to keep your AI tools connected.".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_auth::{ClientSource, GrantSummary};

    fn server(name: &str, expires_at: Option<u64>, refresh: bool) -> ServerEntry {
        let grant = GrantSummary {
            resource: format!("https://{name}.example/mcp"),
            issuer: "https://as".into(),
            client_id: "c".into(),
            client_source: ClientSource::Registered,
            scopes: vec![],
            requested_scopes: vec![],
            expires_at,
            obtained_at: 0,
            signed_in_at: 0,
            has_refresh_token: refresh,
            dpop_bound: false,
            account: None,
        };
        ServerEntry { name: name.into(), url: format!("https://{name}.example/mcp"), grant: Some(grant), ..ServerEntry::default() }
    }

    #[test]
    fn only_access_that_cannot_renew_and_ends_within_ten_minutes_is_told_once() {
        let now = 1_000_000;
        let list = [
            server("ending", Some(now + 300), false),
            server("renews", Some(now + 300), true),
            server("later", Some(now + LEAD_SECONDS + 1), false),
            server("ended", Some(now), false),
            server("forever", None, false),
        ];
        let mut told = Told::default();
        let first = told.to_tell(&list, now);
        assert_eq!(first, vec![Ending { server: "ending".into(), title: "ending".into(), ends_at: now + 300 }]);
        // "later" comes inside the lead a second later; "ending" is not told twice.
        assert_eq!(told.to_tell(&list, now + 1).iter().map(|e| e.server.as_str()).collect::<Vec<_>>(), ["later"]);
        assert!(told.to_tell(&list, now + 60).is_empty(), "each told once");
        // A new sign-in is a new end.
        let again = [server("ending", Some(now + 900), false)];
        assert_eq!(told.to_tell(&again, now + 400).len(), 1);
    }

    #[test]
    fn the_words_say_when_and_what_to_do() {
        let e = Ending { server: "s".into(), title: "acme.com/crm".into(), ends_at: 1_000 + 530 };
        let (title, body) = words(&e, 1_000);
        assert_eq!(title, "Your sign-in to acme.com/crm ends in 9 minutes");
        assert!(body.contains("sign in again"), "{body}");
        assert_eq!(words(&e, 1_500).0, "Your sign-in to acme.com/crm ends in a minute");
    }
}
