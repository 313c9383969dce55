//! The shell's one error type: what a command returns to the UI when it fails.
//!
//! The UI branches on `kind` (the engine's typed [`ErrorKind`]), shows `message`
//! (plain words for a non-technical user) and keeps `detail` (the engine's
//! technical sentence: endpoint, status, OAuth error code) behind a toggle.
//! Neither field can carry a secret: engine errors never contain one.

use mcp_auth::ErrorKind;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[ts(export)]
#[error("{message}")]
pub struct CommandError {
    #[ts(type = "string")]
    pub kind: ErrorKind,
    pub message: String,
    pub detail: Option<String>,
}

/// Plain words for each kind of failure.
fn plain(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Network => "The server could not be reached. Check the address and your connection.",
        ErrorKind::InvalidResponse => "The server answered in a way the app could not use.",
        ErrorKind::UnsafeUrl => "The server gave an address the app will not open, for your safety.",
        ErrorKind::Untrusted => "The server's setup does not pass the safety checks, so the app stopped.",
        ErrorKind::NeedsClientConfig => "This server needs a client ID from its provider before you can sign in.",
        ErrorKind::ClientRejected => "The sign-in service did not accept the client ID or secret. Check them in Settings.",
        ErrorKind::NeedsSignIn => "You need to sign in (again) to this server.",
        ErrorKind::Cancelled => "The sign-in was cancelled.",
        ErrorKind::TimedOut => "The sign-in took too long and was stopped.",
        ErrorKind::Local => "Something on this computer got in the way (a busy port or no browser).",
        ErrorKind::Scope => "The server asked for permissions that could not be granted.",
        ErrorKind::Server => "The server reported an error.",
        ErrorKind::InvalidInput => "Please check what you entered.",
        ErrorKind::Keychain => "The system keychain is not available. Unlock it (or start it) and try again.",
        ErrorKind::Storage => "The app's saved list had a problem.",
        ErrorKind::StaticCredential => "That app keeps a saved key for this server in its settings file.",
        _ => "Something went wrong.",
    }
}

impl From<mcp_auth::Error> for CommandError {
    fn from(e: mcp_auth::Error) -> Self {
        let kind = e.kind();
        CommandError { kind, message: plain(kind).to_string(), detail: Some(e.to_string()) }
    }
}

impl CommandError {
    pub fn input(message: impl Into<String>) -> Self {
        CommandError { kind: ErrorKind::InvalidInput, message: message.into(), detail: None }
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        CommandError { kind: ErrorKind::Local, message: "Something went wrong inside the app.".into(), detail: Some(detail.into()) }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
