"""Python SDK 5.x against Loupe: OTLP protobuf+gzip traces, scores as a JSON array on /scores.

Drives the SDK through @observe nesting, propagate_attributes, manual observations of every type,
an exception, the OpenAI and LangChain integrations and scores; flushes; then checks every result
through Loupe's public read API (sdk-tests/lib/loupecheck.py). Run by sdk-tests/run.
"""

import json
import os
import sys
import uuid
from datetime import datetime, timedelta, timezone

# Trace-wide settings the SDK reads from the environment at client creation.
os.environ["LANGFUSE_TRACING_ENVIRONMENT"] = "sdk-py5"
os.environ["LANGFUSE_RELEASE"] = "rel-py5"

from langfuse import get_client, observe, propagate_attributes  # noqa: E402
from langfuse import __version__ as sdk_version  # noqa: E402

from loupecheck import (  # noqa: E402
    OPENAI_USAGE, Suite, approx, by_id, check_openai_generation, check_stream_timing, eq, find, is_none, params_match,
    same_set, subset, text_of, timestamp, truthy,
)

RUN = uuid.uuid4().hex[:8]
USER, SESSION = f"py5-user-{RUN}", f"py5-session-{RUN}"
LC_USER, LC_SESSION = f"py5-lc-user-{RUN}", f"py5-lc-session-{RUN}"
IDEM_SCORE = f"py5-idem-{RUN}"
FAKE_OPENAI = os.environ["OPENAI_BASE_URL"]
TYPES = ["span", "generation", "tool", "chain", "retriever", "embedding", "evaluator", "guardrail"]
COMPLETION_START = datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc)

langfuse = get_client()
ids = {}

# ---- 1. @observe nesting + propagate_attributes + update_current_* -----------------------------


@observe()
def inner_tool(x):
    ids["inner"] = langfuse.get_current_observation_id()
    return {"doubled": x * 2}


@observe(as_type="generation", name="manual-llm-call")
def fake_llm(prompt):
    ids["gen"] = langfuse.get_current_observation_id()
    langfuse.update_current_generation(
        model="gpt-4o-mini",
        model_parameters={"temperature": 0.2, "max_tokens": 50},
        usage_details={"input": 11, "output": 5},
        cost_details={"input": 0.0001, "output": 0.0002},
        metadata={"gen_meta": "x"},
        completion_start_time=COMPLETION_START,
    )
    return "generated text"


@observe(name="private-step", capture_input=False, capture_output=False)
def private_step(secret):
    ids["private"] = langfuse.get_current_observation_id()
    return f"derived from {secret}"


@observe(name="outer-function")
def outer(question):
    with propagate_attributes(
        user_id=USER, session_id=SESSION, tags=["tag-b", "tag-a"], metadata={"tenant": "acme"},
        version="v-app-1", trace_name="py5-observe-trace",
    ):
        ids["trace"] = langfuse.get_current_trace_id()
        ids["outer"] = langfuse.get_current_observation_id()
        langfuse.update_current_span(level="WARNING", status_message="just a warning", metadata={"outer_meta": 1})
        langfuse.set_current_trace_as_public()
        doubled = inner_tool(21)
        answer = fake_llm(question)
        private_step("hunter2")
        return {"answer": answer, "doubled": doubled}


outer("what is 2+2?")

# ---- 1b. a trace name set on a nested child only (issue #14.1) and an empty generator (#14.3) --


@observe(name="py5-named-child")
def named_child():
    # Sets langfuse.trace.name on this child span only; the root span ends (and is exported) later.
    with propagate_attributes(trace_name="py5-wanted-name"):
        ids["named_trace"] = langfuse.get_current_trace_id()
        return "child"


@observe(name="py5-root-span")
def named_root():
    return named_child()


named_root()


@observe(name="py5-empty-generator")
def empty_generator():
    yield from ()  # the SDK joins no items into output ""


with langfuse.start_as_current_observation(name="py5-empty-root"):
    ids["empty_trace"] = langfuse.get_current_trace_id()
    list(empty_generator())

# ---- 1c. a generation with a base64 image in its input (issue #14.4: /api/public/media) --------

