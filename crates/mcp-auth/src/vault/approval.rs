//! "Ask before a new program uses this sign-in": a per-server setting, off by
//! default. With it on, the first `mcp-auth token`, `headers` or bridge
//! request from a program not seen before waits for the person's yes in the
//! app; with no app running it is refused, saying so.
//!
//! What this is, plainly (the threat model says the same, T49): a guard
//! against surprises — a tool the person did not know was using their sign-in,
//! a new app wired to it by an installer — and not a boundary. Every program
//! here runs as the same user and could read the keychain, or pose as a
//! program already allowed (the identity is the program's path as the OS
//! reports it, which the program itself can choose by where it runs from).
//!
//! The programs the person allowed are kept with the server's settings in the
//! server list (a path and a name, no secret); the app writes them when the
//! person says yes, and the program that asked reads them back: all the socket
//! carries is the question and a yes or no.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::net::app_socket::{AppAnswer, AppSocket, Asked, PromptKind};
use crate::oauth::grant::{Clock, SystemClock};
use crate::vault::activity::ActivityEvent;
use crate::vault::store::Store;
use crate::vault::Vault;

/// How long `token` and `headers` wait for the person's answer (a bridge's
/// requests wait [`SIGN_IN_WAIT`](crate::SIGN_IN_WAIT) each, while its
/// question stays up for [`QUESTION_WAIT`]).
pub const ANSWER_WAIT: Duration = Duration::from_secs(30);
/// How long a bridge keeps its question up in the app.
pub const QUESTION_WAIT: Duration = Duration::from_secs(10 * 60);
/// The longest name or path kept and shown.
const MAX_WORDS: usize = 300;

/// A program that uses a sign-in, as the OS names it: the executable (and,
/// for a script run by an interpreter such as `node`, the script) of the
/// first ancestor that is not a shell or a package runner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Program {
    /// What the person reads ("claude", "Cursor", "node").
    pub name: String,
    /// What it is known by: the executable's path, with the script's for an
    /// interpreter; absent where the OS does not tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Program {
    /// A program from what the OS or a caller said, with control and bidi
    /// characters dropped and cut to a length a window can show.
    pub fn named(name: &str, path: Option<&str>) -> Program {
        let clean = |s: &str| -> String {
            s.chars().filter(|c| crate::oauth::account::shows_as_text(*c)).take(MAX_WORDS).collect::<String>().trim().to_string()
        };
        let name = clean(name);
        Program { name: if name.is_empty() { "unknown".into() } else { name }, path: path.map(clean).filter(|p| !p.is_empty()) }
    }

    /// What tells two programs apart: the path where there is one.
    pub fn key(&self) -> &str {
        self.path.as_deref().unwrap_or(&self.name)
    }

    /// "claude (/usr/bin/claude)", for messages.
    pub fn words(&self) -> String {
        match &self.path {
            Some(p) => format!("{} ({p})", self.name),
            None => self.name.clone(),
        }
    }
}

/// A program the person allowed to use a server's sign-in, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedProgram {
    #[serde(flatten)]
    pub program: Program,
    /// Seconds since the Unix epoch.
    pub allowed_at: u64,
}

/// Why a program may not use a sign-in now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAllowed {
    /// The app, where the person would answer, is not running.
    NoApp,
    /// The person said no.
    Declined,
    /// The question is up in the app; nobody answered yet.
    Unanswered,
}

