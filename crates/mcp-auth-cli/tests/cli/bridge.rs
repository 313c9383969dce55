//! `mcp-auth bridge` through the real binary against the fixture server:
//! the access token expiring during a session, a token the server refuses, and
//! ten bridges of one server started at once after expiry (one refresh at the
//! server, every bridge answers). The client sees nothing of any of it.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use mcp_auth::PromptKind;

use crate::fixture::Fixture;

struct Bridge {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Messages read while waiting for another answer (answers may come in
    /// any order).
    early: Vec<Value>,
}

impl Bridge {
    fn start(dir: &Path, server: &str) -> Bridge {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
            .args(["bridge", server, "--browser", "http", "--timeout", "10"])
            .env("MCP_AUTH_CONFIG_DIR", dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Bridge { child, stdin, lines, early: Vec::new() }
    }

    async fn send(&mut self, message: Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.unwrap();
    }

    /// The answer to request `id`, within 20 s.
    async fn answer(&mut self, id: u64) -> Value {
        if let Some(i) = self.early.iter().position(|v| v["id"] == json!(id)) {
            return self.early.remove(i);
        }
        tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = self.lines.next_line().await.unwrap() {
                let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("stdout carried a non-JSON line: {line}"));
                if v["id"] == json!(id) {
                    return v;
                }
                self.early.push(v);
            }
            panic!("the bridge closed its stdout before answering {id}");
        })
        .await
        .expect("an answer within 20 s")
    }

    /// Send the client's `initialize` (id 0) without waiting for its answer.
    async fn send_initialize(&mut self) {
        self.send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}}))
            .await;
    }

    async fn initialize(&mut self) -> Value {
        self.send_initialize().await;
        let answer = self.answer(0).await;
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        answer
    }

    async fn list_tools(&mut self, id: u64) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}})).await;
        self.answer(id).await
    }

    async fn close(mut self) {
        drop(self.stdin);
        let exited = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        assert!(exited.is_ok(), "the bridge did not exit after stdin closed");
    }
}

fn has_tools(v: &Value) -> bool {
    v["result"]["tools"].as_array().is_some_and(|t| t.iter().any(|t| t["name"] == "echo"))
}

fn refreshes(f: &Fixture) -> usize {
    f.seen("/token").iter().filter(|t| t.form["grant_type"] == "refresh_token").count()
}

async fn signed_in(f: &Fixture, tag: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-bridge-{tag}-{}", mcp_auth::new_state()));
    let login = Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"])
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .output()
        .await
        .unwrap();
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stdout));
    let name = serde_json::from_slice::<Value>(&login.stdout).unwrap()["server"].as_str().unwrap().to_string();
    (dir, name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_expiring_or_refused_mid_session_is_invisible_to_the_client() {
    let f = Fixture::start().await;
    f.set(|b| b.expires_in = json!(4));
    let (dir, name) = signed_in(&f, "expiry").await;
    let mut bridge = Bridge::start(&dir, &name);
    assert_eq!(bridge.initialize().await["result"]["serverInfo"]["name"], "fixture-mcp");
    assert!(has_tools(&bridge.list_tools(1).await));
    // Counted from here: on a loaded machine the 4 s token can already be due
    // by the bridge's first requests (it is, 1 to 2 s after the sign-in).
    let before = refreshes(&f);
    // Past the refresh margin (half of a 4 s lifetime): refreshed ahead of use.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert!(has_tools(&bridge.list_tools(2).await));
    assert_eq!(refreshes(&f), before + 1);
    // The server forgets its access tokens: a 401, one refresh, one retry.
    f.invalidate_tokens();
    assert!(has_tools(&bridge.list_tools(3).await));
    assert_eq!(refreshes(&f), before + 2);
    assert_eq!(f.seen("/authorize").len(), 1, "no new sign-in");
    bridge.close().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_bridges_after_expiry_make_one_refresh() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.expires_in = json!(4);
        b.rotate_refresh = true;
    });
    let (dir, name) = signed_in(&f, "ten").await;
    // The refreshed token lives an hour: were it as short as the first, a
    // bridge started late on a loaded machine could find it due already, and
    // a second refresh would be right. A lock that does not hold still makes two.
    f.set(|b| b.expires_in = json!(3600));
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let mut bridges = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (dir, name) = (dir.clone(), name.clone());
        bridges.spawn(async move {
            let mut b = Bridge::start(&dir, &name);
            b.initialize().await;
            let answer = b.list_tools(1).await;
            b.close().await;
            answer
        });
    }
    let answers = bridges.join_all().await;
    assert!(answers.iter().all(has_tools), "{answers:?}");
    assert_eq!(refreshes(&f), 1, "one refresh at the server for ten bridges");
    assert_eq!(f.seen("/authorize").len(), 1);
    std::fs::remove_dir_all(dir).ok();
}

