//! rmcp's Streamable HTTP client, carried by the engine's own [`HttpClient`].
//!
//! rmcp does the protocol (the 2026-07-28 stateless requests with their
//! headers and `_meta`, the 2025 `initialize` and sessions, SSE, resumption);
//! this file keeps the project's transport rules under it. Every request rmcp
//! makes goes through [`BearerHttp`], which
//! - checks the URL the way every engine request is checked (scheme, the
//!   address class of the server the client works for, literal addresses
//!   included: the resolver only sees names),
//! - sends it on the engine's one reqwest client (its resolver's address
//!   filter, no redirects, connect and overall timeouts), and
//! - adds the bearer token itself, from a [`Secret`]: rmcp's configuration
//!   never holds it, so no rmcp value that is printed or logged can show it;
//! - for a DPoP-bound grant (RFC 9449), sends the token in the `DPoP` scheme
//!   with a fresh proof per request; when the server answers
//!   `use_dpop_nonce`, rmcp's error does not carry the `DPoP-Nonce` header,
//!   so one probe (the same URL, an empty JSON object: no JSON-RPC message,
//!   nothing a server acts on) learns the nonce and the request is sent again
//!   once with it.
//!
//! Body caps are rmcp's own response limits, held to the engine's
//! (`BearerHttp::capped`), and enforced by the reqwest backend this delegates to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse, StreamableHttpResponseLimits,
};
use sse_stream::Sse;

use crate::error::Error;
use crate::net::http::HttpClient;
use crate::oauth::dpop;
use crate::vault::secret::Secret;

/// The engine's HTTP client and the token for one server.
#[derive(Clone)]
pub struct BearerHttp {
    http: HttpClient,
    token: Option<Secret>,
    /// The DPoP key the token is bound to, if it is.
    dpop: Option<Secret>,
    refused: Refusals,
}

/// The engine's own error for the last request it refused or that failed on
/// the network, kept beside rmcp's error (which can only carry text) so the
/// session reports it as the rest of the engine would.
#[derive(Clone, Default)]
pub struct Refusals(Arc<Mutex<Option<Error>>>);

impl Refusals {
    pub fn take(&self) -> Option<Error> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn keep(&self, e: Error) -> Failure {
        let text = e.to_string();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        StreamableHttpError::Io(std::io::Error::other(text))
    }
}

type Failure = StreamableHttpError<reqwest::Error>;

/// The server refused for want of a DPoP nonce.
fn asks_for_nonce<T>(result: &Result<T, Failure>) -> bool {
    matches!(result, Err(StreamableHttpError::AuthRequired(e))
        if dpop::asks_for_nonce(std::slice::from_ref(&e.www_authenticate_header), b""))
}

impl BearerHttp {
    pub fn new(http: &HttpClient, token: Option<&Secret>, dpop: Option<&Secret>, refused: &Refusals) -> Self {
        BearerHttp { http: http.clone(), token: token.cloned(), dpop: dpop.cloned(), refused: refused.clone() }
    }

    /// The URL passes the engine's checks, or the request is refused before
    /// anything is sent (the engine's error kept in [`Refusals`]).
    async fn admit(&self, uri: &str) -> Result<(), Failure> {
        self.http.admit(uri).await.map(drop).map_err(|e| self.refused.keep(e))
    }

    /// A network failure named as the engine's client names it (an address
    /// out of reach, a timeout), kept in [`Refusals`].
    fn own<T>(&self, uri: &str, result: Result<T, Failure>) -> Result<T, Failure> {
        result.map_err(|e| match e {
            StreamableHttpError::Client(e) => self.refused.keep(self.http.map_error(uri, e)),
            other => other,
        })
    }

    /// The limits rmcp asks for, held to the engine's: a whole JSON body and
    /// one SSE event each at most the engine's body cap.
    fn capped(&self, asked: StreamableHttpResponseLimits) -> StreamableHttpResponseLimits {
        let max = self.http.limits().max_body;
        let mut limits = asked;
        limits.max_json_response_size = limits.max_json_response_size.min(max);
        limits.max_sse_event_size = limits.max_sse_event_size.min(max);
        limits.max_error_response_size = limits.max_error_response_size.min(max);
        limits
    }

