-- Issue #23: `traces.search_text` was a generated column, so Postgres ran `loupe_json_strings`
-- (a SQL function walking the jsonb with `jsonb_path_query`) for every inserted trace: 5 % of its
-- CPU under ingestion. Ingestion now sends the text it computes from the values it holds
-- (core/src/ingest/search_text.rs, equal byte for byte); the same definition stays in SQL, run by
-- a trigger for any row inserted without it and whenever an update changes what it is made of.

-- The definition, once (the generated column's expression).
CREATE FUNCTION loupe_trace_search_text(name text, input jsonb, output jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(name, '') || ' ' || coalesce(left(loupe_json_strings(input), 10000), '') || ' '
        || coalesce(left(loupe_json_strings(output), 10000), '')
$$;

-- A plain column from now on; its values are kept.
ALTER TABLE traces ALTER COLUMN search_text DROP EXPRESSION;

CREATE FUNCTION loupe_traces_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := loupe_trace_search_text(NEW.name, NEW.input, NEW.output);
    RETURN NEW;
END
$$;

-- Inserted without it (anything but ingestion, or a top-level number the writer leaves to SQL).
CREATE TRIGGER traces_search_text_on_insert BEFORE INSERT ON traces
    FOR EACH ROW WHEN (NEW.search_text IS NULL) EXECUTE FUNCTION loupe_traces_search_text();
-- Changed: the name, input or output (a merge, or any other writer).
CREATE TRIGGER traces_search_text_on_update BEFORE UPDATE OF name, input, output, search_text ON traces
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.input IS DISTINCT FROM NEW.input
                       OR OLD.output IS DISTINCT FROM NEW.output OR OLD.search_text IS DISTINCT FROM NEW.search_text)
    EXECUTE FUNCTION loupe_traces_search_text();
