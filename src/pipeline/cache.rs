//! The parse cache: what reading a file's bytes gave, keyed by those bytes (the submission id),
//! the configuration and the program, so an unchanged file is never parsed twice.
//!
//! One pack file, `<warehouse>/cache/parses.pack`, rewritten by every run with the entries of
//! the files it read: one write instead of one small file per form (creating 20,000 files
//! cost more than parsing them), and entries of files no longer in the inbox go away.
//!
//! Layout: [`PACK_MAGIC`], the salt (u32 length, bytes), then one record per file: u32 length,
//! then the record, which is a [`seal`]ed postcard `(submission id, CacheEntry)`. A record with
//! a flipped bit fails its checksum and is logged and re-parsed, never served; a truncated or
//! foreign pack serves what can be proven sound.

use super::Origin;
use crate::config::Plan;
use crate::normalize::{Content, FileResult};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The pack's file name inside the cache folder.
pub const PACK_FILE: &str = "parses.pack";

/// The first bytes of the pack (format version 3: one pack of checksummed records).
const PACK_MAGIC: &[u8; 8] = b"ZLBDP\x003\n";

/// The first bytes of a sealed record (and of the inbox state).
const SEAL_MAGIC: &[u8; 8] = b"ZLBDC\x002\n";
const SEAL_HEADER: usize = SEAL_MAGIC.len() + 32;

/// The parse cache of a warehouse, as the last run left it.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    salt: String,
    /// The last pack's sealed records by submission id, read at the first lookup (a run that
    /// finds nothing changed never reads the pack).
    records: OnceLock<HashMap<String, Vec<u8>>>,
}

#[derive(Serialize, Deserialize)]
pub struct CacheEntry {
    pub file_format: String,
    pub content: Content,
}

/// How a record is written: borrowed from the run's results.
#[derive(Serialize)]
struct EntryRef<'a> {
    file_format: &'a str,
    content: &'a Content,
}

/// A cache record that was there but could not be used.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CacheDamage {
    Header,
    Checksum,
    Decode(String),
}

impl std::fmt::Display for CacheDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheDamage::Header => {
                write!(f, "no cache header (truncated or not a zlbd cache entry)")
            }
            CacheDamage::Checksum => write!(f, "checksum mismatch (the entry was altered on disk)"),
            CacheDamage::Decode(error) => write!(f, "cannot be decoded: {error}"),
        }
    }
}

/// Header with checksum, then the payload.
pub(crate) fn seal(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SEAL_HEADER + payload.len());
    bytes.extend_from_slice(SEAL_MAGIC);
    bytes.extend_from_slice(&Sha256::digest(payload));
    bytes.extend_from_slice(payload);
    bytes
}

/// The payload of sealed bytes, if its checksum holds.
pub(crate) fn unseal_bytes(bytes: &[u8]) -> Result<&[u8], CacheDamage> {
    if bytes.len() < SEAL_HEADER || !bytes.starts_with(SEAL_MAGIC) {
        return Err(CacheDamage::Header);
    }
    let (checksum, payload) = bytes[SEAL_MAGIC.len()..].split_at(32);
    if Sha256::digest(payload).as_slice() != checksum {
        return Err(CacheDamage::Checksum);
    }
    Ok(payload)
}

/// A record's id and entry, if its checksum holds.
fn unseal(bytes: &[u8]) -> Result<(String, CacheEntry), CacheDamage> {
    let payload = unseal_bytes(bytes)?;
    postcard::from_bytes(payload).map_err(|error| CacheDamage::Decode(error.to_string()))
}

/// The records of a pack: (bytes) after the salt. Stops at the first length that runs past the
/// end (a truncated pack keeps the records before it).
fn records(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while rest.len() >= 4 {
        let (length, tail) = rest.split_at(4);
        let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
        if length > tail.len() {
            break;
        }
        let (record, tail) = tail.split_at(length);
        out.push(record);
        rest = tail;
    }
    out
}

/// The salt and records of a pack, or None when it is not one.
fn split_pack(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = bytes.strip_prefix(PACK_MAGIC)?;
    let (length, rest) = rest.split_at_checked(4)?;
    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
    rest.split_at_checked(length)
}

impl Cache {
    /// The cache in `dir` as the last run with this program and configuration left it (an
    /// empty one when there is none, or it was made by another program or configuration).
    pub fn open(dir: PathBuf, plan: &Plan) -> Cache {
        let salt = format!(
            "{}:{}:{}",
            env!("CARGO_PKG_VERSION"),
            env!("ZLBD_SOURCE_HASH"),
            plan.fingerprint
        );
        Cache {
            dir,
            salt,
            records: OnceLock::new(),
        }
    }

    /// The records of the pack, by the id each starts with (checked against its checksum
    /// only when used).
    fn records(&self) -> &HashMap<String, Vec<u8>> {
        self.records.get_or_init(|| {
            let bytes = std::fs::read(self.dir.join(PACK_FILE)).unwrap_or_default();
            match split_pack(&bytes) {
                Some((salt, rest)) if salt == self.salt.as_bytes() => records(rest)
                    .into_iter()
                    .filter_map(|record| {
                        let payload = record.get(SEAL_HEADER..)?;
                        let (id, _) = postcard::take_from_bytes::<String>(payload).ok()?;
                        Some((id, record.to_vec()))
                    })
                    .collect(),
                _ => HashMap::new(),
            }
        })
    }

