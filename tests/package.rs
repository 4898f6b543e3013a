//! The release archive (`tools/package.sh`) and the `cargo install` data step
//! (`tools/install-data.sh`), installed the way a user would and run from elsewhere.
//!
//! The archive is built from the already compiled test binary (`--bin`, `--strip`: seconds, no
//! second build; a release build packages the same tree). It is unpacked inside a planted
//! "checkout" (`Cargo.toml`, `.ort/lib/libonnxruntime.so` that is not a library, a
//! `models/default` with another name) and run from a folder in it, with `HOME` and the XDG
//! folders empty and the environment cleared; `strace` shows that no planted file and nothing in
//! the real build checkout is even looked at.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn require(tool: &str) {
    let ok = Command::new(tool)
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{tool} is not installed: run tools/setup-tests.sh (apt-get install {tool})"
    );
}

fn require_runtime() {
    assert!(
        repo().join(".ort/lib/libonnxruntime.so").is_file(),
        "no .ort/lib/libonnxruntime.so: run tools/setup-tests.sh"
    );
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A user's environment: nothing inherited but `PATH`; home and XDG folders under `home`.
fn user_env(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("xdg/data"))
        .env("XDG_CONFIG_HOME", home.join("xdg/config"))
        .env("XDG_STATE_HOME", home.join("xdg/state"))
        .env("XDG_CACHE_HOME", home.join("xdg/cache"))
        .env("LC_ALL", "C.UTF-8");
}

