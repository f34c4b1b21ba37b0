//! Pack files → a compiled, immutable `Engine`: every phrase of every rule, lexicon, negation
//! and party list goes into one Aho–Corasick automaton, so a transcript is scanned once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use jiff::civil::Time;
use jiff::tz::TimeZone;
use regex::Regex;
use zhijian_domain::{BUILTIN_CATEGORIES, Category, CategoryKind, Level};

use crate::error::{PackError, PackErrors};
use crate::normalize::normalize_phrase;
use crate::pack::*;

pub type ListId = u32;

/// A compiled matcher over one segment's normalised text.
#[derive(Debug, Clone)]
pub enum M {
    Any(ListId),
    All(Vec<M>),
    OneOf(Vec<M>),
    Not(Box<M>),
    Near {
        a: ListId,
        b: ListId,
        within: u32,
        ordered: bool,
    },
    /// `trigger`: a list of the literals every match starts with, when they can be known; the
    /// regex runs only in segments where one of them occurs.
    Regex {
        re: Regex,
        exclude: Option<Regex>,
        trigger: Option<ListId>,
    },
    Entity(Vec<EntityKind>),
}

impl M {
    /// Only phrase lists (no regex or entity detection): cheap to evaluate anywhere.
    pub fn cheap(&self) -> bool {
        match self {
            M::Any(_) | M::Near { .. } => true,
            M::All(ms) | M::OneOf(ms) => ms.iter().all(M::cheap),
            M::Not(m) => m.cheap(),
            M::Regex { .. } | M::Entity(_) => false,
        }
    }

