//! Interchange format v1 (JSON Lines), as PRODUCT.md defines it, plus the optional extensions
//! the engine reads (`timezone`, `case`, `visit`, `submitted_at`, `template_id`). Unknown fields
//! are ignored: the product may accept more, never less.

use serde::{Deserialize, Serialize};

use jiff::Timestamp;

use crate::context::{Agent, Case, Client, Complaint, ContactRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Call,
    Sms,
    Visit,
    Note,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Sms => "sms",
            Channel::Visit => "visit",
            Channel::Note => "note",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Connected,
    NoAnswer,
    Busy,
    Rejected,
    Failed,
}

/// Who was on the other end. `Unknown` also covers a wrong number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Debtor,
    Spouse,
    Parent,
    Relative,
    Colleague,
    Friend,
    Emergency,
    Unknown,
}

impl Party {
    pub fn is_debtor(self) -> bool {
        self == Party::Debtor
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Debtor => "debtor",
            Party::Spouse => "spouse",
            Party::Parent => "parent",
            Party::Relative => "relative",
            Party::Colleague => "colleague",
            Party::Friend => "friend",
            Party::Emergency => "emergency",
            Party::Unknown => "unknown",
        }
    }
    pub const ALL: [Party; 8] = [
        Party::Debtor,
        Party::Spouse,
        Party::Parent,
        Party::Relative,
        Party::Colleague,
        Party::Friend,
        Party::Emergency,
        Party::Unknown,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Agent,
    Customer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Option<String>,
    /// Relation to the debtor as the collection system recorded it (may be stale).
    pub relation: Option<String>,
    pub number: Option<String>,
    /// IANA time zone of the contact (extension); the pack default applies when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub speaker: Speaker,
    /// Seconds from the start of the recording.
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Case context carried on the interaction (extension), used by amount checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseContext {
    /// The amount actually owed, in yuan.
    pub balance: Option<f64>,
    pub days_past_due: Option<u32>,
    pub stage: Option<String>,
    pub product: Option<String>,
}

/// Field-visit record (extension).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitInfo {
    /// Names or ids of the staff who went.
    #[serde(default)]
    pub members: Vec<String>,
    /// Photo paths or URIs taken during the visit.
    #[serde(default)]
    pub photos: Vec<String>,
    /// When the visit application was approved; absent means no approved application.
    pub application_approved_at: Option<Timestamp>,
    /// When the visit result was entered into the system.
    pub entered_at: Option<Timestamp>,
}

/// One interaction of any channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    pub id: String,
    pub kind: Channel,
    pub case_id: String,
    pub agent_id: String,
    pub client: String,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<Party>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    // ---- extensions ----
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<VisitInfo>,
    /// When a note (or a visit result) was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<Timestamp>,
    /// The SMS template the sending system says it used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
}

impl Interaction {
    /// Outbound unless the record says inbound.
    pub fn is_outbound(&self) -> bool {
        self.direction != Some(Direction::Inbound)
    }
    /// A call is connected when its outcome says so, or when it has no outcome but a transcript.
    pub fn is_connected(&self) -> bool {
        match self.outcome {
            Some(o) => o == Outcome::Connected,
            None => self.kind != Channel::Call || !self.segments.is_empty(),
        }
    }
    /// The contact key that event-log rules group by: contact id, else number, else case.
    pub fn person_key(&self) -> String {
        let c = self.contact.as_ref();
        if let Some(id) = c.and_then(|c| c.id.as_deref()) {
            return format!("id:{id}");
        }
        if let Some(n) = c.and_then(|c| c.number.as_deref()) {
            return format!("no:{}", normalize_number(n));
        }
        format!("case:{}", self.case_id)
    }
    pub fn number_key(&self) -> Option<String> {
        self.contact
            .as_ref()
            .and_then(|c| c.number.as_deref())
            .map(normalize_number)
    }
}

