-- Data retention (issue #22): how long a project keeps its traces, observations and scores, and
-- what each run of the retention job deleted (core/src/retention.rs).
--
-- The effective retention of a project is the shorter of its own setting and its plan's
-- (`plans.retention_days`, through `organizations.plan_id` or the default plan); NULL on both
-- keeps data forever (`loupe_core::limits::retention_of_project`).

-- NULL: whatever the plan keeps. At most the plan's, which the server function checks (a plan
-- lowered later wins anyway: the effective retention is the minimum of the two).
ALTER TABLE projects ADD COLUMN retention_days INTEGER CHECK (retention_days >= 1);

-- One row per run of the retention job over one project. A run is continued across job runs
-- (each does a few seconds of small batches, then queues itself again) until every phase is
-- done; its counts are added in the transaction of each batch, so they are exactly what was
-- deleted even when a process dies midway.
CREATE TABLE retention_runs (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id            TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- The daily schedule, or an administrator's "Run now".
    trigger               TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    -- The effective retention at the start, and the cutoff it gave (now() − days, fixed for the run).
    retention_days        INTEGER NOT NULL CHECK (retention_days >= 1),
    cutoff                TIMESTAMPTZ NOT NULL,
    started_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at           TIMESTAMPTZ,
    -- Where a run continues: 'traces' (expired traces with all their rows), 'observations' and
    -- 'scores' (rows whose trace is gone, by their own time, walked by (time, id) from the
    -- cursor), 'sessions', 'media', then 'done'.
    phase                 TEXT NOT NULL DEFAULT 'traces'
                          CHECK (phase IN ('traces', 'observations', 'scores', 'sessions', 'media', 'done')),
    cursor_time           TIMESTAMPTZ,
    cursor_id             TEXT,
    traces_deleted        BIGINT NOT NULL DEFAULT 0,
    observations_deleted  BIGINT NOT NULL DEFAULT 0,
    scores_deleted        BIGINT NOT NULL DEFAULT 0,
    sessions_deleted      BIGINT NOT NULL DEFAULT 0,
    media_deleted         BIGINT NOT NULL DEFAULT 0,
    -- The last failure of this run (it is retried; cleared when a later batch succeeds).
    error                 TEXT,
    CHECK ((finished_at IS NULL) = (phase <> 'done'))
);
-- At most one unfinished run per project: two runs never work on one project at once.
CREATE UNIQUE INDEX retention_runs_open_idx ON retention_runs (project_id) WHERE finished_at IS NULL;
-- "Last run" in the settings.
CREATE INDEX retention_runs_project_idx ON retention_runs (project_id, started_at DESC, id DESC);
