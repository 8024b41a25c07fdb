-- Failed sign-ins, for throttling (auth/throttle.rs). Kept in Postgres rather than in memory so
-- the limit holds across restarts and across several Loupe replicas on one database. Rows older
-- than the throttle window are pruned by the maintenance task.
CREATE TABLE sign_in_failures (
    -- `account:<lower email>` or `account-ip:<lower email>|<ip>`.
    key        TEXT NOT NULL,
    failed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_key_idx ON sign_in_failures (key, failed_at);
CREATE INDEX sign_in_failures_time_idx ON sign_in_failures (failed_at);
