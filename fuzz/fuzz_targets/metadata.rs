//! PRM and AS-metadata parsing and validation: never panics; whatever is
//! accepted has an https (or loopback http) issuer and endpoints.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_auth::check_endpoint;
use mcp_auth::parsers::{check_resource, parse_auth_server, parse_protected_resource};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(prm) = parse_protected_resource("https://h.example/.well-known/oauth-protected-resource", &doc) {
        let mcp = url::Url::parse("https://h.example/mcp").unwrap();
        let _ = check_resource("u", &mcp, "https://h.example/mcp", &prm.resource);
    }
    let issuer = doc.get("issuer").and_then(|i| i.as_str()).unwrap_or("https://as.example").to_string();
    for legacy in [false, true] {
        if let Ok(meta) = parse_auth_server("https://as.example/.well-known/oauth-authorization-server", &doc, &issuer, legacy) {
            assert!(check_endpoint(&meta.authorization_endpoint).is_ok());
            assert!(check_endpoint(&meta.token_endpoint).is_ok());
            assert!(meta.from_document);
        }
    }
});