impl<V: Vault> Store<V> {
    /// May `program` use `server`'s sign-in? Yes at once where the server does
    /// not ask or the program was allowed before; otherwise the running app
    /// asks the person, and this waits up to `wait` for the answer.
    pub async fn admit(&self, server: &str, program: &Program, wait: Duration) -> Result<()> {
        let entry = self.resolve(server)?;
        if !entry.ask_before_new_program || is_allowed(&entry.allowed_programs, program) {
            return Ok(());
        }
        let started = Instant::now();
        let asked = Asked { kind: PromptKind::NewProgram, subject: entry.name.clone(), program: Some(program.clone()) };
        let answer = AppSocket::for_config_dir(self.dir()).put(&asked, Some(wait)).await;
        let why = match answer {
            AppAnswer::NotRunning => NotAllowed::NoApp,
            // The app wrote the allowance before it said yes: read it back (or
            // the person stopped asking for this server meanwhile).
            AppAnswer::Yes
                if {
                    let now = self.resolve(&entry.name)?;
                    !now.ask_before_new_program || is_allowed(&now.allowed_programs, program)
                } =>
            {
                return Ok(())
            }
            AppAnswer::Yes => NotAllowed::Declined,
            AppAnswer::No if started.elapsed() >= wait => NotAllowed::Unanswered,
            AppAnswer::No => NotAllowed::Declined,
        };
        let detail = match why {
            NotAllowed::NoApp => "MCP Auth Manager was not running",
            NotAllowed::Declined => "you did not allow it",
            NotAllowed::Unanswered => "nobody answered",
        };
        // Once in a while, not once a request: a client that keeps asking
        // with no app running would push everything else out of the log.
        let now = SystemClock.now();
        let said_lately = self.activity().get(&entry.name).is_some_and(|events| {
            events
                .iter()
                .rev()
                .take(20)
                .any(|e| e.what == "program_refused" && e.by == program.name && e.detail.as_deref() == Some(detail) && now < e.at + 600)
        });
        if !said_lately {
            let refused = ActivityEvent { at: now, what: "program_refused".into(), by: program.name.clone(), detail: Some(detail.into()) };
            if let Err(e) = crate::vault::activity::record(self.dir(), &entry.name, refused) {
                eprintln!("mcp-auth: could not record the refusal ({e})");
            }
        }
        Err(Error::ProgramNotAllowed { server: entry.name, program: program.words(), why })
    }

    /// The person allowed `program` to use `server`'s sign-in.
    pub fn allow_program(&self, server: &str, program: &Program, clock: &dyn Clock) -> Result<()> {
        let program = Program::named(&program.name, program.path.as_deref());
        let by = program.name.clone();
        self.edit(server, |s| {
            if !is_allowed(&s.allowed_programs, &program) {
                s.allowed_programs.push(AllowedProgram { program, allowed_at: clock.now() });
            }
        })?;
        self.record_activity(server, "program_allowed", &by, None, clock)
    }

    /// Forget a program allowed before (by its path, or its name where it has
    /// none): it is asked about again. False when it was not allowed.
    pub fn forget_program(&self, server: &str, key: &str) -> Result<bool> {
        let mut forgot = false;
        self.edit(server, |s| {
            let before = s.allowed_programs.len();
            s.allowed_programs.retain(|a| a.program.key() != key);
            forgot = s.allowed_programs.len() != before;
        })?;
        Ok(forgot)
    }
}

fn is_allowed(allowed: &[AllowedProgram], program: &Program) -> bool {
    allowed.iter().any(|a| a.program.key() == program.key())
}

