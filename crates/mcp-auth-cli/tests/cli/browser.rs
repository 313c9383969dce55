//! Row 22: with no browser to open, the validated URL is printed.

use crate::fixture::Fixture;

#[tokio::test]
async fn row22_without_a_browser_the_validated_url_is_printed() {
    let f = Fixture::start().await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["login", &f.mcp_url(), "--browser", "system", "--timeout", "1"])
        .env("PATH", "/nonexistent")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Could not open a browser"), "{stderr}");
    assert!(stderr.contains(&format!("{}/authorize?", f.base)), "{stderr}");
    assert!(!out.status.success());
}
