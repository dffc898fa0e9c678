//! Reports: the side-by-side table, JSON, and JUnit for CI.

use std::io::Write;

use capas_labs::format::Table;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::facts::Fact;

/// A value on one line, cut for the table (the whole value is in the JSON and JUnit).
fn cell(value: &str) -> String {
    let one = value.replace('\n', " ⏎ ");
    let cut: String = one.chars().take(48).collect();
    if cut.chars().count() < one.chars().count() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The side-by-side table, then every difference in full.
pub fn table(facts: &[Fact], out: &mut dyn Write) -> std::io::Result<()> {
    let mut t = Table::new(&["SCENARIO", "FACT", "CAPAS", "DOCKER", "SAME?"]);
    for f in facts {
        t.row(vec![
            f.scenario.clone(),
            f.name.clone(),
            cell(&f.capas),
            cell(&f.docker),
            if f.same() { "yes".into() } else { "NO".into() },
        ]);
    }
    write!(out, "{}", t.render())?;
    let different: Vec<&Fact> = facts.iter().filter(|f| !f.same()).collect();
    for f in &different {
        writeln!(
            out,
            "\n{} / {}:\n  capas:  {}\n  docker: {}",
            f.scenario,
            f.name,
            f.capas.replace('\n', "\n          "),
            f.docker.replace('\n', "\n          ")
        )?;
    }
    writeln!(
        out,
        "\n{} facts, {} the same, {} different",
        facts.len(),
        facts.len() - different.len(),
        different.len()
    )
}

/// A JUnit report: one suite per scenario, one case per fact; a scenario that could not be
/// run (`errors`: scenario, why) is a suite with one errored case.
pub fn junit(name: &str, facts: &[Fact], errors: &[(String, String)]) -> Report {
    let mut report = Report::new(name);
    let mut scenarios: Vec<&str> = facts.iter().map(|f| f.scenario.as_str()).collect();
    scenarios.dedup();
    for s in scenarios {
        let mut suite = TestSuite::new(s);
        for f in facts.iter().filter(|f| f.scenario == s) {
            let status = if f.same() {
                TestCaseStatus::success()
            } else {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(format!("capas: {} | docker: {}", f.capas, f.docker));
                st
            };
            suite.add_test_case(TestCase::new(f.name.clone(), status));
        }
        report.add_test_suite(suite);
    }
    for (scenario, why) in errors {
        let mut suite = TestSuite::new(scenario.as_str());
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(why.clone());
        suite.add_test_case(TestCase::new("run", status));
        report.add_test_suite(suite);
    }
    report
}
