//! The commands the UI calls. Each is a few lines: call the engine, map the
//! error, return a view. Long work (a sign-in waiting for the browser) is
//! spawned and reports through events. No command returns a token or secret,
//! except `reveal_token`, called only when the user presses "Reveal".

use std::sync::Arc;

use mcp_auth::{
    cancel_pair, scan, ClientSource, ConnectStatus, HttpClient, KeychainVault, Limits, LinkRedirect, Overrides, Prepared, RedirectMode,
    RedirectTarget, Secret, ServerEntry, ServerList, SignInFlow, SourceClient, Store, SystemClock,
};
use serde::Deserialize;
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;

use crate::error::{CommandError, CommandResult};
use crate::events::{self, PROGRESS, SIGN_IN_FINISHED};
use crate::state::AppState;
use crate::views::*;

fn has_client_secret(list: &ServerList, s: &ServerEntry) -> bool {
    let issuer = s.discovery.as_ref().map(|d| d.issuer.as_str());
    list.clients.iter().any(|c| {
        c.source == ClientSource::Entered
            && c.has_secret
            && Some(c.client_id.as_str()) == s.client_id.as_deref()
            && Some(c.issuer.as_str()) == issuer
    })
}

pub(crate) fn server_view(store: &Store<KeychainVault>, name: &str) -> CommandResult<ServerView> {
    view(store, name)
}

fn view(store: &Store<KeychainVault>, name: &str) -> CommandResult<ServerView> {
    let (list, _) = store.list()?;
    let s = list.find(name).ok_or_else(|| mcp_auth::Error::UnknownServer(name.to_string()))?;
    Ok(ServerView::of(s, has_client_secret(&list, s)))
}

/// The engine's sign-in flow for a stored server, with its stored settings.
pub(crate) fn open_flow(store: &Arc<Store<KeychainVault>>, name: &str) -> CommandResult<SignInFlow<KeychainVault>> {
    let http = HttpClient::new(Limits::default())?;
    Ok(SignInFlow::open(store, name, Overrides::default(), false, http, Arc::new(SystemClock))?)
}

#[tauri::command]
pub fn list_servers(state: State<'_, AppState>) -> CommandResult<Vec<ServerView>> {
    let (list, _notice) = state.store.list()?;
    Ok(list.servers.iter().map(|s| ServerView::of(s, has_client_secret(&list, s))).collect())
}

#[tauri::command]
pub fn add_server(state: State<'_, AppState>, url: String) -> CommandResult<ServerView> {
    let entry = state.store.add(url.trim(), None, &SystemClock)?;
    view(&state.store, &entry.name)
}

/// Discover at once after adding: where does this server stand?
#[tauri::command]
pub async fn discover_server<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, name: String) -> CommandResult<ConnectStatus> {
    let progress = |step: &str| events::emit(&app, PROGRESS, ProgressEvent { server: name.clone(), step: step.into() });
    progress("contacting");
    let mut flow = open_flow(&state.store, &name)?;
    let (hook_app, hook_name) = (app.clone(), name.clone());
    flow.on_progress(Box::new(move |step| {
        events::emit(&hook_app, PROGRESS, ProgressEvent { server: hook_name.clone(), step: step.as_str().into() })
    }));
    let status = flow.discover().await;
    progress("done");
    Ok(status?)
}

#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, name: String, settings: SettingsInput) -> CommandResult<ServerView> {
    let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let redirect_uri = clean(settings.redirect_uri);
    if let Some(uri) = &redirect_uri {
        RedirectTarget::parse(uri)?;
    }
    let mode = match settings.redirect_mode.as_deref() {
        Some("deep_link") => RedirectMode::DeepLink,
        _ => RedirectMode::Loopback,
    };
    state.store.edit(&name, |e| {
        e.client_id = clean(settings.client_id);
        e.redirect_uri = redirect_uri;
        // An empty scope is a choice (ask for none); absent means "suggested".
        e.scope = settings.scope.map(|s| s.trim().to_string());
        e.redirect_mode = mode;
        if let Some(allow) = settings.allow_local_network {
            e.allow_local_network = allow;
        }
        if let Some(ask) = settings.consent_prompt {
            e.consent_prompt = (!ask).then_some(false);
        }
    })?;
    view(&state.store, &name)
}

/// Store a client secret in the keychain. It is never sent back to the page.
#[tauri::command]
pub fn set_client_secret(state: State<'_, AppState>, name: String, secret: String) -> CommandResult<ServerView> {
    let secret = Secret::new(secret);
    let entry = state.store.resolve(&name)?;
    let client_id = entry.client_id.clone().ok_or_else(|| CommandError::input("Enter the client ID first."))?;
    let issuer = entry
        .discovery
        .as_ref()
        .map(|d| d.issuer.clone())
        .ok_or_else(|| CommandError::input("Check the server first, so the secret can be tied to its sign-in service."))?;
    if secret.is_empty() {
        return Err(CommandError::input("The secret is empty."));
    }
    state.store.save_entered_secret(&issuer, &client_id, secret)?;
    view(&state.store, &name)
}