    /// What every entry depends on besides the file's bytes: program, source and configuration.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cached result for these bytes, if there is a sound one. A damaged record is logged
    /// (naming the inbox file) and treated as absent: the file is parsed again and the record
    /// rewritten.
    pub fn get(&self, submission_id: &str, source_file: &str) -> Option<CacheEntry> {
        let damage = match unseal(self.records().get(submission_id)?) {
            Ok((id, entry)) if id == submission_id => return Some(entry),
            Ok(_) => CacheDamage::Checksum,
            Err(damage) => damage,
        };
        tracing::warn!(
            file = %source_file,
            cache_entry = %self.dir.join(PACK_FILE).display(),
            problem = %damage,
            "Damaged parse-cache entry ignored; the file is read again and the entry rewritten."
        );
        None
    }

    /// Replaces the pack with the entries of `files` that were read as workbooks (per
    /// `origins`, in the same order). An entry answered from this pack is copied as it is,
    /// not encoded again (a night with one corrected form encodes one). Best effort: a cache
    /// that cannot be written only costs time.
    pub fn write(&self, files: &[FileResult], origins: &[Origin]) {
        let loaded = self.records.get();
        let sealed: Vec<(&str, Cow<[u8]>)> = files
            .par_iter()
            .zip(origins.par_iter())
            .filter(|(_, origin)| **origin != Origin::NotRead)
            .filter_map(|(file, origin)| {
                let id = file.submission_id.as_str();
                // Answered from the pack: its record was unsealed and checked just now.
                let kept = loaded.filter(|_| *origin == Origin::Cache);
                if let Some(record) = kept.and_then(|records| records.get(id)) {
                    return Some((id, Cow::Borrowed(record.as_slice())));
                }
                let entry = EntryRef {
                    file_format: &file.file_format,
                    content: &file.content,
                };
                let payload = postcard::to_stdvec(&(&file.submission_id, entry)).ok()?;
                Some((id, Cow::Owned(seal(&payload))))
            })
            .collect();
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let path = self.dir.join(PACK_FILE);
        let staging = path.with_extension(format!("tmp{}", std::process::id()));
        // Streamed to the file: the pack is never whole in memory.
        let written = std::fs::File::create(&staging).and_then(|file| {
            use std::io::Write;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            out.write_all(PACK_MAGIC)?;
            out.write_all(&(self.salt.len() as u32).to_le_bytes())?;
            out.write_all(self.salt.as_bytes())?;
            // The same bytes under two paths are one record.
            let mut seen = std::collections::HashSet::new();
            for (id, record) in &sealed {
                if seen.insert(*id) {
                    out.write_all(&(record.len() as u32).to_le_bytes())?;
                    out.write_all(record)?;
                }
            }
            out.flush()
        });
        if written.is_ok() {
            let _ = std::fs::rename(&staging, &path);
        } else {
            let _ = std::fs::remove_file(&staging);
        }
        remove_old_entries(&self.dir);
    }
}

/// Removes the one-file-per-entry cache of earlier versions (folders `00` … `ff`).
fn remove_old_entries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let old = name.len() == 2 && name.chars().all(|c| c.is_ascii_hexdigit());
        if old && entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed_entry(id: &str) -> Vec<u8> {
        let entry = CacheEntry {
            file_format: "xlsx".to_string(),
            content: Content::Ignored {
                reason: "x".to_string(),
            },
        };
        seal(&postcard::to_stdvec(&(id, entry)).unwrap())
    }

    #[test]
    fn a_flipped_bit_in_a_record_is_detected() {
        let sealed = sealed_entry("abc");
        assert!(unseal(&sealed).is_ok());
        for at in 0..sealed.len() {
            for bit in 0..8 {
                let mut damaged = sealed.clone();
                damaged[at] ^= 1 << bit;
                assert!(unseal(&damaged).is_err(), "byte {at} bit {bit}");
            }
        }
        assert_eq!(
            unseal(&sealed[..sealed.len() - 1]).err(),
            Some(CacheDamage::Checksum)
        );
        assert_eq!(unseal(b"short").err(), Some(CacheDamage::Header));
    }

    #[test]
    fn a_truncated_pack_keeps_the_records_before_the_cut() {
        let mut rest = Vec::new();
        for id in ["a", "b", "c"] {
            let record = sealed_entry(id);
            rest.extend_from_slice(&(record.len() as u32).to_le_bytes());
            rest.extend_from_slice(&record);
        }
        assert_eq!(records(&rest).len(), 3);
        assert_eq!(records(&rest[..rest.len() - 1]).len(), 2);
        assert_eq!(records(&[]).len(), 0);
        assert!(split_pack(b"ZLBDP\x003\n\xff\xff\xff\xff").is_none());
    }
}
