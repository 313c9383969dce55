//! Just enough of MCP's Streamable HTTP transport to verify a sign-in and use it:
//! `initialize`, `notifications/initialized`, `tools/list`, `tools/call`.
//!
//! Replies may be `application/json` or a `text/event-stream` that stays open
//! after the answer, so SSE is parsed incrementally and reading stops at the
//! response whose id matches. The `Mcp-Session-Id` header is kept and sent back.
//! A 401/403 becomes [`Error::Unauthorized`] with the parsed challenge, which is
//! what drives re-authorization and step-up. The token goes only in the
//! `Authorization` header, only to the URL the grant was made for.

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use crate::oauth::challenge::BearerChallenge;
use crate::error::{Error, Result};
use crate::net::http::{www_authenticate, Body, HttpClient};
use crate::vault::secret::Secret;

pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// A tool as listed by the server (server-supplied text: show it as text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
}

pub(crate) fn initialize_request(id: u64) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "mcp-auth", "version": env!("CARGO_PKG_VERSION")}
        }
    })
}

/// An initialized MCP session over Streamable HTTP.
pub struct McpSession {
    http: HttpClient,
    url: String,
    token: Option<Secret>,
    session_id: Option<String>,
    protocol_version: Option<String>,
    next_id: u64,
    pub server_name: Option<String>,
}

impl McpSession {
    /// `initialize` + `notifications/initialized`.
    pub async fn connect(http: &HttpClient, url: &str, token: Option<&Secret>) -> Result<Self> {
        let mut session = McpSession {
            http: http.clone(),
            url: url.to_string(),
            token: token.cloned(),
            session_id: None,
            protocol_version: None,
            next_id: 1,
            server_name: None,
        };
        let result = session.request_value(initialize_request(0)).await?;
        session.protocol_version = result
            .get("protocolVersion")
            .and_then(Value::as_str)
            .map(str::to_owned);
        session.server_name = result
            .pointer("/serverInfo/name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        session
            .notify(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(session)
    }

    pub async fn list_tools(&mut self) -> Result<Vec<Tool>> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        // Bounded pagination: a server cannot keep us here forever.
        for _ in 0..50 {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let result = self.call("tools/list", params).await?;
            for t in result.get("tools").and_then(Value::as_array).into_iter().flatten() {
                if let Some(name) = t.get("name").and_then(Value::as_str) {
                    tools.push(Tool {
                        name: name.to_string(),
                        description: t.get("description").and_then(Value::as_str).map(str::to_owned),
                    });
                }
            }
            cursor = result.get("nextCursor").and_then(Value::as_str).map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(tools)
    }

    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> Result<Value> {
        self.call("tools/call", json!({"name": name, "arguments": arguments})).await
    }

    async fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.request_value(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![("accept", "application/json, text/event-stream".to_string())];
        if let Some(t) = &self.token {
            h.push(("authorization", format!("Bearer {}", t.expose())));
        }
        if let Some(s) = &self.session_id {
            h.push(("mcp-session-id", s.clone()));
        }
        if let Some(v) = &self.protocol_version {
            h.push(("mcp-protocol-version", v.clone()));
        }
        h
    }

    async fn notify(&mut self, message: Value) -> Result<()> {
        let headers = self.headers();
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = self
            .http
            .start(Method::POST, &self.url, &borrowed, Body::Json(&message))
            .await?;
        self.check_status(&response)?;
        Ok(())
    }

    async fn request_value(&mut self, message: Value) -> Result<Value> {
        let id = message.get("id").cloned().unwrap_or(Value::Null);
        let headers = self.headers();
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut response = self
            .http
            .start(Method::POST, &self.url, &borrowed, Body::Json(&message))
            .await?;
        self.check_status(&response)?;
        if let Some(sid) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            self.session_id = Some(sid.to_string());
        }
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"));
        let reply = if is_sse {
            self.read_sse_reply(&mut response, &id).await?
        } else {
            let fetched = self.http.read(response).await?;
            fetched.json::<Value>()?
        };
        self.result_of(reply)
    }

    fn check_status(&self, response: &reqwest::Response) -> Result<()> {
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(Error::Unauthorized {
                url: self.url.clone(),
                status,
                challenge: BearerChallenge::from_headers(&www_authenticate(response.headers())),
            });
        }
        if !response.status().is_success() {
            return Err(Error::HttpStatus {
                url: self.url.clone(),
                status,
                content_type: None,
            });
        }
        Ok(())
    }

