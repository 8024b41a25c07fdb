"""Python SDK 5.x datasets and experiments against Loupe (docs/COMPATIBILITY.md §7.2).

create_dataset (a folder name), create_dataset_item ×3 (one upserted), get_dataset (paged by the SDK
until totalPages <= page), then dataset.run_experiment with an item-level and a run-level evaluator:
Python 5 sends OTLP spans with `langfuse.experiment.*` attributes and scores, and no run-item call,
so what Loupe shows as the run comes from the spans alone. Checked through the public API: the run
under the stable experiment id, one run item per dataset item linked to its trace and task span,
the item scores and the run score (`datasetRunId`).
"""

import hashlib
import json
import sys
import uuid

from langfuse import Evaluation, get_client

from loupecheck import Suite, eq, q, truthy

RUN = uuid.uuid4().hex[:8]
suite = Suite("py5-datasets")
api = suite.api
langfuse = get_client()

DATASET = f"sdk/py5 capitals {RUN}"
CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Kenya": "Nairobi"}
RUN_NAME = f"lookup-{RUN}"
item_ids = [f"py5-{RUN}-{country.lower()}" for country in CAPITALS]

with suite.check("create_dataset with a folder name, description and metadata"):
    created = langfuse.create_dataset(name=DATASET, description="capitals", metadata={"owner": "sdk-tests"})
    eq(created.name, DATASET, "name")
    eq(created.description, "capitals", "description")
    eq(created.metadata, {"owner": "sdk-tests"}, "metadata")

with suite.check("create_dataset_item ×3 with ids; an upsert keeps what it does not send"):
    for item_id, (country, capital) in zip(item_ids, CAPITALS.items()):
        item = langfuse.create_dataset_item(dataset_name=DATASET, id=item_id, input={"country": country},
                                            expected_output="wrong" if country == "Kenya" else capital, metadata={"continent": "any"})
        eq(item.status, "ACTIVE", "status")
    fixed = langfuse.create_dataset_item(dataset_name=DATASET, id=item_ids[2], expected_output="Nairobi")
    eq(fixed.input, {"country": "Kenya"}, "input kept by the upsert")
    eq(fixed.expected_output, "Nairobi", "expected_output replaced")
    eq(fixed.metadata, {"continent": "any"}, "metadata kept")

with suite.check("get_dataset reads every item (fetch_items_page_size=2: two pages)"):
    dataset = langfuse.get_dataset(DATASET, fetch_items_page_size=2)
    eq(dataset.name, DATASET, "name")
    eq(sorted(i.id for i in dataset.items), sorted(item_ids), "item ids")
    eq({i.id: i.expected_output for i in dataset.items}[item_ids[2]], "Nairobi", "the upserted item's current version")
    pages = [e for e in suite.proxy_entries() if e["method"] == "GET" and "/api/public/dataset-items" in e["path"]]
    eq(len(pages), 2, "item pages fetched (totalPages exact)")


def task(*, item, **kwargs):
    return CAPITALS[item.input["country"]]


def exact_match(*, input, output, expected_output, **kwargs):
    return Evaluation(name="exact_match", value=1.0 if output == expected_output else 0.0)


def average(*, item_results, **kwargs):
    values = [e.value for r in item_results for e in r.evaluations if e.name == "exact_match"]
    return Evaluation(name="avg_exact_match", value=sum(values) / len(values))


with suite.check("dataset.run_experiment with an item evaluator and a run evaluator"):
    result = dataset.run_experiment(name="lookup", run_name=RUN_NAME, description="dictionary lookup", task=task,
                                    evaluators=[exact_match], run_evaluators=[average], metadata={"model": "dict"})
    langfuse.flush()
    eq(len(result.item_results), 3, "item results")
    eq([e.value for e in result.run_evaluations], [1.0], "run evaluation")

with suite.check("the experiment id is the stable hash of (project, dataset, run name)"):
    project_id = api.poll("/api/public/projects")["data"][0]["id"]
    text = json.dumps(["langfuse-experiment-v1", project_id, dataset.id, RUN_NAME], separators=(",", ":"), ensure_ascii=False)
    eq(result.experiment_id, hashlib.sha256(text.encode()).hexdigest()[:16], "experiment id")

with suite.check("Loupe has the run (from the OTLP spans) with one run item per dataset item"):
    def complete(body):
        n = len(body.get("datasetRunItems") or [])
        return True if n == 3 else f"3 run items (have {n})"
    run = api.poll(f"/api/public/datasets/{q(DATASET)}/runs/{q(RUN_NAME)}", until=complete)
    eq(run["id"], result.experiment_id, "run id")
    eq(run["name"], RUN_NAME, "run name")
    eq(run["description"], "dictionary lookup", "description")
    eq(run["datasetId"], dataset.id, "datasetId")
    truthy(run["metadata"] and run["metadata"].get("model") == "dict", f"run metadata has the experiment's: {run['metadata']}")
    traces = {r.item.id: r.trace_id for r in result.item_results}
    eq({i["datasetItemId"]: i["traceId"] for i in run["datasetRunItems"]}, traces, "each item linked to its trace")
    versions = {i.id: i.version for i in dataset.items} if hasattr(dataset.items[0], "version") else None
    for link in run["datasetRunItems"]:
        truthy(link["observationId"], f"the item's task span is linked: {link}")
        if versions and versions.get(link["datasetItemId"]):
            eq(link["datasetItemVersion"][:19], versions[link["datasetItemId"]].isoformat()[:19], "item version used")

with suite.check("the run item's observation is the experiment-item-task span of its trace"):
    link = run["datasetRunItems"][0]
    trace = api.trace(link["traceId"], names=("experiment-item-run", "experiment-item-task"))
    task_span = [o for o in trace["observations"] if o["name"] == "experiment-item-task"][0]
    eq(link["observationId"], task_span["id"], "observationId")
    eq(trace["environment"], "sdk-experiment", "environment")

with suite.check("item scores on each trace, the run score on the run"):
    for item_id, trace_id in traces.items():
        scores = api.scores(traceId=trace_id, name="exact_match")
        eq([s["value"] for s in scores], [1.0], f"exact_match of {item_id}")
    run_scores = api.scores(datasetRunId=result.experiment_id, name="avg_exact_match")
    eq([s["value"] for s in run_scores], [1.0], "avg_exact_match")
    eq(run_scores[0].get("datasetRunId"), result.experiment_id, "datasetRunId")

with suite.check("the runs list of the dataset has it"):
    runs = api.poll(f"/api/public/datasets/{q(DATASET)}/runs")
    eq([r["id"] for r in runs["data"]], [result.experiment_id], "runs")

suite.check_writes({
    "/api/public/v2/datasets": ("create_dataset posts to /v2/datasets", lambda e: e["status"] == 200),
    "/api/public/dataset-items": ("create_dataset_item posts to /dataset-items", lambda e: e["status"] == 200),
    "/api/public/otel/v1/traces": ("experiment spans over OTLP", lambda e: e["status"] == 200),
    "/api/public/scores": ("scores posted", lambda e: e["status"] in (200, 202)),  # 202: an array of scores
})

langfuse.shutdown()
sys.exit(suite.finish())
