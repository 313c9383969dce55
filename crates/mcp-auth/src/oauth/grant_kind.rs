//! How a grant is obtained: a person in a browser (the authorization code
//! grant, the default), or, for programs and company-managed sign-ins, with no
//! person at all:
//!
//! - `client_credentials` (RFC 6749 §4.4; the MCP extension
//!   `io.modelcontextprotocol/oauth-client-credentials`): the client itself,
//!   proven by its secret or by a `private_key_jwt` assertion (RFC 7523);
//! - `enterprise` (SEP-990): the person's ID token from the company's identity
//!   provider, exchanged there for an ID-JAG ([`crate::oauth::enterprise`]), then
//!   the JWT bearer grant at the MCP server's authorization server;
//! - `workload` (SEP-1933): a workload identity token (Kubernetes, a cloud's
//!   metadata service, CI) as the JWT bearer assertion.
//!
//! None of these has a refresh token worth the name: "renewing" is obtaining
//! the grant again the same way, from what the server's settings keep (the
//! kind and the files to read) and the keychain (secret, key). So the kind is
//! a setting of the server, read at every renewal. A refusal
//! (`invalid_grant`, `invalid_scope`, `unauthorized_client`) is reported as
//! the server said it, never retried with another grant (SEP-1933).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::net::http::HttpClient;
use crate::oauth::enterprise::{exchange_for_id_jag, IdentityProvider};
use crate::oauth::grant::Clock;
use crate::oauth::token::{TokenEndpoint, TokenResponse};
use crate::vault::secret::Secret;

/// The way a server's grant is obtained and renewed (a server setting).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GrantKind {
    /// A person signs in in a browser (or on another device).
    #[default]
    AuthorizationCode,
    /// The client's own credentials: its secret or its private key.
    ClientCredentials,
    /// The company's identity provider vouches for the person (SEP-990).
    Enterprise {
        idp: IdentityProvider,
        /// Read again at each renewal: whatever keeps it fresh writes it there.
        id_token_file: PathBuf,
    },
    /// A workload identity token, read again at each renewal (SEP-1933).
    Workload { token_file: PathBuf },
}

impl GrantKind {
    /// Obtained with no person in a browser, so renewable without asking anyone.
    pub fn is_unattended(&self) -> bool {
        !matches!(self, GrantKind::AuthorizationCode)
    }

    /// The `--grant` value that names it.
    pub fn flag(&self) -> &'static str {
        match self {
            GrantKind::AuthorizationCode => "authorization-code",
            GrantKind::ClientCredentials => "client-credentials",
            GrantKind::Enterprise { .. } => "enterprise",
            GrantKind::Workload { .. } => "workload",
        }
    }

    /// In plain words, for the app's review pane and `status`.
    pub fn describe(&self) -> &'static str {
        match self {
            GrantKind::AuthorizationCode => "You sign in through your browser",
            GrantKind::ClientCredentials => "This app signs in as itself, with its own credentials (no person)",
            GrantKind::Enterprise { .. } => "Your company's sign-in vouches for you (enterprise-managed)",
            GrantKind::Workload { .. } => "This computer's workload identity signs in (no person)",
        }
    }

    /// Does this kind need a client id the person gives?
    pub fn needs_client_id(&self) -> bool {
        matches!(self, GrantKind::ClientCredentials | GrantKind::Enterprise { .. })
    }
}

/// The largest token file read (an ID token or workload JWT is a few KiB).
const TOKEN_FILE_CAP: u64 = 64 * 1024;

/// A token from a file, trimmed; a file that is missing, not a regular file,
/// too big or empty is refused, naming the file (never its content).
pub fn read_token_file(path: &Path) -> Result<Secret> {
    let refuse = |why: &str| Error::InvalidInput(format!("{}: {why}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| refuse(&format!("cannot be read ({})", e.kind())))?;
    let meta = file.metadata().map_err(|e| refuse(&format!("cannot be read ({})", e.kind())))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file"));
    }
    let mut text = zeroize::Zeroizing::new(String::new());
    file.take(TOKEN_FILE_CAP + 1).read_to_string(&mut text).map_err(|_| refuse("is not text"))?;
    if text.len() as u64 > TOKEN_FILE_CAP {
        return Err(refuse("is larger than 64 KiB; it does not hold a token"));
    }
    let token = text.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(refuse("does not hold one token"));
    }
    Ok(Secret::new(token))
}

/// What an unattended grant needs besides its kind.
pub struct UnattendedRequest<'a> {
    pub token_endpoint: TokenEndpoint<'a>,
    /// The authorization server's issuer: the ID-JAG's audience.
    pub issuer: &'a str,
    pub resource: &'a str,
    pub scope: Option<&'a str>,
}

/// Obtain a grant of `kind` (not `AuthorizationCode`: that needs a person).
pub async fn obtain_unattended(
    http: &HttpClient,
    kind: &GrantKind,
    req: &UnattendedRequest<'_>,
    clock: &dyn Clock,
) -> Result<TokenResponse> {
    let at = &req.token_endpoint;
    let result = match kind {
        GrantKind::AuthorizationCode => return Err(Error::InvalidInput("this grant needs a person to sign in".into())),
        GrantKind::ClientCredentials => {
            let client = at.client;
            if client.client_secret.is_none() && client.private_key.is_none() {
                return Err(Error::InvalidInput(format!(
                    "the client credentials grant needs the client's secret or private key for {} \
                     (OAUTH_CLIENT_SECRET, --client-secret-stdin or --private-key-file)",
                    client.client_id
                )));
            }
            at.client_credentials(http, req.scope, req.resource, clock).await
        }
        GrantKind::Enterprise { idp, id_token_file } => {
            let id_token = read_token_file(id_token_file)?;
            let jag = exchange_for_id_jag(http, idp, &id_token, req.issuer, req.resource, req.scope).await?;
            at.jwt_bearer(http, &jag, req.scope, req.resource, clock).await
        }
        GrantKind::Workload { token_file } => {
            let assertion = read_token_file(token_file)?;
            at.jwt_bearer(http, &assertion, req.scope, req.resource, clock).await
        }
    };
    result.map_err(|e| match e {
        Error::TokenEndpoint { error, .. } if error == "invalid_scope" => {
            Error::InvalidScope { scope: req.scope.unwrap_or_default().to_string() }
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_kept_as_tagged_settings() {
        let k = GrantKind::Workload { token_file: "/run/secrets/token".into() };
        let v = serde_json::to_value(&k).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "workload", "token_file": "/run/secrets/token"}));
        assert_eq!(serde_json::from_value::<GrantKind>(v).unwrap(), k);
        assert!(k.is_unattended() && !GrantKind::AuthorizationCode.is_unattended());
    }

    #[test]
    fn a_token_file_is_read_trimmed_and_checked() {
        let dir = std::env::temp_dir().join(format!("mcp-auth-token-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t");
        std::fs::write(&file, "eyJ.a.b\n").unwrap();
        assert_eq!(read_token_file(&file).unwrap().expose(), "eyJ.a.b");
        std::fs::write(&file, "two tokens\n").unwrap();
        let err = read_token_file(&file).unwrap_err().to_string();
        assert!(err.contains("one token") && !err.contains("two"), "{err}");
        std::fs::write(&file, "x".repeat(70 * 1024)).unwrap();
        assert!(read_token_file(&file).unwrap_err().to_string().contains("64 KiB"));
        assert!(read_token_file(&dir).unwrap_err().to_string().contains("not a regular file"));
        assert!(read_token_file(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
