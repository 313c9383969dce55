//! Sign-in against the fixture: client identity, the loopback redirect and its
//! hostile cases (rows 11, 12, 14–23).

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_auth::OpenFuture;
use mcp_auth::{
    cancel_pair, discover, Authorizer, BrowserUrl, ClientConfig, ConnectStatus, Error, ErrorKind, FixedClock, Opener, Operation,
    SystemClock,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::fixture::{AuthorizeMode, Canned, Fixture};
use crate::support::{http, query_param, session, SpyBrowser};

/// Send a raw GET with the given Host header and return the status code.
async fn raw_get(port: u16, target: &str, host: &str) -> Option<u16> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    text.split(' ').nth(1)?.parse().ok()
}

/// Where the authorization server redirects to (without following it).
async fn redirect_location(auth_url: &str) -> url::Url {
    let fetched = http().send(reqwest::Method::GET, auth_url, &[], mcp_auth::Body::None).await.unwrap();
    assert_eq!(fetched.status.as_u16(), 302);
    url::Url::parse(fetched.headers.get("location").unwrap().to_str().unwrap()).unwrap()
}

fn target_of(u: &url::Url) -> String {
    format!("{}?{}", u.path(), u.query().unwrap_or(""))
}

#[tokio::test]
async fn full_sign_in_registers_a_public_native_client_and_lists_tools() {
    let f = Fixture::start().await;
    let spy = SpyBrowser::following();
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let r = s.perform(&Operation::ListTools, &spy, cancel_pair().1).await.unwrap();
    assert_eq!(r.server_name, "fixture-mcp");
    assert!(r.tools.iter().any(|t| t.name == "echo"));
    let reg: serde_json::Value = serde_json::from_str(&f.seen("/register")[0].body).unwrap();
    assert_eq!(reg["application_type"], "native");
    assert_eq!(reg["token_endpoint_auth_method"], "none");
    assert_eq!(reg["grant_types"], json!(["authorization_code", "refresh_token"]));
    let redirect = reg["redirect_uris"][0].as_str().unwrap().to_string();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"), "{redirect}");
    let auth = &f.seen("/authorize")[0];
    assert_eq!(auth.query.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert_eq!(auth.query.get("redirect_uri"), Some(&redirect));
    assert_eq!(auth.query.get("scope").map(String::as_str), Some("mcp:tools"));
    let token = &f.seen("/token")[0];
    assert_eq!(token.form.get("client_id"), auth.query.get("client_id"));
    assert!(token.authorization.is_none());
    // The token went only in the Authorization header to the MCP server.
    let mcp = f.seen("/mcp");
    assert!(mcp.last().unwrap().authorization.as_deref().unwrap().starts_with("Bearer at-"));
    assert!(mcp.iter().all(|m| m.query.is_empty()));
    // The listener is closed after the flow.
    let port: u16 = url::Url::parse(&redirect).unwrap().port().unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test]
async fn sse_replies_and_session_ids_are_handled() {
    let f = Fixture::start().await;
    f.set(|b| b.sse = true);
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let r = s
        .perform(&Operation::CallTool { name: "echo".into(), arguments: json!({"x": 1}) }, &SpyBrowser::following(), cancel_pair().1)
        .await
        .unwrap();
    assert!(r.result.unwrap().to_string().contains("called with"));
    let mcp = f.seen("/mcp");
    assert!(mcp.iter().rev().take(2).all(|m| m.authorization.is_some()));
}

#[tokio::test]
async fn pre_registered_confidential_client_uses_basic_or_post() {
    for (methods, expect_basic) in [(json!(["client_secret_basic"]), true), (json!(["client_secret_post"]), false)] {
        let f = Fixture::start().await;
        f.set(|b| {
            let m = b.as_meta.as_mut().unwrap();
            m["token_endpoint_auth_methods_supported"] = methods.clone();
            m.as_object_mut().unwrap().remove("registration_endpoint");
        });
        let config = ClientConfig {
            client_id: Some("my app".into()),
            client_secret: Some(mcp_auth::Secret::new("s3cr:et")),
            ..ClientConfig::default()
        };
        let mut s = session(&f.mcp_url(), config);
        s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
        let token = &f.seen("/token")[0];
        assert!(f.seen("/register").is_empty());
        if expect_basic {
            use base64::Engine;
            let expected = base64::engine::general_purpose::STANDARD.encode("my+app:s3cr%3Aet");
            assert_eq!(token.authorization.as_deref(), Some(format!("Basic {expected}").as_str()));
            assert!(!token.form.contains_key("client_secret"));
        } else {
            assert!(token.authorization.is_none());
            assert_eq!(token.form.get("client_secret").map(String::as_str), Some("s3cr:et"));
        }
    }
}

#[tokio::test]
async fn client_id_metadata_document_is_used_when_supported() {
    let f = Fixture::start().await;
    f.set(|b| b.as_meta.as_mut().unwrap()["client_id_metadata_document_supported"] = json!(true));
    let cimd = "https://app.example.com/client-metadata.json";
    let config = ClientConfig { client_metadata_url: Some(cimd.into()), ..ClientConfig::default() };
    let mut s = session(&f.mcp_url(), config);
    s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
    assert!(f.seen("/register").is_empty());
    assert_eq!(f.seen("/authorize")[0].query.get("client_id").map(String::as_str), Some(cimd));
    assert_eq!(f.seen("/token")[0].form.get("client_id").map(String::as_str), Some(cimd));
}

#[tokio::test]
async fn no_way_to_identify_the_client_is_requires_oauth_config() {
    let f = Fixture::start().await;
    f.set(|b| {
        let m = b.as_meta.as_mut().unwrap();
        m.as_object_mut().unwrap().remove("registration_endpoint");
        m["token_endpoint_auth_methods_supported"] = json!(["client_secret_basic"]);
    });
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let (status, pending) = s.connect().await;
    assert!(pending.is_none());
    let v = serde_json::to_value(&status).unwrap();
    assert_eq!(v["status"], "requires_oauth_config", "{v}");
    assert_eq!(v["authType"], "oauth2");
    let d = &v["oauthDiscovery"];
    assert_eq!(d["authorizationEndpoint"], format!("{}/authorize", f.base));
    assert_eq!(d["tokenEndpoint"], format!("{}/token", f.base));
    assert_eq!(d["issuer"], f.base);
    assert_eq!(d["suggestedScope"], "mcp:tools");
    assert_eq!(d["needsClientSecret"], true);
    assert!(d["suggestedRedirectUri"].as_str().unwrap().starts_with("http://127.0.0.1:"));

    // With a client id it becomes requires_auth with a validated URL.
    let mut s = session(&f.mcp_url(), ClientConfig { client_id: Some("given".into()), ..ClientConfig::default() });
    let (status, pending) = s.connect().await;
    let ConnectStatus::RequiresAuth { auth_url, .. } = status else { panic!("{status:?}") };
    assert_eq!(query_param(&auth_url, "client_id").as_deref(), Some("given"));
    assert!(pending.is_some());
}

#[tokio::test]
async fn row11_a_new_authorization_server_gets_a_fresh_registration() {
    let a = Fixture::start().await;
    let b = Fixture::start().await;
    let mut s = session(&a.mcp_url(), ClientConfig::default());
    s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
    let old_client = a.seen("/authorize")[0].query["client_id"].clone();
    // The PRM now names B; A's tokens are gone.
    let b_base = b.base.clone();
    a.set(|x| x.prm.as_mut().unwrap()["authorization_servers"] = json!([b_base]));
    a.invalidate_tokens();
    let _ = s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await;
    assert_eq!(b.seen("/register").len(), 1, "B must get its own registration");
    let sent_to_b: Vec<String> = b
        .seen("/authorize")
        .iter()
        .map(|r| r.query["client_id"].clone())
        .chain(b.seen("/token").iter().filter_map(|r| r.form.get("client_id").cloned()))
        .collect();
    assert!(!sent_to_b.is_empty());
    assert!(sent_to_b.iter().all(|c| c != &old_client), "{sent_to_b:?}");
}

#[tokio::test]
async fn row12_registration_answers_are_checked_and_secret_expiry_honoured() {
    let f = Fixture::start().await;
    f.set(|b| b.register_reply = Some(Canned::json(201, json!({"client_id": "c", "redirect_uris": ["https://evil.example/cb"]}))));
    let spy = SpyBrowser::following();
    let err = session(&f.mcp_url(), ClientConfig::default()).perform(&Operation::ListTools, &spy, cancel_pair().1).await.unwrap_err();
    assert!(matches!(err, Error::Registration { .. }), "{err}");
    assert!(spy.opened().is_empty());

    // A confidential registration whose secret has expired is registered again.
    for (expires_at, registrations) in [(1u64, 2usize), (0, 1)] {
        let f = Fixture::start().await;
        f.set(|b| {
            b.register_reply = Some(Canned::json(
                201,
                json!({
                    "client_id": format!("conf-{expires_at}"), "client_secret": "dcr-secret",
                    "client_secret_expires_at": expires_at, "token_endpoint_auth_method": "client_secret_basic",
                }),
            ))
        });
        let mut s = session(&f.mcp_url(), ClientConfig::default());
        s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
        f.invalidate_tokens();
        s.grant.as_mut().unwrap().refresh_token = None;
        s.perform(&Operation::ListTools, &SpyBrowser::following(), cancel_pair().1).await.unwrap();
        assert_eq!(f.seen("/register").len(), registrations, "expires_at {expires_at}");
        assert!(f.seen("/token")[0].authorization.as_deref().unwrap().starts_with("Basic "));
        let shown = format!("{:?}", s.authorizer.client_for(&f.base));
        assert!(!shown.contains("dcr-secret"), "{shown}");
    }
}

/// A browser that misbehaves around the real redirect. Each probe is recorded
/// as it happens: the flow ends (and drops this future) on the real callback.
#[derive(Default)]
struct HostileBrowser {
    statuses: std::sync::Mutex<Vec<(&'static str, Option<u16>)>>,
    real: std::sync::Mutex<Option<url::Url>>,
}

impl HostileBrowser {
    fn note(&self, what: &'static str, status: Option<u16>) {
        self.statuses.lock().unwrap().push((what, status));
    }
}

impl Opener for HostileBrowser {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        Box::pin(async move {
            let location = redirect_location(url.as_str()).await;
            *self.real.lock().unwrap() = Some(location.clone());
            let port = location.port().unwrap();
            let host = format!("127.0.0.1:{port}");
            let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
            let mut wrong_state = location.clone();
            wrong_state.query_pairs_mut().clear();
            for (k, v) in &pairs {
                wrong_state.query_pairs_mut().append_pair(k, if k == "state" { "forged" } else { v });
            }
            let mut no_state = location.clone();
            no_state.query_pairs_mut().clear().append_pair("code", "stolen");
            self.note("wrong state", raw_get(port, &target_of(&wrong_state), &host).await);
            self.note("missing state", raw_get(port, &target_of(&no_state), &host).await);
            self.note("favicon", raw_get(port, "/favicon.ico", &host).await);
            self.note("foreign host", raw_get(port, &target_of(&location), "evil.example").await);
            let mut post = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            post.write_all(format!("POST {} HTTP/1.1\r\nHost: {host}\r\n\r\n", target_of(&location)).as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 64];
            let n = post.read(&mut buf).await.unwrap_or(0);
            self.note("post", String::from_utf8_lossy(&buf[..n]).split(' ').nth(1).and_then(|s| s.parse().ok()));
            // An idle preconnect that never sends anything must not block the flow.
            let _idle = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
            // The real callback, twice at once.
            let t = target_of(&location);
            let _ = tokio::join!(raw_get(port, &t, &host), raw_get(port, &t, &host));
            Ok(())
        })
    }
}

#[tokio::test]
async fn row14_15_19_forged_stray_and_replayed_callbacks() {
    let f = Fixture::start().await;
    let browser = HostileBrowser::default();
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    s.sign_in(&browser, cancel_pair().1).await.unwrap();
    let statuses = browser.statuses.lock().unwrap().clone();
    assert_eq!(
        statuses,
        vec![
            ("wrong state", Some(400)),
            ("missing state", Some(400)),
            ("favicon", Some(404)),
            ("foreign host", Some(400)),
            ("post", Some(405))
        ]
    );
    // The same callback again after the flow: nobody is listening any more.
    let real = browser.real.lock().unwrap().clone().unwrap();
    let port = real.port().unwrap();
    assert_eq!(raw_get(port, &target_of(&real), &format!("127.0.0.1:{port}")).await, None);
    // Exactly one token request, with the real code.
    let tokens = f.seen("/token");
    assert_eq!(tokens.len(), 1);
    assert_ne!(tokens[0].form.get("code").map(String::as_str), Some("stolen"));
}

#[tokio::test]
async fn row16_access_denied_ends_the_flow_at_once() {
    let f = Fixture::start().await;
    f.set(|b| b.authorize = AuthorizeMode::Deny("access_denied"));
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let started = Instant::now();
    let err = s.sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(f.seen("/token").is_empty());
    let redirect = f.seen("/authorize")[0].query["redirect_uri"].clone();
    let port = url::Url::parse(&redirect).unwrap().port().unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err(), "listener still open");
    // Another error code is reported without the server's markup.
    let f = Fixture::start().await;
    f.set(|b| b.authorize = AuthorizeMode::Deny("server_error"));
    let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert!(matches!(err, Error::AuthorizationDenied { .. }));
    assert!(!err.to_string().contains("<script>"), "{err}");
}

