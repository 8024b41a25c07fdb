-- Metric rollups (#22): hourly aggregates of observations, traces and scores per project and
-- low-cardinality dimension values, so a 30-day dashboard sums a few thousand rows instead of
-- millions (core/src/metrics, docs/ARCHITECTURE.md "Metric rollups").
--
-- The invariant: a query is exact. It answers from the rollup rows of *clean* hours and from the
-- raw rows of *dirty* hours (and of the partial hours at its range's edges). An hour is dirty
-- from the transaction that changes a raw row in it (it marks the hour in that same transaction)
-- until the `metrics.rollup` job has recomputed the hour's rollup rows from the raw rows.
--
-- Who marks hours dirty:
-- - ingestion, once per request, for the traces it touched (core/src/metrics/rollups.rs
--   `mark_traces`: every hour from the trace's timestamp and its observations' first start to
--   their last end; an observation's rollup row carries its trace's name, release and version);
-- - deletes and re-pricing (`loupe_core::metrics::rollups::invalidate`, `mark_traces`);
-- - the triggers below: any write to `scores` (scores are written by ingestion, annotation and
--   evaluators), and a trace whose timestamp moves (its old hour).
--
-- Concurrency: whoever marks an hour holds a shared transaction-level advisory lock on the
-- hour's stripe (`loupe_metric_rollup_lock_key`) until it commits; the job recomputes an hour
-- under the exclusive lock. So the job's snapshot includes every transaction that relied on an
-- existing mark, and a transaction that marks after the job's commit inserts a new mark.

-- Log-scale buckets of a latency in milliseconds: 0 below 1 ms, then bucket b holds
-- [1.1^(b-1), 1.1^b). A percentile read from the buckets is the bucket's geometric middle, within
-- 5% (sqrt(1.1) - 1) of the true value. Inlined by the planner (a single SQL expression).
CREATE FUNCTION loupe_latency_bucket(ms DOUBLE PRECISION) RETURNS SMALLINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN ms IS NULL THEN NULL
                 WHEN ms < 1 THEN 0
                 ELSE least(1 + floor(ln(ms) / ln(1.1)), 400) END)::smallint
$$;

-- One of 16 lock stripes per project: hours 16 apart share one, so a transaction takes at most
-- 16 locks however many hours it marks.
CREATE FUNCTION loupe_metric_rollup_lock_key(project TEXT, hour TIMESTAMPTZ) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (hashtextextended('loupe.metric_rollup:' || project, 0) & ~15::bigint)
           | ((((extract(epoch FROM date_trunc('hour', hour, 'UTC'))::bigint / 3600) % 16) + 16) % 16)
$$;

-- Hours with raw changes not yet in the rollups. No unique key: marking never waits for another
-- transaction's uncommitted mark (two racing marks of one hour leave two rows; the job deletes
-- both). No foreign key: a project's deletion cascades to scores, whose trigger marks hours of a
-- project about to vanish; the job drops marks of projects that are gone.
CREATE TABLE metric_rollup_dirty (
    project_id  TEXT NOT NULL,
    hour        TIMESTAMPTZ NOT NULL
                CHECK (date_trunc('hour', hour, 'UTC') = hour),
    marked_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX metric_rollup_dirty_idx ON metric_rollup_dirty (project_id, hour);
CREATE INDEX metric_rollup_dirty_hour_idx ON metric_rollup_dirty (hour);

-- Marks the hours of `hours` (any instants; truncated) dirty for `project`, under the shared
-- stripe locks.
CREATE FUNCTION loupe_metric_rollup_mark(project TEXT, hours TIMESTAMPTZ[]) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    k BIGINT;
BEGIN
    FOR k IN SELECT DISTINCT loupe_metric_rollup_lock_key(project, h) FROM unnest(hours) AS h WHERE h IS NOT NULL ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(k);
    END LOOP;
    INSERT INTO metric_rollup_dirty (project_id, hour)
    SELECT project, hs.h
    FROM (SELECT DISTINCT date_trunc('hour', x, 'UTC') AS h FROM unnest(hours) AS x WHERE x IS NOT NULL) hs
    WHERE NOT EXISTS (SELECT 1 FROM metric_rollup_dirty d WHERE d.project_id = project AND d.hour = hs.h)
    ORDER BY hs.h;
END
$$;

-- Observations per hour of `start_time` and the dimensions the dashboards group and filter by.
-- Every measure has its non-null count, sum, min and max (so `avg` = sum / count); latency also
-- has its log-bucket histogram, sparse (`latency_buckets[i]` holds `latency_bucket_counts[i]`).
--
-- Each hour is stored at several groupings (Postgres `GROUPING SETS`): `grouping` is the
-- `GROUPING(<every dimension column>)` bit mask of the set (a column outside the set is NULL).
-- Rows with the `DAY` bit (1 << 20) added hold a whole UTC day of a set (`hour` = the day's
-- start), the sum of its hour rows, rewritten when the day's last dirty hour is recomputed.
-- A query reads the smallest set holding its dimensions and filters
-- (core/src/metrics/schema.rs lists them): all columns multiply into ~1,500 rows an hour on the
-- benchmark's data, the home dashboard's sets into a few dozen.
CREATE TABLE metric_rollup_observations (
    project_id              TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour                    TIMESTAMPTZ NOT NULL,
    grouping                INTEGER NOT NULL,
    environment             TEXT,
    type                    TEXT,
    name                    TEXT,
    level                   TEXT,
    version                 TEXT,
    model                   TEXT,
    prompt_name             TEXT,
    prompt_version          INTEGER,
    is_root                 BOOLEAN,
    trace_name              TEXT,
    trace_release           TEXT,
    trace_version           TEXT,
    -- Only in the (environment, release, user) set: top users.
    user_id                 TEXT,
    count                   BIGINT NOT NULL,
    latency_count           BIGINT NOT NULL,
    latency_sum             DOUBLE PRECISION,
    latency_min             DOUBLE PRECISION,
    latency_max             DOUBLE PRECISION,
    latency_buckets         SMALLINT[],
    latency_bucket_counts   BIGINT[],
    input_tokens_count      BIGINT NOT NULL,
    input_tokens_sum        DOUBLE PRECISION,
    input_tokens_min        DOUBLE PRECISION,
    input_tokens_max        DOUBLE PRECISION,
    output_tokens_count     BIGINT NOT NULL,
    output_tokens_sum       DOUBLE PRECISION,
    output_tokens_min       DOUBLE PRECISION,
    output_tokens_max       DOUBLE PRECISION,
    total_tokens_count      BIGINT NOT NULL,
    total_tokens_sum        DOUBLE PRECISION,
    total_tokens_min        DOUBLE PRECISION,
    total_tokens_max        DOUBLE PRECISION,
    input_cost_count        BIGINT NOT NULL,
    input_cost_sum          DOUBLE PRECISION,
    input_cost_min          DOUBLE PRECISION,
    input_cost_max          DOUBLE PRECISION,
    output_cost_count       BIGINT NOT NULL,
    output_cost_sum         DOUBLE PRECISION,
    output_cost_min         DOUBLE PRECISION,
    output_cost_max         DOUBLE PRECISION,
    total_cost_count        BIGINT NOT NULL,
    total_cost_sum          DOUBLE PRECISION,
    total_cost_min          DOUBLE PRECISION,
    total_cost_max          DOUBLE PRECISION
);
-- Queries read one set over a range of hours; the recompute replaces an hour.
CREATE INDEX metric_rollup_observations_idx ON metric_rollup_observations (project_id, grouping, hour);
CREATE INDEX metric_rollup_observations_hour_idx ON metric_rollup_observations (project_id, hour);

-- Traces per hour of their timestamp, with the aggregates of `trace_metrics` (sets as above).
CREATE TABLE metric_rollup_traces (
    project_id              TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour                    TIMESTAMPTZ NOT NULL,
    grouping                INTEGER NOT NULL,
    environment             TEXT,
    name                    TEXT,
    release                 TEXT,
    version                 TEXT,
    count                   BIGINT NOT NULL,
    observations_count      BIGINT NOT NULL,
    observations_sum        DOUBLE PRECISION,
    observations_min        DOUBLE PRECISION,
    observations_max        DOUBLE PRECISION,
    latency_count           BIGINT NOT NULL,
    latency_sum             DOUBLE PRECISION,
    latency_min             DOUBLE PRECISION,
    latency_max             DOUBLE PRECISION,
    latency_buckets         SMALLINT[],
    latency_bucket_counts   BIGINT[],
    total_tokens_count      BIGINT NOT NULL,
    total_tokens_sum        DOUBLE PRECISION,
    total_tokens_min        DOUBLE PRECISION,
    total_tokens_max        DOUBLE PRECISION,
    total_cost_count        BIGINT NOT NULL,
    total_cost_sum          DOUBLE PRECISION,
    total_cost_min          DOUBLE PRECISION,
    total_cost_max          DOUBLE PRECISION
);
CREATE INDEX metric_rollup_traces_idx ON metric_rollup_traces (project_id, grouping, hour);
CREATE INDEX metric_rollup_traces_hour_idx ON metric_rollup_traces (project_id, hour);

-- Scores per hour of their timestamp, name, source and data type (one set: every column).
CREATE TABLE metric_rollup_scores (
    project_id              TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour                    TIMESTAMPTZ NOT NULL,
    grouping                INTEGER NOT NULL,
    environment             TEXT,
    name                    TEXT,
    source                  TEXT,
    data_type               TEXT,
    count                   BIGINT NOT NULL,
    value_count             BIGINT NOT NULL,
    value_sum               DOUBLE PRECISION,
    value_min               DOUBLE PRECISION,
    value_max               DOUBLE PRECISION
);
CREATE INDEX metric_rollup_scores_idx ON metric_rollup_scores (project_id, grouping, hour);
CREATE INDEX metric_rollup_scores_hour_idx ON metric_rollup_scores (project_id, hour);

-- Scores: every write path (ingestion, annotation, evaluators, deletes, retention) marks the
-- hours of the rows it wrote or removed, once per statement.
CREATE FUNCTION loupe_scores_rollup_mark() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        FOR r IN SELECT project_id, array_agg(DISTINCT timestamp) AS hours FROM new_rows GROUP BY project_id ORDER BY project_id LOOP
            PERFORM loupe_metric_rollup_mark(r.project_id, r.hours);
        END LOOP;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        FOR r IN SELECT project_id, array_agg(DISTINCT timestamp) AS hours FROM old_rows GROUP BY project_id ORDER BY project_id LOOP
            PERFORM loupe_metric_rollup_mark(r.project_id, r.hours);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER scores_rollup_insert AFTER INSERT ON scores
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION loupe_scores_rollup_mark();
CREATE TRIGGER scores_rollup_update AFTER UPDATE ON scores
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION loupe_scores_rollup_mark();
CREATE TRIGGER scores_rollup_delete AFTER DELETE ON scores
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION loupe_scores_rollup_mark();

-- A trace whose timestamp moves (an earlier one arrives) leaves its old hour: mark it. Rare, and
-- the WHEN keeps every other update free of the trigger.
CREATE FUNCTION loupe_traces_rollup_moved() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM loupe_metric_rollup_mark(OLD.project_id, ARRAY[OLD.timestamp, NEW.timestamp]);
    RETURN NULL;
END
$$;
CREATE TRIGGER traces_rollup_moved AFTER UPDATE OF timestamp ON traces
    FOR EACH ROW WHEN (OLD.timestamp IS DISTINCT FROM NEW.timestamp) EXECUTE FUNCTION loupe_traces_rollup_moved();

-- The data stored before this migration: every hour that has rows is dirty, so the queries are
-- exact at once (raw) and the job builds the rollups.
INSERT INTO metric_rollup_dirty (project_id, hour)
SELECT project_id, h FROM (
    SELECT DISTINCT project_id, date_trunc('hour', start_time, 'UTC') AS h FROM observations
    UNION
    SELECT DISTINCT project_id, date_trunc('hour', timestamp, 'UTC') FROM traces
    UNION
    SELECT DISTINCT project_id, date_trunc('hour', timestamp, 'UTC') FROM scores
) existing;
