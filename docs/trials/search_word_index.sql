-- The word-level search index trial of docs/BENCHMARKS.md ("What is left between the benchmark
-- and 0.5", thirteenth session). Not a migration: side tables (`sx_*`) in a benchmark database.
--
-- 1. A database with traces: start a release `loupe` on a scratch data directory and load it
--    (`bench_ingest --connections 4 --seconds 10 [--prose]` for the insert costs, `--seconds 100
--    --prose` for the query side; the example's flags are in server/examples/bench_ingest.rs).
-- 2. psql "postgres://postgres@localhost/loupe?host=<data dir>/run" -X -f docs/trials/search_word_index.sql
--
-- The tokenizer is the one the design would share between Rust and SQL: runs of ASCII letters
-- and digits, lower-cased (pg_trgm's words in Loupe's C-locale cluster).

\timing off
DROP TABLE IF EXISTS sx_docs, sx_vocab, sx_stage, sx_a, sx_b, sx_c, sx_d;

-- Part 1: what each index costs per trace, inserted 10 rows per statement as ingestion does.
CREATE TABLE sx_docs AS SELECT row_number() OVER () AS n, project_id, id, timestamp, coalesce(search_words, search_text) AS doc FROM traces;
CREATE INDEX ON sx_docs (n);
SELECT count(*) AS documents, avg(array_length(show_trgm(doc), 1))::int AS trigrams_per_document FROM sx_docs;
CREATE TABLE sx_vocab (id bigint GENERATED ALWAYS AS IDENTITY, project_id text NOT NULL, word text NOT NULL, PRIMARY KEY (project_id, word));
INSERT INTO sx_vocab (project_id, word)
    SELECT DISTINCT d.project_id, w FROM sx_docs d, regexp_split_to_table(lower(d.doc), '[^a-z0-9]+') w WHERE w <> '' ORDER BY 1, 2;
ANALYZE sx_vocab;
SELECT count(*) AS vocabulary FROM sx_vocab;
SET work_mem = '256MB';
CREATE TABLE sx_stage AS
    SELECT d.n, d.project_id, d.id, d.timestamp, array_agg(DISTINCT v.id) AS ids
    FROM sx_docs d CROSS JOIN LATERAL regexp_split_to_table(lower(d.doc), '[^a-z0-9]+') w
    JOIN sx_vocab v ON v.project_id = d.project_id AND v.word = w
    GROUP BY 1, 2, 3, 4;
CREATE INDEX ON sx_stage (n);
SELECT avg(array_length(ids, 1))::int AS words_per_document FROM sx_stage;
CREATE TABLE sx_c (id text PRIMARY KEY, doc text);                                              -- no search index
CREATE TABLE sx_a (id text PRIMARY KEY, doc text); CREATE INDEX ON sx_a USING gin (doc gin_trgm_ops);  -- today's
CREATE TABLE sx_d (id text PRIMARY KEY, ids bigint[]);                                          -- no search index
CREATE TABLE sx_b (id text PRIMARY KEY, ids bigint[]); CREATE INDEX ON sx_b USING gin (ids);   -- word ids
CHECKPOINT;
\timing on
DO $$ BEGIN FOR i IN 0..(SELECT max(n) / 10 FROM sx_docs) LOOP INSERT INTO sx_c SELECT id, doc FROM sx_docs WHERE n > i * 10 AND n <= i * 10 + 10; END LOOP; END $$;
DO $$ BEGIN FOR i IN 0..(SELECT max(n) / 10 FROM sx_docs) LOOP INSERT INTO sx_d SELECT id, ids FROM sx_stage WHERE n > i * 10 AND n <= i * 10 + 10; END LOOP; END $$;
DO $$ BEGIN FOR i IN 0..(SELECT max(n) / 10 FROM sx_docs) LOOP INSERT INTO sx_a SELECT id, doc FROM sx_docs WHERE n > i * 10 AND n <= i * 10 + 10; END LOOP; END $$;
DO $$ BEGIN FOR i IN 0..(SELECT max(n) / 10 FROM sx_docs) LOOP INSERT INTO sx_b SELECT id, ids FROM sx_stage WHERE n > i * 10 AND n <= i * 10 + 10; END LOOP; END $$;
\timing off
SELECT pg_size_pretty(pg_relation_size('sx_a_doc_idx')) AS trigram_index, pg_size_pretty(pg_relation_size('sx_b_ids_idx')) AS word_id_index;

-- Part 2: the query side, over every trace (a page of the list, newest first).
CREATE INDEX ON sx_vocab USING gin (word gin_trgm_ops);
CREATE INDEX ON sx_stage USING gin (ids);
CREATE INDEX ON sx_stage (project_id, timestamp DESC, id DESC);
ANALYZE sx_stage;
\timing on
-- A phrase word to vocabulary ids (a word of three characters or more uses the trigram index).
SELECT count(*) FROM sx_vocab WHERE word LIKE '%2345%';
SELECT count(*) FROM sx_vocab WHERE word LIKE '%12%';
-- The same rows either way.
SELECT count(*) FROM sx_stage WHERE ids && (SELECT array_agg(id) FROM sx_vocab WHERE word LIKE '%2345%');
SELECT count(*) FROM traces WHERE coalesce(search_words, search_text) ILIKE '%2345%';
\timing off
-- Plans: bind the ids as the list would (a literal array), e.g. for `ticket 123456`:
--   SELECT array_agg(id) FROM sx_vocab WHERE word LIKE '%ticket';   -- the phrase's first word ends a word
--   SELECT array_agg(id) FROM sx_vocab WHERE word LIKE '123456%';   -- its last word starts one
--   EXPLAIN ANALYZE SELECT id FROM sx_stage WHERE project_id = 'bench' AND ids && '{…}' AND ids && '{…}'
--       ORDER BY timestamp DESC, id DESC LIMIT 50;
--   EXPLAIN ANALYZE SELECT id FROM traces WHERE project_id = 'bench'
--       AND coalesce(search_words, search_text) ILIKE '%ticket%' AND coalesce(search_words, search_text) ILIKE '%123456%'
--       AND search_text ILIKE '%ticket 123456%' ORDER BY timestamp DESC, id DESC LIMIT 50;
