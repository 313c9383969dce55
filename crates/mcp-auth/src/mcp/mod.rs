//! MCP itself: the client the engine uses for its own calls, the status machine
//! and operations that re-authorize when a server asks, and the one sign-in
//! sequence every face drives.

pub mod client;
pub mod connect;
pub mod signin_flow;
