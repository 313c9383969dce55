//! The app's memory across runs: the server list (a file, no secrets) and the
//! vault (the keychain, every secret), kept consistent.
//!
//! A grant is filed in the vault under its resource + issuer + client id, and the
//! server list keeps only a summary of it (scopes, expiry, issuer) so that lists
//! and badges never need the keychain. Removing a server removes its grant, its
//! registration and its secrets from the keychain too.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::oauth::discovery::Discovery;
use crate::oauth::grant::{Clock, Grant};
use crate::oauth::registration::{ClientSource, RegisteredClient};
use crate::vault::records;
use crate::vault::server_list::{ClientEntry, DiscoverySummary, LoadNotice, RefreshOutcome, ServerEntry, ServerList, ServerListFile};
use crate::vault::{Vault, VaultKey};

pub struct Store<V: Vault> {
    dir: PathBuf,
    file: ServerListFile,
    pub vault: V,
}

impl Store<crate::vault::keychain::KeychainVault> {
    /// The user's store: the platform config dir and the OS keychain.
    pub fn open() -> Result<Self> {
        Ok(Store::new(&crate::vault::paths::config_dir()?, crate::vault::keychain::keychain_vault()))
    }
}

impl<V: Vault> Store<V> {
    pub fn new(dir: &Path, vault: V) -> Self {
        Store { dir: dir.to_path_buf(), file: ServerListFile::in_dir(dir), vault }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// When the server list file last changed (any process writes it): the
    /// app re-reads the list when this moves.
    pub fn list_modified(&self) -> Option<std::time::SystemTime> {
        std::fs::metadata(self.dir.join(crate::vault::server_list::FILE_NAME)).and_then(|m| m.modified()).ok()
    }

    pub fn list(&self) -> Result<(ServerList, LoadNotice)> {
        self.file.load()
    }

    pub fn update<T>(&self, change: impl FnOnce(&mut ServerList) -> Result<T>) -> Result<T> {
        self.file.update(change).map(|(t, _)| t)
    }

    /// The server with this name or URL.
    pub fn resolve(&self, name_or_url: &str) -> Result<ServerEntry> {
        let (list, _) = self.list()?;
        list.find(name_or_url).cloned().ok_or_else(|| Error::UnknownServer(name_or_url.to_string()))
    }

    /// Add a server (or return the existing one with the same URL).
    pub fn add(&self, url: &str, name: Option<&str>, clock: &dyn Clock) -> Result<ServerEntry> {
        let canonical = crate::net::address::canonical_resource(url)?;
        self.update(|list| {
            if let Some(existing) = list.find(&canonical) {
                return match name {
                    Some(n) if n != existing.name => {
                        Err(Error::InvalidInput(format!("{canonical} is already in the list as {:?}", existing.name)))
                    }
                    _ => Ok(existing.clone()),
                };
            }
            if let Some(problem) = name.and_then(|n| list.name_problem(n, &canonical)) {
                return Err(Error::InvalidInput(problem));
            }
            let host = url::Url::parse(&canonical).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
            let entry = ServerEntry {
                name: name.map(str::to_owned).unwrap_or_else(|| list.unique_name(&host, &canonical)),
                url: canonical.clone(),
                added_at: clock.now(),
                ..ServerEntry::default()
            };
            list.servers.push(entry.clone());
            Ok(entry)
        })
    }

    /// Change one server's entry.
    pub fn edit(&self, name: &str, change: impl FnOnce(&mut ServerEntry)) -> Result<ServerEntry> {
        self.update(|list| {
            let s = list.find_mut(name).ok_or_else(|| Error::UnknownServer(name.to_string()))?;
            change(s);
            Ok(s.clone())
        })
    }

    pub fn grant_key(server: &ServerEntry) -> Option<VaultKey> {
        server.grant.as_ref().map(|g| VaultKey::grant(&g.resource, &g.issuer, &g.client_id))
    }

    pub fn load_grant(&self, server: &ServerEntry) -> Result<Option<Grant>> {
        let Some(key) = Self::grant_key(server) else {
            return Ok(None);
        };
        self.vault.get(&key)?.map(|s| records::grant_from_secret(&s)).transpose()
    }

    /// Store a grant: tokens to the vault first, then the summary to the list.
    /// A grant replaced under another key (new issuer or client) is deleted.
    pub fn save_grant(&self, server_name: &str, grant: &Grant, discovery: Option<&Discovery>) -> Result<()> {
        let key = VaultKey::grant(&grant.resource, &grant.issuer, &grant.client_id);
        self.vault.set(&key, &records::grant_to_secret(grant))?;
        let previous = self.resolve(server_name)?;
        self.edit(server_name, |s| {
            s.grant = Some(grant.summary());
            if let Some(d) = discovery {
                s.discovery = Some(summary_of(d));
            }
        })?;
        if let Some(old) = Self::grant_key(&previous).filter(|k| k != &key) {
            self.vault.delete(&old)?;
        }
        Ok(())
    }

    /// Record a refresh's outcome (and the new grant, if any).
    pub fn record_refresh(&self, server_name: &str, grant: Option<&Grant>, outcome: RefreshOutcome) -> Result<()> {
        if let Some(g) = grant {
            self.vault.set(&VaultKey::grant(&g.resource, &g.issuer, &g.client_id), &records::grant_to_secret(g))?;
        }
        self.edit(server_name, |s| {
            if let Some(g) = grant {
                s.grant = Some(g.summary());
            }
            s.last_refresh = Some(outcome);
        })
        .map(|_| ())
    }

    /// Delete the tokens of a server's sign-in (keychain and summary).
    pub fn forget_grant(&self, server: &ServerEntry) -> Result<bool> {
        let deleted = match Self::grant_key(server) {
            Some(k) => self.vault.delete(&k)?,
            None => false,
        };
        self.edit(&server.name, |s| s.grant = None)?;
        Ok(deleted)
    }

    pub fn save_client(&self, client: &RegisteredClient) -> Result<()> {
        self.vault.set(&VaultKey::client(&client.issuer, &client.client_id), &records::client_to_secret(client))?;
        self.update(|list| {
            list.clients.retain(|c| !(c.issuer == client.issuer && c.client_id == client.client_id));
            if client.source != ClientSource::Entered {
                // One automatic client per issuer: a new registration replaces the old.
                list.clients.retain(|c| !(c.issuer == client.issuer && c.source != ClientSource::Entered));
            }
            list.clients.push(ClientEntry {
                issuer: client.issuer.clone(),
                client_id: client.client_id.clone(),
                source: client.source,
                redirect_uris: client.redirect_uris.clone(),
                has_secret: client.client_secret.is_some(),
                client_secret_expires_at: client.client_secret_expires_at,
            });
            Ok(())
        })
    }

    pub fn load_client(&self, issuer: &str, client_id: &str) -> Result<Option<RegisteredClient>> {
        self.vault.get(&VaultKey::client(issuer, client_id))?.map(|s| records::client_from_secret(&s)).transpose()
    }

    /// Keep a client secret the user entered for `client_id` at `issuer` (the
    /// issuer binds it: a sign-in never sends it anywhere else).
    pub fn save_entered_secret(&self, issuer: &str, client_id: &str, secret: crate::vault::secret::Secret) -> Result<()> {
        self.save_client(&RegisteredClient {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            client_secret: Some(secret),
            client_secret_expires_at: None,
            token_endpoint_auth_method: crate::oauth::registration::AuthMethod::ClientSecretBasic,
            redirect_uris: Vec::new(),
            source: ClientSource::Entered,
            private_key: None,
        })
    }

    /// Keep a private key the user gave for `client_id` at `issuer`, for
    /// `private_key_jwt` (bound to the issuer like a secret).
    pub fn save_entered_key(&self, issuer: &str, client_id: &str, key: crate::oauth::registration::ClientKey) -> Result<()> {
        self.save_client(&RegisteredClient {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            client_secret: None,
            client_secret_expires_at: None,
            token_endpoint_auth_method: crate::oauth::registration::AuthMethod::PrivateKeyJwt,
            redirect_uris: Vec::new(),
            source: ClientSource::Entered,
            private_key: Some(key),
        })
    }

    /// Delete one client identity (and its secret) from the keychain and the list.
    pub fn forget_client(&self, issuer: &str, client_id: &str) -> Result<bool> {
        let deleted = self.vault.delete(&VaultKey::client(issuer, client_id))?;
        self.update(|list| {
            list.clients.retain(|c| !(c.issuer == issuer && c.client_id == client_id));
            Ok(())
        })?;
        Ok(deleted)
    }

    /// Every automatic client (registered or metadata document) the app holds.
    pub fn automatic_clients(&self) -> Result<Vec<RegisteredClient>> {
        let (list, _) = self.list()?;
        let mut out = Vec::new();
        for c in list.clients.iter().filter(|c| c.source != ClientSource::Entered) {
            if let Some(client) = self.load_client(&c.issuer, &c.client_id)? {
                out.push(client);
            }
        }
        Ok(out)
    }

    /// The client a server's grant was made with, if stored.
    pub fn client_for_grant(&self, server: &ServerEntry) -> Result<Option<RegisteredClient>> {
        match &server.grant {
            Some(g) => self.load_client(&g.issuer, &g.client_id),
            None => Ok(None),
        }
    }

    /// Local data of one server: its grant, its entered client secret and the
    /// registrations no other server uses; the server's client settings reset.
    pub fn clear(&self, server: &ServerEntry) -> Result<ClearReport> {
        let mut tokens_deleted = self.forget_grant(server)?;
        // Tokens kept for an unconfirmed sign-out go too: forgetting is the
        // person's word that they give up asking the server.
        if let Some(p) = &server.sign_out_pending {
            tokens_deleted |= self.vault.delete(&VaultKey::signed_out(&p.resource, &p.issuer, &p.client_id))?;
        }
        let (list, _) = self.list()?;
        let issuer = server.grant.as_ref().map(|g| g.issuer.clone()).or_else(|| server.discovery.as_ref().map(|d| d.issuer.clone()));
        let mut clients_deleted = 0;
        if let Some(issuer) = issuer {
            let others_use_issuer = list.servers.iter().any(|s| {
                s.name != server.name
                    && (s.grant.as_ref().is_some_and(|g| g.issuer == issuer) || s.discovery.as_ref().is_some_and(|d| d.issuer == issuer))
            });
            let doomed: Vec<ClientEntry> = list
                .clients
                .iter()
                .filter(|c| c.issuer == issuer)
                .filter(|c| {
                    let entered_here = c.source == ClientSource::Entered && server.client_id.as_deref() == Some(c.client_id.as_str());
                    entered_here || (c.source != ClientSource::Entered && !others_use_issuer)
                })
                .cloned()
                .collect();
            for c in &doomed {
                self.vault.delete(&VaultKey::client(&c.issuer, &c.client_id))?;
                clients_deleted += 1;
            }
            self.update(|l| {
                l.clients.retain(|c| !doomed.contains(c));
                Ok(())
            })?;
        }
        self.edit(&server.name, |s| {
            s.client_id = None;
            s.redirect_uri = None;
            s.port = None;
            s.scope = None;
            s.client_metadata_url = None;
            s.last_refresh = None;
            s.sign_out_pending = None;
        })?;
        Ok(ClearReport { tokens_deleted, clients_deleted })
    }

    /// Note what used or changed `server`'s sign-in (see [`activity`](crate::vault::activity)).
    pub fn record_activity(&self, server: &str, what: &str, by: &str, detail: Option<String>, clock: &dyn Clock) -> Result<()> {
        let event = crate::vault::activity::ActivityEvent { at: clock.now(), what: what.to_string(), by: by.to_string(), detail };
        crate::vault::activity::record(&self.dir, server, event)
    }

    /// Every server's recorded activity, oldest first.
    pub fn activity(&self) -> crate::vault::activity::Activity {
        crate::vault::activity::read(&self.dir)
    }

    /// Remove a server and everything of it in the keychain.
    pub fn remove(&self, server: &ServerEntry) -> Result<ClearReport> {
        let report = self.clear(server)?;
        crate::vault::activity::forget(&self.dir, &server.name)?;
        self.update(|list| {
            list.servers.retain(|s| s.name != server.name);
            Ok(())
        })?;
        Ok(report)
    }

    /// Keep a static bearer token found in another MCP client's config, at the
    /// user's request: it moves into the keychain and is handed out by
    /// `token` like any other (it has no expiry and no refresh).
    pub fn save_static_token(&self, server_name: &str, token: crate::vault::secret::Secret, from: &str, clock: &dyn Clock) -> Result<()> {
        let server = self.resolve(server_name)?;
        let grant = Grant {
            resource: server.url.clone(),
            issuer: format!("static:{from}"),
            client_id: "static".into(),
            client_source: ClientSource::Entered,
            access_token: token,
            refresh_token: None,
            token_type: "Bearer".into(),
            scopes: Vec::new(),
            requested_scopes: Vec::new(),
            expires_at: None,
            obtained_at: clock.now(),
            signed_in_at: clock.now(),
            dpop_key: None,
            account: None,
        };
        self.save_grant(server_name, &grant, None)
    }

    /// Where per-grant refresh locks live.
    pub fn lock_dir(&self) -> PathBuf {
        self.dir.join("locks")
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ClearReport {
    pub tokens_deleted: bool,
    pub clients_deleted: usize,
}

pub fn summary_of(d: &Discovery) -> DiscoverySummary {
    let m = &d.auth_server;
    DiscoverySummary {
        issuer: m.issuer.clone(),
        resource: d.resource.clone(),
        authorization_endpoint: m.authorization_endpoint.clone(),
        token_endpoint: m.token_endpoint.clone(),
        registration_endpoint: m.registration_endpoint.clone(),
        revocation_endpoint: m.revocation_endpoint.clone(),
        scopes_supported: d.protected_resource.as_ref().and_then(|p| p.scopes_supported.clone()).or_else(|| m.scopes_supported.clone()),
        refresh_allowed: m.allows_refresh(),
        suggested_scope: crate::oauth::scope::join(&crate::oauth::signin::ClientConfig::default().initial_scopes(d)),
        device_sign_in: m.offers_device_grant(),
    }
}
