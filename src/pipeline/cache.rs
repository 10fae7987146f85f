//! The parse cache: what reading a file's bytes gave, keyed by those bytes (the submission id),
//! the configuration and the program, so an unchanged file is never parsed twice.
//!
//! One pack file, `<warehouse>/cache/parses.pack`: one file instead of one small file per form
//! (creating 20,000 files cost more than parsing them). A run that parsed a few new files (a
//! corrected form) appends their records; a run whose pack would be at least half records no
//! file of the run used (files gone from the inbox, replaced records), or that met a damaged
//! record, rewrites the pack with the records of the files it read, so the pack stays within
//! twice what the inbox needs. The pack a rewrite replaces is kept beside it
//! ([`PREVIOUS_PACK_FILE`]) until the run knows it publishes: a run the shrink guard refuses (an
//! unmounted share: an empty inbox) puts it back ([`Cache::restore_previous`]), so the night
//! after costs no cold parse.
//!
//! Layout: [`PACK_MAGIC`], the salt (u32 length, bytes), then one record per file: u32 length,
//! then the record, which is a [`seal`]ed postcard `(submission id, CacheEntry)`; of two records
//! of one id the later one counts. A record with a flipped bit fails its checksum and is logged
//! and re-parsed, never served; a truncated or foreign pack serves what can be proven sound, and
//! a pack with a torn tail (a run killed while appending) is rewritten, never appended to.

use super::Origin;
use crate::config::Plan;
use crate::normalize::{Content, FileResult};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The pack's file name inside the cache folder.
pub const PACK_FILE: &str = "parses.pack";
/// The pack before this run's rewrite, until the run publishes or is refused.
pub const PREVIOUS_PACK_FILE: &str = "parses.pack.previous";

/// The first bytes of the pack (format version 4: one pack of records sealed with xxh3-128).
const PACK_MAGIC: &[u8; 8] = b"ZLBDP\x004\n";

/// The first bytes of a sealed record (and of the inbox state); version 3: an xxh3-128
/// checksum.
const SEAL_MAGIC: &[u8; 8] = b"ZLBDC\x003\n";
const SEAL_HEADER: usize = SEAL_MAGIC.len() + CHECKSUM;

/// A sealed record's checksum: xxh3-128 of the payload. It guards against a record altered on
/// disk (a flipped bit, a torn write), not against forgery (whoever can write the cache can
/// write the warehouse); the record's key, the file's SHA-256, is what identifies the bytes.
/// About twenty times faster than SHA-256, which a rerun after a correction paid over every
/// record of the pack (67 MB at 20,000 forms).
const CHECKSUM: usize = 16;

fn checksum(payload: &[u8]) -> [u8; CHECKSUM] {
    xxhash_rust::xxh3::xxh3_128(payload).to_le_bytes()
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
    bytes.extend_from_slice(&checksum(payload));
    bytes.extend_from_slice(payload);
    bytes
}

/// The payload of sealed bytes, if its checksum holds.
pub(crate) fn unseal_bytes(bytes: &[u8]) -> Result<&[u8], CacheDamage> {
    if bytes.len() < SEAL_HEADER || !bytes.starts_with(SEAL_MAGIC) {
        return Err(CacheDamage::Header);
    }
    let (found, payload) = bytes[SEAL_MAGIC.len()..].split_at(CHECKSUM);
    if checksum(payload) != found {
        return Err(CacheDamage::Checksum);
    }
    Ok(payload)
}

/// A record's id and entry, if its checksum holds.
fn unseal(bytes: &[u8]) -> Result<(String, CacheEntry), CacheDamage> {
    let payload = unseal_bytes(bytes)?;
    postcard::from_bytes(payload).map_err(|error| CacheDamage::Decode(error.to_string()))
}

/// The parse cache of a warehouse, as the last run left it.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    salt: String,
    /// The last pack, read at the first lookup (a run that finds nothing changed never reads
    /// it).
    pack: OnceLock<Pack>,
    /// How many lookups met a damaged record: the next write rewrites the pack.
    damaged: AtomicUsize,
}

