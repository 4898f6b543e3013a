//! Nothing lost: the editor text is kept in a recovery file (atomic writes, mode 0600, in the
//! state folder) and offered back on the next start; panics leave a short report there too.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// This session's recovery file.
#[derive(Debug, Clone)]
pub struct Recovery {
    pub dir: PathBuf,
    pub path: PathBuf,
}

impl Recovery {
    pub fn new(dir: PathBuf) -> Recovery {
        let path = dir.join(format!("recovery-{}.txt", std::process::id()));
        Recovery { dir, path }
    }

    /// Writes `text` atomically (temp file in the same folder, fsync, rename), readable only by
    /// the user. Empty text removes the file. On error (full disk...) the old file is intact.
    pub fn write(&self, text: &str) -> std::io::Result<()> {
        if text.trim().is_empty() {
            self.remove();
            return Ok(());
        }
        ensure_private_dir(&self.dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".recovery-")
            .suffix(".tmp")
            .tempfile_in(&self.dir)?;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// The newest recovery file left by a session that is no longer running:
    /// (path, text, "N minutes ago").
    pub fn find_previous(&self) -> Option<(PathBuf, String, String)> {
        let mut found: Vec<(SystemTime, PathBuf)> = std::fs::read_dir(&self.dir)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let pid = name.strip_prefix("recovery-")?.strip_suffix(".txt")?;
                let pid: u32 = pid.parse().ok()?;
                if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
                    return None; // ours, or a session still running
                }
                Some((e.metadata().ok()?.modified().ok()?, e.path()))
            })
            .collect();
        found.sort();
        let (when, path) = found.pop()?;
        let text = std::fs::read_to_string(&path).ok()?;
        Some((path, text, ago(when)))
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
