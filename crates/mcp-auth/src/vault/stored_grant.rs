//! A stored grant's life after sign-in: handing a fresh access token to other
//! programs, refreshing, and revoking.
//!
//! `mcp-auth token <server>` is called by other tools before every request, so
//! the common case (a stored token that is still fresh) reads one file and one
//! keychain entry and builds no HTTP client. Every refresh of a stored grant, by
//! any face, goes through [`refresh_stored`]: one process at a time per server (a
//! file lock), and the one that waited reads the vault again and uses the grant
//! the other one stored, so a rotating server never sees the same refresh token
//! twice and a lost race never deletes the winner's grant. A live session
//! reaches it through [`StoredGrant`], its [`GrantShelf`].

use std::fs::{File, OpenOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::mcp::connect::{GrantFuture, GrantShelf, SharedRefreshFuture};
use crate::net::http::{HttpClient, Limits};
use crate::oauth::grant::{Clock, Grant};
use crate::oauth::grant_kind::{obtain_unattended, GrantKind, UnattendedRequest};
use crate::oauth::registration::{AuthMethod, ClientSource, RegisteredClient};
use crate::oauth::token::TokenEndpoint;
use crate::vault::secret::Secret;
use crate::vault::server_list::{PendingSignOut, RefreshOutcome, ServerEntry};
use crate::vault::store::Store;
use crate::vault::{Vault, VaultKey};

/// Longest wait for another process's refresh.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Hold the refresh lock of one server's grant. One lock per server URL, so a
/// refresh and a new sign-in at another issuer still take turns. The wait
/// sleeps on the runtime, never blocking a worker thread.
pub(crate) async fn lock_refresh<V: Vault>(store: &Store<V>, server: &ServerEntry) -> Result<File> {
    server_lock(store, server, "lock", LOCK_WAIT, "refreshing this sign-in").await
}

/// Hold the sign-in lock of one server: at most one sign-in per server at a
/// time, across every process (ten bridges of one server open one browser).
pub(crate) async fn lock_sign_in<V: Vault>(store: &Store<V>, server: &ServerEntry, wait: Duration) -> Result<File> {
    server_lock(store, server, "sign-in.lock", wait, "signing in to this server").await
}

async fn server_lock<V: Vault>(store: &Store<V>, server: &ServerEntry, suffix: &str, wait: Duration, doing: &str) -> Result<File> {
    let dir = store.lock_dir();
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io { context: format!("could not create {}", dir.display()), source })?;
    let name: String = Sha256::digest(server.url.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{name}.{suffix}"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| Error::Io { context: format!("could not open {}", path.display()), source })?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::InvalidInput(format!("another program has been {doing} for {} s; try again", wait.as_secs())))
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(Error::Io { context: format!("could not lock the server for {doing}"), source })
            }
        }
    }
}

/// When a refresh is made.
#[derive(Debug, Clone, Copy)]
pub(crate) enum When {
    /// Only if the grant is due (inside the refresh margin).
    Due,
    /// Now, fresh or not (the person's "Renew now", `mcp-auth refresh`).
    Now,
    /// Now, unless the stored grant was obtained after this `obtained_at`.
    UnlessRenewedSince(u64),
}

