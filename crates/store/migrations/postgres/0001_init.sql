-- Zhijian store, PostgreSQL backend, schema version 1.
-- Times are BIGINT epoch milliseconds (UTC); dates are TEXT 'YYYY-MM-DD'.
-- Ids are COLLATE "C" (byte order, as in SQLite), so keyset paging by id agrees with the
-- primary-key index whatever the database's collation.
-- Every record table keeps `hash` (content hash of `body`), `body` (the record's canonical
-- JSON, so the exact record can be read back) and `updated_at`. `body` is the last column so
-- that scans of the other columns do not touch its overflow pages.

CREATE TABLE clients (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    body        TEXT NOT NULL
);

-- The org tree: head office → branch → team → agent.
CREATE TABLE agents (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    branch      TEXT NOT NULL,
    team        TEXT NOT NULL,
    region      TEXT,
    hired_on    TEXT,
    supervisor  TEXT,
    hash        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX agents_branch_team ON agents (branch, team);

CREATE TABLE cases (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    client        TEXT NOT NULL,
    product       TEXT,
    principal     DOUBLE PRECISION,
    balance       DOUBLE PRECISION,
    days_past_due INTEGER,
    stage         TEXT,
    debtor        TEXT,
    agent_id      TEXT,
    opened_on     TEXT,
    hash          TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX cases_client ON cases (client);
CREATE INDEX cases_agent ON cases (agent_id);

CREATE TABLE contacts (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    case_id     TEXT NOT NULL,
    relation    TEXT,
    number      TEXT,
    name        TEXT,
    timezone    TEXT,
    hash        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX contacts_case ON contacts (case_id);

-- Flags have no id of their own: `id` is derived from target, flag and set_at (record_id()).
CREATE TABLE flags (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    contact_id  TEXT,
    case_id     TEXT,
    flag        TEXT NOT NULL,
    set_at      BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX flags_contact ON flags (contact_id);
CREATE INDEX flags_case ON flags (case_id);

CREATE TABLE complaints (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    case_id         TEXT NOT NULL,
    source          TEXT NOT NULL,
    agent_id        TEXT,
    interaction_id  TEXT,
    category        TEXT,
    received_at     BIGINT NOT NULL,
    closed_at       BIGINT,
    summary         TEXT,
    hash            TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX complaints_received ON complaints (received_at);
CREATE INDEX complaints_case ON complaints (case_id);
CREATE INDEX complaints_agent ON complaints (agent_id, received_at);

-- One row per interaction of any channel. local_* are computed in the contact's time zone
-- (else the interaction's, else Asia/Shanghai), the same local day the event-log rules use.
CREATE TABLE interactions (
    id                TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind              TEXT NOT NULL,          -- call | sms | visit | note
    case_id           TEXT NOT NULL,
    agent_id          TEXT NOT NULL,
    client            TEXT NOT NULL,
    contact_id        TEXT,
    person_key        TEXT NOT NULL,          -- Interaction::person_key()
    number            TEXT,                   -- normalised digits
    party             TEXT,
    direction         TEXT,
    outcome           TEXT,
    started_at        BIGINT NOT NULL,
    ended_at          BIGINT,
    duration_s        DOUBLE PRECISION,
    local_date        TEXT NOT NULL,          -- 'YYYY-MM-DD'
    local_hour        INTEGER NOT NULL,       -- 0..23
    local_weekday     INTEGER NOT NULL,       -- 0 = Monday
    timezone          TEXT NOT NULL,
    recording         TEXT,
    recording_sha256  TEXT,
    segment_count     INTEGER NOT NULL,
    hash              TEXT NOT NULL,
    updated_at        BIGINT NOT NULL,
    body              TEXT NOT NULL
);
-- Covering for counts by local day / hour / weekday and channel over a time range.
CREATE INDEX interactions_started ON interactions (started_at, kind, local_date, local_hour, local_weekday);
CREATE INDEX interactions_agent ON interactions (agent_id, started_at);
CREATE INDEX interactions_client ON interactions (client, started_at);
CREATE INDEX interactions_person ON interactions (person_key, started_at);
CREATE INDEX interactions_case ON interactions (case_id, started_at);
CREATE INDEX interactions_number ON interactions (number, started_at);
CREATE INDEX interactions_kind ON interactions (kind, started_at);

-- The current inspection of an interaction (one per interaction; replaced on re-inspection).
CREATE TABLE inspections (
    interaction_id  TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    pack            TEXT NOT NULL,            -- pack_id@version
    inspected_at    BIGINT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    passed          BOOLEAN NOT NULL,
    finding_count   INTEGER NOT NULL,
    max_level       INTEGER NOT NULL,         -- 0 when there are no findings
    party           TEXT,                     -- who the engine believes was on the line
    started_at      BIGINT NOT NULL,          -- the interaction's (for "latest failed" lists)
    result          TEXT NOT NULL             -- InspectionResult as JSON
);
CREATE INDEX inspections_passed ON inspections (passed, started_at);

-- Findings of the current inspections, with what the dashboard filters on denormalised.
-- A finding is identified by (interaction_id, ord); re-inspection replaces them all.
CREATE TABLE findings (
    interaction_id  TEXT COLLATE "C" NOT NULL,
    ord             INTEGER NOT NULL,         -- index in the inspection result
    rule            TEXT NOT NULL,
    category        TEXT NOT NULL,
    level           INTEGER NOT NULL,         -- 1..4
    deduction       INTEGER NOT NULL,
    segment         INTEGER,
    span_start      INTEGER,                  -- character span in the segment text
    span_end        INTEGER,
    t_start         DOUBLE PRECISION,         -- seconds from the start of the recording
    t_end           DOUBLE PRECISION,
    kind            TEXT NOT NULL,
    client          TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    local_date      TEXT NOT NULL,
    local_hour      INTEGER NOT NULL,
    local_weekday   INTEGER NOT NULL,
    excerpt         TEXT NOT NULL,
    message         TEXT NOT NULL,
    PRIMARY KEY (interaction_id, ord)
);
CREATE INDEX findings_category ON findings (category, level, started_at);
-- Covering for counts by category, level and local day / hour / weekday over a time range.
CREATE INDEX findings_started ON findings (started_at, category, level, local_date, local_hour, local_weekday);

-- Lines that could not be read. Re-ingesting the same bad file does not double them.
CREATE TABLE rejects (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file        TEXT NOT NULL,
    line        BIGINT NOT NULL,
    field       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    raw_hash    TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    raw         TEXT NOT NULL,
    UNIQUE (file, line, raw_hash)
);

-- Previous versions of records that were replaced by a changed version.
CREATE TABLE record_history (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT NOT NULL,               -- interaction | flag | client | agent | case | contact | complaint
    record_id    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    replaced_at  BIGINT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX record_history_record ON record_history (kind, record_id, replaced_at);

-- Bodies are large (a 3-minute call is ≈ 4.5 kB of JSON): compress them with lz4 where the
-- server supports it (PostgreSQL ≥ 14 built with lz4), else keep the default (pglz).
DO $$
BEGIN
    ALTER TABLE interactions ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE record_history ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;
