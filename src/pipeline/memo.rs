//! What the last run of a warehouse saw of its inbox, kept in `<warehouse>/cache/inbox.state`:
//! each file's [`Stamp`] with the submission id (SHA-256) of its bytes, a fingerprint of the
//! whole listing, and what was published from exactly that listing. It lets a nightly run
//!
//! 1. take an unchanged file's parse from the cache by its known id, without reading the file
//!    again ([`Memo::known_id`]);
//! 2. skip the whole run when nothing changed: the same listing (every entry's path, stamp and
//!    problem), configuration and program, and `current` still the snapshot published from
//!    them ([`Memo::unchanged_since`]);
//! 3. skip everything after the read when the files read are what was published from, though
//!    their stamps changed (copied back with their times kept, restored, chmod-ed): the same
//!    paths, bytes, modification times and problems ([`inputs_fingerprint`],
//!    [`Memo::same_inputs_since`]).
//!
//! Only settled stamps are trusted (see [`Stamp::settled`]); a file written in the second
//! before the listing is read again next time. The state is checksummed like a cache entry; a
//! damaged or foreign state is ignored (the run reads everything), never trusted.

use super::cache::{seal, unseal_bytes};
use super::summary::Summary;
use crate::ingest::{InboxFile, Stamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file inside the cache folder.
pub const STATE_FILE: &str = "inbox.state";

/// What was published from a listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedFrom {
    /// The run that read the inbox.
    pub run_id: String,
    /// The snapshot `current` pointed at after that run.
    pub snapshot: String,
    pub summary: Summary,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Program, source and configuration the state was made with.
    salt: String,
    /// The fingerprint of the whole listing ([`listing_fingerprint`]).
    listing: String,
    /// Whether every entry's stamp was settled when listed (else no run is ever skipped on it).
    settled: bool,
    /// Per relative path: its settled stamp and the id of its bytes.
    files: HashMap<String, (Stamp, String)>,
    /// The fingerprint of what the run read ([`inputs_fingerprint`]).
    inputs: String,
    published: Option<PublishedFrom>,
}

/// The state of the last run, and the listing of this one.
pub struct Memo {
    path: PathBuf,
    salt: String,
    previous: State,
    /// This run's listing fingerprint, and whether all its stamps are settled.
    listing: String,
    settled: bool,
}

impl Memo {
    /// Reads the last state in `cache_dir` (none, damaged or made by another program or
    /// configuration: an empty one) and fingerprints this run's listing, taken at `listed_at_ns`.
    pub fn open(
        cache_dir: &Path,
        salt: &str,
        inbox: &Path,
        found: &[InboxFile],
        listed_at_ns: i64,
    ) -> Memo {
        let path = cache_dir.join(STATE_FILE);
        let previous = std::fs::read(&path)
            .ok()
            .and_then(|bytes| {
                let payload = unseal_bytes(&bytes).ok()?;
                postcard::from_bytes::<State>(payload).ok()
            })
            .filter(|state| state.salt == salt)
            .unwrap_or_default();
        Memo {
            path,
            salt: salt.to_string(),
            previous,
            listing: listing_fingerprint(salt, inbox, found),
            settled: found
                .iter()
                .all(|file| file.problem.is_some() || file.stamp.settled(listed_at_ns)),
        }
    }

    /// The program, source and configuration this state is made with.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// Whether the last run published (or found current identical to) what it read.
    pub fn remembers_a_publish(&self) -> bool {
        self.previous.published.is_some()
    }

    /// The submission id of `file`'s bytes when its stamp is the settled one seen last time.
    pub fn known_id(&self, file: &InboxFile) -> Option<&str> {
        if file.problem.is_some() {
            return None;
        }
        let (stamp, id) = self.previous.files.get(&file.relative)?;
        (*stamp == file.stamp).then_some(id.as_str())
    }

    /// What the last run published, when this run's listing, configuration and program are the
    /// ones it was published from, every stamp of it was settled, and `current` is still
    /// `current` (the caller checks that the snapshot is intact).
    pub fn unchanged_since(&self, current: Option<&str>) -> Option<&PublishedFrom> {
        let published = self.previous.published.as_ref()?;
        (self.previous.settled
            && self.settled
            && self.previous.listing == self.listing
            && current == Some(published.snapshot.as_str()))
        .then_some(published)
    }

    /// What the last run published, when this run read the same inputs ([`inputs_fingerprint`]
    /// under the same configuration and program) and `current` is still `current` (the caller
    /// checks that the snapshot is intact). The listing may differ: stamps that changed while
    /// the bytes and modification times did not.
    pub fn same_inputs_since(&self, inputs: &str, current: Option<&str>) -> Option<&PublishedFrom> {
        let published = self.previous.published.as_ref()?;
        (self.previous.inputs == inputs && current == Some(published.snapshot.as_str()))
            .then_some(published)
    }

