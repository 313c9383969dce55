//! The status machine every face of the app shares, and MCP operations that
//! re-authorize when the server asks.
//!
//! [`ConnectStatus`] is plain data with the JSON field names MCP users already
//! know (`status`, `serverName`, `oauthDiscovery`…): the CLI prints it and the
//! desktop app receives the same value over IPC.
//!
//! [`ServerSession::perform`] runs `initialize` + `tools/list` (+ `tools/call`)
//! with the current grant; a 401 or a 403 `insufficient_scope` challenge leads to
//! a refresh or a new sign-in (step-up asks for the union of granted and demanded
//! scopes), at most [`MAX_AUTHORIZATIONS`] times for one operation. A step-up
//! widens what the user allowed, so a face with a person in front of it sets a
//! [`StepUpConsent`] and the new scopes are put to them first; the CLI, whose
//! user asked for the operation that needs them, goes ahead.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::mcp::client::{McpSession, Tool};
use crate::net::address::canonical_resource;
use crate::net::browser::Opener;
use crate::net::loopback::CancelSignal;
use crate::oauth::challenge::BearerChallenge;
use crate::oauth::device::DevicePrompt;
use crate::oauth::discovery::{discover_with, probe, Discovery, Probe};
use crate::oauth::grant::Grant;
use crate::oauth::scope;
use crate::oauth::signin::{Authorizer, PendingSignIn};

/// What a server asks for when it wants more access (`403 insufficient_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUpRequest {
    /// Scopes already granted (or requested) for this server.
    pub held: Vec<String>,
    /// The scopes the new sign-in will ask for: `held` ∪ the server's demand.
    pub requested: Vec<String>,
    /// The scopes in `requested` that are new.
    pub added: Vec<String>,
}

impl StepUpRequest {
    fn new(held: Vec<String>, demanded: &[String]) -> Self {
        let requested = scope::union(&held, demanded);
        let added = requested.iter().filter(|s| !held.contains(s)).cloned().collect();
        StepUpRequest { held, requested, added }
    }
}

pub type ConsentFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Asked before a step-up sign-in: `true` to go on, `false` to stop with
/// [`Error::StepUpDeclined`].
pub trait StepUpConsent: Send + Sync {
    fn approve<'a>(&'a self, request: &'a StepUpRequest) -> ConsentFuture<'a>;
}

pub type GrantFuture<'a> = Pin<Box<dyn Future<Output = Result<Grant>> + Send + 'a>>;
pub type SharedRefreshFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<Grant>>> + Send + 'a>>;

/// Where a session's grant is kept for other processes (the vault, for a
/// stored server). Every refresh of a kept grant goes through it, so that one
/// cross-process lock and a fresh read of the vault guard each refresh, by any
/// face (hostile row 40).
pub trait GrantShelf: Send + Sync {
    /// Refresh `held` with `refresh`, under the grant's lock and after reading
    /// the vault again: a grant another process stored meanwhile is handed back
    /// instead of refreshing. `Ok(None)`: the grant can no longer be refreshed
    /// (sign in again).
    fn refresh<'a>(&'a self, held: &'a Grant, refresh: &'a (dyn Fn(Grant) -> GrantFuture<'a> + Send + Sync)) -> SharedRefreshFuture<'a>;
}

/// Sign-ins allowed for one operation (the first one included).
pub const MAX_AUTHORIZATIONS: u32 = 3;

/// What one request may still do to answer the server's challenges: one
/// refresh, and a bounded number of sign-ins.
#[derive(Debug, Clone, Copy)]
pub struct Reauthorizations {
    refreshed: bool,
    sign_ins: u32,
    max_sign_ins: u32,
}

impl Default for Reauthorizations {
    fn default() -> Self {
        Reauthorizations::at_most(MAX_AUTHORIZATIONS)
    }
}

impl Reauthorizations {
    pub fn at_most(sign_ins: u32) -> Self {
        Reauthorizations { refreshed: false, sign_ins: 0, max_sign_ins: sign_ins }
    }
}

/// How a challenge was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauthorized {
    Refreshed,
    SignedIn,
}

/// What a refused request takes, short of the sign-in itself.
pub(crate) enum Renewal {
    /// The grant was refreshed: send again.
    Refreshed,
    /// A sign-in; with `step_up_from` the scopes held, when the server asks for more.
    SignIn { discovery: Box<Discovery>, step_up_from: Option<Vec<String>> },
}

