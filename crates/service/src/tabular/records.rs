//! One row → one interchange record, per table kind.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use zhijian_domain::{
    Agent, Case, CaseContext, Channel, Client, Complaint, Contact, ContactRecord, Flag,
    Interaction, Outcome, Record, normalize_number,
};

use super::columns::{Field, Mapping};
use super::values::{self, CellRef};
use super::{RowError, TableKind};

/// The cells of one row, whatever the file format.
pub(crate) trait Cells {
    fn width(&self) -> usize;
    fn cell(&self, i: usize) -> CellRef<'_>;
}

impl Cells for csv::StringRecord {
    fn width(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> CellRef<'_> {
        self.get(i).map_or(CellRef::Empty, CellRef::Text)
    }
}

pub(crate) struct RowCtx<'a> {
    pub map: &'a Mapping,
    pub headers: &'a [String],
    pub tz: &'a TimeZone,
    pub cells: &'a dyn Cells,
}

const EMPTY: &str = "必填值为空 / required value is empty";

impl RowCtx<'_> {
    fn error(&self, col: usize, cell: &CellRef, reason: String) -> RowError {
        RowError {
            column: self.headers.get(col).cloned().unwrap_or_default(),
            value: cell.display(),
            reason,
        }
    }

    /// The value of `f` parsed by `parse`; `None` when the column is absent or the cell empty.
    fn get<T>(
        &self,
        f: Field,
        parse: impl FnOnce(&CellRef) -> Result<Option<T>, String>,
    ) -> Result<Option<T>, RowError> {
        let Some(col) = self.map.col(f) else {
            return Ok(None);
        };
        let cell = self.cells.cell(col);
        parse(&cell).map_err(|reason| self.error(col, &cell, reason))
    }

    /// Like [`get`](Self::get) for a column the table requires: an empty cell is an error.
    fn req<T>(
        &self,
        f: Field,
        parse: impl FnOnce(&CellRef) -> Result<Option<T>, String>,
    ) -> Result<T, RowError> {
        match self.get(f, parse)? {
            Some(v) => Ok(v),
            None => {
                let col = self.map.col(f).unwrap_or(usize::MAX);
                Err(self.error(col, &self.cells.cell(col), EMPTY.into()))
            }
        }
    }

    /// A word from a closed list (outcome, direction, flag …).
    fn word<T>(
        &self,
        f: Field,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, RowError> {
        self.get(f, |c| match values::text(c)? {
            Some(t) => parse(&t).map(Some),
            None => Ok(None),
        })
    }

    fn text(&self, f: Field) -> Result<Option<String>, RowError> {
        self.get(f, values::text)
    }
    fn code(&self, f: Field) -> Result<Option<String>, RowError> {
        self.get(f, values::code)
    }
    fn time(&self, f: Field) -> Result<Option<Timestamp>, RowError> {
        let tz = self.tz;
        self.get(f, |c| values::timestamp(c, tz))
    }
    fn req_time(&self, f: Field) -> Result<Timestamp, RowError> {
        let tz = self.tz;
        self.req(f, |c| values::timestamp(c, tz))
    }
    fn amount(&self, f: Field) -> Result<Option<f64>, RowError> {
        let scale = self.map.scale(f);
        self.get(f, |c| values::amount(c, scale))
    }

    /// A relation: the interchange word when known, else as written.
    fn relation(&self) -> Result<Option<String>, RowError> {
        Ok(self
            .text(Field::Relation)?
            .map(|t| values::relation(&t).map_or(t, |p| p.as_str().to_string())))
    }

    fn timezone(&self) -> Result<Option<String>, RowError> {
        self.get(Field::Timezone, |c| match values::text(c)? {
            Some(t) => match TimeZone::get(&t) {
                Ok(_) => Ok(Some(t)),
                Err(_) => {
                    Err("不是 IANA 时区名 / not an IANA time zone (e.g. Asia/Shanghai)".into())
                }
            },
            None => Ok(None),
        })
    }

    /// An error on `f`'s cell (which must be mapped).
    fn error_at(&self, f: Field, reason: String) -> RowError {
        let col = self.map.col(f).unwrap_or(usize::MAX);
        self.error(col, &self.cells.cell(col), reason)
    }
}

