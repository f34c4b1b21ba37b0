//! Synthetic, labelled Chinese debt-collection interactions in interchange format v1.
//!
//! [`Generator`] streams [`Item`]s case by case (only the current case is held in memory, so a
//! run of 1,000,000 calls needs no more memory than a run of 1,000) and is deterministic for a
//! given [`Config::seed`]. It yields exactly [`Config::calls`] interactions of kind `call`, plus
//! do-not-call [`Item::Flag`]s and, with [`Config::all_channels`], SMS, field visits and
//! collection notes.
//!
//! # What a case contains
//! A case belongs to one fictional client (bank credit-card centres, consumer-finance companies,
//! online lenders) and is worked by an agency agent (`A0001` …, in teams, each with a style:
//! polite, brisk, pushy or novice). It has a product, a balance, days past due and a stage
//! (M1 … M6+), a debtor with a situation (cooperative, unemployed, sick, disputing, evasive,
//! angry, already paid, promising to pay) and up to three third-party contacts (spouse, parent,
//! colleague, friend, relative, emergency contact). Some numbers have changed owner: the dialler
//! still records `party: debtor`, but a stranger answers. A few contacts live abroad and carry
//! `contact.timezone` (Asia/Tokyo, Europe/London …). Names, ID-card numbers (valid check digit),
//! card numbers (valid Luhn digit), addresses and phone numbers are synthetic.
//!
//! # Calls
//! Attempts are connected, `no_answer`, `busy`, `rejected` or `failed` (no segments). Connected
//! calls run about 2½–3 minutes and 750–800 characters on average (debtor calls longer, third
//! parties, wrong numbers and calls the debtor cuts short shorter), mostly 10–40 turns, with
//! segment times consistent with 4–6 characters per second and small gaps. Inbound callbacks
//! from debtors appear too (never subject to the outbound rules). A compliant debtor call verifies
//! identity, introduces the agency and the client (受XX委托), gives the recording notice,
//! confirms the debt (the amount equals `case.balance`), and settles a plan with amount, date
//! and channel. Every step has many phrasings and orders; turns carry colloquial fillers and
//! ASR-like noise (dropped punctuation, homophone slips, traditional characters, full-width
//! digits, stray spaces). Hard negatives appear in clean calls: lawful consequences, negated
//! statements, quoted rules, the customer swearing or threatening, applications for a reduction
//! subject to approval, third-party calls that only ask for whereabouts or a callback.
//!
//! About [`Config::violation_rate`] of connected calls carry injected content violations; the
//! labels are the complete set of GUIDE.md content categories true for the call (for example
//! an intro that presents the agent as the lender is both `impersonation` and
//! `missing_self_introduction`; a dropped plan is `missing_repayment_plan` except on disputed
//! debts and calls the customer cuts short).
//!
//! # Event-log labels
//! Computed exactly under the default limits, by the contact's local calendar day
//! (`contact.timezone`, else Asia/Shanghai): `off_hours` (outbound call or SMS starting at
//! ≥ 22:00 or < 08:00 local), `excessive_frequency` (4th and later connected outbound call to
//! one contact id in a day, or 7th and later outbound call attempt of any outcome to one
//! normalised number in a day; SMS are not attempts), `do_not_call` (outbound call or SMS to a
//! contact, or in a case, after a do-not-call flag's `set_at`), `continued_after_stop_request`
//! (outbound call or SMS to the same contact later the same local day after a connected call in
//! which the customer asked to stop calling or said he would complain). Visits and notes are
//! never placed where these rules could apply to them. With `all_channels`: `visit_rule` (one
//! member, no photos, no or late approval, result entered days later, visit outside
//! 08:00–20:00), `late_submission` (note submitted days after the call),
//! `unapproved_sms_template` (SMS whose body follows none of [`APPROVED_SMS_TEMPLATES`], which
//! mirror the default pack's approved templates; a few such SMS still claim a template id).
//!
//! Not generated: `recording_missing`, `note_mismatch` (every connected call and visit has a
//! recording; notes match their calls).
//!
//! Use [`Item::to_json_line`] to write interchange lines (timestamps with a `+08:00` offset, or
//! in UTC `Z` for about one item in five; serialising [`zhijian_domain::Interaction`] directly
//! always gives `Z`) and [`Item::labels_json_line`] for `{"id","labels"}` lines.
//! [`Generator::agents`] gives the agent roster (team, branch, style, tenure) for context.
//!
//! Items are in time order within a case, but cases follow one another, so the stream as a
//! whole is not sorted by time. Contacts, numbers and cases never repeat across cases.

