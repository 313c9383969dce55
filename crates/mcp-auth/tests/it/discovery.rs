//! Discovery against the fixture: the spec's order, the checks, the fallbacks,
//! and hostile metadata (rows 1, 3–10, 13 of the hostile-case table).

use std::time::Duration;

use mcp_auth::{cancel_pair, discover, ClientConfig, Error, ErrorKind, HttpClient, Limits, Operation};
use serde_json::json;

use crate::fixture::{Canned, Fixture};
use crate::support::{http, session, SpyBrowser};

#[tokio::test]
async fn follows_the_challenge_to_prm_then_as_metadata() {
    let f = Fixture::start().await;
    let d = discover(&http(), &f.mcp_url()).await.unwrap().expect("protected");
    assert_eq!(d.resource, f.mcp_url());
    assert_eq!(d.auth_server.issuer, f.base);
    assert_eq!(d.protected_resource_url.as_deref(), Some(format!("{}/.well-known/oauth-protected-resource/mcp", f.base).as_str()));
    assert_eq!(f.paths(), vec!["/mcp", "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server"]);
}

#[tokio::test]
async fn without_a_header_url_the_path_based_prm_comes_before_the_root() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.challenge = "Bearer".into();
        b.prm = None;
        b.as_meta = None;
    });
    let d = discover(&http(), &f.mcp_url()).await.unwrap().unwrap();
    let paths = f.paths();
    let pos = |p: &str| paths.iter().position(|x| x == p).unwrap_or_else(|| panic!("{p} not in {paths:?}"));
    assert!(pos("/.well-known/oauth-protected-resource/mcp") < pos("/.well-known/oauth-protected-resource"));
    // Nothing found at all: the 2025-03-26 default endpoints on the MCP origin.
    assert!(!d.auth_server.from_document);
    assert_eq!(d.auth_server.authorization_endpoint, format!("{}/authorize", f.base));
    assert_eq!(d.auth_server.token_endpoint, format!("{}/token", f.base));
    assert_eq!(d.auth_server.registration_endpoint.as_deref(), Some(format!("{}/register", f.base).as_str()));
}

#[tokio::test]
async fn legacy_server_with_as_metadata_on_its_origin() {
    let f = Fixture::start().await;
    f.set(|b| {
        b.challenge = "Bearer".into();
        b.prm = None;
    });
    let d = discover(&http(), &f.mcp_url()).await.unwrap().unwrap();
    assert!(d.auth_server.from_document);
    assert!(d.protected_resource.is_none());
    assert_eq!(d.resource, f.mcp_url());
}

#[tokio::test]
async fn an_open_server_needs_no_authorization() {
    let f = Fixture::start().await;
    f.set(|b| b.open = true);
    assert!(discover(&http(), &f.mcp_url()).await.unwrap().is_none());
}

async fn sign_in_error(f: &Fixture) -> (Error, SpyBrowser) {
    let spy = SpyBrowser::following();
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    let (_c, cancel) = cancel_pair();
    let err = s.perform(&Operation::ListTools, &spy, cancel).await.expect_err("must fail");
    (err, spy)
}

#[tokio::test]
async fn row01_non_http_authorization_endpoints_are_never_opened() {
    for endpoint in ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,x", "vbscript:msgbox(1)", "smb://evil/share"] {
        let f = Fixture::start().await;
        f.set(|b| b.as_meta.as_mut().unwrap()["authorization_endpoint"] = json!(endpoint));
        let (err, spy) = sign_in_error(&f).await;
        assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{endpoint}: {err}");
        assert!(spy.opened().is_empty(), "{endpoint} was opened");
    }
}

#[tokio::test]
async fn row02_shell_metacharacters_are_refused_or_passed_as_one_argument() {
    for endpoint in ["-oProxyCommand=x", "https://a.example/x y", "https://a.example/x\ny"] {
        let f = Fixture::start().await;
        f.set(|b| b.as_meta.as_mut().unwrap()["authorization_endpoint"] = json!(endpoint));
        let (err, spy) = sign_in_error(&f).await;
        assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{endpoint}");
        assert!(spy.opened().is_empty());
    }
    // Without whitespace the URL is valid: it is percent-encoded and reaches the
    // opener as one value (the system opener passes it as one argv element).
    let f = Fixture::start().await;
    let endpoint = format!("{}/authorize/$(touch%20x)`id`\"&", f.base);
    f.set(|b| b.as_meta.as_mut().unwrap()["authorization_endpoint"] = json!(endpoint));
    let (_err, spy) = sign_in_error(&f).await;
    let opened = spy.opened();
    assert_eq!(opened.len(), 1);
    assert!(!opened[0].contains('`') && !opened[0].contains('"') && !opened[0].contains(' '), "{}", opened[0]);
}

