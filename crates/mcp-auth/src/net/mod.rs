//! Everything that touches the network or the OS on the engine's behalf: the
//! one HTTP client and its rules, what may be contacted (address checks and
//! classes), the loopback listener that catches the browser's redirect, and the
//! validated opener that hands a URL to the browser.

pub mod address;
pub mod browser;
pub mod http;
pub mod loopback;
