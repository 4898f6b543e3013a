//! Atomic writes: a temporary file in the target's folder, fsynced, then renamed over the target.
//! A failure at any point leaves the old file (if any) intact and no temporary file behind.

use std::io::Write;
use std::path::Path;

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
    if !overwrite && path.exists() {
        return Err(ExportError::Exists {
            path: path.to_path_buf(),
        });
    }
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
