//! The token endpoint: authorization-code exchange, refresh, client
//! credentials, the JWT bearer grant and revocation (RFC 6749 §4.1.3/§6/§4.4,
//! RFC 7523, RFC 7009), with the client authentication method the registration
//! chose.
//!
//! Who builds which request. The `oauth2` crate builds the standard grants
//! (the code exchange with its PKCE verifier, refresh, client credentials) and
//! the client's `client_secret_basic`/`client_secret_post` authentication,
//! sent through the engine's HTTP client by `oauth::carrier`; this file adds
//! what `oauth2` has no place for (`resource`, a fresh `private_key_jwt`
//! assertion, the DPoP nonce retry) and reads the answer. The engine's own
//! form stays for what `oauth2` does not carry: the JWT bearer grant (not in
//! `oauth2`), the device grant's requests (`oauth::device`), and revocation
//! (`oauth2` refuses a revocation endpoint that is not https, and a server on
//! this computer is served over plain http), and a refresh for a grant with
//! no client id (where `oauth2` would send an empty one).
//!
//! `oauth2`'s values for the code, the verifier, the refresh token and the
//! client secret are copies that are not wiped on drop, as a [`Secret`] is;
//! they live for one request, as the encoded form body always did.
//!
//! None of these requests follows a redirect (a 302 from a token endpoint is an
//! attack or a misconfiguration, and following it would replay the code or the
//! secret). Responses are checked strictly where it matters (`access_token`,
//! `token_type` Bearer) and leniently where servers differ (unknown fields, an
//! absent or odd `expires_in`, no refresh token). Error messages carry the OAuth
//! error code and status, never a request body.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, TokenUrl,
};
use reqwest::Method;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::net::http::{Body, Fetched, HttpClient};
use crate::oauth::account;
use crate::oauth::carrier::{Answer, Carrier};
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
        let request = Standard::Code { code, verifier, redirect_uri, resource };
        self.read_answer(self.send_standard(http, &request).await?, clock.now())
    }

    /// The client credentials grant (RFC 6749 §4.4): the client itself, no person.
    pub async fn client_credentials(
        &self,
        http: &HttpClient,
        scope: Option<&str>,
        resource: &str,
        clock: &dyn Clock,
    ) -> Result<TokenResponse> {
        let request = Standard::ClientCredentials { scope, resource };
        self.read_answer(self.send_standard(http, &request).await?, clock.now())
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
        let now = clock.now();
        let response = if self.client.client_id.is_empty() {
            // A grant obtained with an assertion and no client (RFC 7523 §2.1):
            // `oauth2` would send an empty `client_id`, which servers refuse.
            let form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh.expose()), ("resource", grant.resource.as_str())];
            self.read(&self.post(http, form).await?, now)?
        } else {
            let request = Standard::Refresh { refresh_token: refresh, resource: &grant.resource };
            self.read_answer(self.send_standard(http, &request).await?, now)?
        };
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
        if !self.asks_for_a_nonce(&first) {
            return Ok(first);
        }
        self.post_once(http, form).await
    }

    /// Whether the server wants a DPoP nonce (§8: a 400 `use_dpop_nonce`
    /// with the nonce in a header), remembering any nonce it sent either way.
    /// Asked once: the request is then made again with a new proof (and a new
    /// client assertion).
    fn asks_for_a_nonce(&self, answer: &Fetched) -> bool {
        if self.dpop.is_none() {
            return false;
        }
        let remembered = dpop::remember_nonce(self.url, &answer.headers);
        remembered && answer.status == reqwest::StatusCode::BAD_REQUEST && dpop::asks_for_nonce(&[], &answer.body)
    }

    /// A standard request, built by `oauth2` and sent by the carrier, asked
    /// again once if the server wants a DPoP nonce.
    async fn send_standard(&self, http: &HttpClient, request: &Standard<'_>) -> Result<Sent> {
        let first = self.send_standard_once(http, request).await?;
        if !self.asks_for_a_nonce(&first.answer) {
            return Ok(first);
        }
        self.send_standard_once(http, request).await
    }

    async fn send_standard_once(&self, http: &HttpClient, request: &Standard<'_>) -> Result<Sent> {
        let carrier = Carrier::new(http, self.dpop);
        let client = self.oauth_client()?;
        // What oauth2 has no place for: the id beside Basic credentials (RFC
        // 6749 allows it; some servers, the MCP Python SDK's, require it), and
        // RFC 7523 §2.2's assertion, made fresh for each request.
        let mut extra: Vec<(&str, String)> = Vec::new();
        if self.client.token_endpoint_auth_method == AuthMethod::ClientSecretBasic && self.client.client_secret.is_some() {
            extra.push(("client_id", self.client.client_id.clone()));
        }
        let assertion = self.client_assertion()?;
        if let Some(a) = &assertion {
            extra.push(("client_assertion_type", JWT_BEARER_ASSERTION.into()));
            extra.push(("client_assertion", a.expose().to_owned()));
        }
        let parsed = match *request {
            Standard::Code { code, verifier, redirect_uri, resource } => {
                let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| Error::InvalidInput("the redirect URI is not a URL".into()))?;
                let mut r = client
                    .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
                    .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_owned()))
                    .set_redirect_uri(Cow::Owned(redirect));
                if let Some(resource) = resource {
                    r = r.add_extra_param("resource", resource);
                }
                for (k, v) in extra {
                    r = r.add_extra_param(k, v);
                }
                r.request_async(&carrier).await
            }
            Standard::Refresh { refresh_token, resource } => {
                let token = RefreshToken::new(refresh_token.expose().to_owned());
                let mut r = client.exchange_refresh_token(&token).add_extra_param("resource", resource);
                for (k, v) in extra {
                    r = r.add_extra_param(k, v);
                }
                r.request_async(&carrier).await
            }
            Standard::ClientCredentials { scope, resource } => {
                let mut r = client
                    .exchange_client_credentials()
                    .add_scopes(scope.unwrap_or_default().split_whitespace().map(|s| Scope::new(s.to_owned())))
                    .add_extra_param("resource", resource);
                for (k, v) in extra {
                    r = r.add_extra_param(k, v);
                }
                r.request_async(&carrier).await
            }
        };
        let answer = carrier.take_answer();
        match (parsed, answer) {
            (Err(RequestTokenError::Request(e)), _) => Err(e),
            (parsed, Some(answer)) => Ok(Sent { parsed: parsed.ok(), answer }),
            // oauth2 refused before anything was sent.
            (Err(e), None) => Err(Error::TokenEndpoint { status: None, error: format!("the request could not be made ({e})"), description: None }),
            (Ok(_), None) => Err(Error::TokenEndpoint { status: None, error: "no answer".into(), description: None }),
        }
    }

    /// This client as `oauth2` knows it: its id, and its secret sent the way
    /// it registered (none for a public client or a `private_key_jwt` one,
    /// whose id then goes in the body).
    fn oauth_client(&self) -> Result<StandardClient> {
        let url = TokenUrl::new(self.url.to_owned()).map_err(|_| Error::InvalidInput("the token endpoint is not a URL".into()))?;
        let client = oauth2::Client::new(ClientId::new(self.client.client_id.clone())).set_token_uri(url);
        Ok(match (self.client.token_endpoint_auth_method, &self.client.client_secret) {
            (AuthMethod::ClientSecretBasic, Some(secret)) => {
                client.set_client_secret(ClientSecret::new(secret.expose().to_owned())).set_auth_type(AuthType::BasicAuth)
            }
            (AuthMethod::ClientSecretPost, Some(secret)) => {
                client.set_client_secret(ClientSecret::new(secret.expose().to_owned())).set_auth_type(AuthType::RequestBody)
            }
            _ => client.set_auth_type(AuthType::RequestBody),
        })
    }

    /// RFC 7523 §2.2: a `private_key_jwt` client proves itself with a fresh
    /// signed assertion on every request.
    fn client_assertion(&self) -> Result<Option<Secret>> {
        match (&self.client.token_endpoint_auth_method, &self.client.private_key) {
            (AuthMethod::PrivateKeyJwt, Some(key)) => {
                let key = SigningKey::from_pem(&key.pem, key.alg)?;
                jwt::client_assertion(&key, &self.client.client_id, &self.client.issuer, wall_clock()).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Read what a standard request brought back. What `oauth2` did not
    /// read (it takes only a 200 with a JSON content type, where servers
    /// answer 201 or `text/plain` around good JSON) is read from the answer
    /// itself, as every answer was before: tokens from any success that is
    /// JSON, else the OAuth error with its status.
    fn read_answer(&self, sent: Sent, now: u64) -> Result<TokenResponse> {
        match sent.parsed {
            Some(answer) => self.checked(parse_token_json(&answer.json, now)?),
            None => self.read(&sent.answer, now),
        }
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
        let assertion = self.client_assertion()?;
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
        self.checked(parse_token_response(fetched, now)?)
    }

    fn checked(&self, mut response: TokenResponse) -> Result<TokenResponse> {
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

/// The standard requests `oauth2` builds.
enum Standard<'r> {
    Code { code: &'r Secret, verifier: &'r Secret, redirect_uri: &'r str, resource: Option<&'r str> },
    Refresh { refresh_token: &'r Secret, resource: &'r str },
    ClientCredentials { scope: Option<&'r str>, resource: &'r str },
}

/// A standard request's answer: what `oauth2` read of it (nothing when it
/// could not), and the answer itself.
struct Sent {
    parsed: Option<Answer>,
    answer: Fetched,
}

/// `oauth2`'s client with a token endpoint and the engine's token answer.
type StandardClient = oauth2::Client<
    BasicErrorResponse,
    Answer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

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
