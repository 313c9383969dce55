//! What the bridge must know of protocol revisions to relay a message
//! unchanged: the HTTP headers a 2026-07-28 message travels with, and the
//! answer to an `initialize` when the app and the server share no revision.
//! (Discovery's probe asks a server of that revision with the same request.)
//!
//! On stdio a message carries its revision only inside it (`_meta`); over
//! HTTP a 2026-07-28 server reads it from headers as well (SEP-2575,
//! SEP-2243), and servers that speak both eras route on the
//! `MCP-Protocol-Version` header. So the bridge copies what the message says
//! into the headers, and changes nothing in the message.

use base64::Engine;
use serde_json::{json, Value};

/// The first revision whose requests carry their own version and headers.
pub const STATELESS: &str = "2026-07-28";

/// The `_meta` key a 2026-07-28 request names its revision with.
const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";

/// The revision a message names for itself, if it does.
pub fn own_revision(message: &Value) -> Option<&str> {
    message.pointer("/params/_meta")?.get(VERSION_KEY)?.as_str()
}

/// Revisions are dates; a later one sorts after an earlier one.
fn is_stateless(revision: &str) -> bool {
    revision >= STATELESS
}

/// The headers `message` travels with: `MCP-Protocol-Version` when it names
/// its revision, and from 2026-07-28 on `Mcp-Method` and, for the methods
/// that name a target, `Mcp-Name` (SEP-2243). Values that are not plain
/// visible ASCII are sent Base64-wrapped, as SEP-2243 says.
pub fn message_headers(message: &Value) -> Vec<(String, String)> {
    let Some(revision) = own_revision(message) else { return Vec::new() };
    let mut headers = vec![("mcp-protocol-version".to_string(), revision.to_string())];
    if !is_stateless(revision) {
        return headers;
    }
    let Some(method) = message.get("method").and_then(Value::as_str) else { return headers };
    headers.push(("mcp-method".to_string(), header_value(method)));
    let key = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return headers,
    };
    if let Some(name) = message.pointer(&format!("/params/{key}")).and_then(Value::as_str) {
        headers.push(("mcp-name".to_string(), header_value(name)));
    }
    headers
}

/// A header value as SEP-2243 writes one: as it is when it is visible ASCII
/// with no space at either end, otherwise `=?base64?…?=`.
pub fn header_value(text: &str) -> String {
    let plain =
        text.bytes().all(|b| (0x20..0x7f).contains(&b)) && !text.starts_with(' ') && !text.ends_with(' ') && !text.starts_with("=?base64?");
    if plain {
        text.to_string()
    } else {
        format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(text))
    }
}

/// A `server/discover` request, to learn which revisions a server speaks
/// when it refused an `initialize`.
pub fn discover_request() -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": "mcp-auth-bridge-discover",
        "method": "server/discover",
        "params": {"_meta": {
            VERSION_KEY: STATELESS,
            "io.modelcontextprotocol/clientInfo": {"name": "mcp-auth", "version": env!("CARGO_PKG_VERSION")},
            "io.modelcontextprotocol/clientCapabilities": {}
        }}
    })
}

/// The revisions a server says it speaks: a `server/discover` result's
/// `supportedVersions`, or an unsupported-version error's `data.supported`.
pub fn supported_by(reply: &Value) -> Vec<String> {
    let list = reply.pointer("/result/supportedVersions").or_else(|| reply.pointer("/error/data/supported")).and_then(Value::as_array);
    list.into_iter().flatten().filter_map(Value::as_str).take(16).map(|v| v.chars().take(32).collect()).collect()
}

/// The error the app gets for its `initialize` when the server speaks none of
/// the revisions the app does: it names both sides, in the JSON-RPC shape of
/// an unsupported protocol version (`data.supported`, `data.requested`).
pub fn no_shared_revision(id: Value, server: &str, requested: &str, supported: &[String]) -> String {
    let message = format!(
        "{server} speaks MCP {} and this app asked for {requested}: they share no protocol revision. \
         The bridge does not translate between revisions; update the app, or ask the server's operator \
         for a revision the app speaks.",
        supported.join(", ")
    );
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": -32602, "message": message, "data": {"supported": supported, "requested": requested}}
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stateless_message_carries_its_revision_method_and_name_in_headers() {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "récap", "_meta": {VERSION_KEY: "2026-07-28"}}});
        let headers = message_headers(&call);
        assert_eq!(headers[0], ("mcp-protocol-version".into(), "2026-07-28".into()));
        assert_eq!(headers[1], ("mcp-method".into(), "tools/call".into()));
        assert_eq!(headers[2], ("mcp-name".into(), "=?base64?csOpY2Fw?=".into()));
        let read = json!({"method": "resources/read", "params": {"uri": "file:///a b", "_meta": {VERSION_KEY: "2026-07-28"}}});
        assert_eq!(message_headers(&read)[2], ("mcp-name".into(), "file:///a b".into()));
        // A 2025 message: the version only (when it names one), no new headers.
        let old = json!({"method": "tools/list", "params": {"_meta": {VERSION_KEY: "2025-11-25"}}});
        assert_eq!(message_headers(&old), vec![("mcp-protocol-version".into(), "2025-11-25".into())]);
        assert!(message_headers(&json!({"method": "tools/list"})).is_empty());
    }

    #[test]
    fn the_refusal_names_both_revisions() {
        let supported = supported_by(&json!({"error": {"code": -32022, "data": {"supported": ["2026-07-28"]}}}));
        assert_eq!(supported, vec!["2026-07-28"]);
        let reply: Value = serde_json::from_str(&no_shared_revision(json!(0), "notes", "2025-06-18", &supported)).unwrap();
        let text = reply.pointer("/error/message").and_then(Value::as_str).unwrap();
        assert!(text.contains("2026-07-28") && text.contains("2025-06-18"), "{text}");
        assert_eq!(reply.pointer("/error/data/requested"), Some(&json!("2025-06-18")));
        assert_eq!(supported_by(&json!({"result": {"supportedVersions": ["2026-07-28", "2027-01-01"]}})).len(), 2);
    }
}
