//! The proxy a company network asks for: `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` (either case), read once per client.
//!
//! The choice is the engine's, not reqwest's own environment lookup, for two
//! rules: this computer (loopback: `localhost`, `127.0.0.0/8`, `::1`) is never
//! reached through a proxy, whatever the variables say (the redirect
//! listener, a local MCP server and the tests' peers are there); and the
//! engine knows which requests go through one, because those never meet its
//! resolver's address filter (the proxy resolves the name). For them the
//! filter runs beforehand on what this computer resolves the name to
//! ([`HttpClient::admit`](crate::net::http::HttpClient::admit)); a name only the
//! proxy can resolve is the proxy's to reach.

use std::net::IpAddr;

use url::Url;

use crate::error::{Error, Result};

/// Which proxy, if any, each URL goes through.
#[derive(Debug, Clone, Default)]
pub struct ProxyChoice {
    http: Option<Url>,
    https: Option<Url>,
    bypass: Vec<Bypass>,
}

/// One `NO_PROXY` entry.
#[derive(Debug, Clone, PartialEq)]
enum Bypass {
    Everything,
    /// A domain and all its subdomains (`.example.com` and `example.com` alike).
    Domain(String),
    /// An address, or a network in CIDR form.
    Network(IpAddr, u8),
}

fn var(names: &[&str]) -> Option<(String, String)> {
    names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()).map(|v| (n.to_string(), v)))
}

fn proxy_url(name: &str, value: &str) -> Result<Url> {
    // `host:port` is how many people write it: http is meant.
    let text = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    // The value is never echoed: it may hold the proxy's user and password.
    let url = Url::parse(&text).map_err(|_| Error::InvalidInput(format!("{name} is not a proxy URL")))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err(Error::InvalidInput(format!("{name} must be an http:// or https:// proxy (got {})", url.scheme()))),
    }
}

/// The variables that name the proxy for http URLs. Lower-case `http_proxy`
/// first, as curl reads it; upper-case `HTTP_PROXY` too, as most tools do,
/// except when this runs as a CGI program (`REQUEST_METHOD` set), where a
/// request's `Proxy:` header arrives as `HTTP_PROXY` ("httpoxy") and would
/// send the traffic, and its tokens, to whoever sent that request.
fn http_proxy_names(cgi: bool) -> &'static [&'static str] {
    if cgi {
        &["http_proxy"]
    } else {
        &["http_proxy", "HTTP_PROXY"]
    }
}

impl ProxyChoice {
    /// Every proxy host, whose own name is looked up without the reach rule
    /// (a company proxy is on the local network by design).
    pub fn hosts(&self) -> Vec<String> {
        [&self.http, &self.https]
            .into_iter()
            .flatten()
            .filter_map(|u| u.host_str().map(|h| h.trim_end_matches('.').to_ascii_lowercase()))
            .collect()
    }

    /// The choice the environment makes.
    pub fn from_env() -> Result<Self> {
        let all = var(&["ALL_PROXY", "all_proxy"]);
        let pick = |names: &[&str]| -> Result<Option<Url>> {
            match var(names).or_else(|| all.clone()) {
                Some((name, value)) => proxy_url(&name, &value).map(Some),
                None => Ok(None),
            }
        };
        let http = pick(http_proxy_names(std::env::var_os("REQUEST_METHOD").is_some()))?;
        let https = pick(&["HTTPS_PROXY", "https_proxy"])?;
        let bypass = var(&["NO_PROXY", "no_proxy"]).map(|(_, v)| parse_bypass(&v)).unwrap_or_default();
        Ok(ProxyChoice { http, https, bypass })
    }

