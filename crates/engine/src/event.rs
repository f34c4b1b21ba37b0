//! Event-log rules: over the whole input, grouped by contact and local calendar day in the
//! contact's time zone. The index keeps only a compact record per interaction (about 40
//! bytes), so inspecting millions of interactions keeps memory flat.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use zhijian_domain::{Channel, Flag, FlagKind, Interaction};

use crate::compile::{Compiled, Kind, Num, Rule};
use crate::pack::EventCheck;

const NONE: u32 = u32::MAX;

/// The compact record of one interaction that event-log rules need.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// Position of the interaction in the input (the key results are looked up by).
    pub ordinal: u32,
    /// Seconds since the Unix epoch.
    pub ts: i64,
    /// Local calendar day (days since 1970-01-01 in the contact's time zone).
    pub day: i32,
    /// Calendar day in the pack's time zone (the agency's working day: notes are compared
    /// with the calls of the same working day).
    pub agency_day: i32,
    pub person: u32,
    pub number: u32,
    pub contact: u32,
    pub case: u32,
    pub client: u32,
    pub flags: u8,
}

const F_OUTBOUND: u8 = 1;
const F_CONNECTED: u8 = 2;
const F_CALL: u8 = 4;
const F_STOP: u8 = 8;
const F_NOTE: u8 = 16;
const F_NOTE_CLAIMS: u8 = 32;
const F_CONTACT: u8 = 64; // a contact attempt (call, sms or visit), not a note

/// A hit found by an index-wide rule, stored until the interaction is inspected.
#[derive(Debug, Clone)]
pub struct EventHit {
    pub rule: u32,
    pub message: String,
    pub excerpt: String,
}

/// Dense ids for keys (contacts, numbers, cases). Keys are stored as 64-bit SipHash digests
/// with fixed keys, not as strings, so a million contacts cost a few MB; a collision among a
/// million keys has a probability of about 3·10⁻⁸. Names are kept only where a message needs
/// them (clients).
#[derive(Default)]
struct Interner {
    map: HashMap<u64, u32>,
    names: Option<Vec<String>>,
}

fn digest(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x5a68_696a_6961_6e21, 0x7a68_696a_6961_6e00);
    s.hash(&mut h);
    h.finish()
}

impl Interner {
    fn with_names() -> Self {
        Interner {
            map: HashMap::new(),
            names: Some(Vec::new()),
        }
    }
    fn get(&mut self, s: &str) -> u32 {
        let next = self.map.len() as u32;
        let id = *self.map.entry(digest(s)).or_insert(next);
        if id == next
            && let Some(n) = self.names.as_mut()
        {
            n.push(s.to_string());
        }
        id
    }
    fn lookup(&self, s: &str) -> u32 {
        self.map.get(&digest(s)).copied().unwrap_or(NONE)
    }
    fn name(&self, id: u32) -> &str {
        self.names
            .as_ref()
            .and_then(|n| n.get(id as usize))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Collects observations and flags; `finish` evaluates the index-wide rules.
pub struct IndexBuilder {
    obs: Vec<Observation>,
    /// Ids of the calls in which the customer asked to stop (named in findings).
    stop_ids: HashMap<u32, Box<str>>,
    persons: Interner,
    numbers: Interner,
    contacts: Interner,
    cases: Interner,
    clients: Interner,
    flags: Vec<(bool, u32, FlagKind, i64)>,
    pending_flags: Vec<Flag>,
    tz_cache: HashMap<String, TimeZone>,
}

/// The finished index: event-log hits by interaction ordinal.
#[derive(Debug, Default)]
pub struct EventIndex {
    hits: HashMap<u32, Vec<EventHit>>,
    pub interactions: usize,
    pub flags: usize,
}

impl EventIndex {
    pub fn hits(&self, ordinal: u32) -> &[EventHit] {
        self.hits.get(&ordinal).map(Vec::as_slice).unwrap_or(&[])
    }
}

pub(crate) fn local(
    c: &Compiled,
    i: &Interaction,
    cache: &mut HashMap<String, TimeZone>,
) -> jiff::Zoned {
    let name = i
        .contact
        .as_ref()
        .and_then(|k| k.timezone.as_deref())
        .or(i.timezone.as_deref());
    let tz = match name {
        Some(n) => cache
            .entry(n.to_string())
            .or_insert_with(|| TimeZone::get(n).unwrap_or_else(|_| c.default_tz.clone()))
            .clone(),
        None => c.default_tz.clone(),
    };
    i.started_at.to_zoned(tz)
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder {
            obs: Vec::new(),
            stop_ids: HashMap::new(),
            persons: Interner::default(),
            numbers: Interner::default(),
            contacts: Interner::default(),
            cases: Interner::default(),
            clients: Interner::with_names(),
            flags: Vec::new(),
            pending_flags: Vec::new(),
            tz_cache: HashMap::new(),
        }
    }
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.obs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.obs.is_empty()
    }

