//! The one type that holds credentials: access and refresh tokens, client secrets,
//! authorization codes and PKCE verifiers.
//!
//! Why a type and not a `String`: a `String` ends up in a `{:?}`, a log line, an
//! error message or a serialized config without anyone deciding it should. `Secret`
//! has a redacting `Debug`, no `Display`, no `Serialize`, wipes its memory on drop,
//! and is read only through [`Secret::expose`], so every place that needs the
//! plaintext says so and is easy to review with a grep.

use std::fmt;
use zeroize::Zeroizing;

/// A credential. Clone is allowed (a grant is copied into a request), every copy
/// is zeroized when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The plaintext. Call only where the value leaves for its one legitimate
    /// destination: a request body, an `Authorization` header, the keychain, or
    /// stdout of `mcp-auth token`.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("tok-1234-very-secret");
        let shown = format!("{s:?} {:#?}", Some(&s));
        assert!(!shown.contains("1234"), "{shown}");
        assert_eq!(s.expose(), "tok-1234-very-secret");
    }
}
