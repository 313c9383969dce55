//! Finding the remote MCP servers other MCP clients already know about.
//!
//! Claude Desktop, Claude Code, Cursor, VS Code and Windsurf each keep MCP
//! servers in a JSON file of their own shape, at their own path on each OS.
//! Only remote (URL) servers are of interest here, including the `mcp-remote`
//! wrappers Claude Desktop users write to reach them. Headers that carry static
//! credentials are reported by name only: moving one into the keychain is the
//! user's decision, never a silent copy.
//!
//! The parsers take text and return findings, so they are tested (and fuzzed)
//! without touching the file system; [`scan`] does the reading.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

/// Bigger config files are skipped (Claude Code's `~/.claude.json` grows, but
/// not this big).
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceClient {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Vscode,
    Windsurf,
}

impl SourceClient {
    pub const ALL: [SourceClient; 5] =
        [SourceClient::ClaudeDesktop, SourceClient::ClaudeCode, SourceClient::Cursor, SourceClient::Vscode, SourceClient::Windsurf];

    pub fn id(self) -> &'static str {
        match self {
            SourceClient::ClaudeDesktop => "claude-desktop",
            SourceClient::ClaudeCode => "claude-code",
            SourceClient::Cursor => "cursor",
            SourceClient::Vscode => "vscode",
            SourceClient::Windsurf => "windsurf",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == s)
    }

    pub fn display_name(self) -> &'static str {
        match self {
            SourceClient::ClaudeDesktop => "Claude Desktop",
            SourceClient::ClaudeCode => "Claude Code",
            SourceClient::Cursor => "Cursor",
            SourceClient::Vscode => "VS Code",
            SourceClient::Windsurf => "Windsurf",
        }
    }
}

/// One remote server found in a client's config.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub client: SourceClient,
    pub path: PathBuf,
    pub name: String,
    pub url: String,
    /// Names of headers that look like static credentials (never their values).
    pub credential_headers: Vec<String>,
    /// Found through an `mcp-remote` (or similar) stdio wrapper.
    pub via_wrapper: bool,
    /// A static `Authorization: Bearer` token the config holds for it, with
    /// `${VAR}` resolved from the entry's `env`. Never serialized: it can only
    /// be moved into the keychain, at the user's request.
    #[serde(skip)]
    pub bearer: Option<crate::vault::secret::Secret>,
    /// Found in the current project's own files (`.mcp.json`,
    /// `.vscode/mcp.json`…), which whoever wrote the project chose: such
    /// servers are offered to the user, never added without their choice
    /// (hostile row 43).
    #[serde(default)]
    pub from_project: bool,
}

/// A config file that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct ScanError {
    pub client: SourceClient,
    pub path: PathBuf,
    pub error: String,
}

/// Where each client keeps its user-level config, on this OS.
pub fn user_config_paths(client: SourceClient, home: &Path) -> Vec<PathBuf> {
    let app_support = |name: &str| -> PathBuf {
        if cfg!(target_os = "macos") {
            home.join("Library/Application Support").join(name)
        } else if cfg!(windows) {
            std::env::var_os("APPDATA").map(PathBuf::from).unwrap_or_else(|| home.join("AppData/Roaming")).join(name)
        } else {
            std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(".config"))
                .join(name)
        }
    };
    match client {
        SourceClient::ClaudeDesktop => vec![app_support("Claude").join("claude_desktop_config.json")],
        SourceClient::ClaudeCode => vec![home.join(".claude.json")],
        SourceClient::Cursor => vec![home.join(".cursor/mcp.json")],
        SourceClient::Vscode => vec![app_support("Code").join("User/mcp.json"), app_support("Code - Insiders").join("User/mcp.json")],
        SourceClient::Windsurf => vec![home.join(".codeium/windsurf/mcp_config.json")],
    }
}

/// Project-level configs inside a project directory.
pub fn project_config_paths(client: SourceClient, project: &Path) -> Vec<PathBuf> {
    match client {
        SourceClient::ClaudeCode => vec![project.join(".mcp.json")],
        SourceClient::Cursor => vec![project.join(".cursor/mcp.json")],
        SourceClient::Vscode => vec![project.join(".vscode/mcp.json")],
        _ => Vec::new(),
    }
}

/// Read every config of the chosen clients.
pub fn scan(clients: &[SourceClient], home: &Path, project: Option<&Path>) -> (Vec<Found>, Vec<ScanError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for &client in clients {
        let user = user_config_paths(client, home).into_iter().map(|p| (p, false));
        let project = project.map(|p| project_config_paths(client, p)).unwrap_or_default().into_iter().map(|p| (p, true));
        for (path, from_project) in user.chain(project) {
            match read_config(&path).and_then(|t| t.map(|t| parse(client, &path, &t)).transpose()) {
                Ok(Some(mut f)) => {
                    f.iter_mut().for_each(|f| f.from_project = from_project);
                    found.append(&mut f);
                }
                Ok(None) => {}
                Err(error) => errors.push(ScanError { client, path, error }),
            }
        }
    }
    (found, errors)
}