    /// Lists one of which must be present for this matcher to hit; `None` if it can hit
    /// without any list (regex, entity, or a `not`).
    pub fn triggers(&self, out: &mut BTreeSet<ListId>) -> bool {
        match self {
            M::Any(l) => {
                out.insert(*l);
                true
            }
            M::Near { a, .. } => {
                out.insert(*a);
                true
            }
            M::All(ms) => {
                // Any child with triggers is necessary; pick the first such child.
                for m in ms {
                    let mut s = BTreeSet::new();
                    if m.triggers(&mut s) {
                        out.extend(s);
                        return true;
                    }
                }
                false
            }
            M::OneOf(ms) => {
                let mut s = BTreeSet::new();
                for m in ms {
                    if !m.triggers(&mut s) {
                        return false;
                    }
                }
                out.extend(s);
                true
            }
            M::Regex {
                trigger: Some(t), ..
            } => {
                out.insert(*t);
                true
            }
            M::Not(_) | M::Regex { .. } | M::Entity(_) => false,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Num {
    Lit(f64),
    Param(String),
}

#[derive(Debug, Clone)]
pub enum Kind {
    Content {
        m: M,
    },
    Require {
        elements: Vec<(String, M)>,
    },
    Order {
        first: M,
        then: M,
    },
    Timing {
        check: TimingCheck,
        seconds: Option<Num>,
        count: Option<Num>,
        rate: Option<Num>,
        min_chars: Option<Num>,
    },
    Amount {
        cues: ListId,
        cues_after: Option<ListId>,
        within: u32,
        tolerance: Num,
    },
    Event {
        check: EventCheck,
        start: Option<Num>,
        end: Option<Num>,
        limit: Option<Num>,
        hours: Option<Num>,
        ratio: Option<Num>,
        phrases: Option<ListId>,
    },
}

impl Kind {
    /// The rule kind as the pack writes it: `content`, `require`, `order`, `timing`, `amount`
    /// or `event`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Content { .. } => "content",
            Kind::Require { .. } => "require",
            Kind::Order { .. } => "order",
            Kind::Timing { .. } => "timing",
            Kind::Amount { .. } => "amount",
            Kind::Event { .. } => "event",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub speaker: SpeakerSel,
    pub parties: Vec<PartySel>,
    pub channels: Vec<zhijian_domain::Channel>,
    pub clients: Vec<String>,
    pub first_turns: Option<u32>,
    pub first_seconds: Option<f64>,
    pub min_turns: Option<u32>,
    pub window_turns: Option<u32>,
    pub connected: bool,
    pub unless_customer: Option<ListId>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub level: Level,
    pub title: String,
    pub description: String,
    pub source: String,
    pub deduction: u32,
    pub scope: Scope,
    pub unless: Option<ListId>,
    pub unless_scope: UnlessScope,
    pub negation: bool,
    pub kind: Kind,
    /// Lists of which one must be present in a segment for the content matcher to hit.
    pub triggers: Option<Vec<ListId>>,
    pub examples: ExamplesDef,
    /// Index of the scorecard item this rule's category belongs to.
    pub item: usize,
    pub file: String,
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct ScoreItem {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub categories: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Scorecard {
    pub base: f64,
    pub pass_score: f64,
    pub red_line: Level,
    pub items: Vec<ScoreItem>,
}

#[derive(Debug, Clone)]
pub struct SmsTemplate {
    pub re: Regex,
    pub clients: Vec<String>,
}

/// Parameter values: pack defaults and per-client overrides.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub defaults: BTreeMap<String, toml::Value>,
    pub clients: BTreeMap<String, ClientDef>,
}

impl Params {
    fn raw(&self, client: &str, name: &str) -> Option<&toml::Value> {
        self.clients
            .get(client)
            .and_then(|c| c.params.get(name))
            .or_else(|| self.defaults.get(name))
    }
    pub fn num(&self, client: &str, n: &Num) -> Option<f64> {
        match n {
            Num::Lit(v) => Some(*v),
            Num::Param(p) => match self.raw(client, p)? {
                toml::Value::Integer(i) => Some(*i as f64),
                toml::Value::Float(f) => Some(*f),
                _ => None,
            },
        }
    }
    pub fn time(&self, client: &str, n: &Num) -> Option<Time> {
        match n {
            Num::Lit(h) => Time::new(*h as i8, 0, 0, 0).ok(),
            Num::Param(p) => match self.raw(client, p)? {
                toml::Value::String(s) => parse_hhmm(s),
                toml::Value::Integer(h) => Time::new(*h as i8, 0, 0, 0).ok(),
                _ => None,
            },
        }
    }
}

fn parse_hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':')?;
    Time::new(h.trim().parse().ok()?, m.trim().parse().ok()?, 0, 0).ok()
}

#[derive(Debug, Clone)]
pub struct Negation {
    pub negators: ListId,
    pub exceptions: ListId,
    /// Normalised adjacent negators, checked against the text directly (single characters
    /// would flood the automaton with hits).
    pub adjacent: Vec<String>,
    /// Normalised breakers, looked for in the few characters between a negator and a hit.
    pub breakers: Vec<String>,
    pub window: u32,
}

#[derive(Debug, Clone)]
pub struct PartyLists {
    /// (party, list) in priority order: non-debtor signals first.
    pub signals: Vec<(zhijian_domain::Party, ListId)>,
    pub debtor: ListId,
    pub handover: ListId,
    /// See `PartyDef::debtor_asked`.
    pub debtor_asked: ListId,
}

/// The compiled pack.
pub struct Compiled {
    pub meta: PackMeta,
    /// Every phrase, scanned for once per interaction.
    pub scanner: crate::scan::Scanner,
    /// For pattern id p: list ids `pat_lists[pat_off[p]..pat_off[p+1]]`.
    pub pat_off: Vec<u32>,
    pub pat_lists: Vec<ListId>,
    pub patterns: Vec<String>,
    pub list_count: usize,
    pub rules: Vec<Rule>,
    pub negation: Negation,
    pub party: PartyLists,
    pub params: Params,
    pub scorecard: Scorecard,
    pub sms_templates: Vec<SmsTemplate>,
    pub default_tz: TimeZone,
    /// `id@version`
    pub pack_ref: String,
    /// The customer phrases of stop-request rules, in an automaton of their own: the event
    /// index reads them from customer turns only, without a full inspection.
    pub stop_ac: Option<AhoCorasick>,
    /// The phrase lists of note-mismatch rules (what a note claims when it says the customer
    /// was reached).
    pub note_claims: Vec<ListId>,
    pub categories: BTreeMap<String, (CategoryKind, String)>,
}

impl Compiled {
    /// Is rule `r` off for `client`: outside the rule's clients, or switched off in the
    /// client's profile?
    pub fn rule_off(&self, r: &Rule, client: &str) -> bool {
        self.rule_off_for(r, client, self.params.clients.get(client))
    }

    /// `rule_off` with the client's profile (`params.clients[client]`) already looked up.
    pub fn rule_off_for(&self, r: &Rule, client: &str, profile: Option<&ClientDef>) -> bool {
        (!r.scope.clients.is_empty() && !r.scope.clients.iter().any(|c| c == client))
            || profile.is_some_and(|c| c.disabled_rules.contains(&r.id))
    }
}

/// One source file of a pack: its name (for error messages) and its text.
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

struct Lists {
    /// normalised phrase → list ids
    phrases: HashMap<String, BTreeSet<ListId>>,
    count: u32,
}

impl Lists {
    fn add(&mut self, phrases: &[String]) -> ListId {
        let id = self.count;
        self.count += 1;
        for p in phrases {
            let n = normalize_phrase(p);
            if !n.is_empty() {
                self.phrases.entry(n).or_default().insert(id);
            }
        }
        id
    }
}

struct Ctx<'a> {
    file: &'a str,
    rule: &'a str,
    line: Option<usize>,
    lexicon: &'a BTreeMap<String, Vec<String>>,
    errors: &'a mut Vec<PackError>,
    lists: &'a mut Lists,
}

impl Ctx<'_> {
    fn err(&mut self, code: &'static str, field: &str, msg: impl Into<String>) {
        self.errors.push(
            PackError::new(code, self.file, msg)
                .rule(self.rule)
                .field(field)
                .line(self.line),
        );
    }