#[tokio::test]
async fn row03_http_endpoints_off_loopback_are_refused() {
    for field in ["authorization_endpoint", "token_endpoint", "registration_endpoint"] {
        let f = Fixture::start().await;
        f.set(|b| b.as_meta.as_mut().unwrap()[field] = json!("http://as.example.com/x"));
        let (err, spy) = sign_in_error(&f).await;
        assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{field}: {err}");
        assert!(spy.opened().is_empty());
    }
}

#[tokio::test]
async fn row04_issuer_mismatch_discards_the_document() {
    for issuer in [json!("http://127.0.0.1:1"), json!(null), json!("https://evil.example")] {
        let f = Fixture::start().await;
        let trailing = format!("{}/", f.base);
        f.set(|b| b.as_meta.as_mut().unwrap()["issuer"] = issuer.clone());
        let (err, spy) = sign_in_error(&f).await;
        assert!(matches!(err, Error::IssuerMismatch { .. }), "{issuer}: {err}");
        assert!(spy.opened().is_empty());
        // Trailing slash difference: also a mismatch.
        let f = Fixture::start().await;
        let t = format!("{}/", f.base);
        f.set(|b| b.as_meta.as_mut().unwrap()["issuer"] = json!(t));
        let (err, _) = sign_in_error(&f).await;
        assert!(matches!(err, Error::IssuerMismatch { .. }), "{trailing}: {err}");
    }
    // A query in the issuer named by the PRM.
    let f = Fixture::start().await;
    let q = format!("{}?x=1", f.base);
    f.set(|b| b.prm.as_mut().unwrap()["authorization_servers"] = json!([q]));
    let (err, _) = sign_in_error(&f).await;
    assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{err}");
}

#[tokio::test]
async fn row05_no_s256_means_no_flow() {
    for methods in [json!(null), json!(["plain"]), json!([])] {
        let f = Fixture::start().await;
        f.set(|b| {
            let meta = b.as_meta.as_mut().unwrap().as_object_mut().unwrap();
            if methods.is_null() {
                meta.remove("code_challenge_methods_supported");
            } else {
                meta.insert("code_challenge_methods_supported".into(), methods.clone());
            }
        });
        let (err, spy) = sign_in_error(&f).await;
        assert!(matches!(err, Error::PkceUnsupported { .. }), "{methods}: {err}");
        assert!(spy.opened().is_empty());
        assert!(f.seen("/authorize").is_empty() && f.seen("/register").is_empty());
    }
}

#[tokio::test]
async fn row06_prm_for_another_origin_or_malformed_is_refused() {
    for resource in [json!("https://evil.example.com/mcp"), json!(42), json!("http://127.0.0.1:1/mcp")] {
        let f = Fixture::start().await;
        f.set(|b| b.prm.as_mut().unwrap()["resource"] = resource.clone());
        let (err, spy) = sign_in_error(&f).await;
        assert!(matches!(err, Error::ResourceMismatch { .. } | Error::InvalidMetadata { .. }), "{resource}: {err}");
        assert!(spy.opened().is_empty());
        assert!(f.seen("/.well-known/oauth-authorization-server").is_empty(), "AS contacted after a bad PRM");
    }
}

#[tokio::test]
async fn row07_resource_without_a_path_is_sent_byte_identical() {
    let f = Fixture::start().await;
    let origin = f.base.clone();
    f.set(|b| b.prm.as_mut().unwrap()["resource"] = json!(origin));
    let spy = SpyBrowser::following();
    let mut s = session(&f.mcp_url(), ClientConfig::default());
    s.perform(&Operation::ListTools, &spy, cancel_pair().1).await.unwrap();
    let authorize = &f.seen("/authorize")[0];
    let token = &f.seen("/token")[0];
    assert_eq!(authorize.query.get("resource"), Some(&f.base));
    assert_eq!(token.form.get("resource"), Some(&f.base));
    assert!(!f.base.ends_with('/'));
}

