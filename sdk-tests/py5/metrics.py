"""Python SDK 5.x metrics API against Loupe (docs/COMPATIBILITY.md "Metrics API").

Writes three traces (a span and a priced generation each, user ids, a numeric score) with the SDK,
flushes, then reads them back with the SDK's own `api.metrics.metrics(query=…)` (`GET
/api/public/v2/metrics`): counts by type, cost and token sums, latency percentiles, hourly buckets,
scores, a top-N by a high-cardinality dimension; and the SDK's 400 for a bad aggregation and for a
high-cardinality dimension without a row limit, with messages naming the field. Every query is
narrowed to this run's trace name, so other scenarios' data in the same Loupe does not count.
"""

import datetime
import json
import sys
import time
import uuid

from langfuse import get_client, propagate_attributes

from loupecheck import Suite, approx, eq, fail, truthy

RUN = uuid.uuid4().hex[:8]
TRACE_NAME = f"py5-metrics-{RUN}"
SCORE_NAME = f"py5-metrics-quality-{RUN}"
suite = Suite("py5-metrics")
langfuse = get_client()

COSTS = [0.001, 0.002, 0.004]
SCORES = [0.2, 0.4, 0.9]
started = datetime.datetime.now(datetime.timezone.utc)
trace_ids = []
for i, (cost, score) in enumerate(zip(COSTS, SCORES)):
    with propagate_attributes(trace_name=TRACE_NAME, user_id=f"metrics-user-{i % 2}"):
        with langfuse.start_as_current_observation(name="metrics-root") as root:
            with langfuse.start_as_current_observation(
                as_type="generation",
                name="metrics-llm",
                model="metrics-model",
                usage_details={"input": 10 * (i + 1), "output": 5},
                cost_details={"total": cost},
            ):
                time.sleep(0.05 * (i + 1))
            trace_ids.append(root.trace_id)
    langfuse.create_score(name=SCORE_NAME, value=score, trace_id=trace_ids[-1])
langfuse.flush()

window = {
    "fromTimestamp": (started - datetime.timedelta(hours=1)).isoformat(),
    "toTimestamp": (started + datetime.timedelta(hours=1)).isoformat(),
}
mine = [{"column": "traceName", "operator": "=", "value": TRACE_NAME, "type": "string"}]


