//! "Try it": a demo MCP server protected by a small authorization server, both
//! on 127.0.0.1, started by the app on request, so a new user can go through
//! the whole flow on a fresh machine with nothing else installed.
//!
//! It is a real OAuth 2.1 server for one purpose: RFC 9728 metadata, RFC 8414
//! metadata (with RFC 9207 `iss`), dynamic registration, an authorization
//! endpoint that approves at once (it is a demo: there is no account to log in
//! to), a token endpoint that checks PKCE, single-use codes, redirect URIs and
//! rotates refresh tokens, revocation, and an MCP endpoint with three tools.
//! It also offers sign-in from another device (RFC 8628): opening the page it
//! names (or typing its code there) approves, as a real one would after login.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest;

/// Access tokens live ten minutes, so refresh is visible in the app.
const ACCESS_TOKEN_SECONDS: u64 = 600;

#[derive(Default)]
struct Books {
    next: u64,
    clients: HashMap<String, Vec<String>>,
    codes: HashMap<String, Code>,
    access: HashMap<String, Vec<String>>,
    refresh: HashMap<String, Vec<String>>,
    /// Device codes: (user code, scopes, approved).
    devices: HashMap<String, (String, Vec<String>, bool)>,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scopes: Vec<String>,
}

#[derive(Clone)]
struct Demo {
    base: String,
    books: Arc<Mutex<Books>>,
}

impl Books {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).expect("the OS random number generator failed");
        format!("{prefix}_{}_{}", self.next, base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// A running demo server. Dropping it does not stop it: it lives as long as the app.
pub struct DemoServer {
    pub mcp_url: String,
}

pub async fn start() -> std::io::Result<DemoServer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let demo = Demo { base: base.clone(), books: Arc::default() };
    let app = Router::new()
        .route("/mcp", post(mcp))
        .route("/.well-known/oauth-protected-resource/mcp", get(prm))
        .route("/.well-known/oauth-authorization-server", get(as_metadata))
        .route("/register", post(register))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/device", post(device))
        .route("/activate", get(activate))
        .with_state(demo);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(DemoServer { mcp_url: format!("{base}/mcp") })
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"error": error}))).into_response()
}

async fn prm(State(d): State<Demo>) -> Json<Value> {
    Json(json!({
        "resource": format!("{}/mcp", d.base),
        "authorization_servers": [d.base],
        "scopes_supported": ["demo:read", "demo:write"],
        "resource_name": "Demo MCP server",
    }))
}

