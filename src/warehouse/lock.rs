//! One run at a time per warehouse: an exclusive `flock` on `zlbd.lock`.
//!
//! The kernel drops a flock when its holder dies, even by `kill -9`, so a lock file left by a
//! killed run is never mistaken for a live one: the next run takes it and says it recovered.
//!
//! A flock belongs to a file (an inode), not to a path. If someone deletes `zlbd.lock` while a
//! run holds it ("clearing a stale lock"), a second run creates a new file and locks that one:
//! both would believe they hold the warehouse. So the holder remembers the device and inode it
//! locked, and [`WarehouseLock::verify`] checks, before anything is switched, that the file at
//! the path is still that one. Only "held by another run" is [`LockError::Held`] (exit 4); every
//! other failure (ENOLCK on a network filesystem, a read-only or full disk, a warehouse path
//! that is a file) is reported with its cause (exit 1).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "zlbd.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The path given as the warehouse is a file, or a published snapshot (or inside one):
    /// `--warehouse` is the folder that holds `current` and `snapshots/`.
    #[error("{path} is not a warehouse folder: {why}")]
    NotAWarehouse { path: PathBuf, why: String },
    /// Another live process holds the lock.
    #[error("another zlbd run holds the warehouse lock {path} ({holder}); try again when it has finished")]
    Held { path: PathBuf, holder: String },
    /// The lock file could not be opened, created or written.
    #[error("cannot use the warehouse lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `flock` itself failed for a reason other than another holder (e.g. ENOLCK: locks are
    /// not supported on this filesystem).
    #[error("cannot lock the warehouse lock {path}: {source} (locking is not available here; the warehouse needs a local filesystem or one with working flock)")]
    Flock {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file at the lock path is no longer the one this process locked: it was deleted or
    /// replaced while held, so another run may be writing the warehouse too.
    #[error("the warehouse lock {path} was deleted or replaced while this run held it ({what}); another run may be writing this warehouse, so this run publishes nothing. Never delete zlbd.lock: a lock left by a dead run is recovered automatically")]
    Lost { path: PathBuf, what: String },
}

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct WarehouseLock {
    file: File,
    path: PathBuf,
    /// (device, inode) of the file this process locked.
    identity: (u64, u64),
    /// What the previous holder wrote, when it died without cleaning up.
    pub recovered_from: Option<String>,
}

fn identity(metadata: &std::fs::Metadata) -> (u64, u64) {
    (metadata.dev(), metadata.ino())
}

/// flock(LOCK_EX | LOCK_NB) on `file`: Ok(true) taken, Ok(false) held by someone else.
/// `ZLBD_FAILPOINT=flock-fails` makes it fail with ENOLCK, as on a filesystem without locks.
pub(crate) fn try_flock(file: &File) -> std::io::Result<bool> {
    if crate::failpoint::active("flock-fails") {
        return Err(std::io::Error::from_raw_os_error(libc::ENOLCK));
    }
    // SAFETY: flock on a file descriptor we own; no memory is touched.
    let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if status == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(code) if code == libc::EWOULDBLOCK || code == libc::EAGAIN => Ok(false),
        _ => Err(error),
    }
}

/// A file, a published snapshot, or a folder inside another warehouse (`warehouse/current`,
/// `warehouse/snapshots`: plausible slips, since BI tools read there) is no warehouse: a run
/// would build one inside it.
fn refuse_non_warehouse(warehouse: &Path) -> Result<(), LockError> {
    let refuse = |why: String| {
        Err(LockError::NotAWarehouse {
            path: warehouse.to_path_buf(),
            why,
        })
    };
    if warehouse.exists() && !warehouse.is_dir() {
        return refuse("it is a file".to_string());
    }
    // Absolute first: the ancestors of a relative path stop at the working folder.
    let absolute = std::path::absolute(warehouse).unwrap_or_else(|_| warehouse.to_path_buf());
    for (depth, dir) in absolute.ancestors().enumerate() {
        let Ok(dir) = std::fs::canonicalize(dir) else {
            continue;
        };
        let snapshot = dir.join(super::snapshot::MANIFEST).is_file()
            && dir.parent().and_then(Path::file_name) == Some(super::SNAPSHOTS.as_ref());
        if snapshot {
            return refuse(format!(
                "it is the published snapshot {} or inside it; give the warehouse folder that holds current and snapshots/",
                dir.display()
            ));
        }
        let warehouse_folder = dir.join(LOCK_FILE).is_file()
            || (dir.join(super::SNAPSHOTS).is_dir() && dir.join(super::CURRENT).exists());
        if depth > 0 && warehouse_folder {
            return refuse(format!(
                "it is inside the warehouse {}; give that folder",
                dir.display()
            ));
        }
    }
    Ok(())
}

