//! "Sign in on another device": for a server whose sign-in service offers the
//! device grant (RFC 8628), the app shows a code and a page; the person opens
//! the page on their phone or another computer and enters the code, and the
//! engine waits for the approval. For when this computer's browser cannot be
//! used (a locked-down work browser, a sign-in that needs a phone).

use std::sync::Arc;

use mcp_auth::{cancel_pair, DevicePrompt, Operation, PrintBrowser};
use tauri::{AppHandle, Runtime, State};

use crate::commands::{open_flow, sign_in_ended};
use crate::error::CommandResult;
use crate::events::{self, DEVICE_CODE};
use crate::state::AppState;
use crate::views::{DeviceCodeShown, DeviceSignInStarted};

/// Start a device sign-in: the code arrives as `device-code`, the end as
/// `sign-in-finished` (cancel with `cancel_sign_in`).
#[tauri::command]
pub async fn sign_in_on_device<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
) -> CommandResult<DeviceSignInStarted> {
    let mut flow = open_flow(&state.store, &name)?;
    let flow_id = mcp_auth::new_state()[..16].to_string();
    let (handle, id, server) = (app.clone(), flow_id.clone(), name.clone());
    flow.sign_in_on_another_device(Arc::new(move |p: &DevicePrompt| {
        events::emit(
            &handle,
            DEVICE_CODE,
            DeviceCodeShown {
                flow_id: id.clone(),
                server: server.clone(),
                user_code: p.user_code.clone(),
                verification_uri: p.verification_uri.clone(),
                verification_uri_complete: p.verification_uri_complete.clone(),
                expires_in: u32::try_from(p.expires_in).unwrap_or(u32::MAX),
            },
        );
    }));
    flow.ask_step_up_with(Arc::new(crate::consent::AskTheUser::new(app.clone(), &flow_id, &name)));
    let (canceller, cancel) = cancel_pair();
    state.flows.lock().unwrap().insert(flow_id.clone(), canceller);
    let started = DeviceSignInStarted { flow_id: flow_id.clone() };
    tauri::async_runtime::spawn(async move {
        // Nothing is opened on this computer: the page is on the other device.
        let nowhere = PrintBrowser(|_: &str| {});
        let outcome = flow.sign_in_then(&Operation::ListTools, &nowhere, cancel).await;
        sign_in_ended(&app, flow_id, name, outcome);
    });
    Ok(started)
}