/// A sign-in is needed while three bridges of one server wait: one browser
/// opens (one authorization request at the server), and all three answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_bridges_needing_a_sign_in_open_one_browser() {
    let f = Fixture::start().await;
    let dir = added(&f, "three", "shared").await;
    let mut bridges = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let dir = dir.clone();
        bridges.spawn(async move {
            let mut b = Bridge::start(&dir, "shared");
            let init = b.initialize().await;
            let tools = b.list_tools(1).await;
            b.close().await;
            (init, tools)
        });
    }
    let answers = bridges.join_all().await;
    assert!(answers.iter().all(|(init, tools)| init["result"]["serverInfo"]["name"] == "fixture-mcp" && has_tools(tools)), "{answers:?}");
    assert_eq!(f.seen("/authorize").len(), 1, "one browser for three bridges");
    std::fs::remove_dir_all(dir).ok();
}

async fn added(f: &Fixture, tag: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-bridge-{tag}-{}", mcp_auth::new_state()));
    let add = Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["servers", "add", &f.mcp_url(), "--name", name])
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .output()
        .await
        .unwrap();
    assert!(add.status.success());
    dir
}

/// The app runs (its socket stands here for it): three bridges that need a
/// sign-in ask it, it shows one prompt, and no bridge opens a browser. The
/// person signs in in the app (here `mcp-auth login`, the same engine
/// sequence, under the same lock); every bridge then answers with that grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_app_running_bridges_ask_it_for_one_sign_in() {
    let f = Fixture::start().await;
    let dir = added(&f, "app", "shared").await;
    let asks = mcp_auth::AppPrompts::new();
    let (shown_tx, mut shown) = tokio::sync::mpsc::unbounded_channel();
    asks.listen(
        &mcp_auth::AppSocket::for_config_dir(&dir),
        |kind, name| kind == PromptKind::SignIn && name == "shared",
        move |asked| {
            shown_tx.send(asked.subject.clone()).unwrap();
        },
    )
    .await
    .unwrap();
    let mut bridges = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let dir = dir.clone();
        bridges.spawn(async move {
            let mut b = Bridge::start(&dir, "shared");
            let init = b.initialize().await;
            let tools = b.list_tools(1).await;
            b.close().await;
            (init, tools)
        });
    }
    assert_eq!(tokio::time::timeout(Duration::from_secs(20), shown.recv()).await.unwrap().as_deref(), Some("shared"));
    for _ in 0..400 {
        if asks.waiters(PromptKind::SignIn, "shared") == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(asks.waiters(PromptKind::SignIn, "shared"), 3);
    assert_eq!(f.seen("/authorize").len(), 0, "a bridge opened a browser while the app runs");
    let login = Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", "shared", "--browser", "http", "--timeout", "10"])
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .output()
        .await
        .unwrap();
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stdout));
    asks.ended(PromptKind::SignIn, "shared", true);
    let answers = bridges.join_all().await;
    assert!(answers.iter().all(|(init, tools)| init["result"]["serverInfo"]["name"] == "fixture-mcp" && has_tools(tools)), "{answers:?}");
    assert_eq!(f.seen("/authorize").len(), 1, "one sign-in, the app's");
    assert!(shown.try_recv().is_err(), "one prompt for three bridges");
    std::fs::remove_dir_all(dir).ok();
}

