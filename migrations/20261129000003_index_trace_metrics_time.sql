-- The traces list with a latency or cost range in time order: with this index the planner can
-- choose between walking the traces' time order (a wide range) and collecting a narrow range from
-- trace_metrics_latency_idx / trace_metrics_cost_idx then sorting the few matches (a range that
-- matches almost nothing would otherwise walk every trace).
CREATE INDEX trace_metrics_time_idx ON trace_metrics (project_id, timestamp DESC, trace_id DESC);
