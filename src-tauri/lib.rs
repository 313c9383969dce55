//! MCP Auth Manager, the desktop app: a thin Tauri shell over the `mcp-auth`
//! engine. The shell registers state, plugins and commands; every screen calls
//! the engine through `commands.rs` and never re-implements it.

mod alerts;
mod clipboard;
mod commands;
mod connections;
mod consent;
mod demo;
mod device;
mod ending;
mod error;
mod events;
mod jwt;
mod opening;
mod preferences;
mod prompts;
mod redirect;
mod renew;
mod state;
mod tray;
pub mod views;
mod watch;

pub use commands::ImportChoice;
pub use error::CommandError;

use mcp_auth::Store;
use tauri::Manager;

/// The builder shared by the app and its IPC tests.
pub fn builder<R: tauri::Runtime>(state: state::AppState) -> tauri::Builder<R> {
    tauri::Builder::<R>::new().manage(state).invoke_handler(tauri::generate_handler![
        commands::list_servers,
        commands::add_server,
        commands::discover_server,
        commands::save_settings,
        commands::set_client_secret,
        commands::remove_client_secret,
        commands::sign_in,
        commands::cancel_sign_in,
        device::sign_in_on_device,
        commands::answer_step_up,
        commands::server_detail,
        commands::server_activity,
        commands::diagnose_server,
        commands::refresh_server,
        commands::revoke_server,
        commands::clear_server,
        commands::remove_server,
        commands::reveal_token,
        commands::copy_token,
        commands::copy_text,
        commands::rename_server,
        commands::open_sign_in_again,
        commands::import_scan,
        commands::show_config_file,
        commands::import_add,
        commands::start_demo,
        connections::app_uses,
        connections::set_app_use,
        connections::connect_app_all,
        connections::agent_uses,
        connections::set_agent_use,
        prompts::prompts_waiting,
        preferences::preferences,
        preferences::set_keep_in_tray,
        preferences::set_start_at_login,
        prompts::answer_prompt,
        prompts::answer_program,
        prompts::set_program_approval,
        prompts::forget_program,
    ])
}

/// The state for a store in `dir` (tests) or the user's config dir.
pub fn app_state(dir: Option<&std::path::Path>) -> Result<state::AppState, mcp_auth::Error> {
    let store = match dir {
        Some(d) => Store::new(d, mcp_auth::keychain_vault()),
        None => Store::open()?,
    };
    Ok(state::AppState::new(store))
}

pub fn run() {
    let state = match app_state(None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("MCP Auth Manager cannot start: {e}");
            std::process::exit(1);
        }
    };
    builder(state)
        .plugin(tauri_plugin_single_instance::init(|app: &tauri::AppHandle, _argv, _cwd| redirect::on_second_instance(app)))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .manage(tray::Tray::default())
        .on_window_event(|window, event| {
            // With a tray (and the person keeping it so), closing the window leaves the app running there.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if preferences::keeps_in_tray(window.app_handle()) {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .setup(|app| {
            use tauri_plugin_deep_link::DeepLinkExt;
            // Linux and Windows learn the scheme at run time (a .desktop
            // handler, a registry key); macOS from the bundle.
            #[cfg(any(target_os = "linux", windows))]
            if let Err(e) = app.deep_link().register_all() {
                eprintln!("MCP Auth Manager: app links are not available: {e}");
            }
            let state = app.state::<state::AppState>();
            prompts::listen(app.handle(), &state);
            tray::install(app.handle(), &state.store);
            watch::watch_list(app.handle(), state.store.clone());
            renew::renew_in_background(app.handle().clone(), state.store.clone(), state.alerts.clone());
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    redirect::deliver(&handle, url.as_str());
                }
            });
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running MCP Auth Manager");
}