/// "Not now" in the app: the waiting request gets an error that says what to
/// do, the bridge lives, and no browser opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_dismissed_in_the_app_is_an_error_that_says_what_to_do() {
    let f = Fixture::start().await;
    let dir = added(&f, "dismiss", "shared").await;
    let asks = mcp_auth::AppPrompts::new();
    let waiting = asks.clone();
    asks.listen(
        &mcp_auth::AppSocket::for_config_dir(&dir),
        |_, _| true,
        move |asked| {
            let (waiting, kind, name) = (waiting.clone(), asked.kind, asked.subject.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                waiting.ended(kind, &name, false);
            });
        },
    )
    .await
    .unwrap();
    let mut bridge = Bridge::start(&dir, "shared");
    let init = bridge.initialize().await;
    let message = init["error"]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("Sign in to shared in MCP Auth Manager"), "{init}");
    assert_eq!(f.seen("/authorize").len(), 0);
    // The bridge still serves: the next request asks again.
    assert!(bridge.list_tools(1).await["error"]["message"].as_str().is_some_and(|m| m.contains("MCP Auth Manager")));
    bridge.close().await;
    std::fs::remove_dir_all(dir).ok();
}

/// Three requests refused at once (the server forgot its tokens): the first
/// one to get the lock refreshes, the others go again with the new token. One
/// refresh at the server, three answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_together_share_one_refresh() {
    let f = Fixture::start().await;
    f.set(|b| b.rotate_refresh = true);
    let (dir, name) = signed_in(&f, "together").await;
    let mut bridge = Bridge::start(&dir, &name);
    bridge.initialize().await;
    f.invalidate_tokens();
    for id in 1..=3 {
        bridge.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}})).await;
    }
    for id in 1..=3 {
        assert!(has_tools(&bridge.answer(id).await));
    }
    assert_eq!(refreshes(&f), 1);
    assert_eq!(f.seen("/authorize").len(), 1);
    bridge.close().await;
    std::fs::remove_dir_all(dir).ok();
}

/// Signed out (cleared) while a bridge holds the grant: the bridge never
/// writes the old grant back; its next request needs a new sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_elsewhere_is_not_undone_by_a_running_bridge() {
    let f = Fixture::start().await;
    f.set(|b| b.expires_in = json!(4));
    let (dir, name) = signed_in(&f, "signout").await;
    let mut bridge = Bridge::start(&dir, &name);
    bridge.initialize().await;
    assert!(has_tools(&bridge.list_tools(1).await));
    let clear =
        Command::new(env!("CARGO_BIN_EXE_mcp-auth")).args(["clear", &name]).env("MCP_AUTH_CONFIG_DIR", &dir).output().await.unwrap();
    assert!(clear.status.success());
    // Counted from the sign-out: a bridge that started late may have refreshed before it.
    let before = refreshes(&f);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    // Due for refresh, but the vault is empty: no refresh, a new sign-in.
    assert!(has_tools(&bridge.list_tools(2).await));
    assert_eq!(refreshes(&f), before, "the cleared grant was refreshed and written back");
    assert_eq!(f.seen("/authorize").len(), 2);
    bridge.close().await;
    std::fs::remove_dir_all(dir).ok();
}

