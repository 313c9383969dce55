//! The token endpoint: malformed answers, redirects, errors, refresh rotation,
//! `invalid_grant`, clock skew, revocation (rows 24–26, 28, 29).

use std::sync::Arc;

use mcp_auth::TokenEndpoint;
use mcp_auth::REFRESH_MARGIN;
use mcp_auth::{cancel_pair, Authorizer, ClientConfig, Error, ErrorKind, FixedClock, Operation, ServerSession, SystemClock};
use serde_json::json;

use crate::fixture::{Canned, Fixture};
use crate::support::{http, session, SpyBrowser};

async fn signed_in(f: &Fixture) -> ServerSession {
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
    s
}

/// A good token answer that is not the letter of RFC 6749 §5.1 (a 201, a
/// `text/plain` content type: servers send both) is still read, as before the
/// standard grants moved onto `oauth2`, which takes only a 200 with JSON's
/// content type; a body that is not JSON still is not.
#[tokio::test]
async fn row24_a_token_answer_a_server_labels_oddly_is_read() {
    for (status, content_type) in [(201, "application/json"), (200, "text/plain"), (200, "text/html; charset=utf-8")] {
        let f = Fixture::start().await;
        let body = json!({"access_token": "at-odd", "token_type": "Bearer", "expires_in": 3600}).to_string();
        f.set(|b| b.token_reply = Some(Canned { status, headers: vec![("content-type", content_type.into())], body: body.clone() }));
        let mut s = session(&f.mcp_url(), ClientConfig::default());
        let token = s.sign_in(&SpyBrowser::following(), cancel_pair().1).await.map(|g| g.access_token.expose().to_owned());
        assert_eq!(token.ok().as_deref(), Some("at-odd"), "{status} {content_type}");
    }
    let f = Fixture::start().await;
    f.set(|b| b.token_reply = Some(Canned { status: 200, headers: vec![("content-type", "text/html".into())], body: "<html>".into() }));
    let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert!(matches!(&err, Error::TokenEndpoint { error, .. } if error.contains("not JSON")), "{err}");
}

#[tokio::test]
async fn row24_token_answers_without_token_or_type_are_refused() {
    for body in [
        json!({"token_type": "Bearer"}),
        json!({"access_token": "x"}),
        json!({"access_token": "x", "token_type": "mac"}),
        json!({"access_token": "", "token_type": "Bearer"}),
    ] {
        let f = Fixture::start().await;
        f.set(|b| b.token_reply = Some(Canned::json(200, body.clone())));
        let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
        assert!(matches!(err, Error::TokenEndpoint { .. }), "{body}: {err}");
    }
    // Odd expires_in: unknown → no expiry believed; negative → already expired.
    for (expires_in, expect_none) in [(json!("soon"), true), (json!(null), true), (json!(-10), false), (json!("120"), false)] {
        let f = Fixture::start().await;
        f.set(|b| b.expires_in = expires_in.clone());
        let mut s = session(&f.mcp_url(), ClientConfig::default());
        let g = s.sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
        assert_eq!(g.expires_at.is_none(), expect_none, "{expires_in}");
    }
}

#[tokio::test]
async fn row25_redirects_html_5xx_and_invalid_grant_from_the_token_endpoint() {
    let f = Fixture::start().await;
    let stolen = format!("{}/stolen", f.base);
    f.set(|b| b.token_reply = Some(Canned { status: 302, headers: vec![("location", stolen.clone())], body: String::new() }));
    let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert!(matches!(err, Error::Redirected { .. }), "{err}");
    assert!(f.seen("/stolen").is_empty(), "the redirect was followed");

    let f = Fixture::start().await;
    f.set(|b| {
        b.token_reply =
            Some(Canned { status: 502, headers: vec![("content-type", "text/html".into())], body: "<h1>Bad gateway</h1>".into() })
    });
    let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("502") && text.contains("text/html"), "{text}");
    let code = f.seen("/token")[0].form["code"].clone();
    let verifier = f.seen("/token")[0].form["code_verifier"].clone();
    assert!(!text.contains(&code) && !text.contains(&verifier), "{text}");

    let f = Fixture::start().await;
    f.set(|b| b.token_reply = Some(Canned::json(400, json!({"error": "invalid_grant", "error_description": "code expired"}))));
    let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NeedsSignIn, "{err}");
    assert_eq!(f.seen("/token").len(), 1);

    let f = Fixture::start().await;
    f.set(|b| b.token_reply = Some(Canned::json(400, json!({"error": "invalid_scope"}))));
    let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert!(matches!(err, Error::InvalidScope { ref scope } if scope == "mcp:tools"), "{err}");
}

