//! The token endpoint: authorization-code exchange, refresh, and revocation
//! (RFC 6749 §4.1.3/§6, RFC 7009), with the client authentication method the
//! registration chose.
//!
//! None of these requests follows a redirect (a 302 from a token endpoint is an
//! attack or a misconfiguration, and following it would replay the code or the
//! secret). Responses are checked strictly where it matters (`access_token`,
//! `token_type` Bearer) and leniently where servers differ (unknown fields, an
//! absent or odd `expires_in`, no refresh token). Error messages carry the OAuth
//! error code and status, never a request body.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::net::http::{Body, Fetched, HttpClient};
use crate::oauth::account;
use crate::oauth::dpop;
use crate::oauth::grant::{expiry_from, Clock, Grant};
use crate::oauth::jwt::{self, SigningKey};
use crate::oauth::registration::{AuthMethod, RegisteredClient};
use crate::oauth::scope;
use crate::vault::secret::Secret;

/// A token response that passed the checks.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub token_type: String,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<u64>,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    pub id_token_present: bool,
    /// The account the ID token or a JWT access token names, for display
    /// ([`account`](crate::oauth::account)).
    pub account: Option<String>,
    /// The DPoP key this request proved (RFC 9449). The access token is bound
    /// to it where `token_type` is DPoP; a Bearer answer leaves the access
    /// token unbound, but the refresh token may still be bound (§5), so the
    /// next refresh proves the same key again.
    pub dpop_key: Option<Secret>,
}

/// Where and as whom to call the token endpoint.
#[derive(Debug, Clone, Copy)]
pub struct TokenEndpoint<'a> {
    pub url: &'a str,
    pub client: &'a RegisteredClient,
    /// Ask for tokens bound to this DPoP key (RFC 9449): each request carries
    /// a proof made with it.
    pub dpop: Option<&'a Secret>,
}

