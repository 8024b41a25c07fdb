-- LLM-as-judge evaluators (#21): custom judge templates, evaluators, one execution per
-- (evaluator, target), and backfills over existing targets. See core/src/evaluation.
--
-- New targets are found by a periodic job that scans traces / observations created since each
-- evaluator's cursor (not by ingestion, which stays as fast as before): the two BRIN indexes
-- below serve that scan. BRIN, not B-tree: rows are appended in `created_at` order, so a BRIN
-- summary of block ranges answers "created after T" while costing ingestion almost nothing
-- (new rows land in the unsummarized tail, which a B-tree insert per row would not).

CREATE INDEX traces_created_brin ON traces USING brin (created_at);
CREATE INDEX observations_created_brin ON observations USING brin (created_at);
CREATE INDEX dataset_run_items_created_brin ON dataset_run_items USING brin (created_at);

-- A project's own judge templates (Loupe's built-ins live in code, ids `builtin:<key>`).
CREATE TABLE evaluation_templates (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description  TEXT NOT NULL DEFAULT '',
    prompt       TEXT NOT NULL CHECK (length(prompt) BETWEEN 1 AND 50000),
    -- loupe_domain::evaluators::OutputDefinition
    output       JSONB NOT NULL,
    created_by   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
);

CREATE TABLE evaluators (
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    score_name     TEXT NOT NULL CHECK (length(score_name) BETWEEN 1 AND 255),
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    -- The template it was made from, and a snapshot of its prompt and output definition: editing
    -- a template (or Loupe improving a built-in) must not silently change a running evaluator.
    template_id    TEXT NOT NULL,
    template_name  TEXT NOT NULL,
    prompt         TEXT NOT NULL,
    output         JSONB NOT NULL,
    -- The LLM connection by name (llm_connections.provider) and the model.
    connection     TEXT NOT NULL,
    model          TEXT NOT NULL,
    -- 'trace' | 'observation' | 'dataset_run', and the whole EvaluatorTarget.
    target_kind    TEXT NOT NULL CHECK (target_kind IN ('trace', 'observation', 'dataset_run')),
    target         JSONB NOT NULL,
    -- The traces list's filters (TraceListQuery).
    filter         JSONB NOT NULL DEFAULT '{}',
    sampling       DOUBLE PRECISION NOT NULL CHECK (sampling > 0 AND sampling <= 1),
    delay_ms       BIGINT NOT NULL CHECK (delay_ms BETWEEN 0 AND 86400000),
    mapping        JSONB NOT NULL,
    -- Where the scan for new targets continues: after (cursor_time, cursor_id) in
    -- (created_at, id) order. Starts at the evaluator's creation: existing targets are a backfill.
    cursor_time    TIMESTAMPTZ NOT NULL DEFAULT now(),
    cursor_id      TEXT NOT NULL DEFAULT '',
    created_by     TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
);
-- The scheduler's loop over active evaluators of every project.
CREATE INDEX evaluators_active_idx ON evaluators (target_kind) WHERE status = 'active';

CREATE TABLE evaluation_backfills (
    project_id    TEXT NOT NULL,
    id            TEXT NOT NULL,
    evaluator_id  TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    -- Sampled matching targets when it started, and executions created so far.
    total         BIGINT NOT NULL DEFAULT 0,
    scheduled     BIGINT NOT NULL DEFAULT 0,
    -- Targets created before this time: the ones that existed when it was asked for.
    upto          TIMESTAMPTZ NOT NULL,
    cursor_time   TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
    cursor_id     TEXT NOT NULL DEFAULT '',
    error         TEXT,
    created_by    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, evaluator_id) REFERENCES evaluators (project_id, id) ON DELETE CASCADE
);
CREATE INDEX evaluation_backfills_evaluator_idx ON evaluation_backfills (project_id, evaluator_id, created_at DESC);

CREATE TABLE evaluation_executions (
    project_id            TEXT NOT NULL,
    -- Derived from (evaluator, target): the same target always gets the same id, so the scores'
    -- ids (derived from it) are the same on any re-run.
    id                    TEXT NOT NULL,
    evaluator_id          TEXT NOT NULL,
    -- What is evaluated once per evaluator: the trace id, observation id or dataset run item id.
    target_key            TEXT NOT NULL,
    status                TEXT NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'delayed', 'running', 'completed', 'error', 'cancelled')),
    trace_id              TEXT NOT NULL,
    observation_id        TEXT,
    dataset_run_item_id   TEXT,
    dataset_item_id       TEXT,
    dataset_item_version  TIMESTAMPTZ,
    -- The environment of the target (its scores are written in it).
    environment           TEXT NOT NULL DEFAULT 'default',
    backfill_id           TEXT,
    -- The one job allowed to work on it (a job left over from before a pause finds another id
    -- here and does nothing).
    job_id                BIGINT,
    attempts              INTEGER NOT NULL DEFAULT 0,
    scheduled_for         TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at            TIMESTAMPTZ,
    finished_at           TIMESTAMPTZ,
    latency_ms            BIGINT,
    cost                  DOUBLE PRECISION,
    error                 TEXT,
    score_id              TEXT,
    judge_trace_id        TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, evaluator_id, target_key),
    FOREIGN KEY (project_id, evaluator_id) REFERENCES evaluators (project_id, id) ON DELETE CASCADE
);
-- An evaluator's executions, newest first, all or by status; counts by status.
CREATE INDEX evaluation_executions_list_idx ON evaluation_executions (project_id, evaluator_id, created_at DESC, id DESC);
CREATE INDEX evaluation_executions_status_idx ON evaluation_executions (project_id, evaluator_id, status, created_at DESC, id DESC);
CREATE INDEX evaluation_executions_backfill_idx ON evaluation_executions (project_id, backfill_id, status) WHERE backfill_id IS NOT NULL;
-- The sweep of executions whose job failed for good (its worker died on the last attempt).
CREATE INDEX evaluation_executions_open_idx ON evaluation_executions (job_id) WHERE status IN ('pending', 'delayed', 'running');
