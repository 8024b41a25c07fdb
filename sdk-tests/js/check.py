"""Checks for the JS SDK 5.x scenario (scenario.mjs): reads the ids it recorded in
$SDK_RESULTS_DIR/js-ids.json and checks what Loupe stored through its public read API."""

import json
import os
import sys

from loupecheck import (
    OPENAI_USAGE, Suite, approx, by_id, check_openai_generation, check_stream_timing, eq, find, is_none, params_match,
    same_set, text_of, timestamp,
)

with open(os.path.join(os.environ["SDK_RESULTS_DIR"], "js-ids.json")) as f:
    ids = json.load(f)

suite = Suite("js")
api = suite.api
TYPES = ["agent", "chain", "retriever", "embedding", "evaluator", "guardrail"]

suite.check_writes({
    "/api/public/otel/v1/traces": ("spans as OTLP/JSON (POST /api/public/otel/v1/traces)",
                                   lambda e: (e["content_type"] or "").startswith("application/json")),
    "/api/public/ingestion": ("scores as score-create events (POST /api/public/ingestion)",
                              lambda e: "json" in (e["content_type"] or "") and e["status"] == 207),
})

with suite.check("SDK flush and shutdown succeeded"):
    eq(ids.get("flushErrors"), None, "errors from forceFlush/shutdown")

with suite.check("SDK ran: chat and streamed text from the fake OpenAI server"):
    eq(ids.get("chatText"), "Hello from the fake OpenAI server.", "chat text")
    eq(ids.get("streamText"), "Hello from the fake OpenAI server.", "streamed text")


def trace():
    names = ["js-root", "js-tool", "js-gen", "js-span", "js-event"] + [f"js-{t}" for t in TYPES]
    return api.trace(ids["trace"], min_observations=len(names), names=names)


with suite.check("trace-level fields from propagateAttributes, setActiveTraceAsPublic, span processor"):
    t = trace()
    eq(t.get("name"), "js-trace", "trace.name")
    eq(t.get("userId"), ids["user"], "trace.userId")
    eq(t.get("sessionId"), ids["session"], "trace.sessionId")
    same_set(t.get("tags"), ["js-a", "js-b"], "trace.tags")
    params_match(t.get("metadata"), {"tenant": "acme"}, "trace.metadata")
    eq(t.get("version"), "v-js", "trace.version")
    eq(t.get("release"), "rel-js", "trace.release")
    eq(t.get("environment"), "sdk-js", "trace.environment")
    eq(t.get("public"), True, "trace.public")

with suite.check("setActiveTraceIO: trace input/output win over the root observation's"):
    t = trace()
    eq(t.get("input"), {"traceInput": "in"}, "trace.input")
    eq(t.get("output"), {"traceOutput": "out"}, "trace.output")

with suite.check("structure: root → tool, generation, span → every other type and an event"):
    obs = trace()["observations"]
    eq(len(obs), 11, "number of observations")
    root = by_id(obs, ids["root"], "js-root")
    eq([root.get("name"), root.get("type")], ["js-root", "SPAN"], "root name, type")
    is_none(root.get("parentObservationId"), "root parent")
    eq(root.get("input"), {"question": "what is 2+2?"}, "root input")
    eq(root.get("output"), {"answer": "4"}, "root output (updateActiveObservation)")
    params_match(root.get("metadata"), {"root_meta": "r"}, "root metadata")
    tool = by_id(obs, ids["tool"], "js-tool")
    eq([tool.get("name"), tool.get("type"), tool.get("parentObservationId")], ["js-tool", "TOOL", ids["root"]], "tool name, type, parent")
    eq([tool.get("input"), tool.get("output")], [{"x": 21}, {"doubled": 42}], "tool input, output")
    span = by_id(obs, ids["span"], "js-span")
    eq([span.get("name"), span.get("type"), span.get("parentObservationId")], ["js-span", "SPAN", ids["root"]], "span name, type, parent")
    eq([span.get("input"), span.get("output")], ["span input", "span output"], "span input, output")
    eq([span.get("level"), span.get("statusMessage")], ["ERROR", "span failed"], "span level, statusMessage")
    for t in TYPES:
        o = by_id(obs, ids["types"][t], f"js-{t}")
        eq([o.get("name"), o.get("type"), o.get("parentObservationId")], [f"js-{t}", t.upper(), ids["span"]], f"js-{t} name, type, parent")
        eq([o.get("input"), o.get("output")], [{"step": t}, {"type": t}], f"js-{t} input, output")
    event = by_id(obs, ids["event"], "js-event")
    eq([event.get("name"), event.get("type"), event.get("parentObservationId")], ["js-event", "EVENT", ids["span"]], "event name, type, parent")
    eq([event.get("level"), event.get("statusMessage")], ["WARNING", "careful"], "event level, statusMessage")
    for o in obs:
        eq(o.get("environment"), "sdk-js", f"{o.get('name')} environment")
        eq(o.get("traceId"), ids["trace"], f"{o.get('name')} traceId")

