#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/seed-*: representative real payloads (the
shapes the SDKs send, from server/tests and sdk-tests) and hostile ones (NUL in every kind of
field, 100,000-deep JSON, huge numbers, invalid UTF-8, CJK/emoji, 10,000-byte ids, gzip bombs).
Deterministic; rerun after changing it. Files libFuzzer adds to the corpus are not touched."""

import gzip, json, os, struct, base64, copy

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NUL = "\u0000"
LONG_ID = "x" * 10_000
CJK = "日本語のテキスト 中文 한국어 🦀🔥👩‍👩‍👧"
DEEP = 100_000


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, (bytes, bytearray)):
        data = json.dumps(data, ensure_ascii=False).encode("utf-8")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def deep_json(prefix=b"", suffix=b""):
    return prefix + b"[" * DEEP + b"]" * DEEP + suffix


def bomb():
    # 64 MiB + 1 of zeros: one byte over the decompression cap, ~65 KB compressed.
    return gzip.compress(b"\0" * (64 * 1024 * 1024 + 1), compresslevel=9, mtime=0)


def nul_everywhere(value):
    """Every string (keys included) with a NUL inside."""
    if isinstance(value, str):
        return value[:1] + NUL + value[1:]
    if isinstance(value, list):
        return [nul_everywhere(v) for v in value]
    if isinstance(value, dict):
        return {nul_everywhere(k) if k not in ("batch", "type", "body", "id") else k: nul_everywhere(v) for k, v in value.items()}
    return value


def replace_strings(value, f):
    if isinstance(value, str):
        return f(value)
    if isinstance(value, list):
        return [replace_strings(v, f) for v in value]
    if isinstance(value, dict):
        return {k: replace_strings(v, f) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- OTLP (one model, two encodings)
# A span: dict(trace, span, parent, name, kind, start, end, attrs=[(key, anyvalue)], events, status)
# An any value: ("s", str) ("b", bool) ("i", int) ("d", float) ("a", [any]) ("kv", [(k, any)]) ("y", bytes)
T0 = 1_795_714_740_732_000_000
TRACE = "fe8623017c4a4d6ea1c1b1f5b2d3c90c"


def span(span_id, parent, name, attrs, offset_ms=0, trace=TRACE, events=(), status=(0, "")):
    return dict(trace=trace, span=span_id, parent=parent, name=name, kind=1, start=T0 + offset_ms * 1_000_000,
                end=T0 + (offset_ms + 5) * 1_000_000, attrs=attrs, events=list(events), status=status)


def s(v):
    return ("s", v)


PY_SDK = [
    span("1111111111111111", None, "root", [("langfuse.trace.name", s("chat")), ("user.id", s("u-1")),
         ("session.id", s("s-1")), ("langfuse.trace.tags", ("a", [s("a"), s("b")])),
         ("langfuse.trace.metadata.tenant", s("acme")), ("langfuse.observation.input", s('{"q": "hi"}')),
         ("langfuse.observation.output", s('"hello"')), ("langfuse.environment", s("production"))]),
    span("2222222222222222", "1111111111111111", "llm", [("langfuse.observation.type", s("generation")),
         ("langfuse.observation.model.name", s("gpt-4o-mini")),
         ("langfuse.observation.model.parameters", s('{"temperature": 0.2, "max_tokens": "50"}')),
         ("langfuse.observation.usage_details", s('{"input": 11, "output": 5}')),
         ("langfuse.observation.cost_details", s('{"total": 0.0001}')),
         ("langfuse.observation.prompt.name", s("greeting")), ("langfuse.observation.prompt.version", ("i", 2)),
         ("langfuse.observation.completion_start_time", s('"2026-11-26T17:39:00.735Z"')),
         ("langfuse.observation.level", s("WARNING")), ("langfuse.observation.status_message", s("slow"))], 1),
    span("3333333333333333", "1111111111111111", "tool", [("langfuse.observation.type", s("tool")),
         ("langfuse.observation.metadata.k", ("kv", [("nested", ("i", 1))]))], 2,
         events=[(T0, "exception", [("exception.message", s("boom"))])], status=(2, "failed")),
]
OPENINFERENCE = [
    span("4444444444444444", None, "ChatCompletion", [("openinference.span.kind", s("LLM")),
         ("llm.model_name", s("gpt-4o")), ("llm.input_messages.0.message.role", s("user")),
         ("llm.input_messages.0.message.content", s("What is 2+2?")), ("llm.output_messages.0.message.role", s("assistant")),
         ("llm.output_messages.0.message.content", s("4")), ("llm.token_count.prompt", ("i", 12)),
         ("llm.token_count.completion", ("i", 1)), ("llm.invocation_parameters", s('{"temperature": 0}')),
         ("input.value", s('{"messages": [{"role": "user", "content": "What is 2+2?"}]}')),
         ("input.mime_type", s("application/json")), ("output.value", s("4"))], trace="0af7651916cd43dd8448eb211c80319c"),
]
GENAI = [
    span("5555555555555555", None, "chat gpt-4o", [("gen_ai.system", s("openai")), ("gen_ai.operation.name", s("chat")),
         ("gen_ai.request.model", s("gpt-4o")), ("gen_ai.response.model", s("gpt-4o-2024-08-06")),
         ("gen_ai.request.temperature", ("d", 0.7)), ("gen_ai.request.max_tokens", ("i", 100)),
         ("gen_ai.usage.input_tokens", ("i", 20)), ("gen_ai.usage.output_tokens", ("i", 7)),
         ("gen_ai.prompt.0.role", s("system")), ("gen_ai.prompt.0.content", s("Be brief.")),
         ("gen_ai.prompt.1.role", s("user")), ("gen_ai.prompt.1.content", s("Hi")),
         ("gen_ai.completion.0.role", s("assistant")), ("gen_ai.completion.0.content", s("Hello!")),
         ("gen_ai.input.messages", s('[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]')),
         ("gen_ai.response.finish_reasons", ("a", [s("stop")]))], trace="4bf92f3577b34da6a3ce929d0e0e4736",
         events=[(T0, "gen_ai.user.message", [("content", s("Hi"))])]),
]
VERCEL = [
    span("6666666666666666", None, "ai.generateText", [("ai.operationId", s("ai.generateText")),
         ("ai.model.id", s("claude-3-5-sonnet-20241022")), ("ai.model.provider", s("anthropic.messages")),
         ("ai.prompt", s('{"prompt":"Say hi"}')), ("ai.response.text", s("hi")),
         ("ai.usage.promptTokens", ("i", 9)), ("ai.usage.completionTokens", ("i", 2)),
         ("ai.telemetry.functionId", s("greet")), ("ai.telemetry.metadata.userId", s("u-9")),
         ("ai.telemetry.metadata.sessionId", s("s-9")), ("ai.telemetry.metadata.tags", ("a", [s("vercel")])),
         ("ai.telemetry.metadata.langfusePrompt", s('{"name":"p","version":1}')),
         ("resource.name", s("greet"))], trace="5b8efff798038103d269b633813fc60c"),
    span("7777777777777777", "6666666666666666", "ai.generateText.doGenerate", [("ai.operationId", s("ai.generateText.doGenerate")),
         ("ai.prompt.messages", s('[{"role":"user","content":[{"type":"text","text":"Say hi"}]}]')),
         ("ai.response.toolCalls", s('[{"toolCallId":"c1","toolName":"f","args":"{}"}]')),
         ("ai.response.msToFirstChunk", ("d", 120.5)), ("gen_ai.usage.input_tokens", ("i", 9))], 1,
         trace="5b8efff798038103d269b633813fc60c"),
]
RESOURCE = [("service.name", s("unknown_service:python")), ("telemetry.sdk.language", s("python")),
            ("langfuse.release", s("v1.2.3")), ("deployment.environment.name", s("staging"))]


def export(spans, resource=RESOURCE, scope=("langfuse-sdk", "3.2.1")):
    return dict(resource=resource, scope=scope, spans=spans)


# protobuf
def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogatepass")
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def fixed64(field, n):
    return varint(field << 3 | 1) + struct.pack("<Q", n & ((1 << 64) - 1))


def vint(field, n):
    return varint(field << 3) + varint(n)


def pb_any(v):
    kind, x = v
    if kind == "s":
        return ld(1, x)
    if kind == "b":
        return vint(2, int(x))
    if kind == "i":
        return vint(3, x)
    if kind == "d":
        return varint(4 << 3 | 1) + struct.pack("<d", x)
    if kind == "a":
        return ld(5, b"".join(ld(1, pb_any(i)) for i in x))
    if kind == "kv":
        return ld(6, b"".join(ld(1, pb_kv(k, i)) for k, i in x))
    return ld(7, x)


def pb_kv(key, value):
    return ld(1, key) + ld(2, pb_any(value))


def hexb(h):
    try:
        return bytes.fromhex(h)
    except ValueError:
        return h.encode("utf-8", "surrogatepass")


def pb_span(sp):
    out = ld(1, hexb(sp["trace"])) + ld(2, hexb(sp["span"]))
    if sp["parent"]:
        out += ld(4, hexb(sp["parent"]))
    out += ld(5, sp["name"]) + vint(6, sp["kind"]) + fixed64(7, sp["start"]) + fixed64(8, sp["end"])
    out += b"".join(ld(9, pb_kv(k, v)) for k, v in sp["attrs"])
    for t, name, attrs in sp["events"]:
        out += ld(11, fixed64(1, t) + ld(2, name) + b"".join(ld(3, pb_kv(k, v)) for k, v in attrs))
    code, message = sp["status"]
    out += ld(15, ld(2, message) + vint(3, code))
    return out


def protobuf(exports):
    out = b""
    for e in exports:
        resource = ld(1, b"".join(ld(1, pb_kv(k, v)) for k, v in e["resource"]))
        scope = ld(1, ld(1, e["scope"][0]) + ld(2, e["scope"][1]))
        scope_spans = ld(2, scope + b"".join(ld(2, pb_span(sp)) for sp in e["spans"]))
        out += ld(1, resource + scope_spans)
    return out


# OTLP/JSON
def js_any(v):
    kind, x = v
    return {"s": lambda: {"stringValue": x}, "b": lambda: {"boolValue": x}, "i": lambda: {"intValue": str(x)},
            "d": lambda: {"doubleValue": x}, "a": lambda: {"arrayValue": {"values": [js_any(i) for i in x]}},
            "kv": lambda: {"kvlistValue": {"values": [{"key": k, "value": js_any(i)} for k, i in x]}},
            "y": lambda: {"bytesValue": base64.b64encode(x).decode()}}[kind]()


def js_span(sp):
    out = {"traceId": sp["trace"], "spanId": sp["span"], "name": sp["name"], "kind": sp["kind"],
           "startTimeUnixNano": str(sp["start"]), "endTimeUnixNano": str(sp["end"]),
           "attributes": [{"key": k, "value": js_any(v)} for k, v in sp["attrs"]],
           "events": [{"timeUnixNano": str(t), "name": n, "attributes": [{"key": k, "value": js_any(v)} for k, v in a]}
                      for t, n, a in sp["events"]],
           "status": {"code": sp["status"][0], "message": sp["status"][1]}}
    if sp["parent"]:
        out["parentSpanId"] = sp["parent"]
    return out


def otlp_json(exports):
    return {"resourceSpans": [{"resource": {"attributes": [{"key": k, "value": js_any(v)} for k, v in e["resource"]]},
                               "scopeSpans": [{"scope": {"name": e["scope"][0], "version": e["scope"][1]},
                                               "spans": [js_span(sp) for sp in e["spans"]]}]} for e in exports]}


def map_spans(exports, f):
    out = copy.deepcopy(exports)
    for e in out:
        e["spans"] = [f(sp) for sp in e["spans"]]
    return out


def nul_spans(exports):
    def f(sp):
        sp = dict(sp)
        sp["name"] = "a" + NUL + sp["name"]
        sp["attrs"] = [(k + NUL, ("s", NUL + v[1] + NUL) if v[0] == "s" else v) for k, v in sp["attrs"]] + [
            ("langfuse.trace.name", s(NUL)), ("user.id", s(NUL * 3)), ("session.id", s("s" + NUL)),
            ("langfuse.trace.tags", ("a", [s(NUL), s("t" + NUL)])), ("langfuse.observation.model.name", s("gpt" + NUL)),
            ("langfuse.observation.metadata." + NUL, s(NUL)), ("langfuse.observation.input", s('{"k\\u0000": "v\\u0000"}'))]
        sp["status"] = (2, NUL)
        return sp
    out = map_spans(exports, f)
    for e in out:
        e["resource"] = e["resource"] + [("service.name", s(NUL)), ("langfuse.environment", s(NUL))]
        e["scope"] = (NUL, NUL)
    return out


def long_spans(exports):
    def f(sp):
        sp = dict(sp)
        sp["name"] = LONG_ID
        sp["attrs"] = sp["attrs"] + [("user.id", s(LONG_ID)), ("session.id", s(LONG_ID)), ("langfuse.trace.name", s(LONG_ID)),
                                     ("langfuse.observation.model.name", s(LONG_ID)), ("langfuse.trace.tags", ("a", [s(LONG_ID)]))]
        return sp
    return map_spans(exports, f)


def cjk_spans(exports):
    def f(sp):
        sp = dict(sp)
        sp["name"] = CJK
        sp["attrs"] = sp["attrs"] + [("langfuse.trace.name", s(CJK)), ("user.id", s(CJK)),
                                     ("langfuse.observation.input", s(json.dumps({"q": CJK}, ensure_ascii=False)))]
        return sp
    return map_spans(exports, f)


def huge_numbers(exports):
    def f(sp):
        sp = dict(sp)
        sp["start"], sp["end"] = (1 << 64) - 1, 0
        sp["kind"] = (1 << 31) - 1
        sp["status"] = ((1 << 31) - 1, "")
        sp["attrs"] = sp["attrs"] + [("gen_ai.usage.input_tokens", ("i", -(1 << 63))), ("gen_ai.usage.output_tokens", ("i", (1 << 63) - 1)),
                                     ("llm.token_count.total", s("1" * 400)), ("gen_ai.request.temperature", ("d", 1e308)),
                                     ("langfuse.observation.usage_details", s('{"input": 1e999, "output": 18446744073709551616}')),
                                     ("langfuse.observation.cost_details", s('{"total": -1e308}'))]
        return sp
    return map_spans(exports, f)


ALL = [export(PY_SDK), export(OPENINFERENCE, scope=("openinference.instrumentation.openai", "0.1")),
       export(GENAI, scope=("opentelemetry.instrumentation.openai", "0.40")), export(VERCEL, scope=("ai", "4.0"))]


def otlp_seeds():
    cases = {"python-sdk": [ALL[0]], "openinference": [ALL[1]], "genai": [ALL[2]], "vercel-ai": [ALL[3]], "all": ALL,
             "nul-everywhere": nul_spans(ALL), "long-ids": long_spans([ALL[0]]), "cjk-emoji": cjk_spans([ALL[0]]),
             "huge-numbers": huge_numbers(ALL)}
    bad_ids = map_spans([ALL[0]], lambda sp: dict(sp, trace=LONG_ID.encode().hex()[:20_000], span="00" * 8, parent="ff"))
    for name, exports in cases.items():
        write("otlp_protobuf", name, protobuf(exports))
        write("otlp_json", name + ".json", otlp_json(exports))
    write("otlp_protobuf", "bad-ids", protobuf(bad_ids))
    write("otlp_json", "bad-ids.json", otlp_json(bad_ids))
    write("otlp_protobuf", "python-sdk.gz", gzip.compress(protobuf([ALL[0]]), mtime=0))
    write("otlp_json", "python-sdk.json.gz", gzip.compress(json.dumps(otlp_json([ALL[0]])).encode(), mtime=0))
    write("otlp_protobuf", "gzip-bomb", bomb())
    write("otlp_json", "gzip-bomb", bomb())
    write("otlp_protobuf", "truncated", protobuf([ALL[0]])[:-7])
    write("otlp_protobuf", "empty", b"")
    # Invalid UTF-8 in a string field (protobuf requires UTF-8).
    write("otlp_protobuf", "invalid-utf8", ld(1, ld(2, ld(2, ld(1, b"\x0a\x10" + b"\x01" * 16) + ld(5, b"\xff\xfe\xc0")))))
    # A value nested beyond prost's recursion limit.
    nested = ld(1, b"x")
    for _ in range(200):
        nested = ld(5, ld(1, nested))
    write("otlp_protobuf", "deep-anyvalue", ld(1, ld(2, ld(2, ld(1, b"\x01" * 16) + ld(2, b"\x02" * 8) + ld(9, ld(1, "k") + ld(2, nested))))))
    # JSON: the JS SDK's export, spelling variants, nulls, deep nesting, invalid UTF-8.
    js = otlp_json([ALL[0]])
    sp = js["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    sp["traceId"] = base64.b64encode(bytes.fromhex(TRACE)).decode()
    sp["spanId"] = list(bytes.fromhex("1111111111111111"))
    sp["kind"] = "SPAN_KIND_CLIENT"
    sp["startTimeUnixNano"] = int(sp["startTimeUnixNano"])
    sp["status"] = {"code": "STATUS_CODE_ERROR"}
    write("otlp_json", "spellings.json", js)
    write("otlp_json", "snake-case.json", json.dumps(js).replace("resourceSpans", "resource_spans").replace("scopeSpans", "scope_spans").replace("startTimeUnixNano", "start_time_unix_nano"))
    write("otlp_json", "nulls.json", {"resourceSpans": [{"resource": None, "scopeSpans": [{"scope": None, "spans": [
        {"traceId": TRACE, "spanId": "1111111111111111", "parentSpanId": None, "name": None, "attributes": [{"key": "k", "value": None}, {"key": None}],
         "events": None, "status": None, "startTimeUnixNano": None}]}]}]})
    write("otlp_json", "deep.json", deep_json(b'{"resourceSpans":', b"}"))
    write("otlp_json", "deep-attribute.json", b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + TRACE.encode() + b'","spanId":"1111111111111111","attributes":[{"key":"langfuse.observation.input","value":{"stringValue":"' + b"[" * DEEP + b'"}}]}]}]}]}')
    write("otlp_json", "invalid-utf8.json", b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + TRACE.encode() + b'","spanId":"1111111111111111","name":"\xff\xfe\xc0"}]}]}]}')
    write("otlp_json", "lone-surrogate.json", b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + TRACE.encode() + b'","spanId":"1111111111111111","name":"\\ud800"}]}]}]}')
    write("otlp_json", "huge-literals.json", b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + TRACE.encode() + b'","spanId":"1111111111111111","startTimeUnixNano":1e999,"endTimeUnixNano":"-1","kind":99999999999999999999,"attributes":[{"key":"a","value":{"intValue":"99999999999999999999"}},{"key":"b","value":{"doubleValue":"NaN"}}]}]}]}]}')
    write("otlp_json", "logs-export.json", {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "x"}}]}]}]})
    write("otlp_json", "array-body.json", "[1, 2, 3]")
    write("otlp_json", "empty", b"")


# ---------------------------------------------------------------- batch, score, prompt, content
TS = "2026-01-31T12:00:00.000Z"
BATCH = {"batch": [
    {"id": "e1", "type": "trace-create", "timestamp": TS, "body": {"id": "t1", "name": "chat", "userId": "u1", "sessionId": "s1",
     "input": {"q": "hi"}, "output": "hello", "metadata": {"k": "v"}, "tags": ["a", "b"], "release": "r1", "version": "v1",
     "public": False, "environment": "production", "timestamp": TS}},
    {"id": "e2", "type": "generation-create", "timestamp": TS, "body": {"id": "g1", "traceId": "t1", "name": "llm",
     "startTime": TS, "endTime": "2026-01-31T12:00:01.500Z", "completionStartTime": "2026-01-31T12:00:00.300Z",
     "model": "gpt-4o-mini", "modelParameters": {"temperature": "0.2", "max_tokens": 50},
     "input": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
     "output": {"role": "assistant", "content": "hello"}, "usage": {"input": 11, "output": 5, "unit": "TOKENS"},
     "usageDetails": {"input": 11, "output": 5, "cache_read_input_tokens": 2}, "costDetails": {"total": 0.0001},
     "level": "DEFAULT", "promptName": "greeting", "promptVersion": 2, "metadata": {"nested": {"x": [1, 2]}}}},
    {"id": "e3", "type": "span-create", "timestamp": TS, "body": {"id": "sp1", "traceId": "t1", "parentObservationId": "g1", "name": "retrieve", "startTime": TS}},
    {"id": "e4", "type": "span-update", "timestamp": TS, "body": {"id": "sp1", "traceId": "t1", "endTime": TS, "output": {"docs": 3}, "level": "WARNING", "statusMessage": "slow"}},
    {"id": "e5", "type": "event-create", "timestamp": TS, "body": {"id": "ev1", "traceId": "t1", "name": "click"}},
    {"id": "e6", "type": "score-create", "timestamp": TS, "body": {"id": "sc1", "traceId": "t1", "name": "quality", "value": 0.9, "dataType": "NUMERIC", "comment": "ok"}},
    {"id": "e7", "type": "sdk-log", "timestamp": TS, "body": {"log": "hello"}},
    {"id": "e8", "type": "generation-update", "timestamp": TS, "body": {"id": "g1", "traceId": "t1", "usage": {"promptTokens": 11, "completionTokens": 5, "totalTokens": 16}}},
    {"id": "e9", "type": "observation-create", "timestamp": TS, "body": {"id": "o1", "traceId": "t1", "type": "GENERATION", "model": "claude-3-5-sonnet-20241022"}},
    {"id": "e10", "type": "agent-create", "timestamp": TS, "body": {"id": "a1", "traceId": "t1"}},
]}
SCORES = [
    {"traceId": "t1", "name": "quality", "value": 0.9},
    {"id": "s2", "traceId": "t1", "observationId": "g1", "name": "sentiment", "value": "positive", "dataType": "CATEGORICAL", "comment": "c"},
    {"sessionId": "s1", "name": "helpful", "value": True, "dataType": "BOOLEAN"},
    {"traceId": "t1", "name": "cfg", "value": 3, "configId": "cfg-1", "source": "ANNOTATION", "timestamp": TS, "environment": "production", "metadata": {"a": 1}},
    {"traceId": "t1", "name": "note", "value": "free text", "dataType": "TEXT"},
    {"traceId": "t1", "name": "bad", "value": 1, "source": "EVAL"},
]
PROMPTS = [
    {"name": "greeting", "prompt": "Hello {{name}}, welcome to {{ place }}!", "labels": ["production"], "tags": ["onboarding"], "config": {"model": "gpt-4o", "temperature": 0.2}, "commitMessage": "first"},
    {"name": "team/reviewer", "type": "chat", "prompt": [{"role": "system", "content": "You review {{language}} code."}, {"type": "placeholder", "name": "history"}, {"role": "user", "content": "{{code}}"}], "labels": ["staging", "latest"]},
    {"name": "composed", "prompt": "Base: @@@langfusePrompt:name=greeting|label=production@@@ and @@@langfusePrompt:name=team/reviewer|version=2@@@"},
    {"name": "legacy", "prompt": "x", "isActive": True},
    {"name": "bad|name", "prompt": "x"},
    {"name": "chat-no-type", "prompt": [{"role": "user", "content": "hi"}]},
    {"name": "clash", "type": "chat", "prompt": [{"type": "placeholder", "name": "a"}, {"role": "user", "content": "{{a}}"}]},
]
CONTENTS = [
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "42"}],
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]},
    {"role": "assistant", "content": [{"type": "text", "text": "Let me check"}, {"type": "tool_use", "id": "t1", "name": "search", "input": {"q": "x"}}]},
    [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "result"}]}],
    [{"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "HumanMessage"], "kwargs": {"content": "hi", "additional_kwargs": {}}}],
    {"generations": [[{"text": "x", "message": {"kwargs": {"content": "x"}}}]]},
    "# Title\n\n**bold** [link](javascript:alert(1)) <script>alert(1)</script> ![img](https://evil.example/x.png)",
    {"choices": [{"message": {"role": "assistant", "content": "hi", "refusal": None}}]},
    {"candidates": [{"content": {"parts": [{"text": "gemini"}], "role": "model"}}]},
    [{"role": "user", "content": CJK}],
    {"a": [1, 2.5, -0.0, 1e308, None, True, {"b": "c"}]},
    12345678901234567890,
]


def json_seeds():
    write("batch", "sdk-batch.json", BATCH)
    write("batch", "nul-everywhere.json", nul_everywhere(BATCH))
    write("batch", "long-ids.json", replace_strings(BATCH, lambda v: LONG_ID if v in ("t1", "g1", "sp1", "e1", "u1", "s1") else v))
    write("batch", "cjk-emoji.json", replace_strings(BATCH, lambda v: v + CJK))
    write("batch", "huge-numbers.json", json.dumps(BATCH).replace("11", "1" * 400).replace("0.0001", "1e999").replace("0.9", "-1e308"))
    write("batch", "deep.json", deep_json(b'{"batch":', b"}"))
    write("batch", "deep-input.json", b'{"batch":[{"id":"e","type":"trace-create","timestamp":"' + TS.encode() + b'","body":{"id":"t","input":' + b"[" * 120 + b"]" * 120 + b"}}]}")
    write("batch", "invalid-utf8.json", json.dumps(BATCH).encode().replace(b'"chat"', b'"\xff\xfe\xc0"'))
    write("batch", "lone-surrogate.json", json.dumps(BATCH).replace('"chat"', '"\\ud800"'))
    write("batch", "bad-envelopes.json", {"batch": [None, 1, "x", [], {}, {"id": ""}, {"id": "a", "type": 5}, {"id": "b", "type": "trace-create"},
        {"id": "c", "type": "trace-create", "timestamp": "yesterday", "body": {}}, {"id": "d", "type": "trace-create", "timestamp": TS, "body": []},
        {"id": "e\r", "type": "trace-create", "timestamp": TS, "body": {"id": "t"}}, {"id": "f", "type": "dataset-run-item-create", "timestamp": TS, "body": {}},
        {"id": "g", "type": "observation-create", "timestamp": TS, "body": {"id": "o", "type": "BOGUS"}}]})
    write("batch", "not-a-batch.json", {"batch": {"id": "x"}})
    write("batch", "empty", b"")
    for i, sc in enumerate(SCORES):
        write("score", f"score-{i}.json", sc)
    write("score", "array.json", SCORES)
    write("score", "nul-everywhere.json", nul_everywhere(SCORES))
    write("score", "long-ids.json", [dict(sc, id=LONG_ID, traceId=LONG_ID, name=LONG_ID) for sc in SCORES[:2]])
    write("score", "cjk-emoji.json", replace_strings(SCORES, lambda v: v + CJK))
    write("score", "huge-numbers.json", b'[{"traceId":"t","name":"n","value":1e999},{"traceId":"t","name":"n","value":' + b"9" * 400 + b'},{"traceId":"t","name":"n","value":-0.0,"dataType":"BOOLEAN"},{"traceId":"t","name":"n","value":"1e999","dataType":"NUMERIC"}]')
    write("score", "deep.json", deep_json())
    write("score", "invalid-utf8.json", b'{"traceId":"t","name":"\xff\xfe","value":1}')
    for i, p in enumerate(PROMPTS):
        write("prompt", f"prompt-{i}.json", p)
    write("prompt", "nul-everywhere.json", nul_everywhere(PROMPTS[1]))
    write("prompt", "nul-text.json", nul_everywhere(PROMPTS[0]))
    write("prompt", "long.json", {"name": LONG_ID, "prompt": "{{" + LONG_ID + "}}" + "@@@langfusePrompt:name=" + LONG_ID + "|label=x@@@", "labels": [LONG_ID], "tags": [LONG_ID], "commitMessage": LONG_ID})
    write("prompt", "cjk-emoji.json", replace_strings(PROMPTS[1], lambda v: v + CJK))
    write("prompt", "huge-numbers.json", b'{"name":"n","prompt":"x","config":{"t":1e999,"u":' + b"9" * 400 + b'},"isActive":1}')
    write("prompt", "deep.json", deep_json(b'{"name":"n","prompt":', b"}"))
    write("prompt", "deep-config.json", b'{"name":"n","prompt":"x","config":{"a":' + b"[" * 120 + b"]" * 120 + b"}}")
    write("prompt", "invalid-utf8.json", b'{"name":"\xff\xfe","prompt":"{{\xc0}}"}')
    write("prompt", "tags-text.txt", "{{a}} {{ b }} {{}} {{ {{c}} }} {{a.b}} {{日本}} @@@langfusePrompt:name=x|label=y@@@@@@langfusePrompt:name=z|version=1@@@ @@@langfusePrompt:name=q|version=-1@@@")
    for i, c in enumerate(CONTENTS):
        write("content", f"content-{i}.json", c)
    write("content", "nul-everywhere.json", nul_everywhere(CONTENTS[0]))
    write("content", "deep.json", deep_json())
    write("content", "deep-127.json", b"[" * 127 + b"]" * 127)
    write("content", "invalid-utf8.json", b'[{"role":"user","content":"\xff\xfe"}]')
    write("content", "huge-numbers.json", b'{"a":1e999,"b":' + b"9" * 400 + b"}")


# ---------------------------------------------------------------- query strings
def query_seeds():
    lists = [
        "?search=hello&user=u1&session=s1&tag=a&environment=production&range=24h&level=error&errors=yes&model=gpt-4o&metadata=k%3Dv&score=quality&score_op=%3E%3D&score_value=0.5&latency_min=1.5&latency_max=10&cost_min=0&cost_max=0.01&sort=latency&dir=asc",
        "from=2026-01-01&to=2026-01-31T12:00&sort=cost&before=eyJ0IjoiMjAyNi0wMS0zMVQxMjowMDowMFoiLCJpIjoidDEifQ",
        "range=1y&level=fatal&errors=maybe&score_op=~&latency_min=-1&cost_max=NaN&sort=name&dir=up",
        "score=quality&score_op=%3D&score_value=good&from=2026-02-30&to=2025-01-01",
        "user=%00&search=%E6%97%A5%E6%9C%AC%F0%9F%A6%80&tag=" + "x" * 10000,
        "latency_min=1e309&cost_min=" + "9" * 400 + "&before=%FF%FE&metadata==v",
        "search=%ZZ%&&&==&user",
    ]
    for i, q in enumerate(lists):
        write("trace_list", f"query-{i}", q)
    params = [
        "page=2&limit=50&name=chat&userId=u1&tags=a&tags=b&fromTimestamp=2026-01-01T00:00:00Z&toTimestamp=2026-01-31T14:00:00%2B02:00&environment=production",
        "limit=500&page=0&fromTimestamp=yesterday&cursor=not-a-cursor&value=1e999&resolve=maybe",
        "page=9223372036854775807&limit=100&scoreIds=a,,b, c&filter=%5B%5D&level=ERROR",
        "limit=1&limit=2&cursor=eyJhIjoxfQ&cursor=eyJhIjoxfQ==&version=%00",
        "name=" + "x" * 10000 + "&userId=%F0%9F%A6%80%E6%97%A5&tags=%FF",
        "toTimestamp=2026-01-31T14:00:00 02:00&fromTimestamp=2026-01-31T12:00:00&page=&limit=",
    ]
    for i, q in enumerate(params):
        write("params", f"query-{i}", q)


otlp_seeds()
json_seeds()
query_seeds()
