//! The real `mitremap` binary on real inputs, with the committed fixture model and the real
//! ONNX Runtime: results, and one clear line + non-zero exit for every kind of bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-gpt2")
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/report-apt.txt")
}

fn mitremap(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mitremap"));
    cmd.args(args)
        .env_remove("MITREMAP_MODEL")
        // The embedded ATT&CK release, whatever the user has imported (`mitremap attack import`).
        .env("MITREMAP_ATTACK_VERSION", "18.1")
        .env("MITREMAP_LOG", "off");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    child.wait_with_output().unwrap()
}

fn analyze(extra: &[&str], stdin: Option<&[u8]>) -> Output {
    let model = fixture();
    let mut args = vec![
        "analyze",
        "--model",
        model.to_str().unwrap(),
        "--threads",
        "1",
    ];
    args.extend_from_slice(extra);
    mitremap(&args, stdin)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failure: non-zero exit, one line on stderr that contains `needle`, nothing on stdout.
fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn analyze_sample_report_prints_json_with_chunks_techniques_and_iocs() {
    let o = analyze(&[sample().to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "mitremap-report");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["input"]["name"], sample().display().to_string());
    assert_eq!(v["input"]["sha256"].as_str().unwrap().len(), 64);
    let text = std::fs::read_to_string(sample()).unwrap();
    let chunks = v["chunks"].as_array().unwrap();
    assert!(chunks.len() >= 10);
    for c in chunks {
        let (s, e) = (
            c["start"].as_u64().unwrap() as usize,
            c["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            c["text"].as_str().unwrap(),
            &text[s..e],
            "chunk text is the exact byte range"
        );
    }
    let techniques = v["techniques"].as_array().unwrap();
    assert!(!techniques.is_empty());
    for t in techniques {
        assert!(t["confidence"].as_f64().unwrap() >= 0.6);
        assert!(
            t["url"]
                .as_str()
                .unwrap()
                .starts_with("https://attack.mitre.org/techniques/")
        );
        assert!(!t["name"].as_str().unwrap().is_empty());
    }
    assert!(
        v["iocs"]["by_type"]["ipv4"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "185.220.101.34")
    );
    assert!(v["timings"]["total_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn stdin_pipe_and_dash_are_read() {
    let text = std::fs::read(sample()).unwrap();
    for args in [&[][..], &["-"][..]] {
        let o = analyze(args, Some(&text));
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["input"]["name"], "-");
    }
}

#[test]
fn threshold_filters_techniques() {
    let low: serde_json::Value =
        serde_json::from_slice(&analyze(&["-t", "0.05", sample().to_str().unwrap()], None).stdout)
            .unwrap();
    let high: serde_json::Value =
        serde_json::from_slice(&analyze(&["-t", "0.99", sample().to_str().unwrap()], None).stdout)
            .unwrap();
    assert!(
        low["techniques"].as_array().unwrap().len() > high["techniques"].as_array().unwrap().len()
    );
    let o = analyze(&["-t", "1.5", sample().to_str().unwrap()], None);
    assert!(!o.status.success() && stderr(&o).contains("not between 0 and 1"));
}

#[test]
fn empty_and_whitespace_input_are_clear_errors() {
    assert_one_line_error(&analyze(&[], Some(b"")), "is empty");
    assert_one_line_error(&analyze(&[], Some(b"  \n\t\n ")), "is empty");
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_says_so() {
    let o = analyze(
        &[],
        Some(b"APT29 used PowerShell \xff\xfe to run a script."),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("not valid UTF-8"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["input"]["lossy_utf8"], true);
}

#[test]
fn binary_input_is_refused_unless_allowed() {
    let binary = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0 APT29 used PowerShell.";
    assert_one_line_error(&analyze(&[], Some(binary)), "looks like a binary file");
    let o = analyze(&["--allow-binary"], Some(binary));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn missing_or_broken_model_names_the_folder() {
    let o = mitremap(
        &[
            "analyze",
            "--model",
            "/nonexistent/model",
            sample().to_str().unwrap(),
        ],
        None,
    );
    assert_one_line_error(&o, "/nonexistent/model");
    let dir = tempfile::tempdir().unwrap();
    for f in ["model.json", "model.onnx", "tokenizer.json", "labels.json"] {
        std::fs::copy(fixture().join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("model.onnx"), b"not an onnx graph").unwrap();
    let o = mitremap(
        &[
            "analyze",
            "--model",
            dir.path().to_str().unwrap(),
            sample().to_str().unwrap(),
        ],
        None,
    );
    assert_one_line_error(&o, "sha256 mismatch");
}

#[test]
fn missing_onnx_runtime_says_what_to_run() {
    let o = mitremap(
        &[
            "analyze",
            "--model",
            fixture().to_str().unwrap(),
            "--ort-lib",
            "/nonexistent/libonnxruntime.so",
            sample().to_str().unwrap(),
        ],
        None,
    );
    assert_one_line_error(&o, "tools/setup-ort.sh");
    let bogus = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bogus.path(), b"not a shared library").unwrap();
    let o = mitremap(
        &[
            "analyze",
            "--model",
            fixture().to_str().unwrap(),
            "--ort-lib",
            bogus.path().to_str().unwrap(),
            sample().to_str().unwrap(),
        ],
        None,
    );
    assert_one_line_error(&o, "tools/setup-ort.sh");
}

#[test]
fn output_file_is_written_atomically_and_never_clobbered_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let o = analyze(
        &[sample().to_str().unwrap(), "-o", out.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let first = std::fs::read(&out).unwrap();
    serde_json::from_slice::<serde_json::Value>(&first).unwrap();
    std::fs::write(&out, b"precious").unwrap();
    assert_one_line_error(
        &analyze(
            &[sample().to_str().unwrap(), "-o", out.to_str().unwrap()],
            None,
        ),
        "--force",
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    let o = analyze(
        &[
            sample().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--force",
        ],
        None,
    );
    assert!(o.status.success());
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp files left behind"
    );
}

#[test]
fn table_output_never_carries_escape_sequences() {
    let hostile = "APT29 \x1b]52;c;ZXZpbA==\x07 used \x1b[2J\x1b[H PowerShell \u{9b}31m on \u{202e}exe.txt to reach \
                   evil\x1b]8;;http://x\x1b\\.example\x1b]8;;\x1b\\.com. It set the title \x1b]0;owned\x07 too.";
    let o = analyze(&["-f", "table", "-t", "0.0"], Some(hostile.as_bytes()));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        !out.chars()
            .any(|c| c == '\x1b' || c == '\x07' || c == '\u{9b}' || c == '\u{202e}'),
        "{out:?}"
    );
    let o = mitremap(&["iocs", "-f", "table"], Some(hostile.as_bytes()));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        !out.chars()
            .any(|c| c == '\x1b' || c == '\x07' || c == '\u{9b}' || c == '\u{202e}'),
        "{out:?}"
    );
}

#[test]
fn iocs_command_prints_type_map_and_details() {
    let o = mitremap(&["iocs", sample().to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["iocs"]["sha256"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    assert!(
        v["iocs"]["url"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "https://cdn.freight-docs.net/update/v2/lantern.ps1")
    );
    let details = v["details"].as_array().unwrap();
    assert!(details.iter().any(|d| d["kind"] == "ipv4"
        && d["value"] == "10.20.30.40"
        && d["flags"]["private"] == true));
    let hidden = mitremap(&["iocs", "--hide-noise", sample().to_str().unwrap()], None);
    let h: serde_json::Value = serde_json::from_slice(&hidden.stdout).unwrap();
    assert!(
        !h["iocs"]["ipv4"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "10.20.30.40")
    );
}

#[test]
fn no_input_on_a_terminal_and_missing_file_are_clear_errors() {
    assert_one_line_error(
        &mitremap(&["iocs", "/nonexistent/report.txt"], None),
        "/nonexistent/report.txt",
    );
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xFE, 0xFF]
        } else {
            &[0xFF, 0xFE]
        });
    }
    for u in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

const UTF16_REPORT: &str = "APT29 used PowerShell and beaconed to 203.0.113.7 — naïve 攻撃.\r\n\
                            Credentials were dumped from LSASS with Mimikatz.\r\n";

/// UTF-16 reports (Windows tools write them: PowerShell's `>`, Notepad's "Unicode") were refused
/// as binary. They are decoded (LE/BE with a BOM, LE/BE without one by their NUL bytes), and
/// each front end says so once on stderr.
#[test]
fn utf16_reports_are_decoded_and_say_so_once() {
    let dir = tempfile::tempdir().unwrap();
    for (name, big_endian, bom, label) in [
        ("le-bom.txt", false, true, "UTF-16LE (byte-order mark)"),
        ("be-bom.txt", true, true, "UTF-16BE (byte-order mark)"),
        ("le.txt", false, false, "UTF-16LE (no byte-order mark"),
        ("be.txt", true, false, "UTF-16BE (no byte-order mark"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, utf16(UTF16_REPORT, big_endian, bom)).unwrap();
        let file = path.to_str().unwrap();

        let o = mitremap(&["iocs", file, "--format", "json"], None);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).matches(label).count(),
            1,
            "{name}: {}",
            stderr(&o)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            v.to_string().contains("203.0.113.7"),
            "{name}: the IoC is found in the decoded text: {v}"
        );

        let o = analyze(&[file], None);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).matches(label).count(),
            1,
            "{name}: {}",
            stderr(&o)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let encoding = if big_endian { "utf-16be" } else { "utf-16le" };
        assert_eq!(v["input"]["encoding"], encoding, "{name}");
        assert_eq!(v["input"]["lossy_utf8"], false, "{name}");
        let text: String = v["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains("Mimikatz") && text.contains("攻撃"),
            "{name}: {text}"
        );
    }
    // Stdin and batch mode too.
    let o = analyze(&[], Some(&utf16(UTF16_REPORT, false, true)));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("- is UTF-16LE"), "{}", stderr(&o));
    let o = analyze(&[dir.path().to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("is UTF-16").count(), 4, "{}", stderr(&o));
    assert_eq!(
        String::from_utf8(o.stdout)
            .unwrap()
            .matches("\"utf-16")
            .count(),
        4
    );
}

/// `--allow-binary` reads the bytes as UTF-8 text: it says so, and that strings stored as UTF-16
/// inside the binary are not seen as IoCs.
#[test]
fn allow_binary_says_what_it_does() {
    let mut binary = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0 APT29 used PowerShell. ".to_vec();
    binary.extend(utf16("evil.example.com", false, false));
    let o = analyze(&["--allow-binary"], Some(&binary));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("--allow-binary").count(), 1, "{err}");
    assert!(
        err.contains("UTF-16") && err.contains("not seen as IoCs"),
        "{err}"
    );
}

/// A word longer than the tokenizer can take (a 3 MB hex blob) is cut before tokenising: one
/// chunk covers it whole, says so in the JSON, and stderr carries a note.
#[test]
fn an_over_long_word_is_cut_before_tokenising_with_a_note() {
    let blob = "0123456789abcdef".repeat(3 * 65_536);
    let text = format!("APT29 used PowerShell. Payload: {blob} was dropped.\n");
    let o = analyze(&[], Some(text.as_bytes()));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("longer than 1024 bytes").count(), 1, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let chunks = v["chunks"].as_array().unwrap();
    let cut: Vec<_> = chunks.iter().filter(|c| c["cut_words"] == 1).collect();
    assert_eq!(cut.len(), 1, "{chunks:?}");
    // The chunk with the cut runs to the end of the word (the tokenizer saw its first 1 KiB).
    assert!(
        cut[0]["text"]
            .as_str()
            .unwrap()
            .ends_with(&blob[blob.len() - 64..])
    );
    assert!(
        cut[0]["tokens"].as_u64().unwrap() < 600,
        "{}",
        cut[0]["tokens"]
    );
}

#[test]
fn batch_mode_over_a_folder_and_jsonl_writes_one_line_per_report_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for (i, text) in [
        "APT29 used PowerShell.",
        "They dumped LSASS. Then left.",
        "   ",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(dir.path().join(format!("r{i}.txt")), text).unwrap();
    }
    let o = analyze(&[dir.path().to_str().unwrap(), "-j", "2"], None);
    assert!(
        !o.status.success(),
        "a failed report makes the exit code non-zero"
    );
    assert!(stderr(&o).contains("reports/s"));
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0]["input"]["name"]
            .as_str()
            .unwrap()
            .ends_with("r0.txt")
    );
    assert_eq!(lines[1]["chunks"].as_array().unwrap().len(), 1);
    assert!(lines[2]["error"].as_str().unwrap().contains("empty"));

    let jsonl = (0..5)
        .map(|i| {
            serde_json::json!({"id": format!("doc{i}"), "text": "APT29 used PowerShell."})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let o = analyze(&["--jsonl", "-", "-j", "3"], Some(jsonl.as_bytes()));
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["input"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["doc0", "doc1", "doc2", "doc3", "doc4"]);
}

/// One bad JSONL line does not sink the batch: it is reported in its place with its line number,
/// the others are analysed, and the run exits non-zero. A UTF-8 BOM is accepted.
#[test]
fn bad_jsonl_lines_are_reported_in_place_and_the_batch_goes_on() {
    let mut input = b"\xEF\xBB\xBF{\"id\": \"a\", \"text\": \"APT29 used PowerShell.\"}\n".to_vec();
    input.extend_from_slice(b"{\"no_text\": 1}\n");
    input.extend_from_slice(b"not json at all\n");
    input.extend_from_slice(b"{\"id\": \"bad\", \"text\": \"caf\xe9\"}\n");
    input.extend_from_slice(b"{\"id\": \"b\", \"text\": \"They dumped LSASS.\"}\n");
    let o = analyze(&["--jsonl", "-"], Some(&input));
    assert!(!o.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0]["input"]["name"], "a");
    assert!(lines[0]["chunks"].is_array());
    let error = |i: usize| lines[i]["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error(1).contains("stdin:2") && error(1).contains("\"text\""),
        "{}",
        error(1)
    );
    assert!(error(2).contains("stdin:3") && error(2).contains("not a JSON object"));
    assert!(error(3).contains("stdin:4") && error(3).contains("not valid UTF-8"));
    assert_eq!(lines[4]["input"]["name"], "b");
    assert!(stderr(&o).contains("3 failed"), "{}", stderr(&o));
}

