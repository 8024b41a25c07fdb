-- Plans, quotas and metering (issue #22). Plans are data an instance administrator edits: the
-- units included per calendar month (UTC), data retention, member and annotation-queue limits
-- and what happens past the quota. Langfuse counts a "unit" as one trace, observation or score
-- ingested (docs/COMPATIBILITY.md, "Plans and units"); NULL in a limit means unlimited.
CREATE TABLE plans (
    -- A slug: it names the plan in URLs and in 429 messages' `plan` field.
    id                      TEXT PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                    TEXT NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    included_units          BIGINT CHECK (included_units >= 0),
    retention_days          INTEGER CHECK (retention_days >= 1),
    member_limit            INTEGER CHECK (member_limit >= 1),
    annotation_queue_limit  INTEGER CHECK (annotation_queue_limit >= 0),
    over_quota              TEXT NOT NULL CHECK (over_quota IN ('warn', 'refuse')),
    is_default              BOOLEAN NOT NULL DEFAULT false,
    position                INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- At most one default plan: organizations without a plan of their own are on it.
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default;

-- The plans of Langfuse's pricing page (as the issue lists them), and "self-hosted", the
-- instance's default: unlimited, so an instance that never looks at plans behaves as before.
INSERT INTO plans (id, name, included_units, retention_days, member_limit, annotation_queue_limit, over_quota, is_default, position) VALUES
    ('hobby',       'Hobby',       50000,  30,   2,    1,    'refuse', false, 10),
    ('core',        'Core',        100000, 90,   NULL, 3,    'warn',   false, 20),
    ('pro',         'Pro',         100000, NULL, NULL, NULL, 'warn',   false, 30),
    ('enterprise',  'Enterprise',  NULL,   NULL, NULL, NULL, 'warn',   false, 40),
    ('self-hosted', 'Self-hosted', NULL,   NULL, NULL, NULL, 'warn',   true,  50);

-- NULL: the instance's default plan (whichever plan is_default names at the time).
ALTER TABLE organizations ADD COLUMN plan_id TEXT REFERENCES plans (id);
CREATE INDEX organizations_plan_idx ON organizations (plan_id) WHERE plan_id IS NOT NULL;

-- Units counted by the ingestion transaction that created the rows, per project and UTC hour.
-- Sharded: each transaction adds to the row of its shard (pg_backend_pid() % 16; a connection
-- runs one transaction at a time), so concurrent ingestion never waits on one hot row. No
-- foreign key to projects: deleting a project (or its traces) does not give its units back,
-- as in Langfuse's billing; the organization's deletion takes its counters along.
CREATE TABLE usage_counters (
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id    TEXT NOT NULL,
    hour          TIMESTAMPTZ NOT NULL
                  CHECK (date_trunc('hour', hour AT TIME ZONE 'UTC') = hour AT TIME ZONE 'UTC'),
    shard         SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 15),
    traces        BIGINT NOT NULL DEFAULT 0 CHECK (traces >= 0),
    observations  BIGINT NOT NULL DEFAULT 0 CHECK (observations >= 0),
    scores        BIGINT NOT NULL DEFAULT 0 CHECK (scores >= 0),
    PRIMARY KEY (project_id, hour, shard)
);
-- An organization's period (the usage page, the quota check): its rows by hour.
CREATE INDEX usage_counters_org_hour ON usage_counters (org_id, hour);