/// Plants what a hostile or stale parent folder could hold: a Cargo.toml (so it looks like a
/// build checkout), a runtime that is not a library and a model with another name.
fn plant(dir: &Path) {
    std::fs::create_dir_all(dir.join(".ort/lib")).unwrap();
    std::fs::write(
        dir.join(".ort/lib/libonnxruntime.so"),
        b"planted, not a library",
    )
    .unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"planted\"\n").unwrap();
    let model = dir.join("models/default");
    std::fs::create_dir_all(&model).unwrap();
    let fixture = repo().join("tests/fixtures/tiny-gpt2");
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), model.join(entry.file_name())).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(model.join("model.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    v["name"] = "planted-model".into();
    std::fs::write(model.join("model.json"), v.to_string()).unwrap();
}

#[test]
fn release_archive_runs_from_anywhere_and_reads_only_its_own_tree() {
    require_runtime();
    require("tmux");
    require("strace");
    let t = tempfile::tempdir().unwrap();
    let checkout = t.path().join("checkout");
    let work = checkout.join("work");
    std::fs::create_dir_all(&work).unwrap();
    plant(&checkout);
    plant(&work);
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();

    // Package the test binary; unpack inside the planted checkout's target/ folder, where a
    // `cargo build` binary would use the checkout's .ort/lib and models/ (an installed one must not).
    let dist = checkout.join("target/dist");
    let o = Command::new(repo().join("tools/package.sh"))
        .args(["--strip", "--bin", env!("CARGO_BIN_EXE_mitremap"), "--out"])
        .arg(&dist)
        .current_dir(repo())
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("MITREMAP_MODEL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "package.sh failed: {}", text(&o));
    let archive = PathBuf::from(
        String::from_utf8(o.stdout.clone())
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    );
    let name = archive.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("mitremap-{}-", env!("CARGO_PKG_VERSION")))
            && name.ends_with(".tar.gz"),
        "{name}"
    );
    let prefix_parent = checkout.join("target/prefix");
    std::fs::create_dir_all(&prefix_parent).unwrap();
    let o = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&prefix_parent)
        .output()
        .unwrap();
    assert!(o.status.success(), "tar: {}", text(&o));
    let tree = prefix_parent.join(name.trim_end_matches(".tar.gz"));

    for f in [
        "bin/mitremap",
        "lib/libonnxruntime.so",
        "share/mitremap/models/default/model.json",
        "share/mitremap/models/default/model.onnx",
        "share/mitremap/models/default/tokenizer.json",
        "share/mitremap/models/default/labels.json",
        "share/mitremap/models/default/lexical.bin",
        "share/mitremap/themes/dark.toml",
        "share/man/man1/mitremap.1",
        "share/man/man1/mitremap-analyze.1",
        "share/man/man1/mitremap-iocs.1",
        "share/man/man1/mitremap-models.1",
        "share/bash-completion/completions/mitremap",
        "share/zsh/site-functions/_mitremap",
        "share/fish/vendor_completions.d/mitremap.fish",
        "share/doc/mitremap/LICENSE",
        "share/doc/mitremap/NOTICE",
        "share/doc/mitremap/MODEL-CARD.md",
        "SHA256SUMS",
    ] {
        assert!(tree.join(f).is_file(), "{f} missing from the archive");
    }
    let notice = std::fs::read_to_string(tree.join("share/doc/mitremap/NOTICE")).unwrap();
    for needle in ["The MITRE Corporation", "ONNX Runtime", "CC BY-SA 4.0"] {
        assert!(notice.contains(needle), "NOTICE lacks {needle}:\n{notice}");
    }
    let o = Command::new("sha256sum")
        .args(["--check", "--quiet", "SHA256SUMS"])
        .current_dir(&tree)
        .output()
        .unwrap();
    assert!(o.status.success(), "SHA256SUMS: {}", text(&o));
    let listed = std::fs::read_to_string(tree.join("SHA256SUMS")).unwrap();
    assert!(listed.contains("  bin/mitremap\n") && listed.contains("  lib/libonnxruntime.so\n"));

    std::fs::copy(
        repo().join("samples/report-apt.txt"),
        work.join("report.txt"),
    )
    .unwrap();
    let bin = tree.join("bin/mitremap");
    let traces = t.path().join("traces");
    std::fs::create_dir_all(&traces).unwrap();
    let run = |label: &str, args: &[&str]| -> Output {
        let mut cmd = Command::new("strace");
        user_env(&mut cmd, &home);
        cmd.args(["-f", "-qq", "-e", "trace=%file", "-o"])
            .arg(traces.join(label))
            .arg(&bin)
            .args(args)
            .current_dir(&work)
            .stdin(Stdio::null());
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "mitremap {args:?}: {}", text(&o));
        o
    };
    let tree_s = tree.to_str().unwrap();

    let o = run("version", &["--version"]);
    let version = String::from_utf8(o.stdout).unwrap();
    assert!(
        version.contains(&format!("({tree_s}/lib/libonnxruntime.so)")),
        "{version}"
    );
    assert!(
        version.contains("default model mitremap-minilm-l6 ")
            && version.contains(&format!("at {tree_s}/share/mitremap/models/default")),
        "{version}"
    );

    let o = run("analyze", &["analyze", "--threads", "2", "report.txt"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["model"]["name"], "mitremap-minilm-l6");
    assert!(
        !report["techniques"].as_array().unwrap().is_empty(),
        "no techniques: {report}"
    );

    let o = run("iocs", &["iocs", "report.txt"]);
    let iocs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        iocs["iocs"]["ipv4"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "185.220.101.34"),
        "{iocs}"
    );

    let o = run("models", &["models", "--json"]);
    let models: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let models = models.as_array().unwrap();
    let dirs: Vec<_> = models.iter().map(|m| m["dir"].to_string()).collect();
    assert_eq!(dirs.len(), 1, "only the archive's model: {dirs:?}");
    assert_eq!(
        models[0]["dir"],
        format!("{tree_s}/share/mitremap/models/default")
    );
    assert_eq!(models[0]["manifest"]["name"], "mitremap-minilm-l6");

    // Nothing planted, and nothing in the real build checkout, is even looked at.
    let forbidden: Vec<String> = [&checkout, &work]
        .iter()
        .flat_map(|d| ["models", ".ort", "Cargo.toml"].map(|f| d.join(f)))
        .map(|p| p.display().to_string())
        // relative paths, as the working directory's own entries would be opened
        .chain(["\"models", "\".ort", "\"Cargo.toml"].map(String::from))
        // the build checkout and the folder the tested binary was built into
        .chain([
            format!("{}/", repo().display()),
            format!(
                "{}/",
                Path::new(env!("CARGO_BIN_EXE_mitremap"))
                    .parent()
                    .unwrap()
                    .display()
            ),
        ])
        .collect();
    for entry in std::fs::read_dir(&traces).unwrap() {
        let path = entry.unwrap().path();
        let log = std::fs::read_to_string(&path).unwrap();
        let loads_runtime = path.ends_with("version") || path.ends_with("analyze");
        assert!(
            log.contains(&format!("{tree_s}/lib/libonnxruntime.so")) || !loads_runtime,
            "{}: the trace does not show the runtime being loaded:\n{log}",
            path.display()
        );
        // (the execve line quotes the arguments, not files)
        for line in log.lines().filter(|l| !l.contains("execve(")) {
            for bad in &forbidden {
                assert!(
                    !line.contains(bad.as_str()),
                    "{} touched {bad}: {line}",
                    path.display()
                );
            }
        }
    }

    // The terminal UI in a real terminal, far enough to show the model and finish the analysis.
    let sock = format!("mitremap-pkg-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &sock, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    };
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> Output);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = (self.0)(&["kill-server"]);
        }
    }
    let _kill = Kill(&tmux);
    let shell_quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let script = format!(
        "cd {work} && env -i PATH=\"$PATH\" TERM=xterm-256color LC_ALL=C.UTF-8 HOME={home} \
         XDG_DATA_HOME={home}/xdg/data XDG_CONFIG_HOME={home}/xdg/config \
         XDG_STATE_HOME={home}/xdg/state XDG_CACHE_HOME={home}/xdg/cache \
         {bin} --threads 2 report.txt; echo EXIT=$?; sleep 30",
        work = shell_quote(&work),
        home = shell_quote(&home),
        bin = shell_quote(&bin),
    );
    let o = tmux(&[
        "new-session",
        "-d",
        "-s",
        "pkg",
        "-x",
        "120",
        "-y",
        "40",
        &script,
    ]);
    assert!(o.status.success(), "tmux: {}", text(&o));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut screen;
    loop {
        screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "pkg"]).stdout)
            .into_owned();
        if screen.contains("mitremap-minilm-l6") && screen.contains(" done ") {
            break;
        }
        assert!(
            Instant::now() < deadline && !screen.contains("EXIT="),
            "the TUI did not show the archive's model and finish:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!screen.contains("planted-model"), "{screen}");
}

