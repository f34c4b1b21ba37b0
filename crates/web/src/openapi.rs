//! The OpenAPI 3.1 document of the API (`GET /api/openapi.json`), written by hand. A test
//! checks that every route of the router is in it and that it names no other.

use axum::Json;
use serde_json::{Map, Value, json};

fn err_ref() -> Value {
    json!({"$ref": "#/components/responses/Error"})
}

fn ok_json(schema: Value, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn q(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn s() -> Value {
    json!({"type": "string"})
}

/// Query parameters shared by the dashboard, the list and the rules.
fn filter_params() -> Vec<Value> {
    vec![
        q(
            "from",
            "first local day, inclusive (YYYY-MM-DD)",
            json!({"type":"string","format":"date"}),
        ),
        q(
            "to",
            "last local day, inclusive (YYYY-MM-DD)",
            json!({"type":"string","format":"date"}),
        ),
        q("client", "client id", s()),
        q("branch", "the agent's branch", s()),
        q("team", "the agent's team (within branch)", s()),
        q("agent", "agent id", s()),
        q("category", "finding category", s()),
        q(
            "level",
            "finding level 1–4",
            json!({"type":"integer","minimum":1,"maximum":4}),
        ),
        q(
            "status",
            "passed | failed | findings",
            json!({"type":"string","enum":["passed","failed","findings"]}),
        ),
        q(
            "score_min",
            "lowest score, inclusive",
            json!({"type":"number"}),
        ),
        q(
            "score_max",
            "highest score, inclusive",
            json!({"type":"number"}),
        ),
        q(
            "kind",
            "channel",
            json!({"type":"string","enum":["call","sms","visit","note"]}),
        ),
        q(
            "weekday",
            "drill-down: local weekday of the interaction, 0 = Monday",
            json!({"type":"integer","minimum":0,"maximum":6}),
        ),
        q(
            "hour",
            "drill-down: local hour of the interaction",
            json!({"type":"integer","minimum":0,"maximum":23}),
        ),
        q(
            "tenure",
            "drill-down: the agent's tenure band on the interaction's local date",
            json!({"type":"string","enum":["lt3","3to12","gt12","unknown"]}),
        ),
        q(
            "region",
            "drill-down: the agent's region (unknown: none recorded)",
            s(),
        ),
        q(
            "stage",
            "drill-down: the effective case stage (unknown: none recorded)",
            s(),
        ),
    ]
}

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}})
}

fn secured(mut op: Value) -> Value {
    if let Some(o) = op.as_object_mut() {
        o.insert("security".into(), json!([{"session": []}]));
        let r = o
            .entry("responses")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|r| {
                r.insert("401".into(), err_ref());
            });
        let _ = r;
    }
    op
}

fn csrf(mut op: Value) -> Value {
    if let Some(o) = op.as_object_mut() {
        let params = o
            .entry("parameters")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .map(|p| {
                p.push(json!({"name": "X-CSRF-Token", "in": "header", "required": true,
                    "description": "the session's csrf_token (from /api/login or /api/me)", "schema": {"type":"string"}}));
            });
        let _ = params;
        if let Some(r) = o.get_mut("responses").and_then(Value::as_object_mut) {
            r.insert("403".into(), err_ref());
        }
    }
    op
}

