//! `mcp-auth serve`: the sign-in platform as an MCP server that AI agents use.
//!
//! An agent in any MCP client says "connect me to the CRM", and this server
//! walks the user through the sign-in the way the MCP OAuth skill's platform
//! flow describes: `connect_to_mcp_server` answers one of the four states of
//! `mcp-auth connect` (success, requires_oauth_config, requires_auth, error),
//! `clear_mcp_auth` signs out, `list_mcp_servers` lists. The sign-in itself is
//! [`SignInFlow`], the sequence every face drives: after `requires_auth` the
//! flow keeps its loopback listener waiting here, in the serve process, and
//! the next call answers `success` once the browser came back.
//!
//! The tools of every signed-in server are offered through the same
//! connection as `<server>__<tool>` (see [`names`]), with their descriptions,
//! schemas and results unchanged; a call goes through the vault like the
//! bridge's requests (refresh ahead of expiry, one sign-in at a time). A call
//! that would need a new sign-in is answered with what to do instead of a
//! browser opening from a tool call.
//!
//! MCP itself is `rmcp`'s server over stdio. Nothing a tool answers carries a
//! secret: a `clientSecret` goes into the keychain and is never echoed.

mod asking;
mod connecting;
pub mod names;
mod platform_tools;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult, PaginatedRequestParams,
    ResultType, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::{Error, Result};
use crate::mcp::connect::Operation;
use crate::mcp::signin_flow::SignInFlow;
use crate::net::app_socket::AppSocket;
use crate::net::browser::{BrowserUrl, OpenFuture, Opener};
use crate::net::http::HttpClient;
use crate::net::loopback::cancel_pair;
use crate::oauth::grant::Clock;
use crate::vault::store::Store;
use crate::vault::stored_session::Overrides;
use crate::vault::Vault;

use connecting::SignIns;
use platform_tools::PlatformCall;

/// How long one server may take to list its tools for the catalog.
const LIST_WAIT: Duration = Duration::from_secs(15);

/// The signed-in servers' tools, under their exposed names.
#[derive(Default)]
struct Catalog {
    tools: Vec<Tool>,
    /// Exposed name → (server, the server's own tool name).
    routes: HashMap<String, (String, String)>,
}

/// The MCP server `serve` runs.
pub struct Platform<V: Vault + 'static> {
    store: Arc<Store<V>>,
    http: HttpClient,
    clock: Arc<dyn Clock>,
    /// What happens to an authorization URL besides going to the agent
    /// (printed to stderr, or opened).
    opener: Arc<dyn Opener>,
    sign_ins: SignIns,
    sign_in_timeout: Option<Duration>,
    /// The running app, which asks the person what an agent may not decide.
    app: AppSocket,
    catalog: tokio::sync::Mutex<Option<Catalog>>,
    /// The client, for `notifications/tools/list_changed` from work that ends
    /// after the call that started it.
    peer: Mutex<Option<Peer<RoleServer>>>,
}

/// An opener for work that must not start a sign-in (a proxied call, a check
/// of a held grant): it refuses, and remembers that a sign-in was needed.
#[derive(Default)]
struct NoSignInHere(std::sync::atomic::AtomicBool);

impl NoSignInHere {
    fn asked(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Opener for NoSignInHere {
    fn open<'a>(&'a self, _url: &'a BrowserUrl) -> OpenFuture<'a> {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async { Err(Error::Browser { reason: "a new sign-in is needed".into() }) })
    }
}

fn text_error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

impl<V: Vault + 'static> Platform<V> {
    pub fn new(store: Arc<Store<V>>, http: HttpClient, clock: Arc<dyn Clock>, opener: Arc<dyn Opener>) -> Self {
        Platform {
            app: AppSocket::for_config_dir(store.dir()),
            store,
            http,
            clock,
            opener,
            sign_ins: SignIns::default(),
            sign_in_timeout: None,
            catalog: tokio::sync::Mutex::new(None),
            peer: Mutex::new(None),
        }
    }

    /// How long a sign-in waits for the browser to come back.
    pub fn with_sign_in_timeout(mut self, timeout: Duration) -> Self {
        self.sign_in_timeout = Some(timeout);
        self
    }

    fn flow(&self, server: &str, given: Overrides) -> Result<SignInFlow<V>> {
        let mut flow = SignInFlow::open(&self.store, server, given, false, self.http.clone(), self.clock.clone())?;
        if let Some(t) = self.sign_in_timeout {
            flow.set_sign_in_timeout(t);
        }
        Ok(flow)
    }

    /// Who acts, in the activity log's words: the agent's client, through serve.
    fn agent(&self) -> String {
        let peer = self.peer.lock().unwrap().clone();
        let client = peer.and_then(|p| p.peer_info().map(|i| i.client_info.name.clone())).filter(|n| !n.is_empty());
        format!("{}, through mcp-auth serve", client.unwrap_or_else(|| "an AI agent".into()))
    }

    /// Note what an agent did with a server's sign-in; a log that cannot be
    /// written does not stop the work (it says so on stderr).
    fn record(&self, server: &str, what: &str, detail: Option<String>) {
        if let Err(e) = self.store.record_activity(server, what, &self.agent(), detail, self.clock.as_ref()) {
            eprintln!("mcp-auth serve: could not record activity: {e}");
        }
    }

    /// The tool list changed (a server connected or was cleared): list again,
    /// and tell the client.
    async fn tools_changed(&self) {
        *self.catalog.lock().await = None;
        let peer = self.peer.lock().unwrap().clone();
        if let Some(peer) = peer {
            let _ = peer.notify_tool_list_changed().await;
        }
    }

