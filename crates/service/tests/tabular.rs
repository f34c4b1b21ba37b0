//! Tabular import (CSV / XLSX → interchange records).
//!
//! Data-driven part: every `tests/fixtures/tabular/*.expected.jsonl` names a fixture file on
//! its first line (`{"file", "kind"?, "timezone"?}` options, and the expected `detected`
//! kind, `encoding`, `format` and `headers`), then one line per row: `{"line", "raw",
//! "record"}` or `{"line", "raw", "error": {"column", "value", "reason"}}`. Run with
//! `BLESS=1` to rewrite the expectations from the current output (then review the diff).
//! Workbook cases build their XLSX files in a temporary directory with rust_xlsxwriter.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use serde_json::{Value, json};
use zhijian_domain::{Channel, Outcome, Record};
use zhijian_service::tabular::{self, FileError, Row, TableKind, TabularOptions};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tabular")
}

fn row_json(row: &Row) -> Value {
    match &row.record {
        Ok(r) => {
            let rec: Value = serde_json::from_str(&r.to_json_line()).unwrap();
            json!({"line": row.line, "raw": row.raw, "record": rec})
        }
        Err(e) => json!({"line": row.line, "raw": row.raw,
            "error": {"column": e.column, "value": e.value, "reason": e.reason}}),
    }
}

fn options(spec: &Value) -> TabularOptions {
    let mut opts = TabularOptions::default();
    if let Some(k) = spec.get("kind").and_then(Value::as_str) {
        opts.kind = Some(k.parse().unwrap());
    }
    if let Some(tz) = spec.get("timezone").and_then(Value::as_str) {
        opts.timezone = TimeZone::get(tz).unwrap();
    }
    opts
}