# A 1×1 PNG. The SDK uploads it (POST /media, PUT to the signed URL, PATCH /media/{id}) and
# exports a @@@langfuseMedia:…@@@ reference in its place.
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
with langfuse.start_as_current_observation(
    as_type="generation", name="py5-vision", model="gpt-4o-mini",
    input=[{"role": "user", "content": [{"type": "text", "text": "What is in this image?"},
                                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}]}],
) as vision:
    ids["media_trace"] = langfuse.get_current_trace_id()
    ids["vision"] = vision.id
    vision.update(output="a single pixel")

# ---- 2. manual observations of every type, in the same session --------------------------------

with propagate_attributes(user_id=USER, session_id=SESSION):
    with langfuse.start_as_current_observation(as_type="agent", name="py5-agent", input={"task": "plan"}) as agent:
        ids["types_trace"] = langfuse.get_current_trace_id()
        ids["agent"] = agent.id
        for t in TYPES:
            with langfuse.start_as_current_observation(as_type=t, name=f"py5-{t}", input={"step": t}) as o:
                ids[t] = o.id
                o.update(output={"type": t})
        event = agent.create_event(name="py5-event", input={"e": 1}, level="DEBUG", status_message="event note")
        ids["event"] = event.id
        agent.update(output="plan done")

# ---- 2b. a trace id derived from an external id, written by two separate root spans ------------

ids["seeded_trace"] = langfuse.create_trace_id(seed=f"py5-external-{RUN}")
for part in (1, 2):
    with langfuse.start_as_current_observation(name=f"py5-external-part-{part}", trace_context={"trace_id": ids["seeded_trace"]}) as p:
        ids[f"part{part}"] = p.id
        p.update(output=f"part {part}")

# ---- 3. an exception inside an observed function ----------------------------------------------


@observe(name="py5-failing-step")
def failing_step():
    ids["failing"] = langfuse.get_current_observation_id()
    raise ValueError("kaputt")


@observe(name="py5-error-root")
def error_root():
    ids["error_trace"] = langfuse.get_current_trace_id()
    try:
        failing_step()
    except ValueError:
        return "recovered"


error_root()

# ---- 4. LangChain CallbackHandler (before langfuse.openai patches the openai client) -----------

from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from langfuse.langchain import CallbackHandler  # noqa: E402

handler = CallbackHandler()
chain = ChatPromptTemplate.from_messages([("system", "be brief"), ("user", "Tell me about {topic}")]) | ChatOpenAI(
    model="gpt-4o-mini", base_url=FAKE_OPENAI, api_key="sk-fake", temperature=0, max_retries=0
)
lc_result = chain.invoke(
    {"topic": "loupes"},
    config={
        "callbacks": [handler],
        "run_name": "py5-langchain",
        "metadata": {"langfuse_user_id": LC_USER, "langfuse_session_id": LC_SESSION, "langfuse_tags": ["lc-a", "lc-b"]},
    },
)
ids["lc_trace"] = handler.last_trace_id

# ---- 5. the OpenAI integration ----------------------------------------------------------------

from langfuse.openai import openai  # noqa: E402

client = openai.OpenAI(base_url=FAKE_OPENAI, api_key="sk-fake", max_retries=0)
with langfuse.start_as_current_observation(name="py5-openai-root") as root:
    ids["openai_trace"] = langfuse.get_current_trace_id()
    ids["openai_root"] = root.id
    client.chat.completions.create(
        name="openai-nonstream", model="gpt-4o-mini", temperature=0.1, max_tokens=20, metadata={"k": "v"},
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}],
    )
    stream = client.chat.completions.create(
        name="openai-stream", model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "Stream please"}],
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    client.embeddings.create(model="text-embedding-3-small", input=["first", "second"])
    responses_text = client.responses.create(name="openai-responses", model="gpt-4o-mini", input="Hi there").output_text

# ---- 6. scores (POST /api/public/scores, a JSON array) -----------------------------------------

T = ids["trace"]
langfuse.create_score(name="py5-accuracy", value=0.9, trace_id=T, comment="numeric", metadata={"m": 1})
langfuse.create_score(name="py5-category", value="great", data_type="CATEGORICAL", trace_id=T)
langfuse.create_score(name="py5-correct", value=1, data_type="BOOLEAN", trace_id=T)
langfuse.create_score(name="py5-span-score", value=0.5, trace_id=T, observation_id=ids["inner"], comment="on span")
langfuse.create_score(name="py5-session-score", value=3, session_id=SESSION)
langfuse.create_score(name="py5-idem", value=0.25, trace_id=T, score_id=IDEM_SCORE)
langfuse.flush()
langfuse.create_score(name="py5-idem", value=0.75, trace_id=T, score_id=IDEM_SCORE, comment="second write")
langfuse.flush()

