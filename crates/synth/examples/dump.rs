//! Print a few generated items: `cargo run -p zhijian-synth --example dump -- [calls] [seed] [all]`.
use zhijian_synth::{Config, Generator, Item};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let all = args.get(3).is_some_and(|s| s == "all");
    let cfg = Config {
        calls,
        seed,
        all_channels: all,
        ..Config::default()
    };
    for item in Generator::new(cfg) {
        match &item {
            Item::Interaction {
                interaction,
                labels,
            } => {
                println!(
                    "== {} {:?} {:?} {:?} {:?} labels={labels:?}",
                    interaction.id,
                    interaction.kind,
                    interaction.outcome,
                    interaction.party,
                    interaction.started_at
                );
                for s in &interaction.segments {
                    println!(
                        "  [{:>6.2}-{:>6.2}] {:?}: {}",
                        s.start, s.end, s.speaker, s.text
                    );
                }
                if let Some(t) = &interaction.text {
                    println!("  text: {t}");
                }
            }
            Item::Flag(f) => println!("== FLAG {f:?}"),
        }
    }
}
