//! The names under which `serve` offers other servers' tools: `<server>__<tool>`,
//! matching `^[a-zA-Z0-9_-]{1,64}$`, the names the model APIs accept.
//!
//! A name that does not fit (other characters, or too long) is cut and given a
//! suffix hashed from the server's and the tool's own names, so it is the same
//! at every listing and in every process; two tools never share one.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

pub const MAX_NAME: usize = 64;
const SEPARATOR: &str = "__";

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether `name` is one the model APIs accept.
pub fn is_valid(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len()) && name.chars().all(allowed)
}

fn suffix(server: &str, tool: &str, round: u32) -> String {
    let mut hash = Sha256::new();
    hash.update(server.as_bytes());
    hash.update([0]);
    hash.update(tool.as_bytes());
    hash.update(round.to_be_bytes());
    hash.finalize()[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The name of `server`'s `tool`, not one of `taken`.
pub fn exposed(server: &str, tool: &str, taken: &HashSet<String>) -> String {
    let plain = format!("{server}{SEPARATOR}{tool}");
    if is_valid(&plain) && !taken.contains(&plain) {
        return plain;
    }
    let cleaned: String = plain.chars().map(|c| if allowed(c) { c } else { '_' }).collect();
    for round in 0.. {
        let tag = suffix(server, tool, round);
        let keep = MAX_NAME - tag.len() - 1;
        let head: String = cleaned.chars().take(keep).collect();
        let name = format!("{head}_{tag}");
        if !taken.contains(&name) {
            return name;
        }
    }
    unreachable!("the rounds are unbounded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_kept_and_others_fit_the_rule() {
        let none = HashSet::new();
        assert_eq!(exposed("crm", "search", &none), "crm__search");
        let dotted = exposed("acme.com-crm", "find.items", &none);
        assert!(is_valid(&dotted), "{dotted}");
        assert!(dotted.starts_with("acme_com-crm__find_items_"), "{dotted}");
        let long = exposed(&"s".repeat(40), &"t".repeat(40), &none);
        assert!(is_valid(&long) && long.len() == MAX_NAME, "{long}");
        assert_eq!(long, exposed(&"s".repeat(40), &"t".repeat(40), &none), "stable");
        assert!(is_valid(&exposed("ünï", "ツール", &none)));
    }

    #[test]
    fn two_tools_never_share_a_name() {
        // "a.b" and "a_b" clean to the same text; the hash tells them apart.
        let mut taken = HashSet::new();
        let first = exposed("x", "a_b", &taken);
        taken.insert(first.clone());
        let second = exposed("x", "a.b", &taken);
        assert_ne!(first, second);
        taken.insert(second.clone());
        // A collision even with the hash takes the next round.
        let third = exposed("x", "a.b", &taken);
        assert!(!taken.contains(&third) && is_valid(&third));
    }
}
