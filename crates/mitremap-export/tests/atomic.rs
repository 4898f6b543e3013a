//! Atomic writes: fault injection shows a failed write leaves the old file intact and no
//! temporary file behind, and `overwrite = false` never clobbers.

use std::io;
use std::path::Path;

use mitremap_export::{ExportError, write_atomic, write_atomic_with};

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".mitremap-"))
        .collect()
}

#[test]
fn writes_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    write_atomic(&path, b"hello", false).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello");
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn never_clobbers_without_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    std::fs::write(&path, b"old").unwrap();
    let err = write_atomic(&path, b"new", false).unwrap_err();
    assert!(matches!(err, ExportError::Exists { .. }), "{err}");
    assert!(err.to_string().contains("--force"));
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    assert!(leftovers(dir.path()).is_empty());
    write_atomic(&path, b"new", true).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_writer_failing_midway_leaves_the_old_file_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    std::fs::write(&path, b"old content").unwrap();
    for overwrite in [true, false] {
        let err = write_atomic_with(&path, overwrite, |w| {
            w.write_all(b"partial new cont")?;
            w.flush()?;
            Err(io::Error::other("disk full (injected)"))
        });
        match (overwrite, err) {
            (true, Err(ExportError::Io { source, .. })) => {
                assert!(source.to_string().contains("injected"))
            }
            (false, Err(ExportError::Exists { .. })) => {}
            (_, other) => panic!("unexpected {other:?}"),
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"old content");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
    // Same on a new path: nothing is created.
    let fresh = dir.path().join("fresh.json");
    let err = write_atomic_with(&fresh, false, |w| {
        w.write_all(&[b'x'; 100_000])?;
        Err(io::Error::other("injected"))
    });
    assert!(matches!(err, Err(ExportError::Io { .. })));
    assert!(!fresh.exists());
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn an_impossible_target_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // The parent "directory" is a regular file.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = write_atomic(&file.join("out.json"), b"data", true).unwrap_err();
    assert!(matches!(err, ExportError::Io { .. }), "{err}");
    // The parent does not exist.
    let err = write_atomic(&dir.path().join("missing/out.json"), b"data", false).unwrap_err();
    assert!(matches!(err, ExportError::Io { .. }), "{err}");
    // The target is a directory.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert!(write_atomic(&sub, b"data", true).is_err());
    assert!(sub.is_dir());
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    assert!(leftovers(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_fails_without_leftovers() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("out.json"), b"old").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permissions: only assert when the folder really is read-only for us.
    let probe = std::fs::File::create(ro.join("probe"));
    if probe.is_err() {
        assert!(write_atomic(&ro.join("out.json"), b"new", true).is_err());
        assert_eq!(std::fs::read(ro.join("out.json")).unwrap(), b"old");
        assert!(leftovers(&ro).is_empty());
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}
