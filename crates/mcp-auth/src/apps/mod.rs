//! Other MCP clients on the machine: reading their configs to import servers.

pub mod import;
