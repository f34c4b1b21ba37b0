//! The rule-pack file format (TOML), as written by people. `compile.rs` turns it into the
//! runtime form. See `docs/rules.md` for the reference.

use std::collections::BTreeMap;

use serde::Deserialize;
use zhijian_domain::{Channel, Party, Speaker};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    pub id: String,
    pub version: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Default IANA time zone of contacts (event-log rules group by local day).
    #[serde(default = "default_tz")]
    pub timezone: String,
}

fn default_tz() -> String {
    "Asia/Shanghai".into()
}

/// The parts of a pack file. A pack is one or more files; `[pack]` must appear exactly once.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    pub pack: Option<PackMeta>,
    pub scorecard: Option<ScorecardDef>,
    #[serde(default)]
    pub lexicon: BTreeMap<String, Vec<String>>,
    pub negation: Option<NegationDef>,
    pub party: Option<PartyDef>,
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub clients: BTreeMap<String, ClientDef>,
    #[serde(default)]
    pub sms_templates: Vec<SmsTemplateDef>,
    /// Extra categories a client or agency adds (besides PRODUCT.md's).
    #[serde(default)]
    pub categories: Vec<CustomCategoryDef>,
    #[serde(default)]
    pub rules: Vec<toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardDef {
    #[serde(default = "hundred")]
    pub base: f64,
    pub pass_score: f64,
    /// A finding at this level or above fails the interaction whatever its score.
    #[serde(default = "four")]
    pub red_line_level: u8,
    pub items: Vec<ScoreItemDef>,
}

