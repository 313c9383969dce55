//! Events the shell sends to the UI (the long work reports through these).

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

pub const PROGRESS: &str = "progress";
pub const SIGN_IN_FINISHED: &str = "sign-in-finished";
pub const STEP_UP: &str = "step-up";
pub const PROMPT_ASKED: &str = "prompt-asked";
pub const LIST_CHANGED: &str = "list-changed";
pub const DEVICE_CODE: &str = "device-code";
pub const BROWSER_NOT_OPENED: &str = "browser-not-opened";

pub fn emit<R: Runtime, T: Serialize + Clone>(app: &AppHandle<R>, event: &str, payload: T) {
    // The window may be closing; an unsent event is not an error worth raising.
    let _ = app.emit(event, payload);
}
