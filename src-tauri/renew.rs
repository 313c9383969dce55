//! The engine's background renewal ([`mcp_auth::Renewals`]) every half minute
//! while the app runs, so bridges and `mcp-auth token` find fresh tokens and
//! never wait for a refresh. What it changes reaches the page through the
//! list watcher (the server list file changes with each renewal).

use std::sync::Arc;
use std::time::Duration;

use mcp_auth::{KeychainVault, Renewals, Renewed, Store, SystemClock};

/// Less than the lead the engine renews with (two minutes before the margin).
const EVERY: Duration = Duration::from_secs(30);

pub fn renew_in_background(store: Arc<Store<KeychainVault>>) {
    tauri::async_runtime::spawn(async move {
        let mut renewals = Renewals::default();
        loop {
            tokio::time::sleep(EVERY).await;
            match renewals.pass(&store, &SystemClock).await {
                Ok(done) => {
                    for r in done {
                        if let Renewed::Failed { server, reason, retry_in } = r {
                            eprintln!("MCP Auth Manager: renewing {server} failed ({reason}); trying again in {} s", retry_in.as_secs());
                        }
                    }
                }
                Err(e) => eprintln!("MCP Auth Manager: background renewal could not read the server list ({e})"),
            }
        }
    });
}
