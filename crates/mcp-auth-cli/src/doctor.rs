//! `mcp-auth doctor <server>`: the engine's diagnosis, as text for a person
//! or JSON (`--json`) for a program. Exit 1 when a step has a problem.

use std::process::ExitCode;

use mcp_auth::{diagnose, DiagnosisVerdict as Verdict, HttpClient, Limits, Store};

use super::output::{failure, print_json};

pub async fn doctor(server: &str, json: bool) -> ExitCode {
    let result = async {
        let store = Store::open()?;
        diagnose(&store, server, HttpClient::new(Limits::default())?).await
    }
    .await;
    let diagnosis = match result {
        Ok(d) => d,
        Err(e) => return failure(Some(server), &e),
    };
    if json {
        print_json(&serde_json::to_value(&diagnosis).expect("a diagnosis serializes"));
    } else {
        let name = if diagnosis.server.is_empty() { diagnosis.url.clone() } else { format!("{} ({})", diagnosis.server, diagnosis.url) };
        let mut text = format!("Diagnosis of {name}\n\n");
        for step in &diagnosis.steps {
            let mark = match step.verdict {
                Verdict::Ok => "✓",
                Verdict::Warning => "!",
                Verdict::Problem => "✗",
                Verdict::Skipped => "–",
            };
            text.push_str(&format!("  {mark} {}\n      {}\n", step.title, step.found));
            if let Some(fix) = &step.fix {
                text.push_str(&format!("      What to do: {fix}\n"));
            }
        }
        text.push_str(match diagnosis.verdict {
            Verdict::Problem => "\nSomething stops this server (marked ✗): start with the first one.\n",
            Verdict::Warning => "\nIt works, with warnings (marked !).\n",
            _ => "\nEverything checked is fine.\n",
        });
        print!("{text}");
    }
    if diagnosis.verdict == Verdict::Problem {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
