// Seeds one trace of N observations through the public batch ingestion API, shaped like a long
// agent run: a root span, steps (spans), and under each step generations (model, usage,
// first-token time), tools and retrievers, some with their own children; a few errors and
// warnings. Usage: node seed-trace.mjs <baseUrl> <publicKey> <secretKey> <traceId> <observations>
const [baseUrl, pk, sk, traceId, countArg] = process.argv.slice(2);
const total = Number(countArg);
const auth = "Basic " + Buffer.from(`${pk}:${sk}`).toString("base64");
const t0 = Date.now() - 3_600_000;
const iso = (ms) => new Date(t0 + ms).toISOString();

const events = [];
events.push({ id: `${traceId}-t`, type: "trace-create", timestamp: iso(0), body: { id: traceId, name: `agent run (${total} observations)`, userId: "bench-user", timestamp: iso(0) } });
events.push({ id: `${traceId}-root`, type: "span-create", timestamp: iso(0), body: { id: `${traceId}-root`, traceId, name: "agent", startTime: iso(0), endTime: iso(total * 10) } });
let made = 1;
let step = 0;
const perStep = 100;
while (made < total) {
  const stepId = `${traceId}-s${step}`;
  const stepStart = step * perStep * 10;
  events.push({ id: stepId, type: "span-create", timestamp: iso(stepStart), body: { id: stepId, traceId, parentObservationId: `${traceId}-root`, name: `step ${step}`, startTime: iso(stepStart), endTime: iso(stepStart + perStep * 10) } });
  made++;
  for (let k = 0; k < perStep - 1 && made < total; k++, made++) {
    const id = `${stepId}-${k}`;
    const start = stepStart + k * 10;
    // Every tenth child nests under the previous one, so the tree has depth, not just width.
    const parent = k % 10 === 9 ? `${stepId}-${k - 1}` : stepId;
    const kind = k % 3;
    const level = k % 97 === 0 ? "ERROR" : k % 41 === 0 ? "WARNING" : undefined;
    if (kind === 0) {
      events.push({ id, type: "generation-create", timestamp: iso(start), body: {
        id, traceId, parentObservationId: parent, name: "llm call", model: "gpt-4o-mini", startTime: iso(start),
        completionStartTime: iso(start + 3), endTime: iso(start + 9), level, statusMessage: level ? "rate limited" : undefined,
        input: [{ role: "user", content: `question ${k}` }], output: `answer ${k}`, usage: { input: 120 + k, output: 30 } } });
    } else {
      events.push({ id, type: "span-create", timestamp: iso(start), body: {
        id, traceId, parentObservationId: parent, name: kind === 1 ? "search tool" : "retrieve docs", startTime: iso(start), endTime: iso(start + 7),
        level, input: { query: `q${k}` }, output: { hits: k } } });
    }
  }
  step++;
}

for (let i = 0; i < events.length; i += 1000) {
  const response = await fetch(`${baseUrl}/api/public/ingestion`, {
    method: "POST", headers: { Authorization: auth, "Content-Type": "application/json" }, body: JSON.stringify({ batch: events.slice(i, i + 1000) }),
  });
  const body = await response.json();
  if (response.status !== 207 || (body.errors ?? []).length) {
    console.error(response.status, JSON.stringify(body).slice(0, 500));
    process.exit(1);
  }
}
console.log(`seeded ${traceId}: ${made} observations`);
