//! `connect_to_mcp_server` and `clear_mcp_auth`: the platform flow's two steps
//! over the engine's [`SignInFlow`].
//!
//! A `requires_auth` answer leaves the flow waiting in a task of this process,
//! its loopback listener open; the next call for that server reads how it
//! ended (`success` once the browser came back) instead of starting another.
//! Values the agent gives are kept as the server's settings, a client secret
//! in the keychain only; an answer never repeats a secret.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use super::asking::{self, Agreement};
use super::platform_tools::ConnectArgs;
use super::{NoSignInHere, Platform};
use crate::error::Error;
use crate::mcp::connect::{ConnectStatus, Operation, OperationResult};
use crate::mcp::signin_flow::Prepared;
use crate::net::address::canonical_resource;
use crate::net::loopback::{cancel_pair, Canceller, RedirectTarget};
use crate::vault::server_list::ServerEntry;
use crate::vault::stored_session::Overrides;
use crate::vault::Vault;

/// A sign-in waiting for the browser, by server name.
#[derive(Default)]
pub(super) struct SignIns(Mutex<HashMap<String, Waiting>>);

type Outcome = Option<std::result::Result<OperationResult, String>>;

struct Waiting {
    auth_url: String,
    /// Set by the task when the sign-in ends.
    outcome: watch::Receiver<Outcome>,
    canceller: Canceller,
}

/// How long a call waits for a sign-in under way to end before answering
/// `requires_auth` again: once the browser has come back, the code exchange
/// and the first `tools/list` take well under this, so the call made after the
/// user says "done" answers `success`.
const ENDING_WAIT: Duration = Duration::from_secs(5);

/// How long a call whose link the client opened waits for the sign-in to end
/// (under the 60 s a client usually gives a request).
const LINK_WAIT: Duration = Duration::from_secs(45);

/// One of the four answers, as `mcp-auth connect` prints them, with the
/// skill's `helpfulSkills` where the flow names it.
fn answer(status: ConnectStatus) -> Value {
    let mut v = serde_json::to_value(&status).expect("a status serializes");
    if matches!(status, ConnectStatus::RequiresAuth { .. } | ConnectStatus::Error { .. }) {
        v["helpfulSkills"] = json!([]);
    }
    v
}

fn error(server_name: &str, message: impl Into<String>) -> Value {
    answer(ConnectStatus::Error { server_name: server_name.to_string(), error: message.into() })
}

/// The server an agent named: a name of the list, or a URL of one. `Err` is a
/// tool error (input that names nothing); `Ok(Err)` an answer to give. A URL
/// not in the list is added only when the person agrees (`may_add`).
async fn resolve<V: Vault + 'static>(
    platform: &Platform<V>,
    given: &str,
    may_add: bool,
) -> std::result::Result<std::result::Result<ServerEntry, Value>, String> {
    match platform.store.resolve(given) {
        Ok(entry) => Ok(Ok(entry)),
        Err(Error::UnknownServer(_)) if given.contains("://") => {
            let url = canonical_resource(given).map_err(|e| format!("serverName {given:?} is not a URL this app will use: {e}"))?;
            if !may_add {
                return Ok(Err(error(given, format!("{url} is not in the user's list of MCP servers"))));
            }
            let peer = platform.peer.lock().unwrap().clone();
            let added = match asking::agree_to_add(&platform.app, peer.as_ref(), &url).await {
                Agreement::Added => platform.store.resolve(&url),
                Agreement::Agreed => platform.store.add(&url, None, platform.clock.as_ref()),
                Agreement::Refused => {
                    return Ok(Err(error(given, format!("The user chose not to add {url} to their MCP servers."))));
                }
                Agreement::Unasked => {
                    return Ok(Err(error(
                        given,
                        format!("{url} is not in the user's list of MCP servers. Ask the user to add it in MCP Auth Manager (Add server), then call connect_to_mcp_server again"),
                    )))
                }
            };
            Ok(added
                .inspect(|e| platform.record(&e.name, "agent_added_server", Some(e.url.clone())))
                .map_err(|e| error(given, e.to_string())))
        }
        Err(Error::UnknownServer(_)) => {
            Err(format!("serverName {given:?} is neither a server of the user's list (see list_mcp_servers) nor a URL"))
        }
        Err(e) => Ok(Err(error(given, e.to_string()))),
    }
}

