//! `mcp-auth doctor` against the fixture: each fault lands on its own step,
//! the first problem is what the exit code says, and the doctor itself never
//! refreshes, never signs in and never prints the token.

use serde_json::{json, Value};

use super::fixture::Fixture;
use super::support::cli;

fn sandbox() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mcp-auth-cli-doctor-{}", mcp_auth::new_state()))
}

async fn doctor(dir: &std::path::Path, server: &str) -> (Value, bool) {
    let out = cli(dir, &["doctor", server, "--json"]).await;
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.success())
}

fn step<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("no step {id}: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_sign_in_passes_every_step_and_the_doctor_changes_nothing() {
    let f = Fixture::start().await;
    let dir = sandbox();
    let login = cli(&dir, &["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"]).await;
    assert!(login.status.success());
    let name = serde_json::from_slice::<Value>(&login.stdout).unwrap()["server"].as_str().unwrap().to_string();
    let tokens_before = f.seen("/token").len();
    let (v, ok) = doctor(&dir, &name).await;
    assert!(ok, "{v}");
    assert_eq!(v["verdict"], "ok");
    let ids: Vec<&str> = v["steps"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "reachable",
            "challenge",
            "protected_resource",
            "authorization_server",
            "pkce",
            "client",
            "redirect_port",
            "keychain",
            "grant",
            "test_call"
        ]
    );
    assert!(step(&v, "test_call")["found"].as_str().unwrap().contains("2 tools"), "{v}");
    assert_eq!(f.seen("/token").len(), tokens_before, "never refreshes");
    assert_eq!(f.seen("/authorize").len(), 1, "never signs in");
    let token = String::from_utf8(cli(&dir, &["token", &name]).await.stdout).unwrap();
    let text = String::from_utf8(cli(&dir, &["doctor", &name]).await.stdout).unwrap();
    assert!(!text.contains(token.trim()) && !v.to_string().contains(token.trim()), "the token is never printed");
    assert!(text.contains("Everything checked is fine"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_is_said_on_its_own_step_with_what_to_do() {
    let f = Fixture::start().await;
    let dir = sandbox();
    let login = cli(&dir, &["login", &f.mcp_url(), "--browser", "http", "--timeout", "10"]).await;
    let name = serde_json::from_slice::<Value>(&login.stdout).unwrap()["server"].as_str().unwrap().to_string();

    // The server forgot the tokens: the test call is refused, and the doctor
    // says so instead of refreshing.
    f.invalidate_tokens();
    let tokens_before = f.seen("/token").len();
    let (v, ok) = doctor(&dir, &name).await;
    assert!(!ok);
    assert_eq!(step(&v, "test_call")["verdict"], "problem", "{v}");
    assert!(step(&v, "test_call")["found"].as_str().unwrap().contains("401"), "{v}");
    assert!(step(&v, "test_call")["fix"].as_str().unwrap().contains("Renew"), "{v}");
    assert_eq!(f.seen("/token").len(), tokens_before);

    // No PKCE S256 at the sign-in service.
    f.set(|b| b.as_meta.as_mut().unwrap()["code_challenge_methods_supported"] = json!(["plain"]));
    let (v, _) = doctor(&dir, &f.mcp_url()).await;
    assert_eq!(step(&v, "pkce")["verdict"], "problem", "{v}");

    // A sign-in service that registers no one, and no client id given.
    f.set(|b| {
        b.as_meta = Some(super::fixture::default_as_meta(&f.base));
        b.as_meta.as_mut().unwrap().as_object_mut().unwrap().remove("registration_endpoint");
    });
    let other = sandbox();
    let (v, ok) = doctor(&other, &f.mcp_url()).await;
    assert!(!ok);
    assert_eq!(step(&v, "client")["verdict"], "problem", "{v}");
    assert!(step(&v, "client")["fix"].as_str().unwrap().contains("IT team"), "{v}");
    assert_eq!(step(&v, "grant")["verdict"], "skipped", "a bare URL has nothing stored");

    // An unreachable server: the first step, and the rest skipped with why.
    let (v, ok) = doctor(&other, "http://127.0.0.1:9/mcp").await;
    assert!(!ok);
    assert_eq!(step(&v, "reachable")["verdict"], "problem", "{v}");
    assert_eq!(step(&v, "pkce")["verdict"], "skipped", "{v}");
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_dir_all(other).ok();
}
