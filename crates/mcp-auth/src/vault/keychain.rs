//! The OS keychain as an [`EntryStore`], on the keyring ecosystem: `keyring-core`
//! entries over each platform's native store, chosen explicitly: the Secret
//! Service on Linux (GNOME Keyring, KWallet; `dbus-secret-service-keyring-store`),
//! the login Keychain on macOS (`apple-native-keyring-store`) and Credential
//! Manager on Windows (`windows-native-keyring-store`). These are the stores
//! `keyring` 4 itself is made of; its own crate is sample glue whose default picks
//! the zbus store, an async D-Bus stack this project does not otherwise build, so
//! the engine names its stores itself, as keyring's documentation asks of
//! applications. No store is a mock and none is a file.
//!
//! Three things the engine adds around the store:
//! - One store per process, made at the first read or write (nothing is contacted
//!   before): on Linux that is one D-Bus connection and one encrypted session.
//!   `mcp-auth token` is called before each request of other programs and a
//!   sign-in touches a dozen entries; a session costs 4–5 ms to negotiate. A
//!   connection that broke (a restarted keyring daemon) is made again once.
//! - A bound on the wait: the store waits as long as an unlock prompt stays on
//!   screen; each operation here gives up after [`PROMPT_WAIT`] and says the
//!   keychain is locked, so a bridge or `token` never hangs for good.
//! - Errors that name the cause and the fix, down to "no Secret Service is
//!   running: here is how to start one".
//!
//! Items written before this store (by `keyring` 3 and by this engine's own
//! Secret Service client, with the attributes `service`, `username`,
//! `target = "default"`, `application = "rust-keyring"`) are the same items:
//! the store finds them by `service` and `username`, updates them in place and
//! deletes them (`tests/it/keychain.rs` writes one the old way and checks).
//! The other way does not hold: items this store creates carry `service` and
//! `username` only, which a build from before the move does not find (after a
//! downgrade, sign in again).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry, Error as StoreError};

use crate::error::{Error, Result};
use crate::vault::secret::Secret;
use crate::vault::{ChunkedVault, EntryStore, SERVICE};

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
compile_error!("MCP Auth Manager needs an OS keychain: Linux (Secret Service), macOS or Windows");

/// How long one keychain operation may wait (for an unlock prompt, mostly)
/// before it fails as "locked" instead of hanging.
pub const PROMPT_WAIT: Duration = Duration::from_secs(120);

/// The keychain, one entry per name under one service name.
pub struct KeychainEntries {
    service: String,
}

/// The vault every face of the app uses.
pub type KeychainVault = ChunkedVault<KeychainEntries>;

/// Open the OS keychain (nothing is contacted until the first read or write).
pub fn keychain_vault() -> KeychainVault {
    keychain_vault_for(SERVICE)
}

/// A keychain vault under another service name (tests keep their entries apart).
pub fn keychain_vault_for(service: &str) -> KeychainVault {
    ChunkedVault::new(KeychainEntries { service: service.to_string() })
}

/// The process's store, made at first use and kept.
static STORE: Mutex<Option<Arc<CredentialStore>>> = Mutex::new(None);

fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    #[cfg(target_os = "linux")]
    let store: Arc<CredentialStore> = dbus_secret_service_keyring_store::Store::new()?;
    #[cfg(target_os = "macos")]
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    #[cfg(windows)]
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

/// Run `op` on the process's store, making it first if needed; a broken
/// connection drops the store and `op` runs once more on a new one.
fn with_store<T>(op: &dyn Fn(&Arc<CredentialStore>) -> keyring_core::Result<T>) -> keyring_core::Result<T> {
    let mut kept = STORE.lock().unwrap_or_else(PoisonError::into_inner);
    let mut retried = false;
    loop {
        let store = match kept.as_ref() {
            Some(store) => store.clone(),
            None => kept.insert(platform_store()?).clone(),
        };
        match op(&store) {
            Err(e) if !retried && connection_lost(&e) => {
                retried = true;
                *kept = None;
            }
            other => return other,
        }
    }
}

/// A job for the keychain's thread.
type Job = Box<dyn FnOnce() + Send>;