with suite.check("generation: model, parameters, usage, cost from default prices, completionStartTime"):
    gen = by_id(trace()["observations"], ids["gen"], "js-gen")
    eq([gen.get("name"), gen.get("type"), gen.get("parentObservationId")], ["js-gen", "GENERATION", ids["root"]], "name, type, parent")
    eq(gen.get("model"), "gpt-4o-mini", "model")
    params_match(gen.get("modelParameters"), {"temperature": 0.3, "max_tokens": 40}, "modelParameters")
    eq(gen.get("usageDetails"), {"input": 5, "output": 3, "total": 8}, "usageDetails")
    approx(gen.get("calculatedTotalCost"), 5 * 1.5e-7 + 3 * 6e-7, "calculatedTotalCost", rel=1e-3)
    eq(gen.get("input"), [{"role": "user", "content": "hi"}], "input")
    eq(gen.get("output"), "js output", "output")
    approx(timestamp(gen.get("completionStartTime"), "completionStartTime"),
           timestamp(ids["completionStart"], "expected"), "completionStartTime", rel=1e-12)

with suite.check("GET /observations/{id} for the generation"):
    single = api.observation(ids["gen"])
    eq([single.get("id"), single.get("traceId"), single.get("type")], [ids["gen"], ids["trace"], "GENERATION"], "id, traceId, type")
    eq(single.get("usageDetails"), {"input": 5, "output": 3, "total": 8}, "usageDetails")

with suite.check("session lists the trace"):
    s = api.session(ids["session"])
    eq([tr.get("id") for tr in s["traces"]], [ids["trace"]], "session trace ids")


def openai_trace():
    return api.trace(ids["openaiTrace"], min_observations=3, names=["js-openai-root", "js-openai-chat", "js-openai-stream"])


with suite.check("observeOpenAI config: trace name, user, session and tags set from a child generation"):
    t = openai_trace()
    eq(t.get("name"), "js-openai", "trace.name")
    eq(t.get("userId"), ids["openaiUser"], "trace.userId")
    eq(t.get("sessionId"), ids["openaiSession"], "trace.sessionId")
    same_set(t.get("tags"), ["js-openai"], "trace.tags")

with suite.check("observeOpenAI non-streaming: generation with usage, cost, input and parameters"):
    gen = find(openai_trace()["observations"], "js-openai-chat", name="js-openai-chat")
    check_openai_generation(gen, "js-openai-chat")
    eq(gen.get("parentObservationId"), ids["openaiRoot"], "parentObservationId")
    inp = gen.get("input")
    msgs = inp.get("messages") if isinstance(inp, dict) else inp
    eq(msgs, [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}], "input messages")
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "output text")
    params_match(gen.get("modelParameters"), {"temperature": 0.1, "max_tokens": 20}, "modelParameters")
    params_match(gen.get("metadata"), {"k": "v"}, "metadata")

with suite.check("observeOpenAI streaming: usage from the last chunk and completionStartTime"):
    gen = find(openai_trace()["observations"], "js-openai-stream", name="js-openai-stream")
    # @langfuse/openai 5.11 takes the response model only from Responses-API stream events; for a
    # chat completion stream it keeps the requested model name (both price the same).
    check_openai_generation(gen, "js-openai-stream", model="gpt-4o-mini")
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "output text")
    check_stream_timing(gen, "stream")

with suite.check("scores: numeric, categorical on an observation, boolean, idempotent id"):
    scores = api.scores(min_count=4, traceId=ids["trace"])
    eq(sorted(s.get("name") for s in scores), ["js-accuracy", "js-category", "js-correct", "js-idem"], "score names")
    acc = find(scores, "js-accuracy", name="js-accuracy")
    eq([acc.get("dataType"), acc.get("comment")], ["NUMERIC", "numeric"], "js-accuracy dataType, comment")
    approx(acc.get("value"), 0.9, "js-accuracy value")
    cat = find(scores, "js-category", name="js-category")
    eq([cat.get("dataType"), cat.get("stringValue"), cat.get("observationId")], ["CATEGORICAL", "great", ids["gen"]],
       "js-category dataType, stringValue, observationId")
    ok = find(scores, "js-correct", name="js-correct")
    eq([ok.get("dataType"), ok.get("stringValue")], ["BOOLEAN", "True"], "js-correct dataType, stringValue")
    idem = find(scores, "js-idem", name="js-idem")
    eq([idem.get("id"), idem.get("comment")], [ids["idemScore"], "second write"], "js-idem id, comment")
    approx(idem.get("value"), 3, "js-idem value (last write)")

with suite.check("scores: on a session"):
    s = find(api.scores(min_count=1, sessionId=ids["session"]), "js-session-score", name="js-session-score")
    approx(s.get("value"), 2, "value")
    is_none(s.get("traceId"), "traceId")

sys.exit(suite.finish())
