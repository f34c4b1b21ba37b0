//! Write interchange lines to stdout and labels to stderr:
//! `cargo run --release -p zhijian-synth --example jsonl -- [calls] [seed] [all] > calls.jsonl 2> labels.jsonl`.
use std::io::Write;

use zhijian_synth::{Config, Generator};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100);
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let all = args.get(3).is_some_and(|s| s == "all");
    let cfg = Config {
        calls,
        seed,
        all_channels: all,
        ..Config::default()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut lab = std::io::BufWriter::new(std::io::stderr().lock());
    for item in Generator::new(cfg) {
        writeln!(out, "{}", item.to_json_line()).expect("stdout");
        if let Some(l) = item.labels_json_line() {
            writeln!(lab, "{l}").expect("stderr");
        }
    }
}
