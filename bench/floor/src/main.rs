//! A minimal Tauri window showing one static page: what WebKitGTK and Tauri
//! cost by themselves, the floor the app's start-up and memory are compared to.
fn main() {
    tauri::Builder::default().run(tauri::generate_context!()).expect("error while running the floor window");
}
