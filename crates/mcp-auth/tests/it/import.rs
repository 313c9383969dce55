//! Import from other MCP clients, with config files written the way those
//! clients write them (tests/fixtures/import/), through the real binary.

use std::path::{Path, PathBuf};

use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn sandbox() -> (PathBuf, PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("mcp-auth-import-{}", mcp_auth::authorize::new_state()));
    let home = root.join("home");
    let project = root.join("project");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    copy_tree(&Path::new(FIXTURES).join("home"), &home);
    copy_tree(&Path::new(FIXTURES).join("project"), &project);
    (root, home, project)
}

async fn import(root: &Path, home: &Path, project: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["import", "--project", project.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(&args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("MCP_AUTH_CONFIG_DIR", root.join("config"))
        .output()
        .await
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn urls_of(v: &Value, client: &str) -> Vec<String> {
    let mut u: Vec<String> = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["client"] == client)
        .map(|f| f["url"].as_str().unwrap().to_string())
        .collect();
    u.sort();
    u
}

#[tokio::test]
async fn every_client_config_is_read_and_only_remote_servers_taken() {
    let (root, home, project) = sandbox();
    let v = import(&root, &home, &project, &["--dry-run"]).await;
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(urls_of(&v, "claude-desktop"), vec!["https://mcp.linear.app/sse", "https://mcp.notion.com/mcp"]);
    assert_eq!(urls_of(&v, "claude-code"), vec!["https://api.githubcopilot.com/mcp/", "https://mcp.sentry.dev/mcp", "https://project.example.com/mcp"]);
    assert_eq!(urls_of(&v, "cursor"), vec!["https://mcp.cursor-user.example/mcp", "https://mcp.figma.com/mcp"]);
    assert_eq!(urls_of(&v, "vscode"), vec!["https://api.githubcopilot.com/mcp/", "https://workspace.example.com/mcp"]);
    assert_eq!(urls_of(&v, "windsurf"), vec!["https://mcp.deepwiki.com/mcp"]);
    // Static credentials are named, never copied.
    let text = v.to_string();
    assert!(!text.contains("ghp_FAKE") && !text.contains("lin_api_FAKE") && !text.contains("sk-FAKE"), "{text}");
    let linear = v["found"].as_array().unwrap().iter().find(|f| f["url"] == "https://mcp.linear.app/sse").unwrap();
    assert_eq!(linear["credential_headers"], serde_json::json!(["Authorization"]));
    assert_eq!(linear["via_wrapper"], true);
    assert!(v["note"].as_str().unwrap().contains("only with --move-credentials"));
    // A dry run adds nothing.
    assert!(!root.join("config/servers.json").exists());
    std::fs::remove_dir_all(root).unwrap();
}

#[tokio::test]
async fn import_adds_each_url_once() {
    let (root, home, project) = sandbox();
    let v = import(&root, &home, &project, &["--from", "vscode"]).await;
    assert_eq!(v["found"].as_array().unwrap().len(), 2);
    assert!(v["found"].as_array().unwrap().iter().all(|f| f["added_as"].is_string()));
    let again = import(&root, &home, &project, &[]).await;
    // The Copilot URL is in Claude Code's config too: present already.
    let copilot: Vec<&Value> = again["found"].as_array().unwrap().iter().filter(|f| f["url"] == "https://api.githubcopilot.com/mcp/").collect();
    assert!(copilot.iter().all(|f| f["added_as"].is_null() && f["already_present_as"].is_string()), "{again}");
    let list = std::fs::read_to_string(root.join("config/servers.json")).unwrap();
    let list: Value = serde_json::from_str(&list).unwrap();
    let n = list["servers"].as_array().unwrap().len();
    assert_eq!(n, 9, "{list}");
    assert!(!list.to_string().contains("FAKE"));
    std::fs::remove_dir_all(root).unwrap();
}

#[tokio::test]
async fn a_static_bearer_moves_into_the_keychain_only_when_asked() {
    let (root, home, project) = sandbox();
    let v = import(&root, &home, &project, &["--from", "claude-desktop", "--move-credentials"]).await;
    let linear = v["found"].as_array().unwrap().iter().find(|f| f["url"] == "https://mcp.linear.app/sse").unwrap().clone();
    assert_eq!(linear["static_bearer_found"], true);
    assert_eq!(linear["credential_moved"], true);
    let name = linear["added_as"].as_str().unwrap().to_string();
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["token", &name])
        .env("MCP_AUTH_CONFIG_DIR", root.join("config"))
        .output()
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "lin_api_FAKE0123456789");
    let list = std::fs::read_to_string(root.join("config/servers.json")).unwrap();
    assert!(!list.contains("lin_api_FAKE"), "{list}");
    // The keychain entry goes with the server.
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["servers", "remove", &name])
        .env("MCP_AUTH_CONFIG_DIR", root.join("config"))
        .output()
        .await
        .unwrap();
    assert!(o.status.success());
    std::fs::remove_dir_all(root).unwrap();
}
