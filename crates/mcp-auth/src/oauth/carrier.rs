//! The `oauth2` crate's token endpoint requests, carried by the engine's one
//! HTTP client.
//!
//! `oauth2` builds the standard requests ([`token`](crate::oauth::token) lists
//! which) and reads the standard errors; [`Carrier`] is the `AsyncHttpClient`
//! it sends them through, so every rule of `net::http` holds for them: what may
//! be contacted, the body cap, the time-outs, the proxy choice. Around that the
//! carrier does what `oauth2` has no place for: a redirect is refused, never
//! followed (it would replay the code or the secret elsewhere); each request
//! carries a fresh DPoP proof when the grant is bound to a key (RFC 9449); and
//! the answer is kept whole, so that `token.rs` reads it the engine's way (the
//! OAuth error with its status and content type, never a body in an error; the
//! DPoP nonce a server asks for).
//!
//! [`Answer`] is the token response type handed to `oauth2`: the answer's JSON
//! as sent, checked afterwards by `parse_token_json`. `oauth2`'s own
//! `StandardTokenResponse` refuses answers real servers send (`"expires_in":
//! "3600"`), and its parse error carries the whole body, tokens included.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, HttpRequest, HttpResponse, RefreshToken, Scope};
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::net::http::{Body, Fetched, HttpClient};
use crate::oauth::dpop;
use crate::vault::secret::Secret;

/// `oauth2`'s HTTP client for one request. It owns what it uses (a clone of
/// the engine's client shares its connections): with a borrowed client, the
/// futures `oauth2` returns are not provably `Send` for every lifetime, which
/// every task that signs in needs.
pub(crate) struct Carrier {
    http: HttpClient,
    /// The key this grant is bound to: each request proves it.
    dpop: Option<Secret>,
    answer: Mutex<Option<Fetched>>,
}

impl Carrier {
    pub(crate) fn new(http: &HttpClient, dpop: Option<&Secret>) -> Self {
        Carrier { http: http.clone(), dpop: dpop.cloned(), answer: Mutex::new(None) }
    }

    /// The last answer the server gave, taken.
    pub(crate) fn take_answer(&self) -> Option<Fetched> {
        self.answer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let url = request.uri().to_string();
        let mut headers: Vec<(String, String)> =
            request.headers().iter().filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))).collect();
        let proof = self.dpop.as_ref().map(|key| dpop::proof(key, request.method().as_str(), &url, None)).transpose()?;
        if let Some(p) = &proof {
            headers.push(("dpop".into(), p.expose().to_owned()));
        }
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let fetched = self.http.send(Method::POST, &url, &borrowed, Body::Encoded(request.body())).await?;
        if fetched.status.is_redirection() {
            return Err(Error::Redirected { url, what: "token" });
        }
        let mut response = oauth2::http::Response::builder().status(fetched.status.as_u16());
        if let Some(headers) = response.headers_mut() {
            headers.extend(fetched.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let response = response
            .body(fetched.body.clone())
            .map_err(|_| Error::TokenEndpoint { status: Some(fetched.status.as_u16()), error: "an unreadable answer".into(), description: None })?;
        *self.answer.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(fetched);
        Ok(response)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Carrier {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// A token endpoint's answer as `oauth2` hands it back: the JSON as sent
/// (`json`), and what `oauth2`'s trait asks to see of it. Read by
/// `token::parse_token_json`, which decides what is acceptable.
pub(crate) struct Answer {
    pub json: Value,
    access_token: AccessToken,
    token_type: BasicTokenType,
    refresh_token: Option<RefreshToken>,
    expires_in: Option<Duration>,
    scopes: Option<Vec<Scope>>,
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let json = Value::deserialize(deserializer)?;
        let text = |key: &str| json.get(key).and_then(Value::as_str);
        Ok(Answer {
            access_token: AccessToken::new(text("access_token").unwrap_or_default().to_owned()),
            token_type: match text("token_type") {
                Some(t) if t.eq_ignore_ascii_case("bearer") => BasicTokenType::Bearer,
                other => BasicTokenType::Extension(other.unwrap_or_default().to_owned()),
            },
            refresh_token: text("refresh_token").map(|t| RefreshToken::new(t.to_owned())),
            expires_in: json.get("expires_in").and_then(Value::as_u64).map(Duration::from_secs),
            scopes: text("scope").map(|s| s.split_whitespace().map(|s| Scope::new(s.to_owned())).collect()),
            json,
        })
    }
}

/// `oauth2` asks that a token response can be serialized; this one writes
/// nothing, so no token can leave through it.
impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Answer(***)")
    }
}

impl oauth2::TokenResponse for Answer {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_neither_shows_nor_serializes_its_tokens() {
        let answer: Answer = serde_json::from_str(r#"{"access_token":"at-marker","refresh_token":"rt-marker","token_type":"bearer"}"#).unwrap();
        let shown = format!("{answer:?} {}", serde_json::to_string(&answer).unwrap());
        assert!(!shown.contains("marker"), "{shown}");
        assert_eq!(oauth2::TokenResponse::token_type(&answer), &BasicTokenType::Bearer);
        assert_eq!(answer.json["access_token"], "at-marker");
    }

    #[test]
    fn an_answer_servers_really_send_is_taken_for_the_engine_to_judge() {
        // A string `expires_in` (which oauth2's standard response refuses), an
        // unknown token type, no access token: kept as sent.
        for body in [r#"{"access_token":"t","token_type":"Bearer","expires_in":"3600"}"#, r#"{"token_type":"mac"}"#, "[1]"] {
            let answer: Answer = serde_json::from_str(body).unwrap();
            assert_eq!(answer.json, serde_json::from_str::<Value>(body).unwrap());
        }
    }
}
