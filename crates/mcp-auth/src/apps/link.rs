//! Connecting other MCP apps to the sign-ins kept here: an app's entry for a
//! server is rewritten so the app starts `mcp-auth bridge <server>` (or, for
//! Claude Code, asks `mcp-auth headers <server>` through its `headersHelper`),
//! and disconnecting puts back what was there.
//!
//! The app's file is edited as text ([`jsonc`](super::jsonc)): only the one
//! entry changes, the rest stays byte for byte, comments included. A file that
//! cannot be read as JSON(C) is refused and left untouched. Writes are atomic
//! (a temporary file renamed over the target; through a symlink, its target is
//! what changes) and each one keeps a backup in this app's own data directory
//! (the last [`BACKUPS_KEPT`] per file). A static credential in the old entry
//! is never copied anywhere in plaintext: the connection is refused unless the
//! user lets it move into the keychain, and the entry kept for disconnecting,
//! like the backup, has it removed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::import::{is_credential_header, project_config_paths, read_config, server_of, strip_jsonc, user_config_paths, SourceClient};
use super::jsonc::{self, ObjectSpan};
use crate::error::{Error, Result};
use crate::vault::secret::Secret;
use crate::vault::server_list::ServerEntry;

/// Backups kept per app config file.
pub const BACKUPS_KEPT: usize = 10;

/// One app's config file, and where its servers are in it.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub client: SourceClient,
    pub path: PathBuf,
    servers_key: &'static str,
}

impl AppConfig {
    /// The user-level file (`project: None`) or a project's own file.
    pub fn locate(client: SourceClient, home: &Path, project: Option<&Path>) -> Result<AppConfig> {
        let candidates = match project {
            Some(dir) => project_config_paths(client, dir),
            None => user_config_paths(client, home),
        };
        let path =
            candidates.iter().find(|p| p.exists()).or(candidates.first()).cloned().ok_or_else(|| {
                Error::InvalidInput(format!("{} has no project file; connect it without --project", client.display_name()))
            })?;
        let servers_key = if client == SourceClient::Vscode { "servers" } else { "mcpServers" };
        Ok(AppConfig { client, path, servers_key })
    }
}

/// The name `apps connect APP mcp-auth` gives the entry that runs `mcp-auth
/// serve` (and the name that asks for it).
pub const PLATFORM_ENTRY: &str = "mcp-auth";

/// The `mcp-auth` program an app is told to start.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub program: PathBuf,
}

impl Launcher {
    /// A development build's path works only while that build stays where it is.
    pub fn is_development_build(&self) -> bool {
        let p = self.program.to_string_lossy();
        p.contains("/target/debug/") || p.contains("/target/release/")
    }
}

/// What one connection changed, kept to undo it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub app: String,
    pub path: PathBuf,
    /// The entry's key in the app's file.
    pub entry: String,
    /// The server's name in this app's list.
    pub server: String,
    /// The entry as it was (static credentials removed); `None`: there was none.
    pub previous: Option<String>,
    /// The entry as connect wrote it.
    pub written: String,
}

/// The connections made, in the app's data directory (no secret in it).
pub struct Connections {
    file: PathBuf,
    dir: PathBuf,
}

/// One entry of an app's config, as `apps list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AppEntry {
    pub entry: String,
    pub url: Option<String>,
    /// The server of this app's list it goes through the bridge (or the
    /// headers helper) for, if it does.
    pub through_mcp_auth: Option<String>,
    /// The entry holds a static credential (a saved key).
    pub holds_saved_key: bool,
}

