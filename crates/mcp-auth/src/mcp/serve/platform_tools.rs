//! `serve`'s own tools, with exactly the inputs the MCP OAuth skill's platform
//! flow names (`connect_to_mcp_server`, `clear_mcp_auth`, `list_mcp_servers`),
//! and the checks of what an agent sends: a wrong argument is a tool error that
//! says which, never a protocol error the model cannot read.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool};
use serde_json::{json, Map, Value};

use crate::vault::secret::Secret;

pub const CONNECT: &str = "connect_to_mcp_server";
pub const CLEAR: &str = "clear_mcp_auth";
pub const LIST: &str = "list_mcp_servers";

fn schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => unreachable!("schemas are objects"),
    }
}

pub fn definitions() -> Vec<Tool> {
    vec![
        Tool::new(
            CONNECT,
            "Connect the user to an MCP server: answers success with its tools, or what the user must do first (requires_auth: give them authUrl to open and sign in, then call this again; requires_oauth_config: ask the user for a client id registered with the server's sign-in service). The sign-in is kept in the user's keychain by MCP Auth Manager; no token is ever returned.",
            schema(json!({
                "type": "object",
                "properties": {
                    "serverName": {"type": "string", "description": "A server of the user's list (by name), or its URL"},
                    "clientId": {"type": "string", "description": "The OAuth client id to use, when the server's sign-in service needs one entered"},
                    "redirectUri": {"type": "string", "description": "The redirect URI registered for that client id"},
                    "scope": {"type": "string", "description": "The scopes to request, space-separated; an empty string requests none"},
                    "clientSecret": {"type": "string", "description": "The client secret, for a confidential client. Better entered by the user in MCP Auth Manager: a secret typed into a chat reaches the model's provider."}
                },
                "required": ["serverName"],
                "additionalProperties": false
            })),
        ),
        Tool::new(
            CLEAR,
            "Sign the user out of one MCP server: its tokens (revoked at the server when it can), client secret, registration and stored settings are removed. Says what was cleared.",
            schema(json!({
                "type": "object",
                "properties": {"serverName": {"type": "string", "description": "A server of the user's list, by name or URL"}},
                "required": ["serverName"],
                "additionalProperties": false
            })),
        ),
        Tool::new(
            LIST,
            "The user's MCP servers: each one's name, URL and sign-in state (needs_sign_in, signed_in, expires_soon, expired). Never a token.",
            schema(json!({"type": "object", "properties": {}, "additionalProperties": false})),
        ),
    ]
}

/// What `connect_to_mcp_server` was given.
pub struct ConnectArgs {
    pub server_name: String,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// `Some("")`: request no scope.
    pub scope: Option<String>,
    pub client_secret: Option<Secret>,
}

/// A call to one of the platform's tools, its arguments checked.
pub enum PlatformCall {
    Connect(ConnectArgs),
    Clear { server_name: String },
    List,
}

fn string(args: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn server_name(args: &Map<String, Value>) -> Result<String, String> {
    match string(args, "serverName")? {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err("serverName is empty: give a server's name from list_mcp_servers, or its URL".into()),
        None => Err("serverName is missing: give a server's name from list_mcp_servers, or its URL".into()),
    }
}

fn only(args: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    match args.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown argument {k:?} (this tool takes: {})", known.join(", "))),
        None => Ok(()),
    }
}

/// Read a call to a platform tool; `None` when `name` is not one of them.
pub fn parse(name: &str, arguments: Option<&Map<String, Value>>) -> Option<Result<PlatformCall, String>> {
    let empty = Map::new();
    let args = arguments.unwrap_or(&empty);
    Some(match name {
        CONNECT => (|| {
            only(args, &["serverName", "clientId", "redirectUri", "scope", "clientSecret"])?;
            let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            Ok(PlatformCall::Connect(ConnectArgs {
                server_name: server_name(args)?,
                client_id: clean(string(args, "clientId")?),
                redirect_uri: clean(string(args, "redirectUri")?),
                scope: string(args, "scope")?.map(|s| s.trim().to_string()),
                client_secret: string(args, "clientSecret")?.filter(|s| !s.is_empty()).map(Secret::new),
            }))
        })(),
        CLEAR => only(args, &["serverName"]).and_then(|()| Ok(PlatformCall::Clear { server_name: server_name(args)? })),
        LIST => only(args, &[]).map(|()| PlatformCall::List),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Value) -> Result<PlatformCall, String> {
        parse(name, args.as_object()).expect("a platform tool")
    }

    #[test]
    fn arguments_are_checked_by_name_and_type() {
        assert!(parse("crm__search", None).is_none());
        assert!(matches!(call(LIST, json!({})), Ok(PlatformCall::List)));
        let err = |r: Result<PlatformCall, String>| r.err().expect("refused");
        assert!(err(call(CONNECT, json!({}))).contains("serverName is missing"));
        assert!(err(call(CONNECT, json!({"serverName": 3}))).contains("must be a string"));
        assert!(err(call(CONNECT, json!({"serverName": "  "}))).contains("empty"));
        assert!(err(call(CONNECT, json!({"serverName": "a", "client_id": "x"}))).contains("unknown argument \"client_id\""));
        assert!(err(call(CLEAR, json!({"serverName": ["a"]}))).contains("must be a string"));
        let Ok(PlatformCall::Connect(c)) = call(CONNECT, json!({"serverName": " crm ", "scope": "", "clientSecret": "s3"})) else {
            panic!("accepted")
        };
        assert_eq!((c.server_name.as_str(), c.scope.as_deref()), ("crm", Some("")));
        assert_eq!(c.client_secret.map(|s| s.expose().to_string()).as_deref(), Some("s3"));
    }

    #[test]
    fn the_tools_have_the_skills_names_and_valid_names() {
        let names: Vec<String> = definitions().iter().map(|t| t.name.to_string()).collect();
        assert_eq!(names, [CONNECT, CLEAR, LIST]);
        assert!(names.iter().all(|n| super::super::names::is_valid(n)));
    }
}