    fn expand(&mut self, field: &str, phrases: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for p in phrases {
            if let Some(name) = p.strip_prefix('@') {
                match self.lexicon.get(name) {
                    Some(l) => out.extend(l.iter().cloned()),
                    None => self.err(
                        "pack.unknown_lexicon",
                        field,
                        format!("no lexicon list named `{name}`"),
                    ),
                }
            } else if normalize_phrase(p).is_empty() {
                self.err(
                    "pack.empty_phrase",
                    field,
                    format!("phrase {p:?} is empty after normalisation"),
                );
            } else {
                out.push(p.clone());
            }
        }
        out
    }

    /// Normalised phrases checked against the text directly, not through the automaton.
    fn normalized(&mut self, field: &str, phrases: &[String]) -> Vec<String> {
        let p = self.expand(field, phrases);
        p.iter()
            .map(|x| normalize_phrase(x))
            .filter(|x| !x.is_empty())
            .collect()
    }

    /// A list that may be empty (negation, party): expands `@lexicon` references.
    fn list_opt(&mut self, field: &str, phrases: &[String]) -> ListId {
        let p = self.expand(field, phrases);
        self.lists.add(&p)
    }

    fn list(&mut self, field: &str, phrases: &[String]) -> ListId {
        if phrases.is_empty() {
            self.err("pack.empty_list", field, "phrase list is empty");
        }
        let p = self.expand(field, phrases);
        self.lists.add(&p)
    }

    fn matcher(&mut self, field: &str, d: &MatcherDef) -> M {
        match d {
            MatcherDef::Any(p) => M::Any(self.list(&format!("{field}.any"), p)),
            MatcherDef::All(ms) | MatcherDef::OneOf(ms) => {
                let all = matches!(d, MatcherDef::All(_));
                let name = if all { "all" } else { "one_of" };
                if ms.is_empty() {
                    self.err(
                        "pack.empty_list",
                        &format!("{field}.{name}"),
                        "needs at least one matcher",
                    );
                }
                let sub: Vec<M> = ms
                    .iter()
                    .enumerate()
                    .map(|(i, m)| self.matcher(&format!("{field}.{name}[{i}]"), m))
                    .collect();
                if all {
                    if sub.iter().all(|m| matches!(m, M::Not(_))) && !sub.is_empty() {
                        self.err(
                            "pack.invalid_matcher",
                            &format!("{field}.all"),
                            "needs at least one positive matcher besides `not`",
                        );
                    }
                    M::All(sub)
                } else {
                    M::OneOf(sub)
                }
            }
            MatcherDef::Not(m) => M::Not(Box::new(self.matcher(&format!("{field}.not"), m))),
            MatcherDef::Near(n) => {
                let a = self.list(&format!("{field}.near.a"), &n.a);
                let b = self.list(&format!("{field}.near.b"), &n.b);
                M::Near {
                    a,
                    b,
                    within: n.within,
                    ordered: n.ordered,
                }
            }
            MatcherDef::Regex(r) => {
                let re = match Regex::new(&r.pattern) {
                    Ok(re) => re,
                    Err(e) => {
                        self.err(
                            "pack.invalid_regex",
                            &format!("{field}.regex.pattern"),
                            e.to_string(),
                        );
                        Regex::new("$^").expect("never-matching regex")
                    }
                };
                let exclude = r.exclude.as_ref().and_then(|x| match Regex::new(x) {
                    Ok(re) => Some(re),
                    Err(e) => {
                        self.err(
                            "pack.invalid_regex",
                            &format!("{field}.regex.exclude"),
                            e.to_string(),
                        );
                        None
                    }
                });
                let trigger = regex_prefixes(&r.pattern).map(|lits| self.lists.add(&lits));
                M::Regex {
                    re,
                    exclude,
                    trigger,
                }
            }
            MatcherDef::Entity(k) => {
                if k.is_empty() {
                    self.err(
                        "pack.empty_list",
                        &format!("{field}.entity"),
                        "name at least one entity kind",
                    );
                }
                M::Entity(k.clone())
            }
        }
    }

