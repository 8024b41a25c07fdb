"""Checks for the JS SDK 5.x datasets scenario (datasets.mjs): reads what it recorded in
$SDK_RESULTS_DIR/js-datasets.json and checks what Loupe stored through its public read API."""

import hashlib
import json
import os
import sys

from loupecheck import Suite, eq, q, truthy

with open(os.path.join(os.environ["SDK_RESULTS_DIR"], "js-datasets.json")) as f:
    ids = json.load(f)

suite = Suite("js-datasets")
api = suite.api

with suite.check("SDK flush and shutdown succeeded"):
    eq(ids.get("flushErrors"), None, "errors from forceFlush/shutdown")

with suite.check("langfuse.dataset.get read the dataset (a folder name) and its items"):
    eq(sorted(ids["fetchedItems"]), sorted(ids["itemIds"]), "items")

with suite.check("runExperiment's run id is Loupe's stable id for (project, dataset, run name)"):
    project_id = api.poll("/api/public/projects")["data"][0]["id"]
    text = json.dumps(["langfuse-experiment-v1", project_id, ids["datasetId"], ids["runName"]], separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(text.encode()).hexdigest()[:16]
    eq(ids["datasetRunId"], expected, "datasetRunId")
    eq(ids["experimentId"], expected, "experimentId")
    eq(set(ids["itemRunIds"]), {expected}, "every item's datasetRunId")

with suite.check("Loupe has the run with one run item per dataset item, linked to its trace"):
    def complete(body):
        n = len(body.get("datasetRunItems") or [])
        return True if n == 3 else f"3 run items (have {n})"
    run = api.poll(f"/api/public/datasets/{q(ids['dataset'])}/runs/{q(ids['runName'])}", until=complete)
    eq(run["id"], ids["datasetRunId"], "run id")
    eq(run["description"], "dictionary lookup", "description")
    truthy((run["metadata"] or {}).get("model") == "dict", f"run metadata: {run['metadata']}")
    eq({i["datasetItemId"]: i["traceId"] for i in run["datasetRunItems"]}, ids["itemTraces"], "items → traces")
    for link in run["datasetRunItems"]:
        truthy(link["observationId"], f"the item-run span is linked: {link}")

with suite.check("the linked observation is the trace's experiment-item-run span"):
    link = run["datasetRunItems"][0]
    trace = api.trace(link["traceId"], names=("experiment-item-run",))
    root = [o for o in trace["observations"] if o["name"] == "experiment-item-run"][0]
    eq(link["observationId"], root["id"], "observationId")

with suite.check("item scores on the item traces, the run score on the run"):
    for item_id, trace_id in ids["itemTraces"].items():
        eq([s["value"] for s in api.scores(traceId=trace_id, name="exact_match")], [1], f"exact_match of {item_id}")
    run_scores = api.scores(datasetRunId=ids["datasetRunId"], name="avg_exact_match")
    eq([s["value"] for s in run_scores], [1], "avg_exact_match")

with suite.check("item.link(span, runName) made a run item for that span"):
    eq(ids["link"]["response"]["observationId"], ids["link"]["observation"], "observationId (response)")
    body = api.poll("/api/public/dataset-run-items", params={"datasetId": ids["datasetId"], "runName": ids["linkRun"]})
    eq([(i["datasetItemId"], i["traceId"], i["observationId"]) for i in body["data"]],
       [(ids["link"]["item"], ids["link"]["trace"], ids["link"]["observation"])], "run items")
    runs = api.poll(f"/api/public/datasets/{q(ids['dataset'])}/runs")
    eq(sorted(r["name"] for r in runs["data"]), sorted([ids["runName"], ids["linkRun"]]), "the dataset's runs")

suite.check_writes({
    "/api/public/dataset-run-items": ("runExperiment and link post to /dataset-run-items", lambda e: e["status"] == 200),
    "/api/public/otel/v1/traces": ("spans as OTLP/JSON", lambda e: (e["content_type"] or "").startswith("application/json")),
})

sys.exit(suite.finish())
