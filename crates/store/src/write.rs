//! The write path, once for both backends. Inside one transaction: compare hashes, copy
//! replaced versions to history, upsert, replace inspections. Rows are built lazily, chunk by
//! chunk, so the backends can serialise and bind the next chunk while the database executes
//! the previous one.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use zhijian_domain::Record;

use crate::conn::Conn;
use crate::facts::{self, Facts, InsFacts};
use crate::model::{self, FINDINGS, INSPECTIONS, OnConflict, REJECTS, Row, Table, TzCache};
use crate::{Batch, Inspection, RecordKind, StoreError, Upsert, WriteOutcome, record_id};

/// One record of a batch.
pub(crate) struct Item<'a> {
    kind: RecordKind,
    id: String,
    up: &'a Upsert,
    /// Its position in the batch (and in [`Built::items`]).
    idx: usize,
}

/// The rows a record of a batch contributes, as far as they follow from the record alone.
#[derive(Default)]
pub(crate) struct ItemRows {
    /// The record's row (columns, hash, `updated_at`, body).
    record: Option<Row>,
    /// An interaction's inspection row and finding rows, for the inspection in the batch.
    inspection: Option<Row>,
    findings: Vec<Row>,
    /// An interaction's facts with the inspection in the batch; the effective stage is still
    /// its own (the case's stored stage is read by the write). And their `web_facts` row.
    facts: Option<Facts>,
    facts_row: Option<Row>,
}

/// A batch's rows, built before the write, off the writer's thread ([`crate::BuiltBatch`]):
/// the write then only decides (by the stored hashes and stages) which of them to use.
#[derive(Default)]
pub(crate) struct Built {
    pub now: i64,
    items: Vec<ItemRows>,
    /// Interactions in the batch (repeats included).
    interactions: usize,
    /// What all of them add to the rollups, were each new to the store with the facts built.
    rollups: Option<Vec<(&'static Table, Vec<Row>)>>,
}

impl Built {
    fn take(&mut self, idx: usize) -> Option<&mut ItemRows> {
        self.items.get_mut(idx)
    }
}

/// Build the rows of every record of `batch` (the records' bodies move into their rows).
pub(crate) fn build(batch: &mut Batch) -> Built {
    let now = now_ms();
    let mut tz = TzCache::default();
    let mut deltas = facts::Deltas::default();
    let mut interactions = 0;
    let items = batch
        .records
        .iter_mut()
        .map(|up| {
            let id = record_id(&up.record);
            let body = up
                .body
                .take()
                .unwrap_or_else(|| crate::canonical_json(&up.record));
            let mut rows = ItemRows {
                record: Some(record_row_of(&up.record, &id, &up.hash, body, now, &mut tz)),
                ..ItemRows::default()
            };
            if let Record::Interaction(i) = &up.record {
                let ins = up.inspection.as_ref();
                if let Some(ins) = ins {
                    let d = model::denorm(i, &mut tz);
                    rows.inspection = Some(model::inspection_row(&id, ins, d.started_at));
                    rows.findings = model::finding_rows(&id, ins, &d, &i.segments);
                }
                let f = Facts::of(i, ins, None, &mut tz);
                deltas.add(&f, 1);
                rows.facts_row = Some(f.row());
                rows.facts = Some(f);
                interactions += 1;
            }
            rows
        })
        .collect();
    Built {
        now,
        items,
        interactions,
        rollups: Some(deltas.rollup_rows()),
    }
}

/// A batch grouped for writing (cheap: no serialisation happens here).
pub(crate) struct Prepared<'a> {
    /// Round `n` holds the `n`-th occurrence of each (kind, id), so no statement sees the same
    /// key twice and a record repeated in a batch is written in order.
    rounds: Vec<Vec<Item<'a>>>,
    batch: &'a Batch,
    now: i64,
    /// The batch's rows when they were built beforehand.
    built: Option<Built>,
}

impl Prepared<'_> {
    /// Bytes of record bodies (roughly what the write adds to the database).
    pub fn approx_bytes(&self) -> usize {
        self.batch
            .records
            .iter()
            .map(|u| match &u.record {
                Record::Interaction(i) => {
                    300 + i.segments.iter().map(|s| s.text.len() + 60).sum::<usize>()
                        + i.text.as_ref().map_or(0, String::len)
                }
                _ => 300,
            })
            .sum()
    }
}

pub(crate) fn now_ms() -> i64 {
    model::ms(Timestamp::now())
}