    async fn read_sse_reply(&self, response: &mut reqwest::Response, id: &Value) -> Result<Value> {
        let limit = self.http.limits().max_body;
        let mut buffer: Vec<u8> = Vec::new();
        let mut seen = 0usize;
        let mut parser = SseParser::default();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.http.map_error(&self.url, e))?
        {
            seen += chunk.len();
            if seen > limit {
                return Err(Error::BodyTooLarge { url: self.url.clone(), limit });
            }
            buffer.extend_from_slice(&chunk);
            for data in parser.feed(&mut buffer) {
                if let Ok(v) = serde_json::from_str::<Value>(&data) {
                    if v.get("id") == Some(id) && (v.get("result").is_some() || v.get("error").is_some()) {
                        return Ok(v);
                    }
                }
            }
        }
        Err(Error::Mcp {
            url: self.url.clone(),
            message: "the event stream ended without an answer".into(),
        })
    }

    fn result_of(&self, reply: Value) -> Result<Value> {
        if let Some(err) = reply.get("error") {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error")
                .chars()
                .take(500)
                .collect();
            return Err(Error::Mcp { url: self.url.clone(), message });
        }
        reply.get("result").cloned().ok_or_else(|| Error::Mcp {
            url: self.url.clone(),
            message: "the answer has no result".into(),
        })
    }
}

/// Incremental `text/event-stream` parser: yields each event's joined `data:`
/// lines, and remembers the last event id (for `Last-Event-ID` on resumption).
#[derive(Default)]
pub struct SseParser {
    data: Vec<String>,
    pending: usize,
    last_event_id: Option<String>,
    /// The `event:` name of the event being read.
    name: Option<String>,
}

/// One event: its `event:` name, if it has one, and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub name: Option<String>,
    pub data: String,
}

impl SseParser {
    /// Consume complete lines from `buffer`, leaving a partial line in it.
    pub fn feed(&mut self, buffer: &mut Vec<u8>) -> Vec<String> {
        self.feed_events(buffer).into_iter().map(|e| e.data).collect()
    }

    /// Like [`feed`](Self::feed), with each event's name.
    pub fn feed_events(&mut self, buffer: &mut Vec<u8>) -> Vec<SseEvent> {
        let mut events = Vec::new();
        while let Some(pos) = buffer.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = buffer.drain(..=pos).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(SseEvent { name: self.name.take(), data: self.data.join("\n") });
                    self.data.clear();
                    self.pending = 0;
                }
                self.name = None;
            } else if let Some(rest) = line.strip_prefix("data:") {
                let data = rest.strip_prefix(' ').unwrap_or(rest);
                self.pending += data.len();
                self.data.push(data.to_string());
            } else if let Some(rest) = line.strip_prefix("event:") {
                self.name = Some(rest.strip_prefix(' ').unwrap_or(rest).chars().take(64).collect());
            } else if let Some(rest) = line.strip_prefix("id:") {
                let id = rest.strip_prefix(' ').unwrap_or(rest);
                // An id with NUL is ignored (the SSE standard).
                if !id.contains('\0') {
                    self.last_event_id = Some(id.chars().take(1024).collect());
                }
            }
        }
        events
    }

    /// Bytes of the event being read, not yet complete: a cap on one event.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The id of the last event seen, if the server numbers them.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks() {
        let mut p = SseParser::default();
        let mut buf = b"event: message\r\ndata: {\"a\":".to_vec();
        assert!(p.feed(&mut buf).is_empty());
        buf.extend_from_slice(b"1}\r\n\r\ndata: x\ndata: y\n\n");
        assert_eq!(p.feed(&mut buf), vec!["{\"a\":1}".to_string(), "x\ny".to_string()]);
        let mut buf = b"id: 7\ndata: {}\n\n".to_vec();
        p.feed(&mut buf);
        assert_eq!(p.last_event_id(), Some("7"));
        let mut buf = b"data: abc\n".to_vec();
        p.feed(&mut buf);
        assert_eq!(p.pending(), 3);
        let mut buf = b"\nevent: endpoint\ndata: /messages?sessionId=1\n\ndata: {}\n\n".to_vec();
        let events = p.feed_events(&mut buf);
        assert_eq!(events[1], SseEvent { name: Some("endpoint".into()), data: "/messages?sessionId=1".into() });
        assert_eq!(events[2].name, None, "a name belongs to one event");
    }
}
