//! Reading rule packs, generating data, the demo.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use zhijian_engine::{Engine, Source};
use zhijian_synth::{Config, Generator};

use crate::{CliError, EXIT_OK};

/// `cn-default` → the embedded pack; a folder → every `*.toml` in it (pack.toml first); a file.
pub fn load_pack(spec: &str) -> Result<Engine, CliError> {
    if spec == "cn-default" && !Path::new(spec).exists() {
        return Ok(Engine::builtin());
    }
    let path = Path::new(spec);
    let mut files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| CliError::Usage(format!("cannot read rule pack folder {spec}: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        v.sort_by_key(|p| (p.file_name().is_none_or(|n| n != "pack.toml"), p.clone()));
        v
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "no .toml files in rule pack folder {spec}"
        )));
    }
    let mut texts = Vec::new();
    for f in files.drain(..) {
        let text = std::fs::read_to_string(&f).map_err(|e| {
            CliError::Usage(format!("cannot read rule pack file {}: {e}", f.display()))
        })?;
        texts.push((f.display().to_string(), text));
    }
    let sources: Vec<Source> = texts
        .iter()
        .map(|(n, t)| Source { name: n, text: t })
        .collect();
    Engine::from_sources(&sources)
        .map_err(|e| CliError::Usage(format!("invalid rule pack {spec}:\n{e}")))
}

fn create(path: &Path) -> Result<BufWriter<File>, CliError> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))
}

pub fn labels_path_for(output: &str) -> Option<PathBuf> {
    if output == "-" {
        return None;
    }
    let p = Path::new(output);
    let stem = p.file_stem()?.to_string_lossy().to_string();
    Some(p.with_file_name(format!("{stem}.labels.jsonl")))
}

pub fn generate(
    calls: usize,
    seed: u64,
    start: jiff::civil::Date,
    days: u32,
    all_channels: bool,
    output: &str,
    labels: Option<PathBuf>,
) -> Result<(), CliError> {
    let cfg = Config {
        calls,
        seed,
        start,
        days,
        all_channels,
        ..Config::default()
    };
    let mut out: Box<dyn Write> = if output == "-" {
        Box::new(BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(create(Path::new(output))?)
    };
    let labels = labels.or_else(|| labels_path_for(output));
    if labels.is_none() {
        eprintln!("note: labels not written (output is standard output; use --labels FILE)");
    }
    let mut lab = match &labels {
        Some(p) => Some(create(p)?),
        None => None,
    };
    for item in Generator::new(cfg) {
        // Timestamps as a collection system writes them: +08:00, some in UTC.
        writeln!(out, "{}", item.to_json_line())?;
        if let (Some(l), Some(line)) = (lab.as_mut(), item.labels_json_line()) {
            writeln!(l, "{line}")?;
        }
    }
    out.flush()?;
    if let Some(l) = lab.as_mut() {
        l.flush()?;
    }
    if output != "-" {
        eprintln!(
            "wrote {output}{}",
            labels
                .map(|l| format!(" and {}", l.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

pub fn demo(calls: usize, seed: u64, dir: &Path) -> Result<u8, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let input = dir.join("interactions.jsonl");
    let labels = dir.join("interactions.labels.jsonl");
    let results = dir.join("results.jsonl");
    let start = jiff::civil::date(2026, 10, 1);
    eprintln!(
        "生成演示数据 generating {calls} calls (+ SMS, visits, notes) into {} …",
        dir.display()
    );
    generate(
        calls,
        seed,
        start,
        30,
        true,
        &input.display().to_string(),
        Some(labels.clone()),
    )?;
    let engine = Engine::builtin();
    let mut examples: Vec<zhijian_domain::InspectionResult> = Vec::new();
    let t = std::time::Instant::now();
    let summary = crate::pipeline::inspect_file(
        &engine,
        &input.display().to_string(),
        &results.display().to_string(),
        None,
        |r| {
            if !r.passed && examples.len() < 3 && r.findings.iter().any(|f| f.span.is_some()) {
                examples.push(r.clone());
            }
        },
    )?;
    let secs = t.elapsed().as_secs_f64();
    crate::say!("\n质检演示 Zhijian demo — rule pack {}", engine.pack_ref());
    crate::say!(
        "检查 inspected {} interactions in {:.2}s; {} failed (不合格), {} findings",
        summary.interactions,
        secs,
        summary.failed,
        summary.findings
    );
    crate::say!("\n{:<32} {:>8}  说明", "category", "findings");
    let titles: std::collections::HashMap<&str, &str> =
        engine.categories().map(|(n, _, t)| (n, t)).collect();
    let mut cats: Vec<_> = summary.by_category.iter().collect();
    cats.sort_by(|a, b| b.1.cmp(a.1));
    for (c, n) in cats {
        crate::say!(
            "{:<32} {:>8}  {}",
            c,
            n,
            titles.get(c.as_str()).unwrap_or(&"")
        );
    }
    crate::say!("\n示例 Examples of findings with their evidence:");
    for r in &examples {
        crate::say!(
            "  {} — score {} {}",
            r.id,
            r.score,
            if r.passed { "合格" } else { "不合格" }
        );
        for f in r.findings.iter().take(4) {
            crate::say!(
                "    [{}·{}] {} {}",
                f.level.chinese(),
                f.category,
                f.message,
                if f.excerpt.is_empty() {
                    String::new()
                } else {
                    format!("«{}»", f.excerpt)
                }
            );
        }
    }
    crate::say!(
        "\nFiles: {} (input), {} (labels), {} (results)",
        input.display(),
        labels.display(),
        results.display()
    );
    crate::say!(
        "Score the engine on them: zhijian eval --input {} --labels {}",
        input.display(),
        labels.display()
    );
    Ok(EXIT_OK)
}
