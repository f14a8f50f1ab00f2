//! `cargo bench --bench probe`: prints throughput and time-to-verdict figures.
//!
//! Figures, not assertions: these machines are noisy, so speed targets live here
//! and are read by people, never enforced by unit tests.
//!
//! Set `SC_BENCH_WINDOWS=3,10` to choose the real windows timed (default 3).

use std::time::{Duration, Instant};

use sleuth_contract::catalogue::catalogue;
use sleuth_contract::model::Facts;
use sleuth_contract::oracle::{Oracle, Window};
use sleuth_contract::reference::{Clock, Core, ReferenceServer, Settings};
use sleuth_contract::runner::{run, ProbeConfig, Wait};

fn settings(f: &Facts) -> Settings {
    Settings { impact_ids: f.impact_ids.clone(), api_keys: vec![f.api_key.clone()], ..Settings::default() }
}

fn in_process(facts: &Facts) {
    let cases = catalogue(facts);
    let oracle = Oracle::new(facts.impact_ids.clone(), [facts.api_key.clone()]);
    let rounds = 200;
    let start = Instant::now();
    let mut violations = 0;
    for _ in 0..rounds {
        for c in &cases {
            let a = Core::new(settings(facts)).decide(&c.request, Duration::ZERO);
            violations += usize::from(oracle.expect(&c.request, Window::Closed).judge(&a).is_violation());
        }
    }
    let n = rounds * cases.len();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(violations, 0);
    println!("in-process decide+oracle+judge   {:>10.0} cases/s   ({n} cases in {secs:.2}s)", n as f64 / secs);
}

async fn embedded_probe(facts: &Facts) {
    let runs = 20;
    let mut cases = 0;
    let start = Instant::now();
    for _ in 0..runs {
        let clock = Clock::manual();
        let mut b = ReferenceServer::builder().api_key(facts.api_key.clone()).clock(clock.clone());
        for id in &facts.impact_ids {
            b = b.impact_id(*id);
        }
        let server = b.start().await.unwrap();
        let mut cfg = ProbeConfig::new(server.url(), facts.clone());
        cfg.wait = Wait::Virtual(clock);
        cfg.max_registrations = u32::MAX;
        let report = run(cfg).await.unwrap();
        assert_eq!(report.exit_code(), 0);
        cases += report.cases.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "full probe, embedded server (HTTP) {:>9.0} cases/s   ({runs} full verdicts, {:.1} ms each, 120 s window on a virtual clock)",
        cases as f64 / secs,
        secs * 1000.0 / runs as f64
    );
}

async fn real_window(facts: &Facts, window: u64) {
    let mut b = ReferenceServer::builder().api_key(facts.api_key.clone()).window(Duration::from_secs(window));
    for id in &facts.impact_ids {
        b = b.impact_id(*id);
    }
    let server = b.start().await.unwrap();
    let mut cfg = ProbeConfig::new(server.url(), facts.clone());
    cfg.window = Duration::from_secs(window);
    let start = Instant::now();
    let report = run(cfg).await.unwrap();
    let took = start.elapsed();
    assert_eq!(report.exit_code(), 0);
    println!(
        "time to full verdict, real {window:>3} s window   {:>7.2} s   ({} cases, {} values registered; target: <= window + 10 s, <= 3 values)",
        took.as_secs_f64(),
        report.cases.len(),
        report.registrations
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful either way.
    let facts = Facts::example();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("sleuth-contract benchmarks ({} catalogue cases)", catalogue(&facts).len());
    in_process(&facts);
    rt.block_on(embedded_probe(&facts));
    let windows = std::env::var("SC_BENCH_WINDOWS").unwrap_or_else(|_| "3".into());
    for w in windows.split(',').filter_map(|w| w.trim().parse::<u64>().ok()) {
        rt.block_on(real_window(&facts, w));
    }
    // Peak resident memory of the whole benchmark process (Linux), which includes
    // the embedded servers' journals and every report built above.
    if let Some(hwm) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
    {
        println!("peak resident memory (VmHWM)      {}", hwm.trim_start_matches("VmHWM:").trim());
    }
}
