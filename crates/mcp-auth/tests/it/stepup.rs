//! Scope choice and step-up authorization (row 37).

use mcp_auth::{cancel_pair, ClientConfig, Error, Operation};
use serde_json::json;

use crate::fixture::Fixture;
use crate::support::{session, SpyBrowser};

#[tokio::test]
async fn step_up_asks_for_the_union_and_reuses_the_registration() {
    let f = Fixture::start().await;
    f.set(|b| b.call_requires = vec!["mcp:tools".into(), "mcp:write".into()]);
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let r = s
        .perform(&Operation::CallTool { name: "echo".into(), arguments: json!({}) }, &SpyBrowser::following(), cancel_pair().1)
        .await
        .unwrap();
    assert!(r.result.is_some());
    let scopes: Vec<String> = f.seen("/authorize").iter().map(|a| a.query["scope"].clone()).collect();
    assert_eq!(scopes, vec!["mcp:tools", "mcp:tools mcp:write"]);
    assert_eq!(f.seen("/register").len(), 1);
}

#[tokio::test]
async fn row37_endless_step_up_stops_after_three_sign_ins() {
    let f = Fixture::start().await;
    f.set(|b| b.always_insufficient = true);
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let err = s
        .perform(&Operation::CallTool { name: "echo".into(), arguments: json!({}) }, &SpyBrowser::following(), cancel_pair().1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StepUpLimit { attempts: 3 }), "{err}");
    assert_eq!(f.seen("/authorize").len(), 3);
}

#[tokio::test]
async fn scope_from_the_challenge_wins_and_offline_access_only_when_listed() {
    let f = Fixture::start().await;
    let base = f.base.clone();
    f.set(|b| {
        b.challenge = format!("Bearer scope=\"files:read\", resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"");
        b.as_meta.as_mut().unwrap()["scopes_supported"] = json!(["files:read", "offline_access"]);
    });
    session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
    assert_eq!(f.seen("/authorize")[0].query["scope"], "files:read offline_access");

    // Nothing to go on: no scope parameter at all.
    let f = Fixture::start().await;
    f.set(|b| {
        b.prm.as_mut().unwrap().as_object_mut().unwrap().remove("scopes_supported");
    });
    session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
    assert!(!f.seen("/authorize")[0].query.contains_key("scope"));

    // The user's override, even an empty one, is respected.
    let f = Fixture::start().await;
    session(&f.mcp_url(), ClientConfig { scope: Some(String::new()), ..ClientConfig::default() })
        .sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
    assert!(!f.seen("/authorize")[0].query.contains_key("scope"));
}
