//! What used each server's sign-in, and when: each `mcp-auth token` and
//! `headers` call and each bridge started, with the program that asked, and
//! what an agent did through `mcp-auth serve` (a server added, a sign-in
//! started or finished, a sign-out).
//! The person reads it to learn what acted in their name; `mcp-auth activity`
//! prints it.
//!
//! One file in the config directory, `activity.json`, with the last
//! [`KEPT_PER_SERVER`] events of each server; no secret is ever in it (an event
//! names what happened and who asked, never a token). Writers in several
//! processes take turns under an advisory lock beside it; the file is replaced
//! whole, so a reader never sees half of it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::vault::approval::Program;

pub const KEPT_PER_SERVER: usize = 200;
const FILE: &str = "activity.json";

/// One thing that used or changed a server's sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityEvent {
    /// Seconds since the Unix epoch.
    pub at: u64,
    /// What happened: `token`, `headers`, `bridge_started`,
    /// `agent_added_server`, `agent_started_sign_in`, `agent_signed_in`,
    /// `agent_cleared`, `renewed_in_background`, `program_allowed`,
    /// `program_refused`.
    pub what: String,
    /// Who asked, in words ("sdk-stdio-client, through mcp-auth serve").
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Programs that only pass a request on: the one that asked is above them.
const GO_BETWEENS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "fish", "ksh", "env", "npx", "npm", "pnpm", "yarn", "bunx", "uvx", "uv", "pipx", "sudo", "timeout",
    "mcp-auth",
];

/// Interpreters: the program they run is their script, so a script's path is
/// part of what tells two of them apart.
const INTERPRETERS: &[&str] = &["node", "bun", "deno", "python", "python3", "ruby", "perl"];

/// The program that asked, by its name: see [`caller`].
pub fn calling_program() -> String {
    caller().name
}

/// The program that asked: the first ancestor of this process that is not a
/// shell or a package runner (`npx`, `uvx`…), by its name and its path (with
/// its script's, for an interpreter), where the OS tells it (Linux: `/proc`);
/// "unknown" elsewhere.
pub fn caller() -> Program {
    #[cfg(target_os = "linux")]
    {
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The name is in parentheses and may hold spaces: read after the last ')'.
            stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
        };
        // The executable's own name (`comm` is cut at 15 characters); a
        // package runner written in Node or Python is named by its script.
        let program_of = |pid: u32| -> Option<Program> {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
            let exe_name = exe
                .as_ref()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .or_else(|| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|n| n.trim().to_string()))?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<String> = cmdline.split(|b| *b == 0).skip(1).take(32).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            let script_name = args.first().and_then(|arg| {
                std::path::Path::new(arg)
                    .file_name()
                    .map(|n| n.to_string_lossy().trim_end_matches("-cli.js").trim_end_matches(".js").to_string())
            });
            if let Some(s) = script_name.filter(|s| GO_BETWEENS.contains(&s.as_str())) {
                return Some(Program::named(&s, None));
            }
            let mut path = exe.map(|p| p.to_string_lossy().into_owned());
            let interpreter = INTERPRETERS.iter().any(|i| exe_name == *i || exe_name.starts_with(&format!("{i}3.")));
            if let (Some(p), true) = (path.as_mut(), interpreter) {
                if let Some(what) = what_it_runs(&args, pid) {
                    p.push(' ');
                    p.push_str(&what);
                }
            }
            Some(Program::named(&exe_name, path.as_deref()))
        };
        let mut pid = std::process::id();
        let mut first = None;
        for _ in 0..8 {
            let Some(parent) = parent_of(pid).filter(|p| *p > 1) else { break };
            let Some(program) = program_of(parent) else { break };
            first.get_or_insert_with(|| program.clone());
            if !GO_BETWEENS.contains(&program.name.as_str()) {
                return program;
            }
            pid = parent;
        }
        first.unwrap_or_else(|| Program::named("unknown", None))
    }
    #[cfg(not(target_os = "linux"))]
    {
        Program::named("unknown", None)
    }
}

