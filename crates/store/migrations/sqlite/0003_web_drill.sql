-- Zhijian store, SQLite backend, schema version 3: indexes for the drill-down filters.
-- `stage` and `local_hour` were not in the covering indexes of `web_facts`: the list filtered
-- by them (a stage row or a heat-map cell of the dashboard) read the facts row of every
-- candidate, all of the range when few or none match. Each of these is a driver of its own
-- for the list (an index range newest first, every filter column in the entry) and narrows
-- the dashboard's facts-row path to the rows of that stage or hour. See docs/store.md.
CREATE INDEX facts_stage ON web_facts (stage, started_at, id, local_date, local_hour, agent_id, client, kind, flags, score, cat_lo, cat_hi);
CREATE INDEX facts_hour ON web_facts (local_hour, started_at, id, local_date, stage, agent_id, client, kind, flags, score, cat_lo, cat_hi);

-- The dashboard's cases KPI (cases opened by `to`, in scope) from the index alone, not a scan
-- of the cases' bodies.
CREATE INDEX cases_opened ON cases (opened_on, client, agent_id, stage);
