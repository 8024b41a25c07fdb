-- Issue #23: the trigram index cost a trace insert ~90 µs of its ~120 µs, nearly all in pg_trgm
-- splitting, lower-casing and sorting the trigrams of every word of the search document, however
-- often the document repeats it (templated prompts, repeated tool output, a sentence said ten
-- times). pg_trgm's trigrams are made word by word, so the document's distinct whitespace-
-- separated words, joined by spaces, have exactly the same trigram set, and the same CJK bigrams
-- (a CJK run never spans whitespace).
--
-- `search_words`: those distinct words, in order of first appearance, written by ingestion
-- (core/src/ingest/search_text.rs) when they are markedly shorter than `search_text`; NULL
-- otherwise. The two search indexes cover `coalesce(search_words, search_text)`, so a row without
-- words is indexed as before. It is an index key, never the answer: the list asks the index for
-- rows holding every word of the phrase (each word of a phrase found in `search_text` is inside
-- one of its words, hence in `search_words`), then checks the phrase itself against
-- `search_text` (core/src/store/trace_list.rs).
ALTER TABLE traces ADD COLUMN search_words TEXT;

-- Whenever SQL computes the document (a row inserted without it, or its name, input or output
-- changed), the words are dropped with the old document: NULL is always correct.
CREATE OR REPLACE FUNCTION loupe_traces_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := loupe_trace_search_text(NEW.name, NEW.input, NEW.output);
    NEW.search_words := NULL;
    RETURN NEW;
END
$$;

-- The words cannot be set apart from the document either (an update of them recomputes both).
DROP TRIGGER traces_search_text_on_update ON traces;
CREATE TRIGGER traces_search_text_on_update BEFORE UPDATE OF name, input, output, search_text, search_words ON traces
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.input IS DISTINCT FROM NEW.input
                       OR OLD.output IS DISTINCT FROM NEW.output OR OLD.search_text IS DISTINCT FROM NEW.search_text
                       OR OLD.search_words IS DISTINCT FROM NEW.search_words)
    EXECUTE FUNCTION loupe_traces_search_text();

-- Rebuilt once at upgrade, over the documents of rows stored before (their words are NULL): about
-- a minute per million traces on a 2-core machine (pg_trgm ~60 µs per ~1 KB document).
DROP INDEX traces_search_trgm_idx;
DROP INDEX traces_search_cjk_idx;
CREATE INDEX traces_search_trgm_idx ON traces USING gin ((coalesce(search_words, search_text)) gin_trgm_ops);
CREATE INDEX traces_search_cjk_idx ON traces USING gin (loupe_cjk_bigrams(coalesce(search_words, search_text)));
