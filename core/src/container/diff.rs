//! `docker diff`: what a container changed compared with its image, as `A` (added),
//! `C` (changed) and `D` (deleted) lines.
//!
//! Only the read/write layer can differ from the image, so only the directories it touches
//! are compared; the comparison itself is Docker's (`go-archive/changes.go`).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::os::unix::fs::MetadataExt;

use serde::Serialize;

use super::{Container, Result, container_path, refs};
use crate::union::{Entry, UnionView};

/// What changed, as `docker diff` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ChangeKind {
    /// `C`: in both the image and the container, with a different mode, owner, size or
    /// mtime, or a directory that contains a change.
    Modified,
    /// `A`: only in the container.
    Added,
    /// `D`: only in the image.
    Deleted,
}

impl ChangeKind {
    /// The letter `docker diff` prints.
    pub fn letter(self) -> char {
        match self {
            ChangeKind::Modified => 'C',
            ChangeKind::Added => 'A',
            ChangeKind::Deleted => 'D',
        }
    }

    /// The number in Docker's API (`Kind`: 0 modified, 1 added, 2 deleted).
    pub fn api_kind(self) -> u8 {
        match self {
            ChangeKind::Modified => 0,
            ChangeKind::Added => 1,
            ChangeKind::Deleted => 2,
        }
    }
}

/// One line of `docker diff`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Change {
    /// A, C or D.
    pub kind: ChangeKind,
    /// The path in the container.
    pub path: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.letter(), self.path)
    }
}

/// Docker's `statDifferent` (`go-archive/changes_unix.go`): mode (type included), owner and
/// device number, and for anything but a directory the size and the mtime. A directory's
/// size and mtime change whenever a child does and are not a good measure of change.
fn stat_different(old: &fs::Metadata, new: &fs::Metadata) -> bool {
    if old.mode() != new.mode()
        || old.uid() != new.uid()
        || old.gid() != new.gid()
        || old.rdev() != new.rdev()
    {
        return true;
    }
    if old.is_dir() {
        return false;
    }
    // Same second, and the same nanoseconds unless one side has none (a file system or a
    // tar that keeps whole seconds only): Docker's sameFsTimeSpec.
    let same_time = old.mtime() == new.mtime()
        && (old.mtime_nsec() == new.mtime_nsec() || old.mtime_nsec() == 0 || new.mtime_nsec() == 0);
    !same_time || old.len() != new.len()
}

impl Container {
    /// What changed compared with the image (`docker diff`), following Docker's algorithm
    /// (`go-archive/changes.go`, `ChangesDirs` + `addChanges`) on the two merged trees:
    ///
    /// * only in the container → `A`, and every descendant of a new directory too;
    /// * only in the image → `D`; a deleted directory is listed once, not its children;
    /// * in both with a different mode, owner, or (not for directories) size or mtime → `C`;
    /// * a directory with any change inside is `C`, unless it is itself `A`.
    ///
    /// So a directory deleted and made again (`rm -r d; mkdir d`) is `C /d` with `D` for each
    /// old child and `A` for each new one. Docker's line order is random; capas sorts by path,
    /// a parent just before its children.
    ///
    /// Only directories the read/write layer touches are read: elsewhere both trees are the
    /// same layers, so nothing can differ.
    pub fn diff(&self) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        let Some(new_root) = self.view.root_entry()? else {
            return Ok(changes);
        };
        let old_root = self.image_view.root_entry()?;
        let mut names = Vec::new();
        self.add_changes(
            &mut names,
            &new_root,
            old_root.as_ref(),
            false,
            &mut changes,
        )?;
        changes.sort_by(|a, b| {
            let a: Vec<&str> = a.path.split('/').collect();
            let b: Vec<&str> = b.path.split('/').collect();
            a.cmp(&b)
        });
        Ok(changes)
    }

    /// Docker's `addChanges`: compares `new` (the container's entry) with `old` (the image's,
    /// if any) and their children, appending to `changes`.
    fn add_changes(
        &self,
        names: &mut Vec<String>,
        new: &Entry,
        old: Option<&Entry>,
        mut added: bool,
        changes: &mut Vec<Change>,
    ) -> Result<()> {
        let at_entry = changes.len();
        let path = container_path(names);
        let is_root = names.is_empty();
        if old.is_none() && !is_root {
            changes.push(Change {
                kind: ChangeKind::Added,
                path: path.clone(),
            });
            added = true;
        }
        let new_is_dir = new.metadata.is_dir();
        let new_children = if new_is_dir {
            self.view.list_entry(&refs(names), new)?
        } else {
            Vec::new()
        };
        // Old children count only when the new entry is a directory: a directory replaced by
        // a file is one `C`, its old children are not listed.
        let mut old_children: BTreeMap<String, Entry> = match old {
            Some(old) if new_is_dir && old.metadata.is_dir() => self
                .image_view
                .list_entry(&refs(names), old)?
                .into_iter()
                .map(|e| (e.name.clone(), e))
                .collect(),
            _ => BTreeMap::new(),
        };
        let upper = self.upper_index();
        for child in new_children {
            let old_child = old_children.remove(&child.name);
            names.push(child.name.clone());
            let mut child_added = false;
            if let Some(old_child) = &old_child
                && stat_different(&old_child.metadata, &child.metadata)
            {
                changes.push(Change {
                    kind: ChangeKind::Modified,
                    path: container_path(names),
                });
                child_added = true;
            }
            // An entry the read/write layer does not touch is the same in both trees.
            let untouched = old_child.is_some() && !UnionView::entry_uses_layer(&child, upper);
            if !untouched {
                self.add_changes(names, &child, old_child.as_ref(), child_added, changes)?;
            }
            names.pop();
        }
        for name in old_children.into_keys() {
            names.push(name);
            changes.push(Change {
                kind: ChangeKind::Deleted,
                path: container_path(names),
            });
            names.pop();
        }
        // A directory with changes inside is itself listed as changed, just before them.
        if changes.len() > at_entry && new_is_dir && !added && !is_root {
            changes.insert(
                at_entry,
                Change {
                    kind: ChangeKind::Modified,
                    path,
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::super::{set_mtime_on, time_of};
    use super::*;

    #[test]
    fn stat_difference_ignores_directory_times() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir(&a).expect("a");
        fs::create_dir(&b).expect("b");
        set_mtime_on(&a, time_of(1)).expect("mtime");
        let meta = |p: &Path| fs::symlink_metadata(p).expect("stat");
        assert!(!stat_different(&meta(&a), &meta(&b)));
        fs::write(tmp.path().join("f"), "x").expect("f");
        fs::write(tmp.path().join("g"), "x").expect("g");
        set_mtime_on(&tmp.path().join("f"), time_of(1)).expect("mtime");
        assert!(stat_different(
            &meta(&tmp.path().join("f")),
            &meta(&tmp.path().join("g"))
        ));
    }
}
