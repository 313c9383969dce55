//! `mcp-auth apps connect` / `disconnect` against config files written the way
//! each app writes them (tests/fixtures/import/home: comments, trailing
//! commas, unknown keys, other servers): the connected entry starts the bridge
//! (or Claude Code's headers helper), disconnect gives the file back byte for
//! byte, a static credential never lands in plaintext anywhere of ours, an
//! unreadable file is left untouched, a symlinked file's target is what changes.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{copy_tree, IMPORT_FIXTURES};

struct Sandbox {
    root: PathBuf,
    home: PathBuf,
    config: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let root = std::env::temp_dir().join(format!("mcp-auth-apps-{}", mcp_auth::new_state()));
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        copy_tree(&Path::new(IMPORT_FIXTURES).join("home"), &home);
        Sandbox { config: root.join("config"), root, home }
    }

    async fn cli(&self, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
            .args(args)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("MCP_AUTH_CONFIG_DIR", &self.config)
            .output()
            .await
            .unwrap()
    }

    async fn ok(&self, args: &[&str]) -> Value {
        let o = self.cli(args).await;
        assert!(o.status.success(), "{args:?}: {}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.home.join(rel)).unwrap()
    }

    /// Every file under our config dir (connections, backups, the list).
    fn our_files(&self) -> String {
        fn walk(d: &Path, out: &mut String) {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    walk(&e.path(), out);
                } else if let Ok(t) = std::fs::read_to_string(e.path()) {
                    out.push_str(&t);
                }
            }
        }
        let mut out = String::new();
        walk(&self.config, &mut out);
        out
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn entry(text: &str, key: &str, name: &str) -> Value {
    let v: Value = serde_json::from_str(&mcp_auth::parsers::strip_jsonc(text)).unwrap();
    v[key][name].clone()
}

#[tokio::test]
async fn connect_and_disconnect_each_app_round_trip_byte_for_byte() {
    let s = Sandbox::new();
    // (app, file, servers key, the app's entry name, its URL)
    let cases = [
        ("claude-desktop", ".config/Claude/claude_desktop_config.json", "mcpServers", "notion", "https://mcp.notion.com/mcp"),
        ("cursor", ".cursor/mcp.json", "mcpServers", "figma", "https://mcp.figma.com/mcp"),
        ("vscode", ".config/Code/User/mcp.json", "servers", "github", "https://api.githubcopilot.com/mcp/"),
        ("windsurf", ".codeium/windsurf/mcp_config.json", "mcpServers", "deepwiki", "https://mcp.deepwiki.com/mcp"),
        ("claude-code", ".claude.json", "mcpServers", "sentry", "https://mcp.sentry.dev/mcp"),
    ];
    for (app, file, key, name, url) in cases {
        let ours = format!("ours-{app}");
        s.ok(&["servers", "add", url, "--name", &ours]).await;
        let before = s.read(file);
        let report = s.ok(&["apps", "connect", app, &ours]).await;
        assert_eq!(report["entry"], name, "{report}");
        assert_eq!(report["replaced_existing"], true);
        let after = s.read(file);
        let e = entry(&after, key, name);
        if app == "claude-code" {
            assert_eq!(e["url"], url);
            let helper = e["headersHelper"].as_str().unwrap();
            assert!(helper.ends_with(&format!(" headers '{ours}'")), "{helper}");
        } else {
            assert_eq!(e["args"], serde_json::json!(["bridge", ours]), "{after}");
            assert!(e["command"].as_str().unwrap().ends_with("/mcp-auth"));
        }
        // Only that entry changed: with it put back by hand, the file is the same.
        let listed = s.ok(&["apps", "list"]).await;
        let through: Vec<&Value> = listed["apps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["app"] == app)
            .flat_map(|a| a["servers"].as_array().unwrap())
            .filter(|e| e["through_mcp_auth"] == ours.as_str())
            .collect();
        assert_eq!(through.len(), 1, "{listed}");
        s.ok(&["apps", "disconnect", app, &ours]).await;
        assert_eq!(s.read(file), before, "{app}: disconnect gives the file back byte for byte");
    }
    // An app with no entry for the server: one is added, and removed again.
    let before = s.read(".cursor/mcp.json");
    s.ok(&["servers", "add", "https://new.example/mcp", "--name", "new-one"]).await;
    let r = s.ok(&["apps", "connect", "cursor", "new-one"]).await;
    assert_eq!(r["replaced_existing"], false);
    assert_eq!(entry(&s.read(".cursor/mcp.json"), "mcpServers", "new-one")["args"], serde_json::json!(["bridge", "new-one"]));
    // The server cannot be removed from under the app.
    let o = s.cli(&["servers", "remove", "new-one"]).await;
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stdout).contains("cursor"), "{}", String::from_utf8_lossy(&o.stdout));
    s.ok(&["apps", "disconnect", "--all"]).await;
    assert_eq!(s.read(".cursor/mcp.json"), before);
}

