//! `mcp-auth doctor` and the app's Diagnose: every step a sign-in and its use
//! go through, each with a verdict and what to do, in plain words.
//!
//! It looks and changes nothing: no refresh, no sign-in, no registration,
//! nothing written (the redirect port is bound and let go at once). Nothing it
//! reports holds a secret: the token is sent to the server once, for the test
//! call, and the answer is described by its status and challenge only.
//!
//! Steps run in order; one that cannot run because an earlier one failed is
//! `skipped`, with the reason, so the first problem is the one to fix.

use serde::Serialize;

use crate::error::Error;
use crate::mcp::client::McpSession;
use crate::net::http::HttpClient;
use crate::net::loopback::{LoopbackListener, RedirectTarget};
use crate::oauth::discovery::{discover_with, probe, Discovery, Probe};
use crate::oauth::registration::ClientSource;
use crate::vault::server_list::ServerEntry;
use crate::vault::store::Store;
use crate::vault::Vault;

/// How one step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "DiagnosisVerdict"))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    /// Could not run: an earlier step failed, or it does not apply.
    Skipped,
    /// Works, but not as it should, or may stop working.
    Warning,
    /// This is what stops a sign-in or its use.
    Problem,
}

/// One step: what was checked, what was found, and what to do.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "DiagnosisStep"))]
pub struct Step {
    /// Stable, for programs: `reachable`, `challenge`, `protected_resource`,
    /// `authorization_server`, `pkce`, `client`, `redirect_port`, `keychain`,
    /// `grant`, `test_call`.
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    /// What was found, in plain words.
    pub found: String,
    /// What to do, when there is something to do.
    pub fix: Option<String>,
}

/// The whole diagnosis of one server.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Diagnosis {
    pub server: String,
    pub url: String,
    /// The worst verdict of any step.
    pub verdict: Verdict,
    pub steps: Vec<Step>,
}

struct Steps(Vec<Step>);

impl Steps {
    fn add(&mut self, id: &str, title: &str, verdict: Verdict, found: impl Into<String>, fix: Option<&str>) {
        self.0.push(Step { id: id.into(), title: title.into(), verdict, found: found.into(), fix: fix.map(str::to_owned) });
    }
    fn skip(&mut self, id: &str, title: &str, why: &str) {
        let mut chars = why.chars();
        let why: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        self.add(id, title, Verdict::Skipped, why, None);
    }
}

const REACHABLE: &str = "The server answers";
const CHALLENGE: &str = "It asks for a sign-in the standard way";
const PRM: &str = "It says where to sign in (protected resource metadata)";
const AS: &str = "The sign-in service describes itself (authorization server metadata)";
const PKCE: &str = "The sign-in service protects the code (PKCE S256)";
const CLIENT: &str = "This app has an identity at the sign-in service";
const PORT: &str = "The browser can come back (redirect port)";
const KEYCHAIN: &str = "The keychain can be reached";
const GRANT: &str = "A sign-in is stored";
const TEST: &str = "The server accepts the stored sign-in";

/// Diagnose `server` (a name of the list or a URL).
pub async fn diagnose<V: Vault>(store: &Store<V>, server: &str, http: HttpClient) -> crate::error::Result<Diagnosis> {
    let entry = match store.resolve(server) {
        Ok(e) => e,
        Err(Error::UnknownServer(_)) if url::Url::parse(server).is_ok() => {
            ServerEntry { url: server.to_string(), ..ServerEntry::default() }
        }
        Err(e) => return Err(e),
    };
    let http = http.serving(&entry.url, entry.allow_local_network);
    let mut steps = Steps(Vec::new());
    let discovery = reach_and_discover(&http, &entry, &mut steps).await;
    let registered_redirect = client_identity(store, &entry, discovery.as_ref(), &mut steps);
    redirect_port(&entry, registered_redirect, &mut steps).await;
    let grant = stored_grant(store, &entry, discovery.as_ref(), &mut steps);
    test_call(&http, &entry, grant.as_ref(), &mut steps).await;
    let verdict = steps.0.iter().map(|s| s.verdict).filter(|v| *v != Verdict::Skipped).max().unwrap_or(Verdict::Ok);
    Ok(Diagnosis { server: entry.name.clone(), url: entry.url.clone(), verdict, steps: steps.0 })
}

