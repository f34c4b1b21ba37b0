-- Zhijian store, PostgreSQL backend, schema version 2: what the web application needs.
-- Accounts, sessions, login throttling and the audit log; and, maintained by the write path in
-- the same transaction as the records, what makes the dashboard and the interaction list fast:
-- one row of facts per interaction (`web_facts`, with covering indexes for the list) and daily
-- rollups (`roll_*`). These are
-- derived data: `web_meta` records the version of the code that derived them, and opening a
-- store whose version differs (a store written before this migration included) rebuilds them
-- from the records. See docs/store.md.

CREATE TABLE users (
    username       TEXT PRIMARY KEY NOT NULL,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,           -- admin | qa_lead | qa_reviewer | branch_head | team_lead | agent | client_auditor
    branch         TEXT,
    team           TEXT,
    agent_id       TEXT,
    client         TEXT,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Sessions by the hash of their token (the token itself is never stored).
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    username    TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Login attempts, for throttling (kept 7 days).
CREATE TABLE login_attempts (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username  TEXT NOT NULL,
    addr      TEXT NOT NULL,
    ok        BIGINT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts (username, at);
CREATE INDEX login_attempts_addr ON login_attempts (addr, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- Who viewed a transcript, played a recording, logged in, …
CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    username  TEXT NOT NULL,
    role      TEXT,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    addr      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);

-- Version of the derived tables below (key `facts`); absent: rebuild on open.
CREATE TABLE web_meta (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);

-- One row per interaction: what the list filters on, and everything its rollup contributions
-- are derived from (`src/facts.rs`), so the write path can subtract exactly what it once added.
CREATE TABLE web_facts (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    started_at    BIGINT NOT NULL,
    local_date    TEXT NOT NULL,
    local_hour    BIGINT NOT NULL,
    agent_id      TEXT NOT NULL,
    client        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    own_stage     TEXT,                     -- the interaction's own case.stage
    stage         TEXT NOT NULL,            -- cases.stage, else own_stage, else ''
    connected     BIGINT NOT NULL,          -- 1: a connected call
    recording     BIGINT NOT NULL,          -- 1: a call with a recording
    flags         BIGINT NOT NULL,          -- 1 inspected | 2 passed | 4 with findings
    score         DOUBLE PRECISION,
    cat_lo        BIGINT NOT NULL,          -- (category, level) pairs found: see src/facts.rs
    cat_hi        BIGINT NOT NULL,
    n_findings    BIGINT NOT NULL,
    n_compliance  BIGINT NOT NULL,          -- findings of compliance categories
    n_service     BIGINT NOT NULL,          -- findings of service-standard categories
    findings      TEXT NOT NULL             -- JSON [[rule, category, level], …]
);
-- Covering indexes (the filter columns ride along), so a page of the list is one index range
-- scan, newest first, of every interaction, one agent's, one client's or one channel's.
CREATE INDEX facts_time ON web_facts (started_at, id) INCLUDE (local_date, agent_id, client, kind, flags, score, cat_lo, cat_hi);
CREATE INDEX facts_agent ON web_facts (agent_id, started_at, id) INCLUDE (local_date, client, kind, flags, score, cat_lo, cat_hi);
CREATE INDEX facts_client ON web_facts (client, started_at, id) INCLUDE (local_date, agent_id, kind, flags, score, cat_lo, cat_hi);
-- Calls are most interactions: they are found on facts_time as fast.
CREATE INDEX facts_kind ON web_facts (kind, started_at, id) INCLUDE (local_date, agent_id, client, flags, score, cat_lo, cat_hi) WHERE kind <> 'call';

-- Daily rollups (local days), keyed by what scopes and breakdowns need.
CREATE TABLE roll_int (
    local_date           TEXT NOT NULL,
    agent_id             TEXT NOT NULL,
    client               TEXT NOT NULL,
    stage                TEXT NOT NULL,
    interactions         BIGINT NOT NULL,
    calls                BIGINT NOT NULL,
    sms                  BIGINT NOT NULL,
    visits               BIGINT NOT NULL,
    notes                BIGINT NOT NULL,
    connected_calls      BIGINT NOT NULL,
    recordings           BIGINT NOT NULL,
    inspected            BIGINT NOT NULL,
    failed               BIGINT NOT NULL,
    with_findings        BIGINT NOT NULL,
    findings             BIGINT NOT NULL,
    compliance_findings  BIGINT NOT NULL,
    service_findings     BIGINT NOT NULL,
    compliance_hit       BIGINT NOT NULL,  -- inspected interactions with a compliance finding
    service_hit          BIGINT NOT NULL,  -- connected calls with a service-standard finding
    PRIMARY KEY (local_date, agent_id, client, stage)
);

-- The same without the agent: what dashboards not restricted to agents read (a few rows a day).
CREATE TABLE roll_day_int (
    local_date           TEXT NOT NULL,
    client               TEXT NOT NULL,
    stage                TEXT NOT NULL,
    interactions         BIGINT NOT NULL,
    calls                BIGINT NOT NULL,
    sms                  BIGINT NOT NULL,
    visits               BIGINT NOT NULL,
    notes                BIGINT NOT NULL,
    connected_calls      BIGINT NOT NULL,
    recordings           BIGINT NOT NULL,
    inspected            BIGINT NOT NULL,
    failed               BIGINT NOT NULL,
    with_findings        BIGINT NOT NULL,
    findings             BIGINT NOT NULL,
    compliance_findings  BIGINT NOT NULL,
    service_findings     BIGINT NOT NULL,
    compliance_hit       BIGINT NOT NULL,  -- inspected interactions with a compliance finding
    service_hit          BIGINT NOT NULL,  -- connected calls with a service-standard finding
    PRIMARY KEY (local_date, client, stage)
);

-- Findings by rule (and its category and level): the Pareto, the categories of breakdown rows
-- and the rule hits of the rules page.
CREATE TABLE roll_cat (
    local_date  TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    client      TEXT NOT NULL,
    category    TEXT NOT NULL,
    level       BIGINT NOT NULL,
    rule        TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (local_date, agent_id, client, category, level, rule)
);

CREATE TABLE roll_day_cat (
    local_date  TEXT NOT NULL,
    client      TEXT NOT NULL,
    category    TEXT NOT NULL,
    level       BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (local_date, client, category, level)
);

CREATE TABLE roll_hour (
    local_date    TEXT NOT NULL,
    local_hour    BIGINT NOT NULL,
    agent_id      TEXT NOT NULL,
    client        TEXT NOT NULL,
    interactions  BIGINT NOT NULL,
    findings      BIGINT NOT NULL,
    PRIMARY KEY (local_date, local_hour, agent_id, client)
);

CREATE TABLE roll_day_hour (
    local_date    TEXT NOT NULL,
    local_hour    BIGINT NOT NULL,
    client        TEXT NOT NULL,
    interactions  BIGINT NOT NULL,
    findings      BIGINT NOT NULL,
    PRIMARY KEY (local_date, local_hour, client)
);

-- Superseded by the rollups (dashboard counts) and the covering indexes of web_facts (the
-- list); each cost the write path an index entry per interaction or finding. `stats` reads the
-- rollups. (findings_category stays: the list filtered by a rare category walks it.)
DROP INDEX interactions_started;
DROP INDEX interactions_agent;
DROP INDEX interactions_client;
DROP INDEX interactions_kind;
DROP INDEX inspections_passed;
DROP INDEX findings_started;

-- The write path looks up the stage of the cases of a batch's interactions: from the index alone.
CREATE INDEX cases_stage ON cases (id, stage);
