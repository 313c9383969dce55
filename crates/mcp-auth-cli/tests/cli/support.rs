//! Small helpers shared by the tests that run the binary.

use std::path::Path;
use std::process::Output;

/// Config files written the way each MCP app writes them.
pub const IMPORT_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

/// `mcp-auth ARGS` with its config dir in `dir` (and the test's keychain).
pub async fn cli(dir: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth")).args(args).env("MCP_AUTH_CONFIG_DIR", dir).output().await.unwrap()
}

pub fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
