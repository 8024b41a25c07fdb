"""Python SDK 2.x against Loupe: everything goes through POST /api/public/ingestion as batches of
create and update events, so these checks exercise the server's merge rules (a trace created by
one event and completed by later ones, span-create + span-update, generation-create +
generation-update, tag union, idempotent score ids).

Run by sdk-tests/run; checks through Loupe's public read API (sdk-tests/lib/loupecheck.py).
"""

import os
import sys
import uuid
from datetime import datetime, timezone

os.environ["LANGFUSE_TRACING_ENVIRONMENT"] = "sdk-py2"

from langfuse import Langfuse  # noqa: E402
from langfuse.decorators import langfuse_context, observe  # noqa: E402
from langfuse.version import __version__ as sdk_version  # noqa: E402

from loupecheck import (  # noqa: E402
    OPENAI_USAGE, Suite, approx, check_openai_generation, check_stream_timing, eq, find, is_none, params_match, same_set,
    subset, text_of, timestamp, truthy,
)

RUN = uuid.uuid4().hex[:8]
USER, SESSION = f"py2-user-{RUN}", f"py2-session-{RUN}"
LOW_USER, LOW_SESSION = f"py2-low-user-{RUN}", f"py2-low-session-{RUN}"
LC_USER, LC_SESSION = f"py2-lc-user-{RUN}", f"py2-lc-session-{RUN}"
IDEM_SCORE = f"py2-idem-{RUN}"
FAKE_OPENAI = os.environ["OPENAI_BASE_URL"]
COMPLETION_START = datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc)
ids = {}

# ---- 1. decorators: nested @observe, update_current_trace / update_current_observation ----------


@observe()
def inner_tool(x):
    ids["inner"] = langfuse_context.get_current_observation_id()
    langfuse_context.update_current_observation(level="WARNING", status_message="just a warning", metadata={"tool_meta": "t"})
    return {"doubled": x * 2}


@observe(as_type="generation", name="manual-llm-call")
def fake_llm(prompt):
    ids["gen"] = langfuse_context.get_current_observation_id()
    langfuse_context.update_current_observation(
        model="gpt-4o-mini",
        model_parameters={"temperature": 0.2, "max_tokens": 50},
        usage={"input": 11, "output": 5, "unit": "TOKENS"},
        metadata={"gen_meta": "x"},
        completion_start_time=COMPLETION_START,
    )
    return "generated text"


@observe(name="outer-function")
def outer(question):
    ids["trace"] = langfuse_context.get_current_trace_id()
    langfuse_context.update_current_trace(
        name="py2-decorator-trace", user_id=USER, session_id=SESSION, tags=["tag-b", "tag-a"],
        metadata={"tenant": "acme"}, release="rel-py2", version="v-py2", public=True,
    )
    doubled = inner_tool(21)
    answer = fake_llm(question)
    langfuse_context.score_current_trace(name="py2-decorator-score", value=0.7)
    return {"answer": answer, "doubled": doubled}


outer("what is 2+2?")
langfuse_context.flush()

# ---- 2. the low-level client: trace / span / generation / event / update / end / score ---------

lf = Langfuse()
auth_ok = None
try:
    auth_ok = lf.auth_check()
except Exception as err:  # reported by its check below
    auth_ok = err

trace = lf.trace(name="py2-lowlevel", user_id=LOW_USER, session_id=LOW_SESSION, tags=["low"],
                 metadata={"a": "1"}, input={"q": "low"}, version="lv1")
ids["low_trace"] = trace.id
span = trace.span(name="py2-span", input={"x": 1}, version="span-v1")
ids["span"] = span.id
gen = span.generation(name="py2-gen", model="gpt-4o-mini", model_parameters={"temperature": 0.5},
                      input=[{"role": "user", "content": "hi"}], usage={"promptTokens": 3, "completionTokens": 4})
ids["low_gen"] = gen.id
gen.end(output="gen output")
gen2 = trace.generation(name="py2-gen-details", model="gpt-4o-mini", input="details",
                        usage_details={"input": 20, "output": 10}, cost_details={"input": 0.001, "output": 0.002})
