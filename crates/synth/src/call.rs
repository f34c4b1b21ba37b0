//! One connected call: the dialogue (debtor, third party, wrong number, inbound callback), the
//! injected content violations, ASR noise, segment timing, and the call's content labels.
//!
//! Labels are built while the dialogue is built: a line-type violation is labelled only when its
//! line was actually placed; a dropped flow step is labelled because every later pick is filtered
//! so that the step cannot reappear; `long_silence` and `over_talk` are read back from the final
//! segment times, so they hold by definition.

use std::collections::BTreeSet;

use jiff::civil::Date;
use zhijian_domain::{Segment, Speaker};

use crate::noise::{self, Noise};
use crate::phrases as p;
use crate::render;
use crate::util::{Rng, between, chance, normal, pick, uniform, weighted};
use crate::world::AgentStyle;

/// Content category names (GUIDE.md).
pub(crate) mod cat {
    pub const ABUSE: &str = "abuse";
    pub const THREAT: &str = "threat";
    pub const IMPERSONATION: &str = "impersonation";
    pub const FALSE_LEGAL: &str = "false_legal_claim";
    pub const DISCLOSURE: &str = "third_party_disclosure";
    pub const UNAUTH: &str = "unauthorized_promise";
    pub const PRIVATE: &str = "private_payment";
    pub const INCITE: &str = "incite_complaint";
    pub const WRONG_AMOUNT: &str = "wrong_amount";
    pub const WRONG_BIZ: &str = "wrong_business_explanation";
    pub const PII: &str = "pii_leak";
    pub const MISSING_ID: &str = "missing_identity_verification";
    pub const MISSING_INTRO: &str = "missing_self_introduction";
    pub const MISSING_REC: &str = "missing_recording_notice";
    pub const MISSING_DEBT: &str = "missing_debt_confirmation";
    pub const MISSING_PLAN: &str = "missing_repayment_plan";
    pub const AGITATION: &str = "agent_agitation";
    pub const SILENCE: &str = "long_silence";
    pub const OVER_TALK: &str = "over_talk";

    /// Every content category, in GUIDE.md order.
    pub const CONTENT: &[&str] = &[
        ABUSE,
        THREAT,
        IMPERSONATION,
        FALSE_LEGAL,
        DISCLOSURE,
        UNAUTH,
        PRIVATE,
        INCITE,
        WRONG_AMOUNT,
        WRONG_BIZ,
        PII,
        MISSING_ID,
        MISSING_INTRO,
        MISSING_REC,
        MISSING_DEBT,
        MISSING_PLAN,
        AGITATION,
        SILENCE,
        OVER_TALK,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Situation {
    Cooperative,
    Unemployed,
    Sick,
    Disputing,
    Evasive,
    Angry,
    Paid,
    Promise,
}

/// Who actually answered (the dialler's `party` may say otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answerer {
    Debtor,
    /// A known third party, with the relation as a `Party` name.
    Third(zhijian_domain::Party),
    /// A stranger on a number that changed owner.
    Wrong,
}

/// Whether the customer may, or must, ask to stop calling or announce a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopMode {
    /// A later same-day contact to this person follows: no stop signal at all.
    Never,
    /// No later same-day contact: the customer may say it.
    Allowed,
    /// The schedule wants an unambiguous stop request here.
    Forced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    Normal,
    /// Fewer than six turns: the customer cannot talk now.
    Short,
    /// The customer hangs up mid-way (at least six turns, no plan).
    Hangup,
}

pub(crate) struct CallSpec {
    pub answerer: Answerer,
    pub situation: Situation,
    pub style: AgentStyle,
    pub inbound: bool,
    pub ending: Ending,
    pub stop: StopMode,
    /// Content categories to inject.
    pub inject: Vec<&'static str>,
}

/// Slot values for one call.
pub(crate) struct Ctx {
    pub name: String,
    pub sur: String,
    pub male: bool,
    pub ag: &'static str,
    pub agency: &'static str,
    pub agn: &'static str,
    pub cl: &'static str,
    pub client: &'static str,
    pub prod: &'static str,
    /// The total the agent states (differs from the balance in `wrong_amount` calls).
    pub amt_cents: i64,
    pub prin_cents: i64,
    pub fee_cents: i64,
    pub dpd: u32,
    pub pay_cents: i64,
    pub pay2_cents: i64,
    pub today: Date,
    pub plan_date: Date,
    pub chan: String,
    pub me: String,
    pub mename: String,
    pub no: String,
    pub cb: String,
    pub id4: String,
    pub card4: String,
    pub id18: String,
    pub card: String,
    pub addr: String,
    pub city: String,
    pub birth: String,
    pub fake: String,
    pub court: String,
    pub law: &'static str,
    pub police: &'static str,
    pub xfee_cents: i64,
}

impl Ctx {
    fn slot(&self, key: &str, rng: &mut Rng) -> Option<String> {
        let title = if self.male { "先生" } else { "女士" };
        Some(match key {
            "name" => self.name.clone(),
            "nm" => format!("{}{}", self.sur, title),
            "sur" => self.sur.clone(),
            "title" => title.to_string(),
            "he" => if self.male { "他" } else { "她" }.to_string(),
            // The debtor's spouse as the debtor says it, as the spouse says it, the ex-spouse.
            "spouse" => if self.male { "老婆" } else { "老公" }.to_string(),
            "spouse2" => if self.male { "老公" } else { "老婆" }.to_string(),
            "mate" => if self.male { "老婆" } else { "老公" }.to_string(),
            "ex" => if self.male { "前妻" } else { "前夫" }.to_string(),
            "ag" => self.ag.to_string(),
            "agency" => self.agency.to_string(),
            "agn" => self.agn.to_string(),
            "cl" => self.cl.to_string(),
            "client" => self.client.to_string(),
            "prod" => self.prod.to_string(),
            "amt" => render::amount(rng, self.amt_cents),
            "prin" => render::amount(rng, self.prin_cents),
            "fee" => render::amount(rng, self.fee_cents),
            "days" => render::days(rng, self.dpd),
            // Plain numbers, as SMS templates write them.
            "dpdn" => self.dpd.to_string(),
            "amtn" => format!("{}.{:02}", self.amt_cents / 100, self.amt_cents % 100),
            "payn" => format!("{}.{:02}", self.pay_cents / 100, self.pay_cents % 100),
            "today" => format!("{}月{}日", self.today.month(), self.today.day()),
            "pay" => render::plan_amount(rng, self.pay_cents),
            "pay2" => render::plan_amount(rng, self.pay2_cents),
            "date" => render::date(rng, self.today, self.plan_date),
            "chan" => self.chan.clone(),
            "me" => self.me.clone(),
            "mename" => self.mename.clone(),
            "no" => self.no.clone(),
            "cb" => self.cb.clone(),
            "id4" => self.id4.clone(),
            "card4" => self.card4.clone(),
            "id18" => {
                if chance(rng, 0.3) {
                    format!(
                        "{} {} {}",
                        &self.id18[..6],
                        &self.id18[6..14],
                        &self.id18[14..]
                    )
                } else {
                    self.id18.clone()
                }
            }
            "card" => {
                if chance(rng, 0.5) {
                    let b = self.card.as_bytes();
                    b.chunks(4)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    self.card.clone()
                }
            }
            "addr" => self.addr.clone(),
            "city" => self.city.clone(),
            "birth" => self.birth.clone(),
            "fake" => self.fake.clone(),
            "court" => self.court.clone(),
            "law" => self.law.to_string(),
            "police" => self.police.to_string(),
            "xfee" => render::amount(rng, self.xfee_cents),
            _ => return None,
        })
    }