# ============================== checks through the read API ===================================

suite = Suite("py5")
api = suite.api
print(f"python langfuse {sdk_version}; run {RUN}; trace ids {ids['trace']} {ids['types_trace']} {ids['error_trace']} "
      f"{ids['lc_trace']} {ids['openai_trace']}", flush=True)

suite.check_writes({
    "/api/public/otel/v1/traces": ("spans as OTLP protobuf, gzip (POST /api/public/otel/v1/traces)",
                                   lambda e: "x-protobuf" in (e["content_type"] or "") and e["content_encoding"] == "gzip"),
    "/api/public/media": ("a media upload URL requested (POST /api/public/media)", lambda e: e["status"] == 200),
    "/api/public/scores": ("scores as a JSON array (POST /api/public/scores)",
                           lambda e: "json" in (e["content_type"] or "") and e["status"] in (200, 202)),
})

with suite.check("SDK ran: streamed text and LangChain result"):
    eq(streamed, "Hello from the fake OpenAI server.", "streamed text")
    eq(lc_result.content, "Hello from the fake OpenAI server.", "LangChain result")
    eq(responses_text, "Hello from the fake OpenAI server.", "Responses API output_text")
    truthy(ids.get("lc_trace"), "CallbackHandler.last_trace_id")


def observe_trace():
    return api.trace(ids["trace"], min_observations=4, names=["outer-function", "inner_tool", "manual-llm-call", "private-step"])


with suite.check("@observe: trace-level fields from propagate_attributes"):
    t = observe_trace()
    eq(t.get("name"), "py5-observe-trace", "trace.name")
    eq(t.get("userId"), USER, "trace.userId")
    eq(t.get("sessionId"), SESSION, "trace.sessionId")
    same_set(t.get("tags"), ["tag-a", "tag-b"], "trace.tags")
    params_match(t.get("metadata"), {"tenant": "acme"}, "trace.metadata")
    eq(t.get("version"), "v-app-1", "trace.version")
    eq(t.get("release"), "rel-py5", "trace.release")
    eq(t.get("environment"), "sdk-py5", "trace.environment")
    eq(t.get("public"), True, "trace.public (set_current_trace_as_public)")

with suite.check("a trace name set by propagate_attributes on a child wins over the root span's name"):
    t = api.trace(ids["named_trace"], min_observations=2, names=["py5-root-span", "py5-named-child"])
    eq(t.get("name"), "py5-wanted-name", "trace.name")

with suite.check("an empty generator's output (\"\") reads back as null"):
    t = api.trace(ids["empty_trace"], min_observations=2, names=["py5-empty-root", "py5-empty-generator"])
    empty = next(o for o in t["observations"] if o.get("name") == "py5-empty-generator")
    eq(empty.get("output"), None, "observation.output")

with suite.check("media: a base64 image in a generation's input is uploaded and referenced"):
    import base64
    import hashlib
    import re
    t = api.trace(ids["media_trace"], min_observations=1, names=["py5-vision"])
    vision = next(o for o in t["observations"] if o.get("name") == "py5-vision")
    text = json.dumps(vision.get("input"))
    found = re.search(r"@@@langfuseMedia:type=image/png\|id=([A-Za-z0-9_-]{22})\|source=base64_data_uri@@@", text)
    truthy(found, f"a media reference in the input: {text[:300]}")
    png = base64.b64decode(PNG_B64)
    expected_id = base64.urlsafe_b64encode(hashlib.sha256(png).digest()).decode()[:22]
    eq(found.group(1), expected_id, "media id")
    media = api.poll(f"/api/public/media/{expected_id}")
    eq([media.get("contentType"), media.get("contentLength")], ["image/png", len(png)], "GET /media/{id}")
    import urllib.request
    with urllib.request.urlopen(media["url"], timeout=10) as response:
        eq(response.read(), png, "the signed download URL returns the uploaded bytes")

