-- Accounts: the tenancy model every other table hangs off.
-- organizations 1─n projects 1─n api_keys; users n─m organizations through memberships.
-- Ids are text: Langfuse lets operators choose organization and project ids (LANGFUSE_INIT_*).

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Soft delete: project data is removed by a background job after the project disappears.
    deleted_at  TIMESTAMPTZ
);
CREATE INDEX projects_org_id_idx ON projects (org_id);

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    email              TEXT NOT NULL CHECK (position('@' in email) > 1),
    name               TEXT,
    -- argon2id PHC string; NULL for users who have not set a password (e.g. invited, SSO).
    password_hash      TEXT,
    is_instance_admin  BOOLEAN NOT NULL DEFAULT false,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Emails are unique regardless of case: Alice@x.com and alice@x.com are one person.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE organization_memberships (
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX organization_memberships_user_id_idx ON organization_memberships (user_id);

CREATE TABLE api_keys (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- pk-lf-...: sent in clear by the SDKs, identifies the key.
    public_key          TEXT NOT NULL CHECK (length(public_key) BETWEEN 1 AND 255),
    -- argon2id PHC string of the secret key; the secret itself is never stored.
    secret_hash         TEXT NOT NULL,
    -- Masked form for lists, e.g. sk-lf-...abcd.
    display_secret_key  TEXT NOT NULL,
    note                TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at        TIMESTAMPTZ,
    expires_at          TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_keys_public_key_key ON api_keys (public_key);
CREATE INDEX api_keys_project_id_idx ON api_keys (project_id);