/// A JSONL line over `--max-input` is reported in its place with its line number (it is skipped,
/// not read into memory) and the batch goes on; `-o` gets every line, written as the batch runs.
#[test]
fn a_jsonl_line_over_max_input_is_reported_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let mut input = b"{\"id\": \"a\", \"text\": \"APT29 used PowerShell.\"}\n".to_vec();
    let big = format!(
        "{{\"id\": \"big\", \"text\": \"{}\"}}\n",
        "word ".repeat(500)
    );
    input.extend_from_slice(big.as_bytes());
    input.extend_from_slice(b"{\"id\": \"b\", \"text\": \"They dumped LSASS.\"}\n");
    let o = analyze(
        &[
            "--jsonl",
            "-",
            "--max-input",
            "1K",
            "-j",
            "2",
            "-o",
            out.to_str().unwrap(),
        ],
        Some(&input),
    );
    assert!(!o.status.success(), "{}", stderr(&o));
    let written = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = written
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{written}");
    assert_eq!(lines[0]["input"]["name"], "a");
    let error = lines[1]["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("stdin:2: the line is 2 KiB, larger than the 1 KiB input limit")
            && error.contains("--max-input"),
        "{error}"
    );
    assert_eq!(lines[2]["input"]["name"], "b");
    assert!(stderr(&o).contains("3 reports") && stderr(&o).contains("1 failed"));
}

