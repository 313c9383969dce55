//! Linux: the Secret Service (GNOME Keyring, KWallet) over one D-Bus connection
//! and one encrypted session for the life of the process.
//!
//! The `keyring` crate opens a new connection and negotiates a new
//! Diffie-Hellman session for every read, write and delete, about 4–5 ms each;
//! a sign-in touches a dozen entries (the grant in chunks, the registration),
//! and `mcp-auth token` is called by other programs before each of their
//! requests. Here the connection is made on first use and kept; if the service
//! went away (a restarted keyring daemon) the operation reconnects once.
//!
//! Items carry the attributes `keyring` gives them (`service`, `username`,
//! `target = "default"`, `application = "rust-keyring"`) and live in the default
//! collection, so entries written through `keyring` are the same items.

use std::collections::HashMap;
use std::sync::Mutex;

use dbus_secret_service::{Collection, EncryptionType, Error as SsError, Item, SecretService};

/// How long an unlock prompt of the keyring may wait for the user; then the
/// operation fails as "locked" instead of hanging.
const PROMPT_SECONDS: u64 = 120;

pub struct SessionStore {
    service: Mutex<Option<SecretService>>,
}

impl Default for SessionStore {
    fn default() -> Self {
        SessionStore { service: Mutex::new(None) }
    }
}

fn attributes<'a>(service: &'a str, name: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([("service", service), ("username", name), ("target", "default"), ("application", "rust-keyring")])
}

/// The items for (service, name), unlocked (the keyring may prompt).
fn find<'s>(ss: &'s SecretService, service: &str, name: &str) -> Result<Vec<Item<'s>>, SsError> {
    let found = ss.search_items(attributes(service, name))?;
    for item in &found.locked {
        item.ensure_unlocked()?;
    }
    Ok(found.unlocked.into_iter().chain(found.locked).collect())
}

fn default_collection(ss: &SecretService) -> Result<Collection<'_>, SsError> {
    let collection = ss.get_default_collection()?;
    collection.ensure_unlocked()?;
    Ok(collection)
}

impl SessionStore {
    /// Run `op` on the kept session, connecting first if needed; a D-Bus
    /// failure drops the session and the operation runs once more on a new one.
    fn with<T>(&self, op: impl Fn(&SecretService) -> Result<T, SsError>) -> Result<T, SsError> {
        let mut kept = self.service.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut retried = false;
        loop {
            if kept.is_none() {
                *kept = Some(SecretService::connect_with_max_prompt_timeout(EncryptionType::Dh, PROMPT_SECONDS)?);
            }
            let ss = kept.as_ref().expect("connected just above");
            match op(ss) {
                Err(SsError::Dbus(_)) if !retried => {
                    retried = true;
                    *kept = None;
                }
                other => return other,
            }
        }
    }

    pub fn read(&self, service: &str, name: &str) -> Result<Option<Vec<u8>>, SsError> {
        self.with(|ss| match find(ss, service, name)?.first() {
            Some(item) => item.get_secret().map(Some),
            None => Ok(None),
        })
    }

    pub fn write(&self, service: &str, name: &str, value: &str) -> Result<(), SsError> {
        self.with(|ss| {
            if let Some(item) = find(ss, service, name)?.first() {
                return item.set_secret(value.as_bytes(), "text/plain");
            }
            let label = format!("MCP Auth Manager: {name}");
            default_collection(ss)?.create_item(&label, attributes(service, name), value.as_bytes(), true, "text/plain").map(|_| ())
        })
    }

    pub fn remove(&self, service: &str, name: &str) -> Result<bool, SsError> {
        self.with(|ss| {
            let items = find(ss, service, name)?;
            for item in &items {
                item.delete()?;
            }
            Ok(!items.is_empty())
        })
    }
}
