-- Comments with mentions (issue #20): people's notes on a trace, an observation, a session or a
-- prompt version (`object_id` is the prompt version's row id, as in Langfuse), and who each
-- comment mentions. Mentions are written in the content as `@[Display Name](user:ACCOUNT_ID)`;
-- only the project's members are recorded (loupe_domain::comments), so a mention row is an inbox
-- entry for someone who may read the comment.
CREATE TABLE comments (
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    object_type     TEXT NOT NULL CHECK (object_type IN ('TRACE', 'OBSERVATION', 'SESSION', 'PROMPT')),
    object_id       TEXT NOT NULL CHECK (length(object_id) BETWEEN 1 AND 1000),
    -- Trimmed by the callers; the limit is loupe_domain::comments::MAX_CONTENT_CHARS (Langfuse's
    -- public API limit, so nothing a Langfuse script sends is refused).
    content         TEXT NOT NULL CHECK (char_length(content) BETWEEN 1 AND 5000),
    -- NULL for comments made with an API key without `authorUserId`, or whose author was deleted.
    author_user_id  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
-- An object's thread, oldest first (the UI), and the public list narrowed by object.
CREATE INDEX comments_object_idx ON comments (project_id, object_type, object_id, created_at, id);
-- The public list without a filter, newest first.
CREATE INDEX comments_time_idx ON comments (project_id, created_at DESC, id DESC);

CREATE TABLE comment_mentions (
    project_id  TEXT NOT NULL,
    comment_id  TEXT NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- When the mentioned person opened it in their inbox; NULL = unread.
    read_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, comment_id, account_id),
    FOREIGN KEY (project_id, comment_id) REFERENCES comments (project_id, id) ON DELETE CASCADE
);
-- A person's inbox (newest first, across their projects or in one) and its unread count.
CREATE INDEX comment_mentions_inbox_idx ON comment_mentions (account_id, created_at DESC, project_id, comment_id);
CREATE INDEX comment_mentions_unread_idx ON comment_mentions (account_id, project_id) WHERE read_at IS NULL;