/// A pack as read: its bytes and where the record of each id is.
#[derive(Debug, Default)]
struct Pack {
    bytes: Vec<u8>,
    /// The latest record of each id: its range in `bytes` (without its length word).
    records: HashMap<String, Range<usize>>,
    /// Where the records start and end, when the pack is one of this program and configuration
    /// and was read as whole records to its end: only then may new records be appended (a torn
    /// tail, from a run killed while appending, or a damaged length word ends the records
    /// early, and the pack is rewritten instead of cut).
    extent: Option<Range<usize>>,
}

impl Pack {
    /// The pack at `path` if it was written with `salt` (else an empty one).
    fn read(path: &Path, salt: &str) -> Pack {
        let bytes = std::fs::read(path).unwrap_or_default();
        let start = match split_pack(&bytes) {
            Some((found, rest)) if found == salt.as_bytes() => bytes.len() - rest.len(),
            _ => return Pack::default(),
        };
        let (ranges, end) = records(&bytes, start);
        let records = ranges
            .into_iter()
            .filter_map(|range| {
                let payload = bytes.get(range.start + SEAL_HEADER..range.end)?;
                let (id, _) = postcard::take_from_bytes::<String>(payload).ok()?;
                Some((id, range))
            })
            .collect();
        let whole = end == bytes.len();
        Pack {
            bytes,
            records,
            extent: whole.then_some(start..end),
        }
    }

    /// The sealed record of `id` (checked against its checksum only when used).
    fn record(&self, id: &str) -> Option<&[u8]> {
        let range = self.records.get(id)?;
        self.bytes.get(range.clone())
    }
}

/// The ranges of the records in `bytes` from `at` (past the salt), and where the last whole one
/// ends. Stops at the first length that runs past the end (a truncated pack keeps the records
/// before it).
fn records(bytes: &[u8], mut at: usize) -> (Vec<Range<usize>>, usize) {
    let mut out = Vec::new();
    while let Some(word) = bytes.get(at..at.saturating_add(4)) {
        let length = u32::from_le_bytes([word[0], word[1], word[2], word[3]]) as usize;
        let start = at + 4;
        match start.checked_add(length) {
            Some(end) if end <= bytes.len() => {
                out.push(start..end);
                at = end;
            }
            _ => break,
        }
    }
    (out, at)
}

/// The salt and records of a pack, or None when it is not one.
fn split_pack(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = bytes.strip_prefix(PACK_MAGIC)?;
    let (length, rest) = rest.split_at_checked(4)?;
    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
    rest.split_at_checked(length)
}

/// A file's result as a sealed record.
fn sealed_record(file: &FileResult) -> Option<Vec<u8>> {
    let entry = EntryRef {
        file_format: &file.file_format,
        content: &file.content,
    };
    let payload = postcard::to_stdvec(&(&file.submission_id, entry)).ok()?;
    Some(seal(&payload))
}

/// Writes records, each after its length word.
fn put_records<'a>(
    out: &mut impl Write,
    records: impl IntoIterator<Item = &'a [u8]>,
) -> std::io::Result<()> {
    for record in records {
        out.write_all(&(record.len() as u32).to_le_bytes())?;
        out.write_all(record)?;
    }
    Ok(())
}

