-- Accounts, continued: sign-in sessions, per-project role overrides, invitations and the audit
-- log. Tokens (session cookies, invitation links) are stored only as SHA-256 hex digests: the
-- database never holds a value that would let someone act as a user.

CREATE TABLE user_sessions (
    -- SHA-256 hex of the cookie's random token.
    token_hash    TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    user_agent    TEXT,
    ip            TEXT
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
CREATE INDEX user_sessions_expiry_idx ON user_sessions (expires_at);

-- A role for one project that replaces the member's organization role there.
CREATE TABLE project_memberships (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_memberships_user_idx ON project_memberships (user_id);

CREATE TABLE invitations (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email                TEXT NOT NULL CHECK (position('@' in email) > 1),
    role                 TEXT NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
    -- Optional project role override granted on acceptance.
    project_id           TEXT REFERENCES projects (id) ON DELETE CASCADE,
    project_role         TEXT CHECK (project_role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
    -- SHA-256 hex of the link's random token.
    token_hash           TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    invited_by_user_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at           TIMESTAMPTZ NOT NULL,
    accepted_at          TIMESTAMPTZ,
    accepted_by_user_id  TEXT REFERENCES users (id) ON DELETE SET NULL,
    revoked_at           TIMESTAMPTZ,
    CHECK ((project_id IS NULL) = (project_role IS NULL))
);
-- One open invitation per person and organization.
CREATE UNIQUE INDEX invitations_open_idx ON invitations (org_id, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Who changed what, when, with the state before and after. Append-only.
CREATE TABLE audit_log (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id       TEXT,
    actor_user_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    actor_api_key_id TEXT,
    action           TEXT NOT NULL,
    resource_type    TEXT NOT NULL,
    resource_id      TEXT NOT NULL,
    before           JSONB,
    after            JSONB,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_time_idx ON audit_log (org_id, created_at DESC, id DESC);
CREATE INDEX audit_log_resource_idx ON audit_log (org_id, resource_type, resource_id);