/// Digits only, with a leading +86/0086 country code removed.
pub fn normalize_number(n: &str) -> String {
    let digits: String = n.chars().filter(|c| c.is_ascii_digit()).collect();
    let d = digits.strip_prefix("0086").unwrap_or(&digits);
    let d = if n.trim_start().starts_with('+') {
        d.strip_prefix("86").unwrap_or(d)
    } else {
        d
    };
    d.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    DoNotCall,
    ComplaintRisk,
    Dispute,
}

/// A flag on a contact or a case: `{"kind":"flag","contact_id"|"case_id","flag","set_at"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    pub flag: FlagKind,
    pub set_at: Timestamp,
}

/// One line of interchange input.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Interaction(Box<Interaction>),
    Flag(Flag),
    Client(Client),
    Agent(Agent),
    Case(Box<Case>),
    Contact(ContactRecord),
    Complaint(Box<Complaint>),
}

impl Record {
    /// The `kind` this record has on a JSON line.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Interaction(i) => i.kind.as_str(),
            Record::Flag(_) => "flag",
            Record::Client(_) => "client",
            Record::Agent(_) => "agent",
            Record::Case(_) => "case",
            Record::Contact(_) => "contact",
            Record::Complaint(_) => "complaint",
        }
    }

    /// The record as one JSON line (without the newline), `kind` included.
    pub fn to_json_line(&self) -> String {
        fn tagged<T: Serialize>(kind: &str, v: &T) -> String {
            let mut value = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
            if let serde_json::Value::Object(m) = &mut value {
                m.insert("kind".into(), serde_json::Value::String(kind.into()));
            }
            value.to_string()
        }
        match self {
            Record::Interaction(i) => serde_json::to_string(i).unwrap_or_default(),
            Record::Flag(f) => tagged("flag", f),
            Record::Client(c) => tagged("client", c),
            Record::Agent(a) => tagged("agent", a),
            Record::Case(c) => tagged("case", c),
            Record::Contact(c) => tagged("contact", c),
            Record::Complaint(c) => tagged("complaint", c),
        }
    }
}

/// Why a line was rejected, with the JSON path of the field at fault when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// JSON path of the offending field (`segments[3].start`), or empty for the whole line.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

#[derive(Deserialize)]
struct KindProbe<'a> {
    #[serde(borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

/// Kinds of context records (everything that is not an interaction).
const CONTEXT_KINDS: [&str; 6] = ["flag", "client", "agent", "case", "contact", "complaint"];

/// Parse one JSON Lines record. Never panics; errors name the field.
pub fn parse_record(line: &str) -> Result<Record, RecordError> {
    // Interactions are the bulk of any input and must not pay for a second parse: a cheap scan
    // for the first `"kind": "…"` decides, and only lines that look like context records (or
    // interactions that fail to parse) are probed with a real parse of the top-level `kind`.
    match quick_kind(line) {
        Some(k) if CONTEXT_KINDS.contains(&k) => {}
        _ => match parse_interaction(line) {
            Ok(r) => return Ok(r),
            Err(e) => {
                if !probe_is_context(line) {
                    return Err(e);
                }
            }
        },
    }
    match serde_json::from_str::<KindProbe>(line) {
        Ok(KindProbe { kind: Some(k) }) => match k.as_ref() {
            "flag" => parse_typed::<Flag>(line).map(Record::Flag),
            "client" => parse_typed::<Client>(line)
                .and_then(|c| non_empty("id", &c.id).map(|_| c))
                .map(Record::Client),
            "agent" => parse_typed::<Agent>(line)
                .and_then(|a| non_empty("id", &a.id).map(|_| a))
                .map(Record::Agent),
            "case" => parse_typed::<Case>(line)
                .and_then(|c| non_empty("id", &c.id).map(|_| c))
                .map(|c| Record::Case(Box::new(c))),
            "contact" => parse_typed::<ContactRecord>(line)
                .and_then(|c| non_empty("id", &c.id).map(|_| c))
                .map(Record::Contact),
            "complaint" => parse_typed::<Complaint>(line)
                .and_then(|c| {
                    non_empty("id", &c.id)?;
                    match c.closed_at {
                        Some(t) if t < c.received_at => Err(RecordError {
                            field: "closed_at".into(),
                            message: format!("{t} is before received_at {}", c.received_at),
                        }),
                        _ => Ok(c),
                    }
                })
                .map(|c| Record::Complaint(Box::new(c))),
            _ => parse_interaction(line),
        },
        _ => parse_interaction(line),
    }
}