/// `cargo install --path .` brings only the binary (to `~/.cargo/bin`); `tools/install-data.sh`
/// adds the runtime and the model to the XDG data folder, where that binary finds them. A data
/// folder another user can write is refused before anything is written.
#[test]
fn install_data_fills_the_xdg_data_folder_and_refuses_a_shared_one() {
    use std::os::unix::fs::PermissionsExt;
    require_runtime();
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    let cargo_bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&cargo_bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_mitremap"), cargo_bin.join("mitremap")).unwrap();

    let install = |data: &Path| {
        let mut cmd = Command::new(repo().join("tools/install-data.sh"));
        user_env(&mut cmd, &home);
        cmd.env("XDG_DATA_HOME", data)
            .current_dir(t.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let data = home.join("xdg/data");
    let o = install(&data);
    assert!(o.status.success(), "install-data.sh: {}", text(&o));
    let installed = data.join("mitremap");
    assert!(installed.join("lib/libonnxruntime.so").is_file());
    assert!(installed.join("models/default/model.onnx").is_file());
    // A second run replaces the copy in place.
    let o = install(&data);
    assert!(o.status.success(), "install-data.sh again: {}", text(&o));

    let mut cmd = Command::new(cargo_bin.join("mitremap"));
    user_env(&mut cmd, &home);
    let o = cmd
        .arg("--version")
        .current_dir(t.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&o.stdout);
    assert!(
        version.contains(&format!("({}/lib/libonnxruntime.so)", installed.display()))
            && version.contains(&format!("at {}/models/default", installed.display())),
        "{}",
        text(&o)
    );

    let shared = t.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let o = install(&shared.join("data"));
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is writable by every user"),
        "{}",
        text(&o)
    );
    assert!(!shared.join("data").exists(), "nothing is written");
}