def metrics(query, until=None):
    """The SDK's call; retried briefly until `until(rows)` holds (the writes were flushed)."""
    deadline = time.monotonic() + 10
    while True:
        rows = langfuse.api.metrics.metrics(query=json.dumps({**window, **query})).data
        if until is None or until(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


with suite.check("observations by type: counts, cost and token sums"):
    rows = metrics({
        "view": "observations",
        "dimensions": [{"field": "type"}],
        "metrics": [{"measure": "count", "aggregation": "count"}, {"measure": "totalCost", "aggregation": "sum"},
                    {"measure": "inputTokens", "aggregation": "sum"}, {"measure": "totalTokens", "aggregation": "sum"}],
        "filters": mine,
        "orderBy": [{"field": "type", "direction": "asc"}],
    }, until=lambda rows: sum(int(r["count_count"]) for r in rows) >= 6)
    by_type = {r["type"]: r for r in rows}
    eq(sorted(by_type), ["GENERATION", "SPAN"], "types")
    eq(int(by_type["GENERATION"]["count_count"]), 3, "generations")
    eq(int(by_type["SPAN"]["count_count"]), 3, "spans")
    approx(float(by_type["GENERATION"]["sum_totalCost"]), sum(COSTS), "sum_totalCost")
    eq(int(by_type["GENERATION"]["sum_inputTokens"]), 60, "sum_inputTokens")
    eq(int(by_type["GENERATION"]["sum_totalTokens"]), 75, "sum_totalTokens")

with suite.check("latency percentiles of the generations (ms)"):
    rows = metrics({
        "view": "observations",
        "metrics": [{"measure": "latency", "aggregation": "p50"}, {"measure": "latency", "aggregation": "p95"},
                    {"measure": "latency", "aggregation": "max"}],
        "filters": mine + [{"column": "type", "operator": "any of", "value": ["GENERATION"], "type": "stringOptions"}],
    })
    eq(len(rows), 1, "one row")
    p50, p95, top = (float(rows[0][k]) for k in ("p50_latency", "p95_latency", "max_latency"))
    truthy(90 <= p50 <= p95 <= top * 1.05, f"50 ms < p50 {p50} <= p95 {p95} <= max {top}")
    truthy(140 <= top < 5000, f"max {top} ms for a 150 ms sleep")

with suite.check("hourly buckets: time_dimension and the count"):
    rows = metrics({
        "view": "observations",
        "metrics": [{"measure": "count", "aggregation": "count"}],
        "filters": mine,
        "timeDimension": {"granularity": "hour"},
    })
    eq(sum(int(r["count_count"]) for r in rows), 6, "total over the buckets")
    truthy(len(rows) >= 2, f"every hour of the window, empty ones included: {len(rows)}")
    truthy(all(r["time_dimension"].endswith(":00:00.000Z") for r in rows), f"bucket starts: {[r['time_dimension'] for r in rows]}")

with suite.check("scores-numeric: count and average by name"):
    rows = metrics({
        "view": "scores-numeric",
        "dimensions": [{"field": "name"}],
        "metrics": [{"measure": "count", "aggregation": "count"}, {"measure": "value", "aggregation": "avg"}],
        "filters": [{"column": "name", "operator": "=", "value": SCORE_NAME, "type": "string"}],
    }, until=lambda rows: rows and int(rows[0]["count_count"]) >= 3)
    eq(rows[0]["name"], SCORE_NAME, "name")
    eq(int(rows[0]["count_count"]), 3, "count")
    approx(float(rows[0]["avg_value"]), sum(SCORES) / 3, "avg_value")

with suite.check("a high-cardinality dimension as top-N (row_limit + orderBy desc)"):
    rows = metrics({
        "view": "observations",
        "dimensions": [{"field": "userId"}],
        "metrics": [{"measure": "totalCost", "aggregation": "sum"}],
        "filters": mine,
        "orderBy": [{"field": "sum_totalCost", "direction": "desc"}],
        "config": {"row_limit": 1},
    })
    eq(len(rows), 1, "row_limit")
    eq(rows[0]["userId"], "metrics-user-0", "the user with traces 0 and 2")
    approx(float(rows[0]["sum_totalCost"]), COSTS[0] + COSTS[2], "their cost")


def refused(query, expected):
    try:
        langfuse.api.metrics.metrics(query=json.dumps({**window, **query}))
    except Exception as error:  # the SDK raises its generated Error class for a 400
        eq(getattr(error, "status_code", None), 400, "status")
        message = (getattr(error, "body", None) or {}).get("message", "")
        truthy(expected in message, f"message names the problem ({expected!r}): {message!r}")
        return
    fail("the query was answered, not refused")


with suite.check("a bad aggregation is a 400 naming metrics[0].aggregation"):
    refused({"view": "observations", "metrics": [{"measure": "count", "aggregation": "p42"}]}, "metrics[0].aggregation")

with suite.check("a high-cardinality dimension without row_limit is a 400"):
    refused({"view": "observations", "dimensions": [{"field": "traceId"}], "metrics": [{"measure": "count", "aggregation": "count"}]},
            "High cardinality dimension(s) 'traceId'")

with suite.check("transport: the SDK's metrics calls hit GET /api/public/v2/metrics"):
    hits = [e for e in suite.proxy_entries() if e["method"] == "GET" and e["path"].startswith("/api/public/v2/metrics")]
    truthy(len(hits) >= 7, f"{len(hits)} metrics requests")
    truthy(all(e["status"] in (200, 400) for e in hits), f"statuses {sorted({e['status'] for e in hits})}")

langfuse.shutdown()
sys.exit(suite.finish())
