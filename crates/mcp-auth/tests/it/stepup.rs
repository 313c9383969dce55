//! Scope choice and step-up authorization (row 37).

use std::sync::Arc;

use mcp_auth::{cancel_pair, ClientConfig, ConsentFuture, Error, Operation, StepUpConsent, StepUpRequest};
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

/// A person at the step-up prompt: records what was asked, answers `approve`.
struct Person {
    approve: bool,
    asked: std::sync::Mutex<Vec<StepUpRequest>>,
}

impl StepUpConsent for Person {
    fn approve<'a>(&'a self, request: &'a StepUpRequest) -> ConsentFuture<'a> {
        self.asked.lock().unwrap().push(request.clone());
        Box::pin(async move { self.approve })
    }
}

#[tokio::test]
async fn step_up_is_put_to_the_user_first_and_a_no_stops_it() {
    for approve in [true, false] {
        let f = Fixture::start().await;
        f.set(|b| b.call_requires = vec!["mcp:tools".into(), "mcp:write".into()]);
        let person = Arc::new(Person { approve, asked: Default::default() });
        let mut s = session(&f.mcp_url(), ClientConfig::default());
        s.step_up_consent = Some(person.clone());
        let op = Operation::CallTool { name: "echo".into(), arguments: json!({}) };
        let result = s.perform(&op, &SpyBrowser::following(), cancel_pair().1).await;
        let asked = person.asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 1, "asked once (the first sign-in is not a step-up)");
        assert_eq!(asked[0].added, vec!["mcp:write"]);
        assert_eq!(asked[0].requested, vec!["mcp:tools", "mcp:write"]);
        if approve {
            assert!(result.unwrap().result.is_some());
            assert_eq!(f.seen("/authorize").len(), 2);
        } else {
            let err = result.unwrap_err();
            assert!(matches!(&err, Error::StepUpDeclined { scope } if scope == "mcp:write"), "{err}");
            assert_eq!(f.seen("/authorize").len(), 1, "no sign-in after a no");
        }
    }
}

/// Row 44: right after sign-in the server answers 401 with a wider scope in
/// its challenge. That is a step-up: the user is asked (and a no stops it), as
/// for a 403 `insufficient_scope`; before, it was a silent wider sign-in.
#[tokio::test]
async fn row44_a_wider_scope_in_a_401_is_a_step_up() {
    for approve in [true, false] {
        let f = Fixture::start().await;
        let mut s = session(&f.mcp_url(), ClientConfig::default());
        s.sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
        f.set(|b| b.unauthorized_without = vec!["mcp:tools".into(), "mcp:admin".into()]);
        let person = Arc::new(Person { approve, asked: Default::default() });
        s.step_up_consent = Some(person.clone());
        let result = s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await;
        let asked = person.asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 1, "the user is asked once");
        assert_eq!(asked[0].added, vec!["mcp:admin"]);
        let scopes: Vec<String> = f.seen("/authorize").iter().map(|a| a.query["scope"].clone()).collect();
        if approve {
            result.unwrap();
            assert_eq!(scopes, vec!["mcp:tools", "mcp:tools mcp:admin"]);
        } else {
            let err = result.unwrap_err();
            assert!(matches!(&err, Error::StepUpDeclined { scope } if scope == "mcp:admin"), "{err}");
            assert_eq!(scopes, vec!["mcp:tools"], "no wider sign-in after a no");
        }
    }
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
        .sign_in(&SpyBrowser::following(), cancel_pair().1)
        .await
        .unwrap();
    assert!(!f.seen("/authorize")[0].query.contains_key("scope"));
}
