//! The redirect listener's request parser and callback judge: never panics; a
//! code is accepted only with the flow's own state.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_auth::parsers::{judge, judge_query, Expectation, RequestHead};

fuzz_target!(|data: &[u8]| {
    let expect = Expectation { state: "S".into(), issuer: "https://as.example".into(), iss_required: data.first() == Some(&b'!') };
    if let Some(head) = RequestHead::parse(data) {
        let hosts = vec!["127.0.0.1:5000".to_string()];
        let _ = judge(&head, "/callback", &hosts, &expect);
    }
    let text = String::from_utf8_lossy(data);
    if let (_, Some(Ok(_code))) = judge_query(&text, &expect) {
        let state_ok = url::form_urlencoded::parse(text.as_bytes()).any(|(k, v)| k == "state" && v == "S");
        assert!(state_ok, "a code accepted without the right state: {text:?}");
    }
});
