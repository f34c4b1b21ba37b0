//! The JSON API handlers besides the sessions (`auth.rs`): dashboard, interactions (list,
//! detail, recording), rules, playground, audit log, users, health.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path as FsPath, PathBuf};

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower::ServiceExt;
use zhijian_domain::{
    CategoryKind, Channel, Contact, Finding, Interaction, Outcome, Party, Segment, Speaker,
    Timestamp,
};
use zhijian_engine::Engine;
use zhijian_engine::pack::ExampleDef;
use zhijian_store::{DashboardOptions, Filter, ListPage, Role, StoreError, category_class};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::filter::parse_filter;
use crate::json::{JsonBody, Params};
use crate::mask::mask_detail;

/// The product's default time zone (days of the dashboard).
pub const DEFAULT_TZ: &str = "Asia/Shanghai";
/// Days the dashboard covers when the query names none.
pub const DEFAULT_DAYS: i64 = 30;

fn store_err(e: StoreError) -> ApiError {
    if e.code() == "store.bad_cursor" {
        ApiError::invalid("cursor: not a cursor this list returned")
    } else {
        ApiError::from(e)
    }
}

fn today() -> zhijian_domain::Date {
    let tz = jiff::tz::TimeZone::get(DEFAULT_TZ).unwrap_or(jiff::tz::TimeZone::UTC);
    Timestamp::now().to_zoned(tz).date()
}

/// Title and kind (content / event log) of each category the engine knows.
fn categories(engine: &Engine) -> HashMap<&str, (CategoryKind, &str)> {
    engine
        .categories()
        .map(|(k, kind, t)| (k, (kind, t)))
        .collect()
}

fn kind_str(k: CategoryKind) -> &'static str {
    match k {
        CategoryKind::Content => "content",
        CategoryKind::EventLog => "event_log",
    }
}

// ---------------------------------------------------------------------------------------------
// Dashboard

/// `GET /api/dashboard`: the store's dashboard in the caller's scope, with the pack's category
/// titles and kinds on the Pareto rows and drill-down query strings on every element.
pub async fn dashboard(
    State(st): State<AppState>,
    caller: Caller,
    p: Params,
) -> ApiResult<Json<Value>> {
    let mut f = parse_filter(&p)?;
    if f.from.is_none() || f.to.is_none() {
        let to = f.to.unwrap_or_else(today);
        f.to = Some(to);
        if f.from.is_none() {
            f.from = Some(
                to.checked_sub(jiff::Span::new().days(DEFAULT_DAYS))
                    .unwrap_or(to),
            );
        }
        if f.from > f.to {
            f.from = f.to;
        }
    }
    let opts = DashboardOptions {
        row_categories: match p.get("row_categories") {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(v) => {
                return Err(ApiError::invalid(format!(
                    "row_categories: expected true or false, got {v:?}"
                )));
            }
        },
    };
    let d = st
        .store
        .dashboard_with(&caller.scope(), &f, opts)
        .await
        .map_err(store_err)?;
    let mut v = serde_json::to_value(&d).map_err(ApiError::internal)?;
    enrich_dashboard(&st.engine, &f, &mut v);
    Ok(Json(v))
}

fn with(base: &str, extra: &[(&str, &str)]) -> String {
    let mut s = base.to_string();
    for (k, v) in extra {
        if !s.is_empty() {
            s.push('&');
        }
        s.push_str(k);
        s.push('=');
        s.push_str(&pct(v));
    }
    s
}

