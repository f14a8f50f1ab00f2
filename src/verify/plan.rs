//! What `verify-client` asks the client to do, run by run: the scenario, and the
//! value and date to register, drawn from proptest strategies with a seed.

use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::Scenario;
use crate::strategy::{finite_f64, non_finite_f64};

/// Runs when `--runs` is not given: enough for every scenario and the edge values,
/// few enough to finish in seconds.
pub const DEFAULT_RUNS: usize = 20;

/// The first ten runs: every scenario, with the two 429 scenarios (which cost at
/// least `Retry-After` each against a client that waits) at runs 4 and 10.
const FIRST_TEN: [Scenario; 10] = [
    Scenario::Normal,
    Scenario::Forced401,
    Scenario::Normal,
    Scenario::Forced429,
    Scenario::Normal,
    Scenario::Forced400,
    Scenario::Normal,
    Scenario::Forced404,
    Scenario::Normal,
    Scenario::Forced429Twice,
];

/// Values every plan tries first, in normal runs: the ones real clients get wrong
/// (0 refused, `-0.0` losing its sign, rounding at the extremes, NaN and infinities
/// sent instead of refused).
const EDGES: [f64; 10] =
    [0.0, f64::NAN, -0.0, f64::MAX, 5e-324, f64::INFINITY, 0.1, f64::NEG_INFINITY, f64::MIN, 0.30000000000000004];

/// What one run asks the client to register.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// The value; non-finite ones must be refused.
    pub value: f64,
    /// An RFC 3339 date-time, or none.
    pub date: Option<String>,
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "value {}", value_text(self.value))?;
        match &self.date {
            Some(d) => write!(f, ", date {d}"),
            None => f.write_str(", no date"),
        }
    }
}

/// One run of the client.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// 1-based.
    pub run: usize,
    pub scenario: Scenario,
    pub input: Input,
}

impl Planned {
    /// The case id in reports: `run-007/forced-401`.
    pub fn id(&self) -> String {
        format!("run-{:03}/{}", self.run, self.scenario)
    }
}

/// Every run, and the impact id the client is given.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub seed: u64,
    pub impact_id: u64,
    pub runs: Vec<Planned>,
}

/// The scenario of run `run` (1-based): [`FIRST_TEN`], then a forced 400, 401 or
/// 404 every fourth run and normal runs between. Only two runs force a 429.
fn scenario_for(run: usize) -> Scenario {
    const REFUSALS: [Scenario; 3] = [Scenario::Forced400, Scenario::Forced401, Scenario::Forced404];
    match run {
        1..=10 => FIRST_TEN[run - 1],
        r if r % 4 == 0 => REFUSALS[(r / 4) % 3],
        _ => Scenario::Normal,
    }
}

/// The plan for `runs` runs: the same `seed` gives the same plan.
///
/// Normal runs take the edge values first (0, NaN, -0, ±f64::MAX, 5e-324, ±inf,
/// 0.1, 0.30000000000000004), then values from
/// [`finite_f64`] with one in ten from [`non_finite_f64`]; forced runs take
/// finite values (they test the reaction, which needs a request). Dates come from
/// [`input_date`].
pub fn plan(runs: usize, seed: u64) -> Plan {
    // As `probe` does: the seed in the first eight bytes of ChaCha's key.
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let impact_id = draw(&mut runner, &(1u64..1_000_000), 42);
    let normal_value = prop_oneof![9 => finite_f64(), 1 => non_finite_f64()];
    let mut edges = EDGES.iter();
    let runs = (1..=runs)
        .map(|run| {
            let scenario = scenario_for(run);
            let value = match scenario {
                Scenario::Normal => match edges.next() {
                    Some(v) => *v,
                    None => draw(&mut runner, &normal_value, 1.0),
                },
                _ => draw(&mut runner, &finite_f64(), 1.0),
            };
            let date = draw(&mut runner, &input_date(), None);
            Planned { run, scenario, input: Input { value, date } }
        })
        .collect();
    Plan { seed, impact_id, runs }
}

fn draw<S: Strategy>(runner: &mut TestRunner, strategy: &S, fallback: S::Value) -> S::Value {
    strategy.new_tree(runner).map(|t| t.current()).unwrap_or(fallback)
}

/// A date for a client, or none (one in four): RFC 3339 in 2000–2099, with `Z`,
/// `+00:00` or another offset (half and quarter hours included), and 0 to 6
/// fraction digits. At most microseconds, so a client whose date type has them
/// (Python's `datetime`) can keep the instant exactly.
pub fn input_date() -> impl Strategy<Value = Option<String>> {
    let offset = prop_oneof![
        2 => Just(None),
        1 => Just(Some(0)),
        2 => prop::sample::select(vec![120, -300, 330, -330, 345, 540, -480, 600, -600, 780]).prop_map(Some),
        1 => (-14 * 60..=14 * 60i64).prop_map(Some),
    ];
    prop_oneof![
        1 => Just(None),
        3 => (946_771_200i64..4_102_444_800, offset, 0u32..=6, any::<u32>())
            .prop_map(|(secs, offset, digits, fraction)| Some(format_date(secs, offset, digits, fraction))),
    ]
}

