//! The four stateless commands: `discover`, `check`, `auth-url`, `exchange`.

use std::process::ExitCode;
use std::sync::Arc;

use mcp_auth::TokenEndpoint;
use mcp_auth::{discover_with, probe};
use mcp_auth::{new_state, AuthorizationRequest, Pkce};
use mcp_auth::{
    AuthMethod, Authorizer, ClientConfig, ClientSource, Error, HttpClient, Limits, OauthDiscovery, Probe, RegisteredClient, Secret,
    SystemClock,
};
use serde_json::json;

use super::args::{AuthUrlArgs, ExchangeArgs};
use super::output::{client_secret, failure, print_json, success};

fn http() -> Result<HttpClient, Error> {
    HttpClient::new(Limits::default())
}

pub async fn discover(url: &str) -> ExitCode {
    let result = async {
        let http = http()?.serving(url, false);
        let canonical = mcp_auth::canonical_resource(url)?;
        let challenge = match probe(&http, &canonical).await? {
            Probe::Open => return Ok(None),
            Probe::Challenged { challenge, .. } => challenge,
            Probe::Other { .. } => None,
        };
        let d = discover_with(&http, &canonical, challenge).await?;
        let auth = Authorizer::new(http, Arc::new(SystemClock), ClientConfig::default());
        Ok::<_, Error>(Some((d.clone(), OauthDiscovery::from_discovery(&d, &auth))))
    }
    .await;
    match result {
        Ok(Some((d, suggested))) => {
            let meta = &d.auth_server;
            let found = d.protected_resource.is_some() || meta.from_document;
            let v = json!({
                "status": if found { "discovered" } else { "not_found" },
                "resource": d.resource,
                "issuer": meta.issuer,
                "authorization_endpoint": meta.authorization_endpoint,
                "token_endpoint": meta.token_endpoint,
                "registration_endpoint": meta.registration_endpoint,
                "revocation_endpoint": meta.revocation_endpoint,
                "scopes_supported": meta.scopes_supported,
                "code_challenge_methods_supported": meta.code_challenge_methods_supported,
                "token_endpoint_auth_methods_supported": meta.token_endpoint_auth_methods_supported,
                "client_id_metadata_document_supported": meta.client_id_metadata_document_supported,
                "discovery_url": d.metadata_url,
                "protected_resource_metadata_url": d.protected_resource_url,
                "protected_resource_metadata": d.protected_resource,
                "challenge": d.challenge,
                "fallback": if meta.from_document { None } else { Some("2025-03-26 default endpoints") },
                "suggested_client_id": suggested.suggested_client_id,
                "suggested_redirect_uri": suggested.suggested_redirect_uri,
                "suggested_scope": suggested.suggested_scope,
            });
            print_json(&v);
            if found {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Ok(None) => {
            print_json(&json!({"status": "not_found", "message": "the server answered without asking for authorization"}));
            ExitCode::from(1)
        }
        Err(e) => failure(None, &e),
    }
}

pub async fn check(url: &str) -> ExitCode {
    let result = async {
        let http = http()?.serving(url, false);
        let canonical = mcp_auth::canonical_resource(url)?;
        match probe(&http, &canonical).await? {
            Probe::Open => Ok::<_, Error>(
                json!({"status": "available", "authUrl": null, "authType": "none", "message": "the server answered without authorization"}),
            ),
            Probe::Challenged { challenge, status } => {
                let auth_url = match discover_with(&http, &canonical, challenge.clone()).await {
                    Ok(d) => Some(d.auth_server.authorization_endpoint),
                    Err(_) => None,
                };
                Ok(json!({
                    "status": "requires_auth",
                    "authUrl": auth_url,
                    "authType": if challenge.is_some() { "oauth2" } else { "unknown" },
                    "message": format!("the server answered HTTP {status} and asks for authorization"),
                }))
            }
            Probe::Other { status } => {
                Ok(json!({"status": "error", "authUrl": null, "authType": null, "message": format!("the server answered HTTP {status}")}))
            }
        }
    }
    .await;
    match result {
        Ok(v) => {
            let ok = v["status"] != "error";
            print_json(&v);
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            print_json(&json!({"status": "error", "authUrl": null, "authType": null, "message": e.to_string(), "kind": e.kind()}));
            ExitCode::from(1)
        }
    }
}

pub fn auth_url(a: &AuthUrlArgs) -> ExitCode {
    let pkce = Pkce::generate();
    let state = new_state();
    let resource = match a.resource.as_deref().map(mcp_auth::canonical_resource).transpose() {
        Ok(r) => r,
        Err(e) => return failure(None, &e),
    };
    let request = AuthorizationRequest {
        authorization_endpoint: &a.authorization_endpoint,
        client_id: &a.client_id,
        redirect_uri: &a.redirect_uri,
        scope: a.scope.as_deref(),
        resource: resource.as_deref(),
        state: &state,
        code_challenge: &pkce.challenge,
        // As the portable script does: it cannot tell an OpenID provider.
        consent_prompt: true,
    };
    match request.url().and_then(|u| mcp_auth::BrowserUrl::parse(u.as_str())) {
        // The verifier is printed because this command's contract is to hand it
        // to the script that will call `exchange`; it goes to stdout only.
        Ok(url) => success(&json!({
            "authorization_url": url.as_str(),
            "state": state,
            "code_verifier": pkce.verifier.expose(),
            "code_challenge": pkce.challenge,
            "code_challenge_method": Pkce::METHOD,
            "redirect_uri": a.redirect_uri,
            "resource": resource,
        })),
        Err(e) => failure(None, &e),
    }
}

pub async fn exchange(a: &ExchangeArgs) -> ExitCode {
    let result = async {
        let http = http()?;
        let secret = client_secret(a.client_secret_stdin)?;
        let method = match (&secret, a.auth_method.as_str()) {
            (None, _) => AuthMethod::None,
            (Some(_), "client_secret_post") => AuthMethod::ClientSecretPost,
            (Some(_), "client_secret_basic") => AuthMethod::ClientSecretBasic,
            (Some(_), other) => return Err(Error::InvalidInput(format!("unknown --auth-method {other:?}"))),
        };
        let client = RegisteredClient {
            issuer: String::new(),
            client_id: a.client_id.clone(),
            client_secret: secret,
            client_secret_expires_at: None,
            token_endpoint_auth_method: method,
            redirect_uris: vec![a.redirect_uri.clone()],
            source: ClientSource::Entered,
            private_key: None,
        };
        let resource = a.resource.as_deref().map(mcp_auth::canonical_resource).transpose()?;
        let endpoint = TokenEndpoint { url: &a.token_endpoint, client: &client, dpop: None };
        endpoint
            .exchange(
                &http,
                &Secret::new(a.code.clone()),
                &Secret::new(a.code_verifier.clone()),
                &a.redirect_uri,
                resource.as_deref(),
                &SystemClock,
            )
            .await
    }
    .await;
    match result {
        // This command's contract is to print the token response for the script
        // that asked for it.
        Ok(t) => success(&json!({
            "access_token": t.access_token.expose(),
            "token_type": t.token_type,
            "expires_in": t.expires_in,
            "expires_at": t.expires_at,
            "refresh_token": t.refresh_token.as_ref().map(Secret::expose),
            "scope": t.scope,
            "usage": {"header": format!("Authorization: Bearer {}", t.access_token.expose())},
        })),
        Err(e) => failure(None, &e),
    }
}
