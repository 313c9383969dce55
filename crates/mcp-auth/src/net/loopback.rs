//! The loopback redirect listener (RFC 8252 §7.3, §8.3).
//!
//! The socket is bound before the authorization URL is built (so the port in the
//! redirect URI is ours), listens only on 127.0.0.1 (and [::1] for `localhost`),
//! answers only `GET` of the registered path with the right `Host`, and is closed
//! when the flow ends. A callback without the flow's `state` is answered and
//! ignored: the real browser may still be on its way. Each connection is served by
//! its own task, so an idle preconnect or a stray favicon request never blocks the
//! real callback. The pure decision about one request is [`judge`], tested alone.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use url::Url;

use crate::error::{Error, Result};
use crate::vault::secret::Secret;

pub const DEFAULT_CALLBACK_PATH: &str = "/callback";
const MAX_REQUEST_HEAD: usize = 8 * 1024;
const MAX_CONNECTIONS: usize = 32;
const PER_CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the redirect should land: a loopback host, a port (None = ephemeral), a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTarget {
    pub host: LoopbackHost,
    pub port: Option<u16>,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopbackHost {
    Ipv4,
    Ipv6,
    Localhost,
}

impl Default for RedirectTarget {
    fn default() -> Self {
        RedirectTarget { host: LoopbackHost::Ipv4, port: None, path: DEFAULT_CALLBACK_PATH.into() }
    }
}

impl RedirectTarget {
    /// Read a user-chosen loopback redirect URI (`http://127.0.0.1:PORT/path`,
    /// `http://localhost:PORT/path`, `http://[::1]:PORT/path`). Port 0 or none
    /// means ephemeral.
    pub fn parse(uri: &str) -> Result<Self> {
        let bad = |reason: &str| Error::InvalidRedirectUri { uri: uri.to_string(), reason: reason.to_string() };
        crate::net::address::check_url_text(uri).map_err(|_| bad("not a clean URL"))?;
        let url = Url::parse(uri).map_err(|_| bad("not a URL"))?;
        if url.scheme() != "http" {
            return Err(bad("a loopback redirect URI uses http://"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("no query or fragment allowed"));
        }
        let host = match url.host() {
            Some(url::Host::Ipv4(ip)) if ip == Ipv4Addr::LOCALHOST => LoopbackHost::Ipv4,
            Some(url::Host::Ipv6(ip)) if ip == Ipv6Addr::LOCALHOST => LoopbackHost::Ipv6,
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => LoopbackHost::Localhost,
            _ => return Err(bad("the host must be 127.0.0.1, [::1] or localhost")),
        };
        let port = url.port().filter(|p| *p != 0);
        Ok(RedirectTarget { host, port, path: url.path().to_string() })
    }

    fn host_text(&self) -> &'static str {
        match self.host {
            LoopbackHost::Ipv4 => "127.0.0.1",
            LoopbackHost::Ipv6 => "[::1]",
            LoopbackHost::Localhost => "localhost",
        }
    }

    pub fn uri_with_port(&self, port: u16) -> String {
        format!("http://{}:{}{}", self.host_text(), port, self.path)
    }
}

/// What the callback must carry to be accepted.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub state: String,
    pub issuer: String,
    pub iss_required: bool,
}

/// Cancels a waiting listener from anywhere (a UI button, Ctrl-C).
#[derive(Clone, Debug)]
pub struct Canceller(Arc<watch::Sender<bool>>);

#[derive(Clone, Debug)]
pub struct CancelSignal(watch::Receiver<bool>);

pub fn cancel_pair() -> (Canceller, CancelSignal) {
    let (tx, rx) = watch::channel(false);
    (Canceller(Arc::new(tx)), CancelSignal(rx))
}

impl Canceller {
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

impl CancelSignal {
    /// A signal that never fires.
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        CancelSignal(rx)
    }