/// Where a server stands: the four states `mcp-auth connect` prints, with the
/// field names MCP users know; the app's page gets the same value.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "ConnectView"))]
pub enum ConnectStatus {
    Success { server_name: String, tools: Vec<ToolView> },
    RequiresOauthConfig { server_name: String, auth_type: &'static str, oauth_discovery: OauthDiscovery },
    RequiresAuth { server_name: String, auth_type: &'static str, auth_url: String },
    Error { server_name: String, error: String },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ToolView {
    pub name: String,
    pub description: Option<String>,
}

impl From<&Tool> for ToolView {
    fn from(t: &Tool) -> Self {
        ToolView { name: t.name.clone(), description: t.description.clone() }
    }
}

/// What the configuration form is pre-filled with.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "OauthDiscoveryView"))]
pub struct OauthDiscovery {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub issuer: String,
    pub suggested_client_id: Option<String>,
    pub suggested_redirect_uri: String,
    pub suggested_scope: Option<String>,
    pub scopes: Vec<String>,
    pub needs_client_secret: bool,
}

/// The redirect URI suggested for registering a client by hand: a fixed port,
/// because most providers need the exact URI.
pub const SUGGESTED_REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";

impl OauthDiscovery {
    pub fn from_discovery(d: &Discovery, auth: &Authorizer) -> Self {
        let meta = &d.auth_server;
        let suggested_scope = scope::join(&auth.config.initial_scopes(d));
        let mut scopes: Vec<String> = d
            .protected_resource
            .as_ref()
            .and_then(|p| p.scopes_supported.clone())
            .or_else(|| meta.scopes_supported.clone())
            .unwrap_or_default();
        scopes.truncate(256);
        // A confidential client is needed when the AS does not accept `none`.
        let needs_client_secret = meta.token_endpoint_auth_methods_supported.as_ref().is_some_and(|m| !m.iter().any(|m| m == "none"));
        OauthDiscovery {
            authorization_endpoint: meta.authorization_endpoint.clone(),
            token_endpoint: meta.token_endpoint.clone(),
            issuer: meta.issuer.clone(),
            suggested_client_id: auth
                .config
                .client_id
                .clone()
                .or_else(|| meta.client_id_metadata_document_supported.then(|| auth.config.client_metadata_url.clone()).flatten()),
            suggested_redirect_uri: auth.config.redirect_uri.clone().unwrap_or_else(|| SUGGESTED_REDIRECT_URI.into()),
            suggested_scope,
            scopes,
            needs_client_secret,
        }
    }
}

/// An MCP operation that may need authorization.
#[derive(Debug, Clone)]
pub enum Operation {
    ListTools,
    CallTool { name: String, arguments: Value },
}

/// What an operation returned.
#[derive(Debug, Clone, Serialize)]
pub struct OperationResult {
    pub server_name: String,
    pub tools: Vec<ToolView>,
    /// The same tools with their input schemas, as the server sent them.
    #[serde(skip)]
    pub listed: Vec<Tool>,
    /// The protocol revision the server and the engine agreed on.
    #[serde(skip)]
    pub protocol_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
}

/// The steps of [`ServerSession::connect`], for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectStep {
    Contacting,
    ReadingMetadata,
    Registering,
    Verifying,
}

impl ConnectStep {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectStep::Contacting => "contacting",
            ConnectStep::ReadingMetadata => "metadata",
            ConnectStep::Registering => "registering",
            ConnectStep::Verifying => "verifying",
        }
    }
}

pub type ProgressHook = Box<dyn Fn(ConnectStep) + Send + Sync>;

/// Shows a device sign-in's code and page to the person.
pub type DevicePromptHook = Arc<dyn Fn(&DevicePrompt) + Send + Sync>;

/// One MCP server, its discovery and its grant, for the length of a command
/// (or of a window, in the app).
pub struct ServerSession {
    pub url: String,
    pub authorizer: Authorizer,
    pub discovery: Option<Discovery>,
    pub grant: Option<Grant>,
    pub sign_in_timeout: Duration,
    /// Told about each step of `connect`.
    pub on_progress: Option<ProgressHook>,
    /// Asked before a step-up sign-in; `None` goes ahead.
    pub step_up_consent: Option<Arc<dyn StepUpConsent>>,
    /// Where the grant is kept for other processes; `None` for a session whose
    /// grant lives only in memory.
    pub shelf: Option<Arc<dyn GrantShelf>>,
    /// Sign in with the device grant (RFC 8628) instead of a browser
    /// redirect: the browser is on another device.
    pub device: Option<DevicePromptHook>,
}