/// The record for one row of a table of `row.map.kind`.
pub(crate) fn build(row: &RowCtx) -> Result<Record, RowError> {
    match row.map.kind {
        TableKind::Calls => interaction(row, Channel::Call),
        TableKind::Sms => interaction(row, Channel::Sms),
        TableKind::Notes => interaction(row, Channel::Note),
        TableKind::Cases => case(row),
        TableKind::Agents => agent(row),
        TableKind::Contacts => contact(row),
        TableKind::Complaints => complaint(row),
        TableKind::Clients => client(row),
        TableKind::Flags => flag(row),
    }
}

fn interaction(row: &RowCtx, kind: Channel) -> Result<Record, RowError> {
    let case_id = row.req(Field::CaseId, values::code)?;
    let agent_id = match kind {
        Channel::Sms => row.code(Field::AgentId)?.unwrap_or_default(),
        _ => row.req(Field::AgentId, values::code)?,
    };
    let client = row.text(Field::Client)?.unwrap_or_default();
    let started_at = row.req_time(Field::StartedAt)?;
    let number = row.code(Field::Number)?;
    let relation = row.relation()?;
    let contact_id = row.code(Field::ContactId)?;
    let text = match kind {
        Channel::Call => None,
        _ => Some(row.req(Field::Text, values::text)?),
    };

    let mut ended_at = None;
    let mut outcome = None;
    let mut direction = None;
    let mut recording = None;
    let mut party = None;
    if kind == Channel::Call {
        let answered = row.time(Field::AnsweredAt)?;
        let scale = row.map.scale(Field::Duration);
        let duration = row.get(Field::Duration, |c| values::duration(c, scale))?;
        ended_at = match row.time(Field::EndedAt)? {
            Some(end) => {
                if end < started_at {
                    return Err(row.error_at(
                        Field::EndedAt,
                        "结束时间早于开始时间 / ends before it starts".into(),
                    ));
                }
                Some(end)
            }
            None => match duration {
                Some(secs) => {
                    let from = answered.filter(|a| *a >= started_at).unwrap_or(started_at);
                    let d = SignedDuration::try_from_secs_f64(secs)
                        .map_err(|e| row.error_at(Field::Duration, e.to_string()))?;
                    Some(from.checked_add(d).map_err(|e| {
                        row.error_at(Field::Duration, format!("时长过大 / too long: {e}"))
                    })?)
                }
                None => None,
            },
        };
        outcome = row.word(Field::Outcome, |t| values::outcome(t, values::OUTCOMES))?;
        if outcome.is_none() {
            // Talk time says whether the call was answered when the export has no result.
            outcome = duration.map(|d| {
                if d > 0.0 {
                    Outcome::Connected
                } else {
                    Outcome::NoAnswer
                }
            });
        }
        direction = row.word(Field::Direction, values::direction)?;
        recording = row.text(Field::Recording)?;
        party = row.word(Field::Party, values::party)?;
    } else if kind == Channel::Sms {
        outcome = row.word(Field::Outcome, |t| values::outcome(t, values::SMS_STATES))?;
    }
    let template_id = match kind {
        Channel::Sms => row.code(Field::TemplateId)?,
        _ => None,
    };
    let submitted_at = match kind {
        Channel::Note => row.time(Field::SubmittedAt)?,
        _ => None,
    };
    let case = {
        let c = CaseContext {
            balance: row.amount(Field::Balance)?,
            days_past_due: row.get(Field::DaysPastDue, values::days)?,
            stage: row.text(Field::Stage)?.map(|s| values::stage(&s)),
            product: row.text(Field::Product)?,
        };
        (c != CaseContext::default()).then_some(c)
    };
    let timezone = row.timezone()?;

    let id = match row.code(Field::Id)? {
        Some(id) => id,
        None => {
            let number_key = number.as_deref().map(normalize_number).unwrap_or_default();
            let at = started_at.to_string();
            let (prefix, hash) = match kind {
                Channel::Call => (
                    "cdr",
                    values::fnv1a(&[&case_id, &agent_id, &number_key, &at]),
                ),
                Channel::Sms => (
                    "sms",
                    values::fnv1a(&[
                        &case_id,
                        &agent_id,
                        &number_key,
                        &at,
                        text.as_deref().unwrap_or(""),
                    ]),
                ),
                _ => (
                    "note",
                    values::fnv1a(&[&case_id, &agent_id, &at, text.as_deref().unwrap_or("")]),
                ),
            };
            format!("{prefix}-{hash}")
        }
    };
    let contact =
        (contact_id.is_some() || relation.is_some() || number.is_some()).then_some(Contact {
            id: contact_id,
            relation,
            number,
            timezone: None,
        });
    Ok(Record::Interaction(Box::new(Interaction {
        id,
        kind,
        case_id,
        agent_id,
        client,
        started_at,
        ended_at,
        direction,
        outcome,
        party,
        contact,
        segments: Vec::new(),
        text,
        recording,
        timezone,
        case,
        visit: None,
        submitted_at,
        template_id,
    })))
}

