-- Project model definitions (LANGFUSE_COMPAT.md §7.3, §8): which model names a definition
-- covers (match_pattern, a regular expression), what each usage type costs, and which
-- tokenizer counts tokens when a generation reports none. Langfuse's built-in definitions are
-- not stored here: they ship inside the binary (server/src/pricing/builtin.rs).
--
-- Pricing tiers are one JSONB array per model, in Langfuse's JSON shape
-- ([{id, name, isDefault, priority, conditions, prices: {usage type: USD per unit}}]), rather
-- than tables of tiers and prices: a model's tiers are only ever read and written together
-- with the model, matching and tier selection run in Rust, and the same shape is what the
-- built-in table and the public API use, so one reader checks all three. Their rules (one
-- default tier, unique names and priorities, ...) are enforced by the server before writing.

CREATE TABLE models (
    project_id        TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 255),
    model_name        TEXT NOT NULL CHECK (length(model_name) BETWEEN 1 AND 255),
    match_pattern     TEXT NOT NULL CHECK (length(match_pattern) BETWEEN 1 AND 1000),
    -- The definition applies from this instant on; NULL = always. The newest one in effect wins.
    start_date        TIMESTAMPTZ,
    unit              TEXT CHECK (unit IN ('TOKENS', 'CHARACTERS', 'MILLISECONDS', 'SECONDS', 'IMAGES', 'REQUESTS')),
    tokenizer_id      TEXT CHECK (tokenizer_id IN ('openai', 'claude')),
    tokenizer_config  JSONB,
    pricing_tiers     JSONB NOT NULL CHECK (jsonb_typeof(pricing_tiers) = 'array'),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);

-- One definition per name, start date and unit in a project (a price change is a new start
-- date). Expressions so that NULLs compare equal on every supported Postgres version.
CREATE UNIQUE INDEX models_project_id_model_name_start_date_unit_key
    ON models (project_id, model_name, coalesce(start_date, '-infinity'), coalesce(unit, ''));
