-- Cost recalculations (#22): after a price change, the generations of a time range (optionally
-- of one model name) are priced again with the current definitions by the `cost.recalculate`
-- job, a small batch per step. One row per request holds its range, its progress (a keyset
-- cursor over the observations' `(start_time, id)`, i.e. the `observations_time_idx` order) and
-- what it changed: the total cost of the processed generations before and after, and the same
-- per model name (a bounded JSON object), which the audit entry written at the end repeats.
-- The per-row prior costs are not kept: the per-model summary is what the audit log needs, and
-- a table of every repriced row would grow with the data rather than with the requests.

CREATE TABLE cost_recalculations (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 100),
    from_time    TIMESTAMPTZ NOT NULL,
    to_time      TIMESTAMPTZ NOT NULL CHECK (to_time > from_time),
    -- Only generations whose `model` is exactly this; NULL = every generation of the range.
    model        TEXT CHECK (length(model) <= 800),
    state        TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed')),
    -- Generations in the range, counted by the job's first step (NULL until then).
    total        BIGINT,
    processed    BIGINT NOT NULL DEFAULT 0,
    changed      BIGINT NOT NULL DEFAULT 0,
    -- The last generation done: the next step continues after (cursor_time, cursor_id).
    cursor_time  TIMESTAMPTZ,
    cursor_id    TEXT,
    old_cost     DOUBLE PRECISION NOT NULL DEFAULT 0,
    new_cost     DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- {model name: {"generations", "changed", "oldCost", "newCost"}}, at most a few hundred keys.
    by_model     JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(by_model) = 'object'),
    error        TEXT,
    -- The job working on it, so a job that failed for good shows as a failed recalculation.
    job_id       BIGINT,
    created_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    PRIMARY KEY (project_id, id)
);

-- One recalculation at a time per project: two would price the same rows twice over.
CREATE UNIQUE INDEX cost_recalculations_one_running ON cost_recalculations (project_id) WHERE state = 'running';
-- The models page lists the latest first.
CREATE INDEX cost_recalculations_recent ON cost_recalculations (project_id, created_at DESC);
