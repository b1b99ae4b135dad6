//! The differential test of issue 3: the same document tree and the same raw requests sent to
//! Apache httpd 2.4 (Debian's `apache2`, started by hand with a generated config) and to mpmd;
//! statuses and the meaningful headers must agree. A second test, `apache_and_mpmd_negotiate_
//! alike` (issue 7), does the same for content negotiation (MultiViews, type maps) with the
//! scenario and cases of `differential/cases_neg.rs` over the tree of
//! `differential/tree_neg.rs`.
//!
//! Its own test binary, so it runs alone: `cargo test --test differential`. With
//! `DIFF_REPORT_ONLY=1` it prints the disagreements (and writes them to
//! `target/tmp/differential-report.txt`) without failing; `DIFF_ONLY=text` runs only the cases
//! whose name contains `text`; `DIFF_DUMP=1` appends both configs and every reply in full to
//! `target/tmp/differential-dump.txt`. When `apache2` is not installed it
//! fails with a message saying how to install it; it never skips.
//!
//! Layout: `differential/config.rs` renders one scenario as both servers' configs,
//! `differential/tree.rs` builds the tree, `differential/cases*.rs` are the scenarios and the
//! case table,
//! `differential/exchange.rs` sends a case and records what came back,
//! `differential/compare.rs` compares and tabulates, `differential/apache.rs` runs Apache.

// Shared with tests/tests.rs; this binary uses only part of it.
#[allow(dead_code, unused_imports)]
mod common;

