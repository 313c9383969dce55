//! `mcp-auth bridge <server>`: a stdio MCP server that stands for one remote
//! server, for apps that start local commands (what mcp-remote does, with the
//! keychain instead of files).
//!
//! It relays raw JSON-RPC: every message is read as a JSON value and passed on
//! unchanged, both ways (requests, notifications, the server's own requests and
//! the client's answers), so unknown methods, fields and `_meta` survive; rmcp's
//! typed messages would drop them. The bridge reads only what it must: the
//! method and id (to answer a request it could not deliver), the client's
//! `initialize` (to replay it when the server's session expires) and the
//! negotiated protocol version (for the `MCP-Protocol-Version` header).
//!
//! Authorization is the engine's, written once: the grant comes from the vault
//! through the [`SignInFlow`], is refreshed ahead of expiry under the one
//! cross-process lock, and a 401/403 goes to [`SignInFlow::answer_challenge`]
//! (one refresh and one retry for a plain 401; a step-up for a wider scope;
//! a sign-in in the browser when nothing else will do). Requests that arrive
//! while a sign-in runs wait at most [`SIGN_IN_WAIT`], then get an error that
//! says what to do.
//!
//! A server that has no Streamable HTTP endpoint (a POST answered 404 or 405
//! at the start) is spoken to with the 2024-11-05 HTTP+SSE transport: a GET
//! opens the event stream, whose `endpoint` event names where to POST (on the
//! server's own origin only: the token goes there), and answers arrive on the
//! stream.
//!
//! stdout carries only protocol messages; diagnostics go to stderr and never
//! hold a secret. When stdin closes, the bridge stops at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, Mutex};

use crate::error::{Error, Result};
use crate::mcp::admission::Admission;
use crate::mcp::connect::Reauthorizations;
use crate::mcp::param_headers::ParamHeaders;
use crate::mcp::revision;
use crate::mcp::signin_flow::SignInFlow;
use crate::mcp::sse::{SseEvent, SseParser};
use crate::net::browser::Opener;
use crate::net::http::{www_authenticate, Body, HttpClient};
use crate::net::loopback::CancelSignal;
use crate::oauth::challenge::BearerChallenge;
use crate::oauth::dpop;
use crate::vault::approval::Program;
use crate::vault::secret::Secret;
use crate::vault::Vault;

/// Longest message read from the client (a line of stdin).
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// How long a request waits for a sign-in in progress before it is answered
/// with an error saying what to do.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(30);

/// Reconnections of the server's GET stream in a row before giving up.
const MAX_STREAM_RETRIES: u32 = 5;

/// JSON-RPC error codes the bridge answers with.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INTERNAL_ERROR: i64 = -32603;

/// What a relayed message came to.
enum Delivery {
    Delivered,
    /// Tell the client, if it asked something.
    Failed(String),
}

/// The connection to the remote server, shared by every relayed message.
struct Upstream<V: Vault + 'static> {
    url: String,
    name: String,
    http: HttpClient,
    flow: Mutex<SignInFlow<V>>,
    opener: Arc<dyn Opener>,
    cancel: CancelSignal,
    /// `Mcp-Session-Id`, once the server gave one.
    session_id: StdMutex<Option<String>>,
    /// The protocol version the server chose in its `initialize` answer.
    protocol_version: StdMutex<Option<String>>,
    /// The client's own `initialize` request, replayed when the session expires.
    initialize: StdMutex<Option<Value>>,
    /// Lines for the client's stdin, each one JSON text without a newline.
    out: mpsc::Sender<String>,
    replays: AtomicU64,
    /// Where to POST under the 2024-11-05 HTTP+SSE transport, once chosen.
    legacy_endpoint: tokio::sync::OnceCell<String>,
    /// That transport's event stream has ended.
    legacy_closed: std::sync::atomic::AtomicBool,
    /// `Mcp-Param-*` marks learned from the `tools/list` answers relayed.
    params: StdMutex<ParamHeaders>,
    /// Ids of the `tools/list` requests whose answers are awaited.
    listing: StdMutex<Vec<Value>>,
    /// The DPoP key the current token is bound to (RFC 9449), if it is: each
    /// request then carries a fresh proof and the `DPoP` scheme.
    dpop_key: StdMutex<Option<Secret>>,
    /// Whether the program this bridge stands in for may use the sign-in.
    admission: Admission<V>,
}

