//! Opening the authorization URL: validation first, then an [`Opener`].
//!
//! A malicious server controls the `authorization_endpoint`, and an OS URL handler
//! given `file:`, `smb:` or a string that a shell would expand can run code
//! (CVE-2025-6514). So only a [`BrowserUrl`] can be opened, and one can only be
//! made by [`BrowserUrl::parse`]: `https`, or `http` on loopback, no whitespace or
//! control characters, no leading `-`. The system opener passes it as one argv
//! element to the platform's launcher (the `open` crate's list), never through
//! a shell.
//!
//! [`HttpBrowser`] is the headless stand-in for a person with a browser: it GETs
//! the URL and follows redirects (each hop checked) until one reaches the
//! loopback listener. State, PKCE and the listener all run as in a real sign-in.

use std::future::Future;
use std::pin::Pin;
use std::process::Stdio;

use reqwest::Method;
use url::Url;

use crate::error::{Error, Result};
use crate::net::address::{check_parsed, check_url_text};
use crate::net::http::{Body, HttpClient};

/// A URL that passed the browser checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserUrl(Url);

impl BrowserUrl {
    pub fn parse(raw: &str) -> Result<Self> {
        check_url_text(raw)?;
        let url = Url::parse(raw).map_err(|e| Error::unsafe_url(raw, format!("not a valid URL ({e})")))?;
        check_parsed(&url, raw)?;
        // The serialized form is what the OS receives: check it too.
        check_url_text(url.as_str())?;
        Ok(BrowserUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

pub type OpenFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// Something that shows the authorization URL to the user (or stands in for them).
pub trait Opener: Send + Sync {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a>;
}

/// The platform's default browser, started without a shell: the `open`
/// crate's launchers for this platform (xdg-open, gio, KDE's and GNOME's on
/// Linux, with PowerShell first on WSL; `open` on macOS; PowerShell, the URL
/// in its environment, then Explorer on Windows), each given the checked URL
/// as one argument, tried in turn until one opens it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemBrowser;

/// How long a launcher has to say it found no browser: `xdg-open` exits at
/// once either way (3 when there is none); one still running after this is
/// taken to have opened one.
const LAUNCHER_VERDICT: std::time::Duration = std::time::Duration::from_secs(3);

impl Opener for SystemBrowser {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        Box::pin(async move {
            // A launcher that ran and found no browser says more than one
            // that is not installed: that is the reason given.
            let mut refused: Option<String> = None;
            let mut missing = String::from("no launcher is available");
            for mut launcher in open::commands(url.as_str()) {
                let program = launcher.get_program().to_string_lossy().into_owned();
                let mut child = match launcher.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        missing = format!("{program}: {e}");
                        continue;
                    }
                };
                let deadline = tokio::time::Instant::now() + LAUNCHER_VERDICT;
                let exited = loop {
                    match child.try_wait() {
                        Ok(Some(status)) => break Some(status),
                        Ok(None) if tokio::time::Instant::now() < deadline => {
                            tokio::time::sleep(std::time::Duration::from_millis(25)).await
                        }
                        _ => break None,
                    }
                };
                match exited {
                    Some(status) if status.success() => return Ok(()),
                    Some(status) => {
                        refused.get_or_insert(format!("{program} found no browser to open the link ({status})"));
                    }
                    None => {
                        // Still running: it is the browser, or hands over to it.
                        std::thread::spawn(move || {
                            let _ = child.wait();
                        });
                        return Ok(());
                    }
                }
            }
            Err(Error::Browser { reason: refused.unwrap_or(missing) })
        })
    }
}

/// Prints the URL for the user to open (and copy) themselves.
pub struct PrintBrowser<F: Fn(&str) + Send + Sync>(pub F);

impl<F: Fn(&str) + Send + Sync> Opener for PrintBrowser<F> {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        (self.0)(url.as_str());
        Box::pin(async { Ok(()) })
    }
}

/// What a browser does with a redirect to an app's own scheme: hands it to the OS.
pub type LinkHandoff = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// GETs the URL and follows redirects until the loopback redirect is delivered
/// (or, like a real browser, hands a redirect to the app's URL scheme over to
/// the OS, when a hand-off is given).
#[derive(Clone)]
pub struct HttpBrowser {
    http: HttpClient,
    max_hops: usize,
    link: Option<(String, LinkHandoff)>,
}

impl std::fmt::Debug for HttpBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBrowser").field("max_hops", &self.max_hops).finish()
    }
}

impl HttpBrowser {
    pub fn new(http: HttpClient) -> Self {
        HttpBrowser { http, max_hops: 10, link: None }
    }

    /// Redirects starting with `prefix` (e.g. `dev.mcpauth.manager:`) go to `hand`.
    pub fn with_link_handoff(mut self, prefix: &str, hand: LinkHandoff) -> Self {
        self.link = Some((prefix.to_string(), hand));
        self
    }
}