#[tokio::test]
async fn a_static_credential_moves_only_when_asked_and_never_lands_in_plaintext() {
    let s = Sandbox::new();
    s.ok(&["servers", "add", "https://mcp.linear.app/sse", "--name", "linear"]).await;
    let file = ".config/Claude/claude_desktop_config.json";
    let before = s.read(file);
    let o = s.cli(&["apps", "connect", "claude-desktop", "linear"]).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("--move-credentials"));
    assert_eq!(s.read(file), before, "refused: untouched");
    let r = s.ok(&["apps", "connect", "claude-desktop", "linear", "--move-credentials"]).await;
    assert_eq!(r["static_token_moved_to_keychain"], true, "{r}");
    assert!(!s.read(file).contains("lin_api_FAKE"));
    assert!(!s.our_files().contains("lin_api_FAKE"), "a backup or the kept entry holds the token");
    let token = s.cli(&["token", "linear"]).await;
    assert_eq!(String::from_utf8_lossy(&token.stdout).trim(), "lin_api_FAKE0123456789");
    // Disconnect restores the entry, without the credential.
    s.ok(&["apps", "disconnect", "claude-desktop", "linear"]).await;
    let restored = s.read(file);
    assert!(!restored.contains("lin_api_FAKE") && !restored.contains("Authorization"), "{restored}");
    assert_eq!(entry(&restored, "mcpServers", "linear")["args"][2], "https://mcp.linear.app/sse");
    assert_eq!(entry(&restored, "mcpServers", "notion"), entry(&before, "mcpServers", "notion"));
    s.ok(&["servers", "remove", "linear"]).await;
}

#[tokio::test]
async fn an_unreadable_file_is_left_untouched_and_a_symlink_keeps_pointing() {
    let s = Sandbox::new();
    s.ok(&["servers", "add", "https://mcp.deepwiki.com/mcp", "--name", "wiki"]).await;
    let windsurf = s.home.join(".codeium/windsurf/mcp_config.json");
    std::fs::write(&windsurf, "{ \"mcpServers\": { \"deepwiki\": ").unwrap();
    let o = s.cli(&["apps", "connect", "windsurf", "wiki"]).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("left untouched"));
    assert_eq!(std::fs::read_to_string(&windsurf).unwrap(), "{ \"mcpServers\": { \"deepwiki\": ");
    // A config that is a link to a file elsewhere (dotfiles): the target changes.
    let target = s.root.join("dotfiles-windsurf.json");
    std::fs::write(&target, "{\n  \"mcpServers\": {}\n}\n").unwrap();
    std::fs::remove_file(&windsurf).unwrap();
    std::os::unix::fs::symlink(&target, &windsurf).unwrap();
    s.ok(&["apps", "connect", "windsurf", "wiki"]).await;
    assert!(std::fs::symlink_metadata(&windsurf).unwrap().file_type().is_symlink(), "still a link");
    assert!(std::fs::read_to_string(&target).unwrap().contains("\"bridge\""));
    s.ok(&["apps", "disconnect", "windsurf", "wiki"]).await;
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "{\n  \"mcpServers\": {}\n}\n");
}

/// An unrelated entry of the same name (a local server) is left alone: ours
/// gets a name of its own. A credential that is not a bearer token cannot
/// move into the keychain, so connecting is refused even when asked.
#[tokio::test]
async fn unrelated_entries_and_unmovable_credentials_are_left_alone() {
    let s = Sandbox::new();
    let file = ".config/Claude/claude_desktop_config.json";
    let before = s.read(file);
    s.ok(&["servers", "add", "https://files.example/mcp", "--name", "filesystem"]).await;
    let r = s.ok(&["apps", "connect", "claude-desktop", "filesystem"]).await;
    assert_eq!(r["entry"], "filesystem (mcp-auth)", "{r}");
    let after = s.read(file);
    assert_eq!(entry(&after, "mcpServers", "filesystem"), entry(&before, "mcpServers", "filesystem"));
    s.ok(&["apps", "disconnect", "claude-desktop", "filesystem"]).await;
    assert_eq!(s.read(file), before);

    let cursor = ".cursor/mcp.json";
    let before = s.read(cursor);
    s.ok(&["servers", "add", "https://mcp.cursor-user.example/mcp", "--name", "mine"]).await;
    let o = s.cli(&["apps", "connect", "cursor", "mine", "--move-credentials"]).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("cannot be moved"), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(s.read(cursor), before, "refused: untouched");
    assert!(!s.our_files().contains("sk-FAKE"));
}