with suite.check("@observe: trace input/output come from the root observation"):
    t = observe_trace()
    eq(t.get("input"), {"args": ["what is 2+2?"], "kwargs": {}}, "trace.input")
    eq(t.get("output"), {"answer": "generated text", "doubled": {"doubled": 42}}, "trace.output")

with suite.check("@observe: structure (names, types, parent links)"):
    obs = observe_trace()["observations"]
    eq(len(obs), 4, "number of observations")
    root = find(obs, "root", name="outer-function")
    eq(root.get("type"), "SPAN", "outer-function type")
    is_none(root.get("parentObservationId"), "outer-function parentObservationId")
    eq(root.get("id"), ids["outer"], "outer-function id (get_current_observation_id)")
    for name, typ, key in [("inner_tool", "SPAN", "inner"), ("manual-llm-call", "GENERATION", "gen"), ("private-step", "SPAN", "private")]:
        o = find(obs, name, name=name)
        eq(o.get("type"), typ, f"{name} type")
        eq(o.get("id"), ids[key], f"{name} id")
        eq(o.get("parentObservationId"), ids["outer"], f"{name} parentObservationId")
        eq(o.get("traceId"), ids["trace"], f"{name} traceId")
        eq(o.get("environment"), "sdk-py5", f"{name} environment")

with suite.check("@observe: observation input/output, level, status message, metadata"):
    obs = observe_trace()["observations"]
    inner = find(obs, "inner_tool", name="inner_tool")
    eq(inner.get("input"), {"args": [21], "kwargs": {}}, "inner_tool input")
    eq(inner.get("output"), {"doubled": 42}, "inner_tool output")
    eq(inner.get("level"), "DEFAULT", "inner_tool level")
    root = find(obs, "root", name="outer-function")
    eq(root.get("level"), "WARNING", "outer-function level")
    eq(root.get("statusMessage"), "just a warning", "outer-function statusMessage")
    params_match(root.get("metadata"), {"outer_meta": 1}, "outer-function metadata")

with suite.check("@observe(capture_input=False, capture_output=False) records no input/output"):
    private = find(observe_trace()["observations"], "private-step", name="private-step")
    is_none(private.get("input"), "private-step input")
    is_none(private.get("output"), "private-step output")

with suite.check("update_current_generation: model, parameters, usage, provided cost, completion start"):
    gen = find(observe_trace()["observations"], "manual-llm-call", name="manual-llm-call")
    eq(gen.get("model"), "gpt-4o-mini", "model")
    params_match(gen.get("modelParameters"), {"temperature": 0.2, "max_tokens": 50}, "modelParameters")
    eq(gen.get("usageDetails"), {"input": 11, "output": 5, "total": 16}, "usageDetails (total = sum when not given)")
    cost = gen.get("costDetails") or {}
    approx(cost.get("input"), 0.0001, "costDetails.input")
    approx(cost.get("output"), 0.0002, "costDetails.output")
    approx(cost.get("total"), 0.0003, "costDetails.total (provided cost wins)")
    approx(gen.get("calculatedTotalCost"), 0.0003, "calculatedTotalCost")
    eq(gen.get("output"), "generated text", "output")
    params_match(gen.get("metadata"), {"gen_meta": "x"}, "metadata")
    approx(timestamp(gen.get("completionStartTime"), "completionStartTime"), COMPLETION_START.timestamp(),
           "completionStartTime", rel=1e-12)

with suite.check("GET /observations/{id} returns the generation with the same fields"):
    single = api.observation(ids["gen"])
    eq(single.get("id"), ids["gen"], "id")
    eq(single.get("traceId"), ids["trace"], "traceId")
    eq(single.get("type"), "GENERATION", "type")
    eq(single.get("name"), "manual-llm-call", "name")
    eq(single.get("parentObservationId"), ids["outer"], "parentObservationId")
    eq(single.get("usageDetails"), {"input": 11, "output": 5, "total": 16}, "usageDetails")
    approx(single.get("calculatedTotalCost"), 0.0003, "calculatedTotalCost")

with suite.check("trace totalCost sums the observations' cost"):
    approx(observe_trace().get("totalCost"), 0.0003, "trace.totalCost")


def types_trace():
    return api.trace(ids["types_trace"], min_observations=len(TYPES) + 2, names=["py5-agent", "py5-event"] + [f"py5-{t}" for t in TYPES])


