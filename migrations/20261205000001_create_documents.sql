-- Collaborative documents (issue #19): Yjs documents shared by the people editing them, such as
-- the draft of a prompt's next version. A document is its latest snapshot (a Yjs update that
-- holds the whole state up to `snapshot_seq`) plus the updates appended since; an update is
-- committed before the server acknowledges it. A document's `generation` starts again when a
-- draft is published or discarded (the updates of the old generation are then deleted).
CREATE TABLE documents (
    id            UUID PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('prompt-draft')),
    key           TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 1000),
    generation    BIGINT NOT NULL DEFAULT 1,
    snapshot      BYTEA NOT NULL,
    -- The updates with `seq <= snapshot_seq` are in the snapshot.
    snapshot_seq  BIGINT NOT NULL DEFAULT 0,
    -- Bytes of the snapshot plus the updates since (what a document's size bound counts).
    size_bytes    BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (project_id, kind, key)
);

CREATE TABLE document_updates (
    document_id  UUID NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    generation   BIGINT NOT NULL,
    body         BYTEA NOT NULL,
    account_id   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, seq)
);
