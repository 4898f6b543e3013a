//! Documents through the real `mitremap` binary: the Glass Harbor report as PDF, DOCX, HTML,
//! e-mail and Markdown (tests/fixtures/documents, made with pandoc/LibreOffice/qpdf) analysed with
//! the shipped model and the real ONNX Runtime; and every kind of bad document, each one clear
//! line and a non-zero exit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn documents() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents")
}

fn doc(name: &str) -> String {
    documents().join(name).display().to_string()
}

fn mitremap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mitremap"))
        .args(args)
        .env_remove("MITREMAP_MODEL")
        .env_remove("MITREMAP_PDF_PASSWORD")
        .env("MITREMAP_LOG", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A failure: non-zero exit, one line on stderr that contains `needle`, nothing on stdout.
fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure; stderr: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty());
}

fn schema_errors(instance: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::draft202012::options().build(&schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn techniques(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn ioc<'a>(report: &'a Value, kind: &str, value: &str) -> Option<&'a Value> {
    report["iocs"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == kind && i["value"] == value)
}

/// The same report as PDF, DOCX and HTML (a blog page with navigation, ads and scripts around
/// it) gives the same techniques and IoCs, each IoC and chunk located in its source.
#[test]
fn the_same_report_as_pdf_docx_and_html_gives_the_same_analysis_with_locations() {
    let mut seen = Vec::new();
    for (file, format) in [
        ("glass-harbor.pdf", "pdf"),
        ("glass-harbor.docx", "docx"),
        ("glass-harbor.html", "html"),
    ] {
        let report = json(&mitremap(&["analyze", &doc(file), "--threads", "1"]));
        assert_eq!(schema_errors(&report), Vec::<String>::new(), "{file}");
        assert_eq!(report["input"]["document"]["format"], format);
        assert_eq!(
            report["input"]["document"]["bytes"],
            std::fs::metadata(doc(file)).unwrap().len()
        );
        let found = techniques(&report);
        for expected in ["T1003.001", "T1053.005", "T1059", "T1218.011", "T1566"] {
            assert!(
                found.iter().any(|t| t == expected),
                "{file}: {expected} not in {found:?}"
            );
        }
        for (kind, value) in [
            (
                "sha256",
                "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
            ),
            ("ipv4", "203.0.113.77"),
            ("cve", "CVE-2024-3400"),
            (
                "registry_key",
                "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            ),
            // Behind a link: the target is kept as text.
            ("url", "https://files.harbor-notice.com/claim/8841.html"),
            ("url", "http://198.51.100.14/gate.php"),
        ] {
            let item = ioc(&report, kind, value)
                .unwrap_or_else(|| panic!("{file}: {kind} {value} missing"));
            assert!(item["source"].is_object(), "{file}: {item}");
        }
        for chunk in report["chunks"].as_array().unwrap() {
            assert!(chunk["source"].is_object(), "{file}: {chunk}");
        }
        let gate = &ioc(&report, "url", "http://198.51.100.14/gate.php").unwrap()["source"];
        match format {
            // The code block is on the second page of the PDF.
            "pdf" => assert_eq!(gate["page"], 2, "{gate}"),
            "docx" => assert_eq!(gate["section"], "Indicators", "{gate}"),
            _ => {
                assert_eq!(gate["section"], "Indicators", "{gate}");
                assert!(
                    gate["element"].as_str().unwrap().ends_with(">pre"),
                    "{gate}"
                );
            }
        }
        seen.push((file, found));
    }
    assert_eq!(seen[0].1, seen[1].1, "{seen:?}");
    assert_eq!(seen[0].1, seen[2].1, "{seen:?}");
}

#[test]
fn html_page_furniture_and_scripts_are_not_read() {
    let out = json(&mitremap(&["iocs", &doc("glass-harbor.html")]));
    let text = out.to_string();
    for absent in [
        "192.0.2.200",
        "tracker.example.net",
        "shop.example.net",
        "press@example.net",
    ] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
    let details = out["details"].as_array().unwrap();
    assert!(details.iter().all(|d| {
        d["source"]["element"]
            .as_str()
            .is_some_and(|e| e.starts_with("html>body>main>article#report"))
    }));
}

#[test]
fn email_headers_body_and_attachment_are_read_and_located() {
    let report = json(&mitremap(&[
        "analyze",
        &doc("glass-harbor.eml"),
        "--threads",
        "1",
    ]));
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    assert_eq!(report["input"]["document"]["format"], "eml");
    let found = techniques(&report);
    for expected in ["T1003.001", "T1053.005"] {
        assert!(
            found.iter().any(|t| t == expected),
            "{expected} not in {found:?}"
        );
    }
    // The relay's address is in a Received header; the beacon in the text body.
    assert_eq!(
        ioc(&report, "ipv4", "192.0.2.45").unwrap()["source"]["part"],
        "headers"
    );
    assert_eq!(
        ioc(&report, "ipv4", "203.0.113.77").unwrap()["source"]["part"],
        "body 1 (text/plain)"
    );
    // The attachment is named, not opened.
    let file = ioc(&report, "filename", "harborsvc.dll").unwrap();
    assert_eq!(file["source"]["part"], "attachments");
    assert!(!report.to_string().contains("TVqQ"));
}

#[test]
fn markdown_keeps_link_targets_and_sections() {
    let report = json(&mitremap(&["iocs", &doc("glass-harbor.md")]));
    let details = report["details"].as_array().unwrap();
    let url = details
        .iter()
        .find(|d| d["value"] == "https://files.harbor-notice.com/claim/8841.html")
        .unwrap();
    assert_eq!(url["source"]["section"], "Initial access");
    assert_eq!(
        url["raws"][0],
        "hxxps://files.harbor-notice[.]com/claim/8841.html"
    );
}

/// A 21-page PDF with a running header and page-number footer: the header is read once (it
/// carries the TLP marking), page numbers not at all, and chunks carry their pages.
#[test]
fn running_headers_and_page_numbers_of_a_long_pdf_are_dropped() {
    let report = json(&mitremap(&[
        "analyze",
        &doc("glass-harbor-long.pdf"),
        "--threads",
        "2",
    ]));
    assert_eq!(report["input"]["document"]["pages"], 21);
    let text: String = report["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        text.matches("Example Threat Intel - Glass Harbor").count(),
        1
    );
    for n in 2..=21 {
        assert!(!text.contains(&format!("Page {n}")), "Page {n} left in");
    }
    let last = report["chunks"].as_array().unwrap().last().unwrap().clone();
    let page = last.get("source_end").unwrap_or(&last["source"])["page"].clone();
    assert_eq!(page, 21, "{last}");
}

#[test]
fn a_folder_of_mixed_documents_is_analysed_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "glass-harbor.pdf",
        "glass-harbor.docx",
        "glass-harbor.html",
        "glass-harbor.eml",
        "glass-harbor.md",
        "encrypted.pdf",
    ] {
        std::fs::copy(doc(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "The actor used PowerShell.\n").unwrap();
    let o = mitremap(&["analyze", dir.path().to_str().unwrap(), "--threads", "1"]);
    // One report failed (the encrypted PDF): non-zero exit, the others are there.
    assert!(!o.status.success());
    let lines: Vec<Value> = String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    let by_name = |suffix: &str| {
        lines
            .iter()
            .find(|l| l["input"]["name"].as_str().unwrap().ends_with(suffix))
            .unwrap()
    };
    assert!(
        by_name("encrypted.pdf")["error"]
            .as_str()
            .unwrap()
            .contains("encrypted")
    );
    for (suffix, format) in [
        ("glass-harbor.pdf", "pdf"),
        ("glass-harbor.docx", "docx"),
        ("glass-harbor.html", "html"),
        ("glass-harbor.eml", "eml"),
        ("glass-harbor.md", "markdown"),
    ] {
        let line = by_name(suffix);
        assert_eq!(line["input"]["document"]["format"], format, "{line}");
        assert!(line["chunks"][0]["source"].is_object(), "{suffix}");
    }
    assert!(by_name("notes.txt")["input"].get("document").is_none());
}

#[test]
fn encrypted_pdf_needs_its_password() {
    let o = mitremap(&["iocs", &doc("encrypted.pdf")]);
    assert_one_line_error(&o, "encrypted");
    assert!(stderr(&o).contains("--password"));
    let o = mitremap(&["iocs", &doc("encrypted.pdf"), "--password", "wrong"]);
    assert_one_line_error(&o, "password given does not open it");
    let out = json(&mitremap(&[
        "iocs",
        &doc("encrypted.pdf"),
        "--password",
        "secret-user",
    ]));
    assert!(out["iocs"]["cve"].to_string().contains("CVE-2024-3400"));
}

#[test]
fn scanned_truncated_and_mislabelled_documents_are_one_line_errors() {
    assert_one_line_error(
        &mitremap(&["analyze", &doc("scanned-no-text.pdf")]),
        "needs OCR",
    );
    assert_one_line_error(
        &mitremap(&["iocs", &doc("truncated.pdf")]),
        "not a readable PDF",
    );
    assert_one_line_error(
        &mitremap(&["iocs", "--input-format", "pdf", &doc("glass-harbor.md")]),
        "not a readable PDF",
    );
    assert_one_line_error(
        &mitremap(&["iocs", "--input-format", "docx", &doc("glass-harbor.md")]),
        "not a readable DOCX",
    );
    // Forcing text on a PDF does not slip its bytes past the binary check.
    assert_one_line_error(
        &mitremap(&["iocs", "--input-format", "text", &doc("glass-harbor.pdf")]),
        "is a binary document, not text",
    );
    // An unknown format is a usage error (clap's, with the list of formats).
    let o = mitremap(&["iocs", "--input-format", "rtf", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("text, markdown, html, docx, eml, pdf"));
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join("old.doc");
    std::fs::write(&legacy, b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0rest").unwrap();
    assert_one_line_error(
        &mitremap(&["iocs", legacy.to_str().unwrap()]),
        "legacy Office",
    );
}

fn docx_with(document_xml: &[u8], repeat: usize) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("word/document.xml", opts).unwrap();
        for _ in 0..repeat {
            zip.write_all(document_xml).unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn docx_zip_bomb_and_billion_laughs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB of spaces deflates to about 1 MiB; reading stops at the 128 MiB cap.
    let bomb = dir.path().join("bomb.docx");
    std::fs::write(&bomb, docx_with(&vec![b' '; 1 << 20], 1024)).unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 4 << 20);
    let started = Instant::now();
    assert_one_line_error(&mitremap(&["iocs", bomb.to_str().unwrap()]), "zip bomb");
    assert!(started.elapsed() < Duration::from_secs(60));

    let laughs = dir.path().join("laughs.docx");
    let mut xml = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str(
        "]><w:document><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>",
    );
    std::fs::write(&laughs, docx_with(xml.as_bytes(), 1)).unwrap();
    assert_one_line_error(
        &mitremap(&["iocs", laughs.to_str().unwrap()]),
        "billion-laughs",
    );
}

#[test]
fn deeply_nested_html_and_ten_thousand_scripts_are_read_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.html");
    let mut page = String::from("<!DOCTYPE html><html><body>");
    page.push_str(&"<div><span>".repeat(200_000));
    page.push_str("<p>Beacon to 198.51.100.99 observed.</p>");
    page.push_str(&"</span></div>".repeat(200_000));
    page.push_str(&"<script>fetch('http://203.0.113.250/x')</script>".repeat(10_000));
    page.push_str("</body></html>");
    std::fs::write(&path, &page).unwrap();
    let started = Instant::now();
    let out = json(&mitremap(&["iocs", path.to_str().unwrap()]));
    assert!(started.elapsed() < Duration::from_secs(60));
    let text = out.to_string();
    assert!(text.contains("198.51.100.99"), "{text}");
    assert!(
        !text.contains("203.0.113.250"),
        "script content read: {text}"
    );
}

/// A minimal PDF (Helvetica, one text line per entry of `pages`), written by hand so the test
/// needs no generator.
fn simple_pdf(pages: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 4 + 2 * i))
        .collect();
    object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    object(
        &mut out,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .as_bytes(),
    );
    object(
        &mut out,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    for (i, text) in pages.iter().enumerate() {
        object(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            )
            .as_bytes(),
        );
        let escaped = text
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        let content = format!("BT /F1 11 Tf 72 720 Td ({escaped}) Tj ET");
        object(
            &mut out,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        );
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_five_thousand_page_pdf_is_read_page_by_page() {
    let pages: Vec<String> = (1..=5000)
        .map(|n| format!("Host 10.{}.{}.7 was seen on this page.", n / 256, n % 256))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.pdf");
    std::fs::write(&path, simple_pdf(&pages)).unwrap();
    let started = Instant::now();
    let out = json(&mitremap(&["iocs", path.to_str().unwrap()]));
    assert!(started.elapsed() < Duration::from_secs(120));
    let details = out["details"].as_array().unwrap();
    assert_eq!(details.len(), 5000);
    // Page 4321's address is located on page 4321.
    let ip = format!("10.{}.{}.7", 4321 / 256, 4321 % 256);
    let item = details.iter().find(|d| d["value"] == ip.as_str()).unwrap();
    assert_eq!(item["source"]["page"], 4321);
}

/// A Navigator layer of a document says where each technique's evidence is.
#[test]
fn navigator_layer_of_a_docx_names_the_sections_of_the_evidence() {
    let layer = json(&mitremap(&[
        "analyze",
        &doc("glass-harbor.docx"),
        "--threads",
        "1",
        "--format",
        "navigator",
    ]));
    let technique = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["techniqueID"] == "T1003.001")
        .unwrap();
    let source = technique["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "source")
        .unwrap();
    assert!(
        source["value"]
            .as_str()
            .unwrap()
            .contains("\"Credential access\""),
        "{source}"
    );
    assert!(
        layer["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "source document" && m["value"] == "docx")
    );
}

/// A document piped on stdin is recognised by its content (no name to go by).
#[test]
fn a_pdf_on_stdin_is_read_as_a_pdf() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mitremap"))
        .args(["iocs", "-"])
        .env("MITREMAP_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(doc("glass-harbor.pdf")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let out = json(&child.wait_with_output().unwrap());
    let details = out["details"].as_array().unwrap();
    let cve = details
        .iter()
        .find(|d| d["value"] == "CVE-2024-3400")
        .unwrap();
    assert_eq!(cve["source"]["page"], 2, "{cve}");
}

/// The IoC table of a document says where each indicator first appears.
#[test]
fn ioc_table_of_a_pdf_has_a_where_column() {
    let o = mitremap(&["iocs", &doc("glass-harbor.pdf"), "--format", "table"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.lines().next().unwrap().ends_with("WHERE"), "{table}");
    let cve = table.lines().find(|l| l.contains("CVE-2024-3400")).unwrap();
    assert!(cve.ends_with("page 2"), "{cve}");
    // Markdown has sections; the same file read as plain text has no such column.
    let o = mitremap(&["iocs", &doc("glass-harbor.md"), "--format", "table"]);
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(
        md.lines().next().unwrap().ends_with("WHERE"),
        "Markdown has sections: {md}"
    );
    let o = mitremap(&[
        "iocs",
        "--input-format",
        "text",
        &doc("glass-harbor.md"),
        "--format",
        "table",
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains("WHERE"), "{text}");
}

/// CSV and Markdown exports of a document say where things are in it: a `source` column (the
/// pages of a technique's chunks, the page of an IoC's first occurrence) and "page N" beside each
/// evidence passage and IoC; a DOCX names paragraphs and sections. Plain text leaves them empty.
#[test]
fn csv_and_markdown_exports_of_a_document_name_its_pages_and_sections() {
    let analyze = |file: &str, format: &str, extra: &[&str]| {
        let mut args = vec!["analyze", file, "--threads", "1", "--format", format];
        args.extend_from_slice(extra);
        let o = mitremap(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let csv = analyze(&doc("glass-harbor.pdf"), "csv", &[]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",review,source"), "{csv}");
    let gate = csv
        .lines()
        .find(|l| l.contains(",http://198.51.100.14/gate.php,"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        gate.ends_with(",page 2"),
        "the code block is on page 2: {gate}"
    );
    let credentials = csv
        .lines()
        .find(|l| l.starts_with("technique,T1003.001,"))
        .unwrap_or_else(|| panic!("{csv}"));
    let source = credentials.rsplit(',').next().unwrap();
    assert!(
        !source.is_empty() && source.split(';').all(|p| p.starts_with("page ")),
        "{credentials}"
    );

    let md = analyze(&doc("glass-harbor.pdf"), "markdown", &[]);
    let gate = md
        .lines()
        .find(|l| l.contains("198[.]51[.]100[.]14/gate.php"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(gate.contains("first on page 2"), "{gate}");
    let evidence = md
        .lines()
        .find(|l| l.starts_with("**T1003.001 "))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(evidence.contains(", page "), "{evidence}");

    let md = analyze(&doc("glass-harbor.docx"), "markdown", &[]);
    let gate = md
        .lines()
        .find(|l| l.contains("198[.]51[.]100[.]14/gate.php"))
        .unwrap();
    assert!(
        gate.contains("first on paragraph") && gate.contains("\"Indicators\""),
        "{gate}"
    );

    // the same Markdown file read as plain text: no places
    let csv = analyze(&doc("glass-harbor.md"), "csv", &["--input-format", "text"]);
    assert!(csv.lines().skip(1).all(|l| l.ends_with(',')), "{csv}");
}

/// A STIX bundle of a PDF says on which page each piece of evidence and each indicator's first
/// occurrence is, and still passes the OASIS validator.
#[test]
fn stix_bundle_of_a_pdf_carries_pages_and_validates() {
    let out = mitremap(&[
        "analyze",
        &doc("glass-harbor-long.pdf"),
        "--threads",
        "1",
        "--format",
        "stix",
    ]);
    let bundle = json(&out);
    let objects = bundle["objects"].as_array().unwrap();
    let evidence: Vec<&Value> = objects
        .iter()
        .filter(|o| o["type"] == "attack-pattern")
        .flat_map(|o| o["x_mitremap_evidence"].as_array().unwrap())
        .collect();
    assert!(!evidence.is_empty());
    assert!(
        evidence
            .iter()
            .all(|e| e["source"]["page"].as_u64().is_some()),
        "{evidence:#?}"
    );
    // the report runs over 21 pages: evidence from many of them
    let pages: std::collections::BTreeSet<u64> = evidence
        .iter()
        .filter_map(|e| e["source"]["page"].as_u64())
        .collect();
    assert!(pages.len() >= 10, "{pages:?}");
    let indicators: Vec<&Value> = objects
        .iter()
        .filter(|o| o["type"] == "indicator")
        .collect();
    assert!(!indicators.is_empty());
    assert!(
        indicators.iter().all(|i| i["description"]
            .as_str()
            .unwrap()
            .contains("First seen: page ")),
        "{indicators:#?}"
    );
    // the real validator
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/test-venv/bin/python");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| {
        if venv.is_file() {
            venv.display().to_string()
        } else {
            "python3".into()
        }
    });
    let v = Command::new(&python)
        .arg(root.join("crates/mitremap-export/tests/stix_validator.py"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "stix2-validator did not run (tools/setup-tests.sh): {}",
        String::from_utf8_lossy(&v.stderr)
    );
    let result: Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(result["errors"], serde_json::json!([]), "{result:#}");
}