impl ServerSession {
    /// The authorizer's HTTP client is bound to this server unless its face
    /// bound it already (with the user's choice for the server): what the server
    /// may send the engine to follows from the server's address.
    pub fn new(url: &str, authorizer: Authorizer) -> Result<Self> {
        let url = canonical_resource(url)?;
        authorizer.http().serve_unless_bound(&url);
        Ok(ServerSession {
            url,
            authorizer,
            discovery: None,
            grant: None,
            sign_in_timeout: crate::oauth::signin::DEFAULT_SIGN_IN_TIMEOUT,
            on_progress: None,
            step_up_consent: None,
            shelf: None,
            device: None,
        })
    }

    fn server_name(&self) -> String {
        url::Url::parse(&self.url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| self.url.clone())
    }

    /// Without opening anything: where does this server stand?
    /// `requires_auth` keeps the pending sign-in, returned alongside.
    pub async fn connect(&mut self) -> (ConnectStatus, Option<PendingSignIn>) {
        let server_name = self.server_name();
        match self.connect_inner().await {
            Ok(r) => r,
            Err(e) => (ConnectStatus::Error { server_name, error: e.to_string() }, None),
        }
    }

    fn step(&self, step: ConnectStep) {
        if let Some(hook) = &self.on_progress {
            hook(step);
        }
    }

    /// What a new sign-in would use: the server's discovery, found again
    /// (`None`: the server asks no one to sign in).
    pub(crate) async fn discover_for_sign_in(&mut self) -> Result<Option<Discovery>> {
        let http = self.authorizer.http().clone();
        self.step(ConnectStep::Contacting);
        let challenge = match probe(&http, &self.url).await? {
            Probe::Open => return Ok(None),
            Probe::Challenged { challenge, .. } => challenge,
            Probe::Other { .. } => None,
        };
        self.step(ConnectStep::ReadingMetadata);
        let discovery = discover_with(&http, &self.url, challenge).await?;
        self.discovery = Some(discovery.clone());
        Ok(Some(discovery))
    }

    /// Like [`connect`](Self::connect), with failures as a typed [`Error`]
    /// instead of the `error` state (for callers that branch on the kind).
    pub async fn try_connect(&mut self) -> Result<(ConnectStatus, Option<PendingSignIn>)> {
        self.connect_inner().await
    }

