//! Opening the browser for a sign-in, honestly: when the system has no
//! browser that can open the link (the launcher says so, as `xdg-open` does
//! with exit 3), the page is told at once, and says so with "Copy the link"
//! first, instead of "a browser window opened for you". The sign-in keeps
//! waiting: the link works in any browser, on this computer or another.

use std::sync::Arc;

use mcp_auth::{BrowserUrl, OpenFuture, Opener};
use serde::Serialize;
use tauri::{AppHandle, Runtime};
use ts_rs::TS;

use crate::events::{self, BROWSER_NOT_OPENED};

/// Sent as the `browser-not-opened` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BrowserNotOpened {
    pub flow_id: String,
    pub server: String,
    /// Why, in the launcher's words.
    pub reason: String,
}

pub struct SayWhenNotOpened<R: Runtime> {
    pub inner: Arc<dyn Opener>,
    pub app: AppHandle<R>,
    pub flow_id: String,
    pub server: String,
}

impl<R: Runtime> Opener for SayWhenNotOpened<R> {
    fn open<'a>(&'a self, url: &'a BrowserUrl) -> OpenFuture<'a> {
        Box::pin(async move {
            if let Err(e) = self.inner.open(url).await {
                let reason = e.to_string();
                events::emit(
                    &self.app,
                    BROWSER_NOT_OPENED,
                    BrowserNotOpened { flow_id: self.flow_id.clone(), server: self.server.clone(), reason },
                );
            }
            Ok(())
        })
    }
}
