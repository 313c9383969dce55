//! `mcp-auth bridge <server>`: the engine's bridge on this process's stdin and
//! stdout. Everything it says for a person goes to stderr; stdout carries only
//! protocol messages.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mcp_auth::{cancel_pair, run_bridge, AppSocket, HttpClient, Limits, Overrides, SignInFlow, Store, SystemClock};

use super::args::{BrowserChoice, GrantArgs};
use super::output::leave;
use super::session::stdio_opener;

/// A bridge's requests may stream for as long as a tool runs; each event (and
/// each plain answer) is still capped.
const BRIDGE_LIMITS: Limits =
    Limits { request_timeout: Duration::from_secs(60 * 60), connect_timeout: Duration::from_secs(10), max_body: 16 * 1024 * 1024 };

pub async fn bridge(server: &str, browser: BrowserChoice, timeout: u64, grant: &GrantArgs) -> ExitCode {
    let result = async {
        // Refused before anything is kept: a bridge started for a URL adds it
        // to the list, which a bad flag must not leave behind.
        let opener = stdio_opener(browser)?;
        let store = Arc::new(Store::open()?);
        let http = HttpClient::new(BRIDGE_LIMITS)?;
        let (kind, private_key) = super::grant::grant_of(grant)?;
        // A secret for the grant from the environment only: stdin is the protocol's.
        let client_secret = match kind.is_some() {
            true => std::env::var("OAUTH_CLIENT_SECRET").ok().filter(|s| !s.is_empty()).map(mcp_auth::Secret::new),
            false => None,
        };
        let given = Overrides { grant: kind, private_key, client_secret, ..Overrides::default() };
        let mut flow = SignInFlow::open(&store, server, given, true, http.clone(), Arc::new(SystemClock))?;
        flow.set_sign_in_timeout(Duration::from_secs(timeout.max(1)));
        // With the app running, it shows the sign-in (one prompt for every
        // bridge of the server); without, this bridge opens the browser.
        flow.hand_sign_ins_to(AppSocket::for_config_dir(store.dir()));
        if browser == BrowserChoice::Device {
            flow.sign_in_on_another_device(Arc::new(super::session::show_device_code));
        }
        let program = mcp_auth::caller();
        if !flow.entry().name.is_empty() {
            if let Err(e) = store.record_activity(&flow.entry().name, "bridge_started", &program.name, None, &SystemClock) {
                eprintln!("mcp-auth bridge: could not record this use of the sign-in ({e})");
            }
        }
        let (canceller, cancel) = cancel_pair();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                canceller.cancel();
            }
        });
        run_bridge(flow, program, http, Arc::from(opener), cancel, tokio::io::stdin(), tokio::io::stdout()).await
    }
    .await;
    leave("bridge", result)
}