    pub(crate) fn fill(&self, rng: &mut Rng, tpl: &str) -> String {
        let mut out = String::with_capacity(tpl.len() + 32);
        let mut rest = tpl;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            match after.find('}') {
                Some(j) => {
                    let key = &after[..j];
                    match self.slot(key, rng) {
                        Some(v) => out.push_str(&v),
                        None => {
                            debug_assert!(false, "unknown slot {key}");
                            out.push_str(&rest[i..i + j + 2]);
                        }
                    }
                    rest = &after[j + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// A smaller round amount to offer when `pay` (fen) is too much: about half, in hundreds.
pub(crate) fn lower_amount(pay: i64) -> i64 {
    if pay <= 20_000 {
        return (pay / 2 / 1000 * 1000).max(1000);
    }
    (pay / 2 / 10_000 * 10_000).clamp(10_000, pay - 10_000)
}

/// How the call ended, for the collection note.
#[derive(Debug, Clone)]
pub(crate) enum Summary {
    Plan {
        pay_cents: i64,
        date: Date,
        chan: String,
    },
    Dispute,
    Busy,
    Hangup,
    NoPlan,
    ThirdParty,
    Wrong,
}

pub(crate) struct CallOut {
    pub segments: Vec<Segment>,
    pub labels: BTreeSet<&'static str>,
    pub stop_signal: bool,
    /// Seconds from the start of the call to its end.
    pub duration: f64,
    pub summary: Summary,
}

// ---------------------------------------------------------------------------------------------
// Which violations to inject
// ---------------------------------------------------------------------------------------------

/// Content categories for a call chosen to carry violations (one to three, compatible).
pub(crate) fn choose_injections(
    rng: &mut Rng,
    answerer: Answerer,
    situation: Situation,
    style: AgentStyle,
    inbound: bool,
    ending: Ending,
) -> Vec<&'static str> {
    use cat::*;
    if ending == Ending::Short {
        return Vec::new();
    }
    let k = weighted(rng, &[(1usize, 0.80), (2, 0.17), (3, 0.03)]);
    let weights: Vec<(&'static str, f64)> = match answerer {
        Answerer::Debtor => {
            let (rude, sloppy, shady) = match style {
                AgentStyle::Pushy => (2.2, 0.8, 1.0),
                AgentStyle::Novice => (0.7, 2.0, 0.8),
                AgentStyle::Polite => (0.4, 1.0, 1.4),
                AgentStyle::Brisk => (1.0, 1.2, 0.8),
            };
            vec![
                (ABUSE, 5.0 * rude),
                (THREAT, 5.0 * rude),
                (IMPERSONATION, 4.0),
                (FALSE_LEGAL, 5.0 * rude),
                (UNAUTH, 4.0 * shady),
                (PRIVATE, 4.0 * shady),
                (INCITE, 3.0 * shady),
                (WRONG_AMOUNT, 5.0 * sloppy),
                (WRONG_BIZ, 5.0 * sloppy),
                (PII, 4.0 * sloppy),
                (MISSING_ID, if inbound { 0.0 } else { 5.0 * sloppy }),
                (MISSING_INTRO, 5.0 * sloppy),
                (MISSING_REC, 6.0 * sloppy),
                (
                    MISSING_DEBT,
                    if situation == Situation::Disputing {
                        0.0
                    } else {
                        4.0 * sloppy
                    },
                ),
                (
                    MISSING_PLAN,
                    if situation == Situation::Disputing || ending == Ending::Hangup {
                        0.0
                    } else {
                        6.0 * sloppy
                    },
                ),
                (AGITATION, 5.0 * rude),
                (SILENCE, 5.0),
                (OVER_TALK, 5.0 * rude.max(1.0)),
            ]
        }
        Answerer::Third(_) => vec![
            (DISCLOSURE, 14.0),
            (MISSING_REC, 4.0),
            (AGITATION, 2.0),
            (SILENCE, 2.0),
            (OVER_TALK, 2.0),
            (ABUSE, 1.0),
            (THREAT, 1.0),
            (FALSE_LEGAL, 1.0),
            (IMPERSONATION, 1.0),
            (PRIVATE, 1.0),
        ],
        Answerer::Wrong => vec![
            (DISCLOSURE, 10.0),
            (MISSING_REC, 4.0),
            (AGITATION, 1.5),
            (SILENCE, 1.0),
            (OVER_TALK, 1.0),
        ],
    };
    let weights: Vec<(&'static str, f64)> = if situation == Situation::Disputing {
        // Against a disputed debt only process and timing faults are injected, so that the
        // agent still "correctly stops" and no repayment plan is owed.
        weights
            .into_iter()
            .filter(|(c, _)| {
                [
                    MISSING_ID,
                    MISSING_INTRO,
                    MISSING_REC,
                    WRONG_AMOUNT,
                    PII,
                    SILENCE,
                    OVER_TALK,
                ]
                .contains(c)
            })
            .collect()
    } else {
        weights
    };
    let mut out: Vec<&'static str> = Vec::new();
    for _ in 0..k {
        let avail: Vec<(&'static str, f64)> = weights
            .iter()
            .copied()
            .filter(|(c, _)| !out.contains(c) && compatible(&out, c))
            .collect();
        if avail.iter().all(|(_, w)| *w <= 0.0) {
            break;
        }
        out.push(weighted(rng, &avail));
    }
    out
}

fn compatible(chosen: &[&str], c: &str) -> bool {
    use cat::*;
    let clash =
        |a: &str, b: &str| (c == a && chosen.contains(&b)) || (c == b && chosen.contains(&a));
    !(clash(WRONG_AMOUNT, MISSING_DEBT) || clash(MISSING_ID, MISSING_DEBT))
}

// ---------------------------------------------------------------------------------------------
// Dialogue builder
// ---------------------------------------------------------------------------------------------

struct Turn {
    agent: bool,
    text: String,
    /// Gap before this turn (seconds), when it must differ from the usual.
    gap: Option<f64>,
    protect: bool,
}

const AGENCY_MARKERS: &[&str] = &["{ag}", "{agency}", "{agn}", "委托", "受托", "委外"];
const DEBT_MARKERS: &[&str] = &[
    "{amt}",
    "{days}",
    "{prin}",
    "{fee}",
    "逾期",
    "欠",
    "没还",
    "未还",
    "罚息",
    "违约金",
    "这个账",
    "催收",
    "拖",
];
const ID_MARKERS: &[&str] = &[
    "本人吗",
    "是您吗",
    "后四位",
    "尾号",
    "核实",
    "出生年月",
    "是本人",
    "{nm}？",
    "请问是",
    "请问您是",
];
const CHANNEL_MARKERS: &[&str] = &[
    "{chan}",
    "APP",
    "app",
    "公众号",
    "小程序",
    "对公",
    "专户",
    "扣款",
    "手机银行",
    "柜台",
    "渠道",
    "还款账户",
    "还到",
];
/// What an agent may not say to a third party in a compliant call.
const TP_MARKERS: &[&str] = &[
    "欠",
    "逾期",
    "还钱",
    "还款",
    "还不还",
    "债",
    "催收",
    "{cl}",
    "{client}",
    "{amt}",
    "{prod}",
    "{pay}",
    "信用卡",
    "贷",
    "征信",
    "钱",
    "账",
];

struct Dlg<'a> {
    rng: &'a mut Rng,
    ctx: &'a mut Ctx,
    turns: Vec<Turn>,
    forbid: Vec<&'static str>,
    labels: BTreeSet<&'static str>,
    style: AgentStyle,
    stop_signal: bool,
    /// Templates already used in this call (avoided while alternatives remain).
    used: Vec<&'static str>,
    /// Characters so far (before noise).
    nchars: usize,
}

impl Dlg<'_> {
    /// Same template (by address: every template is a distinct static string).
    fn was_used(&self, t: &str) -> bool {
        self.used
            .iter()
            .any(|u| std::ptr::eq(u.as_ptr(), t.as_ptr()))
    }

    fn allowed(&self, tpl: &str) -> bool {
        !self.forbid.iter().any(|f| tpl.contains(f))
    }

    /// A template from `pool` that the call's restrictions allow.
    fn choose(&mut self, pool: &[&'static str]) -> Option<&'static str> {
        for _ in 0..24 {
            let t = *pick(self.rng, pool);
            if self.allowed(t) && !self.was_used(t) {
                self.used.push(t);
                return Some(t);
            }
        }
        let ok: Vec<&'static str> = pool.iter().copied().filter(|t| self.allowed(t)).collect();
        if ok.is_empty() {
            None
        } else {
            Some(*pick(self.rng, &ok))
        }
    }

    /// A customer template from `pool`, avoiding repeats.
    fn choose_c(&mut self, pool: &[&'static str]) -> &'static str {
        for _ in 0..12 {
            let t = *pick(self.rng, pool);
            if !self.was_used(t) {
                self.used.push(t);
                return t;
            }
        }
        pick::<&'static str>(self.rng, pool)
    }

    fn fill(&mut self, tpl: &str) -> String {
        self.ctx.fill(self.rng, tpl)
    }

    fn push(&mut self, agent: bool, text: String, sep: bool, gap: Option<f64>, protect: bool) {
        let novice = self.style == AgentStyle::Novice;
        let p_fill = if agent {
            if novice { 0.3 } else { 0.08 }
        } else {
            0.14
        };
        let text = if !protect && chance(self.rng, p_fill) {
            noise::filler(self.rng, &text, agent)
        } else {
            text
        };
        self.nchars += text.chars().count();
        if let Some(last) = self.turns.last_mut()
            && last.agent == agent
            && !sep
        {
            let merge = chance(self.rng, if agent { 0.9 } else { 0.88 });
            if merge
                && last.text.chars().count() + text.chars().count() <= 190
                && !last.protect
                && !protect
            {
                last.text.push_str(&text);
                return;
            }
            let bc = if agent {
                pick(self.rng, p::CUST_BACKCHANNEL)
            } else {
                pick(self.rng, p::AGENT_BACKCHANNEL)
            };
            self.nchars += bc.chars().count();
            self.turns.push(Turn {
                agent: !agent,
                text: (*bc).to_string(),
                gap: None,
                protect: false,
            });
        }
        self.turns.push(Turn {
            agent,
            text,
            gap,
            protect,
        });
    }

    /// Agent says a line from `pool`; false when no line is allowed.
    fn a(&mut self, pool: &[&'static str]) -> bool {
        match self.choose(pool) {
            Some(t) => {
                let s = self.fill(t);
                self.push(true, s, false, None, false);
                true
            }
            None => false,
        }
    }

    /// Agent says a template regardless of the pool filter (used for deliberate violations).
    fn a_raw(&mut self, tpl: &str) {
        let s = self.fill(tpl);
        self.push(true, s, false, None, false);
    }

    fn c(&mut self, pool: &[&'static str]) {
        let t = self.choose_c(pool);
        let s = self.fill(t);
        self.push(false, s, false, None, false);
    }

    fn c_protected(&mut self, pool: &[&'static str]) {
        let t = self.choose_c(pool);
        let s = self.fill(t);
        self.push(false, s, false, None, true);
    }

    /// Agent says a violation line from `pool` and labels `category` if one was placed.
    fn violation(&mut self, category: &'static str, pool: &[&'static str]) -> bool {
        match self.choose(pool) {
            Some(t) => {
                let mut s = self.fill(t);
                if category == cat::ABUSE && chance(self.rng, 0.35) {
                    s = noise::split_keyword(self.rng, &s, p::ABUSE_KEYS);
                }
                self.push(true, s, false, None, false);
                self.labels.insert(category);
                true
            }
            None => false,
        }
    }

    fn chars(&self) -> usize {
        self.nchars
    }

    fn situation_pool(s: Situation) -> &'static [&'static str] {
        match s {
            Situation::Cooperative => p::SIT_COOPERATIVE,
            Situation::Unemployed => p::SIT_UNEMPLOYED,
            Situation::Sick => p::SIT_SICK,
            Situation::Disputing => p::SIT_DISPUTING,
            Situation::Evasive => p::SIT_EVASIVE,
            Situation::Angry => p::SIT_ANGRY,
            Situation::Paid => p::SIT_PAID,
            Situation::Promise => p::SIT_PROMISE,
        }
    }

    /// The customer asks to stop or announces a complaint (marked as a stop signal).
    fn stop_request(&mut self, spec: &CallSpec) {
        let pool: &[&'static str] = match spec.answerer {
            Answerer::Debtor => {
                if spec.stop == StopMode::Allowed && chance(self.rng, 0.3) {
                    p::CUST_STOP_POLICE
                } else {
                    p::CUST_STOP
                }
            }
            Answerer::Third(_) => p::CUST_STOP_THIRD,
            Answerer::Wrong => p::CUST_STOP_WRONG,
        };
        self.c_protected(pool);
        self.stop_signal = true;
        self.a(p::AGENT_STOP_ACK);
    }

    fn wants_stop(&mut self, spec: &CallSpec) -> bool {
        match spec.stop {
            StopMode::Never => false,
            StopMode::Forced => true,
            StopMode::Allowed => {
                let p = match (spec.answerer, spec.situation) {
                    (Answerer::Debtor, Situation::Angry | Situation::Disputing) => 0.35,
                    (Answerer::Debtor, Situation::Evasive) => 0.15,
                    (Answerer::Debtor, _) => 0.04,
                    (Answerer::Wrong, _) => 0.25,
                    (Answerer::Third(_), _) => 0.08,
                };
                chance(self.rng, p)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------------------------

/// Build one connected call.
pub(crate) fn build_call(rng: &mut Rng, ctx: &mut Ctx, spec: &CallSpec, noise: &Noise) -> CallOut {
    let mut d = Dlg {
        rng,
        ctx,
        turns: Vec::with_capacity(40),
        forbid: Vec::new(),
        labels: BTreeSet::new(),
        style: spec.style,
        stop_signal: false,
        used: Vec::with_capacity(48),
        nchars: 0,
    };
    let summary = match spec.answerer {
        Answerer::Debtor => debtor(&mut d, spec),
        Answerer::Third(_) => third_party(&mut d, spec),
        Answerer::Wrong => wrong_number(&mut d, spec),
    };
    let want_overtalk = spec.inject.contains(&cat::OVER_TALK);
    let Dlg {
        rng,
        mut turns,
        mut labels,
        stop_signal,
        ..
    } = d;

    // Noise, then timing.
    for t in turns.iter_mut() {
        t.text = noise::apply(rng, &t.text, noise, t.protect);
        if t.text.trim().is_empty() {
            t.text = "嗯".into();
        }
    }
    let (segments, duration) = timing(rng, &mut turns, want_overtalk);

    // Timing categories are read from the segments themselves.
    labels.remove(cat::SILENCE);
    labels.remove(cat::OVER_TALK);
    if has_long_silence(&segments) {
        labels.insert(cat::SILENCE);
    }
    if over_talk_count(&segments) >= 2 {
        labels.insert(cat::OVER_TALK);
    }
    CallOut {
        segments,
        labels,
        stop_signal,
        duration,
        summary,
    }
}

fn target_chars(rng: &mut Rng, style: AgentStyle, mean: f64, sd: f64, lo: f64, hi: f64) -> usize {
    let f = match style {
        AgentStyle::Brisk => 0.82,
        AgentStyle::Polite => 1.08,
        AgentStyle::Pushy => 0.96,
        AgentStyle::Novice => 1.0,
    };
    normal(rng, mean * f, sd).clamp(lo, hi) as usize
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PlanKind {
    Full,
    NoChannel,
    NoDate,
    NoAmount,
    None,
    Skip,
}

fn debtor(d: &mut Dlg, spec: &CallSpec) -> Summary {
    use cat::*;
    let inj = |c: &str| spec.inject.contains(&c);
    let imp = inj(IMPERSONATION);
    let imp_replace = imp && chance(d.rng, 0.5);
    let msi = inj(MISSING_INTRO) || imp_replace;
    let mrn = inj(MISSING_REC);
    let miv = inj(MISSING_ID);
    let mdc = inj(MISSING_DEBT);
    let dispute = spec.situation == Situation::Disputing;
    let mut plan_kind = PlanKind::Full;
    if mdc && chance(d.rng, 0.6) {
        plan_kind = PlanKind::None;
    }
    if inj(MISSING_PLAN) {
        plan_kind = *pick(
            d.rng,
            &[
                PlanKind::None,
                PlanKind::NoChannel,
                PlanKind::NoChannel,
                PlanKind::NoDate,
                PlanKind::NoAmount,
            ],
        );
    }
    if dispute || spec.ending != Ending::Normal {
        plan_kind = PlanKind::Skip;
    }
    if msi {
        d.forbid.extend_from_slice(AGENCY_MARKERS);
        d.labels.insert(MISSING_INTRO);
    }
    if mrn {
        d.forbid.push("录音");
        d.labels.insert(MISSING_REC);
    }
    if mdc {
        d.forbid.extend_from_slice(DEBT_MARKERS);
        d.labels.insert(MISSING_DEBT);
    }
    match plan_kind {
        PlanKind::NoChannel => d.forbid.extend_from_slice(CHANNEL_MARKERS),
        PlanKind::NoDate => d.forbid.push("{date}"),
        PlanKind::NoAmount => d.forbid.extend_from_slice(&["{pay}", "{pay2}"]),
        PlanKind::None => d
            .forbid
            .extend_from_slice(&["{chan}", "{date}", "{pay}", "{pay2}"]),
        _ => {}
    }
    if mdc && d.ctx.pay_cents >= d.ctx.amt_cents {
        // A plan for the whole balance would state the debt after all.
        d.ctx.pay_cents = d.ctx.pay2_cents;
        d.ctx.pay2_cents = lower_amount(d.ctx.pay_cents);
    }
    if matches!(
        plan_kind,
        PlanKind::NoChannel | PlanKind::NoDate | PlanKind::NoAmount | PlanKind::None
    ) {
        d.labels.insert(MISSING_PLAN);
    }

    if spec.ending == Ending::Short {
        return short_call(d);
    }

    // ---- opening and identity ----
    let mut ag_named = false;
    let mut rec_done = false;
    let mut debt_done = false;
    let mut intro_done = false;
    if spec.inbound {
        d.c(p::INBOUND_OPEN);
        if !d.a(p::INBOUND_AGENT) {
            d.a(p::INBOUND_AGENT_BARE);
        } else {
            ag_named = true;
            rec_done = true;
        }
        d.c(p::INBOUND_NAME);
        d.a(p::ID_CHECK);
        d.c(p::CUST_ID4);
        d.a(p::AGENT_ID_ACK);
    } else if miv {
        d.labels.insert(MISSING_ID);
        if chance(d.rng, 0.6) {
            if let Some(t) = d.choose(p::MIV_OPEN) {
                d.a_raw(t);
                debt_done = true;
                ag_named = t.contains("{ag}");
                intro_done = t.contains("委托");
            } else {
                d.a(p::DEBT);
                debt_done = true;
            }
        } else {
            // Debt first, identity asked only afterwards.
            if !msi {
                d.a(p::INTRO);
                intro_done = true;
                ag_named = true;
            }
            d.a(p::DEBT);
            debt_done = true;
            d.c(&["你说的是谁啊？", "嗯？", "啊？什么？", "你们打错了吧……"]);
            d.a(p::AGENT_REASK_ID);
            d.c(p::CUST_CONFIRM_LATE);
        }
        d.forbid.extend_from_slice(ID_MARKERS);
        if !debt_done || chance(d.rng, 0.5) {
            d.c(p::CUST_DEBT_ACK);
        }
    } else {
        let style = weighted(
            d.rng,
            &[(0u8, 45.0), (1, 22.0), (2, 15.0), (3, 8.0), (4, 10.0)],
        );
        match style {
            1 if !msi => {
                let a = d.choose(p::OPEN_PREFIX_AG).unwrap_or("您好，");
                let b = d.choose(p::OPEN_ID).unwrap_or(p::OPEN_ID[0]);
                let s = format!("{}{}", d.fill(a), d.fill(b).trim_start_matches("您好，"));
                d.push(true, s, false, None, false);
                ag_named = true;
            }
            2 if !mrn => {
                let a = *pick(d.rng, p::OPEN_PREFIX_REC);
                let b = d.choose(p::OPEN_ID).unwrap_or(p::OPEN_ID[0]);
                let s = format!("{}{}", d.fill(a), d.fill(b).trim_start_matches("您好，"));
                d.push(true, s, false, None, false);
                rec_done = true;
            }
            3 if !msi && !mrn => {
                let a = d.choose(p::OPEN_PREFIX_AG).unwrap_or("您好，");
                let r = *pick(
                    d.rng,
                    &["本次通话将会录音。", "通话全程录音。", "本通话会录音。"],
                );
                let b = d.choose(p::OPEN_ID).unwrap_or(p::OPEN_ID[0]);
                let s = format!(
                    "{}{}{}",
                    d.fill(a),
                    r,
                    d.fill(b).trim_start_matches("您好，")
                );
                d.push(true, s, false, None, false);
                ag_named = true;
                rec_done = true;
            }
            4 => {
                let t = *pick(d.rng, p::ID_CHECK);
                let body = d.fill(t);
                let s = format!("您好，{}", body.trim_start_matches("您好，"));
                d.push(true, s, false, None, false);
                d.c(p::CUST_ID4);
                d.a(p::AGENT_ID_ACK);
            }
            _ => {
                d.a(p::OPEN_ID);
            }
        }
        if style != 4 {
            if chance(d.rng, 0.15) {
                d.c(p::CUST_WHO_FIRST);
                d.a(p::AGENT_REASK_ID);
                d.c(p::CUST_CONFIRM_LATE);
            } else {
                d.c(p::CUST_CONFIRM);
            }
            if chance(d.rng, 0.3) {
                if chance(d.rng, 0.75) {
                    d.a(p::ID_CHECK);
                    d.c(p::CUST_ID4);
                } else {
                    d.a(p::ID_CHECK_BIRTH);
                    d.c(p::CUST_BIRTH);
                }
                d.a(p::AGENT_ID_ACK);
            }
        }
    }
    // A customer who reads out his own full ID number is not the agent's leak.
    if !inj(PII) && chance(d.rng, 0.01) {
        d.c(&["我身份证号是{id18}，你查吧。"]);
    }

    // ---- self-introduction ----
    if imp_replace {
        d.violation(IMPERSONATION, p::V_IMPERSONATE_INTRO);
    } else if !msi && !intro_done {
        if ag_named {
            d.a(p::INTRO_CLIENT)
        } else {
            d.a(p::INTRO)
        };
    }
    // ---- recording notice ----
    let rec_where = if mrn || rec_done {
        0
    } else {
        weighted(d.rng, &[(1u8, 70.0), (2, 20.0), (3, 10.0)])
    };
    if rec_where == 1 {
        d.a(p::RECORDING);
    }
    // ---- debt confirmation ----
    if !mdc && !debt_done {
        d.a(p::DEBT);
        if !inj(WRONG_AMOUNT) && chance(d.rng, 0.15) {
            d.a(p::DEBT_BREAKDOWN);
        }
        debt_done = true;
    }
    if inj(WRONG_AMOUNT) && debt_done {
        d.labels.insert(WRONG_AMOUNT);
    }
    if rec_where == 2 {
        d.a(p::RECORDING);
    }
    if inj(PII) && chance(d.rng, 0.3) {
        pii(d);
    }
    // ---- reaction ----
    if debt_done && chance(d.rng, 0.4) {
        d.c(p::CUST_DEBT_ACK);
        if chance(d.rng, 0.5) {
            d.a(p::AGENT_BACKCHANNEL);
        }
    }
    let sit_pool = Dlg::situation_pool(spec.situation);
    d.c(sit_pool);

    // ---- negotiation ----
    let target = match spec.ending {
        Ending::Hangup => target_chars(d.rng, spec.style, 640.0, 160.0, 300.0, 1000.0),
        _ => target_chars(d.rng, spec.style, 1100.0, 250.0, 500.0, 1800.0),
    };
    let pre_plan = target.saturating_sub(if plan_kind == PlanKind::Skip { 60 } else { 190 });
    let mut pending: Vec<&'static str> = spec
        .inject
        .iter()
        .copied()
        .filter(|c| {
            matches!(
                *c,
                ABUSE | THREAT | FALSE_LEGAL | INCITE | WRONG_BIZ | AGITATION | SILENCE
            ) || (*c == IMPERSONATION && !imp_replace)
                || (*c == PII && !d.labels.contains(PII))
        })
        .collect();
    shuffle(d.rng, &mut pending);
    let late_rec = rec_where == 3;
    let mut late_rec_done = false;
    let mut rounds = 0;
    loop {
        let turns = d.turns.len();
        let done = d.chars() >= pre_plan || turns >= 31 || rounds >= 20;
        if !pending.is_empty() && (done || chance(d.rng, 0.45)) {
            let v = pending.remove(0);
            violation_round(d, v, spec);
        } else if done {
            break;
        } else {
            normal_round(d, spec, dispute);
        }
        if late_rec && !late_rec_done && rounds >= 1 {
            d.a(p::RECORDING_LATE);
            late_rec_done = true;
        }
        rounds += 1;
    }
    if late_rec && !late_rec_done {
        d.a(p::RECORDING_LATE);
    }

    // Stop request (before the plan, or after it).
    let stop = d.wants_stop(spec);
    let stop_early = stop && chance(d.rng, 0.5);
    if stop_early {
        d.stop_request(spec);
    }

    if spec.ending == Ending::Hangup {
        if stop && !stop_early {
            d.stop_request(spec);
        }
        d.c(p::CUST_HANGUP);
        return Summary::Hangup;
    }

    // ---- plan ----
    if inj(UNAUTH) {
        d.violation(UNAUTH, p::V_UNAUTH_PROMISE);
        d.c(p::CUST_REACT_OFFER);
    }
    if inj(PRIVATE) {
        d.violation(PRIVATE, p::V_PRIVATE_PAY);
        d.c(p::CUST_REACT_PRIVATE);
    }
    let summary = if dispute {
        d.a(p::DISPUTE_HANDLE);
        d.c(p::CUST_DISPUTE_END);
        if chance(d.rng, 0.4) {
            d.a(p::DISPUTE_HANDLE);
        }
        Summary::Dispute
    } else if spec.situation == Situation::Paid && plan_kind == PlanKind::Full {
        d.a(p::PAID_HANDLE);
        d.c(&["好，我找一下记录。", "行，截图我都有。", "你们赶紧查一下。"]);
        d.a(p::PAID_PLAN);
        d.c(p::CUST_PLAN_OK);
        Summary::Plan {
            pay_cents: d.ctx.pay_cents,
            date: d.ctx.plan_date,
            chan: d.ctx.chan.clone(),
        }
    } else {
        plan(d, plan_kind)
    };
    if stop && !stop_early {
        d.stop_request(spec);
    }
    // ---- close ----
    if chance(d.rng, 0.85) {
        d.a(p::CLOSE);
        if chance(d.rng, 0.8) {
            d.c(p::CUST_CLOSE);
        }
    } else {
        d.c(p::CUST_CLOSE);
        d.a(&["好的，再见。", "嗯，再见。", "好，拜拜。"]);
    }
    summary
}

/// A call the debtor cuts short at once (four or five turns, all opening steps in place).
fn short_call(d: &mut Dlg) -> Summary {
    let rec_first = chance(d.rng, 0.4);
    let open = if rec_first {
        let a = *pick(d.rng, p::OPEN_PREFIX_REC);
        let b = *pick(d.rng, p::OPEN_ID);
        format!("{}{}", d.fill(a), d.fill(b).trim_start_matches("您好，"))
    } else {
        let b = *pick(d.rng, p::OPEN_ID);
        d.fill(b)
    };
    d.push(true, open, true, None, false);
    d.c(p::CUST_CONFIRM);
    let intro = *pick(d.rng, p::INTRO);
    let mut s = d.fill(intro);
    if !rec_first {
        let r = *pick(d.rng, p::RECORDING);
        s.push_str(&d.fill(r));
    }
    d.push(true, s, true, None, false);
    d.c(p::CUST_BUSY);
    if chance(d.rng, 0.8) {
        let t = *pick(d.rng, p::AGENT_BUSY_ACK);
        let s = d.fill(t);
        d.push(true, s, true, None, false);
    }
    Summary::Busy
}

fn shuffle<T>(rng: &mut Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = between(rng, 0, i as i64) as usize;
        v.swap(i, j);
    }
}

fn pii(d: &mut Dlg) {
    let pool = match between(d.rng, 0, 2) {
        0 => p::V_PII_ID,
        1 => p::V_PII_CARD,
        _ => p::V_PII_ADDR,
    };
    if d.violation(cat::PII, pool) {
        d.c(p::CUST_REACT_PII);
    }
}

fn violation_round(d: &mut Dlg, v: &'static str, spec: &CallSpec) {
    use cat::*;
    let sit = Dlg::situation_pool(spec.situation);
    match v {
        ABUSE => {
            let pool = if chance(d.rng, 0.5) {
                p::CUST_REPEAT
            } else {
                sit
            };
            d.c(pool);
            if d.violation(ABUSE, p::V_ABUSE) {
                d.c(p::CUST_REACT_ABUSE);
            }
        }
        THREAT => {
            let pool = if chance(d.rng, 0.5) {
                p::CUST_REPEAT
            } else {
                sit
            };
            d.c(pool);
            if d.violation(THREAT, p::V_THREAT) {
                d.c(p::CUST_REACT_THREAT);
            }
        }
        IMPERSONATION => {
            d.c(p::CUST_REPEAT);
            if d.violation(IMPERSONATION, p::V_IMPERSONATE_MID) {
                d.c(p::CUST_REACT_IMPERSONATE);
            }
        }
        FALSE_LEGAL => {
            let pool = if chance(d.rng, 0.5) {
                p::CUST_REPEAT
            } else {
                sit
            };
            d.c(pool);
            if d.violation(FALSE_LEGAL, p::V_FALSE_LEGAL) {
                d.c(p::CUST_REACT_SCARED);
            }
        }
        INCITE => {
            d.c(&[
                "这利息也太高了吧。",
                "你们这收费合理吗？",
                "我觉得这个账算得有问题。",
                "银行那边也不给我个说法。",
            ]);
            if d.violation(INCITE, p::V_INCITE) {
                d.c(p::CUST_REACT_INCITE);
            }
        }
        WRONG_BIZ => {
            d.c(&[
                "那我还了以后呢？",
                "利息是怎么算的？",
                "我现在真的没钱，怎么办？",
                "还有别的办法吗？",
            ]);
            if d.violation(WRONG_BIZ, p::V_WRONG_BIZ) {
                d.c(p::CUST_REACT_BIZ);
            }
        }
        PII => pii(d),
        AGITATION => {
            d.c(p::CUST_REPEAT);
            if d.violation(AGITATION, p::V_AGITATION) {
                d.c(p::CUST_REACT_AGITATION);
                if chance(d.rng, 0.6) {
                    d.a(&[
                        "好，我们还是说正事。",
                        "不好意思，我们继续说还款的事。",
                        "行，我不跟您争，您听我说。",
                    ]);
                }
            }
        }
        SILENCE => long_silence(d),
        _ => {}
    }
}

fn long_silence(d: &mut Dlg) {
    let gap = uniform(d.rng, 11.5, 42.0);
    if chance(d.rng, 0.6) {
        d.a(p::WAIT_SHORT);
        let t = *pick(d.rng, p::AFTER_WAIT);
        let s = d.fill(t);
        d.push(true, s, true, Some(gap), false);
        d.c(p::CUST_BACKCHANNEL);
    } else {
        d.a(p::ASK_WHEN);
        let think = *pick(d.rng, p::CUST_THINK);
        let t = *pick(d.rng, p::CUST_WHEN);
        let s = format!("{think}{}", d.fill(t));
        d.push(false, s, true, Some(gap), false);
    }
}

fn normal_round(d: &mut Dlg, spec: &CallSpec, dispute: bool) {
    let sit = spec.situation;
    let pushy = spec.style == AgentStyle::Pushy;
    let hard = matches!(sit, Situation::Unemployed | Situation::Sick);
    let angry = sit == Situation::Angry;
    let w = |base: f64, cond: bool, boost: f64| if cond { base * boost } else { base };
    let moves: Vec<(u8, f64)> = vec![
        (0, 3.0),                                            // situation + empathy/persuasion
        (1, 2.0),                                            // story
        (2, 2.0),                                            // Q&A
        (3, if dispute { 0.0 } else { w(1.6, pushy, 2.2) }), // lawful consequence
        (4, 1.0),                                            // negated reassurance
        (5, if dispute { 0.0 } else { w(0.8, hard, 3.0) }),  // apply for reduction
        (6, if dispute { 0.0 } else { 0.8 }),                // ask income
        (7, if dispute { 0.0 } else { 0.8 }),                // ask when
        (8, w(0.25, angry, 8.0)),                            // customer swears
        (9, w(0.08, angry, 8.0)),                            // customer threatens
        (10, 0.3),                                           // line check
        (11, if dispute { 0.0 } else { 2.0 }),               // long agent explanation
        (12, 0.35),                                          // short wait
    ];
    match weighted(d.rng, &moves) {
        0 => {
            d.c(Dlg::situation_pool(sit));
            if chance(d.rng, 0.55) {
                let pool = if dispute || chance(d.rng, 0.6) {
                    p::CUST_STORY
                } else {
                    p::CUST_WHEN
                };
                d.c(pool);
            }
            if dispute || chance(d.rng, 0.55) {
                empathy(d, sit);
            } else {
                d.a(p::PERSUADE);
            }
            if !dispute && chance(d.rng, 0.6) {
                let pool = if chance(d.rng, 0.4) {
                    p::LAWFUL
                } else {
                    p::AGENT_LONG
                };
                d.a(pool);
            }
        }
        1 => {
            d.c(p::CUST_STORY);
            empathy(d, sit);
            if !dispute && chance(d.rng, 0.5) {
                d.a(p::PERSUADE);
            }
        }
        2 => {
            for _ in 0..10 {
                let (q, a) = *pick(d.rng, p::QA);
                if d.allowed(a)
                    && !d.was_used(q)
                    && !(dispute && (a.contains("先还") || a.contains("分期")))
                {
                    d.used.push(q);
                    if chance(d.rng, 0.35) {
                        d.c(Dlg::situation_pool(sit));
                    }
                    d.c(&[q]);
                    d.a_raw(a);
                    return;
                }
            }
            d.a(p::EMPATHY);
        }
        3 => {
            if d.a(p::LAWFUL) {
                d.c(p::CUST_ACK_CONSEQ);
            }
        }
        4 => {
            if chance(d.rng, 0.5) {
                d.c(p::CUST_WORRY_FAMILY);
            }
            d.a(p::NEGATED);
        }
        5 => {
            if d.a(p::APPLY_REDUCTION) {
                d.c(p::CUST_ACK_APPLY);
                if chance(d.rng, 0.5) {
                    d.a(&[
                        "具体要看审批结果，我先帮您提交。",
                        "材料齐了我就帮您报上去，有结果第一时间通知您。",
                        "这个我没法保证，只能说尽量帮您争取。",
                    ]);
                }
            }
        }
        6 => {
            d.a(p::ASK_INCOME);
            d.c(p::CUST_INCOME);
        }
        7 => {
            d.a(p::ASK_WHEN);
            d.c(p::CUST_WHEN);
        }
        8 => {
            d.c(p::CUST_SWEAR);
            d.a(p::AGENT_CALM);
        }
        9 => {
            d.c(p::CUST_THREAT);
            d.a(p::AGENT_CALM);
        }
        10 => {
            if d.a(p::CHECK_LINE) {
                d.c(p::CUST_CHECK_REPLY);
            }
        }
        11 => {
            if d.a(p::AGENT_LONG) {
                let pool = if chance(d.rng, 0.5) {
                    p::CUST_BACKCHANNEL
                } else {
                    p::CUST_ACK_CONSEQ
                };
                d.c(pool);
            }
        }
        _ => {
            d.a(p::WAIT_SHORT);
            let gap = uniform(d.rng, 2.5, 8.8);
            let t = *pick(d.rng, p::AFTER_WAIT);
            let s = d.fill(t);
            d.push(true, s, true, Some(gap), false);
            d.c(p::CUST_BACKCHANNEL);
        }
    }
}

fn empathy(d: &mut Dlg, sit: Situation) {
    let pool = match sit {
        Situation::Sick if chance(d.rng, 0.6) => p::EMPATHY_SICK,
        Situation::Unemployed if chance(d.rng, 0.6) => p::EMPATHY_JOBLESS,
        _ => p::EMPATHY,
    };
    d.a(pool);
}

fn plan(d: &mut Dlg, kind: PlanKind) -> Summary {
    let summary = |d: &Dlg| Summary::Plan {
        pay_cents: d.ctx.pay_cents,
        date: d.ctx.plan_date,
        chan: d.ctx.chan.clone(),
    };
    match kind {
        PlanKind::Full => {
            let flow = weighted(d.rng, &[(0u8, 40.0), (1, 20.0), (2, 20.0), (3, 20.0)]);
            match flow {
                0 => {
                    d.a(p::PLAN_PROPOSE);
                    d.c(p::CUST_PLAN_OK);
                    if chance(d.rng, 0.7) {
                        d.a(p::PLAN_CONFIRM);
                    }
                }
                1 => {
                    d.a(p::PLAN_PROPOSE);
                    d.c(p::CUST_PLAN_TOO_MUCH);
                    d.a(p::AGENT_PLAN_LOWER);
                    d.ctx.pay_cents = d.ctx.pay2_cents;
                    d.c(p::CUST_PLAN_OK);
                    d.a(p::PLAN_CONFIRM);
                }
                2 => {
                    d.a(p::ASK_WHEN);
                    d.c(p::CUST_PROPOSE);
                    d.a(p::PLAN_CONFIRM);
                }
                _ => {
                    d.a(p::PLAN_PROPOSE);
                    d.c(p::CUST_PLAN_OK);
                    d.a(p::PLAN_CONFIRM_A);
                    d.c(p::CUST_BACKCHANNEL);
                    d.a(p::PLAN_CONFIRM_B);
                }
            }
            summary(d)
        }
        PlanKind::NoChannel | PlanKind::NoDate | PlanKind::NoAmount | PlanKind::None => {
            let pool = match kind {
                PlanKind::NoChannel => p::PLAN_NO_CHANNEL,
                PlanKind::NoDate => p::PLAN_NO_DATE,
                PlanKind::NoAmount => p::PLAN_NO_AMOUNT,
                _ => p::PLAN_NONE,
            };
            if kind != PlanKind::None && chance(d.rng, 0.5) {
                d.a(p::PERSUADE);
                d.c(p::CUST_WHEN);
            }
            let t = *pick(d.rng, pool);
            d.a_raw(t);
            d.c(p::CUST_VAGUE_OK);
            Summary::NoPlan
        }
        PlanKind::Skip => Summary::NoPlan,
    }
}

fn third_party(d: &mut Dlg, spec: &CallSpec) -> Summary {
    use cat::*;
    let party = match spec.answerer {
        Answerer::Third(p) => p,
        _ => zhijian_domain::Party::Unknown,
    };
    let mrn = spec.inject.contains(&MISSING_REC);
    if mrn {
        d.forbid.push("录音");
        d.labels.insert(MISSING_REC);
    }
    d.forbid.extend_from_slice(TP_MARKERS);
    if chance(d.rng, 0.7) {
        d.a(p::TP_OPEN)
    } else {
        d.a(p::TP_OPEN_KNOWN)
    };
    use zhijian_domain::Party as P;
    let rel = match party {
        P::Spouse => p::TP_SPOUSE,
        P::Parent => p::TP_PARENT,
        P::Colleague => p::TP_COLLEAGUE,
        P::Friend => p::TP_FRIEND,
        P::Relative => p::TP_RELATIVE,
        _ => p::TP_EMERGENCY,
    };
    d.c(rel);
    if !mrn {
        if chance(d.rng, 0.6) {
            d.a(p::TP_REC_INTRO);
        } else {
            d.a(&["您好，我这边是{agn}的。", "您好，打扰了。", "哦，您好。"]);
            d.a(p::RECORDING);
        }
    } else {
        d.a(&[
            "您好，我这边是{agn}的，找{he}有点事情。",
            "哦您好，打扰了，我们找{he}有点事。",
        ]);
    }
    d.a(p::TP_ASK_WHERE);
    d.c(p::TP_WHERE_REPLY);

    let target = target_chars(d.rng, spec.style, 500.0, 110.0, 260.0, 850.0);
    let mut pending: Vec<&'static str> = spec
        .inject
        .iter()
        .copied()
        .filter(|c| *c != MISSING_REC && *c != OVER_TALK)
        .collect();
    shuffle(d.rng, &mut pending);
    let mut rounds = 0;
    loop {
        let done = d.chars() + 90 >= target || rounds >= 10;
        if !pending.is_empty() && (done || chance(d.rng, 0.5)) {
            let v = pending.remove(0);
            tp_violation(d, v);
        } else if done {
            break;
        } else {
            match between(d.rng, 0, 3) {
                0 => {
                    d.c(p::TP_ASK_WHAT);
                    d.a(p::TP_REFUSE_DETAIL);
                }
                1 => {
                    d.a(p::TP_ASK_WHERE);
                    d.c(p::TP_WHERE_REPLY);
                }
                2 => {
                    d.c(&[
                        "你们到底是干什么的？",
                        "我怎么知道你是不是骗子？",
                        "你怎么有我电话的？",
                        "{he}最近是不是出什么事了？",
                    ]);
                    d.a(&[
                        "我们是正规公司，有些事情需要跟{he}本人核实。",
                        "您的号码是{he}本人留的联系方式，我们只是想联系上{he}。",
                        "您别担心，不是什么坏事，就是需要{he}本人回个电话。",
                        "这个不方便说，您让{he}本人联系我们就清楚了。",
                    ]);
                }
                _ => {
                    d.a(&[
                        "您平时和{he}联系多吗？",
                        "{he}现在还在原来的单位吗？",
                        "您方便把我们的电话转给{he}吗？",
                    ]);
                    d.c(&[
                        "不多，逢年过节吧。",
                        "应该还在吧，我不太清楚。",
                        "行，你说吧，我记一下。",
                        "我们好久没见了。",
                    ]);
                }
            }
        }
        rounds += 1;
    }
    d.a(p::TP_CALLBACK);
    if d.wants_stop(spec) {
        d.stop_request(spec);
    } else {
        d.c(p::TP_AGREE);
    }
    d.a(p::TP_CLOSE);
    if chance(d.rng, 0.7) {
        d.c(p::CUST_CLOSE);
    }
    Summary::ThirdParty
}

fn tp_violation(d: &mut Dlg, v: &'static str) {
    use cat::*;
    let lead = |d: &mut Dlg| {
        if chance(d.rng, 0.6) {
            d.c(p::TP_ASK_WHAT);
        }
    };
    let pair = |d: &mut Dlg, c: &'static str, pool: &'static [&'static str]| {
        let t = *pick(d.rng, pool);
        d.a_raw(t);
        d.labels.insert(c);
        d.labels.insert(DISCLOSURE);
    };
    match v {
        DISCLOSURE => {
            lead(d);
            let t = *pick(d.rng, p::V_DISCLOSE);
            d.a_raw(t);
            d.labels.insert(DISCLOSURE);
            d.c(&[
                "啊？我不知道这事啊。",
                "{he}的事我管不了。",
                "欠多少？我回头问问{he}。",
                "这跟我有什么关系？",
            ]);
        }
        ABUSE => {
            lead(d);
            pair(d, ABUSE, p::V_TP_ABUSE);
            d.c(p::CUST_REACT_ABUSE);
        }
        THREAT => {
            lead(d);
            pair(d, THREAT, p::V_TP_THREAT);
            d.c(p::CUST_REACT_THREAT);
        }
        FALSE_LEGAL => {
            lead(d);
            pair(d, FALSE_LEGAL, p::V_TP_FALSE_LEGAL);
            d.c(p::CUST_REACT_SCARED);
        }
        IMPERSONATION => {
            lead(d);
            pair(d, IMPERSONATION, p::V_TP_IMPERSONATE);
            d.c(p::CUST_REACT_IMPERSONATE);
        }
        PRIVATE => {
            lead(d);
            pair(d, PRIVATE, p::V_TP_PRIVATE);
            d.c(&[
                "我凭什么替{he}还？",
                "这不行，你找{he}本人去。",
                "你这是让我转给你个人？",
            ]);
        }
        AGITATION => {
            d.c(&[
                "我都说了不知道，你还问。",
                "你问我我问谁去？",
                "我说了多少次了，我跟{he}不熟。",
            ]);
            d.violation(
                AGITATION,
                &[
                    "你烦不烦啊，我就让你转告一声！",
                    "我说了多少遍了，让{he}回电话！！",
                    "有完没完，转告一句话有那么难吗！",
                    "行行行，你不知道，你什么都不知道！！",
                ],
            );
            d.c(p::CUST_REACT_AGITATION);
        }
        SILENCE => long_silence_tp(d),
        _ => {}
    }
}

fn long_silence_tp(d: &mut Dlg) {
    let gap = uniform(d.rng, 11.5, 35.0);
    d.a(&["您稍等，我记一下。", "稍等一下，我看看别的联系方式。"]);
    let t = *pick(d.rng, &["好，您还在吗？", "不好意思久等了。"]);
    let s = d.fill(t);
    d.push(true, s, true, Some(gap), false);
    d.c(&["在。", "嗯，你说。", "还在呢。"]);
}

fn wrong_number(d: &mut Dlg, spec: &CallSpec) -> Summary {
    use cat::*;
    let mrn = spec.inject.contains(&MISSING_REC);
    if mrn {
        d.forbid.push("录音");
        d.labels.insert(MISSING_REC);
    }
    d.forbid.extend_from_slice(TP_MARKERS);
    let mut rec_done = false;
    if !mrn && chance(d.rng, 0.5) {
        let a = *pick(d.rng, p::OPEN_PREFIX_REC);
        let b = d.choose(p::OPEN_ID).unwrap_or(p::OPEN_ID[0]);
        let s = format!("{}{}", d.fill(a), d.fill(b).trim_start_matches("您好，"));
        d.push(true, s, false, None, false);
        rec_done = true;
    } else {
        d.a(p::OPEN_ID);
    }
    d.c(p::TP_WRONG);
    if !rec_done && !mrn {
        d.a(&[
            "不好意思，先说明一下，本次通话有录音。",
            "抱歉，跟您说一下这个电话是录音的。",
        ]);
    }
    d.a(p::WRONG_FOLLOW);
    d.c(p::WRONG_REPLY);
    for v in spec.inject.iter().copied() {
        match v {
            DISCLOSURE => {
                let t = *pick(
                    d.rng,
                    &[
                        "那你要是认识{he}，跟{he}说一声，{he}在{cl}的欠款逾期{days}了。",
                        "这个号码登记的是{name}，{he}欠{cl}的钱一直没还，你真不认识？",
                        "你要是见到{name}，让{he}赶紧把{cl}的{amt}还了。",
                    ],
                );
                d.a_raw(t);
                d.labels.insert(DISCLOSURE);
                d.c(&[
                    "我都说了不认识，跟我说这些干嘛。",
                    "关我什么事啊。",
                    "我不认识，你找错人了。",
                ]);
            }
            AGITATION => {
                d.c(&["你还有什么事？", "我真不认识，你别问了。"]);
                d.violation(
                    AGITATION,
                    &["行了行了，真是的，浪费我时间！！", "你早说啊，烦死了！"],
                );
            }
            SILENCE => long_silence_tp(d),
            _ => {}
        }
    }
    d.a(p::WRONG_CLOSE);
    if d.wants_stop(spec) {
        d.c_protected(p::CUST_STOP_WRONG);
        d.stop_signal = true;
    } else if chance(d.rng, 0.6) {
        d.c(p::CUST_CLOSE);
    }
    Summary::Wrong
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

fn spoken_len(s: &str) -> usize {
    s.chars()
        .filter(|&c| {
            !(c.is_whitespace()
                || c.is_ascii_punctuation()
                || matches!(
                    c,
                    '，' | '。'
                        | '？'
                        | '！'
                        | '、'
                        | '；'
                        | '：'
                        | '…'
                        | '—'
                        | '“'
                        | '”'
                        | '‘'
                        | '’'
                        | '（'
                        | '）'
                ))
        })
        .count()
}

/// Turn texts into timed segments. Returns the segments and the call's duration.
fn timing(rng: &mut Rng, turns: &mut [Turn], want_overtalk: bool) -> (Vec<Segment>, f64) {
    let n = turns.len();
    let mut lens: Vec<usize> = turns.iter().map(|t| spoken_len(&t.text)).collect();
    // Agent turns that follow a long enough customer turn can talk over it.
    let eligible =
        |turns: &[Turn], i: usize| turns[i].agent && !turns[i - 1].agent && turns[i].gap.is_none();
    let candidates = |turns: &[Turn], lens: &[usize]| -> Vec<usize> {
        (1..turns.len())
            .filter(|&i| eligible(turns, i) && lens[i] >= 8 && lens[i - 1] >= 13)
            .collect()
    };
    let mut cands = candidates(turns, &lens);
    let marks_wanted = if want_overtalk {
        between(rng, 2, 4) as usize
    } else if chance(rng, 0.3) {
        1
    } else {
        0
    };
    if cands.len() < marks_wanted {
        // Lengthen customer turns that precede agent turns.
        for i in 1..n {
            if eligible(turns, i) && lens[i] >= 8 && lens[i - 1] < 13 {
                let ext = *pick(rng, p::CUST_EXTEND);
                turns[i - 1].text.push_str(ext);
                lens[i - 1] = spoken_len(&turns[i - 1].text);
                cands = candidates(turns, &lens);
                if cands.len() >= marks_wanted {
                    break;
                }
            }
        }
    }
    shuffle(rng, &mut cands);
    let marked: Vec<usize> = cands.into_iter().take(marks_wanted).collect();

    let agent_rate = uniform(rng, 4.4, 5.6);
    let cust_rate = uniform(rng, 4.2, 5.6);
    let mut segs: Vec<Segment> = Vec::with_capacity(n);
    let mut t = uniform(rng, 0.3, 1.8);
    for (i, turn) in turns.iter().enumerate() {
        let rate = if turn.agent { agent_rate } else { cust_rate } * uniform(rng, 0.93, 1.07);
        let len = lens[i].max(1) as f64;
        let dur = (len / rate).max(0.45);
        let start = if i == 0 {
            t
        } else {
            let prev = &segs[i - 1];
            let prev_dur = prev.end - prev.start;
            if let Some(g) = turn.gap {
                prev.end + g
            } else if marked.contains(&i) {
                let ov = uniform(rng, 1.2, 2.4).min(prev_dur - 0.4);
                prev.end - ov
            } else if turn.agent && !turns[i - 1].agent && chance(rng, 0.2) {
                // Small, harmless overlap.
                prev.end - uniform(rng, 0.1, 0.7).min(prev_dur * 0.3)
            } else if !turn.agent && turns[i - 1].agent && chance(rng, 0.1) {
                // The customer cuts in (not the agent's over-talk).
                prev.end - uniform(rng, 0.3, 1.8).min(prev_dur - 0.3).max(0.0)
            } else {
                let g = weighted(rng, &[(0u8, 80.0), (1, 18.0), (2, 2.0)]);
                prev.end
                    + match g {
                        0 => uniform(rng, 0.2, 1.2),
                        1 => uniform(rng, 1.2, 2.8),
                        _ => uniform(rng, 2.8, 4.5),
                    }
            }
        };
        let start = round2(start.max(if i == 0 { 0.0 } else { segs[i - 1].start + 0.2 }));
        let mut end = round2(start + dur);
        if i > 0 && end <= segs[i - 1].end && start < segs[i - 1].end {
            // An overlapping turn outlasts the one it overlaps.
            end = round2(segs[i - 1].end + 0.3);
        }
        segs.push(Segment {
            speaker: if turn.agent {
                Speaker::Agent
            } else {
                Speaker::Customer
            },
            start,
            end,
            text: turn.text.clone(),
        });
        t = end;
    }
    let duration = round2(t + uniform(rng, 0.6, 3.0));
    (segs, duration)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(crate) fn has_long_silence(segs: &[Segment]) -> bool {
    segs.windows(2).any(|w| w[1].start - w[0].end > 10.0)
}

/// Agent turns that start at least one second before the preceding customer turn ends.
pub(crate) fn over_talk_count(segs: &[Segment]) -> usize {
    segs.windows(2)
        .filter(|w| {
            w[0].speaker == Speaker::Customer
                && w[1].speaker == Speaker::Agent
                && w[0].end.min(w[1].end) - w[1].start >= 1.0
        })
        .count()
}
