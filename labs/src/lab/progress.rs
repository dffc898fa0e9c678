//! Progress through the labs, kept in the store (`labs/progress.json`), written whole to a
//! temporary file and renamed, so a crash never leaves it half-written.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use anyhow::Context as _;
use capas_core::store::Store;
use serde::{Deserialize, Serialize};

/// Every lab's progress.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// By lab name (`lab01`).
    pub labs: BTreeMap<String, LabProgress>,
}

/// One lab's progress.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LabProgress {
    /// The walk-through was read to the end.
    pub walked: bool,
    /// Exercises whose check passed.
    pub passed: BTreeSet<String>,
    /// Checks run, by exercise.
    pub attempts: BTreeMap<String, u32>,
    /// Hints given, by exercise.
    pub hints: BTreeMap<String, u8>,
}

impl Progress {
    fn path(store: &Store) -> std::path::PathBuf {
        store.layout().labs().join("progress.json")
    }

    /// Reads the progress (empty when there is none yet).
    pub fn load(store: &Store) -> anyhow::Result<Progress> {
        let path = Self::path(store);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the progress.
    pub fn save(&self, store: &Store) -> anyhow::Result<()> {
        let path = Self::path(store);
        let dir = path.parent().context("progress path")?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer_pretty(&mut tmp, self)?;
        tmp.persist(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// One lab's entry, created if missing.
    pub fn lab(&mut self, name: &str) -> &mut LabProgress {
        self.labs.entry(name.to_string()).or_default()
    }
}
