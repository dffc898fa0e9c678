//! Grading: the labs' own checks, run over a student's capas store, one student or a class.

use std::io::Write;
use std::path::Path;

use capas_core::store::Store;
use capas_labs::lab::{self, Outcome, Student};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

/// One exercise's grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grade {
    /// The student ID.
    pub student: String,
    /// `lab01`.
    pub lab: String,
    /// The exercise number.
    pub exercise: u8,
    /// Whether its check passes.
    pub passed: bool,
    /// Why not (the message ID the lab prints).
    pub why: Option<String>,
}

/// Grades every lab's exercises in one store.
pub fn grade_store(store_dir: &Path, student_id: &str) -> anyhow::Result<Vec<Grade>> {
    let store = Store::open(store_dir)?;
    let student = Student::new(student_id);
    let mut grades = Vec::new();
    for l in lab::all() {
        for (n, outcome) in lab::check(&l, &store, &student)? {
            grades.push(Grade {
                student: student_id.to_string(),
                lab: l.name(),
                exercise: n,
                passed: outcome == Outcome::Passed,
                why: match outcome {
                    Outcome::Passed => None,
                    Outcome::Failed(id, _) => Some(id.to_string()),
                },
            });
        }
    }
    Ok(grades)
}

/// The score per lab: `lab01 2/2`.
pub fn print_scores(grades: &[Grade], out: &mut dyn Write) -> std::io::Result<()> {
    let mut students: Vec<&str> = grades.iter().map(|g| g.student.as_str()).collect();
    students.dedup();
    for s in students {
        let mine: Vec<&Grade> = grades.iter().filter(|g| g.student == s).collect();
        let passed = mine.iter().filter(|g| g.passed).count();
        writeln!(out, "{}: {passed}/{} exercises", display(s), mine.len())?;
        let mut labs: Vec<&str> = mine.iter().map(|g| g.lab.as_str()).collect();
        labs.dedup();
        for l in labs {
            let of_lab: Vec<&&Grade> = mine.iter().filter(|g| g.lab == l).collect();
            let marks: Vec<String> = of_lab
                .iter()
                .map(|g| format!("{}{}", g.exercise, if g.passed { "✔" } else { "✘" }))
                .collect();
            writeln!(
                out,
                "  {l}  {}/{}  {}",
                of_lab.iter().filter(|g| g.passed).count(),
                of_lab.len(),
                marks.join(" ")
            )?;
        }
    }
    Ok(())
}

fn display(student: &str) -> &str {
    if student.is_empty() {
        "(no --student)"
    } else {
        student
    }
}

/// CSV: `student,lab,exercise,passed,why`.
pub fn csv(grades: &[Grade]) -> String {
    let mut out = String::from("student,lab,exercise,passed,why\n");
    for g in grades {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            g.student,
            g.lab,
            g.exercise,
            g.passed,
            g.why.as_deref().unwrap_or("")
        ));
    }
    out
}

/// JUnit: a suite per student, a case per exercise.
pub fn junit(grades: &[Grade]) -> Report {
    let mut report = Report::new("capas labs");
    let mut students: Vec<&str> = grades.iter().map(|g| g.student.as_str()).collect();
    students.dedup();
    for s in students {
        let mut suite = TestSuite::new(display(s));
        for g in grades.iter().filter(|g| g.student == s) {
            let status = if g.passed {
                TestCaseStatus::success()
            } else {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(g.why.clone().unwrap_or_default());
                st
            };
            suite.add_test_case(TestCase::new(
                format!("{} exercise {}", g.lab, g.exercise),
                status,
            ));
        }
        report.add_test_suite(suite);
    }
    report
}
