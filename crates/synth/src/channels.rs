//! SMS bodies, field-visit summaries and collection notes (催记).

use crate::call::{Ctx, Summary, cat};
use crate::util::{Rng, chance, pick};

/// The approved SMS templates: `(template_id, body)`. They mirror the `[[sms_templates]]` of
/// the default rule pack (`rules/cn-default/pack.toml`), with the generator's slots in place of
/// the pack's `{placeholders}`. An SMS whose body follows none of them (free text, with or
/// without a `template_id`) is labelled `unapproved_sms_template`.
pub const APPROVED_SMS_TEMPLATES: &[(&str, &str)] = &[
    (
        "T-REMIND-01",
        "【{ag}】尊敬的{nm}，您在{cl}的{prod}已逾期{dpdn}天，欠款{amtn}元，请于{date}前通过官方渠道还款，如已还款请忽略。",
    ),
    (
        "T-CALLBACK-01",
        "【{ag}】{nm}您好，我们多次联系您未果，请您于{date}前回电{cb}，谢谢。",
    ),
    (
        "T-PLAN-01",
        "【{ag}】{nm}您好，您已约定于{date}通过{chan}还款{payn}元，请按时处理，如有疑问请致电{cb}。",
    ),
    (
        "T-PAID-01",
        "【{ag}】{nm}您好，您于{today}的还款{payn}元已到账，感谢您的配合。",
    ),
];

const FREE_CLEAN: &[&str] = &[
    "{nm}您好，我是{ag}的{mename}，刚才给您打电话没接通，看到请回电{cb}。",
    "{sur}{title}，您好，关于您{cl}账户的事情麻烦回个电话，{cb}，工号{no}。",
    "您好，{ag}小{me}，您之前说{date}还款，记得按时处理哦。",
    "{nm}，我是小{me}，有空回个电话，谢谢。",
];

const UNAPPROVED_IDS: &[&str] = &["TPL-TMP-09", "SMS-X17", "TEMP-2026-031", "T-REMIND-01"];

const FREE_THREAT: &[&str] = &[
    "{name}，再不还钱我们就去你单位找你领导，让你同事都知道。",
    "{name}你听好，今天不还，明天就把你欠钱的事发给你通讯录所有人。",
    "最后通知：{name}再不处理，我们的人将上门到你家解决。",
];

const FREE_FALSE_LEGAL: &[&str] = &[
    "【法务通知】{name}，你已涉嫌恶意逃债，法院已立案，传票三日内送达。",
    "{name}，你拖欠{cl}欠款已构成诈骗，公安将依法对你拘留。",
];

const FREE_ABUSE: &[&str] = &[
    "老赖{name}，欠钱不还还要不要脸？",
    "{name}你个骗子，借钱不还的废物。",
];

const TP_DISCLOSE: &[&str] = &[
    "您好，您的朋友{name}在{cl}欠款{amt}已逾期，请督促其尽快还款。",
    "{name}欠{cl}的钱逾期{days}了，麻烦您转告{he}尽快还款。",
];

pub(crate) struct SmsOut {
    pub text: String,
    pub template_id: Option<String>,
    pub labels: Vec<&'static str>,
}

pub(crate) const UNAPPROVED: &str = "unapproved_sms_template";

/// An SMS to the debtor (`violating` adds a content violation; `third_party` sends a disclosure
/// to a non-debtor).
pub(crate) fn sms(rng: &mut Rng, ctx: &Ctx, violating: bool, third_party: bool, k: f64) -> SmsOut {
    if third_party {
        let t = *pick(rng, TP_DISCLOSE);
        return SmsOut {
            text: ctx.fill(rng, t),
            template_id: None,
            labels: vec![cat::DISCLOSURE, UNAPPROVED],
        };
    }
    if violating {
        let (c, pool) = *pick(
            rng,
            &[
                (cat::THREAT, FREE_THREAT),
                (cat::FALSE_LEGAL, FREE_FALSE_LEGAL),
                (cat::ABUSE, FREE_ABUSE),
            ],
        );
        let t = *pick(rng, pool);
        return SmsOut {
            text: ctx.fill(rng, t),
            template_id: None,
            labels: vec![c, UNAPPROVED],
        };
    }
    // Free text (not from an approved template) is itself a finding; it scales with `k`.
    let free = 0.15 * k.min(2.0);
    let r: f64 = crate::util::uniform(rng, 0.0, 1.0);
    if r >= free {
        let k = crate::util::weighted(rng, &[(0usize, 45.0), (1, 25.0), (2, 25.0), (3, 5.0)]);
        let (id, t) = APPROVED_SMS_TEMPLATES[k];
        SmsOut {
            text: ctx.fill(rng, t),
            template_id: Some(id.to_string()),
            labels: vec![],
        }
    } else if r < free * 0.8 {
        let t = *pick(rng, FREE_CLEAN);
        SmsOut {
            text: ctx.fill(rng, t),
            template_id: None,
            labels: vec![UNAPPROVED],
        }
    } else {
        let t = *pick(rng, FREE_CLEAN);
        SmsOut {
            text: ctx.fill(rng, t),
            template_id: Some((*pick(rng, UNAPPROVED_IDS)).to_string()),
            labels: vec![UNAPPROVED],
        }
    }
}

/// A field-visit record text.
pub(crate) fn visit_text(rng: &mut Rng, ctx: &Ctx) -> String {
    let met = chance(rng, 0.6);
    let t = if met {
        *pick(
            rng,
            &[
                "外访至债务人住所，{name}本人在家，已告知欠款情况，客户表示{date}前通过{chan}还款{pay}。",
                "上门拜访{name}，本人在场，沟通还款事宜，客户称经济困难，承诺{date}还款{pay}。",
                "外访见到本人，客户情绪平稳，已出示工作证件并说明来意，约定{date}前还款。",
            ],
        )
    } else {
        *pick(
            rng,
            &[
                "外访至登记地址，未见到本人，邻居称其已搬离，已留联系卡。",
                "上门未遇本人，家中无人应答，现场拍照留存。",
                "外访地址为出租屋，房东称租户已退租，需补充新地址。",
            ],
        )
    };
    ctx.fill(rng, t)
}

/// A collection note about a call.
pub(crate) fn note_text(
    rng: &mut Rng,
    ctx: &Ctx,
    summary: Option<&Summary>,
    outcome: &str,
) -> String {
    let t: &str = match summary {
        Some(Summary::Plan { .. }) => pick::<&str>(
            rng,
            &[
                "电话联系本人，客户承诺{date}前通过{chan}还款{pay}。",
                "本人接听，协商一致：{date}还款{pay}，渠道{chan}。",
                "与客户沟通，客户认可欠款，约定{date}前还{pay}。",
            ],
        ),
        Some(Summary::Dispute) => "客户对欠款有异议，已登记并反馈委托方核实，暂停跟进。",
        Some(Summary::Busy) => "本人接听，称在忙，约定稍后联系。",
        Some(Summary::Hangup) => "本人接听后挂断，未达成还款意向。",
        Some(Summary::NoPlan) => "与本人沟通还款事宜，客户未给出明确还款计划。",
        Some(Summary::ThirdParty) => "联系第三方，未透露案件信息，请其转告本人回电。",
        Some(Summary::Wrong) => "号码已非本人使用，需更新联系方式。",
        None => match outcome {
            "no_answer" => "拨打无人接听。",
            "busy" => "拨打占线。",
            "rejected" => "拨打被拒接。",
            _ => "拨打失败，号码可能停机。",
        },
    };
    ctx.fill(rng, t)
}
