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
use std::time::Instant;

use serde::Serialize;
use zhijian_domain::{InspectionResult, Interaction, Record, Timestamp};
use zhijian_engine::{Engine, IndexBuilder};
use zhijian_store::{
    Batch, Inspection, RecordKind, Reject, Store, Upsert, content_hash, record_id,
};

use crate::ServiceError;
use crate::source::{self, SourceRow};
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
    store: &Store,
    engine: &Engine,
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
    store: &Store,
    engine: &Engine,
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
    let mut src = match source::open(path, &opts.tabular) {
        Ok(s) => s,
        Err(e) => {
            fs.error = Some(e.to_string());
            return Ok(fs);
        }
    };
    fs.format = src.description.clone();
    progress.phase(&name, "scan", src.size);
    let mut builder = IndexBuilder::new();
    for f in stored_flags {
        builder.add_flag(f);
    }
    let mut ordinal = 0u32;
    let mut ids: HashSet<u64> = HashSet::new();
    let mut persons: HashSet<String> = HashSet::new();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let mut n = 0u64;
    for row in src.by_ref() {
        n += 1;
        if n.is_multiple_of(4096) {
            progress.advance(0, n);
        }
        match row.record {
            Ok(Record::Interaction(i)) => {
                // A repeated id counts once in the history (its last version is stored).
                if ids.insert(digest(&i.id)) {
                    builder.add(engine, ordinal, &i);
                }
                ordinal += 1;
                let t = i.started_at.as_millisecond();
                lo = lo.min(t);
                hi = hi.max(t);
                // The keys event-log rules group by: the person, the number dialled, the case
                // (notes are compared with the case's calls).
                persons.insert(i.person_key());
                if let Some(n) = i.number_key() {
                    persons.insert(format!("no:{n}"));
                }
                persons.insert(format!("case:{}", i.case_id));
            }
            Ok(Record::Flag(f)) => builder.add_flag(&f),
            _ => {}
        }
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

    // ---- pass 2: inspect and store ----
    let mut src = match source::open(path, &opts.tabular) {
        Ok(s) => s,
        Err(e) => {
            fs.error = Some(e.to_string());
            return Ok(fs);
        }
    };
    progress.phase(&name, "ingest", src.size);
    let mut pending: Vec<(Record, String, Option<u32>)> = Vec::with_capacity(opts.batch_size);
    let mut pending_keys: HashSet<(RecordKind, String)> = HashSet::new();
    let mut batch_rejects: Vec<Reject> = Vec::new();
    let mut ordinal = 0u32;
    let mut rows = 0u64;
    loop {
        let row: Option<SourceRow> = src.next();
        let end = row.is_none();
        if let Some(row) = row {
            rows += 1;
            match row.record {
                Ok(rec) => {
                    let ord = if matches!(rec, Record::Interaction(_)) {
                        ordinal += 1;
                        Some(ordinal - 1)
                    } else {
                        None
                    };
                    let key = (kind_of(&rec), record_id(&rec));
                    if pending_keys.contains(&key) {
                        // The same record twice in one batch: commit the first one first.
                        flush(
                            store,
                            engine,
                            &index,
                            &mut pending,
                            &mut batch_rejects,
                            &mut fs,
                            summary,
                        )
                        .await?;
                        pending_keys.clear();
                    }
                    pending_keys.insert(key);
                    let hash = content_hash(&rec);
                    pending.push((rec, hash, ord));
                }
                Err(rej) => {
                    let r = Reject {
                        file: name.clone(),
                        line: row.line,
                        field: rej.field,
                        reason: rej.reason,
                        raw: row.raw,
                    };
                    rejects.write(&r)?;
                    batch_rejects.push(r);
                }
            }
        }
        if end || pending.len() + batch_rejects.len() >= opts.batch_size {
            flush(
                store,
                engine,
                &index,
                &mut pending,
                &mut batch_rejects,
                &mut fs,
                summary,
            )
            .await?;
            pending_keys.clear();
            progress.advance(src.bytes_done(), rows);
        }
        if end {
            break;
        }
    }
    fs.rows = rows;
    debug_assert_eq!(ordinal, file_interactions);

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

fn kind_of(r: &Record) -> RecordKind {
    match r {
        Record::Interaction(_) => RecordKind::Interaction,
        Record::Flag(_) => RecordKind::Flag,
        Record::Client(_) => RecordKind::Client,
        Record::Agent(_) => RecordKind::Agent,
        Record::Case(_) => RecordKind::Case,
        Record::Contact(_) => RecordKind::Contact,
        Record::Complaint(_) => RecordKind::Complaint,
    }
}

/// Inspect the new and changed interactions of the pending records and commit them, with the
/// pending rejects, in one transaction.
async fn flush(
    store: &Store,
    engine: &Engine,
    index: &zhijian_engine::EventIndex,
    pending: &mut Vec<(Record, String, Option<u32>)>,
    batch_rejects: &mut Vec<Reject>,
    fs: &mut FileSummary,
    summary: &mut IngestSummary,
) -> Result<(), ServiceError> {
    if pending.is_empty() && batch_rejects.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = pending
        .iter()
        .filter_map(|(r, _, _)| match r {
            Record::Interaction(i) => Some(i.id.clone()),
            _ => None,
        })
        .collect();
    let known: HashMap<String, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        store.existing(RecordKind::Interaction, &ids).await?
    };
    let now = Timestamp::now();
    let mut records = Vec::with_capacity(pending.len());
    let mut results: Vec<InspectionResult> = Vec::new();
    for (rec, hash, ord) in pending.drain(..) {
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
            inspection,
        });
    }
    let batch = Batch {
        records,
        rejects: std::mem::take(batch_rejects),
    };
    let out = store.write(&batch).await?;
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
    for r in &results {
        summary.count_result(r);
    }
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