    async fn connect_inner(&mut self) -> Result<(ConnectStatus, Option<PendingSignIn>)> {
        let server_name = self.server_name();
        if self.grant.is_some() {
            self.step(ConnectStep::Verifying);
            match self.attempt(&Operation::ListTools).await {
                Ok(r) => return Ok((ConnectStatus::Success { server_name: r.server_name, tools: r.tools }, None)),
                Err(Error::Unauthorized { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let http = self.authorizer.http().clone();
        self.step(ConnectStep::Contacting);
        let challenge = match probe(&http, &self.url).await? {
            Probe::Open => {
                self.step(ConnectStep::Verifying);
                let r = self.attempt(&Operation::ListTools).await?;
                return Ok((ConnectStatus::Success { server_name: r.server_name, tools: r.tools }, None));
            }
            Probe::Challenged { challenge, .. } => challenge,
            Probe::Other { .. } => None,
        };
        self.step(ConnectStep::ReadingMetadata);
        let discovery = discover_with(&http, &self.url, challenge).await?;
        self.discovery = Some(discovery.clone());
        self.authorizer.settle_grant(&discovery.auth_server);
        if !self.authorizer.can_identify(&discovery) {
            return Ok((
                ConnectStatus::RequiresOauthConfig {
                    server_name,
                    auth_type: "oauth2",
                    oauth_discovery: OauthDiscovery::from_discovery(&discovery, &self.authorizer),
                },
                None,
            ));
        }
        let scopes = self.authorizer.config.initial_scopes(&discovery);
        if self.authorizer.config.grant.is_unattended() {
            // No person to wait for: obtain the grant, then verify it.
            self.grant = Some(self.authorizer.obtain_unattended(&discovery, &scopes).await?);
            self.step(ConnectStep::Verifying);
            let r = self.attempt(&Operation::ListTools).await?;
            return Ok((ConnectStatus::Success { server_name: r.server_name, tools: r.tools }, None));
        }
        self.step(ConnectStep::Registering);
        let pending = self.authorizer.begin(&discovery, &scopes).await?;
        Ok((
            ConnectStatus::RequiresAuth { server_name, auth_type: "oauth2", auth_url: pending.authorization_url().to_string() },
            Some(pending),
        ))
    }

    /// Sign in now (discovering first), with the scopes the spec chooses.
    pub async fn sign_in(&mut self, opener: &dyn Opener, cancel: CancelSignal) -> Result<&Grant> {
        let http = self.authorizer.http().clone();
        let challenge = match probe(&http, &self.url).await? {
            Probe::Challenged { challenge, .. } => challenge,
            Probe::Open | Probe::Other { .. } => None,
        };
        let discovery = discover_with(&http, &self.url, challenge).await?;
        self.authorize(discovery, None, opener, cancel).await?;
        Ok(self.grant.as_ref().expect("just signed in"))
    }

    /// Sign in with this discovery. `step_up_from` holds the scopes already held
    /// when the server asked for more.
    pub(crate) async fn authorize(
        &mut self,
        discovery: Discovery,
        step_up_from: Option<Vec<String>>,
        opener: &dyn Opener,
        cancel: CancelSignal,
    ) -> Result<()> {
        let scopes = match step_up_from {
            Some(held) => {
                let request = StepUpRequest::new(held, &demanded_scopes(&discovery));
                if let Some(consent) = &self.step_up_consent {
                    if !consent.approve(&request).await {
                        return Err(Error::StepUpDeclined { scope: request.added.join(" ") });
                    }
                }
                scope::with_offline_access(request.requested, discovery.auth_server.lists_scope("offline_access"))
            }
            None => self.authorizer.config.initial_scopes(&discovery),
        };
        self.authorizer.settle_grant(&discovery.auth_server);
        let grant = match self.device.clone() {
            _ if self.authorizer.config.grant.is_unattended() => self.authorizer.obtain_unattended(&discovery, &scopes).await?,
            Some(show) => self.authorizer.sign_in_on_device(&discovery, &scopes, show.as_ref(), self.sign_in_timeout, cancel).await?,
            None => {
                let pending = self.authorizer.begin(&discovery, &scopes).await?;
                self.authorizer.complete(pending, opener, self.sign_in_timeout, cancel).await?
            }
        };
        self.discovery = Some(discovery);
        self.grant = Some(grant);
        Ok(())
    }

    /// Refresh the grant against `discovery`; `Ok(false)` when it cannot be
    /// refreshed (no refresh token, `invalid_grant`, another issuer now) and a
    /// new sign-in is needed.
    async fn try_refresh(&mut self, discovery: &Discovery) -> Result<bool> {
        let Some(held) = self.grant.clone().filter(|g| g.refresh_token.is_some()) else {
            return Ok(false);
        };
        if held.issuer != discovery.auth_server.issuer || !discovery.auth_server.allows_refresh() {
            self.grant = None;
            return Ok(false);
        }
        let next = match &self.shelf {
            Some(shelf) => {
                let authorizer = &self.authorizer;
                let refresh = move |g: Grant| -> GrantFuture<'_> { Box::pin(async move { authorizer.refresh(discovery, &g).await }) };
                shelf.refresh(&held, &refresh).await?
            }
            None => match self.authorizer.refresh(discovery, &held).await {
                Ok(next) => Some(next),
                Err(Error::InvalidGrant { .. } | Error::NotSignedIn { .. }) => None,
                Err(e) => return Err(e),
            },
        };
        let refreshed = next.is_some();
        self.grant = next;
        Ok(refreshed)
    }

    /// Run an operation, signing in, refreshing or stepping up as the server asks.
    pub async fn perform(&mut self, op: &Operation, opener: &dyn Opener, cancel: CancelSignal) -> Result<OperationResult> {
        let mut budget = Reauthorizations::default();
        loop {
            // Refresh early when the local clock says the token is (nearly) expired.
            let due = self.grant.as_ref().is_some_and(|g| g.needs_refresh(self.authorizer.clock()));
            if due && !budget.refreshed {
                if let Some(d) = self.discovery.clone() {
                    budget.refreshed = true;
                    self.try_refresh(&d).await?;
                }
            }
            let (status, challenge) = match self.attempt(op).await {
                Ok(r) => return Ok(r),
                Err(Error::Unauthorized { status, challenge, .. }) => (status, challenge),
                Err(e) => return Err(e),
            };
            self.answer_challenge(status, challenge, &mut budget, opener, cancel.clone()).await?;
        }
    }

    /// The server refused the held grant (`status` 401 or 403, with its
    /// challenge): refresh it once, or sign in again. A step-up is a server
    /// asking for more than the user allowed: a 403 `insufficient_scope`, or a
    /// 401 whose challenge names scopes the held grant lacks (hostile row 44);
    /// its sign-in asks for the union and is put to the user first, never
    /// widening a grant silently. `budget` bounds what one request may do; every
    /// face that relays requests (`perform`, the bridge) answers challenges here.
    pub async fn answer_challenge(
        &mut self,
        status: u16,
        challenge: Option<BearerChallenge>,
        budget: &mut Reauthorizations,
        opener: &dyn Opener,
        cancel: CancelSignal,
    ) -> Result<Reauthorized> {
        match self.renew(status, challenge, budget).await? {
            Renewal::Refreshed => Ok(Reauthorized::Refreshed),
            Renewal::SignIn { discovery, step_up_from } => {
                self.authorize(*discovery, step_up_from, opener, cancel).await?;
                Ok(Reauthorized::SignedIn)
            }
        }
    }

    /// The first half of [`answer_challenge`](Self::answer_challenge): refresh
    /// once if that can answer the refusal, else say which sign-in it takes
    /// (counted in `budget`), for the caller to do now or hand to the app.
    pub(crate) async fn renew(
        &mut self,
        status: u16,
        challenge: Option<BearerChallenge>,
        budget: &mut Reauthorizations,
    ) -> Result<Renewal> {
        let http = self.authorizer.http().clone();
        let held = self.grant.as_ref().map(|g| scope::union(&g.scopes, &g.requested_scopes));
        let wider = held.as_ref().is_some_and(|held| {
            let demanded = challenge.as_ref().and_then(|c| c.scope.as_deref()).map(scope::split).unwrap_or_default();
            demanded.iter().any(|s| !held.contains(s))
        });
        let insufficient = status == 403 && challenge.as_ref().is_some_and(BearerChallenge::is_insufficient_scope);
        // The challenge may point somewhere new (another AS): discover again.
        let discovery = discover_with(&http, &self.url, challenge).await?;
        // A token the server refused, with a refresh token: refresh once
        // (the server's 401 wins over the local expiry) before a new sign-in.
        if !insufficient && !budget.refreshed {
            budget.refreshed = true;
            if self.try_refresh(&discovery).await? {
                self.discovery = Some(discovery);
                return Ok(Renewal::Refreshed);
            }
        }
        if budget.sign_ins >= budget.max_sign_ins {
            return Err(Error::StepUpLimit { attempts: budget.sign_ins });
        }
        budget.sign_ins += 1;
        let step_up_from = (insufficient || wider).then(|| held.unwrap_or_default());
        Ok(Renewal::SignIn { discovery: Box::new(discovery), step_up_from })
    }

    async fn attempt(&self, op: &Operation) -> Result<OperationResult> {
        let http = self.authorizer.http();
        let token = self.grant.as_ref().map(|g| &g.access_token);
        let dpop = self.grant.as_ref().and_then(Grant::access_proof_key);
        let mut session = McpSession::connect(http, &self.url, token, dpop).await?;
        let listed = session.list_tools().await?;
        let result = match op {
            Operation::ListTools => None,
            // A tool the server does not list (or that rmcp left out for
            // invalid header annotations, SEP-2243) is not called.
            Operation::CallTool { name, .. } if !listed.iter().any(|t| &t.name == name) => {
                let offered: Vec<&str> = listed.iter().map(|t| t.name.as_str()).collect();
                return Err(Error::InvalidInput(format!(
                    "{} offers no tool named {name:?} (it offers: {})",
                    self.server_name(),
                    if offered.is_empty() { "none".to_string() } else { offered.join(", ") }
                )));
            }
            Operation::CallTool { name, arguments } => Some(session.call_tool(name, arguments.clone()).await?),
        };
        let server_name = session.server_name.clone().unwrap_or_else(|| self.server_name());
        let protocol_version = session.protocol_version.clone();
        session.close().await;
        Ok(OperationResult { server_name, protocol_version, tools: listed.iter().map(ToolView::from).collect(), listed, result })
    }
}

/// The scopes a challenge demands.
fn demanded_scopes(discovery: &Discovery) -> Vec<String> {
    discovery.challenge.as_ref().and_then(|c| c.scope.as_deref()).map(scope::split).unwrap_or_default()
}
