//! A small but real data set in a temporary store (SQLite always; PostgreSQL in its own
//! schema when `ZHIJIAN_TEST_DATABASE_URL` is set), one account per role, and helpers that
//! send requests through the router with `tower::ServiceExt::oneshot` (no network).

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhijian_engine::Engine;
use zhijian_store::{Role, Store, User};

pub const FROM_TO: &str = "from=2026-10-01&to=2026-10-31";

/// Two clients (甲银行, 乙消费金融); agents in two branches, with a team named 一组 in both:
/// A1 武汉/一组, A2 武汉/二组, A3 成都/一组; interactions:
/// - I1 call A1 甲银行 (threat + abuse, a mobile number spoken, recording calls/I1.wav)
/// - I2 call A2 乙消费金融 (recording `../secret.wav`: outside the root)
/// - I3 call A3 甲银行 (recording `/etc/passwd`: absolute)
/// - I4 sms A1 甲银行 (an ID number and a bank card in the text)
pub const DATA: &str = r#"{"kind":"client","id":"甲银行","name":"甲银行信用卡中心"}
{"kind":"client","id":"乙消费金融","name":"乙消费金融有限公司"}
{"kind":"agent","id":"A1","name":"张伟","branch":"武汉分公司","team":"一组","region":"湖北","hired_on":"2026-09-01"}
{"kind":"agent","id":"A2","name":"李娜","branch":"武汉分公司","team":"二组","region":"湖北","hired_on":"2024-01-10"}
{"kind":"agent","id":"A3","name":"王强","branch":"成都分公司","team":"一组","region":"四川","hired_on":"2025-12-01"}
{"kind":"case","id":"K1","client":"甲银行","product":"信用卡","balance":5000,"days_past_due":40,"stage":"M2","agent_id":"A1","opened_on":"2026-09-01"}
{"kind":"case","id":"K2","client":"乙消费金融","product":"消费贷","balance":3000,"days_past_due":10,"stage":"M1","agent_id":"A2","opened_on":"2026-09-01"}
{"kind":"case","id":"K3","client":"甲银行","product":"信用卡","balance":8000,"days_past_due":100,"stage":"M3+","agent_id":"A3","opened_on":"2026-09-01"}
{"kind":"contact","id":"P1","case_id":"K1","relation":"debtor","number":"13812345678","name":"赵六"}
{"kind":"contact","id":"P2","case_id":"K2","relation":"debtor","number":"13987654321"}
{"kind":"contact","id":"P3","case_id":"K3","relation":"debtor","number":"13700001111"}
{"kind":"complaint","id":"TS1","case_id":"K1","source":"client","received_at":"2026-10-06T10:00:00+08:00","agent_id":"A1","interaction_id":"I1","category":"threat","summary":"客户反映催收员威胁，回拨13812345678"}
{"id":"I1","kind":"call","case_id":"K1","agent_id":"A1","client":"甲银行","started_at":"2026-10-05T10:00:00+08:00","ended_at":"2026-10-05T10:01:00+08:00","direction":"outbound","outcome":"connected","party":"debtor","contact":{"id":"P1","relation":"debtor","number":"13812345678"},"recording":"calls/I1.wav","segments":[{"speaker":"agent","start":0.0,"end":4.0,"text":"您好，请问是赵六先生吗？您的手机号是13812345678对吧"},{"speaker":"customer","start":4.0,"end":6.0,"text":"是我，什么事"},{"speaker":"agent","start":6.0,"end":12.0,"text":"你这个老赖，再不还钱就去你单位闹，让你同事都知道"},{"speaker":"customer","start":12.0,"end":14.0,"text":"你这是威胁我"}]}
{"id":"I2","kind":"call","case_id":"K2","agent_id":"A2","client":"乙消费金融","started_at":"2026-10-06T15:30:00+08:00","ended_at":"2026-10-06T15:31:00+08:00","direction":"outbound","outcome":"connected","party":"debtor","contact":{"id":"P2","relation":"debtor","number":"13987654321"},"recording":"../secret.wav","segments":[{"speaker":"agent","start":0.0,"end":5.0,"text":"您好，我是乙消费金融委托的催收员，请问是本人吗"},{"speaker":"customer","start":5.0,"end":7.0,"text":"是的"}]}
{"id":"I3","kind":"call","case_id":"K3","agent_id":"A3","client":"甲银行","started_at":"2026-10-07T09:15:00+08:00","ended_at":"2026-10-07T09:16:00+08:00","direction":"outbound","outcome":"connected","party":"debtor","contact":{"id":"P3","relation":"debtor","number":"13700001111"},"recording":"/etc/passwd","segments":[{"speaker":"agent","start":0.0,"end":5.0,"text":"您好，这里是甲银行委托的催收机构，请问是本人吗"},{"speaker":"customer","start":5.0,"end":7.0,"text":"是"}]}
{"id":"I4","kind":"sms","case_id":"K1","agent_id":"A1","client":"甲银行","started_at":"2026-10-08T11:00:00+08:00","contact":{"id":"P1","relation":"debtor","number":"13812345678"},"text":"【甲银行】尊敬的客户，身份证11010519491231002X名下卡号6222021234561234已逾期，请尽快还款"}
"#;

/// Which interactions each role sees.
pub fn visible(role: Option<Role>) -> Vec<&'static str> {
    match role {
        None => vec![],
        Some(Role::Admin | Role::QaLead | Role::QaReviewer) => vec!["I1", "I2", "I3", "I4"],
        Some(Role::BranchHead) => vec!["I1", "I2", "I4"],
        Some(Role::TeamLead | Role::Agent) => vec!["I1", "I4"],
        Some(Role::ClientAuditor) => vec!["I2"],
    }
}

