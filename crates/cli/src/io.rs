//! Reading rule packs, generating data, the demo.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use zhijian_engine::{Engine, Source};
use zhijian_synth::{Config, Generator};

use crate::CliError;

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

/// `2026-10-01` (that day's start in Asia/Shanghai; with `end`, the next day's start, so the
/// day is included) or an RFC 3339 instant.
pub fn parse_instant(s: &str, flag: &str, end: bool) -> Result<jiff::Timestamp, CliError> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let d: jiff::civil::Date = s.parse().map_err(|e| {
        CliError::Usage(format!(
            "{flag} {s:?}: expected YYYY-MM-DD or an RFC 3339 instant ({e})"
        ))
    })?;
    let d = if end {
        d.tomorrow()
            .map_err(|e| CliError::Usage(format!("{flag} {s:?}: {e}")))?
    } else {
        d
    };
    d.in_tz("Asia/Shanghai")
        .map(|z| z.timestamp())
        .map_err(|e| CliError::Usage(format!("{flag} {s:?}: {e}")))
}
