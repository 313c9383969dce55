//! One sign-in, from discovered metadata to a [`Grant`]: choose the client
//! identity, bind the loopback listener, build the authorization URL, hand it to an
//! [`Opener`], wait for the redirect, exchange the code.
//!
//! It is split in two ([`Authorizer::begin`] and [`Authorizer::complete`]) so a UI
//! can show the URL (and "copy the link instead") before the browser comes back,
//! and so `connect` can report `requires_auth` with the URL without waiting.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::net::browser::{BrowserUrl, Opener};
use crate::net::http::HttpClient;
use crate::net::loopback::{judge_query, CancelSignal, Expectation, LoopbackListener, RedirectTarget};
use crate::oauth::authorize::{new_state, AuthorizationRequest, PendingFlow, Pkce};
use crate::oauth::device::{self, DevicePrompt};
use crate::oauth::discovery::AuthServerMetadata;
use crate::oauth::discovery::Discovery;
use crate::oauth::dpop;
use crate::oauth::grant::{Clock, Grant};
use crate::oauth::grant_kind::{obtain_unattended, GrantKind, UnattendedRequest};
use crate::oauth::registration::ClientKey;
use crate::oauth::registration::{register, RegisteredClient, RegistrationRequest};
use crate::oauth::scope;
use crate::oauth::token::{TokenEndpoint, TokenResponse};
use crate::vault::secret::Secret;

/// How long a sign-in waits for the browser by default.
pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// The redirect URI a registration for a device sign-in names (registration
/// asks for one; the device grant never follows it).
const DEVICE_REGISTRATION_REDIRECT: &str = "http://127.0.0.1/callback";

/// What the user (or the calling program) said about the OAuth client.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// The authorization server the secret belongs to. `None` for a secret
    /// given for this run to a server never discovered before: the first
    /// sign-in binds it to the issuer it discovers. A secret is never sent to,
    /// nor stored for, another issuer (hostile row 39).
    pub client_secret_issuer: Option<String>,
    /// A loopback redirect URI the client is registered with (fixes the port).
    pub redirect_uri: Option<String>,
    /// A fixed port for the default `http://127.0.0.1:PORT/callback`.
    pub port: Option<u16>,
    /// Overrides the spec's scope choice; `Some("")` asks for no scope.
    pub scope: Option<String>,
    /// A Client ID Metadata Document URL, used when the AS supports CIMD.
    pub client_metadata_url: Option<String>,
    /// Never send `prompt=consent` (the server's setting): for organizations
    /// whose users may not consent themselves.
    pub no_consent_prompt: bool,
    /// How the grant is obtained (a person in a browser unless set).
    pub grant: GrantKind,
    /// The client's private key (`private_key_jwt`), bound like the secret to
    /// `client_secret_issuer`.
    pub private_key: Option<ClientKey>,
    /// `grant` was chosen (by a flag or the server's settings), not defaulted.
    pub grant_chosen: bool,
    /// The issuer a stored grant kind was set up with: a workload or ID token
    /// is sent to it only, never to a new issuer without the person saying so
    /// again (`--grant`), as with secrets (hostile row 39).
    pub grant_issuer: Option<String>,
}

impl ClientConfig {
    /// The client secret, only if it was given for `issuer`.
    pub fn secret_for(&self, issuer: &str) -> Option<Secret> {
        self.client_secret.clone().filter(|_| self.client_secret_issuer.as_deref() == Some(issuer))
    }

    /// The client the person gave for `meta`'s issuer, with its key or secret
    /// (each only if given for that issuer).
    pub fn entered_client(&self, meta: &AuthServerMetadata) -> Option<RegisteredClient> {
        let id = self.client_id.as_ref()?;
        let key = self.private_key.clone().filter(|_| self.client_secret_issuer.as_deref() == Some(meta.issuer.as_str()));
        Some(match key {
            Some(key) => RegisteredClient::entered_with_key(meta, id, key),
            None => RegisteredClient::entered(meta, id, self.secret_for(&meta.issuer)),
        })
    }

