//! The engine's one HTTP client.
//!
//! Everything that leaves the engine goes through [`HttpClient`], so the transport
//! rules hold everywhere: every URL passes [`check_endpoint`]; host names are
//! resolved by a resolver that drops link-local and metadata addresses; redirects
//! are never followed automatically (metadata GETs follow at most
//! [`MAX_REDIRECTS`] hops, each re-checked; token, registration and revocation
//! POSTs follow none); every request has an overall timeout, which also bounds a
//! server that trickles one byte a second; every body is read with a size cap.
//!
//! TLS roots are compiled in (webpki-roots); the OS store joins them at the
//! first certificate from farther than this computer ([`crate::net::trust`]),
//! so starting the client reads nothing from disk and `mcp-auth` start-up
//! stays cheap. The proxy the environment names is used for everything but
//! this computer ([`crate::net::proxy`]).

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::error::{Error, Result};
use crate::net::address::{check_endpoint, is_forbidden_ip, AddressClass, Reach};
use crate::net::proxy::ProxyChoice;
use crate::net::trust::LazyRoots;

/// Hops a metadata GET may follow.
pub const MAX_REDIRECTS: usize = 3;

/// Bounds applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From sending the request to the last byte of the body.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Largest body read from any response.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { request_timeout: Duration::from_secs(30), connect_timeout: Duration::from_secs(10), max_body: 1024 * 1024 }
    }
}

/// A response read whole (within the cap).
#[derive(Debug)]
pub struct Fetched {
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn content_type(&self) -> String {
        header_str(&self.headers, CONTENT_TYPE.as_str()).unwrap_or_default()
    }

    /// All `WWW-Authenticate` values, each cut to a sane size.
    pub fn www_authenticate(&self) -> Vec<String> {
        www_authenticate(&self.headers)
    }

    /// Parse the body as JSON, with an error that names the URL and content type.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::InvalidJson {
            url: self.url.to_string(),
            content_type: {
                let ct = self.content_type();
                if ct.is_empty() {
                    "no content type".into()
                } else {
                    ct
                }
            },
            detail: e.to_string(),
        })
    }
}