/// Reachable, challenge, PRM, AS metadata, PKCE. `None` when there is no
/// authorization server to sign in with (open, unreachable, or refused).
async fn reach_and_discover(http: &HttpClient, entry: &ServerEntry, steps: &mut Steps) -> Option<Discovery> {
    let later = |steps: &mut Steps, why: &str| {
        for (id, title) in [("challenge", CHALLENGE), ("protected_resource", PRM), ("authorization_server", AS), ("pkce", PKCE)] {
            if !steps.0.iter().any(|s| s.id == id) {
                steps.skip(id, title, why);
            }
        }
    };
    let probed = match crate::net::address::canonical_resource(&entry.url) {
        Ok(url) => probe(http, &url).await.map(|p| (url, p)),
        Err(e) => Err(e),
    };
    let (url, challenge) = match probed {
        Err(e) => {
            steps.add("reachable", REACHABLE, Verdict::Problem, format!("No: {e}"), Some(reach_fix(&e)));
            later(steps, "the server did not answer");
            return None;
        }
        Ok((_, Probe::Open)) => {
            steps.add("reachable", REACHABLE, Verdict::Ok, "Yes, and it answers without asking anyone to sign in", None);
            later(steps, "this server needs no sign-in");
            return None;
        }
        Ok((url, Probe::Challenged { challenge, status })) => {
            steps.add("reachable", REACHABLE, Verdict::Ok, format!("Yes (HTTP {status}: it asks for a sign-in)"), None);
            match &challenge {
                Some(c) if c.resource_metadata.is_some() => {
                    steps.add("challenge", CHALLENGE, Verdict::Ok, "Yes: its challenge names where to learn more (resource_metadata)", None)
                }
                Some(_) => steps.add(
                    "challenge",
                    CHALLENGE,
                    Verdict::Ok,
                    "Yes, without saying where to learn more: the well-known addresses are tried",
                    None,
                ),
                None => steps.add(
                    "challenge",
                    CHALLENGE,
                    Verdict::Warning,
                    format!("It answered HTTP {status} without a readable WWW-Authenticate challenge"),
                    Some("The sign-in may still work through the well-known addresses; if not, the server's operator must fix its challenge."),
                ),
            }
            (url, challenge)
        }
        Ok((url, Probe::Other { status })) => {
            steps.add(
                "reachable",
                REACHABLE,
                Verdict::Warning,
                format!("It answered HTTP {status}, neither an MCP answer nor a request to sign in"),
                Some("Check the address: it should be the server's MCP endpoint (often ending in /mcp)."),
            );
            (url, None)
        }
    };
    match discover_with(http, &url, challenge).await {
        Ok(d) => {
            match (&d.protected_resource, &d.protected_resource_url) {
                (Some(prm), Some(at)) => steps.add(
                    "protected_resource",
                    PRM,
                    Verdict::Ok,
                    format!("Found at {at}, for this server ({}), naming {}", prm.resource, d.auth_server.issuer),
                    None,
                ),
                _ => steps.add(
                    "protected_resource",
                    PRM,
                    Verdict::Warning,
                    "Not published: the older (2025-03-26) way is used, the sign-in service on the server's own address",
                    Some("Works for now; newer MCP apps may not manage. The server's operator should publish it."),
                ),
            }
            match &d.metadata_url {
                Some(at) => steps.add(
                    "authorization_server",
                    AS,
                    Verdict::Ok,
                    format!("Found at {at}; its issuer is exactly {}", d.auth_server.issuer),
                    None,
                ),
                None => steps.add(
                    "authorization_server",
                    AS,
                    Verdict::Warning,
                    "No metadata document: the default endpoints (/authorize, /token, /register) are assumed",
                    None,
                ),
            }
            if d.auth_server.supports_s256() {
                steps.add("pkce", PKCE, Verdict::Ok, "Yes (S256)", None);
            } else {
                steps.add(
                    "pkce",
                    PKCE,
                    Verdict::Problem,
                    "No: it does not offer S256, so this app will not sign in there",
                    Some("Ask the server's operator to enable PKCE with S256 (OAuth 2.1 requires it)."),
                );
            }
            Some(d)
        }
        Err(e) => {
            let (id, title) = match &e {
                Error::ResourceMismatch { .. } => ("protected_resource", PRM),
                Error::IssuerMismatch { .. } | Error::PkceUnsupported { .. } | Error::NoAuthorizationServer { .. } => {
                    ("authorization_server", AS)
                }
                _ if steps.0.iter().any(|s| s.id == "protected_resource") => ("authorization_server", AS),
                _ => ("protected_resource", PRM),
            };
            let fix = match e.kind() {
                crate::error::ErrorKind::Untrusted | crate::error::ErrorKind::UnsafeUrl => {
                    "Don't sign in: this server's sign-in setup looks unsafe. Tell its operator (or your IT team) what this says."
                }
                _ => "The server's operator must fix its sign-in setup; tell them what this says.",
            };
            steps.add(id, title, Verdict::Problem, format!("No: {e}"), Some(fix));
            later(steps, "an earlier step failed");
            None
        }
    }
}

