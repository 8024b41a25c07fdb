-- Blocks of days and user sets without the release in the metric rollups (#22).
--
-- Besides hour rows and day rows (`grouping | 2^20`), each grouping set now has rows summing
-- aligned blocks of 2, 4, 8, 16 and 32 UTC days (`grouping | 2^(20+k)`, `hour` = the block's
-- first day, whose number since 1970-01-01 is a multiple of 2^k). A recompute that leaves a block
-- clean rewrites it from its two halves (core/src/metrics/rollups.rs); a query without time
-- buckets reads the longest clean blocks of its range. The observations' rollup gains two sets,
-- (user_id) and (environment, user_id): with the release in the set a block holds a row per user
-- and release, without it about one per user however long the block, so a 30-day top users by
-- cost reads each user about 6 times instead of 30.
--
-- Existing installations have neither the new sets' rows nor block rows: mark every hour that
-- has rollup rows dirty, so the `metrics.rollup` job recomputes them all (newest first) and
-- builds the days and blocks as they become clean. Until then those hours are read from the raw
-- rows, exact as always (only slower).
INSERT INTO metric_rollup_dirty (project_id, hour)
SELECT DISTINCT d.project_id, d.hour
FROM (
    SELECT project_id, hour FROM metric_rollup_observations WHERE grouping < 1048576
    UNION
    SELECT project_id, hour FROM metric_rollup_traces WHERE grouping < 1048576
    UNION
    SELECT project_id, hour FROM metric_rollup_scores WHERE grouping < 1048576
) d
WHERE NOT EXISTS (SELECT 1 FROM metric_rollup_dirty x WHERE x.project_id = d.project_id AND x.hour = d.hour);