/// The one refresh of a stored grant, whichever face asks (`token`, `tools`,
/// `call`, the bridge, the app): under the server's cross-process lock, after
/// reading the vault again (hostile row 40).
///
/// `held` is the grant the caller has in memory, if any. When the vault holds a
/// different grant that is at least as new and still fresh, another process
/// refreshed (or signed in) while this one waited: that grant is returned and no
/// request is sent. Otherwise `run` refreshes the newest of the two and its
/// result is stored. A refresh token the server calls dead is forgotten only if
/// it is still the stored one, so a lost race never deletes the winner's grant.
/// `run` may hand back the grant unchanged (nothing to refresh); then nothing
/// is recorded.
pub(crate) async fn refresh_stored<V, F, Fut>(
    store: &Store<V>,
    server_name: &str,
    held: Option<&Grant>,
    when: When,
    clock: &dyn Clock,
    run: F,
) -> Result<Option<Grant>>
where
    V: Vault,
    F: FnOnce(ServerEntry, Grant) -> Fut,
    Fut: std::future::Future<Output = Result<Grant>>,
{
    let server = store.resolve(server_name)?;
    let _lock = lock_refresh(store, &server).await?;
    let server = store.resolve(server_name)?;
    let stored = store.load_grant(&server)?;
    let target = match (held, stored) {
        (Some(h), Some(s)) if s.obtained_at >= h.obtained_at && s.access_token != h.access_token => {
            if !s.needs_refresh(clock) {
                return Ok(Some(s));
            }
            s
        }
        (Some(h), Some(_)) => h.clone(),
        (None, Some(s)) => s,
        // Nothing stored: signed out (revoked, cleared) elsewhere. A grant
        // held in memory is never written back.
        (_, None) => return Ok(None),
    };
    let force = match when {
        When::Due => false,
        When::Now => true,
        // Renewed by another face while this one waited for the lock: that stands.
        When::UnlessRenewedSince(seen) => target.obtained_at <= seen,
    };
    if held.is_none() && !force && !target.needs_refresh(clock) {
        return Ok(Some(target));
    }
    // Nothing to refresh with: still usable, or a new sign-in is needed. Not a
    // refused refresh: nothing is forgotten.
    let unattended = server.grant_kind.as_ref().is_some_and(GrantKind::is_unattended);
    if target.refresh_token.is_none() && !unattended {
        let usable = !force && target.expires_at.is_none_or(|t| clock.now() < t);
        return Ok(usable.then_some(target));
    }
    let tried = target.refresh_token.clone();
    let before = target.access_token.clone();
    match run(server.clone(), target).await {
        Ok(next) if next.access_token == before => Ok(Some(next)),
        Ok(next) => {
            store.record_refresh(&server.name, Some(&next), RefreshOutcome { at: clock.now(), ok: true, message: None })?;
            Ok(Some(next))
        }
        Err(e @ Error::InvalidGrant { .. }) => {
            // The refresh token is dead: forget it (if it is still the stored
            // one), say "sign in again", no retry.
            // A grant with no refresh token (one no person attends) keeps its
            // access token until it expires: only a dead refresh token is forgotten.
            let still_stored = tried.is_some() && store.load_grant(&server)?.is_some_and(|g| g.refresh_token == tried);
            if still_stored {
                store.forget_grant(&server)?;
            }
            store.record_refresh(&server.name, None, RefreshOutcome { at: clock.now(), ok: false, message: Some(e.to_string()) })?;
            Ok(None)
        }
        // Nothing to refresh with: not a failed refresh.
        Err(e @ Error::NotSignedIn { .. }) => Err(e),
        Err(e) => {
            store.record_refresh(&server.name, None, RefreshOutcome { at: clock.now(), ok: false, message: Some(e.to_string()) })?;
            Err(e)
        }
    }
}

/// A stored server's grant, as a [`GrantShelf`] for its live session.
pub struct StoredGrant<V: Vault> {
    store: Arc<Store<V>>,
    server: String,
    clock: Arc<dyn Clock>,
}

impl<V: Vault> StoredGrant<V> {
    pub fn new(store: Arc<Store<V>>, server: &str, clock: Arc<dyn Clock>) -> Self {
        StoredGrant { store, server: server.to_string(), clock }
    }
}

impl<V: Vault + 'static> GrantShelf for StoredGrant<V> {
    fn refresh<'a>(&'a self, held: &'a Grant, refresh: &'a (dyn Fn(Grant) -> GrantFuture<'a> + Send + Sync)) -> SharedRefreshFuture<'a> {
        Box::pin(async move {
            match refresh_stored(&self.store, &self.server, Some(held), When::Due, self.clock.as_ref(), |_, g| refresh(g)).await {
                // Refused here, not by the server (another issuer now): sign in again.
                Err(Error::NotSignedIn { .. }) => Ok(None),
                other => other,
            }
        })
    }
}