/// All `WWW-Authenticate` values of a response, at most 16, each cut to a sane
/// size: what the challenge parser is given, whoever read the response.
pub(crate) fn www_authenticate(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .take(16)
        .filter_map(|v| v.to_str().ok())
        .map(|s| s.chars().take(crate::oauth::challenge::MAX_HEADER_LEN).collect())
        .collect()
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// How a request body is sent.
#[derive(Clone, Copy)]
pub enum Body<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
    Json(&'a serde_json::Value),
    /// JSON text sent exactly as given (the bridge relays messages unchanged).
    RawJson(&'a [u8]),
    /// A body already encoded, its content type among the caller's headers
    /// (the `oauth2` crate's requests, `oauth::carrier`).
    Encoded(&'a [u8]),
}

#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    limits: Limits,
    scope: Arc<Scope>,
    proxies: Arc<ProxyChoice>,
}

/// Which server a client works for, and so which addresses it may contact
/// (hostile row 41). Shared by the client's clones and its resolver. The
/// server's own address is looked up at the first request, and every later
/// lookup of its host can only move its class farther out, never nearer: a
/// name that answered 127.0.0.1 once and a public address next (DNS
/// rebinding) is a server on the internet from then on.
#[derive(Default)]
struct Scope {
    server: std::sync::Mutex<Option<(String, bool)>>,
    reach: tokio::sync::Mutex<Option<Reach>>,
}

impl Scope {
    async fn reach(&self) -> Reach {
        let Some((url, allowed)) = self.server.lock().unwrap().clone() else { return Reach::ANY };
        if allowed {
            return Reach::ANY;
        }
        let mut reach = self.reach.lock().await;
        match *reach {
            Some(r) => r,
            None => *reach.insert(server_reach(&url).await),
        }
    }

    /// The server's host, when the client works for a server by name.
    fn server_host(&self) -> Option<String> {
        let (url, _) = self.server.lock().unwrap().clone()?;
        Url::parse(&url).ok()?.host_str().map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    }

    /// The server's host resolved to `addrs`: its class only moves farther out.
    async fn widen(&self, addrs: impl IntoIterator<Item = std::net::IpAddr>) {
        let seen = Reach::for_addresses(addrs);
        let mut reach = self.reach.lock().await;
        *reach = Some(match *reach {
            Some(r) if r.server_class() >= seen.server_class() => r,
            _ => seen,
        });
    }
}

/// The reach of the server at `url`: its host's addresses decide. A name that
/// cannot be resolved counts as a server on the internet (the strictest).
async fn server_reach(url: &str) -> Reach {
    let Ok(parsed) = Url::parse(url) else { return Reach::for_class(AddressClass::Public) };
    let port = parsed.port_or_known_default().unwrap_or(443);
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Reach::for_addresses([ip.into()]),
        Some(url::Host::Ipv6(ip)) => Reach::for_addresses([ip.into()]),
        Some(url::Host::Domain(d)) => match tokio::net::lookup_host((d, port)).await {
            Ok(addrs) => Reach::for_addresses(addrs.map(|a| a.ip())),
            Err(_) => Reach::for_class(AddressClass::Public),
        },
        None => Reach::for_class(AddressClass::Public),
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").field("limits", &self.limits).finish()
    }
}

impl HttpClient {
    pub fn new(limits: Limits) -> Result<Self> {
        let scope = Arc::new(Scope::default());
        let proxies = Arc::new(ProxyChoice::from_env()?);
        // The engine's own proxy choice (never loopback), not reqwest's.
        let mut builder = reqwest::Client::builder().no_proxy();
        if !proxies.is_empty() {
            let choice = proxies.clone();
            builder = builder.proxy(reqwest::Proxy::custom(move |url| choice.for_url(url).cloned()));
        }
        let inner = builder
            .tls_backend_preconfigured(tls_config())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(limits.request_timeout)
            .connect_timeout(limits.connect_timeout)
            .dns_resolver(Arc::new(GuardedResolver { scope: scope.clone(), proxy_hosts: proxies.hosts() }))
            .user_agent(concat!("mcp-auth/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .pool_max_idle_per_host(4)
            .https_only(false)
            .build()
            .map_err(|e| Error::Network { url: String::new(), source: e })?;
        Ok(HttpClient { inner, limits, scope, proxies })
    }

    /// Work for the MCP server at `server_url`: from now on this client (and
    /// its clones) contacts only addresses of that server's class or farther
    /// out (a server on the internet cannot send it to the local network or this
    /// computer; one on the local network cannot send it to this computer),
    /// unless `allow_local_network`, the user's choice for that server.
    pub fn serving(self, server_url: &str, allow_local_network: bool) -> Self {
        *self.scope.server.lock().unwrap() = Some((server_url.to_string(), allow_local_network));
        self
    }

    /// [`serving`](Self::serving) `server_url`, strictly, unless this client
    /// already works for a server: every [`ServerSession`](crate::ServerSession)
    /// calls it, so a session is bound to its server by default.
    pub fn serve_unless_bound(&self, server_url: &str) {
        self.scope.server.lock().unwrap().get_or_insert_with(|| (server_url.to_string(), false));
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// GET a JSON metadata document, following at most [`MAX_REDIRECTS`] checked hops.
    pub async fn get_metadata(&self, url: &str) -> Result<Fetched> {
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let fetched = self.send(Method::GET, &current, &[(ACCEPT.as_str(), "application/json")], Body::None).await?;
            if fetched.status.is_redirection() {
                let Some(location) = header_str(&fetched.headers, LOCATION.as_str()) else {
                    return Ok(fetched);
                };
                let next = fetched.url.join(&location).map_err(|_| Error::unsafe_url(location.clone(), "invalid redirect target"))?;
                current = next.to_string();
                continue;
            }
            return Ok(fetched);
        }
        Err(Error::metadata(url, "too many redirects"))
    }

    /// Send one request without following redirects and read the body within the cap.
    pub async fn send(&self, method: Method, url: &str, headers: &[(&str, &str)], body: Body<'_>) -> Result<Fetched> {
        let response = self.start(method, url, headers, body).await?;
        self.read(response).await
    }

    /// The checks every request passes before anything is sent: the URL is one
    /// the engine may contact ([`check_endpoint`]), and a literal address in it
    /// is within the reach of the server this client works for (names are
    /// checked by the resolver, which literal addresses never reach).
    pub async fn admit(&self, url: &str) -> Result<Url> {
        let parsed = check_endpoint(url)?;
        let reach = self.scope.reach().await;
        let literal: Option<std::net::IpAddr> = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(ip.into()),
            Some(url::Host::Ipv6(ip)) => Some(ip.into()),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| !reach.allows(*ip)) {
            return Err(out_of_reach(url, reach, AddressClass::of(ip)));
        }
        if let (Some(_), Some(url::Host::Domain(name))) = (self.proxies.for_url(&parsed), parsed.host()) {
            self.check_proxied_name(url, name).await?;
        }
        Ok(parsed)
    }

    /// A request through a proxy never meets the resolver: the address filter
    /// runs on what this computer resolves the name to. A name that does not
    /// resolve here is the proxy's to reach.
    async fn check_proxied_name(&self, url: &str, name: &str) -> Result<()> {
        let resolver = GuardedResolver { scope: self.scope.clone(), proxy_hosts: Vec::new() };
        let Ok(name) = name.parse::<Name>() else { return Ok(()) };
        match tokio::time::timeout(self.limits.connect_timeout, resolver.resolve(name)).await {
            Ok(Err(e)) if e.downcast_ref::<OutOfReachAddress>().is_some() => {
                let OutOfReachAddress { reach, target } = e.downcast_ref::<OutOfReachAddress>().expect("checked");
                Err(out_of_reach(url, *reach, *target))
            }
            Ok(Err(e)) if e.downcast_ref::<ForbiddenAddress>().is_some() => {
                Err(Error::unsafe_url(url, "its host resolves to a link-local or metadata address"))
            }
            _ => Ok(()),
        }
    }

    /// The reqwest client under this one, for a library that sends through
    /// reqwest itself (rmcp): its requests must pass [`admit`](Self::admit)
    /// first, and get this client's resolver, timeouts and redirect policy.
    pub(crate) fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    /// Send a request and return the response unread (for streamed bodies).
    pub async fn start(&self, method: Method, url: &str, headers: &[(&str, &str)], body: Body<'_>) -> Result<reqwest::Response> {
        let parsed = self.admit(url).await?;
        let mut request = self.inner.request(method, parsed);
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|_| Error::InvalidInput(format!("header {name} has an invalid value")))?;
            request = request.header(*name, value);
        }
        request = match body {
            Body::None => request,
            Body::Form(pairs) => {
                let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish();
                request.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(encoded)
            }
            Body::Json(value) => request.header(CONTENT_TYPE, "application/json").body(serde_json::to_vec(value).unwrap_or_default()),
            Body::RawJson(bytes) => request.header(CONTENT_TYPE, "application/json").body(bytes.to_vec()),
            Body::Encoded(bytes) => request.body(bytes.to_vec()),
        };
        request.send().await.map_err(|e| self.map_error(url, e))
    }

    /// Read a whole body, refusing more than `max_body` bytes.
    pub async fn read(&self, mut response: reqwest::Response) -> Result<Fetched> {
        let url = response.url().clone();
        let status = response.status();
        let headers = response.headers().clone();
        let limit = self.limits.max_body;
        if response.content_length().is_some_and(|n| n as usize > limit) {
            return Err(Error::BodyTooLarge { url: url.to_string(), limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(url.as_str(), e))? {
            if body.len() + chunk.len() > limit {
                return Err(Error::BodyTooLarge { url: url.to_string(), limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { url, status, headers, body })
    }

    pub(crate) fn map_error(&self, url: &str, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            return Error::Timeout { url: url.to_string(), seconds: self.limits.request_timeout.as_secs().max(1) };
        }
        let mut source: Option<&(dyn StdError + 'static)> = Some(&e);
        while let Some(s) = source {
            if let Some(OutOfReachAddress { reach, target }) = s.downcast_ref::<OutOfReachAddress>() {
                return out_of_reach(url, *reach, *target);
            }
            if s.downcast_ref::<ForbiddenAddress>().is_some() {
                return Error::unsafe_url(url, "its host resolves to a link-local or metadata address");
            }
            source = s.source();
        }
        Error::Network { url: url.to_string(), source: e.without_url() }
    }
}

/// TLS for every request: rustls with the ring provider, the webpki roots
/// compiled into the program and, read only when a certificate from farther
/// than this computer is first checked, the OS store ([`LazyRoots`]).
fn tls_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(LazyRoots::new(provider)))
        .with_no_client_auth()
}

/// Raised by the resolver when every address of a name is forbidden.
#[derive(Debug)]
struct ForbiddenAddress;

impl std::fmt::Display for ForbiddenAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the host resolves only to forbidden (link-local or metadata) addresses")
    }
}
impl StdError for ForbiddenAddress {}

fn out_of_reach(url: &str, reach: Reach, target: AddressClass) -> Error {
    Error::OutOfReach { url: url.to_string(), server: reach.server_class().describe(), target: target.describe() }
}

/// Raised by the resolver when a name resolves only to addresses nearer than
/// the server's own.
#[derive(Debug)]
struct OutOfReachAddress {
    reach: Reach,
    target: AddressClass,
}

impl std::fmt::Display for OutOfReachAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the host is on {}, nearer than the server", self.target.describe())
    }
}
impl StdError for OutOfReachAddress {}

