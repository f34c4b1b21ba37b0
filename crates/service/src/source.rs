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
    let mut rows = JsonLines::new(file);
    rows.done = done.clone();
    Ok(Source {
        description: "interchange JSON Lines".into(),
        size,
        rows: Box::new(rows),
        done,
    })
}

/// Rows of an interchange JSON Lines stream, numbered by physical line: a byte-order mark on
/// the first line, `\r\n` endings and blank lines are accepted; a line that is not UTF-8 or not
/// a valid record is a rejected row (with its raw text), never the end of the stream. Reads one
/// line at a time, so memory stays flat however long the input.
///
/// As an [`Iterator`], a read error ends the stream with one rejected row; [`JsonLines::read_row`]
/// returns it instead.
pub struct JsonLines<R> {
    r: BufReader<R>,
    buf: Vec<u8>,
    line: u64,
    /// Set after a read error: the rest of the stream is not read.
    failed: bool,
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> JsonLines<R> {
    pub fn new(r: R) -> Self {
        Self::with_capacity(1 << 16, r)
    }

    /// With a read buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, r: R) -> Self {
        JsonLines {
            r: BufReader::with_capacity(capacity, r),
            buf: Vec::new(),
            line: 0,
            failed: false,
            done: Default::default(),
        }
    }

    /// The next non-blank row; `Ok(None)` at the end, `Err` when reading failed.
    pub fn read_row(&mut self) -> std::io::Result<Option<SourceRow>> {
        loop {
            self.buf.clear();
            let n = self.r.read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                return Ok(None);
            }
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
            return Ok(Some(row(self.line, bytes)));
        }
    }
}

fn row(line: u64, bytes: &[u8]) -> SourceRow {
    match std::str::from_utf8(bytes) {
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
    }
}

impl<R: Read> Iterator for JsonLines<R> {
    type Item = SourceRow;

    fn next(&mut self) -> Option<SourceRow> {
        if self.failed {
            return None;
        }
        match self.read_row() {
            Ok(row) => row,
            Err(e) => {
                // An I/O error mid-file: report it as a rejected row and stop reading.
                self.failed = true;
                self.line += 1;
                Some(SourceRow {
                    line: self.line,
                    raw: String::new(),
                    record: Err(Rejection {
                        field: String::new(),
                        reason: format!("read error: {e}"),
                    }),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: &str = r#"{"id":"c1","kind":"sms","case_id":"K1","agent_id":"A1","client":"x","started_at":"2026-03-02T10:00:00+08:00","text":"请尽快还款"}"#;

    fn rows(bytes: &[u8]) -> Vec<(u64, Result<String, Rejection>, String)> {
        JsonLines::new(bytes)
            .map(|r| (r.line, r.record.map(|rec| format!("{rec:?}")), r.raw))
            .collect()
    }

    #[test]
    fn bom_crlf_blank_lines_and_bad_lines_keep_physical_line_numbers() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(CALL.as_bytes());
        bytes.extend_from_slice(b"\r\n\r\n   \n{not json\r\n\xFF\xFE\n");
        bytes.extend_from_slice(CALL.as_bytes());
        let got = rows(&bytes);
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 4, 5, 6]);
        assert!(got[0].1.is_ok(), "BOM and CR stripped: {:?}", got[0]);
        assert!(got[3].1.is_ok(), "last line without newline: {:?}", got[3]);
        assert_eq!(got[1].2, "{not json", "raw kept for a rejected row");
        let utf8 = got[2].1.as_ref().unwrap_err();
        assert!(
            utf8.reason.starts_with("not valid UTF-8 (byte 0)"),
            "{utf8:?}"
        );
        assert!(got[0].2.is_empty());
    }

    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            self.0 -= 1;
            let line = format!("{CALL}\n");
            buf[..line.len()].copy_from_slice(line.as_bytes());
            Ok(line.len())
        }
    }

    #[test]
    fn a_read_error_is_an_error_or_one_last_rejected_row() {
        let mut r = JsonLines::with_capacity(4096, Failing(1));
        assert!(r.read_row().unwrap().is_some_and(|r| r.record.is_ok()));
        assert!(r.read_row().is_err());

        let got = rows_of(JsonLines::with_capacity(4096, Failing(1)));
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].line, 2);
        let e = got[1].record.as_ref().unwrap_err();
        assert!(e.reason.contains("read error: disk on fire"), "{e:?}");
    }

    fn rows_of<R: Read>(r: JsonLines<R>) -> Vec<SourceRow> {
        r.collect()
    }
}
