-- Saved playgrounds (issue #18): a playground's state (messages, variables, tools, response
-- schema and variants; `domain::playground::Playground` as JSON) saved by name and shared with
-- the project. Saving under an existing name replaces that one's state.
CREATE TABLE saved_playgrounds (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    state       JSONB NOT NULL,
    created_by  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    updated_by  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
);
