//! The one sign-in sequence every face drives: the CLI's `connect`, `login`,
//! `tools` and `call`, the app's Discover and Sign in (and, next, the bridge and
//! `serve`).
//!
//! A server of the list (or a bare URL) is opened as a live session with its
//! settings, grant and known clients ([`SignInFlow::open`]); a sign-in is
//! prepared up to the authorization URL ([`SignInFlow::prepare`]), so a face can
//! show the URL before the browser comes back; it is then completed and
//! verified over MCP, stepping up if the server asks ([`SignInFlow::finish`]);
//! or an operation runs and signs in only when the server asks
//! ([`SignInFlow::perform`]). Whatever came of it is kept: tokens in the
//! keychain, the rest in the server list.
//!
//! What differs between faces are hooks, not copies of the sequence: how the URL
//! reaches the person (the [`Opener`] passed in), how a step-up is put to them
//! ([`SignInFlow::ask_step_up_with`]), where the browser comes back
//! ([`SignInFlow::come_back_through`]), progress ([`SignInFlow::on_progress`])
//! and cancelling (the [`CancelSignal`] passed in).

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::mcp::connect::{
    ConnectStatus, DevicePromptHook, OauthDiscovery, Operation, OperationResult, ProgressHook, Reauthorizations, Reauthorized, Renewal,
    ServerSession, StepUpConsent, ToolView,
};
use crate::net::app_socket::{AppAnswer, AppSocket};
use crate::net::browser::Opener;
use crate::net::http::HttpClient;
use crate::net::loopback::CancelSignal;
use crate::oauth::challenge::BearerChallenge;
use crate::oauth::grant::Clock;
use crate::oauth::signin::{LinkRedirect, PendingSignIn};
use crate::vault::secret::Secret;
use crate::vault::server_list::{FailedCheck, ServerEntry};
use crate::vault::store::{summary_of, Store};
use crate::vault::stored_grant::{lock_refresh, lock_sign_in};
use crate::vault::stored_session::Overrides;
use crate::vault::Vault;

/// Where a prepared sign-in stands.
#[derive(Debug)]
pub enum Prepared {
    /// Waiting for the browser: show [`PendingSignIn::authorization_url`] as
    /// the face does, then [`SignInFlow::finish`].
    Browser(PendingSignIn),
    /// The server answered without authorization: nobody needs to sign in.
    Open { server_name: String, tools: Vec<ToolView> },
    /// The person must give a client id (and maybe a secret) first; the
    /// settings form is filled in from this.
    NeedsClientConfig(OauthDiscovery),
}

/// One server's sign-in, from the stored settings to the kept grant.
pub struct SignInFlow<V: Vault + 'static> {
    store: Arc<Store<V>>,
    entry: ServerEntry,
    given: Overrides,
    session: ServerSession,
    /// The access token held when the flow opened: kept again only if changed.
    before: Option<Secret>,
    /// The server's sign-in lock, held from [`prepare`](Self::prepare) until
    /// the sign-in ends: a bridge that needs a sign-in meanwhile waits for
    /// this one and takes its grant instead of opening a second browser.
    signing_in: Option<std::fs::File>,
    /// The running app, asked first for a sign-in a relayed request needs.
    app: Option<AppSocket>,
}

/// How long a new sign-in waits for one under way in another program before
/// saying so (a person is waiting on either side).
const SIGN_IN_BUSY_WAIT: Duration = Duration::from_secs(3);

