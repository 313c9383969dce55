//! How an MCP server wants to be authorized: probe → Protected Resource Metadata
//! (RFC 9728) → authorization-server metadata (RFC 8414 / OpenID Discovery).
//!
//! The order of well-known URLs, the `resource` check and the byte-exact issuer
//! check are the MCP authorization spec's; each is a defence against a server that
//! tries to send the user's sign-in (and later their tokens) somewhere else. When a
//! server has no PRM at all, the 2025-03-26 behaviour applies: AS metadata on the
//! MCP origin, else the default `/authorize`, `/token`, `/register` endpoints.

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};
use crate::mcp::{client, revision};
use crate::net::address::{canonical_resource, check_endpoint, origin_of};
use crate::net::http::{Body, Fetched, HttpClient};
use crate::oauth::challenge::BearerChallenge;

/// What an unauthenticated `initialize` POST told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The server answered without asking for a token.
    Open,
    /// 401/403 with the parsed `Bearer` challenge, if there was one.
    Challenged { status: u16, challenge: Option<BearerChallenge> },
    /// Anything else (404, 405, 500…): discovery may still find metadata.
    Other { status: u16 },
}

/// Ask the server without a token, in both eras, and classify the answer: an
/// `initialize` (2025 revisions) first, and when that is turned away with
/// anything but a challenge (a server of the 2026-07-28 revision only answers
/// it 400), a `server/discover` with that revision's headers.
pub async fn probe(http: &HttpClient, mcp_url: &str) -> Result<Probe> {
    let accept = ("accept", "application/json, text/event-stream");
    let body = client::initialize_request(0);
    let fetched = http.send(Method::POST, mcp_url, &[accept], Body::Json(&body)).await?;
    let first = classify(&fetched);
    if !matches!(first, Probe::Other { status: 400 | 404 | 405 | 406 | 415 | 422 }) {
        return Ok(first);
    }
    let discover = revision::discover_request();
    let own = revision::message_headers(&discover);
    let mut headers: Vec<(&str, &str)> = own.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    headers.push(accept);
    let second = classify(&http.send(Method::POST, mcp_url, &headers, Body::Json(&discover)).await?);
    Ok(match second {
        Probe::Other { .. } => first,
        answered => answered,
    })
}

pub(crate) fn classify(fetched: &Fetched) -> Probe {
    let status = fetched.status.as_u16();
    if fetched.status.is_success() {
        return Probe::Open;
    }
    if status == 401 || status == 403 {
        return Probe::Challenged { status, challenge: BearerChallenge::from_headers(&fetched.www_authenticate()) };
    }
    Probe::Other { status }
}

/// RFC 9728 protected resource metadata (the fields the client uses).
#[derive(Debug, Clone, Serialize)]
pub struct ProtectedResource {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Option<Vec<String>>,
    pub resource_name: Option<String>,
    /// RFC 9728 §2: the resource takes DPoP proofs of these algorithms.
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// RFC 9728 §2: the resource takes only DPoP-bound tokens.
    pub dpop_bound_access_tokens_required: bool,
}

/// RFC 8414 authorization-server metadata (the fields the client uses).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuthServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// RFC 8628: sign-in from another device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// RFC 9449 §5.1: tokens bound to a key of one of these algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// An OpenID provider (its metadata names `openid` or ID token
    /// algorithms, or came from an `openid-configuration` document): set by
    /// discovery, not read from the document.
    #[serde(default)]
    pub openid_provider: bool,
    /// False when these endpoints are the 2025-03-26 defaults, not a document.
    #[serde(default = "yes")]
    pub from_document: bool,
}

fn yes() -> bool {
    true
}

impl AuthServerMetadata {
    /// The device authorization grant (RFC 8628) is offered: an endpoint, and
    /// the grant type listed when grant types are listed at all.
    pub fn offers_device_grant(&self) -> bool {
        self.device_authorization_endpoint.is_some()
            && self.grant_types_supported.as_ref().is_none_or(|g| g.iter().any(|t| t == crate::oauth::device::DEVICE_GRANT))
    }

