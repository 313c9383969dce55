//! A machine with no keychain to talk to (an SSH session, a container): the
//! sign-in fails with what is missing and how to start it, and nothing is
//! written to a file instead.

use crate::fixture::Fixture;

async fn login_without_keychain(f: &Fixture, wrap: &[&str]) -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-nokeychain-{}", mcp_auth::new_state()));
    let bin = env!("CARGO_BIN_EXE_mcp-auth");
    let url = f.mcp_url();
    let mut args: Vec<&str> = wrap.to_vec();
    args.extend([bin, "login", url.as_str(), "--browser", "http", "--timeout", "10"]);
    let out = tokio::process::Command::new(args[0])
        .args(&args[1..])
        .env("MCP_AUTH_CONFIG_DIR", &dir)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", dir.join("no-runtime-dir"))
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    (String::from_utf8_lossy(&out.stdout).into_owned(), dir)
}

fn no_token_in_files(dir: &std::path::Path, f: &Fixture) {
    let issued: Vec<String> = f.seen("/token").iter().map(|s| s.form.get("code").cloned().unwrap_or_default()).collect();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        assert!(!text.contains("at-"), "an access token landed in {}", e.path().display());
        assert!(issued.iter().filter(|c| !c.is_empty()).all(|c| !text.contains(c.as_str())));
    }
}

#[tokio::test]
async fn with_no_session_bus_the_error_says_how_to_start_a_keychain() {
    let f = Fixture::start().await;
    let (printed, dir) = login_without_keychain(&f, &[]).await;
    assert!(printed.contains("no D-Bus session bus"), "{printed}");
    assert!(printed.contains("gnome-keyring-daemon --unlock") && printed.contains("dbus-launch"), "{printed}");
    no_token_in_files(&dir, &f);
    std::fs::remove_dir_all(dir).ok();
}

/// A session bus of its own: D-Bus starts GNOME Keyring on first use, locked,
/// and with no desktop its unlock prompt can only be dismissed.
#[tokio::test]
async fn a_locked_keychain_with_no_desktop_says_how_to_unlock_it() {
    let f = Fixture::start().await;
    let (printed, dir) = login_without_keychain(&f, &["env", "-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", "dbus-run-session", "--"]).await;
    assert!(
        printed.contains("no desktop to ask you to unlock it") || printed.contains("no keychain (Secret Service) is running"),
        "{printed}"
    );
    assert!(printed.contains("gnome-keyring-daemon --unlock"), "{printed}");
    no_token_in_files(&dir, &f);
    std::fs::remove_dir_all(dir).ok();
}
