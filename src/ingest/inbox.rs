//! The inbox as operators really have it (SPEC v2 §6): every entry below the inbox folder
//! becomes exactly one [`InboxFile`], and so one `submissions` row.
//!
//! - `relative` (the `source_file` column) is the path below the inbox with `/` separators; a
//!   name that is not valid UTF-8 keeps every valid character and writes each invalid byte as
//!   `\xHH`, so two different names never collapse into one (see [`escape_name`]).
//! - A file or folder that cannot be read (permissions, I/O error, a link that never resolves)
//!   is an entry with an [`EntryProblem::Unreadable`] reason (status `rejected`); the rest of
//!   the inbox is still walked. Only an unreadable inbox folder itself is an error.
//! - Symbolic links to files and folders are followed; a folder reached twice (a link loop, or
//!   a second link to a folder already read) is read once, by device and inode. A dangling
//!   link, a FIFO, a socket or a device is an [`EntryProblem::Ignored`] entry.
//! - A zlbd warehouse or feedback folder inside the inbox (the run's own `--warehouse`/`--out`,
//!   or any folder that looks like one) is one ignored entry, never read as forms.
//!
//! Reading a file's bytes ([`read_limited`]) checks its type on the open handle (a FIFO is
//! opened without blocking) and never reads more than the size limit allows.

use crate::config::Limits;
use crate::domain::text;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::{self, Metadata};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why an inbox entry is not read at all; known before any byte is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryProblem {
    /// It cannot be read (status `rejected`); the reason names the path, in Chinese and English.
    Unreadable(String),
    /// It is not a form by its nature (status `ignored`): a dangling link, a FIFO, a device, a
    /// warehouse or feedback folder, a folder already read through another path.
    Ignored(String),
}

/// A file found in the inbox (or an entry that stands for a file or folder not read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxFile {
    pub path: PathBuf,
    /// Path relative to the inbox, with `/` separators (the `source_file` column); invalid
    /// UTF-8 bytes of a name as `\xHH`.
    pub relative: String,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch; orders corrections and duplicates.
    pub modified_ns: i64,
    /// Set when the entry is not to be read: why, and as which status.
    pub problem: Option<EntryProblem>,
    /// What tells, without reading it, that the file is the one seen before.
    pub stamp: Stamp,
}

/// What identifies a file's bytes without reading them: device, inode, size, and the
/// modification and status-change times. The kernel sets the change time (ctime) on every
/// write, truncate, rename or chmod, and no program can set it back, so an equal stamp means
/// the bytes seen before — the rule git's index and make rely on. A stamp taken less than
/// [`Stamp::SETTLE_NS`] after the file's last change is "racy" (a write in the same clock tick
/// would not show) and is never trusted.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Stamp {
    pub device: u64,
    pub inode: u64,
    pub size: u64,
    pub modified_ns: i64,
    pub changed_ns: i64,
}

impl Stamp {
    /// How long after its last change a file's stamp becomes trustworthy (generous against
    /// coarse filesystem clocks: FAT and some network shares keep 1–2 s).
    pub const SETTLE_NS: i64 = 3_000_000_000;

    fn of(metadata: &Metadata) -> Stamp {
        Stamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.len(),
            modified_ns: modified_ns(metadata),
            changed_ns: metadata
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(metadata.ctime_nsec()),
        }
    }

    /// Whether a stamp taken at `seen_at_ns` can stand for the file's bytes later on.
    pub fn settled(&self, seen_at_ns: i64) -> bool {
        self.changed_ns != 0 && self.changed_ns.saturating_add(Self::SETTLE_NS) < seen_at_ns
    }
}

impl InboxFile {
    fn problem(path: PathBuf, relative: String, problem: EntryProblem) -> InboxFile {
        InboxFile {
            path,
            relative,
            size: 0,
            modified_ns: 0,
            problem: Some(problem),
            stamp: Stamp::default(),
        }
    }
}

