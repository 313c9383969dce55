//! The commands that run a flow: `connect`, `login`, `tools`, `call`.
//!
//! A server is named by its name in the server list or by URL (a new URL is
//! added to the list by `login`, `tools` and `call`). The sequence is the
//! engine's [`SignInFlow`], which also keeps what came of it; this file only
//! turns flags into its inputs and its result into JSON.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mcp_auth::{
    cancel_pair, BrowserUrl, ConnectStatus, DevicePrompt, Error, HttpBrowser, HttpClient, KeychainVault, Limits, OpenFuture, Opener,
    Operation, Overrides, PasteBack, PrintBrowser, SignInFlow, Store, SystemBrowser, SystemClock,
};
use serde_json::{json, Value};

use super::args::{BrowserChoice, ClientArgs, FlowArgs};
use super::output::{client_secret, failure, print_json};

fn host_of(server: &str) -> String {
    url::Url::parse(server).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| server.to_string())
}

/// The engine's sign-in flow for this server, with the flags over the stored
/// settings (a new URL is added to the list when asked).
fn open_flow(server: &str, c: &ClientArgs, port: Option<u16>, add_if_new: bool) -> Result<SignInFlow<KeychainVault>, Error> {
    let store = Arc::new(Store::open()?);
    let (grant, private_key) = super::grant::grant_of(&c.grant)?;
    let given = Overrides {
        client_id: c.client_id.clone(),
        client_secret: client_secret(c.client_secret_stdin)?,
        redirect_uri: c.redirect_uri.clone(),
        port,
        scope: c.scope.clone(),
        client_metadata_url: c.client_metadata_url.clone(),
        grant,
        private_key,
    };
    SignInFlow::open(&store, server, given, add_if_new, HttpClient::new(Limits::default())?, Arc::new(SystemClock))
}

fn print_url(url: &str) {
    eprintln!("Open this link in your browser to sign in:\n{url}\nWaiting for the browser to come back…");
}

/// A device sign-in's code and page, on stderr (stdout is for the JSON).
pub(crate) fn show_device_code(p: &DevicePrompt) {
    let mut text = format!("To sign in, open {} on any device and enter the code\n\n    {}\n", p.verification_uri, p.user_code);
    if let Some(complete) = &p.verification_uri_complete {
        text.push_str(&format!("\n(or open {complete}, which has the code filled in)\n"));
    }
    text.push_str(&format!("\nThe code works for {} minutes. Waiting for you to approve…", p.expires_in.div_ceil(60)));
    eprintln!("{text}");
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

/// The opener of a face whose stdin carries the MCP protocol (`bridge`,
/// `serve`): anything but paste, which would read the person's answer there.
pub(crate) fn stdio_opener(choice: BrowserChoice) -> Result<Box<dyn Opener>, Error> {
    if choice == BrowserChoice::Paste {
        return Err(Error::InvalidInput(
            "--browser paste is not available here: stdin carries the MCP protocol (use system, print or http)".into(),
        ));
    }
    opener(choice)
}

/// The browser stand-in gets a client of its own: like a person's browser, it
/// is not bound by what the server may make the engine contact.
pub(crate) fn opener(choice: BrowserChoice) -> Result<Box<dyn Opener>, Error> {
    Ok(match choice {
        BrowserChoice::System => Box::new(SystemOrPrint),
        // A device sign-in opens nothing here; the flow shows its code instead.
        BrowserChoice::Print | BrowserChoice::Device => Box::new(PrintBrowser(print_url)),
        BrowserChoice::Http => Box::new(HttpBrowser::new(HttpClient::new(Limits::default())?)),
        BrowserChoice::Paste => Box::new(PasteBack::new(
            HttpClient::new(Limits::default())?,
            Arc::new(|text: &str| eprintln!("{text}")),
            Arc::new(|| {
                let mut line = String::new();
                match std::io::stdin().read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line),
                }
            }),
        )),
    })
}

/// Where the server asks before a new program uses its sign-in, the program
/// that runs this command is asked about like one that runs `token` (a
/// server not in the list has no such setting).
async fn admitted(flow: &SignInFlow<KeychainVault>) -> Result<(), Error> {
    match flow.entry().name.as_str() {
        "" => Ok(()),
        name => flow.store().admit(name, &mcp_auth::caller(), mcp_auth::APPROVAL_ANSWER_WAIT).await,
    }
}

pub async fn connect(server: &str, c: &ClientArgs) -> ExitCode {
    let name = host_of(server);
    let mut flow = match open_flow(server, c, None, false) {
        Ok(f) => f,
        Err(e) => return failure(Some(&name), &e),
    };
    if let Err(e) = admitted(&flow).await {
        return failure(Some(&name), &e);
    }
    let (status, _pending) = flow.check().await;
    print_json(&status);
    match status {
        ConnectStatus::Success { .. } => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

async fn run(server: &str, flow_args: &FlowArgs, op: Operation, sign_in_first: bool) -> ExitCode {
    let name = host_of(server);
    let mut flow = match open_flow(server, &flow_args.client, flow_args.port, true) {
        Ok(f) => f,
        Err(e) => return failure(Some(&name), &e),
    };
    let name = if flow.entry().name.is_empty() { name } else { flow.entry().name.clone() };
    // A sign-in (`login`) is the person's own doing, in their browser.
    if !sign_in_first {
        if let Err(e) = admitted(&flow).await {
            return failure(Some(&name), &e);
        }
    }
    flow.set_sign_in_timeout(Duration::from_secs(flow_args.timeout.max(1)));
    if flow_args.browser == BrowserChoice::Device {
        flow.sign_in_on_another_device(Arc::new(show_device_code));
    }
    let opener = match opener(flow_args.browser) {
        Ok(o) => o,
        Err(e) => return failure(Some(&name), &e),
    };
    let (canceller, cancel) = cancel_pair();
    // Ctrl-C cancels the sign-in cleanly (listener closed, verifier dropped).
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            canceller.cancel();
        }
    });
    // Whatever happens after a sign-in, the flow keeps the new grant.
    let result = match sign_in_first {
        true => flow.sign_in_then(&op, opener.as_ref(), cancel).await,
        false => flow.perform(&op, opener.as_ref(), cancel).await,
    };
    match result {
        Ok(r) => {
            let tools: Vec<Value> =
                r.listed.iter().map(|t| json!({"name": t.name, "description": t.description, "inputSchema": t.input_schema})).collect();
            let mut v = json!({"status": "success", "serverName": r.server_name, "server": name, "protocolVersion": r.protocol_version, "tools": tools});
            if let Some(result) = r.result {
                v["result"] = result;
            }
            if let Some(g) = &flow.session().grant {
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
