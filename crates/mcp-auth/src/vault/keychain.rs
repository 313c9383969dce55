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

/// A keychain failure: the cause, and what the user can do about it.
fn unavailable(cause: String) -> Error {
    let hint = if cfg!(target_os = "linux") {
        "Is a keyring service (GNOME Keyring or KWallet) running and unlocked in this desktop session? \
         Without a D-Bus session bus (for example over plain SSH) the keychain cannot be reached."
    } else if cfg!(target_os = "macos") {
        "Unlock your login keychain in Keychain Access and try again."
    } else {
        "Check that Windows Credential Manager is available for your account."
    };
    Error::Keychain { reason: format!("{cause}. {hint}") }
}

#[cfg(target_os = "linux")]
fn explain(e: dbus_secret_service::Error) -> Error {
    use dbus_secret_service::Error as E;
    unavailable(match &e {
        E::Locked | E::NoResult | E::Prompt => format!("the keychain is locked or refused access ({e})"),
        _ => format!("the keychain could not be reached ({e})"),
    })
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