/// Percent-encoding of a query value (everything but unreserved characters).
pub fn pct(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn enrich_dashboard(engine: &Engine, f: &Filter, v: &mut Value) {
    let cats = categories(engine);
    let base = f.query_string();
    if let Some(rows) = v.get_mut("pareto").and_then(Value::as_array_mut) {
        for r in rows {
            let Some(o) = r.as_object_mut() else { continue };
            let cat = o
                .get("category")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some((kind, title)) = cats.get(cat.as_str()) {
                o.insert("title".into(), json!(title));
                o.insert("category_kind".into(), json!(kind_str(*kind)));
            }
            if o.get("drill")
                .is_none_or(|d| d.as_str().is_none_or(str::is_empty))
            {
                let level = o
                    .get("level")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    .to_string();
                o.insert(
                    "drill".into(),
                    json!(with(&base, &[("category", &cat), ("level", &level)])),
                );
            }
        }
    }
    if let Some(rows) = v.get_mut("heatmap").and_then(Value::as_array_mut) {
        for r in rows {
            let Some(o) = r.as_object_mut() else { continue };
            let wd = o
                .get("weekday")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .to_string();
            let hr = o
                .get("hour")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .to_string();
            o.insert(
                "drill".into(),
                json!(with(
                    &base,
                    &[("weekday", &wd), ("hour", &hr), ("status", "findings")]
                )),
            );
        }
    }
    if let Some(rows) = v.get_mut("trend").and_then(Value::as_array_mut) {
        for r in rows {
            let Some(o) = r.as_object_mut() else { continue };
            if o.get("drill")
                .is_none_or(|d| d.as_str().is_none_or(str::is_empty))
                && let Some(date) = o.get("date").and_then(Value::as_str).map(str::to_string)
            {
                let mut day = f.clone();
                day.from = date.parse().ok();
                day.to = day.from;
                o.insert("drill".into(), json!(day.query_string()));
            }
        }
    }
    if let Some(bd) = v.get_mut("breakdowns").and_then(Value::as_object_mut) {
        for (dim, rows) in bd.iter_mut() {
            let param = match dim.as_str() {
                "agent" => "agent",
                "branch" | "team" | "client" | "tenure" | "region" | "stage" => dim.as_str(),
                _ => continue,
            };
            let Some(rows) = rows.as_array_mut() else {
                continue;
            };
            for r in rows {
                let Some(o) = r.as_object_mut() else { continue };
                if o.get("drill")
                    .is_some_and(|d| d.as_str().is_some_and(|s| !s.is_empty()))
                {
                    continue;
                }
                let Some(key) = o.get("key").and_then(Value::as_str).map(str::to_string) else {
                    continue;
                };
                let mut sub = f.clone();
                let extra: Vec<(&str, &str)> = match param {
                    "agent" => {
                        sub.agent_id = Some(key.clone());
                        vec![]
                    }
                    "client" => {
                        sub.client = Some(key.clone());
                        vec![]
                    }
                    "branch" => {
                        sub.branch = Some(key.clone());
                        vec![]
                    }
                    // Team keys are `branch/team`.
                    "team" => match key.split_once('/') {
                        Some((b, t)) => {
                            sub.branch = Some(b.to_string());
                            sub.team = Some(t.to_string());
                            vec![]
                        }
                        None => {
                            sub.team = Some(key.clone());
                            vec![]
                        }
                    },
                    other => vec![(other, key.as_str())],
                };
                o.insert("drill".into(), json!(with(&sub.query_string(), &extra)));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Interactions

/// `GET /api/interactions`: every filter, the drill-down parameters included, is applied by
/// the store's query, so pages and cursors are exact.
pub async fn interactions(
    State(st): State<AppState>,
    caller: Caller,
    p: Params,
) -> ApiResult<Json<ListPage>> {
    let f = parse_filter(&p)?;
    let limit = match p.get("limit") {
        None => 50,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| ApiError::invalid("limit: expected an integer 1–500"))?,
    };
    let cursor = p.get("cursor");
    if cursor.is_some_and(|c| c.len() > 1024) {
        return Err(ApiError::invalid("cursor: too long"));
    }
    let page = st
        .store
        .list_interactions(&caller.scope(), &f, cursor, limit)
        .await
        .map_err(store_err)?;
    Ok(Json(page))
}

/// The local file of a recording: a relative path without `..` under the recordings root,
/// that exists there (symbolic links included only when they stay under the root).
pub fn recording_file(root: Option<&FsPath>, recording: Option<&str>) -> Option<PathBuf> {
    let root = root?;
    let rec = recording?.trim();
    if rec.is_empty() || rec.contains("://") || rec.contains('\\') || rec.contains('\0') {
        return None;
    }
    let rel = FsPath::new(rec);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let file = root.join(rel).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

/// `GET /api/interactions/{id}`: masked per role, audited.
pub async fn detail(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let Some(mut d) = st
        .store
        .interaction_detail(&caller.scope(), &id)
        .await
        .map_err(store_err)?
    else {
        return Err(ApiError::not_found());
    };
    caller.audit(&st, "view_transcript", &id).await?;
    let playable =
        recording_file(st.recordings.as_deref(), d.interaction.recording.as_deref()).is_some();
    d.recording_url = playable.then(|| format!("/api/interactions/{}/recording", pct(&id)));
    if !caller.sees_clear() {
        mask_detail(&mut d);
    }
    let mut v = serde_json::to_value(&d).map_err(ApiError::internal)?;
    if let Some(fs) = v
        .pointer_mut("/inspection/findings")
        .and_then(Value::as_array_mut)
    {
        let cats = categories(&st.engine);
        let rules: HashMap<&str, &zhijian_engine::Rule> = st
            .engine
            .rules()
            .iter()
            .map(|r| (r.id.as_str(), r))
            .collect();
        for f in fs {
            let Some(o) = f.as_object_mut() else { continue };
            let rule = o
                .get("rule")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let cat = o
                .get("category")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some((kind, title)) = cats.get(cat.as_str()) {
                o.insert("category_title".into(), json!(title));
                o.insert("category_kind".into(), json!(kind_str(*kind)));
            } else if let Some(t) = o.get("title").cloned() {
                o.insert("category_title".into(), t);
            }
            if let Some(r) = rules.get(rule.as_str()) {
                o.insert("title".into(), json!(r.title));
                o.insert("source".into(), json!(r.source));
            }
        }
    }
    Ok(Json(v))
}

/// `GET /api/interactions/{id}/recording`: the audio file, with range requests; audited.
pub async fn recording(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let Some(d) = st
        .store
        .interaction_detail(&caller.scope(), &id)
        .await
        .map_err(store_err)?
    else {
        return Err(ApiError::not_found());
    };
    let Some(file) = recording_file(st.recordings.as_deref(), d.interaction.recording.as_deref())
    else {
        return Err(ApiError::not_found());
    };
    // One entry per playback: the browser's first request (no range, or from byte 0), not
    // every seek.
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if range.is_none_or(|r| r.starts_with("bytes=0-")) {
        caller.audit(&st, "play_recording", &id).await?;
    }
    let res = tower_http::services::ServeFile::new(&file)
        .oneshot(req)
        .await
        .map_err(ApiError::internal)?;
    let mut res = res.map(axum::body::Body::new);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Rules and playground

fn rule_kind(r: &zhijian_engine::Rule) -> String {
    r.kind.name().to_string()
}

fn example_json(e: &ExampleDef) -> Value {
    match e {
        ExampleDef::Text(t) => json!({"text": t}),
        ExampleDef::Detailed(d) => {
            let text = d
                .text
                .clone()
                .or_else(|| d.turns.as_ref().map(|t| t.join("\n")))
                .or_else(|| d.log.as_ref().map(|t| t.join("\n")))
                .unwrap_or_default();
            let mut o = Map::new();
            o.insert("text".into(), json!(text));
            if let Some(t) = &d.turns {
                o.insert("turns".into(), json!(t));
            }
            if let Some(l) = &d.log {
                o.insert("log".into(), json!(l));
            }
            if let Some(s) = d.speaker {
                o.insert("speaker".into(), json!(s));
            }
            if let Some(p) = d.party {
                o.insert("party".into(), json!(p));
            }
            if let Some(c) = d.channel {
                o.insert("channel".into(), json!(c));
            }
            if let Some(c) = &d.client {
                o.insert("client".into(), json!(c));
            }
            if let Some(w) = &d.why {
                o.insert("why".into(), json!(w));
            }
            Value::Object(o)
        }
    }
}

/// `GET /api/rules`: the active pack with hit counts in the caller's scope.
pub async fn rules(
    State(st): State<AppState>,
    caller: Caller,
    p: Params,
) -> ApiResult<Json<Value>> {
    let f = parse_filter(&p)?;
    let hits = st
        .store
        .rule_hits(&caller.scope(), &f)
        .await
        .map_err(store_err)?;
    let e = &st.engine;
    let cats = categories(e);
    let mut per_cat: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let rules: Vec<Value> = e
        .rules()
        .iter()
        .map(|r| {
            let cat = r.category.as_str();
            let (kind, title) = cats
                .get(cat)
                .copied()
                .unwrap_or((CategoryKind::Content, cat));
            let n = hits.get(&r.id).copied().unwrap_or(0);
            let c = per_cat.entry(cat).or_default();
            c.0 += 1;
            c.1 += n;
            json!({
                "id": r.id,
                "category": cat,
                "category_title": title,
                "category_kind": kind_str(kind),
                "class": category_class(cat),
                "level": r.level.get(),
                "level_name": r.level.chinese(),
                "title": r.title,
                "description": r.description,
                "source": r.source,
                "deduction": r.deduction,
                "kind": rule_kind(r),
                "hits": n,
                "examples": {
                    "hit": r.examples.hit.iter().map(example_json).collect::<Vec<_>>(),
                    "miss": r.examples.miss.iter().map(example_json).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    let categories: Vec<Value> = per_cat
        .iter()
        .map(|(cat, (n, h))| {
            let (kind, title) = cats
                .get(cat)
                .copied()
                .unwrap_or((CategoryKind::Content, cat));
            json!({"id": cat, "title": title, "kind": kind_str(kind),
                   "class": category_class(cat), "rule_count": n, "hits": h})
        })
        .collect();
    let m = e.meta();
    let sc = e.scorecard();
    Ok(Json(json!({
        "pack": {"id": m.id, "version": m.version, "title": m.title,
                 "description": m.description, "ref": e.pack_ref(), "timezone": m.timezone},
        "scorecard": {
            "base": sc.base, "pass_score": sc.pass_score, "red_line": sc.red_line.get(),
            "items": sc.items.iter().map(|i| json!({"id": i.id, "title": i.title,
                "weight": i.weight, "categories": i.categories})).collect::<Vec<_>>(),
        },
        "categories": categories,
        "rules": rules,
    })))
}

#[derive(Debug, Deserialize)]
pub struct PlaySegment {
    #[serde(default = "agent")]
    speaker: Speaker,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
    text: String,
}

fn agent() -> Speaker {
    Speaker::Agent
}

/// `POST /api/playground` body: `{"text"}` (one agent turn, or an SMS/note body with
/// `kind`) or `{"segments":[…]}`; optionally `kind`, `party`, `client`, `started_at`.
#[derive(Debug, Deserialize)]
pub struct PlayBody {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    segments: Option<Vec<PlaySegment>>,
    #[serde(default)]
    kind: Option<Channel>,
    #[serde(default)]
    party: Option<Party>,
    #[serde(default)]
    client: Option<String>,
    #[serde(default)]
    started_at: Option<Timestamp>,
}

const PLAY_MAX_CHARS: usize = 200_000;
const PLAY_MAX_SEGMENTS: usize = 5_000;

/// A finding of the engine in the detail shape of `GET /api/interactions/{id}`.
pub fn finding_json(engine: &Engine, i: &Interaction, f: &Finding) -> Value {
    let cats = categories(engine);
    let cat = f.category.as_str();
    let rule = engine.rules().iter().find(|r| r.id == f.rule);
    let seg = f.segment.and_then(|s| i.segments.get(s));
    let mut o = Map::new();
    o.insert("rule".into(), json!(f.rule));
    o.insert("category".into(), json!(cat));
    if let Some((kind, title)) = cats.get(cat) {
        o.insert("category_title".into(), json!(title));
        o.insert("category_kind".into(), json!(kind_str(*kind)));
    }
    o.insert("kind".into(), json!(category_class(cat)));
    o.insert("level".into(), json!(f.level.get()));
    if let Some(r) = rule {
        o.insert("title".into(), json!(r.title));
        o.insert("source".into(), json!(r.source));
    }
    o.insert("deduction".into(), json!(f.deduction));
    if let Some(s) = f.segment {
        o.insert("segment".into(), json!(s));
    }
    if let Some([a, b]) = f.span {
        o.insert("start".into(), json!(a));
        o.insert("end".into(), json!(b));
    }
    if let Some(t) = f.start.or(seg.map(|s| s.start)) {
        o.insert("t_start".into(), json!(t));
    }
    if let Some(t) = f.end.or(seg.map(|s| s.end)) {
        o.insert("t_end".into(), json!(t));
    }
    o.insert("excerpt".into(), json!(f.excerpt));
    o.insert("message".into(), json!(f.message));
    Value::Object(o)
}

/// `POST /api/playground` (admin, qa_lead): the active pack's findings on a typed dialogue.
pub async fn playground(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<PlayBody>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin, Role::QaLead])?;
    let kind = body.kind.unwrap_or(Channel::Call);
    let mut segments = Vec::new();
    let mut text = None;
    match (body.segments, body.text) {
        (Some(segs), _) if !segs.is_empty() => {
            if segs.len() > PLAY_MAX_SEGMENTS {
                return Err(ApiError::invalid("segments: too many"));
            }
            let mut t = 0.0;
            for s in segs {
                let start = s.start.filter(|x| x.is_finite() && *x >= 0.0).unwrap_or(t);
                let end = s
                    .end
                    .filter(|x| x.is_finite() && *x >= start)
                    .unwrap_or(start + 5.0);
                t = end;
                segments.push(Segment {
                    speaker: s.speaker,
                    start,
                    end,
                    text: s.text,
                });
            }
        }
        (_, Some(t)) if !t.trim().is_empty() => {
            if matches!(kind, Channel::Sms | Channel::Note) {
                text = Some(t);
            } else {
                segments.push(Segment {
                    speaker: Speaker::Agent,
                    start: 0.0,
                    end: 5.0,
                    text: t,
                });
            }
        }
        _ => return Err(ApiError::invalid("give text or segments")),
    }
    let chars: usize = segments
        .iter()
        .map(|s| s.text.chars().count())
        .sum::<usize>()
        + text.as_ref().map_or(0, |t| t.chars().count());
    if chars > PLAY_MAX_CHARS {
        return Err(ApiError::invalid("text: too long"));
    }
    let started_at = body.started_at.unwrap_or_else(|| {
        let tz = jiff::tz::TimeZone::get(DEFAULT_TZ).unwrap_or(jiff::tz::TimeZone::UTC);
        today()
            .at(10, 0, 0, 0)
            .to_zoned(tz)
            .map(|z| z.timestamp())
            .unwrap_or_else(|_| Timestamp::now())
    });
    let end = segments.last().map_or(0.0, |s| s.end);
    let i = Interaction {
        id: "playground".into(),
        kind,
        case_id: "playground".into(),
        agent_id: caller.user.username.clone(),
        client: body.client.unwrap_or_else(|| "playground".into()),
        started_at,
        ended_at: started_at
            .checked_add(jiff::SignedDuration::from_secs_f64(end.min(86_400.0)))
            .ok(),
        direction: None,
        outcome: (kind == Channel::Call).then_some(Outcome::Connected),
        party: Some(body.party.unwrap_or(Party::Debtor)),
        contact: Some(Contact {
            id: None,
            relation: None,
            number: None,
            timezone: None,
        }),
        segments,
        text,
        recording: None,
        timezone: None,
        case: None,
        visit: None,
        submitted_at: None,
        template_id: None,
    };
    let engine = st.engine.clone();
    let v = tokio::task::spawn_blocking(move || {
        let r = engine.inspect(&i);
        json!({
            "score": r.score,
            "passed": r.passed,
            "party": r.party,
            "pack": engine.pack_ref(),
            "findings": r.findings.iter().map(|f| finding_json(&engine, &i, f)).collect::<Vec<_>>(),
        })
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(v))
}

// ---------------------------------------------------------------------------------------------
// Administration

/// `GET /api/audit?limit=N` (admin): the latest entries of the audit log, newest first.
pub async fn audit(
    State(st): State<AppState>,
    caller: Caller,
    p: Params,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin])?;
    let limit = match p.get("limit") {
        None => 200,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| ApiError::invalid("limit: expected an integer 1–10000"))?,
    };
    let items = st.store.audit_log(limit).await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/users` (admin): the accounts (no password hashes).
pub async fn users(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin])?;
    let items = st.store.users().await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/health`: liveness, the active pack and the backend (no session needed).
pub async fn health(State(st): State<AppState>) -> Json<Value> {
    Json(json!({"status": "ok", "pack": st.engine.pack_ref(), "backend": st.store.backend()}))
}

/// Fallback under `/api`: a JSON 404.
pub async fn api_not_found() -> Response {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such API route",
    )
    .into_response()
}
