//! How a grant and a client identity are written into the vault.
//!
//! The record types hold plaintext only for the instant of (de)serialization:
//! they are private, serialized straight into a [`Secret`], and zeroized on drop.
//! This is the one place where tokens become JSON, and that JSON only ever goes
//! to the keychain.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::oauth::grant::Grant;
use crate::oauth::jwt::SigningAlg;
use crate::oauth::registration::{AuthMethod, ClientKey, ClientSource, RegisteredClient};
use crate::vault::secret::Secret;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct GrantRecord {
    v: u32,
    resource: String,
    issuer: String,
    client_id: String,
    #[zeroize(skip)]
    client_source: ClientSource,
    access_token: String,
    refresh_token: Option<String>,
    token_type: String,
    scopes: Vec<String>,
    requested_scopes: Vec<String>,
    expires_at: Option<u64>,
    obtained_at: u64,
    /// When the sign-in was made; absent in records of before (`obtained_at` then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_in_at: Option<u64>,
    /// The DPoP key (PEM) the tokens are bound to; absent in records of before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_key: Option<String>,
    /// Whose sign-in it is (a label); absent in records of before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<String>,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct ClientRecord {
    v: u32,
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    client_secret_expires_at: Option<u64>,
    #[zeroize(skip)]
    token_endpoint_auth_method: AuthMethod,
    redirect_uris: Vec<String>,
    #[zeroize(skip)]
    source: ClientSource,
    /// The client's private key (PEM), for `private_key_jwt`; absent in
    /// records of before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing_alg: Option<String>,
}

fn damaged(what: &str) -> Error {
    Error::Keychain { reason: format!("the stored {what} is unreadable; sign in again to replace it") }
}

pub fn grant_to_secret(g: &Grant) -> Secret {
    let record = GrantRecord {
        v: VERSION,
        resource: g.resource.clone(),
        issuer: g.issuer.clone(),
        client_id: g.client_id.clone(),
        client_source: g.client_source,
        access_token: g.access_token.expose().to_string(),
        refresh_token: g.refresh_token.as_ref().map(|s| s.expose().to_string()),
        token_type: g.token_type.clone(),
        scopes: g.scopes.clone(),
        requested_scopes: g.requested_scopes.clone(),
        expires_at: g.expires_at,
        obtained_at: g.obtained_at,
        signed_in_at: Some(g.signed_in_at),
        dpop_key: g.dpop_key.as_ref().map(|k| k.expose().to_string()),
        account: g.account.clone(),
    };
    Secret::new(serde_json::to_string(&record).expect("a grant record always serializes"))
}

pub fn grant_from_secret(s: &Secret) -> Result<Grant> {
    let r: GrantRecord = serde_json::from_str(s.expose()).map_err(|_| damaged("sign-in"))?;
    Ok(Grant {
        resource: r.resource.clone(),
        issuer: r.issuer.clone(),
        client_id: r.client_id.clone(),
        client_source: r.client_source,
        access_token: Secret::new(r.access_token.as_str()),
        refresh_token: r.refresh_token.as_deref().map(Secret::new),
        token_type: r.token_type.clone(),
        scopes: r.scopes.clone(),
        requested_scopes: r.requested_scopes.clone(),
        expires_at: r.expires_at,
        obtained_at: r.obtained_at,
        signed_in_at: r.signed_in_at.unwrap_or(r.obtained_at),
        dpop_key: r.dpop_key.as_deref().map(Secret::new),
        account: r.account.clone(),
    })
}

pub fn client_to_secret(c: &RegisteredClient) -> Secret {
    let record = ClientRecord {
        v: VERSION,
        issuer: c.issuer.clone(),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.as_ref().map(|s| s.expose().to_string()),
        client_secret_expires_at: c.client_secret_expires_at,
        token_endpoint_auth_method: c.token_endpoint_auth_method,
        redirect_uris: c.redirect_uris.clone(),
        source: c.source,
        private_key: c.private_key.as_ref().map(|k| k.pem.expose().to_string()),
        signing_alg: c.private_key.as_ref().and_then(|k| k.alg).map(|a| a.as_str().to_string()),
    };
    Secret::new(serde_json::to_string(&record).expect("a client record always serializes"))
}

pub fn client_from_secret(s: &Secret) -> Result<RegisteredClient> {
    let r: ClientRecord = serde_json::from_str(s.expose()).map_err(|_| damaged("client registration"))?;
    Ok(RegisteredClient {
        issuer: r.issuer.clone(),
        client_id: r.client_id.clone(),
        client_secret: r.client_secret.as_deref().map(Secret::new),
        client_secret_expires_at: r.client_secret_expires_at,
        token_endpoint_auth_method: r.token_endpoint_auth_method,
        redirect_uris: r.redirect_uris.clone(),
        source: r.source,
        private_key: match &r.private_key {
            Some(pem) => Some(ClientKey {
                pem: Secret::new(pem.clone()),
                alg: r.signing_alg.as_deref().map(SigningAlg::parse).transpose().map_err(|_| damaged("client key"))?,
            }),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_round_trip() {
        let g = Grant {
            resource: "https://h/mcp".into(),
            issuer: "https://as".into(),
            client_id: "c".into(),
            client_source: ClientSource::Registered,
            access_token: Secret::new("at"),
            refresh_token: Some(Secret::new("rt")),
            token_type: "Bearer".into(),
            scopes: vec!["a".into()],
            requested_scopes: vec!["a".into(), "b".into()],
            expires_at: Some(10),
            obtained_at: 5,
            signed_in_at: 3,
            dpop_key: Some(Secret::new("-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n")),
            account: Some("alice@acme.com".into()),
        };
        let back = grant_from_secret(&grant_to_secret(&g)).unwrap();
        assert_eq!(back.dpop_key, g.dpop_key, "the DPoP key is kept with the tokens");
        assert_eq!(back.access_token.expose(), "at");
        assert_eq!(back.refresh_token.unwrap().expose(), "rt");
        assert_eq!(back.requested_scopes, g.requested_scopes);
        assert_eq!(back.account.as_deref(), Some("alice@acme.com"));
        assert_eq!(back.signed_in_at, 3);
        assert!(grant_from_secret(&Secret::new("{")).is_err());
    }

    #[test]
    fn records_of_before_still_read() {
        // A grant and a client as version 1 wrote them, before DPoP keys and
        // private_key_jwt: found, with neither.
        let grant = r#"{"v":1,"resource":"https://h/mcp","issuer":"https://as","client_id":"c","client_source":"registered","access_token":"at","refresh_token":null,"token_type":"Bearer","scopes":[],"requested_scopes":[],"expires_at":null,"obtained_at":1}"#;
        let g = grant_from_secret(&Secret::new(grant)).unwrap();
        assert!(g.dpop_key.is_none() && g.account.is_none());
        assert_eq!(g.signed_in_at, 1, "a record of before was signed in when it was obtained");
        let client = r#"{"v":1,"issuer":"https://as","client_id":"c","client_secret":"s","client_secret_expires_at":null,"token_endpoint_auth_method":"client_secret_basic","redirect_uris":[],"source":"entered"}"#;
        let c = client_from_secret(&Secret::new(client)).unwrap();
        assert!(c.private_key.is_none() && c.client_secret.is_some());
    }
}
