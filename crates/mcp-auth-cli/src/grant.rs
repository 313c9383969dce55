//! `--grant` and its companion flags, turned into the engine's [`GrantKind`]
//! and the client's key. Every check that can be made before the network is
//! made here: a missing companion flag is named, a key file that holds no key
//! is refused before anything is sent.

use mcp_auth::{ClientKey, Error, GrantKind, IdentityProvider, SigningAlg};

use super::args::{GrantArgs, GrantChoice};

/// What the flags say: the grant kind (`None`: as the server's settings say)
/// and the client's private key, if one was named.
pub fn grant_of(a: &GrantArgs) -> Result<(Option<GrantKind>, Option<ClientKey>), Error> {
    let alg = a.signing_alg.as_deref().map(SigningAlg::parse).transpose()?;
    if alg.is_some() && a.private_key_file.is_none() {
        return Err(Error::InvalidInput("--signing-alg goes with --private-key-file".into()));
    }
    let key = a.private_key_file.as_deref().map(|p| ClientKey::from_file(p, alg)).transpose()?;
    let needs = |flag: &str, v: &Option<String>| v.clone().ok_or_else(|| Error::InvalidInput(format!("--grant enterprise needs {flag}")));
    let kind = match a.grant {
        None => None,
        Some(GrantChoice::AuthorizationCode) => Some(GrantKind::AuthorizationCode),
        Some(GrantChoice::ClientCredentials) => Some(GrantKind::ClientCredentials),
        Some(GrantChoice::Enterprise) => Some(GrantKind::Enterprise {
            idp: IdentityProvider {
                issuer: needs("--idp-issuer URL", &a.idp_issuer)?,
                token_endpoint: needs("--idp-token-endpoint URL", &a.idp_token_endpoint)?,
                client_id: needs("--idp-client-id ID", &a.idp_client_id)?,
            },
            id_token_file: absolute(
                a.id_token_file.clone().ok_or_else(|| Error::InvalidInput("--grant enterprise needs --id-token-file PATH".into()))?,
            )?,
        }),
        Some(GrantChoice::Workload) => Some(GrantKind::Workload {
            token_file: absolute(
                a.workload_token_file
                    .clone()
                    .ok_or_else(|| Error::InvalidInput("--grant workload needs --workload-token-file PATH".into()))?,
            )?,
        }),
    };
    // A flag of one kind given with another is a mistake worth saying.
    let enterprise_flags =
        a.idp_issuer.is_some() || a.idp_token_endpoint.is_some() || a.idp_client_id.is_some() || a.id_token_file.is_some();
    if enterprise_flags && !matches!(kind, Some(GrantKind::Enterprise { .. })) {
        return Err(Error::InvalidInput("--idp-* and --id-token-file go with --grant enterprise".into()));
    }
    if a.workload_token_file.is_some() && !matches!(kind, Some(GrantKind::Workload { .. })) {
        return Err(Error::InvalidInput("--workload-token-file goes with --grant workload".into()));
    }
    Ok((kind, key))
}

/// The settings keep the file's path for later renewals, from any directory.
fn absolute(p: std::path::PathBuf) -> Result<std::path::PathBuf, Error> {
    std::path::absolute(&p).map_err(|_| Error::InvalidInput(format!("{}: not a usable path", p.display())))
}