    /// S256 is listed (or there was no document at all: the 2025-03-26 fallback
    /// still uses S256).
    pub fn supports_s256(&self) -> bool {
        if !self.from_document {
            return true;
        }
        self.code_challenge_methods_supported.as_ref().is_some_and(|m| m.iter().any(|m| m == "S256"))
    }

    /// The refresh-token grant is allowed (listed, or the list is absent).
    pub fn allows_refresh(&self) -> bool {
        self.grant_types_supported.as_ref().is_none_or(|g| g.iter().any(|g| g == "refresh_token"))
    }

    pub fn lists_scope(&self, scope: &str) -> bool {
        self.scopes_supported.as_ref().is_some_and(|s| s.iter().any(|s| s == scope))
    }
}

/// Everything discovery learned about one MCP server.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    pub mcp_url: String,
    /// The `resource` value to send: the PRM's `resource` when there is one,
    /// else the canonical MCP URL.
    pub resource: String,
    pub challenge: Option<BearerChallenge>,
    pub protected_resource: Option<ProtectedResource>,
    pub protected_resource_url: Option<String>,
    pub auth_server: AuthServerMetadata,
    /// The URL the AS metadata came from (None with the default endpoints).
    pub metadata_url: Option<String>,
}

/// Run the whole discovery for an MCP URL. `Ok(None)` means the server does not
/// require authorization (it answered the probe).
pub async fn discover(http: &HttpClient, mcp_url: &str) -> Result<Option<Discovery>> {
    let canonical = canonical_resource(mcp_url)?;
    let challenge = match probe(http, &canonical).await? {
        Probe::Open => return Ok(None),
        Probe::Challenged { challenge, .. } => challenge,
        Probe::Other { .. } => None,
    };
    discover_with(http, &canonical, challenge).await.map(Some)
}

/// Discovery after a challenge was already received (also used for step-up).
pub async fn discover_with(http: &HttpClient, mcp_url: &str, challenge: Option<BearerChallenge>) -> Result<Discovery> {
    let canonical = canonical_resource(mcp_url)?;
    let mcp = check_endpoint(&canonical)?;
    let header_url = challenge.as_ref().and_then(|c| c.resource_metadata.clone());
    let found = fetch_protected_resource(http, &mcp, &canonical, header_url.as_deref()).await?;

    let (auth_server, metadata_url, protected_resource, prm_url, resource) = match found {
        Some((prm_url, prm)) => {
            let issuer =
                prm.authorization_servers.first().cloned().ok_or_else(|| Error::metadata(&prm_url, "it names no authorization server"))?;
            let (meta, meta_url) =
                fetch_auth_server(http, &issuer, false).await?.ok_or_else(|| Error::NoAuthorizationServer { url: issuer.clone() })?;
            let resource = prm.resource.clone();
            (meta, Some(meta_url), Some(prm), Some(prm_url), resource)
        }
        None => {
            // 2025-03-26: the MCP server's origin is the authorization server.
            let origin = origin_of(&mcp);
            match fetch_auth_server(http, &origin, true).await? {
                Some((meta, url)) => (meta, Some(url), None, None, canonical.clone()),
                None => (default_endpoints(&origin), None, None, None, canonical.clone()),
            }
        }
    };
    Ok(Discovery {
        mcp_url: canonical,
        resource,
        challenge,
        protected_resource,
        protected_resource_url: prm_url,
        auth_server,
        metadata_url,
    })
}

/// The 2025-03-26 default endpoints on the MCP origin.
pub(crate) fn default_endpoints(origin: &str) -> AuthServerMetadata {
    AuthServerMetadata {
        issuer: origin.to_string(),
        authorization_endpoint: format!("{origin}/authorize"),
        token_endpoint: format!("{origin}/token"),
        registration_endpoint: Some(format!("{origin}/register")),
        revocation_endpoint: None,
        device_authorization_endpoint: None,
        scopes_supported: None,
        code_challenge_methods_supported: None,
        token_endpoint_auth_methods_supported: None,
        grant_types_supported: None,
        dpop_signing_alg_values_supported: None,
        client_id_metadata_document_supported: false,
        authorization_response_iss_parameter_supported: false,
        openid_provider: false,
        from_document: false,
    }
}