#[tokio::test]
async fn row26_refresh_rotation_replaces_and_absence_keeps() {
    let f = Fixture::start().await;
    let s = signed_in(&f).await;
    let d = s.discovery.clone().unwrap();
    let g = s.grant.clone().unwrap();
    let next = s.authorizer.refresh(&d, &g).await.unwrap();
    assert_ne!(next.refresh_token, g.refresh_token);
    assert_ne!(next.access_token, g.access_token);
    // The old refresh token is dead at the server (rotation).
    assert!(matches!(s.authorizer.refresh(&d, &g).await, Err(Error::InvalidGrant { .. })));

    f.set(|b| b.rotate_refresh = false);
    let s = signed_in(&f).await;
    let g = s.grant.clone().unwrap();
    let next = s.authorizer.refresh(&d, &g).await.unwrap();
    assert_eq!(next.refresh_token, g.refresh_token, "no new refresh token: keep the old one");
    let last = f.seen("/token").last().unwrap().clone();
    assert_eq!(last.form.get("grant_type").map(String::as_str), Some("refresh_token"));
    assert_eq!(last.form.get("resource"), Some(&f.mcp_url()));
}

#[tokio::test]
async fn row28_invalid_grant_on_refresh_means_sign_in_without_a_loop() {
    let f = Fixture::start().await;
    let mut s = signed_in(&f).await;
    s.grant.as_mut().unwrap().refresh_token = Some(mcp_auth::Secret::new("rt-unknown"));
    f.invalidate_tokens();
    let spy = SpyBrowser::following();
    s.perform(&Operation::ListTools, &spy, cancel_pair().1).await.unwrap();
    let refreshes = f.seen("/token").iter().filter(|t| t.form.get("grant_type").map(String::as_str) == Some("refresh_token")).count();
    assert_eq!(refreshes, 1);
    assert_eq!(spy.opened().len(), 1, "one new sign-in after invalid_grant");

    let d = s.discovery.clone().unwrap();
    let mut g = s.grant.clone().unwrap();
    g.refresh_token = Some(mcp_auth::Secret::new("rt-unknown"));
    let err = s.authorizer.refresh(&d, &g).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NeedsSignIn);
}

#[tokio::test]
async fn row29_refresh_early_with_a_margin_and_a_401_wins() {
    let f = Fixture::start().await;
    let s = signed_in(&f).await;
    let g = s.grant.clone().unwrap();
    let expires = g.expires_at.unwrap();
    assert!(!g.needs_refresh(&FixedClock(expires - REFRESH_MARGIN - 1)));
    assert!(g.needs_refresh(&FixedClock(expires - REFRESH_MARGIN + 1)));

    // A clock that runs ahead (resumed laptop): refreshed before use, no sign-in.
    let ahead = Authorizer::new(http(), Arc::new(FixedClock(expires - 10)), ClientConfig::default());
    let mut skewed = ServerSession::new(&f.mcp_url(), ahead).unwrap();
    skewed.discovery = s.discovery.clone();
    skewed.grant = s.grant.clone();
    let before = f.seen("/token").len();
    let spy = SpyBrowser::following();
    skewed.perform(&Operation::ListTools, &spy, cancel_pair().1).await.unwrap();
    assert_eq!(f.seen("/token").len(), before + 1);
    assert!(spy.opened().is_empty());

    // The local clock says valid, the server says 401: the server wins (refresh).
    let mut s = signed_in(&f).await;
    f.invalidate_tokens();
    let before = f.seen("/token").len();
    let spy = SpyBrowser::following();
    s.perform(&Operation::ListTools, &spy, cancel_pair().1).await.unwrap();
    assert_eq!(f.seen("/token").len(), before + 1);
    assert!(spy.opened().is_empty());
}

#[tokio::test]
async fn revocation_reaches_the_server_and_the_token_stops_working() {
    let f = Fixture::start().await;
    let s = signed_in(&f).await;
    let g = s.grant.clone().unwrap();
    let client = s.authorizer.client_for(&f.base).unwrap().clone();
    let endpoint = format!("{}/revoke", f.base);
    let ep = TokenEndpoint { url: &endpoint, client: &client, dpop: None };
    assert!(ep.revoke(&http(), g.refresh_token.as_ref().unwrap(), "refresh_token").await.unwrap());
    assert!(ep.revoke(&http(), &g.access_token, "access_token").await.unwrap());
    let revoked = f.seen("/revoke");
    assert_eq!(revoked[0].form.get("token_type_hint").map(String::as_str), Some("refresh_token"));
    assert_eq!(revoked[0].form.get("client_id"), Some(&client.client_id));
    let fresh = ServerSession::new(&f.mcp_url(), Authorizer::new(http(), Arc::new(SystemClock), ClientConfig::default())).unwrap();
    let _ = fresh;
    let mut again = session(&f.mcp_url(), ClientConfig::default());
    again.grant = Some(g);
    again.discovery = s.discovery.clone();
    let spy = SpyBrowser::idle();
    again.sign_in_timeout = std::time::Duration::from_millis(300);
    let err = again.perform(&Operation::ListTools, &spy, cancel_pair().1).await.unwrap_err();
    // The revoked token is refused; refresh fails; a sign-in is started.
    assert_eq!(spy.opened().len(), 1, "{err}");
    f.set(|b| b.revoke_status = 503);
    assert!(ep.revoke(&http(), &mcp_auth::Secret::new("x"), "access_token").await.is_err());
}