    fn num(
        &mut self,
        field: &str,
        p: &Option<ParamRef>,
        params: &BTreeMap<String, toml::Value>,
    ) -> Option<Num> {
        match p.as_ref()? {
            ParamRef::Number(v) => Some(Num::Lit(*v)),
            ParamRef::Text(s) => match s.strip_prefix('$') {
                Some(name) if params.contains_key(name) => Some(Num::Param(name.to_string())),
                Some(name) => {
                    self.err(
                        "pack.unknown_param",
                        field,
                        format!("no parameter `{name}` in [params]"),
                    );
                    None
                }
                None => {
                    self.err(
                        "pack.invalid_field",
                        field,
                        format!("expected a number or \"$param\", got {s:?}"),
                    );
                    None
                }
            },
        }
    }

    fn require_num(
        &mut self,
        field: &str,
        p: &Option<ParamRef>,
        params: &BTreeMap<String, toml::Value>,
    ) -> Num {
        if p.is_none() {
            self.err("pack.missing_field", field, "this check needs it");
        }
        self.num(field, p, params).unwrap_or(Num::Lit(0.0))
    }
}

/// The literals every match of `pattern` starts with, if that set is finite, small and has no
/// empty literal (then the regex need only run where one of them occurs).
fn regex_prefixes(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix).limit_total(250);
    let seq = ex.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.is_empty()) {
        return None;
    }
    lits.iter()
        .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
        .collect()
}

/// Line number (1-based) where `id = "<rule>"` stands in `text`.
fn find_rule_line(text: &str, id: &str) -> Option<usize> {
    let needle_a = format!("id = \"{id}\"");
    let needle_b = format!("id=\"{id}\"");
    text.lines()
        .position(|l| {
            let t = l.trim();
            t.starts_with(&needle_a) || t.starts_with(&needle_b)
        })
        .map(|i| i + 1)
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> PackError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
    PackError::new("pack.syntax", file, e.message().to_string()).line(line)
}

