//! The API through the router (no network): the authorisation matrix of every route × every
//! role (and no session, and objects of other teams and clients), CSRF, throttling, masking,
//! audit, sessions, drill-downs, the OpenAPI document, the embedded UI and its headers.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use zhijian_domain::Timestamp;
use zhijian_store::Role;

const IDS: [&str; 4] = ["I1", "I2", "I3", "I4"];

fn roles_and_none() -> Vec<Option<Role>> {
    let mut v: Vec<Option<Role>> = Role::ALL.into_iter().map(Some).collect();
    v.push(None);
    v
}

/// One row of the matrix: the route (as in the router's table), a concrete request, and the
/// expected status per caller.
struct Row {
    method: &'static str,
    template: &'static str,
    uri: String,
    body: Option<Value>,
    expect: Box<dyn Fn(Option<Role>) -> u16>,
}

fn row(
    method: &'static str,
    template: &'static str,
    uri: impl Into<String>,
    expect: impl Fn(Option<Role>) -> u16 + 'static,
) -> Row {
    Row {
        method,
        template,
        uri: uri.into(),
        body: None,
        expect: Box::new(expect),
    }
}

fn signed_in(ok: u16) -> impl Fn(Option<Role>) -> u16 {
    move |r| if r.is_some() { ok } else { 401 }
}

fn only(roles: &'static [Role]) -> impl Fn(Option<Role>) -> u16 {
    move |r| match r {
        None => 401,
        Some(r) if roles.contains(&r) => 200,
        Some(_) => 403,
    }
}

fn matrix() -> Vec<Row> {
    let mut rows = vec![
        row("get", "/api/me", "/api/me", signed_in(200)),
        row(
            "get",
            "/api/dashboard",
            format!("/api/dashboard?{FROM_TO}"),
            signed_in(200),
        ),
        row("get", "/api/dashboard", "/api/dashboard", signed_in(200)),
        row(
            "get",
            "/api/interactions",
            format!("/api/interactions?{FROM_TO}"),
            signed_in(200),
        ),
        row(
            "get",
            "/api/interactions",
            "/api/interactions?level=9",
            signed_in(400),
        ),
        row("get", "/api/rules", "/api/rules", signed_in(200)),
        row("get", "/api/audit", "/api/audit", only(&[Role::Admin])),
        row("get", "/api/users", "/api/users", only(&[Role::Admin])),
        row("get", "/api/health", "/api/health", |_| 200),
        row("get", "/api/openapi.json", "/api/openapi.json", |_| 200),
        row("get", "/", "/", |_| 200),
        row("get", "/index.html", "/index.html", |_| 200),
        row("get", "/assets/{*path}", "/assets/app.js", |_| 200),
        row("get", "/assets/{*path}", "/assets/pages/detail.js", |_| 200),
        row("get", "/assets/{*path}", "/assets/nope.js", |_| 404),
        row(
            "get",
            "/api/interactions/{id}",
            "/api/interactions/NOPE",
            signed_in(404),
        ),
    ];
    for id in IDS {
        rows.push(row(
            "get",
            "/api/interactions/{id}",
            format!("/api/interactions/{id}"),
            move |r| match r {
                None => 401,
                r if visible(r).contains(&id) => 200,
                _ => 404,
            },
        ));
        // Only I1's recording is a file under the root: I2's escapes it, I3's is absolute,
        // I4 has none.
        rows.push(row(
            "get",
            "/api/interactions/{id}/recording",
            format!("/api/interactions/{id}/recording"),
            move |r| match r {
                None => 401,
                r if id == "I1" && visible(r).contains(&id) => 200,
                _ => 404,
            },
        ));
    }
    let mut pg = row(
        "post",
        "/api/playground",
        "/api/playground",
        only(&[Role::Admin, Role::QaLead]),
    );
    pg.body =
        Some(json!({"segments":[{"speaker":"agent","text":"你这个老赖，再不还钱就去你单位闹"}]}));
    rows.push(pg);
    let mut login = row("post", "/api/login", "/api/login", |_| 401);
    login.body = Some(json!({"username":"nobody","password":"wrong-password"}));
    rows.push(login);
    // Last: it ends the session.
    let mut logout = row("post", "/api/logout", "/api/logout", signed_in(204));
    logout.body = Some(json!({}));
    rows.push(logout);
    rows
}

