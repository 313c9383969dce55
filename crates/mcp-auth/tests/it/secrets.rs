//! Row 39: a client secret entered for one authorization server is never sent
//! to, nor stored for, another one: not at sign-in, not when the session is
//! saved, not on refresh, whichever face refreshes.

use std::sync::Arc;

use mcp_auth::keychain_vault_for;
use mcp_auth::Overrides;
use mcp_auth::{cancel_pair, ClientConfig, Grant, Operation, Secret, Store, SystemClock};

use crate::fixture::Fixture;
use crate::support::{http, session, SpyBrowser};

const SECRET: &str = "LEAKCANARY-secret-of-issuer-a";

/// What a token endpoint was sent that could carry a client secret.
fn secrets_sent(f: &Fixture) -> Vec<String> {
    f.seen("/token").iter().flat_map(|t| [t.authorization.clone(), t.form.get("client_secret").cloned()]).flatten().collect()
}

fn expired(mut g: Grant) -> Grant {
    g.expires_at = Some(1);
    g.obtained_at = 0;
    g
}

/// The secret was given for A; the server's metadata now names B. Neither the
/// sign-in at B nor the session's refresh there carries A's secret.
#[tokio::test]
async fn row39_a_secret_for_one_issuer_never_reaches_another_in_a_session() {
    let a = Fixture::start().await;
    let b = Fixture::start().await;
    let config = ClientConfig {
        client_id: Some("entered-client".into()),
        client_secret: Some(Secret::new(SECRET)),
        client_secret_issuer: Some(a.base.clone()),
        ..ClientConfig::default()
    };
    let mut s = session(&b.mcp_url(), config);
    s.sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
    s.grant = s.grant.take().map(expired);
    s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
    let grants: Vec<String> = b.seen("/token").iter().map(|t| t.form["grant_type"].clone()).collect();
    assert_eq!(grants, vec!["authorization_code", "refresh_token"]);
    assert_eq!(secrets_sent(&b), Vec::<String>::new(), "A's secret went to B");
}

/// `OAUTH_CLIENT_SECRET` (a secret given for this run) counts as given for the
/// authorization server the stored server is known to use; after a sign-in
/// at another one it is not stored for that one, and the `token` face's
/// refresh sends nothing either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row39_a_secret_given_for_a_run_is_not_stored_for_a_new_issuer() {
    let a = Fixture::start().await;
    let b = Fixture::start().await;
    let dir = std::env::temp_dir().join(format!("mcp-auth-it-row39-{}", mcp_auth::new_state()));
    let store = Arc::new(Store::new(&dir, keychain_vault_for(&format!("dev.mcpauth.test.{}", mcp_auth::new_state()))));
    let entry = store.add(&b.mcp_url(), Some("moved"), &SystemClock).unwrap();
    // The server used A when it was last seen.
    let seen_at_a = mcp_auth::discover(&http(), &a.mcp_url()).await.unwrap().unwrap();
    let entry = store.edit(&entry.name, |e| e.discovery = Some(mcp_auth::summary_of(&seen_at_a))).unwrap();
    let given = Overrides { client_id: Some("entered-client".into()), client_secret: Some(Secret::new(SECRET)), ..Overrides::default() };
    let mut s = store.open_session(&entry, &given, http(), Arc::new(SystemClock)).unwrap();
    s.sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
    store.keep_session(&entry, &s, None, &given).unwrap();
    assert_eq!(secrets_sent(&b), Vec::<String>::new(), "the sign-in at B sent A's secret");
    let (list, _) = store.list().unwrap();
    assert!(!list.clients.iter().any(|c| c.issuer == b.base && c.has_secret), "A's secret was stored for B: {:?}", list.clients);
    assert!(store.load_client(&b.base, "entered-client").unwrap().is_none_or(|c| c.client_secret.is_none()));
    // The `token` face refreshes the stored grant: still nothing sent.
    store.refresh_grant("moved", &SystemClock).await.unwrap();
    assert_eq!(b.seen("/token").len(), 2);
    assert_eq!(secrets_sent(&b), Vec::<String>::new(), "the refresh at B sent A's secret");
    store.remove(&store.resolve("moved").unwrap()).unwrap();
    std::fs::remove_dir_all(dir).ok();
}

/// The same secret, given for the issuer the server really uses, is sent
/// (so the tests above can fail): the binding, not the secret, is what changed.
#[tokio::test]
async fn row39_the_secret_is_sent_to_its_own_issuer() {
    let a = Fixture::start().await;
    let config = ClientConfig {
        client_id: Some("entered-client".into()),
        client_secret: Some(Secret::new(SECRET)),
        client_secret_issuer: None,
        ..ClientConfig::default()
    };
    let mut s = session(&a.mcp_url(), config);
    s.sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap();
    s.grant = s.grant.take().map(expired);
    s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
    let sent = secrets_sent(&a);
    assert_eq!(sent.len(), 2, "{sent:?}");
}