    /// Records this run: the settled stamps and ids of the files read (`found` and `ids` in
    /// the same order), the fingerprint of what it read, and what was published from them, if
    /// anything. Best effort: a state that cannot be written only costs time next run.
    pub fn record(
        &self,
        found: &[InboxFile],
        ids: &[&str],
        inputs: &str,
        listed_at_ns: i64,
        published: Option<PublishedFrom>,
    ) {
        let files = found
            .iter()
            .zip(ids)
            // A file that could not be read has its path's hash for an id: read it again.
            .filter(|(file, id)| {
                file.problem.is_none()
                    && file.stamp.settled(listed_at_ns)
                    && **id != super::path_id(&file.relative)
            })
            .map(|(file, id)| (file.relative.clone(), (file.stamp, id.to_string())))
            .collect();
        let state = State {
            salt: self.salt.clone(),
            listing: self.listing.clone(),
            settled: self.settled,
            files,
            inputs: inputs.to_string(),
            published,
        };
        let Ok(payload) = postcard::to_stdvec(&state) else {
            return;
        };
        let Some(dir) = self.path.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let staging = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&staging, seal(&payload)).is_ok() {
            let _ = std::fs::rename(&staging, &self.path);
        }
    }
}

/// One hash over the salt, the inbox folder and every entry (path, stamp, problem), in listing
/// order: equal only for the same entries with the same stamps under the same program and
/// configuration.
fn listing_fingerprint(salt: &str, inbox: &Path, found: &[InboxFile]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b"\0");
    let inbox = std::fs::canonicalize(inbox).unwrap_or_else(|_| inbox.to_path_buf());
    hasher.update(inbox.as_os_str().as_encoded_bytes());
    for file in found {
        let Stamp {
            device,
            inode,
            size,
            modified_ns,
            changed_ns,
        } = file.stamp;
        hasher.update(b"\0");
        hasher.update(file.relative.as_bytes());
        hasher.update(format!(
            "\0{device}:{inode}:{size}:{modified_ns}:{changed_ns}:{:?}",
            file.problem
        ));
    }
    crate::domain::text::hex(&hasher.finalize())
}