ids["gen2"] = gen2.id
gen2.end(output="details output")
event = span.event(name="py2-event", level="ERROR", status_message="event failed", input={"e": 1})
ids["event"] = event.id
span.update(output={"y": 2}, metadata={"k": "v"})
span.end()
trace.update(output={"final": True}, tags=["low2"])
trace.score(name="py2-trace-score", value=0.8, data_type="NUMERIC", comment="low-level")
gen.score(name="py2-gen-score", value="good", data_type="CATEGORICAL")
lf.score(trace_id=trace.id, name="py2-bool", value=0, data_type="BOOLEAN")
lf.score(trace_id=trace.id, id=IDEM_SCORE, name="py2-idem", value=1.0)
lf.flush()
lf.score(trace_id=trace.id, id=IDEM_SCORE, name="py2-idem", value=2.0, comment="second write")
lf.flush()

# ---- 3. LangChain CallbackHandler (before langfuse.openai patches the openai client) -----------

from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from langfuse.callback import CallbackHandler  # noqa: E402

handler = CallbackHandler(user_id=LC_USER, session_id=LC_SESSION, tags=["lc"])
chain = ChatPromptTemplate.from_messages([("system", "be brief"), ("user", "Tell me about {topic}")]) | ChatOpenAI(
    model="gpt-4o-mini", base_url=FAKE_OPENAI, api_key="sk-fake", temperature=0, max_retries=0
)
lc_result = chain.invoke({"topic": "loupes"}, config={"callbacks": [handler]})
ids["lc_trace"] = handler.get_trace_id()
handler.flush()

# ---- 4. the OpenAI integration inside a decorated function ------------------------------------

from langfuse.openai import openai  # noqa: E402

client = openai.OpenAI(base_url=FAKE_OPENAI, api_key="sk-fake", max_retries=0)


@observe(name="py2-openai-root")
def call_openai():
    ids["openai_trace"] = langfuse_context.get_current_trace_id()
    client.chat.completions.create(
        name="py2-openai-nonstream", model="gpt-4o-mini", temperature=0.1, max_tokens=20, metadata={"k": "v"},
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}],
    )
    stream = client.chat.completions.create(
        name="py2-openai-stream", model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "Stream please"}],
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


streamed = call_openai()
langfuse_context.flush()
openai.flush_langfuse()

# ============================== checks through the read API ===================================

suite = Suite("py2")
api = suite.api
print(f"python langfuse {sdk_version}; run {RUN}; trace ids {ids['trace']} {ids['low_trace']} {ids['lc_trace']} "
      f"{ids['openai_trace']}", flush=True)

suite.check_writes({
    "/api/public/ingestion": ("everything as JSON event batches (POST /api/public/ingestion)",
                              lambda e: "json" in (e["content_type"] or "") and e["status"] == 207),
})

with suite.check("auth_check() (GET /api/public/projects)"):
    eq(auth_ok, True, "Langfuse().auth_check()")

with suite.check("SDK ran: streamed text and LangChain result"):
    eq(streamed, "Hello from the fake OpenAI server.", "streamed text")
    eq(lc_result.content, "Hello from the fake OpenAI server.", "LangChain result")
    truthy(ids.get("lc_trace"), "CallbackHandler.get_trace_id()")


def decorator_trace():
    return api.trace(ids["trace"], min_observations=2, names=["inner_tool", "manual-llm-call"])


with suite.check("decorators: trace fields merged from two trace-create events"):
    t = decorator_trace()
    eq(t.get("name"), "py2-decorator-trace", "trace.name (the later event wins)")
    eq(t.get("userId"), USER, "trace.userId")
    eq(t.get("sessionId"), SESSION, "trace.sessionId")
    same_set(t.get("tags"), ["tag-a", "tag-b"], "trace.tags")
    params_match(t.get("metadata"), {"tenant": "acme"}, "trace.metadata")
    eq(t.get("release"), "rel-py2", "trace.release")
    eq(t.get("version"), "v-py2", "trace.version")
    eq(t.get("environment"), "sdk-py2", "trace.environment")
    eq(t.get("public"), True, "trace.public")
    eq(t.get("input"), {"args": ["what is 2+2?"], "kwargs": {}}, "trace.input (from the first event)")
    eq(t.get("output"), {"answer": "generated text", "doubled": {"doubled": 42}}, "trace.output (from the last event)")

