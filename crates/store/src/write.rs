//! The write path, once for both backends. Inside one transaction: compare hashes, copy
//! replaced versions to history, upsert, replace inspections. Rows are built lazily, chunk by
//! chunk, so the backends can serialise and bind the next chunk while the database executes
//! the previous one.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use zhijian_domain::Record;

use crate::conn::Conn;
use crate::facts::{self, Facts, InsFacts};
use crate::model::{self, FINDINGS, INSPECTIONS, OnConflict, REJECTS, Row, TzCache};
use crate::{Batch, Inspection, RecordKind, StoreError, Upsert, WriteOutcome, record_id};

/// One record of a batch.
pub(crate) struct Item<'a> {
    kind: RecordKind,
    id: String,
    up: &'a Upsert,
}

/// A batch grouped for writing (cheap: no serialisation happens here).
pub(crate) struct Prepared<'a> {
    /// Round `n` holds the `n`-th occurrence of each (kind, id), so no statement sees the same
    /// key twice and a record repeated in a batch is written in order.
    rounds: Vec<Vec<Item<'a>>>,
    batch: &'a Batch,
    now: i64,
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

pub(crate) fn prepare(batch: &Batch) -> Prepared<'_> {
    let mut rounds: Vec<Vec<Item>> = vec![Vec::with_capacity(batch.records.len())];
    let mut seen: HashMap<(RecordKind, String), usize> = HashMap::new();
    for up in &batch.records {
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
        rounds[round].push(Item { kind, id, up });
    }
    Prepared {
        rounds,
        batch,
        now: now_ms(),
    }
}

/// The row of a record: its columns, hash and canonical JSON.
fn record_row(item: &Item, now: i64, tz: &mut TzCache) -> Row {
    let up = item.up;
    let body = match &up.body {
        Some(b) => b.clone(),
        None => crate::canonical_json(&up.record),
    };
    let hash = up.hash.as_str();
    match &up.record {
        Record::Interaction(i) => model::interaction_row(i, hash, body, now, tz),
        Record::Flag(f) => model::flag_row(item.id.clone(), f, hash, body, now),
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
    let now = prepared.now;
    for round in &prepared.rounds {
        for kind in RecordKind::ALL {
            let items: Vec<&Item> = round.iter().filter(|i| i.kind == kind).collect();
            if !items.is_empty() {
                write_kind(conn, kind, &items, now, &mut out).await?;
            }
        }
    }
    let rejects = &prepared.batch.rejects;
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
                let rows = items.into_iter().map(|i| record_row(i, now, &mut tz));
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
        // (id, inspection, interaction) of what gets an inspection.
        let inspections: Vec<(&str, &Inspection, &zhijian_domain::Interaction)> = inspect
            .iter()
            .filter_map(|i| match (&i.up.record, &i.up.inspection) {
                (Record::Interaction(r), Some(ins)) => Some((i.id.as_str(), ins, &**r)),
                _ => None,
            })
            .collect();
        let rows = inspections
            .iter()
            .map(|(id, ins, i)| model::inspection_row(id, ins, model::ms(i.started_at)));
        conn.insert(&INSPECTIONS, rows, OnConflict::Fail).await?;
        let mut tz = TzCache::default();
        let rows = inspections.iter().flat_map(|(id, ins, i)| {
            let d = model::denorm(i, &mut tz);
            model::finding_rows(id, ins, &d, &i.segments)
        });
        conn.insert(&FINDINGS, rows, OnConflict::Fail).await?;
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
    let new: Vec<Facts> = touched
        .iter()
        .filter_map(|i| match &i.up.record {
            Record::Interaction(r) => {
                let ins = if inspected.contains(i.id.as_str()) {
                    i.up.inspection.as_ref()
                } else {
                    None
                };
                let stage = stages.get(&r.case_id).and_then(|s| s.as_deref());
                Some(Facts::of(r, ins, stage, &mut tz))
            }
            _ => None,
        })
        .collect();
    facts::replace(conn, &old, &new).await
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