impl AppConfig {
    /// The file's server entries; `None` when there is no file.
    pub fn entries(&self) -> Result<Option<Vec<AppEntry>>> {
        let Some(text) = read_config(&self.path).map_err(|e| Error::InvalidInput(format!("{} {e}", self.path.display())))? else {
            return Ok(None);
        };
        let root: Value = serde_json::from_str(&strip_jsonc(&text))
            .map_err(|e| Error::InvalidInput(format!("{} cannot be read ({e})", self.path.display())))?;
        let mut out = Vec::new();
        for (key, value) in root.get(self.servers_key).and_then(Value::as_object).into_iter().flatten().take(1000) {
            let found = server_of(self.client, &self.path, key, value);
            let holds_saved_key = found.as_ref().is_some_and(|f| !f.credential_headers.is_empty());
            let url = found.map(|f| f.url);
            let args: Vec<&str> = value.get("args").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            let command = value.get("command").and_then(Value::as_str).unwrap_or("");
            let bridged =
                (command.ends_with("mcp-auth") && args.first() == Some(&"bridge")).then(|| args.get(1).map(|s| s.to_string())).flatten();
            let helper = value.get("headersHelper").and_then(Value::as_str).filter(|h| h.contains("mcp-auth") && h.contains(" headers "));
            let helped = helper.map(|h| h.rsplit(" headers ").next().unwrap_or("").trim_matches('\'').replace("'\\''", "'"));
            out.push(AppEntry { entry: key.clone(), url, through_mcp_auth: bridged.or(helped), holds_saved_key });
        }
        Ok(Some(out))
    }
}

/// What connecting every server an app shares with the list would do: the
/// servers to connect, and the app's entries the list does not have.
#[derive(Debug, Clone, Default)]
pub struct SharedServers {
    /// Servers of the list the app has an entry for (by URL) that do not go
    /// through mcp-auth yet.
    pub to_connect: Vec<ServerEntry>,
    /// The app's entries (by name) for servers the list does not have: they
    /// are imported first (`mcp-auth import`), not connected blindly.
    pub not_in_list: Vec<String>,
    /// Servers of `to_connect` whose entry in the app holds a saved key: they
    /// connect only once the user agrees the key moves into the keychain.
    pub with_saved_key: Vec<String>,
}

impl AppConfig {
    /// What "connect this app for all its servers" means for this file.
    pub fn shared_servers(&self, list: &[ServerEntry]) -> Result<SharedServers> {
        let mut shared = SharedServers::default();
        for entry in self.entries()?.unwrap_or_default() {
            if entry.through_mcp_auth.is_some() {
                continue;
            }
            let Some(url) = entry.url.as_deref().and_then(|u| crate::net::address::canonical_resource(u).ok()) else { continue };
            match list.iter().find(|s| s.url == url) {
                Some(server) if !shared.to_connect.iter().any(|s| s.name == server.name) => {
                    if entry.holds_saved_key {
                        shared.with_saved_key.push(server.name.clone());
                    }
                    shared.to_connect.push(server.clone())
                }
                Some(_) => {}
                None => shared.not_in_list.push(entry.entry),
            }
        }
        Ok(shared)
    }
}

/// What connecting found and did.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReport {
    pub app: SourceClient,
    pub path: PathBuf,
    pub entry: String,
    pub replaced_existing: bool,
    /// The entry's static credential header names, if it had any (moved).
    pub credential_headers: Vec<String>,
    pub warning: Option<String>,
}

impl Connections {
    pub fn in_dir(dir: &Path) -> Connections {
        Connections { file: dir.join("connections.json"), dir: dir.to_path_buf() }
    }