with suite.check("decorators: nested functions are observations of the trace (span-create + span-update)"):
    obs = decorator_trace()["observations"]
    eq(len(obs), 2, "number of observations (the outermost function is the trace itself)")
    inner = find(obs, "inner_tool", name="inner_tool")
    eq(inner.get("id"), ids["inner"], "inner_tool id")
    eq(inner.get("type"), "SPAN", "inner_tool type")
    is_none(inner.get("parentObservationId"), "inner_tool parentObservationId")
    eq(inner.get("input"), {"args": [21], "kwargs": {}}, "inner_tool input (create event)")
    eq(inner.get("output"), {"doubled": 42}, "inner_tool output (update event)")
    eq(inner.get("level"), "WARNING", "inner_tool level")
    eq(inner.get("statusMessage"), "just a warning", "inner_tool statusMessage")
    params_match(inner.get("metadata"), {"tool_meta": "t"}, "inner_tool metadata")
    truthy(inner.get("endTime"), "inner_tool endTime (update event)")
    eq(inner.get("environment"), "sdk-py2", "inner_tool environment")

with suite.check("decorators: update_current_observation on a generation (model, usage, cost)"):
    gen = find(decorator_trace()["observations"], "manual-llm-call", name="manual-llm-call")
    eq(gen.get("id"), ids["gen"], "id")
    eq(gen.get("type"), "GENERATION", "type")
    eq(gen.get("model"), "gpt-4o-mini", "model")
    params_match(gen.get("modelParameters"), {"temperature": 0.2, "max_tokens": 50}, "modelParameters")
    eq(gen.get("usageDetails"), {"input": 11, "output": 5, "total": 16}, "usageDetails")
    # No cost given: computed from gpt-4o-mini's default prices, 11×1.5e-7 + 5×6e-7.
    approx(gen.get("calculatedTotalCost"), 11 * 1.5e-7 + 5 * 6e-7, "calculatedTotalCost", rel=1e-3)
    usage = gen.get("usage") or {}
    eq([usage.get("input"), usage.get("output"), usage.get("total")], [11, 5, 16], "usage {input, output, total}")
    eq(gen.get("output"), "generated text", "output")
    params_match(gen.get("metadata"), {"gen_meta": "x"}, "metadata")
    approx(timestamp(gen.get("completionStartTime"), "completionStartTime"), COMPLETION_START.timestamp(),
           "completionStartTime", rel=1e-12)

with suite.check("decorators: score_current_trace"):
    scores = api.scores(min_count=1, traceId=ids["trace"])
    s = find(scores, "py2-decorator-score", name="py2-decorator-score")
    approx(s.get("value"), 0.7, "value")
    eq(s.get("dataType"), "NUMERIC", "dataType")


def low_trace():
    return api.trace(ids["low_trace"], min_observations=4, names=["py2-span", "py2-gen", "py2-gen-details", "py2-event"])


with suite.check("low-level: trace create + update (output added, tags united)"):
    t = low_trace()
    eq(t.get("name"), "py2-lowlevel", "trace.name")
    eq(t.get("userId"), LOW_USER, "trace.userId")
    eq(t.get("sessionId"), LOW_SESSION, "trace.sessionId")
    eq(t.get("version"), "lv1", "trace.version")
    same_set(t.get("tags"), ["low", "low2"], "trace.tags (union of both events)")
    params_match(t.get("metadata"), {"a": "1"}, "trace.metadata")
    eq(t.get("input"), {"q": "low"}, "trace.input")
    eq(t.get("output"), {"final": True}, "trace.output")
    eq(t.get("environment"), "sdk-py2", "trace.environment")

with suite.check("low-level: span / generation / event structure and span update"):
    obs = low_trace()["observations"]
    eq(len(obs), 4, "number of observations")
    sp = find(obs, "py2-span", name="py2-span")
    eq(sp.get("id"), ids["span"], "span id")
    eq(sp.get("type"), "SPAN", "span type")
    is_none(sp.get("parentObservationId"), "span parent")
    eq(sp.get("input"), {"x": 1}, "span input")
    eq(sp.get("output"), {"y": 2}, "span output (update)")
    params_match(sp.get("metadata"), {"k": "v"}, "span metadata (update)")
    eq(sp.get("version"), "span-v1", "span version")
    truthy(sp.get("endTime"), "span endTime (end)")
    g = find(obs, "py2-gen", name="py2-gen")
    eq(g.get("parentObservationId"), ids["span"], "generation parent")
    eq(g.get("type"), "GENERATION", "generation type")
    ev = find(obs, "py2-event", name="py2-event")
    eq(ev.get("type"), "EVENT", "event type")
    eq(ev.get("parentObservationId"), ids["span"], "event parent")
    eq(ev.get("level"), "ERROR", "event level")
    eq(ev.get("statusMessage"), "event failed", "event statusMessage")
    eq(ev.get("input"), {"e": 1}, "event input")
    g2 = find(obs, "py2-gen-details", name="py2-gen-details")
    is_none(g2.get("parentObservationId"), "trace.generation parent")