    pub fn redirect_target(&self) -> Result<RedirectTarget> {
        match (&self.redirect_uri, self.port) {
            (Some(uri), _) => RedirectTarget::parse(uri),
            (None, port) => Ok(RedirectTarget { port, ..RedirectTarget::default() }),
        }
    }

    /// Scopes for a first sign-in given the latest challenge.
    pub fn initial_scopes(&self, discovery: &Discovery) -> Vec<String> {
        let chosen = match &self.scope {
            Some(s) => scope::split(s),
            None => scope::choose(
                discovery.challenge.as_ref().and_then(|c| c.scope.as_deref()),
                discovery.protected_resource.as_ref().and_then(|p| p.scopes_supported.as_deref()),
            ),
        };
        scope::with_offline_access(chosen, discovery.auth_server.lists_scope("offline_access"))
    }
}

/// A redirect to the app's own URL scheme (RFC 8252 §7.1), delivered by the
/// OS to the running app, which passes each URL it receives down `links`.
/// Anyone can claim a scheme, so such a URL proves nothing by itself: the flow's
/// `state`, `iss` and PKCE are what make a stolen code useless.
#[derive(Debug)]
pub struct LinkRedirect {
    /// The registered redirect URI, e.g. `dev.mcpauth.manager:/callback`.
    pub uri: String,
    pub links: tokio::sync::mpsc::Receiver<String>,
}

/// How the browser comes back.
#[derive(Debug)]
enum Catcher {
    Loopback(LoopbackListener),
    Link(LinkRedirect),
}

/// A sign-in waiting for the browser.
#[derive(Debug)]
pub struct PendingSignIn {
    pub flow: PendingFlow,
    pub browser_url: BrowserUrl,
    catcher: Catcher,
    client: RegisteredClient,
    token_endpoint: String,
    /// The key the tokens will be bound to, where the server offers DPoP.
    dpop_key: Option<Secret>,
}

impl PendingSignIn {
    pub fn authorization_url(&self) -> &str {
        self.browser_url.as_str()
    }
    pub fn client(&self) -> &RegisteredClient {
        &self.client
    }
}

/// Signs in to MCP servers, keeping client registrations per issuer.
pub struct Authorizer {
    http: HttpClient,
    clock: Arc<dyn Clock>,
    pub config: ClientConfig,
    pub client_name: String,
    /// Registered or metadata-document clients, keyed by issuer.
    clients: HashMap<String, RegisteredClient>,
    /// When set, the next sign-in comes back through the app's URL scheme
    /// instead of a loopback listener.
    pub link_redirect: Option<LinkRedirect>,
}