fn case(row: &RowCtx) -> Result<Record, RowError> {
    Ok(Record::Case(Box::new(Case {
        id: row.req(Field::Id, values::code)?,
        client: row.req(Field::Client, values::text)?,
        product: row.text(Field::Product)?,
        principal: row.amount(Field::Principal)?,
        balance: row.amount(Field::Balance)?,
        days_past_due: row.get(Field::DaysPastDue, values::days)?,
        stage: row.text(Field::Stage)?.map(|s| values::stage(&s)),
        debtor: row.text(Field::Debtor)?,
        agent_id: row.code(Field::AgentId)?,
        opened_on: row.get(Field::OpenedOn, values::date)?,
    })))
}

fn agent(row: &RowCtx) -> Result<Record, RowError> {
    Ok(Record::Agent(Agent {
        id: row.req(Field::Id, values::code)?,
        name: row.req(Field::Name, values::text)?,
        branch: row.text(Field::Branch)?.unwrap_or_default(),
        team: row.text(Field::Team)?.unwrap_or_default(),
        region: row.text(Field::Region)?,
        hired_on: row.get(Field::HiredOn, values::date)?,
        supervisor: row.code(Field::Supervisor)?,
    }))
}

fn contact(row: &RowCtx) -> Result<Record, RowError> {
    let case_id = row.req(Field::CaseId, values::code)?;
    let number = row.req(Field::Number, values::code)?;
    let id = match row.code(Field::Id)? {
        Some(id) => id,
        None => format!(
            "ct-{}",
            values::fnv1a(&[&case_id, &normalize_number(&number)])
        ),
    };
    Ok(Record::Contact(ContactRecord {
        id,
        case_id,
        relation: row.relation()?,
        number: Some(number),
        name: row.text(Field::ContactName)?,
        timezone: row.timezone()?,
    }))
}

fn complaint(row: &RowCtx) -> Result<Record, RowError> {
    let received_at = row.req_time(Field::ReceivedAt)?;
    let closed_at = row.time(Field::ClosedAt)?;
    if let Some(c) = closed_at
        && c < received_at
    {
        return Err(row.error_at(
            Field::ClosedAt,
            "结案时间早于受理时间 / closed before it was received".into(),
        ));
    }
    Ok(Record::Complaint(Box::new(Complaint {
        id: row.req(Field::Id, values::code)?,
        case_id: row.req(Field::CaseId, values::code)?,
        source: row.req(Field::Source, |c| {
            Ok(values::text(c)?.map(|t| values::complaint_source(&t)))
        })?,
        received_at,
        closed_at,
        agent_id: row.code(Field::AgentId)?,
        interaction_id: row.code(Field::InteractionId)?,
        category: row
            .text(Field::Category)?
            .map(|t| values::complaint_category(&t)),
        summary: row.text(Field::Summary)?,
    })))
}

fn client(row: &RowCtx) -> Result<Record, RowError> {
    let name = row.req(Field::Name, values::text)?;
    let id = row.code(Field::Id)?.unwrap_or_else(|| name.clone());
    Ok(Record::Client(Client { id, name }))
}

fn flag(row: &RowCtx) -> Result<Record, RowError> {
    let flag = match row.word(Field::FlagKind, values::flag)? {
        Some(f) => f,
        None => return Err(row.error_at(Field::FlagKind, EMPTY.into())),
    };
    let set_at = row.req_time(Field::SetAt)?;
    let case_id = row.code(Field::CaseId)?;
    let contact_id = row.code(Field::ContactId)?;
    if case_id.is_none() && contact_id.is_none() {
        let f = if row.map.col(Field::ContactId).is_some() {
            Field::ContactId
        } else {
            Field::CaseId
        };
        return Err(row.error_at(
            f,
            "案件编号和联系人编号都为空 / needs a case id or a contact id".into(),
        ));
    }
    Ok(Record::Flag(Flag {
        contact_id,
        case_id,
        flag,
        set_at,
    }))
}