/// Where a sign-in that was waiting for the browser stands after `wait`.
enum Standing {
    /// It ended: the answer to give.
    Ended(Value),
    /// Still waiting, with its link (left waiting).
    Waiting(String),
    /// None was waiting.
    None,
}

async fn standing<V: Vault + 'static>(platform: &Platform<V>, name: &str, wait: Duration) -> Standing {
    let Some(mut w) = platform.sign_ins.0.lock().unwrap().remove(name) else { return Standing::None };
    let ended = match tokio::time::timeout(wait, w.outcome.wait_for(Option::is_some)).await {
        Ok(Ok(ended)) => ended.clone(),
        // The task ended without a word (it cannot, short of a panic).
        Ok(Err(_)) => Some(Err("the sign-in stopped".to_string())),
        Err(_) => None,
    };
    match ended {
        Some(Ok(r)) => {
            platform.record(name, "agent_signed_in", None);
            platform.tools_changed().await;
            Standing::Ended(answer(ConnectStatus::Success { server_name: name.to_string(), tools: r.tools }))
        }
        Some(Err(e)) => Standing::Ended(error(name, e)),
        None => {
            let url = w.auth_url.clone();
            platform.sign_ins.0.lock().unwrap().insert(name.to_string(), w);
            Standing::Waiting(url)
        }
    }
}

pub(super) async fn connect<V: Vault + 'static>(platform: &Platform<V>, args: ConnectArgs) -> std::result::Result<Value, String> {
    let entry = match resolve(platform, &args.server_name, true).await? {
        Ok(e) => e,
        Err(answer) => return Ok(answer),
    };
    let name = entry.name.clone();
    if let Some(uri) = &args.redirect_uri {
        RedirectTarget::parse(uri).map_err(|e| format!("redirectUri: {e}"))?;
    }
    let changes = args.client_id.is_some() || args.redirect_uri.is_some() || args.scope.is_some() || args.client_secret.is_some();
    if changes {
        let kept = platform.store.edit(&name, |e| {
            if let Some(id) = &args.client_id {
                e.client_id = Some(id.clone());
            }
            if let Some(uri) = &args.redirect_uri {
                e.redirect_uri = Some(uri.clone());
            }
            if let Some(scope) = &args.scope {
                e.scope = Some(scope.clone());
            }
        });
        if let Err(e) = kept {
            return Ok(error(&name, e.to_string()));
        }
    }

    // A sign-in already waiting for the browser: how did it end? Still
    // waiting, and nothing new to sign in with: the same link.
    match standing(platform, &name, ENDING_WAIT).await {
        Standing::Ended(answer) => return Ok(answer),
        Standing::Waiting(auth_url) if !changes => {
            return Ok(answer(ConnectStatus::RequiresAuth { server_name: name, auth_type: "oauth2", auth_url }));
        }
        Standing::Waiting(_) => {
            if let Some(w) = platform.sign_ins.0.lock().unwrap().remove(&name) {
                w.canceller.cancel();
            }
        }
        Standing::None => {}
    }

    let given = Overrides { client_secret: args.client_secret.clone(), ..Overrides::default() };
    let mut flow = match platform.flow(&name, given) {
        Ok(f) => f,
        Err(e) => return Ok(error(&name, e.to_string())),
    };
    // A grant held: use it (refreshed when due); a new sign-in only if refused.
    if flow.session().grant.is_some() {
        let refusing = NoSignInHere::default();
        let (_, cancel) = cancel_pair();
        match flow.perform(&Operation::ListTools, &refusing, cancel).await {
            Ok(r) => return Ok(answer(ConnectStatus::Success { server_name: name, tools: r.tools })),
            Err(_) if refusing.asked() => {}
            Err(e) => return Ok(error(&name, e.to_string())),
        }
    }
    let prepared = flow.prepare().await;
    // No metadata anywhere: only the 2025-03-26 default endpoints were left to
    // try, so how to sign in is not known.
    let undiscovered = flow.session().discovery.as_ref().is_some_and(|d| d.protected_resource.is_none() && !d.auth_server.from_document);
    if let (Some(secret), Ok(entry)) = (&args.client_secret, platform.store.resolve(&name)) {
        // Bound to the authorization server discovery found, for this client id.
        if let (Some(issuer), Some(client_id)) = (entry.discovery.as_ref().map(|d| d.issuer.clone()), entry.client_id.clone()) {
            if let Err(e) = platform.store.save_entered_secret(&issuer, &client_id, secret.clone()) {
                return Ok(error(&name, e.to_string()));
            }
        }
    }
    Ok(match prepared {
        Ok(Prepared::Open { tools, .. }) => answer(ConnectStatus::Success { server_name: name, tools }),
        Ok(Prepared::NeedsClientConfig(oauth_discovery)) => {
            let needs_secret = oauth_discovery.needs_client_secret && args.client_secret.is_none();
            let mut v = answer(ConnectStatus::RequiresOauthConfig { server_name: name.clone(), auth_type: "oauth2", oauth_discovery });
            if needs_secret {
                // A secret typed into a chat reaches the model's provider: the
                // app asks for it in its own settings form instead.
                v["note"] = json!(if asking::secret_in_app(&platform.app, &name).await {
                    "This server's sign-in service needs a client id and a client secret. MCP Auth Manager is asking the user for them in its own window; do not ask for the secret in the chat. Call connect_to_mcp_server again once the user has entered them."
                } else {
                    "This server's sign-in service needs a client id and a client secret. Ask the user to enter them in MCP Auth Manager's settings for this server (a secret typed into the chat reaches the model's provider), then call connect_to_mcp_server again."
                });
            }
            v
        }
        Ok(Prepared::Browser(pending)) => {
            let auth_url = pending.authorization_url().to_string();
            let (ends, outcome) = watch::channel(None);
            let (canceller, cancel) = cancel_pair();
            platform.sign_ins.0.lock().unwrap().insert(name.clone(), Waiting { auth_url: auth_url.clone(), outcome, canceller });
            platform.record(&name, "agent_started_sign_in", None);
            let opener = platform.opener.clone();
            tokio::spawn(async move {
                let ended = flow.finish(pending, opener.as_ref(), cancel).await;
                let _ = ends.send(Some(ended.map_err(|e| e.to_string())));
            });
            // A client that opens links itself (URL-mode elicitation): once the
            // person agreed, wait for the browser to come back, and this call
            // can answer success.
            let peer = platform.peer.lock().unwrap().clone();
            if asking::open_link(peer.as_ref(), &name, &auth_url).await {
                if let Standing::Ended(answer) = standing(platform, &name, LINK_WAIT).await {
                    return Ok(answer);
                }
            }
            answer(ConnectStatus::RequiresAuth { server_name: name, auth_type: "oauth2", auth_url })
        }
        // The server asks for authorization, and says nowhere how.
        Err(Error::NoAuthorizationServer { .. }) => unknown_auth(name),
        Err(_) if undiscovered => unknown_auth(name),
        Err(e) => error(&name, e.to_string()),
    })
}