impl TokenEndpoint<'_> {
    /// Exchange an authorization code (PKCE verifier and `resource` included).
    pub async fn exchange(
        &self,
        http: &HttpClient,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
        resource: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<TokenResponse> {
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.expose()),
        ];
        if let Some(r) = resource {
            form.push(("resource", r));
        }
        let fetched = self.post(http, form).await?;
        self.read(&fetched, clock.now())
    }

    /// The client credentials grant (RFC 6749 §4.4): the client itself, no person.
    pub async fn client_credentials(
        &self,
        http: &HttpClient,
        scope: Option<&str>,
        resource: &str,
        clock: &dyn Clock,
    ) -> Result<TokenResponse> {
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials"), ("resource", resource)];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        let fetched = self.post(http, form).await?;
        self.read(&fetched, clock.now())
    }

    /// The JWT bearer grant (RFC 7523 §2.1): `assertion` (a workload's token,
    /// an ID-JAG) stands for the authorization. A public client sends only
    /// its id; client authentication is as registered.
    pub async fn jwt_bearer(
        &self,
        http: &HttpClient,
        assertion: &Secret,
        scope: Option<&str>,
        resource: &str,
        clock: &dyn Clock,
    ) -> Result<TokenResponse> {
        let mut form: Vec<(&str, &str)> = vec![("grant_type", JWT_BEARER_GRANT), ("assertion", assertion.expose()), ("resource", resource)];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        let fetched = self.post(http, form).await?;
        self.read(&fetched, clock.now())
    }

    /// Refresh. A new refresh token replaces the old; none returned keeps the old.
    pub async fn refresh(&self, http: &HttpClient, grant: &Grant, clock: &dyn Clock) -> Result<Grant> {
        let refresh = grant.refresh_token.as_ref().ok_or(Error::InvalidGrant { description: Some("no refresh token is stored".into()) })?;
        let form: Vec<(&str, &str)> =
            vec![("grant_type", "refresh_token"), ("refresh_token", refresh.expose()), ("resource", grant.resource.as_str())];
        let fetched = self.post(http, form).await?;
        let now = clock.now();
        let response = self.read(&fetched, now)?;
        let mut next = grant.clone();
        next.access_token = response.access_token;
        next.token_type = response.token_type;
        if let Some(rt) = response.refresh_token {
            next.refresh_token = Some(rt);
        }
        next.expires_at = response.expires_at;
        next.dpop_key = response.dpop_key;
        // A renewal that names nobody keeps the name the sign-in gave.
        if response.account.is_some() {
            next.account = response.account;
        }
        if let Some(s) = response.scope {
            next.scopes = scope::split(&s);
        }
        next.obtained_at = now;
        Ok(next)
    }

    /// Revoke one token (RFC 7009). `Ok(true)` when the server confirmed (200).
    pub async fn revoke(&self, http: &HttpClient, token: &Secret, hint: &str) -> Result<bool> {
        let form: Vec<(&str, &str)> = vec![("token", token.expose()), ("token_type_hint", hint)];
        let fetched = self.post(http, form).await?;
        if fetched.status.is_success() {
            return Ok(true);
        }
        // An OAuth error (`unsupported_token_type`…) is the server's word; any
        // other failure is the revocation endpoint's status, not "the token endpoint".
        match token_error(&fetched) {
            e @ (Error::InvalidGrant { .. } | Error::TokenEndpoint { .. } | Error::ClientRejected { .. }) if is_oauth_error(&fetched) => {
                Err(e)
            }
            _ => Err(Error::HttpStatus {
                url: self.url.to_string(),
                status: fetched.status.as_u16(),
                content_type: Some(fetched.content_type()).filter(|c| !c.is_empty()),
            }),
        }
    }

    /// POST a form with this client's authentication (the device authorization
    /// endpoint authenticates clients the same way).
    pub(crate) async fn post(&self, http: &HttpClient, form: Vec<(&str, &str)>) -> Result<Fetched> {
        // A server that wants a DPoP nonce says so once (§8): the request is
        // made again with it, with a new proof and a new client assertion.
        let first = self.post_once(http, form.clone()).await?;
        let retry = self.dpop.is_some()
            && first.status == reqwest::StatusCode::BAD_REQUEST
            && dpop::remember_nonce(self.url, &first.headers)
            && dpop::asks_for_nonce(&[], &first.body);
        if !retry {
            if self.dpop.is_some() {
                dpop::remember_nonce(self.url, &first.headers);
            }
            return Ok(first);
        }
        self.post_once(http, form).await
    }

    async fn post_once(&self, http: &HttpClient, mut form: Vec<(&str, &str)>) -> Result<Fetched> {
        let client = self.client;
        let mut headers: Vec<(&str, String)> = vec![("accept", "application/json".into())];
        let secret = client.client_secret.as_ref().map(Secret::expose);
        match (client.token_endpoint_auth_method, secret) {
            (AuthMethod::ClientSecretBasic, Some(secret)) => {
                headers.push(("authorization", basic_auth(&client.client_id, secret)));
                // The id (not the secret) in the body too: RFC 6749 allows it,
                // and some servers (the MCP Python SDK's) require it.
                form.push(("client_id", &client.client_id));
            }
            (AuthMethod::ClientSecretPost, Some(secret)) => {
                form.push(("client_id", &client.client_id));
                form.push(("client_secret", secret));
            }
            // No id at all: a JWT bearer grant whose assertion stands alone.
            _ if client.client_id.is_empty() => {}
            _ => form.push(("client_id", &client.client_id)),
        }
        // RFC 7523 §2.2: the client proves itself with a fresh signed assertion.
        let assertion = match (&client.token_endpoint_auth_method, &client.private_key) {
            (AuthMethod::PrivateKeyJwt, Some(key)) => {
                let key = SigningKey::from_pem(&key.pem, key.alg)?;
                Some(jwt::client_assertion(&key, &client.client_id, &client.issuer, wall_clock())?)
            }
            _ => None,
        };
        if let Some(a) = &assertion {
            form.push(("client_assertion_type", JWT_BEARER_ASSERTION));
            form.push(("client_assertion", a.expose()));
        }
        let proof = self.dpop.map(|key| dpop::proof(key, "POST", self.url, None)).transpose()?;
        if let Some(p) = &proof {
            headers.push(("dpop", p.expose().to_string()));
        }
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fetched = http.send(Method::POST, self.url, &borrowed, Body::Form(&form)).await?;
        if fetched.status.is_redirection() {
            return Err(Error::Redirected { url: self.url.to_string(), what: "token" });
        }
        Ok(fetched)
    }

    /// Read a token answer: a `DPoP` token is only taken when this request
    /// sent a proof (a server binding a token to a key it never saw is
    /// broken); the key the request proved stays with the answer either way
    /// (a Bearer answer to a DPoP request is an unbound access token, §5).
    pub(crate) fn read(&self, fetched: &Fetched, now: u64) -> Result<TokenResponse> {
        let mut response = parse_token_response(fetched, now)?;
        if response.token_type.eq_ignore_ascii_case("DPoP") && self.dpop.is_none() {
            return Err(Error::TokenEndpoint {
                status: None,
                error: "the token is bound to a DPoP key this client never sent".into(),
                description: None,
            });
        }
        response.dpop_key = self.dpop.cloned();
        Ok(response)
    }
}

