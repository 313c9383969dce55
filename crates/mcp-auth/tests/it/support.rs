//! Small helpers shared by the integration tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_auth::OpenFuture;
use mcp_auth::{Authorizer, BrowserUrl, ClientConfig, HttpBrowser, HttpClient, Limits, Opener, ServerSession, SystemClock};

/// Records every URL it is asked to open, then optionally acts as the headless
/// browser. `opened()` tells a test whether anything was ever opened.
pub struct SpyBrowser {
    pub urls: Arc<Mutex<Vec<String>>>,
    inner: Option<HttpBrowser>,
}

impl SpyBrowser {
    /// Records and then follows the redirects like a browser would.
    pub fn following() -> Self {
        SpyBrowser { urls: Arc::default(), inner: Some(HttpBrowser::new(http())) }
    }
    /// Records only: the "user" never comes back.
    pub fn idle() -> Self {
        SpyBrowser { urls: Arc::default(), inner: None }
    }
    pub fn opened(&self) -> Vec<String> {
        self.urls.lock().unwrap().clone()
    }
}

impl Opener for SpyBrowser {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        self.urls.lock().unwrap().push(url.as_str().to_string());
        Box::pin(async move {
            match &self.inner {
                Some(b) => b.open(url).await,
                None => Ok(()),
            }
        })
    }
}

pub fn http() -> HttpClient {
    HttpClient::new(Limits { request_timeout: Duration::from_secs(5), ..Limits::default() }).unwrap()
}

pub fn session(url: &str, config: ClientConfig) -> ServerSession {
    let mut s = ServerSession::new(url, Authorizer::new(http(), Arc::new(SystemClock), config)).unwrap();
    s.sign_in_timeout = Duration::from_secs(10);
    s
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url).ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
