//! Commands that use the store: `ingest`, `stats`, `reinspect`, `demo`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use zhijian_engine::Engine;
use zhijian_service::ingest::{IngestOptions, IngestSummary, Progress};
use zhijian_service::reinspect::{ReinspectOptions, ReinspectReport};
use zhijian_service::{ServiceError, demo};
use zhijian_store::{Store, StoreError};

use crate::{CliError, EXIT_OK, EXIT_PARTIAL, say};

/// The store a command talks to when neither `--db` nor `ZHIJIAN_DB` says otherwise.
pub const DEFAULT_DB: &str = "sqlite://zhijian.db";

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the runtime: {e}")))
}

fn store_err(e: StoreError) -> CliError {
    let code = e.code();
    if code == "store.bad_url" {
        CliError::Usage(format!("{e} [{code}]"))
    } else {
        CliError::Internal(format!("{e} [{code}]"))
    }
}

fn service_err(e: ServiceError) -> CliError {
    match e {
        ServiceError::Store(e) => store_err(e),
        e if e.is_user_error() => CliError::Usage(format!("{e} [{}]", e.code())),
        e => CliError::Internal(format!("{e} [{}]", e.code())),
    }
}

pub async fn open(db: &str) -> Result<Store, CliError> {
    Store::open(db).await.map_err(store_err)
}

/// A progress bar on standard error (hidden when it is not a terminal).
pub struct Bar {
    bar: Option<ProgressBar>,
    started: std::time::Instant,
}

impl Bar {
    pub fn new(quiet: bool) -> Bar {
        Bar {
            bar: (!quiet).then(|| {
                let b = ProgressBar::with_draw_target(
                    Some(0),
                    indicatif::ProgressDrawTarget::stderr_with_hz(4),
                );
                b.set_style(
                    ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {bytes}/{total_bytes} {msg} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                b
            }),
            started: std::time::Instant::now(),
        }
    }
}

impl Progress for Bar {
    fn phase(&mut self, file: &str, phase: &str, total_bytes: u64) {
        self.started = std::time::Instant::now();
        if let Some(b) = &self.bar {
            b.reset();
            b.set_length(total_bytes);
            b.set_position(0);
            let short = Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.to_string());
            b.set_prefix(format!(
                "{} {short}",
                if phase == "scan" {
                    "扫描 scan  "
                } else {
                    "入库 ingest"
                }
            ));
        }
    }

    fn advance(&mut self, bytes: u64, records: u64) {
        if let Some(b) = &self.bar {
            if bytes > 0 {
                b.set_position(bytes);
            }
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            b.set_message(format!(
                "{records} records, {:.0} records/s",
                records as f64 / secs
            ));
        }
    }