/// A file name as text: valid UTF-8 kept, each invalid byte as `\xHH` (upper-case hex). A
/// backslash that is itself followed by `x` and two hex digits is written `\x5C`, so the
/// mapping is one-to-one: two different names never give the same text.
pub fn escape_name(name: &OsStr) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let looks_escaped = |at: usize| {
        bytes.len() >= at + 4
            && bytes[at + 1] == b'x'
            && bytes[at + 2].is_ascii_hexdigit()
            && bytes[at + 3].is_ascii_hexdigit()
    };
    let mut at = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' && looks_escaped(at) {
                out.push_str("\\x5C");
            } else {
                out.push(c);
            }
            at += c.len_utf8();
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02X}"));
            at += 1;
        }
    }
    out
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// Device and inode: a folder's identity, whatever path reaches it.
type Identity = (u64, u64);

fn identity(metadata: &Metadata) -> Identity {
    (metadata.dev(), metadata.ino())
}

fn modified_ns(metadata: &Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|duration| duration.as_nanos() as i64)
        .unwrap_or(0)
}

/// What a thing that is neither a file nor a folder is: (Chinese, English).
fn special_kind(metadata: &Metadata) -> Option<(&'static str, &'static str)> {
    let kind = metadata.file_type();
    if kind.is_file() || kind.is_dir() {
        None
    } else if kind.is_fifo() {
        Some(("命名管道", "a FIFO"))
    } else if kind.is_socket() {
        Some(("套接字", "a socket"))
    } else if kind.is_block_device() || kind.is_char_device() {
        Some(("设备文件", "a device"))
    } else {
        Some(("特殊文件", "a special file"))
    }
}

fn not_a_file(relative: &str, (chinese, english): (&str, &str)) -> EntryProblem {
    EntryProblem::Ignored(format!(
        "“{relative}”是{chinese}，不是普通文件，已忽略 ({relative} is {english}, not a regular file, ignored)"
    ))
}

fn unreadable_file(relative: &str, error: &io::Error) -> EntryProblem {
    EntryProblem::Unreadable(format!(
        "文件无法读取：{relative} (cannot read the file {relative}: {error})"
    ))
}

fn unreadable_folder(relative: &str, error: &io::Error) -> EntryProblem {
    EntryProblem::Unreadable(format!(
        "文件夹无法读取：{relative}，其中的文件均未处理，请检查权限 (cannot read the folder {relative}: {error}; nothing in it was processed)"
    ))
}

/// Lower-case hex SHA-256 of a file's bytes: the `submission_id`.
pub fn fingerprint(bytes: &[u8]) -> String {
    text::hex(&Sha256::digest(bytes))
}

/// Why a file is passed over without being read (status `ignored`), if it is.
pub fn ignore_reason(relative: &str) -> Option<&'static str> {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    if name.starts_with("~$") {
        return Some("Office临时锁文件，已忽略 (Office lock file, ignored)");
    }
    if is_hidden(relative) {
        return Some("隐藏文件，已忽略 (hidden file, ignored)");
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    // Spreadsheets by name are read, whatever their bytes turn out to be: a format zlbd does
    // not read (.xlsb, an .et that is no BIFF) is rejected with its reason, never passed over.
    match extension.as_deref() {
        Some(
            "xlsx" | "xlsm" | "xls" | "ods" | "xlsb" | "xltx" | "xltm" | "xlt" | "et" | "ett"
            | "ots",
        ) => None,
        _ => Some("非电子表格文件，已忽略 (not a spreadsheet, ignored)"),
    }
}

fn is_hidden(relative: &str) -> bool {
    relative.split('/').any(|part| part.starts_with('.'))
}

/// A file-like entry that cannot be read: ignored by its name when its name says so (a lock
/// file, a hidden file, not a spreadsheet), else rejected.
fn file_problem(relative: &str, problem: EntryProblem) -> EntryProblem {
    match (ignore_reason(relative), problem) {
        (Some(reason), EntryProblem::Unreadable(_)) => EntryProblem::Ignored(reason.to_string()),
        (_, problem) => problem,
    }
}

