//! Reports: what a run found, as text for people and JSON or JUnit XML for tools.
//!
//! Every string a report prints passes through a [`Redactor`] when the report is
//! built *and* when it is rendered, so the API key cannot leak even if a target
//! echoes it back or a message quotes a request.

use std::fmt::Write as _;
use std::time::Duration;

use crate::checks::{Failure, Verdict};
use crate::request::{Answer, Redactor};
use crate::row::Row;

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One line per case, failures with evidence, then a summary.
    #[default]
    Text,
    /// One JSON object with `summary` and `cases`.
    Json,
    /// JUnit XML: one testcase per case.
    Junit,
}

/// What the target answered, as reported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Observed {
    pub status: u16,
    pub text: String,
    /// Header names (lower-case) to values; repeated headers joined with ", ".
    #[serde(serialize_with = "headers_as_map")]
    pub headers: Vec<(String, String)>,
}

fn headers_as_map<S: serde::Serializer>(h: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut map: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (n, v) in h {
        map.entry(n.to_ascii_lowercase())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    serde::Serialize::serialize(&map, s)
}

impl Observed {
    /// From an answer (text trimmed of one trailing newline, lossy UTF-8).
    pub fn from_answer(a: &Answer, redactor: &Redactor) -> Self {
        Observed {
            status: a.status,
            text: redactor.redact(&a.text_for_comparison()),
            // `date` changes on every answer; leaving it out lets two JSON reports
            // of the same target be diffed.
            headers: a
                .headers
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("date"))
                .map(|(n, v)| (n.clone(), redactor.redact(v)))
                .collect(),
        }
    }
}

/// The result for one case.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CaseResult {
    pub id: String,
    pub verdict: Verdict,
    /// The CONTRACT.md row the case exercises (or the rule for verify-client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<Row>,
    /// The allowed set (or the rule), in words.
    pub expected: String,
    pub observed: Option<Observed>,
    /// Failures joined, or a note for unspecified answers.
    pub message: String,
    #[serde(skip)]
    pub failures: Vec<Failure>,
    /// A command that reproduces the case, key shown as `$SLEUTH_API_KEY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
    pub elapsed_ms: u64,
}

/// Counts over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub cases: usize,
    pub conforms: usize,
    pub violations: usize,
    pub unspecified: usize,
    pub errors: usize,
    /// Cases not sent (budget spent, run stopped).
    pub skipped: usize,
    pub registrations: u32,
    pub elapsed_ms: u64,
}

/// A whole run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    /// `probe` or `verify-client`.
    pub command: String,
    /// The target URL (or the client command).
    pub target: String,
    pub cases: Vec<CaseResult>,
    /// Values the run really registered (200 answers to registrations).
    pub registrations: u32,
    #[serde(skip)]
    pub elapsed: Duration,
    /// What the run learnt or could not verify, in sentences.
    pub notes: Vec<String>,
}

/// Exit code: every case conforms (unspecified answers are fine).
pub const EXIT_OK: i32 = 0;
/// Exit code: at least one violation.
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code: could not run (bad flags, unreachable target, invalid URL).
pub const EXIT_ERROR: i32 = 2;

impl Report {
    /// Counts by verdict.
    pub fn summary(&self) -> Summary {
        let count = |v: Verdict| self.cases.iter().filter(|c| c.verdict == v).count();
        Summary {
            cases: self.cases.len(),
            conforms: count(Verdict::Conforms),
            violations: count(Verdict::Violation),
            unspecified: count(Verdict::Unspecified),
            errors: count(Verdict::Error),
            skipped: count(Verdict::Skipped),
            registrations: self.registrations,
            elapsed_ms: self.elapsed.as_millis() as u64,
        }
    }

    /// 1 if any violation; else 2 if any case could not be asked; else 0.
    pub fn exit_code(&self) -> i32 {
        let s = self.summary();
        if s.violations > 0 {
            EXIT_VIOLATION
        } else if s.errors > 0 {
            EXIT_ERROR
        } else {
            EXIT_OK
        }
    }

