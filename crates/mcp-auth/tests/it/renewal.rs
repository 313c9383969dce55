//! Renewal in the background (`Renewals::pass`, what the app runs every half
//! minute) against the fixture and the real keychain: due grants in use are
//! renewed ahead of the margin, unused ones lapse, failures back off, and a
//! refused refresh is not tried again.

use std::sync::Arc;

use mcp_auth::{cancel_pair, keychain_vault_for, FixedClock, KeychainVault, Overrides, Renewals, Renewed, Store, SystemClock};
use serde_json::json;

use crate::fixture::{Canned, Fixture};
use crate::support::{http, SpyBrowser};

/// A store with one server signed in to `f`; the grant's expiry (Unix s).
async fn signed_in(f: &Fixture, tag: &str) -> (Arc<Store<KeychainVault>>, std::path::PathBuf, u64) {
    let dir = std::env::temp_dir().join(format!("mcp-auth-it-renewal-{tag}-{}", mcp_auth::new_state()));
    let store = Arc::new(Store::new(&dir, keychain_vault_for(&format!("dev.mcpauth.test.{}", mcp_auth::new_state()))));
    let entry = store.add(&f.mcp_url(), Some("it"), &SystemClock).unwrap();
    let mut session = store.open_session(&entry, &Overrides::default(), http(), Arc::new(SystemClock)).unwrap();
    session.sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
    store.keep_session(&entry, &session, None, &Overrides::default()).unwrap();
    let expires_at = store.resolve("it").unwrap().grant.unwrap().expires_at.unwrap();
    (store, dir, expires_at)
}

fn refreshes(f: &Fixture) -> usize {
    f.seen("/token").iter().filter(|t| t.form["grant_type"] == "refresh_token").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_in_use_is_renewed_ahead_of_the_margin_and_only_then() {
    let f = Fixture::start().await;
    let (store, dir, expires_at) = signed_in(&f, "due").await;
    let mut renewals = Renewals::default();
    // Ten minutes before expiry: nothing to do.
    assert!(renewals.pass(&*store, &FixedClock(expires_at - 600)).await.unwrap().is_empty());
    assert_eq!(refreshes(&f), 0);
    // Within the margin plus the lead (4 min before expiry at most): renewed,
    // before a consumer (2 min margin) would have to.
    let done = renewals.pass(&*store, &FixedClock(expires_at - 200)).await.unwrap();
    assert_eq!(done, [Renewed::Renewed { server: "it".into() }]);
    assert_eq!(refreshes(&f), 1);
    let renewed = store.resolve("it").unwrap().grant.unwrap();
    assert!(renewed.expires_at.unwrap() > expires_at, "a new expiry is stored");
    // Its own renewal is in the activity, and is not counted as a use.
    assert!(store.activity()["it"].iter().any(|e| e.what == "renewed_in_background"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_nobody_used_for_thirty_days_is_left_to_lapse() {
    let f = Fixture::start().await;
    let (store, dir, expires_at) = signed_in(&f, "unused").await;
    let mut renewals = Renewals::default();
    let later = expires_at + 31 * 24 * 3600;
    assert!(renewals.pass(&*store, &FixedClock(later)).await.unwrap().is_empty());
    assert_eq!(refreshes(&f), 0);
    // A use (a `token` call, a bridge…) within the 30 days keeps it alive.
    store.record_activity("it", "token", "a test", None, &FixedClock(later - 3600)).unwrap();
    let done = renewals.pass(&*store, &FixedClock(later)).await.unwrap();
    assert_eq!(done, [Renewed::Renewed { server: "it".into() }]);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_alone_do_not_keep_an_unused_grant_alive() {
    let f = Fixture::start().await;
    let (store, dir, expires_at) = signed_in(&f, "renewed-only").await;
    let signed_in_at = store.resolve("it").unwrap().grant.unwrap().signed_in_at;
    assert!(signed_in_at > 0, "the summary says when the sign-in was made");
    let mut renewals = Renewals::default();
    // Day 29 of no use: still within the 30 days, renewed.
    let day29 = expires_at + 29 * 24 * 3600;
    assert_eq!(renewals.pass(&*store, &FixedClock(day29)).await.unwrap(), [Renewed::Renewed { server: "it".into() }]);
    let renewed = store.resolve("it").unwrap().grant.unwrap();
    assert_eq!((renewed.obtained_at, renewed.signed_in_at), (day29, signed_in_at), "a renewal moves obtained_at only");
    // Day 31, the renewed token due: that renewal was no use, so it lapses.
    let day31 = renewed.expires_at.unwrap().max(expires_at + 31 * 24 * 3600);
    assert!(renewals.pass(&*store, &FixedClock(day31)).await.unwrap().is_empty());
    assert_eq!(refreshes(&f), 1);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_another_face_renewed_meanwhile_is_not_renewed_again() {
    let f = Fixture::start().await;
    let (store, dir, expires_at) = signed_in(&f, "raced").await;
    // What the pass read in the list before it took the lock.
    let seen = store.resolve("it").unwrap().grant.unwrap().obtained_at;
    // Meanwhile a bridge (or `mcp-auth token`) renewed it.
    store.refresh_grant("it", &FixedClock(expires_at - 200)).await.unwrap();
    assert_eq!(refreshes(&f), 1);
    // The pass's turn: the newer grant stands, no second refresh.
    let kept = store.renew_ahead("it", seen, &FixedClock(expires_at - 190)).await.unwrap();
    assert_eq!(kept.obtained_at, expires_at - 200);
    assert_eq!(refreshes(&f), 1, "renewed twice for one expiry");
    // Read afresh, the same grant is due for this pass: renewed.
    store.renew_ahead("it", kept.obtained_at, &FixedClock(expires_at - 180)).await.unwrap();
    assert_eq!(refreshes(&f), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_back_off_and_a_refused_refresh_is_not_tried_again() {
    let f = Fixture::start().await;
    let (store, dir, expires_at) = signed_in(&f, "fail").await;
    let mut renewals = Renewals::default();
    let t = expires_at - 100;
    f.set(|b| b.token_reply = Some(Canned::json(503, json!({"error": "temporarily_unavailable"}))));
    let done = renewals.pass(&*store, &FixedClock(t)).await.unwrap();
    assert!(matches!(&done[..], [Renewed::Failed { retry_in, .. }] if retry_in.as_secs() == 60), "{done:?}");
    let tried = f.seen("/token").len();
    // Within the backoff: not tried.
    assert!(renewals.pass(&*store, &FixedClock(t + 30)).await.unwrap().is_empty());
    assert_eq!(f.seen("/token").len(), tried);
    // After it: tried again, and the next wait is twice as long.
    let done = renewals.pass(&*store, &FixedClock(t + 61)).await.unwrap();
    assert!(matches!(&done[..], [Renewed::Failed { retry_in, .. }] if retry_in.as_secs() == 120), "{done:?}");
    // The server refuses the refresh token: a sign-in is needed, never retried.
    f.set(|b| b.token_reply = Some(Canned::json(400, json!({"error": "invalid_grant"}))));
    let done = renewals.pass(&*store, &FixedClock(t + 200)).await.unwrap();
    assert!(matches!(&done[..], [Renewed::NeedsSignIn { .. }]), "{done:?}");
    let tried = f.seen("/token").len();
    assert!(renewals.pass(&*store, &FixedClock(t + 4000)).await.unwrap().is_empty());
    assert_eq!(f.seen("/token").len(), tried);
    std::fs::remove_dir_all(dir).ok();
}
