//! The column mapping: which headers mean which field, per table kind. This table is the one
//! place where header synonyms live; docs/tabular.md shows it (a test keeps the two in step).
//!
//! Headers are compared after [`normalize_header`]: full-width letters to ASCII, lower case,
//! without spaces, underscores, hyphens, dots, asterisks, colons, slashes, and without anything
//! in brackets (`通话时长（秒）` → `通话时长`). Within a field, synonyms earlier in the list win
//! over later ones when a file has several matching columns.

use std::sync::OnceLock;

use super::TableKind;

/// A field that a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Id,
    CaseId,
    AgentId,
    Client,
    Number,
    Relation,
    ContactId,
    ContactName,
    Party,
    StartedAt,
    AnsweredAt,
    EndedAt,
    Duration,
    Outcome,
    Direction,
    Recording,
    Text,
    TemplateId,
    SubmittedAt,
    Timezone,
    Product,
    Principal,
    Balance,
    DaysPastDue,
    Stage,
    Debtor,
    OpenedOn,
    Name,
    Branch,
    Team,
    Region,
    HiredOn,
    Supervisor,
    Source,
    Category,
    ReceivedAt,
    ClosedAt,
    InteractionId,
    Summary,
    FlagKind,
    SetAt,
}

pub(crate) const FIELD_COUNT: usize = Field::SetAt as usize + 1;

impl Field {
    /// The field's name in interchange terms (English), as the docs and errors show it.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::CaseId => "case_id",
            Field::AgentId => "agent_id",
            Field::Client => "client",
            Field::Number => "number",
            Field::Relation => "relation",
            Field::ContactId => "contact_id",
            Field::ContactName => "contact_name",
            Field::Party => "party",
            Field::StartedAt => "started_at",
            Field::AnsweredAt => "answered_at",
            Field::EndedAt => "ended_at",
            Field::Duration => "duration",
            Field::Outcome => "outcome",
            Field::Direction => "direction",
            Field::Recording => "recording",
            Field::Text => "text",
            Field::TemplateId => "template_id",
            Field::SubmittedAt => "submitted_at",
            Field::Timezone => "timezone",
            Field::Product => "product",
            Field::Principal => "principal",
            Field::Balance => "balance",
            Field::DaysPastDue => "days_past_due",
            Field::Stage => "stage",
            Field::Debtor => "debtor",
            Field::OpenedOn => "opened_on",
            Field::Name => "name",
            Field::Branch => "branch",
            Field::Team => "team",
            Field::Region => "region",
            Field::HiredOn => "hired_on",
            Field::Supervisor => "supervisor",
            Field::Source => "source",
            Field::Category => "category",
            Field::ReceivedAt => "received_at",
            Field::ClosedAt => "closed_at",
            Field::InteractionId => "interaction_id",
            Field::Summary => "summary",
            Field::FlagKind => "flag",
            Field::SetAt => "set_at",
        }
    }
}

/// Whether a table needs the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    Required,
    Optional,
    /// At least one of the kind's `AnyOf` columns is required.
    AnyOf,
}

/// One line of the mapping: the headers that feed `field` in a table of `kind`. `signature`
/// columns are the ones that tell this kind of table apart from the others: a table is only
/// recognised by its headers when at least one of its signature columns is present.
#[derive(Debug)]
pub(crate) struct Spec {
    pub kind: TableKind,
    pub field: Field,
    pub need: Need,
    pub signature: bool,
    pub names: &'static [&'static str],
}

use Field as F;
use Need::{AnyOf, Optional as Opt, Required as Req};
use TableKind as K;

