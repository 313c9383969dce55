//! What the app tells the desktop, through its notification service, while it
//! runs in the background: access that cannot renew ends soon (`ending.rs`
//! decides which), and a sign-in is needed again because the server refused a
//! renewal. At most one notification per server an hour, so a server that
//! flaps is not a stream of them. A desktop without a notification service
//! still has the list's badges; the failure to notify is logged, nothing more.
//!
//! On Linux a notification carries the freedesktop "default" action: clicking
//! it opens the window on that server, where its sign-in is. Tauri's plugin
//! has no click callback on desktop, so there the notification goes through
//! notify-rust (the crate the plugin itself uses), and a thread waits for the
//! click or the close; elsewhere through the plugin, without the click.

use std::collections::HashMap;

use tauri::AppHandle;

/// The least time between two notifications about one server.
pub const QUIET_SECONDS: u64 = 3600;

/// What a notification is about: each has its own hour, so a program's
/// question does not silence a sign-in that ended, nor the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// The sign-in ends, or the server refused to renew it.
    Access,
    /// A program waits for the person in the app.
    Question,
}

/// When each server was last the subject of a notification, by topic.
#[derive(Default)]
pub struct Alerts {
    last: HashMap<(String, Topic), u64>,
}

impl Alerts {
    /// Tell the desktop about `server`, unless it was told about it (on this
    /// topic) in the last hour.
    pub fn tell(&mut self, app: &AppHandle, server: &str, topic: Topic, (title, body): (String, String), now: u64) {
        if !self.may_tell(server, topic, now) {
            return;
        }
        if let Err(err) = show(app, server, &title, &body) {
            eprintln!("MCP Auth Manager: could not show a notification for {server} ({err})");
        }
    }

    fn may_tell(&mut self, server: &str, topic: Topic, now: u64) -> bool {
        let key = (server.to_string(), topic);
        match self.last.get(&key) {
            Some(at) if now < at + QUIET_SECONDS => false,
            _ => {
                self.last.insert(key, now);
                true
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn show(app: &AppHandle, server: &str, title: &str, body: &str) -> Result<(), String> {
    let mut notification = notify_rust::Notification::new();
    notification.appname("MCP Auth Manager").summary(title).body(body).action("default", "Open MCP Auth Manager");
    let (app, server) = (app.clone(), server.to_string());
    // On a thread of its own: the call to the notification service may take
    // its time, and the wait for the click or the close lasts as long as the
    // notification does (at most one per server an hour).
    let waiting = std::thread::Builder::new().name("notification".into()).spawn(move || match notification.show() {
        Ok(shown) => shown.wait_for_action(|action| {
            if action == "default" {
                crate::tray::open_on(&app, &server);
            }
        }),
        Err(err) => eprintln!("MCP Auth Manager: could not show a notification for {server} ({err})"),
    });
    waiting.map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(not(target_os = "linux"))]
fn show(app: &AppHandle, _server: &str, title: &str, body: &str) -> Result<(), String> {
    use tauri_plugin_notification::NotificationExt;
    app.notification().builder().title(title).body(body).show().map_err(|e| e.to_string())
}

/// A program waits for the person in the app (a bridge's sign-in, a new
/// program asking for a sign-in): said also on the desktop, for a window that
/// is hidden in the tray or behind others.
pub fn prompt_words(asked: &mcp_auth::Asked, title: &str) -> Option<(String, String)> {
    match (asked.kind, &asked.program) {
        (mcp_auth::PromptKind::SignIn, _) => Some((
            format!("Sign in to {title}"),
            "An AI app waits for you to sign in. Open MCP Auth Manager to sign in, or to say not now.".into(),
        )),
        (mcp_auth::PromptKind::NewProgram, Some(p)) => Some((
            format!("{} asks to use your sign-in to {title}", p.name),
            "It has not used this sign-in before. Open MCP Auth Manager to allow it, or not.".into(),
        )),
        _ => None,
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
        assert!(a.may_tell("acme", Topic::Access, 1_000));
        assert!(!a.may_tell("acme", Topic::Access, 1_000 + QUIET_SECONDS - 1), "within the hour");
        assert!(a.may_tell("other", Topic::Access, 1_001), "another server is told");
        assert!(a.may_tell("acme", Topic::Question, 1_002), "a question does not wait for the access hour");
        assert!(!a.may_tell("acme", Topic::Question, 1_003), "nor is it told twice in the hour");
        assert!(a.may_tell("acme", Topic::Access, 1_000 + QUIET_SECONDS), "an hour later");
    }

    #[test]
    fn a_waiting_program_is_said_and_other_prompts_are_not() {
        let mut asked = mcp_auth::Asked::new(mcp_auth::PromptKind::NewProgram, "crm");
        asked.program = Some(mcp_auth::Program::named("cursor", Some("/opt/cursor/cursor")));
        let (title, body) = prompt_words(&asked, "acme.com/crm").unwrap();
        assert_eq!(title, "cursor asks to use your sign-in to acme.com/crm");
        assert!(body.contains("Open MCP Auth Manager to allow it"), "{body}");
        assert!(prompt_words(&mcp_auth::Asked::new(mcp_auth::PromptKind::SignIn, "crm"), "crm").is_some());
        assert!(prompt_words(&mcp_auth::Asked::new(mcp_auth::PromptKind::AddServer, "https://x.example/mcp"), "x").is_none());
    }

    #[test]
    fn the_words_name_the_server_and_the_way_on() {
        let (title, body) = needs_sign_in("acme.com/crm");
        assert_eq!(title, "Sign in to acme.com/crm again");
        assert!(body.contains("Open MCP Auth Manager and sign in"), "{body}");
    }
}
