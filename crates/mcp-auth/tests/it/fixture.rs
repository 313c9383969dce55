//! A fixture authorization server + MCP server on 127.0.0.1:0 whose behaviour
//! each test sets, and which records every request it sees.
//!
//! By default it is a well-behaved MCP deployment on one origin: `/mcp` answers
//! 401 with a `resource_metadata` challenge, PRM at the path-based well-known
//! URL, RFC 8414 metadata, DCR, an auto-approving `/authorize` (302 back to the
//! redirect URI), a `/token` endpoint that checks PKCE, the code's single use and
//! the redirect URI, refresh with rotation, and `/revoke`.
//!
//! Set to, it also grants without a person (client credentials checked
//! against one client's secret or a signed assertion's claims; the JWT
//! bearer grant for the assertions it is told to accept) and binds tokens to
//! DPoP keys: it checks each proof's signature against the key the token was
//! bound to, its method, URL, time and token hash.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest;

/// One request the fixture received.
#[derive(Debug, Clone)]
pub struct Seen {
    #[allow(dead_code)]
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub authorization: Option<String>,
    /// The `DPoP` proof header, if the request had one (read by the CLI's tests).
    #[allow(dead_code)]
    pub dpop: Option<String>,
    pub body: String,
    pub form: HashMap<String, String>,
}

/// How the device grant's token endpoint answers (RFC 8628 §3.5). (The
/// CLI's tests drive the device grant; the engine's share this file.)
#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceMode {
    /// `authorization_pending` this many times, then tokens.
    ApproveAfter(u32),
    Deny,
    Expire,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizeMode {
    Approve,
    Deny(&'static str),
}

/// A canned answer that overrides an endpoint.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Canned {
    pub fn json(status: u16, v: Value) -> Self {
        Canned { status, headers: vec![("content-type", "application/json".into())], body: v.to_string() }
    }
}

#[derive(Debug, Clone)]
pub struct Behaviour {
    /// PRM body at the path-based well-known URL (None → 404).
    pub prm: Option<Value>,
    /// WWW-Authenticate on a 401 from /mcp.
    pub challenge: String,
    /// AS metadata at /.well-known/oauth-authorization-server (None → 404).
    pub as_meta: Option<Value>,
    pub authorize: AuthorizeMode,
    /// `iss` added to the redirect.
    pub iss_in_redirect: Option<String>,
    pub token_reply: Option<Canned>,
    /// Overrides the PRM and AS metadata answers (HTML pages, 500s…).
    pub prm_reply: Option<Canned>,
    pub as_reply: Option<Canned>,
    pub register_reply: Option<Canned>,
    /// Scopes tools/call demands (403 insufficient_scope otherwise).
    pub call_requires: Vec<String>,
    /// tools/call always answers 403 insufficient_scope.
    pub always_insufficient: bool,
    /// Scopes every request needs: a token without them gets a 401 naming them
    /// in its challenge (a server widening its demand after sign-in, row 44).
    pub unauthorized_without: Vec<String>,
    pub issue_refresh: bool,
    pub rotate_refresh: bool,
    pub expires_in: Value,
    pub revoke_status: u16,
    /// Answer MCP requests as SSE instead of JSON.
    pub sse: bool,
    /// The MCP endpoint needs no token.
    pub open: bool,
    /// The device grant: `/device` and the token endpoint's device answers
    /// (advertise it with [`Behaviour::offer_device`]).
    pub device: DeviceMode,
    /// Answer the first device poll with `slow_down`.
    pub device_slow_down_once: bool,
    pub device_interval: u64,
    /// Grant client credentials to this client id: with this secret (Basic),
    /// or with a `private_key_jwt` assertion naming it (when the secret is
    /// `None`; the claims are checked, not the signature).
    pub client_credentials: Option<(String, Option<String>)>,
    /// JWT bearer assertions the token endpoint accepts (workload tokens).
    pub accepted_assertions: Vec<String>,
    /// Advertise DPoP (the AS metadata, and the MCP endpoint's challenge in the
    /// `DPoP` scheme) and bind tokens to the proof's key at the token endpoint.
    pub dpop: bool,
    /// Advertise DPoP at the authorization server only (the MCP endpoint
    /// knows Bearer alone): a client must not bind its tokens.
    pub dpop_at_as_only: bool,
    /// With `dpop`: refresh tokens are bound to the key the code exchange
    /// proved (a refresh must prove the same key), and a refresh is answered
    /// with an unbound Bearer access token (RFC 9449 §5 lets a server decline
    /// to bind one).
    pub dpop_bearer_on_refresh: bool,
    // state
    /// Bound tokens, with the public JWK they are bound to.
    bound: HashMap<String, Value>,
    /// Refresh tokens bound to a key, with its public JWK.
    bound_refresh: HashMap<String, Value>,
    device_codes: HashMap<String, (Vec<String>, u32)>,
    tag: String,
    next: u64,
    codes: HashMap<String, (Vec<String>, String, String)>,
    tokens: HashMap<String, Vec<String>>,
    refresh: HashMap<String, Vec<String>>,
}

