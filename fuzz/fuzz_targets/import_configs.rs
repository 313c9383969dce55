//! Other MCP clients' config files (JSON, and VS Code's JSONC): never panics;
//! only http(s) URLs come out.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_auth::parsers::{parse_import_config as parse, strip_jsonc};
use mcp_auth::SourceClient;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = strip_jsonc(&text);
    for client in SourceClient::ALL {
        if let Ok(found) = parse(client, std::path::Path::new("config.json"), &text) {
            for f in found {
                assert!(f.url.starts_with("http://") || f.url.starts_with("https://"), "{}", f.url);
            }
        }
    }
});
