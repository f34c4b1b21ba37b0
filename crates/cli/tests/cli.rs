//! End-to-end tests of the `zhijian` binary: exit codes, rejected lines, streaming from stdin,
//! pack errors, rules test, eval and generate (store commands: tests/ingest.rs).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn zhijian(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhijian"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn zhijian");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const GOOD: &str = r#"{"id":"ok-1","kind":"call","case_id":"C1","agent_id":"A1","client":"示例银行","started_at":"2026-03-02T10:00:00+08:00","outcome":"connected","party":"debtor","recording":"r.wav","segments":[{"speaker":"agent","start":0,"end":3,"text":"你这个老赖，再不还钱就去你单位闹"}]}"#;
const GOOD2: &str = r#"{"id":"ok-2","kind":"sms","case_id":"C1","agent_id":"A1","client":"示例银行","started_at":"2026-03-02T23:30:00+08:00","text":"请尽快还款"}"#;

fn mixed_input() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(GOOD.as_bytes());
    v.extend_from_slice(b"\n{not json\n");
    v.extend_from_slice(
        br#"{"id":"bad-1","kind":"call","case_id":"C1","agent_id":"A1","client":"x"}"#,
    );
    v.extend_from_slice(b"\n\xff\xfe\x00garbage\n\n");
    v.extend_from_slice(br#"{"kind":"flag","contact_id":"K1","flag":"do_not_call","set_at":"2026-03-01T00:00:00Z"}"#);
    v.push(b'\n');
    v.extend_from_slice(GOOD2.as_bytes());
    v.push(b'\n');
    v
}

#[test]
fn inspect_reports_bad_lines_and_inspects_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    std::fs::write(&input, mixed_input()).unwrap();
    let out = zhijian(
        &[
            "inspect",
            "--input",
            input.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "partial success exit code; stderr: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "one result per good interaction: {stdout}");
    assert_eq!(lines[0]["id"], "ok-1");
    assert_eq!(lines[1]["id"], "ok-2");
    assert_eq!(lines[0]["passed"], false);
    let cats: Vec<&str> = lines[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["category"].as_str().unwrap())
        .collect();
    assert!(
        cats.contains(&"abuse") && cats.contains(&"threat"),
        "{cats:?}"
    );
    assert!(
        lines[1]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["category"] == "off_hours")
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains(":2:"), "line 2 reported: {stderr}");
    assert!(
        stderr.contains(":3: field `started_at`"),
        "field named: {stderr}"
    );
    assert!(
        stderr.contains(":4:") && stderr.contains("UTF-8"),
        "{stderr}"
    );
    let rej = std::fs::read_to_string(&rejects).unwrap();
    let rej: Vec<serde_json::Value> = rej
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rej.iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(rej[1]["field"], "started_at");
    assert!(rej[0]["raw"].as_str().unwrap().contains("not json"));
}

#[test]
fn inspect_from_stdin_matches_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let data = format!("{GOOD}\n{GOOD2}\n");
    std::fs::write(&input, &data).unwrap();
    let a = zhijian(&["inspect", "--input", input.to_str().unwrap(), "-q"], None);
    let b = zhijian(&["inspect", "-q"], Some(data.as_bytes()));
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(b.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn any_bytes_never_panic() {
    let mut junk = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..20_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        junk.push((x >> 16) as u8);
    }
    let out = zhijian(&["inspect", "-q"], Some(&junk));
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "status {:?}: {}",
        out.status,
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("panicked"));
}

/// A one-rule pack; the rule (`id = "x.one"`) starts on line 14.
fn pack_toml(id: &str, category: &str, hit: &str, miss: &str) -> String {
    format!(
        r#"[pack]
id = "{id}"
version = "1"
title = "{id}"

[scorecard]
pass_score = 80
[[scorecard.items]]
id = "all"
title = "all"
weight = 100
categories = ["abuse"]
[[rules]]
id = "x.one"
category = "{category}"
level = 4
title = "t"
description = "d"
source = "s"
deduction = 10
match = {{ any = ["傻逼"] }}
examples.hit = ["{hit}"]
examples.miss = ["{miss}"]
"#
    )
}

#[test]
fn invalid_pack_is_a_usage_error_naming_file_rule_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("bad.toml");
    std::fs::write(&pack, pack_toml("bad", "abus", "傻逼", "你好")).unwrap();
    let out = zhijian(
        &["inspect", "--rules", pack.to_str().unwrap(), "-q"],
        Some(GOOD.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("bad.toml:14")
            && e.contains("rule `x.one`")
            && e.contains("field `category`")
            && e.contains("pack.unknown_category"),
        "{e}"
    );
}

#[test]
fn rules_test_passes_on_the_default_pack_and_fails_on_a_wrong_example() {
    let out = zhijian(&["rules", "test"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(" 0 failed"));

    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("p.toml");
    std::fs::write(&pack, pack_toml("p", "abuse", "你好", "傻逼")).unwrap();
    let out = zhijian(&["rules", "test", pack.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(
        s.contains("examples.hit[0]") && s.contains("examples.miss[0]") && s.contains("2 failed"),
        "{s}"
    );
}

#[test]
fn eval_prints_per_category_metrics() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/dev/");
    let out = zhijian(
        &[
            "eval",
            "--input",
            &format!("{root}calls.jsonl"),
            "--labels",
            &format!("{root}labels.jsonl"),
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["overall"]["precision"].as_f64().unwrap() > 0.5);
    assert!(v["categories"]["threat"]["tp"].as_u64().unwrap() > 0);
}

#[test]
fn generate_is_deterministic_and_writes_labels() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    for p in [&a, &b] {
        let out = zhijian(
            &[
                "generate",
                "--calls",
                "60",
                "--seed",
                "3",
                "--output",
                p.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let ta = std::fs::read_to_string(&a).unwrap();
    assert_eq!(ta, std::fs::read_to_string(&b).unwrap());
    let calls = ta
        .lines()
        .filter(|l| l.contains(r#""kind":"call""#))
        .count();
    assert_eq!(calls, 60);
    let labels = std::fs::read_to_string(dir.path().join("a.labels.jsonl")).unwrap();
    assert!(labels.lines().count() >= 60);
}

#[test]
fn inspect_reads_bom_crlf_and_blank_lines_from_stdin_and_counts_physical_lines() {
    // A byte-order mark, Windows line ends, blank lines, a bad line 4 and no final newline.
    let mut input = b"\xEF\xBB\xBF".to_vec();
    input.extend_from_slice(GOOD.as_bytes());
    input.extend_from_slice(b"\r\n\r\n  \r\n{\"id\":\"x\"}\r\n");
    input.extend_from_slice(GOOD2.as_bytes());
    let out = zhijian(&["inspect"], Some(&input));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let ids: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids, vec!["\"ok-1\"", "\"ok-2\""]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("<stdin>:4: "), "{stderr}");
    assert!(
        stderr.contains("inspected 2 interactions (0 flags, 0 context records) from 5 lines"),
        "{stderr}"
    );
}

#[test]
fn unreadable_input_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let out = zhijian(&["inspect", "--input", missing.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("input.unreadable"));
}
