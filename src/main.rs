//! `sleuth-contract`: contract tests and fuzzing for Sleuth's Custom Metric Impact
//! registration endpoint. See the README for the commands.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use sleuth_contract::catalogue::catalogue;
use sleuth_contract::model::Facts;
use sleuth_contract::reference::{Fault, Leniency, Stage};
use sleuth_contract::report::EXIT_ERROR;
use sleuth_contract::ReferenceServer;

#[derive(Parser)]
#[command(name = "sleuth-contract", version, about = "Contract tests and fuzzing for Sleuth's register_impact endpoint")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a server (or the embedded reference server) against the contract.
    Probe(sleuth_contract::runner::ProbeArgs),
    /// Run the reference server in the foreground.
    Serve(ServeArgs),
    /// List the catalogue: id, CONTRACT.md row, allowed statuses.
    Cases,
    /// Check a command-line client: run it against the reference server and judge what it sends.
    VerifyClient(sleuth_contract::verify::VerifyArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// An impact id that exists (repeatable). Default: 1.
    #[arg(long = "impact-id")]
    impact_ids: Vec<u64>,
    /// The valid API key. Also read from SLEUTH_API_KEY.
    #[arg(long, env = "SLEUTH_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The rate-limit window in seconds.
    #[arg(long, default_value_t = 120)]
    rate_window: u64,
    /// Check order: validate before rate-limiting, or rate-limit first.
    #[arg(long, value_enum, default_value_t = Order::ValidateFirst)]
    order: Order,
    /// Choices where the contract is silent (all conformant).
    #[arg(long, value_enum, default_value_t = LeniencyArg::Default)]
    leniency: LeniencyArg,
    /// Plant a deliberate fault (repeatable), to see what probe reports.
    #[arg(long, value_enum)]
    fault: Vec<Fault>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Order {
    ValidateFirst,
    RateLimitFirst,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LeniencyArg {
    /// Refuse numeric strings and unusual dates; accept extra fields.
    Default,
    /// Accept everything the contract allows to be accepted.
    Permissive,
    /// Refuse everything the contract allows to be refused.
    Strict,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // One line, as for every other bad input; --help has the rest.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments").trim_start_matches("error: ");
            return fail(&format!("{first} (see --help)"));
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let code = match cli.command {
        Command::Probe(args) => runtime.block_on(sleuth_contract::runner::probe_main(args)),
        Command::VerifyClient(args) => runtime.block_on(sleuth_contract::verify::verify_main(args)),
        Command::Serve(args) => runtime.block_on(serve(args)),
        Command::Cases => cases(),
    };
    ExitCode::from(code as u8)
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_ERROR as u8)
}

async fn serve(args: ServeArgs) -> i32 {
    if args.rate_window == 0 {
        eprintln!("error: --rate-window must be at least 1 second");
        return EXIT_ERROR;
    }
    let Some(key) = args.api_key.filter(|k| !k.is_empty()) else {
        eprintln!("error: serve needs an API key: pass --api-key KEY or set SLEUTH_API_KEY");
        return EXIT_ERROR;
    };
    let order = match args.order {
        Order::ValidateFirst => Stage::VALIDATE_FIRST,
        Order::RateLimitFirst => Stage::RATE_LIMIT_FIRST,
    };
    let leniency = match args.leniency {
        LeniencyArg::Default => Leniency::default(),
        LeniencyArg::Permissive => Leniency::permissive(),
        LeniencyArg::Strict => Leniency::strict(),
    };
    let mut builder = ReferenceServer::builder()
        .port(args.port)
        .api_key(key)
        .window(Duration::from_secs(args.rate_window))
        .order(&order)
        .leniency(leniency);
    for f in &args.fault {
        builder = builder.fault(*f);
    }
    let ids = if args.impact_ids.is_empty() { vec![1] } else { args.impact_ids };
    for id in &ids {
        builder = builder.impact_id(*id);
    }
    let server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return EXIT_ERROR;
        }
    };
    // writeln, not println: a closed stdout (`serve | head -1`) must not stop the server.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "reference server listening on {}", server.url());
    for id in &ids {
        let _ = writeln!(out, "  POST {}/api/1/impact/{id}/register_impact", server.url());
    }
    let _ = writeln!(out, "  window {}s; key from --api-key / SLEUTH_API_KEY; Ctrl-C stops", args.rate_window);
    if !args.fault.is_empty() {
        let _ = writeln!(out, "  planted faults (NOT conformant): {:?}", args.fault);
    }
    let _ = out.flush();
    let _ = tokio::signal::ctrl_c().await;
    drop(server);
    0
}

fn cases() -> i32 {
    let facts = Facts::example();
    let mut out = std::io::stdout().lock();
    for c in catalogue(&facts) {
        let statuses: Vec<String> = c.declared.iter().map(ToString::to_string).collect();
        // A closed pipe (`cases | head`) just ends the listing.
        if writeln!(out, "{:<48} {:<12} {}", c.id, statuses.join("|"), c.row.text()).is_err() {
            break;
        }
    }
    0
}
