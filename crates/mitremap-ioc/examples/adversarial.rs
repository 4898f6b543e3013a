//! Time extraction on adversarial 1 MB inputs: `cargo run --release -p mitremap-ioc --example adversarial`.
fn main() {
    const MB: usize = 1 << 20;
    let cases: Vec<(&str, String)> = vec![
        ("a.a.a", "a.".repeat(MB / 2)),
        ("1.1.1", "1.".repeat(MB / 2)),
        ("hex", "a".repeat(MB)),
        ("hex-mixed", "0123456789abcdef".repeat(MB / 16)),
        ("[.]", "[.]".repeat(MB / 3)),
        ("a[.]", "a[.]".repeat(MB / 4)),
        ("colons", ":".repeat(MB)),
        ("hex-colons", "ab:".repeat(MB / 3)),
        ("slashes", "/a".repeat(MB / 2)),
        ("backslashes", "\\A B".repeat(MB / 4)),
        ("url", format!("http://a.com/{}", "a".repeat(MB))),
        ("at", " at a".repeat(MB / 5)),
        ("dot", " dot a".repeat(MB / 6)),
        ("schemes", "hxxp://".repeat(MB / 7)),
        ("rule", "rule a ".repeat(MB / 7)),
        ("at-signs", "a@".repeat(MB / 2)),
        ("digits", "1".repeat(MB)),
        ("spaces", " ".repeat(MB)),
        ("dashes", "a-".repeat(MB / 2)),
        ("percent", "%a%\\".repeat(MB / 4)),
    ];
    for (name, text) in cases {
        let t0 = std::time::Instant::now();
        let hits = mitremap_ioc::extract(&text);
        println!(
            "{name:12} {:8.3} s  {} hits",
            t0.elapsed().as_secs_f64(),
            hits.len()
        );
    }
}
