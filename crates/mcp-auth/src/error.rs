//! The engine's one error type.
//!
//! Variants are named after what went wrong in the OAuth/MCP domain and keep their
//! source, so the CLI can print a plain sentence and the app can show the technical
//! detail behind a toggle. Callers branch on [`Error::kind`], never on message text.
//! No variant carries a secret: messages name URLs, statuses and OAuth error codes.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("could not reach {url}: {source}")]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("{url} answered HTTP {status}{}", content_type.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    HttpStatus { url: String, status: u16, content_type: Option<String> },
    #[error("{url} sent a response larger than {limit} bytes; refused")]
    BodyTooLarge { url: String, limit: usize },
    #[error("{url} did not send valid JSON ({content_type}): {detail}")]
    InvalidJson { url: String, content_type: String, detail: String },
    #[error("refused to use {url}: {reason}")]
    UnsafeUrl { url: String, reason: String },
    #[error("{url} is on {target}, and a server on {server} may not send this app there. If you trust this server, allow it to reach this computer and the local network in its settings")]
    OutOfReach { url: String, server: &'static str, target: &'static str },
    #[error("{url} redirected to another address; a {what} request never follows redirects")]
    Redirected { url: String, what: &'static str },
    #[error("the server's metadata at {url} is not usable: {reason}")]
    InvalidMetadata { url: String, reason: String },
    #[error("the authorization server's metadata at {url} names issuer {found:?}, but it was fetched for {expected:?}")]
    IssuerMismatch { url: String, expected: String, found: String },
    #[error("the protected resource metadata at {url} is for {found:?}, not for {expected:?}")]
    ResourceMismatch { url: String, expected: String, found: String },
    #[error("the authorization server {issuer} does not support PKCE with S256, so signing in would be unsafe")]
    PkceUnsupported { issuer: String },
    #[error("no authorization server could be found for {url}")]
    NoAuthorizationServer { url: String },
    #[error("{url} needs a client id: the authorization server offers no automatic registration")]
    NeedsClientConfig { url: String },
    #[error("client registration at {url} failed: {reason}")]
    Registration { url: String, reason: String },
    #[error("the token endpoint refused the request: {error}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    TokenEndpoint { status: Option<u16>, error: String, description: Option<String> },
    #[error("the authorization server did not accept the client id or secret ({error})")]
    ClientRejected { error: String, description: Option<String> },
    #[error("the sign-in is no longer valid; sign in again")]
    InvalidGrant { description: Option<String> },
    #[error("the authorization server does not accept the requested scope {scope:?}; edit the scope or leave it empty and try again")]
    InvalidScope { scope: String },
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("the authorization server returned an error: {error}")]
    AuthorizationDenied { error: String, description: Option<String> },
    #[error("the sign-in answer {} the authorization server {expected}; refused", match found { Some(f) => format!("came from {f}, not from"), None => "did not say it came from".to_string() })]
    IssuerParameterMismatch { expected: String, found: Option<String> },
    #[error("no answer from the browser within {seconds} s; the sign-in was stopped")]
    SignInTimedOut { seconds: u64 },
    #[error("a sign-in to {server} is already under way in another program (look for its browser window); finish or cancel it there, then try again")]
    SignInUnderWay { server: String },
    #[error("the sign-in code expired before it was used; sign in again")]
    DeviceCodeExpired,
    #[error("the authorization server {issuer} offers no sign-in from another device (no device_authorization_endpoint); use --browser print or paste")]
    NoDeviceGrant { issuer: String },
    #[error("MCP Auth Manager asked you to sign in to {server}, and no sign-in was made there")]
    NotSignedInInApp { server: String },
    #[error("{}", not_allowed_words(server, program, *why))]
    ProgramNotAllowed { server: String, program: String, why: crate::vault::approval::NotAllowed },
    #[error("port {port} on {host} is busy; close the program using it or choose another redirect URI")]
    PortBusy { host: String, port: u16 },
    #[error("invalid redirect URI {uri:?}: {reason}")]
    InvalidRedirectUri { uri: String, reason: String },
    #[error("could not open a browser: {reason}")]
    Browser { reason: String },
    #[error("the MCP server at {url} answered HTTP {status}; authorization is required")]
    Unauthorized { url: String, status: u16, challenge: Option<crate::oauth::challenge::BearerChallenge> },
    #[error("the MCP server {url} returned an error: {message}")]
    Mcp { url: String, message: String },
    #[error("the server keeps asking for more permission (after {attempts} attempts); stopped")]
    StepUpLimit { attempts: u32 },
    #[error("the server asked for more access ({scope}), which was declined")]
    StepUpDeclined { scope: String },
    #[error("the system keychain is not available: {reason}")]
    Keychain { reason: String },
    #[error("the server list at {path} is damaged; it was set aside as {backup} and a new list was started")]
    ServerListCorrupt { path: String, backup: String },
    #[error("no server named {0:?}; see `mcp-auth servers list`")]
    UnknownServer(String),
    #[error("not signed in to {server}; run `mcp-auth login {server}`")]
    NotSignedIn { server: String },
    #[error(
        "{server}'s sign-in is bound to a key kept on this computer (DPoP): its token is useless without a fresh proof \
         for each request, so it is not handed out; let the app start `mcp-auth bridge {server}` instead \
         (`mcp-auth apps connect APP {server}` sets that up)"
    )]
    DpopBound { server: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{app}'s entry for this server in {path} holds a static credential ({}). Let it move into the keychain (mcp-auth apps connect --move-credentials), or remove it from that file first", headers.join(", "))]
    StaticCredentialInEntry { app: &'static str, path: String, headers: Vec<String> },
}

/// What kind of failure this is, for code that must decide what to show or do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server could not be reached or was too slow.
    Network,
    /// A server answered something unusable (status, size, JSON, metadata checks).
    InvalidResponse,
    /// A URL was refused before any use (scheme, host, characters).
    UnsafeUrl,
    /// The server's setup is unsafe or mismatched (issuer, resource, PKCE).
    Untrusted,
    /// The user must supply a client id (and maybe a secret).
    NeedsClientConfig,
    /// The authorization server refused the client id or secret (`invalid_client`).
    ClientRejected,
    /// The user must sign in (again).
    NeedsSignIn,
    /// The user or the server cancelled or denied the sign-in.
    Cancelled,
    /// The sign-in waited too long.
    TimedOut,
    /// A local resource (port, browser, file) is not available.
    Local,
    /// The requested scope was refused or step-up did not converge.
    Scope,
    /// The MCP server itself failed.
    Server,
    /// The caller passed something invalid.
    InvalidInput,
    /// The OS keychain is absent, locked or unreachable.
    Keychain,
    /// Local storage (the server list) had a problem.
    Storage,
    /// Another app's entry holds a static credential: it moves into the
    /// keychain only if the user agrees.
    StaticCredential,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        use Error::*;
        match self {
            Network { .. } | Timeout { .. } => ErrorKind::Network,
            HttpStatus { .. }
            | BodyTooLarge { .. }
            | InvalidJson { .. }
            | Redirected { .. }
            | InvalidMetadata { .. }
            | NoAuthorizationServer { .. }
            | Registration { .. }
            | TokenEndpoint { .. } => ErrorKind::InvalidResponse,
            UnsafeUrl { .. } | OutOfReach { .. } => ErrorKind::UnsafeUrl,
            IssuerMismatch { .. } | ResourceMismatch { .. } | PkceUnsupported { .. } | IssuerParameterMismatch { .. } => {
                ErrorKind::Untrusted
            }
            NeedsClientConfig { .. } => ErrorKind::NeedsClientConfig,
            ClientRejected { .. } => ErrorKind::ClientRejected,
            StaticCredentialInEntry { .. } => ErrorKind::StaticCredential,
            InvalidGrant { .. } | Unauthorized { .. } | NotSignedIn { .. } => ErrorKind::NeedsSignIn,
            Keychain { .. } => ErrorKind::Keychain,
            ServerListCorrupt { .. } => ErrorKind::Storage,
            Cancelled => ErrorKind::Cancelled,
            AuthorizationDenied { .. } => ErrorKind::Server,
            SignInTimedOut { .. } => ErrorKind::TimedOut,
            SignInUnderWay { .. } => ErrorKind::Local,
            NotSignedInInApp { .. } | ProgramNotAllowed { .. } => ErrorKind::Cancelled,
            DeviceCodeExpired => ErrorKind::TimedOut,
            NoDeviceGrant { .. } => ErrorKind::Server,
            PortBusy { .. } | Browser { .. } | Io { .. } => ErrorKind::Local,
            InvalidScope { .. } | StepUpLimit { .. } => ErrorKind::Scope,
            StepUpDeclined { .. } => ErrorKind::Cancelled,
            Mcp { .. } => ErrorKind::Server,
            InvalidRedirectUri { .. } | InvalidInput(_) | UnknownServer(_) | DpopBound { .. } => ErrorKind::InvalidInput,
        }
    }

    /// The server's side failed (unreachable, unusable or unsafe answers),
    /// rather than the person's input or this computer.
    pub fn is_servers_fault(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Network | ErrorKind::InvalidResponse | ErrorKind::UnsafeUrl | ErrorKind::Untrusted | ErrorKind::Server
        )
    }

    pub(crate) fn unsafe_url(url: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::UnsafeUrl { url: url.into(), reason: reason.into() }
    }

    pub(crate) fn metadata(url: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidMetadata { url: url.into(), reason: reason.into() }
    }
}

fn not_allowed_words(server: &str, program: &str, why: crate::vault::approval::NotAllowed) -> String {
    use crate::vault::approval::NotAllowed::*;
    match why {
        NoApp => format!(
            "{server} asks before a new program uses its sign-in, and MCP Auth Manager is not running: open it, then try again to allow {program}"
        ),
        Declined => format!("you did not allow {program} to use your sign-in to {server} in MCP Auth Manager"),
        Unanswered => format!("{program} waits for your answer in MCP Auth Manager: allow it to use your sign-in to {server}, then try again"),
    }
}
