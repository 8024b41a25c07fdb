-- Experiment runs Loupe executes itself (#21, "New run" in a dataset's runs): a prompt version
-- over a snapshot of the dataset's ACTIVE items with an LLM connection, worked by the job kind
-- `experiment.run` (core/src/experiments.rs). One row per such run, beside its `dataset_runs` row.
--
-- Progress is not counted here: items done and failed are counted from the run's
-- `dataset_run_items` (one per item, linked once its trace is stored) and their traces'
-- `trace_metrics.error_count`, so a job that runs again after a crash cannot count an item twice.
CREATE TABLE experiment_executions (
    project_id      TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    dataset_id      TEXT NOT NULL,
    -- The prompt version, pinned when the run starts (a label is resolved then).
    prompt_name     TEXT NOT NULL,
    prompt_version  INTEGER NOT NULL,
    -- The LLM connection by name (`llm_connections.provider`) and the model asked of it.
    connection      TEXT NOT NULL,
    model           TEXT NOT NULL,
    params          JSONB NOT NULL DEFAULT '{}',
    -- The dataset as of this time: items are versioned, so the run works on exactly the items
    -- (and versions) that were ACTIVE when it started, however the dataset changes meanwhile.
    items_as_of     TIMESTAMPTZ NOT NULL,
    total           INTEGER NOT NULL CHECK (total >= 0),
    state           TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    -- Why the run stopped as a whole (not an item's provider error: those are the items' traces).
    error           TEXT,
    -- The job working the run: its state tells a run whose job failed for good.
    job_id          BIGINT,
    created_by      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    PRIMARY KEY (project_id, run_id),
    FOREIGN KEY (project_id, run_id) REFERENCES dataset_runs (project_id, id) ON DELETE CASCADE
);

-- Run-level scores (`scores.dataset_run_id`) of the runs a dataset's runs table shows.
CREATE INDEX scores_dataset_run_idx ON scores (project_id, dataset_run_id) WHERE dataset_run_id IS NOT NULL;