/// A folder that cannot be read: ignored when hidden, else rejected.
fn folder_problem(relative: &str, problem: EntryProblem) -> EntryProblem {
    match problem {
        EntryProblem::Unreadable(_) if is_hidden(relative) => {
            EntryProblem::Ignored("隐藏文件夹，已忽略 (hidden folder, ignored)".to_string())
        }
        problem => problem,
    }
}

/// Names in a zlbd warehouse (kept in step with `warehouse::{runs::RUNS_FILE,
/// lock::LOCK_FILE, SNAPSHOTS, CURRENT}`; ingest sits below warehouse and cannot import them).
const WAREHOUSE_RUNS: &str = "runs.parquet";
const WAREHOUSE_LOCK: &str = "zlbd.lock";
const WAREHOUSE_SNAPSHOTS: &str = "snapshots";
const WAREHOUSE_CURRENT: &str = "current";
/// The summary workbook that `zlbd validate --out` writes beside `<submitter>_反馈.xlsx`.
const FEEDBACK_SUMMARY: &str = "汇总.xlsx";
const FEEDBACK_SUFFIX: &str = "_反馈.xlsx";
/// The marker `zlbd validate` leaves in its `--out` folder.
pub const FEEDBACK_MARKER: &str = ".zlbd-feedback";

/// Whether a folder was written by zlbd: a warehouse (its runs log or lock, or `snapshots/`
/// with `current`) or a feedback folder (the marker, or 汇总.xlsx with `*_反馈.xlsx` beside it).
fn written_by_zlbd(dir: &Path) -> Option<&'static str> {
    let has = |name: &str| fs::symlink_metadata(dir.join(name)).is_ok();
    if has(WAREHOUSE_RUNS)
        || has(WAREHOUSE_LOCK)
        || (dir.join(WAREHOUSE_SNAPSHOTS).is_dir() && has(WAREHOUSE_CURRENT))
    {
        return Some(
            "zlbd数据仓库文件夹，不作为报表读取 (a zlbd warehouse folder, not read as input)",
        );
    }
    let feedback = has(FEEDBACK_MARKER)
        || (has(FEEDBACK_SUMMARY)
            && fs::read_dir(dir).is_ok_and(|entries| {
                entries.flatten().any(|entry| {
                    entry
                        .file_name()
                        .to_str()
                        .is_some_and(|name| name.ends_with(FEEDBACK_SUFFIX))
                })
            }));
    feedback
        .then_some("zlbd反馈报告文件夹，不作为报表读取 (a zlbd feedback folder, not read as input)")
}

/// A folder waiting to be listed.
struct Pending {
    path: PathBuf,
    relative: String,
    identity: Identity,
    /// Identities of the folders above it, for loop detection.
    ancestors: Vec<Identity>,
}

/// The walk's state: what was found, which folders were read, which are not to be read.
struct Walk {
    found: Vec<InboxFile>,
    /// Folders already read, by identity → their relative path ("" for the inbox).
    read: HashMap<Identity, String>,
    excluded: HashSet<Identity>,
    /// Folders reached without a symbolic link, walked first so that a real folder keeps its
    /// own path when a link also reaches it.
    direct: Vec<Pending>,
    /// Folders reached through a symbolic link.
    linked: Vec<Pending>,
}

