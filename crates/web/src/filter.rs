//! Query parameters of the dashboard, the interaction list and the rules: the store's
//! [`Filter`], plus the drill-down parameters that the dashboard's heat map and breakdowns
//! produce and the store's filter has no field for (`weekday`, `hour`, `tenure`, `region`,
//! `stage`), applied by the server to each page ([`Drill`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use zhijian_domain::{Date, Record};
use zhijian_store::{Filter, ListItem, RecordKind, Status, Store};

use crate::error::{ApiError, ApiResult};
use crate::json::Params;

const KINDS: [&str; 4] = ["call", "sms", "visit", "note"];
pub const TENURES: [&str; 4] = ["lt3", "3to12", "gt12", "unknown"];

fn date(k: &str, v: &str) -> ApiResult<Date> {
    v.parse::<Date>()
        .map_err(|_| ApiError::invalid(format!("{k}: expected a date YYYY-MM-DD, got {v:?}")))
}

fn text(k: &str, v: &str) -> ApiResult<String> {
    if v.chars().count() > 200 {
        return Err(ApiError::invalid(format!("{k}: too long")));
    }
    Ok(v.to_string())
}

fn number(k: &str, v: &str) -> ApiResult<f64> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| ApiError::invalid(format!("{k}: expected a number, got {v:?}")))
}

fn small(k: &str, v: &str, lo: u8, hi: u8) -> ApiResult<u8> {
    v.parse::<u8>()
        .ok()
        .filter(|x| (lo..=hi).contains(x))
        .ok_or_else(|| ApiError::invalid(format!("{k}: expected an integer {lo}–{hi}, got {v:?}")))
}

/// The store filter of the query (`from`, `to`, `client`, `branch`, `team`, `agent`
/// (or `agent_id`), `category`, `level`, `status`, `score_min`, `score_max`, `kind`).
/// Values that cannot be read are `input.invalid_argument`; unknown parameters are ignored.
pub fn parse_filter(p: &Params) -> ApiResult<Filter> {
    let mut f = Filter::default();
    for (k, v) in &p.0 {
        match k.as_str() {
            "from" => f.from = Some(date(k, v)?),
            "to" => f.to = Some(date(k, v)?),
            "client" => f.client = Some(text(k, v)?),
            "branch" => f.branch = Some(text(k, v)?),
            "team" => f.team = Some(text(k, v)?),
            "agent" | "agent_id" => f.agent_id = Some(text(k, v)?),
            "category" => {
                let ok = v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
                if !ok || v.len() > 64 {
                    return Err(ApiError::invalid(format!("category: bad value {v:?}")));
                }
                f.category = Some(v.clone());
            }
            "level" => f.level = Some(small(k, v, 1, 4)?),
            "status" => {
                f.status = Some(match v.as_str() {
                    "passed" => Status::Passed,
                    "failed" => Status::Failed,
                    "findings" => Status::WithFindings,
                    _ => {
                        return Err(ApiError::invalid(format!(
                            "status: expected passed, failed or findings, got {v:?}"
                        )));
                    }
                })
            }
            "score_min" => f.score_min = Some(number(k, v)?),
            "score_max" => f.score_max = Some(number(k, v)?),
            "kind" => {
                if !KINDS.contains(&v.as_str()) {
                    return Err(ApiError::invalid(format!(
                        "kind: expected call, sms, visit or note, got {v:?}"
                    )));
                }
                f.kind = Some(v.clone());
            }
            _ => {}
        }
    }
    if let (Some(a), Some(b)) = (f.from, f.to)
        && a > b
    {
        return Err(ApiError::invalid("from is after to"));
    }
    if let (Some(a), Some(b)) = (f.score_min, f.score_max)
        && a > b
    {
        return Err(ApiError::invalid("score_min is above score_max"));
    }
    Ok(f)
}

/// Drill-down parameters applied by the server (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drill {
    /// Local weekday, 0 = Monday.
    pub weekday: Option<u8>,
    /// Local hour.
    pub hour: Option<u8>,
    /// `lt3`, `3to12`, `gt12`, `unknown`: the agent's tenure on the day of the interaction.
    pub tenure: Option<String>,
    /// The agent's region (`unknown`: none recorded).
    pub region: Option<String>,
    /// The case's stage (`unknown`: none recorded).
    pub stage: Option<String>,
}

impl Drill {
    pub fn parse(p: &Params) -> ApiResult<Drill> {
        let mut d = Drill::default();
        for (k, v) in &p.0 {
            match k.as_str() {
                "weekday" => d.weekday = Some(small(k, v, 0, 6)?),
                "hour" => d.hour = Some(small(k, v, 0, 23)?),
                "tenure" => {
                    if !TENURES.contains(&v.as_str()) {
                        return Err(ApiError::invalid(format!(
                            "tenure: expected lt3, 3to12, gt12 or unknown, got {v:?}"
                        )));
                    }
                    d.tenure = Some(v.clone());
                }
                "region" => d.region = Some(text(k, v)?),
                "stage" => d.stage = Some(text(k, v)?),
                _ => {}
            }
        }
        Ok(d)
    }

    pub fn is_empty(&self) -> bool {
        *self == Drill::default()
    }

    fn needs_agents(&self) -> bool {
        self.tenure.is_some() || self.region.is_some()
    }

