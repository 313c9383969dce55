//! Links to the app's own scheme, and second starts of the app.
//!
//! The OS hands a `dev.mcpauth.manager:` link to a new instance of the app; the
//! single-instance plugin passes it to the running one and the deep-link plugin
//! reports it here. Each link is offered to every sign-in waiting for one; the
//! engine ignores links whose `state` is not its own.

use tauri::{AppHandle, Manager, Runtime};

use crate::state::{AppState, LINK_SCHEME};

pub fn on_second_instance<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

pub fn deliver<R: Runtime>(app: &AppHandle<R>, url: &str) {
    if !url.starts_with(&format!("{LINK_SCHEME}:")) {
        return;
    }
    if let Some(state) = app.try_state::<AppState>() {
        let mut waiting = state.links.lock().unwrap();
        waiting.retain(|tx| !tx.is_closed());
        for tx in waiting.iter() {
            let _ = tx.try_send(url.to_string());
        }
    }
    on_second_instance(app);
}
