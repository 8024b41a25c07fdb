-- Saved views of the traces list: a name for a list URL query (filters, sort), shared by the
-- project's members. Members create them; their creator or an Admin deletes them.
CREATE TABLE saved_views (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    -- The list's query string with its `?` (or empty), as the browser shows it.
    query       TEXT NOT NULL CHECK (length(query) <= 4000),
    created_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
);
