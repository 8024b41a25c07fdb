-- Datasets and experiment runs (LANGFUSE_COMPAT_WAVE2 §1; docs/COMPATIBILITY.md "Datasets and
-- experiments"). The store is core/src/store/datasets.rs; every query filters by project_id.

-- A named collection of test cases. Names are unique per project and may hold `/` (folders, as
-- prompt names do); the public API upserts by name.
CREATE TABLE datasets (
    project_id              TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                      TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 800),
    name                    TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    description             TEXT,
    metadata                JSONB,
    -- JSON Schemas the items' input / expected output should follow (stored, returned as sent).
    input_schema            JSONB,
    expected_output_schema  JSONB,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
);
-- The public list (`createdAt desc, id asc`).
CREATE INDEX datasets_created_idx ON datasets (project_id, created_at DESC, id);

-- Dataset items, versioned as Langfuse's (§1.3 "Versioning"): every create, update, archive or
-- delete inserts a row and closes the previous one (`valid_to` = the new row's `valid_from`), in
-- one transaction under a per-(project, item) advisory lock. So `?version=T` reads the rows with
-- `valid_from <= T < valid_to` (or open), and a run item can say which version it used.
--   current version: `valid_to IS NULL AND NOT is_deleted`;
--   deleted item:    its open row is a tombstone (`is_deleted`), kept for history.
-- Item ids are unique per project across datasets (a 409 otherwise); the store checks it under
-- the same lock, since the key includes `valid_from` and cannot say it alone.
CREATE TABLE dataset_items (
    project_id              TEXT NOT NULL,
    id                      TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 255),
    valid_from              TIMESTAMPTZ NOT NULL,
    valid_to                TIMESTAMPTZ,
    is_deleted              BOOLEAN NOT NULL DEFAULT false,
    dataset_id              TEXT NOT NULL,
    status                  TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'ARCHIVED')),
    input                   JSONB,
    expected_output         JSONB,
    metadata                JSONB,
    source_trace_id         TEXT,
    source_observation_id   TEXT,
    -- When the item was first created (the same on every version); `valid_from` is the version's
    -- own time and doubles as the item's `updatedAt`.
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id, valid_from),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
-- At most one open row per item: two writers that raced past the lock (they cannot, but a hand
-- edit could) clash here (23505 → 409 "modified concurrently") instead of forking the history.
-- Also the lookup of an item's current row by id.
CREATE UNIQUE INDEX dataset_items_open_idx ON dataset_items (project_id, id) WHERE valid_to IS NULL;
-- A dataset's current items, newest version first (the public list's `validFrom desc, id asc`),
-- counted per dataset for the UI.
CREATE INDEX dataset_items_current_idx ON dataset_items (project_id, dataset_id, valid_from DESC, id)
    WHERE valid_to IS NULL AND NOT is_deleted;
-- `?version=T` and the list of a dataset's versions: every row of a dataset by time.
CREATE INDEX dataset_items_history_idx ON dataset_items (project_id, dataset_id, valid_from);
-- Items made from a trace or observation (the public list's filters, the trace page's "in datasets").
CREATE INDEX dataset_items_source_trace_idx ON dataset_items (project_id, source_trace_id)
    WHERE source_trace_id IS NOT NULL;
CREATE INDEX dataset_items_source_observation_idx ON dataset_items (project_id, source_observation_id)
    WHERE source_observation_id IS NOT NULL;

-- Experiment runs. `id` is the experiment id: the SDKs' `langfuse.experiment.id` (OTLP), or for
-- `POST /dataset-run-items` the stable hash of (project, dataset, run name) (§1.6), so a run made
-- by JS 5 / Python 4 and one made by Python 5 of the same (dataset, name) are one run.
-- `dataset_id` is NULL for experiments on local data (Python 5 without a dataset) and for spans
-- naming a dataset this project does not have; such runs have no name uniqueness.
CREATE TABLE dataset_runs (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 800),
    dataset_id   TEXT,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 800),
    description  TEXT,
    metadata     JSONB,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);
-- A dataset's run by name (create-or-get, the public routes by run name).
CREATE UNIQUE INDEX dataset_runs_name_idx ON dataset_runs (project_id, dataset_id, name) WHERE dataset_id IS NOT NULL;
-- A dataset's runs, newest first (public list, the UI's run count and last run).
CREATE INDEX dataset_runs_dataset_idx ON dataset_runs (project_id, dataset_id, created_at DESC);
-- Every run of the project, newest first (experiments without a dataset included).
CREATE INDEX dataset_runs_created_idx ON dataset_runs (project_id, created_at DESC, id);

-- Which trace (and observation) ran which dataset item in a run. `dataset_item_id` has no
-- foreign key: items are versioned (their key includes `valid_from`) and local-data experiments
-- name items that no dataset holds. `dataset_item_version` is the `valid_from` of the item
-- version the run used (NULL when the item was unknown when linked).
CREATE TABLE dataset_run_items (
    project_id            TEXT NOT NULL,
    id                    TEXT NOT NULL,
    run_id                TEXT NOT NULL,
    dataset_item_id       TEXT NOT NULL CHECK (length(dataset_item_id) BETWEEN 1 AND 800),
    dataset_item_version  TIMESTAMPTZ,
    trace_id              TEXT NOT NULL CHECK (length(trace_id) BETWEEN 1 AND 800),
    observation_id        TEXT CHECK (length(observation_id) BETWEEN 1 AND 800),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, run_id) REFERENCES dataset_runs (project_id, id) ON DELETE CASCADE,
    -- The same item run in the same trace is one link, however often it is reported (an SDK's
    -- retry, `POST /dataset-run-items` and OTLP both describing it). Also a run's items in order.
    UNIQUE (project_id, run_id, dataset_item_id, trace_id)
);
-- A run's items by time (the public list).
CREATE INDEX dataset_run_items_run_idx ON dataset_run_items (project_id, run_id, created_at, id);
-- An item's runs (the item page) and a trace's runs (the trace page).
CREATE INDEX dataset_run_items_item_idx ON dataset_run_items (project_id, dataset_item_id);
CREATE INDEX dataset_run_items_trace_idx ON dataset_run_items (project_id, trace_id);
