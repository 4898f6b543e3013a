//! Atomic writes: a temporary file in the target's folder, fsynced, then renamed over the target.
//! A failure at any point leaves the old file (if any) intact and no temporary file behind.
//!
//! Only a regular file (or a new path) is ever replaced. A symbolic link is followed and the
//! rules apply to what it points at; a FIFO, character or block device (`/dev/null`, a terminal,
//! a pipe) is written through in place, because renaming over it would replace the device node
//! itself (as root that once swapped `/dev/null` for a regular file); a directory or socket is
//! refused. A new file gets the mode the umask allows (`0666 & !umask`), an existing file keeps
//! its mode.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ExportError;

/// Writes `bytes` to `path` atomically. Refuses to replace an existing file unless `overwrite`.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), ExportError> {
    write_atomic_with(path, overwrite, |w| w.write_all(bytes))
}

/// Like [`write_atomic`], with the content produced by `fill` writing into the temporary file
/// (for streaming large exports). If `fill` fails, the temporary file is removed, the target is
/// left as it was, and the error is returned.
pub fn write_atomic_with<F>(path: &Path, overwrite: bool, fill: F) -> Result<(), ExportError>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let io = |source: std::io::Error| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (path, existing) = match Target::of(path).map_err(io)? {
        Target::New(p) => (p, None),
        Target::Regular(p, meta) => {
            if !overwrite {
                return Err(ExportError::Exists {
                    path: path.to_path_buf(),
                });
            }
            (p, Some(meta))
        }
        Target::WriteThrough(p) => return write_through(&p, fill).map_err(io),
        Target::Refused(kind) => {
            return Err(ExportError::NotAFile {
                path: path.to_path_buf(),
                kind,
            });
        }
    };
    let path = path.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Dropping `tmp` on any early return below deletes the temporary file.
    let mut tmp = tempfile::Builder::new()
        .prefix(".mitremap-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    {
        let mut writer = std::io::BufWriter::new(tmp.as_file_mut());
        fill(&mut writer).map_err(io)?;
        writer.flush().map_err(io)?;
    }
    set_mode(tmp.as_file(), existing.as_ref()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    if overwrite {
        tmp.persist(path).map_err(|e| io(e.error))?;
    } else {
        // Checked above too, but another process may have created the file since: the no-clobber
        // rename is what guarantees it is never replaced.
        tmp.persist_noclobber(path)
            .map_err(|e| match e.error.kind() {
                std::io::ErrorKind::AlreadyExists => ExportError::Exists {
                    path: path.to_path_buf(),
                },
                _ => io(e.error),
            })?;
    }
    // Make the rename itself durable (best effort: not every platform can open a directory).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Checks, before any work is done, that [`write_atomic_with`] could write `path`: refuses an
/// existing regular file without `overwrite`, and a directory, socket or dangling link always.
/// (The write checks again: this is for failing fast, before a long analysis.)
pub fn check_destination(path: &Path, overwrite: bool) -> Result<(), ExportError> {
    let target = Target::of(path).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match target {
        Target::Regular(..) if !overwrite => Err(ExportError::Exists {
            path: path.to_path_buf(),
        }),
        Target::Refused(kind) => Err(ExportError::NotAFile {
            path: path.to_path_buf(),
            kind,
        }),
        _ => Ok(()),
    }
}

/// What is at the path an export is asked to write.
enum Target {
    /// Nothing yet (the path to create).
    New(PathBuf),
    /// A regular file (after following symbolic links): replaced atomically.
    Regular(PathBuf, std::fs::Metadata),
    /// A FIFO or device: opened and written in place.
    WriteThrough(PathBuf),
    /// Anything else (a directory, a socket): refused with what it is.
    Refused(&'static str),
}

impl Target {
    fn of(path: &Path) -> std::io::Result<Target> {
        let link = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Target::New(path.to_path_buf()));
            }
            Err(e) => return Err(e),
        };
        // Follow a symbolic link: replacing the link with a file would silently detach it.
        let (resolved, meta) = if link.file_type().is_symlink() {
            match std::fs::canonicalize(path) {
                Ok(real) => {
                    let meta = std::fs::metadata(&real)?;
                    (real, meta)
                }
                // A dangling link: refuse rather than guess where the user meant to write.
                Err(_) => return Ok(Target::Refused("a dangling symbolic link")),
            }
        } else {
            (path.to_path_buf(), link)
        };
        let ft = meta.file_type();
        if ft.is_file() {
            return Ok(Target::Regular(resolved, meta));
        }
        if ft.is_dir() {
            return Ok(Target::Refused("a directory"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() || ft.is_char_device() || ft.is_block_device() {
                return Ok(Target::WriteThrough(resolved));
            }
            if ft.is_socket() {
                return Ok(Target::Refused("a socket"));
            }
        }
        Ok(Target::Refused("not a regular file"))
    }
}

/// Writes into an existing FIFO or device without replacing it (not atomic: there is no file).
fn write_through<F>(path: &Path, fill: F) -> std::io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    let mut writer = std::io::BufWriter::new(file);
    fill(&mut writer)?;
    writer.flush()
}

/// The temporary file is created 0600; give it the existing file's mode, or the umask's default.
#[cfg(unix)]
fn set_mode(file: &std::fs::File, existing: Option<&std::fs::Metadata>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match existing {
        Some(m) => m.permissions().mode() & 0o7777,
        None => 0o666 & !current_umask(),
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &std::fs::File, _: Option<&std::fs::Metadata>) -> std::io::Result<()> {
    Ok(())
}

/// The process umask, read without changing it (`umask(2)` can only be read by setting it, which
/// races with other threads creating files). Linux reports it in /proc/self/status; elsewhere the
/// common default 022 is assumed.
#[cfg(unix)]
fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}