/// What an interpreter runs, from its arguments: `-m module` (Python), else
/// the first argument that is not an option or a runner's subcommand (`deno
/// run x.ts`, `bun run x`), as a path from the process's own directory.
/// Options before it (`--inspect`) do not change which program it is.
#[cfg(target_os = "linux")]
fn what_it_runs(args: &[String], pid: u32) -> Option<String> {
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "-m" => return rest.next().map(|m| format!("-m {m}")),
            "-c" | "-e" | "--eval" => return Some(a.clone()),
            "run" | "x" | "exec" => continue,
            _ if a.starts_with('-') || a.is_empty() => continue,
            _ => {
                // A relative script is the program's own cwd's (an absolute one replaces it).
                let at = std::path::Path::new(&format!("/proc/{pid}/cwd")).join(a);
                return Some(std::fs::canonicalize(at).map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|_| a.clone()));
            }
        }
    }
    None
}

/// Every server's events, oldest first.
pub type Activity = BTreeMap<String, Vec<ActivityEvent>>;

/// What the file holds (an unreadable file counts as empty: the log is a
/// record for the person, never a reason to refuse work).
pub fn read(dir: &Path) -> Activity {
    std::fs::read(dir.join(FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

/// Add `event` to `server`'s events, keeping the last [`KEPT_PER_SERVER`].
pub fn record(dir: &Path, server: &str, event: ActivityEvent) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { context: format!("could not create {}", dir.display()), source })?;
    let lock_path = dir.join(format!("{FILE}.lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| Error::Io { context: format!("could not open {}", lock_path.display()), source })?;
    lock.lock().map_err(|source| Error::Io { context: format!("could not lock {}", lock_path.display()), source })?;
    let mut all = read(dir);
    let events = all.entry(server.to_string()).or_default();
    events.push(event);
    let excess = events.len().saturating_sub(KEPT_PER_SERVER);
    events.drain(..excess);
    let bytes = serde_json::to_vec_pretty(&all).expect("events serialize");
    replace(dir, &bytes)
}

/// Replace the file whole (a new file renamed over it), without waiting for
/// the disk: `mcp-auth token` writes here on every call, and a log lost to a
/// power cut only reads as empty (see [`read`]).
fn replace(dir: &Path, bytes: &[u8]) -> Result<()> {
    let target = dir.join(FILE);
    let tmp = dir.join(format!(".{FILE}.{}", std::process::id()));
    let io = |source| Error::Io { context: format!("could not write {}", target.display()), source };
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, &target).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        Error::Io { context: format!("could not write {}", target.display()), source }
    })
}

/// Forget a server's events (it was removed from the list).
pub fn forget(dir: &Path, server: &str) -> Result<()> {
    let mut all = read(dir);
    if all.remove(server).is_some() {
        replace(dir, &serde_json::to_vec_pretty(&all).expect("events serialize"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn an_interpreter_is_told_apart_by_what_it_runs_not_by_its_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let me = std::process::id();
        assert_eq!(what_it_runs(&args(&["--inspect", "/nowhere/cli.js", "--port", "1"]), me).as_deref(), Some("/nowhere/cli.js"));
        assert_eq!(what_it_runs(&args(&["-u", "-m", "mcp_server", "serve"]), me).as_deref(), Some("-m mcp_server"));
        assert_eq!(what_it_runs(&args(&["run", "--allow-net", "/nowhere/main.ts"]), me).as_deref(), Some("/nowhere/main.ts"));
        assert_eq!(what_it_runs(&args(&["-c", "import x"]), me).as_deref(), Some("-c"));
        assert_eq!(what_it_runs(&args(&["--version"]), me), None);
        // A relative script is found from the process's own directory.
        let here = std::env::current_dir().unwrap().join("Cargo.toml");
        assert_eq!(what_it_runs(&args(&["Cargo.toml"]), me), Some(std::fs::canonicalize(here).unwrap().to_string_lossy().into_owned()));
    }

    #[test]
    fn the_last_events_of_each_server_are_kept_across_writers() {
        let dir = std::env::temp_dir().join(format!("mcp-auth-activity-{}", crate::oauth::authorize::new_state()));
        let event = |n: u64| ActivityEvent { at: n, what: "agent_signed_in".into(), by: "test".into(), detail: None };
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    for n in 0..60 {
                        record(&dir, "crm", event(w * 1000 + n)).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        record(&dir, "wiki", event(1)).unwrap();
        let all = read(&dir);
        assert_eq!(all["crm"].len(), KEPT_PER_SERVER, "240 written by four writers, none lost before the cut");
        assert_eq!(all["wiki"], vec![event(1)]);
        forget(&dir, "crm").unwrap();
        assert!(!read(&dir).contains_key("crm"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