#[test]
fn fixtures_match_expected() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut expected_files: Vec<PathBuf> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expected.jsonl"))
        .collect();
    expected_files.sort();
    assert!(expected_files.len() >= 10, "fixtures missing");
    let mut failures = Vec::new();
    for exp_path in expected_files {
        let text = fs::read_to_string(&exp_path).unwrap();
        let mut lines = text.lines();
        let spec: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        let file = spec["file"].as_str().unwrap();
        let path = fixtures().join(file);
        let reader =
            tabular::open(&path, &options(&spec)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut head = json!({
            "file": file,
            "detected": reader.kind().as_str(),
            "encoding": reader.encoding(),
            "format": reader.format(),
            "headers": reader.headers(),
        });
        for key in ["kind", "timezone"] {
            if let Some(v) = spec.get(key) {
                head[key] = v.clone();
            }
        }
        let rows: Vec<Value> = reader.map(|r| row_json(&r)).collect();
        if bless {
            let mut out = serde_json::to_string(&head).unwrap();
            out.push('\n');
            for r in &rows {
                out.push_str(&serde_json::to_string(r).unwrap());
                out.push('\n');
            }
            fs::write(&exp_path, out).unwrap();
            continue;
        }
        if head != spec {
            failures.push(format!("{file}: header\n  got  {head}\n  want {spec}"));
        }
        let want: Vec<Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
        if rows.len() != want.len() {
            failures.push(format!(
                "{file}: {} rows, expected {}",
                rows.len(),
                want.len()
            ));
        }
        for (got, want) in rows.iter().zip(&want) {
            if got != want {
                failures.push(format!("{file}:\n  got  {got}\n  want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn read(path: &Path, opts: &TabularOptions) -> Vec<Row> {
    tabular::open(path, opts)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .collect()
}

fn interaction(row: &Row) -> &zhijian_domain::Interaction {
    match &row.record {
        Ok(Record::Interaction(i)) => i,
        other => panic!("line {}: {other:?}", row.line),
    }
}

#[test]
fn broken_rows_name_line_and_column_and_later_rows_still_come() {
    let rows = read(
        &fixtures().join("calls_broken.csv"),
        &TabularOptions::default(),
    );
    let summary: Vec<(u64, Option<&str>)> = rows
        .iter()
        .map(|r| (r.line, r.record.as_ref().err().map(|e| e.column.as_str())))
        .collect();
    assert_eq!(
        summary,
        vec![
            (2, None),
            (3, Some("呼叫开始时间")),
            (4, Some("坐席工号")),
            (5, Some("")),
            (6, Some("呼叫结果")),
            (7, None),
            (9, Some("通话时长（秒）")),
            (11, Some("被叫号码")),
            (12, None),
        ]
    );
    let e = rows[1].record.as_ref().unwrap_err();
    assert_eq!(e.value, "2026-13-45 99:00");
    assert!(
        e.to_string()
            .starts_with("column 「呼叫开始时间」: 无法识别的日期时间"),
        "{e}"
    );
    assert!(
        e.to_string().ends_with("(value \"2026-13-45 99:00\")"),
        "{e}"
    );
    // The two-line row keeps its line break in the raw text.
    assert_eq!(
        rows[5].raw,
        "AJ2,A2,13800000015,2026-01-05 09:40:00,0,未接通,\"第一行\n第二行\""
    );
    assert_eq!(interaction(&rows[8]).outcome, Some(Outcome::Busy));
}

#[test]
fn derived_ids_are_stable_across_imports_and_formats() {
    let path = fixtures().join("calls_broken.csv");
    let ids = |rows: Vec<Row>| -> Vec<String> {
        rows.into_iter()
            .filter_map(|r| r.record.ok())
            .map(|r| match r {
                Record::Interaction(i) => i.id,
                _ => unreachable!(),
            })
            .collect()
    };
    let a = ids(read(&path, &TabularOptions::default()));
    let b = ids(read(&path, &TabularOptions::default()));
    assert_eq!(a, b);
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|id| id.starts_with("cdr-") && id.len() == 20));
    // The same call written another way (offset time, dashed number) gets the same id.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("same.csv");
    fs::write(
        &other,
        "案件编号,坐席工号,被叫号码,呼叫开始时间,呼叫结果\nAJ1,A1,138-0000-0011,2026-01-05T01:00:00Z,接通\n",
    )
    .unwrap();
    assert_eq!(
        ids(read(&other, &TabularOptions::default())),
        vec![a[0].clone()]
    );
}

#[test]
fn forced_kind_and_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    // Headers that alone would not say "notes" (no 催记 column).
    fs::write(
        &path,
        "案件编号,工号,时间,内容\r\nAJ9,A9,2026-01-05 09:00,已联系本人\r\n",
    )
    .unwrap();
    let opts = TabularOptions {
        kind: Some(TableKind::Notes),
        timezone: TimeZone::get("Asia/Urumqi").unwrap(),
        sheet: None,
    };
    let rows = read(&path, &opts);
    let i = interaction(&rows[0]);
    assert_eq!(i.kind, Channel::Note);
    assert_eq!(i.started_at.to_string(), "2026-01-05T03:00:00Z");
    assert_eq!(i.text.as_deref(), Some("已联系本人"));
    // Forcing a kind whose required columns are absent is a file error naming them.
    let err = tabular::open(
        &path,
        &TabularOptions {
            kind: Some(TableKind::Complaints),
            ..TabularOptions::default()
        },
    )
    .unwrap_err();
    match &err {
        FileError::MissingColumns {
            kind,
            missing,
            headers,
            ..
        } => {
            assert_eq!(*kind, TableKind::Complaints);
            assert_eq!(headers, &["案件编号", "工号", "时间", "内容"]);
            let keys: Vec<&str> = missing
                .iter()
                .map(|m| m.split(' ').next().unwrap())
                .collect();
            assert_eq!(keys, ["id", "source", "received_at"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("「案件编号」"), "{err}");
}

#[test]
fn excel_quirks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quirks.csv");
    // `sep=;` line, full-width brackets and letters in headers, a unit in minutes, two
    // start-time columns (the more specific synonym wins whatever the order), `="…"` text
    // markers, NULL placeholders, trailing empty columns.
    fs::write(
        &path,
        "sep=;\r\n开始时间;ＣＡＳＥ＿ＩＤ;坐席工号;手机号;呼叫开始时间;通话时长（分钟）;呼叫结果;;\r\n\
         2026-01-05 08:00;=\"0012\";A1;=\"013800000001\";2026-01-05 09:00;1.5;NULL;;\r\n",
    )
    .unwrap();
    let reader = tabular::open(&path, &TabularOptions::default()).unwrap();
    assert_eq!(reader.kind(), TableKind::Calls);
    let cols = reader.columns();
    assert!(
        cols.contains(&("呼叫开始时间".to_string(), "started_at")),
        "{cols:?}"
    );
    assert!(!cols.iter().any(|(h, _)| h == "开始时间"), "{cols:?}");
    let rows: Vec<Row> = reader.collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 3);
    let i = interaction(&rows[0]);
    assert_eq!(i.case_id, "0012");
    assert_eq!(
        i.contact.as_ref().unwrap().number.as_deref(),
        Some("013800000001")
    );
    assert_eq!(i.started_at.to_string(), "2026-01-05T01:00:00Z");
    assert_eq!(i.ended_at.unwrap().to_string(), "2026-01-05T01:01:30Z");
    // No result column value: a talk time above zero counts as connected.
    assert_eq!(i.outcome, Some(Outcome::Connected));
}

#[test]
fn file_level_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        p
    };
    // Unknown headers: the headers found are named.
    let p = write("unknown.csv", "foo,bar\n1,2\n".as_bytes());
    match tabular::open(&p, &TabularOptions::default()).unwrap_err() {
        FileError::UnknownTable { headers, .. } => assert_eq!(headers, ["foo", "bar"]),
        other => panic!("{other:?}"),
    }
    // A call log without the agent column: the missing column is named.
    let p = write(
        "noagent.csv",
        "案件编号,被叫号码,呼叫开始时间,通话时长,呼叫结果\nAJ1,138,2026-01-05 09:00,1,接通\n"
            .as_bytes(),
    );
    let e = tabular::open(&p, &TabularOptions::default()).unwrap_err();
    match &e {
        FileError::MissingColumns { kind, missing, .. } => {
            assert_eq!(*kind, TableKind::Calls);
            assert_eq!(missing.len(), 1);
            assert!(missing[0].starts_with("agent_id (坐席工号"), "{missing:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("通话记录缺少必需的列"), "{e}");
    // Empty files, whitespace, random bytes, a broken zip: errors, never a panic.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = vec![0u8; 20_000];
    for b in &mut random {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        *b = seed as u8;
    }
    let mut fake_zip = b"PK\x03\x04".to_vec();
    fake_zip.extend_from_slice(&random[..500]);
    let mut fake_xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    fake_xls.extend_from_slice(&random[..500]);
    let high: Vec<u8> = random.iter().map(|b| b | 0x80).collect();
    for (name, bytes) in [
        ("empty.csv", &b""[..]),
        ("blank.csv", b"\r\n\r\n  \n"),
        ("bom_only.csv", b"\xEF\xBB\xBF"),
        ("random.bin", &random[..]),
        ("random.csv", &random[..]),
        ("high.csv", &high[..]),
        ("fake.xlsx", &fake_zip[..]),
        ("fake.xls", &fake_xls[..]),
        ("json.csv", b"{\"id\":\"a\",\"kind\":\"call\"}\n"),
    ] {
        let p = write(name, bytes);
        let r = tabular::open(&p, &TabularOptions::default());
        assert!(r.is_err(), "{name} opened");
        assert!(!r.unwrap_err().to_string().is_empty());
    }
    assert!(matches!(
        tabular::open(&dir.path().join("empty.csv"), &TabularOptions::default()),
        Err(FileError::Empty)
    ));
    assert!(matches!(
        tabular::open(&dir.path().join("missing.csv"), &TabularOptions::default()),
        Err(FileError::Io { .. })
    ));
    // Random bytes (without NUL) after a good GBK header: rows with errors, no panic.
    let (header, _, _) = encoding_rs::GB18030.encode("案件编号,坐席工号,呼叫开始时间,呼叫结果\r\n");
    let mut body = header.into_owned();
    body.extend(random.iter().map(|&b| if b == 0 { b'\n' } else { b }));
    let p = write("tail.csv", &body);
    let reader = tabular::open(&p, &TabularOptions::default()).unwrap();
    assert_eq!(reader.encoding(), "gb18030");
    let rows: Vec<Row> = reader.collect();
    assert!(rows.len() > 10);
    assert!(rows.iter().all(|r| r.record.is_err() && r.line >= 2));
    assert!(rows.windows(2).all(|w| w[0].line < w[1].line));
}

#[test]
fn unbalanced_quote_does_not_swallow_memory_or_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("quote.csv");
    fs::write(
        &p,
        "案件编号,坐席工号,呼叫开始时间,呼叫结果\nAJ1,A1,2026-01-05 09:00,接通\nAJ2,\"A2,2026-01-05 09:00,接通\nAJ3,A3,2026-01-05 09:00,接通\n",
    )
    .unwrap();
    let rows = read(&p, &TabularOptions::default());
    assert_eq!(rows[0].line, 2);
    assert!(rows[0].record.is_ok());
    // The rest of the file is one row that starts on line 3 and fails.
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].line, 3);
    assert!(rows[1].record.is_err());
}

#[test]
fn is_tabular_by_extension_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        p
    };
    assert!(tabular::is_tabular(&fixtures().join("calls_gbk.csv")));
    assert!(tabular::is_tabular(&fixtures().join("complaints.tsv")));
    assert!(tabular::is_tabular(&fixtures().join("notes_utf16.txt")));
    let gbk = fs::read(fixtures().join("cases_gbk.csv")).unwrap();
    assert!(tabular::is_tabular(&write("export.dat", &gbk)));
    assert!(!tabular::is_tabular(&write(
        "in.jsonl",
        b"{\"id\":\"a\",\"kind\":\"call\"}\n"
    )));
    assert!(!tabular::is_tabular(&write(
        "in.txt",
        b"{\"id\":\"a\",\"kind\":\"call\"}\n"
    )));
    assert!(!tabular::is_tabular(&write("notes.md", b"# hello\n")));
    assert!(tabular::is_tabular(&write("book", b"PK\x03\x04rest")));
    assert!(!tabular::is_tabular(&dir.path().join("absent")));
}