with suite.check("low-level: generation with legacy usage {promptTokens, completionTokens} → usage and cost"):
    g = find(low_trace()["observations"], "py2-gen", name="py2-gen")
    eq(g.get("model"), "gpt-4o-mini", "model")
    params_match(g.get("modelParameters"), {"temperature": 0.5}, "modelParameters")
    eq(g.get("usageDetails"), {"input": 3, "output": 4, "total": 7}, "usageDetails")
    approx(g.get("calculatedTotalCost"), 3 * 1.5e-7 + 4 * 6e-7, "calculatedTotalCost", rel=1e-3)
    eq(g.get("input"), [{"role": "user", "content": "hi"}], "input")
    eq(g.get("output"), "gen output", "output (end)")
    truthy(g.get("endTime"), "endTime (end)")

with suite.check("low-level: usage_details + cost_details (provided cost wins)"):
    g2 = find(low_trace()["observations"], "py2-gen-details", name="py2-gen-details")
    eq(g2.get("usageDetails"), {"input": 20, "output": 10, "total": 30}, "usageDetails")
    cost = g2.get("costDetails") or {}
    approx(cost.get("input"), 0.001, "costDetails.input")
    approx(cost.get("output"), 0.002, "costDetails.output")
    approx(g2.get("calculatedTotalCost"), 0.003, "calculatedTotalCost")

with suite.check("low-level: scores on trace and observation, boolean, idempotent id"):
    scores = api.scores(min_count=4, traceId=ids["low_trace"])
    eq(sorted(s.get("name") for s in scores), ["py2-bool", "py2-gen-score", "py2-idem", "py2-trace-score"], "score names")
    ts = find(scores, "py2-trace-score", name="py2-trace-score")
    approx(ts.get("value"), 0.8, "py2-trace-score value")
    eq(ts.get("comment"), "low-level", "py2-trace-score comment")
    is_none(ts.get("observationId"), "py2-trace-score observationId")
    gs = find(scores, "py2-gen-score", name="py2-gen-score")
    eq(gs.get("observationId"), ids["low_gen"], "py2-gen-score observationId")
    eq(gs.get("dataType"), "CATEGORICAL", "py2-gen-score dataType")
    eq(gs.get("stringValue"), "good", "py2-gen-score stringValue")
    b = find(scores, "py2-bool", name="py2-bool")
    eq(b.get("dataType"), "BOOLEAN", "py2-bool dataType")
    approx(b.get("value"), 0, "py2-bool value")
    eq(b.get("stringValue"), "False", "py2-bool stringValue")
    idem = find(scores, "py2-idem", name="py2-idem")
    eq(idem.get("id"), IDEM_SCORE, "py2-idem id")
    approx(idem.get("value"), 2.0, "py2-idem value (last write)")
    eq(idem.get("comment"), "second write", "py2-idem comment")

with suite.check("low-level: session lists the trace"):
    s = api.session(LOW_SESSION)
    eq(s.get("id"), LOW_SESSION, "session.id")
    eq([tr.get("id") for tr in s["traces"]], [ids["low_trace"]], "session trace ids")


def lc_trace():
    return api.trace(ids["lc_trace"], min_observations=3, names=["RunnableSequence", "ChatPromptTemplate", "ChatOpenAI"])


with suite.check("LangChain CallbackHandler(user_id, session_id, tags): trace fields"):
    t = lc_trace()
    eq(t.get("userId"), LC_USER, "trace.userId")
    eq(t.get("sessionId"), LC_SESSION, "trace.sessionId")
    same_set(t.get("tags"), ["lc"], "trace.tags")
    eq(t.get("name"), "RunnableSequence", "trace.name")

