//! Sign-ins other programs ask the app for: a bridge that needs one (no grant,
//! or a refused refresh) asks through the engine's app socket, and the app
//! shows the prompt here instead of a browser opening from nowhere.
//!
//! The engine keeps the waiters and says when to show a prompt (once per
//! server, however many bridges wait); this file brings the window forward,
//! tells the page, and says when the sign-in ended: after the app's own Sign in
//! finishes (see `commands::sign_in`), or when the user says "Not now".

use std::sync::Arc;

use mcp_auth::{AppSocket, KeychainVault, SignInAsks, Store};
use tauri::{AppHandle, Runtime, State};

use crate::error::CommandResult;
use crate::events::{self, SIGN_IN_ASKED};
use crate::state::AppState;
use crate::views::SignInAsked;

/// Listen on the app socket of this store's config directory. A socket the app
/// cannot open only costs the prompt: bridges then open the browser themselves.
pub fn listen<R: Runtime>(app: &AppHandle<R>, store: Arc<Store<KeychainVault>>, asks: Arc<SignInAsks>) {
    let socket = AppSocket::for_config_dir(store.dir());
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let known = move |name: &str| store.resolve(name).is_ok();
        let show = move |name: &str| {
            crate::redirect::on_second_instance(&handle);
            events::emit(&handle, SIGN_IN_ASKED, SignInAsked { server: name.to_string() });
        };
        if let Err(e) = asks.listen(&socket, known, show).await {
            eprintln!("MCP Auth Manager: bridges will open the browser themselves ({e})");
        }
    });
}

/// The servers a program waits for a sign-in to (for a page that loads after
/// the ask arrived).
#[tauri::command]
pub fn sign_in_asks(state: State<'_, AppState>) -> CommandResult<Vec<String>> {
    Ok(state.asks.waiting())
}

/// "Not now": the programs waiting are told no sign-in was made.
#[tauri::command]
pub fn dismiss_sign_in_ask(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    state.asks.ended(&name, false);
    Ok(())
}