fn parse_interaction(line: &str) -> Result<Record, RecordError> {
    let i = parse_typed::<Interaction>(line)?;
    validate(&i)?;
    Ok(Record::Interaction(Box::new(i)))
}

fn non_empty(field: &str, v: &str) -> Result<(), RecordError> {
    if v.trim().is_empty() {
        Err(RecordError {
            field: field.into(),
            message: "must not be empty".into(),
        })
    } else {
        Ok(())
    }
}

fn probe_is_context(line: &str) -> bool {
    matches!(
        serde_json::from_str::<KindProbe>(line),
        Ok(KindProbe { kind: Some(k) }) if CONTEXT_KINDS.contains(&k.as_ref())
    )
}

/// The value of the first `"kind"` key on the line, when it is a plain string.
fn quick_kind(line: &str) -> Option<&str> {
    let at = line.find("\"kind\"")? + 6;
    let rest = line[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

fn parse_typed<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, RecordError> {
    // Almost every line is good: parse it plainly, and only a line that fails again with path
    // tracking (which costs about as much as the parse itself) to name the field.
    if let Ok(v) = serde_json::from_str(line) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_str(line);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let mut message = inner.to_string();
        // serde_json appends " at line L column C"; the caller reports the file line itself.
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        // A line that ends inside its JSON names no field worth naming (the path is wherever
        // the parser ran out, often `?`): say what happened.
        if inner.classify() == serde_json::error::Category::Eof {
            return RecordError {
                field: String::new(),
                message: format!("the line ends inside its JSON (truncated?): {message}"),
            };
        }
        // A line that is not a JSON object at all ("not json", a CSV row in a .jsonl file):
        // serde's "expected ident" says nothing to a user.
        if inner.classify() == serde_json::error::Category::Syntax
            && !line.trim_start().starts_with('{')
        {
            return RecordError {
                field: String::new(),
                message: format!(
                    "the line is not a JSON object (interchange v1 lines start with `{{`): {message}"
                ),
            };
        }
        // A missing field is reported at the parent path; name the field instead.
        let field = if path == "." {
            missing_field(&message).unwrap_or_default()
        } else {
            path
        };
        RecordError { field, message }
    })
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

fn validate(i: &Interaction) -> Result<(), RecordError> {
    let err = |field: String, message: String| Err(RecordError { field, message });
    if i.id.trim().is_empty() {
        return err("id".into(), "must not be empty".into());
    }
    if let Some(end) = i.ended_at
        && end < i.started_at
    {
        return err(
            "ended_at".into(),
            format!("{end} is before started_at {}", i.started_at),
        );
    }
    for (n, s) in i.segments.iter().enumerate() {
        if !(s.start.is_finite() && s.end.is_finite()) || s.start < 0.0 || s.end < s.start {
            return err(
                format!("segments[{n}]"),
                format!(
                    "start {} / end {} must be finite, ≥ 0 and start ≤ end",
                    s.start, s.end
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minimal_call() {
        let r = parse_record(r#"{"id":"a","kind":"call","case_id":"c","agent_id":"g","client":"x","started_at":"2026-01-01T10:00:00+08:00"}"#).unwrap();
        assert!(matches!(r, Record::Interaction(_)));
    }

    #[test]
    fn parses_flag() {
        let r = parse_record(r#"{"kind":"flag","contact_id":"k","flag":"do_not_call","set_at":"2026-01-01T02:00:00Z"}"#).unwrap();
        assert!(matches!(
            r,
            Record::Flag(Flag {
                flag: FlagKind::DoNotCall,
                ..
            })
        ));
    }

    #[test]
    fn errors_name_the_field() {
        let e =
            parse_record(r#"{"id":"a","kind":"call","case_id":"c","agent_id":"g","client":"x"}"#)
                .unwrap_err();
        assert_eq!(e.field, "started_at");
        let e = parse_record(r#"{"id":"a","kind":"call","case_id":"c","agent_id":"g","client":"x","started_at":"2026-01-01T10:00:00+08:00","segments":[{"speaker":"agent","start":"x","end":1,"text":""}]}"#).unwrap_err();
        assert_eq!(e.field, "segments[0].start");
        let e = parse_record(r#"{"id":"a","kind":"fax","case_id":"c","agent_id":"g","client":"x","started_at":"2026-01-01T10:00:00+08:00"}"#).unwrap_err();
        assert_eq!(e.field, "kind");
        let e = parse_record("not json").unwrap_err();
        assert!(e.field.is_empty());
        assert!(e.to_string().contains("not a JSON object"), "{e}");
        // A truncated line says so, without a made-up field.
        let e = parse_record(r#"{"id":"a","kind":"call","case_id":"c","agent_id":"g","client":"x","segments":[{"speaker":"agent","te"#).unwrap_err();
        assert!(e.field.is_empty(), "{e:?}");
        assert!(e.to_string().contains("truncated"), "{e}");
    }

    #[test]
    fn parses_context_records() {
        let lines = [
            r#"{"kind":"client","id":"c1","name":"某银行信用卡中心"}"#,
            r#"{"kind":"agent","id":"a1","name":"张三","branch":"华东分公司","team":"一组","hired_on":"2026-03-01"}"#,
            r#"{"kind":"case","id":"k1","client":"c1","balance":1234.5,"days_past_due":45,"stage":"M2"}"#,
            r#"{"kind":"contact","id":"p1","case_id":"k1","relation":"spouse","number":"13800000000"}"#,
            r#"{"kind":"complaint","id":"t1","case_id":"k1","source":"client","received_at":"2026-01-02T03:04:05Z"}"#,
        ];
        for l in lines {
            let r = parse_record(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            let again = parse_record(&r.to_json_line()).expect("round trip");
            assert_eq!(r, again);
        }
        let e = parse_record(r#"{"kind":"agent","id":"a1","name":"张三","branch":"华东分公司"}"#)
            .unwrap_err();
        assert_eq!(e.field, "team");
        let e = parse_record(r#"{"kind":"complaint","id":"t1","case_id":"k1","source":"client","received_at":"2026-01-02T03:04:05Z","closed_at":"2026-01-01T00:00:00Z"}"#).unwrap_err();
        assert_eq!(e.field, "closed_at");
        // A nested "kind" before the top-level one does not confuse the dispatch.
        let r = parse_record(r#"{"x":{"kind":"flag"},"id":"a","kind":"call","case_id":"c","agent_id":"g","client":"x","started_at":"2026-01-01T10:00:00+08:00"}"#).unwrap();
        assert!(matches!(r, Record::Interaction(_)));
        let r = parse_record(r#"{"x":{"kind":"call"},"kind":"flag","contact_id":"k","flag":"dispute","set_at":"2026-01-01T02:00:00Z"}"#).unwrap();
        assert!(matches!(r, Record::Flag(_)));
    }

    #[test]
    fn never_panics_on_garbage() {
        for s in [
            "",
            "{",
            "\u{0}",
            "[]",
            "{\"kind\":\"flag\"}",
            "{\"flag\":1}",
        ] {
            let _ = parse_record(s);
        }
    }

    #[test]
    fn numbers_normalize() {
        assert_eq!(normalize_number("+86 138-0000-0000"), "13800000000");
        assert_eq!(normalize_number("008613800000000"), "13800000000");
    }
}