pub(crate) fn prepare(batch: &Batch, built: Option<Built>) -> Prepared<'_> {
    let mut rounds: Vec<Vec<Item>> = vec![Vec::with_capacity(batch.records.len())];
    let mut seen: HashMap<(RecordKind, String), usize> = HashMap::new();
    for (idx, up) in batch.records.iter().enumerate() {
        let kind = RecordKind::of(&up.record);
        let id = record_id(&up.record);
        let round = match seen.get_mut(&(kind, id.clone())) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => {
                seen.insert((kind, id.clone()), 0);
                0
            }
        };
        if rounds.len() <= round {
            rounds.push(Vec::new());
        }
        rounds[round].push(Item { kind, id, up, idx });
    }
    Prepared {
        rounds,
        batch,
        now: built.as_ref().map_or_else(now_ms, |b| b.now),
        built,
    }
}

/// The row of a record: its columns, hash and canonical JSON (built beforehand, or now).
fn record_row(item: &Item, now: i64, tz: &mut TzCache, built: &mut Option<Built>) -> Row {
    if let Some(row) = built
        .as_mut()
        .and_then(|b| b.take(item.idx))
        .and_then(|r| r.record.take())
    {
        return row;
    }
    let up = item.up;
    let body = match &up.body {
        Some(b) => b.clone(),
        None => crate::canonical_json(&up.record),
    };
    record_row_of(&up.record, &item.id, &up.hash, body, now, tz)
}

fn record_row_of(
    record: &Record,
    id: &str,
    hash: &str,
    body: String,
    now: i64,
    tz: &mut TzCache,
) -> Row {
    match record {
        Record::Interaction(i) => model::interaction_row(i, hash, body, now, tz),
        Record::Flag(f) => model::flag_row(id.to_string(), f, hash, body, now),
        Record::Client(c) => model::client_row(c, hash, body, now),
        Record::Agent(a) => model::agent_row(a, hash, body, now),
        Record::Case(c) => model::case_row(c, hash, body, now),
        Record::Contact(c) => model::contact_row(c, hash, body, now),
        Record::Complaint(c) => model::complaint_row(c, hash, body, now),
    }
}

/// Write a prepared batch on a connection inside a transaction the caller opened.
pub(crate) async fn write(
    conn: &mut Conn<'_>,
    prepared: Prepared<'_>,
) -> Result<WriteOutcome, StoreError> {
    let mut out = WriteOutcome::default();
    let Prepared {
        rounds,
        batch,
        now,
        mut built,
    } = prepared;
    for round in &rounds {
        for kind in RecordKind::ALL {
            let items: Vec<&Item> = round.iter().filter(|i| i.kind == kind).collect();
            if !items.is_empty() {
                write_kind(conn, kind, &items, now, &mut out, &mut built).await?;
            }
        }
    }
    let rejects = &batch.rejects;
    if !rejects.is_empty() {
        let rows = rejects.iter().map(|r| model::reject_row(r, now));
        out.rejects = conn.insert(&REJECTS, rows, OnConflict::Ignore).await?;
    }
    Ok(out)
}

