"""Python SDK 4.x against Loupe: OTLP protobuf *uncompressed*, metadata values not JSON-quoted
(strings as plain strings, ints as intValue), and scores as `score-create` events on
POST /api/public/ingestion (not /scores as in 5.x).

Run by sdk-tests/run; checks through Loupe's public read API (sdk-tests/lib/loupecheck.py).
"""

import os
import sys
import uuid

os.environ["LANGFUSE_TRACING_ENVIRONMENT"] = "sdk-py4"
os.environ["LANGFUSE_RELEASE"] = "rel-py4"

from langfuse import get_client, observe, propagate_attributes  # noqa: E402
from langfuse import __version__ as sdk_version  # noqa: E402

from loupecheck import Suite, approx, eq, find, is_none, params_match, same_set  # noqa: E402

RUN = uuid.uuid4().hex[:8]
USER, SESSION = f"py4-user-{RUN}", f"py4-session-{RUN}"
IDEM_SCORE = f"py4-idem-{RUN}"
langfuse = get_client()
ids = {}


@observe(name="py4-retrieve", as_type="retriever")
def retrieve(query):
    ids["retrieve"] = langfuse.get_current_observation_id()
    return ["doc-1", "doc-2"]


@observe(name="py4-generate", as_type="generation")
def generate(docs):
    ids["gen"] = langfuse.get_current_observation_id()
    # No cost given: Loupe computes it from gpt-4o-mini's default prices.
    langfuse.update_current_generation(model="gpt-4o-mini", usage_details={"input": 100, "output": 20},
                                       metadata={"source": "kb", "n_docs": len(docs)})
    return "answer from docs"


@observe(name="py4-broken-tool", as_type="tool")
def broken_tool():
    ids["broken"] = langfuse.get_current_observation_id()
    raise RuntimeError("tool exploded")


@observe(name="py4-rag")
def rag(question):
    with propagate_attributes(user_id=USER, session_id=SESSION, tags=["py4"], metadata={"tenant": "acme"}, version="v-py4"):
        ids["trace"] = langfuse.get_current_trace_id()
        ids["root"] = langfuse.get_current_observation_id()
        langfuse.update_current_span(metadata={"plain_string": "abc", "an_int": 7})
        docs = retrieve(question)
        answer = generate(docs)
        try:
            broken_tool()
        except RuntimeError:
            pass
        return answer


rag("what is a loupe?")

T = ids["trace"]
langfuse.create_score(name="py4-accuracy", value=0.5, trace_id=T)
langfuse.create_score(name="py4-label", value="relevant", data_type="CATEGORICAL", trace_id=T, observation_id=ids["retrieve"])
langfuse.create_score(name="py4-ok", value=0, data_type="BOOLEAN", trace_id=T)
langfuse.create_score(name="py4-session-score", value=4, session_id=SESSION)
langfuse.create_score(name="py4-idem", value=1, trace_id=T, score_id=IDEM_SCORE)
langfuse.flush()
langfuse.create_score(name="py4-idem", value=9, trace_id=T, score_id=IDEM_SCORE)
langfuse.flush()

# ============================== checks through the read API ===================================

suite = Suite("py4")
api = suite.api
print(f"python langfuse {sdk_version}; run {RUN}; trace id {T}", flush=True)

suite.check_writes({
    "/api/public/otel/v1/traces": ("spans as OTLP protobuf, uncompressed",
                                   lambda e: "x-protobuf" in (e["content_type"] or "") and not e["content_encoding"]),
    "/api/public/ingestion": ("scores as score-create events (POST /api/public/ingestion)",
                              lambda e: "json" in (e["content_type"] or "") and e["status"] == 207),
})


def trace():
    return api.trace(T, min_observations=4, names=["py4-rag", "py4-retrieve", "py4-generate", "py4-broken-tool"])


