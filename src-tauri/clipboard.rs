//! The clipboard, from the app's own process: plain text the person copies
//! (a sign-in link, setup details for IT), and an access token — the one time
//! a secret leaves the keychain for somewhere the app does not control, so it
//! leaves as little behind as it can. (The webview's own clipboard API needs a
//! user gesture WebKitGTK does not always see, and gives no answer to say.)
//!
//! For a token:
//!
//! The copy is marked concealed (arboard's `exclude_from_history`: the
//! `x-kde-passwordManagerHint` target on Linux, the clipboard-history and
//! cloud-clipboard opt-outs on Windows, `org.nspasteboard.ConcealedType` on
//! macOS), so clipboard managers that honour the mark keep no copy; and it is
//! cleared after [`clear_after`] unless something else was copied meanwhile.
//! Only a hash of the token is kept for that comparison.

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[cfg(target_os = "macos")]
use arboard::SetExtApple as _;
#[cfg(all(unix, not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))))]
use arboard::SetExtLinux as _;
#[cfg(windows)]
use arboard::SetExtWindows as _;
use sha2::{Digest, Sha256};

use crate::error::{CommandError, CommandResult};

/// How long a copied token stays on the clipboard: 60 s, or
/// `MCP_AUTH_CLIPBOARD_SECONDS` (the end-to-end suite sets a short one).
pub fn clear_after() -> Duration {
    let seconds = std::env::var("MCP_AUTH_CLIPBOARD_SECONDS").ok().and_then(|v| v.parse().ok()).filter(|s| *s > 0).unwrap_or(60);
    Duration::from_secs(seconds)
}

/// The app's clipboard handle: one for the app's life, since on X11 the
/// copy is served by the process that owns it for as long as it lives.
#[derive(Clone, Default)]
pub struct Clipboard {
    board: Arc<Mutex<Option<arboard::Clipboard>>>,
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl Clipboard {
    fn with<T>(&self, f: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>) -> CommandResult<T> {
        let mut guard = self.board.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(arboard::Clipboard::new().map_err(|e| CommandError::internal(format!("the clipboard is not available: {e}")))?);
        }
        f(guard.as_mut().expect("set above")).map_err(|e| CommandError::internal(format!("the clipboard refused the copy: {e}")))
    }

    /// Put text that is not a secret on the clipboard, as any copy.
    pub fn copy(&self, text: &str) -> CommandResult<()> {
        self.with(|b| b.set_text(text))
    }

    /// Put `text` on the clipboard, concealed, and clear it after `after`
    /// if it is still there. Returns at once.
    pub fn copy_for_a_while(&self, text: &str, after: Duration) -> CommandResult<()> {
        self.with(|b| b.set().exclude_from_history().text(text))?;
        let copied = digest(text);
        let this = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            // Something copied since is the person's: left alone.
            let still_ours = this.with(|b| b.get_text()).is_ok_and(|t| digest(&t) == copied);
            if still_ours {
                let _ = this.with(|b| b.clear());
            }
        });
        Ok(())
    }
}
