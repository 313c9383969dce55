//! Living in the tray: once AI tools sign in through the app, it is something
//! people keep running, like a password manager. A tray icon with a menu —
//! each server with its state in words, "Open MCP Auth Manager", "Quit" — and
//! closing the window leaves the app running there (unless the person turns
//! that off in Preferences, `preferences.rs`), so background renewal and the
//! bridges' sign-in prompts go on.
//!
//! Only where the desktop has a tray to show it in: on Linux, a
//! StatusNotifierWatcher on the session bus (GNOME shows none without an
//! extension). Elsewhere, or without one, there is no icon and closing the
//! window quits, as it always did: an app that vanished into a tray nobody can
//! see could never be quit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use mcp_auth::{KeychainVault, Store};
use tauri::menu::{Menu, MenuBuilder, MenuItemBuilder};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager};

use crate::views::{Badge, ServerView};

/// The most servers the menu lists (the window has them all).
const SHOWN: usize = 15;
const OPEN: &str = "open";
const QUIT: &str = "quit";
const SERVER: &str = "server:";
/// The page selects the server a menu line names.
pub const SELECT_SERVER: &str = "select-server";

/// The tray icon, once installed. Whether it is shown is a flag of its own:
/// the window's close handler and the preferences commands run on the main
/// thread, and must never wait on the lock a menu rebuild holds (building a
/// menu waits for the main thread).
#[derive(Default)]
pub struct Tray {
    icon: Mutex<Option<TrayIcon>>,
    shown: AtomicBool,
}

impl Tray {
    pub fn is_shown(&self) -> bool {
        self.shown.load(Ordering::Acquire)
    }
}

/// Is there a tray to show an icon in?
pub fn desktop_has_tray() -> bool {
    #[cfg(target_os = "linux")]
    {
        linux_watcher_present()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// The StatusNotifierWatcher that tray hosts (KDE, XFCE, Cinnamon, GNOME's
/// AppIndicator extension…) run on the session bus.
#[cfg(target_os = "linux")]
fn linux_watcher_present() -> bool {
    use std::time::Duration;
    let Ok(bus) = dbus::blocking::Connection::new_session() else { return false };
    let proxy = bus.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", Duration::from_secs(2));
    let owned: Result<(bool,), _> = proxy.method_call("org.freedesktop.DBus", "NameHasOwner", ("org.kde.StatusNotifierWatcher",));
    owned.is_ok_and(|(has,)| has)
}

/// Put the icon in the tray, if the desktop has one.
pub fn install(app: &AppHandle, store: &Store<KeychainVault>) {
    if !desktop_has_tray() {
        return;
    }
    let menu = match menu(app, store) {
        Ok(m) => m,
        Err(e) => return eprintln!("MCP Auth Manager: no tray menu ({e})"),
    };
    let mut builder = TrayIconBuilder::with_id("main").menu(&menu).tooltip("MCP Auth Manager").on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    match builder.build(app) {
        Ok(icon) => {
            if let Some(tray) = app.try_state::<Tray>() {
                *tray.icon.lock().unwrap_or_else(|p| p.into_inner()) = Some(icon);
                tray.shown.store(true, Ordering::Release);
            }
        }
        Err(e) => eprintln!("MCP Auth Manager: no tray icon ({e})"),
    }
}

/// The menu again: after the list changed, and at each renewal pass (a
/// badge also changes with time: Signed in → Expires soon → Needs sign-in).
/// The menu is built, and set, with no lock held.
pub fn refresh(app: &AppHandle, store: &Store<KeychainVault>) {
    let Some(tray) = app.try_state::<Tray>() else { return };
    if !tray.is_shown() {
        return;
    }
    let Some(icon) = tray.icon.lock().unwrap_or_else(|p| p.into_inner()).clone() else { return };
    if let Ok(menu) = menu(app, store) {
        let _ = icon.set_menu(Some(menu));
    }
}

/// "Acme CRM — Signed in", one line a server, then Open and Quit.
pub fn lines(servers: &[ServerView]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        // `&` marks a mnemonic in menu text: a name's own `&` is doubled.
        servers.iter().take(SHOWN).map(|s| (format!("{SERVER}{}", s.name), format!("{} — {}", s.title.replace('&', "&&"), words(s.badge)))).collect();
    if servers.len() > SHOWN {
        out.push((OPEN.into(), format!("{} more…", servers.len() - SHOWN)));
    }
    out
}

fn words(b: Badge) -> &'static str {
    match b {
        Badge::Connected => "Signed in",
        Badge::NeedsSignIn => "Needs sign-in",
        Badge::ExpiresSoon => "Expires soon",
        Badge::Error => "Error",
    }
}

fn menu(app: &AppHandle, store: &Store<KeychainVault>) -> tauri::Result<Menu<tauri::Wry>> {
    let servers: Vec<ServerView> =
        store.list().map(|(l, _)| l.servers.iter().map(|s| ServerView::of(s, false)).collect()).unwrap_or_default();
    let mut builder = MenuBuilder::new(app);
    for (id, text) in lines(&servers) {
        builder = builder.item(&MenuItemBuilder::with_id(id, text).build(app)?);
    }
    if !servers.is_empty() {
        builder = builder.separator();
    }
    builder
        .item(&MenuItemBuilder::with_id(OPEN, "Open MCP Auth Manager").build(app)?)
        .item(&MenuItemBuilder::with_id(QUIT, "Quit").build(app)?)
        .build()
}

fn on_menu(app: &AppHandle, event: tauri::menu::MenuEvent) {
    let id = event.id().as_ref();
    if id == QUIT {
        app.exit(0);
        return;
    }
    match id.strip_prefix(SERVER) {
        Some(server) => open_on(app, server),
        None => show_window(app),
    }
}

/// Bring the window forward on one server (a menu line, a notification clicked).
pub fn open_on(app: &AppHandle, server: &str) {
    show_window(app);
    let _ = app.emit(SELECT_SERVER, server.to_string());
}

pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_a_server_with_its_state_in_words_and_no_more_than_fifteen() {
        let server = |name: &str| {
            ServerView::of(
                &mcp_auth::ServerEntry { name: name.into(), url: format!("https://{name}.example/mcp"), ..Default::default() },
                false,
            )
        };
        let mut signed_in = server("a");
        signed_in.badge = Badge::Connected;
        let l = lines(&[signed_in, server("b")]);
        assert_eq!(l, [("server:a".into(), "a — Signed in".into()), ("server:b".into(), "b — Needs sign-in".into())]);
        assert_eq!(lines(&[server("r&d")])[0].1, "r&&d — Needs sign-in", "an & of the name is not a mnemonic");
        let many: Vec<ServerView> = (0..20).map(|i| server(&format!("s{i}"))).collect();
        let l = lines(&many);
        assert_eq!(l.len(), SHOWN + 1);
        assert_eq!(l.last().unwrap(), &(OPEN.to_string(), "5 more…".to_string()));
    }
}
