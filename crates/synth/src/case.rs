//! One collection case: its contacts, the schedule of attempts (with the injected event-log
//! behaviour), the content of each interaction, and the exact event-log labels.

use std::collections::{HashMap, VecDeque};

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use zhijian_domain::{
    CaseContext, Channel, Contact, Direction, Flag, FlagKind, Interaction, Outcome, Party,
    VisitInfo,
};

use crate::Item;
use crate::call::{self, Answerer, CallSpec, Ctx, Ending, Situation, StopMode, Summary};
use crate::channels;
use crate::noise::Noise;
use crate::util::{Rng, between, chance, mix64, pick, uniform, weighted};
use crate::world::{
    self, AGENCIES, AgentProfile, AgentStyle, CLIENTS, Client, ClientKind, REGIONS,
};

pub(crate) const SHANGHAI: &str = "Asia/Shanghai";
const OVERSEAS: &[&str] = &[
    "Asia/Tokyo",
    "Europe/London",
    "America/Los_Angeles",
    "Australia/Sydney",
    "America/New_York",
    "Asia/Singapore",
];

/// Generator-wide state that survives from case to case (small and fixed in size).
pub(crate) struct Shared {
    pub seed: u64,
    pub start: Date,
    pub days: u32,
    pub all_channels: bool,
    pub violation_rate: f64,
    pub agents: Vec<AgentProfile>,
    pub tz: HashMap<&'static str, TimeZone>,
    pub next_id: u64,
    pub contact_serial: u64,
    pub case_serial: u64,
}

impl Shared {
    pub(crate) fn zone(&self, name: &str) -> &TimeZone {
        self.tz.get(name).unwrap_or_else(|| &self.tz[SHANGHAI])
    }
    fn next_interaction_id(&mut self) -> String {
        self.next_id += 1;
        format!("G{}-{}", self.seed, self.next_id)
    }
    /// Scale for injected event-log behaviour (1.0 at the default violation rate).
    fn k(&self) -> f64 {
        (self.violation_rate / 0.25).clamp(0.0, 3.0)
    }
}

pub(crate) fn time_zones() -> HashMap<&'static str, TimeZone> {
    let mut m = HashMap::new();
    for name in std::iter::once(&SHANGHAI).chain(OVERSEAS.iter()) {
        let tz = TimeZone::get(name).expect("bundled time zone");
        m.insert(*name, tz);
    }
    m
}

struct ContactRec {
    id: String,
    party: Party,
    /// Canonical number (landlines with area code and dash).
    number: String,
    landline: bool,
    tz: Option<&'static str>,
    /// The number now belongs to someone else.
    reassigned: bool,
}

impl ContactRec {
    fn tz_name(&self) -> &'static str {
        self.tz.unwrap_or(SHANGHAI)
    }
}

struct CaseInfo {
    case_id: String,
    client: &'static Client,
    product: &'static str,
    balance_cents: i64,
    dpd0: u32,
    stage: &'static str,
    start: Date,
    debtor: world::Person,
    region: usize,
    district: usize,
    id18: String,
    card: String,
    addr: String,
    situation: Situation,
    agent: usize,
    contacts: Vec<ContactRec>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call {
        contact: usize,
        outcome: Outcome,
        inbound: bool,
    },
    Sms {
        contact: usize,
        violating: bool,
    },
    Visit {
        fault: Option<u8>,
    },
}