const CASE_ID: &[&str] = &[
    "案件编号",
    "案件号",
    "案件ID",
    "案件代码",
    "案件编码",
    "case_id",
    "case no",
    "case number",
    "合同编号",
    "合同号",
    "借据号",
    "借款编号",
];
const AGENT_ID: &[&str] = &[
    "坐席工号",
    "催收员工号",
    "催收员编号",
    "催收员ID",
    "坐席编号",
    "坐席ID",
    "坐席号",
    "员工工号",
    "员工编号",
    "作业员工号",
    "工号",
    "agent_id",
    "agent no",
    "staff_id",
    "employee_id",
    "operator_id",
    "坐席",
    "催收员",
    "agent",
];
const CLIENT: &[&str] = &[
    "委托方编号",
    "委托方代码",
    "委托方ID",
    "委托方",
    "委托机构",
    "委托方名称",
    "委托公司",
    "委案机构",
    "甲方",
    "客户方",
    "合作机构",
    "client_id",
    "client",
    "client_name",
    "lender",
];
const NUMBER: &[&str] = &[
    "被叫号码",
    "联系电话",
    "手机号",
    "手机号码",
    "电话号码",
    "联系号码",
    "客户号码",
    "客户电话",
    "接收号码",
    "接收手机号",
    "对方号码",
    "拨打号码",
    "呼叫号码",
    "电话",
    "号码",
    "number",
    "phone",
    "phone_number",
    "mobile",
    "callee",
];
const RELATION: &[&str] = &[
    "联系人关系",
    "与债务人关系",
    "与借款人关系",
    "与客户关系",
    "与本人关系",
    "关系",
    "联系人类型",
    "relation",
    "relationship",
];
const CONTACT_ID: &[&str] = &["联系人编号", "联系人ID", "contact_id"];
const TIMEZONE: &[&str] = &["时区", "timezone", "time_zone", "tz"];
const GENERIC_ID: &[&str] = &["流水号", "记录编号", "记录ID", "编号", "id", "record_id"];
const CALL_ID: &[&str] = &[
    "通话ID",
    "通话编号",
    "呼叫编号",
    "呼叫ID",
    "通话流水号",
    "呼叫流水号",
    "call_id",
    "uniqueid",
    "录音编号",
];
const PRODUCT: &[&str] = &["产品", "产品类型", "产品名称", "业务类型", "product"];
const BALANCE: &[&str] = &[
    "欠款金额",
    "剩余应还",
    "剩余应还金额",
    "余额",
    "欠款余额",
    "逾期金额",
    "应还金额",
    "待还金额",
    "委案金额",
    "债务金额",
    "balance",
    "amount_due",
    "outstanding",
];
const DAYS_PAST_DUE: &[&str] = &[
    "逾期天数",
    "逾期天",
    "账龄天数",
    "days_past_due",
    "dpd",
    "overdue_days",
];
const STAGE: &[&str] = &["催收阶段", "阶段", "逾期阶段", "账龄", "stage", "bucket"];

