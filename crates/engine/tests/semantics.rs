//! The behaviours the issue names, checked directly: hard negatives, the customer's words,
//! the party read from the call, normalisation, and evidence pointing at the original text.

use zhijian_domain::{Interaction, Record, parse_record};
use zhijian_engine::Engine;

fn call(party: &str, turns: &[(&str, &str)]) -> Interaction {
    let segs: Vec<String> = turns
        .iter()
        .enumerate()
        .map(|(k, (who, text))| {
            let who = if *who == "A" { "agent" } else { "customer" };
            format!(
                r#"{{"speaker":"{who}","start":{},"end":{},"text":{}}}"#,
                k * 5,
                k * 5 + 4,
                serde_json::to_string(text).unwrap()
            )
        })
        .collect();
    let line = format!(
        r#"{{"id":"t","kind":"call","case_id":"C","agent_id":"A","client":"x","started_at":"2026-03-02T10:00:00+08:00","outcome":"connected","recording":"r.wav","party":"{party}","segments":[{}]}}"#,
        segs.join(",")
    );
    match parse_record(&line).expect("valid test call") {
        Record::Interaction(i) => *i,
        _ => unreachable!(),
    }
}

fn categories(engine: &Engine, i: &Interaction) -> Vec<String> {
    engine
        .inspect(i)
        .findings
        .iter()
        .map(|f| f.category.as_str().to_string())
        .collect()
}

#[test]
fn hard_negatives_are_left_alone() {
    let e = Engine::builtin();
    for text in [
        "如果一直不处理，委托方可能依法提起诉讼",
        "我们不会联系您单位，也不会打扰您的家人",
        "逾期会影响您的个人征信，还会产生罚息",
        "减免需要向委托方申请，能不能批我不能保证",
        "请通过官方APP还款，不要转给任何个人账户",
        "按规定我们不能向您的家人透露欠款情况",
    ] {
        let cats = categories(&e, &call("debtor", &[("A", text)]));
        for bad in [
            "threat",
            "false_legal_claim",
            "third_party_disclosure",
            "unauthorized_promise",
            "private_payment",
            "abuse",
        ] {
            assert!(
                !cats.contains(&bad.to_string()),
                "{text:?} flagged as {bad}"
            );
        }
    }
}

#[test]
fn conditional_threat_is_not_negated() {
    let e = Engine::builtin();
    let cats = categories(&e, &call("debtor", &[("A", "你不还钱我们就去你单位闹")]));
    assert!(cats.contains(&"threat".to_string()), "{cats:?}");
}

#[test]
fn the_customers_words_are_not_the_agents_violation() {
    let e = Engine::builtin();
    let cats = categories(
        &e,
        &call(
            "debtor",
            &[
                ("C", "你们这些骗子，再打我就找人弄死你，我要去银保监会投诉"),
                ("A", "好的，您的意见我记录下来了"),
            ],
        ),
    );
    for bad in ["abuse", "threat", "incite_complaint"] {
        assert!(!cats.contains(&bad.to_string()), "{bad} in {cats:?}");
    }
}

#[test]
fn the_party_is_read_from_the_call() {
    let e = Engine::builtin();
    // Recorded as the debtor, but the person says she is his wife: telling her is disclosure.
    let c = call(
        "debtor",
        &[
            ("A", "请问是王强吗"),
            ("C", "我是他爱人，他不在"),
            ("A", "他信用卡欠了我们两万块，逾期三个月了"),
        ],
    );
    let r = e.inspect(&c);
    assert_eq!(r.party, Some(zhijian_domain::Party::Spouse));
    assert!(
        r.findings
            .iter()
            .any(|f| f.category.as_str() == "third_party_disclosure")
    );
    // A wrong number told about the debt before saying so.
    let c = call(
        "debtor",
        &[
            ("A", "王强你好，你的网贷逾期了，欠款八千"),
            ("C", "你打错了，我不认识这个人"),
        ],
    );
    assert!(categories(&e, &c).contains(&"third_party_disclosure".to_string()));
    // The same words to the debtor are not a disclosure.
    let c = call(
        "debtor",
        &[
            ("A", "请问是王强吗"),
            ("C", "对，是我"),
            ("A", "您信用卡欠了我们两万块，逾期三个月了"),
        ],
    );
    assert!(!categories(&e, &c).contains(&"third_party_disclosure".to_string()));
}

#[test]
fn evidence_points_at_the_original_characters() {
    let e = Engine::builtin();
    let text = "喂，你這個廢 * 物，聽懂沒？";
    let r = e.inspect(&call("debtor", &[("A", text)]));
    let f = r
        .findings
        .iter()
        .find(|f| f.category.as_str() == "abuse")
        .expect("abuse found through traditional characters and fillers");
    let [a, b] = f.span.expect("span");
    let evidence: String = text.chars().skip(a).take(b - a).collect();
    assert_eq!(evidence, "廢 * 物");
    assert_eq!(f.segment, Some(0));
    assert!(f.excerpt.contains("廢 * 物"));
}

#[test]
fn red_line_fails_whatever_the_score() {
    let e = Engine::builtin();
    let r = e.inspect(&call("debtor", &[("A", "你个老赖")]));
    assert!(!r.passed);
    assert!(r.findings.iter().any(|f| f.level.get() == 4));
}

#[test]
fn a_negated_exception_does_not_excuse() {
    // "要走审批" hedges a reduction; "不用走审批" is the opposite and must not excuse it.
    let e = Engine::builtin();
    let hedged = categories(
        &e,
        &call("debtor", &[("A", "利息可以给您减免一部分，要走审批")]),
    );
    assert!(
        !hedged.iter().any(|c| c == "unauthorized_promise"),
        "{hedged:?}"
    );
    let unhedged = categories(
        &e,
        &call("debtor", &[("A", "利息可以给您减免一部分，不用走审批")]),
    );
    assert!(
        unhedged.iter().any(|c| c == "unauthorized_promise"),
        "{unhedged:?}"
    );
}
