"""Assertions against Loupe's public read API, shared by every scenario (stdlib only).

A scenario drives one Langfuse SDK, flushes it, then checks what Loupe stored through plain HTTP
calls (`GET /api/public/traces/{id}` …) with Basic auth, exactly as a user's script would:

    suite = Suite("py5")
    with suite.check("observe: trace-level fields"):
        t = suite.api.trace(trace_id, min_observations=4)
        eq(t["userId"], "user-123", "trace.userId")
    sys.exit(suite.finish())

Each `check` is reported on its own line (`ok` / `FAIL` with the reason); `finish()` prints
`<suite>: N passed, M failed`, writes the counts to $SDK_RESULTS_DIR/<suite>.json when set and
returns the exit status.

Environment: LOUPE_URL (Loupe's base URL; else LANGFUSE_HOST), LANGFUSE_PUBLIC_KEY,
LANGFUSE_SECRET_KEY, SDK_POLL_TIMEOUT (seconds to wait for data to appear, default 10),
SDK_PROXY_LOG + SDK_PROXY_OFFSET (the recording proxy's log and where this scenario's part starts).
"""

import base64
import json
import math
import os
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request


class CheckFailed(AssertionError):
    """A check's expectation did not hold; the message says what was expected and what came."""


# Statuses worth waiting on: the data may not be there yet. Anything else (401, 400, 500, 501…)
# will not change by waiting, so it fails at once.
_RETRY_STATUSES = {404, 429, 502, 503, 504}


def short(value, limit=600):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


