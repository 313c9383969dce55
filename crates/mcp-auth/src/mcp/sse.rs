//! An incremental `text/event-stream` parser for the bridge's raw relay.
//!
//! The engine's own MCP client reads event streams through rmcp; the bridge
//! relays messages as raw JSON values (rmcp's typed messages would drop fields
//! the two ends know and we do not), so it reads the stream itself, byte by
//! byte as it arrives, with the event id kept for `Last-Event-ID`.

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
