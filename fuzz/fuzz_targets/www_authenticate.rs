//! The `WWW-Authenticate` parser: never panics, stays bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_auth::parsers::{parse_challenges as parse, MAX_CHALLENGES, MAX_PARAMS};
use mcp_auth::BearerChallenge;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let all = parse(&text);
    assert!(all.len() <= MAX_CHALLENGES);
    assert!(all.iter().all(|c| c.params.len() <= MAX_PARAMS));
    let _ = BearerChallenge::from_headers(&[text.as_ref(), text.as_ref()]);
});
