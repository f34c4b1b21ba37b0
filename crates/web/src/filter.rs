//! Query parameters of the dashboard, the interaction list and the rules: the store's
//! [`Filter`], the drill-down parameters of the dashboard's heat map and breakdowns
//! (`weekday`, `hour`, `tenure`, `region`, `stage`) included: the store applies every one of
//! them in its queries.

use zhijian_domain::Date;
use zhijian_store::web::Tenure;
use zhijian_store::{Filter, Status};

use crate::error::{ApiError, ApiResult};
use crate::json::Params;

const KINDS: [&str; 4] = ["call", "sms", "visit", "note"];

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
/// (or `agent_id`), `category`, `level`, `status`, `score_min`, `score_max`, `kind`, and the
/// drill-down parameters `weekday` (0 = Monday), `hour`, `tenure`, `region`, `stage`).
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
            "weekday" => f.weekday = Some(small(k, v, 0, 6)?),
            "hour" => f.hour = Some(small(k, v, 0, 23)?),
            "tenure" => {
                f.tenure = Some(Tenure::parse(v).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "tenure: expected lt3, 3to12, gt12 or unknown, got {v:?}"
                    ))
                })?)
            }
            "region" => f.region = Some(text(k, v)?),
            "stage" => f.stage = Some(text(k, v)?),
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
        for bad in [
            ("hour", "24"),
            ("weekday", "7"),
            ("tenure", "old"),
            ("hour", "-1"),
        ] {
            let e = parse_filter(&params(&[bad])).unwrap_err();
            assert_eq!(e.code, "input.invalid_argument", "{bad:?}");
        }
        let f = parse_filter(&params(&[
            ("weekday", "6"),
            ("hour", "23"),
            ("tenure", "3to12"),
            ("region", "湖北"),
            ("stage", "M1"),
        ]))
        .unwrap();
        assert_eq!(
            (f.weekday, f.hour, f.tenure),
            (Some(6), Some(23), Some(Tenure::From3To12))
        );
        assert_eq!(
            (f.region.as_deref(), f.stage.as_deref()),
            (Some("湖北"), Some("M1"))
        );
        // The drill-down parameters survive the round trip through a drill query string.
        let again = parse_filter(&Params(
            f.query_string()
                .split('&')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_string(), pct_decode(v))
                })
                .collect(),
        ))
        .unwrap();
        assert_eq!(again, f);
    }

    fn pct_decode(v: &str) -> String {
        let b = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}
