//! `zhijian` — the command-line face of the inspection engine.
//!
//! Exit status: 0 success; 1 checks failed (`rules test`, `eval --min-*`); 2 usage or input
//! error (bad arguments, unreadable file, invalid rule pack); 3 partial success (some input
//! lines were rejected, the rest processed); 70 internal error.

mod bench;
mod evaluate;
mod io;
mod pipeline;
mod store_cmds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `println!` that ends the program quietly when standard output is closed (`| head`).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

pub const EXIT_OK: u8 = 0;
pub const EXIT_CHECKS_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_PARTIAL: u8 = 3;
pub const EXIT_INTERNAL: u8 = 70;

#[derive(Parser)]
#[command(
    name = "zhijian",
    version,
    about = "质检 Zhijian — compliance inspection for debt-collection interactions"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Inspect interchange-v1 JSON Lines and write one result line per interaction.
    Inspect {
        /// Rule pack: a .toml file, a folder of them, or `cn-default` (the embedded default).
        #[arg(long, default_value = "cn-default")]
        rules: String,
        /// Input file, or `-` for standard input.
        #[arg(long, default_value = "-")]
        input: String,
        /// Output file, or `-` for standard output.
        #[arg(long, default_value = "-")]
        output: String,
        /// Also write rejected lines (with line number, field and reason) to this JSONL file.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// No summary on standard error.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Rule-pack tools.
    Rules {
        #[command(subcommand)]
        cmd: RulesCmd,
    },
    /// Precision, recall and F1 per category of the engine against labelled calls.
    Eval {
        #[arg(long)]
        input: PathBuf,
        /// `{"id","labels":[categories]}` lines.
        #[arg(long)]
        labels: PathBuf,
        #[arg(long, default_value = "cn-default")]
        rules: String,
        /// Print every false positive and false negative with its evidence.
        #[arg(long, short)]
        verbose: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Fail (exit 1) if overall precision is below this.
        #[arg(long)]
        min_precision: Option<f64>,
        /// Fail (exit 1) if overall recall is below this.
        #[arg(long)]
        min_recall: Option<f64>,
    },
    /// Generate realistic synthetic collection interactions (and a labels file alongside).
    Generate {
        #[arg(long, default_value_t = 1000)]
        calls: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file, or `-` for standard output.
        #[arg(long, default_value = "-")]
        output: String,
        /// Labels file (default: next to the output, `NAME.labels.jsonl`).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Also generate SMS, field visits and collection notes.
        #[arg(long)]
        all_channels: bool,
        /// First day (YYYY-MM-DD) of the generated period.
        #[arg(long, default_value = "2026-10-01")]
        start: String,
        /// Number of days the interactions are spread over.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// Throughput of inspection on one core vs a bare Aho–Corasick scan of the same text.
    Bench {
        #[arg(long, default_value_t = 20_000)]
        calls: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value = "cn-default")]
        rules: String,
        /// Seconds to spend on each measurement.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// Measure ingest instead: generate CALLS calls into a temporary file and ingest them,
        /// inspection included, into a fresh temporary SQLite store (or `--db`, which should
        /// be empty).
        #[arg(long)]
        ingest: bool,
        /// Store for `--ingest` (`sqlite://…` or `postgres://…`).
        #[arg(long)]
        db: Option<String>,
    },
    /// Ingest files (interchange JSON Lines, CSV, XLSX) into the store, inspecting every new or
    /// changed interaction with the rule pack in the same transaction.
    Ingest {
        /// Files to ingest, in order (context such as cases and agents first is best).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Store: `sqlite://PATH`, `postgres://…` (default: zhijian.db in the working directory).
        #[arg(long, env = "ZHIJIAN_DB", default_value = store_cmds::DEFAULT_DB)]
        db: String,
        #[arg(long, default_value = "cn-default")]
        rules: String,
        /// Also write rejected rows (file, line, field, reason, raw) as JSON Lines here.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Records per transaction.
        #[arg(long, default_value_t = 2000)]
        batch: usize,
        /// Force the table kind of CSV/XLSX files (cases, agents, contacts, calls, sms, notes,
        /// complaints, clients, flags) instead of recognising it from the headers.
        #[arg(long)]
        table: Option<String>,
        /// Time zone of local times without an offset in CSV/XLSX files.
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: String,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// No progress bar and no summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Counts of what the store holds (interactions by kind, findings by category and level,
    /// rejects, complaints …).
    Stats {
        #[arg(long, env = "ZHIJIAN_DB", default_value = store_cmds::DEFAULT_DB)]
        db: String,
        #[arg(long)]
        json: bool,
    },
    /// Re-run a rule pack (a new version) over stored interactions and report what changed.
    Reinspect {
        #[arg(long, env = "ZHIJIAN_DB", default_value = store_cmds::DEFAULT_DB)]
        db: String,
        #[arg(long, default_value = "cn-default")]
        rules: String,
        /// First day (YYYY-MM-DD, Asia/Shanghai) or instant (RFC 3339) to include.
        #[arg(long)]
        from: Option<String>,
        /// Last day (YYYY-MM-DD, included) or instant (RFC 3339, excluded).
        #[arg(long)]
        to: Option<String>,
        /// Only this client's interactions.
        #[arg(long)]
        client: Option<String>,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Demo: generate a realistic month (clients, 3 branches, ~60 agents, ~20,000 interactions,
    /// complaints), ingest and inspect it into a fresh local database, and say where it is.
    Demo {
        #[arg(long, default_value_t = 12_000)]
        calls: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where to write the generated data (and the demo database).
        #[arg(long, default_value = "zhijian-demo")]
        dir: PathBuf,
        /// Store to fill instead of DIR/zhijian.db (it is not emptied first).
        #[arg(long)]
        db: Option<String>,
        /// First day of the month (default: the 30 days that end yesterday).
        #[arg(long)]
        start: Option<String>,
        /// Address to serve the web application on once the data is in.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Stop after ingesting (do not serve).
        #[arg(long)]
        no_serve: bool,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Serve the web application (JSON API and browser UI) over a store.
    Serve {
        #[arg(long, env = "ZHIJIAN_DB", default_value = store_cmds::DEFAULT_DB)]
        db: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        #[arg(long, default_value = "cn-default")]
        rules: String,
        /// Folder of the recordings: an interaction's `recording` that is a relative path
        /// under it can be played in the browser.
        #[arg(long)]
        recordings: Option<PathBuf>,
        /// Mark the session cookie Secure (when served over HTTPS, e.g. behind a proxy).
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Accounts of the web application.
    Users {
        #[command(subcommand)]
        cmd: UsersCmd,
    },
}

#[derive(Subcommand)]
enum UsersCmd {
    /// Create or replace an account (the password is read from standard input).
    Add {
        username: String,
        /// admin, qa_lead, qa_reviewer, branch_head, team_lead, agent or client_auditor.
        #[arg(long)]
        role: String,
        #[arg(long)]
        branch: Option<String>,
        #[arg(long)]
        team: Option<String>,
        /// Agent id (role agent).
        #[arg(long)]
        agent: Option<String>,
        /// Client id (role client_auditor).
        #[arg(long)]
        client: Option<String>,
        /// Display name (default: the username).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, env = "ZHIJIAN_DB", default_value = store_cmds::DEFAULT_DB)]
        db: String,
    },
    /// List the accounts.
    List {
        #[arg(long, env = "ZHIJIAN_DB", default_value = store_cmds::DEFAULT_DB)]
        db: String,
    },
}

#[derive(Subcommand)]
enum RulesCmd {
    /// Run every rule's own hit/miss examples.
    Test {
        #[arg(default_value = "cn-default")]
        pack: String,
    },
    /// List the rules of a pack (id, category, level, deduction, source).
    List {
        #[arg(default_value = "cn-default")]
        pack: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    ExitCode::from(code)
}

/// A command failure with the exit status it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments, unreadable files, invalid pack: the user can fix it.
    Usage(String),
    Internal(String),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Internal(_) => EXIT_INTERNAL,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "{m}"),
            CliError::Internal(m) => write!(f, "internal error [internal]: {m}"),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Internal(e.to_string())
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.cmd {
        Cmd::Inspect {
            rules,
            input,
            output,
            rejects,
            quiet,
        } => {
            let engine = io::load_pack(&rules)?;
            let summary =
                pipeline::inspect_file(&engine, &input, &output, rejects.as_deref(), |_| {})?;
            if !quiet {
                summary.print(&input, rejects.as_deref());
            }
            Ok(if summary.rejected > 0 {
                EXIT_PARTIAL
            } else {
                EXIT_OK
            })
        }
        Cmd::Rules {
            cmd: RulesCmd::Test { pack },
        } => {
            let engine = io::load_pack(&pack)?;
            let report = engine.test_examples();
            for f in &report.failures {
                say!("FAIL {f}");
            }
            say!(
                "{} rules, {} examples: {} passed, {} failed",
                report.rules,
                report.passed + report.failures.len(),
                report.passed,
                report.failures.len()
            );
            Ok(if report.failures.is_empty() {
                EXIT_OK
            } else {
                EXIT_CHECKS_FAILED
            })
        }
        Cmd::Rules {
            cmd: RulesCmd::List { pack },
        } => {
            let engine = io::load_pack(&pack)?;
            say!("{} — {}", engine.pack_ref(), engine.meta().title);
            for r in engine.rules() {
                say!(
                    "{:<34} {:<30} {} -{:<3} {}",
                    r.id,
                    r.category.as_str(),
                    r.level.chinese(),
                    r.deduction,
                    r.title
                );
            }
            Ok(EXIT_OK)
        }
        Cmd::Eval {
            input,
            labels,
            rules,
            verbose,
            json,
            min_precision,
            min_recall,
        } => {
            let engine = io::load_pack(&rules)?;
            evaluate::run(
                &engine,
                &input,
                &labels,
                verbose,
                json,
                min_precision,
                min_recall,
            )
        }
        Cmd::Generate {
            calls,
            seed,
            output,
            labels,
            all_channels,
            start,
            days,
        } => {
            let start = start
                .parse()
                .map_err(|e| CliError::Usage(format!("--start {start:?}: {e}")))?;
            io::generate(calls, seed, start, days, all_channels, &output, labels)?;
            Ok(EXIT_OK)
        }
        Cmd::Bench {
            calls,
            seed,
            rules,
            seconds,
            ingest,
            db,
        } => {
            let engine = io::load_pack(&rules)?;
            if ingest {
                return store_cmds::bench_ingest(engine, calls, seed, db);
            }
            bench::run(&engine, calls, seed, seconds);
            Ok(EXIT_OK)
        }
        Cmd::Ingest {
            files,
            db,
            rules,
            rejects,
            batch,
            table,
            timezone,
            json,
            quiet,
        } => {
            let engine = io::load_pack(&rules)?;
            let tz = jiff::tz::TimeZone::get(&timezone)
                .map_err(|e| CliError::Usage(format!("--timezone {timezone:?}: {e}")))?;
            let kind = table
                .map(|t| {
                    zhijian_service::tabular::TableKind::parse(&t).ok_or_else(|| {
                        CliError::Usage(format!(
                            "--table {t:?}: expected one of cases, agents, contacts, calls, sms, notes, complaints, clients, flags"
                        ))
                    })
                })
                .transpose()?;
            let opts = zhijian_service::ingest::IngestOptions {
                batch_size: batch.max(1),
                rejects,
                tabular: zhijian_service::tabular::TabularOptions {
                    kind,
                    timezone: tz,
                    ..Default::default()
                },
            };
            store_cmds::ingest(store_cmds::IngestArgs {
                db,
                files,
                engine,
                opts,
                json,
                quiet,
            })
        }
        Cmd::Stats { db, json } => store_cmds::stats(&db, json),
        Cmd::Reinspect {
            db,
            rules,
            from,
            to,
            client,
            dry_run,
            json,
        } => {
            let engine = io::load_pack(&rules)?;
            let opts = zhijian_service::reinspect::ReinspectOptions {
                from: from
                    .as_deref()
                    .map(|s| io::parse_instant(s, "--from", false))
                    .transpose()?,
                to: to
                    .as_deref()
                    .map(|s| io::parse_instant(s, "--to", true))
                    .transpose()?,
                client,
                dry_run,
                page: 2000,
            };
            store_cmds::reinspect(&db, &engine, &opts, json)
        }
        Cmd::Demo {
            calls,
            seed,
            dir,
            db,
            start,
            addr,
            no_serve,
            quiet,
        } => {
            let start = start
                .map(|s| {
                    s.parse()
                        .map_err(|e| CliError::Usage(format!("--start {s:?}: {e}")))
                })
                .transpose()?;
            store_cmds::demo(store_cmds::DemoArgs {
                db,
                dir,
                calls,
                seed,
                start,
                quiet,
                serve: (!no_serve).then_some(addr),
            })
        }
        Cmd::Serve {
            db,
            addr,
            rules,
            recordings,
            secure_cookies,
        } => {
            let engine = std::sync::Arc::new(io::load_pack(&rules)?);
            if let Some(r) = recordings.as_ref().filter(|r| !r.is_dir()) {
                return Err(CliError::Usage(format!(
                    "--recordings {}: not a folder",
                    r.display()
                )));
            }
            store_cmds::runtime()?.block_on(async {
                let store = std::sync::Arc::new(store_cmds::open(&db).await?);
                if store.users().await.map(|u| u.is_empty()).unwrap_or(false) {
                    eprintln!("no accounts yet: create one with `zhijian users add NAME --role admin --password-stdin`");
                }
                let mut state = zhijian_web::AppState::new(store, engine);
                state.recordings = recordings;
                state.secure_cookies = secure_cookies;
                eprintln!("zhijian: serving http://{addr}/ (Ctrl-C to stop)");
                zhijian_web::serve(addr, state)
                    .await
                    .map_err(|e| CliError::Usage(format!("cannot serve on {addr}: {e}")))
            })?;
            Ok(EXIT_OK)
        }
        Cmd::Users {
            cmd:
                UsersCmd::Add {
                    username,
                    role,
                    branch,
                    team,
                    agent,
                    client,
                    name,
                    password_stdin: _,
                    db,
                },
        } => {
            let role = zhijian_store::Role::parse(&role).ok_or_else(|| {
                CliError::Usage(format!("--role {role:?}: expected admin, qa_lead, qa_reviewer, branch_head, team_lead, agent or client_auditor"))
            })?;
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let user = zhijian_store::User {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                branch,
                team,
                agent_id: agent,
                client,
            };
            store_cmds::runtime()?.block_on(async {
                let store = store_cmds::open(&db).await?;
                zhijian_web::add_user(&store, &user, password)
                    .await
                    .map_err(|e| match e {
                        zhijian_web::users::UserError::Invalid(m) => CliError::Usage(m),
                        e => CliError::Internal(e.to_string()),
                    })
            })?;
            say!("saved account {} ({})", user.username, user.role);
            Ok(EXIT_OK)
        }
        Cmd::Users {
            cmd: UsersCmd::List { db },
        } => {
            let users = store_cmds::runtime()?.block_on(async {
                let store = store_cmds::open(&db).await?;
                store
                    .users()
                    .await
                    .map_err(|e| CliError::Internal(e.to_string()))
            })?;
            for u in users {
                let scope = [&u.branch, &u.team, &u.agent_id, &u.client]
                    .iter()
                    .filter_map(|v| v.as_deref())
                    .collect::<Vec<_>>()
                    .join(" / ");
                say!(
                    "{:<20} {:<15} {:<20} {}",
                    u.username,
                    u.role.as_str(),
                    u.display_name,
                    scope
                );
            }
            Ok(EXIT_OK)
        }
    }
}