/// Read one config file, `None` if there is none. Only a regular file is read,
/// and at most [`MAX_CONFIG_BYTES`] of it, counted while reading (hostile row
/// 42): a FIFO named like a config would otherwise block the read for ever, and
/// `/dev/zero` never ends. The file is opened without waiting (a FIFO with no
/// writer opens at once) and its type checked on the opened file, so a link
/// swapped between a check and the open changes nothing.
pub fn read_config(path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("could not be opened: {e}")),
    };
    let kind = file.metadata().map_err(|e| format!("could not be read: {e}"))?.file_type();
    if !kind.is_file() {
        return Err(format!("skipped: not a regular file but {}", describe_file_type(kind)));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("could not be read: {e}"))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!("skipped: larger than {} MB", MAX_CONFIG_BYTES / (1024 * 1024)));
    }
    String::from_utf8(bytes).map(Some).map_err(|_| "skipped: not UTF-8 text".to_string())
}

fn describe_file_type(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// Parse one config file's text.
pub fn parse(client: SourceClient, path: &Path, text: &str) -> Result<Vec<Found>, String> {
    let cleaned = strip_jsonc(text);
    let root: Value = serde_json::from_str(&cleaned).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut out = Vec::new();
    let mut add = |servers: Option<&Value>| {
        if let Some(Value::Object(map)) = servers {
            for (name, spec) in map.iter().take(1000) {
                if let Some(f) = server_of(client, path, name, spec) {
                    out.push(f);
                }
            }
        }
    };
    match client {
        SourceClient::Vscode => {
            add(root.get("servers"));
            add(root.pointer("/mcp/servers"));
        }
        SourceClient::ClaudeCode => {
            add(root.get("mcpServers"));
            if let Some(Value::Object(projects)) = root.get("projects") {
                for p in projects.values().take(10_000) {
                    add(p.get("mcpServers"));
                }
            }
        }
        _ => add(root.get("mcpServers")),
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert((f.name.clone(), f.url.clone())));
    Ok(out)
}

pub(crate) fn server_of(client: SourceClient, path: &Path, name: &str, spec: &Value) -> Option<Found> {
    let obj = spec.as_object()?;
    let direct = ["url", "serverUrl", "httpUrl"].iter().find_map(|k| obj.get(*k).and_then(Value::as_str));
    let (url, via_wrapper, mut headers, bearer) = match direct {
        Some(u) => (u.to_string(), false, header_names(obj.get("headers")), direct_bearer(obj)),
        None => {
            let (u, h, b) = wrapped_url(obj)?;
            (u, true, h, b)
        }
    };
    // The text itself must be an absolute http(s) URL: the url crate repairs
    // `https:/h` into `https://h/`, and what is imported is the text.
    let raw = url.trim();
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let parsed = url::Url::parse(raw).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    // The scheme in its canonical (lower) case; the rest as written.
    let scheme_len = parsed.scheme().len() + 3;
    let url = format!("{}://{}", parsed.scheme(), &raw[scheme_len..]);
    headers.sort();
    headers.dedup();
    Some(Found {
        client,
        path: path.to_path_buf(),
        name: name.chars().filter(|c| !c.is_control()).take(100).collect(),
        url,
        credential_headers: headers,
        via_wrapper,
        bearer,
        from_project: false,
    })
}

/// `Bearer <token>` from an Authorization header value, with `${VAR}` and
/// `$VAR` taken from the server entry's `env`. Unresolved variables (or
/// VS Code `${input:…}` prompts) give nothing.
fn bearer_of(value: &str, env: Option<&Value>) -> Option<crate::vault::secret::Secret> {
    let mut v = value.trim().to_string();
    if let Some(Value::Object(env)) = env {
        for (k, val) in env {
            if let Some(val) = val.as_str() {
                v = v.replace(&format!("${{{k}}}"), val).replace(&format!("${k}"), val);
            }
        }
    }
    let token = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))?.trim();
    (!token.is_empty() && !token.contains('$') && !token.contains(char::is_whitespace)).then(|| crate::vault::secret::Secret::new(token))
}

fn direct_bearer(obj: &Map<String, Value>) -> Option<crate::vault::secret::Secret> {
    let Some(Value::Object(headers)) = obj.get("headers") else { return None };
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str())
        .and_then(|v| bearer_of(v, obj.get("env")))
}

/// Header names that carry credentials.
pub(crate) fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization" || n.contains("api-key") || n.contains("apikey") || n.contains("token") || n.contains("secret") || n == "cookie"
}

fn header_names(headers: Option<&Value>) -> Vec<String> {
    match headers {
        Some(Value::Object(m)) => m.keys().filter(|k| is_credential_header(k)).cloned().collect(),
        _ => Vec::new(),
    }
}