    pub(crate) async fn cancelled(&mut self) {
        loop {
            if *self.0.borrow() {
                return;
            }
            if self.0.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// A bound listener waiting for one redirect.
pub struct LoopbackListener {
    primary: TcpListener,
    secondary: Option<TcpListener>,
    port: u16,
    target: RedirectTarget,
}

impl std::fmt::Debug for LoopbackListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackListener").field("redirect_uri", &self.redirect_uri()).finish()
    }
}

impl LoopbackListener {
    /// Bind now. A fixed port that is busy fails at once, naming the port; it
    /// never silently moves to another one.
    pub async fn bind(target: &RedirectTarget) -> Result<Self> {
        let want = target.port.unwrap_or(0);
        let primary_addr: SocketAddr = match target.host {
            LoopbackHost::Ipv6 => (Ipv6Addr::LOCALHOST, want).into(),
            _ => (Ipv4Addr::LOCALHOST, want).into(),
        };
        let primary = TcpListener::bind(primary_addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                Error::PortBusy { host: target.host_text().into(), port: want }
            } else {
                Error::Io { context: format!("could not listen on {primary_addr}"), source: e }
            }
        })?;
        let port = primary.local_addr().map_err(|e| Error::Io { context: "listener address".into(), source: e })?.port();
        // `localhost` may resolve to ::1 first in some browsers: listen there too.
        let secondary =
            if target.host == LoopbackHost::Localhost { TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await.ok() } else { None };
        Ok(LoopbackListener { primary, secondary, port, target: target.clone() })
    }

    pub fn redirect_uri(&self) -> String {
        self.target.uri_with_port(self.port)
    }

    /// Wait for the one valid callback, the timeout, or a cancel. Consumes the
    /// listener: the sockets close when this returns.
    pub async fn wait(self, expect: &Expectation, timeout: Duration, mut cancel: CancelSignal) -> Result<Secret> {
        let (tx, mut rx) = mpsc::channel::<(RequestHead, Responder)>(MAX_CONNECTIONS);
        let live = Arc::new(AtomicUsize::new(0));
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let allowed_hosts = allowed_hosts(self.port);
        loop {
            tokio::select! {
                _ = &mut deadline => return Err(Error::SignInTimedOut { seconds: timeout.as_secs() }),
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                accepted = self.primary.accept() => {
                    if let Ok((stream, _)) = accepted {
                        spawn_connection(stream, tx.clone(), live.clone());
                    }
                }
                accepted = accept_optional(self.secondary.as_ref()) => {
                    if let Ok((stream, _)) = accepted {
                        spawn_connection(stream, tx.clone(), live.clone());
                    }
                }
                Some((head, responder)) = rx.recv() => {
                    let (reply, outcome) = judge(&head, &self.target.path, &allowed_hosts, expect);
                    let (written_tx, written_rx) = oneshot::channel();
                    let _ = responder.send((reply, written_tx));
                    if let Some(outcome) = outcome {
                        // Let the browser get its page before the listener (and
                        // perhaps the process) goes away.
                        let _ = tokio::time::timeout(Duration::from_secs(2), written_rx).await;
                        return outcome;
                    }
                }
            }
        }
    }
}

async fn accept_optional(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

fn allowed_hosts(port: u16) -> Vec<String> {
    ["127.0.0.1", "localhost", "[::1]"].iter().map(|h| format!("{h}:{port}")).collect()
}

/// Hands a connection's reply back to it, and hears when it was written.
type Responder = oneshot::Sender<(Reply, oneshot::Sender<()>)>;

fn spawn_connection(stream: TcpStream, tx: mpsc::Sender<(RequestHead, Responder)>, live: Arc<AtomicUsize>) {
    if live.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
        live.fetch_sub(1, Ordering::SeqCst);
        return; // dropped: closes the socket
    }
    tokio::spawn(async move {
        let _ = tokio::time::timeout(PER_CONNECTION_TIMEOUT, serve(stream, tx)).await;
        live.fetch_sub(1, Ordering::SeqCst);
    });
}

async fn serve(mut stream: TcpStream, tx: mpsc::Sender<(RequestHead, Responder)>) {
    let (reply, written) = match read_head(&mut stream).await {
        Some(head) => {
            let (reply_tx, reply_rx) = oneshot::channel();
            if tx.send((head, reply_tx)).await.is_err() {
                return;
            }
            match reply_rx.await {
                Ok((r, written)) => (r, Some(written)),
                Err(_) => return,
            }
        }
        None => (Reply::new(400, "Bad request", "The request could not be read."), None),
    };
    let _ = stream.write_all(&reply.to_bytes()).await;
    let _ = stream.shutdown().await;
    if let Some(w) = written {
        let _ = w.send(());
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<RequestHead> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return RequestHead::parse(&buf[..end]);
        }
        if buf.len() > MAX_REQUEST_HEAD {
            return None;
        }
    }
}

