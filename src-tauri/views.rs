//! What the UI sees: view types with generated TypeScript (`ui/src/bindings/`,
//! written by `cargo test`, committed, checked for staleness in CI).
//!
//! Views are built from the engine's data and never carry a token or a secret;
//! the only exception is [`reveal_token`](crate::commands::reveal_token), which
//! returns a bare string on an explicit click.

use mcp_auth::{GrantSummary, ToolView};
use mcp_auth::{RedirectMode, ServerEntry};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The badge of a server in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Badge {
    Connected,
    NeedsSignIn,
    ExpiresSoon,
    Error,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ServerView {
    pub name: String,
    pub url: String,
    pub host: String,
    pub badge: Badge,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_source: Option<String>,
    /// Whose sign-in it is, as the server named it (not verified: a label).
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub requested_scopes: Vec<String>,
    /// Unix seconds.
    #[ts(type = "number | null")]
    pub expires_at: Option<u64>,
    pub has_refresh_token: bool,
    #[ts(type = "number | null")]
    pub last_refresh_at: Option<u64>,
    pub last_refresh_ok: Option<bool>,
    pub last_refresh_message: Option<String>,
    pub redirect_mode: String,
    pub redirect_uri: Option<String>,
    pub scope_setting: Option<String>,
    /// What the spec's scope choice gives for this server, once discovered.
    pub suggested_scope: Option<String>,
    /// The permissions the server says it offers (`scopes_supported`), for
    /// the settings' checkboxes; at most [`OFFERED_SCOPES_SHOWN`].
    pub offered_scopes: Vec<String>,
    pub suggested_redirect_uri: String,
    /// A client secret is stored in the keychain for the entered client id.
    pub has_client_secret: bool,
    pub discovered: bool,
    pub imported_from: Option<String>,
    /// The user lets this server send the app to this computer or the local
    /// network (refused otherwise for a server farther out).
    pub allow_local_network: bool,
    /// The sign-in page may be asked for its consent screen where a refresh
    /// token needs it (off: never).
    pub consent_prompt: bool,
    /// The sign-in service offers sign-in from another device.
    pub device_sign_in: bool,
    /// How the grant is obtained, in plain words ("You sign in through your
    /// browser", "This app signs in as itself…").
    pub grant_kind: String,
    /// Obtained with no person (client credentials, enterprise, workload):
    /// renewed the same way when it expires, nobody asked.
    pub renews_itself: bool,
    /// The token works only with a key kept in the keychain (DPoP).
    pub bound_to_this_computer: bool,
    /// What the person calls it: their own name for it, else where it is
    /// ("acme.com/crm"); `name` stays the identifier the commands take.
    pub title: String,
    /// Host and path, without a last `/mcp` or `/sse` that says nothing.
    pub place: String,
    /// The sign-in service's host, where it is not the server's own.
    pub signs_in_at: Option<String>,
    /// The last check failed on the server's side (kept across restarts
    /// until a check succeeds).
    pub failed_check: Option<FailedCheckView>,
    /// A sign-out the server did not confirm; retried by signing out again.
    pub sign_out_pending: Option<PendingSignOutView>,
    /// Ask before a program not seen before uses this sign-in.
    pub ask_before_new_program: bool,
    /// The programs the person allowed, while it asks.
    pub allowed_programs: Vec<ProgramView>,
}

/// A program that uses (or asks to use) a sign-in, as the OS names it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProgramView {
    pub name: String,
    /// Its executable (and script), where the OS told it.
    pub path: Option<String>,
    /// What the app is given back to forget it or answer for it.
    pub key: String,
    /// When it was allowed (Unix seconds); absent for one that asks.
    #[ts(type = "number | null")]
    pub allowed_at: Option<u64>,
}

