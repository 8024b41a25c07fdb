-- Media attachments (images, audio, files) the SDKs upload out of band and reference from
-- input/output/metadata as `@@@langfuseMedia:type=…|id=…|source=…@@@` (LANGFUSE_COMPAT §7.5).
--
-- `media` is one row per project and content: `id` is what every SDK computes itself, the first
-- 22 characters of base64url(SHA-256 of the bytes), so the same bytes in one project are one
-- row. The bytes live outside the database, content-addressed by the full SHA-256 (see
-- server/src/media.rs): a file is removed when no project's row names its hash any more.
CREATE TABLE media (
    project_id          TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                  TEXT NOT NULL CHECK (length(id) = 22),
    -- Hex SHA-256 of the bytes (the SDK sends it base64; hex names the file).
    sha256              TEXT NOT NULL CHECK (length(sha256) = 64),
    content_type        TEXT NOT NULL,
    content_length      BIGINT NOT NULL CHECK (content_length > 0),
    -- Set when the bytes arrived and matched the hash.
    uploaded_at         TIMESTAMPTZ,
    -- What the SDK reported after its upload (PATCH /media/{id}).
    upload_http_status  INTEGER,
    upload_http_error   TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
CREATE INDEX media_sha256_idx ON media (sha256);

-- Where a media item is used: a trace (and observation) field. Deleting a trace deletes its
-- references, and media no longer referenced by anything.
CREATE TABLE media_references (
    project_id      TEXT NOT NULL,
    media_id        TEXT NOT NULL,
    trace_id        TEXT NOT NULL,
    -- '' for the trace itself.
    observation_id  TEXT NOT NULL DEFAULT '',
    field           TEXT NOT NULL CHECK (field IN ('input', 'output', 'metadata')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, media_id, trace_id, observation_id, field),
    FOREIGN KEY (project_id, media_id) REFERENCES media (project_id, id) ON DELETE CASCADE
);
CREATE INDEX media_references_trace_idx ON media_references (project_id, trace_id);
