"""Debugging aid: prints the spans of saved OTLP request bodies (SDK_PROXY_BODIES=1 sdk-tests/run).

    <py5 venv>/bin/python sdk-tests/lib/dump_otlp.py /tmp/loupe-sdk.*/sdk-requests.jsonl.*.body

Needs opentelemetry-proto (in the py5/py4 environments) for protobuf bodies; JSON bodies are
printed as they are.
"""
import gzip
import json
import sys

for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    print(f"== {path}")
    if raw[:1] in (b"{", b"["):
        print(json.dumps(json.loads(raw), indent=1)[:20000])
        continue
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from google.protobuf.json_format import MessageToDict
    req = ExportTraceServiceRequest()
    req.ParseFromString(raw)
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                attrs = {a["key"]: list(a["value"].values())[0] if a.get("value") else None
                         for a in MessageToDict(sp).get("attributes", [])}
                print(f"SPAN {sp.name!r} trace={sp.trace_id.hex()} id={sp.span_id.hex()} parent={sp.parent_span_id.hex() or None} "
                      f"status={sp.status.code}:{sp.status.message!r}")
                for k, v in sorted(attrs.items()):
                    print(f"    {k} = {str(v)[:200]}")
