//! Nothing lost: the editor text is kept in a recovery file (atomic writes, mode 0600, in the
//! state folder) and offered back on the next start; panics leave a short report there too.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// This session's recovery file. Its name is unique per session (time, PID and randomness: in
/// containers and PID namespaces every start can get the same PID, and a PID-named file was
/// overwritten by the next session), and the session holds an exclusive lock on a companion
/// `.lock` file for as long as it runs, so another session can tell a live file from a left-over
/// one without guessing from PIDs.
#[derive(Debug, Clone)]
pub struct Recovery {
    pub dir: PathBuf,
    pub path: PathBuf,
    /// Held (locked) for the life of the session; `None` if the lock file could not be made.
    lock: Option<std::sync::Arc<std::fs::File>>,
}

impl Recovery {
    pub fn new(dir: PathBuf) -> Recovery {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Randomly keyed per process by std (from the OS), so two sessions never share a name.
        let random = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(nanos);
            format!("{:016x}", h.finish())
        };
        let id = format!("{nanos}-{}-{random}", std::process::id());
        let path = dir.join(format!("recovery-{id}.txt"));
        let lock = ensure_private_dir(&dir)
            .and_then(|_| {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .mode_private()
                    .open(dir.join(format!("recovery-{id}.lock")))?;
                f.try_lock()?;
                Ok(std::sync::Arc::new(f))
            })
            .ok();
        Recovery { dir, path, lock }
    }

    /// Writes `text` atomically (temp file in the same folder, fsync, rename), readable only by
    /// the user. Empty text removes the file. On error (full disk...) the old file is intact.
    pub fn write(&self, text: &str) -> std::io::Result<()> {
        self.write_for(text, None)
    }

    /// Like [`Recovery::write`], remembering the file the text belongs to (`recovery-<id>.path`
    /// next to it), so restoring keeps the original file name.
    pub fn write_for(&self, text: &str, original: Option<&Path>) -> std::io::Result<()> {
        if text.trim().is_empty() {
            self.remove();
            return Ok(());
        }
        let meta = meta_path(&self.path);
        match original {
            Some(p) => {
                use std::os::unix::ffi::OsStrExt;
                let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
                write_private(&self.dir, &meta, abs.as_os_str().as_bytes())?
            }
            None => {
                let _ = std::fs::remove_file(&meta);
            }
        }
        write_private(&self.dir, &self.path, text.as_bytes())
    }

    pub fn remove(&self) {
        remove_recovery_file(&self.path);
    }

    /// The newest recovery file left by a session that is no longer running. A file whose
    /// `.lock` is held belongs to a live session.
    pub fn find_previous(&self) -> Option<crate::tui::app::Recovered> {
        let mut found: Vec<(SystemTime, PathBuf)> = std::fs::read_dir(&self.dir)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let id = name.strip_prefix("recovery-")?.strip_suffix(".txt")?;
                if e.path() == self.path || session_is_alive(&self.dir, id) {
                    return None; // ours, or a session still running
                }
                Some((e.metadata().ok()?.modified().ok()?, e.path()))
            })
            .collect();
        found.sort();
        let (when, path) = found.pop()?;
        let text = std::fs::read_to_string(&path).ok()?;
        let original = std::fs::read(meta_path(&path)).ok().and_then(|b| {
            use std::os::unix::ffi::OsStrExt;
            (!b.is_empty()).then(|| PathBuf::from(std::ffi::OsStr::from_bytes(&b)))
        });
        Some(crate::tui::app::Recovered {
            path,
            text,
            age: ago(when),
            original,
        })
    }
}

impl Drop for Recovery {
    fn drop(&mut self) {
        // The last clone of a session removes its lock file (the lock itself ends with the file
        // handle). A left-over recovery file without one is simply not live.
        if let Some(lock) = self.lock.take()
            && std::sync::Arc::strong_count(&lock) == 1
        {
            let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(id) = name
                .strip_prefix("recovery-")
                .and_then(|n| n.strip_suffix(".txt"))
            {
                let _ = std::fs::remove_file(self.dir.join(format!("recovery-{id}.lock")));
            }
        }
    }
}

