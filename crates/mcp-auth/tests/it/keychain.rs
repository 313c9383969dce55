//! The keychain after the move onto `keyring-core`: what earlier versions
//! stored is still found. Up to this move the engine wrote Secret Service items
//! itself, with `keyring` 3's attributes (`service`, `username`,
//! `target = "default"`, `application = "rust-keyring"`); `OldClient` below is
//! that writer, condensed, so the test writes exactly what a user's keychain
//! holds today and reads it back through today's vault. Against the real
//! keychain (GNOME Keyring in `scripts/with-keyring`).
#![cfg(target_os = "linux")]

use std::collections::HashMap;

use dbus_secret_service::{EncryptionType, SecretService};
use mcp_auth::{keychain_vault_for, new_state, ChunkedVault, EntryStore, Secret, Vault, VaultKey};

/// The engine's Secret Service writer before the move (`vault/secret_service.rs`).
struct OldClient {
    service: String,
}

impl OldClient {
    fn attributes<'a>(&'a self, name: &'a str) -> HashMap<&'a str, &'a str> {
        HashMap::from([("service", self.service.as_str()), ("username", name), ("target", "default"), ("application", "rust-keyring")])
    }
    fn connect() -> SecretService {
        SecretService::connect(EncryptionType::Dh).expect("a Secret Service (run under scripts/with-keyring)")
    }
    /// Every item under this name, as (label, secret).
    fn items(&self, name: &str) -> Vec<(String, Vec<u8>)> {
        let ss = Self::connect();
        let found = ss.search_items(HashMap::from([("service", self.service.as_str()), ("username", name)])).unwrap();
        found.unlocked.iter().chain(&found.locked).map(|i| (i.get_label().unwrap(), i.get_secret().unwrap())).collect()
    }
    /// A second item under the same name (what another writer could leave).
    fn add_duplicate(&self, name: &str, value: &str) {
        let ss = Self::connect();
        let collection = ss.get_default_collection().unwrap();
        // replace = false: a new item beside the first.
        collection.create_item("duplicate", self.attributes(name), value.as_bytes(), false, "text/plain").unwrap();
    }
}

impl EntryStore for OldClient {
    fn read(&self, name: &str) -> mcp_auth::Result<Option<Secret>> {
        let ss = Self::connect();
        let found = ss.search_items(self.attributes(name)).unwrap();
        Ok(found.unlocked.first().map(|i| Secret::new(String::from_utf8(i.get_secret().unwrap()).unwrap())))
    }
    fn write(&self, name: &str, value: &str) -> mcp_auth::Result<()> {
        let ss = Self::connect();
        let collection = ss.get_default_collection().unwrap();
        let label = format!("MCP Auth Manager: {name}");
        collection.create_item(&label, self.attributes(name), value.as_bytes(), true, "text/plain").unwrap();
        Ok(())
    }
    fn remove(&self, name: &str) -> mcp_auth::Result<bool> {
        let ss = Self::connect();
        let found = ss.search_items(self.attributes(name)).unwrap();
        found.unlocked.iter().for_each(|i| i.delete().unwrap());
        Ok(!found.unlocked.is_empty())
    }
}

fn test_service() -> String {
    format!("dev.mcpauth.test.migration.{}", new_state())
}

#[test]
fn values_stored_before_the_move_are_read_replaced_in_place_and_deleted() {
    let service = test_service();
    let old = ChunkedVault::new(OldClient { service: service.clone() });
    let vault = keychain_vault_for(&service);
    let short = VaultKey::client("https://as.example", "client-1");
    let long = VaultKey::grant("https://mcp.example/mcp", "https://as.example", "client-1");
    // A 10 kB grant is eleven entries: the head and ten parts.
    let long_value: String = (0..10_240).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    old.set(&short, &Secret::new("old-secret")).unwrap();
    old.set(&long, &Secret::new(long_value.as_str())).unwrap();

    assert_eq!(vault.get(&short).unwrap().unwrap().expose(), "old-secret");
    assert_eq!(vault.get(&long).unwrap().unwrap().expose(), long_value);

    // Replaced in place: still one item under the name, with the old label.
    vault.set(&short, &Secret::new("new-secret")).unwrap();
    let items = OldClient { service: service.clone() }.items(short.as_str());
    assert_eq!(items, vec![(format!("MCP Auth Manager: {}", short.as_str()), b"new-secret".to_vec())]);
    // An item replaced in place keeps its old attributes: a build from before
    // the move still reads it (an item the new store creates, it would not).
    assert_eq!(old.get(&short).unwrap().unwrap().expose(), "new-secret");

    assert!(vault.delete(&long).unwrap());
    assert!(vault.delete(&short).unwrap());
    assert!(vault.get(&long).unwrap().is_none() && vault.get(&short).unwrap().is_none());
    let ss = OldClient::connect();
    let left = ss.search_items(HashMap::from([("service", service.as_str())])).unwrap();
    assert!(left.unlocked.is_empty() && left.locked.is_empty(), "entries left behind under {service}");
}

/// Two items under one name: the value is still read, the next write leaves
/// one item, and a delete removes both.
#[test]
fn a_name_stored_twice_is_read_and_made_single_again() {
    let service = test_service();
    let old = OldClient { service: service.clone() };
    let vault = keychain_vault_for(&service);
    let key = VaultKey::client("https://as.example", "twice");
    old.write(key.as_str(), "first").unwrap();
    old.add_duplicate(key.as_str(), "second");
    assert_eq!(old.items(key.as_str()).len(), 2);

    let read = vault.get(&key).unwrap().unwrap();
    assert!(["first", "second"].contains(&read.expose()), "read neither value");
    vault.set(&key, &Secret::new("third")).unwrap();
    let items = old.items(key.as_str());
    assert_eq!(items.len(), 1, "a write leaves one item under the name");
    assert_eq!(items[0].1, b"third");

    old.add_duplicate(key.as_str(), "again");
    assert!(vault.delete(&key).unwrap());
    assert!(old.items(key.as_str()).is_empty());
}
