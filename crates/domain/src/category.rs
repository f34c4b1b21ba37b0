use std::fmt;

use serde::{Deserialize, Serialize};

/// How a category is detected: from what was said or written, or from the log of contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    Content,
    EventLog,
}

/// The stable finding categories of PRODUCT.md. Their names never change meaning; a pack may
/// declare more (a client's own categories), which the engine accepts when declared.
pub const BUILTIN_CATEGORIES: &[(&str, CategoryKind, &str)] = &[
    ("abuse", CategoryKind::Content, "辱骂"),
    ("threat", CategoryKind::Content, "威胁恐吓"),
    ("impersonation", CategoryKind::Content, "冒充身份"),
    ("false_legal_claim", CategoryKind::Content, "虚假法律后果"),
    (
        "third_party_disclosure",
        CategoryKind::Content,
        "向第三方透露债务",
    ),
    ("unauthorized_promise", CategoryKind::Content, "违规承诺"),
    ("private_payment", CategoryKind::Content, "私收款项"),
    ("incite_complaint", CategoryKind::Content, "怂恿投诉"),
    ("wrong_amount", CategoryKind::Content, "告知金额错误"),
    (
        "wrong_business_explanation",
        CategoryKind::Content,
        "业务解释错误",
    ),
    ("pii_leak", CategoryKind::Content, "泄露个人信息"),
    (
        "missing_identity_verification",
        CategoryKind::Content,
        "未核实身份",
    ),
    (
        "missing_self_introduction",
        CategoryKind::Content,
        "未自我介绍",
    ),
    (
        "missing_recording_notice",
        CategoryKind::Content,
        "未告知录音",
    ),
    (
        "missing_debt_confirmation",
        CategoryKind::Content,
        "未确认债务",
    ),
    (
        "missing_repayment_plan",
        CategoryKind::Content,
        "未约定还款计划",
    ),
    ("agent_agitation", CategoryKind::Content, "坐席情绪激动"),
    ("long_silence", CategoryKind::Content, "长时间静音"),
    ("over_talk", CategoryKind::Content, "抢话"),
    ("off_hours", CategoryKind::EventLog, "非允许时段联系"),
    (
        "excessive_frequency",
        CategoryKind::EventLog,
        "联系频次超限",
    ),
    ("do_not_call", CategoryKind::EventLog, "联系禁止致电对象"),
    (
        "continued_after_stop_request",
        CategoryKind::EventLog,
        "要求停止后继续联系",
    ),
    ("visit_rule", CategoryKind::EventLog, "外访违规"),
    ("recording_missing", CategoryKind::EventLog, "录音缺失"),
    ("note_mismatch", CategoryKind::EventLog, "催记与录音不符"),
    ("late_submission", CategoryKind::EventLog, "提交不及时"),
    (
        "unapproved_sms_template",
        CategoryKind::EventLog,
        "未审批短信模板",
    ),
];

/// A finding category identifier (`abuse`, `off_hours`, or a pack-declared custom one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Category(pub String);

impl Category {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The built-in entry for this category, if it is one of PRODUCT.md's.
    pub fn builtin(&self) -> Option<(CategoryKind, &'static str)> {
        BUILTIN_CATEGORIES
            .iter()
            .find(|(n, _, _)| *n == self.0)
            .map(|(_, k, t)| (*k, *t))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Severity level 一级 (1, minor/process) … 四级 (4, red line), as in seed 004's audit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Level(u8);

impl Level {
    pub const RED_LINE: Level = Level(4);

    pub fn new(n: u8) -> Option<Level> {
        (1..=4).contains(&n).then_some(Level(n))
    }
    pub fn get(self) -> u8 {
        self.0
    }
    /// 一级 … 四级
    pub fn chinese(self) -> &'static str {
        ["一级", "二级", "三级", "四级"][usize::from(self.0 - 1)]
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        Level::new(n).ok_or_else(|| {
            serde::de::Error::custom(format!("level must be 1 (一级) to 4 (四级), got {n}"))
        })
    }
}
