//! `WWW-Authenticate` parsing (RFC 9110 §11.6.1, RFC 6750 §3, RFC 9728 §5.1).
//!
//! MCP servers tell a client where to look for authorization metadata and which
//! scope to ask for in a `Bearer` challenge. The header is untrusted input from any
//! server, so this is a real auth-param parser (quoted strings, escapes, several
//! challenges in one value or several values, parameters in any order, token68) that
//! never panics and is bounded: each value is cut at [`MAX_HEADER_LEN`] bytes, and
//! at most [`MAX_CHALLENGES`] challenges with [`MAX_PARAMS`] parameters each are
//! kept. Malformed parts are skipped; what could be read is returned (best effort).

use serde::Serialize;

pub const MAX_HEADER_LEN: usize = 8 * 1024;
pub const MAX_CHALLENGES: usize = 16;
pub const MAX_PARAMS: usize = 32;

/// One challenge: a scheme and either a token68 or parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// As sent; compare with `eq_ignore_ascii_case`.
    pub scheme: String,
    pub token68: Option<String>,
    /// Names lower-cased; the first occurrence of a name wins.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What an MCP client needs from a `Bearer` challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BearerChallenge {
    pub resource_metadata: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The server challenged with the `DPoP` scheme (RFC 9449 §7.1): it takes
    /// DPoP-bound tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop: bool,
}

impl BearerChallenge {
    /// The first `Bearer` (or `DPoP`) challenge among all header values, if any.
    pub fn from_headers<S: AsRef<str>>(values: &[S]) -> Option<Self> {
        let all: Vec<Challenge> = values.iter().flat_map(|v| parse(v.as_ref())).collect();
        let dpop = all.iter().any(|c| c.scheme.eq_ignore_ascii_case("dpop"));
        all.iter()
            // A DPoP challenge names the same parameters.
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer") || c.scheme.eq_ignore_ascii_case("dpop"))
            .map(|c| BearerChallenge {
                resource_metadata: c.param("resource_metadata").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
                scope: c.param("scope").map(str::to_owned).filter(|s| !s.trim().is_empty()),
                error: c.param("error").map(str::to_owned),
                error_description: c.param("error_description").map(str::to_owned),
                dpop,
            })
    }

    pub fn is_insufficient_scope(&self) -> bool {
        self.error.as_deref() == Some("insufficient_scope")
    }
}