/// `recovery-<id>.path` for `recovery-<id>.txt`: the file that session was editing.
fn meta_path(recovery: &Path) -> PathBuf {
    recovery.with_extension("path")
}

/// Removes a recovery file and what it remembers.
pub fn remove_recovery_file(path: &Path) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(meta_path(path));
}

/// Atomically writes `bytes` to `path` in `dir`, mode 0600.
fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    ensure_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".recovery-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether the session that owns recovery file `id` is still running: its lock file is locked.
/// Files from older versions (`recovery-<pid>.txt`, no lock file) fall back to the PID check.
fn session_is_alive(dir: &Path, id: &str) -> bool {
    let lock = dir.join(format!("recovery-{id}.lock"));
    match std::fs::OpenOptions::new().write(true).open(&lock) {
        Ok(f) => match f.try_lock() {
            Ok(()) => false,
            Err(std::fs::TryLockError::WouldBlock) => true,
            Err(_) => false,
        },
        Err(_) => id
            .parse::<u32>()
            .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists()),
    }
}

fn ago(when: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(when)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match secs {
        0..120 => format!("{secs} s ago"),
        120..7200 => format!("{} min ago", secs / 60),
        7200..172_800 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Panic reports kept in the state folder (older ones are deleted when a new one is written).
pub const KEEP_PANIC_REPORTS: usize = 5;

/// Writes a short panic report in the state folder; returns its path. Keeps only the newest
/// [`KEEP_PANIC_REPORTS`], so repeated crashes cannot fill the disk.
pub fn write_panic_report(dir: &Path, info: &str) -> Option<PathBuf> {
    ensure_private_dir(dir).ok()?;
    prune_panic_reports(dir, KEEP_PANIC_REPORTS.saturating_sub(1));
    let ts = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let path = dir.join(format!("panic-{ts}-{}.txt", std::process::id()));
    let report = format!(
        "mitremap {} panicked\n\n{info}\n\nbacktrace:\n{}\n",
        env!("CARGO_PKG_VERSION"),
        std::backtrace::Backtrace::force_capture()
    );
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode_private()
        .open(&path)
        .ok()?;
    f.write_all(report.as_bytes()).ok()?;
    Some(path)
}

trait ModePrivate {
    fn mode_private(&mut self) -> &mut Self;
}

impl ModePrivate for std::fs::OpenOptions {
    fn mode_private(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
}

/// Deletes all but the newest `keep` panic reports (by name: `panic-<unix secs>-<pid>.txt`).
pub fn prune_panic_reports(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut reports: Vec<(u64, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let secs = name
                .strip_prefix("panic-")?
                .split('-')
                .next()?
                .parse()
                .ok()?;
            name.ends_with(".txt").then(|| (secs, e.path()))
        })
        .collect();
    reports.sort();
    let excess = reports.len().saturating_sub(keep);
    for (_, path) in reports.into_iter().take(excess) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod panic_report_tests {
    use super::*;

    #[test]
    fn only_the_newest_panic_reports_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for secs in [100, 200, 300, 400, 500, 600, 700] {
            std::fs::write(dir.path().join(format!("panic-{secs}-42.txt")), "x").unwrap();
        }
        std::fs::write(dir.path().join("recovery-1.txt"), "keep me").unwrap();
        let written = write_panic_report(dir.path(), "boom").unwrap();
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("panic-"))
            .collect();
        left.sort();
        assert_eq!(left.len(), KEEP_PANIC_REPORTS, "{left:?}");
        assert!(left.contains(&written.file_name().unwrap().to_string_lossy().into_owned()));
        for gone in ["panic-100-42.txt", "panic-200-42.txt", "panic-300-42.txt"] {
            assert!(!left.iter().any(|n| n == gone), "{gone} kept: {left:?}");
        }
        assert!(left.iter().any(|n| n == "panic-400-42.txt"), "{left:?}");
        assert!(dir.path().join("recovery-1.txt").exists());
    }
}