fn reach_fix(e: &Error) -> &'static str {
    match e.kind() {
        crate::error::ErrorKind::UnsafeUrl => "The address is refused for safety (see the message). Check it, or allow this computer and the local network in the server's settings if it is your own.",
        _ => "Check the address, your network connection, and a proxy if your network needs one (HTTPS_PROXY).",
    }
}

/// Returns the redirect URI an automatic registration was made with (its
/// port is the one a sign-in tries first).
fn client_identity<V: Vault>(store: &Store<V>, entry: &ServerEntry, d: Option<&Discovery>, steps: &mut Steps) -> Option<String> {
    let Some(d) = d else {
        steps.skip("client", CLIENT, "there is no sign-in service to check against");
        return None;
    };
    let meta = &d.auth_server;
    let kind = entry.grant_kind.clone().unwrap_or_default();
    let stored = entry.client_id.as_deref().and_then(|id| store.load_client(&meta.issuer, id).ok().flatten());
    let registered = store
        .automatic_clients()
        .ok()
        .and_then(|all| all.into_iter().find(|c| c.issuer == meta.issuer && c.source != ClientSource::Entered));
    let registered_redirect = registered.as_ref().and_then(|c| c.redirect_uris.first().cloned());
    match (&entry.client_id, registered) {
        (Some(id), _) => {
            let proof = match &stored {
                Some(c) if c.private_key.is_some() => ", with its private key in the keychain",
                Some(c) if c.client_secret.is_some() => ", with its secret in the keychain",
                _ if kind.needs_client_id() => ", but no secret or key is stored for it",
                _ => "",
            };
            let verdict = if proof.starts_with(", but") { Verdict::Problem } else { Verdict::Ok };
            let fix = (verdict == Verdict::Problem)
                .then_some("Store the client's secret or key: mcp-auth secret set SERVER (--private-key-file KEY.pem).");
            steps.add("client", CLIENT, verdict, format!("Entered: {id}{proof}"), fix);
        }
        (None, Some(c)) => {
            let how = if c.source == ClientSource::MetadataDocument { "A Client ID Metadata Document" } else { "Registered automatically" };
            steps.add("client", CLIENT, Verdict::Ok, format!("{}: {}", how, c.client_id), None);
        }
        (None, None) if meta.client_id_metadata_document_supported && entry.client_metadata_url.is_some() => {
            steps.add("client", CLIENT, Verdict::Ok, "It accepts this app's Client ID Metadata Document", None)
        }
        (None, None) if meta.registration_endpoint.is_some() => {
            steps.add("client", CLIENT, Verdict::Ok, "None yet: it lets apps register themselves, which happens at sign-in", None)
        }
        (None, None) => steps.add(
            "client",
            CLIENT,
            Verdict::Problem,
            "None: the sign-in service does not let apps register themselves",
            Some("Your IT team must set this server up for MCP Auth Manager and give you a client id; enter it in the server's settings."),
        ),
    }
    registered_redirect.filter(|_| entry.client_id.is_none())
}

async fn redirect_port(entry: &ServerEntry, registered: Option<String>, steps: &mut Steps) {
    let target = match (&entry.redirect_uri, entry.port, &registered) {
        (Some(uri), _, _) => RedirectTarget::parse(uri),
        (None, Some(port), _) => Ok(RedirectTarget { port: Some(port), ..RedirectTarget::default() }),
        (None, None, Some(uri)) => match RedirectTarget::parse(uri) {
            // The registration's port is tried first; busy, another is taken
            // and the app registers again.
            Ok(t) if LoopbackListener::bind(&t).await.is_ok() => {
                return steps.add("redirect_port", PORT, Verdict::Ok, format!("{uri} (the registered one) is free"), None)
            }
            _ => {
                return steps.add(
                    "redirect_port",
                    PORT,
                    Verdict::Ok,
                    format!("{uri} (the registered one) is taken; the next sign-in takes a free port and registers again"),
                    None,
                )
            }
        },
        (None, None, None) => return steps.add("redirect_port", PORT, Verdict::Ok, "A free port is chosen at sign-in", None),
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            return steps.add(
                "redirect_port",
                PORT,
                Verdict::Problem,
                format!("The redirect address is not usable: {e}"),
                Some("Fix the redirect address in the server's settings."),
            )
        }
    };
    match LoopbackListener::bind(&target).await {
        Ok(listener) => {
            let uri = listener.redirect_uri();
            drop(listener);
            steps.add("redirect_port", PORT, Verdict::Ok, format!("{uri} is free"), None);
        }
        Err(e) => steps.add(
            "redirect_port",
            PORT,
            Verdict::Problem,
            format!("No: {e}"),
            Some("Another program uses that port: close it, or choose another redirect address (the client's registration must list it)."),
        ),
    }
}