    pub fn all(&self) -> Result<Vec<Connection>> {
        match std::fs::read(&self.file) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| Error::InvalidInput(format!("{} is damaged: {e}", self.file.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(Error::Io { context: format!("could not read {}", self.file.display()), source }),
        }
    }

    fn save(&self, all: &[Connection]) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|source| Error::Io { context: format!("could not create {}", self.dir.display()), source })?;
        let text = serde_json::to_string_pretty(all).expect("connections serialize");
        write_atomically(&self.file, text.as_bytes())
    }

    /// The apps that run `server` through the bridge.
    pub fn users_of(&self, server: &str) -> Result<Vec<Connection>> {
        Ok(self.all()?.into_iter().filter(|c| c.server == server).collect())
    }

    /// Rewrite `config`'s entry for `server` to go through the bridge.
    /// `move_credentials`: the user agreed that a static token in the old entry
    /// moves into the keychain (the report carries it, for the caller to keep).
    ///
    /// `keep_token` receives the old entry's static bearer token (only when
    /// `move_credentials`) before the file is rewritten: if it fails, nothing
    /// is changed. A credential that is not a bearer token cannot be moved and
    /// is refused.
    pub fn connect(
        &self,
        config: &AppConfig,
        server: &ServerEntry,
        launcher: &Launcher,
        move_credentials: bool,
        keep_token: &mut dyn FnMut(Secret) -> Result<()>,
    ) -> Result<ConnectReport> {
        let text =
            read_config(&config.path).map_err(|e| Error::InvalidInput(format!("{} {e}", config.path.display())))?.unwrap_or_default();
        let (text, servers) = servers_object(&text, config)?;
        // The app's own entry for this server is the one with its URL; an entry
        // that cannot be read is refused rather than passed over.
        let mut existing = None;
        for m in &servers.members {
            let value: Value = serde_json::from_str(&strip_jsonc(&text[m.value_start..m.value_end])).map_err(|e| {
                Error::InvalidInput(format!(
                    "{}: the entry {:?} cannot be read ({e}); the file is left untouched",
                    config.path.display(),
                    m.key
                ))
            })?;
            let found = server_of(config.client, &config.path, &m.key, &value);
            let same_url =
                found.as_ref().is_some_and(|f| crate::net::address::canonical_resource(&f.url).ok().as_deref() == Some(&server.url));
            if same_url && existing.is_none() {
                existing = Some((m.clone(), value, found));
            }
        }
        let (credential_headers, static_token) = existing
            .as_ref()
            .and_then(|(_, _, f)| f.as_ref())
            .map(|f| (f.credential_headers.clone(), f.bearer.clone()))
            .unwrap_or_default();
        if !credential_headers.is_empty() && !move_credentials {
            return Err(Error::StaticCredentialInEntry {
                app: config.client.display_name(),
                path: config.path.display().to_string(),
                headers: credential_headers,
            });
        }
        if !credential_headers.is_empty() {
            let Some(token) = static_token.clone() else {
                return Err(Error::InvalidInput(format!(
                    "{}'s entry for this server holds a credential ({}) that cannot be moved into the keychain (only an `Authorization: Bearer` token can); remove it from {} first",
                    config.client.display_name(),
                    credential_headers.join(", "),
                    config.path.display()
                )));
            };
            keep_token(token)?;
        }
        // A new entry takes the server's name, or a free one beside an
        // unrelated entry of that name.
        let new_key = std::iter::once(server.name.clone())
            .chain((1..).map(|n| if n == 1 { format!("{} (mcp-auth)", server.name) } else { format!("{} (mcp-auth {n})", server.name) }))
            .find(|k| servers.member(k).is_none())
            .expect("a free key exists");
        let written = bridge_entry(config.client, server, launcher);
        let replaced = existing.as_ref().map(|(member, value, _)| {
            let previous = if credential_headers.is_empty() {
                text[member.value_start..member.value_end].to_string()
            } else {
                let clean = serde_json::to_string_pretty(&without_credentials(value.clone())).expect("a value serializes");
                jsonc::fit(&text, member, &clean)
            };
            (member, previous)
        });
        let mut report = self.put_entry(config, &text, &servers, replaced, &new_key, &server.name, written, launcher)?;
        report.credential_headers = credential_headers;
        Ok(report)
    }

    /// `apps connect APP mcp-auth`: an entry named `mcp-auth` that starts
    /// `mcp-auth serve`, through which the app's agent connects the user to
    /// servers. An entry of that name already there is kept to be put back.
    pub fn connect_platform(&self, config: &AppConfig, launcher: &Launcher) -> Result<ConnectReport> {
        let text =
            read_config(&config.path).map_err(|e| Error::InvalidInput(format!("{} {e}", config.path.display())))?.unwrap_or_default();
        let (text, servers) = servers_object(&text, config)?;
        let program = launcher.program.to_string_lossy().into_owned();
        let value = match config.client {
            SourceClient::Vscode | SourceClient::ClaudeCode => serde_json::json!({"type": "stdio", "command": program, "args": ["serve"]}),
            _ => serde_json::json!({"command": program, "args": ["serve"]}),
        };
        let written = serde_json::to_string_pretty(&value).expect("a value serializes");
        let existing = servers.member(PLATFORM_ENTRY).map(|m| (m, text[m.value_start..m.value_end].to_string()));
        self.put_entry(config, &text, &servers, existing, PLATFORM_ENTRY, PLATFORM_ENTRY, written, launcher)
    }

    /// Write `written` as the entry `replaced` (with the text it had) or as a
    /// new entry `new_key`, after a backup of the file; remember the change to
    /// undo it.
    #[allow(clippy::too_many_arguments)]
    fn put_entry(
        &self,
        config: &AppConfig,
        text: &str,
        servers: &ObjectSpan,
        replaced: Option<(&jsonc::Member, String)>,
        new_key: &str,
        server: &str,
        written: String,
        launcher: &Launcher,
    ) -> Result<ConnectReport> {
        let replaced_existing = replaced.is_some();
        let (entry_key, previous, new_text) = match replaced {
            Some((member, previous)) => {
                (member.key.clone(), Some(previous), jsonc::replace_value(text, member, &jsonc::fit(text, member, &written)))
            }
            None => (new_key.to_string(), None, jsonc::insert_member(text, servers, new_key, &written)),
        };
        self.back_up(config, text)?;
        write_atomically(&config.path, new_text.as_bytes())?;
        let mut all = self.all()?;
        all.retain(|c| !(c.app == config.client.id() && c.path == config.path && c.entry == entry_key));
        all.push(Connection {
            app: config.client.id().into(),
            path: config.path.clone(),
            entry: entry_key.clone(),
            server: server.to_string(),
            previous,
            written,
        });
        self.save(&all)?;
        Ok(ConnectReport {
            app: config.client,
            path: config.path.clone(),
            entry: entry_key,
            replaced_existing,
            credential_headers: Vec::new(),
            warning: launcher.is_development_build().then(|| {
                format!("{} is a development build's path; the app will stop working if that build moves", launcher.program.display())
            }),
        })
    }

    /// Put back what `connection` replaced: the old entry, or no entry.
    pub fn disconnect(&self, connection: &Connection) -> Result<()> {
        let client =
            SourceClient::parse(&connection.app).ok_or_else(|| Error::InvalidInput(format!("unknown app {:?}", connection.app)))?;
        let config = AppConfig {
            client,
            path: connection.path.clone(),
            servers_key: if client == SourceClient::Vscode { "servers" } else { "mcpServers" },
        };
        let text =
            read_config(&config.path).map_err(|e| Error::InvalidInput(format!("{} {e}", config.path.display())))?.unwrap_or_default();
        let (text, servers) = servers_object(&text, &config)?;
        match servers.member(&connection.entry) {
            Some(member) => {
                let now = &text[member.value_start..member.value_end];
                if !same_json(now, &connection.written) {
                    return Err(Error::InvalidInput(format!(
                        "{}'s entry {:?} in {} was changed since it was connected; it is left as it is",
                        client.display_name(),
                        connection.entry,
                        config.path.display()
                    )));
                }
                let restored = match &connection.previous {
                    Some(previous) => jsonc::replace_value(&text, member, previous),
                    None => jsonc::remove_member(&text, &servers, member),
                };
                self.back_up(&config, &text)?;
                write_atomically(&config.path, restored.as_bytes())?;
            }
            None => {} // removed by hand already: nothing to put back
        }
        let mut all = self.all()?;
        all.retain(|c| c != connection);
        self.save(&all)
    }

    /// Keep `text`, the app's file as it was, among the last [`BACKUPS_KEPT`]
    /// of that file, with every entry's static credentials taken out: a key
    /// the file held (for this entry or any other) never lands in plaintext
    /// in our data dir, where it would outlive its move into the keychain.
    fn back_up(&self, config: &AppConfig, text: &str) -> Result<()> {
        let (text, servers) = servers_object(text, config)?;
        let mut members: Vec<_> = servers.members.iter().collect();
        members.sort_by_key(|m| std::cmp::Reverse(m.value_start));
        let mut scrubbed = text.clone();
        for m in members {
            let Ok(value) = serde_json::from_str::<Value>(&strip_jsonc(&text[m.value_start..m.value_end])) else { continue };
            let holds_key = server_of(config.client, &config.path, &m.key, &value).is_some_and(|f| !f.credential_headers.is_empty());
            if holds_key {
                let clean = serde_json::to_string_pretty(&without_credentials(value)).expect("a value serializes");
                // From the last entry to the first: the spans before stay right.
                scrubbed = jsonc::replace_value(&scrubbed, m, &jsonc::fit(&text, m, &clean));
            }
        }
        let text = scrubbed.as_str();
        let id: String = Sha256::digest(config.path.to_string_lossy().as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
        let dir = self.dir.join("backups").join(config.client.id()).join(id);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io { context: format!("could not create {}", dir.display()), source })?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = config.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "config.json".into());
        write_atomically(&dir.join(format!("{stamp:024}-{name}")), text.as_bytes())?;
        let mut kept: Vec<PathBuf> = std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
        kept.sort();
        for old in kept.iter().rev().skip(BACKUPS_KEPT) {
            let _ = std::fs::remove_file(old);
        }
        Ok(())
    }
}

