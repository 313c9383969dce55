//! Whether the program a bridge stands in for may use the server's sign-in,
//! where the server asks before a new program uses it (see
//! [`approval`](crate::vault::approval)).
//!
//! The question goes to the app once per bridge and stays up there for
//! [`QUESTION_WAIT`]; each request waits for the answer at most
//! [`SIGN_IN_WAIT`], as it would for a sign-in, then gets an error saying what
//! to do, and the one after the person's yes goes through. A no holds for the
//! bridge's life (the app that started it is told so on each request, and is
//! asked again when it starts the bridge again); with no app running, the next
//! request asks again.

use std::sync::Arc;

use tokio::sync::watch;

use crate::error::Error;
use crate::mcp::bridge::SIGN_IN_WAIT;
use crate::vault::approval::{NotAllowed, Program, QUESTION_WAIT};
use crate::vault::store::Store;
use crate::vault::Vault;

#[derive(Clone, Debug, PartialEq)]
enum State {
    /// Not asked yet, or asked and to be asked again (no app, no answer).
    Unasked,
    Asking,
    Allowed,
    /// The person said no: what to tell the client.
    Refused(String),
}

/// One bridge's admission: the program, and what the person said of it.
pub(crate) struct Admission<V: Vault + 'static> {
    store: Arc<Store<V>>,
    server: String,
    program: Program,
    state: Arc<watch::Sender<State>>,
    /// Why the last question came to nothing, for the requests that waited on it.
    last_failure: Arc<std::sync::Mutex<Option<String>>>,
}

impl<V: Vault + 'static> Admission<V> {
    /// `listed`: the server is in the list (a bridge started for a URL the
    /// list does not have has nothing that asks).
    pub(crate) fn new(store: Arc<Store<V>>, server: &str, program: Program, listed: bool) -> Self {
        Admission {
            store,
            server: server.to_string(),
            program,
            state: Arc::new(watch::Sender::new(if listed { State::Unasked } else { State::Allowed })),
            last_failure: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Ok when the program may use the sign-in (at once, where the server
    /// does not ask); otherwise the words for the client.
    pub(crate) async fn admitted(&self) -> std::result::Result<(), String> {
        if *self.state.borrow() == State::Allowed {
            return Ok(());
        }
        let mut watching = self.state.subscribe();
        let asked_now = self.state.send_if_modified(|s| match s {
            State::Unasked => {
                *s = State::Asking;
                true
            }
            _ => false,
        });
        if asked_now {
            self.ask();
        }
        let settled = tokio::time::timeout(SIGN_IN_WAIT, watching.wait_for(|s| *s != State::Asking)).await;
        match settled {
            Ok(Ok(state)) => match &*state {
                State::Allowed => Ok(()),
                State::Refused(why) => Err(why.clone()),
                // The question came to nothing (no app, no answer): say why;
                // the next request asks again.
                _ => Err(self.last_failure.lock().unwrap().clone().unwrap_or_else(|| self.waiting_words())),
            },
            _ => Err(self.waiting_words()),
        }
    }

    fn waiting_words(&self) -> String {
        Error::ProgramNotAllowed { server: self.server.clone(), program: self.program.words(), why: NotAllowed::Unanswered }.to_string()
    }

    /// Put the question to the person, in a task of its own: it outlives the
    /// request that asked.
    fn ask(&self) {
        let (store, server, program) = (self.store.clone(), self.server.clone(), self.program.clone());
        let (state, last_failure) = (self.state.clone(), self.last_failure.clone());
        tokio::spawn(async move {
            let next = match store.admit(&server, &program, QUESTION_WAIT).await {
                Ok(()) => State::Allowed,
                Err(e @ Error::ProgramNotAllowed { why: NotAllowed::Declined, .. }) => State::Refused(e.to_string()),
                Err(e) => {
                    eprintln!("mcp-auth bridge: {e}");
                    *last_failure.lock().unwrap() = Some(e.to_string());
                    State::Unasked
                }
            };
            state.send_replace(next);
        });
    }
}