mod call;
mod case;
mod channels;
mod noise;
mod phrases;
mod render;
mod util;
mod world;

use std::collections::VecDeque;

use jiff::Timestamp;
use serde::Serialize;
use zhijian_domain::{
    CaseContext, Channel, Contact, Direction, Flag, FlagKind, Interaction, Outcome, Party, Segment,
};

pub use channels::APPROVED_SMS_TEMPLATES;
pub use world::{AgentProfile, AgentStyle};

/// The content categories the generator labels (GUIDE.md order).
pub const CONTENT_CATEGORIES: &[&str] = call::cat::CONTENT;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of `call` interactions to produce.
    pub calls: usize,
    pub seed: u64,
    /// First day of the period.
    pub start: jiff::civil::Date,
    /// Number of days the interactions are spread over, from `start` (a late note's
    /// `submitted_at` or a late visit entry may fall after the period).
    pub days: u32,
    /// Also emit SMS, visit and note interactions.
    pub all_channels: bool,
    /// Share of connected calls with an injected content violation; also scales the share of
    /// cases with injected event-log behaviour (1× at 0.25, none at 0).
    pub violation_rate: f64,
    /// Size of the agent roster (teams of 15).
    pub agents: usize,
    /// Number of branches (分公司) the teams are spread over (at most 6).
    pub branches: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            calls: 1000,
            seed: 0,
            start: jiff::civil::date(2026, 10, 1),
            days: 30,
            all_channels: false,
            violation_rate: 0.25,
            agents: 360,
            branches: 6,
        }
    }
}

/// One generated line: an interaction with its labels (content and event-log categories), or a
/// flag on a contact or case.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // the shape is the CLI's contract; flags are rare
pub enum Item {
    Interaction {
        interaction: Interaction,
        labels: Vec<String>,
    },
    Flag(Flag),
}

/// A streaming, deterministic generator of [`Item`]s.
pub struct Generator {
    cfg: Config,
    shared: case::Shared,
    queue: VecDeque<Item>,
    calls_done: usize,
}

impl Generator {
    pub fn new(cfg: Config) -> Self {
        let mut rng =
            <util::Rng as rand::SeedableRng>::seed_from_u64(util::mix64(cfg.seed ^ 0xA6E7));
        let agents = world::roster(&mut rng, cfg.agents.max(1), cfg.branches);
        let shared = case::Shared {
            seed: cfg.seed,
            start: cfg.start,
            days: cfg.days.max(1),
            all_channels: cfg.all_channels,
            violation_rate: if cfg.violation_rate.is_finite() {
                cfg.violation_rate.clamp(0.0, 1.0)
            } else {
                0.25
            },
            agents,
            tz: case::time_zones(),
            next_id: 0,
            contact_serial: 0,
            case_serial: 0,
        };
        Generator {
            cfg,
            shared,
            queue: VecDeque::new(),
            calls_done: 0,
        }
    }

    /// The agent roster the cases are assigned from.
    pub fn agents(&self) -> &[AgentProfile] {
        &self.shared.agents
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }
}

impl Iterator for Generator {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.calls_done >= self.cfg.calls {
                return None;
            }
            let remaining = self.cfg.calls - self.calls_done;
            self.calls_done += case::generate(&mut self.shared, remaining, &mut self.queue);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// A timestamp written with +08:00, or in UTC.
struct Ts(Timestamp, bool);

impl Serialize for Ts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.1 {
            s.collect_str(&self.0)
        } else {
            let dt = jiff::tz::offset(8).to_datetime(self.0);
            s.collect_str(&format_args!("{dt}+08:00"))
        }
    }
}

