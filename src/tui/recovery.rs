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

/// Writes a short panic report in the state folder; returns its path.
pub fn write_panic_report(dir: &Path, info: &str) -> Option<PathBuf> {
    ensure_private_dir(dir).ok()?;
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
