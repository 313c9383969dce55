//! Other programs change the server list too: a bridge or `mcp-auth serve`
//! signs in, `mcp-auth login` adds a server, a refresh rotates a grant. The
//! page is told when the list file changes, so badges stay true while the
//! window is open (and the tray's menu with them). One modification-time check every two seconds: no watcher
//! thread, no extra crate, nothing measurable at idle.

use std::sync::Arc;
use std::time::Duration;

use mcp_auth::{KeychainVault, Store};
use tauri::AppHandle;

use crate::events::{self, LIST_CHANGED};

const EVERY: Duration = Duration::from_secs(2);

pub fn watch_list(app: &AppHandle, store: Arc<Store<KeychainVault>>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut seen = store.list_modified();
        loop {
            tokio::time::sleep(EVERY).await;
            let now = store.list_modified();
            if now != seen {
                seen = now;
                events::emit(&app, LIST_CHANGED, ());
                crate::tray::refresh(&app, &store);
            }
        }
    });
}
