//! Row 41: a server on the internet cannot make the engine send a request to
//! this computer or the local network, and one on the local network cannot
//! make it send one to this computer, unless the user allowed it for that
//! server. The tests stand loopback addresses in for the other classes through
//! the address-class seam compiled only into test builds.

use std::net::IpAddr;
use std::sync::Arc;

use mcp_auth::keychain_vault_for;
use mcp_auth::Overrides;
use mcp_auth::{cancel_pair, ClientConfig, ErrorKind, Store, SystemClock};
use mcp_auth::{seam, AddressClass};
use serde_json::json;

use crate::fixture::{Canned, Fixture};
use crate::support::{http, session, SpyBrowser};

/// 127.0.0.2 stands for the internet, 127.0.0.3 for the local network;
/// 127.0.0.1 stays this computer.
const PUBLIC: &str = "127.0.0.2";
const PRIVATE: &str = "127.0.0.3";

fn classes() {
    seam::set_class(PUBLIC.parse::<IpAddr>().unwrap(), AddressClass::Public);
    seam::set_class(PRIVATE.parse::<IpAddr>().unwrap(), AddressClass::Private);
}

/// The MCP server on `server_ip` names an authorization server on `as_ip`.
async fn pointing(server_ip: &str, as_ip: &str) -> (Fixture, Fixture) {
    classes();
    let server = Fixture::start_on(server_ip).await;
    let auth = Fixture::start_on(as_ip).await;
    let base = auth.base.clone();
    server.set(|b| b.prm.as_mut().unwrap()["authorization_servers"] = json!([base]));
    (server, auth)
}

#[tokio::test]
async fn row41_nothing_is_sent_nearer_than_the_server() {
    for (server_ip, as_ip) in [(PUBLIC, "127.0.0.1"), (PUBLIC, PRIVATE), (PRIVATE, "127.0.0.1")] {
        let (server, auth) = pointing(server_ip, as_ip).await;
        let spy = SpyBrowser::following();
        let err = session(&server.mcp_url(), ClientConfig::default()).sign_in(&spy, cancel_pair().1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{server_ip} -> {as_ip}: {err}");
        assert!(err.to_string().contains("may not send this app there"), "{err}");
        assert!(auth.paths().is_empty(), "{server_ip} -> {as_ip}: the engine reached {:?}", auth.paths());
        assert!(spy.opened().is_empty());
    }
}

#[tokio::test]
async fn row41_farther_out_is_fine() {
    // A private server may use an authorization server on the internet.
    let (server, auth) = pointing(PRIVATE, PUBLIC).await;
    let d = mcp_auth::discover(&http().serving(&server.mcp_url(), false), &server.mcp_url()).await.unwrap().unwrap();
    assert_eq!(d.auth_server.issuer, auth.base);
}

#[tokio::test]
async fn row41_a_redirect_to_this_computer_is_not_followed() {
    classes();
    let server = Fixture::start_on(PUBLIC).await;
    let local = Fixture::start().await;
    let target = format!("{}/.well-known/oauth-protected-resource/mcp", local.base);
    server.set(|b| b.prm_reply = Some(Canned { status: 302, headers: vec![("location", target)], body: String::new() }));
    // The redirect is refused; discovery goes on as for a server without
    // protected-resource metadata, on the server's own origin.
    let found = mcp_auth::discover(&http().serving(&server.mcp_url(), false), &server.mcp_url()).await.unwrap().unwrap();
    assert!(found.protected_resource.is_none());
    assert_eq!(found.auth_server.issuer, server.base);
    assert!(local.paths().is_empty(), "{:?}", local.paths());
}

#[tokio::test]
async fn row41_registration_and_token_endpoints_on_this_computer_are_refused() {
    // Metadata on the internet naming endpoints on this computer.
    classes();
    let server = Fixture::start_on(PUBLIC).await;
    let local = Fixture::start().await;
    let local_base = local.base.clone();
    server.set(|b| {
        let meta = b.as_meta.as_mut().unwrap();
        meta["registration_endpoint"] = json!(format!("{local_base}/register"));
    });
    let err = session(&server.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{err}");
    assert!(local.paths().is_empty(), "{:?}", local.paths());

    let server = Fixture::start_on(PUBLIC).await;
    let local_base = local.base.clone();
    server.set(|b| b.as_meta.as_mut().unwrap()["token_endpoint"] = json!(format!("{local_base}/token")));
    let err = session(&server.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{err}");
    assert!(local.paths().is_empty(), "{:?}", local.paths());
}

/// The user's choice for one server lets it through, and only that server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row41_the_user_can_allow_it_for_one_server() {
    let (server, auth) = pointing(PUBLIC, "127.0.0.1").await;
    let dir = std::env::temp_dir().join(format!("mcp-auth-it-row41-{}", mcp_auth::new_state()));
    let store = Arc::new(Store::new(&dir, keychain_vault_for(&format!("dev.mcpauth.test.{}", mcp_auth::new_state()))));
    let entry = store.add(&server.mcp_url(), Some("trusted"), &SystemClock).unwrap();
    let mut refused = store.open_session(&entry, &Overrides::default(), http(), Arc::new(SystemClock)).unwrap();
    assert!(refused.sign_in(&SpyBrowser::idle(), cancel_pair().1).await.is_err());
    assert!(auth.paths().is_empty());
    let entry = store.edit("trusted", |e| e.allow_local_network = true).unwrap();
    let mut allowed = store.open_session(&entry, &Overrides::default(), http(), Arc::new(SystemClock)).unwrap();
    let (status, _pending) = allowed.try_connect().await.unwrap();
    assert!(matches!(status, mcp_auth::ConnectStatus::RequiresAuth { .. }), "{status:?}");
    assert!(auth.paths().contains(&"/.well-known/oauth-authorization-server".to_string()), "{:?}", auth.paths());
    std::fs::remove_dir_all(dir).ok();
}