#[tauri::command]
pub fn remove_client_secret(state: State<'_, AppState>, name: String) -> CommandResult<ServerView> {
    let entry = state.store.resolve(&name)?;
    if let (Some(id), Some(d)) = (&entry.client_id, &entry.discovery) {
        state.store.forget_client(&d.issuer, id)?;
    }
    view(&state.store, &name)
}

/// Start a sign-in: returns the URL at once (for "copy the link instead"),
/// opens the browser, and reports the end through `sign-in-finished`.
#[tauri::command]
pub async fn sign_in<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, name: String) -> CommandResult<SignInStarted> {
    let mut flow = open_flow(&state.store, &name)?;
    if flow.entry().redirect_mode == RedirectMode::DeepLink {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        state.links.lock().unwrap().push(tx);
        flow.come_back_through(LinkRedirect { uri: crate::state::LINK_REDIRECT_URI.into(), links: rx });
    }
    let pending = match flow.prepare().await? {
        Prepared::Browser(pending) => pending,
        Prepared::Open { .. } => return Err(CommandError::input("This server does not ask anyone to sign in.")),
        Prepared::NeedsClientConfig(_) => return Err(mcp_auth::Error::NeedsClientConfig { url: flow.entry().url.clone() }.into()),
    };
    let flow_id = mcp_auth::new_state()[..16].to_string();
    let started = SignInStarted { flow_id: flow_id.clone(), auth_url: pending.authorization_url().to_string() };
    let (canceller, cancel) = cancel_pair();
    state.flows.lock().unwrap().insert(flow_id.clone(), canceller);
    state.pages.lock().unwrap().insert(flow_id.clone(), pending.browser_url.clone());
    flow.ask_step_up_with(Arc::new(crate::consent::AskTheUser::new(app.clone(), &flow_id, &name)));
    let opener =
        crate::opening::SayWhenNotOpened { inner: state.opener.clone(), app: app.clone(), flow_id: flow_id.clone(), server: name.clone() };
    tauri::async_runtime::spawn(async move {
        let outcome = flow.finish(pending, &opener, cancel).await;
        sign_in_ended(&app, flow_id, name, outcome);
    });
    Ok(started)
}

/// "Open again": the sign-in page of a flow still waiting, in the browser
/// once more (a window closed by mistake). Only a page the engine checked
/// and a flow started is opened; the page names neither.
#[tauri::command]
pub async fn open_sign_in_again(state: State<'_, AppState>, flow_id: String) -> CommandResult<()> {
    let page = state.pages.lock().unwrap().get(&flow_id).cloned();
    let page = page.ok_or_else(|| CommandError::input("This sign-in is no longer waiting."))?;
    state.opener.open(&page).await?;
    Ok(())
}

/// A sign-in of the app ended (in the browser or on another device): the
/// programs waiting for it are told, and the page gets `sign-in-finished`.
pub(crate) fn sign_in_ended<R: Runtime>(
    app: &AppHandle<R>,
    flow_id: String,
    name: String,
    outcome: mcp_auth::Result<mcp_auth::OperationResult>,
) {
    if let Some(state) = app.try_state::<AppState>() {
        state.flows.lock().unwrap().remove(&flow_id);
        state.pages.lock().unwrap().remove(&flow_id);
        // Bridges waiting for this sign-in read the grant from the vault.
        state.prompts.ended(mcp_auth::PromptKind::SignIn, &name, outcome.is_ok());
    }
    let finished = match outcome {
        Ok(r) => SignInFinished { flow_id, server: name, tools: Some(r.tools), error: None },
        Err(e) => SignInFinished { flow_id, server: name, tools: None, error: Some(e.into()) },
    };
    events::emit(app, SIGN_IN_FINISHED, finished);
}

#[tauri::command]
pub fn cancel_sign_in(state: State<'_, AppState>, flow_id: String) -> CommandResult<()> {
    if let Some(c) = state.flows.lock().unwrap().remove(&flow_id) {
        c.cancel();
    }
    // A step-up prompt of this sign-in, unanswered, counts as a no.
    state.step_ups.lock().unwrap().remove(&flow_id);
    Ok(())
}