#[tokio::test]
async fn row17_iss_is_required_when_advertised_and_compared_exactly() {
    for (advertised, kind, ok) in [
        (true, "missing", false),
        (true, "trailing slash", false),
        (true, "upper case", false),
        (false, "other server", false),
        (true, "exact", true),
        (false, "missing", true),
    ] {
        let f = Fixture::start().await;
        let iss = match kind {
            "missing" => None,
            "trailing slash" => Some(format!("{}/", f.base)),
            "upper case" => Some(f.base.to_uppercase()),
            "other server" => Some("https://evil.example".to_string()),
            _ => Some(f.base.clone()),
        };
        f.set(|b| {
            b.as_meta.as_mut().unwrap()["authorization_response_iss_parameter_supported"] = json!(advertised);
            b.iss_in_redirect = iss.clone();
        });
        let result = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.map(|_| ());
        assert_eq!(result.is_ok(), ok, "advertised {advertised}, iss {kind}: {result:?}");
        if !ok {
            assert!(matches!(result, Err(Error::IssuerParameterMismatch { .. })));
            assert!(f.seen("/token").is_empty());
        }
    }
    // On mismatch the server's error_description is not shown.
    let f = Fixture::start().await;
    f.set(|b| {
        b.authorize = AuthorizeMode::Deny("access_denied");
        b.iss_in_redirect = Some("https://evil.example".into());
    });
    let err = session(&f.mcp_url(), ClientConfig::default()).sign_in(&SpyBrowser::following(), cancel_pair().1).await.unwrap_err();
    assert!(matches!(err, Error::IssuerParameterMismatch { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains("script"));
}

#[tokio::test]
async fn row20_a_busy_fixed_port_fails_at_once_naming_it() {
    let f = Fixture::start().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let spy = SpyBrowser::following();
    let started = Instant::now();
    let err = session(&f.mcp_url(), ClientConfig { port: Some(port), ..ClientConfig::default() })
        .sign_in(&spy, cancel_pair().1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PortBusy { port: p, .. } if p == port), "{err}");
    assert!(err.to_string().contains(&port.to_string()));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(spy.opened().is_empty());
    drop(taken);
    // Free, the same fixed port is used as asked (user-chosen redirect URI too).
    let uri = format!("http://localhost:{port}/oauth/cb");
    session(&f.mcp_url(), ClientConfig { redirect_uri: Some(uri.clone()), ..ClientConfig::default() })
        .sign_in(&SpyBrowser::following(), cancel_pair().1)
        .await
        .unwrap();
    assert_eq!(f.seen("/authorize").last().unwrap().query["redirect_uri"], uri);
}

#[tokio::test]
async fn row21_timeout_and_cancel_close_the_listener() {
    let f = Fixture::start().await;
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    s.sign_in_timeout = Duration::from_millis(500);
    let spy = SpyBrowser::idle();
    let err = s.sign_in(&spy, cancel_pair().1).await.unwrap_err();
    assert!(matches!(err, Error::SignInTimedOut { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    let port = url::Url::parse(&query_param(&spy.opened()[0], "redirect_uri").unwrap()).unwrap().port().unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err());

    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let (canceller, cancel) = cancel_pair();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        canceller.cancel();
    });
    let started = Instant::now();
    let err = s.sign_in(&SpyBrowser::idle(), cancel).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn row23_two_sign_ins_at_once_keep_their_own_state() {
    let a = Fixture::start().await;
    let b = Fixture::start().await;
    let http = http();
    let mut auth_a = Authorizer::new(http.clone(), Arc::new(SystemClock), ClientConfig::default());
    let mut auth_b = Authorizer::new(http.clone(), Arc::new(SystemClock), ClientConfig::default());
    let da = discover(&http, &a.mcp_url()).await.unwrap().unwrap();
    let db = discover(&http, &b.mcp_url()).await.unwrap().unwrap();
    let pa = auth_a.begin(&da, &["mcp:tools".into()]).await.unwrap();
    let pb = auth_b.begin(&db, &["mcp:tools".into()]).await.unwrap();
    assert_ne!(pa.flow.state, pb.flow.state);
    assert_ne!(pa.flow.redirect_uri, pb.flow.redirect_uri);

    struct Crossing {
        other_port: u16,
    }
    impl Opener for Crossing {
        fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
            Box::pin(async move {
                // A's code and state delivered to B's listener: B must ignore it.
                let loc = redirect_location(url.as_str()).await;
                let crossed = raw_get(self.other_port, &target_of(&loc), &format!("127.0.0.1:{}", self.other_port)).await;
                assert_eq!(crossed, Some(400));
                raw_get(loc.port().unwrap(), &target_of(&loc), &format!("127.0.0.1:{}", loc.port().unwrap())).await;
                Ok(())
            })
        }
    }
    let port_of = |u: &str| url::Url::parse(u).unwrap().port().unwrap();
    let (ra, rb) = (port_of(&pa.flow.redirect_uri), port_of(&pb.flow.redirect_uri));
    let (cross_a, cross_b) = (Crossing { other_port: rb }, Crossing { other_port: ra });
    let (ga, gb) = tokio::join!(
        auth_a.complete(pa, &cross_a, Duration::from_secs(10), cancel_pair().1),
        auth_b.complete(pb, &cross_b, Duration::from_secs(10), cancel_pair().1),
    );
    let (ga, gb) = (ga.unwrap(), gb.unwrap());
    assert_eq!(ga.issuer, a.base);
    assert_eq!(gb.issuer, b.base);
    assert_eq!(a.seen("/token").len(), 1);
    assert_eq!(b.seen("/token").len(), 1);
    let _ = FixedClock(0);
}

#[tokio::test]
async fn deep_link_redirects_are_checked_like_loopback_ones() {
    let f = Fixture::start().await;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    s.authorizer.link_redirect = Some(mcp_auth::LinkRedirect { uri: "dev.mcpauth.test:/callback".into(), links: rx });

    /// Stands in for the OS handing the app its links: a forged one first.
    struct LinkBrowser(tokio::sync::mpsc::Sender<String>);
    impl Opener for LinkBrowser {
        fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
            Box::pin(async move {
                let real = redirect_location(url.as_str()).await.to_string();
                let forged = real.replace("state=", "state=forged");
                self.0.send(forged).await.unwrap();
                self.0.send("dev.mcpauth.test:/other?code=x&state=y".into()).await.unwrap();
                self.0.send(real).await.unwrap();
                Ok(())
            })
        }
    }
    s.sign_in(&LinkBrowser(tx), cancel_pair().1).await.unwrap();
    assert_eq!(f.seen("/authorize")[0].query["redirect_uri"], "dev.mcpauth.test:/callback");
    let reg: serde_json::Value = serde_json::from_str(&f.seen("/register")[0].body).unwrap();
    assert_eq!(reg["redirect_uris"], json!(["dev.mcpauth.test:/callback"]));
    let tokens = f.seen("/token");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].form["redirect_uri"], "dev.mcpauth.test:/callback");
}
