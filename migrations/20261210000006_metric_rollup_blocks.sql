-- Blocks of days in the metric rollups (#22): besides hour rows and day rows (`grouping | 2^20`),
-- each grouping set now has rows summing aligned blocks of 2, 4, 8, 16 and 32 UTC days
-- (`grouping | 2^(20+k)`, `hour` = the block's first day, whose number since 1970-01-01 is a
-- multiple of 2^k). A recompute that leaves a block clean rewrites it from its two halves
-- (core/src/metrics/rollups.rs); a query without time buckets reads the longest clean blocks of
-- its range, so top users by cost over 30 days reads each user about 6 times instead of 30.
--
-- Existing installations have day rows but no block rows yet: mark the first hour of every day
-- that has day rows dirty, so the `metrics.rollup` job recomputes that hour, rewrites the day and
-- builds the blocks holding it once they are clean. Until then those days are dirty and read
-- from their hour rows and raw rows, exact as always.
INSERT INTO metric_rollup_dirty (project_id, hour)
SELECT DISTINCT d.project_id, d.hour
FROM (
    SELECT project_id, hour FROM metric_rollup_observations WHERE grouping >= 1048576
    UNION
    SELECT project_id, hour FROM metric_rollup_traces WHERE grouping >= 1048576
    UNION
    SELECT project_id, hour FROM metric_rollup_scores WHERE grouping >= 1048576
) d
WHERE NOT EXISTS (SELECT 1 FROM metric_rollup_dirty x WHERE x.project_id = d.project_id AND x.hour = d.hour);
