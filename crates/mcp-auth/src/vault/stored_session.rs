//! Turning a stored server into a live [`ServerSession`] and back.
//!
//! Both faces of the app (the CLI and the desktop shell) sign in the same way:
//! the stored settings of a server merged with what the user just gave, the
//! known client registrations loaded from the keychain, the current grant
//! loaded; and afterwards the new grant, the client used, and the discovery
//! summary stored again. This module is that round trip, so neither face
//! re-implements it.

use std::sync::Arc;

use crate::error::Result;
use crate::mcp::connect::ServerSession;
use crate::net::http::HttpClient;
use crate::oauth::grant::Clock;
use crate::oauth::registration::{AuthMethod, ClientSource, RegisteredClient};
use crate::oauth::signin::{Authorizer, ClientConfig};
use crate::vault::secret::Secret;
use crate::vault::server_list::ServerEntry;
use crate::vault::store::Store;
use crate::vault::Vault;

/// What the user gave for this run, over the stored settings.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub redirect_uri: Option<String>,
    pub port: Option<u16>,
    pub scope: Option<String>,
    pub client_metadata_url: Option<String>,
}

impl<V: Vault> Store<V> {
    /// A session for a stored server (or a bare URL when `entry` is a default
    /// entry with only `url` set), with its grant and the known clients loaded.
    ///
    /// The session's HTTP client works for this server (its address decides
    /// what the server may send the engine to), and a stored server's grant is
    /// refreshed through the vault, under the one cross-process lock.
    pub fn open_session(
        self: &Arc<Self>,
        entry: &ServerEntry,
        given: &Overrides,
        http: HttpClient,
        clock: Arc<dyn Clock>,
    ) -> Result<ServerSession>
    where
        V: 'static,
    {
        let http = http.serving(&entry.url, entry.allow_local_network);
        let client_id = given.client_id.clone().or(entry.client_id.clone());
        let (client_secret, client_secret_issuer) = match (&given.client_secret, &client_id, &entry.discovery) {
            // A secret given now belongs to the authorization server this server
            // is known to use (or, for a server never discovered, to the first
            // one this run discovers: see `ClientConfig::client_secret_issuer`).
            (Some(s), _, _) => (Some(s.clone()), entry.discovery.as_ref().map(|d| d.issuer.clone())),
            (None, Some(id), Some(d)) => (self.load_client(&d.issuer, id)?.and_then(|c| c.client_secret), Some(d.issuer.clone())),
            _ => (None, None),
        };
        let config = ClientConfig {
            client_id,
            client_secret,
            client_secret_issuer,
            redirect_uri: given.redirect_uri.clone().or(entry.redirect_uri.clone()),
            port: given.port.or(entry.port),
            scope: given.scope.clone().or(entry.scope.clone()),
            client_metadata_url: given.client_metadata_url.clone().or(entry.client_metadata_url.clone()),
            no_consent_prompt: entry.consent_prompt == Some(false),
        };
        let mut auth = Authorizer::new(http, clock.clone(), config);
        for client in self.automatic_clients()? {
            auth.remember_client(client);
        }
        let mut session = ServerSession::new(&entry.url, auth)?;
        if !entry.name.is_empty() {
            session.grant = self.load_grant(entry)?;
            session.shelf = Some(Arc::new(crate::vault::stored_grant::StoredGrant::new(self.clone(), &entry.name, clock)));
        }
        Ok(session)
    }

    /// Store what a session produced (when the grant changed since `before`):
    /// the grant, the client it was made with, the discovery summary, and the
    /// settings the user gave.
    pub fn keep_session(&self, entry: &ServerEntry, session: &ServerSession, before: Option<&Secret>, given: &Overrides) -> Result<()> {
        if entry.name.is_empty() {
            return Ok(());
        }
        let Some(grant) = &session.grant else { return Ok(()) };
        if before == Some(&grant.access_token) {
            return Ok(());
        }
        if let Some(client) = session.authorizer.client_for(&grant.issuer).filter(|c| c.client_id == grant.client_id) {
            self.save_client(client)?;
        } else if let Some(secret) =
            session.authorizer.config.secret_for(&grant.issuer).filter(|_| grant.client_source == ClientSource::Entered)
        {
            // Stored only for the issuer it was given for (hostile row 39).
            let meta = session.discovery.as_ref().map(|d| &d.auth_server);
            self.save_client(&RegisteredClient {
                issuer: grant.issuer.clone(),
                client_id: grant.client_id.clone(),
                token_endpoint_auth_method: meta.map(|m| AuthMethod::choose(m, true)).unwrap_or(AuthMethod::ClientSecretBasic),
                client_secret: Some(secret),
                client_secret_expires_at: None,
                redirect_uris: Vec::new(),
                source: ClientSource::Entered,
            })?;
        }
        self.save_grant(&entry.name, grant, session.discovery.as_ref())?;
        self.edit(&entry.name, |e| {
            if let Some(id) = &given.client_id {
                e.client_id = Some(id.clone());
            }
            if let Some(uri) = &given.redirect_uri {
                e.redirect_uri = Some(uri.clone());
            }
            if given.port.is_some() {
                e.port = given.port;
            }
            if let Some(scope) = &given.scope {
                e.scope = Some(scope.clone());
            }
            if let Some(m) = &given.client_metadata_url {
                e.client_metadata_url = Some(m.clone());
            }
        })?;
        Ok(())
    }
}