impl ProgramView {
    pub fn of(p: &mcp_auth::Program, allowed_at: Option<u64>) -> Self {
        ProgramView { name: p.name.clone(), path: p.path.clone(), key: p.key().to_string(), allowed_at }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FailedCheckView {
    #[ts(type = "number")]
    pub at: u64,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PendingSignOutView {
    #[ts(type = "number")]
    pub since: u64,
    /// The sign-in service that did not confirm.
    pub host: String,
    pub reason: String,
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned))
}

/// A server offering more permissions than this is listed by the first ones
/// (the scope field still takes any).
pub const OFFERED_SCOPES_SHOWN: usize = 30;

/// The person's name for a server, else the name it came with (from an app's
/// config, or given to `mcp-auth servers add --name`), else where it is: a
/// name made up from the host ("127.0.0.1-14") tells nobody anything.
pub fn title_of(s: &ServerEntry) -> String {
    if let Some(l) = &s.label {
        return l.clone();
    }
    let host = host_of(&s.url).unwrap_or_default();
    let made_up = s.name == host
        || s.name.strip_prefix(&host).and_then(|t| t.strip_prefix('-')).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
    if made_up || s.name.is_empty() {
        place_of(&s.url)
    } else {
        s.name.clone()
    }
}

/// "acme.com/crm" for `https://acme.com/crm/mcp`: enough to tell servers apart.
pub fn place_of(url: &str) -> String {
    let Ok(u) = url::Url::parse(url) else { return url.to_string() };
    let mut path = u.path().trim_end_matches('/');
    for tail in ["/mcp", "/sse"] {
        path = path.strip_suffix(tail).unwrap_or(path);
    }
    let host = match u.port() {
        Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
        None => u.host_str().unwrap_or_default().to_string(),
    };
    format!("{host}{path}")
}

pub fn now() -> u64 {
    mcp_auth::Clock::now(&mcp_auth::SystemClock)
}

/// `renews_itself`: a grant no person attends is obtained again when it
/// expires, so its expiry is not the person's concern.
fn badge_of(grant: Option<&GrantSummary>, renews_itself: bool, last_refresh_ok: Option<bool>, now: u64) -> Badge {
    let Some(g) = grant else { return Badge::NeedsSignIn };
    let renewable = g.has_refresh_token || renews_itself;
    match g.expires_at {
        Some(t) if t <= now && !renewable => Badge::NeedsSignIn,
        Some(t) if t <= now + 600 && !renewable => Badge::ExpiresSoon,
        _ if last_refresh_ok == Some(false) => Badge::Error,
        _ => Badge::Connected,
    }
}

impl ServerView {
    pub fn of(s: &ServerEntry, has_client_secret: bool) -> Self {
        let g = s.grant.as_ref();
        let host = url::Url::parse(&s.url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        let kind = s.grant_kind.clone().unwrap_or_default();
        ServerView {
            name: s.name.clone(),
            url: s.url.clone(),
            host,
            badge: if s.failed_check.is_some() {
                Badge::Error
            } else {
                badge_of(g, kind.is_unattended(), s.last_refresh.as_ref().map(|r| r.ok), now())
            },
            issuer: g.map(|g| g.issuer.clone()).or_else(|| s.discovery.as_ref().map(|d| d.issuer.clone())),
            client_id: g.map(|g| g.client_id.clone()).or_else(|| s.client_id.clone()),
            client_source: g
                .map(|g| serde_json::to_value(g.client_source).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
            account: g.and_then(|g| g.account.clone()),
            scopes: g.map(|g| g.scopes.clone()).unwrap_or_default(),
            requested_scopes: g.map(|g| g.requested_scopes.clone()).unwrap_or_default(),
            expires_at: g.and_then(|g| g.expires_at),
            has_refresh_token: g.is_some_and(|g| g.has_refresh_token),
            last_refresh_at: s.last_refresh.as_ref().map(|r| r.at),
            last_refresh_ok: s.last_refresh.as_ref().map(|r| r.ok),
            last_refresh_message: s.last_refresh.as_ref().and_then(|r| r.message.clone()),
            redirect_mode: match s.redirect_mode {
                RedirectMode::Loopback => "loopback".into(),
                RedirectMode::DeepLink => "deep_link".into(),
            },
            redirect_uri: s.redirect_uri.clone(),
            scope_setting: s.scope.clone(),
            suggested_scope: s.discovery.as_ref().and_then(|d| d.suggested_scope.clone()),
            offered_scopes: s
                .discovery
                .as_ref()
                .and_then(|d| d.scopes_supported.as_ref())
                .map(|v| v.iter().take(OFFERED_SCOPES_SHOWN).cloned().collect())
                .unwrap_or_default(),
            suggested_redirect_uri: mcp_auth::SUGGESTED_REDIRECT_URI.to_string(),
            has_client_secret,
            discovered: s.discovery.is_some(),
            imported_from: s.imported_from.clone(),
            allow_local_network: s.allow_local_network,
            consent_prompt: s.consent_prompt != Some(false),
            device_sign_in: s.discovery.as_ref().is_some_and(|d| d.device_sign_in),
            grant_kind: kind.describe().to_string(),
            renews_itself: kind.is_unattended(),
            bound_to_this_computer: g.is_some_and(|g| g.dpop_bound),
            title: title_of(s),
            place: place_of(&s.url),
            signs_in_at: g
                .map(|g| g.issuer.as_str())
                .or(s.discovery.as_ref().map(|d| d.issuer.as_str()))
                .and_then(host_of)
                .filter(|h| Some(h) != host_of(&s.url).as_ref()),
            failed_check: s.failed_check.as_ref().map(|f| FailedCheckView { at: f.at, kind: f.kind.clone(), message: f.message.clone() }),
            sign_out_pending: s.sign_out_pending.as_ref().map(|p| PendingSignOutView {
                since: p.since,
                host: host_of(&p.issuer).unwrap_or_else(|| p.issuer.clone()),
                reason: p.reason.clone(),
            }),
            ask_before_new_program: s.ask_before_new_program,
            allowed_programs: s.allowed_programs.iter().map(|a| ProgramView::of(&a.program, Some(a.allowed_at))).collect(),
        }
    }
}

// `ConnectView`, `OauthDiscoveryView` and `ToolView` are the engine's own
// `ConnectStatus`, `OauthDiscovery` and `ToolView` (its `ts` feature writes
// their TypeScript): the page gets what `mcp-auth connect` prints.

/// The review screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DetailView {
    pub server: ServerView,
    /// The access token's claims when it is a JWT: decoded for display only,
    /// not verified.
    pub claims: Option<Vec<ClaimView>>,
    pub token_is_jwt: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ClaimView {
    pub name: String,
    pub value: String,
}

/// Editable settings of a server (the configure form).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingsInput {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub redirect_mode: Option<String>,
    /// Absent: unchanged.
    #[serde(default)]
    pub allow_local_network: Option<bool>,
    /// Absent: unchanged.
    #[serde(default)]
    pub consent_prompt: Option<bool>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignInStarted {
    pub flow_id: String,
    /// The validated authorization URL, for "copy the link instead".
    pub auth_url: String,
}

/// Sent as the `step-up` event: a server asks for more access mid-sign-in;
/// the page answers with `answer_step_up`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StepUpAsked {
    pub flow_id: String,
    pub server: String,
    /// The scopes the server adds to what was allowed so far.
    pub added: Vec<String>,
    /// Everything the new sign-in will ask for.
    pub requested: Vec<String>,
}

/// Sent as the `sign-in-finished` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignInFinished {
    pub flow_id: String,
    pub server: String,
    pub tools: Option<Vec<ToolView>>,
    pub error: Option<crate::error::CommandError>,
}

/// Sent as the `progress` event while a server is discovered.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProgressEvent {
    pub server: String,
    /// `contacting`, `metadata`, `registering`, `done`.
    pub step: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RevokeView {
    pub server_confirmed: bool,
    pub deleted_locally: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportCandidate {
    pub client: String,
    pub client_name: String,
    pub path: String,
    pub name: String,
    pub url: String,
    pub credential_headers: Vec<String>,
    /// The config holds a static bearer token for it that can be moved into
    /// the keychain (the token itself is never sent to the page).
    pub has_static_bearer: bool,
    pub already_present_as: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DemoView {
    pub url: String,
    pub server: ServerView,
}

/// One app on this computer, for a server's "Used by" switches.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppUse {
    /// `claude-desktop`, `claude-code`, `cursor`, `vscode`, `windsurf`.
    pub app: String,
    pub name: String,
    /// Its config file.
    pub config: String,
    /// The app's config file exists.
    pub detected: bool,
    /// The app runs this server through the bridge (or headers helper).
    pub connected: bool,
    /// Other servers of the list the app has entries for that do not go
    /// through this app yet: what "all its servers" would connect besides this one.
    pub others: u32,
    /// All that "all its servers" would connect (`others`, and this one when
    /// the app has an entry for it that does not go through this app yet).
    pub shareable: u32,
}

/// An MCP app on this computer, and whether its agent may connect the user to
/// servers through `mcp-auth serve`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AgentUse {
    /// `claude-desktop`, `claude-code`, `cursor`, `vscode`, `windsurf`.
    pub app: String,
    pub name: String,
    /// Its config file.
    pub config: String,
    /// The app's config file exists.
    pub detected: bool,
    /// Its file runs `mcp-auth serve` (connected here).
    pub connected: bool,
}

/// What connecting an app for all its servers did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AllConnected {
    /// The apps again, for this server's "Used by".
    pub apps: Vec<AppUse>,
    /// Names of the servers now connected.
    pub connected: Vec<String>,
    /// Servers left as they were, each with the reason in plain words.
    pub skipped: Vec<String>,
    /// The app's entries for servers the list does not have (to import first).
    pub not_in_list: Vec<String>,
}