struct Planned {
    at: Timestamp,
    kind: Kind,
    agent: usize,
    stop: StopMode,
    /// The injected scenario wants a stop request here.
    force_stop: bool,
    /// A do-not-call flag follows this call (set after it ends).
    dnc_after: Option<DncTarget>,
    note: Option<bool>,
    /// Part of an injected event-log scenario (kept even when it breaks a limit).
    injected: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DncTarget {
    Contact(usize),
    Case,
}

/// Generate one case into `out`; returns the number of call interactions produced (at most
/// `max_calls`, at least one).
pub(crate) fn generate(sh: &mut Shared, max_calls: usize, out: &mut VecDeque<Item>) -> usize {
    sh.case_serial += 1;
    let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(mix64(sh.seed ^ 0x5EED_CA5E));
    rng.set_stream(sh.case_serial);
    let case = setup(sh, &mut rng);
    let mut plan = schedule(sh, &mut rng, &case);

    // Keep the first `max_calls` calls, in time order.
    plan.sort_by_key(|p| p.at);
    space_calls(&mut plan);
    prune_natural(sh, &case, &mut plan);
    let mut seen = 0;
    plan.retain(|p| {
        if matches!(p.kind, Kind::Call { .. }) {
            seen += 1;
            seen <= max_calls
        } else {
            true
        }
    });
    if sh.all_channels {
        add_other_channels(sh, &mut rng, &case, &mut plan);
        plan.sort_by_key(|p| p.at);
    }
    decide_stops(sh, &mut rng, &case, &mut plan);
    render(sh, &mut rng, &case, plan, out)
}

fn setup(sh: &mut Shared, rng: &mut Rng) -> CaseInfo {
    let client_idx = between(rng, 0, CLIENTS.len() as i64 - 1) as usize;
    let client = &CLIENTS[client_idx];
    let product = *pick(rng, client.products);
    let balance_yuan = match client.kind {
        ClientKind::Bank => (uniform(rng, 8.0, 11.3)).exp(),
        ClientKind::ConsumerFinance => (uniform(rng, 7.0, 10.5)).exp(),
        ClientKind::OnlineLender => (uniform(rng, 6.2, 9.6)).exp(),
    };
    let balance_cents = (balance_yuan * 100.0) as i64 + between(rng, 0, 99);
    let (stage, lo, hi) = weighted(
        rng,
        &[
            (("M1", 1, 30), 30.0),
            (("M2", 31, 60), 22.0),
            (("M3", 61, 90), 16.0),
            (("M4", 91, 120), 10.0),
            (("M5", 121, 150), 7.0),
            (("M6+", 151, 720), 15.0),
        ],
    );
    let dpd0 = between(rng, lo, hi) as u32;
    let male = chance(rng, 0.56);
    let debtor = world::person(rng, male);
    let region = between(rng, 0, REGIONS.len() as i64 - 1) as usize;
    let district = between(rng, 0, REGIONS[region].districts.len() as i64 - 1) as usize;
    let r = &REGIONS[region];
    let d = &r.districts[district];
    let id18 = world::id_number(rng, d.code, male);
    let card = world::card_number(rng);
    let addr = world::address(rng, r, d);
    let situation = weighted(
        rng,
        &[
            (Situation::Cooperative, 22.0),
            (Situation::Unemployed, 14.0),
            (Situation::Sick, 8.0),
            (Situation::Disputing, 7.0),
            (Situation::Evasive, 14.0),
            (Situation::Angry, 10.0),
            (Situation::Paid, 5.0),
            (Situation::Promise, 20.0),
        ],
    );
    let offset = between(rng, 0, i64::from(sh.days.max(1)) - 1);
    let start = sh
        .start
        .checked_add(jiff::Span::new().days(offset))
        .unwrap_or(sh.start);
    // Agents of an agency's teams work this client's cases.
    let agent = between(rng, 0, sh.agents.len() as i64 - 1) as usize;

    let mut contacts = Vec::new();
    let debtor_tz = if chance(rng, 0.018) {
        Some(*pick(rng, OVERSEAS))
    } else if chance(rng, 0.05) {
        Some(SHANGHAI)
    } else {
        None
    };
    sh.contact_serial += 1;
    let salt = mix64(sh.seed);
    contacts.push(ContactRec {
        id: format!("K{:08}", crate::util::perm8b(sh.contact_serial, salt >> 7)),
        party: Party::Debtor,
        number: world::mobile(rng, sh.contact_serial, salt),
        landline: false,
        tz: debtor_tz,
        reassigned: chance(rng, 0.03),
    });
    let n_third = weighted(rng, &[(0usize, 25.0), (1, 35.0), (2, 28.0), (3, 12.0)]);
    for _ in 0..n_third {
        let party = weighted(
            rng,
            &[
                (Party::Spouse, 22.0),
                (Party::Parent, 20.0),
                (Party::Colleague, 16.0),
                (Party::Friend, 16.0),
                (Party::Emergency, 16.0),
                (Party::Relative, 10.0),
            ],
        );
        sh.contact_serial += 1;
        let landline = party == Party::Colleague && chance(rng, 0.5);
        let number = if landline {
            world::landline(r.area_code, sh.contact_serial, salt)
        } else {
            world::mobile(rng, sh.contact_serial, salt)
        };
        contacts.push(ContactRec {
            id: format!("K{:08}", crate::util::perm8b(sh.contact_serial, salt >> 7)),
            party,
            number,
            landline,
            tz: if chance(rng, 0.006) {
                Some(*pick(rng, OVERSEAS))
            } else {
                None
            },
            reassigned: chance(rng, 0.04),
        });
    }
    let case_id = format!(
        "C{}{:08}",
        client_idx % 10,
        crate::util::perm8b(sh.case_serial, salt >> 11)
    );
    CaseInfo {
        case_id,
        client,
        product,
        balance_cents,
        dpd0,
        stage,
        start,
        debtor,
        region,
        district,
        id18,
        card,
        addr,
        situation,
        agent,
        contacts,
    }
}

/// A local wall-clock time on `day` in `tz`, as an instant.
fn at(sh: &Shared, tz: &str, day: Date, h: i8, m: i8, s: i8) -> Timestamp {
    let dt = DateTime::from_parts(day, Time::new(h, m, s, 0).unwrap_or(Time::midnight()));
    sh.zone(tz)
        .to_ambiguous_timestamp(dt)
        .compatible()
        .expect("time in range")
}

/// A connected outbound call to contact `c` in which the customer asks to stop calling.
fn stop_call(t: Timestamp, c: usize, agent: usize) -> Planned {
    let mut p = planned(
        t,
        Kind::Call {
            contact: c,
            outcome: Outcome::Connected,
            inbound: false,
        },
        agent,
    );
    p.force_stop = true;
    p
}

/// `minute` minutes after local midnight of `day`, at a random second.
fn at_minute(
    rng: &mut crate::util::Rng,
    sh: &Shared,
    tz: &str,
    day: Date,
    minute: i64,
) -> Timestamp {
    at(
        sh,
        tz,
        day,
        (minute / 60) as i8,
        (minute % 60) as i8,
        between(rng, 0, 59) as i8,
    )
}

fn day_n(sh: &Shared, case: &CaseInfo, n: i64) -> Date {
    let _ = sh;
    case.start
        .checked_add(jiff::Span::new().days(n))
        .unwrap_or(case.start)
}

/// A working-hours clock time (Beijing habits).
fn work_time(rng: &mut Rng) -> (i8, i8, i8) {
    let (lo, hi) = weighted(
        rng,
        &[
            ((8 * 60, 9 * 60), 4.0),
            ((9 * 60, 12 * 60), 34.0),
            ((12 * 60, 14 * 60), 10.0),
            ((14 * 60, 18 * 60), 34.0),
            ((18 * 60, 21 * 60), 16.0),
            ((21 * 60, 22 * 60 - 1), 2.0),
        ],
    );
    let m = between(rng, lo, hi - 1);
    ((m / 60) as i8, (m % 60) as i8, between(rng, 0, 59) as i8)
}

fn outcome(rng: &mut Rng, third: bool) -> Outcome {
    let c = if third { 50.0 } else { 58.0 };
    weighted(
        rng,
        &[
            (Outcome::Connected, c),
            (Outcome::NoAnswer, 26.0),
            (Outcome::Busy, 7.0),
            (Outcome::Rejected, 7.0),
            (Outcome::Failed, 2.0),
        ],
    )
}

fn planned(at: Timestamp, kind: Kind, agent: usize) -> Planned {
    Planned {
        at,
        kind,
        agent,
        stop: StopMode::Never,
        force_stop: false,
        dnc_after: None,
        note: None,
        injected: false,
    }
}

/// The time of a call to contact `c` at a normal hour on case day `n`, and whether it was
/// dialled on Beijing hours to a contact abroad (which may be night there).
fn normal_call_time(
    sh: &Shared,
    rng: &mut Rng,
    case: &CaseInfo,
    c: usize,
    n: i64,
) -> (Timestamp, bool) {
    let day = day_n(sh, case, n);
    let contact = &case.contacts[c];
    let (h, m, s) = work_time(rng);
    match contact.tz {
        Some(tz) if tz != SHANGHAI => {
            // Overseas contact: some agents dial on Beijing hours, others on local hours.
            if chance(rng, 0.5 * sh.k().min(1.0)) {
                (at(sh, SHANGHAI, day, h, m, s), true)
            } else {
                let (h, m, s) = work_time(rng);
                (at(sh, tz, day, h.min(20), m, s), false)
            }
        }
        _ => (at(sh, SHANGHAI, day, h, m, s), false),
    }
}

fn schedule(sh: &Shared, rng: &mut Rng, case: &CaseInfo) -> Vec<Planned> {
    let k = sh.k();
    let span = i64::from(sh.days.max(1)) - i64::from((case.start - sh.start).get_days());
    let span = span.clamp(1, between(rng, 4, 24));
    let n_calls = 1 + {
        let mut n = 0;
        while n < 13 && chance(rng, 0.7) {
            n += 1;
        }
        n
    };
    let n_contacts = case.contacts.len();
    let mut plan: Vec<Planned> = Vec::with_capacity(n_calls + 8);
    let teammate = |rng: &mut Rng, own: usize| -> usize {
        if chance(rng, 0.12) {
            let team = own / world::TEAM_SIZE;
            let lo = team * world::TEAM_SIZE;
            let hi = (lo + world::TEAM_SIZE).min(sh.agents.len()) - 1;
            between(rng, lo as i64, hi as i64) as usize
        } else {
            own
        }
    };
    for _ in 0..n_calls {
        let c = if n_contacts == 1 || chance(rng, 0.8) {
            0
        } else {
            between(rng, 1, n_contacts as i64 - 1) as usize
        };
        let n = between(rng, 0, span - 1);
        let inbound = c == 0 && chance(rng, 0.025);
        let (mut t, naive) = normal_call_time(sh, rng, case, c, n);
        if inbound && chance(rng, 0.2) {
            // A callback late in the evening is not an off-hours contact.
            t = at(
                sh,
                SHANGHAI,
                day_n(sh, case, n),
                22,
                between(rng, 0, 50) as i8,
                0,
            );
        }
        let oc = if inbound {
            Outcome::Connected
        } else {
            outcome(rng, c != 0)
        };
        let agent = teammate(rng, case.agent);
        let mut p = planned(
            t,
            Kind::Call {
                contact: c,
                outcome: oc,
                inbound,
            },
            agent,
        );
        p.injected = naive;
        plan.push(p);
    }
    let agent = case.agent;
    let debtor_tz = case.contacts[0].tz_name();

    // Off hours.
    if chance(rng, 0.035 * k)
        && let Some(i) =
            (0..plan.len()).find(|&i| matches!(plan[i].kind, Kind::Call { inbound: false, .. }))
    {
        let day = day_n(sh, case, between(rng, 0, span - 1));
        let tz = match plan[i].kind {
            Kind::Call { contact, .. } => case.contacts[contact].tz_name(),
            _ => SHANGHAI,
        };
        let (h, m, s) = if chance(rng, 0.55) {
            let h = weighted(rng, &[(22i8, 70.0), (23, 30.0)]);
            if h == 22 && chance(rng, 0.15) {
                (22, 0, 0)
            } else {
                (h, between(rng, 0, 59) as i8, between(rng, 0, 59) as i8)
            }
        } else {
            let h = weighted(rng, &[(6i8, 25.0), (7, 75.0)]);
            if h == 7 && chance(rng, 0.2) {
                (7, 59, between(rng, 0, 59) as i8)
            } else {
                (h, between(rng, 0, 59) as i8, between(rng, 0, 59) as i8)
            }
        };
        plan[i].at = at(sh, tz, day, h, m, s);
        plan[i].injected = true;
    }
    // Edge times that are allowed (hard negatives).
    if chance(rng, 0.04)
        && let Some(i) = (0..plan.len()).find(|&i| {
            matches!(
                plan[i].kind,
                Kind::Call {
                    contact: 0,
                    inbound: false,
                    ..
                }
            )
        })
    {
        let day = day_n(sh, case, between(rng, 0, span - 1));
        let (h, m, s) = if chance(rng, 0.5) {
            (8, 0, between(rng, 0, 30) as i8)
        } else {
            (21, 59, between(rng, 0, 50) as i8)
        };
        plan[i].at = at(sh, debtor_tz, day, h, m, s);
    }
    // Bursts of connected calls to the debtor (4th and later are excessive), or exactly three.
    let burst_conn = chance(rng, 0.02 * k);
    let near_conn = !burst_conn && chance(rng, 0.015);
    if burst_conn || near_conn {
        let day = day_n(sh, case, between(rng, 0, span - 1));
        let n = if burst_conn { between(rng, 4, 5) } else { 3 };
        let mut minute = between(rng, 9 * 60, 10 * 60);
        for _ in 0..n {
            let t = at(
                sh,
                debtor_tz,
                day,
                (minute / 60) as i8,
                (minute % 60) as i8,
                between(rng, 0, 59) as i8,
            );
            let mut p = planned(
                t,
                Kind::Call {
                    contact: 0,
                    outcome: Outcome::Connected,
                    inbound: false,
                },
                agent,
            );
            p.injected = burst_conn;
            plan.push(p);
            minute += between(rng, 60, 130);
        }
        if near_conn && chance(rng, 0.5) {
            // The debtor's own callback does not count as an outbound call.
            let t = at(sh, debtor_tz, day, 20, between(rng, 30, 59) as i8, 0);
            plan.push(planned(
                t,
                Kind::Call {
                    contact: 0,
                    outcome: Outcome::Connected,
                    inbound: true,
                },
                agent,
            ));
        }
    }
    // Bursts of attempts to one number (7th and later are excessive), or exactly six.
    let burst_att = chance(rng, 0.02 * k);
    let near_att = !burst_att && chance(rng, 0.015);
    if burst_att || near_att {
        let c = if n_contacts > 1 && chance(rng, 0.2) {
            between(rng, 1, n_contacts as i64 - 1) as usize
        } else {
            0
        };
        let tz = case.contacts[c].tz_name();
        let day = day_n(sh, case, between(rng, 0, span - 1));
        let n = if burst_att { between(rng, 7, 9) } else { 6 };
        let mut minute = between(rng, 8 * 60 + 30, 9 * 60 + 30);
        let mut connected = 0;
        for _ in 0..n {
            let t = at_minute(rng, sh, tz, day, minute);
            let mut oc = weighted(
                rng,
                &[
                    (Outcome::NoAnswer, 55.0),
                    (Outcome::Busy, 15.0),
                    (Outcome::Rejected, 20.0),
                    (Outcome::Connected, 10.0),
                ],
            );
            if oc == Outcome::Connected {
                connected += 1;
                if connected > 2 {
                    oc = Outcome::NoAnswer;
                }
            }
            let mut p = planned(
                t,
                Kind::Call {
                    contact: c,
                    outcome: oc,
                    inbound: false,
                },
                agent,
            );
            p.injected = burst_att;
            plan.push(p);
            minute += between(rng, 35, 80);
        }
    }
    // A stop request followed by another contact the same day.
    if chance(rng, 0.03 * k) {
        let c = if n_contacts > 1 && chance(rng, 0.2) {
            between(rng, 1, n_contacts as i64 - 1) as usize
        } else {
            0
        };
        let tz = case.contacts[c].tz_name();
        let day = day_n(sh, case, between(rng, 0, span - 1));
        let minute = between(rng, 9 * 60, 16 * 60);
        let t = at_minute(rng, sh, tz, day, minute);
        let mut first = stop_call(t, c, agent);
        first.injected = true;
        plan.push(first);
        let later = minute + between(rng, 40, 300);
        let t2 = at_minute(rng, sh, tz, day, later);
        let mut second = planned(
            t2,
            Kind::Call {
                contact: c,
                outcome: outcome(rng, c != 0),
                inbound: false,
            },
            agent,
        );
        second.injected = true;
        plan.push(second);
    }
    // Do-not-call: after a connected call with a stop request, with later contact (violation)
    // or without (clean), on a contact or on the whole case.
    let dnc_violating = chance(rng, 0.025 * k);
    let dnc_clean = !dnc_violating && chance(rng, 0.025);
    if dnc_violating || dnc_clean {
        let c = 0;
        let tz = case.contacts[c].tz_name();
        let n = between(rng, 0, (span - 2).max(0));
        let day = day_n(sh, case, n);
        let minute = between(rng, 9 * 60, 15 * 60);
        let t = at_minute(rng, sh, tz, day, minute);
        let mut first = stop_call(t, c, agent);
        let case_level = chance(rng, 0.3);
        first.injected = dnc_violating;
        first.dnc_after = Some(if case_level {
            DncTarget::Case
        } else {
            DncTarget::Contact(c)
        });
        if dnc_clean {
            // Nothing to this contact (or case) afterwards.
            let cut = t;
            plan.retain(|p| {
                p.at < cut
                    || match p.kind {
                        Kind::Call { contact, .. } => !case_level && contact != c,
                        _ => false,
                    }
            });
        } else {
            for j in 0..between(rng, 1, 3) {
                let later_day = day_n(sh, case, (n + between(rng, 0, 3)).min(span - 1));
                let (h, m, s) = work_time(rng);
                let t2 = if j == 0 && chance(rng, 0.3) {
                    let later = minute + between(rng, 90, 360);
                    at(
                        sh,
                        tz,
                        day,
                        (later / 60).min(21) as i8,
                        (later % 60) as i8,
                        0,
                    )
                } else {
                    at(sh, tz, later_day, h.max(9), m, s)
                };
                let target = if case_level && n_contacts > 1 && chance(rng, 0.4) {
                    between(rng, 1, n_contacts as i64 - 1) as usize
                } else {
                    c
                };
                let mut p = planned(
                    t2,
                    Kind::Call {
                        contact: target,
                        outcome: outcome(rng, target != 0),
                        inbound: false,
                    },
                    agent,
                );
                p.injected = true;
                plan.push(p);
            }
        }
        plan.push(first);
    }
    plan
}

/// Calls of one case never overlap: each starts at least twelve minutes after the previous.
fn space_calls(plan: &mut [Planned]) {
    let mut last: Option<Timestamp> = None;
    for p in plan.iter_mut() {
        if !matches!(p.kind, Kind::Call { .. }) {
            continue;
        }
        if let Some(l) = last {
            let min = l + SignedDuration::from_mins(12);
            if p.at < min {
                p.at =
                    min + SignedDuration::from_secs((mix64(p.at.as_second() as u64) % 240) as i64);
            }
        }
        last = Some(p.at);
    }
}

/// Drop calls that would break a contact limit by accident (outside an injected scenario), so
/// that event-log labels come only from the injected share.
fn prune_natural(sh: &Shared, case: &CaseInfo, plan: &mut Vec<Planned>) {
    let mut attempts: HashMap<(usize, Date), usize> = HashMap::new();
    let mut connected: HashMap<(usize, Date), usize> = HashMap::new();
    plan.retain(|p| {
        let Kind::Call {
            contact,
            outcome,
            inbound: false,
        } = p.kind
        else {
            return true;
        };
        let local = sh.zone(case.contacts[contact].tz_name()).to_datetime(p.at);
        let day = local.date();
        let a = attempts.get(&(contact, day)).copied().unwrap_or(0) + 1;
        let is_conn = outcome == Outcome::Connected;
        let c = connected.get(&(contact, day)).copied().unwrap_or(0) + usize::from(is_conn);
        let breaks = local.hour() >= 22 || local.hour() < 8 || a >= 7 || (is_conn && c >= 4);
        if breaks && !p.injected {
            return false;
        }
        attempts.insert((contact, day), a);
        connected.insert((contact, day), c);
        true
    });
}

fn local_day(sh: &Shared, t: Timestamp, tz: &str) -> Date {
    sh.zone(tz).to_datetime(t).date()
}

fn add_other_channels(sh: &Shared, rng: &mut Rng, case: &CaseInfo, plan: &mut Vec<Planned>) {
    let k = sh.k();
    let debtor_tz = case.contacts[0].tz_name();
    // Days with any special scenario or many calls are left alone.
    let mut busy_days: HashMap<Date, usize> = HashMap::new();
    let mut special_days: Vec<Date> = Vec::new();
    let mut dnc_at: Option<Timestamp> = None;
    for p in plan.iter() {
        if let Kind::Call { contact, .. } = p.kind {
            let d = local_day(sh, p.at, case.contacts[contact].tz_name());
            *busy_days.entry(d).or_default() += 1;
            if p.force_stop || p.dnc_after.is_some() {
                special_days.push(d);
            }
            if p.dnc_after.is_some() {
                dnc_at = Some(dnc_at.map_or(p.at, |x: Timestamp| x.min(p.at)));
            }
        }
    }
    let first = plan.first().map(|p| p.at);
    let last = plan.last().map(|p| p.at);
    let (Some(first), Some(last)) = (first, last) else {
        return;
    };
    let first_day = local_day(sh, first, debtor_tz);
    let span = i64::from(
        (local_day(sh, last, debtor_tz) - first_day)
            .get_days()
            .max(0),
    ) + 2;

    // SMS to the debtor.
    let n_sms = weighted(rng, &[(0usize, 30.0), (1, 35.0), (2, 25.0), (3, 10.0)]);
    for _ in 0..n_sms {
        let day = first_day
            .checked_add(jiff::Span::new().days(between(rng, 0, span - 1)))
            .unwrap_or(first_day);
        if busy_days.get(&day).copied().unwrap_or(0) > 2 || special_days.contains(&day) {
            continue;
        }
        let (mut h, mut m, s) = work_time(rng);
        if chance(rng, 0.03 * k) {
            h = weighted(rng, &[(22i8, 60.0), (23, 20.0), (7, 20.0)]);
            m = between(rng, 0, 59) as i8;
        } else {
            h = h.min(20);
        }
        let t = at(sh, debtor_tz, day, h, m, s);
        if dnc_at.is_some_and(|d| t >= d) {
            continue;
        }
        let violating = chance(rng, 0.05 * k);
        plan.push(planned(
            t,
            Kind::Sms {
                contact: 0,
                violating,
            },
            case.agent,
        ));
    }
    // A disclosure SMS to a third party, rarely.
    if case.contacts.len() > 1 && chance(rng, 0.01 * k) {
        let c = between(rng, 1, case.contacts.len() as i64 - 1) as usize;
        let day = first_day
            .checked_add(jiff::Span::new().days(between(rng, 0, span - 1)))
            .unwrap_or(first_day);
        let (h, m, s) = work_time(rng);
        let t = at(sh, case.contacts[c].tz_name(), day, h.min(20), m, s);
        if !special_days.contains(&day) && dnc_at.is_none_or(|d| t < d) {
            plan.push(planned(
                t,
                Kind::Sms {
                    contact: c,
                    violating: true,
                },
                case.agent,
            ));
        }
    }
    // Field visits for later-stage, domestic cases, on days without calls, before any flag.
    if case.dpd0 >= 31 && case.contacts[0].tz.is_none_or(|t| t == SHANGHAI) && chance(rng, 0.14) {
        for _ in 0..between(rng, 1, 2) {
            let day = first_day
                .checked_add(jiff::Span::new().days(between(rng, 0, span)))
                .unwrap_or(first_day);
            if busy_days.contains_key(&day) || special_days.contains(&day) {
                continue;
            }
            let fault = if chance(rng, 0.15 * k.min(3.0)) {
                Some(between(rng, 0, 5) as u8)
            } else {
                None
            };
            let t = if fault == Some(5) {
                let m = between(rng, 20 * 60 + 15, 21 * 60 + 40);
                at(sh, SHANGHAI, day, (m / 60) as i8, (m % 60) as i8, 0)
            } else {
                let m = between(rng, 9 * 60, 17 * 60);
                at(sh, SHANGHAI, day, (m / 60) as i8, (m % 60) as i8, 0)
            };
            if dnc_at.is_some_and(|d| t >= d) {
                continue;
            }
            busy_days.insert(day, 1);
            plan.push(planned(t, Kind::Visit { fault }, case.agent));
        }
    }
    // Notes are attached to calls (decided here; written when the call is rendered).
    for p in plan.iter_mut() {
        if let Kind::Call { outcome, .. } = p.kind {
            let pr = if outcome == Outcome::Connected {
                0.6
            } else {
                0.2
            };
            if chance(rng, pr) && dnc_at.is_none_or(|d| p.at < d) {
                p.note = Some(chance(rng, 0.04 * k));
            }
        }
    }
}

fn contact_of(kind: Kind) -> Option<usize> {
    match kind {
        Kind::Call {
            contact,
            inbound: false,
            ..
        }
        | Kind::Sms { contact, .. } => Some(contact),
        _ => None,
    }
}

/// Stop modes: a connected outbound call may carry a stop request only when no other outbound
/// contact to the same person follows later that local day, unless the scenario wants it.
fn decide_stops(sh: &Shared, rng: &mut Rng, case: &CaseInfo, plan: &mut [Planned]) {
    let _ = rng;
    let n = plan.len();
    for i in 0..n {
        let Kind::Call {
            contact,
            outcome: Outcome::Connected,
            inbound: false,
        } = plan[i].kind
        else {
            continue;
        };
        let tz = case.contacts[contact].tz_name();
        let day = local_day(sh, plan[i].at, tz);
        let later_same_day = plan[i + 1..]
            .iter()
            .any(|q| contact_of(q.kind) == Some(contact) && local_day(sh, q.at, tz) == day);
        plan[i].stop = if plan[i].force_stop {
            StopMode::Forced
        } else if later_same_day {
            StopMode::Never
        } else {
            StopMode::Allowed
        };
    }
}

fn make_ctx(sh: &Shared, rng: &mut Rng, case: &CaseInfo, agent: &AgentProfile, today: Date) -> Ctx {
    let client = case.client;
    let agency = &AGENCIES[agent.agency];
    let region = &REGIONS[case.region];
    let district = &region.districts[case.district];
    let dpd = case.dpd0 + (today - case.start).get_days().max(0) as u32;
    let fee_cents = (case.balance_cents as f64 * uniform(rng, 0.05, 0.25)) as i64;
    let bal_yuan = case.balance_cents / 100;
    let small = matches!(case.situation, Situation::Unemployed | Situation::Sick);
    let rounds: &[i64] = if small {
        &[300, 500, 800, 1000, 1500, 2000]
    } else {
        &[500, 1000, 1500, 2000, 3000, 5000, 8000, 10000, 20000]
    };
    let fitting: Vec<i64> = rounds.iter().copied().filter(|&r| r < bal_yuan).collect();
    let pay_cents = if fitting.is_empty() || (!small && chance(rng, 0.2)) {
        case.balance_cents
    } else {
        *pick(rng, &fitting) * 100
    };
    let pay2_cents = call::lower_amount(pay_cents);
    let plan_date = if chance(rng, 0.12) {
        today.last_of_month()
    } else {
        today
            .checked_add(jiff::Span::new().days(between(rng, 1, 10)))
            .unwrap_or(today)
    };
    let chan = {
        let bank = client.kind == ClientKind::Bank;
        let options: Vec<String> = if bank {
            vec![
                client.app.to_string(),
                format!("{}手机银行", client.short),
                format!("{}官方微信公众号", client.short),
                "绑定的还款卡自动扣款".into(),
                format!("{}官方APP", client.short),
                "银行柜台".into(),
                "官方还款专户".into(),
            ]
        } else {
            vec![
                client.app.to_string(),
                format!("{}官方APP", client.short),
                format!("{}官方小程序", client.short),
                format!("{}的对公账户", client.short),
                "APP里的还款入口".into(),
                "官方微信公众号".into(),
            ]
        };
        pick(rng, &options).clone()
    };
    let fake_male = chance(rng, 0.5);
    let fake = world::person(rng, fake_male).name;
    let id = &case.id18;
    Ctx {
        name: case.debtor.name.clone(),
        sur: case.debtor.surname.clone(),
        male: case.debtor.male,
        ag: agency.short,
        agency: agency.full,
        agn: agency.neutral,
        cl: client.short,
        client: client.full,
        prod: case.product,
        amt_cents: case.balance_cents,
        prin_cents: case.balance_cents - fee_cents,
        fee_cents,
        dpd,
        pay_cents,
        pay2_cents,
        today,
        plan_date,
        chan,
        me: agent.surname.clone(),
        mename: agent.name.clone(),
        no: agent.work_no.clone(),
        cb: if chance(rng, 0.7) {
            agency.hotline.to_string()
        } else {
            format!(
                "{}-{}",
                region.area_code,
                60_000_000 + (mix64(sh.seed ^ agent.agency as u64) % 9_999_999)
            )
        },
        id4: id[14..].to_string(),
        card4: case.card[case.card.len() - 4..].to_string(),
        id18: id.clone(),
        card: case.card.clone(),
        addr: case.addr.clone(),
        city: region.city.to_string(),
        birth: format!("{}年{}月", &id[6..10], id[10..12].trim_start_matches('0')),
        fake,
        court: format!("{}{}", district.name, pick(rng, world::COURTS)),
        law: pick::<&str>(rng, world::LAW_FIRMS),
        police: pick::<&str>(rng, world::POLICE),
        xfee_cents: between(rng, 2, 8) * 10_000,
    }
}

fn wrong_amount_cents(rng: &mut Rng, balance: i64) -> i64 {
    let choice = between(rng, 0, 3);
    let wrong = match choice {
        0 => balance + (balance as f64 * uniform(rng, 0.08, 0.45)) as i64,
        1 => balance - (balance as f64 * uniform(rng, 0.08, 0.35)) as i64,
        2 => ((balance / 100_000) + 1) * 100_000 + between(rng, 0, 9) * 10_000,
        _ => balance + between(rng, 3, 60) * 10_000,
    };
    if (wrong - balance).abs() < 5_000 {
        balance + 50_000
    } else {
        wrong.max(10_000)
    }
}

fn number_for_output(rng: &mut Rng, c: &ContactRec) -> String {
    if !chance(rng, 0.07) {
        return c.number.clone();
    }
    if c.landline {
        return match between(rng, 0, 1) {
            0 => c.number.replace('-', ""),
            _ => {
                let (a, b) = c.number.split_once('-').unwrap_or(("", &c.number));
                format!("({a}){b}")
            }
        };
    }
    let n = &c.number;
    match between(rng, 0, 4) {
        0 => format!("+86 {} {} {}", &n[..3], &n[3..7], &n[7..]),
        1 => format!("+86{n}"),
        2 => format!("0086{n}"),
        3 => format!("{}-{}-{}", &n[..3], &n[3..7], &n[7..]),
        _ => format!("{} {} {}", &n[..3], &n[3..7], &n[7..]),
    }
}

fn relation_str(p: Party) -> &'static str {
    p.as_str()
}