async fn run_matrix(app: &App) {
    let rows = matrix();
    let mut failures = Vec::new();
    for r in &rows {
        for caller in roles_and_none() {
            let session = caller.map(|c| app.session(c));
            let method = if r.method == "post" {
                Method::POST
            } else {
                Method::GET
            };
            let mut req = Req::get(&r.uri, session);
            req.method = method;
            req.csrf = r.method == "post";
            req.body = r.body.clone();
            if r.template == "/api/login" {
                req.body = Some(
                    json!({"username": format!("nobody-{:?}", caller), "password": "wrong-password"}),
                );
            }
            // Failed logins from an address of their own (throttling is tested apart).
            let addr = format!("10.2.0.{}", caller.map_or(99, |c| c as u8 + 1));
            req.addr = &addr;
            let res = app.send(req).await;
            let want = (r.expect)(caller);
            if res.status.as_u16() != want {
                failures.push(format!(
                    "{} {} as {:?}: got {}, want {want}: {}",
                    r.method,
                    r.uri,
                    caller.map(|c| c.as_str()),
                    res.status,
                    String::from_utf8_lossy(&res.body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ));
            }
            // Error bodies are the API's JSON errors.
            if res.status.is_client_error() && r.uri.starts_with("/api/") {
                let j = res.json();
                assert!(j["error"]["code"].is_string(), "{}: {j}", r.uri);
                assert!(j["error"]["message"].is_string(), "{}: {j}", r.uri);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every route of the router is in the matrix.
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_string()))
        .collect();
    let routes: BTreeSet<(String, String)> = zhijian_web::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(covered, routes, "matrix rows vs the router's routes");
}

#[tokio::test]
async fn authorisation_matrix_every_route_every_role() {
    for b in backends().await {
        let app = app_at(&b.url()).await;
        run_matrix(&app).await;
        // After the logout row every session is gone.
        for role in Role::ALL {
            let res = app.send(Req::get("/api/me", Some(app.session(role)))).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{} {role}", b.name());
            assert_eq!(res.code(), "auth.unauthenticated");
        }
        b.cleanup().await;
    }
}

#[tokio::test]
async fn lists_and_dashboards_are_scoped() {
    for b in backends().await {
        let app = app_at(&b.url()).await;
        for role in Role::ALL {
            let s = app.session(role);
            let res = app
                .send(Req::get(&format!("/api/interactions?{FROM_TO}"), Some(s)))
                .await;
            let ids: BTreeSet<String> = res.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect();
            let want: BTreeSet<String> =
                visible(Some(role)).iter().map(|s| s.to_string()).collect();
            assert_eq!(ids, want, "{} list as {role}", b.name());

            // A filter for another tenant narrows to nothing, never widens.
            if role == Role::ClientAuditor {
                let res = app
                    .send(Req::get(
                        "/api/interactions?client=%E7%94%B2%E9%93%B6%E8%A1%8C",
                        Some(s),
                    ))
                    .await;
                assert_eq!(res.json()["items"].as_array().unwrap().len(), 0);
            }

            let d = app
                .send(Req::get(&format!("/api/dashboard?{FROM_TO}"), Some(s)))
                .await
                .json();
            assert_eq!(
                d["kpis"]["interactions"].as_u64().unwrap() as usize,
                want.len(),
                "{} dashboard as {role}: {}",
                b.name(),
                d["kpis"]
            );
        }
        b.cleanup().await;
    }
}

#[tokio::test]
async fn csrf_is_required_on_state_changing_requests() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let s = app.session(Role::QaLead);
    let body = json!({"text": "你好"});
    let mut r = Req::post("/api/playground", Some(s), body.clone());
    r.csrf = false;
    let res = app.send(r).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.code(), "auth.csrf");
    // A wrong token.
    let wrong = Session {
        cookie: s.cookie.clone(),
        csrf: "not-the-token".into(),
    };
    let res = app
        .send(Req::post("/api/playground", Some(&wrong), body.clone()))
        .await;
    assert_eq!(res.code(), "auth.csrf");
    // Another session's token.
    let other = Session {
        cookie: s.cookie.clone(),
        csrf: app.session(Role::Admin).csrf.clone(),
    };
    let res = app
        .send(Req::post("/api/playground", Some(&other), body.clone()))
        .await;
    assert_eq!(res.code(), "auth.csrf");
    // A cross-site origin with the right token.
    let mut r = Req::post("/api/playground", Some(s), body.clone());
    r.headers.push(("origin", "https://evil.example".into()));
    assert_eq!(app.send(r).await.code(), "auth.csrf");
    // Logout without the token is refused too, and the session stays.
    let mut r = Req::post("/api/logout", Some(s), json!({}));
    r.csrf = false;
    assert_eq!(app.send(r).await.code(), "auth.csrf");
    assert_eq!(
        app.send(Req::get("/api/me", Some(s))).await.status,
        StatusCode::OK
    );
    // With the token and a same-origin Origin: fine.
    let mut r = Req::post("/api/playground", Some(s), body);
    r.headers.push(("origin", "http://localhost".into()));
    assert_eq!(app.send(r).await.status, StatusCode::OK);
}

