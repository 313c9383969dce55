//! Tests through the real `mcp-auth` binary, one binary of tests with a
//! fixture server per test (the engine's fixture, shared by path). Test names
//! carry the hostile-case row they cover (`row27_…`).

#[allow(dead_code)] // each test binary uses part of the fixture
#[path = "../../../mcp-auth/tests/it/fixture.rs"]
mod fixture;

mod apps;
mod bridge;
mod browser;
mod doctor;
mod grants;
mod import;
mod keychain;
mod proxy;
mod races;
mod reach;
mod store;
mod support;
