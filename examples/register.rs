//! Registers one Custom Metric Impact value, the way CONTRACT.md says a
//! command-line client should: it is also the smallest client the
//! client-verification suite can be pointed at.
//!
//! ```text
//! SLEUTH_BASE_URL=https://app.sleuth.io SLEUTH_API_KEY=… SLEUTH_IMPACT_ID=123 \
//!   cargo run --example register -- --value=<V> [--date=<D>] [--key-in=header|body|both] [--wait-on-429]
//! ```
//!
//! Exit status: 0 registered; 1 not registered (refused, non-finite value,
//! transport failure); 2 usage or configuration error.

use std::process::ExitCode;

use sleuth_contract::{Client, ClientDate, KeyPlacement, Outcome};

const USAGE: &str = "usage: register --value=<V> [--date=<D>] [--key-in=header|body|both] [--wait-on-429]";

/// Prints one line to stderr and returns `code`.
fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("register: {message}");
    ExitCode::from(code)
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}

#[tokio::main]
async fn main() -> ExitCode {
    // Arguments: only the `--name=value` forms, so `--value=-1` needs no quoting.
    let (mut value, mut date, mut placement, mut wait_on_429) = (None, None, KeyPlacement::Header, false);
    for arg in std::env::args().skip(1) {
        if let Some(v) = arg.strip_prefix("--value=") {
            // `parse::<f64>` accepts "NaN" and "inf": they are refused below,
            // by the library, so the refusal is tested where it lives.
            match v.parse::<f64>() {
                Ok(v) => value = Some(v),
                Err(e) => return fail(2, format!("invalid value '{v}': {e}")),
            }
        } else if let Some(d) = arg.strip_prefix("--date=") {
            // A blank date means none: the server then uses the current time.
            date = match d.trim() {
                "" => None,
                _ => match ClientDate::parse(d) {
                    Ok(d) => Some(d),
                    Err(e) => return fail(2, e),
                },
            };
        } else if let Some(p) = arg.strip_prefix("--key-in=") {
            placement = match p {
                "header" => KeyPlacement::Header,
                "body" => KeyPlacement::Body,
                "both" => KeyPlacement::Both,
                _ => return fail(2, format!("invalid --key-in '{p}': expected header, body or both")),
            };
        } else if arg == "--wait-on-429" {
            wait_on_429 = true;
        } else {
            return fail(2, format!("unknown argument '{arg}'; {USAGE}"));
        }
    }
    let Some(value) = value else {
        return fail(2, USAGE);
    };

    let config = (|| {
        let id = env("SLEUTH_IMPACT_ID")?;
        let id = id.parse::<u64>().map_err(|e| format!("invalid SLEUTH_IMPACT_ID '{id}': {e}"))?;
        Ok::<_, String>((env("SLEUTH_BASE_URL")?, env("SLEUTH_API_KEY")?, id))
    })();
    let (base_url, api_key, impact_id) = match config {
        Ok(config) => config,
        Err(message) => return fail(2, message),
    };
    let client = match Client::builder(base_url, api_key, impact_id).key_placement(placement).build() {
        Ok(client) => client,
        Err(e) => return fail(2, e),
    };

    let mut outcome = client.register(value, date.as_ref()).await;
    if let Ok(Outcome::RateLimited { retry_after: Some(delay) }) = outcome {
        if wait_on_429 {
            // Exactly one more try, no earlier than the server asked; the
            // second answer decides.
            eprintln!("register: rate limited, retrying in {} s", delay.as_secs());
            tokio::time::sleep(delay).await;
            outcome = client.register(value, date.as_ref()).await;
        }
    }
    match outcome {
        Ok(Outcome::Registered) => {
            println!("Success");
            ExitCode::SUCCESS
        }
        Ok(other) => fail(1, other),
        Err(e) => fail(1, e),
    }
}