/// How many files' records are encoded at a time when the pack is rewritten: the pack is
/// streamed to its file, never whole in memory.
const REWRITE_CHUNK: usize = 2048;

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
        // A previous pack left by a run that died before it knew whether it published is no
        // one's to restore: only this run's rewrite may make one.
        let _ = std::fs::remove_file(dir.join(PREVIOUS_PACK_FILE));
        Cache {
            dir,
            salt,
            pack: OnceLock::new(),
            damaged: AtomicUsize::new(0),
        }
    }

    fn pack(&self) -> &Pack {
        self.pack
            .get_or_init(|| Pack::read(&self.dir.join(PACK_FILE), &self.salt))
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
        let damage = match unseal(self.pack().record(submission_id)?) {
            Ok((id, entry)) if id == submission_id => return Some(entry),
            Ok(_) => CacheDamage::Checksum,
            Err(damage) => damage,
        };
        self.damaged.fetch_add(1, Ordering::Relaxed);
        // One warning for the run (at the write), the files one by one in the debug log.
        tracing::debug!(
            file = %source_file,
            cache_entry = %self.dir.join(PACK_FILE).display(),
            problem = %damage,
            "Damaged parse-cache entry ignored; the file is read again and the entry rewritten."
        );
        None
    }

    /// The pack's record of a file this run answered from it (unsealed and checked just now).
    fn kept(&self, file: &FileResult, origin: Origin) -> Option<&[u8]> {
        let pack = self.pack.get().filter(|_| origin == Origin::Cache)?;
        pack.record(&file.submission_id)
    }

    /// Saves the entries of `files` that were read as workbooks (per `origins`, in the same
    /// order): appends the new ones to the pack, or rewrites it (see the module's doc). A record
    /// answered from the pack is copied as it is, never encoded again. Best effort: a cache that
    /// cannot be written only costs time.
    pub fn write(&self, files: &[FileResult], origins: &[Origin]) {
        // The same bytes under two paths are one record.
        let mut seen = HashSet::new();
        let read: Vec<(&FileResult, Origin)> = files
            .iter()
            .zip(origins.iter().copied())
            .filter(|(_, origin)| *origin != Origin::NotRead)
            .filter(|(file, _)| seen.insert(file.submission_id.as_str()))
            .collect();
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let path = self.dir.join(PACK_FILE);
        let appended = match self.pack.get() {
            Some(pack) if self.damaged.load(Ordering::Relaxed) == 0 => {
                self.append(pack, &path, &read)
            }
            _ => false,
        };
        if !appended {
            self.rewrite(&path, &read);
        }
        let damaged = self.damaged.load(Ordering::Relaxed);
        if damaged > 0 {
            tracing::warn!(
                cache = %path.display(),
                damaged,
                "Damaged parse-cache entries ignored: those files were read again and the cache rewritten (each file in the debug log, -vv)."
            );
        }
        remove_old_entries(&self.dir);
    }

    /// Appends the records of the files not answered from `pack`, unless the pack would then be
    /// at least half records no file of this run used. Whether the pack is up to date. The file
    /// must still be the one read (same header and length), or it is rewritten.
    fn append(&self, pack: &Pack, path: &Path, read: &[(&FileResult, Origin)]) -> bool {
        let Some(extent) = pack.extent.clone() else {
            return false;
        };
        let mut kept_bytes = 0;
        let mut new = Vec::new();
        for (file, origin) in read {
            match self.kept(file, *origin) {
                Some(record) => kept_bytes += 4 + record.len(),
                None => new.push(*file),
            }
        }
        let new: Vec<Vec<u8>> = new
            .par_iter()
            .filter_map(|file| sealed_record(file))
            .collect();
        let live = kept_bytes + new.iter().map(|record| 4 + record.len()).sum::<usize>();
        let dead = extent.len().saturating_sub(kept_bytes);
        if dead >= live {
            return false;
        }
        if new.is_empty() {
            return true;
        }
        let appended = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .and_then(|file| {
                use std::os::unix::fs::FileExt;
                let mut header = vec![0; extent.start];
                file.read_exact_at(&mut header, 0)?;
                let same = file.metadata()?.len() == extent.end as u64
                    && pack.bytes.get(..extent.start) == Some(header.as_slice());
                if !same {
                    return Err(std::io::Error::other("the pack changed since it was read"));
                }
                let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
                put_records(&mut out, new.iter().map(Vec::as_slice))?;
                out.flush()
            });
        appended.is_ok()
    }

    /// Replaces the pack with the records of the files read, streamed to a new file that is
    /// then renamed over the old one.
    fn rewrite(&self, path: &Path, read: &[(&FileResult, Origin)]) {
        let staging = path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::File::create(&staging).and_then(|file| {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            out.write_all(PACK_MAGIC)?;
            out.write_all(&(self.salt.len() as u32).to_le_bytes())?;
            out.write_all(self.salt.as_bytes())?;
            for chunk in read.chunks(REWRITE_CHUNK) {
                let sealed: Vec<Cow<[u8]>> = chunk
                    .par_iter()
                    .filter_map(|(file, origin)| match self.kept(file, *origin) {
                        Some(record) => Some(Cow::Borrowed(record)),
                        None => sealed_record(file).map(Cow::Owned),
                    })
                    .collect();
                put_records(&mut out, sealed.iter().map(|record| record.as_ref()))?;
            }
            out.flush()
        });
        if written.is_ok() {
            let previous = path.with_file_name(PREVIOUS_PACK_FILE);
            let _ = std::fs::remove_file(&previous);
            let _ = std::fs::hard_link(path, &previous);
            let _ = std::fs::rename(&staging, path);
        } else {
            let _ = std::fs::remove_file(&staging);
        }
    }
}