async fn write_kind(
    conn: &mut Conn<'_>,
    kind: RecordKind,
    items: &[&Item<'_>],
    now: i64,
    out: &mut WriteOutcome,
    built: &mut Option<Built>,
) -> Result<(), StoreError> {
    let table = kind.table();
    let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let stored = conn.hashes(table, &ids).await?;
    let mut write: Vec<&Item> = Vec::with_capacity(items.len());
    let mut changed: Vec<&str> = Vec::new();
    // Interactions whose inspection is replaced, and those given one only if they have none.
    let mut inspect: Vec<&Item> = Vec::new();
    let mut if_missing: Vec<&Item> = Vec::new();
    let mut inserted: HashSet<&str> = HashSet::new();
    for &item in items {
        match stored.get(&item.id) {
            None => {
                out.inserted += 1;
                inserted.insert(&item.id);
            }
            Some(h) if *h == item.up.hash => {
                out.unchanged += 1;
                if item.up.inspection.is_some() {
                    if_missing.push(item);
                }
                continue;
            }
            Some(_) => {
                out.updated += 1;
                changed.push(&item.id);
            }
        }
        if item.up.inspection.is_some() {
            inspect.push(item);
        }
        write.push(item);
    }
    if !changed.is_empty() {
        conn.copy_history(kind, table, &changed, now).await?;
    }
    if !write.is_empty() {
        // New records are plain inserts (the decision holds: writers are serialised), changed
        // ones upserts. (On SQLite a plain multi-row insert needs no statement journal.)
        let mut tz = TzCache::default();
        let (new, old): (Vec<&Item>, Vec<&Item>) =
            write.iter().partition(|i| inserted.contains(i.id.as_str()));
        for (items, on) in [(new, OnConflict::Fail), (old, OnConflict::Update)] {
            if !items.is_empty() {
                let rows = items
                    .into_iter()
                    .map(|i| record_row(i, now, &mut tz, built));
                conn.insert(table, rows, on).await?;
            }
        }
    }
    if kind == RecordKind::Case {
        // Interactions already stored for these cases may take a new stage.
        let stages: HashMap<String, Option<String>> = write
            .iter()
            .filter_map(|i| match &i.up.record {
                Record::Case(c) => Some((c.id.clone(), c.stage.clone())),
                _ => None,
            })
            .collect();
        return facts::restage(conn, &stages).await;
    }
    if kind != RecordKind::Interaction {
        return Ok(());
    }
    if !if_missing.is_empty() {
        let ids: Vec<&str> = if_missing.iter().map(|i| i.id.as_str()).collect();
        let have: HashSet<String> = conn
            .select_in("inspections", "interaction_id", &ids)
            .await?
            .into_iter()
            .collect();
        inspect.extend(if_missing.into_iter().filter(|i| !have.contains(&i.id)));
    }
    // What the web read models see changes for every written interaction and every one that
    // gets an inspection.
    let inspected: HashSet<&str> = inspect.iter().map(|i| i.id.as_str()).collect();
    let written: HashSet<&str> = write.iter().map(|i| i.id.as_str()).collect();
    let touched: Vec<&Item> = write
        .iter()
        .copied()
        .chain(
            inspect
                .iter()
                .copied()
                .filter(|i| !written.contains(i.id.as_str())),
        )
        .collect();
    // Stored interactions lose their old inspection first; one inserted by this write has none
    // (interactions are never deleted, and an inspection is only stored with its interaction).
    let mut replace: Vec<&str> = changed;
    replace.extend(
        inspect
            .iter()
            .map(|i| i.id.as_str())
            .filter(|id| !inserted.contains(id)),
    );
    if !replace.is_empty() {
        conn.delete_in("findings", "interaction_id", &replace)
            .await?;
        conn.delete_in("inspections", "interaction_id", &replace)
            .await?;
    }
    if !inspect.is_empty() {
        // The inspection and finding rows of what gets an inspection (built beforehand, or now).
        let mut tz = TzCache::default();
        let mut rows: Vec<(Row, Vec<Row>)> = Vec::with_capacity(inspect.len());
        for item in &inspect {
            let pre = built.as_mut().and_then(|b| b.take(item.idx));
            if let Some(r) = pre
                && let Some(ins_row) = r.inspection.take()
            {
                rows.push((ins_row, std::mem::take(&mut r.findings)));
                continue;
            }
            if let (Record::Interaction(i), Some(ins)) = (&item.up.record, &item.up.inspection) {
                let d = model::denorm(i, &mut tz);
                rows.push((
                    model::inspection_row(&item.id, ins, d.started_at),
                    model::finding_rows(&item.id, ins, &d, &i.segments),
                ));
            }
        }
        let (ins_rows, finding_rows): (Vec<Row>, Vec<Vec<Row>>) = rows.into_iter().unzip();
        conn.insert(&INSPECTIONS, ins_rows.into_iter(), OnConflict::Fail)
            .await?;
        conn.insert(
            &FINDINGS,
            finding_rows.into_iter().flatten(),
            OnConflict::Fail,
        )
        .await?;
    }
    if touched.is_empty() {
        return Ok(());
    }
    // Interactions stored before this write have facts to replace.
    let ids: Vec<&str> = touched
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !inserted.contains(id))
        .collect();
    let old = facts::load(conn, &ids).await?;
    let mut case_ids: Vec<String> = touched
        .iter()
        .filter_map(|i| match &i.up.record {
            Record::Interaction(r) => Some(r.case_id.clone()),
            _ => None,
        })
        .collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let stages = facts::case_stages(conn, &case_ids).await?;
    let mut tz = TzCache::default();
    // Whether every facts row is the one built with the batch (then so are the rollup rows,
    // when they cover exactly these interactions, all new: `replace_ready` checks the rest).
    let mut as_built = built
        .as_ref()
        .is_some_and(|b| b.interactions == touched.len());
    let mut new: Vec<Facts> = Vec::with_capacity(touched.len());
    let mut rows: Vec<Option<Row>> = Vec::with_capacity(touched.len());
    for i in &touched {
        let Record::Interaction(r) = &i.up.record else {
            continue;
        };
        let inspected = inspected.contains(i.id.as_str());
        let stage = stages.get(&r.case_id).and_then(|s| s.as_deref());
        let pre = built.as_mut().and_then(|b| b.take(i.idx));
        let (pre_facts, pre_row) = match pre {
            Some(p) => (p.facts.take(), p.facts_row.take()),
            None => (None, None),
        };
        match pre_facts {
            // Built with the batch's inspection and the interaction's own stage.
            Some(mut f) => {
                let mut same = true;
                if !inspected && f.inspection.is_some() {
                    f.inspection = None;
                    same = false;
                }
                let s = facts::effective_stage(stage, f.own_stage.as_deref());
                if s != f.stage {
                    f.stage = s;
                    same = false;
                }
                as_built &= same;
                rows.push(if same { pre_row } else { None });
                new.push(f);
            }
            None => {
                as_built = false;
                let ins = if inspected {
                    i.up.inspection.as_ref()
                } else {
                    None
                };
                rows.push(None);
                new.push(Facts::of(r, ins, stage, &mut tz));
            }
        }
    }
    let rollups = if as_built {
        built.as_mut().and_then(|b| b.rollups.take())
    } else {
        None
    };
    facts::replace_ready(conn, &old, &new, facts::Ready { rows, rollups }).await
}

