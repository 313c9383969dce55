//! The engine's background renewal ([`mcp_auth::Renewals`]) every half minute
//! while the app runs, so bridges and `mcp-auth token` find fresh tokens and
//! never wait for a refresh. What it changes reaches the page through the
//! list watcher (the server list file changes with each renewal). The same
//! pass tells the desktop (`alerts.rs`) of access that cannot renew and ends
//! within ten minutes (`ending.rs`), and of a renewal the server refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_auth::{Clock, KeychainVault, Renewals, Renewed, Store, SystemClock};
use tauri::AppHandle;

use crate::alerts::{self, Alerts, Topic};
use crate::ending::{self, Told};

/// Less than the lead the engine renews with (two minutes before the margin).
const EVERY: Duration = Duration::from_secs(30);

pub fn renew_in_background(app: AppHandle, store: Arc<Store<KeychainVault>>, alerts: Arc<Mutex<Alerts>>) {
    tauri::async_runtime::spawn(async move {
        let mut renewals = Renewals::default();
        let mut told = Told::default();
        loop {
            tell_endings(&app, &store, &mut told, &mut alerts.lock().unwrap());
            crate::tray::refresh(&app, &store);
            tokio::time::sleep(EVERY).await;
            match renewals.pass(&store, &SystemClock).await {
                Ok(done) => {
                    for r in done {
                        match r {
                            Renewed::Failed { server, reason, retry_in } => {
                                eprintln!(
                                    "MCP Auth Manager: renewing {server} failed ({reason}); trying again in {} s",
                                    retry_in.as_secs()
                                );
                            }
                            Renewed::NeedsSignIn { server, .. } => {
                                let title = title_of(&store, &server);
                                alerts.lock().unwrap().tell(&app, &server, Topic::Access, alerts::needs_sign_in(&title), SystemClock.now());
                            }
                            Renewed::Renewed { .. } => {}
                        }
                    }
                }
                Err(e) => eprintln!("MCP Auth Manager: background renewal could not read the server list ({e})"),
            }
        }
    });
}

/// A notification for each server whose access ends soon and cannot renew.
fn tell_endings(app: &AppHandle, store: &Store<KeychainVault>, told: &mut Told, alerts: &mut Alerts) {
    let Ok((list, _)) = store.list() else { return };
    let now = SystemClock.now();
    for e in told.to_tell(&list.servers, now) {
        alerts.tell(app, &e.server, Topic::Access, ending::words(&e, now), now);
    }
}

/// What the person calls the server (its name when the list cannot be read).
fn title_of(store: &Store<KeychainVault>, server: &str) -> String {
    store
        .list()
        .ok()
        .and_then(|(list, _)| list.servers.iter().find(|s| s.name == server).map(crate::views::title_of))
        .unwrap_or_else(|| server.to_string())
}
