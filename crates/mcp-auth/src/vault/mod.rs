//! What is kept across runs, and where. Two stores with one boundary each:
//!
//! - secrets go to the OS keychain only: [`Secret`](secret::Secret) holds them in
//!   memory, [`chunked`] splits long values over keychain entries, [`keychain`]
//!   is the platform's store (through `keyring-core`), [`records`] is the
//!   one place a grant or a client becomes JSON, and only for the keychain;
//! - everything else goes to the server list, a file with no secret in it
//!   ([`server_list`], in the folder [`paths`] finds).
//!
//! [`store`] keeps the two consistent; [`stored_session`] turns a stored server
//! into a live session and back, and [`stored_grant`] hands out, refreshes
//! (under the one cross-process lock) and revokes a stored grant; [`renewal`]
//! renews the grants in use ahead of their expiry while the app runs.
//! [`activity`] records what used each sign-in; [`approval`] asks the person
//! before a program not seen before uses one.

pub mod activity;
pub mod approval;
pub mod chunked;
pub mod keychain;
pub mod paths;
mod records;
pub mod renewal;
pub mod secret;
pub mod server_list;
pub mod store;
pub mod stored_grant;
pub mod stored_session;

pub use chunked::{ChunkedVault, EntryStore, MemoryEntries, Vault, VaultKey, SERVICE};
