//! `mcp-auth apps`: which apps use these sign-ins, and connecting them. The
//! engine edits the files (`mcp_auth::Connections`); this turns arguments into
//! its inputs and its reports into JSON.

use std::path::Path;
use std::process::ExitCode;

use mcp_auth::{AppConfig, Connections, Error, Launcher, SourceClient, Store, SystemClock};
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

pub fn connect(app: &str, server: &str, project: Option<&Path>, move_credentials: bool) -> ExitCode {
    let result = (|| {
        let store = Store::open()?;
        let entry = store.resolve(server)?;
        let config = AppConfig::locate(client(app)?, &home()?, project)?;
        // A static token moves into the keychain before the app's file changes;
        // a server signed in already does not need it.
        let mut moved = false;
        let mut keep_token = |token| {
            if entry.grant.is_none() {
                store.save_static_token(&entry.name, token, app, &SystemClock)?;
                moved = true;
            }
            Ok(())
        };
        let report = Connections::in_dir(store.dir()).connect(&config, &entry, &launcher()?, move_credentials, &mut keep_token)?;
        Ok::<_, Error>(json!({
            "status": "connected",
            "app": report.app,
            "config": report.path,
            "entry": report.entry,
            "replaced_existing": report.replaced_existing,
            "credential_headers_removed": report.credential_headers,
            "static_token_moved_to_keychain": moved,
            "warning": report.warning,
            "note": format!("Restart {} to use it.", report.app.display_name()),
        }))
    })();
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(Some(server), &e),
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
            let name = store.resolve(server.unwrap_or_default())?.name;
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
