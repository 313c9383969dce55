//! The command line, as a contract: command names, flags and JSON field names are
//! relied on by other programs. Keep them exactly.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "mcp-auth", version, about = "Sign in to MCP servers with OAuth 2.1, once, correctly.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Discover how an MCP server wants to be authorized (JSON).
    Discover { url: String },
    /// Is the server available, or does it require authorization? (JSON)
    Check { url: String },
    /// Build an authorization URL with PKCE and state (JSON).
    AuthUrl(AuthUrlArgs),
    /// Exchange an authorization code for tokens (JSON).
    Exchange(ExchangeArgs),
    /// Where does this server stand: success, requires_oauth_config, requires_auth or error (JSON).
    Connect {
        server: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// A stdio MCP server standing for the remote one, signed in with the
    /// keychain's grant: what an app that starts local commands runs.
    Bridge {
        /// The server's name in the list, or its URL.
        server: String,
        /// How a sign-in reaches you when one is needed (never on stdin: it
        /// carries the protocol).
        #[arg(long, value_enum, default_value = "system")]
        browser: BrowserChoice,
        /// Seconds to wait for the browser to come back.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// A client secret for the grant comes from OAUTH_CLIENT_SECRET only
        /// (stdin carries the protocol).
        #[command(flatten)]
        grant: GrantArgs,
    },
    /// An MCP server over stdio through which an AI agent connects the user to
    /// MCP servers (connect_to_mcp_server, clear_mcp_auth, list_mcp_servers),
    /// and which offers the signed-in servers' tools as <server>__<tool>.
    Serve {
        /// What happens to a sign-in link besides going to the agent: printed
        /// on stderr (`print`), also opened in the browser (`system`), or
        /// followed by the headless stand-in (`http`, for tests).
        #[arg(long, value_enum, default_value = "print")]
        browser: BrowserChoice,
        /// Seconds a sign-in waits for the browser to come back.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// What used each server's sign-in, and when (what agents did through
    /// `serve`), as JSON; never a token.
    Activity {
        /// One server (by name or URL); all of them without.
        server: Option<String>,
    },
    /// Sign in: discovery, registration, browser, redirect, token, verification.
    Login {
        server: String,
        #[command(flatten)]
        flow: FlowArgs,
    },
    /// List the server's tools, signing in if needed.
    Tools {
        server: String,
        #[command(flatten)]
        flow: FlowArgs,
    },
    /// Call a tool with JSON arguments, signing in or stepping up if needed.
    Call {
        server: String,
        tool: String,
        /// JSON object of arguments (default `{}`).
        arguments: Option<String>,
        #[command(flatten)]
        flow: FlowArgs,
    },
    /// The server list: list, add, remove.
    #[command(subcommand)]
    Servers(ServersCommand),
    /// Signed in or not, scopes, issuer, expiry, refresh state (never the token).
    Status { server: Option<String> },
    /// Print a fresh access token for another program (refreshing when due).
    Token { server: String },
    /// Print the HTTP headers that carry a fresh access token, as one JSON
    /// object, for a program's headers helper (Claude Code's `headersHelper`).
    Headers { server: String },
    /// Refresh the access token now.
    Refresh { server: String },
    /// Revoke the tokens at the server (RFC 7009), then delete them locally.
    Revoke { server: String },
    /// Delete this server's local sign-in data: tokens, registration, settings.
    Clear { server: String },
    /// Check every step of a sign-in and its use, each with a verdict and what
    /// to do; never prints a secret, never refreshes, never signs in. Exits 1
    /// when a step has a problem.
    Doctor {
        /// The server's name in the list, or its URL.
        server: String,
        /// The diagnosis as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Client secrets kept in the keychain.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Connect other MCP apps to these sign-ins (`list`, `connect`, `disconnect`).
    #[command(subcommand)]
    Apps(AppsCommand),
    /// Import remote MCP servers from other MCP clients' configs.
    Import(ImportArgs),
}

#[derive(Subcommand, Debug)]
pub enum ServersCommand {
    /// List the servers and their sign-in state.
    List,
    /// Add a server by URL.
    Add {
        url: String,
        #[arg(long)]
        name: Option<String>,
        /// Let this server send the app to this computer or the local network
        /// (refused by default for a server farther out).
        #[arg(long)]
        allow_local_network: bool,
    },
    /// Change a server's settings.
    Set {
        server: String,
        #[command(flatten)]
        change: ServerSettings,
    },
    /// Remove a server and its tokens, registration and secrets.
    Remove {
        server: String,
        /// Revoke its tokens at the server first.
        #[arg(long)]
        revoke: bool,
        /// Disconnect the apps that use it through the bridge first (refused
        /// otherwise, naming them).
        #[arg(long)]
        disconnect_apps: bool,
    },
}

/// What `servers set` changes.
#[derive(clap::Args, Debug)]
pub struct ServerSettings {
    /// Let this server send the app to this computer or the local network.
    #[arg(long, value_name = "true|false")]
    pub allow_local_network: Option<bool>,
    /// false: never ask the sign-in page for its consent screen
    /// (`prompt=consent`, sent to OpenID providers with offline_access),
    /// for organizations whose users may not consent themselves.
    #[arg(long, value_name = "true|false")]
    pub consent_prompt: Option<bool>,
    /// true: a program not seen before waits for your yes in MCP Auth Manager
    /// before it gets this sign-in (`token`, `headers`, a bridge).
    #[arg(long, value_name = "true|false")]
    pub ask_before_new_program: Option<bool>,
    /// Forget a program allowed before (its path, as `status` shows it): it
    /// is asked about again.
    #[arg(long, value_name = "PATH")]
    pub forget_program: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AppsCommand {
    /// Each app's config file, and which of its servers go through mcp-auth.
    List {
        /// Also a project's own files (`.mcp.json`, `.vscode/mcp.json`…).
        #[arg(long)]
        project: Option<std::path::PathBuf>,
    },
    /// Make an app (claude-desktop, claude-code, cursor, vscode, windsurf) use
    /// a server through `mcp-auth bridge` (Claude Code: `mcp-auth headers`).
    Connect {
        app: String,
        /// A server of the list, or `mcp-auth`: the app's agent gets `mcp-auth
        /// serve`, through which it connects you to servers.
        #[arg(required_unless_present = "all")]
        server: Option<String>,
        /// The project's own file instead of the user's.
        #[arg(long)]
        project: Option<std::path::PathBuf>,
        /// Move a static token found in the app's entry into the keychain.
        #[arg(long)]
        move_credentials: bool,
        /// Every server of the list this app has an entry for.
        #[arg(long, conflicts_with = "server")]
        all: bool,
    },
    /// Put back the app's entry as it was before `connect`.
    Disconnect {
        #[arg(required_unless_present = "all")]
        app: Option<String>,
        #[arg(required_unless_present = "all")]
        server: Option<String>,
        #[arg(long)]
        project: Option<std::path::PathBuf>,
        /// Every connection this app made (before an uninstall).
        #[arg(long, conflicts_with_all = ["app", "server"])]
        all: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Store a client secret (read without echo, or from stdin), or with
    /// --private-key-file the client's private key (then the file is no
    /// longer needed).
    Set {
        server: String,
        /// The client id the secret belongs to (default: the server's).
        #[arg(long)]
        client_id: Option<String>,
        /// Import this private key (PEM) for `private_key_jwt` instead of a secret.
        #[arg(long, value_name = "PEM")]
        private_key_file: Option<std::path::PathBuf>,
        /// The algorithm the key signs with (default: the key's own).
        #[arg(long, value_name = "ALG")]
        signing_alg: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Only this client: claude-desktop, claude-code, cursor, vscode, windsurf.
    #[arg(long)]
    pub from: Option<String>,
    /// Show what would be imported, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Move static `Authorization: Bearer` tokens found in those configs into
    /// the keychain (they are never copied otherwise).
    #[arg(long)]
    pub move_credentials: bool,
    /// A project directory to read project-level configs from (default: current).
    #[arg(long)]
    pub project: Option<std::path::PathBuf>,
    /// Add this server found in the project's own files (`.mcp.json`,
    /// `.vscode/mcp.json`…); they are only listed otherwise. Repeatable.
    #[arg(long = "project-server", value_name = "NAME")]
    pub project_server: Vec<String>,
}

#[derive(Args, Debug)]
pub struct AuthUrlArgs {
    pub authorization_endpoint: String,
    #[arg(long)]
    pub client_id: String,
    #[arg(long)]
    pub redirect_uri: String,
    #[arg(long)]
    pub scope: Option<String>,
    #[arg(long)]
    pub resource: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExchangeArgs {
    pub token_endpoint: String,
    #[arg(long)]
    pub code: String,
    #[arg(long)]
    pub code_verifier: String,
    #[arg(long)]
    pub client_id: String,
    #[arg(long)]
    pub redirect_uri: String,
    #[arg(long)]
    pub resource: Option<String>,
    /// Read the client secret from the first line of standard input.
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// How to send the secret: client_secret_basic (default) or client_secret_post.
    #[arg(long, default_value = "client_secret_basic")]
    pub auth_method: String,
}

#[derive(Args, Debug, Clone)]
pub struct ClientArgs {
    /// A client id registered with the authorization server.
    #[arg(long)]
    pub client_id: Option<String>,
    /// The loopback redirect URI the client is registered with.
    #[arg(long)]
    pub redirect_uri: Option<String>,
    /// The scope to request instead of the one the server suggests ("" for none).
    #[arg(long)]
    pub scope: Option<String>,
    /// Read the client secret from the first line of standard input
    /// (or set OAUTH_CLIENT_SECRET).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// A Client ID Metadata Document URL, used as the client id where supported.
    #[arg(long)]
    pub client_metadata_url: Option<String>,
    #[command(flatten)]
    pub grant: GrantArgs,
}

/// How the grant is obtained when no person signs in in a browser. Kept as the
/// server's settings once it works, and used again at each renewal.
#[derive(Args, Debug, Clone, Default)]
pub struct GrantArgs {
    /// authorization-code (a person signs in; the default), client-credentials
    /// (the client itself), enterprise (an ID token from your company's
    /// identity provider, SEP-990) or workload (a workload identity token,
    /// SEP-1933).
    #[arg(long, value_enum)]
    pub grant: Option<GrantChoice>,
    /// The client's private key (PEM) for `private_key_jwt` instead of a
    /// secret; kept in the keychain, after which the file is not needed.
    #[arg(long, value_name = "PEM")]
    pub private_key_file: Option<std::path::PathBuf>,
    /// The algorithm the private key signs with (default: the key's own:
    /// ES256/ES384 for EC keys, RS256 for RSA, EdDSA for Ed25519).
    #[arg(long, value_name = "ALG")]
    pub signing_alg: Option<String>,
    /// enterprise: the identity provider's issuer.
    #[arg(long, value_name = "URL")]
    pub idp_issuer: Option<String>,
    /// enterprise: the identity provider's token endpoint (RFC 8693 exchange).
    #[arg(long, value_name = "URL")]
    pub idp_token_endpoint: Option<String>,
    /// enterprise: this app's client id at the identity provider.
    #[arg(long, value_name = "ID")]
    pub idp_client_id: Option<String>,
    /// enterprise: a file holding your ID token from the identity provider,
    /// read again at each renewal.
    #[arg(long, value_name = "PATH")]
    pub id_token_file: Option<std::path::PathBuf>,
    /// workload: a file holding the workload identity token (a JWT), read
    /// again at each renewal.
    #[arg(long, value_name = "PATH")]
    pub workload_token_file: Option<std::path::PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum GrantChoice {
    AuthorizationCode,
    ClientCredentials,
    Enterprise,
    Workload,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BrowserChoice {
    /// Open the system browser.
    System,
    /// Print the URL and wait for the redirect.
    Print,
    /// Headless stand-in: GET the URL and follow redirects into the listener.
    Http,
    /// The browser is on another device: the device grant (RFC 8628), a code
    /// to enter on a page, where the authorization server offers it.
    Device,
    /// The browser is on another device: print the URL, then paste back the
    /// address the browser ended on (checked like a redirect). Not for
    /// `bridge` and `serve`, whose stdin carries the protocol.
    Paste,
}

#[derive(Args, Debug, Clone)]
pub struct FlowArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[arg(long, value_enum, default_value = "system")]
    pub browser: BrowserChoice,
    /// A fixed loopback port for the redirect (fails if busy).
    #[arg(long)]
    pub port: Option<u16>,
    /// Seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

/// Secrets on argv are visible to every local process and end up in shell
/// history, so `--client-secret` is refused with the way to do it instead.
pub fn refuse_secret_flags(args: impl Iterator<Item = String>) -> Option<String> {
    for a in args {
        if a == "--client-secret" || a.starts_with("--client-secret=") {
            return Some(
                "mcp-auth: refusing --client-secret: a secret on the command line can be read by every \
                 process on this computer and is kept in shell history.\n\
                 Pass it in the environment (OAUTH_CLIENT_SECRET=...) or on standard input \
                 (--client-secret-stdin)."
                    .into(),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_on_argv_is_refused() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter();
        assert!(refuse_secret_flags(args(&["mcp-auth", "exchange", "--client-secret=x"])).is_some());
        assert!(refuse_secret_flags(args(&["mcp-auth", "exchange", "--client-secret", "x"])).is_some());
        assert!(refuse_secret_flags(args(&["mcp-auth", "exchange", "--client-secret-stdin"])).is_none());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