#[test]
fn docs_show_the_mapping_table() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/tabular.md");
    let doc = fs::read_to_string(&doc_path).unwrap();
    let (start, end) = ("<!-- columns:start -->", "<!-- columns:end -->");
    let a = doc.find(start).expect("start marker") + start.len();
    let b = doc.find(end).expect("end marker");
    let table = tabular::mapping_markdown();
    if std::env::var_os("BLESS").is_some() {
        let new = format!("{}\n{}\n{}", &doc[..a], table.trim(), &doc[b..]);
        fs::write(&doc_path, new).unwrap();
        return;
    }
    assert_eq!(
        doc[a..b].trim(),
        table.trim(),
        "docs/tabular.md is out of date: run with BLESS=1"
    );
}

// ---------------------------------------------------------------- workbooks

mod xlsx {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    fn calls_sheet(wb: &mut Workbook, name: &str, first_id: &str) {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let time = Format::new().set_num_format("hh:mm:ss");
        // A title row, then the header on row 2.
        ws.write_string(0, 0, "2026年1月通话明细").unwrap();
        let headers = [
            "通话ID",
            "案件编号",
            "坐席工号",
            "被叫号码",
            "呼叫开始时间",
            "通话时长",
            "呼叫结果",
            "欠款金额(万元)",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        // Row 3: date cell, phone as a number, duration as a time cell, amount as float.
        ws.write_string(2, 0, first_id).unwrap();
        ws.write_number(2, 1, 2026001.0).unwrap();
        ws.write_string(2, 2, "A1001").unwrap();
        ws.write_number(2, 3, 13800000001.0).unwrap();
        let dt = ExcelDateTime::parse_from_str("2026-01-05 09:30:00").unwrap();
        ws.write_datetime_with_format(2, 4, &dt, &date).unwrap();
        let t = ExcelDateTime::parse_from_str("00:03:12").unwrap();
        ws.write_datetime_with_format(2, 5, &t, &time).unwrap();
        ws.write_string(2, 6, "接通").unwrap();
        ws.write_number(2, 7, 1.25).unwrap();
        // Row 4 is empty (skipped). Row 5: serial number without a date format, seconds as
        // a number, a phone number as text.
        ws.write_string(4, 0, "X2").unwrap();
        ws.write_string(4, 1, "AJ2").unwrap();
        ws.write_string(4, 2, "A1002").unwrap();
        ws.write_string(4, 3, "13800000002").unwrap();
        ws.write_number(4, 4, 46027.5).unwrap();
        ws.write_number(4, 5, 0.0).unwrap();
        ws.write_string(4, 6, "未接通").unwrap();
        // Row 6: a bad time text.
        ws.write_string(5, 0, "X3").unwrap();
        ws.write_string(5, 1, "AJ3").unwrap();
        ws.write_string(5, 2, "A1003").unwrap();
        ws.write_string(5, 4, "明天上午").unwrap();
    }

