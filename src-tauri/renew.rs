//! The engine's background renewal ([`mcp_auth::Renewals`]) every half minute
//! while the app runs, so bridges and `mcp-auth token` find fresh tokens and
//! never wait for a refresh. What it changes reaches the page through the
//! list watcher (the server list file changes with each renewal). The same
//! pass tells the person, by a notification, of access that cannot renew and
//! ends within ten minutes (`ending.rs`).

use std::sync::Arc;
use std::time::Duration;

use mcp_auth::{Clock, KeychainVault, Renewals, Renewed, Store, SystemClock};
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

use crate::ending::{self, Told};

/// Less than the lead the engine renews with (two minutes before the margin).
const EVERY: Duration = Duration::from_secs(30);

pub fn renew_in_background(app: AppHandle, store: Arc<Store<KeychainVault>>) {
    tauri::async_runtime::spawn(async move {
        let mut renewals = Renewals::default();
        let mut told = Told::default();
        loop {
            tell_endings(&app, &store, &mut told);
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

/// A notification for each server whose access ends soon and cannot renew.
/// A desktop without a notification service still has the badge ("Expires soon").
fn tell_endings(app: &AppHandle, store: &Store<KeychainVault>, told: &mut Told) {
    let Ok((list, _)) = store.list() else { return };
    let now = SystemClock.now();
    for e in told.to_tell(&list.servers, now) {
        let (title, body) = ending::words(&e, now);
        if let Err(err) = app.notification().builder().title(title).body(body).show() {
            eprintln!("MCP Auth Manager: could not show a notification for {} ({err})", e.server);
        }
    }
}