with suite.check("trace fields from propagate_attributes, release and environment"):
    t = trace()
    eq(t.get("name"), "py4-rag", "trace.name")
    eq(t.get("userId"), USER, "trace.userId")
    eq(t.get("sessionId"), SESSION, "trace.sessionId")
    same_set(t.get("tags"), ["py4"], "trace.tags")
    params_match(t.get("metadata"), {"tenant": "acme"}, "trace.metadata")
    eq(t.get("version"), "v-py4", "trace.version")
    eq(t.get("release"), "rel-py4", "trace.release")
    eq(t.get("environment"), "sdk-py4", "trace.environment")
    eq(t.get("input"), {"args": ["what is a loupe?"], "kwargs": {}}, "trace.input")
    eq(t.get("output"), "answer from docs", "trace.output")

with suite.check("structure: retriever, generation and tool under the root span"):
    obs = trace()["observations"]
    eq(len(obs), 4, "number of observations")
    root = find(obs, "py4-rag", name="py4-rag")
    eq(root.get("type"), "SPAN", "root type")
    is_none(root.get("parentObservationId"), "root parent")
    for name, typ, key in [("py4-retrieve", "RETRIEVER", "retrieve"), ("py4-generate", "GENERATION", "gen"), ("py4-broken-tool", "TOOL", "broken")]:
        o = find(obs, name, name=name)
        eq(o.get("id"), ids[key], f"{name} id")
        eq(o.get("type"), typ, f"{name} type")
        eq(o.get("parentObservationId"), ids["root"], f"{name} parent")
    eq(find(obs, "py4-retrieve", name="py4-retrieve").get("output"), ["doc-1", "doc-2"], "py4-retrieve output")

with suite.check("metadata sent unquoted (4.x) reads back as the same values"):
    root = find(trace()["observations"], "py4-rag", name="py4-rag")
    params_match(root.get("metadata"), {"plain_string": "abc", "an_int": 7}, "py4-rag metadata")

with suite.check("generation without cost: cost computed from default prices"):
    gen = find(trace()["observations"], "py4-generate", name="py4-generate")
    eq(gen.get("model"), "gpt-4o-mini", "model")
    eq(gen.get("usageDetails"), {"input": 100, "output": 20, "total": 120}, "usageDetails")
    expected = 100 * 1.5e-7 + 20 * 6e-7
    approx((gen.get("costDetails") or {}).get("total"), expected, "costDetails.total", rel=1e-3)
    approx(gen.get("calculatedTotalCost"), expected, "calculatedTotalCost", rel=1e-3)
    params_match(gen.get("metadata"), {"source": "kb", "n_docs": 2}, "metadata")

with suite.check("exception in a tool: level ERROR and the message"):
    tool = find(trace()["observations"], "py4-broken-tool", name="py4-broken-tool")
    eq(tool.get("level"), "ERROR", "level")
    if "tool exploded" not in str(tool.get("statusMessage")):
        eq(tool.get("statusMessage"), "…tool exploded…", "statusMessage")

with suite.check("scores via ingestion: numeric, categorical on an observation, boolean, idempotent id"):
    scores = api.scores(min_count=4, traceId=T)
    eq(sorted(s.get("name") for s in scores), ["py4-accuracy", "py4-idem", "py4-label", "py4-ok"], "score names")
    approx(find(scores, "py4-accuracy", name="py4-accuracy").get("value"), 0.5, "py4-accuracy value")
    label = find(scores, "py4-label", name="py4-label")
    eq(label.get("observationId"), ids["retrieve"], "py4-label observationId")
    eq(label.get("stringValue"), "relevant", "py4-label stringValue")
    eq(label.get("dataType"), "CATEGORICAL", "py4-label dataType")
    ok = find(scores, "py4-ok", name="py4-ok")
    eq([ok.get("dataType"), ok.get("stringValue")], ["BOOLEAN", "False"], "py4-ok dataType, stringValue")
    idem = find(scores, "py4-idem", name="py4-idem")
    eq(idem.get("id"), IDEM_SCORE, "py4-idem id")
    approx(idem.get("value"), 9, "py4-idem value (last write)")
    eq(idem.get("environment"), "sdk-py4", "py4-idem environment")

with suite.check("scores via ingestion: on a session"):
    s = find(api.scores(min_count=1, sessionId=SESSION), "py4-session-score", name="py4-session-score")
    approx(s.get("value"), 4, "value")
    is_none(s.get("traceId"), "traceId")

langfuse.shutdown()
sys.exit(suite.finish())
