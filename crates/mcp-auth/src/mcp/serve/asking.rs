//! Asking the person, not the agent: whatever `serve` must not decide on an
//! agent's word (adding a server to the list) or must not learn through a
//! chat (a client secret), and the sign-in link the person has to open.
//!
//! Where the person is asked, first choice first:
//! - in MCP Auth Manager's window, when the app runs (the app socket): the
//!   person sees the address and answers there;
//! - through the agent's own client, by MCP elicitation, when the client
//!   declares it (2025-11-25: a form, a URL to open). Clients of the
//!   2026-07-28 revision get no server-to-client request (that revision puts
//!   such questions into the tool's answer), so they get the plain answers;
//! - otherwise the tool's answer says what the person must do.

use std::time::Duration;

use rmcp::model::{ElicitRequestParams, ElicitationAction, ElicitationSchema, ProtocolVersion};
use rmcp::service::{ElicitationMode, Peer};
use rmcp::RoleServer;

use crate::net::app_socket::{AppAnswer, AppSocket, PromptKind};

/// How long a question to the person may take: they read, decide, click.
const ANSWER_WAIT: Duration = Duration::from_secs(120);

/// Whether the client takes elicitations of `mode` (and may be sent requests).
fn can_ask(peer: &Peer<RoleServer>, mode: ElicitationMode) -> bool {
    let before_2026 = peer.peer_info().is_some_and(|i| i.protocol_version < ProtocolVersion::V_2026_07_28);
    before_2026 && peer.supported_elicitation_modes().contains(&mode)
}

/// How the person answered a request to add `url` to the list.
pub(super) enum Agreement {
    /// Added, in the app (the list has it now), or agreed through the client.
    Added,
    /// Agreed through the agent's client: the caller adds it.
    Agreed,
    Refused,
    /// Nobody could be asked.
    Unasked,
}

pub(super) async fn agree_to_add(app: &AppSocket, peer: Option<&Peer<RoleServer>>, url: &str) -> Agreement {
    match app.ask(PromptKind::AddServer, url, Some(ANSWER_WAIT)).await {
        AppAnswer::Yes => return Agreement::Added,
        AppAnswer::No => return Agreement::Refused,
        AppAnswer::NotRunning => {}
    }
    let Some(peer) = peer.filter(|p| can_ask(p, ElicitationMode::Form)) else { return Agreement::Unasked };
    let Ok(schema) = ElicitationSchema::builder().required_bool("add").build() else { return Agreement::Unasked };
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: format!(
            "An AI agent asks to add {url} to your MCP servers in MCP Auth Manager, to connect you to it. Add it only if you know this address and meant to use it."
        ),
        requested_schema: schema,
    };
    match peer.create_elicitation_with_timeout(params, Some(ANSWER_WAIT)).await {
        Ok(r) if matches!(r.action, ElicitationAction::Accept) && r.content.as_ref().is_some_and(|c| c["add"] == true) => Agreement::Agreed,
        Ok(_) => Agreement::Refused,
        Err(_) => Agreement::Unasked,
    }
}

/// Have the client open the sign-in link (URL-mode elicitation); true when
/// the person agreed to open it.
pub(super) async fn open_link(peer: Option<&Peer<RoleServer>>, server: &str, url: &str) -> bool {
    let Some(peer) = peer.filter(|p| can_ask(p, ElicitationMode::Url)) else { return false };
    let params = ElicitRequestParams::UrlElicitationParams {
        meta: None,
        message: format!(
            "Sign in to {server}: your browser opens its sign-in page. MCP Auth Manager keeps the sign-in in your keychain; nothing you type there reaches the chat."
        ),
        url: url.to_string(),
        elicitation_id: crate::oauth::authorize::new_state()[..16].to_string(),
    };
    matches!(
        peer.create_elicitation_with_timeout(params, Some(ANSWER_WAIT)).await,
        Ok(r) if matches!(r.action, ElicitationAction::Accept)
    )
}

/// Have the app ask the person for `server`'s client secret in its settings;
/// true when the app shows the form.
pub(super) async fn secret_in_app(app: &AppSocket, server: &str) -> bool {
    app.ask(PromptKind::ClientSecret, server, None).await == AppAnswer::Yes
}