/// The PRM candidate URLs, in the spec's order.
pub fn protected_resource_candidates(mcp: &Url, header_url: Option<&str>) -> Vec<String> {
    let origin = origin_of(mcp);
    let mut out = Vec::new();
    if let Some(h) = header_url {
        out.push(h.to_string());
    }
    let path = mcp.path().trim_end_matches('/');
    if !path.is_empty() {
        out.push(format!("{origin}/.well-known/oauth-protected-resource{path}"));
    }
    out.push(format!("{origin}/.well-known/oauth-protected-resource"));
    out.dedup();
    out
}

async fn fetch_protected_resource(
    http: &HttpClient,
    mcp: &Url,
    canonical: &str,
    header_url: Option<&str>,
) -> Result<Option<(String, ProtectedResource)>> {
    let mut last_error = None;
    for candidate in protected_resource_candidates(mcp, header_url) {
        let fetched = match http.get_metadata(&candidate).await {
            Ok(f) => f,
            Err(e) => {
                // An unsafe header URL is an attack, not a miss.
                if matches!(e, Error::UnsafeUrl { .. }) && Some(candidate.as_str()) == header_url {
                    return Err(e);
                }
                last_error = Some(e);
                continue;
            }
        };
        if fetched.status != StatusCode::OK {
            if fetched.status != StatusCode::NOT_FOUND {
                last_error = Some(Error::HttpStatus {
                    url: candidate.clone(),
                    status: fetched.status.as_u16(),
                    content_type: Some(fetched.content_type()).filter(|c| !c.is_empty()),
                });
            }
            continue;
        }
        let doc: Value = fetched.json()?;
        let prm = parse_protected_resource(&candidate, &doc)?;
        check_resource(&candidate, mcp, canonical, &prm.resource)?;
        return Ok(Some((candidate, prm)));
    }
    match last_error {
        // Something answered but was broken (not merely absent): say so, unless a
        // later candidate had simply no document, in which case the fallback applies.
        Some(e @ (Error::InvalidJson { .. } | Error::BodyTooLarge { .. })) => Err(e),
        _ => Ok(None),
    }
}

