//! MCP itself: the client the engine uses for its own calls, the status machine
//! and operations that re-authorize when a server asks, the one sign-in
//! sequence every face drives, the bridge that stands for a remote server on
//! stdio (and whether the program it stands in for may use the sign-in),
//! `serve`, the sign-in platform as an MCP server for agents, and the
//! doctor that checks every step of a sign-in and its use.

mod admission;
pub mod bridge;
pub mod client;
pub mod connect;
pub mod doctor;
pub mod param_headers;
pub mod revision;
pub mod serve;
pub mod signin_flow;
pub mod sse;
pub mod transport;
