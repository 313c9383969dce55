//! The grants no person attends (`--grant client-credentials|workload`) and
//! DPoP-bound grants, through the binary against the fixture: what is kept,
//! how each is renewed, and where a bound token may go.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use super::fixture::Fixture;

fn sandbox(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-grants-{tag}-{}", mcp_auth::new_state()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"));
    cmd.args(args).env("MCP_AUTH_CONFIG_DIR", dir).env_remove("OAUTH_CLIENT_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn grants_of(f: &Fixture, grant_type: &str) -> Vec<super::fixture::Seen> {
    f.seen("/token").into_iter().filter(|t| t.form.get("grant_type").map(String::as_str) == Some(grant_type)).collect()
}

/// Every file the project wrote under `dir`, concatenated.
fn our_files(dir: &Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.push_str(&our_files(&e.path()));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_are_obtained_again_at_each_renewal_with_nobody_asked() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.client_credentials = Some(("cc-client".into(), Some("cc-secret-6f1e".into())));
        b.issue_refresh = false;
        b.expires_in = json!(2);
    });
    let dir = sandbox("cc");
    let login = run(
        &dir,
        &["login", &f.mcp_url(), "--grant", "client-credentials", "--client-id", "cc-client", "--browser", "print"],
        &[("OAUTH_CLIENT_SECRET", "cc-secret-6f1e")],
    )
    .await;
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let name = json_of(&login)["server"].as_str().unwrap().to_string();
    assert_eq!(grants_of(&f, "client_credentials").len(), 1);
    let listed = run(&dir, &["servers", "list"], &[]).await;
    assert_eq!(json_of(&listed)["servers"][0]["grant_kind"], "client-credentials", "kept as the server's setting");

    // Past expiry, `token` (no flags, no secret given) obtains a new grant the
    // same way: the secret comes from the keychain, no browser, no prompt.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let token = run(&dir, &["token", &name], &[]).await;
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    assert_eq!(grants_of(&f, "client_credentials").len(), 2);
    assert!(f.seen("/authorize").is_empty(), "nobody was sent to a browser");
    assert!(!our_files(&dir).contains("cc-secret-6f1e"), "the secret is in the keychain, not a file");

    // A refusal is reported as the server said it, and not retried another way.
    f.set(|b| b.client_credentials = Some(("cc-client".into(), Some("rotated".into()))));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let refused = run(&dir, &["token", &name], &[]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("invalid_client"), "{}", String::from_utf8_lossy(&refused.stderr));
    assert_eq!(grants_of(&f, "client_credentials").len(), 3, "one attempt, no retry");
    assert!(f.seen("/authorize").is_empty());
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_key_signs_the_client_assertion_and_lives_on_in_the_keychain() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.client_credentials = Some(("key-client".into(), None));
        b.issue_refresh = false;
        b.expires_in = json!(2);
    });
    let dir = sandbox("key");
    // An EC key as `openssl ecparam -genkey` writes it (SEC1).
    let key = dir.join("client.pem");
    let made = std::process::Command::new("openssl")
        .args(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out"])
        .arg(&key)
        .status()
        .expect("openssl is installed by scripts/setup");
    assert!(made.success());
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.contains("BEGIN EC PRIVATE KEY"), "{pem}");
    let login = run(
        &dir,
        &["login", &f.mcp_url(), "--grant", "client-credentials", "--client-id", "key-client", "--private-key-file", key.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let name = json_of(&login)["server"].as_str().unwrap().to_string();
    let first = grants_of(&f, "client_credentials");
    assert_eq!(first.len(), 1);
    assert!(first[0].authorization.is_none(), "no secret is sent");
    // The file is no longer needed: the key is in the keychain.
    std::fs::remove_file(&key).unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let token = run(&dir, &["token", &name], &[]).await;
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    let both = grants_of(&f, "client_credentials");
    assert_eq!(both.len(), 2);
    assert_ne!(both[0].form["client_assertion"], both[1].form["client_assertion"], "a fresh assertion each time");
    let body = pem.lines().nth(1).unwrap();
    assert!(!our_files(&dir).contains(body), "the key is not in a file of the project's");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_token_file_is_read_again_at_each_renewal() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.accepted_assertions = vec!["workload.jwt.one".into(), "workload.jwt.two".into()];
        b.issue_refresh = false;
        b.expires_in = json!(2);
    });
    let dir = sandbox("wif");
    let file = dir.join("token");
    std::fs::write(&file, "workload.jwt.one\n").unwrap();
    let login = run(&dir, &["login", &f.mcp_url(), "--grant", "workload", "--workload-token-file", file.to_str().unwrap()], &[]).await;
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let name = json_of(&login)["server"].as_str().unwrap().to_string();
    // Whatever keeps the file fresh (a kubelet, a CI runner) writes a new one.
    std::fs::write(&file, "workload.jwt.two\n").unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let token = run(&dir, &["token", &name], &[]).await;
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    let seen: Vec<String> =
        grants_of(&f, "urn:ietf:params:oauth:grant-type:jwt-bearer").iter().map(|t| t.form["assertion"].clone()).collect();
    assert_eq!(seen, ["workload.jwt.one", "workload.jwt.two"]);
    // A token the server refuses: said, never swapped for another grant.
    std::fs::write(&file, "workload.jwt.stale\n").unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let refused = run(&dir, &["token", &name], &[]).await;
    assert!(!refused.status.success());
    assert_eq!(grants_of(&f, "urn:ietf:params:oauth:grant-type:jwt-bearer").len(), 3);
    assert_eq!(f.seen("/token").len(), 3, "no other grant tried");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_bound_grant_proves_every_request_and_is_never_handed_out() {
    let f = Fixture::start().await;
    f.set(|b| b.dpop = true);
    let dir = sandbox("dpop");
    let login = run(&dir, &["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"], &[]).await;
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let name = json_of(&login)["server"].as_str().unwrap().to_string();
    let status = run(&dir, &["status", &name], &[]).await;
    assert_eq!(json_of(&status)["dpop_bound"], true, "{}", String::from_utf8_lossy(&status.stdout));
    // The fixture checks each MCP request's proof against the bound key: a
    // tools listing that works is one whose proofs verified.
    let tools = run(&dir, &["tools", &name], &[]).await;
    assert!(tools.status.success(), "{}", String::from_utf8_lossy(&tools.stderr));
    let mcp = f.seen("/mcp");
    assert!(mcp.iter().filter_map(|r| r.authorization.as_deref()).all(|a| !a.starts_with("Bearer")), "always the DPoP scheme");
    // Refresh keeps the binding.
    let refreshed = run(&dir, &["refresh", &name], &[]).await;
    assert!(refreshed.status.success(), "{}", String::from_utf8_lossy(&refreshed.stderr));
    assert!(run(&dir, &["tools", &name], &[]).await.status.success(), "the refreshed token is still bound and proven");
    // `token` and `headers` refuse to hand out what no other program can use.
    for face in ["token", "headers"] {
        let out = run(&dir, &[face, &name], &[]).await;
        assert!(!out.status.success());
        assert!(out.stdout.is_empty(), "{face} printed something");
        assert!(String::from_utf8_lossy(&out.stderr).contains("mcp-auth bridge"), "{}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A server that binds the refresh token to the key but answers a refresh
/// with an unbound Bearer token (RFC 9449 §5): the access token is then sent
/// as Bearer and may be handed out, and the key stays (the grant stays bound
/// to this computer), so the next refresh proves it again (without it the
/// server would refuse the refresh token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_answer_to_a_proven_refresh_keeps_the_key_for_the_next_one() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.dpop = true;
        b.dpop_bearer_on_refresh = true;
        b.rotate_refresh = true;
    });
    let dir = sandbox("dpop-bearer-refresh");
    let login = run(&dir, &["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"], &[]).await;
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let name = json_of(&login)["server"].as_str().unwrap().to_string();
    assert_eq!(json_of(&run(&dir, &["status", &name], &[]).await)["dpop_bound"], true);
    for round in 1..=2 {
        let refreshed = run(&dir, &["refresh", &name], &[]).await;
        assert!(refreshed.status.success(), "refresh {round}: {}", String::from_utf8_lossy(&refreshed.stderr));
        // Still bound to this computer (the refresh token needs the key): apps go through the bridge.
        assert_eq!(json_of(&run(&dir, &["status", &name], &[]).await)["dpop_bound"], true, "refresh {round}");
        assert!(run(&dir, &["tools", &name], &[]).await.status.success(), "refresh {round}: the unbound token works as Bearer");
    }
    let refreshes: Vec<_> = f.seen("/token").into_iter().filter(|t| t.form["grant_type"] == "refresh_token").collect();
    assert_eq!(refreshes.len(), 2);
    assert!(refreshes.iter().all(|t| t.dpop.is_some()), "each refresh proved the key");
    let token = run(&dir, &["token", &name], &[]).await;
    assert!(token.status.success(), "an unbound token is handed out: {}", String::from_utf8_lossy(&token.stderr));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_binding_where_only_the_authorization_server_takes_dpop() {
    // oidc-provider advertises DPoP whatever the resource server behind it
    // knows: a token bound there would be refused by a Bearer-only server.
    let f = Fixture::start().await;
    f.set(|b| b.dpop_at_as_only = true);
    let dir = sandbox("dpop-as-only");
    let login = run(&dir, &["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"], &[]).await;
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let name = json_of(&login)["server"].as_str().unwrap().to_string();
    assert_eq!(json_of(&run(&dir, &["status", &name], &[]).await)["dpop_bound"], false);
    assert!(f.seen("/mcp").iter().filter_map(|r| r.authorization.as_deref()).all(|a| a.starts_with("Bearer ")));
    assert!(run(&dir, &["token", &name], &[]).await.status.success(), "an unbound token is handed out");
    std::fs::remove_dir_all(dir).ok();
}
