//! The running app's socket: how a bridge (or `serve`) asks MCP Auth Manager,
//! when it runs, to put a question to the person in its own window: a sign-in
//! instead of a browser opening by itself, a server an agent wants added, a
//! client secret that should be typed into the app rather than into a chat.
//!
//! A bridge runs under an AI app, out of sight: a browser window that opens by
//! itself, from nowhere the person can name, is what phishing looks like. The
//! app is where people sign in, so when it runs it shows the prompt, in its own
//! window, and signs in there. However many bridges of one server wait, the
//! app shows one prompt: it keeps each prompt's waiters and tells them all when
//! it ended. What the person gave travels through the vault and the server
//! list, never through the socket: all a caller learns is yes or no.
//!
//! The socket is in the user's runtime directory (`$XDG_RUNTIME_DIR`, private
//! to the user by definition; the config directory where there is none), in a
//! directory of ours made 0700, the socket itself 0600, named after the config
//! directory so that two profiles (and test runs) never meet. On Linux the app
//! also refuses a peer of another user. What a caller can ask is small on
//! purpose: a question about a server of the list (or, to add one, a URL); the
//! person answers in the app, where they see what is asked.
//!
//! The exchange, one JSON object per line:
//! - caller → app: `{"ask":"sign_in"|"add_server"|"client_secret","server":NAME_OR_URL}`,
//!   or `{"ask":"new_program","server":NAME,"program":{"name":…,"path":…}}`
//! - app → caller: `{"shown":true}`, or `{"shown":false,"why":…}`
//! - app → caller, when the person answered: `{"ended":"yes"}` or `{"ended":"no"}`
//!
//! Unix only: elsewhere [`AppSocket::ask`] says the app is not there, and the
//! caller does without it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::vault::approval::Program;

/// How long a caller waits for the app to answer that it shows the prompt: an
/// app that does not answer at once is not the one to wait for.
const SHOWN_WAIT: Duration = Duration::from_secs(3);
/// The longest line either side reads: a server name and a few words.
const MAX_LINE: usize = 4096;

/// Where the app listens, for one config directory.
#[derive(Clone, Debug)]
pub struct AppSocket {
    path: PathBuf,
}

/// What a program asks the person through the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// Sign in to a server of the list (a bridge needs it).
    SignIn,
    /// Add a URL to the list (an agent asks, through `serve`).
    AddServer,
    /// Enter a server's client secret in the app's settings (an agent needs
    /// it, and a secret typed into a chat reaches the model's provider).
    ClientSecret,
    /// Let a program not seen before use a server's sign-in (the server asks
    /// before a new program uses it; see [`approval`](crate::vault::approval)).
    NewProgram,
}

/// One prompt: what is asked, about which server (or URL), for which program.
/// Programs waiting for the same prompt share it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asked {
    pub kind: PromptKind,
    pub subject: String,
    /// The program that waits, for [`PromptKind::NewProgram`].
    pub program: Option<Program>,
}

impl Asked {
    pub fn new(kind: PromptKind, subject: &str) -> Asked {
        Asked { kind, subject: subject.to_string(), program: None }
    }
}

/// What the app said of a prompt it was asked to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppAnswer {
    /// No app listens (or it would not show the prompt, or it went away
    /// before an answer): do without it.
    NotRunning,
    /// The person did it (signed in, added the server); or, when asked not to
    /// wait, the prompt is shown.
    Yes,
    /// The prompt ended without it (dismissed, cancelled, failed, or nobody
    /// answered within the wait).
    No,
}

#[derive(Serialize, Deserialize)]
struct Ask {
    ask: PromptKind,
    server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    program: Option<Program>,
}

#[derive(Serialize, Deserialize, Default)]
struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shown: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    why: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ended: Option<String>,
}

