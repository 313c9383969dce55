//! What the app tells the desktop, through its notification service, while it
//! runs in the background: access that cannot renew ends soon (`ending.rs`
//! decides which), and a sign-in is needed again because the server refused a
//! renewal. At most one notification per server an hour, so a server that
//! flaps is not a stream of them. A desktop without a notification service
//! still has the list's badges; the failure to notify is logged, nothing more.

use std::collections::HashMap;

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

/// The least time between two notifications about one server.
pub const QUIET_SECONDS: u64 = 3600;

/// When each server was last the subject of a notification.
#[derive(Default)]
pub struct Alerts {
    last: HashMap<String, u64>,
}

impl Alerts {
    /// Tell the desktop about `server`, unless it was told about it in the last hour.
    pub fn tell(&mut self, app: &AppHandle, server: &str, (title, body): (String, String), now: u64) {
        if !self.may_tell(server, now) {
            return;
        }
        if let Err(err) = app.notification().builder().title(title).body(body).show() {
            eprintln!("MCP Auth Manager: could not show a notification for {server} ({err})");
        }
    }

    fn may_tell(&mut self, server: &str, now: u64) -> bool {
        match self.last.get(server) {
            Some(at) if now < at + QUIET_SECONDS => false,
            _ => {
                self.last.insert(server.to_string(), now);
                true
            }
        }
    }
}

/// A renewal the server refused: what happened and what to do.
pub fn needs_sign_in(title: &str) -> (String, String) {
    (
        format!("Sign in to {title} again"),
        "The server did not renew your access. Open MCP Auth Manager and sign in, so your AI tools can use it again.".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notification_per_server_an_hour() {
        let mut a = Alerts::default();
        assert!(a.may_tell("acme", 1_000));
        assert!(!a.may_tell("acme", 1_000 + QUIET_SECONDS - 1), "within the hour");
        assert!(a.may_tell("other", 1_001), "another server is told");
        assert!(a.may_tell("acme", 1_000 + QUIET_SECONDS), "an hour later");
    }

    #[test]
    fn the_words_name_the_server_and_the_way_on() {
        let (title, body) = needs_sign_in("acme.com/crm");
        assert_eq!(title, "Sign in to acme.com/crm again");
        assert!(body.contains("Open MCP Auth Manager and sign in"), "{body}");
    }
}