    /// Renders the report, redacting secrets once more at the end.
    pub fn render(&self, format: Format, redactor: &Redactor) -> String {
        let out = match format {
            Format::Text => self.text(),
            Format::Json => self.json(),
            Format::Junit => self.junit(),
        };
        redactor.redact(&out)
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "sleuth-contract {} -> {}", self.command, self.target);
        let width = self.cases.iter().map(|c| c.id.len()).max().unwrap_or(0).min(48);
        for c in &self.cases {
            let verdict = match c.verdict {
                Verdict::Violation => "VIOLATION".to_string(),
                Verdict::Error => "ERROR".to_string(),
                v => v.to_string(),
            };
            let received = match &c.observed {
                Some(o) => format!("{} {:?}", o.status, clip(&o.text, 60)),
                None => "no answer".to_string(),
            };
            let _ = writeln!(out, "  {verdict:<11} {:<width$}  {received}", c.id);
            if matches!(c.verdict, Verdict::Violation | Verdict::Error) {
                let _ = writeln!(out, "      expected: {}", c.expected);
                for f in &c.failures {
                    let _ = writeln!(out, "      {}: {}", f.check, f.message);
                }
                // What the message says beyond the failures (seed, shrinking, …).
                let mut rest = c.message.clone();
                for f in &c.failures {
                    rest = rest.replace(&format!("{}: {}", f.check, f.message), "");
                }
                let rest: Vec<&str> = rest.split("; ").map(str::trim).filter(|p| !p.is_empty()).collect();
                if !rest.is_empty() {
                    let _ = writeln!(out, "      note: {}", rest.join("; "));
                }
                if let Some(curl) = &c.curl {
                    let _ = writeln!(out, "      reproduce: {curl}");
                }
            }
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        // Triage: one faulty behaviour often breaks many cases; count by check.
        let mut by_check: Vec<(&str, usize)> = Vec::new();
        for f in self.cases.iter().flat_map(|c| &c.failures) {
            match by_check.iter_mut().find(|(n, _)| *n == f.check) {
                Some(e) => e.1 += 1,
                None => by_check.push((f.check, 1)),
            }
        }
        if !by_check.is_empty() {
            let parts: Vec<String> = by_check.iter().map(|(n, k)| format!("{n} x{k}")).collect();
            let _ = writeln!(out, "failures by check: {}", parts.join(", "));
        }
        let s = self.summary();
        let _ = writeln!(
            out,
            "{} cases: {} conform, {} unspecified, {} violations, {} errors{}; {} values registered; {:.2}s",
            s.cases,
            s.conforms,
            s.unspecified,
            s.violations,
            s.errors,
            if s.skipped > 0 { format!(", {} skipped (not sent)", s.skipped) } else { String::new() },
            s.registrations,
            self.elapsed.as_secs_f64()
        );
        out
    }

    fn json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            command: &'a str,
            target: &'a str,
            summary: Summary,
            cases: &'a [CaseResult],
            notes: &'a [String],
        }
        let out =
            Out { command: &self.command, target: &self.target, summary: self.summary(), cases: &self.cases, notes: &self.notes };
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
    }

    fn junit(&self) -> String {
        let s = self.summary();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"sleuth-contract\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
            s.cases,
            s.violations,
            s.errors,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            xml(&format!("{} {}", self.command, self.target)),
            s.cases,
            s.violations,
            s.errors,
            s.skipped,
            self.elapsed.as_secs_f64()
        );
        for c in &self.cases {
            let class = c.id.split('/').next().unwrap_or("case");
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3}\"",
                xml(&self.command),
                xml(class),
                xml(&c.id),
                c.elapsed_ms as f64 / 1000.0
            );
            let received =
                c.observed.as_ref().map(|o| format!("{} {:?}", o.status, o.text)).unwrap_or_else(|| "no answer".into());
            let mut body = format!("expected: {}\nreceived: {}\n", c.expected, received);
            for f in &c.failures {
                let _ = writeln!(body, "{}: {}", f.check, f.message);
            }
            if let Some(curl) = &c.curl {
                let _ = writeln!(body, "reproduce: {curl}");
            }
            match c.verdict {
                Verdict::Violation => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"violation\">{}</failure>\n    </testcase>",
                        xml(&c.message),
                        xml(&body)
                    );
                }
                Verdict::Error => {
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"{}\" type=\"error\">{}</error>\n    </testcase>",
                        xml(&c.message),
                        xml(&body)
                    );
                }
                Verdict::Unspecified => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        xml(&format!("unspecified: {}\n{body}", c.message))
                    );
                }
                Verdict::Skipped => {
                    let _ = writeln!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>", xml(&c.message));
                }
                Verdict::Conforms => {
                    let _ = writeln!(out, "/>");
                }
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// What a previous run's JSON report recorded, per case id: the status and text
/// observed, or `None` when it got no answer (or was skipped).
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    answers: std::collections::HashMap<String, Option<(u16, String)>>,
}