/// The user's answer to a step-up prompt (`true`: sign in again with the
/// added scopes; `false`: stop).
#[tauri::command]
pub fn answer_step_up(state: State<'_, AppState>, flow_id: String, approve: bool) -> CommandResult<()> {
    let waiting = state.step_ups.lock().unwrap().remove(&flow_id);
    match waiting {
        Some(tx) => {
            let _ = tx.send(approve);
            Ok(())
        }
        None => Err(CommandError::input("This request is no longer waiting for an answer.")),
    }
}

#[tauri::command]
pub fn server_detail(state: State<'_, AppState>, name: String) -> CommandResult<DetailView> {
    let entry = state.store.resolve(&name)?;
    let grant = state.store.load_grant(&entry)?;
    let claims = grant.as_ref().and_then(|g| crate::jwt::claims(g.access_token.expose()));
    Ok(DetailView { server: view(&state.store, &name)?, token_is_jwt: claims.is_some(), claims })
}

/// What used this server's sign-in lately, newest first (the last 20).
#[tauri::command]
pub fn server_activity(state: State<'_, AppState>, name: String) -> CommandResult<Vec<ActivityView>> {
    let entry = state.store.resolve(&name)?;
    let mut all = state.store.activity();
    let events = all.remove(&entry.name).unwrap_or_default();
    Ok(events.into_iter().rev().take(20).map(|e| ActivityView { at: e.at, what: e.what, by: e.by, detail: e.detail }).collect())
}

/// Diagnose: every step of a sign-in and its use, each with a verdict and
/// what to do (the engine's doctor; it changes nothing).
#[tauri::command]
pub async fn diagnose_server(state: State<'_, AppState>, name: String) -> CommandResult<mcp_auth::Diagnosis> {
    let store = state.store.clone();
    Ok(mcp_auth::diagnose(&store, &name, HttpClient::new(Limits::default())?).await?)
}

#[tauri::command]
pub async fn refresh_server(state: State<'_, AppState>, name: String) -> CommandResult<ServerView> {
    let store = state.store.clone();
    store.refresh_grant(&name, &SystemClock).await?;
    view(&store, &name)
}

#[tauri::command]
pub async fn revoke_server(state: State<'_, AppState>, name: String) -> CommandResult<RevokeView> {
    let store = state.store.clone();
    let r = store.revoke_grant(&name).await?;
    let message = if r.server_confirmed {
        "Signed out at the server, and removed from this computer.".to_string()
    } else if r.kept_for_retry {
        // The pane shows the pending sign-out from the list, with "Try again".
        "Signed out on this computer only.".to_string()
    } else {
        "Signed out on this computer only. This server offers no way to cancel access from here, so it ends when it expires.".to_string()
    };
    Ok(RevokeView { server_confirmed: r.server_confirmed, deleted_locally: r.deleted_locally, message })
}

#[tauri::command]
pub fn clear_server(state: State<'_, AppState>, name: String) -> CommandResult<ServerView> {
    let entry = state.store.resolve(&name)?;
    state.store.clear(&entry)?;
    view(&state.store, &name)
}

#[tauri::command]
pub async fn remove_server(state: State<'_, AppState>, name: String, revoke: bool) -> CommandResult<()> {
    let store = state.store.clone();
    let entry = store.resolve(&name)?;
    if revoke && entry.grant.is_some() {
        // Best effort: the local removal below happens whatever the server says.
        let _ = store.revoke_grant(&name).await;
    }
    // Apps that start the bridge for this server get their own entries back
    // first: the confirmation said so.
    let connections = mcp_auth::Connections::in_dir(store.dir());
    for c in connections.users_of(&name)? {
        connections.disconnect(&c)?;
    }
    let entry = store.resolve(&name)?;
    store.remove(&entry)?;
    Ok(())
}

/// The access token, on an explicit "Reveal" click only.
#[tauri::command]
pub async fn reveal_token(state: State<'_, AppState>, name: String) -> CommandResult<String> {
    let token = state.store.fresh_token(&name, &SystemClock).await?;
    Ok(token.expose().to_string())
}

/// Copy the access token to the clipboard without sending it to the page,
/// concealed from clipboard managers and cleared after a while: how many
/// seconds is the answer, for the page to say.
#[tauri::command]
pub async fn copy_token(state: State<'_, AppState>, name: String) -> CommandResult<u64> {
    let token = state.store.fresh_token(&name, &SystemClock).await?;
    let after = crate::clipboard::clear_after();
    state.clipboard.copy_for_a_while(token.expose(), after)?;
    Ok(after.as_secs())
}

/// Copy text that is no secret (a link, details for IT): the page never
/// holds a token, so a token never comes this way (it is `copy_token`'s).
#[tauri::command]
pub fn copy_text(state: State<'_, AppState>, text: String) -> CommandResult<()> {
    if text.len() > 16 * 1024 {
        return Err(mcp_auth::Error::InvalidInput("that is too long to copy".into()).into());
    }
    state.clipboard.copy(&text)
}