/// A copy of the binary installed outside the checkout (`<tmp>/inst/bin/mitremap`), run from a
/// folder whose parent holds a planted `models/default` and `.ort/lib/libonnxruntime.so`: neither
/// is ever used, because the working directory's ancestors are not searched.
#[cfg(unix)]
#[test]
fn planted_model_and_runtime_in_a_parent_folder_are_never_loaded() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let planted_model = root.join("models/default");
    std::fs::create_dir_all(&planted_model).unwrap();
    for f in ["model.json", "model.onnx", "tokenizer.json", "labels.json"] {
        std::fs::copy(fixture().join(f), planted_model.join(f)).unwrap();
    }
    std::fs::create_dir_all(root.join(".ort/lib")).unwrap();
    std::fs::write(
        root.join(".ort/lib/libonnxruntime.so"),
        b"planted, never load me",
    )
    .unwrap();
    let bin = root.join("inst/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_mitremap"), bin.join("mitremap")).unwrap();
    let work = root.join("work/deeper");
    std::fs::create_dir_all(&work).unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(bin.join("mitremap"))
            .args(args)
            .current_dir(&work)
            .env_remove("MITREMAP_MODEL")
            .env_remove("ORT_DYLIB_PATH")
            .env_remove("XDG_DATA_HOME")
            .env("HOME", home.path())
            .env("MITREMAP_LOG", "off")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let root_s = root.to_str().unwrap();

    let o = run(&["models"]);
    let listing = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(!listing.contains(&format!("{root_s}/models")), "{listing}");

    let o = run(&["analyze", sample().to_str().unwrap()]);
    assert_one_line_error(&o, "no model found");

    let o = run(&[
        "analyze",
        "--model",
        fixture().to_str().unwrap(),
        sample().to_str().unwrap(),
    ]);
    assert_one_line_error(&o, "ONNX Runtime library not found");
    assert!(
        !stderr(&o).contains(&format!("{root_s}/.ort")),
        "{}",
        stderr(&o)
    );
}

