//! One run at a time per warehouse: an exclusive `flock` on `zlbd.lock`.
//!
//! The kernel drops a flock when its holder dies, even by `kill -9`, so a lock file left by a
//! killed run is never mistaken for a live one: the next run takes it and says it recovered.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "zlbd.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds the lock.
    #[error("another zlbd run holds the warehouse lock {path} ({holder}); try again when it has finished")]
    Held { path: PathBuf, holder: String },
    /// The lock file could not be opened.
    #[error("cannot open the warehouse lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct WarehouseLock {
    file: File,
    /// What the previous holder wrote, when it died without cleaning up.
    pub recovered_from: Option<String>,
}

impl WarehouseLock {
    /// Takes the lock without waiting.
    pub fn acquire(warehouse: &Path, holder: &str) -> Result<WarehouseLock, LockError> {
        let path = warehouse.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(warehouse).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // SAFETY: flock on a file descriptor we own; no memory is touched.
        let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        let mut previous = String::new();
        let _ = file.read_to_string(&mut previous);
        let previous = previous.trim().to_string();
        if status != 0 {
            return Err(LockError::Held {
                holder: holder_line(&mut file, previous),
                path,
            });
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{holder}").map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(WarehouseLock {
            file,
            recovered_from: (!previous.is_empty()).then_some(previous),
        })
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
}
