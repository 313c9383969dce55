//! `mcp-auth`: the command-line face of the engine.
//!
//! `discover`, `check`, `auth-url`, `exchange` and `connect` print one JSON value
//! on stdout and stand in for the portable scripts MCP users know; `login`, `tools`
//! and `call` run the whole flow. Exit status 0 only on success. Secrets are
//! never taken from argv (see `args::refuse_secret_flags`).

mod apps;
mod args;
mod bridge;
mod doctor;
mod grant;
mod manage;
mod oneshot;
mod output;
mod serve;
mod session;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A current-thread runtime: the commands are sequential, and it starts
    // faster than a multi-threaded one.
    if let Some(message) = args::refuse_secret_flags(std::env::args()) {
        eprintln!("{message}");
        return ExitCode::from(2);
    }
    let cli = args::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mcp-auth: could not start: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(dispatch(cli));
    // A line still being read from stdin (a paste no longer needed: the
    // browser came back by itself) must not keep the command alive.
    runtime.shutdown_background();
    code
}

async fn dispatch(cli: args::Cli) -> ExitCode {
    use args::Command::*;
    match cli.command {
        Discover { url } => oneshot::discover(&url).await,
        Check { url } => oneshot::check(&url).await,
        AuthUrl(a) => oneshot::auth_url(&a),
        Exchange(a) => oneshot::exchange(&a).await,
        Connect { server, client } => session::connect(&server, &client).await,
        Bridge { server, browser, timeout, grant } => bridge::bridge(&server, browser, timeout, &grant).await,
        Serve { browser, timeout } => serve::serve(browser, timeout).await,
        Activity { server } => manage::activity(server.as_deref()),
        Doctor { server, json } => doctor::doctor(&server, json).await,
        Login { server, flow } => session::login(&server, &flow).await,
        Tools { server, flow } => session::tools(&server, &flow).await,
        Call { server, tool, arguments, flow } => session::call(&server, &tool, arguments.as_deref(), &flow).await,
        Servers(args::ServersCommand::List) => manage::servers_list(),
        Servers(args::ServersCommand::Add { url, name, allow_local_network }) => {
            manage::servers_add(&url, name.as_deref(), allow_local_network)
        }
        Servers(args::ServersCommand::Set { server, change }) => manage::servers_set(&server, &change),
        Servers(args::ServersCommand::Remove { server, revoke, disconnect_apps }) => {
            manage::servers_remove(&server, revoke, disconnect_apps).await
        }
        Apps(args::AppsCommand::List { project }) => apps::list(project.as_deref()),
        Apps(args::AppsCommand::Connect { app, server: Some(server), project, move_credentials, all: false }) => {
            apps::connect(&app, &server, project.as_deref(), move_credentials)
        }
        Apps(args::AppsCommand::Connect { app, project, move_credentials, .. }) => {
            apps::connect_all(&app, project.as_deref(), move_credentials)
        }
        Apps(args::AppsCommand::Disconnect { app, server, project, all }) => {
            apps::disconnect(app.as_deref(), server.as_deref(), project.as_deref(), all)
        }
        Status { server } => manage::status(server.as_deref()),
        Token { server } => manage::token(&server).await,
        Headers { server } => manage::headers(&server).await,
        Refresh { server } => manage::refresh(&server).await,
        Revoke { server } => manage::revoke(&server).await,
        Clear { server } => manage::clear(&server),
        Secret(args::SecretCommand::Set { server, client_id, private_key_file, signing_alg }) => {
            manage::secret_set(&server, client_id.as_deref(), private_key_file.as_deref(), signing_alg.as_deref()).await
        }
        Import(a) => manage::import(&a),
    }
}