/// `$ORT_DYLIB_PATH` names the library to load: when it points nowhere the analysis fails and
/// says so, rather than quietly loading another library from the installation.
#[test]
fn ort_dylib_path_that_does_not_exist_is_an_error_not_a_fall_back() {
    let o = Command::new(env!("CARGO_BIN_EXE_mitremap"))
        .args([
            "analyze",
            "--model",
            fixture().to_str().unwrap(),
            sample().to_str().unwrap(),
        ])
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .env("MITREMAP_LOG", "off")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_one_line_error(&o, "ONNX Runtime library not found");
    assert!(
        stderr(&o).contains("/nonexistent/libonnxruntime.so"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_model_folder_or_file_writable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for f in ["model.json", "model.onnx", "tokenizer.json", "labels.json"] {
        std::fs::copy(fixture().join(f), dir.path().join(f)).unwrap();
    }
    let model = dir.path().to_str().unwrap();
    let run = || {
        mitremap(
            &["analyze", "--model", model, sample().to_str().unwrap()],
            None,
        )
    };
    assert!(run().status.success(), "{}", stderr(&run()));
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    assert_one_line_error(&run(), "writable by every user");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let onnx = dir.path().join("model.onnx");
    std::fs::set_permissions(&onnx, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_one_line_error(&run(), "writable by every user");
    std::fs::set_permissions(&onnx, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(run().status.success());
}

#[test]
fn output_dash_means_stdout() {
    let o = analyze(&[sample().to_str().unwrap(), "-o", "-"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
    assert!(!Path::new("-").exists());
}

#[cfg(unix)]
#[test]
fn output_to_a_device_is_written_through_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("null");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let o = analyze(
        &[sample().to_str().unwrap(), "-o", link.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A FIFO or device planted as a model file must be refused at once, not block or read forever.
#[cfg(unix)]
#[test]
fn a_fifo_or_device_as_a_model_file_is_refused_without_hanging() {
    for (file, planted) in [
        ("labels.json", "fifo"),
        ("tokenizer.json", "fifo"),
        ("model.json", "/dev/zero"),
        ("model.onnx", "/dev/zero"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        for f in ["model.json", "model.onnx", "tokenizer.json", "labels.json"] {
            std::fs::copy(fixture().join(f), dir.path().join(f)).unwrap();
        }
        let target = dir.path().join(file);
        std::fs::remove_file(&target).unwrap();
        if planted == "fifo" {
            assert!(
                Command::new("mkfifo")
                    .arg(&target)
                    .status()
                    .unwrap()
                    .success()
            );
        } else {
            std::os::unix::fs::symlink(planted, &target).unwrap();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_mitremap"))
            .args(["analyze", "--model", dir.path().to_str().unwrap()])
            .arg(sample())
            .env("MITREMAP_LOG", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("{file} as {planted}: mitremap hung");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let o = child.wait_with_output().unwrap();
        assert_one_line_error(&o, file);
    }
}

#[test]
fn an_absurd_thread_count_is_a_clear_error_not_a_hang() {
    for bad in ["0", "100000"] {
        let o = mitremap(
            &["analyze", "--threads", bad, sample().to_str().unwrap()],
            None,
        );
        assert!(!o.status.success());
        assert!(stderr(&o).contains("--threads"), "{}", stderr(&o));
    }
}

/// Side channels carry no raw control bytes either: a hostile file name in the lossy-UTF-8
/// warning (printed once), and C1 controls, DEL and bidi overrides from the report text in JSON
/// on stdout (escaped as \uXXXX, the same strings once parsed).
#[cfg(unix)]
#[test]
fn warnings_and_json_on_stdout_carry_no_raw_control_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"evil\x1b]52;c;cHduZWQ=\x07\x1b[2J.txt");
    let path = dir.path().join(name);
    let mut text = "APT29 used PowerShell \u{9b}31m to download a payload from 203.0.113.7. \u{202e}gnp.exe \u{7f}\n"
        .as_bytes()
        .to_vec();
    text.extend_from_slice(b"broken \xff byte\n");
    std::fs::write(&path, &text).unwrap();
    let raw = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n')
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            })
            .map(|c| format!("{:?}", c))
            .collect()
    };
    for cmd in [vec!["analyze", "--threads", "1"], vec!["iocs"]] {
        let mut args = cmd.clone();
        let model = fixture();
        if cmd[0] == "analyze" {
            args.extend(["--model", model.to_str().unwrap()]);
        }
        args.push(path.to_str().unwrap());
        let o = mitremap(&args, None);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(raw(&o.stderr).is_empty(), "stderr: {:?}", raw(&o.stderr));
        assert_eq!(
            stderr(&o).matches("is not valid UTF-8").count(),
            1,
            "{}",
            stderr(&o)
        );
        assert!(raw(&o.stdout).is_empty(), "stdout: {:?}", raw(&o.stdout));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v.to_string().contains('\u{202e}') || cmd[0] == "iocs");
    }
}

#[test]
fn inputs_over_max_input_are_refused_before_being_read() {
    let o = analyze(&[sample().to_str().unwrap(), "--max-input", "1K"], None);
    assert_one_line_error(&o, "larger than the 1 KiB input limit");
    let o = mitremap(&["iocs", "--max-input", "1K", "-"], Some(&[b'a'; 4096]));
    assert_one_line_error(&o, "--max-input");
    let o = analyze(&[sample().to_str().unwrap(), "--max-input", "lots"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is not a size"), "{}", stderr(&o));
}

#[test]
fn version_names_the_runtime_found_and_the_attack_version() {
    let o = mitremap(&["--version"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("mitremap {}", env!("CARGO_PKG_VERSION")));
    assert!(lines[1].starts_with("ONNX Runtime 1.31."), "{text}");
    assert!(lines[2].contains("ATT&CK 18.1"), "{text}");
    assert!(
        lines[3].contains("default model") && lines[3].contains("ATT&CK 18.1"),
        "{text}"
    );
}

/// `models` says how the default model scores (graph blended with its lexical scorer) and shows
/// its threshold whole (0.475 was shown as 0.47 in places).
#[test]
fn models_lists_the_default_blend_and_its_threshold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = mitremap(
        &[
            "models",
            "--model",
            root.join("models/default").to_str().unwrap(),
        ],
        None,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.contains("blended with a lexical scorer (lexical.bin): 0.7 x graph + 0.3 x lexical"),
        "{out}"
    );
    assert!(out.contains("threshold: 0.475"), "{out}");
    let table = mitremap(
        &["analyze", "-f", "table", sample().to_str().unwrap()],
        None,
    );
    assert!(
        String::from_utf8_lossy(&table.stdout).contains("threshold 0.475:"),
        "{}",
        String::from_utf8_lossy(&table.stdout)
    );
}

/// A report marked `TLP:AMBER+STRICT` in its text is exported with that marking unless `--tlp`
/// says otherwise, and the analyst is told; the table names the marking.
#[test]
fn exports_carry_the_tlp_marking_written_in_the_text() {
    let text =
        b"TLP:AMBER+STRICT\n\nAPT29 used PowerShell to download a payload from 203.0.113.7.\n";
    let amber_strict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
    let o = analyze(&["-f", "stix", "-"], Some(text));
    assert!(o.status.success(), "{}", stderr(&o));
    let bundle: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let report = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["type"] == "report")
        .unwrap();
    assert_eq!(report["object_marking_refs"][0], amber_strict, "{report}");
    assert!(
        stderr(&o).contains("marked TLP:AMBER+STRICT"),
        "{}",
        stderr(&o)
    );

    let o = analyze(&["-f", "stix", "--tlp", "red", "-"], Some(text));
    let bundle: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = bundle.to_string();
    assert!(!s.contains(amber_strict) && s.contains("e828b379"), "{s}");
    assert!(!stderr(&o).contains("marked TLP"), "{}", stderr(&o));

    let o = analyze(&["-f", "table", "-"], Some(text));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("marked TLP:AMBER+STRICT in the text"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // unmarked text: unmarked export, no note
    let o = analyze(&["-f", "stix", "-"], Some(b"APT29 used PowerShell."));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("marking-definition"));
    assert!(!stderr(&o).contains("TLP"));
}