    /// The token for rmcp's bearer header; `None` when it goes in the DPoP
    /// scheme instead ([`Self::proven`]).
    fn bearer(&self) -> Option<String> {
        self.token.as_ref().filter(|_| self.dpop.is_none()).map(|t| t.expose().to_string())
    }

    /// The request's headers, with the DPoP authorization and a fresh proof
    /// for `method` on `uri` when the grant is bound.
    fn proven(
        &self,
        method: &str,
        uri: &str,
        mut headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<HashMap<HeaderName, HeaderValue>, Failure> {
        let (Some(key), Some(token)) = (&self.dpop, &self.token) else { return Ok(headers) };
        let proof = dpop::proof(key, method, uri, Some(token)).map_err(|e| self.refused.keep(e))?;
        let value = |v: String| {
            HeaderValue::from_str(&v).map_err(|_| self.refused.keep(Error::InvalidInput("a DPoP header could not be made".into())))
        };
        let mut authorization = value(dpop::authorization(token, true))?;
        authorization.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, authorization);
        headers.insert(HeaderName::from_static("dpop"), value(proof.expose().to_string())?);
        Ok(headers)
    }

    /// The server refused for want of a DPoP nonce: learn it with one probe
    /// (see the module's note). `true` when a new nonce was learnt.
    async fn learn_nonce(&self, uri: &str, asked: bool) -> bool {
        let (true, Some(key), Some(token)) = (asked, &self.dpop, &self.token) else { return false };
        let Ok(proof) = dpop::proof(key, "POST", uri, Some(token)) else { return false };
        let probe = self
            .http
            .reqwest()
            .post(uri)
            .header(reqwest::header::AUTHORIZATION, dpop::authorization(token, true))
            .header("dpop", proof.expose())
            .header(reqwest::header::ACCEPT, "application/json, text/event-stream")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await;
        probe.is_ok_and(|r| dpop::remember_nonce(uri, r.headers()))
    }
}

/// The shorter forms rmcp may call lead to the two that send a message or open
/// a stream (`post_message_with_response_limits`,
/// `get_stream_with_max_sse_event_size`); each request (and `delete_session`)
/// is admitted, its limits capped and the token added there.
impl StreamableHttpClient for BearerHttp {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        let asked = StreamableHttpResponseLimits::default();
        self.post_message_with_response_limits(uri, message, session_id, None, custom_headers, asked).await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        let mut asked = StreamableHttpResponseLimits::default();
        asked.max_sse_event_size = max_sse_event_size;
        self.post_message_with_response_limits(uri, message, session_id, None, custom_headers, asked).await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        self.admit(&uri).await?;
        let limits = self.capped(limits);
        let send = |message: ClientJsonRpcMessage, headers| {
            let session_id = session_id.clone();
            let uri = uri.clone();
            async move {
                let headers = self.proven("POST", &uri, headers)?;
                self.http.reqwest().post_message_with_response_limits(uri, message, session_id, self.bearer(), headers, limits).await
            }
        };
        let mut sent = send(message.clone(), custom_headers.clone()).await;
        if self.learn_nonce(&uri, asks_for_nonce(&sent)).await {
            sent = send(message, custom_headers).await;
        }
        self.own(&uri, sent)
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Failure> {
        self.admit(&uri).await?;
        let headers = self.proven("DELETE", &uri, custom_headers)?;
        let sent = self.http.reqwest().delete_session(uri.clone(), session_id, self.bearer(), headers).await;
        self.own(&uri, sent)
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        self.get_stream_with_max_sse_event_size(uri, session_id, last_event_id, None, custom_headers, usize::MAX).await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        self.admit(&uri).await?;
        let mut asked = StreamableHttpResponseLimits::default();
        asked.max_sse_event_size = max_sse_event_size;
        let max = self.capped(asked).max_sse_event_size;
        let open = |headers| {
            let (uri, session_id, last_event_id) = (uri.clone(), session_id.clone(), last_event_id.clone());
            async move {
                let headers = self.proven("GET", &uri, headers)?;
                self.http.reqwest().get_stream_with_max_sse_event_size(uri, session_id, last_event_id, self.bearer(), headers, max).await
            }
        };
        let mut sent = open(custom_headers.clone()).await;
        if self.learn_nonce(&uri, asks_for_nonce(&sent)).await {
            sent = open(custom_headers).await;
        }
        self.own(&uri, sent)
    }
}