with suite.check("start_as_current_observation: every observation type, nested under an agent"):
    t = types_trace()
    obs = t["observations"]
    eq(len(obs), len(TYPES) + 2, "number of observations")
    agent = find(obs, "py5-agent", name="py5-agent")
    eq(agent.get("type"), "AGENT", "py5-agent type")
    is_none(agent.get("parentObservationId"), "py5-agent parentObservationId")
    eq(agent.get("output"), "plan done", "py5-agent output")
    eq(agent.get("input"), {"task": "plan"}, "py5-agent input")
    for typ in TYPES:
        o = by_id(obs, ids[typ], f"py5-{typ}")
        eq(o.get("name"), f"py5-{typ}", f"py5-{typ} name")
        eq(o.get("type"), typ.upper(), f"py5-{typ} type")
        eq(o.get("parentObservationId"), ids["agent"], f"py5-{typ} parentObservationId")
        eq(o.get("input"), {"step": typ}, f"py5-{typ} input")
        eq(o.get("output"), {"type": typ}, f"py5-{typ} output")
    event = by_id(obs, ids["event"], "py5-event")
    eq(event.get("type"), "EVENT", "py5-event type")
    eq(event.get("parentObservationId"), ids["agent"], "py5-event parentObservationId")
    eq(event.get("level"), "DEBUG", "py5-event level")
    eq(event.get("statusMessage"), "event note", "py5-event statusMessage")
    eq(t.get("name"), "py5-agent", "trace name defaults to the root observation's name")

with suite.check("session groups the traces that share its id"):
    s = api.session(SESSION, min_traces=2)
    eq(s.get("id"), SESSION, "session.id")
    same_set([tr.get("id") for tr in s["traces"]], [ids["trace"], ids["types_trace"]], "session trace ids")
    for tr in s["traces"]:
        eq(tr.get("userId"), USER, f"trace {tr.get('id')} userId")

with suite.check("trace_context with create_trace_id(seed): two separately written parts form one trace"):
    eq(langfuse.create_trace_id(seed=f"py5-external-{RUN}"), ids["seeded_trace"], "create_trace_id(seed) is deterministic")
    t = api.trace(ids["seeded_trace"], min_observations=2, names=["py5-external-part-1", "py5-external-part-2"])
    eq(t.get("id"), ids["seeded_trace"], "trace.id")
    for part in (1, 2):
        o = by_id(t["observations"], ids[f"part{part}"], f"py5-external-part-{part}")
        eq([o.get("name"), o.get("output")], [f"py5-external-part-{part}", f"part {part}"], f"part {part} name, output")

with suite.check("exception in @observe: level ERROR with the message, parent unaffected"):
    obs = api.trace(ids["error_trace"], min_observations=2, names=["py5-error-root", "py5-failing-step"])["observations"]
    failing = find(obs, "py5-failing-step", name="py5-failing-step")
    eq(failing.get("id"), ids["failing"], "failing step id")
    eq(failing.get("level"), "ERROR", "failing step level")
    if "kaputt" not in str(failing.get("statusMessage")):
        eq(failing.get("statusMessage"), "…kaputt…", "failing step statusMessage")
    root = find(obs, "py5-error-root", name="py5-error-root")
    eq(root.get("level"), "DEFAULT", "error root level")
    eq(root.get("output"), "recovered", "error root output")
    eq(failing.get("parentObservationId"), root.get("id"), "failing step parent")


def lc_trace():
    return api.trace(ids["lc_trace"], min_observations=3, names=["py5-langchain", "ChatPromptTemplate", "ChatOpenAI"])


with suite.check("LangChain CallbackHandler: user, session and tags from config.metadata"):
    t = lc_trace()
    eq(t.get("userId"), LC_USER, "trace.userId")
    eq(t.get("sessionId"), LC_SESSION, "trace.sessionId")
    same_set(t.get("tags"), ["lc-a", "lc-b"], "trace.tags")
    eq(t.get("name"), "py5-langchain", "trace.name (run_name)")

