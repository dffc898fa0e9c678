//! A student's own names and contents: `--student ID` seeds them, so that another student's
//! answer does not pass a check.

use sha2::{Digest as _, Sha256};

/// Words the exercises are made of (the same in both languages).
const WORDS: &[&str] = &[
    "luna", "sol", "rio", "mar", "nube", "roca", "pino", "lago", "faro", "vela", "cielo", "bosque",
    "isla", "valle", "cima", "duna",
];

/// What one student's exercises are about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// The ID given (`""` without `--student`).
    pub id: String,
    /// A word of their own (`luna`).
    pub word: String,
    /// A number of their own, 10–99.
    pub number: u32,
}

impl Student {
    /// The student of an ID: the same ID always gives the same word and number.
    pub fn new(id: &str) -> Student {
        let hash = Sha256::digest(format!("capas-student:{id}").as_bytes());
        let word = WORDS[usize::from(hash[0]) % WORDS.len()].to_string();
        let number = 10 + u32::from(hash[1]) % 90;
        Student {
            id: id.to_string(),
            word,
            number,
        }
    }

    /// The arguments every message may use: `{ $word }`, `{ $number }`.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        vec![
            ("word", self.word.clone()),
            ("number", self.number.to_string()),
        ]
    }
}
