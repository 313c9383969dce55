//! Where the app keeps its (non-secret) files.
//!
//! `MCP_AUTH_CONFIG_DIR` overrides everything (tests, portable installs);
//! otherwise the platform's config directory: `$XDG_CONFIG_HOME/mcp-auth-manager`
//! (or `~/.config/…`) on Linux, `~/Library/Application Support/dev.mcpauth.manager`
//! on macOS, `%APPDATA%\MCP Auth Manager` on Windows.

use std::path::PathBuf;

use crate::error::{Error, Result};

pub const CONFIG_DIR_ENV: &str = "MCP_AUTH_CONFIG_DIR";

pub fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = || std::env::var_os("HOME").map(PathBuf::from);
    let dir = if cfg!(windows) {
        std::env::var_os("APPDATA").map(|a| PathBuf::from(a).join("MCP Auth Manager"))
    } else if cfg!(target_os = "macos") {
        home().map(|h| h.join("Library/Application Support/dev.mcpauth.manager"))
    } else {
        std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home().map(|h| h.join(".config")))
            .map(|c| c.join("mcp-auth-manager"))
    };
    dir.ok_or_else(|| Error::InvalidInput(format!("no home directory; set {CONFIG_DIR_ENV}")))
}

/// The user's home directory (for other clients' config files).
pub fn home_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        std::env::var_os("USERPROFILE").map(PathBuf::from)
    } else {
        std::env::var_os("HOME").map(PathBuf::from)
    }
}
