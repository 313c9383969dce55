//! `mcp-auth serve`: the engine's sign-in platform on this process's stdin and
//! stdout, for an AI agent's MCP client. stdout carries only protocol
//! messages; a sign-in link also goes to stderr.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mcp_auth::{run_serve, HttpClient, Limits, Platform, Store, SystemClock};

use super::args::BrowserChoice;
use super::output::leave;
use super::session::stdio_opener;

pub async fn serve(browser: BrowserChoice, timeout: u64) -> ExitCode {
    let result = async {
        if browser == BrowserChoice::Device {
            return Err(mcp_auth::Error::InvalidInput(
                "--browser device is not available for serve: the sign-in link goes to the agent, which shows it to you (use print, system or http)".into(),
            ));
        }
        let store = Arc::new(Store::open()?);
        let http = HttpClient::new(Limits::default())?;
        let platform = Platform::new(store, http, Arc::new(SystemClock), Arc::from(stdio_opener(browser)?))
            .with_sign_in_timeout(Duration::from_secs(timeout.max(1)));
        run_serve(platform, tokio::io::stdin(), tokio::io::stdout()).await
    }
    .await;
    leave("serve", result)
}
