"""Python SDK 2.x datasets and runs against Loupe (docs/COMPATIBILITY.md §7.2).

create_dataset (a folder name, which 2.x sends unencoded in paths), create_dataset_item ×3,
get_dataset, `item.observe(run_name=…)` for every item (a trace per item, linked on exit through
`POST /dataset-run-items`), `item.link(generation, …)` into a second run, then the SDK's own
`get_dataset_run` / `get_dataset_runs` and Loupe's public API: the runs under their stable ids,
one run item per item linked to the right trace (and observation), scores on the item traces.
"""

import hashlib
import json
import sys
import uuid

from langfuse import Langfuse

from loupecheck import Suite, eq, q, truthy

RUN = uuid.uuid4().hex[:8]
suite = Suite("py2-datasets")
api = suite.api
langfuse = Langfuse()

DATASET = f"sdk/py2-{RUN}"
QUESTIONS = {"1+1": "2", "2+2": "4", "3+3": "6"}
OBSERVE_RUN = f"observe-{RUN}"
LINK_RUN = f"link-{RUN}"


def stable_id(project_id, dataset_id, run_name):
    text = json.dumps(["langfuse-experiment-v1", project_id, dataset_id, run_name], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


with suite.check("create_dataset (a folder name) and create_dataset_item ×3"):
    created = langfuse.create_dataset(name=DATASET, description="sums", metadata={"owner": "sdk-tests"})
    eq(created.name, DATASET, "name")
    for question, answer in QUESTIONS.items():
        item = langfuse.create_dataset_item(dataset_name=DATASET, input={"question": question}, expected_output=answer)
        eq(item.dataset_name, DATASET, "datasetName")

with suite.check("get_dataset (name sent unencoded) reads the items"):
    dataset = langfuse.get_dataset(DATASET)
    eq(dataset.name, DATASET, "name")
    eq(sorted(i.expected_output for i in dataset.items), ["2", "4", "6"], "items")

traces = {}
with suite.check("item.observe(run_name=…) runs every item in its own trace"):
    for item in dataset.items:
        with item.observe(run_name=OBSERVE_RUN, run_description="observed", run_metadata={"mode": "observe"}) as trace_id:
            answer = QUESTIONS[item.input["question"]]
            langfuse.trace(id=trace_id, name="py2-dataset-item", input=item.input, output=answer)
            langfuse.score(trace_id=trace_id, name="correct", value=1.0 if answer == item.expected_output else 0.0)
            traces[item.id] = trace_id
    langfuse.flush()
    eq(len(traces), 3, "traces")

link_target = {}
with suite.check("item.link(generation, run_name) links an observation"):
    item = dataset.items[0]
    trace = langfuse.trace(name="py2-linked")
    generation = trace.generation(name="answer", model="gpt-4o-mini", input=item.input, output=item.expected_output)
    langfuse.flush()
    item.link(generation, LINK_RUN, run_description="linked", run_metadata={"mode": "link"})
    link_target.update(item=item.id, trace=trace.id, observation=generation.id)

with suite.check("get_dataset_run (SDK) returns the run with its items under the stable id"):
    project_id = api.poll("/api/public/projects")["data"][0]["id"]
    run = langfuse.get_dataset_run(DATASET, OBSERVE_RUN)
    eq(run.id, stable_id(project_id, dataset.id, OBSERVE_RUN), "run id")
    eq(run.name, OBSERVE_RUN, "name")
    eq(run.description, "observed", "description")
    eq(run.metadata, {"mode": "observe"}, "metadata")
    eq({i.dataset_item_id: i.trace_id for i in run.dataset_run_items}, traces, "one run item per item, its trace")
    eq({i.dataset_run_name for i in run.dataset_run_items}, {OBSERVE_RUN}, "datasetRunName")

with suite.check("get_dataset_runs (SDK) lists both runs, newest first"):
    runs = langfuse.get_dataset_runs(DATASET)
    eq([r.name for r in runs.data], [LINK_RUN, OBSERVE_RUN], "runs")
    eq(runs.meta.total_items, 2, "totalItems")

with suite.check("the linked run item names the generation (public API)"):
    body = api.poll("/api/public/dataset-run-items", params={"datasetId": dataset.id, "runName": LINK_RUN})
    eq(len(body["data"]), 1, "run items")
    link = body["data"][0]
    eq((link["datasetItemId"], link["traceId"], link["observationId"]),
       (link_target["item"], link_target["trace"], link_target["observation"]), "item, trace, observation")

with suite.check("the item traces exist with their scores"):
    for item_id, trace_id in traces.items():
        trace = api.trace(trace_id)
        eq(trace["name"], "py2-dataset-item", f"trace of {item_id}")
        eq([s["value"] for s in api.scores(traceId=trace_id, name="correct")], [1.0], f"score of {item_id}")

with suite.check("the v1 dataset read (public API) lists items and run names"):
    body = api.poll(f"/api/public/datasets/{q(DATASET)}")
    eq(sorted(i["id"] for i in body["items"]), sorted(traces), "items")
    eq(body["runs"], [LINK_RUN, OBSERVE_RUN], "runs")
    truthy(all(i["mediaReferences"] == [] for i in body["items"]), "mediaReferences")

suite.check_writes({
    "/api/public/v2/datasets": ("create_dataset posts to /v2/datasets", lambda e: e["status"] == 200),
    "/api/public/dataset-items": ("create_dataset_item posts to /dataset-items", lambda e: e["status"] == 200),
    "/api/public/dataset-run-items": ("observe/link post to /dataset-run-items", lambda e: e["status"] == 200),
})

langfuse.shutdown()
sys.exit(suite.finish())
