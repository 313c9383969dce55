//! DPoP (RFC 9449; the MCP extension `io.modelcontextprotocol/auth/dpop`,
//! SEP-1932): a grant bound to a key pair, so a stolen access token is
//! useless without the private key.
//!
//! When the authorization server lists an algorithm this client signs with in
//! `dpop_signing_alg_values_supported` (ES256, the one every server must
//! accept) and the MCP server takes DPoP too ([`offered`]), a new P-256 key
//! pair is made for the grant; its private half is
//! kept with the grant's tokens in the keychain and nowhere else. Every token
//! request and every MCP request then carries a fresh proof (a JWT signed with
//! that key naming the method, the URL, the time and, towards the MCP server,
//! the token's hash) and the token goes in the `DPoP` authorization scheme.
//!
//! Servers may demand a nonce they hand out (`use_dpop_nonce` with a
//! `DPoP-Nonce` header, §8 and §9): the latest nonce of each server is
//! remembered for this process and goes into later proofs to it; a request
//! refused for want of one is sent again once with it, never more.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::oauth::discovery::Discovery;
use crate::oauth::jwt::{new_jti, SigningAlg, SigningKey};
use crate::vault::secret::Secret;

/// The response header that carries a server's nonce.
pub const NONCE_HEADER: &str = "dpop-nonce";

/// Both ends take DPoP: the authorization server binds tokens to keys this
/// client can make (ES256 in its `dpop_signing_alg_values_supported`), and
/// the MCP server accepts them: it challenged with the `DPoP` scheme, or its
/// protected resource metadata lists ES256 or requires bound tokens. An
/// authorization server alone is not enough: a bound token is refused by a
/// resource server that knows only `Bearer`.
pub fn offered(discovery: &Discovery) -> bool {
    let es256 = |algs: &Option<Vec<String>>| algs.as_ref().is_some_and(|a| a.iter().any(|a| a == SigningAlg::Es256.as_str()));
    let resource_takes = discovery.challenge.as_ref().is_some_and(|c| c.dpop)
        || discovery
            .protected_resource
            .as_ref()
            .is_some_and(|p| p.dpop_bound_access_tokens_required || es256(&p.dpop_signing_alg_values_supported));
    resource_takes && es256(&discovery.auth_server.dpop_signing_alg_values_supported)
}

/// A new key pair for a grant, as the PEM kept in the keychain.
pub fn new_key() -> Result<Secret> {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| Error::InvalidInput("no DPoP key pair could be made".into()))?;
    Ok(Secret::new(format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(doc.as_ref()))))
}

/// `htu` (§4.2): the request's URL without query and fragment.
fn htu(url: &str) -> Result<String> {
    let mut u = url::Url::parse(url).map_err(|_| Error::InvalidInput(format!("not a URL: {url}")))?;
    u.set_query(None);
    u.set_fragment(None);
    Ok(u.to_string())
}

fn origin(url: &str) -> String {
    url::Url::parse(url).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
}

fn nonces() -> &'static Mutex<HashMap<String, String>> {
    static NONCES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    NONCES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Remember the nonce a server handed out (on a refusal or with any answer).
pub fn remember_nonce(url: &str, headers: &reqwest::header::HeaderMap) -> bool {
    let Some(nonce) = headers.get(NONCE_HEADER).and_then(|v| v.to_str().ok()).filter(|n| !n.is_empty() && n.len() <= 1024) else {
        return false;
    };
    let mut all = nonces().lock().unwrap_or_else(|p| p.into_inner());
    let changed = all.get(&origin(url)).map(String::as_str) != Some(nonce);
    all.insert(origin(url), nonce.to_string());
    changed
}

/// A proof for one request (§4.2): `token` (towards the MCP server) is bound
/// by its hash, `ath`; the server's latest nonce, if it gave one, goes in.
pub fn proof(key_pem: &Secret, method: &str, url: &str, token: Option<&Secret>) -> Result<Secret> {
    let key = SigningKey::from_pem(key_pem, Some(SigningAlg::Es256))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut claims = json!({"jti": new_jti(), "htm": method, "htu": htu(url)?, "iat": now});
    if let Some(t) = token {
        claims["ath"] = json!(URL_SAFE_NO_PAD.encode(Sha256::digest(t.expose().as_bytes())));
    }
    if let Some(n) = nonces().lock().unwrap_or_else(|p| p.into_inner()).get(&origin(url)) {
        claims["nonce"] = json!(n);
    }
    key.sign(json!({"typ": "dpop+jwt", "jwk": key.public_jwk()}), &claims)
}

/// A refusal asks for a nonce: the OAuth error `use_dpop_nonce`, in a
/// `WWW-Authenticate` challenge (the MCP server) or a JSON body (the
/// authorization server).
pub fn asks_for_nonce(www_authenticate: &[String], body: &[u8]) -> bool {
    let in_challenge = www_authenticate.iter().any(|v| {
        crate::oauth::challenge::parse(v)
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case("dpop") && c.param("error") == Some("use_dpop_nonce"))
    });
    let in_body = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("error").and_then(|e| e.as_str()) == Some("use_dpop_nonce"));
    in_challenge || in_body
}

/// The `Authorization` header value for a token: the DPoP scheme when bound.
pub fn authorization(token: &Secret, bound: bool) -> String {
    format!("{} {}", if bound { "DPoP" } else { "Bearer" }, token.expose())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::UnparsedPublicKey;

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_names_the_request_and_the_token_and_verifies_with_its_jwk() {
        let key = new_key().unwrap();
        let token = Secret::new("at-123");
        let p = proof(&key, "POST", "http://127.0.0.1:9/mcp?x=1#f", Some(&token)).unwrap();
        let parts: Vec<&str> = p.expose().split('.').collect();
        let (header, claims) = (decode(parts[0]), decode(parts[1]));
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header["jwk"].get("d").is_none(), "the private key never leaves");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "http://127.0.0.1:9/mcp");
        assert_eq!(claims["ath"], URL_SAFE_NO_PAD.encode(Sha256::digest(b"at-123")));
        let jwk = &header["jwk"];
        let point = [
            vec![4u8],
            URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap(),
            URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap(),
        ]
        .concat();
        let input = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
            .expect("the proof verifies with its own jwk");
        // Fresh each time.
        let again = proof(&key, "POST", "http://127.0.0.1:9/mcp", Some(&token)).unwrap();
        assert_ne!(decode(again.expose().split('.').nth(1).unwrap())["jti"], claims["jti"]);
    }

    #[test]
    fn a_nonce_a_server_gave_goes_into_later_proofs_to_it_only() {
        let key = new_key().unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(NONCE_HEADER, "n-42".parse().unwrap());
        assert!(remember_nonce("http://127.0.0.1:7001/token", &headers));
        let to_it = proof(&key, "POST", "http://127.0.0.1:7001/token", None).unwrap();
        let elsewhere = proof(&key, "POST", "http://127.0.0.1:7002/token", None).unwrap();
        assert_eq!(decode(to_it.expose().split('.').nth(1).unwrap())["nonce"], "n-42");
        assert!(decode(elsewhere.expose().split('.').nth(1).unwrap()).get("nonce").is_none());
    }

    #[test]
    fn nonce_requests_are_recognised_in_a_challenge_or_a_body() {
        assert!(asks_for_nonce(&[r#"DPoP error="use_dpop_nonce", resource_metadata="x""#.into()], b""));
        assert!(asks_for_nonce(&[], br#"{"error":"use_dpop_nonce"}"#));
        assert!(!asks_for_nonce(&[r#"Bearer error="invalid_token""#.into()], br#"{"error":"invalid_grant"}"#));
    }
}