/// The text (with an empty servers object added if it had none) and the
/// span of its servers object.
fn servers_object(text: &str, config: &AppConfig) -> Result<(String, ObjectSpan)> {
    let unreadable =
        |e: jsonc::Unreadable| Error::InvalidInput(format!("{} cannot be read ({e}); it is left untouched", config.path.display()));
    let text = match jsonc::root(text).map_err(unreadable)? {
        None => format!("{{\n  \"{}\": {{}}\n}}\n", config.servers_key),
        Some(root) if root.member(config.servers_key).is_none() => jsonc::insert_member(text, &root, config.servers_key, "{}"),
        Some(_) => text.to_string(),
    };
    let root = jsonc::root(&text).map_err(unreadable)?.expect("an object");
    let member = root.member(config.servers_key).expect("present");
    let servers = jsonc::object_at(&text, member).map_err(unreadable)?.ok_or_else(|| {
        Error::InvalidInput(format!("{}: \"{}\" is not an object; it is left untouched", config.path.display(), config.servers_key))
    })?;
    Ok((text, servers))
}

/// The entry that makes `client` use the bridge (or the headers helper).
pub fn bridge_entry(client: SourceClient, server: &ServerEntry, launcher: &Launcher) -> String {
    let program = launcher.program.to_string_lossy().into_owned();
    // A DPoP-bound grant is only of use through the bridge, which makes the
    // proofs: no headers helper for it.
    let bound = server.grant.as_ref().is_some_and(|g| g.dpop_bound);
    let value = match client {
        SourceClient::ClaudeCode if bound => serde_json::json!({"type": "stdio", "command": program, "args": ["bridge", server.name]}),
        // Claude Code asks a command for its headers on every connection.
        SourceClient::ClaudeCode => serde_json::json!({
            "type": "http",
            "url": server.url,
            "headersHelper": format!("{} headers {}", shell_quote(&program), shell_quote(&server.name)),
        }),
        SourceClient::Vscode => serde_json::json!({"type": "stdio", "command": program, "args": ["bridge", server.name]}),
        _ => serde_json::json!({"command": program, "args": ["bridge", server.name]}),
    };
    serde_json::to_string_pretty(&value).expect("a value serializes")
}

