//! The vault, the server list and the token lifecycle through the real
//! `mcp-auth` binary and a real OS keychain (run the tests inside
//! `scripts/with-keyring`, as `scripts/test` does). Rows 27, 30–35, 38.

use std::path::{Path, PathBuf};
use std::process::Output;

use mcp_auth::keychain_vault_for;
use mcp_auth::{Secret, Vault, VaultKey};
use serde_json::{json, Value};

use crate::fixture::Fixture;
use crate::support::cli;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcp-auth-it-{tag}-{}", mcp_auth::new_state()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}\nstderr: {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

async fn login(dir: &Path, f: &Fixture) -> Value {
    let o = cli(dir, &["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"]).await;
    assert!(o.status.success(), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    json_of(&o)
}

fn refreshes(f: &Fixture) -> usize {
    f.seen("/token").iter().filter(|t| t.form.get("grant_type").map(String::as_str) == Some("refresh_token")).count()
}

/// Everything the fixture ever issued or was sent that is a secret.
fn secrets_seen(f: &Fixture) -> Vec<String> {
    let mut out = Vec::new();
    for t in f.seen("/token") {
        for k in ["code", "code_verifier", "refresh_token", "client_secret"] {
            if let Some(v) = t.form.get(k) {
                out.push(v.clone());
            }
        }
    }
    out
}

fn issued_tokens(f: &Fixture) -> Vec<String> {
    (1..200)
        .flat_map(|n| {
            let port = f.base.rsplit(':').next().unwrap().to_string();
            [format!("at-{port}-{n}"), format!("rt-{port}-{n}")]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_token_status_revoke_with_the_real_keychain() {
    let f = Fixture::start().await;
    let dir = temp_dir("lifecycle");
    let out = login(&dir, &f).await;
    let name = out["server"].as_str().unwrap().to_string();
    let token = cli(&dir, &["token", &name]).await;
    assert!(token.status.success());
    let printed = String::from_utf8(token.stdout.clone()).unwrap();
    assert!(printed.trim().starts_with("at-"), "{printed}");
    let status = json_of(&cli(&dir, &["status", &name]).await);
    assert_eq!(status["state"], "signed_in");
    assert_eq!(status["issuer"], f.base);
    assert_eq!(status["has_refresh_token"], true);
    assert_eq!(status["scopes_granted"], json!(["mcp:tools"]));
    assert!(status.to_string().find("at-").is_none(), "status shows a token: {status}");

    // Row 34 (part): no token, code, verifier or refresh token in the config dir
    // or in the output of the commands other than `token`.
    let mut haystack = String::new();
    for entry in walk(&dir) {
        haystack.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
    }
    haystack.push_str(&out.to_string());
    haystack.push_str(&status.to_string());
    for secret in secrets_seen(&f).into_iter().chain(issued_tokens(&f)) {
        assert!(!haystack.contains(&secret), "{secret} leaked into files or output");
    }

    // Refresh now.
    let r = json_of(&cli(&dir, &["refresh", &name]).await);
    assert_eq!(r["status"], "refreshed");
    assert_eq!(refreshes(&f), 1);
    let status = json_of(&cli(&dir, &["status", &name]).await);
    assert_eq!(status["last_refresh"]["ok"], true);

    // Revoke: confirmed by the server, deleted locally, the token is dead.
    let t = String::from_utf8(cli(&dir, &["token", &name]).await.stdout).unwrap();
    let r = json_of(&cli(&dir, &["revoke", &name]).await);
    assert_eq!(r["server_confirmed"], true, "{r}");
    assert_eq!(r["deleted_locally"], true);
    assert_eq!(f.seen("/revoke").len(), 2);
    assert!(f.seen("/revoke").iter().any(|x| x.form.get("token").map(String::as_str) == Some(t.trim())));
    let status = json_of(&cli(&dir, &["status", &name]).await);
    assert_eq!(status["state"], "needs_sign_in");
    let token = cli(&dir, &["token", &name]).await;
    assert!(!token.status.success());
    assert!(String::from_utf8_lossy(&token.stderr).contains("login"));
    std::fs::remove_dir_all(dir).unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row27_two_processes_refresh_once_and_the_grant_survives() {
    let f = Fixture::start().await;
    let dir = temp_dir("race");
    f.set(|b| b.expires_in = json!(2));
    let out = login(&dir, &f).await;
    let name = out["server"].as_str().unwrap().to_string();
    f.set(|b| b.expires_in = json!(3600));
    // Let the stored token expire (a real wait: two real processes read the clock).
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let args = ["token", name.as_str()];
    let (a, b) = tokio::join!(cli(&dir, &args), cli(&dir, &args));
    assert!(a.status.success() && b.status.success(), "{}\n{}", String::from_utf8_lossy(&a.stderr), String::from_utf8_lossy(&b.stderr));
    assert_eq!(a.stdout, b.stdout, "both processes hand out the same fresh token");
    assert_eq!(refreshes(&f), 1, "exactly one refresh against the rotating server");
    // The rotated grant still works.
    let r = json_of(&cli(&dir, &["refresh", &name]).await);
    assert_eq!(r["status"], "refreshed", "{r}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row28_invalid_grant_on_token_means_sign_in_again_without_a_loop() {
    let f = Fixture::start().await;
    let dir = temp_dir("invalid-grant");
    f.set(|b| b.expires_in = json!(2));
    let name = login(&dir, &f).await["server"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    f.set(|b| b.token_reply = Some(crate::fixture::Canned::json(400, json!({"error": "invalid_grant"}))));
    let o = cli(&dir, &["token", &name]).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("login"));
    assert_eq!(refreshes(&f), 1);
    let status = json_of(&cli(&dir, &["status", &name]).await);
    assert_eq!(status["state"], "needs_sign_in");
    assert_eq!(status["last_refresh"]["ok"], false);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn row30_a_10_kb_token_round_trips_through_the_keychain() {
    let vault = keychain_vault_for("dev.mcpauth.manager.test");
    let key = VaultKey::grant("https://h.example/mcp", "https://as.example", &mcp_auth::new_state());
    let long: String = (0..10_240).map(|i| char::from(b'A' + (i % 26) as u8)).collect();
    vault.set(&key, &Secret::new(long.as_str())).unwrap();
    assert_eq!(vault.get(&key).unwrap().unwrap().expose(), long);
    assert!(vault.delete(&key).unwrap());
    assert!(vault.get(&key).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row31_no_keychain_is_a_clear_error_and_nothing_is_written_in_plaintext() {
    let f = Fixture::start().await;
    let dir = temp_dir("no-keychain");
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"])
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .await
        .unwrap();
    assert!(!o.status.success());
    let v = json_of(&o);
    assert_eq!(v["kind"], "keychain", "{v}");
    assert!(v["error"].as_str().unwrap().contains("keychain"), "{v}");
    for file in walk(&dir) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for secret in issued_tokens(&f) {
            assert!(!text.contains(&secret), "{} holds {secret}", file.display());
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row32_a_killed_writer_leaves_the_old_or_the_new_list() {
    let dir = temp_dir("killed");
    for i in 0..40u64 {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
            .args(["servers", "add", &format!("https://h{i}.example/mcp")])
            .env("MCP_AUTH_CONFIG_DIR", &dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_micros(200 * (i % 15))).await;
        let _ = child.start_kill();
        let _ = child.wait().await;
        if let Ok(bytes) = std::fs::read(dir.join("servers.json")) {
            let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
            assert!(parsed.is_ok(), "half-written list after kill {i}: {}", String::from_utf8_lossy(&bytes));
        }
    }
    let list = json_of(&cli(&dir, &["servers", "list"]).await);
    assert!(list.get("warning").is_none(), "{list}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row33_a_hand_corrupted_list_is_kept_aside_and_the_app_starts() {
    let dir = temp_dir("corrupt");
    std::fs::write(dir.join("servers.json"), b"{\"schema_version\": 1, \"servers\": [ oops").unwrap();
    let o = cli(&dir, &["servers", "list"]).await;
    assert!(o.status.success());
    let v = json_of(&o);
    assert!(v["warning"].as_str().unwrap().contains("set aside"), "{v}");
    assert_eq!(v["servers"], json!([]));
    let backups: Vec<_> =
        std::fs::read_dir(&dir).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains("corrupt")).collect();
    assert_eq!(backups.len(), 1);
    assert!(std::fs::read_to_string(backups[0].path()).unwrap().contains("oops"));
    assert!(cli(&dir, &["servers", "add", "https://h.example/mcp"]).await.status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row35_revocation_endpoint_down_still_deletes_local_copies() {
    let f = Fixture::start().await;
    let dir = temp_dir("revoke-down");
    let name = login(&dir, &f).await["server"].as_str().unwrap().to_string();
    f.set(|b| b.revoke_status = 503);
    let r = json_of(&cli(&dir, &["revoke", &name]).await);
    assert_eq!(r["server_confirmed"], false);
    assert_eq!(r["deleted_locally"], true);
    assert!(r["message"].as_str().unwrap().contains("not reached"), "{r}");
    assert_eq!(r["kept_for_retry"], true, "{r}");
    let status = json_of(&cli(&dir, &["status", &name]).await);
    assert_eq!(status["state"], "needs_sign_in");
    assert!(status["sign_out_pending"]["reason"].as_str().unwrap().contains("503"), "{status}");
    // No face hands out the kept tokens: they wait only for the retry.
    assert!(!cli(&dir, &["token", &name]).await.status.success());
    // The server is back: the same command tries again, and the refresh token
    // is revoked there (a deleted one never could be).
    f.set(|b| b.revoke_status = 200);
    let revoked_before = f.seen("/revoke").len();
    let r = json_of(&cli(&dir, &["revoke", &name]).await);
    assert_eq!(r["server_confirmed"], true, "{r}");
    assert_eq!(r["kept_for_retry"], false, "{r}");
    let sent: Vec<String> =
        f.seen("/revoke").into_iter().skip(revoked_before).filter_map(|r| r.form.get("token_type_hint").cloned()).collect();
    assert!(sent.iter().any(|h| h == "refresh_token"), "{sent:?}");
    assert!(json_of(&cli(&dir, &["status", &name]).await)["sign_out_pending"].is_null());
    // Nothing left to sign out of.
    assert!(!cli(&dir, &["revoke", &name]).await.status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_server_whose_sign_out_was_not_confirmed_deletes_the_kept_tokens() {
    let f = Fixture::start().await;
    let dir = temp_dir("revoke-forget");
    let out = login(&dir, &f).await;
    let name = out["server"].as_str().unwrap().to_string();
    let client_id = out["grant"]["client_id"].as_str().unwrap().to_string();
    f.set(|b| b.revoke_status = 503);
    assert_eq!(json_of(&cli(&dir, &["revoke", &name]).await)["kept_for_retry"], true);
    let kept = VaultKey::signed_out(&f.mcp_url(), &f.base, &client_id);
    let vault = mcp_auth::keychain_vault();
    assert!(vault.get(&kept).unwrap().is_some());
    assert!(cli(&dir, &["clear", &name]).await.status.success());
    assert!(vault.get(&kept).unwrap().is_none());
    assert!(json_of(&cli(&dir, &["status", &name]).await)["sign_out_pending"].is_null());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row38_removing_a_server_removes_its_keychain_entries() {
    let f = Fixture::start().await;
    let dir = temp_dir("remove");
    let out = login(&dir, &f).await;
    let name = out["server"].as_str().unwrap().to_string();
    let client_id = out["grant"]["client_id"].as_str().unwrap().to_string();
    let vault = mcp_auth::keychain_vault();
    let grant_key = VaultKey::grant(&f.mcp_url(), &f.base, &client_id);
    let client_key = VaultKey::client(&f.base, &client_id);
    assert!(vault.get(&grant_key).unwrap().is_some());
    assert!(vault.get(&client_key).unwrap().is_some());
    let r = json_of(&cli(&dir, &["servers", "remove", &name, "--revoke"]).await);
    assert_eq!(r["revoked"]["server_confirmed"], true, "{r}");
    assert!(vault.get(&grant_key).unwrap().is_none());
    assert!(vault.get(&client_key).unwrap().is_none());
    assert_eq!(json_of(&cli(&dir, &["servers", "list"]).await)["servers"], json!([]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_registration_is_reused_by_the_next_sign_in() {
    let f = Fixture::start().await;
    let dir = temp_dir("reuse");
    login(&dir, &f).await;
    login(&dir, &f).await;
    assert_eq!(f.seen("/register").len(), 1);
    let ids: Vec<String> = f.seen("/authorize").iter().map(|a| a.query["client_id"].clone()).collect();
    assert_eq!(ids[0], ids[1]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `mcp-auth headers` prints the header object a headers helper hands its
/// program: the same fresh token `mcp-auth token` gives, and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_print_the_authorization_header_as_json() {
    let f = Fixture::start().await;
    let dir = temp_dir("headers");
    let name = login(&dir, &f).await["server"].as_str().unwrap().to_string();
    let token = String::from_utf8(cli(&dir, &["token", &name]).await.stdout).unwrap();
    let headers = cli(&dir, &["headers", &name]).await;
    assert!(headers.status.success());
    let v = json_of(&headers);
    assert_eq!(v, json!({"Authorization": format!("Bearer {}", token.trim())}));
    cli(&dir, &["servers", "remove", &name]).await;
    std::fs::remove_dir_all(dir).ok();
}

/// `prompt=consent` goes with `offline_access` to an OpenID provider only, and
/// the server's setting turns it off (users who may not consent themselves).
#[tokio::test]
async fn the_consent_prompt_is_sent_where_needed_and_can_be_turned_off() {
    let f = Fixture::start().await;
    let prompted = |f: &Fixture| f.seen("/authorize").last().map(|a| a.query.get("prompt").cloned());
    // A plain OAuth server that offers offline_access: no consent screen forced.
    f.set(|b| b.as_meta.as_mut().unwrap()["scopes_supported"] = json!(["mcp:tools", "offline_access"]));
    let dir = temp_dir("consent");
    login(&dir, &f).await;
    let asked = f.seen("/authorize").last().unwrap().query.get("scope").cloned().unwrap_or_default();
    assert!(asked.contains("offline_access"), "{asked}");
    assert_eq!(prompted(&f), Some(None), "prompt=consent sent to a server that is no OpenID provider");
    // An OpenID provider: asked for, as OIDC Core §11 needs for a refresh token.
    f.set(|b| b.as_meta.as_mut().unwrap()["scopes_supported"] = json!(["openid", "mcp:tools", "offline_access"]));
    login(&dir, &f).await;
    assert_eq!(prompted(&f), Some(Some("consent".into())));
    // Turned off for this server: never sent.
    let name = json_of(&cli(&dir, &["servers", "list"]).await)["servers"][0]["name"].as_str().unwrap().to_string();
    let set = json_of(&cli(&dir, &["servers", "set", &name, "--consent-prompt", "false"]).await);
    assert_eq!(set["consent_prompt"], false, "{set}");
    login(&dir, &f).await;
    assert_eq!(prompted(&f), Some(None), "the setting was not honoured");
    std::fs::remove_dir_all(dir).ok();
}

/// Each `token` and `headers` call is in the server's activity, with the
/// program that asked (the shell in between is skipped), and no token.
#[tokio::test]
async fn token_and_headers_calls_are_recorded_with_the_program_that_asked() {
    let f = Fixture::start().await;
    let dir = temp_dir("activity");
    let name = login(&dir, &f).await["server"].as_str().unwrap().to_string();
    let bin = env!("CARGO_BIN_EXE_mcp-auth");
    for what in ["token", "headers"] {
        // As a program would: through a shell.
        let o = tokio::process::Command::new("sh")
            .args(["-c", &format!("'{bin}' {what} '{name}'")])
            .env("MCP_AUTH_CONFIG_DIR", &dir)
            .output()
            .await
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let activity = json_of(&cli(&dir, &["activity", &name]).await);
    let events = activity["events"].as_array().unwrap();
    let whats: Vec<&str> = events.iter().map(|e| e["what"].as_str().unwrap()).collect();
    assert_eq!(whats, ["token", "headers"], "{activity}");
    let me = std::env::current_exe().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    assert!(events.iter().all(|e| e["by"] == me.as_str()), "the asker is this test program ({me}), not the shell: {activity}");
    let text = activity.to_string();
    assert!(issued_tokens(&f).iter().all(|t| !text.contains(t.as_str())), "a token in the activity");
    std::fs::remove_dir_all(dir).ok();
}