impl WarehouseLock {
    /// Takes the lock without waiting. Creates the warehouse folder when it does not exist.
    pub fn acquire(warehouse: &Path, holder: &str) -> Result<WarehouseLock, LockError> {
        let path = warehouse.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        refuse_non_warehouse(warehouse)?;
        std::fs::create_dir_all(warehouse).map_err(io)?;
        // A file deleted between our open and our flock is not the lock any more: look again.
        for _ in 0..5 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            let taken = try_flock(&file).map_err(|source| LockError::Flock {
                path: path.clone(),
                source,
            })?;
            let mut previous = String::new();
            let _ = file.read_to_string(&mut previous);
            let previous = previous.trim().to_string();
            if !taken {
                return Err(LockError::Held {
                    holder: holder_line(&mut file, previous),
                    path,
                });
            }
            let locked = identity(&file.metadata().map_err(io)?);
            match std::fs::metadata(&path) {
                Ok(now) if identity(&now) == locked => {}
                _ => continue,
            }
            file.set_len(0).map_err(io)?;
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            writeln!(file, "{holder}").map_err(io)?;
            file.sync_all().map_err(io)?;
            return Ok(WarehouseLock {
                file,
                path,
                identity: locked,
                recovered_from: (!previous.is_empty()).then_some(previous),
            });
        }
        Err(LockError::Lost {
            path,
            what: "it kept being replaced while the lock was taken".to_string(),
        })
    }

    /// Checks that the file at the lock path is still the one this process locked.
    pub fn verify(&self) -> Result<(), LockError> {
        match std::fs::metadata(&self.path) {
            Ok(now) if identity(&now) == self.identity => Ok(()),
            Ok(_) => Err(LockError::Lost {
                path: self.path.clone(),
                what: "another file is at its path now".to_string(),
            }),
            Err(error) => Err(LockError::Lost {
                path: self.path.clone(),
                what: format!("its path cannot be read: {error}"),
            }),
        }
    }
}

/// The holder's line. A holder that has just taken the lock may not have written it yet, so
/// look again for up to a quarter of a second before calling it unknown.
fn holder_line(file: &mut File, mut line: String) -> String {
    for _ in 0..25 {
        if !line.is_empty() {
            return line;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        let mut text = String::new();
        if file.seek(SeekFrom::Start(0)).is_ok() && file.read_to_string(&mut text).is_ok() {
            line = text.trim().to_string();
        }
    }
    if line.is_empty() {
        "holder unknown".to_string()
    } else {
        line
    }
}

impl Drop for WarehouseLock {
    fn drop(&mut self) {
        // Clear the holder line first so the next run does not report a recovery.
        let _ = self.file.set_len(0);
        // SAFETY: unlocking our own descriptor.
        unsafe {
            libc::flock(self.file.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_a_released_lock_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let first = WarehouseLock::acquire(dir.path(), "pid 1 run a").unwrap();
        assert!(first.recovered_from.is_none());
        let error = WarehouseLock::acquire(dir.path(), "pid 2 run b").unwrap_err();
        assert!(matches!(error, LockError::Held { .. }), "{error}");
        assert!(error.to_string().contains("pid 1 run a"), "{error}");
        drop(first);
        let again = WarehouseLock::acquire(dir.path(), "pid 3 run c").unwrap();
        assert!(again.recovered_from.is_none());
    }

    #[test]
    fn a_dead_holders_line_is_reported_as_recovered() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "pid 99999 run killed\n").unwrap();
        let lock = WarehouseLock::acquire(dir.path(), "pid 4 run d").unwrap();
        assert_eq!(lock.recovered_from.as_deref(), Some("pid 99999 run killed"));
    }

    #[test]
    fn a_deleted_or_replaced_lock_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let first = WarehouseLock::acquire(dir.path(), "pid 1 run a").unwrap();
        first.verify().unwrap();
        std::fs::remove_file(dir.path().join(LOCK_FILE)).unwrap();
        assert!(matches!(first.verify(), Err(LockError::Lost { .. })));
        // A second run now takes a new file; the first must not believe it still holds it.
        let second = WarehouseLock::acquire(dir.path(), "pid 2 run b").unwrap();
        second.verify().unwrap();
        let error = first.verify().unwrap_err();
        assert!(error.to_string().contains("deleted or replaced"), "{error}");
    }

    #[test]
    fn a_warehouse_path_that_is_a_file_is_no_warehouse_not_held() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("warehouse");
        std::fs::write(&file, "not a folder").unwrap();
        let error = WarehouseLock::acquire(&file, "pid 1").unwrap_err();
        assert!(matches!(error, LockError::NotAWarehouse { .. }), "{error}");
        assert!(error.to_string().contains("it is a file"), "{error}");
    }
}