impl Baseline {
    /// Reads a report written by `--format json`.
    pub fn load(path: &std::path::Path) -> Result<Baseline, String> {
        let err = |why: String| format!("cannot use {} as a baseline: {why}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(format!("not a JSON report ({e})")))?;
        let cases = v
            .get("cases")
            .and_then(|c| c.as_array())
            .ok_or_else(|| err("no \"cases\" array (write it with --format json)".into()))?;
        let mut answers = std::collections::HashMap::new();
        for c in cases {
            let Some(id) = c.get("id").and_then(|i| i.as_str()) else { continue };
            if c.get("verdict").and_then(|v| v.as_str()) == Some("skipped") {
                continue;
            }
            let observed = c
                .get("observed")
                .filter(|o| !o.is_null())
                .and_then(|o| Some((u16::try_from(o.get("status")?.as_u64()?).ok()?, o.get("text")?.as_str()?.to_string())));
            answers.insert(id.to_string(), observed);
        }
        Ok(Baseline { answers })
    }

    /// How many cases the baseline holds.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether the baseline holds no case.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}

impl Report {
    /// Compares every answered case with `baseline`: a case whose status or text
    /// changed gets an `unchanged_since_baseline` failure and becomes a violation,
    /// so a CI job fails when a target's behaviour moves, even where the contract
    /// allows both answers. Cases the baseline lacks, and skipped ones, are not
    /// compared. Returns the number of changes.
    pub fn compare_with_baseline(&mut self, baseline: &Baseline) -> usize {
        let mut changed = 0;
        for c in &mut self.cases {
            if c.verdict == Verdict::Skipped {
                continue;
            }
            let Some(before) = baseline.answers.get(&c.id) else { continue };
            let now = c.observed.as_ref().map(|o| (o.status, o.text.clone()));
            if *before == now {
                continue;
            }
            let show = |a: &Option<(u16, String)>| match a {
                Some((s, t)) => format!("{s} {t:?}"),
                None => "no answer".to_string(),
            };
            let f = Failure { check: "unchanged_since_baseline", message: format!("was {}, now {}", show(before), show(&now)) };
            c.message = if c.message.is_empty() {
                format!("{}: {}", f.check, f.message)
            } else {
                format!("{}; {}: {}", c.message, f.check, f.message)
            };
            c.failures.push(f);
            c.verdict = Verdict::Violation;
            changed += 1;
        }
        self.notes.push(format!("{changed} of {} baseline cases changed their answer", baseline.len()));
        changed
    }
}

/// Checks before a run that the report can be written to `output` (creating the
/// file), so a bad path fails at once rather than after real registrations.
pub fn check_output(output: Option<&std::path::Path>) -> Result<(), String> {
    let Some(path) = output else { return Ok(()) };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(|_| ())
        .map_err(|e| format!("cannot write the report to {}: {e}", path.display()))
}

/// Writes a rendered report to `output` (a file) or to standard output.
pub fn emit(report: &Report, format: Format, output: Option<&std::path::Path>, redactor: &Redactor) -> std::io::Result<()> {
    let text = report.render(format, redactor);
    match output {
        Some(path) => std::fs::write(path, text),
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
    }
}

/// Writes the report (see [`emit`]) and returns the command's exit code: the
/// report's own, or [`EXIT_ERROR`] with a one-line message when it cannot be
/// written. A closed pipe (`… | head`) is not an error: the verdict stands.
pub fn finish(report: &Report, format: Format, output: Option<&std::path::Path>, redactor: &Redactor) -> i32 {
    match emit(report, format, output, redactor) {
        Ok(()) => report.exit_code(),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => report.exit_code(),
        Err(e) => {
            let place = output.map(|p| p.display().to_string()).unwrap_or_else(|| "standard output".into());
            eprintln!("error: cannot write the report to {place}: {e}");
            EXIT_ERROR
        }
    }
}

/// Escapes text for XML, dropping characters XML 1.0 cannot carry at all
/// (a target's garbage bytes must not make the report unreadable).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            command: "probe".into(),
            target: "http://127.0.0.1:1".into(),
            cases: vec![
                CaseResult {
                    id: "value/nan-token".into(),
                    verdict: Verdict::Violation,
                    row: Some(Row::ValueNonFinite),
                    expected: "400 \"Bad Request - impact value must be a number\"".into(),
                    observed: Some(Observed { status: 200, text: "Success <secret-key>\u{1}".into(), headers: vec![] }),
                    message: "status_code_conformance: received 200".into(),
                    failures: vec![Failure {
                        check: "status_code_conformance",
                        message: "received 200 \"Success\"; allowed: 400".into(),
                    }],
                    curl: Some("curl -H 'Authorization: apikey secret-key'".into()),
                    elapsed_ms: 3,
                },
                CaseResult {
                    id: "valid/header-key".into(),
                    verdict: Verdict::Conforms,
                    row: Some(Row::KeyValid),
                    expected: "200 \"Success\"".into(),
                    observed: Some(Observed { status: 200, text: "Success".into(), headers: vec![] }),
                    message: String::new(),
                    failures: vec![],
                    curl: None,
                    elapsed_ms: 1,
                },
            ],
            registrations: 1,
            elapsed: Duration::from_millis(1500),
            notes: vec![],
        }
    }

    #[test]
    fn no_format_prints_the_key() {
        let r = report();
        let redactor = Redactor::new(["secret-key"]);
        for f in [Format::Text, Format::Json, Format::Junit] {
            let out = r.render(f, &redactor);
            assert!(!out.contains("secret-key"), "{f:?} leaked the key:\n{out}");
            assert!(out.contains("$SLEUTH_API_KEY"), "{f:?}");
        }
    }

    #[test]
    fn junit_escapes_markup_and_drops_control_characters() {
        let out = report().render(Format::Junit, &Redactor::default());
        assert!(out.contains("Success &lt;secret-key&gt;"), "{out}");
        assert!(!out.contains('\u{1}'), "raw control character in XML");
        assert_eq!(xml("a\u{1}b<\n"), "a\u{FFFD}b&lt;\n");
        assert!(out.contains("<failure message="));
        assert!(out.contains("tests=\"2\" failures=\"1\" errors=\"0\""));
    }

    #[test]
    fn json_has_the_documented_summary_and_case_fields() {
        let v: serde_json::Value = serde_json::from_str(&report().render(Format::Json, &Redactor::default())).unwrap();
        for k in ["cases", "conforms", "violations", "unspecified", "errors", "registrations", "elapsed_ms"] {
            assert!(v["summary"].get(k).is_some(), "summary.{k}");
        }
        let c = &v["cases"][0];
        assert_eq!(c["verdict"], "violation");
        for k in ["id", "expected", "observed", "message"] {
            assert!(c.get(k).is_some(), "case.{k}");
        }
        assert_eq!(c["observed"]["status"], 200);
        assert!(c["observed"].get("headers").is_some());
    }

    #[test]
    fn the_exit_code_prefers_violations_over_errors() {
        let mut r = report();
        assert_eq!(r.exit_code(), EXIT_VIOLATION);
        r.cases[0].verdict = Verdict::Error;
        assert_eq!(r.exit_code(), EXIT_ERROR);
        r.cases[0].verdict = Verdict::Unspecified;
        assert_eq!(r.exit_code(), EXIT_OK);
    }
}
