-- Prompt management (LANGFUSE_COMPAT.md §5): one row per version of a named prompt.
--
-- Invariants kept by app/src/store/prompts.rs, under a per-name transaction-level advisory lock
-- (every write to a name takes it first, so versions are numbered without gaps and a label can
-- never be held by two versions of one name):
-- - `version` is 1-based and per name;
-- - `latest` is held by the highest version;
-- - every other label is held by at most one version of the name;
-- - every version of a name has the same `type` and the same `tags`.
CREATE TABLE prompts (
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    version         INTEGER NOT NULL CHECK (version >= 1),
    type            TEXT NOT NULL CHECK (type IN ('text', 'chat')),
    -- A JSON string for text prompts, an array of messages and placeholders for chat prompts.
    prompt          JSONB NOT NULL,
    config          JSONB NOT NULL DEFAULT '{}',
    labels          TEXT[] NOT NULL DEFAULT '{}',
    tags            TEXT[] NOT NULL DEFAULT '{}',
    commit_message  TEXT CHECK (length(commit_message) <= 500),
    -- Who made the version: a person (`created_by_user`), or "API" for an API key (Langfuse's
    -- `createdBy`).
    created_by      TEXT NOT NULL,
    created_by_user TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name, version)
);
-- The list (one row per name, by name) and label filters.
CREATE INDEX prompts_labels_idx ON prompts USING gin (labels);
CREATE INDEX prompts_updated_idx ON prompts (project_id, updated_at DESC);

-- The composability tags (`@@@langfusePrompt:name=…|label=…@@@`) of each version, parsed at
-- creation: which versions depend on a name (the prompt page shows them).
CREATE TABLE prompt_dependencies (
    project_id    TEXT NOT NULL,
    parent_id     TEXT NOT NULL,
    child_name    TEXT NOT NULL,
    child_label   TEXT,
    child_version INTEGER,
    FOREIGN KEY (project_id, parent_id) REFERENCES prompts (project_id, id) ON DELETE CASCADE,
    CHECK ((child_label IS NULL) <> (child_version IS NULL))
);
CREATE INDEX prompt_dependencies_parent_idx ON prompt_dependencies (project_id, parent_id);
CREATE INDEX prompt_dependencies_child_idx ON prompt_dependencies (project_id, child_name);

-- Labels only Admins and Owners may move (Langfuse's "protected labels", open in Loupe).
CREATE TABLE prompt_protected_labels (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, label)
);

-- Generations linked to a prompt version (`promptName` + `promptVersion` at ingestion): the
-- prompt's usage count and per-version metrics. Partial, so spans without a prompt cost nothing.
CREATE INDEX observations_prompt_idx ON observations (project_id, prompt_name, prompt_version)
    WHERE prompt_name IS NOT NULL;
