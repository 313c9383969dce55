//! The `WWW-Authenticate` parser: never panics, stays bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_auth::challenge::{parse, BearerChallenge, MAX_CHALLENGES, MAX_PARAMS};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let all = parse(&text);
    assert!(all.len() <= MAX_CHALLENGES);
    assert!(all.iter().all(|c| c.params.len() <= MAX_PARAMS));
    let _ = BearerChallenge::from_headers(&[text.as_ref(), text.as_ref()]);
});