    #[test]
    fn workbook_calls_with_typed_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calls.xlsx");
        let mut wb = Workbook::new();
        calls_sheet(&mut wb, "一月", "X1");
        {
            let ws = wb.add_worksheet();
            ws.set_name("说明").unwrap();
            ws.write_string(0, 0, "本文件由系统导出").unwrap();
        }
        calls_sheet(&mut wb, "二月", "Y1");
        wb.save(&path).unwrap();

        let reader = tabular::open(&path, &TabularOptions::default()).unwrap();
        assert_eq!(reader.kind(), TableKind::Calls);
        assert_eq!(reader.format(), "xlsx");
        assert_eq!(reader.headers()[4], "呼叫开始时间");
        let rows: Vec<Row> = reader.collect();
        let lines: Vec<(Option<&str>, u64, bool)> = rows
            .iter()
            .map(|r| (r.sheet.as_deref(), r.line, r.record.is_ok()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (Some("一月"), 3, true),
                (Some("一月"), 5, true),
                (Some("一月"), 6, false),
                (Some("二月"), 3, true),
                (Some("二月"), 5, true),
                (Some("二月"), 6, false),
            ]
        );
        let a = interaction(&rows[0]);
        assert_eq!(a.id, "X1");
        assert_eq!(a.case_id, "2026001");
        assert_eq!(
            a.contact.as_ref().unwrap().number.as_deref(),
            Some("13800000001")
        );
        assert_eq!(a.started_at.to_string(), "2026-01-05T01:30:00Z");
        assert_eq!(a.ended_at.unwrap().to_string(), "2026-01-05T01:33:12Z");
        assert_eq!(a.outcome, Some(Outcome::Connected));
        assert_eq!(a.case.as_ref().unwrap().balance, Some(12_500.0));
        assert_eq!(
            rows[0].raw,
            "X1,2026001,A1001,13800000001,2026-01-05 09:30:00,00:03:12,接通,1.25"
        );
        let b = interaction(&rows[1]);
        assert_eq!(b.started_at.to_string(), "2026-01-05T04:00:00Z");
        assert_eq!(b.ended_at, Some(b.started_at));
        assert_eq!(b.outcome, Some(Outcome::NoAnswer));
        let e = rows[2].record.as_ref().unwrap_err();
        assert_eq!(
            (e.column.as_str(), e.value.as_str()),
            ("呼叫开始时间", "明天上午")
        );
        assert_eq!(interaction(&rows[3]).id, "Y1");