/// The client a grant was made with (a public client if nothing is stored).
fn client_of<V: Vault>(store: &Store<V>, grant: &Grant) -> Result<RegisteredClient> {
    // The client of this very grant (issuer and client id), whatever the
    // summary in the server list says.
    Ok(store.load_client(&grant.issuer, &grant.client_id)?.unwrap_or_else(|| RegisteredClient {
        issuer: grant.issuer.clone(),
        client_id: grant.client_id.clone(),
        client_secret: None,
        client_secret_expires_at: None,
        token_endpoint_auth_method: AuthMethod::None,
        redirect_uris: Vec::new(),
        source: ClientSource::Entered,
        private_key: None,
    }))
}

impl<V: Vault> Store<V> {
    /// A fresh access token for a server (`mcp-auth token`, Reveal, Copy),
    /// refreshing first when it expires within the margin.
    ///
    /// A token bound to a DPoP key is refused ([`Error::DpopBound`]): it is no
    /// use to whoever asks (they cannot make the proofs), and the vault's grant
    /// decides, not the list's summary of it, which may be behind.
    pub async fn fresh_token(&self, name: &str, clock: &dyn Clock) -> Result<Secret> {
        let server = self.resolve(name)?;
        let not_signed_in = || Error::NotSignedIn { server: server.name.clone() };
        let bound = || Error::DpopBound { server: server.name.clone() };
        let grant = self.load_grant(&server)?.ok_or_else(not_signed_in)?;
        if grant.access_is_bound() {
            return Err(bound());
        }
        if !grant.needs_refresh(clock) {
            return Ok(grant.access_token);
        }
        let next = refresh_from_vault(self, &server, None, clock, When::Due).await?;
        if next.access_is_bound() {
            return Err(bound());
        }
        Ok(next.access_token)
    }

    /// Refresh `held`, the grant a live face holds for this server, under the
    /// lock; a newer grant another process stored meanwhile comes back instead.
    pub async fn refresh_held(&self, name: &str, held: &Grant, clock: &dyn Clock) -> Result<Grant> {
        let server = self.resolve(name)?;
        refresh_from_vault(self, &server, Some(held), clock, When::Due).await
    }

    /// Refresh a server's grant now, even if its token is still fresh.
    pub async fn refresh_grant(&self, name: &str, clock: &dyn Clock) -> Result<Grant> {
        let server = self.resolve(name)?;
        refresh_from_vault(self, &server, None, clock, When::Now).await
    }

    /// Renew ahead of expiry, for the background pass: as [`refresh_grant`](Self::refresh_grant),
    /// unless the stored grant was renewed since `seen` (the `obtained_at` the
    /// pass read in the list) by another face while this one waited for the
    /// lock; then that grant stands, refreshed only if it is itself due.
    pub async fn renew_ahead(&self, name: &str, seen: u64, clock: &dyn Clock) -> Result<Grant> {
        let server = self.resolve(name)?;
        refresh_from_vault(self, &server, None, clock, When::UnlessRenewedSince(seen)).await
    }

    /// Revoke both tokens at the server (RFC 7009), then delete them locally,
    /// whatever the server said.
    pub async fn revoke_grant(&self, name: &str) -> Result<RevokeReport> {
        revoke(self, name).await
    }
}

