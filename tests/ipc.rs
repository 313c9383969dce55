//! IPC-level tests of the app's commands through `tauri::test`, with the app's
//! real capabilities (generate_context!) and a real keychain (run inside
//! scripts/with-keyring, as scripts/test does).

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, MockRuntime};
use tauri::webview::InvokeRequest;
use tauri::Manager;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

fn app(dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let state = mcp_auth_manager::app_state(Some(dir)).unwrap();
    let app = mcp_auth_manager::builder::<MockRuntime>(state).build(tauri::generate_context!(test = true)).unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, origin: &str, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: window.app_handle().invoke_key().to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
    .map_err(|e| e)
}

const LOCAL: &str = "tauri://localhost";

fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mcp-auth-ipc-{}", mcp_auth::new_state()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn list_add_and_refuse_unsafe_urls() {
    let dir = temp_dir();
    let (_app, w) = app(&dir);
    assert_eq!(invoke(&w, LOCAL, "list_servers", json!({})).unwrap(), json!([]));
    let err = invoke(&w, LOCAL, "add_server", json!({"url": "javascript:alert(1)"})).unwrap_err();
    assert_eq!(err["kind"], "unsafe_url", "{err}");
    assert!(err["message"].as_str().unwrap().contains("will not open"));
    let added = invoke(&w, LOCAL, "add_server", json!({"url": "https://mcp.example.com/mcp"})).unwrap();
    assert_eq!(added["badge"], "needs_sign_in");
    assert_eq!(added["host"], "mcp.example.com");
    let list = invoke(&w, LOCAL, "list_servers", json!({})).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let err = invoke(&w, LOCAL, "server_detail", json!({"name": "nope"})).unwrap_err();
    assert_eq!(err["kind"], "invalid_input");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn row36_a_remote_page_cannot_call_the_commands() {
    let dir = temp_dir();
    let (_app, w) = app(&dir);
    for origin in ["https://evil.example", "http://attacker.localhost:8080"] {
        let denied = invoke(&w, origin, "list_servers", json!({}));
        assert!(denied.is_err(), "{origin} was allowed: {denied:?}");
        let denied = invoke(&w, origin, "reveal_token", json!({"name": "x"}));
        assert!(denied.is_err(), "{origin} was allowed: {denied:?}");
    }
    assert!(invoke(&w, LOCAL, "list_servers", json!({})).is_ok());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn settings_and_secrets_never_come_back_to_the_page() {
    let dir = temp_dir();
    let (_app, w) = app(&dir);
    invoke(&w, LOCAL, "add_server", json!({"url": "https://mcp.example.com/mcp"})).unwrap();
    let saved = invoke(
        &w,
        LOCAL,
        "save_settings",
        json!({"name": "mcp.example.com", "settings": {"clientId": "my-app", "redirectUri": "http://127.0.0.1:33418/callback", "scope": "read", "redirectMode": "loopback"}}),
    )
    .unwrap();
    assert_eq!(saved["clientId"], "my-app");
    assert_eq!(saved["scopeSetting"], "read");
    // A bad redirect URI is refused with a reason.
    let err =
        invoke(&w, LOCAL, "save_settings", json!({"name": "mcp.example.com", "settings": {"redirectUri": "https://evil.example/cb"}}))
            .unwrap_err();
    assert_eq!(err["kind"], "invalid_input");
    // A secret can only be stored once the server's sign-in service is known.
    let err = invoke(&w, LOCAL, "set_client_secret", json!({"name": "mcp.example.com", "secret": "SECRET-MARKER-123"})).unwrap_err();
    assert!(!err.to_string().contains("SECRET-MARKER"));
    let all = invoke(&w, LOCAL, "list_servers", json!({})).unwrap().to_string();
    assert!(!all.contains("SECRET-MARKER"));
    let file = std::fs::read_to_string(dir.join("servers.json")).unwrap();
    assert!(!file.contains("SECRET-MARKER"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_step_up_answer_needs_a_waiting_prompt() {
    // Allowed by the capability (not a permission error), and refused plainly
    // when no sign-in is waiting for that answer; the e2e test answers a real one.
    let (_app, w) = app(&temp_dir());
    let err = invoke(&w, LOCAL, "answer_step_up", json!({"flowId": "nope", "approve": true})).unwrap_err();
    assert_eq!(err["kind"], "invalid_input", "{err}");
    assert!(err["message"].as_str().unwrap().contains("no longer waiting"), "{err}");
}
