//! The authorization request: PKCE (RFC 7636, S256 only), `state`, `resource`
//! (RFC 8707), and the URL the browser opens.
//!
//! A [`PendingFlow`] binds everything one sign-in needs to finish safely: the
//! verifier, the state, the issuer, the redirect URI and the resource. It lives
//! only in memory, and the callback and the token request read from it, so a code
//! delivered to the wrong flow, or a replayed callback, cannot be redeemed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{Error, Result};
use crate::net::address::check_endpoint;
use crate::vault::secret::Secret;

/// Random bytes behind a verifier or a state: 32 bytes, 43 base64url characters.
const ENTROPY_BYTES: usize = 32;

fn random_token() -> String {
    let mut bytes = [0u8; ENTROPY_BYTES];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A PKCE pair. The verifier is a [`Secret`]; the challenge is public.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    pub fn generate() -> Self {
        Self::from_verifier(Secret::new(random_token()))
    }

    pub fn from_verifier(verifier: Secret) -> Self {
        let challenge = s256(verifier.expose());
        Pkce { verifier, challenge }
    }

    pub const METHOD: &'static str = "S256";
}

/// `BASE64URL(SHA256(ASCII(verifier)))`.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A fresh high-entropy `state` value.
pub fn new_state() -> String {
    random_token()
}

/// Inputs of one authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest<'a> {
    pub authorization_endpoint: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub state: &'a str,
    pub code_challenge: &'a str,
    /// Send `prompt=consent` (with `offline_access`, to an OpenID provider).
    pub consent_prompt: bool,
}

impl AuthorizationRequest<'_> {
    /// The URL to open. Existing query parameters of the endpoint are kept; ours
    /// are appended, percent-encoded, so `resource` arrives byte-identical.
    pub fn url(&self) -> Result<Url> {
        let mut url = check_endpoint(self.authorization_endpoint)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.client_id)
                .append_pair("redirect_uri", self.redirect_uri)
                .append_pair("state", self.state)
                .append_pair("code_challenge", self.code_challenge)
                .append_pair("code_challenge_method", Pkce::METHOD);
            if let Some(scope) = self.scope.filter(|s| !s.is_empty()) {
                q.append_pair("scope", scope);
                // OpenID Connect servers grant offline_access (a refresh token)
                // only with an explicit consent prompt (OIDC Core §11); nowhere
                // else is it needed, and a forced consent page blocks users
                // whose organization does not let them consent themselves.
                if self.consent_prompt && scope.split(' ').any(|s| s == "offline_access") {
                    q.append_pair("prompt", "consent");
                }
            }
            if let Some(resource) = self.resource {
                q.append_pair("resource", resource);
            }
        }
        if url.as_str().len() > crate::net::address::MAX_URL_LEN {
            return Err(Error::unsafe_url(self.authorization_endpoint, "the authorization URL is too long"));
        }
        Ok(url)
    }
}

/// Everything bound to one sign-in in progress.
#[derive(Debug)]
pub struct PendingFlow {
    pub state: String,
    pub pkce: Pkce,
    pub issuer: String,
    pub redirect_uri: String,
    pub resource: String,
    pub client_id: String,
    pub scope: Option<String>,
    /// The AS promised `iss` in the redirect (RFC 9207).
    pub iss_required: bool,
    pub authorization_url: Url,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn verifier_and_state_are_long_and_fresh() {
        let a = Pkce::generate();
        let b = Pkce::generate();
        assert_eq!(a.verifier.len(), 43);
        assert!(a.verifier.expose().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(new_state(), new_state());
        assert_eq!(a.challenge, s256(a.verifier.expose()));
    }

    #[test]
    fn url_has_every_parameter_and_keeps_resource_bytes() {
        let req = AuthorizationRequest {
            authorization_endpoint: "https://as.example/authorize?tenant=1",
            client_id: "c id",
            redirect_uri: "http://127.0.0.1:5000/callback",
            scope: Some("read write"),
            resource: Some("https://h"),
            state: "st",
            code_challenge: "ch",
            consent_prompt: true,
        };
        let url = req.url().unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("tenant"), Some("1"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some("c id"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("resource"), Some("https://h"));
        assert_eq!(get("scope"), Some("read write"));
        assert!(url.as_str().contains("resource=https%3A%2F%2Fh&") || url.as_str().ends_with("resource=https%3A%2F%2Fh"));
    }

    #[test]
    fn empty_scope_is_omitted_and_bad_endpoint_refused() {
        let mut req = AuthorizationRequest {
            authorization_endpoint: "https://as.example/authorize",
            client_id: "c",
            redirect_uri: "http://127.0.0.1/cb",
            scope: Some(""),
            resource: None,
            state: "s",
            code_challenge: "c",
            consent_prompt: true,
        };
        assert!(!req.url().unwrap().as_str().contains("scope="));
        // prompt=consent goes with offline_access only, and only when asked for.
        req.scope = Some("mcp:tools offline_access");
        assert!(req.url().unwrap().as_str().contains("prompt=consent"));
        req.consent_prompt = false;
        assert!(!req.url().unwrap().as_str().contains("prompt="));
        req.consent_prompt = true;
        req.scope = Some("mcp:tools");
        assert!(!req.url().unwrap().as_str().contains("prompt="));
        req.authorization_endpoint = "javascript:alert(1)//";
        assert!(req.url().is_err());
    }
}
