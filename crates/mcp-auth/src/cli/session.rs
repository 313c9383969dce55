//! The commands that run a flow: `connect`, `login`, `tools`, `call`.
//!
//! Until the vault lands, a grant lives in memory for one command and is never
//! written anywhere.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mcp_auth::{
    cancel_pair, Authorizer, BrowserUrl, ClientConfig, ConnectStatus, Error, HttpBrowser, HttpClient, Limits, Opener,
    Operation, PrintBrowser, ServerSession, SystemBrowser, SystemClock,
};
use mcp_auth::browser::OpenFuture;
use serde_json::{json, Value};

use super::args::{BrowserChoice, ClientArgs, FlowArgs};
use super::output::{client_secret, failure, print_json};

fn config(c: &ClientArgs, port: Option<u16>) -> Result<ClientConfig, Error> {
    Ok(ClientConfig {
        client_id: c.client_id.clone(),
        client_secret: client_secret(c.client_secret_stdin)?,
        redirect_uri: c.redirect_uri.clone(),
        port,
        scope: c.scope.clone(),
        client_metadata_url: c.client_metadata_url.clone(),
    })
}

fn session(server: &str, c: &ClientArgs, port: Option<u16>) -> Result<ServerSession, Error> {
    let http = HttpClient::new(Limits::default())?;
    let auth = Authorizer::new(http, Arc::new(SystemClock), config(c, port)?);
    ServerSession::new(server, auth)
}

fn host_of(server: &str) -> String {
    url::Url::parse(server).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| server.to_string())
}

fn print_url(url: &str) {
    eprintln!("Open this link in your browser to sign in:\n{url}\nWaiting for the browser to come back…");
}

/// The system browser, falling back to printing the (validated) URL when no
/// browser can be started.
struct SystemOrPrint;

impl Opener for SystemOrPrint {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        Box::pin(async move {
            if let Err(e) = SystemBrowser.open(url).await {
                eprintln!("Could not open a browser ({e}).");
                print_url(url.as_str());
            } else {
                eprintln!("Opened your browser to sign in. If nothing appeared, open:\n{}", url.as_str());
            }
            Ok(())
        })
    }
}

fn opener(choice: BrowserChoice, http: &HttpClient) -> Box<dyn Opener> {
    match choice {
        BrowserChoice::System => Box::new(SystemOrPrint),
        BrowserChoice::Print => Box::new(PrintBrowser(print_url)),
        BrowserChoice::Http => Box::new(HttpBrowser::new(http.clone())),
    }
}

pub async fn connect(server: &str, c: &ClientArgs) -> ExitCode {
    let name = host_of(server);
    let mut s = match session(server, c, None) {
        Ok(s) => s,
        Err(e) => return failure(Some(&name), &e),
    };
    let (status, _pending) = s.connect().await;
    print_json(&status);
    match status {
        ConnectStatus::Success { .. } => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

async fn run(server: &str, flow: &FlowArgs, op: Operation, verbose_grant: bool) -> ExitCode {
    let name = host_of(server);
    let mut s = match session(server, &flow.client, flow.port) {
        Ok(s) => s,
        Err(e) => return failure(Some(&name), &e),
    };
    s.sign_in_timeout = Duration::from_secs(flow.timeout.max(1));
    let opener = opener(flow.browser, s.authorizer.http());
    let (canceller, cancel) = cancel_pair();
    // Ctrl-C cancels the sign-in cleanly (listener closed, verifier dropped).
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            canceller.cancel();
        }
    });
    if verbose_grant {
        if let Err(e) = s.sign_in(opener.as_ref(), cancel.clone()).await {
            return failure(Some(&name), &e);
        }
    }
    match s.perform(&op, opener.as_ref(), cancel).await {
        Ok(r) => {
            let mut v = json!({"status": "success", "serverName": r.server_name, "tools": r.tools});
            if let Some(result) = r.result {
                v["result"] = result;
            }
            if let Some(g) = &s.grant {
                v["grant"] = serde_json::to_value(g.summary()).unwrap_or(Value::Null);
            }
            print_json(&v);
            ExitCode::SUCCESS
        }
        Err(e) => failure(Some(&name), &e),
    }
}

pub async fn login(server: &str, flow: &FlowArgs) -> ExitCode {
    run(server, flow, Operation::ListTools, true).await
}

pub async fn tools(server: &str, flow: &FlowArgs) -> ExitCode {
    run(server, flow, Operation::ListTools, false).await
}

pub async fn call(server: &str, tool: &str, arguments: Option<&str>, flow: &FlowArgs) -> ExitCode {
    let args: Value = match arguments.map(serde_json::from_str).transpose() {
        Ok(v) => v.unwrap_or_else(|| json!({})),
        Err(e) => return failure(Some(&host_of(server)), &Error::InvalidInput(format!("the tool arguments are not JSON: {e}"))),
    };
    run(server, flow, Operation::CallTool { name: tool.to_string(), arguments: args }, false).await
}
