//! Where mitremap finds the ONNX Runtime library and its models, and which of those places it
//! trusts.
//!
//! Code and models are loaded only from places the user chose or installed, never from the
//! working directory or its parents (a library planted in a shared parent such as
//! `/tmp/.ort/lib/` would otherwise run its initialisers inside mitremap). The order, first hit
//! wins:
//!
//! | what | 1. explicit | 2. environment | 3. installation | 4. user data |
//! |---|---|---|---|---|
//! | runtime | `--ort-lib` | `$ORT_DYLIB_PATH` | beside the executable, `<prefix>/lib/`, the build checkout's `.ort/lib/` | `$XDG_DATA_HOME/mitremap/lib/` |
//! | model | `--model` | `$MITREMAP_MODEL` | `<prefix>/share/mitremap/models/`, the build checkout's `models/` | `$XDG_DATA_HOME/mitremap/models/` |
//!
//! `<prefix>` is the folder above the executable's `bin/` (a release archive unpacked anywhere,
//! see `tools/package.sh`: `bin/mitremap`, `lib/libonnxruntime.so`,
//! `share/mitremap/models/default/`).
//! The *build checkout* is the source tree a `cargo build` binary sits in
//! (`<checkout>/target/<profile>/mitremap`, recognised by `<checkout>/Cargo.toml`): that is how
//! `cargo run` and `cargo test` find the runtime and model; it is the executable's own location,
//! not the working directory, and an installed executable (in a `bin/` folder) never has one.
//!
//! Every file loaded, and every folder above it, must pass [`ensure_trusted`]: owned by the user
//! or root and not writable by anyone else.

use std::path::{Path, PathBuf};

/// File names the ONNX Runtime library is looked up under in a folder.
pub const RUNTIME_NAMES: &[&str] = &[
    "libonnxruntime.so",
    "libonnxruntime.so.1",
    "libonnxruntime.dylib",
    "onnxruntime.dll",
];

/// The folder holding the running executable.
pub fn exe_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // Resolve a symlinked launcher (`~/bin/mitremap -> /opt/mitremap/bin/mitremap`) to the
    // installation it belongs to.
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    exe.parent().map(Path::to_path_buf)
}

/// The release prefix: the folder above `bin/` when the executable lives in a `bin/` folder.
pub fn install_prefix() -> Option<PathBuf> {
    install_prefix_of(&exe_dir()?)
}

/// [`install_prefix`] for an executable in `exe_dir`.
pub fn install_prefix_of(exe_dir: &Path) -> Option<PathBuf> {
    (exe_dir.file_name()? == "bin").then(|| exe_dir.parent().map(Path::to_path_buf))?
}

/// The source checkout a `cargo build` executable lives in: `<checkout>/target/...` within a few
/// levels of the executable, with a `Cargo.toml` beside `target/`.
pub fn build_checkout() -> Option<PathBuf> {
    build_checkout_of(&exe_dir()?)
}

/// [`build_checkout`] for an executable in `exe_dir`. An installed executable (one in a `bin/`
/// folder: a release archive, `cargo install`) never has a build checkout, even when its prefix
/// happens to sit under a `target/` folder next to a `Cargo.toml`: it only reads its own
/// installation and the user's data folder.
pub fn build_checkout_of(exe_dir: &Path) -> Option<PathBuf> {
    if install_prefix_of(exe_dir).is_some() {
        return None;
    }
    exe_dir
        .ancestors()
        .take(4)
        .find(|d| d.file_name().is_some_and(|n| n == "target"))
        .and_then(Path::parent)
        .filter(|root| root.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// `$XDG_DATA_HOME` when absolute, else `~/.local/share`.
pub fn xdg_data_home() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })
}

/// `$XDG_DATA_HOME/mitremap` (default `~/.local/share/mitremap`).
pub fn user_data_dir() -> Option<PathBuf> {
    Some(xdg_data_home()?.join("mitremap"))
}

/// Folders that may hold the runtime library, in lookup order (after `--ort-lib` and
/// `$ORT_DYLIB_PATH`).
pub fn runtime_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    out.extend(exe_dir());
    out.extend(install_prefix().map(|p| p.join("lib")));
    out.extend(build_checkout().map(|c| c.join(".ort/lib")));
    out.extend(user_data_dir().map(|d| d.join("lib")));
    out.dedup();
    out
}

/// Folders that may hold installed models (each model a sub-folder), in lookup order (after
/// `--model` and `$MITREMAP_MODEL`).
pub fn model_roots() -> Vec<PathBuf> {
    let mut out = Vec::new();
    out.extend(install_prefix().map(|p| p.join("share/mitremap/models")));
    out.extend(build_checkout().map(|c| c.join("models")));
    out.extend(user_data_dir().map(|d| d.join("models")));
    out.dedup();
    out
}

