//! JSON on stdout, and the exit status that goes with it.

use std::io::Write;
use std::process::ExitCode;

use mcp_auth::{Error, Secret};
use serde::Serialize;
use serde_json::json;

/// How a stdio face (`bridge`, `serve`) ends: at once, whatever is still
/// open (a sign-in listener, a stream) once the client has gone away.
pub fn leave(face: &str, result: Result<(), Error>) -> ! {
    if let Err(e) = &result {
        eprintln!("mcp-auth {face}: {e}");
    }
    std::process::exit(if result.is_ok() { 0 } else { 1 })
}

pub fn print_json(value: &impl Serialize) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

pub fn success(value: &impl Serialize) -> ExitCode {
    print_json(value);
    ExitCode::SUCCESS
}

/// The error shape shared by every command: `status`, `error`, `kind`.
pub fn failure(server_name: Option<&str>, e: &Error) -> ExitCode {
    let mut v = json!({"status": "error", "error": e.to_string(), "kind": e.kind()});
    if let Some(name) = server_name {
        v["serverName"] = json!(name);
    }
    print_json(&v);
    ExitCode::from(1)
}

/// The client secret: OAUTH_CLIENT_SECRET, or the first line of stdin.
pub fn client_secret(from_stdin: bool) -> Result<Option<Secret>, Error> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Error::InvalidInput(format!("could not read the client secret from stdin: {e}")))?;
        let secret = Secret::new(line.trim_end_matches(['\r', '\n']));
        line.clear();
        if secret.is_empty() {
            return Err(Error::InvalidInput("standard input had no client secret".into()));
        }
        return Ok(Some(secret));
    }
    Ok(std::env::var("OAUTH_CLIENT_SECRET").ok().filter(|s| !s.is_empty()).map(Secret::new))
}