pub struct Fixture {
    pub base: String,
    pub behaviour: Arc<Mutex<Behaviour>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone)]
struct Shared {
    behaviour: Arc<Mutex<Behaviour>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    base: String,
}

impl Fixture {
    pub async fn start() -> Fixture {
        Fixture::start_on("127.0.0.1").await
    }

    /// On another loopback address, which a test may have the engine take for
    /// one on the internet or the local network (`mcp_auth::seam`).
    pub async fn start_on(ip: &str) -> Fixture {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let base = format!("http://{ip}:{}", listener.local_addr().unwrap().port());
        let behaviour = Arc::new(Mutex::new(Behaviour::default_for(&base)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { behaviour: behaviour.clone(), seen: seen.clone(), base: base.clone() };
        let app = Router::new()
            .route("/mcp", any(mcp))
            .route("/.well-known/oauth-protected-resource/mcp", get(prm))
            .route("/.well-known/oauth-authorization-server", get(as_meta))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/register", post(register))
            .route("/revoke", post(revoke))
            .route("/device", post(device))
            .fallback(fallback)
            .with_state(shared);
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fixture { base, behaviour, seen }
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.behaviour.lock().unwrap());
    }

    /// Requests to a path, in order.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen.lock().unwrap().iter().filter(|s| s.path == path).cloned().collect()
    }

    pub fn paths(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|s| s.path.clone()).collect()
    }

    /// Forget issued tokens (the server lost them, or they were revoked).
    pub fn invalidate_tokens(&self) {
        self.behaviour.lock().unwrap().tokens.clear();
    }
}

impl Behaviour {
    fn default_for(base: &str) -> Self {
        Behaviour {
            prm: Some(json!({
                "resource": format!("{base}/mcp"),
                "authorization_servers": [base],
                "scopes_supported": ["mcp:tools"],
            })),
            challenge: format!("Bearer error=\"invalid_token\", resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\""),
            as_meta: Some(default_as_meta(base)),
            authorize: AuthorizeMode::Approve,
            iss_in_redirect: None,
            token_reply: None,
            prm_reply: None,
            as_reply: None,
            register_reply: None,
            call_requires: Vec::new(),
            always_insufficient: false,
            unauthorized_without: Vec::new(),
            issue_refresh: true,
            rotate_refresh: true,
            expires_in: json!(3600),
            revoke_status: 200,
            client_credentials: None,
            accepted_assertions: Vec::new(),
            dpop: false,
            dpop_at_as_only: false,
            dpop_bearer_on_refresh: false,
            bound: HashMap::new(),
            bound_refresh: HashMap::new(),
            sse: false,
            open: false,
            device: DeviceMode::ApproveAfter(1),
            device_slow_down_once: false,
            device_interval: 1,
            device_codes: HashMap::new(),
            // The port, and for another loopback address its last octet too.
            tag: {
                let (host, port) = base.trim_start_matches("http://").rsplit_once(':').unwrap_or(("", "0"));
                match host.rsplit('.').next() {
                    Some("1") | None => port.to_string(),
                    Some(octet) => format!("{octet}x{port}"),
                }
            },
            next: 0,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    /// Advertise the device authorization endpoint.
    #[allow(dead_code)]
    pub fn offer_device(&mut self, base: &str) {
        if let Some(meta) = self.as_meta.as_mut() {
            meta["device_authorization_endpoint"] = json!(format!("{base}/device"));
        }
    }

    /// Ids carry the fixture's port, so two fixtures never issue the same one.
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}-{}", self.tag, self.next)
    }
}

pub fn default_as_meta(base: &str) -> Value {
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "registration_endpoint": format!("{base}/register"),
        "revocation_endpoint": format!("{base}/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": ["mcp:tools", "mcp:write"],
    })
}

fn record(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
    let body = String::from_utf8_lossy(body).into_owned();
    let form = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let query = uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    s.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        query,
        authorization: headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned),
        dpop: headers.get("dpop").and_then(|v| v.to_str().ok()).map(str::to_owned),
        body,
        form,
    });
}