impl Cache {
    /// Puts back the pack this run's rewrite replaced (a refused run read too few files to
    /// judge which records the inbox still needs).
    pub fn restore_previous(dir: &Path) {
        let previous = dir.join(PREVIOUS_PACK_FILE);
        if previous.is_file() {
            let _ = std::fs::rename(previous, dir.join(PACK_FILE));
        }
    }

    /// Forgets the pack this run's rewrite replaced.
    pub fn discard_previous(dir: &Path) {
        let _ = std::fs::remove_file(dir.join(PREVIOUS_PACK_FILE));
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
        assert_eq!(records(&rest, 0).0.len(), 3);
        assert_eq!(records(&rest, 0).1, rest.len());
        let cut = &rest[..rest.len() - 1];
        let (kept, end) = records(cut, 0);
        assert_eq!(kept.len(), 2);
        assert_eq!(end, kept[1].end, "the last whole record's end");
        assert_eq!(records(&[], 0), (Vec::new(), 0));
        assert!(split_pack(b"ZLBDP\x004\n\xff\xff\xff\xff").is_none());
    }

    fn cache(dir: &Path) -> Cache {
        Cache {
            dir: dir.to_path_buf(),
            salt: "test salt".to_string(),
            pack: OnceLock::new(),
            damaged: AtomicUsize::new(0),
        }
    }

    fn file(id: &str, reason: &str) -> FileResult {
        FileResult {
            source_file: format!("{id}.xlsx"),
            size_bytes: 1,
            modified_ns: 0,
            submission_id: id.to_string(),
            file_format: "xlsx".to_string(),
            content: Content::Ignored {
                reason: reason.to_string(),
            },
        }
    }

    /// One run of the cache: looks every file up (as a run does), then writes what it found
    /// or parsed. Returns the reasons served from the cache.
    fn run(dir: &Path, files: &[FileResult]) -> Vec<Option<String>> {
        let cache = cache(dir);
        let served: Vec<Option<CacheEntry>> = files
            .iter()
            .map(|file| cache.get(&file.submission_id, &file.source_file))
            .collect();
        let origins: Vec<Origin> = served
            .iter()
            .map(|hit| match hit {
                Some(_) => Origin::Cache,
                None => Origin::Parsed,
            })
            .collect();
        cache.write(files, &origins);
        served
            .into_iter()
            .map(|hit| match hit.map(|entry| entry.content) {
                Some(Content::Ignored { reason }) => Some(reason),
                _ => None,
            })
            .collect()
    }

    fn pack_bytes(dir: &Path) -> Vec<u8> {
        std::fs::read(dir.join(PACK_FILE)).unwrap()
    }

