//! Ingest: read files of any supported format, inspect every new or changed interaction with
//! the active rule pack, and store records and results together, batch by batch, each batch
//! one transaction.
//!
//! Guarantees (tested in `tests/ingest.rs`):
//! - **nothing doubled**: records are keyed by id (flags by contact/case + flag + time);
//!   re-ingesting a file changes nothing; a changed record is updated, re-inspected, and its
//!   previous version kept in the store's history;
//! - **nothing lost**: a bad row is rejected with file, line, field and reason (stored, and
//!   written to the rejects file when one is given) while the good rows land;
//! - **restartable**: batches commit one by one, so an ingest killed half way and run again
//!   ends with every record exactly once.
//!
//! Event-log rules (frequency, off hours, do-not-call, contact after a stop request) need the
//! contact history: the file is read twice. The first pass builds the event index from the
//! file's interactions and flags plus what the store already holds for the same people in the
//! same days (± 1 day); the second inspects and stores. Stored interactions of those people
//! that were not in the file are re-inspected too, since a new call can make an earlier one
//! part of a violation (the third call of a day makes the day excessive).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use zhijian_domain::{InspectionResult, Interaction, Record, Timestamp};
use zhijian_engine::{Engine, IndexBuilder};
use zhijian_store::{
    Batch, Inspection, RecordKind, Reject, Store, Upsert, canonical_json, hash_str, record_id,
};

use crate::ServiceError;
use crate::source;
use crate::tabular::TabularOptions;

/// How to ingest.
#[derive(Clone)]
pub struct IngestOptions {
    /// Records per transaction.
    pub batch_size: usize,
    /// Also write rejected rows as JSON Lines (`{"file","line","field","reason","raw"}`) here.
    pub rejects: Option<PathBuf>,
    /// How CSV/XLSX files are read (table kind, time zone of local times).
    pub tabular: TabularOptions,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            batch_size: 2000,
            rejects: None,
            tabular: TabularOptions::default(),
        }
    }
}

