//! The MCP Auth Manager engine: a headless OAuth 2.1 client for MCP servers.
//!
//! It does the whole MCP authorization dance the way the specification
//! (2025-11-25 and the 2026-07-28 revision) asks a client to, and remembers what
//! the user signed in to. The parts, one folder each:
//!
//! - `oauth/`: the server's challenge, metadata discovery with the issuer and
//!   resource checks, client registration, PKCE and state, the token endpoint,
//!   grants and scopes;
//! - `net/`: the one HTTP client and its rules, what may be contacted, the
//!   loopback listener, the validated browser opener;
//! - `vault/`: secrets in the OS keychain and nowhere else, the server list
//!   (no secret in it), and the store that keeps both consistent;
//! - `mcp/`: the engine's MCP client, the status machine, and [`SignInFlow`],
//!   the one sign-in sequence every face drives;
//! - `apps/`: other MCP clients' configs: servers imported from them, and the
//!   apps connected to the bridge.
//!
//! Nothing here knows about Tauri: the desktop shell and the `mcp-auth` command
//! (`crates/mcp-auth-cli`) are faces of this crate, and use only what is
//! re-exported below. Secrets are only ever held in [`Secret`].

mod apps;
mod error;
mod mcp;
mod net;
mod oauth;
mod vault;

pub use error::{Error, ErrorKind, Result};

// oauth/
pub use oauth::authorize::{new_state, AuthorizationRequest, Pkce};
pub use oauth::challenge::BearerChallenge;
pub use oauth::device::DevicePrompt;
pub use oauth::discovery::{discover, discover_with, probe, AuthServerMetadata, Discovery, Probe, ProtectedResource};
pub use oauth::enterprise::IdentityProvider;
pub use oauth::grant::{Clock, FixedClock, Grant, GrantSummary, SystemClock, REFRESH_MARGIN};
pub use oauth::grant_kind::{read_token_file, GrantKind};
pub use oauth::jwt::{SigningAlg, SigningKey};
pub use oauth::registration::{register, AuthMethod, ClientKey, ClientSource, RegisteredClient, RegistrationRequest};
pub use oauth::signin::{Authorizer, ClientConfig, LinkRedirect, PendingSignIn, DEFAULT_SIGN_IN_TIMEOUT};
pub use oauth::token::{TokenEndpoint, TokenResponse};

// net/
pub use net::address::{canonical_resource, check_endpoint, AddressClass};
pub use net::app_socket::{AppAnswer, AppPrompts, AppSocket, Asked, PromptKind};
pub use net::browser::{BrowserUrl, HttpBrowser, LineSource, OpenFuture, Opener, PasteBack, PrintBrowser, SystemBrowser};
pub use net::http::{Body, Fetched, HttpClient, Limits};
pub use net::loopback::{cancel_pair, CancelSignal, Canceller, RedirectTarget};

// vault/
pub use vault::activity::{caller, calling_program, Activity, ActivityEvent};
pub use vault::approval::{
    AllowedProgram, NotAllowed, Program, ANSWER_WAIT as APPROVAL_ANSWER_WAIT, QUESTION_WAIT as APPROVAL_QUESTION_WAIT,
};
pub use vault::keychain::{keychain_vault, keychain_vault_for, KeychainVault};
pub use vault::paths::{config_dir, home_dir};
pub use vault::renewal::{Renewals, Renewed};
pub use vault::secret::Secret;
pub use vault::server_list::{
    ClientEntry, DiscoverySummary, FailedCheck, PendingSignOut, RedirectMode, RefreshOutcome, ServerEntry, ServerList,
};
pub use vault::store::{summary_of, ClearReport, Store};
pub use vault::stored_grant::{RevokeReport, StoredGrant};
pub use vault::stored_session::Overrides;
pub use vault::{ChunkedVault, EntryStore, MemoryEntries, Vault, VaultKey};

// mcp/
pub use mcp::bridge::{run_bridge, MAX_MESSAGE, SIGN_IN_WAIT};
pub use mcp::connect::{
    ConnectStatus, ConnectStep, ConsentFuture, DevicePromptHook, GrantFuture, GrantShelf, OauthDiscovery, Operation, OperationResult,
    Reauthorizations, Reauthorized, ServerSession, SharedRefreshFuture, StepUpConsent, StepUpRequest, ToolView, SUGGESTED_REDIRECT_URI,
};
pub use mcp::doctor::{diagnose, Diagnosis, Step as DiagnosisStep, Verdict as DiagnosisVerdict};
pub use mcp::serve::{run_serve, Platform};
pub use mcp::signin_flow::{Prepared, SignInFlow};

// apps/
pub use apps::import::{scan, Found, ScanError, SourceClient};
pub use apps::link::{write_atomically, AppConfig, ConnectReport, Connection, Connections, Launcher, SharedServers, PLATFORM_ENTRY};

/// The address-class override only test builds have (`test-seams`): tests
/// stand a loopback address in for one on the internet or the local network.
#[cfg(any(test, feature = "test-seams"))]
pub use net::address::seam;

/// The parsers of untrusted input, for the fuzz targets and the benchmarks.
#[doc(hidden)]
pub mod parsers {
    pub use crate::apps::import::{parse as parse_import_config, strip_jsonc};
    pub use crate::mcp::sse::SseParser;
    pub use crate::net::loopback::{judge, judge_query, Expectation, RequestHead};
    pub use crate::oauth::challenge::{parse as parse_challenges, MAX_CHALLENGES, MAX_PARAMS};
    pub use crate::oauth::discovery::{check_resource, parse_auth_server, parse_protected_resource};
    pub use crate::oauth::token::parse_token_json;
}
