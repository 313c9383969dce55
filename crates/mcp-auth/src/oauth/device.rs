//! Sign-in when the browser is on another device: the OAuth 2.0 device
//! authorization grant (RFC 8628), for SSH sessions, containers and servers in
//! a closet, where no browser can come back to a loopback port.
//!
//! The authorization server gives a user code and a page; the person opens the
//! page on their phone or laptop and types the code; meanwhile the token
//! endpoint is asked at the interval it set (`slow_down` adds five seconds),
//! until it answers with tokens, says no (`access_denied`), or the code
//! expires (`expired_token`). The wait is bounded by the code's own lifetime
//! and by the sign-in timeout, whichever ends first. What is shown is checked
//! first: the page must be a URL a browser may open, the code short printable
//! text (it comes from the server, and is displayed as text only).

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::net::browser::BrowserUrl;
use crate::net::http::HttpClient;
use crate::net::loopback::CancelSignal;
use crate::oauth::grant::Clock;
use crate::oauth::registration::RegisteredClient;
use crate::oauth::token::{token_error, TokenEndpoint, TokenResponse};
use crate::vault::secret::Secret;

/// The grant type of RFC 8628 §3.4.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The interval when the server names none (RFC 8628 §3.2), and the most a
/// server may make the client wait between polls.
const DEFAULT_INTERVAL: u64 = 5;
const MAX_INTERVAL: u64 = 60;
const MAX_USER_CODE: usize = 64;

/// What the person is shown: where to go, and the code to type there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The page with the code filled in, when the server offers one.
    pub verification_uri_complete: Option<String>,
    /// Seconds until the code expires.
    pub expires_in: u64,
}