/// One word for a POSIX shell, whatever it holds.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// An entry without its static credentials: credential headers, and
/// `--header "Authorization: …"` pairs of a wrapper's arguments.
fn without_credentials(mut value: Value) -> Value {
    // `${VAR}` / `$VAR` a removed header named: those variables go too.
    let mut referenced: Vec<String> = Vec::new();
    let mut note_refs = |text: &str| {
        for part in text.split('$').skip(1) {
            let name: String = part.trim_start_matches('{').chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                referenced.push(name);
            }
        }
    };
    if let Some(headers) = value.get_mut("headers").and_then(Value::as_object_mut) {
        for (k, v) in headers.iter() {
            if is_credential_header(k) {
                note_refs(v.as_str().unwrap_or(""));
            }
        }
        headers.retain(|k, _| !is_credential_header(k));
    }
    if let Some(args) = value.get_mut("args").and_then(Value::as_array_mut) {
        let mut kept = Vec::new();
        let mut skip_next = false;
        for (i, a) in args.iter().enumerate() {
            if skip_next {
                skip_next = false;
                continue;
            }
            let text = a.as_str().unwrap_or("");
            let header_value = |t: &str| t.split(':').next().is_some_and(|name| is_credential_header(name.trim()));
            if text == "--header" && args.get(i + 1).and_then(Value::as_str).is_some_and(header_value) {
                note_refs(args[i + 1].as_str().unwrap_or(""));
                skip_next = true;
                continue;
            }
            if let Some(rest) = text.strip_prefix("--header=") {
                if header_value(rest) {
                    note_refs(rest);
                    continue;
                }
            }
            kept.push(a.clone());
        }
        *args = kept;
    }
    if let Some(env) = value.get_mut("env").and_then(Value::as_object_mut) {
        env.retain(|k, _| !is_credential_header(k) && !referenced.contains(k));
    }
    value
}

