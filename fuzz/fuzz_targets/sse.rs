//! The incremental event-stream parser, fed in arbitrary pieces.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_auth::parsers::SseParser;

fuzz_target!(|data: &[u8]| {
    let mut parser = SseParser::default();
    let mut buffer = Vec::new();
    let cut = data.first().copied().unwrap_or(1).max(1) as usize;
    for piece in data.chunks(cut) {
        buffer.extend_from_slice(piece);
        let _ = parser.feed(&mut buffer);
        assert!(!buffer.contains(&b'\n'));
    }
});