fn unknown_auth(server_name: String) -> Value {
    let mut v = answer(ConnectStatus::RequiresAuth { server_name, auth_type: "unknown", auth_url: String::new() });
    v["authUrl"] = Value::Null;
    v
}

pub(super) async fn clear<V: Vault + 'static>(platform: &Platform<V>, given: &str) -> std::result::Result<Value, String> {
    let entry = match resolve(platform, given, false).await? {
        Ok(e) => e,
        Err(answer) => return Ok(answer),
    };
    if let Some(w) = platform.sign_ins.0.lock().unwrap().remove(&entry.name) {
        w.canceller.cancel();
    }
    let revoked = match entry.grant {
        Some(_) => match platform.store.revoke_grant(&entry.name).await {
            Ok(r) => Some(r),
            Err(Error::NotSignedIn { .. }) => None,
            Err(e) => return Ok(error(&entry.name, e.to_string())),
        },
        None => None,
    };
    let entry = platform.store.resolve(&entry.name).map_err(|e| e.to_string())?;
    let cleared = platform.store.clear(&entry).map_err(|e| e.to_string())?;
    let at_server = match &revoked {
        Some(r) if r.server_confirmed => "revoked at the server",
        Some(_) => "the server did not confirm the revocation",
        None => "no sign-in was held",
    };
    platform.record(&entry.name, "agent_cleared", Some(at_server.to_string()));
    Ok(json!({
        "status": "cleared",
        "serverName": entry.name,
        "tokensDeleted": cleared.tokens_deleted || revoked.as_ref().is_some_and(|r| r.deleted_locally),
        "revokedAtServer": revoked.as_ref().is_some_and(|r| r.server_confirmed),
        "revocationNote": revoked.as_ref().and_then(|r| r.server_message.clone()),
        "clientsDeleted": cleared.clients_deleted,
        "settingsReset": true,
    }))
}