/// Every entry below the inbox, sorted by relative path: regular files to read, and one entry
/// with its [`EntryProblem`] for each thing that is not read. `exclude` names folders that are
/// never input (this run's warehouse and feedback folders). Fails only when the inbox folder
/// itself cannot be read.
pub fn discover(inbox: &Path, exclude: &[PathBuf]) -> io::Result<Vec<InboxFile>> {
    let root = fs::metadata(inbox)?;
    if !root.is_dir() {
        return Err(io::Error::other("not a folder"));
    }
    let mut walk = Walk {
        found: Vec::new(),
        read: HashMap::new(),
        excluded: exclude
            .iter()
            .filter_map(|path| fs::metadata(path).ok())
            .filter(Metadata::is_dir)
            .map(|metadata| identity(&metadata))
            .collect(),
        direct: Vec::new(),
        linked: Vec::new(),
    };
    let root = Pending {
        path: inbox.to_path_buf(),
        relative: String::new(),
        identity: identity(&root),
        ancestors: Vec::new(),
    };
    walk.read.insert(root.identity, String::new());
    // The inbox itself must be listable: an unmounted share or a wrong --inbox stops the run.
    let entries = list(&root.path)?;
    walk.entries(&root, entries);
    while let Some(dir) = walk.direct.pop().or_else(|| walk.linked.pop()) {
        walk.folder(dir);
    }
    walk.found.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(walk.found)
}

/// A folder's entries sorted by name, each with the error it raised, if any.
fn list(dir: &Path) -> io::Result<Vec<io::Result<fs::DirEntry>>> {
    let mut entries: Vec<io::Result<fs::DirEntry>> = fs::read_dir(dir)?.collect();
    entries.sort_by(|a, b| match (a, b) {
        (Ok(a), Ok(b)) => a.file_name().cmp(&b.file_name()),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => std::cmp::Ordering::Equal,
    });
    Ok(entries)
}

impl Walk {
    /// One folder below the inbox: read it, unless it is excluded, a zlbd folder, or already
    /// read through another path.
    fn folder(&mut self, dir: Pending) {
        let skip = |reason: String| {
            InboxFile::problem(
                dir.path.clone(),
                dir.relative.clone(),
                EntryProblem::Ignored(reason),
            )
        };
        if let Some(first) = self.read.get(&dir.identity) {
            let reason = if dir.ancestors.contains(&dir.identity) {
                format!(
                    "符号链接循环：“{0}”指向其上级文件夹“{1}”，已忽略 (symbolic link loop: {0} leads back to {1}, ignored)",
                    dir.relative,
                    if first.is_empty() { "." } else { first }
                )
            } else {
                format!(
                    "“{0}”与“{1}”是同一文件夹，已按“{1}”读取 (the same folder as {1}, read there)",
                    dir.relative,
                    if first.is_empty() { "." } else { first }
                )
            };
            let entry = skip(reason);
            self.found.push(entry);
            return;
        }
        if self.excluded.contains(&dir.identity) {
            let entry = skip(
                "本次运行的数据仓库或反馈文件夹，不作为报表读取 (this run's own warehouse or feedback folder, not read as input)"
                    .to_string(),
            );
            self.found.push(entry);
            return;
        }
        if let Some(reason) = written_by_zlbd(&dir.path) {
            let entry = skip(reason.to_string());
            self.found.push(entry);
            return;
        }
        self.read.insert(dir.identity, dir.relative.clone());
        match list(&dir.path) {
            Ok(entries) => self.entries(&dir, entries),
            Err(error) => {
                let problem =
                    folder_problem(&dir.relative, unreadable_folder(&dir.relative, &error));
                self.found
                    .push(InboxFile::problem(dir.path, dir.relative, problem));
            }
        }
    }

