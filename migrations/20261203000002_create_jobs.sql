-- Background jobs (core/src/jobs): claimed by any replica with FOR UPDATE SKIP LOCKED, held by a
-- lease the running worker keeps extending, so a job whose process died is claimed again once
-- its lease ends. Finished jobs stay (for the admin view and for the schedule of periodic kinds)
-- until the `jobs.prune` kind removes them.
CREATE TABLE jobs (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    -- At most one unfinished job per (kind, key): a periodic kind's next run, or an idempotent
    -- request enqueued twice.
    dedupe_key    TEXT,
    payload       JSONB NOT NULL DEFAULT '{}'::jsonb,
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    -- Not before this time (retries wait here with their backoff).
    run_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- While running: the claim is the worker's until then.
    lease_until   TIMESTAMPTZ,
    worker        TEXT,
    last_error    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);

-- What a claim scans: unfinished jobs of a kind by due time.
CREATE INDEX jobs_due_idx ON jobs (kind, run_at) WHERE state IN ('queued', 'running');
CREATE UNIQUE INDEX jobs_dedupe_idx ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
-- The schedule of periodic kinds (last finish) and pruning.
CREATE INDEX jobs_finished_idx ON jobs (kind, finished_at) WHERE finished_at IS NOT NULL;