#[derive(Serialize)]
struct OutVisit<'a> {
    members: &'a [String],
    photos: &'a [String],
    application_approved_at: Option<Ts>,
    entered_at: Option<Ts>,
}

#[derive(Serialize)]
struct OutInteraction<'a> {
    id: &'a str,
    kind: Channel,
    case_id: &'a str,
    agent_id: &'a str,
    client: &'a str,
    started_at: Ts,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<Ts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    party: Option<Party>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<&'a Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    case: Option<&'a CaseContext>,
    #[serde(skip_serializing_if = "<[Segment]>::is_empty")]
    segments: &'a [Segment],
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visit: Option<OutVisit<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    submitted_at: Option<Ts>,
}

#[derive(Serialize)]
struct OutFlag<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    case_id: Option<&'a str>,
    flag: FlagKind,
    set_at: Ts,
}

#[derive(Serialize)]
struct OutLabels<'a> {
    id: &'a str,
    labels: &'a [String],
}

fn utc_for(key: &str) -> bool {
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    util::mix64(h).is_multiple_of(5)
}

impl Item {
    /// The interchange v1 JSON line (no trailing newline). Timestamps carry `+08:00`, or `Z`
    /// for about one item in five (chosen from the id, so stable).
    pub fn to_json_line(&self) -> String {
        match self {
            Item::Interaction { interaction: i, .. } => {
                let z = utc_for(&i.id);
                let out = OutInteraction {
                    id: &i.id,
                    kind: i.kind,
                    case_id: &i.case_id,
                    agent_id: &i.agent_id,
                    client: &i.client,
                    started_at: Ts(i.started_at, z),
                    ended_at: i.ended_at.map(|t| Ts(t, z)),
                    direction: i.direction,
                    outcome: i.outcome,
                    party: i.party,
                    contact: i.contact.as_ref(),
                    case: i.case.as_ref(),
                    segments: &i.segments,
                    text: i.text.as_deref(),
                    template_id: i.template_id.as_deref(),
                    recording: i.recording.as_deref(),
                    timezone: i.timezone.as_deref(),
                    visit: i.visit.as_ref().map(|v| OutVisit {
                        members: &v.members,
                        photos: &v.photos,
                        application_approved_at: v.application_approved_at.map(|t| Ts(t, z)),
                        entered_at: v.entered_at.map(|t| Ts(t, z)),
                    }),
                    submitted_at: i.submitted_at.map(|t| Ts(t, z)),
                };
                serde_json::to_string(&out).expect("serializable")
            }
            Item::Flag(f) => {
                let key = format!("{:?}{:?}{}", f.contact_id, f.case_id, f.set_at);
                let out = OutFlag {
                    kind: "flag",
                    contact_id: f.contact_id.as_deref(),
                    case_id: f.case_id.as_deref(),
                    flag: f.flag,
                    set_at: Ts(f.set_at, utc_for(&key)),
                };
                serde_json::to_string(&out).expect("serializable")
            }
        }
    }

    /// `{"id": …, "labels": […]}` for an interaction (the eval `labels.jsonl` shape).
    pub fn labels_json_line(&self) -> Option<String> {
        match self {
            Item::Interaction {
                interaction,
                labels,
            } => Some(
                serde_json::to_string(&OutLabels {
                    id: &interaction.id,
                    labels,
                })
                .expect("serializable"),
            ),
            Item::Flag(_) => None,
        }
    }

    /// The interaction, if this item is one.
    pub fn interaction(&self) -> Option<&Interaction> {
        match self {
            Item::Interaction { interaction, .. } => Some(interaction),
            Item::Flag(_) => None,
        }
    }

    /// The labels of an interaction (empty for a flag).
    pub fn labels(&self) -> &[String] {
        match self {
            Item::Interaction { labels, .. } => labels,
            Item::Flag(_) => &[],
        }
    }
}