/// Parse one header value into its challenges.
pub fn parse(value: &str) -> Vec<Challenge> {
    let cut = floor_char_boundary(value, MAX_HEADER_LEN);
    let mut p = Parser { s: value[..cut].as_bytes(), i: 0 };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        p.skip_list_separators();
        if p.done() || out.len() >= MAX_CHALLENGES {
            break;
        }
        let Some(scheme) = p.token() else {
            p.skip_to_comma();
            continue;
        };
        let mut challenge = Challenge { scheme, token68: None, params: Vec::new() };
        // A scheme is followed by at least one space before its credentials.
        let had_space = p.skip_ws();
        if had_space && !p.done() && p.peek() != Some(b',') {
            if let Some(t68) = p.try_token68() {
                challenge.token68 = Some(t68);
            } else {
                p.params_into(&mut challenge);
            }
        }
        out.push(challenge);
    }
    out
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }
    fn skip_list_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }
    fn skip_to_comma(&mut self) {
        while let Some(b) = self.peek() {
            self.i += 1;
            if b == b',' {
                break;
            }
        }
    }
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    /// A token68 is `1*tchar68 *"="` followed by the end, a comma, or spaces then
    /// the end or a comma. Anything else (notably `name=value`) is not one.
    fn try_token68(&mut self) -> Option<String> {
        let start = self.i;
        let mut j = self.i;
        while j < self.s.len() && is_token68_char(self.s[j]) {
            j += 1;
        }
        if j == start {
            return None;
        }
        while j < self.s.len() && self.s[j] == b'=' {
            j += 1;
        }
        let mut k = j;
        while k < self.s.len() && matches!(self.s[k], b' ' | b'\t') {
            k += 1;
        }
        if k == self.s.len() || self.s[k] == b',' {
            self.i = j;
            return Some(String::from_utf8_lossy(&self.s[start..j]).into_owned());
        }
        None
    }
    /// `#auth-param` until the next challenge starts (a token not followed by `=`).
    fn params_into(&mut self, challenge: &mut Challenge) {
        loop {
            self.skip_list_separators();
            if self.done() {
                return;
            }
            let save = self.i;
            let Some(name) = self.token() else {
                // Garbage: skip to the next comma and go on.
                self.skip_to_comma();
                continue;
            };
            self.skip_ws();
            if self.peek() != Some(b'=') {
                // The start of the next challenge.
                self.i = save;
                return;
            }
            self.i += 1;
            self.skip_ws();
            let value = if self.peek() == Some(b'"') { self.quoted() } else { self.token() };
            match value {
                Some(v) => {
                    let name = name.to_ascii_lowercase();
                    if challenge.params.len() < MAX_PARAMS && challenge.param(&name).is_none() {
                        challenge.params.push((name, v));
                    }
                }
                None => self.skip_to_comma(),
            }
        }
    }
    /// A quoted-string with `\` escapes; an unterminated one runs to the end.
    fn quoted(&mut self) -> Option<String> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.i += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.i += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_bearer_challenge() {
        let c = BearerChallenge::from_headers(&[
            r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write""#,
        ])
        .unwrap();
        assert_eq!(c.resource_metadata.as_deref(), Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp"));
        assert_eq!(c.scope.as_deref(), Some("files:read files:write"));
    }

    #[test]
    fn several_challenges_any_order_escapes_and_tokens() {
        let all =
            parse(r#"Basic realm="a, b", Bearer error=insufficient_scope, scope="x \"y\" z",  resource_metadata="u", Negotiate abc123=="#);
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(all[0].param("realm"), Some("a, b"));
        assert_eq!(all[1].param("error"), Some("insufficient_scope"));
        assert_eq!(all[1].param("scope"), Some(r#"x "y" z"#));
        assert_eq!(all[1].param("resource_metadata"), Some("u"));
        assert_eq!(all[2].token68.as_deref(), Some("abc123=="));
    }

    #[test]
    fn bearer_found_in_a_later_header_value_and_case_insensitive() {
        let c = BearerChallenge::from_headers(&["Basic realm=x", "bEaReR Scope=\"read\""]).unwrap();
        assert_eq!(c.scope.as_deref(), Some("read"));
    }

    #[test]
    fn duplicate_params_first_wins_and_bare_scheme() {
        let all = parse(r#"Bearer scope="a", scope="b", Bearer"#);
        assert_eq!(all[0].param("scope"), Some("a"));
        assert_eq!(all[1].scheme, "Bearer");
        assert!(all[1].params.is_empty());
    }

    #[test]
    fn malformed_input_never_panics_and_is_bounded() {
        for bad in [
            "",
            ",,,,",
            "Bearer \"",
            "Bearer scope=\"unterminated",
            "Bearer =x, ==, scope",
            "Bearer scope=\\",
            "\u{e9}\u{e9} \u{1F600}=\"\u{1F600}\"",
            "Bearer a=b c=d",
        ] {
            let _ = parse(bad);
        }
        let huge = format!("Bearer {}", "x=\"y\", ".repeat(100_000));
        let parsed = parse(&huge);
        assert!(parsed[0].params.len() <= MAX_PARAMS);
        let many = "A, ".repeat(10_000);
        assert!(parse(&many).len() <= MAX_CHALLENGES);
        let multibyte = "é".repeat(MAX_HEADER_LEN);
        let _ = parse(&multibyte);
    }
}
