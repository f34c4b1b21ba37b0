//! One reader for every input file: interchange JSON Lines, or a CSV/XLSX export (see
//! [`crate::tabular`]). Rows come with their physical line number; a bad row is an `Err` with
//! the field and the reason, never the end of the file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use zhijian_domain::{Record, parse_record};

use crate::tabular::{self, TabularOptions};

/// Why one row was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Field (JSON path) or column header at fault; empty for the whole row.
    pub field: String,
    pub reason: String,
}

/// One row of an input file.
#[derive(Debug)]
pub struct SourceRow {
    /// Physical line (JSON Lines, CSV) or row (XLSX) number, 1-based.
    pub line: u64,
    /// The row as it appeared in the file; filled only for rejected rows.
    pub raw: String,
    pub record: Result<Record, Rejection>,
}

/// A file opened for reading records.
pub struct Source {
    /// What kind of file it is, for messages: `jsonl`, `csv (GB18030) calls`, `xlsx agents` …
    pub description: String,
    /// Size in bytes, for progress.
    pub size: u64,
    rows: Box<dyn Iterator<Item = SourceRow> + Send>,
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Source {
    /// Bytes of the file consumed so far (approximate for tabular files).
    pub fn bytes_done(&self) -> u64 {
        self.done.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Iterator for Source {
    type Item = SourceRow;
    fn next(&mut self) -> Option<SourceRow> {
        self.rows.next()
    }
}

/// A file that cannot be read at all (missing, unreadable, a table whose headers match nothing).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FileError {
    pub path: String,
    pub message: String,
}

/// Open `path` as JSON Lines or, when it is a CSV/XLSX export, as a table.
pub fn open(path: &Path, opts: &TabularOptions) -> Result<Source, FileError> {
    let ferr = |message: String| FileError {
        path: path.display().to_string(),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| ferr(e.to_string()))?
        .len();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    if tabular::is_tabular(path) {
        let table = tabular::open(path, opts).map_err(|e| ferr(e.to_string()))?;
        let description = format!(
            "{} table ({})",
            table.kind().as_str(),
            table.encoding().to_ascii_lowercase()
        );
        let counter = done.clone();
        let rows = table.map(move |row| {
            counter.fetch_add(
                row.raw.len() as u64 + 1,
                std::sync::atomic::Ordering::Relaxed,
            );
            let record = row.record.map_err(|e| Rejection {
                field: e.column.clone(),
                reason: e.to_string(),
            });
            SourceRow {
                line: row.line,
                raw: if record.is_err() {
                    row.raw
                } else {
                    String::new()
                },
                record,
            }
        });
        return Ok(Source {
            description,
            size,
            rows: Box::new(rows),
            done,
        });
    }
    let file = File::open(path).map_err(|e| ferr(e.to_string()))?;
    Ok(Source {
        description: "interchange JSON Lines".into(),
        size,
        rows: Box::new(JsonLines {
            r: Some(BufReader::with_capacity(1 << 16, file)),
            buf: Vec::new(),
            line: 0,
            done: done.clone(),
        }),
        done,
    })
}

struct JsonLines<R> {
    /// `None` after a read error: the rest of the file is not read.
    r: Option<BufReader<R>>,
    buf: Vec<u8>,
    line: u64,
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Iterator for JsonLines<R> {
    type Item = SourceRow;

    fn next(&mut self) -> Option<SourceRow> {
        loop {
            self.buf.clear();
            let r = self.r.as_mut()?;
            let n = match r.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => {
                    // An I/O error mid-file: report it as a rejected row and stop reading.
                    self.line += 1;
                    self.r = None;
                    return Some(SourceRow {
                        line: self.line,
                        raw: String::new(),
                        record: Err(Rejection {
                            field: String::new(),
                            reason: format!("read error: {e}"),
                        }),
                    });
                }
            };
            self.done
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            self.line += 1;
            let mut bytes: &[u8] = &self.buf;
            bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let line = self.line;
            return Some(match std::str::from_utf8(bytes) {
                Ok(s) => match parse_record(s) {
                    Ok(r) => SourceRow {
                        line,
                        raw: String::new(),
                        record: Ok(r),
                    },
                    Err(e) => SourceRow {
                        line,
                        raw: s.to_string(),
                        record: Err(Rejection {
                            field: e.field,
                            reason: e.message,
                        }),
                    },
                },
                Err(e) => SourceRow {
                    line,
                    raw: String::from_utf8_lossy(bytes).into_owned(),
                    record: Err(Rejection {
                        field: String::new(),
                        reason: format!(
                            "not valid UTF-8 (byte {}); interchange files must be UTF-8",
                            e.valid_up_to()
                        ),
                    }),
                },
            });
        }
    }
}