    /// A listed folder's entries: files found, folders queued, problems recorded. Each entry
    /// is looked at (its name escaped, its metadata read) side by side, then taken in order.
    fn entries(&mut self, dir: &Pending, entries: Vec<io::Result<fs::DirEntry>>) {
        let looked: Vec<io::Result<Looked>> = entries
            .into_par_iter()
            .map(|entry| entry.map(|entry| Looked::at(&dir.relative, &entry)))
            .collect();
        let mut listing_failed = false;
        for entry in looked {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    // Part of the folder could not be listed: one row for the folder.
                    if !listing_failed && !dir.relative.is_empty() {
                        let problem =
                            folder_problem(&dir.relative, unreadable_folder(&dir.relative, &error));
                        self.found.push(InboxFile::problem(
                            dir.path.clone(),
                            dir.relative.clone(),
                            problem,
                        ));
                    } else if !listing_failed {
                        tracing::warn!(folder = %dir.path.display(), error = %error, "Part of the inbox folder could not be listed.");
                    }
                    listing_failed = true;
                    continue;
                }
            };
            self.entry(dir, entry);
        }
    }

    fn entry(&mut self, dir: &Pending, entry: Looked) {
        let Looked {
            path,
            relative,
            is_link,
            metadata,
        } = entry;
        let metadata = match metadata {
            Ok(metadata) => metadata,
            Err(error) if is_link && error.kind() == io::ErrorKind::NotFound => {
                let target = fs::read_link(&path)
                    .map(|target| escape_name(target.as_os_str()))
                    .unwrap_or_default();
                let problem = EntryProblem::Ignored(format!(
                    "符号链接指向的“{target}”不存在，已忽略 (dangling symbolic link {relative} → {target}, ignored)"
                ));
                self.found.push(InboxFile::problem(path, relative, problem));
                return;
            }
            Err(error) => {
                let problem = file_problem(&relative, unreadable_file(&relative, &error));
                self.found.push(InboxFile::problem(path, relative, problem));
                return;
            }
        };
        if metadata.is_dir() {
            let mut ancestors = dir.ancestors.clone();
            ancestors.push(dir.identity);
            let pending = Pending {
                path,
                relative,
                identity: identity(&metadata),
                ancestors,
            };
            if is_link {
                self.linked.push(pending);
            } else {
                self.direct.push(pending);
            }
            return;
        }
        if let Some(kind) = special_kind(&metadata) {
            let problem = not_a_file(&relative, kind);
            self.found.push(InboxFile::problem(path, relative, problem));
            return;
        }
        self.found.push(InboxFile {
            path,
            relative,
            size: metadata.len(),
            modified_ns: modified_ns(&metadata),
            problem: None,
            stamp: Stamp::of(&metadata),
        });
    }
}

/// A folder entry as looked at: its path, its name below the inbox, and its metadata (a
/// link's target's).
struct Looked {
    path: PathBuf,
    relative: String,
    is_link: bool,
    metadata: io::Result<Metadata>,
}

impl Looked {
    fn at(folder: &str, entry: &fs::DirEntry) -> Looked {
        let path = entry.path();
        let relative = join(folder, &escape_name(&entry.file_name()));
        let is_link = entry.file_type().is_ok_and(|kind| kind.is_symlink());
        // A link is followed; anything else is looked at as it is.
        let metadata = if is_link {
            fs::metadata(&path)
        } else {
            fs::symlink_metadata(&path)
        };
        Looked {
            path,
            relative,
            is_link,
            metadata,
        }
    }
}

/// One file, named relative to `base` (the inbox; for a lone file, the empty path names it by
/// its file name). A FIFO, socket or device is an entry with its problem; a folder or a path
/// that does not exist is an error.
pub fn inbox_file(path: &Path, base: &Path) -> io::Result<InboxFile> {
    let metadata = fs::metadata(path)?;
    if metadata.is_dir() {
        return Err(io::Error::other("is a folder, not a file"));
    }
    let relative = match path.strip_prefix(base) {
        Ok(inside) if !base.as_os_str().is_empty() => inside,
        _ => Path::new(path.file_name().unwrap_or(path.as_os_str())),
    };
    let relative = relative
        .components()
        .map(|part| escape_name(part.as_os_str()))
        .collect::<Vec<_>>()
        .join("/");
    let problem = special_kind(&metadata).map(|kind| not_a_file(&relative, kind));
    Ok(InboxFile {
        path: path.to_path_buf(),
        relative,
        size: if problem.is_some() { 0 } else { metadata.len() },
        modified_ns: modified_ns(&metadata),
        stamp: if problem.is_some() {
            Stamp::default()
        } else {
            Stamp::of(&metadata)
        },
        problem,
    })
}

