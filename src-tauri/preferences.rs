//! The app's own preferences, apart from any server: whether closing the window
//! leaves the app in the tray (on by default where there is a tray), and
//! whether it starts at login (off by default; `tauri-plugin-autostart`, which
//! keeps the login item itself: a `.desktop` file in the autostart folder on
//! Linux, a launch agent on macOS, a registry value on Windows).
//!
//! Kept in `app.json` beside the server list; nothing in it is a secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_autostart::ManagerExt;
use ts_rs::TS;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

const FILE: &str = "app.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    #[serde(default = "yes")]
    keep_in_tray: bool,
}

fn yes() -> bool {
    true
}

impl Default for Stored {
    fn default() -> Self {
        Stored { keep_in_tray: true }
    }
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

fn load(dir: &Path) -> Stored {
    std::fs::read(path(dir)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn save(dir: &Path, s: &Stored) -> CommandResult<()> {
    Ok(mcp_auth::write_atomically(&path(dir), &serde_json::to_vec_pretty(s).expect("preferences serialize"))?)
}

/// Closing the window leaves the app in the tray (a tray is shown, and the person keeps it so).
pub fn keeps_in_tray<R: Runtime>(app: &AppHandle<R>) -> bool {
    let shown = app.try_state::<crate::tray::Tray>().is_some_and(|t| t.is_shown());
    shown && app.try_state::<AppState>().is_some_and(|s| load(s.store.dir()).keep_in_tray)
}

/// What the Preferences dialog shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct PreferencesView {
    /// The desktop has a tray and the app's icon is in it.
    pub tray_shown: bool,
    pub keep_in_tray: bool,
    pub start_at_login: bool,
}

fn view<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> PreferencesView {
    PreferencesView {
        tray_shown: app.try_state::<crate::tray::Tray>().is_some_and(|t| t.is_shown()),
        keep_in_tray: load(state.store.dir()).keep_in_tray,
        start_at_login: app.autolaunch().is_enabled().unwrap_or(false),
    }
}

#[tauri::command]
pub fn preferences<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> PreferencesView {
    view(&app, &state)
}

#[tauri::command]
pub fn set_keep_in_tray<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, on: bool) -> CommandResult<PreferencesView> {
    let mut s = load(state.store.dir());
    s.keep_in_tray = on;
    save(state.store.dir(), &s)?;
    Ok(view(&app, &state))
}

#[tauri::command]
pub fn set_start_at_login<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, on: bool) -> CommandResult<PreferencesView> {
    let launcher = app.autolaunch();
    let done = if on { launcher.enable() } else { launcher.disable() };
    done.map_err(|e| CommandError::internal(format!("the login item could not be {}: {e}", if on { "added" } else { "removed" })))?;
    Ok(view(&app, &state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_in_tray_is_on_until_turned_off_and_a_bad_file_is_the_default() {
        let dir = std::env::temp_dir().join(format!("mcp-auth-prefs-{}", mcp_auth::new_state()));
        assert!(load(&dir).keep_in_tray, "on by default");
        save(&dir, &Stored { keep_in_tray: false }).unwrap();
        assert!(!load(&dir).keep_in_tray);
        std::fs::write(path(&dir), b"{not json").unwrap();
        assert!(load(&dir).keep_in_tray, "a damaged file is the default, not an error");
        std::fs::remove_dir_all(dir).ok();
    }
}