/// The process's keychain thread, started at first use: every operation runs
/// there, so that the caller can stop waiting (a thread stuck on a prompt
/// cannot be interrupted, only left).
fn keychain_thread() -> Result<&'static mpsc::Sender<Job>> {
    static THREAD: OnceLock<std::io::Result<mpsc::Sender<Job>>> = OnceLock::new();
    THREAD
        .get_or_init(|| {
            let (jobs, queue) = mpsc::channel::<Job>();
            std::thread::Builder::new().name("keychain".into()).spawn(move || queue.into_iter().for_each(|job| job())).map(|_| jobs)
        })
        .as_ref()
        .map_err(|e| unavailable(format!("the keychain could not be reached ({e})")))
}

/// Run `op` on the store on the keychain's thread and wait at most
/// [`PROMPT_WAIT`]. Operations queued behind one that waits on a prompt wait
/// their own bound too, until the person answers the prompt; one whose caller
/// stopped waiting before it began is not carried out. (One that had begun,
/// the one on the prompt, ends when the person answers it: the store's prompt
/// has no time-out of its own.)
fn bounded<T: Send + 'static>(op: impl Fn(&Arc<CredentialStore>) -> keyring_core::Result<T> + Send + 'static) -> Result<T> {
    let (tx, rx) = mpsc::channel();
    let abandoned = Arc::new(AtomicBool::new(false));
    let skip = abandoned.clone();
    let job: Job = Box::new(move || {
        if skip.load(Ordering::SeqCst) {
            return;
        }
        // A panic in the store fails this operation, not the thread.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| with_store(&op)))
            .unwrap_or_else(|_| Err(StoreError::PlatformFailure("the keychain's store failed".into())));
        let _ = tx.send(result.map_err(explain));
    });
    keychain_thread()?.send(job).map_err(|_| unavailable("the keychain's thread has stopped".into()))?;
    match rx.recv_timeout(PROMPT_WAIT) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err({
            abandoned.store(true, Ordering::SeqCst);
            unavailable(format!(
                "the keychain is locked and did not open within {} seconds (an unlock prompt may be waiting for you)",
                PROMPT_WAIT.as_secs()
            ))
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(unavailable("the keychain operation stopped without an answer".into())),
    }
}

impl KeychainEntries {
    fn entry(store: &Arc<CredentialStore>, service: &str, name: &str) -> keyring_core::Result<Entry> {
        // The Secret Service shows a label in Seahorse and KWallet; the other
        // stores take no such modifier.
        #[cfg(target_os = "linux")]
        {
            let label = format!("MCP Auth Manager: {name}");
            Entry::new_in_store_with_modifiers(store, service, name, &std::collections::HashMap::from([("label", label.as_str())]))
        }
        #[cfg(not(target_os = "linux"))]
        Entry::new_in_store(store, service, name)
    }
}

impl EntryStore for KeychainEntries {
    fn read(&self, name: &str) -> Result<Option<Secret>> {
        let (service, name) = (self.service.clone(), name.to_string());
        bounded(move |store| {
            let read = |entry: &Entry| entry.get_password().map(|v| Some(Secret::new(v)));
            match read(&Self::entry(store, &service, &name)?) {
                Err(StoreError::NoEntry) => Ok(None),
                // The same name twice (another program wrote it again): the
                // first, as every reader before took it.
                Err(StoreError::Ambiguous(entries)) => read(&entries[0]),
                other => other,
            }
        })
    }

    fn write(&self, name: &str, value: &str) -> Result<()> {
        let (service, name, value) = (self.service.clone(), name.to_string(), Secret::new(value));
        bounded(move |store| match Self::entry(store, &service, &name)?.set_password(value.expose()) {
            // One value under one name: the first takes it, the others go.
            Err(StoreError::Ambiguous(entries)) => {
                entries[0].set_password(value.expose())?;
                entries[1..].iter().try_for_each(Entry::delete_credential)
            }
            other => other,
        })
    }

    fn remove(&self, name: &str) -> Result<bool> {
        let (service, name) = (self.service.clone(), name.to_string());
        bounded(move |store| match Self::entry(store, &service, &name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(StoreError::NoEntry) => Ok(false),
            Err(StoreError::Ambiguous(entries)) => entries.iter().try_for_each(Entry::delete_credential).map(|()| true),
            Err(e) => Err(e),
        })
    }
}

/// How to start a Secret Service where there is none: a server, a container,
/// an SSH session without a desktop. Never a plaintext file instead.
pub const START_A_SECRET_SERVICE: &str = "To start one in this shell (an SSH session, a container, a server), run:\n  \
     eval \"$(dbus-launch --sh-syntax)\"      # only if there is no session bus yet\n  \
     gnome-keyring-daemon --unlock --components=secrets    # type a password for the keyring, then Ctrl-D\n\
     (Debian/Ubuntu: apt install gnome-keyring dbus-x11). MCP Auth Manager never keeps tokens in a file instead.";

/// A keychain failure: the cause, and what the user can do about it.
fn unavailable(cause: String) -> Error {
    let hint = if cfg!(target_os = "linux") {
        "Is a keyring service (GNOME Keyring or KWallet) running and unlocked in this session?"
    } else if cfg!(target_os = "macos") {
        "Unlock your login keychain in Keychain Access and try again."
    } else {
        "Check that Windows Credential Manager is available for your account."
    };
    Error::Keychain { reason: format!("{cause}. {hint}") }
}

/// The store's error in words. The store wraps the platform's own error; on
/// Linux that one says whether there is a bus, a service, a desktop.
fn explain(e: StoreError) -> Error {
    #[cfg(target_os = "linux")]
    if let StoreError::PlatformFailure(inner) | StoreError::NoStorageAccess(inner) = &e {
        if let Some(cause) = inner.downcast_ref::<dbus_secret_service::Error>() {
            return explain_secret_service(cause);
        }
    }
    unavailable(match &e {
        StoreError::NoStorageAccess(inner) => format!("the keychain is locked or refused access ({inner})"),
        StoreError::PlatformFailure(inner) => format!("the keychain could not be reached ({inner})"),
        // Never the bytes: a value that is not text is still a secret.
        StoreError::BadEncoding(_) => "a keychain entry of this app is not text".into(),
        other => other.to_string(),
    })
}

/// Whether the store's connection broke under it (worth one new connection).
fn connection_lost(e: &StoreError) -> bool {
    #[cfg(target_os = "linux")]
    if let StoreError::PlatformFailure(inner) = e {
        return matches!(inner.downcast_ref::<dbus_secret_service::Error>(), Some(dbus_secret_service::Error::Dbus(_)));
    }
    let _ = e;
    false
}

#[cfg(target_os = "linux")]
fn explain_secret_service(e: &dbus_secret_service::Error) -> Error {
    use dbus_secret_service::Error as E;
    let text = e.to_string();
    match e {
        // Locked, and no desktop to show the unlock prompt on (SSH, a
        // container): the prompt can only be dismissed. Unlocking from the shell works.
        E::Locked | E::NoResult | E::Prompt if no_desktop() => none_running(&format!(
            "the keychain is locked, and this session has no desktop to ask you to unlock it ({e}); unlock it from the shell as below, with your keyring's password"
        )),
        E::Locked | E::NoResult | E::Prompt => unavailable(format!("the keychain is locked or refused access ({e})")),
        _ if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|a| a.is_empty()) && !std::path::Path::new(&session_bus_socket()).exists() => {
            none_running("there is no D-Bus session bus in this session, so no keychain (Secret Service) can be reached")
        }
        _ if text.contains("ServiceUnknown") || text.contains("org.freedesktop.secrets") || text.contains("was not provided by any .service files") => {
            none_running("no keychain (Secret Service) is running on this session's D-Bus")
        }
        _ => unavailable(format!("the keychain could not be reached ({e})")),
    }
}

/// No Secret Service to talk to: say why, and how to start one.
#[cfg(target_os = "linux")]
fn none_running(why: &str) -> Error {
    Error::Keychain { reason: format!("{why}.\n{START_A_SECRET_SERVICE}") }
}

/// No display to show a prompt on.
#[cfg(target_os = "linux")]
fn no_desktop() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().all(|v| std::env::var_os(v).is_none_or(|d| d.is_empty()))
}

/// Where a desktop's session bus listens when the variable is not set.
#[cfg(target_os = "linux")]
fn session_bus_socket() -> String {
    std::env::var("XDG_RUNTIME_DIR").map(|d| format!("{d}/bus")).unwrap_or_default()
}
