//! What the shell holds for the life of the window: the store (server list +
//! keychain), the opener, the sign-ins in progress, the demo server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mcp_auth::keychain::KeychainVault;
use mcp_auth::{Canceller, HttpBrowser, HttpClient, Limits, Opener, PrintBrowser, Store, SystemBrowser};

use crate::demo::DemoServer;

pub struct AppState {
    pub store: Arc<Store<KeychainVault>>,
    pub opener: Arc<dyn Opener>,
    /// Sign-ins waiting for the browser, by flow id.
    pub flows: Mutex<HashMap<String, Canceller>>,
    pub demo: tokio::sync::Mutex<Option<DemoServer>>,
}

/// `MCP_AUTH_BROWSER=http` replaces the system browser with the engine's
/// headless stand-in (it follows the authorization server's redirects into the
/// loopback listener); `print` only prints the URL (for a machine without a
/// browser: the page offers "Copy the link instead"). The end-to-end tests use
/// both; state, PKCE and the listener always run.
fn choose_opener() -> Arc<dyn Opener> {
    match std::env::var("MCP_AUTH_BROWSER").as_deref() {
        Ok("print") => Arc::new(PrintBrowser(|url: &str| eprintln!("Open this link in your browser to sign in:\n{url}"))),
        Ok("http") => match HttpClient::new(Limits::default()) {
            Ok(http) => Arc::new(HttpBrowser::new(http)),
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
        }
    }
}
