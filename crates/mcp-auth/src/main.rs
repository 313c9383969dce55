//! `mcp-auth`: the command-line face of the engine.
//!
//! `discover`, `check`, `auth-url`, `exchange` and `connect` print one JSON value
//! on stdout and stand in for the portable scripts MCP users know; `login`, `tools`
//! and `call` run the whole flow. Exit status 0 only on success. Secrets are
//! never taken from argv (see `cli::args::refuse_secret_flags`).

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
