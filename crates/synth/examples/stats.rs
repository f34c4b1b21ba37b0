//! Summary statistics of a generated set: `cargo run --release -p zhijian-synth --example stats -- [calls] [seed] [all]`.
use std::collections::BTreeMap;
use std::time::Instant;

use zhijian_domain::{Channel, Outcome};
use zhijian_synth::{Config, Generator, Item};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let all = args.get(3).is_some_and(|s| s == "all");
    let cfg = Config {
        calls,
        seed,
        all_channels: all,
        ..Config::default()
    };
    let t0 = Instant::now();
    let mut items = 0usize;
    let mut bytes = 0usize;
    let (mut conn, mut chars, mut turns, mut dur) = (0usize, 0usize, 0usize, 0f64);
    let mut turn_hist: BTreeMap<usize, usize> = BTreeMap::new();
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();
    let mut char_hist: BTreeMap<usize, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut labelled_conn = 0usize;
    for item in Generator::new(cfg) {
        items += 1;
        bytes += item.to_json_line().len();
        if let Item::Interaction {
            interaction: i,
            labels: l,
        } = &item
        {
            *kinds.entry(i.kind.as_str()).or_default() += 1;
            for x in l {
                *labels.entry(x.clone()).or_default() += 1;
            }
            if i.kind == Channel::Call && i.outcome == Some(Outcome::Connected) {
                conn += 1;
                chars += i
                    .segments
                    .iter()
                    .map(|s| s.text.chars().count())
                    .sum::<usize>();
                turns += i.segments.len();
                *turn_hist.entry(i.segments.len() / 5 * 5).or_default() += 1;
                let c: usize = i.segments.iter().map(|s| s.text.chars().count()).sum();
                *char_hist.entry(c / 100 * 100).or_default() += 1;
                dur += i.segments.last().map_or(0.0, |s| s.end);
                if !l.is_empty() {
                    labelled_conn += 1;
                }
            }
        } else {
            *kinds.entry("flag").or_default() += 1;
        }
    }
    let el = t0.elapsed().as_secs_f64();
    println!(
        "items {items} in {el:.2}s = {:.0} items/s ({:.1} MB json)",
        items as f64 / el,
        bytes as f64 / 1e6
    );
    println!("kinds {kinds:?}");
    println!(
        "connected {conn}: avg chars {:.0}, avg turns {:.1}, avg dur {:.0}s, labelled {:.1}%",
        chars as f64 / conn as f64,
        turns as f64 / conn as f64,
        dur / conn as f64,
        100.0 * labelled_conn as f64 / conn as f64
    );
    println!("turns histogram (by 5): {turn_hist:?}");
    println!("chars histogram (by 100): {char_hist:?}");
    for (k, v) in labels {
        println!("  {k:32} {v}");
    }
}
