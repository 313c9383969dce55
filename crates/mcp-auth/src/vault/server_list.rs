//! The server list: one JSON file of what the user added, with no secret in it.
//!
//! Written atomically (temp file, fsync, rename, fsync of the directory), so a
//! crash or a full disk leaves the old file or the new one, never half of one.
//! Every change is a read-modify-write under an exclusive file lock, so two
//! processes (the app and `mcp-auth` in a terminal) never lose each other's
//! change. A file that does not parse is renamed aside as a backup and a new list
//! is started; the caller is told, and the app still starts.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::oauth::grant::GrantSummary;
use crate::oauth::grant_kind::GrantKind;
use crate::oauth::registration::ClientSource;

pub const SCHEMA_VERSION: u32 = 1;
pub const FILE_NAME: &str = "servers.json";

/// How the browser comes back to the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectMode {
    #[default]
    Loopback,
    DeepLink,
}

/// What discovery found, kept so that `token` can refresh without the network
/// round trips of a new discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoverySummary {
    pub issuer: String,
    pub resource: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    #[serde(default)]
    pub refresh_allowed: bool,
    /// The scope the spec's choice gives (challenge, then `scopes_supported`).
    #[serde(default)]
    pub suggested_scope: Option<String>,
    /// The server offers sign-in from another device (RFC 8628).
    #[serde(default)]
    pub device_sign_in: bool,
}

/// The outcome of the latest refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshOutcome {
    pub at: u64,
    pub ok: bool,
    pub message: Option<String>,
}

/// One server the user added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerEntry {
    /// The identifier every command takes (`mcp-auth bridge <name>`, the apps'
    /// configs); it never changes once given.
    pub name: String,
    pub url: String,
    /// The person's own name for it, shown instead of the address; renaming
    /// changes only this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub added_at: u64,
    /// A client id the user entered (registered clients are in `clients`).
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub redirect_mode: RedirectMode,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub client_metadata_url: Option<String>,
    /// `Some(false)`: never ask the sign-in page for its consent screen
    /// (`prompt=consent`); otherwise it is asked where a refresh token needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_prompt: Option<bool>,
    /// How the grant is obtained and renewed; absent: a person signs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_kind: Option<GrantKind>,
    #[serde(default)]
    pub discovery: Option<DiscoverySummary>,
    /// The current sign-in, without its tokens (they are in the keychain).
    #[serde(default)]
    pub grant: Option<GrantSummary>,
    #[serde(default)]
    pub last_refresh: Option<RefreshOutcome>,
    /// Where it was imported from, if it was.
    #[serde(default)]
    pub imported_from: Option<String>,
    /// The user lets this server send the app to this computer or the local
    /// network (metadata, token endpoints… on loopback or private addresses),
    /// which a server on the internet may not do otherwise (hostile row 41).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_local_network: bool,
    /// A sign-out the authorization server did not confirm: the sign-in is
    /// gone from every face, but its tokens wait in the keychain (under
    /// [`VaultKey::signed_out`](crate::vault::chunked::VaultKey::signed_out))
    /// so that the revocation can be tried again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_out_pending: Option<PendingSignOut>,
    /// The last check of the server failed on its side (unreachable, an
    /// unusable or unsafe answer); cleared by the next check that succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_check: Option<FailedCheck>,
    /// Ask the person before a program not seen before uses this sign-in
    /// (see [`approval`](crate::vault::approval)).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ask_before_new_program: bool,
    /// The programs the person allowed, while it asks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_programs: Vec<crate::vault::approval::AllowedProgram>,
}

/// Which tokens wait for a sign-out to be confirmed, and why it was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignOut {
    pub resource: String,
    pub issuer: String,
    pub client_id: String,
    /// When the sign-out was asked (seconds since the Unix epoch).
    pub since: u64,
    /// What the server answered, or why it could not be reached.
    pub reason: String,
}

/// A check that failed on the server's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCheck {
    pub at: u64,
    /// The error's kind (`network`, `unsafe_url`, …), as faces report it.
    pub kind: String,
    pub message: String,
}

impl ServerEntry {
    /// Where its sign-in stands, in the words `mcp-auth status` (and `serve`'s
    /// `list_mcp_servers`) print: `needs_sign_in`, `expired`, `expires_soon`
    /// (no refresh token and under five minutes left) or `signed_in`.
    pub fn state(&self, now: u64) -> &'static str {
        match &self.grant {
            None => "needs_sign_in",
            Some(g) => match g.expires_at {
                Some(t) if t <= now && !g.has_refresh_token => "expired",
                Some(t) if t <= now + 300 && !g.has_refresh_token => "expires_soon",
                _ => "signed_in",
            },
        }
    }
}

