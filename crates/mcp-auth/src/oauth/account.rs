//! Whose sign-in it is: the account a token response names, for the person
//! ("Account: alice@acme.com"), never for a decision.
//!
//! An OpenID provider names the person in the ID token; many authorization
//! servers issue JWT access tokens that carry the same claims. Neither is
//! verified here — the name is shown as what the server said about the
//! sign-in, like the address bar of a browser shows what the page claims to be
//! — so it only ever reaches a label. Opaque tokens name nobody, and a bare
//! `sub` (usually a number or a UUID) tells a person nothing: no account is
//! shown rather than a meaningless one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// Longest name kept: an email address or a user name, not a paragraph.
const MAX_CHARS: usize = 120;
/// A JWT payload bigger than this is not decoded (a name needs a few bytes).
const MAX_PAYLOAD: usize = 16 * 1024;
/// The claims that name a person, most telling first.
const NAMING_CLAIMS: [&str; 4] = ["email", "preferred_username", "upn", "name"];

/// The account the ID token (first) or a JWT access token names, if either does.
pub fn named_in(id_token: Option<&str>, access_token: &str) -> Option<String> {
    id_token.and_then(name_in_jwt).or_else(|| name_in_jwt(access_token))
}

fn name_in_jwt(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.len() > MAX_PAYLOAD {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    NAMING_CLAIMS.iter().find_map(|c| claims.get(c).and_then(Value::as_str).and_then(shown))
}

/// A character a name from elsewhere (a server's claims, a program's name)
/// may show: no control characters, and none that reorder or hide the text
/// around it (bidirectional marks and overrides, zero-width characters, line
/// and paragraph separators).
pub(crate) fn shows_as_text(c: char) -> bool {
    !c.is_control()
        && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{feff}')
}

/// A claim as a label can show it: trimmed, one line, no control or
/// bidirectional-override characters (a name must not reorder the text around
/// it), not empty, not overlong.
fn shown(raw: &str) -> Option<String> {
    let clean: String = raw.trim().chars().filter(|c| shows_as_text(*c)).collect();
    let clean = clean.trim();
    (!clean.is_empty() && clean.chars().count() <= MAX_CHARS).then(|| clean.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(claims: Value) -> String {
        format!("eyJhbGciOiJSUzI1NiJ9.{}.sig", URL_SAFE_NO_PAD.encode(claims.to_string()))
    }

    #[test]
    fn the_id_token_names_the_account_before_the_access_token() {
        let id = jwt(json!({"sub": "248289761001", "email": "alice@acme.com", "name": "Alice"}));
        let at = jwt(json!({"sub": "x", "preferred_username": "alice-at"}));
        assert_eq!(named_in(Some(&id), &at).as_deref(), Some("alice@acme.com"));
        assert_eq!(named_in(None, &at).as_deref(), Some("alice-at"));
        assert_eq!(named_in(Some("not-a-jwt"), &at).as_deref(), Some("alice-at"), "a broken ID token falls back");
    }

    #[test]
    fn nobody_is_named_by_an_opaque_token_or_a_bare_subject() {
        assert_eq!(named_in(None, "opaque-token-value"), None);
        assert_eq!(named_in(None, &jwt(json!({"sub": "5f1c…", "scope": "mcp"}))), None);
        assert_eq!(
            named_in(None, &jwt(json!({"email": 42, "name": "Bob"}))).as_deref(),
            Some("Bob"),
            "a claim that is not text is skipped"
        );
        assert_eq!(named_in(None, "a.!!!.c"), None);
        assert_eq!(named_in(None, &format!("{}.extra", jwt(json!({"email": "a@b"})))), None, "four parts is not a JWT");
    }

    #[test]
    fn a_name_is_one_clean_line_of_reasonable_length() {
        let tricky = jwt(json!({"email": "  eve@evil.example\u{202E}moc.knab\n\u{0007} "}));
        assert_eq!(named_in(None, &tricky).as_deref(), Some("eve@evil.examplemoc.knab"));
        assert_eq!(named_in(None, &jwt(json!({"email": "x".repeat(MAX_CHARS + 1), "name": "Short"}))).as_deref(), Some("Short"));
        assert_eq!(named_in(None, &jwt(json!({"email": " \u{200F} "}))), None);
    }
}
