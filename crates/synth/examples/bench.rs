//! Throughput: `cargo run --release -p zhijian-synth --example bench -- [calls] [all]`.
use std::time::Instant;

use zhijian_synth::{Config, Generator};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let all = args.get(2).is_some_and(|s| s == "all");
    let cfg = Config {
        calls,
        seed: 1,
        all_channels: all,
        ..Config::default()
    };
    let t = Instant::now();
    let n = Generator::new(cfg.clone()).count();
    let g = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let bytes: usize = Generator::new(cfg)
        .map(|i| i.to_json_line().len() + 1)
        .sum();
    let j = t.elapsed().as_secs_f64();
    println!(
        "{n} items: generate {:.0} items/s ({:.0} calls/s); generate + JSON {:.0} items/s, {:.0} MB/s",
        n as f64 / g,
        calls as f64 / g,
        n as f64 / j,
        bytes as f64 / j / 1e6
    );
}
