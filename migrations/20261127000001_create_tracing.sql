-- Tracing: traces, observations, scores, sessions and score configs, keyed by (project_id, id).
--
-- Write model (see server/src/ingest): every ingestion request is normalized into patches and
-- upserted in one transaction per request. A later write fills fields (COALESCE: a value that is
-- absent or null in the later write keeps the stored one), metadata objects are deep-merged,
-- tags are unioned, and the first start time / earliest trace timestamp wins. Observations and
-- scores carry no foreign key to traces: OTel children usually arrive before their root.
--
-- Ids are text of at most 800 characters (Langfuse's limit): OTel ids are hex, legacy SDKs send
-- UUIDs, users send anything.

-- Deep merge of two JSON values: objects merge key by key (recursively), anything else is
-- replaced by the newer value. NULL on either side yields the other.
CREATE FUNCTION loupe_jsonb_merge(old jsonb, new jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    merged jsonb;
    k text;
BEGIN
    IF old IS NULL THEN RETURN new; END IF;
    IF new IS NULL THEN RETURN old; END IF;
    IF jsonb_typeof(old) <> 'object' OR jsonb_typeof(new) <> 'object' THEN RETURN new; END IF;
    merged := old;
    FOR k IN SELECT jsonb_object_keys(new) LOOP
        IF merged ? k THEN
            merged := jsonb_set(merged, ARRAY[k], loupe_jsonb_merge(merged -> k, new -> k));
        ELSE
            merged := merged || jsonb_build_object(k, new -> k);
        END IF;
    END LOOP;
    RETURN merged;
END
$$;

-- Sorted, de-duplicated union of two tag arrays.
CREATE FUNCTION loupe_tags_union(old text[], new text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT t ORDER BY t), '{}')
    FROM unnest(coalesce(old, '{}') || coalesce(new, '{}')) AS t
$$;

CREATE TABLE traces (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 800),
    timestamp    TIMESTAMPTZ NOT NULL,
    name         TEXT,
    user_id      TEXT,
    session_id   TEXT,
    release      TEXT,
    version      TEXT,
    input        JSONB,
    output       JSONB,
    metadata     JSONB NOT NULL DEFAULT '{}',
    tags         TEXT[] NOT NULL DEFAULT '{}',
    public       BOOLEAN NOT NULL DEFAULT false,
    bookmarked   BOOLEAN NOT NULL DEFAULT false,
    environment  TEXT NOT NULL DEFAULT 'default',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
-- The list views: newest first, optionally narrowed by name, user, session or environment.
CREATE INDEX traces_time_idx ON traces (project_id, timestamp DESC, id DESC);
CREATE INDEX traces_name_idx ON traces (project_id, name, timestamp DESC);
CREATE INDEX traces_user_idx ON traces (project_id, user_id, timestamp DESC) WHERE user_id IS NOT NULL;
CREATE INDEX traces_session_idx ON traces (project_id, session_id, timestamp DESC) WHERE session_id IS NOT NULL;
CREATE INDEX traces_environment_idx ON traces (project_id, environment, timestamp DESC);
CREATE INDEX traces_tags_idx ON traces USING gin (tags);

CREATE TABLE observations (
    project_id              TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                      TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 800),
    trace_id                TEXT NOT NULL,
    parent_observation_id   TEXT,
    type                    TEXT NOT NULL CHECK (type IN ('SPAN', 'GENERATION', 'EVENT', 'AGENT', 'TOOL', 'CHAIN',
                                                          'RETRIEVER', 'EVALUATOR', 'EMBEDDING', 'GUARDRAIL')),
    name                    TEXT,
    start_time              TIMESTAMPTZ NOT NULL,
    end_time                TIMESTAMPTZ,
    completion_start_time   TIMESTAMPTZ,
    model                   TEXT,
    model_parameters        JSONB,
    input                   JSONB,
    output                  JSONB,
    metadata                JSONB NOT NULL DEFAULT '{}',
    level                   TEXT NOT NULL DEFAULT 'DEFAULT' CHECK (level IN ('DEBUG', 'DEFAULT', 'WARNING', 'ERROR')),
    status_message          TEXT,
    version                 TEXT,
    environment             TEXT NOT NULL DEFAULT 'default',
    -- Usage and cost as sent (normalized to {usage type: count} / {usage type: USD}) ...
    provided_usage_details  JSONB NOT NULL DEFAULT '{}',
    provided_cost_details   JSONB NOT NULL DEFAULT '{}',
    usage_unit              TEXT,
    -- ... and as computed from them, the model's tokenizer and the price table.
    usage_details           JSONB NOT NULL DEFAULT '{}',
    cost_details            JSONB NOT NULL DEFAULT '{}',
    total_cost              DOUBLE PRECISION,
    internal_model_id       TEXT,
    usage_pricing_tier_id   TEXT,
    usage_pricing_tier_name TEXT,
    prompt_name             TEXT,
    prompt_version          INTEGER,
    -- OTel spans only: span, resource and scope attributes as received, so the UI can show what
    -- was mapped to what.
    otel_attributes         JSONB,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
CREATE INDEX observations_trace_idx ON observations (project_id, trace_id, start_time);
CREATE INDEX observations_time_idx ON observations (project_id, start_time DESC, id DESC);

CREATE TABLE trace_sessions (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    environment  TEXT NOT NULL DEFAULT 'default',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
CREATE INDEX trace_sessions_time_idx ON trace_sessions (project_id, created_at DESC);

CREATE TABLE score_configs (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    data_type    TEXT NOT NULL CHECK (data_type IN ('NUMERIC', 'CATEGORICAL', 'BOOLEAN', 'TEXT')),
    is_archived  BOOLEAN NOT NULL DEFAULT false,
    min_value    DOUBLE PRECISION,
    max_value    DOUBLE PRECISION,
    -- [{label, value}] for CATEGORICAL and BOOLEAN.
    categories   JSONB,
    description  TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);

CREATE TABLE scores (
    project_id          TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                  TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 800),
    timestamp           TIMESTAMPTZ NOT NULL,
    name                TEXT NOT NULL,
    value               DOUBLE PRECISION,
    string_value        TEXT,
    data_type           TEXT NOT NULL CHECK (data_type IN ('NUMERIC', 'CATEGORICAL', 'BOOLEAN', 'TEXT', 'CORRECTION')),
    source              TEXT NOT NULL DEFAULT 'API' CHECK (source IN ('API', 'EVAL', 'ANNOTATION')),
    trace_id            TEXT,
    observation_id      TEXT,
    session_id          TEXT,
    dataset_run_id      TEXT,
    comment             TEXT,
    metadata            JSONB NOT NULL DEFAULT '{}',
    config_id           TEXT,
    queue_id            TEXT,
    author_user_id      TEXT,
    execution_trace_id  TEXT,
    environment         TEXT NOT NULL DEFAULT 'default',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    -- Exactly one target: a trace (optionally one of its observations), a session or a dataset run.
    CHECK (num_nonnulls(trace_id, session_id, dataset_run_id) = 1),
    CHECK (observation_id IS NULL OR trace_id IS NOT NULL)
);
CREATE INDEX scores_trace_idx ON scores (project_id, trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX scores_session_idx ON scores (project_id, session_id) WHERE session_id IS NOT NULL;
CREATE INDEX scores_time_idx ON scores (project_id, timestamp DESC, id DESC);
CREATE INDEX scores_name_idx ON scores (project_id, name, timestamp DESC);