class Api:
    def __init__(self):
        # Reads go straight to Loupe; the SDKs talk to it through the recording proxy.
        self.base = (os.environ.get("LOUPE_URL") or os.environ["LANGFUSE_HOST"]).rstrip("/")
        token = base64.b64encode(
            f"{os.environ['LANGFUSE_PUBLIC_KEY']}:{os.environ['LANGFUSE_SECRET_KEY']}".encode()
        ).decode()
        self.auth = f"Basic {token}"
        self.timeout = float(os.environ.get("SDK_POLL_TIMEOUT", "10"))
        self._memo = {}
        self.waited_out = False

    def request(self, method, path, params=None, body=None):
        """One HTTP call; returns (status, parsed JSON or text)."""
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        data = None
        headers = {"Authorization": self.auth, "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        except (urllib.error.URLError, OSError) as err:
            raise CheckFailed(f"{method} {path}: cannot reach Loupe at {self.base}: {err}") from None
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def describe(self, path, params):
        return path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")

    def poll(self, path, params=None, until=None, what=None, partial=False):
        """GET `path` until it answers 200 and `until(body)` holds (or SDK_POLL_TIMEOUT passes).

        `until` returns True/False, or a string describing what is still missing. Returns the body;
        raises CheckFailed naming the request, the last status and body, and what was missing —
        except with `partial=True`, where a 200 body that never satisfied `until` is returned
        anyway (with a note), so each check reports precisely what it finds missing or wrong.
        """
        # Everything was flushed before the checks began, so once one wait has run out the data
        # is not coming: later waits are short, keeping a broken server's run brief.
        started = time.monotonic()
        deadline = started + (min(self.timeout, 2.0) if self.waited_out else self.timeout)
        delay = 0.1
        while True:
            status, body = self.request("GET", path, params)
            missing = None
            if status == 200:
                verdict = True if until is None else until(body)
                if verdict is True:
                    return body
                missing = verdict if isinstance(verdict, str) else (what or "the expected content")
            elif status not in _RETRY_STATUSES or time.monotonic() >= deadline:
                self.waited_out = self.waited_out or status in _RETRY_STATUSES
                raise CheckFailed(f"GET {self.describe(path, params)} -> {status}: {short(body, 400)}")
            if time.monotonic() >= deadline:
                self.waited_out = True
                if partial:
                    print(f"  note  GET {self.describe(path, params)}: after {time.monotonic() - started:.0f}s still missing {missing}; "
                          "checking what is there", flush=True)
                    return body
                raise CheckFailed(
                    f"GET {self.describe(path, params)} -> 200 but after {time.monotonic() - started:.0f}s still missing "
                    f"{missing}; last body: {short(body)}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def _memoized(self, key, fn):
        """Runs fn once per key; a failure is remembered too, so later checks fail fast."""
        if key not in self._memo:
            try:
                self._memo[key] = (True, fn())
            except CheckFailed as err:
                self._memo[key] = (False, err)
        ok, value = self._memo[key]
        if not ok:
            raise CheckFailed(str(value))
        return value

    def forget(self, *keys):
        for key in keys:
            self._memo.pop(key, None)

    # ---- resources -------------------------------------------------------------------------

    def trace(self, trace_id, min_observations=0, names=()):
        """`GET /api/public/traces/{id}`, waiting until it has the given observations."""
        def until(body):
            if not isinstance(body, dict) or body.get("id") != trace_id:
                return f"a trace object with id {trace_id}"
            obs = body.get("observations")
            if not isinstance(obs, list):
                return "an `observations` array"
            have = [o.get("name") for o in obs if isinstance(o, dict)]
            absent = [n for n in names if n not in have]
            if absent:
                return f"observations named {absent} (have {sorted(map(str, have))})"
            if len(obs) < min_observations:
                return f"{min_observations} observations (have {len(obs)}: {sorted(map(str, have))})"
            return True

        return self._memoized(("trace", trace_id), lambda: self._partial_trace(trace_id, until))

    def _partial_trace(self, trace_id, until):
        body = self.poll(f"/api/public/traces/{q(trace_id)}", until=until, partial=True)
        verdict = until(body)
        if verdict is not True and not isinstance(body.get("observations") if isinstance(body, dict) else None, list):
            raise CheckFailed(f"GET /api/public/traces/{trace_id} -> 200 but not {verdict}: {short(body)}")
        return body

    def observation(self, obs_id):
        return self._memoized(("obs", obs_id), lambda: self.poll(f"/api/public/observations/{q(obs_id)}"))

    def session(self, session_id, min_traces=1):
        def until(body):
            if not isinstance(body, dict) or not isinstance(body.get("traces"), list):
                return "a session object with a `traces` array"
            if len(body["traces"]) < min_traces:
                return f"{min_traces} traces (have {len(body['traces'])})"
            return True
        def fetch():
            body = self.poll(f"/api/public/sessions/{q(session_id)}", until=until, partial=True)
            if not isinstance(body, dict) or not isinstance(body.get("traces"), list):
                raise CheckFailed(f"GET /api/public/sessions/{session_id} -> 200 but not a session with a `traces` array: {short(body)}")
            return body
        return self._memoized(("session", session_id), fetch)

    def scores(self, min_count=1, **params):
        """`GET /api/public/v2/scores?…` → the `data` list, waiting for at least min_count items."""
        def until(body):
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                return "a `{data: [...]}` list"
            if len(body["data"]) < min_count:
                return f"{min_count} scores (have {len(body['data'])}: {short([s.get('name') for s in body['data']])})"
            return True
        key = ("scores", tuple(sorted(params.items())))
        def fetch():
            body = self.poll("/api/public/v2/scores", params=dict(params, limit=100), until=until, partial=True)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise CheckFailed(f"GET /api/public/v2/scores?{params} -> 200 but not a `{{data: [...]}}` list: {short(body)}")
            return body["data"]
        return self._memoized(key, fetch)


def q(segment):
    return urllib.parse.quote(str(segment), safe="")


# ---- assertion helpers -----------------------------------------------------------------------

def fail(message):
    raise CheckFailed(message)


def eq(actual, expected, what):
    if actual != expected:
        fail(f"{what}: expected {short(expected)}, got {short(actual)}")


def truthy(value, what):
    if not value:
        fail(f"{what}: expected a value, got {short(value)}")


def is_none(value, what):
    if value not in (None, "", {}):
        fail(f"{what}: expected nothing (null), got {short(value)}")


def approx(actual, expected, what, rel=1e-6):
    if not isinstance(actual, (int, float)) or isinstance(actual, bool):
        fail(f"{what}: expected a number ≈ {expected!r}, got {short(actual)}")
    if not math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-15):
        fail(f"{what}: expected ≈ {expected!r}, got {actual!r}")


def positive(actual, what):
    if not isinstance(actual, (int, float)) or isinstance(actual, bool) or actual <= 0:
        fail(f"{what}: expected a number > 0, got {short(actual)}")


def subset(actual, expected, what):
    """Every key of `expected` is in the dict `actual` with an equal value."""
    if not isinstance(actual, dict):
        fail(f"{what}: expected an object containing {short(expected)}, got {short(actual)}")
    wrong = {k: actual.get(k, "<absent>") for k, v in expected.items() if actual.get(k, "<absent>") != v}
    if wrong:
        fail(f"{what}: expected to contain {short(expected)}; differing keys {short(wrong)} in {short(actual)}")


def same_set(actual, expected, what):
    if not isinstance(actual, list) or sorted(map(str, actual)) != sorted(map(str, expected)):
        fail(f"{what}: expected {sorted(expected)} (any order), got {short(actual)}")


def loose(value):
    """A model-parameter value compared loosely: SDKs send 0.2 or "0.2" depending on version."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(float(value))
    if isinstance(value, str):
        try:
            return repr(float(value))
        except ValueError:
            return value
    return json.dumps(value, sort_keys=True)


def params_match(actual, expected, what):
    if not isinstance(actual, dict):
        fail(f"{what}: expected an object containing {short(expected)}, got {short(actual)}")
    wrong = {k: actual.get(k, "<absent>") for k, v in expected.items() if k not in actual or loose(actual[k]) != loose(v)}
    if wrong:
        fail(f"{what}: expected to contain {short(expected)}; differing keys {short(wrong)} in {short(actual)}")


def text_of(output):
    """The assistant text of an LLM output in any of the shapes the SDKs record."""
    if isinstance(output, str):
        return output
    if isinstance(output, dict):
        for key in ("content", "text", "output"):
            if isinstance(output.get(key), str):
                return output[key]
        if isinstance(output.get("content"), list):  # Responses API message: [{type: output_text, text}]
            return "".join(p.get("text", "") for p in output["content"] if isinstance(p, dict)) or None
        if isinstance(output.get("choices"), list) and output["choices"]:
            return text_of(output["choices"][0].get("message"))
    if isinstance(output, list) and output:
        return text_of(output[-1])
    return None


def check_stream_timing(obs, what):
    """completionStartTime lies between start and end; timeToFirstToken and latency agree with them."""
    start, end = timestamp(obs.get("startTime"), f"{what} startTime"), timestamp(obs.get("endTime"), f"{what} endTime")
    first = timestamp(obs.get("completionStartTime"), f"{what} completionStartTime")
    if not (start <= first <= end):
        fail(f"{what} completionStartTime: expected between {obs.get('startTime')} and {obs.get('endTime')}, "
             f"got {obs.get('completionStartTime')}")
    approx(obs.get("timeToFirstToken"), first - start, f"{what} timeToFirstToken (seconds)", rel=1e-2)
    approx(obs.get("latency"), end - start, f"{what} latency (seconds)", rel=1e-2)


def timestamp(value, what):
    """Parses an ISO-8601 timestamp from the API into epoch seconds."""
    from datetime import datetime
    if not isinstance(value, str):
        fail(f"{what}: expected an ISO-8601 timestamp, got {short(value)}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        fail(f"{what}: not an ISO-8601 timestamp: {value!r}")


def find(observations, what, **fields):
    """The one observation whose fields equal `fields` (e.g. name=..., type=...)."""
    hits = [o for o in observations if all(o.get(k) == v for k, v in fields.items())]
    if len(hits) != 1:
        have = sorted(f"{o.get('name')}:{o.get('type')}" for o in observations)
        fail(f"{what}: expected exactly one observation with {fields}, found {len(hits)} among {have}")
    return hits[0]


def by_id(observations, obs_id, what):
    hits = [o for o in observations if o.get("id") == obs_id]
    if len(hits) != 1:
        fail(f"{what}: no observation with id {obs_id} among {sorted(str(o.get('id')) for o in observations)}")
    return hits[0]


OPENAI_USAGE = {"input": 10, "input_cached_tokens": 2, "output": 6, "output_reasoning_tokens": 1, "total": 19}
# gpt-4o-mini(-2024-07-18) default prices: 10×1.5e-7 + 2×7.5e-8 + 6×6e-7 (reasoning tokens have no price).
OPENAI_COST = 5.25e-6
OPENAI_COST_DETAILS = {"input": 10 * 1.5e-7, "input_cached_tokens": 2 * 7.5e-8, "output": 6 * 6e-7}


def check_openai_generation(obs, what, usage=OPENAI_USAGE, model="gpt-4o-mini-2024-07-18"):
    """Model, usage and cost of a generation recorded from the fake OpenAI server's answer."""
    eq(obs.get("type"), "GENERATION", f"{what} type")
    eq(obs.get("model"), model, f"{what} model")
    eq(obs.get("usageDetails"), usage, f"{what} usageDetails")
    cost = obs.get("costDetails") or {}
    # One entry per priced usage type (price × units); reasoning tokens have no price.
    for key, expected in OPENAI_COST_DETAILS.items():
        approx(cost.get(key), expected, f"{what} costDetails.{key}", rel=1e-3)
    approx(cost.get("total"), OPENAI_COST, f"{what} costDetails.total", rel=1e-3)
    # The v1 summaries add up every usage/cost type containing input / output.
    legacy = obs.get("usage") or {}
    eq([legacy.get("input"), legacy.get("output"), legacy.get("total")], [12, 7, 19], f"{what} usage {{input, output, total}}")
    approx(obs.get("calculatedInputCost"), 1.5e-6 + 1.5e-7, f"{what} calculatedInputCost", rel=1e-3)
    approx(obs.get("calculatedOutputCost"), 3.6e-6, f"{what} calculatedOutputCost", rel=1e-3)
    approx(obs.get("calculatedTotalCost"), OPENAI_COST, f"{what} calculatedTotalCost", rel=1e-3)


# ---- the suite -------------------------------------------------------------------------------

class Suite:
    def __init__(self, name):
        self.name = name
        self.api = Api()
        self.passed = []
        self.failed = []
        self.started = time.monotonic()

    def check(self, title):
        return _Check(self, title)

    def proxy_entries(self):
        path, offset = os.environ.get("SDK_PROXY_LOG"), int(os.environ.get("SDK_PROXY_OFFSET") or 0)
        if not path:
            fail("SDK_PROXY_LOG is not set: run the scenario through sdk-tests/run")
        with open(path, "rb") as f:
            f.seek(offset)
            return [json.loads(line) for line in f.read().decode().splitlines() if line.strip()]

    def check_writes(self, expect):
        """One check per expected endpoint: the SDK used it (`expect` maps a path suffix to a
        predicate on the exchange, e.g. the content encoding), and one check that Loupe accepted
        every write the SDK sent (2xx, and no per-item errors in ingestion/score answers)."""
        entries = [e for e in self.proxy_entries() if e["method"] in ("POST", "PUT", "PATCH", "DELETE")]
        for suffix, (description, predicate) in expect.items():
            with self.check(f"transport: {description}"):
                hits = [e for e in entries if e["path"].split("?")[0].endswith(suffix)]
                if not hits:
                    fail(f"no request to …{suffix}; SDK writes seen: {short(sorted({e['path'] for e in entries}))}")
                bad = [e for e in hits if not predicate(e)]
                if bad:
                    fail(f"{len(bad)} of {len(hits)} requests to …{suffix} not as expected: {short(bad[0])}")
        with self.check("Loupe accepted every write the SDK sent"):
            problems = []
            for e in entries:
                where = f"{e['method']} {e['path']} ({e.get('content_type')}, {e.get('content_encoding') or 'identity'}, {e['request_bytes']} B)"
                if e["status"] >= 300:
                    problems.append(f"{where} -> {e['status']}: {short(e.get('response', ''), 500)}")
                    continue
                try:
                    body = json.loads(e.get("response") or "null")
                except ValueError:
                    body = None
                if isinstance(body, dict) and body.get("errors"):
                    problems.append(f"{where} -> {e['status']} with per-item errors: {short(body['errors'], 800)}")
                elif isinstance(body, dict) and body.get("rejected"):
                    problems.append(f"{where} -> {e['status']} rejected {body['rejected']}: {short(body, 800)}")
            if not entries:
                problems.append("the SDK sent no write request at all")
            if problems:
                fail(f"{len(problems)} of {len(entries)} writes rejected:\n" + "\n".join(problems))

    def finish(self):
        secs = time.monotonic() - self.started
        print(f"{self.name}: {len(self.passed)} passed, {len(self.failed)} failed", flush=True)
        out = os.environ.get("SDK_RESULTS_DIR")
        if out:
            with open(os.path.join(out, f"{self.name}.json"), "w") as f:
                json.dump({"suite": self.name, "passed": self.passed, "failed": self.failed,
                           "check_seconds": round(secs, 2)}, f, indent=1)
        return 1 if self.failed else 0


class _Check:
    def __init__(self, suite, title):
        self.suite, self.title = suite, title

    def __enter__(self):
        self.t0 = time.monotonic()
        return self

    def __exit__(self, exc_type, exc, tb):
        dt = time.monotonic() - self.t0
        label = f"{self.suite.name}: {self.title}"
        if exc is None:
            self.suite.passed.append(self.title)
            print(f"  ok    {label} ({dt:.1f}s)", flush=True)
            return False
        if isinstance(exc, CheckFailed):
            reason = str(exc)
        elif isinstance(exc, KeyboardInterrupt):
            return False
        elif hasattr(exc, "status_code") and hasattr(exc, "body"):  # the SDK's REST client (Fern ApiError)
            reason = f"the SDK's REST client got {exc.status_code}: {short(exc.body, 500)}"
        else:  # a bug in the scenario, an unexpected shape or an SDK parsing error: show where
            reason = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_tb(tb)[-3:])
        self.suite.failed.append({"check": self.title, "reason": reason})
        print(f"  FAIL  {label} ({dt:.1f}s)\n        " + reason.replace("\n", "\n        "), flush=True)
        return True  # swallow: the next check runs
