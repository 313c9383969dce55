//! The engine's integration tests: one binary, a fixture server per test.
//! Test names carry the hostile-case row they cover (`row07_…`).

mod fixture;
mod support;

mod discovery;
mod keychain;
mod reach;
mod renewal;
mod secrets;
mod signin;
mod stepup;
mod tokens;
