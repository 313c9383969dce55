//! Enterprise-Managed Authorization (SEP-990), its first half: the person's ID
//! token from the company's identity provider is exchanged there (RFC 8693) for
//! an Identity Assertion JWT Authorization Grant (ID-JAG) naming the MCP
//! server's authorization server and resource. The second half is the JWT
//! bearer grant at that authorization server ([`TokenEndpoint::jwt_bearer`]).
//!
//! [`TokenEndpoint::jwt_bearer`]: crate::oauth::token::TokenEndpoint::jwt_bearer

use reqwest::Method;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::net::http::{Body, HttpClient};
use crate::oauth::token::token_error;
use crate::vault::secret::Secret;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";

/// Where the identity provider is, and who this app is there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdentityProvider {
    pub issuer: String,
    pub token_endpoint: String,
    pub client_id: String,
}

/// Exchange `id_token` at the identity provider for an ID-JAG for the
/// authorization server `audience` and the MCP server `resource`.
pub async fn exchange_for_id_jag(
    http: &HttpClient,
    idp: &IdentityProvider,
    id_token: &Secret,
    audience: &str,
    resource: &str,
    scope: Option<&str>,
) -> Result<Secret> {
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", TOKEN_EXCHANGE),
        ("requested_token_type", ID_JAG),
        ("subject_token", id_token.expose()),
        ("subject_token_type", ID_TOKEN),
        ("audience", audience),
        ("resource", resource),
        ("client_id", &idp.client_id),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let fetched = http.send(Method::POST, &idp.token_endpoint, &[("accept", "application/json")], Body::Form(&form)).await?;
    if fetched.status.is_redirection() {
        return Err(Error::Redirected { url: idp.token_endpoint.clone(), what: "identity provider's token" });
    }
    if !fetched.status.is_success() {
        return Err(match token_error(&fetched) {
            Error::TokenEndpoint { error, description, status } => {
                Error::TokenEndpoint { status, error: format!("the identity provider refused the exchange: {error}"), description }
            }
            other => other,
        });
    }
    let refuse =
        |why: &str| Error::TokenEndpoint { status: None, error: format!("the identity provider's answer {why}"), description: None };
    let v: Value = serde_json::from_slice(&fetched.body).map_err(|_| refuse("is not JSON"))?;
    // RFC 8693 §2.2.1: the issued type says what the token is; anything but an
    // ID-JAG (an access token for the IdP itself…) must not go to the AS.
    if v.get("issued_token_type").and_then(Value::as_str) != Some(ID_JAG) {
        return Err(refuse("is not an ID-JAG (issued_token_type)"));
    }
    let jag = v.get("access_token").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| refuse("has no access_token"))?;
    Ok(Secret::new(jag))
}
