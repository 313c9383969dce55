//! "Used by": which of the other MCP apps on this computer run a server
//! through `mcp-auth bridge`, and a switch per app. The engine edits the apps'
//! files (`mcp_auth::Connections`); these commands only choose the app and the
//! program the app will start. The same for "AI agents": which apps run
//! `mcp-auth serve`, through which their agent connects the user to servers.

use std::path::PathBuf;

use mcp_auth::{AppConfig, Connections, Launcher, SourceClient, PLATFORM_ENTRY};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use crate::views::{AgentUse, AllConnected, AppUse};

/// The `mcp-auth` command the apps are told to start: installed beside this
/// app (the .deb puts both in /usr/bin), or else found on PATH.
fn launcher() -> CommandResult<Launcher> {
    let beside = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("mcp-auth")));
    let on_path = || std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("mcp-auth")).find(|c| c.is_file()));
    let program: PathBuf = beside.filter(|p| p.is_file()).or_else(on_path).ok_or_else(|| {
        CommandError::input(
            "The mcp-auth command is not installed next to this app, so other apps cannot be connected. Reinstall MCP Auth Manager.",
        )
    })?;
    Ok(Launcher { program: std::fs::canonicalize(&program).unwrap_or(program) })
}

fn home() -> CommandResult<PathBuf> {
    mcp_auth::home_dir().ok_or_else(|| CommandError::internal("no home directory"))
}

/// Each app: is it on this computer, and does it use this server through us?
#[tauri::command]
pub fn app_uses(state: State<'_, AppState>, name: String) -> CommandResult<Vec<AppUse>> {
    let server = state.store.resolve(&name)?;
    let home = home()?;
    let (list, _) = state.store.list()?;
    let mut out = Vec::new();
    for client in SourceClient::ALL {
        let config = AppConfig::locate(client, &home, None)?;
        let entries = config.entries().ok().flatten();
        let entry = entries.as_ref().and_then(|e| e.iter().find(|e| e.through_mcp_auth.as_deref() == Some(server.name.as_str())));
        let shared = config.shared_servers(&list.servers).unwrap_or_default();
        out.push(AppUse {
            app: client.id().into(),
            name: client.display_name().into(),
            config: config.path.display().to_string(),
            detected: entries.is_some(),
            connected: entry.is_some(),
            // What one click can connect: not the entries holding a saved key
            // (each asks first, through its own switch).
            others: shared.to_connect.iter().filter(|s| s.name != server.name && !shared.with_saved_key.contains(&s.name)).count() as u32,
            shareable: shared.to_connect.iter().filter(|s| !shared.with_saved_key.contains(&s.name)).count() as u32,
        });
    }
    Ok(out)
}

/// Connect an app to this server (its entry starts the bridge), or put its
/// entry back. A static credential in the app's entry moves into the keychain
/// only with `move_credential`; without it the `static_credential` error lets
/// the page ask, and the file is left as it is.
#[tauri::command]
pub fn set_app_use(
    state: State<'_, AppState>,
    name: String,
    app: String,
    connected: bool,
    move_credential: Option<bool>,
) -> CommandResult<Vec<AppUse>> {
    let server = state.store.resolve(&name)?;
    let client = SourceClient::parse(&app).ok_or_else(|| CommandError::input("Unknown app."))?;
    let connections = Connections::in_dir(state.store.dir());
    if connected {
        let config = AppConfig::locate(client, &home()?, None)?;
        // The user agreed (after a `static_credential` error) that the saved key
        // moves into the keychain; a server signed in already does not need it.
        let mut keep_token = |token| {
            if server.grant.is_none() {
                state.store.save_static_token(&server.name, token, client.id(), &mcp_auth::SystemClock)?;
            }
            Ok(())
        };
        connections.connect(&config, &server, &launcher()?, move_credential.unwrap_or(false), &mut keep_token)?;
    } else {
        let path = AppConfig::locate(client, &home()?, None)?.path;
        let made: Vec<_> =
            connections.all()?.into_iter().filter(|c| c.app == client.id() && c.server == server.name && c.path == path).collect();
        if made.is_empty() {
            return Err(CommandError::input("This app was not connected here; change its settings in the app itself."));
        }
        for c in &made {
            connections.disconnect(c)?;
        }
    }
    app_uses(state, name)
}

/// Connect an app for all its servers at once: every server of the list the
/// app's file has an entry for (this one included). An entry with a saved key
/// is left for its own switch, which asks before moving the key; the app's
/// entries the list lacks are named, to import first.
#[tauri::command]
pub fn connect_app_all(state: State<'_, AppState>, name: String, app: String) -> CommandResult<AllConnected> {
    let client = SourceClient::parse(&app).ok_or_else(|| CommandError::input("Unknown app."))?;
    let config = AppConfig::locate(client, &home()?, None)?;
    let (list, _) = state.store.list()?;
    let shared = config.shared_servers(&list.servers)?;
    let connections = Connections::in_dir(state.store.dir());
    let launcher = launcher()?;
    let (mut connected, mut skipped) = (Vec::new(), Vec::new());
    for server in &shared.to_connect {
        let mut keep_nothing = |_| Ok(());
        match connections.connect(&config, server, &launcher, false, &mut keep_nothing) {
            Ok(_) => connected.push(server.name.clone()),
            Err(mcp_auth::Error::StaticCredentialInEntry { .. }) => skipped.push(format!(
                "{}: {} keeps a saved key for it; use its own switch to move the key",
                server.name,
                client.display_name()
            )),
            Err(e) => skipped.push(format!("{}: {e}", server.name)),
        }
    }
    Ok(AllConnected { apps: app_uses(state, name)?, connected, skipped, not_in_list: shared.not_in_list })
}

/// Each app: is it on this computer, and may its agent connect the user to
/// servers (its file runs `mcp-auth serve`, connected here)?
#[tauri::command]
pub fn agent_uses(state: State<'_, AppState>) -> CommandResult<Vec<AgentUse>> {
    let home = home()?;
    let made = Connections::in_dir(state.store.dir()).all()?;
    let mut out = Vec::new();
    for client in SourceClient::ALL {
        let config = AppConfig::locate(client, &home, None)?;
        out.push(AgentUse {
            app: client.id().into(),
            name: client.display_name().into(),
            config: config.path.display().to_string(),
            detected: config.entries().ok().flatten().is_some(),
            connected: made.iter().any(|c| c.app == client.id() && c.server == PLATFORM_ENTRY && c.path == config.path),
        });
    }
    Ok(out)
}

/// Let an app's agent connect the user to servers (an `mcp-auth` entry that
/// runs `mcp-auth serve`), or put the app's file back.
#[tauri::command]
pub fn set_agent_use(state: State<'_, AppState>, app: String, connected: bool) -> CommandResult<Vec<AgentUse>> {
    let client = SourceClient::parse(&app).ok_or_else(|| CommandError::input("Unknown app."))?;
    let config = AppConfig::locate(client, &home()?, None)?;
    let connections = Connections::in_dir(state.store.dir());
    if connected {
        connections.connect_platform(&config, &launcher()?)?;
    } else {
        for c in connections.all()?.iter().filter(|c| c.app == client.id() && c.server == PLATFORM_ENTRY && c.path == config.path) {
            connections.disconnect(c)?;
        }
    }
    agent_uses(state)
}
