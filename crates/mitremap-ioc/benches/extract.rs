//! Extraction throughput on the prose of `shared/data/train.jsonl` (the `text` fields joined with
//! newlines, ~7.2 MB) and on a 4x copy, to show linear scaling. Criterion reports MB/s (bytes
//! throughput). Run: `cargo bench -p mitremap-ioc --bench extract`.
//! Falls back to a synthetic threat-intel text when the shared data is not present.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn prose() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/train.jsonl");
    match std::fs::read_to_string(&p) {
        Ok(raw) => raw
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(_) => "APT29 used hxxps://evil[.]com/a.php and 185.117.72.190 to drop rundll32.exe \
                   (d41d8cd98f00b204e9800998ecf8427e) into C:\\Windows\\Temp; see CVE-2021-44228 \
                   and T1059.001. The actors.Cisco version 1.2.3.4 WinHttp/1.6.3.8.\n"
            .repeat(50_000),
    }
}

fn bench(c: &mut Criterion) {
    let text = prose();
    let text4 = [text.as_str(); 4].join("\n");
    let mut g = c.benchmark_group("extract");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("train_prose_1x", |b| {
        b.iter(|| black_box(mitremap_ioc::extract(black_box(&text))))
    });
    g.throughput(Throughput::Bytes(text4.len() as u64));
    g.bench_function("train_prose_4x", |b| {
        b.iter(|| black_box(mitremap_ioc::extract(black_box(&text4))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