/// Refresh the stored grant with what the server list knows (no discovery).
async fn refresh_from_vault<V: Vault>(
    store: &Store<V>,
    server: &ServerEntry,
    held: Option<&Grant>,
    clock: &dyn Clock,
    when: When,
) -> Result<Grant> {
    // Only "now" refuses a grant that cannot be refreshed but still works; a
    // renewal ahead of time hands it back, and tries again when it is due.
    let force = matches!(when, When::Now);
    let not_signed_in = || Error::NotSignedIn { server: server.name.clone() };
    let run = |server: ServerEntry, grant: Grant| async move {
        if let Some(kind) = server.grant_kind.as_ref().filter(|k| k.is_unattended() && grant.refresh_token.is_none()) {
            return obtain_again(store, &server, kind, grant, clock).await;
        }
        let still_valid = grant.expires_at.is_none_or(|t| clock.now() < t);
        let refreshable =
            grant.refresh_token.is_some() && server.discovery.as_ref().is_some_and(|d| d.refresh_allowed && d.issuer == grant.issuer);
        let Some(discovery) = server.discovery.as_ref().filter(|_| refreshable) else {
            return if still_valid && !force { Ok(grant) } else { Err(Error::NotSignedIn { server: server.name.clone() }) };
        };
        let client = client_of(store, &grant)?;
        let http = HttpClient::new(Limits::default())?.serving(&server.url, server.allow_local_network);
        TokenEndpoint { url: &discovery.token_endpoint, client: &client, dpop: grant.dpop_key.as_ref() }.refresh(&http, &grant, clock).await
    };
    refresh_stored(store, &server.name, held, when, clock, run).await?.ok_or_else(not_signed_in)
}

/// Renew a grant no person attends the way it was obtained (client
/// credentials, enterprise-managed, workload identity), with the client the
/// keychain holds for it and the files the server's settings name.
async fn obtain_again<V: Vault>(
    store: &Store<V>,
    server: &ServerEntry,
    kind: &GrantKind,
    grant: Grant,
    clock: &dyn Clock,
) -> Result<Grant> {
    let discovery =
        server.discovery.as_ref().filter(|d| d.issuer == grant.issuer).ok_or_else(|| Error::NotSignedIn { server: server.name.clone() })?;
    let client = client_of(store, &grant)?;
    let http = HttpClient::new(Limits::default())?.serving(&server.url, server.allow_local_network);
    let scope = crate::oauth::scope::join(&grant.requested_scopes);
    let request = UnattendedRequest {
        token_endpoint: TokenEndpoint { url: &discovery.token_endpoint, client: &client, dpop: grant.dpop_key.as_ref() },
        issuer: &grant.issuer,
        resource: &grant.resource,
        scope: scope.as_deref(),
    };
    let response = obtain_unattended(&http, kind, &request, clock).await?;
    let mut next = grant;
    next.access_token = response.access_token;
    next.refresh_token = response.refresh_token;
    next.expires_at = response.expires_at;
    next.dpop_key = response.dpop_key;
    if let Some(s) = response.scope {
        next.scopes = crate::oauth::scope::split(&s);
    }
    next.obtained_at = clock.now();
    Ok(next)
}

/// What signing out did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RevokeReport {
    /// The server confirmed the revocation (RFC 7009 200) of every token sent.
    pub server_confirmed: bool,
    /// Why the server was not (fully) reached, if it was not.
    pub server_message: Option<String>,
    /// The sign-in is gone from this computer's faces (always).
    pub deleted_locally: bool,
    /// The server has a revocation endpoint that did not confirm: the tokens
    /// wait in the keychain, used by nothing, until a retry is confirmed or
    /// the server is forgotten.
    pub kept_for_retry: bool,
}

/// Sign out: revoke the stored tokens at the server (RFC 7009) and take the
/// sign-in off this computer whatever the server says. Where the server has a
/// revocation endpoint and did not confirm, the tokens are moved aside rather
/// than deleted, so that a retry can still cancel the refresh token there (a
/// deleted one could never be revoked). A server with only such a pending
/// sign-out is retried by the same call.
async fn revoke<V: Vault>(store: &Store<V>, name: &str) -> Result<RevokeReport> {
    let server = store.resolve(name)?;
    let pending = retry_pending(store, &server).await?;
    let Some(grant) = store.load_grant(&server)? else {
        return pending.ok_or_else(|| Error::NotSignedIn { server: server.name.clone() });
    };
    let endpoint = server.discovery.as_ref().filter(|d| d.issuer == grant.issuer).and_then(|d| d.revocation_endpoint.clone());
    let (server_confirmed, server_message) = match &endpoint {
        None => (false, Some("the authorization server offers no revocation endpoint".to_string())),
        Some(url) => revoke_tokens(store, &server, &grant, url).await?,
    };
    let kept_for_retry = !server_confirmed && endpoint.is_some();
    if kept_for_retry {
        let key = VaultKey::signed_out(&grant.resource, &grant.issuer, &grant.client_id);
        store.vault.set(&key, &crate::vault::records::grant_to_secret(&grant))?;
        let reason = server_message.clone().unwrap_or_default();
        let since = crate::oauth::grant::SystemClock.now();
        store.edit(&server.name, |s| {
            s.sign_out_pending = Some(PendingSignOut {
                resource: grant.resource.clone(),
                issuer: grant.issuer.clone(),
                client_id: grant.client_id.clone(),
                since,
                reason,
            })
        })?;
    }
    let deleted_locally = store.forget_grant(&server)?;
    Ok(RevokeReport { server_confirmed, server_message, deleted_locally, kept_for_retry })
}