    /// The pack file's inode: a rewrite renames a new file over the old one.
    fn pack_inode(dir: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir.join(PACK_FILE)).unwrap().ino()
    }

    #[test]
    fn a_few_new_files_are_appended_and_a_pack_half_unused_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (file("a", "ra"), file("b", "rb"), file("c", "rc"));
        assert_eq!(run(dir.path(), &[a.clone(), b.clone()]), vec![None, None]);
        let (first, inode) = (pack_bytes(dir.path()), pack_inode(dir.path()));
        // A corrected form arrives: its record is appended, the others stay where they were.
        let served = run(dir.path(), &[a.clone(), b.clone(), c.clone()]);
        assert_eq!(served, vec![Some("ra".into()), Some("rb".into()), None]);
        let second = pack_bytes(dir.path());
        assert!(second.len() > first.len());
        assert!(second.starts_with(&first));
        assert_eq!(pack_inode(dir.path()), inode, "appended, not rewritten");
        let served = run(dir.path(), &[a.clone(), b.clone(), c.clone()]);
        assert_eq!(
            served,
            vec![Some("ra".into()), Some("rb".into()), Some("rc".into())]
        );
        assert_eq!(
            pack_bytes(dir.path()),
            second,
            "nothing new, nothing written"
        );
        assert_eq!(pack_inode(dir.path()), inode);
        // Two of three files left the inbox: the pack would be mostly dead records.
        assert_eq!(
            run(dir.path(), std::slice::from_ref(&c)),
            vec![Some("rc".into())]
        );
        let third = pack_bytes(dir.path());
        assert_ne!(pack_inode(dir.path()), inode, "rewritten");
        let (_, rest) = split_pack(&third).unwrap();
        assert_eq!(
            records(rest, 0).0.len(),
            1,
            "rewritten with the one file read"
        );
        assert_eq!(run(dir.path(), &[c]), vec![Some("rc".into())]);
    }

    #[test]
    fn a_torn_tail_or_a_replaced_pack_makes_the_next_write_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (file("a", "ra"), file("b", "rb"), file("c", "rc"));
        run(dir.path(), &[a.clone(), b.clone()]);
        let whole = pack_bytes(dir.path());
        // A run killed while appending left a length word and part of a record.
        let mut torn = whole.clone();
        torn.extend_from_slice(&500u32.to_le_bytes());
        torn.extend_from_slice(b"ZLBDC\x003\npart");
        std::fs::write(dir.path().join(PACK_FILE), &torn).unwrap();
        let inode = pack_inode(dir.path());
        let served = run(dir.path(), &[a.clone(), b.clone(), c.clone()]);
        assert_eq!(served, vec![Some("ra".into()), Some("rb".into()), None]);
        assert_ne!(pack_inode(dir.path()), inode, "rewritten, not appended");
        let rewritten = pack_bytes(dir.path());
        let (_, rest) = split_pack(&rewritten).unwrap();
        assert_eq!(records(rest, 0).1, rest.len(), "no torn bytes left");
        assert_eq!(records(rest, 0).0.len(), 3);
        let served = run(dir.path(), &[a.clone(), b.clone(), c.clone()]);
        assert_eq!(
            served,
            vec![Some("ra".into()), Some("rb".into()), Some("rc".into())]
        );
        // The pack is replaced (another salt) after it was read and before the write: the
        // write does not append to it.
        let d = file("d", "rd");
        let cache = cache(dir.path());
        let found = [&a, &b, &c].map(|f| cache.get(&f.submission_id, &f.source_file));
        assert!(found.iter().all(Option::is_some));
        // (A salt as long as ours or longer: the header read back is whole, and differs.)
        let salt = b"another program's salt";
        let mut foreign = PACK_MAGIC.to_vec();
        foreign.extend_from_slice(&(salt.len() as u32).to_le_bytes());
        foreign.extend_from_slice(salt);
        std::fs::write(dir.path().join(PACK_FILE), &foreign).unwrap();
        let files = [a.clone(), b.clone(), c.clone(), d.clone()];
        let origins = [Origin::Cache, Origin::Cache, Origin::Cache, Origin::Parsed];
        cache.write(&files, &origins);
        let bytes = pack_bytes(dir.path());
        let (salt, rest) = split_pack(&bytes).unwrap();
        assert_eq!(salt, b"test salt");
        assert_eq!(records(rest, 0).0.len(), 4);
        let served = run(dir.path(), &files);
        assert!(served.iter().all(Option::is_some), "{served:?}");
    }

    #[test]
    fn a_damaged_record_makes_the_next_write_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let files = [file("a", "ra"), file("b", "rb"), file("c", "rc")];
        run(dir.path(), &files);
        let mut bytes = pack_bytes(dir.path());
        let at = bytes.len() - 3;
        bytes[at] ^= 0x10;
        std::fs::write(dir.path().join(PACK_FILE), &bytes).unwrap();
        let served = run(dir.path(), &files);
        assert_eq!(served, vec![Some("ra".into()), Some("rb".into()), None]);
        let rewritten = pack_bytes(dir.path());
        let (_, rest) = split_pack(&rewritten).unwrap();
        assert_eq!(records(rest, 0).0.len(), 3, "the damaged record is gone");
        assert_eq!(run(dir.path(), &files).iter().flatten().count(), 3);
    }
}