        // Only the named sheet; an unknown sheet name is an error listing the sheets.
        let opts = TabularOptions {
            sheet: Some("二月".into()),
            ..TabularOptions::default()
        };
        let mut reader = tabular::open(&path, &opts).unwrap();
        assert_eq!(reader.by_ref().count(), 3);
        assert!(reader.skipped_sheets().is_empty());
        let opts = TabularOptions {
            sheet: Some("三月".into()),
            ..TabularOptions::default()
        };
        match tabular::open(&path, &opts).unwrap_err() {
            FileError::NoSuchSheet { available, .. } => {
                assert_eq!(available, ["一月", "说明", "二月"])
            }
            other => panic!("{other:?}"),
        }
        // The file is recognised by content even without its extension.
        let bare = dir.path().join("calls_export");
        fs::copy(&path, &bare).unwrap();
        assert!(tabular::is_tabular(&bare));
        assert_eq!(
            tabular::open(&bare, &TabularOptions::default())
                .unwrap()
                .count(),
            6
        );
    }

    #[test]
    fn workbook_first_recognised_sheet_and_agents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agents.xlsx");
        let mut wb = Workbook::new();
        wb.add_worksheet()
            .set_name("封面")
            .unwrap()
            .write_string(0, 0, "坐席名单")
            .unwrap();
        let ws = wb.add_worksheet();
        ws.set_name("坐席").unwrap();
        let date = Format::new().set_num_format("yyyy/m/d");
        for (c, h) in ["工号", "姓名", "分公司", "小组", "入职日期", "组长"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_number(1, 0, 1001.0).unwrap();
        ws.write_string(1, 1, "赵一").unwrap();
        ws.write_string(1, 2, "华东分公司").unwrap();
        ws.write_string(1, 3, "一组").unwrap();
        let d = ExcelDateTime::from_ymd(2025, 10, 8).unwrap();
        ws.write_datetime_with_format(1, 4, &d, &date).unwrap();
        ws.write_number(1, 5, 1.0).unwrap();
        wb.save(&path).unwrap();

        let mut reader = tabular::open(&path, &TabularOptions::default()).unwrap();
        assert_eq!(reader.kind(), TableKind::Agents);
        assert_eq!(reader.skipped_sheets().len(), 1);
        assert_eq!(reader.skipped_sheets()[0].0, "封面");
        let row = reader.next().unwrap();
        assert_eq!(row.line, 2);
        match row.record.unwrap() {
            Record::Agent(a) => {
                assert_eq!(a.id, "1001");
                assert_eq!(a.name, "赵一");
                assert_eq!(a.branch, "华东分公司");
                assert_eq!(a.team, "一组");
                assert_eq!(a.hired_on.unwrap().to_string(), "2025-10-08");
                assert_eq!(a.supervisor.as_deref(), Some("1"));
            }
            other => panic!("{other:?}"),
        }
        assert!(reader.next().is_none());

        // A workbook whose sheets match nothing is a file error naming the headers.
        let path = dir.path().join("other.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "名称").unwrap();
        ws.write_string(0, 1, "数量").unwrap();
        wb.save(&path).unwrap();
        match tabular::open(&path, &TabularOptions::default()).unwrap_err() {
            FileError::UnknownTable { headers, sheet } => {
                assert_eq!(headers, ["名称", "数量"]);
                assert_eq!(sheet.as_deref(), Some("Sheet1"));
            }
            other => panic!("{other:?}"),
        }
        // An empty workbook.
        let path = dir.path().join("empty.xlsx");
        let mut wb = Workbook::new();
        wb.add_worksheet();
        wb.save(&path).unwrap();
        assert!(matches!(
            tabular::open(&path, &TabularOptions::default()),
            Err(FileError::Empty)
        ));
    }
}

/// A large GBK call log is streamed: run with
/// `TABULAR_ROWS=2000000 cargo test --release --test tabular -- --ignored large` and watch
/// the memory (it stays flat) and the time.
#[test]
#[ignore]
fn large_gbk_file_streams() {
    use std::io::Write;
    let n: usize = std::env::var("TABULAR_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    {
        let mut w = std::io::BufWriter::new(fs::File::create(&path).unwrap());
        let (h, _, _) = encoding_rs::GB18030.encode(
            "案件编号,委托方,坐席工号,被叫号码,联系人关系,呼叫开始时间,通话时长(秒),呼叫结果,备注\r\n",
        );
        w.write_all(&h).unwrap();
        for i in 0..n {
            let line = format!(
                "AJ{i:08},某银行信用卡中心,A{:04},138{:08},本人,2026-01-05 {:02}:{:02}:{:02},{},已接通,\"客户称\r\n下周还款\"\r\n",
                i % 500,
                i % 100_000_000,
                8 + i % 12,
                i % 60,
                (i / 60) % 60,
                i % 300
            );
            let (b, _, _) = encoding_rs::GB18030.encode(&line);
            w.write_all(&b).unwrap();
        }
    }
    let size = fs::metadata(&path).unwrap().len();
    let t = std::time::Instant::now();
    let mut ok = 0usize;
    let mut last_line = 0;
    for row in tabular::open(&path, &TabularOptions::default()).unwrap() {
        assert!(row.record.is_ok(), "{}: {:?}", row.line, row.record);
        ok += 1;
        last_line = row.line;
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{ok} rows, {:.1} MB in {secs:.2} s ({:.1} MB/s)",
        size as f64 / 1e6,
        size as f64 / 1e6 / secs
    );
    assert_eq!(ok, n);
    assert_eq!(last_line, 2 * n as u64);
}