/// Progress reports for a long ingest (the CLI draws a bar from them).
pub trait Progress {
    /// A new phase over a file: `scan` (first pass) or `ingest` (second pass).
    fn phase(&mut self, file: &str, phase: &str, total_bytes: u64);
    /// Bytes of the file read so far and records handled in this phase.
    fn advance(&mut self, bytes: u64, records: u64);
    fn finish(&mut self);
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {
    fn phase(&mut self, _: &str, _: &str, _: u64) {}
    fn advance(&mut self, _: u64, _: u64) {}
    fn finish(&mut self) {}
}

/// What happened to one file.
#[derive(Debug, Default, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub format: String,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The file could not be read at all (then nothing of it was ingested).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The end-of-ingest summary.
#[derive(Debug, Default, Clone, Serialize)]
pub struct IngestSummary {
    pub files: Vec<FileSummary>,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Accepted (valid) records by kind, whether inserted, updated or unchanged.
    pub by_kind: BTreeMap<String, u64>,
    /// Interactions inspected (new or changed).
    pub inspected: u64,
    /// Inspected interactions that failed (red line or score below the pass mark).
    pub failed: u64,
    pub findings_by_category: BTreeMap<String, u64>,
    pub findings_by_level: BTreeMap<u8, u64>,
    /// Stored interactions of the same people and days re-inspected for event-log rules.
    pub history_reinspected: u64,
    pub seconds: f64,
    /// Where rejected rows were written, when any were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_file: Option<String>,
}

impl IngestSummary {
    fn count_result(&mut self, r: &InspectionResult) {
        self.inspected += 1;
        self.failed += u64::from(!r.passed);
        for f in &r.findings {
            *self
                .findings_by_category
                .entry(f.category.as_str().to_string())
                .or_default() += 1;
            *self.findings_by_level.entry(f.level.get()).or_default() += 1;
        }
    }
}

fn digest(s: &str) -> u64 {
    // Fixed keys: stable within a run, which is all this set needs.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

const DAY_MS: i64 = 86_400_000;

/// Ingest `files` into `store`, inspecting with `engine`. A file that cannot be opened is
/// reported in its [`FileSummary`] and skipped; a store failure stops the ingest (batches
/// already committed stay, and a rerun completes the rest).
pub async fn ingest(
    store: &Arc<Store>,
    engine: &Arc<Engine>,
    files: &[PathBuf],
    opts: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestSummary, ServiceError> {
    let started = Instant::now();
    let mut summary = IngestSummary::default();
    let mut rejects = RejectsFile::new(opts.rejects.clone());
    let stored_flags = store.flags().await?;
    for path in files {
        let fs = ingest_file(
            store,
            engine,
            path,
            opts,
            &stored_flags,
            progress,
            &mut summary,
            &mut rejects,
        )
        .await?;
        summary.files.push(fs);
    }
    rejects.finish()?;
    summary.rejects_file = rejects.written_to();
    summary.seconds = started.elapsed().as_secs_f64();
    progress.finish();
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
async fn ingest_file(
    store: &Arc<Store>,
    engine: &Arc<Engine>,
    path: &Path,
    opts: &IngestOptions,
    stored_flags: &[zhijian_domain::Flag],
    progress: &mut dyn Progress,
    summary: &mut IngestSummary,
    rejects: &mut RejectsFile,
) -> Result<FileSummary, ServiceError> {
    let name = path.display().to_string();
    let mut fs = FileSummary {
        path: name.clone(),
        ..FileSummary::default()
    };
    // ---- pass 1: the event index ----
    // Scanner threads parse; this task adds to the index in file order.
    let scan = match Scan::start(path, &opts.tabular) {
        Ok(s) => s,
        Err(e) => {
            fs.error = Some(e);
            return Ok(fs);
        }
    };
    fs.format = scan.description.clone();
    let size = scan.size;
    progress.phase(&name, "scan", size);
    let mut builder = IndexBuilder::new();
    for f in stored_flags {
        builder.add_flag(f);
    }
    let mut ordinal = 0u32;
    let mut ids: HashSet<u64> = HashSet::new();
    let mut persons: HashSet<String> = HashSet::new();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for (chunk, bytes, rows) in scan.chunks() {
        for rec in chunk {
            match rec {
                Record::Interaction(i) => {
                    // A repeated id counts once in the history (its first version).
                    if ids.insert(digest(&i.id)) {
                        builder.add(engine, ordinal, &i);
                    }
                    ordinal += 1;
                    let t = i.started_at.as_millisecond();
                    lo = lo.min(t);
                    hi = hi.max(t);
                    // The keys event-log rules group by: the person, the number dialled, the
                    // case (notes are compared with the case's calls).
                    persons.insert(i.person_key());
                    if let Some(n) = i.number_key() {
                        persons.insert(format!("no:{n}"));
                    }
                    persons.insert(format!("case:{}", i.case_id));
                }
                Record::Flag(f) => builder.add_flag(&f),
                _ => {}
            }
        }
        progress.advance(bytes, rows);
    }
    let file_interactions = ordinal;
    // What the store already knows about the same people around the same days.
    let mut history: Vec<Interaction> = Vec::new();
    if lo <= hi {
        let from = Timestamp::from_millisecond(lo - DAY_MS).unwrap_or(Timestamp::MIN);
        let to = Timestamp::from_millisecond(hi + DAY_MS + 1).unwrap_or(Timestamp::MAX);
        let keys: Vec<String> = persons.into_iter().collect();
        for chunk in keys.chunks(1000) {
            for h in store.history(chunk, from, to).await? {
                if !ids.contains(&digest(&h.id)) {
                    builder.add(engine, ordinal, &h);
                    ordinal += 1;
                    history.push(h);
                }
            }
        }
    }
    let index = builder.finish(engine);

    // ---- pass 2: inspect and store, as a pipeline ----
    // reader thread (read, parse, hash) → inspector thread (skip unchanged, inspect) → this
    // task (write, one transaction per batch). Each stage holds at most two batches.
    let index = Arc::new(index);
    progress.phase(&name, "ingest", size);
    let (chunk_tx, chunk_rx) = std::sync::mpsc::sync_channel::<Result<Chunk, String>>(2);
    let (batch_tx, mut batch_rx) = tokio::sync::mpsc::channel::<Result<Prepared, ServiceError>>(2);
    let reader = {
        let path = path.to_path_buf();
        let tabular = opts.tabular.clone();
        let batch_size = opts.batch_size.max(1);
        let name = name.clone();
        std::thread::Builder::new()
            .name("zj-read".into())
            .spawn(move || read_chunks(&path, &name, &tabular, batch_size, chunk_tx))
            .map_err(|e| ServiceError::Output {
                path: "<thread>".into(),
                message: e.to_string(),
            })?
    };
    let inspector = {
        let store = store.clone();
        let engine = engine.clone();
        let index = index.clone();
        let rt = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("zj-inspect".into())
            .spawn(move || {
                for chunk in chunk_rx {
                    let prepared = match chunk {
                        Ok(c) => prepare(&rt, &store, &engine, &index, c),
                        Err(e) => Err(ServiceError::Output {
                            path: String::new(),
                            message: e,
                        }),
                    };
                    let stop = prepared.is_err();
                    if batch_tx.blocking_send(prepared).is_err() || stop {
                        return;
                    }
                }
            })
            .map_err(|e| ServiceError::Output {
                path: "<thread>".into(),
                message: e.to_string(),
            })?
    };
    let mut failure: Option<ServiceError> = None;
    while let Some(prepared) = batch_rx.recv().await {
        let p = match prepared {
            Ok(p) => p,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        if let Err(e) = write_prepared(store, p, &mut fs, summary, rejects, progress).await {
            failure = Some(e);
            break;
        }
    }
    // Stop the pipeline (dropping the receiver ends both threads) before reporting a failure.
    drop(batch_rx);
    let _ = inspector.join();
    let read = reader
        .join()
        .unwrap_or(Err("the reader stopped unexpectedly".into()));
    if let Some(e) = failure {
        return Err(e);
    }
    match read {
        Ok(rows) => fs.rows = rows,
        Err(e) => {
            fs.error = Some(e);
            return Ok(fs);
        }
    }

    // ---- stored neighbours: their event-log findings may have changed ----
    if !history.is_empty() {
        let now = Timestamp::now();
        let mut writes = Vec::with_capacity(history.len().min(opts.batch_size));
        for (k, h) in history.iter().enumerate() {
            let ord = file_interactions + k as u32;
            let result = engine.inspect_with(h, &index, ord);
            writes.push((
                h.id.clone(),
                Inspection {
                    pack: engine.pack_ref().to_string(),
                    inspected_at: now,
                    result,
                },
            ));
            if writes.len() >= opts.batch_size {
                store.write_inspections(&writes).await?;
                writes.clear();
            }
        }
        if !writes.is_empty() {
            store.write_inspections(&writes).await?;
        }
        summary.history_reinspected += history.len() as u64;
    }
    Ok(fs)
}

/// What pass 1 hands on: the interactions and flags of a stretch of the file (in file order),
/// with the bytes and rows read up to its end.
type ScanChunk = (Vec<Record>, u64, u64);

/// Pass 1's reading and parsing, off the task that builds the index. Parsing is most of pass
/// 1's work, so a JSON Lines file is cut into blocks of whole lines that two threads parse in
/// turn (the index is built from their output in file order); a table is read by one thread.
struct Scan {
    description: String,
    size: u64,
    /// Receivers to read in turn, block by block.
    parts: Vec<std::sync::mpsc::Receiver<ScanChunk>>,
}

/// Bytes per block of lines handed to a parser.
const SCAN_BLOCK: usize = 1 << 20;
/// Blocks a parser may hold ahead of the index.
const SCAN_AHEAD: usize = 2;

impl Scan {
    fn start(path: &Path, tabular: &TabularOptions) -> Result<Scan, String> {
        let spawn_err = |e: std::io::Error| format!("<thread>: {e}");
        let src = source::open(path, tabular).map_err(|e| e.to_string())?;
        let (description, size) = (src.description.clone(), src.size);
        if crate::tabular::is_tabular(path) {
            let (tx, rx) = std::sync::mpsc::sync_channel::<ScanChunk>(4);
            std::thread::Builder::new()
                .name("zj-scan".into())
                .spawn(move || {
                    let mut src = src;
                    let mut chunk = Vec::with_capacity(1024);
                    let mut n = 0u64;
                    while let Some(row) = src.next() {
                        n += 1;
                        if let Ok(r @ (Record::Interaction(_) | Record::Flag(_))) = row.record {
                            chunk.push(r);
                            if chunk.len() == 1024 {
                                let full = std::mem::replace(&mut chunk, Vec::with_capacity(1024));
                                if tx.send((full, src.bytes_done(), n)).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                    let _ = tx.send((chunk, src.bytes_done(), n));
                })
                .map_err(spawn_err)?;
            return Ok(Scan {
                description,
                size,
                parts: vec![rx],
            });
        }
        // JSON Lines: the same rows as `source::open` reads (and pass 2 stores).
        drop(src);
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut senders = Vec::new();
        let mut parts = Vec::new();
        for k in 0..2 {
            let (block_tx, block_rx) =
                std::sync::mpsc::sync_channel::<(Vec<u8>, bool, u64)>(SCAN_AHEAD);
            let (tx, rx) = std::sync::mpsc::sync_channel::<ScanChunk>(SCAN_AHEAD);
            std::thread::Builder::new()
                .name(format!("zj-scan-{k}"))
                .spawn(move || {
                    for (block, first, bytes) in block_rx {
                        if tx.send(parse_block(&block, first, bytes)).is_err() {
                            return;
                        }
                    }
                })
                .map_err(spawn_err)?;
            senders.push(block_tx);
            parts.push(rx);
        }
        std::thread::Builder::new()
            .name("zj-scan".into())
            .spawn(move || {
                use std::io::Read;
                let mut file = file;
                let mut carry: Vec<u8> = Vec::new();
                let mut bytes = 0u64;
                let mut first = true;
                let mut turn = 0usize;
                let mut buf = vec![0u8; SCAN_BLOCK];
                loop {
                    let n = match file.read(&mut buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        // Pass 2 reads the file again and reports the error.
                        Err(_) => 0,
                    };
                    bytes += n as u64;
                    carry.extend_from_slice(&buf[..n]);
                    // Whole lines go on; the last, unfinished one waits for more (or the end).
                    let cut = if n == 0 {
                        carry.len()
                    } else {
                        match carry.iter().rposition(|&b| b == b'\n') {
                            Some(i) if carry.len() >= SCAN_BLOCK => i + 1,
                            _ => continue,
                        }
                    };
                    let rest = carry.split_off(cut);
                    let block = std::mem::replace(&mut carry, rest);
                    if !block.is_empty() {
                        let done = bytes - carry.len() as u64;
                        if senders[turn].send((block, first, done)).is_err() {
                            return;
                        }
                        first = false;
                        turn = (turn + 1) % senders.len();
                    }
                    if n == 0 {
                        return;
                    }
                }
            })
            .map_err(spawn_err)?;
        Ok(Scan {
            description,
            size,
            parts,
        })
    }

    /// The parsed chunks in file order; rows are counted from the start of the file.
    fn chunks(self) -> impl Iterator<Item = ScanChunk> {
        let mut rows = 0u64;
        let mut turn = 0usize;
        let parts = self.parts;
        std::iter::from_fn(move || {
            let (chunk, bytes, n) = parts[turn].recv().ok()?;
            turn = (turn + 1) % parts.len();
            rows += n;
            Some((chunk, bytes, rows))
        })
    }
}

/// The interactions and flags of a block of whole JSON lines, read as `source::JsonLines`
/// reads them (a byte-order mark only on the file's first line, `\r\n` endings, blank lines
/// skipped; rows that do not parse are left to pass 2), with the rows of the block counted.
fn parse_block(block: &[u8], first: bool, bytes: u64) -> ScanChunk {
    let mut out = Vec::new();
    let mut rows = 0u64;
    let mut lines = block.split(|&b| b == b'\n').peekable();
    let mut at_start = first;
    while let Some(line) = lines.next() {
        if lines.peek().is_none() && line.is_empty() {
            break; // after the last newline
        }
        let mut l = line.strip_suffix(b"\r").unwrap_or(line);
        if at_start {
            l = l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l);
            at_start = false;
        }
        if l.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        rows += 1;
        if let Ok(s) = std::str::from_utf8(l)
            && let Ok(r @ (Record::Interaction(_) | Record::Flag(_))) =
                zhijian_domain::parse_record(s)
        {
            out.push(r);
        }
    }
    (out, bytes, rows)
}

/// A batch of parsed rows, as the reader hands it on.
struct Chunk {
    items: Vec<(Record, String, String, Option<u32>)>,
    rejects: Vec<Reject>,
    /// Bytes of the file and rows read when the chunk was cut.
    bytes: u64,
    rows: u64,
}

/// A batch ready to commit, with the inspection results to tally.
struct Prepared {
    batch: Batch,
    results: Vec<InspectionResult>,
    bytes: u64,
    rows: u64,
}

/// Reader stage: parse and hash rows into chunks of `batch_size`; a record repeated within a
/// chunk starts a new chunk (one statement cannot upsert the same key twice). Returns the
/// number of rows read, or why the file could not be read.
fn read_chunks(
    path: &Path,
    name: &str,
    tabular: &TabularOptions,
    batch_size: usize,
    tx: std::sync::mpsc::SyncSender<Result<Chunk, String>>,
) -> Result<u64, String> {
    let mut src = source::open(path, tabular).map_err(|e| e.to_string())?;
    let mut chunk = Chunk {
        items: Vec::with_capacity(batch_size),
        rejects: Vec::new(),
        bytes: 0,
        rows: 0,
    };
    let mut keys: HashSet<(RecordKind, String)> = HashSet::new();
    let mut ordinal = 0u32;
    let mut rows = 0u64;
    let send = |chunk: &mut Chunk, rows: u64, bytes: u64| -> bool {
        let full = std::mem::replace(
            chunk,
            Chunk {
                items: Vec::with_capacity(batch_size),
                rejects: Vec::new(),
                bytes: 0,
                rows: 0,
            },
        );
        tx.send(Ok(Chunk {
            bytes,
            rows,
            ..full
        }))
        .is_ok()
    };
    while let Some(row) = src.next() {
        rows += 1;
        match row.record {
            Ok(rec) => {
                let ord = if matches!(rec, Record::Interaction(_)) {
                    ordinal += 1;
                    Some(ordinal - 1)
                } else {
                    None
                };
                let key = (RecordKind::of(&rec), record_id(&rec));
                if keys.contains(&key) {
                    keys.clear();
                    if !send(&mut chunk, rows - 1, src.bytes_done()) {
                        return Ok(rows);
                    }
                }
                keys.insert(key);
                let body = canonical_json(&rec);
                let hash = hash_str(&body);
                chunk.items.push((rec, hash, body, ord));
            }
            Err(rej) => chunk.rejects.push(Reject {
                file: name.to_string(),
                line: row.line,
                field: rej.field,
                reason: rej.reason,
                raw: row.raw,
            }),
        }
        if chunk.items.len() + chunk.rejects.len() >= batch_size {
            keys.clear();
            if !send(&mut chunk, rows, src.bytes_done()) {
                return Ok(rows);
            }
        }
    }
    if !chunk.items.is_empty() || !chunk.rejects.is_empty() {
        send(&mut chunk, rows, src.bytes_done());
    }
    Ok(rows)
}

/// Inspector stage: inspect the new and changed interactions of a chunk (unchanged ones keep
/// their stored inspection).
fn prepare(
    rt: &tokio::runtime::Handle,
    store: &Store,
    engine: &Engine,
    index: &zhijian_engine::EventIndex,
    chunk: Chunk,
) -> Result<Prepared, ServiceError> {
    let ids: Vec<String> = chunk
        .items
        .iter()
        .filter_map(|(r, _, _, _)| match r {
            Record::Interaction(i) => Some(i.id.clone()),
            _ => None,
        })
        .collect();
    let known: HashMap<String, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        rt.block_on(store.existing(RecordKind::Interaction, &ids))?
    };
    let now = Timestamp::now();
    let mut records = Vec::with_capacity(chunk.items.len());
    let mut results: Vec<InspectionResult> = Vec::new();
    for (rec, hash, body, ord) in chunk.items {
        let inspection = match (&rec, ord) {
            (Record::Interaction(i), Some(ord)) if known.get(&i.id) != Some(&hash) => {
                let result = engine.inspect_with(i, index, ord);
                results.push(result.clone());
                Some(Inspection {
                    pack: engine.pack_ref().to_string(),
                    inspected_at: now,
                    result,
                })
            }
            _ => None,
        };
        records.push(Upsert {
            record: rec,
            hash,
            body: Some(body),
            inspection,
        });
    }
    Ok(Prepared {
        batch: Batch {
            records,
            rejects: chunk.rejects,
        },
        results,
        bytes: chunk.bytes,
        rows: chunk.rows,
    })
}

/// Writer stage: commit one batch (records, inspections and rejects in one transaction) and
/// tally it.
async fn write_prepared(
    store: &Store,
    p: Prepared,
    fs: &mut FileSummary,
    summary: &mut IngestSummary,
    rejects: &mut RejectsFile,
    progress: &mut dyn Progress,
) -> Result<(), ServiceError> {
    for r in &p.batch.rejects {
        rejects.write(r)?;
    }
    let out = store.write(&p.batch).await?;
    let batch = &p.batch;
    fs.inserted += out.inserted;
    fs.updated += out.updated;
    fs.unchanged += out.unchanged;
    fs.rejected += batch.rejects.len() as u64;
    summary.inserted += out.inserted;
    summary.updated += out.updated;
    summary.unchanged += out.unchanged;
    summary.rejected += batch.rejects.len() as u64;
    for u in &batch.records {
        *summary
            .by_kind
            .entry(u.record.kind().to_string())
            .or_default() += 1;
    }
    for r in &p.results {
        summary.count_result(r);
    }
    progress.advance(p.bytes, p.rows);
    Ok(())
}

/// The optional rejects file, created on the first reject.
struct RejectsFile {
    path: Option<PathBuf>,
    out: Option<BufWriter<File>>,
}

impl RejectsFile {
    fn new(path: Option<PathBuf>) -> Self {
        RejectsFile { path, out: None }
    }

    fn write(&mut self, r: &Reject) -> Result<(), ServiceError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if self.out.is_none() {
            let f = File::create(path).map_err(|e| ServiceError::Output {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            self.out = Some(BufWriter::new(f));
        }
        #[derive(Serialize)]
        struct Line<'a> {
            file: &'a str,
            line: u64,
            field: &'a str,
            reason: &'a str,
            raw: &'a str,
        }
        let line = serde_json::to_string(&Line {
            file: &r.file,
            line: r.line,
            field: &r.field,
            reason: &r.reason,
            raw: &r.raw,
        })
        .unwrap_or_default();
        if let Some(out) = self.out.as_mut() {
            writeln!(out, "{line}").map_err(|e| ServiceError::Output {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ServiceError> {
        if let (Some(out), Some(path)) = (self.out.as_mut(), &self.path) {
            out.flush().map_err(|e| ServiceError::Output {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    fn written_to(&self) -> Option<String> {
        self.out
            .as_ref()
            .and(self.path.as_ref())
            .map(|p| p.display().to_string())
    }
}
