-- Issue #23: the four tables every ingestion request writes checked their `project_id` against
-- `projects` row by row (a foreign-key trigger per row: ~130 `SELECT … FOR KEY SHARE` per request
-- of 100 spans, 7 % of Postgres's time under load). The guarantee stays, enforced once per write
-- instead (ARCHITECTURE.md, "Invariants"):
-- - ingestion (`core/src/ingest/writer.rs`, the only writer of these tables) locks the live
--   project row `FOR KEY SHARE` once per transaction and writes nothing when it is gone;
-- - deleting an organization deletes these rows of its projects itself, after locking the
--   project rows `FOR UPDATE` (which waits for any ingestion still holding them);
-- - the purge of a deleted project deletes the project row only once, with the row locked the
--   same way, none of its rows are left.
ALTER TABLE observations DROP CONSTRAINT IF EXISTS observations_project_id_fkey;
ALTER TABLE traces DROP CONSTRAINT IF EXISTS traces_project_id_fkey;
ALTER TABLE trace_metrics DROP CONSTRAINT IF EXISTS trace_metrics_project_id_fkey;
ALTER TABLE trace_sessions DROP CONSTRAINT IF EXISTS trace_sessions_project_id_fkey;
