//! The streaming two-pass inspection pipeline.
//!
//! Pass 1 reads every line, rejects malformed ones (with line number, field and reason) and
//! builds the compact event index (a few dozen bytes per interaction). Pass 2 reads the input
//! again and writes one result per interaction, in input order. Standard input is spooled to a
//! temporary file so that it, too, can be read twice. Memory stays flat as the input grows.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use zhijian_domain::{InspectionResult, Record, RecordError};
use zhijian_engine::{Engine, IndexBuilder};
use zhijian_service::source::{JsonLines, Rejection};

use crate::CliError;

/// A rejected input line.
#[derive(Debug, Clone)]
pub struct Reject {
    pub line: usize,
    pub error: RecordError,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub lines: usize,
    pub interactions: usize,
    pub flags: usize,
    /// Context records (clients, agents, cases, contacts, complaints): accepted, not inspected.
    pub context: usize,
    pub rejected: usize,
    pub findings: usize,
    pub failed: usize,
    pub by_category: std::collections::BTreeMap<String, usize>,
    pub first_rejects: Vec<Reject>,
}

impl Summary {
    pub fn print(&self, input: &str, rejects: Option<&Path>) {
        let name = if input == "-" { "<stdin>" } else { input };
        for r in &self.first_rejects {
            eprintln!("{name}:{}: {} [input.invalid_record]", r.line, r.error);
        }
        if self.rejected > self.first_rejects.len() {
            eprintln!(
                "… and {} more rejected lines",
                self.rejected - self.first_rejects.len()
            );
        }
        eprintln!(
            "inspected {} interactions ({} flags, {} context records) from {} lines: {} findings, {} interactions failed; {} lines rejected{}",
            self.interactions,
            self.flags,
            self.context,
            self.lines,
            self.findings,
            self.failed,
            self.rejected,
            match rejects {
                Some(p) if self.rejected > 0 => format!(" (written to {})", p.display()),
                _ => String::new(),
            }
        );
    }
}

/// A seekable source for the two passes.
pub enum Input {
    File(File),
    Spooled(tempfile::NamedTempFile),
}

impl Input {
    pub fn open(path: &str) -> Result<Input, CliError> {
        if path == "-" {
            let mut tmp = tempfile::NamedTempFile::new()?;
            std::io::copy(&mut std::io::stdin().lock(), tmp.as_file_mut())?;
            Ok(Input::Spooled(tmp))
        } else {
            File::open(path)
                .map(Input::File)
                .map_err(|e| CliError::Usage(format!("cannot read {path}: {e} [input.unreadable]")))
        }
    }

    /// The rows from the start (the service's JSON Lines reader: BOM, CR, blank lines, located
    /// rejections).
    fn rows(&mut self) -> Result<JsonLines<&File>, CliError> {
        let f: &File = match self {
            Input::File(f) => f,
            Input::Spooled(t) => t.as_file(),
        };
        let mut r = f;
        r.seek(SeekFrom::Start(0))?;
        Ok(JsonLines::with_capacity(1 << 20, f))
    }
}

/// Inspect `input` into `output`; `on_result` sees every result (used by eval and demo).
pub fn inspect_file(
    engine: &Engine,
    input: &str,
    output: &str,
    rejects_path: Option<&Path>,
    mut on_result: impl FnMut(&InspectionResult),
) -> Result<Summary, CliError> {
    let mut src = Input::open(input)?;
    let mut summary = Summary::default();
    let mut rejects_out = match rejects_path {
        Some(p) => Some(BufWriter::new(File::create(p).map_err(|e| {
            CliError::Usage(format!("cannot write {}: {e}", p.display()))
        })?)),
        None => None,
    };

    // Pass 1: validate and index; rejected lines go to the rejects file with their raw text, so
    // nothing is lost.
    let mut builder = IndexBuilder::new();
    let mut ordinal = 0u32;
    let mut rows = src.rows()?;
    while let Some(row) = rows.read_row()? {
        let n = row.line as usize;
        summary.lines = n;
        match row.record {
            Ok(Record::Interaction(i)) => {
                builder.add(engine, ordinal, &i);
                ordinal += 1;
            }
            Ok(Record::Flag(f)) => {
                builder.add_flag(&f);
                summary.flags += 1;
            }
            Ok(_) => summary.context += 1,
            Err(Rejection { field, reason }) => {
                summary.rejected += 1;
                if let Some(w) = rejects_out.as_mut() {
                    let line = serde_json::json!({
                        "file": input, "line": n, "field": field, "error": reason, "raw": row.raw,
                    });
                    writeln!(w, "{line}")?;
                }
                if summary.first_rejects.len() < 20 {
                    let error = RecordError {
                        field,
                        message: reason,
                    };
                    summary.first_rejects.push(Reject { line: n, error });
                }
            }
        }
    }
    let index = builder.finish(engine);
    if let Some(w) = rejects_out.as_mut() {
        w.flush()?;
    }

    // Pass 2: inspect and write.
    let mut out: Box<dyn Write> = if output == "-" {
        Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock()))
    } else {
        Box::new(BufWriter::with_capacity(
            1 << 20,
            File::create(output)
                .map_err(|e| CliError::Usage(format!("cannot write {output}: {e}")))?,
        ))
    };
    let mut ordinal = 0u32;
    let mut rows = src.rows()?;
    while let Some(row) = rows.read_row()? {
        let Ok(Record::Interaction(i)) = row.record else {
            continue;
        };
        let result = engine.inspect_with(&i, &index, ordinal);
        ordinal += 1;
        summary.interactions += 1;
        summary.findings += result.findings.len();
        summary.failed += usize::from(!result.passed);
        for f in &result.findings {
            *summary
                .by_category
                .entry(f.category.as_str().to_string())
                .or_default() += 1;
        }
        on_result(&result);
        serde_json::to_writer(&mut out, &result).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(summary)
}

/// Lines of a small UTF-8 text file (labels), with line numbers; blank lines skipped.
pub fn for_each_raw_lines<R: Read>(
    mut r: BufReader<R>,
    mut f: impl FnMut(usize, &str),
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        n += 1;
        let bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let s = String::from_utf8_lossy(bytes.strip_suffix(b"\r").unwrap_or(bytes));
        if !s.trim().is_empty() {
            f(n, &s);
        }
    }
}
