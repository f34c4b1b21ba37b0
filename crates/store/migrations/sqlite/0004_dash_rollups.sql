-- Zhijian store, SQLite backend, schema version 4: rollups by day and agent only.
-- The organisation's dashboard groups its counters by (day, agent) for the branch, team,
-- region, tenure and agent rows, and sums findings by (agent, category) for the categories of
-- those rows. Read from `roll_int` (also keyed by client and stage) and `roll_cat` (also by
-- client, level and rule), that meant ≈ 18 000 and ≈ 114 000 rollup rows for 30 days of a
-- 1M-interaction store; these twins hold ≈ 1 800 and ≈ 47 000. The write path maintains them
-- from the same deltas as the others (src/facts.rs); here they are filled from the rollups
-- they sum, so an existing store needs no rebuild. See docs/store.md.
CREATE TABLE roll_agent_int (
    local_date           TEXT NOT NULL,
    agent_id             TEXT NOT NULL,
    interactions         INTEGER NOT NULL,
    calls                INTEGER NOT NULL,
    sms                  INTEGER NOT NULL,
    visits               INTEGER NOT NULL,
    notes                INTEGER NOT NULL,
    connected_calls      INTEGER NOT NULL,
    recordings           INTEGER NOT NULL,
    inspected            INTEGER NOT NULL,
    failed               INTEGER NOT NULL,
    with_findings        INTEGER NOT NULL,
    findings             INTEGER NOT NULL,
    compliance_findings  INTEGER NOT NULL,
    service_findings     INTEGER NOT NULL,
    compliance_hit       INTEGER NOT NULL,
    service_hit          INTEGER NOT NULL,
    PRIMARY KEY (local_date, agent_id)
) WITHOUT ROWID;

CREATE TABLE roll_agent_cat (
    local_date  TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    category    TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (local_date, agent_id, category)
) WITHOUT ROWID;

INSERT INTO roll_agent_int
SELECT local_date, agent_id, SUM(interactions), SUM(calls), SUM(sms), SUM(visits), SUM(notes),
       SUM(connected_calls), SUM(recordings), SUM(inspected), SUM(failed), SUM(with_findings),
       SUM(findings), SUM(compliance_findings), SUM(service_findings), SUM(compliance_hit),
       SUM(service_hit)
FROM roll_int GROUP BY local_date, agent_id;

INSERT INTO roll_agent_cat
SELECT local_date, agent_id, category, SUM(n)
FROM roll_cat GROUP BY local_date, agent_id, category;