    /// Whether a list item matches.
    pub fn matches(&self, it: &ListItem, look: &Lookups) -> bool {
        let date: Option<Date> = it.local_date.parse().ok();
        if let Some(w) = self.weekday
            && date.map(|d| d.weekday().to_monday_zero_offset() as u8) != Some(w)
        {
            return false;
        }
        if let Some(h) = self.hour
            && local_hour(&it.started_at) != Some(h)
        {
            return false;
        }
        let agent = look.agents.get(&it.agent_id);
        if let Some(t) = &self.tenure {
            let band = match (agent.and_then(|a| a.hired_on), date) {
                (Some(h), Some(d)) => tenure_band(h, d),
                _ => "unknown",
            };
            if band != t {
                return false;
            }
        }
        if let Some(r) = &self.region {
            let have = agent.and_then(|a| a.region.as_deref()).unwrap_or("unknown");
            if have != r {
                return false;
            }
        }
        if let Some(s) = &self.stage {
            let have = look
                .stages
                .get(&it.case_id)
                .map(String::as_str)
                .unwrap_or("unknown");
            if have != s {
                return false;
            }
        }
        true
    }
}

/// The hour of an RFC 3339 local time (`2026-10-01T09:12:00+08:00` → 9).
fn local_hour(s: &str) -> Option<u8> {
    s.get(11..13)?.parse().ok()
}

fn tenure_band(hired: Date, on: Date) -> &'static str {
    let plus = |m: i64| hired.checked_add(jiff::Span::new().months(m)).ok();
    match (plus(3), plus(12)) {
        (Some(t3), _) if on < t3 => "lt3",
        (_, Some(t12)) if on < t12 => "3to12",
        _ => "gt12",
    }
}

/// What the drill-down filters look up: agents (region, hire date) and case stages.
#[derive(Debug, Default)]
pub struct Lookups {
    pub agents: HashMap<String, zhijian_domain::Agent>,
    pub stages: HashMap<String, String>,
}

/// [`Lookups`] read from the store and kept for a minute.
#[derive(Default)]
pub struct LookupCache {
    agents: Cached<HashMap<String, zhijian_domain::Agent>>,
    stages: Cached<HashMap<String, String>>,
}

/// A value and when it was read.
type Cached<T> = Mutex<Option<(Instant, Arc<T>)>>;

const TTL: Duration = Duration::from_secs(60);

impl LookupCache {
    pub async fn agents(
        &self,
        store: &Store,
    ) -> ApiResult<Arc<HashMap<String, zhijian_domain::Agent>>> {
        let mut g = self.agents.lock().await;
        if let Some((at, v)) = &*g
            && at.elapsed() < TTL
        {
            return Ok(v.clone());
        }
        let map: HashMap<_, _> = store
            .records(RecordKind::Agent)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Agent(a) => Some((a.id.clone(), a)),
                _ => None,
            })
            .collect();
        let v = Arc::new(map);
        *g = Some((Instant::now(), v.clone()));
        Ok(v)
    }

    pub async fn stages(&self, store: &Store) -> ApiResult<Arc<HashMap<String, String>>> {
        let mut g = self.stages.lock().await;
        if let Some((at, v)) = &*g
            && at.elapsed() < TTL
        {
            return Ok(v.clone());
        }
        let map: HashMap<_, _> = store
            .records(RecordKind::Case)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Case(c) => c.stage.clone().map(|s| (c.id.clone(), s)),
                _ => None,
            })
            .collect();
        let v = Arc::new(map);
        *g = Some((Instant::now(), v.clone()));
        Ok(v)
    }

    /// What `drill` needs.
    pub async fn for_drill(&self, store: &Store, drill: &Drill) -> ApiResult<Lookups> {
        let agents = if drill.needs_agents() {
            (*self.agents(store).await?).clone()
        } else {
            HashMap::new()
        };
        let stages = if drill.stage.is_some() {
            (*self.stages(store).await?).clone()
        } else {
            HashMap::new()
        };
        Ok(Lookups { agents, stages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &[(&str, &str)]) -> Params {
        Params(
            q.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn filters_parse_and_reject() {
        let f = parse_filter(&params(&[
            ("from", "2026-10-01"),
            ("to", "2026-10-31"),
            ("agent", "A1"),
            ("level", "4"),
            ("status", "findings"),
            ("kind", "call"),
            ("score_min", "10"),
            ("whatever", "x"),
        ]))
        .unwrap();
        assert_eq!(f.agent_id.as_deref(), Some("A1"));
        assert_eq!(f.level, Some(4));
        assert_eq!(f.status, Some(Status::WithFindings));
        for bad in [
            ("from", "yesterday"),
            ("level", "5"),
            ("status", "ok"),
            ("kind", "fax"),
            ("score_min", "NaN"),
            ("category", "a b"),
        ] {
            let e = parse_filter(&params(&[bad])).unwrap_err();
            assert_eq!(e.code, "input.invalid_argument", "{bad:?}");
        }
        assert!(parse_filter(&params(&[("from", "2026-10-02"), ("to", "2026-10-01")])).is_err());
        assert!(Drill::parse(&params(&[("hour", "24")])).is_err());
        assert!(Drill::parse(&params(&[("tenure", "old")])).is_err());
    }

    #[test]
    fn tenure_bands() {
        let h: Date = "2026-01-31".parse().unwrap();
        assert_eq!(tenure_band(h, "2026-04-29".parse().unwrap()), "lt3");
        assert_eq!(tenure_band(h, "2026-04-30".parse().unwrap()), "3to12");
        assert_eq!(tenure_band(h, "2027-01-31".parse().unwrap()), "gt12");
        assert_eq!(local_hour("2026-10-01T09:12:00+08:00"), Some(9));
    }
}