fn stored_grant<V: Vault>(
    store: &Store<V>,
    entry: &ServerEntry,
    d: Option<&Discovery>,
    steps: &mut Steps,
) -> Option<crate::oauth::grant::Grant> {
    if entry.name.is_empty() {
        steps.skip("keychain", KEYCHAIN, "this address is not in your list");
        steps.skip("grant", GRANT, "this address is not in your list");
        return None;
    }
    let grant = match store.load_grant(entry) {
        Ok(g) => {
            steps.add("keychain", KEYCHAIN, Verdict::Ok, "Yes", None);
            g
        }
        Err(e) => {
            steps.add(
                "keychain",
                KEYCHAIN,
                Verdict::Problem,
                format!("No: {e}"),
                Some("Start or unlock your keychain (the message says how), then try again."),
            );
            steps.skip("grant", GRANT, "the keychain could not be read");
            return None;
        }
    };
    let Some(g) = grant else {
        steps.add("grant", GRANT, Verdict::Warning, "No: you are not signed in to this server", Some("Sign in."));
        return None;
    };
    let now = crate::oauth::grant::Clock::now(&crate::oauth::grant::SystemClock);
    let renews = g.refresh_token.is_some() || entry.grant_kind.as_ref().is_some_and(|k| k.is_unattended());
    let expiry = match g.expires_at {
        Some(t) if t <= now => "its access has expired".to_string(),
        Some(t) => format!("its access ends in {} min", (t - now).div_ceil(60)),
        None => "the server did not say when its access ends".to_string(),
    };
    let renewal = if renews { "it renews itself" } else { "it cannot renew itself (no refresh token)" };
    let bound = if g.access_is_bound() { "; bound to this computer (DPoP)" } else { "" };
    let found = format!("Yes, at {} as {}: {expiry}, {renewal}{bound}", g.issuer, g.client_id);
    match d {
        Some(d) if d.auth_server.issuer != g.issuer => steps.add(
            "grant",
            GRANT,
            Verdict::Problem,
            format!("{found}; but the server now signs in at {}", d.auth_server.issuer),
            Some("Sign in again: the server moved to another sign-in service."),
        ),
        _ if g.expires_at.is_some_and(|t| t <= now) && !renews => {
            steps.add("grant", GRANT, Verdict::Problem, found, Some("Sign in again: the access has ended and cannot renew itself."))
        }
        _ => steps.add("grant", GRANT, Verdict::Ok, found, None),
    }
    Some(g)
}

async fn test_call(http: &HttpClient, entry: &ServerEntry, grant: Option<&crate::oauth::grant::Grant>, steps: &mut Steps) {
    let Some(g) = grant else { return steps.skip("test_call", TEST, "there is no stored sign-in to try") };
    let Ok(url) = crate::net::address::canonical_resource(&entry.url) else {
        return steps.skip("test_call", TEST, "the address is not usable");
    };
    let tried = async {
        let mut session = McpSession::connect(http, &url, Some(&g.access_token), g.access_proof_key()).await?;
        let tools = session.list_tools().await;
        session.close().await;
        tools
    }
    .await;
    match tried {
        Ok(tools) => {
            let n = tools.len();
            steps.add("test_call", TEST, Verdict::Ok, format!("Yes: it lists {n} tool{}", if n == 1 { "" } else { "s" }), None)
        }
        Err(Error::Unauthorized { status: 403, challenge, .. }) => {
            let scope = challenge.and_then(|c| c.scope).unwrap_or_else(|| "more access".into());
            steps.add(
                "test_call",
                TEST,
                Verdict::Problem,
                format!("No: it answered 403 and asks for {scope}"),
                Some("Sign in again and allow the access it asks for."),
            )
        }
        Err(Error::Unauthorized { status, .. }) => steps.add(
            "test_call",
            TEST,
            Verdict::Problem,
            format!("No: it refused the stored access (HTTP {status})"),
            Some(if g.refresh_token.is_some() { "Renew the access (Renew now); if that fails, sign in again." } else { "Sign in again." }),
        ),
        Err(e) => steps.add("test_call", TEST, Verdict::Problem, format!("No: {e}"), Some("See the message; the steps above may say why.")),
    }
}
