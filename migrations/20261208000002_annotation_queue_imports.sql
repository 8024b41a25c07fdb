-- "Add all traces matching the filters" to an annotation queue (issue #20): done in the
-- background for large sets. The row is the request and its progress: the traces list's query
-- (JSON, with its relative time range fixed at `created_at`), the most traces to add, how many
-- were looked at and added so far, and the list cursor to continue from. The job that works it
-- (`annotation.import`) takes a page at a time, so a restart resumes where it stopped; adding an
-- item twice is a no-op, so a repeated page adds nothing.
CREATE TABLE annotation_queue_imports (
    project_id   TEXT NOT NULL,
    id           TEXT NOT NULL,
    queue_id     TEXT NOT NULL,
    query        JSONB NOT NULL,
    max_items    INT NOT NULL CHECK (max_items BETWEEN 1 AND 100000),
    seen         INT NOT NULL DEFAULT 0,
    added        INT NOT NULL DEFAULT 0,
    cursor       TEXT,
    state        TEXT NOT NULL DEFAULT 'RUNNING' CHECK (state IN ('RUNNING', 'DONE', 'FAILED')),
    error        TEXT,
    created_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, queue_id) REFERENCES annotation_queues (project_id, id) ON DELETE CASCADE
);
