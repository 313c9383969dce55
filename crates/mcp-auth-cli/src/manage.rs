//! The commands over what is stored: `servers`, `status`, `token`, `refresh`,
//! `revoke`, `clear`, `secret set`, `import`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use mcp_auth::ServerEntry;
use mcp_auth::{Clock, Error, HttpClient, Limits, Secret, Store, SystemClock};
use serde_json::{json, Value};

use super::args::{self, ImportArgs};
use super::output::{failure, success};

fn view(s: &ServerEntry, now: u64) -> Value {
    let g = s.grant.as_ref();
    json!({
        "name": s.name,
        "url": s.url,
        "state": s.state(now),
        "issuer": g.map(|g| g.issuer.clone()).or_else(|| s.discovery.as_ref().map(|d| d.issuer.clone())),
        "client_id": g.map(|g| g.client_id.clone()).or_else(|| s.client_id.clone()),
        "client_source": g.map(|g| g.client_source),
        // Whose sign-in it is, as the server named it (ID token or JWT claims).
        "account": g.and_then(|g| g.account.clone()),
        "scopes_granted": g.map(|g| g.scopes.clone()),
        "scopes_requested": g.map(|g| g.requested_scopes.clone()),
        "expires_at": g.and_then(|g| g.expires_at),
        "expires_in": g.and_then(|g| g.expires_at).map(|t| t as i64 - now as i64),
        "has_refresh_token": g.map(|g| g.has_refresh_token).unwrap_or(false),
        // How the grant is obtained and renewed (the `--grant` value), and
        // whether its token is bound to a key (DPoP) and so never handed out.
        "grant_kind": s.grant_kind.clone().unwrap_or_default().flag(),
        "dpop_bound": g.is_some_and(|g| g.dpop_bound),
        "last_refresh": s.last_refresh,
        "imported_from": s.imported_from,
        "allow_local_network": s.allow_local_network,
        "consent_prompt": s.consent_prompt != Some(false),
        // A sign-out the server did not confirm (`revoke` tries it again), and
        // the last check's failure on the server's side.
        "sign_out_pending": s.sign_out_pending,
        "failed_check": s.failed_check,
        // Ask before a program not seen before uses this sign-in, and the
        // programs allowed so far.
        "ask_before_new_program": s.ask_before_new_program,
        "allowed_programs": s.allowed_programs,
    })
}

fn open() -> Result<Store<mcp_auth::KeychainVault>, Error> {
    Store::open()
}

pub fn servers_list() -> ExitCode {
    let result = open().and_then(|store| store.list());
    match result {
        Ok((list, notice)) => {
            let now = SystemClock.now();
            let mut v = json!({"servers": list.servers.iter().map(|s| view(s, now)).collect::<Vec<_>>()});
            if let Some(b) = notice.corrupt_backup {
                v["warning"] =
                    json!(format!("the server list was damaged; it was set aside as {} and a new list was started", b.display()));
            }
            success(&v)
        }
        Err(e) => failure(None, &e),
    }
}

pub fn servers_add(url: &str, name: Option<&str>, allow_local_network: bool) -> ExitCode {
    let added = open().and_then(|store| {
        let entry = store.add(url, name, &SystemClock)?;
        if allow_local_network {
            return store.edit(&entry.name, |e| e.allow_local_network = true);
        }
        Ok(entry)
    });
    match added {
        Ok(entry) => success(&view(&entry, SystemClock.now())),
        Err(e) => failure(None, &e),
    }
}

