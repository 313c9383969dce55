//! Getting a client identity from the authorization server: a Client ID Metadata
//! Document (the client id is an https URL describing the client) or Dynamic
//! Client Registration (RFC 7591).
//!
//! Registrations belong to one issuer: a [`RegisteredClient`] records the issuer it
//! came from, and the sign-in refuses to present it to any other, so a PRM that
//! switches authorization servers gets a fresh registration and never the old
//! client's secret.

use reqwest::Method;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::net::address::check_endpoint;
use crate::net::http::{Body, HttpClient};
use crate::oauth::discovery::AuthServerMetadata;
use crate::oauth::jwt::{read_private_key_file, SigningAlg};
use crate::vault::secret::Secret;

/// How the client id was obtained (shown to the user in the review screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    Entered,
    MetadataDocument,
    Registered,
}

/// A client identity valid at one issuer.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// Unix seconds; `None` or 0 means it does not expire.
    pub client_secret_expires_at: Option<u64>,
    pub token_endpoint_auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub source: ClientSource,
    /// The private key this client proves itself with (`private_key_jwt`,
    /// RFC 7523), instead of a secret.
    pub private_key: Option<ClientKey>,
}

/// A client's private key, as PEM, and the algorithm chosen for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey {
    pub pem: Secret,
    pub alg: Option<SigningAlg>,
}

impl ClientKey {
    /// Read and check a PEM key file (see [`read_private_key_file`]).
    pub fn from_file(path: &std::path::Path, alg: Option<SigningAlg>) -> Result<Self> {
        Ok(ClientKey { pem: read_private_key_file(path, alg)?, alg })
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A signed JWT assertion (RFC 7523 §2.2) made with the client's key.
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "client_secret_basic" => Some(AuthMethod::ClientSecretBasic),
            "client_secret_post" => Some(AuthMethod::ClientSecretPost),
            "private_key_jwt" => Some(AuthMethod::PrivateKeyJwt),
            "none" => Some(AuthMethod::None),
            _ => None,
        }
    }

    /// The method for a client with or without a secret, from what the AS lists.
    /// RFC 8414: an absent list means `client_secret_basic`.
    pub fn choose(meta: &AuthServerMetadata, has_secret: bool) -> AuthMethod {
        let listed: Vec<AuthMethod> = match &meta.token_endpoint_auth_methods_supported {
            Some(list) => list.iter().filter_map(|m| AuthMethod::parse(m)).collect(),
            None => vec![AuthMethod::ClientSecretBasic],
        };
        if has_secret {
            for m in [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost] {
                if listed.contains(&m) {
                    return m;
                }
            }
            if meta.token_endpoint_auth_methods_supported.is_none() {
                return AuthMethod::ClientSecretBasic;
            }
        }
        AuthMethod::None
    }
}

impl RegisteredClient {
    /// A client id (and secret) the user typed or that a config gave.
    pub fn entered(meta: &AuthServerMetadata, client_id: &str, secret: Option<Secret>) -> Self {
        let method = AuthMethod::choose(meta, secret.is_some());
        RegisteredClient {
            issuer: meta.issuer.clone(),
            client_id: client_id.to_string(),
            client_secret: secret,
            client_secret_expires_at: None,
            token_endpoint_auth_method: method,
            redirect_uris: Vec::new(),
            source: ClientSource::Entered,
            private_key: None,
        }
    }

    /// A client id the user gave with its private key: it authenticates with
    /// `private_key_jwt`, whatever else the server lists.
    pub fn entered_with_key(meta: &AuthServerMetadata, client_id: &str, key: ClientKey) -> Self {
        RegisteredClient {
            token_endpoint_auth_method: AuthMethod::PrivateKeyJwt,
            private_key: Some(key),
            ..Self::entered(meta, client_id, None)
        }
    }

    /// A Client ID Metadata Document URL used as the client id (public client).
    pub fn metadata_document(meta: &AuthServerMetadata, url: &str) -> Result<Self> {
        let parsed = check_endpoint(url)?;
        if parsed.scheme() != "https" || parsed.path() == "/" || parsed.fragment().is_some() {
            return Err(Error::InvalidInput(format!("a client metadata document URL must be https with a path: {url}")));
        }
        Ok(RegisteredClient {
            issuer: meta.issuer.clone(),
            client_id: url.to_string(),
            client_secret: None,
            client_secret_expires_at: None,
            token_endpoint_auth_method: AuthMethod::None,
            redirect_uris: Vec::new(),
            source: ClientSource::MetadataDocument,
            private_key: None,
        })
    }

    /// True when the secret has expired (RFC 7591 `client_secret_expires_at`).
    pub fn secret_expired(&self, now: u64) -> bool {
        matches!(self.client_secret_expires_at, Some(t) if t != 0 && t <= now)
    }
}

/// What to register.
#[derive(Debug, Clone)]
pub struct RegistrationRequest<'a> {
    pub client_name: &'a str,
    pub redirect_uri: &'a str,
    pub scope: Option<&'a str>,
}

