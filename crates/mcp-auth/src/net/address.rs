//! Which addresses the engine may talk to, and how a resource URL is written.
//!
//! Every URL that comes from a server (metadata endpoints, redirects, the
//! authorization URL) passes [`check_endpoint`] before it is used: `https`, or
//! `http` only on loopback; never link-local or cloud-metadata addresses, never
//! credentials in the URL. Host names are also checked after DNS resolution by the
//! HTTP client's resolver (see `http.rs`), so a name that resolves to
//! 169.254.169.254 is refused too.
//!
//! [`canonical_resource`] keeps a resource URL byte-for-byte as given except for
//! what RFC 3986 says is case-insensitive, because the `resource` parameter must be
//! identical in the authorization and token requests (RFC 8707) and a URL library
//! would add a trailing `/` to `https://h`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

use crate::error::{Error, Result};

/// Longest URL accepted anywhere (metadata, authorization URL, redirect).
pub const MAX_URL_LEN: usize = 8 * 1024;

/// True for 127.0.0.0/8, ::1 and the name `localhost` (and `*.localhost`).
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Addresses that must never be contacted, whatever the URL said: link-local
/// (which includes the 169.254.169.254 cloud metadata service), unspecified,
/// multicast, broadcast, and the IPv6 forms that embed such an IPv4 address.
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) // AWS IMDS over IPv6
        }
    }
}

fn is_forbidden_v4(v4: Ipv4Addr) -> bool {
    v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.octets()[0] == 0
        || v4 == Ipv4Addr::new(100, 100, 100, 200) // Alibaba Cloud metadata
}

/// How far from the user an address is: this computer, the local network, or
/// the internet. Ordered: a server may send the engine only to addresses of its
/// own class or farther out (hostile row 41), so a server on the internet cannot
/// turn the app against a router's admin page or a service on localhost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddressClass {
    Loopback,
    Private,
    Public,
}

impl AddressClass {
    pub fn of(ip: IpAddr) -> AddressClass {
        #[cfg(any(test, feature = "test-seams"))]
        if let Some(class) = seam::class_of(ip) {
            return class;
        }
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(v4) if v4.is_loopback() => AddressClass::Loopback,
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                // RFC 1918, and the shared address space (RFC 6598) carriers and
                // VPNs use inside their networks.
                if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                    AddressClass::Private
                } else {
                    AddressClass::Public
                }
            }
            IpAddr::V6(v6) if v6.is_loopback() => AddressClass::Loopback,
            // Unique local addresses (fc00::/7).
            IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 => AddressClass::Private,
            IpAddr::V6(_) => AddressClass::Public,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Loopback => "this computer",
            AddressClass::Private => "the local network",
            AddressClass::Public => "the internet",
        }
    }
}

/// Which addresses one server may make the engine contact: those of the
/// server's own class or farther out, or any when the user allowed it for that
/// server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    nearest: AddressClass,
}

impl Reach {
    /// No restriction: a server on this computer, a server the user allowed,
    /// or a request that serves no server (an endpoint the user typed).
    pub const ANY: Reach = Reach { nearest: AddressClass::Loopback };

    pub fn for_class(class: AddressClass) -> Reach {
        Reach { nearest: class }
    }

    /// The reach of a server at these addresses: the farthest class among them
    /// wins (a name that resolves to a public and a loopback address is a
    /// public server, and its loopback address is then refused too).
    pub fn for_addresses(addrs: impl IntoIterator<Item = IpAddr>) -> Reach {
        let farthest = addrs.into_iter().map(AddressClass::of).max().unwrap_or(AddressClass::Public);
        Reach::for_class(farthest)
    }

    pub fn allows(self, ip: IpAddr) -> bool {
        AddressClass::of(ip) >= self.nearest
    }

    pub fn server_class(self) -> AddressClass {
        self.nearest
    }
}

/// The address-class override the tests use to stand a loopback address in for
/// one on the internet or the local network. Compiled only into test builds
/// (the `test-seams` feature, which only dev-dependencies turn on): a shipped
/// binary has no such table and reads no such variable.
#[cfg(any(test, feature = "test-seams"))]
pub mod seam {
    use std::collections::HashMap;
    use std::net::IpAddr;
    use std::sync::{Mutex, OnceLock};

    use super::AddressClass;

    /// `MCP_AUTH_TEST_ADDRESS_CLASSES="127.0.0.2=public,127.0.0.3=private"`
    /// for a test build of the binary.
    pub const ENV: &str = "MCP_AUTH_TEST_ADDRESS_CLASSES";

    fn table() -> &'static Mutex<HashMap<IpAddr, AddressClass>> {
        static TABLE: OnceLock<Mutex<HashMap<IpAddr, AddressClass>>> = OnceLock::new();
        TABLE.get_or_init(|| {
            let mut map = HashMap::new();
            for pair in std::env::var(ENV).unwrap_or_default().split(',') {
                let Some((ip, class)) = pair.split_once('=') else { continue };
                let class = match class.trim() {
                    "public" => AddressClass::Public,
                    "private" => AddressClass::Private,
                    "loopback" => AddressClass::Loopback,
                    _ => continue,
                };
                if let Ok(ip) = ip.trim().parse() {
                    map.insert(ip, class);
                }
            }
            Mutex::new(map)
        })
    }

    /// Treat `ip` as an address of `class` in this process.
    pub fn set_class(ip: IpAddr, class: AddressClass) {
        table().lock().unwrap().insert(ip, class);
    }

    pub(super) fn class_of(ip: IpAddr) -> Option<AddressClass> {
        table().lock().unwrap().get(&ip).copied()
    }
}

