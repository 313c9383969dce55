//! Row 41 through a test build of the binary: a server on the internet cannot
//! send `mcp-auth` to this computer. The address-class seam reads its variable
//! only in test builds (`mcp-auth`'s `test-seams` feature, a dev-dependency).

use mcp_auth::seam;
use serde_json::json;

use crate::fixture::Fixture;

const PUBLIC: &str = "127.0.0.2";

/// Through the real binary (a test build, where the seam reads its variable).
#[tokio::test]
async fn row41_the_cli_refuses_with_a_clear_error() {
    let server = Fixture::start_on(PUBLIC).await;
    let auth = Fixture::start().await;
    let base = auth.base.clone();
    server.set(|b| b.prm.as_mut().unwrap()["authorization_servers"] = json!([base]));
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"))
        .args(["discover", &server.mcp_url()])
        .env(seam::ENV, format!("{PUBLIC}=public"))
        .output()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!o.status.success());
    assert_eq!(v["kind"], "unsafe_url", "{v}");
    assert!(v["error"].as_str().unwrap().contains("a server on the internet may not send this app there"), "{v}");
    assert!(auth.paths().is_empty(), "{:?}", auth.paths());
}