#[tokio::test]
async fn row08_metadata_urls_at_link_local_addresses_are_refused() {
    let f = Fixture::start().await;
    f.set(|b| b.challenge = "Bearer resource_metadata=\"http://169.254.169.254/latest/meta-data\"".into());
    let err = discover(&http(), &f.mcp_url()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{err}");
    let f = Fixture::start().await;
    f.set(|b| b.prm.as_mut().unwrap()["authorization_servers"] = json!(["https://169.254.169.254"]));
    let err = discover(&http(), &f.mcp_url()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsafeUrl, "{err}");
}

#[tokio::test]
async fn row09_huge_slow_and_nested_bodies_are_bounded() {
    // 50 MB of metadata.
    let big = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = big.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut s, _)) = big.accept().await {
            tokio::spawn(async move {
                read_request(&mut s).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"a\":\"").await;
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..800 {
                    if s.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let f = Fixture::start().await;
    f.set(|b| {
        b.challenge = format!("Bearer resource_metadata=\"http://127.0.0.1:{port}/prm\"");
        b.prm = None;
    });
    let direct = http().get_metadata(&format!("http://127.0.0.1:{port}/prm")).await.unwrap_err();
    assert!(matches!(direct, Error::BodyTooLarge { .. }), "{direct:?}");
    let err = discover(&http(), &f.mcp_url()).await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err}");

    // One byte per second, forever.
    let slow = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = slow.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut s, _)) = slow.accept().await {
            tokio::spawn(async move {
                read_request(&mut s).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n").await;
                for _ in 0..600 {
                    if s.write_all(b" ").await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
    });
    let short = HttpClient::new(Limits { request_timeout: Duration::from_secs(2), ..Limits::default() }).unwrap();
    let started = std::time::Instant::now();
    let err = mcp_auth::discover_with(
        &short,
        &f.mcp_url(),
        Some(mcp_auth::BearerChallenge { resource_metadata: Some(format!("http://127.0.0.1:{port}/prm")), ..Default::default() }),
    )
    .await;
    // The slow PRM is abandoned after the timeout; discovery moves on to the
    // next candidate (the fixture's), so it ends well within bounds.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.is_ok(), "{err:?}");

    // Deeply nested JSON: the parser's depth limit refuses it, with the URL named.
    let f = Fixture::start().await;
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    f.set(|b| b.prm_reply = Some(Canned { status: 200, headers: vec![("content-type", "application/json".into())], body: nested }));
    let err = discover(&http(), &f.mcp_url()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidJson { .. }), "{err}");
}

/// Read a request head (so the client sees an answer, not an unsolicited message).
async fn read_request(s: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test]
async fn row10_html_instead_of_json_names_the_url() {
    let html =
        Canned { status: 200, headers: vec![("content-type", "text/html".into())], body: "<html><body>Sign in</body></html>".into() };
    let f = Fixture::start().await;
    f.set(|b| b.prm_reply = Some(html.clone()));
    let err = discover(&http(), &f.mcp_url()).await.unwrap_err();
    let prm_url = format!("{}/.well-known/oauth-protected-resource/mcp", f.base);
    assert!(matches!(err, Error::InvalidJson { .. }), "{err}");
    assert!(err.to_string().contains(&prm_url) && err.to_string().contains("text/html"), "{err}");

    let f = Fixture::start().await;
    f.set(|b| b.as_reply = Some(html));
    let err = discover(&http(), &f.mcp_url()).await.unwrap_err();
    assert!(err.to_string().contains("/.well-known/oauth-authorization-server"), "{err}");

    // JSON of the wrong shape.
    let f = Fixture::start().await;
    f.set(|b| b.prm = Some(json!(["not", "an", "object"])));
    let err = discover(&http(), &f.mcp_url()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidMetadata { .. }), "{err}");
}

#[tokio::test]
async fn row13_malformed_or_huge_www_authenticate_is_survived() {
    for header in [
        "Bearer resource_metadata=\"".to_string(),
        "Bearer ,,,,=,=\"".to_string(),
        format!("Bearer {}", "a=\"b\", ".repeat(1000)),
        "Basic realm=x, Bearer scope=\"mcp:tools\", Bearer scope=\"other\"".to_string(),
    ] {
        let f = Fixture::start().await;
        f.set(|b| b.challenge = header.clone());
        let d = discover(&http(), &f.mcp_url()).await;
        assert!(d.is_ok(), "{header}: {d:?}");
    }
}
