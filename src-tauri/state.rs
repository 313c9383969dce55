//! What the shell holds for the life of the window: the store (server list +
//! keychain), the opener, the sign-ins in progress, the prompts other
//! programs wait on, the demo server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mcp_auth::KeychainVault;
use mcp_auth::{AppPrompts, Canceller, HttpBrowser, HttpClient, Limits, Opener, PrintBrowser, Store, SystemBrowser};

use crate::demo::DemoServer;

pub struct AppState {
    pub store: Arc<Store<KeychainVault>>,
    pub opener: Arc<dyn Opener>,
    /// Sign-ins waiting for the browser, by flow id.
    pub flows: Mutex<HashMap<String, Canceller>>,
    pub demo: tokio::sync::Mutex<Option<DemoServer>>,
    /// Sign-ins waiting for a link to the app's scheme: every link received is
    /// offered to each (each checks its own state).
    pub links: Mutex<Vec<tokio::sync::mpsc::Sender<String>>>,
    /// Step-up prompts waiting for the user's answer, by flow id.
    pub step_ups: Mutex<HashMap<String, tokio::sync::oneshot::Sender<bool>>>,
    /// What other programs (bridges, `serve`) wait for the person to answer,
    /// through the app socket.
    pub prompts: Arc<AppPrompts>,
    /// Programs that asked to use a sign-in and have no answer yet: the
    /// person's answer holds even after the program stopped waiting.
    pub programs_asking: Arc<Mutex<Vec<mcp_auth::Asked>>>,
    /// What the desktop was told, and when (one notification per server an hour).
    pub alerts: Arc<Mutex<crate::alerts::Alerts>>,
    /// The sign-in page of each flow waiting for the browser, for "Open again".
    pub pages: Mutex<HashMap<String, mcp_auth::BrowserUrl>>,
    /// Where Copy puts an access token, for a while.
    pub clipboard: crate::clipboard::Clipboard,
}

/// The app's URL scheme and its redirect URI (reverse-DNS, RFC 8252 §7.1).
pub const LINK_SCHEME: &str = "dev.mcpauth.manager";
pub const LINK_REDIRECT_URI: &str = "dev.mcpauth.manager:/callback";

/// `MCP_AUTH_BROWSER=http` replaces the system browser with the engine's
/// headless stand-in (it follows the authorization server's redirects into the
/// loopback listener); `print` only prints the URL (for a machine without a
/// browser: the page offers "Copy the link instead"). The end-to-end tests use
/// both; state, PKCE and the listener always run.
fn choose_opener() -> Arc<dyn Opener> {
    match std::env::var("MCP_AUTH_BROWSER").as_deref() {
        Ok("print") => Arc::new(PrintBrowser(|url: &str| eprintln!("Open this link in your browser to sign in:\n{url}"))),
        // Like a real browser, the stand-in hands a redirect to the app's scheme
        // to the OS (`gio open`, one argument, no shell), which starts a second
        // instance that passes it to this one.
        Ok("http") => match HttpClient::new(Limits::default()) {
            Ok(http) => Arc::new(HttpBrowser::new(http).with_link_handoff(
                &format!("{LINK_SCHEME}:"),
                Arc::new(|link: &str| {
                    let _ = std::process::Command::new("gio").arg("open").arg(link).spawn();
                }),
            )),
            Err(_) => Arc::new(SystemBrowser),
        },
        _ => Arc::new(SystemBrowser),
    }
}

impl AppState {
    pub fn new(store: Store<KeychainVault>) -> Self {
        AppState {
            store: Arc::new(store),
            opener: choose_opener(),
            flows: Mutex::new(HashMap::new()),
            demo: tokio::sync::Mutex::new(None),
            links: Mutex::new(Vec::new()),
            step_ups: Mutex::new(HashMap::new()),
            prompts: AppPrompts::new(),
            programs_asking: Default::default(),
            alerts: Default::default(),
            pages: Mutex::new(HashMap::new()),
            clipboard: Default::default(),
        }
    }
}