/// The person's own name for a server (empty: back to its address).
#[tauri::command]
pub fn rename_server(state: State<'_, AppState>, name: String, title: String) -> CommandResult<ServerView> {
    let title = title.trim();
    if title.chars().count() > 80 || title.chars().any(char::is_control) {
        return Err(mcp_auth::Error::InvalidInput("a name is at most 80 characters, on one line".into()).into());
    }
    state.store.edit(&name, |e| e.label = (!title.is_empty()).then(|| title.to_string()))?;
    view(&state.store, &name)
}

#[tauri::command]
pub fn import_scan(state: State<'_, AppState>) -> CommandResult<Vec<ImportCandidate>> {
    let home = mcp_auth::home_dir().ok_or_else(|| CommandError::internal("no home directory"))?;
    let (found, _errors) = scan(&SourceClient::ALL, &home, None);
    let (list, _) = state.store.list()?;
    Ok(found
        .into_iter()
        .map(|f| ImportCandidate {
            client: f.client.id().into(),
            client_name: f.client.display_name().into(),
            path: f.path.display().to_string(),
            already_present_as: list.find(&f.url).map(|s| s.name.clone()),
            has_static_bearer: f.bearer.is_some(),
            name: f.name,
            url: f.url,
            credential_headers: f.credential_headers,
        })
        .collect())
}

/// "Show in file": the folder of an app's settings file that keeps a key in
/// plain text, opened in the file manager. The file must be one a scan finds
/// now, for that app, holding a key: the page can make the app open such a
/// folder and nothing else.
#[tauri::command]
pub fn show_config_file(client: String, path: String) -> CommandResult<()> {
    let home = mcp_auth::home_dir().ok_or_else(|| CommandError::internal("no home directory"))?;
    let (found, _errors) = scan(&SourceClient::ALL, &home, None);
    let file = found
        .iter()
        .find(|f| f.client.id() == client && f.path.display().to_string() == path && !f.credential_headers.is_empty())
        .map(|f| f.path.clone())
        .ok_or_else(|| CommandError::internal("that app's settings file is no longer there"))?;
    let folder = file.parent().ok_or_else(|| CommandError::internal("that settings file has no folder"))?;
    open::that_detached(folder).map_err(|e| CommandError::internal(format!("the file manager could not be opened: {e}")))
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ImportChoice {
    pub url: String,
    pub name: String,
    pub client: String,
    /// Move the config's static bearer token into the keychain.
    #[serde(default)]
    pub move_credential: bool,
}

#[tauri::command]
pub fn import_add(state: State<'_, AppState>, choices: Vec<ImportChoice>) -> CommandResult<Vec<ServerView>> {
    let mut added = Vec::new();
    // The tokens are read again here, so they never travel through the page.
    let found = match mcp_auth::home_dir() {
        Some(home) => scan(&SourceClient::ALL, &home, None).0,
        None => Vec::new(),
    };
    for c in choices {
        let (list, _) = state.store.list()?;
        if list.find(&c.url).is_some() {
            continue;
        }
        // A name like another server's URL or host gives way to one made from
        // the server's own host.
        let wish = Some(c.name.as_str()).filter(|n| list.name_problem(n, &c.url).is_none());
        let entry = state.store.add(&c.url, wish, &SystemClock)?;
        state.store.edit(&entry.name, |e| e.imported_from = Some(c.client.clone()))?;
        if c.move_credential {
            let bearer = found.iter().find(|f| f.url == c.url && f.client.id() == c.client).and_then(|f| f.bearer.clone());
            if let Some(token) = bearer {
                state.store.save_static_token(&entry.name, token, &c.client, &SystemClock)?;
            }
        }
        added.push(view(&state.store, &entry.name)?);
    }
    Ok(added)
}

/// Start the built-in demo server (once) and add it to the list.
#[tauri::command]
pub async fn start_demo(state: State<'_, AppState>) -> CommandResult<DemoView> {
    let mut demo = state.demo.lock().await;
    if demo.is_none() {
        *demo = Some(crate::demo::start().await.map_err(|e| CommandError::internal(e.to_string()))?);
    }
    let url = demo.as_ref().map(|d| d.mcp_url.clone()).unwrap_or_default();
    let (list, _) = state.store.list()?;
    let name = (!list.servers.iter().any(|s| s.name == "Demo server")).then_some("Demo server");
    let entry = state.store.add(&url, name, &SystemClock)?;
    Ok(DemoView { url, server: view(&state.store, &entry.name)? })
}