#[cfg(all(test, unix))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::net::app_socket::AppPrompts;
    use crate::oauth::grant::FixedClock;
    use crate::vault::{ChunkedVault, MemoryEntries};

    fn store() -> (Store<ChunkedVault<MemoryEntries>>, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("mcp-auth-approval-{}", crate::oauth::authorize::new_state()));
        let store = Store::new(&dir, ChunkedVault::new(MemoryEntries::default()));
        store.add("https://crm.example/mcp", Some("crm"), &FixedClock(1)).unwrap();
        (store, dir)
    }

    #[test]
    fn a_name_is_cleaned_and_a_path_tells_programs_apart() {
        let p = Program::named("cla\u{202e}u\u{200b}de\u{2028}\n", Some("/usr/bin/claude"));
        assert_eq!(p.name, "claude");
        assert_eq!(p.key(), "/usr/bin/claude");
        assert_eq!(Program::named("", None).key(), "unknown");
        assert_eq!(Program::named(&"x".repeat(1000), None).name.len(), MAX_WORDS);
    }

    #[tokio::test]
    async fn off_by_default_then_asks_once_and_remembers_the_yes() {
        let (store, dir) = store();
        let store = Arc::new(store);
        let claude = Program::named("claude", Some("/usr/bin/claude"));
        // Off: anyone, no app needed.
        store.admit("crm", &claude, Duration::from_millis(100)).await.unwrap();

        store.edit("crm", |s| s.ask_before_new_program = true).unwrap();
        // On, with no app: refused, saying so.
        let e = store.admit("crm", &claude, Duration::from_millis(100)).await.unwrap_err();
        assert!(matches!(e, Error::ProgramNotAllowed { why: NotAllowed::NoApp, .. }), "{e}");
        assert!(e.to_string().contains("MCP Auth Manager is not running"), "{e}");

        // The app: yes to the first program that asks (written before the
        // answer), no to every one after.
        let prompts = AppPrompts::new();
        let (answering, writer) = (prompts.clone(), store.clone());
        let said_yes = std::sync::atomic::AtomicBool::new(false);
        prompts
            .listen(
                &AppSocket::for_config_dir(store.dir()),
                |kind, name| kind == PromptKind::NewProgram && name == "crm",
                move |asked| {
                    let program = asked.program.clone().unwrap();
                    let yes = !said_yes.swap(true, std::sync::atomic::Ordering::SeqCst);
                    if yes {
                        writer.allow_program(&asked.subject, &program, &FixedClock(5)).unwrap();
                    }
                    answering.answered(asked, yes);
                },
            )
            .await
            .unwrap();
        store.admit("crm", &claude, Duration::from_secs(5)).await.unwrap();
        let entry = store.resolve("crm").unwrap();
        assert_eq!(entry.allowed_programs, vec![AllowedProgram { program: claude.clone(), allowed_at: 5 }]);
        // Another program is asked about, and refused (the app says no from now on).
        let other = Program::named("curl", Some("/usr/bin/curl"));
        let e = store.admit("crm", &other, Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(e, Error::ProgramNotAllowed { why: NotAllowed::Declined, .. }), "{e}");
        assert!(e.to_string().contains("curl (/usr/bin/curl)"), "{e}");
        // The same program again: let in without a question (the app would say no).
        store.admit("crm", &claude, Duration::from_secs(5)).await.unwrap();
        // A program of the same name elsewhere is another program.
        let e = store.admit("crm", &Program::named("claude", Some("/tmp/claude")), Duration::from_secs(5)).await;
        assert!(e.is_err(), "a program named claude at another path passed for the one allowed");
        assert_eq!(store.resolve("crm").unwrap().allowed_programs.len(), 1);
        // Refusals are recorded, not once a request.
        let _ = store.admit("crm", &other, Duration::from_secs(5)).await;
        let refusals = store.activity()["crm"].iter().filter(|e| e.what == "program_refused").count();
        assert_eq!(refusals, 3, "no app, curl, the other claude; curl again is not recorded again");

        assert!(store.forget_program("crm", "/usr/bin/claude").unwrap());
        assert!(!store.forget_program("crm", "/usr/bin/claude").unwrap());
        assert!(store.resolve("crm").unwrap().allowed_programs.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_question_nobody_answers_says_it_waits_in_the_app() {
        let (store, dir) = store();
        store.edit("crm", |s| s.ask_before_new_program = true).unwrap();
        let prompts = AppPrompts::new();
        prompts.listen(&AppSocket::for_config_dir(store.dir()), |_, _| true, |_| {}).await.unwrap();
        let e = store.admit("crm", &Program::named("cursor", None), Duration::from_millis(300)).await.unwrap_err();
        assert!(matches!(e, Error::ProgramNotAllowed { why: NotAllowed::Unanswered, .. }), "{e}");
        assert!(e.to_string().contains("waits for your answer in MCP Auth Manager"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