with suite.check("LangChain CallbackHandler: chain → prompt + ChatOpenAI generation with usage and cost"):
    obs = lc_trace()["observations"]
    eq(len(obs), 3, "number of observations")
    root = find(obs, "py5-langchain", name="py5-langchain")
    eq(root.get("type"), "CHAIN", "root type")
    is_none(root.get("parentObservationId"), "root parent")
    prompt = find(obs, "ChatPromptTemplate", name="ChatPromptTemplate")
    eq(prompt.get("type"), "CHAIN", "ChatPromptTemplate type")
    eq(prompt.get("parentObservationId"), root.get("id"), "ChatPromptTemplate parent")
    gen = find(obs, "ChatOpenAI", name="ChatOpenAI")
    eq(gen.get("type"), "GENERATION", "ChatOpenAI type")
    eq(gen.get("parentObservationId"), root.get("id"), "ChatOpenAI parent")
    eq(gen.get("model"), "gpt-4o-mini-2024-07-18", "ChatOpenAI model")
    subset(gen.get("usageDetails"), {"input": 10, "output": 6, "total": 19}, "ChatOpenAI usageDetails")
    approx(gen.get("calculatedTotalCost"), 5.25e-6, "ChatOpenAI calculatedTotalCost", rel=1e-3)
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "ChatOpenAI output text")


def openai_trace():
    return api.trace(ids["openai_trace"], min_observations=5,
                     names=["py5-openai-root", "openai-nonstream", "openai-stream", "OpenAI-embedding", "openai-responses"])


with suite.check("langfuse.openai non-streaming: generation with input, output, parameters, usage, cost"):
    obs = openai_trace()["observations"]
    gen = find(obs, "openai-nonstream", name="openai-nonstream")
    check_openai_generation(gen, "openai-nonstream")
    eq(gen.get("parentObservationId"), ids["openai_root"], "parentObservationId")
    eq(gen.get("input"), [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}], "input")
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "output text")
    params_match(gen.get("modelParameters"), {"temperature": 0.1, "max_tokens": 20}, "modelParameters")
    params_match(gen.get("metadata"), {"k": "v"}, "metadata")

with suite.check("langfuse.openai streaming: usage from the final chunk, completionStartTime inside the call"):
    gen = find(openai_trace()["observations"], "openai-stream", name="openai-stream")
    check_openai_generation(gen, "openai-stream")
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "output text")
    check_stream_timing(gen, "stream")

with suite.check("langfuse.openai embeddings: EMBEDDING observation with usage and cost"):
    emb = find(openai_trace()["observations"], "OpenAI-embedding", name="OpenAI-embedding")
    eq(emb.get("type"), "EMBEDDING", "type")
    eq(emb.get("model"), "text-embedding-3-small", "model")
    subset(emb.get("usageDetails"), {"input": 5}, "usageDetails")
    approx(emb.get("calculatedTotalCost"), 5 * 2e-8, "calculatedTotalCost (5 tokens × 2e-8)", rel=1e-3)
    eq(emb.get("parentObservationId"), ids["openai_root"], "parentObservationId")

with suite.check("langfuse.openai Responses API: usage normalized from input_tokens/output_tokens details"):
    gen = find(openai_trace()["observations"], "openai-responses", name="openai-responses")
    check_openai_generation(gen, "openai-responses")
    eq(gen.get("input"), "Hi there", "input")
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "output text")
    eq(gen.get("parentObservationId"), ids["openai_root"], "parentObservationId")

with suite.check("openai trace totalCost = three LLM calls + one embedding"):
    approx(openai_trace().get("totalCost"), 3 * 5.25e-6 + 1e-7, "trace.totalCost", rel=1e-3)


def trace_scores():
    return api.scores(min_count=5, traceId=ids["trace"])


with suite.check("scores: numeric, categorical and boolean on the trace"):
    scores = trace_scores()
    acc = find(scores, "py5-accuracy score", name="py5-accuracy")
    eq(acc.get("dataType"), "NUMERIC", "accuracy dataType")
    approx(acc.get("value"), 0.9, "accuracy value")
    eq(acc.get("comment"), "numeric", "accuracy comment")
    eq(acc.get("traceId"), ids["trace"], "accuracy traceId")
    is_none(acc.get("observationId"), "accuracy observationId")
    eq(acc.get("source"), "API", "accuracy source")
    eq(acc.get("environment"), "sdk-py5", "accuracy environment")
    cat = find(scores, "py5-category score", name="py5-category")
    eq(cat.get("dataType"), "CATEGORICAL", "category dataType")
    eq(cat.get("stringValue"), "great", "category stringValue")
    boolean = find(scores, "py5-correct score", name="py5-correct")
    eq(boolean.get("dataType"), "BOOLEAN", "correct dataType")
    approx(boolean.get("value"), 1, "correct value")
    eq(boolean.get("stringValue"), "True", "correct stringValue")

