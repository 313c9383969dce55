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
use crate::oauth::grant_kind::GrantKind;
use crate::oauth::registration::{AuthMethod, ClientKey, ClientSource, RegisteredClient};
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
    /// How the grant is obtained, kept as the server's setting once it works.
    pub grant: Option<GrantKind>,
    /// The client's private key (`--private-key-file`), kept in the keychain
    /// with the client once it works.
    pub private_key: Option<ClientKey>,
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
        let stored = match (&client_id, &entry.discovery) {
            (Some(id), Some(d)) => self.load_client(&d.issuer, id)?,
            _ => None,
        };
        let known_issuer = entry.discovery.as_ref().map(|d| d.issuer.clone());
        // A secret or key given now belongs to the authorization server this
        // server is known to use (or, for a server never discovered, to the
        // first one this run discovers: see `ClientConfig::client_secret_issuer`).
        let given_now = given.client_secret.is_some() || given.private_key.is_some();
        let (client_secret, private_key, client_secret_issuer) = match (given_now, stored) {
            (true, _) => (given.client_secret.clone(), given.private_key.clone(), known_issuer),
            (false, Some(c)) => (c.client_secret, c.private_key, known_issuer),
            (false, None) => (None, None, None),
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
            grant: given.grant.clone().or(entry.grant_kind.clone()).unwrap_or_default(),
            grant_chosen: given.grant.is_some() || entry.grant_kind.is_some(),
            // Only a stored kind is bound; one given now goes where this run finds.
            grant_issuer: match (&given.grant, &entry.grant_kind, &entry.discovery) {
                (None, Some(_), Some(d)) => Some(d.issuer.clone()),
                _ => None,
            },
            private_key,
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
        let Some(grant) = &session.grant else {
            return Ok(());
        };
        if before == Some(&grant.access_token) {
            return Ok(());
        }
        if let Some(client) = session.authorizer.client_for(&grant.issuer).filter(|c| c.client_id == grant.client_id) {
            self.save_client(client)?;
        } else if let Some(client) = entered_to_keep(session, grant) {
            // Stored only for the issuer it was given for (hostile row 39).
            self.save_client(&client)?;
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
            // The kind the grant was made with (chosen, or settled from the
            // server's metadata) is how it is renewed.
            let kind = &session.authorizer.config.grant;
            if kind.is_unattended() || given.grant.is_some() {
                e.grant_kind = Some(kind.clone()).filter(GrantKind::is_unattended);
            }
        })?;
        Ok(())
    }
}

/// The client the person gave, with its secret or key, when the grant was
/// made with it at the issuer it was given for.
fn entered_to_keep(session: &ServerSession, grant: &crate::oauth::grant::Grant) -> Option<RegisteredClient> {
    if grant.client_source != ClientSource::Entered || grant.client_id.is_empty() {
        return None;
    }
    let config = &session.authorizer.config;
    let meta = session.discovery.as_ref().map(|d| &d.auth_server)?;
    let client = config.entered_client(meta).filter(|c| c.issuer == grant.issuer && c.client_id == grant.client_id)?;
    (client.client_secret.is_some() || client.private_key.is_some()).then(|| RegisteredClient {
        token_endpoint_auth_method: match client.private_key {
            Some(_) => AuthMethod::PrivateKeyJwt,
            None => AuthMethod::choose(meta, true),
        },
        ..client
    })
}
