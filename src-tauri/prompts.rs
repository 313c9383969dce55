//! What other programs ask the person through the app: a bridge that needs a
//! sign-in (no grant, or a refused refresh), an agent (through `mcp-auth
//! serve`) that wants a server added or needs a client secret typed into the
//! app rather than into a chat. They ask through the engine's app socket, and
//! the app shows the prompt in its own window.
//!
//! The engine keeps the waiters and says when to show a prompt (once, however
//! many programs wait for it); this file brings the window forward, tells the
//! page, and passes on the person's answer: a sign-in's end (see
//! `commands::sign_in`), "Add" or "Don't add", "Not now", "Allow" or "Don't
//! allow" a program (the allowance is written before the program is told).

use mcp_auth::{canonical_resource, AppSocket, Asked, PromptKind, SystemClock};
use tauri::{AppHandle, State};

use crate::error::{CommandError, CommandResult};
use crate::events::{self, PROMPT_ASKED};
use crate::state::AppState;
use crate::views::PromptAsked;

/// The most questions from programs kept for the page at once.
const MAX_PROGRAMS_ASKING: usize = 20;

/// Listen on the app socket of this store's config directory. A socket the app
/// cannot open only costs the prompts: bridges then open the browser
/// themselves, and agents are told to use the app.
pub fn listen(app: &AppHandle, state: &AppState) {
    let (store, prompts, programs_asking) = (state.store.clone(), state.prompts.clone(), state.programs_asking.clone());
    let (alerts, titles) = (state.alerts.clone(), state.store.clone());
    let socket = AppSocket::for_config_dir(store.dir());
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let known = move |kind: PromptKind, subject: &str| match kind {
            PromptKind::SignIn | PromptKind::ClientSecret => store.resolve(subject).is_ok(),
            // Only where the person asked to be asked.
            PromptKind::NewProgram => store.resolve(subject).is_ok_and(|s| s.ask_before_new_program),
            // A URL this app would use, not in the list yet.
            PromptKind::AddServer => canonical_resource(subject).is_ok() && store.resolve(subject).is_err(),
        };
        let show = move |asked: &Asked| {
            if asked.kind == PromptKind::NewProgram {
                let mut asking = programs_asking.lock().unwrap();
                if !asking.contains(asked) {
                    // However many programs ask, the page shows a bounded
                    // number of questions: the oldest go (their programs
                    // hear nothing and ask again).
                    if asking.len() >= MAX_PROGRAMS_ASKING {
                        asking.remove(0);
                    }
                    asking.push(asked.clone());
                }
            }
            crate::redirect::on_second_instance(&handle);
            events::emit(&handle, PROMPT_ASKED, PromptAsked::of(asked));
            let title = titles.resolve(&asked.subject).map(|s| crate::views::title_of(&s)).unwrap_or_else(|_| asked.subject.clone());
            if let Some(words) = crate::alerts::prompt_words(asked, &title) {
                alerts.lock().unwrap().tell(
                    &handle,
                    &asked.subject,
                    crate::alerts::Topic::Question,
                    words,
                    mcp_auth::Clock::now(&SystemClock),
                );
            }
        };
        if let Err(e) = prompts.listen(&socket, known, show).await {
            eprintln!("MCP Auth Manager: other programs cannot ask through this app ({e})");
        }
    });
}

/// The prompts programs wait for (for a page that loads after they were
/// asked), and the programs that asked and have no answer yet.
#[tauri::command]
pub fn prompts_waiting(state: State<'_, AppState>) -> CommandResult<Vec<PromptAsked>> {
    let mut prompts = state.prompts.waiting();
    for asked in state.programs_asking.lock().unwrap().iter() {
        if !prompts.contains(asked) {
            prompts.push(asked.clone());
        }
    }
    Ok(prompts.iter().map(PromptAsked::of).collect())
}

/// The person's answer to a prompt: the programs waiting are told.
#[tauri::command]
pub fn answer_prompt(state: State<'_, AppState>, kind: PromptKind, subject: String, yes: bool) -> CommandResult<()> {
    state.prompts.ended(kind, &subject, yes);
    Ok(())
}

/// The person's answer to a program that asks to use `server`'s sign-in
/// (`key` names which, among those waiting). A yes is kept with the server's
/// settings first, so the program finds it when it is told.
#[tauri::command]
pub fn answer_program(state: State<'_, AppState>, server: String, key: String, yes: bool) -> CommandResult<()> {
    // The program as it asked (never as the page names it), even if it
    // stopped waiting: the answer holds for its next request.
    let asked = {
        let asking = state.programs_asking.lock().unwrap();
        let found = asking.iter().find(|a| a.subject == server && a.program.as_ref().is_some_and(|p| p.key() == key));
        found
            .cloned()
            .ok_or_else(|| CommandError::input("This program no longer waits for an answer. It asks again the next time it tries."))?
    };
    if yes {
        let program = asked.program.as_ref().expect("a program's prompt names it");
        // Kept until the allowance is written: a failure leaves the question up.
        state.store.allow_program(&server, program, &SystemClock)?;
    }
    state.programs_asking.lock().unwrap().retain(|a| a != &asked);
    state.prompts.answered(&asked, yes);
    Ok(())
}

/// Ask (or stop asking) before a program not seen before uses `server`'s sign-in.
#[tauri::command]
pub fn set_program_approval(state: State<'_, AppState>, server: String, on: bool) -> CommandResult<crate::views::ServerView> {
    state.store.edit(&server, |s| s.ask_before_new_program = on)?;
    if !on {
        // Nobody is asked any more: the programs waiting go through (each
        // reads the setting back).
        let waiting: Vec<Asked> = {
            let mut asking = state.programs_asking.lock().unwrap();
            let (gone, kept) = asking.drain(..).partition(|a| a.subject == server);
            *asking = kept;
            gone
        };
        for asked in waiting {
            state.prompts.answered(&asked, true);
        }
    }
    crate::commands::server_view(&state.store, &server)
}

/// Forget a program allowed before: it is asked about again.
#[tauri::command]
pub fn forget_program(state: State<'_, AppState>, server: String, key: String) -> CommandResult<crate::views::ServerView> {
    state.store.forget_program(&server, &key)?;
    crate::commands::server_view(&state.store, &server)
}
