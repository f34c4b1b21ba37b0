//! The web application in a real headless browser (Debian's chromium through chromedriver):
//! log in as different roles, open the dashboard, filter the list, open an interaction and see
//! its highlighted finding, and be refused another team's interaction.
//!
//! Runs when `chromedriver` is found (`CHROMEDRIVER` or /usr/bin/chromedriver; `.ci/run`
//! installs Debian's chromium and chromium-driver); otherwise it says SKIPPED and passes.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn say(m: &str) {
    let _ = writeln!(std::io::stderr(), "{m}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn wait_port(port: u16, what: &str) {
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the child when dropped (also when the test fails).
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The few WebDriver commands the test needs, over plain HTTP.
struct Wd {
    base: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Wd {
    fn new(driver: u16) -> Wd {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=zh-CN"]
            }
        }}});
        let v: Value = ureq::post(&format!("http://127.0.0.1:{driver}/session"))
            .send_json(caps)
            .expect("new session")
            .into_json()
            .expect("json");
        let id = v["value"]["sessionId"].as_str().expect("session id");
        Wd {
            base: format!("http://127.0.0.1:{driver}/session/{id}"),
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        match ureq::post(&format!("{}{path}", self.base)).send_json(body) {
            Ok(r) => r
                .into_json::<Value>()
                .map(|v| v["value"].clone())
                .unwrap_or(Value::Null),
            Err(ureq::Error::Status(_, r)) => {
                let v: Value = r.into_json().unwrap_or(Value::Null);
                json!({"error": v["value"]["error"], "message": v["value"]["message"]})
            }
            Err(e) => panic!("webdriver {path}: {e}"),
        }
    }

    fn get(&self, path: &str) -> Value {
        ureq::get(&format!("{}{path}", self.base))
            .call()
            .ok()
            .and_then(|r| r.into_json::<Value>().ok())
            .map(|v| v["value"].clone())
            .unwrap_or(Value::Null)
    }

    fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url}));
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.post("/elements", json!({"using": "css selector", "value": css}));
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn wait(&self, css: &str) -> String {
        let t = Instant::now();
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "timed out waiting for {css} on {}",
                self.get("/url")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until the page says its data has rendered.
    fn ready(&self) {
        // The flag is set to 0 while loading: give the router a moment to reset it first.
        std::thread::sleep(Duration::from_millis(150));
        self.wait("body[data-ready='1']");
    }

    fn text(&self, el: &str) -> String {
        self.get(&format!("/element/{el}/text"))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    fn attr(&self, el: &str, name: &str) -> Option<String> {
        self.get(&format!("/element/{el}/attribute/{name}"))
            .as_str()
            .map(String::from)
    }

    fn type_into(&self, css: &str, text: &str) {
        let el = self.wait(css);
        self.post(&format!("/element/{el}/clear"), json!({}));
        self.post(&format!("/element/{el}/value"), json!({"text": text}));
    }

    fn click(&self, css: &str) {
        let el = self.wait(css);
        self.post(&format!("/element/{el}/click"), json!({}));
    }

    fn quit(&self) {
        let _ = ureq::delete(&self.base).call();
    }
}

struct Demo {
    db: String,
    /// agent id → (branch, team)
    teams: HashMap<String, (String, String)>,
    /// interactions: id → agent id
    agent_of: BTreeMap<String, String>,
}

fn demo(dir: &Path) -> Demo {
    let out = Command::new(env!("CARGO_BIN_EXE_zhijian"))
        .args([
            "demo",
            "--calls",
            "600",
            "--dir",
            dir.to_str().unwrap(),
            "--start",
            "2026-10-01",
            "--no-serve",
            "--quiet",
        ])
        .env_remove("ZHIJIAN_DB")
        .output()
        .expect("demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut teams = HashMap::new();
    for l in std::fs::read_to_string(dir.join("context.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(l).unwrap();
        if v["kind"] == "agent" {
            teams.insert(
                v["id"].as_str().unwrap().to_string(),
                (
                    v["branch"].as_str().unwrap().to_string(),
                    v["team"].as_str().unwrap().to_string(),
                ),
            );
        }
    }
    let mut agent_of = BTreeMap::new();
    for l in std::fs::read_to_string(dir.join("interactions.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(l).unwrap();
        if v["kind"] != "flag" {
            agent_of.insert(
                v["id"].as_str().unwrap().to_string(),
                v["agent_id"].as_str().unwrap().to_string(),
            );
        }
    }
    Demo {
        db: format!("sqlite://{}", dir.join("zhijian.db").display()),
        teams,
        agent_of,
    }
}

fn login(wd: &Wd, base: &str, user: &str, password: &str) {
    wd.goto(&format!("{base}/#/login"));
    wd.wait("form#login");
    wd.type_into("form#login input[name=username]", user);
    wd.type_into("form#login input[name=password]", password);
    wd.click("form#login button[type=submit]");
    wd.wait("nav#main");
}

fn chromedriver() -> Option<PathBuf> {
    let p = PathBuf::from(
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
    );
    p.exists().then_some(p)
}

#[test]
fn roles_in_a_real_browser() {
    let Some(driver_bin) = chromedriver() else {
        say(
            "browser tests: SKIPPED (no chromedriver; install Debian's chromium and chromium-driver)",
        );
        return;
    };
    say("browser tests: RUN with headless chromium");
    let dir = tempfile::tempdir().unwrap();
    let d = demo(&dir.path().join("demo"));

    let port = free_port();
    let _server = Proc(
        Command::new(env!("CARGO_BIN_EXE_zhijian"))
            .args([
                "serve",
                "--db",
                &d.db,
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let dport = free_port();
    let _driver = Proc(
        Command::new(driver_bin)
            .arg(format!("--port={dport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    wait_port(port, "zhijian serve");
    wait_port(dport, "chromedriver");
    let base = format!("http://127.0.0.1:{port}");

    // The team lead's team: the first (branch, team) in order, as the demo accounts choose it.
    let mut pairs: Vec<(&String, &String, &String)> =
        d.teams.iter().map(|(id, (b, t))| (b, t, id)).collect();
    pairs.sort();
    let lead_team = (pairs[0].0.clone(), pairs[0].1.clone());
    let other = d
        .agent_of
        .iter()
        .find(|(_, a)| d.teams.get(*a).is_some_and(|bt| *bt != lead_team))
        .map(|(id, _)| id.clone())
        .expect("an interaction of another team");

    let wd = Wd::new(dport);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // --- team lead ---
        login(&wd, &base, "team_lead", "demo-team-lead-2026");
        wd.goto(&format!("{base}/#/dashboard"));
        wd.ready();
        wd.wait("#dashboard .kpi[data-kpi=compliance_rate]");
        wd.wait("#chart-pareto canvas");
        wd.wait("#chart-heatmap canvas");

        // The list, filtered by the form: interactions with findings.
        wd.goto(&format!("{base}/#/interactions"));
        wd.ready();
        let all = wd.find_all("table#interactions tbody tr[data-id]");
        assert!(
            !all.is_empty(),
            "the team lead sees the team's interactions"
        );
        for row in &all {
            let id = wd.attr(row, "data-id").unwrap();
            let agent = &d.agent_of[&id];
            assert_eq!(d.teams[agent], lead_team, "{id} is not of the lead's team");
        }
        wd.click("form#filters select[name=status] option[value=findings]");
        wd.click("form#filters button[type=submit]");
        wd.ready();
        let url = wd.get("/url").as_str().unwrap_or("").to_string();
        assert!(url.contains("status=findings"), "{url}");
        let ids: Vec<String> = wd
            .find_all("table#interactions tbody tr[data-id]")
            .iter()
            .filter_map(|r| wd.attr(r, "data-id"))
            .collect();
        assert!(!ids.is_empty(), "interactions with findings");

        // Open one and see its highlighted finding.
        let mut seen_mark = false;
        for id in ids.iter().take(8) {
            wd.goto(&format!("{base}/#/interactions/{id}"));
            wd.ready();
            wd.wait("#detail");
            assert!(
                !wd.find_all("#findings li[data-rule]").is_empty(),
                "{id}: findings listed"
            );
            if let Some(m) = wd.find_all("#detail mark.finding").first() {
                assert!(!wd.text(m).is_empty());
                assert!(wd.attr(m, "data-rule").is_some());
                seen_mark = true;
                break;
            }
        }
        assert!(seen_mark, "a finding highlighted at its span");

        // Another team's interaction: refused, without saying whether it exists.
        wd.goto(&format!("{base}/#/interactions/{other}"));
        wd.ready();
        let err = wd.wait("#error");
        let msg = wd.text(&err);
        assert!(
            msg.contains("不存在")
                || msg.contains("无权")
                || msg.to_lowercase().contains("not found"),
            "{msg}"
        );
        assert!(wd.find_all("#detail mark.finding").is_empty());
        wd.click("#logout");
        wd.wait("form#login");

        // --- QA lead: the same interaction is visible, and the playground is offered ---
        login(&wd, &base, "qa_lead", "demo-qa-lead-2026");
        wd.goto(&format!("{base}/#/interactions/{other}"));
        wd.ready();
        wd.wait("#detail");
        wd.wait("#findings");
        assert!(
            wd.find_all("#error:not(:empty)").is_empty() || wd.text(&wd.wait("#error")).is_empty()
        );
        wd.goto(&format!("{base}/#/dashboard"));
        wd.ready();
        wd.wait("#chart-trend canvas");
    }));
    wd.quit();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