/// Replace inspections of stored interactions (re-inspection), inside the caller's transaction.
pub(crate) async fn write_inspections(
    conn: &mut Conn<'_>,
    items: &[(String, Inspection)],
) -> Result<(), StoreError> {
    // The last inspection given for an id wins.
    let mut last: HashMap<&str, &Inspection> = HashMap::with_capacity(items.len());
    let mut order: Vec<&str> = Vec::with_capacity(items.len());
    for (id, ins) in items {
        if last.insert(id.as_str(), ins).is_none() {
            order.push(id);
        }
    }
    if order.is_empty() {
        return Ok(());
    }
    let denorms = conn.denorms(&order).await?;
    if let Some(missing) = order.iter().find(|id| !denorms.contains_key(**id)) {
        return Err(StoreError::UnknownInteraction((*missing).to_string()));
    }
    conn.delete_in("findings", "interaction_id", &order).await?;
    conn.delete_in("inspections", "interaction_id", &order)
        .await?;
    let rows = order
        .iter()
        .map(|id| model::inspection_row(id, last[id], denorms[*id].started_at));
    conn.insert(&INSPECTIONS, rows, OnConflict::Fail).await?;
    let rows = order
        .iter()
        .flat_map(|id| model::finding_rows(id, last[id], &denorms[*id], &[]));
    conn.insert(&FINDINGS, rows, OnConflict::Fail).await?;

    // The web read models: the same facts with the new inspection.
    let old = facts::load(conn, &order).await?;
    let mut new: Vec<Facts> = Vec::with_capacity(order.len());
    let mut missing: Vec<&str> = Vec::new();
    for id in &order {
        match old.get(*id) {
            Some(f) => {
                let mut f = f.clone();
                f.inspection = Some(InsFacts::of(last[id]));
                new.push(f);
            }
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        // Not derived yet (should not happen once the store is rebuilt): from the record.
        let mut q = conn.q("SELECT body FROM interactions WHERE ");
        let list: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        q.in_list("id", &list);
        let rows = conn
            .fetch(&q, &[crate::model::ColType::Text], "interaction bodies")
            .await?;
        let records: Vec<zhijian_domain::Interaction> = rows
            .iter()
            .map(|r| crate::conn::decode_interaction(&r[0].text()))
            .collect::<Result<_, _>>()?;
        let case_ids: Vec<String> = records.iter().map(|i| i.case_id.clone()).collect();
        let stages = facts::case_stages(conn, &case_ids).await?;
        let mut tz = TzCache::default();
        for i in &records {
            let stage = stages.get(&i.case_id).and_then(|s| s.as_deref());
            new.push(Facts::of(i, Some(last[i.id.as_str()]), stage, &mut tz));
        }
    }
    facts::replace(conn, &old, &new).await
}