    pub fn add_flag(&mut self, f: &Flag) {
        self.pending_flags.push(f.clone());
    }

    /// Record one interaction; `ordinal` is the key its results will be looked up by.
    pub fn add(&mut self, engine: &crate::Engine, ordinal: u32, i: &Interaction) {
        let c = &engine.c;
        let z = local(c, i, &mut self.tz_cache);
        let day = (z.date() - jiff::civil::date(1970, 1, 1)).get_days();
        let agency_day = (i.started_at.to_zoned(c.default_tz.clone()).date()
            - jiff::civil::date(1970, 1, 1))
        .get_days();
        let mut flags = 0u8;
        if i.is_outbound() {
            flags |= F_OUTBOUND;
        }
        if i.is_connected() {
            flags |= F_CONNECTED;
        }
        if i.kind == Channel::Call {
            flags |= F_CALL;
        }
        if i.kind == Channel::Note {
            flags |= F_NOTE;
        } else {
            flags |= F_CONTACT;
        }
        if i.kind == Channel::Call && i.is_connected() && engine.customer_asked_to_stop(i) {
            flags |= F_STOP;
        }
        if i.kind == Channel::Note && engine.note_claims(i) {
            flags |= F_NOTE_CLAIMS;
        }
        let person = self.persons.get(&i.person_key());
        let number = i.number_key().map_or(NONE, |n| self.numbers.get(&n));
        let contact = i
            .contact
            .as_ref()
            .and_then(|k| k.id.as_deref())
            .map_or(NONE, |k| self.contacts.get(k));
        let case = self.cases.get(&i.case_id);
        let client = self.clients.get(&i.client);
        self.obs.push(Observation {
            ordinal,
            ts: i.started_at.as_second(),
            day,
            agency_day,
            person,
            number,
            contact,
            case,
            client,
            flags,
        });
        if flags & F_STOP != 0 {
            self.stop_ids
                .insert(self.obs.len() as u32 - 1, i.id.clone().into_boxed_str());
        }
    }