/// Run the bridge until `input` closes; `program` is the one it stands in for
/// (the server may ask the person before it uses the sign-in).
pub async fn run_bridge<V, R, W>(
    flow: SignInFlow<V>,
    program: Program,
    http: HttpClient,
    opener: Arc<dyn Opener>,
    cancel: CancelSignal,
    input: R,
    output: W,
) -> Result<()>
where
    V: Vault + 'static,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, mut rx) = mpsc::channel::<String>(256);
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(mut line) = rx.recv().await {
            line.push('\n');
            if output.write_all(line.as_bytes()).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });
    let name = if flow.entry().name.is_empty() { flow.session().url.clone() } else { flow.entry().name.clone() };
    let admission = Admission::new(flow.store().clone(), &name, program, !flow.entry().name.is_empty());
    let upstream = Arc::new(Upstream {
        url: flow.session().url.clone(),
        name,
        http,
        flow: Mutex::new(flow),
        opener,
        cancel,
        session_id: StdMutex::new(None),
        protocol_version: StdMutex::new(None),
        initialize: StdMutex::new(None),
        out: out.clone(),
        replays: AtomicU64::new(0),
        legacy_endpoint: tokio::sync::OnceCell::new(),
        legacy_closed: std::sync::atomic::AtomicBool::new(false),
        params: StdMutex::new(ParamHeaders::default()),
        dpop_key: StdMutex::new(None),
        listing: StdMutex::new(Vec::new()),
        admission,
    });
    let mut tasks = tokio::task::JoinSet::new();
    let mut reader = BufReader::new(input);
    loop {
        let line = match read_line(&mut reader).await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(too_long) => {
                let _ = out.send(error_reply(Value::Null, INVALID_REQUEST, &too_long)).await;
                continue;
            }
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let message: Value = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(e) => {
                let _ = out.send(error_reply(Value::Null, PARSE_ERROR, &format!("Parse error: {e}"))).await;
                continue;
            }
        };
        if message.get("method").and_then(Value::as_str) == Some("initialize") {
            *upstream.initialize.lock().unwrap() = Some(message.clone());
        }
        let up = upstream.clone();
        tasks.spawn(async move { up.relay(message, line).await });
        // Forget finished tasks as we go.
        while tasks.try_join_next().is_some() {}
    }
    // stdin closed: stop now, whatever is in flight.
    tasks.abort_all();
    drop(upstream);
    drop(out);
    let _ = tokio::time::timeout(Duration::from_millis(500), writer).await;
    Ok(())
}

/// One line of stdin without its newline, `None` at the end, `Err` for a line
/// over [`MAX_MESSAGE`] (which is skipped whole).
async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> std::result::Result<Option<Vec<u8>>, String> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf().await {
            Ok(b) => b,
            Err(_) => return Ok(None),
        };
        if available.is_empty() {
            return match (line.is_empty(), too_long) {
                (_, true) => Err(format!("a message longer than {} MB was skipped", MAX_MESSAGE / (1024 * 1024))),
                (true, false) => Ok(None),
                (false, false) => Ok(Some(line)),
            };
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], i + 1),
            None => (available, available.len()),
        };
        let newline = done > chunk.len();
        if !too_long {
            if line.len() + chunk.len() > MAX_MESSAGE {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(done);
        if newline {
            if too_long {
                return Err(format!("a message longer than {} MB was skipped", MAX_MESSAGE / (1024 * 1024)));
            }
            return Ok(Some(line));
        }
    }
}