/// Parse and check a URL the engine will send a request to.
pub fn check_endpoint(raw: &str) -> Result<Url> {
    check_url_text(raw)?;
    let url = Url::parse(raw).map_err(|e| Error::unsafe_url(raw, format!("not a valid URL ({e})")))?;
    check_parsed(&url, raw)?;
    Ok(url)
}

/// The checks shared by endpoints and the browser: characters first, so that
/// nothing reaches a parser or an OS handler with whitespace, control characters
/// or a leading `-` (which a launcher could read as an option).
pub(crate) fn check_url_text(raw: &str) -> Result<()> {
    if raw.is_empty() {
        return Err(Error::unsafe_url(raw, "empty URL"));
    }
    if raw.len() > MAX_URL_LEN {
        return Err(Error::unsafe_url(truncate_for_message(raw), format!("longer than {MAX_URL_LEN} characters")));
    }
    if raw.starts_with('-') {
        return Err(Error::unsafe_url(raw, "starts with '-'"));
    }
    if let Some(c) = raw.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::unsafe_url(raw.escape_debug().to_string(), format!("contains the character {:?}", c)));
    }
    Ok(())
}

pub(crate) fn check_parsed(url: &Url, raw: &str) -> Result<()> {
    let host = url.host().ok_or_else(|| Error::unsafe_url(raw, "no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&host) => {}
        "http" => return Err(Error::unsafe_url(raw, "plain http is only allowed for this computer (localhost); use https")),
        other => return Err(Error::unsafe_url(raw, format!("the scheme {other:?} is not allowed; only https"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::unsafe_url(raw, "credentials inside a URL are not allowed"));
    }
    let ip = match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    };
    if let Some(ip) = ip {
        if is_forbidden_ip(ip) {
            return Err(Error::unsafe_url(raw, "link-local and cloud-metadata addresses are never contacted"));
        }
    }
    Ok(())
}

/// The canonical form of an MCP server URL used as the OAuth `resource`:
/// scheme and host lower-cased, fragment removed, nothing else changed (no
/// trailing slash added, path case kept, default port kept as written).
pub fn canonical_resource(raw: &str) -> Result<String> {
    let url = check_endpoint(raw)?;
    let (scheme, rest) = raw.split_once("://").ok_or_else(|| Error::unsafe_url(raw, "not an absolute URL"))?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let tail = tail.split('#').next().unwrap_or("");
    debug_assert!(url.host().is_some());
    Ok(format!("{}://{}{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase(), tail))
}

/// `scheme://host[:port]` of a URL, as the url crate serializes it.
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_pass() {
        for ok in ["https://example.com/mcp", "http://127.0.0.1:8080/mcp", "http://localhost/x", "http://[::1]:9/x", "http://127.5.6.7/"] {
            check_endpoint(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn dangerous_schemes_and_hosts_are_refused() {
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,hi",
            "vbscript:msgbox",
            "smb://host/share",
            "ftp://example.com/",
            "http://example.com/",
            "https://169.254.169.254/latest/meta-data",
            "http://169.254.169.254/",
            "https://[fe80::1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://0.0.0.0/",
            "https://user:pw@example.com/",
            "-https://example.com",
            "https://example.com/a b",
            "https://example.com/a\nb",
            "https://example.com/\u{0}",
        ] {
            let err = check_endpoint(bad).expect_err(bad);
            assert_eq!(err.kind(), crate::ErrorKind::UnsafeUrl, "{bad}");
        }
    }

    #[test]
    fn address_classes() {
        let class = |s: &str| AddressClass::of(s.parse().unwrap());
        assert_eq!(class("127.0.0.1"), AddressClass::Loopback);
        assert_eq!(class("::1"), AddressClass::Loopback);
        assert_eq!(class("::ffff:127.0.0.1"), AddressClass::Loopback);
        for private in ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "fd12::1", "::ffff:192.168.0.1"] {
            assert_eq!(class(private), AddressClass::Private, "{private}");
        }
        for public in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1", "93.184.216.34"] {
            assert_eq!(class(public), AddressClass::Public, "{public}");
        }
    }

    #[test]
    fn reach_goes_outward_only() {
        let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
        let public = Reach::for_addresses([ip("8.8.8.8")]);
        assert!(public.allows(ip("1.1.1.1")));
        assert!(!public.allows(ip("192.168.0.1")));
        assert!(!public.allows(ip("127.0.0.1")));
        let private = Reach::for_addresses([ip("10.0.0.5")]);
        assert!(private.allows(ip("192.168.0.1")) && private.allows(ip("1.1.1.1")));
        assert!(!private.allows(ip("127.0.0.1")));
        assert!(Reach::for_addresses([ip("127.0.0.1")]).allows(ip("127.0.0.1")));
        // A name with a public and a loopback address is a public server.
        assert_eq!(Reach::for_addresses([ip("127.0.0.1"), ip("8.8.8.8")]).server_class(), AddressClass::Public);
        assert!(Reach::ANY.allows(ip("127.0.0.1")));
    }

    #[test]
    fn canonical_resource_keeps_bytes() {
        assert_eq!(canonical_resource("https://h").unwrap(), "https://h");
        assert_eq!(canonical_resource("HTTPS://Example.COM:443/MCP?x=1#frag").unwrap(), "https://example.com:443/MCP?x=1");
        assert_eq!(canonical_resource("http://127.0.0.1:3000/mcp/").unwrap(), "http://127.0.0.1:3000/mcp/");
    }
}
