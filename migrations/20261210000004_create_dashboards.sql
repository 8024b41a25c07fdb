-- Custom dashboards (issue #22): a project's named boards of widgets, shared with every member of
-- the project. A widget is a metrics query without a time range (the board's range and filters are
-- the viewer's, in the URL), a chart kind, a title and a size: `loupe_domain::dashboards::Widget`.
-- The widgets are one JSONB array, written only by `core/src/store/dashboards.rs` after
-- `dashboards::check_widgets` accepted them (refusals name the field), so a stored board always
-- reads back as the domain type. The project home's dashboard is not stored: it is code
-- (`dashboards::home`), the same for every project.
CREATE TABLE dashboards (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    description  TEXT CHECK (char_length(description) <= 2000),
    widgets      JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(widgets) = 'array'),
    created_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
-- The list, most recently changed first.
CREATE INDEX dashboards_updated_idx ON dashboards (project_id, updated_at DESC);