/// "Ask before a new program uses this sign-in": with no app running, `token`
/// is refused and says so; with the app, a bridge's first request waits for the
/// person's yes (one question), goes through after it, and the program is
/// remembered (the same program's `token` then asks nothing); a program the
/// person refused gets the words on each request, asked once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_asks_first_lets_a_new_program_in_only_on_the_persons_yes() {
    let f = Fixture::start().await;
    let (dir, name) = signed_in(&f, "approval").await;
    let cli = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mcp-auth"));
        c.args(args).env("MCP_AUTH_CONFIG_DIR", &dir);
        c
    };
    let set = cli(&["servers", "set", &name, "--ask-before-new-program", "true"]).output().await.unwrap();
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stdout));
    assert_eq!(serde_json::from_slice::<Value>(&set.stdout).unwrap()["ask_before_new_program"], true);

    let token = cli(&["token", &name]).output().await.unwrap();
    assert!(!token.status.success());
    assert!(token.stdout.is_empty(), "a token went out without the person's yes");
    let said = String::from_utf8_lossy(&token.stderr);
    assert!(said.contains("asks before a new program uses its sign-in, and MCP Auth Manager is not running"), "{said}");

    // The app: what it was asked, answered by the test as the person would.
    let store = std::sync::Arc::new(mcp_auth::Store::new(&dir, mcp_auth::ChunkedVault::new(mcp_auth::MemoryEntries::default())));
    let asks = mcp_auth::AppPrompts::new();
    let (shown_tx, mut shown) = tokio::sync::mpsc::unbounded_channel::<mcp_auth::Asked>();
    asks.listen(
        &mcp_auth::AppSocket::for_config_dir(&dir),
        |kind, _| kind == PromptKind::NewProgram,
        move |asked| {
            shown_tx.send(asked.clone()).unwrap();
        },
    )
    .await
    .unwrap();

    let reached = f.seen("/mcp").len();
    let mut bridge = Bridge::start(&dir, &name);
    bridge.send_initialize().await;
    let asked = question(&mut shown).await;
    let program = asked.program.clone().expect("the question names the program");
    // The program that started the bridge: this test's own executable.
    let me = std::env::current_exe().unwrap();
    assert_eq!(program.path.as_deref(), Some(me.to_str().unwrap()), "{program:?}");
    assert_eq!(f.seen("/mcp").len(), reached, "the server was reached before the person said yes");
    store.allow_program(&asked.subject, &program, &mcp_auth::SystemClock).unwrap();
    asks.answered(&asked, true);
    let init = bridge.answer(0).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "fixture-mcp", "{init}");
    bridge.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    assert!(has_tools(&bridge.list_tools(1).await));
    bridge.close().await;

    // Remembered: the same program's `token` goes through, nobody asked.
    let token = cli(&["token", &name]).output().await.unwrap();
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    assert!(shown.try_recv().is_err(), "asked again about a program allowed before");
    let status: Value = serde_json::from_slice(&cli(&["status", &name]).output().await.unwrap().stdout).unwrap();
    assert_eq!(status["allowed_programs"][0]["path"], json!(me.to_str().unwrap()), "{status}");

    // Forgotten, then refused: each request says so, and the person is asked once.
    let forget = cli(&["servers", "set", &name, "--forget-program", me.to_str().unwrap()]).output().await.unwrap();
    assert!(forget.status.success(), "{}", String::from_utf8_lossy(&forget.stdout));
    let mut bridge = Bridge::start(&dir, &name);
    bridge.send_initialize().await;
    let asked = question(&mut shown).await;
    asks.answered(&asked, false);
    let refused = bridge.answer(0).await;
    let message = refused["error"]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("you did not allow") && message.contains(&name), "{refused}");
    let again = bridge.list_tools(1).await;
    assert!(again["error"]["message"].as_str().unwrap_or_default().contains("you did not allow"), "{again}");
    assert!(shown.try_recv().is_err(), "a refused program was asked about again by the same bridge");
    bridge.close().await;
    // `tools` (and `call`, `connect`) use the sign-in too: asked the same way.
    let tools = tokio::spawn(cli(&["tools", &name]).output());
    let asked = question(&mut shown).await;
    asks.answered(&asked, false);
    let tools = tools.await.unwrap().unwrap();
    assert!(!tools.status.success());
    assert!(String::from_utf8_lossy(&tools.stdout).contains("you did not allow"), "{}", String::from_utf8_lossy(&tools.stdout));
    let activity: Value = serde_json::from_slice(&cli(&["activity", &name]).output().await.unwrap().stdout).unwrap();
    let whats: Vec<&str> = activity["events"].as_array().unwrap().iter().filter_map(|e| e["what"].as_str()).collect();
    assert!(whats.contains(&"program_allowed") && whats.contains(&"program_refused"), "{whats:?}");
    std::fs::remove_dir_all(dir).ok();
}

async fn question(shown: &mut tokio::sync::mpsc::UnboundedReceiver<mcp_auth::Asked>) -> mcp_auth::Asked {
    tokio::time::timeout(Duration::from_secs(20), shown.recv()).await.expect("the app was asked").unwrap()
}