    fn finish(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

pub fn print_ingest(s: &IngestSummary, engine: &Engine) {
    for f in &s.files {
        match &f.error {
            Some(e) => eprintln!("error: {e} [input.unreadable_file]"),
            None => say!(
                "{} ({}): {} rows — {} new, {} updated, {} unchanged, {} rejected",
                f.path,
                f.format,
                f.rows,
                f.inserted,
                f.updated,
                f.unchanged,
                f.rejected
            ),
        }
    }
    let accepted: u64 = s.by_kind.values().sum();
    say!(
        "入库 accepted {accepted} records ({}) — {} new, {} updated, {} unchanged; 拒收 rejected {}{}",
        s.by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        s.inserted,
        s.updated,
        s.unchanged,
        s.rejected,
        s.rejects_file
            .as_deref()
            .map(|p| format!(" (see {p})"))
            .unwrap_or_default()
    );
    say!(
        "质检 inspected {} interactions ({} failed){}; {:.1} s, {:.0} records/s",
        s.inspected,
        s.failed,
        if s.history_reinspected > 0 {
            format!(
                ", re-inspected {} stored ones of the same contacts and days",
                s.history_reinspected
            )
        } else {
            String::new()
        },
        s.seconds,
        (accepted + s.rejected) as f64 / s.seconds.max(1e-9)
    );
    if !s.findings_by_level.is_empty() {
        say!(
            "findings by level: {}",
            s.findings_by_level
                .iter()
                .map(|(l, n)| format!(
                    "{} {n}",
                    zhijian_domain::Level::new(*l)
                        .map(|l| l.chinese())
                        .unwrap_or("?")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let titles: std::collections::HashMap<&str, &str> =
            engine.categories().map(|(n, _, t)| (n, t)).collect();
        let mut cats: Vec<_> = s.findings_by_category.iter().collect();
        cats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (c, n) in cats {
            say!(
                "  {:<32} {:>7}  {}",
                c,
                n,
                titles.get(c.as_str()).unwrap_or(&"")
            );
        }
    }
}

pub struct IngestArgs {
    pub db: String,
    pub files: Vec<PathBuf>,
    pub engine: Engine,
    pub opts: IngestOptions,
    pub json: bool,
    pub quiet: bool,
}

pub fn ingest(a: IngestArgs) -> Result<u8, CliError> {
    if a.files.is_empty() {
        return Err(CliError::Usage("ingest: no FILE given".into()));
    }
    let rt = runtime()?;
    let engine = std::sync::Arc::new(a.engine);
    let summary = rt.block_on(async {
        let store = std::sync::Arc::new(open(&a.db).await?);
        let mut bar = Bar::new(a.quiet);
        zhijian_service::ingest::ingest(&store, &engine, &a.files, &a.opts, &mut bar)
            .await
            .map_err(service_err)
    })?;
    if a.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else if !a.quiet {
        print_ingest(&summary, &engine);
    }
    let unreadable = summary.files.iter().filter(|f| f.error.is_some()).count();
    if unreadable == summary.files.len() {
        return Err(CliError::Usage("no input file could be read".into()));
    }
    Ok(if summary.rejected > 0 || unreadable > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}

pub fn stats(db: &str, json: bool) -> Result<u8, CliError> {
    let rt = runtime()?;
    let stats = rt.block_on(async {
        let store = open(db).await?;
        store.stats().await.map_err(store_err)
    })?;
    let v = serde_json::to_value(&stats).unwrap_or_default();
    if json {
        say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        say!("store {db}");
        print_value("", &v);
    }
    Ok(EXIT_OK)
}

fn print_value(indent: &str, v: &serde_json::Value) {
    if let serde_json::Value::Object(m) = v {
        for (k, x) in m {
            match x {
                serde_json::Value::Object(_) => {
                    say!("{indent}{k}:");
                    print_value(&format!("{indent}  "), x);
                }
                _ => say!("{indent}{k}: {x}"),
            }
        }
    }
}

pub fn reinspect(
    db: &str,
    engine: &Engine,
    opts: &ReinspectOptions,
    json: bool,
) -> Result<u8, CliError> {
    let rt = runtime()?;
    let report: ReinspectReport = rt.block_on(async {
        let store = open(db).await?;
        zhijian_service::reinspect::reinspect(&store, engine, opts)
            .await
            .map_err(service_err)
    })?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return Ok(EXIT_OK);
    }
    say!(
        "复检 re-inspected {} interactions with {}{} in {:.1} s",
        report.scanned,
        report.pack,
        if report.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        },
        report.seconds
    );
    if !report.previous_packs.is_empty() {
        say!(
            "previously inspected with: {}",
            report
                .previous_packs
                .iter()
                .map(|(p, n)| format!("{p} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    say!(
        "changed {} ({} first inspections); newly failed {}, newly passed {}; findings {} → {}",
        report.changed,
        report.first_inspection,
        report.newly_failed,
        report.newly_passed,
        report.findings_before,
        report.findings_after
    );
    for (r, n) in &report.added_by_rule {
        say!("  + {n:>6}  {r}");
    }
    for (r, n) in &report.removed_by_rule {
        say!("  - {n:>6}  {r}");
    }
    for c in report.examples.iter().take(10) {
        say!(
            "  {}: score {} → {}{}{}",
            c.id,
            c.before_score
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            c.after_score,
            if c.added.is_empty() {
                String::new()
            } else {
                format!("  +[{}]", c.added.join(", "))
            },
            if c.removed.is_empty() {
                String::new()
            } else {
                format!("  -[{}]", c.removed.join(", "))
            }
        );
    }
    Ok(EXIT_OK)
}

pub struct DemoArgs {
    pub db: Option<String>,
    pub dir: PathBuf,
    pub calls: usize,
    pub seed: u64,
    pub start: Option<zhijian_domain::Date>,
    pub quiet: bool,
    /// Serve the web application here once the data is in.
    pub serve: Option<std::net::SocketAddr>,
}

pub fn demo(a: DemoArgs) -> Result<u8, CliError> {
    let mut o = demo::DemoOptions::recent(demo::today());
    o.calls = a.calls;
    o.seed = a.seed;
    if let Some(s) = a.start {
        o.start = s;
    }
    eprintln!(
        "生成演示数据 generating a month of data ({} calls + SMS, visits, notes; {} agents) into {} …",
        o.calls,
        o.agents,
        a.dir.display()
    );
    let files = demo::write_files(&a.dir, &o).map_err(service_err)?;
    // A fresh database each time: the default SQLite file beside the data is replaced.
    let db = match a.db {
        Some(db) => db,
        None => {
            let path = a.dir.join("zhijian.db");
            for suffix in ["", "-wal", "-shm"] {
                let p = PathBuf::from(format!("{}{suffix}", path.display()));
                if p.exists() {
                    std::fs::remove_file(&p).map_err(|e| {
                        CliError::Usage(format!("cannot replace {}: {e}", p.display()))
                    })?;
                }
            }
            format!("sqlite://{}", path.display())
        }
    };
    let engine = std::sync::Arc::new(Engine::builtin());
    let rt = runtime()?;
    let (summary, stats, store, accounts) = rt.block_on(async {
        let store = std::sync::Arc::new(open(&db).await?);
        let mut bar = Bar::new(a.quiet);
        let summary = zhijian_service::ingest::ingest(
            &store,
            &engine,
            &[files.context.clone(), files.interactions.clone()],
            &IngestOptions::default(),
            &mut bar,
        )
        .await
        .map_err(service_err)?;
        let stats = store.stats().await.map_err(store_err)?;
        let accounts = zhijian_web::seed_demo_users(&store)
            .await
            .map_err(|e| CliError::Internal(format!("demo accounts: {e}")))?;
        Ok::<_, CliError>((summary, stats, store, accounts))
    })?;
    say!(
        "\n质检演示 Zhijian demo — {} to {}, rule pack {}",
        o.start,
        o.start
            .checked_add(jiff::Span::new().days(i64::from(o.days) - 1))
            .unwrap_or(o.start),
        engine.pack_ref()
    );
    print_ingest(&summary, &engine);
    say!(
        "\n数据 data: {} and {}",
        files.context.display(),
        files.interactions.display()
    );
    say!("数据库 database: {db}");
    say!(
        "stats: {}",
        serde_json::to_string(&stats).unwrap_or_default()
    );
    say!("\n演示账号 demo accounts (synthetic data, local only):");
    for a in &accounts {
        say!(
            "  {:<16} {:<24} {:<14} {}",
            a.username,
            a.password,
            a.role.as_str(),
            a.scope
        );
    }
    let Some(addr) = a.serve else {
        say!("\nNext: zhijian serve --db {db}   (or zhijian stats --db {db})");
        return Ok(if summary.rejected > 0 {
            EXIT_PARTIAL
        } else {
            EXIT_OK
        });
    };
    say!("\n质检 Zhijian: http://{addr}/  (Ctrl-C to stop)");
    let state = zhijian_web::AppState::new(store, engine);
    rt.block_on(zhijian_web::serve(addr, state))
        .map_err(|e| CliError::Usage(format!("cannot serve on {addr}: {e}")))?;
    Ok(EXIT_OK)
}

/// Peak resident memory of this process so far (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `zhijian bench --ingest`: ingest throughput, inspection included, on generated calls.
pub fn bench_ingest(
    engine: Engine,
    calls: usize,
    seed: u64,
    db: Option<String>,
) -> Result<u8, CliError> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this is a debug build; run `cargo run --release -p zhijian-cli -- bench --ingest` for real figures"
        );
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("calls.jsonl");
    crate::io::generate(
        calls,
        seed,
        jiff::civil::date(2026, 10, 1),
        30,
        false,
        &file.display().to_string(),
        Some(dir.path().join("labels.jsonl")),
    )?;
    let db = db.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let bytes = std::fs::metadata(&file)?.len();
    let engine = std::sync::Arc::new(engine);
    let rt = runtime()?;
    let (summary, backend) = rt.block_on(async {
        let store = std::sync::Arc::new(open(&db).await?);
        let backend = store.backend();
        let summary = zhijian_service::ingest::ingest(
            &store,
            &engine,
            std::slice::from_ref(&file),
            &IngestOptions::default(),
            &mut crate::store_cmds::Bar::new(true),
        )
        .await
        .map_err(service_err)?;
        Ok::<_, CliError>((summary, backend))
    })?;
    let records: u64 = summary.by_kind.values().sum();
    let interactions = summary.by_kind.get("call").copied().unwrap_or(0);
    say!(
        "ingest into {backend}: {} lines ({:.0} MB), {} calls ({} inspected), {} flags",
        records,
        bytes as f64 / 1e6,
        interactions,
        summary.inspected,
        summary.by_kind.get("flag").copied().unwrap_or(0)
    );
    say!(
        "{:.2} s — {:.0} calls/s, {:.0} records/s, {:.1} MB/s; peak RSS {:.0} MB",
        summary.seconds,
        interactions as f64 / summary.seconds,
        records as f64 / summary.seconds,
        bytes as f64 / 1e6 / summary.seconds,
        peak_rss_mb().unwrap_or(f64::NAN)
    );
    if summary.inserted == 0 {
        eprintln!("warning: nothing new was stored: the store at {db} already held these calls");
    }
    Ok(EXIT_OK)
}
