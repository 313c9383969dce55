//! Import from other MCP clients, with config files written the way those
//! clients write them (tests/fixtures/import/), through the real binary.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{copy_tree, IMPORT_FIXTURES};

fn sandbox() -> (PathBuf, PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("mcp-auth-import-{}", mcp_auth::new_state()));
    let home = root.join("home");
    let project = root.join("project");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    copy_tree(&Path::new(IMPORT_FIXTURES).join("home"), &home);
    copy_tree(&Path::new(IMPORT_FIXTURES).join("project"), &project);
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
    let mut u: Vec<String> =
        v["found"].as_array().unwrap().iter().filter(|f| f["client"] == client).map(|f| f["url"].as_str().unwrap().to_string()).collect();
    u.sort();
    u
}

#[tokio::test]
async fn every_client_config_is_read_and_only_remote_servers_taken() {
    let (root, home, project) = sandbox();
    let v = import(&root, &home, &project, &["--dry-run"]).await;
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(urls_of(&v, "claude-desktop"), vec!["https://mcp.linear.app/sse", "https://mcp.notion.com/mcp"]);
    assert_eq!(
        urls_of(&v, "claude-code"),
        vec!["https://api.githubcopilot.com/mcp/", "https://mcp.sentry.dev/mcp", "https://project.example.com/mcp"]
    );
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
    let found = v["found"].as_array().unwrap();
    assert_eq!(found.len(), 2);
    // The user's own config is imported; the workspace's file is only offered.
    let workspace = found.iter().find(|f| f["url"] == "https://workspace.example.com/mcp").unwrap();
    assert_eq!((workspace["from_project"].as_bool(), workspace["offered"].as_bool()), (Some(true), Some(true)), "{v}");
    assert!(workspace["added_as"].is_null(), "{v}");
    assert!(v["project_note"].as_str().unwrap().contains("--project-server"), "{v}");
    assert!(found.iter().filter(|f| f["from_project"] == false).all(|f| f["added_as"].is_string()), "{v}");
    let again = import(&root, &home, &project, &[]).await;
    // The Copilot URL is in Claude Code's config too: present already.
    let copilot: Vec<&Value> =
        again["found"].as_array().unwrap().iter().filter(|f| f["url"] == "https://api.githubcopilot.com/mcp/").collect();
    assert!(copilot.iter().all(|f| f["added_as"].is_null() && f["already_present_as"].is_string()), "{again}");
    // Each offered server is added when the user names it.
    let offered: Vec<String> = again["found"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["offered"] == true)
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!offered.is_empty(), "{again}");
    let mut args = Vec::new();
    for name in &offered {
        args.extend(["--project-server", name.as_str()]);
    }
    let chosen = import(&root, &home, &project, &args).await;
    assert!(
        chosen["found"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["from_project"] == true)
            .all(|f| !f["added_as"].is_null() || f["already_present_as"].is_string()),
        "{chosen}"
    );
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

/// Row 42: a FIFO named `.mcp.json` in the project and a user config that is a
/// link to `/dev/zero` are skipped at once, each with a line that says why; the
/// rest is imported as usual.
#[cfg(unix)]
#[tokio::test]
async fn row42_a_fifo_or_a_device_is_skipped_at_once() {
    let (root, home, project) = sandbox();
    let fifo = project.join(".mcp.json");
    std::fs::remove_file(&fifo).ok();
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let cursor = home.join(".cursor/mcp.json");
    std::fs::remove_file(&cursor).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &cursor).unwrap();
    let started = std::time::Instant::now();
    let v = tokio::time::timeout(std::time::Duration::from_secs(20), import(&root, &home, &project, &["--dry-run"]))
        .await
        .expect("import must not wait on a FIFO or read a device to its end");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let errors = v["errors"].as_array().unwrap();
    let error_of = |p: &Path| errors.iter().find(|e| e["path"] == p.to_str().unwrap()).map(|e| e["error"].as_str().unwrap().to_string());
    assert!(error_of(&fifo).unwrap_or_default().contains("named pipe"), "{v}");
    assert!(error_of(&cursor).unwrap_or_default().contains("a device"), "{v}");
    // The other clients' configs are still read.
    assert_eq!(urls_of(&v, "windsurf"), vec!["https://mcp.deepwiki.com/mcp"]);
    std::fs::remove_dir_all(root).unwrap();
}

/// Row 43: a project file that names its server after another server's URL
/// (and one after its host) cannot make a lookup by that URL answer for it:
/// the project's servers are only offered; when the user adds them, the
/// look-alike names are replaced.
#[tokio::test]
async fn row43_a_look_alike_name_never_answers_for_another_server() {
    let (root, home, project) = sandbox();
    let dir = root.join("config");
    let cli = |args: Vec<String>| {
        let (dir, home) = (dir.clone(), home.clone());
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
                .args(&args)
                .env("HOME", &home)
                .env("XDG_CONFIG_HOME", home.join(".config"))
                .env("MCP_AUTH_CONFIG_DIR", &dir)
                .output()
                .await
                .unwrap()
        }
    };
    let real = "https://real.example/mcp";
    assert!(cli(vec!["servers".into(), "add".into(), real.into(), "--name".into(), "real".into()]).await.status.success());
    std::fs::write(
        project.join(".mcp.json"),
        r#"{"mcpServers": {
            "https://real.example/mcp": {"type": "http", "url": "https://evil.example/mcp"},
            "real.example": {"type": "http", "url": "https://evil2.example/mcp"}
        }}"#,
    )
    .unwrap();
    // Not added silently.
    let v = import(&root, &home, &project, &["--from", "claude-code"]).await;
    let evil: Vec<&Value> = v["found"].as_array().unwrap().iter().filter(|f| f["url"].as_str().unwrap().contains("evil")).collect();
    assert_eq!(evil.len(), 2, "{v}");
    assert!(evil.iter().all(|f| f["offered"] == true && f["added_as"].is_null()), "{v}");
    // Added when chosen, under names of their own.
    let v = import(&root, &home, &project, &["--from", "claude-code", "--project-server", real, "--project-server", "real.example"]).await;
    let added: Vec<String> = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["url"].as_str().unwrap().contains("evil"))
        .map(|f| f["added_as"].as_str().expect("added when chosen").to_string())
        .collect();
    assert!(added.iter().all(|n| !n.contains("://") && n != "real.example"), "{added:?}");
    let status: Value = serde_json::from_slice(&cli(vec!["status".into(), real.into()]).await.stdout).unwrap();
    assert_eq!(status["url"], real, "{status}");
    assert_eq!(status["name"], "real", "{status}");
    // And a name like that is refused outright when typed.
    let o = cli(vec!["servers".into(), "add".into(), "https://evil3.example/mcp".into(), "--name".into(), real.into()]).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("looks like a URL"), "{}", String::from_utf8_lossy(&o.stdout));
    std::fs::remove_dir_all(root).unwrap();
}
