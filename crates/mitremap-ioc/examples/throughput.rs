//! Single-thread extraction throughput: `cargo run --release -p mitremap-ioc --example throughput -- FILE [REPEAT]`.
//! FILE is plain text, or a JSON-lines file whose `text` fields are joined with newlines (`*.jsonl`).
use std::time::Instant;

/// CPU time of this process in seconds (Linux `/proc/self/schedstat`), so the figure is not
/// distorted when the machine is shared; `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: throughput FILE [REPEAT]");
    let repeat: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let raw = std::fs::read_to_string(&path).expect("read input");
    let text = if path.ends_with(".jsonl") {
        raw.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        raw
    };
    let mb = text.len() as f64 / 1e6;
    let _ = mitremap_ioc::extract(&text); // warm-up (lazy statics)
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut hits = 0;
    for _ in 0..repeat.max(1) {
        let c0 = cpu_seconds();
        let t0 = Instant::now();
        hits = mitremap_ioc::extract(&text).len();
        best = best.min(t0.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
    }
    print!(
        "mitremap-ioc: {mb:.2} MB, {hits} hits, best of {repeat}: {best:.4} s, {:.1} MB/s",
        mb / best
    );
    if best_cpu.is_finite() {
        print!(" (cpu {best_cpu:.4} s, {:.1} MB/s cpu)", mb / best_cpu);
    }
    println!();
}