    pub fn finish(mut self, engine: &crate::Engine) -> EventIndex {
        let c = &engine.c;
        for f in std::mem::take(&mut self.pending_flags) {
            let (by_case, key) = match (&f.contact_id, &f.case_id) {
                (Some(k), _) => (false, self.contacts.lookup(k)),
                (None, Some(k)) => (true, self.cases.lookup(k)),
                _ => continue,
            };
            if key != NONE {
                self.flags
                    .push((by_case, key, f.flag, f.set_at.as_second()));
            }
        }
        let mut hits: HashMap<u32, Vec<EventHit>> = HashMap::new();
        fn push(
            hits: &mut HashMap<u32, Vec<EventHit>>,
            ord: u32,
            rule: u32,
            message: String,
            excerpt: String,
        ) {
            hits.entry(ord).or_default().push(EventHit {
                rule,
                message,
                excerpt,
            });
        }
        let fmt_ts = |ts: i64| -> String {
            Timestamp::from_second(ts)
                .map(|t| {
                    t.to_zoned(c.default_tz.clone())
                        .strftime("%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default()
        };
        // Order: by (person, day, time) — and by (number, day, time) for attempts.
        let order = |keep: fn(&Observation) -> bool, key: fn(&Observation) -> (u32, i32)| {
            let mut v: Vec<u32> = (0..self.obs.len() as u32)
                .filter(|&k| keep(&self.obs[k as usize]))
                .collect();
            v.sort_by_key(|&k| {
                let o = &self.obs[k as usize];
                (key(o), o.ts, o.ordinal)
            });
            v
        };
        let by_person = order(|_| true, |o| (o.person, o.day));
        let by_number = order(|o| o.number != NONE, |o| (o.number, o.day));
        let by_case = order(|_| true, |o| (o.case, o.agency_day));
        let client_name = |o: &Observation| self.clients.name(o.client);
        for (ri, r) in c.rules.iter().enumerate() {
            let Kind::Event { check, limit, .. } = &r.kind else {
                continue;
            };
            let ri = ri as u32;
            let lim = |o: &Observation| {
                limit
                    .as_ref()
                    .and_then(|l| c.params.num(client_name(o), l))
                    .unwrap_or(f64::INFINITY)
            };
            let disabled = |o: &Observation| c.rule_off(r, client_name(o));
            match check {
                EventCheck::ConnectedPerPerson => {
                    for group in groups(&by_person, &self.obs, |o| (o.person, o.day)) {
                        let mut n = 0;
                        let mut prior: Vec<i64> = Vec::new();
                        for &k in group {
                            let o = &self.obs[k as usize];
                            if o.flags & (F_OUTBOUND | F_CONNECTED | F_CALL)
                                != (F_OUTBOUND | F_CONNECTED | F_CALL)
                            {
                                continue;
                            }
                            n += 1;
                            let l = lim(o);
                            if f64::from(n) > l && !disabled(o) {
                                let times: Vec<String> = prior.iter().map(|t| fmt_ts(*t)).collect();
                                push(
                                    &mut hits,
                                    o.ordinal,
                                    ri,
                                    format!("{}：当日第{}次接通（上限{}次）", r.title, n, l),
                                    format!("同一联系人当日已接通：{}", times.join("、")),
                                );
                            }
                            prior.push(o.ts);
                        }
                    }
                }
                EventCheck::AttemptsPerNumber => {
                    for group in groups(&by_number, &self.obs, |o| (o.number, o.day)) {
                        let mut n = 0;
                        for &k in group {
                            let o = &self.obs[k as usize];
                            if o.flags & (F_OUTBOUND | F_CALL) != (F_OUTBOUND | F_CALL) {
                                continue;
                            }
                            n += 1;
                            let l = lim(o);
                            if f64::from(n) > l && !disabled(o) {
                                push(
                                    &mut hits,
                                    o.ordinal,
                                    ri,
                                    format!(
                                        "{}：同一号码当日第{}次拨打（上限{}次）",
                                        r.title, n, l
                                    ),
                                    String::new(),
                                );
                            }
                        }
                    }
                }
                EventCheck::DoNotCall => {
                    for o in &self.obs {
                        if o.flags & (F_OUTBOUND | F_CONTACT) != (F_OUTBOUND | F_CONTACT)
                            || disabled(o)
                        {
                            continue;
                        }
                        let set = self
                            .flags
                            .iter()
                            .filter(|(by_case, key, kind, at)| {
                                *kind == FlagKind::DoNotCall
                                    && *at < o.ts
                                    && if *by_case {
                                        *key == o.case
                                    } else {
                                        *key == o.contact
                                    }
                            })
                            .map(|f| f.3)
                            .min();
                        if let Some(at) = set {
                            push(
                                &mut hits,
                                o.ordinal,
                                ri,
                                format!("{}：该联系人已于{}标记禁止致电", r.title, fmt_ts(at)),
                                String::new(),
                            );
                        }
                    }
                }
                EventCheck::AfterStopRequest => {
                    for group in groups(&by_person, &self.obs, |o| (o.person, o.day)) {
                        let mut stop_at: Option<(i64, &str)> = None;
                        for &k in group {
                            let o = &self.obs[k as usize];
                            if let Some((t, id)) = stop_at
                                && o.ts > t
                                && o.flags & (F_OUTBOUND | F_CONTACT) == (F_OUTBOUND | F_CONTACT)
                                && !disabled(o)
                            {
                                push(
                                    &mut hits,
                                    o.ordinal,
                                    ri,
                                    format!(
                                        "{}：对方已于{}要求停止联系或表示投诉（{}），当日仍再次联系",
                                        r.title,
                                        fmt_ts(t),
                                        id
                                    ),
                                    String::new(),
                                );
                            }
                            if o.flags & F_STOP != 0 && stop_at.is_none() {
                                stop_at = Some((o.ts, self.stop_ids.get(&k).map_or("", |b| &**b)));
                            }
                        }
                    }
                    // A complaint-risk flag set earlier the same local day counts as a stop signal.
                    for o in &self.obs {
                        if o.flags & (F_OUTBOUND | F_CONTACT) != (F_OUTBOUND | F_CONTACT)
                            || disabled(o)
                        {
                            continue;
                        }
                        let flagged = self.flags.iter().any(|(by_case, key, kind, at)| {
                            *kind == FlagKind::ComplaintRisk
                                && *at < o.ts
                                && o.ts - *at < 86_400
                                && same_local_day(c, *at, o)
                                && if *by_case {
                                    *key == o.case
                                } else {
                                    *key == o.contact
                                }
                        });
                        if flagged
                            && hits
                                .get(&o.ordinal)
                                .is_none_or(|v| !v.iter().any(|h| h.rule == ri))
                        {
                            push(
                                &mut hits,
                                o.ordinal,
                                ri,
                                format!("{}：当日已标记投诉风险后仍再次联系", r.title),
                                String::new(),
                            );
                        }
                    }
                }
                EventCheck::NoteMismatch => {
                    for group in groups(&by_case, &self.obs, |o| (o.case, o.agency_day)) {
                        let connected = group.iter().any(|&k| {
                            let o = &self.obs[k as usize];
                            o.flags & (F_CALL | F_CONNECTED) == (F_CALL | F_CONNECTED)
                        });
                        for &k in group {
                            let o = &self.obs[k as usize];
                            if o.flags & F_NOTE_CLAIMS != 0 && !connected && !disabled(o) {
                                push(
                                    &mut hits,
                                    o.ordinal,
                                    ri,
                                    format!(
                                        "{}：催记记载已与客户沟通，但当日该案件无接通录音",
                                        r.title
                                    ),
                                    String::new(),
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        EventIndex {
            hits,
            interactions: self.obs.len(),
            flags: self.flags.len(),
        }
    }
}

fn same_local_day(c: &Compiled, at: i64, o: &Observation) -> bool {
    Timestamp::from_second(at)
        .map(|t| {
            (t.to_zoned(c.default_tz.clone()).date() - jiff::civil::date(1970, 1, 1)).get_days()
                == o.day
        })
        .unwrap_or(false)
}

/// Runs of `order` with equal keys.
fn groups<'a, K: PartialEq>(
    order: &'a [u32],
    obs: &'a [Observation],
    key: impl Fn(&Observation) -> K + 'a,
) -> impl Iterator<Item = &'a [u32]> + 'a {
    order.chunk_by(move |a, b| key(&obs[*a as usize]) == key(&obs[*b as usize]))
}

/// Event rules that need only the interaction itself (hours, visits, notes, SMS, recording).
pub(crate) fn single(
    c: &Compiled,
    r: &Rule,
    i: &Interaction,
    tz_cache: &mut HashMap<String, TimeZone>,
) -> Option<(String, String)> {
    let Kind::Event {
        check,
        start,
        end,
        limit,
        hours,
        ratio,
        ..
    } = &r.kind
    else {
        return None;
    };
    let client = i.client.as_str();
    let num = |n: &Option<Num>, d: f64| {
        n.as_ref()
            .and_then(|n| c.params.num(client, n))
            .unwrap_or(d)
    };
    let visit = i.visit.as_ref();
    let end_ts = i.ended_at.unwrap_or(i.started_at);
    let hours_between =
        |a: Timestamp, b: Timestamp| (b.as_second() - a.as_second()) as f64 / 3600.0;
    // The window start–end (it may wrap midnight) and the contact's local time.
    let mut window = |zs: &Option<Num>, ze: &Option<Num>| {
        let (s, e) = (
            c.params.time(client, zs.as_ref()?)?,
            c.params.time(client, ze.as_ref()?)?,
        );
        let t = local(c, i, tz_cache).time();
        let inside = if s > e {
            t >= s || t < e
        } else {
            t >= s && t < e
        };
        Some((inside, t, s, e))
    };
    match check {
        EventCheck::OffHours => {
            if !(i.is_outbound() && matches!(i.kind, Channel::Call | Channel::Sms)) {
                return None;
            }
            // A forbidden window: a contact inside it violates.
            let (inside, t, s, e) = window(start, end)?;
            inside.then(|| {
                (
                    format!(
                        "{}：当地时间{}联系（禁止时段{}–{}）",
                        r.title,
                        t.strftime("%H:%M"),
                        s.strftime("%H:%M"),
                        e.strftime("%H:%M")
                    ),
                    String::new(),
                )
            })
        }
        EventCheck::VisitHours => {
            if i.kind != Channel::Visit {
                return None;
            }
            // An allowed window: a visit outside it violates.
            let (inside, t, s, e) = window(start, end)?;
            (!inside).then(|| {
                (
                    format!(
                        "{}：当地时间{}外访（允许{}–{}）",
                        r.title,
                        t.strftime("%H:%M"),
                        s.strftime("%H:%M"),
                        e.strftime("%H:%M")
                    ),
                    String::new(),
                )
            })
        }
        EventCheck::VisitMembers => {
            let v = visit.filter(|_| i.kind == Channel::Visit)?;
            let min = num(limit, 2.0);
            ((v.members.len() as f64) < min).then(|| {
                (
                    format!(
                        "{}：外访人员{}人（至少{}人）",
                        r.title,
                        v.members.len(),
                        min
                    ),
                    v.members.join("、"),
                )
            })
        }
        EventCheck::VisitApplication => {
            if i.kind != Channel::Visit {
                return None;
            }
            match visit.and_then(|v| v.application_approved_at) {
                Some(a) if a <= i.started_at => None,
                Some(a) => Some((
                    format!("{}：外访申请审批时间{}晚于外访开始", r.title, a),
                    String::new(),
                )),
                None => Some((
                    format!("{}：外访前无已审批的外访申请", r.title),
                    String::new(),
                )),
            }
        }
        EventCheck::VisitPhotos => {
            if i.kind != Channel::Visit {
                return None;
            }
            visit
                .is_none_or(|v| v.photos.is_empty())
                .then(|| (format!("{}：外访无现场照片", r.title), String::new()))
        }
        EventCheck::VisitRecording => {
            (i.kind == Channel::Visit && i.recording.is_none() && i.segments.is_empty())
                .then(|| (format!("{}：外访无录音", r.title), String::new()))
        }
        EventCheck::VisitEntryLate => {
            if i.kind != Channel::Visit {
                return None;
            }
            let max = num(hours, 24.0);
            let entered = visit.and_then(|v| v.entered_at).or(i.submitted_at)?;
            let h = hours_between(end_ts, entered);
            (h > max).then(|| {
                (
                    format!(
                        "{}：外访结束{:.1}小时后才录入（时限{}小时）",
                        r.title, h, max
                    ),
                    String::new(),
                )
            })
        }
        EventCheck::NoteLate => {
            if i.kind != Channel::Note {
                return None;
            }
            let max = num(hours, 24.0);
            let h = hours_between(i.started_at, i.submitted_at?);
            (h > max).then(|| {
                (
                    format!(
                        "{}：催记在联系后{:.1}小时才提交（时限{}小时）",
                        r.title, h, max
                    ),
                    String::new(),
                )
            })
        }
        EventCheck::RecordingMissing => {
            // Every connected call must be recorded, outbound or inbound.
            if i.kind != Channel::Call || !i.is_connected() {
                return None;
            }
            if i.recording.is_none() && i.segments.is_empty() {
                return Some((format!("{}：接通通话无录音", r.title), String::new()));
            }
            let dur = i
                .ended_at
                .map(|e| (e.as_second() - i.started_at.as_second()) as f64)?;
            let covered = i.segments.iter().map(|s| s.end).fold(0.0, f64::max);
            let min = num(ratio, 0.5);
            (dur >= 30.0 && !i.segments.is_empty() && covered / dur < min).then(|| {
                (
                    format!(
                        "{}：录音/转写仅覆盖{:.0}秒，通话时长{:.0}秒（不足{:.0}%）",
                        r.title,
                        covered,
                        dur,
                        min * 100.0
                    ),
                    String::new(),
                )
            })
        }
        EventCheck::SmsTemplate => {
            if i.kind != Channel::Sms || !i.is_outbound() {
                return None;
            }
            let text = i.text.as_deref().unwrap_or("");
            let norm = crate::normalize::normalize_phrase(text);
            let ok = c.sms_templates.iter().any(|t| {
                (t.clients.is_empty() || t.clients.iter().any(|x| x == client))
                    && t.re.is_match(&norm)
            });
            (!ok).then(|| {
                let claimed = i
                    .template_id
                    .as_deref()
                    .map(|t| format!("（声明模板{t}与内容不符）"))
                    .unwrap_or_default();
                (
                    format!("{}：短信内容不符合任何已审批模板{}", r.title, claimed),
                    text.chars().take(60).collect(),
                )
            })
        }
        _ => None,
    }
}