/// Parse a PRM document (public for the fuzz targets).
pub fn parse_protected_resource(url: &str, doc: &Value) -> Result<ProtectedResource> {
    let obj = doc.as_object().ok_or_else(|| Error::metadata(url, "not a JSON object"))?;
    let resource = obj
        .get("resource")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::metadata(url, "\"resource\" is missing or not a string"))?
        .to_string();
    let authorization_servers = string_list(obj.get("authorization_servers"))
        .ok_or_else(|| Error::metadata(url, "\"authorization_servers\" is missing or not a list of strings"))?;
    Ok(ProtectedResource {
        resource,
        authorization_servers,
        scopes_supported: string_list(obj.get("scopes_supported")),
        resource_name: obj.get("resource_name").and_then(Value::as_str).map(str::to_owned),
        dpop_signing_alg_values_supported: string_list(obj.get("dpop_signing_alg_values_supported")),
        dpop_bound_access_tokens_required: obj.get("dpop_bound_access_tokens_required").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn string_list(v: Option<&Value>) -> Option<Vec<String>> {
    let arr = v?.as_array()?;
    Some(arr.iter().filter_map(Value::as_str).map(str::to_owned).take(256).collect())
}

/// RFC 9728 §3.3 / §7.3: the PRM must be about the MCP URL we asked for: same
/// origin, and the same path or a path prefix of it.
/// RFC 9728 resource check (public for the fuzz targets).
pub fn check_resource(url: &str, mcp: &Url, canonical: &str, resource: &str) -> Result<()> {
    let mismatch = || Error::ResourceMismatch { url: url.to_string(), expected: canonical.to_string(), found: resource.to_string() };
    let parsed = Url::parse(resource).map_err(|_| mismatch())?;
    if parsed.fragment().is_some() || origin_of(&parsed) != origin_of(mcp) {
        return Err(mismatch());
    }
    let want = mcp.path().trim_end_matches('/');
    let have = parsed.path().trim_end_matches('/');
    let prefix_ok = have.is_empty() || want == have || (want.starts_with(have) && want.as_bytes().get(have.len()) == Some(&b'/'));
    if !prefix_ok {
        return Err(mismatch());
    }
    Ok(())
}

/// The AS metadata candidate URLs for an issuer, in the spec's order.
pub fn auth_server_candidates(issuer: &Url) -> Vec<String> {
    let origin = origin_of(issuer);
    let path = issuer.path().trim_end_matches('/');
    if path.is_empty() {
        vec![format!("{origin}/.well-known/oauth-authorization-server"), format!("{origin}/.well-known/openid-configuration")]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    }
}

/// Check an issuer identifier: https (http only on loopback), no query, no fragment.
pub(crate) fn check_issuer(issuer: &str) -> Result<Url> {
    let url = check_endpoint(issuer)?;
    if url.query().is_some() || url.fragment().is_some() || issuer.contains('#') || issuer.contains('?') {
        return Err(Error::unsafe_url(issuer, "an issuer must not have a query or fragment"));
    }
    Ok(url)
}

/// Fetch and validate AS metadata. `legacy` is the 2025-03-26 fallback, where the
/// issuer was not named by anyone and a trailing `/` difference is tolerated.
async fn fetch_auth_server(http: &HttpClient, issuer: &str, legacy: bool) -> Result<Option<(AuthServerMetadata, String)>> {
    let issuer_url = check_issuer(issuer)?;
    let mut first_error: Option<Error> = None;
    for candidate in auth_server_candidates(&issuer_url) {
        let fetched = match http.get_metadata(&candidate).await {
            Ok(f) => f,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        if fetched.status != StatusCode::OK {
            continue;
        }
        let result = fetched.json::<Value>().and_then(|doc| parse_auth_server(&candidate, &doc, issuer, legacy));
        match result {
            Ok(meta) => return Ok(Some((meta, candidate))),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if !legacy => Err(e),
        Some(e @ (Error::IssuerMismatch { .. } | Error::InvalidMetadata { .. } | Error::UnsafeUrl { .. })) => Err(e),
        _ => Ok(None),
    }
}

/// Parse and check AS metadata (public for the fuzz targets).
pub fn parse_auth_server(url: &str, doc: &Value, expected_issuer: &str, legacy: bool) -> Result<AuthServerMetadata> {
    if !doc.is_object() {
        return Err(Error::metadata(url, "not a JSON object"));
    }
    let found = doc.get("issuer").and_then(Value::as_str).unwrap_or_default();
    // 2025-03-26 servers publish metadata on the MCP origin without anyone naming
    // an issuer first, and some give it a path (`https://h/oauth`). There the
    // origin is the authority, so a same-origin issuer is accepted; everywhere
    // else the comparison is byte for byte (RFC 8414 §3.3).
    let same_origin = || {
        let origin = |s: &str| Url::parse(s).ok().map(|u| origin_of(&u));
        origin(found).is_some() && origin(found) == origin(expected_issuer)
    };
    let same = found == expected_issuer || (legacy && same_origin());
    if !same {
        return Err(Error::IssuerMismatch { url: url.to_string(), expected: expected_issuer.to_string(), found: found.to_string() });
    }
    check_issuer(found)?;
    let mut meta: AuthServerMetadata = serde_json::from_value(doc.clone()).map_err(|e| Error::metadata(url, e.to_string()))?;
    meta.from_document = true;
    meta.openid_provider = url.contains("/.well-known/openid-configuration")
        || doc.get("id_token_signing_alg_values_supported").is_some()
        || meta.scopes_supported.as_ref().is_some_and(|s| s.iter().any(|s| s == "openid"));
    for endpoint in [Some(&meta.authorization_endpoint), Some(&meta.token_endpoint)]
        .into_iter()
        .chain([meta.registration_endpoint.as_ref(), meta.revocation_endpoint.as_ref(), meta.device_authorization_endpoint.as_ref()])
        .flatten()
    {
        check_endpoint(endpoint)?;
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prm_candidates_follow_the_spec_order() {
        let mcp = Url::parse("https://h.example/a/mcp").unwrap();
        assert_eq!(
            protected_resource_candidates(&mcp, Some("https://h.example/custom")),
            vec![
                "https://h.example/custom",
                "https://h.example/.well-known/oauth-protected-resource/a/mcp",
                "https://h.example/.well-known/oauth-protected-resource",
            ]
        );
        let root = Url::parse("https://h.example").unwrap();
        assert_eq!(protected_resource_candidates(&root, None), vec!["https://h.example/.well-known/oauth-protected-resource"]);
    }

    #[test]
    fn as_candidates_with_and_without_path() {
        let plain = Url::parse("https://as.example/").unwrap();
        assert_eq!(
            auth_server_candidates(&plain),
            vec!["https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration",]
        );
        let with_path = Url::parse("https://as.example/tenant/1").unwrap();
        assert_eq!(
            auth_server_candidates(&with_path),
            vec![
                "https://as.example/.well-known/oauth-authorization-server/tenant/1",
                "https://as.example/.well-known/openid-configuration/tenant/1",
                "https://as.example/tenant/1/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn resource_must_match_origin_and_path_prefix() {
        let mcp = Url::parse("https://h.example/api/mcp").unwrap();
        let c = "https://h.example/api/mcp";
        for ok in
            ["https://h.example", "https://h.example/", "https://h.example/api", "https://h.example/api/mcp", "https://h.example/api/mcp/"]
        {
            check_resource("u", &mcp, c, ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "https://evil.example/api/mcp",
            "http://h.example/api/mcp",
            "https://h.example:444/api/mcp",
            "https://h.example/ap",
            "https://h.example/other",
            "not a url",
        ] {
            assert!(check_resource("u", &mcp, c, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prm_resource_must_be_a_string() {
        let err = parse_protected_resource("u", &json!({"resource": 5, "authorization_servers": ["https://a"]})).unwrap_err();
        assert!(matches!(err, Error::InvalidMetadata { .. }));
    }

    fn as_doc(issuer: &str) -> Value {
        json!({
            "issuer": issuer,
            "authorization_endpoint": "https://as.example/authorize",
            "token_endpoint": "https://as.example/token",
            "code_challenge_methods_supported": ["S256"],
        })
    }

    #[test]
    fn issuer_must_match_byte_for_byte() {
        parse_auth_server("u", &as_doc("https://as.example"), "https://as.example", false).unwrap();
        for (found, expected) in [
            ("https://as.example/", "https://as.example"),
            ("https://AS.example", "https://as.example"),
            ("https://other.example", "https://as.example"),
            ("", "https://as.example"),
        ] {
            let err = parse_auth_server("u", &as_doc(found), expected, false).unwrap_err();
            assert!(matches!(err, Error::IssuerMismatch { .. }), "{found}");
        }
        let mut missing = as_doc("x");
        missing.as_object_mut().unwrap().remove("issuer");
        assert!(parse_auth_server("u", &missing, "https://as.example", false).is_err());
        // http issuer off loopback, query, fragment
        for bad in ["http://as.example", "https://as.example?x=1", "https://as.example#f"] {
            assert!(parse_auth_server("u", &as_doc(bad), bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_fallback_accepts_a_same_origin_issuer_only() {
        parse_auth_server("u", &as_doc("https://as.example/oauth"), "https://as.example", true).unwrap();
        assert!(parse_auth_server("u", &as_doc("https://as.example/oauth"), "https://as.example", false).is_err());
        assert!(parse_auth_server("u", &as_doc("https://evil.example"), "https://as.example", true).is_err());
    }

    #[test]
    fn endpoints_with_bad_schemes_are_refused() {
        let mut doc = as_doc("https://as.example");
        doc["authorization_endpoint"] = json!("javascript:alert(1)");
        let err = parse_auth_server("u", &doc, "https://as.example", false).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::UnsafeUrl);
    }

    #[test]
    fn s256_is_required_when_there_is_a_document() {
        let mut meta: AuthServerMetadata = serde_json::from_value(as_doc("https://a")).unwrap();
        assert!(meta.supports_s256());
        meta.code_challenge_methods_supported = Some(vec!["plain".into()]);
        assert!(!meta.supports_s256());
        meta.code_challenge_methods_supported = None;
        assert!(!meta.supports_s256());
        meta.from_document = false;
        assert!(meta.supports_s256());
    }
}
