-- Issue #23: an observation's input and output are stored as `json`, not `jsonb`.
--
-- They are the largest values of a span (a model's prompt and completion), written once and read
-- back whole: by the trace view, the public API, datasets and evaluators, never searched or
-- filtered inside by SQL (the traces' search reads `traces`, whose input and output stay `jsonb`).
-- `jsonb` made Postgres 15 rebuild every string of them character by character on insert; `json`
-- only checks the text and keeps it (200,000 rows of the ingestion benchmark's input and output in
-- `psql`: 1,978-2,083 ms as `jsonb`, 678-756 ms as `json`, 324-380 ms as text; under the
-- benchmark's load, ~1 us less of Postgres's CPU per span, docs/BENCHMARKS.md). Keeping the text
-- as sent also keeps the sender's key order, as Langfuse does.
--
-- What `json` has not: equality and containment operators. Nothing compares these columns; a
-- query that mixes them with a `jsonb` value (a `CASE` with a trace's output) casts them.
--
-- The table is rewritten once, locked while it is: an upgrade with many observations takes about
-- as long as copying them. The column compression set by 20261211000001 does not survive a type
-- change, so it is set again.
ALTER TABLE observations
    ALTER COLUMN input TYPE json USING input::json,
    ALTER COLUMN output TYPE json USING output::json;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE observations
            ALTER COLUMN input SET COMPRESSION lz4,
            ALTER COLUMN output SET COMPRESSION lz4;
    END IF;
END
$$;