/// System DNS, minus the addresses the engine never contacts and those nearer
/// than the server the client works for.
struct GuardedResolver {
    scope: Arc<Scope>,
    /// The proxies' own names: held to the forbidden addresses only, not to
    /// the server's reach (a company proxy is on the local network).
    proxy_hosts: Vec<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let scope = self.scope.clone();
        let is_proxy = self.proxy_hosts.iter().any(|p| *p == host.trim_end_matches('.').to_ascii_lowercase());
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await.map_err(|e| Box::new(e) as Box<dyn StdError + Send + Sync>)?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| !is_forbidden_ip(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(ForbiddenAddress) as Box<dyn StdError + Send + Sync>);
            }
            if is_proxy {
                return Ok(Box::new(allowed.into_iter()) as Addrs);
            }
            let mut reach = scope.reach().await;
            if scope.server_host().as_deref() == Some(host.trim_end_matches('.').to_ascii_lowercase().as_str()) {
                scope.widen(allowed.iter().map(|a| a.ip())).await;
                reach = scope.reach().await;
            }
            let nearest = allowed.iter().map(|a| AddressClass::of(a.ip())).min().unwrap_or(AddressClass::Public);
            let reachable: Vec<SocketAddr> = allowed.into_iter().filter(|a| reach.allows(a.ip())).collect();
            if reachable.is_empty() {
                return Err(Box::new(OutOfReachAddress { reach, target: nearest }) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(reachable.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DNS rebinding: a server name that answered with this computer first and
    /// with the internet next is a server on the internet from then on, and a
    /// later answer of this computer does not bring it back.
    #[tokio::test]
    async fn a_server_class_only_moves_farther_out() {
        let scope = Scope::default();
        *scope.server.lock().unwrap() = Some(("http://127.0.0.1:9/mcp".into(), false));
        let ip = |s: &str| -> std::net::IpAddr { s.parse().unwrap() };
        assert_eq!(scope.reach().await, Reach::for_class(AddressClass::Loopback));
        scope.widen([ip("8.8.8.8")]).await;
        assert_eq!(scope.reach().await.server_class(), AddressClass::Public);
        scope.widen([ip("127.0.0.1")]).await;
        assert_eq!(scope.reach().await.server_class(), AddressClass::Public);
        assert!(!scope.reach().await.allows(ip("192.168.1.1")));
        assert_eq!(scope.server_host().as_deref(), Some("127.0.0.1"));
    }
}