with suite.check("scores: on an observation"):
    span_score = find(trace_scores(), "py5-span-score score", name="py5-span-score")
    eq(span_score.get("observationId"), ids["inner"], "observationId")
    approx(span_score.get("value"), 0.5, "value")

with suite.check("scores: a fixed score id written twice is one score with the last value"):
    idem = [s for s in trace_scores() if s.get("name") == "py5-idem"]
    eq([s.get("id") for s in idem], [IDEM_SCORE], "ids of py5-idem scores")
    approx(idem[0].get("value"), 0.75, "value")
    eq(idem[0].get("comment"), "second write", "comment")
    eq(len(trace_scores()), 5, "number of scores on the trace")

with suite.check("scores: on a session"):
    scores = api.scores(min_count=1, sessionId=SESSION)
    s = find(scores, "py5-session-score", name="py5-session-score")
    eq(s.get("sessionId"), SESSION, "sessionId")
    is_none(s.get("traceId"), "traceId")
    approx(s.get("value"), 3, "value")

with suite.check("GET /traces/{id} lists the trace's scores"):
    api.forget(("trace", ids["trace"]))
    t = observe_trace()
    names = sorted(s.get("name") for s in t.get("scores") or [])
    eq(names, ["py5-accuracy", "py5-category", "py5-correct", "py5-idem", "py5-span-score"], "trace.scores names")

# ---- the SDK's own REST client on the same data (its pydantic models parse Loupe's answers) -----

with suite.check("SDK REST client: auth_check() (GET /api/public/projects)"):
    eq(langfuse.auth_check(), True, "langfuse.auth_check()")

with suite.check("SDK REST client: api.observations.get_many(trace_id) (GET /api/public/v2/observations)"):
    resp = langfuse.api.observations.get_many(trace_id=ids["trace"], fields="core,basic,model,usage", limit=50,
                                             request_options={"max_retries": 0})
    got = {o.id: o for o in resp.data}
    same_set(list(got), [ids["outer"], ids["inner"], ids["gen"], ids["private"]], "observation ids")
    gen = got[ids["gen"]]
    eq([gen.type, gen.name, gen.parent_observation_id, gen.trace_id], ["GENERATION", "manual-llm-call", ids["outer"], ids["trace"]],
       "generation type, name, parent, trace")
    eq(gen.model, "gpt-4o-mini", "generation model (ObservationV2.model)")
    eq(gen.usage_details, {"input": 11, "output": 5, "total": 16}, "generation usage_details")
    approx(gen.total_cost, 0.0003, "generation total_cost")
    eq(got[ids["outer"]].level, "WARNING", "outer level")

with suite.check("SDK REST client: api.observations.get_many(filter=…) (Langfuse's JSON filter on /v2/observations)"):
    only = json.dumps([{"type": "stringOptions", "column": "name", "operator": "any of", "value": ["inner_tool", "manual-llm-call"]}])
    resp = langfuse.api.observations.get_many(trace_id=ids["trace"], filter=only, limit=50, request_options={"max_retries": 0})
    same_set([o.id for o in resp.data], [ids["inner"], ids["gen"]], "observation ids matching the filter")

with suite.check("SDK REST client: api.scores.get_many(trace_id, fields=core,subject) (GET /api/public/v3/scores)"):
    resp = langfuse.api.scores.get_many(trace_id=ids["trace"], limit=100, fields="core,subject",
                                        request_options={"max_retries": 0})
    got = {s.name: s for s in resp.data}
    eq(sorted(got), ["py5-accuracy", "py5-category", "py5-correct", "py5-idem", "py5-span-score"], "score names")
    approx(got["py5-idem"].value, 0.75, "py5-idem value")
    eq(got["py5-category"].value, "great", "py5-category value (v3: the category string)")
    eq(got["py5-span-score"].subject.kind, "observation", "py5-span-score subject.kind")
    eq(got["py5-span-score"].subject.id, ids["inner"], "py5-span-score subject.id")
    eq(got["py5-accuracy"].subject.kind, "trace", "py5-accuracy subject.kind")

langfuse.shutdown()
sys.exit(suite.finish())