fn error_reply(id: Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

/// One line of JSON text for stdio: the text as the server wrote it, with the
/// whitespace between tokens removed only if it holds a line break (which
/// would split the message). Inside strings a line break is always escaped.
fn one_line(text: &str) -> String {
    let text = text.trim();
    if !text.contains(['\n', '\r']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// A request (as opposed to a notification or an answer): it expects a reply.
fn request_id(message: &Value) -> Option<Value> {
    message.get("method")?;
    message.get("id").cloned()
}

impl<V: Vault + 'static> Upstream<V> {
    async fn relay(self: Arc<Self>, message: Value, raw: Vec<u8>) {
        let id = request_id(&message);
        let is_initialized = message.get("method").and_then(Value::as_str) == Some("notifications/initialized");
        match self.deliver(&message, &raw).await {
            Delivery::Delivered => {
                if is_initialized {
                    let up = self.clone();
                    tokio::spawn(async move { up.listen().await });
                }
            }
            Delivery::Failed(why) => {
                eprintln!("mcp-auth bridge: {why}");
                if let Some(id) = id {
                    let _ = self.out.send(error_reply(id, INTERNAL_ERROR, &why)).await;
                }
            }
        }
    }

    /// POST one message, answering the server's challenges and an expired
    /// session on the way, a bounded number of times.
    async fn deliver(self: &Arc<Self>, message: &Value, raw: &[u8]) -> Delivery {
        let is_initialize = message.get("method").and_then(Value::as_str) == Some("initialize");
        if let Some(endpoint) = self.legacy_endpoint.get() {
            return self.deliver_legacy(endpoint, raw).await;
        }
        // One refresh and one sign-in for one message: never a loop.
        let mut budget = Reauthorizations::at_most(1);
        let mut reopened = false;
        for _ in 0..4 {
            let token = match self.token().await {
                Ok(t) => t,
                Err(why) => return Delivery::Failed(why),
            };
            let response = match self.post(raw, Some(message), token.as_deref()).await {
                Ok(r) => r,
                Err(e) => return Delivery::Failed(format!("{} could not be reached: {e}", self.name)),
            };
            let status = response.status().as_u16();
            if status == 401 || status == 403 {
                let challenge = challenge_of(&response);
                match self.answer(status, challenge, token.as_deref(), &mut budget).await {
                    Ok(()) => continue,
                    Err(why) => return Delivery::Failed(why),
                }
            }
            // No Streamable HTTP here: the 2024-11-05 HTTP+SSE transport.
            if (status == 404 || status == 405) && is_initialize && self.session_id.lock().unwrap().is_none() {
                drop(response);
                return match self.open_legacy().await {
                    Ok(endpoint) => self.deliver_legacy(&endpoint, raw).await,
                    Err(why) => Delivery::Failed(why),
                };
            }
            // An expired session: open a new one with the client's own
            // `initialize`, then send this message again.
            if status == 404 && !is_initialize && !reopened && self.session_id.lock().unwrap().is_some() {
                reopened = true;
                if let Err(why) = self.reopen().await {
                    return Delivery::Failed(why);
                }
                continue;
            }
            if !response.status().is_success() {
                return self.refused(message, response).await;
            }
            if let Some(sid) = response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
                if is_initialize || self.session_id.lock().unwrap().is_none() {
                    *self.session_id.lock().unwrap() = Some(sid.to_string());
                }
            }
            return match self.forward_body(response, is_initialize, request_id(message).as_ref()).await {
                Ok(()) => Delivery::Delivered,
                Err(e) => Delivery::Failed(e.to_string()),
            };
        }
        Delivery::Failed(format!("{} kept refusing the sign-in; run `mcp-auth login {}` and try again", self.name, self.name))
    }

    /// The server refused `message` with an HTTP error. A JSON-RPC error for
    /// it in the body goes to the client unchanged (a 2026-07-28 server says
    /// which revisions it speaks that way); a refused `initialize` is answered
    /// with the revisions of both sides when they share none.
    async fn refused(&self, message: &Value, response: reqwest::Response) -> Delivery {
        let status = response.status().as_u16();
        let reply = match self.http.read(response).await {
            Ok(fetched) => serde_json::from_slice::<Value>(&fetched.body).ok().filter(|v| v.get("error").is_some()),
            Err(_) => None,
        };
        let id = request_id(message);
        if message.get("method").and_then(Value::as_str) == Some("initialize") {
            let requested = message.pointer("/params/protocolVersion").and_then(Value::as_str).unwrap_or("?");
            let mut supported = reply.as_ref().map(revision::supported_by).unwrap_or_default();
            if supported.is_empty() {
                supported = self.discover_revisions().await;
            }
            if !supported.is_empty() && !supported.iter().any(|v| v == requested) {
                let answer = revision::no_shared_revision(id.unwrap_or(Value::Null), &self.name, requested, &supported);
                eprintln!("mcp-auth bridge: {} speaks {}; the app asked for {requested}", self.name, supported.join(", "));
                let _ = self.out.send(answer).await;
                return Delivery::Delivered;
            }
        }
        match reply {
            Some(reply) if reply.get("id") == id.as_ref() => {
                self.to_client(&reply.to_string(), false).await;
                Delivery::Delivered
            }
            _ => Delivery::Failed(format!("{} answered with HTTP {status}", self.name)),
        }
    }

    /// The revisions the server lists in its `server/discover` answer; none
    /// when it does not answer one.
    async fn discover_revisions(&self) -> Vec<String> {
        let Ok(token) = self.token().await else { return Vec::new() };
        let probe = revision::discover_request();
        let raw = probe.to_string();
        let Ok(response) = self.post(raw.as_bytes(), Some(&probe), token.as_deref()).await else { return Vec::new() };
        let Ok(fetched) = self.http.read(response).await else { return Vec::new() };
        let body = String::from_utf8_lossy(&fetched.body);
        // A JSON body, or the first event of a stream.
        let text = if fetched.content_type().starts_with("text/event-stream") {
            let mut buffer = fetched.body.clone();
            SseParser::default().feed(&mut buffer).into_iter().next().unwrap_or_default()
        } else {
            body.into_owned()
        };
        serde_json::from_str::<Value>(&text).map(|v| revision::supported_by(&v)).unwrap_or_default()
    }

    /// The current access token, refreshed first when due; `Err` with what to
    /// tell the client when a sign-in is under way elsewhere for too long.
    async fn token(&self) -> std::result::Result<Option<String>, String> {
        self.admission.admitted().await?;
        let mut flow = match tokio::time::timeout(SIGN_IN_WAIT, self.flow.lock()).await {
            Ok(f) => f,
            Err(_) => return Err(self.sign_in_hint()),
        };
        flow.refresh_if_due().await.map_err(|e| e.to_string())?;
        let grant = flow.session().grant.as_ref();
        *self.dpop_key.lock().unwrap() = grant.and_then(|g| g.access_proof_key().cloned());
        Ok(grant.map(|g| g.access_token.expose().to_string()))
    }

    fn sign_in_hint(&self) -> String {
        format!("Sign in to {} in MCP Auth Manager (or finish the sign-in in your browser), then try again", self.name)
    }

    /// A 401 or 403 from the server: refresh, step up or sign in, as the
    /// engine decides; other requests wait meanwhile.
    async fn answer(
        &self,
        status: u16,
        challenge: Option<BearerChallenge>,
        sent: Option<&str>,
        budget: &mut Reauthorizations,
    ) -> std::result::Result<(), String> {
        let mut flow = match tokio::time::timeout(SIGN_IN_WAIT, self.flow.lock()).await {
            Ok(f) => f,
            Err(_) => return Err(self.sign_in_hint()),
        };
        // Several requests refused at once: the first one to get here renewed
        // the grant; the others only need to go again with it.
        let current = flow.session().grant.as_ref().map(|g| g.access_token.expose());
        if current != sent {
            return Ok(());
        }
        eprintln!("mcp-auth bridge: {} asks for authorization (HTTP {status})", self.name);
        flow.answer_challenge(status, challenge, budget, self.opener.as_ref(), self.cancel.clone()).await.map(|_| ()).map_err(|e| match e {
            Error::StepUpDeclined { .. }
            | Error::Cancelled
            | Error::SignInTimedOut { .. }
            | Error::StepUpLimit { .. }
            | Error::NotSignedInInApp { .. } => {
                format!("{e}. {}", self.sign_in_hint())
            }
            other => other.to_string(),
        })
    }

    /// POST one message (`parsed` is the same message, read for its headers).
    async fn post(&self, message: &[u8], parsed: Option<&Value>, token: Option<&str>) -> Result<reqwest::Response> {
        let mut own = parsed.map(revision::message_headers).unwrap_or_default();
        if let Some(m) = parsed {
            own.extend(self.params.lock().unwrap().headers_for(m));
            if m.get("method").and_then(Value::as_str) == Some("tools/list") {
                let mut listing = self.listing.lock().unwrap();
                if let Some(id) = m.get("id").filter(|id| !listing.contains(id)) {
                    listing.push(id.clone());
                    // Answers that never came are forgotten, oldest first.
                    if listing.len() > 64 {
                        listing.remove(0);
                    }
                }
            }
        }
        self.request_with(Method::POST, &self.url, "application/json, text/event-stream", token, None, own, Body::RawJson(message)).await
    }

    /// One request to the server with the headers every request of the bridge
    /// carries: the token, the session id and protocol version once known, and
    /// the event to resume after, if any.
    async fn request(
        &self,
        method: Method,
        url: &str,
        accept: &str,
        token: Option<&str>,
        last_event_id: Option<&str>,
        body: Body<'_>,
    ) -> Result<reqwest::Response> {
        self.request_with(method, url, accept, token, last_event_id, Vec::new(), body).await
    }

    /// [`request`](Self::request) with the headers a message names for itself
    /// ([`revision::message_headers`]); its own `MCP-Protocol-Version` wins
    /// over the one the session agreed on.
    #[allow(clippy::too_many_arguments)]
    async fn request_with(
        &self,
        method: Method,
        url: &str,
        accept: &str,
        token: Option<&str>,
        last_event_id: Option<&str>,
        own: Vec<(String, String)>,
        body: Body<'_>,
    ) -> Result<reqwest::Response> {
        let dpop_key = self.dpop_key.lock().unwrap().clone().filter(|_| token.is_some());
        let sent = self.request_once(method.clone(), url, accept, token, dpop_key.as_ref(), last_event_id, &own, body).await?;
        // A server that wants a DPoP nonce (§9) says so once: the request
        // goes again with it and a new proof, never more.
        let wants_nonce = dpop_key.is_some()
            && sent.status() == reqwest::StatusCode::UNAUTHORIZED
            && dpop::remember_nonce(url, sent.headers())
            && dpop::asks_for_nonce(&www_authenticate(sent.headers()), b"");
        if !wants_nonce {
            if dpop_key.is_some() {
                dpop::remember_nonce(url, sent.headers());
            }
            return Ok(sent);
        }
        self.request_once(method, url, accept, token, dpop_key.as_ref(), last_event_id, &own, body).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn request_once(
        &self,
        method: Method,
        url: &str,
        accept: &str,
        token: Option<&str>,
        dpop_key: Option<&Secret>,
        last_event_id: Option<&str>,
        own: &[(String, String)],
        body: Body<'_>,
    ) -> Result<reqwest::Response> {
        let names_version = own.iter().any(|(k, _)| k == "mcp-protocol-version");
        let mut headers: Vec<(&str, String)> = vec![("accept", accept.to_string())];
        headers.extend(own.iter().map(|(k, v)| (k.as_str(), v.clone())));
        match (token, dpop_key) {
            (Some(t), Some(key)) => {
                let token = Secret::new(t);
                headers.push(("authorization", dpop::authorization(&token, true)));
                headers.push(("dpop", dpop::proof(key, method.as_str(), url, Some(&token))?.expose().to_string()));
            }
            (Some(t), None) => headers.push(("authorization", format!("Bearer {t}"))),
            (None, _) => {}
        }
        if let Some(sid) = self.session_id.lock().unwrap().clone() {
            headers.push(("mcp-session-id", sid));
        }
        if let Some(v) = self.protocol_version.lock().unwrap().clone().filter(|_| !names_version) {
            headers.push(("mcp-protocol-version", v));
        }
        if let Some(id) = last_event_id {
            headers.push(("last-event-id", id.to_string()));
        }
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.http.start(method, url, &borrowed, body).await
    }

    /// Hand the server's answer to the client: a JSON body (one message or a
    /// batch) or an event stream, each event as it comes. A stream that ends
    /// before the answer to request `id` (the server dropped it, or polls:
    /// SEP-1699) is resumed with a GET and `Last-Event-ID`, a few times.
    async fn forward_body(&self, response: reqwest::Response, is_initialize: bool, id: Option<&Value>) -> Result<()> {
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"));
        if !is_sse {
            let fetched = self.http.read(response).await?;
            if fetched.body.iter().all(u8::is_ascii_whitespace) {
                return Ok(());
            }
            fetched.json::<Value>()?;
            self.to_client(&String::from_utf8_lossy(&fetched.body), is_initialize).await;
            return Ok(());
        }
        let mut parser = SseParser::default();
        if self.relay_stream(response, &mut parser, is_initialize, id).await? || id.is_none() {
            return Ok(());
        }
        for attempt in 1..=MAX_STREAM_RETRIES {
            let Some(last) = parser.last_event_id().map(str::to_owned) else { break };
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            let token = self.token().await.map_err(|why| Error::Mcp { url: self.url.clone(), message: why })?;
            let resumed = self.request(Method::GET, &self.url, "text/event-stream", token.as_deref(), Some(&last), Body::None).await;
            let Ok(resumed) = resumed else { continue };
            if !resumed.status().is_success() {
                continue;
            }
            if self.relay_stream(resumed, &mut parser, false, id).await? {
                return Ok(());
            }
        }
        Err(Error::Mcp {
            url: self.url.clone(),
            message: "the server's event stream ended before its answer, and could not be resumed".into(),
        })
    }

    /// One event stream to the client; `true` once the answer to `id` passed.
    async fn relay_stream(
        &self,
        mut response: reqwest::Response,
        parser: &mut SseParser,
        is_initialize: bool,
        id: Option<&Value>,
    ) -> Result<bool> {
        let mut buffer = Vec::new();
        let limit = self.http.limits().max_body;
        let mut answered = false;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Ok(answered),
                // A dropped connection: resumable like an ended stream.
                Err(_) if id.is_some() && !answered => return Ok(false),
                Err(e) => return Err(self.http.map_error(&self.url, e)),
            };
            buffer.extend_from_slice(&chunk);
            if buffer.len() > limit || parser.pending() > limit {
                return Err(Error::BodyTooLarge { url: self.url.clone(), limit });
            }
            for data in parser.feed(&mut buffer) {
                if let Some(id) = id {
                    answered |= serde_json::from_str::<Value>(&data)
                        .is_ok_and(|v| v.get("id") == Some(id) && (v.get("result").is_some() || v.get("error").is_some()));
                }
                self.to_client(&data, is_initialize).await;
            }
        }
    }

    /// Pass one message (or batch) of the server's to the client as it was
    /// written; text that is not JSON is dropped with a note on stderr.
    async fn to_client(&self, text: &str, is_initialize: bool) {
        // An event without data (a stream's priming event, a keep-alive).
        if text.trim().is_empty() {
            return;
        }
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            eprintln!("mcp-auth bridge: {} sent something that is not JSON; it was dropped", self.name);
            return;
        };
        if let Some(id) = value.get("id").filter(|_| value.get("result").is_some()) {
            let mut listing = self.listing.lock().unwrap();
            if let Some(at) = listing.iter().position(|l| l == id) {
                listing.remove(at);
                self.params.lock().unwrap().learn(&value);
            }
        }
        if is_initialize {
            if let Some(v) = value.pointer("/result/protocolVersion").and_then(Value::as_str) {
                *self.protocol_version.lock().unwrap() = Some(v.to_string());
            }
        }
        let _ = self.out.send(one_line(text)).await;
    }

    /// Open the 2024-11-05 event stream and learn where to POST; the stream's
    /// messages go to the client from then on.
    async fn open_legacy(self: &Arc<Self>) -> std::result::Result<String, String> {
        let opened = self
            .legacy_endpoint
            .get_or_try_init(|| async {
                let token = self.token().await?;
                let mut response = self
                    .request(Method::GET, &self.url, "text/event-stream", token.as_deref(), None, Body::None)
                    .await
                    .map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!(
                        "{} has neither a Streamable HTTP nor an HTTP+SSE endpoint at {} (HTTP {})",
                        self.name,
                        self.url,
                        response.status().as_u16()
                    ));
                }
                let mut parser = SseParser::default();
                let mut buffer = Vec::new();
                let limit = self.http.limits().max_body;
                // Events that came with the endpoint in one read are the
                // client's: they are kept and passed on first.
                let mut early: Vec<SseEvent> = Vec::new();
                let found = tokio::time::timeout(Duration::from_secs(10), async {
                    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
                        buffer.extend_from_slice(&chunk);
                        if buffer.len() > limit {
                            return Err(format!("{} sent no endpoint in its first {} MB", self.name, limit / (1024 * 1024)));
                        }
                        let mut events = parser.feed_events(&mut buffer).into_iter();
                        if let Some(e) = events.by_ref().find(|e| e.name.as_deref() == Some("endpoint")) {
                            early.extend(events);
                            return Ok(e.data);
                        }
                    }
                    Err(format!("{} closed its event stream before naming an endpoint", self.name))
                })
                .await
                .map_err(|_| format!("{} named no endpoint on its event stream within 10 s", self.name))??;
                let base = url::Url::parse(&self.url).map_err(|e| e.to_string())?;
                let endpoint = base.join(found.trim()).map_err(|_| format!("{} named an endpoint that is not a URL", self.name))?;
                // The access token goes to the endpoint: the server's own origin only.
                if endpoint.origin() != base.origin() {
                    return Err(format!(
                        "{} named an endpoint on another origin ({}); refused",
                        self.name,
                        endpoint.origin().ascii_serialization()
                    ));
                }
                eprintln!("mcp-auth bridge: {} speaks the 2024-11-05 HTTP+SSE transport", self.name);
                let up = self.clone();
                tokio::spawn(async move { up.forward_legacy_stream(early, response, parser, buffer).await });
                Ok::<_, String>(endpoint.to_string())
            })
            .await?;
        Ok(opened.clone())
    }

    /// The rest of the 2024-11-05 event stream: the server's answers,
    /// requests and notifications, each to the client.
    async fn forward_legacy_stream(
        &self,
        early: Vec<SseEvent>,
        mut response: reqwest::Response,
        mut parser: SseParser,
        mut buffer: Vec<u8>,
    ) {
        let limit = self.http.limits().max_body;
        let mut events = early;
        loop {
            events.extend(parser.feed_events(&mut buffer));
            for e in events.drain(..) {
                if e.name.as_deref().is_none_or(|n| n == "message") {
                    self.to_client(&e.data, false).await;
                }
            }
            if buffer.len() > limit || parser.pending() > limit {
                eprintln!("mcp-auth bridge: {} sent an event over {} MB; the stream was cut", self.name, limit / (1024 * 1024));
                break;
            }
            match response.chunk().await {
                Ok(Some(chunk)) => buffer.extend_from_slice(&chunk),
                Ok(None) | Err(_) => {
                    eprintln!("mcp-auth bridge: {} closed its event stream", self.name);
                    break;
                }
            }
        }
        // The 2024-11-05 transport has no resumption: later messages fail
        // plainly instead of waiting for answers that cannot come.
        self.legacy_closed.store(true, Ordering::Relaxed);
    }

    /// POST one message under the 2024-11-05 transport; the answer comes on
    /// the event stream.
    async fn deliver_legacy(&self, endpoint: &str, raw: &[u8]) -> Delivery {
        if self.legacy_closed.load(Ordering::Relaxed) {
            return Delivery::Failed(format!("{} closed its event stream; restart the app that uses it to connect again", self.name));
        }
        let token = match self.token().await {
            Ok(t) => t,
            Err(why) => return Delivery::Failed(why),
        };
        let sent = self.request(Method::POST, endpoint, "application/json", token.as_deref(), None, Body::RawJson(raw)).await;
        match sent {
            Ok(r) if r.status().is_success() => {
                let _ = self.http.read(r).await;
                Delivery::Delivered
            }
            Ok(r) => Delivery::Failed(format!("{} answered with HTTP {}", self.name, r.status().as_u16())),
            Err(e) => Delivery::Failed(format!("{} could not be reached: {e}", self.name)),
        }
    }

    /// The server forgot the session: initialize again with the client's own
    /// parameters, without the client noticing.
    async fn reopen(&self) -> std::result::Result<(), String> {
        let Some(mut init) = self.initialize.lock().unwrap().clone() else {
            return Err(format!("{} ended the session", self.name));
        };
        eprintln!("mcp-auth bridge: {} no longer knows this session; opening a new one", self.name);
        let n = self.replays.fetch_add(1, Ordering::Relaxed);
        init["id"] = json!(format!("mcp-auth-bridge-reopen-{n}"));
        let init = init.to_string();
        *self.session_id.lock().unwrap() = None;
        let token = self.token().await?;
        let response = self.post(init.as_bytes(), None, token.as_deref()).await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{} refused a new session (HTTP {})", self.name, response.status().as_u16()));
        }
        if let Some(sid) = response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            *self.session_id.lock().unwrap() = Some(sid.to_string());
        }
        // The answer is the bridge's own; the client already has one.
        let _ = self.http.read(response).await;
        let initialized = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        let _ = self.post(initialized, None, token.as_deref()).await;
        Ok(())
    }

    /// The server's own messages, on the GET stream: forwarded as they come,
    /// resumed after a drop with `Last-Event-ID`, given up after a few
    /// failures in a row, or at once if the server has no such stream.
    async fn listen(self: Arc<Self>) {
        let mut last_event_id: Option<String> = None;
        let mut failures = 0u32;
        while failures < MAX_STREAM_RETRIES {
            let Ok(token) = self.token().await else { return };
            let opened =
                self.request(Method::GET, &self.url, "text/event-stream", token.as_deref(), last_event_id.as_deref(), Body::None).await;
            let mut response = match opened {
                Ok(r) => r,
                Err(_) => {
                    failures += 1;
                    tokio::time::sleep(Duration::from_millis(250 * u64::from(failures))).await;
                    continue;
                }
            };
            let status = response.status().as_u16();
            if status == 405 || status == 404 {
                return; // no stream for server-initiated messages
            }
            if !response.status().is_success() {
                failures += 1;
                tokio::time::sleep(Duration::from_millis(250 * u64::from(failures))).await;
                continue;
            }
            let mut parser = SseParser::default();
            let mut buffer = Vec::new();
            let limit = self.http.limits().max_body;
            let opened = std::time::Instant::now();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        buffer.extend_from_slice(&chunk);
                        if buffer.len() > limit || parser.pending() > limit {
                            eprintln!("mcp-auth bridge: {} sent an event over {} MB; the stream was cut", self.name, limit / (1024 * 1024));
                            break;
                        }
                        for data in parser.feed(&mut buffer) {
                            self.to_client(&data, false).await;
                        }
                        if let Some(id) = parser.last_event_id() {
                            last_event_id = Some(id.to_string());
                        }
                    }
                    Ok(None) | Err(_) => break,
                }
            }
            // A stream that lived a while was a good one; one that ends at
            // once counts as a failure, so a server that closes every stream
            // at once is given up on instead of reconnected for ever.
            if opened.elapsed() >= Duration::from_secs(30) {
                failures = 0;
            } else {
                failures += 1;
            }
            tokio::time::sleep(Duration::from_millis(250 * u64::from(failures.max(1)))).await;
        }
    }
}