with suite.check("LangChain CallbackHandler: chain span → prompt span + ChatOpenAI generation with usage and cost"):
    obs = lc_trace()["observations"]
    eq(len(obs), 3, "number of observations")
    root = find(obs, "RunnableSequence", name="RunnableSequence")
    is_none(root.get("parentObservationId"), "RunnableSequence parent")
    eq(find(obs, "ChatPromptTemplate", name="ChatPromptTemplate").get("parentObservationId"), root.get("id"), "ChatPromptTemplate parent")
    gen = find(obs, "ChatOpenAI", name="ChatOpenAI")
    eq(gen.get("type"), "GENERATION", "ChatOpenAI type")
    eq(gen.get("parentObservationId"), root.get("id"), "ChatOpenAI parent")
    eq(gen.get("model"), "gpt-4o-mini-2024-07-18", "ChatOpenAI model")
    subset(gen.get("usageDetails"), {"input": 10, "output": 6, "total": 19}, "ChatOpenAI usageDetails")
    approx(gen.get("calculatedTotalCost"), 5.25e-6, "ChatOpenAI calculatedTotalCost", rel=1e-3)
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "ChatOpenAI output text")


def openai_trace():
    return api.trace(ids["openai_trace"], min_observations=2, names=["py2-openai-nonstream", "py2-openai-stream"])


with suite.check("langfuse.openai non-streaming (usage + raw OpenAI usageDetails) → normalized usage and cost"):
    gen = find(openai_trace()["observations"], "py2-openai-nonstream", name="py2-openai-nonstream")
    check_openai_generation(gen, "py2-openai-nonstream")
    eq(gen.get("input"), [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi"}], "input")
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "output text")
    params_match(gen.get("modelParameters"), {"temperature": 0.1, "max_tokens": 20}, "modelParameters")
    params_match(gen.get("metadata"), {"k": "v"}, "metadata")

with suite.check("langfuse.openai streaming: usage, output and completionStartTime"):
    gen = find(openai_trace()["observations"], "py2-openai-stream", name="py2-openai-stream")
    check_openai_generation(gen, "py2-openai-stream")
    eq(text_of(gen.get("output")), "Hello from the fake OpenAI server.", "output text")
    check_stream_timing(gen, "stream")

with suite.check("langfuse.openai trace: name, output and total cost"):
    t = openai_trace()
    eq(t.get("name"), "py2-openai-root", "trace.name")
    eq(t.get("output"), "Hello from the fake OpenAI server.", "trace.output (decorated function's return)")
    approx(t.get("totalCost"), 2 * 5.25e-6, "trace.totalCost", rel=1e-3)

# ---- the SDK's own REST client on the same data (its pydantic models parse Loupe's answers) -----

with suite.check("SDK REST client: fetch_trace (GET /api/public/traces/{id})"):
    t = lf.fetch_trace(ids["low_trace"]).data
    eq([t.id, t.name, t.user_id, t.session_id], [ids["low_trace"], "py2-lowlevel", LOW_USER, LOW_SESSION], "id, name, user, session")
    same_set([o.id for o in t.observations], [ids["span"], ids["low_gen"], ids["gen2"], ids["event"]], "observation ids")
    approx(t.total_cost, 3 * 1.5e-7 + 4 * 6e-7 + 0.003, "total_cost", rel=1e-3)

with suite.check("SDK REST client: fetch_traces(user_id, tags) (GET /api/public/traces?userId=&tags=)"):
    page = lf.fetch_traces(user_id=LOW_USER, tags=["low"], limit=10)
    eq([t.id for t in page.data], [ids["low_trace"]], "trace ids for that user and tag")
    eq(page.meta.total_items, 1, "meta.totalItems")
    eq(lf.fetch_traces(user_id=LOW_USER, tags=["no-such-tag"]).data, [], "traces with a tag nobody has")

with suite.check("SDK REST client: fetch_observations(trace_id) and fetch_observation(id) (GET /api/public/observations)"):
    obs = lf.fetch_observations(trace_id=ids["low_trace"], limit=50).data
    same_set([o.id for o in obs], [ids["span"], ids["low_gen"], ids["gen2"], ids["event"]], "observation ids")
    g = lf.fetch_observation(ids["low_gen"]).data
    eq([g.type, g.name, g.parent_observation_id, g.model], ["GENERATION", "py2-gen", ids["span"], "gpt-4o-mini"], "type, name, parent, model")

sys.exit(suite.finish())