pub fn user_of(role: Role) -> User {
    let mut u = User {
        username: format!("u_{}", role.as_str()),
        display_name: format!("测试 {}", role.as_str()),
        role,
        branch: None,
        team: None,
        agent_id: None,
        client: None,
    };
    match role {
        Role::BranchHead => u.branch = Some("武汉分公司".into()),
        Role::TeamLead => {
            u.branch = Some("武汉分公司".into());
            u.team = Some("一组".into());
        }
        Role::Agent => u.agent_id = Some("A1".into()),
        Role::ClientAuditor => u.client = Some("乙消费金融".into()),
        _ => {}
    }
    u
}

pub fn password_of(role: Role) -> String {
    format!("pw-{}-secret", role.as_str())
}

use zhijian_store::testing::Backend;

/// SQLite always; PostgreSQL (a fresh schema) when `ZHIJIAN_TEST_DATABASE_URL` is set (said
/// once, as `PostgreSQL web tests: RUN …` or `… SKIPPED …`).
pub async fn backends() -> Vec<Backend> {
    zhijian_store::testing::backends("web tests").await
}

/// A signed-in session.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub struct App {
    pub router: Router,
    pub store: Arc<Store>,
    pub sessions: HashMap<Role, Session>,
    pub recordings: PathBuf,
    _dir: tempfile::TempDir,
}

/// The data set ingested into a fresh store at `url`, one account per role, each signed in.
pub async fn app_at(url: &str) -> App {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data.jsonl");
    std::fs::write(&data, DATA).expect("write data");
    let rec = dir.path().join("recordings");
    std::fs::create_dir_all(rec.join("calls")).expect("mkdir");
    let wav: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(rec.join("calls/I1.wav"), wav).expect("write wav");
    std::fs::write(dir.path().join("secret.wav"), b"secret").expect("write secret");

    let store = Arc::new(Store::open(url).await.expect("open store"));
    let engine = Arc::new(Engine::builtin());
    let summary = zhijian_service::ingest::ingest(
        &store,
        &engine,
        &[data],
        &zhijian_service::ingest::IngestOptions::default(),
        &mut zhijian_service::ingest::Quiet,
    )
    .await
    .expect("ingest");
    assert_eq!(summary.rejected, 0, "{summary:?}");
    for role in Role::ALL {
        zhijian_web::add_user(&store, &user_of(role), &password_of(role))
            .await
            .expect("add user");
    }
    let mut state = zhijian_web::AppState::new(store.clone(), engine);
    state.recordings = Some(rec.clone());
    let router = zhijian_web::router(state);
    let mut app = App {
        router,
        store,
        sessions: HashMap::new(),
        recordings: rec,
        _dir: dir,
    };
    for role in Role::ALL {
        let s = app
            .login(&user_of(role).username, &password_of(role), "10.1.0.1")
            .await
            .unwrap_or_else(|r| panic!("login {role}: {r:?}"));
        app.sessions.insert(role, s);
    }
    app
}

/// A response: status, headers, body.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
    pub fn header(&self, h: &str) -> &str {
        self.headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A request to send.
pub struct Req<'a> {
    pub method: Method,
    pub uri: String,
    pub session: Option<&'a Session>,
    /// Send the session's CSRF token (state-changing requests).
    pub csrf: bool,
    pub body: Option<Value>,
    pub addr: &'a str,
    pub headers: Vec<(&'static str, String)>,
}

impl<'a> Req<'a> {
    pub fn get(uri: &str, session: Option<&'a Session>) -> Req<'a> {
        Req {
            method: Method::GET,
            uri: uri.to_string(),
            session,
            csrf: false,
            body: None,
            addr: "10.1.0.1",
            headers: vec![],
        }
    }
    pub fn post(uri: &str, session: Option<&'a Session>, body: Value) -> Req<'a> {
        Req {
            method: Method::POST,
            uri: uri.to_string(),
            session,
            csrf: true,
            body: Some(body),
            addr: "10.1.0.1",
            headers: vec![],
        }
    }
}

pub async fn send(router: &Router, r: Req<'_>) -> Res {
    let mut b = Request::builder().method(r.method).uri(&r.uri);
    b = b.header(header::HOST, "localhost");
    if let Some(s) = r.session {
        b = b.header(header::COOKIE, format!("zj_session={}", s.cookie));
        if r.csrf {
            b = b.header("X-CSRF-Token", &s.csrf);
        }
    }
    for (k, v) in &r.headers {
        b = b.header(*k, v);
    }
    let body = match r.body {
        Some(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let mut req = b.body(body).expect("request");
    let addr: SocketAddr = format!("{}:40000", r.addr).parse().expect("addr");
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = router.clone().oneshot(req).await.expect("infallible");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes().to_vec();
    Res {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

impl App {
    pub async fn send(&self, r: Req<'_>) -> Res {
        send(&self.router, r).await
    }

    pub fn session(&self, role: Role) -> &Session {
        &self.sessions[&role]
    }

    /// Sign in; the session, or the failed response.
    pub async fn login(&self, username: &str, password: &str, addr: &str) -> Result<Session, Res> {
        let mut r = Req::post(
            "/api/login",
            None,
            json!({"username": username, "password": password}),
        );
        r.addr = addr;
        let res = self.send(r).await;
        if res.status != StatusCode::OK {
            return Err(res);
        }
        let cookie = res.header("set-cookie").to_string();
        let token = cookie
            .strip_prefix("zj_session=")
            .and_then(|c| c.split(';').next())
            .expect("session cookie")
            .to_string();
        let csrf = res.json()["csrf_token"].as_str().expect("csrf").to_string();
        Ok(Session {
            cookie: token,
            csrf,
        })
    }
}