#[path = "differential/apache.rs"]
mod apache;
#[path = "differential/cases.rs"]
mod cases;
#[path = "differential/cases_files.rs"]
mod cases_files;
#[path = "differential/cases_neg.rs"]
mod cases_neg;
#[path = "differential/cases_protocol.rs"]
mod cases_protocol;
#[path = "differential/cases_tree.rs"]
mod cases_tree;
#[path = "differential/compare.rs"]
mod compare;
#[path = "differential/config.rs"]
mod config;
#[path = "differential/exchange.rs"]
mod exchange;
#[path = "differential/tree.rs"]
mod tree;
#[path = "differential/tree_neg.rs"]
mod tree_neg;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::{self, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use apache::ApacheGuard;
use cases::Case;
use common::{ServerGuard, TestConfig};
use compare::{Disagreement, compare, table};
use config::Scenario;
use exchange::{Observed, Reply};
use tree::Tree;

/// At least this many cases (issue 3's bar).
const MIN_CASES: usize = 60;
/// At least this many negotiation cases (issue 7's bar).
const MIN_NEGOTIATION_CASES: usize = 40;

/// What one scenario produced.
#[derive(Default)]
struct Outcome {
    cases: usize,
    disagreements: Vec<Disagreement>,
    /// Disagreements the case table expects, with the reason.
    expected: Vec<(Disagreement, &'static str)>,
    /// Expected differences that did not occur.
    unneeded: Vec<String>,
    /// One line per case with any difference: (case, Apache's answer, mpmd's answer).
    overview: Vec<(String, String, String)>,
    /// mpmd could not be started with this scenario's config: why, and Apache's answers.
    not_run: Option<(String, Vec<String>)>,
}

#[test]
fn apache_and_mpmd_agree() {
    let started = Instant::now();
    let report_only = std::env::var("DIFF_REPORT_ONLY").is_ok_and(|v| !v.is_empty() && v != "0");
    // Fails loudly (never skips) when apache2 is missing.
    let _ = apache::binary();
    let _ = apache::module_dir();

    let mut outcomes = Vec::new();
    for scenario in cases::scenarios() {
        let outcome = run_scenario(&scenario, cases::all);
        outcomes.push((scenario.name, outcome));
    }

    let total: usize = outcomes.iter().map(|(_, o)| o.cases).sum();
    let report = report(&outcomes, started.elapsed().as_secs_f64());
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-report.txt");
    let _ = fs::write(&path, &report);
    eprintln!("{report}\n(report written to {})", path.display());

    assert!(
        total >= MIN_CASES || only_filter().is_some(),
        "only {total} cases; issue 3 asks for at least {MIN_CASES}"
    );
    if report_only {
        return;
    }
    let failing = outcomes
        .iter()
        .any(|(_, o)| !o.disagreements.is_empty() || o.not_run.is_some());
    assert!(!failing, "Apache and mpmd disagree:\n{report}");
}

/// Issue 7: MultiViews and type maps, the same variant chosen by both servers. Report in
/// `target/tmp/differential-negotiation-report.txt`; the same `DIFF_*` switches.
#[test]
fn apache_and_mpmd_negotiate_alike() {
    let started = Instant::now();
    let report_only = std::env::var("DIFF_REPORT_ONLY").is_ok_and(|v| !v.is_empty() && v != "0");
    let _ = apache::binary();
    let _ = apache::module_dir();

    let mut outcomes = Vec::new();
    for scenario in cases_neg::scenarios() {
        let outcome = run_scenario(&scenario, cases_neg::cases);
        outcomes.push((scenario.name, outcome));
    }
    let total: usize = outcomes.iter().map(|(_, o)| o.cases).sum();
    let report = report(&outcomes, started.elapsed().as_secs_f64());
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("differential-negotiation-report.txt");
    let _ = fs::write(&path, &report);
    eprintln!("{report}\n(report written to {})", path.display());

    assert!(
        total >= MIN_NEGOTIATION_CASES || only_filter().is_some(),
        "only {total} cases; issue 7 asks for at least {MIN_NEGOTIATION_CASES}"
    );
    if report_only {
        return;
    }
    let mut failing = false;
    for (name, outcome) in &outcomes {
        match &outcome.not_run {
            Some((why, _)) => {
                eprintln!("scenario {name}: did not run: {why}");
                failing = true;
            }
            None => failing |= !outcome.disagreements.is_empty(),
        }
    }
    assert!(!failing, "Apache and mpmd negotiate differently:\n{report}");
}

/// Builds the tree, starts both servers with `scenario`, runs its cases (those of
/// `table(tree)` that belong to it).
fn run_scenario(scenario: &Scenario, table: impl Fn(&Tree) -> Vec<Case>) -> Outcome {
    let mut mpmd = ServerGuard::prepare(&TestConfig::default());
    // Both servers' children may run as www-data: everything on the way must be traversable.
    fs::set_permissions(mpmd.dir(), Permissions::from_mode(0o755)).expect("chmod temp dir");
    let tree = Tree::build(&mpmd.docroot());
    let only = only_filter();
    let cases: Vec<Case> = table(&tree)
        .into_iter()
        .filter(|c| c.scenario == scenario.name)
        .filter(|c| {
            only.as_ref()
                .is_none_or(|o| c.name.to_lowercase().contains(o.as_str()))
        })
        .collect();
    check_names(&cases);

    mpmd.write_config(&mpmd.render(&config::mpmd_conf(scenario, &tree.docroot)));
    dump_text(scenario.name, "mpmd.toml", &mpmd.config_text());
    let check = mpmd.mpmd(&["-t"]);
    let mpmd_error = if check.code() == Some(0) {
        mpmd.spawn_foreground();
        mpmd.wait_ready();
        None
    } else {
        Some(check.all().trim().to_string())
    };
    let apache = ApacheGuard::start(&mpmd.dir().join("apache"), |run, port| {
        config::apache_conf(scenario, &tree.docroot, run, port)
    });
    dump_text(
        scenario.name,
        "httpd.conf",
        &fs::read_to_string(mpmd.dir().join("apache/httpd.conf")).unwrap_or_default(),
    );

    let mut outcome = Outcome {
        cases: cases.len(),
        ..Outcome::default()
    };
    let mut apache_only = Vec::new();
    for case in &cases {
        let a = exchange::run(apache.port(), &case.script);
        dump(scenario.name, case.name, "apache", &a);
        if mpmd_error.is_some() {
            apache_only.push(format!("{}: {}", case.name, summary(&a)));
            continue;
        }
        let m = exchange::run(mpmd.port(), &case.script);
        dump(scenario.name, case.name, "mpmd", &m);
        let diffs = compare(
            case.name,
            &case.checks,
            &a,
            &m,
            (apache.port(), mpmd.port()),
        );
        if !diffs.is_empty() {
            outcome
                .overview
                .push((case.name.to_string(), summary(&a), summary(&m)));
        }
        let mut seen = BTreeSet::new();
        for d in diffs {
            let bare = match d.field.split_once(' ') {
                Some((n, rest)) if n.starts_with('#') => rest,
                _ => d.field.as_str(),
            };
            match case
                .expected
                .iter()
                .find(|(f, _)| *f == d.field || *f == bare)
            {
                Some((field, reason)) => {
                    seen.insert(*field);
                    outcome.expected.push((d, reason));
                }
                None => outcome.disagreements.push(d),
            }
        }
        for (field, _) in &case.expected {
            if !seen.contains(field) {
                outcome.unneeded.push(format!("{}: {field}", case.name));
            }
        }
    }
    if let Some(why) = mpmd_error {
        outcome.not_run = Some((why, apache_only));
    }
    outcome
}

/// `DIFF_DUMP=1`: append every reply, in full, to `target/tmp/differential-dump.txt`.
fn dump(scenario: &str, case: &str, server: &str, o: &Observed) {
    dump_text(scenario, &format!("{case} / {server}"), &format!("{o:#?}"));
}

/// `DIFF_DUMP=1`: append `text` under a `==== scenario / what` heading to the dump file.
fn dump_text(scenario: &str, what: &str, text: &str) {
    use std::io::Write as _;
    if std::env::var("DIFF_DUMP").is_ok_and(|v| !v.is_empty() && v != "0") {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-dump.txt");
        if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "==== {scenario} / {what}\n{text}");
        }
    }
}