/// Change a server's settings that have no flow of their own.
pub fn servers_set(server: &str, change: &args::ServerSettings) -> ExitCode {
    let args::ServerSettings { allow_local_network, consent_prompt, ask_before_new_program, ref forget_program } = *change;
    let changed = open().and_then(|store| {
        let entry = store.resolve(server)?;
        if let Some(key) = forget_program {
            if !store.forget_program(&entry.name, key)? {
                return Err(Error::InvalidInput(format!("{key} is not among the programs allowed to use {}", entry.name)));
            }
        }
        store.edit(&entry.name, |e| {
            if let Some(ask) = ask_before_new_program {
                e.ask_before_new_program = ask;
            }
            if let Some(allow) = allow_local_network {
                e.allow_local_network = allow;
            }
            if let Some(ask) = consent_prompt {
                // The default (asked where needed) is stored as nothing.
                e.consent_prompt = (!ask).then_some(false);
            }
        })
    });
    match changed {
        Ok(entry) => success(&view(&entry, SystemClock.now())),
        Err(e) => failure(Some(server), &e),
    }
}

pub async fn servers_remove(server: &str, revoke: bool, disconnect_apps: bool) -> ExitCode {
    let result = async {
        let store = open()?;
        let entry = store.resolve(server)?;
        // Apps that start `mcp-auth bridge` for this server would break.
        let connections = mcp_auth::Connections::in_dir(store.dir());
        let users = connections.users_of(&entry.name)?;
        if !users.is_empty() && !disconnect_apps {
            let apps: Vec<String> = users.iter().map(|c| format!("{} ({})", c.app, c.path.display())).collect();
            return Err(Error::InvalidInput(format!(
                "{} is used through mcp-auth by {}. Run again with --disconnect-apps to put their entries back first, or `mcp-auth apps disconnect APP {}`",
                entry.name,
                apps.join(", "),
                entry.name
            )));
        }
        for c in &users {
            connections.disconnect(c)?;
        }
        let revoked = if revoke && entry.grant.is_some() {
            Some(store.revoke_grant(&entry.name).await?)
        } else {
            None
        };
        let entry = store.resolve(&entry.name)?;
        let report = store.remove(&entry)?;
        Ok::<_, Error>(json!({"removed": entry.name, "revoked": revoked, "local": report}))
    }
    .await;
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(Some(server), &e),
    }
}

pub fn status(server: Option<&str>) -> ExitCode {
    let result = open().and_then(|store| {
        let now = SystemClock.now();
        match server {
            Some(s) => Ok(view(&store.resolve(s)?, now)),
            None => Ok(json!({"servers": store.list()?.0.servers.iter().map(|s| view(s, now)).collect::<Vec<_>>()})),
        }
    });
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(server, &e),
    }
}

/// `mcp-auth activity [SERVER]`: the recorded events, oldest first.
pub fn activity(server: Option<&str>) -> ExitCode {
    let result = open().and_then(|store| {
        let mut all = store.activity();
        match server {
            Some(s) => {
                let name = store.resolve(s)?.name;
                Ok(json!({"server": name, "events": all.remove(&name).unwrap_or_default()}))
            }
            None => Ok(json!({"servers": all})),
        }
    });
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(server, &e),
    }
}

/// A token was handed to a program: note which, in the server's activity
/// (after the answer is out; a log that cannot be written costs nothing else).
fn handed_out(store: &Store<mcp_auth::KeychainVault>, server: &str, what: &str) {
    let recorded =
        store.resolve(server).and_then(|e| store.record_activity(&e.name, what, &mcp_auth::calling_program(), None, &SystemClock));
    if let Err(e) = recorded {
        eprintln!("mcp-auth: could not record this use of the sign-in ({e})");
    }
}

/// The credential-helper face: the token alone on stdout, nothing else. A
/// DPoP-bound token is no use to another program (it cannot make the
/// proofs): the store refuses it, and the error says to use the bridge.
pub async fn token(server: &str) -> ExitCode {
    let result = async {
        let store = open()?;
        store.admit(server, &mcp_auth::caller(), mcp_auth::APPROVAL_ANSWER_WAIT).await?;
        let token = store.fresh_token(server, &SystemClock).await?;
        Ok::<_, Error>((store, token))
    }
    .await;
    match result {
        Ok((store, t)) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(t.expose().as_bytes());
            let _ = out.write_all(b"\n");
            let _ = out.flush();
            drop(out);
            handed_out(&store, server, "token");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcp-auth: {e}");
            ExitCode::from(1)
        }
    }
}

