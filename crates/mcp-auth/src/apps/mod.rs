//! Other MCP clients on the machine: reading their configs to import servers
//! ([`import`]), and connecting them to the sign-ins kept here ([`link`]),
//! editing their files as text ([`jsonc`]).

pub mod import;
pub mod jsonc;
pub mod link;
