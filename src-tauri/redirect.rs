//! A second start of the app (for example by a deep link) hands its arguments
//! to the running one, which comes to the front.

use tauri::{AppHandle, Manager, Runtime};

pub fn on_second_instance<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