/// Ask the server again to revoke the tokens of an unconfirmed sign-out;
/// once it confirms, they are deleted. `None`: there was none.
async fn retry_pending<V: Vault>(store: &Store<V>, server: &ServerEntry) -> Result<Option<RevokeReport>> {
    let Some(p) = &server.sign_out_pending else { return Ok(None) };
    let key = VaultKey::signed_out(&p.resource, &p.issuer, &p.client_id);
    let Some(grant) = store.vault.get(&key)?.map(|s| crate::vault::records::grant_from_secret(&s)).transpose()? else {
        store.edit(&server.name, |s| s.sign_out_pending = None)?;
        return Ok(None);
    };
    let endpoint = server.discovery.as_ref().filter(|d| d.issuer == grant.issuer).and_then(|d| d.revocation_endpoint.clone());
    let (confirmed, message) = match endpoint {
        Some(url) => revoke_tokens(store, server, &grant, &url).await?,
        None => (false, Some("the server's sign-in service no longer offers a way to sign out".to_string())),
    };
    if confirmed {
        store.vault.delete(&key)?;
        store.edit(&server.name, |s| s.sign_out_pending = None)?;
    } else {
        let reason = message.clone().unwrap_or_default();
        store.edit(&server.name, |s| {
            if let Some(p) = s.sign_out_pending.as_mut() {
                p.reason = reason;
            }
        })?;
    }
    Ok(Some(RevokeReport { server_confirmed: confirmed, server_message: message, deleted_locally: true, kept_for_retry: !confirmed }))
}

/// Send the refresh token, then the access token, to the revocation
/// endpoint: whether every one was confirmed, and what was not.
async fn revoke_tokens<V: Vault>(store: &Store<V>, server: &ServerEntry, grant: &Grant, url: &str) -> Result<(bool, Option<String>)> {
    let client = client_of(store, grant)?;
    let http = HttpClient::new(Limits { request_timeout: Duration::from_secs(10), ..Limits::default() })?
        .serving(&server.url, server.allow_local_network);
    let ep = TokenEndpoint { url, client: &client, dpop: None };
    let mut confirmed = true;
    let mut message = None;
    let mut tokens: Vec<(&Secret, &str)> = Vec::new();
    if let Some(rt) = &grant.refresh_token {
        tokens.push((rt, "refresh_token"));
    }
    tokens.push((&grant.access_token, "access_token"));
    let mut refresh_revoked = false;
    for (token, hint) in tokens {
        match ep.revoke(&http, token, hint).await {
            Ok(_) => refresh_revoked |= hint == "refresh_token",
            // RFC 7009 §2.2.1: the server cannot revoke this kind of token (a
            // self-contained JWT access token). With the refresh token revoked,
            // the sign-in is over at the server; the access token lapses at its
            // expiry.
            Err(Error::TokenEndpoint { error, .. }) if error == "unsupported_token_type" && refresh_revoked => {
                message.get_or_insert("the server does not revoke access tokens; the last one stays valid until it expires".to_string());
            }
            Err(e) => {
                confirmed = false;
                message = Some(e.to_string());
            }
        }
    }
    Ok((confirmed, message))
}