fn canned(c: &Canned) -> Response {
    let mut r = (StatusCode::from_u16(c.status).unwrap(), c.body.clone()).into_response();
    for (k, v) in &c.headers {
        r.headers_mut().insert(*k, v.parse().unwrap());
    }
    r
}

fn json_response(status: u16, v: Value) -> Response {
    canned(&Canned::json(status, v))
}

async fn fallback(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    record(&s, &method, &uri, &headers, &body);
    StatusCode::NOT_FOUND.into_response()
}

async fn prm(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    record(&s, &method, &uri, &headers, b"");
    if let Some(c) = &s.behaviour.lock().unwrap().prm_reply {
        return canned(c);
    }
    match s.behaviour.lock().unwrap().prm.clone() {
        Some(v) => json_response(200, v),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn as_meta(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    record(&s, &method, &uri, &headers, b"");
    if let Some(c) = &s.behaviour.lock().unwrap().as_reply {
        return canned(c);
    }
    let b = s.behaviour.lock().unwrap();
    match b.as_meta.clone() {
        Some(mut v) => {
            if b.dpop || b.dpop_at_as_only {
                v["dpop_signing_alg_values_supported"] = json!(["ES256"]);
            }
            json_response(200, v)
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn authorize(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    record(&s, &method, &uri, &headers, b"");
    let mut b = s.behaviour.lock().unwrap();
    let Some(redirect) = q.get("redirect_uri") else {
        return (StatusCode::BAD_REQUEST, "no redirect_uri").into_response();
    };
    let mut target = url::Url::parse(redirect).unwrap();
    {
        let mut pairs = target.query_pairs_mut();
        match &b.authorize {
            AuthorizeMode::Approve => {
                let code = b.id("code");
                let scopes: Vec<String> = q.get("scope").map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default();
                b.codes.insert(code.clone(), (scopes, q.get("code_challenge").cloned().unwrap_or_default(), redirect.clone()));
                pairs.append_pair("code", &code);
            }
            AuthorizeMode::Deny(e) => {
                pairs.append_pair("error", e);
                pairs.append_pair("error_description", "<script>alert(1)</script>");
            }
        }
        if let Some(state) = q.get("state") {
            pairs.append_pair("state", state);
        }
        if let Some(iss) = &b.iss_in_redirect {
            pairs.append_pair("iss", iss);
        }
    }
    (StatusCode::FOUND, [("location", target.to_string())]).into_response()
}

async fn token(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let mut b = s.behaviour.lock().unwrap();
    if let Some(c) = &b.token_reply {
        return canned(c);
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let invalid_grant = || json_response(400, json!({"error": "invalid_grant"}));
    let scopes = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let Some((scopes, challenge, redirect)) = form.get("code").and_then(|c| b.codes.remove(c)) else {
                return invalid_grant();
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
            if computed != challenge || form.get("redirect_uri") != Some(&redirect) {
                return invalid_grant();
            }
            scopes
        }
        Some("refresh_token") => {
            let Some(rt) = form.get("refresh_token") else { return invalid_grant() };
            let found = if b.rotate_refresh { b.refresh.remove(rt) } else { b.refresh.get(rt).cloned() };
            match found {
                Some(scopes) => scopes,
                None => return invalid_grant(),
            }
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            let Some(code) = form.get("device_code").cloned() else { return invalid_grant() };
            let slow = b.device_slow_down_once;
            let mode = b.device.clone();
            let Some((scopes, polls)) = b.device_codes.get_mut(&code) else { return invalid_grant() };
            if slow && *polls == 0 {
                *polls += 1;
                return json_response(400, json!({"error": "slow_down"}));
            }
            match mode {
                DeviceMode::Deny => return json_response(400, json!({"error": "access_denied"})),
                DeviceMode::Expire => return json_response(400, json!({"error": "expired_token"})),
                DeviceMode::ApproveAfter(n) if *polls < n + u32::from(slow) => {
                    *polls += 1;
                    return json_response(400, json!({"error": "authorization_pending"}));
                }
                DeviceMode::ApproveAfter(_) => {}
            }
            let scopes = scopes.clone();
            b.device_codes.remove(&code);
            scopes
        }
        Some("client_credentials") => {
            let Some((id, secret)) = b.client_credentials.clone() else {
                return json_response(400, json!({"error": "unsupported_grant_type"}));
            };
            let authenticated = match secret {
                Some(secret) => headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&basic(&id, &secret)),
                None => {
                    form.get("client_assertion_type").map(String::as_str) == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                        && form.get("client_assertion").and_then(|a| jwt_claims(a)).is_some_and(|c| {
                            c["iss"] == id.as_str() && c["sub"] == id.as_str() && c["aud"] == s.base.as_str() && c["jti"].is_string()
                        })
                }
            };
            if !authenticated {
                return json_response(401, json!({"error": "invalid_client"}));
            }
            form.get("scope").map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default()
        }
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            if !form.get("assertion").is_some_and(|a| b.accepted_assertions.contains(a)) {
                return invalid_grant();
            }
            form.get("scope").map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default()
        }
        _ => return json_response(400, json!({"error": "unsupported_grant_type"})),
    };
    let proof_key = match (b.dpop || b.dpop_at_as_only, headers.get("dpop").and_then(|v| v.to_str().ok())) {
        (true, Some(proof)) => match check_proof(proof, "POST", &format!("{}/token", s.base), None) {
            Ok(jwk) => Some(jwk),
            Err(why) => return json_response(400, json!({"error": "invalid_dpop_proof", "error_description": why})),
        },
        _ => None,
    };
    let is_refresh = form.get("grant_type").map(String::as_str) == Some("refresh_token");
    if let Some(jwk) = form.get("refresh_token").filter(|_| is_refresh).and_then(|rt| b.bound_refresh.get(rt)) {
        if proof_key.as_ref() != Some(jwk) {
            return invalid_grant();
        }
    }
    let access = b.id("at");
    b.tokens.insert(access.clone(), scopes.clone());
    let bind_access = proof_key.is_some() && !(is_refresh && b.dpop_bearer_on_refresh);
    let token_type = if bind_access { "DPoP" } else { "Bearer" };
    if let Some(jwk) = proof_key.clone().filter(|_| bind_access) {
        b.bound.insert(access.clone(), jwk);
    }
    let mut reply = json!({"access_token": access, "token_type": token_type, "expires_in": b.expires_in, "scope": scopes.join(" ")});
    if b.issue_refresh && (!is_refresh || b.rotate_refresh) {
        let rt = b.id("rt");
        b.refresh.insert(rt.clone(), scopes);
        if let Some(jwk) = proof_key.filter(|_| b.dpop_bearer_on_refresh) {
            b.bound_refresh.insert(rt.clone(), jwk);
        }
        reply["refresh_token"] = json!(rt);
    }
    json_response(200, reply)
}

async fn device(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let mut b = s.behaviour.lock().unwrap();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if !form.contains_key("client_id") {
        return json_response(400, json!({"error": "invalid_client"}));
    }
    let code = b.id("dc");
    let scopes: Vec<String> = form.get("scope").map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default();
    b.device_codes.insert(code.clone(), (scopes, 0));
    json_response(
        200,
        json!({
            "device_code": code,
            "user_code": "WDJB-MJHT",
            "verification_uri": format!("{}/activate", s.base),
            "verification_uri_complete": format!("{}/activate?user_code=WDJB-MJHT", s.base),
            "expires_in": 60,
            "interval": b.device_interval,
        }),
    )
}

async fn register(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let mut b = s.behaviour.lock().unwrap();
    if let Some(c) = &b.register_reply {
        return canned(c);
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let id = b.id("client");
    json_response(
        201,
        json!({
            "client_id": id,
            "redirect_uris": req["redirect_uris"],
            "token_endpoint_auth_method": req["token_endpoint_auth_method"],
            "grant_types": req["grant_types"],
        }),
    )
}

async fn revoke(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let mut b = s.behaviour.lock().unwrap();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if let Some(t) = form.get("token") {
        b.tokens.remove(t);
        b.refresh.remove(t);
    }
    StatusCode::from_u16(b.revoke_status).unwrap().into_response()
}

async fn mcp(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let b = s.behaviour.lock().unwrap().clone();
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let msg: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let rpc_method = msg["method"].as_str().unwrap_or("").to_string();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (scheme, token) = match authorization.split_once(' ') {
        Some((scheme, token)) => (scheme.to_string(), Some(token.to_string())),
        None => (String::new(), None),
    };
    // A bound token is good only in the DPoP scheme with a proof made with
    // its key for this request (RFC 9449 §7); an unbound one only as Bearer.
    let presented = token.filter(|t| match b.bound.get(t) {
        Some(jwk) => {
            scheme == "DPoP"
                && headers
                    .get("dpop")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|p| check_proof(p, method.as_str(), &format!("{}/mcp", s.base), Some(t)).is_ok_and(|key| &key == jwk))
        }
        None => scheme == "Bearer",
    });
    let granted = presented.as_ref().and_then(|t| b.tokens.get(t)).cloned();
    if !b.open && granted.is_none() {
        // A resource that takes DPoP says so with the scheme of its challenge.
        let challenge = if b.dpop { b.challenge.replacen("Bearer", "DPoP", 1) } else { b.challenge.clone() };
        return (StatusCode::UNAUTHORIZED, [("www-authenticate", challenge)], "{\"error\":\"invalid_token\"}").into_response();
    }
    let granted = granted.unwrap_or_default();
    if !b.unauthorized_without.iter().all(|r| granted.contains(r)) {
        let challenge = format!(
            "Bearer error=\"invalid_token\", scope=\"{}\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            b.unauthorized_without.join(" "),
            s.base
        );
        return (StatusCode::UNAUTHORIZED, [("www-authenticate", challenge)], "{}").into_response();
    }
    if rpc_method == "tools/call" && (b.always_insufficient || !b.call_requires.iter().all(|r| granted.contains(r))) {
        let scope = if b.always_insufficient { "mcp:admin".to_string() } else { b.call_requires.join(" ") };
        let challenge = format!(
            "Bearer error=\"insufficient_scope\", scope=\"{scope}\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            s.base
        );
        return (StatusCode::FORBIDDEN, [("www-authenticate", challenge)], "{}").into_response();
    }
    if msg.get("id").is_none() {
        return StatusCode::ACCEPTED.into_response();
    }
    let result = match rpc_method.as_str() {
        "initialize" => {
            json!({"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "fixture-mcp", "version": "1"}})
        }
        "tools/list" => json!({"tools": [
            {"name": "echo", "description": "Echoes its input", "inputSchema": {"type": "object"}},
            {"name": "<script>alert(1)</script>", "description": "<img src=x onerror=alert(1)>", "inputSchema": {"type": "object"}}
        ]}),
        "tools/call" => json!({"content": [{"type": "text", "text": format!("called with {}", msg["params"]["arguments"])}]}),
        _ => return json_response(200, json!({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "no such method"}})),
    };
    let reply = json!({"jsonrpc": "2.0", "id": msg["id"], "result": result});
    if b.sse {
        let body = format!("event: message\ndata: {reply}\n\n");
        return (StatusCode::OK, [("content-type", "text/event-stream"), ("mcp-session-id", "sess-1")], body).into_response();
    }
    (StatusCode::OK, [("content-type", "application/json"), ("mcp-session-id", "sess-1")], reply.to_string()).into_response()
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

fn b64url(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok()
}

/// A JWT's claims, unverified.
fn jwt_claims(jwt: &str) -> Option<Value> {
    serde_json::from_slice(&b64url(jwt.split('.').nth(1)?)?).ok()
}

/// Check a DPoP proof (RFC 9449 §4.3) for this request: `typ`, an ES256
/// signature by the public key in its header (whose JWK is returned), `htm`,
/// `htu`, a recent `iat`, a `jti`, and the token's hash when one is presented.
fn check_proof(proof: &str, method: &str, url: &str, token: Option<&str>) -> Result<Value, String> {
    let parts: Vec<&str> = proof.split('.').collect();
    let [h, c, sig] = parts[..] else { return Err("not a JWS".into()) };
    let header: Value = b64url(h).and_then(|b| serde_json::from_slice(&b).ok()).ok_or("bad header")?;
    let claims: Value = b64url(c).and_then(|b| serde_json::from_slice(&b).ok()).ok_or("bad claims")?;
    if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" || header["jwk"].get("d").is_some() {
        return Err("bad header fields".into());
    }
    let jwk = header["jwk"].clone();
    let coord = |k: &str| jwk[k].as_str().and_then(b64url).ok_or("bad jwk");
    let point = [vec![4u8], coord("x")?, coord("y")?].concat();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(format!("{h}.{c}").as_bytes(), &b64url(sig).ok_or("bad signature encoding")?)
        .map_err(|_| "the signature does not verify")?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    if claims["htm"] != method
        || claims["htu"] != url
        || !claims["jti"].is_string()
        || claims["iat"].as_u64().is_none_or(|t| t.abs_diff(now) > 60)
    {
        return Err(format!("the proof names another request: {claims}"));
    }
    if let Some(t) = token {
        let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(t.as_bytes()));
        if claims["ath"] != ath.as_str() {
            return Err("ath does not match the token".into());
        }
    }
    Ok(jwk)
}