/// The headers-helper face: `{"Authorization": "Bearer …"}` alone on stdout.
pub async fn headers(server: &str) -> ExitCode {
    let result = async {
        let store = open()?;
        store.admit(server, &mcp_auth::caller(), mcp_auth::APPROVAL_ANSWER_WAIT).await?;
        let token = store.fresh_token(server, &SystemClock).await?;
        Ok::<_, Error>((store, token))
    }
    .await;
    match result {
        Ok((store, t)) => {
            let mut line = json!({"Authorization": format!("Bearer {}", t.expose())}).to_string();
            line.push('\n');
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
            drop(out);
            handed_out(&store, server, "headers");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcp-auth: {e}");
            ExitCode::from(1)
        }
    }
}

pub async fn refresh(server: &str) -> ExitCode {
    let result = async { open()?.refresh_grant(server, &SystemClock).await }.await;
    match result {
        Ok(g) => success(&json!({"status": "refreshed", "grant": g.summary()})),
        Err(e) => failure(Some(server), &e),
    }
}

pub async fn revoke(server: &str) -> ExitCode {
    let result = async { open()?.revoke_grant(server).await }.await;
    match result {
        Ok(r) => {
            let why = r.server_message.clone().unwrap_or_default();
            let message = if r.server_confirmed {
                "revoked at the server and deleted locally".to_string()
            } else if r.kept_for_retry {
                format!(
                    "signed out on this computer only; the server was not reached or did not confirm ({why}), so access may still be \
                     active there: run revoke again to retry, or clear to give up"
                )
            } else {
                format!("deleted locally; the server was not reached or did not confirm ({why})")
            };
            success(&json!({
                "status": "revoked",
                "server_confirmed": r.server_confirmed,
                "deleted_locally": r.deleted_locally,
                "kept_for_retry": r.kept_for_retry,
                "message": message,
            }))
        }
        Err(e) => failure(Some(server), &e),
    }
}

pub fn clear(server: &str) -> ExitCode {
    let result = open().and_then(|store| {
        let entry = store.resolve(server)?;
        store.clear(&entry)
    });
    match result {
        Ok(r) => success(&json!({"status": "cleared", "local": r})),
        Err(e) => failure(Some(server), &e),
    }
}