/// A device authorization in progress.
pub(crate) struct DeviceAuthorization {
    pub prompt: DevicePrompt,
    device_code: Secret,
    interval: u64,
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The device authorization response (RFC 8628 §3.2), checked.
pub(crate) fn parse_device_response(url: &str, v: &Value) -> Result<DeviceAuthorization> {
    let bad = |reason: &str| Error::metadata(url, reason.to_string());
    let device_code = field(v, "device_code").ok_or_else(|| bad("the device authorization gave no device_code"))?;
    let user_code = field(v, "user_code").ok_or_else(|| bad("the device authorization gave no user_code"))?;
    if user_code.chars().count() > MAX_USER_CODE || user_code.chars().any(|c| c.is_control()) {
        return Err(bad("the user code is not short printable text"));
    }
    // Some servers wrote `verification_url` (an early draft's name).
    let page = field(v, "verification_uri")
        .or_else(|| field(v, "verification_url"))
        .ok_or_else(|| bad("the device authorization gave no verification_uri"))?;
    let page = BrowserUrl::parse(page)?.as_str().to_string();
    let complete = field(v, "verification_uri_complete").and_then(|u| BrowserUrl::parse(u).ok()).map(|u| u.as_str().to_string());
    let expires_in =
        v.get("expires_in").and_then(Value::as_u64).filter(|s| *s > 0).ok_or_else(|| bad("the device authorization gave no expires_in"))?;
    let interval = v.get("interval").and_then(Value::as_u64).unwrap_or(DEFAULT_INTERVAL).clamp(1, MAX_INTERVAL);
    Ok(DeviceAuthorization {
        prompt: DevicePrompt { user_code: user_code.to_string(), verification_uri: page, verification_uri_complete: complete, expires_in },
        device_code: Secret::new(device_code.to_string()),
        interval,
    })
}

/// Ask the device authorization endpoint for a code (client authentication as
/// at the token endpoint).
pub(crate) async fn authorize_device(
    http: &HttpClient,
    endpoint: &str,
    client: &RegisteredClient,
    scope: Option<&str>,
    resource: &str,
) -> Result<DeviceAuthorization> {
    let mut form: Vec<(&str, &str)> = vec![("resource", resource)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let fetched = TokenEndpoint { url: endpoint, client, dpop: None }.post(http, form).await?;
    if !fetched.status.is_success() {
        return Err(token_error(&fetched));
    }
    let v: Value = serde_json::from_slice(&fetched.body).map_err(|e| Error::InvalidJson {
        url: endpoint.to_string(),
        content_type: fetched.content_type(),
        detail: e.to_string(),
    })?;
    parse_device_response(endpoint, &v)
}

/// What one poll of the token endpoint said.
enum Poll {
    Granted(TokenResponse),
    Pending,
    SlowDown,
}

fn oauth_error(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body).ok().and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
}

async fn poll_once(token: &TokenEndpoint<'_>, http: &HttpClient, device_code: &Secret, resource: &str, clock: &dyn Clock) -> Result<Poll> {
    let form: Vec<(&str, &str)> = vec![("grant_type", DEVICE_GRANT), ("device_code", device_code.expose()), ("resource", resource)];
    let fetched = token.post(http, form).await?;
    if fetched.status.is_success() {
        return token.read(&fetched, clock.now()).map(Poll::Granted);
    }
    match oauth_error(&fetched.body).as_deref() {
        Some("authorization_pending") => Ok(Poll::Pending),
        Some("slow_down") => Ok(Poll::SlowDown),
        Some("access_denied") => Err(Error::Cancelled),
        Some("expired_token") => Err(Error::DeviceCodeExpired),
        _ => Err(token_error(&fetched)),
    }
}

/// Poll the token endpoint until the person approved, refused, or the code
/// (or `timeout`) ran out.
pub(crate) async fn wait_for_approval(
    http: &HttpClient,
    token: &TokenEndpoint<'_>,
    authorization: &DeviceAuthorization,
    resource: &str,
    clock: &dyn Clock,
    timeout: Duration,
    mut cancel: CancelSignal,
) -> Result<TokenResponse> {
    let lifetime = Duration::from_secs(authorization.prompt.expires_in).min(timeout);
    let deadline = tokio::time::Instant::now() + lifetime;
    let mut interval = authorization.interval;
    loop {
        let next = tokio::time::Instant::now() + Duration::from_secs(interval);
        if next > deadline {
            return Err(if lifetime < timeout { Error::DeviceCodeExpired } else { Error::SignInTimedOut { seconds: timeout.as_secs() } });
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = cancel.cancelled() => return Err(Error::Cancelled),
        }
        match poll_once(token, http, &authorization.device_code, resource, clock).await? {
            Poll::Granted(response) => return Ok(response),
            Poll::Pending => {}
            Poll::SlowDown => interval = (interval + 5).min(MAX_INTERVAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_device_answer_is_checked_before_anything_is_shown() {
        let ok = parse_device_response(
            "https://as.example/device",
            &json!({"device_code": "d", "user_code": "WDJB-MJHT", "verification_uri": "https://as.example/device", "expires_in": 900}),
        )
        .unwrap();
        assert_eq!((ok.prompt.user_code.as_str(), ok.interval), ("WDJB-MJHT", DEFAULT_INTERVAL));
        let bad = |v: Value| parse_device_response("https://as.example/device", &v).is_err();
        assert!(bad(json!({"user_code": "A", "verification_uri": "https://as.example/d", "expires_in": 9})), "no device_code");
        assert!(
            bad(json!({"device_code": "d", "user_code": "A\u{1b}[2J", "verification_uri": "https://as.example/d", "expires_in": 9})),
            "control characters"
        );
        assert!(
            bad(json!({"device_code": "d", "user_code": "A", "verification_uri": "javascript:alert(1)", "expires_in": 9})),
            "not a page"
        );
        assert!(bad(json!({"device_code": "d", "user_code": "A", "verification_uri": "https://as.example/d"})), "no expires_in");
        let slow = parse_device_response(
            "https://as.example/device",
            &json!({"device_code": "d", "user_code": "A", "verification_url": "https://as.example/d", "expires_in": 9, "interval": 100000,
                    "verification_uri_complete": "file:///etc/passwd"}),
        )
        .unwrap();
        assert_eq!(slow.interval, MAX_INTERVAL, "a server cannot park the client");
        assert_eq!(slow.prompt.verification_uri_complete, None, "an unsafe complete URI is dropped");
    }
}
