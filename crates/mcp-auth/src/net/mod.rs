//! Everything that touches the network or the OS on the engine's behalf: the
//! one HTTP client and its rules, the proxy the environment names, the
//! certificates it trusts (built-in and the OS store), what may be contacted (address checks and classes), the loopback listener that catches the browser's redirect, and the
//! validated opener that hands a URL to the browser, and the running app's
//! socket, through which a bridge asks the app to show a sign-in.

pub mod address;
pub mod app_socket;
pub mod browser;
pub mod http;
pub mod loopback;
pub mod proxy;
pub mod trust;
