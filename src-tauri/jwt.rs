//! Showing what an access token says when it is a JWT: the payload decoded for
//! display, labelled "not verified" in the UI. Nothing here trusts the token;
//! the resource server is the one that verifies it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::views::ClaimView;

/// The claims of a JWT-shaped token, or `None` for an opaque token.
pub fn claims(token: &str) -> Option<Vec<ClaimView>> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.len() > 16 * 1024 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let Value::Object(map) = serde_json::from_slice::<Value>(&bytes).ok()? else { return None };
    Some(
        map.into_iter()
            .take(50)
            .map(|(name, value)| ClaimView {
                name,
                value: match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                }
                .chars()
                .take(500)
                .collect(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_jwt_payload_and_ignores_opaque_tokens() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://as","aud":["a","b"],"exp":1}"#);
        let c = claims(&format!("eyJhbGciOiJub25lIn0.{payload}.sig")).unwrap();
        assert_eq!(c.iter().find(|c| c.name == "aud").unwrap().value, r#"["a","b"]"#);
        assert!(claims("opaque-token").is_none());
        assert!(claims("a.b.c.d").is_none());
        assert!(claims("a.!!!.c").is_none());
    }
}
