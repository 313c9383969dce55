//! The MCP Auth Manager engine: a headless OAuth 2.1 client for MCP servers.
//!
//! It does the whole MCP authorization dance the way the specification (2025-11-25
//! and the 2026-07-28 revision) asks a client to: probe the server and parse its
//! challenge ([`challenge`]), discover protected-resource and authorization-server
//! metadata with the issuer and resource checks ([`discovery`]), obtain a client
//! identity ([`registration`]), run the authorization-code flow with PKCE through
//! the system browser and a loopback listener ([`authorize`], [`browser`],
//! [`loopback`], [`signin`]), exchange, refresh and revoke tokens ([`token`],
//! [`grant`]), and verify the result over MCP ([`mcp`], [`connect`]). What the
//! user signed in to is remembered across runs: secrets in the OS keychain
//! ([`vault`], [`keychain`]), everything else in a server list with no secret
//! in it ([`servers`], [`store`]); [`credential`] hands fresh tokens to other
//! programs.
//!
//! Nothing here knows about Tauri: the desktop shell and the `mcp-auth` command
//! are two faces of this crate. Secrets are only ever held in [`Secret`].

pub mod address;
pub mod authorize;
pub mod browser;
pub mod challenge;
pub mod connect;
pub mod credential;
pub mod discovery;
mod error;
pub mod grant;
pub mod http;
pub mod import;
pub mod keychain;
pub mod loopback;
pub mod mcp;
pub mod paths;
mod records;
pub mod registration;
pub mod saved;
pub mod scope;
mod secret;
#[cfg(target_os = "linux")]
mod secret_service;
pub mod servers;
pub mod signin;
pub mod store;
pub mod token;
pub mod vault;

pub use browser::{BrowserUrl, HttpBrowser, Opener, PrintBrowser, SystemBrowser};
pub use challenge::BearerChallenge;
pub use connect::{ConnectStatus, ConnectStep, ConsentFuture, OauthDiscovery, Operation, OperationResult, ServerSession, StepUpConsent, StepUpRequest, ToolView};
pub use discovery::{discover, AuthServerMetadata, Discovery, Probe, ProtectedResource};
pub use error::{Error, ErrorKind, Result};
pub use grant::{Clock, FixedClock, Grant, GrantSummary, SystemClock};
pub use http::{HttpClient, Limits};
pub use loopback::{cancel_pair, CancelSignal, Canceller, RedirectTarget};
pub use registration::{AuthMethod, ClientSource, RegisteredClient};
pub use secret::Secret;
pub use signin::{Authorizer, ClientConfig, PendingSignIn};
pub use store::Store;
pub use vault::{Vault, VaultKey};