    async fn catalog(&self) -> tokio::sync::MappedMutexGuard<'_, Catalog> {
        let mut held = self.catalog.lock().await;
        if held.is_none() {
            *held = Some(self.list_signed_in().await);
        }
        tokio::sync::MutexGuard::map(held, |c| c.as_mut().expect("just filled"))
    }

    /// Every signed-in server's tools, each server asked at once and for at
    /// most [`LIST_WAIT`]; one that fails is left out of this listing.
    async fn list_signed_in(&self) -> Catalog {
        let servers = match self.store.list() {
            Ok((list, _)) => list.servers.into_iter().filter(|s| s.grant.is_some()).collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        let listings = futures::future::join_all(servers.iter().map(|s| async move {
            let mut flow = self.flow(&s.name, Overrides::default()).ok()?;
            let (_, cancel) = cancel_pair();
            let refusing = NoSignInHere::default();
            let listed = tokio::time::timeout(LIST_WAIT, flow.perform(&Operation::ListTools, &refusing, cancel)).await;
            Some((s.name.clone(), listed.ok()?.ok()?.listed))
        }))
        .await;
        let mut catalog = Catalog::default();
        let mut taken: HashSet<String> = platform_tools::definitions().iter().map(|t| t.name.to_string()).collect();
        for (server, tools) in listings.into_iter().flatten() {
            for tool in tools {
                let exposed = names::exposed(&server, &tool.name, &taken);
                taken.insert(exposed.clone());
                catalog.routes.insert(exposed.clone(), (server.clone(), tool.name.to_string()));
                let mut offered = tool.definition;
                offered.name = exposed.into();
                catalog.tools.push(offered);
            }
        }
        catalog
    }

    /// A call to another server's tool, through the vault.
    async fn proxied(&self, server: &str, tool: &str, arguments: Value) -> CallToolResult {
        let mut flow = match self.flow(server, Overrides::default()) {
            Ok(f) => f,
            Err(e) => return text_error(e.to_string()),
        };
        let (_, cancel) = cancel_pair();
        let refusing = NoSignInHere::default();
        let op = Operation::CallTool { name: tool.to_string(), arguments };
        match flow.perform(&op, &refusing, cancel).await {
            Ok(r) => {
                let raw = r.result.unwrap_or(Value::Null);
                let mut result = serde_json::from_value::<CallToolResult>(raw.clone())
                    .unwrap_or_else(|_| CallToolResult::success(vec![ContentBlock::text(raw.to_string())]));
                // A 2025 server's result has no `resultType`; a 2026-07-28
                // client needs it (rmcp drops it again for a 2025 client).
                result.result_type.get_or_insert(ResultType::COMPLETE);
                result
            }
            Err(_) if refusing.asked() => text_error(format!(
                "{server} needs the user to sign in again: call connect_to_mcp_server with serverName {server:?}, then try again"
            )),
            Err(e) => text_error(format!("{server}: {e}")),
        }
    }

    async fn platform_call(&self, call: PlatformCall) -> CallToolResult {
        match call {
            PlatformCall::List => {
                let now = self.clock.now();
                match self.store.list() {
                    Ok((list, _)) => CallToolResult::structured(json!({
                        "servers": list.servers.iter().map(|s| json!({"name": s.name, "url": s.url, "state": s.state(now)})).collect::<Vec<_>>()
                    })),
                    Err(e) => text_error(e.to_string()),
                }
            }
            PlatformCall::Clear { server_name } => match connecting::clear(self, &server_name).await {
                Ok(answer) => {
                    self.tools_changed().await;
                    CallToolResult::structured(answer)
                }
                Err(message) => text_error(message),
            },
            PlatformCall::Connect(args) => match connecting::connect(self, args).await {
                Ok(answer) => CallToolResult::structured(answer),
                Err(message) => text_error(message),
            },
        }
    }
}

impl<V: Vault + 'static> ServerHandler for Platform<V> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_tool_list_changed().build())
            .with_server_info(Implementation::new("mcp-auth", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "MCP Auth Manager: call connect_to_mcp_server to connect the user to an MCP server (follow what it answers), \
                 list_mcp_servers to see their servers, clear_mcp_auth to sign out. The tools of signed-in servers are \
                 offered here as <server>__<tool>.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, McpError> {
        *self.peer.lock().unwrap() = Some(context.peer.clone());
        let mut tools = platform_tools::definitions();
        tools.extend(self.catalog().await.tools.iter().cloned());
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, McpError> {
        *self.peer.lock().unwrap() = Some(context.peer.clone());
        let name = request.name.to_string();
        if let Some(call) = platform_tools::parse(&name, request.arguments.as_ref()) {
            return Ok(match call {
                Ok(call) => self.platform_call(call).await,
                Err(message) => text_error(format!("{name}: {message}")),
            }
            .into());
        }
        let route = self.catalog().await.routes.get(&name).cloned();
        let Some((server, tool)) = route else {
            return Ok(text_error(format!(
                "unknown tool {name:?}: this server offers connect_to_mcp_server, list_mcp_servers, clear_mcp_auth and the tools of signed-in servers as <server>__<tool> (see tools/list)"
            ))
            .into());
        };
        let arguments = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        Ok(self.proxied(&server, &tool, arguments).await.into())
    }
}

/// Serve `platform` on `input`/`output` (stdin and stdout) until the client
/// goes away.
pub async fn run_serve<V, R, W>(platform: Platform<V>, input: R, output: W) -> Result<()>
where
    V: Vault + 'static,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let running = platform
        .serve((input, output))
        .await
        .map_err(|e| Error::Mcp { url: "stdio".into(), message: format!("the MCP client did not start a session: {e}") })?;
    let _ = running.waiting().await;
    Ok(())
}
