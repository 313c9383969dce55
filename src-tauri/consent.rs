//! The step-up prompt. When a server asks for more access in the middle of a
//! sign-in (`403 insufficient_scope`), the engine asks a [`StepUpConsent`]
//! before it opens the browser again; here that means asking the person at
//! the window: a `step-up` event names the added scopes, and the page answers
//! with the `answer_step_up` command. No answer within the sign-in timeout (the engine's), a
//! closed window or a cancelled sign-in count as "no".

use mcp_auth::{ConsentFuture, StepUpConsent, StepUpRequest, DEFAULT_SIGN_IN_TIMEOUT};
use tauri::{AppHandle, Manager, Runtime};

use crate::events::{self, STEP_UP};
use crate::state::AppState;
use crate::views::StepUpAsked;

pub struct AskTheUser<R: Runtime> {
    app: AppHandle<R>,
    flow_id: String,
    server: String,
}

impl<R: Runtime> AskTheUser<R> {
    pub fn new(app: AppHandle<R>, flow_id: &str, server: &str) -> Self {
        AskTheUser { app, flow_id: flow_id.to_string(), server: server.to_string() }
    }
}

impl<R: Runtime> StepUpConsent for AskTheUser<R> {
    fn approve<'a>(&'a self, request: &'a StepUpRequest) -> ConsentFuture<'a> {
        Box::pin(async move {
            let (tx, rx) = tokio::sync::oneshot::channel();
            match self.app.try_state::<AppState>() {
                Some(state) => state.step_ups.lock().unwrap().insert(self.flow_id.clone(), tx),
                None => return false,
            };
            events::emit(
                &self.app,
                STEP_UP,
                StepUpAsked {
                    flow_id: self.flow_id.clone(),
                    server: self.server.clone(),
                    added: request.added.clone(),
                    requested: request.requested.clone(),
                },
            );
            let answer = tokio::time::timeout(DEFAULT_SIGN_IN_TIMEOUT, rx).await;
            if let Some(state) = self.app.try_state::<AppState>() {
                state.step_ups.lock().unwrap().remove(&self.flow_id);
            }
            matches!(answer, Ok(Ok(true)))
        })
    }
}