/// RFC 7523's grant type and client assertion type.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Seconds since the epoch by the system clock: an assertion's `iat` is read
/// by the server against real time, whatever clock the caller tests with.
fn wall_clock() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before joining with `:`.
pub fn basic_auth(client_id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret))))
}

fn is_oauth_error(fetched: &Fetched) -> bool {
    serde_json::from_slice::<Value>(&fetched.body).ok().and_then(|v| v.get("error").map(Value::is_string)).unwrap_or(false)
}

pub(crate) fn token_error(fetched: &Fetched) -> Error {
    let status = fetched.status.as_u16();
    let parsed: Option<Value> = serde_json::from_slice(&fetched.body).ok();
    let code = parsed.as_ref().and_then(|v| v.get("error")).and_then(Value::as_str).map(|s| s.chars().take(100).collect::<String>());
    let description =
        parsed.as_ref().and_then(|v| v.get("error_description")).and_then(Value::as_str).map(|s| s.chars().take(300).collect::<String>());
    match code.as_deref() {
        Some("invalid_grant") => Error::InvalidGrant { description },
        Some(c @ ("invalid_client" | "unauthorized_client")) => Error::ClientRejected { error: c.to_string(), description },
        Some(c) => Error::TokenEndpoint { status: Some(status), error: c.to_string(), description },
        None => Error::TokenEndpoint {
            status: Some(status),
            error: format!("an unreadable answer ({})", {
                let ct = fetched.content_type();
                if ct.is_empty() {
                    "no content type".to_string()
                } else {
                    ct
                }
            }),
            description: None,
        },
    }
}

/// Check and read a token endpoint answer.
pub fn parse_token_response(fetched: &Fetched, now: u64) -> Result<TokenResponse> {
    if !fetched.status.is_success() {
        return Err(token_error(fetched));
    }
    let v: Value = serde_json::from_slice(&fetched.body).map_err(|_| Error::TokenEndpoint {
        status: Some(fetched.status.as_u16()),
        error: "the answer is not JSON".into(),
        description: None,
    })?;
    parse_token_json(&v, now)
}