/// A client identity the app holds at one issuer (its secret is in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEntry {
    pub issuer: String,
    pub client_id: String,
    pub source: ClientSource,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub has_secret: bool,
    #[serde(default)]
    pub client_secret_expires_at: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerList {
    pub schema_version: u32,
    #[serde(default)]
    pub servers: Vec<ServerEntry>,
    #[serde(default)]
    pub clients: Vec<ClientEntry>,
}

impl Default for ServerList {
    fn default() -> Self {
        ServerList { schema_version: SCHEMA_VERSION, servers: Vec::new(), clients: Vec::new() }
    }
}

impl ServerList {
    /// A server by name, or by URL (canonical form compared).
    pub fn find(&self, name_or_url: &str) -> Option<&ServerEntry> {
        self.position(name_or_url).map(|i| &self.servers[i])
    }

    pub fn find_mut(&mut self, name_or_url: &str) -> Option<&mut ServerEntry> {
        self.position(name_or_url).map(move |i| &mut self.servers[i])
    }

    /// A URL is looked up by URL only and anything else by name only: a name
    /// can never contain `://`, so no name answers for a URL (hostile row 43).
    fn position(&self, name_or_url: &str) -> Option<usize> {
        if name_or_url.contains("://") {
            let canonical = crate::net::address::canonical_resource(name_or_url).ok()?;
            return self.servers.iter().position(|s| s.url == canonical);
        }
        self.servers.iter().position(|s| s.name == name_or_url)
    }

    /// Why `name` cannot name the server at `own_url`, if it cannot: a name is
    /// how the user and other programs point at a server, so it must not look
    /// like another server (hostile row 43). It may not contain `://`, nor
    /// equal any server's URL, nor the host of a server on another host; it
    /// may be the server's own host (the default name).
    pub fn name_problem(&self, name: &str, own_url: &str) -> Option<String> {
        let own_url = crate::net::address::canonical_resource(own_url).unwrap_or_else(|_| own_url.to_string());
        let own_url = own_url.as_str();
        let host_of = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        let own_host = host_of(own_url);
        let lower = name.to_ascii_lowercase();
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Some("a server's name cannot be empty or hold control characters".into());
        }
        if name.contains("://") {
            return Some(format!("{name:?} looks like a URL; a server's name cannot contain \"://\""));
        }
        if let Some(other) = self.servers.iter().find(|s| s.url != own_url && s.url.eq_ignore_ascii_case(name)) {
            return Some(format!("{name:?} is the address of the server {:?}", other.name));
        }
        let other_host = self.servers.iter().find(|s| {
            let host = host_of(&s.url);
            host.as_deref() == Some(lower.as_str()) && host != own_host
        });
        if let Some(other) = other_host {
            return Some(format!("{name:?} is the host of the server {:?}, at another address", other.name));
        }
        if self.servers.iter().any(|s| s.name == name && s.url != own_url) {
            return Some(format!("a server named {name:?} already exists"));
        }
        None
    }

    /// A name not yet used and not like another server, from a wish (usually
    /// the host).
    pub fn unique_name(&self, wish: &str, own_url: &str) -> String {
        let base: String = wish.chars().filter(|c| !c.is_control()).take(64).collect::<String>().trim().replace("://", "-").to_string();
        let base = if base.is_empty() { "server".to_string() } else { base };
        std::iter::once(base.clone())
            .chain((2..).map(|n| format!("{base}-{n}")))
            .find(|n| self.name_problem(n, own_url).is_none())
            .expect("an unused name exists")
    }

    pub fn client(&self, issuer: &str) -> Option<&ClientEntry> {
        self.clients.iter().find(|c| c.issuer == issuer)
    }
}

/// The file, its lock, and the outcome of reading it.
#[derive(Debug, Clone)]
pub struct ServerListFile {
    path: PathBuf,
}

/// What `load` found besides the list: a damaged file set aside.
#[derive(Debug, Clone, Default)]
pub struct LoadNotice {
    pub corrupt_backup: Option<PathBuf>,
}

