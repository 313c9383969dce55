//! Tauri's build step. The app's commands are declared here so that each gets an
//! `allow-…` permission, and the main window's capability lists exactly the ones
//! the UI calls (src-tauri/capabilities/main.json): nothing is allowed by default.

const COMMANDS: &[&str] = &[
    "list_servers",
    "add_server",
    "discover_server",
    "save_settings",
    "set_client_secret",
    "remove_client_secret",
    "sign_in",
    "cancel_sign_in",
    "sign_in_on_device",
    "answer_step_up",
    "server_detail",
    "server_activity",
    "diagnose_server",
    "refresh_server",
    "revoke_server",
    "clear_server",
    "remove_server",
    "reveal_token",
    "copy_token",
    "copy_text",
    "rename_server",
    "open_sign_in_again",
    "import_scan",
    "show_config_file",
    "import_add",
    "start_demo",
    "app_uses",
    "set_app_use",
    "connect_app_all",
    "agent_uses",
    "set_agent_use",
    "prompts_waiting",
    "preferences",
    "set_keep_in_tray",
    "set_start_at_login",
    "answer_prompt",
    "answer_program",
    "set_program_approval",
    "forget_program",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build");
}