/// One thing that used this server's sign-in (no secret in it).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActivityView {
    /// Unix seconds.
    #[ts(type = "number")]
    pub at: u64,
    /// `token`, `headers`, `bridge_started`, `agent_added_server`,
    /// `agent_started_sign_in`, `agent_signed_in`, `agent_cleared`,
    /// `renewed_in_background`, `program_allowed`, `program_refused`.
    pub what: String,
    /// The program that asked.
    pub by: String,
    pub detail: Option<String>,
}

/// A device sign-in started; its code arrives as `device-code`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceSignInStarted {
    pub flow_id: String,
}

/// Sent as the `device-code` event: what to show for a sign-in on another
/// device. The code is meant to be read by the person (it is no secret: it
/// only works with the device code the engine keeps, and for minutes).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceCodeShown {
    pub flow_id: String,
    pub server: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    /// Seconds the code works.
    pub expires_in: u32,
}

/// Sent as the `prompt-asked` event: a program on this computer waits for the
/// person: to sign in to `subject` (a bridge), to add the URL `subject` (an
/// agent, through `serve`), or to enter `subject`'s client secret in its
/// settings (an agent), or to let `program` use `subject`'s sign-in. `kind` is
/// `sign_in`, `add_server`, `client_secret` or `new_program`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PromptAsked {
    pub kind: String,
    pub subject: String,
    pub program: Option<ProgramView>,
}