/// The parts of an HTTP request the listener looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub target: String,
    pub host: Option<String>,
}

impl RequestHead {
    pub fn parse(head: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(head).ok()?;
        let mut lines = text.split("\r\n");
        let mut parts = lines.next()?.split(' ');
        let method = parts.next()?.to_string();
        let target = parts.next()?.to_string();
        let _version = parts.next()?;
        let mut host = None;
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("host") {
                    if host.is_some() {
                        return None; // two Host headers: refuse
                    }
                    host = Some(value.trim().to_ascii_lowercase());
                }
            }
        }
        Some(RequestHead { method, target, host })
    }
}

/// A response to write back to the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    title: &'static str,
    message: &'static str,
}

impl Reply {
    fn new(status: u16, title: &'static str, message: &'static str) -> Self {
        Reply { status, title, message }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Error",
        };
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <style>body{{font:16px system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#222;background:#fafafa}}\
             @media(prefers-color-scheme:dark){{body{{color:#eee;background:#1c1c1e}}}}h1{{font-size:1.4rem}}</style></head>\
             <body><h1>{t}</h1><p>{m}</p></body></html>",
            t = self.title,
            m = self.message
        );
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
             Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
             Connection: close\r\n\r\n{}",
            self.status,
            reason,
            body.len(),
            body
        )
        .into_bytes()
    }
}

/// Decide what to do with one request: the reply, and `Some(outcome)` when the
/// flow ends with it.
pub fn judge(head: &RequestHead, path: &str, allowed_hosts: &[String], expect: &Expectation) -> (Reply, Option<Result<Secret>>) {
    let not_found = Reply::new(404, "Not found", "There is nothing here.");
    if !head.host.as_ref().is_some_and(|h| allowed_hosts.iter().any(|a| a == h)) {
        return (Reply::new(400, "Bad request", "This address only accepts the sign-in redirect."), None);
    }
    if head.method != "GET" {
        return (Reply::new(405, "Not allowed", "Only the sign-in redirect is accepted here."), None);
    }
    let (req_path, query) = head.target.split_once('?').unwrap_or((&head.target, ""));
    if req_path != path {
        return (not_found, None);
    }
    judge_query(query, expect)
}

/// Decide on the query of a redirect (loopback or deep link): `state` first,
/// then RFC 9207 `iss`, then `error` or `code`. `None` in the second place means
/// "not this flow's: ignore it and keep waiting".
pub fn judge_query(query: &str, expect: &Expectation) -> (Reply, Option<Result<Secret>>) {
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        // A repeated parameter makes the request ambiguous: treat it as foreign.
        if params.insert(k.into_owned(), v.into_owned()).is_some() {
            return (Reply::new(400, "Bad request", "This sign-in link is malformed."), None);
        }
    }
    if params.get("state").map(String::as_str) != Some(expect.state.as_str()) {
        return (
            Reply::new(400, "Not this sign-in", "This link does not belong to the sign-in the app is waiting for. You can close this tab."),
            None,
        );
    }
    // RFC 9207: check `iss` before believing anything else in the response.
    match params.get("iss") {
        Some(iss) if iss != &expect.issuer => {
            return (
                Reply::new(400, "Sign-in refused", "The answer did not come from the expected server. You can close this tab."),
                Some(Err(Error::IssuerParameterMismatch { expected: expect.issuer.clone(), found: Some(iss.clone()) })),
            )
        }
        None if expect.iss_required => {
            return (
                Reply::new(400, "Sign-in refused", "The answer did not say which server sent it. You can close this tab."),
                Some(Err(Error::IssuerParameterMismatch { expected: expect.issuer.clone(), found: None })),
            )
        }
        _ => {}
    }
    if let Some(error) = params.get("error") {
        let outcome = if error == "access_denied" {
            Error::Cancelled
        } else if error == "invalid_scope" {
            Error::InvalidScope { scope: String::new() }
        } else {
            Error::AuthorizationDenied {
                error: error.chars().take(100).collect(),
                description: params.get("error_description").map(|d| d.chars().take(500).collect()),
            }
        };
        return (
            Reply::new(200, "Sign-in not completed", "The sign-in was cancelled or refused. You can close this tab."),
            Some(Err(outcome)),
        );
    }
    match params.remove("code").filter(|c| !c.is_empty()) {
        Some(code) => (
            Reply::new(200, "Sign-in received", "MCP Auth Manager received your sign-in. You can close this tab and return to the app."),
            Some(Ok(Secret::new(code))),
        ),
        None => (
            Reply::new(400, "Sign-in failed", "The answer carried no authorization code. You can close this tab."),
            Some(Err(Error::AuthorizationDenied { error: "no code in the redirect".into(), description: None })),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(required: bool) -> Expectation {
        Expectation { state: "S".into(), issuer: "https://as.example".into(), iss_required: required }
    }

    fn req(target: &str) -> RequestHead {
        RequestHead { method: "GET".into(), target: target.into(), host: Some("127.0.0.1:5000".into()) }
    }

    fn hosts() -> Vec<String> {
        allowed_hosts(5000)
    }

    #[test]
    fn accepts_the_right_state_and_returns_the_code() {
        let (reply, out) = judge(&req("/callback?code=C&state=S"), "/callback", &hosts(), &expect(false));
        assert_eq!(reply.status, 200);
        assert_eq!(out.unwrap().unwrap().expose(), "C");
    }

    #[test]
    fn wrong_or_missing_state_is_ignored() {
        for t in ["/callback?code=C&state=X", "/callback?code=C", "/callback?code=C&state=S&state=S"] {
            let (reply, out) = judge(&req(t), "/callback", &hosts(), &expect(false));
            assert_eq!(reply.status, 400, "{t}");
            assert!(out.is_none(), "{t}");
        }
    }

    #[test]
    fn stray_requests_foreign_hosts_and_methods() {
        let (r, o) = judge(&req("/favicon.ico"), "/callback", &hosts(), &expect(false));
        assert_eq!((r.status, o.is_none()), (404, true));
        let mut foreign = req("/callback?code=C&state=S");
        foreign.host = Some("evil.example".into());
        let (r, o) = judge(&foreign, "/callback", &hosts(), &expect(false));
        assert_eq!((r.status, o.is_none()), (400, true));
        let mut post = req("/callback?code=C&state=S");
        post.method = "POST".into();
        assert!(judge(&post, "/callback", &hosts(), &expect(false)).1.is_none());
    }

    #[test]
    fn access_denied_cancels_and_iss_is_checked() {
        let (_, o) = judge(&req("/callback?error=access_denied&state=S"), "/callback", &hosts(), &expect(false));
        assert!(matches!(o, Some(Err(Error::Cancelled))));
        let (_, o) = judge(&req("/callback?code=C&state=S"), "/callback", &hosts(), &expect(true));
        assert!(matches!(o, Some(Err(Error::IssuerParameterMismatch { found: None, .. }))));
        for iss in ["https%3A%2F%2Fas.example%2F", "https%3A%2F%2FAS.example", "https%3A%2F%2Fevil"] {
            let (_, o) = judge(
                &req(&format!("/callback?code=C&state=S&iss={iss}&error=x&error_description=lies")),
                "/callback",
                &hosts(),
                &expect(false),
            );
            match o {
                Some(Err(e @ Error::IssuerParameterMismatch { .. })) => assert!(!e.to_string().contains("lies")),
                other => panic!("{iss}: {other:?}"),
            }
        }
        let (_, o) = judge(&req("/callback?code=C&state=S&iss=https%3A%2F%2Fas.example"), "/callback", &hosts(), &expect(true));
        assert!(o.unwrap().is_ok());
    }

    #[test]
    fn redirect_target_parsing() {
        let t = RedirectTarget::parse("http://localhost:3334/oauth/callback").unwrap();
        assert_eq!((t.host, t.port, t.path.as_str()), (LoopbackHost::Localhost, Some(3334), "/oauth/callback"));
        assert_eq!(RedirectTarget::parse("http://127.0.0.1/cb").unwrap().port, None);
        for bad in ["https://127.0.0.1/cb", "http://example.com/cb", "http://127.0.0.2/cb", "http://127.0.0.1/cb?x=1", "dev.app:/cb"] {
            assert!(RedirectTarget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn head_parsing_rejects_duplicate_host() {
        assert!(RequestHead::parse(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b").is_none());
        let h = RequestHead::parse(b"GET /cb?x HTTP/1.1\r\nhOsT: 127.0.0.1:9").unwrap();
        assert_eq!(h.host.as_deref(), Some("127.0.0.1:9"));
    }
}