/// Dynamic Client Registration (RFC 7591) at the AS's `registration_endpoint`.
pub async fn register(http: &HttpClient, meta: &AuthServerMetadata, req: &RegistrationRequest<'_>) -> Result<RegisteredClient> {
    let endpoint = meta.registration_endpoint.as_deref().ok_or_else(|| Error::NeedsClientConfig { url: meta.issuer.clone() })?;
    // A native app cannot keep a secret: ask to be a public client when allowed
    // (an absent list is taken as allowing it, as most MCP servers do).
    let public_allowed = meta.token_endpoint_auth_methods_supported.as_ref().is_none_or(|l| l.iter().any(|m| m == "none"));
    // When a confidential client is required, ask for client_secret_post if it is
    // offered: it is what the MCP Python SDK's servers handle reliably (their
    // revocation endpoint wants the secret in the body), and the registration
    // answer then binds the method for every later request.
    let method = if public_allowed {
        AuthMethod::None
    } else if meta.token_endpoint_auth_methods_supported.as_ref().is_some_and(|l| l.iter().any(|m| m == "client_secret_post")) {
        AuthMethod::ClientSecretPost
    } else {
        AuthMethod::choose(meta, true)
    };
    let mut grant_types = vec!["authorization_code"];
    if meta.allows_refresh() {
        grant_types.push("refresh_token");
    }
    // Where the server offers sign-in from another device, the same client
    // may use it (`--browser device`, a later session on an SSH machine).
    if meta.offers_device_grant() {
        grant_types.push(crate::oauth::device::DEVICE_GRANT);
    }
    let mut body = json!({
        "client_name": req.client_name,
        "redirect_uris": [req.redirect_uri],
        "grant_types": grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": method.as_str(),
        "application_type": "native",
    });
    if let Some(scope) = req.scope.filter(|s| !s.is_empty()) {
        body["scope"] = json!(scope);
    }
    let fetched = http.send(Method::POST, endpoint, &[("accept", "application/json")], Body::Json(&body)).await?;
    if fetched.status.is_redirection() {
        return Err(Error::Redirected { url: endpoint.to_string(), what: "registration" });
    }
    if !fetched.status.is_success() {
        let reason = fetched
            .json::<Value>()
            .ok()
            .and_then(|v| {
                let e = v.get("error")?.as_str()?.to_string();
                let d = v.get("error_description").and_then(Value::as_str).unwrap_or("");
                Some(format!("{e} {d}").trim().chars().take(300).collect::<String>())
            })
            .unwrap_or_else(|| format!("HTTP {}", fetched.status.as_u16()));
        return Err(Error::Registration { url: endpoint.to_string(), reason });
    }
    let v: Value = fetched.json()?;
    parse_registration(endpoint, &v, meta, req.redirect_uri, method)
}

pub(crate) fn parse_registration(
    endpoint: &str,
    v: &Value,
    meta: &AuthServerMetadata,
    redirect_uri: &str,
    requested_method: AuthMethod,
) -> Result<RegisteredClient> {
    let fail = |reason: &str| Error::Registration { url: endpoint.to_string(), reason: reason.to_string() };
    let client_id = v
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 2048)
        .ok_or_else(|| fail("the answer has no client_id"))?;
    let redirect_uris: Vec<String> = v
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if !redirect_uris.is_empty() && !redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(fail("the server registered other redirect URIs than the one asked for"));
    }
    let secret = v.get("client_secret").and_then(Value::as_str).filter(|s| !s.is_empty()).map(Secret::new);
    let expires_at = v.get("client_secret_expires_at").and_then(Value::as_u64);
    let method = v.get("token_endpoint_auth_method").and_then(Value::as_str).and_then(AuthMethod::parse).unwrap_or(
        match (&secret, requested_method) {
            (Some(_), AuthMethod::None) => AuthMethod::choose(meta, true),
            _ => requested_method,
        },
    );
    // A server that hands out a secret while asking for `none` gets no secret sent.
    let method = match (method, &secret) {
        (AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost, None) => AuthMethod::None,
        (m, _) => m,
    };
    Ok(RegisteredClient {
        issuer: meta.issuer.clone(),
        client_id: client_id.to_string(),
        client_secret: secret,
        client_secret_expires_at: expires_at,
        token_endpoint_auth_method: method,
        redirect_uris: if redirect_uris.is_empty() { vec![redirect_uri.to_string()] } else { redirect_uris },
        source: ClientSource::Registered,
        private_key: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(methods: Option<&[&str]>) -> AuthServerMetadata {
        serde_json::from_value(json!({
            "issuer": "https://as", "authorization_endpoint": "https://as/a", "token_endpoint": "https://as/t",
            "token_endpoint_auth_methods_supported": methods,
        }))
        .unwrap()
    }

    #[test]
    fn auth_method_choice() {
        assert_eq!(AuthMethod::choose(&meta(None), true), AuthMethod::ClientSecretBasic);
        assert_eq!(AuthMethod::choose(&meta(Some(&["client_secret_post", "none"])), true), AuthMethod::ClientSecretPost);
        assert_eq!(AuthMethod::choose(&meta(Some(&["none"])), true), AuthMethod::None);
        assert_eq!(AuthMethod::choose(&meta(Some(&["client_secret_basic"])), false), AuthMethod::None);
    }

    #[test]
    fn registration_answer_checks() {
        let m = meta(Some(&["none"]));
        let ok = parse_registration(
            "e",
            &json!({"client_id": "c", "redirect_uris": ["http://127.0.0.1:1/cb"]}),
            &m,
            "http://127.0.0.1:1/cb",
            AuthMethod::None,
        )
        .unwrap();
        assert_eq!(ok.client_id, "c");
        let other = parse_registration(
            "e",
            &json!({"client_id": "c", "redirect_uris": ["https://evil/cb"]}),
            &m,
            "http://127.0.0.1:1/cb",
            AuthMethod::None,
        );
        assert!(other.is_err());
        let secret = parse_registration(
            "e",
            &json!({"client_id": "c", "client_secret": "s", "client_secret_expires_at": 100}),
            &m,
            "u",
            AuthMethod::None,
        )
        .unwrap();
        assert!(secret.secret_expired(100) && !secret.secret_expired(99));
        assert_eq!(secret.token_endpoint_auth_method, AuthMethod::None);
        assert!(parse_registration("e", &json!({"client_secret": "s"}), &m, "u", AuthMethod::None).is_err());
    }
}