fn same_json(a: &str, b: &str) -> bool {
    let parse = |t: &str| serde_json::from_str::<Value>(&strip_jsonc(t)).ok();
    parse(a).is_some() && parse(a) == parse(b)
}

/// Write `bytes` to `path` atomically: a temporary file beside the target
/// (the symlink's target, if `path` is one), synced, then renamed over it,
/// with the target's permissions kept.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = target.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io { context: format!("could not create {}", dir.display()), source })?;
    let tmp = dir.join(format!(
        ".{}.mcp-auth-{}",
        target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        crate::oauth::authorize::new_state()
    ));
    let io = |source| Error::Io { context: format!("could not write {}", target.display()), source };
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    // The target's permissions; a new file is the user's alone.
    match std::fs::metadata(&target) {
        Ok(meta) => {
            let _ = file.set_permissions(meta.permissions());
        }
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
            }
        }
    }
    let written = file.write_all(bytes).and_then(|_| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, &target).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_kept_entry() {
        let v = serde_json::json!({
            "command": "npx",
            "args": ["mcp-remote", "https://h/mcp", "--header", "Authorization: Bearer SECRET", "--header=X-Api-Key: K", "--header", "X-Trace: 1"],
            "headers": {"Authorization": "Bearer ${AUTH}", "Accept": "x"},
            "env": {"AUTH": "SECRET", "MY_KEY_TOKEN": "SECRET", "LOG_LEVEL": "debug"}
        });
        let clean = without_credentials(v).to_string();
        assert!(!clean.contains("SECRET") && !clean.contains("K\""), "{clean}");
        assert!(clean.contains("X-Trace: 1") && clean.contains("Accept") && clean.contains("LOG_LEVEL"), "{clean}");
    }

    #[test]
    fn headers_helper_is_one_shell_word_each() {
        let server = ServerEntry { name: "it's mine".into(), url: "https://h/mcp".into(), ..ServerEntry::default() };
        let entry = bridge_entry(SourceClient::ClaudeCode, &server, &Launcher { program: "/opt/My Apps/mcp-auth".into() });
        let v: Value = serde_json::from_str(&entry).unwrap();
        assert_eq!(v["headersHelper"], "'/opt/My Apps/mcp-auth' headers 'it'\\''s mine'");
    }

    #[test]
    fn a_dpop_bound_sign_in_goes_through_the_bridge_even_for_claude_code() {
        let grant = crate::oauth::grant::GrantSummary {
            resource: "https://h/mcp".into(),
            issuer: "https://as".into(),
            client_id: "c".into(),
            client_source: crate::oauth::registration::ClientSource::Registered,
            scopes: Vec::new(),
            requested_scopes: Vec::new(),
            expires_at: None,
            obtained_at: 0,
            signed_in_at: 0,
            has_refresh_token: true,
            dpop_bound: true,
            account: None,
        };
        let server = ServerEntry { name: "bound".into(), url: "https://h/mcp".into(), grant: Some(grant), ..ServerEntry::default() };
        let entry = bridge_entry(SourceClient::ClaudeCode, &server, &Launcher { program: "/usr/bin/mcp-auth".into() });
        let v: Value = serde_json::from_str(&entry).unwrap();
        assert!(v.get("headersHelper").is_none(), "{entry}");
        assert_eq!(v["args"], serde_json::json!(["bridge", "bound"]));
    }
}
