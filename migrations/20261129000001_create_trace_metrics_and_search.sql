-- The traces list at scale: per-trace aggregates maintained at ingestion (so the list can filter
-- and sort millions of traces by latency or cost without aggregating observations per request),
-- a metadata index, and full-text search over name, input and output that works for Chinese and
-- Japanese as well as English.

-- One row per trace id that has a trace or observations (observations may arrive before their
-- trace). A separate table, not columns on `traces`: ingestion updates these numbers with every
-- batch of observations, and an update of a narrow row with four indexes is far cheaper than a
-- non-HOT update of `traces` (which would rewrite every trace index, the search indexes included).
-- Written by server/src/ingest/trace_metrics.rs in the ingestion transaction.
CREATE TABLE trace_metrics (
    project_id         TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id           TEXT NOT NULL,
    -- The trace's timestamp (NULL until the trace row exists): the keyset's second column, and
    -- the order of the partial indexes below.
    timestamp          TIMESTAMPTZ,
    observation_count  INTEGER NOT NULL DEFAULT 0,
    -- Earliest start and latest end (or start) of the trace's observations.
    start_time         TIMESTAMPTZ,
    end_time           TIMESTAMPTZ,
    -- Seconds; 0 without observations.
    latency            DOUBLE PRECISION GENERATED ALWAYS AS
                           (coalesce(extract(epoch FROM end_time - start_time)::float8, 0)) STORED,
    total_cost         DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- Sum of the observations' `total` usage.
    total_tokens       BIGINT NOT NULL DEFAULT 0,
    -- Highest observation level: 0 DEBUG (or no observations), 1 DEFAULT, 2 WARNING, 3 ERROR.
    level              SMALLINT NOT NULL DEFAULT 0,
    error_count        INTEGER NOT NULL DEFAULT 0,
    warning_count      INTEGER NOT NULL DEFAULT 0,
    -- Distinct models of the trace's generations, sorted.
    models             TEXT[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (project_id, trace_id)
);
-- Sorting by latency or cost: keyset pages on (value, timestamp, id) in both directions.
CREATE INDEX trace_metrics_latency_idx ON trace_metrics (project_id, latency DESC, timestamp DESC, trace_id DESC);
CREATE INDEX trace_metrics_cost_idx ON trace_metrics (project_id, total_cost DESC, timestamp DESC, trace_id DESC);
-- "Errors" / "warnings and errors" in time order, without walking every trace.
CREATE INDEX trace_metrics_errors_idx ON trace_metrics (project_id, timestamp DESC, trace_id DESC) WHERE error_count > 0;
CREATE INDEX trace_metrics_warnings_idx ON trace_metrics (project_id, timestamp DESC, trace_id DESC) WHERE level >= 2;
CREATE INDEX trace_metrics_models_idx ON trace_metrics USING gin (models);

-- The aggregates of the traces that exist today (new ones are maintained by ingestion).
INSERT INTO trace_metrics (project_id, trace_id, timestamp, observation_count, start_time, end_time, total_cost,
                           total_tokens, level, error_count, warning_count, models)
SELECT coalesce(t.project_id, o.project_id), coalesce(t.id, o.trace_id), t.timestamp, coalesce(o.observation_count, 0),
       o.start_time, o.end_time, coalesce(o.total_cost, 0), coalesce(o.total_tokens, 0), coalesce(o.level, 0),
       coalesce(o.error_count, 0), coalesce(o.warning_count, 0), coalesce(o.models, '{}')
FROM traces t
FULL JOIN (
    SELECT project_id, trace_id,
           count(*)::int AS observation_count,
           min(start_time) AS start_time,
           max(greatest(start_time, end_time)) AS end_time,
           coalesce(sum(total_cost), 0)::float8 AS total_cost,
           coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint AS total_tokens,
           max(CASE level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 WHEN 'DEFAULT' THEN 1 ELSE 0 END)::smallint AS level,
           count(*) FILTER (WHERE level = 'ERROR')::int AS error_count,
           count(*) FILTER (WHERE level = 'WARNING')::int AS warning_count,
           coalesce(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), '{}') AS models
    FROM observations
    GROUP BY project_id, trace_id
) o ON o.project_id = t.project_id AND o.trace_id = t.id;

-- Metadata key = value filters (`metadata @> '{"key": "value"}'`).
CREATE INDEX traces_metadata_idx ON traces USING gin (metadata jsonb_path_ops);

-- Full-text search.
--
-- The searched text is the trace's name and the string values of its input and output (JSON keys
-- and punctuation of the encoding left out), at most 10,000 characters of each. Matching is a
-- case-insensitive substring (`ILIKE '%phrase%'`), so a phrase is found inside words and in any
-- language.
--
-- Two GIN indexes find candidates:
-- - pg_trgm trigrams for everything pg_trgm sees as words. Loupe's own cluster is initdb'ed with
--   `--no-locale` (LC_CTYPE C), where pg_trgm treats every non-ASCII character as a separator:
--   `show_trgm('作为一个影评人')` is `{}`, so a CJK phrase would fall back to reading every row.
-- - Character bigrams of the CJK, kana and hangul runs (`loupe_cjk_bigrams`), the approach of
--   pg_bigm, independent of the locale: a phrase of two or more such characters needs all of its
--   bigrams, then `ILIKE` confirms the exact phrase. A one-character phrase still matches, through
--   the `ILIKE` alone.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The string values of a JSON document, space-separated (a JSON string is its own text).
CREATE FUNCTION loupe_json_strings(doc jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(doc)
        WHEN 'string' THEN doc #>> '{}'
        WHEN 'object' THEN (SELECT string_agg(s #>> '{}', ' ') FROM jsonb_path_query(doc, 'strict $.**') AS s
                            WHERE jsonb_typeof(s) = 'string')
        WHEN 'array' THEN (SELECT string_agg(s #>> '{}', ' ') FROM jsonb_path_query(doc, 'strict $.**') AS s
                           WHERE jsonb_typeof(s) = 'string')
        ELSE doc #>> '{}'
    END
$$;

-- Every pair of neighbouring characters in the CJK/kana/hangul runs of `s` (plus each run's first
-- and last character alone). The query side (app/src/store/trace_search.rs) asks for the bigrams
-- of the phrase's runs of the same characters; keep the two character ranges identical.
CREATE FUNCTION loupe_cjk_bigrams(s text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_remove(string_to_array(
        regexp_replace(
            regexp_replace(s, '[^\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+', ' ', 'g'),
            '.', '\& \&', 'g'),
        ' '), '')
$$;

ALTER TABLE traces ADD COLUMN search_text TEXT GENERATED ALWAYS AS (
    coalesce(name, '') || ' ' || coalesce(left(loupe_json_strings(input), 10000), '') || ' '
        || coalesce(left(loupe_json_strings(output), 10000), '')
) STORED;
CREATE INDEX traces_search_trgm_idx ON traces USING gin (search_text gin_trgm_ops);
CREATE INDEX traces_search_cjk_idx ON traces USING gin (loupe_cjk_bigrams(search_text));