/// One hash over the salt, the inbox folder and, per file in listing order, what the tables
/// are made from besides its bytes' parse: its path, size, modification time (it orders
/// corrections and duplicates), the id of its bytes (`ids`, in the same order) and any problem
/// of its entry. Equal inputs give byte-identical tables, whatever the files' other stamps.
pub fn inputs_fingerprint(salt: &str, inbox: &Path, found: &[InboxFile], ids: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b"\0");
    let inbox = std::fs::canonicalize(inbox).unwrap_or_else(|_| inbox.to_path_buf());
    hasher.update(inbox.as_os_str().as_encoded_bytes());
    for (file, id) in found.iter().zip(ids) {
        hasher.update(b"\0");
        hasher.update(file.relative.as_bytes());
        hasher.update(format!(
            "\0{}:{}:{id}:{:?}",
            file.size, file.modified_ns, file.problem
        ));
    }
    hasher.update(format!("\0{}:{}", found.len(), ids.len()));
    crate::domain::text::hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    fn file(relative: &str, changed_ns: i64) -> InboxFile {
        InboxFile {
            path: PathBuf::from(relative),
            relative: relative.to_string(),
            size: 10,
            modified_ns: changed_ns,
            problem: None,
            stamp: Stamp {
                device: 1,
                inode: 2,
                size: 10,
                modified_ns: changed_ns,
                changed_ns,
            },
        }
    }

    #[test]
    fn a_run_is_skipped_only_for_the_same_settled_listing_and_current() {
        let dir = tempfile::tempdir().unwrap();
        let now = 100 * SECOND;
        let found = vec![file("a.xlsx", 10 * SECOND), file("b.xlsx", 20 * SECOND)];
        let first = Memo::open(dir.path(), "salt", dir.path(), &found, now);
        assert!(first.unchanged_since(Some("s1")).is_none());
        let published = PublishedFrom {
            run_id: "r1".to_string(),
            snapshot: "s1".to_string(),
            summary: Summary::default(),
        };
        first.record(&found, &["id-a", "id-b"], "inputs", now, Some(published));

        let again = Memo::open(dir.path(), "salt", dir.path(), &found, now + SECOND);
        assert_eq!(
            again.unchanged_since(Some("s1")).map(|p| p.run_id.as_str()),
            Some("r1")
        );
        assert!(again.unchanged_since(Some("s0")).is_none(), "rolled back");
        assert!(again.unchanged_since(None).is_none());
        assert_eq!(again.known_id(&found[1]), Some("id-b"));

        let other_config = Memo::open(dir.path(), "salt2", dir.path(), &found, now);
        assert!(other_config.unchanged_since(Some("s1")).is_none());
        assert_eq!(other_config.known_id(&found[0]), None);

        let mut touched = found.clone();
        touched[0].stamp.changed_ns += 1;
        let changed = Memo::open(dir.path(), "salt", dir.path(), &touched, now);
        assert!(changed.unchanged_since(Some("s1")).is_none());
        assert_eq!(changed.known_id(&touched[0]), None);
        assert_eq!(changed.known_id(&touched[1]), Some("id-b"));

        let mut more = found.clone();
        more.push(file("c.xlsx", 30 * SECOND));
        let added = Memo::open(dir.path(), "salt", dir.path(), &more, now);
        assert!(added.unchanged_since(Some("s1")).is_none());
    }

    #[test]
    fn the_same_inputs_under_other_stamps_repeat_the_run_that_published_them() {
        let dir = tempfile::tempdir().unwrap();
        let now = 100 * SECOND;
        let found = vec![file("a.xlsx", 10 * SECOND), file("b.xlsx", 20 * SECOND)];
        let fingerprint = |found: &[InboxFile], ids: [&str; 2]| {
            inputs_fingerprint("salt", dir.path(), found, &ids)
        };
        let inputs = fingerprint(&found, ["id-a", "id-b"]);
        let first = Memo::open(dir.path(), "salt", dir.path(), &found, now);
        assert!(first.same_inputs_since(&inputs, Some("s1")).is_none());
        let published = PublishedFrom {
            run_id: "r1".to_string(),
            snapshot: "s1".to_string(),
            summary: Summary::default(),
        };
        first.record(&found, &["id-a", "id-b"], &inputs, now, Some(published));

        // Copied back with their times kept: new inodes and change times, the same inputs.
        let mut copied = found.clone();
        for file in &mut copied {
            file.stamp.inode += 10;
            file.stamp.changed_ns = now;
        }
        let again = Memo::open(dir.path(), "salt", dir.path(), &copied, now + SECOND);
        assert!(
            again.unchanged_since(Some("s1")).is_none(),
            "another listing"
        );
        let same = fingerprint(&copied, ["id-a", "id-b"]);
        assert_eq!(same, inputs);
        let since = again.same_inputs_since(&same, Some("s1"));
        assert_eq!(since.map(|p| p.run_id.as_str()), Some("r1"));
        assert!(
            again.same_inputs_since(&same, Some("s0")).is_none(),
            "rolled back"
        );

        // Other bytes, another modification time, a problem, another name or configuration:
        // other inputs.
        assert_ne!(fingerprint(&copied, ["id-a", "id-c"]), inputs);
        let mut touched = copied.clone();
        touched[0].modified_ns += 1;
        assert_ne!(fingerprint(&touched, ["id-a", "id-b"]), inputs);
        let mut unreadable = copied.clone();
        unreadable[1].problem = Some(crate::ingest::EntryProblem::Unreadable("no".to_string()));
        assert_ne!(fingerprint(&unreadable, ["id-a", "id-b"]), inputs);
        let mut renamed = copied.clone();
        renamed[1].relative = "c.xlsx".to_string();
        assert_ne!(fingerprint(&renamed, ["id-a", "id-b"]), inputs);
        let ids = ["id-a", "id-b"];
        assert_ne!(
            inputs_fingerprint("salt2", dir.path(), &copied, &ids),
            inputs
        );
    }

    #[test]
    fn a_file_that_could_not_be_read_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let now = 100 * SECOND;
        let found = vec![file("a.xlsx", SECOND), file("b.xlsx", SECOND)];
        let memo = Memo::open(dir.path(), "salt", dir.path(), &found, now);
        // b.xlsx failed to read (a share's I/O error): its id is its path's hash.
        let unread = crate::pipeline::path_id("b.xlsx");
        memo.record(&found, &["id-a", &unread], "inputs", now, None);
        let after = Memo::open(dir.path(), "salt", dir.path(), &found, now + SECOND);
        assert_eq!(after.known_id(&found[0]), Some("id-a"));
        assert_eq!(after.known_id(&found[1]), None);
    }

    #[test]
    fn a_racy_stamp_is_never_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let now = 100 * SECOND;
        // Changed half a second before the listing: a write in the same tick could follow.
        let found = vec![file("a.xlsx", now - SECOND / 2)];
        let memo = Memo::open(dir.path(), "salt", dir.path(), &found, now);
        let published = PublishedFrom {
            run_id: "r1".to_string(),
            snapshot: "s1".to_string(),
            summary: Summary::default(),
        };
        memo.record(&found, &["id-a"], "inputs", now, Some(published));
        let later = Memo::open(dir.path(), "salt", dir.path(), &found, now + 60 * SECOND);
        assert!(later.unchanged_since(Some("s1")).is_none());
        assert_eq!(later.known_id(&found[0]), None);
    }

    #[test]
    fn a_damaged_state_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let now = 100 * SECOND;
        let found = vec![file("a.xlsx", SECOND)];
        let memo = Memo::open(dir.path(), "salt", dir.path(), &found, now);
        memo.record(&found, &["id-a"], "inputs", now, None);
        let path = dir.path().join(STATE_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() - 3;
        bytes[at] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let after = Memo::open(dir.path(), "salt", dir.path(), &found, now);
        assert_eq!(after.known_id(&found[0]), None);
    }
}
