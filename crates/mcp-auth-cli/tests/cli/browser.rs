//! Row 22: with no browser to open, the validated URL is printed.

use crate::fixture::Fixture;

#[tokio::test]
async fn row22_without_a_browser_the_validated_url_is_printed() {
    let f = Fixture::start().await;
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-nobrowser-{}", mcp_auth::new_state()));
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", &f.mcp_url(), "--browser", "system", "--timeout", "1"])
        .env("PATH", "/nonexistent")
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .output()
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Could not open a browser"), "{stderr}");
    assert!(stderr.contains(&format!("{}/authorize?", f.base)), "{stderr}");
    assert!(!out.status.success());
}

/// `--browser paste`: the browser is elsewhere; the person pastes the address
/// it ended on. An address elsewhere and one of another sign-in are asked for
/// again; the right one is checked by the listener and signs in.
#[tokio::test]
async fn a_pasted_address_signs_in_and_others_are_asked_for_again() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let f = Fixture::start().await;
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-paste-{}", mcp_auth::new_state()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", &f.mcp_url(), "--browser", "paste", "--timeout", "20"])
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next_line =
        async || tokio::time::timeout(std::time::Duration::from_secs(20), stderr.next_line()).await.unwrap().unwrap().unwrap();
    let link = loop {
        let line = next_line().await;
        if line.contains("/authorize?") {
            break line.trim().to_string();
        }
    };
    // The person's browser: the authorization server redirects to the loopback
    // address, which it cannot load.
    // (The engine's client follows no redirect: the Location is what a browser would go to.)
    let browser = mcp_auth::HttpClient::new(mcp_auth::Limits::default()).unwrap();
    let answer = browser.send(reqwest::Method::GET, &link, &[], mcp_auth::Body::None).await.unwrap();
    let landed = answer.headers["location"].to_str().unwrap().to_string();
    let landed_url = url::Url::parse(&landed).unwrap();
    let elsewhere = landed.replacen("127.0.0.1", "evil.example", 1);
    let other_state: String = {
        let mut u = landed_url.clone();
        let pairs: Vec<(String, String)> = landed_url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" { "other".to_string() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };
    for (pasted, told) in [(elsewhere.as_str(), "not the address"), (other_state.as_str(), "another sign-in")] {
        stdin.write_all(format!("{pasted}\n").as_bytes()).await.unwrap();
        loop {
            if next_line().await.contains(told) {
                break;
            }
        }
    }
    stdin.write_all(format!("  {landed}  \n").as_bytes()).await.unwrap();
    let out = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait_with_output()).await.unwrap().unwrap();
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{printed}");
    assert_eq!(printed["status"], "success", "{printed}");
    assert_eq!(f.seen("/token").len(), 1, "one code exchange");
    std::fs::remove_dir_all(dir).ok();
}

/// `bridge` and `serve` read the protocol on stdin: no paste there, and the
/// refusal comes before anything is kept (a bridge for a URL adds it to the list).
#[tokio::test]
async fn paste_is_refused_where_stdin_carries_the_protocol() {
    for args in [&["bridge", "https://mcp.example/mcp", "--browser", "paste"][..], &["serve", "--browser", "paste"][..]] {
        let dir = std::env::temp_dir().join(format!("mcp-auth-cli-nopaste-{}", mcp_auth::new_state()));
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
            .args(args)
            .env("MCP_AUTH_CONFIG_DIR", &dir)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(!out.status.success() && out.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("stdin carries the MCP protocol"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list = std::fs::read_to_string(dir.join("servers.json")).unwrap_or_default();
        assert!(!list.contains("mcp.example"), "{args:?} kept the server: {list}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

async fn device_run(f: &Fixture, args: &[&str]) -> (std::process::Output, std::time::Duration) {
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-device-{}", mcp_auth::new_state()));
    let started = std::time::Instant::now();
    let mut all = args.to_vec();
    let url = f.mcp_url();
    all.extend([url.as_str(), "--browser", "device", "--timeout", "30"]);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(&all)
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    std::fs::remove_dir_all(dir).ok();
    (out, started.elapsed())
}

/// `--browser device` (RFC 8628): the code and the page are shown, the token
/// endpoint is polled at the server's interval (slower after `slow_down`),
/// and the approval signs in; through `login` and through `tools`.
#[tokio::test]
async fn a_device_sign_in_shows_the_code_and_waits_for_approval() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.offer_device(&f.base);
        b.device = crate::fixture::DeviceMode::ApproveAfter(1);
        b.device_slow_down_once = true;
    });
    let (out, took) = device_run(&f, &["login"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr.contains("WDJB-MJHT") && stderr.contains(&format!("{}/activate", f.base)), "{stderr}");
    assert_eq!(f.seen("/authorize").len(), 0, "no browser redirect");
    let polls: Vec<_> = f.seen("/token").into_iter().filter(|t| t.form["grant_type"].ends_with("device_code")).collect();
    assert_eq!(polls.len(), 3, "slow_down, pending, then tokens");
    // 1 s, then 6 s after slow_down added five, then 6 s again.
    assert!(took >= std::time::Duration::from_secs(12), "slow_down was not honoured ({took:?})");
    assert!(f.seen("/device")[0].form.contains_key("resource"), "the resource is named");
    // `tools` signs in the same way when the server asks.
    f.set(|b| b.device_slow_down_once = false);
    let (out, _) = device_run(&f, &["tools"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(printed["tools"].as_array().is_some_and(|t| t.iter().any(|t| t["name"] == "echo")), "{printed}");
}

/// Refused, expired, or not offered: each stops with what happened, no loop.
#[tokio::test]
async fn a_device_sign_in_stops_when_refused_expired_or_not_offered() {
    let f = Fixture::start().await;
    let (out, _) = device_run(&f, &["login"]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("offers no sign-in from another device"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    f.set(|b| b.offer_device(&f.base));
    for (mode, words) in [(crate::fixture::DeviceMode::Deny, "cancelled"), (crate::fixture::DeviceMode::Expire, "expired")] {
        f.set(|b| b.device = mode.clone());
        let before = f.seen("/token").len();
        let (out, _) = device_run(&f, &["login"]).await;
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success() && printed.contains(words), "{printed}");
        assert_eq!(f.seen("/token").len() - before, 1, "one poll, then it stops");
    }
}

/// A machine whose launcher finds no browser (`xdg-open` exits 3): the link is
/// printed at once, with why, instead of "opened your browser".
#[tokio::test]
async fn a_launcher_that_finds_no_browser_is_said_and_the_link_printed() {
    let f = Fixture::start().await;
    let bin = std::env::temp_dir().join(format!("mcp-auth-cli-nobrowser-{}", mcp_auth::new_state()));
    std::fs::create_dir_all(&bin).unwrap();
    for launcher in ["xdg-open", "gio"] {
        let path = bin.join(launcher);
        std::fs::write(&path, "#!/bin/sh\nexit 3\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", &f.mcp_url(), "--browser", "system", "--timeout", "1"])
        .env("PATH", &bin)
        .env("MCP_AUTH_CONFIG_DIR", bin.join("config"))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("found no browser") && stderr.contains("exit status: 3"), "{stderr}");
    assert!(stderr.contains(&format!("{}/authorize?", f.base)), "{stderr}");
    assert!(!stderr.contains("Opened your browser"), "{stderr}");
    std::fs::remove_dir_all(bin).ok();
}