fn challenge_of(response: &reqwest::Response) -> Option<BearerChallenge> {
    BearerChallenge::from_headers(&www_authenticate(response.headers()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_read_whole_and_long_ones_skipped() {
        let text = format!("{{\"a\":1}}\n\n{}\n{{\"b\":2}}", "x".repeat(MAX_MESSAGE + 10));
        let mut reader = BufReader::new(text.as_bytes());
        assert_eq!(read_line(&mut reader).await.unwrap().unwrap(), b"{\"a\":1}");
        assert_eq!(read_line(&mut reader).await.unwrap().unwrap(), b"");
        assert!(read_line(&mut reader).await.is_err());
        assert_eq!(read_line(&mut reader).await.unwrap().unwrap(), b"{\"b\":2}");
        assert_eq!(read_line(&mut reader).await.unwrap(), None);
    }

    #[test]
    fn messages_keep_their_text_and_fit_one_line() {
        let text = "{\"z\": 1, \"a\": \"x y\"}";
        assert_eq!(one_line(text), text, "no line break: unchanged, key order and spaces kept");
        assert_eq!(one_line("{\n  \"z\": \"a\\\"\\n b\",\r\n  \"a\": [1, 2]\n}"), "{\"z\":\"a\\\"\\n b\",\"a\":[1,2]}");
    }

    #[test]
    fn only_requests_are_answered() {
        assert_eq!(request_id(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"})), Some(json!(3)));
        assert_eq!(request_id(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})), None);
        assert_eq!(request_id(&json!({"jsonrpc": "2.0", "id": 3, "result": {}})), None);
    }
}
