//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` through the binary, against a small
//! forward proxy on 127.0.0.1 that records what it is asked: names farther out
//! go through it (a `CONNECT` tunnel to an https server whose certificate a
//! company CA signed, trusted through the OS store), `NO_PROXY` entries and
//! this computer never do.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::fixture::Fixture;

/// A forward proxy that tunnels `CONNECT` to one TLS server (whatever name
/// is asked) and answers plain requests itself.
struct Proxy {
    url: String,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    async fn start(tunnel_to: std::net::SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let asked = Arc::new(Mutex::new(Vec::new()));
        let seen = asked.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1];
                    // Byte by byte up to the blank line: nothing of the tunnel is read.
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => head.push(buf[0]),
                        }
                    }
                    let first = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
                    seen.lock().unwrap().push(first.clone());
                    if !first.starts_with("CONNECT ") {
                        let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n").await;
                        return;
                    }
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(tunnel_to).await else { return };
                    let _ = conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                    let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
                });
            }
        });
        Proxy { url, asked }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

/// A company CA (as a TLS-inspecting proxy's would be) and a certificate it
/// signed for `mcp.proxied.test`, made with openssl.
fn company_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out =
            std::process::Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is installed by scripts/setup");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test Company CA"]].concat());
    run(&[&["req"][..], &ec, &["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=mcp.proxied.test"]].concat());
    std::fs::write(dir.join("leaf.ext"), "subjectAltName=DNS:mcp.proxied.test\nextendedKeyUsage=serverAuth\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    (dir.join("ca.pem"), dir.join("leaf.pem"), dir.join("leaf.key"))
}

/// An https MCP server that asks for authorization (a 401 with a challenge)
/// on every request, with the company CA's certificate.
fn tls_server(cert: &Path, key: &Path) -> std::net::SocketAddr {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert).unwrap().map(|c| c.unwrap()).collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let Ok(tls) = rustls::ServerConnection::new(config) else { return };
                let mut stream = rustls::StreamOwned::new(tls, conn);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let length =
                    text.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
                let mut body = vec![0u8; length];
                if stream.read_exact(&mut body).is_err() {
                    return;
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer error=\"invalid_token\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                stream.conn.send_close_notify();
                let _ = stream.flush();
            });
        }
    });
    addr
}

async fn check(url: &str, env: &[(&str, &str)]) -> (Value, String) {
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-proxy-{}", mcp_auth::new_state()));
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-auth"));
    cmd.args(["check", url]).env("MCP_AUTH_CONFIG_DIR", &dir);
    for v in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.unwrap();
    std::fs::remove_dir_all(dir).ok();
    (serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_farther_out_is_reached_through_the_proxy_with_the_os_trust_store() {
    let dir = std::env::temp_dir().join(format!("mcp-auth-cli-proxy-ca-{}", mcp_auth::new_state()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, leaf, key) = company_ca(&dir);
    let proxy = Proxy::start(tls_server(&leaf, &key)).await;
    // A name only the proxy can reach (`.test` never resolves), its
    // certificate signed by a CA that only the OS store (here SSL_CERT_FILE,
    // which the OS store reader honours) knows.
    let url = "https://mcp.proxied.test/mcp";
    let ca = ca.to_str().unwrap();
    let (v, err) = check(url, &[("HTTPS_PROXY", &proxy.url), ("SSL_CERT_FILE", ca)]).await;
    assert_eq!(v["status"], "requires_auth", "{v} {err}");
    assert!(proxy.asked().iter().all(|l| l.starts_with("CONNECT mcp.proxied.test:443")), "{:?}", proxy.asked());
    // A proxy named by a host on this computer or the local network (cntlm,
    // proxy.corp) is reached, though the server is farther out.
    let by_name = proxy.url.replace("127.0.0.1", "localhost");
    let (v, err) = check(url, &[("HTTPS_PROXY", &by_name), ("SSL_CERT_FILE", ca)]).await;
    assert_eq!(v["status"], "requires_auth", "{v} {err}");
    // A bad proxy value is named, never echoed (it may hold a password).
    let (v, err) = check(url, &[("HTTPS_PROXY", "socks5://user:hunter2@127.0.0.1:1")]).await;
    assert!(!format!("{v}{err}").contains("hunter2"), "{v} {err}");
    // Without the company CA, the same certificate is refused.
    let (v, err) = check(url, &[("HTTPS_PROXY", &proxy.url), ("SSL_CERT_FILE", "/nonexistent")]).await;
    assert_ne!(v["status"], "requires_auth", "{v} {err}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_and_this_computer_go_direct() {
    let proxy = Proxy::start("127.0.0.1:9".parse().unwrap()).await;
    let (v, _) = check("https://mcp.proxied.test/mcp", &[("https_proxy", &proxy.url), ("NO_PROXY", "example.org, proxied.test")]).await;
    assert_ne!(v["status"], "requires_auth", "went direct, and the name does not resolve: {v}");
    // A loopback server is never proxied, whatever the variables say.
    let f = Fixture::start().await;
    let (v, err) = check(&f.mcp_url(), &[("HTTP_PROXY", &proxy.url), ("HTTPS_PROXY", &proxy.url), ("ALL_PROXY", &proxy.url)]).await;
    assert_eq!(v["status"], "requires_auth", "{v} {err}");
    assert!(!f.seen("/mcp").is_empty(), "the fixture itself answered");
    assert!(proxy.asked().is_empty(), "{:?}", proxy.asked());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_variable_that_is_not_a_proxy_url_is_said() {
    let (v, err) = check("https://mcp.proxied.test/mcp", &[("HTTPS_PROXY", "socks5://127.0.0.1:1")]).await;
    assert!(format!("{v}{err}").contains("HTTPS_PROXY"), "{v} {err}");
}