impl<V: Vault + 'static> SignInFlow<V> {
    /// A flow for a server of the list, by name or URL. A URL that is not in
    /// the list is added when `add_if_new`; otherwise its flow keeps nothing.
    pub fn open(
        store: &Arc<Store<V>>,
        server: &str,
        given: Overrides,
        add_if_new: bool,
        http: HttpClient,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let is_url = url::Url::parse(server).is_ok();
        let entry = match store.resolve(server) {
            Ok(e) => e,
            Err(Error::UnknownServer(_)) if add_if_new && is_url => store.add(server, None, clock.as_ref())?,
            // Not stored and not to be added: a session with nothing to keep.
            Err(Error::UnknownServer(_)) if is_url => ServerEntry { url: server.to_string(), ..ServerEntry::default() },
            Err(e) => return Err(e),
        };
        let session = store.open_session(&entry, &given, http, clock)?;
        let before = session.grant.as_ref().map(|g| g.access_token.clone());
        Ok(SignInFlow { store: store.clone(), entry, given, session, before, signing_in: None, app: None })
    }

    /// The server's name in the list (empty for a bare URL).
    /// The store the sign-in is kept in.
    pub fn store(&self) -> &Arc<Store<V>> {
        &self.store
    }

    pub fn entry(&self) -> &ServerEntry {
        &self.entry
    }

    pub fn session(&self) -> &ServerSession {
        &self.session
    }

    /// A sign-in a relayed request needs is asked of the running app first (it
    /// shows one prompt for every process waiting); with no app, this flow signs
    /// in itself.
    pub fn hand_sign_ins_to(&mut self, app: AppSocket) {
        self.app = Some(app);
    }

    /// Put a step-up (a server asking for more access) to the person first.
    pub fn ask_step_up_with(&mut self, consent: Arc<dyn StepUpConsent>) {
        self.session.step_up_consent = Some(consent);
    }

    /// The next sign-in comes back through the app's URL scheme instead of a
    /// loopback listener.
    pub fn come_back_through(&mut self, link: LinkRedirect) {
        self.session.authorizer.link_redirect = Some(link);
    }

    /// Told about each step of discovery.
    pub fn on_progress(&mut self, hook: ProgressHook) {
        self.session.on_progress = Some(hook);
    }

    /// How long to wait for the browser to come back.
    pub fn set_sign_in_timeout(&mut self, timeout: Duration) {
        self.session.sign_in_timeout = timeout;
    }

    /// Where the server stands, changing nothing (`mcp-auth connect`).
    pub async fn check(&mut self) -> (ConnectStatus, Option<PendingSignIn>) {
        self.session.connect().await
    }

    /// Where the server stands, keeping what discovery found and the client it
    /// registered, even when it went wrong later (the app's Discover).
    pub async fn discover(&mut self) -> Result<ConnectStatus> {
        let result = self.session.try_connect().await.map(|(status, _)| status);
        self.keep_discovery()?;
        self.keep_check(result.as_ref())?;
        result
    }

    /// Everything up to the authorization URL, for a new sign-in (the held
    /// grant, if any, is set aside). Discovery and a registered client are kept
    /// at once, so a second attempt reuses them.
    pub async fn prepare(&mut self) -> Result<Prepared> {
        if !self.entry.name.is_empty() && self.signing_in.is_none() {
            self.signing_in = Some(match lock_sign_in(&self.store, &self.entry, SIGN_IN_BUSY_WAIT).await {
                Ok(lock) => lock,
                Err(Error::InvalidInput(_)) => return Err(Error::SignInUnderWay { server: self.entry.name.clone() }),
                Err(e) => return Err(e),
            });
        }
        let prepared = self.prepare_unlocked().await;
        if !matches!(prepared, Ok(Prepared::Browser(_))) {
            self.signing_in = None;
        }
        prepared
    }

    async fn prepare_unlocked(&mut self) -> Result<Prepared> {
        self.session.grant = None;
        let result = self.session.try_connect().await;
        self.keep_discovery()?;
        self.keep_check(result.as_ref().map(|(status, _)| status))?;
        Ok(match result? {
            (ConnectStatus::RequiresAuth { .. }, Some(pending)) => Prepared::Browser(pending),
            (ConnectStatus::Success { server_name, tools }, _) => Prepared::Open { server_name, tools },
            (ConnectStatus::RequiresOauthConfig { oauth_discovery, .. }, _) => Prepared::NeedsClientConfig(oauth_discovery),
            (ConnectStatus::Error { error, .. }, _) => return Err(Error::InvalidInput(error)),
            (ConnectStatus::RequiresAuth { .. }, None) => return Err(Error::InvalidInput("no sign-in was prepared".into())),
        })
    }

    /// Open the URL with `opener`, wait for the browser, exchange the code,
    /// verify by listing tools (stepping up if the server asks), and keep the
    /// grant, whatever the verification said.
    pub async fn finish(&mut self, pending: PendingSignIn, opener: &dyn Opener, cancel: CancelSignal) -> Result<OperationResult> {
        let timeout = self.session.sign_in_timeout;
        let result = async {
            let grant = self.session.authorizer.complete(pending, opener, timeout, cancel.clone()).await?;
            self.session.grant = Some(grant);
            self.session.perform(&Operation::ListTools, opener, cancel).await
        }
        .await;
        let kept = self.keep().await;
        self.signing_in = None;
        kept?;
        result
    }

    /// Run an operation with the held grant, refreshing, signing in or stepping
    /// up as the server asks, and keep any new grant.
    pub async fn perform(&mut self, op: &Operation, opener: &dyn Opener, cancel: CancelSignal) -> Result<OperationResult> {
        let result = self.session.perform(op, opener, cancel).await;
        self.keep().await?;
        result
    }

    /// Every sign-in of this flow uses the device grant (RFC 8628): `show`
    /// tells the person the code and the page, on whatever device they have.
    pub fn sign_in_on_another_device(&mut self, show: DevicePromptHook) {
        self.session.device = Some(show);
    }

    /// A sign-in now, then `op` (`mcp-auth login`): the URL goes to `opener`.
    pub async fn sign_in_then(&mut self, op: &Operation, opener: &dyn Opener, cancel: CancelSignal) -> Result<OperationResult> {
        if self.session.device.is_some() {
            return self.sign_in_on_device_then(op, opener, cancel).await;
        }
        match self.prepare().await? {
            Prepared::Browser(pending) => {
                let timeout = self.session.sign_in_timeout;
                let signed_in = self.session.authorizer.complete(pending, opener, timeout, cancel.clone()).await;
                match signed_in {
                    Ok(grant) => self.session.grant = Some(grant),
                    Err(e) => {
                        self.signing_in = None;
                        self.keep().await?;
                        return Err(e);
                    }
                }
                let result = self.perform(op, opener, cancel).await;
                self.signing_in = None;
                result
            }
            Prepared::Open { .. } => self.perform(op, opener, cancel).await,
            Prepared::NeedsClientConfig(_) => Err(Error::NeedsClientConfig { url: self.session.url.clone() }),
        }
    }

    /// [`sign_in_then`](Self::sign_in_then) with the device grant: under the
    /// server's sign-in lock, discovery, the code shown, the approval awaited,
    /// the grant kept, then `op`.
    async fn sign_in_on_device_then(&mut self, op: &Operation, opener: &dyn Opener, cancel: CancelSignal) -> Result<OperationResult> {
        let _signing_in = match self.entry.name.is_empty() {
            true => None,
            false => Some(match lock_sign_in(&self.store, &self.entry, SIGN_IN_BUSY_WAIT).await {
                Ok(lock) => lock,
                Err(Error::InvalidInput(_)) => return Err(Error::SignInUnderWay { server: self.entry.name.clone() }),
                Err(e) => return Err(e),
            }),
        };
        self.session.grant = None;
        let discovered = self.session.discover_for_sign_in().await;
        self.keep_discovery()?;
        let Some(discovery) = discovered? else {
            return self.perform(op, opener, cancel).await;
        };
        let signed_in = self.session.authorize(discovery, None, opener, cancel.clone()).await;
        self.keep_discovery()?;
        self.keep().await?;
        signed_in?;
        self.perform(op, opener, cancel).await
    }

    /// Refresh the held grant ahead of its expiry, through the vault's lock (a
    /// grant another process refreshed meanwhile is taken instead). A grant that
    /// can no longer be refreshed is dropped: the server's next 401 leads to a
    /// sign-in.
    pub async fn refresh_if_due(&mut self) -> Result<()> {
        let clock = self.session.authorizer.clock();
        let Some(held) = self.session.grant.as_ref().filter(|g| g.needs_refresh(clock)) else {
            return Ok(());
        };
        let renewable = held.refresh_token.is_some() || self.session.authorizer.config.grant.is_unattended();
        if self.entry.name.is_empty() || !renewable {
            return Ok(());
        }
        match self.store.refresh_held(&self.entry.name, held, clock).await {
            Ok(next) => self.session.grant = Some(next),
            Err(Error::NotSignedIn { .. }) => self.session.grant = None,
            Err(e) => return Err(e),
        }
        self.before = self.session.grant.as_ref().map(|g| g.access_token.clone());
        Ok(())
    }

    /// The server refused the held grant for a relayed request: refresh, step
    /// up or sign in as [`ServerSession::answer_challenge`] decides, and keep
    /// what came of it. A sign-in (not a step-up) goes to the running app first
    /// when [`hand_sign_ins_to`](Self::hand_sign_ins_to) named it.
    pub async fn answer_challenge(
        &mut self,
        status: u16,
        challenge: Option<BearerChallenge>,
        budget: &mut Reauthorizations,
        opener: &dyn Opener,
        cancel: CancelSignal,
    ) -> Result<Reauthorized> {
        if self.entry.name.is_empty() {
            return self.session.answer_challenge(status, challenge, budget, opener, cancel).await;
        }
        // One sign-in per server at a time, across processes. Whoever waited
        // reads the vault again: a grant another process got meanwhile is used
        // (and tried) instead of opening a second browser.
        let wait = self.session.sign_in_timeout + Duration::from_secs(30);
        let mut lock = lock_sign_in(&self.store, &self.entry, wait).await?;
        if self.take_newer_stored()? {
            return Ok(Reauthorized::SignedIn);
        }
        let renewal = self.session.renew(status, challenge, budget).await;
        let (discovery, step_up_from) = match renewal {
            Ok(Renewal::SignIn { discovery, step_up_from }) => (discovery, step_up_from),
            Ok(Renewal::Refreshed) => {
                self.keep().await?;
                return Ok(Reauthorized::Refreshed);
            }
            Err(e) => {
                self.keep().await?;
                return Err(e);
            }
        };
        // A grant no person attends is obtained here again, never asked of the app.
        let unattended = self.session.authorizer.config.grant.is_unattended();
        if let (Some(app), None, false) = (self.app.clone(), &step_up_from, unattended) {
            // The app signs in under the same lock: let go of it meanwhile.
            drop(lock);
            match app.ask_sign_in(&self.entry.name, wait).await {
                AppAnswer::NotRunning => {}
                // Whatever the app says, the vault tells what happened.
                AppAnswer::Yes | AppAnswer::No => {
                    if self.take_newer_stored()? {
                        return Ok(Reauthorized::SignedIn);
                    }
                    return Err(Error::NotSignedInInApp { server: self.entry.name.clone() });
                }
            }
            lock = lock_sign_in(&self.store, &self.entry, wait).await?;
            if self.take_newer_stored()? {
                return Ok(Reauthorized::SignedIn);
            }
        }
        let result = self.session.authorize(*discovery, step_up_from, opener, cancel).await.map(|()| Reauthorized::SignedIn);
        self.keep().await?;
        drop(lock);
        result
    }

    /// Take the vault's grant when it is newer than the one held (another
    /// process signed in meanwhile).
    fn take_newer_stored(&mut self) -> Result<bool> {
        let stored = self.store.load_grant(&self.store.resolve(&self.entry.name)?)?;
        let held = self.session.grant.as_ref();
        match stored.filter(|s| held.is_none_or(|h| s.access_token != h.access_token && s.obtained_at >= h.obtained_at)) {
            Some(stored) => {
                self.session.grant = Some(stored);
                self.before = self.session.grant.as_ref().map(|g| g.access_token.clone());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Keep the grant (if new), the client it was made with, the discovery and
    /// the settings the person gave.
    ///
    /// Under the grant's lock, after reading the vault again: a grant another
    /// process stored meanwhile that is newer than this one wins (a long `call`
    /// ending after the app signed in again must not put the old grant back).
    async fn keep(&mut self) -> Result<()> {
        let changed = self.session.grant.as_ref().is_some_and(|g| self.before.as_ref() != Some(&g.access_token));
        if self.entry.name.is_empty() || !changed {
            return Ok(());
        }
        let _lock = lock_refresh(&self.store, &self.entry).await?;
        let stored = self.store.load_grant(&self.store.resolve(&self.entry.name)?)?;
        let ours = self.session.grant.as_ref().expect("changed means held");
        match stored.filter(|s| s.access_token != ours.access_token && s.obtained_at > ours.obtained_at) {
            Some(newer) => self.session.grant = Some(newer),
            None => self.store.keep_session(&self.entry, &self.session, self.before.as_ref(), &self.given)?,
        }
        self.before = self.session.grant.as_ref().map(|g| g.access_token.clone());
        Ok(())
    }

    /// Keep whether the server failed this check, so that every face (and
    /// the app after a restart) shows it failing until a check succeeds; a
    /// failure that is the person's to fix (a client id to enter, a
    /// cancelled sign-in) leaves what was kept alone.
    fn keep_check(&self, result: std::result::Result<&ConnectStatus, &Error>) -> Result<()> {
        if self.entry.name.is_empty() {
            return Ok(());
        }
        let failed = match result {
            Err(e) if e.is_servers_fault() => Some((serde_json::to_value(e.kind()).ok(), e.to_string())),
            Ok(ConnectStatus::Error { error, .. }) => Some((Some(serde_json::json!("server")), error.clone())),
            Err(_) => return Ok(()),
            Ok(_) => None,
        };
        let failed = failed.map(|(kind, message)| FailedCheck {
            at: self.session.authorizer.clock().now(),
            kind: kind.and_then(|k| k.as_str().map(str::to_owned)).unwrap_or_else(|| "server".into()),
            message,
        });
        if self.store.resolve(&self.entry.name)?.failed_check.is_some() || failed.is_some() {
            self.store.edit(&self.entry.name, |e| e.failed_check = failed)?;
        }
        Ok(())
    }

    fn keep_discovery(&self) -> Result<()> {
        if self.entry.name.is_empty() {
            return Ok(());
        }
        if let Some(d) = &self.session.discovery {
            let summary = summary_of(d);
            self.store.edit(&self.entry.name, |e| e.discovery = Some(summary))?;
            if let Some(client) = self.session.authorizer.client_for(&d.auth_server.issuer) {
                self.store.save_client(client)?;
            }
        }
        Ok(())
    }
}