/// `DIFF_ONLY=text`: run only the cases whose name contains `text` (case-insensitive).
fn only_filter() -> Option<String> {
    std::env::var("DIFF_ONLY")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| v.to_lowercase())
}

/// Case names are the table's keys: unique within a scenario.
fn check_names(cases: &[Case]) {
    let mut names = BTreeSet::new();
    for case in cases {
        assert!(
            names.insert(case.name),
            "duplicate case name {:?}",
            case.name
        );
    }
}

/// One line for what a server did: statuses, or how it failed.
fn summary(o: &Observed) -> String {
    let mut parts: Vec<String> = o
        .replies
        .iter()
        .map(|r| match r {
            Reply::Http { interim, response } => {
                let ct = response.header("content-type").unwrap_or("-");
                let mut s = format!("{} ({ct})", response.status);
                // What negotiation decided, when it did.
                for name in [
                    "Content-Language",
                    "Content-Encoding",
                    "Content-Location",
                    "Vary",
                    "TCN",
                ] {
                    if let Some(value) = response.header(name) {
                        s.push_str(&format!(" {name}: {value};"));
                    }
                }
                if !interim.is_empty() {
                    s = format!("{interim:?} then {s}");
                }
                s
            }
            Reply::Raw(bytes) => format!("raw {} bytes", bytes.len()),
        })
        .collect();
    if let Some(f) = &o.failure {
        parts.push(f.clone());
    }
    if let Some(after) = o.after {
        parts.push(format!("then {after}"));
    }
    parts.join(", ")
}

fn report(outcomes: &[(&str, Outcome)], secs: f64) -> String {
    let mut r = String::new();
    let total: usize = outcomes.iter().map(|(_, o)| o.cases).sum();
    let per: Vec<String> = outcomes
        .iter()
        .map(|(name, o)| format!("{name} {}", o.cases))
        .collect();
    let _ = writeln!(
        r,
        "differential test: {total} cases ({}) in {secs:.1} s",
        per.join(", ")
    );
    for (name, o) in outcomes {
        let differing: BTreeSet<&str> = o.disagreements.iter().map(|d| d.case.as_str()).collect();
        if let Some((why, apache_only)) = &o.not_run {
            let _ = writeln!(
                r,
                "\n== scenario {name}: mpmd did not start, its {} cases ran on Apache only:\n{why}\n\
                 -- Apache's answers (what mpmd must match):",
                o.cases
            );
            for line in apache_only {
                let _ = writeln!(r, "   {line}");
            }
            continue;
        }
        let _ = writeln!(
            r,
            "\n== scenario {name}: {} of {} cases agree; {} disagreement(s)",
            o.cases - differing.len(),
            o.cases,
            o.disagreements.len()
        );
        if !o.disagreements.is_empty() {
            r.push_str(&table(&o.disagreements));
        }
        if !o.expected.is_empty() {
            let _ = writeln!(r, "-- expected (documented) differences:");
            for (d, reason) in &o.expected {
                let _ = writeln!(
                    r,
                    "   {} / {}: apache {:?}, mpmd {:?} -- {reason}",
                    d.case, d.field, d.apache, d.mpmd
                );
            }
        }
        if !o.overview.is_empty() {
            let _ = writeln!(r, "-- cases with differences (apache | mpmd):");
            for (case, a, m) in &o.overview {
                let _ = writeln!(r, "   {case}: {a} | {m}");
            }
        }
        for u in &o.unneeded {
            let _ = writeln!(r, "-- note: expected difference did not occur: {u}");
        }
    }
    r
}