impl Authorizer {
    pub fn new(http: HttpClient, clock: Arc<dyn Clock>, config: ClientConfig) -> Self {
        Authorizer { http, clock, config, client_name: "MCP Auth Manager".into(), clients: HashMap::new(), link_redirect: None }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Remember a client for its issuer (e.g. loaded from the vault).
    pub fn remember_client(&mut self, client: RegisteredClient) {
        self.clients.insert(client.issuer.clone(), client);
    }

    pub fn client_for(&self, issuer: &str) -> Option<&RegisteredClient> {
        self.clients.get(issuer)
    }

    /// A secret or key given for this run, to a server never discovered
    /// before, belongs to the first issuer discovered (hostile row 39).
    fn bind_given_credentials(&mut self, issuer: &str) {
        let given = self.config.client_secret.is_some() || self.config.private_key.is_some();
        if given && self.config.client_secret_issuer.is_none() {
            self.config.client_secret_issuer = Some(issuer.to_string());
        }
    }

    /// With no grant chosen, an authorization server that offers the client
    /// credentials grant and not the authorization code grant cannot sign a
    /// person in: a client the person gave credentials for uses the one grant
    /// that can work there (and the server's settings keep it).
    pub fn settle_grant(&mut self, meta: &AuthServerMetadata) {
        let config = &self.config;
        let offers = |g: &str| meta.grant_types_supported.as_ref().is_some_and(|l| l.iter().any(|t| t == g));
        // Credentials given for another issuer are not this one's (hostile row
        // 39): they neither choose the grant here nor are sent here.
        let theirs = config.client_secret_issuer.as_deref().is_none_or(|i| i == meta.issuer);
        let credentials = config.client_id.is_some() && (config.client_secret.is_some() || config.private_key.is_some()) && theirs;
        if !config.grant_chosen && credentials && offers("client_credentials") && !offers("authorization_code") {
            self.config.grant = GrantKind::ClientCredentials;
        }
    }

    /// Can a sign-in start without asking the user for a client id?
    pub fn can_identify(&self, discovery: &Discovery) -> bool {
        let meta = &discovery.auth_server;
        if self.config.grant.needs_client_id() {
            return self.config.client_id.is_some();
        }
        if self.config.grant.is_unattended() {
            return true;
        }
        self.config.client_id.is_some()
            || self.clients.contains_key(&meta.issuer)
            || (meta.client_id_metadata_document_supported && self.config.client_metadata_url.is_some())
            || meta.registration_endpoint.is_some()
    }

    /// Everything up to the URL: checks, client identity, listener, PKCE, state.
    pub async fn begin(&mut self, discovery: &Discovery, scopes: &[String]) -> Result<PendingSignIn> {
        let meta = &discovery.auth_server;
        if !meta.supports_s256() {
            return Err(Error::PkceUnsupported { issuer: meta.issuer.clone() });
        }
        let requested = scope::join(scopes);
        self.bind_given_credentials(&meta.issuer);
        let mut target = self.config.redirect_target()?;
        let user_fixed_port = target.port.is_some();

        // A client entered by the user is bound to the issuer it was entered
        // for by the caller; registrations are looked up by issuer only.
        let entered = self.config.entered_client(meta);
        let known = self.clients.get(&meta.issuer).filter(|c| c.issuer == meta.issuer && !c.secret_expired(self.clock.now())).cloned();

        let link = self.link_redirect.take();
        // Reuse the port a registered client was registered with.
        if !user_fixed_port && entered.is_none() && link.is_none() {
            if let Some(uri) = known.as_ref().and_then(|c| c.redirect_uris.first()) {
                if let Ok(t) = RedirectTarget::parse(uri) {
                    target = t;
                }
            }
        }
        let catcher = match link {
            Some(link) => Catcher::Link(link),
            None => Catcher::Loopback(match LoopbackListener::bind(&target).await {
                Ok(l) => l,
                Err(Error::PortBusy { .. }) if !user_fixed_port && known.is_some() => {
                    // The registered port is taken: take any port, register again.
                    LoopbackListener::bind(&RedirectTarget { port: None, ..target.clone() }).await?
                }
                Err(e) => return Err(e),
            }),
        };
        let redirect_uri = match &catcher {
            Catcher::Loopback(l) => l.redirect_uri(),
            Catcher::Link(link) => link.uri.clone(),
        };

        let client = self.identify(discovery, entered, known, Some(&redirect_uri), requested.as_deref()).await?;

        let pkce = Pkce::generate();
        let state = new_state();
        let url = AuthorizationRequest {
            authorization_endpoint: &meta.authorization_endpoint,
            client_id: &client.client_id,
            redirect_uri: &redirect_uri,
            scope: requested.as_deref(),
            resource: Some(&discovery.resource),
            state: &state,
            code_challenge: &pkce.challenge,
            consent_prompt: meta.openid_provider && !self.config.no_consent_prompt,
        }
        .url()?;
        let browser_url = BrowserUrl::parse(url.as_str())?;
        Ok(PendingSignIn {
            flow: PendingFlow {
                state,
                pkce,
                issuer: meta.issuer.clone(),
                redirect_uri,
                resource: discovery.resource.clone(),
                client_id: client.client_id.clone(),
                scope: requested,
                iss_required: meta.authorization_response_iss_parameter_supported,
                authorization_url: url,
            },
            browser_url,
            catcher,
            client,
            token_endpoint: meta.token_endpoint.clone(),
            dpop_key: new_dpop_key(discovery)?,
        })
    }

    /// The client to present to this issuer: one the user entered, one
    /// registered before (for `redirect_uri`, when there is one), a Client ID
    /// Metadata Document, or a new registration, in that order.
    async fn identify(
        &mut self,
        discovery: &Discovery,
        entered: Option<RegisteredClient>,
        known: Option<RegisteredClient>,
        redirect_uri: Option<&str>,
        requested: Option<&str>,
    ) -> Result<RegisteredClient> {
        let meta = &discovery.auth_server;
        let fits = |c: &RegisteredClient| redirect_uri.is_none_or(|r| c.redirect_uris.iter().any(|u| u == r) || c.redirect_uris.is_empty());
        let client = match (entered, known) {
            (Some(c), _) => c,
            (None, Some(c)) if fits(&c) => c,
            _ => {
                let c = if let (true, Some(url)) = (meta.client_id_metadata_document_supported, self.config.client_metadata_url.as_deref())
                {
                    RegisteredClient::metadata_document(meta, url)?
                } else if meta.registration_endpoint.is_some() {
                    // A device sign-in registers with the redirect it would use
                    // on this computer: it is never followed.
                    let redirect = redirect_uri.map(str::to_string).unwrap_or_else(|| DEVICE_REGISTRATION_REDIRECT.to_string());
                    register(
                        &self.http,
                        meta,
                        &RegistrationRequest { client_name: &self.client_name, redirect_uri: &redirect, scope: requested },
                    )
                    .await?
                } else {
                    return Err(Error::NeedsClientConfig { url: discovery.mcp_url.clone() });
                };
                self.clients.insert(meta.issuer.clone(), c.clone());
                c
            }
        };
        // Authorization Server Binding: never present a client to another issuer.
        if client.issuer != meta.issuer {
            return Err(Error::NeedsClientConfig { url: discovery.mcp_url.clone() });
        }
        Ok(client)
    }

    /// Sign in with the device authorization grant (RFC 8628): the person is
    /// shown a code and a page (`show`), and approves on any device; the
    /// token endpoint is polled meanwhile.
    pub async fn sign_in_on_device(
        &mut self,
        discovery: &Discovery,
        scopes: &[String],
        show: &(dyn Fn(&DevicePrompt) + Send + Sync),
        timeout: Duration,
        cancel: CancelSignal,
    ) -> Result<Grant> {
        let meta = &discovery.auth_server;
        let endpoint = meta.device_authorization_endpoint.clone().ok_or_else(|| Error::NoDeviceGrant { issuer: meta.issuer.clone() })?;
        let requested = scope::join(scopes);
        self.bind_given_credentials(&meta.issuer);
        let entered = self.config.entered_client(meta);
        let known = self.clients.get(&meta.issuer).filter(|c| c.issuer == meta.issuer && !c.secret_expired(self.clock.now())).cloned();
        let reuse = known.is_some() && entered.is_none();
        let mut client = self.identify(discovery, entered, known, None, requested.as_deref()).await?;
        let mut asked = device::authorize_device(&self.http, &endpoint, &client, requested.as_deref(), &discovery.resource).await;
        // A client of before (registered before the server offered the device
        // grant, or a metadata document without it) is refused it: register
        // one that has it, once. (Servers say so as unauthorized_client,
        // invalid_client or, oidc-provider, invalid_request.)
        let refused = matches!(&asked,
            Err(Error::ClientRejected { error, .. } | Error::TokenEndpoint { error, .. })
                if matches!(error.as_str(), "unauthorized_client" | "invalid_client" | "invalid_request"));
        if reuse && refused && meta.registration_endpoint.is_some() {
            self.clients.remove(&meta.issuer);
            let saved_metadata_url = self.config.client_metadata_url.take();
            let registered = self.identify(discovery, None, None, None, requested.as_deref()).await;
            self.config.client_metadata_url = saved_metadata_url;
            client = registered?;
            asked = device::authorize_device(&self.http, &endpoint, &client, requested.as_deref(), &discovery.resource).await;
        }
        let authorization = asked?;
        show(&authorization.prompt);
        let dpop_key = new_dpop_key(discovery)?;
        let token = TokenEndpoint { url: &meta.token_endpoint, client: &client, dpop: dpop_key.as_ref() };
        let response =
            device::wait_for_approval(&self.http, &token, &authorization, &discovery.resource, self.clock.as_ref(), timeout, cancel)
                .await
                .map_err(|e| match e {
                    Error::TokenEndpoint { error, .. } if error == "invalid_scope" => {
                        Error::InvalidScope { scope: requested.clone().unwrap_or_default() }
                    }
                    other => other,
                })?;
        Ok(self.grant_of(response, &discovery.resource, &meta.issuer, &client, requested.as_deref()))
    }

    /// Obtain a grant with no person (client credentials, enterprise-managed,
    /// workload identity: the configured [`GrantKind`]). The client is the one
    /// the person gave, or none: a workload token can stand alone.
    pub async fn obtain_unattended(&mut self, discovery: &Discovery, scopes: &[String]) -> Result<Grant> {
        let meta = &discovery.auth_server;
        if let Some(was) = self.config.grant_issuer.as_ref().filter(|was| **was != meta.issuer) {
            return Err(Error::InvalidInput(format!(
                "this server now signs in at {} instead of {was}; your token is not sent there unasked: sign in again with --grant {}",
                meta.issuer,
                self.config.grant.flag()
            )));
        }
        let requested = scope::join(scopes);
        self.bind_given_credentials(&meta.issuer);
        let client = match self.config.entered_client(meta) {
            Some(c) => c,
            None if self.config.grant.needs_client_id() => return Err(Error::NeedsClientConfig { url: discovery.mcp_url.clone() }),
            // RFC 7523 §3.1: a JWT bearer grant needs no client authentication.
            None => RegisteredClient::entered(meta, "", None),
        };
        let dpop_key = new_dpop_key(discovery)?;
        let request = UnattendedRequest {
            token_endpoint: TokenEndpoint { url: &meta.token_endpoint, client: &client, dpop: dpop_key.as_ref() },
            issuer: &meta.issuer,
            resource: &discovery.resource,
            scope: requested.as_deref(),
        };
        let response = obtain_unattended(&self.http, &self.config.grant, &request, self.clock.as_ref()).await?;
        Ok(self.grant_of(response, &discovery.resource, &meta.issuer, &client, requested.as_deref()))
    }

    /// The grant a token response makes.
    fn grant_of(&self, response: TokenResponse, resource: &str, issuer: &str, client: &RegisteredClient, requested: Option<&str>) -> Grant {
        let requested_scopes = requested.map(scope::split).unwrap_or_default();
        Grant {
            resource: resource.to_string(),
            issuer: issuer.to_string(),
            client_id: client.client_id.clone(),
            client_source: client.source,
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            token_type: response.token_type,
            scopes: response.scope.as_deref().map(scope::split).unwrap_or_else(|| requested_scopes.clone()),
            requested_scopes,
            expires_at: response.expires_at,
            obtained_at: self.clock.now(),
            signed_in_at: self.clock.now(),
            dpop_key: response.dpop_key,
            account: response.account,
        }
    }

    /// Open the URL, wait for the redirect, exchange the code.
    pub async fn complete(&self, pending: PendingSignIn, opener: &dyn Opener, timeout: Duration, cancel: CancelSignal) -> Result<Grant> {
        let PendingSignIn { flow, browser_url, catcher, client, token_endpoint, dpop_key } = pending;
        let expect = Expectation { state: flow.state.clone(), issuer: flow.issuer.clone(), iss_required: flow.iss_required };
        let wait = async {
            match catcher {
                Catcher::Loopback(listener) => listener.wait(&expect, timeout, cancel).await,
                Catcher::Link(link) => wait_for_link(link, &expect, timeout, cancel).await,
            }
        };
        tokio::pin!(wait);
        let scope_asked = || flow.scope.clone().unwrap_or_default();
        let code = tokio::select! {
            r = &mut wait => r,
            opened = opener.open(&browser_url) => match opened {
                Ok(()) => wait.await,
                Err(e) => Err(e),
            },
        }
        .map_err(|e| match e {
            Error::InvalidScope { .. } => Error::InvalidScope { scope: scope_asked() },
            other => other,
        })?;
        let endpoint = TokenEndpoint { url: &token_endpoint, client: &client, dpop: dpop_key.as_ref() };
        let response = endpoint
            .exchange(&self.http, &code, &flow.pkce.verifier, &flow.redirect_uri, Some(&flow.resource), self.clock.as_ref())
            .await
            .map_err(|e| match e {
                Error::TokenEndpoint { error, .. } if error == "invalid_scope" => {
                    Error::InvalidScope { scope: flow.scope.clone().unwrap_or_default() }
                }
                other => other,
            })?;
        Ok(self.grant_of(response, &flow.resource, &flow.issuer, &client, flow.scope.as_deref()))
    }

    /// Refresh a grant at its issuer's token endpoint.
    pub async fn refresh(&self, discovery: &Discovery, grant: &Grant) -> Result<Grant> {
        let meta = &discovery.auth_server;
        // Refused here, not by the server: nothing to forget, sign in again.
        if meta.issuer != grant.issuer {
            return Err(Error::NotSignedIn { server: grant.resource.clone() });
        }
        // The client the grant was made with, and a secret only if it was given
        // for this issuer: after the metadata names a new issuer, the old
        // issuer's secret stays home (hostile row 39).
        let client = match self.client_for(&grant.issuer).filter(|c| c.client_id == grant.client_id) {
            Some(c) => c.clone(),
            None => match self.config.entered_client(meta).filter(|c| c.client_id == grant.client_id) {
                Some(c) => c,
                None => RegisteredClient::entered(meta, &grant.client_id, self.config.secret_for(&grant.issuer)),
            },
        };
        TokenEndpoint { url: &meta.token_endpoint, client: &client, dpop: grant.dpop_key.as_ref() }
            .refresh(&self.http, grant, self.clock.as_ref())
            .await
    }
}

/// A new key pair for a grant, where both servers take DPoP; `None` where
/// they do not.
fn new_dpop_key(discovery: &Discovery) -> Result<Option<Secret>> {
    dpop::offered(discovery).then(dpop::new_key).transpose()
}

/// Wait for the one link that answers this flow; links for other flows (or
/// forged ones) are ignored, as the loopback listener ignores them.
async fn wait_for_link(mut link: LinkRedirect, expect: &Expectation, timeout: Duration, mut cancel: CancelSignal) -> Result<Secret> {
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    loop {
        let url = tokio::select! {
            _ = &mut deadline => return Err(Error::SignInTimedOut { seconds: timeout.as_secs() }),
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            url = link.links.recv() => match url {
                Some(u) => u,
                None => return Err(Error::Cancelled),
            },
        };
        let Some(rest) = url.strip_prefix(link.uri.as_str()) else {
            continue;
        };
        let Some(query) = rest.strip_prefix('?') else {
            continue;
        };
        let query = query.split('#').next().unwrap_or("");
        if let (_, Some(outcome)) = judge_query(query, expect) {
            return outcome;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::http::Limits;
    use crate::oauth::grant::FixedClock;

    fn only_client_credentials(issuer: &str) -> AuthServerMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "grant_types_supported": ["client_credentials"],
        }))
        .unwrap()
    }

    fn with_secret_for(issuer: Option<&str>) -> Authorizer {
        let config = ClientConfig {
            client_id: Some("svc".into()),
            client_secret: Some(Secret::new("s")),
            client_secret_issuer: issuer.map(str::to_owned),
            ..ClientConfig::default()
        };
        Authorizer::new(HttpClient::new(Limits::default()).unwrap(), Arc::new(FixedClock(0)), config)
    }

    #[test]
    fn credentials_choose_client_credentials_only_at_their_own_issuer() {
        let meta = only_client_credentials("https://as.example");
        let mut a = with_secret_for(Some("https://as.example"));
        a.settle_grant(&meta);
        assert_eq!(a.config.grant, GrantKind::ClientCredentials);
        // Not yet bound to any issuer: the first one discovered is theirs.
        let mut a = with_secret_for(None);
        a.settle_grant(&meta);
        assert_eq!(a.config.grant, GrantKind::ClientCredentials);
        // Given for another issuer: the grant stays the person's sign-in.
        let mut a = with_secret_for(Some("https://old-as.example"));
        a.settle_grant(&meta);
        assert_eq!(a.config.grant, GrantKind::default());
    }
}
