//! Row 40: every refresh of a stored grant, by any face, runs under the one
//! cross-process lock and reads the vault again after taking it, so two
//! programs refreshing at once against a server with single-use refresh
//! tokens make one refresh, and the loser uses the winner's grant.

use std::process::Output;
use std::time::Duration;

use serde_json::{json, Value};

use crate::fixture::Fixture;
use crate::support::cli;

fn said(o: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row40_tools_and_token_refresh_together_once() {
    let f = Fixture::start().await;
    // Single-use refresh tokens; a token is due for refresh half-way through
    // its 6 s (the margin is half of a short lifetime).
    f.set(|b| {
        b.rotate_refresh = true;
        b.expires_in = json!(6);
    });
    let dir = std::env::temp_dir().join(format!("mcp-auth-it-row40-{}", mcp_auth::new_state()));
    let login = cli(&dir, &["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"]).await;
    assert!(login.status.success(), "{}", said(&login));
    let name = serde_json::from_slice::<Value>(&login.stdout).unwrap()["server"].as_str().unwrap().to_string();
    const ROUNDS: usize = 2;
    for round in 1..=ROUNDS {
        tokio::time::sleep(Duration::from_millis(3300)).await;
        let tools_args = ["tools", name.as_str(), "--browser", "http", "--timeout", "10"];
        let token_args = ["token", name.as_str()];
        let (tools, token) = tokio::join!(cli(&dir, &tools_args), cli(&dir, &token_args));
        assert!(tools.status.success(), "round {round}, tools: {}", said(&tools));
        assert!(token.status.success(), "round {round}, token: {}", said(&token));
        let refreshes = f.seen("/token").iter().filter(|t| t.form["grant_type"] == "refresh_token").count();
        assert_eq!(refreshes, round, "round {round}: one refresh per round");
    }
    assert_eq!(f.seen("/authorize").len(), 1, "nobody lost a race and signed in again");
    // Every refresh used a refresh token once.
    let used: Vec<String> = f.seen("/token").iter().filter_map(|t| t.form.get("refresh_token").cloned()).collect();
    let mut unique = used.clone();
    unique.dedup();
    assert_eq!(used, unique);
    cli(&dir, &["servers", "remove", &name]).await;
    std::fs::remove_dir_all(dir).ok();
}

/// One sign-in per server at a time, by every face: a `login` while another
/// program's sign-in waits for its browser says so at once (opening no second
/// browser); once that one ends, the next `login` goes ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sign_in_to_one_server_says_the_first_is_under_way() {
    let f = Fixture::start().await;
    let dir = std::env::temp_dir().join(format!("mcp-auth-it-busy-{}", mcp_auth::new_state()));
    let add = cli(&dir, &["servers", "add", &f.mcp_url(), "--name", "busy"]).await;
    assert!(add.status.success(), "{}", said(&add));
    // The first sign-in prints its URL and waits for a browser that never comes.
    let mut first = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", "busy", "--browser", "print", "--timeout", "30"])
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while f.seen("/register").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = cli(&dir, &["login", "busy", "--browser", "http", "--timeout", "10"]).await;
    assert!(!second.status.success(), "{}", said(&second));
    assert!(said(&second).contains("already under way"), "{}", said(&second));
    assert!(f.seen("/authorize").is_empty(), "no browser was opened for the second sign-in");
    first.kill().await.unwrap();
    first.wait().await.unwrap();
    let third = cli(&dir, &["login", "busy", "--browser", "http", "--timeout", "10"]).await;
    assert!(third.status.success(), "{}", said(&third));
    std::fs::remove_dir_all(dir).ok();
}