impl Opener for HttpBrowser {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        Box::pin(async move {
            let mut current = url.as_str().to_string();
            for _ in 0..self.max_hops {
                let next = BrowserUrl::parse(&current)?;
                let fetched = self.http.send(Method::GET, next.as_str(), &[("accept", "text/html,*/*")], Body::None).await?;
                if !fetched.status.is_redirection() {
                    if fetched.status.is_success() {
                        // Reached a page that is not a redirect: either our own
                        // listener's page (done) or a page that needs a person.
                        return Ok(());
                    }
                    return Err(Error::Browser { reason: format!("{} answered HTTP {}", fetched.url, fetched.status.as_u16()) });
                }
                let location = fetched
                    .headers
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| Error::Browser { reason: "a redirect without a Location".into() })?;
                if let Some((prefix, hand)) = &self.link {
                    if location.starts_with(prefix.as_str()) {
                        hand(location);
                        return Ok(());
                    }
                }
                current = fetched.url.join(location).map_err(|_| Error::unsafe_url(location, "invalid redirect target"))?.to_string();
            }
            Err(Error::Browser { reason: "too many redirects".into() })
        })
    }
}

/// Reads one line the person pasted (`None`: no more input).
pub type LineSource = std::sync::Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// For a browser on another device (an SSH session, a container): the link is
/// shown, the person signs in wherever they can, and pastes back the address
/// the browser ended on (the loopback page that could not load there). That
/// address is handed to the loopback listener over loopback HTTP, so it is
/// checked exactly like a redirect that arrived by itself (state, `iss`, one
/// use, the error parameters). Only an address on the redirect URI the link
/// names is handed on; anything else is refused and asked for again.
pub struct PasteBack {
    http: HttpClient,
    show: std::sync::Arc<dyn Fn(&str) + Send + Sync>,
    read: LineSource,
}

/// How many pasted lines may miss before the sign-in stops.
const PASTE_ATTEMPTS: usize = 5;

impl PasteBack {
    /// `show` tells the person something (the link, then what to paste);
    /// `read` reads the line they paste.
    pub fn new(http: HttpClient, show: std::sync::Arc<dyn Fn(&str) + Send + Sync>, read: LineSource) -> Self {
        PasteBack { http, show, read }
    }
}

/// Whether `pasted` is an address on `redirect` (same scheme, host, port and path).
fn on_redirect(pasted: &url::Url, redirect: &url::Url) -> bool {
    pasted.scheme() == redirect.scheme()
        && pasted.host_str() == redirect.host_str()
        && pasted.port_or_known_default() == redirect.port_or_known_default()
        && pasted.path() == redirect.path()
}

impl Opener for PasteBack {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        Box::pin(async move {
            let link = url::Url::parse(url.as_str()).map_err(|_| Error::unsafe_url(url.as_str(), "not a URL"))?;
            let redirect = link
                .query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .and_then(|(_, v)| url::Url::parse(&v).ok())
                .filter(|r| r.scheme() == "http" && matches!(r.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
                .ok_or_else(|| Error::Browser {
                    reason: "this sign-in does not come back to a loopback address, so nothing can be pasted".into(),
                })?;
            (self.show)(&format!(
                "Open this link in a browser (on any device) and sign in:\n{}\nThe browser then fails to load a page at {}; copy that page's whole address and paste it here:",
                url.as_str(),
                redirect.as_str().split('?').next().unwrap_or_default()
            ));
            let state = link.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned());
            let state_of = |u: &url::Url| u.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned());
            for _ in 0..PASTE_ATTEMPTS {
                let read = self.read.clone();
                let Ok(Some(line)) = tokio::task::spawn_blocking(move || read()).await else { return Err(Error::Cancelled) };
                match url::Url::parse(line.trim()) {
                    // An address of another sign-in (an old tab) would only be
                    // ignored by the listener: asked for again instead.
                    Ok(pasted) if on_redirect(&pasted, &redirect) && state_of(&pasted) != state => {
                        (self.show)("That address belongs to another sign-in (an older tab?). Paste the address of this one:")
                    }
                    Ok(pasted) if on_redirect(&pasted, &redirect) => {
                        // The listener answers whatever it judged; its verdict
                        // reaches the sign-in through the listener itself.
                        self.http.send(Method::GET, pasted.as_str(), &[("accept", "text/html")], Body::None).await?;
                        return Ok(());
                    }
                    _ => (self.show)(&format!(
                        "That is not the address the browser ended on (it starts with {}). Paste it again:",
                        redirect.as_str().split('?').next().unwrap_or_default()
                    )),
                }
            }
            Err(Error::Browser { reason: "no address the sign-in came back to was pasted".into() })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_urls_never_become_browser_urls() {
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "smb://attacker/share",
            "-oProxyCommand=calc",
            "https://a.example/$(touch /tmp/pwned)",
            "https://a.example/ `id`",
            "https://a.example/x\ny",
            "http://attacker.example/authorize",
            "ms-msdt:/id",
        ] {
            assert!(BrowserUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metacharacters_are_percent_encoded_not_expanded() {
        // Without spaces, `$(` and backticks survive parsing, percent-encoded; the
        // URL goes to the launcher as one argv element with no shell.
        let u = BrowserUrl::parse("https://a.example/$(id)`x`\"&calc%").unwrap();
        assert!(!u.as_str().contains('`') && !u.as_str().contains('"'));
        assert!(u.as_str().starts_with("https://a.example/"));
    }
}