impl ServerListFile {
    pub fn in_dir(dir: &Path) -> Self {
        ServerListFile { path: dir.join(FILE_NAME) }
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// Read the list (no lock: the file is only ever replaced whole).
    pub fn load(&self) -> Result<(ServerList, LoadNotice)> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((ServerList::default(), LoadNotice::default())),
            Err(e) => return Err(Self::io(format!("could not read {}", self.path.display()))(e)),
        };
        match serde_json::from_slice::<ServerList>(&bytes) {
            Ok(list) if list.schema_version <= SCHEMA_VERSION => Ok((list, LoadNotice::default())),
            Ok(list) => Err(Error::InvalidInput(format!(
                "{} was written by a newer version (schema {}); update MCP Auth Manager",
                self.path.display(),
                list.schema_version
            ))),
            Err(_) => {
                let backup = self.set_aside()?;
                Ok((ServerList::default(), LoadNotice { corrupt_backup: Some(backup) }))
            }
        }
    }

    fn set_aside(&self) -> Result<PathBuf> {
        let stamp = crate::oauth::grant::Clock::now(&crate::oauth::grant::SystemClock);
        let backup = self.path.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}"));
        fs::rename(&self.path, &backup).map_err(Self::io(format!("could not set aside {}", self.path.display())))?;
        Ok(backup)
    }

    /// Change the list under the lock and write it atomically.
    pub fn update<T>(&self, change: impl FnOnce(&mut ServerList) -> Result<T>) -> Result<(T, LoadNotice)> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(Self::io(format!("could not create {}", dir.display())))?;
        let lock_path = self.path.with_file_name(format!("{FILE_NAME}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(Self::io(format!("could not open {}", lock_path.display())))?;
        lock.lock().map_err(Self::io("could not lock the server list"))?;
        let (mut list, notice) = self.load()?;
        let out = change(&mut list)?;
        self.write(&list)?;
        drop(lock);
        Ok((out, notice))
    }

    fn write(&self, list: &ServerList) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
        let json = serde_json::to_vec_pretty(list).expect("the server list always serializes");
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            Ok::<_, std::io::Error>(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(Self::io(format!("could not write {}", self.path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!("mcp-auth-servers-{}", crate::oauth::authorize::new_state()));
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn round_trip_and_lookup_by_name_or_url() {
        let dir = tmp();
        let file = ServerListFile::in_dir(&dir);
        file.update(|l| {
            l.servers.push(ServerEntry { name: "docs".into(), url: "https://h.example/mcp".into(), ..Default::default() });
            Ok(())
        })
        .unwrap();
        let (list, notice) = file.load().unwrap();
        assert!(notice.corrupt_backup.is_none());
        assert!(list.find("docs").is_some());
        assert!(list.find("HTTPS://H.EXAMPLE/mcp").is_some());
        assert!(list.find("https://h.example/other").is_none());
        assert_eq!(list.unique_name("docs", "https://other.example/mcp"), "docs-2");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn row43_names_that_look_like_another_server_are_refused() {
        let mut list = ServerList::default();
        list.servers.push(ServerEntry { name: "real".into(), url: "https://real.example/mcp".into(), ..Default::default() });
        list.servers.push(ServerEntry {
            name: "https://real.example/mcp".into(),
            url: "https://evil.example/mcp".into(),
            ..Default::default()
        });
        // A URL finds the server with that URL, never a server named like it.
        assert_eq!(list.find("https://real.example/mcp").unwrap().name, "real");
        let evil = "https://evil.example/mcp";
        for bad in ["https://real.example/mcp", "real.example", "REAL.example", "x://y", "real", "", "a\nb"] {
            assert!(list.name_problem(bad, evil).is_some(), "{bad:?} accepted");
        }
        assert_eq!(list.name_problem("evil.example", evil), None, "its own host is fine");
        assert_eq!(list.name_problem("work tools", evil), None);
        // Renaming: the host of another server is skipped too.
        assert_eq!(list.unique_name("real.example", evil), "real.example-2");
        assert_eq!(list.unique_name("https://real.example/mcp", evil), "https-real.example/mcp");
    }

    #[test]
    fn a_corrupt_file_is_set_aside() {
        let dir = tmp();
        let file = ServerListFile::in_dir(&dir);
        fs::write(file.path(), b"{ not json").unwrap();
        let (list, notice) = file.load().unwrap();
        assert!(list.servers.is_empty());
        let backup = notice.corrupt_backup.unwrap();
        assert_eq!(fs::read(&backup).unwrap(), b"{ not json");
        assert!(!file.path().exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tmp();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let file = ServerListFile::in_dir(&dir);
                std::thread::spawn(move || {
                    for j in 0..10 {
                        file.update(|l| {
                            l.servers.push(ServerEntry {
                                name: format!("s{i}-{j}"),
                                url: format!("https://h{i}.example/{j}"),
                                ..Default::default()
                            });
                            Ok(())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (list, _) = ServerListFile::in_dir(&dir).load().unwrap();
        assert_eq!(list.servers.len(), 80);
        fs::remove_dir_all(dir).unwrap();
    }
}
