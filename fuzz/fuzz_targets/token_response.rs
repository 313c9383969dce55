//! Token responses: never panics; whatever is accepted is a Bearer token.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(t) = mcp_auth::parsers::parse_token_json(&v, 1_000_000) {
        assert!(!t.access_token.is_empty());
        assert_eq!(t.token_type, "Bearer");
        assert!(t.expires_at.is_none_or(|e| e >= 1_000_000));
    }
});