fn schemas() -> Value {
    json!({
        "Error": {"type":"object","required":["error"],"properties":{"error":{"type":"object","required":["code","message"],"properties":{
            "code":{"type":"string","enum":["auth.unauthenticated","auth.invalid_credentials","auth.throttled","auth.csrf","auth.forbidden","not_found","input.invalid_argument","method_not_allowed","internal"]},
            "message":{"type":"string"}}}}},
        "Role": {"type":"string","enum":["admin","qa_lead","qa_reviewer","branch_head","team_lead","agent","client_auditor"]},
        "User": {"type":"object","required":["username","display_name","role"],"properties":{
            "username":s(),"display_name":s(),"role":schema_ref("Role"),
            "branch":s(),"team":s(),"agent_id":s(),"client":s()}},
        "Me": {"type":"object","required":["user","csrf_token"],"properties":{"user":schema_ref("User"),"csrf_token":s()}},
        "ListItem": {"type":"object","required":["id","kind","started_at","local_date","agent_id","client","case_id","finding_count","max_level","categories"],"properties":{
            "id":s(),"kind":s(),"started_at":{"type":"string","format":"date-time"},"local_date":{"type":"string","format":"date"},
            "agent_id":s(),"agent_name":s(),"branch":s(),"team":s(),"client":s(),"case_id":s(),"party":s(),"outcome":s(),
            "duration_s":{"type":"number"},"score":{"type":"number"},"passed":{"type":"boolean"},
            "finding_count":{"type":"integer"},"max_level":{"type":"integer"},"categories":{"type":"array","items":s()}}},
        "ListPage": {"type":"object","required":["items"],"properties":{"items":{"type":"array","items":schema_ref("ListItem")},"next_cursor":s()}},
        "Finding": {"type":"object","required":["rule","category","level","excerpt","message"],"properties":{
            "rule":s(),"category":s(),"category_title":s(),"category_kind":{"type":"string","enum":["content","event_log"]},
            "kind":{"type":"string","enum":["compliance","service","other"]},"level":{"type":"integer"},"title":s(),"source":s(),
            "deduction":{"type":"integer"},"segment":{"type":"integer"},"start":{"type":"integer","description":"character offset in the segment text"},
            "end":{"type":"integer"},"t_start":{"type":"number","description":"seconds"},"t_end":{"type":"number"},"excerpt":s(),"message":s()}},
        "Detail": {"type":"object","required":["interaction","history","complaints"],"properties":{
            "interaction":{"type":"object","description":"interchange v1 interaction, personal data masked per role"},
            "inspection":{"type":"object","properties":{"pack":s(),"inspected_at":s(),"score":{"type":"number"},"passed":{"type":"boolean"},"party":s(),
                "findings":{"type":"array","items":schema_ref("Finding")}}},
            "agent":{"type":"object"},"case":{"type":"object"},"contact":{"type":"object"},
            "history":{"type":"array","items":schema_ref("ListItem")},"complaints":{"type":"array","items":{"type":"object"}},
            "recording_url":s()}},
        "Dashboard": {"type":"object","required":["filter","kpis","trend","pareto","heatmap","breakdowns"],"properties":{
            "filter":{"type":"object"},"kpis":{"type":"object"},
            "trend":{"type":"array","items":{"type":"object","properties":{"date":s(),"drill":s()}}},
            "pareto":{"type":"array","items":{"type":"object","properties":{"category":s(),"title":s(),"kind":s(),"category_kind":s(),"level":{"type":"integer"},"count":{"type":"integer"},"drill":s()}}},
            "heatmap":{"type":"array","items":{"type":"object","properties":{"weekday":{"type":"integer"},"hour":{"type":"integer"},"count":{"type":"integer"},"interactions":{"type":"integer"},"drill":s()}}},
            "breakdowns":{"type":"object","additionalProperties":{"type":"array","items":{"type":"object","properties":{"key":s(),"label":s(),"drill":s()}}}}}},
        "Rule": {"type":"object","properties":{"id":s(),"category":s(),"category_title":s(),"category_kind":s(),"class":s(),"level":{"type":"integer"},
            "title":s(),"description":s(),"source":s(),"deduction":{"type":"integer"},
            "kind":{"type":"string","enum":["content","require","order","timing","amount","event"]},"hits":{"type":"integer"},
            "examples":{"type":"object","properties":{"hit":{"type":"array","items":{"type":"object"}},"miss":{"type":"array","items":{"type":"object"}}}}}},
        "Rules": {"type":"object","required":["pack","rules"],"properties":{"pack":{"type":"object"},"scorecard":{"type":"object"},
            "categories":{"type":"array","items":{"type":"object"}},"rules":{"type":"array","items":schema_ref("Rule")}}},
        "PlaygroundRequest": {"type":"object","properties":{
            "text":s(),"segments":{"type":"array","items":{"type":"object","required":["text"],"properties":{"speaker":{"type":"string","enum":["agent","customer"]},"start":{"type":"number"},"end":{"type":"number"},"text":s()}}},
            "kind":{"type":"string","enum":["call","sms","visit","note"]},"party":s(),"client":s(),"started_at":{"type":"string","format":"date-time"}}},
        "PlaygroundResult": {"type":"object","required":["score","passed","findings"],"properties":{"score":{"type":"number"},"passed":{"type":"boolean"},"party":s(),"pack":s(),
            "findings":{"type":"array","items":schema_ref("Finding")}}},
        "AuditEvent": {"type":"object","required":["at","username","action","object","addr"],"properties":{"at":{"type":"string","format":"date-time"},"username":s(),"role":schema_ref("Role"),"action":s(),"object":s(),"addr":s()}},
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut put = |path: &str, method: &str, op: Value| {
        let e = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        if let Some(o) = e.as_object_mut() {
            o.insert(method.to_string(), op);
        }
    };
    put(
        "/api/login",
        "post",
        json!({
            "summary": "Sign in", "tags": ["session"],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type":"object","required":["username","password"],"properties":{"username":s(),"password":s()}}}}},
            "responses": {"200": {"description": "signed in; sets the zj_session cookie", "headers": {"Set-Cookie": {"schema": s()}}, "content": {"application/json": {"schema": schema_ref("Me")}}},
                "401": err_ref(), "429": {"description": "too many failures (auth.throttled)", "headers": {"Retry-After": {"schema": {"type":"integer"}}}, "content": {"application/json": {"schema": schema_ref("Error")}}}}
        }),
    );
    put(
        "/api/logout",
        "post",
        csrf(secured(json!({
            "summary": "Sign out (deletes the session)", "tags": ["session"],
            "responses": {"204": {"description": "signed out"}}
        }))),
    );
    put(
        "/api/me",
        "get",
        secured(json!({
            "summary": "The signed-in user and the session's CSRF token", "tags": ["session"],
            "responses": {"200": ok_json(schema_ref("Me"), "the caller")}
        })),
    );
    let mut dash_params = filter_params();
    dash_params.push(q(
        "row_categories",
        "true: findings by category on every breakdown row but the stage rows (costs a rollup \
         row per agent, day and category of the range)",
        json!({"type":"boolean","default":false}),
    ));
    put(
        "/api/dashboard",
        "get",
        secured(json!({
            "summary": "KPIs, trend, Pareto, heat map and breakdowns in the caller's scope (default: the last 30 days)", "tags": ["dashboard"],
            "parameters": dash_params,
            "responses": {"200": ok_json(schema_ref("Dashboard"), "the dashboard"), "400": err_ref()}
        })),
    );
    let mut list_params = filter_params();
    list_params.extend([
        q("cursor", "next_cursor of the previous page", s()),
        q(
            "limit",
            "page size (default 50)",
            json!({"type":"integer","minimum":1,"maximum":500}),
        ),
    ]);
    put(
        "/api/interactions",
        "get",
        secured(json!({
            "summary": "Interactions in the caller's scope, newest first (keyset paging)", "tags": ["interactions"],
            "parameters": list_params,
            "responses": {"200": ok_json(schema_ref("ListPage"), "a page"), "400": err_ref()}
        })),
    );
    put(
        "/api/interactions/{id}",
        "get",
        secured(json!({
            "summary": "One interaction with its inspection, case, contact, history and complaints; masked per role; audited", "tags": ["interactions"],
            "parameters": [id_param()],
            "responses": {"200": ok_json(schema_ref("Detail"), "the interaction"), "404": err_ref()}
        })),
    );
    put(
        "/api/interactions/{id}/recording",
        "get",
        secured(json!({
            "summary": "The recording (a file under --recordings), with range requests; audited", "tags": ["interactions"],
            "parameters": [id_param(), {"name":"Range","in":"header","required":false,"schema":s()}],
            "responses": {"200": {"description": "the audio", "content": {"audio/*": {"schema": {"type":"string","contentMediaType":"audio/*"}}}},
                "206": {"description": "a range of the audio"}, "404": err_ref()}
        })),
    );
    put(
        "/api/rules",
        "get",
        secured(json!({
            "summary": "The active rule pack with hit counts in the caller's scope", "tags": ["rules"],
            "parameters": filter_params(),
            "responses": {"200": ok_json(schema_ref("Rules"), "the pack"), "400": err_ref()}
        })),
    );
    put(
        "/api/playground",
        "post",
        csrf(secured(json!({
            "summary": "Inspect a typed dialogue with the active pack (admin, qa_lead)", "tags": ["rules"],
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema_ref("PlaygroundRequest")}}},
            "responses": {"200": ok_json(schema_ref("PlaygroundResult"), "findings"), "400": err_ref()}
        }))),
    );
    put(
        "/api/audit",
        "get",
        secured(json!({
            "summary": "The latest audit-log entries, newest first (admin)", "tags": ["admin"],
            "parameters": [q("limit", "entries (default 200)", json!({"type":"integer","minimum":1,"maximum":10000}))],
            "responses": {"200": ok_json(json!({"type":"object","properties":{"items":{"type":"array","items":schema_ref("AuditEvent")}}}), "entries"), "403": err_ref()}
        })),
    );
    put(
        "/api/users",
        "get",
        secured(json!({
            "summary": "The accounts (admin)", "tags": ["admin"],
            "responses": {"200": ok_json(json!({"type":"object","properties":{"items":{"type":"array","items":schema_ref("User")}}}), "accounts"), "403": err_ref()}
        })),
    );
    put(
        "/api/health",
        "get",
        json!({
            "summary": "Liveness, the active pack and the store backend", "tags": ["admin"],
            "responses": {"200": ok_json(json!({"type":"object","properties":{"status":s(),"pack":s(),"backend":s()}}), "ok")}
        }),
    );
    put(
        "/api/openapi.json",
        "get",
        json!({
            "summary": "This document", "tags": ["admin"],
            "responses": {"200": ok_json(json!({"type":"object"}), "OpenAPI 3.1")}
        }),
    );
    let html = |summary: &str| {
        json!({
            "summary": summary, "tags": ["ui"],
            "responses": {"200": {"description": "the page", "content": {"text/html": {"schema": s()}}}}
        })
    };
    put("/", "get", html("The browser UI"));
    put("/index.html", "get", html("The browser UI"));
    put(
        "/assets/{path}",
        "get",
        json!({
            "summary": "A file of the browser UI (JavaScript, CSS, images)", "tags": ["ui"],
            "parameters": [{"name":"path","in":"path","required":true,"schema":s(),"description":"path under assets/, may contain /"}],
            "responses": {"200": {"description": "the file"}, "304": {"description": "not modified (ETag)"}, "404": err_ref()}
        }),
    );

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Zhijian 质检 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Compliance inspection for debt collection. Authorisation by session cookie (zj_session) and role scope; see docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "paths": Value::Object(paths),
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "zj_session"}},
            "responses": {"Error": {"description": "an error", "content": {"application/json": {"schema": schema_ref("Error")}}}},
            "schemas": schemas(),
        },
    })
}

/// `GET /api/openapi.json`.
pub async fn handler() -> Json<Value> {
    Json(document())
}
