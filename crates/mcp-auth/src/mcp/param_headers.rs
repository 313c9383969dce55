//! `Mcp-Param-*` headers for the bridge (SEP-2243): a 2026-07-28 tool can
//! mark arguments (`x-mcp-header` on a property of its input schema) that a
//! client copies into headers of each `tools/call`, so the server's gateways
//! can route without reading the body. An app on stdio cannot add HTTP
//! headers, so the bridge does it: it learns the marks from the `tools/list`
//! answers it relays, and adds the headers to the calls, changing nothing in
//! either message.
//!
//! A tool whose marks break SEP-2243's rules (empty, not a header token, the
//! same name twice in any case, on a value that is not a string, number or
//! boolean) gets no headers: the server decides what to do with its calls.

use std::collections::HashMap;

use serde_json::Value;

use crate::mcp::revision::{header_value, own_revision, STATELESS};

/// Tools with more marks than this are treated as invalid (a cap on what a
/// server can make the bridge send).
const MAX_MARKS: usize = 32;

/// What the bridge learned from `tools/list` answers.
#[derive(Default)]
pub struct ParamHeaders {
    /// Tool name → (argument, header name) pairs.
    by_tool: HashMap<String, Vec<(String, String)>>,
}

impl ParamHeaders {
    /// Learn the marks of every tool in a `tools/list` answer.
    pub fn learn(&mut self, answer: &Value) {
        let tools = answer.pointer("/result/tools").and_then(Value::as_array);
        for tool in tools.into_iter().flatten().take(10_000) {
            let Some(name) = tool.get("name").and_then(Value::as_str) else { continue };
            match marks(tool.get("inputSchema")) {
                Some(marks) if !marks.is_empty() => {
                    self.by_tool.insert(name.to_string(), marks);
                }
                _ => {
                    self.by_tool.remove(name);
                }
            }
        }
    }

    /// The `Mcp-Param-*` headers of a 2026-07-28 `tools/call`.
    pub fn headers_for(&self, message: &Value) -> Vec<(String, String)> {
        if message.get("method").and_then(Value::as_str) != Some("tools/call") || own_revision(message).is_none_or(|r| r < STATELESS) {
            return Vec::new();
        }
        let Some(tool) = message.pointer("/params/name").and_then(Value::as_str) else { return Vec::new() };
        let arguments = message.pointer("/params/arguments");
        let Some(marks) = self.by_tool.get(tool) else { return Vec::new() };
        marks
            .iter()
            .filter_map(|(argument, header)| {
                let text = match arguments?.get(argument)? {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((format!("mcp-param-{}", header.to_ascii_lowercase()), header_value(&text)))
            })
            .collect()
    }
}

/// A tool's marks, or `None` when they break SEP-2243's rules.
fn marks(schema: Option<&Value>) -> Option<Vec<(String, String)>> {
    let properties = schema?.get("properties").and_then(Value::as_object);
    let mut found: Vec<(String, String)> = Vec::new();
    for (argument, property) in properties.into_iter().flatten() {
        let Some(mark) = property.get("x-mcp-header") else { continue };
        let header = mark.as_str()?;
        let is_token = !header.is_empty() && header.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let primitive = matches!(property.get("type").and_then(Value::as_str), Some("string" | "number" | "integer" | "boolean"));
        if !is_token || !primitive || found.iter().any(|(_, h)| h.eq_ignore_ascii_case(header)) || found.len() >= MAX_MARKS {
            return None;
        }
        found.push((argument.clone(), header.to_string()));
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list() -> Value {
        json!({"result": {"tools": [
            {"name": "route", "inputSchema": {"type": "object", "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "count": {"type": "integer", "x-mcp-header": "Count"},
                "note": {"type": "string"}}}},
            {"name": "twice", "inputSchema": {"properties": {
                "a": {"type": "string", "x-mcp-header": "Same"}, "b": {"type": "string", "x-mcp-header": "same"}}}},
            {"name": "object", "inputSchema": {"properties": {"o": {"type": "object", "x-mcp-header": "O"}}}}
        ]}})
    }

    fn call(tool: &str, arguments: Value, revision: &str) -> Value {
        json!({"method": "tools/call", "params": {"name": tool, "arguments": arguments,
            "_meta": {"io.modelcontextprotocol/protocolVersion": revision}}})
    }

    #[test]
    fn marked_arguments_become_headers_of_stateless_calls_only() {
        let mut learned = ParamHeaders::default();
        learned.learn(&list());
        let mut headers = learned.headers_for(&call("route", json!({"region": " eu ", "count": 3, "note": "x"}), "2026-07-28"));
        headers.sort();
        assert_eq!(headers, vec![("mcp-param-count".into(), "3".into()), ("mcp-param-region".into(), "=?base64?IGV1IA==?=".into())]);
        assert!(learned.headers_for(&call("route", json!({"region": "eu"}), "2025-11-25")).is_empty());
        // A null (or absent) argument: no header.
        assert!(learned.headers_for(&call("route", json!({"region": null}), "2026-07-28")).is_empty());
    }

    #[test]
    fn tools_breaking_the_rules_get_no_headers() {
        let mut learned = ParamHeaders::default();
        learned.learn(&list());
        assert!(learned.headers_for(&call("twice", json!({"a": "1", "b": "2"}), "2026-07-28")).is_empty());
        assert!(learned.headers_for(&call("object", json!({"o": "1"}), "2026-07-28")).is_empty());
    }
}
