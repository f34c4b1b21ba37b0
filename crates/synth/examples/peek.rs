//! Print connected calls whose length falls in a range, optionally with a label:
//! `peek -- lo hi n [label] [seed]`.
use zhijian_domain::{Channel, Outcome};
use zhijian_synth::{Config, Generator, Item};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| args[i].parse::<usize>().unwrap();
    let (lo, hi, n) = (num(0), num(1), num(2));
    let want = args.get(3).cloned().unwrap_or_default();
    let seed = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(7);
    let mut shown = 0;
    for item in Generator::new(Config {
        calls: 20000,
        seed,
        ..Config::default()
    }) {
        if let Item::Interaction {
            interaction: i,
            labels,
        } = &item
            && i.kind == Channel::Call
            && i.outcome == Some(Outcome::Connected)
        {
            let c: usize = i.segments.iter().map(|s| s.text.chars().count()).sum();
            if c >= lo
                && c < hi
                && (want.is_empty()
                    || labels.contains(&want)
                    || (want == "clean" && labels.is_empty()))
            {
                println!(
                    "== {} chars={c} turns={} party={:?} labels={labels:?}",
                    i.id,
                    i.segments.len(),
                    i.party
                );
                for s in &i.segments {
                    println!(
                        "  [{:>6.2}-{:>6.2}] {:?}: {}",
                        s.start, s.end, s.speaker, s.text
                    );
                }
                shown += 1;
                if shown >= n {
                    break;
                }
            }
        }
    }
}
