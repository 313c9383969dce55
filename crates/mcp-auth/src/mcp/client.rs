//! The engine's own MCP client, on rmcp: what `tools`, `call` and the app's
//! "verify by listing tools" use.
//!
//! rmcp speaks both eras of the protocol. [`McpSession::connect`] asks with
//! `server/discover` first (2026-07-28: stateless, every request carrying its
//! `MCP-Protocol-Version` header, `Mcp-Method`/`Mcp-Name` headers and `_meta`)
//! and falls back to `initialize` and a session when the server answers as a
//! 2025 server does. Requests go through [`BearerHttp`], so every transport
//! rule of the engine holds under rmcp.
//!
//! What the engine needs back from a failure is whether the server refused the
//! token: a 401/403 becomes [`Error::Unauthorized`] with the parsed challenge,
//! which drives refresh, re-authorization and step-up in
//! [`ServerSession`](crate::ServerSession).

use std::error::Error as StdError;

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction, Implementation,
    PaginatedRequestParams, ProtocolVersion,
};
use rmcp::service::{ClientInitializeError, RequestContext, RoleClient, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, InsufficientScopeError, StreamableHttpClientTransport, StreamableHttpClientTransportConfig, StreamableHttpError,
};
use rmcp::{ClientHandler, ClientServiceExt, ErrorData};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::mcp::transport::{BearerHttp, Refusals};
use crate::net::http::HttpClient;
use crate::oauth::challenge::BearerChallenge;
use crate::vault::secret::Secret;

/// The revision the engine prefers and the one it falls back to.
pub const PROTOCOL_VERSION: &str = "2026-07-28";
pub const LEGACY_PROTOCOL_VERSION: &str = "2025-11-25";

/// Pages of `tools/list` read at most: a server cannot keep the client here.
pub const MAX_TOOL_PAGES: usize = 50;

/// A tool as listed by the server (server-supplied text: show it as text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// The tool's input schema, exactly as the server sent it.
    pub input_schema: Value,
    /// The whole definition (title, output schema, annotations, `_meta`), for
    /// `serve`, which offers it to its own client unchanged.
    #[serde(skip)]
    pub definition: rmcp::model::Tool,
}

/// The `initialize` request the discovery probe sends without a token (a
/// 2025 server answers it; a protected server of either era refuses it with
/// its challenge, which is all the probe reads).
pub(crate) fn initialize_request(id: u64) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "mcp-auth", "version": env!("CARGO_PKG_VERSION")}
        }
    })
}

/// What the engine tells a server about itself, and how it answers the
/// server's questions: the engine is not a chat, so an elicitation (asked in a
/// `tools/call` round, SEP-2322) is declined, never answered for the user.
#[derive(Clone, Default)]
struct EngineClient;

impl ClientHandler for EngineClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(ClientCapabilities::default(), Implementation::new("mcp-auth", env!("CARGO_PKG_VERSION")))
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> std::result::Result<ElicitResult, ErrorData> {
        Ok(ElicitResult::new(ElicitationAction::Decline))
    }
}

/// A connection to one MCP server, of either era.
pub struct McpSession {
    url: String,
    http: HttpClient,
    refused: Refusals,
    service: RunningService<RoleClient, EngineClient>,
    pub server_name: Option<String>,
    pub protocol_version: String,
}

impl McpSession {
    /// `server/discover`, or `initialize` + `notifications/initialized` with a
    /// 2025 server.
    /// `dpop`: the key `token` is bound to (RFC 9449), if it is.
    pub async fn connect(http: &HttpClient, url: &str, token: Option<&Secret>, dpop: Option<&Secret>) -> Result<Self> {
        let mut config = StreamableHttpClientTransportConfig::with_uri(url);
        config.allow_stateless = true;
        let refused = Refusals::default();
        let transport = StreamableHttpClientTransport::with_client(BearerHttp::new(http, token, dpop, &refused), config);
        let lifecycle = rmcp::service::ClientLifecycleMode::Auto {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            legacy_version: Some(ProtocolVersion::V_2025_11_25),
        };
        let service = EngineClient.serve_with_lifecycle(transport, lifecycle).await.map_err(|e| failure(url, http, &refused, &e))?;
        let info = service.peer_info();
        let server_name = info.as_ref().and_then(|i| i.server_info.as_ref()).map(|s| s.name.clone());
        let protocol_version = info.as_ref().map(|i| i.protocol_version.to_string()).unwrap_or_else(|| PROTOCOL_VERSION.into());
        Ok(McpSession { url: url.to_string(), http: http.clone(), refused, service, server_name, protocol_version })
    }

