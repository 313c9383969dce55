// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Linux: WebKitGTK draws with Skia on the GPU by default. For a page of
    // forms and lists that buys nothing, and where there is no GPU (a VM, a
    // remote desktop, Xvfb) it means Mesa's llvmpipe compiling a shader for each
    // new kind of drawing, about 150 ms before the first paint
    // (docs/benchmarks.md). Skia's CPU path draws this page at once, and stays
    // clear of GPU driver trouble. The user's own setting wins. Set here,
    // before any thread exists, because WebKit reads it at start.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_SKIA_ENABLE_CPU_RENDERING").is_none() {
        std::env::set_var("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1");
    }
    mcp_auth_manager::run()
}
