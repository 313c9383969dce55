//! The OS keychain as an [`EntryStore`]: Secret Service on Linux (GNOME Keyring,
//! KWallet; one session per process, `secret_service.rs`), Keychain on macOS and
//! Credential Manager on Windows through `keyring`.
//!
//! The platform store is chosen explicitly, so keyring's in-memory mock can never
//! be what a shipping build talks to. Errors name the cause and the fix.

use crate::error::{Error, Result};
use crate::vault::secret::Secret;
use crate::vault::{ChunkedVault, EntryStore, SERVICE};

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
compile_error!("MCP Auth Manager needs an OS keychain: Linux (Secret Service), macOS or Windows");

/// The keychain, one entry per name under [`SERVICE`].
pub struct KeychainEntries {
    service: String,
    /// Linux: one Secret Service session for the process (`secret_service.rs`).
    #[cfg(target_os = "linux")]
    session: crate::vault::secret_service::SessionStore,
}

/// The vault every face of the app uses.
pub type KeychainVault = ChunkedVault<KeychainEntries>;

/// Open the OS keychain (nothing is contacted until the first read or write).
pub fn keychain_vault() -> KeychainVault {
    keychain_vault_for(SERVICE)
}

/// A keychain vault under another service name (tests keep their entries apart).
pub fn keychain_vault_for(service: &str) -> KeychainVault {
    #[cfg(not(target_os = "linux"))]
    {
        use std::sync::Once;
        static CHOOSE_STORE: Once = Once::new();
        CHOOSE_STORE.call_once(|| {
            #[cfg(target_os = "macos")]
            keyring::set_default_credential_builder(keyring::macos::default_credential_builder());
            #[cfg(windows)]
            keyring::set_default_credential_builder(keyring::windows::default_credential_builder());
        });
    }
    ChunkedVault::new(KeychainEntries {
        service: service.to_string(),
        #[cfg(target_os = "linux")]
        session: Default::default(),
    })
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

/// No Secret Service to talk to: say why, and how to start one.
#[cfg(target_os = "linux")]
fn none_running(why: &str) -> Error {
    Error::Keychain { reason: format!("{why}.\n{START_A_SECRET_SERVICE}") }
}

#[cfg(target_os = "linux")]
fn explain(e: dbus_secret_service::Error) -> Error {
    use dbus_secret_service::Error as E;
    let text = e.to_string();
    match &e {
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

#[cfg(target_os = "linux")]
impl EntryStore for KeychainEntries {
    fn read(&self, name: &str) -> Result<Option<Secret>> {
        match self.session.read(&self.service, name).map_err(explain)? {
            Some(bytes) => String::from_utf8(bytes)
                .map(|v| Some(Secret::new(v)))
                .map_err(|_| unavailable(format!("the keychain entry {name} is not text"))),
            None => Ok(None),
        }
    }

    fn write(&self, name: &str, value: &str) -> Result<()> {
        self.session.write(&self.service, name, value).map_err(explain)
    }

    fn remove(&self, name: &str) -> Result<bool> {
        self.session.remove(&self.service, name).map_err(explain)
    }
}

#[cfg(not(target_os = "linux"))]
fn explain(e: keyring::Error) -> Error {
    unavailable(match &e {
        keyring::Error::NoStorageAccess(inner) => format!("the keychain is locked or refused access ({inner})"),
        keyring::Error::PlatformFailure(inner) => format!("the keychain could not be reached ({inner})"),
        other => other.to_string(),
    })
}

#[cfg(not(target_os = "linux"))]
impl KeychainEntries {
    fn entry(&self, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, name).map_err(explain)
    }
}

#[cfg(not(target_os = "linux"))]
impl EntryStore for KeychainEntries {
    fn read(&self, name: &str) -> Result<Option<Secret>> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(explain(e)),
        }
    }

    fn write(&self, name: &str, value: &str) -> Result<()> {
        self.entry(name)?.set_password(value).map_err(explain)
    }

    fn remove(&self, name: &str) -> Result<bool> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(explain(e)),
        }
    }
}