    /// Every tool, over at most [`MAX_TOOL_PAGES`] pages. A tool whose
    /// `x-mcp-header` annotations are invalid is left out by rmcp (SEP-2243):
    /// it could not be called correctly.
    pub async fn list_tools(&mut self) -> Result<Vec<Tool>> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_TOOL_PAGES {
            let params = PaginatedRequestParams::default().with_cursor(cursor.take());
            let page = self.service.list_tools(Some(params)).await.map_err(|e| self.failure(&e))?;
            tools.extend(page.tools.into_iter().map(|t| Tool {
                name: t.name.to_string(),
                description: t.description.as_ref().map(|d| d.to_string()),
                input_schema: Value::Object((*t.input_schema).clone()),
                definition: t,
            }));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        Ok(tools)
    }

    /// `tools/call`; the server's result as JSON (a tool's own error is a
    /// result with `isError`, not an `Err`). Rounds that ask for input
    /// (SEP-2322) are driven by rmcp, at most its round cap.
    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> Result<Value> {
        let mut params = CallToolRequestParams::new(name.to_string());
        match arguments {
            Value::Object(map) => params = params.with_arguments(map),
            Value::Null => {}
            _ => return Err(Error::InvalidInput("the tool's arguments must be a JSON object".into())),
        }
        let result = self.service.call_tool(params).await.map_err(|e| self.failure(&e))?;
        serde_json::to_value(result).map_err(|e| Error::Mcp { url: self.url.clone(), message: e.to_string() })
    }

    fn failure(&self, e: &ServiceError) -> Error {
        failure(&self.url, &self.http, &self.refused, e)
    }

    /// End the session (a 2025 server's session is deleted).
    pub async fn close(self) {
        let _ = self.service.cancel().await;
    }
}

/// The engine's error for an rmcp failure: the token refused (with its
/// challenge), a request the engine refused to send, a network failure as
/// the engine's client names it, or the server's own error in its words.
fn failure(url: &str, http: &HttpClient, refused: &Refusals, e: &(dyn StdError + 'static)) -> Error {
    if let Some(ours) = refused.take() {
        return ours;
    }
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(auth) = s.downcast_ref::<AuthRequiredError>() {
            return unauthorized(url, 401, Some(&auth.www_authenticate_header));
        }
        if let Some(scope) = s.downcast_ref::<InsufficientScopeError>() {
            return unauthorized(url, 403, Some(&scope.www_authenticate_header));
        }
        if let Some(transport) = s.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
            match transport {
                StreamableHttpError::ResponseBodyTooLarge { .. } => {
                    return Error::BodyTooLarge { url: url.to_string(), limit: http.limits().max_body }
                }
                // rmcp's text for a 401/403 that came without a challenge.
                StreamableHttpError::UnexpectedServerResponse(text) if text.starts_with("HTTP 401") => return unauthorized(url, 401, None),
                StreamableHttpError::UnexpectedServerResponse(text) if text.starts_with("HTTP 403") => return unauthorized(url, 403, None),
                _ => {}
            }
        }
        if let Some(ServiceError::McpError(data)) = s.downcast_ref::<ServiceError>() {
            return Error::Mcp { url: url.to_string(), message: data.message.chars().take(500).collect() };
        }
        match s.downcast_ref::<ClientInitializeError>() {
            Some(ClientInitializeError::JsonRpcError(data)) => {
                return Error::Mcp { url: url.to_string(), message: data.message.chars().take(500).collect() }
            }
            // Not a `source` in rmcp's error: followed by hand.
            Some(ClientInitializeError::TransportError { error, .. }) => {
                source = Some(error.error.as_ref());
                continue;
            }
            _ => {}
        }
        source = s.source();
    }
    Error::Mcp { url: url.to_string(), message: e.to_string().chars().take(500).collect() }
}

fn unauthorized(url: &str, status: u16, header: Option<&str>) -> Error {
    let headers: Vec<String> = header.map(|h| h.chars().take(crate::oauth::challenge::MAX_HEADER_LEN).collect()).into_iter().collect();
    Error::Unauthorized { url: url.to_string(), status, challenge: BearerChallenge::from_headers(&headers) }
}
