-- Annotation queues (issue #20): a project's human review work. A queue names the score configs
-- its reviewers fill and how many distinct reviewers each item needs; items are traces,
-- observations or sessions (one item per object and queue). An item a reviewer has open is
-- locked to them until `locked_until` (renewed while they work); each reviewer's outcome on an
-- item (completed or skipped) is a review row, so nobody gets an item twice and an item is
-- COMPLETED once `reviewers_per_item` reviewers completed it.
CREATE TABLE annotation_queues (
    project_id          TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description         TEXT,
    score_config_ids    TEXT[] NOT NULL CHECK (cardinality(score_config_ids) >= 1),
    reviewers_per_item  INT NOT NULL DEFAULT 1 CHECK (reviewers_per_item BETWEEN 1 AND 20),
    created_by          TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
);

-- The people a queue is assigned to (none: everyone in the project may review).
CREATE TABLE annotation_queue_assignments (
    project_id  TEXT NOT NULL,
    queue_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, queue_id, user_id),
    FOREIGN KEY (project_id, queue_id) REFERENCES annotation_queues (project_id, id) ON DELETE CASCADE
);

CREATE TABLE annotation_queue_items (
    project_id    TEXT NOT NULL,
    id            TEXT NOT NULL,
    queue_id      TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    object_type   TEXT NOT NULL CHECK (object_type IN ('TRACE', 'OBSERVATION', 'SESSION')),
    status        TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'COMPLETED')),
    completed_at  TIMESTAMPTZ,
    -- Who has it open, until when (a lapsed lock is anybody's).
    locked_by     TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    locked_until  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, queue_id, object_type, object_id),
    FOREIGN KEY (project_id, queue_id) REFERENCES annotation_queues (project_id, id) ON DELETE CASCADE
);
-- "The next pending item": the oldest first, within one queue.
CREATE INDEX annotation_queue_items_pending ON annotation_queue_items (project_id, queue_id, created_at, id) WHERE status = 'PENDING';
CREATE INDEX annotation_queue_items_listed ON annotation_queue_items (project_id, queue_id, created_at DESC, id DESC);

CREATE TABLE annotation_reviews (
    project_id    TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    reviewer_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    outcome       TEXT NOT NULL CHECK (outcome IN ('COMPLETED', 'SKIPPED')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, item_id, reviewer_id),
    FOREIGN KEY (project_id, item_id) REFERENCES annotation_queue_items (project_id, id) ON DELETE CASCADE
);
-- "The item I hold": a reload resumes it.
CREATE INDEX annotation_queue_items_held ON annotation_queue_items (project_id, queue_id, locked_by) WHERE status = 'PENDING' AND locked_by IS NOT NULL;
