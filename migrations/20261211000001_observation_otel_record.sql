-- Issue #23: less work per stored span for Postgres.
--
-- 1. An observation's raw OTel record (span, resource and scope attributes, kind, status, events
--    and the mapper's provenance, `mapped`) moves from `otel_attributes` (jsonb) to `otel_record`
--    (bytes: a format byte, then the JSON compressed with LZ4 by Loupe; core/src/store/otel_record.rs).
--    It is only ever read whole, by the mapping inspector, yet as jsonb it was the larger half of
--    every span's JSON: Postgres parsed ~2 KB per span on insert and then compressed the row with
--    pglz (together about a fifth of its CPU per span in scripts/bench-ingest's profile). Rows
--    stored before keep `otel_attributes`; new and merged rows write `otel_record` and clear it.
--    Adding a nullable column rewrites nothing.
ALTER TABLE observations ADD COLUMN otel_record BYTEA;

-- 2. The JSON columns that still exceed the TOAST threshold (large inputs and outputs) are
--    compressed with LZ4 instead of pglz where the server was built with it (Debian's and the
--    official images are): several times faster to compress, a little larger. Only values written
--    from now on are affected; nothing is rewritten. A server without LZ4 keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE observations
            ALTER COLUMN input SET COMPRESSION lz4,
            ALTER COLUMN output SET COMPRESSION lz4,
            ALTER COLUMN metadata SET COMPRESSION lz4,
            ALTER COLUMN model_parameters SET COMPRESSION lz4,
            ALTER COLUMN otel_record SET COMPRESSION lz4;
        ALTER TABLE traces
            ALTER COLUMN input SET COMPRESSION lz4,
            ALTER COLUMN output SET COMPRESSION lz4,
            ALTER COLUMN metadata SET COMPRESSION lz4,
            ALTER COLUMN search_text SET COMPRESSION lz4;
    END IF;
END
$$;