/// `apps connect APP --all`: every server of the list the app has an entry
/// for goes through the bridge at once; one with a saved key waits for
/// `--move-credentials` while the others go on; the app's entries the list
/// lacks are named for import; `disconnect --all` gives the file back.
#[tokio::test]
async fn an_app_is_connected_for_all_its_servers_at_once() {
    let s = Sandbox::new();
    let file = ".config/Claude/claude_desktop_config.json";
    let before = s.read(file);
    s.ok(&["servers", "add", "https://mcp.notion.com/mcp", "--name", "notion-ours"]).await;
    s.ok(&["servers", "add", "https://mcp.linear.app/sse", "--name", "linear-ours"]).await;
    s.ok(&["servers", "add", "https://elsewhere.example/mcp", "--name", "not-in-the-app"]).await;
    let first = s.cli(&["apps", "connect", "claude-desktop", "--all"]).await;
    assert!(!first.status.success(), "a skipped server is not a success");
    let r: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(r["status"], "partly_connected", "{r}");
    let connected: Vec<&str> = r["connected"].as_array().unwrap().iter().map(|c| c["server"].as_str().unwrap()).collect();
    assert_eq!(connected, ["notion-ours"], "{r}");
    assert_eq!(r["skipped"][0]["server"], "linear-ours");
    assert_eq!(r["skipped"][0]["kind"], "static_credential", "{r}");
    let after = s.read(file);
    assert_eq!(entry(&after, "mcpServers", "notion")["args"], serde_json::json!(["bridge", "notion-ours"]));
    assert!(after.contains("lin_api_FAKE0123456789"), "the entry with a saved key is left as it was");
    // Agreed: the key moves into the keychain; notion is connected already.
    let r = s.ok(&["apps", "connect", "claude-desktop", "--all", "--move-credentials"]).await;
    let connected: Vec<&str> = r["connected"].as_array().unwrap().iter().map(|c| c["server"].as_str().unwrap()).collect();
    assert_eq!(connected, ["linear-ours"], "{r}");
    assert!(r["note"].as_str().unwrap().starts_with("Restart Claude Desktop"), "{r}");
    assert!(!s.read(file).contains("lin_api_FAKE0123456789"));
    assert!(!s.our_files().contains("lin_api_FAKE0123456789"));
    // Nothing left to connect: said so, and a success.
    let r = s.ok(&["apps", "connect", "claude-desktop", "--all"]).await;
    assert_eq!(r["connected"], serde_json::json!([]), "{r}");
    assert!(r["note"].as_str().unwrap().contains("No server of the list"), "{r}");
    s.ok(&["apps", "disconnect", "--all"]).await;
    let restored = s.read(file);
    assert_eq!(entry(&restored, "mcpServers", "notion"), entry(&before, "mcpServers", "notion"));
    assert!(!restored.contains("lin_api_FAKE0123456789"), "a moved key never comes back in plaintext");
}

/// `apps connect APP mcp-auth`: the app gets an entry named `mcp-auth` that
/// starts `mcp-auth serve` (stdio); disconnect gives the file back byte for
/// byte, for each app's format.
#[tokio::test]
async fn the_platform_itself_is_connected_as_mcp_auth_serve() {
    let s = Sandbox::new();
    for (app, file, key) in [
        ("claude-desktop", ".config/Claude/claude_desktop_config.json", "mcpServers"),
        ("vscode", ".config/Code/User/mcp.json", "servers"),
        ("claude-code", ".claude.json", "mcpServers"),
    ] {
        let before = s.read(file);
        let report = s.ok(&["apps", "connect", app, "mcp-auth"]).await;
        assert_eq!((report["entry"].as_str(), report["replaced_existing"].as_bool()), (Some("mcp-auth"), Some(false)), "{report}");
        let e = entry(&s.read(file), key, "mcp-auth");
        assert_eq!(e["args"], serde_json::json!(["serve"]), "{app}: {e}");
        assert!(e["command"].as_str().unwrap().ends_with("/mcp-auth"), "{e}");
        if app != "claude-desktop" {
            assert_eq!(e["type"], "stdio", "{app} is told it is a local command");
        }
        s.ok(&["apps", "disconnect", app, "mcp-auth"]).await;
        assert_eq!(s.read(file), before, "{app}: disconnect gives the file back byte for byte");
    }
}