    #[cfg(test)]
    fn with(http: Option<&str>, https: Option<&str>, no_proxy: &str) -> Self {
        ProxyChoice {
            http: http.map(|u| Url::parse(u).unwrap()),
            https: https.map(|u| Url::parse(u).unwrap()),
            bypass: parse_bypass(no_proxy),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The proxy `url` goes through; `None` for a direct connection.
    pub fn for_url(&self, url: &Url) -> Option<&Url> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let host = url.host()?;
        if is_loopback(&host) || self.bypass.iter().any(|b| b.matches(&host)) {
            return None;
        }
        Some(proxy)
    }
}

fn parse_bypass(list: &str) -> Vec<Bypass> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .filter_map(|entry| {
            if entry == "*" {
                return Some(Bypass::Everything);
            }
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            let bare = addr.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                return Some(Bypass::Network(ip, bits.unwrap_or(max).min(max)));
            }
            // A domain, perhaps with a port (which NO_PROXY lists rarely mean).
            let domain = entry.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()).map(|(d, _)| d).unwrap_or(entry);
            Some(Bypass::Domain(domain.trim_start_matches("*.").trim_start_matches('.').to_ascii_lowercase()))
        })
        .collect()
}

impl Bypass {
    fn matches(&self, host: &url::Host<&str>) -> bool {
        match (self, host) {
            (Bypass::Everything, _) => true,
            (Bypass::Domain(d), url::Host::Domain(h)) => {
                let h = h.trim_end_matches('.').to_ascii_lowercase();
                h == *d || h.ends_with(&format!(".{d}"))
            }
            (Bypass::Network(net, bits), url::Host::Ipv4(ip)) => in_network(IpAddr::V4(*ip), *net, *bits),
            (Bypass::Network(net, bits), url::Host::Ipv6(ip)) => in_network(IpAddr::V6(*ip), *net, *bits),
            _ => false,
        }
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// This computer, which is never reached through a proxy.
pub fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cgi_request_cannot_name_the_proxy() {
        assert_eq!(http_proxy_names(false), ["http_proxy", "HTTP_PROXY"]);
        assert_eq!(http_proxy_names(true), ["http_proxy"], "HTTP_PROXY is the request's Proxy: header under CGI");
    }

    fn via(choice: &ProxyChoice, url: &str) -> Option<String> {
        choice.for_url(&Url::parse(url).unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn each_scheme_takes_its_proxy_and_loopback_never_does() {
        let c = ProxyChoice::with(Some("http://p:3128"), Some("http://sp:3128"), "");
        assert_eq!(via(&c, "https://mcp.example.com/mcp").as_deref(), Some("http://sp:3128/"));
        assert_eq!(via(&c, "http://mcp.example.com/mcp").as_deref(), Some("http://p:3128/"));
        for local in ["http://127.0.0.1:8080/mcp", "http://localhost/x", "https://app.localhost/", "http://[::1]:9/", "http://127.9.9.9/"] {
            assert_eq!(via(&c, local), None, "{local}");
        }
    }

    #[test]
    fn no_proxy_takes_domains_suffixes_addresses_networks_and_a_star() {
        let c = ProxyChoice::with(None, Some("http://sp:1"), "corp.example, .internal, 10.0.0.0/8, 192.168.1.5, [fd00::1], intranet:8443");
        for direct in [
            "https://corp.example/",
            "https://a.b.corp.example/",
            "https://x.internal/",
            "https://10.2.3.4/",
            "https://192.168.1.5/",
            "https://[fd00::1]/",
            "https://intranet/",
        ] {
            assert_eq!(via(&c, direct), None, "{direct}");
        }
        for proxied in ["https://notcorp.example/", "https://11.0.0.1/", "https://192.168.1.6/", "https://internal.com/"] {
            assert!(via(&c, proxied).is_some(), "{proxied}");
        }
        assert_eq!(via(&ProxyChoice::with(None, Some("http://sp:1"), "*"), "https://anything.example/"), None);
    }

    #[test]
    fn a_proxy_value_without_a_scheme_is_http_and_nonsense_is_refused() {
        assert_eq!(proxy_url("HTTPS_PROXY", "proxy.corp:3128").unwrap().as_str(), "http://proxy.corp:3128/");
        assert!(proxy_url("HTTPS_PROXY", "socks5://p:1080").is_err());
        assert!(proxy_url("HTTPS_PROXY", "http://").is_err());
    }
}