/// A file's bytes, read through a handle whose type is checked first (a FIFO is opened without
/// blocking and never read), and never more than `limits.max_file_bytes + 1` bytes (a file that
/// grew, or a device, cannot make zlbd read without bound).
pub fn read_limited(file: &InboxFile, limits: &Limits) -> Result<Vec<u8>, EntryProblem> {
    let relative = file.relative.as_str();
    let handle = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(&file.path)
        .map_err(|error| file_problem(relative, unreadable_file(relative, &error)))?;
    let metadata = handle
        .metadata()
        .map_err(|error| file_problem(relative, unreadable_file(relative, &error)))?;
    if let Some(kind) = special_kind(&metadata) {
        return Err(not_a_file(relative, kind));
    }
    let limit = limits.max_file_bytes;
    let mut bytes = Vec::with_capacity(metadata.len().min(limit.saturating_add(1)) as usize);
    handle
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| file_problem(relative, unreadable_file(relative, &error)))?;
    if let Err(too_large) = super::workbook::check_file_size(bytes.len() as u64, limits) {
        return Err(EntryProblem::Unreadable(too_large.to_string()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    fn name(bytes: &[u8]) -> OsString {
        OsString::from_vec(bytes.to_vec())
    }

    #[test]
    fn invalid_utf8_bytes_are_written_as_hex_and_valid_text_is_kept() {
        // 中南 in GBK, then .xlsx
        assert_eq!(
            escape_name(&name(b"\xd6\xd0\xc4\xcf.xlsx")),
            "\\xD6\\xD0\\xC4\\xCF.xlsx"
        );
        // 企业 in GBK: its last two bytes happen to be valid UTF-8 (ҵ), kept as they are.
        assert_eq!(
            escape_name(&name(b"\xc6\xf3\xd2\xb5.xlsx")),
            "\\xC6\\xF3\u{4b5}.xlsx"
        );
        assert_eq!(escape_name(&name("济南_a.xlsx".as_bytes())), "济南_a.xlsx");
        assert_eq!(
            escape_name(&name(b"\xe6\xb5\x8e\xff.xls")),
            "\u{6d4e}\\xFF.xls"
        );
    }

    #[test]
    fn two_different_names_never_give_the_same_text() {
        let names: Vec<&[u8]> = vec![
            b"\xd6",
            b"\\xD6",
            b"\\x5CxD6",
            b"\\\xd6",
            b"\\\\xD6",
            b"\\x",
            b"\\xZ1",
            b"a\\b",
        ];
        let texts: HashSet<String> = names
            .iter()
            .map(|bytes| escape_name(&name(bytes)))
            .collect();
        assert_eq!(texts.len(), names.len(), "{texts:?}");
        assert_eq!(escape_name(&name(b"a\\b")), "a\\b");
    }

    /// The inverse of [`escape_name`], for the property below.
    fn unescape(text: &str) -> Vec<u8> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let hex = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
            if bytes[at] == b'\\' && bytes.get(at + 1) == Some(&b'x') && hex(at + 2) && hex(at + 3)
            {
                out.push(u8::from_str_radix(&text[at + 2..at + 4], 16).unwrap());
                at += 4;
            } else {
                out.push(bytes[at]);
                at += 1;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn escaping_a_name_loses_nothing(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'\\'),
                    proptest::strategy::Just(b'x'),
                    proptest::strategy::Just(b'D'),
                    proptest::strategy::Just(b'6'),
                    proptest::num::u8::ANY,
                ],
                0..24,
            )
        ) {
            proptest::prop_assume!(!bytes.contains(&0) && !bytes.contains(&b'/'));
            let text = escape_name(&name(&bytes));
            proptest::prop_assert_eq!(unescape(&text), bytes);
        }
    }
}