fn format_date(secs: i64, offset_minutes: Option<i64>, digits: u32, fraction: u32) -> String {
    let utc = DateTime::from_timestamp(secs, 0).unwrap_or_default().naive_utc();
    let local = utc + TimeDelta::minutes(offset_minutes.unwrap_or(0));
    let mut s = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits > 0 {
        let f = fraction % 10u32.pow(digits);
        s.push_str(&format!(".{f:0width$}", width = digits as usize));
    }
    match offset_minutes {
        None => s.push('Z'),
        Some(m) => {
            let sign = if m < 0 { '-' } else { '+' };
            s.push_str(&format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60));
        }
    }
    s
}

/// `{value}` as given to the client: the shortest decimal that reads back as the
/// same double (Rust's `{:?}`: `0.1`, `-0.0`, `5e-324`), or `NaN`, `inf`, `-inf`.
pub fn value_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{value:?}")
    }
}

/// The client's arguments for `input`: `{value}` and `{date}` replaced; an
/// argument containing `{date}` is left out when there is no date.
pub fn render_args(args: &[String], input: &Input) -> Vec<String> {
    let value = value_text(input.value);
    args.iter()
        .filter_map(|a| match (&input.date, a.contains("{date}")) {
            (None, true) => None,
            (Some(d), _) => Some(a.replace("{value}", &value).replace("{date}", d)),
            (None, false) => Some(a.replace("{value}", &value)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::{classify, DateClass};

    #[test]
    fn the_same_seed_gives_the_same_plan_and_another_seed_another() {
        let a = plan(30, 7);
        assert_eq!(format!("{a:?}"), format!("{:?}", plan(30, 7)));
        assert_ne!(format!("{:?}", a.runs), format!("{:?}", plan(30, 8).runs));
    }

    #[test]
    fn ten_runs_cover_every_scenario_and_only_two_force_a_429() {
        let p = plan(10, 1);
        for s in Scenario::ALL {
            assert!(p.runs.iter().any(|r| r.scenario == s), "{s}");
        }
        let limited =
            plan(200, 1).runs.iter().filter(|r| matches!(r.scenario, Scenario::Forced429 | Scenario::Forced429Twice)).count();
        assert_eq!(limited, 2);
    }

    #[test]
    fn normal_runs_start_with_the_edge_values_and_forced_runs_get_finite_ones() {
        let p = plan(20, 3);
        let normal: Vec<String> =
            p.runs.iter().filter(|r| r.scenario == Scenario::Normal).take(4).map(|r| value_text(r.input.value)).collect();
        assert_eq!(normal, ["0.0", "NaN", "-0.0", "1.7976931348623157e308"]);
        assert!(p.runs.iter().filter(|r| r.scenario != Scenario::Normal).all(|r| r.input.value.is_finite()));
    }

    #[test]
    fn generated_dates_are_rfc3339_with_at_most_six_fraction_digits() {
        let p = plan(300, 11);
        let dates: Vec<&String> = p.runs.iter().filter_map(|r| r.input.date.as_ref()).collect();
        assert!(dates.len() > 150 && dates.len() < 300, "{}", dates.len());
        for d in &dates {
            assert!(matches!(classify(d), DateClass::Rfc3339(_)), "{d}");
            let frac = d.split('.').nth(1).map(|f| f.bytes().take_while(u8::is_ascii_digit).count()).unwrap_or(0);
            assert!(frac <= 6, "{d}");
        }
        assert!(dates.iter().any(|d| d.ends_with('Z')) && dates.iter().any(|d| d.contains("+05:30") || d.contains("-05:30")));
    }

    #[test]
    fn an_argument_with_date_is_dropped_when_there_is_none() {
        let args: Vec<String> = ["--value={value}", "--date={date}", "x"].map(String::from).to_vec();
        let none = Input { value: -0.0, date: None };
        assert_eq!(render_args(&args, &none), ["--value=-0.0", "x"]);
        let some = Input { value: f64::NEG_INFINITY, date: Some("2024-03-01T12:00:00Z".into()) };
        assert_eq!(render_args(&args, &some), ["--value=-inf", "--date=2024-03-01T12:00:00Z", "x"]);
        assert_eq!(value_text(5e-324), "5e-324");
        assert_eq!(value_text(1e300), "1e300");
    }
}
