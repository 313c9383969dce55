//! The [`Vault`] trait, and values of any length over a keychain's entries.
//!
//! Every secret (access and refresh tokens, client secrets, registered clients'
//! secrets) is kept in the OS keychain and nowhere else. Values longer than one
//! keychain entry can hold (Windows Credential Manager stops at 2,560 bytes, and
//! long JWTs or refresh tokens reach it) are split across entries under one
//! generation id and joined back; the head entry is written last, so a reader
//! sees the old value or the new one, never a mix. A keychain that is absent,
//! locked or unreachable is an error that says what to do; there is no plaintext
//! fallback.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::vault::secret::Secret;

/// The keychain service name every entry is filed under.
pub const SERVICE: &str = "dev.mcpauth.manager";

/// Characters per keychain entry: 1,000 characters is at most 2,000 bytes as
/// UTF-16, under Windows' 2,560-byte limit.
pub const CHUNK_CHARS: usize = 1000;

/// Most chunks one value may use (1 MB): a bound, not a expected size.
const MAX_CHUNKS: usize = 1000;

const CHUNK_HEADER: &str = "mcp-auth-chunked:v1:";

/// The name of one stored value. Built from what a secret really belongs to
/// (resource URL, issuer, client id), never from a display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VaultKey(String);

impl VaultKey {
    /// The tokens of one sign-in.
    pub fn grant(resource: &str, issuer: &str, client_id: &str) -> Self {
        VaultKey(format!("grant {resource} {issuer} {client_id}"))
    }
    /// The tokens of a sign-in whose sign-out the server has not confirmed,
    /// kept only to ask again.
    pub fn signed_out(resource: &str, issuer: &str, client_id: &str) -> Self {
        VaultKey(format!("signed-out grant {resource} {issuer} {client_id}"))
    }
    /// A client identity (and its secret) at one issuer.
    pub fn client(issuer: &str, client_id: &str) -> Self {
        VaultKey(format!("client {issuer} {client_id}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    fn chunk(&self, generation: &str, index: usize) -> String {
        format!("{} #{generation}.{index}", self.0)
    }
}

/// A secret store. Implementations must never write plaintext to disk.
pub trait Vault: Send + Sync {
    fn get(&self, key: &VaultKey) -> Result<Option<Secret>>;
    fn set(&self, key: &VaultKey, value: &Secret) -> Result<()>;
    /// `Ok(true)` when something was deleted.
    fn delete(&self, key: &VaultKey) -> Result<bool>;
}

/// The raw entry operations a keychain offers; [`ChunkedVault`] builds values
/// of any length on top of them.
pub trait EntryStore: Send + Sync {
    fn read(&self, name: &str) -> Result<Option<Secret>>;
    fn write(&self, name: &str, value: &str) -> Result<()>;
    fn remove(&self, name: &str) -> Result<bool>;
}

/// Splits long values across entries.
pub struct ChunkedVault<S: EntryStore> {
    store: S,
}

impl<S: EntryStore> ChunkedVault<S> {
    pub fn new(store: S) -> Self {
        ChunkedVault { store }
    }

    fn parse_header(head: &str) -> Option<(String, usize)> {
        let rest = head.strip_prefix(CHUNK_HEADER)?;
        let (generation, count) = rest.split_once(':')?;
        let count: usize = count.parse().ok()?;
        (count <= MAX_CHUNKS && !generation.is_empty()).then(|| (generation.to_string(), count))
    }

    fn remove_chunks(&self, key: &VaultKey, head: Option<&Secret>) -> Result<()> {
        if let Some((generation, count)) = head.and_then(|h| Self::parse_header(h.expose())) {
            for i in 0..count {
                self.store.remove(&key.chunk(&generation, i))?;
            }
        }
        Ok(())
    }
}

impl<S: EntryStore> Vault for ChunkedVault<S> {
    fn get(&self, key: &VaultKey) -> Result<Option<Secret>> {
        let Some(head) = self.store.read(key.as_str())? else {
            return Ok(None);
        };
        let Some((generation, count)) = Self::parse_header(head.expose()) else {
            return Ok(Some(head));
        };
        let mut joined = zeroize::Zeroizing::new(String::new());
        for i in 0..count {
            let part = self
                .store
                .read(&key.chunk(&generation, i))?
                .ok_or_else(|| Error::Keychain { reason: format!("part {i} of a stored value is missing; sign in again to replace it") })?;
            joined.push_str(part.expose());
        }
        Ok(Some(Secret::new(joined.as_str())))
    }

    fn set(&self, key: &VaultKey, value: &Secret) -> Result<()> {
        let old = self.store.read(key.as_str())?;
        let text = value.expose();
        if text.chars().count() <= CHUNK_CHARS && !text.starts_with(CHUNK_HEADER) {
            self.store.write(key.as_str(), text)?;
        } else {
            let chars: Vec<char> = text.chars().collect();
            let parts: Vec<String> = chars.chunks(CHUNK_CHARS).map(|c| c.iter().collect()).collect();
            if parts.len() > MAX_CHUNKS {
                return Err(Error::Keychain { reason: "the value is too large for the keychain".into() });
            }
            let generation = crate::oauth::authorize::new_state()[..12].to_string();
            for (i, part) in parts.iter().enumerate() {
                self.store.write(&key.chunk(&generation, i), part)?;
            }
            // The head last: until now readers still see the old value.
            self.store.write(key.as_str(), &format!("{CHUNK_HEADER}{generation}:{}", parts.len()))?;
        }
        self.remove_chunks(key, old.as_ref())
    }

    fn delete(&self, key: &VaultKey) -> Result<bool> {
        let old = self.store.read(key.as_str())?;
        self.remove_chunks(key, old.as_ref())?;
        self.store.remove(key.as_str())
    }
}

/// Entries kept in memory: for unit tests of code above the vault only.
#[derive(Default)]
pub struct MemoryEntries(Mutex<HashMap<String, String>>);

impl EntryStore for MemoryEntries {
    fn read(&self, name: &str) -> Result<Option<Secret>> {
        Ok(self.0.lock().unwrap().get(name).map(|v| Secret::new(v.as_str())))
    }
    fn write(&self, name: &str, value: &str) -> Result<()> {
        self.0.lock().unwrap().insert(name.to_string(), value.to_string());
        Ok(())
    }
    fn remove(&self, name: &str) -> Result<bool> {
        Ok(self.0.lock().unwrap().remove(name).is_some())
    }
}

impl MemoryEntries {
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The longest single entry, in characters.
    pub fn longest(&self) -> usize {
        self.0.lock().unwrap().values().map(|v| v.chars().count()).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_split_and_joined() {
        let vault = ChunkedVault::new(MemoryEntries::default());
        let key = VaultKey::grant("https://h/mcp", "https://as", "c");
        let long: String = (0..10_240).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        vault.set(&key, &Secret::new(long.as_str())).unwrap();
        assert_eq!(vault.get(&key).unwrap().unwrap().expose(), long);
        assert!(vault.store.longest() <= CHUNK_CHARS);
        assert_eq!(vault.store.len(), 1 + 11);
        // Replacing with a short value removes the old chunks.
        vault.set(&key, &Secret::new("short")).unwrap();
        assert_eq!(vault.store.len(), 1);
        assert!(vault.delete(&key).unwrap());
        assert!(vault.store.is_empty());
        assert_eq!(vault.get(&key).unwrap(), None);
    }

    #[test]
    fn multibyte_values_split_on_characters() {
        let vault = ChunkedVault::new(MemoryEntries::default());
        let key = VaultKey::client("https://as", "c");
        let v = "é🔑".repeat(1500);
        vault.set(&key, &Secret::new(v.as_str())).unwrap();
        assert_eq!(vault.get(&key).unwrap().unwrap().expose(), v);
    }

    #[test]
    fn a_value_that_looks_like_a_header_round_trips() {
        let vault = ChunkedVault::new(MemoryEntries::default());
        let key = VaultKey::client("i", "c");
        let tricky = format!("{CHUNK_HEADER}x:1");
        vault.set(&key, &Secret::new(tricky.as_str())).unwrap();
        assert_eq!(vault.get(&key).unwrap().unwrap().expose(), tricky);
    }
}