struct Emitted {
    key: (Timestamp, u8),
    item: Item,
    /// For the event labeller.
    ev: Option<Ev>,
}

#[derive(Clone)]
struct Ev {
    kind: Channel,
    outbound: bool,
    connected: bool,
    contact: usize,
    stop_signal: bool,
}

fn render(
    sh: &mut Shared,
    rng: &mut Rng,
    case: &CaseInfo,
    plan: Vec<Planned>,
    out: &mut VecDeque<Item>,
) -> usize {
    let mut items: Vec<Emitted> = Vec::with_capacity(plan.len() + 4);
    let mut calls = 0;
    let case_ctx = |today: Date| CaseContext {
        balance: Some(case.balance_cents as f64 / 100.0),
        days_past_due: Some(case.dpd0 + (today - case.start).get_days().max(0) as u32),
        stage: Some(case.stage.to_string()),
        product: Some(case.product.to_string()),
    };
    let noise = Noise::sample(rng);
    for p in plan.iter() {
        let agent = sh.agents[p.agent].clone();
        let agent = &agent;
        let agent_id = agent.id.clone();
        match p.kind {
            Kind::Call {
                contact,
                outcome,
                inbound,
            } => {
                calls += 1;
                let c = &case.contacts[contact];
                let today = local_day(sh, p.at, c.tz_name());
                let id = sh.next_interaction_id();
                let mut it = base_interaction(&id, Channel::Call, case, &agent_id, p.at);
                it.direction = Some(if inbound {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                });
                it.outcome = Some(outcome);
                it.contact = Some(Contact {
                    id: Some(c.id.clone()),
                    relation: Some(relation_str(c.party).to_string()),
                    number: Some(number_for_output(rng, c)),
                    timezone: c.tz.map(str::to_string),
                });
                let with_case = chance(rng, 0.97);
                if with_case {
                    it.case = Some(case_ctx(today));
                }
                let mut labels: Vec<&'static str> = Vec::new();
                let mut stop_signal = false;
                let mut summary = None;
                let mut ctx = make_ctx(sh, rng, case, agent, today);
                if outcome == Outcome::Connected {
                    // Who answers.
                    let answerer = if c.reassigned {
                        Answerer::Wrong
                    } else if c.party == Party::Debtor {
                        if !inbound && chance(rng, 0.02) {
                            Answerer::Third(Party::Spouse)
                        } else {
                            Answerer::Debtor
                        }
                    } else {
                        Answerer::Third(c.party)
                    };
                    it.party = match answerer {
                        _ if chance(rng, 0.05) => None,
                        Answerer::Wrong => Some(c.party),
                        Answerer::Third(_) if c.party == Party::Debtor => Some(Party::Debtor),
                        Answerer::Third(p) => {
                            Some(if chance(rng, 0.06) { Party::Unknown } else { p })
                        }
                        Answerer::Debtor => Some(Party::Debtor),
                    };
                    let situation = if chance(rng, 0.1) {
                        *pick(
                            rng,
                            &[
                                Situation::Cooperative,
                                Situation::Evasive,
                                Situation::Promise,
                                Situation::Unemployed,
                                Situation::Angry,
                            ],
                        )
                    } else {
                        case.situation
                    };
                    let ending =
                        if answerer == Answerer::Debtor && !inbound && p.stop != StopMode::Forced {
                            let ev = matches!(situation, Situation::Evasive | Situation::Angry);
                            weighted(
                                rng,
                                &[
                                    (Ending::Short, if ev { 0.14 } else { 0.04 }),
                                    (Ending::Hangup, if ev { 0.14 } else { 0.03 }),
                                    (Ending::Normal, 1.0),
                                ],
                            )
                        } else {
                            Ending::Normal
                        };
                    let style_f = match agent.style {
                        AgentStyle::Polite => 0.6,
                        AgentStyle::Brisk => 1.0,
                        AgentStyle::Pushy => 1.8,
                        AgentStyle::Novice => 1.4,
                    } / 1.06;
                    let mut inject = if chance(rng, (sh.violation_rate * style_f).min(1.0)) {
                        call::choose_injections(
                            rng,
                            answerer,
                            situation,
                            agent.style,
                            inbound,
                            ending,
                        )
                    } else {
                        Vec::new()
                    };
                    if !with_case {
                        inject.retain(|c| *c != call::cat::WRONG_AMOUNT);
                    }
                    if inject.contains(&call::cat::WRONG_AMOUNT) {
                        ctx.amt_cents = wrong_amount_cents(rng, case.balance_cents);
                        if ctx.pay_cents == case.balance_cents {
                            ctx.pay_cents = ctx.pay2_cents;
                            ctx.pay2_cents = call::lower_amount(ctx.pay_cents);
                        }
                    }
                    let spec = CallSpec {
                        answerer,
                        situation,
                        style: agent.style,
                        inbound,
                        ending,
                        stop: if inbound { StopMode::Never } else { p.stop },
                        inject,
                    };
                    let outc = call::build_call(rng, &mut ctx, &spec, &noise);
                    it.segments = outc.segments;
                    it.ended_at =
                        Some(p.at + SignedDuration::from_secs(outc.duration.ceil() as i64));
                    it.recording = Some(recording_uri(rng, &id, p.at));
                    labels.extend(outc.labels.iter().copied());
                    stop_signal = outc.stop_signal;
                    summary = Some(outc.summary);
                } else {
                    let secs = match outcome {
                        Outcome::NoAnswer => between(rng, 25, 60),
                        Outcome::Busy => between(rng, 3, 12),
                        Outcome::Rejected => between(rng, 5, 25),
                        _ => between(rng, 0, 3),
                    };
                    it.ended_at = Some(p.at + SignedDuration::from_secs(secs));
                    if chance(rng, 0.5) {
                        it.party = Some(c.party);
                    }
                }
                let end = it.ended_at.unwrap_or(p.at);
                let connected = outcome == Outcome::Connected;
                items.push(Emitted {
                    key: (p.at, 1),
                    item: Item::Interaction {
                        interaction: it,
                        labels: labels.iter().map(|s| s.to_string()).collect(),
                    },
                    ev: Some(Ev {
                        kind: Channel::Call,
                        outbound: !inbound,
                        connected,
                        contact,
                        stop_signal,
                    }),
                });
                if let Some(target) = p.dnc_after {
                    // The flag is set after the call, before the next contact with this person.
                    let next = plan
                        .iter()
                        .filter(|q| q.at > p.at)
                        .filter(|q| match (target, contact_of(q.kind)) {
                            (DncTarget::Case, Some(_)) => true,
                            (DncTarget::Contact(c0), Some(c1)) => c0 == c1,
                            _ => false,
                        })
                        .map(|q| q.at)
                        .min();
                    let room = next
                        .map_or(7200, |n| n.duration_since(end).as_secs() - 60)
                        .clamp(30, 7200);
                    let set_at = end + SignedDuration::from_secs(between(rng, 30.min(room), room));
                    let flag = Flag {
                        contact_id: match target {
                            DncTarget::Contact(ci) => Some(case.contacts[ci].id.clone()),
                            DncTarget::Case => None,
                        },
                        case_id: match target {
                            DncTarget::Case => Some(case.case_id.clone()),
                            DncTarget::Contact(_) => None,
                        },
                        flag: FlagKind::DoNotCall,
                        set_at,
                    };
                    items.push(Emitted {
                        key: (set_at, 0),
                        item: Item::Flag(flag),
                        ev: None,
                    });
                }
                if let Some(late) = p.note {
                    let nid = sh.next_interaction_id();
                    if let Some(Summary::Plan {
                        pay_cents,
                        date,
                        chan,
                    }) = &summary
                    {
                        ctx.pay_cents = *pay_cents;
                        ctx.plan_date = *date;
                        ctx.chan = chan.clone();
                    }
                    let oc = serde_json::to_value(outcome)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    let mut note = base_interaction(&nid, Channel::Note, case, &agent_id, p.at);
                    note.text = Some(channels::note_text(rng, &ctx, summary.as_ref(), &oc));
                    let delay = if late {
                        between(rng, 2 * 86_400, 6 * 86_400)
                    } else {
                        end.duration_since(p.at).as_secs() + between(rng, 60, 1500)
                    };
                    note.submitted_at = Some(p.at + SignedDuration::from_secs(delay));
                    let labels = if late {
                        vec!["late_submission".to_string()]
                    } else {
                        vec![]
                    };
                    items.push(Emitted {
                        key: (p.at, 2),
                        item: Item::Interaction {
                            interaction: note,
                            labels,
                        },
                        ev: None,
                    });
                }
            }
            Kind::Sms { contact, violating } => {
                let c = &case.contacts[contact];
                let today = local_day(sh, p.at, c.tz_name());
                let ctx = make_ctx(sh, rng, case, agent, today);
                let s = channels::sms(rng, &ctx, violating, contact != 0, sh.k());
                let id = sh.next_interaction_id();
                let mut it = base_interaction(&id, Channel::Sms, case, &agent_id, p.at);
                it.direction = Some(Direction::Outbound);
                it.party = Some(c.party);
                it.contact = Some(Contact {
                    id: Some(c.id.clone()),
                    relation: Some(relation_str(c.party).to_string()),
                    number: Some(number_for_output(rng, c)),
                    timezone: c.tz.map(str::to_string),
                });
                it.text = Some(s.text);
                it.template_id = s.template_id;
                items.push(Emitted {
                    key: (p.at, 1),
                    item: Item::Interaction {
                        interaction: it,
                        labels: s.labels.iter().map(|s| s.to_string()).collect(),
                    },
                    ev: Some(Ev {
                        kind: Channel::Sms,
                        outbound: true,
                        connected: false,
                        contact,
                        stop_signal: false,
                    }),
                });
            }
            Kind::Visit { fault } => {
                let c = &case.contacts[0];
                let today = local_day(sh, p.at, SHANGHAI);
                let ctx = make_ctx(sh, rng, case, agent, today);
                let id = sh.next_interaction_id();
                let mut it = base_interaction(&id, Channel::Visit, case, &agent_id, p.at);
                let dur = between(rng, 20, 80) * 60;
                let end = p.at + SignedDuration::from_secs(dur);
                it.ended_at = Some(end);
                it.party = Some(Party::Debtor);
                it.contact = Some(Contact {
                    id: Some(c.id.clone()),
                    relation: Some("debtor".into()),
                    number: Some(c.number.clone()),
                    timezone: c.tz.map(str::to_string),
                });
                it.text = Some(channels::visit_text(rng, &ctx));
                it.recording = Some(format!("rec/visit/{id}.mp3"));
                it.case = Some(case_ctx(today));
                let team = p.agent / world::TEAM_SIZE;
                let mate = team * world::TEAM_SIZE
                    + (p.agent + 1 + between(rng, 0, 3) as usize) % world::TEAM_SIZE;
                let mate = mate.min(sh.agents.len() - 1);
                let mut members = vec![agent_id.clone(), sh.agents[mate].id.clone()];
                if members[0] == members[1] {
                    members[1] = sh.agents[(mate + 1) % sh.agents.len()].id.clone();
                }
                let n_photos = between(rng, 2, 5);
                let mut photos: Vec<String> = (0..n_photos)
                    .map(|i| format!("photos/{id}/{}-{i}.jpg", pick(rng, world::PHOTO_SUFFIX)))
                    .collect();
                let mut approved =
                    Some(p.at - SignedDuration::from_secs(between(rng, 86_400, 3 * 86_400)));
                let mut entered =
                    Some(end + SignedDuration::from_secs(between(rng, 1800, 4 * 3600)));
                match fault {
                    Some(0) => members.truncate(1),
                    Some(1) => photos.clear(),
                    Some(2) => approved = None,
                    Some(3) => {
                        approved =
                            Some(p.at + SignedDuration::from_secs(between(rng, 3600, 86_400)))
                    }
                    Some(4) => {
                        entered = Some(
                            end + SignedDuration::from_secs(between(rng, 3 * 86_400, 7 * 86_400)),
                        )
                    }
                    _ => {}
                }
                it.visit = Some(VisitInfo {
                    members,
                    photos,
                    application_approved_at: approved,
                    entered_at: entered,
                });
                let labels = if fault.is_some() {
                    vec!["visit_rule".to_string()]
                } else {
                    vec![]
                };
                items.push(Emitted {
                    key: (p.at, 1),
                    item: Item::Interaction {
                        interaction: it,
                        labels,
                    },
                    ev: None,
                });
            }
        }
    }
    label_events(sh, case, &mut items);
    items.sort_by_key(|e| e.key);
    out.extend(items.into_iter().map(|e| e.item));
    calls
}