/// `npx mcp-remote https://… --header "Authorization: Bearer …"` and friends.
fn wrapped_url(obj: &Map<String, Value>) -> Option<(String, Vec<String>, Option<crate::vault::secret::Secret>)> {
    let command = obj.get("command").and_then(Value::as_str).unwrap_or("");
    let args: Vec<&str> = obj.get("args")?.as_array()?.iter().filter_map(Value::as_str).collect();
    let mentions_wrapper = |s: &str| s.contains("mcp-remote") || s.contains("supergateway") || s.contains("mcp-proxy");
    if !mentions_wrapper(command) && !args.iter().any(|a| mentions_wrapper(a)) {
        return None;
    }
    let url = args.iter().find(|a| a.starts_with("https://") || a.starts_with("http://"))?.to_string();
    let mut headers = Vec::new();
    let mut bearer = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "--header" || *a == "-H" {
            if let Some(h) = it.next() {
                if let Some((name, value)) = h.split_once(':') {
                    let name = name.trim();
                    if is_credential_header(name) {
                        headers.push(name.to_string());
                    }
                    if name.eq_ignore_ascii_case("authorization") {
                        bearer = bearer.or_else(|| bearer_of(value, obj.get("env")));
                    }
                }
            }
        }
    }
    Some((url, headers, bearer))
}

/// JSON with comments and trailing commas (VS Code's `mcp.json`) to JSON.
/// Strings are copied untouched, escapes included.
pub fn strip_jsonc(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.extend_from_slice(&b[start..i]);
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
            }
            b',' => {
                // A trailing comma, even with a comment before the bracket.
                let j = past_blanks_and_comments(b, i + 1);
                if !matches!(b.get(j), Some(b'}') | Some(b']')) {
                    out.push(b',');
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The first byte at or after `j` that is neither whitespace nor in a comment.
fn past_blanks_and_comments(b: &[u8], mut j: usize) -> usize {
    loop {
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        match (b.get(j), b.get(j + 1)) {
            (Some(b'/'), Some(b'/')) => {
                while j < b.len() && b[j] != b'\n' {
                    j += 1;
                }
            }
            (Some(b'/'), Some(b'*')) => {
                j += 2;
                while j < b.len() && !(b[j] == b'*' && b.get(j + 1) == Some(&b'/')) {
                    j += 1;
                }
                j = (j + 2).min(b.len());
            }
            _ => return j,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_comma_before_a_comment_is_dropped() {
        let text = "{\"a\": {\"Authorization\": \"Bearer x\", // pat\n}, /* end */ }";
        let v: Value = serde_json::from_str(&strip_jsonc(text)).unwrap();
        assert_eq!(v["a"]["Authorization"], "Bearer x");
    }

    #[test]
    fn jsonc_comments_and_trailing_commas() {
        let text = r#"{
          // a comment with "quotes" and a , comma
          "servers": { "a": { "url": "https://x/y//z", "note": "/* not a comment */", }, },
          /* block
             comment */
          "inputs": [1, 2, ],
        }"#;
        let v: Value = serde_json::from_str(&strip_jsonc(text)).unwrap();
        assert_eq!(v["servers"]["a"]["url"], "https://x/y//z");
        assert_eq!(v["servers"]["a"]["note"], "/* not a comment */");
        assert_eq!(v["inputs"], serde_json::json!([1, 2]));
        // Escaped quotes inside strings.
        let v: Value = serde_json::from_str(&strip_jsonc(r#"{"a": "x\"//y", }"#)).unwrap();
        assert_eq!(v["a"], "x\"//y");
    }

    #[test]
    fn static_bearer_tokens_are_resolved_but_never_serialized() {
        let text = r#"{"mcpServers": {
            "a": {"command": "npx", "args": ["mcp-remote", "https://a.example/mcp", "--header", "Authorization: Bearer ${TOKEN}"], "env": {"TOKEN": "tok-a"}},
            "b": {"url": "https://b.example/mcp", "headers": {"Authorization": "Bearer tok-b"}},
            "c": {"url": "https://c.example/mcp", "headers": {"Authorization": "Bearer ${input:token}"}},
            "d": {"url": "https://d.example/mcp", "headers": {"X-API-Key": "k"}}
        }}"#;
        let found = parse(SourceClient::Cursor, Path::new("x"), text).unwrap();
        let bearer = |n: &str| found.iter().find(|f| f.name == n).unwrap().bearer.as_ref().map(|s| s.expose().to_string());
        assert_eq!(bearer("a").as_deref(), Some("tok-a"));
        assert_eq!(bearer("b").as_deref(), Some("tok-b"));
        assert_eq!(bearer("c"), None);
        assert_eq!(bearer("d"), None);
        let json = serde_json::to_string(&found).unwrap();
        assert!(!json.contains("tok-"), "{json}");
    }

    #[test]
    fn hostile_text_never_panics() {
        for t in ["", "\"", "/*", "//", "{\"a\":\"\\", ",,,", "{\"mcpServers\": []}", "[1,", "\u{0}"] {
            let _ = strip_jsonc(t);
            for c in SourceClient::ALL {
                let _ = parse(c, Path::new("x"), t);
            }
        }
    }
}