static SPECS: &[Spec] = &[
    // ---- call detail records / contact logs ----
    s(K::Calls, F::Id, Opt, true, CALL_ID),
    s(K::Calls, F::Id, Opt, false, GENERIC_ID),
    s(K::Calls, F::CaseId, Req, false, CASE_ID),
    s(K::Calls, F::AgentId, Req, false, AGENT_ID),
    s(K::Calls, F::Client, Opt, false, CLIENT),
    s(K::Calls, F::Number, Opt, false, NUMBER),
    s(K::Calls, F::Relation, Opt, false, RELATION),
    s(K::Calls, F::ContactId, Opt, false, CONTACT_ID),
    s(
        K::Calls,
        F::Party,
        Opt,
        false,
        &["接听人身份", "接听人", "接听对象", "通话对象", "party"],
    ),
    s(
        K::Calls,
        F::StartedAt,
        Req,
        false,
        &[
            "呼叫开始时间",
            "通话开始时间",
            "拨打时间",
            "呼叫时间",
            "外呼时间",
            "拨号时间",
            "开始时间",
            "通话时间",
            "呼叫发起时间",
            "start_time",
            "started_at",
            "call_time",
            "start",
        ],
    ),
    s(
        K::Calls,
        F::AnsweredAt,
        Opt,
        true,
        &["接通时间", "应答时间", "answer_time", "answered_at"],
    ),
    s(
        K::Calls,
        F::EndedAt,
        Opt,
        true,
        &[
            "通话结束时间",
            "呼叫结束时间",
            "结束时间",
            "挂机时间",
            "挂断时间",
            "end_time",
            "ended_at",
            "end",
        ],
    ),
    s(
        K::Calls,
        F::Duration,
        Opt,
        true,
        &[
            "通话时长",
            "时长",
            "通话秒数",
            "计费时长",
            "通话时间长度",
            "duration",
            "talk_time",
            "billsec",
        ],
    ),
    s(
        K::Calls,
        F::Outcome,
        Opt,
        true,
        &[
            "呼叫结果",
            "接通状态",
            "通话状态",
            "呼叫状态",
            "接听状态",
            "通话结果",
            "外呼结果",
            "是否接通",
            "call_result",
            "outcome",
            "disposition",
        ],
    ),
    s(
        K::Calls,
        F::Outcome,
        Opt,
        false,
        &["状态", "结果", "status", "result"],
    ),
    s(
        K::Calls,
        F::Direction,
        Opt,
        true,
        &[
            "呼叫方向",
            "呼叫类型",
            "通话类型",
            "通话方向",
            "呼入呼出",
            "direction",
            "call_type",
        ],
    ),
    s(
        K::Calls,
        F::Recording,
        Opt,
        true,
        &[
            "录音文件",
            "录音路径",
            "录音地址",
            "录音文件名",
            "录音链接",
            "录音URL",
            "录音名称",
            "录音",
            "recording",
            "recording_url",
            "recording_path",
            "record_file",
        ],
    ),
    s(K::Calls, F::Timezone, Opt, false, TIMEZONE),
    s(K::Calls, F::Product, Opt, false, PRODUCT),
    s(K::Calls, F::Balance, Opt, false, BALANCE),
    s(K::Calls, F::DaysPastDue, Opt, false, DAYS_PAST_DUE),
    s(K::Calls, F::Stage, Opt, false, STAGE),
    // ---- SMS logs ----
    s(
        K::Sms,
        F::Id,
        Opt,
        true,
        &[
            "短信编号",
            "短信ID",
            "短信流水号",
            "消息编号",
            "消息ID",
            "sms_id",
            "message_id",
            "msgid",
        ],
    ),
    s(K::Sms, F::Id, Opt, false, GENERIC_ID),
    s(K::Sms, F::CaseId, Req, false, CASE_ID),
    s(K::Sms, F::AgentId, Opt, false, AGENT_ID),
    s(K::Sms, F::Client, Opt, false, CLIENT),
    s(K::Sms, F::Number, Opt, false, NUMBER),
    s(K::Sms, F::Relation, Opt, false, RELATION),
    s(K::Sms, F::ContactId, Opt, false, CONTACT_ID),
    s(
        K::Sms,
        F::StartedAt,
        Req,
        true,
        &[
            "发送时间",
            "短信发送时间",
            "下发时间",
            "send_time",
            "sent_at",
        ],
    ),
    s(
        K::Sms,
        F::StartedAt,
        Req,
        false,
        &["提交时间", "开始时间", "时间", "created_at", "started_at"],
    ),
    s(
        K::Sms,
        F::Text,
        Req,
        true,
        &[
            "短信内容",
            "短信正文",
            "短信文本",
            "发送内容",
            "sms_content",
            "sms_text",
            "message",
        ],
    ),
    s(
        K::Sms,
        F::Text,
        Req,
        false,
        &["内容", "正文", "content", "text"],
    ),
    s(
        K::Sms,
        F::TemplateId,
        Opt,
        true,
        &[
            "模板编号",
            "模板ID",
            "模板代码",
            "模版编号",
            "模版ID",
            "短信模板编号",
            "短信模板",
            "模板",
            "template_id",
            "template",
        ],
    ),
    s(
        K::Sms,
        F::Outcome,
        Opt,
        true,
        &["发送状态", "发送结果", "回执状态", "送达状态"],
    ),
    s(
        K::Sms,
        F::Outcome,
        Opt,
        false,
        &["状态", "结果", "status", "result"],
    ),
    s(K::Sms, F::Timezone, Opt, false, TIMEZONE),
    // ---- collection notes (催记) ----
    s(
        K::Notes,
        F::Id,
        Opt,
        true,
        &["催记编号", "催记ID", "note_id"],
    ),
    s(K::Notes, F::Id, Opt, false, GENERIC_ID),
    s(K::Notes, F::CaseId, Req, false, CASE_ID),
    s(K::Notes, F::AgentId, Req, false, AGENT_ID),
    s(K::Notes, F::Client, Opt, false, CLIENT),
    s(K::Notes, F::Number, Opt, false, NUMBER),
    s(K::Notes, F::Relation, Opt, false, RELATION),
    s(K::Notes, F::ContactId, Opt, false, CONTACT_ID),
    s(
        K::Notes,
        F::StartedAt,
        Req,
        true,
        &["催记时间", "催收时间", "跟进时间", "note_time"],
    ),
    s(
        K::Notes,
        F::StartedAt,
        Req,
        false,
        &[
            "记录时间",
            "联系时间",
            "创建时间",
            "时间",
            "created_at",
            "started_at",
            "开始时间",
        ],
    ),
    s(
        K::Notes,
        F::Text,
        Req,
        true,
        &[
            "催记内容",
            "催收记录",
            "催记",
            "跟进记录",
            "跟进内容",
            "催收小结",
            "催收备注",
            "沟通记录",
            "note",
            "notes",
            "note_text",
        ],
    ),
    s(
        K::Notes,
        F::Text,
        Req,
        false,
        &["内容", "记录内容", "备注", "content", "text", "remark"],
    ),
    s(
        K::Notes,
        F::SubmittedAt,
        Opt,
        false,
        &["提交时间", "录入时间", "填写时间", "submitted_at"],
    ),
    s(K::Notes, F::Timezone, Opt, false, TIMEZONE),
    // ---- complaints (投诉工单) ----
    s(
        K::Complaints,
        F::Id,
        Req,
        true,
        &[
            "工单号",
            "工单编号",
            "投诉编号",
            "投诉单号",
            "投诉工单号",
            "投诉ID",
            "complaint_id",
            "ticket_id",
            "ticket_no",
        ],
    ),
    s(K::Complaints, F::CaseId, Req, false, CASE_ID),
    s(
        K::Complaints,
        F::Source,
        Req,
        true,
        &["投诉来源", "投诉渠道", "来源", "渠道", "source", "channel"],
    ),
    s(
        K::Complaints,
        F::ReceivedAt,
        Req,
        false,
        &[
            "受理时间",
            "投诉时间",
            "登记时间",
            "接收时间",
            "创建时间",
            "received_at",
            "received_time",
            "created_at",
        ],
    ),
    s(
        K::Complaints,
        F::ClosedAt,
        Opt,
        false,
        &[
            "结案时间",
            "办结时间",
            "完结时间",
            "关闭时间",
            "处理完成时间",
            "closed_at",
            "closed_time",
        ],
    ),
    s(
        K::Complaints,
        F::AgentId,
        Opt,
        false,
        &["被投诉坐席工号", "被投诉人工号", "被投诉坐席", "涉诉坐席"],
    ),
    s(K::Complaints, F::AgentId, Opt, false, AGENT_ID),
    s(
        K::Complaints,
        F::InteractionId,
        Opt,
        false,
        &[
            "通话ID",
            "通话编号",
            "关联通话",
            "呼叫编号",
            "录音编号",
            "interaction_id",
            "call_id",
        ],
    ),
    s(
        K::Complaints,
        F::Category,
        Opt,
        true,
        &["投诉类型", "投诉分类", "投诉类别", "问题类型", "category"],
    ),
    s(K::Complaints, F::Category, Opt, false, &["类型", "type"]),
    s(
        K::Complaints,
        F::Summary,
        Opt,
        false,
        &[
            "投诉内容",
            "投诉描述",
            "问题描述",
            "投诉详情",
            "诉求",
            "摘要",
            "summary",
            "description",
            "content",
        ],
    ),
    // ---- flags ----
    s(
        K::Flags,
        F::FlagKind,
        Req,
        true,
        &[
            "标记类型",
            "标记",
            "标记名称",
            "标签类型",
            "标签",
            "flag",
            "flag_type",
            "tag",
        ],
    ),
    s(
        K::Flags,
        F::SetAt,
        Req,
        false,
        &[
            "标记时间",
            "设置时间",
            "添加时间",
            "生效时间",
            "创建时间",
            "set_at",
            "created_at",
            "time",
        ],
    ),
    s(K::Flags, F::CaseId, AnyOf, false, CASE_ID),
    s(K::Flags, F::ContactId, AnyOf, false, CONTACT_ID),
    // ---- contacts ----
    s(K::Contacts, F::Id, Opt, true, CONTACT_ID),
    s(K::Contacts, F::CaseId, Req, false, CASE_ID),
    s(K::Contacts, F::Number, Req, false, NUMBER),
    s(K::Contacts, F::Relation, Opt, true, RELATION),
    s(
        K::Contacts,
        F::ContactName,
        Opt,
        true,
        &[
            "联系人姓名",
            "联系人",
            "联系人名称",
            "contact_name",
            "contact",
        ],
    ),
    s(K::Contacts, F::ContactName, Opt, false, &["姓名", "name"]),
    s(K::Contacts, F::Timezone, Opt, false, TIMEZONE),
    // ---- cases ----
    s(K::Cases, F::Id, Req, true, CASE_ID),
    s(K::Cases, F::Client, Req, false, CLIENT),
    s(K::Cases, F::Product, Opt, false, PRODUCT),
    s(
        K::Cases,
        F::Principal,
        Opt,
        true,
        &["本金", "借款本金", "贷款本金", "委案本金", "principal"],
    ),
    s(K::Cases, F::Balance, Opt, false, BALANCE),
    s(K::Cases, F::DaysPastDue, Opt, false, DAYS_PAST_DUE),
    s(K::Cases, F::Stage, Opt, false, STAGE),
    s(
        K::Cases,
        F::Debtor,
        Opt,
        true,
        &[
            "债务人姓名",
            "客户姓名",
            "借款人姓名",
            "债务人",
            "借款人",
            "客户名称",
            "姓名",
            "debtor",
            "debtor_name",
            "customer_name",
        ],
    ),
    s(
        K::Cases,
        F::AgentId,
        Opt,
        false,
        &[
            "分配催收员工号",
            "所属催收员工号",
            "分配催收员",
            "所属催收员",
            "跟进人",
        ],
    ),
    s(K::Cases, F::AgentId, Opt, false, AGENT_ID),
    s(
        K::Cases,
        F::OpenedOn,
        Opt,
        true,
        &[
            "分案日期",
            "委案日期",
            "入催日期",
            "分配日期",
            "委托日期",
            "开案日期",
            "opened_on",
            "assigned_on",
        ],
    ),
    // ---- agents ----
    s(
        K::Agents,
        F::Id,
        Req,
        false,
        &[
            "工号",
            "坐席工号",
            "催收员工号",
            "员工工号",
            "员工编号",
            "坐席编号",
            "催收员编号",
            "坐席ID",
            "agent_id",
            "staff_id",
            "employee_id",
            "id",
        ],
    ),
    s(
        K::Agents,
        F::Name,
        Req,
        false,
        &[
            "姓名",
            "坐席姓名",
            "催收员姓名",
            "员工姓名",
            "坐席",
            "催收员",
            "name",
            "agent_name",
        ],
    ),
    s(
        K::Agents,
        F::Branch,
        Opt,
        true,
        &[
            "分公司",
            "分部",
            "所属分公司",
            "所属机构",
            "分中心",
            "职场",
            "branch",
        ],
    ),
    s(
        K::Agents,
        F::Team,
        Opt,
        true,
        &[
            "小组",
            "团队",
            "组别",
            "所属小组",
            "所属团队",
            "班组",
            "组",
            "team",
            "group",
        ],
    ),
    s(
        K::Agents,
        F::Region,
        Opt,
        true,
        &["地区", "区域", "所属地区", "省份", "城市", "region", "area"],
    ),
    s(
        K::Agents,
        F::HiredOn,
        Opt,
        true,
        &["入职日期", "入职时间", "hired_on", "hire_date"],
    ),
    s(
        K::Agents,
        F::Supervisor,
        Opt,
        true,
        &[
            "组长工号",
            "主管工号",
            "组长",
            "主管",
            "上级",
            "supervisor",
            "team_lead",
            "leader",
        ],
    ),
    // ---- clients ----
    s(
        K::Clients,
        F::Id,
        Opt,
        true,
        &[
            "委托方编号",
            "委托方代码",
            "委托方ID",
            "机构编号",
            "机构代码",
            "client_id",
            "client_code",
            "id",
        ],
    ),
    s(
        K::Clients,
        F::Name,
        Req,
        true,
        &[
            "委托方名称",
            "委托方",
            "委托机构",
            "机构名称",
            "client_name",
            "client",
        ],
    ),
    s(K::Clients, F::Name, Req, false, &["名称", "name"]),
];

