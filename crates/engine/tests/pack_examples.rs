//! The default pack compiles, and every rule's own examples pass.

use zhijian_engine::Engine;

#[test]
fn builtin_pack_examples_pass() {
    let engine = Engine::builtin();
    let report = engine.test_examples();
    let failures: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(report.passed > 0);
}

#[test]
fn builtin_pack_covers_every_category_with_three_examples_each_way() {
    let engine = Engine::builtin();
    for (name, _, _) in zhijian_domain::BUILTIN_CATEGORIES {
        let rules: Vec<_> = engine
            .rules()
            .iter()
            .filter(|r| r.category.as_str() == *name)
            .collect();
        assert!(!rules.is_empty(), "no rule for category {name}");
    }
    for r in engine.rules() {
        assert!(
            r.examples.hit.len() >= 3,
            "rule {} has fewer than 3 hit examples",
            r.id
        );
        assert!(
            r.examples.miss.len() >= 3,
            "rule {} has fewer than 3 miss examples",
            r.id
        );
        assert!(!r.source.trim().is_empty(), "rule {} cites no source", r.id);
    }
}
