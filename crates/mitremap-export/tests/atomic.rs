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

#[cfg(unix)]
mod special_targets {
    //! `-o PATH --force` must never replace what is not a regular file (a device node, a FIFO,
    //! a symbolic link), and must not change the mode of a file it replaces.
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn umask() -> u32 {
        let s = std::fs::read_to_string("/proc/self/status").unwrap();
        let v = s.lines().find_map(|l| l.strip_prefix("Umask:")).unwrap();
        u32::from_str_radix(v.trim(), 8).unwrap()
    }

    #[test]
    fn an_existing_file_keeps_its_mode_and_a_new_one_gets_the_umask_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"new", true).unwrap();
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"newer", true).unwrap();
        assert_eq!(mode(&path), 0o640);

        let fresh = dir.path().join("fresh.json");
        write_atomic(&fresh, b"x", false).unwrap();
        assert_eq!(mode(&fresh), 0o666 & !umask());
    }

    #[test]
    fn a_symlink_is_followed_and_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        // Without --force the file behind the link is protected like any other.
        assert!(matches!(
            write_atomic(&link, b"new", false),
            Err(ExportError::Exists { .. })
        ));
        write_atomic(&link, b"new", true).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_dangling_symlink_a_directory_and_a_socket_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
        let err = write_atomic(&link, b"x", true).unwrap_err();
        assert!(matches!(err, ExportError::NotAFile { .. }), "{err}");
        assert!(!dir.path().join("nowhere").exists());

        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = write_atomic(&sub, b"x", true).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        assert!(mitremap_export::check_destination(&sub, true).is_err());

        let sock = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let err = write_atomic(&sock, b"x", true).unwrap_err();
        assert!(err.to_string().contains("socket"), "{err}");
        assert!(
            std::fs::symlink_metadata(&sock)
                .unwrap()
                .file_type()
                .is_socket()
        );
    }

    #[test]
    fn a_fifo_is_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils) must be installed");
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(&fifo).unwrap())
        };
        // No --force needed: a FIFO holds nothing to lose.
        mitremap_export::check_destination(&fifo, false).unwrap();
        write_atomic(&fifo, b"through the pipe", false).unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_character_device_is_written_through_not_replaced() {
        // /dev/null through a symlink in a temp folder: the real node is never a rename target.
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("null");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        write_atomic(&link, b"discarded", true).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        assert!(leftovers(dir.path()).is_empty());
    }
}