fn read_secret() -> Result<Secret, Error> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Client secret (not shown): ")
            .map_err(|e| Error::InvalidInput(format!("could not read the secret: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| Error::InvalidInput(format!("could not read the secret: {e}")))?;
        line
    };
    let secret = Secret::new(text.trim_end_matches(['\r', '\n']));
    if secret.is_empty() {
        return Err(Error::InvalidInput("no secret was given".into()));
    }
    Ok(secret)
}

pub async fn secret_set(
    server: &str,
    client_id: Option<&str>,
    private_key_file: Option<&std::path::Path>,
    signing_alg: Option<&str>,
) -> ExitCode {
    let result = async {
        let store = open()?;
        let entry = store.resolve(server)?;
        let client_id = client_id
            .map(str::to_owned)
            .or(entry.client_id.clone())
            .ok_or_else(|| Error::InvalidInput("no client id for this server: pass --client-id".into()))?;
        // The secret is bound to the issuer it is for: learn it first.
        let discovery = match &entry.discovery {
            Some(d) => d.clone(),
            None => {
                let http = HttpClient::new(Limits::default())?.serving(&entry.url, entry.allow_local_network);
                let d = mcp_auth::discover(&http, &entry.url)
                    .await?
                    .ok_or_else(|| Error::InvalidInput("this server does not ask for authorization".into()))?;
                let summary = mcp_auth::summary_of(&d);
                store.edit(&entry.name, |e| e.discovery = Some(summary.clone()))?;
                summary
            }
        };
        let kind = match private_key_file {
            Some(path) => {
                let alg = signing_alg.map(mcp_auth::SigningAlg::parse).transpose()?;
                store.save_entered_key(&discovery.issuer, &client_id, mcp_auth::ClientKey::from_file(path, alg)?)?;
                "private_key"
            }
            None if signing_alg.is_some() => return Err(Error::InvalidInput("--signing-alg goes with --private-key-file".into())),
            None => {
                store.save_entered_secret(&discovery.issuer, &client_id, read_secret()?)?;
                "client_secret"
            }
        };
        store.edit(&entry.name, |e| e.client_id = Some(client_id.clone()))?;
        Ok::<_, Error>(json!({"status": "stored", "server": entry.name, "client_id": client_id, "issuer": discovery.issuer, "kind": kind}))
    }
    .await;
    match result {
        Ok(v) => success(&v),
        Err(e) => failure(Some(server), &e),
    }
}

pub fn import(a: &ImportArgs) -> ExitCode {
    use mcp_auth::{scan, SourceClient};
    let clients: Vec<SourceClient> = match &a.from {
        Some(id) => match SourceClient::parse(id) {
            Some(c) => vec![c],
            None => {
                return failure(
                    None,
                    &Error::InvalidInput(format!(
                        "unknown client {id:?}; use one of: claude-desktop, claude-code, cursor, vscode, windsurf"
                    )),
                )
            }
        },
        None => SourceClient::ALL.to_vec(),
    };
    let Some(home) = mcp_auth::home_dir() else {
        return failure(None, &Error::InvalidInput("no home directory".into()));
    };
    let project = a.project.clone().or_else(|| std::env::current_dir().ok());
    let (found, errors) = scan(&clients, &home, project.as_deref());
    let result = (|| {
        let store = open()?;
        let mut rows = Vec::new();
        for f in &found {
            let (list, _) = store.list()?;
            let existing = list.find(&f.url).map(|s| s.name.clone());
            let mut added = None;
            let mut moved = false;
            // A project's own files are the project author's choice, not the
            // user's: their servers are offered, and added only when named.
            let chosen = !f.from_project || a.project_server.iter().any(|n| n == &f.name);
            if existing.is_none() && !a.dry_run && chosen {
                // A name like another server's URL or host is replaced by one
                // made from the server's own host.
                let wish = Some(f.name.as_str()).filter(|n| list.name_problem(n, &f.url).is_none());
                let entry = store.add(&f.url, wish, &SystemClock)?;
                store.edit(&entry.name, |e| e.imported_from = Some(f.client.id().to_string()))?;
                if let (true, Some(token)) = (a.move_credentials, &f.bearer) {
                    store.save_static_token(&entry.name, token.clone(), f.client.id(), &SystemClock)?;
                    moved = true;
                }
                added = Some(entry.name);
            }
            rows.push(json!({
                "client": f.client.id(),
                "path": f.path,
                "name": f.name,
                "url": f.url,
                "via_wrapper": f.via_wrapper,
                "credential_headers": f.credential_headers,
                "static_bearer_found": f.bearer.is_some(),
                "credential_moved": moved,
                "already_present_as": existing,
                "added_as": added,
                "from_project": f.from_project,
                "offered": f.from_project && existing.is_none() && !chosen,
            }));
        }
        Ok::<_, Error>(rows)
    })();
    match result {
        Ok(rows) => {
            let with_credentials = found.iter().filter(|f| !f.credential_headers.is_empty()).count();
            let offered: Vec<&str> = rows.iter().filter(|r| r["offered"] == true).filter_map(|r| r["name"].as_str()).collect();
            success(&json!({
                "dry_run": a.dry_run,
                "found": rows,
                "errors": errors,
                "note": (with_credentials > 0).then(|| format!(
                    "{with_credentials} server(s) carry a static credential header in their client config. It is copied only with --move-credentials (into the keychain); better, sign in with `mcp-auth login`. Either way, then remove the header from that file."
                )),
                "project_note": (!offered.is_empty()).then(|| format!(
                    "{} server(s) come from this project's own files, which whoever wrote the project chose; none was added. To add one, run again with --project-server NAME: {}",
                    offered.len(),
                    offered.join(", ")
                )),
            }))
        }
        Err(e) => failure(None, &e),
    }
}