fn hundred() -> f64 {
    100.0
}
fn four() -> u8 {
    4
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreItemDef {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegationDef {
    /// Negation words that cancel a hit later in the same clause (不会, 没有, 绝不 …).
    pub negators: Vec<String>,
    /// Negation characters that only cancel a hit they directly precede (不, 没, 别).
    #[serde(default)]
    pub adjacent: Vec<String>,
    /// Words that end a negation's scope (就, 否则, 但是 …).
    #[serde(default)]
    pub breakers: Vec<String>,
    /// Words containing a negator that do not negate (别人, 没收 …).
    #[serde(default)]
    pub exceptions: Vec<String>,
    /// How many characters before a hit a negator may stand.
    #[serde(default = "six")]
    pub window: u32,
}

fn six() -> u32 {
    6
}

/// Phrases by which the person on the phone says who they are (customer speech).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyDef {
    #[serde(default)]
    pub debtor: Vec<String>,
    #[serde(default)]
    pub spouse: Vec<String>,
    #[serde(default)]
    pub parent: Vec<String>,
    #[serde(default)]
    pub relative: Vec<String>,
    #[serde(default)]
    pub colleague: Vec<String>,
    #[serde(default)]
    pub friend: Vec<String>,
    /// Wrong number, number changed owner, "I don't know this person".
    #[serde(default)]
    pub unknown: Vec<String>,
    /// The phone is handed to someone else ("我叫他来接").
    #[serde(default)]
    pub handover: Vec<String>,
    /// Agent phrases that ask for the debtor in person ("请问是张伟本人吗"). When the dialler
    /// recorded someone other than the debtor, a bare "是我" only makes the speaker the debtor
    /// after such a question: to "请问您是施先生吗" the emergency contact answers "是我" too.
    #[serde(default)]
    pub debtor_asked: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientDef {
    /// Rules this client switches off.
    #[serde(default)]
    pub disabled_rules: Vec<String>,
    /// Parameter overrides (same names as `[params]`).
    #[serde(flatten)]
    pub params: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsTemplateDef {
    pub id: String,
    /// Template text with `{placeholders}`.
    pub text: String,
    /// Clients the template is approved for; empty = all.
    #[serde(default)]
    pub clients: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomCategoryDef {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub event_log: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Something said or written that must not be (abuse, threat …).
    #[default]
    Content,
    /// Elements that must be present (recording notice, repayment plan …).
    Require,
    /// One thing must come before another (identity before debt details).
    Order,
    /// Conditions on segment timestamps (silence, over-talk, speech rate).
    Timing,
    /// A stated amount must equal the case balance.
    Amount,
    /// Rules over the contact log (hours, frequency, flags, visits, notes, SMS templates).
    Event,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    pub category: String,
    pub level: u8,
    pub title: String,
    pub description: String,
    /// The regulation clause, client requirement or audit-table line this rule enforces.
    pub source: String,
    pub deduction: u32,
    #[serde(default)]
    pub kind: RuleKind,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub scope: ScopeDef,
    #[serde(default, rename = "match")]
    pub matcher: Option<MatcherDef>,
    /// Exception phrases: a hit whose clause contains one of these is a lawful statement.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Where an `unless` phrase must stand to cancel a hit: `clause` (default) or `segment`
    /// (for warnings that name the violation in a neighbouring clause: "如果有人让您转个人账户，
    /// 千万不要转").
    #[serde(default)]
    pub unless_scope: UnlessScope,
    /// Whether a negated clause cancels a hit (default true).
    #[serde(default = "yes")]
    pub negation: bool,
    /// `require`: elements that must all appear.
    #[serde(default)]
    pub elements: Vec<ElementDef>,
    /// `order`: `then` must not occur before the first `first`.
    pub first: Option<MatcherDef>,
    pub then: Option<MatcherDef>,
    pub timing: Option<TimingDef>,
    pub amount: Option<AmountDef>,
    pub event: Option<EventDef>,
    pub examples: ExamplesDef,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlessScope {
    #[default]
    Clause,
    Segment,
}

/// Who and what a rule applies to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeDef {
    /// Whose words are inspected (default: agent).
    pub speaker: Option<SpeakerSel>,
    /// Parties the rule applies to: `debtor`, `non_debtor` or a specific party; empty = any.
    #[serde(default)]
    pub parties: Vec<PartySel>,
    /// Channels; empty = every channel.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Clients; empty = every client.
    #[serde(default)]
    pub clients: Vec<String>,
    /// Only the first N turns of the speaker count.
    pub first_turns: Option<u32>,
    /// Only speech starting within the first N seconds counts.
    pub first_seconds: Option<f64>,
    /// Calls with fewer turns are not inspected by this rule.
    pub min_turns: Option<u32>,
    /// Only connected calls (default true for call-level rules).
    pub connected: Option<bool>,
    /// `require`: all elements must appear within this many consecutive turns.
    pub window_turns: Option<u32>,
    /// The rule does not apply to a call in which the customer says one of these.
    #[serde(default)]
    pub unless_customer: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeakerSel {
    Agent,
    Customer,
    Any,
}

impl SpeakerSel {
    pub fn admits(self, s: Speaker) -> bool {
        match self {
            SpeakerSel::Any => true,
            SpeakerSel::Agent => s == Speaker::Agent,
            SpeakerSel::Customer => s == Speaker::Customer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartySel {
    Debtor,
    NonDebtor,
    Spouse,
    Parent,
    Relative,
    Colleague,
    Friend,
    Emergency,
    Unknown,
}

impl PartySel {
    pub fn admits(self, p: Party) -> bool {
        match self {
            PartySel::Debtor => p == Party::Debtor,
            PartySel::NonDebtor => p != Party::Debtor,
            PartySel::Spouse => p == Party::Spouse,
            PartySel::Parent => p == Party::Parent,
            PartySel::Relative => p == Party::Relative,
            PartySel::Colleague => p == Party::Colleague,
            PartySel::Friend => p == Party::Friend,
            PartySel::Emergency => p == Party::Emergency,
            PartySel::Unknown => p == Party::Unknown,
        }
    }
}

/// A matcher: one key naming the operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MatcherDef {
    /// Any of these phrases (`@name` includes a lexicon list).
    Any(Vec<String>),
    /// Every sub-matcher must hit in the same segment; the first one is the evidence.
    All(Vec<MatcherDef>),
    /// At least one sub-matcher.
    OneOf(Vec<MatcherDef>),
    /// The sub-matcher must not hit in the same segment (no evidence of its own).
    Not(Box<MatcherDef>),
    /// A phrase of `a` and a phrase of `b` at most `within` characters apart.
    Near(NearDef),
    /// A regular expression over the normalised text, with an optional exclusion.
    Regex(RegexDef),
    /// A detected entity: money, date, id_number, bank_card, account_number, phone, address.
    Entity(Vec<EntityKind>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearDef {
    pub a: Vec<String>,
    pub b: Vec<String>,
    pub within: u32,
    /// `a` must come before `b`.
    #[serde(default)]
    pub ordered: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegexDef {
    pub pattern: String,
    /// A match that this pattern also matches is dropped.
    pub exclude: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Money,
    Date,
    IdNumber,
    BankCard,
    /// Any other run of 15–19 digits read out (an account or card number whatever its checksum).
    AccountNumber,
    Phone,
    Address,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementDef {
    pub name: String,
    #[serde(rename = "match")]
    pub matcher: MatcherDef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingCheck {
    /// A gap between consecutive turns longer than `seconds`.
    Silence,
    /// The agent starts while the customer is still speaking, overlap ≥ `seconds`,
    /// at least `count` times.
    OverTalk,
    /// An agent turn faster than `rate` characters per second (turns of ≥ `min_chars`).
    SpeechRate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingDef {
    pub check: TimingCheck,
    pub seconds: Option<ParamRef>,
    pub count: Option<ParamRef>,
    pub rate: Option<ParamRef>,
    pub min_chars: Option<ParamRef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountDef {
    /// Phrases that introduce the total owed (一共欠, 欠款总额 …); the amount must follow
    /// within `within` characters.
    pub cues: Vec<String>,
    /// Phrases that follow the total owed (…元的欠款, …没有还); the amount must precede them
    /// within `within` characters.
    #[serde(default)]
    pub cues_after: Vec<String>,
    pub within: u32,
    /// Allowed difference in yuan.
    pub tolerance: Option<ParamRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCheck {
    OffHours,
    ConnectedPerPerson,
    AttemptsPerNumber,
    DoNotCall,
    AfterStopRequest,
    VisitMembers,
    VisitApplication,
    VisitPhotos,
    VisitRecording,
    VisitHours,
    VisitEntryLate,
    NoteLate,
    NoteMismatch,
    RecordingMissing,
    SmsTemplate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    pub check: EventCheck,
    /// Window start/end (`"22:00"`) for hour checks.
    pub start: Option<ParamRef>,
    pub end: Option<ParamRef>,
    /// A count limit (more than `limit` is a violation) or a minimum.
    pub limit: Option<ParamRef>,
    pub hours: Option<ParamRef>,
    pub ratio: Option<ParamRef>,
    /// Customer phrases that ask to stop / signal a complaint; or note claims.
    #[serde(default)]
    pub phrases: Vec<String>,
}

/// A number or time given inline, or `"$name"` referring to `[params]` (which a client
/// profile may override).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ParamRef {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplesDef {
    #[serde(default)]
    pub hit: Vec<ExampleDef>,
    #[serde(default)]
    pub miss: Vec<ExampleDef>,
}

/// A test example: a plain string is one agent turn on a connected call with the debtor.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ExampleDef {
    Text(String),
    Detailed(ExampleDetail),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleDetail {
    pub text: Option<String>,
    /// Transcript lines `"A: …"` / `"C: …"`, optionally timed: `"A 0.0-3.5: …"`.
    pub turns: Option<Vec<String>>,
    /// Event-log lines (see docs/rules.md); the last interaction is the one judged.
    pub log: Option<Vec<String>>,
    pub party: Option<Party>,
    pub speaker: Option<Speaker>,
    pub channel: Option<Channel>,
    pub client: Option<String>,
    pub balance: Option<f64>,
    /// Why this example is here (documentation only).
    pub why: Option<String>,
}