impl PromptAsked {
    pub fn of(asked: &mcp_auth::Asked) -> Self {
        let kind = serde_json::to_value(asked.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        PromptAsked { kind, subject: asked.subject.clone(), program: asked.program.as_ref().map(|p| ProgramView::of(p, None)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_host_and_path_without_the_protocol_endpoint() {
        assert_eq!(place_of("https://acme.com/crm/mcp"), "acme.com/crm");
        assert_eq!(place_of("https://mcp.linear.app/sse"), "mcp.linear.app");
        assert_eq!(place_of("http://127.0.0.1:8123/t/a/mcp/"), "127.0.0.1:8123/t/a");
        assert_eq!(place_of("https://h.example/"), "h.example");
    }

    #[test]
    fn a_failed_check_shows_error_whatever_is_stored_and_a_pending_sign_out_names_its_host() {
        let mut s = ServerEntry { name: "x".into(), url: "https://acme.com/mcp".into(), ..Default::default() };
        s.failed_check = Some(mcp_auth::FailedCheck { at: 1, kind: "network".into(), message: "unreachable".into() });
        s.sign_out_pending = Some(mcp_auth::PendingSignOut {
            resource: s.url.clone(),
            issuer: "https://login.acme.com".into(),
            client_id: "c".into(),
            since: 2,
            reason: "503".into(),
        });
        let v = ServerView::of(&s, false);
        assert_eq!(v.badge, Badge::Error);
        assert_eq!(v.title, "x", "a name the server came with");
        s.name = "acme.com-3".into();
        assert_eq!(ServerView::of(&s, false).title, "acme.com", "a made-up name gives way to the place");
        assert_eq!(v.sign_out_pending.unwrap().host, "login.acme.com");
        s.failed_check = None;
        s.label = Some("CRM".into());
        let v = ServerView::of(&s, false);
        assert_eq!(v.badge, Badge::NeedsSignIn);
        assert_eq!(v.title, "CRM");
    }
}
