//! `mcp-auth apps`: which apps use these sign-ins, and connecting them. The
//! engine edits the files (`mcp_auth::Connections`); this turns arguments into
//! its inputs and its reports into JSON.

use std::path::Path;
use std::process::ExitCode;

use mcp_auth::{AppConfig, Connections, Error, Launcher, SourceClient, Store, SystemClock, PLATFORM_ENTRY};
use serde_json::json;

use super::output::{failure, success};

fn client(id: &str) -> Result<SourceClient, Error> {
    SourceClient::parse(id).ok_or_else(|| {
        Error::InvalidInput(format!("unknown app {id:?}; use one of: claude-desktop, claude-code, cursor, vscode, windsurf"))
    })
}

fn home() -> Result<std::path::PathBuf, Error> {
    mcp_auth::home_dir().ok_or_else(|| Error::InvalidInput("no home directory".into()))
}

/// This very program, which the apps are told to start.
fn launcher() -> Result<Launcher, Error> {
    let program = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|source| Error::Io { context: "could not find the mcp-auth program's own path".into(), source })?;
    Ok(Launcher { program })
}

pub fn list(project: Option<&Path>) -> ExitCode {
    let result = (|| {
        let home = home()?;
        let mut apps = Vec::new();
        for c in SourceClient::ALL {
            let mut files = vec![AppConfig::locate(c, &home, None)?];
            if let Some(dir) = project {
                files.extend(AppConfig::locate(c, &home, Some(dir)).ok());
            }
            for config in files {
                let (exists, entries, error) = match config.entries() {
                    Ok(Some(e)) => (true, e, None),
                    Ok(None) => (false, Vec::new(), None),
                    Err(e) => (true, Vec::new(), Some(e.to_string())),
                };
                apps.push(json!({"app": c.id(), "name": c.display_name(), "config": config.path, "exists": exists, "servers": entries, "error": error}));
            }
        }
        Ok::<_, Error>(json!({"apps": apps}))
    })();
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(None, &e),
    }
}

/// Connect one server of the list: its entry in the app's file starts the
/// bridge. What was done, as the JSON both forms of `connect` print.
fn connect_one(
    store: &Store<mcp_auth::KeychainVault>,
    config: &AppConfig,
    entry: &mcp_auth::ServerEntry,
    move_credentials: bool,
) -> Result<serde_json::Value, Error> {
    // A static token moves into the keychain before the app's file changes;
    // a server signed in already does not need it.
    let mut moved = false;
    let mut keep_token = |token| {
        if entry.grant.is_none() {
            store.save_static_token(&entry.name, token, config.client.id(), &SystemClock)?;
            moved = true;
        }
        Ok(())
    };
    let report = Connections::in_dir(store.dir()).connect(config, entry, &launcher()?, move_credentials, &mut keep_token)?;
    Ok(json!({
        "server": entry.name,
        "app": report.app,
        "config": report.path,
        "entry": report.entry,
        "replaced_existing": report.replaced_existing,
        "credential_headers_removed": report.credential_headers,
        "static_token_moved_to_keychain": moved,
        "warning": report.warning,
    }))
}

pub fn connect(app: &str, server: &str, project: Option<&Path>, move_credentials: bool) -> ExitCode {
    let result = (|| {
        let store = Store::open()?;
        let config = AppConfig::locate(client(app)?, &home()?, project)?;
        // `mcp-auth` is the platform itself: the app's agent gets `mcp-auth serve`.
        let mut done = if server == PLATFORM_ENTRY {
            let report = Connections::in_dir(store.dir()).connect_platform(&config, &launcher()?)?;
            json!({
                "server": PLATFORM_ENTRY,
                "app": report.app,
                "config": report.path,
                "entry": report.entry,
                "replaced_existing": report.replaced_existing,
                "warning": report.warning,
            })
        } else {
            connect_one(&store, &config, &store.resolve(server)?, move_credentials)?
        };
        done["status"] = json!("connected");
        done["note"] = json!(format!("Restart {} to use it.", config.client.display_name()));
        Ok::<_, Error>(done)
    })();
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(Some(server), &e),
    }
}

/// `apps connect APP --all`: every server of the list the app has an entry
/// for. One that cannot be connected (a saved key without
/// `--move-credentials`, an entry that cannot be read) is reported and the
/// others go on; the app's entries the list lacks are named, to import first.
pub fn connect_all(app: &str, project: Option<&Path>, move_credentials: bool) -> ExitCode {
    let result = (|| {
        let store = Store::open()?;
        let config = AppConfig::locate(client(app)?, &home()?, project)?;
        let (list, _) = store.list()?;
        let shared = config.shared_servers(&list.servers)?;
        let (mut connected, mut skipped) = (Vec::new(), Vec::new());
        for entry in &shared.to_connect {
            match connect_one(&store, &config, entry, move_credentials) {
                Ok(done) => connected.push(done),
                Err(e) => skipped.push(json!({"server": entry.name, "kind": e.kind(), "error": e.to_string()})),
            }
        }
        let name = config.client.display_name();
        let mut note = match connected.len() {
            0 => format!("No server of the list was connected to {name}."),
            _ => format!("Restart {name} to use them."),
        };
        if !shared.not_in_list.is_empty() {
            note.push_str(&format!(
                " {name} also has {} that MCP Auth Manager does not know yet ({}): import them first (mcp-auth import --from {}).",
                if shared.not_in_list.len() == 1 { "a server".to_string() } else { format!("{} servers", shared.not_in_list.len()) },
                shared.not_in_list.join(", "),
                config.client.id()
            ));
        }
        Ok::<_, Error>(json!({
            "status": if skipped.is_empty() { "connected" } else { "partly_connected" },
            "app": config.client,
            "config": config.path,
            "connected": connected,
            "skipped": skipped,
            "not_in_list": shared.not_in_list,
            "note": note,
        }))
    })();
    match result {
        Ok(v) if v["skipped"].as_array().is_some_and(|s| !s.is_empty()) => {
            super::output::print_json(&v);
            ExitCode::FAILURE
        }
        Ok(v) => success(&v),
        Err(e) => failure(None, &e),
    }
}

pub fn disconnect(app: Option<&str>, server: Option<&str>, project: Option<&Path>, all: bool) -> ExitCode {
    let result = (|| {
        let store = Store::open()?;
        let connections = Connections::in_dir(store.dir());
        let chosen: Vec<_> = if all {
            connections.all()?
        } else {
            let app = client(app.unwrap_or_default())?;
            let name = match server.unwrap_or_default() {
                PLATFORM_ENTRY => PLATFORM_ENTRY.to_string(),
                other => store.resolve(other)?.name,
            };
            let path = AppConfig::locate(app, &home()?, project)?.path;
            connections.all()?.into_iter().filter(|c| c.app == app.id() && c.server == name && c.path == path).collect()
        };
        if chosen.is_empty() && !all {
            return Err(Error::InvalidInput("mcp-auth did not connect that app to that server".into()));
        }
        let mut undone = Vec::new();
        for c in &chosen {
            connections.disconnect(c)?;
            undone.push(json!({"app": c.app, "config": c.path, "entry": c.entry, "server": c.server}));
        }
        Ok::<_, Error>(json!({"status": "disconnected", "undone": undone}))
    })();
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(server, &e),
    }
}
