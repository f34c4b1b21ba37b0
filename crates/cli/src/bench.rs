//! `zhijian bench`: inspection throughput on one core, against a bare Aho–Corasick scan of the
//! same bytes with all of the pack's phrases, measured in the same process.

use std::time::{Duration, Instant};

use zhijian_domain::Interaction;
use zhijian_engine::{Engine, build_automaton};
use zhijian_synth::{Config, Generator, Item};

fn time_loop(seconds: f64, mut f: impl FnMut() -> usize) -> (f64, usize) {
    // Warm up once, then repeat whole passes until `seconds` have gone by.
    let mut sink = f();
    let start = Instant::now();
    let mut passes = 0usize;
    while start.elapsed() < Duration::from_secs_f64(seconds) || passes == 0 {
        sink = sink.wrapping_add(f());
        passes += 1;
    }
    std::hint::black_box(sink);
    (start.elapsed().as_secs_f64() / passes as f64, passes)
}

pub fn run(engine: &Engine, n: usize, seed: u64, seconds: f64) {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this is a debug build; run `cargo run --release -p zhijian-cli -- bench` for real figures"
        );
    }
    let calls: Vec<Interaction> = Generator::new(Config {
        calls: n,
        seed,
        ..Config::default()
    })
    .filter_map(|i| match i {
        Item::Interaction { interaction, .. } if !interaction.segments.is_empty() => {
            Some(interaction)
        }
        _ => None,
    })
    .collect();
    let lines: Vec<String> = calls
        .iter()
        .map(|c| serde_json::to_string(c).expect("serialise"))
        .collect();
    let chars: usize = calls
        .iter()
        .flat_map(|c| &c.segments)
        .map(|s| s.text.chars().count())
        .sum();
    let bytes: usize = calls
        .iter()
        .flat_map(|c| &c.segments)
        .map(|s| s.text.len())
        .sum();
    let secs: f64 = calls
        .iter()
        .filter_map(|c| c.segments.last().map(|s| s.end))
        .sum();
    let k = calls.len().max(1) as f64;
    crate::say!(
        "pack {} — {} phrases, {} rules",
        engine.pack_ref(),
        engine.phrases().len(),
        engine.rules().len()
    );
    crate::say!(
        "{} connected calls: avg {:.0} chars ({:.0} bytes UTF-8), {:.0} s of speech, {:.1} turns",
        calls.len(),
        chars as f64 / k,
        bytes as f64 / k,
        secs / k,
        calls.iter().map(|c| c.segments.len()).sum::<usize>() as f64 / k
    );

    let ac = build_automaton(engine.phrases()).expect("automaton");
    let (t_ac, p_ac) = time_loop(seconds, || {
        let mut m = 0;
        for c in &calls {
            for s in &c.segments {
                m += ac.find_overlapping_iter(&s.text).count();
            }
        }
        m
    });
    let (t_in, p_in) = time_loop(seconds, || {
        let mut m = 0;
        for c in &calls {
            m += engine.inspect(c).findings.len();
        }
        m
    });
    let (t_e2e, p_e2e) = time_loop(seconds, || {
        let mut m = 0;
        for l in &lines {
            if let Ok(zhijian_domain::Record::Interaction(i)) = zhijian_domain::parse_record(l) {
                let r = engine.inspect(&i);
                m += serde_json::to_string(&r).map(|s| s.len()).unwrap_or(0);
            }
        }
        m
    });
    let rate = |t: f64| k / t;
    crate::say!(
        "bare Aho–Corasick scan      {:>10.0} calls/s  {:>7.1} MB/s  ({} passes)",
        rate(t_ac),
        bytes as f64 / t_ac / 1e6,
        p_ac
    );
    crate::say!(
        "full inspection (engine)    {:>10.0} calls/s  {:>7.1} MB/s  ({} passes)",
        rate(t_in),
        bytes as f64 / t_in / 1e6,
        p_in
    );
    crate::say!(
        "parse + inspect + serialise {:>10.0} calls/s  {:>7.1} MB/s  ({} passes)",
        rate(t_e2e),
        bytes as f64 / t_e2e / 1e6,
        p_e2e
    );
    crate::say!("ratio inspection / bare scan: {:.2}x", t_in / t_ac);
}
