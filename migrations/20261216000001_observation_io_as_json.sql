-- Issue #23: an observation's input and output are stored as `json`, not `jsonb`.
--
-- They are the largest values of a span (a model's prompt and completion), written once and read
-- back whole: by the trace view, the public API, datasets and evaluators, never searched or
-- filtered inside by SQL (the traces' search reads `traces`, whose input and output stay `jsonb`).
-- `jsonb` made Postgres 15 rebuild every string of them character by character on insert; `json`
-- only checks the text and keeps it (measured with the benchmark's values, 200,000 rows in `psql`:
-- a row's input and output cost ~4x more as `jsonb` than as `json`). Keeping the text as sent also
-- keeps the sender's key order, as Langfuse does.
--
-- What `json` has not: equality and containment operators. Nothing compares these columns; a
-- query that mixes them with a `jsonb` value (a `CASE` with a trace's output) casts them.
--
-- The table is rewritten once. The column compression set by 20261211000001 does not survive a
-- type change, so it is set again.
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
