//! Which scope to ask for (MCP: Scope Selection Strategy, Step-Up Authorization).
//!
//! The latest challenge's `scope` wins; else every scope the protected resource
//! lists; else no `scope` parameter at all. Neither list is assumed to be a subset
//! of the other. `offline_access` is added only when the authorization server
//! lists it, because servers that don't know it reject the whole request. Step-up
//! asks for the union of what was granted and what the server now demands.

/// Split a space-delimited scope string into unique, ordered names.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split_ascii_whitespace() {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

pub fn join(scopes: &[String]) -> Option<String> {
    (!scopes.is_empty()).then(|| scopes.join(" "))
}

/// The spec's choice, before `offline_access`.
pub fn choose(challenge_scope: Option<&str>, resource_scopes: Option<&[String]>) -> Vec<String> {
    if let Some(c) = challenge_scope.filter(|c| !c.trim().is_empty()) {
        return split(c);
    }
    match resource_scopes {
        Some(list) if !list.is_empty() => split(&list.join(" ")),
        _ => Vec::new(),
    }
}

/// Add `offline_access` when the authorization server lists it (and something is
/// being requested or the server would otherwise get no scope at all).
pub fn with_offline_access(mut scopes: Vec<String>, as_lists_offline_access: bool) -> Vec<String> {
    if as_lists_offline_access && !scopes.iter().any(|s| s == "offline_access") {
        scopes.push("offline_access".into());
    }
    if !as_lists_offline_access {
        scopes.retain(|s| s != "offline_access");
    }
    scopes
}

/// Step-up: everything already granted plus everything now demanded.
pub fn union(granted: &[String], demanded: &[String]) -> Vec<String> {
    let mut out = split(&granted.join(" "));
    for d in demanded {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn challenge_then_resource_list_then_nothing() {
        let listed = v(&["a", "b"]);
        assert_eq!(choose(Some("x y x"), Some(&listed)), v(&["x", "y"]));
        assert_eq!(choose(Some("  "), Some(&listed)), v(&["a", "b"]));
        assert_eq!(choose(None, Some(&listed)), v(&["a", "b"]));
        assert!(choose(None, Some(&[])).is_empty());
        assert!(choose(None, None).is_empty());
        assert_eq!(join(&[]), None);
    }

    #[test]
    fn offline_access_only_when_listed() {
        assert_eq!(with_offline_access(v(&["a"]), true), v(&["a", "offline_access"]));
        assert_eq!(with_offline_access(v(&["a", "offline_access"]), false), v(&["a"]));
    }

    #[test]
    fn step_up_is_a_union() {
        assert_eq!(union(&v(&["mcp:basic"]), &v(&["mcp:basic", "mcp:write"])), v(&["mcp:basic", "mcp:write"]));
        assert_eq!(union(&v(&["b", "a"]), &v(&["c"])), v(&["b", "a", "c"]));
    }
}
