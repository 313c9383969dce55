//! OAuth 2.1 as an MCP client speaks it: the server's challenge, metadata
//! discovery with the issuer and resource checks, client registration, the
//! authorization request (PKCE, state), the device grant for a browser on
//! another device, the grants no person attends (client credentials,
//! enterprise-managed, workload identity) and the assertions they sign, the
//! token endpoint (the standard grants built by the `oauth2` crate and carried
//! by the engine's HTTP client, `carrier`), the grant it yields and whose account it names, and the scope choice. Nothing here stores anything or knows MCP's
//! transport.

pub mod account;
pub mod authorize;
mod carrier;
pub mod challenge;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod enterprise;
pub mod grant;
pub mod grant_kind;
pub mod jwt;
pub mod registration;
pub mod scope;
pub mod signin;
pub mod token;