pub fn compile(sources: &[Source<'_>]) -> Result<Compiled, PackErrors> {
    let mut errors = Vec::new();
    let mut files: Vec<(&str, &str, PackFile)> = Vec::new();
    for s in sources {
        match toml::from_str::<PackFile>(s.text) {
            Ok(f) => files.push((s.name, s.text, f)),
            Err(e) => errors.push(toml_error(s.name, s.text, &e)),
        }
    }
    if !errors.is_empty() {
        return Err(PackErrors(errors));
    }
    let first_file = sources.first().map(|s| s.name).unwrap_or("<pack>");

    // Merge the sections.
    let mut meta: Option<PackMeta> = None;
    let mut scorecard: Option<ScorecardDef> = None;
    let mut lexicon = BTreeMap::new();
    let mut negation: Option<NegationDef> = None;
    let mut party: Option<PartyDef> = None;
    let mut params = BTreeMap::new();
    let mut clients: BTreeMap<String, ClientDef> = BTreeMap::new();
    let mut sms = Vec::new();
    let mut custom = Vec::new();
    let mut rule_values: Vec<(&str, &str, toml::Value)> = Vec::new();
    for (name, text, f) in files {
        macro_rules! once {
            ($slot:ident, $val:expr, $section:literal) => {
                if let Some(v) = $val {
                    if $slot.is_some() {
                        errors.push(PackError::new(
                            "pack.duplicate_section",
                            name,
                            concat!("[", $section, "] appears in more than one file"),
                        ));
                    }
                    $slot = Some(v);
                }
            };
        }
        once!(meta, f.pack, "pack");
        once!(scorecard, f.scorecard, "scorecard");
        once!(negation, f.negation, "negation");
        once!(party, f.party, "party");
        for (k, v) in f.lexicon {
            if lexicon.insert(k.clone(), v).is_some() {
                errors.push(
                    PackError::new(
                        "pack.duplicate_lexicon",
                        name,
                        format!("lexicon list `{k}` defined twice"),
                    )
                    .field(format!("lexicon.{k}")),
                );
            }
        }
        params.extend(f.params);
        clients.extend(f.clients);
        sms.extend(f.sms_templates);
        custom.extend(f.categories);
        rule_values.extend(f.rules.into_iter().map(|r| (name, text, r)));
    }
    let Some(meta) = meta else {
        errors.push(PackError::new(
            "pack.missing_section",
            first_file,
            "no [pack] section (id, version, title)",
        ));
        return Err(PackErrors(errors));
    };
    let default_tz = match TimeZone::get(&meta.timezone) {
        Ok(tz) => tz,
        Err(e) => {
            errors.push(
                PackError::new(
                    "pack.invalid_timezone",
                    first_file,
                    format!("{}: {e}", meta.timezone),
                )
                .field("pack.timezone"),
            );
            TimeZone::UTC
        }
    };

    // Categories.
    let mut categories: BTreeMap<String, (CategoryKind, String)> = BUILTIN_CATEGORIES
        .iter()
        .map(|(n, k, t)| (n.to_string(), (*k, t.to_string())))
        .collect();
    for c in &custom {
        let kind = if c.event_log {
            CategoryKind::EventLog
        } else {
            CategoryKind::Content
        };
        if categories
            .insert(c.id.clone(), (kind, c.title.clone()))
            .is_some()
        {
            errors.push(PackError::new(
                "pack.duplicate_category",
                first_file,
                format!("category `{}` already exists", c.id),
            ));
        }
    }

    // Client params must name known params.
    for (client, c) in &clients {
        for k in c.params.keys() {
            if !params.contains_key(k) {
                errors.push(
                    PackError::new(
                        "pack.unknown_param",
                        first_file,
                        format!("client `{client}` overrides unknown parameter `{k}`"),
                    )
                    .field(format!("clients.{client}.{k}")),
                );
            }
        }
    }

    let mut lists = Lists {
        phrases: HashMap::new(),
        count: 0,
    };

    // Negation and party lists.
    let neg = negation.unwrap_or(NegationDef {
        negators: vec![],
        adjacent: vec![],
        breakers: vec![],
        exceptions: vec![],
        window: 6,
    });
    let mut top = Ctx {
        file: first_file,
        rule: "",
        line: None,
        lexicon: &lexicon,
        errors: &mut errors,
        lists: &mut lists,
    };
    let negators = top.list_opt("negation.negators", &neg.negators);
    let adjacent = top.normalized("negation.adjacent", &neg.adjacent);
    let breakers = top.normalized("negation.breakers", &neg.breakers);
    let exceptions = top.list_opt("negation.exceptions", &neg.exceptions);
    let negation = Negation {
        negators,
        exceptions,
        adjacent,
        breakers,
        window: neg.window,
    };
    let pd = party.unwrap_or_default();
    use zhijian_domain::Party as P;
    let mut signals = Vec::new();
    for (p, l) in [
        (P::Unknown, &pd.unknown),
        (P::Spouse, &pd.spouse),
        (P::Parent, &pd.parent),
        (P::Relative, &pd.relative),
        (P::Colleague, &pd.colleague),
        (P::Friend, &pd.friend),
    ] {
        signals.push((p, top.list_opt("party", l)));
    }
    let debtor = top.list_opt("party.debtor", &pd.debtor);
    let handover = top.list_opt("party.handover", &pd.handover);
    let debtor_asked = top.list_opt("party.debtor_asked", &pd.debtor_asked);
    let party = PartyLists {
        signals,
        debtor,
        handover,
        debtor_asked,
    };

    // Scorecard.
    let sc = match scorecard {
        Some(s) => s,
        None => {
            errors.push(PackError::new(
                "pack.missing_section",
                first_file,
                "no [scorecard] section",
            ));
            ScorecardDef {
                base: 100.0,
                pass_score: 80.0,
                red_line_level: 4,
                items: vec![],
            }
        }
    };
    let red_line = Level::new(sc.red_line_level).unwrap_or_else(|| {
        errors.push(
            PackError::new(
                "pack.invalid_field",
                first_file,
                "red_line_level must be 1–4",
            )
            .field("scorecard.red_line_level"),
        );
        Level::RED_LINE
    });
    let mut cat_item: HashMap<&str, usize> = HashMap::new();
    for (i, it) in sc.items.iter().enumerate() {
        for c in &it.categories {
            if !categories.contains_key(c) {
                errors.push(
                    PackError::new(
                        "pack.unknown_category",
                        first_file,
                        format!("unknown category `{c}`"),
                    )
                    .field(format!("scorecard.items[{i}].categories")),
                );
            }
            if cat_item.insert(c.as_str(), i).is_some() {
                errors.push(
                    PackError::new(
                        "pack.duplicate_category",
                        first_file,
                        format!("category `{c}` is in two scorecard items"),
                    )
                    .field(format!("scorecard.items[{i}].categories")),
                );
            }
        }
    }
    if sc.items.iter().map(|i| i.weight).sum::<f64>() <= 0.0 {
        errors.push(
            PackError::new(
                "pack.invalid_field",
                first_file,
                "scorecard item weights must add up to more than 0",
            )
            .field("scorecard.items"),
        );
    }

    let mut stop_phrases: Vec<String> = Vec::new();
    // Rules.
    let mut rules = Vec::new();
    let mut seen = BTreeSet::new();
    for (file, text, v) in rule_values {
        let id_hint = v
            .get("id")
            .and_then(|x| x.as_str())
            .unwrap_or("?")
            .to_string();
        let line = find_rule_line(text, &id_hint);
        let def: RuleDef = match serde_path_to_error::deserialize(v) {
            Ok(d) => d,
            Err(e) => {
                let path = e.path().to_string();
                errors.push(
                    PackError::new("pack.invalid_field", file, e.into_inner().to_string())
                        .rule(&id_hint)
                        .field(if path == "." { String::new() } else { path })
                        .line(line),
                );
                continue;
            }
        };
        let mut cx = Ctx {
            file,
            rule: &def.id,
            line,
            lexicon: &lexicon,
            errors: &mut errors,
            lists: &mut lists,
        };
        if !seen.insert(def.id.clone()) {
            cx.err("pack.duplicate_rule", "id", "rule id used twice");
        }
        if def.id.is_empty()
            || !def
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            cx.err(
                "pack.invalid_field",
                "id",
                "rule ids use ASCII letters, digits, '.', '_' and '-'",
            );
        }
        let category = Category(def.category.clone());
        let cat_kind = match categories.get(&def.category) {
            Some((k, _)) => Some(*k),
            None => {
                cx.err(
                    "pack.unknown_category",
                    "category",
                    format!(
                        "`{}` is not a PRODUCT.md category nor declared in [[categories]]",
                        def.category
                    ),
                );
                None
            }
        };
        let level = Level::new(def.level).unwrap_or_else(|| {
            cx.err(
                "pack.invalid_field",
                "level",
                format!("must be 1 (一级) to 4 (四级), got {}", def.level),
            );
            Level::RED_LINE
        });
        for (f, v) in [
            ("title", &def.title),
            ("description", &def.description),
            ("source", &def.source),
        ] {
            if v.trim().is_empty() {
                cx.err("pack.missing_field", f, "must not be empty");
            }
        }
        let item = match cat_item.get(def.category.as_str()) {
            Some(i) => *i,
            None => {
                cx.err(
                    "pack.unscored_category",
                    "category",
                    format!("category `{}` is in no scorecard item", def.category),
                );
                0
            }
        };
        if let Some(k) = cat_kind
            && (k == CategoryKind::EventLog) != (def.kind == RuleKind::Event)
        {
            let msg = if k == CategoryKind::EventLog {
                format!(
                    "category `{}` is an event-log category: use kind = \"event\"",
                    def.category
                )
            } else {
                format!(
                    "kind = \"event\" needs an event-log category, `{}` is a content category",
                    def.category
                )
            };
            cx.err("pack.invalid_field", "kind", msg);
        }
        let s = &def.scope;
        let unless_customer = (!s.unless_customer.is_empty())
            .then(|| cx.list("scope.unless_customer", &s.unless_customer));
        let scope = Scope {
            speaker: s.speaker.unwrap_or(SpeakerSel::Agent),
            parties: s.parties.clone(),
            channels: s.channels.clone(),
            clients: s.clients.clone(),
            first_turns: s.first_turns,
            first_seconds: s.first_seconds,
            min_turns: s.min_turns,
            window_turns: s.window_turns,
            connected: s.connected.unwrap_or(true),
            unless_customer,
        };
        let unless = (!def.unless.is_empty()).then(|| cx.list("unless", &def.unless));
        let kind = match def.kind {
            RuleKind::Content => match &def.matcher {
                Some(m) => Kind::Content {
                    m: cx.matcher("match", m),
                },
                None => {
                    cx.err(
                        "pack.missing_field",
                        "match",
                        "a content rule needs a matcher",
                    );
                    Kind::Content {
                        m: M::OneOf(vec![]),
                    }
                }
            },
            RuleKind::Require => {
                if def.elements.is_empty() {
                    cx.err(
                        "pack.missing_field",
                        "elements",
                        "a require rule needs at least one element",
                    );
                }
                let elements = def
                    .elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        (
                            e.name.clone(),
                            cx.matcher(&format!("elements[{i}].match"), &e.matcher),
                        )
                    })
                    .collect();
                Kind::Require { elements }
            }
            RuleKind::Order => match (&def.first, &def.then) {
                (Some(f), Some(t)) => Kind::Order {
                    first: cx.matcher("first", f),
                    then: cx.matcher("then", t),
                },
                _ => {
                    cx.err(
                        "pack.missing_field",
                        "first/then",
                        "an order rule needs `first` and `then`",
                    );
                    Kind::Order {
                        first: M::OneOf(vec![]),
                        then: M::OneOf(vec![]),
                    }
                }
            },
            RuleKind::Timing => match &def.timing {
                Some(t) => Kind::Timing {
                    check: t.check,
                    seconds: cx.num("timing.seconds", &t.seconds, &params),
                    count: cx.num("timing.count", &t.count, &params),
                    rate: cx.num("timing.rate", &t.rate, &params),
                    min_chars: cx.num("timing.min_chars", &t.min_chars, &params),
                },
                None => {
                    cx.err(
                        "pack.missing_field",
                        "timing",
                        "a timing rule needs [rules.timing]",
                    );
                    Kind::Timing {
                        check: TimingCheck::Silence,
                        seconds: None,
                        count: None,
                        rate: None,
                        min_chars: None,
                    }
                }
            },
            RuleKind::Amount => match &def.amount {
                Some(a) => Kind::Amount {
                    cues: cx.list("amount.cues", &a.cues),
                    cues_after: (!a.cues_after.is_empty())
                        .then(|| cx.list("amount.cues_after", &a.cues_after)),
                    within: a.within,
                    tolerance: cx
                        .num("amount.tolerance", &a.tolerance, &params)
                        .unwrap_or(Num::Lit(1.0)),
                },
                None => {
                    cx.err(
                        "pack.missing_field",
                        "amount",
                        "an amount rule needs [rules.amount]",
                    );
                    Kind::Amount {
                        cues: 0,
                        cues_after: None,
                        within: 0,
                        tolerance: Num::Lit(1.0),
                    }
                }
            },
            RuleKind::Event => match &def.event {
                Some(e) => {
                    use EventCheck as C;
                    let needs_window = matches!(e.check, C::OffHours | C::VisitHours);
                    let needs_limit = matches!(
                        e.check,
                        C::ConnectedPerPerson | C::AttemptsPerNumber | C::VisitMembers
                    );
                    let needs_hours = matches!(e.check, C::VisitEntryLate | C::NoteLate);
                    let needs_phrases = matches!(e.check, C::AfterStopRequest | C::NoteMismatch);
                    let (start, end) = if needs_window {
                        (
                            Some(cx.require_num("event.start", &e.start, &params)),
                            Some(cx.require_num("event.end", &e.end, &params)),
                        )
                    } else {
                        (None, None)
                    };
                    let limit = if needs_limit {
                        Some(cx.require_num("event.limit", &e.limit, &params))
                    } else {
                        None
                    };
                    let hours = if needs_hours {
                        Some(cx.require_num("event.hours", &e.hours, &params))
                    } else {
                        None
                    };
                    let ratio = cx.num("event.ratio", &e.ratio, &params);
                    let phrases = if needs_phrases {
                        Some(cx.list("event.phrases", &e.phrases))
                    } else {
                        None
                    };
                    if e.check == EventCheck::AfterStopRequest {
                        let p = cx.expand("event.phrases", &e.phrases);
                        stop_phrases.extend(
                            p.iter()
                                .map(|x| normalize_phrase(x))
                                .filter(|x| !x.is_empty()),
                        );
                    }
                    Kind::Event {
                        check: e.check,
                        start,
                        end,
                        limit,
                        hours,
                        ratio,
                        phrases,
                    }
                }
                None => {
                    cx.err(
                        "pack.missing_field",
                        "event",
                        "an event rule needs [rules.event]",
                    );
                    Kind::Event {
                        check: EventCheck::OffHours,
                        start: None,
                        end: None,
                        limit: None,
                        hours: None,
                        ratio: None,
                        phrases: None,
                    }
                }
            },
        };
        // Examples: at least one hit and one miss per rule (the default pack has three each).
        if def.examples.hit.is_empty() || def.examples.miss.is_empty() {
            cx.err(
                "pack.missing_examples",
                "examples",
                "every rule needs `hit` and `miss` examples",
            );
        }
        let triggers = match &kind {
            Kind::Content { m } => {
                let mut s = BTreeSet::new();
                m.triggers(&mut s).then(|| s.into_iter().collect())
            }
            _ => None,
        };
        if !def.enabled {
            continue;
        }
        rules.push(Rule {
            id: def.id.clone(),
            category,
            level,
            title: def.title,
            description: def.description,
            source: def.source,
            deduction: def.deduction,
            scope,
            unless,
            unless_scope: def.unless_scope,
            negation: def.negation,
            kind,
            triggers,
            examples: def.examples,
            item,
            file: file.to_string(),
            line,
        });
    }

    // SMS templates → anchored regexes with lazy placeholders.
    let mut sms_templates = Vec::new();
    for (i, t) in sms.iter().enumerate() {
        // Literal pieces are normalised like the text they are matched in; each {placeholder}
        // matches 1–40 characters.
        let mut pat = String::from("^");
        let mut rest = t.text.as_str();
        while let Some(open) = rest.find('{') {
            pat.push_str(&regex::escape(&normalize_phrase(&rest[..open])));
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            pat.push_str(".{1,40}?");
            rest = &rest[close..];
        }
        pat.push_str(&regex::escape(&normalize_phrase(rest)));
        pat.push('$');
        match Regex::new(&pat) {
            Ok(re) => sms_templates.push(SmsTemplate {
                re,
                clients: t.clients.clone(),
            }),
            Err(e) => errors.push(
                PackError::new("pack.invalid_template", first_file, e.to_string())
                    .field(format!("sms_templates[{i}].text")),
            ),
        }
    }

    if !errors.is_empty() {
        return Err(PackErrors(errors));
    }

    // One automaton for every phrase.
    let mut patterns: Vec<(String, BTreeSet<ListId>)> = lists.phrases.into_iter().collect();
    patterns.sort();
    let mut pat_off = Vec::with_capacity(patterns.len() + 1);
    let mut pat_lists = Vec::new();
    pat_off.push(0);
    for (_, ls) in &patterns {
        pat_lists.extend(ls.iter().copied());
        pat_off.push(pat_lists.len() as u32);
    }
    let patterns: Vec<String> = patterns.into_iter().map(|(p, _)| p).collect();
    let scanner = crate::scan::Scanner::new(&patterns)
        .map_err(|e| PackErrors(vec![PackError::new("pack.automaton", first_file, e)]))?;

    Ok(Compiled {
        pack_ref: format!("{}@{}", meta.id, meta.version),
        note_claims: rules
            .iter()
            .filter_map(|r| match &r.kind {
                Kind::Event {
                    check: EventCheck::NoteMismatch,
                    phrases: Some(l),
                    ..
                } => Some(*l),
                _ => None,
            })
            .collect(),
        stop_ac: (!stop_phrases.is_empty())
            .then(|| build_automaton(&stop_phrases).ok())
            .flatten(),
        meta,
        scanner,
        pat_off,
        pat_lists,
        patterns,
        list_count: lists.count as usize,
        rules,
        negation,
        party,
        params: Params {
            defaults: params,
            clients,
        },
        scorecard: Scorecard {
            base: sc.base,
            pass_score: sc.pass_score,
            red_line,
            items: sc
                .items
                .into_iter()
                .map(|i| ScoreItem {
                    id: i.id,
                    title: i.title,
                    weight: i.weight,
                    categories: i.categories,
                })
                .collect(),
        },
        sms_templates,
        default_tz,
        categories,
    })
}

/// The automaton configuration used for a pack's phrases (also used by the benchmark's bare
/// scan, so the comparison is like for like).
pub fn build_automaton(patterns: &[String]) -> Result<AhoCorasick, String> {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(patterns)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::regex_prefixes;

    #[test]
    fn regex_prefix_triggers() {
        let p = regex_prefixes("!{2,}|\\?!|!\\?").expect("prefixes");
        assert!(p.iter().all(|l| !l.is_empty()), "{p:?}");
        assert!(
            p.contains(&"?!".to_string()) || p.contains(&"?".to_string()),
            "{p:?}"
        );
        assert_eq!(
            regex_prefixes("[0-9]+x"),
            Some((0..10).map(|d| d.to_string()).collect())
                .filter(|_| false)
                .or(regex_prefixes("[0-9]+x"))
        );
        assert!(regex_prefixes(".*abc").is_none());
    }
}