fn base_interaction(
    id: &str,
    kind: Channel,
    case: &CaseInfo,
    agent_id: &str,
    at: Timestamp,
) -> Interaction {
    Interaction {
        id: id.to_string(),
        kind,
        case_id: case.case_id.clone(),
        agent_id: agent_id.to_string(),
        client: case.client.full.to_string(),
        started_at: at,
        ended_at: None,
        direction: None,
        outcome: None,
        party: None,
        contact: None,
        segments: Vec::new(),
        text: None,
        recording: None,
        timezone: None,
        case: None,
        visit: None,
        submitted_at: None,
        template_id: None,
    }
}

fn recording_uri(rng: &mut Rng, id: &str, at: Timestamp) -> String {
    let d = at.to_zoned(TimeZone::fixed(jiff::tz::offset(8))).date();
    if chance(rng, 0.5) {
        format!("rec/{}/{:02}/{:02}/{id}.wav", d.year(), d.month(), d.day())
    } else {
        format!(
            "oss://zj-recordings/{}{:02}{:02}/{id}.mp3",
            d.year(),
            d.month(),
            d.day()
        )
    }
}

/// The event-log labels, computed exactly under the default limits over this case's items in
/// time order (contacts never span cases, so per-case state is complete).
fn label_events(sh: &Shared, case: &CaseInfo, items: &mut [Emitted]) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].key);
    let mut flags: Vec<(Option<String>, Option<String>, Timestamp)> = Vec::new();
    let mut attempts: HashMap<(String, Date), usize> = HashMap::new();
    let mut connected: HashMap<(usize, Date), usize> = HashMap::new();
    let mut stops: HashMap<(usize, Date), Timestamp> = HashMap::new();
    for &i in &order {
        if let Item::Flag(f) = &items[i].item {
            if f.flag == FlagKind::DoNotCall {
                flags.push((f.contact_id.clone(), f.case_id.clone(), f.set_at));
            }
            continue;
        }
        let Some(ev) = items[i].ev.clone() else {
            continue;
        };
        let Item::Interaction {
            interaction,
            labels,
        } = &mut items[i].item
        else {
            continue;
        };
        if !ev.outbound {
            continue;
        }
        let c = &case.contacts[ev.contact];
        let tz = c.tz_name();
        let local = sh.zone(tz).to_datetime(interaction.started_at);
        let day = local.date();
        let mut add = |l: &str| {
            if !labels.iter().any(|x| x == l) {
                labels.push(l.to_string());
            }
        };
        if local.hour() >= 22 || local.hour() < 8 {
            add("off_hours");
        }
        if ev.kind == Channel::Call {
            let n = attempts
                .entry((zhijian_domain::normalize_number(&c.number), day))
                .or_default();
            *n += 1;
            let over_attempts = *n >= 7;
            let mut over_conn = false;
            if ev.connected {
                let m = connected.entry((ev.contact, day)).or_default();
                *m += 1;
                over_conn = *m >= 4;
            }
            if over_attempts || over_conn {
                add("excessive_frequency");
            }
        }
        let t = interaction.started_at;
        if flags.iter().any(|(cid, kid, set)| {
            *set < t
                && (cid.as_deref() == Some(c.id.as_str())
                    || kid.as_deref() == Some(case.case_id.as_str()))
        }) {
            add("do_not_call");
        }
        if stops.get(&(ev.contact, day)).is_some_and(|s| *s < t) {
            add("continued_after_stop_request");
        }
        if ev.kind == Channel::Call && ev.connected && ev.stop_signal {
            stops.entry((ev.contact, day)).or_insert(t);
        }
    }
}