const fn s(
    kind: TableKind,
    field: Field,
    need: Need,
    signature: bool,
    names: &'static [&'static str],
) -> Spec {
    Spec {
        kind,
        field,
        need,
        signature,
        names,
    }
}

/// The order in which kinds win a tie.
const PRIORITY: [TableKind; 9] = [
    K::Calls,
    K::Sms,
    K::Notes,
    K::Complaints,
    K::Flags,
    K::Contacts,
    K::Cases,
    K::Agents,
    K::Clients,
];

/// A header as it is compared: see the module documentation.
pub(crate) fn normalize_header(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    let mut depth = 0usize;
    for ch in h.chars() {
        let ch = halfwidth(ch);
        match ch {
            '(' | '[' | '【' | '〔' | '<' | '《' => depth += 1,
            ')' | ']' | '】' | '〕' | '>' | '》' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c if c.is_whitespace()
                || matches!(
                    c,
                    '_' | '-'
                        | '.'
                        | '*'
                        | ':'
                        | '/'
                        | '\\'
                        | '#'
                        | '"'
                        | '\''
                        | '、'
                        | '\u{feff}'
                        | '\u{200b}'
                ) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Full-width ASCII (`（`, `Ａ`, `１`) and the ideographic space to their ASCII forms.
pub(crate) fn halfwidth(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The unit written in brackets after a header (`通话时长(分钟)` → `分钟`), normalized.
fn header_unit(h: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for ch in h.chars().map(halfwidth) {
        match ch {
            '(' | '[' | '【' => depth += 1,
            ')' | ']' | '】' => depth = depth.saturating_sub(1),
            c if depth > 0 && !c.is_whitespace() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

fn normalized_specs() -> &'static [Vec<String>] {
    static N: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    N.get_or_init(|| {
        SPECS
            .iter()
            .map(|s| s.names.iter().map(|n| normalize_header(n)).collect())
            .collect()
    })
}

/// Which column feeds which field, for one table kind.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    pub kind: TableKind,
    cols: [Option<usize>; FIELD_COUNT],
    scale: [f64; FIELD_COUNT],
    /// Columns matched, and how many of them are signature columns.
    matched: usize,
    signatures: usize,
    missing: Vec<&'static Spec>,
    any_of_missing: Vec<&'static Spec>,
}

impl Mapping {
    pub(crate) fn col(&self, f: Field) -> Option<usize> {
        self.cols[f as usize]
    }
    /// The factor that turns a value of this column into the base unit (seconds, yuan).
    pub(crate) fn scale(&self, f: Field) -> f64 {
        self.scale[f as usize]
    }
    fn complete(&self) -> bool {
        self.missing.is_empty() && self.any_of_missing.is_empty()
    }
    /// `(header, field)` for every column that is used.
    pub(crate) fn used(&self, headers: &[String]) -> Vec<(String, &'static str)> {
        let mut v: Vec<(usize, &'static str)> = SPECS
            .iter()
            .filter(|s| s.kind == self.kind)
            .filter_map(|s| self.col(s.field).map(|c| (c, s.field.key())))
            .collect();
        v.sort();
        v.dedup();
        v.into_iter()
            .filter_map(|(c, k)| headers.get(c).map(|h| (h.clone(), k)))
            .collect()
    }
    /// The missing required columns, as `field (同义词1 / 同义词2 / …)`.
    fn missing_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.missing {
            let name = describe(s);
            if !out.contains(&name) {
                out.push(name);
            }
        }
        if !self.any_of_missing.is_empty() {
            let alts: Vec<String> = self.any_of_missing.iter().map(|s| describe(s)).collect();
            out.push(alts.join(" 或/or "));
        }
        out
    }
}

fn describe(s: &Spec) -> String {
    // The synonyms of every spec line of this field, the first few of them.
    let names: Vec<&str> = SPECS
        .iter()
        .filter(|o| o.kind == s.kind && o.field == s.field)
        .flat_map(|o| o.names.iter().copied())
        .take(3)
        .collect();
    format!("{} ({})", s.field.key(), names.join(" / "))
}

fn map_kind(kind: TableKind, norm: &[String], raw: &[String]) -> Mapping {
    let mut m = Mapping {
        kind,
        cols: [None; FIELD_COUNT],
        scale: [1.0; FIELD_COUNT],
        matched: 0,
        signatures: 0,
        missing: Vec::new(),
        any_of_missing: Vec::new(),
    };
    let mut taken = vec![false; norm.len()];
    let all = normalized_specs();
    let mut any_of_found = false;
    let mut any_of: Vec<&'static Spec> = Vec::new();
    for (spec, names) in SPECS.iter().zip(all) {
        if spec.kind != kind {
            continue;
        }
        if spec.need == AnyOf {
            any_of.push(spec);
        }
        if m.cols[spec.field as usize].is_some() {
            continue;
        }
        // Earlier synonyms win; among equal ones the leftmost column.
        let free = &taken;
        let best = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty())
            .flat_map(|(rank, n)| {
                norm.iter()
                    .enumerate()
                    .filter(move |(c, h)| *h == n && !free[*c])
                    .map(move |(c, _)| (rank, c))
            })
            .min();
        if let Some((_, c)) = best {
            taken[c] = true;
            m.cols[spec.field as usize] = Some(c);
            m.scale[spec.field as usize] = unit_scale(spec.field, &raw[c]);
            m.matched += 1;
            if spec.signature {
                m.signatures += 1;
            }
            if spec.need == AnyOf {
                any_of_found = true;
            }
        }
    }
    for spec in SPECS.iter().filter(|s| s.kind == kind && s.need == Req) {
        if m.cols[spec.field as usize].is_none() && !m.missing.iter().any(|x| x.field == spec.field)
        {
            m.missing.push(spec);
        }
    }
    if !any_of.is_empty() && !any_of_found {
        m.any_of_missing = any_of;
    }
    m
}

fn unit_scale(field: Field, header: &str) -> f64 {
    let unit = header_unit(header);
    match field {
        Field::Duration => match unit.as_str() {
            "毫秒" | "ms" => 0.001,
            "分" | "分钟" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "时" | "小时" | "h" | "hour" | "hours" => 3600.0,
            _ => 1.0,
        },
        Field::Principal | Field::Balance if unit.contains('万') => 10_000.0,
        _ => 1.0,
    }
}

/// What the headers of a file say.
pub(crate) enum Detected {
    Table(Box<Mapping>),
    /// The headers look like this kind of table, but columns it needs are missing.
    Incomplete {
        kind: TableKind,
        missing: Vec<String>,
    },
    Unknown,
}

/// Recognise the table kind from its headers (or check the forced one).
pub(crate) fn detect(headers: &[String], forced: Option<TableKind>) -> Detected {
    let norm: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    if let Some(kind) = forced {
        let m = map_kind(kind, &norm, headers);
        return if m.complete() {
            Detected::Table(Box::new(m))
        } else {
            Detected::Incomplete {
                kind,
                missing: m.missing_names(),
            }
        };
    }
    let mut best: Option<(usize, bool, Mapping)> = None;
    for kind in PRIORITY {
        let m = map_kind(kind, &norm, headers);
        if m.signatures == 0 {
            continue;
        }
        let score = m.matched + m.signatures;
        let complete = m.complete();
        let better = match &best {
            None => true,
            Some((s, c, _)) => (score, complete) > (*s, *c),
        };
        if better {
            best = Some((score, complete, m));
        }
    }
    match best {
        Some((_, true, m)) => Detected::Table(Box::new(m)),
        Some((_, false, m)) => Detected::Incomplete {
            kind: m.kind,
            missing: m.missing_names(),
        },
        None => Detected::Unknown,
    }
}

/// The mapping as Markdown tables, one per kind (docs/tabular.md embeds it).
pub(crate) fn markdown() -> String {
    let mut out = String::new();
    for kind in [
        K::Calls,
        K::Sms,
        K::Notes,
        K::Complaints,
        K::Cases,
        K::Agents,
        K::Contacts,
        K::Clients,
        K::Flags,
    ] {
        out.push_str(&format!(
            "\n### {} — `{}` ({})\n\n| field | need | headers (any of; earlier wins) |\n|---|---|---|\n",
            kind.label_zh(),
            kind.as_str(),
            kind.label_en()
        ));
        let mut fields: Vec<Field> = Vec::new();
        for spec in SPECS.iter().filter(|s| s.kind == kind) {
            if !fields.contains(&spec.field) {
                fields.push(spec.field);
            }
        }
        for f in fields {
            let specs: Vec<&Spec> = SPECS
                .iter()
                .filter(|s| s.kind == kind && s.field == f)
                .collect();
            let need = match specs[0].need {
                Req => "required",
                Opt => "optional",
                AnyOf => "one of these",
            };
            let names: Vec<String> = specs
                .iter()
                .map(|s| {
                    let list = s
                        .names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if s.signature {
                        format!("**{list}**")
                    } else {
                        list
                    }
                })
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                f.key(),
                need,
                names.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize_header(" 通话时长（秒） "), "通话时长");
        assert_eq!(normalize_header("Start_Time"), "starttime");
        assert_eq!(normalize_header("*案件编号"), "案件编号");
        assert_eq!(normalize_header("Case No."), "caseno");
        assert_eq!(normalize_header("ＣＡＳＥ＿ＩＤ"), "caseid");
        assert_eq!(header_unit("通话时长（分钟）"), "分钟");
    }

    #[test]
    fn every_spec_is_consistent() {
        for kind in PRIORITY {
            let specs: Vec<&Spec> = SPECS.iter().filter(|s| s.kind == kind).collect();
            assert!(
                specs.iter().any(|s| s.signature),
                "{kind:?} has no signature"
            );
            // All lines of one field agree on the need.
            for s in &specs {
                for o in &specs {
                    if s.field == o.field {
                        assert_eq!(s.need, o.need, "{kind:?} {:?}", s.field);
                    }
                }
            }
            // No synonym feeds two fields of one kind.
            let mut seen = std::collections::HashMap::new();
            for s in &specs {
                for n in s.names {
                    let n = normalize_header(n);
                    if let Some(f) = seen.insert(n.clone(), s.field) {
                        assert_eq!(f, s.field, "{kind:?}: `{n}` feeds two fields");
                    }
                }
            }
        }
    }

    #[test]
    fn detects_kinds() {
        let cases: &[(&[&str], TableKind)] = &[
            (
                &[
                    "案件编号",
                    "坐席工号",
                    "被叫号码",
                    "呼叫开始时间",
                    "通话时长(秒)",
                    "呼叫结果",
                ],
                K::Calls,
            ),
            (
                &[
                    "案件编号",
                    "坐席工号",
                    "手机号",
                    "发送时间",
                    "短信内容",
                    "模板编号",
                ],
                K::Sms,
            ),
            (
                &["案件编号", "催收员工号", "催记时间", "催记内容"],
                K::Notes,
            ),
            (
                &["工单号", "案件编号", "投诉来源", "受理时间"],
                K::Complaints,
            ),
            (&["案件编号", "委托方", "本金", "逾期天数"], K::Cases),
            (&["案件编号", "委托方"], K::Cases),
            (&["工号", "姓名", "分公司", "小组"], K::Agents),
            (
                &["案件编号", "联系人姓名", "联系人关系", "联系电话"],
                K::Contacts,
            ),
            (&["委托方编号", "委托方名称"], K::Clients),
            (&["案件编号", "标记类型", "标记时间"], K::Flags),
            (
                &[
                    "case_id",
                    "agent_id",
                    "phone",
                    "start_time",
                    "duration",
                    "outcome",
                ],
                K::Calls,
            ),
        ];
        for (headers, kind) in cases {
            match detect(&h(headers), None) {
                Detected::Table(m) => assert_eq!(m.kind, *kind, "{headers:?}"),
                _ => panic!("{headers:?} not recognised"),
            }
        }
        // A call log without the agent column is reported as such, not taken for cases.
        match detect(
            &h(&["案件编号", "委托方", "被叫号码", "呼叫开始时间", "通话时长"]),
            None,
        ) {
            Detected::Incomplete { kind, missing } => {
                assert_eq!(kind, K::Calls);
                assert_eq!(missing.len(), 1);
                assert!(missing[0].starts_with("agent_id (坐席工号"), "{missing:?}");
            }
            _ => panic!("expected incomplete"),
        }
        assert!(matches!(
            detect(&h(&["foo", "bar"]), None),
            Detected::Unknown
        ));
    }
}
