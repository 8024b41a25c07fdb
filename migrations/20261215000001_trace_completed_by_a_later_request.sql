-- Issue #23: a trace completed by a later request. SDKs' batch processors export a span when it
-- ends, so a trace that outlives one batch arrives as its children first (the row is created
-- with the trace attributes they carry) and its root later (name, input and output: an update
-- of the stored row). `scripts/bench-ingest --root-last` sends traces so; that update cost
-- Postgres ~350 µs per trace, two parts of it needlessly (docs/BENCHMARKS.md):

-- 1. The search document. The trigger recomputed it in SQL (`loupe_json_strings` over the stored
--    input and output) and dropped the distinct words, so the trigram index then took every word
--    of the document. The writer's UPDATE now sets `search_text` and `search_words` itself when
--    its patch decides the row's name, input and output (each either sent, or absent from the
--    row and taken from the patch's fallback: the document the writer computes for an INSERT,
--    core/src/ingest/writer.rs), and marks its transaction with `loupe.trace_document =
--    'writer'`. A document set in such a transaction is kept; anywhere else the column still
--    cannot be set apart from its sources, and a change of name, input or output that does not
--    bring its document is recomputed as before.
DROP TRIGGER traces_search_text_on_update ON traces;
CREATE TRIGGER traces_search_text_on_update BEFORE UPDATE OF name, input, output, search_text, search_words ON traces
    FOR EACH ROW WHEN ((OLD.name IS DISTINCT FROM NEW.name OR OLD.input IS DISTINCT FROM NEW.input
                        OR OLD.output IS DISTINCT FROM NEW.output OR OLD.search_text IS DISTINCT FROM NEW.search_text
                        OR OLD.search_words IS DISTINCT FROM NEW.search_words)
                       AND NOT (OLD.search_text IS DISTINCT FROM NEW.search_text
                                AND coalesce(current_setting('loupe.trace_document', true), '') = 'writer'))
    EXECUTE FUNCTION loupe_traces_search_text();

-- 2. The rollups' old hour. A root starts before its children, so the trace's timestamp moves
--    back on nearly every such update, and the trigger marked the old and new hours dirty (a
--    PL/pgSQL call, advisory locks, a probe of `metric_rollup_dirty`) though the two are almost
--    always the same hour, which the writer marks anyway. A rollup row is keyed by the hour of
--    the timestamp, never by the timestamp itself: a move within the hour changes none.
DROP TRIGGER traces_rollup_moved ON traces;
CREATE TRIGGER traces_rollup_moved AFTER UPDATE OF timestamp ON traces
    FOR EACH ROW WHEN (date_trunc('hour', OLD.timestamp, 'UTC') IS DISTINCT FROM date_trunc('hour', NEW.timestamp, 'UTC'))
    EXECUTE FUNCTION loupe_traces_rollup_moved();