#[tokio::test]
async fn login_is_throttled_per_username_and_per_address() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let admin = user_of(Role::Admin).username;
    // Unknown user and wrong password: the same answer.
    let e1 = app
        .login("no-such-user", "whatever-pw", "10.9.0.1")
        .await
        .unwrap_err();
    let e2 = app.login(&admin, "wrong-pw", "10.9.0.2").await.unwrap_err();
    assert_eq!(e1.status, StatusCode::UNAUTHORIZED);
    assert_eq!(e1.json(), e2.json());
    assert_eq!(e1.code(), "auth.invalid_credentials");
    // Per username: 5 failures in all (from several addresses) lock the account …
    for i in 0..4 {
        let e = app
            .login(&admin, "wrong-pw", &format!("10.9.1.{i}"))
            .await
            .unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
    }
    let e = app
        .login(&admin, &password_of(Role::Admin), "10.9.2.1")
        .await
        .unwrap_err();
    assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(e.code(), "auth.throttled");
    assert!(e.header("retry-after").parse::<u64>().unwrap() > 0);
    // … but not other accounts.
    let lead = user_of(Role::QaLead).username;
    assert!(
        app.login(&lead, &password_of(Role::QaLead), "10.9.2.1")
            .await
            .is_ok()
    );
    // Per address: 5 failures for different names lock the address for everyone.
    for i in 0..5 {
        let _ = app
            .login(&format!("guess{i}"), "x-password", "10.9.3.3")
            .await
            .unwrap_err();
    }
    let e = app
        .login(&lead, &password_of(Role::QaLead), "10.9.3.3")
        .await
        .unwrap_err();
    assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        app.login(&lead, &password_of(Role::QaLead), "10.9.3.4")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn session_cookie_and_lifetime() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let mut r = Req::post(
        "/api/login",
        None,
        json!({"username": user_of(Role::Agent).username, "password": password_of(Role::Agent)}),
    );
    r.addr = "10.3.0.1";
    let res = app.send(r).await;
    assert_eq!(res.status, StatusCode::OK);
    let cookie = res.header("set-cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let token = cookie
        .strip_prefix("zj_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert_eq!(token.len(), 43, "32 bytes base64url");
    let j = res.json();
    assert_eq!(j["user"]["role"], "agent");
    assert_eq!(j["user"]["agent_id"], "A1");
    // The store keeps the token's hash, not the token.
    assert!(
        app.store
            .session(token, Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    let th = zhijian_web::auth::token_hash(token);
    assert!(
        app.store
            .session(&th, Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );
    // An expired session is no session.
    let old = zhijian_web::auth::random_token();
    app.store
        .create_session(
            &zhijian_web::auth::token_hash(&old),
            &user_of(Role::Admin).username,
            "csrf",
            Timestamp::now()
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap(),
        )
        .await
        .unwrap();
    let expired = Session {
        cookie: old,
        csrf: "csrf".into(),
    };
    let res = app.send(Req::get("/api/me", Some(&expired))).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // Logout deletes the session and clears the cookie.
    let s = app.session(Role::QaReviewer);
    let res = app.send(Req::post("/api/logout", Some(s), json!({}))).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(
        app.send(Req::get("/api/me", Some(s))).await.status,
        StatusCode::UNAUTHORIZED
    );
}

fn transcript_text(d: &Value) -> String {
    d["interaction"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn personal_data_is_masked_for_masked_roles() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let clear = app
        .send(Req::get(
            "/api/interactions/I1",
            Some(app.session(Role::QaLead)),
        ))
        .await
        .json();
    assert!(transcript_text(&clear).contains("13812345678"));
    assert_eq!(clear["interaction"]["contact"]["number"], "13812345678");
    for role in [
        Role::TeamLead,
        Role::QaReviewer,
        Role::Agent,
        Role::BranchHead,
    ] {
        let d = app
            .send(Req::get("/api/interactions/I1", Some(app.session(role))))
            .await
            .json();
        let t = transcript_text(&d);
        assert!(t.contains("138****5678"), "{role}: {t}");
        assert!(!t.contains("13812345678"), "{role}: {t}");
        assert_eq!(d["interaction"]["contact"]["number"], "138****5678");
        assert_eq!(d["contact"]["number"], "138****5678");
        let summary = d["complaints"][0]["summary"].as_str().unwrap();
        assert!(summary.contains("138****5678"), "{summary}");
        // Masks keep the character count: every finding's span still fits its segment and
        // points at the same characters as in clear.
        let segs = d["interaction"]["segments"].as_array().unwrap();
        let clear_segs = clear["interaction"]["segments"].as_array().unwrap();
        assert_eq!(segs.len(), clear_segs.len());
        for (a, c) in segs.iter().zip(clear_segs) {
            assert_eq!(
                a["text"].as_str().unwrap().chars().count(),
                c["text"].as_str().unwrap().chars().count()
            );
        }
        let findings = d["inspection"]["findings"].as_array().unwrap();
        assert!(!findings.is_empty());
        for f in findings {
            if let (Some(s), Some(e)) = (f["segment"].as_u64(), f["end"].as_u64()) {
                let n = segs[s as usize]["text"].as_str().unwrap().chars().count();
                assert!(e as usize <= n, "{f}");
            }
        }
    }
    // The SMS body: ID number and bank card.
    let sms = app
        .send(Req::get(
            "/api/interactions/I4",
            Some(app.session(Role::Agent)),
        ))
        .await
        .json();
    let text = sms["interaction"]["text"].as_str().unwrap();
    assert!(text.contains("110105********002X"), "{text}");
    assert!(text.contains("6222********1234"), "{text}");
    let sms = app
        .send(Req::get(
            "/api/interactions/I4",
            Some(app.session(Role::Admin)),
        ))
        .await
        .json();
    assert!(
        sms["interaction"]["text"]
            .as_str()
            .unwrap()
            .contains("11010519491231002X")
    );
}

#[tokio::test]
async fn views_and_playbacks_are_audited() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let tl = app.session(Role::TeamLead);
    assert_eq!(
        app.send(Req::get("/api/interactions/I1", Some(tl)))
            .await
            .status,
        StatusCode::OK
    );
    // Not found / out of scope: nothing viewed, nothing audited.
    assert_eq!(
        app.send(Req::get("/api/interactions/I3", Some(tl)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut r = Req::get("/api/interactions/I1/recording", Some(tl));
    r.headers.push(("range", "bytes=0-99".into()));
    let res = app.send(r).await;
    assert_eq!(res.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.body.len(), 100);
    assert_eq!(res.header("content-range"), "bytes 0-99/4096");
    assert!(
        res.header("content-type").starts_with("audio/"),
        "{:?}",
        res.headers
    );
    // A seek later in the file is the same playback.
    let mut r = Req::get("/api/interactions/I1/recording", Some(tl));
    r.headers.push(("range", "bytes=2000-".into()));
    assert_eq!(app.send(r).await.status, StatusCode::PARTIAL_CONTENT);

    let log = app
        .send(Req::get(
            "/api/audit?limit=50",
            Some(app.session(Role::Admin)),
        ))
        .await
        .json();
    let items = log["items"].as_array().unwrap();
    let has = |action: &str, object: &str| {
        items
            .iter()
            .filter(|e| {
                e["action"] == action
                    && e["object"] == object
                    && e["username"] == user_of(Role::TeamLead).username
            })
            .count()
    };
    assert_eq!(has("view_transcript", "I1"), 1, "{log}");
    assert_eq!(has("view_transcript", "I3"), 0, "{log}");
    assert_eq!(has("play_recording", "I1"), 1, "{log}");
    let e = items
        .iter()
        .find(|e| e["action"] == "view_transcript")
        .unwrap();
    assert_eq!(e["role"], "team_lead");
    assert_eq!(e["addr"], "10.1.0.1");
    assert!(e["at"].is_string());
    // Sign-ins are in the log too.
    assert!(items.iter().any(|e| e["action"] == "login"));
}

#[tokio::test]
async fn detail_shape_and_recording_url() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let s = app.session(Role::Admin);
    let d = app
        .send(Req::get("/api/interactions/I1", Some(s)))
        .await
        .json();
    assert_eq!(d["recording_url"], "/api/interactions/I1/recording");
    assert_eq!(d["agent"]["name"], "张伟");
    assert_eq!(d["case"]["stage"], "M2");
    assert!(!d["history"].as_array().unwrap().is_empty());
    let f = &d["inspection"]["findings"].as_array().unwrap()[0];
    for k in [
        "rule",
        "category",
        "level",
        "title",
        "source",
        "deduction",
        "excerpt",
        "message",
        "category_title",
    ] {
        assert!(!f[k].is_null(), "{k} missing in {f}");
    }
    let threat = d["inspection"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "threat" || f["category"] == "abuse")
        .expect("a threat or abuse finding");
    assert_eq!(threat["segment"], 2);
    assert!(threat["t_start"].as_f64().unwrap() >= 6.0);
    // No servable file: no URL (a recording outside the root, an absolute path).
    for id in ["I2", "I3", "I4"] {
        let d = app
            .send(Req::get(&format!("/api/interactions/{id}"), Some(s)))
            .await
            .json();
        assert!(d["recording_url"].is_null(), "{id}: {}", d["recording_url"]);
    }
}

#[tokio::test]
async fn drill_downs_and_bad_filters() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let s = app.session(Role::Admin);
    let ids = |res: Res| -> Vec<String> {
        res.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    // I1: Monday 2026-10-05 10:00; I2 Tuesday 15:30; I3 Wednesday 09:15; I4 Thursday 11:00.
    let get = |q: &str| Req::get(&format!("/api/interactions?{q}"), Some(s));
    assert_eq!(ids(app.send(get("weekday=0")).await), ["I1"]);
    assert_eq!(ids(app.send(get("hour=15")).await), ["I2"]);
    assert_eq!(
        ids(app.send(get("region=%E5%9B%9B%E5%B7%9D")).await),
        ["I3"]
    );
    assert_eq!(ids(app.send(get("stage=M1")).await), ["I2"]);
    assert_eq!(ids(app.send(get("tenure=lt3")).await), ["I4", "I1"]);
    assert_eq!(ids(app.send(get("tenure=gt12")).await), ["I2"]);
    assert_eq!(ids(app.send(get("tenure=3to12")).await), ["I3"]);
    assert_eq!(
        ids(app
            .send(get("branch=%E6%88%90%E9%83%BD%E5%88%86%E5%85%AC%E5%8F%B8"))
            .await),
        ["I3"]
    );
    assert_eq!(ids(app.send(get("kind=sms")).await), ["I4"]);
    // Paging with a drill-down stays exact.
    let res = app.send(get("tenure=lt3&limit=1")).await.json();
    assert_eq!(res["items"][0]["id"], "I4");
    let c = res["next_cursor"].as_str().unwrap().to_string();
    let res = app
        .send(get(&format!("tenure=lt3&limit=1&cursor={c}")))
        .await
        .json();
    assert_eq!(res["items"][0]["id"], "I1");
    for bad in [
        "from=2026-13-01",
        "level=0",
        "status=maybe",
        "kind=fax",
        "score_min=abc",
        "weekday=7",
        "hour=x",
        "tenure=old",
        "limit=0",
        "limit=100000",
        "cursor=!!!",
        "from=2026-10-31&to=2026-10-01",
    ] {
        let res = app.send(get(bad)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(res.code(), "input.invalid_argument", "{bad}");
    }
    for bad in [
        "/api/dashboard?from=oops",
        "/api/dashboard?row_categories=maybe",
    ] {
        let res = app.send(Req::get(bad, Some(s))).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(res.code(), "input.invalid_argument", "{bad}");
    }
}

#[tokio::test]
async fn dashboard_rules_and_playground_shapes() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let s = app.session(Role::QaLead);
    let d = app
        .send(Req::get(&format!("/api/dashboard?{FROM_TO}"), Some(s)))
        .await
        .json();
    assert_eq!(d["filter"]["from"], "2026-10-01");
    let pareto = d["pareto"].as_array().unwrap();
    assert!(!pareto.is_empty());
    for p in pareto {
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        assert!(p["drill"].as_str().unwrap().contains("category="), "{p}");
        assert!(p["category_kind"].is_string(), "{p}");
    }
    let heat = d["heatmap"].as_array().unwrap();
    assert!(
        heat.iter()
            .all(|c| c["drill"].as_str().unwrap().contains("weekday="))
    );
    for dim in [
        "branch", "team", "tenure", "region", "stage", "client", "agent",
    ] {
        for r in d["breakdowns"][dim].as_array().unwrap() {
            assert!(r["drill"].is_string(), "{dim}: {r}");
            // Findings by category only when asked for.
            assert!(r.get("categories").is_none(), "{dim}: {r}");
        }
    }
    let with = app
        .send(Req::get(
            &format!("/api/dashboard?{FROM_TO}&row_categories=true"),
            Some(s),
        ))
        .await
        .json();
    assert_eq!(with["kpis"], d["kpis"]);
    for dim in ["branch", "team", "tenure", "region", "client", "agent"] {
        let rows = with["breakdowns"][dim].as_array().unwrap();
        assert!(
            rows.iter().any(|r| r["categories"]
                .as_object()
                .is_some_and(|c| c.values().any(|n| n.as_u64() > Some(0)))),
            "{dim}: {rows:?}"
        );
    }
    for r in with["breakdowns"]["stage"].as_array().unwrap() {
        assert!(r.get("categories").is_none(), "stage: {r}");
    }
    // The drill-downs of the dashboard select what they count.
    let monday10 = heat
        .iter()
        .find(|c| c["weekday"] == 0 && c["hour"] == 10)
        .unwrap();
    let q = monday10["drill"].as_str().unwrap();
    let l = app
        .send(Req::get(&format!("/api/interactions?{q}"), Some(s)))
        .await
        .json();
    assert_eq!(l["items"][0]["id"], "I1", "{q}");
    let region = d["breakdowns"]["region"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "四川")
        .unwrap();
    let q = region["drill"].as_str().unwrap();
    let l = app
        .send(Req::get(&format!("/api/interactions?{q}"), Some(s)))
        .await
        .json();
    assert_eq!(l["items"].as_array().unwrap().len(), 1, "{q}");

    let rules = app.send(Req::get("/api/rules", Some(s))).await.json();
    assert!(
        rules["pack"]["ref"]
            .as_str()
            .unwrap()
            .starts_with("cn-default@")
    );
    let list = rules["rules"].as_array().unwrap();
    assert!(list.len() > 20);
    let kinds: BTreeSet<&str> = list.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains("content") && kinds.contains("event"),
        "{kinds:?}"
    );
    for r in list {
        for k in [
            "id",
            "category",
            "level",
            "title",
            "description",
            "source",
            "deduction",
            "kind",
            "hits",
        ] {
            assert!(!r[k].is_null(), "{k} in {r}");
        }
        assert!(r["examples"]["hit"].is_array() && r["examples"]["miss"].is_array());
    }
    let hits: u64 = list.iter().map(|r| r["hits"].as_u64().unwrap()).sum();
    assert!(hits > 0);
    // Hits are counted in the caller's scope: the client auditor's (乙) has no threats.
    let ca = app
        .send(Req::get(
            "/api/rules",
            Some(app.session(Role::ClientAuditor)),
        ))
        .await
        .json();
    let threat_hits: u64 = ca["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "threat")
        .map(|r| r["hits"].as_u64().unwrap())
        .sum();
    assert_eq!(threat_hits, 0);

    let p = app
        .send(Req::post(
            "/api/playground",
            Some(s),
            json!({"segments":[
                {"speaker":"agent","start":0,"end":3,"text":"您好"},
                {"speaker":"agent","start":3,"end":8,"text":"你这个老赖，再不还钱就去你单位闹"}]}),
        ))
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let p = p.json();
    assert_eq!(p["passed"], false);
    assert!(p["score"].is_number());
    let f = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "abuse")
        .expect("abuse");
    assert_eq!(f["segment"], 1);
    assert!(f["start"].as_u64().unwrap() < f["end"].as_u64().unwrap());
    assert!(f["end"].as_u64().unwrap() <= 16);
    assert_eq!(f["t_start"], 3.0);
    assert_eq!(f["t_end"], 8.0);
    assert!(f["title"].is_string() && f["source"].is_string());
    let p = app
        .send(Req::post(
            "/api/playground",
            Some(s),
            json!({"text": "你这个老赖"}),
        ))
        .await
        .json();
    assert!(
        p["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["category"] == "abuse")
    );
    let res = app
        .send(Req::post("/api/playground", Some(s), json!({})))
        .await;
    assert_eq!(res.code(), "input.invalid_argument");
}

#[tokio::test]
async fn ui_is_embedded_with_security_headers() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let check = |res: &Res| {
        assert_eq!(
            res.header("content-security-policy"),
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; media-src 'self'"
        );
        assert_eq!(res.header("x-content-type-options"), "nosniff");
        assert_eq!(res.header("referrer-policy"), "same-origin");
        assert_eq!(res.header("x-frame-options"), "DENY");
        assert!(!res.header("cache-control").is_empty());
    };
    let res = app.send(Req::get("/", None)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), "text/html; charset=utf-8");
    assert!(String::from_utf8_lossy(&res.body).contains("/assets/app.js"));
    check(&res);
    for (path, mime) in [
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        (
            "/assets/pages/dashboard.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/assets/vendor/echarts.min.js",
            "text/javascript; charset=utf-8",
        ),
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let res = app.send(Req::get(path, None)).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert_eq!(res.header("content-type"), mime, "{path}");
        check(&res);
        // Revalidation.
        let etag = res.header("etag").to_string();
        let mut r = Req::get(path, None);
        r.headers.push(("if-none-match", etag));
        assert_eq!(app.send(r).await.status, StatusCode::NOT_MODIFIED);
    }
    for path in [
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/nope",
    ] {
        let res = app.send(Req::get(path, None)).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        check(&res);
    }
    // Compressed when asked for.
    let mut r = Req::get("/assets/vendor/echarts.min.js", None);
    r.headers.push(("accept-encoding", "gzip".into()));
    let res = app.send(r).await;
    assert_eq!(res.header("content-encoding"), "gzip");
    // API responses: security headers, no caching, JSON errors.
    let res = app.send(Req::get("/api/me", None)).await;
    check(&res);
    assert_eq!(res.header("cache-control"), "no-store");
    assert_eq!(res.code(), "auth.unauthenticated");
    let res = app.send(Req::get("/api/nothing-here", None)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.code(), "not_found");
    let mut r = Req::get("/api/rules", Some(app.session(Role::Admin)));
    r.method = Method::DELETE;
    r.csrf = true;
    let res = app.send(r).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let doc = zhijian_web::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut in_doc = BTreeSet::new();
    for (p, ops) in paths {
        for m in ops.as_object().unwrap().keys() {
            in_doc.insert((m.clone(), p.clone()));
        }
    }
    let routes: BTreeSet<(String, String)> = zhijian_web::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.replace("{*", "{")))
        .collect();
    assert_eq!(in_doc, routes);
    // And it is served.
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let res = app.send(Req::get("/api/openapi.json", None)).await;
    assert_eq!(res.json(), doc);
}

#[tokio::test]
async fn demo_accounts_cover_every_role_with_real_scopes() {
    let b = &backends().await[0];
    let app = app_at(&b.url()).await;
    let accounts = zhijian_web::seed_demo_users(&app.store).await.unwrap();
    assert_eq!(accounts.len(), Role::ALL.len());
    for a in &accounts {
        let s = app
            .login(&a.username, &a.password, "10.7.0.1")
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", a.username));
        let me = app.send(Req::get("/api/me", Some(&s))).await.json();
        assert_eq!(me["user"]["role"], a.role.as_str());
        let n = app
            .send(Req::get(&format!("/api/interactions?{FROM_TO}"), Some(&s)))
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len();
        assert!(n > 0, "{} sees nothing ({})", a.username, a.scope);
    }
    let by_role = |r: Role| accounts.iter().find(|a| a.role == r).unwrap();
    assert_eq!(by_role(Role::BranchHead).scope, "branch 成都分公司");
    assert_eq!(by_role(Role::ClientAuditor).scope, "client 乙消费金融");
}