/// Check a token response body (public for the fuzz targets).
pub fn parse_token_json(v: &Value, now: u64) -> Result<TokenResponse> {
    let refuse = |why: &str| Error::TokenEndpoint { status: None, error: why.to_string(), description: None };
    if v.get("error").is_some() {
        return Err(refuse("the answer is an error"));
    }
    let access_token =
        v.get("access_token").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| refuse("the answer has no access_token"))?;
    let token_type = v.get("token_type").and_then(Value::as_str).ok_or_else(|| refuse("the answer has no token_type"))?;
    let token_type = match token_type {
        t if t.eq_ignore_ascii_case("bearer") => "Bearer",
        t if t.eq_ignore_ascii_case("dpop") => "DPoP",
        _ => return Err(refuse("the token type is neither Bearer nor DPoP")),
    };
    let expires_at = expiry_from(v.get("expires_in"), now);
    Ok(TokenResponse {
        access_token: Secret::new(access_token),
        token_type: token_type.into(),
        refresh_token: v.get("refresh_token").and_then(Value::as_str).filter(|s| !s.is_empty()).map(Secret::new),
        expires_at,
        expires_in: expires_at.map(|t| t.saturating_sub(now)),
        scope: v.get("scope").and_then(Value::as_str).map(str::to_owned),
        id_token_present: v.get("id_token").is_some(),
        account: account::named_in(v.get("id_token").and_then(Value::as_str), access_token),
        dpop_key: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn basic_auth_encodes_before_joining() {
        // "a:b" id and "p w" secret → "a%3Ab:p+w"
        assert_eq!(basic_auth("a:b", "p w"), format!("Basic {}", STANDARD.encode("a%3Ab:p+w")));
    }

    #[test]
    fn token_response_checks() {
        let ok = parse_token_json(&json!({"access_token": "t", "token_type": "bEaReR", "expires_in": 60, "x": 1}), 100).unwrap();
        assert_eq!((ok.expires_at, ok.refresh_token.is_none()), (Some(160), true));
        for bad in [
            json!({"token_type": "Bearer"}),
            json!({"access_token": "", "token_type": "Bearer"}),
            json!({"access_token": "t"}),
            json!({"access_token": "t", "token_type": "mac"}),
            json!({"access_token": 5, "token_type": "Bearer"}),
        ] {
            assert!(parse_token_json(&bad, 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_dpop_token_is_taken_only_when_a_proof_was_sent() {
        let client = RegisteredClient::entered(&crate::oauth::discovery::default_endpoints("http://127.0.0.1"), "c", None);
        let answer = |token_type: &str| Fetched {
            url: url::Url::parse("http://127.0.0.1/token").unwrap(),
            status: reqwest::StatusCode::OK,
            headers: Default::default(),
            body: json!({"access_token": "t", "token_type": token_type}).to_string().into_bytes(),
        };
        let key = Secret::new("k");
        let unbound = TokenEndpoint { url: "http://127.0.0.1/token", client: &client, dpop: None };
        let bound = TokenEndpoint { dpop: Some(&key), ..unbound };
        assert!(unbound.read(&answer("DPoP"), 0).is_err(), "bound to a key never sent");
        assert_eq!(bound.read(&answer("DPoP"), 0).unwrap().dpop_key, Some(key.clone()));
        // The server declined to bind the access token: the key stays for the
        // refresh token, which may still be bound to it (RFC 9449 §5).
        let declined = bound.read(&answer("Bearer"), 0).unwrap();
        assert_eq!(declined.dpop_key, Some(key.clone()));
        let grant = crate::oauth::grant::Grant {
            token_type: declined.token_type.clone(),
            dpop_key: declined.dpop_key.clone(),
            ..crate::oauth::grant::Grant::test_default()
        };
        assert!(grant.access_proof_key().is_none(), "a Bearer token is not sent with a proof");
        assert!(grant.summary().dpop_bound, "the grant stays bound to this computer: its refresh needs the key");
        let grant = crate::oauth::grant::Grant { token_type: "DPoP".into(), ..grant };
        assert_eq!(grant.access_proof_key(), Some(&key));
    }

    #[test]
    fn errors_never_contain_the_token() {
        let e = parse_token_json(&json!({"access_token": "t0ken-marker"}), 0).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("marker"));
    }
}