impl AppSocket {
    /// The socket of the app that uses `config_dir`.
    pub fn for_config_dir(config_dir: &Path) -> AppSocket {
        let digest = Sha256::digest(config_dir.as_os_str().as_encoded_bytes());
        let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .filter(|d| !d.is_empty())
            .map(|d| PathBuf::from(d).join("mcp-auth-manager"))
            .unwrap_or_else(|| config_dir.join("run"));
        AppSocket { path: base.join(format!("app-{tag}.sock")) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ask the app to show a prompt of `kind` about `subject` (a server's name,
    /// or the URL to add), and wait up to `wait` for the person's answer;
    /// with no `wait`, only until the prompt is shown.
    pub async fn ask(&self, kind: PromptKind, subject: &str, wait: Option<Duration>) -> AppAnswer {
        self.put(&Asked::new(kind, subject), wait).await
    }

    /// Ask the app to put `asked` to the person, and wait up to `wait` for
    /// the answer; with no `wait`, only until the prompt is shown.
    pub async fn put(&self, asked: &Asked, wait: Option<Duration>) -> AppAnswer {
        #[cfg(unix)]
        {
            unix::ask(&self.path, asked, wait).await
        }
        #[cfg(not(unix))]
        {
            let _ = (asked, wait);
            AppAnswer::NotRunning
        }
    }

    /// Ask the app to have the person sign in to `server`, and wait up to
    /// `wait` for the sign-in to end.
    pub async fn ask_sign_in(&self, server: &str, wait: Duration) -> AppAnswer {
        self.ask(PromptKind::SignIn, server, Some(wait)).await
    }
}

/// Each prompt's callers.
type Waiters = HashMap<Asked, Vec<oneshot::Sender<bool>>>;

/// The app's side: the prompts callers wait for, by kind and subject.
#[derive(Default)]
pub struct AppPrompts {
    waiting: Mutex<Waiters>,
}

impl AppPrompts {
    pub fn new() -> Arc<AppPrompts> {
        Arc::new(AppPrompts::default())
    }

    /// Listen on `socket` for as long as the process runs. `known` says whether
    /// a subject may be asked about (a server of the list; for `AddServer`, a
    /// URL); `show` is called once per prompt when its first caller arrives (a
    /// second caller of the same prompt, while the first one waits, joins it).
    pub async fn listen(
        self: &Arc<Self>,
        socket: &AppSocket,
        known: impl Fn(PromptKind, &str) -> bool + Send + Sync + 'static,
        show: impl Fn(&Asked) + Send + Sync + 'static,
    ) -> Result<()> {
        #[cfg(unix)]
        {
            unix::listen(self.clone(), &socket.path, Arc::new(known), Arc::new(show)).await
        }
        #[cfg(not(unix))]
        {
            let _ = (socket, known, show);
            Ok(())
        }
    }

    /// The prompts someone waits for an answer to.
    pub fn waiting(&self) -> Vec<Asked> {
        let mut waiting = self.waiting.lock().unwrap();
        waiting.retain(|_, senders| {
            senders.retain(|s| !s.is_closed());
            !senders.is_empty()
        });
        let mut prompts: Vec<Asked> = waiting.keys().cloned().collect();
        prompts.sort();
        prompts
    }

    /// How many callers wait for the answer to a prompt.
    pub fn waiters(&self, kind: PromptKind, subject: &str) -> usize {
        self.waiting
            .lock()
            .unwrap()
            .iter()
            .filter(|(a, _)| a.kind == kind && a.subject == subject)
            .map(|(_, s)| s.iter().filter(|s| !s.is_closed()).count())
            .sum()
    }

    /// The person answered (or the sign-in ended): tell everyone who waits.
    pub fn ended(&self, kind: PromptKind, subject: &str, yes: bool) {
        self.answered(&Asked::new(kind, subject), yes);
    }

    /// The person answered `asked`: tell everyone who waits for it.
    pub fn answered(&self, asked: &Asked, yes: bool) {
        let senders = self.waiting.lock().unwrap().remove(asked).unwrap_or_default();
        for s in senders {
            let _ = s.send(yes);
        }
    }

    /// Add a waiter; true when it is the first live one for the prompt.
    fn join(&self, asked: &Asked) -> (bool, oneshot::Receiver<bool>) {
        let (tx, rx) = oneshot::channel();
        let mut waiting = self.waiting.lock().unwrap();
        let senders = waiting.entry(asked.clone()).or_default();
        senders.retain(|s| !s.is_closed());
        let first = senders.is_empty();
        senders.push(tx);
        (first, rx)
    }
}

fn line_of(reply: &Reply) -> Vec<u8> {
    let mut line = serde_json::to_vec(reply).expect("a reply serializes");
    line.push(b'\n');
    line
}

fn io_error(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{UnixListener, UnixStream};

    use super::*;

    type Known = Arc<dyn Fn(PromptKind, &str) -> bool + Send + Sync>;
    type Show = Arc<dyn Fn(&Asked) + Send + Sync>;

    /// One line, at most [`MAX_LINE`] bytes, within `wait`.
    async fn read_line<R: tokio::io::AsyncRead + Unpin>(reader: &mut BufReader<R>, wait: Duration) -> Option<Vec<u8>> {
        let mut line = Vec::new();
        let read = tokio::time::timeout(wait, (&mut *reader).take(MAX_LINE as u64).read_until(b'\n', &mut line)).await;
        match read {
            Ok(Ok(n)) if n > 0 && line.ends_with(b"\n") => Some(line),
            _ => None,
        }
    }

    pub(super) async fn ask(path: &Path, asked: &Asked, wait: Option<Duration>) -> AppAnswer {
        let Ok(Ok(stream)) = tokio::time::timeout(SHOWN_WAIT, UnixStream::connect(path)).await else {
            return AppAnswer::NotRunning;
        };
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let ask = Ask { ask: asked.kind, server: asked.subject.clone(), program: asked.program.clone() };
        let mut ask = serde_json::to_vec(&ask).expect("an ask serializes");
        ask.push(b'\n');
        if write.write_all(&ask).await.is_err() {
            return AppAnswer::NotRunning;
        }
        let reply = |line: Option<Vec<u8>>| line.and_then(|l| serde_json::from_slice::<Reply>(&l).ok());
        match reply(read_line(&mut reader, SHOWN_WAIT).await) {
            Some(Reply { shown: Some(true), .. }) => {}
            _ => return AppAnswer::NotRunning,
        }
        let Some(wait) = wait else { return AppAnswer::Yes };
        // An app that quits (or crashes) before an answer closes the socket:
        // nobody said no, and there is no app to ask any more.
        let ended = tokio::time::timeout(wait, async {
            let mut line = Vec::new();
            match (&mut reader).take(MAX_LINE as u64).read_until(b'\n', &mut line).await {
                Ok(n) if n > 0 && line.ends_with(b"\n") => Some(line),
                _ => None,
            }
        })
        .await;
        match ended {
            Ok(line) => match reply(line) {
                Some(Reply { ended: Some(e), .. }) if e == "yes" => AppAnswer::Yes,
                Some(Reply { ended: Some(_), .. }) => AppAnswer::No,
                _ => AppAnswer::NotRunning,
            },
            Err(_) => AppAnswer::No,
        }
    }

    pub(super) async fn listen(asks: Arc<AppPrompts>, path: &Path, known: Known, show: Show) -> Result<()> {
        let dir = path.parent().expect("the socket is in a directory");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_error(format!("could not create {}", dir.display())))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_error(format!("could not make {} private", dir.display())))?;
        // A socket left by an app that crashed answers no one: replace it. One
        // that answers belongs to an app still running.
        if path.exists() {
            if UnixStream::connect(path).await.is_ok() {
                return Err(Error::InvalidInput(format!("another MCP Auth Manager listens on {}", path.display())));
            }
            let _ = std::fs::remove_file(path);
        }
        let listener = UnixListener::bind(path).map_err(io_error(format!("could not listen on {}", path.display())))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_error(format!("could not make {} private", path.display())))?;
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(asks.clone(), stream, known.clone(), show.clone()));
            }
        });
        Ok(())
    }

    fn same_user(stream: &UnixStream) -> bool {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // SAFETY: getuid has no preconditions and cannot fail.
            let me = unsafe { libc::getuid() };
            stream.peer_cred().is_ok_and(|c| c.uid() == me)
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            // The 0700 directory is the boundary there.
            let _ = stream;
            true
        }
    }

    async fn answer(asks: Arc<AppPrompts>, stream: UnixStream, known: Known, show: Show) {
        if !same_user(&stream) {
            return;
        }
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let Some(line) = read_line(&mut reader, SHOWN_WAIT).await else { return };
        let refuse = |why: &str| line_of(&Reply { shown: Some(false), why: Some(why.into()), ..Reply::default() });
        // A program is named in the one prompt about a program, and there only.
        let asked = match serde_json::from_slice::<Ask>(&line) {
            Ok(a) if known(a.ask, &a.server) && (a.ask == PromptKind::NewProgram) == a.program.is_some() => {
                // Named by the caller: cleaned before the app shows it.
                let program = a.program.map(|p| Program::named(&p.name, p.path.as_deref()));
                Asked { kind: a.ask, subject: a.server, program }
            }
            Ok(_) => {
                let _ = write.write_all(&refuse("not a server this app can ask about")).await;
                return;
            }
            Err(_) => {
                let _ = write.write_all(&refuse("not understood")).await;
                return;
            }
        };
        let (first, ended) = asks.join(&asked);
        if write.write_all(&line_of(&Reply { shown: Some(true), ..Reply::default() })).await.is_err() {
            return;
        }
        if first {
            show(&asked);
        }
        // Until the sign-in ends, or the caller goes away (its receiver is then
        // dropped with this task, which `waiting` notices).
        let mut rest = Vec::new();
        let mut tail = (&mut reader).take(MAX_LINE as u64);
        let gone = tail.read_to_end(&mut rest);
        tokio::select! {
            yes = ended => {
                let ended = if yes.unwrap_or(false) { "yes" } else { "no" };
                let _ = write.write_all(&line_of(&Reply { ended: Some(ended.into()), ..Reply::default() })).await;
            }
            _ = gone => {}
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn socket_in(dir: &Path) -> AppSocket {
        AppSocket { path: dir.join("run").join("app.sock") }
    }

    #[tokio::test]
    async fn callers_of_one_server_share_one_prompt_and_all_hear_the_end() {
        let dir = std::env::temp_dir().join(format!("mcp-auth-socket-{}", crate::oauth::authorize::new_state()));
        let socket = socket_in(&dir);
        let asks = AppPrompts::new();
        let shown = Arc::new(AtomicUsize::new(0));
        let counter = shown.clone();
        asks.listen(
            &socket,
            |kind, name| kind == PromptKind::SignIn && name == "crm",
            move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            },
        )
        .await
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(socket.path()).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(socket.path().parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);

        let callers: Vec<_> = (0..3)
            .map(|_| {
                let socket = socket.clone();
                tokio::spawn(async move { socket.ask_sign_in("crm", Duration::from_secs(10)).await })
            })
            .collect();
        // Bounded (10 s), and checked: a caller that came after the end would
        // be a new prompt, and the test would fail far from here.
        for _ in 0..500 {
            if asks.waiters(PromptKind::SignIn, "crm") == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(asks.waiters(PromptKind::SignIn, "crm"), 3, "the three callers are waiting");
        assert_eq!(asks.waiting(), vec![Asked::new(PromptKind::SignIn, "crm")]);
        assert_eq!(shown.load(Ordering::SeqCst), 1, "one prompt for three callers");
        asks.ended(PromptKind::SignIn, "crm", true);
        for c in callers {
            assert_eq!(c.await.unwrap(), AppAnswer::Yes);
        }
        assert!(asks.waiting().is_empty());

        // A name the app does not know is refused at once: the caller signs in itself.
        assert_eq!(socket.ask_sign_in("other", Duration::from_secs(10)).await, AppAnswer::NotRunning);
        // So is a kind of prompt it does not take for that subject.
        assert_eq!(socket.ask(PromptKind::AddServer, "crm", Some(Duration::from_secs(10))).await, AppAnswer::NotRunning);
        // A prompt that ends without a sign-in says so.
        let waiting = {
            let socket = socket.clone();
            tokio::spawn(async move { socket.ask_sign_in("crm", Duration::from_secs(10)).await })
        };
        while asks.waiting().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(shown.load(Ordering::SeqCst), 2, "a new ask after the end is a new prompt");
        asks.ended(PromptKind::SignIn, "crm", false);
        assert_eq!(waiting.await.unwrap(), AppAnswer::No);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn no_app_is_not_running_and_a_stale_socket_is_replaced() {
        let dir = std::env::temp_dir().join(format!("mcp-auth-socket-{}", crate::oauth::authorize::new_state()));
        let socket = socket_in(&dir);
        assert_eq!(socket.ask_sign_in("crm", Duration::from_secs(1)).await, AppAnswer::NotRunning);
        // A socket file nobody listens on (an app that crashed).
        std::fs::create_dir_all(socket.path().parent().unwrap()).unwrap();
        drop(std::os::unix::net::UnixListener::bind(socket.path()).unwrap());
        assert_eq!(socket.ask_sign_in("crm", Duration::from_secs(1)).await, AppAnswer::NotRunning);
        let asks = AppPrompts::new();
        asks.listen(&socket, |_, _| true, |_| {}).await.unwrap();
        // Asked not to wait, the caller hears yes once the prompt is shown.
        assert_eq!(socket.ask(PromptKind::ClientSecret, "crm", None).await, AppAnswer::Yes);
        // A second app on the same socket is refused.
        assert!(AppPrompts::new().listen(&socket, |_, _| true, |_| {}).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn an_app_that_quits_before_an_answer_is_no_app_not_a_no() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let dir = std::env::temp_dir().join(format!("mcp-auth-socket-{}", crate::oauth::authorize::new_state()));
        let socket = socket_in(&dir);
        std::fs::create_dir_all(socket.path().parent().unwrap()).unwrap();
        let listener = tokio::net::UnixListener::bind(socket.path()).unwrap();
        // An app that shows the prompt, then goes away (it quit, or crashed).
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut ask = [0u8; 256];
            let _ = stream.read(&mut ask).await;
            stream.write_all(b"{\"shown\":true}\n").await.unwrap();
        });
        let answer = socket.ask(PromptKind::NewProgram, "crm", Some(Duration::from_secs(5))).await;
        assert_eq!(answer, AppAnswer::NotRunning);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn each_config_dir_has_its_own_socket() {
        let a = AppSocket::for_config_dir(Path::new("/home/a/.config/mcp-auth-manager"));
        let b = AppSocket::for_config_dir(Path::new("/tmp/test-1/config"));
        assert_ne!(a.path(), b.path());
        // Well under the 108 bytes a socket path may have, with a usual runtime dir.
        assert!(a.path().file_name().unwrap().len() < 30);
    }
}
