//! Benchmark figure 1, engine side (see `bench/README.md`): probe + Protected
//! Resource Metadata + authorization-server metadata + Dynamic Client
//! Registration, timed per iteration in one process.
//!
//! ```text
//! bench_discovery <mcp-url> <iterations> [warmup=20]
//! ```
//!
//! Prints `{"median_ms":..,"p10_ms":..,"p90_ms":..,"min_ms":..,"max_ms":..,"n":..,"warmup":..}`.
//! One [`HttpClient`] is reused across iterations (connections are kept alive, as
//! Node's `fetch` does on the SDK side, `bench/sdk-discovery.mjs`). The statistics
//! are computed exactly as that script computes them.

use std::process::ExitCode;
use std::time::Instant;

use mcp_auth::{discover, HttpClient, Limits};
use mcp_auth::{register, RegistrationRequest};

const REQUEST: RegistrationRequest<'static> =
    RegistrationRequest { client_name: "bench", redirect_uri: "http://127.0.0.1:33418/callback", scope: None };

/// One iteration: the four requests, each answer checked.
async fn once(http: &HttpClient, url: &str) -> Result<(), String> {
    let d = discover(http, url)
        .await
        .map_err(|e| format!("discovery: {e}"))?
        .ok_or_else(|| "the server answered without asking for authorization".to_string())?;
    if d.challenge.is_none() || d.protected_resource.is_none() {
        return Err("expected a Bearer challenge and protected resource metadata".to_string());
    }
    let client = register(http, &d.auth_server, &REQUEST).await.map_err(|e| format!("registration: {e}"))?;
    if client.client_id.is_empty() {
        return Err("registration returned no client_id".to_string());
    }
    std::hint::black_box(&client);
    Ok(())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank percentile of sorted samples.
fn rank(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let i = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[i.clamp(1, n) - 1]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = || {
        eprintln!("usage: bench_discovery <mcp-url> <iterations 1..100000> [warmup>=0]");
        ExitCode::from(2)
    };
    if args.len() < 3 || args.len() > 4 {
        return usage();
    }
    let url = args[1].as_str();
    let iterations = match args[2].parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => n,
        _ => return usage(),
    };
    let warmup = match args.get(3).map(|w| w.parse::<usize>()) {
        None => 20,
        Some(Ok(w)) if w <= 100_000 => w,
        Some(_) => return usage(),
    };

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench_discovery: could not start a runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        let http = HttpClient::new(Limits::default()).map_err(|e| format!("http client: {e}"))?;
        for _ in 0..warmup {
            once(&http, url).await?;
        }
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let start = Instant::now();
            once(&http, url).await?;
            samples.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        Ok::<_, String>(samples)
    });
    let mut samples = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench_discovery: {e}");
            return ExitCode::from(1);
        }
    };

    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2.0 };
    let out = serde_json::json!({
        "median_ms": round3(median),
        "p10_ms": round3(rank(&samples, 10.0)),
        "p90_ms": round3(rank(&samples, 90.0)),
        "min_ms": round3(samples[0]),
        "max_ms": round3(samples[n - 1]),
        "n": n,
        "warmup": warmup,
    });
    println!("{out}");
    ExitCode::SUCCESS
}