async fn as_metadata(State(d): State<Demo>) -> Json<Value> {
    let b = &d.base;
    Json(json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"),
        "registration_endpoint": format!("{b}/register"),
        "revocation_endpoint": format!("{b}/revoke"),
        "device_authorization_endpoint": format!("{b}/device"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["demo:read", "demo:write", "offline_access"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn register(State(d): State<Demo>, Json(body): Json<Value>) -> Response {
    let uris: Vec<String> = body["redirect_uris"].as_array().into_iter().flatten().filter_map(|u| u.as_str().map(str::to_owned)).collect();
    if uris.is_empty() || uris.len() > 10 {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri");
    }
    let mut books = d.books.lock().unwrap();
    let id = books.id("demo_client");
    books.clients.insert(id.clone(), uris.clone());
    (
        StatusCode::CREATED,
        Json(json!({
            "client_id": id,
            "redirect_uris": uris,
            "token_endpoint_auth_method": "none",
            "grant_types": body["grant_types"],
            "client_name": body["client_name"],
        })),
    )
        .into_response()
}

async fn authorize(State(d): State<Demo>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut books = d.books.lock().unwrap();
    let registered = books.clients.get(&get("client_id")).is_some_and(|uris| uris.contains(&get("redirect_uri")));
    if !registered {
        return (StatusCode::BAD_REQUEST, "Unknown client or redirect URI.").into_response();
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
        return (StatusCode::BAD_REQUEST, "PKCE S256 is required.").into_response();
    }
    let code = books.id("demo_code");
    let scopes = get("scope").split_whitespace().map(str::to_owned).collect();
    books.codes.insert(
        code.clone(),
        Code { client_id: get("client_id"), redirect_uri: get("redirect_uri"), challenge: get("code_challenge"), scopes },
    );
    let mut target = match url::Url::parse(&get("redirect_uri")) {
        Ok(u) => u,
        Err(_) => return (StatusCode::BAD_REQUEST, "Bad redirect URI.").into_response(),
    };
    target.query_pairs_mut().append_pair("code", &code).append_pair("state", &get("state")).append_pair("iss", &d.base);
    (StatusCode::FOUND, [("location", target.to_string())]).into_response()
}

fn issue(books: &mut Books, scopes: Vec<String>) -> Value {
    let access = books.id("demo_at");
    let refresh = books.id("demo_rt");
    books.access.insert(access.clone(), scopes.clone());
    books.refresh.insert(refresh.clone(), scopes.clone());
    json!({"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS, "refresh_token": refresh, "scope": scopes.join(" ")})
}

async fn token(State(d): State<Demo>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut books = d.books.lock().unwrap();
    match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(code) = books.codes.remove(&get("code")) else { return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant") };
            let verifier_ok = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(get("code_verifier").as_bytes()))
                == code.challenge;
            if !verifier_ok || code.redirect_uri != get("redirect_uri") || code.client_id != get("client_id") {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            Json(issue(&mut books, code.scopes)).into_response()
        }
        DEVICE_GRANT => match books.devices.get(&get("device_code")).cloned() {
            Some((_, scopes, true)) => {
                books.devices.remove(&get("device_code"));
                Json(issue(&mut books, scopes)).into_response()
            }
            Some(_) => oauth_error(StatusCode::BAD_REQUEST, "authorization_pending"),
            None => oauth_error(StatusCode::BAD_REQUEST, "expired_token"),
        },
        "refresh_token" => match books.refresh.remove(&get("refresh_token")) {
            Some(scopes) => Json(issue(&mut books, scopes)).into_response(),
            None => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
        },
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn device(State(d): State<Demo>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut books = d.books.lock().unwrap();
    if !form.get("client_id").is_some_and(|c| books.clients.contains_key(c)) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let device_code = books.id("demo_device");
    let mut letters = [0u8; 8];
    getrandom::fill(&mut letters).expect("the OS random number generator failed");
    // Consonants only, as RFC 8628 §6.1 suggests: no words, nothing to misread.
    let user_code: String = letters.iter().map(|b| b"BCDFGHJKLMNPQRSTVWXZ"[*b as usize % 20] as char).collect();
    let user_code = format!("{}-{}", &user_code[..4], &user_code[4..]);
    let scopes = form.get("scope").map(|s| s.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
    books.devices.insert(device_code.clone(), (user_code.clone(), scopes, false));
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": format!("{}/activate", d.base),
        "verification_uri_complete": format!("{}/activate?user_code={user_code}", d.base),
        "expires_in": 600,
        "interval": 2,
    }))
    .into_response()
}

/// The page the person opens on their other device: with the code, it approves.
async fn activate(State(d): State<Demo>, Query(q): Query<HashMap<String, String>>) -> Response {
    let code = q.get("user_code").map(|c| c.trim().to_uppercase()).unwrap_or_default();
    let page = |body: &str| {
        (
            [("content-type", "text/html; charset=utf-8")],
            format!("<!doctype html><title>Demo sign-in</title><body style=\"font-family:sans-serif\">{body}</body>"),
        )
    };
    if code.is_empty() {
        return page("<h1>Demo sign-in</h1><form><label>Code <input name=user_code autofocus></label> <button>Approve</button></form>")
            .into_response();
    }
    let mut books = d.books.lock().unwrap();
    match books.devices.values_mut().find(|(user_code, _, _)| *user_code == code) {
        Some(device) => {
            device.2 = true;
            page("<h1>Approved</h1><p>You can go back to MCP Auth Manager.</p>").into_response()
        }
        None => (StatusCode::NOT_FOUND, page("<h1>Unknown code</h1><p>Check the code MCP Auth Manager shows.</p>")).into_response(),
    }
}

async fn revoke(State(d): State<Demo>, body: Bytes) -> StatusCode {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if let Some(t) = form.get("token") {
        let mut books = d.books.lock().unwrap();
        books.access.remove(t);
        books.refresh.remove(t);
    }
    StatusCode::OK
}

async fn mcp(State(d): State<Demo>, headers: HeaderMap, Json(msg): Json<Value>) -> Response {
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let known = token.is_some_and(|t| d.books.lock().unwrap().access.contains_key(t));
    if !known {
        let challenge = format!("Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\", scope=\"demo:read\"", d.base);
        return (StatusCode::UNAUTHORIZED, [("www-authenticate", challenge)], Json(json!({"error": "invalid_token"}))).into_response();
    }
    let Some(id) = msg.get("id").cloned() else { return StatusCode::ACCEPTED.into_response() };
    let result = match msg["method"].as_str().unwrap_or("") {
        "initialize" => {
            json!({"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "MCP Auth Manager demo", "version": env!("CARGO_PKG_VERSION")}})
        }
        "tools/list" => json!({"tools": [
            {"name": "echo", "description": "Repeats the text you send.", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
            {"name": "add", "description": "Adds two numbers.", "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}},
            {"name": "server_time", "description": "Tells the demo server's clock.", "inputSchema": {"type": "object"}}
        ]}),
        "tools/call" => json!({"content": [{"type": "text", "text": format!("demo tool {} called", msg["params"]["name"])}]}),
        _ => return Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "method not found"}})).into_response(),
    };
    Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}