/// Refuses a path that another user could have written: the file (or folder) itself and every
/// folder above it must be owned by the current user or root and not be writable by group or
/// others. Two exceptions keep normal systems working: a sticky world-writable folder above the
/// path (`/tmp`: others cannot replace entries they do not own), and group write when the group
/// is the user's own primary group (Debian-style private user groups with umask 002).
/// Returns a one-line reason on refusal.
#[cfg(unix)]
pub fn ensure_trusted(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;

    let real = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // SAFETY: geteuid/getegid have no preconditions and cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    for (depth, p) in real.ancestors().enumerate() {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let facts = PathFacts {
            owner: meta.uid(),
            group: meta.gid(),
            mode: meta.mode(),
            is_dir: meta.is_dir(),
            is_target: depth == 0,
        };
        if let Some(why) = facts.untrusted_because(uid, gid) {
            let shown = if depth == 0 {
                p.display().to_string()
            } else {
                format!("{} (a folder above {})", p.display(), real.display())
            };
            return Err(format!(
                "refusing to load {}: {shown} {why}",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Non-Unix platforms have no owner/mode bits to check here.
#[cfg(not(unix))]
pub fn ensure_trusted(_path: &Path) -> Result<(), String> {
    Ok(())
}

/// What [`ensure_trusted`] looks at for one path component (pure, so it is testable for any
/// owner without root).
#[derive(Debug, Clone, Copy)]
pub struct PathFacts {
    pub owner: u32,
    pub group: u32,
    pub mode: u32,
    pub is_dir: bool,
    /// The file or folder being loaded (not a folder above it).
    pub is_target: bool,
}

impl PathFacts {
    /// Why this component cannot be trusted by user `uid` (primary group `gid`), if it cannot.
    pub fn untrusted_because(&self, uid: u32, gid: u32) -> Option<String> {
        const STICKY: u32 = 0o1000;
        if self.owner != uid && self.owner != 0 {
            return Some(format!(
                "is owned by another user (uid {}); only your own or root's files are loaded",
                self.owner
            ));
        }
        let sticky_dir = self.is_dir && !self.is_target && self.mode & STICKY != 0;
        if self.mode & 0o002 != 0 && !sticky_dir {
            return Some("is writable by every user (chmod o-w to trust it)".into());
        }
        if self.mode & 0o020 != 0 && !sticky_dir && !(self.group == gid && self.owner == uid) {
            return Some(format!(
                "is writable by group {} (chmod g-w to trust it)",
                self.group
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{PathFacts, build_checkout_of, install_prefix_of};
    use std::path::Path;

    #[test]
    fn cargo_build_outputs_have_a_checkout_installed_executables_do_not() {
        let tmp = tempfile::tempdir().unwrap();
        let checkout = tmp.path().join("src");
        std::fs::create_dir_all(checkout.join("target/dist/bin")).unwrap();
        std::fs::create_dir_all(checkout.join("target/release/deps")).unwrap();
        std::fs::write(checkout.join("Cargo.toml"), "").unwrap();
        for dir in ["target/release", "target/release/deps"] {
            assert_eq!(
                build_checkout_of(&checkout.join(dir)),
                Some(checkout.clone())
            );
            assert_eq!(install_prefix_of(&checkout.join(dir)), None);
        }
        // An archive unpacked inside a checkout's target/ reads its own prefix, not the checkout.
        let bin = checkout.join("target/dist/bin");
        assert_eq!(build_checkout_of(&bin), None);
        assert_eq!(install_prefix_of(&bin), Some(checkout.join("target/dist")));
        assert_eq!(build_checkout_of(Path::new("/opt/mitremap/bin")), None);
    }

    const ME: u32 = 1000;
    const MY_GROUP: u32 = 1000;

    fn facts(owner: u32, group: u32, mode: u32, is_dir: bool, is_target: bool) -> PathFacts {
        PathFacts {
            owner,
            group,
            mode,
            is_dir,
            is_target,
        }
    }

    #[test]
    fn own_and_root_files_without_foreign_write_are_trusted() {
        assert!(
            facts(ME, MY_GROUP, 0o644, false, true)
                .untrusted_because(ME, MY_GROUP)
                .is_none()
        );
        assert!(
            facts(0, 0, 0o755, true, false)
                .untrusted_because(ME, MY_GROUP)
                .is_none()
        );
        // Private user group (umask 002): group write by the user's own group is fine.
        assert!(
            facts(ME, MY_GROUP, 0o664, false, true)
                .untrusted_because(ME, MY_GROUP)
                .is_none()
        );
        // /tmp: sticky and world-writable, as a folder above the target.
        assert!(
            facts(0, 0, 0o41777, true, false)
                .untrusted_because(ME, MY_GROUP)
                .is_none()
        );
    }

    #[test]
    fn foreign_owner_or_foreign_write_is_refused() {
        let why = facts(1001, 1001, 0o755, false, true).untrusted_because(ME, MY_GROUP);
        assert!(why.unwrap().contains("another user"));
        let why = facts(ME, MY_GROUP, 0o666, false, true).untrusted_because(ME, MY_GROUP);
        assert!(why.unwrap().contains("every user"));
        let why = facts(0, 50, 0o775, true, false).untrusted_because(ME, MY_GROUP);
        assert!(why.unwrap().contains("group 50"));
        // A sticky folder is fine above the target, not as the model folder itself.
        let why = facts(ME, MY_GROUP, 0o1777, true, true).untrusted_because(ME, MY_GROUP);
        assert!(why.unwrap().contains("every user"));
    }
}
