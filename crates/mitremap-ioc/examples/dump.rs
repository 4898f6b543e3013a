//! Print the IoCs found in FILE (or stdin) as JSON lines: `cargo run -p mitremap-ioc --example dump -- FILE`.
use std::io::Read;

fn main() {
    let mut text = String::new();
    match std::env::args().nth(1) {
        Some(p) if p != "-" => text = std::fs::read_to_string(p).expect("read input"),
        _ => {
            std::io::stdin()
                .read_to_string(&mut text)
                .expect("read stdin");
        }
    }
    for ioc in mitremap_ioc::extract(&text) {
        println!("{}", serde_json::to_string(&ioc).unwrap());
    }
}
